//! Subnet commands: `subnet`, `stake`, `weights`, `axon`, `root` (over RPC) and
//! `yuma simulate` (local).
//!
//! Amounts (SYN and alpha) and prices (SYN per alpha) are decimal numbers with up to 9
//! decimals, e.g. `--amount 1.5`, `--limit-price 1.02`.

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use std::io::Read;
use synod_primitives::AccountId;
use synod_primitives::token::{DisplayAmount, parse_amount};
use synod_runtime::Call;
use synod_subnets::SubnetHyperparams;
use synod_subnets::query::{Metagraph, QuoteSide, StakePositionView, SubnetView};
use synod_subnets::rpc::SubnetsApiClient;
use synod_subnets::{Hyperparameter, NetUid, SubnetCall, Uid, weights_commit_hash};

/// `synod subnet ...`
#[derive(Subcommand, Debug)]
pub enum SubnetCommand {
    /// List subnets.
    List,
    /// Show one subnet (owner, tempo, pool, price, pending emission).
    Show {
        /// Subnet id.
        netuid: NetUid,
    },
    /// Create a subnet by locking the current lock cost.
    Create {
        /// Owner coldkey (signs, pays the lock).
        #[arg(long)]
        from: String,
        /// Owner hotkey (bound to the coldkey).
        #[arg(long)]
        hotkey: String,
        /// Most SYN to lock (default: no limit).
        #[arg(long)]
        max_lock: Option<String>,
    },
    /// Start emissions (owner).
    Start {
        /// Subnet id.
        netuid: NetUid,
        /// Owner coldkey.
        #[arg(long)]
        from: String,
    },
    /// Show hyperparameters.
    Hyperparams {
        /// Subnet id.
        netuid: NetUid,
    },
    /// Set a hyperparameter (owner). NAME is e.g. `tempo`, `max_allowed_uids`,
    /// `commit_reveal_enabled`, `alpha_values` (VALUE `low,high`), ...
    SetHyperparam {
        /// Subnet id.
        netuid: NetUid,
        /// Parameter name.
        name: String,
        /// New value.
        value: String,
        /// Owner coldkey.
        #[arg(long)]
        from: String,
    },
    /// Register a hotkey as a neuron by burning the registration price.
    Register {
        /// Subnet id.
        netuid: NetUid,
        /// Coldkey (pays the burn; owns the hotkey).
        #[arg(long)]
        from: String,
        /// Neuron hotkey.
        #[arg(long)]
        hotkey: String,
        /// Most SYN to burn (default: no limit).
        #[arg(long)]
        max_burn: Option<String>,
    },
    /// Current registration burn.
    BurnCost {
        /// Subnet id.
        netuid: NetUid,
    },
    /// Current cost of creating a subnet.
    LockCost,
    /// The chain's subnet parameters (genesis): subnet limit, rate limits, lock and burn
    /// rules, emission constants, bounds and new subnets' hyperparameters.
    Params,
    /// Set the subnet's public identity (owner coldkey): name, URL, description.
    SetIdentity {
        /// Subnet id.
        netuid: NetUid,
        /// The owner coldkey.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// The metagraph: every per-UID vector plus pool reserves, price, EMA price, tempo and
    /// pending emission.
    Metagraph {
        /// Subnet id.
        netuid: NetUid,
        /// Also print weight and bond rows (text mode; JSON always has them).
        #[arg(long)]
        full: bool,
        /// The metagraph as it was after this block (default: the newest).
        #[arg(long)]
        block: Option<u64>,
    },
}

/// A public identity on the command line (`--clear` removes it).
#[derive(Args, Debug, Clone)]
pub struct IdentityArgs {
    /// Display name (at most 64 bytes).
    #[arg(long, required_unless_present = "clear")]
    pub name: Option<String>,
    /// Web page (http:// or https://).
    #[arg(long, default_value = "")]
    pub url: String,
    /// What it is (at most 1024 bytes).
    #[arg(long, default_value = "")]
    pub description: String,
    /// Remove the identity instead.
    #[arg(long, conflicts_with_all = ["name", "url", "description"])]
    pub clear: bool,
}

impl IdentityArgs {
    /// The identity to send (`None` clears), checked here first for a clear message.
    pub fn to_identity(&self) -> anyhow::Result<Option<synod_subnets::identity::Identity>> {
        if self.clear {
            return Ok(None);
        }
        let id = synod_subnets::identity::Identity {
            name: self.name.clone().unwrap_or_default(),
            url: self.url.clone(),
            description: self.description.clone(),
        };
        id.check().map_err(|e| anyhow!("invalid identity: {e}"))?;
        Ok(Some(id))
    }
}

/// Slippage protection and confirmation of a stake trade (as btcli: on by default).
#[derive(Args, Debug, Clone)]
pub struct TradeSafety {
    /// Largest price move accepted, as a fraction (0.05 = 5%); sets the limit price when
    /// `--limit-price` is not given.
    #[arg(long, default_value = "0.05", conflicts_with = "limit_price")]
    pub tolerance: String,
    /// Trade at whatever price the pool gives (no limit price).
    #[arg(long = "unsafe", conflicts_with_all = ["limit_price", "partial"])]
    pub no_protection: bool,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `synod stake ...`
#[derive(Subcommand, Debug)]
pub enum StakeCommand {
    /// Stake SYN on a hotkey on a subnet (swapped into alpha through the pool).
    Add {
        /// Coldkey (pays).
        #[arg(long)]
        from: String,
        /// Validator hotkey.
        #[arg(long)]
        hotkey: String,
        /// Subnet (0 = root).
        #[arg(long)]
        netuid: NetUid,
        /// SYN to stake.
        #[arg(long)]
        amount: String,
        /// Highest acceptable price after the trade (SYN per alpha). Default: the price now
        /// raised by `--tolerance`.
        #[arg(long)]
        limit_price: Option<String>,
        /// Fill as much as the limit allows instead of refusing.
        #[arg(long)]
        partial: bool,
        #[command(flatten)]
        safety: TradeSafety,
    },
    /// Unstake alpha back to SYN.
    Remove {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// Subnet (0 = root).
        #[arg(long)]
        netuid: NetUid,
        /// Alpha to unstake.
        #[arg(long, required_unless_present = "all")]
        amount: Option<String>,
        /// Unstake the whole position.
        #[arg(long)]
        all: bool,
        /// Lowest acceptable price after the trade. Default: the price now lowered by
        /// `--tolerance`.
        #[arg(long)]
        limit_price: Option<String>,
        /// Fill as much as the limit allows.
        #[arg(long)]
        partial: bool,
        #[command(flatten)]
        safety: TradeSafety,
    },
    /// Move stake to another hotkey and/or subnet (same coldkey).
    Move {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Source hotkey.
        #[arg(long)]
        origin_hotkey: String,
        /// Destination hotkey.
        #[arg(long)]
        dest_hotkey: String,
        /// Source subnet.
        #[arg(long)]
        origin_netuid: NetUid,
        /// Destination subnet.
        #[arg(long)]
        dest_netuid: NetUid,
        /// Alpha to move.
        #[arg(long)]
        amount: String,
    },
    /// Give stake to another coldkey.
    Transfer {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Recipient coldkey.
        #[arg(long)]
        to: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// Source subnet.
        #[arg(long)]
        origin_netuid: NetUid,
        /// Destination subnet.
        #[arg(long)]
        dest_netuid: NetUid,
        /// Alpha to transfer.
        #[arg(long)]
        amount: String,
    },
    /// Convert stake on one subnet into stake on another.
    Swap {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// Source subnet.
        #[arg(long)]
        origin_netuid: NetUid,
        /// Destination subnet.
        #[arg(long)]
        dest_netuid: NetUid,
        /// Alpha to swap.
        #[arg(long)]
        amount: String,
        /// Lowest acceptable origin/destination price ratio after the trade.
        #[arg(long)]
        limit_price: Option<String>,
        /// Fill as much as the limit allows.
        #[arg(long, requires = "limit_price")]
        partial: bool,
    },
    /// List a coldkey's stake positions.
    List {
        /// Coldkey.
        coldkey: String,
        /// The positions as they were after this block (default: the newest).
        #[arg(long)]
        block: Option<u64>,
    },
    /// What staking SYN (or, with --unstake, unstaking alpha) would give now: the amount out,
    /// the price before and after, and the price impact.
    Quote {
        /// Subnet (0 = root).
        #[arg(long)]
        netuid: NetUid,
        /// SYN to stake, or alpha to unstake.
        #[arg(long)]
        amount: String,
        /// Quote unstaking instead of staking.
        #[arg(long)]
        unstake: bool,
    },
    /// Set a hotkey's delegate take (owner), e.g. `0.18`.
    SetTake {
        /// Owner coldkey.
        #[arg(long)]
        from: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// Take as a fraction (0 to 0.18).
        #[arg(long)]
        take: String,
    },
}

/// Shared arguments of weight commands.
#[derive(Args, Debug)]
pub struct WeightsArgs {
    /// Signer: the hotkey itself or its coldkey (default: the hotkey).
    #[arg(long)]
    from: Option<String>,
    /// Validator hotkey.
    #[arg(long)]
    hotkey: String,
    /// Subnet.
    #[arg(long)]
    netuid: NetUid,
    /// Target UIDs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    uids: Vec<Uid>,
    /// Weights, comma-separated (any scale; stored max-upscaled to u16).
    #[arg(long, value_delimiter = ',')]
    values: Vec<u16>,
    /// Client version key.
    #[arg(long, default_value_t = 0)]
    version_key: u64,
}

/// `synod weights ...`
#[derive(Subcommand, Debug)]
pub enum WeightsCommand {
    /// Set weights. On a subnet with commit–reveal this commits (the salt kept on disk
    /// first), waits for the reveal epoch and reveals, by itself.
    Set {
        /// Weights.
        #[command(flatten)]
        w: WeightsArgs,
        /// With commit–reveal: return after the commit; reveal later with
        /// `weights reveal-pending`.
        #[arg(long)]
        no_wait: bool,
    },
    /// Reveal the commits `weights set` (or the Python SDK) kept on disk for a subnet.
    RevealPending {
        /// Signer: the hotkey or its coldkey.
        #[arg(long)]
        from: String,
        /// Subnet.
        #[arg(long)]
        netuid: NetUid,
        /// Only this hotkey's commits.
        #[arg(long)]
        hotkey: Option<String>,
        /// Reveal only what is due now; leave the others on disk.
        #[arg(long)]
        no_wait: bool,
    },
    /// Commit to weights; prints the salt to reveal with later.
    Commit {
        /// Weights.
        #[command(flatten)]
        w: WeightsArgs,
        /// Salt, hex (default: random, printed).
        #[arg(long)]
        salt: Option<String>,
    },
    /// Reveal committed weights (in the commit's reveal epoch).
    Reveal {
        /// Weights.
        #[command(flatten)]
        w: WeightsArgs,
        /// The commit's salt, hex.
        #[arg(long)]
        salt: String,
    },
}

/// `synod axon ...`
#[derive(Subcommand, Debug)]
pub enum AxonCommand {
    /// Publish a neuron's endpoint.
    Serve {
        /// Signer: the hotkey or its coldkey (default: the hotkey).
        #[arg(long)]
        from: Option<String>,
        /// Neuron hotkey.
        #[arg(long)]
        hotkey: String,
        /// Subnet.
        #[arg(long)]
        netuid: NetUid,
        /// IPv4 or IPv6 address.
        #[arg(long)]
        ip: std::net::IpAddr,
        /// Port.
        #[arg(long)]
        port: u16,
        /// Protocol number.
        #[arg(long, default_value_t = 4)]
        protocol: u8,
        /// Software version advertised with the axon.
        #[arg(long, default_value_t = 0)]
        axon_version: u32,
    },
    /// Run the example Rust miner: `POST /v1/echo {"text"}` answered with the text and the
    /// verified caller's UID, behind the request protocol's checks.
    ServeExample(crate::axon::ServeExampleArgs),
    /// Ask miners (every UID serving an axon, some UIDs, or one URL) with signed requests
    /// and print each answer with its latency.
    Call(crate::axon::CallArgs),
    /// Drive one miner with signed requests; report accepted requests per second.
    Bench(crate::axon::BenchArgs),
}

/// `synod root ...`
#[derive(Subcommand, Debug)]
pub enum RootCommand {
    /// Stake SYN on a hotkey on the root network (counts in every subnet via TaoWeight).
    Stake {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// SYN to stake.
        #[arg(long)]
        amount: String,
    },
    /// Unstake SYN from the root network.
    Unstake {
        /// Coldkey.
        #[arg(long)]
        from: String,
        /// Hotkey.
        #[arg(long)]
        hotkey: String,
        /// SYN to unstake.
        #[arg(long)]
        amount: String,
    },
    /// Hotkeys with root stake.
    List,
}

/// `synod yuma ...`
#[derive(Subcommand, Debug)]
pub enum YumaCommand {
    /// Run one Yuma Consensus epoch locally on a JSON `EpochInput` and print the JSON
    /// `EpochOutput` (format: the README section on subnets and the `synod-yuma` crate docs).
    Simulate {
        /// Input file, or `-` for stdin.
        #[arg(long)]
        input: String,
    },
}

/// Hex of a 32-byte AccountId, shortened for tables.
fn short(a: &AccountId) -> String {
    let s = a.to_string();
    format!("{}…{}", &s[..8], &s[s.len() - 4..])
}

/// An identity's name for a table column (at most 20 characters), `-` when unset.
fn identity_name(id: &Option<synod_subnets::identity::Identity>) -> String {
    match id {
        Some(i) if i.name.chars().count() > 20 => {
            format!("{}…", i.name.chars().take(19).collect::<String>())
        }
        Some(i) => i.name.clone(),
        None => "-".into(),
    }
}

fn amt(x: u64) -> String {
    format!("{}.{:09}", x / 1_000_000_000, x % 1_000_000_000)
}

fn parse_opt(s: &Option<String>) -> anyhow::Result<Option<u64>> {
    s.as_deref()
        .map(parse_amount)
        .transpose()
        .map_err(Into::into)
}

fn u16_frac(v: u16) -> String {
    format!("{:.4}", f64::from(v) / 65_535.0)
}

/// Parses `NAME VALUE` into a hyperparameter.
pub fn parse_hyperparameter(name: &str, value: &str) -> anyhow::Result<Hyperparameter> {
    fn num<T: std::str::FromStr>(v: &str) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        v.trim()
            .parse()
            .map_err(|e| anyhow!("bad value '{v}': {e}"))
    }
    fn flag(v: &str) -> anyhow::Result<bool> {
        match v.trim() {
            "true" | "on" | "1" | "yes" => Ok(true),
            "false" | "off" | "0" | "no" => Ok(false),
            o => bail!("'{o}' is not a boolean"),
        }
    }
    Ok(match name.replace('-', "_").as_str() {
        "tempo" => Hyperparameter::Tempo(num(value)?),
        "max_allowed_uids" | "max_uids" => Hyperparameter::MaxAllowedUids(num(value)?),
        "max_allowed_validators" | "max_validators" => {
            Hyperparameter::MaxAllowedValidators(num(value)?)
        }
        "immunity_period" => Hyperparameter::ImmunityPeriod(num(value)?),
        "min_allowed_weights" => Hyperparameter::MinAllowedWeights(num(value)?),
        "max_weights_limit" | "max_weight_limit" => Hyperparameter::MaxWeightsLimit(num(value)?),
        "weights_rate_limit" => Hyperparameter::WeightsRateLimit(num(value)?),
        "weights_version_key" | "version_key" => Hyperparameter::WeightsVersionKey(num(value)?),
        "kappa" => Hyperparameter::Kappa(num(value)?),
        "bonds_moving_average" => Hyperparameter::BondsMovingAverage(num(value)?),
        "bonds_penalty" => Hyperparameter::BondsPenalty(num(value)?),
        "yuma3_enabled" | "yuma3" => Hyperparameter::Yuma3Enabled(flag(value)?),
        "liquid_alpha_enabled" | "liquid_alpha" => Hyperparameter::LiquidAlphaEnabled(flag(value)?),
        "alpha_values" => {
            let (lo, hi) = value
                .split_once(',')
                .ok_or_else(|| anyhow!("alpha_values takes LOW,HIGH"))?;
            Hyperparameter::AlphaValues {
                low: num(lo)?,
                high: num(hi)?,
            }
        }
        "alpha_sigmoid_steepness" => Hyperparameter::AlphaSigmoidSteepness(num(value)?),
        "commit_reveal_enabled" | "commit_reveal" => {
            Hyperparameter::CommitRevealEnabled(flag(value)?)
        }
        "reveal_period_epochs" | "reveal_period" => Hyperparameter::RevealPeriodEpochs(num(value)?),
        "activity_cutoff" => Hyperparameter::ActivityCutoff(num(value)?),
        "min_burn" => Hyperparameter::MinBurn(parse_amount(value)?),
        "max_burn" => Hyperparameter::MaxBurn(parse_amount(value)?),
        "registration_allowed" => Hyperparameter::RegistrationAllowed(flag(value)?),
        "serving_rate_limit" => Hyperparameter::ServingRateLimit(num(value)?),
        "min_non_immune_uids" => Hyperparameter::MinNonImmuneUids(num(value)?),
        other => bail!("unknown hyperparameter '{other}'"),
    })
}

fn subnet_text(v: &SubnetView) -> String {
    format!(
        "subnet {}\nowner:        {} (hotkey {})\nregistered:   block {} (lock {})\nstarted:      {}\nneurons:      {}/{}\ntempo:        {} (last epoch {}, next {}, epochs {})\nburn:         {}\npool:         {} SYN / {} alpha (outstanding {})\nprice:        {} SYN/alpha (EMA {})\npending:      miners {} validators {} owner {} root {} SYN\nper block:    {} SYN in, {} alpha in, {} alpha out",
        v.netuid,
        v.owner_coldkey,
        v.owner_hotkey,
        v.registered_at,
        DisplayAmount(v.lock),
        v.start_block
            .map_or("no (owner must `subnet start`)".into(), |b| format!(
                "block {b}"
            )),
        v.n,
        v.max_allowed_uids,
        v.tempo,
        v.last_epoch_block,
        v.next_epoch_block,
        v.epoch_index,
        DisplayAmount(v.burn),
        amt(v.pool.tao_reserve),
        amt(v.pool.alpha_reserve),
        amt(v.pool.alpha_outstanding),
        amt(v.pool.price),
        amt(v.pool.moving_price),
        amt(v.pending.server),
        amt(v.pending.validator),
        amt(v.pending.owner),
        amt(v.pending.root_tao),
        amt(v.emission.tao_in),
        amt(v.emission.alpha_in),
        amt(v.emission.alpha_out),
    )
}

fn hyperparams_text(h: &SubnetHyperparams) -> String {
    let v = serde_json::to_value(h).unwrap_or_default();
    match v.as_object() {
        Some(m) => m
            .iter()
            .map(|(k, v)| format!("{k:<26} {v}"))
            .collect::<Vec<_>>()
            .join("\n"),
        None => String::new(),
    }
}

fn metagraph_text(m: &Metagraph, full: bool) -> String {
    let mut s = subnet_text(&m.subnet);
    s.push_str(&format!(
        "\nblock {} ({} blocks since last epoch; vectors from the epoch at block {})\n\n",
        m.block, m.blocks_since_last_step, m.epoch_block
    ));
    s.push_str(&format!(
        "{:>4} {:<15} {:<15} {:>16} {:>14} {:>7} {:>7} {:>7} {:>7} {:>7} {:>14} {:>3} {:>3} {:>8} {:>8}  axon\n",
        "uid", "hotkey", "coldkey", "alpha", "root", "S", "C", "I", "D", "Tv", "E", "act", "vp", "updated", "reg"
    ));
    for i in 0..usize::from(m.n) {
        let axon = m.axons[i].as_ref().map_or(String::from("-"), |a| {
            let ip = if a.ip_type == 4 {
                std::net::Ipv4Addr::from(a.ip as u32).to_string()
            } else {
                std::net::Ipv6Addr::from(a.ip).to_string()
            };
            format!("{ip}:{}", a.port)
        });
        s.push_str(&format!(
            "{:>4} {:<15} {:<15} {:>16} {:>14} {:>7} {:>7} {:>7} {:>7} {:>7} {:>14} {:>3} {:>3} {:>8} {:>8}  {}\n",
            m.uids[i],
            short(&m.hotkeys[i]),
            m.coldkeys[i].as_ref().map_or("-".into(), short),
            amt(m.alpha_stake[i]),
            amt(m.root_stake[i]),
            u16_frac(m.stake_weight[i]),
            u16_frac(m.consensus[i]),
            u16_frac(m.incentive[i]),
            u16_frac(m.dividends[i]),
            u16_frac(m.validator_trust[i]),
            amt(m.emission[i]),
            if m.active[i] { "y" } else { "n" },
            if m.validator_permit[i] { "y" } else { "n" },
            m.last_update[i],
            m.block_at_registration[i],
            axon
        ));
    }
    if full {
        for i in 0..usize::from(m.n) {
            s.push_str(&format!(
                "W[{i}] = {:?}\nB[{i}] = {:?}\n",
                m.weights[i], m.bonds[i]
            ));
        }
    }
    s
}

fn positions_text(p: &[StakePositionView]) -> String {
    if p.is_empty() {
        return "no stake".into();
    }
    let mut s = format!(
        "{:>6} {:<68} {:>18} {:>18}\n",
        "netuid", "hotkey", "alpha", "value (SYN)"
    );
    for x in p {
        s.push_str(&format!(
            "{:>6} {:<68} {:>18} {:>18}\n",
            x.netuid,
            x.hotkey.to_string(),
            amt(x.alpha),
            amt(x.tao_value)
        ));
    }
    s
}

/// Sends a subnet call signed by `from` and prints the receipt.
/// Quotes a stake trade, shows it, asks for confirmation unless `--yes`, and returns the
/// limit price to send: the one given, or the price now moved by the tolerance against the
/// trader, or none with `--unsafe` (and on root, which always trades 1:1).
#[allow(clippy::too_many_arguments)]
async fn protect_trade(
    cli: &Cli,
    c: &jsonrpsee::http_client::HttpClient,
    netuid: NetUid,
    side: QuoteSide,
    amount: u64,
    limit_price: Option<u64>,
    partial: bool,
    safety: &TradeSafety,
) -> anyhow::Result<Option<u64>> {
    let tolerance = parse_amount(&safety.tolerance)?;
    if tolerance >= 1_000_000_000 {
        bail!("--tolerance is a fraction below 1 (0.05 = 5%)");
    }
    let q = c
        .quote(netuid, side, amount)
        .await
        .map_err(rpc_err(&cli.rpc))?;
    let limit = if safety.no_protection || netuid == synod_subnets::ROOT_NETUID {
        None
    } else if let Some(l) = limit_price {
        Some(l)
    } else {
        let scale = 1_000_000_000u128;
        let factor = match side {
            QuoteSide::Stake => scale + u128::from(tolerance),
            QuoteSide::Unstake => scale - u128::from(tolerance),
        };
        Some(u64::try_from(u128::from(q.price_before) * factor / scale).unwrap_or(u64::MAX))
    };
    let (what_in, what_out) = match side {
        QuoteSide::Stake => ("SYN", "alpha"),
        QuoteSide::Unstake => ("alpha", "SYN"),
    };
    let summary = format!(
        "{} subnet {netuid}: {} {what_in} in, about {} {what_out} out \
         (price {} -> {}, impact {:.2}%); {}",
        match side {
            QuoteSide::Stake => "stake on",
            QuoteSide::Unstake => "unstake from",
        },
        amt(q.amount_in),
        amt(q.amount_out),
        amt(q.price_before),
        amt(q.price_after),
        q.slippage_ppm as f64 / 10_000.0,
        match limit {
            None if netuid == synod_subnets::ROOT_NETUID => "root trades 1:1".to_string(),
            None => "no price limit (--unsafe)".to_string(),
            Some(l) => format!(
                "limit price {}{}",
                amt(l),
                if partial {
                    ", partial fill allowed"
                } else {
                    ""
                }
            ),
        }
    );
    let within = match (limit, side) {
        (Some(l), QuoteSide::Stake) => q.price_after <= l,
        (Some(l), QuoteSide::Unstake) => q.price_after >= l,
        (None, _) => true,
    };
    eprintln!("{summary}");
    if !within && !partial {
        eprintln!(
            "note: the trade moves the price past the limit, so the chain will refuse it \
             (raise --tolerance, or allow --partial)"
        );
    }
    if !safety.yes {
        use std::io::{BufRead, IsTerminal, Write};
        if !std::io::stdin().is_terminal() {
            bail!("not confirmed: stdin is not a terminal; pass --yes to trade without asking");
        }
        eprint!("Proceed? [y/N] ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_lowercase().as_str(), "y" | "yes") {
            bail!("cancelled: nothing was sent");
        }
    }
    Ok(limit)
}

async fn submit(
    cli: &Cli,
    c: &jsonrpsee::http_client::HttpClient,
    from: &str,
    call: SubnetCall,
) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let r = send(cli, c, &key, Call::Subnets(call), None, None, true).await?;
    print_submission(cli, r)
}

