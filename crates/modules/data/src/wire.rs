//! The data module's on-chain encodings: [`DataCall`], [`DataEvent`], [`DataFailure`] and the
//! values they carry. Variants are appended, never reordered (golden vectors in
//! `tests/golden.rs`). In JSON every `u128` is a decimal string.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_data_crypto::{DataKeyRegistration, DataPublicKey, KeyEnvelope};
use synod_primitives::{AccountId, Balance, Hash, Height, Signature};
use synod_tokens::TokenId;

pub use synod_data_crypto::FileId;

/// A data pool's id, sequential from 1.
pub type PoolId = u64;
/// A proof-of-contribution job's id, sequential from 1.
pub type JobId = u64;

/// Parts per million: every score part and every share is out of this.
pub const PPM: u32 = 1_000_000;
/// Longest file url, in bytes.
pub const MAX_URL_LEN: usize = 512;
/// Longest schema id (of a file or a pool), in bytes.
pub const MAX_SCHEMA_LEN: usize = 64;
/// Longest pool name, in bytes (`a-z`, `0-9`, `-`, starting with a letter).
pub const MAX_POOL_NAME_LEN: usize = 32;
/// Longest pool description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 1024;
/// Most workers a job may ask for.
pub const MAX_WORKERS_PER_JOB: u8 = 15;

/// What a scoring program reports for one file, each part in parts per million.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    /// Is the data what it claims to be.
    pub authenticity: u32,
    /// Does it belong to its contributor.
    pub ownership: u32,
    /// How good it is.
    pub quality: u32,
    /// How different it is from what the pool already accepted.
    pub uniqueness: u32,
    /// The score the reward is paid on.
    pub score: u32,
}

impl Scores {
    /// The first part above [`PPM`], if any.
    pub fn out_of_range(&self) -> Option<(&'static str, u32)> {
        [
            ("authenticity", self.authenticity),
            ("ownership", self.ownership),
            ("quality", self.quality),
            ("uniqueness", self.uniqueness),
            ("score", self.score),
        ]
        .into_iter()
        .find(|(_, v)| *v > PPM)
    }
}

/// A pool's parameters that its owner may change, through the timelock.
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
#[serde(deny_unknown_fields)]
pub struct PoolParams {
    /// What the pool collects, for people (at most [`MAX_DESCRIPTION_LEN`] bytes).
    pub description: String,
    /// The schema id files must declare, if any (at most [`MAX_SCHEMA_LEN`] bytes).
    pub schema: Option<String>,
    /// The scoring program: the hash of its WebAssembly bytes
    /// (`tagged("synod/data/scoring-program/v1", wasm)`).
    pub program_hash: Hash,
    /// Where workers fetch the program (any store url; they check its hash).
    pub program_url: String,
    /// Pool tokens paid for a score of [`PPM`]: a file scoring `s` earns
    /// `floor(reward_per_unit × s / PPM)`.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub reward_per_unit: u128,
    /// Workers per job, 1 to [`MAX_WORKERS_PER_JOB`]; a score is accepted when more than half
    /// of them posted it.
    pub workers_per_job: u8,
    /// The least SYN bond a worker needs to be drawn.
    pub min_worker_bond: Balance,
    /// Blocks a drawn worker has to post its score.
    pub job_timeout: u64,
    /// SYN the contributor pays per job, shared by the workers whose score was accepted.
    pub job_fee: Balance,
    /// Part of its bond a worker loses for posting a score the majority did not (ppm).
    pub slash_ppm: u32,
    /// Part of its bond a worker loses when it has missed `max_misses` jobs in a row (ppm).
    pub miss_slash_ppm: u32,
    /// Consecutive missed jobs that cost the miss slash and a place in the set (at least 1).
    pub max_misses: u32,
    /// Part of the pool's epoch emission paid to its stakers; the rest goes to its treasury
    /// (ppm).
    pub staker_share_ppm: u32,
}

