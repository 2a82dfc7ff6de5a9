use super::*;
use proptest::prelude::*;
use synod_primitives::Keypair;
use synod_primitives::token::UNIT;
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
    assert!(matches!(poor[0], Err(MempoolError::CannotPay { .. })));
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
    pool.remove(&included, &[], |s| if *s == a.account() { 2 } else { 0 });
    assert_eq!(pool.len(), 3);
}

fn transfer(who: &Keypair, nonce: u64, fee: u64, amount: u64) -> (SignedTransaction, usize) {
    let t = Transaction {
        chain_id: "synod-test".into(),
        sender: who.account(),
        nonce,
        fee,
        call: Call::Bank(BankCall::Transfer {
            to: Keypair::dev("bob").account(),
            amount,
        }),
    }
    .sign(who, &Hash::digest(b"g"));
    let size = t.encode().len();
    (t, size)
}

fn holding(balance: Balance) -> impl Fn(&AccountId) -> SenderState {
    move |_| SenderState { nonce: 0, balance }
}

#[test]
fn a_senders_pooled_transactions_must_be_payable_together() {
    let pool = Mempool::new(MempoolConfig::default(), rules());
    let a = Keypair::dev("a");
    // 10 SYN: two transfers of 4 SYN with 1 SYN fees fit (10), a third does not.
    let ok = pool.admit_batch(
        vec![
            transfer(&a, 0, UNIT, 4 * UNIT),
            transfer(&a, 1, UNIT / 2, 4 * UNIT),
        ],
        holding(10 * UNIT),
    );
    assert!(ok.iter().all(Result::is_ok), "{ok:?}");
    let third = pool.admit_batch(vec![transfer(&a, 2, UNIT, 1)], holding(10 * UNIT));
    assert_eq!(
        third[0],
        Err(MempoolError::CannotPay {
            needed: 10 * UNIT + UNIT / 2 + 1,
            balance: 10 * UNIT
        })
    );
    // A replacement is judged without the transaction it replaces.
    let bump = pool.admit_batch(vec![transfer(&a, 1, UNIT, 4 * UNIT)], holding(10 * UNIT));
    assert!(bump[0].is_ok(), "{bump:?}");
    assert_eq!(pool.len(), 2);
}

#[test]
fn future_transactions_are_kept_apart_limited_and_promoted() {
    let pool = Mempool::new(
        MempoolConfig {
            max_future: 3,
            max_future_per_sender: 2,
            ..Default::default()
        },
        rules(),
    );
    let (a, b) = (Keypair::dev("a"), Keypair::dev("b"));
    let rich = holding(1_000 * UNIT);
    for r in pool.admit_batch(
        vec![transfer(&a, 2, UNIT, 1), transfer(&a, 3, UNIT, 1)],
        &rich,
    ) {
        r.expect("gapped transactions within the allowance");
    }
    assert_eq!(pool.future_len(), 2);
    assert!(pool.select(10, |_| 0).is_empty(), "nothing executable");
    assert_eq!(
        pool.admit_batch(vec![transfer(&a, 4, UNIT, 1)], &rich)[0],
        Err(MempoolError::SenderFutureLimit(2))
    );
    // The global allowance: one more fits, then only a better-paying one, evicting the cheapest.
    assert!(pool.admit_batch(vec![transfer(&b, 5, UNIT, 1)], &rich)[0].is_ok());
    assert!(matches!(
        pool.admit_batch(vec![transfer(&b, 6, UNIT, 1)], &rich)[0],
        Err(MempoolError::FutureFull { .. })
    ));
    let better = pool.admit_batch(vec![transfer(&b, 6, 2 * UNIT, 1)], &rich)[0]
        .clone()
        .expect("outbids the cheapest future transaction");
    assert!(pool.contains(&better));
    assert_eq!(pool.future_len(), 3);

    // Filling a's gap makes its waiting transactions executable, in order.
    for r in pool.admit_batch(
        vec![transfer(&a, 0, UNIT, 1), transfer(&a, 1, UNIT, 1)],
        &rich,
    ) {
        r.expect("executable transactions are not held to the future allowance");
    }
    let sel: Vec<u64> = pool
        .select(10, |s| if *s == a.account() { 0 } else { 99 })
        .iter()
        .map(|t| t.tx.nonce)
        .collect();
    assert_eq!(sel, vec![0, 1, 2, 3]);
    assert_eq!(pool.future_len(), 1);
}

