//! Pools: creation, funding, timelocked parameter changes, staking, the treasury's SYN, and
//! the epoch split of the data pools' emission by performance measured on chain.

use synod_bank as bank;
use synod_module::{CallResult, StateError};
use synod_primitives::{AccountId, Balance, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_tokens::TokenId;

use crate::state::{self, EpochStats, PendingUpdate, PoolRecord, REWARD_SCALE, StakeRecord};
use crate::wire::{MAX_DESCRIPTION_LEN, MAX_POOL_NAME_LEN, MAX_WORKERS_PER_JOB, PPM};
use crate::{
    CallFailure, DataEvent, DataFailure, DataGenesis, DataResult, PoolId, PoolParams, check_schema,
    check_url, emission_account, fail, module_account, treasury_account,
};

/// Checks a pool name: 1 to [`MAX_POOL_NAME_LEN`] bytes of `a-z0-9-`, starting with a letter.
pub fn check_name(name: &str) -> Result<(), DataFailure> {
    let ok = !name.is_empty()
        && name.len() <= MAX_POOL_NAME_LEN
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(DataFailure::InvalidField {
            field: "name".into(),
            detail: format!(
                "must be 1 to {MAX_POOL_NAME_LEN} bytes of a-z, 0-9 and -, starting with a letter"
            ),
        })
    }
}

/// Checks every parameter of a pool.
pub fn check_params(p: &PoolParams) -> Result<(), DataFailure> {
    let bad = |field: &str, detail: String| DataFailure::InvalidParam {
        field: field.into(),
        detail,
    };
    if p.description.len() > MAX_DESCRIPTION_LEN {
        return Err(bad(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} bytes"),
        ));
    }
    check_schema(&p.schema)?;
    check_url(&p.program_url).map_err(|_| {
        bad(
            "program_url",
            "must be a file://, s3://, http:// or https:// url".into(),
        )
    })?;
    if p.workers_per_job == 0 || p.workers_per_job > MAX_WORKERS_PER_JOB {
        return Err(bad(
            "workers_per_job",
            format!("must be 1 to {MAX_WORKERS_PER_JOB}"),
        ));
    }
    if p.job_timeout == 0 {
        return Err(bad("job_timeout", "must be at least 1 block".into()));
    }
    for (field, v) in [
        ("slash_ppm", p.slash_ppm),
        ("miss_slash_ppm", p.miss_slash_ppm),
        ("staker_share_ppm", p.staker_share_ppm),
    ] {
        if v > PPM {
            return Err(bad(field, format!("must be at most {PPM}")));
        }
    }
    if p.max_misses == 0 {
        return Err(bad("max_misses", "must be at least 1".into()));
    }
    Ok(())
}

/// A pool, or `UnknownPool`.
pub fn require<R: StateRead + ?Sized>(s: &R, pool: PoolId) -> DataResult<PoolRecord> {
    match state::pool(s, pool)? {
        Some(p) => Ok(p),
        None => fail(DataFailure::UnknownPool { pool }),
    }
}

fn require_owner<R: StateRead + ?Sized>(
    s: &R,
    sender: &AccountId,
    pool: PoolId,
) -> DataResult<PoolRecord> {
    let p = require(s, pool)?;
    if p.owner != *sender {
        return fail(DataFailure::NotPoolOwner { pool });
    }
    Ok(p)
}

pub(crate) fn create<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    sender: &AccountId,
    name: &str,
    reward_token: TokenId,
    params: &PoolParams,
) -> CallResult<DataEvent, CallFailure> {
    check_name(name)?;
    check_params(params)?;
    if state::get::<PoolId, _>(s, &state::pool_name_key(name))?.is_some() {
        return fail(DataFailure::PoolNameTaken { name: name.into() });
    }
    if synod_tokens::state::token(s, reward_token)?.is_none() {
        return fail(DataFailure::UnknownToken {
            token: reward_token,
        });
    }
    let id = state::next_id(s, state::next_pool_key())?;
    let treasury = treasury_account(id);
    let record = PoolRecord {
        name: name.into(),
        owner: *sender,
        reward_token,
        treasury,
        params: params.clone(),
        pending: None,
        created_at: height,
        index_len: 0,
        accepted_total: 0,
        stats: EpochStats::default(),
        stake_total: 0,
        reward_per_stake: 0,
        staker_reserve: 0,
        staker_dust: 0,
    };
    state::put(s, state::pool_key(id), &record);
    state::put(s, state::pool_name_key(name), &id);
    let mut ids = state::pool_ids(s)?;
    ids.push(id);
    state::put(s, state::pools_key(), &ids);
    Ok(vec![DataEvent::PoolCreated {
        pool: id,
        name: name.into(),
        owner: *sender,
        treasury,
    }])
}

