//! # synod-assets — AI assets, their lineage, licences, revenue vaults and attribution
//!
//! Owns datasets, models, agents, pipelines and services as on-chain assets: their owners
//! (transferable), versions (append-only), lineage edges (acyclic, added by the child's owner
//! under a licence of the parent), licence offers and the licences accounts hold, the soulbound
//! contribution records that weigh an asset's contributors, the revenue vault of every asset
//! (payments are split exactly along lineage and contributions into claimable balances), and
//! attribution commitments (a result with its evidence, effective after a challenge window,
//! decided by a jury of randomly drawn bonded workers when challenged). Its JSON-RPC namespaces
//! are `assets` and `attribution` ([`rpc`]).
//!
//! It must not compute attribution values (that is off-chain evidence, `synod-embed` and
//! `synod-attribution`'s float code behind `synod attribution compute`); on chain only integer
//! weights, hashes and the exact split of [`synod_attribution::Lineage`] are used. It moves SYN
//! only through the bank and tokens only through the tokens module's API. Like every module it
//! is deterministic: block height is its only clock, the parent block hash its only randomness
//! (drawn at a height fixed before that block existed), every amount is checked, and execution
//! reads single keys only.
//!
//! ## Revenue (see [`vault`])
//! A payment of `P` to asset `X` moves `P` from the payer into `X`'s vault (a keyless account,
//! [`vault_account`]) and splits it by [`synod_attribution::Lineage::split`]'s rule: each
//! parent's upstream share (`⌊P·s/10⁴⌋`, recursively, a shared ancestor's inflows summed and
//! split once), then contributors by weight (`⌊R·w/10⁶⌋`), **every remainder to the owner of the
//! asset where it arose**. Each beneficiary's part stays in the vault of the asset where it arose
//! as a claimable balance (the owner's part credited to whoever owns that asset at payment time,
//! so a transfer moves future revenue only). The credits sum to `P` exactly.
//!
//! ## Licences
//! Derivative edges (`trained_on`, `finetuned_from`, `derived_from`) need an `open` or
//! `commercial_remix` licence of the parent held by the child's owner; a `uses` edge and a paid
//! commercial use need `open`, `commercial` or `commercial_remix`. Linking to an asset the
//! sender owns needs no licence (share 0).
//!
//! ## Attribution (see [`attribution`])
//! `Commit` (owner, with a bond) → challenge window → `Unchallenged`: its weights replace the
//! contribution records. `Challenge` (a different result, a bond) → `draw_delay_blocks` later
//! `jurors` workers are drawn from bonded workers (excluding both parties) with the parent hash
//! of the draw block as seed → jurors recompute from the evidence and `Vote` → at the deadline
//! (or when all voted) a strict majority of cast votes decides: `Upheld` (challenger's bond to
//! the committer) or `Overturned` (committer's bond to the challenger, the challenger's weights
//! take effect); otherwise `Void` (both bonds returned, previous weights stay).
//!
//! ## State (`assets/` prefix, see [`state`])
//! | key | value |
//! |---|---|
//! | `assets/next_asset`, `assets/next_commitment` | `u64` counters (absent: 1) |
//! | `assets/a/<asset>` | [`state::AssetRecord`] (owner, parents, pending commitment) |
//! | `assets/v/<asset><version:4>` | [`state::VersionRecord`] |
//! | `assets/own/<owner:32><asset>` | `()`: index by owner |
//! | `assets/child/<parent><child>` | `()`: index of children (descendant queries) |
//! | `assets/offer/<asset><offer:4>` | [`state::OfferRecord`] |
//! | `assets/held/<holder:32><asset><offer:4>` | [`state::HeldLicence`] |
//! | `assets/contrib/<asset>` | [`state::Contributions`] |
//! | `assets/claim/<account:32><asset><currency:9>` | `u128` claimable |
//! | `assets/commit/<id>` | [`state::CommitmentRecord`] |
//! | `assets/due/<height>` | `Vec<u64>`: commitments with a deadline at that height |
//! | `assets/workers` | `Vec<`[`state::Worker`]`>` in account order |
//!
//! ## Limits
//! - A payment walks at most `max_ancestors` ancestors; a link that would put more above the
//!   linked asset is refused, and a payment to an asset whose lineage grew past the bound
//!   through a later link above it is refused (nothing moves) with `lineage_too_large`.
//! - Jurors who do not vote are not penalised yet; a `Void` outcome costs neither party.
//! - Data pools (a future module) are registered as `dataset` assets by their owner like any
//!   other dataset; no automatic link exists yet.

pub mod attribution;
pub mod query;
pub mod registry;
pub mod rpc;
pub mod state;
pub mod vault;
pub mod wire;

#[cfg(test)]
mod tests;

