//! `synod bench --parts d`: proof-of-contribution transactions beside plain transfers, in
//! process.
//!
//! A pool with 3 workers per job and a reward token; `workers` bench accounts register data
//! keys and bond; the other bench accounts register files and request proofs; the draws run
//! at the end of the next block. Then every drawn worker's `SubmitScore` is executed in blocks
//! built as a proposer builds them (signature checks, execution, state root) and committed to
//! an fsynced store; the last score of each job accepts it (proof on the file, metadata into
//! the index, reward paid from the treasury, fee shared). The same number of plain transfers
//! runs in the same way for comparison.

use crate::bench::BenchArgs;
use crate::bench_chain::BenchChain;
use crate::dev::bench_key;
use anyhow::{Context, bail};
use std::time::Duration;
use synod_data::{DataCall, JobStatus, PoolParams, Scores};
use synod_data_crypto::{DataKeyRegistration, DataKeypair};
use synod_primitives::token::UNIT;
use synod_primitives::{Hash, Keypair};
use synod_runtime::{BankCall, Call, SignedTransaction, TokenCall};

/// What part (d) measured.
pub struct DataResult {
    /// Workers bonded.
    pub workers: usize,
    /// Jobs scored.
    pub jobs: usize,
    /// Score transactions executed.
    pub scores: usize,
    /// Score transactions per second (build + commit).
    pub scores_per_s: f64,
    /// Accepted proofs per second (build + commit).
    pub proofs_per_s: f64,
    /// Plain transfers per second, the same count, the same way.
    pub transfers_per_s: f64,
}

