//! Stored records and their keys. Every key starts with `assets/`; ids are big-endian so keys
//! sort numerically. Execution reads single keys only; the index prefixes (`own/`, `child/`,
//! `held/`, `claim/`) exist for the read views, which scan them on committed state.

use crate::wire::{
    Amount, AssetId, AssetKind, AttributionMethod, CommitmentId, ContributorValue, Currency,
    LicenceKind, OfferId, Relation, Resolution, Verdict,
};
use borsh::{BorshDeserialize, BorshSerialize};
use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// Key of the id the next asset gets (absent: 1).
pub const NEXT_ASSET_KEY: &[u8] = b"assets/next_asset";
/// Key of the id the next commitment gets (absent: 1).
pub const NEXT_COMMITMENT_KEY: &[u8] = b"assets/next_commitment";
/// Key of the worker registry.
pub const WORKERS_KEY: &[u8] = b"assets/workers";
/// Prefix of asset records.
pub const ASSET_PREFIX: &[u8] = b"assets/a/";
/// Prefix of versions.
pub const VERSION_PREFIX: &[u8] = b"assets/v/";
/// Prefix of the owner index.
pub const OWNER_PREFIX: &[u8] = b"assets/own/";
/// Prefix of the children index.
pub const CHILD_PREFIX: &[u8] = b"assets/child/";
/// Prefix of licence offers.
pub const OFFER_PREFIX: &[u8] = b"assets/offer/";
/// Prefix of held licences.
pub const HELD_PREFIX: &[u8] = b"assets/held/";
/// Prefix of contribution records.
pub const CONTRIB_PREFIX: &[u8] = b"assets/contrib/";
/// Prefix of claimable balances.
pub const CLAIM_PREFIX: &[u8] = b"assets/claim/";
/// Prefix of commitments.
pub const COMMITMENT_PREFIX: &[u8] = b"assets/commit/";
/// Prefix of the deadline index (height → commitments due then).
pub const DUE_PREFIX: &[u8] = b"assets/due/";

/// A lineage edge as stored on the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Edge {
    /// The parent.
    pub parent: AssetId,
    /// The relation.
    pub relation: Relation,
    /// The parent's share of payments to the child.
    pub share_bp: u16,
    /// The licence it was made under (`None`: the child's owner owned the parent).
    pub licence: Option<OfferId>,
    /// Height it was added at.
    pub at: u64,
}

/// Everything the chain keeps about an asset besides versions, offers and contributions.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AssetRecord {
    /// What it is.
    pub kind: AssetKind,
    /// Its owner (receives the owner's part of every payment).
    pub owner: AccountId,
    /// Its name.
    pub name: String,
    /// Metadata location.
    pub metadata_uri: String,
    /// Metadata hash.
    pub metadata_hash: Hash,
    /// Registration height.
    pub registered_at: u64,
    /// Number of versions (≥ 1).
    pub versions: u32,
    /// Number of licence offers ever made (the next offer id is this + 1).
    pub offers: u32,
    /// Parent edges, in the order added.
    pub parents: Vec<Edge>,
    /// The commitment in progress (committed, not yet resolved), if any.
    pub pending: Option<CommitmentId>,
}

/// One version of an asset.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VersionRecord {
    /// Content hash.
    pub content_hash: Hash,
    /// Location.
    pub uri: String,
    /// Height added.
    pub at: u64,
}

/// A licence offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OfferRecord {
    /// Terms.
    pub kind: LicenceKind,
    /// Price currency.
    pub currency: Currency,
    /// Price.
    pub price: Amount,
    /// Upstream share of derivatives registered under it.
    pub upstream_share_bp: u16,
    /// Blocks it lasts (0: for ever).
    pub duration_blocks: u64,
    /// Still for sale.
    pub active: bool,
}

/// A licence held by an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HeldLicence {
    /// Terms (copied from the offer at purchase).
    pub kind: LicenceKind,
    /// Upstream share (copied from the offer at purchase).
    pub upstream_share_bp: u16,
    /// First height it no longer holds at (`None`: never).
    pub expires_at: Option<u64>,
    /// Height bought (the latest purchase).
    pub bought_at: u64,
}

impl HeldLicence {
    /// Whether it holds at `height`.
    pub fn valid_at(&self, height: u64) -> bool {
        self.expires_at.is_none_or(|e| height < e)
    }
}

