//! Wrappers that keep secret material out of logs.
//!
//! [`Share`] is one party's Shamir share of a secret; [`Secret`] holds a
//! plaintext secret (a client's input before sharing or an output after
//! reconstruction). Neither implements `Display`, their `Debug` output is
//! redacted, and neither implements serde traits: the only serialized form of
//! secret data is a share inside a protocol [`crate::message::Message`].

use core::fmt;
use core::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use ark_ff::PrimeField;
use zeroize::Zeroize;

/// One party's share of a secret-shared field element.
///
/// Linear operations are local: `+`, `-`, negation, [`Share::mul_public`],
/// [`Share::add_public`]. Multiplication of two shares needs the
/// interactive [`crate::party::Party::mul`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Share<F>(F);

impl<F: PrimeField> Share<F> {
    /// Wrap a raw share value (as received from the network or storage).
    #[inline]
    pub fn from_raw(v: F) -> Self {
        Share(v)
    }

    /// The raw share value, for sending to a peer or storing. A single
    /// share reveals nothing about the secret (for up to `t` shares).
    #[inline]
    pub fn raw(&self) -> F {
        self.0
    }

    /// The share of the public constant `c` (every party holds `c`).
    #[inline]
    pub fn constant(c: F) -> Self {
        Share(c)
    }

    /// The share of zero.
    #[inline]
    pub fn zero() -> Self {
        Share(F::zero())
    }

    /// Multiply by a public constant.
    #[inline]
    pub fn mul_public(self, c: F) -> Self {
        Share(self.0 * c)
    }

    /// Add a public constant (every party adds it to its share).
    #[inline]
    pub fn add_public(self, c: F) -> Self {
        Share(self.0 + c)
    }

    /// Subtract a public constant.
    #[inline]
    pub fn sub_public(self, c: F) -> Self {
        Share(self.0 - c)
    }

    /// `c - self` for a public constant `c`.
    #[inline]
    pub fn public_sub(self, c: F) -> Self {
        Share(c - self.0)
    }
}

impl<F> fmt::Debug for Share<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Share(..)")
    }
}

impl<F: PrimeField> Add for Share<F> {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        Share(self.0 + rhs.0)
    }
}

impl<F: PrimeField> Sub for Share<F> {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        Share(self.0 - rhs.0)
    }
}

impl<F: PrimeField> Neg for Share<F> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Share(-self.0)
    }
}

impl<F: PrimeField> AddAssign for Share<F> {
    #[inline]
    fn add_assign(&mut self, rhs: Self) {
        self.0 += rhs.0;
    }
}

impl<F: PrimeField> SubAssign for Share<F> {
    #[inline]
    fn sub_assign(&mut self, rhs: Self) {
        self.0 -= rhs.0;
    }
}

impl<F: PrimeField> core::iter::Sum for Share<F> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Share::zero(), |a, b| a + b)
    }
}

impl<F: Zeroize> Zeroize for Share<F> {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// A plaintext secret value. `Debug` prints `Secret(..)`; the value is wiped
/// on drop; read it with [`Secret::expose`].
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wrap a value.
    pub fn new(v: T) -> Self {
        Secret(v)
    }

    /// Borrow the plaintext. Call sites are easy to audit by this name.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Fr;

    #[test]
    fn debug_is_redacted() {
        let s = Share::from_raw(Fr::from(123456789u64));
        assert_eq!(format!("{s:?}"), "Share(..)");
        assert_eq!(format!("{:?}", vec![s, s]), "[Share(..), Share(..)]");
        let p = Secret::new(987654321u64);
        assert_eq!(format!("{p:?}"), "Secret(..)");
        assert_eq!(*p.expose(), 987654321);
    }
}
