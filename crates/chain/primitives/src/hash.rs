//! 32-byte BLAKE3 digests.

use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::str::FromStr;

/// A 32-byte BLAKE3 digest, shown as `0x`-prefixed lowercase hex.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash, used as the parent of genesis.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// BLAKE3 of `data`.
    pub fn digest(data: &[u8]) -> Self {
        Hash(*blake3::hash(data).as_bytes())
    }

    /// BLAKE3 of `data` under a domain separation tag, so that hashes of different kinds of
    /// objects can never collide by construction.
    pub fn tagged(tag: &str, data: &[u8]) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(&(tag.len() as u32).to_le_bytes());
        h.update(tag.as_bytes());
        h.update(data);
        Hash(*h.finalize().as_bytes())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// Error parsing a hex-encoded 32-byte value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHexError {
    /// Not valid hex.
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// Valid hex of the wrong length.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength {
        /// Bytes required.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
}

/// Parses `0x`-optional hex into exactly `N` bytes.
pub fn parse_hex_array<const N: usize>(s: &str) -> Result<[u8; N], ParseHexError> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(s).map_err(|e| ParseHexError::InvalidHex(e.to_string()))?;
    let got = bytes.len();
    bytes
        .try_into()
        .map_err(|_| ParseHexError::WrongLength { expected: N, got })
}

impl FromStr for Hash {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex_array::<32>(s).map(Hash)
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;
serde_via_str!(Hash);

/// Binary Merkle root over a list of leaf hashes (odd nodes are promoted unchanged). The empty
/// list has root [`Hash::ZERO`]. Leaves and inner nodes use distinct tags, so a leaf can never
/// be passed off as an inner node.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level: Vec<Hash> = leaves
        .iter()
        .map(|l| Hash::tagged("synod/merkle/leaf", &l.0))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut buf = [0u8; 64];
                    buf[..32].copy_from_slice(&a.0);
                    buf[32..].copy_from_slice(&b.0);
                    Hash::tagged("synod/merkle/node", &buf)
                }
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two items"),
            })
            .collect();
    }
    level[0]
}

impl schemars::JsonSchema for Hash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-fA-F]{64}$",
            "description": "A 32-byte BLAKE3 hash, 0x-prefixed hex."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let h = Hash::digest(b"synod");
        let s = h.to_string();
        assert!(s.starts_with("0x"));
        assert_eq!(s.parse::<Hash>(), Ok(h));
        assert!(matches!(
            "0x1234".parse::<Hash>(),
            Err(ParseHexError::WrongLength {
                expected: 32,
                got: 2
            })
        ));
        assert!(matches!(
            "zz".parse::<Hash>(),
            Err(ParseHexError::InvalidHex(_))
        ));
    }

    #[test]
    fn merkle_root_depends_on_order_and_content() {
        let a = Hash::digest(b"a");
        let b = Hash::digest(b"b");
        let c = Hash::digest(b"c");
        assert_eq!(merkle_root(&[]), Hash::ZERO);
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[b, a]));
        assert_ne!(merkle_root(&[a, b, c]), merkle_root(&[a, b]));
        assert_ne!(merkle_root(&[a]), a);
    }
}
