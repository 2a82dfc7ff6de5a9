//! Synod's consensus: the commonware BFT engine wired to the Synod application.
//!
//! This crate owns everything about agreeing on the chain, and is the only place where the
//! commonware consensus stack (and its generics) appears:
//!
//! It must not hold state-machine logic: blocks are built, executed and committed by the
//! `Application` it is given, and no other crate names commonware types.
//!
//! - [simplex](commonware_consensus::simplex) BFT consensus (ed25519 votes, round-robin leaders,
//!   2-hop block time, 3-hop finality), with
//! - marshal, which turns finalization certificates into an ordered, gap-free stream of finalized
//!   blocks (backfilling missing blocks from peers), plus buffered block broadcast,
//! - authenticated, encrypted p2p (commonware `discovery`) on the tokio runtime
//!   ([`run_tokio`]), or any commonware network and runtime through [`start`] (the deterministic
//!   runtime with the simulated network in tests),
//! - the engine's own durable state (vote journal, finalized block and certificate archives)
//!   under [`EngineConfig::storage_dir`].
//!
//! The application sees none of this: it implements the engine-agnostic [`Application`] trait
//! over `synod-primitives` types only. Block adapter: [`ConsensusBlock`] (digest = Synod block
//! hash). Identities: a validator's consensus key is its account key ([`identity`]). Finality
//! proofs can be checked without commonware types with [`verify_finalization`].
//!
//! # Engine notes
//!
//! - A single validator works (quorum of one): every view is notarized and finalized by its own
//!   votes, so a one-validator devnet finalizes each block as soon as it is built.
//! - Validator-set rotation ([`EngineConfig::epoch_length`]): epochs of fixed length, one
//!   simplex instance each, with the set the application committed for it
//!   ([`Application::validator_set`]); without an epoch length, one unbounded epoch with the
//!   configured set. See the `epochs` module for the handover at a boundary.
//! - Observers (non-voting full nodes): a node whose key is in [`EngineConfig::observers`] and
//!   not in the validator set runs the same engine with a verify-only signing scheme, so it
//!   follows votes and certificates, executes and commits finalized blocks in order through
//!   [`Application::finalized`], and never votes or proposes. A late observer backfills from
//!   genesis through marshal (finalized blocks and certificates are archived by every node).
//!   p2p tracks observers as secondary peers: validators admit and serve them but do not dial
//!   them, so an observer needs validators among its bootstrappers, and every node must list
//!   the same observers.
//! - Blocks are verified before voting (marshal's inline mode): the application executes a block
//!   before the node votes for it.
//! - Transaction gossip ([`TxGossip`], channel [`channel::TXS`]): opaque payloads of at most
//!   [`EngineConfig::max_gossip_size`] sent once to every connected peer, not relayed; per-peer
//!   rate [`EngineConfig::gossip_messages_per_second`] (the channel quota); received payloads go to
//!   [`Application::gossip_received`] one at a time. Get the handle from
//!   [`EngineHandle::tx_gossip`] or [`EngineStatus::tx_gossip`] (the `on_start` callback of
//!   [`run_tokio_with`]).
//! - Equivocation: simplex reports conflicting votes it hears (two notarizes or two finalizes for
//!   different blocks, or nullify + finalize, in one view by one signer). The engine encodes each
//!   as evidence bytes, checks them with [`verify_equivocation`] (simplex reports network votes
//!   unverified), and hands them to [`Application::fault_observed`]. Detection is best effort: a
//!   validator that sends conflicting votes to disjoint peers is seen only where both arrive.

mod adapter;
pub mod block;
mod config;
pub mod drill;
mod engine;
mod epochs;
mod evidence;
mod finality;
mod gossip;
pub mod identity;
mod tokio_runner;

pub use block::{ConsensusBlock, decode_block};
pub use config::{DEFAULT_MAX_GOSSIP_SIZE, EngineConfig, MAX_GOSSIP_SIZE, namespace};
pub use engine::{
    Channels, EngineHandle, EngineStatus, channel, channel_quota, gossip_quota, max_message_size,
    start,
};
pub use epochs::max_peers_per_set;
pub use evidence::{EVIDENCE_VERSION, Equivocation, FaultError, FaultKind, verify_equivocation};
pub use finality::{FinalityError, FinalityProof, verify_finalization};
pub use gossip::{GossipError, TxGossip};
pub use tokio_runner::{run_tokio, run_tokio_with};

use std::sync::Arc;
use synod_primitives::{AccountId, Hash};
use synod_runtime::Block;

