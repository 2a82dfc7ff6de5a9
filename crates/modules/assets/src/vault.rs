//! Revenue vaults: payments split exactly along lineage and contributions, licence purchases,
//! claims.

use std::collections::BTreeMap;

use crate::registry::{require_asset, valid_licence};
use crate::state::{self, AssetRecord, HeldLicence};
use crate::wire::{
    Amount, AssetEvent, AssetFailure, AssetId, Credit, Currency, MAX_PAY_ITEMS, MAX_WORK_BOUND,
    OfferId, PayItem,
};
use crate::{AssetResult, AssetsGenesis, CallError, bond_account, fail, vault_account};
use synod_attribution::{AssetSpec, Beneficiary, Lineage, ParentEdge, SplitError};
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self, StateError};

/// Moves `amount` of `currency` from `from` to `to` (nothing for 0).
pub fn move_funds<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    currency: Currency,
    from: &AccountId,
    to: &AccountId,
    amount: Amount,
) -> AssetResult<()> {
    if amount == 0 {
        return Ok(());
    }
    match currency {
        Currency::Syn => {
            let Ok(a) = Balance::try_from(amount) else {
                return fail(AssetFailure::AmountTooLarge);
            };
            synod_bank::transfer(s, from, to, a)?;
        }
        Currency::Token(t) => {
            synod_tokens::transfer(s, t, from, to, amount).map_err(|e| e.widen())?;
        }
    }
    Ok(())
}

/// Moves SYN bonds into or out of the module's bond account.
pub(crate) fn move_syn<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    from: &AccountId,
    to: &AccountId,
    amount: Balance,
) -> AssetResult<()> {
    move_funds(s, Currency::Syn, from, to, u128::from(amount))
}

/// The bond account (re-exported for the attribution code's readability).
pub(crate) fn bonds() -> AccountId {
    bond_account()
}

/// Who a contribution is credited to: the contributor, in the vault of the asset it weighs.
pub type ContributorKey = (AssetId, AccountId);

/// The lineage above `asset` (itself included) as the split sees it, and each asset's owner.
/// Refuses a lineage of more than `max_ancestors` ancestors.
pub fn load_lineage<R: StateRead + ?Sized>(
    s: &R,
    asset: AssetId,
    max_ancestors: u32,
) -> AssetResult<(
    Lineage<AssetId, ContributorKey>,
    BTreeMap<AssetId, AccountId>,
)> {
    let mut specs: BTreeMap<AssetId, AssetSpec<AssetId, ContributorKey>> = BTreeMap::new();
    let mut owners = BTreeMap::new();
    let mut stack = vec![asset];
    while let Some(id) = stack.pop() {
        if specs.contains_key(&id) {
            continue;
        }
        if specs.len() > max_ancestors as usize {
            return fail(AssetFailure::LineageTooLarge { max: max_ancestors });
        }
        let rec: AssetRecord = require_asset(s, id)?;
        let weights = state::contributions(s, id)?
            .map(|c| {
                c.weights
                    .into_iter()
                    .map(|(acct, w)| ((id, acct), w))
                    .collect()
            })
            .unwrap_or_default();
        stack.extend(rec.parents.iter().map(|e| e.parent));
        owners.insert(id, rec.owner);
        specs.insert(
            id,
            AssetSpec {
                parents: rec
                    .parents
                    .iter()
                    .map(|e| ParentEdge {
                        parent: e.parent,
                        share_bp: e.share_bp,
                    })
                    .collect(),
                weights,
            },
        );
    }
    let lineage = Lineage::from_specs(specs).map_err(split_error)?;
    Ok((lineage, owners))
}

/// Only overflow is a caller's problem; any other split error means stored state broke the
/// invariants every write keeps.
fn split_error(e: SplitError<AssetId>) -> CallError {
    match e {
        SplitError::Overflow => CallError::Failed(AssetFailure::Overflow.into()),
        other => CallError::State(StateError::Corrupt {
            key: "assets lineage".into(),
            reason: other.to_string(),
        }),
    }
}

