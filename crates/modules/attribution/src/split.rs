//! Exact revenue split along a lineage DAG (consensus math: integers only,
//! checked arithmetic, no floating point, ordered maps only).
//!
//! **Model.** Every asset has parent edges, each with an upstream share in basis
//! points (from the licence under which the edge was made; shares of one asset
//! sum to at most [`BP_TOTAL`]), and contributor weights that sum to exactly
//! [`WEIGHT_TOTAL`] (or are empty: no contribution records, everything after
//! upstream goes to the owner). Edges point from a child to its parents; the
//! graph must stay acyclic.
//!
//! **Rule for an amount `P` arriving at asset `X`** (its vault inflow):
//! 1. each parent `p` with share `s` receives `⌊P · s / 10_000⌋` as an inflow,
//!    which is split again at `p` by this same rule (recursively up the DAG);
//! 2. of the rest `R = P − Σ upstream`, each contributor `c` with weight `w`
//!    receives `⌊R · w / WEIGHT_TOTAL⌋`;
//! 3. the owner of `X` receives `R − Σ contributors`: **every rounding remainder
//!    goes to the owner of the asset where it arose**.
//!
//! **Shared ancestors.** An asset reached along several paths (a diamond) sums
//! all its inflows first and splits that sum **once** (assets are processed in
//! topological order, every child before its parents). So the cost of a payment
//! is `O(ancestors + edges)`, never exponential in the number of paths, and an
//! ancestor gets at least the sum of the floors it would get path by path.
//!
//! The payouts ([`Split::payouts`]) sum to exactly the amount paid, to the base
//! unit. Overflow cannot happen (every intermediate is at most the amount, since
//! `⌊P·s/10_000⌋` is computed as `⌊P/10_000⌋·s + ⌊(P mod 10_000)·s/10_000⌋`), but
//! every operation is checked and reports [`SplitError::Overflow`] rather than
//! panicking. Beneficiaries are symbolic ([`Beneficiary::Owner`] of an asset,
//! not an account): the module resolves the current owner at payment time, so
//! an ownership transfer moves future revenue.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Debug;

use crate::weights::WEIGHT_TOTAL;

/// Basis points in the whole (100 %).
pub const BP_TOTAL: u16 = 10_000;

/// One parent edge of an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentEdge<A> {
    /// The upstream asset.
    pub parent: A,
    /// The parent's share of every payment to the child, in basis points.
    pub share_bp: u16,
}

/// An asset as the split sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetSpec<A, C> {
    /// Upstream edges (no parent twice).
    pub parents: Vec<ParentEdge<A>>,
    /// Contributor weights, summing to exactly [`WEIGHT_TOTAL`], or empty.
    pub weights: BTreeMap<C, u64>,
}

/// Who is paid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Beneficiary<A, C> {
    /// Whoever owns asset `A` when the payment is made.
    Owner(A),
    /// A contributor (summed over every asset it contributed to).
    Contributor(C),
}

/// The result of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<A, C> {
    /// Amount per beneficiary; zero amounts are left out; sums to the amount.
    pub payouts: BTreeMap<Beneficiary<A, C>, u128>,
    /// Total inflow into each asset's vault that this payment caused
    /// (the paid asset included, with the whole amount).
    pub inflows: BTreeMap<A, u128>,
}

/// Refusals of the lineage and of the split; nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError<A: Debug> {
    /// The asset is not in the lineage.
    #[error("unknown asset {0:?}")]
    UnknownAsset(A),
    /// The asset is already in the lineage.
    #[error("asset {0:?} already exists")]
    DuplicateAsset(A),
    /// A parent edge names an asset that does not exist.
    #[error("asset {child:?} names unknown parent {parent:?}")]
    UnknownParent {
        /// the child
        child: A,
        /// the missing parent
        parent: A,
    },
    /// The same parent appears twice.
    #[error("asset {child:?} names parent {parent:?} twice")]
    DuplicateParent {
        /// the child
        child: A,
        /// the repeated parent
        parent: A,
    },
    /// The edge would close a cycle (or the graph has one); `asset` is on it.
    #[error("lineage cycle through asset {asset:?}")]
    Cycle {
        /// an asset on the cycle
        asset: A,
    },
    /// Upstream shares of one asset sum above 10,000 bp.
    #[error("upstream shares of {asset:?} sum to {total_bp} bp, above 10000")]
    SharesExceed {
        /// the child
        asset: A,
        /// their sum
        total_bp: u32,
    },
    /// Contributor weights are neither empty nor sum to the total.
    #[error("contributor weights of {asset:?} sum to {sum}, expected {expected}")]
    WeightsSum {
        /// the asset
        asset: A,
        /// their sum
        sum: u128,
        /// [`WEIGHT_TOTAL`]
        expected: u64,
    },
    /// Checked arithmetic failed.
    #[error("arithmetic overflow in a split")]
    Overflow,
}

