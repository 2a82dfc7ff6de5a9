//! The module's on-chain encodings: calls, events, failures and the value types they carry.
//! Variants and fields are appended, never reordered: they are borsh-encoded in blocks and
//! receipts. `tests/golden.rs` pins one value of each.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Balance, Hash};
use synod_tokens::TokenId;

/// An asset's id: sequential from 1 in registration order, never reused.
pub type AssetId = u64;
/// A licence offer's id, sequential from 1 within its asset.
pub type OfferId = u32;
/// An attribution commitment's id: sequential from 1 across the chain.
pub type CommitmentId = u64;
/// An amount in a [`Currency`]'s base units (SYN amounts must also fit a `u64`).
pub type Amount = u128;

/// Longest asset name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 64;
/// Longest URI (metadata, version, evidence), in bytes.
pub const MAX_URI_LEN: usize = 256;
/// Longest utility-metric name, in bytes.
pub const MAX_METRIC_LEN: usize = 64;
/// Most parent edges one asset may have.
pub const MAX_PARENTS: usize = 32;
/// Most contributors one attribution may weigh.
pub const MAX_CONTRIBUTORS: usize = 256;
/// Most valued datasets one commitment may name.
pub const MAX_DATASETS: usize = 32;
/// Most assets paid in one `Pay` call.
pub const MAX_PAY_ITEMS: usize = 64;
/// Most versions of one asset.
pub const MAX_VERSIONS: u32 = 10_000;
/// Largest work bound of one payment (assets walked plus beneficiaries credited).
pub const MAX_WORK_BOUND: u32 = 65_536;
/// Weight per unit of a payment's work bound: a unit (one asset read and split, or one
/// claimable balance written) measured at 0.3–1.4 µs in `benches/vault.rs`, against about
/// 10 ns per weight unit for a transfer.
pub const WEIGHT_PER_WORK_UNIT: u64 = 200;

/// What an asset is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// A dataset (possibly a data pool's).
    Dataset,
    /// A trained model.
    Model,
    /// An agent.
    Agent,
    /// A data or training pipeline.
    Pipeline,
    /// A hosted service.
    Service,
}

/// How a child asset depends on a parent (a lineage edge).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The child (a model) was trained on the parent (a dataset).
    TrainedOn,
    /// The child was fine-tuned from the parent model.
    FinetunedFrom,
    /// The child was derived from the parent in another way.
    DerivedFrom,
    /// The child uses the parent at run time (an agent using a model).
    Uses,
}

impl Relation {
    /// Whether the child is a derivative work of the parent (needs an open or remix licence);
    /// `Uses` is commercial use instead (open, commercial or remix).
    pub fn is_derivative(self) -> bool {
        !matches!(self, Relation::Uses)
    }
}

/// The terms of a licence.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LicenceKind {
    /// Any use, including derivatives and commercial use.
    Open,
    /// Use without commercial use or derivatives.
    NonCommercial,
    /// Commercial use, no derivatives.
    Commercial,
    /// Commercial use and derivatives (remixes, fine-tunes).
    CommercialRemix,
}

impl LicenceKind {
    /// May the holder register a derivative edge (trained on, fine-tuned from, derived from)?
    pub fn allows_derivatives(self) -> bool {
        matches!(self, LicenceKind::Open | LicenceKind::CommercialRemix)
    }

    /// May the holder use the asset commercially (a paid call, a `Uses` edge)?
    pub fn allows_commercial_use(self) -> bool {
        !matches!(self, LicenceKind::NonCommercial)
    }
}

/// What a payment or price is denominated in.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Currency {
    /// The native token, moved by the bank.
    Syn,
    /// A token of the tokens module.
    Token(TokenId),
}

/// How an attribution's contributor values were computed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum AttributionMethod {
    /// Exact KNN-Shapley (Jia et al., VLDB 2019) of a K-nearest-neighbour classifier's
    /// validation accuracy, summed per contributor. Recomputable, so challengeable.
    KnnShapley {
        /// `K` of the classifier.
        k: u32,
    },
    /// Truncated Monte-Carlo (permutation) Shapley of any utility, seeded. Recomputable.
    MonteCarloShapley {
        /// Permutations sampled.
        permutations: u32,
        /// The sampler's seed.
        seed: u64,
    },
    /// Weights declared by the owner without a computation: effective after the window, and
    /// not open to challenge (nothing to recompute).
    Declared,
}

