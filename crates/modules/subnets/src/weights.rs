//! Weights: direct setting and hash commit–reveal, with every subtensor check.

use crate::registration::{neuron, require_hotkey_or_owner, subnet, subnet_state, uid_of};
use crate::state::{self, EpochResults, Neuron, SubnetInfo, SubnetState, WeightCommit};
use crate::wire::{
    MAX_SALT_LEN, MAX_WEIGHTS_LEN, NetUid, SubnetEvent, SubnetFailure, Uid, weights_commit_hash,
};
use crate::{CallError, CallResult};
use crate::{Ctx, sf};
use synod_primitives::{AccountId, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;

/// A weight row as stored: `(uid, value)` sorted by UID, max-upscaled so the largest is 65535.
pub type WeightRow = Vec<(Uid, u16)>;

/// Max-upscales `values` to u16 (the largest becomes 65535, others rounded half up).
pub fn max_upscale(values: &[u16]) -> Vec<u16> {
    let max = values.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return vec![0; values.len()];
    }
    let m = u64::from(max);
    values
        .iter()
        .map(|&v| ((u64::from(v) * 65_535 + m / 2) / m) as u16)
        .collect()
}

/// Checks a weight vector for `uid` against the subnet (reference §8) and returns the row to
/// store.
#[allow(clippy::too_many_arguments)]
fn check_weights(
    info: &SubnetInfo,
    st: &SubnetState,
    res: &EpochResults,
    hotkey: &AccountId,
    uid: Uid,
    uids: &[Uid],
    values: &[u16],
    version_key: u64,
) -> Result<WeightRow, CallError> {
    let hp = &info.hyperparams;
    let n = usize::from(st.n);
    if uids.len() != values.len() {
        return Err(sf(SubnetFailure::WeightVecLength {
            detail: format!("{} uids but {} values", uids.len(), values.len()),
        }));
    }
    if uids.len() > n || uids.len() > MAX_WEIGHTS_LEN {
        return Err(sf(SubnetFailure::WeightVecLength {
            detail: format!("{} weights for {n} uids", uids.len()),
        }));
    }
    if hp.weights_version_key != 0 && version_key < hp.weights_version_key {
        return Err(sf(SubnetFailure::IncorrectVersionKey {
            got: version_key,
            required: hp.weights_version_key,
        }));
    }
    let self_only = uids.len() == 1 && uids[0] == uid;
    let permitted = res.permit.get(usize::from(uid)).copied().unwrap_or(false);
    if !self_only && !permitted && *hotkey != info.owner_hotkey {
        return Err(sf(SubnetFailure::NoValidatorPermit));
    }
    let mut seen = std::collections::BTreeSet::new();
    for &u in uids {
        if !seen.insert(u) {
            return Err(sf(SubnetFailure::DuplicateUid { uid: u }));
        }
        if usize::from(u) >= n {
            return Err(sf(SubnetFailure::UidNotFound { uid: u }));
        }
    }
    let min = usize::from(hp.min_allowed_weights).min(n);
    if !self_only && uids.len() < min {
        return Err(sf(SubnetFailure::TooFewWeights {
            got: uids.len(),
            min,
        }));
    }
    if !self_only && hp.max_weights_limit < u16::MAX {
        let max = u128::from(values.iter().copied().max().unwrap_or(0));
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        if max * 65_535 > u128::from(hp.max_weights_limit) * sum {
            return Err(sf(SubnetFailure::MaxWeightExceeded {
                limit: hp.max_weights_limit,
            }));
        }
    }
    let mut row: WeightRow = uids.iter().copied().zip(max_upscale(values)).collect();
    row.sort_unstable();
    Ok(row)
}

struct Loaded {
    info: SubnetInfo,
    st: SubnetState,
    uid: Uid,
    neuron: Neuron,
}

fn load(
    s: &(impl StateRead + ?Sized),
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<Loaded, CallError> {
    let info = subnet(s, netuid)?;
    require_hotkey_or_owner(s, sender, hotkey)?;
    let uid = uid_of(s, netuid, hotkey)?.ok_or(sf(SubnetFailure::NotRegistered { netuid }))?;
    let neuron = neuron(s, netuid, uid)?.ok_or(sf(SubnetFailure::NotRegistered { netuid }))?;
    let st = subnet_state(s, netuid)?;
    Ok(Loaded {
        info,
        st,
        uid,
        neuron,
    })
}

fn rate_limit(n: &Neuron, limit: u64, now: u64) -> Result<(), CallError> {
    if let Some(last) = n.last_weights_call {
        let next = last.saturating_add(limit);
        if now < next {
            return Err(sf(SubnetFailure::RateLimited { next }));
        }
    }
    Ok(())
}

/// `set_weights` (commit-reveal off).
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_weights<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    uids: &[Uid],
    values: &[u16],
    version_key: u64,
) -> CallResult {
    let mut l = load(s, sender, netuid, hotkey)?;
    if l.info.hyperparams.commit_reveal_enabled {
        return Err(sf(SubnetFailure::CommitRevealEnabled));
    }
    rate_limit(&l.neuron, l.info.hyperparams.weights_rate_limit, ctx.height)?;
    let res: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    let row = check_weights(
        &l.info,
        &l.st,
        &res,
        hotkey,
        l.uid,
        uids,
        values,
        version_key,
    )?;
    state::put(s, state::weights_key(netuid, l.uid), &row);
    l.neuron.last_update = ctx.height;
    l.neuron.last_weights_call = Some(ctx.height);
    l.neuron.weights_block = Some(ctx.height);
    state::put(s, state::neuron_key(netuid, l.uid), &l.neuron);
    Ok(vec![SubnetEvent::WeightsSet { netuid, uid: l.uid }])
}

