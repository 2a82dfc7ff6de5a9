//! The service side: axum middleware that demands, checks and settles payments.
//!
//! Mount it with [`Paywall::protect`]. Endpoints the service registered on chain (method and
//! exact path) are paid; every other route passes through untouched. A paid call is answered
//! after the node has verified its authorization; settlement follows in a batch within
//! [`PaywallConfig::batch_interval`] (the answer's `X-Payment-Response` says `queued`, and
//! `payments_settlement` shows it once final). Until its batch is final an authorization's
//! charge counts as pending against its payer, so a payer cannot be served more than its
//! balance covers, and its nonce cannot be replayed here in the meantime.

use crate::node::{ChainFacts, NodeError, chain_facts, connect, sign};
use crate::{PAYMENT_HEADER, PAYMENT_RESPONSE_HEADER};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonrpsee::http_client::HttpClient;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use synod_payments::rpc::PaymentsApiClient;
use synod_payments::rpc::{InFlightCharge, MAX_IN_FLIGHT, PendingCharges};
use synod_payments::wire::{
    Amount, MAX_SETTLE_ITEMS, PaymentRequirements, PaymentResponse, SCHEME,
};
use synod_payments::{
    Endpoint, PaymentCall, PaymentEvent, Pricing, ServiceId, ServiceSpec, SettleItem,
    SignedAuthorization, request_hash,
};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::TxStatus;
use synod_runtime::{Call, Event};

/// What an `upto` endpoint's handler charges: put it in the response's extensions. The charge
/// is capped at the endpoint's price; an `upto` answer without it is charged the price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metered(pub Amount);

/// How a [`Paywall`] runs.
#[derive(Clone, Debug)]
pub struct PaywallConfig {
    /// The node's JSON-RPC URL.
    pub node_url: String,
    /// The service, as registered on chain.
    pub service: ServiceId,
    /// The key that signs settlements: the service's owner or payee. It pays their fees.
    pub settler: Keypair,
    /// Most authorizations per settlement (at most `MAX_SETTLE_ITEMS`, 200).
    pub batch_max: usize,
    /// Longest wait before queued authorizations are settled.
    pub batch_interval: Duration,
    /// Blocks an authorization must stay valid for (asked of clients in the 402).
    pub valid_for_blocks: u64,
    /// The asset-vault work one settlement item may take (see `Settle.work_bound`).
    pub work_bound: u32,
    /// Largest request body read to hash it.
    pub max_body_bytes: usize,
    /// Most accepted authorizations waiting for settlement; beyond it calls get 503.
    pub max_open: usize,
    /// Most verifications in flight to the node at once (the rest wait): a node serves a
    /// limited number of connections per client address (32 by default).
    pub max_node_requests: usize,
}

impl PaywallConfig {
    /// Defaults: batches of up to 200 every 250 ms, authorizations valid 600 blocks, 64 work
    /// units per item, bodies up to 1 MiB, 100,000 open authorizations.
    pub fn new(node_url: impl Into<String>, service: ServiceId, settler: Keypair) -> Self {
        PaywallConfig {
            node_url: node_url.into(),
            service,
            settler,
            batch_max: MAX_SETTLE_ITEMS,
            batch_interval: Duration::from_millis(250),
            valid_for_blocks: 600,
            work_bound: 64,
            max_body_bytes: 1 << 20,
            max_open: 100_000,
            max_node_requests: 16,
        }
    }
}

/// Counters of a paywall since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PaywallStats {
    /// Calls answered with 402 (no payment, or a refused one).
    pub payment_required: u64,
    /// Calls served with an accepted authorization.
    pub accepted: u64,
    /// Authorizations settled on chain (final).
    pub settled: u64,
    /// Authorizations the chain refused at settlement.
    pub refused_on_chain: u64,
    /// Settlement transactions submitted.
    pub batches: u64,
    /// Accepted authorizations not yet final.
    pub open: u64,
}

#[derive(Default)]
struct Counters {
    payment_required: AtomicU64,
    accepted: AtomicU64,
    settled: AtomicU64,
    refused_on_chain: AtomicU64,
    batches: AtomicU64,
}

