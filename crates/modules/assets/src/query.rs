//! Read views over committed state (what the RPC serves). Views may scan prefixes; execution
//! never does.

use std::collections::{BTreeSet, VecDeque};

use crate::state::{self, AssetRecord, CommitmentRecord, Stage};
use crate::wire::{
    Amount, AssetId, AssetKind, AttributionMethod, CommitmentId, ContributorValue, Credit,
    Currency, LicenceKind, OfferId, Relation, Resolution, Verdict,
};
use crate::{AssetsGenesis, vault_account};
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::typed::StateError;
use synod_storage::{Snapshot, StateRead};

/// Most entries a scanning view returns.
pub const MAX_SCAN: usize = 256;
/// Most assets one page of [`list`] holds.
pub const MAX_PAGE: u32 = 100;
/// Deepest lineage walk a view makes.
pub const MAX_DEPTH: u32 = 64;
/// Most nodes a lineage view returns.
pub const MAX_LINEAGE_NODES: usize = 1024;

/// A lineage edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EdgeView {
    /// The upstream asset.
    pub parent: AssetId,
    /// The relation.
    pub relation: Relation,
    /// Its share of payments to the child, in basis points.
    pub share_bp: u16,
    /// The licence offer of the parent it was made under.
    pub licence: Option<OfferId>,
    /// Height added.
    pub at: u64,
}

/// An asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetView {
    /// Id.
    pub asset: AssetId,
    /// Kind.
    pub kind: AssetKind,
    /// Owner.
    pub owner: AccountId,
    /// Name.
    pub name: String,
    /// Metadata URI.
    pub metadata_uri: String,
    /// Metadata hash.
    pub metadata_hash: Hash,
    /// Registration height.
    pub registered_at: u64,
    /// Number of versions.
    pub versions: u32,
    /// Licence offers made.
    pub offers: u32,
    /// Parent edges.
    pub parents: Vec<EdgeView>,
    /// The commitment in progress.
    pub pending_commitment: Option<CommitmentId>,
    /// The vault's account.
    pub vault: AccountId,
}

fn asset_view(id: AssetId, a: &AssetRecord) -> AssetView {
    AssetView {
        asset: id,
        kind: a.kind,
        owner: a.owner,
        name: a.name.clone(),
        metadata_uri: a.metadata_uri.clone(),
        metadata_hash: a.metadata_hash,
        registered_at: a.registered_at,
        versions: a.versions,
        offers: a.offers,
        parents: a
            .parents
            .iter()
            .map(|e| EdgeView {
                parent: e.parent,
                relation: e.relation,
                share_bp: e.share_bp,
                licence: e.licence,
                at: e.at,
            })
            .collect(),
        pending_commitment: a.pending,
        vault: vault_account(id),
    }
}

/// An asset by id.
pub fn asset(s: &(impl StateRead + ?Sized), id: AssetId) -> Result<Option<AssetView>, StateError> {
    Ok(state::asset(s, id)?.map(|a| asset_view(id, &a)))
}

/// A page of assets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetPage {
    /// The assets.
    pub assets: Vec<AssetView>,
    /// Pass as `after` for the next page (`None`: no more).
    pub next_after: Option<AssetId>,
}

/// Up to `limit` assets with ids after `after`, in id order (ids are dense, never deleted).
pub fn list(
    s: &(impl StateRead + ?Sized),
    after: Option<AssetId>,
    limit: u32,
) -> Result<AssetPage, StateError> {
    let end: u64 = synod_storage::typed::get(s, state::NEXT_ASSET_KEY)?.unwrap_or(1);
    let first = after.unwrap_or(0).saturating_add(1).max(1);
    let stop = first
        .saturating_add(u64::from(limit.clamp(1, MAX_PAGE)))
        .min(end);
    let mut assets = Vec::new();
    for id in first..stop {
        if let Some(v) = asset(s, id)? {
            assets.push(v);
        }
    }
    Ok(AssetPage {
        assets,
        next_after: (stop < end).then(|| stop.saturating_sub(1)),
    })
}

fn be_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn corrupt(key: &[u8]) -> StateError {
    StateError::Corrupt {
        key: key.iter().map(|b| format!("{b:02x}")).collect(),
        reason: "malformed index key".into(),
    }
}

