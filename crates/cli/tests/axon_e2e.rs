//! The request protocol against a real chain: a `synod dev` devnet with a started subnet, a
//! Rust miner whose axon reads the subnet's members from the node (`ChainMembership`, cached
//! per block), and validator clients. The subnet's owner hotkey is served; a hotkey that is not
//! registered is refused with `not_registered` until it registers, and then served once the
//! chain has the registration; a stake minimum above a member's stake refuses it with
//! `insufficient_stake`.

mod common;

use axum::Router;
use axum::routing::post;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};
use synod_axon::{Axon, AxonConfig, ChainMembership, Dendrite, Target};
use synod_primitives::Keypair;

fn ok(rpc: &str, ks: &Path, args: &[&str]) {
    let out = synod()
        .args(["--rpc", rpc, "--dev", "--json", "--keystore"])
        .arg(ks)
        .args(args)
        .output()
        .expect("run synod");
    assert!(
        out.status.success(),
        "synod {args:?}: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn start_miner(rpc: &str, chain_id: &str, min_stake: u64) -> Target {
    let key = Keypair::dev("eve");
    let mut cfg = AxonConfig::new(key.clone(), chain_id, 1);
    cfg.min_stake = min_stake;
    let members =
        ChainMembership::new(rpc, 1, Duration::from_millis(200)).expect("membership source");
    let axon = Axon::new(cfg, members);
    let app = axon.protect(Router::new().route(
        "/task",
        post(|b: axum::body::Bytes| async move { format!("echo {}", String::from_utf8_lossy(&b)) }),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Target {
        hotkey: key.account(),
        url,
    }
}

#[test]
fn a_miner_serves_only_registered_callers_as_the_chain_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ks = dir.path().join("keys");
    let net = Devnet::start(&dir.path().join("chain"));
    let rpc = net.rpc.as_str();
    for args in [
        &["hotkey", "bind", "--from", "alice", "--hotkey", "dave"][..],
        &["hotkey", "bind", "--from", "bob", "--hotkey", "eve"],
        &["subnet", "create", "--from", "alice", "--hotkey", "dave"],
        &["subnet", "start", "1", "--from", "alice"],
        &[
            "subnet",
            "register",
            "1",
            "--from",
            "bob",
            "--hotkey",
            "eve",
            "--max-burn",
            "1",
        ],
    ] {
        ok(rpc, &ks, args);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let chain_id = "synod-dev";
    rt.block_on(async {
        let miner = start_miner(rpc, chain_id, 0).await;
        let ask = |who: &str| {
            let d = Dendrite::new(Keypair::dev(who), chain_id, 1).expect("client");
            let miner = miner.clone();
            async move {
                d.call(&miner, "POST", "/task", b"hi", Duration::from_secs(5))
                    .await
            }
        };
        // dave owns the subnet and holds UID 0.
        let a = ask("dave").await;
        assert!(a.is_ok(), "{a:?}");
        assert_eq!(&a.body[..], b"echo hi");
        let refused = ask("ferdie").await;
        assert_eq!(
            refused.error.as_deref(),
            Some("not_registered"),
            "{refused:?}"
        );
    });
    // ferdie registers; the miner sees it once the chain has it (the cache follows blocks).
    ok(
        rpc,
        &ks,
        &["hotkey", "bind", "--from", "charlie", "--hotkey", "ferdie"],
    );
    ok(
        rpc,
        &ks,
        &[
            "subnet",
            "register",
            "1",
            "--from",
            "charlie",
            "--hotkey",
            "ferdie",
            "--max-burn",
            "10",
        ],
    );
    rt.block_on(async {
        let miner = start_miner(rpc, chain_id, 0).await;
        let d = Dendrite::new(Keypair::dev("ferdie"), chain_id, 1).expect("client");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let a = d
                .call(&miner, "POST", "/task", b"hi", Duration::from_secs(5))
                .await;
            if a.is_ok() {
                break;
            }
            assert_eq!(a.error.as_deref(), Some("not_registered"), "{a:?}");
            assert!(
                Instant::now() < deadline,
                "the registration never reached the miner"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Nobody on this fresh subnet has stake yet: a minimum of 1 refuses every caller.
        let strict = start_miner(rpc, chain_id, 1).await;
        let a = d
            .call(&strict, "POST", "/task", b"hi", Duration::from_secs(5))
            .await;
        assert_eq!(a.error.as_deref(), Some("insufficient_stake"), "{a:?}");
    });
}