type NonceKey = (AccountId, Hash);

/// Every accepted authorization until the service sees its settlement final.
#[derive(Default)]
struct Book {
    /// Served, waiting for a batch.
    queued: Vec<SettleItem>,
    /// Every authorization accepted (or being checked) and not yet final: its charge and the
    /// settlement transaction carrying it, once submitted.
    open: HashMap<NonceKey, (Amount, Option<Hash>)>,
    /// Per payer, the charges not yet submitted.
    queued_by_payer: HashMap<AccountId, Amount>,
    /// Per submitted settlement not yet seen final, its charges per payer.
    in_flight: HashMap<Hash, HashMap<AccountId, Amount>>,
    /// The settler's next transaction nonce, once known.
    next_nonce: Option<u64>,
}

fn add(map: &mut HashMap<AccountId, Amount>, who: AccountId, amount: Amount) {
    let v = map.entry(who).or_default();
    *v = v.saturating_add(amount);
}

fn sub(map: &mut HashMap<AccountId, Amount>, who: &AccountId, amount: Amount) {
    if let Some(v) = map.get_mut(who) {
        *v = v.saturating_sub(amount);
        if *v == 0 {
            map.remove(who);
        }
    }
}

impl Book {
    /// What `payments_verify` must count for `payer` besides the chain's own counters.
    fn pending(&self, payer: &AccountId) -> PendingCharges {
        PendingCharges {
            queued: self.queued_by_payer.get(payer).copied().unwrap_or(0),
            in_flight: self
                .in_flight
                .iter()
                .filter_map(|(tx, by)| {
                    by.get(payer).map(|amount| InFlightCharge {
                        tx: *tx,
                        amount: *amount,
                    })
                })
                .take(MAX_IN_FLIGHT)
                .collect(),
        }
    }

    fn reserve(&mut self, key: NonceKey, amount: Amount) -> bool {
        if self.open.contains_key(&key) {
            return false;
        }
        self.open.insert(key, (amount, None));
        add(&mut self.queued_by_payer, key.0, amount);
        true
    }

    /// Forgets an authorization that will not be settled (refused, or charged nothing).
    fn release(&mut self, key: &NonceKey) {
        if let Some((amount, None)) = self.open.remove(key) {
            sub(&mut self.queued_by_payer, &key.0, amount);
        }
    }

    fn recharge(&mut self, key: &NonceKey, amount: Amount) {
        if let Some((old, None)) = self.open.get_mut(key) {
            let old_amount = *old;
            *old = amount;
            sub(&mut self.queued_by_payer, &key.0, old_amount);
            add(&mut self.queued_by_payer, key.0, amount);
        }
    }

    /// Moves a batch from queued to in flight in `tx`.
    fn submitted(&mut self, tx: Hash, batch: &[SettleItem]) {
        let mut by = HashMap::new();
        for item in batch {
            let a = &item.authorization.authorization;
            if let Some(slot) = self.open.get_mut(&(a.payer, a.nonce)) {
                slot.1 = Some(tx);
            }
            sub(&mut self.queued_by_payer, &a.payer, item.amount);
            add(&mut by, a.payer, item.amount);
        }
        self.in_flight.insert(tx, by);
    }

    /// A batch is final: its authorizations are closed.
    fn finalized(&mut self, tx: &Hash, batch: &[SettleItem]) {
        self.in_flight.remove(tx);
        for item in batch {
            let a = &item.authorization.authorization;
            self.open.remove(&(a.payer, a.nonce));
        }
    }

    /// A submitted batch was dropped: queue its items again.
    fn requeue(&mut self, tx: &Hash, batch: Vec<SettleItem>) {
        self.in_flight.remove(tx);
        self.next_nonce = None;
        for item in &batch {
            let a = &item.authorization.authorization;
            if let Some(slot) = self.open.get_mut(&(a.payer, a.nonce)) {
                slot.1 = None;
            }
            add(&mut self.queued_by_payer, a.payer, item.amount);
        }
        self.queued.extend(batch);
    }
}

