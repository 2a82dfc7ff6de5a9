//! The application the consensus engine drives.

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use synod_execution::bank;
use synod_execution::executor::BlockLimits;
use synod_execution::{BlockError, ExecutedBlock, Executor};
use synod_mempool::{Mempool, SenderState};
use synod_primitives::{AccountId, Hash, Header, Keypair, Nonce, decode_exact};
use synod_rpc::{FinalizedBlock, Metrics, NodeStatus};
use synod_runtime::validators::ValidatorCall;
use synod_runtime::{Block, Call, SignedTransaction, Transaction};
use synod_storage::{BlockCommit, StateView, StorageError, Store};
use tokio::sync::broadcast;

/// Why the application could not set itself up or handle a block.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Executing a block failed.
    #[error(transparent)]
    Block(#[from] BlockError),
    /// The data directory belongs to another chain.
    #[error(
        "the database holds genesis {found}, but this chain's genesis is {expected}: wrong data directory or genesis file"
    )]
    GenesisMismatch {
        /// Genesis hash computed from the genesis description.
        expected: Hash,
        /// Genesis hash in the database.
        found: Hash,
    },
    /// A block's ancestor is neither committed nor executed.
    #[error("ancestor {0} of the block is unknown")]
    UnknownAncestor(Hash),
    /// A block builds on a chain that conflicts with the finalized one.
    #[error("block {0} extends a chain that conflicts with the finalized chain")]
    ConflictsWithFinalized(Hash),
}

struct Inner {
    executor: Executor,
    store: Store,
    mempool: Arc<Mempool>,
    proposer: AccountId,
    genesis: Arc<Block>,
    /// Executed blocks above the committed head, by hash. Looked up, never iterated in a way
    /// that affects results.
    executed: RwLock<HashMap<Hash, ExecutedBlock>>,
    /// Serializes commits so that each finalized block is committed exactly once.
    commit: Mutex<()>,
    finalized: broadcast::Sender<FinalizedBlock>,
    status: Arc<NodeStatus>,
    metrics: Arc<Metrics>,
    limits: BlockLimits,
    reporter: Option<Keypair>,
}

/// Connects consensus to execution, storage and the mempool. Cheap to clone.
#[derive(Clone)]
pub struct ChainApp {
    inner: Arc<Inner>,
}

