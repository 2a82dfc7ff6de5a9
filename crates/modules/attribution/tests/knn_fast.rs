//! The optimised `knn_shapley` against the straightforward implementation it replaced
//! (kept here verbatim as the reference): the values must be **bit-identical**, with
//! ties, with sizes that are not multiples of the block width, with and without the
//! `parallel` feature.

#![allow(missing_docs, clippy::unwrap_used)]

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use synod_attribution::{KnnInput, knn_shapley};

fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = f64::from(*x) - f64::from(*y);
            d * d
        })
        .sum()
}

/// The pre-optimisation `knn_shapley` (input checks left out).
fn reference(input: &KnnInput<'_>) -> Vec<f64> {
    let n = input.train.len();
    let k = input.k;
    let mut total = vec![0.0f64; n];
    let mut s = vec![0.0f64; n];
    for (x, &y) in input.validation.iter().zip(input.validation_labels) {
        let mut keyed: Vec<(f64, usize)> =
            (0..n).map(|i| (sq_dist(&input.train[i], x), i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let alpha: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
        let hit = |rank0: usize| -> f64 {
            if input.train_labels[alpha[rank0]] == y {
                1.0
            } else {
                0.0
            }
        };
        s[n - 1] = hit(n - 1) * (k.min(n) as f64) / (n as f64 * k as f64);
        for r in (0..n - 1).rev() {
            let i = r + 1;
            s[r] = s[r + 1] + (hit(r) - hit(r + 1)) / k as f64 * (k.min(i) as f64) / i as f64;
        }
        for (r, &point) in alpha.iter().enumerate() {
            total[point] += s[r];
        }
    }
    let m = input.validation.len() as f64;
    total.into_iter().map(|v| v / m).collect()
}

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

/// `coarse`: coordinates from a handful of values, so equal distances are common.
fn data(seed: u64, n: usize, m: usize, dim: usize, coarse: bool) -> Data {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let coord = |rng: &mut ChaCha20Rng| {
        if coarse {
            (rng.next_u32() % 5) as f32 - 2.0
        } else {
            (rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 1.0
        }
    };
    let points = |count: usize, rng: &mut ChaCha20Rng| -> Vec<Vec<f32>> {
        (0..count)
            .map(|_| (0..dim).map(|_| coord(rng)).collect())
            .collect()
    };
    let train = points(n, &mut rng);
    let val = points(m, &mut rng);
    let labels = (0..n).map(|_| rng.next_u32() % 3).collect();
    let val_labels = (0..m).map(|_| rng.next_u32() % 3).collect();
    Data {
        train,
        labels,
        val,
        val_labels,
    }
}

fn assert_bits(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "point {i}: {x} vs {y}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bit_identical_to_reference(
        seed in any::<u64>(),
        n in 1usize..70,
        m in 1usize..40,
        dim in 0usize..20,
        k in 1usize..9,
        coarse in any::<bool>(),
    ) {
        let d = data(seed, n, m, dim, coarse);
        let input = d.input(k);
        assert_bits(&knn_shapley(&input).unwrap(), &reference(&input));
    }
}

#[test]
fn bit_identical_at_embedding_size() {
    // Several validation chunks and a ragged last training block.
    let d = data(9, 517, 150, 384, false);
    for k in [1, 5, 20] {
        let input = d.input(k);
        assert_bits(&knn_shapley(&input).unwrap(), &reference(&input));
    }
}

/// `cargo test --release -p synod-attribution --test knn_fast -- --ignored --nocapture`
#[test]
#[ignore = "timing, release only"]
fn time_against_reference() {
    let d = data(1, 10_000, 1_000, 384, false);
    let input = d.input(5);
    let t = std::time::Instant::now();
    let fast = knn_shapley(&input).unwrap();
    let fast_t = t.elapsed();
    let t = std::time::Instant::now();
    let slow = reference(&input);
    let slow_t = t.elapsed();
    eprintln!("10k x 1k x 384: knn_shapley {fast_t:.2?}, reference {slow_t:.2?}");
    assert_bits(&fast, &slow);
}
