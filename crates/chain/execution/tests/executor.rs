//! State machine behaviour: fees, failures, block validity, supply conservation.

use proptest::prelude::*;
use std::sync::Arc;
use synod_execution::bank;
use synod_execution::executor::{BlockLimits, Inadmissible};
use synod_execution::{BlockError, ExecutedBlock, Executor};
use synod_primitives::{AccountId, Header, Keypair};
use synod_runtime::bank::hotkey_binding_message;
use synod_runtime::{BankCall, BankFailure};
use synod_runtime::{Block, Call, Genesis, SignedTransaction, Transaction, TxFailure, TxOutcome};
use synod_storage::{BlockCommit, StateView, Store};

struct Chain {
    exec: Executor,
    store: Store,
    head: ExecutedBlock,
    proposer: AccountId,
}

impl Chain {
    fn new() -> Self {
        let proposer = Keypair::dev("validator").account();
        let exec = Executor::new(Genesis::dev(vec![proposer]));
        let store = Store::in_memory().expect("db");
        let view = StateView::new(Arc::new(store.snapshot().expect("snap")), vec![]);
        let head = exec.genesis_block(&view).expect("genesis");
        let chain = Chain {
            exec,
            store,
            head,
            proposer,
        };
        chain.commit(&chain.head);
        chain
    }

    fn commit(&self, b: &ExecutedBlock) {
        self.store
            .commit_block(BlockCommit {
                block: &b.block,
                pending: &b.pending,
                receipts: &b.receipts,
                finalization: &[],
            })
            .expect("commit");
    }

    fn view(&self) -> StateView {
        StateView::new(Arc::new(self.store.snapshot().expect("snap")), vec![])
    }

    fn tx(&self, who: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
        Transaction {
            chain_id: self.exec.chain_id().to_string(),
            sender: who.account(),
            nonce,
            fee: 1_000_000,
            call,
        }
        .sign(who, &self.exec.genesis_hash())
    }

    /// Builds a block from `txs`, re-executes it as a verifier would, commits it.
    fn produce(&mut self, txs: Vec<SignedTransaction>) -> (ExecutedBlock, usize) {
        let view = self.view();
        let built = self
            .exec
            .build_block(
                &view,
                &self.head.block.header,
                self.proposer,
                self.head.block.header.timestamp_ms + 1000,
                txs.into_iter().map(Arc::new),
                BlockLimits::default(),
            )
            .expect("build");
        let verified = self
            .exec
            .execute_block(&view, &self.head.block.header, &built.executed.block, true)
            .expect("verifier accepts what the proposer built");
        assert_eq!(
            verified.pending.state_root,
            built.executed.pending.state_root
        );
        self.commit(&verified);
        self.head = verified.clone();
        (verified, built.rejected.len())
    }

    /// A block on the head as the proposer would build it empty, then carrying `txs`
    /// regardless of the rules; with the view and parent a verifier would check it against.
    fn forge(&self, txs: Vec<SignedTransaction>) -> (StateView, Header, Block) {
        let view = self.view();
        let parent = self.head.block.header.clone();
        let mut forged = self
            .exec
            .build_block(
                &view,
                &parent,
                self.proposer,
                parent.timestamp_ms + 1,
                vec![],
                BlockLimits::default(),
            )
            .expect("build")
            .executed
            .block
            .as_ref()
            .clone();
        forged.txs = txs;
        (view, parent, forged)
    }

    fn balance(&self, a: &AccountId) -> u64 {
        bank::account(&self.view(), a).expect("read").balance
    }

    fn nonce(&self, a: &AccountId) -> u64 {
        bank::account(&self.view(), a).expect("read").nonce
    }
}

#[test]
fn transfer_moves_funds_and_pays_fee_to_proposer() {
    let mut c = Chain::new();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let (a0, b0) = (c.balance(&alice.account()), c.balance(&bob.account()));
    let tx = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: 777,
        }),
    );
    let (blk, rejected) = c.produce(vec![tx]);
    assert_eq!(rejected, 0);
    assert_eq!(blk.receipts[0].outcome, TxOutcome::Success);
    assert_eq!(c.balance(&alice.account()), a0 - 777 - 1_000_000);
    assert_eq!(c.balance(&bob.account()), b0 + 777);
    assert_eq!(c.balance(&c.proposer), 1_000_000);
    assert_eq!(c.nonce(&alice.account()), 1);
}

