//! Transaction gossip: what the RPC admits is sent once to every peer; what peers send is
//! admitted to the local pool and goes no further.
//!
//! Every node is connected to every validator, so one hop reaches all proposers and nothing is
//! relayed: a transaction travels over each link at most once, and the pools de-duplicate by
//! hash (`already_known`). Payloads are borsh `Vec<SignedTransaction>` of at most
//! [`MAX_GOSSIP_TXS`] transactions and the engine's gossip size limit. Gossip is best effort:
//! when the outbound queue is full a batch is dropped, and the transactions still wait in
//! this node's pool for its own proposals.

use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use synod_consensus::{GossipError, TxGossip};
use synod_mempool::Mempool;
use synod_primitives::{Hash, SignedTransaction, encode};
use synod_rpc::AdmittedHook;

/// Most transactions in one gossip payload.
pub const MAX_GOSSIP_TXS: usize = 1_024;

/// Admitted-transaction batches waiting for the pump; beyond this, batches are dropped.
const PENDING_BATCHES: usize = 1_024;

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

fn pump(rx: Receiver<Vec<Hash>>, mempool: &Mempool, slot: &OnceLock<TxGossip>) {
    while let Ok(first) = rx.recv() {
        // Coalesce whatever else is waiting, so a burst of single submissions becomes few
        // payloads (peers rate-limit messages, not bytes).
        let mut hashes = first;
        while hashes.len() < MAX_GOSSIP_TXS {
            match rx.try_recv() {
                Ok(more) => hashes.extend(more),
                Err(_) => break,
            }
        }
        let Some(gossip) = slot.get() else {
            continue; // consensus not started yet: nobody to gossip to
        };
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
    use synod_primitives::{Call, Keypair, Transaction, decode_exact};

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
                        call: Call::Transfer {
                            to: k.account(),
                            amount: 1,
                        },
                    }
                    .sign(&k, &Hash::ZERO),
                )
            })
            .collect()
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
