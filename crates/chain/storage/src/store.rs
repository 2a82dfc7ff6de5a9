//! The redb database: tables, atomic block commits, snapshots and queries.

use crate::commitment::{StateProof, prove};
use crate::delta::{PendingBlock, StateRead};
use crate::{Result, StorageError};
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{Node, NodeKey};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{Database, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;
use synod_primitives::tx::CallWeight;
use synod_primitives::{Block, Hash, Height, Receipt, decode_exact, encode};

const STATE: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("state");
const JMT_NODES: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const JMT_VALUES: TableDefinition<'_, ([u8; 32], u64), Option<&[u8]>> =
    TableDefinition::new("jmt_values");
const BLOCKS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("blocks");
const BLOCK_HASHES: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("block_hashes");
const FINALIZATIONS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("finalizations");
const RECEIPTS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("receipts");
const TX_INDEX: TableDefinition<'_, [u8; 32], (u64, u32)> = TableDefinition::new("tx_index");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");

const META_HEAD: &str = "head";

/// Upper bound on any stored record we decode (blocks are the largest).
const MAX_RECORD: usize = synod_primitives::block::MAX_BLOCK_SIZE;

/// The chain's database.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

/// Everything written when a block becomes final. Generic over the chain's call, event and
/// failure types (the composition crate's), which this crate does not know.
pub struct BlockCommit<'a, C, E, F> {
    /// The block.
    pub block: &'a Block<C>,
    /// Its execution result (writes and tree nodes).
    pub pending: &'a PendingBlock,
    /// Receipts in transaction order.
    pub receipts: &'a [Receipt<E, F>],
    /// Encoded finalization certificate (empty for genesis).
    pub finalization: &'a [u8],
}

/// Height and state root of the newest committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
struct Head {
    height: Height,
    hash: Hash,
    state_root: Hash,
}

impl Store {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)?;
        Self::init(db)
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn in_memory() -> Result<Self> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::init(db)
    }

    fn init(db: Database) -> Result<Self> {
        let w = db.begin_write()?;
        w.open_table(STATE)?;
        w.open_table(JMT_NODES)?;
        w.open_table(JMT_VALUES)?;
        w.open_table(BLOCKS)?;
        w.open_table(BLOCK_HASHES)?;
        w.open_table(FINALIZATIONS)?;
        w.open_table(RECEIPTS)?;
        w.open_table(TX_INDEX)?;
        w.open_table(META)?;
        w.commit()?;
        Ok(Store { db: Arc::new(db) })
    }

    /// A consistent read-only view of the last committed block's state.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let head =
            match meta.get(META_HEAD)? {
                Some(v) => Some(decode_exact::<Head>(v.value(), 1024).map_err(|e| {
                    StorageError::Corrupt {
                        table: "meta",
                        reason: e.to_string(),
                    }
                })?),
                None => None,
            };
        Ok(Snapshot {
            inner: Arc::new(SnapshotInner {
                head,
                state: txn.open_table(STATE)?,
                nodes: txn.open_table(JMT_NODES)?,
                values: txn.open_table(JMT_VALUES)?,
                blocks: txn.open_table(BLOCKS)?,
                block_hashes: txn.open_table(BLOCK_HASHES)?,
                finalizations: txn.open_table(FINALIZATIONS)?,
                receipts: txn.open_table(RECEIPTS)?,
                tx_index: txn.open_table(TX_INDEX)?,
            }),
        })
    }

    /// Makes a block durable: its state writes, tree nodes, the block, its receipts and
    /// transaction index, its finalization, and the new head, all in one fsynced transaction.
    /// Heights must be consecutive from 0.
    pub fn commit_block<C, E, F>(&self, c: BlockCommit<'_, C, E, F>) -> Result<()>
    where
        C: BorshSerialize + BorshDeserialize + CallWeight,
        E: BorshSerialize,
        F: BorshSerialize,
    {
        let height = c.block.height();
        let w = self.db.begin_write()?;
        {
            let mut meta = w.open_table(META)?;
            let committed = match meta.get(META_HEAD)? {
                Some(v) => Some(
                    decode_exact::<Head>(v.value(), 1024)
                        .map_err(|e| StorageError::Corrupt {
                            table: "meta",
                            reason: e.to_string(),
                        })?
                        .height,
                ),
                None => None,
            };
            let expected = committed.map_or(0, |h| h + 1);
            if height != expected || c.pending.height != height {
                return Err(StorageError::OutOfOrder {
                    got: height,
                    committed,
                });
            }
            let mut state = w.open_table(STATE)?;
            for (k, v) in &c.pending.changes {
                match v {
                    Some(v) => {
                        state.insert(k.as_slice(), v.as_slice())?;
                    }
                    None => {
                        state.remove(k.as_slice())?;
                    }
                }
            }
            let mut nodes = w.open_table(JMT_NODES)?;
            for (k, n) in c.pending.tree.nodes() {
                nodes.insert(encode(k).as_slice(), encode(n).as_slice())?;
            }
            let mut values = w.open_table(JMT_VALUES)?;
            for ((version, kh), v) in c.pending.tree.values() {
                values.insert((kh.0, *version), v.as_deref())?;
            }
            let hash = c.block.hash();
            w.open_table(BLOCKS)?
                .insert(height, c.block.encode().as_slice())?;
            w.open_table(BLOCK_HASHES)?.insert(hash.0, height)?;
            if !c.finalization.is_empty() {
                w.open_table(FINALIZATIONS)?
                    .insert(height, c.finalization)?;
            }
            let mut receipts = w.open_table(RECEIPTS)?;
            let mut tx_index = w.open_table(TX_INDEX)?;
            for r in c.receipts {
                receipts.insert((height, r.index), encode(r).as_slice())?;
                tx_index.insert(r.tx_hash.0, (height, r.index))?;
            }
            let head = Head {
                height,
                hash,
                state_root: c.block.header.state_root,
            };
            meta.insert(META_HEAD, encode(&head).as_slice())?;
        }
        w.commit()?;
        Ok(())
    }
}

