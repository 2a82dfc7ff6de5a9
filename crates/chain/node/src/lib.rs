//! Synod's node assembly.
//!
//! This crate owns the seam between consensus and everything else:
//! - [`app::ChainApp`] implements the consensus engine's `Application`: it builds blocks from
//!   the mempool, executes and verifies proposals on top of unfinalized ancestors (kept in an
//!   in-memory cache of executed blocks), and commits finalized blocks to storage, then prunes
//!   the pool and notifies subscribers.
//! - [`node`] wires storage, mempool, executor, RPC, metrics and the consensus engine from a
//!   [`node::NodeConfig`], and shuts them down cleanly.
//!
//! It must not hold consensus, execution or module logic of its own: it wires the crates that do.
//!
//! - [`gossip`] sends transactions the RPC admitted to every peer once, in bounded batches;
//!   [`ChainApp::admit_gossip`] admits what peers send (never relayed further).
//! - [`config`] reads the TOML file of `synod node --config`, [`genesis`] builds genesis files
//!   from an operator's spec and validates them, [`keyfile`] reads and writes node key files
//!   (JSON, mode 0600, checked on load).
//!
//! Data directory layout: `chain.redb` (state, blocks, receipts), `consensus/` (the engine's
//! journals and archives). The node key is a separate file named by the config.

pub mod app;
pub mod config;
pub mod evidence;
pub mod genesis;
pub mod gossip;
pub mod keyfile;
pub mod node;

pub use app::ChainApp;
pub use node::{NodeConfig, NodeError, RunningNode};
