//! The epoch itself, step by step in subtensor's order (`epoch_mechanism`).

use substrate_fixed::types::I64F64;

use crate::fixed::{
    Divisor, FastMul, Fx, ONE, ZERO, clamp, exp_safe, fx_from_u16, proportion_to_u16, safe_div,
    safe_div64, sat_sum, share_of, u16_max, u16_proportion,
};
use crate::median::weighted_median_cols;
use crate::sparse::{Csr, CsrBuilder, merge_iters, merge_rows};
use crate::types::{EpochInput, EpochOutput, Matrix, SparseRow, YumaError};

/// Runs one Yuma Consensus epoch.
///
/// Pure and deterministic: the same input always gives the same output, on any
/// platform. Cost is `O(n log n + nnz(W) + nnz(B))` (rows not stored in
/// ascending UID order are sorted first).
///
/// # Errors
/// See [`YumaError`]: oversized subnets, more matrix rows than neurons,
/// duplicate UIDs within a row, an out-of-range owner UID, a
/// `bonds_moving_average` above 1e6, or a total stake beyond `I64F64`.
pub fn run_epoch(input: &EpochInput) -> Result<EpochOutput, YumaError> {
    let hp = &input.hyperparameters;
    let neurons = &input.neurons;
    let n = neurons.len();
    if n > usize::from(u16::MAX) {
        return Err(YumaError::TooManyNeurons(n));
    }
    if hp.bonds_moving_average > 1_000_000 {
        return Err(YumaError::InvalidBondsMovingAverage(
            hp.bonds_moving_average,
        ));
    }
    let owner = match input.owner_uid {
        Some(o) if usize::from(o) >= n => {
            return Err(YumaError::OwnerOutOfRange {
                owner: o,
                neurons: n,
            });
        }
        o => o.map(usize::from),
    };
    let current_block = input.current_block;
    let last_update: Vec<u64> = neurons.iter().map(|x| x.last_update).collect();
    let registered: Vec<u64> = neurons.iter().map(|x| x.block_at_registration).collect();

    // == Activity ==
    let active: Vec<bool> = last_update
        .iter()
        .map(|&u| u.saturating_add(hp.activity_cutoff) >= current_block)
        .collect();

    // == Stake == threshold (owner exempt), normalise in I64F64, narrow to I32F32.
    let mut stake64: Vec<I64F64> = neurons
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let s = I64F64::saturating_from_num(x.stake);
            if owner != Some(i) && s.saturating_to_num::<u64>() < hp.stake_threshold {
                I64F64::from_bits(0)
            } else {
                s
            }
        })
        .collect();
    let mut total = I64F64::from_bits(0);
    for s in &stake64 {
        total = total.checked_add(*s).ok_or(YumaError::StakeOverflow)?;
    }
    if total != I64F64::from_bits(0) {
        for s in &mut stake64 {
            *s = safe_div64(*s, total);
        }
    }
    let stake: Vec<Fx> = stake64
        .iter()
        .map(|&s| Fx::saturating_from_num(s))
        .collect();

    // == Validator permits == the old ones gate this epoch; new ones are top-k.
    let mut permits: Vec<bool> = neurons.iter().map(|x| x.validator_permit).collect();
    let mut new_permits = top_k_nonzero(&stake, usize::from(hp.max_allowed_validators));
    if let Some(o) = owner {
        permits[o] = true;
        new_permits[o] = true;
    }

    // == Active stake == stake of active, permitted validators, renormalised.
    let mut active_stake: Vec<Fx> = stake
        .iter()
        .enumerate()
        .map(|(i, &s)| if active[i] && permits[i] { s } else { ZERO })
        .collect();
    normalize(&mut active_stake);

    // == Weights == permit rows, no self-weight (owner excepted), no weight set
    // before the target's registration, no weight committed before it either.
    let commit: Vec<Option<u64>> = neurons.iter().map(|x| x.commit_block).collect();
    let weights = Csr::from_input(
        &input.weights,
        n,
        Matrix::Weights,
        fx_from_u16,
        |i| {
            // Keep W_ij iff i holds a permit, j != i (unless i is the owner), and
            // j registered before i's last update and not after i's commit:
            // registered[j] <= min(last_update[i] - 1, commit[i]).
            let limit = if permits[i] {
                last_update[i]
                    .checked_sub(1)
                    .map(|lu| commit[i].map_or(lu, |cb| cb.min(lu)))
            } else {
                None
            };
            let self_ok = owner == Some(i);
            let registered = &registered;
            move |j: usize| limit.is_some_and(|l| registered[j] <= l) && (j != i || self_ok)
        },
        true,
    )?;

    // == Consensus, clipping, validator trust ==
    let kappa = safe_div(Fx::saturating_from_num(hp.kappa), u16_max());
    let consensus = weighted_median_cols(&active_stake, &weights, n, kappa);
    // Clipped weights W̄ are never materialised: `clip` is applied on the fly.
    let mut validator_trust = vec![ZERO; n];
    let mut ranks = vec![ZERO; n];
    for i in 0..n {
        let (cols, vals) = weights.row(i);
        let mut trust = ZERO;
        let a = active_stake[i];
        for (&j, &v) in cols.iter().zip(vals) {
            let j = usize::from(j);
            // An entry that `clip` drops has consensus 0, so min(v, c) = 0 adds
            // nothing either: the sums equal subtensor's without branching.
            let c = v.min(consensus[j]);
            trust = trust.sadd(c);
            ranks[j] = ranks[j].sadd(a.smul(c));
        }
        validator_trust[i] = trust;
    }

    // == Incentive == stake-weighted column sums of clipped weights, normalised.
    let mut incentive = ranks;
    normalize(&mut incentive);

    // == Bonds and dividends ==
    let beta = safe_div(Fx::saturating_from_num(hp.bonds_penalty), u16_max());
    let wfb = BondWeights::new(&weights, &consensus, beta);

    let lms = input.last_epoch_block.unwrap_or(0);
    let last_tempo = if lms == 0 {
        current_block.saturating_sub(hp.tempo)
    } else {
        lms.saturating_add(1)
    };
    // Previous bonds, minus those to UIDs registered since the last epoch.
    // Yuma3 reads canonical stored rows in place; classic needs a normalised copy.
    let prev = PrevBonds {
        rows: &input.bonds,
        value: if hp.yuma3 {
            u16_proportion
        } else {
            fx_from_u16
        },
        last_tempo,
        registered: &registered,
    };
    let loaded = if hp.yuma3 && prev.canonical(n) {
        None
    } else {
        Some(Csr::from_input(
            &input.bonds,
            n,
            Matrix::Bonds,
            prev.value,
            |_| |j| last_tempo > registered[j],
            false,
        )?)
    };

    let bma = safe_div64(
        I64F64::saturating_from_num(hp.bonds_moving_average),
        I64F64::saturating_from_num(1_000_000u32),
    );
    let alpha = ONE.saturating_sub(Fx::saturating_from_num(bma));

    let mut dividends: Vec<Fx>;
    let mut bonds_out: Vec<SparseRow> = vec![Vec::new(); n];
    if hp.yuma3 {
        let e = if hp.liquid_alpha && consensus.iter().any(|&c| c != ZERO) {
            let la = LiquidAlpha {
                low: u16_proportion(hp.alpha_low),
                high: u16_proportion(hp.alpha_high),
                steepness: Fx::saturating_from_num(hp.alpha_sigmoid_steepness),
            };
            ema_liquid(&wfb, &prev, loaded.as_ref(), &consensus, &la)
        } else {
            ema_plain(&wfb, &prev, loaded.as_ref(), alpha)
        };
        // D_i = a_i · Σ_j (B_ij / Σ_k B_kj) · I_j, normalised; store floor(B·65535).
        let col_sums = e.col_sums(n);
        let divisors: Vec<Option<Divisor>> = col_sums.iter().map(|&s| Divisor::new(s)).collect();
        dividends = Vec::with_capacity(n);
        for (i, out) in bonds_out.iter_mut().enumerate() {
            let (cols, vals) = e.row(i);
            let mut acc = ZERO;
            for (&j, &v) in cols.iter().zip(vals) {
                let j = usize::from(j);
                // A column with a zero sum is left as it is (only reachable
                // through saturation, since every stored entry is positive).
                let b = match divisors[j] {
                    Some(d) => d.div(v),
                    None if col_sums[j] != ZERO => safe_div(v, col_sums[j]),
                    None => v,
                };
                acc = acc.sadd(b.smul(incentive[j]));
            }
            dividends.push(acc.cmul(active_stake[i]).unwrap_or(ZERO));
            if new_permits[i] {
                *out = cols
                    .iter()
                    .zip(vals)
                    .map(|(&j, &v)| (j, proportion_to_u16(v)))
                    .collect();
            }
        }
        normalize(&mut dividends);
    } else {
        let mut bonds = loaded.unwrap_or_default();
        bonds.col_normalize(n);
        let mut b = CsrBuilder::with_capacity(n, weights.nnz());
        for (i, &a) in active_stake.iter().enumerate() {
            for (j, v) in wfb.row(i) {
                b.push(j, v.smul(a));
            }
            b.end_row();
        }
        let mut delta = b.finish();
        delta.col_normalize(n);
        let mut e = ema(&delta, &bonds, alpha);
        e.col_normalize(n);
        dividends = e.weighted_row_sums(&incentive);
        normalize(&mut dividends);
        e.col_max_upscale(n);
        for (i, out) in bonds_out.iter_mut().enumerate() {
            if new_permits[i] {
                let (cols, vals) = e.row(i);
                out.extend(
                    cols.iter()
                        .zip(vals)
                        .map(|(&j, &v)| (j, proportion_to_u16(v))),
                );
            }
        }
    }

    // == Emission == split E by incentive and dividends over their joint sum;
    // without any, pay validators by (active) stake.
    let emission_sum = sat_sum(incentive.iter().zip(&dividends).map(|(i, d)| i.sadd(*d)));
    let mut server_share = incentive.clone();
    let mut validator_share = dividends.clone();
    if emission_sum != ZERO {
        for x in server_share.iter_mut().chain(validator_share.iter_mut()) {
            *x = safe_div(*x, emission_sum);
        }
    } else if sat_sum(active_stake.iter().copied()) == ZERO {
        validator_share.clone_from(&stake);
    } else {
        validator_share.clone_from(&active_stake);
    }

    let to_u16 = |v: &[Fx]| {
        v.iter()
            .map(|&x| proportion_to_u16(x))
            .collect::<Vec<u16>>()
    };
    let to_emission = |v: &[Fx]| {
        v.iter()
            .map(|&x| share_of(x, input.emission))
            .collect::<Vec<u64>>()
    };
    Ok(EpochOutput {
        active,
        stake_weight: to_u16(&stake),
        consensus: to_u16(&consensus),
        incentive: to_u16(&incentive),
        dividends: to_u16(&dividends),
        validator_trust: to_u16(&validator_trust),
        server_emission: to_emission(&server_share),
        validator_emission: to_emission(&validator_share),
        validator_permit: new_permits,
        bonds: bonds_out,
    })
}

