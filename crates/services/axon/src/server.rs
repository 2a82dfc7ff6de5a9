//! The miner side: axum middleware that admits only signed, fresh, unreplayed requests from
//! hotkeys registered on the subnet with enough stake, and signs every answer.

use crate::membership::Membership;
use crate::protocol::{ProtocolError, headers, now_ms, parse_request, response_signing_hash};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use synod_primitives::{AccountId, Keypair};

/// How an axon checks requests.
#[derive(Clone, Debug)]
pub struct AxonConfig {
    /// The miner's hotkey: requests must be signed for it; answers are signed with it.
    pub hotkey: Keypair,
    /// The chain id requests must name.
    pub chain_id: String,
    /// The subnet requests must name, and whose members may call.
    pub netuid: u16,
    /// Largest distance between a request's timestamp and this machine's clock.
    pub max_skew: Duration,
    /// Least stake weight a caller must have (0: any registered hotkey).
    pub min_stake: u64,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most request ids remembered (a full cache refuses new requests rather than forget).
    pub replay_capacity: usize,
}

impl AxonConfig {
    /// Defaults: 30 s of clock skew, no stake minimum, bodies up to 4 MiB, 1,000,000 ids.
    pub fn new(hotkey: Keypair, chain_id: impl Into<String>, netuid: u16) -> Self {
        AxonConfig {
            hotkey,
            chain_id: chain_id.into(),
            netuid,
            max_skew: Duration::from_secs(30),
            min_stake: 0,
            max_body_bytes: 4 << 20,
            replay_capacity: 1_000_000,
        }
    }
}

/// The verified caller of a request, in its extensions for the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Its hotkey.
    pub hotkey: AccountId,
    /// Its UID on the subnet.
    pub uid: u16,
    /// Its stake weight.
    pub stake: u64,
    /// The request's id.
    pub request_id: [u8; 32],
}

/// Request ids seen within the freshness window, per caller.
#[derive(Default)]
struct ReplayCache {
    seen: HashMap<(AccountId, [u8; 32]), u64>,
    order: VecDeque<(u64, AccountId, [u8; 32])>,
}

impl ReplayCache {
    /// Records the id; false if it was already there. Ids older than `forget_before` (whose
    /// requests would be refused as stale anyway) are dropped first.
    fn insert(&mut self, who: AccountId, id: [u8; 32], ts: u64, forget_before: u64) -> bool {
        while let Some(&(t, w, i)) = self.order.front() {
            if t >= forget_before {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&(w, i)) == Some(&t) {
                self.seen.remove(&(w, i));
            }
        }
        if self.seen.contains_key(&(who, id)) {
            return false;
        }
        self.seen.insert((who, id), ts);
        self.order.push_back((ts, who, id));
        // Keep the queue ordered by timestamp for pruning: a request may arrive with an older
        // timestamp than the last; it is then pruned a little late, never early.
        true
    }

    fn len(&self) -> usize {
        self.seen.len()
    }
}

struct Inner<M> {
    cfg: AxonConfig,
    membership: M,
    replay: Mutex<ReplayCache>,
    accepted: AtomicU64,
    refused: AtomicU64,
}

/// A miner's request guard; clone freely.
pub struct Axon<M> {
    inner: Arc<Inner<M>>,
}

impl<M> Clone for Axon<M> {
    fn clone(&self) -> Self {
        Axon {
            inner: Arc::clone(&self.inner),
        }
    }
}