fn read_input(path: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut s)?;
    } else {
        s = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    }
    Ok(s)
}

/// `synod yuma simulate`: local, no node.
pub fn yuma(cli: &Cli, cmd: &YumaCommand) -> anyhow::Result<()> {
    let YumaCommand::Simulate { input } = cmd;
    let text = read_input(input)?;
    let input: synod_yuma::EpochInput =
        serde_json::from_str(&text).context("input is not a valid EpochInput JSON")?;
    let out = synod_yuma::run_epoch(&input)?;
    // The output is JSON in both modes.
    let _ = cli;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Runs the RPC-backed subnet command groups.
pub async fn run(cli: &Cli) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match &cli.command {
        crate::Command::Subnet(cmd) => match cmd {
            SubnetCommand::SetIdentity {
                netuid,
                from,
                identity,
            } => {
                let call = SubnetCall::SetSubnetIdentity {
                    netuid: *netuid,
                    identity: identity.to_identity()?,
                };
                submit(cli, &c, from, call).await
            }
            SubnetCommand::List => {
                let v = c.subnets().await.map_err(&e)?;
                emit(cli.json, &v, || {
                    if v.is_empty() {
                        return "no subnets (create one with `synod subnet create`)".into();
                    }
                    let mut s = format!(
                        "{:>6} {:<20} {:>5} {:>6} {:>14} {:>14} {:>16} {:>16} {:>8}\n",
                        "netuid",
                        "name",
                        "n",
                        "tempo",
                        "price",
                        "ema price",
                        "SYN reserve",
                        "alpha reserve",
                        "started"
                    );
                    for x in &v {
                        s.push_str(&format!(
                            "{:>6} {:<20} {:>5} {:>6} {:>14} {:>14} {:>16} {:>16} {:>8}\n",
                            x.netuid,
                            identity_name(&x.identity),
                            x.n,
                            x.tempo,
                            amt(x.pool.price),
                            amt(x.pool.moving_price),
                            amt(x.pool.tao_reserve),
                            amt(x.pool.alpha_reserve),
                            if x.start_block.is_some() { "yes" } else { "no" }
                        ));
                    }
                    s
                })
            }
            SubnetCommand::Show { netuid } => {
                let v = c
                    .subnet_info(*netuid)
                    .await
                    .map_err(&e)?
                    .ok_or_else(|| anyhow!("no subnet {netuid}"))?;
                emit(cli.json, &v, || subnet_text(&v))
            }
            SubnetCommand::Create {
                from,
                hotkey,
                max_lock,
            } => {
                let hotkey = account(cli, hotkey)?;
                let max_lock_cost = parse_opt(max_lock)?.unwrap_or(u64::MAX);
                submit(
                    cli,
                    &c,
                    from,
                    SubnetCall::RegisterNetwork {
                        hotkey,
                        max_lock_cost,
                    },
                )
                .await
            }
            SubnetCommand::Start { netuid, from } => {
                submit(cli, &c, from, SubnetCall::StartCall { netuid: *netuid }).await
            }
            SubnetCommand::Hyperparams { netuid } => {
                let h = c
                    .subnet_hyperparams(*netuid)
                    .await
                    .map_err(&e)?
                    .ok_or_else(|| anyhow!("no subnet {netuid}"))?;
                emit(cli.json, &h, || hyperparams_text(&h))
            }
            SubnetCommand::SetHyperparam {
                netuid,
                name,
                value,
                from,
            } => {
                let param = parse_hyperparameter(name, value)?;
                submit(
                    cli,
                    &c,
                    from,
                    SubnetCall::SetHyperparameter {
                        netuid: *netuid,
                        param,
                    },
                )
                .await
            }
            SubnetCommand::Register {
                netuid,
                from,
                hotkey,
                max_burn,
            } => {
                let hotkey = account(cli, hotkey)?;
                let max_burn = parse_opt(max_burn)?.unwrap_or(u64::MAX);
                submit(
                    cli,
                    &c,
                    from,
                    SubnetCall::BurnedRegister {
                        netuid: *netuid,
                        hotkey,
                        max_burn,
                    },
                )
                .await
            }
            SubnetCommand::BurnCost { netuid } => {
                let b = c
                    .burn_cost(*netuid)
                    .await
                    .map_err(&e)?
                    .ok_or_else(|| anyhow!("no subnet {netuid}"))?;
                emit(
                    cli.json,
                    &serde_json::json!({"netuid": netuid, "burn": b}),
                    || format!("registration burn on subnet {netuid}: {}", DisplayAmount(b)),
                )
            }
            SubnetCommand::LockCost => {
                let b = c.network_lock_cost().await.map_err(&e)?;
                emit(cli.json, &serde_json::json!({"lock_cost": b}), || {
                    format!("subnet lock cost: {}", DisplayAmount(b))
                })
            }
            SubnetCommand::Params => {
                let p = c.subnet_params().await.map_err(&e)?;
                emit(cli.json, &p, || {
                    let v = serde_json::to_value(&p).unwrap_or_default();
                    let mut lines: Vec<String> = v
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .filter(|(k, _)| *k != "default_hyperparams")
                                .map(|(k, v)| format!("{k:<26} {v}"))
                                .collect()
                        })
                        .unwrap_or_default();
                    lines.push("new subnets start with:".to_string());
                    lines.push(hyperparams_text(&p.default_hyperparams));
                    lines.join("\n")
                })
            }
            SubnetCommand::Metagraph {
                netuid,
                full,
                block,
            } => {
                let m = c
                    .metagraph(*netuid, *block)
                    .await
                    .map_err(&e)?
                    .ok_or_else(|| anyhow!("no subnet {netuid}"))?;
                emit(cli.json, &m, || metagraph_text(&m, *full))
            }
        },
        crate::Command::Stake(cmd) => match cmd {
            StakeCommand::Add {
                from,
                hotkey,
                netuid,
                amount,
                limit_price,
                partial,
                safety,
            } => {
                let amount = parse_amount(amount)?;
                let limit = protect_trade(
                    cli,
                    &c,
                    *netuid,
                    QuoteSide::Stake,
                    amount,
                    parse_opt(limit_price)?,
                    *partial,
                    safety,
                )
                .await?;
                let call = SubnetCall::AddStake {
                    hotkey: account(cli, hotkey)?,
                    netuid: *netuid,
                    amount,
                    limit_price: limit,
                    allow_partial: *partial,
                };
                submit(cli, &c, from, call).await
            }
            StakeCommand::Remove {
                from,
                hotkey,
                netuid,
                amount,
                all,
                limit_price,
                partial,
                safety,
            } => {
                let hk = account(cli, hotkey)?;
                let amount = if *all {
                    let cold = signer(cli, from)?.account();
                    let positions = c.stake_positions(cold, None).await.map_err(&e)?;
                    positions
                        .iter()
                        .find(|p| p.netuid == *netuid && p.hotkey == hk)
                        .map(|p| p.alpha)
                        .ok_or_else(|| anyhow!("no stake on that hotkey and subnet"))?
                } else {
                    parse_amount(amount.as_deref().unwrap_or("0"))?
                };
                let limit = protect_trade(
                    cli,
                    &c,
                    *netuid,
                    QuoteSide::Unstake,
                    amount,
                    parse_opt(limit_price)?,
                    *partial,
                    safety,
                )
                .await?;
                let call = SubnetCall::RemoveStake {
                    hotkey: hk,
                    netuid: *netuid,
                    amount,
                    limit_price: limit,
                    allow_partial: *partial,
                };
                submit(cli, &c, from, call).await
            }
            StakeCommand::Move {
                from,
                origin_hotkey,
                dest_hotkey,
                origin_netuid,
                dest_netuid,
                amount,
            } => {
                let call = SubnetCall::MoveStake {
                    origin_hotkey: account(cli, origin_hotkey)?,
                    destination_hotkey: account(cli, dest_hotkey)?,
                    origin_netuid: *origin_netuid,
                    destination_netuid: *dest_netuid,
                    amount: parse_amount(amount)?,
                };
                submit(cli, &c, from, call).await
            }
            StakeCommand::Transfer {
                from,
                to,
                hotkey,
                origin_netuid,
                dest_netuid,
                amount,
            } => {
                let call = SubnetCall::TransferStake {
                    destination_coldkey: account(cli, to)?,
                    hotkey: account(cli, hotkey)?,
                    origin_netuid: *origin_netuid,
                    destination_netuid: *dest_netuid,
                    amount: parse_amount(amount)?,
                };
                submit(cli, &c, from, call).await
            }
            StakeCommand::Swap {
                from,
                hotkey,
                origin_netuid,
                dest_netuid,
                amount,
                limit_price,
                partial,
            } => {
                let call = SubnetCall::SwapStake {
                    hotkey: account(cli, hotkey)?,
                    origin_netuid: *origin_netuid,
                    destination_netuid: *dest_netuid,
                    amount: parse_amount(amount)?,
                    limit_price: parse_opt(limit_price)?,
                    allow_partial: *partial,
                };
                submit(cli, &c, from, call).await
            }
            StakeCommand::Quote {
                netuid,
                amount,
                unstake,
            } => {
                let side = if *unstake {
                    QuoteSide::Unstake
                } else {
                    QuoteSide::Stake
                };
                let q = c
                    .quote(*netuid, side, parse_amount(amount)?)
                    .await
                    .map_err(&e)?;
                emit(cli.json, &q, || {
                    let (i, o) = if *unstake {
                        ("alpha", "SYN")
                    } else {
                        ("SYN", "alpha")
                    };
                    format!(
                        "in:     {} {i}\nout:    {} {o} ({} at the spot price)\n\
                         price:  {} -> {}\nimpact: {:.4}%",
                        amt(q.amount_in),
                        amt(q.amount_out),
                        amt(q.amount_out_at_spot),
                        amt(q.price_before),
                        amt(q.price_after),
                        q.slippage_ppm as f64 / 10_000.0
                    )
                })
            }
            StakeCommand::List { coldkey, block } => {
                let who = account(cli, coldkey)?;
                let p = c.stake_positions(who, *block).await.map_err(&e)?;
                emit(cli.json, &p, || positions_text(&p))
            }
            StakeCommand::SetTake { from, hotkey, take } => {
                let frac = parse_amount(take)?;
                if frac > 1_000_000_000 {
                    bail!("take is a fraction between 0 and 1");
                }
                let take = (u128::from(frac) * 65_535 / 1_000_000_000) as u16;
                let call = SubnetCall::SetDelegateTake {
                    hotkey: account(cli, hotkey)?,
                    take,
                };
                submit(cli, &c, from, call).await
            }
        },
        crate::Command::Weights(WeightsCommand::RevealPending {
            from,
            netuid,
            hotkey,
            no_wait,
        }) => {
            let hk = hotkey.as_deref().map(|h| account(cli, h)).transpose()?;
            crate::weights::reveal_pending(cli, &c, from, *netuid, hk, !*no_wait).await
        }
        crate::Command::Weights(cmd) => {
            let (w, extra) = match cmd {
                WeightsCommand::Set { w, no_wait } => {
                    let hp = c
                        .subnet_hyperparams(w.netuid)
                        .await
                        .map_err(&e)?
                        .ok_or_else(|| anyhow!("no subnet {}", w.netuid))?;
                    if hp.commit_reveal_enabled {
                        let from = w.from.clone().unwrap_or_else(|| w.hotkey.clone());
                        return crate::weights::commit_and_reveal(
                            cli,
                            &c,
                            &from,
                            account(cli, &w.hotkey)?,
                            w.netuid,
                            &w.uids,
                            &w.values,
                            w.version_key,
                            *no_wait,
                        )
                        .await;
                    }
                    (w, None)
                }
                WeightsCommand::RevealPending { .. } => unreachable!("handled above"),
                WeightsCommand::Commit { w, salt } => (w, Some((true, salt.clone()))),
                WeightsCommand::Reveal { w, salt } => (w, Some((false, Some(salt.clone())))),
            };
            let hotkey = account(cli, &w.hotkey)?;
            let from = w.from.clone().unwrap_or_else(|| w.hotkey.clone());
            match extra {
                None => {
                    let call = SubnetCall::SetWeights {
                        netuid: w.netuid,
                        hotkey,
                        uids: w.uids.clone(),
                        values: w.values.clone(),
                        version_key: w.version_key,
                    };
                    submit(cli, &c, &from, call).await
                }
                Some((true, salt)) => {
                    let salt = match salt {
                        Some(h) => {
                            hex::decode(h.trim_start_matches("0x")).context("salt must be hex")?
                        }
                        None => {
                            let mut b = [0u8; 32];
                            getrandom::fill(&mut b).map_err(|e| anyhow!("no randomness: {e}"))?;
                            b.to_vec()
                        }
                    };
                    let commit_hash = weights_commit_hash(
                        &hotkey,
                        w.netuid,
                        &w.uids,
                        &w.values,
                        &salt,
                        w.version_key,
                    );
                    let key = signer(cli, &from)?;
                    let r = send(
                        cli,
                        &c,
                        &key,
                        Call::Subnets(SubnetCall::CommitWeights {
                            netuid: w.netuid,
                            hotkey,
                            commit_hash,
                        }),
                        None,
                        None,
                        true,
                    )
                    .await?;
                    let salt_hex = hex::encode(&salt);
                    if !cli.json {
                        println!("commit {commit_hash}\nsalt   {salt_hex}  (needed to reveal)");
                    }
                    match r {
                        Ok(receipt) => {
                            let failed =
                                matches!(receipt.outcome, synod_runtime::TxOutcome::Failed { .. });
                            emit(
                                cli.json,
                                &serde_json::json!({"receipt": receipt, "commit_hash": commit_hash, "salt": salt_hex}),
                                || format!("included in block {}", receipt.height),
                            )?;
                            if failed {
                                bail!(
                                    "the transaction was included but its call failed (fee charged)"
                                );
                            }
                            Ok(())
                        }
                        Err(h) => print_submission(cli, Err(h)),
                    }
                }
                Some((false, salt)) => {
                    let salt = hex::decode(salt.unwrap_or_default().trim_start_matches("0x"))
                        .context("salt must be hex")?;
                    let call = SubnetCall::RevealWeights {
                        netuid: w.netuid,
                        hotkey,
                        uids: w.uids.clone(),
                        values: w.values.clone(),
                        salt,
                        version_key: w.version_key,
                    };
                    submit(cli, &c, &from, call).await
                }
            }
        }
        crate::Command::Axon(AxonCommand::ServeExample(a)) => {
            crate::axon::serve_example(cli, a).await
        }
        crate::Command::Axon(AxonCommand::Call(a)) => crate::axon::call(cli, a).await,
        crate::Command::Axon(AxonCommand::Bench(a)) => crate::axon::bench(cli, a).await,
        crate::Command::Axon(AxonCommand::Serve {
            from,
            hotkey,
            netuid,
            ip,
            port,
            protocol,
            axon_version,
        }) => {
            let (ip, ip_type) = match ip {
                std::net::IpAddr::V4(a) => (u128::from(u32::from(*a)), 4),
                std::net::IpAddr::V6(a) => (u128::from(*a), 6),
            };
            let from = from.clone().unwrap_or_else(|| hotkey.clone());
            let call = SubnetCall::ServeAxon {
                netuid: *netuid,
                hotkey: account(cli, hotkey)?,
                ip,
                ip_type,
                port: *port,
                protocol: *protocol,
                version: *axon_version,
            };
            submit(cli, &c, &from, call).await
        }
        crate::Command::Root(cmd) => match cmd {
            RootCommand::Stake {
                from,
                hotkey,
                amount,
            } => {
                let call = SubnetCall::AddStake {
                    hotkey: account(cli, hotkey)?,
                    netuid: 0,
                    amount: parse_amount(amount)?,
                    limit_price: None,
                    allow_partial: false,
                };
                submit(cli, &c, from, call).await
            }
            RootCommand::Unstake {
                from,
                hotkey,
                amount,
            } => {
                let call = SubnetCall::RemoveStake {
                    hotkey: account(cli, hotkey)?,
                    netuid: 0,
                    amount: parse_amount(amount)?,
                    limit_price: None,
                    allow_partial: false,
                };
                submit(cli, &c, from, call).await
            }
            RootCommand::List => {
                let v = c.root_validators().await.map_err(&e)?;
                emit(cli.json, &v, || {
                    if v.is_empty() {
                        return "no root stake".into();
                    }
                    let mut s = format!(
                        "{:<20} {:<68} {:>18} {:>8} {:>7}\n",
                        "name", "hotkey", "stake (SYN)", "stakers", "take"
                    );
                    for x in &v {
                        s.push_str(&format!(
                            "{:<20} {:<68} {:>18} {:>8} {:>7}\n",
                            identity_name(&x.identity),
                            x.hotkey.to_string(),
                            amt(x.stake),
                            x.stakers,
                            u16_frac(x.take)
                        ));
                    }
                    s
                })
            }
        },
        _ => unreachable!("dispatched in main"),
    }
}
