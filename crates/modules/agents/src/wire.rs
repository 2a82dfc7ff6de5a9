//! The agents module's on-chain encodings. Variants are appended, never reordered;
//! `tests/golden.rs` pins one value of each.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_agents_rules::{
    Action, Asset, CallKind, CapGrowth, ChannelError, DealError, Intent, RuleError, SessionScope,
    SignedChannelState, Terms,
};
use synod_primitives::{AccountId, Hash, Height, Signature};

/// Longest agent name, in bytes (`a–z`, `0–9`, `-`, `_`).
pub const MAX_NAME_LEN: usize = 32;
/// Largest encoded inner call of `Execute`.
pub const MAX_INNER_CALL_BYTES: usize = 64 * 1024;

/// The call kinds a session may be allowed (the `allowed_calls` of intents and scopes).
pub mod call_kind {
    use super::CallKind;
    /// A SYN transfer (bank `transfer`): payee = recipient, asset = native.
    pub const TRANSFER: CallKind = 1;
    /// A token transfer (tokens `transfer`): payee = recipient, asset = the token.
    pub const TOKEN_TRANSFER: CallKind = 2;
    /// A payment to one asset's vault (assets `pay` with one item): payee = the vault.
    pub const ASSET_PAY: CallKind = 3;
    /// A pay-per-call settlement with a registered service (payments module `settle`):
    /// payee = the service's payee.
    pub const SERVICE_PAY: CallKind = 4;
    /// Every kind, with its name (CLI and RPC).
    pub const NAMES: [(CallKind, &str); 4] = [
        (TRANSFER, "transfer"),
        (TOKEN_TRANSFER, "token_transfer"),
        (ASSET_PAY, "asset_pay"),
        (SERVICE_PAY, "service_pay"),
    ];
}

/// The message an agent key signs to consent to being `user`'s agent `name` on `chain_id`.
pub fn agent_binding_message(chain_id: &str, user: &AccountId, name: &str) -> Vec<u8> {
    let mut m = b"synod/agent-binding/v1".to_vec();
    m.extend_from_slice(&synod_primitives::encode(&chain_id.to_string()));
    m.extend_from_slice(&user.0);
    m.extend_from_slice(&synod_primitives::encode(&name.to_string()));
    m
}

