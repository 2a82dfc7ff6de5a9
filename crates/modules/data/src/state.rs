//! The data module's stored records and keys (`data/` prefix; ids 8-byte big-endian, accounts
//! 32 bytes). Execution reads single keys only; the views in [`crate::query`] scan prefixes.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_data_crypto::{DataPublicKey, KeyEnvelope};
use synod_module::StateError;
use synod_primitives::{AccountId, Balance, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;
use synod_tokens::TokenId;

use crate::wire::{FileId, JobFailureCause, JobId, PoolId, PoolParams, Scores};

/// An account's registered data key.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct KeyRecord {
    /// The X25519 public key files are sealed to.
    pub key: DataPublicKey,
    /// Its rotation sequence (0 for the first).
    pub sequence: u64,
    /// Height registered.
    pub registered_at: Height,
}

/// A registered file (its ciphertext lives at `url`).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct FileRecord {
    /// Its owner.
    pub owner: AccountId,
    /// Where the ciphertext is.
    pub url: String,
    /// BLAKE3 of the ciphertext.
    pub content_hash: Hash,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// Its schema id, if it declares one.
    pub schema: Option<String>,
    /// Height registered.
    pub registered_at: Height,
    /// Proofs appended so far.
    pub proofs: u32,
}

/// An accepted proof of contribution, appended to its file.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ProofRecord {
    /// The pool that scored it.
    pub pool: PoolId,
    /// The job.
    pub job: JobId,
    /// The accepted scores.
    pub scores: Scores,
    /// The program's metadata (also the pool's uniqueness index entry).
    #[serde(with = "synod_primitives::json::hex_bytes")]
    #[schemars(with = "String")]
    pub metadata: Vec<u8>,
    /// The workers whose score it was.
    pub attested_by: Vec<AccountId>,
    /// Pool tokens paid to the owner.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub reward: u128,
    /// Height accepted.
    pub accepted_at: Height,
}

/// Parameters waiting for the timelock.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct PendingUpdate {
    /// What will apply.
    pub params: PoolParams,
    /// First height it may apply at.
    pub ready_at: Height,
}

/// What a pool did in one epoch: the performance measured on chain.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct EpochStats {
    /// The epoch these counts are for (older counts read as zero).
    pub epoch: u64,
    /// Contributions accepted.
    pub accepted: u64,
    /// Distinct contributors whose contribution was accepted.
    pub contributors: u64,
    /// SYN paid for access to the pool's data (no paid access exists yet: always 0).
    pub access_fees: Balance,
}

/// A data pool.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct PoolRecord {
    /// Unique name.
    pub name: String,
    /// Its owner.
    pub owner: AccountId,
    /// The token rewards are paid in.
    pub reward_token: TokenId,
    /// The keyless account holding its reward tokens and its share of emission.
    pub treasury: AccountId,
    /// Its parameters.
    pub params: PoolParams,
    /// A queued change.
    pub pending: Option<PendingUpdate>,
    /// Height created.
    pub created_at: Height,
    /// Entries in its uniqueness index (accepted contributions' metadata).
    pub index_len: u64,
    /// Contributions accepted in total.
    pub accepted_total: u64,
    /// This epoch's counts.
    pub stats: EpochStats,
    /// SYN staked on it.
    pub stake_total: Balance,
    /// Staker rewards per staked base unit, scaled by [`REWARD_SCALE`].
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub reward_per_stake: u128,
    /// SYN credited to its stakers and not paid out yet (held by the module account).
    pub staker_reserve: Balance,
    /// The fraction of a base unit credited to stakers beyond `staker_reserve`, scaled by
    /// [`REWARD_SCALE`] (carried to the next split).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub staker_dust: u128,
}

/// Scale of [`PoolRecord::reward_per_stake`].
pub const REWARD_SCALE: u128 = 1_000_000_000_000;

/// A member of a pool's worker set.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct WorkerEntry {
    /// The worker's account.
    pub account: AccountId,
    /// SYN bonded.
    pub bond: Balance,
    /// Open jobs it is drawn for.
    pub open_jobs: u32,
    /// Consecutive jobs it missed.
    pub misses: u32,
}

/// A drawn worker's place in a job.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Assignment {
    /// The worker.
    pub worker: AccountId,
    /// Height drawn.
    pub drawn_at: Height,
    /// What it posted.
    pub posted: Option<Posted>,
}

/// A posted score.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Posted {
    /// The scores.
    pub scores: Scores,
    /// The metadata.
    #[serde(with = "synod_primitives::json::hex_bytes")]
    #[schemars(with = "String")]
    pub metadata: Vec<u8>,
}

/// Where a job is.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for the end of block `at` to draw its workers.
    AwaitingDraw {
        /// The drawing height.
        at: Height,
    },
    /// Drawn workers are scoring until the deadline.
    Scoring,
    /// A score won; the proof is on the file.
    Accepted {
        /// Height accepted.
        at: Height,
    },
    /// Ended without a score; the fee went back.
    Failed {
        /// Height it failed.
        at: Height,
        /// Why.
        cause: JobFailureCause,
    },
}

