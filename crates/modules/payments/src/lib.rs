//! # synod-payments — pay-per-call: services on chain, signed authorizations settled in batches
//!
//! Owns the HTTP 402 side of issue 13. A service registers on chain what it charges
//! ([`wire::ServiceSpec`]: payee, endpoints with method, path, price, asset and exact or
//! metered pricing, the assets it uses with their shares, a least payer record). A client
//! that gets 402 signs an [`wire::Authorization`] (payer, payee, asset, maximum, validity
//! window, nonce, request hash) with its own key or a session key, and retries; the service
//! checks it through the node (`payments_verify`), answers, and settles many authorizations
//! in one `Settle` transaction (`payments_settle`). Settlement is idempotent per payer and
//! nonce; every item settles or is refused on its own; a session's rules apply to what its
//! key signs (through `synod-agents`), and each receipt names the assets whose vaults were
//! paid (through `synod-assets`, split along their lineage). Its JSON-RPC namespace is
//! `payments` ([`rpc`]).
//!
//! It must not hold HTTP code (the axum middleware and client are `synod-pay`) nor session or
//! vault logic of its own: it asks the agents and assets modules. Deterministic: block height
//! is its only clock; execution reads single keys only.
//!
//! ## State (`payments/` prefix)
//! | key | value |
//! |---|---|
//! | `payments/next` | the next [`wire::ServiceId`] |
//! | `payments/svc/<id:8 BE>` | [`ServiceRecord`] |
//! | `payments/name/<name>` | the service id |
//! | `payments/owner/<owner:32><id:8 BE>` | `()`: an owner's services (views) |
//! | `payments/n/<payer:32><nonce:32>` | [`SettlementRecord`]: a settled nonce |
//! | `payments/exp/<height:8 BE>` | the `(payer, nonce)` pairs whose window closes at that height, forgotten at the end of the block before it |

pub mod rpc;
pub mod wire;

#[cfg(test)]
mod tests;

