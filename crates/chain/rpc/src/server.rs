//! The API's implementation and the JSON-RPC server.

use crate::api::{
    AccountJson, BlockId, BlockJson, ChainInfo, FinalizedHeader, Heads, StateValueJson,
    SubmitResult, SynodApiServer, TxEvents, TxJson, TxStatus,
};
use crate::metrics::Metrics;
use jsonrpsee::PendingSubscriptionSink;
use jsonrpsee::core::{SubscriptionResult, async_trait};
use jsonrpsee::server::{ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use synod_execution::Executor;
use synod_execution::bank;
use synod_mempool::{Mempool, MempoolError};
use synod_primitives::{AccountId, Hash, Height, Nonce, TxError};
use synod_rpc_serve::{RpcLimits, SendError, send_bounded};
use synod_runtime::{Block, Call, Receipt, SignedTransaction};
use synod_storage::{StateRead, Store};
use tokio::sync::broadcast;

/// A block that was just finalized and committed, with its receipts.
#[derive(Debug, Clone)]
pub struct FinalizedBlock {
    /// The block.
    pub block: Arc<Block>,
    /// Its receipts.
    pub receipts: Arc<Vec<Receipt>>,
}

/// Live node facts the API reports that are not in storage.
#[derive(Debug, Default)]
pub struct NodeStatus {
    /// Newest executed block height (finalized or not).
    pub latest_height: AtomicU64,
}

/// What the API serves from. Cheap to clone.
#[derive(Clone)]
pub struct RpcContext {
    /// The chain database.
    pub store: Store,
    /// The transaction pool.
    pub mempool: Arc<Mempool>,
    /// The state machine (for chain facts).
    pub executor: Executor,
    /// Finalized-block notifications.
    pub finalized: broadcast::Sender<FinalizedBlock>,
    /// Live status.
    pub status: Arc<NodeStatus>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Genesis validator keys (the set of epoch 0; later sets are in state).
    pub validators: Vec<AccountId>,
    /// Called with the hashes of transactions this API just admitted to the pool (the node
    /// gossips them to its peers). Never called for transactions that arrive by gossip.
    pub on_admitted: Option<AdmittedHook>,
}

/// See [`RpcContext::on_admitted`].
pub type AdmittedHook = Arc<dyn Fn(Vec<Hash>) + Send + Sync>;

/// Largest number of transactions in one `submitTransactions` call.
pub const MAX_SUBMIT_BATCH: usize = 10_000;

/// Most transaction bytes (decoded) in one `submitTransactions` call: one full block's worth.
/// `MAX_SUBMIT_BATCH` transactions of up to `MAX_TX_SIZE` each would allow 655 MB; a client
/// with more than a block of transactions sends several calls.
pub const MAX_SUBMIT_BATCH_BYTES: usize = synod_primitives::block::MAX_BLOCK_SIZE;

/// JSON around one transaction in the batch: `"0x` and `",`.
const PER_TX_JSON_BYTES: usize = 5;
/// The request object around the batch (`{"jsonrpc":"2.0","id":…,"method":…,"params":[[…]]}`),
/// with room for a long string id.
const REQUEST_ENVELOPE_BYTES: usize = 4096;

/// Largest HTTP body / WebSocket message the node accepts by default: the largest legitimate
/// request, a `synod_submitTransactions` call carrying `MAX_SUBMIT_BATCH_BYTES` of
/// transactions as hex in up to `MAX_SUBMIT_BATCH` strings (about 16.1 MiB).
pub const MAX_REQUEST_BODY_BYTES: usize =
    2 * MAX_SUBMIT_BATCH_BYTES + MAX_SUBMIT_BATCH * PER_TX_JSON_BYTES + REQUEST_ENVELOPE_BYTES;

/// Largest response; the biggest are blocks, which `MAX_BLOCK_SIZE` bounds, as JSON.
const MAX_RESPONSE_BODY_BYTES: u32 = 64 * 1024 * 1024;

const INVALID_PARAMS: i32 = -32602;
const INTERNAL: i32 = -32603;
/// Error code of a refused transaction; `data` carries the machine-readable kind.
pub const TX_REJECTED: i32 = 1001;
/// Error code of a missing block or height.
pub const NOT_FOUND: i32 = 1002;

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(INTERNAL, format!("internal error: {e}"), None::<()>)
}

