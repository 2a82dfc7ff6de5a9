//! Copy-on-write state deltas and the read path through them.

use crate::{Result, Snapshot};
use std::collections::BTreeMap;
use std::sync::Arc;
use synod_primitives::{Hash, Height};

/// Writes of a block or a transaction: key → new value, or `None` for a deletion. A `BTreeMap`
/// so that iteration (and therefore the state root) never depends on insertion order.
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Read access to state.
pub trait StateRead {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
}

/// An executed block that is not yet committed: its writes and the tree nodes they produced.
#[derive(Debug)]
pub struct PendingBlock {
    /// Block hash.
    pub hash: Hash,
    /// Block height (and tree version).
    pub height: Height,
    /// State root after the block.
    pub state_root: Hash,
    /// All writes of the block.
    pub changes: ChangeSet,
    /// Tree nodes and versioned values created by the block.
    pub tree: jmt::storage::NodeBatch,
}

/// State as seen by a block being executed: the committed snapshot, then the executed
/// ancestors that are not yet committed (oldest first), newest taking precedence.
#[derive(Clone)]
pub struct StateView {
    pub(crate) snapshot: Arc<Snapshot>,
    pub(crate) pending: Vec<Arc<PendingBlock>>,
}

impl StateView {
    /// A view over `snapshot` plus `pending` ancestors, which must be consecutive heights
    /// starting right after the snapshot's height.
    pub fn new(snapshot: Arc<Snapshot>, pending: Vec<Arc<PendingBlock>>) -> Self {
        StateView { snapshot, pending }
    }

    /// Height of the newest block visible in this view.
    pub fn height(&self) -> Option<Height> {
        self.pending
            .last()
            .map(|p| p.height)
            .or(self.snapshot.height())
    }

    /// State root of the newest block visible in this view.
    pub fn state_root(&self) -> Option<Hash> {
        self.pending
            .last()
            .map(|p| p.state_root)
            .or(self.snapshot.state_root())
    }
}

impl StateRead for StateView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        for p in self.pending.iter().rev() {
            if let Some(v) = p.changes.get(key) {
                return Ok(v.clone());
            }
        }
        self.snapshot.get(key)
    }
}

/// A view plus local writes: what a block or transaction sees while it runs. Writes stay here
/// until the owner takes them with [`Overlay::into_changes`] or drops them.
pub struct Overlay<'a, R: StateRead + ?Sized> {
    base: &'a R,
    changes: ChangeSet,
}

impl<'a, R: StateRead + ?Sized> Overlay<'a, R> {
    /// An empty overlay on `base`.
    pub fn new(base: &'a R) -> Self {
        Overlay {
            base,
            changes: ChangeSet::new(),
        }
    }

    /// Records a write.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    /// Records a deletion.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.changes.insert(key, None);
    }

    /// Moves `other`'s writes into this overlay (later writes win).
    pub fn absorb(&mut self, other: ChangeSet) {
        self.changes.extend(other);
    }

    /// The writes so far.
    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    /// Takes the writes.
    pub fn into_changes(self) -> ChangeSet {
        self.changes
    }
}

impl<R: StateRead + ?Sized> StateRead for Overlay<'_, R> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }
}

/// State held in a map: what module tests, property tests and benches execute calls against
/// (through an [`Overlay`], as the executor does) without a database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
}

impl MemState {
    /// Applies an overlay's changes (a `None` value deletes the key).
    pub fn apply(&mut self, changes: ChangeSet) {
        for (k, v) in changes {
            match v {
                Some(v) => {
                    self.0.insert(k, v);
                }
                None => {
                    self.0.remove(&k);
                }
            }
        }
    }
}
