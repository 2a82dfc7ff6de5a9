//! The validator-set module against an in-memory state: genesis, the bond/unbond/withdraw
//! lifecycle across epochs, set selection (ties, size, minimum, never empty), slashing (amounts,
//! burn, reward, tombstone, duplicates and every refusal), and failed calls leaving no trace.

mod common;

use common::*;
use synod_primitives::AccountId;
use synod_primitives::token::UNIT;
use synod_runtime::BankFailure;
use synod_runtime::{Event, TxFailure};
use synod_validators::{MAX_UNBONDING_ENTRIES, module_account, query};
use synod_validators::{SetMember, UnbondingEntry, ValidatorCall, ValidatorEvent};
use synod_validators::{StakingParams, ValidatorFailure};

fn params() -> StakingParams {
    StakingParams {
        epoch_length: 10,
        min_validator_bond: 100 * UNIT,
        max_validators: 3,
        unbonding_epochs: 2,
        slash_bps: 500,
        reporter_reward_bps: 1_000,
    }
}

fn bond(amount: u64) -> ValidatorCall {
    ValidatorCall::Bond { amount }
}

fn unbond(amount: u64) -> ValidatorCall {
    ValidatorCall::Unbond { amount }
}

fn report(offender: &AccountId, epoch: u64, view: u64) -> ValidatorCall {
    ValidatorCall::ReportEquivocation {
        evidence: evidence(offender, epoch, view),
    }
}

/// The sets announced in a list of hook events, as (epoch, members).
fn announced(events: &[Event]) -> Vec<(u64, Vec<SetMember>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Validator(ValidatorEvent::ValidatorSetChanged { epoch, validators }) => {
                Some((*epoch, validators.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn genesis_bonds_the_genesis_validators_and_counts_their_stake() {
    let sim = Sim::new(params(), &[("v0", 1_000 * UNIT), ("v1", 500 * UNIT)]);
    assert_eq!(sim.current_epoch(), 0);
    assert_eq!(
        sim.set(0),
        Some(vec![(key("v0"), 1_000 * UNIT), (key("v1"), 500 * UNIT)])
    );
    assert_eq!(sim.bonded(&key("v0")), 1_000 * UNIT);
    assert_eq!(sim.balance(&module_account()), 1_500 * UNIT);
    assert_eq!(sim.issuance(), 1_500 * UNIT);
    assert_eq!(sim.set(1), None);
    sim.check_invariants();
}

#[test]
fn bond_unbond_withdraw_lifecycle_across_epochs() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT)]);
    let bob = key("bob");
    sim.fund(bob, 1_000 * UNIT);
    sim.advance_to(3);
    let ev = sim.ok(bob, bond(150 * UNIT));
    assert_eq!(
        ev,
        vec![Event::Validator(ValidatorEvent::Bonded {
            validator: bob,
            amount: 150 * UNIT,
            bonded: 150 * UNIT
        })]
    );
    // Top-up below the minimum on its own is fine once the bond is above it.
    sim.ok(bob, bond(50 * UNIT));
    assert_eq!(sim.balance(&bob), 800 * UNIT);
    assert_eq!(sim.bonded(&bob), 200 * UNIT);
    sim.check_invariants();
    // Still epoch 0's set until the boundary; the end of block 9 fixes epoch 1's.
    let ev = sim.advance_to(9);
    assert!(announced(&ev).is_empty());
    assert_eq!(sim.set_accounts(0), vec![key("v0")]);
    let ev = sim.end_block();
    assert_eq!(
        announced(&ev),
        vec![(
            1,
            vec![
                SetMember {
                    account: key("v0"),
                    stake: 1_000 * UNIT
                },
                SetMember {
                    account: bob,
                    stake: 200 * UNIT
                }
            ]
        )]
    );
    assert_eq!(sim.current_epoch(), 1);

    // Unbond in epoch 1: matures at 1 + 1 + 2 = 4.
    sim.advance_to(15);
    let ev = sim.ok(bob, unbond(200 * UNIT));
    assert_eq!(
        ev,
        vec![Event::Validator(ValidatorEvent::Unbonded {
            validator: bob,
            amount: 200 * UNIT,
            bonded: 0,
            release_epoch: 4
        })]
    );
    sim.check_invariants();
    // Bob still validates epoch 1, not epoch 2.
    sim.advance_to_epoch(2);
    assert_eq!(sim.set_accounts(1), vec![key("v0"), bob]);
    assert_eq!(sim.set_accounts(2), vec![key("v0")]);
    assert_eq!(
        sim.vfails(bob, ValidatorCall::Withdraw),
        ValidatorFailure::NothingToWithdraw {
            next_release_epoch: Some(4)
        }
    );
    sim.advance_to(39); // last block of epoch 3: still locked
    assert_eq!(
        sim.vfails(bob, ValidatorCall::Withdraw),
        ValidatorFailure::NothingToWithdraw {
            next_release_epoch: Some(4)
        }
    );
    sim.advance_to(40);
    let v = query::validator(&sim.mem, &bob, 39, &sim.params).expect("view");
    assert_eq!(v.withdrawable, 200 * UNIT);
    let ev = sim.ok(bob, ValidatorCall::Withdraw);
    assert_eq!(
        ev,
        vec![Event::Validator(ValidatorEvent::Withdrawn {
            validator: bob,
            amount: 200 * UNIT
        })]
    );
    assert_eq!(sim.balance(&bob), 1_000 * UNIT);
    assert_eq!(sim.record(&bob), None, "an emptied record is deleted");
    assert_eq!(
        sim.vfails(bob, ValidatorCall::Withdraw),
        ValidatorFailure::NothingToWithdraw {
            next_release_epoch: None
        }
    );
    sim.check_invariants();
}