pub(crate) fn fund<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
    amount: u128,
) -> CallResult<DataEvent, CallFailure> {
    let p = require(s, pool)?;
    if amount == 0 {
        return fail(DataFailure::ZeroAmount);
    }
    synod_tokens::transfer(s, p.reward_token, sender, &p.treasury, amount)
        .map_err(|e| e.widen())?;
    Ok(vec![DataEvent::PoolFunded {
        pool,
        from: *sender,
        amount,
    }])
}

pub(crate) fn queue_update<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    timelock: u64,
    sender: &AccountId,
    pool: PoolId,
    params: &PoolParams,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require_owner(s, sender, pool)?;
    if p.pending.is_some() {
        return fail(DataFailure::UpdatePending { pool });
    }
    check_params(params)?;
    let ready_at = height.checked_add(timelock).ok_or(DataFailure::Overflow)?;
    p.pending = Some(PendingUpdate {
        params: params.clone(),
        ready_at,
    });
    state::put(s, state::pool_key(pool), &p);
    Ok(vec![DataEvent::PoolUpdateQueued { pool, ready_at }])
}

pub(crate) fn apply_update<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    pool: PoolId,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require(s, pool)?;
    let Some(pending) = p.pending.take() else {
        return fail(DataFailure::NoPendingUpdate { pool });
    };
    if height < pending.ready_at {
        return fail(DataFailure::TimelockActive {
            ready_at: pending.ready_at,
        });
    }
    p.params = pending.params;
    state::put(s, state::pool_key(pool), &p);
    Ok(vec![DataEvent::PoolUpdated { pool }])
}

pub(crate) fn cancel_update<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require_owner(s, sender, pool)?;
    if p.pending.take().is_none() {
        return fail(DataFailure::NoPendingUpdate { pool });
    }
    state::put(s, state::pool_key(pool), &p);
    Ok(vec![DataEvent::PoolUpdateCancelled { pool }])
}

/// Rewards a stake has earned since it was last settled, added to `owed`.
pub fn settle(p: &PoolRecord, st: &mut StakeRecord) -> DataResult<()> {
    let delta = p.reward_per_stake.saturating_sub(st.settled_at);
    let earned = u128::from(st.amount)
        .checked_mul(delta)
        .ok_or(DataFailure::Overflow)?
        / REWARD_SCALE;
    let earned = Balance::try_from(earned).map_err(|_| DataFailure::Overflow)?;
    st.owed = st.owed.checked_add(earned).ok_or(DataFailure::Overflow)?;
    st.settled_at = p.reward_per_stake;
    Ok(())
}

/// Pays a stake's owed rewards out of the pool's reserve (capped by it: rounding can only
/// leave the reserve a little above what stakes are owed).
fn pay_owed<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    pool: PoolId,
    p: &mut PoolRecord,
    staker: &AccountId,
    st: &mut StakeRecord,
) -> DataResult<Option<DataEvent>> {
    let pay = st.owed.min(p.staker_reserve);
    st.owed = 0;
    if pay == 0 {
        return Ok(None);
    }
    p.staker_reserve -= pay;
    bank::transfer(s, &module_account(), staker, pay)?;
    Ok(Some(DataEvent::StakeRewardsPaid {
        pool,
        staker: *staker,
        amount: pay,
    }))
}

