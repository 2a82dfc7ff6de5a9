//! Property: over random sequences of bonds, unbonds, withdrawals, equivocation reports and
//! blocks, the total supply always equals free balances + bonded + unbonding, the module
//! account holds exactly the stake, the totals match the records, and every stored set is
//! non-empty, within `max_validators`, ordered, and free of tombstoned members when selected.

mod common;

use common::*;
use proptest::prelude::*;
use synod_primitives::token::UNIT;
use synod_validators::StakingParams;
use synod_validators::ValidatorCall;

const NAMES: [&str; 5] = ["v0", "v1", "a", "b", "c"];

#[derive(Clone, Debug)]
enum Op {
    Bond(usize, u64),
    Unbond(usize, u64),
    Withdraw(usize),
    Report {
        reporter: usize,
        offender: usize,
        back: u64,
        view: u64,
    },
    Blocks(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..NAMES.len(), 0u64..400).prop_map(|(w, a)| Op::Bond(w, a * UNIT / 2)),
        3 => (0..NAMES.len(), 0u64..400).prop_map(|(w, a)| Op::Unbond(w, a * UNIT / 2)),
        2 => (0..NAMES.len()).prop_map(Op::Withdraw),
        1 => (0..NAMES.len(), 0..NAMES.len(), 0u64..3, 0u64..3).prop_map(
            |(reporter, offender, back, view)| Op::Report { reporter, offender, back, view }
        ),
        3 => (1u64..12).prop_map(Op::Blocks),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn supply_and_sets_stay_consistent(
        ops in prop::collection::vec(op(), 1..60),
        max_validators in 1u32..4,
        slash_bps in 0u16..=10_000,
        reward_bps in 0u16..=10_000,
    ) {
        let params = StakingParams {
            epoch_length: 5,
            min_validator_bond: 50 * UNIT,
            max_validators,
            unbonding_epochs: 1,
            slash_bps,
            reporter_reward_bps: reward_bps,
        };
        let mut sim = Sim::new(params, &[("v0", 300 * UNIT), ("v1", 100 * UNIT)]);
        for n in NAMES {
            sim.fund(key(n), 500 * UNIT);
        }
        sim.check_invariants();
        for op in ops {
            match op {
                Op::Bond(w, a) => { let _ = sim.call(key(NAMES[w]), ValidatorCall::Bond { amount: a }); }
                Op::Unbond(w, a) => { let _ = sim.call(key(NAMES[w]), ValidatorCall::Unbond { amount: a }); }
                Op::Withdraw(w) => { let _ = sim.call(key(NAMES[w]), ValidatorCall::Withdraw); }
                Op::Report { reporter, offender, back, view } => {
                    let epoch = sim.params.epoch_of(sim.height).saturating_sub(back);
                    let _ = sim.call(
                        key(NAMES[reporter]),
                        ValidatorCall::ReportEquivocation {
                            evidence: evidence(&key(NAMES[offender]), epoch, view),
                        },
                    );
                }
                Op::Blocks(n) => {
                    for _ in 0..n {
                        let boundary = sim.params.is_epoch_end(sim.height);
                        let epoch = sim.current_epoch();
                        let previous = sim.set(epoch).expect("current set stored");
                        sim.end_block();
                        if boundary {
                            let set = sim.set(epoch + 1).expect("new set stored");
                            prop_assert_eq!(sim.current_epoch(), epoch + 1);
                            prop_assert!(!set.is_empty());
                            prop_assert!(set.len() <= max_validators as usize || set == previous);
                            for w in set.windows(2) {
                                prop_assert!(w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0));
                            }
                            if set != previous {
                                for (a, stake) in &set {
                                    let rec = sim.record(a).expect("member has a record");
                                    prop_assert!(!rec.tombstoned);
                                    prop_assert_eq!(rec.bonded, *stake);
                                    prop_assert!(*stake >= sim.params.min_validator_bond);
                                }
                            }
                        }
                    }
                }
            }
            sim.check_invariants();
        }
    }
}
