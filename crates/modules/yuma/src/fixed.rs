//! Fixed-point primitives with subtensor's rounding rules.
//!
//! Every helper here is a thin wrapper over `substrate-fixed` 0.6 so that the
//! epoch reads like the reference and rounds exactly like it:
//!
//! * multiplication floors (`(a·b) >> 32` on the widened product),
//! * division truncates toward zero, and a division by zero *or* an overflowing
//!   division yields 0 (subtensor's `safe_div`),
//! * narrowing conversions drop fraction bits, fixed→integer conversions
//!   truncate, and everything saturates.

use substrate_fixed::transcendental::exp;
use substrate_fixed::types::{I32F32, I64F64, I96F32};

/// The epoch's working number type (signed, 32 integer and 32 fraction bits).
pub(crate) type Fx = I32F32;

/// `0` as [`Fx`].
pub(crate) const ZERO: Fx = Fx::from_bits(0);
/// `1` as [`Fx`].
pub(crate) const ONE: Fx = Fx::from_bits(1 << 32);

/// `u16::MAX` as [`Fx`].
pub(crate) fn u16_max() -> Fx {
    Fx::saturating_from_num(u16::MAX)
}

/// Fast, bit-identical replacements for `substrate-fixed`'s `I32F32`
/// `saturating_mul` and `checked_mul`.
///
/// The crate forms `a · (b << 32)` with a 128-bit *overflowing* multiply (a
/// software routine) and keeps the high 64 bits. That equals `⌊a·b / 2³²⌋`,
/// overflowing exactly when `a·b ∉ [−2⁹⁵, 2⁹⁵)`. We take the exact 64×64→128
/// product (one instruction) and test that range instead.
/// `mul_matches_substrate_fixed` checks the equivalence.
pub(crate) trait FastMul: Sized {
    /// `saturating_add` (the same as saturating integer addition of the bits).
    fn sadd(self, rhs: Self) -> Self;
    /// `saturating_mul`.
    fn smul(self, rhs: Self) -> Self;
    /// `checked_mul`.
    fn cmul(self, rhs: Self) -> Option<Self>;
}

impl FastMul for Fx {
    #[inline]
    fn sadd(self, rhs: Fx) -> Fx {
        Fx::from_bits(self.to_bits().saturating_add(rhs.to_bits()))
    }

    #[inline]
    fn smul(self, rhs: Fx) -> Fx {
        self.cmul(rhs).unwrap_or_else(|| {
            if (self < ZERO) != (rhs < ZERO) {
                Fx::min_value()
            } else {
                Fx::max_value()
            }
        })
    }

    #[inline]
    fn cmul(self, rhs: Fx) -> Option<Fx> {
        const LIMIT: i128 = 1 << 95;
        let p = i128::from(self.to_bits()) * i128::from(rhs.to_bits());
        if (-LIMIT..LIMIT).contains(&p) {
            Some(Fx::from_bits((p >> 32) as i64))
        } else {
            None
        }
    }
}

/// `a / b`, or 0 when `b == 0` or the quotient overflows (subtensor's
/// `checked_div(..).unwrap_or_default()`).
///
/// Same result as `substrate-fixed`'s `checked_div`, which divides
/// `(a_bits << 32)` by `b_bits` in signed 128-bit arithmetic; that software
/// division dominates the epoch's cost. For the non-negative operands the epoch
/// divides, we first cancel common trailing zero bits (an exact identity) and
/// then divide in `u64` when the shifted dividend fits, else in `u128`.
/// `safe_div_matches_checked_div` checks the equivalence.
pub(crate) fn safe_div(a: Fx, b: Fx) -> Fx {
    let (x, y) = (a.to_bits(), b.to_bits());
    if x == 0 && y != 0 {
        return ZERO;
    }
    if x > 0 && y > 0 {
        let t = x.trailing_zeros().min(y.trailing_zeros());
        let (x, y) = ((x as u64) >> t, (y as u64) >> t);
        let q = if x < (1 << 32) {
            u128::from((x << 32) / y)
        } else {
            (u128::from(x) << 32) / u128::from(y)
        };
        return i64::try_from(q).map_or(ZERO, Fx::from_bits);
    }
    a.checked_div(b).unwrap_or(ZERO)
}

/// [`safe_div`] by one fixed divisor `b > 0`, for many dividends: exact floor
/// division through a precomputed reciprocal (one widening multiply plus at
/// most two corrections) instead of a hardware divide per entry. Dividends
/// outside the fast range fall back to [`safe_div`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divisor {
    b: Fx,
    /// The divisor used on the fast path: `b`'s bits, or its integer part when
    /// `b` is an integer (then dividends must be integers too).
    y: u64,
    inv: u64,
    integer: bool,
}

