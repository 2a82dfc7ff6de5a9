//! Pure pool math: the constant-product SYN/alpha pool of a subnet (dTAO at launch).
//!
//! Reserves are `tao` (SYN base units) and `alpha` (alpha base units); the spot price is
//! `tao / alpha`, quoted as SYN base units per whole alpha ([`PRICE_SCALE`] alpha base units).
//! Buying alpha with `Δτ` returns `floor(α·Δτ / (τ + Δτ))`; selling `Δα` returns
//! `floor(τ·Δα / (α + Δα))`. Outputs are floored, so `k = τ·α` never decreases, and no trade may
//! take either reserve below the minimum reserve. Limit orders find the largest fill whose
//! post-trade price respects the limit by binary search over the exact integer predicate, so
//! a fill is never off by a rounding step.

/// Alpha base units in one whole alpha: prices are SYN base units per this many alpha units.
pub const PRICE_SCALE: u64 = 1_000_000_000;

/// Why a trade is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// A reserve would fall below the minimum (or the trade returns nothing).
    #[error("insufficient liquidity")]
    InsufficientLiquidity,
    /// A reserve would overflow.
    #[error("reserve overflow")]
    Overflow,
}

/// A pool's reserves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reserves {
    /// SYN reserve.
    pub tao: u64,
    /// Alpha reserve ("alpha in").
    pub alpha: u64,
}

impl Reserves {
    /// `τ·α`, exact.
    pub fn k(&self) -> u128 {
        u128::from(self.tao) * u128::from(self.alpha)
    }

    /// Spot price in SYN base units per whole alpha, floored; `u64::MAX` if saturated, 0 with
    /// no alpha.
    pub fn price(&self) -> u64 {
        if self.alpha == 0 {
            return 0;
        }
        let p = u128::from(self.tao) * u128::from(PRICE_SCALE) / u128::from(self.alpha);
        u64::try_from(p).unwrap_or(u64::MAX)
    }

    /// `price ≤ limit`, exactly (no rounding).
    pub fn price_at_most(&self, limit: u64) -> bool {
        u128::from(self.tao) * u128::from(PRICE_SCALE) <= u128::from(limit) * u128::from(self.alpha)
    }

    /// `price ≥ limit`, exactly.
    pub fn price_at_least(&self, limit: u64) -> bool {
        u128::from(self.tao) * u128::from(PRICE_SCALE) >= u128::from(limit) * u128::from(self.alpha)
    }

    /// Reserves after paying `tao_in` for alpha, before any acceptance check.
    fn after_buy(&self, tao_in: u64) -> Option<(u64, Reserves)> {
        let tao = self.tao.checked_add(tao_in)?;
        if tao == 0 {
            return None;
        }
        // out ≤ alpha, so it fits.
        let out = (u128::from(self.alpha) * u128::from(tao_in) / u128::from(tao)) as u64;
        Some((
            out,
            Reserves {
                tao,
                alpha: self.alpha - out,
            },
        ))
    }

    /// Reserves after selling `alpha_in`, before any acceptance check.
    fn after_sell(&self, alpha_in: u64) -> Option<(u64, Reserves)> {
        let alpha = self.alpha.checked_add(alpha_in)?;
        if alpha == 0 {
            return None;
        }
        let out = (u128::from(self.tao) * u128::from(alpha_in) / u128::from(alpha)) as u64;
        Some((
            out,
            Reserves {
                tao: self.tao - out,
                alpha,
            },
        ))
    }

    /// Spends `tao_in` on alpha. Returns the alpha bought and the new reserves.
    pub fn buy_alpha(&self, tao_in: u64, min_reserve: u64) -> Result<(u64, Reserves), PoolError> {
        let (out, r) = self.after_buy(tao_in).ok_or(PoolError::Overflow)?;
        if out == 0 || r.alpha < min_reserve {
            return Err(PoolError::InsufficientLiquidity);
        }
        Ok((out, r))
    }

    /// Sells `alpha_in` for SYN. Returns the SYN received and the new reserves.
    pub fn sell_alpha(
        &self,
        alpha_in: u64,
        min_reserve: u64,
    ) -> Result<(u64, Reserves), PoolError> {
        let (out, r) = self.after_sell(alpha_in).ok_or(PoolError::Overflow)?;
        if out == 0 || r.tao < min_reserve {
            return Err(PoolError::InsufficientLiquidity);
        }
        Ok((out, r))
    }