fn put_stake<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    pool: PoolId,
    a: &AccountId,
    st: &StakeRecord,
) {
    if st.amount == 0 && st.owed == 0 {
        s.delete(state::stake_key(pool, a));
    } else {
        state::put(s, state::stake_key(pool, a), st);
    }
}

pub(crate) fn stake<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
    amount: Balance,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require(s, pool)?;
    if amount == 0 {
        return fail(DataFailure::ZeroAmount);
    }
    let mut st = state::stake(s, pool, sender)?;
    settle(&p, &mut st)?;
    bank::transfer(s, sender, &module_account(), amount)?;
    st.amount = st.amount.checked_add(amount).ok_or(DataFailure::Overflow)?;
    p.stake_total = p
        .stake_total
        .checked_add(amount)
        .ok_or(DataFailure::Overflow)?;
    put_stake(s, pool, sender, &st);
    state::put(s, state::pool_key(pool), &p);
    Ok(vec![DataEvent::PoolStaked {
        pool,
        staker: *sender,
        amount,
    }])
}

pub(crate) fn unstake<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
    amount: Balance,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require(s, pool)?;
    if amount == 0 {
        return fail(DataFailure::ZeroAmount);
    }
    let mut st = state::stake(s, pool, sender)?;
    if st.amount < amount {
        return fail(DataFailure::Insufficient {
            available: u128::from(st.amount),
        });
    }
    settle(&p, &mut st)?;
    let mut events = Vec::new();
    events.extend(pay_owed(s, pool, &mut p, sender, &mut st)?);
    st.amount -= amount;
    p.stake_total -= amount;
    bank::transfer(s, &module_account(), sender, amount)?;
    put_stake(s, pool, sender, &st);
    state::put(s, state::pool_key(pool), &p);
    events.push(DataEvent::PoolUnstaked {
        pool,
        staker: *sender,
        amount,
    });
    Ok(events)
}

pub(crate) fn claim<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
) -> CallResult<DataEvent, CallFailure> {
    let mut p = require(s, pool)?;
    let mut st = state::stake(s, pool, sender)?;
    settle(&p, &mut st)?;
    let events: Vec<DataEvent> = pay_owed(s, pool, &mut p, sender, &mut st)?
        .into_iter()
        .collect();
    put_stake(s, pool, sender, &st);
    state::put(s, state::pool_key(pool), &p);
    Ok(events)
}

pub(crate) fn withdraw_treasury<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
    amount: Balance,
) -> CallResult<DataEvent, CallFailure> {
    let p = require_owner(s, sender, pool)?;
    if amount == 0 {
        return fail(DataFailure::ZeroAmount);
    }
    let available = bank::account(s, &p.treasury)?.balance;
    if available < amount {
        return fail(DataFailure::Insufficient {
            available: u128::from(available),
        });
    }
    bank::transfer(s, &p.treasury, sender, amount)?;
    Ok(vec![DataEvent::TreasuryWithdrawn { pool, amount }])
}

/// The epoch a height is in.
pub fn epoch_of(height: Height, g: &DataGenesis) -> u64 {
    height / g.epoch_blocks
}

/// A pool's counts for `epoch` (zero when its stored counts are of an older epoch).
pub fn stats_in(p: &PoolRecord, epoch: u64) -> EpochStats {
    if p.stats.epoch == epoch {
        p.stats
    } else {
        EpochStats {
            epoch,
            ..EpochStats::default()
        }
    }
}

/// Each pool's share of `total`: `total × s_i / Σ s` with `s_i = Σ_m w_m × ⌊x_mi · 10^12 /
/// X_m⌋` over the measures with `X_m > 0`. Rounded down: the rest stays for the next epoch.
///
/// No step overflows: every measure is below 2^64 (counts and SYN amounts), so `x · 10^12 <
/// 2^104`; weights sum to 10^6, so `s_i ≤ 10^18 < 2^60` and `total · s_i < 2^124`.
pub fn split(total: Balance, measures: &[[u64; 4]], weights: [u32; 4]) -> Vec<Balance> {
    const FIXED: u128 = 1_000_000_000_000;
    let mut totals = [0u128; 4];
    for m in measures {
        for (t, x) in totals.iter_mut().zip(m) {
            *t += u128::from(*x);
        }
    }
    let scores: Vec<u128> = measures
        .iter()
        .map(|m| {
            (0..4)
                .filter(|&k| totals[k] > 0)
                .map(|k| u128::from(weights[k]) * (u128::from(m[k]) * FIXED / totals[k]))
                .sum()
        })
        .collect();
    let sum: u128 = scores.iter().sum();
    if sum == 0 {
        return vec![0; measures.len()];
    }
    scores
        .iter()
        .map(|s_i| (u128::from(total) * s_i / sum) as Balance)
        .collect()
}

