//! The bank's wire types: its calls, events, failures and genesis section. Their borsh tags are
//! the chain's outer tags (the bank's variants come first in the chain's `Call`, `Event` and
//! `TxFailure`, as they did before modules had types of their own), so they are appended to,
//! never reordered.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::codec::encode;
use synod_primitives::{AccountId, Balance, Signature};

/// Calls of the bank.
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
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BankCall {
    /// Move `amount` base units from the sender to `to`.
    Transfer {
        /// Recipient.
        to: AccountId,
        /// Amount in base units.
        amount: Balance,
    },
    /// Bind `hotkey` to the sender (its coldkey). `proof` is the hotkey's signature over
    /// [`hotkey_binding_message`], so nobody can claim a key they do not hold.
    BindHotkey {
        /// The operational key being bound.
        hotkey: AccountId,
        /// The hotkey's signature proving possession.
        proof: Signature,
    },
}

impl BankCall {
    /// Execution weight.
    pub fn weight(&self) -> u64 {
        match self {
            BankCall::Transfer { .. } => 1_000,
            BankCall::BindHotkey { .. } => 2_000,
        }
    }
}

/// The message a hotkey signs to be bound to `coldkey` on `chain_id`.
pub fn hotkey_binding_message(chain_id: &str, coldkey: &AccountId) -> Vec<u8> {
    let mut m = b"synod/bind-hotkey/v1".to_vec();
    m.extend_from_slice(&encode(&chain_id.to_string()));
    m.extend_from_slice(&coldkey.0);
    m
}

/// What the bank reports.
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
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BankEvent {
    /// A fee was charged to `payer` and paid to `collector`.
    FeePaid {
        /// Who paid.
        payer: AccountId,
        /// Who received it (the block's proposer).
        collector: AccountId,
        /// Amount in base units.
        amount: Balance,
    },
    /// Funds moved.
    Transfer {
        /// Sender.
        from: AccountId,
        /// Recipient.
        to: AccountId,
        /// Amount in base units.
        amount: Balance,
    },
    /// A hotkey was bound to a coldkey.
    HotkeyBound {
        /// The owning coldkey.
        coldkey: AccountId,
        /// The bound hotkey.
        hotkey: AccountId,
    },
}

/// Why a bank operation failed. Other modules that move SYN report these too (a stake larger
/// than the balance fails as [`BankFailure::InsufficientBalance`]).
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
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BankFailure {
    /// Not enough funds after the fee.
    #[error("insufficient balance: needed {needed}, available {available}")]
    InsufficientBalance {
        /// Required.
        needed: Balance,
        /// Held.
        available: Balance,
    },
    /// The recipient's balance would overflow.
    #[error("recipient balance would overflow")]
    BalanceOverflow,
    /// The hotkey is already bound to a coldkey.
    #[error("hotkey is already bound to {owner}")]
    HotkeyAlreadyBound {
        /// The current owner.
        owner: AccountId,
    },
    /// The hotkey's proof of possession does not verify.
    #[error("hotkey proof of possession does not verify")]
    InvalidHotkeyProof,
    /// A hotkey cannot be a key that already acts as a coldkey with funds, nor the sender.
    #[error("a coldkey cannot be bound as its own hotkey")]
    HotkeyIsColdkey,
}

impl synod_module::ModuleFailure for BankFailure {}

/// An account funded at genesis (the bank's genesis section is a list of these).
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
pub struct GenesisAccount {
    /// The account.
    pub account: AccountId,
    /// Its starting balance in base units.
    pub balance: Balance,
}
