//! Escrowed deals on chain: `synod-agents-rules`' deal machine stored under `agents/deal/`,
//! its escrow held by a keyless account per deal, deadlines advanced at the end of the block
//! they fall in, and reputation counted per party.

use borsh::{BorshDeserialize, BorshSerialize};
use synod_agents_rules::{Action, Asset, Deal, DealState, Terms, Transfer, deal};
use synod_bank::BankFailure;
use synod_module::{BlockCtx, CallError, StateError};
use synod_primitives::{AccountId, Balance, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;

use crate::{AgentEvent, AgentFailure, CallFailure, NAME};

/// Counters of a party's record, kept on chain.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Reputation {
    /// Payments settled by its sessions.
    pub settled_payments: u64,
    /// Deals it completed (accepted, or resolved with the seller paid) as buyer or seller.
    pub deals_completed: u64,
    /// Disputes it lost (as seller: resolved with nothing paid after a rejection).
    pub disputes_lost: u64,
    /// Deals it failed to deliver before the deadline (as seller).
    pub expired_deliveries: u64,
}

/// Key of a deal.
pub fn deal_key(id: &Hash) -> Vec<u8> {
    [b"agents/deal/".as_slice(), &id.0].concat()
}
/// Key of the deals due at a height.
pub fn due_key(height: Height) -> Vec<u8> {
    [b"agents/ddue/".as_slice(), &height.to_be_bytes()].concat()
}
/// Key of an account's reputation.
pub fn reputation_key(account: &AccountId) -> Vec<u8> {
    [b"agents/rep/".as_slice(), &account.0].concat()
}

/// Counts one settled payment on `account`'s record (a payment its own key signed; a
/// session's payments count on its agent through [`crate::authorize`]).
pub fn record_settled_payment<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    account: &AccountId,
) -> Result<(), StateError> {
    let mut rep = reputation(s, account)?;
    rep.settled_payments = rep.settled_payments.saturating_add(1);
    typed::put(s, reputation_key(account), &rep);
    Ok(())
}

/// A deal by id.
pub fn get<R: StateRead + ?Sized>(s: &R, id: &Hash) -> Result<Option<Deal>, StateError> {
    typed::get(s, &deal_key(id))
}

/// An account's reputation.
pub fn reputation<R: StateRead + ?Sized>(
    s: &R,
    account: &AccountId,
) -> Result<Reputation, StateError> {
    Ok(typed::get(s, &reputation_key(account))?.unwrap_or_default())
}

/// The keyless account holding a deal's escrow.
pub fn escrow_account(id: &Hash) -> AccountId {
    synod_module::derived_account(NAME, &[b"deal/".as_slice(), &id.0].concat())
}

type Result2<T> = Result<T, CallError<CallFailure>>;

fn refused(e: synod_agents_rules::DealError) -> CallError<CallFailure> {
    CallError::Failed(CallFailure::Agents(AgentFailure::DealRefused {
        refusal: e,
    }))
}

/// Moves `amount` of `asset` (SYN through the bank, a token through the tokens module); deals'
/// escrows, channels' deposits and the payments module's payees all use it.
pub fn move_asset<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    asset: Asset,
    from: &AccountId,
    to: &AccountId,
    amount: u128,
) -> Result2<()> {
    if amount == 0 {
        return Ok(());
    }
    match asset {
        Asset::Native => {
            let a = Balance::try_from(amount)
                .map_err(|_| CallError::Failed(CallFailure::Bank(BankFailure::BalanceOverflow)))?;
            synod_bank::transfer(s, from, to, a)?;
        }
        Asset::Token(t) => {
            synod_tokens::transfer(s, t, from, to, amount).map_err(|e| e.widen())?;
        }
    }
    Ok(())
}

fn apply_transfers<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    id: &Hash,
    transfers: &[Transfer],
    events: &mut Vec<AgentEvent>,
) -> Result2<()> {
    let escrow = escrow_account(id);
    for t in transfers {
        let (account, asset, amount, into) = match t {
            Transfer::IntoEscrow {
                from,
                asset,
                amount,
            } => {
                move_asset(s, *asset, from, &escrow, *amount)?;
                (*from, *asset, *amount, true)
            }
            Transfer::OutOfEscrow { to, asset, amount } => {
                move_asset(s, *asset, &escrow, to, *amount)?;
                (*to, *asset, *amount, false)
            }
        };
        events.push(AgentEvent::Escrow {
            deal: *id,
            account,
            asset,
            amount,
            into,
        });
    }
    Ok(())
}

fn schedule<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    d: &Deal,
    now: Height,
) -> Result<(), StateError> {
    if let Some(due) = d.next_deadline() {
        let at = due.max(now);
        let mut list: Vec<Hash> = typed::get(s, &due_key(at))?.unwrap_or_default();
        if !list.contains(&d.terms_hash) {
            list.push(d.terms_hash);
            typed::put(s, due_key(at), &list);
        }
    }
    Ok(())
}

