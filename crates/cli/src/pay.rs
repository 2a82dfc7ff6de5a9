//! `synod service ...` and `synod pay ...`: register what a service charges per call, run
//! the example paid service, and call paid services (on HTTP 402 the client signs a payment
//! authorization with your key or a session key, within a price limit, and retries).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use synod_agents::rpc::AgentsApiClient;
use synod_agents_rules::Asset;
use synod_pay::{PayClient, Paywall, PaywallConfig, Signer};
use synod_payments::rpc::{PaymentsApiClient, ServiceView};
use synod_payments::wire::{AssetUse, MinReputation};
use synod_payments::{Endpoint, PaymentCall, Pricing, ServiceSpec};
use synod_primitives::token::parse_amount;
use synod_runtime::Call;

/// `synod service ...`
#[derive(Subcommand, Debug)]
pub enum ServiceCommand {
    /// Register a paid service (you own it; settlements pay its payee).
    Register(ServiceSpecArgs),
    /// Replace a service's spec (its owner only).
    Update {
        /// The service's id or name.
        #[arg(long)]
        service: String,
        /// The new spec.
        #[command(flatten)]
        spec: ServiceSpecArgs,
    },
    /// One service, by id or name.
    Show {
        /// Id or name.
        service: String,
    },
    /// Services: all (from an id), or one owner's.
    List {
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        /// First id.
        #[arg(long, default_value_t = 0)]
        from: u64,
    },
    /// Run the example paid service (registering it first if its name is free).
    ServeExample(ServeExampleArgs),
}

/// A service spec on the command line.
#[derive(Args, Debug)]
pub struct ServiceSpecArgs {
    /// The owner (signs, pays the fee).
    #[arg(long)]
    pub from: String,
    /// Unique name (a-z 0-9 - _ .).
    #[arg(long)]
    pub name: String,
    /// Where it is served.
    #[arg(long, default_value = "")]
    pub url: String,
    /// Who is paid (default: the owner).
    #[arg(long)]
    pub payee: Option<String>,
    /// An endpoint: "METHOD /path PRICE [upto] [token:ID]" (PRICE in SYN, or base units of
    /// the token). Repeat.
    #[arg(long = "endpoint", required = true)]
    pub endpoints: Vec<String>,
    /// An asset the service uses and its share of every payment: ASSET=BPS. Repeat.
    #[arg(long = "uses")]
    pub uses: Vec<String>,
    /// Least settled payments a payer (or its agent) must have.
    #[arg(long)]
    pub min_settled: Option<u64>,
    /// Least completed deals.
    #[arg(long)]
    pub min_deals: Option<u64>,
    /// Most disputes lost.
    #[arg(long)]
    pub max_disputes_lost: Option<u64>,
}

/// `synod service serve-example`
#[derive(Args, Debug)]
pub struct ServeExampleArgs {
    /// The owner: registers the service if needed and signs settlements.
    #[arg(long)]
    pub from: String,
    /// The service's name.
    #[arg(long, default_value = "example.echo")]
    pub name: String,
    /// Who is paid (default: the owner).
    #[arg(long)]
    pub payee: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8402")]
    pub listen: String,
    /// An asset the service uses and its share: ASSET=BPS. Repeat.
    #[arg(long = "uses")]
    pub uses: Vec<String>,
    /// Most authorizations per settlement (at most 200).
    #[arg(long, default_value_t = 200)]
    pub batch_max: usize,
    /// Longest wait before settling, in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub batch_interval_ms: u64,
}

/// `synod pay ...`
#[derive(Subcommand, Debug)]
pub enum PayCommand {
    /// Call URL; on 402 pay (within --max-price) and retry. The body goes to stdout.
    Fetch(FetchArgs),
    /// Paid calls per second end to end beside the same calls unpaid, against the example
    /// service (its /v1/echo and /free/echo).
    Bench(PayBenchArgs),
}

/// Who pays, on the command line.
#[derive(Args, Debug)]
pub struct PayerArgs {
    /// Pay with this key's own funds.
    #[arg(long, conflicts_with = "session")]
    pub from: Option<String>,
    /// Pay with this session key (its user's funds, within the session's rules).
    #[arg(long)]
    pub session: Option<String>,
    /// Largest price to pay per call (SYN, or base units with --token).
    #[arg(long)]
    pub max_price: Option<String>,
    /// The asset is this token (prices in its base units).
    #[arg(long)]
    pub token: Option<u64>,
}