#[test]
fn partial_unbonds_merge_per_release_epoch_and_only_matured_entries_pay() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT)]);
    let v0 = key("v0");
    sim.ok(v0, unbond(100 * UNIT));
    sim.ok(v0, unbond(100 * UNIT));
    sim.advance_to_epoch(1);
    sim.ok(v0, unbond(50 * UNIT));
    let rec = sim.record(&v0).expect("record");
    assert_eq!(rec.bonded, 750 * UNIT);
    assert_eq!(
        rec.unbonding,
        vec![
            UnbondingEntry {
                amount: 200 * UNIT,
                release_epoch: 3
            },
            UnbondingEntry {
                amount: 50 * UNIT,
                release_epoch: 4
            }
        ]
    );
    sim.advance_to_epoch(3);
    sim.ok(v0, ValidatorCall::Withdraw);
    assert_eq!(sim.balance(&v0), 200 * UNIT);
    assert_eq!(sim.record(&v0).expect("record").unbonding.len(), 1);
    sim.check_invariants();
}

#[test]
fn refusals_are_typed_and_leave_no_trace() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT)]);
    let bob = key("bob");
    let v0 = key("v0");
    sim.fund(bob, 150 * UNIT);
    assert_eq!(sim.vfails(bob, bond(0)), ValidatorFailure::ZeroAmount);
    assert_eq!(sim.vfails(v0, unbond(0)), ValidatorFailure::ZeroAmount);
    assert_eq!(
        sim.vfails(bob, bond(99 * UNIT)),
        ValidatorFailure::BelowMinBond {
            bonded_after: 99 * UNIT,
            min: 100 * UNIT
        }
    );
    assert!(matches!(
        sim.fails(bob, bond(200 * UNIT)),
        TxFailure::Bank(BankFailure::InsufficientBalance { .. })
    ));
    assert_eq!(
        sim.vfails(bob, unbond(1)),
        ValidatorFailure::NotAValidator { account: bob }
    );
    assert_eq!(
        sim.vfails(v0, unbond(1_001 * UNIT)),
        ValidatorFailure::InsufficientBonded {
            requested: 1_001 * UNIT,
            bonded: 1_000 * UNIT
        }
    );
    assert_eq!(
        sim.vfails(v0, unbond(950 * UNIT)),
        ValidatorFailure::UnbondBelowMin {
            remaining: 50 * UNIT,
            min: 100 * UNIT
        }
    );
    assert!(matches!(
        sim.fails(bob, bond(u64::MAX)),
        TxFailure::Bank(BankFailure::InsufficientBalance { .. })
    ));
    sim.check_invariants();
}

#[test]
fn unbonding_entries_are_bounded() {
    let p = StakingParams {
        epoch_length: 2,
        min_validator_bond: 1,
        ..params()
    };
    let mut sim = Sim::new(p, &[("v0", 1_000)]);
    let v0 = key("v0");
    for _ in 0..MAX_UNBONDING_ENTRIES {
        sim.ok(v0, unbond(1));
        sim.end_block();
        sim.end_block();
    }
    assert_eq!(
        sim.vfails(v0, unbond(1)),
        ValidatorFailure::TooManyUnbondingEntries {
            max: MAX_UNBONDING_ENTRIES
        }
    );
    // Withdrawing the matured ones makes room again.
    sim.ok(v0, ValidatorCall::Withdraw);
    sim.ok(v0, unbond(1));
    sim.check_invariants();
}