struct Inner {
    cfg: PaywallConfig,
    node: HttpClient,
    facts: ChainFacts,
    spec: RwLock<ServiceSpec>,
    height: AtomicU64,
    book: Mutex<Book>,
    wake: tokio::sync::Notify,
    counters: Counters,
    node_slots: tokio::sync::Semaphore,
}

/// A running paywall: clone it freely (one settlement task serves all clones).
#[derive(Clone)]
pub struct Paywall {
    inner: Arc<Inner>,
}

/// Why a paywall could not start.
#[derive(Debug, thiserror::Error)]
pub enum PaywallError {
    /// The node could not be read.
    #[error("node: {0}")]
    Node(#[from] NodeError),
    /// The service is not registered.
    #[error("service {0} is not registered on this chain")]
    UnknownService(ServiceId),
    /// The settler may not settle for the service.
    #[error("{settler} is neither the owner nor the payee of service {service}")]
    NotSettler {
        /// The key.
        settler: AccountId,
        /// The service.
        service: ServiceId,
    },
}

impl Paywall {
    /// Reads the service and the chain from the node and starts the settlement task (on the
    /// current tokio runtime).
    pub async fn start(cfg: PaywallConfig) -> Result<Self, PaywallError> {
        let node = connect(&cfg.node_url)?;
        let facts = chain_facts(&node).await?;
        let view = node
            .service(cfg.service)
            .await
            .map_err(NodeError::from)?
            .ok_or(PaywallError::UnknownService(cfg.service))?;
        let settler = cfg.settler.account();
        if view.record.owner != settler && view.record.spec.payee != settler {
            return Err(PaywallError::NotSettler {
                settler,
                service: cfg.service,
            });
        }
        let heads = node.heads().await.map_err(NodeError::from)?;
        let inner = Arc::new(Inner {
            node,
            facts,
            spec: RwLock::new(view.record.spec),
            height: AtomicU64::new(heads.latest_height),
            book: Mutex::new(Book::default()),
            wake: tokio::sync::Notify::new(),
            counters: Counters::default(),
            node_slots: tokio::sync::Semaphore::new(cfg.max_node_requests.max(1)),
            cfg,
        });
        tokio::spawn(settle_loop(Arc::downgrade(&inner)));
        Ok(Paywall { inner })
    }

    /// `router` with every registered endpoint behind the paywall.
    pub fn protect(&self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), guard))
    }

    /// The counters so far.
    pub fn stats(&self) -> PaywallStats {
        let c = &self.inner.counters;
        PaywallStats {
            payment_required: c.payment_required.load(Ordering::Relaxed),
            accepted: c.accepted.load(Ordering::Relaxed),
            settled: c.settled.load(Ordering::Relaxed),
            refused_on_chain: c.refused_on_chain.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            open: self.inner.book.lock().open.len() as u64,
        }
    }

    /// Settles everything accepted so far and waits (at most `timeout`) until it is final.
    /// Returns whether nothing is left open.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.inner.book.lock().open.is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            self.inner.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn unavailable(message: String) -> Response {
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({ "error": "payment_unavailable", "message": message }),
    )
}

