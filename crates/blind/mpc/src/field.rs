//! Prime fields used by the engine and the integer encoding.
//!
//! The production field is the BLS12-381 scalar field [`Fr`]
//! (p ≈ 2^254.86). Every protocol is generic over [`MpcField`], so tests can
//! instantiate tiny fields (p = 7, 11, …) for exhaustive checks.
//!
//! # Integer encoding
//!
//! A signed integer `x` is mapped to the field element `x mod p`: non-negative
//! values map to themselves and a negative `x` maps to `p - |x|`
//! ("two's-complement-style", centred). Decoding reads an element `v` as
//! `v` when `v <= (p-1)/2` and as `v - p` otherwise. Unsigned values are mapped
//! to themselves. All arithmetic protocols assume the *plaintext* values stay
//! inside their declared [`IntType`] range; the comparison, truncation and
//! division protocols additionally need `bits + 40 + ~10 < log2 p` of headroom,
//! which `Fr` provides for every type up to 64 bits (see [`KAPPA`]).

use ark_ff::{BigInt, Fp, MontBackend, MontConfig, PrimeField};
use rand::Rng;

pub use ark_bls12_381::Fr;

use crate::error::MpcError;

/// Statistical security parameter (bits) for masks that hide values by
/// statistical rather than perfect blinding.
pub const KAPPA: u32 = 40;

/// A prime field usable by the engine: an arkworks prime field plus fast
/// uniform sampling. Implemented for every arkworks Montgomery field
/// (`Fp<MontBackend<_, N>, N>`), including [`Fr`] and tiny test fields.
pub trait MpcField: PrimeField {
    /// Uniformly random field element.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self;

    /// Bytes consumed by one rejection-sampling candidate
    /// ([`MpcField::from_candidate`]).
    fn candidate_bytes() -> usize;

    /// One rejection-sampling step over a pseudo-random byte stream: the
    /// first [`MpcField::candidate_bytes`] little-endian bytes, with the bits
    /// above the modulus size cleared, taken as a Montgomery representative
    /// if below `p`. Accepted candidates of uniform bytes are uniform field
    /// elements (the Montgomery map is a bijection on `[0, p)`); `None`
    /// (rejected, < 10% of candidates for [`Fr`]) means: take the next bytes.
    /// Costs no field multiplication, unlike reducing 64 bytes modulo `p`.
    fn from_candidate(bytes: &[u8]) -> Option<Self>;
}

/// `limbs` with the bits above the modulus size cleared, if below `p`.
#[inline]
fn masked_candidate<P: MontConfig<N>, const N: usize>(
    mut limbs: [u64; N],
) -> Option<Fp<MontBackend<P, N>, N>> {
    // Rejection sampling directly in Montgomery form: the Montgomery map is
    // a bijection on [0, p), so a uniform representative gives a uniform
    // element and we save the conversion multiplication.
    let bits = <Fp<MontBackend<P, N>, N> as PrimeField>::MODULUS_BIT_SIZE as usize;
    let top_bits = bits - 64 * (N - 1);
    let mask = if top_bits >= 64 {
        u64::MAX
    } else {
        (1u64 << top_bits) - 1
    };
    limbs[N - 1] &= mask;
    let candidate = BigInt(limbs);
    (candidate < P::MODULUS).then(|| Fp::new_unchecked(candidate))
}

impl<P: MontConfig<N>, const N: usize> MpcField for Fp<MontBackend<P, N>, N> {
    #[inline]
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let mut limbs = [0u64; N];
            for l in limbs.iter_mut() {
                *l = rng.next_u64();
            }
            if let Some(x) = masked_candidate::<P, N>(limbs) {
                return x;
            }
        }
    }

    fn candidate_bytes() -> usize {
        8 * N
    }

    #[inline]
    fn from_candidate(bytes: &[u8]) -> Option<Self> {
        let mut limbs = [0u64; N];
        if bytes.len() < 8 * N {
            return None;
        }
        for (l, c) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *l = u64::from_le_bytes(b);
        }
        masked_candidate::<P, N>(limbs)
    }
}

/// A fixed-width integer type as seen by the protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IntType {
    /// Whether values are signed (two's-complement range) or unsigned.
    pub signed: bool,
    /// Bit width, 1..=64.
    pub bits: u32,
}

