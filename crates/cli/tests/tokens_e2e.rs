//! The tokens module end to end against a real `synod dev` process (100 ms blocks, a 10-block
//! admin timelock): every `synod token` command with `--json`, typed refusals that change
//! nothing, the timelock (early and repeated execution refused), vesting (claim before the
//! cliff refused, linear release), emission, the `tokens_*` RPC namespace and `rpc.discover`,
//! and the supply invariant over every holder.

mod common;

use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use synod_rpc::SynodApiClient;

/// Runs `synod --rpc URL --dev --json ARGS`; returns (success, stdout, stderr).
fn cli(rpc: &str, args: &[&str]) -> (bool, String, String) {
    let out = synod()
        .args(["--rpc", rpc, "--dev", "--json"])
        .args(args)
        .output()
        .expect("run synod");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn first_json(out: &str) -> Value {
    serde_json::Deserializer::from_str(out)
        .into_iter::<Value>()
        .next()
        .expect("some JSON")
        .expect("valid JSON")
}

/// A command that must succeed; its JSON (a receipt for transactions).
fn ok(rpc: &str, args: &[&str]) -> Value {
    let (success, out, err) = cli(rpc, args);
    assert!(success, "synod {args:?} failed: {out} {err}");
    let v = first_json(&out);
    if v.get("outcome").is_some() {
        assert_eq!(v["outcome"]["status"], "success", "{v}");
    }
    v
}

/// A transaction that must be included and fail; its tokens failure kind.
fn fails(rpc: &str, args: &[&str]) -> String {
    let (success, out, _) = cli(rpc, args);
    assert!(!success, "synod {args:?} should fail: {out}");
    let r = first_json(&out);
    assert_eq!(r["outcome"]["status"], "failed", "{r}");
    let f = &r["outcome"]["failure"];
    assert_eq!(f["reason"], "tokens", "{f}");
    f["kind"].as_str().expect("kind").to_string()
}

/// The first event of a receipt named `name`.
fn event<'a>(receipt: &'a Value, name: &str) -> &'a Value {
    receipt["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "tokens" && e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {receipt}"))
}

fn amount(v: &Value) -> u128 {
    v.as_str().expect("decimal string").parse().expect("u128")
}

fn balance(rpc: &str, token: &str, who: &str) -> u128 {
    amount(&ok(rpc, &["token", "balance", token, who])["total"])
}

fn height(rt: &tokio::runtime::Runtime, net: &Devnet) -> u64 {
    rt.block_on(net.client().heads())
        .expect("heads")
        .finalized_height
}

