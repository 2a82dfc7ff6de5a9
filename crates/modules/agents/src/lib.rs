//! # synod-agents — agents, standing intents and session keys with enforced spending rules
//!
//! Owns the user → agent → session hierarchy of issue 13: a user (any account) registers
//! agents (each its own key, consenting by signature, with a name unique under the user, so
//! `did:synod:<user>/<name>` resolves on chain); signs standing intents for an agent (caps per
//! transaction, in total and per period of blocks, expiry, allowed call kinds and payees, one
//! asset); the agent opens sessions under an intent (a fresh key with a scope within it). A
//! transaction signed by a session key whose call is `Execute` runs its inner call as the user,
//! after [`authorize`] has checked every rule (through `synod-agents-rules`) and recorded the
//! spend against the session and the intent. Revoking an agent or an intent stops every
//! session under it at once. Its JSON-RPC namespace is `agents` ([`rpc`]).
//!
//! It must not execute other modules' calls: the composition crate decodes `Execute`'s inner
//! call, tells this module what it pays ([`authorize`]) and dispatches it as the user. It moves
//! no funds itself. Deterministic like every module: block height is its only clock; execution
//! reads single keys only.
//!
//! ## State (`agents/` prefix)
//! | key | value |
//! |---|---|
//! | `agents/a/<agent:32>` | [`AgentRecord`] |
//! | `agents/name/<user:32><name>` | the agent's key |
//! | `agents/user/<user:32><agent:32>` | `()`: a user's agents (views) |
//! | `agents/intent/<hash:32>` | [`IntentRecord`] (the intent, revocation, its spend counters) |
//! | `agents/ai/<agent:32><hash:32>` | `()`: an agent's intents (views) |
//! | `agents/s/<session:32>` | [`SessionRecord`] |
//! | `agents/is/<hash:32><session:32>` | `()`: an intent's sessions (views) |
//! | `agents/asset/<agent:32>` | the id of the asset (kind `agent`) that represents the agent |
//! | `agents/growth/<hash:32>` | [`CapGrowth`]: how the intent's caps grow with its agent's record |
//!
//! ## Limits
//! - A session key pays the fees of its own transactions (it is an ordinary account, funded by
//!   the agent or user); what its inner calls spend comes from the user.
//! - Sessions make payments only: SYN transfers, token transfers, single-item asset payments
//!   ([`wire::call_kind`]); any other inner call is refused with `call_not_allowed`.

pub mod channels;
pub mod deals;
pub mod rpc;
pub mod wire;

#[cfg(test)]
mod tests;

pub use wire::{AgentCall, AgentEvent, AgentFailure, agent_binding_message, call_kind};