/// Everything the application is built from.
pub struct AppParts {
    /// The state machine.
    pub executor: Executor,
    /// The database.
    pub store: Store,
    /// The pool proposals draw from.
    pub mempool: Arc<Mempool>,
    /// This node's account (collects fees of blocks it proposes).
    pub proposer: AccountId,
    /// Where finalized blocks are announced.
    pub finalized: broadcast::Sender<FinalizedBlock>,
    /// Live status shared with RPC.
    pub status: Arc<NodeStatus>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Block filling limits.
    pub limits: BlockLimits,
    /// The key this node signs equivocation reports with (its validator key); `None` files
    /// none.
    pub reporter: Option<Keypair>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl ChainApp {
    /// Builds the application, committing genesis on first start and checking on later
    /// starts that the database belongs to this chain.
    pub fn new(parts: AppParts) -> Result<Self, AppError> {
        let scratch = Store::in_memory()?;
        let empty = StateView::new(Arc::new(scratch.snapshot()?), Vec::new());
        let genesis = parts.executor.genesis_block(&empty)?;
        let snap = parts.store.snapshot()?;
        match snap.block::<synod_runtime::Call>(0)? {
            Some(stored) => {
                if stored.hash() != genesis.block.hash() {
                    return Err(AppError::GenesisMismatch {
                        expected: genesis.block.hash(),
                        found: stored.hash(),
                    });
                }
            }
            None => parts.store.commit_block(BlockCommit {
                block: &genesis.block,
                pending: &genesis.pending,
                receipts: &genesis.receipts,
                finalization: &[],
            })?,
        }
        let committed = parts.store.snapshot()?.height().unwrap_or(0);
        parts
            .status
            .latest_height
            .store(committed, Ordering::Relaxed);
        parts.metrics.finalized_height.set(committed as i64);
        Ok(ChainApp {
            inner: Arc::new(Inner {
                executor: parts.executor,
                store: parts.store,
                mempool: parts.mempool,
                proposer: parts.proposer,
                genesis: genesis.block,
                executed: RwLock::new(HashMap::new()),
                commit: Mutex::new(()),
                finalized: parts.finalized,
                status: parts.status,
                metrics: parts.metrics,
                limits: parts.limits,
                reporter: parts.reporter,
            }),
        })
    }

    /// The state after block `parent`, and its header: the committed snapshot plus the
    /// executed blocks between it and `parent`.
    fn view_after(&self, parent: &Hash) -> Result<(StateView, Header), AppError> {
        let executed = self.inner.executed.read();
        let snap = Arc::new(self.inner.store.snapshot()?);
        let head_hash = snap.head_hash().unwrap_or(Hash::ZERO);
        let head_height = snap.height().unwrap_or(0);
        let mut chain = Vec::new();
        let mut cursor = *parent;
        while cursor != head_hash {
            let e = executed
                .get(&cursor)
                .ok_or(AppError::UnknownAncestor(cursor))?;
            if e.block.height() <= head_height {
                return Err(AppError::ConflictsWithFinalized(*parent));
            }
            chain.push(e.pending.clone());
            cursor = e.block.header.parent;
        }
        let header = match executed.get(parent) {
            Some(e) => e.block.header.clone(),
            None => {
                snap.block::<synod_runtime::Call>(head_height)?
                    .ok_or(AppError::UnknownAncestor(*parent))?
                    .header
            }
        };
        chain.reverse();
        Ok((StateView::new(snap, chain), header))
    }

    fn execute(&self, block: &Block) -> Result<ExecutedBlock, AppError> {
        let started = Instant::now();
        let (view, parent) = self.view_after(&block.header.parent)?;
        let executed = self
            .inner
            .executor
            .execute_block(&view, &parent, block, true)?;
        self.inner
            .metrics
            .block_execution_seconds
            .observe(started.elapsed().as_secs_f64());
        self.remember(executed.clone());
        Ok(executed)
    }

    fn remember(&self, executed: ExecutedBlock) {
        self.inner
            .status
            .latest_height
            .fetch_max(executed.block.height(), Ordering::Relaxed);
        self.inner
            .executed
            .write()
            .insert(executed.block.hash(), executed);
    }

    fn ensure_executed(&self, ancestry: &[Arc<Block>]) -> Result<(), AppError> {
        for b in ancestry {
            if !self.is_known_block(&b.hash()) {
                self.execute(b)?;
            }
        }
        Ok(())
    }

    fn is_known_block(&self, hash: &Hash) -> bool {
        if self.inner.executed.read().contains_key(hash) {
            return true;
        }
        matches!(
            self.inner
                .store
                .snapshot()
                .and_then(|s| s.block_height(hash)),
            Ok(Some(_))
        )
    }

    fn next_nonce(view: &StateView) -> impl Fn(&AccountId) -> Nonce + '_ {
        move |who| bank::account(view, who).map(|a| a.nonce).unwrap_or(0)
    }

    fn build(&self, ancestry: &[Arc<Block>]) -> Result<Option<Block>, AppError> {
        self.ensure_executed(ancestry)?;
        let Some(parent) = ancestry.last() else {
            return Ok(None);
        };
        let started = Instant::now();
        let (view, parent_header) = self.view_after(&parent.hash())?;
        let candidates = self
            .inner
            .mempool
            .select(self.inner.limits.max_txs, Self::next_nonce(&view));
        let built = self.inner.executor.build_block(
            &view,
            &parent_header,
            self.inner.proposer,
            now_ms(),
            candidates,
            self.inner.limits,
        )?;
        if !built.rejected.is_empty() {
            let hashes: Vec<Hash> = built.rejected.iter().map(|r| r.hash).collect();
            tracing::debug!(
                count = hashes.len(),
                "dropping transactions the proposer could not include"
            );
            self.inner
                .mempool
                .remove(&hashes, &[], Self::next_nonce(&view));
        }
        self.inner
            .metrics
            .block_execution_seconds
            .observe(started.elapsed().as_secs_f64());
        let block = built.executed.block.as_ref().clone();
        self.remember(built.executed);
        Ok(Some(block))
    }

