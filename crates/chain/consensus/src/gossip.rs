//! Transaction gossip: opaque application payloads flooded to every connected peer on their own
//! p2p channel ([`crate::channel::TXS`]), beside (and never competing with) consensus traffic.
//!
//! The engine never interprets a payload. The node sends borsh-encoded batches of signed
//! transactions and de-duplicates them in its mempool; gossip is not relayed further (every
//! validator is directly connected to every other), so each payload reaches each peer at most
//! once per [`TxGossip::broadcast`].

use crate::{Application, adapter::run_blocking, identity};
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Spawner;
use futures::{StreamExt as _, channel::mpsc};
use std::sync::{Arc, Mutex};
use tracing::{debug, warn};

/// Why [`TxGossip::broadcast`] refused a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GossipError {
    /// The payload is empty.
    #[error("gossip payload is empty")]
    Empty,
    /// The payload exceeds [`crate::EngineConfig::max_gossip_size`].
    #[error("gossip payload of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Payload size in bytes.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// The outbound queue is full (the network is not keeping up); try again later.
    #[error("gossip queue is full")]
    QueueFull,
    /// The engine has stopped.
    #[error("consensus engine stopped; gossip unavailable")]
    Closed,
}

/// A cloneable handle to broadcast payloads to every connected peer. Usable from any thread;
/// never blocks.
#[derive(Clone, Debug)]
pub struct TxGossip {
    // A single shared sender: cloning a futures sender grants each clone a guaranteed slot,
    // which would make the queue unbounded.
    queue: Arc<Mutex<mpsc::Sender<Vec<u8>>>>,
    max_size: usize,
}

impl TxGossip {
    /// A handle and the receiving end of its bounded outbound queue.
    pub(crate) fn new(capacity: usize, max_size: usize) -> (Self, mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Self {
                queue: Arc::new(Mutex::new(tx)),
                max_size,
            },
            rx,
        )
    }

    /// The largest payload [`broadcast`](Self::broadcast) accepts, in bytes.
    pub fn max_payload_size(&self) -> usize {
        self.max_size
    }

    /// Queues `payload` for delivery to every connected peer (not to this node). Best effort:
    /// a peer that is disconnected or over its rate quota misses it.
    pub fn broadcast(&self, payload: Vec<u8>) -> Result<(), GossipError> {
        if payload.is_empty() {
            return Err(GossipError::Empty);
        }
        if payload.len() > self.max_size {
            return Err(GossipError::TooLarge {
                size: payload.len(),
                max: self.max_size,
            });
        }
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.try_send(payload).map_err(|e| {
            if e.is_full() {
                GossipError::QueueFull
            } else {
                GossipError::Closed
            }
        })
    }
}

/// Sends queued payloads to all peers until the queue closes.
pub(crate) async fn send_loop<S: Sender>(mut sender: S, mut outbound: mpsc::Receiver<Vec<u8>>) {
    while let Some(payload) = outbound.next().await {
        let size = payload.len();
        let sent_to = sender.send(Recipients::All, payload, false);
        debug!(size, peers = sent_to.len(), "gossiped payload");
    }
}

/// Hands every received payload to the application, one at a time, off the async executor.
/// While the application is busy, arriving payloads wait in the channel's bounded inbound
/// mailbox (the network drops them when it is full), so a slow mempool throttles gossip
/// instead of growing memory.
pub(crate) async fn receive_loop<E, R, A>(context: E, mut receiver: R, app: A, max_size: usize)
where
    E: Spawner,
    R: Receiver<PublicKey = identity::PublicKey>,
    A: Application,
{
    loop {
        let (peer, message) = match receiver.recv().await {
            Ok(received) => received,
            Err(e) => {
                debug!(error = %e, "gossip channel closed");
                return;
            }
        };
        let payload: &[u8] = message.as_ref();
        if payload.is_empty() || payload.len() > max_size {
            warn!(
                peer = %identity::account_id(&peer),
                size = payload.len(),
                max_size,
                "dropping gossip payload outside the size limits"
            );
            continue;
        }
        let from = identity::account_id(&peer);
        let payload = payload.to_vec();
        let app = app.clone();
        if run_blocking(context.child("gossip"), "gossip_received", move || {
            app.gossip_received(from, payload)
        })
        .await
        .is_none()
        {
            return;
        }
    }
}