/// The middleware.
async fn guard(State(pw): State<Paywall>, req: Request, next: Next) -> Response {
    let inner = &pw.inner;
    let endpoint = {
        let spec = inner.spec.read();
        let path = req.uri().path();
        spec.endpoints
            .iter()
            .find(|e| e.method == req.method().as_str() && e.path == path)
            .cloned()
    };
    let Some(endpoint) = endpoint else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, inner.cfg.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &serde_json::json!({ "error": "body_too_large", "max": inner.cfg.max_body_bytes }),
            );
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str())
        .to_string();
    let rh = request_hash(parts.method.as_str(), &path_and_query, &body);
    let demand = |error: Option<(&str, String)>| {
        inner
            .counters
            .payment_required
            .fetch_add(1, Ordering::Relaxed);
        let spec = inner.spec.read();
        json_response(
            StatusCode::PAYMENT_REQUIRED,
            &PaymentRequirements {
                scheme: SCHEME.into(),
                chain_id: inner.facts.chain_id.clone(),
                service: inner.cfg.service,
                method: endpoint.method.clone(),
                path: endpoint.path.clone(),
                payee: spec.payee,
                asset: endpoint.asset,
                price: endpoint.price,
                pricing: endpoint.pricing,
                request_hash: rh,
                height: inner.height.load(Ordering::Relaxed),
                valid_for_blocks: inner.cfg.valid_for_blocks,
                error: error.as_ref().map(|(k, _)| k.to_string()),
                message: error.map(|(_, m)| m),
            },
        )
    };
    let Some(header) = parts.headers.get(PAYMENT_HEADER) else {
        return demand(None);
    };
    let signed = match header
        .to_str()
        .map_err(|_| "X-Payment is not ASCII".to_string())
        .and_then(SignedAuthorization::from_header)
    {
        Ok(s) => s,
        Err(m) => return demand(Some(("malformed_payment", m))),
    };
    if let Err((kind, message)) = local_checks(inner, &endpoint, &signed, &rh) {
        return demand(Some((kind, message)));
    }
    let a = &signed.authorization;
    let key = (a.payer, a.nonce);
    // Reserve before asking the node, so that the same nonce sent twice at once is served
    // once.
    let pending = {
        let mut book = inner.book.lock();
        if book.open.len() >= inner.cfg.max_open {
            return unavailable("too many payments waiting for settlement".into());
        }
        let before = book.pending(&a.payer);
        if !book.reserve(key, endpoint.price) {
            drop(book);
            return demand(Some((
                "nonce_used",
                format!("nonce {} is already being settled", a.nonce),
            )));
        }
        before
    };
    let verdict = {
        let _slot = inner.node_slots.acquire().await;
        inner
            .node
            .verify(signed.clone(), endpoint.price.to_string(), Some(pending))
            .await
    };
    match verdict {
        Ok(v) if v.valid => {}
        Ok(v) => {
            inner.book.lock().release(&key);
            return demand(Some((
                v.error.as_deref().unwrap_or("refused"),
                v.message.unwrap_or_default(),
            )));
        }
        Err(e) => {
            inner.book.lock().release(&key);
            return unavailable(format!("cannot verify the payment: {e}"));
        }
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.status().is_server_error() {
        // Nothing useful was delivered: charge nothing.
        inner.book.lock().release(&key);
        return response;
    }
    let charge = match endpoint.pricing {
        Pricing::Exact => endpoint.price,
        Pricing::Upto => response
            .extensions()
            .get::<Metered>()
            .map_or(endpoint.price, |m| m.0.min(endpoint.price)),
    };
    let mut response = response;
    if charge == 0 {
        inner.book.lock().release(&key);
    } else {
        let mut book = inner.book.lock();
        book.recharge(&key, charge);
        book.queued.push(SettleItem {
            authorization: signed.clone(),
            amount: charge,
        });
        let full = book.queued.len() >= inner.cfg.batch_max;
        drop(book);
        if full {
            inner.wake.notify_one();
        }
    }
    inner.counters.accepted.fetch_add(1, Ordering::Relaxed);
    let receipt = PaymentResponse {
        nonce: a.nonce,
        amount: charge,
        status: "queued".into(),
        tx: None,
    };
    if let Ok(v) = HeaderValue::from_str(&serde_json::to_string(&receipt).unwrap_or_default()) {
        response.headers_mut().insert(PAYMENT_RESPONSE_HEADER, v);
    }
    response
}

