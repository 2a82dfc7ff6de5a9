//! `synod axon serve-example|call|bench`: the request protocol (`synod-axon`) from the command
//! line. `serve-example` is a Rust miner (the route contract the Python SDK's example miner
//! shares, so either language's client can call either server); `call` is a validator's
//! fan-out; `bench` drives one miner with signed requests and reports how many it accepted.

use crate::Cli;
use crate::chain::{client, rpc_err};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::{Context, bail};
use axum::extract::Extension;
use axum::routing::post;
use axum::{Json, Router};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use synod_axon::{Axon, AxonConfig, Caller, ChainMembership, Dendrite, Target};
use synod_rpc::SynodApiClient;
use synod_subnets::NetUid;
use synod_subnets::rpc::SubnetsApiClient;

/// `synod axon serve-example`
#[derive(Args, Debug)]
pub struct ServeExampleArgs {
    /// The miner's hotkey: requests must be signed for it; answers are signed with it.
    #[arg(long)]
    pub hotkey: String,
    /// The subnet whose members may call.
    #[arg(long)]
    pub netuid: NetUid,
    /// Address to listen on (port 0 picks a free one; the URL is printed first).
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: String,
    /// Least stake weight a caller must hold (base units).
    #[arg(long, default_value_t = 0)]
    pub min_stake: u64,
    /// Largest clock skew accepted, in seconds.
    #[arg(long, default_value_t = 30)]
    pub max_skew_secs: u64,
    /// Serve without any check or answer signature (a baseline for benchmarks only).
    #[arg(long)]
    pub no_checks: bool,
}

/// `synod axon call`
#[derive(Args, Debug)]
pub struct CallArgs {
    /// The validator's hotkey (signs the requests).
    #[arg(long)]
    pub from: String,
    /// Subnet.
    #[arg(long)]
    pub netuid: NetUid,
    /// Path with its query, e.g. `/v1/echo`.
    #[arg(long, default_value = "/v1/echo")]
    pub path: String,
    /// HTTP method.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// Request body (sent as is).
    #[arg(long, default_value = "")]
    pub body: String,
    /// UIDs to ask, comma-separated (default: every UID that serves an axon).
    #[arg(long, value_delimiter = ',', conflicts_with = "url")]
    pub uids: Vec<u16>,
    /// Ask one miner at this base URL instead of reading axons from the chain.
    #[arg(long, requires = "target")]
    pub url: Option<String>,
    /// The hotkey of the miner at `--url`.
    #[arg(long, requires = "url")]
    pub target: Option<String>,
    /// Per-miner timeout in milliseconds.
    #[arg(long, default_value_t = 12_000)]
    pub timeout_ms: u64,
}

/// `synod axon bench`
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The validator's hotkey (signs the requests).
    #[arg(long)]
    pub from: String,
    /// Subnet.
    #[arg(long)]
    pub netuid: NetUid,
    /// The miner's base URL.
    #[arg(long)]
    pub url: String,
    /// The miner's hotkey.
    #[arg(long)]
    pub target: String,
    /// Path.
    #[arg(long, default_value = "/v1/echo")]
    pub path: String,
    /// Body.
    #[arg(long, default_value = r#"{"text":"ping"}"#)]
    pub body: String,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
}

#[derive(Deserialize)]
struct EchoRequest {
    text: String,
}

#[derive(Serialize)]
struct EchoResponse {
    text: String,
    /// The verified caller's UID (`null` when served with `--no-checks`).
    caller_uid: Option<u16>,
}

/// The body is read as JSON whatever its `content-type` says (clients in other languages
/// need not set one); a body that is not `{"text": …}` gets 400 with the parser's reason.
async fn echo(
    caller: Option<Extension<Caller>>,
    body: axum::body::Bytes,
) -> Result<Json<EchoResponse>, (axum::http::StatusCode, Json<serde_json::Value>)> {
    let req: EchoRequest = serde_json::from_slice(&body).map_err(|e| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_body", "message": e.to_string()})),
        )
    })?;
    Ok(Json(EchoResponse {
        text: req.text,
        caller_uid: caller.map(|Extension(c)| c.uid),
    }))
}

/// The example route: `POST /v1/echo {"text"}` → `{"text", "caller_uid"}`.
fn example_router() -> Router {
    Router::new().route("/v1/echo", post(echo))
}

async fn chain_id(cli: &Cli) -> anyhow::Result<String> {
    let c = client(&cli.rpc)?;
    Ok(c.chain_info().await.map_err(rpc_err(&cli.rpc))?.chain_id)
}