fn refuse(e: &ProtocolError) -> Response {
    let status = match e {
        ProtocolError::NotRegistered(_)
        | ProtocolError::InsufficientStake { .. }
        | ProtocolError::WrongTarget(_)
        | ProtocolError::WrongChain(_)
        | ProtocolError::WrongSubnet(_) => StatusCode::FORBIDDEN,
        ProtocolError::ChainUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ProtocolError::MissingHeader(_)
        | ProtocolError::MalformedHeader { .. }
        | ProtocolError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
        ProtocolError::Stale { .. } | ProtocolError::BadSignature | ProtocolError::Replayed => {
            StatusCode::UNAUTHORIZED
        }
    };
    let body = serde_json::json!({ "error": e.kind(), "message": e.to_string() }).to_string();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

impl<M: Membership> Axon<M> {
    /// An axon checking requests with `cfg`, reading callers from `membership`.
    pub fn new(cfg: AxonConfig, membership: M) -> Self {
        Axon {
            inner: Arc::new(Inner {
                cfg,
                membership,
                replay: Mutex::new(ReplayCache::default()),
                accepted: AtomicU64::new(0),
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// `router` with every route behind the checks.
    pub fn protect(&self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(
            self.clone(),
            guard::<M>,
        ))
    }

    /// Requests accepted and refused so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.inner.accepted.load(Ordering::Relaxed),
            self.inner.refused.load(Ordering::Relaxed),
        )
    }

    /// Every check of one request (headers, body and path already read), in order: form,
    /// target, chain, subnet, freshness, signature, registration and stake, replay.
    pub async fn check(
        &self,
        get: impl Fn(&'static str) -> Option<String>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<Caller, ProtocolError> {
        let cfg = &self.inner.cfg;
        let req = parse_request(get)?;
        if req.signed_for != cfg.hotkey.account() {
            return Err(ProtocolError::WrongTarget(req.signed_for));
        }
        if req.chain_id != cfg.chain_id {
            return Err(ProtocolError::WrongChain(req.chain_id));
        }
        if req.netuid != cfg.netuid {
            return Err(ProtocolError::WrongSubnet(req.netuid));
        }
        let now = now_ms();
        let skew = now.abs_diff(req.timestamp_ms);
        let max_ms = u64::try_from(cfg.max_skew.as_millis()).unwrap_or(u64::MAX);
        if skew > max_ms {
            return Err(ProtocolError::Stale {
                timestamp_ms: req.timestamp_ms,
                skew_ms: skew,
                max_ms,
            });
        }
        req.verify(method, path_and_query, body)?;
        let member = self
            .inner
            .membership
            .lookup(req.signed_by)
            .await
            .map_err(ProtocolError::ChainUnavailable)?
            .ok_or(ProtocolError::NotRegistered(req.signed_by))?;
        if member.stake < cfg.min_stake {
            return Err(ProtocolError::InsufficientStake {
                stake: member.stake,
                min: cfg.min_stake,
            });
        }
        let mut replay = self.inner.replay.lock();
        if replay.len() >= cfg.replay_capacity {
            return Err(ProtocolError::ChainUnavailable(
                "too many requests in the freshness window".into(),
            ));
        }
        let forget_before = now.saturating_sub(max_ms.saturating_mul(2));
        if !replay.insert(
            req.signed_by,
            req.request_id,
            req.timestamp_ms,
            forget_before,
        ) {
            return Err(ProtocolError::Replayed);
        }
        Ok(Caller {
            hotkey: req.signed_by,
            uid: member.uid,
            stake: member.stake,
            request_id: req.request_id,
        })
    }
}

async fn guard<M: Membership>(State(axon): State<Axon<M>>, req: Request, next: Next) -> Response {
    let inner = &axon.inner;
    let (mut parts, body) = req.into_parts();
    let body = match to_bytes(body, inner.cfg.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                serde_json::json!({ "error": "body_too_large" }).to_string(),
            )
                .into_response();
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str())
        .to_string();
    let headers = parts.headers.clone();
    let get = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let caller = match axon
        .check(get, parts.method.as_str(), &path_and_query, &body)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            inner.refused.fetch_add(1, Ordering::Relaxed);
            return refuse(&e);
        }
    };
    inner.accepted.fetch_add(1, Ordering::Relaxed);
    parts.extensions.insert(caller);
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (mut rparts, rbody) = response.into_parts();
    let Ok(rbytes) = to_bytes(rbody, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let miner = inner.cfg.hotkey.account();
    let h = response_signing_hash(&caller.request_id, rparts.status.as_u16(), &rbytes, &miner);
    let sig = inner.cfg.hotkey.sign(&h.0);
    for (name, value) in [
        (headers::SIGNED_BY, miner.to_string()),
        (headers::REQUEST_ID, hex::encode(caller.request_id)),
        (headers::SIGNATURE, sig.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            rparts.headers.insert(name, v);
        }
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
