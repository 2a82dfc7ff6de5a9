//! Node configuration, startup and shutdown.

use crate::app::{AppError, AppParts, ChainApp};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use synod_consensus::{EngineConfig, EngineStatus, namespace, run_tokio_with};
use synod_execution::executor::BlockLimits;
use synod_mempool::{ChainRules, Mempool, MempoolConfig};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::http::start_http;
use synod_rpc::{Metrics, NodeStatus, RpcContext, RpcLimits, start_rpc};
use synod_runtime::Genesis;
use synod_storage::Store;
use tokio::sync::{broadcast, oneshot};

/// Everything needed to run a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Data directory (`chain.redb`, `consensus/`).
    pub data_dir: PathBuf,
    /// The chain's genesis.
    pub genesis: Genesis,
    /// This validator's key (account, consensus and p2p identity).
    pub key: Keypair,
    /// JSON-RPC (HTTP + WebSocket) address.
    pub rpc_addr: SocketAddr,
    /// What one JSON-RPC client may hold: body size, read deadline, connections, subscriptions,
    /// queued notification bytes, allowed browser origins.
    pub rpc_limits: RpcLimits,
    /// `/health` and `/metrics` address; `None` disables it.
    pub metrics_addr: Option<SocketAddr>,
    /// p2p listen address.
    pub p2p_addr: SocketAddr,
    /// Address peers dial to reach this node (`None`: `p2p_addr`).
    pub p2p_dialable: Option<SocketAddr>,
    /// Peers to dial at startup.
    pub bootstrappers: Vec<(AccountId, SocketAddr)>,
    /// Accounts of the non-voting full nodes (observers) the network admits. Every node lists
    /// the same ones; a node whose key is not a validator must be among them.
    pub observers: Vec<AccountId>,
    /// Minimum time between blocks.
    pub block_interval: Duration,
    /// Pool limits.
    pub mempool: MempoolConfig,
    /// Block filling limits.
    pub limits: BlockLimits,
    /// Whether consensus follows the staking module's validator set, switching at every
    /// epoch boundary (`genesis.staking.epoch_length` blocks). Off for the single-process
    /// devnet, whose one validator keeps voting alone whatever dev accounts bond (a bonded
    /// account without a node would otherwise halt it); on for networks.
    pub rotate_validators: bool,
}

/// Why the node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Filesystem or socket error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// Storage failed to open.
    #[error(transparent)]
    Storage(#[from] synod_storage::StorageError),
    /// The application could not start.
    #[error(transparent)]
    App(#[from] AppError),
    /// The consensus engine failed.
    #[error(transparent)]
    Consensus(#[from] synod_consensus::ConsensusError),
    /// The node thread panicked.
    #[error("node thread panicked")]
    Panicked,
    /// The transaction pool's journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] synod_mempool::journal::JournalError),
    /// The data directory was created for another genesis.
    #[error(
        "the data directory {dir} belongs to genesis {found}, but this node's genesis is {expected}: wrong data directory or genesis file"
    )]
    GenesisMismatch {
        /// The data directory.
        dir: PathBuf,
        /// Hash of the configured genesis.
        expected: Hash,
        /// Hash recorded in the data directory.
        found: String,
    },
}

/// File in the data directory naming the genesis it was created for. Block 0 alone cannot
/// tell chains apart: its header commits to the genesis state, but not to the chain id, the
/// validator set or the fee schedule.
const GENESIS_HASH_FILE: &str = "genesis-hash";