impl AttributionMethod {
    /// Whether a challenge can be decided by recomputation.
    pub fn is_challengeable(self) -> bool {
        !matches!(self, AttributionMethod::Declared)
    }
}

/// One contributor of an attribution result.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ContributorValue {
    /// The contributor's account (the one its revenue is credited to).
    pub contributor: AccountId,
    /// Its value under the method, in millionths (the evidence's `f64` value × 10⁶, rounded);
    /// informational: it can be negative.
    pub value_micro: i64,
    /// Its weight: the weights of a result sum to exactly 1,000,000.
    pub weight: u64,
}

/// One item of a `Pay` call.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PayItem {
    /// The asset paid.
    pub asset: AssetId,
    /// How much (positive).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
    /// For a payment for commercial use: the payer's licence (an offer of this asset it
    /// bought) that allows it. `None` for any other payment (a tip, a data-access fee).
    pub licence: Option<OfferId>,
    /// The most work the split may take: assets in the lineage plus beneficiaries credited
    /// (`assets_splitPreview` tells the current figure). The call's weight, so its fee, is
    /// priced on it, as gas limits are; a payment needing more is refused.
    pub work_bound: u32,
}

/// A juror's finding on a challenged attribution, after recomputing it from the evidence.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The committed result is right.
    Original,
    /// The challenger's result is right.
    Challenger,
    /// Neither matches the recomputation.
    Neither,
}

/// How a challenged commitment ended.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Unchallenged past its window: its weights took effect, its bond was returned.
    Unchallenged,
    /// The jury upheld it: its weights took effect; the challenger's bond went to the committer.
    Upheld,
    /// The jury sided with the challenger: the challenger's weights took effect; the
    /// committer's bond went to the challenger.
    Overturned,
    /// No majority (or no juror): both bonds returned, the previous weights stay.
    Void,
}

