//! The canonical encoding: borsh with size limits and no trailing bytes.

use borsh::{BorshDeserialize, BorshSerialize};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Input is larger than the limit for this kind of object.
    #[error("encoded object is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Input is not a valid encoding.
    #[error("malformed encoding: {0}")]
    Malformed(String),
}

/// Encodes `value` canonically.
pub fn encode<T: BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("writing borsh into a Vec cannot fail")
}

/// Decodes exactly one `T` from `bytes`, refusing inputs over `max` bytes and any trailing
/// bytes (so every value has exactly one accepted encoding).
pub fn decode_exact<T: BorshDeserialize>(bytes: &[u8], max: usize) -> Result<T, CodecError> {
    if bytes.len() > max {
        return Err(CodecError::TooLarge {
            size: bytes.len(),
            max,
        });
    }
    borsh::from_slice(bytes).map_err(|e| CodecError::Malformed(e.to_string()))
}
