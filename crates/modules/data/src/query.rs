//! Read views over committed state (the RPC's answers). Listings scan key prefixes, which
//! execution never does, and return at most [`MAX_SCAN`] entries.

use serde::{Deserialize, Serialize};
use synod_data_crypto::KeyEnvelope;
use synod_module::StateError;
use synod_primitives::{AccountId, Balance};
use synod_storage::Snapshot;

use crate::state::{
    self, FileRecord, JobRecord, PoolRecord, ProofRecord, StakeRecord, WorkerEntry,
};
use crate::{FileId, JobId, PoolId, emission_account, pools};

/// Most entries a listing returns.
pub const MAX_SCAN: usize = 256;

/// A file with its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileView {
    /// Its id.
    pub id: FileId,
    /// Its record.
    #[serde(flatten)]
    pub record: FileRecord,
}

/// A key envelope held by an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GrantView {
    /// The file.
    pub file: FileId,
    /// The file key sealed to the account's data key.
    pub envelope: KeyEnvelope,
}

/// A pool with its id and what its treasury holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PoolView {
    /// Its id.
    pub id: PoolId,
    /// Its record.
    #[serde(flatten)]
    pub record: PoolRecord,
    /// Reward tokens in the treasury.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub treasury_tokens: u128,
    /// SYN in the treasury (its share of emission, not withdrawn).
    pub treasury_syn: Balance,
    /// Workers in its set.
    pub workers: u32,
}

/// A job with its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobView {
    /// Its id.
    pub id: JobId,
    /// Its record.
    #[serde(flatten)]
    pub record: JobRecord,
}

/// An entry of a pool's uniqueness index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndexEntry {
    /// Its position (from 0).
    pub n: u64,
    /// The accepted metadata, `0x`-hex.
    pub metadata: String,
}

/// A stake with what it can claim now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StakeView {
    /// The stake.
    #[serde(flatten)]
    pub record: StakeRecord,
    /// Rewards claimable now.
    pub claimable: Balance,
}

/// Emission waiting for the next epoch's split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmissionView {
    /// SYN in the data pools' emission account.
    pub pending: Balance,
    /// The current epoch.
    pub epoch: u64,
    /// Its last block (the split runs at its end).
    pub epoch_ends_at: u64,
}

fn id_tail(key: &[u8], prefix_len: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        key.get(prefix_len..prefix_len + 8)?.try_into().ok()?,
    ))
}

/// A file.
pub fn file(s: &Snapshot, id: FileId) -> Result<Option<FileView>, StateError> {
    Ok(state::file(s, id)?.map(|record| FileView { id, record }))
}

/// The file registered with `url`.
pub fn file_by_url(s: &Snapshot, url: &str) -> Result<Option<FileView>, StateError> {
    match state::get::<FileId, _>(s, &state::url_key(url))? {
        Some(id) => file(s, id),
        None => Ok(None),
    }
}

/// An owner's files, from `after` (exclusive).
pub fn files_of(
    s: &Snapshot,
    owner: &AccountId,
    after: Option<FileId>,
) -> Result<Vec<FileView>, StateError> {
    let prefix = state::owner_prefix(owner);
    let mut out = Vec::new();
    for (k, _) in s.scan_prefix(&prefix, usize::MAX)? {
        let Some(id) = id_tail(&k, prefix.len()) else {
            continue;
        };
        if after.is_some_and(|a| id <= a) {
            continue;
        }
        out.extend(file(s, id)?);
        if out.len() >= MAX_SCAN {
            break;
        }
    }
    Ok(out)
}

/// The envelopes an account holds.
pub fn grants_of(s: &Snapshot, account: &AccountId) -> Result<Vec<GrantView>, StateError> {
    let prefix = state::grants_prefix(account);
    let mut out = Vec::new();
    for (k, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
        if let Some(file) = id_tail(&k, prefix.len())
            && let Some(envelope) = state::envelope(s, file, account)?
        {
            out.push(GrantView { file, envelope });
        }
    }
    Ok(out)
}