/// A data module transaction.
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
#[serde(tag = "call", rename_all = "snake_case", deny_unknown_fields)]
pub enum DataCall {
    /// Registers (or rotates) the data key of `registration.account`, which signed it. Anyone
    /// may carry it; its sequence must be the account's next.
    RegisterKey {
        /// The signed registration.
        registration: DataKeyRegistration,
    },
    /// Registers an encrypted file. The sender is `owner`, or a relayer carrying the owner's
    /// signature over [`add_file_message`].
    AddFile {
        /// The file's owner.
        owner: AccountId,
        /// Where the ciphertext is (unique on chain).
        url: String,
        /// BLAKE3 of the ciphertext.
        content_hash: Hash,
        /// Ciphertext size in bytes.
        size: u64,
        /// Its schema id, if it declares one.
        schema: Option<String>,
        /// The owner's signature, when a relayer sends it.
        owner_signature: Option<Signature>,
    },
    /// Seals the file key to `grantee`'s registered data key (owner only; once per account).
    GrantAccess {
        /// The file.
        file: FileId,
        /// Who may decrypt.
        grantee: AccountId,
        /// The file key sealed to the grantee's data key.
        envelope: KeyEnvelope,
    },
    /// Creates a data pool owned by the sender.
    CreatePool {
        /// Unique name: `a-z`, `0-9`, `-`, starting with a letter, at most
        /// [`MAX_POOL_NAME_LEN`] bytes.
        name: String,
        /// The token rewards are paid in (from the treasury).
        reward_token: TokenId,
        /// Its parameters.
        params: PoolParams,
    },
    /// Moves reward tokens from the sender into a pool's treasury.
    FundPool {
        /// The pool.
        pool: PoolId,
        /// Token base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
    },
    /// Queues new parameters (owner only); they apply after the tokens module's timelock.
    QueuePoolUpdate {
        /// The pool.
        pool: PoolId,
        /// The parameters to apply.
        params: PoolParams,
    },
    /// Applies a queued update whose timelock has passed (anyone).
    ApplyPoolUpdate {
        /// The pool.
        pool: PoolId,
    },
    /// Drops a queued update (owner only).
    CancelPoolUpdate {
        /// The pool.
        pool: PoolId,
    },
    /// Bonds SYN into a pool's worker set (or adds to the sender's bond). The sender needs a
    /// registered data key: files are sealed to it.
    BondWorker {
        /// The pool.
        pool: PoolId,
        /// SYN base units.
        amount: Balance,
    },
    /// Leaves a pool's worker set and takes the bond back (refused while drawn for a job).
    UnbondWorker {
        /// The pool.
        pool: PoolId,
    },
    /// Asks a pool to score one of the sender's files; escrows the pool's job fee. Workers are
    /// drawn at the end of the next block.
    RequestProof {
        /// The file (the sender must own it).
        file: FileId,
        /// The pool.
        pool: PoolId,
    },
    /// A drawn worker's score for a job, with the program's metadata (the file's fingerprint
    /// for the pool's uniqueness index).
    SubmitScore {
        /// The job.
        job: JobId,
        /// The program's scores.
        scores: Scores,
        /// The program's metadata.
        #[serde(with = "synod_primitives::json::hex_bytes")]
        #[schemars(with = "String")]
        metadata: Vec<u8>,
    },
    /// Stakes SYN on a pool.
    StakePool {
        /// The pool.
        pool: PoolId,
        /// SYN base units.
        amount: Balance,
    },
    /// Withdraws stake (and pays out the stake's rewards).
    UnstakePool {
        /// The pool.
        pool: PoolId,
        /// SYN base units.
        amount: Balance,
    },
    /// Pays out the sender's staking rewards of a pool.
    ClaimStakeRewards {
        /// The pool.
        pool: PoolId,
    },
    /// Moves SYN the treasury earned from emission to its owner (owner only).
    WithdrawTreasury {
        /// The pool.
        pool: PoolId,
        /// SYN base units.
        amount: Balance,
    },
}