#[test]
fn selection_orders_by_stake_then_account_bytes_and_caps_the_size() {
    let mut sim = Sim::new(params(), &[("v0", 100 * UNIT)]);
    let names = ["a", "b", "c", "d", "e"];
    for n in names {
        sim.fund(key(n), 1_000 * UNIT);
    }
    // Equal stakes for a, b, c; d more; e below the minimum is impossible (refused), so e
    // bonds the minimum exactly.
    for n in ["a", "b", "c"] {
        sim.ok(key(n), bond(300 * UNIT));
    }
    sim.ok(key("d"), bond(400 * UNIT));
    sim.ok(key("e"), bond(100 * UNIT));
    let ev = sim.advance_to_epoch(1);
    let mut ties = [key("a"), key("b"), key("c")];
    ties.sort();
    let expected = vec![key("d"), ties[0], ties[1]];
    assert_eq!(sim.set_accounts(1), expected);
    assert_eq!(announced(&ev).len(), 1);
    assert_eq!(sim.set(1).expect("set")[0].1, 400 * UNIT);
    // The tie loser overtakes with one more base unit.
    sim.ok(ties[2], bond(UNIT));
    sim.advance_to_epoch(2);
    assert_eq!(sim.set_accounts(2), vec![key("d"), ties[2], ties[0]]);
    let view = query::validator_set(&sim.mem, 19, &sim.params).expect("view");
    assert_eq!(view.epoch, 2);
    assert_eq!(view.epoch_end_height, 29);
    assert_eq!(view.validators.len(), 3);
    sim.check_invariants();
}

#[test]
fn a_slashed_below_minimum_candidate_is_not_selected() {
    let p = StakingParams {
        slash_bps: 5_000,
        ..params()
    };
    let mut sim = Sim::new(p, &[("v0", 1_000 * UNIT), ("v1", 150 * UNIT)]);
    sim.fund(key("bob"), 10 * UNIT);
    sim.ok(key("bob"), report(&key("v1"), 0, 3));
    assert_eq!(sim.bonded(&key("v1")), 75 * UNIT);
    sim.advance_to_epoch(1);
    assert_eq!(sim.set_accounts(1), vec![key("v0")]);
}

#[test]
fn the_set_is_never_empty() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT), ("v1", 500 * UNIT)]);
    sim.ok(key("v0"), unbond(1_000 * UNIT));
    sim.ok(key("v1"), unbond(500 * UNIT));
    let ev = sim.advance_to_epoch(1);
    assert_eq!(
        ev,
        vec![
            Event::Validator(ValidatorEvent::EmptySetAvoided { epoch: 1 }),
            Event::Validator(ValidatorEvent::ValidatorSetChanged {
                epoch: 1,
                validators: vec![
                    SetMember {
                        account: key("v0"),
                        stake: 1_000 * UNIT
                    },
                    SetMember {
                        account: key("v1"),
                        stake: 500 * UNIT
                    }
                ]
            })
        ]
    );
    assert_eq!(sim.set(1), sim.set(0));
    // It keeps being kept until someone bonds.
    sim.advance_to_epoch(2);
    assert_eq!(sim.set(2), sim.set(0));
    sim.fund(key("bob"), 500 * UNIT);
    sim.ok(key("bob"), bond(100 * UNIT));
    let ev = sim.advance_to_epoch(3);
    assert!(
        !ev.contains(&Event::Validator(ValidatorEvent::EmptySetAvoided {
            epoch: 3
        }))
    );
    assert_eq!(sim.set_accounts(3), vec![key("bob")]);
    sim.check_invariants();
}

