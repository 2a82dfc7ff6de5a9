//! The payments module's encodings: its calls, events and failures (on chain), the payment
//! authorization a payer signs (crosses the HTTP boundary and lands on chain), and the
//! 402 payment requirements a service answers with. Variants are appended, never reordered;
//! `tests/golden.rs` pins one value of each.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_agents::AgentFailure;
use synod_agents_rules::Asset;
use synod_primitives::{AccountId, Hash, Height, Keypair, Signature};

/// A service's id: assigned in registration order from 0.
pub type ServiceId = u64;
/// An amount in the base units of a payment's asset.
pub type Amount = u128;

/// Longest service name (`a–z 0–9 - _ .`).
pub const MAX_NAME_LEN: usize = 64;
/// Longest service URL.
pub const MAX_URL_LEN: usize = 256;
/// Most endpoints a service lists.
pub const MAX_ENDPOINTS: usize = 64;
/// Longest endpoint path.
pub const MAX_PATH_LEN: usize = 256;
/// Most assets a service declares it uses.
pub const MAX_USES: usize = 16;
/// Most authorizations one `Settle` carries: a full batch (about 290 bytes an item) stays
/// within the 64 KiB transaction limit.
pub const MAX_SETTLE_ITEMS: usize = 200;
/// Longest validity window of an authorization, in blocks. Settled nonces are forgotten once
/// their window has closed, so the window bounds how long the chain keeps one.
pub const MAX_AUTH_WINDOW: u64 = 100_000;
/// Weight of one settled authorization besides its asset vault payments: a signature check,
/// the session rules, a handful of reads and writes.
pub const SETTLE_ITEM_WEIGHT: u64 = 6_000;
/// Domain tag of an authorization's signing hash.
pub const AUTHORIZATION_TAG: &str = "synod/payments/authorization/v1";
/// Domain tag of [`request_hash`].
pub const REQUEST_TAG: &str = "synod/payments/request/v1";
/// The name of the 402 scheme this chain speaks (the `scheme` of [`PaymentRequirements`]).
pub const SCHEME: &str = "synod-v1";

/// How an endpoint is priced.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Pricing {
    /// Every call costs the price.
    Exact,
    /// The price is a maximum; the service settles what it metered (per token, per byte).
    Upto,
}

/// One paid endpoint of a service.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Endpoint {
    /// HTTP method, upper case (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
    pub method: String,
    /// Path, starting with `/` (matched exactly, without the query).
    pub path: String,
    /// Price per call (the maximum, for `upto`), at least 1.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub price: Amount,
    /// What it is paid in.
    pub asset: Asset,
    /// Exact or metered.
    pub pricing: Pricing,
}

/// An asset a service uses (a model, a dataset), with the share of each payment its revenue
/// vault receives (split further along its lineage by the assets module).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct AssetUse {
    /// The asset (assets module id).
    pub asset: u64,
    /// Its share of every payment, in basis points (1–10,000; all uses together ≤ 10,000).
    pub share_bps: u16,
}

/// The least record a payer (or the agent whose session signs) must have on chain.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct MinReputation {
    /// At least this many settled payments.
    pub settled_payments: u64,
    /// At least this many completed deals.
    pub deals_completed: u64,
    /// At most this many disputes lost.
    pub max_disputes_lost: u64,
}

/// What a service registers.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ServiceSpec {
    /// Unique name (1–64 of `a–z 0–9 - _ .`).
    pub name: String,
    /// Where it is served (informational, at most 256 bytes; may be empty).
    pub url: String,
    /// Who is paid (what is left after the asset shares).
    pub payee: AccountId,
    /// Its paid endpoints (1–64, distinct method and path).
    pub endpoints: Vec<Endpoint>,
    /// The assets it uses and their shares (at most 16, distinct).
    pub uses: Vec<AssetUse>,
    /// The least record a payer must have, if any.
    pub min_reputation: Option<MinReputation>,
}