/// `synod pay fetch`
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The URL.
    pub url: String,
    /// HTTP method.
    #[arg(short = 'X', long, default_value = "GET")]
    pub method: String,
    /// Request body (`@FILE` reads a file).
    #[arg(short = 'd', long)]
    pub data: Option<String>,
    /// A header "Name: value". Repeat.
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,
    /// Who pays.
    #[command(flatten)]
    pub payer: PayerArgs,
    /// Make the same call this many times (a fresh authorization each), stopping at the first
    /// refusal; prints a summary instead of the body.
    #[arg(long, default_value_t = 1)]
    pub repeat: u64,
}

/// `synod pay bench`
#[derive(Args, Debug)]
pub struct PayBenchArgs {
    /// The example service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8402")]
    pub url: String,
    /// Who pays.
    #[command(flatten)]
    pub payer: PayerArgs,
    /// Calls of each kind.
    #[arg(long, default_value_t = 2_000)]
    pub calls: u64,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

fn price(cli: &Cli, s: &str, token: Option<u64>) -> anyhow::Result<u128> {
    let _ = cli;
    match token {
        Some(_) => s
            .parse()
            .with_context(|| format!("'{s}' is not a whole number of base units")),
        None => parse_amount(s)
            .map(u128::from)
            .map_err(|e| anyhow::anyhow!("'{s}': {e}")),
    }
}

fn endpoint(cli: &Cli, s: &str) -> anyhow::Result<Endpoint> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [method, path, amount, rest @ ..] = parts.as_slice() else {
        bail!("endpoint '{s}': expected \"METHOD /path PRICE [upto] [token:ID]\"");
    };
    let mut pricing = Pricing::Exact;
    let mut asset = Asset::Native;
    for r in rest {
        match *r {
            "upto" => pricing = Pricing::Upto,
            "exact" => pricing = Pricing::Exact,
            t if t.starts_with("token:") => {
                asset = Asset::Token(
                    t["token:".len()..]
                        .parse()
                        .with_context(|| format!("endpoint '{s}': bad token id"))?,
                )
            }
            other => bail!("endpoint '{s}': unknown word '{other}'"),
        }
    }
    let token = match asset {
        Asset::Token(t) => Some(t),
        Asset::Native => None,
    };
    Ok(Endpoint {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        price: price(cli, amount, token)?,
        asset,
        pricing,
    })
}

fn uses(v: &[String]) -> anyhow::Result<Vec<AssetUse>> {
    v.iter()
        .map(|u| {
            let (a, b) = u
                .split_once('=')
                .with_context(|| format!("--uses '{u}': expected ASSET=BPS"))?;
            Ok(AssetUse {
                asset: a
                    .parse()
                    .with_context(|| format!("--uses '{u}': asset id"))?,
                share_bps: b
                    .parse()
                    .with_context(|| format!("--uses '{u}': basis points"))?,
            })
        })
        .collect()
}

fn spec(cli: &Cli, a: &ServiceSpecArgs) -> anyhow::Result<ServiceSpec> {
    let payee = match &a.payee {
        Some(p) => account(cli, p)?,
        None => account(cli, &a.from)?,
    };
    let min = (a.min_settled.is_some() || a.min_deals.is_some() || a.max_disputes_lost.is_some())
        .then(|| MinReputation {
            settled_payments: a.min_settled.unwrap_or(0),
            deals_completed: a.min_deals.unwrap_or(0),
            max_disputes_lost: a.max_disputes_lost.unwrap_or(u64::MAX),
        });
    Ok(ServiceSpec {
        name: a.name.clone(),
        url: a.url.clone(),
        payee,
        endpoints: a
            .endpoints
            .iter()
            .map(|e| endpoint(cli, e))
            .collect::<anyhow::Result<_>>()?,
        uses: uses(&a.uses)?,
        min_reputation: min,
    })
}

async fn resolve_service(
    cli: &Cli,
    c: &jsonrpsee::http_client::HttpClient,
    s: &str,
) -> anyhow::Result<ServiceView> {
    let e = rpc_err(&cli.rpc);
    let found = match s.parse::<u64>() {
        Ok(id) => c.service(id).await.map_err(&e)?,
        Err(_) => c.service_by_name(s.to_string()).await.map_err(&e)?,
    };
    found.with_context(|| format!("no service '{s}'"))
}