    /// Adds liquidity without a trade (emission injection).
    pub fn inject(&self, tao: u64, alpha: u64) -> Result<Reserves, PoolError> {
        Ok(Reserves {
            tao: self.tao.checked_add(tao).ok_or(PoolError::Overflow)?,
            alpha: self.alpha.checked_add(alpha).ok_or(PoolError::Overflow)?,
        })
    }

    /// The largest `x ≤ max` SYN whose purchase keeps the alpha reserve at or above
    /// `min_reserve` and the post-trade price `≤ limit`; 0 if none. (The post-trade price and
    /// the remaining reserve are monotone in `x`, so binary search is exact.)
    pub fn max_buy_within(&self, limit: u64, max: u64, min_reserve: u64) -> u64 {
        largest(
            max,
            |x| matches!(self.after_buy(x), Some((_, r)) if r.alpha >= min_reserve && r.price_at_most(limit)),
        )
    }

    /// The largest `x ≤ max` alpha whose sale keeps the SYN reserve at or above `min_reserve`
    /// and the post-trade price `≥ limit`; 0 if none.
    pub fn max_sell_within(&self, limit: u64, max: u64, min_reserve: u64) -> u64 {
        largest(
            max,
            |x| matches!(self.after_sell(x), Some((_, r)) if r.tao >= min_reserve && r.price_at_least(limit)),
        )
    }
}

/// The largest `x` in `0..=max` with `ok(x)`, assuming `ok` holds exactly on a prefix of that
/// range; 0 if it holds nowhere.
pub fn largest(max: u64, ok: impl Fn(u64) -> bool) -> u64 {
    if ok(max) {
        return max;
    }
    if !ok(0) {
        return 0;
    }
    // ok(lo) and !ok(hi).
    let (mut lo, mut hi) = (0u64, max);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: u64 = 1_000_000_000;

    #[test]
    fn one_to_one_pool_example() {
        // Reference §6.1: a 1 SYN / 1 alpha pool; staking 1 SYN returns 0.5 alpha and moves the
        // price from 1 to 4; selling that 0.5 alpha back returns 1 SYN.
        let r = Reserves {
            tao: UNIT,
            alpha: UNIT,
        };
        assert_eq!(r.price(), UNIT);
        let (out, r2) = r.buy_alpha(UNIT, 0).expect("buy");
        assert_eq!(out, UNIT / 2);
        assert_eq!(r2.price(), 4 * UNIT);
        let (back, r3) = r2.sell_alpha(out, 0).expect("sell");
        assert_eq!(back, UNIT);
        assert_eq!(r3, r);
    }

    #[test]
    fn minimum_reserve_is_enforced() {
        let r = Reserves {
            tao: 100,
            alpha: 100,
        };
        assert_eq!(
            r.buy_alpha(10_000, 50),
            Err(PoolError::InsufficientLiquidity)
        );
        assert!(r.buy_alpha(10, 50).is_ok());
        assert_eq!(
            r.sell_alpha(10_000, 50),
            Err(PoolError::InsufficientLiquidity)
        );
        // A trade too small to return anything is refused rather than taking the input.
        assert_eq!(
            Reserves {
                tao: 1,
                alpha: UNIT
            }
            .sell_alpha(1, 0),
            Err(PoolError::InsufficientLiquidity)
        );
    }

    #[test]
    fn limit_search_is_exact() {
        let r = Reserves {
            tao: 1_000 * UNIT,
            alpha: 1_000 * UNIT,
        };
        let limit = 2 * UNIT; // price may at most double
        let x = r.max_buy_within(limit, u64::MAX / 4, 0);
        let (_, after) = r.buy_alpha(x, 0).expect("fill");
        assert!(after.price_at_most(limit));
        let (_, over) = r.buy_alpha(x + 1, 0).expect("one more");
        assert!(!over.price_at_most(limit));
        // Analytically τ' = sqrt(2)·1000 SYN, so x ≈ 414.2 SYN.
        assert!((414 * UNIT..415 * UNIT).contains(&x), "{x}");

        let y = r.max_sell_within(UNIT / 2, u64::MAX / 4, 0);
        let (_, after) = r.sell_alpha(y, 0).expect("fill");
        assert!(after.price_at_least(UNIT / 2));
        let (_, over) = r.sell_alpha(y + 1, 0).expect("one more");
        assert!(!over.price_at_least(UNIT / 2));
        // A limit already crossed fills nothing.
        assert_eq!(r.max_buy_within(UNIT / 2, UNIT, 0), 0);
    }
}
