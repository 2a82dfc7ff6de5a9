//! Standing intents, session scopes and the spending rules.
//!
//! A user signs an [`Intent`] for one agent: which asset it may pay in, caps per transaction,
//! in total and per period, an expiry, the call kinds it may make and (optionally) the payees it
//! may pay. The agent opens sessions under it; each [`SessionScope`] is a subset of the intent
//! (checked by [`scope_within`]). Every payment is checked by [`check_and_record`] against the
//! session's scope *and* the intent, with two spend counters ([`Ledger`]): one per session and
//! one for the intent, shared by all the sessions under it, so that several sessions together
//! can never exceed the intent.
//!
//! Periods are counted in blocks from the intent's `start_height`: period `i` is the heights
//! `start_height + i * period_blocks .. start_height + (i + 1) * period_blocks`. Sessions use
//! the intent's period grid. Expiry is exclusive: an intent or scope with `expires_at = h` is
//! usable at heights `< h`.

use crate::Amount;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use synod_primitives::{AccountId, Hash, Height};

/// Domain tag of [`Intent::hash`].
pub const INTENT_HASH_TAG: &str = "synod/agents/intent/v1";

/// The asset a payment is made in.
///
/// Encoding (borsh): one tag byte, `0` = native SYN, `1` = token followed by its `u64` token id
/// (little endian), the id of the tokens module.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    /// The chain's native token, SYN.
    Native,
    /// A token of the tokens module, by id.
    Token(u64),
}

/// A call kind: an opaque tag that the module crate assigns to each kind of call an agent may
/// make (for example "pay a service", "fund a deal"). Encoding: `u16` little endian.
pub type CallKind = u16;

/// A user's standing intent for one agent.
///
/// Encoding (borsh, field order as declared): `user` 32 bytes, `agent` 32 bytes, `asset`
/// ([`Asset`]), `start_height` u64, `per_tx_cap` u128, `total_cap` u128, `period_blocks` u64,
/// `period_cap` u128, `expires_at` u64, `allowed_calls` (u32 count, then each `u16`, ascending),
/// `allowed_payees` (one byte `0` = any payee, or `1` then u32 count and 32-byte accounts,
/// ascending). All integers little endian. Sets out of order or with repeats are refused on
/// decoding, so the encoding is canonical. Pinned by a golden test.
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
pub struct Intent {
    /// The account whose funds are spent; signs the intent.
    pub user: AccountId,
    /// The agent allowed to open sessions under the intent.
    pub agent: AccountId,
    /// The one asset payments may be made in.
    pub asset: Asset,
    /// Height at which the intent takes effect and period 0 begins.
    pub start_height: Height,
    /// Largest single payment.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub per_tx_cap: Amount,
    /// Largest sum of all payments under the intent, over its whole life.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub total_cap: Amount,
    /// Length of a period in blocks (at least 1).
    pub period_blocks: u64,
    /// Largest sum of payments within one period.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub period_cap: Amount,
    /// First height at which the intent is no longer usable.
    pub expires_at: Height,
    /// Call kinds the agent may make.
    #[borsh(deserialize_with = "strict_set")]
    pub allowed_calls: BTreeSet<CallKind>,
    /// Payees the agent may pay; `None` = any payee.
    #[borsh(deserialize_with = "strict_option_set")]
    pub allowed_payees: Option<BTreeSet<AccountId>>,
}

/// Reads a set as borsh writes it (u32 count, elements ascending) and refuses elements out of
/// order or repeated, which borsh's own `BTreeSet` decoder accepts: every set then has exactly
/// one accepted encoding.
fn strict_set<R: borsh::io::Read, T: BorshDeserialize + Ord>(
    reader: &mut R,
) -> borsh::io::Result<BTreeSet<T>> {
    let items = Vec::<T>::deserialize_reader(reader)?;
    if items.windows(2).any(|w| w[0] >= w[1]) {
        return Err(borsh::io::Error::new(
            borsh::io::ErrorKind::InvalidData,
            "set elements must be strictly ascending",
        ));
    }
    Ok(items.into_iter().collect())
}

