//! Stake: per-hotkey share pools, trades through subnet pools, and the staking calls.
//!
//! A position is `(coldkey, hotkey, netuid)` holding shares of the hotkey's [`HotkeyPool`] on
//! that subnet. Rewards credited to the pool (dividends after take) raise the value of every
//! share, so nominators earn with their validator. Share value starts at 1 and never falls:
//! deposits mint `floor(amount·S/A)` shares and withdrawals burn `ceil(amount·S/A)`.

use crate::params::Params;
use crate::pool::{PoolError, Reserves};
use crate::state::{self, Globals, HotkeyPool, SubnetInfo, SubnetState};
use crate::wire::{NetUid, ROOT_NETUID, SubnetEvent, SubnetFailure};
use crate::{CallError, CallResult};
use crate::{Ctx, sf};
use std::collections::BTreeSet;
use synod_bank as bank;
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;

/// A stake position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) coldkey: AccountId,
    pub(crate) hotkey: AccountId,
    pub(crate) netuid: NetUid,
}

/// The hotkey's pool on `netuid`.
pub(crate) fn hotkey_pool(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<HotkeyPool, StateError> {
    state::get_or_default(s, &state::pool_key(netuid, hotkey))
}

/// Shares held by a position.
pub(crate) fn shares(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
    coldkey: &AccountId,
) -> Result<u64, StateError> {
    state::get_or_default(s, &state::position_key(netuid, hotkey, coldkey))
}

/// Value of `sh` shares in `pool`.
pub(crate) fn share_value(pool: &HotkeyPool, sh: u64) -> Balance {
    if pool.shares == 0 {
        return 0;
    }
    crate::emission::mul_div_u64(sh, pool.alpha, pool.shares)
}

/// Alpha (SYN on root) a position is worth.
pub fn stake_of(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
    hotkey: &AccountId,
    coldkey: &AccountId,
) -> Result<Balance, StateError> {
    let pool = hotkey_pool(s, netuid, hotkey)?;
    Ok(share_value(&pool, shares(s, netuid, hotkey, coldkey)?))
}

fn set_shares<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    p: &Position,
    before: u64,
    after: u64,
) -> Result<(), StateError> {
    state::put_or_delete(
        s,
        state::position_key(p.netuid, &p.hotkey, &p.coldkey),
        &after,
    );
    if (before == 0) != (after == 0) {
        let ck = state::coldkey_index_key(&p.coldkey);
        let mut idx: BTreeSet<(NetUid, AccountId)> = state::get_or_default(s, &ck)?;
        let sk = state::stakers_key(p.netuid);
        let mut stakers: BTreeSet<(AccountId, AccountId)> = state::get_or_default(s, &sk)?;
        if after == 0 {
            idx.remove(&(p.netuid, p.hotkey));
            stakers.remove(&(p.hotkey, p.coldkey));
        } else {
            idx.insert((p.netuid, p.hotkey));
            stakers.insert((p.hotkey, p.coldkey));
        }
        state::put_or_delete(s, ck, &idx);
        state::put_or_delete(s, sk, &stakers);
    }
    Ok(())
}

/// Adds `amount` to a position (minting shares). With no shares outstanding the depositor also
/// takes any dust left in the pool.
pub(crate) fn deposit<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    p: &Position,
    amount: Balance,
) -> Result<(), CallError> {
    if amount == 0 {
        return Ok(());
    }
    let key = state::pool_key(p.netuid, &p.hotkey);
    let mut pool: HotkeyPool = state::get_or_default(s, &key)?;
    let new_shares = if pool.shares == 0 {
        pool.alpha.checked_add(amount)
    } else {
        Some(crate::emission::mul_div_u64(
            amount,
            pool.shares,
            pool.alpha,
        ))
    }
    .ok_or(sf(SubnetFailure::Overflow))?;
    pool.alpha = pool
        .alpha
        .checked_add(amount)
        .ok_or(sf(SubnetFailure::Overflow))?;
    pool.shares = pool
        .shares
        .checked_add(new_shares)
        .ok_or(sf(SubnetFailure::Overflow))?;
    let before = shares(s, p.netuid, &p.hotkey, &p.coldkey)?;
    let after = before
        .checked_add(new_shares)
        .ok_or(sf(SubnetFailure::Overflow))?;
    state::put_or_delete(s, key, &pool);
    set_shares(s, p, before, after)?;
    Ok(())
}