fn describe(v: &ServiceView) -> String {
    let s = &v.record.spec;
    let mut out = format!(
        "service {} '{}' owner {} payee {}\n  url: {}\n  settled: {}",
        v.id,
        s.name,
        v.record.owner,
        s.payee,
        if s.url.is_empty() { "-" } else { &s.url },
        v.record.settled
    );
    for e in &s.endpoints {
        out.push_str(&format!(
            "\n  {} {} {} {:?} {:?}",
            e.method, e.path, e.price, e.asset, e.pricing
        ));
    }
    for u in &s.uses {
        out.push_str(&format!("\n  uses asset {} ({} bps)", u.asset, u.share_bps));
    }
    if let Some(m) = &s.min_reputation {
        out.push_str(&format!(
            "\n  payers need: {} settled payments, {} deals, at most {} disputes lost",
            m.settled_payments, m.deals_completed, m.max_disputes_lost
        ));
    }
    out
}

/// Runs `synod service ...`.
pub async fn run_service(cli: &Cli, cmd: &ServiceCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match cmd {
        ServiceCommand::Register(a) => {
            let call = Call::Payments(PaymentCall::RegisterService {
                spec: spec(cli, a)?,
            });
            let r = send(cli, &c, &signer(cli, &a.from)?, call, None, None, true).await?;
            print_submission(cli, r)
        }
        ServiceCommand::Update { service, spec: a } => {
            let id = resolve_service(cli, &c, service).await?.id;
            let call = Call::Payments(PaymentCall::UpdateService {
                service: id,
                spec: spec(cli, a)?,
            });
            let r = send(cli, &c, &signer(cli, &a.from)?, call, None, None, true).await?;
            print_submission(cli, r)
        }
        ServiceCommand::Show { service } => {
            let v = resolve_service(cli, &c, service).await?;
            emit(cli.json, &v, || describe(&v))
        }
        ServiceCommand::List { owner, from } => {
            let list = match owner {
                Some(o) => c.by_owner(account(cli, o)?).await.map_err(&e)?,
                None => c.services(Some(*from), None).await.map_err(&e)?,
            };
            emit(cli.json, &list, || {
                if list.is_empty() {
                    return "no services".into();
                }
                list.iter().map(describe).collect::<Vec<_>>().join("\n")
            })
        }
        ServiceCommand::ServeExample(a) => serve_example(cli, a).await,
    }
}

async fn serve_example(cli: &Cli, a: &ServeExampleArgs) -> anyhow::Result<()> {
    crate::dev::init_logging("info");
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let key = signer(cli, &a.from)?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let id = match c.service_by_name(a.name.clone()).await.map_err(&e)? {
        Some(v) => v.id,
        None => {
            let payee = match &a.payee {
                Some(p) => account(cli, p)?,
                None => key.account(),
            };
            let spec = synod_pay::example::spec(&a.name, &url, payee, uses(&a.uses)?);
            let r = send(
                cli,
                &c,
                &key,
                Call::Payments(PaymentCall::RegisterService { spec }),
                None,
                None,
                true,
            )
            .await?;
            if let Ok(receipt) = &r
                && !matches!(receipt.outcome, synod_primitives::TxOutcome::Success)
            {
                bail!("registration failed: {:?}", receipt.outcome);
            }
            c.service_by_name(a.name.clone())
                .await
                .map_err(&e)?
                .context("the service is not registered after its registration")?
                .id
        }
    };
    let mut cfg = PaywallConfig::new(cli.rpc.clone(), id, key);
    cfg.batch_max = a.batch_max;
    cfg.batch_interval = Duration::from_millis(a.batch_interval_ms);
    let paywall = Paywall::start(cfg).await?;
    let app = paywall.protect(synod_pay::example::router());
    // One line, also in JSON: a supervisor reads it to learn where the service listens.
    if cli.json {
        println!("{}", serde_json::json!({ "service": id, "url": url }));
    } else {
        println!("example paid service {id} '{}' listening on {url}", a.name);
    }
    let stats = paywall.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    server.await.context("server")?;
    // Settle what was served before leaving.
    let done = stats.flush(Duration::from_secs(30)).await;
    let s = stats.stats();
    eprintln!(
        "served {} paid calls; {} settled, {} refused on chain, {} left open{}",
        s.accepted,
        s.settled,
        s.refused_on_chain,
        s.open,
        if done { "" } else { " (not final within 30 s)" }
    );
    Ok(())
}