/// What a relayer's `AddFile` carries the owner's signature over:
/// `tagged("synod/data/add-file/v1", borsh(chain_id, owner, url, content_hash, size, schema))`.
/// The url is unique on chain, so a signature registers its file once.
pub fn add_file_message(
    chain_id: &str,
    owner: &AccountId,
    url: &str,
    content_hash: &Hash,
    size: u64,
    schema: &Option<String>,
) -> Hash {
    let body = synod_primitives::encode(&(
        chain_id.to_string(),
        owner,
        url.to_string(),
        content_hash,
        size,
        schema,
    ));
    Hash::tagged("synod/data/add-file/v1", &body)
}

/// Why a job ended without an accepted score.
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
#[serde(rename_all = "snake_case")]
pub enum JobFailureCause {
    /// Fewer eligible workers than the pool's `workers_per_job` when drawing.
    NotEnoughWorkers,
    /// Every drawn worker posted and no score had a majority.
    NoMajority,
    /// The contributor sealed the file key to none of the drawn workers before the deadline.
    KeysNotSealed,
    /// The job ran out of rounds (each deadline with missing scores is one).
    OutOfRounds,
}

/// Why a worker lost part of its bond.
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
#[serde(rename_all = "snake_case")]
pub enum SlashCause {
    /// It posted a score the majority did not.
    Outvoted,
    /// It missed `max_misses` jobs in a row.
    Missed,
}

/// What the data module reports.
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
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DataEvent {
    /// An account's data key was registered or rotated.
    KeyRegistered {
        /// The account.
        account: AccountId,
        /// Its data key.
        key: DataPublicKey,
        /// Its rotation sequence.
        sequence: u64,
    },
    /// A file was registered.
    FileAdded {
        /// Its id.
        file: FileId,
        /// Its owner.
        owner: AccountId,
        /// Where it is.
        url: String,
        /// BLAKE3 of the ciphertext.
        content_hash: Hash,
        /// Ciphertext size.
        size: u64,
    },
    /// A file key was sealed to an account.
    AccessGranted {
        /// The file.
        file: FileId,
        /// The account.
        grantee: AccountId,
    },
    /// A pool was created.
    PoolCreated {
        /// Its id.
        pool: PoolId,
        /// Its name.
        name: String,
        /// Its owner.
        owner: AccountId,
        /// Its treasury (a keyless account).
        treasury: AccountId,
    },
    /// Reward tokens went into a treasury.
    PoolFunded {
        /// The pool.
        pool: PoolId,
        /// Who paid.
        from: AccountId,
        /// Token base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: u128,
    },
    /// New parameters were queued.
    PoolUpdateQueued {
        /// The pool.
        pool: PoolId,
        /// First height they may apply at.
        ready_at: Height,
    },
    /// Queued parameters took effect.
    PoolUpdated {
        /// The pool.
        pool: PoolId,
    },
    /// A queued update was dropped.
    PoolUpdateCancelled {
        /// The pool.
        pool: PoolId,
    },
    /// A worker bonded (or added to its bond).
    WorkerBonded {
        /// The pool.
        pool: PoolId,
        /// The worker.
        worker: AccountId,
        /// Its bond now.
        bond: Balance,
    },
    /// A worker left a set with its bond.
    WorkerUnbonded {
        /// The pool.
        pool: PoolId,
        /// The worker.
        worker: AccountId,
        /// SYN returned.
        returned: Balance,
    },
    /// A contribution asked for a proof.
    ProofRequested {
        /// The job.
        job: JobId,
        /// The file.
        file: FileId,
        /// The pool.
        pool: PoolId,
        /// The height whose end draws the workers.
        draw_at: Height,
    },
    /// Workers were drawn (or replacements added) for a job.
    JobAssigned {
        /// The job.
        job: JobId,
        /// Every worker drawn for this round, in draw order.
        workers: Vec<AccountId>,
        /// Last height at which they may post.
        deadline: Height,
        /// Entries of the pool's uniqueness index the job scores against.
        index_len: u64,
    },
    /// A drawn worker posted its score.
    ScorePosted {
        /// The job.
        job: JobId,
        /// The worker.
        worker: AccountId,
    },
    /// A score won a majority: the proof is on the file and the reward paid.
    ProofAccepted {
        /// The job.
        job: JobId,
        /// The file.
        file: FileId,
        /// The pool.
        pool: PoolId,
        /// The accepted scores.
        scores: Scores,
        /// Pool tokens paid to the file's owner.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        reward: u128,
        /// Index of the proof among the file's proofs.
        proof_index: u32,
    },
    /// A worker lost part of its bond and left the set (the rest was returned).
    WorkerSlashed {
        /// The pool.
        pool: PoolId,
        /// The worker.
        worker: AccountId,
        /// SYN burned.
        slashed: Balance,
        /// SYN returned.
        returned: Balance,
        /// Why.
        cause: SlashCause,
    },
    /// A drawn worker missed a deadline.
    WorkerMissed {
        /// The job.
        job: JobId,
        /// The worker.
        worker: AccountId,
        /// Its consecutive misses now.
        misses: u32,
    },
    /// A job ended without an accepted score; its fee went back.
    JobFailed {
        /// The job.
        job: JobId,
        /// Why.
        cause: JobFailureCause,
        /// SYN refunded.
        refunded: Balance,
    },
    /// SYN staked on a pool.
    PoolStaked {
        /// The pool.
        pool: PoolId,
        /// The staker.
        staker: AccountId,
        /// SYN added.
        amount: Balance,
    },
    /// SYN unstaked from a pool.
    PoolUnstaked {
        /// The pool.
        pool: PoolId,
        /// The staker.
        staker: AccountId,
        /// SYN returned.
        amount: Balance,
    },
    /// Staking rewards paid out.
    StakeRewardsPaid {
        /// The pool.
        pool: PoolId,
        /// The staker.
        staker: AccountId,
        /// SYN paid.
        amount: Balance,
    },
    /// An epoch's data-pool emission was split across pools.
    EpochRewards {
        /// The epoch that ended.
        epoch: u64,
        /// SYN distributed.
        total: Balance,
        /// Each pool's part, pools with nothing left out.
        pools: Vec<(PoolId, Balance)>,
    },
    /// SYN left a treasury to its owner.
    TreasuryWithdrawn {
        /// The pool.
        pool: PoolId,
        /// SYN paid.
        amount: Balance,
    },
}