impl IntType {
    /// Signed `bits`-bit integers: `[-2^(bits-1), 2^(bits-1))`.
    pub const fn signed(bits: u32) -> Self {
        Self { signed: true, bits }
    }
    /// Unsigned `bits`-bit integers: `[0, 2^bits)`.
    pub const fn unsigned(bits: u32) -> Self {
        Self {
            signed: false,
            bits,
        }
    }
    /// `i64`.
    pub const I64: Self = Self::signed(64);
    /// `u64`.
    pub const U64: Self = Self::unsigned(64);
    /// `i32`.
    pub const I32: Self = Self::signed(32);
    /// `u32`.
    pub const U32: Self = Self::unsigned(32);

    /// Check the width is supported (1..=64).
    pub fn validate(self) -> Result<Self, MpcError> {
        if (1..=64).contains(&self.bits) {
            Ok(self)
        } else {
            Err(MpcError::InvalidArgument(
                "integer width must be 1..=64 bits",
            ))
        }
    }

    /// Smallest representable value.
    pub fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }

    /// Largest representable value.
    pub fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    /// Whether `v` is inside the range of this type.
    pub fn contains(self, v: i128) -> bool {
        v >= self.min() && v <= self.max()
    }
}

/// Encode a signed integer (centred encoding, see module docs).
pub fn from_i128<F: PrimeField>(x: i128) -> F {
    let mag = F::from(x.unsigned_abs());
    if x < 0 { -mag } else { mag }
}

/// Encode an unsigned integer.
pub fn from_u128<F: PrimeField>(x: u128) -> F {
    F::from(x)
}

/// Decode with the centred encoding; `None` if `|x| >= 2^127`.
pub fn to_i128<F: PrimeField>(x: F) -> Option<i128> {
    let big = x.into_bigint();
    if big <= F::MODULUS_MINUS_ONE_DIV_TWO {
        let v = limbs_to_u128(big.as_ref())?;
        i128::try_from(v).ok()
    } else {
        let neg = (-x).into_bigint();
        let v = limbs_to_u128(neg.as_ref())?;
        let v = i128::try_from(v).ok()?;
        Some(-v)
    }
}

/// Decode as a non-negative integer; `None` if it does not fit in `u128`.
pub fn to_u128<F: PrimeField>(x: F) -> Option<u128> {
    limbs_to_u128(x.into_bigint().as_ref())
}

fn limbs_to_u128(limbs: &[u64]) -> Option<u128> {
    if limbs.iter().skip(2).any(|&l| l != 0) {
        return None;
    }
    let lo = limbs.first().copied().unwrap_or(0) as u128;
    let hi = limbs.get(1).copied().unwrap_or(0) as u128;
    Some(lo | (hi << 64))
}

/// `2^e` in the field.
pub(crate) fn pow2<F: PrimeField>(e: u32) -> F {
    F::from(2u64).pow([u64::from(e)])
}

/// Field element from little-endian 64-bit limbs (any length), reduced mod p.
pub(crate) fn from_limbs<F: PrimeField>(limbs: &[u64]) -> F {
    let base = pow2::<F>(64);
    limbs
        .iter()
        .rev()
        .fold(F::zero(), |acc, &l| acc * base + F::from(l))
}

/// Low `m` bits (m <= 64) of the canonical integer representative.
pub(crate) fn low_bits<F: PrimeField>(x: F, m: u32) -> u64 {
    let big = x.into_bigint();
    let lo = big.as_ref().first().copied().unwrap_or(0);
    if m >= 64 { lo } else { lo & ((1u64 << m) - 1) }
}

/// Canonical integer representative divided by `d` (d >= 1):
/// returns `(quotient limbs, remainder)`.
pub(crate) fn divrem_u64<F: PrimeField>(x: F, d: u64) -> (Vec<u64>, u64) {
    let big = x.into_bigint();
    let limbs = big.as_ref();
    let mut q = vec![0u64; limbs.len()];
    let mut rem: u128 = 0;
    for i in (0..limbs.len()).rev() {
        let cur = (rem << 64) | limbs[i] as u128;
        q[i] = (cur / d as u128) as u64;
        rem = cur % d as u128;
    }
    (q, rem as u64)
}

/// Number of bits the canonical representative of the modulus needs.
pub(crate) fn modulus_bits<F: PrimeField>() -> u32 {
    F::MODULUS_BIT_SIZE
}

