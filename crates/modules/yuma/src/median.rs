//! Stake-weighted upper median per column (Yuma consensus).
//!
//! Subtensor builds a dense `columns × validators` score matrix and runs a
//! deterministic mid-pivot partition search per column. Because fixed-point
//! addition of the (non-negative, bounded) stakes is exact, every partial sum
//! that search compares is an exact subset sum, so its answer does not depend
//! on the pivot order. It is:
//!
//! * the smallest score `v` present in the column with `minority < Σ stake(score ≤ v)`,
//! * or the largest score present if no such `v` exists,
//! * or 0 when no validator has stake,
//!
//! where `minority = Σ stake − κ` and validators without an entry score 0. We
//! compute that directly from the column's non-zero entries: `O(nnz log nnz)`
//! instead of `O(columns × validators)`. A test below checks it against a
//! transcription of the pivot search.

use crate::fixed::{FastMul, Fx, ZERO, safe_div, sat_sum};
use crate::sparse::Csr;

/// Consensus `c_j` for each of the `n` columns of `weights`, using the rows whose
/// `active_stake` is positive, with majority `kappa`.
pub(crate) fn weighted_median_cols(
    active_stake: &[Fx],
    weights: &Csr,
    n: usize,
    kappa: Fx,
) -> Vec<Fx> {
    let mut out = vec![ZERO; n];

    // Positive-stake rows, renormalised among themselves.
    let voters: Vec<usize> = (0..active_stake.len().min(weights.rows()))
        .filter(|&i| active_stake[i] > ZERO)
        .collect();
    if voters.is_empty() {
        return out;
    }
    let mut use_stake: Vec<Fx> = voters.iter().map(|&i| active_stake[i]).collect();
    let total = sat_sum(use_stake.iter().copied());
    if total != ZERO {
        for s in &mut use_stake {
            *s = safe_div(*s, total);
        }
    }
    let stake_sum = sat_sum(use_stake.iter().copied());
    let minority = stake_sum.saturating_sub(kappa);

    // Transpose the voters' positive scores into per-column buckets of
    // (score, stake), a block of columns at a time: each column of the block
    // owns `voters.len()` slots, so one pass fills them and the block stays in
    // cache. Rows are sorted, so a cursor per voter walks each row once.
    let v_count = voters.len();
    let block = ((1usize << 17) / v_count).clamp(1, 512);
    let mut cursor: Vec<usize> = vec![0; v_count];
    let mut fill = vec![0usize; block];
    let mut cells: Vec<(Fx, Fx)> = vec![(ZERO, ZERO); block * v_count];
    for c0 in (0..n).step_by(block) {
        let c1 = (c0 + block).min(n);
        fill[..c1 - c0].fill(0);
        for (k, &i) in voters.iter().enumerate() {
            let (cols, vals) = weights.row(i);
            let start = cursor[k];
            let mut end = start;
            for (&j, &v) in cols[start..].iter().zip(&vals[start..]) {
                let jj = usize::from(j) - c0;
                if jj >= c1 - c0 {
                    break;
                }
                end += 1;
                if v > ZERO {
                    let f = &mut fill[jj];
                    cells[jj * v_count + *f] = (v, use_stake[k]);
                    *f += 1;
                }
            }
            cursor[k] = end;
        }
        for (jj, c) in out[c0..c1].iter_mut().enumerate() {
            let col = &mut cells[jj * v_count..jj * v_count + fill[jj]];
            *c = column_median(col, v_count, stake_sum, minority);
        }
    }
    out
}

/// Median of one column given its positive `(score, stake)` cells; the other
/// `voters − cells.len()` voters score 0.
fn column_median(cells: &mut [(Fx, Fx)], voters: usize, stake_sum: Fx, minority: Fx) -> Fx {
    let mut below = ZERO;
    if cells.len() < voters {
        let positive = sat_sum(cells.iter().map(|&(_, s)| s));
        below = stake_sum.saturating_sub(positive);
        if minority < below {
            return ZERO;
        }
    }
    weighted_select(cells, below, minority)
        .unwrap_or_else(|| cells.iter().map(|&(v, _)| v).max().unwrap_or(ZERO))
}