/// [`strict_set`] inside an `Option` (tag byte `0` or `1`, as borsh writes it).
fn strict_option_set<R: borsh::io::Read, T: BorshDeserialize + Ord>(
    reader: &mut R,
) -> borsh::io::Result<Option<BTreeSet<T>>> {
    match u8::deserialize_reader(reader)? {
        0 => Ok(None),
        1 => strict_set(reader).map(Some),
        _ => Err(borsh::io::Error::new(
            borsh::io::ErrorKind::InvalidData,
            "option tag must be 0 or 1",
        )),
    }
}

impl Intent {
    /// The intent's hash (BLAKE3 under [`INTENT_HASH_TAG`] of its borsh encoding): what the user
    /// signs and what every session scope names.
    pub fn hash(&self) -> Hash {
        Hash::tagged(INTENT_HASH_TAG, &synod_primitives::encode(self))
    }

    /// Checks the intent is well formed: `period_blocks ≥ 1`, `start_height < expires_at`,
    /// `user ≠ agent`, and caps ordered `per_tx_cap ≤ period_cap ≤ total_cap` (a larger inner cap
    /// would be unreachable and is most likely a mistake).
    pub fn validate(&self) -> Result<(), RuleError> {
        let bad = |reason: &str| {
            Err(RuleError::InvalidIntent {
                detail: reason.to_string(),
            })
        };
        if self.period_blocks == 0 {
            return bad("period_blocks must be at least 1");
        }
        if self.start_height >= self.expires_at {
            return bad("start_height must be below expires_at");
        }
        if self.user == self.agent {
            return bad("user and agent must differ");
        }
        if self.per_tx_cap > self.period_cap || self.period_cap > self.total_cap {
            return bad("caps must satisfy per_tx_cap <= period_cap <= total_cap");
        }
        Ok(())
    }

    /// The period index of `height` (which must be at or above `start_height`).
    fn period_of(&self, height: Height) -> u64 {
        // period_blocks ≥ 1 is checked by `validate` before this is called.
        height.saturating_sub(self.start_height) / self.period_blocks.max(1)
    }
}

/// A session's scope: a subset of its intent, bound to it by the intent's hash.
///
/// Encoding (borsh, field order as declared): `intent_hash` 32 bytes, `session_key` 32 bytes,
/// `per_tx_cap` u128, `total_cap` u128, `period_cap` u128, `expires_at` u64, `allowed_calls` and
/// `allowed_payees` as in [`Intent`].
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
pub struct SessionScope {
    /// [`Intent::hash`] of the intent the session lives under.
    pub intent_hash: Hash,
    /// The session's own key, which signs its transactions.
    pub session_key: AccountId,
    /// Largest single payment (≤ the intent's).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub per_tx_cap: Amount,
    /// Largest sum of the session's payments (≤ the intent's).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub total_cap: Amount,
    /// Largest sum of the session's payments in one of the intent's periods (≤ the intent's).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub period_cap: Amount,
    /// First height at which the session is no longer usable (≤ the intent's).
    pub expires_at: Height,
    /// Call kinds the session may make (⊆ the intent's).
    #[borsh(deserialize_with = "strict_set")]
    pub allowed_calls: BTreeSet<CallKind>,
    /// Payees the session may pay (⊆ the intent's; `None` only where the intent allows any).
    #[borsh(deserialize_with = "strict_option_set")]
    pub allowed_payees: Option<BTreeSet<AccountId>>,
}

/// Spend counters of one session or one intent.
///
/// Encoding (borsh): `spent_total` u128, `period_index` u64, `spent_in_period` u128.
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
pub struct SpendState {
    /// Sum of every payment recorded.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub spent_total: Amount,
    /// The period `spent_in_period` belongs to.
    pub period_index: u64,
    /// Sum of the payments recorded in period `period_index`.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub spent_in_period: Amount,
}

impl SpendState {
    /// The counters with `amount` more spent in `period`, unchecked and saturating: what a
    /// service counts for payments it accepted and has not settled yet, so that a check of
    /// the next one sees them (see [`Ledger::with_pending`]).
    pub fn plus(&self, period: u64, amount: Amount) -> SpendState {
        if self.period_index > period {
            return *self;
        }
        SpendState {
            spent_total: self.spent_total.saturating_add(amount),
            period_index: period,
            spent_in_period: self.spent_in(period).saturating_add(amount),
        }
    }