/// A call of the assets module (its `attribution` calls included). Appended only. In JSON the
/// variant is named by a `call` field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum AssetCall {
    /// Registers an asset owned by the sender, with its first version.
    Register {
        /// What it is.
        kind: AssetKind,
        /// 1–64 bytes.
        name: String,
        /// Where its metadata lives (0–256 bytes).
        metadata_uri: String,
        /// Hash of the metadata document.
        metadata_hash: Hash,
        /// Hash of the first version's content.
        content_hash: Hash,
    },
    /// Gives the asset to another account: future revenue goes to the new owner.
    Transfer {
        /// The asset.
        asset: AssetId,
        /// The new owner.
        to: AccountId,
    },
    /// Appends a version (the owner only).
    AddVersion {
        /// The asset.
        asset: AssetId,
        /// Hash of this version's content.
        content_hash: Hash,
        /// Where this version lives (0–256 bytes).
        uri: String,
    },
    /// Adds a lineage edge `child → parent` (the child's owner only). Under a licence of the
    /// parent that the sender holds (`licence`), the edge carries that licence's upstream share;
    /// without one the sender must own the parent and the share is 0.
    Link {
        /// The derived asset.
        child: AssetId,
        /// The upstream asset.
        parent: AssetId,
        /// How the child depends on it.
        relation: Relation,
        /// The sender's licence of the parent (an offer id of the parent).
        licence: Option<OfferId>,
    },
    /// Offers a licence of the asset (the owner only).
    OfferLicence {
        /// The asset.
        asset: AssetId,
        /// Its terms.
        kind: LicenceKind,
        /// What the price is paid in.
        currency: Currency,
        /// Price (may be 0), paid into the asset's vault.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        price: Amount,
        /// Share of every payment to a derivative registered under it, in basis points.
        upstream_share_bp: u16,
        /// Blocks the licence lasts from purchase; 0 for ever.
        duration_blocks: u64,
    },
    /// Stops selling an offer (licences already bought stay valid).
    WithdrawLicence {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
    },
    /// Buys a licence: the price goes into the asset's vault and is split like any payment.
    BuyLicence {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
        /// The most the buyer accepts to pay (protects against a changed offer).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max_price: Amount,
        /// The most work splitting the price may take (see [`PayItem::work_bound`]).
        work_bound: u32,
    },
    /// Pays one or more assets in one currency, each payment split along lineage and
    /// contributions into claimable balances.
    Pay {
        /// What is paid.
        currency: Currency,
        /// The assets and amounts (1–64).
        items: Vec<PayItem>,
    },
    /// Withdraws the sender's claimable balance of one asset's vault.
    Claim {
        /// The asset whose vault pays.
        asset: AssetId,
        /// Which currency.
        currency: Currency,
    },
    /// Always refused: contribution records are soulbound (a new commitment supersedes them).
    TransferContribution {
        /// The asset.
        asset: AssetId,
        /// The would-be recipient.
        to: AccountId,
    },
    /// Commits an attribution result for the asset (the owner only), effective after the
    /// challenge window.
    Commit {
        /// The asset whose contributions are set.
        asset: AssetId,
        /// How the values were computed.
        method: AttributionMethod,
        /// The datasets or assets valued (0–32).
        datasets: Vec<AssetId>,
        /// The utility metric (1–64 bytes, e.g. `knn-validation-accuracy`).
        metric: String,
        /// Contributors in strictly increasing account order, weights summing to 1,000,000.
        values: Vec<ContributorValue>,
        /// blake3 of the evidence file.
        evidence_hash: Hash,
        /// Where the evidence (and the data it names) can be fetched.
        evidence_uri: String,
        /// SYN bonded on the result (at least the genesis minimum), lost if a jury overturns it.
        bond: Balance,
    },
    /// Challenges a commitment in its window with a different result and a bond.
    Challenge {
        /// The commitment.
        commitment: CommitmentId,
        /// The challenger's result (same rules as `Commit::values`).
        values: Vec<ContributorValue>,
        /// blake3 of the challenger's evidence file.
        evidence_hash: Hash,
        /// Where it can be fetched.
        evidence_uri: String,
        /// SYN bonded (at least the genesis minimum), lost if the jury upholds the commitment.
        bond: Balance,
    },
    /// Bonds SYN as a worker who may be drawn to recompute challenged attributions.
    WorkerBond {
        /// SYN added to the sender's worker bond.
        amount: Balance,
    },
    /// Withdraws worker bond (not while drawn on an open challenge).
    WorkerUnbond {
        /// SYN withdrawn.
        amount: Balance,
    },
    /// A drawn juror's verdict on a challenged commitment.
    Vote {
        /// The commitment.
        commitment: CommitmentId,
        /// The finding.
        verdict: Verdict,
    },
}

impl AssetCall {
    /// Execution weight, priced by the fee schedule. A payment's cost grows with the lineage
    /// it walks and the beneficiaries it credits, so `Pay` and `BuyLicence` are priced on the
    /// work bound their sender declares.
    pub fn weight(&self) -> u64 {
        match self {
            AssetCall::Register { .. } => 10_000,
            AssetCall::Transfer { .. } => 5_000,
            AssetCall::AddVersion { .. } => 4_000,
            AssetCall::Link { .. } => 20_000,
            AssetCall::OfferLicence { .. } => 4_000,
            AssetCall::WithdrawLicence { .. } => 3_000,
            AssetCall::BuyLicence { work_bound, .. } => {
                10_000 + WEIGHT_PER_WORK_UNIT * u64::from(*work_bound)
            }
            AssetCall::Pay { items, .. } => items.iter().fold(5_000u64, |w, i| {
                w.saturating_add(2_000 + WEIGHT_PER_WORK_UNIT * u64::from(i.work_bound))
            }),
            AssetCall::Claim { .. } => 5_000,
            AssetCall::TransferContribution { .. } => 1_000,
            AssetCall::Commit { values, .. } | AssetCall::Challenge { values, .. } => {
                8_000 + 100 * values.len() as u64
            }
            AssetCall::WorkerBond { .. } | AssetCall::WorkerUnbond { .. } => 5_000,
            AssetCall::Vote { .. } => 5_000,
        }
    }