/// Removes `amount` from a position (all of it when `amount` ≥ its value); returns what was
/// removed.
pub(crate) fn withdraw<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    p: &Position,
    amount: Balance,
) -> Result<Balance, CallError> {
    let key = state::pool_key(p.netuid, &p.hotkey);
    let mut pool: HotkeyPool = state::get_or_default(s, &key)?;
    let held = shares(s, p.netuid, &p.hotkey, &p.coldkey)?;
    let value = share_value(&pool, held);
    let (burn, out) = if amount >= value {
        (held, value)
    } else {
        // ceil(amount·S/A) ≤ held because amount < held·A/S.
        let num = u128::from(amount) * u128::from(pool.shares);
        let burn = num.div_ceil(u128::from(pool.alpha.max(1)));
        (u64::try_from(burn).unwrap_or(held).min(held), amount)
    };
    pool.shares -= burn;
    pool.alpha -= out;
    if pool.shares == 0 && pool.alpha == 0 {
        s.delete(key);
    } else {
        state::put(s, key, &pool);
    }
    set_shares(s, p, held, held - burn)?;
    Ok(out)
}

/// Adds `amount` to a hotkey's pool without minting shares (everyone's shares gain). If the
/// pool has no shares, the hotkey's owner receives it as a position.
pub(crate) fn credit_pool<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    hotkey: &AccountId,
    owner: &AccountId,
    amount: Balance,
) -> Result<(), CallError> {
    let key = state::pool_key(netuid, hotkey);
    let mut pool: HotkeyPool = state::get_or_default(s, &key)?;
    if pool.shares == 0 {
        let p = Position {
            coldkey: *owner,
            hotkey: *hotkey,
            netuid,
        };
        return deposit(s, &p, amount);
    }
    pool.alpha = pool
        .alpha
        .checked_add(amount)
        .ok_or(sf(SubnetFailure::Overflow))?;
    state::put(s, key, &pool);
    Ok(())
}

/// The delegate take of `hotkey`.
pub(crate) fn take_of(
    s: &(impl StateRead + ?Sized),
    hotkey: &AccountId,
    params: &Params,
) -> Result<u16, StateError> {
    Ok(state::get(s, &state::take_key(hotkey))?.unwrap_or(params.default_take))
}

/// Pays validator rewards to `hotkey`: the take goes to the owner's own position, the rest to
/// the pool (all nominators). Returns the take.
pub(crate) fn credit_validator<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    params: &Params,
    netuid: NetUid,
    hotkey: &AccountId,
    owner: &AccountId,
    amount: Balance,
) -> Result<Balance, CallError> {
    let take = crate::emission::mul_div_u64(
        amount,
        u64::from(take_of(s, hotkey, params)?),
        u64::from(u16::MAX),
    );
    let p = Position {
        coldkey: *owner,
        hotkey: *hotkey,
        netuid,
    };
    deposit(s, &p, take)?;
    credit_pool(s, netuid, hotkey, owner, amount - take)?;
    Ok(take)
}

fn globals(s: &(impl StateRead + ?Sized)) -> Result<Globals, StateError> {
    state::get_or_default(s, &state::globals_key())
}

/// Loads a started, non-root subnet for trading.
fn tradable(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
) -> Result<(SubnetInfo, SubnetState), CallError> {
    let info: SubnetInfo = state::get(s, &state::info_key(netuid))?
        .ok_or(sf(SubnetFailure::SubnetNotFound { netuid }))?;
    if info.start_block.is_none() {
        return Err(sf(SubnetFailure::NotStarted { netuid }));
    }
    let st: SubnetState = state::get_or_default(s, &state::state_key(netuid))?;
    Ok((info, st))
}

fn pool_err(e: PoolError) -> CallError {
    match e {
        PoolError::InsufficientLiquidity => sf(SubnetFailure::InsufficientLiquidity),
        PoolError::Overflow => sf(SubnetFailure::Overflow),
    }
}

/// Current reserves of a netuid; root trades at a fixed price of 1.
fn reserves_of(s: &(impl StateRead + ?Sized), netuid: NetUid) -> Result<Reserves, CallError> {
    if netuid == ROOT_NETUID {
        return Ok(Reserves {
            tao: crate::pool::PRICE_SCALE,
            alpha: crate::pool::PRICE_SCALE,
        });
    }
    Ok(tradable(s, netuid)?.1.reserves())
}

/// Buys alpha of `netuid` with `tao` (custody-internal: the caller moves the SYN). Root is 1:1.
fn buy<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    params: &Params,
    netuid: NetUid,
    tao: Balance,
) -> Result<Balance, CallError> {
    if netuid == ROOT_NETUID {
        let mut g = globals(s)?;
        g.root_stake = g
            .root_stake
            .checked_add(tao)
            .ok_or(sf(SubnetFailure::Overflow))?;
        state::put(s, state::globals_key(), &g);
        return Ok(tao);
    }
    let (_, mut st) = tradable(s, netuid)?;
    let (alpha, r) = st
        .reserves()
        .buy_alpha(tao, params.min_pool_reserve)
        .map_err(pool_err)?;
    st.set_reserves(r);
    st.alpha_outstanding = st
        .alpha_outstanding
        .checked_add(alpha)
        .ok_or(sf(SubnetFailure::Overflow))?;
    state::put(s, state::state_key(netuid), &st);
    Ok(alpha)
}