    /// What has been spent in `period` (zero if the counters belong to an earlier period).
    pub fn spent_in(&self, period: u64) -> Amount {
        if self.period_index == period {
            self.spent_in_period
        } else {
            0
        }
    }
}

/// The two spend counters a payment is checked against: the intent's (shared by all its
/// sessions) and the session's. Encoding (borsh): `intent` then `session`, each [`SpendState`].
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
pub struct Ledger {
    /// Counters of the intent, over all its sessions.
    pub intent: SpendState,
    /// Counters of this session.
    pub session: SpendState,
}

impl Ledger {
    /// Both counters with `pending` more spent in the period of `now` under `intent`: checking
    /// a payment against this ledger refuses it when it and what is pending would together
    /// pass a period or total cap.
    pub fn with_pending(&self, intent: &Intent, now: Height, pending: Amount) -> Ledger {
        if pending == 0 || now < intent.start_height {
            return *self;
        }
        let period = intent.period_of(now);
        Ledger {
            intent: self.intent.plus(period, pending),
            session: self.session.plus(period, pending),
        }
    }
}

/// One payment a session wants to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Payment {
    /// The kind of call making the payment.
    pub call_kind: CallKind,
    /// Who is paid.
    pub payee: AccountId,
    /// In what.
    pub asset: Asset,
    /// How much.
    pub amount: Amount,
}

/// Why a session's payment (or a scope) was refused. [`RuleError::kind`] gives the stable
/// snake_case name used in receipts, RPC answers and CLI messages.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    thiserror::Error,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleError {
    /// The session or its intent has expired.
    #[error("session expired at height {expires_at} (now {now})")]
    SessionExpired {
        /// The first height at which it was no longer usable.
        expires_at: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// One payment is above the per-transaction cap of the session or the intent.
    #[error("amount {amount} exceeds the per-transaction cap {cap}")]
    CapPerTxExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        amount: Amount,
        /// The smaller of the session's and the intent's caps.
        #[serde(with = "synod_primitives::json::u128_string")]
        cap: Amount,
    },
    /// The payment would take the session or the intent above its total cap.
    #[error("amount {amount} would exceed the total cap {cap} (already spent {spent})")]
    TotalCapExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        amount: Amount,
        /// The cap that would be exceeded.
        #[serde(with = "synod_primitives::json::u128_string")]
        cap: Amount,
        /// Already spent against that cap.
        #[serde(with = "synod_primitives::json::u128_string")]
        spent: Amount,
    },
    /// The payment would take the session or the intent above its cap for the current period.
    #[error(
        "amount {amount} would exceed the cap {cap} of period {period} (already spent {spent})"
    )]
    PeriodCapExceeded {
        /// The payment.
        #[serde(with = "synod_primitives::json::u128_string")]
        amount: Amount,
        /// The cap that would be exceeded.
        #[serde(with = "synod_primitives::json::u128_string")]
        cap: Amount,
        /// Already spent in this period against that cap.
        #[serde(with = "synod_primitives::json::u128_string")]
        spent: Amount,
        /// The current period index.
        period: u64,
    },
    /// The payee is not in the session's (or the intent's) allowed payees.
    #[error("payee {payee} is not allowed")]
    PayeeNotAllowed {
        /// The refused payee.
        payee: AccountId,
    },
    /// The call kind is not in the session's (or the intent's) allowed calls.
    #[error("call kind {call_kind} is not allowed")]
    CallNotAllowed {
        /// The refused call kind.
        call_kind: CallKind,
    },
    /// The payment is in an asset other than the intent's.
    #[error("asset {asset:?} is not allowed (the intent pays in {allowed:?})")]
    AssetNotAllowed {
        /// The refused asset.
        asset: Asset,
        /// The intent's asset.
        allowed: Asset,
    },
    /// The session (or its agent, or the intent) has been revoked.
    #[error("session revoked")]
    SessionRevoked,
    /// The payment is at a height before the intent starts.
    #[error("intent not active before height {start_height} (now {now})")]
    NotYetActive {
        /// The intent's start height.
        start_height: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// The intent is malformed.
    #[error("invalid intent: {detail}")]
    InvalidIntent {
        /// Which rule.
        detail: String,
    },
    /// The scope is not a subset of its intent.
    #[error("session scope not within its intent: {detail}")]
    ScopeNotWithinIntent {
        /// Which rule.
        detail: String,
    },
    /// The spend counters belong to a later period than the current height (heights went
    /// backwards, or the counters are corrupt).
    #[error("spend state is for period {state_period}, after the current period {period}")]
    StateFromFuture {
        /// The counters' period.
        state_period: u64,
        /// The current period.
        period: u64,
    },
    /// A counter would overflow `u128` (unreachable with caps, kept for checked arithmetic).
    #[error("amount overflow")]
    Overflow,
}

