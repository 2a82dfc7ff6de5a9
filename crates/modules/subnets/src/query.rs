//! Read-only views for RPC and tooling: subnet list and details, hyperparameters, costs, the
//! metagraph, pools, stake positions and the root network. Prices are SYN base units per whole
//! alpha (`1_000_000_000` = 1.0).

use crate::identity::{Identity, hotkey_identity, subnet_identity};
use crate::params::{Params, SubnetHyperparams};
use crate::registration::{current_burn, globals, network_lock_cost, subnet_state};
use crate::staking::{hotkey_pool, share_value, shares, take_of};
use crate::state::{self, EpochResults, Neuron, SubnetInfo, SubnetState};
use crate::weights::WeightRow;
use crate::wire::{AxonInfo, NetUid, ROOT_NETUID, Uid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use synod_bank as bank;
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::typed::StateError;

/// A Q64.64 fraction as a price scaled by 10^9.
pub fn q64_to_price(bits: u128) -> u64 {
    crate::emission::mul_div(bits, 1_000_000_000, crate::emission::Q64_ONE)
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(u64::MAX)
}

/// A subnet's pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PoolView {
    /// The subnet (0 = root, which has no pool: price 1, reserves = total root stake).
    pub netuid: NetUid,
    /// SYN reserve.
    pub tao_reserve: Balance,
    /// Alpha reserve.
    pub alpha_reserve: Balance,
    /// Alpha outside the pool.
    pub alpha_outstanding: Balance,
    /// Alpha issuance (reserve + outstanding).
    pub alpha_issuance: Balance,
    /// Spot price.
    pub price: u64,
    /// Moving (EMA) price of min(spot, 1).
    pub moving_price: u64,
    /// Alpha burned so far.
    pub alpha_burned: Balance,
}

/// Emission accumulated since the last epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PendingView {
    /// Miners' alpha.
    pub server: Balance,
    /// Validators' alpha.
    pub validator: Balance,
    /// Owner cut.
    pub owner: Balance,
    /// Root stakers' SYN.
    pub root_tao: Balance,
}

/// Last block's emission into the subnet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlockEmissionView {
    /// SYN injected into the pool.
    pub tao_in: Balance,
    /// Alpha injected into the pool.
    pub alpha_in: Balance,
    /// Alpha emitted to participants.
    pub alpha_out: Balance,
}

/// One subnet's overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubnetView {
    /// Id.
    pub netuid: NetUid,
    /// Owner coldkey.
    pub owner_coldkey: AccountId,
    /// Owner hotkey.
    pub owner_hotkey: AccountId,
    /// Creation block.
    pub registered_at: u64,
    /// SYN locked at creation.
    pub lock: Balance,
    /// Emissions start block.
    pub start_block: Option<u64>,
    /// UIDs.
    pub n: u16,
    /// Most UIDs.
    pub max_allowed_uids: u16,
    /// Tempo.
    pub tempo: u16,
    /// Last epoch block.
    pub last_epoch_block: u64,
    /// Earliest block of the next epoch.
    pub next_epoch_block: u64,
    /// Epochs run.
    pub epoch_index: u64,
    /// Registration burn now.
    pub burn: Balance,
    /// Pool.
    pub pool: PoolView,
    /// Pending emission.
    pub pending: PendingView,
    /// Last block's emission.
    pub emission: BlockEmissionView,
    /// The owner's public identity (name, URL, description), if set.
    pub identity: Option<Identity>,
}