use borsh::{BorshDeserialize, BorshSerialize};
use synod_agents_rules::{
    CapGrowth, Intent, Ledger, Payment, SessionScope, SpendState, check_and_record_grown,
    record_points, scope_within_grown,
};
use synod_bank::BankFailure;
use synod_module::{BlockCtx, CallError, CallResult, Module, ModuleFailure, StateError};
use synod_primitives::{AccountId, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;
use synod_tokens::TokenFailure;

/// The module's name: its RPC namespace and state key prefix.
pub const NAME: &str = "agents";

/// Why an agents call failed: its own rule, or the bank's or tokens module's refusal of an
/// escrow move.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The bank refused a SYN move.
    #[error(transparent)]
    Bank(#[from] BankFailure),
    /// The tokens module refused a token move.
    #[error(transparent)]
    Tokens(#[from] TokenFailure),
    /// An agents rule refused the call.
    #[error(transparent)]
    Agents(#[from] AgentFailure),
}

impl ModuleFailure for CallFailure {}

/// A registered agent.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct AgentRecord {
    /// Its user.
    pub user: AccountId,
    /// Its name under the user.
    pub name: String,
    /// Height registered.
    pub registered_at: Height,
    /// Height revoked, if it was.
    pub revoked_at: Option<Height>,
}

/// A standing intent with its state.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct IntentRecord {
    /// The intent.
    pub intent: Intent,
    /// Height revoked, if it was.
    pub revoked_at: Option<Height>,
    /// What every session under it spent.
    pub spent: SpendState,
}

/// An open (or revoked) session.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct SessionRecord {
    /// Its scope.
    pub scope: SessionScope,
    /// Height opened.
    pub opened_at: Height,
    /// Height revoked, if it was.
    pub revoked_at: Option<Height>,
    /// What it spent.
    pub spent: SpendState,
}

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// Key of an agent record.
pub fn agent_key(agent: &AccountId) -> Vec<u8> {
    key(b"agents/a/", &[&agent.0])
}
/// Key of a user's name entry.
pub fn name_key(user: &AccountId, name: &str) -> Vec<u8> {
    key(b"agents/name/", &[&user.0, name.as_bytes()])
}
/// Prefix of a user's agents.
pub fn user_prefix(user: &AccountId) -> Vec<u8> {
    key(b"agents/user/", &[&user.0])
}
/// Key of an intent.
pub fn intent_key(hash: &Hash) -> Vec<u8> {
    key(b"agents/intent/", &[&hash.0])
}
/// Prefix of an agent's intents.
pub fn agent_intents_prefix(agent: &AccountId) -> Vec<u8> {
    key(b"agents/ai/", &[&agent.0])
}
/// Key of a session.
pub fn session_key(session: &AccountId) -> Vec<u8> {
    key(b"agents/s/", &[&session.0])
}
/// Prefix of an intent's sessions.
pub fn intent_sessions_prefix(hash: &Hash) -> Vec<u8> {
    key(b"agents/is/", &[&hash.0])
}

/// Key of an agent's asset link.
pub fn agent_asset_key(agent: &AccountId) -> Vec<u8> {
    key(b"agents/asset/", &[&agent.0])
}

/// The asset that represents an agent, if its user linked one.
pub fn agent_asset<R: StateRead + ?Sized>(
    s: &R,
    agent: &AccountId,
) -> Result<Option<u64>, StateError> {
    typed::get(s, &agent_asset_key(agent))
}

/// Key of an intent's cap growth rule.
pub fn growth_key(hash: &Hash) -> Vec<u8> {
    key(b"agents/growth/", &[&hash.0])
}

/// An intent's cap growth rule, if its user set one.
pub fn growth<R: StateRead + ?Sized>(s: &R, hash: &Hash) -> Result<Option<CapGrowth>, StateError> {
    typed::get(s, &growth_key(hash))
}

/// The basis points by which an intent's caps have grown: its growth rule applied to its
/// agent's record now (0 without a rule).
pub fn growth_bonus<R: StateRead + ?Sized>(
    s: &R,
    intent: &IntentRecord,
) -> Result<u32, StateError> {
    let Some(rule) = growth(s, &intent.intent.hash())? else {
        return Ok(0);
    };
    let rep = deals::reputation(s, &intent.intent.agent)?;
    Ok(rule.bonus_bps(record_points(
        rep.settled_payments,
        rep.deals_completed,
        rep.disputes_lost,
        rep.expired_deliveries,
    )))
}

/// An agent record.
pub fn agent<R: StateRead + ?Sized>(
    s: &R,
    agent: &AccountId,
) -> Result<Option<AgentRecord>, StateError> {
    typed::get(s, &agent_key(agent))
}
/// An intent record.
pub fn intent<R: StateRead + ?Sized>(
    s: &R,
    hash: &Hash,
) -> Result<Option<IntentRecord>, StateError> {
    typed::get(s, &intent_key(hash))
}
/// A session record.
pub fn session<R: StateRead + ?Sized>(
    s: &R,
    session: &AccountId,
) -> Result<Option<SessionRecord>, StateError> {
    typed::get(s, &session_key(session))
}
/// The agent a user registered under `name`.
pub fn agent_by_name<R: StateRead + ?Sized>(
    s: &R,
    user: &AccountId,
    name: &str,
) -> Result<Option<AccountId>, StateError> {
    typed::get(s, &name_key(user, name))
}

type AgentResult<T> = Result<T, CallError<AgentFailure>>;