/// The credits of a split: each payout to the account it goes to in the vault where it arose
/// (an owner's part to the asset's owner now), merged per (asset, account).
pub fn credits_of(
    split: &synod_attribution::Split<AssetId, ContributorKey>,
    owners: &BTreeMap<AssetId, AccountId>,
) -> AssetResult<BTreeMap<(AssetId, AccountId), Amount>> {
    let mut credits: BTreeMap<(AssetId, AccountId), Amount> = BTreeMap::new();
    for (who, v) in &split.payouts {
        let key = match who {
            Beneficiary::Owner(a) => {
                let owner = owners.get(a).ok_or(AssetFailure::Overflow)?;
                (*a, *owner)
            }
            Beneficiary::Contributor((a, c)) => (*a, *c),
        };
        let slot = credits.entry(key).or_insert(0);
        *slot = slot.checked_add(*v).ok_or(AssetFailure::Overflow)?;
    }
    Ok(credits)
}

/// A payment: what, how much, under which licence, within which work bound.
#[derive(Clone, Copy, Debug)]
pub struct Payment {
    /// The asset paid.
    pub asset: AssetId,
    /// In what.
    pub currency: Currency,
    /// How much.
    pub amount: Amount,
    /// The licence it is paid under, if any.
    pub licence: Option<OfferId>,
    /// The most work it may take.
    pub work_bound: u32,
}

/// Pays `amount` of `currency` from `payer` into `asset`'s vault and credits the split.
/// Returns the event and the work it took (assets read plus credits written, at most the
/// payment's `work_bound`).
pub fn pay_into<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    g: &AssetsGenesis,
    payer: &AccountId,
    p: Payment,
) -> AssetResult<(AssetEvent, u32)> {
    let Payment {
        asset,
        currency,
        amount,
        licence,
        work_bound,
    } = p;
    if amount == 0 {
        return fail(AssetFailure::ZeroAmount);
    }
    let exceeded = |needed: usize| {
        fail(AssetFailure::WorkBoundExceeded {
            needed: u32::try_from(needed).unwrap_or(u32::MAX),
            bound: work_bound,
        })
    };
    if work_bound > MAX_WORK_BOUND {
        return exceeded(work_bound as usize);
    }
    // The lineage is read only as far as the bound allows: an asset counts one unit.
    let walk = g.max_ancestors.min(work_bound.saturating_sub(1));
    let (lineage, owners) = match load_lineage(s, asset, walk) {
        Err(synod_module::CallError::Failed(crate::CallFailure::Assets(
            AssetFailure::LineageTooLarge { .. },
        ))) if walk < g.max_ancestors => return exceeded(walk as usize + 2),
        other => other?,
    };
    let split = lineage.split(&asset, amount).map_err(split_error)?;
    let credits = credits_of(&split, &owners)?;
    let work = owners.len() + credits.len();
    if work > work_bound as usize {
        return exceeded(work);
    }
    let mut retained: BTreeMap<AssetId, Amount> = BTreeMap::new();
    for ((a, _), v) in &credits {
        let slot = retained.entry(*a).or_insert(0);
        *slot = slot.checked_add(*v).ok_or(AssetFailure::Overflow)?;
    }
    let paid_vault = vault_account(asset);
    move_funds(s, currency, payer, &paid_vault, amount)?;
    for (a, v) in &retained {
        if *a != asset {
            move_funds(s, currency, &paid_vault, &vault_account(*a), *v)?;
        }
    }
    for ((a, acct), v) in &credits {
        let before = state::claimable(s, acct, *a, currency)?;
        let after = before.checked_add(*v).ok_or(AssetFailure::Overflow)?;
        state::set_claimable(s, acct, *a, currency, after);
    }
    let event = AssetEvent::Paid {
        payer: *payer,
        asset,
        currency,
        amount,
        licence,
        credits: credits
            .into_iter()
            .map(|((asset, account), amount)| Credit {
                asset,
                account,
                amount,
            })
            .collect(),
    };
    // `work ≤ work_bound ≤ MAX_WORK_BOUND` was checked above.
    Ok((event, u32::try_from(work).unwrap_or(u32::MAX)))
}

