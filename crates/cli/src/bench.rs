//! `synod bench`: the three numbers that bound a signed-transaction chain on this machine.
//!
//! (a) ed25519 verifications per second on one core, one by one and batched: the physical
//!     limit of any chain that checks every signature.
//! (b) In-process block building (proposer path: execution, state root) and commit (fsynced
//!     redb transaction) of signed transfers, plus the verifier path (batched signature checks
//!     and re-execution).
//! (c) End to end through JSON-RPC against a freshly started devnet process: finalized
//!     transfers per second and submit-to-finality latency percentiles, with a breakdown of
//!     where the node spent its time (from its own metrics).

use crate::Cli;
use crate::dev::{bench_key, dev_validator};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Args;
use jsonrpsee::core::client::SubscriptionClientT;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use synod_bank::BankCall;
use synod_bank::GenesisAccount;
use synod_execution::Executor;
use synod_execution::executor::BlockLimits;
use synod_primitives::account::verify_batch;
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockJson, SubmitResult};
use synod_runtime::{Call, Genesis, SignedTransaction, Transaction};
use synod_storage::{BlockCommit, StateView, Store};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// `network`: a multi-validator loopback localnet under stepped load.
    #[command(subcommand)]
    pub mode: Option<BenchMode>,
    /// Signatures verified in part (a).
    #[arg(long, default_value_t = 20_000)]
    pub sigs: usize,
    /// Batch size for batched verification.
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Transfers executed in part (b).
    #[arg(long, default_value_t = 40_000)]
    pub exec_txs: usize,
    /// Transfers sent in part (c).
    #[arg(long, default_value_t = 60_000)]
    pub e2e_txs: usize,
    /// Distinct sending accounts for (b) and (c).
    #[arg(long, default_value_t = 20_000)]
    pub accounts: usize,
    /// Transactions per block (b) and block cap (c).
    #[arg(long, default_value_t = 5_000)]
    pub block_txs: usize,
    /// Offered load for (c) in transactions per second (0: as fast as the node accepts).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Transactions per `submitTransactions` call in (c).
    #[arg(long, default_value_t = 500)]
    pub submit_batch: usize,
    /// Parallel RPC submitters in (c).
    #[arg(long, default_value_t = 2)]
    pub submitters: usize,
    /// Only run these parts (any of a, b, c; s: session-signed transfers beside plain ones,
    /// in process; d: data-pool proof transactions beside plain transfers, in process).
    #[arg(long, default_value = "abc")]
    pub parts: String,
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchMode {
    /// N validators as separate processes on loopback: finalized transfers/s at saturation
    /// and submit-to-finality latency at 1,000 tx/s, beside one validator in the same run.
    Network(crate::bench_network::NetworkBenchArgs),
}

pub(crate) fn bench_genesis(accounts: usize) -> Genesis {
    let mut g = Genesis::dev(vec![dev_validator().account()]);
    g.accounts.extend((0..accounts).map(|i| GenesisAccount {
        account: bench_key(i).account(),
        balance: 1_000 * synod_primitives::token::UNIT,
    }));
    g
}