async fn pay_client(cli: &Cli, p: &PayerArgs) -> anyhow::Result<PayClient> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let signer = match (&p.from, &p.session) {
        (Some(f), None) => Signer::Own(signer(cli, f)?),
        (None, Some(s)) => {
            let key = signer(cli, s)?;
            let view = c
                .session(key.account())
                .await
                .map_err(&e)?
                .with_context(|| format!("'{s}' is not an open session key"))?;
            let payer = view
                .user
                .with_context(|| format!("session '{s}' has no intent on chain"))?;
            Signer::Session { key, payer }
        }
        _ => bail!("give --from KEY (your funds) or --session KEY (a session's)"),
    };
    let info = synod_rpc::SynodApiClient::chain_info(&c)
        .await
        .map_err(&e)?;
    let mut pc = PayClient::new(signer)?.expect_chain(info.chain_id);
    if let Some(m) = &p.max_price {
        pc = pc.max_price(price(cli, m, p.token)?);
    }
    Ok(pc)
}

fn body(data: &Option<String>) -> anyhow::Result<Vec<u8>> {
    Ok(match data {
        None => Vec::new(),
        Some(d) if d.starts_with('@') => {
            std::fs::read(&d[1..]).with_context(|| format!("cannot read {}", &d[1..]))?
        }
        Some(d) => d.clone().into_bytes(),
    })
}

