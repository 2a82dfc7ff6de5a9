//! Brute-force exact Shapley values over all `2^N` subsets, for any utility.
//!
//! `φ_i = Σ_{S ⊆ N∖{i}} |S|! (N−|S|−1)! / N! · (U(S ∪ {i}) − U(S))`.
//! The utility is evaluated once per subset (`2^N` calls) and given the subset's
//! indices in increasing order; the empty subset is evaluated too (so `U(∅)` is
//! whatever the utility says). It is the reference the fast methods are tested
//! against, so it is limited to [`EXACT_MAX_POINTS`] points.

use crate::ValuationError;

/// The largest `N` brute force accepts (`2^20` utility calls).
pub const EXACT_MAX_POINTS: usize = 20;

/// Exact Shapley value of each of `n` players for `utility`.
pub fn exact_shapley<F>(n: usize, mut utility: F) -> Result<Vec<f64>, ValuationError>
where
    F: FnMut(&[usize]) -> f64,
{
    if n > EXACT_MAX_POINTS {
        return Err(ValuationError::TooManyPoints {
            max: EXACT_MAX_POINTS,
            got: n,
        });
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let subsets = 1usize << n;
    let mut u = Vec::with_capacity(subsets);
    let mut members = Vec::with_capacity(n);
    for mask in 0..subsets {
        members.clear();
        members.extend((0..n).filter(|i| mask & (1 << i) != 0));
        u.push(utility(&members));
    }
    // weight[s] = s! (n-s-1)! / n! = 1 / (n · C(n-1, s))
    let mut weight = vec![0.0f64; n];
    let mut binom = 1.0f64; // C(n-1, s)
    for (s, w) in weight.iter_mut().enumerate() {
        *w = 1.0 / (n as f64 * binom);
        binom = binom * (n - 1 - s) as f64 / (s + 1) as f64;
    }
    let mut phi = vec![0.0f64; n];
    for (i, p) in phi.iter_mut().enumerate() {
        let bit = 1usize << i;
        for mask in 0..subsets {
            if mask & bit == 0 {
                let size = mask.count_ones() as usize;
                *p += weight[size] * (u[mask | bit] - u[mask]);
            }
        }
    }
    Ok(phi)
}