/// Sells `alpha` of `netuid` for SYN (custody-internal). Root is 1:1.
fn sell<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    params: &Params,
    netuid: NetUid,
    alpha: Balance,
) -> Result<Balance, CallError> {
    if netuid == ROOT_NETUID {
        let mut g = globals(s)?;
        g.root_stake = g.root_stake.saturating_sub(alpha);
        state::put(s, state::globals_key(), &g);
        return Ok(alpha);
    }
    let info: SubnetInfo = state::get(s, &state::info_key(netuid))?
        .ok_or(sf(SubnetFailure::SubnetNotFound { netuid }))?;
    let _ = info;
    let mut st: SubnetState = state::get_or_default(s, &state::state_key(netuid))?;
    let (tao, r) = st
        .reserves()
        .sell_alpha(alpha, params.min_pool_reserve)
        .map_err(pool_err)?;
    st.set_reserves(r);
    st.alpha_outstanding = st.alpha_outstanding.saturating_sub(alpha);
    state::put(s, state::state_key(netuid), &st);
    Ok(tao)
}

fn require_bound(
    s: &(impl StateRead + ?Sized),
    hotkey: &AccountId,
) -> Result<AccountId, CallError> {
    bank::hotkey_owner(s, hotkey)?.ok_or(sf(SubnetFailure::HotkeyNotBound { hotkey: *hotkey }))
}

fn require_exists(s: &(impl StateRead + ?Sized), netuid: NetUid) -> Result<(), CallError> {
    if netuid != ROOT_NETUID && state::get::<SubnetInfo>(s, &state::info_key(netuid))?.is_none() {
        return Err(sf(SubnetFailure::SubnetNotFound { netuid }));
    }
    Ok(())
}

/// Moves SYN without a bank event (custody moves are described by the subnet event).
pub(crate) fn move_funds<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    from: &AccountId,
    to: &AccountId,
    amount: Balance,
) -> Result<(), CallError> {
    if amount == 0 {
        return Ok(());
    }
    bank::transfer(s, from, to, amount)?;
    Ok(())
}

/// `add_stake` and `add_stake_limit`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_stake<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
    netuid: NetUid,
    amount: Balance,
    limit_price: Option<u64>,
    allow_partial: bool,
) -> CallResult {
    let params = ctx.params;
    require_exists(s, netuid)?;
    require_bound(s, hotkey)?;
    if amount < params.min_stake {
        return Err(sf(SubnetFailure::AmountTooLow {
            amount,
            min: params.min_stake,
        }));
    }
    let r = reserves_of(s, netuid)?;
    let fill = match limit_price {
        None => amount,
        Some(limit) => {
            let fill = r.max_buy_within(limit, amount, params.min_pool_reserve);
            if fill < amount && (!allow_partial || fill < params.min_stake) {
                return Err(sf(SubnetFailure::PriceLimitExceeded { limit_price: limit }));
            }
            fill
        }
    };
    move_funds(s, coldkey, &crate::module_account(), fill)?;
    let alpha = buy(s, params, netuid, fill)?;
    deposit(
        s,
        &Position {
            coldkey: *coldkey,
            hotkey: *hotkey,
            netuid,
        },
        alpha,
    )?;
    Ok(vec![SubnetEvent::StakeAdded {
        coldkey: *coldkey,
        hotkey: *hotkey,
        netuid,
        tao: fill,
        alpha,
    }])
}

/// `remove_stake` and `remove_stake_limit`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn remove_stake<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
    netuid: NetUid,
    amount: Balance,
    limit_price: Option<u64>,
    allow_partial: bool,
) -> CallResult {
    let params = ctx.params;
    require_exists(s, netuid)?;
    let held = stake_of(s, netuid, hotkey, coldkey)?;
    if amount == 0 || amount > held {
        return Err(sf(SubnetFailure::InsufficientStake {
            wanted: amount,
            available: held,
        }));
    }
    if amount < params.min_stake && amount != held {
        return Err(sf(SubnetFailure::AmountTooLow {
            amount,
            min: params.min_stake,
        }));
    }
    let r = reserves_of(s, netuid)?;
    let fill = match limit_price {
        None => amount,
        Some(limit) => {
            let fill = r.max_sell_within(limit, amount, params.min_pool_reserve);
            if fill < amount && (!allow_partial || fill == 0) {
                return Err(sf(SubnetFailure::PriceLimitExceeded { limit_price: limit }));
            }
            fill
        }
    };
    let p = Position {
        coldkey: *coldkey,
        hotkey: *hotkey,
        netuid,
    };
    let taken = withdraw(s, &p, fill)?;
    let tao = sell(s, params, netuid, taken)?;
    move_funds(s, &crate::module_account(), coldkey, tao)?;
    Ok(vec![SubnetEvent::StakeRemoved {
        coldkey: *coldkey,
        hotkey: *hotkey,
        netuid,
        alpha: taken,
        tao,
    }])
}

