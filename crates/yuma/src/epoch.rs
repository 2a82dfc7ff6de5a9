//! The epoch itself, step by step in subtensor's order (`epoch_mechanism`).

use std::borrow::Cow;

use substrate_fixed::types::I64F64;

use crate::fixed::{
    Fx, ONE, ZERO, clamp, exp_safe, proportion_to_u16, safe_div, safe_div64, sat_sum, share_of,
    u16_max, u16_proportion,
};
use crate::median::weighted_median_cols;
use crate::sparse::{Csr, CsrBuilder, merge_rows};
use crate::types::{EpochInput, EpochOutput, Matrix, SparseRow, YumaError};

/// Runs one Yuma Consensus epoch.
///
/// Pure and deterministic: the same input always gives the same output, on any
/// platform. Cost is `O(n log n + nnz(W) log nnz(W) + nnz(B))`.
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

    // Load matrices first so malformed input fails before any work.
    let raw_weights = Csr::from_input(&input.weights, n, Matrix::Weights, Fx::saturating_from_num)?;
    let raw_bonds = if hp.yuma3 {
        Csr::from_input(&input.bonds, n, Matrix::Bonds, u16_proportion)?
    } else {
        Csr::from_input(&input.bonds, n, Matrix::Bonds, Fx::saturating_from_num)?
    };

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
    let mut weights = raw_weights;
    weights.retain_map(|i, j, v| {
        let keep = permits[i]
            && (i != j || owner == Some(i))
            && last_update[i] > registered[j]
            && commit[i].is_none_or(|cb| cb >= registered[j]);
        keep.then_some(v)
    });
    weights.row_normalize();

    // == Consensus, clipping, validator trust ==
    let kappa = safe_div(Fx::saturating_from_num(hp.kappa), u16_max());
    let consensus = weighted_median_cols(&active_stake, &weights, n, kappa);
    let clipped = weights.filter_map(|_, j, v| {
        let th = consensus[j];
        if th < v {
            (th > ZERO).then_some(th)
        } else {
            Some(v)
        }
    });
    let validator_trust = clipped.row_sums();

    // == Incentive == stake-weighted column sums of clipped weights, normalised.
    let mut incentive = clipped.weighted_col_sums(&active_stake, n);
    normalize(&mut incentive);

    // == Bonds and dividends ==
    let beta = safe_div(Fx::saturating_from_num(hp.bonds_penalty), u16_max());
    let weights_for_bonds = interpolate(&weights, &clipped, beta);

    let lms = input.last_epoch_block.unwrap_or(0);
    let last_tempo = if lms == 0 {
        current_block.saturating_sub(hp.tempo)
    } else {
        lms.saturating_add(1)
    };
    let mut bonds = raw_bonds;
    bonds.retain_map(|_, j, v| (last_tempo > registered[j]).then_some(v));

    let bma = safe_div64(
        I64F64::saturating_from_num(hp.bonds_moving_average),
        I64F64::saturating_from_num(1_000_000u32),
    );
    let alpha = ONE.saturating_sub(Fx::saturating_from_num(bma));

    let mut dividends: Vec<Fx>;
    let ema_bonds: Csr;
    if hp.yuma3 {
        ema_bonds = if hp.liquid_alpha && consensus.iter().any(|&c| c != ZERO) {
            let la = LiquidAlpha {
                low: u16_proportion(hp.alpha_low),
                high: u16_proportion(hp.alpha_high),
                steepness: Fx::saturating_from_num(hp.alpha_sigmoid_steepness),
            };
            ema_liquid(&weights_for_bonds, &bonds, &consensus, &la)
        } else {
            ema(&weights_for_bonds, &bonds, alpha)
        };
        // Σ_j (B_ij / Σ_k B_kj) · I_j without materialising the normalised copy.
        let per_validator = ema_bonds.col_normalized_row_sums(&incentive, n);
        dividends = per_validator
            .iter()
            .zip(&active_stake)
            .map(|(b, s)| b.checked_mul(*s).unwrap_or(ZERO))
            .collect();
        normalize(&mut dividends);
    } else {
        bonds.col_normalize(n);
        let mut delta = weights_for_bonds.into_owned();
        delta.map_in_place(|i, _, v| v.saturating_mul(active_stake[i]));
        delta.col_normalize(n);
        let mut e = ema(&delta, &bonds, alpha);
        e.col_normalize(n);
        dividends = e.weighted_row_sums(&incentive);
        normalize(&mut dividends);
        e.col_max_upscale(n);
        ema_bonds = e;
    }

    // == Emission == split E by incentive and dividends over their joint sum;
    // without any, pay validators by (active) stake.
    let emission_sum = sat_sum(
        incentive
            .iter()
            .zip(&dividends)
            .map(|(i, d)| i.saturating_add(*d)),
    );
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
    let bonds_out: Vec<SparseRow> = (0..n)
        .map(|i| {
            if new_permits[i] {
                let (cols, vals) = ema_bonds.row(i);
                cols.iter()
                    .zip(vals)
                    .map(|(&j, &v)| (j, proportion_to_u16(v)))
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect();

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

/// `W + β(W̄ − W)` entrywise; `W̄`'s pattern is a subset of `W`'s. At β = 0 or 1
/// the operand is returned as is (zero entries included); otherwise only
/// positive results are kept.
fn interpolate<'a>(w: &'a Csr, clipped: &'a Csr, beta: Fx) -> Cow<'a, Csr> {
    if beta == ZERO {
        return Cow::Borrowed(w);
    }
    if beta == ONE {
        return Cow::Borrowed(clipped);
    }
    let mut b = CsrBuilder::with_capacity(w.rows(), w.nnz());
    for i in 0..w.rows() {
        merge_rows(w.row(i), clipped.row(i), |j, a, c| {
            let a = a.unwrap_or(ZERO);
            let c = c.unwrap_or(ZERO);
            let v = a.saturating_add(beta.saturating_mul(c.saturating_sub(a)));
            if v > ZERO {
                b.push(j, v);
            }
        });
        b.end_row();
    }
    Cow::Owned(b.finish())
}

/// `α·new + (1−α)·old` over the union of both patterns, keeping positive results.
fn ema(new: &Csr, old: &Csr, alpha: Fx) -> Csr {
    let keep = ONE.saturating_sub(alpha);
    let mut b = CsrBuilder::with_capacity(new.rows(), new.nnz() + old.nnz());
    for i in 0..new.rows() {
        merge_rows(new.row(i), old.row(i), |j, x, y| {
            let mut acc = ZERO;
            if let Some(x) = x {
                acc = acc.saturating_add(alpha.saturating_mul(x));
            }
            if let Some(y) = y {
                acc = acc.saturating_add(keep.saturating_mul(y));
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
            .saturating_mul(diff.saturating_sub(half));
        let sigmoid = ONE.saturating_div(ONE.saturating_add(exp_safe(arg)));
        let a = self
            .low
            .saturating_add(sigmoid.saturating_mul(self.high.saturating_sub(self.low)));
        clamp(a, self.low, self.high)
    }
}

/// Yuma3 liquid-alpha EMA, sparse semantics: only pairs present in `new` survive;
/// `min(1, (1−α)·old + max(α·new, 0))`.
fn ema_liquid(new: &Csr, old: &Csr, consensus: &[Fx], la: &LiquidAlpha) -> Csr {
    let mut b = CsrBuilder::with_capacity(new.rows(), new.nnz());
    for i in 0..new.rows() {
        merge_rows(new.row(i), old.row(i), |j, w, bond| {
            let Some(w) = w else { return };
            let prev = bond.unwrap_or(ZERO);
            let a = la.rate(consensus[usize::from(j)], w, prev);
            let decayed = bond.map_or(ZERO, |y| ONE.saturating_sub(a).saturating_mul(y));
            let v = decayed
                .saturating_add(a.saturating_mul(w).max(ZERO))
                .min(ONE);
            if v > ZERO {
                b.push(j, v);
            }
        });
        b.end_row();
    }
    b.finish()
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
