//! The native token: SYN, with 9 decimals, counted in integer base units.

use std::fmt;

/// An amount in base units (1 SYN = 10^9 base units). Every operation on balances is checked.
pub type Balance = u64;

/// Ticker of the native token.
pub const SYMBOL: &str = "SYN";
/// Decimal places of the native token.
pub const DECIMALS: u32 = 9;
/// Base units in one SYN.
pub const UNIT: Balance = 1_000_000_000;
/// Hard cap on the native supply: 21 million SYN.
pub const MAX_SUPPLY: Balance = 21_000_000 * UNIT;

/// Error parsing a decimal token amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountParseError {
    /// Not a decimal number.
    #[error("'{0}' is not a decimal amount")]
    Invalid(String),
    /// More than 9 decimal places.
    #[error("'{0}' has more than {DECIMALS} decimal places")]
    TooPrecise(String),
    /// Does not fit in 64 bits of base units.
    #[error("'{0}' is too large")]
    Overflow(String),
}

/// Parses `"1.5"` (SYN) into base units; `"1.5"` → 1_500_000_000.
pub fn parse_amount(s: &str) -> Result<Balance, AmountParseError> {
    let t = s.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(AmountParseError::Invalid(s.to_string()));
    }
    if frac.len() > DECIMALS as usize {
        return Err(AmountParseError::TooPrecise(s.to_string()));
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| AmountParseError::Overflow(s.to_string()))?
    };
    let mut frac_units: u64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        frac_units += u64::from(b - b'0') * 10u64.pow(DECIMALS - 1 - i as u32);
    }
    whole
        .checked_mul(UNIT)
        .and_then(|w| w.checked_add(frac_units))
        .ok_or_else(|| AmountParseError::Overflow(s.to_string()))
}

/// Displays base units as SYN with all 9 decimals, e.g. `1.500000000 SYN`.
pub struct DisplayAmount(pub Balance);

impl fmt::Display for DisplayAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09} {SYMBOL}", self.0 / UNIT, self.0 % UNIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!(parse_amount("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_amount("0.000000001"), Ok(1));
        assert_eq!(parse_amount("42"), Ok(42 * UNIT));
        assert_eq!(parse_amount(".25"), Ok(250_000_000));
        assert!(matches!(
            parse_amount("0.0000000001"),
            Err(AmountParseError::TooPrecise(_))
        ));
        assert!(matches!(
            parse_amount("1e9"),
            Err(AmountParseError::Invalid(_))
        ));
        assert!(matches!(
            parse_amount("-1"),
            Err(AmountParseError::Invalid(_))
        ));
        assert!(matches!(
            parse_amount("."),
            Err(AmountParseError::Invalid(_))
        ));
        assert!(matches!(
            parse_amount("99999999999999999999"),
            Err(AmountParseError::Overflow(_))
        ));
        assert_eq!(DisplayAmount(1_500_000_001).to_string(), "1.500000001 SYN");
    }
}