/// The assets `owner` owns (at most [`MAX_SCAN`]).
pub fn by_owner(s: &Snapshot, owner: &AccountId) -> Result<Vec<AssetView>, StateError> {
    let mut prefix = state::OWNER_PREFIX.to_vec();
    prefix.extend_from_slice(&owner.0);
    let mut out = Vec::new();
    for (key, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
        let id = key
            .get(prefix.len()..)
            .and_then(be_u64)
            .ok_or_else(|| corrupt(&key))?;
        if let Some(v) = asset(s, id)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// One version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionView {
    /// Its number (from 1).
    pub version: u32,
    /// Content hash.
    pub content_hash: Hash,
    /// Location.
    pub uri: String,
    /// Height added.
    pub at: u64,
}

/// The versions of an asset (the newest [`MAX_SCAN`]).
pub fn versions(
    s: &(impl StateRead + ?Sized),
    asset: AssetId,
) -> Result<Option<Vec<VersionView>>, StateError> {
    let Some(a) = state::asset(s, asset)? else {
        return Ok(None);
    };
    let first = a.versions.saturating_sub(MAX_SCAN as u32 - 1).max(1);
    let mut out = Vec::new();
    for v in first..=a.versions {
        if let Some(r) = state::version(s, asset, v)? {
            out.push(VersionView {
                version: v,
                content_hash: r.content_hash,
                uri: r.uri,
                at: r.at,
            });
        }
    }
    Ok(Some(out))
}

/// An asset met in a lineage walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LineageNode {
    /// The asset.
    pub asset: AssetId,
    /// Its kind.
    pub kind: AssetKind,
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner: AccountId,
    /// Fewest edges from the start.
    pub depth: u32,
    /// Its edges toward the start's side: for ancestors, its parent edges; for descendants,
    /// the edges from it to its parents that lie in the walk.
    pub edges: Vec<EdgeView>,
}

/// The result of a lineage walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LineageView {
    /// Where the walk started.
    pub asset: AssetId,
    /// Every asset reached, breadth first (the start not included).
    pub nodes: Vec<LineageNode>,
    /// Whether the walk stopped at the depth limit or [`MAX_LINEAGE_NODES`] with more beyond.
    pub truncated: bool,
}

/// Ancestors of `asset` up to `depth` edges (at most [`MAX_DEPTH`]).
pub fn ancestors(
    s: &(impl StateRead + ?Sized),
    asset: AssetId,
    depth: u32,
) -> Result<Option<LineageView>, StateError> {
    let Some(root) = state::asset(s, asset)? else {
        return Ok(None);
    };
    let depth = depth.min(MAX_DEPTH);
    let mut seen = BTreeSet::from([asset]);
    let mut queue: VecDeque<(AssetId, u32)> = root.parents.iter().map(|e| (e.parent, 1)).collect();
    let mut nodes = Vec::new();
    let mut truncated = false;
    while let Some((id, d)) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if d > depth || nodes.len() >= MAX_LINEAGE_NODES {
            truncated = true;
            continue;
        }
        let Some(a) = state::asset(s, id)? else {
            continue;
        };
        let v = asset_view(id, &a);
        queue.extend(a.parents.iter().map(|e| (e.parent, d + 1)));
        nodes.push(LineageNode {
            asset: id,
            kind: a.kind,
            name: a.name,
            owner: a.owner,
            depth: d,
            edges: v.parents,
        });
    }
    Ok(Some(LineageView {
        asset,
        nodes,
        truncated,
    }))
}