#[test]
fn failed_call_keeps_only_fee_and_nonce() {
    let mut c = Chain::new();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let a0 = c.balance(&alice.account());
    let too_much = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: a0,
        }),
    );
    let (blk, _) = c.produce(vec![too_much]);
    assert!(matches!(
        blk.receipts[0].outcome,
        TxOutcome::Failed {
            failure: TxFailure::Bank(BankFailure::InsufficientBalance { .. })
        }
    ));
    assert_eq!(c.balance(&alice.account()), a0 - 1_000_000);
    assert_eq!(c.nonce(&alice.account()), 1);
    assert_eq!(blk.receipts[0].events.len(), 1, "only the fee event");
}

#[test]
fn recipient_overflow_is_a_typed_failure() {
    let mut c = Chain::new();
    let alice = Keypair::dev("alice");
    // Give bob nearly u64::MAX by genesis is impossible (supply cap), so overflow the
    // self-credit path instead: transfer to an account whose balance plus amount overflows.
    let rich = Keypair::dev("rich");
    let mut genesis = c.exec.genesis().clone();
    genesis.accounts.push(synod_runtime::bank::GenesisAccount {
        account: rich.account(),
        balance: u64::MAX - 10,
    });
    c.exec = Executor::new(genesis);
    c.store = Store::in_memory().expect("db");
    c.head = c.exec.genesis_block(&c.view()).expect("genesis");
    c.commit(&c.head);
    let tx = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::Transfer {
            to: rich.account(),
            amount: 100,
        }),
    );
    let (blk, _) = c.produce(vec![tx]);
    assert_eq!(
        blk.receipts[0].outcome,
        TxOutcome::Failed {
            failure: TxFailure::Bank(BankFailure::BalanceOverflow)
        }
    );
    assert_eq!(c.balance(&rich.account()), u64::MAX - 10);
}

#[test]
fn proposer_skips_inadmissible_and_verifier_rejects_them() {
    let mut c = Chain::new();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let nobody = Keypair::dev("nobody");
    let good = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: 1,
        }),
    );
    let future = c.tx(
        &alice,
        5,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: 1,
        }),
    );
    let broke = c.tx(
        &nobody,
        0,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: 1,
        }),
    );
    let mut wrong_chain = good.tx.clone();
    wrong_chain.chain_id = "other".into();
    let wrong_chain = wrong_chain.sign(&alice, &c.exec.genesis_hash());
    let (blk, rejected) = c.produce(vec![good, future.clone(), broke.clone(), wrong_chain]);
    assert_eq!(blk.block.txs.len(), 1);
    assert_eq!(rejected, 3);

    // A block that smuggles in a bad-nonce transaction is invalid as a whole.
    let (view, parent, mut forged) = c.forge(vec![future]);
    let err = c
        .exec
        .execute_block(&view, &parent, &forged, true)
        .expect_err("invalid");
    assert!(matches!(
        err,
        BlockError::InvalidTx {
            reason: Inadmissible::BadNonce {
                expected: 1,
                got: 5
            },
            ..
        }
    ));
    forged.txs = vec![broke];
    let err = c
        .exec
        .execute_block(&view, &parent, &forged, true)
        .expect_err("invalid");
    assert!(matches!(
        err,
        BlockError::InvalidTx {
            reason: Inadmissible::CannotPayFee { .. },
            ..
        }
    ));
}

#[test]
fn tampered_headers_and_signatures_are_rejected() {
    let mut c = Chain::new();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let tx = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::Transfer {
            to: bob.account(),
            amount: 5,
        }),
    );
    let view = c.view();
    let parent = c.head.block.header.clone();
    let built = c
        .exec
        .build_block(
            &view,
            &parent,
            c.proposer,
            parent.timestamp_ms + 1,
            vec![Arc::new(tx)],
            BlockLimits::default(),
        )
        .expect("build");
    let good = built.executed.block.as_ref().clone();

    let mut bad = good.clone();
    bad.header.state_root = synod_primitives::Hash::digest(b"lie");
    assert!(matches!(
        c.exec.execute_block(&view, &parent, &bad, true),
        Err(BlockError::Header {
            field: "state_root",
            ..
        })
    ));
    let mut bad = good.clone();
    bad.header.timestamp_ms = parent.timestamp_ms;
    assert!(matches!(
        c.exec.execute_block(&view, &parent, &bad, true),
        Err(BlockError::Header {
            field: "timestamp_ms",
            ..
        })
    ));
    let mut bad = good.clone();
    bad.txs[0].signature.0[0] ^= 1;
    assert!(matches!(
        c.exec.execute_block(&view, &parent, &bad, true),
        Err(BlockError::InvalidTx { index: 0, .. })
    ));
    let mut bad = good.clone();
    bad.header.height += 1;
    assert!(c.exec.execute_block(&view, &parent, &bad, true).is_err());
    // The untampered block still verifies, and a failed verification changed nothing.
    c.exec
        .execute_block(&view, &parent, &good, true)
        .expect("valid");
    assert_eq!(c.nonce(&alice.account()), 0);
    c.head = c.head.clone();
}

