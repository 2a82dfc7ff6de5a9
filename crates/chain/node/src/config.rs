//! The node's TOML configuration file (`synod node --config FILE`).
//!
//! ```toml
//! data_dir = "data"                     # relative paths are relative to this file
//! genesis = "genesis.json"
//! genesis_hash = "0x…"                  # optional pin: refuse a different genesis file
//! key_file = "node.key"                 # `synod node keygen --out node.key`
//! rpc_addr = "127.0.0.1:9944"
//! metrics_addr = "127.0.0.1:9615"       # optional: /health and /metrics
//! block_interval_ms = 250
//! max_block_txs = 20000
//! log = "info"
//!
//! [p2p]
//! listen = "0.0.0.0:30333"
//! dialable = "203.0.113.7:30333"        # optional: what peers dial (default: listen)
//! bootstrappers = ["0x<account>@10.0.0.2:30333"]
//! observers = ["0x<full node account>"] # full nodes the network admits (same list everywhere)
//!
//! [rpc]                                 # optional; each field defaults (shown)
//! # max_request_body_bytes = 16831312   # default: the largest submitTransactions call
//! request_timeout_ms = 30000            # to send a request's headers, then its body
//! max_connections = 1000
//! max_connections_per_ip = 32
//! max_subscriptions_per_connection = 128
//! ws_max_buffered_bytes = 4194304       # unread notification bytes per WebSocket
//! ws_slow_consumer_timeout_ms = 10000   # then the subscription is closed with a reason
//! allowed_origins = ["http://localhost:*", "https://localhost:*", "http://127.0.0.1:*",
//!   "https://127.0.0.1:*", "http://[::1]:*", "https://[::1]:*"]   # browser pages; "*": any
//!
//! [mempool]                             # optional; each field defaults
//! max_txs = 200000
//! max_per_sender = 1024
//! nonce_window = 1024
//! replacement_bump_percent = 10
//! max_future = 5000                     # transactions behind a nonce gap, in total
//! max_future_per_sender = 16
//! future_ttl_secs = 180                 # a gapped transaction is dropped this long after admission
//! ```
//!
//! Unknown fields are rejected, so a misspelt option is an error rather than a default.

use crate::genesis::{GenesisError, load_genesis};
use crate::keyfile::{KeyFileError, read_key_file};
use crate::node::NodeConfig;
use serde::{Deserialize, Serialize};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;
use synod_execution::executor::BlockLimits;
use synod_mempool::MempoolConfig;
use synod_primitives::{AccountId, Hash};
use synod_rpc::RpcLimits;

/// The default log filter: the node's own events, engine internals only when they matter.
pub const DEFAULT_LOG: &str =
    "info,commonware_consensus=warn,commonware_p2p=warn,commonware_storage=warn";

/// Why a node configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("config {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The config file does not parse or has unknown fields.
    #[error("config {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A value is out of range or inconsistent.
    #[error("config {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The genesis file is unusable.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// The key file is unusable.
    #[error(transparent)]
    Key(#[from] KeyFileError),
}

/// p2p settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pFile {
    /// Address the p2p listener binds.
    pub listen: SocketAddr,
    /// Address other nodes dial to reach this one (default: `listen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialable: Option<SocketAddr>,
    /// `ACCOUNT@HOST:PORT` of peers to dial at startup.
    #[serde(default)]
    pub bootstrappers: Vec<String>,
    /// Accounts of the full nodes (observers) the network admits; the same list on every node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observers: Vec<AccountId>,
}

/// Pool limits; each defaults to [`MempoolConfig::default`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MempoolFile {
    /// Most transactions held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_txs: Option<usize>,
    /// Most transactions held per sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_sender: Option<usize>,
    /// Nonces accepted ahead of the account's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_window: Option<u64>,
    /// Fee increase (percent) a same-nonce replacement needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_bump_percent: Option<u64>,
    /// Most transactions held behind a nonce gap, in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_future: Option<usize>,
    /// Most transactions held behind a nonce gap per sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_future_per_sender: Option<usize>,
    /// Seconds after admission at which a transaction still behind a gap is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub future_ttl_secs: Option<u64>,
}