/// Records the genesis hash in a new data directory, or checks the recorded one.
fn check_data_dir_genesis(dir: &std::path::Path, genesis: Hash) -> Result<(), NodeError> {
    let path = dir.join(GENESIS_HASH_FILE);
    match std::fs::read_to_string(&path) {
        Ok(found) => {
            if found.trim() != genesis.to_string() {
                return Err(NodeError::GenesisMismatch {
                    dir: dir.to_path_buf(),
                    expected: genesis,
                    found: found.trim().chars().take(80).collect(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(&path, format!("{genesis}\n"))
                .map_err(io(format!("writing {}", path.display())))
        }
        Err(e) => Err(io(format!("reading {}", path.display()))(e)),
    }
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> NodeError {
    let context = context.into();
    move |source| NodeError::Io { context, source }
}

/// A node running on its own threads.
pub struct RunningNode {
    /// Bound JSON-RPC address.
    pub rpc_addr: SocketAddr,
    /// Bound metrics address.
    pub metrics_addr: Option<SocketAddr>,
    /// The database (for in-process inspection).
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    consensus: Option<std::thread::JoinHandle<Result<(), NodeError>>>,
    rpc_runtime: Option<tokio::runtime::Runtime>,
    rpc_handle: jsonrpsee::server::ServerHandle,
}

impl RunningNode {
    /// Starts every component and returns once RPC is listening.
    pub fn start(config: NodeConfig) -> Result<Self, NodeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(io(format!("creating {}", config.data_dir.display())))?;
        check_data_dir_genesis(&config.data_dir, config.genesis.hash())?;
        let store = Store::open(&config.data_dir.join("chain.redb"))?;
        let executor = crate::evidence::chain_executor(config.genesis.clone());
        let validators: Vec<AccountId> = config
            .genesis
            .validators
            .iter()
            .map(|v| v.account)
            .collect();
        let mempool = Arc::new(Mempool::new(
            config.mempool.clone(),
            ChainRules {
                chain_id: config.genesis.chain_id.clone(),
                genesis_hash: executor.genesis_hash(),
                fees: config.genesis.fees,
            },
        ));
        let metrics = Arc::new(Metrics::new());
        let status = Arc::new(NodeStatus::default());
        let (finalized, _) = broadcast::channel(1024);
        let app = ChainApp::new(AppParts {
            executor: executor.clone(),
            store: store.clone(),
            mempool: mempool.clone(),
            proposer: config.key.account(),
            finalized: finalized.clone(),
            status: status.clone(),
            metrics: metrics.clone(),
            limits: config.limits,
            reporter: Some(config.key.clone()),
        })?;
        // Transactions accepted before a crash or stop come back, each checked again against
        // the committed state.
        let snap = store.snapshot()?;
        let restored = mempool.open_journal(&config.data_dir.join("mempool.journal"), |who| {
            synod_execution::bank::account(&snap, who)
                .unwrap_or_default()
                .into()
        })?;
        drop(snap);
        if restored.read > 0 || restored.torn_bytes > 0 {
            tracing::info!(
                restored = restored.admitted,
                dropped = restored.dropped,
                torn_bytes = restored.torn_bytes,
                "transaction pool restored from its journal"
            );
        }

        let rpc_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("synod-rpc")
            .enable_all()
            .build()
            .map_err(io("starting the RPC runtime"))?;
        let gossip_slot = crate::gossip::GossipSlot::default();
        let on_admitted = crate::gossip::start(mempool.clone(), gossip_slot.clone())
            .map_err(io("spawning the gossip thread"))?;
        let ctx = RpcContext {
            store: store.clone(),
            mempool,
            executor: executor.clone(),
            finalized,
            status,
            metrics,
            validators: validators.clone(),
            on_admitted: Some(on_admitted),
        };
        let (rpc_addr, rpc_handle) = rpc_runtime
            .block_on(start_rpc(config.rpc_addr, ctx.clone(), &config.rpc_limits))
            .map_err(io(format!("binding JSON-RPC on {}", config.rpc_addr)))?;
        let metrics_addr = match config.metrics_addr {
            Some(addr) => Some(
                rpc_runtime
                    .block_on(start_http(addr, ctx))
                    .map_err(io(format!("binding metrics on {addr}")))?
                    .0,
            ),
            None => None,
        };

        let mut engine = EngineConfig::devnet(
            config.key.clone(),
            validators,
            namespace(&config.genesis.chain_id, &executor.genesis_hash()),
            config.p2p_addr,
            config.data_dir.join("consensus"),
        );
        engine.bootstrappers = config.bootstrappers.clone();
        engine.dialable = config.p2p_dialable;
        engine.observers = config.observers.clone();
        engine.block_interval = config.block_interval;
        if config.rotate_validators {
            engine.epoch_length = Some(config.genesis.staking.epoch_length);
        }
        engine.validate()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let consensus = std::thread::Builder::new()
            .name("synod-consensus".into())
            .spawn(move || {
                run_tokio_with(
                    engine,
                    app,
                    async move {
                        let _ = stop_rx.await;
                    },
                    move |status: EngineStatus| {
                        let _ = gossip_slot.set(status.tx_gossip());
                        tracing::info!("consensus engine started");
                    },
                )
                .map_err(NodeError::from)
            })
            .map_err(io("spawning the consensus thread"))?;
        Ok(RunningNode {
            rpc_addr,
            metrics_addr,
            store,
            stop: Some(stop_tx),
            consensus: Some(consensus),
            rpc_runtime: Some(rpc_runtime),
            rpc_handle,
        })
    }

    /// Stops consensus (finishing the block being committed), then RPC.
    pub fn stop(mut self) -> Result<(), NodeError> {
        self.shutdown()
    }

    /// Blocks until the consensus engine stops by itself (an error) or `signal` resolves,
    /// then shuts down.
    pub fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> Result<(), NodeError> {
        let finished = || self.consensus.as_ref().is_none_or(|h| h.is_finished());
        if let Some(rt) = self.rpc_runtime.as_ref() {
            rt.block_on(async {
                let consensus_done = async {
                    while !finished() {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                };
                tokio::select! {
                    _ = signal => tracing::info!("shutdown requested"),
                    _ = consensus_done => tracing::error!("consensus engine stopped"),
                }
            });
        }
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), NodeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = match self.consensus.take() {
            Some(h) => h.join().map_err(|_| NodeError::Panicked).and_then(|r| r),
            None => Ok(()),
        };
        let _ = self.rpc_handle.stop();
        if let Some(rt) = self.rpc_runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        result
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_remembers_its_genesis() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = Genesis::dev(vec![Keypair::dev("v").account()]);
        let mut b = a.clone();
        b.chain_id = "other".into();
        check_data_dir_genesis(dir.path(), a.hash()).expect("first start records");
        check_data_dir_genesis(dir.path(), a.hash()).expect("same genesis");
        let err = check_data_dir_genesis(dir.path(), b.hash()).expect_err("other chain");
        assert!(matches!(err, NodeError::GenesisMismatch { .. }), "{err}");
        assert!(err.to_string().contains("wrong data directory"));
    }
}
