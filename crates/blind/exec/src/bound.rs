//! Bounds on the integer a secret field element represents.
//!
//! The executor keeps `+ - *` results unreduced in the field: a secret node
//! of type `T` holds *some* integer `X ≡ v (mod 2^w)` where `v` is the
//! interpreter's value. A [`Bound`] says how large `X` may be. When the bound
//! lies inside `T`'s range, `X == v` exactly and no reduction is needed
//! before comparisons, divisions, reveals or outputs; otherwise the executor
//! reduces first. Bounds depend only on the program and public values, so
//! every committee member derives the same ones.

use synod_blind_lang::ScalarType;

/// Bound on an integer `X`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// `lo <= X <= hi`.
    Range(i128, i128),
    /// `|X| < 2^m` (used once `i128` end points would overflow).
    Mag(u32),
}

/// Bit length of `x` (0 for 0).
pub(crate) fn bitlen(x: u128) -> u32 {
    128 - x.leading_zeros()
}

impl Bound {
    /// The range of `ty`.
    pub(crate) fn of_type(ty: ScalarType) -> Bound {
        Bound::Range(ty.min_value(), ty.max_value())
    }

    /// Exactly `c`.
    pub(crate) fn point(c: i128) -> Bound {
        Bound::Range(c, c)
    }

    /// Smallest `m` with `|X| < 2^m`.
    pub(crate) fn mag(self) -> u32 {
        match self {
            Bound::Range(lo, hi) => bitlen(lo.unsigned_abs().max(hi.unsigned_abs())),
            Bound::Mag(m) => m,
        }
    }

    /// Whether every admissible `X` lies in `ty`'s range (then `X` is the
    /// exact value).
    pub(crate) fn within(self, ty: ScalarType) -> bool {
        match self {
            Bound::Range(lo, hi) => lo >= ty.min_value() && hi <= ty.max_value(),
            Bound::Mag(_) => false,
        }
    }

    /// The range end points, if known.
    pub(crate) fn range(self) -> Option<(i128, i128)> {
        match self {
            Bound::Range(lo, hi) => Some((lo, hi)),
            Bound::Mag(_) => None,
        }
    }

    pub(crate) fn add(self, o: Bound) -> Bound {
        if let (Bound::Range(a, b), Bound::Range(c, d)) = (self, o)
            && let (Some(lo), Some(hi)) = (a.checked_add(c), b.checked_add(d))
        {
            return Bound::Range(lo, hi);
        }
        Bound::Mag(self.mag().max(o.mag()) + 1)
    }

    pub(crate) fn neg(self) -> Bound {
        if let Bound::Range(lo, hi) = self
            && let (Some(nlo), Some(nhi)) = (hi.checked_neg(), lo.checked_neg())
        {
            return Bound::Range(nlo, nhi);
        }
        Bound::Mag(self.mag() + 1)
    }

    pub(crate) fn sub(self, o: Bound) -> Bound {
        self.add(o.neg())
    }

    pub(crate) fn mul(self, o: Bound) -> Bound {
        if let (Bound::Range(a, b), Bound::Range(c, d)) = (self, o) {
            let ps = [
                a.checked_mul(c),
                a.checked_mul(d),
                b.checked_mul(c),
                b.checked_mul(d),
            ];
            if ps.iter().all(Option::is_some) {
                let ps = ps.map(|p| p.unwrap_or(0));
                let lo = ps.iter().copied().min().unwrap_or(0);
                let hi = ps.iter().copied().max().unwrap_or(0);
                return Bound::Range(lo, hi);
            }
        }
        Bound::Mag(self.mag() + o.mag())
    }

    /// Smallest bound containing both.
    pub(crate) fn hull(self, o: Bound) -> Bound {
        match (self, o) {
            (Bound::Range(a, b), Bound::Range(c, d)) => Bound::Range(a.min(c), b.max(d)),
            _ => Bound::Mag(self.mag().max(o.mag())),
        }
    }

