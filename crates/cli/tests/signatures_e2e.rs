//! The signature rule end to end on a real devnet: a spend from the identity key (a key with no
//! secret) is refused at admission with a clear reason; transfers whose R carries a torsion
//! component (valid under the chain's cofactored rule, made by the key's owner) are admitted,
//! finalized, and re-executed by `synod replay` with every root matching. Before the rule was
//! unified, the first was admitted and executed and the second made replay fail.

mod common;

use common::*;
use synod_primitives::signature::adversary::{TorsionSigner, identity_account, identity_signature};
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::SubmitResult;
use synod_runtime::{BankCall, Call, SignedTransaction, Transaction};

fn transfer_body(sender: AccountId, nonce: u64, amount: u64) -> Transaction {
    Transaction {
        chain_id: dev_genesis().chain_id.clone(),
        sender,
        nonce,
        fee: 1_000_000,
        call: Call::Bank(BankCall::Transfer {
            to: Keypair::dev("eve").account(),
            amount,
        }),
    }
}

fn fund(alice: &Keypair, nonce: u64, to: AccountId) -> SignedTransaction {
    Transaction {
        call: Call::Bank(BankCall::Transfer {
            to,
            amount: 10 * UNIT,
        }),
        ..transfer_body(alice.account(), nonce, 0)
    }
    .sign(alice, &dev_genesis().hash())
}

#[test]
fn keyless_spend_is_refused_and_torsion_signatures_finalize_and_replay() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut net = Devnet::start(&dir.path().join("node"));
    let rt = runtime();
    let c = net.client();
    let alice = Keypair::dev("alice");
    let torsion = TorsionSigner::new(b"e2e");
    let start = rt
        .block_on(c.get_account(alice.account(), None))
        .expect("account")
        .nonce;
    for (i, to) in [identity_account(), torsion.account()]
        .into_iter()
        .enumerate()
    {
        let hash = rt
            .block_on(c.submit_transaction(hex_tx(&fund(&alice, start + i as u64, to))))
            .expect("funding accepted");
        wait_finalized(&rt, &c, hash);
    }

    let genesis_hash = dev_genesis().hash();
    let keyless = SignedTransaction {
        tx: transfer_body(identity_account(), 0, 5 * UNIT),
        signature: identity_signature(),
    };
    let results = rt
        .block_on(c.submit_transactions(vec![hex_tx(&keyless)]))
        .expect("submit");
    match &results[0] {
        SubmitResult::Rejected { message, .. } => {
            assert!(message.contains("small order"), "{message}")
        }
        other => panic!("a spend from the identity key was admitted: {other:?}"),
    }
    let single = rt.block_on(c.submit_transaction(hex_tx(&keyless)));
    let err = single.expect_err("refused").to_string();
    assert!(err.contains("small order"), "{err}");

    // Every torsion component, one transaction each.
    let mut hashes = Vec::new();
    for t in 1..8u8 {
        let body = transfer_body(torsion.account(), u64::from(t - 1), UNIT);
        let signed = SignedTransaction {
            signature: torsion.sign(&body.signing_payload(&genesis_hash), t),
            tx: body,
        };
        hashes.push(
            rt.block_on(c.submit_transaction(hex_tx(&signed)))
                .expect("a cofactored-valid signature is admitted"),
        );
    }
    for h in hashes {
        wait_finalized(&rt, &c, h);
    }
    let identity = rt
        .block_on(c.get_account(identity_account(), None))
        .expect("account");
    assert_eq!(identity.nonce, 0, "nothing was spent from the identity key");
    assert_eq!(identity.balance, 10 * UNIT);

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
}