/// Divides by the sum unless it is zero (subtensor's `inplace_normalize`).
fn normalize(x: &mut [Fx]) {
    let s = sat_sum(x.iter().copied());
    if s != ZERO {
        for v in x {
            *v = safe_div(*v, s);
        }
    }
}

/// `true` for non-zero entries among the `k` largest; ties resolved by a stable
/// ascending sort, so among equal values the higher UIDs survive.
fn top_k_nonzero(v: &[Fx], k: usize) -> Vec<bool> {
    let n = v.len();
    let mut out: Vec<bool> = v.iter().map(|&x| x != ZERO).collect();
    if n < k {
        return out;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| v[i]);
    for &i in idx.iter().take(n - k) {
        out[i] = false;
    }
    out
}

/// Consensus clipping: `min(w, c)`, dropping the entry when it would be clipped
/// to a non-positive consensus (subtensor's `col_clip_sparse`).
fn clip(v: Fx, c: Fx) -> Option<Fx> {
    if c < v {
        (c > ZERO).then_some(c)
    } else {
        Some(v)
    }
}

/// The weights used for bonds, `W̃ = W + β(W̄ − W)`. At β = 0 and β = 1 these are
/// `W` and `W̄` exactly, zero entries included, and nothing is copied; otherwise
/// they are materialised, keeping only positive entries.
enum BondWeights<'a> {
    Raw(&'a Csr),
    Clipped(&'a Csr, &'a [Fx]),
    Interpolated(Csr),
}

