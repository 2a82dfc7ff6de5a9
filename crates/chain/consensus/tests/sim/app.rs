//! A real state machine for simulations: `synod-execution`'s [`Executor`] over an in-memory
//! `synod-storage` [`Store`], with every proposal carrying signed transfers so that each height
//! has its own state root.
//!
//! Every node records what it committed (height, hash, the state root its own execution
//! computed, virtual time), and all nodes of a simulation share one [`Ledger`] that flags the
//! moment two nodes finalize different blocks (or roots) at one height.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};
use synod_consensus::Application;
use synod_execution::{BlockError, ExecutedBlock, Executor, bank, executor::BlockLimits};
use synod_primitives::{AccountId, Hash, Header, Keypair, keys::DEV_ACCOUNT_NAMES};
use synod_runtime::BankCall;
use synod_runtime::{Block, Call, Genesis, SignedTransaction, Transaction, TxOutcome};
use synod_storage::{BlockCommit, StateView, Store};

/// Virtual time in milliseconds since the Unix epoch (the runtime's clock).
pub type ClockFn = Arc<dyn Fn() -> u64 + Send + Sync>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The chain every simulated node runs: the dev genesis with `validators` as the set.
pub fn chain_genesis(validators: &[AccountId]) -> Genesis {
    Genesis::dev(validators.to_vec())
}

/// What every node finalized, across the whole simulation.
#[derive(Default)]
pub struct Ledger {
    /// The first (block hash, state root) any node finalized at each height.
    pub finalized: BTreeMap<u64, (Hash, Hash)>,
    /// Virtual time (ms) each block was built, by hash.
    pub proposed_at: BTreeMap<Hash, u64>,
    /// Safety violations seen (conflicting finalized blocks or roots, broken delivery order).
    pub violations: Vec<String>,
}

/// One committed block as a node saw it.
#[derive(Clone, Debug)]
pub struct Commit {
    pub height: u64,
    pub hash: Hash,
    /// The root this node's own execution produced (checked equal to the header's).
    pub state_root: Hash,
    /// Virtual time (ms) of the commit.
    pub at_ms: u64,
    pub txs: usize,
    /// Transactions whose call succeeded.
    pub succeeded: usize,
}

struct Inner {
    index: usize,
    me: AccountId,
    executor: Executor,
    store: Store,
    genesis: Arc<Block>,
    /// Dev accounts that send the generated transfers.
    senders: Vec<Keypair>,
    txs_per_block: usize,
    /// Added to proposal timestamps: an equivocating twin uses it to build a block that
    /// differs from its sibling's on the same parent.
    skew_ms: u64,
    clock: ClockFn,
    /// (parent, block) of every proposal this node built.
    proposals: Mutex<Vec<(Hash, Hash)>>,
    /// Executed blocks above the committed head (lookups only).
    executed: Mutex<HashMap<Hash, ExecutedBlock>>,
    commits: Mutex<Vec<Commit>>,
    rejected: Mutex<usize>,
    ledger: Arc<Mutex<Ledger>>,
    /// Calls to include once each, signed by their key at a fixed nonce (so a block built on
    /// an ancestor that already carries one does not repeat it).
    queued: Mutex<Vec<(Keypair, u64, Call)>>,
}

/// The simulated node's application. Clones share state; a restart builds a new one over the
/// same [`Store`] (the "disk"), losing only the cache of unfinalized blocks.
#[derive(Clone)]
pub struct ExecApp {
    inner: Arc<Inner>,
}