impl RuleError {
    /// The stable snake_case name of the error.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleError::SessionExpired { .. } => "session_expired",
            RuleError::CapPerTxExceeded { .. } => "cap_per_tx_exceeded",
            RuleError::TotalCapExceeded { .. } => "total_cap_exceeded",
            RuleError::PeriodCapExceeded { .. } => "period_cap_exceeded",
            RuleError::PayeeNotAllowed { .. } => "payee_not_allowed",
            RuleError::CallNotAllowed { .. } => "call_not_allowed",
            RuleError::AssetNotAllowed { .. } => "asset_not_allowed",
            RuleError::SessionRevoked => "session_revoked",
            RuleError::NotYetActive { .. } => "not_yet_active",
            RuleError::InvalidIntent { .. } => "invalid_intent",
            RuleError::ScopeNotWithinIntent { .. } => "scope_not_within_intent",
            RuleError::StateFromFuture { .. } => "state_from_future",
            RuleError::Overflow => "overflow",
        }
    }
}

/// Checks that `scope` is a subset of `intent`: it names the intent's hash, its caps are at most
/// the intent's, it expires no later, and its allowed call kinds and payees are subsets of the
/// intent's (a scope allowing any payee only under an intent allowing any payee). The intent
/// itself must be valid ([`Intent::validate`]).
pub fn scope_within(intent: &Intent, scope: &SessionScope) -> Result<(), RuleError> {
    scope_within_grown(intent, 0, scope)
}

/// [`scope_within`] against the intent's caps grown by `bonus_bps` ([`CapGrowth`]): the scope
/// still names the intent as signed, its caps may reach the grown ones.
pub fn scope_within_grown(
    intent: &Intent,
    bonus_bps: u32,
    scope: &SessionScope,
) -> Result<(), RuleError> {
    if scope.intent_hash != intent.hash() {
        return Err(RuleError::ScopeNotWithinIntent {
            detail: "intent_hash does not name this intent".into(),
        });
    }
    scope_subset(&intent.grown(bonus_bps), scope, true)
}

/// The subset rules; `with_caps` false skips the caps and expiry, for a payment under a scope
/// opened when the intent's caps had grown further than now (each payment is bound by the
/// smaller of the two anyway).
fn scope_subset(intent: &Intent, scope: &SessionScope, with_caps: bool) -> Result<(), RuleError> {
    intent.validate()?;
    let bad = |reason: &str| {
        Err(RuleError::ScopeNotWithinIntent {
            detail: reason.to_string(),
        })
    };
    if scope.session_key == intent.user {
        return bad("session key must not be the user's key");
    }
    if with_caps {
        if scope.per_tx_cap > intent.per_tx_cap {
            return bad("per_tx_cap above the intent's");
        }
        if scope.total_cap > intent.total_cap {
            return bad("total_cap above the intent's");
        }
        if scope.period_cap > intent.period_cap {
            return bad("period_cap above the intent's");
        }
        if scope.expires_at > intent.expires_at {
            return bad("expires_at after the intent's");
        }
    }
    if !scope.allowed_calls.is_subset(&intent.allowed_calls) {
        return bad("allowed_calls not a subset of the intent's");
    }
    match (&intent.allowed_payees, &scope.allowed_payees) {
        (None, _) => {}
        (Some(_), None) => return bad("scope allows any payee but the intent does not"),
        (Some(i), Some(s)) => {
            if !s.is_subset(i) {
                return bad("allowed_payees not a subset of the intent's");
            }
        }
    }
    Ok(())
}