impl<'a> BondWeights<'a> {
    fn new(w: &'a Csr, consensus: &'a [Fx], beta: Fx) -> Self {
        if beta == ZERO {
            return Self::Raw(w);
        }
        if beta == ONE {
            return Self::Clipped(w, consensus);
        }
        let mut b = CsrBuilder::with_capacity(w.rows(), w.nnz());
        for i in 0..w.rows() {
            let (cols, vals) = w.row(i);
            for (&j, &a) in cols.iter().zip(vals) {
                let c = clip(a, consensus[usize::from(j)]).unwrap_or(ZERO);
                let v = a.sadd(beta.smul(c.saturating_sub(a)));
                if v > ZERO {
                    b.push(j, v);
                }
            }
            b.end_row();
        }
        Self::Interpolated(b.finish())
    }

    /// Row `i` as `(col, value)` pairs in increasing column order.
    fn row(&self, i: usize) -> BondWeightsRow<'_> {
        let (cols, vals) = self.matrix().row(i);
        BondWeightsRow {
            cols,
            vals,
            k: 0,
            consensus: match self {
                Self::Clipped(_, c) => Some(c),
                _ => None,
            },
        }
    }

    fn matrix(&self) -> &Csr {
        match self {
            Self::Raw(m) | Self::Clipped(m, _) => m,
            Self::Interpolated(m) => m,
        }
    }

    fn nnz(&self) -> usize {
        self.matrix().nnz()
    }
}

