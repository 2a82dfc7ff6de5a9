//! # synod-module — the contract between the chain and its modules
//!
//! Owns the [`Module`] lifecycle that every module crate implements (validate and write its
//! genesis section, dispatch its calls, run its end-of-block hook, price its calls), the outcome
//! of a call ([`CallError`]), the block context a call sees ([`BlockCtx`]), keyless module
//! accounts ([`module_account`], [`derived_account`]), and what a module's JSON-RPC methods are
//! built with ([`rpc`]: reading committed state off the async runtime, error codes, and the
//! method descriptions the node's `rpc.discover` document is made of).
//!
//! It must not know any module: the composition crate (`synod-runtime`) lists the modules and
//! builds the chain's `Call`, `Event` and `TxFailure` from their types. It performs no I/O of
//! its own and holds no state; everything here is deterministic.

pub mod rpc;

pub use rpc::{
    MethodDoc, OpenedTx, ParamDoc, RpcEnv, SchemaFn, SubmitRejection, TxSubmitter, read_latest,
};

use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
pub use synod_storage::typed::StateError;

/// What a module call sees besides state and its own parameters.
#[derive(Clone, Copy, Debug)]
pub struct BlockCtx<'a> {
    /// Height of the block being executed (the only clock a module has).
    pub height: u64,
    /// The chain id (signed messages such as proofs of possession bind it).
    pub chain_id: &'a str,
    /// Hash of the parent block (zero for block 0): the chain's only source of randomness.
    /// Its producer could grind it, so a module draws with it only at a height fixed before
    /// that block existed (see the assets module's juror draw).
    pub parent: Hash,
}

/// Marks a module's own failure type, so that `?` turns it into a [`CallError`].
pub trait ModuleFailure {}

/// A call either fails as the user's fault (recorded in the receipt with the fee kept and every
/// other effect discarded) or cannot run at all because state is unreadable (the block cannot
/// be executed on this node).
#[derive(Debug, thiserror::Error)]
pub enum CallError<F> {
    /// The transaction's call failed; the fee stays charged.
    #[error("call failed")]
    Failed(F),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

impl<F: ModuleFailure> From<F> for CallError<F> {
    fn from(f: F) -> Self {
        CallError::Failed(f)
    }
}

impl<F> CallError<F> {
    /// Converts the failure into a wider failure type (a module calling another).
    pub fn widen<G: From<F>>(self) -> CallError<G> {
        self.map_failure(G::from)
    }

    /// Maps the failure (a module reporting another's refusal in its own terms).
    pub fn map_failure<G>(self, f: impl FnOnce(F) -> G) -> CallError<G> {
        match self {
            CallError::Failed(x) => CallError::Failed(f(x)),
            CallError::State(e) => CallError::State(e),
        }
    }
}

/// The outcome of a module call: its events on success (its writes are in the overlay).
pub type CallResult<E, F> = Result<Vec<E>, CallError<F>>;

/// A genesis section a module refuses, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("genesis section '{module}': {reason}")]
pub struct GenesisError {
    /// The module whose section it is.
    pub module: &'static str,
    /// What is wrong, naming the field.
    pub reason: String,
}

/// Why genesis could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFailure {
    /// A section is invalid.
    #[error(transparent)]
    Invalid(#[from] GenesisError),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A chain module: one concern of the state machine with its own calls, failures, events,
/// genesis section, state prefix, end-of-block hook, read views and RPC namespace.
///
/// The composition crate holds one value of each module (built from its genesis section, plus
/// whatever the node injects) and calls these hooks in the order it lists them. Every hook must
/// be deterministic: block height is the only clock, arithmetic is checked or fixed point, and
/// only ordered collections are iterated.
pub trait Module: Send + Sync + 'static {
    /// The module's name: its RPC namespace and, by convention, its state key prefix.
    const NAME: &'static str;
    /// Its transaction calls (a variant of the chain's `Call`).
    type Call;
    /// What its calls and hooks report (a variant of the chain's `Event`).
    type Event;
    /// Why its calls fail (a variant of the chain's `TxFailure`, possibly wrapping the bank's
    /// failures when the module moves SYN).
    type Failure;

    /// Checks the module's genesis section before block 0 is built.
    fn validate_genesis(&self) -> Result<(), GenesisError> {
        Ok(())
    }

    /// Writes the module's initial state into block 0. Runs after [`Self::validate_genesis`],
    /// in the composition's module order.
    fn init_genesis<R: StateRead + ?Sized>(
        &self,
        _state: &mut Overlay<'_, R>,
    ) -> Result<(), GenesisFailure> {
        Ok(())
    }

    /// The execution weight of a call (priced by the fee schedule's `per_weight`).
    fn call_weight(call: &Self::Call) -> u64;

    /// The most native SYN `call` may take from the sender's free balance beyond the fee, as
    /// the call states it (see `CallWeight::spend_bound`); 0 for calls that move none.
    fn call_spend(_call: &Self::Call) -> Balance {
        0
    }

    /// Executes one call signed by `sender`, inside the transaction's own overlay: on failure
    /// the caller discards every write.
    fn dispatch<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &Self::Call,
    ) -> CallResult<Self::Event, Self::Failure>;

    /// Runs after the block's transactions, inside the block's overlay and before the state
    /// root is computed. Its events go into the block's end-block receipt.
    fn end_block<R: StateRead + ?Sized>(
        &self,
        _state: &mut Overlay<'_, R>,
        _ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Self::Event>, StateError> {
        Ok(Vec::new())
    }

    /// The module's JSON-RPC methods (namespace [`Self::NAME`]), reading the node's store and,
    /// for methods that take a signed transaction, handing it to the node's mempool.
    fn rpc(&self, _env: &RpcEnv) -> jsonrpsee::Methods {
        jsonrpsee::Methods::new()
    }

    /// A description of every method [`Self::rpc`] serves, for the node's `rpc.discover`.
    fn rpc_doc() -> Vec<MethodDoc>
    where
        Self: Sized,
    {
        Vec::new()
    }
}

/// The account that holds SYN or tokens in custody for module `name`. Its id is a hash, so no
/// private key exists for it and no transaction can be signed by it; only its module moves
/// what it holds.
pub fn module_account(name: &str) -> AccountId {
    AccountId(Hash::tagged("synod/module", name.as_bytes()).0)
}

/// A keyless account derived for one purpose of module `name` (a pool treasury, a revenue
/// vault, an escrow), distinct for every `(name, purpose)` and from every module account.
pub fn derived_account(name: &str, purpose: &[u8]) -> AccountId {
    let mut input = Vec::with_capacity(name.len() + purpose.len() + 2);
    input.extend_from_slice(&(name.len() as u16).to_le_bytes());
    input.extend_from_slice(name.as_bytes());
    input.extend_from_slice(purpose);
    AccountId(Hash::tagged("synod/module-derived", &input).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_accounts_keep_their_pre_framework_ids() {
        // The subnets and validators modules held funds under these ids before the framework.
        assert_eq!(
            module_account("subnets"),
            AccountId(Hash::tagged("synod/module", b"subnets").0)
        );
        assert_ne!(module_account("subnets"), module_account("validators"));
    }

    #[test]
    fn derived_accounts_are_distinct_per_module_and_purpose() {
        let a = derived_account("tokens", b"vault/1");
        assert_ne!(a, derived_account("tokens", b"vault/2"));
        assert_ne!(a, derived_account("data", b"vault/1"));
        assert_ne!(a, module_account("tokens"));
        // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(derived_account("ab", b"c"), derived_account("a", b"bc"));
    }
}
