//! Read-only views served over RPC. They read a committed state whose head is at `height`; the
//! "current epoch" is the epoch of the next block, whose set is already stored.

use crate::state::{self, ValidatorRecord};
use crate::wire::{SetMember, StakingParams, UnbondingEntry};
use crate::{members, select};
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::typed::StateError;

/// The validator set now and the candidates for the next epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidatorSetView {
    /// Height the view was read at.
    pub height: u64,
    /// The epoch of the next block.
    pub epoch: u64,
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Height of the last block of `epoch`; the next set is fixed at its end.
    pub epoch_end_height: u64,
    /// The set of `epoch`, with the stake each member had when it was selected.
    pub validators: Vec<SetMember>,
    /// The set the rule would pick for `epoch + 1` if the epoch ended now (may still change).
    pub next_candidates: Vec<SetMember>,
    /// Sum of bonded stake.
    pub total_bonded: Balance,
    /// Sum of stake unbonding.
    pub total_unbonding: Balance,
    /// Sum burned by slashing so far.
    pub total_slashed_burned: Balance,
    /// The staking parameters.
    pub params: StakingParams,
}

/// One account's standing in the validator-set module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidatorView {
    /// The account.
    pub account: AccountId,
    /// Height the view was read at.
    pub height: u64,
    /// The epoch of the next block.
    pub epoch: u64,
    /// Bonded stake.
    pub bonded: Balance,
    /// Unbonding entries, earliest release first.
    pub unbonding: Vec<UnbondingEntry>,
    /// What `Withdraw` would pay in the next block.
    pub withdrawable: Balance,
    /// Slashed for equivocation: never selected again.
    pub tombstoned: bool,
    /// Total slashed so far.
    pub slashed: Balance,
    /// Member of the current epoch's set.
    pub in_current_set: bool,
    /// Would be selected for the next epoch if it ended now.
    pub in_next_set: bool,
}

/// The set view at a state whose head is `height`.
pub fn validator_set(
    s: &(impl StateRead + ?Sized),
    height: u64,
    params: &StakingParams,
) -> Result<ValidatorSetView, StateError> {
    let epoch = state::current_epoch(s)?;
    let current = state::set_for_epoch(s, epoch)?.unwrap_or_default();
    let next = select(s, params)?;
    let t = state::totals(s)?;
    Ok(ValidatorSetView {
        height,
        epoch,
        epoch_length: params.epoch_len(),
        epoch_end_height: params.last_height_of(epoch),
        validators: members(&current),
        next_candidates: members(&next),
        total_bonded: t.bonded,
        total_unbonding: t.unbonding,
        total_slashed_burned: t.burned,
        params: *params,
    })
}

/// One account's view at a state whose head is `height`.
pub fn validator(
    s: &(impl StateRead + ?Sized),
    account: &AccountId,
    height: u64,
    params: &StakingParams,
) -> Result<ValidatorView, StateError> {
    let epoch = state::current_epoch(s)?;
    let rec: ValidatorRecord = state::record(s, account)?.unwrap_or_default();
    let in_current_set =
        state::set_for_epoch(s, epoch)?.is_some_and(|set| set.iter().any(|(a, _)| a == account));
    let in_next_set = select(s, params)?.iter().any(|(a, _)| a == account);
    let withdrawable = rec
        .unbonding
        .iter()
        .filter(|e| e.release_epoch <= epoch)
        .fold(0u64, |a, e| a.saturating_add(e.amount));
    Ok(ValidatorView {
        account: *account,
        height,
        epoch,
        bonded: rec.bonded,
        unbonding: rec.unbonding,
        withdrawable,
        tombstoned: rec.tombstoned,
        slashed: rec.slashed,
        in_current_set,
        in_next_set,
    })
}
