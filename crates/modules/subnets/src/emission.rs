//! Pure emission math: block emission and its halvings, the SYN split across subnets, pool
//! injection, the alpha split (owner / miners / validators / root), the moving (EMA) price,
//! registration-burn and network-lock pricing, and the epoch payout.
//!
//! Integers and fixed point only. Fractions in `[0, 1]` are Q64.64 values held as `u128` bits
//! (`1.0 = 2^64`, the layout of `substrate_fixed::types::U64F64`, which is used where the EMA is
//! updated); every product is floored and every intermediate that could exceed 128 bits goes
//! through [`mul_div`], which is exact over 256 bits.

use substrate_fixed::types::U64F64;

/// `1.0` in Q64.64.
pub const Q64_ONE: u128 = 1 << 64;

/// `floor(a · b / d)` computed exactly over 256 bits; `None` when `d == 0` or the quotient does
/// not fit in 128 bits.
pub fn mul_div(a: u128, b: u128, d: u128) -> Option<u128> {
    if d == 0 {
        return None;
    }
    if let Some(p) = a.checked_mul(b) {
        return Some(p / d);
    }
    let (hi, lo) = mul_wide(a, b);
    if hi >= d {
        return None;
    }
    let (mut rem, mut q) = (hi, 0u128);
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    Some(q)
}

/// The 256-bit product `a · b` as `(high, low)` halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a0, a1, b0, b1) = (a & M, a >> 64, b & M, b >> 64);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `floor(a · b / d)` for `u64` amounts, saturating at `u64::MAX`; 0 when `d == 0`.
pub fn mul_div_u64(a: u64, b: u64, d: u64) -> u64 {
    if d == 0 {
        return 0;
    }
    u64::try_from(u128::from(a) * u128::from(b) / u128::from(d)).unwrap_or(u64::MAX)
}

/// SYN emitted per block at total issuance `issuance`: `base / 2^h` with
/// `h = floor(log2(1 / (1 − issuance / supply)))`, 0 once the supply is reached (reference §5.1).
/// `h` is found exactly in integers: the largest `h` with `(supply − issuance) · 2^h ≤ supply`.
/// The same function of a subnet's alpha issuance gives its alpha emission.
pub fn block_emission(issuance: u64, supply: u64, base: u64) -> u64 {
    if issuance >= supply {
        return 0;
    }
    let rem = u128::from(supply - issuance);
    let mut h = 0u32;
    while h < 64 && rem << (h + 1) <= u128::from(supply) {
        h += 1;
    }
    if h >= 64 { 0 } else { base >> h }
}

/// SYN for each subnet: `floor(emission · p̄_i / Σ p̄)` (shares ∝ moving price). All zero when
/// every price is zero. The sum never exceeds `emission`.
pub fn tao_shares(emission: u64, moving_prices: &[u128]) -> Vec<u64> {
    let total: u128 = moving_prices
        .iter()
        .fold(0u128, |a, p| a.saturating_add(*p));
    moving_prices
        .iter()
        .map(|p| {
            mul_div(u128::from(emission), *p, total)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0)
        })
        .collect()
}

/// What one subnet receives in one block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Injection {
    /// SYN added to the pool (and minted).
    pub tao_in: u64,
    /// Alpha added to the pool reserve.
    pub alpha_in: u64,
    /// Alpha minted for participants (pending until the epoch).
    pub alpha_out: u64,
}

/// Injection for a subnet with SYN share `tao_share`, reserves `(tao, alpha)` and per-block
/// alpha emission `alpha_emission`: SYN and alpha enter in the pool's price ratio, so the price
/// does not move (up to rounding, which can only raise it). Alpha into the pool is capped at
/// the alpha emission; when the cap binds the SYN side is reduced to match, and the rest of the
/// share is not minted.
pub fn injection(tao_share: u64, tao: u64, alpha: u64, alpha_emission: u64) -> Injection {
    if tao == 0 || alpha == 0 {
        return Injection {
            alpha_out: alpha_emission,
            ..Injection::default()
        };
    }
    let alpha_in = mul_div_u64(tao_share, alpha, tao);
    let (tao_in, alpha_in) = if alpha_in > alpha_emission {
        // Rounded up (still ≤ tao_share, since alpha_emission < tao_share·α/τ) so the
        // price never falls.
        let t = (u128::from(alpha_emission) * u128::from(tao)).div_ceil(u128::from(alpha));
        (
            u64::try_from(t).unwrap_or(tao_share).min(tao_share),
            alpha_emission,
        )
    } else {
        (tao_share, alpha_in)
    };
    Injection {
        tao_in,
        alpha_in,
        alpha_out: alpha_emission,
    }
}

