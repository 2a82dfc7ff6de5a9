//! Scalar types, secrecy labels and the integer semantics shared by the
//! compiler (constant folding), the reference interpreter and — by
//! specification — the future MPC executor.
//!
//! # Integer semantics
//!
//! Every integer type has a declared width `w` and signedness. All
//! arithmetic **wraps** at the declared width (two's complement for signed
//! types), exactly like Rust's `wrapping_*` methods:
//!
//! * `+`, `-`, `*`, unary `-`: the mathematical result reduced modulo `2^w`
//!   into the type's range.
//! * `/` truncates toward zero, `%` has the sign of the dividend
//!   (`wrapping_div` / `wrapping_rem`: `MIN / -1 == MIN`, `MIN % -1 == 0`).
//!   The divisor is always public; dividing by zero is a compile-time error
//!   when the divisor is constant and a runtime error otherwise.
//! * `as` casts reduce modulo `2^w` of the target (`bool as T` gives 0/1).
//! * comparisons compare the (in-range) mathematical values.
//!
//! Because `+`, `-` and `*` are ring homomorphisms `Z -> Z/2^w`, an MPC
//! executor working over a large prime field may *defer* the reduction and
//! only reduce ("wrap") before a non-linear operation, a reveal or an
//! output; the static analyser counts exactly those reductions.

use std::fmt;

/// A scalar type: `bool` or an integer of declared width and signedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScalarType {
    /// `bool`: 0 or 1.
    Bool,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

impl ScalarType {
    /// All scalar types, in encoding order.
    pub const ALL: [ScalarType; 9] = [
        ScalarType::Bool,
        ScalarType::U8,
        ScalarType::U16,
        ScalarType::U32,
        ScalarType::U64,
        ScalarType::I8,
        ScalarType::I16,
        ScalarType::I32,
        ScalarType::I64,
    ];

    /// All integer types.
    pub const INTS: [ScalarType; 8] = [
        ScalarType::U8,
        ScalarType::U16,
        ScalarType::U32,
        ScalarType::U64,
        ScalarType::I8,
        ScalarType::I16,
        ScalarType::I32,
        ScalarType::I64,
    ];

    /// Width in bits (1 for `bool`).
    pub fn bits(self) -> u32 {
        match self {
            ScalarType::Bool => 1,
            ScalarType::U8 | ScalarType::I8 => 8,
            ScalarType::U16 | ScalarType::I16 => 16,
            ScalarType::U32 | ScalarType::I32 => 32,
            ScalarType::U64 | ScalarType::I64 => 64,
        }
    }

    /// True for the signed integer types.
    pub fn is_signed(self) -> bool {
        matches!(
            self,
            ScalarType::I8 | ScalarType::I16 | ScalarType::I32 | ScalarType::I64
        )
    }

    /// True for every type except `bool`.
    pub fn is_int(self) -> bool {
        self != ScalarType::Bool
    }

    /// Smallest value of the type.
    pub fn min_value(self) -> i128 {
        if self.is_signed() {
            -(1i128 << (self.bits() - 1))
        } else {
            0
        }
    }

    /// Largest value of the type.
    pub fn max_value(self) -> i128 {
        if self.is_signed() {
            (1i128 << (self.bits() - 1)) - 1
        } else {
            (1i128 << self.bits()) - 1
        }
    }

    /// Whether `v` lies in the type's range.
    pub fn fits(self, v: i128) -> bool {
        v >= self.min_value() && v <= self.max_value()
    }

    /// Whether every value of `self` is a value of `other`.
    pub fn range_within(self, other: ScalarType) -> bool {
        self.min_value() >= other.min_value() && self.max_value() <= other.max_value()
    }

    /// Reduce an arbitrary integer into the type's range (modulo `2^w`,
    /// two's complement for signed types). For `bool` this keeps bit 0.
    pub fn wrap(self, v: i128) -> i128 {
        let bits = self.bits();
        let mask: i128 = (1i128 << bits) - 1;
        let low = v & mask;
        if self.is_signed() && low >= (1i128 << (bits - 1)) {
            low - (1i128 << bits)
        } else {
            low
        }
    }

    /// The raw `w`-bit two's complement pattern of an in-range value.
    pub fn to_bits(self, v: i128) -> u64 {
        let bits = self.bits();
        let mask: i128 = (1i128 << bits) - 1;
        // In range 0..2^64, so the cast is lossless.
        (v & mask) as u64
    }

