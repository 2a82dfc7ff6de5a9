//! # synod-data — data liquidity pools: user-owned files, proofs of contribution, pool rewards
//!
//! Owns the chain side of issue 11. Users encrypt files on their own machine
//! (`synod-data-crypto`) and keep the ciphertext where they choose; this module keeps only what
//! the chain must agree on:
//!
//! - **Data keys** ([`DataCall::RegisterKey`]): an account's X25519 public key, bound by the
//!   account's signature over the chain id and a rotation sequence, so no one registers a key
//!   for someone else and an old registration cannot be replayed.
//! - **The file registry** ([`DataCall::AddFile`], [`DataCall::GrantAccess`]): a file is {id,
//!   owner, url (unique), BLAKE3 of the ciphertext, size, optional schema, height}. It is
//!   registered by its owner, or by a relayer carrying the owner's signature
//!   ([`wire::add_file_message`]), never for an arbitrary address. Key envelopes (the file key
//!   sealed with HPKE to an account's registered data key) are added by the owner only, once per
//!   account, and must be sealed to that account's key. Proofs are appended, never changed.
//! - **Pools** ([`DataCall::CreatePool`]): a unique name, an owner, a reward token and a treasury
//!   (a keyless account the owner funds with it), and [`PoolParams`]: the scoring program by
//!   hash, reward per unit of score, workers per job `k`, minimum worker bond, job timeout, job
//!   fee, slashes, the stakers' share. Parameter changes wait for the tokens module's admin
//!   timelock ([`DataCall::QueuePoolUpdate`] → [`DataCall::ApplyPoolUpdate`]).
//! - **Proof of contribution by permissionless, staked workers** (see [`jobs`]): anyone with a
//!   data key bonds SYN into a pool's worker set. A contributor's [`DataCall::RequestProof`]
//!   escrows the job fee; at the end of the next block `k` workers are drawn by stake-weighted
//!   sampling without replacement, seeded by that block's parent hash (the request's own block,
//!   which the requester cannot know in advance), never the file's owner. The contributor seals
//!   the file key to exactly those workers. Each worker runs the pool's deterministic program
//!   and posts [`Scores`] and metadata ([`DataCall::SubmitScore`], signed by the worker's
//!   account). When every drawn worker has posted, or at the deadline, a score posted by more
//!   than half of `k` is accepted: the proof goes on the file, the metadata into the pool's
//!   uniqueness index, the owner gets `floor(reward_per_unit × score / 10^6)` pool tokens from
//!   the treasury (capped by what it holds) once per file and pool, the agreeing workers share
//!   the fee, and workers that posted anything else lose `slash_ppm` of their bond (burned) and
//!   leave the set. A drawn worker that misses the deadline although the key was sealed to it
//!   counts a miss (`max_misses` in a row cost `miss_slash_ppm` and its place); it is replaced
//!   by a fresh draw and the job continues, for at most [`DataGenesis::max_job_rounds`]
//!   deadlines. A job that cannot finish refunds its fee.
//! - **Pool staking and epoch rewards** ([`pools`]): anyone stakes SYN on a pool. The subnets
//!   module sets aside [`DataGenesis::emission_share_ppm`] of every block's emission in
//!   [`emission_account`]; at the end of each epoch it is split across pools by performance
//!   measured on chain (accepted contributions, distinct contributors, access fees, stake,
//!   with weights in genesis), and each pool's part goes to its stakers (`staker_share_ppm`,
//!   pro rata through a reward-per-stake accumulator) and its treasury. No one pushes numbers.
//!
//! It must not do I/O or read a clock, must not run scoring programs (workers do, off chain),
//! and never holds a key in the clear. SYN moves only through the bank, tokens only through the
//! tokens module's API. Execution reads single keys (lists it needs are stored as lists);
//! amounts are checked; block height is the only clock.
//!
//! ## Custody and reconciliation
//! The module account ([`module_account`]) holds every worker bond, every open job's fee,
//! every stake and every pool's `staker_reserve`, and nothing else: its SYN balance equals
//! their sum to the base unit (tests check it). A treasury holds its pool's reward tokens and
//! the SYN its pool earned; only its owner's `WithdrawTreasury` moves that SYN, and only
//! accepted proofs move its tokens.
//!
//! ## State (`data/` prefix, see [`state`])
//! | key | value |
//! |---|---|
//! | `data/key/<account>` | [`KeyRecord`] |
//! | `data/f/<file>`, `data/next_file` | [`FileRecord`], counter |
//! | `data/url/<blake3(url)>` | the file with that url |
//! | `data/owner/<owner><file>` | `()`: an owner's files (views) |
//! | `data/env/<file><account>`, `data/grants/<account><file>` | [`synod_data_crypto::KeyEnvelope`], `()` (views) |
//! | `data/proof/<file><i:4>` | [`ProofRecord`] |
//! | `data/pool/<pool>`, `data/next_pool`, `data/poolname/<name>`, `data/pools` | [`PoolRecord`], counter, id, every id |
//! | `data/workers/<pool>` | `Vec<`[`WorkerEntry`]`>`, ordered by account |
//! | `data/idx/<pool><n>` | the `n`th uniqueness index entry (accepted metadata) |
//! | `data/job/<job>`, `data/next_job` | [`JobRecord`], counter |
//! | `data/open/<pool><file>`, `data/rewarded/<pool><file>` | the open job; the rewarded job |
//! | `data/due/<height>` | jobs with a step at the end of that block |
//! | `data/wjobs/<worker><job>` | `()`: a worker's open jobs (views) |
//! | `data/stake/<pool><staker>` | [`StakeRecord`] |
//! | `data/lastc/<pool><account>` | the last epoch the account had a contribution accepted |