#[test]
fn equivocation_slashes_bonded_and_unmatured_unbonding_stake_burns_and_rewards() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT), ("v1", 2_000 * UNIT)]);
    let v1 = key("v1");
    let reporter = key("carol");
    sim.fund(reporter, UNIT);
    // v1: an entry that will have matured (created in epoch 0, release 3) and one that has not
    // (created in epoch 2, release 5) at the time of the report in epoch 3.
    sim.ok(v1, unbond(400 * UNIT));
    sim.advance_to_epoch(2);
    sim.ok(v1, unbond(200 * UNIT));
    sim.advance_to_epoch(3);
    assert_eq!(sim.bonded(&v1), 1_400 * UNIT);
    let issuance = sim.issuance();
    let ev = sim.ok(reporter, report(&v1, 2, 77));
    // 5% of 1,400 bonded = 70; 5% of the unmatured 200 = 10; the matured 400 is untouched.
    let slashed = 80 * UNIT;
    let reward = 8 * UNIT;
    assert_eq!(
        ev,
        vec![
            Event::Validator(ValidatorEvent::Slashed {
                offender: v1,
                epoch: 2,
                view: 77,
                slashed,
                burned: slashed - reward,
                reporter,
                reward
            }),
            Event::Validator(ValidatorEvent::Tombstoned { validator: v1 })
        ]
    );
    let rec = sim.record(&v1).expect("record");
    assert_eq!(rec.bonded, 1_330 * UNIT);
    assert_eq!(
        rec.unbonding,
        vec![
            UnbondingEntry {
                amount: 400 * UNIT,
                release_epoch: 3
            },
            UnbondingEntry {
                amount: 190 * UNIT,
                release_epoch: 5
            }
        ]
    );
    assert!(rec.tombstoned);
    assert_eq!(rec.slashed, slashed);
    assert_eq!(sim.issuance(), issuance - (slashed - reward), "burned");
    assert_eq!(sim.balance(&reporter), UNIT + reward);
    sim.check_invariants();

    // Tombstoned: out of the next set, cannot bond, can still leave with what is left.
    sim.advance_to_epoch(4);
    assert_eq!(sim.set_accounts(4), vec![key("v0")]);
    sim.fund(v1, 1_000 * UNIT);
    assert_eq!(
        sim.vfails(v1, bond(500 * UNIT)),
        ValidatorFailure::Tombstoned { account: v1 }
    );
    sim.ok(v1, unbond(1_330 * UNIT));
    sim.ok(v1, ValidatorCall::Withdraw);
    assert_eq!(sim.balance(&v1), 1_400 * UNIT);
    sim.advance_to_epoch(7);
    sim.ok(v1, ValidatorCall::Withdraw);
    assert_eq!(sim.balance(&v1), (1_400 + 190 + 1_330) * UNIT);
    let rec = sim.record(&v1).expect("a tombstone outlives the stake");
    assert!(rec.tombstoned && !rec.holds_stake());
    assert_eq!(
        sim.vfails(v1, bond(500 * UNIT)),
        ValidatorFailure::Tombstoned { account: v1 }
    );
    sim.check_invariants();
}

#[test]
fn evidence_refusals() {
    let mut sim = Sim::new(params(), &[("v0", 1_000 * UNIT), ("v1", 1_000 * UNIT)]);
    let v0 = key("v0");
    let r = key("carol");
    sim.fund(r, UNIT);
    assert_eq!(
        sim.vfails(
            r,
            ValidatorCall::ReportEquivocation {
                evidence: b"junk".to_vec()
            }
        ),
        ValidatorFailure::InvalidEvidence {
            detail: "malformed evidence".into()
        }
    );
    assert_eq!(
        sim.vfails(
            r,
            ValidatorCall::ReportEquivocation {
                evidence: vec![0; synod_validators::MAX_EVIDENCE_LEN + 1]
            }
        ),
        ValidatorFailure::EvidenceTooLarge {
            size: 8 * 1024 + 1,
            max: 8 * 1024
        }
    );
    // Not a member of epoch 0 (the verifier says so) and no set yet for epoch 1.
    assert!(matches!(
        sim.vfails(r, report(&key("bob"), 0, 1)),
        ValidatorFailure::InvalidEvidence { .. }
    ));
    assert!(matches!(
        sim.vfails(r, report(&v0, 1, 1)),
        ValidatorFailure::InvalidEvidence { .. }
    ));
    // Once epoch 1 has started (its set is stored), its offences can be reported.
    sim.advance_to_epoch(1);
    sim.ok(r, report(&v0, 1, 5));
    assert_eq!(
        sim.vfails(r, report(&v0, 1, 5)),
        ValidatorFailure::DuplicateEvidence {
            offender: v0,
            epoch: 1,
            view: 5
        }
    );
    assert_eq!(
        sim.vfails(r, report(&v0, 1, 6)),
        ValidatorFailure::OffenderAlreadyTombstoned { offender: v0 }
    );
    // Too old: epoch 0 evidence is accepted up to epoch 2 (unbonding_epochs = 2).
    sim.advance_to_epoch(3);
    assert_eq!(
        sim.vfails(r, report(&key("v1"), 0, 1)),
        ValidatorFailure::EvidenceTooOld {
            epoch: 0,
            oldest: 1
        }
    );
    sim.ok(r, report(&key("v1"), 1, 1));
    // Without a verifier every report is refused.
    sim.with_verifier = false;
    assert_eq!(
        sim.vfails(r, report(&key("v1"), 2, 1)),
        ValidatorFailure::EvidenceNotSupported
    );
    sim.check_invariants();
}