/// A call of the agents module. In JSON the variant is named by a `call` field.
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
pub enum AgentCall {
    /// Registers `agent` (its own key) as the sender's agent `name`; the agent key signs
    /// [`agent_binding_message`] to consent.
    RegisterAgent {
        /// The agent's key.
        agent: AccountId,
        /// Unique under the sender (1–32 of `a–z 0–9 - _`).
        name: String,
        /// The agent key's signature of the binding message.
        proof: Signature,
    },
    /// Revokes an agent (the user only): it and every session under it stop at once.
    RevokeAgent {
        /// The agent's key.
        agent: AccountId,
    },
    /// Signs a standing intent for one of the sender's agents (the sender is `intent.user`).
    SetIntent {
        /// The intent.
        intent: Intent,
    },
    /// Revokes an intent (its user only): every session under it stops at once.
    RevokeIntent {
        /// [`Intent::hash`].
        intent: Hash,
    },
    /// Opens a session under an intent (the sender is the intent's agent).
    OpenSession {
        /// The session's scope (a subset of the intent; its own fresh key).
        scope: SessionScope,
    },
    /// Revokes a session (its user or its agent).
    RevokeSession {
        /// The session key.
        session: AccountId,
    },
    /// Executes `call` (a borsh-encoded chain call) on behalf of the user whose session key
    /// signed this transaction, within the session's rules. The session key pays the fee.
    Execute {
        /// The inner call's bytes (hex in JSON).
        #[serde(with = "synod_primitives::json::hex_bytes")]
        #[schemars(with = "String")]
        inner: Vec<u8>,
    },
    /// Proposes an escrowed deal (the sender is its buyer or seller and signs its terms hash,
    /// the deal's id, by proposing).
    ProposeDeal {
        /// The terms.
        terms: Terms,
    },
    /// A party's action on a deal: sign, fund (escrows the price), deliver, accept, reject,
    /// dispute, resolve (the arbiter), cancel. Deadlines passed first take effect.
    DealAction {
        /// The deal (its terms hash).
        deal: Hash,
        /// The action.
        action: Action,
    },
    /// Opens a one-way payment channel to `payee`, moving `deposit` into it.
    OpenChannel {
        /// Who is paid off chain.
        payee: AccountId,
        /// The asset deposited.
        asset: Asset,
        /// The deposit.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        deposit: u128,
        /// Blocks a unilateral close can be challenged.
        challenge_period: u64,
    },
    /// Cooperative close: a state both parties signed for closing; settles at once.
    CloseChannel {
        /// The final state with both close signatures.
        close: SignedChannelState,
    },
    /// Unilateral close by a party with its latest co-signed state (none: nothing was paid).
    StartClose {
        /// The channel.
        channel: Hash,
        /// The latest state both signed.
        latest: Option<SignedChannelState>,
    },
    /// Replaces a pending close's state with a newer co-signed one, within the window.
    ChallengeClose {
        /// The newer state.
        newer: SignedChannelState,
    },
    /// Settles a channel whose challenge window has ended (anyone).
    SettleChannel {
        /// The channel.
        channel: Hash,
    },
    /// Lets an intent's caps grow with its agent's record, or (`None`) stops them growing
    /// (the intent's user only; takes effect for the next payment).
    SetCapGrowth {
        /// [`Intent::hash`].
        intent: Hash,
        /// The rule, or `None` for the caps as signed.
        growth: Option<CapGrowth>,
    },
    /// Links an agent to an asset of the assets module (kind `agent`) that represents it, so
    /// that its revenue, licences and lineage live there (the user only, owning the asset;
    /// replaces an earlier link).
    LinkAsset {
        /// The agent's key.
        agent: AccountId,
        /// The asset's id.
        asset: u64,
    },
}

impl AgentCall {
    /// Execution weight (`Execute` adds its inner call's weight at the runtime).
    pub fn weight(&self) -> u64 {
        match self {
            AgentCall::RegisterAgent { .. } => 8_000,
            AgentCall::RevokeAgent { .. } => 3_000,
            AgentCall::SetIntent { .. } => 6_000,
            AgentCall::RevokeIntent { .. } => 3_000,
            AgentCall::OpenSession { .. } => 6_000,
            AgentCall::RevokeSession { .. } => 3_000,
            AgentCall::Execute { .. } => 4_000,
            AgentCall::ProposeDeal { .. } => 8_000,
            AgentCall::DealAction { .. } => 8_000,
            AgentCall::OpenChannel { .. } => 8_000,
            AgentCall::CloseChannel { .. } | AgentCall::ChallengeClose { .. } => 12_000,
            AgentCall::StartClose { .. } => 12_000,
            AgentCall::SettleChannel { .. } => 8_000,
            AgentCall::SetCapGrowth { .. } => 4_000,
            AgentCall::LinkAsset { .. } => 4_000,
        }
    }
}