/// Runs part (d).
pub fn run(args: &BenchArgs) -> anyhow::Result<DataResult> {
    let accounts = args.accounts.clamp(8, 2_000);
    let genesis = crate::bench::bench_genesis(accounts);
    let workers = (accounts / 4).clamp(3, 256);
    let contributors = accounts - workers;
    let k = 3usize;
    let jobs = (args.exec_txs / k).max(1);
    let mut chain = BenchChain::open(genesis, "d")?;
    let keys: Vec<Keypair> = (0..accounts).map(bench_key).collect();
    let owner = &keys[0];
    let mut nonces = vec![0u64; accounts];
    let mut next = |i: usize| {
        let n = nonces[i];
        nonces[i] += 1;
        n
    };
    eprintln!(
        "(d) setting up a pool, {workers} workers, {jobs} jobs from {contributors} contributors..."
    );
    chain.block(vec![chain.sign(
        owner,
        next(0),
        Call::Tokens(TokenCall::Create {
            symbol: "BENCHD".into(),
            name: "bench data pool".into(),
            decimals: 0,
            max_supply: u128::from(u64::MAX),
            initial_supply: u128::from(u64::MAX),
            emission: None,
            mint_authority: owner.account(),
            admin: owner.account(),
        }),
    )])?;
    let params = PoolParams {
        description: "bench".into(),
        schema: None,
        program_hash: Hash([1; 32]),
        program_url: "file:///bench.wasm".into(),
        reward_per_unit: 1_000_000,
        workers_per_job: k as u8,
        min_worker_bond: UNIT,
        job_timeout: 1_000_000,
        job_fee: 3,
        slash_ppm: 100_000,
        miss_slash_ppm: 10_000,
        max_misses: 3,
        staker_share_ppm: 0,
    };
    let chain_id = chain.chain_id().to_string();
    let mut setup = vec![
        chain.sign(
            owner,
            next(0),
            Call::Data(DataCall::CreatePool {
                name: "bench".into(),
                reward_token: 1,
                params,
            }),
        ),
        chain.sign(
            owner,
            next(0),
            Call::Data(DataCall::FundPool {
                pool: 1,
                amount: u128::from(u64::MAX / 2),
            }),
        ),
    ];
    for (i, w) in keys.iter().enumerate().skip(1).take(workers) {
        let registration = DataKeyRegistration::sign(
            w,
            &chain_id,
            DataKeypair::from_account_seed(&w.seed()).public(),
            0,
        )?;
        setup.push(chain.sign(
            w,
            next(i),
            Call::Data(DataCall::RegisterKey { registration }),
        ));
        setup.push(chain.sign(
            w,
            next(i),
            Call::Data(DataCall::BondWorker {
                pool: 1,
                amount: 10 * UNIT,
            }),
        ));
    }
    chain.block(setup)?;
    // Files and requests, in blocks of at most `block_txs`.
    let first_contributor = workers + 1;
    let mut txs = Vec::new();
    for j in 0..jobs {
        let c = first_contributor + j % (accounts - first_contributor);
        let key = &keys[c];
        txs.push(chain.sign(
            key,
            next(c),
            Call::Data(DataCall::AddFile {
                owner: key.account(),
                url: format!("s3://bench/{j}.enc"),
                content_hash: Hash::digest(&(j as u64).to_be_bytes()),
                size: 1_000,
                schema: None,
                owner_signature: None,
            }),
        ));
        txs.push(chain.sign(
            key,
            next(c),
            Call::Data(DataCall::RequestProof {
                file: j as u64 + 1,
                pool: 1,
            }),
        ));
    }
    for chunk in txs.chunks(args.block_txs.max(2)) {
        chain.block(chunk.to_vec())?;
    }
    // One more block runs the last draws.
    chain.block(Vec::new())?;
    let snap = chain.store.snapshot()?;
    let mut scores = Vec::with_capacity(jobs * k);
    let by_account: std::collections::BTreeMap<_, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.account(), i))
        .collect();
    for j in 1..=jobs as u64 {
        let job = synod_data::state::job(&snap, j)?.context("job")?;
        if job.status != JobStatus::Scoring {
            bail!("job {j} was not drawn: {:?}", job.status);
        }
        for a in &job.assignments {
            let i = by_account[&a.worker];
            scores.push(chain.sign(
                &keys[i],
                next(i),
                Call::Data(DataCall::SubmitScore {
                    job: j,
                    scores: Scores {
                        authenticity: 1_000_000,
                        ownership: 1_000_000,
                        quality: 700_000 + (j % 1_000) as u32,
                        uniqueness: 900_000,
                        score: 600_000 + (j % 1_000) as u32,
                    },
                    metadata: vec![(j % 251) as u8; 260],
                }),
            ));
        }
    }
    drop(snap);
    eprintln!(
        "(d) {} score transactions ({jobs} jobs, {k} workers each)...",
        scores.len()
    );
    let n_scores = scores.len();
    let mut t_scores = Duration::ZERO;
    for chunk in scores.chunks(args.block_txs.max(1)) {
        t_scores += chain.block(chunk.to_vec())?;
    }
    let snap = chain.store.snapshot()?;
    for j in [1u64, jobs as u64] {
        let job = synod_data::state::job(&snap, j)?.context("job")?;
        if !matches!(job.status, JobStatus::Accepted { .. }) {
            bail!("job {j} was not accepted: {:?}", job.status);
        }
    }
    drop(snap);
    eprintln!("(d) {n_scores} plain transfers...");
    let transfers: Vec<SignedTransaction> = (0..n_scores)
        .map(|t| {
            let i = first_contributor + t % (accounts - first_contributor);
            chain.sign(
                &keys[i],
                next(i),
                Call::Bank(BankCall::Transfer {
                    to: keys[(i + 1) % accounts].account(),
                    amount: 1 + (t as u64 % 1000),
                }),
            )
        })
        .collect();
    let mut t_plain = Duration::ZERO;
    for chunk in transfers.chunks(args.block_txs.max(1)) {
        t_plain += chain.block(chunk.to_vec())?;
    }
    drop(chain);
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    Ok(DataResult {
        workers,
        jobs,
        scores: n_scores,
        scores_per_s: rate(n_scores, t_scores),
        proofs_per_s: rate(jobs, t_scores),
        transfers_per_s: rate(n_scores, t_plain),
    })
}
