//! Values → integer weights.

#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use synod_attribution::{WEIGHT_TOTAL, WeightError, values_to_weights};

fn map(v: &[(u32, f64)]) -> BTreeMap<u32, f64> {
    v.iter().copied().collect()
}

#[test]
fn weights_hand_vectors() {
    // Three equal values: one unit left over, given to the lowest id.
    let w = values_to_weights(&map(&[(7, 1.0), (3, 1.0), (5, 1.0)]), WEIGHT_TOTAL).unwrap();
    assert_eq!(
        w,
        [(3, 333_334), (5, 333_333), (7, 333_333)]
            .into_iter()
            .collect()
    );
    // Negative values are clamped to zero and kept with weight 0.
    let w = values_to_weights(&map(&[(1, -5.0), (2, 2.0), (3, 0.0)]), WEIGHT_TOTAL).unwrap();
    assert_eq!(w, [(1, 0), (2, 1_000_000), (3, 0)].into_iter().collect());
    // Proportional when exact: 1 : 3.
    let w = values_to_weights(&map(&[(1, 0.25), (2, 0.75)]), 1000).unwrap();
    assert_eq!(w, [(1, 250), (2, 750)].into_iter().collect());
    // Largest remainder: 2/3 and 1/3 of 10 → 6.67, 3.33 → 7, 3.
    let w = values_to_weights(&map(&[(1, 2.0), (2, 1.0)]), 10).unwrap();
    assert_eq!(w, [(1, 7), (2, 3)].into_iter().collect());
}

#[test]
fn weights_errors() {
    assert_eq!(
        values_to_weights(&map(&[(1, -1.0), (2, 0.0)]), WEIGHT_TOTAL),
        Err(WeightError::NoPositiveValue)
    );
    assert_eq!(
        values_to_weights(&BTreeMap::<u32, f64>::new(), WEIGHT_TOTAL),
        Err(WeightError::NoPositiveValue)
    );
    assert_eq!(
        values_to_weights(&map(&[(1, f64::NAN), (2, 1.0)]), WEIGHT_TOTAL),
        Err(WeightError::NonFinite)
    );
    assert_eq!(
        values_to_weights(&map(&[(1, f64::INFINITY)]), WEIGHT_TOTAL),
        Err(WeightError::NonFinite)
    );
    assert_eq!(
        values_to_weights(&map(&[(1, 1.0)]), 0),
        Err(WeightError::ZeroTotal)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn weights_sum_exactly_and_are_fair(
        values in prop::collection::btree_map(any::<u32>(), -1.0e3f64..1.0e3, 1..60),
        total in prop::sample::select(vec![1u64, 7, 10_000, WEIGHT_TOTAL, u64::MAX]),
    ) {
        prop_assume!(values.values().any(|v| *v > 0.0));
        let w = values_to_weights(&values, total).unwrap();
        prop_assert_eq!(w.len(), values.len());
        let sum: u128 = w.values().map(|&x| u128::from(x)).sum();
        prop_assert_eq!(sum, u128::from(total));
        let pos: f64 = values.values().map(|v| v.max(0.0)).sum();
        for (c, v) in &values {
            if *v <= 0.0 {
                prop_assert_eq!(w[c], 0);
            } else {
                // Within one unit of the exact quota (plus float slack relative to total).
                let quota = v / pos * total as f64;
                let slack = 1.0 + total as f64 * 1e-12;
                prop_assert!((w[c] as f64 - quota).abs() <= slack, "{} vs {}", w[c], quota);
            }
        }
        // Monotone: a larger value never gets a smaller weight.
        for (a, va) in &values {
            for (b, vb) in &values {
                if va > vb {
                    prop_assert!(w[a] >= w[b]);
                }
            }
        }
    }
}