/// Smallest score `v` in `cells` with `below + Σ stake(score ≤ v) > minority`, or
/// `None` if there is none. Radix-style: bucket the scores into 64 ranges,
/// accumulate stake per bucket, keep the first bucket where the running sum
/// crosses `minority`, and recurse into it (small slices are sorted and
/// scanned). Every sum is an exact fixed-point sum, so the answer is exact;
/// cost is `O(len)` per level and each level shrinks the value span 64-fold.
fn weighted_select(cells: &mut [(Fx, Fx)], below: Fx, minority: Fx) -> Option<Fx> {
    const SMALL: usize = 32;
    const BUCKETS: usize = 64;
    if cells.len() <= SMALL {
        cells.sort_unstable_by_key(|&(v, _)| v);
        let mut cum = below;
        for &(v, s) in cells.iter() {
            cum = cum.sadd(s);
            if minority < cum {
                return Some(v);
            }
        }
        return None;
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &(v, _) in cells.iter() {
        lo = lo.min(v.to_bits());
        hi = hi.max(v.to_bits());
    }
    if lo == hi {
        let total = sat_sum(cells.iter().map(|&(_, s)| s));
        return (minority < below.sadd(total)).then_some(Fx::from_bits(lo));
    }
    let span = hi.abs_diff(lo);
    let shift = (u64::BITS - span.leading_zeros()).saturating_sub(6);
    let bucket = |v: Fx| (v.to_bits().abs_diff(lo) >> shift) as usize;
    let mut sums = [ZERO; BUCKETS];
    for &(v, s) in cells.iter() {
        let b = &mut sums[bucket(v)];
        *b = b.sadd(s);
    }
    let mut cum = below;
    for (b, &sum) in sums.iter().enumerate() {
        let next = cum.sadd(sum);
        if minority < next {
            // Move bucket b's cells to the front and search them.
            let mut k = 0;
            for i in 0..cells.len() {
                if bucket(cells[i].0) == b {
                    cells.swap(k, i);
                    k += 1;
                }
            }
            return weighted_select(&mut cells[..k], cum, minority);
        }
        cum = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparse::CsrBuilder;
    use proptest::prelude::*;

    /// A plain transcription of subtensor's mid-pivot search, used as an oracle.
    fn pivot_search(stake: &[Fx], score: &[Fx], minority: Fx, mut lo: Fx, mut hi: Fx) -> Fx {
        let mut part: Vec<usize> = (0..stake.len()).collect();
        let limit = part.len();
        let mut iterations = 0;
        loop {
            match part.len() {
                0 => return ZERO,
                1 => return score[part[0]],
                _ => {}
            }
            let pivot = score[part[part.len() / 2]];
            let (mut lower, mut upper) = (Vec::new(), Vec::new());
            let (mut lo_s, mut hi_s) = (ZERO, ZERO);
            for &i in &part {
                if score[i] < pivot {
                    lo_s = lo_s.saturating_add(stake[i]);
                    lower.push(i);
                } else if score[i] > pivot {
                    hi_s = hi_s.saturating_add(stake[i]);
                    upper.push(i);
                }
            }
            if minority < lo.saturating_add(lo_s) && !lower.is_empty() {
                part = lower;
                hi = lo.saturating_add(lo_s);
            } else if hi.saturating_sub(hi_s) <= minority && !upper.is_empty() {
                part = upper;
                lo = hi.saturating_sub(hi_s);
            } else {
                return pivot;
            }
            iterations += 1;
            if iterations > limit {
                return ZERO;
            }
        }
    }

    /// Dense oracle: per column, the pivot search over all positive-stake rows.
    fn dense_oracle(stake: &[Fx], rows: &[Vec<(u16, Fx)>], n: usize, kappa: Fx) -> Vec<Fx> {
        let voters: Vec<usize> = (0..stake.len()).filter(|&i| stake[i] > ZERO).collect();
        let mut s: Vec<Fx> = voters.iter().map(|&i| stake[i]).collect();
        let t = sat_sum(s.iter().copied());
        if t != ZERO {
            s.iter_mut().for_each(|x| *x = safe_div(*x, t));
        }
        let sum = sat_sum(s.iter().copied());
        let minority = sum.saturating_sub(kappa);
        (0..n)
            .map(|j| {
                let score: Vec<Fx> = voters
                    .iter()
                    .map(|&i| {
                        rows[i]
                            .iter()
                            .find(|e| usize::from(e.0) == j)
                            .map_or(ZERO, |e| e.1)
                    })
                    .collect();
                pivot_search(&s, &score, minority, ZERO, sum)
            })
            .collect()
    }

    fn csr(rows: &[Vec<(u16, Fx)>], n: usize) -> Csr {
        let mut b = CsrBuilder::with_capacity(rows.len(), 0);
        for r in rows {
            let mut r = r.clone();
            r.sort_unstable_by_key(|e| e.0);
            for (j, v) in r.into_iter().filter(|e| usize::from(e.0) < n) {
                b.push(j, v);
            }
            b.end_row();
        }
        b.finish()
    }

    fn f(x: f64) -> Fx {
        Fx::from_num(x)
    }

    /// `test_math_weighted_median_col` / `_sparse` vectors (reference §9.2 A).
    #[test]
    fn subtensor_median_vectors() {
        let rows1 = vec![
            vec![(1, f(0.1))],
            vec![(1, f(0.2)), (2, f(0.4))],
            vec![(1, f(0.3)), (2, f(0.1))],
            vec![(1, f(0.4)), (2, f(0.5))],
        ];
        let stake1 = [f(0.0), f(0.75), f(0.25), f(0.0)];
        let m = csr(&rows1, 3);
        assert_eq!(
            weighted_median_cols(&stake1, &m, 3, f(0.24)),
            vec![ZERO, f(0.3), f(0.4)]
        );
        assert_eq!(
            weighted_median_cols(&stake1, &m, 3, f(0.26)),
            vec![ZERO, f(0.2), f(0.4)]
        );
        assert_eq!(
            weighted_median_cols(&stake1, &m, 3, f(0.76)),
            vec![ZERO, f(0.2), f(0.1)]
        );

        let rows2 = vec![
            vec![(1, f(0.1))],
            vec![(1, f(0.2)), (2, f(0.4))],
            vec![(1, f(0.3)), (2, f(0.1))],
            vec![(2, f(0.5))],
        ];
        let stake2 = [f(0.0), f(0.3), f(0.2), f(0.5)];
        let m = csr(&rows2, 3);
        assert_eq!(
            weighted_median_cols(&stake2, &m, 3, f(0.51)),
            vec![ZERO, ZERO, f(0.4)]
        );
    }

    #[test]
    fn no_voters_gives_zero() {
        let m = csr(&[vec![(0, f(1.0))]], 1);
        assert_eq!(weighted_median_cols(&[ZERO], &m, 1, f(0.5)), vec![ZERO]);
    }

    type Case = (Vec<Fx>, Vec<Vec<(u16, Fx)>>, usize, Fx);

    fn arb_case() -> impl Strategy<Value = Case> {
        (1usize..9, 1usize..6).prop_flat_map(|(rows, n)| {
            let stake = prop::collection::vec(prop_oneof![Just(0u32), 1u32..4, 0u32..1000], rows);
            // Few distinct score levels so ties are frequent.
            let row = prop::collection::btree_map(
                0..n as u16,
                prop_oneof![Just(0u32), 1u32..4, 0u32..5000],
                0..=n,
            );
            let w = prop::collection::vec(row, rows);
            let kappa = prop_oneof![Just(0u32), Just(32_767), Just(65_535), 0u32..=70_000];
            (stake, w, Just(n), kappa).prop_map(|(s, w, n, k)| {
                let s: Vec<Fx> = s
                    .into_iter()
                    .map(|x| Fx::from_num(x) / Fx::from_num(1000))
                    .collect();
                let w: Vec<Vec<(u16, Fx)>> = w
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|(j, v)| (j, Fx::from_num(v) / Fx::from_num(5000)))
                            .collect()
                    })
                    .collect();
                (s, w, n, Fx::from_num(k) / Fx::from_num(65_535))
            })
        })
    }

    /// Many voters on few columns, so the bucketed path (not only the small sort) runs.
    fn arb_wide_case() -> impl Strategy<Value = Case> {
        (33usize..300, 1usize..3).prop_flat_map(|(rows, n)| {
            let stake =
                prop::collection::vec(prop_oneof![Just(0u32), 1u32..4, 0u32..100_000], rows);
            let level = prop_oneof![
                Just(0u32),
                1u32..3,
                0u32..70,
                0u32..5_000_000,
                Just(u32::MAX)
            ];
            let row = prop::collection::btree_map(0..n as u16, level, 0..=n);
            let w = prop::collection::vec(row, rows);
            let kappa = prop_oneof![Just(0u32), Just(32_767), Just(65_535), 0u32..=70_000];
            (stake, w, Just(n), kappa).prop_map(|(s, w, n, k)| {
                let s: Vec<Fx> = s
                    .into_iter()
                    .map(|x| Fx::from_num(x) / Fx::from_num(100_000))
                    .collect();
                let w: Vec<Vec<(u16, Fx)>> = w
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|(j, v)| (j, Fx::from_bits(i64::from(v))))
                            .collect()
                    })
                    .collect();
                (s, w, n, Fx::from_num(k) / Fx::from_num(65_535))
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn equals_pivot_search_on_wide_columns((stake, rows, n, kappa) in arb_wide_case()) {
            let m = csr(&rows, n);
            prop_assert_eq!(weighted_median_cols(&stake, &m, n, kappa), dense_oracle(&stake, &rows, n, kappa));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn equals_pivot_search((stake, rows, n, kappa) in arb_case()) {
            let m = csr(&rows, n);
            prop_assert_eq!(weighted_median_cols(&stake, &m, n, kappa), dense_oracle(&stake, &rows, n, kappa));
        }
    }
}