#[test]
fn hotkey_binding_requires_possession_and_is_unique() {
    let mut c = Chain::new();
    let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let hot = Keypair::dev("alice-hot");
    let chain_id = c.exec.chain_id().to_string();
    let forged_proof = bob.sign(&hotkey_binding_message(&chain_id, &alice.account()));
    let proof = hot.sign(&hotkey_binding_message(&chain_id, &alice.account()));
    let bad = c.tx(
        &alice,
        0,
        Call::Bank(BankCall::BindHotkey {
            hotkey: hot.account(),
            proof: forged_proof,
        }),
    );
    let good = c.tx(
        &alice,
        1,
        Call::Bank(BankCall::BindHotkey {
            hotkey: hot.account(),
            proof,
        }),
    );
    let bob_proof = hot.sign(&hotkey_binding_message(&chain_id, &bob.account()));
    let steal = c.tx(
        &bob,
        0,
        Call::Bank(BankCall::BindHotkey {
            hotkey: hot.account(),
            proof: bob_proof,
        }),
    );
    let (blk, _) = c.produce(vec![bad, good, steal]);
    assert_eq!(
        blk.receipts[0].outcome,
        TxOutcome::Failed {
            failure: TxFailure::Bank(BankFailure::InvalidHotkeyProof)
        }
    );
    assert_eq!(blk.receipts[1].outcome, TxOutcome::Success);
    assert_eq!(
        blk.receipts[2].outcome,
        TxOutcome::Failed {
            failure: TxFailure::Bank(BankFailure::HotkeyAlreadyBound {
                owner: alice.account()
            })
        }
    );
    assert_eq!(
        bank::hotkey_owner(&c.view(), &hot.account()).expect("read"),
        Some(alice.account())
    );
}

fn total_supply(c: &Chain, accounts: &[AccountId]) -> u128 {
    accounts.iter().map(|a| u128::from(c.balance(a))).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever mix of transfers (including failing ones) runs, no base unit is created or
    /// destroyed, and a verifier re-executing each block always agrees with its proposer.
    #[test]
    fn supply_is_conserved(ops in proptest::collection::vec((0usize..4, 0usize..4, 0u64..2_000_000_000_000_000), 1..30)) {
        let mut c = Chain::new();
        let keys: Vec<Keypair> = ["alice", "bob", "charlie", "dave"].iter().map(|n| Keypair::dev(n)).collect();
        let mut all: Vec<AccountId> = keys.iter().map(Keypair::account).collect();
        all.extend(["eve", "ferdie"].iter().map(|n| Keypair::dev(n).account()));
        all.push(c.proposer);
        let before = total_supply(&c, &all);
        let mut nonces = [0u64; 4];
        let mut txs = Vec::new();
        for (from, to, amount) in ops {
            txs.push(c.tx(&keys[from], nonces[from], Call::Bank(BankCall::Transfer { to: keys[to].account(), amount })));
            nonces[from] += 1;
        }
        for chunk in txs.chunks(7) {
            let (_, rejected) = c.produce(chunk.to_vec());
            prop_assert_eq!(rejected, 0);
        }
        prop_assert_eq!(total_supply(&c, &all), before);
    }
}

