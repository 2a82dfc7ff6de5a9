//! Subnet creation, start, hyperparameters and dissolution; neuron registration, pruning and
//! axon serving.

use crate::emission;
use crate::params::{Params, SubnetHyperparams};
use crate::staking;
use crate::state::{self, EpochResults, Globals, Neuron, SubnetInfo, SubnetState};
use crate::wire::{AxonInfo, Hyperparameter, NetUid, ROOT_NETUID, SubnetEvent, SubnetFailure, Uid};
use crate::{CallError, CallResult};
use crate::{Ctx, module_account, sf};
use std::collections::BTreeSet;
use synod_bank as bank;
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;

/// Global bookkeeping.
pub(crate) fn globals(s: &(impl StateRead + ?Sized)) -> Result<Globals, StateError> {
    state::get_or_default(s, &state::globals_key())
}

/// A subnet's info, or `SubnetNotFound` (root has none).
pub(crate) fn subnet(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
) -> Result<SubnetInfo, CallError> {
    if netuid == ROOT_NETUID {
        return Err(sf(SubnetFailure::RootNotAllowed));
    }
    state::get(s, &state::info_key(netuid))?.ok_or(sf(SubnetFailure::SubnetNotFound { netuid }))
}

/// A subnet's dynamic state.
pub(crate) fn subnet_state(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
) -> Result<SubnetState, StateError> {
    state::get_or_default(s, &state::state_key(netuid))
}

/// The UID of `hotkey` on `netuid`.
pub(crate) fn uid_of(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<Option<Uid>, StateError> {
    state::get(s, &state::uid_key(netuid, hotkey))
}

/// A neuron record.
pub(crate) fn neuron(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    uid: Uid,
) -> Result<Option<Neuron>, StateError> {
    state::get(s, &state::neuron_key(netuid, uid))
}

/// The sender must own `hotkey` (be its bound coldkey).
pub(crate) fn require_owned(
    s: &(impl StateRead + ?Sized),
    sender: &AccountId,
    hotkey: &AccountId,
) -> Result<(), CallError> {
    match bank::hotkey_owner(s, hotkey)? {
        None => Err(sf(SubnetFailure::HotkeyNotBound { hotkey: *hotkey })),
        Some(o) if o != *sender => Err(sf(SubnetFailure::NotHotkeyOwner { hotkey: *hotkey })),
        Some(_) => Ok(()),
    }
}

/// The sender must be `hotkey` itself or its owning coldkey.
pub(crate) fn require_hotkey_or_owner(
    s: &(impl StateRead + ?Sized),
    sender: &AccountId,
    hotkey: &AccountId,
) -> Result<(), CallError> {
    if sender == hotkey {
        return Ok(());
    }
    require_owned(s, sender, hotkey)
}

/// The current network lock cost.
pub fn network_lock_cost(
    s: &(impl StateRead + ?Sized),
    height: u64,
    params: &Params,
) -> Result<Balance, StateError> {
    let g = globals(s)?;
    Ok(emission::lock_cost(
        g.last_lock,
        g.last_lock_block,
        height,
        params.network_min_lock,
        params.lock_reduction_interval,
    ))
}

/// The current registration burn of a subnet.
pub fn current_burn(
    st: &SubnetState,
    hp: &SubnetHyperparams,
    height: u64,
    params: &Params,
) -> Balance {
    emission::decayed_burn(
        st.burn,
        height.saturating_sub(st.burn_block),
        params.burn_half_life,
        hp.min_burn,
        hp.max_burn,
    )
}

/// `register_network`: lock, pick a netuid (dissolving the weakest subnet at the limit), seed
/// the pool 1:1 with the minimum lock, burn the rest of the lock, register the owner hotkey.
pub(crate) fn register_network<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    hotkey: &AccountId,
    max_lock: Balance,
) -> CallResult {
    let params = ctx.params;
    let now = ctx.height;
    require_owned(s, sender, hotkey)?;
    let g = globals(s)?;
    if let Some(last) = g.last_lock_block {
        let next = last.saturating_add(params.network_rate_limit);
        if now < next {
            return Err(sf(SubnetFailure::NetworkRateLimited { next }));
        }
    }
    let cost = network_lock_cost(s, now, params)?;
    if cost > max_lock {
        return Err(sf(SubnetFailure::CostAboveMaximum {
            cost,
            max: max_lock,
        }));
    }
    let available = bank::account(s, sender)?.balance;
    if available < cost {
        return Err(
            crate::CallFailure::from(synod_bank::BankFailure::InsufficientBalance {
                needed: cost,
                available,
            })
            .into(),
        );
    }
    let mut events = Vec::new();
    let netuid = if g.netuids.len() < usize::from(params.subnet_limit) {
        (1..=u16::MAX)
            .find(|n| !g.netuids.contains(n))
            .ok_or(sf(SubnetFailure::SubnetLimitReached))?
    } else {
        let victim =
            weakest_subnet(s, &g, now, params)?.ok_or(sf(SubnetFailure::SubnetLimitReached))?;
        events.extend(dissolve(s, params, victim)?);
        victim
    };
    let seed = params.network_min_lock.min(cost);
    staking::move_funds(s, sender, &module_account(), seed)?;
    bank::burn(s, sender, cost - seed)?;

    let hyperparams = params.default_hyperparams.clone();
    let tempo = u64::from(hyperparams.tempo.max(1));
    let info = SubnetInfo {
        netuid,
        owner_coldkey: *sender,
        owner_hotkey: *hotkey,
        registered_at: now,
        lock: cost,
        start_block: None,
        hyperparams,
    };
    let st = SubnetState {
        tao_reserve: seed,
        alpha_reserve: seed,
        burn: params.initial_burn,
        burn_block: now,
        // Stagger epochs by netuid.
        last_epoch_block: now.saturating_sub(u64::from(netuid) % tempo),
        ..SubnetState::default()
    };
    state::put(s, state::info_key(netuid), &info);
    state::put(s, state::state_key(netuid), &st);
    let mut g = globals(s)?;
    g.netuids.insert(netuid);
    g.last_lock = cost;
    g.last_lock_block = Some(now);
    state::put(s, state::globals_key(), &g);
    append_neuron(s, netuid, hotkey, now)?;
    events.push(SubnetEvent::NetworkRegistered {
        netuid,
        owner: *sender,
        hotkey: *hotkey,
        lock: cost,
    });
    events.push(SubnetEvent::NeuronRegistered {
        netuid,
        uid: 0,
        hotkey: *hotkey,
        burned: 0,
        replaced: None,
    });
    Ok(events)
}