fn fail<T>(f: AgentFailure) -> AgentResult<T> {
    Err(CallError::Failed(f))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= wire::MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// What the session key `session` may do now, and the state it would leave: the checks of
/// [`authorize`] without writing. The mempool admits a session's transaction only if this
/// passes against committed state; execution checks again.
pub fn check<R: StateRead + ?Sized>(
    s: &R,
    height: Height,
    session: &AccountId,
    payment: &Payment,
) -> AgentResult<(AccountId, SessionRecord, IntentRecord, Ledger)> {
    check_with_pending(s, height, session, payment, 0)
}

/// [`check`] as if `pending` more had already been spent in this period (payments a service
/// accepted and has not settled yet): the period and total caps bind the payment and the
/// pending ones together. The returned ledger does not include `pending`.
pub fn check_with_pending<R: StateRead + ?Sized>(
    s: &R,
    height: Height,
    session: &AccountId,
    payment: &Payment,
    pending: u128,
) -> AgentResult<(AccountId, SessionRecord, IntentRecord, Ledger)> {
    let Some(rec) = self::session(s, session)? else {
        return fail(AgentFailure::UnknownSession { session: *session });
    };
    let Some(irec) = intent(s, &rec.scope.intent_hash)? else {
        return fail(AgentFailure::UnknownIntent {
            intent: rec.scope.intent_hash,
        });
    };
    let agent_revoked = match agent(s, &irec.intent.agent)? {
        Some(a) => a.revoked_at.is_some(),
        None => true,
    };
    let revoked = rec.revoked_at.is_some() || irec.revoked_at.is_some() || agent_revoked;
    let ledger = Ledger {
        intent: irec.spent,
        session: rec.spent,
    };
    let bonus = growth_bonus(s, &irec)?;
    let next = check_and_record_grown(
        &irec.intent,
        bonus,
        &rec.scope,
        revoked,
        &ledger.with_pending(&irec.intent, height, pending),
        height,
        payment,
    )
    .map_err(|e| CallError::Failed(AgentFailure::from(e)))?;
    // Recorded without the pending payments: they are recorded when they settle.
    let next = if pending == 0 {
        next
    } else {
        check_and_record_grown(
            &irec.intent,
            bonus,
            &rec.scope,
            revoked,
            &ledger,
            height,
            payment,
        )
        .map_err(|e| CallError::Failed(AgentFailure::from(e)))?
    };
    Ok((irec.intent.user, rec, irec, next))
}

/// Checks `payment` against the session `session` and its intent, records the spend, and
/// returns the user the inner call runs as (with the event to report).
pub fn authorize<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    session: &AccountId,
    payment: &Payment,
) -> AgentResult<(AccountId, AgentEvent)> {
    let (user, mut rec, mut irec, next) = check(s, height, session, payment)?;
    rec.spent = next.session;
    irec.spent = next.intent;
    let hash = rec.scope.intent_hash;
    typed::put(s, session_key(session), &rec);
    typed::put(s, intent_key(&hash), &irec);
    let agent = irec.intent.agent;
    deals::record_settled_payment(s, &agent)?;
    Ok((
        user,
        AgentEvent::SessionSpent {
            session: *session,
            user,
            call_kind: payment.call_kind,
            payee: payment.payee,
            asset: payment.asset,
            amount: payment.amount,
        },
    ))
}

/// The agents module, as the composition crate holds it.
#[derive(Clone, Debug, Default)]
pub struct Agents;

