//! The `payments` JSON-RPC namespace, and [`rpc_doc`].
//!
//! Queries read the newest committed state. `verify` runs every check a settlement will run
//! (so a service answers only paid calls); `settle` takes the service's signed `Settle`
//! transaction, reports what each item would do against the newest state, and hands the
//! transaction to the node's mempool.

use crate::wire::{Amount, PaymentCall, PaymentFailure, ServiceId, SignedAuthorization};
use crate::{
    Checked, ServiceRecord, SettlementRecord, check_authorization, owner_prefix, service,
    service_by_name, service_count, settlement,
};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use serde::{Deserialize, Serialize};
use synod_module::rpc::{INVALID_PARAMS, NOT_FOUND, internal, invalid};
use synod_module::{CallError, MethodDoc, RpcEnv, StateError, read_latest};
use synod_primitives::{AccountId, Hash, Height};
use synod_storage::Snapshot;

/// Most services a listing returns.
pub const MAX_LIST: u64 = 256;
/// Error code of a settlement transaction the mempool refused (`data` is the kind, as
/// `synod_submitTransaction` reports it).
pub const TX_REJECTED: i32 = 1001;

/// A service with its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServiceView {
    /// Its id.
    pub id: ServiceId,
    /// Its record.
    #[serde(flatten)]
    pub record: ServiceRecord,
}

/// What a service has accepted from one payer and not yet seen settled: the `pending` of
/// `payments_verify`. Charges in a settlement transaction the node has already included are
/// not counted again (the chain's counters have them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PendingCharges {
    /// Accepted and not yet submitted.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub queued: Amount,
    /// Submitted in settlement transactions the service has not yet seen final (at most 64).
    pub in_flight: Vec<InFlightCharge>,
}

/// The payer's charges in one submitted settlement transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InFlightCharge {
    /// The settlement transaction.
    pub tx: Hash,
    /// The payer's charges in it.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
}

/// Most in-flight settlement transactions a verification accounts for.
pub const MAX_IN_FLIGHT: usize = 64;

/// What `payments_verify` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VerifyView {
    /// Whether the authorization may settle the amount now.
    pub valid: bool,
    /// The refusal's kind (`nonce_used`, `period_cap_exceeded`, …) when not valid.
    pub error: Option<String>,
    /// The refusal in words.
    pub message: Option<String>,
    /// The refusal with its details.
    pub failure: Option<PaymentFailure>,
    /// Whose funds pay.
    pub payer: AccountId,
    /// The session key that signed, if one did.
    pub session: Option<AccountId>,
    /// The height checked against.
    pub height: Height,
}

/// What one settlement item would do against the newest state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemCheck {
    /// Its payer.
    pub payer: AccountId,
    /// Its nonce.
    pub nonce: Hash,
    /// `ok`, `already_settled`, or the refusal's kind.
    pub status: String,
    /// The refusal in words.
    pub message: Option<String>,
}

/// What `payments_settle` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SettleView {
    /// The settlement transaction's hash (admitted to the mempool).
    pub tx_hash: Hash,
    /// Each item against the newest committed state (a block may change it before inclusion).
    pub items: Vec<ItemCheck>,
}

/// The `payments` namespace.
#[rpc(server, client, namespace = "payments")]
pub trait PaymentsApi {
    /// A service by id (`null` if none).
    #[method(name = "service")]
    async fn service(&self, id: ServiceId) -> Result<Option<ServiceView>, ErrorObjectOwned>;

    /// A service by name (`null` if none).
    #[method(name = "serviceByName")]
    async fn service_by_name(&self, name: String) -> Result<Option<ServiceView>, ErrorObjectOwned>;

    /// Services in id order from `from` (at most `limit`, ≤ 256).
    #[method(name = "services")]
    async fn services(
        &self,
        from: Option<ServiceId>,
        limit: Option<u64>,
    ) -> Result<Vec<ServiceView>, ErrorObjectOwned>;

    /// An owner's services.
    #[method(name = "byOwner")]
    async fn by_owner(&self, owner: AccountId) -> Result<Vec<ServiceView>, ErrorObjectOwned>;

    /// Checks that `authorization` may settle `amount` now, with `pending` already accepted
    /// from the same payer and not yet settled.
    #[method(name = "verify")]
    async fn verify(
        &self,
        authorization: SignedAuthorization,
        amount: String,
        pending: Option<PendingCharges>,
    ) -> Result<VerifyView, ErrorObjectOwned>;

    /// Takes a signed `Settle` transaction (hex), checks each item, and submits it.
    #[method(name = "settle")]
    async fn settle(&self, tx: String) -> Result<SettleView, ErrorObjectOwned>;

    /// The settlement of a payer's nonce (`null` if none, or forgotten after its window).
    #[method(name = "settlement")]
    async fn settlement(
        &self,
        payer: AccountId,
        nonce: Hash,
    ) -> Result<Option<SettlementRecord>, ErrorObjectOwned>;
}

