//! Synod's transaction pool.
//!
//! The pool owns transactions that passed admission and are waiting for a block. Admission
//! checks, in order: size and decoding (by the caller, who holds the bytes), chain id and fee
//! floor, signature (verified in batches, under the chain's one signature rule), nonce window
//! against the sender's committed nonce, that the sender can pay **all** its pooled
//! transactions together (fees plus what each call says it may spend, within the committed
//! balance), duplicates, same-nonce replacement (needs a fee at least
//! [`MempoolConfig::replacement_bump_percent`] higher), the per-sender limits and the global
//! limits. Every rejection is a distinct [`MempoolError`].
//!
//! A sender's transactions are *executable* while their nonces run without a gap from its
//! committed nonce, and *future* after a gap. Future transactions cannot be included until the
//! gap fills, so they are what an attacker pins a pool with: they get their own, much smaller,
//! allowances (per sender and in total), expire after [`MempoolConfig::future_ttl`], and are
//! evicted first (lowest fee rate first) when the pool is full. An executable newcomer is
//! never refused because futures fill the pool.
//!
//! Admitted transactions are appended to an optional journal on disk ([`journal`]) before the
//! caller hears they were accepted, so a restart after `kill -9` puts them back (re-checked).
//!
//! It must not execute calls or write chain state: it only admits, orders and evicts, and what
//! it admits is checked again when a block is executed.
//!
//! Selection for a block walks senders by the fee rate of their next executable transaction
//! (ties broken by sender id, so the result is deterministic) and yields each sender's
//! transactions in consecutive nonce order starting at the nonce the block's parent state
//! expects.

pub mod journal;

use journal::{Journal, JournalError};
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use synod_primitives::tx::{CallWeight, FeeSchedule, verify_signatures};
use synod_primitives::{AccountId, Balance, Hash, Nonce, TxError};
use synod_runtime::SignedTransaction;

/// Pool limits and policies.
#[derive(Debug, Clone)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_txs: usize,
    /// Most transactions held per sender.
    pub max_per_sender: usize,
    /// Accept nonces in `[account_nonce, account_nonce + nonce_window)`.
    pub nonce_window: u64,
    /// A same-nonce replacement must raise the fee by at least this percentage.
    pub replacement_bump_percent: u64,
    /// Most future (gapped) transactions held in total.
    pub max_future: usize,
    /// Most future transactions held per sender.
    pub max_future_per_sender: usize,
    /// A transaction still future this long after admission is dropped.
    pub future_ttl: Duration,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_per_sender: 1_024,
            nonce_window: 1_024,
            replacement_bump_percent: 10,
            max_future: 5_000,
            max_future_per_sender: 16,
            future_ttl: Duration::from_secs(180),
        }
    }
}

/// Chain facts the pool checks transactions against.
#[derive(Debug, Clone)]
pub struct ChainRules {
    /// Chain id.
    pub chain_id: String,
    /// Genesis hash (part of every signing payload).
    pub genesis_hash: Hash,
    /// Fee prices.
    pub fees: FeeSchedule,
}