/// What the consensus engine needs from the application. Engine-agnostic: only Synod types.
///
/// The engine calls the blocking methods ([`propose`](Self::propose),
/// [`verify`](Self::verify), [`finalized`](Self::finalized)) on a blocking thread pool, possibly
/// concurrently with each other; [`is_known`](Self::is_known) and [`genesis`](Self::genesis) are
/// called on the async executor and must be cheap.
///
/// # Ancestry
///
/// `ancestry` is oldest first and always ends with the parent of the block to build or verify.
/// It starts at the oldest block whose own parent the application already executed or committed
/// (per [`is_known`](Self::is_known)), or at genesis. So every block in it except the parent is
/// unknown to the application, and the parent is present even when already executed (in the
/// steady state, `ancestry == [parent]`). The application executes the unknown ones, then
/// builds or checks the new block on top.
pub trait Application: Clone + Send + Sync + 'static {
    /// Block 0, identical on every node (its `header.state_root` is the genesis state root).
    fn genesis(&self) -> Block;

    /// Builds and executes a child of the last block in `ancestry` (see [Ancestry](#ancestry)).
    /// Returns `None` to skip proposing. May block for a while (CPU-heavy). The returned block
    /// must have `header.parent == parent.hash()` and `header.height == parent height + 1`.
    fn propose(&self, ancestry: &[Arc<Block>]) -> Option<Block>;

    /// Executes `ancestry` (see [Ancestry](#ancestry)) then `block`, and says whether `block` is
    /// valid (header fields including the state root). Must be deterministic: `false` means the
    /// block is invalid forever. The engine has already checked that `block` extends the parent
    /// (parent hash and height).
    fn verify(&self, ancestry: &[Arc<Block>], block: &Block) -> bool;

    /// Whether the application has executed (or committed) the block with this hash.
    fn is_known(&self, hash: &Hash) -> bool;

    /// `block` is finalized: commit it durably before returning.
    ///
    /// Called in height order from the application's last committed height + 1 (genesis is
    /// never delivered), at least once: after a restart the same block may come again and the
    /// application ignores heights it already committed. The next block is not delivered until
    /// this returns `Ok`; an `Err` halts the engine (nothing after this block is delivered).
    ///
    /// `finalization` is the encoded finalization certificate naming this block, kept so light
    /// clients can check finality of a header with [`verify_finalization`]. It is `None` when
    /// the block was finalized implicitly, through a certificate for a descendant (its hash
    /// chain then links it to that certificate).
    fn finalized(&self, block: Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), String>;

    /// A transaction-gossip payload broadcast by peer `from` (see [`TxGossip`]). Opaque bytes
    /// of at most [`EngineConfig::max_gossip_size`]; `from` is the authenticated p2p identity
    /// of the sender, not proof of who signed what is inside. Called on the blocking thread
    /// pool, one payload at a time (a slow handler throttles gossip rather than queueing it
    /// without bound). The default ignores gossip.
    fn gossip_received(&self, from: AccountId, payload: Vec<u8>) {
        let _ = (from, payload);
    }

    /// Consensus saw a validator sign two conflicting votes in one view. `evidence` already
    /// passed [`verify_equivocation`] against the current epoch's validator set; the application
    /// may include it in a block so the state machine slashes the offender (verifying it again,
    /// and de-duplicating on [`Equivocation::key`]). Called on the async executor, possibly
    /// several times for one fault (once per conflicting pair seen): must be cheap and must not
    /// block. The default ignores it.
    fn fault_observed(&self, evidence: Vec<u8>) {
        let _ = evidence;
    }

    /// The validator set of consensus epoch `epoch` (at least 1), as the committed state fixed
    /// it, or `None` while the application has not committed the block that fixes it (the last
    /// block of epoch `epoch - 1`). Asked only when [`EngineConfig::epoch_length`] is set,
    /// from the async executor, and at most once per epoch per node that succeeds: must be
    /// cheap. Every honest node must answer the same for the same epoch. The default knows no
    /// set (rotation then halts at the first boundary).
    fn validator_set(&self, epoch: u64) -> Option<Vec<AccountId>> {
        let _ = epoch;
        None
    }
}

/// Errors from configuring, starting or running the engine.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// A configuration value is unusable.
    #[error("invalid consensus configuration: {0}")]
    InvalidConfig(String),
    /// The validator set is empty.
    #[error("the validator set is empty")]
    EmptyValidatorSet,
    /// The validator set lists a key twice.
    #[error("the validator set contains a duplicate key")]
    DuplicateValidator,
    /// A validator key is not a valid ed25519 public key.
    #[error("validator key {0} is not a valid ed25519 public key")]
    InvalidValidatorKey(AccountId),
    /// This node's key is neither in the validator set nor an observer.
    #[error("this node ({0}) is neither in the validator set nor a listed observer")]
    NotAValidator(AccountId),
    /// A key is listed both as validator and as observer.
    #[error("{0} is listed both as validator and as observer")]
    ObserverIsValidator(AccountId),
    /// The engine's storage could not be opened.
    #[error("consensus storage error: {0}")]
    Storage(String),
    /// The application failed to commit a finalized block.
    #[error("application failed to commit a finalized block: {0}")]
    ApplicationFailed(String),
    /// The engine stopped unexpectedly.
    #[error("consensus engine stopped: {0}")]
    Stopped(String),
}