/// A verifier that claims an offence in an epoch that has not started: the module refuses it
/// even though the verifier accepted it.
#[test]
fn future_offences_are_refused_by_the_module() {
    use synod_primitives::Keypair;
    use synod_storage::delta::Overlay;
    use synod_validators::{Ctx, EquivocationVerifier, Offence};
    struct Future(AccountId);
    impl EquivocationVerifier for Future {
        fn verify(
            &self,
            _: &[u8],
            _: &dyn Fn(u64) -> Option<Vec<AccountId>>,
        ) -> Result<Offence, String> {
            Ok(Offence {
                offender: self.0,
                epoch: 9,
                view: 0,
            })
        }
    }
    let sim = Sim::new(params(), &[("v0", 1_000 * UNIT)]);
    let mut ov = Overlay::new(&sim.mem);
    let p = params();
    let v = Future(key("v0"));
    let r = synod_validators::dispatch(
        &mut ov,
        &Ctx {
            height: 5,
            params: &p,
            verifier: Some(&v),
        },
        &Keypair::dev("carol").account(),
        &report(&key("v0"), 9, 0),
    );
    assert!(matches!(
        r,
        Err(synod_validators::CallError::Failed(
            synod_validators::CallFailure::Validator(ValidatorFailure::EvidenceFromFuture {
                epoch: 9,
                current: 0
            })
        ))
    ));
}

#[test]
fn a_verifier_that_names_a_non_member_is_refused() {
    use synod_storage::delta::Overlay;
    use synod_validators::{Ctx, EquivocationVerifier, Offence};
    struct Liar;
    impl EquivocationVerifier for Liar {
        fn verify(
            &self,
            _: &[u8],
            _: &dyn Fn(u64) -> Option<Vec<AccountId>>,
        ) -> Result<Offence, String> {
            Ok(Offence {
                offender: key("bob"),
                epoch: 0,
                view: 0,
            })
        }
    }
    let sim = Sim::new(params(), &[("v0", 1_000 * UNIT)]);
    let mut ov = Overlay::new(&sim.mem);
    let p = params();
    let r = synod_validators::dispatch(
        &mut ov,
        &Ctx {
            height: 5,
            params: &p,
            verifier: Some(&Liar),
        },
        &key("carol"),
        &report(&key("bob"), 0, 0),
    );
    assert!(matches!(
        r,
        Err(synod_validators::CallError::Failed(
            synod_validators::CallFailure::Validator(ValidatorFailure::OffenderNotInSet {
                epoch: 0,
                ..
            })
        ))
    ));
}

#[test]
fn reward_and_slash_rounding_is_floor_and_supply_exact() {
    let p = StakingParams {
        slash_bps: 333,
        reporter_reward_bps: 3_333,
        min_validator_bond: 1,
        ..params()
    };
    let mut sim = Sim::new(p, &[("v0", 1_000_003), ("v1", 10)]);
    let r = key("carol");
    sim.accounts.insert(r);
    let before = sim.issuance();
    let ev = sim.ok(r, report(&key("v0"), 0, 0));
    // floor(1_000_003 * 333 / 10_000) = 33_300; reward floor(33_300 * 3_333 / 10_000) = 11_098.
    assert!(ev.contains(&Event::Validator(ValidatorEvent::Slashed {
        offender: key("v0"),
        epoch: 0,
        view: 0,
        slashed: 33_300,
        burned: 33_300 - 11_098,
        reporter: r,
        reward: 11_098
    })));
    assert_eq!(sim.issuance(), before - (33_300 - 11_098));
    sim.check_invariants();
}
