//! Wire types of the subnet economy (Bittensor's model): the calls, their typed failures and
//! their events, plus the weight-commit hash that clients and the chain must agree on.
//!
//! Conventions: `netuid` 0 is the root network (TAO-only stake, no pool, no neurons); amounts of
//! SYN ("TAO") and of a subnet's alpha are both counted in base units with 9 decimals; prices
//! (`limit_price`) are SYN base units per one whole alpha (10^9 alpha base units), so a price of
//! 1.0 is `1_000_000_000`. Every call that acts for a hotkey names it explicitly; the sender must
//! be that hotkey or the coldkey that owns it (bound with `BindHotkey`), except
//! staking, which is always signed by the coldkey that owns the stake.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::codec::encode;
use synod_primitives::{AccountId, Balance, Hash};

/// A subnet id. 0 is the root network.
pub type NetUid = u16;
/// A neuron's slot within a subnet.
pub type Uid = u16;

/// The root network's id.
pub const ROOT_NETUID: NetUid = 0;
/// Longest accepted weight vector (equals the hard ceiling on UIDs per subnet).
pub const MAX_WEIGHTS_LEN: usize = 4096;
/// Longest accepted commit-reveal salt, in bytes.
pub const MAX_SALT_LEN: usize = 64;

/// One owner-settable subnet hyperparameter and its new value. Bounds are checked by the chain
/// (see [`crate::params::SubnetHyperparams::apply`]).
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
#[serde(tag = "name", content = "value", rename_all = "snake_case")]
pub enum Hyperparameter {
    /// Blocks between epochs.
    Tempo(u16),
    /// Most UIDs on the subnet.
    MaxAllowedUids(u16),
    /// Validator permits handed out per epoch (top-k by stake).
    MaxAllowedValidators(u16),
    /// Blocks after registration during which a neuron cannot be pruned.
    ImmunityPeriod(u64),
    /// Fewest weights a validator must set (capped by the number of UIDs).
    MinAllowedWeights(u16),
    /// Largest normalised weight one UID may receive from a validator, as a u16 proportion.
    MaxWeightsLimit(u16),
    /// Blocks between two weight settings (or commits) of the same hotkey.
    WeightsRateLimit(u64),
    /// Minimum client version key for weights (0 = no check).
    WeightsVersionKey(u64),
    /// Consensus majority as a u16 proportion.
    Kappa(u16),
    /// Bond EMA memory in millionths (EMA rate = 1 − value/1e6).
    BondsMovingAverage(u64),
    /// β: how much bonds follow consensus-clipped weights, as a u16 proportion.
    BondsPenalty(u16),
    /// Per-pair Yuma3 bonds.
    Yuma3Enabled(bool),
    /// Liquid alpha (Yuma3 only).
    LiquidAlphaEnabled(bool),
    /// Liquid-alpha bounds (u16 proportions).
    AlphaValues {
        /// Lower EMA rate.
        low: u16,
        /// Upper EMA rate.
        high: u16,
    },
    /// Liquid-alpha sigmoid steepness ×100.
    AlphaSigmoidSteepness(i16),
    /// Commit-reveal weights.
    CommitRevealEnabled(bool),
    /// Epochs between a commit and the epoch in which it must be revealed.
    RevealPeriodEpochs(u64),
    /// Blocks without a weight update after which a validator counts as inactive.
    ActivityCutoff(u64),
    /// Lower bound of the registration burn.
    MinBurn(Balance),
    /// Upper bound of the registration burn.
    MaxBurn(Balance),
    /// Whether neurons may register.
    RegistrationAllowed(bool),
    /// Blocks between two axon updates of the same hotkey.
    ServingRateLimit(u64),
    /// Fewest non-immune UIDs kept when pruning.
    MinNonImmuneUids(u16),
}

/// A neuron's advertised endpoint.
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
pub struct AxonInfo {
    /// IPv4 (in the low 32 bits) or IPv6 address (a decimal string in JSON).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub ip: u128,
    /// 4 or 6.
    pub ip_type: u8,
    /// TCP port (non-zero).
    pub port: u16,
    /// Application protocol number (free-form).
    pub protocol: u8,
    /// Software version (free-form).
    pub version: u32,
    /// Block at which it was served.
    pub block: u64,
}