/// A proof-of-contribution job.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct JobRecord {
    /// The file.
    pub file: FileId,
    /// The pool.
    pub pool: PoolId,
    /// Who asked (the file's owner) and pays the fee.
    pub requester: AccountId,
    /// SYN escrowed.
    pub fee: Balance,
    /// Height requested.
    pub requested_at: Height,
    /// Where it is.
    pub status: JobStatus,
    /// Its current workers.
    pub assignments: Vec<Assignment>,
    /// Everyone ever drawn for it (never drawn twice).
    pub drawn: Vec<AccountId>,
    /// Entries of the pool's uniqueness index it scores against.
    pub index_len: u64,
    /// Last height its current workers may post at (0 before the draw).
    pub deadline: Height,
    /// Deadlines passed with scores missing.
    pub rounds: u8,
}

/// A stake on a pool.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct StakeRecord {
    /// SYN staked.
    pub amount: Balance,
    /// The pool's `reward_per_stake` when its rewards were last settled.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub settled_at: u128,
    /// Rewards settled and not paid yet.
    pub owed: Balance,
}

const KEY: &[u8] = b"data/key/";
const FILE: &[u8] = b"data/f/";
const NEXT_FILE: &[u8] = b"data/next_file";
const URL: &[u8] = b"data/url/";
const OWNER: &[u8] = b"data/owner/";
const ENVELOPE: &[u8] = b"data/env/";
const GRANTS: &[u8] = b"data/grants/";
const PROOF: &[u8] = b"data/proof/";
const POOL: &[u8] = b"data/pool/";
const NEXT_POOL: &[u8] = b"data/next_pool";
const POOL_NAME: &[u8] = b"data/poolname/";
const POOLS: &[u8] = b"data/pools";
const WORKERS: &[u8] = b"data/workers/";
const INDEX: &[u8] = b"data/idx/";
const JOB: &[u8] = b"data/job/";
const NEXT_JOB: &[u8] = b"data/next_job";
const OPEN: &[u8] = b"data/open/";
const REWARDED: &[u8] = b"data/rewarded/";
const DUE: &[u8] = b"data/due/";
const WORKER_JOBS: &[u8] = b"data/wjobs/";
const STAKE: &[u8] = b"data/stake/";
const LAST_CONTRIBUTION: &[u8] = b"data/lastc/";

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// `data/key/<account>`.
pub fn key_key(a: &AccountId) -> Vec<u8> {
    key(KEY, &[&a.0])
}
/// `data/f/<file>`.
pub fn file_key(f: FileId) -> Vec<u8> {
    key(FILE, &[&f.to_be_bytes()])
}
/// `data/url/<blake3(url)>`: the file registered with a url.
pub fn url_key(url: &str) -> Vec<u8> {
    key(URL, &[&Hash::digest(url.as_bytes()).0])
}
/// `data/owner/<owner>`: prefix of an owner's files.
pub fn owner_prefix(owner: &AccountId) -> Vec<u8> {
    key(OWNER, &[&owner.0])
}
/// `data/owner/<owner><file>`.
pub fn owner_key(owner: &AccountId, f: FileId) -> Vec<u8> {
    key(OWNER, &[&owner.0, &f.to_be_bytes()])
}
/// `data/env/<file><account>`.
pub fn envelope_key(f: FileId, a: &AccountId) -> Vec<u8> {
    key(ENVELOPE, &[&f.to_be_bytes(), &a.0])
}
/// `data/grants/<account>`: prefix of the files an account holds envelopes for.
pub fn grants_prefix(a: &AccountId) -> Vec<u8> {
    key(GRANTS, &[&a.0])
}
/// `data/grants/<account><file>`.
pub fn grants_key(a: &AccountId, f: FileId) -> Vec<u8> {
    key(GRANTS, &[&a.0, &f.to_be_bytes()])
}
/// `data/proof/<file><index:4>`.
pub fn proof_key(f: FileId, i: u32) -> Vec<u8> {
    key(PROOF, &[&f.to_be_bytes(), &i.to_be_bytes()])
}
/// `data/pool/<pool>`.
pub fn pool_key(p: PoolId) -> Vec<u8> {
    key(POOL, &[&p.to_be_bytes()])
}
/// `data/poolname/<name>`.
pub fn pool_name_key(name: &str) -> Vec<u8> {
    key(POOL_NAME, &[name.as_bytes()])
}
/// `data/workers/<pool>`: the pool's worker set, ordered by account.
pub fn workers_key(p: PoolId) -> Vec<u8> {
    key(WORKERS, &[&p.to_be_bytes()])
}
/// `data/idx/<pool><n>`: the `n`th entry (from 0) of the pool's uniqueness index.
pub fn index_key(p: PoolId, n: u64) -> Vec<u8> {
    key(INDEX, &[&p.to_be_bytes(), &n.to_be_bytes()])
}
/// `data/job/<job>`.
pub fn job_key(j: JobId) -> Vec<u8> {
    key(JOB, &[&j.to_be_bytes()])
}
/// `data/open/<pool><file>`: the open job for a file in a pool.
pub fn open_key(p: PoolId, f: FileId) -> Vec<u8> {
    key(OPEN, &[&p.to_be_bytes(), &f.to_be_bytes()])
}
/// `data/rewarded/<pool><file>`: the job that earned a file its reward in a pool.
pub fn rewarded_key(p: PoolId, f: FileId) -> Vec<u8> {
    key(REWARDED, &[&p.to_be_bytes(), &f.to_be_bytes()])
}
/// `data/due/<height>`: jobs with a step at the end of that block.
pub fn due_key(h: Height) -> Vec<u8> {
    key(DUE, &[&h.to_be_bytes()])
}
/// `data/wjobs/<worker>`: prefix of the jobs a worker is drawn for (views).
pub fn worker_jobs_prefix(w: &AccountId) -> Vec<u8> {
    key(WORKER_JOBS, &[&w.0])
}
/// `data/wjobs/<worker><job>`.
pub fn worker_jobs_key(w: &AccountId, j: JobId) -> Vec<u8> {
    key(WORKER_JOBS, &[&w.0, &j.to_be_bytes()])
}
/// `data/stake/<pool><staker>`.
pub fn stake_key(p: PoolId, a: &AccountId) -> Vec<u8> {
    key(STAKE, &[&p.to_be_bytes(), &a.0])
}
/// `data/lastc/<pool><account>`: the last epoch the account had a contribution accepted.
pub fn last_contribution_key(p: PoolId, a: &AccountId) -> Vec<u8> {
    key(LAST_CONTRIBUTION, &[&p.to_be_bytes(), &a.0])
}
/// `data/pools`: every pool id, in creation order.
pub fn pools_key() -> Vec<u8> {
    POOLS.to_vec()
}