/// Descendants of `asset` up to `depth` edges (at most [`MAX_DEPTH`]).
pub fn descendants(
    s: &Snapshot,
    asset: AssetId,
    depth: u32,
) -> Result<Option<LineageView>, StateError> {
    if state::asset(s, asset)?.is_none() {
        return Ok(None);
    }
    let depth = depth.min(MAX_DEPTH);
    let mut seen = BTreeSet::from([asset]);
    let mut queue = VecDeque::from([(asset, 0u32)]);
    let mut nodes = Vec::new();
    let mut truncated = false;
    while let Some((id, d)) = queue.pop_front() {
        let prefix = state::child_key(id, 0);
        let prefix = &prefix[..prefix.len() - 8];
        for (key, _) in s.scan_prefix(prefix, MAX_SCAN)? {
            let child = key
                .get(prefix.len()..)
                .and_then(be_u64)
                .ok_or_else(|| corrupt(&key))?;
            if !seen.insert(child) {
                continue;
            }
            if d + 1 > depth || nodes.len() >= MAX_LINEAGE_NODES {
                truncated = true;
                continue;
            }
            let Some(a) = state::asset(s, child)? else {
                continue;
            };
            let v = asset_view(child, &a);
            nodes.push(LineageNode {
                asset: child,
                kind: a.kind,
                name: a.name,
                owner: a.owner,
                depth: d + 1,
                edges: v.parents,
            });
            queue.push_back((child, d + 1));
        }
    }
    Ok(Some(LineageView {
        asset,
        nodes,
        truncated,
    }))
}

/// A licence offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OfferView {
    /// The asset.
    pub asset: AssetId,
    /// The offer id.
    pub offer: OfferId,
    /// Terms.
    pub kind: LicenceKind,
    /// Price currency.
    pub currency: Currency,
    /// Price.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub price: Amount,
    /// Upstream share of derivatives made under it.
    pub upstream_share_bp: u16,
    /// Blocks it lasts (0: for ever).
    pub duration_blocks: u64,
    /// Still for sale.
    pub active: bool,
}

/// The licence offers of an asset.
pub fn offers(
    s: &(impl StateRead + ?Sized),
    asset: AssetId,
) -> Result<Option<Vec<OfferView>>, StateError> {
    let Some(a) = state::asset(s, asset)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for offer in 1..=a.offers.min(MAX_SCAN as u32) {
        if let Some(o) = state::offer(s, asset, offer)? {
            out.push(OfferView {
                asset,
                offer,
                kind: o.kind,
                currency: o.currency,
                price: o.price,
                upstream_share_bp: o.upstream_share_bp,
                duration_blocks: o.duration_blocks,
                active: o.active,
            });
        }
    }
    Ok(Some(out))
}

/// A licence an account holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LicenceView {
    /// The asset.
    pub asset: AssetId,
    /// The offer bought.
    pub offer: OfferId,
    /// Terms.
    pub kind: LicenceKind,
    /// Upstream share.
    pub upstream_share_bp: u16,
    /// First height it no longer holds at.
    pub expires_at: Option<u64>,
    /// Height of the latest purchase.
    pub bought_at: u64,
    /// Whether it holds in the next block.
    pub valid: bool,
}

/// The licences `holder` holds (at most [`MAX_SCAN`]).
pub fn licences(
    s: &Snapshot,
    holder: &AccountId,
    height: u64,
) -> Result<Vec<LicenceView>, StateError> {
    let mut prefix = state::HELD_PREFIX.to_vec();
    prefix.extend_from_slice(&holder.0);
    let mut out = Vec::new();
    for (key, value) in s.scan_prefix(&prefix, MAX_SCAN)? {
        let rest = key.get(prefix.len()..).ok_or_else(|| corrupt(&key))?;
        let (asset, offer) = match (
            rest.get(..8).and_then(be_u64),
            rest.get(8..).and_then(be_u32),
        ) {
            (Some(a), Some(o)) => (a, o),
            _ => return Err(corrupt(&key)),
        };
        let l: state::HeldLicence = borsh::from_slice(&value).map_err(|_| corrupt(&key))?;
        out.push(LicenceView {
            asset,
            offer,
            kind: l.kind,
            upstream_share_bp: l.upstream_share_bp,
            expires_at: l.expires_at,
            bought_at: l.bought_at,
            valid: l.valid_at(height + 1),
        });
    }
    Ok(out)
}

/// A claimable balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimView {
    /// The vault's asset.
    pub asset: AssetId,
    /// Currency.
    pub currency: Currency,
    /// Amount.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
}

fn currency_from(b: &[u8]) -> Option<Currency> {
    match b.first()? {
        0 => Some(Currency::Syn),
        1 => Some(Currency::Token(be_u64(b.get(1..9)?)?)),
        _ => None,
    }
}

