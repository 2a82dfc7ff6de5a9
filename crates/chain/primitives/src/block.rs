//! Blocks and headers.

use crate::Height;
use crate::account::AccountId;
use crate::codec::{CodecError, decode_exact, encode};
use crate::hash::{Hash, merkle_root};
use crate::tx::{CallWeight, SignedTransaction};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Largest accepted encoded block, in bytes.
pub const MAX_BLOCK_SIZE: usize = 8 * 1024 * 1024;
/// Most transactions in one block.
pub const MAX_BLOCK_TXS: usize = 20_000;

/// A block header. Its hash names the block.
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
pub struct Header {
    /// Height; genesis is 0.
    pub height: Height,
    /// Hash of the parent header ([`Hash::ZERO`] for genesis).
    pub parent: Hash,
    /// Proposer's clock in milliseconds since the Unix epoch; strictly increasing.
    pub timestamp_ms: u64,
    /// Account that proposed the block and collects its fees.
    pub proposer: AccountId,
    /// Merkle root of the transaction hashes.
    pub tx_root: Hash,
    /// Merkle root of the receipt hashes.
    pub receipts_root: Hash,
    /// Root of the authenticated state after executing this block.
    pub state_root: Hash,
}

impl Header {
    /// The block hash.
    pub fn hash(&self) -> Hash {
        Hash::tagged("synod/header", &encode(self))
    }
}

/// A header and its transactions.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block<C> {
    /// The header.
    pub header: Header,
    /// Transactions in execution order.
    pub txs: Vec<SignedTransaction<C>>,
}

impl<C> Block<C> {
    /// The block hash (its header's hash).
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Height shortcut.
    pub fn height(&self) -> Height {
        self.header.height
    }
}

impl<C: BorshSerialize + BorshDeserialize + CallWeight> Block<C> {
    /// Canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes wire bytes, enforcing [`MAX_BLOCK_SIZE`] and [`MAX_BLOCK_TXS`].
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let block: Block<C> = decode_exact(bytes, MAX_BLOCK_SIZE)?;
        if block.txs.len() > MAX_BLOCK_TXS {
            return Err(CodecError::Malformed(format!(
                "{} transactions, over the limit of {MAX_BLOCK_TXS}",
                block.txs.len()
            )));
        }
        Ok(block)
    }

    /// Merkle root of the given transactions' hashes.
    pub fn compute_tx_root(txs: &[SignedTransaction<C>]) -> Hash {
        let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
        merkle_root(&hashes)
    }
}
