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

    /// The ed25519 verifying key, if these bytes are a valid curve point.
    pub fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, SignatureError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::InvalidKey)
    }

    /// Verifies `signature` over `message` by this account's key. Uses strict verification
    /// (rejects small-order keys and non-canonical signatures) so that validity never depends
    /// on which verifier a node runs.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let key = self.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &sig)
            .map_err(|_| SignatureError::BadSignature)
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
}

/// Verifies many `(key, message, signature)` triples at once. Batch verification costs about
/// half as much per signature as one-by-one verification; on failure the caller learns only
/// that *some* entry is bad and must fall back to [`AccountId::verify`] to find which.
pub fn verify_batch(
    keys: &[AccountId],
    messages: &[&[u8]],
    signatures: &[Signature],
) -> Result<(), SignatureError> {
    let vks = keys
        .iter()
        .map(AccountId::verifying_key)
        .collect::<Result<Vec<_>, _>>()?;
    let sigs: Vec<_> = signatures
        .iter()
        .map(|s| ed25519_dalek::Signature::from_bytes(&s.0))
        .collect();
    ed25519_dalek::verify_batch(messages, &sigs, &vks).map_err(|_| SignatureError::BadSignature)
}

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
