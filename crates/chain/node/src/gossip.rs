//! Transaction gossip: what the RPC admits is sent once to every peer; what peers send is
//! admitted to the local pool and goes no further.
//!
//! Every node is connected to every validator, so one hop reaches all proposers and nothing is
//! relayed: a transaction travels over each link at most once, and the pools de-duplicate by
//! hash (`already_known`). Payloads are borsh `Vec<SignedTransaction>` of at most
//! [`MAX_GOSSIP_TXS`] transactions and the engine's gossip size limit. Gossip is best effort:
//! when the outbound queue is full a batch is dropped, and the transactions still wait in
//! this node's pool for its own proposals. A node that never proposes (a full node, or a
//! validator outside the current set) would strand such a transaction, so what the RPC
//! admitted and is still pooled [`RESEND_AFTER`] later is sent again, with doubling delays, up
//! to [`MAX_RESENDS`] times.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use synod_consensus::{GossipError, TxGossip};
use synod_mempool::Mempool;
use synod_primitives::{Hash, encode};
use synod_rpc::AdmittedHook;
use synod_runtime::SignedTransaction;

/// Most transactions in one gossip payload.
pub const MAX_GOSSIP_TXS: usize = 1_024;

/// Admitted-transaction batches waiting for the pump; beyond this, batches are dropped.
const PENDING_BATCHES: usize = 1_024;

/// How long an RPC-admitted transaction may sit in the pool before it is gossiped again
/// (well above submit-to-finality on a healthy network, so resends are rare).
pub const RESEND_AFTER: Duration = Duration::from_secs(5);

/// Most times one transaction is gossiped again.
pub const MAX_RESENDS: u32 = 3;

/// How often the pump looks for transactions due to be sent again.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Most RPC-admitted transactions tracked for resending; beyond this, new ones are not.
const MAX_TRACKED: usize = 100_000;

/// The engine's gossip handle, available once consensus has started.
pub type GossipSlot = Arc<OnceLock<TxGossip>>;

/// Starts the gossip pump thread and returns the hook the RPC calls after admission.
pub fn start(mempool: Arc<Mempool>, slot: GossipSlot) -> std::io::Result<AdmittedHook> {
    let (tx, rx) = sync_channel::<Vec<Hash>>(PENDING_BATCHES);
    std::thread::Builder::new()
        .name("synod-gossip".into())
        .spawn(move || pump(rx, &mempool, &slot))?;
    let hook: AdmittedHook = Arc::new(move |hashes: Vec<Hash>| match tx.try_send(hashes) {
        Ok(()) => {}
        Err(TrySendError::Full(h)) => {
            tracing::debug!(count = h.len(), "gossip backlog full; not gossiping")
        }
        Err(TrySendError::Disconnected(_)) => {}
    });
    Ok(hook)
}

/// Splits transactions into payloads of at most `max_txs` transactions and `max_bytes` bytes.
pub fn payloads(txs: &[Arc<SignedTransaction>], max_txs: usize, max_bytes: usize) -> Vec<Vec<u8>> {
    // borsh: a u32 count, then each transaction's canonical encoding.
    const PREFIX: usize = 4;
    let mut out = Vec::new();
    let mut chunk: Vec<SignedTransaction> = Vec::new();
    let mut size = PREFIX;
    for t in txs {
        let len = t.encode().len();
        if PREFIX + len > max_bytes {
            continue; // cannot fit any payload; the local pool still has it
        }
        if !chunk.is_empty() && (chunk.len() >= max_txs || size + len > max_bytes) {
            out.push(encode(&chunk));
            chunk.clear();
            size = PREFIX;
        }
        chunk.push(t.as_ref().clone());
        size += len;
    }
    if !chunk.is_empty() {
        out.push(encode(&chunk));
    }
    out
}

/// When each gossiped transaction is due to be sent again.
#[derive(Debug, Default)]
pub struct Resends {
    due: BTreeMap<Hash, (Instant, u32)>,
}

impl Resends {
    /// Starts tracking transactions just gossiped at `now`.
    pub fn track(&mut self, hashes: &[Hash], now: Instant) {
        for h in hashes {
            if self.due.len() >= MAX_TRACKED {
                break;
            }
            self.due.entry(*h).or_insert((now + RESEND_AFTER, 0));
        }
    }

    /// The transactions to send again at `now`: due and still pooled. Forgets what left the
    /// pool and what was sent [`MAX_RESENDS`] times.
    pub fn take_due(&mut self, now: Instant, pooled: impl Fn(&Hash) -> bool) -> Vec<Hash> {
        let mut out = Vec::new();
        self.due.retain(|h, (at, sent)| {
            if !pooled(h) {
                return false;
            }
            if *at > now {
                return true;
            }
            out.push(*h);
            *sent += 1;
            *at = now + RESEND_AFTER * 2u32.saturating_pow(*sent);
            *sent < MAX_RESENDS
        });
        out
    }

