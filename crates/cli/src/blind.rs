//! `synod blind-node` and `synod blind ...`: blind-computation committee
//! members, a loopback localnet, and the client commands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use synod_blind_lang::{Options, ScalarType, Secrecy, Value};
use synod_blind_node::types::BenchKind;
use synod_blind_node::{BlindClient, ClientInput, Committee, NodeConfig, ProgramKey, SecretId};
use synod_primitives::{AccountId, Keypair};

use crate::Cli;
use crate::output::emit;

#[derive(Args, Debug)]
pub struct BlindNodeArgs {
    /// Node configuration file (JSON, as written by `synod blind localnet`).
    #[arg(long)]
    pub config: PathBuf,
    /// Log filter (also `RUST_LOG`).
    #[arg(long, default_value = "info")]
    pub log: String,
}

#[derive(Subcommand, Debug)]
pub enum BlindCommand {
    /// Start an N-node committee on loopback (N processes); Ctrl-C stops all.
    Localnet(LocalnetArgs),
    /// Secret-share a value and store one share per node.
    Store(StoreArgs),
    /// Retrieve and reconstruct a secret.
    Retrieve(IdArgs),
    /// Overwrite a secret with a new value.
    Update(StoreArgs),
    /// Delete a secret at every node.
    Delete(IdArgs),
    /// Show or change a secret's permissions (owner only).
    Permissions(PermArgs),
    /// Programs.
    #[command(subcommand)]
    Program(ProgramCommand),
    /// Start a program on stored secrets and inline inputs.
    Invoke(InvokeArgs),
    /// Fetch and reconstruct the outputs of a job addressed to you.
    Result(ResultArgs),
    /// Dry run: run a program on plain inputs with the reference
    /// interpreter, here, and print its outputs and the analyser's cost.
    /// Nothing is sent anywhere; the outputs are what `invoke` computes by
    /// MPC on the same inputs.
    Run(RunArgs),
    /// Measure batched multiplications, comparisons and a program end to end.
    Bench(BenchArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// Committee file (`committee.json` from `synod blind localnet`).
    #[arg(long, env = "SYNOD_BLIND_COMMITTEE")]
    pub committee: PathBuf,
    /// Signing key (keystore name, or a dev name with --dev).
    #[arg(long)]
    pub from: String,
    /// How long to wait for each node's answer, in milliseconds; a node
    /// that is down or hung fails the command with its index after this.
    #[arg(long, env = "SYNOD_BLIND_TIMEOUT_MS", default_value_t = 5_000)]
    pub timeout_ms: u64,
}

#[derive(Args, Debug)]
pub struct LocalnetArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Directory for keys, configs and stores (default: a fresh temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Round timeout of jobs, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub round_timeout_ms: u64,
    /// Refuse the built-in benchmark jobs.
    #[arg(long)]
    pub no_bench: bool,
}

#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Secret id: required by update. For store it is optional (default: random) and is
    /// the store's request id: running the same store again with it, the same value and
    /// permissions finishes or repeats it harmlessly; other content under it is refused.
    #[arg(long)]
    pub id: Option<SecretId>,
    /// Element type (u8..u64, i8..i64, bool).
    #[arg(long = "type", default_value = "u64")]
    pub ty: String,
    /// The value as JSON: `42`, `-5`, `true`, `[1, 2, 3]`.
    #[arg(long, allow_negative_numbers = true)]
    pub value: String,
    /// Users allowed to retrieve (store only).
    #[arg(long = "retrieve")]
    pub retrieve: Vec<String>,
    /// `USER=PROGRAM_ID`: allow USER to compute with PROGRAM_ID (store only).
    #[arg(long = "compute")]
    pub compute: Vec<String>,
}

#[derive(Args, Debug)]
pub struct IdArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Secret id.
    pub id: SecretId,
}

