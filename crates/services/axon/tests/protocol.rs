//! Every refusal of the request protocol, one by one, through a real HTTP server (axum on
//! loopback) and the validator client: each bad request is refused with its own kind and
//! changes nothing; a valid one passes and its answer is signed by the miner; a fan-out reports
//! each miner's answer (or timeout) with its latency.

use axum::Router;
use axum::routing::post;
use std::collections::HashMap;
use std::time::Duration;
use synod_axon::protocol::{headers, new_request_id, now_ms, sign_request};
use synod_axon::{Answer, Axon, AxonConfig, Caller, Dendrite, Member, Membership, Target};
use synod_primitives::{AccountId, Keypair};

const CHAIN: &str = "synod-test";
const NETUID: u16 = 3;

/// A fixed subnet (the chain-backed `ChainMembership` is exercised by the CLI's end-to-end
/// test against a devnet).
struct Fixed(HashMap<AccountId, Member>);

impl Membership for Fixed {
    async fn lookup(&self, hotkey: AccountId) -> Result<Option<Member>, String> {
        Ok(self.0.get(&hotkey).copied())
    }
}

fn members() -> Fixed {
    Fixed(HashMap::from([
        (
            Keypair::dev("validator").account(),
            Member {
                uid: 0,
                stake: 5_000,
            },
        ),
        (Keypair::dev("poor").account(), Member { uid: 1, stake: 10 }),
    ]))
}

async fn answer(
    axum::Extension(caller): axum::Extension<Caller>,
    body: axum::body::Bytes,
) -> String {
    format!("uid {} said {}", caller.uid, String::from_utf8_lossy(&body))
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(2)).await;
    "late"
}