/// What `account` may claim, vault by vault (at most [`MAX_SCAN`]).
pub fn claimable(s: &Snapshot, account: &AccountId) -> Result<Vec<ClaimView>, StateError> {
    let mut prefix = state::CLAIM_PREFIX.to_vec();
    prefix.extend_from_slice(&account.0);
    let mut out = Vec::new();
    for (key, value) in s.scan_prefix(&prefix, MAX_SCAN)? {
        let rest = key.get(prefix.len()..).ok_or_else(|| corrupt(&key))?;
        let asset = rest
            .get(..8)
            .and_then(be_u64)
            .ok_or_else(|| corrupt(&key))?;
        let currency = rest
            .get(8..)
            .and_then(currency_from)
            .ok_or_else(|| corrupt(&key))?;
        let amount: Amount = borsh::from_slice(&value).map_err(|_| corrupt(&key))?;
        out.push(ClaimView {
            asset,
            currency,
            amount,
        });
    }
    Ok(out)
}

/// An asset's vault in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VaultView {
    /// The asset.
    pub asset: AssetId,
    /// The vault's account.
    pub account: AccountId,
    /// Currency.
    pub currency: Currency,
    /// What the vault holds (the sum of its beneficiaries' unclaimed balances).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub balance: Amount,
}

/// The balance of `asset`'s vault.
pub fn vault(
    s: &(impl StateRead + ?Sized),
    asset: AssetId,
    currency: Currency,
) -> Result<Option<VaultView>, StateError> {
    if state::asset(s, asset)?.is_none() {
        return Ok(None);
    }
    let account = vault_account(asset);
    let balance = match currency {
        Currency::Syn => u128::from(synod_bank::account(s, &account)?.balance),
        Currency::Token(t) => synod_tokens::balance_of(s, t, &account)?,
    };
    Ok(Some(VaultView {
        asset,
        account,
        currency,
        balance,
    }))
}

/// What a payment would do now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SplitPreview {
    /// Every beneficiary credited, in (asset, account) order.
    pub credits: Vec<Credit>,
    /// Assets in the lineage (the paid one included).
    pub assets: u32,
    /// The work it takes (`assets` + credits): the least `work_bound` that pays it now.
    pub work: u32,
}

/// What a payment of `amount` to `asset` would credit now.
pub fn split_preview(
    s: &(impl StateRead + ?Sized),
    g: &AssetsGenesis,
    asset: AssetId,
    amount: Amount,
) -> Result<Result<SplitPreview, String>, StateError> {
    let (lineage, owners) = match crate::vault::load_lineage(s, asset, g.max_ancestors) {
        Ok(x) => x,
        Err(synod_module::CallError::State(e)) => return Err(e),
        Err(synod_module::CallError::Failed(f)) => return Ok(Err(f.to_string())),
    };
    let split = match lineage.split(&asset, amount) {
        Ok(x) => x,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let credits = match crate::vault::credits_of(&split, &owners) {
        Ok(c) => c,
        Err(synod_module::CallError::State(e)) => return Err(e),
        Err(synod_module::CallError::Failed(f)) => return Ok(Err(f.to_string())),
    };
    let assets = owners.len() as u32;
    let credits: Vec<Credit> = credits
        .into_iter()
        .map(|((asset, account), amount)| Credit {
            asset,
            account,
            amount,
        })
        .collect();
    Ok(Ok(SplitPreview {
        work: assets + credits.len() as u32,
        assets,
        credits,
    }))
}

/// An asset's contribution records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContributionsView {
    /// The asset.
    pub asset: AssetId,
    /// The commitment they came from.
    pub commitment: CommitmentId,
    /// Its evidence hash.
    pub evidence_hash: Hash,
    /// `(contributor, weight)`, weights summing to 1,000,000.
    pub weights: Vec<(AccountId, u64)>,
    /// Height they took effect.
    pub since: u64,
}

/// The contribution records of `asset` (`None` if it has none).
pub fn contributions(
    s: &(impl StateRead + ?Sized),
    asset: AssetId,
) -> Result<Option<ContributionsView>, StateError> {
    Ok(state::contributions(s, asset)?.map(|c| ContributionsView {
        asset,
        commitment: c.commitment,
        evidence_hash: c.evidence_hash,
        weights: c.weights,
        since: c.since,
    }))
}