/// What the service checks itself before asking the node.
fn local_checks(
    inner: &Inner,
    endpoint: &Endpoint,
    signed: &SignedAuthorization,
    rh: &Hash,
) -> Result<(), (&'static str, String)> {
    let a = &signed.authorization;
    if a.request_hash != *rh {
        return Err((
            "request_mismatch",
            "the authorization is for another request (method, path, query or body differ)".into(),
        ));
    }
    if a.service != inner.cfg.service {
        return Err((
            "wrong_service",
            format!("the authorization is for service {}", a.service),
        ));
    }
    let payee = inner.spec.read().payee;
    if a.payee != payee {
        return Err(("payee_mismatch", format!("the payee is {payee}")));
    }
    if a.asset != endpoint.asset {
        return Err((
            "asset_not_accepted",
            format!("this endpoint is paid in {:?}", endpoint.asset),
        ));
    }
    if a.max_amount < endpoint.price {
        return Err((
            "below_price",
            format!(
                "the authorization allows {}, the price is {}",
                a.max_amount, endpoint.price
            ),
        ));
    }
    let height = inner.height.load(Ordering::Relaxed);
    // It must stay valid long enough to settle in a batch.
    let needed = height.saturating_add(inner.cfg.valid_for_blocks.min(10));
    if a.valid_before < needed {
        return Err((
            "window_too_short",
            format!(
                "the authorization must stay valid until at least height {needed} (it ends at {})",
                a.valid_before
            ),
        ));
    }
    Ok(())
}

/// Settles queued authorizations, in batches, until every paywall clone is dropped.
async fn settle_loop(weak: std::sync::Weak<Inner>) {
    let mut last_spec = Instant::now();
    loop {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        let interval = inner.cfg.batch_interval;
        {
            let wake = inner.wake.notified();
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = wake => {}
            }
        }
        if let Ok(h) = inner.node.heads().await {
            inner.height.store(h.latest_height, Ordering::Relaxed);
        }
        if last_spec.elapsed() > Duration::from_secs(10) {
            last_spec = Instant::now();
            if let Ok(Some(v)) = inner.node.service(inner.cfg.service).await {
                *inner.spec.write() = v.record.spec;
            }
        }
        loop {
            let batch: Vec<SettleItem> = {
                let mut book = inner.book.lock();
                let n = book
                    .queued
                    .len()
                    .min(inner.cfg.batch_max.clamp(1, MAX_SETTLE_ITEMS));
                book.queued.drain(..n).collect()
            };
            if batch.is_empty() {
                break;
            }
            if let Err(e) = submit(&inner, batch).await {
                tracing::warn!(error = %e, "settlement not submitted; will retry");
                break;
            }
        }
    }
}

/// Signs and submits one batch; on success a task follows it to finality. On failure the
/// items go back to the queue (settlement is idempotent, so a retry never charges twice).
async fn submit(inner: &Arc<Inner>, batch: Vec<SettleItem>) -> Result<(), NodeError> {
    let known = inner.book.lock().next_nonce;
    let nonce = match known {
        Some(n) => n,
        None => inner.node.next_nonce(inner.cfg.settler.account()).await?,
    };
    let call = Call::Payments(PaymentCall::Settle {
        service: inner.cfg.service,
        work_bound: inner.cfg.work_bound,
        items: batch.clone(),
    });
    let tx = sign(&inner.facts, &inner.cfg.settler, nonce, call);
    match inner.node.settle(hex::encode(tx.encode())).await {
        Ok(view) => {
            {
                let mut book = inner.book.lock();
                book.next_nonce = Some(nonce + 1);
                book.submitted(view.tx_hash, &batch);
            }
            inner.counters.batches.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(follow(Arc::clone(inner), view.tx_hash, batch));
            Ok(())
        }
        Err(e) => {
            let e = NodeError::from(e);
            let mut book = inner.book.lock();
            // A nonce out of step (another sender, a restart): ask the node again next time.
            book.next_nonce = None;
            let mut items = batch;
            items.append(&mut book.queued);
            book.queued = items;
            Err(e)
        }
    }
}

