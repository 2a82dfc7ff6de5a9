//! The client-facing JSON-RPC API of a node.
//!
//! One method carries every operation: `blind_request(hex)` takes the hex of
//! a borsh [`crate::envelope::Envelope`] (a [`crate::types::SignedRequest`]
//! encrypted for this node) and returns the hex of the borsh
//! [`crate::types::Response`] encrypted for the caller; refusals are
//! JSON-RPC errors whose code is [`BlindError::code`] and whose message is
//! the refusal text (never share data).
//! `blind_info` returns public facts about the node.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::proc_macros::rpc;
use jsonrpsee::server::{ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use synod_primitives::AccountId;
use synod_rpc_serve::RpcLimits;

use crate::envelope::{MAX_ENVELOPE_BYTES, MAX_REQUEST_ENVELOPE_BYTES};

/// Largest request body a blind node accepts by default: a `blind_request` carrying the
/// largest request envelope as hex, plus the JSON-RPC object around it (about 66 MiB).
pub const MAX_REQUEST_BODY_BYTES: usize = 2 * MAX_REQUEST_ENVELOPE_BYTES + 4096;
use crate::error::BlindError;
use crate::node::NodeState;
use crate::types::CommitteeId;

/// Public facts about a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Committee index.
    pub index: usize,
    /// Node identity.
    pub key: AccountId,
    /// Committee id.
    pub committee: CommitteeId,
    /// Indices of connected peers.
    pub connected: Vec<usize>,
    /// Number of stored secrets.
    pub secrets: u64,
    /// Stores prepared here and waiting for their commit (invisible to reads and jobs).
    #[serde(default)]
    pub prepared: u64,
}

/// The blind-node JSON-RPC API.
#[rpc(server, client, namespace = "blind")]
pub trait BlindApi {
    /// Execute one sealed request (hex of a borsh envelope); returns the hex
    /// of the sealed borsh response.
    #[method(name = "request")]
    async fn call(&self, request_hex: String) -> Result<String, ErrorObjectOwned>;

    /// Public node facts.
    #[method(name = "info")]
    async fn info(&self) -> Result<NodeInfo, ErrorObjectOwned>;
}

fn rpc_err(e: BlindError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(e.code(), e.to_string(), None::<()>)
}

struct Api {
    state: Arc<NodeState>,
}

#[jsonrpsee::core::async_trait]
impl BlindApiServer for Api {
    async fn call(&self, request_hex: String) -> Result<String, ErrorObjectOwned> {
        if request_hex.len() > 2 * MAX_REQUEST_ENVELOPE_BYTES {
            return Err(rpc_err(BlindError::Invalid("request too large".into())));
        }
        let bytes = hex::decode(&request_hex)
            .map_err(|e| rpc_err(BlindError::Invalid(format!("request hex: {e}"))))?;
        let state = Arc::clone(&self.state);
        let sealed = tokio::task::spawn_blocking(move || state.handle_envelope(&bytes))
            .await
            .map_err(|e| rpc_err(BlindError::Storage(format!("worker: {e}"))))?
            .map_err(rpc_err)?;
        Ok(hex::encode(sealed))
    }

    async fn info(&self) -> Result<NodeInfo, ErrorObjectOwned> {
        let s = &self.state;
        let state = Arc::clone(s);
        let (secrets, prepared) = tokio::task::spawn_blocking(move || {
            Ok::<_, BlindError>((state.store().secret_count()?, state.prepared_count()?))
        })
        .await
        .map_err(|e| rpc_err(BlindError::Storage(format!("worker: {e}"))))?
        .map_err(rpc_err)?;
        Ok(NodeInfo {
            index: s.index(),
            key: s.mesh().committee().members[s.index()].key,
            committee: s.mesh().committee().id(),
            connected: s.mesh().connected(),
            secrets,
            prepared,
        })
    }
}

/// Start the JSON-RPC server on `addr` with `limits` (body size defaults to
/// [`MAX_REQUEST_BODY_BYTES`]).
pub async fn start_rpc(
    addr: SocketAddr,
    state: Arc<NodeState>,
    limits: &RpcLimits,
) -> Result<(SocketAddr, ServerHandle), BlindError> {
    let body = limits
        .max_request_body_bytes
        .unwrap_or(MAX_REQUEST_BODY_BYTES as u32);
    let config = ServerConfig::builder()
        .max_request_body_size(body)
        .max_response_body_size((2 * MAX_ENVELOPE_BYTES + 4096) as u32)
        .max_connections(limits.max_connections)
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .build();
    synod_rpc_serve::bind_and_serve(addr, Api { state }.into_rpc(), config, body, limits)
        .await
        .map_err(|e| BlindError::Network(format!("bind {addr}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::MAX_VALUE_ELEMENTS;
    use crate::types::{
        MAX_REQUEST_BYTES, NodeEncKey, Operation, Permissions, RequestBody, SecretId, SharedValue,
        SignedRequest,
    };
    use synod_primitives::Keypair;

    /// The largest legitimate request (a store of the largest value, with a long permission
    /// list) fits every bound on its way in, and the body limit is far below the 134 MB it
    /// was (twice the 64 MiB message bound).
    #[test]
    fn the_largest_store_request_fits_the_body_limit() {
        let user = Keypair::dev("owner");
        let mut permissions = Permissions::owner_only(user.account());
        for i in 0..1_000 {
            permissions
                .retrieve
                .insert(Keypair::dev(&format!("reader-{i}")).account());
        }
        let body = RequestBody {
            committee: CommitteeId([1; 32]),
            node: 0,
            user: user.account(),
            timestamp_ms: u64::MAX,
            nonce: [2; 16],
            op: Operation::StoreSecret {
                id: SecretId([3; 32]),
                value: SharedValue {
                    ty: 0,
                    shape: vec![1 << 10, 1 << 10],
                    public: false,
                    elements: vec![[0xff; 32]; MAX_VALUE_ELEMENTS],
                },
                permissions,
            },
        };
        let request = SignedRequest {
            signature: user.sign(&body.signing_payload()),
            body,
        };
        let bytes = borsh::to_vec(&request).expect("encode");
        assert!(bytes.len() <= MAX_REQUEST_BYTES, "{}", bytes.len());
        let (envelope, _) =
            crate::envelope::seal_request(&CommitteeId([1; 32]), 0, &NodeEncKey([9; 32]), &bytes)
                .expect("seal");
        let sealed = borsh::to_vec(&envelope).expect("encode");
        assert!(
            sealed.len() <= MAX_REQUEST_ENVELOPE_BYTES,
            "{}",
            sealed.len()
        );
        let call = format!(
            r#"{{"jsonrpc":"2.0","id":18446744073709551615,"method":"blind_request","params":["{}"]}}"#,
            hex::encode(&sealed)
        );
        assert!(call.len() <= MAX_REQUEST_BODY_BYTES, "{}", call.len());
        const { assert!(MAX_REQUEST_BODY_BYTES < 70 << 20) };
    }
}
