//! Synod's agent-payment rules: the pure, deterministic foundation of issue 13 ("agents and
//! payments").
//!
//! This crate owns three state machines and the types they act on, designed as future on-chain
//! encodings (borsh, canonical; serde for JSON views):
//!
//! * [`intent`]: a user's standing [`Intent`] for an agent, the [`SessionScope`]s an agent opens
//!   under it, and [`check_and_record`], which enforces every spending rule (per-transaction,
//!   total and per-period caps, expiry, allowed call kinds, payees and asset, revocation) against
//!   both the session and the intent, and returns the new spend counters.
//! * [`deal`]: escrowed agent-to-agent deals: terms and their hash, the
//!   proposed → committed → funded → delivered → accepted | rejected → disputed → resolved
//!   machine (plus cancelled and expired), [`deal::step`] for signed actions and [`deal::tick`]
//!   for deadlines, each returning who receives escrowed funds.
//! * [`channel`]: one-way payment channels (payer → payee, monotone cumulative amount): signed
//!   off-chain states, cooperative close, unilateral close with a challenge window, settlement.
//!
//! What it must not do: no I/O, no chain state, no wall clock (time is block [`Height`]), no
//! floats, no iteration over hash maps. Every function takes the current state as a value and
//! returns the next one (or a specific error, leaving the input untouched); amounts move only
//! through checked arithmetic. A module crate stores these types, moves the funds named in the
//! returned transfers, and calls these functions at mempool admission and in execution.
//! Signatures are checked only through [`synod_primitives::AccountId::verify`], the chain's one
//! signature rule.

pub mod channel;
pub mod deal;
pub mod intent;

pub use channel::{
    Channel, ChannelError, ChannelPhase, ChannelState, Party, Settlement, SignedChannelState,
};
pub use deal::{Action, Deal, DealError, DealState, Terms, Transfer};
pub use intent::{
    Asset, CallKind, CapGrowth, Intent, Ledger, MAX_GROWTH_BPS, Payment, RuleError, SessionScope,
    SpendState, check_and_record, check_and_record_grown, record_points, scope_within,
    scope_within_grown,
};
pub use synod_primitives::Height;

/// An amount of the paid asset in its base units. `u128` so that both SYN (`u64` base units)
/// and tokens (`u128` base units) fit; the module converts and refuses SYN amounts above
/// `u64::MAX`.
pub type Amount = u128;
