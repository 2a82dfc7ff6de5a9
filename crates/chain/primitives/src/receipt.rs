//! Receipts and events: what executing a transaction did.

use crate::account::AccountId;
use crate::hash::Hash;
use crate::subnets::{SubnetEvent, SubnetFailure};
use crate::token::Balance;
use crate::validators::{ValidatorEvent, ValidatorFailure};
use crate::{Height, Nonce};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Something that happened during execution, for indexers, wallets and subscriptions.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
    /// A subnet module event.
    Subnet(SubnetEvent),
    /// A validator-set module event.
    Validator(ValidatorEvent),
}

/// Why an included transaction's call failed. The fee was still charged and the nonce still
/// advanced; every other effect of the call was discarded.
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
)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum TxFailure {
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
    /// A subnet call failed.
    #[error(transparent)]
    Subnet(SubnetFailure),
    /// A validator-set call failed.
    #[error(transparent)]
    Validator(ValidatorFailure),
}

impl From<ValidatorFailure> for TxFailure {
    fn from(f: ValidatorFailure) -> Self {
        TxFailure::Validator(f)
    }
}

impl From<SubnetFailure> for TxFailure {
    fn from(f: SubnetFailure) -> Self {
        TxFailure::Subnet(f)
    }
}

/// Whether the call took effect.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxOutcome {
    /// The call's effects were applied.
    Success,
    /// The call failed; only the fee and nonce took effect.
    Failed {
        /// Why.
        failure: TxFailure,
    },
}

/// The stored result of one included transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Receipt {
    /// Transaction hash.
    pub tx_hash: Hash,
    /// Block height it was included in.
    pub height: Height,
    /// Position within the block.
    pub index: u32,
    /// Sender.
    pub sender: AccountId,
    /// Nonce it consumed.
    pub nonce: Nonce,
    /// Fee charged.
    pub fee_paid: Balance,
    /// Success or the typed failure.
    pub outcome: TxOutcome,
    /// Events emitted, fee event first.
    pub events: Vec<Event>,
}

/// The `tx_hash` of a block's end-block receipt: the receipt that carries the events of the
/// per-block hook (e.g. a new validator set). It follows the transactions' receipts (index =
/// number of transactions) and exists only when the hook emitted events.
pub fn end_block_receipt_hash(height: Height) -> Hash {
    Hash::tagged("synod/end-block", &height.to_le_bytes())
}

impl Receipt {
    /// Whether this is a block's end-block receipt rather than a transaction's.
    pub fn is_end_block(&self) -> bool {
        self.tx_hash == end_block_receipt_hash(self.height)
    }

    /// Hash committed in the block's receipts root.
    pub fn hash(&self) -> Hash {
        Hash::tagged("synod/receipt", &crate::codec::encode(self))
    }
}
