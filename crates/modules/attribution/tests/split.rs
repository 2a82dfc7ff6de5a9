//! Exact revenue split along lineage DAGs.

#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use synod_attribution::{
    AssetSpec, Beneficiary, Lineage, ParentEdge, SplitError, WEIGHT_TOTAL, values_to_weights,
};

type B = Beneficiary<&'static str, &'static str>;

fn spec(
    parents: &[(&'static str, u16)],
    weights: &[(&'static str, u64)],
) -> AssetSpec<&'static str, &'static str> {
    AssetSpec {
        parents: parents
            .iter()
            .map(|&(parent, share_bp)| ParentEdge { parent, share_bp })
            .collect(),
        weights: weights.iter().copied().collect(),
    }
}

fn payouts(v: &[(B, u128)]) -> BTreeMap<B, u128> {
    v.iter().cloned().collect()
}

#[test]
fn split_hand_vector_dataset_model_finetune() {
    // dataset D (contributors a 50 %, b 30 %, c 20 %), model M trained on D under a 25 %
    // upstream share, fine-tune F of M under a 10 % share; M has contributor m at 100 %.
    let mut l = Lineage::new();
    l.add_asset(
        "D",
        spec(&[], &[("a", 500_000), ("b", 300_000), ("c", 200_000)]),
    )
    .unwrap();
    l.add_asset("M", spec(&[("D", 2_500)], &[("m", WEIGHT_TOTAL)]))
        .unwrap();
    l.add_asset("F", spec(&[("M", 1_000)], &[])).unwrap();
    // Pay F 1_000_009:
    //   F → M: ⌊1_000_009 · 0.1⌋ = 100_000; owner F: 900_009
    //   M → D: ⌊100_000 · 0.25⌋ = 25_000; rest 75_000 → m 75_000, owner M 0
    //   D: a 12_500, b 7_500, c 5_000, owner D 0
    let s = l.split(&"F", 1_000_009).unwrap();
    assert_eq!(
        s.payouts,
        payouts(&[
            (B::Owner("F"), 900_009),
            (B::Contributor("m"), 75_000),
            (B::Contributor("a"), 12_500),
            (B::Contributor("b"), 7_500),
            (B::Contributor("c"), 5_000),
        ])
    );
    assert_eq!(
        s.inflows,
        [("F", 1_000_009), ("M", 100_000), ("D", 25_000)]
            .into_iter()
            .collect()
    );
}

#[test]
fn split_hand_vector_remainders_go_to_owner() {
    let mut l = Lineage::new();
    l.add_asset(
        "X",
        spec(&[], &[("a", 333_333), ("b", 333_333), ("c", 333_334)]),
    )
    .unwrap();
    // 100 · 0.333333 = 33.33 → 33; 100 · 0.333334 → 33; owner gets 1.
    let s = l.split(&"X", 100).unwrap();
    assert_eq!(
        s.payouts,
        payouts(&[
            (B::Contributor("a"), 33),
            (B::Contributor("b"), 33),
            (B::Contributor("c"), 33),
            (B::Owner("X"), 1),
        ])
    );
    // Zero and one base unit.
    assert!(l.split(&"X", 0).unwrap().payouts.is_empty());
    assert_eq!(
        l.split(&"X", 1).unwrap().payouts,
        payouts(&[(B::Owner("X"), 1)])
    );
}

#[test]
fn split_hand_vector_diamond_aggregates_once() {
    // A ← B, A ← C (50 % each), B ← D, C ← D (10 % each). A has contributor z at 100 %.
    let mut l = Lineage::new();
    l.add_asset("A", spec(&[], &[("z", WEIGHT_TOTAL)])).unwrap();
    l.add_asset("B", spec(&[("A", 5_000)], &[])).unwrap();
    l.add_asset("C", spec(&[("A", 5_000)], &[])).unwrap();
    l.add_asset("D", spec(&[("B", 1_000), ("C", 1_000)], &[]))
        .unwrap();
    // D: 10_019 → B ⌊1001.9⌋ = 1001, C 1001, owner D 8017
    // B: 1001 → A ⌊500.5⌋ = 500, owner B 501; C likewise
    // A: inflow 1000 (once) → z 1000.
    let s = l.split(&"D", 10_019).unwrap();
    assert_eq!(
        s.payouts,
        payouts(&[
            (B::Owner("D"), 8_017),
            (B::Owner("B"), 501),
            (B::Owner("C"), 501),
            (B::Contributor("z"), 1_000),
        ])
    );
    assert_eq!(s.inflows[&"A"], 1_000);
}

#[test]
fn split_whole_u128_range_down_a_deep_chain() {
    // Depth 300, every edge passing 100 % upstream except the last at 33.33 %.
    let mut l: Lineage<u32, u32> = Lineage::new();
    l.add_asset(
        0,
        AssetSpec {
            parents: vec![],
            weights: [(1, 1), (2, WEIGHT_TOTAL - 1)].into_iter().collect(),
        },
    )
    .unwrap();
    for i in 1..300u32 {
        let share_bp = if i == 1 { 3_333 } else { 10_000 };
        l.add_asset(
            i,
            AssetSpec {
                parents: vec![ParentEdge {
                    parent: i - 1,
                    share_bp,
                }],
                weights: BTreeMap::new(),
            },
        )
        .unwrap();
    }
    for amount in [u128::MAX, u128::MAX - 1, 1u128 << 127, 12_345] {
        let s = l.split(&299, amount).unwrap();
        let sum = s
            .payouts
            .values()
            .try_fold(0u128, |a, v| a.checked_add(*v))
            .unwrap();
        assert_eq!(sum, amount);
        let up = amount / 10_000 * 3_333 + amount % 10_000 * 3_333 / 10_000;
        assert_eq!(s.inflows[&0], up);
        assert_eq!(s.payouts[&Beneficiary::Owner(1)], amount - up);
    }
}

#[test]
fn lineage_refusals_change_nothing() {
    let mut l = Lineage::new();
    l.add_asset("A", spec(&[], &[])).unwrap();
    l.add_asset("B", spec(&[("A", 1_000)], &[])).unwrap();
    l.add_asset("C", spec(&[("B", 1_000)], &[])).unwrap();
    let before = l.clone();
    // A cycle: A would become a child of C, its own descendant.
    assert_eq!(
        l.add_edge(
            &"A",
            ParentEdge {
                parent: "C",
                share_bp: 100
            }
        ),
        Err(SplitError::Cycle { asset: "A" })
    );
    assert_eq!(
        l.add_edge(
            &"B",
            ParentEdge {
                parent: "B",
                share_bp: 100
            }
        ),
        Err(SplitError::Cycle { asset: "B" })
    );
    assert_eq!(
        l.add_edge(
            &"C",
            ParentEdge {
                parent: "Q",
                share_bp: 100
            }
        ),
        Err(SplitError::UnknownParent {
            child: "C",
            parent: "Q"
        })
    );
    assert_eq!(
        l.add_edge(
            &"C",
            ParentEdge {
                parent: "B",
                share_bp: 100
            }
        ),
        Err(SplitError::DuplicateParent {
            child: "C",
            parent: "B"
        })
    );
    assert_eq!(
        l.add_edge(
            &"C",
            ParentEdge {
                parent: "A",
                share_bp: 9_001
            }
        ),
        Err(SplitError::SharesExceed {
            asset: "C",
            total_bp: 10_001
        })
    );
    assert_eq!(
        l.add_asset("D", spec(&[("Z", 1)], &[])),
        Err(SplitError::UnknownParent {
            child: "D",
            parent: "Z"
        })
    );
    assert_eq!(
        l.add_asset("A", spec(&[], &[])),
        Err(SplitError::DuplicateAsset("A"))
    );
    assert_eq!(
        l.add_asset("D", spec(&[], &[("a", 1), ("b", WEIGHT_TOTAL)])),
        Err(SplitError::WeightsSum {
            asset: "D",
            sum: u128::from(WEIGHT_TOTAL) + 1,
            expected: WEIGHT_TOTAL
        })
    );
    assert_eq!(
        l.set_weights(&"A", [("a", WEIGHT_TOTAL - 1)].into_iter().collect()),
        Err(SplitError::WeightsSum {
            asset: "A",
            sum: u128::from(WEIGHT_TOTAL) - 1,
            expected: WEIGHT_TOTAL
        })
    );
    assert_eq!(
        l.set_weights(&"Q", BTreeMap::new()),
        Err(SplitError::UnknownAsset("Q"))
    );
    assert_eq!(l.split(&"Q", 5).unwrap_err(), SplitError::UnknownAsset("Q"));
    assert_eq!(l, before);
    // A legal edge works: C also derives from A.
    l.add_edge(
        &"C",
        ParentEdge {
            parent: "A",
            share_bp: 9_000,
        },
    )
    .unwrap();
    assert_eq!(l.split(&"C", 10_000).unwrap().inflows[&"A"], 9_000 + 100);
}

#[test]
fn from_specs_detects_cycles_and_bad_input() {
    let mut specs = BTreeMap::new();
    specs.insert("A", spec(&[("C", 10)], &[]));
    specs.insert("B", spec(&[("A", 10)], &[]));
    specs.insert("C", spec(&[("B", 10)], &[]));
    specs.insert("D", spec(&[("C", 10)], &[])); // downstream of the cycle, not on it
    specs.insert("E", spec(&[], &[])); // unrelated
    match Lineage::from_specs(specs.clone()) {
        Err(SplitError::Cycle { asset }) => assert!(["A", "B", "C"].contains(&asset), "{asset}"),
        other => panic!("expected a cycle, got {other:?}"),
    }
    specs.insert("A", spec(&[], &[]));
    assert!(Lineage::from_specs(specs.clone()).is_ok());
    specs.insert("F", spec(&[("G", 10)], &[]));
    assert_eq!(
        Lineage::from_specs(specs.clone()).unwrap_err(),
        SplitError::UnknownParent {
            child: "F",
            parent: "G"
        }
    );
    specs.insert("F", spec(&[("A", 6_000), ("B", 4_001)], &[]));
    assert_eq!(
        Lineage::from_specs(specs).unwrap_err(),
        SplitError::SharesExceed {
            asset: "F",
            total_bp: 10_001
        }
    );
}

/// A random DAG of `n` assets in creation order (parents are always earlier), with
/// scrambled ids so that id order is not topological order.
struct Dag {
    ids: Vec<u64>,
    specs: Vec<AssetSpec<u64, u32>>,
}

fn scramble(i: usize) -> u64 {
    (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn random_dag(seed: u64, n: usize) -> Dag {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut ids = Vec::with_capacity(n);
    let mut specs = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(scramble(i));
        let mut parents = Vec::new();
        if i > 0 {
            let want = (rng.next_u32() % 4) as usize;
            let mut budget: u32 = 10_000;
            for _ in 0..want {
                // Mostly recent parents (deep chains), sometimes any earlier one.
                let p = if rng.next_u32() % 2 == 0 {
                    i - 1 - (rng.next_u32() as usize % i.min(3))
                } else {
                    rng.next_u32() as usize % i
                };
                let pid = scramble(p);
                if parents.iter().any(|e: &ParentEdge<u64>| e.parent == pid) {
                    continue;
                }
                let share = match rng.next_u32() % 4 {
                    0 => budget,
                    1 => 0,
                    _ => rng.next_u32() % (budget + 1),
                };
                budget -= share;
                parents.push(ParentEdge {
                    parent: pid,
                    share_bp: share as u16,
                });
            }
        }
        let weights = if rng.next_u32() % 3 == 0 {
            BTreeMap::new()
        } else {
            let k = 1 + rng.next_u32() % 5;
            let values: BTreeMap<u32, f64> = (0..k)
                .map(|_| (rng.next_u32() % 40, f64::from(rng.next_u32() % 1000) + 1.0))
                .collect();
            values_to_weights(&values, WEIGHT_TOTAL).unwrap()
        };
        specs.push(AssetSpec { parents, weights });
    }
    Dag { ids, specs }
}

impl Dag {
    fn lineage(&self) -> Lineage<u64, u32> {
        let mut l = Lineage::new();
        for (id, s) in self.ids.iter().zip(&self.specs) {
            l.add_asset(*id, s.clone()).unwrap();
        }
        l
    }

    /// Independent reference of the documented rule: creation order is a
    /// topological order, so walk it backwards from the paid asset.
    fn reference(&self, paid: usize, amount: u128) -> BTreeMap<Beneficiary<u64, u32>, u128> {
        let index: BTreeMap<u64, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i))
            .collect();
        let mut inflow = vec![0u128; self.ids.len()];
        inflow[paid] = amount;
        let mut out: BTreeMap<Beneficiary<u64, u32>, u128> = BTreeMap::new();
        for i in (0..=paid).rev() {
            let p = inflow[i];
            if p == 0 {
                continue;
            }
            let mut rest = p;
            for e in &self.specs[i].parents {
                // Exact floor(p * s / 10_000) via a wide product split in halves.
                let part = floor_mul_div(p, u128::from(e.share_bp), 10_000);
                inflow[index[&e.parent]] += part;
                rest -= part;
            }
            let mut owner = rest;
            for (c, w) in &self.specs[i].weights {
                let part = floor_mul_div(rest, u128::from(*w), u128::from(WEIGHT_TOTAL));
                owner -= part;
                if part > 0 {
                    *out.entry(Beneficiary::Contributor(*c)).or_insert(0) += part;
                }
            }
            if owner > 0 {
                out.insert(Beneficiary::Owner(self.ids[i]), owner);
            }
        }
        out
    }
}

/// floor(a * b / d) with a 256-bit product (schoolbook on 64-bit limbs), b, d < 2^64.
fn floor_mul_div(a: u128, b: u128, d: u128) -> u128 {
    let (hi, lo) = ((a >> 64) * b, (a & u128::from(u64::MAX)) * b);
    // a*b = hi * 2^64 + lo; divide by d in two steps.
    let q_hi = hi / d;
    let r_hi = hi % d;
    // (r_hi * 2^64 + lo) / d; r_hi < d < 2^64 so r_hi * 2^64 < 2^128, but + lo may overflow.
    let (sum, carry) = (r_hi << 64).overflowing_add(lo);
    let q_lo = if carry {
        // Add 2^128 / d worth: compute via (2^128 - 1) / d and adjust the remainder.
        let base = u128::MAX / d;
        let base_r = u128::MAX % d + 1; // 2^128 = base * d + base_r
        let r = sum % d + base_r % d;
        base + base_r / d + sum / d + r / d
    } else {
        sum / d
    };
    (q_hi << 64) + q_lo
}

fn check_dag(seed: u64, n: usize, amount: u128) -> Result<(), TestCaseError> {
    let dag = random_dag(seed, n);
    let l = dag.lineage();
    prop_assert_eq!(l.len(), n);
    // Pay the last asset (the deepest) and one in the middle.
    for paid in [n - 1, n / 2] {
        let s = l.split(&dag.ids[paid], amount).unwrap();
        let sum = s.payouts.values().try_fold(0u128, |a, v| a.checked_add(*v));
        prop_assert_eq!(sum, Some(amount));
        prop_assert!(s.payouts.values().all(|v| *v > 0));
        prop_assert_eq!(s.inflows[&dag.ids[paid]], amount);
        for e in &dag.specs[paid].parents {
            let floor = floor_mul_div(amount, u128::from(e.share_bp), 10_000);
            prop_assert!(s.inflows.get(&e.parent).copied().unwrap_or(0) >= floor);
        }
        prop_assert_eq!(s.payouts, dag.reference(paid, amount));
    }
    Ok(())
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        0u128..1_000,
        0u128..10_000_000_000,
        any::<u128>(),
        Just(u128::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn split_random_dags_pay_out_exactly(seed in any::<u64>(), n in 1usize..300, amount in amount()) {
        check_dag(seed, n, amount)?;
    }

    #[test]
    fn no_cycle_can_be_created(seed in any::<u64>(), n in 2usize..60, pairs in prop::collection::vec((any::<u32>(), any::<u32>(), 0u16..200), 1..20)) {
        let dag = random_dag(seed, n);
        let mut l = dag.lineage();
        for (a, b, share) in pairs {
            let child = dag.ids[a as usize % n];
            let parent = dag.ids[b as usize % n];
            let before = l.clone();
            let edge = ParentEdge { parent, share_bp: share };
            // The same edge checked by the whole-graph validator (Kahn), independently.
            let mut specs: BTreeMap<u64, AssetSpec<u64, u32>> =
                dag.ids.iter().map(|id| (*id, l.get(id).unwrap().clone())).collect();
            specs.get_mut(&child).unwrap().parents.push(edge.clone());
            let whole = Lineage::from_specs(specs);
            match l.add_edge(&child, edge) {
                Ok(()) => {
                    prop_assert!(whole.is_ok());
                    prop_assert_eq!(whole.unwrap(), l.clone());
                }
                Err(e) => {
                    prop_assert_eq!(&l, &before);
                    let cyclic = matches!(e, SplitError::Cycle { .. });
                    prop_assert_eq!(cyclic, matches!(whole, Err(SplitError::Cycle { .. })));
                    if !cyclic {
                        prop_assert!(whole.is_err());
                    }
                }
            }
        }
    }
}

#[test]
fn split_random_dags_of_1000_assets() {
    for seed in 0..4u64 {
        let r = check_dag(
            seed,
            1_000,
            u128::from(seed) * 1_000_000_007 + u128::MAX / 3,
        );
        assert!(r.is_ok(), "{r:?}");
    }
}

#[test]
fn floor_mul_div_reference_is_right() {
    assert_eq!(floor_mul_div(u128::MAX, 10_000, 10_000), u128::MAX);
    assert_eq!(floor_mul_div(u128::MAX, 1, 10_000), u128::MAX / 10_000);
    assert_eq!(
        floor_mul_div(u128::MAX, 9_999, 10_000),
        u128::MAX - u128::MAX / 10_000 - 1
    );
    assert_eq!(
        floor_mul_div(12_345, 3_333, 10_000),
        12_345 * 3_333 / 10_000
    );
}