struct SnapshotInner {
    head: Option<Head>,
    state: ReadOnlyTable<&'static [u8], &'static [u8]>,
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<([u8; 32], u64), Option<&'static [u8]>>,
    blocks: ReadOnlyTable<u64, &'static [u8]>,
    block_hashes: ReadOnlyTable<[u8; 32], u64>,
    finalizations: ReadOnlyTable<u64, &'static [u8]>,
    receipts: ReadOnlyTable<(u64, u32), &'static [u8]>,
    tx_index: ReadOnlyTable<[u8; 32], (u64, u32)>,
}

/// A consistent read view of everything committed up to one height. Cheap to clone.
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<SnapshotInner>,
}

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        table,
        reason: e.to_string(),
    }
}

impl Snapshot {
    /// Height of the newest committed block, `None` before genesis is committed.
    pub fn height(&self) -> Option<Height> {
        self.inner.head.map(|h| h.height)
    }

    /// Hash of the newest committed block.
    pub fn head_hash(&self) -> Option<Hash> {
        self.inner.head.map(|h| h.hash)
    }

    /// State root of the newest committed block.
    pub fn state_root(&self) -> Option<Hash> {
        self.inner.head.map(|h| h.state_root)
    }

    /// The block at `height`.
    pub fn block<C: BorshSerialize + BorshDeserialize + CallWeight>(
        &self,
        height: Height,
    ) -> Result<Option<Block<C>>> {
        match self.inner.blocks.get(height)? {
            Some(v) => Ok(Some(
                Block::decode(v.value()).map_err(|e| corrupt("blocks", e))?,
            )),
            None => Ok(None),
        }
    }

    /// Height of the block with `hash`.
    pub fn block_height(&self, hash: &Hash) -> Result<Option<Height>> {
        Ok(self.inner.block_hashes.get(hash.0)?.map(|v| v.value()))
    }