    fn commit(&self, block: &Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), AppError> {
        let _serial = self.inner.commit.lock();
        let committed = self.inner.store.snapshot()?.height();
        if committed.is_some_and(|h| h >= block.height()) {
            return Ok(()); // delivered again after a restart
        }
        let cached = self.inner.executed.read().get(&block.hash()).cloned();
        let executed = match cached {
            Some(e) => e,
            None => self.execute(block)?,
        };
        let started = Instant::now();
        {
            // Hold the cache's write lock across commit and prune so that no view is built
            // from an old snapshot with already-pruned ancestors.
            let mut cache = self.inner.executed.write();
            self.inner.store.commit_block(BlockCommit {
                block: &executed.block,
                pending: &executed.pending,
                receipts: &executed.receipts,
                finalization: finalization.as_deref().unwrap_or(&[]),
            })?;
            let height = block.height();
            cache.retain(|_, e| e.block.height() > height);
        }
        let m = &self.inner.metrics;
        m.block_commit_seconds
            .observe(started.elapsed().as_secs_f64());
        m.blocks_finalized.inc();
        m.txs_finalized.inc_by(block.txs.len() as u64);
        m.finalized_height.set(block.height() as i64);

        let included: Vec<Hash> = executed.receipts.iter().map(|r| r.tx_hash).collect();
        if !included.is_empty() {
            let snap = self.inner.store.snapshot()?;
            let senders: Vec<AccountId> = block.txs.iter().map(|t| t.tx.sender).collect();
            self.inner.mempool.remove(&included, &senders, |who| {
                bank::account(&snap, who).map(|a| a.nonce).unwrap_or(0)
            });
        }
        m.mempool_size.set(self.inner.mempool.len() as i64);
        // Nobody listening is fine.
        let _ = self.inner.finalized.send(FinalizedBlock {
            block: executed.block.clone(),
            receipts: executed.receipts.clone(),
        });
        Ok(())
    }
}

impl ChainApp {
    /// Files an equivocation report signed by this node's key into the local pool, so that the
    /// next block this node proposes (or one built from gossip) slashes the offender. Returns
    /// the report's hash, or why none was pooled (no key, no funds for the fee, or an identical
    /// report already pooled).
    pub fn report_equivocation(&self, evidence: Vec<u8>) -> Result<Hash, String> {
        let key = self
            .inner
            .reporter
            .as_ref()
            .ok_or("this node files no reports")?;
        let me = key.account();
        let snap = self.inner.store.snapshot().map_err(|e| e.to_string())?;
        let info = bank::account(&snap, &me).map_err(|e| e.to_string())?;
        let genesis = self.inner.executor.genesis();
        let call = Call::Validators(ValidatorCall::ReportEquivocation { evidence });
        let mut tx = Transaction {
            chain_id: genesis.chain_id.clone(),
            sender: me,
            nonce: self.inner.mempool.next_nonce(&me, info.nonce),
            fee: 0,
            call,
        };
        // The fee depends on the encoded size, which depends (slightly) on the fee.
        let sized = tx.clone().sign(key, &self.inner.executor.genesis_hash());
        tx.fee = genesis.fees.min_fee(sized.encode().len() + 16, &tx.call);
        let signed = tx.sign(key, &self.inner.executor.genesis_hash());
        let size = signed.encode().len();
        let mut results = self
            .inner
            .mempool
            .admit_batch(vec![(signed, size)], |_| SenderState::from(info));
        match results.pop() {
            Some(Ok(hash)) => Ok(hash),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("the pool returned no result".into()),
        }
    }

