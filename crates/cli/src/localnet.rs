//! `synod localnet`: N validators as separate `synod node` processes on loopback.
//!
//! Layout of the directory: `genesis-spec.toml`, `genesis.json`, `localnet.json` (the plan:
//! ports, accounts, files; a later run with the same directory resumes that network), and per
//! node `node-I/{node.key, node.toml, data/}` plus `node-I.log`.

use crate::Cli;
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use synod_node::config::{MempoolFile, NodeFile, P2pFile};
use synod_node::genesis::{AccountSpec, GenesisSpec, ValidatorSpec, load_genesis};
use synod_node::keyfile::{generate_key_file, read_key_file};
use synod_primitives::keys::DEV_ACCOUNT_NAMES;
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Keypair};
use synod_rpc::SynodApiClient;
use synod_runtime::Genesis;

#[derive(Args, Debug)]
pub struct LocalnetArgs {
    /// Validators (separate `synod node` processes).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Non-voting full nodes (observers that follow the chain and serve RPC).
    #[arg(long, default_value_t = 0)]
    pub full_nodes: usize,
    /// Directory for keys, genesis, configs, data and logs (default: a fresh temp dir). An
    /// existing localnet directory is resumed.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Node I gets RPC on BASE+I, metrics on BASE+100+I, p2p on BASE+200+I; 0 picks free ports.
    #[arg(long, default_value_t = 9944)]
    pub base_port: u16,
    /// Minimum milliseconds between blocks.
    #[arg(long, default_value_t = 250)]
    pub block_interval_ms: u64,
    /// Blocks per validator epoch (the set can change, and consensus hands over, at each
    /// boundary). Short by default so bonding shows up quickly; a real network uses 600.
    #[arg(long, default_value_t = synod_validators::StakingParams::dev().epoch_length)]
    pub epoch_length: u64,
    /// Write keys, genesis and configs, print the plan, and exit without starting nodes.
    #[arg(long)]
    pub no_start: bool,
    /// Log filter for the nodes.
    #[arg(long, default_value = synod_node::config::DEFAULT_LOG)]
    pub log: String,
}

/// How to lay out a new localnet.
#[derive(Clone, Debug)]
pub struct Options {
    pub validators: usize,
    pub full_nodes: usize,
    pub base_port: u16,
    pub block_interval_ms: u64,
    /// Blocks per validator epoch.
    pub epoch_length: u64,
    pub max_block_txs: usize,
    /// Also fund `bench-0..bench-N` with 100 SYN each (load generators).
    pub bench_accounts: usize,
    pub log: String,
}

/// One node of the plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodePlan {
    pub name: String,
    pub account: AccountId,
    pub validator: bool,
    pub rpc: SocketAddr,
    pub metrics: SocketAddr,
    pub p2p: SocketAddr,
    pub config: PathBuf,
    pub log: PathBuf,
}

impl NodePlan {
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc)
    }
}

/// Everything a localnet consists of (written as `localnet.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub dir: PathBuf,
    pub chain_id: String,
    pub genesis_hash: synod_primitives::Hash,
    pub genesis: PathBuf,
    pub nodes: Vec<NodePlan>,
}

/// A port free now, drawn at random from 10000..20000: below the kernel's ephemeral range
/// (32768 and up), so no outgoing connection can take it between this check and the node's
/// bind, as happened with ports the kernel handed out for port 0 (a full node of a test
/// localnet then never started).
fn free_port() -> anyhow::Result<u16> {
    for _ in 0..1000 {
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let p = 10_000 + u16::from_le_bytes(b) % 10_000;
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return Ok(p);
        }
    }
    bail!("no free port in 10000..20000")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `i`-th load-test account (public, deterministic); shared with `synod bench`.
pub fn bench_key(i: usize) -> Keypair {
    crate::dev::bench_key(i)
}

/// Balance of each bench account in a localnet.
pub const BENCH_BALANCE: u64 = 100 * UNIT;