/// `α·new + (1−α)·old` over the union of both patterns, keeping positive results.
fn ema(new: &Csr, old: &Csr, alpha: Fx) -> Csr {
    let keep = ONE.saturating_sub(alpha);
    let mut b = CsrBuilder::with_capacity(new.rows(), new.nnz() + old.nnz());
    for i in 0..new.rows() {
        merge_rows(new.row(i), old.row(i), |j, x, y| {
            let mut acc = ZERO;
            if let Some(x) = x {
                acc = acc.sadd(alpha.smul(x));
            }
            if let Some(y) = y {
                acc = acc.sadd(keep.smul(y));
            }
            if acc > ZERO {
                b.push(j, acc);
            }
        });
        b.end_row();
    }
    b.finish()
}

struct LiquidAlpha {
    low: Fx,
    high: Fx,
    steepness: Fx,
}

impl LiquidAlpha {
    /// Per-pair EMA rate: slow (≈ low) for small disagreement, fast (≈ high) when
    /// buying far above consensus or selling a large bond.
    fn rate(&self, consensus: Fx, weight: Fx, bond: Fx) -> Fx {
        let diff = if weight >= bond {
            clamp(weight.saturating_sub(consensus), ZERO, ONE)
        } else {
            clamp(bond.saturating_sub(weight), ZERO, ONE)
        };
        let half = Fx::from_bits(1 << 31);
        let arg = self
            .steepness
            .saturating_div(Fx::saturating_from_num(-100))
            .smul(diff.saturating_sub(half));
        let sigmoid = ONE.saturating_div(ONE.sadd(exp_safe(arg)));
        let a = self
            .low
            .sadd(sigmoid.smul(self.high.saturating_sub(self.low)));
        clamp(a, self.low, self.high)
    }
}

/// Yuma3 liquid-alpha EMA, sparse semantics: only pairs present in `new` survive;
/// `min(1, (1−α)·old + max(α·new, 0))`.
/// Iterator over one row of [`BondWeights`].
struct BondWeightsRow<'a> {
    cols: &'a [u16],
    vals: &'a [Fx],
    k: usize,
    consensus: Option<&'a [Fx]>,
}