/// Serves [`PaymentsApiServer`].
#[derive(Clone)]
pub struct PaymentsRpc {
    /// The node's store and mempool.
    pub env: RpcEnv,
    /// The chain id authorizations are signed for.
    pub chain_id: String,
}

fn view(s: &Snapshot, id: ServiceId) -> Result<Option<ServiceView>, StateError> {
    Ok(service(s, id)?.map(|record| ServiceView { id, record }))
}

fn amount(text: &str, what: &str) -> Result<Amount, ErrorObjectOwned> {
    text.trim()
        .parse::<Amount>()
        .map_err(|_| invalid(format!("{what} must be a decimal integer string")))
}

/// The outcome of [`check_authorization`] for RPC: `Ok(Ok)` valid, `Ok(Err)` refused.
fn checked(
    r: Result<Checked, CallError<PaymentFailure>>,
) -> Result<Result<Checked, PaymentFailure>, StateError> {
    match r {
        Ok(c) => Ok(Ok(c)),
        Err(CallError::Failed(f)) => Ok(Err(f)),
        Err(CallError::State(e)) => Err(e),
    }
}

#[jsonrpsee::core::async_trait]
impl PaymentsApiServer for PaymentsRpc {
    async fn service(&self, id: ServiceId) -> Result<Option<ServiceView>, ErrorObjectOwned> {
        read_latest(&self.env.store, move |s, _| view(s, id)).await
    }

    async fn service_by_name(&self, name: String) -> Result<Option<ServiceView>, ErrorObjectOwned> {
        read_latest(&self.env.store, move |s, _| {
            match service_by_name(s, &name)? {
                Some(id) => view(s, id),
                None => Ok(None),
            }
        })
        .await
    }

    async fn services(
        &self,
        from: Option<ServiceId>,
        limit: Option<u64>,
    ) -> Result<Vec<ServiceView>, ErrorObjectOwned> {
        let limit = limit.unwrap_or(MAX_LIST).min(MAX_LIST);
        let from = from.unwrap_or(0);
        read_latest(&self.env.store, move |s, _| {
            let end = service_count(s)?.min(from.saturating_add(limit));
            let mut out = Vec::new();
            for id in from..end {
                out.extend(view(s, id)?);
            }
            Ok(out)
        })
        .await
    }

    async fn by_owner(&self, owner: AccountId) -> Result<Vec<ServiceView>, ErrorObjectOwned> {
        read_latest(&self.env.store, move |s, _| {
            let prefix = owner_prefix(&owner);
            let mut out = Vec::new();
            for (k, _) in s.scan_prefix(&prefix, MAX_LIST as usize)? {
                let Some(id) = k
                    .get(prefix.len()..)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                else {
                    continue;
                };
                out.extend(view(s, u64::from_be_bytes(id))?);
            }
            Ok(out)
        })
        .await
    }

    async fn verify(
        &self,
        authorization: SignedAuthorization,
        amount_text: String,
        pending: Option<PendingCharges>,
    ) -> Result<VerifyView, ErrorObjectOwned> {
        let amount = amount(&amount_text, "amount")?;
        let pending = pending.unwrap_or_default();
        if pending.in_flight.len() > MAX_IN_FLIGHT {
            return Err(invalid(format!(
                "at most {MAX_IN_FLIGHT} in-flight settlements"
            )));
        }
        let chain_id = self.chain_id.clone();
        read_latest(&self.env.store, move |s, height| {
            let mut unsettled = pending.queued;
            for f in &pending.in_flight {
                if s.tx_height(&f.tx)?.is_none() {
                    unsettled = unsettled.saturating_add(f.amount);
                }
            }
            let pending = unsettled;
            // The next block is where a settlement would land.
            let at = height.saturating_add(1);
            let a = &authorization.authorization;
            let outcome = match service(s, a.service)? {
                None => Err(PaymentFailure::UnknownService { service: a.service }),
                Some(svc) => checked(check_authorization(
                    s,
                    &chain_id,
                    at,
                    a.service,
                    &svc,
                    &authorization,
                    amount,
                    pending,
                ))?,
            };
            Ok(match outcome {
                Ok(c) => VerifyView {
                    valid: true,
                    error: None,
                    message: None,
                    failure: None,
                    payer: c.payer,
                    session: c.session,
                    height: at,
                },
                Err(f) => VerifyView {
                    valid: false,
                    error: Some(f.kind().to_string()),
                    message: Some(f.to_string()),
                    failure: Some(f),
                    payer: a.payer,
                    session: None,
                    height: at,
                },
            })
        })
        .await
    }

