//! `synod dev`: a single-validator development chain in one command.

use crate::Cli;
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use synod_bank::GenesisAccount;
use synod_execution::executor::BlockLimits;
use synod_mempool::MempoolConfig;
use synod_node::{NodeConfig, RunningNode};
use synod_primitives::Keypair;
use synod_primitives::keys::DEV_ACCOUNT_NAMES;
use synod_primitives::token::DisplayAmount;
use synod_rpc::RpcLimits;
use synod_runtime::Genesis;

#[derive(Args, Debug)]
pub struct DevArgs {
    /// Data directory (default `~/.synod/dev`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Use a throwaway data directory, deleted on exit.
    #[arg(long, conflicts_with = "data_dir")]
    pub tmp: bool,
    /// JSON-RPC address (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:9944")]
    pub rpc_addr: SocketAddr,
    /// Health and Prometheus metrics address.
    #[arg(long, default_value = "127.0.0.1:9615")]
    pub metrics_addr: SocketAddr,
    /// p2p listen address.
    #[arg(long, default_value = "127.0.0.1:30333")]
    pub p2p_addr: SocketAddr,
    /// Minimum milliseconds between blocks.
    #[arg(long, default_value_t = 250)]
    pub block_interval_ms: u64,
    /// Most transactions per block.
    #[arg(long, default_value_t = 20_000)]
    pub max_block_txs: usize,
    /// Blocks a token's admin actions (mint, emission, authority changes) wait in the queue;
    /// default: the production 48 hours. A non-default value is part of the genesis, so a data
    /// directory keeps the value it was created with.
    #[arg(long)]
    pub token_timelock: Option<u64>,
    /// Devnet attribution parameters: a challenge window of this many blocks, ten times that
    /// to vote, 3 jurors, 10 SYN bonds, 100 SYN worker bond (default: the production 7-day
    /// window). Part of the genesis, like --token-timelock.
    #[arg(long)]
    pub attribution_window: Option<u64>,
    /// Devnet data-pool economics: a tenth of block emission to data pools, split every 20
    /// blocks (default: the production values, none). Part of the genesis.
    #[arg(long)]
    pub data_pools: bool,
    /// Also prefund this many deterministic load-test accounts (`bench-0`, `bench-1`, ...).
    #[arg(long, default_value_t = 0, hide = true)]
    pub bench_accounts: usize,
    /// Log filter (also `RUST_LOG`).
    #[arg(
        long,
        default_value = "info,commonware_consensus=warn,commonware_p2p=warn,commonware_storage=warn"
    )]
    pub log: String,
    #[command(flatten)]
    pub rpc_limits: RpcLimitArgs,
}

/// JSON-RPC resource limits (the `[rpc]` section of a `synod node` config file); each
/// defaults to `synod_rpc::RpcLimits::default()`.
#[derive(Args, Debug, Default)]
pub struct RpcLimitArgs {
    /// Largest request body in bytes (default: the largest `synod_submitTransactions` call).
    #[arg(long)]
    pub rpc_max_request_body_bytes: Option<u32>,
    /// Milliseconds a client has to send a request's headers, then its body (default 30000).
    #[arg(long)]
    pub rpc_request_timeout_ms: Option<u64>,
    /// Most open RPC connections (default 1000).
    #[arg(long)]
    pub rpc_max_connections: Option<u32>,
    /// Most open RPC connections from one IP address (default 32).
    #[arg(long)]
    pub rpc_max_connections_per_ip: Option<u32>,
    /// Request body bytes one IP address may have in flight (default: twice the body limit).
    #[arg(long)]
    pub rpc_max_pending_body_bytes_per_ip: Option<u64>,
    /// Most subscriptions on one WebSocket connection (default 128).
    #[arg(long)]
    pub rpc_max_subscriptions_per_connection: Option<u32>,
    /// Unread notification bytes a WebSocket connection may have queued (default 4 MiB).
    #[arg(long)]
    pub rpc_ws_max_buffered_bytes: Option<u64>,
    /// Milliseconds a subscription waits for room before it is closed as a slow consumer
    /// (default 10000).
    #[arg(long)]
    pub rpc_ws_slow_consumer_timeout_ms: Option<u64>,
    /// A browser origin allowed to call the node (repeatable; replaces the default of local
    /// origins: http(s)://localhost, 127.0.0.1, [::1], any port; `*` allows all).
    #[arg(long = "rpc-allowed-origin")]
    pub rpc_allowed_origins: Vec<String>,
}

