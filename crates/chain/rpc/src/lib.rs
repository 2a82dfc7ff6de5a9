//! Synod's external interfaces.
//!
//! - [`api`]: the chain's JSON-RPC 2.0 methods (`synod_*`: transactions, blocks, receipts,
//!   accounts, state proofs, events, subscriptions) as one trait, from which jsonrpsee generates
//!   both the server trait and a typed client (used by the CLI), plus the JSON types it speaks.
//!   Amounts are integers in base units (1 SYN = 10^9). Each module serves its own namespace
//!   (`subnets_*`, `validators_*`, `bank_*`, `tokens_*`) from its own crate; [`rpc_module`]
//!   merges them, as `synod-runtime` lists them, into one server.
//! - [`discover`]: `rpc.discover`, the OpenRPC document of every served method.
//! - [`server`]: the API's implementation over the node's storage, mempool and event stream,
//!   served over HTTP and WebSocket on one port (default `127.0.0.1:9944`) through
//!   `synod-rpc-serve`, which bounds what clients can hold: body size ([`MAX_REQUEST_BODY_BYTES`],
//!   derived from the largest `synod_submitTransactions` call), read deadline, connections in
//!   total and per address, subscriptions and queued notification bytes per WebSocket, origins.
//! - [`http`]: `/health` and `/metrics` (Prometheus text format) over axum, default
//!   `127.0.0.1:9615`.
//!
//! It must not change state other than by admitting transactions to the pool, and must not serve
//! a method without a description in `rpc.discover`.

pub mod api;
pub mod discover;
pub mod http;
pub mod metrics;
pub mod server;

pub use api::{SynodApiClient, SynodApiServer};
pub use metrics::Metrics;
pub use server::{
    AdmittedHook, FinalizedBlock, InMemoryError, MAX_REQUEST_BODY_BYTES, MAX_SUBMIT_BATCH_BYTES,
    NodeStatus, RpcContext, rpc_module, start_rpc,
};
pub use synod_rpc_serve::RpcLimits;
