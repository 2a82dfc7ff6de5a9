//! One-way payment channels: a payer deposits, then pays the payee off chain by co-signing
//! [`ChannelState`]s whose `cumulative_paid` only grows and whose `nonce` strictly increases.
//!
//! Chosen design: one-way (payer → payee) with a monotone cumulative amount, the common case for
//! an agent paying a service per call; the payee only ever needs to keep the latest state.
//! Both parties sign every state (the off-chain library refuses to co-sign a state whose nonce is
//! not higher or whose cumulative amount is lower than the last one, see [`ChannelState::next`]);
//! on chain the higher nonce wins.
//!
//! Closing:
//! * cooperative: both sign the final state under a *separate* domain tag
//!   ([`CHANNEL_CLOSE_TAG`]); it settles at once. An ordinary update signature can never close a
//!   channel without a challenge window, so a payer cannot settle instantly on a stale state.
//! * unilateral: either party posts its latest co-signed state (or none: nonce 0, nothing paid)
//!   and a challenge window of `challenge_period` blocks starts; during it anyone may post a state
//!   with a higher nonce, which replaces the pending one (the window is not extended). From the
//!   end of the window, [`Channel::settle`] pays the payee the pending `cumulative_paid` and the
//!   payer the rest of the deposit.

use crate::Amount;
use crate::intent::Asset;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Hash, Height, Signature};

/// Domain tag of [`channel_id`].
pub const CHANNEL_ID_TAG: &str = "synod/agents/channel-id/v1";
/// Domain tag that starts the signing payload of an off-chain state update.
pub const CHANNEL_STATE_TAG: &[u8] = b"synod/agents/channel-state/v1";
/// Domain tag that starts the signing payload of a cooperative close.
pub const CHANNEL_CLOSE_TAG: &[u8] = b"synod/agents/channel-close/v1";

/// A channel's id: BLAKE3 under [`CHANNEL_ID_TAG`] of the borsh encoding of
/// `(payer, payee, asset, salt)`; the module picks `salt` (for example the payer's nonce) so
/// that ids never repeat.
pub fn channel_id(payer: &AccountId, payee: &AccountId, asset: Asset, salt: u64) -> Hash {
    Hash::tagged(
        CHANNEL_ID_TAG,
        &synod_primitives::encode(&(payer, payee, asset, salt)),
    )
}

/// An off-chain balance: after `nonce` updates, the payer has paid `cumulative_paid` in total.
///
/// Encoding (borsh): `channel_id` 32 bytes, `nonce` u64, `cumulative_paid` u128, little endian.
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
pub struct ChannelState {
    /// The channel.
    pub channel_id: Hash,
    /// Update counter; a higher nonce overrides a lower one.
    pub nonce: u64,
    /// Total paid to the payee so far.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub cumulative_paid: Amount,
}

impl ChannelState {
    /// The state before any payment: nonce 0, nothing paid.
    pub fn initial(channel_id: Hash) -> Self {
        ChannelState {
            channel_id,
            nonce: 0,
            cumulative_paid: 0,
        }
    }

    /// The bytes both parties sign for an update: [`CHANNEL_STATE_TAG`] then the borsh
    /// encoding of the state (pinned by a golden test).
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut m = CHANNEL_STATE_TAG.to_vec();
        m.extend_from_slice(&synod_primitives::encode(self));
        m
    }

    /// The bytes both parties sign to close cooperatively at this state: [`CHANNEL_CLOSE_TAG`]
    /// then the borsh encoding of the state.
    pub fn close_payload(&self) -> Vec<u8> {
        let mut m = CHANNEL_CLOSE_TAG.to_vec();
        m.extend_from_slice(&synod_primitives::encode(self));
        m
    }

    /// The next state after paying `amount` more: nonce + 1, cumulative + amount (checked).
    pub fn next(&self, amount: Amount) -> Result<ChannelState, ChannelError> {
        Ok(ChannelState {
            channel_id: self.channel_id,
            nonce: self.nonce.checked_add(1).ok_or(ChannelError::Overflow)?,
            cumulative_paid: self
                .cumulative_paid
                .checked_add(amount)
                .ok_or(ChannelError::Overflow)?,
        })
    }
}

