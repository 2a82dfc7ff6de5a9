//! Assets, versions, lineage edges and licence offers.

use std::collections::BTreeSet;

use crate::state::{self, AssetRecord, Edge, HeldLicence, OfferRecord, VersionRecord};
use crate::wire::{
    AssetEvent, AssetFailure, AssetId, AssetKind, MAX_NAME_LEN, MAX_PARENTS, MAX_URI_LEN,
    MAX_VERSIONS, OfferId, Relation,
};
use crate::{AssetResult, AssetsGenesis, fail};
use synod_attribution::BP_TOTAL;
use synod_primitives::{AccountId, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed;

/// The fields of `Register`.
#[derive(Clone, Copy, Debug)]
pub struct NewAsset<'a> {
    /// Kind.
    pub kind: AssetKind,
    /// Name.
    pub name: &'a str,
    /// Metadata URI.
    pub metadata_uri: &'a str,
    /// Metadata hash.
    pub metadata_hash: Hash,
    /// First version's content hash.
    pub content_hash: Hash,
}

pub(crate) fn check_uri(field: &str, uri: &str) -> AssetResult<()> {
    if uri.len() > MAX_URI_LEN {
        return fail(AssetFailure::InvalidText {
            field: field.into(),
            max: MAX_URI_LEN as u32,
        });
    }
    Ok(())
}

/// The asset's record, or `unknown_asset`.
pub fn require_asset<R: StateRead + ?Sized>(s: &R, asset: AssetId) -> AssetResult<AssetRecord> {
    match state::asset(s, asset)? {
        Some(a) => Ok(a),
        None => fail(AssetFailure::UnknownAsset { asset }),
    }
}

/// The asset's record if `sender` owns it.
pub fn require_owned<R: StateRead + ?Sized>(
    s: &R,
    sender: &AccountId,
    asset: AssetId,
) -> AssetResult<AssetRecord> {
    let a = require_asset(s, asset)?;
    if a.owner != *sender {
        return fail(AssetFailure::NotOwner { asset });
    }
    Ok(a)
}

/// Registers an asset owned by `owner` with its first version.
pub fn register<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    owner: &AccountId,
    new: NewAsset<'_>,
) -> AssetResult<AssetEvent> {
    if new.name.is_empty() || new.name.len() > MAX_NAME_LEN {
        return fail(AssetFailure::InvalidName);
    }
    check_uri("metadata_uri", new.metadata_uri)?;
    let Some(id) = state::next_id(s, state::NEXT_ASSET_KEY)? else {
        return fail(AssetFailure::Overflow);
    };
    state::put_asset(
        s,
        id,
        &AssetRecord {
            kind: new.kind,
            owner: *owner,
            name: new.name.to_owned(),
            metadata_uri: new.metadata_uri.to_owned(),
            metadata_hash: new.metadata_hash,
            registered_at: height,
            versions: 1,
            offers: 0,
            parents: Vec::new(),
            pending: None,
        },
    );
    typed::put(
        s,
        state::version_key(id, 1),
        &VersionRecord {
            content_hash: new.content_hash,
            uri: String::new(),
            at: height,
        },
    );
    typed::put(s, state::owner_key(owner, id), &());
    Ok(AssetEvent::Registered {
        asset: id,
        kind: new.kind,
        owner: *owner,
    })
}

/// Gives `asset` to `to`.
pub fn transfer<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    asset: AssetId,
    to: &AccountId,
) -> AssetResult<AssetEvent> {
    let mut a = require_owned(s, sender, asset)?;
    if a.owner == *to {
        return fail(AssetFailure::SameOwner);
    }
    s.delete(state::owner_key(sender, asset));
    typed::put(s, state::owner_key(to, asset), &());
    a.owner = *to;
    state::put_asset(s, asset, &a);
    Ok(AssetEvent::OwnerChanged {
        asset,
        from: *sender,
        to: *to,
    })
}

/// Appends a version.
pub fn add_version<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    sender: &AccountId,
    asset: AssetId,
    content_hash: Hash,
    uri: &str,
) -> AssetResult<AssetEvent> {
    let mut a = require_owned(s, sender, asset)?;
    check_uri("uri", uri)?;
    if a.versions >= MAX_VERSIONS {
        return fail(AssetFailure::TooManyVersions);
    }
    a.versions += 1;
    typed::put(
        s,
        state::version_key(asset, a.versions),
        &VersionRecord {
            content_hash,
            uri: uri.to_owned(),
            at: height,
        },
    );
    state::put_asset(s, asset, &a);
    Ok(AssetEvent::VersionAdded {
        asset,
        version: a.versions,
        content_hash,
    })
}

/// The ancestors of `start` (not `start` itself), walking parent edges; `None` as soon as more
/// than `max` are found. Each ancestor's record is read once.
pub fn ancestors<R: StateRead + ?Sized>(
    s: &R,
    start: &AssetRecord,
    max: usize,
) -> AssetResult<Option<BTreeSet<AssetId>>> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<AssetId> = start.parents.iter().map(|e| e.parent).collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if seen.len() > max {
            return Ok(None);
        }
        let rec = require_asset(s, id)?;
        stack.extend(rec.parents.iter().map(|e| e.parent));
    }
    Ok(Some(seen))
}

