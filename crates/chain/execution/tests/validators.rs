//! The validator-set module through the executor: genesis stake in the supply, `Call::Validators`
//! dispatch, the end-block receipt at an epoch boundary carrying the new set (reproduced by a
//! verifier and committed), and equivocation reports with and without an injected verifier.

use std::sync::Arc;
use synod_execution::executor::BlockLimits;
use synod_execution::validators::{self, EquivocationVerifier, Offence};
use synod_execution::{ExecutedBlock, Executor, bank};
use synod_primitives::receipt::end_block_receipt_hash;
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Keypair};
use synod_runtime::validators::{SetMember, ValidatorCall, ValidatorEvent};
use synod_runtime::validators::{StakingParams, ValidatorFailure};
use synod_runtime::{Call, Event, Genesis, SignedTransaction, Transaction, TxFailure, TxOutcome};
use synod_storage::{BlockCommit, StateView, Store};

const EPOCH: u64 = 4;

struct Chain {
    exec: Executor,
    store: Store,
    head: ExecutedBlock,
    proposer: AccountId,
    nonce: u64,
}

/// Evidence "EQ" ‖ offender ‖ epoch ‖ view, accepted when the offender is in that epoch's set.
struct TestVerifier;

impl EquivocationVerifier for TestVerifier {
    fn verify(
        &self,
        evidence: &[u8],
        set_for_epoch: &dyn Fn(u64) -> Option<Vec<AccountId>>,
    ) -> Result<Offence, String> {
        let body = evidence.strip_prefix(b"EQ").ok_or("not evidence")?;
        if body.len() != 48 {
            return Err("wrong length".into());
        }
        let mut a = [0u8; 32];
        a.copy_from_slice(&body[..32]);
        let mut n = [0u8; 8];
        n.copy_from_slice(&body[32..40]);
        let epoch = u64::from_be_bytes(n);
        n.copy_from_slice(&body[40..48]);
        let view = u64::from_be_bytes(n);
        let offender = AccountId(a);
        if !set_for_epoch(epoch).is_some_and(|s| s.contains(&offender)) {
            return Err("offender not in set".into());
        }
        Ok(Offence {
            offender,
            epoch,
            view,
        })
    }
}

fn evidence(offender: &AccountId, epoch: u64, view: u64) -> Vec<u8> {
    [
        b"EQ".as_slice(),
        offender.as_bytes(),
        &epoch.to_be_bytes(),
        &view.to_be_bytes(),
    ]
    .concat()
}

