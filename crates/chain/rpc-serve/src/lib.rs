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

/// Open connections, in total and per address.
struct Slots {
    max_total: u32,
    max_per_ip: u32,
    open: Mutex<(u32, HashMap<IpAddr, u32>)>,
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
        let per_ip = open.1.get(&ip).copied().unwrap_or(0);
        if open.0 >= self.max_total || per_ip >= self.max_per_ip {
            return None;
        }
        open.0 += 1;
        open.1.insert(ip, per_ip + 1);
        Some(Slot {
            slots: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock();
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.1.remove(&self.ip);
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

/// A request body that clears the connection's read deadline once it has been read to the end.
struct DeadlineBody {
    inner: hyper::body::Incoming,
    conn: Arc<Conn>,
    done: bool,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
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

/// Starts serving `methods` on `listener` with `config`'s jsonrpsee settings and `limits`.
/// The server stops when the handle's `stop()` is called or the handle is dropped.
pub fn serve(
    listener: TcpListener,
    methods: impl Into<Methods>,
    config: ServerConfig,
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
        open: Mutex::new((0, HashMap::new())),
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
    limits: &RpcLimits,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    limits
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    Ok((bound, serve(listener, methods, config, limits)))
}

const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n\
content-length: 41\r\nconnection: close\r\n\r\ntoo many open connections from this host\n";

fn refuse(socket: &TcpStream) {
    // A fresh socket's send buffer is empty, so this does not block; the answer is best effort.
    let _ = socket.try_write(TOO_MANY);
}

type RpcService = jsonrpsee::server::TowerService<tower_layer::Identity, tower_layer::Identity>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    service: RpcService,
    limits: Arc<RpcLimits>,
    stop: StopHandle,
) {
    let _ = socket.set_nodelay(true);
    let timeout = limits.request_timeout();
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
                let mut req = req.map(|inner| DeadlineBody {
                    inner,
                    conn: Arc::clone(&conn),
                    done: false,
                });
                if jsonrpsee::server::ws::is_upgrade_request(&req) {
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
                conn.set_deadline(Some(Instant::now() + timeout));
                Ok(response)
            }
        });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout)
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
            open: Mutex::new((0, HashMap::new())),
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = slots.take(a).expect("first");
        let _a2 = slots.take(a).expect("second");
        assert!(slots.take(a).is_none(), "third from one address");
        let _b1 = slots.take(b).expect("other address");
        assert!(slots.take(b).is_none(), "total cap");
        drop(a1);
        assert!(slots.take(a).is_some(), "freed slot reusable");
    }
}
