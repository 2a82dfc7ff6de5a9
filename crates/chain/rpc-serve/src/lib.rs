//! Serving a jsonrpsee module to untrusted clients with bounded resources.
//!
//! jsonrpsee's own accept loop has no read deadline (a client that sends headers and a few
//! bytes of body holds a request slot for as long as it likes), no per-address cap and no
//! origin check. [`serve`] accepts TCP connections itself and hands each one to hyper (HTTP/1.1,
//! WebSocket upgrades) in front of jsonrpsee's tower service, adding:
//!
//! - a connection cap in total and per client IP address (over it: `429` and close);
//! - a read deadline: the request headers must arrive within [`RpcLimits::request_timeout_ms`]
//!   of the connection opening or of the previous response, and the body within the same time
//!   after the headers; otherwise the connection is closed (WebSocket connections are exempt
//!   once upgraded);
//! - an `Origin` allow-list for HTTP and WebSocket requests from browsers (no `Origin` header:
//!   not a browser, allowed), with CORS headers for allowed origins;
//! - for WebSocket subscriptions, a byte budget per connection ([`send_bounded`]): a
//!   subscription whose notification cannot be queued within
//!   [`RpcLimits::ws_slow_consumer_timeout_ms`] is closed with a reason, instead of buffering.
//!
//! The body size and subscription count limits are jsonrpsee's, set from the same
//! [`RpcLimits`]. This crate knows no chain type; the chain node and blind nodes both use it.

use bytes::Bytes;
use jsonrpsee::server::{
    HttpBody, HttpRequest, HttpResponse, ServerConfig, ServerHandle, StopHandle, SubscriptionSink,
    stop_channel,
};
use jsonrpsee::{Extensions, Methods};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Origins allowed by default: pages served from this machine, any port.
pub const LOCAL_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "https://localhost:*",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
    "http://[::1]:*",
    "https://[::1]:*",
];

/// Resource limits of an RPC server. Every field has a safe default; a config file names only
/// what it changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcLimits {
    /// Largest request body (HTTP) or message (WebSocket), bytes. Unset: the server's own
    /// limit, derived from its largest legitimate request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_request_body_bytes: Option<u32>,
    /// Milliseconds a client has to send a request's headers (from the connection opening or
    /// the previous response) and, again, its body (from the end of the headers).
    pub request_timeout_ms: u64,
    /// Most open connections (HTTP and WebSocket together).
    pub max_connections: u32,
    /// Most open connections from one IP address.
    pub max_connections_per_ip: u32,
    /// Request body bytes one IP address may have in flight (declared by `Content-Length` or
    /// received so far) over all its connections; a request over it is refused with `503`.
    /// Unset: twice the body limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pending_body_bytes_per_ip: Option<u64>,
    /// Most active subscriptions on one WebSocket connection.
    pub max_subscriptions_per_connection: u32,
    /// Notification bytes one WebSocket connection may have queued and not yet written to the
    /// socket; a subscription waits for room rather than queue more.
    pub ws_max_buffered_bytes: u64,
    /// Milliseconds a subscription waits for room in its connection's budget before it is
    /// closed as a slow consumer.
    pub ws_slow_consumer_timeout_ms: u64,
    /// Origins (`scheme://host:port`, `:*` for any port, `*` for all) whose browser pages may
    /// call the server. Requests without an `Origin` header (non-browser clients) are always
    /// allowed.
    pub allowed_origins: Vec<String>,
}