/// One side of a commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimantView {
    /// Who.
    pub account: AccountId,
    /// Result.
    pub values: Vec<ContributorValue>,
    /// Evidence hash.
    pub evidence_hash: Hash,
    /// Evidence location.
    pub evidence_uri: String,
    /// SYN bonded.
    pub bond: Balance,
}

/// A juror and its vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JurorView {
    /// The juror.
    pub juror: AccountId,
    /// Its vote, if cast.
    pub verdict: Option<Verdict>,
}

/// A commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommitmentView {
    /// Id.
    pub commitment: CommitmentId,
    /// Asset.
    pub asset: AssetId,
    /// Method.
    pub method: AttributionMethod,
    /// Valued datasets.
    pub datasets: Vec<AssetId>,
    /// Metric.
    pub metric: String,
    /// The committed side.
    pub committer: ClaimantView,
    /// The challenger, if any.
    pub challenger: Option<ClaimantView>,
    /// Height committed.
    pub committed_at: u64,
    /// First height it can no longer be challenged at.
    pub challenge_ends: u64,
    /// `open`, `awaiting_draw`, `voting` or `resolved`.
    pub stage: String,
    /// Draw height while awaiting the draw.
    pub draw_at: Option<u64>,
    /// First height votes are refused at, while voting.
    pub vote_ends: Option<u64>,
    /// Jurors and their votes.
    pub jurors: Vec<JurorView>,
    /// The outcome, once resolved.
    pub resolution: Option<Resolution>,
    /// Height resolved.
    pub resolved_at: Option<u64>,
}

fn claimant_view(c: &state::Claimant) -> ClaimantView {
    ClaimantView {
        account: c.account,
        values: c.values.clone(),
        evidence_hash: c.evidence_hash,
        evidence_uri: c.evidence_uri.clone(),
        bond: c.bond,
    }
}

fn commitment_view(id: CommitmentId, c: &CommitmentRecord) -> CommitmentView {
    let jurors_of = |j: &[(AccountId, Option<Verdict>)]| {
        j.iter()
            .map(|(juror, verdict)| JurorView {
                juror: *juror,
                verdict: *verdict,
            })
            .collect()
    };
    let (stage, draw_at, vote_ends, jurors, resolution, resolved_at) = match &c.stage {
        Stage::Open => ("open", None, None, Vec::new(), None, None),
        Stage::AwaitingDraw { draw_at } => (
            "awaiting_draw",
            Some(*draw_at),
            None,
            Vec::new(),
            None,
            None,
        ),
        Stage::Voting { jurors, vote_ends } => (
            "voting",
            None,
            Some(*vote_ends),
            jurors_of(jurors),
            None,
            None,
        ),
        Stage::Resolved {
            resolution,
            at,
            jurors,
        } => (
            "resolved",
            None,
            None,
            jurors_of(jurors),
            Some(*resolution),
            Some(*at),
        ),
    };
    CommitmentView {
        commitment: id,
        asset: c.asset,
        method: c.method,
        datasets: c.datasets.clone(),
        metric: c.metric.clone(),
        committer: claimant_view(&c.committer),
        challenger: c.challenger.as_ref().map(claimant_view),
        committed_at: c.committed_at,
        challenge_ends: c.challenge_ends,
        stage: stage.into(),
        draw_at,
        vote_ends,
        jurors,
        resolution,
        resolved_at,
    }
}

/// A commitment by id.
pub fn commitment(
    s: &(impl StateRead + ?Sized),
    id: CommitmentId,
) -> Result<Option<CommitmentView>, StateError> {
    Ok(state::commitment(s, id)?.map(|c| commitment_view(id, &c)))
}

/// A bonded worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkerView {
    /// Account.
    pub worker: AccountId,
    /// SYN bonded.
    pub bonded: Balance,
    /// Open challenges it is a juror of.
    pub duties: u32,
}

/// The worker registry.
pub fn workers(s: &(impl StateRead + ?Sized)) -> Result<Vec<WorkerView>, StateError> {
    Ok(state::workers(s)?
        .into_iter()
        .map(|w| WorkerView {
            worker: w.account,
            bonded: w.bonded,
            duties: w.duties,
        })
        .collect())
}