/// The licence `holder` holds of `asset` under `offer`, if valid at `height`.
pub fn valid_licence<R: StateRead + ?Sized>(
    s: &R,
    height: u64,
    holder: &AccountId,
    asset: AssetId,
    offer: OfferId,
) -> AssetResult<HeldLicence> {
    match state::held(s, holder, asset, offer)? {
        Some(l) if l.valid_at(height) => Ok(l),
        _ => fail(AssetFailure::NoLicence { asset, offer }),
    }
}

/// Adds the edge `child → parent`.
#[allow(clippy::too_many_arguments)]
pub fn link<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    g: &AssetsGenesis,
    sender: &AccountId,
    child: AssetId,
    parent: AssetId,
    relation: Relation,
    licence: Option<OfferId>,
) -> AssetResult<AssetEvent> {
    let mut c = require_owned(s, sender, child)?;
    if child == parent {
        return fail(AssetFailure::SelfLink);
    }
    let Some(p) = state::asset(s, parent)? else {
        return fail(AssetFailure::UnknownParent { parent });
    };
    if c.parents.iter().any(|e| e.parent == parent) {
        return fail(AssetFailure::DuplicateEdge { child, parent });
    }
    if c.parents.len() >= MAX_PARENTS {
        return fail(AssetFailure::TooManyParents);
    }
    let share_bp = match licence {
        Some(offer) => {
            let held = valid_licence(s, height, sender, parent, offer)?;
            let (allowed, needed) = if relation.is_derivative() {
                (held.kind.allows_derivatives(), "derivatives")
            } else {
                (held.kind.allows_commercial_use(), "commercial use")
            };
            if !allowed {
                return fail(AssetFailure::LicenceDoesNotAllow {
                    held: held.kind,
                    needed: needed.into(),
                });
            }
            held.upstream_share_bp
        }
        None if p.owner == *sender => 0,
        None => return fail(AssetFailure::LicenceRequired { parent }),
    };
    let total_bp: u32 =
        c.parents.iter().map(|e| u32::from(e.share_bp)).sum::<u32>() + u32::from(share_bp);
    if total_bp > u32::from(BP_TOTAL) {
        return fail(AssetFailure::SharesExceed { total_bp });
    }
    // The parent's ancestors must not contain the child (that edge would close a cycle), and
    // the child's lineage after the edge must stay within the payment bound.
    let max = g.max_ancestors as usize;
    let too_large = || {
        fail(AssetFailure::LineageTooLarge {
            max: g.max_ancestors,
        })
    };
    let Some(above_parent) = ancestors(s, &p, max)? else {
        return too_large();
    };
    if above_parent.contains(&child) {
        return fail(AssetFailure::Cycle { child, parent });
    }
    let Some(mut above_child) = ancestors(s, &c, max)? else {
        return too_large();
    };
    above_child.insert(parent);
    above_child.extend(above_parent);
    if above_child.len() > max {
        return too_large();
    }
    c.parents.push(Edge {
        parent,
        relation,
        share_bp,
        licence,
        at: height,
    });
    state::put_asset(s, child, &c);
    typed::put(s, state::child_key(parent, child), &());
    Ok(AssetEvent::Linked {
        child,
        parent,
        relation,
        share_bp,
    })
}

/// Offers a licence of `asset`.
pub fn offer_licence<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    asset: AssetId,
    offer: OfferRecord,
) -> AssetResult<AssetEvent> {
    let mut a = require_owned(s, sender, asset)?;
    if offer.upstream_share_bp > BP_TOTAL {
        return fail(AssetFailure::ShareTooHigh);
    }
    if let crate::Currency::Token(t) = offer.currency {
        synod_tokens::state::require_token(s, t).map_err(|e| e.widen())?;
    }
    let Some(id) = a.offers.checked_add(1) else {
        return fail(AssetFailure::Overflow);
    };
    a.offers = id;
    typed::put(s, state::offer_key(asset, id), &offer);
    state::put_asset(s, asset, &a);
    Ok(AssetEvent::LicenceOffered { asset, offer: id })
}

/// Stops selling an offer.
pub fn withdraw_licence<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    asset: AssetId,
    offer: OfferId,
) -> AssetResult<AssetEvent> {
    require_owned(s, sender, asset)?;
    let Some(mut o) = state::offer(s, asset, offer)? else {
        return fail(AssetFailure::UnknownOffer { asset, offer });
    };
    if !o.active {
        return fail(AssetFailure::OfferWithdrawn { asset, offer });
    }
    o.active = false;
    typed::put(s, state::offer_key(asset, offer), &o);
    Ok(AssetEvent::LicenceWithdrawn { asset, offer })
}