/// The non-immune subnet with the lowest moving price (then oldest, then lowest netuid).
fn weakest_subnet(
    s: &(impl StateRead + ?Sized),
    g: &Globals,
    now: u64,
    params: &Params,
) -> Result<Option<NetUid>, StateError> {
    let mut best: Option<(u128, u64, NetUid)> = None;
    for &netuid in &g.netuids {
        let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
            continue;
        };
        if now
            < info
                .registered_at
                .saturating_add(params.network_immunity_period)
        {
            continue;
        }
        let st = subnet_state(s, netuid)?;
        let cand = (st.moving_price, info.registered_at, netuid);
        if best.is_none_or(|b| cand < b) {
            best = Some(cand);
        }
    }
    Ok(best.map(|b| b.2))
}

/// Dissolves a subnet: every staker gets `floor(τ · stake / (α_in + Σ stake))` SYN from the
/// pool, the owner the rest of the pool and the pending root SYN, and all of the subnet's
/// records are deleted.
pub(crate) fn dissolve<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    _params: &Params,
    netuid: NetUid,
) -> Result<Vec<SubnetEvent>, CallError> {
    let info: SubnetInfo = state::get(s, &state::info_key(netuid))?
        .ok_or(sf(SubnetFailure::SubnetNotFound { netuid }))?;
    let st = subnet_state(s, netuid)?;
    let stakers: BTreeSet<(AccountId, AccountId)> =
        state::get_or_default(s, &state::stakers_key(netuid))?;
    let mut holdings = Vec::with_capacity(stakers.len());
    let mut total: u128 = u128::from(st.alpha_reserve);
    for (hotkey, coldkey) in &stakers {
        let v = staking::stake_of(s, netuid, hotkey, coldkey)?;
        total += u128::from(v);
        holdings.push((*hotkey, *coldkey, v));
    }
    let module = module_account();
    let mut paid: u128 = 0;
    for (hotkey, coldkey, v) in &holdings {
        let refund = emission::mul_div(u128::from(st.tao_reserve), u128::from(*v), total)
            .unwrap_or(0) as u64;
        staking::move_funds(s, &module, coldkey, refund)?;
        paid += u128::from(refund);
        s.delete(state::position_key(netuid, hotkey, coldkey));
        let ck = state::coldkey_index_key(coldkey);
        let mut idx: BTreeSet<(NetUid, AccountId)> = state::get_or_default(s, &ck)?;
        idx.remove(&(netuid, *hotkey));
        state::put_or_delete(s, ck, &idx);
        s.delete(state::pool_key(netuid, hotkey));
    }
    let rest = (u128::from(st.tao_reserve) - paid) as u64;
    let owner_refund = rest.saturating_add(st.pending_root_tao);
    staking::move_funds(s, &module, &info.owner_coldkey, owner_refund)?;
    for uid in 0..st.n {
        if let Some(nrn) = neuron(s, netuid, uid)? {
            s.delete(state::uid_key(netuid, &nrn.hotkey));
            s.delete(state::commits_key(netuid, &nrn.hotkey));
        }
        s.delete(state::neuron_key(netuid, uid));
        s.delete(state::weights_key(netuid, uid));
        s.delete(state::bonds_key(netuid, uid));
    }
    s.delete(state::stakers_key(netuid));
    s.delete(state::epoch_key(netuid));
    s.delete(state::info_key(netuid));
    s.delete(state::state_key(netuid));
    let mut g = globals(s)?;
    g.netuids.remove(&netuid);
    state::put(s, state::globals_key(), &g);
    Ok(vec![SubnetEvent::NetworkDissolved {
        netuid,
        refunded: (paid as u64).saturating_add(owner_refund),
    }])
}