/// Why a transaction was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// Fails a stateless check.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// Nonce already used.
    #[error("nonce {got} is stale: the account's next nonce is {expected}")]
    StaleNonce {
        /// Account's next nonce.
        expected: Nonce,
        /// Offered.
        got: Nonce,
    },
    /// Nonce too far ahead of the account's.
    #[error("nonce {got} is too far in the future: at most {max} is accepted now")]
    NonceTooFar {
        /// Largest acceptable nonce.
        max: Nonce,
        /// Offered.
        got: Nonce,
    },
    /// The sender's balance cannot pay this transaction together with its pooled ones.
    #[error(
        "balance {balance} cannot pay this transaction together with the sender's pooled ones: \
         their fees and amounts need {needed}"
    )]
    CannotPay {
        /// Fees plus spending bounds of the pooled transactions and this one.
        needed: Balance,
        /// Sender's committed balance.
        balance: Balance,
    },
    /// Same transaction already pooled.
    #[error("transaction {0} is already in the pool")]
    AlreadyKnown(Hash),
    /// A pooled transaction has the same sender and nonce and the new fee is not high enough.
    #[error("replacement fee {offered} is too low: at least {required} is needed")]
    ReplacementUnderpriced {
        /// Offered fee.
        offered: Balance,
        /// Minimum for replacement.
        required: Balance,
    },
    /// Sender has too many pooled transactions.
    #[error("sender already has {0} pooled transactions")]
    SenderLimit(usize),
    /// Sender has too many transactions waiting behind a nonce gap.
    #[error(
        "sender already has {0} transactions waiting behind a nonce gap; send the missing nonce first"
    )]
    SenderFutureLimit(usize),
    /// The allowance for gapped transactions is full and this one pays no more than the
    /// cheapest of them.
    #[error(
        "no room for transactions behind a nonce gap; fee rate must exceed {min_fee_rate} (fee per kB), or send the missing nonce first"
    )]
    FutureFull {
        /// Lowest fee rate among pooled future transactions.
        min_fee_rate: u64,
    },
    /// A session's transaction breaks its session's rules (checked against committed state;
    /// execution checks again).
    #[error("{0}")]
    Refused(synod_runtime::AgentFailure),
    /// The node could not read the state admission checks need (a storage fault, not the
    /// transaction's).
    #[error("node cannot check the transaction now: {0}")]
    Unavailable(String),
    /// Pool full and the newcomer pays no more than the cheapest pooled transaction.
    #[error("pool is full; fee rate must exceed {min_fee_rate} (fee per kB)")]
    PoolFull {
        /// Current lowest fee rate in the pool.
        min_fee_rate: u64,
    },
}

/// A sender's committed account state, as the pool needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderState {
    /// Next nonce.
    pub nonce: Nonce,
    /// Balance.
    pub balance: Balance,
}

impl From<synod_runtime::bank::AccountInfo> for SenderState {
    fn from(info: synod_runtime::bank::AccountInfo) -> Self {
        SenderState {
            nonce: info.nonce,
            balance: info.balance,
        }
    }
}

#[derive(Debug)]
struct Entry {
    tx: Arc<SignedTransaction>,
    fee_rate: u64,
    seq: u64,
    /// Fee plus the call's spending bound.
    cost: Balance,
    admitted: Instant,
    future: bool,
}

/// One sender's pooled transactions.
#[derive(Debug, Default)]
struct Queue {
    by_nonce: BTreeMap<Nonce, Hash>,
    /// The committed nonce as last seen (admission or finalization).
    committed: Nonce,
}

/// Ordering key of an entry in a rate index: cheapest first, newest first among equals.
type RateKey = (u64, u64, Hash);

#[derive(Default)]
struct Inner {
    by_hash: HashMap<Hash, Entry>,
    senders: BTreeMap<AccountId, Queue>,
    /// Executable entries by fee rate.
    executable: BTreeSet<RateKey>,
    /// Future entries by fee rate: the first is the first to go under pressure.
    future: BTreeSet<RateKey>,
    /// Future entries by admission order, for expiry.
    future_by_age: BTreeSet<(u64, Hash)>,
    next_seq: u64,
}

/// The transaction pool. Internally synchronized; share it behind an `Arc`.
pub struct Mempool {
    config: MempoolConfig,
    rules: ChainRules,
    inner: Mutex<Inner>,
    journal: Mutex<Option<Journal>>,
}

/// Fee per 1,000 encoded bytes.
fn fee_rate(fee: Balance, size: usize) -> u64 {
    let rate = u128::from(fee) * 1000 / (size.max(1) as u128);
    u64::try_from(rate).unwrap_or(u64::MAX)
}