impl Divisor {
    /// `None` unless `b > 0`.
    pub(crate) fn new(b: Fx) -> Option<Self> {
        let bits = b.to_bits();
        if bits <= 0 {
            return None;
        }
        let integer = bits & 0xFFFF_FFFF == 0;
        let y = if integer {
            (bits >> 32) as u64
        } else {
            bits as u64
        };
        Some(Self {
            b,
            y,
            inv: u64::MAX / y,
            integer,
        })
    }

    /// `safe_div(a, b)`.
    #[inline]
    pub(crate) fn div(&self, a: Fx) -> Fx {
        let bits = a.to_bits();
        // Integer divisor and integer dividend: ⌊a·2³²/b⌋ = ⌊(a_int·2³²) / b_int⌋.
        // Fractional divisor, dividend below 1: ⌊(a_bits·2³²) / b_bits⌋.
        let x = if self.integer && bits & 0xFFFF_FFFF == 0 && bits >= 0 {
            let a_int = (bits >> 32) as u64;
            if a_int >= 1 << 32 {
                return safe_div(a, self.b);
            }
            a_int << 32
        } else if !self.integer && (0..1 << 32).contains(&bits) {
            (bits as u64) << 32
        } else {
            return safe_div(a, self.b);
        };
        let mut q = ((u128::from(x) * u128::from(self.inv)) >> 64) as u64;
        let mut r = x - q * self.y;
        while r >= self.y {
            q += 1;
            r -= self.y;
        }
        i64::try_from(q).map_or(ZERO, Fx::from_bits)
    }
}

/// `a / b` in `I64F64`, or 0 when `b == 0` or the quotient overflows; the same
/// exact fast path as [`safe_div`] for the integer-valued stakes it divides.
pub(crate) fn safe_div64(a: I64F64, b: I64F64) -> I64F64 {
    let (x, y) = (a.to_bits(), b.to_bits());
    if x > 0 && y > 0 {
        let t = x.trailing_zeros().min(y.trailing_zeros());
        let (x, y) = ((x as u128) >> t, (y as u128) >> t);
        if x < (1 << 64) {
            let q = (x << 64) / y;
            return i128::try_from(q).map_or(I64F64::from_bits(0), I64F64::from_bits);
        }
    }
    a.checked_div(b).unwrap_or(I64F64::from_bits(0))
}

/// Saturating sum. Subtensor uses `Iterator::sum` (plain `Add`); the two agree
/// whenever the true sum fits in the type, which holds for every sum of
/// normalised values the epoch takes. See `DECISIONS.md` (D7).
pub(crate) fn sat_sum<I: IntoIterator<Item = Fx>>(it: I) -> Fx {
    it.into_iter().fold(ZERO, |acc, x| acc.sadd(x))
}

/// A stored u16 proportion, `x / 65535` with subtensor's truncating division.
///
/// Division-free: `2³² = 65535 · 65537 + 1`, so `⌊x · 2³² / 65535⌋ = 65537·x + ⌊x / 65535⌋`
/// (`u16_proportion_is_exact` checks all 65536 inputs against the division).
pub(crate) fn u16_proportion(x: u16) -> Fx {
    let x = i64::from(x);
    Fx::from_bits(x * 65_537 + i64::from(x == 65_535))
}

/// A u16 as an integer-valued [`Fx`] (`Fx::saturating_from_num(x)`, without the
/// generic conversion machinery).
#[inline]
pub(crate) fn fx_from_u16(x: u16) -> Fx {
    Fx::from_bits(i64::from(x) << 32)
}

/// Publishes a proportion in `[0, 1]` as `floor(x · 65535)`, saturating
/// (`x.saturating_mul(65535).saturating_to_num::<u16>()`, which floors).
#[inline]
pub(crate) fn proportion_to_u16(x: Fx) -> u16 {
    let bits = x.smul(u16_max()).to_bits();
    if bits < 0 {
        0
    } else {
        u16::try_from(bits >> 32).unwrap_or(u16::MAX)
    }
}

/// `exp(x)` with the argument clamped to `[-20, 20]`; on internal overflow 0
/// for non-positive arguments and `Fx::MAX` otherwise (subtensor's `exp_safe`).
pub(crate) fn exp_safe(input: Fx) -> Fx {
    let lo = Fx::saturating_from_num(-20);
    let hi = Fx::saturating_from_num(20);
    let x = if input < lo {
        lo
    } else if hi < input {
        hi
    } else {
        input
    };
    match exp::<Fx, Fx>(x) {
        Ok(v) => v,
        Err(()) => {
            if x <= ZERO {
                ZERO
            } else {
                Fx::max_value()
            }
        }
    }
}

