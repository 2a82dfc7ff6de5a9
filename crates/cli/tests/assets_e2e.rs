//! AI assets and attribution end to end against a real `synod dev` (100 ms blocks, 50-block
//! attribution windows) through the CLI: a dataset of three contributors whose weights are
//! computed by `synod attribution compute` with the real all-MiniLM-L6-v2 model on a labelled
//! text set and committed; a model trained on it under an open licence; a fine-tune under a
//! remix licence; a payment to the fine-tune reaching every vault and contributor in exact
//! amounts; an ownership transfer moving future revenue; refusals that change nothing; and a
//! wrong challenge that loses its bond to a jury of workers who recompute the evidence.
//!
//! Needs the model (`scripts/fetch-model.sh`, which `.ci/run` runs); skipped with a message
//! when it is absent.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use synod_rpc::SynodApiClient;

const SYN: u128 = 1_000_000_000;

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

fn ok(rpc: &str, args: &[&str]) -> Value {
    let (success, out, err) = cli(rpc, args);
    assert!(success, "synod {args:?} failed: {out} {err}");
    let v = first_json(&out);
    if v.get("outcome").is_some() {
        assert_eq!(v["outcome"]["status"], "success", "{v}");
    }
    v
}

/// A transaction that must be included and fail with an assets failure; its kind.
fn fails(rpc: &str, args: &[&str]) -> String {
    let (success, out, err) = cli(rpc, args);
    assert!(!success, "synod {args:?} should fail: {out}");
    let r = first_json(&out);
    assert_eq!(r["outcome"]["status"], "failed", "{r} {err}");
    let f = &r["outcome"]["failure"];
    assert_eq!(f["reason"], "assets", "{f}");
    f["kind"].as_str().expect("kind").to_string()
}

fn event<'a>(receipt: &'a Value, name: &str) -> &'a Value {
    receipt["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "assets" && e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {receipt}"))
}

fn amount(v: &Value) -> u128 {
    v.as_str().expect("decimal string").parse().expect("u128")
}

fn account_of(rpc: &str, name: &str) -> String {
    ok(rpc, &["balance", name])["account"]
        .as_str()
        .expect("account")
        .to_string()
}

/// What `who` may claim from `asset`'s vault, in SYN base units.
fn claimable(rpc: &str, who: &str, asset: u64) -> u128 {
    ok(rpc, &["asset", "claimable", who])
        .as_array()
        .expect("claims")
        .iter()
        .filter(|c| c["asset"] == asset && c["currency"] == "syn")
        .map(|c| amount(&c["amount"]))
        .sum()
}

fn syn_balance(rpc: &str, name: &str) -> u128 {
    let v = &ok(rpc, &["balance", name])["balance"];
    v.as_u64().map(u128::from).unwrap_or_else(|| amount(v))
}