fn bump<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    account: &AccountId,
    f: impl FnOnce(&mut Reputation),
) -> Result<(), StateError> {
    let mut r = reputation(s, account)?;
    f(&mut r);
    typed::put(s, reputation_key(account), &r);
    Ok(())
}

/// Counts a transition into a terminal state in the parties' reputations.
fn record_outcome<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    before: &Deal,
    after: &Deal,
    transfers: &[Transfer],
) -> Result<(), StateError> {
    if before.is_terminal() || !after.is_terminal() {
        return Ok(());
    }
    let t = &after.terms;
    let seller_paid = transfers.iter().any(
        |x| matches!(x, Transfer::OutOfEscrow { to, amount, .. } if *to == t.seller && *amount > 0),
    );
    match &after.state {
        DealState::Accepted => {
            bump(s, &t.buyer, |r| r.deals_completed += 1)?;
            bump(s, &t.seller, |r| r.deals_completed += 1)?;
        }
        DealState::Resolved { .. } if seller_paid => {
            bump(s, &t.buyer, |r| r.deals_completed += 1)?;
            bump(s, &t.seller, |r| r.deals_completed += 1)?;
        }
        DealState::Resolved { .. } => bump(s, &t.seller, |r| r.disputes_lost += 1)?,
        DealState::Expired if matches!(before.state, DealState::Funded) => {
            bump(s, &t.seller, |r| r.expired_deliveries += 1)?
        }
        _ => {}
    }
    Ok(())
}

/// `ProposeDeal`.
pub fn propose<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    now: Height,
    sender: &AccountId,
    terms: &Terms,
) -> Result2<Vec<AgentEvent>> {
    let id = terms.hash();
    if get(s, &id)?.is_some() {
        return Err(CallError::Failed(CallFailure::Agents(
            AgentFailure::DealExists { deal: id },
        )));
    }
    let d = Deal::propose(terms.clone(), sender, now).map_err(refused)?;
    typed::put(s, deal_key(&id), &d);
    schedule(s, &d, now)?;
    Ok(vec![AgentEvent::DealProposed {
        deal: id,
        buyer: terms.buyer,
        seller: terms.seller,
    }])
}

/// `DealAction`: deadlines that have passed take effect first, then the action.
pub fn act<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    now: Height,
    sender: &AccountId,
    id: &Hash,
    action: &Action,
) -> Result2<Vec<AgentEvent>> {
    let Some(d) = get(s, id)? else {
        return Err(CallError::Failed(CallFailure::Agents(
            AgentFailure::UnknownDeal { deal: *id },
        )));
    };
    let mut events = Vec::new();
    let (ticked, transfers) = deal::tick(&d, now);
    if ticked != d {
        // A passed deadline decides the deal: the action is refused by the rules below, and
        // the refusal discards this too; end of block applies it instead.
        apply_transfers(s, id, &transfers, &mut events)?;
        record_outcome(s, &d, &ticked, &transfers)?;
    }
    let (next, transfers) = deal::step(&ticked, action, sender, now).map_err(refused)?;
    apply_transfers(s, id, &transfers, &mut events)?;
    record_outcome(s, &ticked, &next, &transfers)?;
    typed::put(s, deal_key(id), &next);
    schedule(s, &next, now)?;
    events.push(AgentEvent::DealChanged {
        deal: *id,
        action: action.name().into(),
        state: next.state.name().into(),
    });
    Ok(events)
}

/// The per-block step: every deal with a deadline at this height.
pub fn end_block<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
) -> Result<Vec<AgentEvent>, StateError> {
    let h = ctx.height;
    let due: Vec<Hash> = typed::get(s, &due_key(h))?.unwrap_or_default();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    s.delete(due_key(h));
    let mut events = Vec::new();
    for id in due {
        let Some(d) = get(s, &id)? else { continue };
        let (next, transfers) = deal::tick(&d, h);
        if next == d {
            schedule(s, &d, h + 1)?;
            continue;
        }
        // Escrow holds exactly what the rules say it does, so paying it out cannot fail unless
        // state is inconsistent: report that rather than skip the deal.
        if let Err(e) = apply_transfers(s, &id, &transfers, &mut events) {
            return Err(match e {
                CallError::State(e) => e,
                CallError::Failed(f) => StateError::Corrupt {
                    key: format!("agents/deal/{id}"),
                    reason: f.to_string(),
                },
            });
        }
        record_outcome(s, &d, &next, &transfers)?;
        typed::put(s, deal_key(&id), &next);
        schedule(s, &next, h + 1)?;
        events.push(AgentEvent::DealChanged {
            deal: id,
            action: "deadline".into(),
            state: next.state.name().into(),
        });
    }
    Ok(events)
}