/// Transfer `k` of a load: sender `k % accounts` with nonce `k / accounts`, to the next account.
fn signed_transfers(g: &Genesis, keys: &[Keypair], n: usize) -> Vec<SignedTransaction> {
    let gh = g.hash();
    (0..n)
        .map(|k| {
            let from = &keys[k % keys.len()];
            let to = keys[(k + 1) % keys.len()].account();
            Transaction {
                chain_id: g.chain_id.clone(),
                sender: from.account(),
                nonce: (k / keys.len()) as u64,
                fee: 1_000_000,
                call: Call::Bank(BankCall::Transfer {
                    to,
                    amount: 1 + (k as u64 % 1000),
                }),
            }
            .sign(from, &gh)
        })
        .collect()
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

struct SigResult {
    single: f64,
    batched: f64,
}

fn bench_signatures(args: &BenchArgs) -> anyhow::Result<SigResult> {
    let g = bench_genesis(0);
    let keys: Vec<Keypair> = (0..256).map(bench_key).collect();
    let txs = signed_transfers(&g, &keys, args.sigs);
    let gh = g.hash();
    let payloads: Vec<Vec<u8>> = txs.iter().map(|t| t.tx.signing_payload(&gh)).collect();
    let senders: Vec<AccountId> = txs.iter().map(|t| t.tx.sender).collect();
    let sigs: Vec<_> = txs.iter().map(|t| t.signature).collect();

    let started = Instant::now();
    for i in 0..txs.len() {
        senders[i]
            .verify(&payloads[i], &sigs[i])
            .context("signature must verify")?;
    }
    let single = per_sec(txs.len(), started.elapsed());

    let started = Instant::now();
    for start in (0..txs.len()).step_by(args.batch.max(1)) {
        let end = (start + args.batch.max(1)).min(txs.len());
        let refs: Vec<&[u8]> = payloads[start..end].iter().map(Vec::as_slice).collect();
        verify_batch(&senders[start..end], &refs, &sigs[start..end])
            .context("batch must verify")?;
    }
    let batched = per_sec(txs.len(), started.elapsed());
    Ok(SigResult { single, batched })
}

struct ExecResult {
    build: f64,
    commit: f64,
    build_and_commit: f64,
    verify: f64,
    blocks: usize,
}

fn bench_execution(args: &BenchArgs) -> anyhow::Result<ExecResult> {
    let g = bench_genesis(args.accounts);
    let keys: Vec<Keypair> = (0..args.accounts).map(bench_key).collect();
    let txs: Vec<Arc<SignedTransaction>> = signed_transfers(&g, &keys, args.exec_txs)
        .into_iter()
        .map(Arc::new)
        .collect();
    let exec = Executor::new(g);
    let dir = std::env::temp_dir().join(format!("synod-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let store = Store::open(&dir.join("chain.redb"))?;
    let verifier_store = Store::in_memory()?;
    let view = |s: &Store| -> anyhow::Result<StateView> {
        Ok(StateView::new(Arc::new(s.snapshot()?), vec![]))
    };
    let genesis = exec.genesis_block(&view(&Store::in_memory()?)?)?;
    for s in [&store, &verifier_store] {
        s.commit_block(BlockCommit {
            block: &genesis.block,
            pending: &genesis.pending,
            receipts: &genesis.receipts,
            finalization: &[],
        })?;
    }
    let mut parent = genesis.block.header.clone();
    let (mut t_build, mut t_commit, mut t_verify) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut blocks = 0;
    for chunk in txs.chunks(args.block_txs.max(1)) {
        let v = view(&store)?;
        let started = Instant::now();
        let built = exec.build_block(
            &v,
            &parent,
            dev_validator().account(),
            parent.timestamp_ms + 250,
            chunk.iter().cloned(),
            BlockLimits {
                max_txs: chunk.len(),
                ..BlockLimits::default()
            },
        )?;
        t_build += started.elapsed();
        if !built.rejected.is_empty() {
            bail!("{} transfers unexpectedly rejected", built.rejected.len());
        }
        let b = built.executed;
        let started = Instant::now();
        store.commit_block(BlockCommit {
            block: &b.block,
            pending: &b.pending,
            receipts: &b.receipts,
            finalization: &[],
        })?;
        t_commit += started.elapsed();

        let vv = view(&verifier_store)?;
        let started = Instant::now();
        let checked = exec.execute_block(&vv, &parent, &b.block, true)?;
        t_verify += started.elapsed();
        verifier_store.commit_block(BlockCommit {
            block: &checked.block,
            pending: &checked.pending,
            receipts: &checked.receipts,
            finalization: &[],
        })?;
        parent = b.block.header.clone();
        blocks += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let n = txs.len();
    Ok(ExecResult {
        build: per_sec(n, t_build),
        commit: per_sec(n, t_commit),
        build_and_commit: per_sec(n, t_build + t_commit),
        verify: per_sec(n, t_verify),
        blocks,
    })
}

struct E2eResult {
    submitted: usize,
    accepted: usize,
    finalized: usize,
    tps: f64,
    p50_ms: f64,
    p99_ms: f64,
    blocks: usize,
    wall_s: f64,
    exec_s: f64,
    commit_s: f64,
    admission_s: f64,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn bench_e2e(args: &BenchArgs) -> anyhow::Result<E2eResult> {
    let (rpc_port, metrics_port, p2p_port) = (free_port()?, free_port()?, free_port()?);
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .args([
            "dev",
            "--tmp",
            "--bench-accounts",
            &args.accounts.to_string(),
            "--rpc-addr",
            &format!("127.0.0.1:{rpc_port}"),
            "--metrics-addr",
            &format!("127.0.0.1:{metrics_port}"),
            "--p2p-addr",
            &format!("127.0.0.1:{p2p_port}"),
            "--max-block-txs",
            &args.block_txs.to_string(),
            "--block-interval-ms",
            "100",
            "--log",
            "warn",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting the devnet")?;
    let result = run_e2e(args, rpc_port, metrics_port);
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait()?.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn run_e2e(args: &BenchArgs, rpc_port: u16, metrics_port: u16) -> anyhow::Result<E2eResult> {
    let g = bench_genesis(args.accounts);
    if args.e2e_txs / args.accounts.max(1) >= 1024 {
        bail!("too many transactions per account for the nonce window: raise --accounts");
    }
    eprintln!("signing {} transfers...", args.e2e_txs);
    let keys: Vec<Keypair> = (0..args.accounts).map(bench_key).collect();
    let txs = signed_transfers(&g, &keys, args.e2e_txs);
    let encoded: Vec<String> = txs.iter().map(|t| hex::encode(t.encode())).collect();
    let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
    drop(txs);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let http = format!("http://127.0.0.1:{rpc_port}");
        let ws = format!("ws://127.0.0.1:{rpc_port}");
        let client = jsonrpsee::http_client::HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(60))
            .max_request_size(256 * 1024 * 1024)
            .build(&http)?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(h) = client.heads().await
                && h.finalized_height >= 1
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("devnet did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ws_client = jsonrpsee::ws_client::WsClientBuilder::default()
            .max_response_size(256 * 1024 * 1024)
            .max_buffer_capacity_per_subscription(4096)
            .build(&ws)
            .await?;
        let mut sub: jsonrpsee::core::client::Subscription<BlockJson> = ws_client
            .subscribe(
                "synod_subscribeFinalizedBlocks",
                jsonrpsee::rpc_params![],
                "synod_unsubscribeFinalizedBlocks",
            )
            .await?;
        let index: HashMap<Hash, usize> = hashes.iter().enumerate().map(|(i, h)| (*h, i)).collect();
        let total = hashes.len();
        let (fin_tx, mut fin_rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<Hash>)>();
        let watcher = tokio::spawn(async move {
            while let Some(Ok(block)) = sub.next().await {
                let now = Instant::now();
                let hs = block.transactions.into_iter().map(|t| t.hash).collect();
                if fin_tx.send((now, hs)).is_err() {
                    break;
                }
            }
        });

        let encoded = Arc::new(encoded);
        let submit_at: Arc<submit_times::Times> = Arc::new(submit_times::Times::new(total));
        let start = Instant::now();
        let batch = args.submit_batch.max(1);
        let batches: Vec<(usize, usize)> = (0..total)
            .step_by(batch)
            .map(|s| (s, (s + batch).min(total)))
            .collect();
        let interval = if args.rate == 0 {
            None
        } else {
            Some(Duration::from_secs_f64(batch as f64 / args.rate as f64))
        };
        let mut tasks = Vec::new();
        let submitters = args.submitters.max(1);
        for w in 0..submitters {
            let mine: Vec<(usize, usize)> = batches
                .iter()
                .copied()
                .skip(w)
                .step_by(submitters)
                .collect();
            let client = client.clone();
            let encoded = encoded.clone();
            let submit_at = submit_at.clone();
            tasks.push(tokio::spawn(async move {
                let mut accepted = 0usize;
                for (bi, (s, e)) in mine.into_iter().enumerate() {
                    if let Some(iv) = interval {
                        let due = start + iv * (bi * submitters + w) as u32;
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let sent = Instant::now();
                    for i in s..e {
                        submit_at.set(i, sent);
                    }
                    let res = client.submit_transactions(encoded[s..e].to_vec()).await?;
                    accepted += res
                        .iter()
                        .filter(|r| matches!(r, SubmitResult::Accepted { .. }))
                        .count();
                }
                anyhow::Ok(accepted)
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            accepted += t.await??;
        }
        let submit_done = start.elapsed();
        eprintln!(
            "submitted {total} ({accepted} accepted) in {:.2} s; waiting for finality...",
            submit_done.as_secs_f64()
        );

        let mut latencies = Vec::with_capacity(total);
        let mut last_final = start;
        let mut blocks = 0;
        let wait_until = Instant::now() + Duration::from_secs(120);
        while latencies.len() < accepted {
            let Ok(Some((at, hs))) =
                tokio::time::timeout_at(wait_until.into(), fin_rx.recv()).await
            else {
                break;
            };
            let mut any = false;
            for h in hs {
                if let Some(&i) = index.get(&h) {
                    latencies.push(at.duration_since(submit_at.get(i)).as_secs_f64() * 1000.0);
                    any = true;
                }
            }
            if any {
                blocks += 1;
                last_final = at;
            }
        }
        watcher.abort();
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| -> f64 {
            if latencies.is_empty() {
                return f64::NAN;
            }
            latencies[((latencies.len() - 1) as f64 * p).round() as usize]
        };
        let metrics = http_get(&format!("127.0.0.1:{metrics_port}"), "/metrics");
        let wall = last_final.duration_since(start);
        Ok(E2eResult {
            submitted: total,
            accepted,
            finalized: latencies.len(),
            tps: per_sec(latencies.len(), wall),
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            blocks,
            wall_s: wall.as_secs_f64(),
            exec_s: metric_sum(&metrics, "synod_block_execution_seconds_sum"),
            commit_s: metric_sum(&metrics, "synod_block_commit_seconds_sum"),
            admission_s: metric_sum(&metrics, "synod_admission_seconds_sum"),
        })
    })
}

/// Per-transaction submit instants, written by the submitters and read by the watcher.
mod submit_times {
    use std::sync::Mutex;
    use std::time::Instant;

    pub(super) struct Times(Mutex<Vec<Instant>>);

    impl Times {
        pub(super) fn new(n: usize) -> Self {
            Times(Mutex::new(vec![Instant::now(); n]))
        }
        pub(super) fn set(&self, i: usize, t: Instant) {
            if let Ok(mut v) = self.0.lock() {
                v[i] = t;
            }
        }
        pub(super) fn get(&self, i: usize) -> Instant {
            self.0
                .lock()
                .map(|v| v[i])
                .unwrap_or_else(|_| Instant::now())
        }
    }
}

pub fn run(cli: &Cli, args: &BenchArgs) -> anyhow::Result<()> {
    if let Some(BenchMode::Network(net)) = &args.mode {
        return crate::bench_network::run(cli, net);
    }
    let mut out = serde_json::Map::new();
    let mut text = Vec::new();
    text.push(format!(
        "machine: {} logical cores; debug build: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cfg!(debug_assertions)
    ));
    let mut batched_rate = None;
    if args.parts.contains('a') {
        eprintln!("(a) ed25519 verification...");
        let s = bench_signatures(args)?;
        batched_rate = Some(s.batched);
        text.push(format!(
            "(a) ed25519 verify, one core: {:.0}/s single, {:.0}/s batched (batch {})",
            s.single, s.batched, args.batch
        ));
        out.insert("ed25519".into(), serde_json::json!({"single_per_s": s.single, "batched_per_s": s.batched, "batch": args.batch}));
    }
    if args.parts.contains('b') {
        eprintln!("(b) in-process execution...");
        let e = bench_execution(args)?;
        text.push(format!(
            "(b) in process, {} transfers in {} blocks: build {:.0}/s, commit {:.0}/s, build+commit {:.0}/s; verifier (batch sigs + re-execute) {:.0}/s",
            args.exec_txs, e.blocks, e.build, e.commit, e.build_and_commit, e.verify
        ));
        out.insert("execution".into(), serde_json::json!({
            "transfers": args.exec_txs, "blocks": e.blocks, "build_per_s": e.build, "commit_per_s": e.commit,
            "build_and_commit_per_s": e.build_and_commit, "verify_per_s": e.verify,
        }));
    }
    if args.parts.contains('c') {
        eprintln!("(c) end to end through RPC...");
        let r = bench_e2e(args)?;
        let ratio = batched_rate.map(|b| r.tps / b);
        text.push(format!(
            "(c) end to end: {} finalized of {} submitted ({} accepted) in {:.2} s over {} blocks: {:.0} tx/s finalized; submit-to-finality p50 {:.0} ms, p99 {:.0} ms",
            r.finalized, r.submitted, r.accepted, r.wall_s, r.blocks, r.tps, r.p50_ms, r.p99_ms
        ));
        text.push(format!(
            "    node time: admission (decode, batch signature checks, pool) {:.2} s, block building/execution {:.2} s, block commit {:.2} s, of {:.2} s wall on 2 cores shared with the load generator{}",
            r.admission_s,
            r.exec_s,
            r.commit_s,
            r.wall_s,
            ratio
                .map(|x| format!("; (c)/(a batched) = {x:.3}"))
                .unwrap_or_default()
        ));
        out.insert("end_to_end".into(), serde_json::json!({
            "submitted": r.submitted, "accepted": r.accepted, "finalized": r.finalized, "finalized_per_s": r.tps,
            "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "blocks": r.blocks, "wall_s": r.wall_s,
            "node_admission_s": r.admission_s, "node_execution_s": r.exec_s, "node_commit_s": r.commit_s, "ratio_to_batched_verify": ratio,
        }));
    }
    if args.parts.contains('s') {
        eprintln!("(s) session-signed transfers beside plain ones...");
        let users = args.accounts.clamp(2, 2_000);
        let r = crate::bench_session::run(args, bench_genesis(users))?;
        text.push(format!(
            "(s) in process, {} transfers by {} accounts, build+commit: plain {:.0}/s, signed by session keys (Execute, caps checked and recorded) {:.0}/s ({:.2}x)",
            r.transfers,
            r.users,
            r.plain,
            r.session,
            r.plain / r.session.max(1e-9)
        ));
        out.insert(
            "sessions".into(),
            serde_json::json!({
                "transfers": r.transfers, "accounts": r.users,
                "plain_per_s": r.plain, "session_per_s": r.session,
            }),
        );
    }
    if args.parts.contains('d') {
        eprintln!("(d) data-pool proof transactions beside plain transfers...");
        let r = crate::bench_data::run(args)?;
        text.push(format!(
            "(d) in process, {} jobs scored by {} of {} workers each: {} score transactions at {:.0}/s build+commit ({:.0} accepted proofs/s); plain transfers, same count: {:.0}/s",
            r.jobs, 3, r.workers, r.scores, r.scores_per_s, r.proofs_per_s, r.transfers_per_s
        ));
        out.insert(
            "data_proofs".into(),
            serde_json::json!({
                "jobs": r.jobs, "workers": r.workers, "score_txs": r.scores,
                "score_txs_per_s": r.scores_per_s, "proofs_per_s": r.proofs_per_s,
                "transfers_per_s": r.transfers_per_s,
            }),
        );
    }
    emit(cli.json, &out, || text.join("\n"))
}
