//! `synod asset ...` and `synod attribution ...`: register AI assets, version and transfer them,
//! link lineage under licences, offer and buy licences, pay assets and claim vault balances,
//! and commit, challenge, recompute and judge attribution results; plus the read views.
//!
//! Amounts are decimal in the currency's decimals (SYN: 9; a token: its own), `--token` picks a
//! token by id or symbol instead of SYN. `attribution compute` and `attribution verify` run the
//! real all-MiniLM-L6-v2 model (`scripts/fetch-model.sh` installs it) through `synod-embed`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use crate::tokens::{display_token_amount, parse_token_amount};
use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use jsonrpsee::http_client::HttpClient;
use synod_assets::query::{AssetView, CommitmentView, LineageView};
use synod_assets::rpc::{AmountParam, AssetsApiClient, AttributionApiClient};
use synod_assets::{
    Amount, AssetCall, AssetId, AssetKind, AttributionMethod, CommitmentId, ContributorValue,
    Currency, LicenceKind, OfferId, PayItem, Relation, Verdict,
};
use synod_embed::evidence::{Evidence, evidence_hash};
use synod_primitives::token::{DECIMALS, parse_amount};
use synod_primitives::{AccountId, Hash};
use synod_runtime::Call;
use synod_tokens::rpc::TokensApiClient;

/// Asset kinds on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    /// A dataset.
    Dataset,
    /// A model.
    Model,
    /// An agent.
    Agent,
    /// A pipeline.
    Pipeline,
    /// A service.
    Service,
}

impl From<KindArg> for AssetKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Dataset => AssetKind::Dataset,
            KindArg::Model => AssetKind::Model,
            KindArg::Agent => AssetKind::Agent,
            KindArg::Pipeline => AssetKind::Pipeline,
            KindArg::Service => AssetKind::Service,
        }
    }
}

/// Lineage relations on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RelationArg {
    /// The child was trained on the parent.
    TrainedOn,
    /// The child was fine-tuned from the parent.
    FinetunedFrom,
    /// The child was derived from the parent.
    DerivedFrom,
    /// The child uses the parent.
    Uses,
}

impl From<RelationArg> for Relation {
    fn from(r: RelationArg) -> Self {
        match r {
            RelationArg::TrainedOn => Relation::TrainedOn,
            RelationArg::FinetunedFrom => Relation::FinetunedFrom,
            RelationArg::DerivedFrom => Relation::DerivedFrom,
            RelationArg::Uses => Relation::Uses,
        }
    }
}

/// Licence kinds on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LicenceArg {
    /// Any use.
    Open,
    /// No commercial use, no derivatives.
    NonCommercial,
    /// Commercial use, no derivatives.
    Commercial,
    /// Commercial use and derivatives.
    CommercialRemix,
}

impl From<LicenceArg> for LicenceKind {
    fn from(k: LicenceArg) -> Self {
        match k {
            LicenceArg::Open => LicenceKind::Open,
            LicenceArg::NonCommercial => LicenceKind::NonCommercial,
            LicenceArg::Commercial => LicenceKind::Commercial,
            LicenceArg::CommercialRemix => LicenceKind::CommercialRemix,
        }
    }
}

/// Jury verdicts on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerdictArg {
    /// The committed result is right.
    Original,
    /// The challenger's result is right.
    Challenger,
    /// Neither is.
    Neither,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Self {
        match v {
            VerdictArg::Original => Verdict::Original,
            VerdictArg::Challenger => Verdict::Challenger,
            VerdictArg::Neither => Verdict::Neither,
        }
    }
}

/// `synod asset licence ...`
#[derive(Subcommand, Debug)]
pub enum LicenceCommand {
    /// Offer a licence of an asset you own.
    Offer {
        /// Asset id.
        asset: AssetId,
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// Terms.
        #[arg(long, value_enum)]
        kind: LicenceArg,
        /// Price, decimal in the currency (0 for free).
        #[arg(long, default_value = "0")]
        price: String,
        /// Price in this token (id or symbol) instead of SYN.
        #[arg(long)]
        token: Option<String>,
        /// Share of every payment to a derivative made under it, in basis points.
        #[arg(long, default_value_t = 0)]
        share_bp: u16,
        /// Blocks the licence lasts from purchase (0: for ever).
        #[arg(long, default_value_t = 0)]
        duration: u64,
    },
    /// Buy a licence: its price goes into the asset's vault.
    Buy {
        /// Asset id.
        asset: AssetId,
        /// Offer id.
        #[arg(long)]
        offer: OfferId,
        /// Buyer (signs, pays).
        #[arg(long)]
        from: String,
        /// Refuse to pay more than this (decimal; default: the offer's current price).
        #[arg(long)]
        max_price: Option<String>,
        /// Work bound of splitting the price (default: what the split takes now, plus slack).
        #[arg(long)]
        work_bound: Option<u32>,
    },
    /// Stop selling an offer.
    Withdraw {
        /// Asset id.
        asset: AssetId,
        /// Offer id.
        #[arg(long)]
        offer: OfferId,
        /// Owner (signs).
        #[arg(long)]
        from: String,
    },
    /// An asset's offers.
    List {
        /// Asset id.
        asset: AssetId,
    },
    /// The licences an account holds.
    Held {
        /// Account.
        account: String,
    },
}