impl Module for Agents {
    const NAME: &'static str = NAME;
    type Call = AgentCall;
    type Event = AgentEvent;
    type Failure = CallFailure;

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        use rpc::AgentsApiServer;
        rpc::AgentsRpc {
            store: store.clone(),
        }
        .into_rpc()
        .into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn call_weight(call: &AgentCall) -> u64 {
        call.weight()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &AgentCall,
    ) -> CallResult<AgentEvent, CallFailure> {
        match call {
            AgentCall::ProposeDeal { terms } => deals::propose(s, ctx.height, sender, terms),
            AgentCall::DealAction { deal, action } => {
                deals::act(s, ctx.height, sender, deal, action)
            }
            AgentCall::OpenChannel {
                payee,
                asset,
                deposit,
                challenge_period,
            } => channels::open(s, sender, payee, *asset, *deposit, *challenge_period),
            AgentCall::CloseChannel { close } => channels::close(s, close),
            AgentCall::StartClose { channel, latest } => {
                channels::start_close(s, ctx.height, sender, channel, latest.as_ref())
            }
            AgentCall::ChallengeClose { newer } => channels::challenge(s, ctx.height, newer),
            AgentCall::SettleChannel { channel } => channels::settle(s, ctx.height, channel),
            other => identity(s, ctx, sender, other).map_err(|e| e.widen()),
        }
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<AgentEvent>, StateError> {
        let mut events = deals::end_block(s, ctx)?;
        events.extend(channels::end_block(s, ctx)?);
        Ok(events)
    }
}

/// Agents, intents and sessions.
fn identity<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    sender: &AccountId,
    call: &AgentCall,
) -> CallResult<AgentEvent, AgentFailure> {
    let h = ctx.height;
    match call {
        AgentCall::RegisterAgent { agent, name, proof } => {
            if !valid_name(name) {
                return fail(AgentFailure::InvalidName);
            }
            if agent == sender || session(s, agent)?.is_some() {
                return fail(AgentFailure::AgentExists { agent: *agent });
            }
            if crate::agent(s, agent)?.is_some() {
                return fail(AgentFailure::AgentExists { agent: *agent });
            }
            if agent_by_name(s, sender, name)?.is_some() {
                return fail(AgentFailure::NameTaken { name: name.clone() });
            }
            if agent
                .verify(&agent_binding_message(ctx.chain_id, sender, name), proof)
                .is_err()
            {
                return fail(AgentFailure::BadProof);
            }
            typed::put(
                s,
                agent_key(agent),
                &AgentRecord {
                    user: *sender,
                    name: name.clone(),
                    registered_at: h,
                    revoked_at: None,
                },
            );
            typed::put(s, name_key(sender, name), agent);
            typed::put(s, key(&user_prefix(sender), &[&agent.0]), &());
            Ok(vec![AgentEvent::AgentRegistered {
                user: *sender,
                agent: *agent,
                name: name.clone(),
            }])
        }
        AgentCall::RevokeAgent { agent } => {
            let Some(mut a) = crate::agent(s, agent)? else {
                return fail(AgentFailure::UnknownAgent { agent: *agent });
            };
            if a.user != *sender {
                return fail(AgentFailure::NotUser);
            }
            if a.revoked_at.is_none() {
                a.revoked_at = Some(h);
                typed::put(s, agent_key(agent), &a);
            }
            Ok(vec![AgentEvent::AgentRevoked { agent: *agent }])
        }
        AgentCall::SetIntent { intent: i } => {
            if i.user != *sender {
                return fail(AgentFailure::NotUser);
            }
            i.validate()
                .map_err(|e| CallError::Failed(AgentFailure::from(e)))?;
            match crate::agent(s, &i.agent)? {
                Some(a) if a.user == *sender && a.revoked_at.is_none() => {}
                _ => return fail(AgentFailure::UnknownAgent { agent: i.agent }),
            }
            let hash = i.hash();
            if intent(s, &hash)?.is_some() {
                return fail(AgentFailure::IntentExists { intent: hash });
            }
            typed::put(
                s,
                intent_key(&hash),
                &IntentRecord {
                    intent: i.clone(),
                    revoked_at: None,
                    spent: SpendState::default(),
                },
            );
            typed::put(s, key(&agent_intents_prefix(&i.agent), &[&hash.0]), &());
            Ok(vec![AgentEvent::IntentSet {
                intent: hash,
                user: i.user,
                agent: i.agent,
            }])
        }
        AgentCall::RevokeIntent { intent: hash } => {
            let Some(mut r) = intent(s, hash)? else {
                return fail(AgentFailure::UnknownIntent { intent: *hash });
            };
            if r.intent.user != *sender {
                return fail(AgentFailure::NotUser);
            }
            if r.revoked_at.is_none() {
                r.revoked_at = Some(h);
                typed::put(s, intent_key(hash), &r);
            }
            Ok(vec![AgentEvent::IntentRevoked { intent: *hash }])
        }
        AgentCall::OpenSession { scope } => {
            let Some(r) = intent(s, &scope.intent_hash)? else {
                return fail(AgentFailure::UnknownIntent {
                    intent: scope.intent_hash,
                });
            };
            if r.intent.agent != *sender {
                return fail(AgentFailure::NotAgent);
            }
            let bonus = growth_bonus(s, &r)?;
            scope_within_grown(&r.intent, bonus, scope)
                .map_err(|e| CallError::Failed(AgentFailure::from(e)))?;
            let k = scope.session_key;
            if k == *sender || self::session(s, &k)?.is_some() || self::agent(s, &k)?.is_some() {
                return fail(AgentFailure::SessionExists { session: k });
            }
            if k.check_key().is_err() {
                return fail(AgentFailure::BadProof);
            }
            typed::put(
                s,
                session_key(&k),
                &SessionRecord {
                    scope: scope.clone(),
                    opened_at: h,
                    revoked_at: None,
                    spent: SpendState::default(),
                },
            );
            typed::put(
                s,
                key(&intent_sessions_prefix(&scope.intent_hash), &[&k.0]),
                &(),
            );
            Ok(vec![AgentEvent::SessionOpened {
                session: k,
                intent: scope.intent_hash,
            }])
        }
        AgentCall::RevokeSession { session: k } => {
            let Some(mut rec) = session(s, k)? else {
                return fail(AgentFailure::UnknownSession { session: *k });
            };
            let Some(r) = intent(s, &rec.scope.intent_hash)? else {
                return fail(AgentFailure::UnknownIntent {
                    intent: rec.scope.intent_hash,
                });
            };
            if r.intent.user != *sender && r.intent.agent != *sender {
                return fail(AgentFailure::NotUser);
            }
            if rec.revoked_at.is_none() {
                rec.revoked_at = Some(h);
                typed::put(s, session_key(k), &rec);
            }
            Ok(vec![AgentEvent::SessionRevoked { session: *k }])
        }
        AgentCall::LinkAsset { agent, asset } => {
            let Some(a) = crate::agent(s, agent)? else {
                return fail(AgentFailure::UnknownAgent { agent: *agent });
            };
            if a.user != *sender {
                return fail(AgentFailure::NotUser);
            }
            let bad = |detail: &str| {
                fail(AgentFailure::BadAgentAsset {
                    asset: *asset,
                    detail: detail.into(),
                })
            };
            match synod_assets::state::asset(s, *asset)? {
                None => return bad("no such asset"),
                Some(r) if r.kind != synod_assets::AssetKind::Agent => {
                    return bad("its kind is not agent");
                }
                Some(r) if r.owner != *sender => return bad("the user does not own it"),
                Some(_) => {}
            }
            typed::put(s, agent_asset_key(agent), asset);
            Ok(vec![AgentEvent::AgentAssetLinked {
                agent: *agent,
                asset: *asset,
            }])
        }
        AgentCall::SetCapGrowth {
            intent: hash,
            growth,
        } => {
            let Some(r) = intent(s, hash)? else {
                return fail(AgentFailure::UnknownIntent { intent: *hash });
            };
            if r.intent.user != *sender {
                return fail(AgentFailure::NotUser);
            }
            match growth {
                Some(g) => {
                    g.validate()
                        .map_err(|e| CallError::Failed(AgentFailure::from(e)))?;
                    typed::put(s, growth_key(hash), g);
                }
                None => s.delete(growth_key(hash)),
            }
            Ok(vec![AgentEvent::CapGrowthSet {
                intent: *hash,
                growth: *growth,
            }])
        }
        // The composition crate intercepts `Execute` (it alone can run the inner call);
        // reaching here means it was nested inside another `Execute`.
        AgentCall::Execute { .. } => fail(AgentFailure::NestedExecute),
        AgentCall::ProposeDeal { .. }
        | AgentCall::DealAction { .. }
        | AgentCall::OpenChannel { .. }
        | AgentCall::CloseChannel { .. }
        | AgentCall::StartClose { .. }
        | AgentCall::ChallengeClose { .. }
        | AgentCall::SettleChannel { .. } => unreachable!("dispatched to deals and channels"),
    }
}