    /// The most SYN the call may take from the sender's free balance (for mempool
    /// payability): SYN payments, a SYN licence's maximum price, bonds.
    pub fn spend_bound(&self) -> Balance {
        let syn = |a: Amount| Balance::try_from(a).unwrap_or(Balance::MAX);
        match self {
            AssetCall::BuyLicence { max_price, .. } => syn(*max_price),
            AssetCall::Pay {
                currency: Currency::Syn,
                items,
            } => items
                .iter()
                .fold(0 as Balance, |acc, i| acc.saturating_add(syn(i.amount))),
            AssetCall::Commit { bond, .. } | AssetCall::Challenge { bond, .. } => *bond,
            AssetCall::WorkerBond { amount } => *amount,
            _ => 0,
        }
    }
}

/// One beneficiary's share of a payment.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Credit {
    /// The vault it stays in (the asset where it arose).
    pub asset: AssetId,
    /// Who may claim it.
    pub account: AccountId,
    /// How much.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: Amount,
}

/// What the assets module reports. Appended only. In JSON the variant is named by an `event`
/// field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AssetEvent {
    /// An asset was registered.
    Registered {
        /// Its id.
        asset: AssetId,
        /// What it is.
        kind: AssetKind,
        /// Its owner.
        owner: AccountId,
    },
    /// An asset changed owner.
    OwnerChanged {
        /// The asset.
        asset: AssetId,
        /// Previous owner.
        from: AccountId,
        /// New owner.
        to: AccountId,
    },
    /// A version was appended.
    VersionAdded {
        /// The asset.
        asset: AssetId,
        /// Its number (the first is 1).
        version: u32,
        /// Content hash.
        content_hash: Hash,
    },
    /// A lineage edge was added.
    Linked {
        /// The child.
        child: AssetId,
        /// The parent.
        parent: AssetId,
        /// The relation.
        relation: Relation,
        /// The parent's share of payments to the child, in basis points.
        share_bp: u16,
    },
    /// A licence was offered.
    LicenceOffered {
        /// The asset.
        asset: AssetId,
        /// The offer's id.
        offer: OfferId,
    },
    /// An offer was withdrawn.
    LicenceWithdrawn {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
    },
    /// A licence was bought.
    LicenceBought {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
        /// The buyer.
        holder: AccountId,
        /// First height at which it no longer holds (`None`: never expires).
        expires_at: Option<u64>,
    },
    /// A payment went into an asset's vault and was split.
    Paid {
        /// Who paid.
        payer: AccountId,
        /// The asset paid.
        asset: AssetId,
        /// In what.
        currency: Currency,
        /// How much.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: Amount,
        /// The licence it was paid under (commercial use), if any.
        licence: Option<OfferId>,
        /// Every beneficiary credited, in (asset, account) order; sums to `amount`.
        credits: Vec<Credit>,
    },
    /// A claimable balance was withdrawn.
    Claimed {
        /// The vault's asset.
        asset: AssetId,
        /// Who claimed.
        account: AccountId,
        /// In what.
        currency: Currency,
        /// How much.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: Amount,
    },
    /// An attribution was committed.
    Committed {
        /// Its id.
        commitment: CommitmentId,
        /// The asset.
        asset: AssetId,
        /// First height at which it can no longer be challenged (it takes effect then).
        challenge_ends: u64,
    },
    /// A commitment was challenged.
    Challenged {
        /// The commitment.
        commitment: CommitmentId,
        /// The challenger.
        challenger: AccountId,
        /// Height at which the jury is drawn.
        draw_at: u64,
    },
    /// Jurors were drawn for a challenge.
    JuryDrawn {
        /// The commitment.
        commitment: CommitmentId,
        /// The jurors, in draw order.
        jurors: Vec<AccountId>,
        /// First height at which votes are no longer accepted.
        vote_ends: u64,
    },
    /// A juror voted.
    Voted {
        /// The commitment.
        commitment: CommitmentId,
        /// The juror.
        juror: AccountId,
        /// The finding.
        verdict: Verdict,
    },
    /// A commitment was resolved.
    Resolved {
        /// The commitment.
        commitment: CommitmentId,
        /// The asset.
        asset: AssetId,
        /// How.
        resolution: Resolution,
    },
    /// An asset's contribution records were replaced.
    ContributionsSet {
        /// The asset.
        asset: AssetId,
        /// The commitment whose result they are.
        commitment: CommitmentId,
        /// Number of contributors.
        contributors: u32,
    },
    /// A bond moved between the parties of a challenge, or back to its owner.
    BondPaid {
        /// The commitment.
        commitment: CommitmentId,
        /// Who received it.
        to: AccountId,
        /// SYN.
        amount: Balance,
    },
    /// A worker's bond changed.
    WorkerBondChanged {
        /// The worker.
        worker: AccountId,
        /// Its bond now.
        bonded: Balance,
    },
}