/// `synod asset ...`
#[derive(Subcommand, Debug)]
pub enum AssetCommand {
    /// Register a dataset, model, agent, pipeline or service.
    Register {
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// What it is.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Name (1-64 bytes).
        #[arg(long)]
        name: String,
        /// Where its metadata lives.
        #[arg(long, default_value = "")]
        metadata_uri: String,
        /// A metadata file to hash (blake3); default: the hash of the empty string.
        #[arg(long)]
        metadata_file: Option<PathBuf>,
        /// The first version's content, hashed (blake3).
        #[arg(long, conflicts_with = "content_hash")]
        content_file: Option<PathBuf>,
        /// The first version's content hash (0x hex).
        #[arg(long)]
        content_hash: Option<String>,
    },
    /// One asset.
    Show {
        /// Asset id.
        asset: AssetId,
    },
    /// Assets in id order, or those of one owner.
    List {
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        /// Start after this id.
        #[arg(long)]
        after: Option<AssetId>,
        /// Most assets.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Give an asset to another account (future revenue goes to it).
    Transfer {
        /// Asset id.
        asset: AssetId,
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// New owner.
        #[arg(long)]
        to: String,
    },
    /// Append a version.
    Version {
        /// Asset id.
        asset: AssetId,
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// The version's content, hashed (blake3).
        #[arg(long, conflicts_with = "content_hash")]
        content_file: Option<PathBuf>,
        /// The version's content hash (0x hex).
        #[arg(long)]
        content_hash: Option<String>,
        /// Where it lives.
        #[arg(long, default_value = "")]
        uri: String,
    },
    /// Add a lineage edge CHILD → PARENT (you own the child; a licence of the parent unless
    /// you own it too).
    Link {
        /// Child's owner (signs).
        #[arg(long)]
        from: String,
        /// The derived asset.
        #[arg(long)]
        child: AssetId,
        /// The upstream asset.
        #[arg(long)]
        parent: AssetId,
        /// How the child depends on it.
        #[arg(long, value_enum)]
        relation: RelationArg,
        /// Your licence of the parent (its offer id).
        #[arg(long)]
        licence: Option<OfferId>,
    },
    /// Ancestors (default) or descendants of an asset.
    Lineage {
        /// Asset id.
        asset: AssetId,
        /// Walk down to descendants instead of up to ancestors.
        #[arg(long)]
        descendants: bool,
        /// Most edges walked (at most 64).
        #[arg(long, default_value_t = 64)]
        depth: u32,
    },
    /// Licences: offer, buy, withdraw, list, held.
    #[command(subcommand)]
    Licence(LicenceCommand),
    /// Declare contribution weights (no computation behind them; not challengeable). Use
    /// `attribution commit` for computed weights.
    Contribute {
        /// Asset id.
        asset: AssetId,
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// ACCOUNT=WEIGHT, repeated; weights are scaled to sum to 1,000,000.
        #[arg(long = "contributor", required = true)]
        contributors: Vec<String>,
    },
    /// An asset's vault balance, contribution records, and what a payment would credit.
    Vault {
        /// Asset id.
        asset: AssetId,
        /// In this token instead of SYN.
        #[arg(long)]
        token: Option<String>,
        /// Preview the split of a payment of this amount (decimal).
        #[arg(long)]
        preview: Option<String>,
    },
    /// What an account may claim, vault by vault.
    Claimable {
        /// Account.
        account: String,
    },
    /// Withdraw your balance from an asset's vault.
    Claim {
        /// Asset id.
        asset: AssetId,
        /// Beneficiary (signs).
        #[arg(long)]
        from: String,
        /// In this token instead of SYN.
        #[arg(long)]
        token: Option<String>,
    },
    /// Pay one or more assets in one transaction.
    Pay {
        /// Payer (signs).
        #[arg(long)]
        from: String,
        /// ASSET=AMOUNT or ASSET=AMOUNT@OFFER (a payment for commercial use under your
        /// licence OFFER), repeated.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Pay in this token instead of SYN.
        #[arg(long)]
        token: Option<String>,
        /// Work bound of each item (default: what its split takes now, plus slack).
        #[arg(long)]
        work_bound: Option<u32>,
    },
}

/// `synod attribution worker ...`
#[derive(Subcommand, Debug)]
pub enum WorkerCommand {
    /// Bond SYN to be drawn as a juror.
    Bond {
        /// Worker (signs).
        #[arg(long)]
        from: String,
        /// SYN, decimal.
        #[arg(long)]
        amount: String,
    },
    /// Withdraw worker bond.
    Unbond {
        /// Worker (signs).
        #[arg(long)]
        from: String,
        /// SYN, decimal.
        #[arg(long)]
        amount: String,
    },
    /// The bonded workers.
    List,
}

/// `synod attribution ...`
#[derive(Subcommand, Debug)]
pub enum AttributionCommand {
    /// Compute evidence: exact KNN-Shapley of every training text (embedded with
    /// all-MiniLM-L6-v2) for a K-NN classifier's validation accuracy, summed per contributor.
    Compute {
        /// Training JSONL: {"text", "label", "contributor"} per line.
        #[arg(long)]
        train: PathBuf,
        /// Validation JSONL: {"text", "label"} per line.
        #[arg(long)]
        validation: PathBuf,
        /// K of the classifier.
        #[arg(long, default_value_t = 5)]
        k: u32,
        /// Where to write the evidence file.
        #[arg(long)]
        out: PathBuf,
        /// Model directory (default: $SYNOD_MODEL_DIR or ~/.cache/synod/models/all-MiniLM-L6-v2).
        #[arg(long)]
        model_dir: Option<PathBuf>,
    },
    /// Commit an evidence file's weights for an asset you own (effective after the window).
    Commit {
        /// Asset id.
        asset: AssetId,
        /// Owner (signs, bonds).
        #[arg(long)]
        from: String,
        /// The evidence file from `attribution compute`.
        #[arg(long)]
        evidence: PathBuf,
        /// Where others can fetch the evidence and its inputs.
        #[arg(long, default_value = "")]
        evidence_uri: String,
        /// Assets valued (the dataset asset ids), repeated.
        #[arg(long = "dataset")]
        datasets: Vec<AssetId>,
        /// SYN bonded, decimal (default: the chain's minimum).
        #[arg(long)]
        bond: Option<String>,
    },
    /// Challenge a commitment with your own evidence and a bond.
    Challenge {
        /// Commitment id.
        commitment: CommitmentId,
        /// Challenger (signs, bonds).
        #[arg(long)]
        from: String,
        /// Your evidence file.
        #[arg(long)]
        evidence: PathBuf,
        /// Where others can fetch it.
        #[arg(long, default_value = "")]
        evidence_uri: String,
        /// SYN bonded, decimal (default: the chain's minimum).
        #[arg(long)]
        bond: Option<String>,
    },
    /// A commitment (or, with --asset, an asset's contribution records).
    Show {
        /// Commitment id.
        commitment: Option<CommitmentId>,
        /// Show this asset's contribution records instead.
        #[arg(long, conflicts_with = "commitment")]
        asset: Option<AssetId>,
    },
    /// Recompute a challenged commitment from its inputs and report (or `--vote`) the verdict.
    Verify {
        /// Commitment id.
        commitment: CommitmentId,
        /// The committer's evidence file (its hash must match the chain's).
        #[arg(long)]
        evidence: PathBuf,
        /// The challenger's evidence file (its hash must match the chain's).
        #[arg(long)]
        challenger_evidence: PathBuf,
        /// Training JSONL named by the evidence (its blake3 must match).
        #[arg(long)]
        train: PathBuf,
        /// Validation JSONL named by the evidence (its blake3 must match).
        #[arg(long)]
        validation: PathBuf,
        /// Largest weight difference (in millionths) still counted as agreement.
        #[arg(long, default_value_t = 100)]
        tolerance: u64,
        /// Model directory.
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// Submit the verdict as this juror.
        #[arg(long)]
        vote: Option<String>,
    },
    /// Vote on a challenge you were drawn for.
    Vote {
        /// Commitment id.
        commitment: CommitmentId,
        /// Juror (signs).
        #[arg(long)]
        from: String,
        /// The verdict.
        #[arg(long, value_enum)]
        verdict: VerdictArg,
    },
    /// Worker bonds: bond, unbond, list.
    #[command(subcommand)]
    Worker(WorkerCommand),
}

fn hash_arg(file: &Option<PathBuf>, hex: &Option<String>) -> anyhow::Result<Hash> {
    match (file, hex) {
        (Some(f), _) => Ok(Hash(*blake3::hash(&read(f)?).as_bytes())),
        (None, Some(h)) => h
            .parse()
            .with_context(|| format!("'{h}' is not a 32-byte hex hash")),
        (None, None) => Ok(Hash(*blake3::hash(b"").as_bytes())),
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A currency and its decimals and symbol, for parsing and display.
struct Unit {
    currency: Currency,
    decimals: u8,
    symbol: String,
}

async fn unit(c: &HttpClient, cli: &Cli, token: &Option<String>) -> anyhow::Result<Unit> {
    let Some(t) = token else {
        return Ok(Unit {
            currency: Currency::Syn,
            decimals: DECIMALS as u8,
            symbol: "SYN".into(),
        });
    };
    let e = rpc_err(&cli.rpc);
    let view = match t.parse::<u64>() {
        Ok(id) => c.info(id).await.map_err(&e)?,
        Err(_) => c.by_symbol(t.to_uppercase()).await.map_err(&e)?,
    }
    .with_context(|| format!("no token '{t}'"))?;
    Ok(Unit {
        currency: Currency::Token(view.token),
        decimals: view.decimals,
        symbol: view.symbol,
    })
}

impl Unit {
    fn parse(&self, s: &str) -> anyhow::Result<Amount> {
        parse_token_amount(s, self.decimals)
    }
    fn show(&self, a: Amount) -> String {
        display_token_amount(a, self.decimals, &self.symbol)
    }
}

async fn unit_of(c: &HttpClient, cli: &Cli, currency: Currency) -> anyhow::Result<Unit> {
    match currency {
        Currency::Syn => unit(c, cli, &None).await,
        Currency::Token(t) => unit(c, cli, &Some(t.to_string())).await,
    }
}

fn asset_text(a: &AssetView) -> String {
    let mut s = format!(
        "asset {} ({:?}) \"{}\"\nowner:      {}\nversions:   {}\nregistered: block {}\nmetadata:   {} ({})\nvault:      {}",
        a.asset,
        a.kind,
        a.name,
        a.owner,
        a.versions,
        a.registered_at,
        if a.metadata_uri.is_empty() {
            "-"
        } else {
            &a.metadata_uri
        },
        a.metadata_hash,
        a.vault
    );
    for e in &a.parents {
        s.push_str(&format!(
            "\nparent:     {} {:?}, upstream share {} bp{}",
            e.parent,
            e.relation,
            e.share_bp,
            e.licence
                .map(|l| format!(" (licence offer {l})"))
                .unwrap_or_default()
        ));
    }
    if let Some(c) = a.pending_commitment {
        s.push_str(&format!("\nattribution commitment {c} in progress"));
    }
    s
}

fn lineage_text(l: &LineageView, down: bool) -> String {
    if l.nodes.is_empty() {
        return format!(
            "asset {} has no {}",
            l.asset,
            if down { "descendants" } else { "ancestors" }
        );
    }
    let mut s = String::new();
    for n in &l.nodes {
        s.push_str(&format!(
            "{}{} ({:?}) \"{}\" owned by {}\n",
            "  ".repeat(n.depth as usize),
            n.asset,
            n.kind,
            n.name,
            n.owner
        ));
    }
    if l.truncated {
        s.push_str("(truncated: more beyond the depth or size limit)\n");
    }
    s.trim_end().to_string()
}

fn commitment_text(c: &CommitmentView) -> String {
    let mut s = format!(
        "commitment {} for asset {}: {:?}, metric {}\nstage:      {}{}\ncommitted:  block {} by {} (bond {}), challengeable until block {}\nevidence:   {} {}",
        c.commitment,
        c.asset,
        c.method,
        c.metric,
        c.stage,
        c.resolution
            .map(|r| format!(" ({r:?})"))
            .unwrap_or_default(),
        c.committed_at,
        c.committer.account,
        synod_primitives::token::DisplayAmount(c.committer.bond),
        c.challenge_ends,
        c.committer.evidence_hash,
        c.committer.evidence_uri,
    );
    for v in &c.committer.values {
        s.push_str(&format!("\n  {} weight {}", v.contributor, v.weight));
    }
    if let Some(ch) = &c.challenger {
        s.push_str(&format!(
            "\nchallenger: {} (bond {}), evidence {}",
            ch.account,
            synod_primitives::token::DisplayAmount(ch.bond),
            ch.evidence_hash
        ));
        for v in &ch.values {
            s.push_str(&format!("\n  {} weight {}", v.contributor, v.weight));
        }
    }
    for j in &c.jurors {
        s.push_str(&format!("\njuror {}: {:?}", j.juror, j.verdict));
    }
    s
}

/// The on-chain result of an evidence file: contributors resolved to accounts (names through
/// the keystore or `--dev`, or 0x hex), in account order.
pub fn values_of(cli: &Cli, ev: &Evidence) -> anyhow::Result<Vec<ContributorValue>> {
    let mut by_account: BTreeMap<AccountId, ContributorValue> = BTreeMap::new();
    for c in &ev.contributors {
        let who = account(cli, &c.contributor)
            .with_context(|| format!("contributor '{}' of the evidence", c.contributor))?;
        let micro = (c.value * 1e6).round();
        if !micro.is_finite() || micro.abs() > i64::MAX as f64 {
            bail!("contributor '{}' has an unusable value", c.contributor);
        }
        let v = ContributorValue {
            contributor: who,
            value_micro: micro as i64,
            weight: c.weight,
        };
        if by_account.insert(who, v).is_some() {
            bail!("two contributors of the evidence are the same account {who}");
        }
    }
    Ok(by_account.into_values().collect())
}

fn load_evidence(path: &Path) -> anyhow::Result<(Evidence, Hash)> {
    let bytes = read(path)?;
    let ev = Evidence::from_file_bytes(&bytes)
        .with_context(|| format!("{} is not a valid evidence file", path.display()))?;
    Ok((ev, Hash(evidence_hash(&bytes))))
}

fn embedder(model_dir: &Option<PathBuf>) -> anyhow::Result<synod_embed::Embedder> {
    Ok(match model_dir {
        Some(d) => synod_embed::Embedder::load(d)?,
        None => synod_embed::Embedder::load_default()?,
    })
}

fn parse_weights(cli: &Cli, specs: &[String]) -> anyhow::Result<Vec<ContributorValue>> {
    let mut raw: BTreeMap<AccountId, u128> = BTreeMap::new();
    for s in specs {
        let (who, w) = s
            .split_once('=')
            .with_context(|| format!("'{s}' is not ACCOUNT=WEIGHT"))?;
        let w: u128 = w
            .parse()
            .with_context(|| format!("'{w}' is not a whole number"))?;
        if w == 0 {
            bail!("weight of '{who}' is 0: leave the contributor out instead");
        }
        if raw.insert(account(cli, who)?, w).is_some() {
            bail!("'{who}' is given twice");
        }
    }
    let total: u128 = raw.values().sum();
    let whole = u128::from(synod_attribution::WEIGHT_TOTAL);
    let mut out: Vec<ContributorValue> = raw
        .iter()
        .map(|(a, w)| ContributorValue {
            contributor: *a,
            value_micro: 0,
            weight: (w * whole / total) as u64,
        })
        .collect();
    // The rounding remainder goes to the largest contributor (the first of equals).
    let rest = synod_attribution::WEIGHT_TOTAL - out.iter().map(|v| v.weight).sum::<u64>();
    if let Some(top) = out
        .iter_mut()
        .max_by_key(|v| (v.weight, std::cmp::Reverse(v.contributor)))
    {
        top.weight += rest;
    }
    Ok(out)
}

/// The work bound a payment needs now, with slack for lineage or contributions that change
/// before it is included (the fee is priced on the bound).
async fn bound_for(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    asset: AssetId,
    amount: Amount,
) -> anyhow::Result<u32> {
    let p = c
        .split_preview(asset, AmountParam(amount))
        .await
        .map_err(e)?;
    Ok(p.work.saturating_add(p.work / 10).saturating_add(8))
}

async fn submit(cli: &Cli, c: &HttpClient, from: &str, call: AssetCall) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let r = send(cli, c, &key, Call::Assets(call), None, None, true).await?;
    print_submission(cli, r)
}

/// Runs `synod asset ...`.
pub async fn run_asset(cli: &Cli, cmd: &AssetCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let (from, call) = match cmd {
        AssetCommand::Show { asset } => {
            let a = AssetsApiClient::get(&c, *asset)
                .await
                .map_err(&e)?
                .with_context(|| format!("asset {asset} does not exist"))?;
            return emit(cli.json, &a, || asset_text(&a));
        }
        AssetCommand::List {
            owner,
            after,
            limit,
        } => {
            let list = match owner {
                Some(o) => c.by_owner(account(cli, o)?).await.map_err(&e)?,
                None => {
                    AssetsApiClient::list(&c, *after, Some(*limit))
                        .await
                        .map_err(&e)?
                        .assets
                }
            };
            return emit(cli.json, &list, || {
                if list.is_empty() {
                    return "no assets".into();
                }
                list.iter()
                    .map(|a| {
                        format!(
                            "{:>5}  {:<9} {:<32} owner {}",
                            a.asset,
                            format!("{:?}", a.kind).to_lowercase(),
                            a.name,
                            a.owner
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AssetCommand::Lineage {
            asset,
            descendants,
            depth,
        } => {
            let l = if *descendants {
                c.descendants(*asset, Some(*depth)).await
            } else {
                c.ancestors(*asset, Some(*depth)).await
            }
            .map_err(&e)?;
            return emit(cli.json, &l, || lineage_text(&l, *descendants));
        }
        AssetCommand::Licence(LicenceCommand::List { asset }) => {
            let offers = c.offers(*asset).await.map_err(&e)?;
            let mut lines = Vec::new();
            for o in &offers {
                let u = unit_of(&c, cli, o.currency).await?;
                lines.push(format!(
                    "offer {}: {:?}, price {}, upstream share {} bp, {}{}",
                    o.offer,
                    o.kind,
                    u.show(o.price),
                    o.upstream_share_bp,
                    if o.duration_blocks == 0 {
                        "perpetual".to_string()
                    } else {
                        format!("{} blocks", o.duration_blocks)
                    },
                    if o.active { "" } else { " (withdrawn)" }
                ));
            }
            return emit(cli.json, &offers, || {
                if lines.is_empty() {
                    "no offers".into()
                } else {
                    lines.join("\n")
                }
            });
        }
        AssetCommand::Licence(LicenceCommand::Held { account: who }) => {
            let held = c.licences(account(cli, who)?).await.map_err(&e)?;
            return emit(cli.json, &held, || {
                if held.is_empty() {
                    return "no licences".into();
                }
                held.iter()
                    .map(|l| {
                        format!(
                            "asset {} offer {}: {:?}, share {} bp, {}",
                            l.asset,
                            l.offer,
                            l.kind,
                            l.upstream_share_bp,
                            match (l.valid, l.expires_at) {
                                (false, _) => "expired".to_string(),
                                (true, Some(h)) => format!("valid until block {h}"),
                                (true, None) => "perpetual".to_string(),
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AssetCommand::Vault {
            asset,
            token,
            preview,
        } => {
            let u = unit(&c, cli, token).await?;
            let v = c.vault(*asset, Some(u.currency)).await.map_err(&e)?;
            let contributions = c.contributions(*asset).await.map_err(&e)?;
            let credits = match preview {
                Some(p) => Some(
                    c.split_preview(*asset, AmountParam(u.parse(p)?))
                        .await
                        .map_err(&e)?
                        .credits,
                ),
                None => None,
            };
            let out = serde_json::json!({
                "vault": v, "contributions": contributions, "preview": credits,
            });
            return emit(cli.json, &out, || {
                let mut s = format!(
                    "vault of asset {}: {} holds {}",
                    v.asset,
                    v.account,
                    u.show(v.balance)
                );
                match &contributions {
                    Some(cv) => {
                        s.push_str(&format!(
                            "\ncontributors (commitment {}, since block {}):",
                            cv.commitment, cv.since
                        ));
                        for (a, w) in &cv.weights {
                            s.push_str(&format!("\n  {a} weight {w}"));
                        }
                    }
                    None => s.push_str("\nno contribution records"),
                }
                if let Some(cr) = &credits {
                    s.push_str("\na payment would credit:");
                    for x in cr {
                        s.push_str(&format!(
                            "\n  vault {} → {}: {}",
                            x.asset,
                            x.account,
                            u.show(x.amount)
                        ));
                    }
                }
                s
            });
        }
        AssetCommand::Claimable { account: who } => {
            let claims = c.claimable(account(cli, who)?).await.map_err(&e)?;
            let mut lines = Vec::new();
            for x in &claims {
                let u = unit_of(&c, cli, x.currency).await?;
                lines.push(format!("vault of asset {}: {}", x.asset, u.show(x.amount)));
            }
            return emit(cli.json, &claims, || {
                if lines.is_empty() {
                    "nothing to claim".into()
                } else {
                    lines.join("\n")
                }
            });
        }
        AssetCommand::Register {
            from,
            kind,
            name,
            metadata_uri,
            metadata_file,
            content_file,
            content_hash,
        } => (
            from,
            AssetCall::Register {
                kind: (*kind).into(),
                name: name.clone(),
                metadata_uri: metadata_uri.clone(),
                metadata_hash: hash_arg(metadata_file, &None)?,
                content_hash: hash_arg(content_file, content_hash)?,
            },
        ),
        AssetCommand::Transfer { asset, from, to } => (
            from,
            AssetCall::Transfer {
                asset: *asset,
                to: account(cli, to)?,
            },
        ),
        AssetCommand::Version {
            asset,
            from,
            content_file,
            content_hash,
            uri,
        } => (
            from,
            AssetCall::AddVersion {
                asset: *asset,
                content_hash: hash_arg(content_file, content_hash)?,
                uri: uri.clone(),
            },
        ),
        AssetCommand::Link {
            from,
            child,
            parent,
            relation,
            licence,
        } => (
            from,
            AssetCall::Link {
                child: *child,
                parent: *parent,
                relation: (*relation).into(),
                licence: *licence,
            },
        ),
        AssetCommand::Licence(LicenceCommand::Offer {
            asset,
            from,
            kind,
            price,
            token,
            share_bp,
            duration,
        }) => {
            let u = unit(&c, cli, token).await?;
            (
                from,
                AssetCall::OfferLicence {
                    asset: *asset,
                    kind: (*kind).into(),
                    currency: u.currency,
                    price: u.parse(price)?,
                    upstream_share_bp: *share_bp,
                    duration_blocks: *duration,
                },
            )
        }
        AssetCommand::Licence(LicenceCommand::Buy {
            asset,
            offer,
            from,
            max_price,
            work_bound,
        }) => {
            let offers = c.offers(*asset).await.map_err(&e)?;
            let o = offers
                .iter()
                .find(|o| o.offer == *offer)
                .with_context(|| format!("asset {asset} has no offer {offer}"))?;
            let max_price = match max_price {
                Some(m) => unit_of(&c, cli, o.currency).await?.parse(m)?,
                None => o.price,
            };
            let work_bound = match work_bound {
                Some(w) => *w,
                None if o.price == 0 => 1,
                None => bound_for(&c, &e, *asset, o.price).await?,
            };
            (
                from,
                AssetCall::BuyLicence {
                    asset: *asset,
                    offer: *offer,
                    max_price,
                    work_bound,
                },
            )
        }
        AssetCommand::Licence(LicenceCommand::Withdraw { asset, offer, from }) => (
            from,
            AssetCall::WithdrawLicence {
                asset: *asset,
                offer: *offer,
            },
        ),
        AssetCommand::Contribute {
            asset,
            from,
            contributors,
        } => (
            from,
            AssetCall::Commit {
                asset: *asset,
                method: AttributionMethod::Declared,
                datasets: Vec::new(),
                metric: "declared".into(),
                values: parse_weights(cli, contributors)?,
                evidence_hash: Hash::ZERO,
                evidence_uri: String::new(),
                bond: 0,
            },
        ),
        AssetCommand::Claim { asset, from, token } => {
            let u = unit(&c, cli, token).await?;
            (
                from,
                AssetCall::Claim {
                    asset: *asset,
                    currency: u.currency,
                },
            )
        }
        AssetCommand::Pay {
            from,
            items,
            token,
            work_bound,
        } => {
            let u = unit(&c, cli, token).await?;
            let mut parsed = Vec::new();
            for it in items {
                let (asset, rest) = it
                    .split_once('=')
                    .with_context(|| format!("'{it}' is not ASSET=AMOUNT[@OFFER]"))?;
                let (amount, licence) = match rest.split_once('@') {
                    Some((a, o)) => (
                        a,
                        Some(
                            o.parse::<OfferId>()
                                .with_context(|| format!("'{o}' is not an offer id"))?,
                        ),
                    ),
                    None => (rest, None),
                };
                let asset: AssetId = asset
                    .parse()
                    .with_context(|| format!("'{asset}' is not an asset id"))?;
                let amount = u.parse(amount)?;
                let work_bound = match work_bound {
                    Some(w) => *w,
                    None => bound_for(&c, &e, asset, amount).await?,
                };
                parsed.push(PayItem {
                    asset,
                    amount,
                    licence,
                    work_bound,
                });
            }
            (
                from,
                AssetCall::Pay {
                    currency: u.currency,
                    items: parsed,
                },
            )
        }
    };
    submit(cli, &c, from, call).await
}

fn syn(s: &str) -> anyhow::Result<u64> {
    parse_amount(s).map_err(|e| anyhow::anyhow!("'{s}': {e}"))
}

/// Runs `synod attribution ...`.
pub async fn run_attribution(cli: &Cli, cmd: &AttributionCommand) -> anyhow::Result<()> {
    if let AttributionCommand::Compute {
        train,
        validation,
        k,
        out,
        model_dir,
    } = cmd
    {
        let model = embedder(model_dir)?;
        let ev = synod_embed::evidence::compute(&model, &read(train)?, &read(validation)?, *k)
            .context("computing attribution evidence")?;
        let bytes = ev.to_file_bytes();
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        let hash = Hash(evidence_hash(&bytes));
        let summary = serde_json::json!({
            "evidence": out, "evidence_hash": hash, "utility_full": ev.utility_full,
            "contributors": ev.contributors,
        });
        return emit(cli.json, &summary, || {
            let mut s = format!(
                "wrote {} (blake3 {hash})\nK-NN validation accuracy of the whole set: {:.4}",
                out.display(),
                ev.utility_full
            );
            for c in &ev.contributors {
                s.push_str(&format!(
                    "\n  {:<20} {:>5} points  value {:>9.5}  weight {:>7}",
                    c.contributor, c.points, c.value, c.weight
                ));
            }
            s
        });
    }
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let (from, call) = match cmd {
        AttributionCommand::Compute { .. } => unreachable!("answered above"),
        AttributionCommand::Show { commitment, asset } => {
            if let Some(a) = asset {
                let cv = c.contributions(*a).await.map_err(&e)?;
                return emit(cli.json, &cv, || match &cv {
                    None => format!("asset {a} has no contribution records"),
                    Some(cv) => {
                        let mut s = format!(
                            "asset {a}: commitment {}, evidence {}, since block {}",
                            cv.commitment, cv.evidence_hash, cv.since
                        );
                        for (who, w) in &cv.weights {
                            s.push_str(&format!("\n  {who} weight {w}"));
                        }
                        s
                    }
                });
            }
            let Some(id) = commitment else {
                bail!("give a commitment id or --asset");
            };
            let v = c
                .commitment(*id)
                .await
                .map_err(&e)?
                .with_context(|| format!("commitment {id} does not exist"))?;
            return emit(cli.json, &v, || commitment_text(&v));
        }
        AttributionCommand::Worker(WorkerCommand::List) => {
            let w = c.workers().await.map_err(&e)?;
            return emit(cli.json, &w, || {
                if w.is_empty() {
                    return "no workers".into();
                }
                w.iter()
                    .map(|x| {
                        format!(
                            "{}  bonded {}  open duties {}",
                            x.worker,
                            synod_primitives::token::DisplayAmount(x.bonded),
                            x.duties
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AttributionCommand::Verify {
            commitment,
            evidence,
            challenger_evidence,
            train,
            validation,
            tolerance,
            model_dir,
            vote,
        } => {
            let v = c
                .commitment(*commitment)
                .await
                .map_err(&e)?
                .with_context(|| format!("commitment {commitment} does not exist"))?;
            let Some(ch) = &v.challenger else {
                bail!("commitment {commitment} is not challenged");
            };
            let (original, oh) = load_evidence(evidence)?;
            let (other, chh) = load_evidence(challenger_evidence)?;
            if oh != v.committer.evidence_hash {
                bail!(
                    "{} is not the committed evidence (hash {oh}, chain has {})",
                    evidence.display(),
                    v.committer.evidence_hash
                );
            }
            if chh != ch.evidence_hash {
                bail!(
                    "{} is not the challenger's evidence (hash {chh}, chain has {})",
                    challenger_evidence.display(),
                    ch.evidence_hash
                );
            }
            let (train_bytes, validation_bytes) = (read(train)?, read(validation)?);
            if hex::encode(blake3::hash(&train_bytes).as_bytes()) != original.train_blake3
                || hex::encode(blake3::hash(&validation_bytes).as_bytes())
                    != original.validation_blake3
            {
                bail!("the data files are not the ones the committed evidence names");
            }
            let model = embedder(model_dir)?;
            let mine =
                synod_embed::evidence::compute(&model, &train_bytes, &validation_bytes, original.k)
                    .context("recomputing the evidence")?;
            // The evidence's weights must also be what went on chain.
            let on_chain_matches =
                |ev: &Evidence, values: &[ContributorValue]| -> anyhow::Result<bool> {
                    Ok(values_of(cli, ev)?
                        .iter()
                        .map(|x| (x.contributor, x.weight))
                        .eq(values.iter().map(|x| (x.contributor, x.weight))))
                };
            let original_ok = on_chain_matches(&original, &v.committer.values)?
                && mine.agrees_with(&original, *tolerance);
            let challenger_ok =
                on_chain_matches(&other, &ch.values)? && mine.agrees_with(&other, *tolerance);
            let verdict = match (original_ok, challenger_ok) {
                (true, false) => VerdictArg::Original,
                (false, true) => VerdictArg::Challenger,
                _ => VerdictArg::Neither,
            };
            let report = serde_json::json!({
                "commitment": commitment, "verdict": Verdict::from(verdict),
                "recomputed": mine.contributors,
            });
            match vote {
                None => {
                    return emit(cli.json, &report, || {
                        format!("recomputed commitment {commitment}: verdict {verdict:?}")
                    });
                }
                Some(juror) => {
                    if !cli.json {
                        println!("recomputed commitment {commitment}: verdict {verdict:?}");
                    }
                    (
                        juror,
                        AssetCall::Vote {
                            commitment: *commitment,
                            verdict: verdict.into(),
                        },
                    )
                }
            }
        }
        AttributionCommand::Commit {
            asset,
            from,
            evidence,
            evidence_uri,
            datasets,
            bond,
        } => {
            let (ev, hash) = load_evidence(evidence)?;
            let bond = match bond {
                Some(b) => syn(b)?,
                None => {
                    AttributionApiClient::params(&c)
                        .await
                        .map_err(&e)?
                        .min_commit_bond
                }
            };
            (
                from,
                AssetCall::Commit {
                    asset: *asset,
                    method: AttributionMethod::KnnShapley { k: ev.k },
                    datasets: datasets.clone(),
                    metric: ev.metric.clone(),
                    values: values_of(cli, &ev)?,
                    evidence_hash: hash,
                    evidence_uri: evidence_uri.clone(),
                    bond,
                },
            )
        }
        AttributionCommand::Challenge {
            commitment,
            from,
            evidence,
            evidence_uri,
            bond,
        } => {
            let (ev, hash) = load_evidence(evidence)?;
            let bond = match bond {
                Some(b) => syn(b)?,
                None => {
                    AttributionApiClient::params(&c)
                        .await
                        .map_err(&e)?
                        .min_challenge_bond
                }
            };
            (
                from,
                AssetCall::Challenge {
                    commitment: *commitment,
                    values: values_of(cli, &ev)?,
                    evidence_hash: hash,
                    evidence_uri: evidence_uri.clone(),
                    bond,
                },
            )
        }
        AttributionCommand::Vote {
            commitment,
            from,
            verdict,
        } => (
            from,
            AssetCall::Vote {
                commitment: *commitment,
                verdict: (*verdict).into(),
            },
        ),
        AttributionCommand::Worker(WorkerCommand::Bond { from, amount }) => (
            from,
            AssetCall::WorkerBond {
                amount: syn(amount)?,
            },
        ),
        AttributionCommand::Worker(WorkerCommand::Unbond { from, amount }) => (
            from,
            AssetCall::WorkerUnbond {
                amount: syn(amount)?,
            },
        ),
    };
    submit(cli, &c, from, call).await
}