fn default_block_interval_ms() -> u64 {
    250
}
fn default_max_block_txs() -> usize {
    20_000
}
fn default_log() -> String {
    DEFAULT_LOG.into()
}

/// The config file as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    /// Data directory (`chain.redb`, `consensus/`).
    pub data_dir: PathBuf,
    /// Genesis JSON file.
    pub genesis: PathBuf,
    /// Expected genesis hash; when set, a different genesis file is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis_hash: Option<Hash>,
    /// Node key file (JSON, mode 0600).
    pub key_file: PathBuf,
    /// JSON-RPC (HTTP + WebSocket) address.
    pub rpc_addr: SocketAddr,
    /// `/health` and `/metrics` address (none: disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_addr: Option<SocketAddr>,
    /// Minimum milliseconds between blocks (below the 1 s leader timeout).
    #[serde(default = "default_block_interval_ms")]
    pub block_interval_ms: u64,
    /// Most transactions per block this node proposes.
    #[serde(default = "default_max_block_txs")]
    pub max_block_txs: usize,
    /// Log filter (`RUST_LOG` overrides it).
    #[serde(default = "default_log")]
    pub log: String,
    /// p2p settings.
    pub p2p: P2pFile,
    /// Pool limits.
    #[serde(default)]
    pub mempool: MempoolFile,
    /// JSON-RPC resource limits.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rpc: RpcLimits,
}

fn is_default(l: &RpcLimits) -> bool {
    *l == RpcLimits::default()
}

/// Whether this node votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    /// Its key is in the genesis validator set.
    Validator,
    /// Not a validator: follows the chain without voting.
    FullNode,
}

/// A loaded, checked configuration.
#[derive(Debug)]
pub struct LoadedConfig {
    /// What to start.
    pub node: NodeConfig,
    /// Validator or full node.
    pub role: NodeRole,
    /// Log filter.
    pub log: String,
}

/// Parses `ACCOUNT@HOST:PORT` (host may be a name; it is resolved now).
pub fn parse_bootstrapper(s: &str) -> Result<(AccountId, SocketAddr), String> {
    let (account, addr) = s
        .split_once('@')
        .ok_or_else(|| format!("bootstrapper '{s}' must be ACCOUNT@HOST:PORT"))?;
    let account: AccountId = account
        .parse()
        .map_err(|e| format!("bootstrapper '{s}': bad account: {e}"))?;
    let addr = addr
        .to_socket_addrs()
        .map_err(|e| format!("bootstrapper '{s}': bad address: {e}"))?
        .next()
        .ok_or_else(|| format!("bootstrapper '{s}': address resolves to nothing"))?;
    Ok((account, addr))
}

