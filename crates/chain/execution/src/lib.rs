//! Synod's deterministic state machine.
//!
//! This crate owns what a block *does*: building genesis state, executing transactions in
//! order (fee first, then the call in its own copy-on-write overlay so that a failed call leaves
//! no trace but the fee and nonce), producing receipts and events, computing the new state
//! root, and checking that a proposed block's header matches its execution. It is pure with
//! respect to its inputs: no clock, no randomness, no I/O other than reads through a
//! [`synod_storage::StateView`], and every collection it iterates is ordered.
//!
//! It must not hold module logic or name a module: calls and end-of-block hooks go through
//! `synod_runtime::Runtime`, fees through the bank.
//!
//! Modules are crates of their own (`synod-bank`, `synod-subnets`, ...), each owning a key
//! prefix in state; the executor knows none of them: it charges the fee through the bank (the
//! native ledger every transaction pays in), hands the call to [`synod_runtime::Runtime`],
//! which dispatches it to its module, and after a block's transactions runs every module's
//! end-of-block hook ([`Executor::end_block`]) inside the block's overlay, before the state
//! root is computed. It must not hold module logic. Events of the hook go into an end-block receipt
//! that follows the transactions' receipts (see
//! [`synod_primitives::receipt::end_block_receipt_hash`]); blocks whose hook emits nothing have
//! none.

pub mod executor;

pub use executor::{BlockError, BuiltBlock, ExecutedBlock, Executor, RejectedTx};
pub use synod_runtime::bank;
pub use synod_runtime::bank::AccountInfo;
pub use synod_runtime::{subnets, tokens, validators};
