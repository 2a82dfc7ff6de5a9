//! Every subnet command of the `synod` binary against a real `synod dev` process, the way an
//! operator drives it (keystore hotkeys, `--dev` coldkeys, `--json` output): `subnet create|
//! start|set-hyperparam|hyperparams|show|list|lock-cost|burn-cost|register|metagraph`,
//! `stake add|remove|move|transfer|swap|list|set-take`, `weights commit|reveal|set`,
//! `axon serve`, `root stake|unstake|list`. Each command's effect is read back through
//! another command, and refusals come back as typed failure kinds with a non-zero exit.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

struct Cli<'a> {
    rpc: &'a str,
    keystore: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = synod()
            .env("SYNOD_PASSWORD", "pw")
            .env("SYNOD_STATE_DIR", self.keystore.with_file_name("state"))
            .arg("--keystore")
            .arg(self.keystore)
            .args(["--rpc", self.rpc, "--dev", "--json"])
            .args(args)
            .output()
            .expect("run synod");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A query or a successful transaction: the first JSON document printed.
    fn ok(&self, args: &[&str]) -> Value {
        let (ok, out, err) = self.run(args);
        assert!(ok, "synod {args:?} failed: {out}{err}");
        first_json(&out)
    }

    /// A transaction that must succeed: its receipt.
    fn tx(&self, args: &[&str]) -> Value {
        let v = self.ok(args);
        let receipt = v.get("receipt").unwrap_or(&v);
        assert_eq!(
            receipt["outcome"]["status"], "success",
            "synod {args:?}: {v}"
        );
        v
    }

    /// A transaction that is included but whose call fails: the failure kind.
    fn refused(&self, args: &[&str]) -> String {
        let (ok, out, _) = self.run(args);
        assert!(!ok, "synod {args:?} should fail: {out}");
        let v = first_json(&out);
        assert_eq!(v["outcome"]["status"], "failed", "synod {args:?}: {v}");
        v["outcome"]["failure"]["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("synod {args:?}: no failure kind in {v}"))
            .to_string()
    }
}

fn first_json(out: &str) -> Value {
    serde_json::Deserializer::from_str(out)
        .into_iter::<Value>()
        .next()
        .expect("some JSON")
        .expect("valid JSON")
}