/// A state with both parties' signatures (over [`ChannelState::signing_payload`] for an update,
/// over [`ChannelState::close_payload`] for a cooperative close).
///
/// Encoding (borsh): `state`, `payer_sig` 64 bytes, `payee_sig` 64 bytes.
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
pub struct SignedChannelState {
    /// The state.
    pub state: ChannelState,
    /// The payer's signature.
    pub payer_sig: Signature,
    /// The payee's signature.
    pub payee_sig: Signature,
}

/// Where a channel stands. Encoding (borsh): tag `0` Open, `1` Closing and its fields, `2`
/// Closed.
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
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum ChannelPhase {
    /// Open for off-chain payments.
    Open,
    /// A unilateral close is pending: the best state posted so far and the window's end.
    Closing {
        /// Nonce of the pending state.
        nonce: u64,
        /// Amount of the pending state.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cumulative_paid: Amount,
        /// First height at which the channel may be settled (and no state may be posted).
        challenge_ends: Height,
    },
    /// Settled; nothing remains in the channel.
    Closed,
}

/// A channel as the chain stores it.
///
/// Encoding (borsh, field order as declared): `id` 32 bytes, `payer`, `payee` 32 bytes each,
/// `asset`, `deposit` u128, `challenge_period` u64, `phase` ([`ChannelPhase`]).
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
pub struct Channel {
    /// [`channel_id`].
    pub id: Hash,
    /// Deposits and pays.
    pub payer: AccountId,
    /// Is paid.
    pub payee: AccountId,
    /// The asset deposited.
    pub asset: Asset,
    /// The deposit held by the channel.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub deposit: Amount,
    /// Length of the challenge window of a unilateral close, in blocks.
    pub challenge_period: u64,
    /// Where it stands.
    pub phase: ChannelPhase,
}

/// The final split of a channel's deposit (the two amounts sum to the deposit).
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
pub struct Settlement {
    /// The asset.
    pub asset: Asset,
    /// The payee.
    pub payee: AccountId,
    /// Paid to the payee: the final state's `cumulative_paid`.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub to_payee: Amount,
    /// The payer.
    pub payer: AccountId,
    /// Returned to the payer: the rest of the deposit.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub to_payer: Amount,
}

/// Which party a signature failed for.
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
pub enum Party {
    /// The payer.
    Payer,
    /// The payee.
    Payee,
}