/// Writes a new localnet into `dir`, or loads the one already there.
pub fn prepare(dir: &Path, opts: &Options) -> anyhow::Result<Plan> {
    let manifest = dir.join("localnet.json");
    if manifest.exists() {
        let plan: Plan = serde_json::from_slice(&std::fs::read(&manifest)?)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let validators = plan.nodes.iter().filter(|n| n.validator).count();
        if validators != opts.validators || plan.nodes.len() - validators != opts.full_nodes {
            bail!(
                "{} holds a localnet of {validators} validators and {} full nodes; use another --dir for a different shape",
                dir.display(),
                plan.nodes.len() - validators
            );
        }
        return Ok(plan);
    }
    if opts.validators == 0 {
        bail!("a localnet needs at least one validator");
    }
    let total = opts.validators + opts.full_nodes;
    if total > 100 {
        bail!("at most 100 nodes");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let port = |offset: usize, i: usize| -> anyhow::Result<u16> {
        if opts.base_port == 0 {
            return free_port();
        }
        let p = usize::from(opts.base_port) + offset + i;
        u16::try_from(p).context("--base-port too high for this many nodes")
    };
    let mut nodes = Vec::new();
    let mut keys = Vec::new();
    for i in 0..total {
        let name = format!("node-{i}");
        let node_dir = dir.join(&name);
        std::fs::create_dir_all(&node_dir)?;
        let key = generate_key_file(&node_dir.join("node.key"))?;
        let loopback = |p: u16| SocketAddr::from(([127, 0, 0, 1], p));
        nodes.push(NodePlan {
            name: name.clone(),
            account: key.account(),
            validator: i < opts.validators,
            rpc: loopback(port(0, i)?),
            metrics: loopback(port(100, i)?),
            p2p: loopback(port(200, i)?),
            config: node_dir.join("node.toml"),
            log: dir.join(format!("{name}.log")),
        });
        keys.push(key);
    }
    let mut accounts: Vec<AccountSpec> = DEV_ACCOUNT_NAMES
        .iter()
        .map(|n| AccountSpec {
            account: Keypair::dev(n).account(),
            balance: 1_000_000 * UNIT,
        })
        .collect();
    // Node keys hold a little SYN so a validator can pay for the equivocation reports its
    // engine files.
    accounts.extend(nodes.iter().map(|n| AccountSpec {
        account: n.account,
        balance: 10_000 * UNIT,
    }));
    accounts.extend((0..opts.bench_accounts).map(|i| AccountSpec {
        account: bench_key(i).account(),
        balance: BENCH_BALANCE,
    }));
    let spec = GenesisSpec {
        chain_id: "synod-localnet".into(),
        timestamp_ms: now_ms(),
        validators: nodes
            .iter()
            .filter(|n| n.validator)
            .map(|n| ValidatorSpec {
                account: n.account,
                stake: 1_000 * UNIT,
            })
            .collect(),
        accounts,
        fees: None,
        // Devnet-friendly module parameters: short validator epochs, no subnet rate limits.
        staking: Some(synod_validators::StakingParams {
            epoch_length: opts.epoch_length,
            ..synod_validators::StakingParams::dev()
        }),
        subnets: Some(synod_subnets::SubnetParams::dev()),
        tokens: None,
        assets: None,
        data: None,
    };
    std::fs::write(dir.join("genesis-spec.toml"), toml::to_string(&spec)?)?;
    let genesis = spec.build()?;
    let genesis_path = dir.join("genesis.json");
    crate::genesis::write_genesis(&genesis_path, &genesis, false)?;
    let bootstrappers: Vec<String> = nodes
        .iter()
        .filter(|n| n.validator)
        .map(|n| format!("{}@{}", n.account, n.p2p))
        .collect();
    let observers: Vec<AccountId> = nodes
        .iter()
        .filter(|n| !n.validator)
        .map(|n| n.account)
        .collect();
    for n in &nodes {
        let file = NodeFile {
            data_dir: "data".into(),
            genesis: "../genesis.json".into(),
            genesis_hash: Some(genesis.hash()),
            key_file: "node.key".into(),
            rpc_addr: n.rpc,
            metrics_addr: Some(n.metrics),
            block_interval_ms: opts.block_interval_ms,
            max_block_txs: opts.max_block_txs,
            log: opts.log.clone(),
            p2p: P2pFile {
                listen: n.p2p,
                dialable: None,
                bootstrappers: bootstrappers
                    .iter()
                    .filter(|b| !b.starts_with(&n.account.to_string()))
                    .cloned()
                    .collect(),
                observers: observers.clone(),
            },
            mempool: MempoolFile::default(),
            rpc: Default::default(),
        };
        std::fs::write(&n.config, toml::to_string(&file)?)?;
    }
    let plan = Plan {
        dir: dir.to_path_buf(),
        chain_id: genesis.chain_id.clone(),
        genesis_hash: genesis.hash(),
        genesis: genesis_path,
        nodes,
    };
    std::fs::write(&manifest, serde_json::to_string_pretty(&plan)?)?;
    Ok(plan)
}

/// The node processes of a localnet. Dropping it stops them all.
pub struct Processes {
    children: Vec<(String, PathBuf, Child)>,
}

impl Processes {
    /// Starts `synod node --config` for every node in the plan.
    pub fn spawn(plan: &Plan) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut procs = Processes {
            children: Vec::new(),
        };
        for n in &plan.nodes {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&n.log)
                .with_context(|| format!("opening {}", n.log.display()))?;
            let child = Command::new(&exe)
                .arg("node")
                .arg("--config")
                .arg(&n.config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", n.name))?;
            procs.children.push((n.name.clone(), n.log.clone(), child));
        }
        Ok(procs)
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|(_, _, c)| c.id()).collect()
    }

    /// An error naming the first node that has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for (name, log, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                bail!("{name} exited ({status}); see {}", log.display());
            }
        }
        Ok(())
    }

    /// SIGINT to every node, then waits (killing whatever is still running after 20 s).
    pub fn stop(&mut self) {
        for (_, _, child) in &mut self.children {
            if let Ok(None) = child.try_wait() {
                let _ = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for (name, _, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("{name} did not stop within 20 s; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        self.children.clear();
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until every node's RPC answers and reports a finalized height of at least `height`.
pub async fn wait_finalized(
    plan: &Plan,
    procs: &mut Processes,
    height: u64,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let clients = plan
        .nodes
        .iter()
        .map(|n| crate::chain::client(&n.rpc_url()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    loop {
        let mut ready = true;
        for c in &clients {
            ready &= c.heads().await.is_ok_and(|h| h.finalized_height >= height);
        }
        if ready {
            return Ok(());
        }
        procs.check_alive()?;
        if Instant::now() > deadline {
            bail!(
                "the localnet did not reach finalized height {height} within {} s; logs in {}",
                timeout.as_secs(),
                plan.dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn default_dir() -> anyhow::Result<PathBuf> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(std::env::temp_dir().join(format!("synod-localnet-{}", hex::encode(suffix))))
}

fn plan_json(plan: &Plan, pids: Option<&[u32]>) -> serde_json::Value {
    serde_json::json!({
        "dir": plan.dir, "chain_id": plan.chain_id, "genesis_hash": plan.genesis_hash,
        "genesis": plan.genesis,
        "nodes": plan.nodes.iter().enumerate().map(|(i, n)| serde_json::json!({
            "name": n.name, "role": if n.validator { "validator" } else { "full" },
            "account": n.account, "rpc": n.rpc_url(), "ws": format!("ws://{}", n.rpc),
            "metrics": format!("http://{}/metrics", n.metrics), "p2p": n.p2p,
            "config": n.config, "log": n.log, "pid": pids.and_then(|p| p.get(i)),
        })).collect::<Vec<_>>(),
    })
}

pub fn run(cli: &Cli, args: &LocalnetArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => default_dir()?,
    };
    let plan = prepare(
        &dir,
        &Options {
            validators: args.validators,
            full_nodes: args.full_nodes,
            base_port: args.base_port,
            block_interval_ms: args.block_interval_ms,
            epoch_length: args.epoch_length,
            max_block_txs: 20_000,
            bench_accounts: 0,
            log: args.log.clone(),
        },
    )?;
    // Fail before starting anything if a config is unusable.
    load_genesis(&plan.genesis)?;
    for n in &plan.nodes {
        read_key_file(&n.config.with_file_name("node.key"))?;
    }
    if args.no_start {
        return emit(cli.json, &plan_json(&plan, None), || describe(&plan, None));
    }
    let mut procs = Processes::spawn(&plan)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        tokio::select! {
            r = wait_finalized(&plan, &mut procs, 1, Duration::from_secs(120)) => r,
            () = crate::node_cmd::shutdown_signal() => bail!("interrupted before the localnet finalized a block"),
        }
    })?;
    let pids = procs.pids();
    emit(cli.json, &plan_json(&plan, Some(&pids)), || {
        describe(&plan, Some(&pids))
    })?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let outcome = rt.block_on(async {
        loop {
            tokio::select! {
                () = crate::node_cmd::shutdown_signal() => return Ok(()),
                () = tokio::time::sleep(Duration::from_millis(250)) => procs.check_alive()?,
            }
        }
    });
    if let Err(e) = &outcome {
        eprintln!("{e:#}; stopping the other nodes");
    }
    procs.stop();
    eprintln!("localnet stopped (data kept in {})", plan.dir.display());
    outcome
}

fn describe(plan: &Plan, pids: Option<&[u32]>) -> String {
    let mut s = format!(
        "Synod localnet '{}' (genesis {}) in {}\n",
        plan.chain_id,
        plan.genesis_hash,
        plan.dir.display()
    );
    for (i, n) in plan.nodes.iter().enumerate() {
        s.push_str(&format!(
            "  {}  {}  rpc {}  p2p {}  metrics http://{}/metrics{}\n",
            n.name,
            if n.validator {
                "validator"
            } else {
                "full node"
            },
            n.rpc_url(),
            n.p2p,
            n.metrics,
            pids.and_then(|p| p.get(i))
                .map(|p| format!("  pid {p}"))
                .unwrap_or_default()
        ));
    }
    s.push_str(&format!(
        "  dev accounts alice, bob, ... are funded: synod --dev --rpc {} transfer --from alice --to bob --amount 1\n",
        plan.nodes.first().map(NodePlan::rpc_url).unwrap_or_default()
    ));
    if pids.is_some() {
        s.push_str("Finalizing. Press Ctrl-C to stop all nodes.");
    } else {
        s.push_str("Not started: run `synod node --config <node-I/node.toml>` for each node.");
    }
    s
}

/// The genesis of a prepared localnet.
pub fn genesis_of(plan: &Plan) -> anyhow::Result<Genesis> {
    Ok(load_genesis(&plan.genesis)?)
}
