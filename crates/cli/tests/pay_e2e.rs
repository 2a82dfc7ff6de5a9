//! Pay-per-call end to end with real processes: a `synod dev` chain, the example paid service
//! (`synod service serve-example`, its revenue shared with a model asset), and an agent whose
//! session buys calls through `synod pay fetch`. A metered call charges what was metered; a
//! revoked session is refused at once; the session buys exactly 1,000 calls and the next one
//! is refused with `period_cap_exceeded`; after settlement (batched, on chain) the payer, the
//! payee and the asset's vault hold exactly what they should.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

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

fn balance(rpc: &str, ks: &Path, who: &str) -> u64 {
    ok(rpc, ks, &["balance", who])["balance"]
        .as_u64()
        .expect("balance")
}

fn event<'a>(receipt: &'a Value, name: &str) -> &'a Value {
    receipt["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {receipt}"))
}

/// The example service as its own process, killed when dropped.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(rpc: &str, ks: &Path, extra: &[&str]) -> Service {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = synod()
        .args(["--rpc", rpc, "--dev", "--json", "--keystore"])
        .arg(ks)
        .args(["service", "serve-example", "--listen", &listen])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the example service");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the service announces itself");
    let started: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    Service {
        child,
        url: started["url"].as_str().expect("url").to_string(),
    }
}

#[test]
fn a_session_buys_a_thousand_calls_and_every_balance_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ks = dir.path().join("keys");
    let net = Devnet::start(&dir.path().join("chain"));
    let rpc = net.rpc.as_str();
    for k in ["shopper", "sess1", "sess2"] {
        ok(rpc, &ks, &["key", "new", k, "--no-passphrase"]);
    }
    ok(
        rpc,
        &ks,
        &[
            "transfer", "--from", "alice", "--to", "shopper", "--amount", "10",
        ],
    );
    let model = event(
        &ok(
            rpc,
            &ks,
            &[
                "asset",
                "register",
                "--from",
                "dave",
                "--kind",
                "model",
                "--name",
                "echo-model",
            ],
        ),
        "registered",
    )["asset"]
        .as_u64()
        .expect("asset id");
    // The service pays charlie; a quarter of every payment goes to the model's vault.
    let svc = serve(
        rpc,
        &ks,
        &[
            "--from",
            "bob",
            "--payee",
            "charlie",
            "--uses",
            &format!("{model}=2500"),
        ],
    );
    let echo = format!("{}/v1/echo", svc.url);
    let shown = ok(rpc, &ks, &["service", "show", "example.echo"]);
    assert_eq!(shown["spec"]["uses"][0]["share_bps"], 2500, "{shown}");

    // Unpaid: 402 with the requirements.
    let (status, body) = http("POST", &echo, "x");
    assert_eq!(status, 402, "{body}");
    let req: Value = serde_json::from_str(&body).expect("requirements");
    assert_eq!(req["scheme"], "synod-v1");
    assert_eq!(req["price"], "10");

    // A metered call with alice's own key: 5 words at 3 each.
    let (success, out, err) = cli(
        rpc,
        &ks,
        &[
            "pay",
            "fetch",
            "-X",
            "POST",
            "-d",
            "one two three four five",
            "--from",
            "alice",
            &format!("{}/v1/words", svc.url),
        ],
    );
    assert!(success, "{out} {err}");
    let r = first_json(&out);
    assert_eq!(r["payment"]["amount"], "15", "{r}");

    ok(
        rpc,
        &ks,
        &[
            "agent", "register", "--from", "alice", "--agent", "shopper", "--name", "shopper",
        ],
    );
    // 10 base units a call, 10,010 a period (one call by the first session, then exactly
    // 1,000 by the second), charlie only, service payments only.
    let receipt = ok(
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
            "0.00000001",
            "--total",
            "1",
            "--period-blocks",
            "1000000",
            "--period-cap",
            "0.00001001",
            "--expires-in",
            "1000000",
            "--call",
            "service_pay",
            "--payee",
            "charlie",
        ],
    );
    let intent = event(&receipt, "intent_set")["intent"]
        .as_str()
        .expect("intent")
        .to_string();
    for s in ["sess1", "sess2"] {
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
                s,
                "--expires-in",
                "500000",
            ],
        );
    }
    let fetch = |session: &str, repeat: &str| {
        cli(
            rpc,
            &ks,
            &[
                "pay",
                "fetch",
                "-X",
                "POST",
                "-d",
                "x",
                "--session",
                session,
                "--repeat",
                repeat,
                &echo,
            ],
        )
    };
    let wait_for = |who: &str, want: u64| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while balance(rpc, &ks, who) != want {
            assert!(
                Instant::now() < deadline,
                "{who} never reached {want}: not settled"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    // sess1 pays once (settled before it is revoked: a revocation also refuses what was
    // accepted and not yet settled); revoked, it is refused at once.
    let before = balance(rpc, &ks, "alice");
    let (success, out, err) = fetch("sess1", "1");
    assert!(success, "{out} {err}");
    wait_for("alice", before - 10);
    ok(rpc, &ks, &["session", "revoke", "--from", "alice", "sess1"]);
    let (success, out, err) = fetch("sess1", "1");
    assert!(!success, "a revoked session paid: {out}");
    assert!(
        format!("{out}{err}").contains("session_revoked"),
        "{out} {err}"
    );

    let alice = balance(rpc, &ks, "alice");
    let charlie = balance(rpc, &ks, "charlie");
    let vault_account = synod_assets::vault_account(model).to_string();
    let vault = balance(rpc, &ks, &vault_account);

    // sess2 buys until the period cap refuses: exactly 1,000 calls.
    let started = Instant::now();
    let (success, out, err) = fetch("sess2", "1001");
    assert!(!success, "the 1,001st call was served: {out}");
    let summary = first_json(&out);
    assert_eq!(summary["calls"], 1000, "{summary} {err}");
    assert_eq!(summary["paid"], "10000", "{summary}");
    assert_eq!(
        summary["refused"]["kind"], "period_cap_exceeded",
        "{summary}"
    );
    eprintln!(
        "1,000 paid calls through pay fetch in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Settlement is batched and follows the answers: wait until it is all final.
    wait_for("alice", alice - 10_000);
    // The payer paid 10 a call and no fees (a session's authorizations are not transactions);
    // each 10 split 2 to the model's vault (25 %, rounded down) and 8 to the payee.
    assert_eq!(balance(rpc, &ks, "charlie"), charlie + 8_000);
    assert_eq!(balance(rpc, &ks, &vault_account), vault + 2_000);
    let shown = ok(rpc, &ks, &["service", "show", "example.echo"]);
    // 1,000 by sess2, one by sess1, one metered call by alice.
    assert_eq!(shown["settled"], 1002, "{shown}");
    let session = ok(rpc, &ks, &["session", "show", "sess2"]);
    assert_eq!(session["spent"]["spent_total"], "10000", "{session}");
    drop(svc);
}