/// `value` clamped with `min(high)` first, then `max(low)` (subtensor's order,
/// which yields `low` when `low > high`).
pub(crate) fn clamp(value: Fx, low: Fx, high: Fx) -> Fx {
    value.min(high).max(low)
}

/// `floor(x · emission)` computed in `I96F32`, saturating to `u64`.
pub(crate) fn share_of(x: Fx, emission: u64) -> u64 {
    I96F32::saturating_from_num(x)
        .saturating_mul(I96F32::saturating_from_num(emission))
        .saturating_to_num::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits32() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            0i64..(1 << 34),
            (0i64..(1 << 20)).prop_map(|x| x << 32),
            (0u32..64).prop_map(|s| 1i64.wrapping_shl(s)),
            Just(0),
            Just(i64::MAX),
            Just(i64::MIN),
        ]
    }

    fn bits64() -> impl Strategy<Value = i128> {
        prop_oneof![
            any::<i128>(),
            any::<u64>().prop_map(|x| i128::from(x) << 64 >> 1),
            any::<u64>().prop_map(i128::from),
            Just(0),
            Just(i128::MAX),
        ]
    }

    #[test]
    fn u16_proportion_is_exact() {
        for x in 0..=u16::MAX {
            let by_division = Fx::saturating_from_num(x)
                .checked_div(u16_max())
                .unwrap_or(ZERO);
            assert_eq!(u16_proportion(x), by_division, "x = {x}");
        }
    }

    proptest! {
        #[test]
        fn mul_matches_substrate_fixed(a in bits32(), b in bits32()) {
            let (a, b) = (Fx::from_bits(a), Fx::from_bits(b));
            prop_assert_eq!(a.smul(b), a.saturating_mul(b));
            prop_assert_eq!(a.sadd(b), a.saturating_add(b));
            prop_assert_eq!(a.cmul(b), a.checked_mul(b));
        }

        #[test]
        fn divisor_matches_safe_div(a in bits32(), b in bits32(), int_a in 0i64..(1 << 31), int_b in 1i64..(1 << 31)) {
            let (fa, fb) = (Fx::from_bits(a), Fx::from_bits(b));
            if let Some(d) = Divisor::new(fb) {
                prop_assert_eq!(d.div(fa), safe_div(fa, fb));
                let small = Fx::from_bits(a & 0xFFFF_FFFF);
                prop_assert_eq!(d.div(small), safe_div(small, fb));
            }
            let (ia, ib) = (Fx::from_bits(int_a << 32), Fx::from_bits(int_b << 32));
            let d = Divisor::new(ib).expect("positive divisor");
            prop_assert_eq!(d.div(ia), safe_div(ia, ib));
            prop_assert_eq!(d.div(fa), safe_div(fa, ib));
        }

        #[test]
        fn conversions_match_substrate_fixed(a in bits32(), v in any::<u16>()) {
            let x = Fx::from_bits(a);
            prop_assert_eq!(
                proportion_to_u16(x),
                x.saturating_mul(u16_max()).saturating_to_num::<u16>()
            );
            prop_assert_eq!(fx_from_u16(v), Fx::saturating_from_num(v));
        }

        #[test]
        fn safe_div_matches_checked_div(a in bits32(), b in bits32()) {
            let (a, b) = (Fx::from_bits(a), Fx::from_bits(b));
            prop_assert_eq!(safe_div(a, b), a.checked_div(b).unwrap_or(ZERO));
        }

        #[test]
        fn safe_div64_matches_checked_div(a in bits64(), b in bits64()) {
            let (a, b) = (I64F64::from_bits(a), I64F64::from_bits(b));
            prop_assert_eq!(safe_div64(a, b), a.checked_div(b).unwrap_or(I64F64::from_bits(0)));
        }
    }

    #[test]
    fn rounding_rules() {
        // Multiplication floors.
        let third = safe_div(ONE, Fx::from_num(3));
        assert_eq!(third.to_bits(), 0x5555_5555);
        assert_eq!(safe_div(ONE, ZERO), ZERO);
        assert_eq!(proportion_to_u16(ONE), u16::MAX);
        assert_eq!(proportion_to_u16(u16_proportion(12345)), 12344);
        assert_eq!(u16_proportion(u16::MAX), ONE);
        assert_eq!(share_of(ONE, 1_000), 1_000);
        assert_eq!(share_of(third, 3_000), 999);
    }

    #[test]
    fn exp_is_clamped_and_total() {
        assert_eq!(exp_safe(ZERO), ONE);
        assert_eq!(exp_safe(Fx::max_value()), exp_safe(Fx::from_num(20)));
        assert_eq!(exp_safe(Fx::min_value()), exp_safe(Fx::from_num(-20)));
        assert!(exp_safe(Fx::from_num(-20)) >= ZERO);
    }
}
