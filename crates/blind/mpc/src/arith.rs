//! Truncation and division by public values.
//!
//! **Probabilistic truncation** (Catrina–de Hoogh 2010): for `x` of type
//! `ty` and `0 < m <= bits`, with a truncation mask `r' < 2^m` (from random
//! bits) and a PRSS integer `r''`, open `c = x + 2^bits + r' + 2^m r''` and
//! output `((x + 2^bits) - (c mod 2^m) + r') / 2^m - 2^(bits-m)`. The result
//! is `floor(x / 2^m) + u` where `u ∈ {0,1}` is 1 with probability
//! `(x mod 2^m) / 2^m`. One online round.
//!
//! **Division / modulo by a public divisor `d`** (exact, Euclidean:
//! `x = q d + r`, `0 <= r < |d|`, as Rust's `div_euclid`/`rem_euclid`):
//! shift signed `x` to `x' = x + |d| B >= 0`. With a division mask
//! `r_m ∈ [0, |d|)` (digit tables) and a PRSS integer `r_q`, open
//! `c = x' + |d| r_q + r_m` (1 round; `c mod |d|` is perfectly uniform, the
//! quotient part statistically masked), split `c = |d| c_q + c_m` in public,
//! compute `u = [c_m < r_m]` with the digit carry tree, and get
//! `q' = c_q - r_q - u`, `r = c_m - r_m + |d| u` locally. Online rounds:
//! `1 + ⌈log2 ⌈bitlen(|d|-1)/8⌉⌉` (at most 4 for 64-bit divisors).

use crate::error::MpcError;
use crate::field::{
    IntType, KAPPA, MpcField, divrem_u64, from_i128, from_limbs, low_bits, require_field_bits,
};
use crate::party::Party;
use crate::prep::{DigitMask, two_pow};
use crate::secret::Share;
use crate::transport::Transport;

impl<F: MpcField, T: Transport<F>> Party<F, T> {
    /// Probabilistic truncation `x / 2^m` (rounded down or up, see module
    /// docs), batched, 1 online round. Consumes one `TruncMask { bits: m }`
    /// per value.
    pub async fn trunc_pr(
        &mut self,
        xs: &[Share<F>],
        m: u32,
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        let ty = ty.validate()?;
        if m == 0 || m > ty.bits {
            return Err(MpcError::InvalidArgument(
                "truncation amount must be 1..=bits",
            ));
        }
        let k = ty.bits;
        let extra = k + 2 - m + KAPPA;
        require_field_bits::<F>(m + extra + 16)?;
        let masks = self.pool.take_trunc(m, xs.len())?;
        let rr = self.random_ints(xs.len(), extra)?;
        let two_k: F = two_pow(k);
        let two_m: F = two_pow(m);
        let masked: Vec<Share<F>> = xs
            .iter()
            .zip(&masks)
            .zip(&rr)
            .map(|((x, r1), r2)| (*x + *r1 + r2.mul_public(two_m)).add_public(two_k))
            .collect();
        let opened = self.open_masked(&masked).await?;
        let inv = Self::inv(two_m)?;
        let shift: F = two_pow(k - m);
        Ok(xs
            .iter()
            .zip(&masks)
            .zip(opened)
            .map(|((x, r1), c)| {
                let c_low = F::from(low_bits(c, m));
                (*x + *r1)
                    .add_public(two_k - c_low)
                    .mul_public(inv)
                    .sub_public(shift)
            })
            .collect())
    }

    /// Euclidean division and remainder by the public non-zero `divisor`,
    /// batched: returns `(quotients, remainders)` with
    /// `x = q * divisor + r`, `0 <= r < |divisor|`. Unsigned types need
    /// `1 <= divisor < 2^64`; signed types `|divisor| <= 2^63`. Consumes one
    /// `DivMask { divisor: |divisor| }` per value.
    pub async fn div_rem_public(
        &mut self,
        xs: &[Share<F>],
        divisor: i128,
        ty: IntType,
    ) -> Result<(Vec<Share<F>>, Vec<Share<F>>), MpcError> {
        let ty = ty.validate()?;
        if divisor == 0 {
            return Err(MpcError::InvalidArgument("division by zero"));
        }
        if !ty.signed && divisor < 0 {
            return Err(MpcError::InvalidArgument(
                "unsigned division needs a positive divisor",
            ));
        }
        let d = u64::try_from(divisor.unsigned_abs())
            .map_err(|_| MpcError::InvalidArgument("divisor must fit in 64 bits"))?;
        if ty.signed && u128::from(d) > 1u128 << 63 {
            return Err(MpcError::InvalidArgument(
                "signed divisor must satisfy |d| <= 2^63",
            ));
        }
        // Shift so the dividend is non-negative: x' = x + d * B.
        let shift_b: u128 = if ty.signed {
            (1u128 << (ty.bits - 1)).div_ceil(u128::from(d))
        } else {
            0
        };
        // x' < 2^(bits-1) + d*B <= 2^bits + d <= 2^(bits+1) + 2^64 < 2^66.
        let x_bits = ty.bits.max(64) + 2;
        let extra = x_bits + KAPPA;
        require_field_bits::<F>(64 + extra + 16)?;
        let df = F::from(d);
        let offset = df * from_i128::<F>(shift_b as i128);
        let masks = self.pool.take_div(d, xs.len())?;
        let rq = self.random_ints(xs.len(), extra)?;
        let masked: Vec<Share<F>> = xs
            .iter()
            .zip(&masks)
            .zip(&rq)
            .map(|((x, mask), q)| (*x + q.mul_public(df) + mask.value).add_public(offset))
            .collect();
        let opened = self.open_masked(&masked).await?;
        let split: Vec<(Vec<u64>, u64)> = opened.iter().map(|c| divrem_u64(*c, d)).collect();
        let ell = 64 - (d - 1).leading_zeros();
        let items: Vec<(&DigitMask<F>, u64)> =
            masks.iter().zip(split.iter().map(|(_, cm)| *cm)).collect();
        let u = self.bit_lt_public(&items, ell).await?;
        let shift_f = from_i128::<F>(shift_b as i128);
        let mut qs = Vec::with_capacity(xs.len());
        let mut rs = Vec::with_capacity(xs.len());
        for (((mask, (cq, cm)), q_mask), u) in masks.iter().zip(&split).zip(&rq).zip(u) {
            let cq_f: F = from_limbs(cq);
            let mut q = (u + *q_mask).public_sub(cq_f).sub_public(shift_f);
            if divisor < 0 {
                q = -q;
            }
            let r = (u.mul_public(df) - mask.value).add_public(F::from(*cm));
            qs.push(q);
            rs.push(r);
        }
        Ok((qs, rs))
    }

    /// Euclidean quotient by a public divisor, batched.
    pub async fn div_public(
        &mut self,
        xs: &[Share<F>],
        divisor: i128,
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        Ok(self.div_rem_public(xs, divisor, ty).await?.0)
    }

    /// Euclidean remainder by a public divisor, batched.
    pub async fn rem_public(
        &mut self,
        xs: &[Share<F>],
        divisor: i128,
        ty: IntType,
    ) -> Result<Vec<Share<F>>, MpcError> {
        Ok(self.div_rem_public(xs, divisor, ty).await?.1)
    }
}
