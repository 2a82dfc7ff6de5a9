//! Comparison and equality (Catrina–de Hoogh style masking with digit-wise
//! lookup tables; Damgård et al. / Nishide–Ohta style carry tree).
//!
//! **Less-than-zero** of `x ∈ [-2^m, 2^m)`: with a digit mask `r'` of `m`
//! bits and a PRSS integer `r''`, open `c = x + 2^m + r' + 2^m r''`
//! (1 round; the low `m` bits are perfectly masked, the high part
//! statistically with κ = 40). Let `c' = c mod 2^m` and
//! `u = [c' < r']` (carry tree over 8-bit digits, ⌈log2(m/8)⌉ rounds). Then
//! `(x + 2^m) mod 2^m = c' - r' + 2^m u` and
//! `[x < 0] = 1 - ((x + 2^m) - c' + r') / 2^m + u`, all local.
//! For 64-bit types (`m = 64`, 8 digits) that is **4 online rounds**.
//!
//! **Equality** of `k`-bit values: open `c = (a - b) + 2^k + r' + 2^k r''`;
//! `a = b` iff `r' = c mod 2^k`, i.e. the product of the digit equalities
//! (again 1 + 3 rounds for 64 bits).

use crate::error::MpcError;
use crate::field::{IntType, KAPPA, MpcField, low_bits, require_field_bits};
use crate::party::Party;
use crate::prep::{DigitMask, two_pow};
use crate::secret::Share;
use crate::transport::Transport;

/// Comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

impl CmpOp {
    /// Plaintext semantics (the reference the tests use).
    pub fn eval(self, a: i128, b: i128) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

impl<F: MpcField, T: Transport<F>> Party<F, T> {
    /// `[x < 0]` for shared `x ∈ [-2^(bits-1), 2^(bits-1))`, batched;
    /// `2 <= bits <= 65`. Consumes one `DigitMask { bits: bits - 1 }` per
    /// value. Online rounds: `1 + ⌈log2 ⌈(bits-1)/8⌉⌉`.
    pub async fn ltz(&mut self, xs: &[Share<F>], bits: u32) -> Result<Vec<Share<F>>, MpcError> {
        if !(2..=65).contains(&bits) {
            return Err(MpcError::InvalidArgument("ltz width must be 2..=65"));
        }
        let m = bits - 1;
        let extra = KAPPA + 2;
        require_field_bits::<F>(m + extra + 16)?;
        let masks = self.pool.take_digit(m, xs.len())?;
        let rr = self.random_ints(xs.len(), extra)?;
        let two_m: F = two_pow(m);
        let masked: Vec<Share<F>> = xs
            .iter()
            .zip(&masks)
            .zip(&rr)
            .map(|((x, mask), r2)| (*x + mask.value + r2.mul_public(two_m)).add_public(two_m))
            .collect();
        let opened = self.open_masked(&masked).await?;
        let cs: Vec<u64> = opened.iter().map(|c| low_bits(*c, m)).collect();
        let items: Vec<(&DigitMask<F>, u64)> = masks.iter().zip(cs.iter().copied()).collect();
        let u = self.bit_lt_public(&items, m).await?;
        let inv = Self::inv(two_m)?;
        Ok(xs
            .iter()
            .zip(&masks)
            .zip(cs)
            .zip(u)
            .map(|(((x, mask), c), u)| {
                // floor((x + 2^m) / 2^m) = ((x + 2^m) - c' + r') / 2^m - u
                let hi = (*x + mask.value)
                    .add_public(two_m - F::from(c))
                    .mul_public(inv)
                    - u;
                hi.public_sub(F::one())
            })
            .collect())
    }

    /// Batched comparison `a[k] op b[k]` of values of type `ty`; results are
    /// shared bits. Consumes one `DigitMask { bits: ty.bits }` per pair.
    /// A 64-bit comparison takes 4 online rounds.
    pub async fn compare(
        &mut self,
        op: CmpOp,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        let ty = ty.validate()?;
        if a.len() != b.len() {
            return Err(MpcError::LengthMismatch {
                expected: a.len(),
                actual: b.len(),
            });
        }
        // The difference of two k-bit values is a (k+1)-bit signed value.
        let diff: Vec<Share<F>> = match op {
            CmpOp::Lt | CmpOp::Ge => a.iter().zip(b).map(|(x, y)| *x - *y).collect(),
            CmpOp::Gt | CmpOp::Le => a.iter().zip(b).map(|(x, y)| *y - *x).collect(),
        };
        let l = self.ltz(&diff, ty.bits + 1).await?;
        Ok(match op {
            CmpOp::Lt | CmpOp::Gt => l,
            CmpOp::Le | CmpOp::Ge => l.into_iter().map(|s| s.public_sub(F::one())).collect(),
        })
    }

    /// `a < b`, batched.
    pub async fn lt(
        &mut self,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        self.compare(CmpOp::Lt, a, b, ty).await
    }

    /// `a <= b`, batched.
    pub async fn le(
        &mut self,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        self.compare(CmpOp::Le, a, b, ty).await
    }

    /// `a > b`, batched.
    pub async fn gt(
        &mut self,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        self.compare(CmpOp::Gt, a, b, ty).await
    }

    /// `a >= b`, batched.
    pub async fn ge(
        &mut self,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        self.compare(CmpOp::Ge, a, b, ty).await
    }

    /// Batched equality test `[a[k] == b[k]]` for values of type `ty`.
    /// Consumes one `DigitMask { bits: ty.bits }` per pair; online rounds
    /// `1 + ⌈log2 ⌈bits/8⌉⌉` (4 for 64 bits).
    pub async fn equal(
        &mut self,
        a: &[Share<F>],
        b: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        let ty = ty.validate()?;
        if a.len() != b.len() {
            return Err(MpcError::LengthMismatch {
                expected: a.len(),
                actual: b.len(),
            });
        }
        let m = ty.bits;
        let extra = KAPPA + 3;
        require_field_bits::<F>(m + extra + 16)?;
        let masks = self.pool.take_digit(m, a.len())?;
        let rr = self.random_ints(a.len(), extra)?;
        let two_m: F = two_pow(m);
        let masked: Vec<Share<F>> = a
            .iter()
            .zip(b)
            .zip(&masks)
            .zip(&rr)
            .map(|(((x, y), mask), r2)| {
                (*x - *y + mask.value + r2.mul_public(two_m)).add_public(two_m)
            })
            .collect();
        let opened = self.open_masked(&masked).await?;
        let items: Vec<(&DigitMask<F>, u64)> = masks
            .iter()
            .zip(opened.iter().map(|c| low_bits(*c, m)))
            .collect();
        self.eq_public(&items, m).await
    }

    /// `[x == 0]` for `x` of type `ty`, batched.
    pub async fn is_zero(
        &mut self,
        xs: &[Share<F>],
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        let zeros = vec![Share::zero(); xs.len()];
        self.equal(xs, &zeros, ty).await
    }
}
