//! What a request and its answer carry, and what is signed.
//!
//! Request headers (all required):
//!
//! | header | value |
//! |---|---|
//! | `synod-version` | `1` |
//! | `synod-chain` | the chain id |
//! | `synod-netuid` | the subnet, decimal |
//! | `synod-signed-by` | the caller's hotkey, `0x` hex |
//! | `synod-signed-for` | the miner's hotkey, `0x` hex |
//! | `synod-request-id` | 32 random bytes, hex (unique per caller) |
//! | `synod-timestamp` | milliseconds since the Unix epoch |
//! | `synod-signature` | the caller's ed25519 signature of [`request_signing_hash`], hex |
//!
//! The answer carries `synod-signed-by` (the miner) and `synod-signature` over
//! [`response_signing_hash`], which binds the request id, the status and the body's hash.

use synod_primitives::{AccountId, Hash, Keypair, Signature};

/// Protocol version.
pub const VERSION: &str = "1";
/// Domain tag of a request's signing hash.
pub const REQUEST_TAG: &str = "synod/request/v1";
/// Domain tag of an answer's signing hash.
pub const RESPONSE_TAG: &str = "synod/response/v1";

/// Header names.
pub mod headers {
    /// Protocol version.
    pub const VERSION: &str = "synod-version";
    /// Chain id.
    pub const CHAIN: &str = "synod-chain";
    /// Subnet.
    pub const NETUID: &str = "synod-netuid";
    /// Signer's hotkey.
    pub const SIGNED_BY: &str = "synod-signed-by";
    /// Target hotkey.
    pub const SIGNED_FOR: &str = "synod-signed-for";
    /// Unique id.
    pub const REQUEST_ID: &str = "synod-request-id";
    /// Milliseconds since the Unix epoch.
    pub const TIMESTAMP: &str = "synod-timestamp";
    /// Signature.
    pub const SIGNATURE: &str = "synod-signature";
}

/// Why a request (or an answer) was refused. `kind()` is the stable name a client sees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A required header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header does not parse.
    #[error("malformed header {name}: {detail}")]
    MalformedHeader {
        /// Which.
        name: &'static str,
        /// Why.
        detail: String,
    },
    /// Another protocol version.
    #[error("protocol version {0} is not supported (this speaks 1)")]
    UnsupportedVersion(String),
    /// Signed for another hotkey.
    #[error("the request is for {0}, not this miner")]
    WrongTarget(AccountId),
    /// Signed for another chain.
    #[error("the request is for chain {0}")]
    WrongChain(String),
    /// Signed for another subnet.
    #[error("the request is for subnet {0}")]
    WrongSubnet(u16),
    /// The timestamp is outside the allowed skew.
    #[error("stale request: timestamp {timestamp_ms} is {skew_ms} ms from now (at most {max_ms})")]
    Stale {
        /// The request's.
        timestamp_ms: u64,
        /// How far from now.
        skew_ms: u64,
        /// The most allowed.
        max_ms: u64,
    },
    /// The signature does not verify (an empty one never does).
    #[error("bad signature")]
    BadSignature,
    /// The id was already used by this caller within the window.
    #[error("replayed request id")]
    Replayed,
    /// The caller is not registered on the subnet.
    #[error("{0} is not registered on this subnet")]
    NotRegistered(AccountId),
    /// The caller's stake is below the minimum.
    #[error("stake {stake} is below the required {min}")]
    InsufficientStake {
        /// Its stake.
        stake: u64,
        /// Required.
        min: u64,
    },
    /// The chain could not be read to check the caller.
    #[error("cannot check the caller on chain: {0}")]
    ChainUnavailable(String),
}

impl ProtocolError {
    /// The stable snake_case name.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolError::MissingHeader(_) => "missing_header",
            ProtocolError::MalformedHeader { .. } => "malformed_header",
            ProtocolError::UnsupportedVersion(_) => "unsupported_version",
            ProtocolError::WrongTarget(_) => "wrong_target",
            ProtocolError::WrongChain(_) => "wrong_chain",
            ProtocolError::WrongSubnet(_) => "wrong_subnet",
            ProtocolError::Stale { .. } => "stale_request",
            ProtocolError::BadSignature => "bad_signature",
            ProtocolError::Replayed => "replayed_request",
            ProtocolError::NotRegistered(_) => "not_registered",
            ProtocolError::InsufficientStake { .. } => "insufficient_stake",
            ProtocolError::ChainUnavailable(_) => "chain_unavailable",
        }
    }
}

/// Everything a request's signature binds, besides the body (bound by its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// Chain id.
    pub chain_id: String,
    /// Subnet.
    pub netuid: u16,
    /// The caller's hotkey.
    pub signed_by: AccountId,
    /// The miner's hotkey.
    pub signed_for: AccountId,
    /// Unique id.
    pub request_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The signature.
    pub signature: Signature,
}

fn body_hash(body: &[u8]) -> [u8; 32] {
    *blake3::hash(body).as_bytes()
}