/// The metagraph of a subnet: every per-UID vector, indexed by UID, plus subnet-level state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Metagraph {
    /// The subnet.
    pub netuid: NetUid,
    /// Block read at.
    pub block: u64,
    /// Number of UIDs.
    pub n: u16,
    /// Subnet overview (pool reserves, price, EMA price, tempo, pending emission, ...).
    pub subnet: SubnetView,
    /// Blocks since the last epoch.
    pub blocks_since_last_step: u64,
    /// Block of the epoch whose outputs are shown.
    pub epoch_block: u64,
    /// Hyperparameters.
    pub hyperparams: SubnetHyperparams,
    /// UIDs (0..n).
    pub uids: Vec<Uid>,
    /// Hotkeys.
    pub hotkeys: Vec<AccountId>,
    /// Owning coldkeys.
    pub coldkeys: Vec<Option<AccountId>>,
    /// Alpha staked on each hotkey on this subnet.
    pub alpha_stake: Vec<Balance>,
    /// SYN staked on each hotkey on root.
    pub root_stake: Vec<Balance>,
    /// Stake weight used by Yuma: alpha + TaoWeight × root.
    pub total_stake: Vec<Balance>,
    /// Normalised stake S (u16).
    pub stake_weight: Vec<u16>,
    /// Active flags.
    pub active: Vec<bool>,
    /// Consensus C (u16).
    pub consensus: Vec<u16>,
    /// Incentive I (u16).
    pub incentive: Vec<u16>,
    /// Dividends D (u16).
    pub dividends: Vec<u16>,
    /// Validator trust Tv (u16).
    pub validator_trust: Vec<u16>,
    /// Alpha emitted to each UID in the last epoch.
    pub emission: Vec<Balance>,
    /// Validator permits.
    pub validator_permit: Vec<bool>,
    /// Block of each UID's last weight update.
    pub last_update: Vec<u64>,
    /// Block of each UID's registration.
    pub block_at_registration: Vec<u64>,
    /// Axons.
    pub axons: Vec<Option<AxonInfo>>,
    /// Weight rows W (u16, max-upscaled).
    pub weights: Vec<WeightRow>,
    /// Bond rows B (u16).
    pub bonds: Vec<WeightRow>,
    /// Each hotkey's public identity, if its owner set one.
    pub identities: Vec<Option<Identity>>,
}

/// One stake position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StakePositionView {
    /// Coldkey.
    pub coldkey: AccountId,
    /// Hotkey.
    pub hotkey: AccountId,
    /// Subnet (0 = root).
    pub netuid: NetUid,
    /// Alpha (SYN on root) the position is worth.
    pub alpha: Balance,
    /// Shares of the hotkey's pool.
    pub shares: u64,
    /// Value in SYN at the spot price (no slippage).
    pub tao_value: Balance,
}

/// One hotkey on the root network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RootValidatorView {
    /// Hotkey.
    pub hotkey: AccountId,
    /// Owner coldkey.
    pub owner: Option<AccountId>,
    /// SYN staked on it.
    pub stake: Balance,
    /// Number of stakers.
    pub stakers: usize,
    /// Delegate take (u16).
    pub take: u16,
    /// Its public identity, if set.
    pub identity: Option<Identity>,
}

/// The pool view of a netuid.
pub fn pool(s: &(impl StateRead + ?Sized), netuid: NetUid) -> Result<Option<PoolView>, StateError> {
    if netuid == ROOT_NETUID {
        let g = globals(s)?;
        return Ok(Some(PoolView {
            netuid,
            tao_reserve: g.root_stake,
            alpha_reserve: 0,
            alpha_outstanding: g.root_stake,
            alpha_issuance: g.root_stake,
            price: crate::pool::PRICE_SCALE,
            moving_price: crate::pool::PRICE_SCALE,
            alpha_burned: 0,
        }));
    }
    if state::get::<SubnetInfo>(s, &state::info_key(netuid))?.is_none() {
        return Ok(None);
    }
    Ok(Some(pool_view(netuid, &subnet_state(s, netuid)?)))
}

fn pool_view(netuid: NetUid, st: &SubnetState) -> PoolView {
    PoolView {
        netuid,
        tao_reserve: st.tao_reserve,
        alpha_reserve: st.alpha_reserve,
        alpha_outstanding: st.alpha_outstanding,
        alpha_issuance: st.alpha_issuance(),
        price: st.reserves().price(),
        moving_price: q64_to_price(st.moving_price),
        alpha_burned: st.alpha_burned,
    }
}

fn subnet_view(info: &SubnetInfo, st: &SubnetState, height: u64, params: &Params) -> SubnetView {
    SubnetView {
        netuid: info.netuid,
        owner_coldkey: info.owner_coldkey,
        owner_hotkey: info.owner_hotkey,
        registered_at: info.registered_at,
        lock: info.lock,
        start_block: info.start_block,
        n: st.n,
        max_allowed_uids: info.hyperparams.max_allowed_uids,
        tempo: info.hyperparams.tempo,
        last_epoch_block: st.last_epoch_block,
        next_epoch_block: st
            .last_epoch_block
            .saturating_add(u64::from(info.hyperparams.tempo)),
        epoch_index: st.epoch_index,
        burn: current_burn(st, &info.hyperparams, height, params),
        pool: pool_view(info.netuid, st),
        pending: PendingView {
            server: st.pending_server,
            validator: st.pending_validator,
            owner: st.pending_owner,
            root_tao: st.pending_root_tao,
        },
        emission: BlockEmissionView {
            tao_in: st.tao_in_emission,
            alpha_in: st.alpha_in_emission,
            alpha_out: st.alpha_out_emission,
        },
        identity: None,
    }
}