impl Chain {
    fn new(with_verifier: bool) -> Self {
        let proposer = Keypair::dev("validator").account();
        let mut genesis = Genesis::dev(vec![proposer]);
        genesis.staking = StakingParams {
            epoch_length: EPOCH,
            ..StakingParams::dev()
        };
        let mut exec = Executor::new(genesis);
        if with_verifier {
            exec = exec.with_equivocation_verifier(Arc::new(TestVerifier));
        }
        let store = Store::in_memory().expect("db");
        let view = StateView::new(Arc::new(store.snapshot().expect("snap")), vec![]);
        let head = exec.genesis_block(&view).expect("genesis");
        let chain = Chain {
            exec,
            store,
            head,
            proposer,
            nonce: 0,
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

    fn alice_tx(&mut self, call: ValidatorCall) -> SignedTransaction {
        let alice = Keypair::dev("alice");
        self.nonce += 1;
        Transaction {
            chain_id: self.exec.chain_id().to_string(),
            sender: alice.account(),
            nonce: self.nonce - 1,
            fee: 100_000_000,
            call: Call::Validators(call),
        }
        .sign(&alice, &self.exec.genesis_hash())
    }

    fn produce(&mut self, txs: Vec<SignedTransaction>) -> ExecutedBlock {
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
        assert!(built.rejected.is_empty(), "{:?}", built.rejected);
        let verified = self
            .exec
            .execute_block(&view, &self.head.block.header, &built.executed.block, true)
            .expect("verifier accepts what the proposer built");
        assert_eq!(*verified.receipts, *built.executed.receipts);
        self.commit(&verified);
        self.head = verified.clone();
        verified
    }

    fn height(&self) -> u64 {
        self.head.block.header.height
    }

    fn balances_sum(&self) -> u64 {
        let mut accounts: Vec<AccountId> = self
            .exec
            .genesis()
            .accounts
            .iter()
            .map(|a| a.account)
            .collect();
        accounts.push(self.proposer);
        accounts.push(validators::module_account());
        accounts.push(synod_execution::subnets::module_account());
        let view = self.view();
        accounts
            .iter()
            .map(|a| bank::account(&view, a).expect("read").balance)
            .sum()
    }
}

#[test]
fn genesis_stake_is_bonded_and_part_of_the_supply() {
    let c = Chain::new(false);
    let view = c.view();
    assert_eq!(
        validators::set_for_epoch(&view, 0).expect("read"),
        Some(vec![(c.proposer, 1_000 * UNIT)])
    );
    assert_eq!(validators::current_epoch(&view).expect("read"), 0);
    assert_eq!(
        bank::account(&view, &validators::module_account())
            .expect("read")
            .balance,
        1_000 * UNIT
    );
    assert_eq!(bank::issuance(&view).expect("read"), c.balances_sum());
    assert!(c.head.receipts.is_empty());
}

#[test]
fn the_block_at_the_epoch_boundary_emits_and_stores_the_new_set() {
    let mut c = Chain::new(false);
    let alice = Keypair::dev("alice").account();
    let tx = c.alice_tx(ValidatorCall::Bond {
        amount: 2_000 * UNIT,
    });
    let b1 = c.produce(vec![tx]);
    assert_eq!(b1.receipts.len(), 1, "no end-block receipt inside an epoch");
    assert_eq!(b1.receipts[0].outcome, TxOutcome::Success);
    assert!(
        b1.receipts[0]
            .events
            .contains(&Event::Validator(ValidatorEvent::Bonded {
                validator: alice,
                amount: 2_000 * UNIT,
                bonded: 2_000 * UNIT
            }))
    );
    for _ in 2..EPOCH - 1 {
        let b = c.produce(vec![]);
        assert!(b.receipts.is_empty());
    }
    assert_eq!(validators::current_epoch(&c.view()).expect("read"), 0);
    // Block 3 is the last of epoch 0 (heights 0..=3): its end-block receipt announces epoch
    // 1's set, including a bond made in that very block.
    let boundary = EPOCH - 1;
    let tx = c.alice_tx(ValidatorCall::Bond { amount: UNIT });
    let b3 = c.produce(vec![tx]);
    assert_eq!(c.height(), boundary);
    assert_eq!(b3.receipts.len(), 2);
    let end = &b3.receipts[1];
    assert_eq!(end.tx_hash, end_block_receipt_hash(boundary));
    assert!(end.is_end_block() && !b3.receipts[0].is_end_block());
    assert_eq!(end.index, 1);
    assert_eq!(end.fee_paid, 0);
    let expected = vec![
        SetMember {
            account: alice,
            stake: 2_001 * UNIT,
        },
        SetMember {
            account: c.proposer,
            stake: 1_000 * UNIT,
        },
    ];
    assert_eq!(
        end.events,
        vec![Event::Validator(ValidatorEvent::ValidatorSetChanged {
            epoch: 1,
            validators: expected
        })]
    );
    let view = c.view();
    assert_eq!(validators::current_epoch(&view).expect("read"), 1);
    assert_eq!(
        validators::set_for_epoch(&view, 1).expect("read"),
        Some(vec![(alice, 2_001 * UNIT), (c.proposer, 1_000 * UNIT)])
    );
    // Committed like any receipt: listed with the block and found by its hash.
    let snap = c.store.snapshot().expect("snap");
    assert_eq!(
        snap.receipts::<synod_runtime::Event, synod_runtime::TxFailure>(boundary)
            .expect("read")
            .len(),
        2
    );
    assert_eq!(
        snap.receipt(&end_block_receipt_hash(boundary))
            .expect("read"),
        Some(end.clone())
    );
    assert_eq!(bank::issuance(&view).expect("read"), c.balances_sum());
    // The next epoch's blocks carry none until its own last block.
    for _ in 0..EPOCH - 1 {
        assert!(c.produce(vec![]).receipts.is_empty());
    }
    assert_eq!(c.produce(vec![]).receipts.len(), 1);
}

#[test]
fn equivocation_reports_need_the_injected_verifier() {
    let mut without = Chain::new(false);
    let offender = without.proposer;
    let tx = without.alice_tx(ValidatorCall::ReportEquivocation {
        evidence: evidence(&offender, 0, 3),
    });
    let b = without.produce(vec![tx]);
    assert_eq!(
        b.receipts[0].outcome,
        TxOutcome::Failed {
            failure: TxFailure::Validator(ValidatorFailure::EvidenceNotSupported)
        }
    );

    let mut with = Chain::new(true);
    let before = bank::issuance(&with.view()).expect("read");
    let tx = with.alice_tx(ValidatorCall::ReportEquivocation {
        evidence: evidence(&offender, 0, 3),
    });
    let b = with.produce(vec![tx]);
    assert_eq!(b.receipts[0].outcome, TxOutcome::Success);
    // 5% of 1,000 SYN slashed, 10% of that to the reporter, the rest burned.
    assert!(
        b.receipts[0]
            .events
            .contains(&Event::Validator(ValidatorEvent::Slashed {
                offender,
                epoch: 0,
                view: 3,
                slashed: 50 * UNIT,
                burned: 45 * UNIT,
                reporter: Keypair::dev("alice").account(),
                reward: 5 * UNIT
            }))
    );
    assert_eq!(
        bank::issuance(&with.view()).expect("read"),
        before - 45 * UNIT
    );
    assert_eq!(
        bank::issuance(&with.view()).expect("read"),
        with.balances_sum()
    );
    // The only validator is tombstoned: the boundary keeps the set rather than emptying it.
    while with.height() < EPOCH - 2 {
        with.produce(vec![]);
    }
    let b = with.produce(vec![]);
    assert_eq!(
        b.receipts[0].events[0],
        Event::Validator(ValidatorEvent::EmptySetAvoided { epoch: 1 })
    );
    assert_eq!(
        validators::set_for_epoch(&with.view(), 1).expect("read"),
        Some(vec![(offender, 1_000 * UNIT)])
    );
}

/// The verifier's verdict is part of the state: a node without the verifier computes another
/// result for a block with a report and rejects it, so every node must run the same one.
#[test]
fn nodes_must_share_the_verifier() {
    let mut with = Chain::new(true);
    let without = Chain::new(false);
    let offender = with.proposer;
    let tx = with.alice_tx(ValidatorCall::ReportEquivocation {
        evidence: evidence(&offender, 0, 1),
    });
    let view = with.view();
    let built = with
        .exec
        .build_block(
            &view,
            &with.head.block.header,
            with.proposer,
            with.head.block.header.timestamp_ms + 1000,
            [Arc::new(tx)],
            BlockLimits::default(),
        )
        .expect("build");
    let other = without.exec.execute_block(
        &without.view(),
        &without.head.block.header,
        &built.executed.block,
        true,
    );
    assert!(
        matches!(
            other,
            Err(synod_execution::BlockError::Header {
                field: "receipts_root",
                ..
            })
        ),
        "{other:?}"
    );
}