/// A payer's signed permission to be charged at most `max_amount` for one request.
///
/// Encoding (borsh, field order as declared): `payer` 32 bytes, `signer` 32 bytes, `service`
/// u64, `payee` 32 bytes, `asset` ([`Asset`]), `max_amount` u128, `valid_after` u64,
/// `valid_before` u64, `nonce` 32 bytes, `request_hash` 32 bytes; integers little endian. The
/// signer signs [`Authorization::signing_hash`]. Pinned by a golden test.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Authorization {
    /// Whose funds pay.
    pub payer: AccountId,
    /// Who signs: the payer, or a session key of the payer (then the session's rules apply).
    pub signer: AccountId,
    /// The service.
    pub service: ServiceId,
    /// The service's payee (checked against the registry).
    pub payee: AccountId,
    /// What it is paid in.
    pub asset: Asset,
    /// The most the service may settle.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub max_amount: Amount,
    /// First height at which it may settle.
    pub valid_after: Height,
    /// First height at which it no longer may (at most [`MAX_AUTH_WINDOW`] after
    /// `valid_after`).
    pub valid_before: Height,
    /// Random; settles at most once per payer.
    pub nonce: Hash,
    /// [`request_hash`] of the request it pays for.
    pub request_hash: Hash,
}

impl Authorization {
    /// What the signer signs: BLAKE3 under [`AUTHORIZATION_TAG`] of the chain id (borsh
    /// string) followed by the authorization's borsh encoding.
    pub fn signing_hash(&self, chain_id: &str) -> Hash {
        let mut m = synod_primitives::encode(&chain_id.to_string());
        m.extend_from_slice(&synod_primitives::encode(self));
        Hash::tagged(AUTHORIZATION_TAG, &m)
    }

    /// Signs it with `key` (which must be its `signer`).
    pub fn sign(self, key: &Keypair, chain_id: &str) -> SignedAuthorization {
        let signature = key.sign(&self.signing_hash(chain_id).0);
        SignedAuthorization {
            authorization: self,
            signature,
        }
    }
}

/// An authorization with its signer's signature: the `X-Payment` header's content (hex of
/// its borsh encoding).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct SignedAuthorization {
    /// The authorization.
    pub authorization: Authorization,
    /// The signer's signature of [`Authorization::signing_hash`].
    pub signature: Signature,
}

impl SignedAuthorization {
    /// The `X-Payment` header value: hex of the borsh encoding.
    pub fn to_header(&self) -> String {
        hex::encode(synod_primitives::encode(self))
    }

    /// Reads an `X-Payment` header value.
    pub fn from_header(value: &str) -> Result<Self, String> {
        if value.len() > 2 * 1024 {
            return Err("X-Payment header longer than 2 KiB".into());
        }
        let bytes = hex::decode(value.trim()).map_err(|e| format!("X-Payment is not hex: {e}"))?;
        synod_primitives::decode_exact::<SignedAuthorization>(&bytes, 1024)
            .map_err(|e| format!("X-Payment is not a signed authorization: {e}"))
    }
}

/// One authorization a service settles, with the amount it charges (≤ its maximum).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct SettleItem {
    /// The payer's signed authorization.
    pub authorization: SignedAuthorization,
    /// What is charged: the price, or what was metered for `upto`.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
}

/// The hash that binds an authorization to one HTTP request: BLAKE3 under [`REQUEST_TAG`] of
/// the borsh encoding of (method upper case, path with query, BLAKE3 of the body).
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> Hash {
    let body_hash: [u8; 32] = *blake3::hash(body).as_bytes();
    let m = synod_primitives::encode(&(
        method.to_ascii_uppercase(),
        path_and_query.to_string(),
        body_hash,
    ));
    Hash::tagged(REQUEST_TAG, &m)
}

/// A call of the payments module. In JSON the variant is named by a `call` field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum PaymentCall {
    /// Registers a service owned by the sender.
    RegisterService {
        /// What it is.
        spec: ServiceSpec,
    },
    /// Replaces a service's spec (its owner only).
    UpdateService {
        /// The service.
        service: ServiceId,
        /// The new spec.
        spec: ServiceSpec,
    },
    /// Settles authorizations for a service (its owner or payee): each item settles or is
    /// refused on its own (reported in an event); an item whose nonce already settled is
    /// reported and changes nothing, so a batch can be resent safely.
    Settle {
        /// The service.
        service: ServiceId,
        /// The most asset-vault work one item may take (lineage read and credits written,
        /// summed over the service's asset uses); the call's weight is priced from it.
        work_bound: u32,
        /// The authorizations (1–[`MAX_SETTLE_ITEMS`]).
        items: Vec<SettleItem>,
    },
}

impl PaymentCall {
    /// Execution weight.
    pub fn weight(&self) -> u64 {
        match self {
            PaymentCall::RegisterService { spec } | PaymentCall::UpdateService { spec, .. } => {
                10_000u64.saturating_add(
                    (spec.endpoints.len() as u64 + spec.uses.len() as u64).saturating_mul(500),
                )
            }
            PaymentCall::Settle {
                work_bound, items, ..
            } => {
                let per_item = SETTLE_ITEM_WEIGHT.saturating_add(
                    synod_assets::wire::WEIGHT_PER_WORK_UNIT.saturating_mul(u64::from(*work_bound)),
                );
                2_000u64.saturating_add(per_item.saturating_mul(items.len() as u64))
            }
        }
    }
}