/// One subnet, as of `height`.
pub fn subnet(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    height: u64,
    params: &Params,
) -> Result<Option<SubnetView>, StateError> {
    let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
        return Ok(None);
    };
    let mut v = subnet_view(&info, &subnet_state(s, netuid)?, height, params);
    v.identity = subnet_identity(s, netuid)?;
    Ok(Some(v))
}

/// Every subnet, by netuid.
pub fn subnets(
    s: &(impl StateRead + ?Sized),
    height: u64,
    params: &Params,
) -> Result<Vec<SubnetView>, StateError> {
    let mut out = Vec::new();
    for netuid in globals(s)?.netuids {
        if let Some(v) = subnet(s, netuid, height, params)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// A subnet's hyperparameters.
pub fn hyperparams(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
) -> Result<Option<SubnetHyperparams>, StateError> {
    Ok(state::get::<SubnetInfo>(s, &state::info_key(netuid))?.map(|i| i.hyperparams))
}

/// The registration burn of a subnet at `height`.
pub fn burn_cost(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    height: u64,
    params: &Params,
) -> Result<Option<Balance>, StateError> {
    Ok(subnet(s, netuid, height, params)?.map(|v| v.burn))
}

/// The cost of creating a subnet at `height`.
pub fn lock_cost(
    s: &(impl StateRead + ?Sized),
    height: u64,
    params: &Params,
) -> Result<Balance, StateError> {
    network_lock_cost(s, height, params)
}

/// The metagraph of a subnet at `height`.
pub fn metagraph(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    height: u64,
    params: &Params,
) -> Result<Option<Metagraph>, StateError> {
    let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
        return Ok(None);
    };
    let st = subnet_state(s, netuid)?;
    let mut res: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    let n = usize::from(st.n);
    res.resize(n);
    let mut m = Metagraph {
        netuid,
        block: height,
        n: st.n,
        subnet: subnet_view(&info, &st, height, params),
        blocks_since_last_step: height.saturating_sub(st.last_epoch_block),
        epoch_block: res.block,
        hyperparams: info.hyperparams.clone(),
        uids: (0..st.n).collect(),
        hotkeys: Vec::with_capacity(n),
        coldkeys: Vec::with_capacity(n),
        alpha_stake: Vec::with_capacity(n),
        root_stake: Vec::with_capacity(n),
        total_stake: Vec::with_capacity(n),
        stake_weight: res.stake_weight,
        active: res.active,
        consensus: res.consensus,
        incentive: res.incentive,
        dividends: res.dividends,
        validator_trust: res.trust,
        emission: res.emission,
        validator_permit: res.permit,
        last_update: Vec::with_capacity(n),
        block_at_registration: Vec::with_capacity(n),
        axons: Vec::with_capacity(n),
        weights: Vec::with_capacity(n),
        bonds: Vec::with_capacity(n),
        identities: Vec::with_capacity(n),
    };
    m.subnet.identity = subnet_identity(s, netuid)?;
    for uid in 0..st.n {
        let nr: Option<Neuron> = state::get(s, &state::neuron_key(netuid, uid))?;
        let hotkey = nr.as_ref().map(|x| x.hotkey).unwrap_or_default();
        let alpha = hotkey_pool(s, netuid, &hotkey)?.alpha;
        let root = hotkey_pool(s, ROOT_NETUID, &hotkey)?.alpha;
        m.hotkeys.push(hotkey);
        m.coldkeys.push(bank::hotkey_owner(s, &hotkey)?);
        m.alpha_stake.push(alpha);
        m.root_stake.push(root);
        m.total_stake.push(crate::coinbase::stake_weight(
            alpha,
            root,
            params.tao_weight,
        ));
        m.last_update.push(nr.as_ref().map_or(0, |x| x.last_update));
        m.block_at_registration
            .push(nr.as_ref().map_or(0, |x| x.registered_at));
        m.axons.push(nr.and_then(|x| x.axon));
        m.weights
            .push(state::get_or_default(s, &state::weights_key(netuid, uid))?);
        m.bonds
            .push(state::get_or_default(s, &state::bonds_key(netuid, uid))?);
        m.identities.push(hotkey_identity(s, &hotkey)?);
    }
    Ok(Some(m))
}

/// Every stake position of `coldkey`, by (netuid, hotkey).
pub fn positions(
    s: &(impl StateRead + ?Sized),
    coldkey: &AccountId,
) -> Result<Vec<StakePositionView>, StateError> {
    let idx: BTreeSet<(NetUid, AccountId)> =
        state::get_or_default(s, &state::coldkey_index_key(coldkey))?;
    let mut out = Vec::with_capacity(idx.len());
    for (netuid, hotkey) in idx {
        let pool = hotkey_pool(s, netuid, &hotkey)?;
        let sh = shares(s, netuid, &hotkey, coldkey)?;
        let alpha = share_value(&pool, sh);
        let price = if netuid == ROOT_NETUID {
            crate::pool::PRICE_SCALE
        } else {
            subnet_state(s, netuid)?.reserves().price()
        };
        out.push(StakePositionView {
            coldkey: *coldkey,
            hotkey,
            netuid,
            alpha,
            shares: sh,
            tao_value: crate::emission::mul_div_u64(alpha, price, crate::pool::PRICE_SCALE),
        });
    }
    Ok(out)
}

/// Hotkeys with root stake, largest first.
pub fn root_validators(
    s: &(impl StateRead + ?Sized),
    params: &Params,
) -> Result<Vec<RootValidatorView>, StateError> {
    let stakers: BTreeSet<(AccountId, AccountId)> =
        state::get_or_default(s, &state::stakers_key(ROOT_NETUID))?;
    let mut counts: BTreeMap<AccountId, usize> = BTreeMap::new();
    for (hotkey, _) in &stakers {
        *counts.entry(*hotkey).or_default() += 1;
    }
    let mut out = Vec::with_capacity(counts.len());
    for (hotkey, n) in counts {
        out.push(RootValidatorView {
            hotkey,
            owner: bank::hotkey_owner(s, &hotkey)?,
            stake: hotkey_pool(s, ROOT_NETUID, &hotkey)?.alpha,
            stakers: n,
            take: take_of(s, &hotkey, params)?,
            identity: hotkey_identity(s, &hotkey)?,
        });
    }
    out.sort_by(|a, b| b.stake.cmp(&a.stake).then(a.hotkey.cmp(&b.hotkey)));
    Ok(out)
}

/// Total issuance of SYN.
pub fn total_issuance(s: &(impl StateRead + ?Sized)) -> Result<Balance, StateError> {
    bank::issuance(s)
}

/// The UID of `hotkey` on a subnet, if it is registered there.
pub fn uid_of(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<Option<Uid>, StateError> {
    state::get::<Uid>(s, &state::uid_key(netuid, hotkey))
}

/// Where an unrevealed weight commit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitStatus {
    /// Its reveal epoch has not come yet.
    Waiting,
    /// The subnet is in its reveal epoch: reveal now.
    Revealable,
    /// Its reveal epoch passed; it can no longer be revealed.
    Expired,
}

/// An unrevealed weight commit of a hotkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommitView {
    /// The committed hash (`weights_commit_hash` of the weights, salt and version key).
    pub hash: synod_primitives::Hash,
    /// Block of the commit.
    pub block: u64,
    /// The subnet's epoch index at the commit.
    pub epoch: u64,
    /// The only epoch in which it may be revealed.
    pub reveal_epoch: u64,
    /// The subnet's epoch index now.
    pub current_epoch: u64,
    /// The block at which the subnet's next epoch runs (a waiting commit becomes revealable
    /// after the epoch that moves the index to `reveal_epoch`).
    pub next_epoch_block: u64,
    /// Whether it can be revealed now.
    pub status: CommitStatus,
}