/// Why a data call failed. Nothing it attempted is kept.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataFailure {
    /// The data key registration does not verify.
    #[error("invalid data key registration: {detail}")]
    InvalidKeyRegistration {
        /// What is wrong.
        detail: String,
    },
    /// The registration's sequence is not the account's next one.
    #[error("data key sequence must be {expected}, got {got}")]
    WrongKeySequence {
        /// The next sequence.
        expected: u64,
        /// What the registration carries.
        got: u64,
    },
    /// The account has no data key.
    #[error("account {account} has no registered data key")]
    NoDataKey {
        /// The account.
        account: AccountId,
    },
    /// A url, schema, name or description breaks its rule.
    #[error("invalid {field}: {detail}")]
    InvalidField {
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// Another file has this url.
    #[error("url already registered as file {file}")]
    DuplicateUrl {
        /// The file registered with it.
        file: FileId,
    },
    /// A relayer sent a file without (or with a bad) owner signature.
    #[error("a file registered for another account needs that account's signature")]
    BadOwnerSignature,
    /// No such file.
    #[error("file {file} does not exist")]
    UnknownFile {
        /// The file.
        file: FileId,
    },
    /// Only the file's owner may do this.
    #[error("only the owner of file {file} may do this")]
    NotFileOwner {
        /// The file.
        file: FileId,
    },
    /// The account already holds an envelope for this file (they are write-once).
    #[error("account {grantee} already has a key envelope for file {file}")]
    AlreadyGranted {
        /// The file.
        file: FileId,
        /// The account.
        grantee: AccountId,
    },
    /// The envelope is not sealed to the grantee's registered data key, or is malformed.
    #[error("bad key envelope: {detail}")]
    BadEnvelope {
        /// What is wrong.
        detail: String,
    },
    /// Another pool has this name.
    #[error("pool name {name} is taken")]
    PoolNameTaken {
        /// The name.
        name: String,
    },
    /// No such pool.
    #[error("pool {pool} does not exist")]
    UnknownPool {
        /// The pool.
        pool: PoolId,
    },
    /// Only the pool's owner may do this.
    #[error("only the owner of pool {pool} may do this")]
    NotPoolOwner {
        /// The pool.
        pool: PoolId,
    },
    /// A pool parameter is out of range.
    #[error("invalid pool parameter {field}: {detail}")]
    InvalidParam {
        /// The parameter.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// The pool's reward token does not exist.
    #[error("token {token} does not exist")]
    UnknownToken {
        /// The token.
        token: TokenId,
    },
    /// The pool has no queued update.
    #[error("pool {pool} has no queued update")]
    NoPendingUpdate {
        /// The pool.
        pool: PoolId,
    },
    /// The pool already has a queued update.
    #[error("pool {pool} already has a queued update")]
    UpdatePending {
        /// The pool.
        pool: PoolId,
    },
    /// The timelock has not passed.
    #[error("the update applies from height {ready_at}")]
    TimelockActive {
        /// First height it may apply at.
        ready_at: Height,
    },
    /// Amounts must be positive.
    #[error("amount must be positive")]
    ZeroAmount,
    /// The pool's worker set is full.
    #[error("pool {pool} has the most workers allowed ({max})")]
    WorkerSetFull {
        /// The pool.
        pool: PoolId,
        /// The limit.
        max: u32,
    },
    /// The bond would stay below the pool's minimum.
    #[error("bond {bond} is below the pool's minimum {minimum}")]
    BondTooSmall {
        /// The bond it would have.
        bond: Balance,
        /// The minimum.
        minimum: Balance,
    },
    /// The sender is not in the pool's worker set.
    #[error("not a worker of pool {pool}")]
    NotAWorker {
        /// The pool.
        pool: PoolId,
    },
    /// The worker is drawn for open jobs and cannot leave yet.
    #[error("drawn for {open} open jobs; unbond after they end")]
    WorkerBusy {
        /// Open jobs.
        open: u32,
    },
    /// The file already earned this pool's reward.
    #[error("file {file} was already rewarded by pool {pool}")]
    AlreadyRewarded {
        /// The file.
        file: FileId,
        /// The pool.
        pool: PoolId,
    },
    /// A job for this file and pool is open.
    #[error("job {job} for this file is still open")]
    JobOpen {
        /// The job.
        job: JobId,
    },
    /// The file's schema is not the pool's.
    #[error("the file's schema {file_schema:?} is not the pool's {pool_schema:?}")]
    SchemaMismatch {
        /// The file's.
        file_schema: Option<String>,
        /// The pool's.
        pool_schema: Option<String>,
    },
    /// Not enough eligible workers for a job now.
    #[error("pool {pool} has {eligible} eligible workers, a job needs {needed}")]
    NotEnoughWorkers {
        /// The pool.
        pool: PoolId,
        /// Eligible now.
        eligible: u32,
        /// Needed.
        needed: u8,
    },
    /// No such job.
    #[error("job {job} does not exist")]
    UnknownJob {
        /// The job.
        job: JobId,
    },
    /// The job is not taking scores (not drawn yet, or ended).
    #[error("job {job} is not taking scores")]
    JobNotOpen {
        /// The job.
        job: JobId,
    },
    /// The sender is not drawn for the job.
    #[error("not drawn for job {job}")]
    NotAssigned {
        /// The job.
        job: JobId,
    },
    /// The sender already posted for the job.
    #[error("already posted a score for job {job}")]
    AlreadyPosted {
        /// The job.
        job: JobId,
    },
    /// A score part is above [`PPM`].
    #[error("{field} is {value}, above {PPM}")]
    ScoreOutOfRange {
        /// The part.
        field: String,
        /// Its value.
        value: u32,
    },
    /// The metadata is longer than the module allows.
    #[error("metadata of {len} bytes is above the limit of {max}")]
    MetadataTooLarge {
        /// Its length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// Stake, bond or treasury is smaller than asked.
    #[error("only {available} available")]
    Insufficient {
        /// What there is.
        available: u128,
    },
    /// An amount would overflow.
    #[error("amount overflow")]
    Overflow,
}

impl synod_module::ModuleFailure for DataFailure {}