impl Iterator for BondWeightsRow<'_> {
    type Item = (u16, Fx);

    fn next(&mut self) -> Option<(u16, Fx)> {
        while self.k < self.cols.len() {
            let (j, v) = (self.cols[self.k], self.vals[self.k]);
            self.k += 1;
            match self.consensus {
                None => return Some((j, v)),
                Some(c) => {
                    if let Some(x) = clip(v, c[usize::from(j)]) {
                        return Some((j, x));
                    }
                }
            }
        }
        None
    }
}

/// Plain Yuma3 EMA `α·W̃ + (1−α)·B` over the union of both patterns, keeping
/// positive results (subtensor's `mat_ema_sparse`; no clamp, old bonds decay).
///
/// Rows whose stored weight and bond columns are the same list (the steady state:
/// validators keep weighting the miners they hold bonds to) skip the merge and
/// walk both rows in lockstep; entries that clipping or the registration mask
/// drop are `None` there exactly as they are absent from the merge, so every
/// pushed entry is the same.
fn ema_plain(new: &BondWeights<'_>, prev: &PrevBonds<'_>, loaded: Option<&Csr>, alpha: Fx) -> Csr {
    let keep = ONE.saturating_sub(alpha);
    let n = new.matrix().rows();
    let mut b = CsrBuilder::with_capacity(n, new.nnz() + prev.nnz_hint(loaded));
    let step = |x: Option<Fx>, y: Option<Fx>| {
        let mut acc = ZERO;
        if let Some(x) = x {
            acc = acc.sadd(alpha.smul(x));
        }
        if let Some(y) = y {
            acc = acc.sadd(keep.smul(y));
        }
        acc
    };
    for i in 0..n {
        let (cols, vals) = new.matrix().row(i);
        let clip_to = match new {
            BondWeights::Clipped(_, c) => Some(*c),
            _ => None,
        };
        let new_at = |k: usize| -> Option<Fx> {
            let v = vals[k];
            match clip_to {
                Some(c) => clip(v, c[usize::from(cols[k])]),
                None => Some(v),
            }
        };
        match prev.raw_row(loaded, i) {
            RawPrevRow::Stored(row)
                if row.len() == cols.len() && row.iter().zip(cols).all(|(e, &j)| e.0 == j) =>
            {
                for (k, &(j, v)) in row.iter().enumerate() {
                    let y = prev.unmasked(j).then(|| (prev.value)(v));
                    let acc = step(new_at(k), y);
                    if acc > ZERO {
                        b.push(j, acc);
                    }
                }
            }
            RawPrevRow::Loaded(pc, pv) if pc == cols => {
                for (k, (&j, &y)) in pc.iter().zip(pv).enumerate() {
                    let acc = step(new_at(k), Some(y));
                    if acc > ZERO {
                        b.push(j, acc);
                    }
                }
            }
            _ => merge_iters(new.row(i), prev.row(loaded, i), |j, x, y| {
                let acc = step(x, y);
                if acc > ZERO {
                    b.push(j, acc);
                }
            }),
        }
        b.end_row();
    }
    b.finish()
}

/// One row of [`PrevBonds`] before masking and conversion.
enum RawPrevRow<'a> {
    Stored(&'a [(u16, u16)]),
    Loaded(&'a [u16], &'a [Fx]),
}

fn ema_liquid(
    new: &BondWeights<'_>,
    prev: &PrevBonds<'_>,
    loaded: Option<&Csr>,
    consensus: &[Fx],
    la: &LiquidAlpha,
) -> Csr {
    let n = new.matrix().rows();
    let mut b = CsrBuilder::with_capacity(n, new.nnz());
    for i in 0..n {
        merge_iters(new.row(i), prev.row(loaded, i), |j, w, bond| {
            let Some(w) = w else { return };
            let previous = bond.unwrap_or(ZERO);
            let a = la.rate(consensus[usize::from(j)], w, previous);
            let decayed = bond.map_or(ZERO, |y| ONE.saturating_sub(a).smul(y));
            let v = decayed.sadd(a.smul(w).max(ZERO)).min(ONE);
            if v > ZERO {
                b.push(j, v);
            }
        });
        b.end_row();
    }
    b.finish()
}

/// The previous epoch's bonds with the registration mask applied, read straight
/// from the stored rows when they are canonical (ascending, in range), else
/// from a loaded [`Csr`].
struct PrevBonds<'a> {
    rows: &'a [SparseRow],
    value: fn(u16) -> Fx,
    last_tempo: u64,
    registered: &'a [u64],
}

