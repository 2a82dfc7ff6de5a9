//! End to end against a real `synod dev` process: transfers through RPC, balances, proofs,
//! health and metrics, clean restart with persistence, and replay of the stored chain.

mod common;

use common::*;
use synod_primitives::Keypair;
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockId, SubmitResult};
use synod_runtime::TxOutcome;

fn charlie_account() -> synod_primitives::AccountId {
    synod_primitives::Keypair::dev("charlie").account()
}

#[test]
fn devnet_transfers_proofs_restart_and_replay() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("node");
    let mut net = Devnet::start(&data);
    let rt = runtime();
    let c = net.client();
    let (alice, bob, charlie) = (
        Keypair::dev("alice"),
        Keypair::dev("bob"),
        Keypair::dev("charlie"),
    );
    let before = |k: &Keypair| {
        rt.block_on(c.get_account(k.account(), None))
            .expect("account")
            .balance
    };
    let (a0, b0, c0) = (before(&alice), before(&bob), before(&charlie));

    // 10 transfers alice→charlie and 10 bob→charlie in one batch call.
    let mut txs = Vec::new();
    for n in 0..10 {
        txs.push(hex_tx(&transfer(&alice, n, &charlie, 1_000 + n)));
        txs.push(hex_tx(&transfer(&bob, n, &charlie, 2_000 + n)));
    }
    let results = rt.block_on(c.submit_transactions(txs)).expect("submit");
    let hashes: Vec<_> = results
        .iter()
        .map(|r| match r {
            SubmitResult::Accepted { hash } => *hash,
            other => panic!("rejected: {other:?}"),
        })
        .collect();
    for h in &hashes {
        wait_finalized(&rt, &c, *h);
    }
    let fee = 1_000_000u64;
    let sent_a: u64 = (0..10).map(|n| 1_000 + n).sum();
    let sent_b: u64 = (0..10).map(|n| 2_000 + n).sum();
    assert_eq!(before(&alice), a0 - sent_a - 10 * fee);
    assert_eq!(before(&bob), b0 - sent_b - 10 * fee);
    assert_eq!(before(&charlie), c0 + sent_a + sent_b);
    for h in &hashes {
        let r = rt
            .block_on(c.get_receipt(*h))
            .expect("rpc")
            .expect("receipt");
        assert_eq!(r.outcome, TxOutcome::Success);
    }

    // A proof checked by the CLI against a finalized header and its certificate.
    let v = synod_json(&[
        "--rpc", &net.rpc, "--dev", "--json", "query", "account", "charlie", "--prove",
    ]);
    assert_eq!(v["verified"], true);
    assert_eq!(v["account"]["balance"], c0 + sent_a + sent_b);

    // A light client checks a finalized header's certificate against the validator set.
    let info = rt.block_on(c.chain_info()).expect("info");
    let head = rt.block_on(c.heads()).expect("heads").finalized_height;
    let fh = rt
        .block_on(c.get_finalized_header(head))
        .expect("rpc")
        .expect("header");
    assert_eq!(fh.hash, fh.header.hash());
    let cert = hex::decode(
        fh.finalization
            .expect("single validator certifies every block"),
    )
    .expect("hex");
    let ns = synod_consensus::namespace(&info.chain_id, &info.genesis_hash);
    let proof = synod_consensus::verify_finalization(&ns, &info.validators, &fh.hash, &cert)
        .expect("certificate verifies");
    assert_eq!(proof.block, fh.hash);
    assert!(
        synod_consensus::verify_finalization(&ns, &info.validators, &fh.header.parent, &cert)
            .is_err()
    );
    assert!(
        rt.block_on(c.get_finalized_header(head + 1_000_000))
            .expect("rpc")
            .is_none()
    );

    // Health and metrics.
    let (status, body) = http("GET", &format!("{}/health", net.metrics), "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""));
    let (status, body) = http("GET", &format!("{}/metrics", net.metrics), "");
    assert_eq!(status, 200);
    assert!(body.contains("synod_txs_finalized_total"), "{body}");

    // Clean stop (Ctrl-C), restart on the same data: everything is still there.
    let head = rt.block_on(c.heads()).expect("heads");
    let block = rt
        .block_on(c.get_block(BlockId::Height(head.finalized_height)))
        .expect("rpc")
        .expect("block");
    let status = net.interrupt();
    assert!(status.success(), "clean exit on SIGINT, got {status:?}");
    net.restart();
    let c = net.client();
    let again = rt
        .block_on(c.get_block(BlockId::Height(head.finalized_height)))
        .expect("rpc")
        .expect("block");
    assert_eq!(again.hash, block.hash);
    assert_eq!(
        rt.block_on(c.get_account(charlie.account(), None))
            .expect("acct")
            .balance,
        c0 + sent_a + sent_b
    );
    // The chain keeps going after the restart.
    let h = rt
        .block_on(c.submit_transaction(hex_tx(&transfer(&alice, 10, &bob, 5))))
        .expect("submit after restart");
    wait_finalized(&rt, &c, h);

    // Three `--no-wait` sends in a row: each takes the nonce after the ones still pooled.
    let before = rt
        .block_on(c.get_account(charlie_account(), None))
        .expect("account")
        .nonce;
    let mut hashes = Vec::new();
    for _ in 0..3 {
        let out = synod()
            .args([
                "--dev", "--json", "--rpc", &net.rpc, "transfer", "--from", "charlie",
            ])
            .args(["--to", "bob", "--amount", "1", "--no-wait"])
            .output()
            .expect("transfer");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        hashes.push(v["hash"].as_str().expect("hash").parse().expect("hash"));
    }
    for h in hashes {
        wait_finalized(&rt, &c, h);
    }
    let after = rt
        .block_on(c.get_account(charlie_account(), None))
        .expect("account")
        .nonce;
    assert_eq!(after, before + 3);
    assert!(net.interrupt().success());

    // Replay the stored chain from genesis: every state root must match.
    let out = synod()
        .args([
            "--json",
            "replay",
            "--data-dir",
            data.to_str().expect("utf8"),
        ])
        .output()
        .expect("replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], true);
    assert!(v["transactions"].as_u64().expect("count") >= 21);
}
