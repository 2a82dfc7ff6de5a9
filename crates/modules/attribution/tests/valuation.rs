//! KNN-Shapley against brute force, the efficiency axiom, Monte-Carlo against exact.

#![allow(missing_docs, clippy::unwrap_used, clippy::needless_range_loop)]

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use synod_attribution::{
    KnnInput, McConfig, ValuationError, exact_shapley, knn_shapley, knn_utility,
    monte_carlo_shapley, per_contributor,
};

#[derive(Debug, Clone)]
struct Data {
    train: Vec<Vec<f32>>,
    labels: Vec<u32>,
    val: Vec<Vec<f32>>,
    val_labels: Vec<u32>,
}

impl Data {
    fn input(&self, k: usize) -> KnnInput<'_> {
        KnnInput {
            train: &self.train,
            train_labels: &self.labels,
            validation: &self.val,
            validation_labels: &self.val_labels,
            k,
        }
    }
}

/// Small integer coordinates, so that equal distances (ties) are common.
fn small_data() -> impl Strategy<Value = Data> {
    (1usize..=3, 1usize..=10, 1usize..=3).prop_flat_map(|(dim, n, m)| {
        (
            prop::collection::vec(prop::collection::vec(-3i8..=3, dim), n),
            prop::collection::vec(0u32..3, n),
            prop::collection::vec(prop::collection::vec(-3i8..=3, dim), m),
            prop::collection::vec(0u32..3, m),
        )
            .prop_map(|(t, l, v, vl)| Data {
                train: t
                    .into_iter()
                    .map(|p| p.into_iter().map(f32::from).collect())
                    .collect(),
                labels: l,
                val: v
                    .into_iter()
                    .map(|p| p.into_iter().map(f32::from).collect())
                    .collect(),
                val_labels: vl,
            })
    })
}

fn random_data(seed: u64, n: usize, m: usize, dim: usize, classes: u32) -> Data {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut coord = || (rng.next_u32() % 2001) as f32 / 1000.0 - 1.0;
    let train: Vec<Vec<f32>> = (0..n)
        .map(|_| (0..dim).map(|_| coord()).collect())
        .collect();
    let val: Vec<Vec<f32>> = (0..m)
        .map(|_| (0..dim).map(|_| coord()).collect())
        .collect();
    // Labels correlated with the first coordinate, plus noise.
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5eed);
    let mut label = |p: &Vec<f32>| {
        if rng.next_u32() % 5 == 0 {
            rng.next_u32() % classes
        } else {
            (((p[0] + 1.0) / 2.0 * classes as f32) as u32).min(classes - 1)
        }
    };
    let labels = train.iter().map(&mut label).collect();
    let val_labels = val.iter().map(&mut label).collect();
    Data {
        train,
        labels,
        val,
        val_labels,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn knn_shapley_equals_brute_force(data in small_data(), k in prop::sample::select(vec![1usize, 3, 5])) {
        let input = data.input(k);
        let fast = knn_shapley(&input).unwrap();
        let n = data.train.len();
        let exact = exact_shapley(n, |s| knn_utility(&input, s).unwrap()).unwrap();
        for i in 0..n {
            prop_assert!((fast[i] - exact[i]).abs() < 1e-9, "point {i}: {} vs {}", fast[i], exact[i]);
        }
    }

    #[test]
    fn knn_shapley_efficiency(seed in any::<u64>(), n in 1usize..60, m in 1usize..6, k in 1usize..8) {
        let data = random_data(seed, n, m, 3, 3);
        let input = data.input(k);
        let values = knn_shapley(&input).unwrap();
        let all: Vec<usize> = (0..n).collect();
        let full = knn_utility(&input, &all).unwrap();
        let empty = knn_utility(&input, &[]).unwrap();
        prop_assert_eq!(empty, 0.0);
        let sum: f64 = values.iter().sum();
        prop_assert!((sum - (full - empty)).abs() < 1e-9, "sum {sum} vs U(full) {full}");
    }
}

#[test]
fn knn_shapley_hand_example() {
    // One dimension; test point 0 with label 1; K = 1.
    // Ranks: x=1 (label 1, hit), x=2 (label 0), x=3 (label 1, hit).
    // s3 = 1/3, s2 = 1/3 - 1/2 = -1/6, s1 = -1/6 + 1 = 5/6.
    let data = Data {
        train: vec![vec![3.0], vec![1.0], vec![2.0]],
        labels: vec![1, 1, 0],
        val: vec![vec![0.0]],
        val_labels: vec![1],
    };
    let v = knn_shapley(&data.input(1)).unwrap();
    let expect = [1.0 / 3.0, 5.0 / 6.0, -1.0 / 6.0];
    for (a, b) in v.iter().zip(expect) {
        assert!((a - b).abs() < 1e-12, "{v:?}");
    }
}

#[test]
fn knn_ties_are_broken_by_index() {
    // Two points at the same distance, K = 1: the lower index is "nearer".
    let data = Data {
        train: vec![vec![1.0], vec![-1.0]],
        labels: vec![0, 1],
        val: vec![vec![0.0]],
        val_labels: vec![1],
    };
    let input = data.input(1);
    assert_eq!(knn_utility(&input, &[0, 1]).unwrap(), 0.0);
    assert_eq!(knn_utility(&input, &[1]).unwrap(), 1.0);
    let v = knn_shapley(&input).unwrap();
    let exact = exact_shapley(2, |s| knn_utility(&input, s).unwrap()).unwrap();
    assert_eq!(v, exact);
    assert_eq!(v, vec![-0.5, 0.5]);
}

