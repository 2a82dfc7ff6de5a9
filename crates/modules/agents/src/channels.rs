//! One-way payment channels on chain: `synod-agents-rules`' channel machine stored under
//! `agents/chan/`, the deposit held by a keyless account per channel, unilateral closes settled
//! at the end of the block their challenge window ends in (or by anyone's `SettleChannel`).

use synod_agents_rules::{
    Asset, Channel, ChannelError, ChannelPhase, Settlement, SignedChannelState,
};
use synod_module::{BlockCtx, CallError, StateError};
use synod_primitives::{AccountId, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;

use crate::deals::move_asset;
use crate::{AgentEvent, AgentFailure, CallFailure, NAME};

/// Key of a channel.
pub fn channel_key(id: &Hash) -> Vec<u8> {
    [b"agents/chan/".as_slice(), &id.0].concat()
}
/// Key of a payer's channel counter (the salt of its next channel id).
pub fn salt_key(payer: &AccountId) -> Vec<u8> {
    [b"agents/chansalt/".as_slice(), &payer.0].concat()
}
/// Key of the channels whose challenge window ends at a height.
pub fn due_key(height: Height) -> Vec<u8> {
    [b"agents/cdue/".as_slice(), &height.to_be_bytes()].concat()
}

/// A channel by id.
pub fn get<R: StateRead + ?Sized>(s: &R, id: &Hash) -> Result<Option<Channel>, StateError> {
    typed::get(s, &channel_key(id))
}

/// The keyless account holding a channel's deposit.
pub fn deposit_account(id: &Hash) -> AccountId {
    synod_module::derived_account(NAME, &[b"chan/".as_slice(), &id.0].concat())
}

type Result2<T> = Result<T, CallError<CallFailure>>;

fn refused(e: ChannelError) -> CallError<CallFailure> {
    CallError::Failed(CallFailure::Agents(AgentFailure::ChannelRefused {
        refusal: e,
    }))
}

fn require<R: StateRead + ?Sized>(s: &R, id: &Hash) -> Result2<Channel> {
    get(s, id)?.ok_or(CallError::Failed(CallFailure::Agents(
        AgentFailure::UnknownChannel { channel: *id },
    )))
}

fn pay_out<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    id: &Hash,
    closed: &Channel,
    st: &Settlement,
) -> Result2<AgentEvent> {
    let from = deposit_account(id);
    move_asset(s, st.asset, &from, &st.payee, st.to_payee)?;
    move_asset(s, st.asset, &from, &st.payer, st.to_payer)?;
    typed::put(s, channel_key(id), closed);
    Ok(AgentEvent::ChannelSettled {
        channel: *id,
        to_payee: st.to_payee,
        to_payer: st.to_payer,
    })
}

/// `OpenChannel`: the deposit moves from the payer into the channel.
pub fn open<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    payer: &AccountId,
    payee: &AccountId,
    asset: Asset,
    deposit: u128,
    challenge_period: u64,
) -> Result2<Vec<AgentEvent>> {
    let salt: u64 = typed::get(s, &salt_key(payer))?.unwrap_or(0);
    let ch =
        Channel::open(*payer, *payee, asset, deposit, challenge_period, salt).map_err(refused)?;
    typed::put(s, salt_key(payer), &salt.saturating_add(1));
    move_asset(s, asset, payer, &deposit_account(&ch.id), deposit)?;
    typed::put(s, channel_key(&ch.id), &ch);
    Ok(vec![AgentEvent::ChannelOpened {
        channel: ch.id,
        payer: *payer,
        payee: *payee,
        deposit,
    }])
}

/// `CloseChannel` (cooperative): settles at once.
pub fn close<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    close: &SignedChannelState,
) -> Result2<Vec<AgentEvent>> {
    let id = close.state.channel_id;
    let ch = require(s, &id)?;
    let (closed, st) = ch.cooperative_close(close).map_err(refused)?;
    Ok(vec![pay_out(s, &id, &closed, &st)?])
}

fn closing_event(ch: &Channel) -> Option<AgentEvent> {
    match ch.phase {
        ChannelPhase::Closing {
            nonce,
            cumulative_paid,
            challenge_ends,
        } => Some(AgentEvent::ChannelClosing {
            channel: ch.id,
            nonce,
            cumulative_paid,
            challenge_ends,
        }),
        _ => None,
    }
}

/// `StartClose`: a party posts its latest co-signed state; the challenge window starts.
pub fn start_close<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    now: Height,
    actor: &AccountId,
    id: &Hash,
    latest: Option<&SignedChannelState>,
) -> Result2<Vec<AgentEvent>> {
    let ch = require(s, id)?;
    let next = ch.start_close(actor, latest, now).map_err(refused)?;
    if let ChannelPhase::Closing { challenge_ends, .. } = next.phase {
        let mut list: Vec<Hash> = typed::get(s, &due_key(challenge_ends))?.unwrap_or_default();
        list.push(*id);
        typed::put(s, due_key(challenge_ends), &list);
    }
    typed::put(s, channel_key(id), &next);
    Ok(closing_event(&next).into_iter().collect())
}

/// `ChallengeClose`: a newer co-signed state replaces the pending one within the window.
pub fn challenge<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    now: Height,
    newer: &SignedChannelState,
) -> Result2<Vec<AgentEvent>> {
    let id = newer.state.channel_id;
    let ch = require(s, &id)?;
    let next = ch.challenge(newer, now).map_err(refused)?;
    typed::put(s, channel_key(&id), &next);
    Ok(closing_event(&next).into_iter().collect())
}

/// `SettleChannel`: from the end of the window, anyone settles.
pub fn settle<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    now: Height,
    id: &Hash,
) -> Result2<Vec<AgentEvent>> {
    let ch = require(s, id)?;
    let (closed, st) = ch.settle(now).map_err(refused)?;
    Ok(vec![pay_out(s, id, &closed, &st)?])
}

/// The per-block step: channels whose challenge window ends at this height settle.
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
        let Some(ch) = get(s, &id)? else { continue };
        // Already settled (cooperatively or by a `SettleChannel`), or not yet due.
        let Ok((closed, st)) = ch.settle(h) else {
            continue;
        };
        match pay_out(s, &id, &closed, &st) {
            Ok(ev) => events.push(ev),
            Err(CallError::State(e)) => return Err(e),
            Err(CallError::Failed(f)) => {
                return Err(StateError::Corrupt {
                    key: format!("agents/chan/{id}"),
                    reason: f.to_string(),
                });
            }
        }
    }
    Ok(events)
}