/// Calls of the subnet module, carried by the chain's `Call::Subnets`. Appended only. In JSON the
/// variant is named by a `call` field (the outer `Call` uses `type`).
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
#[serde(tag = "call", rename_all = "snake_case")]
pub enum SubnetCall {
    /// Create a subnet owned by the sender (coldkey) with `hotkey` (bound to the sender) as the
    /// owner hotkey, locking the current network lock cost. Refused if the cost exceeds
    /// `max_lock_cost`.
    RegisterNetwork {
        /// Owner hotkey (registered as UID 0).
        hotkey: AccountId,
        /// Most the sender accepts to lock.
        max_lock_cost: Balance,
    },
    /// Start emissions on a subnet (owner only).
    StartCall {
        /// The subnet.
        netuid: NetUid,
    },
    /// Set a hyperparameter (owner only).
    SetHyperparameter {
        /// The subnet.
        netuid: NetUid,
        /// Parameter and value.
        param: Hyperparameter,
    },
    /// Register `hotkey` (bound to the sender) on a subnet by burning the current burn price.
    /// Refused if the price exceeds `max_burn`.
    BurnedRegister {
        /// The subnet.
        netuid: NetUid,
        /// The neuron's hotkey.
        hotkey: AccountId,
        /// Most the sender accepts to burn.
        max_burn: Balance,
    },
    /// Publish the hotkey's axon endpoint on a subnet.
    ServeAxon {
        /// The subnet.
        netuid: NetUid,
        /// The neuron.
        hotkey: AccountId,
        /// Address (IPv4 in the low 32 bits; a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        ip: u128,
        /// 4 or 6.
        ip_type: u8,
        /// Port.
        port: u16,
        /// Protocol.
        protocol: u8,
        /// Version.
        version: u32,
    },
    /// Set the hotkey's weights directly (commit-reveal off).
    SetWeights {
        /// The subnet.
        netuid: NetUid,
        /// The validator.
        hotkey: AccountId,
        /// Target UIDs.
        uids: Vec<Uid>,
        /// Weights (any scale; stored max-upscaled to u16).
        values: Vec<u16>,
        /// Client version key.
        version_key: u64,
    },
    /// Commit to weights: `commit_hash` is [`weights_commit_hash`].
    CommitWeights {
        /// The subnet.
        netuid: NetUid,
        /// The validator.
        hotkey: AccountId,
        /// Hash of the weights to reveal later.
        commit_hash: Hash,
    },
    /// Reveal committed weights; accepted only in the commit's reveal epoch.
    RevealWeights {
        /// The subnet.
        netuid: NetUid,
        /// The validator.
        hotkey: AccountId,
        /// Target UIDs.
        uids: Vec<Uid>,
        /// Weights.
        values: Vec<u16>,
        /// The salt used in the commit.
        salt: Vec<u8>,
        /// Client version key.
        version_key: u64,
    },
    /// Stake `amount` SYN from the sender onto `hotkey` on `netuid` (swapped into alpha through
    /// the subnet's pool; 1:1 on root). With `limit_price`, the price after the trade may not
    /// exceed it: the order is refused, or filled partially when `allow_partial`.
    AddStake {
        /// Validator hotkey.
        hotkey: AccountId,
        /// Subnet (0 = root).
        netuid: NetUid,
        /// SYN to stake.
        amount: Balance,
        /// Highest acceptable price after the trade (SYN base units per alpha).
        limit_price: Option<u64>,
        /// Fill as much as the limit allows instead of refusing.
        allow_partial: bool,
    },
    /// Unstake `amount` alpha of the sender's stake on `hotkey` on `netuid`, swapped back to SYN.
    /// With `limit_price`, the price after the trade may not fall below it.
    RemoveStake {
        /// Validator hotkey.
        hotkey: AccountId,
        /// Subnet (0 = root).
        netuid: NetUid,
        /// Alpha to unstake.
        amount: Balance,
        /// Lowest acceptable price after the trade.
        limit_price: Option<u64>,
        /// Fill as much as the limit allows instead of refusing.
        allow_partial: bool,
    },
    /// Move the sender's stake from one hotkey/subnet to another hotkey/subnet.
    MoveStake {
        /// Source hotkey.
        origin_hotkey: AccountId,
        /// Destination hotkey.
        destination_hotkey: AccountId,
        /// Source subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha (of the source subnet) to move.
        amount: Balance,
    },
    /// Give stake to another coldkey (same hotkey), possibly converting it to another subnet.
    TransferStake {
        /// Recipient coldkey.
        destination_coldkey: AccountId,
        /// Hotkey the stake is on.
        hotkey: AccountId,
        /// Source subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha (of the source subnet) to transfer.
        amount: Balance,
    },
    /// Convert stake on one subnet into stake on another (same hotkey, same coldkey). With
    /// `limit_price`, the ratio origin price / destination price after the trade may not fall
    /// below it (both in SYN base units per alpha; ratio scaled by 10^9).
    SwapStake {
        /// Hotkey.
        hotkey: AccountId,
        /// Source subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha to swap.
        amount: Balance,
        /// Lowest acceptable price ratio after the trade.
        limit_price: Option<u64>,
        /// Fill as much as the limit allows instead of refusing.
        allow_partial: bool,
    },
    /// Set the delegate take of `hotkey` (sender must own it), as a u16 proportion.
    SetDelegateTake {
        /// The hotkey.
        hotkey: AccountId,
        /// New take.
        take: u16,
    },
    /// Set (or clear, with `None`) a subnet's public identity; the owner coldkey only.
    SetSubnetIdentity {
        /// The subnet.
        netuid: NetUid,
        /// Name, URL, description.
        identity: Option<crate::identity::Identity>,
    },
    /// Set (or clear) a hotkey's public identity (a validator's name in lists); its owner
    /// coldkey only.
    SetHotkeyIdentity {
        /// The hotkey.
        hotkey: AccountId,
        /// Name, URL, description.
        identity: Option<crate::identity::Identity>,
    },
    /// Replace the sender's hotkey `old_hotkey` by `new_hotkey` everywhere, keeping every
    /// registration (UIDs, weights, bonds, axons), subnet ownership, stake with every
    /// nominator's shares, take and identity (refused while it has unrevealed weight
    /// commits: their hashes bind the old hotkey). `proof` is the new hotkey's
    /// signature of the binding message (`synod_bank::hotkey_binding_message`), as for
    /// `BindHotkey`; the new hotkey must be unused.
    SwapHotkey {
        /// The hotkey given up.
        old_hotkey: AccountId,
        /// Its replacement.
        new_hotkey: AccountId,
        /// The new hotkey's proof of possession.
        proof: synod_primitives::Signature,
    },
}