impl Default for RpcLimits {
    fn default() -> Self {
        RpcLimits {
            max_request_body_bytes: None,
            request_timeout_ms: 30_000,
            max_connections: 1_000,
            max_connections_per_ip: 32,
            max_pending_body_bytes_per_ip: None,
            max_subscriptions_per_connection: 128,
            ws_max_buffered_bytes: 4 << 20,
            ws_slow_consumer_timeout_ms: 10_000,
            allowed_origins: LOCAL_ORIGINS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Why limits are unusable.
#[derive(Debug, thiserror::Error)]
#[error("rpc limits: {0}")]
pub struct LimitsError(String);

impl RpcLimits {
    /// Rejects zero limits and malformed origins.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let positive = [
            ("request_timeout_ms", self.request_timeout_ms),
            ("max_connections", u64::from(self.max_connections)),
            (
                "max_connections_per_ip",
                u64::from(self.max_connections_per_ip),
            ),
            (
                "max_subscriptions_per_connection",
                u64::from(self.max_subscriptions_per_connection),
            ),
            ("ws_max_buffered_bytes", self.ws_max_buffered_bytes),
            (
                "ws_slow_consumer_timeout_ms",
                self.ws_slow_consumer_timeout_ms,
            ),
            (
                "max_request_body_bytes",
                u64::from(self.max_request_body_bytes.unwrap_or(1)),
            ),
            (
                "max_pending_body_bytes_per_ip",
                self.max_pending_body_bytes_per_ip.unwrap_or(1),
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(LimitsError(format!("{name} must be positive")));
        }
        for o in &self.allowed_origins {
            if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
                return Err(LimitsError(format!(
                    "allowed origin '{o}' must be '*' or start with http:// or https://"
                )));
            }
        }
        Ok(())
    }

    fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// Whether `origin` (an `Origin` header value) matches the allow-list.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|pattern| {
        if pattern == "*" || pattern.eq_ignore_ascii_case(origin) {
            return true;
        }
        let Some(prefix) = pattern.strip_suffix(":*") else {
            return false;
        };
        if origin.eq_ignore_ascii_case(prefix) {
            return true;
        }
        match (origin.get(..prefix.len()), origin.get(prefix.len()..)) {
            (Some(head), Some(rest)) => {
                head.eq_ignore_ascii_case(prefix)
                    && rest
                        .strip_prefix(':')
                        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            }
            _ => false,
        }
    })
}

/// Open connections, in total and per address, and request body bytes in flight per address.
struct Slots {
    max_total: u32,
    max_per_ip: u32,
    max_body_per_ip: u64,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: u32,
    /// Connections and body bytes in flight.
    per_ip: HashMap<IpAddr, (u32, u64)>,
}

/// One open connection's place; released on drop (when the socket is dropped, which for an
/// upgraded WebSocket is when jsonrpsee drops the connection).
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock();
        let per_ip = open.per_ip.get(&ip).map_or(0, |e| e.0);
        if open.total >= self.max_total || per_ip >= self.max_per_ip {
            return None;
        }
        open.total += 1;
        open.per_ip.entry(ip).or_default().0 += 1;
        Some(Slot {
            slots: Arc::clone(self),
            ip,
        })
    }

    /// Counts `n` more body bytes in flight from `ip`, unless that goes over the budget.
    fn reserve_body(&self, ip: IpAddr, n: u64) -> bool {
        let mut open = self.open.lock();
        let Some(entry) = open.per_ip.get_mut(&ip) else {
            return false;
        };
        if entry.1.saturating_add(n) > self.max_body_per_ip {
            return false;
        }
        entry.1 += n;
        true
    }

    fn release_body(&self, ip: IpAddr, n: u64) {
        if let Some(entry) = self.open.lock().per_ip.get_mut(&ip) {
            entry.1 = entry.1.saturating_sub(n);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(e) = open.per_ip.get_mut(&self.ip) {
            e.0 -= 1;
            if e.0 == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

/// State shared by a connection's IO, its service and its watchdog.
struct Conn {
    /// When the connection is closed unless the client has sent what is expected by then;
    /// `None` while the server, not the client, is the one to act.
    deadline: Mutex<Option<Instant>>,
    deadline_changed: Notify,
    /// Upgraded to WebSocket: no read deadline any more.
    upgraded: AtomicBool,
    /// Notification bytes queued by [`send_bounded`] and not yet written out (approximate: all
    /// writes count against it, framing and call responses included).
    queued: AtomicUsize,
    written: Notify,
    max_queued: usize,
    slow_timeout: Duration,
}

impl Conn {
    fn set_deadline(&self, at: Option<Instant>) {
        if self.upgraded.load(Ordering::Acquire) && at.is_some() {
            return;
        }
        *self.deadline.lock() = at;
        self.deadline_changed.notify_waiters();
    }

    /// Completes when the deadline passes (never while it is unset).
    async fn expired(&self) {
        loop {
            let changed = self.deadline_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let at = *self.deadline.lock();
            match at {
                None => changed.await,
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            if self.deadline.lock().is_some_and(|d| d <= Instant::now()) {
                                return;
                            }
                        }
                        _ = changed => {}
                    }
                }
            }
        }
    }
}