fn headers(h: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    h.iter()
        .map(|x| {
            let (k, v) = x
                .split_once(':')
                .with_context(|| format!("header '{x}': expected \"Name: value\""))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Runs `synod pay ...`.
pub async fn run_pay(cli: &Cli, cmd: &PayCommand) -> anyhow::Result<()> {
    match cmd {
        PayCommand::Fetch(a) => fetch(cli, a).await,
        PayCommand::Bench(a) => bench(cli, a).await,
    }
}

async fn fetch(cli: &Cli, a: &FetchArgs) -> anyhow::Result<()> {
    let pc = pay_client(cli, &a.payer).await?;
    let body = body(&a.data)?;
    let headers = headers(&a.headers)?;
    if a.repeat <= 1 {
        let r = pc.request(&a.method, &a.url, &body, &headers).await?;
        if let Some(p) = &r.payment {
            eprintln!("paid {} (nonce {}, {})", p.amount, p.nonce, p.status);
        }
        let text = String::from_utf8_lossy(&r.body).into_owned();
        emit(
            cli.json,
            &serde_json::json!({
                "status": r.status,
                "payment": r.payment,
                "body": text,
            }),
            || text.clone(),
        )?;
        if r.status >= 400 {
            bail!("the service answered HTTP {}", r.status);
        }
        return Ok(());
    }
    let started = Instant::now();
    let mut paid: u128 = 0;
    let mut calls = 0u64;
    let mut failure = None;
    for _ in 0..a.repeat {
        match pc.request(&a.method, &a.url, &body, &headers).await {
            Ok(r) if r.status < 400 => {
                calls += 1;
                paid += r.payment.map_or(0, |p| p.amount);
            }
            Ok(r) => {
                failure = Some((
                    "http_error".to_string(),
                    format!("the service answered HTTP {}", r.status),
                ));
                break;
            }
            Err(synod_pay::PayError::Refused { kind, message }) => {
                failure = Some((kind, message));
                break;
            }
            Err(e) => {
                failure = Some(("error".to_string(), e.to_string()));
                break;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let summary = serde_json::json!({
        "calls": calls,
        "paid": paid.to_string(),
        "seconds": secs,
        "calls_per_second": calls as f64 / secs.max(1e-9),
        "refused": failure.as_ref().map(|(k, m)| serde_json::json!({ "kind": k, "message": m })),
    });
    emit(cli.json, &summary, || {
        let mut s = format!(
            "{calls} paid calls in {secs:.2} s ({:.1}/s), {paid} base units paid",
            calls as f64 / secs.max(1e-9)
        );
        if let Some((k, m)) = &failure {
            s.push_str(&format!("\nstopped: {m} [{k}]"));
        }
        s
    })?;
    if let Some((k, m)) = failure {
        bail!("call {} refused: {m} [{k}]", calls + 1);
    }
    Ok(())
}

async fn bench(cli: &Cli, a: &PayBenchArgs) -> anyhow::Result<()> {
    let pc = Arc::new(pay_client(cli, &a.payer).await?);
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let payer_account = match (&a.payer.from, &a.payer.session) {
        (Some(f), _) => account(cli, f)?,
        (None, Some(s)) => c
            .session(account(cli, s)?)
            .await
            .map_err(&e)?
            .and_then(|v| v.user)
            .context("session")?,
        _ => bail!("give --from or --session"),
    };
    let base = a.url.trim_end_matches('/').to_string();
    let run = |path: &'static str| {
        let pc = Arc::clone(&pc);
        let url = format!("{base}{path}");
        let calls = a.calls;
        let conc = a.concurrency.max(1);
        async move {
            let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..conc {
                let pc = Arc::clone(&pc);
                let url = url.clone();
                let next = Arc::clone(&next);
                tasks.push(tokio::spawn(async move {
                    let mut nonces = Vec::new();
                    let mut lat = Vec::new();
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < calls {
                        let t = Instant::now();
                        let r = pc.request("POST", &url, b"hello synod", &[]).await?;
                        if r.status >= 400 {
                            anyhow::bail!("HTTP {}", r.status);
                        }
                        lat.push(t.elapsed());
                        nonces.extend(r.payment.map(|p| p.nonce));
                    }
                    Ok::<_, anyhow::Error>((nonces, lat))
                }));
            }
            let mut nonces = Vec::new();
            let mut lat = Vec::new();
            for t in tasks {
                let (n, l) = t.await??;
                nonces.extend(n);
                lat.extend(l);
            }
            lat.sort();
            Ok::<_, anyhow::Error>((started.elapsed(), nonces, lat))
        }
    };
    let pct = |l: &[Duration], p: f64| -> f64 {
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() as f64 - 1.0) * p).round() as usize;
        l[i].as_secs_f64() * 1e3
    };
    let (free_t, _, free_lat) = run("/free/echo").await?;
    let paid_start = Instant::now();
    let (paid_t, nonces, paid_lat) = run("/v1/echo").await?;
    // End to end includes settlement: wait until every authorization is final on chain.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut left = nonces.clone();
    while !left.is_empty() {
        if Instant::now() > deadline {
            bail!("{} authorizations not settled within 300 s", left.len());
        }
        let mut still = Vec::new();
        for n in left {
            if c.settlement(payer_account, n).await.map_err(&e)?.is_none() {
                still.push(n);
            }
        }
        left = still;
        if !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let settled_t = paid_start.elapsed();
    let calls = a.calls as f64;
    let report = serde_json::json!({
        "calls": a.calls,
        "concurrency": a.concurrency,
        "free_calls_per_second": calls / free_t.as_secs_f64(),
        "paid_calls_per_second": calls / paid_t.as_secs_f64(),
        "paid_settled_calls_per_second": calls / settled_t.as_secs_f64(),
        "free_latency_ms": { "p50": pct(&free_lat, 0.5), "p99": pct(&free_lat, 0.99) },
        "paid_latency_ms": { "p50": pct(&paid_lat, 0.5), "p99": pct(&paid_lat, 0.99) },
        "settled": nonces.len(),
    });
    emit(cli.json, &report, || {
        format!(
            "{} calls each, {} in flight\n  free:  {:.0} calls/s (p50 {:.1} ms, p99 {:.1} ms)\n  paid:  {:.0} calls/s (p50 {:.1} ms, p99 {:.1} ms): 402, authorize, verify, answer\n  all {} paid calls settled on chain (batched) and final {:.2} s after the first: {:.0} calls/s settled",
            a.calls,
            a.concurrency,
            calls / free_t.as_secs_f64(),
            pct(&free_lat, 0.5),
            pct(&free_lat, 0.99),
            calls / paid_t.as_secs_f64(),
            pct(&paid_lat, 0.5),
            pct(&paid_lat, 0.99),
            nonces.len(),
            settled_t.as_secs_f64(),
            calls / settled_t.as_secs_f64()
        )
    })
}