/// What the agents module reports. In JSON the variant is named by an `event` field.
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
pub enum AgentEvent {
    /// An agent was registered.
    AgentRegistered {
        /// Its user.
        user: AccountId,
        /// Its key.
        agent: AccountId,
        /// Its name.
        name: String,
    },
    /// An agent was revoked.
    AgentRevoked {
        /// Its key.
        agent: AccountId,
    },
    /// An intent was set.
    IntentSet {
        /// Its hash.
        intent: Hash,
        /// The user.
        user: AccountId,
        /// The agent.
        agent: AccountId,
    },
    /// An intent was revoked.
    IntentRevoked {
        /// Its hash.
        intent: Hash,
    },
    /// A session was opened.
    SessionOpened {
        /// Its key.
        session: AccountId,
        /// Its intent.
        intent: Hash,
    },
    /// A session was revoked.
    SessionRevoked {
        /// Its key.
        session: AccountId,
    },
    /// A session spent on behalf of its user.
    SessionSpent {
        /// The session key.
        session: AccountId,
        /// The user.
        user: AccountId,
        /// The call kind.
        call_kind: CallKind,
        /// Who was paid.
        payee: AccountId,
        /// In what.
        asset: Asset,
        /// How much.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
    },
    /// A deal was proposed.
    DealProposed {
        /// Its id (terms hash).
        deal: Hash,
        /// Buyer.
        buyer: AccountId,
        /// Seller.
        seller: AccountId,
    },
    /// A deal changed state (by an action, or a deadline when `action` is `deadline`).
    DealChanged {
        /// The deal.
        deal: Hash,
        /// The action's name, or `deadline`.
        action: String,
        /// The state it is in now.
        state: String,
    },
    /// Escrowed funds moved into or out of a deal.
    Escrow {
        /// The deal.
        deal: Hash,
        /// Who paid in or was paid out.
        account: AccountId,
        /// In what.
        asset: Asset,
        /// How much.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
        /// Into the escrow (`true`) or out of it.
        into: bool,
    },
    /// A channel was opened.
    ChannelOpened {
        /// Its id.
        channel: Hash,
        /// Payer.
        payer: AccountId,
        /// Payee.
        payee: AccountId,
        /// Deposit.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        deposit: u128,
    },
    /// A unilateral close is pending (or its state was replaced by a newer one).
    ChannelClosing {
        /// The channel.
        channel: Hash,
        /// The pending state's nonce.
        nonce: u64,
        /// The pending state's amount.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cumulative_paid: u128,
        /// First height it settles at.
        challenge_ends: Height,
    },
    /// A channel settled.
    ChannelSettled {
        /// The channel.
        channel: Hash,
        /// Paid to the payee.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_payee: u128,
        /// Returned to the payer.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_payer: u128,
    },
    /// An intent's cap growth rule was set (or removed).
    CapGrowthSet {
        /// The intent.
        intent: Hash,
        /// The rule.
        growth: Option<CapGrowth>,
    },
    /// An agent was linked to the asset that represents it.
    AgentAssetLinked {
        /// The agent.
        agent: AccountId,
        /// The asset.
        asset: u64,
    },
}