impl NodeFile {
    /// Parses a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads the genesis and key files this config names (relative to `base`, the config's
    /// directory) and builds the node configuration.
    pub fn resolve(&self, path: &Path) -> Result<LoadedConfig, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let at = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        if self.block_interval_ms == 0 || self.block_interval_ms >= 1_000 {
            return Err(invalid(format!(
                "block_interval_ms = {} must be between 1 and 999 (below the 1 s leader timeout)",
                self.block_interval_ms
            )));
        }
        if self.max_block_txs == 0 {
            return Err(invalid("max_block_txs must be positive".into()));
        }
        let defaults = MempoolConfig::default();
        let mempool = MempoolConfig {
            max_txs: self.mempool.max_txs.unwrap_or(defaults.max_txs),
            max_per_sender: self
                .mempool
                .max_per_sender
                .unwrap_or(defaults.max_per_sender),
            nonce_window: self.mempool.nonce_window.unwrap_or(defaults.nonce_window),
            replacement_bump_percent: self
                .mempool
                .replacement_bump_percent
                .unwrap_or(defaults.replacement_bump_percent),
            max_future: self.mempool.max_future.unwrap_or(defaults.max_future),
            max_future_per_sender: self
                .mempool
                .max_future_per_sender
                .unwrap_or(defaults.max_future_per_sender),
            future_ttl: self
                .mempool
                .future_ttl_secs
                .map_or(defaults.future_ttl, std::time::Duration::from_secs),
        };
        if mempool.max_txs == 0
            || mempool.max_per_sender == 0
            || mempool.nonce_window == 0
            || mempool.future_ttl.is_zero()
        {
            return Err(invalid(
                "mempool max_txs, max_per_sender, nonce_window and future_ttl_secs must be positive"
                    .into(),
            ));
        }
        self.rpc.validate().map_err(|e| invalid(e.to_string()))?;
        let bootstrappers = self
            .p2p
            .bootstrappers
            .iter()
            .map(|b| parse_bootstrapper(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let genesis_path = at(&self.genesis);
        let genesis = load_genesis(&genesis_path)?;
        if let Some(pinned) = self.genesis_hash
            && pinned != genesis.hash()
        {
            return Err(invalid(format!(
                "{} has genesis hash {}, but the config pins genesis_hash = {pinned}",
                genesis_path.display(),
                genesis.hash()
            )));
        }
        let key = read_key_file(&at(&self.key_file))?;
        let mut observers = self.p2p.observers.clone();
        let role = if genesis
            .validators
            .iter()
            .any(|v| v.account == key.account())
        {
            if observers.contains(&key.account()) {
                return Err(invalid(format!(
                    "{} is a genesis validator and cannot also be listed in p2p.observers",
                    key.account()
                )));
            }
            NodeRole::Validator
        } else {
            // A full node is always an observer of its own network; validators must list it
            // too, or they will not admit its connections.
            if !observers.contains(&key.account()) {
                observers.push(key.account());
            }
            NodeRole::FullNode
        };
        Ok(LoadedConfig {
            node: NodeConfig {
                data_dir: at(&self.data_dir),
                genesis,
                key,
                rpc_addr: self.rpc_addr,
                rpc_limits: self.rpc.clone(),
                metrics_addr: self.metrics_addr,
                p2p_addr: self.p2p.listen,
                p2p_dialable: self.p2p.dialable,
                bootstrappers,
                observers,
                block_interval: Duration::from_millis(self.block_interval_ms),
                mempool,
                limits: BlockLimits {
                    max_txs: self.max_block_txs,
                    ..BlockLimits::default()
                },
                rotate_validators: true,
            },
            role,
            log: self.log.clone(),
        })
    }
}

/// Loads and resolves a config file.
pub fn load_config(path: &Path) -> Result<LoadedConfig, ConfigError> {
    NodeFile::load(path)?.resolve(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyfile::write_key_file;
    use synod_primitives::Keypair;
    use synod_runtime::Genesis;

    struct Fixture {
        dir: tempfile::TempDir,
        genesis: Genesis,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tmp");
        let v = Keypair::dev("v0");
        let genesis = Genesis::dev(vec![v.account()]);
        std::fs::write(
            dir.path().join("genesis.json"),
            serde_json::to_string(&genesis).expect("json"),
        )
        .expect("write");
        write_key_file(&dir.path().join("v.key"), &v).expect("key");
        write_key_file(&dir.path().join("other.key"), &Keypair::dev("o")).expect("key");
        Fixture { dir, genesis }
    }

    fn config(f: &Fixture, body: &str) -> Result<LoadedConfig, ConfigError> {
        let p = f.dir.path().join("node.toml");
        std::fs::write(&p, body).expect("write");
        load_config(&p)
    }

    const BASE: &str = r#"
data_dir = "data"
genesis = "genesis.json"
key_file = "v.key"
rpc_addr = "127.0.0.1:9944"
[p2p]
listen = "127.0.0.1:30333"
bootstrappers = ["0x0101010101010101010101010101010101010101010101010101010101010101@localhost:30334"]
"#;

    #[test]
    fn minimal_config_resolves_relative_paths_and_defaults() {
        let f = fixture();
        let c = config(&f, BASE).expect("valid");
        assert_eq!(c.role, NodeRole::Validator);
        assert_eq!(c.node.data_dir, f.dir.path().join("data"));
        assert_eq!(c.node.genesis.hash(), f.genesis.hash());
        assert_eq!(c.node.block_interval, Duration::from_millis(250));
        assert_eq!(c.node.mempool.max_txs, MempoolConfig::default().max_txs);
        assert_eq!(c.node.bootstrappers.len(), 1);
        assert_eq!(c.node.bootstrappers[0].1.port(), 30334);
        assert_eq!(c.log, DEFAULT_LOG);
        assert_eq!(c.node.rpc_limits, RpcLimits::default());
    }

    #[test]
    fn rpc_limits_are_read_from_the_rpc_section() {
        let f = fixture();
        let body = format!(
            "{BASE}\n[rpc]\nrequest_timeout_ms = 1500\nmax_connections_per_ip = 4\n\
             allowed_origins = [\"https://app.example\"]\nmax_request_body_bytes = 1000\n"
        );
        let c = config(&f, &body).expect("valid");
        let l = &c.node.rpc_limits;
        assert_eq!(l.request_timeout_ms, 1500);
        assert_eq!(l.max_connections_per_ip, 4);
        assert_eq!(l.max_request_body_bytes, Some(1000));
        assert_eq!(l.allowed_origins, vec!["https://app.example".to_string()]);
        assert_eq!(l.max_connections, RpcLimits::default().max_connections);
    }

    #[test]
    fn a_key_outside_the_validator_set_is_a_full_node() {
        let f = fixture();
        let c = config(&f, &BASE.replace("v.key", "other.key")).expect("valid");
        assert_eq!(c.role, NodeRole::FullNode);
        assert_eq!(c.node.observers, vec![Keypair::dev("o").account()]);
        let listed = format!("{BASE}observers = [\"{}\"]\n", Keypair::dev("v0").account());
        let err = config(&f, &listed).expect_err("validator as observer");
        assert!(err.to_string().contains("cannot also be listed"), "{err}");
    }

    #[test]
    fn errors_name_the_problem() {
        let f = fixture();
        let cases = [
            (BASE.replace("rpc_addr", "rpc_adr"), "rpc_adr"),
            (
                format!("{BASE}\nblock_interval_ms = 1000"),
                "block_interval_ms",
            ),
            (BASE.replace("0x0101", "0x01"), "bad account"),
            (
                BASE.replace("@localhost:30334", "localhost:30334"),
                "ACCOUNT@HOST:PORT",
            ),
            (BASE.replace("genesis.json", "nope.json"), "nope.json"),
            (BASE.replace("v.key", "missing.key"), "missing.key"),
            (
                format!("genesis_hash = \"{}\"\n{BASE}", Hash::digest(b"x")),
                "pins genesis_hash",
            ),
            (format!("{BASE}\n[mempool]\nmax_tx = 5"), "max_tx"),
            (
                format!("{BASE}\n[mempool]\nnonce_window = 0"),
                "nonce_window",
            ),
            (
                format!("{BASE}\n[rpc]\nmax_connections_per_ip = 0"),
                "max_connections_per_ip",
            ),
            (
                format!("{BASE}\n[rpc]\nrequest_timeout = 5"),
                "request_timeout",
            ),
            (
                format!("{BASE}\n[rpc]\nallowed_origins = [\"evil.example\"]"),
                "evil.example",
            ),
        ];
        for (body, want) in cases {
            let err = config(&f, &body).expect_err(want);
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
        let err = load_config(&f.dir.path().join("absent.toml")).expect_err("missing");
        assert!(matches!(err, ConfigError::Io { .. }));
    }

    #[test]
    fn pinned_genesis_hash_that_matches_is_accepted() {
        let f = fixture();
        let body = format!("genesis_hash = \"{}\"\n{BASE}", f.genesis.hash());
        config(&f, &body).expect("matching pin");
    }
}
