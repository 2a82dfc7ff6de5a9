//! Agents and sessions end to end against a real `synod dev` through the CLI: a user registers
//! an agent (its key consents), signs an intent (per-tx, per-period and total caps, one payee),
//! the agent opens a session with a fresh key, and the session pays as the user: amounts land
//! exactly; the period cap refuses the next payment at admission with `period_cap_exceeded`
//! until the next period; a payee outside the scope is refused; revoking the session refuses
//! its next payment at once; the DID resolves.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use synod_rpc::SynodApiClient;

const SYN: u64 = 1_000_000_000;

fn cli(rpc: &str, keystore: &Path, args: &[&str]) -> (bool, String, String) {
    let out = synod()
        .args(["--rpc", rpc, "--dev", "--json", "--keystore"])
        .arg(keystore)
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

fn ok(rpc: &str, ks: &Path, args: &[&str]) -> Value {
    let (success, out, err) = cli(rpc, ks, args);
    assert!(success, "synod {args:?} failed: {out} {err}");
    let v = first_json(&out);
    if v.get("outcome").is_some() {
        assert_eq!(v["outcome"]["status"], "success", "{v}");
    }
    v
}

/// A command the node refuses at admission; what it printed (the error is JSON on stdout
/// with --json).
fn refused(rpc: &str, ks: &Path, args: &[&str]) -> String {
    let (success, out, err) = cli(rpc, ks, args);
    assert!(!success, "synod {args:?} should be refused: {out}");
    format!("{out}{err}")
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn balance(rpc: &str, ks: &Path, who: &str) -> u64 {
    ok(rpc, ks, &["balance", who])["balance"]
        .as_u64()
        .expect("balance")
}

#[test]
fn a_session_pays_within_its_caps_and_stops_when_revoked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ks = dir.path().join("keys");
    let net = Devnet::start(&dir.path().join("chain"));
    let rt = runtime();
    let rpc = net.rpc.as_str();
    for k in ["shopper", "sess1"] {
        ok(rpc, &ks, &["key", "new", k, "--no-passphrase"]);
        // Each key pays the fees of its own transactions.
        ok(
            rpc,
            &ks,
            &["transfer", "--from", "alice", "--to", k, "--amount", "10"],
        );
    }
    ok(
        rpc,
        &ks,
        &[
            "agent", "register", "--from", "alice", "--agent", "shopper", "--name", "shopper",
        ],
    );
    let alice = ok(rpc, &ks, &["balance", "alice"])["account"]
        .as_str()
        .expect("account")
        .to_string();
    let shown = ok(
        rpc,
        &ks,
        &["agent", "show", &format!("did:synod:{alice}/shopper")],
    );
    assert_eq!(shown["user"], alice.as_str(), "{shown}");

    // Intent: 1 SYN per payment, 3 SYN per 200-block period, 100 SYN in total, charlie only.
    let (success, out, err) = cli(
        rpc,
        &ks,
        &[
            "agent",
            "intent",
            "--from",
            "alice",
            "--agent",
            "shopper",
            "--per-tx",
            "1",
            "--total",
            "100",
            "--period-blocks",
            "200",
            "--period-cap",
            "3",
            "--expires-in",
            "100000",
            "--call",
            "transfer",
            "--payee",
            "charlie",
        ],
    );
    assert!(success, "{out} {err}");
    let receipt = first_json(&out);
    let intent = receipt["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "agents" && e["event"] == "intent_set")
        .expect("intent_set")["intent"]
        .as_str()
        .expect("hash")
        .to_string();
    ok(
        rpc,
        &ks,
        &[
            "session",
            "open",
            "--from",
            "shopper",
            "--intent",
            &intent,
            "--session",
            "sess1",
            "--expires-in",
            "50000",
        ],
    );

    let charlie = balance(rpc, &ks, "charlie");
    let alice_before = balance(rpc, &ks, "alice");
    let pay = |to: &str, amount: &str| -> Vec<String> {
        [
            "session",
            "pay",
            "--session",
            "sess1",
            "--to",
            to,
            "--amount",
            amount,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let first = ok(rpc, &ks, &args(&pay("charlie", "1")));
    let period_start = first["height"].as_u64().expect("height");
    let err = refused(rpc, &ks, &args(&pay("charlie", "1.5")));
    assert!(err.contains("cap_per_tx_exceeded"), "{err}");
    let err = refused(rpc, &ks, &args(&pay("dave", "1")));
    assert!(err.contains("payee_not_allowed"), "{err}");
    ok(rpc, &ks, &args(&pay("charlie", "1")));
    ok(rpc, &ks, &args(&pay("charlie", "1")));
    let err = refused(rpc, &ks, &args(&pay("charlie", "1")));
    assert!(err.contains("period_cap_exceeded"), "{err}");
    // Exact amounts: charlie got 3 SYN, alice paid 3 SYN and no fee (the session key did).
    assert_eq!(balance(rpc, &ks, "charlie"), charlie + 3 * SYN);
    assert_eq!(balance(rpc, &ks, "alice"), alice_before - 3 * SYN);
    let session = ok(rpc, &ks, &["session", "show", "sess1"]);
    assert_eq!(session["spent"]["spent_total"], "3000000000", "{session}");

    // The next period opens the cap again (periods count from the intent's start).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = rt
            .block_on(net.client().heads())
            .expect("heads")
            .finalized_height;
        if h >= period_start + 201 {
            break;
        }
        assert!(Instant::now() < deadline, "chain stalled");
        std::thread::sleep(Duration::from_millis(100));
    }
    ok(rpc, &ks, &args(&pay("charlie", "1")));

    // Revocation stops the session at once.
    ok(rpc, &ks, &["session", "revoke", "--from", "alice", "sess1"]);
    let err = refused(rpc, &ks, &args(&pay("charlie", "1")));
    assert!(err.contains("session_revoked"), "{err}");
    assert_eq!(balance(rpc, &ks, "charlie"), charlie + 4 * SYN);
    drop(net);
}

/// Receipt fee.
fn fee(receipt: &Value) -> u64 {
    receipt["fee_paid"].as_u64().expect("fee")
}

#[test]
fn an_undelivered_deal_refunds_the_buyer_and_a_delivered_one_pays_the_seller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ks = dir.path().join("keys");
    let net = Devnet::start(&dir.path().join("chain"));
    let rt = runtime();
    let rpc = net.rpc.as_str();
    let deal_id = |r: &Value| -> String {
        r["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["type"] == "agents" && e["event"] == "deal_proposed")
            .expect("deal_proposed")["deal"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let propose = |salt: &str| {
        ok(
            rpc,
            &ks,
            &[
                "deal",
                "propose",
                "--from",
                "alice",
                "--buyer",
                "alice",
                "--seller",
                "bob",
                "--deliverable",
                "1,000 labelled reviews",
                "--criteria",
                "95% agreement",
                "--price",
                "5",
                "--funding-in",
                "30",
                "--delivery-in",
                "60",
                "--review",
                "20",
                "--salt",
                salt,
            ],
        )
    };

    // 1. The seller never delivers: the buyer gets the escrow back at the deadline.
    let r = propose("0");
    let id = deal_id(&r);
    let mut alice_fees = fee(&r);
    let (success, out, _) = cli(rpc, &ks, &["deal", "fund", &id, "--from", "alice"]);
    assert!(!success, "funding before the seller signed must fail");
    let r = first_json(&out);
    assert_eq!(r["outcome"]["status"], "failed", "{r}");
    assert_eq!(r["outcome"]["failure"]["kind"], "deal_refused", "{r}");
    alice_fees += fee(&r);
    ok(rpc, &ks, &["deal", "sign", &id, "--from", "bob"]);
    let alice_start = balance(rpc, &ks, "alice") + alice_fees;
    let r = ok(rpc, &ks, &["deal", "fund", &id, "--from", "alice"]);
    alice_fees += fee(&r);
    assert_eq!(
        balance(rpc, &ks, "alice"),
        alice_start - alice_fees - 5 * SYN
    );
    let deadline = ok(rpc, &ks, &["deal", "show", &id])["terms"]["delivery_deadline"]
        .as_u64()
        .expect("deadline");
    let until = Instant::now() + Duration::from_secs(60);
    while rt
        .block_on(net.client().heads())
        .expect("heads")
        .finalized_height
        <= deadline
    {
        assert!(Instant::now() < until, "chain stalled");
        std::thread::sleep(Duration::from_millis(100));
    }
    let shown = ok(rpc, &ks, &["deal", "show", &id]);
    assert_eq!(shown["state"]["state"], "expired", "{shown}");
    assert_eq!(balance(rpc, &ks, "alice"), alice_start - alice_fees);

    // 2. Delivered and accepted: the seller is paid exactly the price.
    let r = propose("1");
    let id = deal_id(&r);
    let bob_start = balance(rpc, &ks, "bob");
    let mut bob_fees = fee(&ok(rpc, &ks, &["deal", "sign", &id, "--from", "bob"]));
    ok(rpc, &ks, &["deal", "fund", &id, "--from", "alice"]);
    bob_fees += fee(&ok(
        rpc,
        &ks,
        &[
            "deal",
            "deliver",
            &id,
            "--from",
            "bob",
            "--delivery",
            "s3://bucket/reviews",
        ],
    ));
    let r = ok(rpc, &ks, &["deal", "accept", &id, "--from", "alice"]);
    let paid: u64 = r["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == "escrow" && e["into"] == false)
        .map(|e| {
            e["amount"]
                .as_str()
                .expect("amount")
                .parse::<u64>()
                .expect("u64")
        })
        .sum();
    assert_eq!(paid, 5 * SYN);
    assert_eq!(balance(rpc, &ks, "bob"), bob_start - bob_fees + 5 * SYN);
    assert_eq!(
        ok(rpc, &ks, &["deal", "show", &id])["state"]["state"],
        "accepted"
    );
    drop(net);
}

/// A state file as `synod channel` reads it.
fn state_file(state: &synod_agents_rules::ChannelState, payer: &str, payee: &str) -> Value {
    let sign = |who: &str| {
        synod_primitives::Keypair::dev(who)
            .sign(&state.signing_payload())
            .to_string()
    };
    serde_json::json!({
        "state": state,
        "payer_sig": sign(payer),
        "payee_sig": sign(payee),
    })
}

#[test]
fn a_channel_of_10000_updates_settles_exactly_and_a_stale_close_is_overridden() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ks = dir.path().join("keys");
    let net = Devnet::start(&dir.path().join("chain"));
    let rt = runtime();
    let rpc = net.rpc.as_str();
    let alice_start = balance(rpc, &ks, "alice");
    let bob_start = balance(rpc, &ks, "bob");
    let r = ok(
        rpc,
        &ks,
        &[
            "channel",
            "open",
            "--from",
            "alice",
            "--to",
            "bob",
            "--deposit",
            "100",
            "--challenge",
            "30",
        ],
    );
    let mut alice_fees = fee(&r);
    let channel = r["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"] == "channel_opened")
        .expect("opened")["channel"]
        .as_str()
        .expect("id")
        .to_string();
    // Two payments through the CLI: the payer signs, the payee checks and co-signs.
    let file = dir.path().join("state.json");
    let file_s = file.to_str().expect("utf8");
    for amount in ["0.25", "0.5"] {
        ok(
            rpc,
            &ks,
            &[
                "channel",
                "pay",
                "--channel",
                &channel,
                "--from",
                "alice",
                "--amount",
                amount,
                "--state",
                file_s,
            ],
        );
        ok(
            rpc,
            &ks,
            &["channel", "receive", "--from", "bob", "--state", file_s],
        );
    }
    let after_cli: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let mut state: synod_agents_rules::ChannelState =
        serde_json::from_value(after_cli["state"].clone()).expect("state");
    assert_eq!(state.nonce, 2);
    assert_eq!(state.cumulative_paid, 750_000_000);
    // The library carries on to 10,000 updates of 1 to 7 thousand base units.
    let mut stale = None;
    while state.nonce < 10_000 {
        state = state
            .next(1_000 * (1 + u128::from(state.nonce % 7)))
            .expect("next");
        if state.nonce == 5_000 {
            stale = Some(state);
        }
    }
    let stale = stale.expect("stale");
    let stale_path = dir.path().join("stale.json");
    let latest_path = dir.path().join("latest.json");
    std::fs::write(&stale_path, state_file(&stale, "alice", "bob").to_string()).expect("write");
    std::fs::write(&latest_path, state_file(&state, "alice", "bob").to_string()).expect("write");

    // The payer closes on the stale state; the payee overrides it within the window.
    let r = ok(
        rpc,
        &ks,
        &[
            "channel",
            "close",
            "--from",
            "alice",
            "--channel",
            &channel,
            "--state",
            stale_path.to_str().expect("utf8"),
        ],
    );
    alice_fees += fee(&r);
    let ends = r["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"] == "channel_closing")
        .expect("closing")["challenge_ends"]
        .as_u64()
        .expect("height");
    let r = ok(
        rpc,
        &ks,
        &[
            "channel",
            "dispute",
            "--from",
            "bob",
            "--state",
            latest_path.to_str().expect("utf8"),
        ],
    );
    let bob_fees = fee(&r);
    let until = Instant::now() + Duration::from_secs(60);
    while rt
        .block_on(net.client().heads())
        .expect("heads")
        .finalized_height
        < ends
    {
        assert!(Instant::now() < until, "chain stalled");
        std::thread::sleep(Duration::from_millis(100));
    }
    let shown = ok(rpc, &ks, &["channel", "show", &channel]);
    assert_eq!(shown["phase"]["phase"], "closed", "{shown}");
    let paid = u64::try_from(state.cumulative_paid).expect("fits");
    assert_eq!(balance(rpc, &ks, "bob"), bob_start - bob_fees + paid);
    assert_eq!(balance(rpc, &ks, "alice"), alice_start - alice_fees - paid);
    drop(net);
}