pub use wire::{
    Authorization, Endpoint, PaymentCall, PaymentEvent, PaymentFailure, PaymentReceipt, Pricing,
    ServiceId, ServiceSpec, SettleItem, SignedAuthorization, request_hash,
};

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::BTreeSet;
use synod_agents_rules::{Asset, Payment};
use synod_assets::AssetsGenesis;
use synod_module::{BlockCtx, CallError, CallResult, Module, StateError};
use synod_primitives::{AccountId, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;
use wire::{
    Amount, AssetUse, MAX_AUTH_WINDOW, MAX_ENDPOINTS, MAX_NAME_LEN, MAX_PATH_LEN, MAX_SETTLE_ITEMS,
    MAX_URL_LEN, MAX_USES, MinReputation, VaultShare,
};

/// The module's name: its RPC namespace and state key prefix.
pub const NAME: &str = "payments";

/// A registered service.
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
pub struct ServiceRecord {
    /// Who registered it (and may update it and settle for it).
    pub owner: AccountId,
    /// What it charges.
    pub spec: ServiceSpec,
    /// Height registered.
    pub registered_at: Height,
    /// Height of the last update.
    pub updated_at: Height,
    /// Authorizations settled.
    pub settled: u64,
}

/// A settled nonce, kept until its authorization's window closes.
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
pub struct SettlementRecord {
    /// The service.
    pub service: ServiceId,
    /// What was charged.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
    /// Height settled.
    pub height: Height,
    /// The request it paid for.
    pub request_hash: Hash,
    /// The authorization's `valid_before` (when this record is forgotten).
    pub valid_before: Height,
}

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

const NEXT_KEY: &[u8] = b"payments/next";

/// Key of a service.
pub fn service_key(id: ServiceId) -> Vec<u8> {
    key(b"payments/svc/", &[&id.to_be_bytes()])
}
/// Key of a name.
pub fn name_key(name: &str) -> Vec<u8> {
    key(b"payments/name/", &[name.as_bytes()])
}
/// Prefix of an owner's services.
pub fn owner_prefix(owner: &AccountId) -> Vec<u8> {
    key(b"payments/owner/", &[&owner.0])
}
/// Key of a settled nonce.
pub fn nonce_key(payer: &AccountId, nonce: &Hash) -> Vec<u8> {
    key(b"payments/n/", &[&payer.0, &nonce.0])
}
/// Key of the nonces whose window closes at `height`.
pub fn expiry_key(height: Height) -> Vec<u8> {
    key(b"payments/exp/", &[&height.to_be_bytes()])
}

/// A service.
pub fn service<R: StateRead + ?Sized>(
    s: &R,
    id: ServiceId,
) -> Result<Option<ServiceRecord>, StateError> {
    typed::get(s, &service_key(id))
}
/// A service by name.
pub fn service_by_name<R: StateRead + ?Sized>(
    s: &R,
    name: &str,
) -> Result<Option<ServiceId>, StateError> {
    typed::get(s, &name_key(name))
}
/// The record of a settled nonce (until its window closes).
pub fn settlement<R: StateRead + ?Sized>(
    s: &R,
    payer: &AccountId,
    nonce: &Hash,
) -> Result<Option<SettlementRecord>, StateError> {
    typed::get(s, &nonce_key(payer, nonce))
}
/// How many services exist (the next id).
pub fn service_count<R: StateRead + ?Sized>(s: &R) -> Result<u64, StateError> {
    Ok(typed::get(s, NEXT_KEY)?.unwrap_or(0))
}

type PayResult<T> = Result<T, CallError<PaymentFailure>>;

fn fail<T>(f: PaymentFailure) -> PayResult<T> {
    Err(CallError::Failed(f))
}

fn invalid<T>(detail: impl Into<String>) -> PayResult<T> {
    fail(PaymentFailure::InvalidService {
        detail: detail.into(),
    })
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Checks a spec's own rules and that the assets it uses exist.
pub fn validate_spec<R: StateRead + ?Sized>(s: &R, spec: &ServiceSpec) -> PayResult<()> {
    let name_ok = !spec.name.is_empty()
        && spec.name.len() <= MAX_NAME_LEN
        && spec.name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if !name_ok {
        return invalid("name must be 1 to 64 of a-z 0-9 - _ .");
    }
    if spec.url.len() > MAX_URL_LEN || spec.url.bytes().any(|b| !b.is_ascii_graphic()) {
        return invalid("url must be at most 256 printable ASCII bytes");
    }
    if spec.endpoints.is_empty() || spec.endpoints.len() > MAX_ENDPOINTS {
        return invalid("a service lists 1 to 64 endpoints");
    }
    let mut seen = BTreeSet::new();
    for e in &spec.endpoints {
        if !METHODS.contains(&e.method.as_str()) {
            return invalid(format!(
                "method {:?} is not one of GET POST PUT PATCH DELETE",
                e.method
            ));
        }
        if !e.path.starts_with('/')
            || e.path.len() > MAX_PATH_LEN
            || e.path.contains('?')
            || e.path.bytes().any(|b| !b.is_ascii_graphic())
        {
            return invalid(format!(
                "path {:?} must start with /, be at most 256 printable bytes and carry no query",
                e.path
            ));
        }
        if e.price == 0 {
            return invalid(format!("{} {} has price 0", e.method, e.path));
        }
        if !seen.insert((e.method.as_str(), e.path.as_str())) {
            return invalid(format!("{} {} is listed twice", e.method, e.path));
        }
    }
    if spec.uses.len() > MAX_USES {
        return invalid("a service declares at most 16 assets");
    }
    let mut assets = BTreeSet::new();
    let mut total: u32 = 0;
    for u in &spec.uses {
        if u.share_bps == 0 || u.share_bps > 10_000 {
            return invalid(format!("asset {} share must be 1 to 10000 bps", u.asset));
        }
        if !assets.insert(u.asset) {
            return invalid(format!("asset {} is declared twice", u.asset));
        }
        total += u32::from(u.share_bps);
        if synod_assets::state::asset(s, u.asset)?.is_none() {
            return invalid(format!("asset {} does not exist", u.asset));
        }
    }
    if total > 10_000 {
        return invalid("asset shares add up to more than 10000 bps");
    }
    Ok(())
}

fn register<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    sender: &AccountId,
    spec: &ServiceSpec,
) -> CallResult<PaymentEvent, PaymentFailure> {
    validate_spec(s, spec)?;
    if service_by_name(s, &spec.name)?.is_some() {
        return fail(PaymentFailure::NameTaken {
            name: spec.name.clone(),
        });
    }
    let id = service_count(s)?;
    let next = id.checked_add(1).ok_or(PaymentFailure::Overflow)?;
    typed::put(s, NEXT_KEY.to_vec(), &next);
    typed::put(
        s,
        service_key(id),
        &ServiceRecord {
            owner: *sender,
            spec: spec.clone(),
            registered_at: height,
            updated_at: height,
            settled: 0,
        },
    );
    typed::put(s, name_key(&spec.name), &id);
    typed::put(s, key(&owner_prefix(sender), &[&id.to_be_bytes()]), &());
    Ok(vec![PaymentEvent::ServiceRegistered {
        service: id,
        owner: *sender,
        name: spec.name.clone(),
    }])
}

fn update<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    sender: &AccountId,
    id: ServiceId,
    spec: &ServiceSpec,
) -> CallResult<PaymentEvent, PaymentFailure> {
    let Some(mut rec) = service(s, id)? else {
        return fail(PaymentFailure::UnknownService { service: id });
    };
    if rec.owner != *sender {
        return fail(PaymentFailure::NotServiceOwner);
    }
    validate_spec(s, spec)?;
    if spec.name != rec.spec.name {
        if service_by_name(s, &spec.name)?.is_some() {
            return fail(PaymentFailure::NameTaken {
                name: spec.name.clone(),
            });
        }
        s.delete(name_key(&rec.spec.name));
        typed::put(s, name_key(&spec.name), &id);
    }
    rec.spec = spec.clone();
    rec.updated_at = height;
    typed::put(s, service_key(id), &rec);
    Ok(vec![PaymentEvent::ServiceUpdated { service: id }])
}

