//! Crash safety: `kill -9` a real node under load, several times; after each restart the
//! chain resumes from its last finalized block, every height keeps its block hash and state
//! root, no finalized transaction is lost, and replay from genesis re-derives every root.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use synod_primitives::{Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockId, SubmitResult};

/// Submits transfers from `senders` as fast as the node takes them until `stop`; returns the
/// hashes the node accepted.
fn load(rpc: String, stop: Arc<AtomicBool>) -> Vec<Hash> {
    let rt = runtime();
    let c = jsonrpsee::http_client::HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(&rpc)
        .expect("client");
    let senders: Vec<Keypair> = ["alice", "bob", "charlie", "dave"]
        .iter()
        .map(|n| Keypair::dev(n))
        .collect();
    let to = Keypair::dev("eve");
    let mut accepted = Vec::new();
    let mut nonces: Vec<Option<u64>> = vec![None; senders.len()];
    while !stop.load(Ordering::Relaxed) {
        for (i, s) in senders.iter().enumerate() {
            let n = match nonces[i] {
                Some(n) => n,
                None => match rt.block_on(c.get_account(s.account(), None)) {
                    Ok(a) => a.nonce,
                    Err(_) => break, // node is down
                },
            };
            let batch: Vec<String> = (0..20)
                .map(|k| hex_tx(&transfer(s, n + k, &to, 1)))
                .collect();
            match rt.block_on(c.submit_transactions(batch)) {
                Ok(results) => {
                    let mut next = n;
                    for r in results {
                        if let SubmitResult::Accepted { hash } = r {
                            accepted.push(hash);
                            next += 1;
                        }
                    }
                    // Resync from chain state if anything was refused.
                    nonces[i] = if next == n + 20 { Some(next) } else { None };
                }
                Err(_) => {
                    nonces[i] = None;
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
    accepted
}

#[test]
fn kill9_under_load_loses_nothing_finalized() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("node");
    let mut net = Devnet::start(&data);
    let rt = runtime();
    // height -> (block hash, state root), as observed before each crash
    let mut seen: BTreeMap<u64, (Hash, Hash)> = BTreeMap::new();
    let mut finalized_txs: Vec<Hash> = Vec::new();
    for round in 0..3u64 {
        let stop = Arc::new(AtomicBool::new(false));
        let loader = {
            let (rpc, stop) = (net.rpc.clone(), stop.clone());
            std::thread::spawn(move || load(rpc, stop))
        };
        std::thread::sleep(Duration::from_millis(1500 + 700 * round));
        let c = net.client();
        let head = rt.block_on(c.heads()).expect("heads").finalized_height;
        for h in head.saturating_sub(30)..=head {
            if let Ok(Some(b)) = rt.block_on(c.get_block(BlockId::Height(h))) {
                seen.insert(h, (b.hash, b.header.state_root));
            }
        }
        net.kill9(); // mid-load, mid-block
        stop.store(true, Ordering::Relaxed);
        let accepted = loader.join().expect("loader");
        net.restart();
        let c = net.client();
        // Every block seen before the crash is unchanged.
        for (h, (hash, root)) in &seen {
            let b = rt
                .block_on(c.get_block(BlockId::Height(*h)))
                .expect("rpc")
                .unwrap_or_else(|| panic!("block {h} lost after kill -9"));
            assert_eq!(
                (&b.hash, &b.header.state_root),
                (hash, root),
                "height {h} changed"
            );
        }
        // Every transaction finalized before the crash is still there, exactly once.
        for h in &accepted {
            if let Ok(Some(r)) = rt.block_on(c.get_receipt(*h)) {
                finalized_txs.push(r.tx_hash);
            }
        }
        for h in &finalized_txs {
            let r = rt.block_on(c.get_receipt(*h)).expect("rpc");
            assert!(r.is_some(), "finalized transaction {h} lost");
        }
        // Progress resumes.
        let after = rt.block_on(c.heads()).expect("heads").finalized_height;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while rt.block_on(c.heads()).expect("heads").finalized_height <= after {
            assert!(
                std::time::Instant::now() < deadline,
                "no progress after restart {round}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    finalized_txs.sort();
    finalized_txs.dedup();
    assert!(
        finalized_txs.len() > 100,
        "load too small to mean anything: {}",
        finalized_txs.len()
    );
    // Each transaction appears in exactly one block.
    let c = net.client();
    let head = rt.block_on(c.heads()).expect("heads").finalized_height;
    let mut in_blocks = std::collections::BTreeSet::new();
    for h in 1..=head {
        let b = rt
            .block_on(c.get_block(BlockId::Height(h)))
            .expect("rpc")
            .expect("block");
        for t in b.transactions {
            assert!(
                in_blocks.insert(t.hash),
                "transaction {} included twice",
                t.hash
            );
        }
    }
    net.interrupt();
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
        "replay failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