impl RpcLimitArgs {
    /// The limits these flags describe.
    pub fn limits(&self) -> anyhow::Result<RpcLimits> {
        let mut l = RpcLimits {
            max_request_body_bytes: self.rpc_max_request_body_bytes,
            max_pending_body_bytes_per_ip: self.rpc_max_pending_body_bytes_per_ip,
            ..RpcLimits::default()
        };
        if let Some(v) = self.rpc_request_timeout_ms {
            l.request_timeout_ms = v;
        }
        if let Some(v) = self.rpc_max_connections {
            l.max_connections = v;
        }
        if let Some(v) = self.rpc_max_connections_per_ip {
            l.max_connections_per_ip = v;
        }
        if let Some(v) = self.rpc_max_subscriptions_per_connection {
            l.max_subscriptions_per_connection = v;
        }
        if let Some(v) = self.rpc_ws_max_buffered_bytes {
            l.ws_max_buffered_bytes = v;
        }
        if let Some(v) = self.rpc_ws_slow_consumer_timeout_ms {
            l.ws_slow_consumer_timeout_ms = v;
        }
        if !self.rpc_allowed_origins.is_empty() {
            l.allowed_origins = self.rpc_allowed_origins.clone();
        }
        l.validate()?;
        Ok(l)
    }
}

/// Where `synod dev` records its genesis inside the data directory (read by `synod replay`).
pub const DEV_GENESIS_FILE: &str = "genesis.json";

/// The `i`-th load-test account key (public, deterministic).
pub fn bench_key(i: usize) -> Keypair {
    Keypair::dev(&format!("bench-{i}"))
}

/// The devnet's validator key (public, deterministic).
pub fn dev_validator() -> Keypair {
    Keypair::dev("validator-0")
}

pub fn run(cli: &Cli, args: &DevArgs) -> anyhow::Result<()> {
    init_logging(&args.log);
    let tmp = if args.tmp {
        Some(tempfile_dir()?)
    } else {
        None
    };
    let data_dir = match (&tmp, &args.data_dir) {
        (Some(t), _) => t.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".synod")
            .join("dev"),
    };
    let key = dev_validator();
    let mut genesis = Genesis::dev(vec![key.account()]);
    genesis
        .accounts
        .extend((0..args.bench_accounts).map(|i| GenesisAccount {
            account: bench_key(i).account(),
            balance: 1_000 * synod_primitives::token::UNIT,
        }));
    if let Some(blocks) = args.token_timelock {
        genesis.tokens.admin_timelock_blocks = blocks;
    }
    if args.data_pools {
        genesis.data = synod_runtime::data::DataGenesis::dev();
    }
    if let Some(blocks) = args.attribution_window {
        genesis.assets = synod_runtime::assets::AssetsGenesis::dev(blocks);
    }
    let config = NodeConfig {
        data_dir: data_dir.clone(),
        genesis: genesis.clone(),
        key: key.clone(),
        rpc_addr: args.rpc_addr,
        rpc_limits: args.rpc_limits.limits()?,
        metrics_addr: Some(args.metrics_addr),
        p2p_addr: args.p2p_addr,
        p2p_dialable: None,
        bootstrappers: Vec::new(),
        observers: Vec::new(),
        block_interval: Duration::from_millis(args.block_interval_ms),
        mempool: MempoolConfig::default(),
        limits: BlockLimits {
            max_txs: args.max_block_txs,
            ..BlockLimits::default()
        },
        rotate_validators: false,
    };
    let node = RunningNode::start(config).context("starting the devnet")?;
    // The genesis this data directory was started with, so that `synod replay` re-executes it
    // with the same one (flags such as --token-timelock and --bench-accounts change it). The
    // node has already refused a directory made for another genesis.
    let genesis_file = data_dir.join(DEV_GENESIS_FILE);
    if !genesis_file.exists() {
        std::fs::write(&genesis_file, serde_json::to_vec_pretty(&genesis)?)
            .with_context(|| format!("writing {}", genesis_file.display()))?;
    }
    let rpc = node.rpc_addr;
    let metrics = node.metrics_addr;
    if cli.json {
        println!(
            "{}",
            serde_json::json!({
                "chain_id": genesis.chain_id, "genesis_hash": genesis.hash(),
                "rpc": format!("http://{rpc}"), "ws": format!("ws://{rpc}"),
                "metrics": metrics.map(|m| format!("http://{m}/metrics")),
                "data_dir": data_dir, "validator": key.account(),
            })
        );
    } else {
        println!(
            "Synod devnet '{}' (genesis {})",
            genesis.chain_id,
            genesis.hash()
        );
        println!("  JSON-RPC   http://{rpc}  (WebSocket ws://{rpc})");
        if let Some(m) = metrics {
            println!("  metrics    http://{m}/metrics   health http://{m}/health");
        }
        println!(
            "  data dir   {}{}",
            data_dir.display(),
            if tmp.is_some() {
                " (deleted on exit)"
            } else {
                ""
            }
        );
        println!("  validator  {}", key.account());
        println!(
            "  dev accounts (use --dev, e.g. `synod --dev transfer --from alice --to bob --amount 1`):"
        );
        for n in DEV_ACCOUNT_NAMES {
            println!(
                "    {n:<8} {}  {}",
                Keypair::dev(n).account(),
                DisplayAmount(genesis.accounts[0].balance)
            );
        }
        println!("Press Ctrl-C to stop.");
    }
    let result = node.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    if let Some(dir) = tmp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result.context("devnet stopped with an error")
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let dir = std::env::temp_dir().join(format!("synod-dev-{}", hex::encode(suffix)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
