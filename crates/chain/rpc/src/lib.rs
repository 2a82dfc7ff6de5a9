//! Synod's external interfaces.
//!
//! - [`api`]: the JSON-RPC 2.0 API as one trait, from which jsonrpsee generates both the server
//!   trait and a typed client (used by the CLI), plus the JSON types it speaks. Method names are
//!   `synod_*`; amounts are integers in base units (1 SYN = 10^9).
//! - [`server`]: the API's implementation over the node's storage, mempool and event stream,
//!   served over HTTP and WebSocket on one port (default `127.0.0.1:9944`).
//! - [`http`]: `/health` and `/metrics` (Prometheus text format) over axum, default
//!   `127.0.0.1:9615`.

pub mod api;
pub mod http;
pub mod metrics;
pub mod server;

pub use api::{SynodApiClient, SynodApiServer};
pub use metrics::Metrics;
pub use server::{AdmittedHook, FinalizedBlock, InMemoryError, NodeStatus, RpcContext, start_rpc};