    /// The encoded finalization certificate of the block at `height`.
    pub fn finalization(&self, height: Height) -> Result<Option<Vec<u8>>> {
        Ok(self
            .inner
            .finalizations
            .get(height)?
            .map(|v| v.value().to_vec()))
    }

    /// The height of the block that included the transaction with `hash`, if this snapshot
    /// has it (without decoding its receipt).
    pub fn tx_height(&self, tx_hash: &Hash) -> Result<Option<Height>> {
        Ok(self.inner.tx_index.get(tx_hash.0)?.map(|loc| loc.value().0))
    }

    /// Receipt of the transaction with `hash`.
    pub fn receipt<E: BorshDeserialize, F: BorshDeserialize>(
        &self,
        tx_hash: &Hash,
    ) -> Result<Option<Receipt<E, F>>> {
        let Some(loc) = self.inner.tx_index.get(tx_hash.0)? else {
            return Ok(None);
        };
        let (h, i) = loc.value();
        match self.inner.receipts.get((h, i))? {
            Some(v) => Ok(Some(
                decode_exact(v.value(), MAX_RECORD).map_err(|e| corrupt("receipts", e))?,
            )),
            None => Err(corrupt("receipts", "indexed receipt missing")),
        }
    }

    /// All receipts of the block at `height`, in order.
    pub fn receipts<E: BorshDeserialize, F: BorshDeserialize>(
        &self,
        height: Height,
    ) -> Result<Vec<Receipt<E, F>>> {
        let mut out = Vec::new();
        for item in self
            .inner
            .receipts
            .range((height, 0)..=(height, u32::MAX))?
        {
            let (_, v) = item?;
            out.push(decode_exact(v.value(), MAX_RECORD).map_err(|e| corrupt("receipts", e))?);
        }
        Ok(out)
    }

    /// The value of `key` at a committed `height`, with a proof against that height's root.
    pub fn prove(&self, key: &[u8], height: Height) -> Result<StateProof> {
        prove(self, key, height)
    }

    /// All current state entries whose key starts with `prefix`, in key order (at most `limit`).
    pub fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for item in self.inner.state.range::<&[u8]>(prefix..)? {
            let (k, v) = item?;
            if !k.value().starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    pub(crate) fn tree_node(&self, key: &NodeKey) -> Result<Option<Node>> {
        match self.inner.nodes.get(encode(key).as_slice())? {
            Some(v) => Ok(Some(
                decode_exact(v.value(), MAX_RECORD).map_err(|e| corrupt("jmt_nodes", e))?,
            )),
            None => Ok(None),
        }
    }

    pub(crate) fn tree_value(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> Result<Option<OwnedValue>> {
        let mut range = self
            .inner
            .values
            .range((key_hash.0, 0)..=(key_hash.0, max_version))?;
        match range.next_back() {
            Some(item) => {
                let (_, v) = item?;
                Ok(v.value().map(<[u8]>::to_vec))
            }
            None => Ok(None),
        }
    }
}

impl StateRead for Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.state.get(key)?.map(|v| v.value().to_vec()))
    }
}

impl Snapshot {
    /// The state as it was after the committed block at `height`, read from the tree's
    /// versioned values (every version is kept, so any committed height can be read). Point
    /// reads only: the tree is keyed by hashed keys, so it cannot list a prefix.
    pub fn at(&self, height: Height) -> Result<HistoricState> {
        match self.height() {
            Some(head) if height <= head => Ok(HistoricState {
                snapshot: self.clone(),
                height,
            }),
            head => Err(StorageError::NotCommitted {
                height,
                head: head.unwrap_or(0),
            }),
        }
    }
}

/// The state after a past committed block (see [`Snapshot::at`]).
#[derive(Clone)]
pub struct HistoricState {
    snapshot: Snapshot,
    height: Height,
}

impl HistoricState {
    /// The height whose state this is.
    pub fn height(&self) -> Height {
        self.height
    }
}

impl StateRead for HistoricState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.snapshot
            .tree_value(self.height, crate::commitment::key_hash(key))
    }
}