/// Subnet calls go through the executor (`Call::Subnets`), and the per-block hook runs inside
/// the block: after start, every block mints exactly its emission into the subnet pool, the
/// verifier reproduces every state root, and issuance stays the sum of all balances.
#[test]
fn subnet_calls_and_end_block_hook_through_the_executor() {
    use synod_runtime::subnets::SubnetCall;
    let mut c = Chain::new();
    let genesis_total: u64 = c
        .exec
        .genesis()
        .accounts
        .iter()
        .map(|a| a.balance)
        .sum::<u64>()
        + c.exec
            .genesis()
            .validators
            .iter()
            .map(|v| v.stake)
            .sum::<u64>();
    assert_eq!(bank::issuance(&c.view()).expect("read"), genesis_total);
    let (alice, hot) = (Keypair::dev("alice"), Keypair::dev("alice-subnet-hot"));
    let tx = |c: &Chain, nonce: u64, call: Call| {
        Transaction {
            chain_id: c.exec.chain_id().to_string(),
            sender: alice.account(),
            nonce,
            fee: 50_000_000,
            call,
        }
        .sign(&alice, &c.exec.genesis_hash())
    };
    let proof = hot.sign(&hotkey_binding_message(c.exec.chain_id(), &alice.account()));
    let txs = vec![
        tx(
            &c,
            0,
            Call::Bank(BankCall::BindHotkey {
                hotkey: hot.account(),
                proof,
            }),
        ),
        tx(
            &c,
            1,
            Call::Subnets(SubnetCall::RegisterNetwork {
                hotkey: hot.account(),
                max_lock_cost: u64::MAX,
            }),
        ),
        tx(&c, 2, Call::Subnets(SubnetCall::StartCall { netuid: 1 })),
    ];
    let (blk, _) = c.produce(txs);
    for r in blk.receipts.iter() {
        assert_eq!(r.outcome, TxOutcome::Success, "{r:?}");
    }
    let module = synod_execution::subnets::module_account();
    assert_eq!(c.balance(&module), 1_000 * synod_primitives::token::UNIT);
    // The first block after start has a zero moving price (nothing minted); then 1 SYN per
    // block.
    c.produce(vec![]);
    for _ in 0..5 {
        let before = bank::issuance(&c.view()).expect("read");
        let held = c.balance(&module);
        c.produce(vec![]);
        assert_eq!(
            bank::issuance(&c.view()).expect("read"),
            before + 1_000_000_000
        );
        assert_eq!(c.balance(&module), held + 1_000_000_000);
    }
    let accounts = [
        alice.account(),
        c.proposer,
        module,
        synod_execution::validators::module_account(),
        Keypair::dev("bob").account(),
        Keypair::dev("charlie").account(),
        Keypair::dev("dave").account(),
        Keypair::dev("eve").account(),
        Keypair::dev("ferdie").account(),
    ];
    let sum: u64 = accounts.iter().map(|a| c.balance(a)).sum();
    assert_eq!(bank::issuance(&c.view()).expect("read"), sum);
}

#[test]
fn genesis_subnet_parameters_are_validated_and_committed_to() {
    let proposer = Keypair::dev("validator").account();
    let dev = Genesis::dev(vec![proposer]);
    let exec = Executor::new(dev.clone());
    assert_eq!(exec.subnet_params(), &dev.subnets);
    // The genesis hash commits to the subnet parameters.
    let mut other = dev.clone();
    other.subnets.network_rate_limit += 1;
    assert_ne!(other.hash(), dev.hash());
    assert_eq!(
        Executor::with_subnet_params(dev.clone(), other.subnets.clone()).genesis_hash(),
        other.hash()
    );
    // A chain whose parameters cannot work never builds block 0.
    let mut bad = dev;
    bad.subnets.burn_half_life = 0;
    let store = Store::in_memory().expect("db");
    let view = StateView::new(Arc::new(store.snapshot().expect("snap")), vec![]);
    match Executor::new(bad).genesis_block(&view) {
        Err(BlockError::InvalidGenesis(e)) => {
            assert_eq!(e.module, "subnets");
            assert!(e.reason.contains("burn_half_life"), "{e}");
        }
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("accepted a zero burn half-life"),
    }
}

/// The transaction size limit is a consensus rule, not only a decoding one: a block carries its
/// transactions inside its own encoding, so an oversized one must be caught by execution.
#[test]
fn oversized_transactions_are_left_out_and_invalidate_a_block() {
    let mut c = Chain::new();
    let alice = Keypair::dev("alice");
    let huge = c.tx(
        &alice,
        0,
        Call::Validators(
            synod_runtime::validators::ValidatorCall::ReportEquivocation {
                evidence: vec![7; synod_primitives::tx::MAX_TX_SIZE],
            },
        ),
    );
    assert!(huge.encode().len() > synod_primitives::tx::MAX_TX_SIZE);
    let (blk, rejected) = c.produce(vec![huge.clone()]);
    assert!(blk.block.txs.is_empty());
    assert_eq!(rejected, 1);

    let (view, parent, forged) = c.forge(vec![huge]);
    let err = c
        .exec
        .execute_block(&view, &parent, &forged, true)
        .expect_err("invalid");
    assert!(
        matches!(
            err,
            BlockError::InvalidTx {
                index: 0,
                reason: Inadmissible::Static(synod_primitives::TxError::Decode(
                    synod_primitives::codec::CodecError::TooLarge { .. }
                )),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(c.nonce(&alice.account()), 0, "nothing of it was applied");
}
