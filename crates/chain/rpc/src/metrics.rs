//! Prometheus metrics of the node.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The node's metrics, registered once and updated by the components.
pub struct Metrics {
    registry: Registry,
    /// Transactions admitted to the pool.
    pub txs_admitted: Counter,
    /// Transactions refused at admission.
    pub txs_rejected: Counter,
    /// Transactions in finalized blocks.
    pub txs_finalized: Counter,
    /// Blocks finalized and committed.
    pub blocks_finalized: Counter,
    /// Finalized height.
    pub finalized_height: Gauge,
    /// Pool size.
    pub mempool_size: Gauge,
    /// Seconds spent admitting submitted transactions (decode, signatures, pool).
    pub admission_seconds: Histogram,
    /// Seconds to execute a block (propose or verify).
    pub block_execution_seconds: Histogram,
    /// Seconds to commit a finalized block to disk.
    pub block_commit_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric under the `synod` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("synod");
        let buckets = || {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        };
        let m = Metrics {
            txs_admitted: Counter::default(),
            txs_rejected: Counter::default(),
            txs_finalized: Counter::default(),
            blocks_finalized: Counter::default(),
            finalized_height: Gauge::default(),
            mempool_size: Gauge::default(),
            admission_seconds: buckets(),
            block_execution_seconds: buckets(),
            block_commit_seconds: buckets(),
            registry: Registry::default(),
        };
        registry.register(
            "txs_admitted",
            "Transactions admitted to the pool",
            m.txs_admitted.clone(),
        );
        registry.register(
            "txs_rejected",
            "Transactions refused at admission",
            m.txs_rejected.clone(),
        );
        registry.register(
            "txs_finalized",
            "Transactions in finalized blocks",
            m.txs_finalized.clone(),
        );
        registry.register(
            "blocks_finalized",
            "Blocks finalized and committed",
            m.blocks_finalized.clone(),
        );
        registry.register(
            "finalized_height",
            "Finalized block height",
            m.finalized_height.clone(),
        );
        registry.register(
            "mempool_size",
            "Transactions in the pool",
            m.mempool_size.clone(),
        );
        registry.register(
            "admission_seconds",
            "Time to admit a batch of submitted transactions",
            m.admission_seconds.clone(),
        );
        registry.register(
            "block_execution_seconds",
            "Time to execute a block",
            m.block_execution_seconds.clone(),
        );
        registry.register(
            "block_commit_seconds",
            "Time to commit a finalized block",
            m.block_commit_seconds.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