/// The unrevealed weight commits of `hotkey` on a subnet, oldest first.
pub fn commits(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<Vec<CommitView>, StateError> {
    let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
        return Ok(Vec::new());
    };
    let st = subnet_state(s, netuid)?;
    let period = info.hyperparams.reveal_period_epochs;
    let list: Vec<crate::state::WeightCommit> =
        state::get_or_default(s, &state::commits_key(netuid, hotkey))?;
    Ok(list
        .into_iter()
        .map(|c| {
            let reveal_epoch = c.epoch.saturating_add(period);
            CommitView {
                hash: c.hash,
                block: c.block,
                epoch: c.epoch,
                reveal_epoch,
                current_epoch: st.epoch_index,
                next_epoch_block: st
                    .last_epoch_block
                    .saturating_add(u64::from(info.hyperparams.tempo)),
                status: match st.epoch_index.cmp(&reveal_epoch) {
                    std::cmp::Ordering::Less => CommitStatus::Waiting,
                    std::cmp::Ordering::Equal => CommitStatus::Revealable,
                    std::cmp::Ordering::Greater => CommitStatus::Expired,
                },
            }
        })
        .collect())
}

/// Which way a quoted trade goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuoteSide {
    /// SYN in, alpha out (staking).
    Stake,
    /// Alpha in, SYN out (unstaking).
    Unstake,
}