/// The hash a caller signs: BLAKE3 under [`REQUEST_TAG`] of the borsh encoding of (chain id,
/// netuid, method upper case, path with query, body hash, request id, timestamp, signed by,
/// signed for).
#[allow(clippy::too_many_arguments)]
pub fn request_signing_hash(
    chain_id: &str,
    netuid: u16,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    request_id: &[u8; 32],
    timestamp_ms: u64,
    signed_by: &AccountId,
    signed_for: &AccountId,
) -> Hash {
    let m = synod_primitives::encode(&(
        chain_id.to_string(),
        netuid,
        method.to_ascii_uppercase(),
        path_and_query.to_string(),
        body_hash(body),
        *request_id,
        timestamp_ms,
        signed_by.0,
        signed_for.0,
    ));
    Hash::tagged(REQUEST_TAG, &m)
}

/// The hash a miner signs over its answer: BLAKE3 under [`RESPONSE_TAG`] of the borsh encoding
/// of (request id, status, body hash, miner hotkey).
pub fn response_signing_hash(
    request_id: &[u8; 32],
    status: u16,
    body: &[u8],
    miner: &AccountId,
) -> Hash {
    let m = synod_primitives::encode(&(*request_id, status, body_hash(body), miner.0));
    Hash::tagged(RESPONSE_TAG, &m)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A fresh random request id.
pub fn new_request_id() -> [u8; 32] {
    let mut id = [0u8; 32];
    // Without an OS random source no id is safe to send; such a machine cannot run a node.
    if getrandom::fill(&mut id).is_err() {
        id = *blake3::hash(&now_ms().to_le_bytes()).as_bytes();
    }
    id
}

/// The headers of a request signed by `key` for `signed_for`.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    key: &Keypair,
    chain_id: &str,
    netuid: u16,
    signed_for: &AccountId,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    request_id: [u8; 32],
    timestamp_ms: u64,
) -> Vec<(&'static str, String)> {
    let h = request_signing_hash(
        chain_id,
        netuid,
        method,
        path_and_query,
        body,
        &request_id,
        timestamp_ms,
        &key.account(),
        signed_for,
    );
    vec![
        (headers::VERSION, VERSION.to_string()),
        (headers::CHAIN, chain_id.to_string()),
        (headers::NETUID, netuid.to_string()),
        (headers::SIGNED_BY, key.account().to_string()),
        (headers::SIGNED_FOR, signed_for.to_string()),
        (headers::REQUEST_ID, hex::encode(request_id)),
        (headers::TIMESTAMP, timestamp_ms.to_string()),
        (headers::SIGNATURE, key.sign(&h.0).to_string()),
    ]
}

/// Reads the request headers (through `get`, which returns a header's value) without checking
/// anything but their form.
pub fn parse_request(
    get: impl Fn(&'static str) -> Option<String>,
) -> Result<SignedRequest, ProtocolError> {
    let need = |name: &'static str| get(name).ok_or(ProtocolError::MissingHeader(name));
    let bad = |name: &'static str, detail: String| ProtocolError::MalformedHeader { name, detail };
    let version = need(headers::VERSION)?;
    if version.trim() != VERSION {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    let chain_id = need(headers::CHAIN)?;
    let netuid = need(headers::NETUID)?
        .trim()
        .parse::<u16>()
        .map_err(|e| bad(headers::NETUID, e.to_string()))?;
    let account = |name: &'static str| -> Result<AccountId, ProtocolError> {
        need(name)?
            .trim()
            .parse::<AccountId>()
            .map_err(|e| bad(name, e.to_string()))
    };
    let signed_by = account(headers::SIGNED_BY)?;
    let signed_for = account(headers::SIGNED_FOR)?;
    let id_text = need(headers::REQUEST_ID)?;
    let id = hex::decode(id_text.trim()).map_err(|e| bad(headers::REQUEST_ID, e.to_string()))?;
    let request_id: [u8; 32] = id
        .try_into()
        .map_err(|_| bad(headers::REQUEST_ID, "must be 32 bytes".into()))?;
    let timestamp_ms = need(headers::TIMESTAMP)?
        .trim()
        .parse::<u64>()
        .map_err(|e| bad(headers::TIMESTAMP, e.to_string()))?;
    let sig_text = need(headers::SIGNATURE)?;
    if sig_text.trim().is_empty() {
        return Err(ProtocolError::BadSignature);
    }
    let signature = sig_text
        .trim()
        .parse::<Signature>()
        .map_err(|e| bad(headers::SIGNATURE, e.to_string()))?;
    Ok(SignedRequest {
        chain_id,
        netuid,
        signed_by,
        signed_for,
        request_id,
        timestamp_ms,
        signature,
    })
}

impl SignedRequest {
    /// Checks the signature over the method, path, body and every signed header.
    pub fn verify(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<(), ProtocolError> {
        let h = request_signing_hash(
            &self.chain_id,
            self.netuid,
            method,
            path_and_query,
            body,
            &self.request_id,
            self.timestamp_ms,
            &self.signed_by,
            &self.signed_for,
        );
        self.signed_by
            .verify(&h.0, &self.signature)
            .map_err(|_| ProtocolError::BadSignature)
    }
}