/// What a checked authorization pays and who stands behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Whose funds pay.
    pub payer: AccountId,
    /// The session key that signed, if one did.
    pub session: Option<AccountId>,
    /// The account whose record the service's minimum is checked against (the session's
    /// agent, or the payer).
    pub record_of: AccountId,
}

fn spendable<R: StateRead + ?Sized>(
    s: &R,
    asset: Asset,
    who: &AccountId,
) -> Result<Amount, StateError> {
    Ok(match asset {
        Asset::Native => u128::from(synod_bank::account(s, who)?.balance),
        Asset::Token(t) => synod_tokens::balance_of(s, t, who)?,
    })
}

fn meets(min: &MinReputation, rep: &synod_agents::deals::Reputation) -> Result<(), String> {
    if rep.settled_payments < min.settled_payments {
        return Err(format!(
            "{} settled payments, {} required",
            rep.settled_payments, min.settled_payments
        ));
    }
    if rep.deals_completed < min.deals_completed {
        return Err(format!(
            "{} deals completed, {} required",
            rep.deals_completed, min.deals_completed
        ));
    }
    if rep.disputes_lost > min.max_disputes_lost {
        return Err(format!(
            "{} disputes lost, at most {} allowed",
            rep.disputes_lost, min.max_disputes_lost
        ));
    }
    Ok(())
}

/// Every check of one authorization that `amount` of it may settle for service `id` at
/// `height`, without writing: what `payments_verify` answers and what `Settle` checks again
/// before it moves anything. `pending` is what the service has already accepted from the same
/// payer and not yet settled: the payer's funds must cover it too, and a session's period and
/// total caps bind it with this payment.
#[allow(clippy::too_many_arguments)]
pub fn check_authorization<R: StateRead + ?Sized>(
    s: &R,
    chain_id: &str,
    height: Height,
    id: ServiceId,
    svc: &ServiceRecord,
    signed: &SignedAuthorization,
    amount: Amount,
    pending: Amount,
) -> PayResult<Checked> {
    let a = &signed.authorization;
    if a.service != id {
        return fail(PaymentFailure::WrongService { named: a.service });
    }
    if a.payee != svc.spec.payee {
        return fail(PaymentFailure::PayeeMismatch {
            named: a.payee,
            payee: svc.spec.payee,
        });
    }
    if !svc.spec.endpoints.iter().any(|e| e.asset == a.asset) {
        return fail(PaymentFailure::AssetNotAccepted { asset: a.asset });
    }
    if amount == 0 {
        return fail(PaymentFailure::ZeroAmount);
    }
    if amount > a.max_amount {
        return fail(PaymentFailure::AboveMaximum {
            amount,
            max: a.max_amount,
        });
    }
    if a.valid_before <= a.valid_after || a.valid_before - a.valid_after > MAX_AUTH_WINDOW {
        return fail(PaymentFailure::BadWindow {
            max: MAX_AUTH_WINDOW,
        });
    }
    if height < a.valid_after {
        return fail(PaymentFailure::NotYetValid {
            valid_after: a.valid_after,
            now: height,
        });
    }
    if height >= a.valid_before {
        return fail(PaymentFailure::AuthorizationExpired {
            valid_before: a.valid_before,
            now: height,
        });
    }
    if settlement(s, &a.payer, &a.nonce)?.is_some() {
        return fail(PaymentFailure::NonceUsed { nonce: a.nonce });
    }
    if a.signer
        .verify(&a.signing_hash(chain_id).0, &signed.signature)
        .is_err()
    {
        return fail(PaymentFailure::BadSignature);
    }
    let (session, record_of) = if a.signer == a.payer {
        (None, a.payer)
    } else {
        let payment = session_payment(a, amount);
        match synod_agents::check_with_pending(s, height, &a.signer, &payment, pending) {
            Ok((user, _, irec, _)) if user == a.payer => (Some(a.signer), irec.intent.agent),
            Ok(_) | Err(CallError::Failed(synod_agents::AgentFailure::UnknownSession { .. })) => {
                return fail(PaymentFailure::SignerNotAuthorized { signer: a.signer });
            }
            Err(CallError::Failed(refusal)) => {
                return fail(PaymentFailure::Session { refusal });
            }
            Err(CallError::State(e)) => return Err(CallError::State(e)),
        }
    };
    if let Some(min) = &svc.spec.min_reputation {
        let rep = synod_agents::deals::reputation(s, &record_of)?;
        if let Err(detail) = meets(min, &rep) {
            return fail(PaymentFailure::ReputationTooLow { detail });
        }
    }
    let needed = amount
        .checked_add(pending)
        .ok_or(PaymentFailure::Overflow)?;
    let available = spendable(s, a.asset, &a.payer)?;
    if available < needed {
        return fail(PaymentFailure::InsufficientFunds { needed, available });
    }
    Ok(Checked {
        payer: a.payer,
        session,
        record_of,
    })
}

