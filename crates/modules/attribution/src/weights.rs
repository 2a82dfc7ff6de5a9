//! Per-contributor values → integer on-chain weights summing to exactly a total.
//!
//! Rule, in order:
//! 1. A NaN or infinite value is an error. Negative values (a contributor whose
//!    data *hurt* the utility) are **clamped to zero**: a contributor is never
//!    charged, it just gets no weight. If no value is `> 0`, that is an error.
//! 2. **Quantisation** (the only floating-point step): each clamped value `v` is
//!    turned into the integer `q = round(v / v_max · 2^52)` (IEEE round half to
//!    even via `f64::round_ties_even`; `v / v_max ≤ 1` so `q ≤ 2^52`, and the
//!    division and the scaling by a power of two are exact IEEE operations, so
//!    every platform gets the same `q`). Values below `v_max · 2^-53` become 0.
//! 3. **Largest remainder**, in exact integer arithmetic: with `Q = Σ q`,
//!    contributor `c` gets `⌊q_c · total / Q⌋`; the `total − Σ⌊…⌋` units left
//!    (fewer than the number of contributors) go one each to the largest
//!    remainders `q_c · total mod Q`, ties broken by **ascending contributor id**.
//!
//! The result sums to exactly `total`. Contributors with weight 0 are kept in
//! the map, so the commitment lists everyone that was valued.

use std::collections::BTreeMap;

/// The whole that attribution weights sum to (parts per million).
pub const WEIGHT_TOTAL: u64 = 1_000_000;

/// Errors of [`values_to_weights`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    /// No contributor has a value `> 0`.
    #[error("no contributor has a positive value")]
    NoPositiveValue,
    /// A value is NaN or infinite.
    #[error("a contributor value is NaN or infinite")]
    NonFinite,
    /// The total must be at least 1.
    #[error("weight total must be at least 1")]
    ZeroTotal,
    /// Checked arithmetic failed (more than 2^64 contributors, not reachable).
    #[error("arithmetic overflow")]
    Overflow,
}

const SCALE: f64 = 4_503_599_627_370_496.0; // 2^52

/// Converts values to weights summing to exactly `total` (see the module doc).
pub fn values_to_weights<C: Ord + Clone>(
    values: &BTreeMap<C, f64>,
    total: u64,
) -> Result<BTreeMap<C, u64>, WeightError> {
    if total == 0 {
        return Err(WeightError::ZeroTotal);
    }
    if values.values().any(|v| !v.is_finite()) {
        return Err(WeightError::NonFinite);
    }
    let max = values.values().fold(0.0f64, |m, &v| m.max(v));
    if max <= 0.0 {
        return Err(WeightError::NoPositiveValue);
    }
    let quanta: Vec<(C, u128)> = values
        .iter()
        .map(|(c, &v)| {
            let q = if v > 0.0 {
                ((v / max) * SCALE).round_ties_even() as u128
            } else {
                0
            };
            (c.clone(), q)
        })
        .collect();
    let sum_q = quanta
        .iter()
        .try_fold(0u128, |a, (_, q)| a.checked_add(*q))
        .ok_or(WeightError::Overflow)?;
    // sum_q >= 2^52 > 0: the maximum quantises to exactly 2^52.
    let total128 = u128::from(total);
    let mut out = BTreeMap::new();
    let mut assigned = 0u128;
    // (remainder, index) for the largest-remainder pass; index order = id order.
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(quanta.len());
    for (idx, (c, q)) in quanta.iter().enumerate() {
        let prod = q.checked_mul(total128).ok_or(WeightError::Overflow)?;
        let base = prod / sum_q;
        rems.push((prod % sum_q, idx));
        assigned = assigned.checked_add(base).ok_or(WeightError::Overflow)?;
        out.insert(
            c.clone(),
            u64::try_from(base).map_err(|_| WeightError::Overflow)?,
        );
    }
    let left = total128
        .checked_sub(assigned)
        .ok_or(WeightError::Overflow)?;
    // Largest remainder first; equal remainders by ascending id (= index).
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = usize::try_from(left).map_err(|_| WeightError::Overflow)?;
    for &(_, idx) in rems.iter().take(left) {
        let w = out.get_mut(&quanta[idx].0).ok_or(WeightError::Overflow)?;
        *w = w.checked_add(1).ok_or(WeightError::Overflow)?;
    }
    Ok(out)
}