/// The root proportion of a subnet, Q64.64: `tw·R / (tw·R + A)` with TaoWeight `tw` (a
/// fraction of 2^64), total root stake `R` and the subnet's alpha issuance `A`.
pub fn root_proportion(tao_weight: u64, root_stake: u64, alpha_issuance: u64) -> u128 {
    // tw·R in Q64 and A in Q64 both fit in 120 bits.
    let root = u128::from(tao_weight) * u128::from(root_stake);
    let alpha = u128::from(alpha_issuance) << 64;
    let total = root + alpha;
    mul_div(root, Q64_ONE, total).unwrap_or(0)
}

/// One block's alpha split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlphaSplit {
    /// Owner cut.
    pub owner: u64,
    /// Miners' half of the rest.
    pub server: u64,
    /// Validators' part, after the root part.
    pub validator: u64,
    /// Root stakers' part of the validators' half.
    pub root: u64,
}

/// Splits `alpha_out`: `owner = floor(out · cut / 65535)`; of the rest, miners get half
/// (floored) and validators the other half, of which `floor(root_prop · half)` goes to root
/// stakers. The four parts sum to `alpha_out` exactly.
pub fn split_alpha(alpha_out: u64, owner_cut: u16, root_prop: u128) -> AlphaSplit {
    let owner = mul_div_u64(alpha_out, u64::from(owner_cut), u64::from(u16::MAX));
    let rest = alpha_out - owner;
    let server = rest / 2;
    let validators = rest - server;
    let root = mul_div(u128::from(validators), root_prop.min(Q64_ONE), Q64_ONE)
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0)
        .min(validators);
    AlphaSplit {
        owner,
        server,
        validator: validators - root,
        root,
    }
}

/// Spot price as a Q64.64 fraction capped at 1.0 (the EMA input).
pub fn capped_spot_price(tao: u64, alpha: u64) -> u128 {
    if alpha == 0 {
        return 0;
    }
    ((u128::from(tao) << 64) / u128::from(alpha)).min(Q64_ONE)
}

/// Moving-price update, after the price was used for this block's shares (reference §5.2):
/// `α_eff = α · b / (b + H)`, `p̄ ← α_eff · spot + (1 − α_eff) · p̄`, with `α` in parts per
/// billion, `b` blocks since the subnet started and `H` the EMA halving blocks. `spot` is the
/// capped spot price, so `p̄ ≤ 1`. Q64.64 in `U64F64`.
pub fn update_moving_price(
    ema: u128,
    spot: u128,
    alpha_ppb: u64,
    since_start: u64,
    halving_blocks: u64,
) -> u128 {
    let alpha =
        U64F64::from_bits(mul_div(u128::from(alpha_ppb), Q64_ONE, 1_000_000_000).unwrap_or(0));
    let denom = u128::from(since_start) + u128::from(halving_blocks);
    let ratio = U64F64::from_bits(mul_div(u128::from(since_start), Q64_ONE, denom).unwrap_or(0));
    let eff = alpha.saturating_mul(ratio).min(U64F64::from_num(1));
    let one_minus = U64F64::from_num(1).saturating_sub(eff);
    let new = eff
        .saturating_mul(U64F64::from_bits(spot.min(Q64_ONE)))
        .saturating_add(one_minus.saturating_mul(U64F64::from_bits(ema.min(Q64_ONE))));
    new.to_bits().min(Q64_ONE)
}