    /// Admits a peer's gossiped transactions to the local pool. Returns how many were new.
    /// Duplicates and transactions already included are refused by the pool and ignored;
    /// nothing admitted here is gossiped again.
    pub fn admit_gossip(&self, from: AccountId, payload: &[u8]) -> usize {
        let txs: Vec<SignedTransaction> = match decode_exact(payload, payload.len()) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(peer = %from, error = %e, "undecodable transaction gossip");
                return 0;
            }
        };
        if txs.len() > crate::gossip::MAX_GOSSIP_TXS {
            tracing::warn!(peer = %from, count = txs.len(), "oversized transaction gossip");
            return 0;
        }
        let batch: Vec<(SignedTransaction, usize)> = txs
            .into_iter()
            .map(|t| {
                let size = t.encode().len();
                (t, size)
            })
            .collect();
        let snap = match self.inner.store.snapshot() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read state to admit gossip");
                return 0;
            }
        };
        let next = snap.height().map_or(0, |h| h + 1);
        let runtime = self.inner.executor.runtime();
        let results = self.inner.mempool.admit_batch_checked(
            batch,
            |who| bank::account(&snap, who).unwrap_or_default().into(),
            |tx| runtime.admission_check(&snap, next, &tx.tx.sender, &tx.tx.call),
        );
        let admitted = results.iter().filter(|r| r.is_ok()).count();
        if admitted > 0 {
            self.inner
                .metrics
                .mempool_size
                .set(self.inner.mempool.len() as i64);
        }
        admitted
    }
}

impl synod_consensus::Application for ChainApp {
    fn genesis(&self) -> Block {
        self.inner.genesis.as_ref().clone()
    }