/// The socket, counting written bytes against the connection's notification budget and
/// holding the connection's slot for as long as it lives.
struct Io {
    inner: TcpStream,
    conn: Arc<Conn>,
    _slot: Slot,
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            let _ = self
                .conn
                .queued
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                    Some(q.saturating_sub(n))
                });
            self.conn.written.notify_waiters();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that clears the connection's read deadline once it has been read to the end,
/// and counts its bytes against its address's budget until it is dropped.
struct DeadlineBody {
    inner: hyper::body::Incoming,
    conn: Arc<Conn>,
    done: bool,
    slots: Arc<Slots>,
    ip: IpAddr,
    /// Bytes counted against the address's budget (the declared length, up front, or what has
    /// arrived of a body without one).
    reserved: u64,
    received: u64,
}

impl Drop for DeadlineBody {
    fn drop(&mut self) {
        self.slots.release_body(self.ip, self.reserved);
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let r = Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(BoxError::from);
        if let Poll::Ready(Some(Ok(frame))) = &r
            && let Some(data) = frame.data_ref()
        {
            self.received += data.len() as u64;
            if self.received > self.reserved {
                let more = self.received - self.reserved;
                if !self.slots.reserve_body(self.ip, more) {
                    return Poll::Ready(Some(Err(
                        "too many unfinished request bodies from this address".into(),
                    )));
                }
                self.reserved += more;
            }
        }
        let finished = matches!(r, Poll::Ready(None) | Poll::Ready(Some(Err(_))))
            || (matches!(r, Poll::Ready(Some(Ok(_))))
                && http_body::Body::is_end_stream(&self.inner));
        if finished && !self.done {
            self.done = true;
            self.conn.set_deadline(None);
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}

/// The per-connection WebSocket budget, found in the extensions of every call made on a
/// WebSocket connection that [`serve`] accepted.
#[derive(Clone)]
pub struct WsBudget(Arc<Conn>);

/// Why [`send_bounded`] did not send.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The connection or the subscription is gone.
    #[error("subscription closed")]
    Closed,
    /// The client does not read fast enough; the subscription should end with this reason.
    #[error("{0}")]
    SlowConsumer(String),
    /// The notification could not be serialized.
    #[error("cannot serialize the notification: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Fallback when a call did not come through [`serve`] (in-process tests).
const UNBUDGETED_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends the notification `build` makes on `sink`, once the connection has fewer than
/// [`RpcLimits::ws_max_buffered_bytes`] queued; builds it only then, so that a waiting
/// subscription holds no message. Gives up with [`SendError::SlowConsumer`] after
/// [`RpcLimits::ws_slow_consumer_timeout_ms`].
pub async fn send_bounded(
    sink: &mut SubscriptionSink,
    ext: &Extensions,
    mut build: impl FnMut() -> Result<Box<RawValue>, serde_json::Error>,
) -> Result<(), SendError> {
    let Some(WsBudget(conn)) = ext.get::<WsBudget>().cloned() else {
        let msg = build()?;
        return match sink.send_timeout(msg, UNBUDGETED_TIMEOUT).await {
            Ok(()) => Ok(()),
            Err(jsonrpsee::core::server::SendTimeoutError::Closed(_)) => Err(SendError::Closed),
            Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => Err(
                SendError::SlowConsumer("client too slow: notification not sent in time".into()),
            ),
        };
    };
    let deadline = Instant::now() + conn.slow_timeout;
    loop {
        if sink.is_closed() {
            return Err(SendError::Closed);
        }
        let written = conn.written.notified();
        tokio::pin!(written);
        written.as_mut().enable();
        if conn.queued.load(Ordering::Acquire) < conn.max_queued && sink.capacity() > 0 {
            let msg = build()?;
            let n = msg.get().len();
            let reserved = conn
                .queued
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                    (q < conn.max_queued).then_some(q + n)
                })
                .is_ok();
            if reserved {
                match sink.try_send(msg) {
                    Ok(()) => return Ok(()),
                    Err(jsonrpsee::core::server::TrySendError::Closed(_)) => {
                        return Err(SendError::Closed);
                    }
                    Err(jsonrpsee::core::server::TrySendError::Full(_)) => {
                        let _ =
                            conn.queued
                                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                                    Some(q.saturating_sub(n))
                                });
                    }
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(SendError::SlowConsumer(format!(
                "subscription closed: slow consumer (the connection had {} notification bytes \
                 unread for {} ms; limit {})",
                conn.queued.load(Ordering::Acquire),
                conn.slow_timeout.as_millis(),
                conn.max_queued
            )));
        }
        // Room appears when bytes are written out; the periodic check covers room freed in
        // jsonrpsee's message queue without a write of ours being observed.
        tokio::select! {
            _ = written => {}
            _ = tokio::time::sleep(Duration::from_millis(100).min(deadline - Instant::now())) => {}
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn plain(status: u16, text: &str) -> HttpResponse {
    let mut r = HttpResponse::new(HttpBody::from(text.to_string()));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::FORBIDDEN);
    r
}

fn add_cors(r: &mut HttpResponse, origin: &hyper::header::HeaderValue) {
    let h = r.headers_mut();
    h.insert(hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    h.insert(
        hyper::header::VARY,
        hyper::header::HeaderValue::from_static("origin"),
    );
}

/// Starts serving `methods` on `listener` with `config`'s jsonrpsee settings and `limits`;
/// `body_limit` is the body size limit set in `config`. The server stops when the handle's
/// `stop()` is called or the handle is dropped.
pub fn serve(
    listener: TcpListener,
    methods: impl Into<Methods>,
    config: ServerConfig,
    body_limit: u32,
    limits: &RpcLimits,
) -> ServerHandle {
    let (stop_handle, server_handle) = stop_channel();
    let methods: Methods = methods.into();
    let limits = limits.clone();
    let builder = jsonrpsee::server::Server::builder()
        .set_config(config)
        .to_service_builder()
        .max_connections(limits.max_connections);
    let slots = Arc::new(Slots {
        max_total: limits.max_connections,
        max_per_ip: limits.max_connections_per_ip,
        max_body_per_ip: limits
            .max_pending_body_bytes_per_ip
            .unwrap_or(2 * u64::from(body_limit)),
        open: Mutex::new(Open::default()),
    });
    let limits = Arc::new(limits);
    tokio::spawn(async move {
        let stopped = stop_handle.clone().shutdown();
        tokio::pin!(stopped);
        loop {
            let (socket, peer) = tokio::select! {
                _ = &mut stopped => break,
                r = listener.accept() => match r {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors, typically: let connections close.
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
            };
            let Some(slot) = slots.take(peer.ip()) else {
                refuse(&socket);
                continue;
            };
            let service = builder.clone().build(methods.clone(), stop_handle.clone());
            tokio::spawn(connection(
                socket,
                peer,
                slot,
                body_limit,
                service,
                Arc::clone(&limits),
                stop_handle.clone(),
            ));
        }
    });
    server_handle
}

/// Binds `addr` and [`serve`]s on it; returns the bound address.
pub async fn bind_and_serve(
    addr: SocketAddr,
    methods: impl Into<Methods>,
    config: ServerConfig,
    body_limit: u32,
    limits: &RpcLimits,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    limits
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    Ok((bound, serve(listener, methods, config, body_limit, limits)))
}

const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n\
content-length: 41\r\nconnection: close\r\n\r\ntoo many open connections from this host\n";

fn refuse(socket: &TcpStream) {
    // A fresh socket's send buffer is empty, so this does not block; the answer is best effort.
    let _ = socket.try_write(TOO_MANY);
}

type RpcService = jsonrpsee::server::TowerService<tower_layer::Identity, tower_layer::Identity>;
async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    body_limit: u32,
    service: RpcService,
    limits: Arc<RpcLimits>,
    stop: StopHandle,
) {
    let _ = socket.set_nodelay(true);
    let timeout = limits.request_timeout();
    let slots = Arc::clone(&slot.slots);
    let conn = Arc::new(Conn {
        deadline: Mutex::new(Some(Instant::now() + timeout)),
        deadline_changed: Notify::new(),
        upgraded: AtomicBool::new(false),
        queued: AtomicUsize::new(0),
        written: Notify::new(),
        max_queued: usize::try_from(limits.ws_max_buffered_bytes).unwrap_or(usize::MAX),
        slow_timeout: Duration::from_millis(limits.ws_slow_consumer_timeout_ms),
    });
    let io = Io {
        inner: socket,
        conn: Arc::clone(&conn),
        _slot: slot,
    };
    let svc_conn = Arc::clone(&conn);
    let hyper_service =
        hyper::service::service_fn(move |req: HttpRequest<hyper::body::Incoming>| {
            let mut service = service.clone();
            let conn = Arc::clone(&svc_conn);
            let slots = Arc::clone(&slots);
            let limits = Arc::clone(&limits);
            async move {
                let origin = req.headers().get(hyper::header::ORIGIN).cloned();
                if let Some(o) = &origin {
                    let ok = o
                        .to_str()
                        .is_ok_and(|s| origin_allowed(&limits.allowed_origins, s));
                    if !ok {
                        conn.set_deadline(Some(Instant::now() + timeout));
                        return Ok::<_, std::io::Error>(plain(403, "origin not allowed\n"));
                    }
                    if req.method() == hyper::Method::OPTIONS {
                        let mut r = plain(204, "");
                        add_cors(&mut r, o);
                        let h = r.headers_mut();
                        h.insert(
                            hyper::header::ACCESS_CONTROL_ALLOW_METHODS,
                            hyper::header::HeaderValue::from_static("POST, GET, OPTIONS"),
                        );
                        h.insert(
                            hyper::header::ACCESS_CONTROL_ALLOW_HEADERS,
                            hyper::header::HeaderValue::from_static("content-type"),
                        );
                        conn.set_deadline(Some(Instant::now() + timeout));
                        return Ok(r);
                    }
                }
                // A declared length within the body limit is counted in full before any of it
                // is read, so that unfinished bodies cannot add up past the budget; a larger
                // one is refused by jsonrpsee without reading.
                let declared = req
                    .headers()
                    .get(hyper::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|n| *n <= u64::from(body_limit))
                    .unwrap_or(0);
                if !slots.reserve_body(peer.ip(), declared) {
                    conn.set_deadline(Some(Instant::now() + timeout));
                    let mut r = plain(
                        503,
                        "too many unfinished request bodies from this address\n",
                    );
                    r.headers_mut().insert(
                        hyper::header::CONNECTION,
                        hyper::header::HeaderValue::from_static("close"),
                    );
                    return Ok(r);
                }
                let mut req = req.map(|inner| DeadlineBody {
                    inner,
                    conn: Arc::clone(&conn),
                    done: false,
                    slots: Arc::clone(&slots),
                    ip: peer.ip(),
                    reserved: declared,
                    received: 0,
                });
                let upgrade = jsonrpsee::server::ws::is_upgrade_request(&req);
                if upgrade {
                    conn.upgraded.store(true, Ordering::Release);
                    *conn.deadline.lock() = None;
                    conn.deadline_changed.notify_waiters();
                    req.extensions_mut().insert(WsBudget(Arc::clone(&conn)));
                } else if http_body::Body::is_end_stream(req.body()) {
                    conn.set_deadline(None);
                } else {
                    conn.set_deadline(Some(Instant::now() + timeout));
                }
                let called: Result<HttpResponse, BoxError> =
                    tower_service::Service::<HttpRequest<DeadlineBody>>::call(&mut service, req)
                        .await;
                let mut response = match called {
                    Ok(r) => r,
                    // A concrete error type: hyper's `Into<BoxError>` bound on a boxed error does not
                    // hold for every lifetime inside a spawned future.
                    Err(e) => return Err(std::io::Error::other(e.to_string())),
                };
                if let Some(o) = &origin {
                    add_cors(&mut response, o);
                }
                if upgrade && response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
                    // The handshake failed: the connection stays HTTP, with its deadline.
                    conn.upgraded.store(false, Ordering::Release);
                }
                conn.set_deadline(Some(Instant::now() + timeout));
                Ok(response)
            }
        });
    let mut http = hyper::server::conn::http1::Builder::new();
    // A client that sent its whole request and then went away (a timed-out CLI exiting) still
    // has it carried out: without half-close support hyper drops the call in flight when it
    // reads the EOF, which could run one request of a pair and not the other (the late
    // prepare of a blind store, but not the abort sent after it).
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout)
        .half_close(true)
        .keep_alive(true);
    let serving = http
        .serve_connection(hyper_util::rt::TokioIo::new(io), hyper_service)
        .with_upgrades();
    tokio::pin!(serving);
    let stopped = stop.shutdown();
    tokio::pin!(stopped);
    tokio::select! {
        r = &mut serving => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "rpc connection ended");
            }
        }
        _ = conn.expired() => {
            tracing::debug!(%peer, "rpc connection closed: request not received in time");
        }
        _ = &mut stopped => {
            serving.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(timeout, serving).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_origins_any_port_and_nothing_else() {
        let allowed = RpcLimits::default().allowed_origins;
        for ok in [
            "http://localhost:3000",
            "http://localhost",
            "https://127.0.0.1:8443",
            "http://[::1]:5173",
        ] {
            assert!(origin_allowed(&allowed, ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://localhost:3000.evil.example",
            "http://127.0.0.1:",
            "null",
            "http://localhost:3000/",
        ] {
            assert!(!origin_allowed(&allowed, bad), "{bad}");
        }
        assert!(origin_allowed(&["*".into()], "https://evil.example"));
        assert!(origin_allowed(
            &["https://app.example".into()],
            "https://APP.example"
        ));
    }

    async fn server(timeout_ms: u64) -> SocketAddr {
        let mut module = jsonrpsee::RpcModule::new(());
        module
            .register_method("ping", |_, _, _| "pong")
            .expect("register");
        let limits = RpcLimits {
            request_timeout_ms: timeout_ms,
            ..RpcLimits::default()
        };
        let (addr, handle) = bind_and_serve(
            "127.0.0.1:0".parse().expect("addr"),
            module,
            ServerConfig::default(),
            1 << 20,
            &limits,
        )
        .await
        .expect("serve");
        // Keep serving for the rest of the test.
        std::mem::forget(handle);
        addr
    }

    /// Whether the server closes `s` within `wait` (reading whatever it answered first).
    async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        let until = Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(until, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }

    /// The read deadline closes a connection that sends nothing, one that sends half its
    /// headers, one whose WebSocket handshake failed and then idles, but not an upgraded
    /// WebSocket that idles.
    #[tokio::test]
    async fn the_read_deadline_applies_until_a_websocket_upgrade() {
        use tokio::io::AsyncWriteExt;
        let addr = server(300).await;
        let mut idle = TcpStream::connect(addr).await.expect("connect");
        let mut half = TcpStream::connect(addr).await.expect("connect");
        half.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        let mut failed = TcpStream::connect(addr).await.expect("connect");
        failed
            .write_all(
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            )
            .await
            .expect("write");
        let mut ws = TcpStream::connect(addr).await.expect("connect");
        ws.write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .expect("write");
        for (name, s) in [
            ("idle", &mut idle),
            ("half headers", &mut half),
            ("failed upgrade", &mut failed),
        ] {
            assert!(
                closed_within(s, Duration::from_secs(3)).await,
                "{name} still open"
            );
        }
        assert!(
            !closed_within(&mut ws, Duration::from_millis(1_500)).await,
            "an idle WebSocket was closed"
        );
    }

    #[test]
    fn zero_limits_are_refused() {
        let limits = RpcLimits {
            max_connections_per_ip: 0,
            ..RpcLimits::default()
        };
        assert!(limits.validate().is_err());
        let limits = RpcLimits {
            allowed_origins: vec!["evil.example".into()],
            ..RpcLimits::default()
        };
        assert!(limits.validate().is_err());
        RpcLimits::default().validate().expect("defaults are valid");
    }

    #[test]
    fn slots_cap_per_address_and_total_and_free_on_drop() {
        let slots = Arc::new(Slots {
            max_total: 3,
            max_per_ip: 2,
            max_body_per_ip: 100,
            open: Mutex::new(Open::default()),
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = slots.take(a).expect("first");
        let _a2 = slots.take(a).expect("second");
        assert!(slots.take(a).is_none(), "third from one address");
        let _b1 = slots.take(b).expect("other address");
        assert!(slots.take(b).is_none(), "total cap");
        drop(a1);
        let _a3 = slots.take(a).expect("freed slot reusable");
        assert!(slots.reserve_body(a, 60));
        assert!(!slots.reserve_body(a, 41), "over the address's body budget");
        assert!(slots.reserve_body(b, 100), "budgets are per address");
        slots.release_body(a, 60);
        assert!(slots.reserve_body(a, 100));
    }
}