/// Why a channel operation was refused; the channel is unchanged.
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
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelError {
    /// Malformed opening parameters.
    #[error("invalid channel: {detail}")]
    InvalidChannel {
        /// Which parameter.
        detail: String,
    },
    /// The state names another channel.
    #[error("state is for channel {got}, not {expected}")]
    WrongChannel {
        /// The state's channel id.
        got: Hash,
        /// This channel's id.
        expected: Hash,
    },
    /// A signature does not verify.
    #[error("the {party:?}'s signature does not verify")]
    BadSignature {
        /// Whose.
        party: Party,
    },
    /// The state pays more than the deposit.
    #[error("cumulative_paid {cumulative_paid} exceeds the deposit {deposit}")]
    ExceedsDeposit {
        /// The state's amount.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        cumulative_paid: Amount,
        /// The deposit.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        deposit: Amount,
    },
    /// The operation needs another phase.
    #[error("cannot {operation} a channel that is {phase}")]
    WrongPhase {
        /// The operation.
        operation: String,
        /// The channel's phase.
        phase: String,
    },
    /// The actor is neither payer nor payee.
    #[error("{actor} is not a party to the channel")]
    NotAParty {
        /// Who tried.
        actor: AccountId,
    },
    /// A challenge with a state no newer than the pending one.
    #[error("stale state: nonce {offered} is not above the pending {pending}")]
    StaleState {
        /// The offered nonce.
        offered: u64,
        /// The pending nonce.
        pending: u64,
    },
    /// A challenge after the window closed.
    #[error("challenge window closed at {challenge_ends} (now {now})")]
    ChallengeWindowClosed {
        /// End of the window.
        challenge_ends: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// A settlement before the window closed.
    #[error("challenge window open until {challenge_ends} (now {now})")]
    ChallengeWindowOpen {
        /// End of the window.
        challenge_ends: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// Arithmetic overflow.
    #[error("overflow")]
    Overflow,
}

impl ChannelError {
    /// The stable snake_case name of the error.
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelError::InvalidChannel { .. } => "invalid_channel",
            ChannelError::WrongChannel { .. } => "wrong_channel",
            ChannelError::BadSignature { .. } => "bad_signature",
            ChannelError::ExceedsDeposit { .. } => "exceeds_deposit",
            ChannelError::WrongPhase { .. } => "wrong_phase",
            ChannelError::NotAParty { .. } => "not_a_party",
            ChannelError::StaleState { .. } => "stale_state",
            ChannelError::ChallengeWindowClosed { .. } => "challenge_window_closed",
            ChannelError::ChallengeWindowOpen { .. } => "challenge_window_open",
            ChannelError::Overflow => "overflow",
        }
    }
}

impl ChannelPhase {
    fn name(&self) -> &'static str {
        match self {
            ChannelPhase::Open => "open",
            ChannelPhase::Closing { .. } => "closing",
            ChannelPhase::Closed => "closed",
        }
    }
}

impl Channel {
    /// Opens a channel (the module moves `deposit` from the payer into the channel).
    pub fn open(
        payer: AccountId,
        payee: AccountId,
        asset: Asset,
        deposit: Amount,
        challenge_period: u64,
        salt: u64,
    ) -> Result<Channel, ChannelError> {
        let bad = |r: &str| {
            Err(ChannelError::InvalidChannel {
                detail: r.to_string(),
            })
        };
        if payer == payee {
            return bad("payer and payee must differ");
        }
        if deposit == 0 {
            return bad("deposit must be positive");
        }
        if challenge_period == 0 {
            return bad("challenge_period must be positive");
        }
        Ok(Channel {
            id: channel_id(&payer, &payee, asset, salt),
            payer,
            payee,
            asset,
            deposit,
            challenge_period,
            phase: ChannelPhase::Open,
        })
    }

    fn wrong_phase(&self, operation: &str) -> ChannelError {
        ChannelError::WrongPhase {
            operation: operation.to_string(),
            phase: self.phase.name().to_string(),
        }
    }

    /// Checks `signed` belongs to this channel, stays within the deposit and carries both
    /// parties' signatures over `payload` (the chain's one signature rule).
    fn verify(&self, signed: &SignedChannelState, payload: &[u8]) -> Result<(), ChannelError> {
        let s = &signed.state;
        if s.channel_id != self.id {
            return Err(ChannelError::WrongChannel {
                got: s.channel_id,
                expected: self.id,
            });
        }
        if s.cumulative_paid > self.deposit {
            return Err(ChannelError::ExceedsDeposit {
                cumulative_paid: s.cumulative_paid,
                deposit: self.deposit,
            });
        }
        self.payer
            .verify(payload, &signed.payer_sig)
            .map_err(|_| ChannelError::BadSignature {
                party: Party::Payer,
            })?;
        self.payee
            .verify(payload, &signed.payee_sig)
            .map_err(|_| ChannelError::BadSignature {
                party: Party::Payee,
            })
    }

    /// Checks an update signed by both (over [`ChannelState::signing_payload`]).
    pub fn verify_update(&self, signed: &SignedChannelState) -> Result<(), ChannelError> {
        self.verify(signed, &signed.state.signing_payload())
    }