/// Why an agents call (or a session's payment) failed. The rule failures carry the names the
/// session rules use (`session_expired`, `cap_per_tx_exceeded`, …). Appended only.
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
pub enum AgentFailure {
    /// The session or its intent has expired.
    #[error("session expired at height {expires_at} (now {now})")]
    SessionExpired {
        /// First height it was no longer usable.
        expires_at: Height,
        /// Now.
        now: Height,
    },
    /// Above the per-transaction cap.
    #[error("amount {amount} exceeds the per-transaction cap {cap}")]
    CapPerTxExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
        /// The cap.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cap: u128,
    },
    /// Above the total cap.
    #[error("amount {amount} would exceed the total cap {cap} (spent {spent})")]
    TotalCapExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
        /// The cap.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cap: u128,
        /// Spent so far.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        spent: u128,
    },
    /// Above the cap of the current period.
    #[error("amount {amount} would exceed the cap {cap} of period {period} (spent {spent})")]
    PeriodCapExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
        /// The cap.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cap: u128,
        /// Spent in the period so far.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        spent: u128,
        /// The period.
        period: u64,
    },
    /// The payee is outside the session's scope.
    #[error("payee {payee} is not allowed")]
    PayeeNotAllowed {
        /// The payee.
        payee: AccountId,
    },
    /// The call kind is outside the session's scope (or cannot be made by a session).
    #[error("call kind {call_kind} is not allowed")]
    CallNotAllowed {
        /// The kind (0: a call sessions cannot make).
        call_kind: CallKind,
    },
    /// The asset is not the intent's.
    #[error("asset {asset:?} is not allowed (the intent pays in {allowed:?})")]
    AssetNotAllowed {
        /// Paid in.
        asset: Asset,
        /// The intent's.
        allowed: Asset,
    },
    /// The session, its intent or its agent was revoked.
    #[error("session revoked")]
    SessionRevoked,
    /// The intent starts later.
    #[error("intent not active before height {start_height} (now {now})")]
    NotYetActive {
        /// Start.
        start_height: Height,
        /// Now.
        now: Height,
    },
    /// The intent is malformed. (No field is called `reason`: the chain's failure JSON uses
    /// that name for the module.)
    #[error("invalid intent: {detail}")]
    InvalidIntent {
        /// Why.
        detail: String,
    },
    /// The scope is not within its intent.
    #[error("session scope not within its intent: {detail}")]
    ScopeNotWithinIntent {
        /// Why.
        detail: String,
    },
    /// Arithmetic overflow.
    #[error("overflow")]
    Overflow,
    /// No such agent.
    #[error("unknown agent {agent}")]
    UnknownAgent {
        /// The key.
        agent: AccountId,
    },
    /// The agent key is already an agent (of anyone).
    #[error("{agent} is already registered as an agent")]
    AgentExists {
        /// The key.
        agent: AccountId,
    },
    /// The user already has an agent with this name.
    #[error("the user already has an agent named {name}")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// The name is empty, too long, or has other characters than `a–z 0–9 - _`.
    #[error("an agent name is 1 to {MAX_NAME_LEN} of a-z 0-9 - _")]
    InvalidName,
    /// The agent key did not sign the binding.
    #[error("the agent key's proof does not verify")]
    BadProof,
    /// Only the user may do this.
    #[error("only the user may do this")]
    NotUser,
    /// Only the intent's agent may open sessions under it.
    #[error("only the intent's agent may do this")]
    NotAgent,
    /// No such intent.
    #[error("unknown intent {intent}")]
    UnknownIntent {
        /// The hash.
        intent: Hash,
    },
    /// The intent was already set.
    #[error("intent {intent} is already set")]
    IntentExists {
        /// The hash.
        intent: Hash,
    },
    /// No such session.
    #[error("unknown session {session}")]
    UnknownSession {
        /// The key.
        session: AccountId,
    },
    /// The session key is already in use (or is a registered agent or the user).
    #[error("session key {session} is already in use")]
    SessionExists {
        /// The key.
        session: AccountId,
    },
    /// The inner call of `Execute` does not decode.
    #[error("the inner call does not decode: {detail}")]
    UndecodableCall {
        /// Decoder message.
        detail: String,
    },
    /// `Execute` inside `Execute`.
    #[error("a session cannot execute an `execute` call")]
    NestedExecute,
    /// No such deal.
    #[error("unknown deal {deal}")]
    UnknownDeal {
        /// The id.
        deal: Hash,
    },
    /// The deal (same terms hash) exists already.
    #[error("deal {deal} exists already")]
    DealExists {
        /// The id.
        deal: Hash,
    },
    /// The deal rules refused the action (out of order, wrong party, past its deadline, …).
    #[error("deal refused: {refusal}")]
    DealRefused {
        /// Why, with its own kind.
        refusal: DealError,
    },
    /// No such channel.
    #[error("unknown channel {channel}")]
    UnknownChannel {
        /// The id.
        channel: Hash,
    },
    /// The channel rules refused (bad signature, stale state, window closed or open, …).
    #[error("channel refused: {refusal}")]
    ChannelRefused {
        /// Why, with its own kind.
        refusal: ChannelError,
    },
    /// The asset cannot represent the agent (unknown, not of kind `agent`, or not the user's).
    #[error("asset {asset} cannot represent this agent: {detail}")]
    BadAgentAsset {
        /// The asset.
        asset: u64,
        /// Why.
        detail: String,
    },
}

