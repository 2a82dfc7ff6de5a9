//! # synod-blind-node — blind-computation nodes and their client
//!
//! A committee of `n` blind nodes (`synod blind-node`) stores Shamir shares
//! of users' secrets and runs MPC jobs on them together; the client library
//! ([`client::BlindClient`], used by `synod blind ...`) secret-shares inputs
//! locally, sends one share per node, and reconstructs what is addressed to
//! the caller.
//!
//! It must not put shares on chain or let any node see another node's share; it runs beside the
//! chain and does not touch chain state.
//!
//! * **Links** ([`secure`], [`mesh`]): one TCP connection per pair of
//!   members; an X25519 handshake signed by the members' ed25519 identity
//!   keys from the committee file, then ChaCha20-Poly1305 frames with counter
//!   nonces. Frames are length-prefixed with a maximum size checked before
//!   allocation ([`frame`]); malformed frames close the link, never panic.
//!   A round's message to a peer travels in pieces of at most
//!   `mpc_piece_elements` field elements (default 16 Ki, 512 KiB), so
//!   encoding, encryption, transfer and decoding of a large round overlap
//!   and no frame grows with the batch.
//! * **Transport**: [`mesh::JobTransport`] implements
//!   [`synod_mpc::Transport`]: one round = one message per peer, with the
//!   sender checked against the authenticated link, a round timeout, and
//!   abort propagation, so a dead or slow member fails a job with a clear
//!   error instead of a hang.
//! * **Store** ([`store`]): redb, keyed by secret id; every record carries
//!   [`types::Permissions`] (owner; retrieve, update, delete lists;
//!   compute = user → program ids) checked by every node on every request.
//!   Storing is all or nothing across the committee
//!   ([`client::BlindClient::store_secret_as`]): every node prepares its
//!   share (held aside, invisible to reads and jobs, expiring after
//!   `prepare_ttl_ms`), then all commit; a failure anywhere aborts at every
//!   node. The secret id doubles as the request id: the same id with the
//!   same content is a retry, with other content a refusal.
//! * **API** ([`rpc`], [`node`]): JSON-RPC `blind_request` carrying a borsh
//!   [`types::SignedRequest`]: ed25519 signature over a domain tag, the
//!   committee id, the target node index, a timestamp (freshness window)
//!   and a random nonce (remembered on disk, so a replay is refused). The
//!   request travels sealed for the target node ([`envelope`]: ephemeral
//!   X25519 with the node's static key from the committee file,
//!   ChaCha20-Poly1305, header as associated data) and the answer comes back
//!   sealed for the caller, so no share crosses the client link in the
//!   clear. The client gives every node a bounded time to answer
//!   ([`client::DEFAULT_REQUEST_TIMEOUT`], 5 s, configurable): a down or
//!   hung member fails the call with an error naming it.
//! * **Programs and jobs**: programs are canonical MIR from
//!   `synod-blind-lang`; each node recomputes `program_id = blake3(bytes)`
//!   and applies the analyser's admission limits. Invocations bind inputs
//!   to stored secrets (compute permission required) or inline shares, and
//!   parties to users; the job id is derived from the invoker and the public
//!   part of the invocation so every node agrees on it. Results are kept as
//!   shares per output user ([`exec`]); anybody else, the invoker included,
//!   is refused.
//!
//! ## Measured
//!
//! `cargo bench -p synod-blind-node --bench loopback` (3 node processes on
//! loopback, release, on the shared 2-core development box at load average
//! 8–11 from other builds, so pessimistic), batched GRR multiplications,
//! online / including job start (PRSS setup and operand generation):
//!
//! | round size | before pieces and the PRSS fix | now |
//! |---|---|---|
//! | 50 000 × 20 | 351–473 k/s / 276–304 k/s | 720–787 k/s / 694–750 k/s |
//! | 200 000 × 10 | 193–297 k/s / 116–185 k/s | 667–720 k/s / 626–675 k/s |
//! | 500 000 × 10 | 196–234 k/s / 111–127 k/s | 619–854 k/s / 588–825 k/s |
//! | 1 000 000 × 5 | — | 412–466 k/s / 397–449 k/s |
//!
//! Two changes: a round's message travels in 16 Ki-element pieces (at
//! 200 000, one frame per peer instead gives 481–630 k/s online), and PRSS
//! values are drawn by rejection sampling instead of reducing 64 bytes
//! modulo `p` with ~70 field multiplications each, which had made job
//! start-up cost seconds at large batches. Comparisons (2 000, online with
//! preprocessing skew / including preprocessing): u32 3.4–4 k/s, 3 online
//! rounds / 380–440/s; i64 7–15 k/s, 4 online rounds / 250–300/s
//! (preprocessing — digit tables from random bits — dominates). The
//! sealed-bid auction end to end (share 4 bids, invoke at 3 nodes, run,
//! fetch, reconstruct): median 28 ms.
//!
//! Trust model: semi-honest, honest majority (`t = (n-1)/2`); a single node
//! learns nothing about a secret, `t + 1` colluding nodes learn everything.

pub mod client;
pub mod config;
pub mod envelope;
pub mod error;
pub mod exec;
pub mod frame;
pub mod mesh;
pub mod node;
pub mod rpc;
pub mod secure;
pub mod store;
pub mod types;

pub use client::{BlindClient, ClientInput, DEFAULT_REQUEST_TIMEOUT, JobOutputs, Retrieved};
pub use config::{Committee, Member, NodeConfig};
pub use error::BlindError;
pub use node::{NodeState, RunningNode, start_node};
pub use types::{JobId, Permissions, ProgramKey, SecretId};