/// `2^(−1/half_life)` in Q64.64: the largest `f < 1` with `f^half_life ≤ 1/2`.
pub fn decay_factor(half_life: u64) -> u128 {
    if half_life == 0 {
        return 0;
    }
    let half = Q64_ONE / 2;
    let (mut lo, mut hi) = (0u128, Q64_ONE - 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if q64_pow(mid, half_life) <= half {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// `x^n` for a Q64.64 `x < 1`, each product floored.
pub fn q64_pow(mut x: u128, mut n: u64) -> u128 {
    let mut acc = Q64_ONE;
    while n > 0 {
        if n & 1 == 1 {
            acc = q64_mul(acc, x);
        }
        x = q64_mul(x, x);
        n >>= 1;
    }
    acc
}

fn q64_mul(a: u128, b: u128) -> u128 {
    mul_div(a, b, Q64_ONE).unwrap_or(u128::MAX)
}

/// The registration burn `blocks` after it was set to `burn`, halving every `half_life`
/// blocks (continuously, per block), clamped to `[min, max]`.
pub fn decayed_burn(burn: u64, blocks: u64, half_life: u64, min: u64, max: u64) -> u64 {
    let decayed = if half_life == 0 || blocks == 0 {
        burn
    } else {
        let halvings = blocks / half_life;
        let base = if halvings >= 64 { 0 } else { burn >> halvings };
        let f = q64_pow(decay_factor(half_life), blocks % half_life);
        mul_div(u128::from(base), f, Q64_ONE)
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0)
    };
    decayed.clamp(min, max.max(min))
}

/// The burn after one more registration: `burn · num / den`, clamped to `[min, max]`.
pub fn bumped_burn(burn: u64, num: u64, den: u64, min: u64, max: u64) -> u64 {
    mul_div_u64(burn, num, den.max(1)).clamp(min, max.max(min))
}

/// Network lock cost (reference §7): `max(min_lock, last·m − last/interval · (now − last_block))`
/// with `m = 2` after a previous lock and 1 before any.
pub fn lock_cost(
    last_lock: u64,
    last_lock_block: Option<u64>,
    now: u64,
    min_lock: u64,
    interval: u64,
) -> u64 {
    let Some(last_block) = last_lock_block else {
        return last_lock.max(min_lock);
    };
    let doubled = last_lock.saturating_mul(2);
    let decay = (last_lock / interval.max(1)).saturating_mul(now.saturating_sub(last_block));
    doubled.saturating_sub(decay).max(min_lock)
}

/// One UID's inputs to the epoch payout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayoutUid {
    /// Miner emission from the epoch (absolute alpha).
    pub server: u64,
    /// Validator emission from the epoch (only its proportion is used).
    pub validator: u64,
    /// The hotkey's alpha stake on the subnet.
    pub alpha_stake: u64,
    /// The hotkey's root stake (SYN).
    pub root_stake: u64,
    /// The UID is the subnet owner's hotkey: its miner incentive is burned.
    pub owner_hotkey: bool,
}

/// What accumulated for a subnet since its last epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// Miners' alpha.
    pub server: u64,
    /// Validators' alpha.
    pub validator: u64,
    /// Owner cut (alpha).
    pub owner: u64,
    /// Root stakers' share, already sold for SYN.
    pub root_tao: u64,
}

/// The payout of one epoch. Alpha: `Σ miner + Σ validator + owner + burned = server +
/// validator + owner` of [`Pending`]. SYN: `Σ root + carried_root_tao = root_tao`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payout {
    /// Alpha to each UID as a miner.
    pub miner_alpha: Vec<u64>,
    /// Alpha to each UID as a validator.
    pub validator_alpha: Vec<u64>,
    /// SYN to each UID's root stakers.
    pub root_tao: Vec<u64>,
    /// Owner cut.
    pub owner_alpha: u64,
    /// Alpha burned (owner-hotkey incentive, rounding, no recipient).
    pub burned_alpha: u64,
    /// Root SYN with no recipient, kept pending for the next epoch.
    pub carried_root_tao: u64,
}