/// A validated, acyclic lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage<A, C> {
    assets: BTreeMap<A, AssetSpec<A, C>>,
}

impl<A: Ord + Clone + Debug, C: Ord + Clone> Default for Lineage<A, C> {
    fn default() -> Self {
        Self {
            assets: BTreeMap::new(),
        }
    }
}

fn check_weights<A: Debug + Clone, C>(
    asset: &A,
    weights: &BTreeMap<C, u64>,
) -> Result<(), SplitError<A>> {
    if weights.is_empty() {
        return Ok(());
    }
    let sum = weights
        .values()
        .try_fold(0u128, |a, &w| a.checked_add(u128::from(w)))
        .ok_or(SplitError::Overflow)?;
    if sum != u128::from(WEIGHT_TOTAL) {
        return Err(SplitError::WeightsSum {
            asset: asset.clone(),
            sum,
            expected: WEIGHT_TOTAL,
        });
    }
    Ok(())
}

fn check_shares<A: Debug + Clone + Ord>(
    asset: &A,
    parents: &[ParentEdge<A>],
) -> Result<(), SplitError<A>> {
    let mut seen = BTreeSet::new();
    let mut total: u32 = 0;
    for e in parents {
        if e.parent == *asset {
            return Err(SplitError::Cycle {
                asset: asset.clone(),
            });
        }
        if !seen.insert(&e.parent) {
            return Err(SplitError::DuplicateParent {
                child: asset.clone(),
                parent: e.parent.clone(),
            });
        }
        total = total
            .checked_add(u32::from(e.share_bp))
            .ok_or(SplitError::Overflow)?;
    }
    if total > u32::from(BP_TOTAL) {
        return Err(SplitError::SharesExceed {
            asset: asset.clone(),
            total_bp: total,
        });
    }
    Ok(())
}

/// `⌊amount · num / den⌋` without an intermediate larger than `amount` (for `num ≤ den`).
fn mul_div_floor(amount: u128, num: u128, den: u128) -> Option<u128> {
    let whole = (amount / den).checked_mul(num)?;
    let part = (amount % den).checked_mul(num)? / den;
    whole.checked_add(part)
}