    /// Width `bits` for `ltz(X, bits)`: the smallest `k + 1` (at least 2)
    /// with `-2^k <= X < 2^k`. Only for `Range` bounds.
    pub(crate) fn ltz_bits(self) -> u32 {
        let k = match self {
            Bound::Range(lo, hi) => {
                let k_hi = if hi > 0 { bitlen(hi as u128) } else { 0 };
                let k_lo = if lo < 0 {
                    bitlen(lo.unsigned_abs() - 1)
                } else {
                    0
                };
                k_hi.max(k_lo)
            }
            Bound::Mag(m) => m,
        };
        k.max(1) + 1
    }

    /// Width `bits` for testing both `ltz(X, bits)` and `ltz(-X, bits)`, as
    /// an equality test batched with ordering tests does. The range of `X`
    /// is asymmetric (`-2^k <= X < 2^k`), so `-X` may reach `2^k` and need
    /// one more bit than `X` itself.
    pub(crate) fn ltz_bits_both_signs(self) -> u32 {
        self.ltz_bits().max(self.neg().ltz_bits())
    }

    /// Width `m` for an equality test of a difference `X`: `|X| < 2^m`,
    /// at least 1.
    pub(crate) fn eq_bits(self) -> u32 {
        self.mag().max(1)
    }

    /// Whether 0 is admissible.
    pub(crate) fn contains_zero(self) -> bool {
        match self {
            Bound::Range(lo, hi) => lo <= 0 && 0 <= hi,
            Bound::Mag(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_widths() {
        let u8r = Bound::of_type(ScalarType::U8);
        assert_eq!(u8r.add(u8r), Bound::Range(0, 510));
        assert!(!u8r.add(u8r).within(ScalarType::U8));
        assert!(u8r.add(u8r).within(ScalarType::U16));
        assert_eq!(u8r.sub(u8r), Bound::Range(-255, 255));
        assert_eq!(u8r.sub(u8r).ltz_bits(), 9);
        let u64r = Bound::of_type(ScalarType::U64);
        assert_eq!(u64r.sub(u64r).ltz_bits(), 65);
        let i64r = Bound::of_type(ScalarType::I64);
        assert_eq!(i64r.ltz_bits(), 64);
        assert_eq!(i64r.sub(i64r).ltz_bits(), 65);
        assert_eq!(u64r.sub(u64r).eq_bits(), 64);
        let big = u64r.mul(u64r);
        assert_eq!(big.mag(), 128);
        let huge = big.mul(u64r);
        assert_eq!(huge, Bound::Mag(192));
        assert_eq!(Bound::point(i128::MIN).neg(), Bound::Mag(129));
        assert_eq!(Bound::Range(-8, 7).ltz_bits(), 4);
        assert_eq!(Bound::Range(-9, 7).ltz_bits(), 5);
        assert_eq!(Bound::Range(0, 1).ltz_bits(), 2);
        // A lower end point of exactly -2^k: -X reaches 2^k.
        assert_eq!(Bound::Range(-128, 127).ltz_bits(), 8);
        assert_eq!(Bound::Range(-128, 127).ltz_bits_both_signs(), 9);
        assert_eq!(Bound::Range(-127, 128).ltz_bits_both_signs(), 9);
        assert_eq!(Bound::Range(-127, 127).ltz_bits_both_signs(), 8);
        assert_eq!(Bound::Range(-1, 0).ltz_bits_both_signs(), 2);
        let i16r = Bound::of_type(ScalarType::I16);
        assert_eq!(i16r.sub(Bound::point(0)).ltz_bits_both_signs(), 17);
        let half = Bound::point(1 << 63);
        assert_eq!(u64r.sub(half).ltz_bits(), 64);
        assert_eq!(u64r.sub(half).ltz_bits_both_signs(), 65);
        assert_eq!(u64r.sub(u64r).ltz_bits_both_signs(), 65);
    }
}