fn wait_height(rt: &tokio::runtime::Runtime, net: &Devnet, target: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while height(rt, net) < target {
        assert!(Instant::now() < deadline, "chain stalled below {target}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const UNIT: u128 = 1_000_000; // POOL has 6 decimals

#[test]
fn tokens_work_end_to_end_through_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut net = Devnet::start_with(
        &dir.path().join("chain"),
        (free_port(), free_port(), free_port()),
        &["--token-timelock", "10"],
    );
    let rt = runtime();
    let rpc = net.rpc.as_str();

    // Create: the creator holds the initial supply; the event names the new id.
    let r = ok(
        rpc,
        &[
            "token",
            "create",
            "--from",
            "alice",
            "--symbol",
            "pool",
            "--name",
            "Pool Token",
            "--decimals",
            "6",
            "--max-supply",
            "1000000",
            "--initial-supply",
            "1000",
            "--emission-rate",
            "0.5",
            "--emission-recipient",
            "charlie",
        ],
    );
    let created = event(&r, "token_created");
    assert_eq!(created["token"], 1);
    assert_eq!(created["symbol"], "POOL");
    assert_eq!(
        fails(
            rpc,
            &[
                "token",
                "create",
                "--from",
                "bob",
                "--symbol",
                "POOL",
                "--name",
                "x",
                "--max-supply",
                "1"
            ]
        ),
        "symbol_taken"
    );
    assert_eq!(
        fails(
            rpc,
            &[
                "token",
                "create",
                "--from",
                "bob",
                "--symbol",
                "BIG",
                "--name",
                "x",
                "--max-supply",
                "1",
                "--initial-supply",
                "2"
            ]
        ),
        "exceeds_max_supply"
    );
    let info = ok(rpc, &["token", "info", "POOL"]);
    assert_eq!(amount(&info["supply"]), 1_000 * UNIT);
    assert_eq!(amount(&info["max_supply"]), 1_000_000 * UNIT);
    // `emittable` is what Emit would mint in the next block: the two reads may be a block
    // apart, so it is left out of the comparison.
    let without_emittable = |mut v: Value| {
        v.as_object_mut().expect("object").remove("emittable");
        v
    };
    assert_eq!(
        without_emittable(info.clone()),
        without_emittable(ok(rpc, &["token", "info", "1"])),
        "by id and by symbol"
    );
    let list = ok(rpc, &["token", "list"]);
    assert_eq!(list["tokens"].as_array().expect("tokens").len(), 1);

    // Transfer, and a transfer beyond the balance that changes nothing.
    ok(
        rpc,
        &[
            "token", "transfer", "POOL", "--from", "alice", "--to", "bob", "--amount", "100",
        ],
    );
    assert_eq!(balance(rpc, "POOL", "bob"), 100 * UNIT);
    assert_eq!(
        fails(
            rpc,
            &[
                "token",
                "transfer",
                "POOL",
                "--from",
                "bob",
                "--to",
                "dave",
                "--amount",
                "100.000001"
            ]
        ),
        "insufficient_balance"
    );
    assert_eq!(balance(rpc, "POOL", "bob"), 100 * UNIT);
    assert_eq!(balance(rpc, "POOL", "dave"), 0);

    // Allowances: spend within, refuse beyond.
    ok(
        rpc,
        &[
            "token",
            "approve",
            "POOL",
            "--from",
            "alice",
            "--spender",
            "charlie",
            "--amount",
            "50",
        ],
    );
    let a = ok(rpc, &["token", "allowance", "POOL", "alice", "charlie"]);
    assert_eq!(amount(&a["amount"]), 50 * UNIT);
    ok(
        rpc,
        &[
            "token",
            "transfer-from",
            "POOL",
            "--from",
            "charlie",
            "--owner",
            "alice",
            "--to",
            "dave",
            "--amount",
            "30",
        ],
    );
    assert_eq!(balance(rpc, "POOL", "dave"), 30 * UNIT);
    assert_eq!(
        fails(
            rpc,
            &[
                "token",
                "transfer-from",
                "POOL",
                "--from",
                "charlie",
                "--owner",
                "alice",
                "--to",
                "dave",
                "--amount",
                "30"
            ]
        ),
        "insufficient_allowance"
    );

    // Burn lowers the supply.
    ok(
        rpc,
        &["token", "burn", "POOL", "--from", "bob", "--amount", "10"],
    );
    assert_eq!(
        amount(&ok(rpc, &["token", "info", "POOL"])["burned"]),
        10 * UNIT
    );

    // Vesting: nothing before the cliff, then linear, all at the end.
    let r = ok(
        rpc,
        &[
            "token",
            "vest",
            "POOL",
            "--from",
            "alice",
            "--beneficiary",
            "eve",
            "--amount",
            "100",
            "--cliff",
            "5",
            "--duration",
            "20",
        ],
    );
    let vest = event(&r, "vesting_created");
    let vesting_id = vest["vesting_id"].as_u64().expect("id").to_string();
    let start = vest["start"].as_u64().expect("start");
    assert_eq!(
        fails(
            rpc,
            &[
                "token",
                "claim",
                "POOL",
                "--from",
                "eve",
                "--vesting",
                &vesting_id
            ]
        ),
        "claim_before_cliff"
    );
    wait_height(&rt, &net, start + 8);
    let r = ok(
        rpc,
        &[
            "token",
            "claim",
            "POOL",
            "--from",
            "eve",
            "--vesting",
            &vesting_id,
        ],
    );
    let claimed_at = r["height"].as_u64().expect("height");
    let claimed = amount(&event(&r, "vesting_claimed")["amount"]);
    let elapsed = u128::from((claimed_at - start).min(20));
    assert_eq!(
        claimed,
        100 * UNIT * elapsed / 20,
        "amount × elapsed / duration"
    );
    wait_height(&rt, &net, start + 21);
    ok(
        rpc,
        &[
            "token",
            "claim",
            "POOL",
            "--from",
            "eve",
            "--vesting",
            &vesting_id,
        ],
    );
    assert_eq!(
        balance(rpc, "POOL", "eve"),
        100 * UNIT,
        "everything at the end"
    );

    // Timelocked mint: refused early, executed once after the timelock, refused twice.
    let r = ok(
        rpc,
        &[
            "token", "mint", "POOL", "--from", "alice", "--to", "ferdie", "--amount", "5",
        ],
    );
    let queued = event(&r, "admin_action_queued");
    let action_id = queued["action_id"].as_u64().expect("id").to_string();
    let ready_at = queued["ready_at"].as_u64().expect("ready_at");
    let pending = ok(rpc, &["token", "admin", "pending", "POOL"]);
    assert_eq!(pending.as_array().expect("actions").len(), 1);
    assert_eq!(
        fails(
            rpc,
            &[
                "token", "admin", "execute", "POOL", &action_id, "--from", "alice"
            ]
        ),
        "timelock_active"
    );
    assert_eq!(balance(rpc, "POOL", "ferdie"), 0);
    wait_height(&rt, &net, ready_at);
    ok(
        rpc,
        &[
            "token", "admin", "execute", "POOL", &action_id, "--from", "alice",
        ],
    );
    assert_eq!(balance(rpc, "POOL", "ferdie"), 5 * UNIT);
    assert_eq!(
        fails(
            rpc,
            &[
                "token", "admin", "execute", "POOL", &action_id, "--from", "alice"
            ]
        ),
        "action_already_executed"
    );
    // Only the mint authority may queue a mint; a cancelled action cannot run.
    assert_eq!(
        fails(
            rpc,
            &[
                "token", "mint", "POOL", "--from", "bob", "--to", "bob", "--amount", "1"
            ]
        ),
        "not_mint_authority"
    );
    let r = ok(
        rpc,
        &[
            "token",
            "admin",
            "set-admin",
            "POOL",
            "--from",
            "alice",
            "--new",
            "bob",
        ],
    );
    let id = event(&r, "admin_action_queued")["action_id"]
        .as_u64()
        .expect("id")
        .to_string();
    ok(
        rpc,
        &["token", "admin", "cancel", "POOL", &id, "--from", "alice"],
    );
    assert_eq!(
        fails(
            rpc,
            &["token", "admin", "execute", "POOL", &id, "--from", "alice"]
        ),
        "action_cancelled"
    );

    // Emission: anyone pushes what accrued to the recipient.
    let r = ok(rpc, &["token", "emit", "POOL", "--from", "dave"]);
    let emitted = amount(&event(&r, "emitted")["amount"]);
    assert!(emitted > 0);
    assert_eq!(balance(rpc, "POOL", "charlie"), emitted);

    // The supply is exactly what the holders hold (nothing is left in vesting).
    let info = ok(rpc, &["token", "info", "POOL"]);
    let holders = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
    let held: u128 = holders.iter().map(|h| balance(rpc, "POOL", h)).sum();
    assert_eq!(amount(&info["supply"]), held);
    assert_eq!(amount(&info["escrowed"]), 0);
    assert_eq!(
        amount(&info["supply"]),
        1_000 * UNIT - 10 * UNIT + 5 * UNIT + emitted
    );

    // The namespace over raw JSON-RPC, and the OpenRPC document lists it.
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tokens_bySymbol","params":["POOL"]}"#;
    let (status, text) = http("POST", rpc, body);
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["result"]["token"], 1);
    let (_, text) = http(
        "POST",
        rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover","params":[]}"#,
    );
    let doc: Value = serde_json::from_str(&text).expect("json");
    let names: Vec<&str> = doc["result"]["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    for m in [
        "tokens_info",
        "tokens_balance",
        "subnets_metagraph",
        "validators_list",
        "synod_getBlock",
    ] {
        assert!(names.contains(&m), "{m} missing from rpc.discover");
    }

    // The devnet records its genesis (here with a 10-block timelock, not the dev default), so
    // `synod replay` re-executes the chain with it and every root matches.
    assert!(net.interrupt().success(), "clean shutdown");
    let out = synod()
        .args(["--json", "replay", "--data-dir"])
        .arg(&net.data_dir)
        .output()
        .expect("replay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(first_json(&stdout)["ok"], true);
}