/// Reads a value.
pub fn get<T: BorshDeserialize, R: StateRead + ?Sized>(
    s: &R,
    k: &[u8],
) -> Result<Option<T>, StateError> {
    typed::get(s, k)
}

/// Writes a value.
pub fn put<T: BorshSerialize, R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, k: Vec<u8>, v: &T) {
    typed::put(s, k, v);
}

/// Takes the next id of a counter (first: 1).
pub fn next_id<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    which: &[u8],
) -> Result<u64, StateError> {
    let next: u64 = get(s, which)?.unwrap_or(1);
    put(s, which.to_vec(), &(next + 1));
    Ok(next)
}

/// The file counter's key.
pub fn next_file_key() -> &'static [u8] {
    NEXT_FILE
}
/// The pool counter's key.
pub fn next_pool_key() -> &'static [u8] {
    NEXT_POOL
}
/// The job counter's key.
pub fn next_job_key() -> &'static [u8] {
    NEXT_JOB
}

/// A file.
pub fn file<R: StateRead + ?Sized>(s: &R, f: FileId) -> Result<Option<FileRecord>, StateError> {
    get(s, &file_key(f))
}
/// A pool.
pub fn pool<R: StateRead + ?Sized>(s: &R, p: PoolId) -> Result<Option<PoolRecord>, StateError> {
    get(s, &pool_key(p))
}
/// A job.
pub fn job<R: StateRead + ?Sized>(s: &R, j: JobId) -> Result<Option<JobRecord>, StateError> {
    get(s, &job_key(j))
}
/// A registered data key.
pub fn data_key<R: StateRead + ?Sized>(
    s: &R,
    a: &AccountId,
) -> Result<Option<KeyRecord>, StateError> {
    get(s, &key_key(a))
}
/// An envelope.
pub fn envelope<R: StateRead + ?Sized>(
    s: &R,
    f: FileId,
    a: &AccountId,
) -> Result<Option<KeyEnvelope>, StateError> {
    get(s, &envelope_key(f, a))
}
/// A pool's worker set (ordered by account).
pub fn workers<R: StateRead + ?Sized>(s: &R, p: PoolId) -> Result<Vec<WorkerEntry>, StateError> {
    Ok(get(s, &workers_key(p))?.unwrap_or_default())
}
/// Writes a pool's worker set.
pub fn put_workers<R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, p: PoolId, w: &[WorkerEntry]) {
    if w.is_empty() {
        s.delete(workers_key(p));
    } else {
        put(s, workers_key(p), &w.to_vec());
    }
}
/// Every pool id.
pub fn pool_ids<R: StateRead + ?Sized>(s: &R) -> Result<Vec<PoolId>, StateError> {
    Ok(get(s, &pools_key())?.unwrap_or_default())
}
/// Jobs with a step at the end of block `h`.
pub fn due<R: StateRead + ?Sized>(s: &R, h: Height) -> Result<Vec<JobId>, StateError> {
    Ok(get(s, &due_key(h))?.unwrap_or_default())
}
/// Schedules a job's step at the end of block `h`.
pub fn schedule<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    h: Height,
    j: JobId,
) -> Result<(), StateError> {
    let mut list = due(s, h)?;
    list.push(j);
    put(s, due_key(h), &list);
    Ok(())
}
/// A stake (absent: zero).
pub fn stake<R: StateRead + ?Sized>(
    s: &R,
    p: PoolId,
    a: &AccountId,
) -> Result<StakeRecord, StateError> {
    Ok(get(s, &stake_key(p, a))?.unwrap_or_default())
}