    fn propose(&self, ancestry: &[Arc<Block>]) -> Option<Block> {
        match self.build(ancestry) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not build a block");
                None
            }
        }
    }

    fn verify(&self, ancestry: &[Arc<Block>], block: &Block) -> bool {
        if self.inner.executed.read().contains_key(&block.hash()) {
            return true; // built or verified here already
        }
        if let Err(e) = self.ensure_executed(ancestry) {
            tracing::warn!(error = %e, "cannot execute the ancestry of a proposal");
            return false;
        }
        match self.execute(block) {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(height = block.height(), error = %e, "rejecting invalid block");
                false
            }
        }
    }

    fn is_known(&self, hash: &Hash) -> bool {
        self.is_known_block(hash)
    }

    fn gossip_received(&self, from: AccountId, payload: Vec<u8>) {
        self.admit_gossip(from, &payload);
    }

    fn fault_observed(&self, evidence: Vec<u8>) {
        match self.report_equivocation(evidence) {
            Ok(hash) => tracing::warn!(%hash, "equivocation observed: report filed"),
            Err(e) => tracing::warn!("equivocation observed, no report filed: {e}"),
        }
    }

    fn validator_set(&self, epoch: u64) -> Option<Vec<AccountId>> {
        let read = self
            .inner
            .store
            .snapshot()
            .map_err(|e| e.to_string())
            .and_then(|snap| {
                synod_execution::validators::set_for_epoch(&snap, epoch).map_err(|e| e.to_string())
            });
        match read {
            Ok(set) => set.map(|members| members.into_iter().map(|(a, _)| a).collect()),
            Err(error) => {
                tracing::error!(epoch, %error, "cannot read the validator set");
                None
            }
        }
    }

    fn finalized(&self, block: Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), String> {
        self.commit(&block, finalization).map_err(|e| {
            tracing::error!(height = block.height(), error = %e, "failed to commit a finalized block");
            e.to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_mempool::{ChainRules, MempoolConfig};
    use synod_primitives::{Keypair, encode};
    use synod_runtime::BankCall;
    use synod_runtime::{Call, Genesis, Transaction};

    fn app() -> (ChainApp, Genesis) {
        app_with(Genesis::dev(vec![Keypair::dev("v").account()]))
    }

    fn app_with(genesis: Genesis) -> (ChainApp, Genesis) {
        let executor = crate::evidence::chain_executor(genesis.clone());
        let mempool = Arc::new(Mempool::new(
            MempoolConfig::default(),
            ChainRules {
                chain_id: genesis.chain_id.clone(),
                genesis_hash: executor.genesis_hash(),
                fees: genesis.fees,
            },
        ));
        let app = ChainApp::new(AppParts {
            executor,
            store: Store::in_memory().expect("store"),
            mempool,
            proposer: Keypair::dev("v").account(),
            finalized: broadcast::channel(4).0,
            status: Arc::new(NodeStatus::default()),
            metrics: Arc::new(Metrics::new()),
            limits: BlockLimits::default(),
            reporter: Some(Keypair::dev("v")),
        })
        .expect("app");
        (app, genesis)
    }

    fn transfer(g: &Genesis, from: &Keypair, nonce: u64, signer: &Keypair) -> SignedTransaction {
        Transaction {
            chain_id: g.chain_id.clone(),
            sender: from.account(),
            nonce,
            fee: 1_000_000,
            call: Call::Bank(BankCall::Transfer {
                to: Keypair::dev("bob").account(),
                amount: 1,
            }),
        }
        .sign(signer, &g.hash())
    }

    /// What the engine hands over on an observed equivocation becomes a pooled report signed
    /// by this node, and the next block built here slashes the offender.
    #[test]
    fn an_observed_fault_is_reported_and_slashed_in_the_next_block() {
        use synod_consensus::Application as _;
        let v = Keypair::dev("v");
        let mut genesis = Genesis::dev(vec![v.account()]);
        genesis.accounts.push(synod_runtime::bank::GenesisAccount {
            account: v.account(),
            balance: 10 * synod_primitives::token::UNIT,
        });
        let (app, genesis) = app_with(genesis);
        let ns = synod_consensus::namespace(&genesis.chain_id, &genesis.hash());
        let evidence =
            synod_consensus::drill::double_notarize(&v, &[v.account()], &ns, 0, 2).expect("drill");
        app.fault_observed(evidence.clone());
        assert_eq!(app.inner.mempool.len(), 1, "report pooled");
        let block = app
            .propose(std::slice::from_ref(&app.inner.genesis))
            .expect("block");
        let executed = app.inner.executed.read()[&block.hash()].clone();
        let slashed = executed.receipts.iter().any(|r| {
            r.events.iter().any(|e| {
                matches!(
                    e,
                    synod_runtime::Event::Validator(
                        synod_runtime::validators::ValidatorEvent::Slashed { offender, .. }
                    ) if offender == &v.account()
                )
            })
        });
        assert!(slashed, "{:?}", executed.receipts);
    }

    /// A Byzantine proposer's block that carries a spend from the identity key (R = identity,
    /// S = 0: a signature that needs no secret) is refused by each of four validators; a block
    /// carrying a transfer whose R has a torsion component (valid under the chain's cofactored
    /// rule) is accepted by all four with one state root; admission agrees with both verdicts.
    #[test]
    fn every_validator_gives_a_signature_the_same_verdict() {
        use synod_consensus::Application as _;
        use synod_primitives::signature::adversary::{
            TorsionSigner, identity_account, identity_signature,
        };
        let torsion = TorsionSigner::new(b"tweaker");
        let funded = |a: AccountId| synod_runtime::bank::GenesisAccount {
            account: a,
            balance: 100 * synod_primitives::token::UNIT,
        };
        let mut genesis = Genesis::dev(vec![Keypair::dev("v").account()]);
        genesis.accounts.push(funded(identity_account()));
        genesis.accounts.push(funded(torsion.account()));
        let apps: Vec<ChainApp> = (0..4).map(|_| app_with(genesis.clone()).0).collect();
        let g = &genesis;
        let tx = |sender: AccountId| Transaction {
            chain_id: g.chain_id.clone(),
            sender,
            nonce: 0,
            fee: 1_000_000,
            call: Call::Bank(BankCall::Transfer {
                to: Keypair::dev("bob").account(),
                amount: 50 * synod_primitives::token::UNIT,
            }),
        };
        let keyless = SignedTransaction {
            tx: tx(identity_account()),
            signature: identity_signature(),
        };
        let body = tx(torsion.account());
        let tweaked = SignedTransaction {
            signature: torsion.sign(&body.signing_payload(&g.hash()), 1),
            tx: body,
        };

        // Built by a proposer that skips its pool (a Byzantine one): same executor, same parent.
        let genesis_block = apps[0].inner.genesis.clone();
        let byzantine_block = |txs: Vec<SignedTransaction>| {
            let (view, parent) = apps[0].view_after(&genesis_block.hash()).expect("view");
            let built = apps[0]
                .inner
                .executor
                .build_block(
                    &view,
                    &parent,
                    Keypair::dev("v").account(),
                    genesis_block.header.timestamp_ms + 1,
                    txs.into_iter().map(Arc::new),
                    BlockLimits::default(),
                )
                .expect("build");
            assert!(built.rejected.is_empty());
            built.executed.block.as_ref().clone()
        };
        let ancestry = [genesis_block.clone()];
        let bad = byzantine_block(vec![keyless.clone()]);
        for (i, app) in apps.iter().enumerate().skip(1) {
            assert!(
                !app.verify(&ancestry, &bad),
                "validator {i} accepted a keyless spend"
            );
        }
        let good = byzantine_block(vec![tweaked.clone()]);
        for (i, app) in apps.iter().enumerate().skip(1) {
            assert!(
                app.verify(&ancestry, &good),
                "validator {i} refused a valid signature"
            );
            let root = app.inner.executed.read()[&good.hash()]
                .block
                .header
                .state_root;
            assert_eq!(root, good.header.state_root, "validator {i}");
        }

        // Admission: the same verdicts, by RPC (the pool) and by gossip.
        let peer = Keypair::dev("peer").account();
        assert_eq!(
            apps[1].admit_gossip(peer, &encode(&vec![keyless.clone()])),
            0
        );
        assert_eq!(
            apps[1].admit_gossip(peer, &encode(&vec![tweaked.clone()])),
            1
        );
        let snap = apps[2].inner.store.snapshot().expect("snapshot");
        let state = |who: &AccountId| -> SenderState {
            bank::account(&snap, who).unwrap_or_default().into()
        };
        let results = apps[2].inner.mempool.admit_batch(
            [keyless, tweaked]
                .into_iter()
                .map(|t| {
                    let size = t.encode().len();
                    (t, size)
                })
                .collect(),
            state,
        );
        let refused = results[0].as_ref().expect_err("keyless spend admitted");
        assert!(refused.to_string().contains("small order"), "{refused}");
        assert!(results[1].is_ok(), "{:?}", results[1]);
    }

    #[test]
    fn gossip_is_admitted_once_and_bad_payloads_change_nothing() {
        let (app, g) = app();
        let alice = Keypair::dev("alice");
        let peer = Keypair::dev("peer").account();
        let good: Vec<SignedTransaction> =
            (0..3).map(|n| transfer(&g, &alice, n, &alice)).collect();
        assert_eq!(app.admit_gossip(peer, &encode(&good)), 3);
        // The same batch again (another peer relayed it, or a resend): all duplicates.
        assert_eq!(app.admit_gossip(peer, &encode(&good)), 0);
        assert_eq!(app.inner.mempool.len(), 3);
        // Forged signature: refused by the pool like an RPC submission would be.
        let forged = vec![transfer(&g, &alice, 3, &Keypair::dev("mallory"))];
        assert_eq!(app.admit_gossip(peer, &encode(&forged)), 0);
        // Not a transaction list at all, or trailing bytes.
        assert_eq!(app.admit_gossip(peer, b"garbage"), 0);
        let mut trailing = encode(&good);
        trailing.push(0);
        assert_eq!(app.admit_gossip(peer, &trailing), 0);
        assert_eq!(app.inner.mempool.len(), 3);
        for t in &good {
            assert!(app.inner.mempool.contains(&t.hash()));
        }
    }
}
