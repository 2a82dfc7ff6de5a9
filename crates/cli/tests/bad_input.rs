//! Bad input over RPC: each gets a specific error, never a panic, never a state change.

mod common;

use common::*;
use synod_primitives::Keypair;
use synod_rpc::SynodApiClient;
use synod_rpc::api::SubmitResult;
use synod_runtime::BankCall;
use synod_runtime::{Call, Transaction};

fn rejected_kind(r: &SubmitResult) -> &str {
    match r {
        SubmitResult::Rejected { kind, .. } => kind,
        SubmitResult::Accepted { .. } => "accepted",
    }
}

#[test]
fn bad_transactions_and_requests_get_specific_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("node"));
    let rt = runtime();
    let c = net.client();
    let g = dev_genesis();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let nobody = Keypair::dev("nobody");
    let alice0 = rt
        .block_on(c.get_account(alice.account(), None))
        .expect("acct");

    let good = transfer(&alice, 0, &bob, 1);
    let mut bad_sig = good.clone();
    bad_sig.signature.0[0] ^= 0xff;
    let mut wrong_chain = good.tx.clone();
    wrong_chain.chain_id = "synod-main".into();
    let wrong_chain = wrong_chain.sign(&alice, &g.hash());
    let other_genesis = transfer(&alice, 0, &bob, 1)
        .tx
        .sign(&alice, &synod_primitives::Hash::digest(b"x"));
    let far = transfer(&alice, 1_000_000, &bob, 1);
    let unknown_sender = transfer(&nobody, 0, &bob, 1);
    let mut oversize = good.encode();
    oversize.resize(70 * 1024, 0);
    let mut trailing = good.encode();
    trailing.push(7);

    let inputs = vec![
        "zz-not-hex".to_string(),
        "0x0102".to_string(),
        hex::encode(&trailing),
        hex::encode(&oversize),
        hex_tx(&bad_sig),
        hex_tx(&wrong_chain),
        hex_tx(&other_genesis),
        hex_tx(&far),
        hex_tx(&unknown_sender),
    ];
    let results = rt.block_on(c.submit_transactions(inputs)).expect("rpc");
    let kinds: Vec<&str> = results.iter().map(rejected_kind).collect();
    assert_eq!(
        kinds,
        vec![
            "malformed",
            "malformed",
            "malformed",
            "malformed",
            "bad_signature",
            "wrong_chain_id",
            "bad_signature",
            "nonce_too_far",
            "insufficient_balance",
        ]
    );
    // Single submission reports the reason as a JSON-RPC error with the kind in `data`.
    let err = rt
        .block_on(c.submit_transaction(hex_tx(&bad_sig)))
        .expect_err("rejected");
    let msg = err.to_string();
    assert!(msg.contains("invalid signature"), "{msg}");

    // Stale nonce: include one, then resubmit nonce 0.
    let h = rt
        .block_on(c.submit_transaction(hex_tx(&good)))
        .expect("accepted");
    wait_finalized(&rt, &c, h);
    let stale = transfer(&alice, 0, &bob, 2);
    let r = rt
        .block_on(c.submit_transactions(vec![hex_tx(&stale)]))
        .expect("rpc");
    assert_eq!(rejected_kind(&r[0]), "stale_nonce");

    // An amount the balance cannot cover is refused at admission (the pool requires a
    // sender's queued fees and amounts to be payable together), naming both numbers; nothing
    // moves.
    let poor = Transaction {
        chain_id: g.chain_id.clone(),
        sender: alice.account(),
        nonce: 1,
        fee: 1_000_000,
        call: Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: u64::MAX,
        }),
    }
    .sign(&alice, &g.hash());
    let r = rt
        .block_on(c.submit_transactions(vec![hex_tx(&poor)]))
        .expect("rpc");
    assert_eq!(rejected_kind(&r[0]), "insufficient_balance");
    let err = rt
        .block_on(c.submit_transaction(hex_tx(&poor)))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("fees and amounts need"), "{err}");
    let alice1 = rt
        .block_on(c.get_account(alice.account(), None))
        .expect("acct");
    assert_eq!(alice1.balance, alice0.balance - 1 - 1_000_000);
    assert_eq!(alice1.nonce, 1);

    // Malformed JSON-RPC requests.
    let (status, body) = http("POST", &net.rpc, "{not json");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("-32700"), "parse error: {body}");
    let (_, body) = http(
        "POST",
        &net.rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"synod_nope","params":[]}"#,
    );
    assert!(body.contains("-32601"), "method not found: {body}");
    let (_, body) = http(
        "POST",
        &net.rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"synod_getAccount","params":["0x12"]}"#,
    );
    assert!(body.contains("-32602"), "invalid params: {body}");
    let (_, body) = http(
        "POST",
        &net.rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"synod_getBlock","params":["yesterday"]}"#,
    );
    assert!(body.contains("-32602"), "invalid block id: {body}");
    let (_, body) = http(
        "POST",
        &net.rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"synod_getStateValue","params":["0xzz",null,true]}"#,
    );
    assert!(body.contains("-32602"), "bad key: {body}");

    // After all that, the node still works and alice's state only moved as accounted above.
    let h = rt
        .block_on(c.submit_transaction(hex_tx(&transfer(&alice, 1, &bob, 3))))
        .expect("ok");
    wait_finalized(&rt, &c, h);
}
