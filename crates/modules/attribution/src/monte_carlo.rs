//! Truncated Monte-Carlo permutation Shapley (Ghorbani & Zou, "Data Shapley:
//! Equitable Valuation of Data for Machine Learning", ICML 2019, Algorithm 1),
//! for any utility.
//!
//! Each of `permutations` rounds draws a uniformly random permutation `π`
//! (Fisher–Yates, ChaCha20 seeded with [`McConfig::seed`], unbiased bounded
//! draws by Lemire's method: the same seed gives the same result on every
//! platform) and walks it, evaluating `U` on growing prefixes; point `π_j`
//! receives the marginal `U(π_1..π_j) − U(π_1..π_{j−1})`.
//!
//! **Truncation.** `U(full set)` is evaluated once. While walking a permutation,
//! once `|U(full) − U(prefix)| < truncation_tolerance` the remaining points of
//! that permutation get a marginal of 0 and `U` is not evaluated for them.
//! A tolerance of `0.0` disables truncation (the estimate is then unbiased).
//!
//! **Standard error.** Per point, the sample standard deviation of its marginals
//! over the rounds divided by `√permutations` (Welford's algorithm).
//! The utility receives the prefix in permutation order, not sorted.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::ValuationError;

/// Parameters of [`monte_carlo_shapley`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McConfig {
    /// Number of sampled permutations, at least 2.
    pub permutations: usize,
    /// Absolute truncation tolerance on the utility scale; `0.0` disables it.
    pub truncation_tolerance: f64,
    /// Seed of the ChaCha20 generator.
    pub seed: u64,
}

/// The estimate: one value and one standard error per point.
#[derive(Debug, Clone, PartialEq)]
pub struct McEstimate {
    /// Estimated Shapley value of each point.
    pub values: Vec<f64>,
    /// Standard error of each estimate.
    pub std_errors: Vec<f64>,
    /// Utility evaluations made (a cost figure for benchmarks).
    pub utility_calls: u64,
}

/// Uniform draw in `0..n` (`n >= 1`), unbiased (Lemire's multiply-and-reject).
fn bounded(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// Truncated Monte-Carlo Shapley estimate for `n` points.
pub fn monte_carlo_shapley<F>(
    n: usize,
    config: &McConfig,
    mut utility: F,
) -> Result<McEstimate, ValuationError>
where
    F: FnMut(&[usize]) -> f64,
{
    if config.permutations < 2 {
        return Err(ValuationError::TooFewPermutations(config.permutations));
    }
    let tol = config.truncation_tolerance;
    if !tol.is_finite() || tol < 0.0 {
        return Err(ValuationError::BadTolerance);
    }
    if n == 0 {
        return Ok(McEstimate {
            values: Vec::new(),
            std_errors: Vec::new(),
            utility_calls: 0,
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let all: Vec<usize> = (0..n).collect();
    let full = utility(&all);
    let empty = utility(&[]);
    let mut calls = 2u64;
    let mut mean = vec![0.0f64; n];
    let mut m2 = vec![0.0f64; n];
    let mut perm: Vec<usize> = (0..n).collect();
    let mut marginal = vec![0.0f64; n];
    for t in 1..=config.permutations {
        for i in (1..n).rev() {
            let j = bounded(&mut rng, i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        let mut prev = empty;
        let mut truncated = false;
        for j in 0..n {
            let point = perm[j];
            if !truncated && (full - prev).abs() < tol {
                truncated = true;
            }
            if truncated {
                marginal[point] = 0.0;
            } else {
                let cur = utility(&perm[..=j]);
                calls += 1;
                marginal[point] = cur - prev;
                prev = cur;
            }
        }
        let tf = t as f64;
        for i in 0..n {
            let delta = marginal[i] - mean[i];
            mean[i] += delta / tf;
            m2[i] += delta * (marginal[i] - mean[i]);
        }
    }
    let tf = config.permutations as f64;
    let std_errors = m2
        .iter()
        .map(|&q| (q / (tf - 1.0)).sqrt() / tf.sqrt())
        .collect();
    Ok(McEstimate {
        values: mean,
        std_errors,
        utility_calls: calls,
    })
}