/// What the pool restored from its journal at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// Records read.
    pub read: usize,
    /// Transactions back in the pool.
    pub admitted: usize,
    /// Records no longer admissible (included meanwhile, stale, unpayable).
    pub dropped: usize,
    /// Bytes at the end of the file that did not form a whole record (a write cut by a crash).
    pub torn_bytes: u64,
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: MempoolConfig, rules: ChainRules) -> Self {
        Mempool {
            config,
            rules,
            inner: Mutex::new(Inner::default()),
            journal: Mutex::new(None),
        }
    }

    /// Opens (or creates) the journal at `path`, re-admits what it holds (every check again,
    /// against `state`), rewrites it with what was admitted, and from then on appends every
    /// admitted transaction to it.
    pub fn open_journal(
        &self,
        path: &Path,
        state: impl Fn(&AccountId) -> SenderState,
    ) -> Result<Restored, JournalError> {
        let (records, torn_bytes) = journal::read(path)?;
        let read = records.len();
        let mut txs: Vec<(SignedTransaction, usize)> = Vec::with_capacity(read);
        let mut dropped = 0;
        for bytes in records {
            match SignedTransaction::decode(&bytes) {
                Ok(tx) => txs.push((tx, bytes.len())),
                Err(_) => dropped += 1,
            }
        }
        // In nonce order per sender, so payability and gaps are judged as they were.
        txs.sort_by_key(|(t, _)| (t.tx.sender, t.tx.nonce));
        let results = self.admit_batch(txs, state);
        let admitted = results.iter().filter(|r| r.is_ok()).count();
        dropped += results.len() - admitted;
        let journal = Journal::rewrite(path, self.snapshot_encoded())?;
        *self.journal.lock() = Some(journal);
        Ok(Restored {
            read,
            admitted,
            dropped,
            torn_bytes,
        })
    }

    /// Every pooled transaction, encoded, in (sender, nonce) order.
    fn snapshot_encoded(&self) -> Vec<Vec<u8>> {
        let inner = self.inner.lock();
        inner
            .senders
            .values()
            .flat_map(|q| q.by_nonce.values())
            .filter_map(|h| inner.by_hash.get(h))
            .map(|e| e.tx.encode())
            .collect()
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    /// Number of pooled transactions waiting behind a nonce gap.
    pub fn future_len(&self) -> usize {
        self.inner.lock().future.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.inner.lock().by_hash.contains_key(hash)
    }

    /// The nonce `sender`'s next transaction should use: the first gap in its pooled nonces at
    /// or above `committed` (its nonce in committed state).
    pub fn next_nonce(&self, sender: &AccountId, committed: Nonce) -> Nonce {
        let inner = self.inner.lock();
        let mut next = committed;
        if let Some(q) = inner.senders.get(sender) {
            for &n in q.by_nonce.range(committed..).map(|(n, _)| n) {
                if n != next {
                    break;
                }
                next = next.saturating_add(1);
            }
        }
        next
    }

    /// The pooled transaction with `hash`.
    pub fn get(&self, hash: &Hash) -> Option<Arc<SignedTransaction>> {
        self.inner.lock().by_hash.get(hash).map(|e| e.tx.clone())
    }

    /// Admits a batch of transactions (each with its encoded size). Signatures are verified
    /// in one batch, outside the pool lock. `state` gives each sender's committed state.
    /// Admitted transactions are in the journal (when one is open) before this returns.
    pub fn admit_batch(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
        state: impl Fn(&AccountId) -> SenderState,
    ) -> Vec<Result<Hash, MempoolError>> {
        self.admit_batch_checked(txs, state, |_| Ok(()))
    }

    /// [`Self::admit_batch`] with a stateful check of each transaction's call (a session's
    /// rules, through `Runtime::admission_check`) after its signature and before the pool's
    /// own rules.
    pub fn admit_batch_checked(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
        state: impl Fn(&AccountId) -> SenderState,
        check: impl Fn(&SignedTransaction) -> Result<(), synod_runtime::AgentFailure>,
    ) -> Vec<Result<Hash, MempoolError>> {
        let mut results: Vec<Result<Hash, MempoolError>> = Vec::with_capacity(txs.len());
        let mut to_verify = Vec::new();
        for (i, (tx, size)) in txs.iter().enumerate() {
            match tx.check_static(&self.rules.chain_id, &self.rules.fees, *size) {
                Ok(()) => {
                    results.push(Ok(Hash::ZERO));
                    to_verify.push(i);
                }
                Err(e) => results.push(Err(e.into())),
            }
        }
        let refs: Vec<&SignedTransaction> = to_verify.iter().map(|&i| &txs[i].0).collect();
        let sig_results = verify_signatures(&refs, &self.rules.genesis_hash);
        for (&i, r) in to_verify.iter().zip(sig_results) {
            if let Err(e) = r {
                results[i] = Err(e.into());
            }
        }
        self.expire(Instant::now());
        let mut admitted = Vec::new();
        for (i, (tx, size)) in txs.into_iter().enumerate() {
            if results[i].is_ok() {
                if let Err(f) = check(&tx) {
                    results[i] = Err(MempoolError::Refused(f));
                    continue;
                }
                let sender = state(&tx.tx.sender);
                results[i] = self.insert_verified(tx, size, sender);
                if let Ok(h) = results[i] {
                    admitted.push(h);
                }
            }
        }
        self.journal_append(&admitted, &mut results);
        results
    }

    /// Appends the admitted transactions to the journal; one that cannot be written is taken
    /// back out of the pool and reported unavailable, so "accepted" always means "on disk".
    fn journal_append(&self, admitted: &[Hash], results: &mut [Result<Hash, MempoolError>]) {
        let mut journal = self.journal.lock();
        let Some(j) = journal.as_mut() else {
            return;
        };
        let encoded: Vec<Vec<u8>> = {
            let inner = self.inner.lock();
            admitted
                .iter()
                .filter_map(|h| inner.by_hash.get(h))
                .map(|e| e.tx.encode())
                .collect()
        };
        if let Err(e) = j.append(&encoded) {
            let mut inner = self.inner.lock();
            for h in admitted {
                inner.remove(h);
            }
            for r in results.iter_mut() {
                if matches!(r, Ok(h) if admitted.contains(h)) {
                    *r = Err(MempoolError::Unavailable(format!(
                        "cannot write the pool journal: {e}"
                    )));
                }
            }
        }
    }

    /// Drops future transactions older than the TTL.
    fn expire(&self, now: Instant) {
        let mut inner = self.inner.lock();
        let expired: Vec<Hash> = inner
            .future_by_age
            .iter()
            .map(|(_, h)| *h)
            .take_while(|h| {
                inner
                    .by_hash
                    .get(h)
                    .is_some_and(|e| now.duration_since(e.admitted) >= self.config.future_ttl)
            })
            .collect();
        for h in expired {
            inner.remove(&h);
        }
    }

    /// Inserts a transaction whose static checks and signature already passed.
    pub fn insert_verified(
        &self,
        tx: SignedTransaction,
        size: usize,
        sender_state: SenderState,
    ) -> Result<Hash, MempoolError> {
        let t = &tx.tx;
        if t.nonce < sender_state.nonce {
            return Err(MempoolError::StaleNonce {
                expected: sender_state.nonce,
                got: t.nonce,
            });
        }
        let max = sender_state
            .nonce
            .saturating_add(self.config.nonce_window - 1);
        if t.nonce > max {
            return Err(MempoolError::NonceTooFar { max, got: t.nonce });
        }
        let cost = t.fee.saturating_add(t.call.spend_bound());
        let hash = tx.hash();
        let rate = fee_rate(t.fee, size);
        let sender = t.sender;
        let nonce = t.nonce;
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(MempoolError::AlreadyKnown(hash));
        }
        inner.advance(&sender, sender_state.nonce);
        let existing = inner
            .senders
            .get(&sender)
            .and_then(|q| q.by_nonce.get(&nonce))
            .copied();
        // Everything the sender has pooled, less a transaction this one replaces, plus this.
        let pooled: Balance = inner
            .senders
            .get(&sender)
            .into_iter()
            .flat_map(|q| q.by_nonce.values())
            .filter(|h| Some(**h) != existing)
            .filter_map(|h| inner.by_hash.get(h))
            .fold(0, |sum: Balance, e| sum.saturating_add(e.cost));
        let needed = pooled.saturating_add(cost);
        if needed > sender_state.balance {
            return Err(MempoolError::CannotPay {
                needed,
                balance: sender_state.balance,
            });
        }
        let would_be_future =
            inner.would_be_future(&sender, nonce, sender_state.nonce, existing.is_some());
        if let Some(old_hash) = existing {
            let old_fee = inner.by_hash.get(&old_hash).map_or(0, |e| e.tx.tx.fee);
            let required = old_fee
                .saturating_add(old_fee.saturating_mul(self.config.replacement_bump_percent) / 100)
                .max(old_fee.saturating_add(1));
            if t.fee < required {
                return Err(MempoolError::ReplacementUnderpriced {
                    offered: t.fee,
                    required,
                });
            }
            inner.remove(&old_hash);
        } else {
            let count = inner.senders.get(&sender).map_or(0, |q| q.by_nonce.len());
            if count >= self.config.max_per_sender {
                return Err(MempoolError::SenderLimit(count));
            }
            if would_be_future {
                let sender_future = inner.future_count(&sender);
                if sender_future >= self.config.max_future_per_sender {
                    return Err(MempoolError::SenderFutureLimit(sender_future));
                }
                if inner.future.len() >= self.config.max_future {
                    inner.evict_cheapest_future_below(rate)?;
                }
            }
            if inner.by_hash.len() >= self.config.max_txs {
                if would_be_future {
                    inner.evict_cheapest_future_below(rate)?;
                } else if !inner.future.is_empty() {
                    // Gapped transactions go first, whatever they pay.
                    inner.evict_cheapest_future_below(u64::MAX)?;
                } else {
                    match inner.executable.first().copied() {
                        Some((min_rate, _, victim)) if rate > min_rate => inner.remove(&victim),
                        Some((min_rate, _, _)) => {
                            return Err(MempoolError::PoolFull {
                                min_fee_rate: min_rate,
                            });
                        }
                        None => return Err(MempoolError::PoolFull { min_fee_rate: 0 }),
                    }
                }
            }
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.by_hash.insert(
            hash,
            Entry {
                tx: Arc::new(tx),
                fee_rate: rate,
                seq,
                cost,
                admitted: Instant::now(),
                future: true,
            },
        );
        inner.future.insert((rate, u64::MAX - seq, hash));
        inner.future_by_age.insert((seq, hash));
        inner
            .senders
            .entry(sender)
            .or_insert_with(|| Queue {
                by_nonce: BTreeMap::new(),
                committed: sender_state.nonce,
            })
            .by_nonce
            .insert(nonce, hash);
        inner.reclassify(&sender);
        Ok(hash)
    }

    /// Candidates for a block built on a state where `next_nonce(sender)` is each sender's
    /// next nonce: highest fee rate first across senders, consecutive nonces within a sender.
    pub fn select(
        &self,
        max_txs: usize,
        next_nonce: impl Fn(&AccountId) -> Nonce,
    ) -> Vec<Arc<SignedTransaction>> {
        let inner = self.inner.lock();
        // Heap of (fee rate of sender's next tx, reversed sender for deterministic ties, sender, nonce).
        let mut heap = BinaryHeap::new();
        for (sender, q) in &inner.senders {
            let n = next_nonce(sender);
            if let Some(h) = q.by_nonce.get(&n)
                && let Some(e) = inner.by_hash.get(h)
            {
                heap.push((e.fee_rate, std::cmp::Reverse(*sender), n));
            }
        }
        let mut out = Vec::new();
        while let Some((_, std::cmp::Reverse(sender), nonce)) = heap.pop() {
            if out.len() >= max_txs {
                break;
            }
            let nonces = &inner.senders[&sender].by_nonce;
            if let Some(e) = nonces.get(&nonce).and_then(|h| inner.by_hash.get(h)) {
                out.push(e.tx.clone());
            }
            if let Some(next) = nonces.get(&(nonce + 1)).and_then(|h| inner.by_hash.get(h)) {
                heap.push((next.fee_rate, std::cmp::Reverse(sender), nonce + 1));
            }
        }
        out
    }

    /// Drops the given transactions (included in a finalized block, or rejected by the
    /// proposer) and, for their senders and for `moved` (senders of a finalized block's
    /// transactions, pooled here or not), every pooled transaction whose nonce is now below
    /// the sender's next nonce; promotes what a filled gap made executable; compacts the
    /// journal when most of it is history.
    pub fn remove(
        &self,
        hashes: &[Hash],
        moved: &[AccountId],
        next_nonce: impl Fn(&AccountId) -> Nonce,
    ) {
        {
            let mut inner = self.inner.lock();
            let mut senders: BTreeSet<AccountId> = moved.iter().copied().collect();
            for h in hashes {
                if let Some(e) = inner.by_hash.get(h) {
                    senders.insert(e.tx.tx.sender);
                }
                inner.remove(h);
            }
            for s in senders {
                inner.advance(&s, next_nonce(&s));
            }
        }
        self.expire(Instant::now());
        self.maybe_compact_journal();
    }

    /// Rewrites the journal with the pool's contents once it holds more than twice as many
    /// records as the pool (plus slack), so it stays proportional to the pool.
    fn maybe_compact_journal(&self) {
        let mut journal = self.journal.lock();
        let Some(j) = journal.as_mut() else {
            return;
        };
        if j.records() <= 2 * self.len() + 4_096 {
            return;
        }
        let path = j.path().to_path_buf();
        match Journal::rewrite(&path, self.snapshot_encoded()) {
            Ok(fresh) => *j = fresh,
            // The old journal stays in use: it still holds every pooled transaction.
            Err(e) => tracing::warn!(error = %e, "cannot compact the pool journal"),
        }
    }
}