/// Base units as the CLI's decimal amount syntax.
fn dec(x: u64) -> String {
    format!("{}.{:09}", x / 1_000_000_000, x % 1_000_000_000)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

/// The alpha of `coldkey`'s position on (`hotkey`, `netuid`), 0 if none.
fn position(cli: &Cli<'_>, coldkey: &str, hotkey: &str, netuid: u64) -> u64 {
    cli.ok(&["stake", "list", coldkey])
        .as_array()
        .expect("positions")
        .iter()
        .find(|p| p["hotkey"] == hotkey && p["netuid"] == netuid)
        .map_or(0, |p| u(&p["alpha"]))
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn wait_next_epoch(cli: &Cli<'_>, netuid: &str) {
    let before = u(&cli.ok(&["subnet", "show", netuid])["epoch_index"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while u(&cli.ok(&["subnet", "show", netuid])["epoch_index"]) <= before {
        assert!(Instant::now() < deadline, "no epoch on subnet {netuid}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_subnet_command_through_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("dev"));
    let keystore = dir.path().join("keys");
    let cli = Cli {
        rpc: &net.rpc,
        keystore: &keystore,
    };

    // Operational hotkeys in the keystore, bound to dev coldkeys.
    let mut hot = std::collections::BTreeMap::new();
    for name in ["vhot", "mhot", "m2hot", "o2hot"] {
        let v = cli.ok(&["key", "new", name, "--kind", "hot"]);
        hot.insert(name, v["account"].as_str().expect("account").to_string());
    }
    for (cold, name) in [
        ("alice", "vhot"),
        ("bob", "mhot"),
        ("charlie", "m2hot"),
        ("dave", "o2hot"),
    ] {
        cli.tx(&["hotkey", "bind", "--from", cold, "--hotkey", name]);
    }

    // Create: the lock cost is what `lock-cost` said, and it leaves alice's balance.
    let lock = u(&cli.ok(&["subnet", "lock-cost"])["lock_cost"]);
    let before = u(&cli.ok(&["balance", "alice"])["balance"]);
    cli.tx(&["subnet", "create", "--from", "alice", "--hotkey", "vhot"]);
    let after = u(&cli.ok(&["balance", "alice"])["balance"]);
    assert!(
        before - after >= lock,
        "lock {lock} paid: {before} -> {after}"
    );
    let list = cli.ok(&["subnet", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let show = cli.ok(&["subnet", "show", "1"]);
    assert_eq!(show["owner_hotkey"], hot["vhot"].as_str());
    assert_eq!(u(&show["lock"]), lock);
    assert!(show["start_block"].is_null(), "not started yet");
    assert!(
        u(&cli.ok(&["subnet", "lock-cost"])["lock_cost"]) > lock,
        "the lock cost doubles on creation"
    );

    // Hyperparameters: owner only, within bounds.
    cli.tx(&[
        "subnet",
        "set-hyperparam",
        "1",
        "tempo",
        "30",
        "--from",
        "alice",
    ]);
    cli.tx(&[
        "subnet",
        "set-hyperparam",
        "1",
        "weights_rate_limit",
        "0",
        "--from",
        "alice",
    ]);
    assert_eq!(
        cli.refused(&[
            "subnet",
            "set-hyperparam",
            "1",
            "tempo",
            "20",
            "--from",
            "bob"
        ]),
        "not_subnet_owner"
    );
    assert_eq!(
        cli.refused(&[
            "subnet",
            "set-hyperparam",
            "1",
            "max_allowed_uids",
            "5000",
            "--from",
            "alice"
        ]),
        "invalid_hyperparameter"
    );
    let hp = cli.ok(&["subnet", "hyperparams", "1"]);
    assert_eq!(hp["tempo"], 30);
    assert_eq!(
        hp["max_allowed_uids"], 256,
        "a refused change changes nothing"
    );
    assert_eq!(hp["commit_reveal_enabled"], true);

    cli.tx(&["subnet", "start", "1", "--from", "alice"]);
    assert!(cli.ok(&["subnet", "show", "1"])["start_block"].is_u64());

    // Registration burns at most the quoted price (it only decays between blocks), bounded by
    // --max-burn; a bound under the minimum burn is refused.
    let burn = u(&cli.ok(&["subnet", "burn-cost", "1"])["burn"]);
    assert_eq!(
        cli.refused(&[
            "subnet",
            "register",
            "1",
            "--from",
            "bob",
            "--hotkey",
            "mhot",
            "--max-burn",
            "0.000000001",
        ]),
        "cost_above_maximum"
    );
    cli.tx(&[
        "subnet",
        "register",
        "1",
        "--from",
        "bob",
        "--hotkey",
        "mhot",
        "--max-burn",
        &dec(burn),
    ]);
    cli.tx(&[
        "subnet", "register", "1", "--from", "charlie", "--hotkey", "m2hot",
    ]);
    assert!(
        u(&cli.ok(&["subnet", "burn-cost", "1"])["burn"]) > burn,
        "the burn price rises with registrations"
    );
    let mg = cli.ok(&["subnet", "metagraph", "1"]);
    assert_eq!(mg["n"], 3);
    assert_eq!(mg["hotkeys"][1], hot["mhot"].as_str());
    assert_eq!(mg["hotkeys"][2], hot["m2hot"].as_str());

    // Staking through the pool, with a limit price: refused whole, or filled partially.
    assert_eq!(
        cli.refused(&[
            "stake",
            "add",
            "--from",
            "eve",
            "--hotkey",
            "vhot",
            "--netuid",
            "1",
            "--amount",
            "100000",
            "--limit-price",
            "1.01",
            "--yes",
        ]),
        "price_limit_exceeded"
    );
    cli.tx(&[
        "stake",
        "add",
        "--from",
        "eve",
        "--hotkey",
        "vhot",
        "--netuid",
        "1",
        "--amount",
        "100000",
        "--limit-price",
        "1.01",
        "--partial",
        "--yes",
    ]);
    let eve_alpha = position(&cli, "eve", &hot["vhot"], 1);
    assert!(eve_alpha > 0, "partial fill bought alpha");
    let price = u(&cli.ok(&["subnet", "show", "1"])["pool"]["price"]);
    assert!(price <= 1_010_000_000, "the limit held: price {price}");

    // The quote is the chain's own pool math: staking 100 SYN gives what the trade then buys.
    let quote = cli.ok(&["stake", "quote", "--netuid", "1", "--amount", "100"]);
    assert_eq!(u(&quote["amount_in"]), 100_000_000_000);
    // (Emission moves the price every block, so compare within the quote.)
    assert!(u(&quote["price_before"]) > 0);
    assert!(u(&quote["price_after"]) > u(&quote["price_before"]));
    assert!(u(&quote["amount_out"]) < u(&quote["amount_out_at_spot"]));
    assert!(u(&quote["slippage_ppm"]) > 0);
    let unquote = cli.ok(&[
        "stake",
        "quote",
        "--netuid",
        "1",
        "--amount",
        "1",
        "--unstake",
    ]);
    assert!(u(&unquote["price_after"]) < u(&unquote["price_before"]));
    let (ok, out, err) = cli.run(&["stake", "quote", "--netuid", "9", "--amount", "1"]);
    assert!(!ok && (out + &err).contains("no subnet 9"), "{err}");

    // Without --yes and without a terminal to ask on, nothing is sent.
    let stake_ferdie = [
        "stake", "add", "--from", "ferdie", "--hotkey", "vhot", "--netuid", "1", "--amount", "10",
    ];
    let (ok, out, err) = cli.run(&stake_ferdie);
    assert!(!ok && (out + &err).contains("pass --yes"), "{err}");
    assert_eq!(position(&cli, "ferdie", &hot["vhot"], 1), 0);
    // A trade that would move the price more than the default 5% tolerance is refused whole.
    let (ok, out, err) = cli.run(&[
        "stake", "add", "--from", "ferdie", "--hotkey", "vhot", "--netuid", "1", "--amount", "100",
        "--yes",
    ]);
    assert!(!ok, "{out}{err}");
    assert!(err.contains("past the limit"), "warned first: {err}");
    assert_eq!(
        first_json(&out)["outcome"]["failure"]["kind"],
        "price_limit_exceeded"
    );
    assert_eq!(position(&cli, "ferdie", &hot["vhot"], 1), 0);
    let mut confirmed = stake_ferdie.to_vec();
    confirmed.push("--yes");
    let staked = cli.tx(&confirmed);
    let at_stake = u(&staked.get("receipt").unwrap_or(&staked)["height"]);
    let ferdie_alpha = position(&cli, "ferdie", &hot["vhot"], 1);
    assert!(ferdie_alpha > 0);
    // Past-block reads: before the stake ferdie held nothing.
    let before = cli.ok(&[
        "stake",
        "list",
        "ferdie",
        "--block",
        &(at_stake - 1).to_string(),
    ]);
    assert_eq!(before.as_array().map(Vec::len), Some(0), "{before}");
    let at = cli.ok(&["stake", "list", "ferdie", "--block", &at_stake.to_string()]);
    assert_eq!(u(&at[0]["alpha"]), ferdie_alpha);
    let (ok, out, err) = cli.run(&["subnet", "metagraph", "1", "--block", "999999999"]);
    assert!(!ok && (out + &err).contains("not committed"), "{err}");

    // Commit–reveal: the commit counts as activity, the reveal lands in the next epoch.
    let commit = cli.tx(&[
        "weights", "commit", "--from", "alice", "--hotkey", "vhot", "--netuid", "1", "--uids",
        "1,2", "--values", "3,1",
    ]);
    let salt = commit["salt"].as_str().expect("salt").to_string();
    let commit_height = u(&commit["receipt"]["height"]);
    let mg = cli.ok(&["subnet", "metagraph", "1"]);
    assert_eq!(
        u(&mg["last_update"][0]),
        commit_height,
        "commits count for activity"
    );
    // The commit belongs to the epoch in progress at its block (an epoch runs at the end of
    // its block, after the block's transactions).
    let show = cli.ok(&["subnet", "show", "1"]);
    let index = u(&show["epoch_index"]);
    let commit_epoch = if u(&show["last_epoch_block"]) >= commit_height {
        index - 1
    } else {
        index
    };
    let reveal = [
        "weights", "reveal", "--from", "alice", "--hotkey", "vhot", "--netuid", "1", "--uids",
        "1,2", "--values", "3,1", "--salt", &salt,
    ];
    // Too early while the commit's own epoch lasts (checked only with time to spare, so the
    // boundary cannot pass while the transaction is in flight).
    if commit_epoch == index && u(&show["next_epoch_block"]) > u(&mg["block"]) + 10 {
        assert_eq!(cli.refused(&reveal), "reveal_too_early");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while u(&cli.ok(&["subnet", "show", "1"])["epoch_index"]) < commit_epoch + 1 {
        assert!(Instant::now() < deadline, "no epoch after the commit");
        std::thread::sleep(Duration::from_millis(50));
    }
    cli.tx(&reveal);
    let mg = cli.ok(&["subnet", "metagraph", "1"]);
    assert_eq!(
        mg["weights"][0],
        serde_json::json!([[1, 65535], [2, 21845]]),
        "revealed weights, max-upscaled"
    );
    // `weights set` commits, waits for the reveal epoch and reveals by itself.
    let auto = cli.ok(&[
        "weights", "set", "--from", "alice", "--hotkey", "vhot", "--netuid", "1", "--uids", "1,2",
        "--values", "1,3",
    ]);
    assert_eq!(auto["status"], "revealed", "{auto}");
    assert!(u(&auto["reveal"]["height"]) > u(&auto["commit"]["height"]));
    assert_eq!(
        cli.ok(&["subnet", "metagraph", "1"])["weights"][0],
        serde_json::json!([[1, 21845], [2, 65535]])
    );
    let state = keystore.with_file_name("state");
    let pending_files = |state: &Path| -> usize {
        walk(&state.join("weights"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .count()
    };
    assert_eq!(pending_files(&state), 0, "a revealed commit is forgotten");
    // With --no-wait the commit waits on disk (the SDK's file) until reveal-pending.
    let early = cli.ok(&[
        "weights",
        "set",
        "--from",
        "alice",
        "--hotkey",
        "vhot",
        "--netuid",
        "1",
        "--uids",
        "1,2",
        "--values",
        "1,1",
        "--no-wait",
    ]);
    assert_eq!(early["status"], "committed", "{early}");
    assert_eq!(pending_files(&state), 1);
    let commits = cli.ok(&[
        "weights",
        "reveal-pending",
        "--from",
        "alice",
        "--netuid",
        "1",
    ]);
    assert_eq!(commits[0]["status"], "revealed", "{commits}");
    assert_eq!(pending_files(&state), 0);
    assert_eq!(
        cli.ok(&["subnet", "metagraph", "1"])["weights"][0],
        serde_json::json!([[1, 65535], [2, 65535]])
    );
    // With commit–reveal off, weights are set directly.
    cli.tx(&[
        "subnet",
        "set-hyperparam",
        "1",
        "commit_reveal_enabled",
        "false",
        "--from",
        "alice",
    ]);
    cli.tx(&[
        "weights", "set", "--from", "alice", "--hotkey", "vhot", "--netuid", "1", "--uids", "1,2",
        "--values", "1,1",
    ]);
    assert_eq!(
        cli.ok(&["subnet", "metagraph", "1"])["weights"][0],
        serde_json::json!([[1, 65535], [2, 65535]])
    );
    // Incentive follows the weights after an epoch.
    wait_next_epoch(&cli, "1");
    wait_next_epoch(&cli, "1");
    let mg = cli.ok(&["subnet", "metagraph", "1"]);
    assert!(
        u(&mg["incentive"][1]) > 0 && u(&mg["incentive"][2]) > 0,
        "{mg}"
    );

    // Axon serving.
    cli.tx(&[
        "axon", "serve", "--from", "bob", "--hotkey", "mhot", "--netuid", "1", "--ip", "10.0.0.7",
        "--port", "8091",
    ]);
    let axon = &cli.ok(&["subnet", "metagraph", "1"])["axons"][1];
    assert_eq!(axon["port"], 8091);
    assert_eq!(
        axon["ip"],
        u32::from(std::net::Ipv4Addr::new(10, 0, 0, 7)).to_string()
    );

    // Delegate take: the owner sets it within the maximum.
    assert_eq!(
        cli.refused(&[
            "stake", "set-take", "--from", "alice", "--hotkey", "vhot", "--take", "0.5",
        ]),
        "take_too_high"
    );
    cli.tx(&[
        "stake", "set-take", "--from", "alice", "--hotkey", "vhot", "--take", "0.1",
    ]);

    // Move half of ferdie's stake to another hotkey on the same subnet (no swap).
    let ferdie_alpha = position(&cli, "ferdie", &hot["vhot"], 1);
    let half = ferdie_alpha / 2;
    cli.tx(&[
        "stake",
        "move",
        "--from",
        "ferdie",
        "--origin-hotkey",
        "vhot",
        "--dest-hotkey",
        "mhot",
        "--origin-netuid",
        "1",
        "--dest-netuid",
        "1",
        "--amount",
        &dec(half),
    ]);
    let moved = position(&cli, "ferdie", &hot["mhot"], 1);
    assert!(
        moved + 1 >= half && moved <= half,
        "moved {moved} of {half}"
    );
    // Transfer it to dave.
    cli.tx(&[
        "stake",
        "transfer",
        "--from",
        "ferdie",
        "--to",
        "dave",
        "--hotkey",
        "mhot",
        "--origin-netuid",
        "1",
        "--dest-netuid",
        "1",
        "--amount",
        &dec(moved),
    ]);
    assert_eq!(position(&cli, "ferdie", &hot["mhot"], 1), 0);
    assert!(position(&cli, "dave", &hot["mhot"], 1) > 0);

    // Swap the rest into a second subnet, through both pools.
    cli.tx(&["subnet", "create", "--from", "dave", "--hotkey", "o2hot"]);
    cli.tx(&["subnet", "start", "2", "--from", "dave"]);
    let rest = position(&cli, "ferdie", &hot["vhot"], 1);
    cli.tx(&[
        "stake",
        "swap",
        "--from",
        "ferdie",
        "--hotkey",
        "vhot",
        "--origin-netuid",
        "1",
        "--dest-netuid",
        "2",
        "--amount",
        &dec(rest),
    ]);
    assert_eq!(position(&cli, "ferdie", &hot["vhot"], 1), 0);
    assert!(position(&cli, "ferdie", &hot["vhot"], 2) > 0);
    assert_eq!(
        cli.ok(&["subnet", "list"]).as_array().map(Vec::len),
        Some(2)
    );

    // Unstake: eve's whole position back to SYN.
    let eve_before = u(&cli.ok(&["balance", "eve"])["balance"]);
    cli.tx(&[
        "stake", "remove", "--from", "eve", "--hotkey", "vhot", "--netuid", "1", "--all",
        "--unsafe", "--yes",
    ]);
    assert_eq!(position(&cli, "eve", &hot["vhot"], 1), 0);
    assert!(u(&cli.ok(&["balance", "eve"])["balance"]) > eve_before);

    // Root stake: listed under the hotkey, and unstaked again.
    cli.tx(&[
        "root", "stake", "--from", "eve", "--hotkey", "vhot", "--amount", "10",
    ]);
    let roots = cli.ok(&["root", "list"]);
    let entry = roots
        .as_array()
        .expect("root validators")
        .iter()
        .find(|r| r["hotkey"] == hot["vhot"].as_str())
        .expect("vhot on root");
    assert_eq!(u(&entry["stake"]), 10_000_000_000);
    assert_eq!(position(&cli, "eve", &hot["vhot"], 0), 10_000_000_000);
    cli.tx(&[
        "root", "unstake", "--from", "eve", "--hotkey", "vhot", "--amount", "4",
    ]);
    assert_eq!(position(&cli, "eve", &hot["vhot"], 0), 6_000_000_000);

    // Identities: shown in the subnet list and the root list.
    cli.tx(&[
        "subnet",
        "set-identity",
        "1",
        "--from",
        "alice",
        "--name",
        "Echo subnet",
        "--url",
        "https://echo.example",
        "--description",
        "echoes",
    ]);
    cli.tx(&[
        "hotkey",
        "set-identity",
        "--from",
        "alice",
        "--hotkey",
        "vhot",
        "--name",
        "Val One",
    ]);
    let list = cli.ok(&["subnet", "list"]);
    assert_eq!(list[0]["identity"]["name"], "Echo subnet", "{list}");
    assert_eq!(list[0]["identity"]["url"], "https://echo.example");
    let roots = cli.ok(&["root", "list"]);
    assert!(
        roots
            .as_array()
            .expect("roots")
            .iter()
            .any(|r| r["identity"]["name"] == "Val One"),
        "{roots}"
    );
    let (ok, out, err) = cli.run(&[
        "subnet",
        "set-identity",
        "1",
        "--from",
        "alice",
        "--name",
        "x",
        "--url",
        "echo.example",
    ]);
    assert!(
        !ok && (out + &err).contains("http"),
        "checked before sending"
    );
    assert_eq!(
        cli.refused(&[
            "subnet",
            "set-identity",
            "1",
            "--from",
            "dave",
            "--name",
            "mine"
        ]),
        "not_subnet_owner"
    );

    // Hotkey swap: vhot (the owner hotkey, UID 0, staked on root) becomes vhot2; the UID,
    // the subnet's ownership, the stake and the identity follow.
    let before = cli.ok(&["subnet", "metagraph", "1"]);
    let dave_on_mhot = position(&cli, "dave", &hot["mhot"], 1);
    cli.ok(&["key", "new", "vhot2", "--kind", "hot"]);
    let vhot2 = cli.ok(&["key", "show", "vhot2"])["account"]
        .as_str()
        .expect("account")
        .to_string();
    let eve_root = position(&cli, "eve", &hot["vhot"], 0);
    cli.tx(&[
        "hotkey", "swap", "--from", "alice", "--old", "vhot", "--new", "vhot2",
    ]);
    let after = cli.ok(&["subnet", "metagraph", "1"]);
    assert_eq!(after["hotkeys"][0], vhot2.as_str());
    assert_eq!(after["subnet"]["owner_hotkey"], vhot2.as_str());
    assert_eq!(after["weights"][0], before["weights"][0]);
    assert_eq!(after["identities"][0]["name"], "Val One");
    assert_eq!(position(&cli, "eve", &vhot2, 0), eve_root);
    assert_eq!(position(&cli, "eve", &hot["vhot"], 0), 0);
    assert_eq!(
        position(&cli, "dave", &hot["mhot"], 1),
        dave_on_mhot,
        "others untouched"
    );
    // A used hotkey cannot be the new one.
    assert_eq!(
        cli.refused(&[
            "hotkey", "swap", "--from", "alice", "--old", "vhot2", "--new", "mhot"
        ]),
        "hotkey_in_use"
    );

    // Text output works for the queries too (no --json).
    let out = synod()
        .args(["--rpc", &net.rpc, "--dev", "subnet", "metagraph", "1"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("subnet 1") && text.contains("10.0.0.7:8091"),
        "{text}"
    );
}
