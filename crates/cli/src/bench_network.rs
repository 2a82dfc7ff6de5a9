//! `synod bench network`: a loopback localnet of separate `synod node` processes under a
//! stepped transfer load, beside a one-validator network measured the same way in the same run.
//!
//! Each step offers `rate` transfers per second for `--step-secs`, spread over all nodes
//! (sender `k` always talks to node `k mod N`, so a sender's nonces stay in one pool), and
//! then waits for the step's accepted transfers to finalize before the next step starts.
//! Latency is submit-to-finality: from sending a transaction's batch to node 0 announcing the
//! finalized block that holds it. The load steps up until p99 degrades (more than
//! `--degrade-factor` times the first step's p99 and over one second) or the network stops
//! keeping up (it finalizes or accepts under 95 % of what was offered); the best finalized
//! rate seen is the saturation figure.

use crate::localnet::{Options, Plan, Processes, bench_key, prepare, wait_finalized};
use anyhow::{Context, bail};
use clap::Args;
use jsonrpsee::core::client::SubscriptionClientT;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use synod_bank::BankCall;
use synod_primitives::{Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockJson, SubmitResult};
use synod_runtime::{Call, Genesis, SignedTransaction, Transaction};

#[derive(Args, Debug, Clone)]
pub struct NetworkBenchArgs {
    /// Validators in the measured network.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Offered loads to step through, in transfers per second.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "250,500,1000,2000,4000,8000,16000"
    )]
    pub rates: Vec<u64>,
    /// Seconds of offered load per step.
    #[arg(long, default_value_t = 10)]
    pub step_secs: u64,
    /// Distinct sending accounts (prefunded in genesis).
    #[arg(long, default_value_t = 4_000)]
    pub accounts: usize,
    /// Transfers per `submitTransactions` call.
    #[arg(long, default_value_t = 100)]
    pub submit_batch: usize,
    /// Most transactions per block.
    #[arg(long, default_value_t = 5_000)]
    pub block_txs: usize,
    /// Minimum milliseconds between blocks.
    #[arg(long, default_value_t = 100)]
    pub block_interval_ms: u64,
    /// A step whose p99 exceeds this multiple of the first step's p99 (and 1 s) is degraded.
    #[arg(long, default_value_t = 3)]
    pub degrade_factor: u64,
    /// Blocks per validator epoch. Every boundary starts a fresh consensus instance, whose
    /// first views can lose up to the notarization timeout to a split vote; the default is a
    /// real network's epoch, so the figures are steady state. Use 20 (the localnet default) to
    /// measure handovers.
    #[arg(long, default_value_t = synod_validators::StakingParams::default().epoch_length)]
    pub epoch_length: u64,
    /// Skip the single-validator comparison.
    #[arg(long)]
    pub skip_single: bool,
    /// Node log filter (node logs are in the run's directory).
    #[arg(long, default_value = "warn")]
    pub node_log: String,
    /// Keep the run's directory (genesis, configs, node logs) instead of removing it.
    #[arg(long)]
    pub keep: bool,
}

/// One step's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub offered_per_s: u64,
    pub submitted: usize,
    pub accepted: usize,
    pub finalized: usize,
    pub finalized_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub degraded: bool,
}

/// One network's run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NetworkRun {
    pub validators: usize,
    pub steps: Vec<Step>,
    pub saturation_per_s: f64,
    pub at_1000: Option<Step>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Per-account next nonces, and which node each account talks to.
struct Senders {
    keys: Vec<Keypair>,
    nonces: Vec<u64>,
    cursor: usize,
}

impl Senders {
    fn new(accounts: usize) -> Self {
        Senders {
            keys: (0..accounts).map(bench_key).collect(),
            nonces: vec![0; accounts],
            cursor: 0,
        }
    }

    /// `n` transfers, grouped by target node: `out[node]`.
    fn sign(&mut self, g: &Genesis, n: usize, nodes: usize) -> Vec<Vec<SignedTransaction>> {
        let gh = g.hash();
        let mut out = vec![Vec::new(); nodes];
        for _ in 0..n {
            let k = self.cursor % self.keys.len();
            self.cursor += 1;
            let to = self.keys[(k + 1) % self.keys.len()].account();
            let tx = Transaction {
                chain_id: g.chain_id.clone(),
                sender: self.keys[k].account(),
                nonce: self.nonces[k],
                fee: 1_000_000,
                call: Call::Bank(BankCall::Transfer {
                    to,
                    amount: 1 + (self.cursor as u64 % 1000),
                }),
            }
            .sign(&self.keys[k], &gh);
            self.nonces[k] += 1;
            out[k % nodes].push(tx);
        }
        out
    }
}

fn free_rpc_client(url: &str) -> anyhow::Result<jsonrpsee::http_client::HttpClient> {
    Ok(jsonrpsee::http_client::HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .max_request_size(64 * 1024 * 1024)
        .build(url)?)
}