pub use wire::{
    Amount, AssetCall, AssetEvent, AssetFailure, AssetId, AssetKind, AttributionMethod,
    CommitmentId, ContributorValue, Credit, Currency, LicenceKind, OfferId, PayItem, Relation,
    Resolution, Verdict,
};

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_bank::BankFailure;
use synod_module::{BlockCtx, GenesisError, Module, ModuleFailure, StateError};
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_tokens::TokenFailure;

/// The module's name: its RPC namespace and state key prefix.
pub const NAME: &str = "assets";
/// The second RPC namespace it serves.
pub const ATTRIBUTION_NAMESPACE: &str = "attribution";
/// Most bonded workers.
pub const MAX_WORKERS: usize = 1024;

/// Why an assets call failed: its own rule, or the bank's or tokens module's refusal of a move.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The bank refused a SYN move (e.g. a balance too small).
    #[error(transparent)]
    Bank(#[from] BankFailure),
    /// The tokens module refused a token move.
    #[error(transparent)]
    Tokens(#[from] TokenFailure),
    /// An assets rule refused the call.
    #[error(transparent)]
    Assets(#[from] AssetFailure),
}

impl ModuleFailure for CallFailure {}

/// The error of an assets function.
pub type CallError = synod_module::CallError<CallFailure>;
/// What an assets function returns.
pub type AssetResult<T> = Result<T, CallError>;

impl From<AssetFailure> for CallError {
    fn from(f: AssetFailure) -> Self {
        synod_module::CallError::Failed(CallFailure::Assets(f))
    }
}

/// Shorthand for an assets rule's refusal.
pub(crate) fn fail<T>(f: AssetFailure) -> AssetResult<T> {
    Err(CallError::Failed(CallFailure::Assets(f)))
}

/// The keyless account that is asset `asset`'s revenue vault.
pub fn vault_account(asset: AssetId) -> AccountId {
    let mut purpose = b"vault/".to_vec();
    purpose.extend_from_slice(&asset.to_be_bytes());
    synod_module::derived_account(NAME, &purpose)
}

/// The keyless account holding commitment, challenge and worker bonds.
pub fn bond_account() -> AccountId {
    synod_module::module_account(NAME)
}

/// The assets module's genesis section.
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
#[serde(default, deny_unknown_fields)]
pub struct AssetsGenesis {
    /// Blocks a commitment stays open to challenge (it takes effect after them).
    pub challenge_window_blocks: u64,
    /// Least SYN bonded on a challengeable commitment.
    pub min_commit_bond: Balance,
    /// Least SYN bonded on a challenge.
    pub min_challenge_bond: Balance,
    /// Least worker bond to be drawn as a juror.
    pub min_worker_bond: Balance,
    /// Jurors drawn per challenge (1–31, odd avoids ties).
    pub jurors: u32,
    /// Blocks between a challenge and its draw (at least 2, so that the seed is the hash of a
    /// block made after the challenge was included).
    pub draw_delay_blocks: u64,
    /// Blocks jurors have to vote.
    pub vote_window_blocks: u64,
    /// Most ancestors a payment walks (1–4096), whatever its work bound.
    pub max_ancestors: u32,
}

impl Default for AssetsGenesis {
    /// A real network's: a 7-day challenge window and 2 days to vote at 250 ms blocks.
    fn default() -> Self {
        AssetsGenesis {
            challenge_window_blocks: 7 * 24 * 60 * 60 * 4,
            min_commit_bond: 100 * UNIT,
            min_challenge_bond: 100 * UNIT,
            min_worker_bond: 1_000 * UNIT,
            jurors: 5,
            draw_delay_blocks: 2,
            vote_window_blocks: 2 * 24 * 60 * 60 * 4,
            max_ancestors: 1024,
        }
    }
}

impl AssetsGenesis {
    /// Devnet values: a challenge window of `window` blocks and ten times that to vote (jurors
    /// recompute the evidence, which takes a while), 3 jurors, small bonds.
    pub fn dev(window: u64) -> Self {
        AssetsGenesis {
            challenge_window_blocks: window,
            min_commit_bond: 10 * UNIT,
            min_challenge_bond: 10 * UNIT,
            min_worker_bond: 100 * UNIT,
            jurors: 3,
            draw_delay_blocks: 2,
            vote_window_blocks: window.saturating_mul(10),
            max_ancestors: 1024,
        }
    }

    /// Checks the bounds a genesis must respect.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let bad = |reason: &str| {
            Err(GenesisError {
                module: NAME,
                reason: reason.into(),
            })
        };
        if self.challenge_window_blocks == 0 || self.vote_window_blocks == 0 {
            return bad("challenge_window_blocks and vote_window_blocks must be at least 1");
        }
        if self.draw_delay_blocks < 2 {
            return bad("draw_delay_blocks must be at least 2");
        }
        if !(1..=31).contains(&self.jurors) {
            return bad("jurors must be 1 to 31");
        }
        if !(1..=4096).contains(&self.max_ancestors) {
            return bad("max_ancestors must be 1 to 4096");
        }
        Ok(())
    }
}