pub mod jobs;
pub mod pools;
pub mod query;
pub mod rpc;
pub mod state;
pub mod wire;

#[cfg(test)]
mod tests;

pub use state::{
    EpochStats, FileRecord, JobRecord, JobStatus, KeyRecord, PoolRecord, ProofRecord, StakeRecord,
    WorkerEntry,
};
pub use wire::{
    DataCall, DataEvent, DataFailure, FileId, JobFailureCause, JobId, PPM, PoolId, PoolParams,
    Scores, SlashCause, add_file_message,
};

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_bank::BankFailure;
use synod_module::{
    BlockCtx, CallError, CallResult, GenesisError, Module, ModuleFailure, RpcEnv, StateError,
};
use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_tokens::TokenFailure;

/// The module's name: its RPC namespace and state key prefix.
pub const NAME: &str = "data";

/// The account holding worker bonds, job fees, stakes and staker rewards.
pub fn module_account() -> AccountId {
    synod_module::module_account(NAME)
}

/// The account the subnets module pays the data pools' share of block emission into.
pub fn emission_account() -> AccountId {
    synod_module::derived_account(NAME, b"emission")
}

/// A pool's treasury.
pub fn treasury_account(pool: PoolId) -> AccountId {
    let mut purpose = b"treasury".to_vec();
    purpose.extend_from_slice(&pool.to_be_bytes());
    synod_module::derived_account(NAME, &purpose)
}