async fn run_steps(
    args: &NetworkBenchArgs,
    plan: &Plan,
    genesis: &Genesis,
    procs: &mut Processes,
) -> anyhow::Result<Vec<Step>> {
    let clients = plan
        .nodes
        .iter()
        .map(|n| free_rpc_client(&n.rpc_url()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ws = jsonrpsee::ws_client::WsClientBuilder::default()
        .max_response_size(256 * 1024 * 1024)
        .max_buffer_capacity_per_subscription(4096)
        .build(format!("ws://{}", plan.nodes[0].rpc))
        .await?;
    let mut sub: jsonrpsee::core::client::Subscription<BlockJson> = ws
        .subscribe(
            "synod_subscribeFinalizedBlocks",
            jsonrpsee::rpc_params![],
            "synod_unsubscribeFinalizedBlocks",
        )
        .await?;
    let (fin_tx, mut fin_rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<Hash>)>();
    let watcher = tokio::spawn(async move {
        while let Some(Ok(block)) = sub.next().await {
            let hs = block.transactions.into_iter().map(|t| t.hash).collect();
            if fin_tx.send((Instant::now(), hs)).is_err() {
                break;
            }
        }
    });
    let mut senders = Senders::new(args.accounts.max(1));
    let nodes = plan.nodes.len();
    let mut steps: Vec<Step> = Vec::new();
    for &rate in &args.rates {
        // At least 20 batches a second, so the offered load is smooth at low rates.
        let batch = usize::try_from(rate / 20)?.clamp(1, args.submit_batch.max(1));
        let total = usize::try_from(rate.saturating_mul(args.step_secs))?;
        if total / args.accounts.max(1) >= 1000 {
            bail!("step {rate}/s needs more than 1000 nonces per account: raise --accounts");
        }
        eprintln!("  signing {total} transfers for {rate} tx/s...");
        let per_node = senders.sign(genesis, total, nodes);
        // Batches alternate between nodes so that every node sees a steady stream.
        let mut queues: Vec<std::vec::IntoIter<Vec<SignedTransaction>>> = per_node
            .into_iter()
            .map(|txs| {
                txs.chunks(batch)
                    .map(<[SignedTransaction]>::to_vec)
                    .collect::<Vec<_>>()
                    .into_iter()
            })
            .collect();
        let mut batches: Vec<(usize, Vec<SignedTransaction>)> = Vec::new();
        loop {
            let before = batches.len();
            for (node, q) in queues.iter_mut().enumerate() {
                if let Some(b) = q.next() {
                    batches.push((node, b));
                }
            }
            if batches.len() == before {
                break;
            }
        }
        let mut submitted_at: HashMap<Hash, Instant> = HashMap::with_capacity(total);
        let start = Instant::now();
        let interval = Duration::from_secs_f64(batch as f64 / rate.max(1) as f64);
        let mut tasks = Vec::with_capacity(batches.len());
        for (i, (node, txs)) in batches.into_iter().enumerate() {
            tokio::time::sleep_until((start + interval * i as u32).into()).await;
            let client = clients[node].clone();
            let encoded: Vec<String> = txs.iter().map(|t| hex::encode(t.encode())).collect();
            let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
            let sent = Instant::now();
            tasks.push(tokio::spawn(async move {
                let res = client.submit_transactions(encoded).await;
                (sent, hashes, res)
            }));
        }
        let mut accepted = 0usize;
        let mut rejected: HashMap<String, usize> = HashMap::new();
        for t in tasks {
            let (sent, hashes, res) = t.await?;
            match res {
                Ok(results) => {
                    for (h, r) in hashes.into_iter().zip(results) {
                        match r {
                            SubmitResult::Accepted { .. } => {
                                accepted += 1;
                                submitted_at.insert(h, sent);
                            }
                            SubmitResult::Rejected { kind, .. } => {
                                *rejected.entry(kind).or_default() += 1
                            }
                        }
                    }
                }
                Err(e) => *rejected.entry(format!("rpc error: {e}")).or_default() += hashes.len(),
            }
        }
        if !rejected.is_empty() {
            eprintln!("  rejected: {rejected:?}");
        }
        // Drain: every accepted transfer of this step finalized, or give up.
        let mut latencies = Vec::with_capacity(accepted);
        let mut last = start;
        let give_up = Instant::now() + Duration::from_secs(args.step_secs * 2 + 30);
        while latencies.len() < accepted {
            procs.check_alive()?;
            let Ok(Some((at, hs))) = tokio::time::timeout_at(
                give_up.min(Instant::now() + Duration::from_secs(1)).into(),
                fin_rx.recv(),
            )
            .await
            else {
                if Instant::now() >= give_up {
                    break;
                }
                continue;
            };
            for h in hs {
                if let Some(sent) = submitted_at.remove(&h) {
                    latencies.push(at.duration_since(sent).as_secs_f64() * 1e3);
                    last = at;
                }
            }
        }
        latencies.sort_by(f64::total_cmp);
        let finalized = latencies.len();
        let elapsed = last.duration_since(start).as_secs_f64().max(1e-3);
        let p99 = percentile(&latencies, 0.99);
        let first_p99 = steps.first().map_or(p99, |s| s.p99_ms);
        let degraded = (p99 > first_p99 * args.degrade_factor as f64 && p99 > 1_000.0)
            || (finalized as f64) < 0.95 * accepted as f64
            || (accepted as f64) < 0.95 * total as f64;
        let step = Step {
            offered_per_s: rate,
            submitted: total,
            accepted,
            finalized,
            finalized_per_s: finalized as f64 / elapsed,
            p50_ms: percentile(&latencies, 0.5),
            p99_ms: p99,
            degraded,
        };
        eprintln!(
            "  {rate:>6} tx/s offered: {:.0} tx/s finalized ({finalized}/{accepted} accepted of {total}); p50 {:.0} ms, p99 {:.0} ms{}",
            step.finalized_per_s,
            step.p50_ms,
            step.p99_ms,
            if degraded { "  <- degraded" } else { "" }
        );
        steps.push(step);
        if degraded {
            break;
        }
    }
    watcher.abort();
    Ok(steps)
}

/// Height every node must have finalized before the load starts.
const WARM_UP_HEIGHT: u64 = 10;

/// Starts a localnet of `validators`, runs the steps, stops it.
pub fn measure(args: &NetworkBenchArgs, validators: usize) -> anyhow::Result<NetworkRun> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let dir = std::env::temp_dir().join(format!("synod-bench-net-{}", hex::encode(suffix)));
    let plan = prepare(
        &dir,
        &Options {
            validators,
            full_nodes: 0,
            base_port: 0,
            block_interval_ms: args.block_interval_ms,
            epoch_length: args.epoch_length,
            max_block_txs: args.block_txs,
            bench_accounts: args.accounts,
            log: args.node_log.clone(),
        },
    )?;
    let genesis = crate::localnet::genesis_of(&plan)?;
    let mut procs = Processes::spawn(&plan)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        // Warm up first: until every node has finalized a few blocks, p2p may still be
        // connecting, and a view whose leader is not yet reachable by everyone costs a timeout.
        wait_finalized(&plan, &mut procs, WARM_UP_HEIGHT, Duration::from_secs(120)).await?;
        run_steps(args, &plan, &genesis, &mut procs).await
    });
    procs.stop();
    let steps = result.with_context(|| format!("logs in {}", dir.display()))?;
    if args.keep {
        eprintln!("  logs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let saturation_per_s = steps.iter().map(|s| s.finalized_per_s).fold(0.0, f64::max);
    let at_1000 = steps.iter().find(|s| s.offered_per_s == 1_000).cloned();
    Ok(NetworkRun {
        validators,
        steps,
        saturation_per_s,
        at_1000,
    })
}

fn line(r: &NetworkRun) -> String {
    let at = r.at_1000.as_ref().map_or_else(
        || "no 1,000 tx/s step".to_string(),
        |s| {
            format!(
                "at 1,000 tx/s p50 {:.0} ms, p99 {:.0} ms",
                s.p50_ms, s.p99_ms
            )
        },
    );
    let last = r.steps.last();
    format!(
        "{} validator{}: saturation {:.0} tx/s finalized{}; {at}",
        r.validators,
        if r.validators == 1 { "" } else { "s" },
        r.saturation_per_s,
        match last {
            Some(s) if s.degraded => format!(" (degraded at {} tx/s offered)", s.offered_per_s),
            _ => " (not reached: raise --rates)".into(),
        }
    )
}

pub fn run(cli: &crate::Cli, args: &NetworkBenchArgs) -> anyhow::Result<()> {
    if args.validators == 0 || args.rates.is_empty() || args.step_secs == 0 {
        bail!("need at least one validator, one rate and a positive --step-secs");
    }
    eprintln!(
        "{} validators on loopback ({}-block epochs)...",
        args.validators, args.epoch_length
    );
    let net = measure(args, args.validators)?;
    let single = if args.skip_single || args.validators == 1 {
        None
    } else {
        eprintln!("1 validator (devnet) on loopback, same protocol...");
        Some(measure(args, 1)?)
    };
    let out = serde_json::json!({
        "debug_build": cfg!(debug_assertions),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "step_secs": args.step_secs, "network": net, "single_validator": single,
    });
    crate::output::emit(cli.json, &out, || {
        let mut s = format!(
            "machine: {} logical cores; debug build: {}\n{}",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cfg!(debug_assertions),
            line(&net)
        );
        if let Some(single) = &single {
            s.push('\n');
            s.push_str(&line(single));
        }
        s
    })
}