/// Starts a miner; returns its target and its axon.
async fn miner(name: &str, min_stake: u64) -> (Target, Axon<Fixed>) {
    let key = Keypair::dev(name);
    let mut cfg = AxonConfig::new(key.clone(), CHAIN, NETUID);
    cfg.min_stake = min_stake;
    cfg.max_skew = Duration::from_secs(5);
    let axon = Axon::new(cfg, members());
    let app = axon.protect(
        Router::new()
            .route("/task", post(answer))
            .route("/slow", post(slow)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (
        Target {
            hotkey: key.account(),
            url,
        },
        axon,
    )
}

/// Sends a request with `headers` as given (possibly tampered).
async fn raw(url: &str, path: &str, body: &str, hs: &[(&str, String)]) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .body(body.to_string());
    for (k, v) in hs {
        req = req.header(*k, v);
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    let text = r.text().await.expect("text");
    (status, text)
}

/// Request headers as sent.
type Headers = Vec<(&'static str, String)>;

fn kind(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("<no kind: {text}>"))
}

fn signed(
    key: &Keypair,
    target: &Target,
    path: &str,
    body: &str,
    ts: u64,
) -> Vec<(&'static str, String)> {
    sign_request(
        key,
        CHAIN,
        NETUID,
        &target.hotkey,
        "POST",
        path,
        body.as_bytes(),
        new_request_id(),
        ts,
    )
}

fn replace(hs: &[(&'static str, String)], name: &str, value: &str) -> Vec<(&'static str, String)> {
    hs.iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == name {
                    value.to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_is_refused_with_its_kind() {
    let (target, axon) = miner("miner-a", 100).await;
    let validator = Keypair::dev("validator");
    let good = signed(&validator, &target, "/task", "2+2", now_ms());
    let other_target = Target {
        hotkey: Keypair::dev("someone-else").account(),
        url: target.url.clone(),
    };
    let without = |name: &str| -> Vec<(&'static str, String)> {
        good.iter().filter(|(k, _)| *k != name).cloned().collect()
    };
    let cases: Vec<(&str, &str, Headers, &str)> = vec![
        ("no headers at all", "2+2", vec![], "missing_header"),
        (
            "no signature",
            "2+2",
            without(headers::SIGNATURE),
            "missing_header",
        ),
        (
            "an empty signature",
            "2+2",
            replace(&good, headers::SIGNATURE, ""),
            "bad_signature",
        ),
        (
            "a signature of other bytes",
            "2+2",
            replace(&good, headers::SIGNATURE, &"11".repeat(64)),
            "bad_signature",
        ),
        ("a tampered body", "2+3", good.clone(), "bad_signature"),
        (
            "a malformed timestamp",
            "2+2",
            replace(&good, headers::TIMESTAMP, "soon"),
            "malformed_header",
        ),
        (
            "another version",
            "2+2",
            replace(&good, headers::VERSION, "2"),
            "unsupported_version",
        ),
        (
            "signed for another miner",
            "2+2",
            signed(&validator, &other_target, "/task", "2+2", now_ms()),
            "wrong_target",
        ),
        (
            "another chain",
            "2+2",
            replace(&good, headers::CHAIN, "other"),
            "wrong_chain",
        ),
        (
            "another subnet",
            "2+2",
            replace(&good, headers::NETUID, "4"),
            "wrong_subnet",
        ),
        (
            "a timestamp a minute old",
            "2+2",
            signed(&validator, &target, "/task", "2+2", now_ms() - 60_000),
            "stale_request",
        ),
        (
            "a timestamp a minute ahead",
            "2+2",
            signed(&validator, &target, "/task", "2+2", now_ms() + 60_000),
            "stale_request",
        ),
        (
            "a hotkey not on the subnet",
            "2+2",
            signed(&Keypair::dev("stranger"), &target, "/task", "2+2", now_ms()),
            "not_registered",
        ),
        (
            "a member below the stake minimum",
            "2+2",
            signed(&Keypair::dev("poor"), &target, "/task", "2+2", now_ms()),
            "insufficient_stake",
        ),
    ];
    for (what, body, hs, want) in &cases {
        let (status, text) = raw(&target.url, "/task", body, hs).await;
        assert!(status >= 400, "{what}: served ({status} {text})");
        assert_eq!(kind(&text), *want, "{what}");
    }
    // The path is signed too: the same headers on another route are refused.
    let (_, text) = raw(&target.url, "/slow", "2+2", &good).await;
    assert_eq!(kind(&text), "bad_signature");
    assert_eq!(
        axon.counts(),
        (0, cases.len() as u64 + 1),
        "nothing was served"
    );

    let (status, text) = raw(&target.url, "/task", "2+2", &good).await;
    assert_eq!((status, text.as_str()), (200, "uid 0 said 2+2"));
    let (status, text) = raw(&target.url, "/task", "2+2", &good).await;
    assert_eq!((status, kind(&text).as_str()), (401, "replayed_request"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_fans_out_and_gets_each_answer_with_its_latency() {
    let (a, _) = miner("miner-a", 0).await;
    let (b, _) = miner("miner-b", 0).await;
    // A miner whose answers are not signed by the hotkey the validator expects.
    let (c, _) = miner("miner-c", 0).await;
    let impostor = Target {
        hotkey: Keypair::dev("miner-d").account(),
        url: c.url.clone(),
    };
    let gone = Target {
        hotkey: Keypair::dev("miner-e").account(),
        url: "http://127.0.0.1:9".into(),
    };
    let d = Dendrite::new(Keypair::dev("validator"), CHAIN, NETUID).expect("client");
    let answers: Vec<Answer> = d
        .fan_out(
            &[a.clone(), b.clone(), impostor, gone],
            "POST",
            "/task",
            b"ping",
            Duration::from_secs(5),
        )
        .await;
    assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
    assert_eq!(&answers[0].body[..], b"uid 0 said ping");
    assert_eq!(answers[0].hotkey, a.hotkey);
    // Signed for miner-d, served by miner-c: refused there as wrong_target.
    assert_eq!(answers[2].error.as_deref(), Some("wrong_target"));
    assert_eq!(answers[3].error.as_deref(), Some("unreachable"));
    assert!(answers.iter().all(|x| x.latency < Duration::from_secs(5)));
    // A timeout is reported as one, within the limit.
    let late = d
        .fan_out(&[a], "POST", "/slow", b"", Duration::from_millis(300))
        .await;
    assert_eq!(late[0].error.as_deref(), Some("timeout"));
    assert!(late[0].latency < Duration::from_secs(2));
}