/// The end-of-epoch split, at the last block of each epoch.
pub(crate) fn end_block<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    g: &DataGenesis,
) -> Result<Vec<DataEvent>, StateError> {
    if !(height + 1).is_multiple_of(g.epoch_blocks) {
        return Ok(Vec::new());
    }
    let epoch = epoch_of(height, g);
    let pot = emission_account();
    let total = bank::account(s, &pot)?.balance;
    if total == 0 {
        return Ok(Vec::new());
    }
    let ids = state::pool_ids(s)?;
    let mut pools = Vec::with_capacity(ids.len());
    let mut measures = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = state::pool(s, id)? else {
            continue;
        };
        let st = stats_in(&p, epoch);
        measures.push([st.accepted, st.contributors, st.access_fees, p.stake_total]);
        pools.push((id, p));
    }
    let w = g.weights;
    let parts = split(
        total,
        &measures,
        [
            w.accepted_ppm,
            w.contributors_ppm,
            w.access_fees_ppm,
            w.stake_ppm,
        ],
    );
    let mut paid = Vec::new();
    let mut distributed: Balance = 0;
    for ((id, mut p), part) in pools.into_iter().zip(parts) {
        if part == 0 {
            continue;
        }
        let result = pay_pool(s, id, &mut p, part);
        match result {
            Ok(()) => {}
            Err(synod_module::CallError::State(e)) => return Err(e),
            Err(synod_module::CallError::Failed(f)) => {
                return Err(StateError::Corrupt {
                    key: format!("data/pool/{id}"),
                    reason: f.to_string(),
                });
            }
        }
        state::put(s, state::pool_key(id), &p);
        distributed += part;
        paid.push((id, part));
    }
    if paid.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![DataEvent::EpochRewards {
        epoch,
        total: distributed,
        pools: paid,
    }])
}

/// Moves a pool's part from the pot: the stakers' share into the module account (raising
/// `reward_per_stake`), the rest, with what the per-stake rounding leaves, to the treasury.
fn pay_pool<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    _id: PoolId,
    p: &mut PoolRecord,
    part: Balance,
) -> DataResult<()> {
    let pot = emission_account();
    let mut to_stakers: Balance = 0;
    if p.stake_total > 0 {
        let share =
            (u128::from(part) * u128::from(p.params.staker_share_ppm) / u128::from(PPM)) as Balance;
        let per_stake = u128::from(share) * REWARD_SCALE / u128::from(p.stake_total);
        // Stakes will claim `per_stake × stake_total / SCALE` in total, a fraction included:
        // move the whole base units now and carry the fraction, so that what the module
        // account receives is never below what the stakes can claim.
        let credit = per_stake * u128::from(p.stake_total) + p.staker_dust;
        to_stakers = Balance::try_from(credit / REWARD_SCALE).map_err(|_| DataFailure::Overflow)?;
        p.staker_dust = credit % REWARD_SCALE;
        p.reward_per_stake = p
            .reward_per_stake
            .checked_add(per_stake)
            .ok_or(DataFailure::Overflow)?;
        p.staker_reserve = p
            .staker_reserve
            .checked_add(to_stakers)
            .ok_or(DataFailure::Overflow)?;
    }
    if to_stakers > 0 {
        bank::transfer(s, &pot, &module_account(), to_stakers)?;
    }
    let to_treasury = part - to_stakers;
    if to_treasury > 0 {
        bank::transfer(s, &pot, &p.treasury, to_treasury)?;
    }
    Ok(())
}
