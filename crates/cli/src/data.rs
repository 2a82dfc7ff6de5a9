//! `synod data …` and `synod data-worker`: user-owned encrypted data, pools, proofs of
//! contribution (issue 11).
//!
//! Files are encrypted here, on the user's machine (`synod-data-crypto`), uploaded to the store
//! the user names (`synod-data-store`: a local directory by default, any S3-compatible bucket,
//! HTTP(S) for reading), and registered on chain by url, ciphertext hash and size. The owner
//! always seals the file key to their own data key too, so `get` works from any machine with
//! the key's mnemonic.
//!
//! Data keys are not stored separately: an account's data key with rotation `n` is derived
//! from its signing seed (`DataKeypair::from_account_seed_at`), so it is encrypted at rest
//! exactly like the key itself and recovered with its mnemonic; files sealed to an older key
//! still open after a rotation.
//!
//! `data-worker` is the long-running scorer of a pool: it follows the chain for jobs it is
//! drawn for, downloads and verifies the ciphertext, opens the envelope sealed to it, runs the
//! pool's scoring program in the sandbox (`synod-data-score`) and posts the result. It keeps
//! no state of its own: after a crash it reads its open jobs from the chain again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonrpsee::http_client::HttpClient;
use synod_data::query::{FileView, JobView, PoolView};
use synod_data::rpc::DataApiClient;
use synod_data::{DataCall, JobStatus, PoolParams, Scores};
use synod_data_crypto::{DataKeyRegistration, DataKeypair, EncryptOptions, FileKey, KeyEnvelope};
use synod_data_store::{DataStore, StoreConfig, StoreUrl};
use synod_primitives::token::{DisplayAmount, parse_amount};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_runtime::{Call, Receipt, TxOutcome};

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send, sign_tx, submit_signed, wait_final};
use crate::keys::{account, signer};
use crate::output::emit;

/// `synod data …`
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Data keys: register (or rotate) yours, show anyone's.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Encrypt a file here, upload it to a store and register it.
    Add(AddArgs),
    /// Download a file, check its hash, decrypt it.
    Get {
        /// File id.
        id: u64,
        /// Write here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The key whose envelope opens it (the owner's or a grantee's).
        #[arg(long)]
        from: String,
    },
    /// Seal a file's key to another account's registered data key (owner only).
    Grant {
        /// File id.
        id: u64,
        /// Grantee (account, key name or dev name).
        account: String,
        /// The file's owner.
        #[arg(long)]
        from: String,
    },
    /// An owner's files.
    List {
        /// Owner (account, key name or dev name).
        owner: String,
        /// Only files with a larger id.
        #[arg(long)]
        after: Option<u64>,
    },
    /// One file with its proofs.
    Show {
        /// File id.
        id: u64,
    },
    /// Pools: create, show, list, fund, stake, unstake, claim, update, apply, withdraw.
    #[command(subcommand)]
    Pool(PoolCommand),
    /// Encrypt, upload, register, request a proof, seal the key to the drawn workers, wait for
    /// the score and print the reward.
    Contribute(ContributeArgs),
    /// A proof-of-contribution job.
    Job {
        /// Job id.
        id: u64,
    },
    /// Worker bonds: bond, unbond, status.
    #[command(subcommand)]
    Worker(WorkerCommand),
}

/// `synod data key …`
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Register the key's data key on chain (or, with --rotate, the next one).
    Register {
        /// The account (signs, pays).
        #[arg(long)]
        from: String,
        /// Register a fresh data key (files sealed to older ones still open).
        #[arg(long)]
        rotate: bool,
    },
    /// An account's registered data key.
    Show {
        /// Account, key name or dev name.
        account: String,
    },
}

/// Where ciphertext goes.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Store url: a directory (default: ~/.synod/data/store, or $SYNOD_DATA_DIR/store),
    /// s3://bucket/prefix (endpoint and credentials from AWS_* variables), or http(s) to read.
    #[arg(long)]
    store: Option<String>,
}

/// `synod data add`
#[derive(Args, Debug)]
pub struct AddArgs {
    /// The plaintext file.
    file: PathBuf,
    /// Owner (signs, pays).
    #[arg(long)]
    from: String,
    #[command(flatten)]
    store: StoreArgs,
    /// Schema id the file declares.
    #[arg(long)]
    schema: Option<String>,
}