impl SubnetCall {
    /// Execution weight (priced like every call's weight): a base per kind plus a per-entry part for
    /// vectors, so large weight vectors pay for what they cost to check and store.
    pub fn weight(&self) -> u64 {
        match self {
            SubnetCall::RegisterNetwork { .. } => 50_000,
            SubnetCall::StartCall { .. } => 5_000,
            SubnetCall::SetHyperparameter { .. } => 5_000,
            SubnetCall::BurnedRegister { .. } => 20_000,
            SubnetCall::ServeAxon { .. } => 3_000,
            SubnetCall::SetWeights { uids, .. } | SubnetCall::RevealWeights { uids, .. } => {
                10_000 + 20 * uids.len() as u64
            }
            SubnetCall::CommitWeights { .. } => 5_000,
            SubnetCall::AddStake { .. } | SubnetCall::RemoveStake { .. } => 10_000,
            SubnetCall::MoveStake { .. }
            | SubnetCall::TransferStake { .. }
            | SubnetCall::SwapStake { .. } => 15_000,
            SubnetCall::SetDelegateTake { .. } => 3_000,
            SubnetCall::SetSubnetIdentity { .. } | SubnetCall::SetHotkeyIdentity { .. } => 5_000,
            // Reads every subnet's staker index and moves each nominator's position.
            SubnetCall::SwapHotkey { .. } => 200_000,
        }
    }
}

/// The hash a validator commits to for commit-reveal weights: tagged BLAKE3 of
/// `borsh((hotkey, netuid, uids, values, salt, version_key))`.
pub fn weights_commit_hash(
    hotkey: &AccountId,
    netuid: NetUid,
    uids: &[Uid],
    values: &[u16],
    salt: &[u8],
    version_key: u64,
) -> Hash {
    let body = encode(&(
        *hotkey,
        netuid,
        uids.to_vec(),
        values.to_vec(),
        salt.to_vec(),
        version_key,
    ));
    Hash::tagged("synod/weights-commit/v1", &body)
}

