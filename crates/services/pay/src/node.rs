//! What both ends need from a node: its chain facts, building and signing a transaction, and
//! reading an RPC error's machine-readable kind.

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::time::Duration;
use synod_primitives::{FeeSchedule, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::ChainInfo;
use synod_runtime::{Call, SignedTransaction, Transaction};

/// An RPC error, with the kind the node attached (`stale_nonce`, …) when it did.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct NodeError {
    /// What went wrong, for people.
    pub message: String,
    /// The machine-readable kind, if the node gave one.
    pub kind: Option<String>,
}

impl From<jsonrpsee::core::client::Error> for NodeError {
    fn from(e: jsonrpsee::core::client::Error) -> Self {
        match e {
            jsonrpsee::core::client::Error::Call(obj) => NodeError {
                kind: obj
                    .data()
                    .and_then(|d| serde_json::from_str::<String>(d.get()).ok()),
                message: obj.message().to_string(),
            },
            other => NodeError {
                message: other.to_string(),
                kind: None,
            },
        }
    }
}

/// A JSON-RPC client of the node at `url`.
pub fn connect(url: &str) -> Result<HttpClient, NodeError> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)
        .map_err(|e| NodeError {
            message: format!("bad node URL {url}: {e}"),
            kind: None,
        })
}

/// The chain facts a signer needs.
#[derive(Clone, Debug)]
pub struct ChainFacts {
    /// Chain id.
    pub chain_id: String,
    /// Genesis hash (transactions sign over it).
    pub genesis_hash: Hash,
    /// Fees.
    pub fees: FeeSchedule,
}

impl From<ChainInfo> for ChainFacts {
    fn from(info: ChainInfo) -> Self {
        ChainFacts {
            fees: FeeSchedule {
                per_byte: info.fee_per_byte,
                per_weight: info.fee_per_weight,
            },
            chain_id: info.chain_id,
            genesis_hash: info.genesis_hash,
        }
    }
}

/// Reads the chain facts from the node.
pub async fn chain_facts(c: &HttpClient) -> Result<ChainFacts, NodeError> {
    Ok(c.chain_info().await?.into())
}

/// Builds and signs a transaction carrying `call`, paying the minimum fee.
pub fn sign(facts: &ChainFacts, key: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
    let mut tx = Transaction {
        chain_id: facts.chain_id.clone(),
        sender: key.account(),
        nonce,
        fee: 0,
        call,
    };
    // The fee is fixed-width, so the size does not depend on its value.
    let size = tx.clone().sign(key, &facts.genesis_hash).encode().len();
    tx.fee = facts.fees.min_fee(size, &tx.call);
    tx.sign(key, &facts.genesis_hash)
}