/// What a trade against a subnet's pool would give now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SwapQuote {
    /// The subnet (0 = root, which trades 1:1).
    pub netuid: NetUid,
    /// The direction.
    pub side: QuoteSide,
    /// What goes in: SYN to stake, or alpha to unstake (base units).
    pub amount_in: Balance,
    /// What comes out: alpha, or SYN (base units).
    pub amount_out: Balance,
    /// What would come out at the spot price, with no price impact.
    pub amount_out_at_spot: Balance,
    /// Spot price before the trade (SYN base units per whole alpha).
    pub price_before: u64,
    /// Spot price after the trade.
    pub price_after: u64,
    /// The price impact: the share of `amount_out_at_spot` the trade loses, in parts per
    /// million.
    pub slippage_ppm: u64,
}

/// Why a quote cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    /// No such subnet.
    #[error("no subnet {0}")]
    NoSubnet(NetUid),
    /// The subnet's owner has not started it: its pool does not trade yet.
    #[error("subnet {0} is not started: its pool does not trade yet")]
    NotStarted(NetUid),
    /// The pool cannot take the trade (a reserve would fall below its minimum).
    #[error("the pool of subnet {netuid} cannot fill {amount} base units: {reason}")]
    Unfillable {
        /// The subnet.
        netuid: NetUid,
        /// The amount asked.
        amount: Balance,
        /// The pool's reason.
        reason: String,
    },
    /// Reading state failed.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Quotes staking (`Stake`, `amount` SYN) or unstaking (`Unstake`, `amount` alpha) on a subnet
/// with the chain's own pool math, as a trade in the next block would run if nothing else
/// trades first.
pub fn quote(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    side: QuoteSide,
    amount: Balance,
    params: &Params,
) -> Result<SwapQuote, QuoteError> {
    use crate::pool::PRICE_SCALE;
    if netuid == ROOT_NETUID {
        return Ok(SwapQuote {
            netuid,
            side,
            amount_in: amount,
            amount_out: amount,
            amount_out_at_spot: amount,
            price_before: PRICE_SCALE,
            price_after: PRICE_SCALE,
            slippage_ppm: 0,
        });
    }
    match state::get::<SubnetInfo>(s, &state::info_key(netuid))? {
        None => return Err(QuoteError::NoSubnet(netuid)),
        Some(i) if i.start_block.is_none() => return Err(QuoteError::NotStarted(netuid)),
        Some(_) => {}
    }
    let r = subnet_state(s, netuid)?.reserves();
    let unfillable = |e: crate::pool::PoolError| QuoteError::Unfillable {
        netuid,
        amount,
        reason: e.to_string(),
    };
    let price_before = r.price();
    let (out, after, at_spot) = match side {
        QuoteSide::Stake => {
            let (out, after) = r
                .buy_alpha(amount, params.min_pool_reserve)
                .map_err(unfillable)?;
            let spot = crate::emission::mul_div_u64(amount, PRICE_SCALE, price_before.max(1));
            (out, after, spot)
        }
        QuoteSide::Unstake => {
            let (out, after) = r
                .sell_alpha(amount, params.min_pool_reserve)
                .map_err(unfillable)?;
            let spot = crate::emission::mul_div_u64(amount, price_before, PRICE_SCALE);
            (out, after, spot)
        }
    };
    let lost = at_spot.saturating_sub(out);
    Ok(SwapQuote {
        netuid,
        side,
        amount_in: amount,
        amount_out: out,
        amount_out_at_spot: at_spot,
        price_before,
        price_after: after.price(),
        slippage_ppm: if at_spot == 0 {
            0
        } else {
            crate::emission::mul_div_u64(lost, 1_000_000, at_spot)
        },
    })
}