impl Inner {
    fn remove(&mut self, hash: &Hash) {
        let Some(e) = self.by_hash.remove(hash) else {
            return;
        };
        let key = (e.fee_rate, u64::MAX - e.seq, *hash);
        if e.future {
            self.future.remove(&key);
            self.future_by_age.remove(&(e.seq, *hash));
        } else {
            self.executable.remove(&key);
        }
        let sender = e.tx.tx.sender;
        if let Some(q) = self.senders.get_mut(&sender) {
            q.by_nonce.remove(&e.tx.tx.nonce);
            if q.by_nonce.is_empty() {
                self.senders.remove(&sender);
                return;
            }
        }
        self.reclassify(&sender);
    }

    /// Records that `sender`'s committed nonce is now `committed`: drops what became stale
    /// and reclassifies the rest.
    fn advance(&mut self, sender: &AccountId, committed: Nonce) {
        let Some(q) = self.senders.get_mut(sender) else {
            return;
        };
        q.committed = q.committed.max(committed);
        let stale: Vec<Hash> = q.by_nonce.range(..q.committed).map(|(_, h)| *h).collect();
        for h in stale {
            self.remove(&h);
        }
        self.reclassify(sender);
    }

    /// Whether a transaction with `nonce` from `sender` would wait behind a gap.
    fn would_be_future(
        &self,
        sender: &AccountId,
        nonce: Nonce,
        committed: Nonce,
        replaces: bool,
    ) -> bool {
        let Some(q) = self.senders.get(sender) else {
            return nonce != committed;
        };
        if replaces {
            return self
                .by_hash
                .get(&q.by_nonce[&nonce])
                .is_some_and(|e| e.future);
        }
        let mut next = q.committed;
        for &n in q.by_nonce.range(q.committed..).map(|(n, _)| n) {
            if n != next {
                break;
            }
            next += 1;
        }
        nonce != next
    }

