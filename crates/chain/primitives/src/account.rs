//! Account identifiers and signatures.
//!
//! An account is named by its ed25519 public key. The same key type serves as a *coldkey*
//! (holds funds, signs transactions that move them) or a *hotkey* (an operational key bound to
//! one coldkey, used by validators and miners for day-to-day actions).

use crate::hash::{ParseHexError, parse_hex_array, serde_via_str};
use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::str::FromStr;

/// An account: the 32-byte ed25519 public key, shown as `0x`-prefixed hex.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct AccountId(pub [u8; 32]);

impl AccountId {
    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether these bytes are a usable account key under the chain's signature rule: the
    /// canonical encoding of a curve point not of small order (see [`crate::signature`]).
    pub fn check_key(&self) -> Result<(), SignatureError> {
        crate::signature::check_key(self)
    }

    /// Verifies `signature` over `message` by this account's key, under the chain's one
    /// signature rule ([`crate::signature`]).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        crate::signature::verify(self, message, signature)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({self})")
    }
}

impl FromStr for AccountId {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex_array::<32>(s).map(AccountId)
    }
}
serde_via_str!(AccountId);

/// A 64-byte ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl FromStr for Signature {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex_array::<64>(s).map(Signature)
    }
}
serde_via_str!(Signature);

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key bytes are not a valid ed25519 point.
    #[error("public key is not a valid ed25519 point")]
    InvalidKey,
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
    /// The key encodes its y coordinate as a value at or above p (a second encoding of a point).
    #[error("public key is not canonically encoded")]
    NonCanonicalKey,
    /// The key is a point of small order: it has no secret, anyone can sign for it.
    #[error("public key is a point of small order (no secret key exists for it)")]
    WeakKey,
    /// A batch was given different numbers of keys, messages and signatures.
    #[error("batch has different numbers of keys, messages and signatures")]
    BatchLengthMismatch,
}

pub use crate::signature::verify_batch;

impl schemars::JsonSchema for AccountId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AccountId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-fA-F]{64}$",
            "description": "An account: its 32-byte ed25519 public key, 0x-prefixed hex."
        })
    }
}

impl schemars::JsonSchema for Signature {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Signature".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-fA-F]{128}$",
            "description": "A 64-byte ed25519 signature, 0x-prefixed hex."
        })
    }
}
