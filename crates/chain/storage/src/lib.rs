//! Synod's embedded storage and authenticated state.
//!
//! This crate owns everything on disk that the chain itself writes (consensus data lives in the
//! engine's own journals): one redb database with
//! - the current state as raw key/value pairs (fast reads, prefix scans),
//! - the Jellyfish Merkle Tree nodes and versioned values that commit to the state
//!   ([`commitment`]), one tree version per block height,
//! - finalized blocks, their finalization certificates, receipts and a transaction index.
//!
//! It must not interpret state values or know any module; blocks and receipts are stored
//! generically over the chain's types.
//!
//! Execution never writes to the database directly. It reads through a [`StateView`] (the last
//! committed snapshot plus the deltas of executed-but-unfinalized ancestor blocks) and produces a
//! [`ChangeSet`]; the block's [`PendingBlock`] carries those changes and the tree nodes they
//! create. Only [`Store::commit_block`] makes a block durable, in one redb transaction, so a
//! crash leaves either the whole block or none of it.

pub mod commitment;
pub mod delta;
pub mod store;
pub mod typed;

pub use commitment::{StateProof, compute_state_root};
pub use delta::{ChangeSet, MemState, PendingBlock, StateRead, StateView};
pub use store::{BlockCommit, HistoricState, Snapshot, Store};

/// Storage failures. These are environmental (disk, corruption), never caused by user input.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// Stored bytes did not decode: the database is corrupt or from an incompatible version.
    #[error("corrupt record in {table}: {reason}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The state commitment failed.
    #[error("state commitment error: {0}")]
    Commitment(String),
    /// A block was committed out of order.
    #[error("block {got} does not follow committed height {committed:?}")]
    OutOfOrder {
        /// Height being committed.
        got: u64,
        /// Height already committed.
        committed: Option<u64>,
    },
    /// A read asked for the state of a block this store has not committed.
    #[error("block {height} is not committed yet (the newest committed block is {head})")]
    NotCommitted {
        /// The height asked for.
        height: u64,
        /// The newest committed height.
        head: u64,
    },
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self {
                StorageError::Database(e.to_string())
            }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result alias.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
