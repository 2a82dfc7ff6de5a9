//! Vesting: a holder escrows units that release linearly to a beneficiary (see
//! [`crate::state::vested_amount`] for the schedule). Escrowed units stay in the supply; they
//! belong to nobody's balance until claimed.

use crate::ledger::TokenResult;
use crate::state::{self, VestingRecord};
use crate::wire::{TokenAmount, TokenEvent, TokenFailure, TokenId, VestingId};
use synod_primitives::AccountId;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;

/// The shape of a vesting schedule (the fields of `TokenCall::CreateVesting` after the token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VestingTerms {
    /// Who may claim.
    pub beneficiary: AccountId,
    /// Units escrowed.
    pub amount: TokenAmount,
    /// Start height (may be in the past).
    pub start: u64,
    /// Blocks after `start` before anything vests (at most `duration`).
    pub cliff: u64,
    /// Blocks after `start` until everything vests (at least 1).
    pub duration: u64,
}

fn invalid(detail: &str) -> TokenFailure {
    TokenFailure::InvalidVesting {
        detail: detail.to_owned(),
    }
}

/// Moves `terms.amount` of `funder`'s free balance into a new vesting schedule of `token`.
/// Returns its id and event.
pub fn create_vesting<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    funder: &AccountId,
    terms: &VestingTerms,
) -> TokenResult<(VestingId, TokenEvent)> {
    if terms.amount == 0 {
        return Err(TokenFailure::ZeroAmount.into());
    }
    if terms.duration == 0 {
        return Err(invalid("duration must be at least 1 block").into());
    }
    if terms.cliff > terms.duration {
        return Err(invalid("cliff must not be longer than duration").into());
    }
    if terms.start.checked_add(terms.duration).is_none() {
        return Err(invalid("start + duration overflows a block height").into());
    }
    let mut rec = state::require_token(s, token)?;
    let available = state::balance(s, token, funder)?;
    let free = available
        .checked_sub(terms.amount)
        .ok_or(TokenFailure::InsufficientBalance {
            needed: terms.amount,
            available,
        })?;
    let id = rec.next_vesting_id;
    rec.next_vesting_id = id.checked_add(1).ok_or(TokenFailure::Overflow)?;
    rec.escrowed = rec
        .escrowed
        .checked_add(terms.amount)
        .ok_or(TokenFailure::Overflow)?;
    let v = VestingRecord {
        funder: *funder,
        beneficiary: terms.beneficiary,
        amount: terms.amount,
        claimed: 0,
        start: terms.start,
        cliff: terms.cliff,
        duration: terms.duration,
        created_at: height,
    };
    state::set_balance(s, token, funder, free);
    state::set_vesting(s, token, id, &v);
    state::put_token(s, token, &rec);
    Ok((
        id,
        TokenEvent::VestingCreated {
            token,
            vesting_id: id,
            funder: *funder,
            beneficiary: terms.beneficiary,
            amount: terms.amount,
            start: terms.start,
            cliff: terms.cliff,
            duration: terms.duration,
        },
    ))
}

/// Pays `sender`, the beneficiary of vesting `id` of `token`, what has vested by `height` and
/// was not claimed yet. A fully claimed schedule is deleted.
pub fn claim_vested<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    id: VestingId,
    sender: &AccountId,
) -> TokenResult<TokenEvent> {
    let mut rec = state::require_token(s, token)?;
    let mut v =
        state::vesting(s, token, id)?.ok_or(TokenFailure::VestingNotFound { vesting_id: id })?;
    if v.beneficiary != *sender {
        return Err(TokenFailure::NotBeneficiary.into());
    }
    if height < v.cliff_ends() {
        return Err(TokenFailure::ClaimBeforeCliff {
            cliff_ends: v.cliff_ends(),
        }
        .into());
    }
    let amount = v.vested_at(height).saturating_sub(v.claimed);
    if amount == 0 {
        return Err(TokenFailure::NothingToClaim.into());
    }
    let to_after = state::balance(s, token, sender)?
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?;
    rec.escrowed = rec
        .escrowed
        .checked_sub(amount)
        .ok_or(TokenFailure::Overflow)?;
    v.claimed = v
        .claimed
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?;
    state::set_balance(s, token, sender, to_after);
    state::set_vesting(s, token, id, &v);
    state::put_token(s, token, &rec);
    Ok(TokenEvent::VestingClaimed {
        token,
        vesting_id: id,
        beneficiary: *sender,
        amount,
        remaining: v.unclaimed(),
    })
}