/// `synod data contribute`
#[derive(Args, Debug)]
pub struct ContributeArgs {
    /// The plaintext file.
    file: PathBuf,
    /// The pool (id or name).
    #[arg(long)]
    pool: String,
    /// Contributor (signs, pays the job fee).
    #[arg(long)]
    from: String,
    #[command(flatten)]
    store: StoreArgs,
    /// Give up waiting for the score after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

/// `synod data pool …`
#[derive(Subcommand, Debug)]
pub enum PoolCommand {
    /// Create a pool (its scoring program is uploaded to the store unless --program-url).
    Create(PoolCreateArgs),
    /// A pool (id or name).
    Show {
        /// Id or name.
        pool: String,
    },
    /// Every pool.
    List,
    /// Move reward tokens (base units) into a pool's treasury.
    Fund {
        /// Id or name.
        pool: String,
        /// Token base units.
        #[arg(long)]
        amount: u128,
        /// Who pays.
        #[arg(long)]
        from: String,
    },
    /// Stake SYN on a pool.
    Stake {
        /// Id or name.
        pool: String,
        /// SYN (decimal).
        #[arg(long)]
        amount: String,
        /// Staker.
        #[arg(long)]
        from: String,
    },
    /// Withdraw SYN staked on a pool (pays its rewards).
    Unstake {
        /// Id or name.
        pool: String,
        /// SYN (decimal).
        #[arg(long)]
        amount: String,
        /// Staker.
        #[arg(long)]
        from: String,
    },
    /// Pay out staking rewards.
    Claim {
        /// Id or name.
        pool: String,
        /// Staker.
        #[arg(long)]
        from: String,
    },
    /// Queue new parameters (owner; they apply after the timelock with `apply`).
    Update(PoolUpdateArgs),
    /// Apply a queued update whose timelock has passed.
    Apply {
        /// Id or name.
        pool: String,
        /// Who sends it (anyone).
        #[arg(long)]
        from: String,
    },
    /// Move SYN the treasury earned to its owner.
    Withdraw {
        /// Id or name.
        pool: String,
        /// SYN (decimal).
        #[arg(long)]
        amount: String,
        /// The owner.
        #[arg(long)]
        from: String,
    },
}

/// Pool parameters on the command line.
#[derive(Args, Debug, Clone)]
pub struct ParamArgs {
    /// The scoring program (WebAssembly).
    #[arg(long)]
    program: PathBuf,
    /// Where workers fetch it (default: uploaded to --store).
    #[arg(long)]
    program_url: Option<String>,
    /// What the pool collects.
    #[arg(long, default_value = "")]
    description: String,
    /// Schema id files must declare.
    #[arg(long)]
    schema: Option<String>,
    /// Token base units paid for a score of 1,000,000 ppm.
    #[arg(long)]
    reward_per_unit: u128,
    /// Workers per job (a majority must agree).
    #[arg(long, default_value_t = 3)]
    workers_per_job: u8,
    /// Least worker bond, SYN.
    #[arg(long, default_value = "100")]
    min_worker_bond: String,
    /// Blocks a worker has to post.
    #[arg(long, default_value_t = 30)]
    job_timeout: u64,
    /// SYN per job, shared by the agreeing workers.
    #[arg(long, default_value = "0.1")]
    job_fee: String,
    /// Bond slashed for an outvoted score (ppm).
    #[arg(long, default_value_t = 250_000)]
    slash_ppm: u32,
    /// Bond slashed after max-misses missed jobs in a row (ppm).
    #[arg(long, default_value_t = 50_000)]
    miss_slash_ppm: u32,
    /// Missed jobs in a row before the miss slash.
    #[arg(long, default_value_t = 3)]
    max_misses: u32,
    /// Stakers' part of the pool's emission (ppm).
    #[arg(long, default_value_t = 500_000)]
    staker_share_ppm: u32,
    #[command(flatten)]
    store: StoreArgs,
}

/// `synod data pool create`
#[derive(Args, Debug)]
pub struct PoolCreateArgs {
    /// Unique name (a-z, 0-9, -).
    name: String,
    /// Reward token id.
    #[arg(long)]
    token: u64,
    /// Owner (signs, pays).
    #[arg(long)]
    from: String,
    #[command(flatten)]
    params: ParamArgs,
}

/// `synod data pool update`
#[derive(Args, Debug)]
pub struct PoolUpdateArgs {
    /// Id or name.
    pool: String,
    /// The owner.
    #[arg(long)]
    from: String,
    #[command(flatten)]
    params: ParamArgs,
}

/// `synod data worker …`
#[derive(Subcommand, Debug)]
pub enum WorkerCommand {
    /// Bond SYN into a pool's worker set (registers your data key first if needed).
    Bond {
        /// Id or name.
        pool: String,
        /// SYN (decimal).
        #[arg(long)]
        amount: String,
        /// The worker.
        #[arg(long)]
        from: String,
    },
    /// Leave a pool's worker set with the bond.
    Unbond {
        /// Id or name.
        pool: String,
        /// The worker.
        #[arg(long)]
        from: String,
    },
    /// A worker's bonds and open jobs.
    Status {
        /// Worker (account, key name or dev name).
        worker: String,
        /// Only this pool.
        #[arg(long)]
        pool: Option<String>,
    },
}

/// `synod data-worker`
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The pools to score for (id or name; repeat for several).
    #[arg(long, required = true)]
    pool: Vec<String>,
    /// The worker's key (signs scores; its data key opens the files).
    #[arg(long)]
    key: String,
    /// How often to look for jobs, in milliseconds.
    #[arg(long, default_value_t = 300)]
    poll_ms: u64,
    /// Exit after posting this many scores (for tests and benchmarks).
    #[arg(long)]
    max_jobs: Option<u64>,
    /// Test only: post a score one point off the program's, to show a lying worker is
    /// outvoted and slashed.
    #[arg(long, hide = true)]
    lie: bool,
    /// Test only: wait this long between scoring a job and posting it (announced on stderr),
    /// so a test can kill the worker in the middle of a job.
    #[arg(long, hide = true)]
    pause_before_post_ms: Option<u64>,
}

fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SYNOD_DATA_DIR") {
        return PathBuf::from(d);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".synod")
        .join("data")
}

fn store_url(args: &StoreArgs) -> anyhow::Result<StoreUrl> {
    StoreUrl::parse_or_default(args.store.as_deref(), &data_dir())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn data_store() -> anyhow::Result<DataStore> {
    DataStore::new(StoreConfig::from_env()).map_err(|e| anyhow::anyhow!("{e}"))
}

fn syn(s: &str) -> anyhow::Result<u64> {
    parse_amount(s).with_context(|| format!("'{s}' is not a SYN amount"))
}

/// The data keypair of `key` with rotation `sequence`.
fn data_keypair(key: &Keypair, sequence: u64) -> DataKeypair {
    DataKeypair::from_account_seed_at(&key.seed(), sequence)
}

/// The keypair among `key`'s data keys (up to `newest`) that `envelope` is sealed to.
fn opening_key(key: &Keypair, newest: u64, envelope: &KeyEnvelope) -> Option<DataKeypair> {
    (0..=newest)
        .rev()
        .map(|s| data_keypair(key, s))
        .find(|k| k.public() == envelope.recipient)
}

async fn pool_id(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    pool: &str,
) -> anyhow::Result<PoolView> {
    let found = match pool.parse::<u64>() {
        Ok(id) => c.pool(id).await.map_err(e)?,
        Err(_) => c.pool_by_name(pool.to_string()).await.map_err(e)?,
    };
    found.with_context(|| format!("no pool '{pool}'"))
}

/// Sends a call and returns its receipt, failing with the chain's reason if the call failed.
async fn submit(cli: &Cli, c: &HttpClient, key: &Keypair, call: Call) -> anyhow::Result<Receipt> {
    let receipt = match send(cli, c, key, call, None, None, true).await? {
        Ok(r) => r,
        Err(hash) => bail!("transaction {hash} was not followed to finality"),
    };
    if let TxOutcome::Failed { failure } = &receipt.outcome {
        bail!("{failure}");
    }
    Ok(receipt)
}

/// Sends several calls of one key in a row (consecutive nonces) and waits for all of them.
async fn submit_all(
    cli: &Cli,
    c: &HttpClient,
    key: &Keypair,
    calls: Vec<Call>,
) -> anyhow::Result<Vec<Receipt>> {
    let e = rpc_err(&cli.rpc);
    let mut nonce = c.next_nonce(key.account()).await.map_err(&e)?;
    let mut signed = Vec::new();
    for call in calls {
        signed.push(sign_tx(cli, c, key, call, None, Some(nonce)).await?);
        nonce += 1;
    }
    for tx in &signed {
        // Not waited for here (Err(hash) is the submitted case): all are waited for below.
        let _submitted = submit_signed(cli, c, tx, false).await?;
    }
    let mut out = Vec::new();
    for tx in &signed {
        let r = wait_final(cli, c, tx.hash()).await?;
        if let TxOutcome::Failed { failure } = &r.outcome {
            bail!("{failure}");
        }
        out.push(r);
    }
    Ok(out)
}

/// Registers `key`'s data key (sequence 0) unless it has one; returns the newest sequence.
async fn ensure_data_key(cli: &Cli, c: &HttpClient, key: &Keypair) -> anyhow::Result<u64> {
    let e = rpc_err(&cli.rpc);
    if let Some(k) = c.key(key.account()).await.map_err(&e)? {
        return Ok(k.sequence);
    }
    let chain = c.chain_info().await.map_err(&e)?;
    let registration =
        DataKeyRegistration::sign(key, &chain.chain_id, data_keypair(key, 0).public(), 0)?;
    submit(
        cli,
        c,
        key,
        Call::Data(DataCall::RegisterKey { registration }),
    )
    .await?;
    Ok(0)
}

/// Encrypts `path` to `store` (a progress bar on a terminal), registers it for `key` with its
/// own envelope; returns the file.
async fn add_file(
    cli: &Cli,
    c: &HttpClient,
    key: &Keypair,
    path: &Path,
    store: &StoreUrl,
    schema: Option<String>,
) -> anyhow::Result<FileView> {
    let e = rpc_err(&cli.rpc);
    let sequence = ensure_data_key(cli, c, key).await?;
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let file_key = FileKey::generate()?;
    let options = EncryptOptions::random()?;
    let bar = crate::progress::Bytes::new(cli, len, format!("encrypting and uploading to {store}"));
    let reader = bar.wrap(file);
    let (uploaded, _) = data_store()?
        .upload_encrypt(store, reader, &file_key, &options)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish();
    let url = uploaded.url.to_string();
    let receipt = submit(
        cli,
        c,
        key,
        Call::Data(DataCall::AddFile {
            owner: key.account(),
            url: url.clone(),
            content_hash: uploaded.content_hash,
            size: uploaded.size,
            schema,
            owner_signature: None,
        }),
    )
    .await?;
    let id = receipt
        .events
        .iter()
        .find_map(|ev| match ev {
            synod_runtime::Event::Data(synod_data::DataEvent::FileAdded { file, .. }) => {
                Some(*file)
            }
            _ => None,
        })
        .context("the receipt names no file")?;
    let own = KeyEnvelope::seal(
        &file_key,
        &data_keypair(key, sequence).public(),
        id,
        &uploaded.content_hash,
    )?;
    submit(
        cli,
        c,
        key,
        Call::Data(DataCall::GrantAccess {
            file: id,
            grantee: key.account(),
            envelope: own,
        }),
    )
    .await?;
    c.file(id)
        .await
        .map_err(&e)?
        .context("the file is not on chain")
}

/// Opens the envelope sealed to `key` for file `f`.
async fn file_key_of(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    key: &Keypair,
    f: &FileView,
) -> anyhow::Result<FileKey> {
    let envelope = c
        .envelope(f.id, key.account())
        .await
        .map_err(e)?
        .with_context(|| format!("no key envelope of file {} for {}", f.id, key.account()))?;
    let newest = c
        .key(key.account())
        .await
        .map_err(e)?
        .map_or(0, |k| k.sequence);
    let kp = opening_key(key, newest, &envelope)
        .context("the envelope is sealed to none of this key's data keys")?;
    Ok(envelope.open(&kp, f.id, &f.record.content_hash)?)
}

fn file_text(f: &FileView) -> String {
    format!(
        "file {}\nowner:   {}\nurl:     {}\nhash:    {}\nsize:    {} bytes\nschema:  {}\nproofs:  {}",
        f.id,
        f.record.owner,
        f.record.url,
        f.record.content_hash,
        f.record.size,
        f.record.schema.as_deref().unwrap_or("-"),
        f.record.proofs
    )
}

fn pool_text(p: &PoolView) -> String {
    let r = &p.record;
    format!(
        "pool {} '{}'\nowner:          {}\ntreasury:       {} ({} reward tokens of token {}, {})\nprogram:        {} at {}\nreward:         {} token units per 1,000,000 ppm\nworkers:        {} bonded, {} per job, min bond {}\njob:            timeout {} blocks, fee {}\nslashes:        {} ppm outvoted, {} ppm after {} misses\nstake:          {} (stakers get {} ppm)\naccepted:       {} ({} this epoch from {} contributors)\nindex:          {} entries{}",
        p.id,
        r.name,
        r.owner,
        r.treasury,
        p.treasury_tokens,
        r.reward_token,
        DisplayAmount(p.treasury_syn),
        r.params.program_hash,
        r.params.program_url,
        r.params.reward_per_unit,
        p.workers,
        r.params.workers_per_job,
        DisplayAmount(r.params.min_worker_bond),
        r.params.job_timeout,
        DisplayAmount(r.params.job_fee),
        r.params.slash_ppm,
        r.params.miss_slash_ppm,
        r.params.max_misses,
        DisplayAmount(r.stake_total),
        r.params.staker_share_ppm,
        r.accepted_total,
        r.stats.accepted,
        r.stats.contributors,
        r.index_len,
        r.pending
            .as_ref()
            .map(|u| format!("\nqueued update:  applies from block {}", u.ready_at))
            .unwrap_or_default()
    )
}

fn scores_text(s: &Scores) -> String {
    format!(
        "score {} ppm (authenticity {}, ownership {}, quality {}, uniqueness {})",
        s.score, s.authenticity, s.ownership, s.quality, s.uniqueness
    )
}

fn job_text(j: &JobView) -> String {
    let r = &j.record;
    let status = match &r.status {
        JobStatus::AwaitingDraw { at } => format!("waiting for the draw at block {at}"),
        JobStatus::Scoring => format!("scoring until block {}", r.deadline),
        JobStatus::Accepted { at } => format!("accepted at block {at}"),
        JobStatus::Failed { at, cause } => format!("failed at block {at}: {cause:?}"),
    };
    let mut out = format!(
        "job {} (file {}, pool {})\nstatus: {status}\nfee:    {}",
        j.id,
        r.file,
        r.pool,
        DisplayAmount(r.fee)
    );
    for a in &r.assignments {
        out.push_str(&format!(
            "\n  {}  {}",
            a.worker,
            a.posted
                .as_ref()
                .map_or("not posted".to_string(), |p| scores_text(&p.scores))
        ));
    }
    out
}

async fn params_from(cli: &Cli, args: &ParamArgs) -> anyhow::Result<PoolParams> {
    let wasm = std::fs::read(&args.program)
        .with_context(|| format!("reading {}", args.program.display()))?;
    synod_data_score::validate_program(&wasm, &synod_data_score::Limits::default())
        .with_context(|| format!("{} is not a usable scoring program", args.program.display()))?;
    let program_hash = synod_data_score::program_hash(&wasm);
    let program_url = match &args.program_url {
        Some(u) => u.clone(),
        None => {
            let store = store_url(&args.store)?;
            let url = data_store()?
                .put_public(
                    &store,
                    &format!("{}.wasm", hex::encode(program_hash.0)),
                    wasm,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            url.to_string()
        }
    };
    let _ = cli;
    Ok(PoolParams {
        description: args.description.clone(),
        schema: args.schema.clone(),
        program_hash,
        program_url,
        reward_per_unit: args.reward_per_unit,
        workers_per_job: args.workers_per_job,
        min_worker_bond: syn(&args.min_worker_bond)?,
        job_timeout: args.job_timeout,
        job_fee: syn(&args.job_fee)?,
        slash_ppm: args.slash_ppm,
        miss_slash_ppm: args.miss_slash_ppm,
        max_misses: args.max_misses,
        staker_share_ppm: args.staker_share_ppm,
    })
}

/// `synod data …`
pub async fn run(cli: &Cli, cmd: &DataCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match cmd {
        DataCommand::Key(KeyCommand::Show { account: who }) => {
            let who = account(cli, who)?;
            let k = c.key(who).await.map_err(&e)?;
            emit(cli.json, &k, || match &k {
                Some(k) => format!(
                    "data key {} (sequence {}, registered at block {})",
                    k.key, k.sequence, k.registered_at
                ),
                None => format!("{who} has no data key"),
            })
        }
        DataCommand::Key(KeyCommand::Register { from, rotate }) => {
            let key = signer(cli, from)?;
            let current = c.key(key.account()).await.map_err(&e)?;
            let sequence = match (&current, rotate) {
                (None, _) => 0,
                (Some(k), true) => k.sequence + 1,
                (Some(k), false) => {
                    if k.key == data_keypair(&key, k.sequence).public() {
                        return emit(cli.json, &k, || {
                            format!("already registered: {} (sequence {})", k.key, k.sequence)
                        });
                    }
                    bail!("a data key is registered that this key did not derive; use --rotate")
                }
            };
            let chain = c.chain_info().await.map_err(&e)?;
            let registration = DataKeyRegistration::sign(
                &key,
                &chain.chain_id,
                data_keypair(&key, sequence).public(),
                sequence,
            )?;
            let r = send(
                cli,
                &c,
                &key,
                Call::Data(DataCall::RegisterKey { registration }),
                None,
                None,
                true,
            )
            .await?;
            print_submission(cli, r)
        }
        DataCommand::Add(a) => {
            let key = signer(cli, &a.from)?;
            let store = store_url(&a.store)?;
            let f = add_file(cli, &c, &key, &a.file, &store, a.schema.clone()).await?;
            emit(cli.json, &f, || file_text(&f))
        }
        DataCommand::Get { id, out, from } => {
            let key = signer(cli, from)?;
            let f = c
                .file(*id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no file {id}"))?;
            let file_key = file_key_of(&c, &e, &key, &f).await?;
            let url = StoreUrl::parse(&f.record.url).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = data_store()?;
            let n = match out {
                Some(path) => store
                    .download_decrypt_to_path(
                        &url,
                        &f.record.content_hash,
                        f.record.size,
                        &file_key,
                        path,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                None => {
                    let mut stdout = tokio::io::stdout();
                    store
                        .download_decrypt(
                            &url,
                            &f.record.content_hash,
                            f.record.size,
                            &file_key,
                            &mut stdout,
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                }
            };
            if out.is_some() {
                emit(
                    cli.json,
                    &serde_json::json!({"file": id, "bytes": n}),
                    || format!("file {id}: {n} bytes, hash checked, decrypted"),
                )?;
            }
            Ok(())
        }
        DataCommand::Grant {
            id,
            account: who,
            from,
        } => {
            let key = signer(cli, from)?;
            let grantee = account(cli, who)?;
            let f = c
                .file(*id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no file {id}"))?;
            let file_key = file_key_of(&c, &e, &key, &f).await?;
            let their = c
                .key(grantee)
                .await
                .map_err(&e)?
                .with_context(|| format!("{grantee} has no registered data key"))?;
            let envelope = KeyEnvelope::seal(&file_key, &their.key, f.id, &f.record.content_hash)?;
            let r = send(
                cli,
                &c,
                &key,
                Call::Data(DataCall::GrantAccess {
                    file: f.id,
                    grantee,
                    envelope,
                }),
                None,
                None,
                true,
            )
            .await?;
            print_submission(cli, r)
        }
        DataCommand::List { owner, after } => {
            let owner = account(cli, owner)?;
            let files = c.files(owner, *after).await.map_err(&e)?;
            emit(cli.json, &files, || {
                if files.is_empty() {
                    return "no files".into();
                }
                files
                    .iter()
                    .map(|f| {
                        format!(
                            "{:>6}  {:>12} bytes  {} proofs  {}",
                            f.id, f.record.size, f.record.proofs, f.record.url
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        DataCommand::Show { id } => {
            let f = c
                .file(*id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no file {id}"))?;
            let proofs = c.proofs(*id).await.map_err(&e)?;
            let v = serde_json::json!({"file": f, "proofs": proofs});
            emit(cli.json, &v, || {
                let mut t = file_text(&f);
                for (i, p) in proofs.iter().enumerate() {
                    t.push_str(&format!(
                        "\nproof {i}: pool {}, job {}, {}, reward {}",
                        p.pool,
                        p.job,
                        scores_text(&p.scores),
                        p.reward
                    ));
                }
                t
            })
        }
        DataCommand::Job { id } => {
            let j = c
                .job(*id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no job {id}"))?;
            emit(cli.json, &j, || job_text(&j))
        }
        DataCommand::Pool(p) => run_pool(cli, &c, p).await,
        DataCommand::Worker(w) => run_worker_cmd(cli, &c, w).await,
        DataCommand::Contribute(a) => contribute(cli, &c, a).await,
    }
}

async fn run_pool(cli: &Cli, c: &HttpClient, cmd: &PoolCommand) -> anyhow::Result<()> {
    let e = rpc_err(&cli.rpc);
    let (from, call) = match cmd {
        PoolCommand::Show { pool } => {
            let p = pool_id(c, &e, pool).await?;
            return emit(cli.json, &p, || pool_text(&p));
        }
        PoolCommand::List => {
            let pools = c.pools().await.map_err(&e)?;
            return emit(cli.json, &pools, || {
                if pools.is_empty() {
                    return "no pools".into();
                }
                pools
                    .iter()
                    .map(|p| {
                        format!(
                            "{:>4}  {:<20} {} workers, {} accepted, stake {}",
                            p.id,
                            p.record.name,
                            p.workers,
                            p.record.accepted_total,
                            DisplayAmount(p.record.stake_total)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        PoolCommand::Create(a) => (
            &a.from,
            Call::Data(DataCall::CreatePool {
                name: a.name.clone(),
                reward_token: a.token,
                params: params_from(cli, &a.params).await?,
            }),
        ),
        PoolCommand::Update(a) => {
            let p = pool_id(c, &e, &a.pool).await?;
            (
                &a.from,
                Call::Data(DataCall::QueuePoolUpdate {
                    pool: p.id,
                    params: params_from(cli, &a.params).await?,
                }),
            )
        }
        PoolCommand::Apply { pool, from } => {
            let p = pool_id(c, &e, pool).await?;
            (from, Call::Data(DataCall::ApplyPoolUpdate { pool: p.id }))
        }
        PoolCommand::Fund { pool, amount, from } => {
            let p = pool_id(c, &e, pool).await?;
            (
                from,
                Call::Data(DataCall::FundPool {
                    pool: p.id,
                    amount: *amount,
                }),
            )
        }
        PoolCommand::Stake { pool, amount, from } => {
            let p = pool_id(c, &e, pool).await?;
            (
                from,
                Call::Data(DataCall::StakePool {
                    pool: p.id,
                    amount: syn(amount)?,
                }),
            )
        }
        PoolCommand::Unstake { pool, amount, from } => {
            let p = pool_id(c, &e, pool).await?;
            (
                from,
                Call::Data(DataCall::UnstakePool {
                    pool: p.id,
                    amount: syn(amount)?,
                }),
            )
        }
        PoolCommand::Claim { pool, from } => {
            let p = pool_id(c, &e, pool).await?;
            (from, Call::Data(DataCall::ClaimStakeRewards { pool: p.id }))
        }
        PoolCommand::Withdraw { pool, amount, from } => {
            let p = pool_id(c, &e, pool).await?;
            (
                from,
                Call::Data(DataCall::WithdrawTreasury {
                    pool: p.id,
                    amount: syn(amount)?,
                }),
            )
        }
    };
    let key = signer(cli, from)?;
    let r = send(cli, c, &key, call, None, None, true).await?;
    print_submission(cli, r)
}

async fn run_worker_cmd(cli: &Cli, c: &HttpClient, cmd: &WorkerCommand) -> anyhow::Result<()> {
    let e = rpc_err(&cli.rpc);
    match cmd {
        WorkerCommand::Bond { pool, amount, from } => {
            let key = signer(cli, from)?;
            let p = pool_id(c, &e, pool).await?;
            ensure_data_key(cli, c, &key).await?;
            let r = send(
                cli,
                c,
                &key,
                Call::Data(DataCall::BondWorker {
                    pool: p.id,
                    amount: syn(amount)?,
                }),
                None,
                None,
                true,
            )
            .await?;
            print_submission(cli, r)
        }
        WorkerCommand::Unbond { pool, from } => {
            let key = signer(cli, from)?;
            let p = pool_id(c, &e, pool).await?;
            let r = send(
                cli,
                c,
                &key,
                Call::Data(DataCall::UnbondWorker { pool: p.id }),
                None,
                None,
                true,
            )
            .await?;
            print_submission(cli, r)
        }
        WorkerCommand::Status { worker, pool } => {
            let who = account(cli, worker)?;
            let pools = match pool {
                Some(p) => vec![pool_id(c, &e, p).await?],
                None => c.pools().await.map_err(&e)?,
            };
            let mut bonds = Vec::new();
            for p in &pools {
                if let Some(w) = c
                    .workers(p.id)
                    .await
                    .map_err(&e)?
                    .into_iter()
                    .find(|w| w.account == who)
                {
                    bonds.push((p.id, p.record.name.clone(), w));
                }
            }
            let jobs = c.jobs_of(who).await.map_err(&e)?;
            let v = serde_json::json!({"bonds": bonds, "open_jobs": jobs});
            emit(cli.json, &v, || {
                let mut t = String::new();
                if bonds.is_empty() {
                    t.push_str("not bonded in any pool");
                }
                for (id, name, w) in &bonds {
                    t.push_str(&format!(
                        "pool {id} '{name}': bond {}, {} open jobs, {} misses in a row\n",
                        DisplayAmount(w.bond),
                        w.open_jobs,
                        w.misses
                    ));
                }
                for j in &jobs {
                    t.push_str(&format!("\n{}", job_text(j)));
                }
                t.trim_end().to_string()
            })
        }
    }
}

async fn contribute(cli: &Cli, c: &HttpClient, a: &ContributeArgs) -> anyhow::Result<()> {
    let e = rpc_err(&cli.rpc);
    let key = signer(cli, &a.from)?;
    let pool = pool_id(c, &e, &a.pool).await?;
    let store = store_url(&a.store)?;
    let f = add_file(
        cli,
        c,
        &key,
        &a.file,
        &store,
        pool.record.params.schema.clone(),
    )
    .await?;
    let file_key = file_key_of(c, &e, &key, &f).await?;
    let receipt = submit(
        cli,
        c,
        &key,
        Call::Data(DataCall::RequestProof {
            file: f.id,
            pool: pool.id,
        }),
    )
    .await?;
    let job = receipt
        .events
        .iter()
        .find_map(|ev| match ev {
            synod_runtime::Event::Data(synod_data::DataEvent::ProofRequested { job, .. }) => {
                Some(*job)
            }
            _ => None,
        })
        .context("the receipt names no job")?;
    let spinner = crate::progress::Spinner::new(cli, format!("job {job}: waiting for the draw"));
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    let mut sealed: Vec<AccountId> = Vec::new();
    let done = loop {
        let j = c.job(job).await.map_err(&e)?.context("the job vanished")?;
        match &j.record.status {
            JobStatus::Accepted { .. } | JobStatus::Failed { .. } => break j,
            JobStatus::Scoring => {
                // Seal the key to every drawn worker that has no envelope yet (replacements
                // included), and to nobody else.
                let mut calls = Vec::new();
                for asg in &j.record.assignments {
                    if sealed.contains(&asg.worker) {
                        continue;
                    }
                    let their = c
                        .key(asg.worker)
                        .await
                        .map_err(&e)?
                        .with_context(|| format!("worker {} has no data key", asg.worker))?;
                    let envelope =
                        KeyEnvelope::seal(&file_key, &their.key, f.id, &f.record.content_hash)?;
                    calls.push(Call::Data(DataCall::GrantAccess {
                        file: f.id,
                        grantee: asg.worker,
                        envelope,
                    }));
                    sealed.push(asg.worker);
                }
                if !calls.is_empty() {
                    spinner.set_message(format!(
                        "job {job}: sealing the file key to {} drawn workers",
                        calls.len()
                    ));
                    submit_all(cli, c, &key, calls).await?;
                }
                let posted = j
                    .record
                    .assignments
                    .iter()
                    .filter(|x| x.posted.is_some())
                    .count();
                spinner.set_message(format!(
                    "job {job}: {posted}/{} workers posted (deadline block {})",
                    j.record.assignments.len(),
                    j.record.deadline
                ));
            }
            JobStatus::AwaitingDraw { .. } => {}
        }
        if Instant::now() > deadline {
            bail!(
                "job {job} not decided within {} s; follow it with `synod data job {job}`",
                a.timeout
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    spinner.finish();
    let proofs = c.proofs(f.id).await.map_err(&e)?;
    let proof = proofs.iter().find(|p| p.job == job);
    let v = serde_json::json!({"file": f, "job": done, "proof": proof});
    let failed = matches!(done.record.status, JobStatus::Failed { .. });
    emit(cli.json, &v, || match proof {
        Some(p) => format!(
            "file {} contributed to pool '{}' (job {job})\n{}\nreward: {} units of token {}",
            f.id,
            pool.record.name,
            scores_text(&p.scores),
            p.reward,
            pool.record.reward_token
        ),
        None => job_text(&done),
    })?;
    if failed {
        bail!("job {job} failed; its fee was refunded");
    }
    Ok(())
}

/// What the worker keeps between jobs: programs by hash and each pool's uniqueness index
/// (append-only on chain, so cached entries never change).
#[derive(Default)]
struct WorkerCache {
    programs: BTreeMap<Hash, Vec<u8>>,
    index: BTreeMap<u64, Vec<Vec<u8>>>,
}

/// `synod data-worker`
pub async fn run_worker(cli: &Cli, args: &WorkerArgs) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let key = signer(cli, &args.key)?;
    let me = key.account();
    let mut pools = Vec::new();
    for p in &args.pool {
        let view = pool_id(&c, &e, p).await?;
        eprintln!(
            "data worker {me} scoring for pool {} '{}'",
            view.id, view.record.name
        );
        pools.push(view.id);
    }
    let store = data_store()?;
    // Every honest worker must reach the same verdict, so the limits are the sandbox's
    // defaults, never a local choice: a worker with more fuel would score a file the others
    // refuse, and be outvoted.
    let limits = synod_data_score::Limits::default();
    let mut cache = WorkerCache::default();
    let mut posted = 0u64;
    let mut warned: BTreeMap<u64, String> = BTreeMap::new();
    loop {
        let jobs = match c.jobs_of(me).await {
            Ok(j) => j,
            Err(err) => {
                eprintln!("cannot read jobs: {}", e(err));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for j in jobs {
            if !pools.contains(&j.record.pool) || j.record.status != JobStatus::Scoring {
                continue;
            }
            let mine = j.record.assignments.iter().find(|a| a.worker == me);
            if mine.is_none_or(|a| a.posted.is_some()) {
                continue;
            }
            match score_job(&c, &e, &key, &store, &limits, &mut cache, &j).await {
                Ok(None) => {} // the key is not sealed to us yet
                Ok(Some((scores, metadata))) => {
                    let scores = if args.lie { lie(scores) } else { scores };
                    if let Some(ms) = args.pause_before_post_ms {
                        eprintln!("job {}: scored, posting in {ms} ms", j.id);
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                    let call = Call::Data(DataCall::SubmitScore {
                        job: j.id,
                        scores,
                        metadata,
                    });
                    match submit(cli, &c, &key, call).await {
                        Ok(_) => {
                            posted += 1;
                            eprintln!("job {}: posted {}", j.id, scores_text(&scores));
                        }
                        Err(err) => eprintln!("job {}: posting failed: {err:#}", j.id),
                    }
                }
                Err(err) => {
                    let msg = format!("{err:#}");
                    if warned.get(&j.id) != Some(&msg) {
                        eprintln!("job {}: {msg} (will retry)", j.id);
                        warned.insert(j.id, msg);
                    }
                }
            }
            if args.max_jobs.is_some_and(|m| posted >= m) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    }
}

/// One point off every part (a worker patched to lie).
fn lie(s: Scores) -> Scores {
    let off = |v: u32| if v == 0 { 1 } else { v - 1 };
    Scores {
        authenticity: off(s.authenticity),
        ownership: off(s.ownership),
        quality: off(s.quality),
        uniqueness: off(s.uniqueness),
        score: off(s.score),
    }
}

/// Scores one job: `None` while the key is not sealed to this worker. A scoring program that
/// fails (over its fuel or memory, a trap) fails the same way for every honest worker, so its
/// error becomes a zero score with no metadata; anything that may pass (a store, the node) is
/// an error to retry.
async fn score_job(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    key: &Keypair,
    store: &DataStore,
    limits: &synod_data_score::Limits,
    cache: &mut WorkerCache,
    j: &JobView,
) -> anyhow::Result<Option<(Scores, Vec<u8>)>> {
    let Some(envelope) = c.envelope(j.record.file, key.account()).await.map_err(e)? else {
        return Ok(None);
    };
    let f = c
        .file(j.record.file)
        .await
        .map_err(e)?
        .context("the job's file is not on chain")?;
    let newest = c
        .key(key.account())
        .await
        .map_err(e)?
        .map_or(0, |k| k.sequence);
    let kp = opening_key(key, newest, &envelope)
        .context("the envelope is sealed to none of this worker's data keys")?;
    let file_key = envelope.open(&kp, f.id, &f.record.content_hash)?;
    let url = StoreUrl::parse(&f.record.url).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Far above what the sandbox takes: refused like any file the program cannot score (every
    // honest worker decides this from the registered size alone), without downloading it.
    if f.record.size > limits.max_input_bytes.saturating_add(64 * 1024 * 1024) {
        eprintln!(
            "job {}: file of {} bytes is above the scoring limit; posting a zero score",
            j.id, f.record.size
        );
        return Ok(Some((Scores::default(), Vec::new())));
    }
    let mut plaintext = Vec::new();
    store
        .download_decrypt(
            &url,
            &f.record.content_hash,
            f.record.size,
            &file_key,
            &mut plaintext,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pool = c
        .pool(j.record.pool)
        .await
        .map_err(e)?
        .context("the job's pool is gone")?;
    let program_hash = pool.record.params.program_hash;
    if let std::collections::btree_map::Entry::Vacant(slot) = cache.programs.entry(program_hash) {
        let url =
            StoreUrl::parse(&pool.record.params.program_url).map_err(|e| anyhow::anyhow!("{e}"))?;
        let wasm = store
            .get_public(&url, u64::from(limits.max_module_bytes))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let got = synod_data_score::program_hash(&wasm);
        if got != program_hash {
            bail!("the program at {url} hashes to {got}, the pool registered {program_hash}");
        }
        slot.insert(wasm);
    }
    // The index as of the draw: the first `index_len` entries.
    let cached = cache.index.entry(j.record.pool).or_default();
    while (cached.len() as u64) < j.record.index_len {
        let from = cached.len() as u64;
        let page = c.index(j.record.pool, from, 256).await.map_err(e)?;
        if page.is_empty() {
            bail!(
                "the pool's index has fewer than {} entries",
                j.record.index_len
            );
        }
        for entry in page {
            let hex_text = entry.metadata.trim_start_matches("0x");
            cached.push(hex::decode(hex_text).context("index entry is not hex")?);
        }
    }
    let index: Vec<&[u8]> = cached[..j.record.index_len as usize]
        .iter()
        .map(Vec::as_slice)
        .collect();
    let Some(wasm) = cache.programs.get(&program_hash) else {
        bail!("no program");
    };
    match synod_data_score::run(wasm, &plaintext, &index, limits) {
        Ok(out) => Ok(Some((
            Scores {
                authenticity: out.scores.authenticity,
                ownership: out.scores.ownership,
                quality: out.scores.quality,
                uniqueness: out.scores.uniqueness,
                score: out.scores.score,
            },
            out.metadata,
        ))),
        Err(err) => {
            eprintln!("job {}: the scoring program refused the file: {err}", j.id);
            Ok(Some((Scores::default(), Vec::new())))
        }
    }
}