/// An asset vault's share of a settled payment.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct VaultShare {
    /// The asset whose vault was paid.
    pub asset: u64,
    /// How much.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
}

/// The receipt of one settled authorization.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct PaymentReceipt {
    /// The service.
    pub service: ServiceId,
    /// Who paid.
    pub payer: AccountId,
    /// Who signed (the payer or one of its session keys).
    pub signer: AccountId,
    /// The authorization's nonce.
    pub nonce: Hash,
    /// The request it paid for.
    pub request_hash: Hash,
    /// In what.
    pub asset: Asset,
    /// How much in all.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
    /// The service's payee.
    pub payee: AccountId,
    /// What the payee got.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub to_payee: Amount,
    /// The assets the service used, and what each vault got.
    pub vaults: Vec<VaultShare>,
}

/// What the payments module reports. In JSON the variant is named by an `event` field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PaymentEvent {
    /// A service was registered.
    ServiceRegistered {
        /// Its id.
        service: ServiceId,
        /// Its owner.
        owner: AccountId,
        /// Its name.
        name: String,
    },
    /// A service's spec was replaced.
    ServiceUpdated {
        /// Its id.
        service: ServiceId,
    },
    /// An authorization settled.
    Settled {
        /// Its receipt.
        receipt: PaymentReceipt,
    },
    /// An authorization in a batch was refused; nothing of it took effect.
    SettlementRefused {
        /// The service.
        service: ServiceId,
        /// Its payer.
        payer: AccountId,
        /// Its nonce.
        nonce: Hash,
        /// Why.
        failure: PaymentFailure,
    },
    /// An authorization in a batch had already settled; nothing changed.
    AlreadySettled {
        /// The service.
        service: ServiceId,
        /// Its payer.
        payer: AccountId,
        /// Its nonce.
        nonce: Hash,
    },
}