impl ExecApp {
    /// Opens the application over `store`, committing genesis if the store is empty. `commits`
    /// carries the commit record across a restart.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        index: usize,
        me: AccountId,
        genesis: &Genesis,
        store: Store,
        txs_per_block: usize,
        clock: ClockFn,
        ledger: Arc<Mutex<Ledger>>,
        commits: Vec<Commit>,
    ) -> Result<Self, String> {
        let executor = Executor::new(genesis.clone());
        let scratch = Store::in_memory().map_err(|e| e.to_string())?;
        let empty = StateView::new(
            Arc::new(scratch.snapshot().map_err(|e| e.to_string())?),
            Vec::new(),
        );
        let g = executor.genesis_block(&empty).map_err(|e| e.to_string())?;
        let snap = store.snapshot().map_err(|e| e.to_string())?;
        match snap
            .block::<synod_runtime::Call>(0)
            .map_err(|e| e.to_string())?
        {
            Some(stored) if stored.hash() != g.block.hash() => {
                return Err("store holds another chain".into());
            }
            Some(_) => {}
            None => store
                .commit_block(BlockCommit {
                    block: &g.block,
                    pending: &g.pending,
                    receipts: &g.receipts,
                    finalization: &[],
                })
                .map_err(|e| e.to_string())?,
        }
        let senders = DEV_ACCOUNT_NAMES.iter().map(|n| Keypair::dev(n)).collect();
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                me,
                executor,
                store,
                genesis: g.block,
                senders,
                txs_per_block: txs_per_block.min(DEV_ACCOUNT_NAMES.len()),
                skew_ms: 0,
                clock,
                proposals: Mutex::new(Vec::new()),
                executed: Mutex::new(HashMap::new()),
                commits: Mutex::new(commits),
                rejected: Mutex::new(0),
                ledger,
                queued: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The same application, building blocks with timestamps `ms` later (a fresh app only).
    pub fn with_skew(mut self, ms: u64) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.skew_ms = ms;
        }
        self
    }

    /// (parent, block) of every block this node proposed.
    pub fn proposals(&self) -> Vec<(Hash, Hash)> {
        lock(&self.inner.proposals).clone()
    }

    pub fn me(&self) -> AccountId {
        self.inner.me
    }

    /// Highest height committed to this node's store.
    pub fn committed_height(&self) -> u64 {
        self.inner
            .store
            .snapshot()
            .ok()
            .and_then(|s| s.height())
            .unwrap_or(0)
    }

    /// The store's head state root (what a restarted node would resume from).
    pub fn stored_root(&self) -> Option<Hash> {
        self.inner
            .store
            .snapshot()
            .ok()
            .and_then(|s| s.state_root())
    }

    pub fn commits(&self) -> Vec<Commit> {
        lock(&self.inner.commits).clone()
    }

    /// Queues `call` from `key` at `nonce` for this node's proposals (until some block has it).
    pub fn queue(&self, key: Keypair, nonce: u64, call: Call) {
        lock(&self.inner.queued).push((key, nonce, call));
    }

    /// The proposer of the committed block at `height`.
    pub fn proposer(&self, height: u64) -> Option<AccountId> {
        let snap = self.inner.store.snapshot().ok()?;
        snap.block::<synod_runtime::Call>(height)
            .ok()
            .flatten()
            .map(|b| b.header.proposer)
    }

    /// Whether nothing queued is still waiting.
    pub fn queue_empty(&self) -> bool {
        lock(&self.inner.queued).is_empty()
    }

    /// The committed nonce of `account`.
    pub fn nonce(&self, account: &AccountId) -> u64 {
        let snap = self.inner.store.snapshot().expect("snapshot");
        bank::account(&snap, account).map(|a| a.nonce).unwrap_or(0)
    }

    /// Number of proposals this node's execution rejected.
    pub fn rejected(&self) -> usize {
        *lock(&self.inner.rejected)
    }

    fn now_ms(&self) -> u64 {
        (self.inner.clock)()
    }

    /// The state after `parent` and its header: committed snapshot plus executed ancestors.
    fn view_after(&self, parent: &Hash) -> Result<(StateView, Header), String> {
        let executed = lock(&self.inner.executed);
        let snap = Arc::new(self.inner.store.snapshot().map_err(|e| e.to_string())?);
        let head_hash = snap.head_hash().unwrap_or(Hash::ZERO);
        let head_height = snap.height().unwrap_or(0);
        let mut chain = Vec::new();
        let mut cursor = *parent;
        while cursor != head_hash {
            let e = executed
                .get(&cursor)
                .ok_or_else(|| format!("unknown ancestor {cursor}"))?;
            if e.block.height() <= head_height {
                return Err(format!("{parent} conflicts with the finalized chain"));
            }
            chain.push(e.pending.clone());
            cursor = e.block.header.parent;
        }
        let header = match executed.get(parent) {
            Some(e) => e.block.header.clone(),
            None => {
                snap.block::<synod_runtime::Call>(head_height)
                    .map_err(|e| e.to_string())?
                    .ok_or("missing head block")?
                    .header
            }
        };
        chain.reverse();
        Ok((StateView::new(snap, chain), header))
    }

    fn is_known_block(&self, hash: &Hash) -> bool {
        lock(&self.inner.executed).contains_key(hash)
            || matches!(
                self.inner
                    .store
                    .snapshot()
                    .and_then(|s| s.block_height(hash)),
                Ok(Some(_))
            )
    }

    fn execute(&self, block: &Block) -> Result<ExecutedBlock, String> {
        let (view, parent) = self.view_after(&block.header.parent)?;
        let executed = self
            .inner
            .executor
            .execute_block(&view, &parent, block, true)
            .map_err(|e: BlockError| e.to_string())?;
        lock(&self.inner.executed).insert(block.hash(), executed.clone());
        Ok(executed)
    }

    fn ensure_executed(&self, ancestry: &[Arc<Block>]) -> Result<(), String> {
        for b in ancestry {
            if !self.is_known_block(&b.hash()) {
                self.execute(b)?;
            }
        }
        Ok(())
    }

    /// Signed transfers valid on `view`: distinct senders rotating with the height, each at its
    /// next nonce, paying exactly the minimum fee, amounts that depend on the height.
    fn transfers(&self, view: &StateView, height: u64) -> Vec<Arc<SignedTransaction>> {
        let genesis = self.inner.executor.genesis();
        let n = self.inner.senders.len();
        let gh = self.inner.executor.genesis_hash();
        let queued = lock(&self.inner.queued).clone();
        let mut out: Vec<Arc<SignedTransaction>> = Vec::new();
        for (key, nonce, call) in &queued {
            let current = bank::account(view, &key.account()).map_or(0, |a| a.nonce);
            // One per sender and block, in nonce order; earlier ones already in the ancestry.
            if current != *nonce || out.iter().any(|t| t.tx.sender == key.account()) {
                continue;
            }
            let mut tx = Transaction {
                chain_id: genesis.chain_id.clone(),
                sender: key.account(),
                nonce: *nonce,
                fee: 0,
                call: call.clone(),
            };
            let size = tx.clone().sign(key, &gh).encode().len();
            tx.fee = genesis.fees.min_fee(size, &tx.call);
            out.push(Arc::new(tx.sign(key, &gh)));
        }
        let busy: Vec<AccountId> = queued.iter().map(|(k, _, _)| k.account()).collect();
        let generated: Vec<Arc<SignedTransaction>> = (0..self.inner.txs_per_block)
            .filter_map(|j| {
                let s = (height as usize)
                    .wrapping_mul(self.inner.txs_per_block)
                    .wrapping_add(j)
                    % n;
                let key = &self.inner.senders[s];
                if busy.contains(&key.account()) {
                    return None;
                }
                let to = self.inner.senders[(s + 1) % n].account();
                let nonce = bank::account(view, &key.account()).ok()?.nonce;
                let mut tx = Transaction {
                    chain_id: genesis.chain_id.clone(),
                    sender: key.account(),
                    nonce,
                    fee: 0,
                    call: Call::Bank(BankCall::Transfer {
                        to,
                        amount: 1_000 + height,
                    }),
                };
                // The fee is a fixed-width field, so the size is the same once it is set.
                let size = tx.clone().sign(key, &gh).encode().len();
                tx.fee = genesis.fees.min_fee(size, &tx.call);
                Some(Arc::new(tx.sign(key, &gh)))
            })
            .collect();
        out.extend(generated);
        out
    }

    fn build(&self, ancestry: &[Arc<Block>]) -> Result<Option<Block>, String> {
        self.ensure_executed(ancestry)?;
        let Some(parent) = ancestry.last() else {
            return Ok(None);
        };
        let (view, parent_header) = self.view_after(&parent.hash())?;
        let candidates = self.transfers(&view, parent_header.height + 1);
        let built = self
            .inner
            .executor
            .build_block(
                &view,
                &parent_header,
                self.inner.me,
                self.now_ms() + self.inner.skew_ms,
                candidates,
                BlockLimits::default(),
            )
            .map_err(|e| e.to_string())?;
        if !built.rejected.is_empty() {
            return Err(format!(
                "generated transfers were rejected: {:?}",
                built.rejected
            ));
        }
        let block = built.executed.block.as_ref().clone();
        lock(&self.inner.executed).insert(block.hash(), built.executed);
        Ok(Some(block))
    }

    fn violation(&self, msg: String) -> String {
        let msg = format!("node {}: {msg}", self.inner.index);
        lock(&self.inner.ledger).violations.push(msg.clone());
        msg
    }

    fn commit(&self, block: &Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), String> {
        let height = block.height();
        let snap = self.inner.store.snapshot().map_err(|e| e.to_string())?;
        let committed = snap.height().unwrap_or(0);
        if height <= committed {
            // Redelivery after a restart: it must be the block already committed there.
            let stored = snap
                .block::<synod_runtime::Call>(height)
                .map_err(|e| e.to_string())?;
            if stored.map(|b| b.hash()) != Some(block.hash()) {
                return Err(self.violation(format!(
                    "redelivered height {height} differs from the committed block"
                )));
            }
            return Ok(());
        }
        if height != committed + 1 {
            return Err(self.violation(format!("gap: height {height} after {committed}")));
        }
        let cached = lock(&self.inner.executed).get(&block.hash()).cloned();
        let executed = match cached {
            Some(e) => e,
            None => self.execute(block)?,
        };
        if executed.pending.state_root != block.header.state_root {
            return Err(self.violation(format!("height {height}: root differs from header")));
        }
        self.inner
            .store
            .commit_block(BlockCommit {
                block: &executed.block,
                pending: &executed.pending,
                receipts: &executed.receipts,
                finalization: finalization.as_deref().unwrap_or(&[]),
            })
            .map_err(|e| e.to_string())?;
        lock(&self.inner.executed).retain(|_, e| e.block.height() > height);

        let record = Commit {
            height,
            hash: block.hash(),
            state_root: executed.pending.state_root,
            at_ms: self.now_ms(),
            txs: block.txs.len(),
            succeeded: executed
                .receipts
                .iter()
                // The end-block receipt (validator-set changes at epoch boundaries) is not a
                // transaction's.
                .filter(|r| !r.is_end_block() && r.outcome == TxOutcome::Success)
                .count(),
        };
        {
            let mut ledger = lock(&self.inner.ledger);
            let first = *ledger
                .finalized
                .entry(height)
                .or_insert((record.hash, record.state_root));
            if first != (record.hash, record.state_root) {
                let msg = format!(
                    "node {}: height {height} finalized as {}/{} but another node has {}/{}",
                    self.inner.index, record.hash, record.state_root, first.0, first.1
                );
                ledger.violations.push(msg);
            }
        }
        lock(&self.inner.commits).push(record);
        Ok(())
    }
}