/// The assets module, as the composition crate holds it.
#[derive(Clone, Debug)]
pub struct Assets {
    genesis: AssetsGenesis,
}

impl Assets {
    /// The module configured by its genesis section.
    pub fn new(genesis: AssetsGenesis) -> Self {
        Assets { genesis }
    }

    /// Its genesis section.
    pub fn genesis(&self) -> &AssetsGenesis {
        &self.genesis
    }
}

impl Module for Assets {
    const NAME: &'static str = NAME;
    type Call = AssetCall;
    type Event = AssetEvent;
    type Failure = CallFailure;

    fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.genesis.validate()
    }

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        rpc::methods(store.clone(), self.genesis)
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn call_weight(call: &AssetCall) -> u64 {
        call.weight()
    }

    fn call_spend(call: &AssetCall) -> Balance {
        call.spend_bound()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &AssetCall,
    ) -> synod_module::CallResult<AssetEvent, CallFailure> {
        let h = ctx.height;
        let g = &self.genesis;
        match call {
            AssetCall::Register {
                kind,
                name,
                metadata_uri,
                metadata_hash,
                content_hash,
            } => Ok(vec![registry::register(
                s,
                h,
                sender,
                registry::NewAsset {
                    kind: *kind,
                    name,
                    metadata_uri,
                    metadata_hash: *metadata_hash,
                    content_hash: *content_hash,
                },
            )?]),
            AssetCall::Transfer { asset, to } => {
                Ok(vec![registry::transfer(s, sender, *asset, to)?])
            }
            AssetCall::AddVersion {
                asset,
                content_hash,
                uri,
            } => Ok(vec![registry::add_version(
                s,
                h,
                sender,
                *asset,
                *content_hash,
                uri,
            )?]),
            AssetCall::Link {
                child,
                parent,
                relation,
                licence,
            } => Ok(vec![registry::link(
                s, h, g, sender, *child, *parent, *relation, *licence,
            )?]),
            AssetCall::OfferLicence {
                asset,
                kind,
                currency,
                price,
                upstream_share_bp,
                duration_blocks,
            } => Ok(vec![registry::offer_licence(
                s,
                sender,
                *asset,
                state::OfferRecord {
                    kind: *kind,
                    currency: *currency,
                    price: *price,
                    upstream_share_bp: *upstream_share_bp,
                    duration_blocks: *duration_blocks,
                    active: true,
                },
            )?]),
            AssetCall::WithdrawLicence { asset, offer } => {
                Ok(vec![registry::withdraw_licence(s, sender, *asset, *offer)?])
            }
            AssetCall::BuyLicence {
                asset,
                offer,
                max_price,
                work_bound,
            } => vault::buy_licence(s, h, g, sender, *asset, *offer, *max_price, *work_bound),
            AssetCall::Pay { currency, items } => vault::pay(s, h, g, sender, *currency, items),
            AssetCall::Claim { asset, currency } => {
                Ok(vec![vault::claim(s, sender, *asset, *currency)?])
            }
            AssetCall::TransferContribution { asset, .. } => {
                registry::require_asset(s, *asset)?;
                fail(AssetFailure::ContributionSoulbound)
            }
            AssetCall::Commit {
                asset,
                method,
                datasets,
                metric,
                values,
                evidence_hash,
                evidence_uri,
                bond,
            } => Ok(vec![attribution::commit(
                s,
                h,
                g,
                sender,
                attribution::NewCommitment {
                    asset: *asset,
                    method: *method,
                    datasets,
                    metric,
                    values,
                    evidence_hash: *evidence_hash,
                    evidence_uri,
                    bond: *bond,
                },
            )?]),
            AssetCall::Challenge {
                commitment,
                values,
                evidence_hash,
                evidence_uri,
                bond,
            } => Ok(vec![attribution::challenge(
                s,
                h,
                g,
                sender,
                *commitment,
                values,
                *evidence_hash,
                evidence_uri,
                *bond,
            )?]),
            AssetCall::WorkerBond { amount } => {
                Ok(vec![attribution::worker_bond(s, sender, *amount)?])
            }
            AssetCall::WorkerUnbond { amount } => {
                Ok(vec![attribution::worker_unbond(s, sender, *amount)?])
            }
            AssetCall::Vote {
                commitment,
                verdict,
            } => attribution::vote(s, h, sender, *commitment, *verdict),
        }
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<AssetEvent>, StateError> {
        attribution::end_block(s, ctx, &self.genesis)
    }
}