/// Fails with [`MpcError::FieldTooSmall`] unless values of `needed` bits
/// never wrap around the modulus.
pub(crate) fn require_field_bits<F: PrimeField>(needed: u32) -> Result<(), MpcError> {
    // The modulus has MODULUS_BIT_SIZE bits, so every integer below
    // 2^(MODULUS_BIT_SIZE-1) is a distinct field element.
    if needed < modulus_bits::<F>() {
        Ok(())
    } else {
        Err(MpcError::FieldTooSmall {
            needed,
            available: modulus_bits::<F>() - 1,
        })
    }
}

/// Byte width of one encoded element (whole 64-bit limbs).
pub(crate) fn element_bytes<F: PrimeField>() -> usize {
    F::BigInt::default().as_ref().len() * 8
}

/// Append the canonical little-endian encoding of `x`.
pub(crate) fn write_element<F: PrimeField>(x: &F, out: &mut Vec<u8>) {
    let big = x.into_bigint();
    for l in big.as_ref() {
        out.extend_from_slice(&l.to_le_bytes());
    }
}

/// Parse one canonical element; `None` if the bytes are the wrong length or
/// encode an integer >= p.
pub(crate) fn read_element<F: PrimeField>(bytes: &[u8]) -> Option<F> {
    let mut big = F::BigInt::default();
    let limbs = big.as_mut();
    if bytes.len() != limbs.len() * 8 {
        return None;
    }
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    F::from_bigint(big)
}

/// Canonical square root choice: of the two roots, the one whose canonical
/// representative is <= (p-1)/2.
pub(crate) fn canonical_sqrt<F: PrimeField>(x: F) -> Option<F> {
    let s = x.sqrt()?;
    if s.into_bigint() <= F::MODULUS_MINUS_ONE_DIV_TWO {
        Some(s)
    } else {
        Some(-s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_masked_and_checked_against_p() {
        let w = Fr::candidate_bytes();
        assert_eq!(w, 32);
        // Zero and small values are accepted as Montgomery representatives.
        let mut bytes = vec![0u8; w];
        assert_eq!(Fr::from_candidate(&bytes), Some(Fr::from(0u64)));
        bytes[0] = 5;
        let x = Fr::from_candidate(&bytes).expect("below p");
        assert_eq!(x, Fr::new_unchecked(BigInt([5, 0, 0, 0])));
        // p itself (after masking the top bit) is rejected; p - 1 is not.
        let mut p = Vec::new();
        for l in <Fr as PrimeField>::MODULUS.0 {
            p.extend_from_slice(&l.to_le_bytes());
        }
        assert_eq!(Fr::from_candidate(&p), None);
        p[31] |= 0x80; // above the modulus size: masked away first
        assert_eq!(Fr::from_candidate(&p), None);
        p[31] &= 0x7f;
        p[0] -= 1;
        assert!(Fr::from_candidate(&p).is_some());
        assert_eq!(Fr::from_candidate(&p[..31]), None, "too few bytes");
        // Acceptance rate for uniform bytes is p / 2^255 (about 0.91).
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let accepted = (0..10_000)
            .filter(|_| {
                let b: [u8; 32] = rng.random();
                Fr::from_candidate(&b).is_some()
            })
            .count();
        assert!((8_800..9_300).contains(&accepted), "{accepted}");
    }

    #[test]
    fn signed_round_trip() {
        for v in [
            0i128,
            1,
            -1,
            i64::MIN as i128,
            i64::MAX as i128,
            u64::MAX as i128,
            i128::MAX,
            i128::MIN + 1,
        ] {
            assert_eq!(to_i128(from_i128::<Fr>(v)), Some(v));
        }
        assert_eq!(to_u128(from_u128::<Fr>(u128::MAX)), Some(u128::MAX));
    }

    #[test]
    fn divrem_and_low_bits() {
        let x = from_u128::<Fr>(1_000_000_007u128 * 12345 + 17);
        let (q, r) = divrem_u64(x, 1_000_000_007);
        assert_eq!(r, 17);
        assert_eq!(from_limbs::<Fr>(&q), Fr::from(12345u64));
        assert_eq!(low_bits(from_u128::<Fr>(0x1_ffff_0000), 16), 0);
        assert_eq!(low_bits(from_u128::<Fr>(0x1_ffff_0000), 32), 0xffff_0000);
    }

    #[test]
    fn element_codec() {
        let x = from_i128::<Fr>(-5);
        let mut buf = Vec::new();
        write_element(&x, &mut buf);
        assert_eq!(buf.len(), element_bytes::<Fr>());
        assert_eq!(read_element::<Fr>(&buf), Some(x));
        assert_eq!(read_element::<Fr>(&[0xff; 32]), None);
    }
}