/// `Pay`: every item in one transaction (all or nothing).
pub fn pay<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    g: &AssetsGenesis,
    payer: &AccountId,
    currency: Currency,
    items: &[PayItem],
) -> AssetResult<Vec<AssetEvent>> {
    if items.is_empty() || items.len() > MAX_PAY_ITEMS {
        return fail(AssetFailure::TooMany {
            what: "items of a payment (at least 1)".into(),
            max: MAX_PAY_ITEMS as u32,
        });
    }
    let mut events = Vec::with_capacity(items.len());
    for item in items {
        if let Some(offer) = item.licence {
            let held = valid_licence(s, height, payer, item.asset, offer)?;
            if !held.kind.allows_commercial_use() {
                return fail(AssetFailure::LicenceDoesNotAllow {
                    held: held.kind,
                    needed: "commercial use".into(),
                });
            }
        }
        events.push(
            pay_into(
                s,
                g,
                payer,
                Payment {
                    asset: item.asset,
                    currency,
                    amount: item.amount,
                    licence: item.licence,
                    work_bound: item.work_bound,
                },
            )?
            .0,
        );
    }
    Ok(events)
}

#[allow(clippy::too_many_arguments)]
/// `BuyLicence`: the price is paid into the asset's vault (split as any payment) and the
/// licence recorded; buying again extends it.
pub fn buy_licence<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    g: &AssetsGenesis,
    buyer: &AccountId,
    asset: AssetId,
    offer: OfferId,
    max_price: Amount,
    work_bound: u32,
) -> AssetResult<Vec<AssetEvent>> {
    require_asset(s, asset)?;
    let Some(o) = state::offer(s, asset, offer)? else {
        return fail(AssetFailure::UnknownOffer { asset, offer });
    };
    if !o.active {
        return fail(AssetFailure::OfferWithdrawn { asset, offer });
    }
    if o.price > max_price {
        return fail(AssetFailure::PriceAboveMax {
            price: o.price,
            max_price,
        });
    }
    let previous = state::held(s, buyer, asset, offer)?;
    let expires_at = if o.duration_blocks == 0 {
        None
    } else {
        let from = previous
            .and_then(|p| p.expires_at)
            .map_or(height, |e| e.max(height));
        Some(
            from.checked_add(o.duration_blocks)
                .ok_or(AssetFailure::Overflow)?,
        )
    };
    let mut events = Vec::new();
    if o.price > 0 {
        events.push(
            pay_into(
                s,
                g,
                buyer,
                Payment {
                    asset,
                    currency: o.currency,
                    amount: o.price,
                    licence: None,
                    work_bound,
                },
            )?
            .0,
        );
    }
    typed::put(
        s,
        state::held_key(buyer, asset, offer),
        &HeldLicence {
            kind: o.kind,
            upstream_share_bp: o.upstream_share_bp,
            expires_at,
            bought_at: height,
        },
    );
    events.push(AssetEvent::LicenceBought {
        asset,
        offer,
        holder: *buyer,
        expires_at,
    });
    Ok(events)
}

/// `Claim`: the sender's balance in `asset`'s vault, in `currency`.
pub fn claim<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    account: &AccountId,
    asset: AssetId,
    currency: Currency,
) -> AssetResult<AssetEvent> {
    require_asset(s, asset)?;
    let amount = state::claimable(s, account, asset, currency)?;
    if amount == 0 {
        return fail(AssetFailure::NothingToClaim { asset });
    }
    move_funds(s, currency, &vault_account(asset), account, amount)?;
    state::set_claimable(s, account, asset, currency, 0);
    Ok(AssetEvent::Claimed {
        asset,
        account: *account,
        currency,
        amount,
    })
}