impl AgentFailure {
    /// The failure's stable snake_case name (its JSON `kind`), for RPC rejections.
    pub fn kind(&self) -> &'static str {
        match self {
            AgentFailure::SessionExpired { .. } => "session_expired",
            AgentFailure::CapPerTxExceeded { .. } => "cap_per_tx_exceeded",
            AgentFailure::TotalCapExceeded { .. } => "total_cap_exceeded",
            AgentFailure::PeriodCapExceeded { .. } => "period_cap_exceeded",
            AgentFailure::PayeeNotAllowed { .. } => "payee_not_allowed",
            AgentFailure::CallNotAllowed { .. } => "call_not_allowed",
            AgentFailure::AssetNotAllowed { .. } => "asset_not_allowed",
            AgentFailure::SessionRevoked => "session_revoked",
            AgentFailure::NotYetActive { .. } => "not_yet_active",
            AgentFailure::InvalidIntent { .. } => "invalid_intent",
            AgentFailure::ScopeNotWithinIntent { .. } => "scope_not_within_intent",
            AgentFailure::Overflow => "overflow",
            AgentFailure::UnknownAgent { .. } => "unknown_agent",
            AgentFailure::AgentExists { .. } => "agent_exists",
            AgentFailure::NameTaken { .. } => "name_taken",
            AgentFailure::InvalidName => "invalid_name",
            AgentFailure::BadProof => "bad_proof",
            AgentFailure::NotUser => "not_user",
            AgentFailure::NotAgent => "not_agent",
            AgentFailure::UnknownIntent { .. } => "unknown_intent",
            AgentFailure::IntentExists { .. } => "intent_exists",
            AgentFailure::UnknownSession { .. } => "unknown_session",
            AgentFailure::SessionExists { .. } => "session_exists",
            AgentFailure::UndecodableCall { .. } => "undecodable_call",
            AgentFailure::NestedExecute => "nested_execute",
            AgentFailure::UnknownDeal { .. } => "unknown_deal",
            AgentFailure::DealExists { .. } => "deal_exists",
            AgentFailure::DealRefused { .. } => "deal_refused",
            AgentFailure::UnknownChannel { .. } => "unknown_channel",
            AgentFailure::ChannelRefused { .. } => "channel_refused",
            AgentFailure::BadAgentAsset { .. } => "bad_agent_asset",
        }
    }
}

impl From<RuleError> for AgentFailure {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::SessionExpired { expires_at, now } => {
                AgentFailure::SessionExpired { expires_at, now }
            }
            RuleError::CapPerTxExceeded { amount, cap } => {
                AgentFailure::CapPerTxExceeded { amount, cap }
            }
            RuleError::TotalCapExceeded { amount, cap, spent } => {
                AgentFailure::TotalCapExceeded { amount, cap, spent }
            }
            RuleError::PeriodCapExceeded {
                amount,
                cap,
                spent,
                period,
            } => AgentFailure::PeriodCapExceeded {
                amount,
                cap,
                spent,
                period,
            },
            RuleError::PayeeNotAllowed { payee } => AgentFailure::PayeeNotAllowed { payee },
            RuleError::CallNotAllowed { call_kind } => AgentFailure::CallNotAllowed { call_kind },
            RuleError::AssetNotAllowed { asset, allowed } => {
                AgentFailure::AssetNotAllowed { asset, allowed }
            }
            RuleError::SessionRevoked => AgentFailure::SessionRevoked,
            RuleError::NotYetActive { start_height, now } => {
                AgentFailure::NotYetActive { start_height, now }
            }
            RuleError::InvalidIntent { detail } => AgentFailure::InvalidIntent { detail },
            RuleError::ScopeNotWithinIntent { detail } => {
                AgentFailure::ScopeNotWithinIntent { detail }
            }
            RuleError::StateFromFuture { .. } | RuleError::Overflow => AgentFailure::Overflow,
        }
    }
}

impl synod_module::ModuleFailure for AgentFailure {}