/// The contribution records of an asset: soulbound, replaced only by a commitment's result.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Contributions {
    /// The commitment whose result they are.
    pub commitment: CommitmentId,
    /// blake3 of the evidence behind them.
    pub evidence_hash: Hash,
    /// `(contributor, weight)` in account order; weights sum to 1,000,000.
    pub weights: Vec<(AccountId, u64)>,
    /// Height they took effect.
    pub since: u64,
}

/// One side of an attribution: a result with its evidence and bond.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Claimant {
    /// Who posted it.
    pub account: AccountId,
    /// The result.
    pub values: Vec<ContributorValue>,
    /// blake3 of the evidence file.
    pub evidence_hash: Hash,
    /// Where the evidence is.
    pub evidence_uri: String,
    /// SYN bonded.
    pub bond: Balance,
}

/// Where a commitment stands.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Stage {
    /// In its challenge window.
    Open,
    /// Challenged; jurors are drawn at `draw_at`.
    AwaitingDraw {
        /// Draw height.
        draw_at: u64,
    },
    /// Jurors drawn, votes accepted before `vote_ends`.
    Voting {
        /// `(juror, vote)` in draw order.
        jurors: Vec<(AccountId, Option<Verdict>)>,
        /// First height votes are refused at.
        vote_ends: u64,
    },
    /// Done.
    Resolved {
        /// How.
        resolution: Resolution,
        /// When.
        at: u64,
        /// The votes cast, if a jury sat.
        jurors: Vec<(AccountId, Option<Verdict>)>,
    },
}

/// An attribution commitment and its challenge, kept with its outcome.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommitmentRecord {
    /// The asset.
    pub asset: AssetId,
    /// Method.
    pub method: AttributionMethod,
    /// Valued datasets.
    pub datasets: Vec<AssetId>,
    /// Utility metric.
    pub metric: String,
    /// The committed side.
    pub committer: Claimant,
    /// The challenging side, if any.
    pub challenger: Option<Claimant>,
    /// Height committed.
    pub committed_at: u64,
    /// First height it can no longer be challenged at.
    pub challenge_ends: u64,
    /// Where it stands.
    pub stage: Stage,
}

/// A bonded worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Worker {
    /// Its account.
    pub account: AccountId,
    /// SYN bonded.
    pub bonded: Balance,
    /// Open challenges it is a juror of.
    pub duties: u32,
}

fn id_key(prefix: &[u8], id: u64) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Key of an asset record.
pub fn asset_key(asset: AssetId) -> Vec<u8> {
    id_key(ASSET_PREFIX, asset)
}

/// Key of a version (1-based).
pub fn version_key(asset: AssetId, version: u32) -> Vec<u8> {
    let mut k = id_key(VERSION_PREFIX, asset);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// Key of the owner index entry.
pub fn owner_key(owner: &AccountId, asset: AssetId) -> Vec<u8> {
    let mut k = OWNER_PREFIX.to_vec();
    k.extend_from_slice(&owner.0);
    k.extend_from_slice(&asset.to_be_bytes());
    k
}

/// Key of the children index entry.
pub fn child_key(parent: AssetId, child: AssetId) -> Vec<u8> {
    let mut k = id_key(CHILD_PREFIX, parent);
    k.extend_from_slice(&child.to_be_bytes());
    k
}

/// Key of an offer.
pub fn offer_key(asset: AssetId, offer: OfferId) -> Vec<u8> {
    let mut k = id_key(OFFER_PREFIX, asset);
    k.extend_from_slice(&offer.to_be_bytes());
    k
}

/// Key of a held licence: by holder first, so a holder's licences are one prefix.
pub fn held_key(holder: &AccountId, asset: AssetId, offer: OfferId) -> Vec<u8> {
    let mut k = HELD_PREFIX.to_vec();
    k.extend_from_slice(&holder.0);
    k.extend_from_slice(&asset.to_be_bytes());
    k.extend_from_slice(&offer.to_be_bytes());
    k
}

/// Key of an asset's contribution records.
pub fn contrib_key(asset: AssetId) -> Vec<u8> {
    id_key(CONTRIB_PREFIX, asset)
}

/// The fixed 9-byte key form of a currency.
pub fn currency_bytes(c: Currency) -> [u8; 9] {
    let mut b = [0u8; 9];
    if let Currency::Token(t) = c {
        b[0] = 1;
        b[1..].copy_from_slice(&t.to_be_bytes());
    }
    b
}

/// Key of a claimable balance: by account first, so an account's balances are one prefix.
pub fn claim_key(account: &AccountId, asset: AssetId, currency: Currency) -> Vec<u8> {
    let mut k = CLAIM_PREFIX.to_vec();
    k.extend_from_slice(&account.0);
    k.extend_from_slice(&asset.to_be_bytes());
    k.extend_from_slice(&currency_bytes(currency));
    k
}

/// Key of a commitment.
pub fn commitment_key(id: CommitmentId) -> Vec<u8> {
    id_key(COMMITMENT_PREFIX, id)
}

/// Key of the commitments due at `height`.
pub fn due_key(height: u64) -> Vec<u8> {
    id_key(DUE_PREFIX, height)
}

/// An asset record.
pub fn asset<R: StateRead + ?Sized>(s: &R, id: AssetId) -> Result<Option<AssetRecord>, StateError> {
    typed::get(s, &asset_key(id))
}

/// Writes an asset record.
pub fn put_asset<R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, id: AssetId, a: &AssetRecord) {
    typed::put(s, asset_key(id), a);
}