impl<A: Ord + Clone + Debug, C: Ord + Clone> Lineage<A, C> {
    /// An empty lineage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a lineage from a whole map of assets, checking every rule
    /// (parents exist, no duplicate parent, shares ≤ 10,000 bp, weights sum,
    /// no cycle).
    pub fn from_specs(assets: BTreeMap<A, AssetSpec<A, C>>) -> Result<Self, SplitError<A>> {
        for (id, spec) in &assets {
            check_shares(id, &spec.parents)?;
            check_weights(id, &spec.weights)?;
            for e in &spec.parents {
                if !assets.contains_key(&e.parent) {
                    return Err(SplitError::UnknownParent {
                        child: id.clone(),
                        parent: e.parent.clone(),
                    });
                }
            }
        }
        // Kahn's algorithm, children before parents.
        let mut children: BTreeMap<&A, Vec<&A>> = BTreeMap::new();
        let mut pending_children: BTreeMap<&A, usize> = assets.keys().map(|a| (a, 0)).collect();
        for (id, spec) in &assets {
            for e in &spec.parents {
                children.entry(&e.parent).or_default().push(id);
                *pending_children
                    .get_mut(&e.parent)
                    .ok_or(SplitError::Overflow)? += 1;
            }
        }
        let mut queue: VecDeque<&A> = pending_children
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(a, _)| *a)
            .collect();
        let mut done = 0usize;
        while let Some(a) = queue.pop_front() {
            done += 1;
            for e in &assets[a].parents {
                let n = pending_children
                    .get_mut(&e.parent)
                    .ok_or(SplitError::Overflow)?;
                *n -= 1;
                if *n == 0 {
                    queue.push_back(&e.parent);
                }
            }
        }
        if done != assets.len() {
            // Every unprocessed asset has an unprocessed child: walk children
            // until one repeats; it lies on a cycle.
            let mut cur = pending_children
                .iter()
                .find(|(_, n)| **n > 0)
                .map(|(a, _)| *a)
                .ok_or(SplitError::Overflow)?;
            let mut seen = BTreeSet::new();
            while seen.insert(cur) {
                cur = children
                    .get(cur)
                    .and_then(|cs| cs.iter().find(|c| pending_children[**c] > 0))
                    .copied()
                    .ok_or(SplitError::Overflow)?;
            }
            return Err(SplitError::Cycle { asset: cur.clone() });
        }
        Ok(Self { assets })
    }

    /// Adds a new asset; its parents must already exist, so the lineage stays acyclic.
    pub fn add_asset(&mut self, id: A, spec: AssetSpec<A, C>) -> Result<(), SplitError<A>> {
        if self.assets.contains_key(&id) {
            return Err(SplitError::DuplicateAsset(id));
        }
        check_shares(&id, &spec.parents)?;
        check_weights(&id, &spec.weights)?;
        for e in &spec.parents {
            if !self.assets.contains_key(&e.parent) {
                return Err(SplitError::UnknownParent {
                    child: id,
                    parent: e.parent.clone(),
                });
            }
        }
        self.assets.insert(id, spec);
        Ok(())
    }

    /// Adds a parent edge to an existing asset, refusing a cycle.
    pub fn add_edge(&mut self, child: &A, edge: ParentEdge<A>) -> Result<(), SplitError<A>> {
        let spec = self
            .assets
            .get(child)
            .ok_or_else(|| SplitError::UnknownAsset(child.clone()))?;
        if !self.assets.contains_key(&edge.parent) {
            return Err(SplitError::UnknownParent {
                child: child.clone(),
                parent: edge.parent.clone(),
            });
        }
        let mut parents = spec.parents.clone();
        parents.push(edge.clone());
        check_shares(child, &parents)?;
        if self.ancestors(&edge.parent)?.contains(child) {
            return Err(SplitError::Cycle {
                asset: child.clone(),
            });
        }
        if let Some(s) = self.assets.get_mut(child) {
            s.parents = parents;
        }
        Ok(())
    }

    /// Replaces an asset's contributor weights.
    pub fn set_weights(
        &mut self,
        asset: &A,
        weights: BTreeMap<C, u64>,
    ) -> Result<(), SplitError<A>> {
        check_weights(asset, &weights)?;
        let spec = self
            .assets
            .get_mut(asset)
            .ok_or_else(|| SplitError::UnknownAsset(asset.clone()))?;
        spec.weights = weights;
        Ok(())
    }

    /// The asset's spec.
    pub fn get(&self, asset: &A) -> Option<&AssetSpec<A, C>> {
        self.assets.get(asset)
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Whether there is no asset.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// The asset and all its ancestors.
    pub fn ancestors(&self, asset: &A) -> Result<BTreeSet<A>, SplitError<A>> {
        if !self.assets.contains_key(asset) {
            return Err(SplitError::UnknownAsset(asset.clone()));
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![asset.clone()];
        while let Some(a) = stack.pop() {
            if seen.insert(a.clone()) {
                for e in &self.assets[&a].parents {
                    stack.push(e.parent.clone());
                }
            }
        }
        Ok(seen)
    }

    /// Splits `amount` paid to `asset` (see the module doc for the rule).
    pub fn split(&self, asset: &A, amount: u128) -> Result<Split<A, C>, SplitError<A>> {
        let set = self.ancestors(asset)?;
        let mut pending_children: BTreeMap<&A, usize> = set.iter().map(|a| (a, 0)).collect();
        for a in &set {
            for e in &self.assets[a].parents {
                *pending_children
                    .get_mut(&e.parent)
                    .ok_or(SplitError::Overflow)? += 1;
            }
        }
        let mut inflow: BTreeMap<A, u128> = BTreeMap::new();
        inflow.insert(asset.clone(), amount);
        let mut payouts: BTreeMap<Beneficiary<A, C>, u128> = BTreeMap::new();
        let mut credit = |b: Beneficiary<A, C>, v: u128| -> Result<(), SplitError<A>> {
            if v > 0 {
                let slot = payouts.entry(b).or_insert(0);
                *slot = slot.checked_add(v).ok_or(SplitError::Overflow)?;
            }
            Ok(())
        };
        let mut queue: VecDeque<&A> = VecDeque::from([asset]);
        while let Some(a) = queue.pop_front() {
            let p = inflow.get(a).copied().unwrap_or(0);
            let spec = &self.assets[a];
            let mut rest = p;
            for e in &spec.parents {
                let part = mul_div_floor(p, u128::from(e.share_bp), u128::from(BP_TOTAL))
                    .ok_or(SplitError::Overflow)?;
                rest = rest.checked_sub(part).ok_or(SplitError::Overflow)?;
                let slot = inflow.entry(e.parent.clone()).or_insert(0);
                *slot = slot.checked_add(part).ok_or(SplitError::Overflow)?;
                let n = pending_children
                    .get_mut(&e.parent)
                    .ok_or(SplitError::Overflow)?;
                *n = n.checked_sub(1).ok_or(SplitError::Overflow)?;
                if *n == 0 {
                    queue.push_back(&e.parent);
                }
            }
            let mut owner = rest;
            for (c, &w) in &spec.weights {
                let part = mul_div_floor(rest, u128::from(w), u128::from(WEIGHT_TOTAL))
                    .ok_or(SplitError::Overflow)?;
                owner = owner.checked_sub(part).ok_or(SplitError::Overflow)?;
                credit(Beneficiary::Contributor(c.clone()), part)?;
            }
            credit(Beneficiary::Owner(a.clone()), owner)?;
        }
        Ok(Split {
            payouts,
            inflows: inflow,
        })
    }
}