impl PrevBonds<'_> {
    /// Whether every stored row can be read in place (no sort, no filtering of
    /// out-of-range columns, no duplicates, no extra rows).
    fn canonical(&self, n: usize) -> bool {
        self.rows.len() <= n
            && self.rows.iter().all(|row| {
                row.windows(2).all(|w| w[0].0 < w[1].0)
                    && row.last().is_none_or(|&(j, _)| usize::from(j) < n)
            })
    }

    fn nnz_hint(&self, loaded: Option<&Csr>) -> usize {
        loaded.map_or_else(|| self.rows.iter().map(Vec::len).sum(), Csr::nnz)
    }

    /// Whether a stored bond to `j` survives the registration mask.
    #[inline]
    fn unmasked(&self, j: u16) -> bool {
        self.last_tempo > self.registered[usize::from(j)]
    }

    /// Row `i` as stored (or as loaded, already masked), without conversion.
    fn raw_row<'b>(&'b self, loaded: Option<&'b Csr>, i: usize) -> RawPrevRow<'b> {
        match loaded {
            Some(m) => {
                let (cols, vals) = m.row(i);
                RawPrevRow::Loaded(cols, vals)
            }
            None => RawPrevRow::Stored(self.rows.get(i).map_or(&[][..], Vec::as_slice)),
        }
    }

    /// Row `i` as `(col, value)` in increasing column order, masked.
    fn row<'b>(&'b self, loaded: Option<&'b Csr>, i: usize) -> PrevBondsRow<'b> {
        match loaded {
            Some(m) => {
                let (cols, vals) = m.row(i);
                PrevBondsRow::Loaded { cols, vals, k: 0 }
            }
            None => PrevBondsRow::Stored {
                it: self.rows.get(i).map_or(&[][..], Vec::as_slice).iter(),
                prev: self,
            },
        }
    }
}

enum PrevBondsRow<'a> {
    Loaded {
        cols: &'a [u16],
        vals: &'a [Fx],
        k: usize,
    },
    Stored {
        it: std::slice::Iter<'a, (u16, u16)>,
        prev: &'a PrevBonds<'a>,
    },
}