fn not_found(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(NOT_FOUND, msg.into(), None::<()>)
}

/// Machine-readable name of a rejection.
pub fn rejection_kind(e: &MempoolError) -> &'static str {
    match e {
        MempoolError::Refused(f) => f.kind(),
        MempoolError::Invalid(TxError::Decode(_)) => "malformed",
        MempoolError::Invalid(TxError::WrongChainId { .. }) => "wrong_chain_id",
        MempoolError::Invalid(TxError::BadSignature(_)) => "bad_signature",
        MempoolError::Invalid(TxError::FeeTooLow { .. }) => "fee_too_low",
        MempoolError::StaleNonce { .. } => "stale_nonce",
        MempoolError::NonceTooFar { .. } => "nonce_too_far",
        MempoolError::CannotPay { .. } => "insufficient_balance",
        MempoolError::AlreadyKnown(_) => "already_known",
        MempoolError::ReplacementUnderpriced { .. } => "replacement_underpriced",
        MempoolError::SenderLimit(_) => "sender_limit",
        MempoolError::SenderFutureLimit(_) => "sender_future_limit",
        MempoolError::FutureFull { .. } => "future_full",
        MempoolError::PoolFull { .. } => "pool_full",
        MempoolError::Unavailable(_) => "node_unavailable",
    }
}

impl synod_module::TxSubmitter for RpcContext {
    fn open(&self, tx: &[u8]) -> Result<synod_module::OpenedTx, synod_module::SubmitRejection> {
        let rejection = |e: TxError| synod_module::SubmitRejection {
            message: format!("transaction rejected: {e}"),
            kind: Some(serde_json::Value::String(
                rejection_kind(&MempoolError::Invalid(e)).into(),
            )),
        };
        let signed = SignedTransaction::decode(tx).map_err(rejection)?;
        signed
            .verify_signature(&self.executor.genesis_hash())
            .map_err(rejection)?;
        let (module, call) = signed.tx.call.module_call();
        Ok(synod_module::OpenedTx {
            hash: signed.hash(),
            sender: signed.tx.sender,
            module,
            call,
        })
    }

    fn submit(&self, tx: Vec<u8>) -> Result<Hash, synod_module::SubmitRejection> {
        match RpcContext::submit(self, vec![hex::encode(tx)])
            .into_iter()
            .next()
        {
            Some(Ok(h)) => Ok(h),
            Some(Err(e)) => Err(synod_module::SubmitRejection {
                message: format!("transaction rejected: {e}"),
                kind: Some(serde_json::Value::String(rejection_kind(&e).into())),
            }),
            None => Err(synod_module::SubmitRejection {
                message: "no result".into(),
                kind: None,
            }),
        }
    }
}