/// Why an assets call failed. Every failure leaves state as it was. Appended only. In JSON the
/// variant is named by a `kind` field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssetFailure {
    /// No asset has this id.
    #[error("asset {asset} does not exist")]
    UnknownAsset {
        /// The id.
        asset: AssetId,
    },
    /// Only the asset's owner may do this.
    #[error("only the owner of asset {asset} may do this")]
    NotOwner {
        /// The asset.
        asset: AssetId,
    },
    /// The name is empty or longer than [`MAX_NAME_LEN`] bytes.
    #[error("a name is 1 to {MAX_NAME_LEN} bytes")]
    InvalidName,
    /// A URI or metric name is too long (or a required one is empty).
    #[error("{field} must be at most {max} bytes (and not empty where required)")]
    InvalidText {
        /// The field.
        field: String,
        /// Its limit.
        max: u32,
    },
    /// The edge names a parent that does not exist.
    #[error("parent asset {parent} does not exist")]
    UnknownParent {
        /// The parent.
        parent: AssetId,
    },
    /// An asset cannot be its own parent.
    #[error("an asset cannot be its own parent")]
    SelfLink,
    /// The edge already exists.
    #[error("asset {child} already has parent {parent}")]
    DuplicateEdge {
        /// The child.
        child: AssetId,
        /// The parent.
        parent: AssetId,
    },
    /// The edge would make the lineage cyclic.
    #[error("linking {child} to {parent} would close a cycle: {parent} descends from {child}")]
    Cycle {
        /// The child.
        child: AssetId,
        /// The parent.
        parent: AssetId,
    },
    /// The asset already has [`MAX_PARENTS`] parents.
    #[error("an asset has at most {MAX_PARENTS} parents")]
    TooManyParents,
    /// The lineage above the asset would exceed the genesis `max_ancestors`.
    #[error("the lineage would have more than {max} ancestors")]
    LineageTooLarge {
        /// The limit.
        max: u32,
    },
    /// The sender holds no valid licence of this offer.
    #[error("no valid licence of offer {offer} of asset {asset} is held by the sender")]
    NoLicence {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
    },
    /// The licence's terms do not allow this use.
    #[error("a {held:?} licence does not allow {needed}")]
    LicenceDoesNotAllow {
        /// Its kind.
        held: LicenceKind,
        /// What was attempted (`derivatives` or `commercial use`).
        needed: String,
    },
    /// Linking to an asset the sender does not own needs a licence.
    #[error("linking to asset {parent}, owned by another account, needs a licence of it")]
    LicenceRequired {
        /// The parent.
        parent: AssetId,
    },
    /// No such offer.
    #[error("asset {asset} has no licence offer {offer}")]
    UnknownOffer {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
    },
    /// The offer was withdrawn.
    #[error("offer {offer} of asset {asset} was withdrawn")]
    OfferWithdrawn {
        /// The asset.
        asset: AssetId,
        /// The offer.
        offer: OfferId,
    },
    /// The price is above the buyer's maximum.
    #[error("price {price} is above the maximum {max_price}")]
    PriceAboveMax {
        /// The price.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        price: Amount,
        /// The maximum.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max_price: Amount,
    },
    /// An upstream share above 10,000 bp.
    #[error("an upstream share is at most 10000 bp")]
    ShareTooHigh,
    /// The upstream shares of the child's parents would sum above 10,000 bp.
    #[error("the parents' upstream shares would sum to {total_bp} bp, above 10000")]
    SharesExceed {
        /// The sum.
        total_bp: u32,
    },
    /// Contribution records cannot be transferred.
    #[error("contribution records are soulbound: only a new attribution commitment replaces them")]
    ContributionSoulbound,
    /// Weights do not sum to exactly 1,000,000.
    #[error("weights sum to {sum}, expected 1000000")]
    WeightsSum {
        /// Their sum.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        sum: u128,
    },
    /// Contributors are not in strictly increasing order (or repeat).
    #[error("contributors must be listed once each, in increasing account order")]
    ContributorsNotCanonical,
    /// Too many contributors, datasets or items.
    #[error("{what} is limited to {max}")]
    TooMany {
        /// What.
        what: String,
        /// The limit.
        max: u32,
    },
    /// The asset already has a commitment that is not resolved.
    #[error("asset {asset} already has commitment {commitment} in progress")]
    CommitmentInProgress {
        /// The asset.
        asset: AssetId,
        /// The pending commitment.
        commitment: CommitmentId,
    },
    /// No such commitment.
    #[error("commitment {commitment} does not exist")]
    UnknownCommitment {
        /// The id.
        commitment: CommitmentId,
    },
    /// The commitment's challenge window is closed (or it is already resolved).
    #[error("the challenge window of commitment {commitment} closed at height {ended}")]
    ChallengeWindowClosed {
        /// The commitment.
        commitment: CommitmentId,
        /// First height it could no longer be challenged at.
        ended: u64,
    },
    /// Declared weights cannot be recomputed, so cannot be challenged.
    #[error("commitment {commitment} declares its weights: nothing to recompute")]
    NotChallengeable {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// The commitment is already challenged.
    #[error("commitment {commitment} is already challenged")]
    AlreadyChallenged {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// A challenge must give a different result.
    #[error("the challenge's weights equal the commitment's")]
    SameResult,
    /// The committer cannot challenge its own commitment.
    #[error("the committer cannot challenge its own commitment")]
    SelfChallenge,
    /// A bond below the genesis minimum.
    #[error("bond {bond} is below the minimum {min}")]
    BondTooLow {
        /// Offered.
        bond: Balance,
        /// Minimum.
        min: Balance,
    },
    /// The sender is not a juror of this challenge.
    #[error("the sender is not a juror of commitment {commitment}")]
    NotJuror {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// The juror already voted.
    #[error("the juror already voted on commitment {commitment}")]
    AlreadyVoted {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// Votes are not accepted now (before the draw or after the vote window).
    #[error("commitment {commitment} is not taking votes")]
    NotVoting {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// Nothing to claim in this vault for the sender.
    #[error("nothing to claim from the vault of asset {asset}")]
    NothingToClaim {
        /// The asset.
        asset: AssetId,
    },
    /// An amount must be positive.
    #[error("the amount must be positive")]
    ZeroAmount,
    /// A SYN amount above what a balance holds.
    #[error("a SYN amount must fit in 64 bits")]
    AmountTooLarge,
    /// Checked arithmetic failed.
    #[error("arithmetic overflow")]
    Overflow,
    /// The sender is not a bonded worker (or unbonds more than it bonded).
    #[error("worker bond {bonded} is less than {requested}")]
    InsufficientWorkerBond {
        /// Bonded.
        bonded: Balance,
        /// Requested.
        requested: Balance,
    },
    /// The worker is drawn on an open challenge.
    #[error("the worker is a juror of an open challenge")]
    WorkerOnDuty,
    /// The worker registry is full.
    #[error("the worker registry is full ({max})")]
    TooManyWorkers {
        /// The limit.
        max: u32,
    },
    /// An asset cannot be transferred to its owner.
    #[error("the asset already belongs to that account")]
    SameOwner,
    /// The asset has [`MAX_VERSIONS`] versions.
    #[error("an asset has at most {MAX_VERSIONS} versions")]
    TooManyVersions,
    /// The payment needs more work than its bound allows (or the bound is above
    /// [`MAX_WORK_BOUND`]).
    #[error("the payment needs {needed} units of work, above its bound {bound}")]
    WorkBoundExceeded {
        /// Needed (at least; counting stops at the bound).
        needed: u32,
        /// Declared.
        bound: u32,
    },
}

impl synod_module::ModuleFailure for AssetFailure {}