/// How a user lets an agent's caps grow with its record: every `points_per_step` points of
/// the agent's record (see [`record_points`]) add `step_bps` basis points to each of the
/// intent's three caps, up to `max_bps` in all. The user sets it beside the intent (it is not
/// part of what the intent's hash covers), and may change or remove it at any time.
///
/// Encoding (borsh): `points_per_step` u64, `step_bps` u32, `max_bps` u32, little endian.
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
pub struct CapGrowth {
    /// Record points per step (at least 1).
    pub points_per_step: u64,
    /// Basis points added per step (at least 1).
    pub step_bps: u32,
    /// Most basis points added in all (at most [`MAX_GROWTH_BPS`]).
    pub max_bps: u32,
}

/// The most a growth rule may add to a cap: 100,000 bps, so caps grow at most elevenfold.
pub const MAX_GROWTH_BPS: u32 = 100_000;

/// Record points a dispute lost or a delivery missed takes away.
pub const PENALTY_POINTS: u64 = 10;

/// An agent's record as growth counts it: each settled payment and completed deal is a point,
/// each dispute lost or delivery missed takes [`PENALTY_POINTS`] away (never below 0).
pub fn record_points(
    settled_payments: u64,
    deals_completed: u64,
    disputes_lost: u64,
    expired_deliveries: u64,
) -> u64 {
    let good = settled_payments.saturating_add(deals_completed);
    let bad = disputes_lost
        .saturating_add(expired_deliveries)
        .saturating_mul(PENALTY_POINTS);
    good.saturating_sub(bad)
}

impl CapGrowth {
    /// Checks the rule is well formed.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.points_per_step == 0 || self.step_bps == 0 {
            return Err(RuleError::InvalidIntent {
                detail: "cap growth needs points_per_step and step_bps of at least 1".into(),
            });
        }
        if self.max_bps > MAX_GROWTH_BPS {
            return Err(RuleError::InvalidIntent {
                detail: format!("cap growth max_bps above {MAX_GROWTH_BPS}"),
            });
        }
        Ok(())
    }

    /// The basis points the caps grow by for a record of `points`.
    pub fn bonus_bps(&self, points: u64) -> u32 {
        let steps = points / self.points_per_step.max(1);
        let bonus = steps.saturating_mul(u64::from(self.step_bps));
        u32::try_from(bonus.min(u64::from(self.max_bps))).unwrap_or(self.max_bps)
    }
}

impl Intent {
    /// The intent with its three caps grown by `bonus_bps` (rounded down, saturating). Growth
    /// keeps the caps' order, so a valid intent stays valid.
    pub fn grown(&self, bonus_bps: u32) -> Intent {
        if bonus_bps == 0 {
            return self.clone();
        }
        let grow = |cap: Amount| {
            let factor = 10_000u128 + u128::from(bonus_bps);
            match cap.checked_mul(factor) {
                Some(v) => v / 10_000,
                None => (cap / 10_000).saturating_mul(factor),
            }
        };
        Intent {
            per_tx_cap: grow(self.per_tx_cap),
            period_cap: grow(self.period_cap),
            total_cap: grow(self.total_cap),
            ..self.clone()
        }
    }
}

/// Adds `amount` to `state` in `period`, checking `period_cap` and `total_cap`.
fn record(
    state: &SpendState,
    period: u64,
    amount: Amount,
    period_cap: Amount,
    total_cap: Amount,
) -> Result<SpendState, RuleError> {
    if state.period_index > period {
        return Err(RuleError::StateFromFuture {
            state_period: state.period_index,
            period,
        });
    }
    let spent_period = state.spent_in(period);
    let new_period = spent_period
        .checked_add(amount)
        .ok_or(RuleError::Overflow)?;
    if new_period > period_cap {
        return Err(RuleError::PeriodCapExceeded {
            amount,
            cap: period_cap,
            spent: spent_period,
            period,
        });
    }
    let new_total = state
        .spent_total
        .checked_add(amount)
        .ok_or(RuleError::Overflow)?;
    if new_total > total_cap {
        return Err(RuleError::TotalCapExceeded {
            amount,
            cap: total_cap,
            spent: state.spent_total,
        });
    }
    Ok(SpendState {
        spent_total: new_total,
        period_index: period,
        spent_in_period: new_period,
    })
}

