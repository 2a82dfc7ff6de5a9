//! Accepted means kept: a transaction the RPC accepted survives `kill -9` of the node right after
//! the answer, and is finalized after the restart (the pool journals it before answering).

mod common;

use common::*;
use std::time::Duration;
use synod_primitives::Keypair;
use synod_rpc::SynodApiClient;
use synod_rpc::api::SubmitResult;

#[test]
fn transactions_accepted_before_kill9_are_finalized_after_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut net = Devnet::start(&dir.path().join("node"));
    let rt = runtime();
    let c = net.client();
    let (alice, bob, eve) = (
        Keypair::dev("alice"),
        Keypair::dev("bob"),
        Keypair::dev("eve"),
    );
    let alice_nonce = rt
        .block_on(c.get_account(alice.account(), None))
        .expect("account")
        .nonce;
    // Behind a nonce gap: accepted, but no block can include it before the crash.
    let gapped = rt
        .block_on(c.submit_transaction(hex_tx(&transfer(&alice, alice_nonce + 1, &eve, 7))))
        .expect("a gapped transaction is accepted");
    // And a burst, killed the moment the node answers: some may make a block first, the rest
    // exist only in the pool.
    let bob_nonce = rt
        .block_on(c.get_account(bob.account(), None))
        .expect("account")
        .nonce;
    let burst: Vec<String> = (0..500)
        .map(|k| hex_tx(&transfer(&bob, bob_nonce + k, &eve, 1)))
        .collect();
    let results = rt.block_on(c.submit_transactions(burst)).expect("submit");
    net.kill9();
    let accepted: Vec<_> = results
        .into_iter()
        .map(|r| match r {
            SubmitResult::Accepted { hash } => hash,
            SubmitResult::Rejected { kind, message } => panic!("{kind}: {message}"),
        })
        .collect();

    net.restart();
    let c = net.client();
    assert!(
        rt.block_on(c.get_receipt(gapped)).expect("query").is_none(),
        "the gapped transaction cannot have been included"
    );
    // Fill the gap: the journaled transaction behind it follows.
    let filler = rt
        .block_on(c.submit_transaction(hex_tx(&transfer(&alice, alice_nonce, &eve, 7))))
        .expect("the missing nonce");
    wait_finalized(&rt, &c, filler);
    wait_finalized(&rt, &c, gapped);
    for h in accepted {
        wait_finalized(&rt, &c, h);
    }
    let bob_after = rt
        .block_on(c.get_account(bob.account(), None))
        .expect("account");
    assert_eq!(bob_after.nonce, bob_nonce + 500);

    // A torn journal tail (a crash in the middle of an append) is dropped, not fatal.
    net.kill9();
    let journal = net.data_dir.join("mempool.journal");
    let mut bytes = std::fs::read(&journal).expect("journal exists");
    bytes.extend_from_slice(&[0x40, 0, 0, 0, 1, 2]);
    std::fs::write(&journal, bytes).expect("write");
    net.restart();
    let c = net.client();
    std::thread::sleep(Duration::from_millis(300));
    assert!(rt.block_on(c.heads()).is_ok(), "the node runs");
}