    fn future_count(&self, sender: &AccountId) -> usize {
        self.senders.get(sender).map_or(0, |q| {
            q.by_nonce
                .values()
                .filter(|h| self.by_hash.get(h).is_some_and(|e| e.future))
                .count()
        })
    }

    /// Marks `sender`'s run of consecutive nonces from its committed nonce executable and the
    /// rest future, moving entries between the rate indexes.
    fn reclassify(&mut self, sender: &AccountId) {
        let Some(q) = self.senders.get(sender) else {
            return;
        };
        let mut next = q.committed;
        let mut changes = Vec::new();
        for (&n, h) in &q.by_nonce {
            let future = if n == next {
                next += 1;
                false
            } else {
                true
            };
            if let Some(e) = self.by_hash.get(h)
                && e.future != future
            {
                changes.push((*h, future));
            }
        }
        for (h, future) in changes {
            let Some(e) = self.by_hash.get_mut(&h) else {
                continue;
            };
            let key = (e.fee_rate, u64::MAX - e.seq, h);
            e.future = future;
            if future {
                self.executable.remove(&key);
                self.future.insert(key);
                self.future_by_age.insert((e.seq, h));
            } else {
                self.future.remove(&key);
                self.future_by_age.remove(&(e.seq, h));
                self.executable.insert(key);
            }
        }
    }

    /// Evicts the cheapest future transaction if it pays less than `rate`.
    fn evict_cheapest_future_below(&mut self, rate: u64) -> Result<(), MempoolError> {
        match self.future.first().copied() {
            Some((min_rate, _, victim)) if min_rate < rate => {
                self.remove(&victim);
                Ok(())
            }
            Some((min_rate, _, _)) => Err(MempoolError::FutureFull {
                min_fee_rate: min_rate,
            }),
            None => Err(MempoolError::PoolFull { min_fee_rate: 0 }),
        }
    }
}

#[cfg(test)]
mod tests;