#[derive(Args, Debug)]
pub struct PermArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Secret id.
    pub id: SecretId,
    /// Grant retrieve to USER.
    #[arg(long)]
    pub grant_retrieve: Vec<String>,
    /// Grant update to USER.
    #[arg(long)]
    pub grant_update: Vec<String>,
    /// Grant delete to USER.
    #[arg(long)]
    pub grant_delete: Vec<String>,
    /// `USER=PROGRAM_ID`: grant compute.
    #[arg(long)]
    pub grant_compute: Vec<String>,
    /// Revoke every right of USER.
    #[arg(long)]
    pub revoke: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ProgramCommand {
    /// Compile a `.blind` source (or take canonical MIR bytes) and store it at every node.
    Store(ProgramStoreArgs),
}

#[derive(Args, Debug)]
pub struct ProgramStoreArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// `.blind` source file or `.mir` canonical bytes.
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct InvokeArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The program's `.blind` source (compiled locally for its id and input types).
    #[arg(long)]
    pub program: PathBuf,
    /// `NAME=@SECRET_ID` (stored secret) or `NAME=JSON` (inline secret, shared now).
    #[arg(long = "input")]
    pub inputs: Vec<String>,
    /// `NAME=JSON`: a public input.
    #[arg(long = "public")]
    pub public: Vec<String>,
    /// `PARTY=USER`: who plays each program party (output parties at least).
    #[arg(long = "party")]
    pub parties: Vec<String>,
    /// Wait for the job and print the caller's outputs.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The program's `.blind` source (or `.mir` canonical bytes).
    #[arg(value_name = "PROGRAM", required_unless_present = "program_flag")]
    pub program: Option<PathBuf>,
    /// The program, given as for `invoke`.
    #[arg(long = "program", value_name = "PROGRAM", conflicts_with = "program")]
    pub program_flag: Option<PathBuf>,
    /// `NAME=JSON`: a secret input (as for `invoke`; a stored `@SECRET_ID`
    /// cannot be read by a dry run).
    #[arg(long = "input")]
    pub inputs: Vec<String>,
    /// `NAME=JSON`: a public input.
    #[arg(long = "public")]
    pub public: Vec<String>,
    /// `PARTY` or `PARTY=USER` (as for `invoke`): print only these parties'
    /// outputs (default: every party's).
    #[arg(long = "party")]
    pub parties: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ResultArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Job id.
    pub job: synod_blind_node::JobId,
    /// Seconds to wait while the job runs.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BenchOp {
    Mul,
    Cmp,
    Program,
    All,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to measure.
    #[arg(long, value_enum, default_value = "all")]
    pub op: BenchOp,
    /// Multiplications per round.
    #[arg(long, default_value_t = 50_000)]
    pub mul_batch: u32,
    /// Multiplication rounds.
    #[arg(long, default_value_t = 20)]
    pub mul_reps: u32,
    /// Comparisons per batch.
    #[arg(long, default_value_t = 2_000)]
    pub cmp_batch: u32,
    /// Program runs (sealed-bid auction, stored bids).
    #[arg(long, default_value_t = 3)]
    pub program_runs: u32,
    /// The auction source used for the program benchmark.
    #[arg(long, default_value = "crates/blind/lang/examples/auction.blind")]
    pub program: PathBuf,
}

fn rt() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("tokio runtime")
}