/// Post-trade price ratio `origin / destination`, scaled by 10^9, of moving `x` alpha from
/// `o` to `d` (reserves of the two subnets; root trades at 1). `None` if a leg fails.
fn swap_ratio_after(
    o: &Reserves,
    d: &Reserves,
    o_root: bool,
    d_root: bool,
    x: u64,
    min: u64,
) -> Option<u64> {
    let (tao, o2) = if o_root {
        (x, *o)
    } else {
        o.sell_alpha(x, min).ok()?
    };
    let d2 = if d_root {
        *d
    } else {
        d.buy_alpha(tao, min).ok()?.1
    };
    let pd = d2.price();
    if pd == 0 {
        return None;
    }
    Some(crate::emission::mul_div_u64(
        o2.price(),
        crate::pool::PRICE_SCALE,
        pd,
    ))
}

/// Moves (and if the subnets differ, converts) stake from `from` to `to`: `move_stake`,
/// `transfer_stake` and `swap_stake`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn move_position<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    from: Position,
    to: Position,
    amount: Balance,
    limit_price: Option<u64>,
    allow_partial: bool,
) -> CallResult {
    let params = ctx.params;
    if from == to {
        return Err(sf(SubnetFailure::SameOriginAndDestination));
    }
    require_exists(s, from.netuid)?;
    require_exists(s, to.netuid)?;
    let dest_owner = require_bound(s, &to.hotkey)?;
    let _ = dest_owner;
    let held = stake_of(s, from.netuid, &from.hotkey, &from.coldkey)?;
    if amount == 0 || amount > held {
        return Err(sf(SubnetFailure::InsufficientStake {
            wanted: amount,
            available: held,
        }));
    }
    if amount < params.min_stake && amount != held {
        return Err(sf(SubnetFailure::AmountTooLow {
            amount,
            min: params.min_stake,
        }));
    }
    let mut fill = amount;
    if from.netuid != to.netuid {
        let o = reserves_of(s, from.netuid)?;
        let d = reserves_of(s, to.netuid)?;
        if let Some(limit) = limit_price {
            let (or, dr) = (from.netuid == ROOT_NETUID, to.netuid == ROOT_NETUID);
            let min = params.min_pool_reserve;
            fill = crate::pool::largest(amount, |x| {
                x == 0 || swap_ratio_after(&o, &d, or, dr, x, min).is_some_and(|r| r >= limit)
            });
            if fill < amount && (!allow_partial || fill == 0) {
                return Err(sf(SubnetFailure::PriceLimitExceeded { limit_price: limit }));
            }
        }
    }
    let taken = withdraw(s, &from, fill)?;
    let credited = if from.netuid == to.netuid {
        taken
    } else {
        let tao = sell(s, params, from.netuid, taken)?;
        if tao < params.min_stake {
            return Err(sf(SubnetFailure::AmountTooLow {
                amount: tao,
                min: params.min_stake,
            }));
        }
        buy(s, params, to.netuid, tao)?
    };
    deposit(s, &to, credited)?;
    Ok(vec![SubnetEvent::StakeMoved {
        from_coldkey: from.coldkey,
        from_hotkey: from.hotkey,
        from_netuid: from.netuid,
        to_coldkey: to.coldkey,
        to_hotkey: to.hotkey,
        to_netuid: to.netuid,
        alpha_in: taken,
        alpha_out: credited,
    }])
}

/// Sets a hotkey's delegate take.
pub(crate) fn set_delegate_take<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    hotkey: &AccountId,
    take: u16,
) -> CallResult {
    let owner = require_bound(s, hotkey)?;
    if owner != *sender {
        return Err(sf(SubnetFailure::NotHotkeyOwner { hotkey: *hotkey }));
    }
    if take > ctx.params.max_take {
        return Err(sf(SubnetFailure::TakeTooHigh {
            take,
            max: ctx.params.max_take,
        }));
    }
    state::put(s, state::take_key(hotkey), &take);
    Ok(vec![SubnetEvent::DelegateTakeSet {
        hotkey: *hotkey,
        take,
    }])
}