/// `start_call`: the owner starts emissions.
pub(crate) fn start_call<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
) -> CallResult {
    let mut info = subnet(s, netuid)?;
    if info.owner_coldkey != *sender {
        return Err(sf(SubnetFailure::NotSubnetOwner));
    }
    if info.start_block.is_some() {
        return Err(sf(SubnetFailure::AlreadyStarted { netuid }));
    }
    info.start_block = Some(ctx.height);
    state::put(s, state::info_key(netuid), &info);
    Ok(vec![SubnetEvent::SubnetStarted { netuid }])
}

/// `set_hyperparameter` (owner only, bounds-checked).
pub(crate) fn set_hyperparameter<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    param: &Hyperparameter,
) -> CallResult {
    let mut info = subnet(s, netuid)?;
    if info.owner_coldkey != *sender {
        return Err(sf(SubnetFailure::NotSubnetOwner));
    }
    let st = subnet_state(s, netuid)?;
    info.hyperparams
        .apply(param, st.n, ctx.params)
        .map_err(sf)?;
    state::put(s, state::info_key(netuid), &info);
    Ok(vec![SubnetEvent::HyperparameterSet {
        netuid,
        param: param.clone(),
    }])
}

fn append_neuron<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    hotkey: &AccountId,
    now: u64,
) -> Result<Uid, CallError> {
    let mut st = subnet_state(s, netuid)?;
    let uid = st.n;
    st.n = st.n.checked_add(1).ok_or(sf(SubnetFailure::Overflow))?;
    write_neuron(s, netuid, uid, hotkey, now);
    let mut res: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    res.resize(usize::from(st.n));
    state::put(s, state::epoch_key(netuid), &res);
    state::put(s, state::state_key(netuid), &st);
    Ok(uid)
}

fn write_neuron<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    uid: Uid,
    hotkey: &AccountId,
    now: u64,
) {
    let n = Neuron {
        hotkey: *hotkey,
        registered_at: now,
        last_update: now,
        last_weights_call: None,
        weights_block: None,
        axon: None,
    };
    state::put(s, state::neuron_key(netuid, uid), &n);
    state::put(s, state::uid_key(netuid, hotkey), &uid);
}

/// Puts `hotkey` into `uid`, clearing everything of the previous holder. Weights and bonds of
/// other validators that point at `uid` stay stored but are masked by the epoch (they were set
/// before the new registration block).
fn replace_neuron<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    uid: Uid,
    hotkey: &AccountId,
    now: u64,
) -> Result<Option<AccountId>, CallError> {
    let old = neuron(s, netuid, uid)?;
    if let Some(o) = &old {
        s.delete(state::uid_key(netuid, &o.hotkey));
        s.delete(state::commits_key(netuid, &o.hotkey));
    }
    s.delete(state::weights_key(netuid, uid));
    s.delete(state::bonds_key(netuid, uid));
    write_neuron(s, netuid, uid, hotkey, now);
    let mut res: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    res.clear(usize::from(uid));
    state::put(s, state::epoch_key(netuid), &res);
    Ok(old.map(|o| o.hotkey))
}

