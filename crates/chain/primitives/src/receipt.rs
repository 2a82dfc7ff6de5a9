//! Receipts: what executing a transaction did. Generic over the chain's event type `E` and
//! failure type `F`, which the composition crate builds from the modules' own.

use crate::account::AccountId;
use crate::hash::Hash;
use crate::token::Balance;
use crate::{Height, Nonce};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Whether the call took effect.
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
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxOutcome<F> {
    /// The call's effects were applied.
    Success,
    /// The call failed; only the fee and nonce took effect.
    Failed {
        /// Why.
        failure: F,
    },
}

/// The stored result of one included transaction.
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
pub struct Receipt<E, F> {
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
    pub outcome: TxOutcome<F>,
    /// Events emitted, fee event first.
    pub events: Vec<E>,
}

/// The `tx_hash` of a block's end-block receipt: the receipt that carries the events of the
/// per-block hook (e.g. a new validator set). It follows the transactions' receipts (index =
/// number of transactions) and exists only when the hook emitted events.
pub fn end_block_receipt_hash(height: Height) -> Hash {
    Hash::tagged("synod/end-block", &height.to_le_bytes())
}

impl<E: BorshSerialize, F: BorshSerialize> Receipt<E, F> {
    /// Whether this is a block's end-block receipt rather than a transaction's.
    pub fn is_end_block(&self) -> bool {
        self.tx_hash == end_block_receipt_hash(self.height)
    }

    /// Hash committed in the block's receipts root.
    pub fn hash(&self) -> Hash {
        Hash::tagged("synod/receipt", &crate::codec::encode(self))
    }
}
