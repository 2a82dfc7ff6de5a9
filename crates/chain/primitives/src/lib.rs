//! Synod's core types and their one canonical binary encoding.
//!
//! This crate owns what every module and every component shares: hashes, account identifiers,
//! keys and signatures, the native token's units, the codec, and the envelopes around module
//! content: the transaction (body, signing payload, signed envelope), block headers and blocks,
//! and the receipt. The envelopes are generic over the chain's call, event and failure types,
//! which the composition crate (`synod-runtime`) builds from the modules' own types; this crate
//! must not know any module. It performs no I/O and holds no state.
//!
//! Encoding is [borsh](https://borsh.io): fixed-width little-endian integers, length-prefixed
//! sequences, one byte enum tags. It is canonical (one byte string per value), and every decoder
//! here rejects trailing bytes and enforces a size limit before allocating, so bytes from the
//! network can be decoded safely.

pub mod account;
pub mod block;
pub mod codec;
pub mod hash;
pub mod json;
pub mod keys;
pub mod mnemonic;
pub mod receipt;
pub mod signature;
pub mod token;
pub mod tx;

pub use account::{AccountId, Signature};
pub use block::{Block, Header};
pub use codec::{CodecError, decode_exact, encode};
pub use hash::Hash;
pub use keys::Keypair;
pub use receipt::{Receipt, TxOutcome};
pub use token::Balance;
pub use tx::{CallWeight, FeeSchedule, SignedTransaction, Transaction, TxError};

/// Block height. Genesis is height 0.
pub type Height = u64;
/// Per-account transaction counter; the next transaction must carry exactly this value.
pub type Nonce = u64;