pub fn run_node(args: &BlindNodeArgs) -> anyhow::Result<()> {
    crate::dev::init_logging(&args.log);
    let cfg = NodeConfig::load(&args.config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(async {
        let node = synod_blind_node::start_node(cfg).await?;
        eprintln!(
            "blind node {} listening: rpc http://{} p2p {}",
            node.state.index(),
            node.rpc_addr,
            node.p2p_addr
        );
        let _ = tokio::signal::ctrl_c().await;
        node.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}

pub fn run(cli: &Cli, cmd: &BlindCommand) -> anyhow::Result<()> {
    match cmd {
        BlindCommand::Localnet(a) => localnet(cli, a),
        BlindCommand::Store(a) => store(cli, a),
        BlindCommand::Retrieve(a) => retrieve(cli, a),
        BlindCommand::Update(a) => update(cli, a),
        BlindCommand::Delete(a) => {
            let c = client(cli, &a.client)?;
            rt()?.block_on(c.delete_secret(a.id))?;
            emit(cli.json, &serde_json::json!({ "deleted": a.id }), || {
                format!("deleted {}", a.id)
            })
        }
        BlindCommand::Permissions(a) => permissions(cli, a),
        BlindCommand::Program(ProgramCommand::Store(a)) => program_store(cli, a),
        BlindCommand::Invoke(a) => invoke(cli, a),
        BlindCommand::Result(a) => {
            let c = client(cli, &a.client)?;
            let out = rt()?.block_on(c.result(a.job, Duration::from_secs(a.wait_secs)))?;
            print_outputs(cli, &out.values)
        }
        BlindCommand::Run(a) => dry_run(cli, a),
        BlindCommand::Bench(a) => bench(cli, a),
    }
}

fn client(cli: &Cli, a: &ClientArgs) -> anyhow::Result<BlindClient> {
    let committee = Committee::load(&a.committee)?;
    let key = crate::keys::signer(cli, &a.from)?;
    Ok(BlindClient::with_timeout(
        committee,
        key,
        Duration::from_millis(a.timeout_ms),
    )?)
}

fn parse_type(s: &str) -> anyhow::Result<ScalarType> {
    ScalarType::from_name(s).ok_or_else(|| anyhow!("unknown type `{s}` (u8..u64, i8..i64, bool)"))
}

/// Parse a JSON literal into a value.
pub fn parse_value(s: &str) -> anyhow::Result<Value> {
    fn conv(v: &serde_json::Value) -> anyhow::Result<Value> {
        match v {
            serde_json::Value::Bool(b) => Ok(Value::Bool(*b)),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(|i| Value::Int(i128::from(i)))
                .or_else(|| n.as_u64().map(|u| Value::Int(i128::from(u))))
                .ok_or_else(|| anyhow!("{n} is not an integer")),
            serde_json::Value::Array(items) => Ok(Value::Array(
                items.iter().map(conv).collect::<anyhow::Result<_>>()?,
            )),
            other => bail!("unsupported value {other}"),
        }
    }
    let v: serde_json::Value =
        serde_json::from_str(s).with_context(|| format!("value `{s}` is not JSON"))?;
    conv(&v)
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(b) => serde_json::json!(b),
        Value::Int(i) => i64::try_from(*i)
            .map(|x| serde_json::json!(x))
            .or_else(|_| u64::try_from(*i).map(|x| serde_json::json!(x)))
            .unwrap_or_else(|_| serde_json::json!(i.to_string())),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(value_json).collect()),
    }
}

fn split_kv(s: &str) -> anyhow::Result<(&str, &str)> {
    s.split_once('=')
        .ok_or_else(|| anyhow!("expected NAME=VALUE, got `{s}`"))
}

fn store(cli: &Cli, a: &StoreArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let ty = parse_type(&a.ty)?;
    let value = parse_value(&a.value)?;
    let mut perms = synod_blind_node::Permissions::owner_only(c.account());
    for u in &a.retrieve {
        perms.retrieve.insert(crate::keys::account(cli, u)?);
    }
    for uc in &a.compute {
        let (u, p) = split_kv(uc)?;
        perms
            .compute
            .entry(crate::keys::account(cli, u)?)
            .or_default()
            .insert(p.parse::<ProgramKey>()?);
    }
    let id = match a.id {
        Some(id) => id,
        None => SecretId::random()?,
    };
    rt()?.block_on(c.store_secret_as(id, ty, &value, Some(perms)))?;
    emit(cli.json, &serde_json::json!({ "id": id }), || {
        format!("stored secret {id}")
    })
}

fn update(cli: &Cli, a: &StoreArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let id = a.id.ok_or_else(|| anyhow!("--id is required"))?;
    let ty = parse_type(&a.ty)?;
    let value = parse_value(&a.value)?;
    rt()?.block_on(c.update_secret(id, ty, &value))?;
    emit(cli.json, &serde_json::json!({ "updated": id }), || {
        format!("updated {id}")
    })
}

fn retrieve(cli: &Cli, a: &IdArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let r = rt()?.block_on(c.retrieve(a.id))?;
    emit(
        cli.json,
        &serde_json::json!({
            "id": a.id, "type": r.ty.name(), "value": value_json(&r.value),
            "answered": r.answered, "failed": r.failed,
        }),
        || format!("{} ({})", r.value, r.ty.name()),
    )
}

fn permissions(cli: &Cli, a: &PermArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let rt = rt()?;
    let mut p = rt.block_on(c.permissions(a.id))?;
    let changing = !(a.grant_retrieve.is_empty()
        && a.grant_update.is_empty()
        && a.grant_delete.is_empty()
        && a.grant_compute.is_empty()
        && a.revoke.is_empty());
    for u in &a.grant_retrieve {
        p.retrieve.insert(crate::keys::account(cli, u)?);
    }
    for u in &a.grant_update {
        p.update.insert(crate::keys::account(cli, u)?);
    }
    for u in &a.grant_delete {
        p.delete.insert(crate::keys::account(cli, u)?);
    }
    for uc in &a.grant_compute {
        let (u, prog) = split_kv(uc)?;
        p.compute
            .entry(crate::keys::account(cli, u)?)
            .or_default()
            .insert(prog.parse::<ProgramKey>()?);
    }
    for u in &a.revoke {
        let acc = crate::keys::account(cli, u)?;
        p.retrieve.remove(&acc);
        p.update.remove(&acc);
        p.delete.remove(&acc);
        p.compute.remove(&acc);
    }
    if changing {
        rt.block_on(c.set_permissions(a.id, p.clone()))?;
    }
    emit(cli.json, &p, || {
        serde_json::to_string_pretty(&p).unwrap_or_default()
    })
}

fn load_program(path: &Path) -> anyhow::Result<(Vec<u8>, synod_blind_lang::Mir)> {
    if path.extension().is_some_and(|e| e == "mir") {
        let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
        let mir = synod_blind_lang::Mir::decode(&bytes)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        return Ok((bytes, mir));
    }
    let src = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let compiled = synod_blind_lang::compile(&src, &Options::default())
        .map_err(|e| anyhow!("{}: {}", path.display(), e))?;
    Ok((compiled.bytes, compiled.mir))
}

fn program_store(cli: &Cli, a: &ProgramStoreArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let (bytes, _) = load_program(&a.file)?;
    let id = rt()?.block_on(c.store_program(bytes))?;
    emit(cli.json, &serde_json::json!({ "program": id }), || {
        format!("stored program {id}")
    })
}

/// Typed input bindings and party bindings of an invocation.
type InvokeBindings = (
    Vec<(String, ScalarType, ClientInput)>,
    Vec<(String, AccountId)>,
);

fn invoke_inputs(
    cli: &Cli,
    mir: &synod_blind_lang::Mir,
    inputs: &[String],
    public: &[String],
    parties: &[String],
) -> anyhow::Result<InvokeBindings> {
    let decl = |name: &str| {
        mir.inputs
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| anyhow!("the program has no input `{name}`"))
    };
    let mut out = Vec::new();
    for s in inputs {
        let (name, v) = split_kv(s)?;
        let d = decl(name)?;
        if d.secrecy != Secrecy::Secret {
            bail!("input `{name}` is public: pass it with --public");
        }
        let src = match v.strip_prefix('@') {
            Some(id) => ClientInput::Stored(id.parse()?),
            None => ClientInput::Secret(parse_value(v)?),
        };
        out.push((name.to_string(), d.ty, src));
    }
    for s in public {
        let (name, v) = split_kv(s)?;
        let d = decl(name)?;
        out.push((name.to_string(), d.ty, ClientInput::Public(parse_value(v)?)));
    }
    let parties = parties
        .iter()
        .map(|s| {
            let (p, u) = split_kv(s)?;
            Ok((p.to_string(), crate::keys::account(cli, u)?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((out, parties))
}

fn invoke(cli: &Cli, a: &InvokeArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let (bytes, mir) = load_program(&a.program)?;
    let program = ProgramKey(blake3_hash(&bytes));
    let (inputs, parties) = invoke_inputs(cli, &mir, &a.inputs, &a.public, &a.parties)?;
    let rt = rt()?;
    let job = rt.block_on(c.invoke(program, &inputs, &parties))?;
    if a.wait {
        let out = rt.block_on(c.result(job, Duration::from_secs(120)))?;
        let mut j = serde_json::Map::new();
        j.insert("job".into(), serde_json::json!(job));
        j.insert(
            "outputs".into(),
            serde_json::Value::Object(
                out.values
                    .iter()
                    .map(|(k, v)| (k.clone(), value_json(v)))
                    .collect(),
            ),
        );
        return emit(cli.json, &j, || {
            let mut s = format!("job {job}");
            for (k, v) in &out.values {
                s.push_str(&format!("\n  {k} = {v}"));
            }
            s
        });
    }
    emit(cli.json, &serde_json::json!({ "job": job }), || {
        format!("started job {job}")
    })
}

/// The interpreter's inputs (party → input → value) from `--input NAME=JSON`
/// (secret inputs) and `--public NAME=JSON`, checked against the
/// declarations as `invoke` checks them.
fn dry_run_inputs(
    mir: &synod_blind_lang::Mir,
    inputs: &[String],
    public: &[String],
) -> anyhow::Result<synod_blind_lang::Inputs> {
    let mut out = synod_blind_lang::Inputs::new();
    let given = inputs
        .iter()
        .map(|s| (s, Secrecy::Secret))
        .chain(public.iter().map(|s| (s, Secrecy::Public)));
    for (s, secrecy) in given {
        let (name, v) = split_kv(s)?;
        let d = mir
            .inputs
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| anyhow!("the program has no input `{name}`"))?;
        match (d.secrecy, secrecy) {
            (Secrecy::Public, Secrecy::Secret) => {
                bail!("input `{name}` is public: pass it with --public")
            }
            (Secrecy::Secret, Secrecy::Public) => {
                bail!("input `{name}` is secret: pass it with --input")
            }
            _ => {}
        }
        if v.starts_with('@') {
            bail!(
                "input `{name}`: `{v}` names a stored secret, which a dry run cannot read; \
                 pass its value (`{name}=JSON`)"
            );
        }
        let party = mir
            .parties
            .get(d.party as usize)
            .ok_or_else(|| anyhow!("input `{name}` has no party"))?;
        let value = parse_value(v).with_context(|| format!("input `{name}`"))?;
        if out
            .entry(party.clone())
            .or_default()
            .insert(name.to_string(), value)
            .is_some()
        {
            bail!("input `{name}` is given twice");
        }
    }
    Ok(out)
}

fn dry_run(cli: &Cli, a: &RunArgs) -> anyhow::Result<()> {
    let path = a
        .program
        .as_ref()
        .or(a.program_flag.as_ref())
        .ok_or_else(|| anyhow!("no program given"))?;
    let (bytes, mir) = load_program(path)?;
    let program = ProgramKey(blake3_hash(&bytes));
    let analysis = synod_blind_lang::analysis::analyse(&mir, &Options::default().cost)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut wanted = Vec::new();
    for p in &a.parties {
        let party = p.split_once('=').map_or(p.as_str(), |(party, _)| party);
        if !mir.parties.iter().any(|q| q == party) {
            bail!("the program has no party `{party}`");
        }
        wanted.push(party.to_string());
    }
    let inputs = dry_run_inputs(&mir, &a.inputs, &a.public)?;
    let mut outputs = synod_blind_lang::interp::interpret(&mir, &inputs)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    if !wanted.is_empty() {
        outputs.retain(|party, _| wanted.contains(party));
    }
    let cost = serde_json::json!({
        "online_rounds": analysis.online_rounds,
        "mult_gates": analysis.mult_gates,
        "mult_depth": analysis.mult_depth,
        "comparisons": analysis.comparisons,
        "equality_tests": analysis.equality_tests,
        "divisions": analysis.divisions,
        "wraps": analysis.wraps,
        "reveals": analysis.reveals,
        "total_mults": analysis.total_mults,
        "total_opens": analysis.total_opens,
        "preprocessing": {
            "random_bits": analysis.preprocessing.random_bits,
            "bitwise_randoms": analysis.preprocessing.bitwise_randoms,
            "trunc_pairs": analysis.preprocessing.trunc_pairs,
        },
        "input_bytes": analysis.input_bytes,
        "online_bytes": analysis.online_bytes,
        "output_bytes": analysis.output_bytes,
        "bytes_per_member": analysis.bytes_per_member,
    });
    let outputs_json: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(party, values)| {
            let vals = values
                .iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect();
            (party.clone(), serde_json::Value::Object(vals))
        })
        .collect();
    let j = serde_json::json!({
        "program": program,
        "outputs": outputs_json,
        "cost": cost,
    });
    emit(cli.json, &j, || {
        let mut s = format!("program {program} (dry run on the reference interpreter)");
        for (party, values) in &outputs {
            for (k, v) in values {
                s.push_str(&format!("\n  {party}.{k} = {v}"));
            }
        }
        s.push_str(&format!(
            "\ncost (analyser): {} online rounds, {} multiplication gates (depth {}), \
             {} comparisons, {} equality tests, {} divisions, {} wraps, {} reveals; \
             about {} bytes per member",
            analysis.online_rounds,
            analysis.mult_gates,
            analysis.mult_depth,
            analysis.comparisons,
            analysis.equality_tests,
            analysis.divisions,
            analysis.wraps,
            analysis.reveals,
            analysis.bytes_per_member,
        ));
        s
    })
}

fn blake3_hash(b: &[u8]) -> [u8; 32] {
    *blake3::hash(b).as_bytes()
}

fn print_outputs(cli: &Cli, values: &BTreeMap<String, Value>) -> anyhow::Result<()> {
    let j: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    emit(cli.json, &j, || {
        values
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

// ----- localnet -----

struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn localnet(cli: &Cli, a: &LocalnetArgs) -> anyhow::Result<()> {
    if a.nodes < 3 {
        bail!("a committee needs at least 3 nodes");
    }
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            let s: [u8; 6] = synod_blind_node::types::random_bytes()?;
            std::env::temp_dir().join(format!("synod-blind-{}", hex::encode(s)))
        }
    };
    let configs =
        synod_blind_node::config::write_localnet(&dir, a.nodes, a.round_timeout_ms, !a.no_bench)?;
    let committee = Committee::load(&dir.join("committee.json"))?;
    let exe = std::env::current_exe()?;
    let mut children = Children(Vec::new());
    for (i, cfg) in configs.iter().enumerate() {
        let log = std::fs::File::create(dir.join(format!("node-{i}.log")))?;
        let child = Command::new(&exe)
            .arg("blind-node")
            .arg("--config")
            .arg(cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("spawning blind-node")?;
        children.0.push(child);
    }
    let pids: Vec<u32> = children.0.iter().map(Child::id).collect();
    let rt = rt()?;
    // Wait until every node answers and sees all its peers.
    let c = BlindClient::new(committee.clone(), Keypair::dev("localnet-probe"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = rt.block_on(async {
            let mut ok = true;
            for i in 0..committee.n() {
                ok &= c
                    .info(i)
                    .await
                    .is_ok_and(|inf| inf.connected.len() + 1 == committee.n());
            }
            ok
        });
        if ready {
            break;
        }
        for (i, ch) in children.0.iter_mut().enumerate() {
            if let Some(st) = ch.try_wait()? {
                bail!(
                    "node {i} exited ({st}); see {}",
                    dir.join(format!("node-{i}.log")).display()
                );
            }
        }
        if Instant::now() > deadline {
            bail!(
                "localnet did not connect within 30 s; logs in {}",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let committee_file = dir.join("committee.json");
    emit(
        cli.json,
        &serde_json::json!({
            "committee": committee_file, "dir": dir,
            "nodes": committee.members.iter().zip(&pids).enumerate().map(|(i, (m, pid))| serde_json::json!({
                "index": i, "rpc": m.rpc, "p2p": m.p2p, "key": m.key, "pid": pid,
                "config": dir.join(format!("node-{i}.json")),
            })).collect::<Vec<_>>(),
        }),
        || {
            let mut s = format!(
                "Synod blind localnet: {} nodes (t = {})\n",
                committee.n(),
                (committee.n() - 1) / 2
            );
            for (i, (m, pid)) in committee.members.iter().zip(&pids).enumerate() {
                s.push_str(&format!(
                    "  node {i}  rpc {}  p2p {}  pid {pid}  key {}\n",
                    m.rpc, m.p2p, m.key
                ));
            }
            s.push_str(&format!("  committee file  {}\n", committee_file.display()));
            s.push_str(&format!(
                "  try: synod --dev blind store --committee {} --from alice --type u32 --value 42\nPress Ctrl-C to stop.",
                committee_file.display()
            ));
            s
        },
    )?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    rt.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    drop(children);
    eprintln!("localnet stopped");
    Ok(())
}

// ----- bench -----

fn bench(cli: &Cli, a: &BenchArgs) -> anyhow::Result<()> {
    let c = client(cli, &a.client)?;
    let rt = rt()?;
    let mut report = serde_json::Map::new();
    let mut lines = Vec::new();
    let run = |kind: BenchKind, count: u32, reps: u32| -> anyhow::Result<(f64, f64, u64, u64)> {
        let t = Instant::now();
        let job = rt.block_on(c.start_bench(kind, count, reps))?;
        let out = rt.block_on(c.result(job, Duration::from_secs(600)))?;
        let wall = t.elapsed().as_secs_f64();
        let online = out
            .stats
            .iter()
            .map(|(_, s)| s.online_us)
            .max()
            .unwrap_or(1)
            .max(1);
        let ops = out.stats.first().map(|(_, s)| s.operations).unwrap_or(0);
        let rounds = out.stats.first().map(|(_, s)| s.rounds[2]).unwrap_or(0);
        Ok((
            ops as f64 / (online as f64 / 1e6),
            ops as f64 / wall,
            ops,
            rounds,
        ))
    };
    if matches!(a.op, BenchOp::Mul | BenchOp::All) {
        let (online, wall, ops, _) = run(BenchKind::Mul, a.mul_batch, a.mul_reps)?;
        report.insert(
            "mul".into(),
            serde_json::json!({"ops": ops, "online_per_s": online, "job_per_s": wall}),
        );
        lines.push(format!(
            "secure multiplications: {ops} in {} rounds of {}: {:.0}/s online, {:.0}/s incl. job setup",
            a.mul_reps, a.mul_batch, online, wall
        ));
    }
    if matches!(a.op, BenchOp::Cmp | BenchOp::All) {
        for (kind, key, name) in [
            (BenchKind::Compare, "cmp", "u32"),
            (BenchKind::Compare64, "cmp64", "i64"),
        ] {
            let (online, wall, ops, rounds) = run(kind, a.cmp_batch, 1)?;
            report.insert(key.into(), serde_json::json!({"ops": ops, "online_per_s": online, "online_rounds": rounds, "with_preprocessing_per_s": wall}));
            lines.push(format!(
                "{name} comparisons: {ops}: {online:.0}/s online ({rounds} rounds), {wall:.0}/s incl. preprocessing"
            ));
        }
    }
    if matches!(a.op, BenchOp::Program | BenchOp::All) {
        let (bytes, mir) = load_program(&a.program)?;
        let program = rt.block_on(c.store_program(bytes))?;
        let me = c.account();
        let mut lat = Vec::new();
        for run in 0..a.program_runs {
            let t = Instant::now();
            let inputs: Vec<(String, ScalarType, ClientInput)> = mir
                .inputs
                .iter()
                .enumerate()
                .map(|(k, i)| {
                    (
                        i.name.clone(),
                        i.ty,
                        ClientInput::Secret(Value::Int(
                            ((k as i128 + 1) * 37 + i128::from(run)) % 200,
                        )),
                    )
                })
                .collect();
            let parties: Vec<(String, AccountId)> =
                mir.parties.iter().map(|p| (p.clone(), me)).collect();
            let job = rt.block_on(c.invoke(program, &inputs, &parties))?;
            rt.block_on(c.result(job, Duration::from_secs(120)))?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        lat.sort_by(f64::total_cmp);
        let median = lat.get(lat.len() / 2).copied().unwrap_or(0.0);
        report.insert("program".into(), serde_json::json!({"file": a.program, "runs": lat.len(), "median_ms": median, "latencies_ms": lat}));
        lines.push(format!(
            "{} end to end (share inputs, invoke, run, fetch, reconstruct): median {median:.1} ms over {} runs",
            a.program.display(),
            lat.len()
        ));
    }
    emit(cli.json, &report, || lines.join("\n"))
}