    /// Inverse of [`ScalarType::to_bits`]; `None` if bits above the width are set.
    pub fn from_bits(self, raw: u64) -> Option<i128> {
        let bits = self.bits();
        if bits < 64 && raw >> bits != 0 {
            return None;
        }
        Some(self.wrap(i128::from(raw)))
    }

    /// Source-level name (`u32`, `bool`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::U8 => "u8",
            ScalarType::U16 => "u16",
            ScalarType::U32 => "u32",
            ScalarType::U64 => "u64",
            ScalarType::I8 => "i8",
            ScalarType::I16 => "i16",
            ScalarType::I32 => "i32",
            ScalarType::I64 => "i64",
        }
    }

    /// Parse a source-level type name.
    pub fn from_name(s: &str) -> Option<ScalarType> {
        ScalarType::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Byte used in the MIR encoding.
    pub fn code(self) -> u8 {
        match self {
            ScalarType::Bool => 0,
            ScalarType::U8 => 1,
            ScalarType::U16 => 2,
            ScalarType::U32 => 3,
            ScalarType::U64 => 4,
            ScalarType::I8 => 5,
            ScalarType::I16 => 6,
            ScalarType::I32 => 7,
            ScalarType::I64 => 8,
        }
    }

    /// Inverse of [`ScalarType::code`].
    pub fn from_code(c: u8) -> Option<ScalarType> {
        ScalarType::ALL.into_iter().find(|t| t.code() == c)
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Secrecy label. `Public < Secret`; the label of an operation's result is
/// the join (max) of its operands' labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Secrecy {
    /// Known to every committee member (and computed in the clear).
    Public,
    /// Secret-shared among the committee members.
    Secret,
}

impl Secrecy {
    /// Least upper bound.
    pub fn join(self, other: Secrecy) -> Secrecy {
        self.max(other)
    }

    /// Source keyword.
    pub fn name(self) -> &'static str {
        match self {
            Secrecy::Public => "public",
            Secrecy::Secret => "secret",
        }
    }
}

impl fmt::Display for Secrecy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a scalar operation failed at run time (or during constant folding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArithError {
    /// Division or remainder by a (public) zero divisor.
    #[error("division by zero")]
    DivisionByZero,
}

/// Wrapping integer division (truncating toward zero) at type `ty`.
pub fn div(ty: ScalarType, a: i128, b: i128) -> Result<i128, ArithError> {
    if b == 0 {
        return Err(ArithError::DivisionByZero);
    }
    // In-range operands: the i128 quotient cannot overflow.
    Ok(ty.wrap(a / b))
}

/// Wrapping integer remainder (sign of the dividend) at type `ty`.
pub fn rem(ty: ScalarType, a: i128, b: i128) -> Result<i128, ArithError> {
    if b == 0 {
        return Err(ArithError::DivisionByZero);
    }
    Ok(ty.wrap(a % b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_wrap() {
        assert_eq!(ScalarType::U8.max_value(), 255);
        assert_eq!(ScalarType::I8.min_value(), -128);
        assert_eq!(ScalarType::U64.max_value(), u64::MAX as i128);
        assert_eq!(ScalarType::I64.min_value(), i64::MIN as i128);
        assert_eq!(ScalarType::U8.wrap(256), 0);
        assert_eq!(ScalarType::U8.wrap(-1), 255);
        assert_eq!(ScalarType::I8.wrap(128), -128);
        assert_eq!(ScalarType::I8.wrap(-129), 127);
        assert_eq!(ScalarType::I64.wrap(i64::MAX as i128 + 1), i64::MIN as i128);
        assert_eq!(ScalarType::Bool.wrap(3), 1);
        for t in ScalarType::ALL {
            assert_eq!(ScalarType::from_code(t.code()), Some(t));
            assert_eq!(ScalarType::from_name(t.name()), Some(t));
            for v in [t.min_value(), t.max_value(), 0] {
                assert_eq!(t.from_bits(t.to_bits(v)), Some(v));
            }
        }
        assert_eq!(ScalarType::U8.from_bits(256), None);
    }

    #[test]
    fn division_semantics() {
        let t = ScalarType::I8;
        assert_eq!(div(t, -128, -1), Ok(-128));
        assert_eq!(rem(t, -128, -1), Ok(0));
        assert_eq!(div(t, -7, 2), Ok(-3));
        assert_eq!(rem(t, -7, 2), Ok(-1));
        assert_eq!(div(t, 1, 0), Err(ArithError::DivisionByZero));
        let u = ScalarType::U64;
        assert_eq!(
            div(u, u64::MAX as i128, 1),
            Ok(u64::MAX as i128),
            "u64 max survives"
        );
    }
}