/// Why a data call failed: its own rule, or the bank's or tokens module's refusal of a move.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The bank refused a SYN move.
    #[error(transparent)]
    Bank(#[from] BankFailure),
    /// The tokens module refused a token move.
    #[error(transparent)]
    Tokens(#[from] TokenFailure),
    /// A data rule refused the call.
    #[error(transparent)]
    Data(#[from] DataFailure),
}

impl ModuleFailure for CallFailure {}

impl From<DataFailure> for CallError<CallFailure> {
    fn from(f: DataFailure) -> Self {
        CallError::Failed(CallFailure::Data(f))
    }
}

/// The data module's result.
pub type DataResult<T> = Result<T, CallError<CallFailure>>;

pub(crate) fn fail<T>(f: DataFailure) -> DataResult<T> {
    Err(CallError::Failed(CallFailure::Data(f)))
}

/// How an epoch's emission is split across pools: each measure's weight (ppm, summing to
/// [`PPM`]). A pool's part is `Σ_m weight_m × x_m(pool) / Σ_pools x_m`, over the measures some
/// pool has a non-zero value of (the others' weights are dropped and the rest renormalised).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PerformanceWeights {
    /// Contributions accepted in the epoch.
    pub accepted_ppm: u32,
    /// Distinct contributors with an accepted contribution in the epoch.
    pub contributors_ppm: u32,
    /// Access fees paid in the epoch (0 until paid access exists).
    pub access_fees_ppm: u32,
    /// SYN staked on the pool at the epoch's end.
    pub stake_ppm: u32,
}

/// The data module's genesis section.
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
#[serde(default, deny_unknown_fields)]
pub struct DataGenesis {
    /// Part of each block's SYN emission that goes to data pools (ppm; 0: none).
    pub emission_share_ppm: u32,
    /// Blocks per data-pool epoch (the reward split runs at each epoch's last block).
    pub epoch_blocks: u64,
    /// How the split weighs each measure.
    pub weights: PerformanceWeights,
    /// Most workers in one pool's set.
    pub max_workers_per_pool: u32,
    /// Longest metadata a worker may post (bytes).
    pub max_metadata_bytes: u32,
    /// Deadlines a job may pass with scores missing before it fails.
    pub max_job_rounds: u8,
}

impl Default for DataGenesis {
    fn default() -> Self {
        DataGenesis {
            emission_share_ppm: 0,
            epoch_blocks: 7_200,
            weights: PerformanceWeights {
                accepted_ppm: 400_000,
                contributors_ppm: 300_000,
                access_fees_ppm: 100_000,
                stake_ppm: 200_000,
            },
            max_workers_per_pool: 256,
            max_metadata_bytes: 4_096,
            max_job_rounds: 3,
        }
    }
}

impl DataGenesis {
    /// The devnet's: a tenth of emission to data pools, 20-block epochs.
    pub fn dev() -> Self {
        DataGenesis {
            emission_share_ppm: 100_000,
            epoch_blocks: 20,
            ..DataGenesis::default()
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let err = |field: &str, reason: String| GenesisError {
            module: NAME,
            reason: format!("{field}: {reason}"),
        };
        if self.emission_share_ppm > PPM {
            return Err(err("emission_share_ppm", format!("must be at most {PPM}")));
        }
        if self.epoch_blocks == 0 {
            return Err(err("epoch_blocks", "must be positive".into()));
        }
        let w = self.weights;
        let sum = u64::from(w.accepted_ppm)
            + u64::from(w.contributors_ppm)
            + u64::from(w.access_fees_ppm)
            + u64::from(w.stake_ppm);
        if sum != u64::from(PPM) {
            return Err(err("weights", format!("must sum to {PPM}, sum to {sum}")));
        }
        if self.max_workers_per_pool == 0 || self.max_workers_per_pool > 4_096 {
            return Err(err("max_workers_per_pool", "must be 1 to 4096".into()));
        }
        if self.max_metadata_bytes == 0 || self.max_metadata_bytes > 65_536 {
            return Err(err("max_metadata_bytes", "must be 1 to 65536".into()));
        }
        if self.max_job_rounds == 0 {
            return Err(err("max_job_rounds", "must be positive".into()));
        }
        Ok(())
    }
}

/// The data module, built from its genesis section and the tokens module's admin timelock
/// (which pool parameter changes wait for).
#[derive(Clone, Debug)]
pub struct Data {
    genesis: DataGenesis,
    timelock_blocks: u64,
}

impl Data {
    /// The module.
    pub fn new(genesis: DataGenesis, timelock_blocks: u64) -> Self {
        Data {
            genesis,
            timelock_blocks,
        }
    }

    /// Its genesis section.
    pub fn genesis(&self) -> &DataGenesis {
        &self.genesis
    }
}

impl Module for Data {
    const NAME: &'static str = NAME;
    type Call = DataCall;
    type Event = DataEvent;
    type Failure = CallFailure;

    fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.genesis.validate()
    }

    fn call_weight(call: &DataCall) -> u64 {
        match call {
            // A signature check.
            DataCall::RegisterKey { .. } | DataCall::AddFile { .. } => 3,
            // Reads and rewrites the worker set; resolution may pay and slash several.
            DataCall::SubmitScore { metadata, .. } => 4 + (metadata.len() as u64) / 1_024,
            DataCall::CreatePool { .. }
            | DataCall::QueuePoolUpdate { .. }
            | DataCall::RequestProof { .. } => 2,
            _ => 1,
        }
    }

    fn call_spend(call: &DataCall) -> Balance {
        match call {
            DataCall::BondWorker { amount, .. } | DataCall::StakePool { amount, .. } => *amount,
            // The job fee is the pool's, read at execution: not known statically.
            _ => 0,
        }
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &DataCall,
    ) -> CallResult<DataEvent, CallFailure> {
        let g = &self.genesis;
        match call {
            DataCall::RegisterKey { registration } => register_key(s, ctx, registration),
            DataCall::AddFile {
                owner,
                url,
                content_hash,
                size,
                schema,
                owner_signature,
            } => add_file(
                s,
                ctx,
                sender,
                owner,
                url,
                content_hash,
                *size,
                schema,
                owner_signature.as_ref(),
            ),
            DataCall::GrantAccess {
                file,
                grantee,
                envelope,
            } => grant(s, sender, *file, grantee, envelope),
            DataCall::CreatePool {
                name,
                reward_token,
                params,
            } => pools::create(s, ctx.height, sender, name, *reward_token, params),
            DataCall::FundPool { pool, amount } => pools::fund(s, sender, *pool, *amount),
            DataCall::QueuePoolUpdate { pool, params } => {
                pools::queue_update(s, ctx.height, self.timelock_blocks, sender, *pool, params)
            }
            DataCall::ApplyPoolUpdate { pool } => pools::apply_update(s, ctx.height, *pool),
            DataCall::CancelPoolUpdate { pool } => pools::cancel_update(s, sender, *pool),
            DataCall::BondWorker { pool, amount } => jobs::bond(s, g, sender, *pool, *amount),
            DataCall::UnbondWorker { pool } => jobs::unbond(s, sender, *pool),
            DataCall::RequestProof { file, pool } => {
                jobs::request(s, ctx.height, sender, *file, *pool)
            }
            DataCall::SubmitScore {
                job,
                scores,
                metadata,
            } => jobs::submit(s, g, ctx.height, sender, *job, scores, metadata),
            DataCall::StakePool { pool, amount } => pools::stake(s, sender, *pool, *amount),
            DataCall::UnstakePool { pool, amount } => pools::unstake(s, sender, *pool, *amount),
            DataCall::ClaimStakeRewards { pool } => pools::claim(s, sender, *pool),
            DataCall::WithdrawTreasury { pool, amount } => {
                pools::withdraw_treasury(s, sender, *pool, *amount)
            }
        }
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<DataEvent>, StateError> {
        let mut events = jobs::end_block(s, ctx, &self.genesis)?;
        events.extend(pools::end_block(s, ctx.height, &self.genesis)?);
        Ok(events)
    }

    fn rpc(&self, env: &RpcEnv) -> jsonrpsee::Methods {
        use rpc::DataApiServer;
        rpc::DataRpc {
            store: env.store.clone(),
            params: rpc::DataParams {
                genesis: self.genesis.clone(),
                timelock_blocks: self.timelock_blocks,
            },
        }
        .into_rpc()
        .into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }
}

fn register_key<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    reg: &synod_data_crypto::DataKeyRegistration,
) -> CallResult<DataEvent, CallFailure> {
    reg.verify(ctx.chain_id).map_err(|e| {
        CallError::Failed(CallFailure::Data(DataFailure::InvalidKeyRegistration {
            detail: e.to_string(),
        }))
    })?;
    let expected = match state::data_key(s, &reg.account)? {
        Some(k) => k.sequence + 1,
        None => 0,
    };
    if reg.sequence != expected {
        return fail(DataFailure::WrongKeySequence {
            expected,
            got: reg.sequence,
        });
    }
    state::put(
        s,
        state::key_key(&reg.account),
        &KeyRecord {
            key: reg.data_key,
            sequence: reg.sequence,
            registered_at: ctx.height,
        },
    );
    Ok(vec![DataEvent::KeyRegistered {
        account: reg.account,
        key: reg.data_key,
        sequence: reg.sequence,
    }])
}

/// Checks a url: 1 to [`wire::MAX_URL_LEN`] bytes, a scheme a store understands, no control
/// characters.
pub fn check_url(url: &str) -> Result<(), DataFailure> {
    let bad = |detail: &str| DataFailure::InvalidField {
        field: "url".into(),
        detail: detail.into(),
    };
    if url.is_empty() || url.len() > wire::MAX_URL_LEN {
        return Err(bad(&format!("must be 1 to {} bytes", wire::MAX_URL_LEN)));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad("must be scheme://…"));
    };
    if !matches!(scheme, "file" | "s3" | "http" | "https") || rest.is_empty() {
        return Err(bad("scheme must be file, s3, http or https"));
    }
    Ok(())
}

