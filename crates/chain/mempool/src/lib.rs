//! Synod's transaction pool.
//!
//! The pool owns transactions that passed admission and are waiting for a block. Admission
//! checks, in order: size and decoding (by the caller, who holds the bytes), chain id and fee
//! floor, signature (verified in batches), nonce window against the sender's committed nonce,
//! balance for the fee, duplicates, same-nonce replacement (needs a fee at least
//! [`MempoolConfig::replacement_bump_percent`] higher), the per-sender limit and the global limit
//! (a full pool evicts its lowest fee-rate transaction if the newcomer pays more). Every
//! rejection is a distinct [`MempoolError`].
//!
//! It must not execute calls or write state: it only admits, orders and evicts, and what it
//! admits is checked again when a block is executed.
//!
//! Selection for a block walks senders by the fee rate of their next executable transaction
//! (ties broken by sender id, so the result is deterministic) and yields each sender's
//! transactions in consecutive nonce order starting at the nonce the block's parent state
//! expects.

use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;
use synod_primitives::tx::{FeeSchedule, verify_signatures};
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
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_per_sender: 1_024,
            nonce_window: 1_024,
            replacement_bump_percent: 10,
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
    /// Sender cannot pay the fee.
    #[error("balance {balance} cannot pay the fee {fee}")]
    CannotPayFee {
        /// Offered fee.
        fee: Balance,
        /// Sender's balance.
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

#[derive(Debug)]
struct Entry {
    tx: Arc<SignedTransaction>,
    fee_rate: u64,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<Hash, Entry>,
    by_sender: BTreeMap<AccountId, BTreeMap<Nonce, Hash>>,
    /// (fee rate, newest first via inverted seq, hash): first element is the eviction victim.
    by_rate: BTreeSet<(u64, u64, Hash)>,
    next_seq: u64,
}

/// The transaction pool. Internally synchronized; share it behind an `Arc`.
pub struct Mempool {
    config: MempoolConfig,
    rules: ChainRules,
    inner: Mutex<Inner>,
}

/// Fee per 1,000 encoded bytes.
fn fee_rate(fee: Balance, size: usize) -> u64 {
    let rate = u128::from(fee) * 1000 / (size.max(1) as u128);
    u64::try_from(rate).unwrap_or(u64::MAX)
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: MempoolConfig, rules: ChainRules) -> Self {
        Mempool {
            config,
            rules,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
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
        if let Some(pooled) = inner.by_sender.get(sender) {
            for &n in pooled.range(committed..).map(|(n, _)| n) {
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
    pub fn admit_batch(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
        state: impl Fn(&AccountId) -> SenderState,
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
        for (i, (tx, size)) in txs.into_iter().enumerate() {
            if results[i].is_ok() {
                let sender = state(&tx.tx.sender);
                results[i] = self.insert_verified(tx, size, sender);
            }
        }
        results
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
        if sender_state.balance < t.fee {
            return Err(MempoolError::CannotPayFee {
                fee: t.fee,
                balance: sender_state.balance,
            });
        }
        let hash = tx.hash();
        let rate = fee_rate(t.fee, size);
        let sender = t.sender;
        let nonce = t.nonce;
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(MempoolError::AlreadyKnown(hash));
        }
        // Same sender and nonce: replace only for a sufficiently higher fee.
        let existing = inner
            .by_sender
            .get(&sender)
            .and_then(|m| m.get(&nonce))
            .copied();
        if let Some(old_hash) = existing {
            let old_fee = inner.by_hash.get(&old_hash).map_or(0, |e| e.tx.tx.fee);
            let required = old_fee
                .saturating_add(old_fee.saturating_mul(self.config.replacement_bump_percent) / 100);
            if t.fee < required.max(old_fee.saturating_add(1)) {
                return Err(MempoolError::ReplacementUnderpriced {
                    offered: t.fee,
                    required: required.max(old_fee.saturating_add(1)),
                });
            }
            inner.remove(&old_hash);
        } else {
            let count = inner.by_sender.get(&sender).map_or(0, BTreeMap::len);
            if count >= self.config.max_per_sender {
                return Err(MempoolError::SenderLimit(count));
            }
            if inner.by_hash.len() >= self.config.max_txs {
                let victim = inner.by_rate.first().copied();
                match victim {
                    Some((min_rate, _, victim_hash)) if rate > min_rate => {
                        inner.remove(&victim_hash);
                    }
                    Some((min_rate, _, _)) => {
                        return Err(MempoolError::PoolFull {
                            min_fee_rate: min_rate,
                        });
                    }
                    None => return Err(MempoolError::PoolFull { min_fee_rate: 0 }),
                }
            }
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.by_rate.insert((rate, u64::MAX - seq, hash));
        inner
            .by_sender
            .entry(sender)
            .or_default()
            .insert(nonce, hash);
        inner.by_hash.insert(
            hash,
            Entry {
                tx: Arc::new(tx),
                fee_rate: rate,
                seq,
            },
        );
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
        for (sender, nonces) in &inner.by_sender {
            let n = next_nonce(sender);
            if let Some(h) = nonces.get(&n)
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
            let nonces = &inner.by_sender[&sender];
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
    /// proposer) and every pooled transaction whose nonce is now below its sender's next
    /// nonce.
    pub fn remove(&self, hashes: &[Hash], next_nonce: impl Fn(&AccountId) -> Nonce) {
        let mut inner = self.inner.lock();
        let mut senders = BTreeSet::new();
        for h in hashes {
            if let Some(e) = inner.by_hash.get(h) {
                senders.insert(e.tx.tx.sender);
            }
            inner.remove(h);
        }
        for s in senders {
            let n = next_nonce(&s);
            let stale: Vec<Hash> = inner
                .by_sender
                .get(&s)
                .map(|m| m.range(..n).map(|(_, h)| *h).collect())
                .unwrap_or_default();
            for h in stale {
                inner.remove(&h);
            }
        }
    }
}

impl Inner {
    fn remove(&mut self, hash: &Hash) {
        if let Some(e) = self.by_hash.remove(hash) {
            self.by_rate.remove(&(e.fee_rate, u64::MAX - e.seq, *hash));
            let sender = e.tx.tx.sender;
            if let Some(m) = self.by_sender.get_mut(&sender) {
                m.remove(&e.tx.tx.nonce);
                if m.is_empty() {
                    self.by_sender.remove(&sender);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
