//! Stored records and their keys. Every key starts with `validators/`; epochs are big-endian so
//! that keys sort numerically. The candidates are one ordered set under one key, so selection
//! never needs a prefix scan and always iterates in account order.

use crate::wire::UnbondingEntry;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// Most unbonding entries one validator may have pending (entries maturing in the same epoch
/// merge, so this bounds the record's size, not how often one may unbond).
pub const MAX_UNBONDING_ENTRIES: u32 = 32;

/// One validator's (or candidate's) stake and standing.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct ValidatorRecord {
    /// Bonded stake: counts for selection and is slashable.
    pub bonded: Balance,
    /// Stake on its way out, oldest release first; slashable until it matures.
    pub unbonding: Vec<UnbondingEntry>,
    /// Slashed for equivocation: never selected again, cannot bond.
    pub tombstoned: bool,
    /// Total slashed so far.
    pub slashed: Balance,
}

impl ValidatorRecord {
    /// Sum of all unbonding entries.
    pub fn unbonding_total(&self) -> Balance {
        self.unbonding
            .iter()
            .fold(0u64, |a, e| a.saturating_add(e.amount))
    }

    /// Whether the record holds nothing and says nothing (it can be deleted).
    pub fn is_empty(&self) -> bool {
        self.bonded == 0 && self.unbonding.is_empty() && !self.tombstoned && self.slashed == 0
    }

    /// Whether it holds any stake.
    pub fn holds_stake(&self) -> bool {
        self.bonded > 0 || !self.unbonding.is_empty()
    }
}

/// Module totals, kept so that supply checks and views need not visit every record.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct Totals {
    /// Sum of bonded stake.
    pub bonded: Balance,
    /// Sum of unbonding entries not yet withdrawn.
    pub unbonding: Balance,
    /// Sum ever burned by slashing.
    pub burned: Balance,
}

/// Key of a validator record.
pub fn record_key(account: &AccountId) -> Vec<u8> {
    [b"validators/v/".as_slice(), account.as_bytes()].concat()
}

/// Key of the set of accounts that hold stake in the module.
pub const CANDIDATES_KEY: &[u8] = b"validators/candidates";
/// Key of the latest epoch whose set is stored (the epoch of the next block).
pub const EPOCH_KEY: &[u8] = b"validators/epoch";
/// Key of the module totals.
pub const TOTALS_KEY: &[u8] = b"validators/totals";
/// Key of the staking parameters, written at genesis so that the state root commits to them.
pub const PARAMS_KEY: &[u8] = b"validators/params";

/// Key of the validator set of `epoch`: borsh `Vec<(AccountId, Balance)>`.
pub fn set_key(epoch: u64) -> Vec<u8> {
    [b"validators/set/".as_slice(), &epoch.to_be_bytes()].concat()
}

/// Key recording that an offence was already punished.
pub fn offence_key(offender: &AccountId, epoch: u64, view: u64) -> Vec<u8> {
    [
        b"validators/offence/".as_slice(),
        offender.as_bytes(),
        &epoch.to_be_bytes(),
        &view.to_be_bytes(),
    ]
    .concat()
}

/// A validator's record, if it has one.
pub fn record(
    s: &(impl StateRead + ?Sized),
    account: &AccountId,
) -> Result<Option<ValidatorRecord>, StateError> {
    typed::get(s, &record_key(account))
}

/// Writes a record, deleting it when empty, and keeps the candidate set in step: an account is
/// a candidate exactly while its record holds stake.
pub fn set_record<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    account: &AccountId,
    rec: &ValidatorRecord,
) -> Result<(), StateError> {
    if rec.is_empty() {
        s.delete(record_key(account));
    } else {
        typed::put(s, record_key(account), rec);
    }
    let mut cands = candidates(s)?;
    let changed = if rec.holds_stake() {
        cands.insert(*account)
    } else {
        cands.remove(account)
    };
    if changed {
        typed::put(s, CANDIDATES_KEY.to_vec(), &cands);
    }
    Ok(())
}

/// Every account holding stake in the module, in account order.
pub fn candidates(s: &(impl StateRead + ?Sized)) -> Result<BTreeSet<AccountId>, StateError> {
    Ok(typed::get(s, CANDIDATES_KEY)?.unwrap_or_default())
}

/// The module totals.
pub fn totals(s: &(impl StateRead + ?Sized)) -> Result<Totals, StateError> {
    Ok(typed::get(s, TOTALS_KEY)?.unwrap_or_default())
}

/// Writes the module totals.
pub fn set_totals<R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, t: &Totals) {
    typed::put(s, TOTALS_KEY.to_vec(), t);
}

/// The latest epoch whose set is stored: the epoch of the block after the state's head.
pub fn current_epoch(s: &(impl StateRead + ?Sized)) -> Result<u64, StateError> {
    Ok(typed::get(s, EPOCH_KEY)?.unwrap_or(0))
}

/// The validator set of `epoch` with each member's bonded stake at selection, ordered by stake
/// descending then account bytes; `None` if that epoch's set was never computed. This is what
/// the consensus engine reads to reconfigure at an epoch boundary.
pub fn set_for_epoch(
    s: &(impl StateRead + ?Sized),
    epoch: u64,
) -> Result<Option<Vec<(AccountId, Balance)>>, StateError> {
    typed::get(s, &set_key(epoch))
}

/// Stores the set of `epoch` and makes it the current epoch.
pub fn put_set<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    epoch: u64,
    set: &Vec<(AccountId, Balance)>,
) {
    typed::put(s, set_key(epoch), set);
    typed::put(s, EPOCH_KEY.to_vec(), &epoch);
}