pub(crate) fn check_schema(schema: &Option<String>) -> Result<(), DataFailure> {
    if let Some(sc) = schema
        && (sc.is_empty()
            || sc.len() > wire::MAX_SCHEMA_LEN
            || !sc.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(DataFailure::InvalidField {
            field: "schema".into(),
            detail: format!(
                "must be 1 to {} printable ASCII bytes",
                wire::MAX_SCHEMA_LEN
            ),
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn add_file<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    sender: &AccountId,
    owner: &AccountId,
    url: &str,
    content_hash: &Hash,
    size: u64,
    schema: &Option<String>,
    owner_signature: Option<&synod_primitives::Signature>,
) -> CallResult<DataEvent, CallFailure> {
    check_url(url)?;
    check_schema(schema)?;
    if sender != owner {
        let msg = add_file_message(ctx.chain_id, owner, url, content_hash, size, schema);
        let ok = owner_signature.is_some_and(|sig| owner.verify(&msg.0, sig).is_ok());
        if !ok {
            return fail(DataFailure::BadOwnerSignature);
        }
    }
    if let Some(file) = state::get::<FileId, _>(s, &state::url_key(url))? {
        return fail(DataFailure::DuplicateUrl { file });
    }
    let id = state::next_id(s, state::next_file_key())?;
    state::put(
        s,
        state::file_key(id),
        &FileRecord {
            owner: *owner,
            url: url.to_string(),
            content_hash: *content_hash,
            size,
            schema: schema.clone(),
            registered_at: ctx.height,
            proofs: 0,
        },
    );
    state::put(s, state::url_key(url), &id);
    state::put(s, state::owner_key(owner, id), &());
    Ok(vec![DataEvent::FileAdded {
        file: id,
        owner: *owner,
        url: url.to_string(),
        content_hash: *content_hash,
        size,
    }])
}

fn grant<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    file: FileId,
    grantee: &AccountId,
    envelope: &synod_data_crypto::KeyEnvelope,
) -> CallResult<DataEvent, CallFailure> {
    let Some(f) = state::file(s, file)? else {
        return fail(DataFailure::UnknownFile { file });
    };
    if f.owner != *sender {
        return fail(DataFailure::NotFileOwner { file });
    }
    if state::envelope(s, file, grantee)?.is_some() {
        return fail(DataFailure::AlreadyGranted {
            file,
            grantee: *grantee,
        });
    }
    let Some(key) = state::data_key(s, grantee)? else {
        return fail(DataFailure::NoDataKey { account: *grantee });
    };
    envelope.check(&key.key).map_err(|e| {
        CallError::Failed(CallFailure::Data(DataFailure::BadEnvelope {
            detail: e.to_string(),
        }))
    })?;
    state::put(s, state::envelope_key(file, grantee), envelope);
    state::put(s, state::grants_key(grantee, file), &());
    Ok(vec![DataEvent::AccessGranted {
        file,
        grantee: *grantee,
    }])
}
