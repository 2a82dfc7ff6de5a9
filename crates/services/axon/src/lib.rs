//! # synod-axon — signed requests between validators and miners
//!
//! Owns the `synod-request-v1` protocol of issue 15 on the Rust side:
//! - [`protocol`]: what a request carries (headers naming the signer, the target, the chain,
//!   the subnet, a unique id and a timestamp) and what is signed: a tagged BLAKE3 hash binding
//!   all of them to the method, the path with its query, and the body's hash. Responses are
//!   signed by the miner the same way, bound to the request id.
//! - [`server`]: axum middleware a miner mounts. It refuses, each with its own kind, a missing
//!   or malformed header, a request for another hotkey, chain or subnet, a stale timestamp, a
//!   bad signature (an empty one included), a replayed id, and a caller that is not registered
//!   on the subnet or holds less than the configured stake (read from the chain's metagraph,
//!   cached per block).
//! - [`client`]: the validator side: sign, send to many miners at once with a timeout, check
//!   each answer's signature, and report each with its latency.
//!
//! What Bittensor got wrong and this does not: its axon accepted an empty signature, and its
//! body hash covered nothing by default; Epistula's signature leaves out the method, the path,
//! the chain and the subnet. Here every one of them is signed and checked.
//!
//! It must not hold chain logic: registration and stake are read from the chain through RPC.

pub mod client;
pub mod membership;
pub mod protocol;
pub mod server;

pub use client::{Answer, Dendrite, Target};
pub use membership::{ChainMembership, Member, Membership};
pub use protocol::{ProtocolError, SignedRequest};
pub use server::{Axon, AxonConfig, Caller};