/// The UID to replace when the subnet is full (reference §7): the owner hotkey is never
/// pruned; among the rest the lowest emission, then the earliest registration, then the lowest
/// UID; non-immune UIDs first as long as more than `min_non_immune_uids` of them remain, else
/// the best immune one.
pub(crate) fn neuron_to_prune(
    s: &(impl StateRead + ?Sized),
    info: &SubnetInfo,
    st: &SubnetState,
    now: u64,
) -> Result<Option<Uid>, StateError> {
    let res: EpochResults = state::get_or_default(s, &state::epoch_key(info.netuid))?;
    let mut free: u16 = 0;
    let mut best_free: Option<(u64, u64, Uid)> = None;
    let mut best_immune: Option<(u64, u64, Uid)> = None;
    for uid in 0..st.n {
        let Some(n) = neuron(s, info.netuid, uid)? else {
            continue;
        };
        if n.hotkey == info.owner_hotkey {
            continue;
        }
        let emission = res.emission.get(usize::from(uid)).copied().unwrap_or(0);
        let cand = (emission, n.registered_at, uid);
        let immune = now
            < n.registered_at
                .saturating_add(info.hyperparams.immunity_period);
        let slot = if immune {
            &mut best_immune
        } else {
            free += 1;
            &mut best_free
        };
        if slot.is_none_or(|b| cand < b) {
            *slot = Some(cand);
        }
    }
    if free > info.hyperparams.min_non_immune_uids
        && let Some(b) = best_free
    {
        return Ok(Some(b.2));
    }
    Ok(best_immune.or(best_free).map(|b| b.2))
}

/// `burned_register`.
pub(crate) fn burned_register<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    max_burn: Balance,
) -> CallResult {
    let now = ctx.height;
    let info = subnet(s, netuid)?;
    if !info.hyperparams.registration_allowed {
        return Err(sf(SubnetFailure::RegistrationDisabled { netuid }));
    }
    require_owned(s, sender, hotkey)?;
    if uid_of(s, netuid, hotkey)?.is_some() {
        return Err(sf(SubnetFailure::AlreadyRegistered { netuid }));
    }
    let mut st = subnet_state(s, netuid)?;
    let burn = current_burn(&st, &info.hyperparams, now, ctx.params);
    if burn > max_burn {
        return Err(sf(SubnetFailure::CostAboveMaximum {
            cost: burn,
            max: max_burn,
        }));
    }
    bank::burn(s, sender, burn)?;
    let (uid, replaced) = if st.n < info.hyperparams.max_allowed_uids {
        (append_neuron(s, netuid, hotkey, now)?, None)
    } else {
        let uid = neuron_to_prune(s, &info, &st, now)?.ok_or(sf(SubnetFailure::NoPrunableUid))?;
        (uid, replace_neuron(s, netuid, uid, hotkey, now)?)
    };
    st = subnet_state(s, netuid)?;
    let (num, den) = ctx.params.burn_increase;
    st.burn = emission::bumped_burn(
        burn,
        num,
        den,
        info.hyperparams.min_burn,
        info.hyperparams.max_burn,
    );
    st.burn_block = now;
    state::put(s, state::state_key(netuid), &st);
    Ok(vec![SubnetEvent::NeuronRegistered {
        netuid,
        uid,
        hotkey: *hotkey,
        burned: burn,
        replaced,
    }])
}

/// `serve_axon`.
pub(crate) fn serve_axon<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    axon: AxonInfo,
) -> CallResult {
    let info = subnet(s, netuid)?;
    require_hotkey_or_owner(s, sender, hotkey)?;
    let uid = uid_of(s, netuid, hotkey)?.ok_or(sf(SubnetFailure::NotRegistered { netuid }))?;
    let bad = |r: &str| sf(SubnetFailure::InvalidAxon { detail: r.into() });
    match axon.ip_type {
        4 if axon.ip > u128::from(u32::MAX) => return Err(bad("IPv4 address out of range")),
        4 | 6 => {}
        _ => return Err(bad("ip_type must be 4 or 6")),
    }
    if axon.ip == 0 {
        return Err(bad("address is zero"));
    }
    if axon.port == 0 {
        return Err(bad("port is zero"));
    }
    let mut n = neuron(s, netuid, uid)?.ok_or(sf(SubnetFailure::NotRegistered { netuid }))?;
    if let Some(prev) = &n.axon {
        let next = prev
            .block
            .saturating_add(info.hyperparams.serving_rate_limit);
        if ctx.height < next {
            return Err(sf(SubnetFailure::RateLimited { next }));
        }
    }
    n.axon = Some(axon);
    state::put(s, state::neuron_key(netuid, uid), &n);
    Ok(vec![SubnetEvent::AxonServed {
        netuid,
        hotkey: *hotkey,
    }])
}