    fn settlement(&self, cumulative_paid: Amount) -> Result<Settlement, ChannelError> {
        let to_payer =
            self.deposit
                .checked_sub(cumulative_paid)
                .ok_or(ChannelError::ExceedsDeposit {
                    cumulative_paid,
                    deposit: self.deposit,
                })?;
        Ok(Settlement {
            asset: self.asset,
            payee: self.payee,
            to_payee: cumulative_paid,
            payer: self.payer,
            to_payer,
        })
    }

    fn closed(&self) -> Channel {
        let mut next = self.clone();
        next.phase = ChannelPhase::Closed;
        next
    }

    /// Cooperative close: both signed `close` over [`ChannelState::close_payload`]; settles at
    /// once, from Open or during a pending unilateral close.
    pub fn cooperative_close(
        &self,
        close: &SignedChannelState,
    ) -> Result<(Channel, Settlement), ChannelError> {
        if self.phase == ChannelPhase::Closed {
            return Err(self.wrong_phase("close"));
        }
        self.verify(close, &close.state.close_payload())?;
        let settlement = self.settlement(close.state.cumulative_paid)?;
        Ok((self.closed(), settlement))
    }

    /// Unilateral close by `actor` (payer or payee) at `now` with its latest co-signed state
    /// (`None` = nothing was ever paid); starts the challenge window.
    pub fn start_close(
        &self,
        actor: &AccountId,
        latest: Option<&SignedChannelState>,
        now: Height,
    ) -> Result<Channel, ChannelError> {
        if self.phase != ChannelPhase::Open {
            return Err(self.wrong_phase("start closing"));
        }
        if *actor != self.payer && *actor != self.payee {
            return Err(ChannelError::NotAParty { actor: *actor });
        }
        let state = match latest {
            Some(signed) => {
                self.verify_update(signed)?;
                signed.state
            }
            None => ChannelState::initial(self.id),
        };
        let challenge_ends = now
            .checked_add(self.challenge_period)
            .ok_or(ChannelError::Overflow)?;
        let mut next = self.clone();
        next.phase = ChannelPhase::Closing {
            nonce: state.nonce,
            cumulative_paid: state.cumulative_paid,
            challenge_ends,
        };
        Ok(next)
    }

    /// During the challenge window, replaces the pending state with a newer co-signed one
    /// (strictly higher nonce). Anyone may post it: the signatures are the authority.
    pub fn challenge(
        &self,
        newer: &SignedChannelState,
        now: Height,
    ) -> Result<Channel, ChannelError> {
        let ChannelPhase::Closing {
            nonce,
            challenge_ends,
            ..
        } = self.phase
        else {
            return Err(self.wrong_phase("challenge"));
        };
        if now >= challenge_ends {
            return Err(ChannelError::ChallengeWindowClosed {
                challenge_ends,
                now,
            });
        }
        self.verify_update(newer)?;
        if newer.state.nonce <= nonce {
            return Err(ChannelError::StaleState {
                offered: newer.state.nonce,
                pending: nonce,
            });
        }
        let mut next = self.clone();
        next.phase = ChannelPhase::Closing {
            nonce: newer.state.nonce,
            cumulative_paid: newer.state.cumulative_paid,
            challenge_ends,
        };
        Ok(next)
    }

    /// From the end of the challenge window: closes the channel and splits the deposit by the
    /// pending state.
    pub fn settle(&self, now: Height) -> Result<(Channel, Settlement), ChannelError> {
        let ChannelPhase::Closing {
            cumulative_paid,
            challenge_ends,
            ..
        } = self.phase
        else {
            return Err(self.wrong_phase("settle"));
        };
        if now < challenge_ends {
            return Err(ChannelError::ChallengeWindowOpen {
                challenge_ends,
                now,
            });
        }
        let settlement = self.settlement(cumulative_paid)?;
        Ok((self.closed(), settlement))
    }
}