    /// How many transactions are tracked.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

fn pump(rx: Receiver<Vec<Hash>>, mempool: &Mempool, slot: &OnceLock<TxGossip>) {
    let mut resends = Resends::default();
    // A sweep visits every tracked transaction: once a second, not once per batch.
    let mut next_sweep = Instant::now();
    loop {
        let mut hashes = match rx.recv_timeout(SWEEP_EVERY) {
            Ok(first) => first,
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Coalesce whatever else is waiting, so a burst of single submissions becomes few
        // payloads (peers rate-limit messages, not bytes).
        while hashes.len() < MAX_GOSSIP_TXS {
            match rx.try_recv() {
                Ok(more) => hashes.extend(more),
                Err(_) => break,
            }
        }
        let Some(gossip) = slot.get() else {
            continue; // consensus not started yet: nobody to gossip to
        };
        let now = Instant::now();
        resends.track(&hashes, now);
        if now >= next_sweep {
            hashes.extend(resends.take_due(now, |h| mempool.get(h).is_some()));
            next_sweep = now + SWEEP_EVERY;
        }
        // Already included (and pruned) transactions need not travel.
        let txs: Vec<Arc<SignedTransaction>> =
            hashes.iter().filter_map(|h| mempool.get(h)).collect();
        for payload in payloads(&txs, MAX_GOSSIP_TXS, gossip.max_payload_size()) {
            send(gossip, payload);
        }
    }
}

fn send(gossip: &TxGossip, payload: Vec<u8>) {
    // A full queue means the network is momentarily behind: wait briefly a few times, then
    // drop (the transactions still wait in this node's pool).
    for attempt in 0..3 {
        match gossip.broadcast(payload.clone()) {
            Ok(()) => return,
            Err(GossipError::QueueFull) if attempt < 2 => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                tracing::debug!(error = %e, "transaction gossip not sent");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_primitives::{Keypair, decode_exact};
    use synod_runtime::BankCall;
    use synod_runtime::{Call, Transaction};

    fn txs(n: usize) -> Vec<Arc<SignedTransaction>> {
        let k = Keypair::dev("alice");
        (0..n)
            .map(|i| {
                Arc::new(
                    Transaction {
                        chain_id: "c".into(),
                        sender: k.account(),
                        nonce: i as u64,
                        fee: 1,
                        call: Call::Bank(BankCall::Transfer {
                            to: k.account(),
                            amount: 1,
                        }),
                    }
                    .sign(&k, &Hash::ZERO),
                )
            })
            .collect()
    }

    #[test]
    fn resends_wait_back_off_stop_and_forget_what_left_the_pool() {
        let all: Vec<Hash> = txs(3).iter().map(|t| t.hash()).collect();
        let (a, b, c) = (all[0], all[1], all[2]);
        let t0 = Instant::now();
        let mut r = Resends::default();
        r.track(&[a, b, c], t0);
        r.track(&[a], t0 + RESEND_AFTER); // already tracked: its clock does not restart
        let pooled = |gone: Hash| move |h: &Hash| *h != gone;
        assert!(r.take_due(t0, pooled(Hash::ZERO)).is_empty(), "not yet due");
        // b left the pool (included): forgotten, never resent.
        let mut sends = Vec::new();
        let mut at = t0;
        for _ in 0..40 {
            at += Duration::from_secs(1);
            let due = r.take_due(at, pooled(b));
            if !due.is_empty() {
                sends.push((at.duration_since(t0).as_secs(), due));
            }
        }
        let secs: Vec<u64> = sends.iter().map(|(s, _)| *s).collect();
        // Due at 5 s, then 10 s later, then 20 s later; then given up.
        assert_eq!(secs, vec![5, 15, 35], "{sends:?}");
        let mut want = vec![a, c];
        want.sort();
        for (_, due) in &sends {
            assert_eq!(due, &want);
        }
        assert!(r.is_empty(), "{} still tracked", r.len());
    }

    #[test]
    fn payloads_respect_both_bounds_and_keep_every_transaction_once() {
        let all = txs(50);
        let one = all[0].encode().len();
        for (max_txs, max_bytes) in [(7, 1 << 20), (1024, 4 + 3 * one), (2, 4 + one)] {
            let ps = payloads(&all, max_txs, max_bytes);
            let mut seen = Vec::new();
            for p in &ps {
                assert!(p.len() <= max_bytes, "payload of {} bytes", p.len());
                let decoded: Vec<SignedTransaction> = decode_exact(p, p.len()).expect("borsh");
                assert!(!decoded.is_empty() && decoded.len() <= max_txs);
                seen.extend(decoded.iter().map(SignedTransaction::hash));
            }
            let want: Vec<Hash> = all.iter().map(|t| t.hash()).collect();
            assert_eq!(seen, want, "({max_txs}, {max_bytes})");
        }
        assert!(payloads(&all, 10, 3).is_empty(), "nothing fits in 3 bytes");
    }
}