#[test]
fn future_transactions_expire() {
    let pool = Mempool::new(
        MempoolConfig {
            future_ttl: Duration::from_millis(50),
            ..Default::default()
        },
        rules(),
    );
    let (a, b) = (Keypair::dev("a"), Keypair::dev("b"));
    let rich = holding(1_000 * UNIT);
    let gapped = pool.admit_batch(vec![transfer(&a, 1, UNIT, 1)], &rich)[0]
        .clone()
        .expect("admitted");
    let ready = pool.admit_batch(vec![transfer(&b, 0, UNIT, 1)], &rich)[0]
        .clone()
        .expect("admitted");
    std::thread::sleep(Duration::from_millis(80));
    pool.remove(&[], &[a.account()], |_| 0);
    assert!(
        !pool.contains(&gapped),
        "a gapped transaction outlived its TTL"
    );
    assert!(
        pool.contains(&ready),
        "executable transactions do not expire"
    );
}

/// The attack at a smaller scale: 200 fresh accounts holding 2 SYN each send nonces
/// 1..=100 (the attack used 1..=1023) with 1 SYN fees. Payability holds each to 2 pooled transactions, the future
/// allowance holds them all to a small share of the pool, and an honest transfer paying the
/// floor is admitted; with the pool full of gapped transactions it evicts one.
#[test]
fn pinning_with_gapped_nonces_cannot_keep_an_honest_transfer_out() {
    for max_txs in [10_000, 150] {
        let pool = Mempool::new(
            MempoolConfig {
                max_txs,
                max_future: 150,
                ..Default::default()
            },
            rules(),
        );
        let attackers: Vec<Keypair> = (0..200).map(|i| Keypair::dev(&format!("m{i}"))).collect();
        let mut admitted = 0;
        for m in &attackers {
            let batch = (1..=100).map(|n| transfer(m, n, UNIT, 1)).collect();
            admitted += pool
                .admit_batch(batch, holding(2 * UNIT))
                .iter()
                .filter(|r| r.is_ok())
                .count();
        }
        assert!(admitted <= 150 + 150, "admitted {admitted}");
        assert!(pool.future_len() <= 150);
        assert!(pool.select(1_000, |_| 0).is_empty());

        let honest = Keypair::dev("honest");
        let floor = FeeSchedule::default().min_fee(
            transfer(&honest, 0, 0, 5).1,
            &transfer(&honest, 0, 0, 5).0.tx.call,
        );
        let hash = pool.admit_batch(vec![transfer(&honest, 0, floor, 5)], holding(UNIT))[0]
            .clone()
            .expect("an honest transfer at the fee floor is admitted");
        let sel = pool.select(1_000, |_| 0);
        assert_eq!(sel.len(), 1);
        assert_eq!(sel[0].hash(), hash);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Admit { sender: usize, nonce: u64, fee: u64 },
    Finalize { sender: usize, committed: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..12u64, 1..5u64).prop_map(|(sender, nonce, fee)| Op::Admit {
            sender,
            nonce,
            fee: fee * 1_000_000,
        }),
        1 => (0..4usize, 0..8u64).prop_map(|(sender, committed)| Op::Finalize { sender, committed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever arrives and whatever finalizes: an entry is future exactly when it waits
    /// behind a gap, the indexes agree with the entries, each sender's pooled costs fit its
    /// balance, and selection never yields a gapped transaction.
    #[test]
    fn classification_and_payability_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let pool = Mempool::new(
            MempoolConfig {
                max_txs: 20,
                max_future: 6,
                max_future_per_sender: 3,
                ..Default::default()
            },
            rules(),
        );
        let keys: Vec<Keypair> = (0..4).map(|i| Keypair::dev(&format!("p{i}"))).collect();
        let balance = 9_000_000u64;
        let mut committed = [0u64; 4];
        for op in ops {
            match op {
                Op::Admit { sender, nonce, fee } => {
                    let c = committed[sender];
                    pool.admit_batch(vec![transfer(&keys[sender], nonce, fee, 1)], |_| SenderState {
                        nonce: c,
                        balance,
                    });
                }
                Op::Finalize { sender, committed: n } => {
                    committed[sender] = committed[sender].max(n);
                    let c = committed;
                    pool.remove(&[], &[keys[sender].account()], |s| {
                        keys.iter().position(|k| k.account() == *s).map_or(0, |i| c[i])
                    });
                }
            }
            let inner = pool.inner.lock();
            let mut futures = 0;
            for (sender, q) in &inner.senders {
                let mut next = q.committed;
                let mut cost: Balance = 0;
                for (&n, h) in &q.by_nonce {
                    let e = &inner.by_hash[h];
                    prop_assert_eq!(e.tx.tx.sender, *sender);
                    prop_assert!(n >= q.committed);
                    let expect_future = n != next;
                    if !expect_future {
                        next += 1;
                    }
                    prop_assert_eq!(e.future, expect_future);
                    futures += usize::from(e.future);
                    cost += e.cost;
                }
                prop_assert!(cost <= balance, "pooled costs {} exceed the balance", cost);
            }
            prop_assert_eq!(futures, inner.future.len());
            prop_assert_eq!(futures, inner.future_by_age.len());
            prop_assert_eq!(inner.by_hash.len(), inner.future.len() + inner.executable.len());
            prop_assert!(inner.by_hash.len() <= 20);
            drop(inner);
            let c = committed;
            for t in pool.select(100, |s| keys.iter().position(|k| k.account() == *s).map_or(0, |i| c[i])) {
                prop_assert!(!pool.inner.lock().by_hash[&t.hash()].future);
            }
        }
    }
}

#[test]
fn the_journal_restores_what_was_admitted_and_rechecks_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mempool.journal");
    let (a, b) = (Keypair::dev("a"), Keypair::dev("b"));
    let rich = holding(1_000 * UNIT);
    let hashes: Vec<Hash> = {
        let pool = Mempool::new(MempoolConfig::default(), rules());
        let restored = pool.open_journal(&path, &rich).expect("open");
        assert_eq!(restored.read, 0);
        pool.admit_batch(
            vec![
                transfer(&a, 0, UNIT, 1),
                transfer(&a, 1, UNIT, 1),
                transfer(&b, 0, UNIT, 1),
            ],
            &rich,
        )
        .into_iter()
        .map(|r| r.expect("admitted"))
        .collect()
        // Dropped without any shutdown: as after kill -9.
    };
    let pool = Mempool::new(MempoolConfig::default(), rules());
    // Meanwhile a's nonce 0 was included: it is stale now and not restored.
    let restored = pool
        .open_journal(&path, |s| SenderState {
            nonce: u64::from(*s == a.account()),
            balance: 1_000 * UNIT,
        })
        .expect("reopen");
    assert_eq!(
        restored,
        Restored {
            read: 3,
            admitted: 2,
            dropped: 1,
            torn_bytes: 0
        }
    );
    assert!(!pool.contains(&hashes[0]));
    assert!(pool.contains(&hashes[1]) && pool.contains(&hashes[2]));
    // The rewritten journal holds exactly the pool.
    assert_eq!(journal::read(&path).expect("read").0.len(), 2);
}