/// Splits one epoch's pending emission (reference §5.4, launch semantics with one fix: the root
/// share is not paid twice). The epoch ran on `E = server + validator`: miners receive their
/// epoch emission (the owner hotkey's is burned); validators share the rest of `E` by their
/// epoch emission, each weighted by the alpha part of its stake `a/(a + tw·r)`; root stakers
/// share the pending root SYN by the root part `tw·r/(a + tw·r)`. When no validator has alpha
/// stake the alpha goes by plain epoch emission; when none has root stake the root SYN waits.
/// `tao_weight` is a fraction of 2^64.
pub fn payout(pending: &Pending, uids: &[PayoutUid], tao_weight: u64) -> Payout {
    let n = uids.len();
    let mut out = Payout {
        miner_alpha: vec![0; n],
        validator_alpha: vec![0; n],
        root_tao: vec![0; n],
        owner_alpha: pending.owner,
        ..Payout::default()
    };
    let mut budget = u128::from(pending.server) + u128::from(pending.validator);
    let mut burned: u128 = 0;
    for (i, u) in uids.iter().enumerate() {
        let pay = u128::from(u.server).min(budget);
        budget -= pay;
        if u.owner_hotkey {
            burned += pay;
        } else {
            out.miner_alpha[i] = pay as u64;
        }
    }
    // Alpha and root parts of each validator's weight.
    let mut wa = vec![0u128; n];
    let mut wr = vec![0u128; n];
    for (i, u) in uids.iter().enumerate() {
        let v = u128::from(u.validator);
        let root = u128::from(tao_weight) * u128::from(u.root_stake);
        let alpha = u128::from(u.alpha_stake) << 64;
        let a = mul_div(v, alpha, alpha + root).unwrap_or(0).min(v);
        wa[i] = a;
        wr[i] = v - a;
    }
    let sum_a: u128 = wa.iter().sum();
    let weights = if sum_a > 0 {
        wa.clone()
    } else {
        uids.iter().map(|u| u128::from(u.validator)).collect()
    };
    let sum_w: u128 = weights.iter().sum();
    let mut paid: u128 = 0;
    if sum_w > 0 {
        for (i, w) in weights.iter().enumerate() {
            let p = mul_div(budget, *w, sum_w).unwrap_or(0);
            out.validator_alpha[i] = p as u64;
            paid += p;
        }
    }
    burned += budget - paid;
    out.burned_alpha = burned as u64;

    let sum_r: u128 = wr.iter().sum();
    let root = u128::from(pending.root_tao);
    let mut root_paid: u128 = 0;
    if sum_r > 0 {
        for (i, w) in wr.iter().enumerate() {
            let p = mul_div(root, *w, sum_r).unwrap_or(0);
            out.root_tao[i] = p as u64;
            root_paid += p;
        }
    }
    out.carried_root_tao = (root - root_paid) as u64;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_matches_wide_arithmetic() {
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 4), Some(u128::MAX / 2));
        assert_eq!(mul_div(1 << 100, 1 << 100, 1 << 90), Some(1 << 110));
        assert_eq!(mul_div(1 << 100, 1 << 100, 1 << 50), None);
        assert_eq!(mul_div(5, 7, 0), None);
        assert_eq!(mul_div(7, 3, 2), Some(10));
    }

    #[test]
    fn decay_factor_halves() {
        let f = decay_factor(360);
        assert!(q64_pow(f, 360) <= Q64_ONE / 2);
        assert!(q64_pow(f + 1, 360) > Q64_ONE / 2);
        let b = decayed_burn(1_000_000_000, 360, 360, 1, u64::MAX);
        assert!((499_999_990..=500_000_000).contains(&b), "{b}");
        assert_eq!(
            decayed_burn(1_000_000_000, 720, 360, 1, u64::MAX),
            250_000_000
        );
        assert_eq!(
            decayed_burn(1_000_000_000, 10_000, 360, 500_000, u64::MAX),
            500_000
        );
    }

    #[test]
    fn burn_bumps_by_1_26_within_bounds() {
        assert_eq!(
            bumped_burn(1_000_000_000, 126, 100, 1, u64::MAX),
            1_260_000_000
        );
        // Clamped to the subnet's bounds both ways, and never overflowing.
        assert_eq!(bumped_burn(90, 126, 100, 1, 100), 100);
        assert_eq!(bumped_burn(10, 126, 100, 500, 1_000), 500);
        assert_eq!(bumped_burn(u64::MAX, 126, 100, 1, u64::MAX), u64::MAX);
        // The decay is clamped to the maximum too (a lowered max_burn applies at once).
        assert_eq!(
            decayed_burn(1_000_000_000, 0, 360, 1, 700_000_000),
            700_000_000
        );
    }

    #[test]
    fn lock_cost_doubles_and_decays() {
        let min = 1_000;
        assert_eq!(lock_cost(0, None, 5, min, 100), min);
        assert_eq!(lock_cost(1_000, Some(10), 10, min, 100), 2_000);
        assert_eq!(lock_cost(1_000, Some(10), 60, min, 100), 1_500);
        assert_eq!(lock_cost(1_000, Some(10), 1_000, min, 100), min);
    }
}