#[test]
fn per_contributor_sums() {
    let values = [0.5, 0.25, -0.125, 1.0];
    let owners = ["b", "a", "b", "c"];
    let m = per_contributor(&values, &owners).unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m["a"], 0.25);
    assert_eq!(m["b"], 0.375);
    assert_eq!(m["c"], 1.0);
    assert!(per_contributor(&values, &owners[..3]).is_err());
}

#[test]
fn exact_shapley_known_games() {
    // Additive game: each player's value is its own worth.
    let w = [3.0, -1.0, 0.5, 7.0];
    let phi = exact_shapley(4, |s| s.iter().map(|&i| w[i]).sum()).unwrap();
    for (a, b) in phi.iter().zip(w) {
        assert!((a - b).abs() < 1e-12);
    }
    // Glove game: 0 holds a left glove, 1 and 2 right gloves.
    let phi = exact_shapley(3, |s| {
        let left = s.contains(&0);
        let right = s.contains(&1) || s.contains(&2);
        if left && right { 1.0 } else { 0.0 }
    })
    .unwrap();
    let expect = [2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0];
    for (a, b) in phi.iter().zip(expect) {
        assert!((a - b).abs() < 1e-12, "{phi:?}");
    }
    assert!(matches!(
        exact_shapley(21, |_| 0.0),
        Err(ValuationError::TooManyPoints { .. })
    ));
}

#[test]
fn monte_carlo_agrees_with_exact_within_standard_errors() {
    let data = random_data(42, 30, 6, 2, 3);
    let input = data.input(3);
    let exact = knn_shapley(&input).unwrap();
    let cfg = McConfig {
        permutations: 1500,
        truncation_tolerance: 0.0,
        seed: 7,
    };
    let mc = monte_carlo_shapley(30, &cfg, |s| knn_utility(&input, s).unwrap()).unwrap();
    let mut worst = 0.0f64;
    for i in 0..30 {
        let se = mc.std_errors[i];
        let err = (mc.values[i] - exact[i]).abs();
        assert!(
            err <= 4.0 * se + 1e-9,
            "point {i}: mc {} exact {} se {se}",
            mc.values[i],
            exact[i]
        );
        worst = worst.max(se);
    }
    // The bound must be informative: standard errors well below typical values.
    assert!(worst < 0.01, "largest standard error {worst}");
    let spread = exact.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(spread > 0.02, "values too small to test: {spread}");

    // Deterministic for a seed; another seed gives another estimate.
    let again = monte_carlo_shapley(30, &cfg, |s| knn_utility(&input, s).unwrap()).unwrap();
    assert_eq!(mc, again);
    let other = monte_carlo_shapley(30, &McConfig { seed: 8, ..cfg }, |s| {
        knn_utility(&input, s).unwrap()
    })
    .unwrap();
    assert_ne!(mc.values, other.values);
}

#[test]
fn monte_carlo_truncation_saves_calls_and_stays_close() {
    let data = random_data(3, 30, 4, 2, 2);
    let input = data.input(5);
    let exact = knn_shapley(&input).unwrap();
    let base = McConfig {
        permutations: 600,
        truncation_tolerance: 0.0,
        seed: 11,
    };
    let full = monte_carlo_shapley(30, &base, |s| knn_utility(&input, s).unwrap()).unwrap();
    let trunc = monte_carlo_shapley(
        30,
        &McConfig {
            truncation_tolerance: 0.05,
            ..base
        },
        |s| knn_utility(&input, s).unwrap(),
    )
    .unwrap();
    assert_eq!(full.utility_calls, 2 + 600 * 30);
    assert!(
        trunc.utility_calls < full.utility_calls,
        "{}",
        trunc.utility_calls
    );
    let mean_err: f64 = trunc
        .values
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / 30.0;
    assert!(mean_err < 0.03, "mean abs error {mean_err}");
}

#[test]
fn valuation_input_errors() {
    let data = random_data(1, 5, 2, 2, 2);
    assert_eq!(knn_shapley(&data.input(0)), Err(ValuationError::ZeroK));
    let mut bad = random_data(1, 5, 2, 2, 2);
    bad.train[3] = vec![0.0];
    assert!(matches!(
        knn_shapley(&bad.input(1)),
        Err(ValuationError::DimensionMismatch { index: 3, .. })
    ));
    bad.train[3] = vec![0.0, f32::NAN];
    assert!(matches!(
        knn_shapley(&bad.input(1)),
        Err(ValuationError::NonFinite { index: 3, .. })
    ));
    bad.train[3] = vec![0.0, 0.0];
    bad.labels.pop();
    assert!(matches!(
        knn_shapley(&bad.input(1)),
        Err(ValuationError::LengthMismatch { .. })
    ));
    let cfg = McConfig {
        permutations: 1,
        truncation_tolerance: 0.0,
        seed: 0,
    };
    assert_eq!(
        monte_carlo_shapley(3, &cfg, |_| 0.0),
        Err(ValuationError::TooFewPermutations(1))
    );
    let cfg = McConfig {
        permutations: 2,
        truncation_tolerance: -1.0,
        seed: 0,
    };
    assert_eq!(
        monte_carlo_shapley(3, &cfg, |_| 0.0),
        Err(ValuationError::BadTolerance)
    );
}
