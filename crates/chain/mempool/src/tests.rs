use super::*;
use synod_primitives::Keypair;
use synod_runtime::BankCall;
use synod_runtime::{Call, Transaction};

fn rules() -> ChainRules {
    ChainRules {
        chain_id: "synod-test".into(),
        genesis_hash: Hash::digest(b"g"),
        fees: FeeSchedule::default(),
    }
}

fn tx(who: &Keypair, nonce: u64, fee: u64) -> (SignedTransaction, usize) {
    let t = Transaction {
        chain_id: "synod-test".into(),
        sender: who.account(),
        nonce,
        fee,
        call: Call::Bank(BankCall::Transfer {
            to: Keypair::dev("bob").account(),
            amount: 1,
        }),
    }
    .sign(who, &Hash::digest(b"g"));
    let size = t.encode().len();
    (t, size)
}

fn rich(_: &AccountId) -> SenderState {
    SenderState {
        nonce: 0,
        balance: u64::MAX,
    }
}

#[test]
fn every_rejection_is_specific() {
    let pool = Mempool::new(
        MempoolConfig {
            nonce_window: 4,
            ..Default::default()
        },
        rules(),
    );
    let alice = Keypair::dev("alice");
    let ok = tx(&alice, 0, 1_000_000);
    let mut bad_sig = tx(&alice, 1, 1_000_000);
    bad_sig.0.signature.0[5] ^= 1;
    let mut wrong_chain = tx(&alice, 1, 1_000_000);
    wrong_chain.0.tx.chain_id = "other".into();
    let cheap = tx(&alice, 1, 1);
    let far = tx(&alice, 4, 1_000_000);
    let res = pool.admit_batch(vec![ok.clone(), bad_sig, wrong_chain, cheap, far, ok], rich);
    assert!(res[0].is_ok());
    assert!(matches!(
        res[1],
        Err(MempoolError::Invalid(TxError::BadSignature(_)))
    ));
    assert!(matches!(
        res[2],
        Err(MempoolError::Invalid(TxError::WrongChainId { .. }))
    ));
    assert!(matches!(
        res[3],
        Err(MempoolError::Invalid(TxError::FeeTooLow { .. }))
    ));
    assert!(matches!(
        res[4],
        Err(MempoolError::NonceTooFar { max: 3, got: 4 })
    ));
    assert!(matches!(res[5], Err(MempoolError::AlreadyKnown(_))));

    let stale = pool.admit_batch(vec![tx(&alice, 0, 2_000_000)], |_| SenderState {
        nonce: 1,
        balance: u64::MAX,
    });
    assert!(matches!(
        stale[0],
        Err(MempoolError::StaleNonce {
            expected: 1,
            got: 0
        })
    ));
    let poor = pool.admit_batch(vec![tx(&alice, 1, 2_000_000)], |_| SenderState {
        nonce: 0,
        balance: 5,
    });
    assert!(matches!(poor[0], Err(MempoolError::CannotPayFee { .. })));
    assert_eq!(pool.len(), 1);
}

#[test]
fn replacement_needs_a_fee_bump() {
    let pool = Mempool::new(MempoolConfig::default(), rules());
    let alice = Keypair::dev("alice");
    let first = pool.admit_batch(vec![tx(&alice, 0, 1_000_000)], rich)[0]
        .clone()
        .expect("admitted");
    let low = pool.admit_batch(vec![tx(&alice, 0, 1_050_000)], rich);
    assert!(matches!(
        low[0],
        Err(MempoolError::ReplacementUnderpriced {
            required: 1_100_000,
            ..
        })
    ));
    let high = pool.admit_batch(vec![tx(&alice, 0, 1_100_000)], rich)[0]
        .clone()
        .expect("replaced");
    assert_eq!(pool.len(), 1);
    assert!(!pool.contains(&first));
    assert!(pool.contains(&high));
}

#[test]
fn limits_and_eviction() {
    let pool = Mempool::new(
        MempoolConfig {
            max_txs: 3,
            max_per_sender: 2,
            ..Default::default()
        },
        rules(),
    );
    let (a, b, c) = (Keypair::dev("a"), Keypair::dev("b"), Keypair::dev("c"));
    for r in pool.admit_batch(
        vec![
            tx(&a, 0, 1_000_000),
            tx(&a, 1, 1_000_000),
            tx(&b, 0, 2_000_000),
        ],
        rich,
    ) {
        r.expect("admitted");
    }
    assert!(matches!(
        pool.admit_batch(vec![tx(&a, 2, 9_000_000)], rich)[0],
        Err(MempoolError::SenderLimit(2))
    ));
    assert!(matches!(
        pool.admit_batch(vec![tx(&c, 0, 1_000_000)], rich)[0],
        Err(MempoolError::PoolFull { .. })
    ));
    let evictor = pool.admit_batch(vec![tx(&c, 0, 5_000_000)], rich)[0]
        .clone()
        .expect("evicts the cheapest");
    assert_eq!(pool.len(), 3);
    assert!(pool.contains(&evictor));
}

#[test]
fn selection_orders_by_fee_and_nonce_and_respects_parent_nonces() {
    let pool = Mempool::new(MempoolConfig::default(), rules());
    let (a, b) = (Keypair::dev("a"), Keypair::dev("b"));
    let txs = vec![
        tx(&a, 2, 1_000_000),
        tx(&a, 0, 1_000_000),
        tx(&a, 1, 9_000_000),
        tx(&b, 0, 3_000_000),
        tx(&b, 2, 3_000_000), // gap at 1: not executable
    ];
    for r in pool.admit_batch(txs, rich) {
        r.expect("admitted");
    }
    let sel = pool.select(100, |_| 0);
    let order: Vec<(AccountId, u64)> = sel.iter().map(|t| (t.tx.sender, t.tx.nonce)).collect();
    assert_eq!(
        order,
        vec![
            (b.account(), 0),
            (a.account(), 0),
            (a.account(), 1),
            (a.account(), 2)
        ]
    );
    // On a parent where a's first transaction is already included, start from nonce 1.
    let sel = pool.select(100, |s| if *s == a.account() { 1 } else { 0 });
    assert_eq!(sel.iter().filter(|t| t.tx.sender == a.account()).count(), 2);
    assert_eq!(pool.select(1, |_| 0).len(), 1);

    // Finalizing a's nonce 0 and 1 drops them and anything stale.
    let included = [sel[0].hash()];
    pool.remove(&included, |s| if *s == a.account() { 2 } else { 0 });
    assert_eq!(pool.len(), 3);
}