/// Why a subnet call failed.
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
pub enum SubnetFailure {
    /// No such subnet.
    #[error("subnet {netuid} does not exist")]
    SubnetNotFound {
        /// The subnet.
        netuid: NetUid,
    },
    /// The root network does not support this call.
    #[error("not allowed on the root network")]
    RootNotAllowed,
    /// The hotkey is not bound to any coldkey.
    #[error("hotkey {hotkey} is not bound to a coldkey")]
    HotkeyNotBound {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// The sender may not act for this hotkey.
    #[error("sender does not own hotkey {hotkey}")]
    NotHotkeyOwner {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// Only the subnet owner may do this.
    #[error("only the subnet owner may do this")]
    NotSubnetOwner,
    /// The price is above what the sender accepts.
    #[error("cost {cost} exceeds the accepted maximum {max}")]
    CostAboveMaximum {
        /// Current cost.
        cost: Balance,
        /// Accepted maximum.
        max: Balance,
    },
    /// Too soon after the previous subnet creation.
    #[error("network registration rate limit: next allowed at block {next}")]
    NetworkRateLimited {
        /// First block at which it is allowed.
        next: u64,
    },
    /// The subnet limit is reached and no subnet can be dissolved.
    #[error("subnet limit reached and every subnet is immune")]
    SubnetLimitReached,
    /// Emissions were already started.
    #[error("subnet {netuid} is already started")]
    AlreadyStarted {
        /// The subnet.
        netuid: NetUid,
    },
    /// The subnet has not been started (no staking, no emission yet).
    #[error("subnet {netuid} has not been started by its owner")]
    NotStarted {
        /// The subnet.
        netuid: NetUid,
    },
    /// A hyperparameter value is out of bounds.
    #[error("invalid value for {param}: {detail}")]
    InvalidHyperparameter {
        /// Parameter name.
        param: String,
        /// Why.
        detail: String,
    },
    /// Registration is disabled on this subnet.
    #[error("registration is disabled on subnet {netuid}")]
    RegistrationDisabled {
        /// The subnet.
        netuid: NetUid,
    },
    /// The hotkey already holds a UID on the subnet.
    #[error("hotkey is already registered on subnet {netuid}")]
    AlreadyRegistered {
        /// The subnet.
        netuid: NetUid,
    },
    /// The subnet is full and every UID is protected.
    #[error("subnet is full and no UID can be pruned")]
    NoPrunableUid,
    /// The hotkey holds no UID on the subnet.
    #[error("hotkey is not registered on subnet {netuid}")]
    NotRegistered {
        /// The subnet.
        netuid: NetUid,
    },
    /// Too soon after the previous action of this kind.
    #[error("rate limited: next allowed at block {next}")]
    RateLimited {
        /// First block at which it is allowed.
        next: u64,
    },
    /// Axon fields are invalid.
    #[error("invalid axon: {detail}")]
    InvalidAxon {
        /// Why.
        detail: String,
    },
    /// Commit-reveal is on: use commit and reveal.
    #[error("commit-reveal is enabled on this subnet; commit and reveal weights instead")]
    CommitRevealEnabled,
    /// Commit-reveal is off: use set_weights.
    #[error("commit-reveal is disabled on this subnet; set weights directly")]
    CommitRevealDisabled,
    /// `uids` and `values` differ in length, or the vector is too long.
    #[error("weight vector lengths are invalid: {detail}")]
    WeightVecLength {
        /// Why.
        detail: String,
    },
    /// A UID appears twice.
    #[error("duplicate uid {uid} in weights")]
    DuplicateUid {
        /// The UID.
        uid: Uid,
    },
    /// A UID does not exist on the subnet.
    #[error("uid {uid} does not exist on the subnet")]
    UidNotFound {
        /// The UID.
        uid: Uid,
    },
    /// Fewer weights than the subnet's minimum.
    #[error("{got} weights set, the minimum is {min}")]
    TooFewWeights {
        /// Given.
        got: usize,
        /// Required.
        min: usize,
    },
    /// A weight exceeds the subnet's max weight limit.
    #[error("a normalised weight exceeds the max weight limit {limit}/65535")]
    MaxWeightExceeded {
        /// The limit.
        limit: u16,
    },
    /// The version key is older than the subnet requires.
    #[error("version key {got} is below the required {required}")]
    IncorrectVersionKey {
        /// Given.
        got: u64,
        /// Required.
        required: u64,
    },
    /// Setting weights on others requires a validator permit.
    #[error("no validator permit")]
    NoValidatorPermit,
    /// Too many unrevealed commits.
    #[error("too many unrevealed commits (at most {max})")]
    TooManyCommits {
        /// The limit.
        max: u32,
    },
    /// No commit matches the revealed data.
    #[error("no commit matches the revealed weights")]
    NoMatchingCommit,
    /// The matching commit's reveal epoch has not come yet.
    #[error("too early to reveal: reveal in epoch {reveal_epoch}, now {current_epoch}")]
    RevealTooEarly {
        /// Epoch in which it must be revealed.
        reveal_epoch: u64,
        /// Current epoch.
        current_epoch: u64,
    },
    /// The matching commit's reveal epoch has passed.
    #[error("commit expired: it had to be revealed in epoch {reveal_epoch}")]
    CommitExpired {
        /// Epoch in which it had to be revealed.
        reveal_epoch: u64,
    },
    /// The salt is too long.
    #[error("salt longer than 64 bytes")]
    SaltTooLong,
    /// Amount below the minimum per stake operation.
    #[error("amount {amount} is below the minimum stake {min}")]
    AmountTooLow {
        /// Given.
        amount: Balance,
        /// Minimum.
        min: Balance,
    },
    /// Not enough stake.
    #[error("not enough stake: wanted {wanted}, have {available}")]
    InsufficientStake {
        /// Requested.
        wanted: Balance,
        /// Held.
        available: Balance,
    },
    /// The trade would take a pool reserve below its minimum.
    #[error("insufficient pool liquidity for this trade")]
    InsufficientLiquidity,
    /// The price after the trade would cross the limit price.
    #[error("price after the trade would cross the limit price {limit_price}")]
    PriceLimitExceeded {
        /// The limit.
        limit_price: u64,
    },
    /// Origin and destination are the same.
    #[error("origin and destination are the same")]
    SameOriginAndDestination,
    /// Delegate take above the maximum.
    #[error("take {take} is above the maximum {max}")]
    TakeTooHigh {
        /// Given.
        take: u16,
        /// Maximum.
        max: u16,
    },
    /// An amount overflowed.
    #[error("arithmetic overflow")]
    Overflow,
    /// An identity breaks a limit.
    #[error("invalid identity: {detail}")]
    InvalidIdentity {
        /// What is wrong.
        detail: String,
    },
    /// The new hotkey of a swap is registered or staked somewhere already.
    #[error("hotkey {hotkey} is already in use")]
    HotkeyInUse {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// A hotkey with unrevealed weight commits cannot be swapped: a commit's hash binds the
    /// hotkey, so the new one could never reveal it.
    #[error(
        "hotkey has unrevealed weight commits on subnet {netuid}: reveal them (or let them \
         expire) before swapping"
    )]
    WeightCommitsOpen {
        /// The subnet.
        netuid: NetUid,
    },
}

/// Subnet events, carried by the chain's `Event::Subnet`. In JSON the variant is named by an
/// `event` field (the outer `Event` uses `type`).
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
pub enum SubnetEvent {
    /// A subnet was created.
    NetworkRegistered {
        /// Its id.
        netuid: NetUid,
        /// Owner coldkey.
        owner: AccountId,
        /// Owner hotkey.
        hotkey: AccountId,
        /// SYN locked.
        lock: Balance,
    },
    /// A subnet was dissolved to make room; its stakers were refunded.
    NetworkDissolved {
        /// Its id.
        netuid: NetUid,
        /// SYN returned to stakers and owner.
        refunded: Balance,
    },
    /// Emissions started.
    SubnetStarted {
        /// The subnet.
        netuid: NetUid,
    },
    /// A hyperparameter changed.
    HyperparameterSet {
        /// The subnet.
        netuid: NetUid,
        /// New value.
        param: Hyperparameter,
    },
    /// A neuron registered.
    NeuronRegistered {
        /// The subnet.
        netuid: NetUid,
        /// Its UID.
        uid: Uid,
        /// Its hotkey.
        hotkey: AccountId,
        /// SYN burned.
        burned: Balance,
        /// The hotkey it replaced, if the subnet was full.
        replaced: Option<AccountId>,
    },
    /// An axon was served.
    AxonServed {
        /// The subnet.
        netuid: NetUid,
        /// The neuron.
        hotkey: AccountId,
    },
    /// Weights were set (directly or by a reveal).
    WeightsSet {
        /// The subnet.
        netuid: NetUid,
        /// The validator's UID.
        uid: Uid,
    },
    /// Weights were committed.
    WeightsCommitted {
        /// The subnet.
        netuid: NetUid,
        /// The validator's UID.
        uid: Uid,
        /// The commit.
        commit_hash: Hash,
    },
    /// Stake was added.
    StakeAdded {
        /// Coldkey.
        coldkey: AccountId,
        /// Hotkey.
        hotkey: AccountId,
        /// Subnet.
        netuid: NetUid,
        /// SYN paid.
        tao: Balance,
        /// Alpha received.
        alpha: Balance,
    },
    /// Stake was removed.
    StakeRemoved {
        /// Coldkey.
        coldkey: AccountId,
        /// Hotkey.
        hotkey: AccountId,
        /// Subnet.
        netuid: NetUid,
        /// Alpha sold.
        alpha: Balance,
        /// SYN received.
        tao: Balance,
    },
    /// Stake moved between positions (move, transfer or swap).
    StakeMoved {
        /// Source coldkey.
        from_coldkey: AccountId,
        /// Source hotkey.
        from_hotkey: AccountId,
        /// Source subnet.
        from_netuid: NetUid,
        /// Destination coldkey.
        to_coldkey: AccountId,
        /// Destination hotkey.
        to_hotkey: AccountId,
        /// Destination subnet.
        to_netuid: NetUid,
        /// Alpha taken from the source.
        alpha_in: Balance,
        /// Alpha credited at the destination.
        alpha_out: Balance,
    },
    /// A delegate take changed.
    DelegateTakeSet {
        /// Hotkey.
        hotkey: AccountId,
        /// New take.
        take: u16,
    },
    /// A subnet's epoch ran at the end of block `block` and paid its pending emission. Not
    /// part of any transaction's receipt: RPC reports a block's epoch events under the zero
    /// transaction hash, after the transactions. Alpha adds up to the unit:
    /// `miner_alpha + validator_alpha + owner_alpha + burned_alpha` is everything that was
    /// pending for miners, validators and the owner.
    EpochRun {
        /// The subnet.
        netuid: NetUid,
        /// The block whose end step ran the epoch.
        block: u64,
        /// The subnet's epoch count after this one.
        epoch_index: u64,
        /// Alpha staked to miners (their Yuma server emission).
        miner_alpha: Balance,
        /// Alpha credited to validators and their nominators (take included).
        validator_alpha: Balance,
        /// The owner cut, staked to the owner hotkey.
        owner_alpha: Balance,
        /// Alpha burned: incentive landing on the owner hotkey, rounding dust, no recipient.
        burned_alpha: Balance,
        /// SYN paid to root stakers (auto-staked on root).
        root_tao: Balance,
        /// Root SYN left pending for the next epoch (no root-staked validator this time).
        carried_root_tao: Balance,
    },
    /// A subnet's identity was set (or cleared: `None`).
    SubnetIdentitySet {
        /// The subnet.
        netuid: NetUid,
        /// The new identity.
        identity: Option<crate::identity::Identity>,
    },
    /// A hotkey's identity was set (or cleared).
    HotkeyIdentitySet {
        /// The hotkey.
        hotkey: AccountId,
        /// The new identity.
        identity: Option<crate::identity::Identity>,
    },
    /// A hotkey was replaced by another.
    HotkeySwapped {
        /// The owner.
        coldkey: AccountId,
        /// The hotkey given up.
        old_hotkey: AccountId,
        /// Its replacement.
        new_hotkey: AccountId,
        /// Subnets (0 = root) where it held a UID, ownership, stake or commits.
        netuids: Vec<NetUid>,
    },
}

impl synod_module::ModuleFailure for SubnetFailure {}