fn wait_height(rt: &tokio::runtime::Runtime, net: &Devnet, target: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt
        .block_on(net.client().heads())
        .expect("heads")
        .finalized_height
        < target
    {
        assert!(Instant::now() < deadline, "chain stalled below {target}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn asset_id(receipt: &Value) -> u64 {
    event(receipt, "registered")["asset"].as_u64().expect("id")
}

/// `⌊a · b / c⌋` as the chain computes it.
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    a / c * b + (a % c) * b / c
}

#[test]
fn assets_and_attribution_work_end_to_end_through_the_cli() {
    let model_dir = std::env::var_os("SYNOD_MODEL_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".cache/synod/models/all-MiniLM-L6-v2"))
        });
    if !model_dir
        .as_ref()
        .is_some_and(|d| d.join("model.safetensors").exists())
    {
        eprintln!("SKIPPED: all-MiniLM-L6-v2 is not installed (run scripts/fetch-model.sh)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let net = Devnet::start_with(
        &dir.path().join("chain"),
        (free_port(), free_port(), free_port()),
        &["--attribution-window", "50"],
    );
    let rt = runtime();
    let rpc = net.rpc.as_str();

    // The labelled set, its third contributor played by the dev account charlie.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/attribution");
    let train = std::fs::read_to_string(examples.join("train.jsonl"))
        .expect("train set")
        .replace("\"contributor\": \"carol\"", "\"contributor\": \"charlie\"");
    let train_path = dir.path().join("train.jsonl");
    std::fs::write(&train_path, &train).expect("write");
    let validation_path = examples.join("validation.jsonl");
    let evidence = dir.path().join("evidence.json");
    let computed = ok(
        rpc,
        &[
            "attribution",
            "compute",
            "--train",
            train_path.to_str().expect("utf8"),
            "--validation",
            validation_path.to_str().expect("utf8"),
            "--k",
            "5",
            "--out",
            evidence.to_str().expect("utf8"),
        ],
    );
    let weights: Vec<(String, u64)> = computed["contributors"]
        .as_array()
        .expect("contributors")
        .iter()
        .map(|c| {
            (
                c["contributor"].as_str().expect("name").to_string(),
                c["weight"].as_u64().expect("weight"),
            )
        })
        .collect();
    assert_eq!(weights.iter().map(|w| w.1).sum::<u64>(), 1_000_000);
    let w = |n: &str| weights.iter().find(|x| x.0 == n).expect("listed").1;
    assert!(
        w("charlie") < w("alice") && w("charlie") < w("bob"),
        "{weights:?}"
    );

    // 1. The dataset, its attribution committed and in effect after the window.
    let r = ok(
        rpc,
        &[
            "asset",
            "register",
            "--from",
            "alice",
            "--kind",
            "dataset",
            "--name",
            "topics",
            "--content-file",
            train_path.to_str().expect("utf8"),
        ],
    );
    let data = asset_id(&r);
    let r = ok(
        rpc,
        &[
            "attribution",
            "commit",
            &data.to_string(),
            "--from",
            "alice",
            "--evidence",
            evidence.to_str().expect("utf8"),
            "--dataset",
            &data.to_string(),
        ],
    );
    let ends = event(&r, "committed")["challenge_ends"]
        .as_u64()
        .expect("height");
    wait_height(&rt, &net, ends + 1);
    let shown = ok(rpc, &["attribution", "show", "--asset", &data.to_string()]);
    // Contributors with no positive value get no record (weight 0).
    assert_eq!(
        shown["weights"].as_array().expect("weights").len(),
        weights.iter().filter(|x| x.1 > 0).count(),
        "{shown}"
    );
    let on_chain = |name: &str| -> u128 {
        let acct = account_of(rpc, name);
        shown["weights"]
            .as_array()
            .expect("weights")
            .iter()
            .find(|x| x[0] == acct.as_str())
            .map_or(0, |x| u128::from(x[1].as_u64().expect("w")))
    };
    assert_eq!(on_chain("charlie"), u128::from(w("charlie")));

    // 2. A model trained on it under an open licence (20% upstream, 1 SYN).
    let model = asset_id(&ok(
        rpc,
        &[
            "asset",
            "register",
            "--from",
            "dave",
            "--kind",
            "model",
            "--name",
            "topic-clf",
        ],
    ));
    assert_eq!(
        fails(
            rpc,
            &[
                "asset",
                "link",
                "--from",
                "dave",
                "--child",
                &model.to_string(),
                "--parent",
                &data.to_string(),
                "--relation",
                "trained-on",
            ],
        ),
        "licence_required"
    );
    let open = event(
        &ok(
            rpc,
            &[
                "asset",
                "licence",
                "offer",
                &data.to_string(),
                "--from",
                "alice",
                "--kind",
                "open",
                "--price",
                "1",
                "--share-bp",
                "2000",
            ],
        ),
        "licence_offered",
    )["offer"]
        .as_u64()
        .expect("offer")
        .to_string();
    ok(
        rpc,
        &[
            "asset",
            "licence",
            "buy",
            &data.to_string(),
            "--offer",
            &open,
            "--from",
            "dave",
        ],
    );
    ok(
        rpc,
        &[
            "asset",
            "link",
            "--from",
            "dave",
            "--child",
            &model.to_string(),
            "--parent",
            &data.to_string(),
            "--relation",
            "trained-on",
            "--licence",
            &open,
        ],
    );

    // 3. A fine-tune under a remix licence (30% upstream), refused before the licence.
    let tune = asset_id(&ok(
        rpc,
        &[
            "asset",
            "register",
            "--from",
            "eve",
            "--kind",
            "model",
            "--name",
            "topic-clf-ft",
        ],
    ));
    let remix = event(
        &ok(
            rpc,
            &[
                "asset",
                "licence",
                "offer",
                &model.to_string(),
                "--from",
                "dave",
                "--kind",
                "commercial-remix",
                "--share-bp",
                "3000",
            ],
        ),
        "licence_offered",
    )["offer"]
        .as_u64()
        .expect("offer")
        .to_string();
    assert_eq!(
        fails(
            rpc,
            &[
                "asset",
                "link",
                "--from",
                "eve",
                "--child",
                &tune.to_string(),
                "--parent",
                &model.to_string(),
                "--relation",
                "finetuned-from",
                "--licence",
                &remix,
            ],
        ),
        "no_licence"
    );
    ok(
        rpc,
        &[
            "asset",
            "licence",
            "buy",
            &model.to_string(),
            "--offer",
            &remix,
            "--from",
            "eve",
        ],
    );
    ok(
        rpc,
        &[
            "asset",
            "link",
            "--from",
            "eve",
            "--child",
            &tune.to_string(),
            "--parent",
            &model.to_string(),
            "--relation",
            "finetuned-from",
            "--licence",
            &remix,
        ],
    );
    // Bad input changes nothing: a cycle (even under a licence), an unknown parent,
    // commercial use without a licence.
    let tune_open = event(
        &ok(
            rpc,
            &[
                "asset",
                "licence",
                "offer",
                &tune.to_string(),
                "--from",
                "eve",
                "--kind",
                "open",
            ],
        ),
        "licence_offered",
    )["offer"]
        .as_u64()
        .expect("offer")
        .to_string();
    ok(
        rpc,
        &[
            "asset",
            "licence",
            "buy",
            &tune.to_string(),
            "--offer",
            &tune_open,
            "--from",
            "alice",
        ],
    );
    assert_eq!(
        fails(
            rpc,
            &[
                "asset",
                "link",
                "--from",
                "alice",
                "--child",
                &data.to_string(),
                "--parent",
                &tune.to_string(),
                "--relation",
                "derived-from",
                "--licence",
                &tune_open,
            ],
        ),
        "cycle"
    );
    assert_eq!(
        fails(
            rpc,
            &[
                "asset",
                "link",
                "--from",
                "eve",
                "--child",
                &tune.to_string(),
                "--parent",
                "999",
                "--relation",
                "uses",
            ],
        ),
        "unknown_parent"
    );
    assert_eq!(
        fails(
            rpc,
            &[
                "asset",
                "pay",
                "--from",
                "ferdie",
                "--item",
                &format!("{tune}=1@1")
            ],
        ),
        "no_licence"
    );
    let lineage = ok(rpc, &["asset", "lineage", &tune.to_string()]);
    let ancestors: Vec<u64> = lineage["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["asset"].as_u64().expect("id"))
        .collect();
    assert_eq!(ancestors, vec![model, data]);
    let below = ok(
        rpc,
        &["asset", "lineage", &data.to_string(), "--descendants"],
    );
    assert_eq!(below["nodes"].as_array().expect("nodes").len(), 2);

    // 4. A payment of 10 SYN to the fine-tune: exact amounts everywhere.
    let before: Vec<u128> = ["alice", "bob", "charlie"]
        .iter()
        .map(|n| claimable(rpc, n, data))
        .collect();
    let r = ok(
        rpc,
        &[
            "asset",
            "pay",
            "--from",
            "ferdie",
            "--item",
            &format!("{tune}=10"),
        ],
    );
    let paid = event(&r, "paid");
    let credited: u128 = paid["credits"]
        .as_array()
        .expect("credits")
        .iter()
        .map(|c| amount(&c["amount"]))
        .sum();
    assert_eq!(credited, 10 * SYN);
    let p = 10 * SYN;
    let to_model = mul_div(p, 3_000, 10_000);
    let to_data = mul_div(to_model, 2_000, 10_000);
    assert_eq!(claimable(rpc, "eve", tune), p - to_model);
    assert_eq!(claimable(rpc, "dave", model), to_model - to_data);
    let mut contributors_total = 0;
    for (i, n) in ["alice", "bob", "charlie"].iter().enumerate() {
        let part = mul_div(to_data, on_chain(n), 1_000_000);
        contributors_total += part;
        let got = claimable(rpc, n, data) - before[i];
        if *n == "alice" {
            // alice is also the owner: she gets the rounding remainder too.
            let remainder = to_data
                - ["alice", "bob", "charlie"]
                    .iter()
                    .map(|m| mul_div(to_data, on_chain(m), 1_000_000))
                    .sum::<u128>();
            assert_eq!(got, part + remainder);
        } else {
            assert_eq!(got, part, "{n}");
        }
    }
    assert!(contributors_total <= to_data);
    let vault = ok(rpc, &["asset", "vault", &tune.to_string()]);
    assert_eq!(amount(&vault["vault"]["balance"]), p - to_model);

    // 5. Ownership transfer moves future revenue; claims pay exactly the balance.
    ok(
        rpc,
        &[
            "asset",
            "transfer",
            &model.to_string(),
            "--from",
            "dave",
            "--to",
            "bob",
        ],
    );
    let dave_part = claimable(rpc, "dave", model);
    ok(
        rpc,
        &[
            "asset",
            "pay",
            "--from",
            "ferdie",
            "--item",
            &format!("{tune}=10"),
        ],
    );
    assert_eq!(claimable(rpc, "dave", model), dave_part);
    assert_eq!(claimable(rpc, "bob", model), to_model - to_data);
    let r = ok(
        rpc,
        &["asset", "claim", &model.to_string(), "--from", "dave"],
    );
    assert_eq!(amount(&event(&r, "claimed")["amount"]), dave_part);
    assert_eq!(
        fails(
            rpc,
            &["asset", "claim", &model.to_string(), "--from", "dave"]
        ),
        "nothing_to_claim"
    );
    assert_eq!(
        fails(
            rpc,
            &["asset", "claim", &tune.to_string(), "--from", "ferdie"]
        ),
        "nothing_to_claim"
    );
    // The first commitment's window is over.
    assert_eq!(
        fails(
            rpc,
            &[
                "attribution",
                "challenge",
                "1",
                "--from",
                "ferdie",
                "--evidence",
                evidence.to_str().expect("utf8"),
            ],
        ),
        "challenge_window_closed"
    );

    // 6. A wrong challenge: the jury recomputes and the challenger loses its bond.
    for juror in ["bob", "charlie", "dave", "eve"] {
        ok(
            rpc,
            &[
                "attribution",
                "worker",
                "bond",
                "--from",
                juror,
                "--amount",
                "100",
            ],
        );
    }
    let r = ok(
        rpc,
        &[
            "attribution",
            "commit",
            &data.to_string(),
            "--from",
            "alice",
            "--evidence",
            evidence.to_str().expect("utf8"),
        ],
    );
    let commitment = event(&r, "committed")["commitment"]
        .as_u64()
        .expect("id")
        .to_string();
    // The challenger swaps alice's and charlie's weights: a valid file, a wrong result.
    let mut wrong: Value =
        serde_json::from_slice(&std::fs::read(&evidence).expect("read")).expect("json");
    let list = wrong["contributors"].as_array_mut().expect("contributors");
    let wa = list[0]["weight"].clone();
    let wc = list[2]["weight"].clone();
    list[0]["weight"] = wc;
    list[2]["weight"] = wa;
    let wrong_path = dir.path().join("wrong.json");
    let mut bytes = serde_json::to_vec_pretty(&wrong).expect("json");
    bytes.push(b'\n');
    std::fs::write(&wrong_path, bytes).expect("write");
    let ferdie_before = syn_balance(rpc, "ferdie");
    let r = ok(
        rpc,
        &[
            "attribution",
            "challenge",
            &commitment,
            "--from",
            "ferdie",
            "--evidence",
            wrong_path.to_str().expect("utf8"),
        ],
    );
    let draw_at = event(&r, "challenged")["draw_at"].as_u64().expect("height");
    wait_height(&rt, &net, draw_at + 1);
    let view = ok(rpc, &["attribution", "show", &commitment]);
    assert_eq!(view["stage"], "voting", "{view}");
    let jurors: Vec<String> = view["jurors"]
        .as_array()
        .expect("jurors")
        .iter()
        .map(|j| j["juror"].as_str().expect("account").to_string())
        .collect();
    assert_eq!(jurors.len(), 3);
    // Each drawn juror recomputes the evidence with the model and votes, in parallel.
    let drawn: Vec<&str> = ["bob", "charlie", "dave", "eve"]
        .into_iter()
        .filter(|n| jurors.contains(&account_of(rpc, n)))
        .collect();
    std::thread::scope(|scope| {
        for name in &drawn {
            let args: Vec<String> = [
                "attribution",
                "verify",
                &commitment,
                "--evidence",
                evidence.to_str().expect("utf8"),
                "--challenger-evidence",
                wrong_path.to_str().expect("utf8"),
                "--train",
                train_path.to_str().expect("utf8"),
                "--validation",
                validation_path.to_str().expect("utf8"),
                "--vote",
                name,
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            scope.spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (success, out, err) = cli(rpc, &args);
                assert!(success, "verify by {name}: {out} {err}");
            });
        }
    });
    let view = ok(rpc, &["attribution", "show", &commitment]);
    assert_eq!(view["stage"], "resolved", "{view}");
    assert_eq!(view["resolution"], "upheld", "{view}");
    for j in view["jurors"].as_array().expect("jurors") {
        assert_eq!(j["verdict"], "original", "{view}");
    }
    let ferdie_after = syn_balance(rpc, "ferdie");
    assert!(
        ferdie_before - ferdie_after >= 10 * SYN,
        "the challenger's bond is lost"
    );
    drop(net);
}