/// The epoch in which a commit must be revealed.
fn reveal_epoch(c: &WeightCommit, period: u64) -> u64 {
    c.epoch.saturating_add(period)
}

/// `commit_weights`.
pub(crate) fn commit_weights<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    commit_hash: Hash,
) -> CallResult {
    let mut l = load(s, sender, netuid, hotkey)?;
    let hp = &l.info.hyperparams;
    if !hp.commit_reveal_enabled {
        return Err(sf(SubnetFailure::CommitRevealDisabled));
    }
    rate_limit(&l.neuron, hp.weights_rate_limit, ctx.height)?;
    let key = state::commits_key(netuid, hotkey);
    let mut commits: Vec<WeightCommit> = state::get_or_default(s, &key)?;
    let period = hp.reveal_period_epochs;
    commits.retain(|c| reveal_epoch(c, period) >= l.st.epoch_index);
    if commits.len() >= ctx.params.max_commits as usize {
        return Err(sf(SubnetFailure::TooManyCommits {
            max: ctx.params.max_commits,
        }));
    }
    commits.push(WeightCommit {
        hash: commit_hash,
        block: ctx.height,
        epoch: l.st.epoch_index,
    });
    state::put(s, key, &commits);
    // Commits count for activity.
    l.neuron.last_update = ctx.height;
    l.neuron.last_weights_call = Some(ctx.height);
    state::put(s, state::neuron_key(netuid, l.uid), &l.neuron);
    Ok(vec![SubnetEvent::WeightsCommitted {
        netuid,
        uid: l.uid,
        commit_hash,
    }])
}

/// `reveal_weights`: accepted only in the commit's reveal epoch; the stored row is dated at
/// the commit block, so it never counts toward UIDs registered after the commit (UID sniping).
#[allow(clippy::too_many_arguments)]
pub(crate) fn reveal_weights<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    uids: &[Uid],
    values: &[u16],
    salt: &[u8],
    version_key: u64,
) -> CallResult {
    let mut l = load(s, sender, netuid, hotkey)?;
    if !l.info.hyperparams.commit_reveal_enabled {
        return Err(sf(SubnetFailure::CommitRevealDisabled));
    }
    if salt.len() > MAX_SALT_LEN {
        return Err(sf(SubnetFailure::SaltTooLong));
    }
    let hash = weights_commit_hash(hotkey, netuid, uids, values, salt, version_key);
    let key = state::commits_key(netuid, hotkey);
    let mut commits: Vec<WeightCommit> = state::get_or_default(s, &key)?;
    let pos = commits
        .iter()
        .position(|c| c.hash == hash)
        .ok_or(sf(SubnetFailure::NoMatchingCommit))?;
    let period = l.info.hyperparams.reveal_period_epochs;
    let commit = commits[pos].clone();
    let due = reveal_epoch(&commit, period);
    if l.st.epoch_index < due {
        return Err(sf(SubnetFailure::RevealTooEarly {
            reveal_epoch: due,
            current_epoch: l.st.epoch_index,
        }));
    }
    if l.st.epoch_index > due {
        return Err(sf(SubnetFailure::CommitExpired { reveal_epoch: due }));
    }
    let res: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    let row = check_weights(
        &l.info,
        &l.st,
        &res,
        hotkey,
        l.uid,
        uids,
        values,
        version_key,
    )?;
    commits.remove(pos);
    commits.retain(|c| reveal_epoch(c, period) >= l.st.epoch_index);
    state::put_or_delete(s, key, &commits);
    state::put(s, state::weights_key(netuid, l.uid), &row);
    l.neuron.last_update = ctx.height;
    l.neuron.weights_block = Some(commit.block);
    state::put(s, state::neuron_key(netuid, l.uid), &l.neuron);
    Ok(vec![SubnetEvent::WeightsSet { netuid, uid: l.uid }])
}

#[cfg(test)]
mod tests {
    use super::max_upscale;

    #[test]
    fn upscale_rounds_half_up_with_max_at_65535() {
        assert_eq!(max_upscale(&[1, 2, 4]), vec![16384, 32768, 65535]);
        assert_eq!(max_upscale(&[0, 0]), vec![0, 0]);
        assert_eq!(max_upscale(&[3]), vec![65535]);
    }
}