/// A file's proofs, oldest first.
pub fn proofs(s: &Snapshot, file: FileId) -> Result<Vec<ProofRecord>, StateError> {
    let Some(f) = state::file(s, file)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for i in 0..f.proofs.min(MAX_SCAN as u32) {
        out.extend(state::get::<ProofRecord, _>(s, &state::proof_key(file, i))?);
    }
    Ok(out)
}

/// A pool.
pub fn pool(s: &Snapshot, id: PoolId) -> Result<Option<PoolView>, StateError> {
    let Some(record) = state::pool(s, id)? else {
        return Ok(None);
    };
    let treasury_tokens = synod_tokens::balance_of(s, record.reward_token, &record.treasury)?;
    let treasury_syn = synod_bank::account(s, &record.treasury)?.balance;
    let workers = state::workers(s, id)?.len() as u32;
    Ok(Some(PoolView {
        id,
        record,
        treasury_tokens,
        treasury_syn,
        workers,
    }))
}

/// A pool by name.
pub fn pool_by_name(s: &Snapshot, name: &str) -> Result<Option<PoolView>, StateError> {
    match state::get::<PoolId, _>(s, &state::pool_name_key(name))? {
        Some(id) => pool(s, id),
        None => Ok(None),
    }
}

/// Every pool (at most [`MAX_SCAN`]).
pub fn pools(s: &Snapshot) -> Result<Vec<PoolView>, StateError> {
    let mut out = Vec::new();
    for id in state::pool_ids(s)?.into_iter().take(MAX_SCAN) {
        out.extend(pool(s, id)?);
    }
    Ok(out)
}

/// A pool's worker set.
pub fn workers(s: &Snapshot, pool: PoolId) -> Result<Vec<WorkerEntry>, StateError> {
    state::workers(s, pool)
}

/// A job.
pub fn job(s: &Snapshot, id: JobId) -> Result<Option<JobView>, StateError> {
    Ok(state::job(s, id)?.map(|record| JobView { id, record }))
}

/// The open jobs a worker is drawn for.
pub fn jobs_of(s: &Snapshot, worker: &AccountId) -> Result<Vec<JobView>, StateError> {
    let prefix = state::worker_jobs_prefix(worker);
    let mut out = Vec::new();
    for (k, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
        if let Some(id) = id_tail(&k, prefix.len()) {
            out.extend(job(s, id)?);
        }
    }
    Ok(out)
}

/// Up to `limit` (at most [`MAX_SCAN`]) entries of a pool's uniqueness index from `from`.
pub fn index(
    s: &Snapshot,
    pool: PoolId,
    from: u64,
    limit: u64,
) -> Result<Vec<IndexEntry>, StateError> {
    let Some(p) = state::pool(s, pool)? else {
        return Ok(Vec::new());
    };
    let end = p
        .index_len
        .min(from.saturating_add(limit.min(MAX_SCAN as u64)));
    let mut out = Vec::new();
    for n in from..end {
        if let Some(m) = state::get::<Vec<u8>, _>(s, &state::index_key(pool, n))? {
            out.push(IndexEntry {
                n,
                metadata: format!("0x{}", hex_lower(&m)),
            });
        }
    }
    Ok(out)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stake and what it can claim.
pub fn stake(s: &Snapshot, pool: PoolId, staker: &AccountId) -> Result<StakeView, StateError> {
    let record = state::stake(s, pool, staker)?;
    let claimable = match state::pool(s, pool)? {
        Some(p) => {
            let mut settled = record.clone();
            match pools::settle(&p, &mut settled) {
                Ok(()) => settled.owed.min(p.staker_reserve),
                Err(_) => record.owed,
            }
        }
        None => 0,
    };
    Ok(StakeView { record, claimable })
}

/// The emission waiting for the split.
pub fn emission(s: &Snapshot, height: u64, epoch_blocks: u64) -> Result<EmissionView, StateError> {
    let pending = synod_bank::account(s, &emission_account())?.balance;
    let epoch = height / epoch_blocks.max(1);
    Ok(EmissionView {
        pending,
        epoch,
        epoch_ends_at: (epoch + 1) * epoch_blocks.max(1) - 1,
    })
}