/// Checks one payment by a session against every rule of its scope and its intent, and returns
/// the updated counters; on any error nothing is recorded (the input ledger is unchanged).
///
/// Rules, in the order they are checked (the first failing one is reported):
/// 1. the scope names the intent and its call kinds and payees are within the intent's (its
///    caps and expiry need not be: the smaller of the scope's and the intent's binds, so a
///    session opened while the caps had grown further keeps working within the caps of now);
/// 2. `revoked` (the module's flag for the session, its agent or its intent) → `SessionRevoked`;
/// 3. `now < intent.start_height` → `NotYetActive`;
/// 4. `now ≥` the session's or the intent's `expires_at` → `SessionExpired`;
/// 5. asset other than the intent's → `AssetNotAllowed`;
/// 6. call kind outside the session's allowed calls → `CallNotAllowed`;
/// 7. payee outside the session's allowed payees → `PayeeNotAllowed`;
/// 8. amount above the session's or the intent's per-transaction cap → `CapPerTxExceeded`;
/// 9. the session's period and total caps, then the intent's (shared by all its sessions) →
///    `PeriodCapExceeded` / `TotalCapExceeded`.
///
/// (Checks 6 and 7 against the session suffice: step 1 guarantees its sets are subsets of the
/// intent's.)
pub fn check_and_record(
    intent: &Intent,
    scope: &SessionScope,
    revoked: bool,
    ledger: &Ledger,
    now: Height,
    payment: &Payment,
) -> Result<Ledger, RuleError> {
    check_and_record_grown(intent, 0, scope, revoked, ledger, now, payment)
}

/// [`check_and_record`] with the intent's caps grown by `bonus_bps` ([`CapGrowth`]).
pub fn check_and_record_grown(
    signed: &Intent,
    bonus_bps: u32,
    scope: &SessionScope,
    revoked: bool,
    ledger: &Ledger,
    now: Height,
    payment: &Payment,
) -> Result<Ledger, RuleError> {
    if scope.intent_hash != signed.hash() {
        return Err(RuleError::ScopeNotWithinIntent {
            detail: "intent_hash does not name this intent".into(),
        });
    }
    let grown = signed.grown(bonus_bps);
    let intent = &grown;
    scope_subset(intent, scope, false)?;
    if revoked {
        return Err(RuleError::SessionRevoked);
    }
    if now < intent.start_height {
        return Err(RuleError::NotYetActive {
            start_height: intent.start_height,
            now,
        });
    }
    let expires_at = scope.expires_at.min(intent.expires_at);
    if now >= expires_at {
        return Err(RuleError::SessionExpired { expires_at, now });
    }
    if payment.asset != intent.asset {
        return Err(RuleError::AssetNotAllowed {
            asset: payment.asset,
            allowed: intent.asset,
        });
    }
    if !scope.allowed_calls.contains(&payment.call_kind) {
        return Err(RuleError::CallNotAllowed {
            call_kind: payment.call_kind,
        });
    }
    if let Some(payees) = &scope.allowed_payees
        && !payees.contains(&payment.payee)
    {
        return Err(RuleError::PayeeNotAllowed {
            payee: payment.payee,
        });
    }
    let per_tx = scope.per_tx_cap.min(intent.per_tx_cap);
    if payment.amount > per_tx {
        return Err(RuleError::CapPerTxExceeded {
            amount: payment.amount,
            cap: per_tx,
        });
    }
    let period = intent.period_of(now);
    let session = record(
        &ledger.session,
        period,
        payment.amount,
        scope.period_cap,
        scope.total_cap,
    )?;
    let intent_state = record(
        &ledger.intent,
        period,
        payment.amount,
        intent.period_cap,
        intent.total_cap,
    )?;
    Ok(Ledger {
        intent: intent_state,
        session,
    })
}