/// Runs the example miner until interrupted.
pub async fn serve_example(cli: &Cli, a: &ServeExampleArgs) -> anyhow::Result<()> {
    let key = signer(cli, &a.hotkey)?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = if a.no_checks {
        example_router()
    } else {
        let mut cfg = AxonConfig::new(key.clone(), chain_id(cli).await?, a.netuid);
        cfg.min_stake = a.min_stake;
        cfg.max_skew = Duration::from_secs(a.max_skew_secs);
        let members = ChainMembership::new(&cli.rpc, a.netuid, Duration::from_millis(500))
            .map_err(anyhow::Error::msg)?;
        Axon::new(cfg, members).protect(example_router())
    };
    // The URL first, on its own line, so scripts can read where the miner is.
    emit(
        cli.json,
        &serde_json::json!({"url": url, "hotkey": key.account(), "netuid": a.netuid,
            "checks": !a.no_checks}),
        || {
            format!(
                "{url}\nminer {} on subnet {} (checks {})",
                key.account(),
                a.netuid,
                if a.no_checks { "off" } else { "on" }
            )
        },
    )?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

#[derive(Serialize)]
struct AnswerView {
    uid: Option<u16>,
    hotkey: String,
    url: String,
    status: Option<u16>,
    latency_ms: f64,
    /// The body, as JSON when it parses, else as text.
    body: serde_json::Value,
    error_kind: Option<String>,
    /// Whether the answer carried the miner's valid signature over this request.
    signature_ok: bool,
}

/// Asks one miner or many, and prints every answer with its latency.
pub async fn call(cli: &Cli, a: &CallArgs) -> anyhow::Result<()> {
    let key = signer(cli, &a.from)?;
    let dendrite =
        Dendrite::new(key, chain_id(cli).await?, a.netuid).map_err(anyhow::Error::msg)?;
    let targets: Vec<(Option<u16>, Target)> = match (&a.url, &a.target) {
        (Some(url), Some(t)) => vec![(
            None,
            Target {
                hotkey: account(cli, t)?,
                url: url.clone(),
            },
        )],
        _ => {
            let c = client(&cli.rpc)?;
            let Some(mg) = c
                .metagraph(a.netuid, None)
                .await
                .map_err(rpc_err(&cli.rpc))?
            else {
                bail!("no subnet {}", a.netuid);
            };
            let served = Dendrite::targets(&mg);
            let mut out = Vec::new();
            for (uid, h) in mg.hotkeys.iter().enumerate() {
                let uid = u16::try_from(uid).context("uid")?;
                if !a.uids.is_empty() && !a.uids.contains(&uid) {
                    continue;
                }
                match served.iter().find(|t| t.hotkey == *h) {
                    Some(t) => out.push((Some(uid), t.clone())),
                    None if !a.uids.is_empty() => bail!("uid {uid} serves no axon"),
                    None => {}
                }
            }
            out
        }
    };
    if targets.is_empty() {
        bail!(
            "no miner to ask: no UID of subnet {} serves an axon",
            a.netuid
        );
    }
    let list: Vec<Target> = targets.iter().map(|(_, t)| t.clone()).collect();
    let answers = dendrite
        .fan_out(
            &list,
            &a.method,
            &a.path,
            a.body.as_bytes(),
            Duration::from_millis(a.timeout_ms),
        )
        .await;
    let views: Vec<AnswerView> = targets
        .iter()
        .zip(answers)
        .map(|((uid, t), ans)| AnswerView {
            uid: *uid,
            hotkey: t.hotkey.to_string(),
            url: t.url.clone(),
            status: ans.status,
            latency_ms: ans.latency.as_secs_f64() * 1000.0,
            body: serde_json::from_slice(&ans.body).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&ans.body).into_owned())
            }),
            // The client reports an error kind exactly when the answer is not signed by the
            // miner over this request (a refusal is unsigned); a signed 4xx is still signed.
            signature_ok: ans.status.is_some() && ans.error.is_none(),
            error_kind: ans.error,
        })
        .collect();
    emit(cli.json, &views, || {
        views
            .iter()
            .map(|v| {
                format!(
                    "{:>5} {} {:>4} {:>9.1} ms  {}",
                    v.uid.map_or("-".into(), |u| u.to_string()),
                    v.url,
                    v.status.map_or("-".into(), |s| s.to_string()),
                    v.latency_ms,
                    match &v.error_kind {
                        Some(k) => format!("error: {k} {}", v.body),
                        None => v.body.to_string(),
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[derive(Serialize)]
struct BenchReport {
    url: String,
    concurrency: usize,
    seconds: f64,
    accepted: u64,
    refused: u64,
    accepted_per_second: f64,
}

/// Drives one miner with signed requests for a while; reports accepted requests per second.
pub async fn bench(cli: &Cli, a: &BenchArgs) -> anyhow::Result<()> {
    let key = signer(cli, &a.from)?;
    let dendrite =
        Arc::new(Dendrite::new(key, chain_id(cli).await?, a.netuid).map_err(anyhow::Error::msg)?);
    let target = Target {
        hotkey: account(cli, &a.target)?,
        url: a.url.clone(),
    };
    let (accepted, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency.max(1) {
        let (d, t, ok, bad) = (
            dendrite.clone(),
            target.clone(),
            accepted.clone(),
            refused.clone(),
        );
        let (path, body) = (a.path.clone(), a.body.clone().into_bytes());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let ans = d
                    .call(&t, "POST", &path, &body, Duration::from_secs(10))
                    .await;
                // Unchecked servers do not sign: a 2xx counts as accepted there too.
                if ans.status.is_some_and(|s| (200..300).contains(&s)) {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.context("bench task")?;
    }
    let secs = started.elapsed().as_secs_f64();
    let r = BenchReport {
        url: a.url.clone(),
        concurrency: a.concurrency,
        seconds: secs,
        accepted: accepted.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        accepted_per_second: accepted.load(Ordering::Relaxed) as f64 / secs,
    };
    emit(cli.json, &r, || {
        format!(
            "{}: {:.0} accepted requests/s ({} accepted, {} refused, {} in flight, {:.1} s)",
            r.url, r.accepted_per_second, r.accepted, r.refused, r.concurrency, r.seconds
        )
    })
}