/// Why an in-memory API could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum InMemoryError {
    /// The in-memory database failed.
    #[error(transparent)]
    Storage(#[from] synod_storage::StorageError),
    /// The genesis does not build a valid first block.
    #[error("invalid genesis: {0}")]
    Genesis(#[from] synod_execution::BlockError),
}

impl RpcContext {
    /// The full API over a fresh in-memory chain that holds only `genesis`'s block, with a
    /// default pool and no node behind it (nothing is ever finalized): the request path alone,
    /// for fuzzing and tests.
    pub fn in_memory(genesis: synod_runtime::Genesis) -> Result<Self, InMemoryError> {
        let executor = Executor::new(genesis.clone());
        let store = Store::in_memory()?;
        let view = synod_storage::StateView::new(Arc::new(store.snapshot()?), vec![]);
        let first = executor.genesis_block(&view)?;
        store.commit_block(synod_storage::BlockCommit {
            block: &first.block,
            pending: &first.pending,
            receipts: &first.receipts,
            finalization: &[],
        })?;
        let mempool = Arc::new(Mempool::new(
            synod_mempool::MempoolConfig::default(),
            synod_mempool::ChainRules {
                chain_id: genesis.chain_id.clone(),
                genesis_hash: genesis.hash(),
                fees: genesis.fees,
            },
        ));
        let (finalized, _) = broadcast::channel(16);
        Ok(RpcContext {
            store,
            mempool,
            executor,
            finalized,
            status: Arc::new(NodeStatus::default()),
            metrics: Arc::new(Metrics::new()),
            validators: genesis.validators.iter().map(|v| v.account).collect(),
            on_admitted: None,
        })
    }
}

impl RpcContext {
    fn submit(&self, txs_hex: Vec<String>) -> Vec<Result<Hash, MempoolError>> {
        let started = std::time::Instant::now();
        let mut results: Vec<Option<Result<Hash, MempoolError>>> = vec![None; txs_hex.len()];
        let mut decoded = Vec::with_capacity(txs_hex.len());
        let mut positions = Vec::with_capacity(txs_hex.len());
        for (i, h) in txs_hex.iter().enumerate() {
            let s = h.strip_prefix("0x").unwrap_or(h);
            let bytes = match hex::decode(s) {
                Ok(b) => b,
                Err(e) => {
                    results[i] = Some(Err(MempoolError::Invalid(TxError::Decode(
                        synod_primitives::CodecError::Malformed(format!("bad hex: {e}")),
                    ))));
                    continue;
                }
            };
            match SignedTransaction::decode(&bytes) {
                Ok(tx) => {
                    decoded.push((tx, bytes.len()));
                    positions.push(i);
                }
                Err(e) => results[i] = Some(Err(MempoolError::Invalid(e))),
            }
        }
        let snapshot = self.store.snapshot();
        let admitted = match snapshot {
            Ok(snap) => {
                let next = snap.height().map_or(0, |h| h + 1);
                let runtime = self.executor.runtime();
                self.mempool.admit_batch_checked(
                    decoded,
                    |who| bank::account(&snap, who).unwrap_or_default().into(),
                    |tx| runtime.admission_check(&snap, next, &tx.tx.sender, &tx.tx.call),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read state for admission");
                decoded
                    .iter()
                    .map(|_| Err(MempoolError::Unavailable(e.to_string())))
                    .collect()
            }
        };
        for (pos, r) in positions.into_iter().zip(admitted) {
            results[pos] = Some(r);
        }
        let out: Vec<_> = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(MempoolError::Unavailable("no result".into()))))
            .collect();
        let ok = out.iter().filter(|r| r.is_ok()).count() as u64;
        if ok > 0
            && let Some(hook) = &self.on_admitted
        {
            hook(
                out.iter()
                    .filter_map(|r| r.as_ref().ok().copied())
                    .collect(),
            );
        }
        self.metrics.txs_admitted.inc_by(ok);
        self.metrics.txs_rejected.inc_by(out.len() as u64 - ok);
        self.metrics
            .admission_seconds
            .observe(started.elapsed().as_secs_f64());
        out
    }

    fn resolve_height(
        &self,
        snap: &synod_storage::Snapshot,
        id: &BlockId,
    ) -> Result<Option<Height>, ErrorObjectOwned> {
        let text = match id {
            BlockId::Height(h) => return Ok(Some(*h)),
            BlockId::Text(t) => t.trim(),
        };
        match text {
            "latest" | "finalized" => Ok(snap.height()),
            t if t.starts_with("0x") => {
                let hash: Hash = t
                    .parse()
                    .map_err(|e| invalid(format!("bad block hash: {e}")))?;
                snap.block_height(&hash).map_err(internal)
            }
            t => t.parse::<Height>().map(Some).map_err(|_| {
                invalid(format!(
                    "'{t}' is not a height, a 0x hash, 'latest' or 'finalized'"
                ))
            }),
        }
    }
}

fn block_json(b: &Block) -> BlockJson {
    BlockJson {
        hash: b.hash(),
        header: b.header.clone(),
        transactions: b.txs.iter().map(TxJson::from).collect(),
    }
}

fn tx_events(height: Height, receipts: &[Receipt]) -> Vec<TxEvents> {
    receipts
        .iter()
        .map(|r| TxEvents {
            height,
            tx_hash: r.tx_hash,
            events: r.events.clone(),
        })
        .collect()
}

#[async_trait]
impl SynodApiServer for RpcContext {
    async fn submit_transaction(&self, tx_hex: String) -> Result<Hash, ErrorObjectOwned> {
        let ctx = self.clone();
        let r = tokio::task::spawn_blocking(move || ctx.submit(vec![tx_hex]))
            .await
            .map_err(internal)?;
        match r.into_iter().next() {
            Some(Ok(h)) => Ok(h),
            Some(Err(e)) => Err(ErrorObject::owned(
                TX_REJECTED,
                format!("transaction rejected: {e}"),
                Some(rejection_kind(&e)),
            )),
            None => Err(internal("no result")),
        }
    }

