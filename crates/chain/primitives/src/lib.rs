//! Synod's core types and their one canonical binary encoding.
//!
//! This crate owns everything that crosses a boundary between components or between nodes:
//! hashes, account identifiers, keys and signatures, the native token's units, transactions
//! (unsigned body, signing payload, signed envelope), block headers and blocks, receipts and
//! events, and the genesis description. It performs no I/O and holds no state.
//!
//! Encoding is [borsh](https://borsh.io): fixed-width little-endian integers, length-prefixed
//! sequences, one byte enum tags. It is canonical (one byte string per value), and every decoder
//! here rejects trailing bytes and enforces a size limit before allocating, so bytes from the
//! network can be decoded safely.

pub mod account;
pub mod block;
pub mod codec;
pub mod genesis;
pub mod hash;
pub mod keys;
pub mod receipt;
pub mod subnet_params;
pub mod subnets;
pub mod token;
pub mod tx;
pub mod validators;

pub use account::{AccountId, Signature};
pub use block::{Block, Header};
pub use codec::{CodecError, decode_exact, encode};
pub use genesis::{Genesis, GenesisAccount, GenesisValidator};
pub use hash::Hash;
pub use keys::Keypair;
pub use receipt::{Event, Receipt, TxFailure, TxOutcome};
pub use subnet_params::{SubnetHyperparams, SubnetParams, SubnetParamsError};
pub use subnets::{NetUid, SubnetCall, SubnetEvent, SubnetFailure, Uid};
pub use token::Balance;
pub use tx::{Call, SignedTransaction, Transaction, TxError};
pub use validators::{StakingParams, ValidatorCall, ValidatorEvent, ValidatorFailure};

/// Block height. Genesis is height 0.
pub type Height = u64;
/// Per-account transaction counter; the next transaction must carry exactly this value.
pub type Nonce = u64;