/// Waits for a settlement to be final and closes its items' reservations by its receipt.
async fn follow(inner: Arc<Inner>, tx: Hash, batch: Vec<SettleItem>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match inner.node.transaction_status(tx).await {
            Ok(TxStatus::Finalized { receipt }) => {
                let mut settled = 0u64;
                let mut refused = 0u64;
                for e in &receipt.events {
                    match e {
                        Event::Payments(PaymentEvent::Settled { .. })
                        | Event::Payments(PaymentEvent::AlreadySettled { .. }) => settled += 1,
                        Event::Payments(PaymentEvent::SettlementRefused {
                            payer,
                            nonce,
                            failure,
                            ..
                        }) => {
                            refused += 1;
                            tracing::warn!(%payer, %nonce, kind = failure.kind(), "settlement refused on chain");
                        }
                        _ => {}
                    }
                }
                if settled + refused == 0 {
                    tracing::warn!(%tx, outcome = ?receipt.outcome, "settlement transaction failed");
                    refused = batch.len() as u64;
                }
                inner.counters.settled.fetch_add(settled, Ordering::Relaxed);
                inner
                    .counters
                    .refused_on_chain
                    .fetch_add(refused, Ordering::Relaxed);
                inner.book.lock().finalized(&tx, &batch);
                return;
            }
            Ok(TxStatus::Unknown) => {
                // Dropped by the node: queue the items again.
                inner.book.lock().requeue(&tx, batch);
                return;
            }
            Ok(TxStatus::Pending) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => {
                tracing::warn!(%tx, "settlement not final in 120 s; queued again");
                inner.book.lock().requeue(&tx, batch);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_agents_rules::Asset;
    use synod_payments::Authorization;

    fn item(payer: u8, nonce: u8, amount: Amount) -> SettleItem {
        let key = Keypair::dev(&format!("payer-{payer}"));
        SettleItem {
            authorization: Authorization {
                payer: AccountId([payer; 32]),
                signer: AccountId([payer; 32]),
                service: 0,
                payee: AccountId([9; 32]),
                asset: Asset::Native,
                max_amount: amount,
                valid_after: 0,
                valid_before: 10,
                nonce: Hash([nonce; 32]),
                request_hash: Hash::ZERO,
            }
            .sign(&key, "test"),
            amount,
        }
    }

    fn key(i: &SettleItem) -> NonceKey {
        let a = &i.authorization.authorization;
        (a.payer, a.nonce)
    }

    /// A payer's pending charges follow each authorization from acceptance to finality: queued,
    /// then in its settlement transaction (which the node can tell apart once included), then
    /// gone; a dropped settlement queues them again; a nonce is served once while open.
    #[test]
    fn pending_charges_follow_each_authorization() {
        let mut b = Book::default();
        let payer = AccountId([1; 32]);
        let (i1, i2, i3) = (item(1, 1, 10), item(1, 2, 20), item(2, 3, 5));
        for i in [&i1, &i2, &i3] {
            assert!(b.reserve(key(i), i.amount));
        }
        assert!(!b.reserve(key(&i1), 10), "the same nonce while open");
        // A metered call charged less than the price it reserved: queued at its charge.
        b.recharge(&key(&i2), 7);
        let i2 = SettleItem { amount: 7, ..i2 };
        b.queued = vec![i1.clone(), i2.clone(), i3.clone()];
        assert_eq!(b.pending(&payer).queued, 17);
        let batch: Vec<SettleItem> = b.queued.drain(..2).collect();
        let tx = Hash([5; 32]);
        b.submitted(tx, &batch);
        let p = b.pending(&payer);
        assert_eq!(p.queued, 0);
        assert_eq!(
            p.in_flight,
            vec![InFlightCharge { tx, amount: 17 }],
            "both charges in one settlement"
        );
        assert_eq!(b.pending(&AccountId([2; 32])).queued, 5);
        b.requeue(&tx, batch.clone());
        assert_eq!(b.pending(&payer).queued, 17);
        assert!(b.pending(&payer).in_flight.is_empty());
        let batch: Vec<SettleItem> = b
            .queued
            .iter()
            .filter(|i| i.authorization.authorization.payer == payer)
            .cloned()
            .collect();
        b.queued
            .retain(|i| i.authorization.authorization.payer != payer);
        b.submitted(tx, &batch);
        b.finalized(&tx, &batch);
        assert_eq!(b.pending(&payer), PendingCharges::default());
        assert!(
            b.reserve(key(&i1), 10),
            "a final nonce is no longer open here"
        );
        b.release(&key(&i1));
        b.release(&key(&i3));
        assert!(b.open.is_empty() && b.queued_by_payer.is_empty());
    }
}