/// Why a payments call, or one authorization of a settlement, was refused. Appended only.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentFailure {
    /// No service has this id.
    #[error("no service {service}")]
    UnknownService {
        /// The id.
        service: ServiceId,
    },
    /// Only the service's owner may do this (owner or payee, for settlement).
    #[error("only the service's owner may do this")]
    NotServiceOwner,
    /// The spec breaks a rule.
    #[error("invalid service: {detail}")]
    InvalidService {
        /// Which rule.
        detail: String,
    },
    /// Another service has the name.
    #[error("service name {name:?} is taken")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// A batch is empty or too large.
    #[error("a settlement carries 1 to {max} authorizations")]
    BadBatch {
        /// The most it may carry.
        max: u32,
    },
    /// The authorization names another service.
    #[error("the authorization is for service {named}, not this one")]
    WrongService {
        /// The service it names.
        named: ServiceId,
    },
    /// The authorization's payee is not the service's.
    #[error("the authorization pays {named}, the service's payee is {payee}")]
    PayeeMismatch {
        /// The payee it names.
        named: AccountId,
        /// The service's payee.
        payee: AccountId,
    },
    /// The service takes no payment in this asset.
    #[error("the service takes no payment in {asset:?}")]
    AssetNotAccepted {
        /// The asset.
        asset: Asset,
    },
    /// The amount charged is 0.
    #[error("a settlement must charge at least 1")]
    ZeroAmount,
    /// The amount charged is above the authorization's maximum.
    #[error("{amount} is above the authorized maximum {max}")]
    AboveMaximum {
        /// Charged.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: Amount,
        /// Authorized.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max: Amount,
    },
    /// The authorization's window has not opened.
    #[error("the authorization is valid from height {valid_after} (now {now})")]
    NotYetValid {
        /// Its first valid height.
        valid_after: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// The authorization's window has closed.
    #[error("the authorization expired at height {valid_before} (now {now})")]
    AuthorizationExpired {
        /// Its first invalid height.
        valid_before: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// The authorization's window is empty or longer than allowed.
    #[error("the validity window must be 1 to {max} blocks")]
    BadWindow {
        /// The longest allowed.
        max: u64,
    },
    /// The payer already settled an authorization with this nonce.
    #[error("nonce {nonce} was already settled")]
    NonceUsed {
        /// The nonce.
        nonce: Hash,
    },
    /// The signature does not verify for the signer.
    #[error("the authorization's signature does not verify")]
    BadSignature,
    /// The signer is neither the payer nor one of the payer's session keys.
    #[error("{signer} is neither the payer nor a session of the payer")]
    SignerNotAuthorized {
        /// The signer.
        signer: AccountId,
    },
    /// The session's rules refused the payment (`session_expired`, `period_cap_exceeded`, …:
    /// its kind is the session rule's).
    #[error("session refused: {refusal}")]
    Session {
        /// The session rule's failure.
        refusal: AgentFailure,
    },
    /// The payer's record is below the service's minimum.
    #[error("the payer's record is below the service's minimum ({detail})")]
    ReputationTooLow {
        /// Which bound.
        detail: String,
    },
    /// The payer cannot pay.
    #[error("the payer has {available}, {needed} is needed")]
    InsufficientFunds {
        /// Needed (with what the service has pending).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        needed: Amount,
        /// Available.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        available: Amount,
    },
    /// A move of funds was refused (bank, tokens or an asset vault).
    #[error("payment refused: {detail}")]
    TransferRefused {
        /// What refused and why.
        detail: String,
    },
    /// Arithmetic overflowed.
    #[error("arithmetic overflow")]
    Overflow,
}

impl PaymentFailure {
    /// The failure's stable snake_case name (its JSON `kind`, or the session rule's kind for
    /// a session's refusal), for RPC rejections and clients.
    pub fn kind(&self) -> &'static str {
        match self {
            PaymentFailure::UnknownService { .. } => "unknown_service",
            PaymentFailure::NotServiceOwner => "not_service_owner",
            PaymentFailure::InvalidService { .. } => "invalid_service",
            PaymentFailure::NameTaken { .. } => "name_taken",
            PaymentFailure::BadBatch { .. } => "bad_batch",
            PaymentFailure::WrongService { .. } => "wrong_service",
            PaymentFailure::PayeeMismatch { .. } => "payee_mismatch",
            PaymentFailure::AssetNotAccepted { .. } => "asset_not_accepted",
            PaymentFailure::ZeroAmount => "zero_amount",
            PaymentFailure::AboveMaximum { .. } => "above_maximum",
            PaymentFailure::NotYetValid { .. } => "not_yet_valid",
            PaymentFailure::AuthorizationExpired { .. } => "authorization_expired",
            PaymentFailure::BadWindow { .. } => "bad_window",
            PaymentFailure::NonceUsed { .. } => "nonce_used",
            PaymentFailure::BadSignature => "bad_signature",
            PaymentFailure::SignerNotAuthorized { .. } => "signer_not_authorized",
            PaymentFailure::Session { refusal } => refusal.kind(),
            PaymentFailure::ReputationTooLow { .. } => "reputation_too_low",
            PaymentFailure::InsufficientFunds { .. } => "insufficient_funds",
            PaymentFailure::TransferRefused { .. } => "transfer_refused",
            PaymentFailure::Overflow => "overflow",
        }
    }
}

impl synod_module::ModuleFailure for PaymentFailure {}

/// What a service answers a call without (or with an unusable) payment: HTTP 402 with this
/// JSON body. Not on chain; its field names are the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaymentRequirements {
    /// Always [`SCHEME`].
    pub scheme: String,
    /// The chain the authorization is signed for.
    pub chain_id: String,
    /// The service.
    pub service: ServiceId,
    /// The endpoint's method.
    pub method: String,
    /// The endpoint's path.
    pub path: String,
    /// Who is paid.
    pub payee: AccountId,
    /// In what.
    pub asset: Asset,
    /// The price (the maximum, for `upto`): the authorization's `max_amount` must be at least
    /// this.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub price: Amount,
    /// Exact or metered.
    pub pricing: Pricing,
    /// [`request_hash`] of the request as the service received it.
    pub request_hash: Hash,
    /// The newest height the service has seen (a window should include it).
    pub height: Height,
    /// Blocks the service needs the authorization to stay valid (to settle it in a batch).
    pub valid_for_blocks: u64,
    /// Why the previous attempt was refused, if there was one (a failure kind).
    pub error: Option<String>,
    /// The refusal in words.
    pub message: Option<String>,
}

/// What a paid answer carries in its `X-Payment-Response` header (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaymentResponse {
    /// The authorization's nonce.
    pub nonce: Hash,
    /// What the service charges (settled in its next batch).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
    /// `queued` (settles in the service's next batch) or `settled`.
    pub status: String,
    /// The settlement transaction, once known.
    pub tx: Option<Hash>,
}
