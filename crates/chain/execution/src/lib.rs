//! Synod's deterministic state machine.
//!
//! This crate owns what a block *does*: building genesis state, executing transactions in
//! order (fee first, then the call in its own copy-on-write overlay so that a failed call leaves
//! no trace but the fee and nonce), producing receipts and events, computing the new state
//! root, and checking that a proposed block's header matches its execution. It is pure with
//! respect to its inputs: no clock, no randomness, no I/O other than reads through a
//! [`synod_storage::StateView`], and every collection it iterates is ordered.
//!
//! Modules are crates of their own (`synod-bank`, `synod-subnets`, ...), each owning a key
//! prefix in state; the executor dispatches calls to them (`Call::Subnets` goes to
//! [`synod_subnets::dispatch`], `Call::Validators` to [`synod_validators::dispatch`]) and,
//! after a block's transactions, runs the per-block hook [`Executor::end_block`] (subnet
//! emission and epochs, then the validator set at an epoch's last block) inside the block's
//! overlay, before the state root is computed. Events of the hook go into an end-block receipt
//! that follows the transactions' receipts (see
//! [`synod_primitives::receipt::end_block_receipt_hash`]); blocks whose hook emits nothing have
//! none.

pub mod executor;

pub use executor::{BlockError, BuiltBlock, ExecutedBlock, Executor, RejectedTx};
pub use synod_bank as bank;
pub use synod_bank::AccountInfo;
pub use synod_subnets as subnets;
pub use synod_validators as validators;