/// The payment a session's rules see for `amount` of authorization `a`.
pub fn session_payment(a: &Authorization, amount: Amount) -> Payment {
    Payment {
        call_kind: synod_agents::call_kind::SERVICE_PAY,
        payee: a.payee,
        asset: a.asset,
        amount,
    }
}

fn refused(detail: impl std::fmt::Display) -> PaymentFailure {
    PaymentFailure::TransferRefused {
        detail: detail.to_string(),
    }
}

/// Settles one authorization (everything or nothing: the caller runs it in its own overlay).
#[allow(clippy::too_many_arguments)]
fn settle_one<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    assets: &AssetsGenesis,
    id: ServiceId,
    svc: &ServiceRecord,
    work_bound: u32,
    item: &SettleItem,
) -> PayResult<PaymentReceipt> {
    let a = &item.authorization.authorization;
    let checked = check_authorization(
        s,
        ctx.chain_id,
        ctx.height,
        id,
        svc,
        &item.authorization,
        item.amount,
        0,
    )?;
    let amount = item.amount;
    if let Some(session) = &checked.session {
        synod_agents::authorize(s, ctx.height, session, &session_payment(a, amount))
            .map_err(|e| e.map_failure(|refusal| PaymentFailure::Session { refusal }))?;
    } else {
        synod_agents::deals::record_settled_payment(s, &a.payer)?;
    }
    let currency = match a.asset {
        Asset::Native => synod_assets::Currency::Syn,
        Asset::Token(t) => synod_assets::Currency::Token(t),
    };
    let mut vaults = Vec::with_capacity(svc.spec.uses.len());
    let mut to_vaults: Amount = 0;
    let mut work_left = work_bound;
    for AssetUse { asset, share_bps } in &svc.spec.uses {
        // amount × share ≤ u128::MAX / 10_000 × 10_000 would overflow only for amounts near
        // u128::MAX; divide first then.
        let share = amount.checked_mul(u128::from(*share_bps)).map_or(
            (amount / 10_000).saturating_mul(u128::from(*share_bps)),
            |v| v / 10_000,
        );
        if share == 0 {
            continue;
        }
        let (_, work) = synod_assets::vault::pay_into(
            s,
            assets,
            &a.payer,
            synod_assets::vault::Payment {
                asset: *asset,
                currency,
                amount: share,
                licence: None,
                work_bound: work_left,
            },
        )
        .map_err(|e| e.map_failure(refused))?;
        work_left = work_left.saturating_sub(work);
        to_vaults = to_vaults
            .checked_add(share)
            .ok_or(PaymentFailure::Overflow)?;
        vaults.push(VaultShare {
            asset: *asset,
            amount: share,
        });
    }
    let to_payee = amount
        .checked_sub(to_vaults)
        .ok_or(PaymentFailure::Overflow)?;
    synod_agents::deals::move_asset(s, a.asset, &a.payer, &a.payee, to_payee)
        .map_err(|e| e.map_failure(refused))?;
    typed::put(
        s,
        nonce_key(&a.payer, &a.nonce),
        &SettlementRecord {
            service: id,
            amount,
            height: ctx.height,
            request_hash: a.request_hash,
            valid_before: a.valid_before,
        },
    );
    let ek = expiry_key(a.valid_before);
    let mut due: Vec<(AccountId, Hash)> = typed::get(s, &ek)?.unwrap_or_default();
    due.push((a.payer, a.nonce));
    typed::put(s, ek, &due);
    Ok(PaymentReceipt {
        service: id,
        payer: a.payer,
        signer: a.signer,
        nonce: a.nonce,
        request_hash: a.request_hash,
        asset: a.asset,
        amount,
        payee: a.payee,
        to_payee,
        vaults,
    })
}

