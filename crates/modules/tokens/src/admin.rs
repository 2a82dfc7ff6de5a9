//! Timelocked admin actions: a role queues an action, the same role executes it once
//! `queued_at + timelock` is reached, or cancels it before. Holders therefore see every mint,
//! schedule change and role hand-over `timelock` blocks before it happens.
//!
//! A role is checked against its holder *at each step*: if the admin role changes hands while
//! actions are pending, the new admin executes or cancels them. Records are kept after
//! execution or cancellation with their status, so a second attempt gets a specific failure.

use crate::ledger::{self, TokenResult};
use crate::state::{self, ActionRecord, ActionStatus};
use crate::wire::{ActionId, AdminAction, TokenEvent, TokenFailure, TokenId};
use synod_primitives::AccountId;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;

/// Queues `action` on `token` for `sender` (who must hold the action's role); it becomes
/// executable at `height + timelock`. Returns its id and event.
pub fn queue<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    timelock: u64,
    token: TokenId,
    sender: &AccountId,
    action: &AdminAction,
) -> TokenResult<(ActionId, TokenEvent)> {
    let mut rec = state::require_token(s, token)?;
    rec.require_role(action.role(), sender)?;
    match action {
        AdminAction::Mint { amount, .. } => {
            if *amount == 0 {
                return Err(TokenFailure::ZeroAmount.into());
            }
            // Refused now rather than after the timelock if it cannot fit even today (burns
            // may make room later, so execution checks again).
            if *amount > rec.room() {
                return Err(TokenFailure::ExceedsMaxSupply {
                    supply: rec.supply,
                    amount: *amount,
                    max: rec.max_supply,
                }
                .into());
            }
        }
        AdminAction::SetEmission {
            schedule: Some(e), ..
        } if e.rate == 0 => return Err(TokenFailure::InvalidEmission.into()),
        AdminAction::SetEmission { .. }
        | AdminAction::SetMintAuthority { .. }
        | AdminAction::SetAdmin { .. } => {}
    }
    let ready_at = height.checked_add(timelock).ok_or(TokenFailure::Overflow)?;
    let id = rec.next_action_id;
    rec.next_action_id = id.checked_add(1).ok_or(TokenFailure::Overflow)?;
    let record = ActionRecord {
        action: action.clone(),
        proposer: *sender,
        queued_at: height,
        ready_at,
        status: ActionStatus::Pending,
    };
    state::set_action(s, token, id, &record);
    state::put_token(s, token, &rec);
    Ok((
        id,
        TokenEvent::AdminActionQueued {
            token,
            action_id: id,
            action: action.clone(),
            ready_at,
        },
    ))
}

/// A pending action of `token` that `sender` may act on, or the failure saying why not.
fn pending_for(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    rec: &state::TokenRecord,
    id: ActionId,
    sender: &AccountId,
) -> TokenResult<ActionRecord> {
    let a = state::action(s, token, id)?.ok_or(TokenFailure::ActionNotFound { action_id: id })?;
    match a.status {
        ActionStatus::Pending => {}
        ActionStatus::Executed { .. } => {
            return Err(TokenFailure::ActionAlreadyExecuted { action_id: id }.into());
        }
        ActionStatus::Cancelled { .. } => {
            return Err(TokenFailure::ActionCancelled { action_id: id }.into());
        }
    }
    rec.require_role(a.action.role(), sender)?;
    Ok(a)
}

/// Applies pending action `id` of `token` for `sender` (who must hold its role) at `height`,
/// which must be at least its `ready_at`. Returns `AdminActionExecuted` preceded by what the
/// action did (`Minted`, or `Emitted` when a schedule change settles the old schedule).
pub fn execute<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    sender: &AccountId,
    id: ActionId,
) -> TokenResult<Vec<TokenEvent>> {
    let mut rec = state::require_token(s, token)?;
    let mut a = pending_for(s, token, &rec, id, sender)?;
    if height < a.ready_at {
        return Err(TokenFailure::TimelockActive {
            ready_at: a.ready_at,
        }
        .into());
    }
    let mut events = Vec::new();
    // Each arm checks before it writes; the action record is written last and cannot fail.
    match &a.action {
        AdminAction::Mint { to, amount } => {
            events.push(ledger::mint_into(s, token, &mut rec, to, *amount)?);
        }
        AdminAction::SetEmission { schedule } => {
            if let Some(e) = ledger::settle_emission(s, height, token, &mut rec)? {
                events.push(e);
            }
            rec.emission = *schedule;
            rec.last_emission = height;
            state::put_token(s, token, &rec);
        }
        AdminAction::SetMintAuthority { new } => {
            rec.mint_authority = *new;
            state::put_token(s, token, &rec);
        }
        AdminAction::SetAdmin { new } => {
            rec.admin = *new;
            state::put_token(s, token, &rec);
        }
    }
    a.status = ActionStatus::Executed { at: height };
    state::set_action(s, token, id, &a);
    events.push(TokenEvent::AdminActionExecuted {
        token,
        action_id: id,
        action: a.action,
    });
    Ok(events)
}

/// Drops pending action `id` of `token` for `sender` (who must hold its role).
pub fn cancel<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    sender: &AccountId,
    id: ActionId,
) -> TokenResult<TokenEvent> {
    let rec = state::require_token(s, token)?;
    let mut a = pending_for(s, token, &rec, id, sender)?;
    a.status = ActionStatus::Cancelled { at: height };
    state::set_action(s, token, id, &a);
    Ok(TokenEvent::AdminActionCancelled {
        token,
        action_id: id,
    })
}