impl Iterator for PrevBondsRow<'_> {
    type Item = (u16, Fx);

    fn next(&mut self) -> Option<(u16, Fx)> {
        match self {
            Self::Loaded { cols, vals, k } => {
                let out = cols.get(*k).map(|&j| (j, vals[*k]));
                *k += 1;
                out
            }
            Self::Stored { it, prev } => it.find_map(|&(j, v)| {
                (prev.last_tempo > prev.registered[usize::from(j)]).then(|| (j, (prev.value)(v)))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_ties_keep_higher_uids() {
        let one = ONE;
        let v = [one, one, one, ZERO];
        assert_eq!(top_k_nonzero(&v, 2), vec![false, true, true, false]);
        assert_eq!(top_k_nonzero(&v, 9), vec![true, true, true, false]);
        assert_eq!(top_k_nonzero(&v, 0), vec![false; 4]);
    }

    /// The EMA before the lockstep fast path: a merge of the filtered rows.
    fn ema_plain_by_merge(
        new: &BondWeights<'_>,
        prev: &PrevBonds<'_>,
        loaded: Option<&Csr>,
        alpha: Fx,
    ) -> Vec<Vec<(u16, Fx)>> {
        let keep = ONE.saturating_sub(alpha);
        (0..new.matrix().rows())
            .map(|i| {
                let mut row = Vec::new();
                merge_iters(new.row(i), prev.row(loaded, i), |j, x, y| {
                    let mut acc = ZERO;
                    if let Some(x) = x {
                        acc = acc.sadd(alpha.smul(x));
                    }
                    if let Some(y) = y {
                        acc = acc.sadd(keep.smul(y));
                    }
                    if acc > ZERO {
                        row.push((j, acc));
                    }
                });
                row
            })
            .collect()
    }

    fn rows_of(m: &Csr) -> Vec<Vec<(u16, Fx)>> {
        (0..m.rows())
            .map(|i| {
                let (c, v) = m.row(i);
                c.iter().copied().zip(v.iter().copied()).collect()
            })
            .collect()
    }

    proptest::proptest! {
        /// The lockstep path gives the merge's entries exactly, for same-pattern rows
        /// (taken), different patterns (merged), clipping drops (consensus 0), the
        /// registration mask, and loaded as well as in-place bonds.
        #[test]
        fn ema_fast_path_equals_the_merge(
            n in 1usize..24,
            seed in proptest::prelude::any::<u64>(),
            beta_one in proptest::prelude::any::<bool>(),
            bma in 0u64..=1_000_000,
            loaded_bonds in proptest::prelude::any::<bool>(),
        ) {
            let mut rng = crate::synth::SplitMix64::new(seed);
            let mut weights: Vec<SparseRow> = Vec::new();
            let mut bonds: Vec<SparseRow> = Vec::new();
            for _ in 0..n {
                let cols: Vec<u16> = (0..n as u16).filter(|_| rng.chance(1, 2)).collect();
                let w: SparseRow = cols.iter().map(|&j| (j, rng.below(65_536) as u16)).collect();
                let b: SparseRow = if rng.chance(2, 3) {
                    cols.iter().map(|&j| (j, rng.below(65_536) as u16)).collect()
                } else {
                    let mut b = Vec::new();
                    for j in 0..n as u16 {
                        if rng.chance(1, 2) {
                            b.push((j, rng.below(65_536) as u16));
                        }
                    }
                    b
                };
                weights.push(w);
                bonds.push(b);
            }
            let registered: Vec<u64> = (0..n).map(|_| rng.below(20)).collect();
            let consensus: Vec<Fx> = (0..n)
                .map(|_| if rng.chance(1, 4) { ZERO } else { u16_proportion(rng.below(65_536) as u16) })
                .collect();
            let w = Csr::from_input(&weights, n, Matrix::Weights, fx_from_u16, |_| |_| true, true)
                .expect("weights");
            let new = if beta_one {
                BondWeights::Clipped(&w, &consensus)
            } else {
                BondWeights::Raw(&w)
            };
            let prev = PrevBonds {
                rows: &bonds,
                value: u16_proportion,
                last_tempo: 10,
                registered: &registered,
            };
            let loaded = loaded_bonds.then(|| {
                Csr::from_input(&bonds, n, Matrix::Bonds, u16_proportion, |_| |j| 10 > registered[j], false)
                    .expect("bonds")
            });
            let alpha = ONE.saturating_sub(Fx::from_bits(((bma as i64) << 32) / 1_000_000));
            let fast = ema_plain(&new, &prev, loaded.as_ref(), alpha);
            proptest::prop_assert_eq!(rows_of(&fast), ema_plain_by_merge(&new, &prev, loaded.as_ref(), alpha));
        }
    }

    #[test]
    fn reused_matrix_buffers_do_not_change_results() {
        use crate::synth::{GraphSpec, graph};
        let spec = |n, per| GraphSpec {
            n,
            validators: 8,
            weights_per_validator: per,
            hyperparameters: crate::Hyperparameters::default(),
        };
        let (big, small) = (graph(&spec(200, None), 1), graph(&spec(40, Some(5)), 2));
        let fresh = |input: EpochInput| {
            std::thread::spawn(move || run_epoch(&input))
                .join()
                .expect("thread")
        };
        let small_fresh = fresh(small.clone());
        // This thread's pool now holds the big epoch's buffers, full of its values.
        let big_here = run_epoch(&big);
        assert_eq!(big_here, fresh(big));
        assert_eq!(run_epoch(&small), small_fresh);
    }

    #[test]
    fn liquid_rate_matches_hand_check() {
        // Reference §9.2 D: w = c = 1, low 0.1, high 0.3, steepness 10 → 0.10134.
        let la = LiquidAlpha {
            low: u16_proportion(6553),
            high: u16_proportion(19660),
            steepness: Fx::from_num(1000),
        };
        let a: f64 = la.rate(ONE, ONE, ZERO).to_num();
        assert!((a - 0.10134).abs() < 1e-4, "{a}");
    }
}