/// A version.
pub fn version<R: StateRead + ?Sized>(
    s: &R,
    asset: AssetId,
    v: u32,
) -> Result<Option<VersionRecord>, StateError> {
    typed::get(s, &version_key(asset, v))
}

/// An offer.
pub fn offer<R: StateRead + ?Sized>(
    s: &R,
    asset: AssetId,
    offer: OfferId,
) -> Result<Option<OfferRecord>, StateError> {
    typed::get(s, &offer_key(asset, offer))
}

/// A held licence.
pub fn held<R: StateRead + ?Sized>(
    s: &R,
    holder: &AccountId,
    asset: AssetId,
    offer: OfferId,
) -> Result<Option<HeldLicence>, StateError> {
    typed::get(s, &held_key(holder, asset, offer))
}

/// An asset's contribution records.
pub fn contributions<R: StateRead + ?Sized>(
    s: &R,
    asset: AssetId,
) -> Result<Option<Contributions>, StateError> {
    typed::get(s, &contrib_key(asset))
}

/// A claimable balance (absent: 0).
pub fn claimable<R: StateRead + ?Sized>(
    s: &R,
    account: &AccountId,
    asset: AssetId,
    currency: Currency,
) -> Result<Amount, StateError> {
    Ok(typed::get(s, &claim_key(account, asset, currency))?.unwrap_or(0))
}

/// Writes a claimable balance (0 deletes it).
pub fn set_claimable<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    account: &AccountId,
    asset: AssetId,
    currency: Currency,
    amount: Amount,
) {
    let key = claim_key(account, asset, currency);
    if amount == 0 {
        s.delete(key);
    } else {
        typed::put(s, key, &amount);
    }
}

/// A commitment.
pub fn commitment<R: StateRead + ?Sized>(
    s: &R,
    id: CommitmentId,
) -> Result<Option<CommitmentRecord>, StateError> {
    typed::get(s, &commitment_key(id))
}

/// Writes a commitment.
pub fn put_commitment<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    id: CommitmentId,
    c: &CommitmentRecord,
) {
    typed::put(s, commitment_key(id), c);
}

/// The worker registry, in account order.
pub fn workers<R: StateRead + ?Sized>(s: &R) -> Result<Vec<Worker>, StateError> {
    Ok(typed::get(s, WORKERS_KEY)?.unwrap_or_default())
}

/// Commitments with a deadline at `height`.
pub fn due<R: StateRead + ?Sized>(s: &R, height: u64) -> Result<Vec<CommitmentId>, StateError> {
    Ok(typed::get(s, &due_key(height))?.unwrap_or_default())
}

/// Schedules `id` for the end of block `height`.
pub fn schedule<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    id: CommitmentId,
) -> Result<(), StateError> {
    let mut list = due(s, height)?;
    list.push(id);
    typed::put(s, due_key(height), &list);
    Ok(())
}

/// Takes the next id from a counter key (absent: 1).
pub fn next_id<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    key: &[u8],
) -> Result<Option<u64>, StateError> {
    let id: u64 = typed::get(s, key)?.unwrap_or(1);
    let Some(next) = id.checked_add(1) else {
        return Ok(None);
    };
    typed::put(s, key.to_vec(), &next);
    Ok(Some(id))
}