fn settle<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    assets: &AssetsGenesis,
    sender: &AccountId,
    id: ServiceId,
    work_bound: u32,
    items: &[SettleItem],
) -> CallResult<PaymentEvent, PaymentFailure> {
    let Some(mut svc) = service(s, id)? else {
        return fail(PaymentFailure::UnknownService { service: id });
    };
    if svc.owner != *sender && svc.spec.payee != *sender {
        return fail(PaymentFailure::NotServiceOwner);
    }
    if items.is_empty() || items.len() > MAX_SETTLE_ITEMS {
        return fail(PaymentFailure::BadBatch {
            max: MAX_SETTLE_ITEMS as u32,
        });
    }
    let mut events = Vec::with_capacity(items.len());
    let mut settled = 0u64;
    for item in items {
        let a = &item.authorization.authorization;
        if let Some(done) = settlement(s, &a.payer, &a.nonce)?
            && done.service == id
            && done.request_hash == a.request_hash
        {
            events.push(PaymentEvent::AlreadySettled {
                service: id,
                payer: a.payer,
                nonce: a.nonce,
            });
            continue;
        }
        let mut sub = Overlay::new(&*s);
        match settle_one(&mut sub, ctx, assets, id, &svc, work_bound, item) {
            Ok(receipt) => {
                let changes = sub.into_changes();
                s.absorb(changes);
                settled += 1;
                events.push(PaymentEvent::Settled { receipt });
            }
            Err(CallError::Failed(failure)) => events.push(PaymentEvent::SettlementRefused {
                service: id,
                payer: a.payer,
                nonce: a.nonce,
                failure,
            }),
            Err(CallError::State(e)) => return Err(CallError::State(e)),
        }
    }
    if settled > 0 {
        svc.settled = svc.settled.saturating_add(settled);
        typed::put(s, service_key(id), &svc);
    }
    Ok(events)
}

/// The payments module, as the composition crate holds it.
#[derive(Clone, Debug)]
pub struct Payments {
    chain_id: String,
    assets: AssetsGenesis,
}

impl Payments {
    /// The module for chain `chain_id`, paying vaults under the assets module's limits.
    pub fn new(chain_id: String, assets: AssetsGenesis) -> Self {
        Payments { chain_id, assets }
    }
}

impl Module for Payments {
    const NAME: &'static str = NAME;
    type Call = PaymentCall;
    type Event = PaymentEvent;
    type Failure = PaymentFailure;

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        use rpc::PaymentsApiServer;
        rpc::PaymentsRpc {
            env: env.clone(),
            chain_id: self.chain_id.clone(),
        }
        .into_rpc()
        .into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn call_weight(call: &PaymentCall) -> u64 {
        call.weight()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &PaymentCall,
    ) -> CallResult<PaymentEvent, PaymentFailure> {
        match call {
            PaymentCall::RegisterService { spec } => register(s, ctx.height, sender, spec),
            PaymentCall::UpdateService { service, spec } => {
                update(s, ctx.height, sender, *service, spec)
            }
            PaymentCall::Settle {
                service,
                work_bound,
                items,
            } => settle(s, ctx, &self.assets, sender, *service, *work_bound, items),
        }
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<PaymentEvent>, StateError> {
        // Authorizations valid before `height + 1` can never settle again: forget their nonces.
        let ek = expiry_key(ctx.height.saturating_add(1));
        if let Some(due) = typed::get::<Vec<(AccountId, Hash)>>(s, &ek)? {
            for (payer, nonce) in due {
                s.delete(nonce_key(&payer, &nonce));
            }
            s.delete(ek);
        }
        Ok(Vec::new())
    }
}