    async fn settle(&self, tx: String) -> Result<SettleView, ErrorObjectOwned> {
        let bytes = hex::decode(tx.trim().strip_prefix("0x").unwrap_or(tx.trim()))
            .map_err(|e| invalid(format!("tx is not hex: {e}")))?;
        let env = self.env.clone();
        let chain_id = self.chain_id.clone();
        let opened = {
            let env = env.clone();
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || env.submitter.open(&bytes))
                .await
                .map_err(internal)?
        }
        .map_err(|r| ErrorObject::owned(TX_REJECTED, r.message, r.kind))?;
        if opened.module != crate::NAME {
            return Err(invalid(format!(
                "the transaction carries a {} call, not a payments settle",
                opened.module
            )));
        }
        let call: PaymentCall = synod_primitives::decode_exact(&opened.call, usize::MAX)
            .map_err(|e| invalid(format!("undecodable payments call: {e}")))?;
        let PaymentCall::Settle {
            service: id, items, ..
        } = call
        else {
            return Err(invalid("the transaction's call is not a settle"));
        };
        let sender = opened.sender;
        let checks = read_latest(&env.store, move |s, height| {
            let at = height.saturating_add(1);
            let Some(svc) = service(s, id)? else {
                return Ok(Err(format!("no service {id}")));
            };
            if svc.owner != sender && svc.spec.payee != sender {
                return Ok(Err("only the service's owner or payee may settle".into()));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in &items {
                let a = &item.authorization.authorization;
                let (status, message) = match settlement(s, &a.payer, &a.nonce)? {
                    Some(done) if done.service == id && done.request_hash == a.request_hash => {
                        ("already_settled".to_string(), None)
                    }
                    _ => match checked(check_authorization(
                        s,
                        &chain_id,
                        at,
                        id,
                        &svc,
                        &item.authorization,
                        item.amount,
                        0,
                    ))? {
                        Ok(_) => ("ok".to_string(), None),
                        Err(f) => (f.kind().to_string(), Some(f.to_string())),
                    },
                };
                out.push(ItemCheck {
                    payer: a.payer,
                    nonce: a.nonce,
                    status,
                    message,
                });
            }
            Ok(Ok(out))
        })
        .await?
        .map_err(|m| ErrorObject::owned(NOT_FOUND, m, None::<()>))?;
        let tx_hash = tokio::task::spawn_blocking(move || env.submitter.submit(bytes))
            .await
            .map_err(internal)?
            .map_err(|r| ErrorObject::owned(TX_REJECTED, r.message, r.kind))?;
        Ok(SettleView {
            tx_hash,
            items: checks,
        })
    }

    async fn settlement(
        &self,
        payer: AccountId,
        nonce: Hash,
    ) -> Result<Option<SettlementRecord>, ErrorObjectOwned> {
        read_latest(&self.env.store, move |s, _| settlement(s, &payer, &nonce)).await
    }
}

/// A description of every method, for `rpc.discover`.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = crate::NAME;
    vec![
        MethodDoc::new(ns, "service", "A registered service: owner, payee, endpoints, asset uses.")
            .param::<ServiceId>("id", "The service's id.")
            .returns::<Option<ServiceView>>("service"),
        MethodDoc::new(ns, "serviceByName", "A registered service by its unique name.")
            .param::<String>("name", "The name.")
            .returns::<Option<ServiceView>>("service"),
        MethodDoc::new(ns, "services", "Services in id order (at most 256).")
            .optional::<ServiceId>("from", "First id (default 0).")
            .optional::<u64>("limit", "How many (default and most 256).")
            .returns::<Vec<ServiceView>>("services"),
        MethodDoc::new(ns, "byOwner", "An owner's services (at most 256).")
            .param::<AccountId>("owner", "The owner.")
            .returns::<Vec<ServiceView>>("services"),
        MethodDoc::new(
            ns,
            "verify",
            "Checks a signed payment authorization as a settlement in the next block would: service, payee, asset, amount within the maximum, window, unused nonce, signature, the session's rules, the service's least record, and funds (with what is pending).",
        )
        .param::<SignedAuthorization>("authorization", "The signed authorization.")
        .param::<String>("amount", "What the service will charge (decimal string).")
        .optional::<PendingCharges>(
            "pending",
            "What the service already accepted from the payer: queued, and in settlement transactions not yet seen final (those the node has included are not counted again).",
        )
        .returns::<VerifyView>("verdict")
        .error(INVALID_PARAMS, "amount is not a decimal string, or too many in-flight settlements"),
        MethodDoc::new(
            ns,
            "settle",
            "Takes a service's signed Settle transaction (hex), reports each item against the newest state, and submits it.",
        )
        .param::<String>("tx", "The signed transaction, hex.")
        .returns::<SettleView>("settlement")
        .error(INVALID_PARAMS, "not hex, or not a payments settle")
        .error(NOT_FOUND, "no such service, or the sender may not settle for it")
        .error(TX_REJECTED, "the mempool refused it: `data` is the kind, e.g. stale_nonce"),
        MethodDoc::new(
            ns,
            "settlement",
            "The settlement of a payer's nonce, until its authorization's window closes.",
        )
        .param::<AccountId>("payer", "The payer.")
        .param::<Hash>("nonce", "The authorization's nonce.")
        .returns::<Option<SettlementRecord>>("settlement"),
    ]
}