impl Application for ExecApp {
    fn genesis(&self) -> Block {
        self.inner.genesis.as_ref().clone()
    }

    fn propose(&self, ancestry: &[Arc<Block>]) -> Option<Block> {
        match self.build(ancestry) {
            Ok(block) => {
                if let Some(b) = &block {
                    lock(&self.inner.proposals).push((b.header.parent, b.hash()));
                    let at = self.now_ms();
                    lock(&self.inner.ledger).proposed_at.insert(b.hash(), at);
                }
                block
            }
            Err(e) => {
                self.violation(format!("could not build: {e}"));
                None
            }
        }
    }

    fn verify(&self, ancestry: &[Arc<Block>], block: &Block) -> bool {
        if lock(&self.inner.executed).contains_key(&block.hash()) {
            return true;
        }
        let ok = self.ensure_executed(ancestry).is_ok() && self.execute(block).is_ok();
        if !ok {
            *lock(&self.inner.rejected) += 1;
        }
        ok
    }

    fn is_known(&self, hash: &Hash) -> bool {
        self.is_known_block(hash)
    }

    fn finalized(&self, block: Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), String> {
        self.commit(&block, finalization)?;
        lock(&self.inner.queued).retain(|(key, nonce, _)| {
            !block
                .txs
                .iter()
                .any(|t| t.tx.sender == key.account() && t.tx.nonce == *nonce)
        });
        Ok(())
    }

    fn validator_set(&self, epoch: u64) -> Option<Vec<AccountId>> {
        let snap = self.inner.store.snapshot().ok()?;
        synod_execution::validators::set_for_epoch(&snap, epoch)
            .ok()
            .flatten()
            .map(|set| set.into_iter().map(|(a, _)| a).collect())
    }
}