    async fn submit_transactions(
        &self,
        txs_hex: Vec<String>,
    ) -> Result<Vec<SubmitResult>, ErrorObjectOwned> {
        if txs_hex.len() > MAX_SUBMIT_BATCH {
            return Err(invalid(format!(
                "{} transactions in one call, over the limit of {MAX_SUBMIT_BATCH}",
                txs_hex.len()
            )));
        }
        let bytes: usize = txs_hex
            .iter()
            .map(|h| h.strip_prefix("0x").unwrap_or(h).len() / 2)
            .sum();
        if bytes > MAX_SUBMIT_BATCH_BYTES {
            return Err(invalid(format!(
                "{bytes} transaction bytes in one call, over the limit of {MAX_SUBMIT_BATCH_BYTES}"
            )));
        }
        let ctx = self.clone();
        let results = tokio::task::spawn_blocking(move || ctx.submit(txs_hex))
            .await
            .map_err(internal)?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(hash) => SubmitResult::Accepted { hash },
                Err(e) => SubmitResult::Rejected {
                    kind: rejection_kind(&e).to_string(),
                    message: e.to_string(),
                },
            })
            .collect())
    }

    async fn transaction_status(&self, hash: Hash) -> Result<TxStatus, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        if let Some(receipt) = snap.receipt(&hash).map_err(internal)? {
            return Ok(TxStatus::Finalized { receipt });
        }
        if self.mempool.contains(&hash) {
            return Ok(TxStatus::Pending);
        }
        Ok(TxStatus::Unknown)
    }

    async fn get_receipt(&self, hash: Hash) -> Result<Option<Receipt>, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        snap.receipt(&hash).map_err(internal)
    }

    async fn get_block(&self, id: BlockId) -> Result<Option<BlockJson>, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let Some(h) = self.resolve_height(&snap, &id)? else {
            return Ok(None);
        };
        Ok(snap
            .block::<synod_runtime::Call>(h)
            .map_err(internal)?
            .as_ref()
            .map(block_json))
    }

    async fn get_finalized_header(
        &self,
        height: Height,
    ) -> Result<Option<FinalizedHeader>, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let Some(block) = snap.block::<Call>(height).map_err(internal)? else {
            return Ok(None);
        };
        Ok(Some(FinalizedHeader {
            hash: block.hash(),
            header: block.header,
            finalization: snap
                .finalization(height)
                .map_err(internal)?
                .map(hex::encode),
        }))
    }

    async fn heads(&self) -> Result<Heads, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let finalized_height = snap.height().unwrap_or(0);
        Ok(Heads {
            finalized_height,
            finalized_hash: snap.head_hash().unwrap_or(Hash::ZERO),
            latest_height: self
                .status
                .latest_height
                .load(Ordering::Relaxed)
                .max(finalized_height),
        })
    }

    async fn next_nonce(&self, account: AccountId) -> Result<Nonce, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let committed = bank::account(&snap, &account).map_err(internal)?.nonce;
        Ok(self.mempool.next_nonce(&account, committed))
    }

    async fn get_account(
        &self,
        account: AccountId,
        height: Option<Height>,
    ) -> Result<AccountJson, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let head = snap
            .height()
            .ok_or_else(|| not_found("no block committed yet"))?;
        let at = height.unwrap_or(head);
        if at > head {
            return Err(not_found(format!(
                "height {at} is above the finalized head {head}"
            )));
        }
        let read = |key: Vec<u8>| -> Result<Option<Vec<u8>>, ErrorObjectOwned> {
            if at == head {
                snap.get(&key).map_err(internal)
            } else {
                Ok(snap.prove(&key, at).map_err(internal)?.value)
            }
        };
        let decode_err = |e: std::io::Error| internal(format!("corrupt account record: {e}"));
        let info: bank::AccountInfo = match read(bank::account_key(&account))? {
            Some(b) => borsh::from_slice(&b).map_err(decode_err)?,
            None => bank::AccountInfo::default(),
        };
        let hotkey_owner: Option<AccountId> = match read(bank::hotkey_key(&account))? {
            Some(b) => Some(borsh::from_slice(&b).map_err(decode_err)?),
            None => None,
        };
        Ok(AccountJson {
            account,
            balance: info.balance,
            nonce: info.nonce,
            height: at,
            hotkey_owner,
        })
    }

    async fn get_state_value(
        &self,
        key_hex: String,
        height: Option<Height>,
        prove: Option<bool>,
    ) -> Result<StateValueJson, ErrorObjectOwned> {
        let key = hex::decode(key_hex.strip_prefix("0x").unwrap_or(&key_hex))
            .map_err(|e| invalid(format!("key is not hex: {e}")))?;
        if key.len() > 1024 {
            return Err(invalid("key longer than 1024 bytes"));
        }
        let snap = self.store.snapshot().map_err(internal)?;
        let head = snap
            .height()
            .ok_or_else(|| not_found("no block committed yet"))?;
        let at = height.unwrap_or(head);
        if at > head {
            return Err(not_found(format!(
                "height {at} is above the finalized head {head}"
            )));
        }
        let block = snap
            .block::<Call>(at)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("no block at height {at}")))?;
        let proof = snap.prove(&key, at).map_err(internal)?;
        let want_proof = prove.unwrap_or(false);
        let finalization = if want_proof {
            snap.finalization(at).map_err(internal)?.map(hex::encode)
        } else {
            None
        };
        Ok(StateValueJson {
            key: hex::encode(&key),
            value: proof.value.as_ref().map(hex::encode),
            height: at,
            header: block.header,
            proof: want_proof.then(|| hex::encode(proof.to_bytes())),
            finalization,
        })
    }

    async fn get_events(&self, height: Height) -> Result<Vec<TxEvents>, ErrorObjectOwned> {
        let snap = self.store.snapshot().map_err(internal)?;
        let receipts = snap.receipts(height).map_err(internal)?;
        Ok(tx_events(height, &receipts))
    }

    async fn chain_info(&self) -> Result<ChainInfo, ErrorObjectOwned> {
        let g = self.executor.genesis();
        Ok(ChainInfo {
            chain_id: g.chain_id.clone(),
            genesis_hash: self.executor.genesis_hash(),
            token_symbol: synod_primitives::token::SYMBOL.to_string(),
            token_decimals: synod_primitives::token::DECIMALS,
            fee_per_byte: g.fees.per_byte,
            fee_per_weight: g.fees.per_weight,
            validators: self.validators.clone(),
            node_version: env!("CARGO_PKG_VERSION").to_string(),
            mempool_size: self.mempool.len(),
        })
    }

    async fn subscribe_finalized_blocks(
        &self,
        pending: PendingSubscriptionSink,
        ext: &jsonrpsee::Extensions,
    ) -> SubscriptionResult {
        let mut rx = self.finalized.subscribe();
        let mut sink = pending.accept().await?;
        loop {
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                item = rx.recv() => match item {
                    Ok(f) => {
                        let sent = send_bounded(&mut sink, ext, || {
                            serde_json::value::to_raw_value(&block_json(&f.block))
                        })
                        .await;
                        if let Some(end) = subscription_end(sent) {
                            return end;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        return Err(lagged(n).into());
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
            }
        }
    }

    async fn subscribe_events(
        &self,
        pending: PendingSubscriptionSink,
        ext: &jsonrpsee::Extensions,
    ) -> SubscriptionResult {
        let mut rx = self.finalized.subscribe();
        let mut sink = pending.accept().await?;
        loop {
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                item = rx.recv() => match item {
                    Ok(f) => {
                        let height = f.block.height();
                        for ev in tx_events(height, &f.receipts) {
                            let sent = send_bounded(&mut sink, ext, || {
                                serde_json::value::to_raw_value(&ev)
                            })
                            .await;
                            if let Some(end) = subscription_end(sent) {
                                return end;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        return Err(lagged(n).into());
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}

/// A subscriber that fell behind the node's block stream is told so and dropped: skipping
/// blocks silently would hand it a gapped stream.
fn lagged(skipped: u64) -> String {
    format!("subscription closed: slow consumer ({skipped} blocks were not delivered in time)")
}

/// `None`: sent, go on; otherwise how the subscription ends (a slow consumer gets the reason
/// as its closing notification).
fn subscription_end(sent: Result<(), SendError>) -> Option<SubscriptionResult> {
    match sent {
        Ok(()) => None,
        Err(SendError::Closed) => Some(Ok(())),
        Err(e) => {
            tracing::debug!(reason = %e, "ending a subscription");
            Some(Err(e.to_string().into()))
        }
    }
}

/// Starts the JSON-RPC server (HTTP and WebSocket on one port) with `limits` (body size
/// defaults to [`MAX_REQUEST_BODY_BYTES`]). Returns the bound address and a handle that stops
/// the server when `stop()` is called.
pub async fn start_rpc(
    addr: SocketAddr,
    ctx: RpcContext,
    limits: &RpcLimits,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let body = limits
        .max_request_body_bytes
        .unwrap_or(MAX_REQUEST_BODY_BYTES as u32);
    let config = ServerConfig::builder()
        .max_request_body_size(body)
        .max_response_body_size(MAX_RESPONSE_BODY_BYTES)
        .max_connections(limits.max_connections)
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .build();
    let methods = rpc_module(ctx).map_err(std::io::Error::other)?;
    synod_rpc_serve::bind_and_serve(addr, methods, config, body, limits).await
}

/// Everything the node serves on its RPC port: the chain's `synod_*` methods, every module's
/// namespace (listed once, in `synod-runtime`), and `rpc.discover`, the OpenRPC document that
/// describes all of them.
pub fn rpc_module(
    ctx: RpcContext,
) -> Result<jsonrpsee::RpcModule<RpcContext>, jsonrpsee::core::RegisterMethodError> {
    let env = synod_module::RpcEnv {
        store: ctx.store.clone(),
        submitter: Arc::new(ctx.clone()),
    };
    let modules = ctx.executor.runtime().rpc(&env)?;
    let mut all = ctx.into_rpc();
    all.merge(modules)?;
    let document = crate::discover::document();
    all.register_method("rpc.discover", move |_, _, _| document.clone())?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_primitives::Keypair;

    fn api() -> (jsonrpsee::RpcModule<RpcContext>, Store) {
        let genesis = synod_runtime::Genesis::dev(vec![Keypair::dev("validator-0").account()]);
        let ctx = RpcContext::in_memory(genesis).expect("in-memory api");
        let store = ctx.store.clone();
        (rpc_module(ctx).expect("methods register"), store)
    }

    async fn call(module: &jsonrpsee::RpcModule<RpcContext>, request: &str) -> serde_json::Value {
        let (response, _) = module
            .raw_json_request(request, 1)
            .await
            .expect("a JSON-RPC request");
        serde_json::from_str(response.get()).expect("a JSON response")
    }

    /// Bad parameters get a JSON-RPC error naming the problem, and leave the chain as it was.
    #[tokio::test]
    async fn bad_requests_get_clear_errors_and_change_nothing() {
        let (module, store) = api();
        let root = |s: &Store| {
            let snap = s.snapshot().expect("snapshot");
            let head = snap.height().expect("genesis committed");
            snap.block::<synod_runtime::Call>(head)
                .expect("read")
                .expect("block")
                .header
                .state_root
        };
        let before = root(&store);
        let req = |method: &str, params: &str| {
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#)
        };
        let cases = [
            (
                req("synod_getStateValue", r#"["zz", null, true]"#),
                "not hex",
            ),
            (
                req(
                    "synod_getStateValue",
                    &format!(r#"["{}"]"#, "00".repeat(1025)),
                ),
                "longer than 1024",
            ),
            (
                req("synod_getStateValue", r#"["00", 99]"#),
                "above the finalized head",
            ),
            (req("synod_submitTransaction", r#"["0102"]"#), "decode"),
            (req("synod_submitTransaction", r#"["xyz"]"#), "hex"),
            (req("synod_getBlock", r#"[{"nonsense": 1}]"#), "invalid"),
            (req("synod_noSuchMethod", "[]"), "not found"),
        ];
        for (request, expected) in cases {
            let v = call(&module, &request).await;
            let message = v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            let data = v["error"]["data"].to_string().to_lowercase();
            assert!(
                message.contains(expected) || data.contains(expected),
                "{request} -> {v}"
            );
            assert!(v.get("result").is_none(), "{request} -> {v}");
        }
        // A good request still works afterwards.
        let info = call(&module, &req("synod_chainInfo", "[]")).await;
        assert!(info["result"]["chain_id"].is_string(), "{info}");
        assert_eq!(root(&store), before);
    }
}
