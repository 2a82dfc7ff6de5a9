//! The committee mesh: one authenticated, encrypted TCP link per pair of
//! members, frames dispatched to per-job inboxes, and the
//! [`synod_mpc::Transport`] implementation jobs run over.
//!
//! The lower index dials the higher one and redials while the link is
//! down; the higher one accepts. A link that fails to decrypt or frame a
//! message is closed. A job whose peer is not connected fails at once; a
//! job whose peer stays silent fails when the round timeout expires; a job
//! that fails at one member sends an abort to the others so they fail fast
//! with the same reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use synod_mpc::{DecodeLimits, Fr, Message, MpcError, Transport};
use synod_primitives::Keypair;

use crate::config::Committee;
use crate::error::BlindError;
use crate::frame::{PEER_HEADER, PeerFrame, Reassembler, check_len, read_frame, write_frame};
use crate::secure::{self, Established, RecvCipher, SendCipher, TAG_LEN};
use crate::types::JobId;

/// What a wire tap sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TapPoint {
    /// Bytes written to a peer socket (length prefix + ciphertext).
    Wire,
    /// A frame's plaintext just before encryption.
    Plaintext,
}

/// A test hook called with every frame this node sends.
pub type WireTap = Arc<dyn Fn(TapPoint, usize, &[u8]) + Send + Sync>;

/// An incoming event for a job.
#[derive(Debug)]
pub enum Incoming {
    /// Encoded MPC message (or one piece of it) from a member.
    Mpc {
        /// Sender index.
        from: usize,
        /// Whether more pieces of the same message follow.
        more: bool,
        /// The whole peer frame; the `Message` encoding starts at
        /// [`crate::frame::PEER_HEADER`].
        frame: Vec<u8>,
    },
    /// A member gave up on the job.
    Abort {
        /// Sender index.
        from: usize,
        /// Its reason.
        reason: String,
    },
}

struct Inbox {
    tx: mpsc::UnboundedSender<Incoming>,
    rx: Option<mpsc::UnboundedReceiver<Incoming>>,
    created: Instant,
}

struct PeerLink {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    generation: u64,
}

/// Settings of the mesh.
#[derive(Clone, Debug)]
pub struct MeshConfig {
    /// Largest frame accepted.
    pub max_frame: usize,
    /// Handshake timeout.
    pub handshake_timeout: Duration,
    /// Delay between redials.
    pub redial: Duration,
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig {
            max_frame: crate::frame::DEFAULT_MAX_FRAME,
            handshake_timeout: Duration::from_secs(5),
            redial: Duration::from_millis(200),
        }
    }
}

/// The committee mesh of one member.
pub struct Mesh {
    me: usize,
    key: Keypair,
    committee: Committee,
    cfg: MeshConfig,
    links: Mutex<Vec<Option<PeerLink>>>,
    inboxes: Mutex<HashMap<JobId, Inbox>>,
    generation: AtomicU64,
    tap: Mutex<Option<WireTap>>,
    changed: watch::Sender<u64>,
}

const MAX_UNCLAIMED_INBOXES: usize = 1024;
const UNCLAIMED_TTL: Duration = Duration::from_secs(120);

impl Mesh {
    /// Create the mesh (no I/O yet; see [`Mesh::start`]).
    pub fn new(me: usize, key: Keypair, committee: Committee, cfg: MeshConfig) -> Arc<Self> {
        let n = committee.n();
        Arc::new(Mesh {
            me,
            key,
            committee,
            cfg,
            links: Mutex::new((0..n).map(|_| None).collect()),
            inboxes: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            tap: Mutex::new(None),
            changed: watch::channel(0).0,
        })
    }

    /// This member's index.
    pub fn me(&self) -> usize {
        self.me
    }

    /// The committee.
    pub fn committee(&self) -> &Committee {
        &self.committee
    }

    /// Install a wire tap (tests).
    pub fn set_tap(&self, tap: WireTap) {
        *self.tap.lock() = Some(tap);
    }

    /// Indices of connected peers.
    pub fn connected(&self) -> Vec<usize> {
        self.links
            .lock()
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.as_ref().map(|_| i))
            .collect()
    }

    /// Wait until every peer is connected or `timeout` passes.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.connected().len() + 1 == self.committee.n() {
                return true;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    /// Accept peers on `listener` and dial the higher-index members.
    pub fn start(self: &Arc<Self>, listener: TcpListener) {
        let me = Arc::clone(self);
        tokio::spawn(async move { me.accept_loop(listener).await });
        for peer in self.me + 1..self.committee.n() {
            let me = Arc::clone(self);
            tokio::spawn(async move { me.dial_loop(peer).await });
        }
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let me = Arc::clone(&self);
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream.set_nodelay(true);
                let hs = tokio::time::timeout(
                    me.cfg.handshake_timeout,
                    secure::respond(&mut stream, &me.key, &me.committee, me.me),
                )
                .await;
                match hs {
                    Ok(Ok(est)) => {
                        let done = me.install(stream, est);
                        let _ = done.await;
                    }
                    Ok(Err(e)) => tracing::warn!("inbound handshake failed: {e}"),
                    Err(_) => tracing::warn!("inbound handshake timed out"),
                }
            });
        }
    }

    async fn dial_loop(self: Arc<Self>, peer: usize) {
        let addr = self.committee.members[peer].p2p;
        loop {
            let attempt = async {
                let mut s = TcpStream::connect(addr)
                    .await
                    .map_err(|e| BlindError::Network(format!("connect {addr}: {e}")))?;
                let _ = s.set_nodelay(true);
                let est =
                    secure::initiate(&mut s, &self.key, &self.committee, self.me, peer).await?;
                Ok::<_, BlindError>((s, est))
            };
            match tokio::time::timeout(self.cfg.handshake_timeout, attempt).await {
                Ok(Ok((s, est))) => {
                    tracing::info!(peer, "link up");
                    let done = self.install(s, est);
                    let _ = done.await;
                    tracing::info!(peer, "link down");
                }
                Ok(Err(e)) => tracing::debug!(peer, "dial failed: {e}"),
                Err(_) => tracing::debug!(peer, "dial timed out"),
            }
            tokio::time::sleep(self.cfg.redial).await;
        }
    }

    /// Register an established link; the returned receiver resolves when
    /// the link is gone.
    fn install(
        self: &Arc<Self>,
        stream: TcpStream,
        est: Established,
    ) -> tokio::sync::oneshot::Receiver<()> {
        let Established { peer, send, recv } = est;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
        self.links.lock()[peer] = Some(PeerLink { tx, generation });
        self.changed.send_modify(|g| *g += 1);
        let (rd, wr) = stream.into_split();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let w = me.clone().writer(wr, send, rx, peer);
            let r = me.clone().reader(rd, recv, peer);
            tokio::select! {
                e = w => tracing::debug!(peer, "writer ended: {e:?}"),
                e = r => tracing::debug!(peer, "reader ended: {e:?}"),
            }
            {
                let mut links = me.links.lock();
                if links[peer]
                    .as_ref()
                    .is_some_and(|l| l.generation == generation)
                {
                    links[peer] = None;
                }
            }
            me.changed.send_modify(|g| *g += 1);
            let _ = done_tx.send(());
        });
        done_rx
    }

    async fn writer(
        self: Arc<Self>,
        mut wr: tokio::net::tcp::OwnedWriteHalf,
        mut cipher: SendCipher,
        mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
        peer: usize,
    ) -> Result<(), BlindError> {
        while let Some(mut buf) = rx.recv().await {
            let tap = self.tap.lock().clone();
            if let Some(t) = &tap {
                t(TapPoint::Plaintext, peer, &buf);
            }
            cipher.seal(&mut buf)?;
            let len = u32::try_from(buf.len())
                .map_err(|_| BlindError::Network("frame too large".into()))?;
            if let Some(t) = &tap {
                let mut wire = len.to_le_bytes().to_vec();
                wire.extend_from_slice(&buf);
                t(TapPoint::Wire, peer, &wire);
            }
            write_frame(&mut wr, &buf).await?;
        }
        let _ = wr.shutdown().await;
        Ok(())
    }

    async fn reader(
        self: Arc<Self>,
        mut rd: tokio::net::tcp::OwnedReadHalf,
        mut cipher: RecvCipher,
        peer: usize,
    ) -> Result<(), BlindError> {
        loop {
            let mut buf = read_frame(&mut rd, self.cfg.max_frame + TAG_LEN).await?;
            cipher.open(&mut buf)?;
            // MPC frames (the bulk of the traffic) are handed on without
            // copying their body: the job decodes past the header.
            if let Some((job, more)) = crate::frame::mpc_job(&buf) {
                self.deliver(
                    job,
                    Incoming::Mpc {
                        from: peer,
                        more,
                        frame: buf,
                    },
                );
                continue;
            }
            match PeerFrame::decode(&buf) {
                Ok(PeerFrame::Mpc { .. }) => {
                    return Err(BlindError::Network("malformed MPC frame".into()));
                }
                Ok(PeerFrame::Abort { job, reason }) => {
                    self.deliver(job, Incoming::Abort { from: peer, reason })
                }
                Err(e) => {
                    tracing::warn!(peer, "closing link: {e}");
                    return Err(e);
                }
            }
        }
    }

    fn deliver(&self, job: JobId, msg: Incoming) {
        let mut boxes = self.inboxes.lock();
        if !boxes.contains_key(&job) {
            if boxes.len() >= MAX_UNCLAIMED_INBOXES {
                boxes.retain(|_, b| b.rx.is_none() || b.created.elapsed() < UNCLAIMED_TTL);
                if boxes.len() >= MAX_UNCLAIMED_INBOXES {
                    tracing::warn!("dropping frame for job {job}: too many open jobs");
                    return;
                }
            }
            let (tx, rx) = mpsc::unbounded_channel();
            boxes.insert(
                job,
                Inbox {
                    tx,
                    rx: Some(rx),
                    created: Instant::now(),
                },
            );
        }
        if let Some(b) = boxes.get(&job) {
            let _ = b.tx.send(msg);
        }
    }

    /// Send a plaintext frame to `peer`.
    pub fn send(&self, peer: usize, frame: Vec<u8>) -> Result<(), BlindError> {
        check_len(frame.len(), self.cfg.max_frame)?;
        let links = self.links.lock();
        let link = links
            .get(peer)
            .and_then(Option::as_ref)
            .ok_or_else(|| BlindError::Network(format!("node {peer} is not connected")))?;
        link.tx
            .send(frame)
            .map_err(|_| BlindError::Network(format!("link to node {peer} closed")))
    }

    /// Claim the inbox of `job` (creating it if no frame arrived yet).
    pub fn open_job(&self, job: JobId) -> Result<mpsc::UnboundedReceiver<Incoming>, BlindError> {
        let mut boxes = self.inboxes.lock();
        let entry = boxes.entry(job).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            Inbox {
                tx,
                rx: Some(rx),
                created: Instant::now(),
            }
        });
        entry
            .rx
            .take()
            .ok_or_else(|| BlindError::AlreadyExists(format!("job {job} is already running")))
    }

    /// Forget a job's inbox.
    pub fn close_job(&self, job: &JobId) {
        self.inboxes.lock().remove(job);
    }

    /// Tell every peer that this member gave up on `job`.
    pub fn broadcast_abort(&self, job: &JobId, reason: &str) {
        let frame = PeerFrame::Abort {
            job: *job,
            reason: reason.to_string(),
        }
        .encode();
        for p in 0..self.committee.n() {
            if p != self.me {
                let _ = self.send(p, frame.clone());
            }
        }
    }
}

/// [`Transport`] for one job over the mesh.
pub struct JobTransport {
    job: JobId,
    mesh: Arc<Mesh>,
    inbox: mpsc::UnboundedReceiver<Incoming>,
    pending: BTreeMap<u64, Vec<Message<Fr>>>,
    round_timeout: Duration,
    pieces: Reassembler,
    piece_elements: usize,
    /// Bytes of MPC messages sent.
    pub bytes_sent: u64,
}

impl JobTransport {
    /// Claim `job`'s inbox on `mesh`. One round's message to a peer may
    /// hold up to `max_frame / 32` elements; it travels in pieces of at
    /// most `piece_elements` elements.
    pub fn new(
        mesh: Arc<Mesh>,
        job: JobId,
        round_timeout: Duration,
        max_frame: usize,
        piece_elements: usize,
    ) -> Result<Self, BlindError> {
        let inbox = mesh.open_job(job)?;
        let limits = DecodeLimits {
            max_elements: (max_frame / 32) as u64,
            parties: mesh.committee.n(),
        };
        Ok(JobTransport {
            job,
            pieces: Reassembler::new(mesh.me, limits),
            mesh,
            inbox,
            pending: BTreeMap::new(),
            round_timeout,
            piece_elements: piece_elements.clamp(1, (max_frame / 32).max(1)),
            bytes_sent: 0,
        })
    }

    fn err(e: impl std::fmt::Display) -> MpcError {
        MpcError::Transport(e.to_string())
    }

    async fn exchange_inner(
        &mut self,
        round: u64,
        outgoing: Vec<Message<Fr>>,
    ) -> Result<Vec<Message<Fr>>, MpcError> {
        let me = self.mesh.me;
        let n = self.mesh.committee.n();
        // Pieces go out round-robin over the peers so every link is busy
        // while the next piece is being encoded.
        let step = self.piece_elements;
        let pieces = |m: &Message<Fr>| m.payload.len().div_ceil(step).max(1);
        let most = outgoing.iter().map(pieces).max().unwrap_or(0);
        for k in 0..most {
            for m in &outgoing {
                let count = pieces(m);
                if k >= count {
                    continue;
                }
                let range = k * step..(k + 1) * step;
                let frame = PeerFrame::encode_mpc_piece(&self.job, m, range, k + 1 < count);
                self.bytes_sent += frame.len() as u64;
                self.mesh.send(m.to, frame).map_err(Self::err)?;
            }
        }
        let mut got = self.pending.remove(&round).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + self.round_timeout;
        while got.len() < n - 1 {
            let next = tokio::time::timeout_at(deadline, self.inbox.recv()).await;
            match next {
                Err(_) => {
                    let mut missing: Vec<usize> = (0..n).filter(|p| *p != me).collect();
                    missing.retain(|p| !got.iter().any(|m| m.from == *p));
                    return Err(Self::err(format!(
                        "node(s) {missing:?} did not answer round {round} within {} ms",
                        self.round_timeout.as_millis()
                    )));
                }
                Ok(None) => return Err(Self::err("job inbox closed")),
                Ok(Some(Incoming::Abort { from, reason })) => {
                    return Err(Self::err(format!("node {from} aborted the job: {reason}")));
                }
                Ok(Some(Incoming::Mpc { from, more, frame })) => {
                    let bytes = frame.get(PEER_HEADER..).unwrap_or(&[]);
                    let Some(m) = self.pieces.push(from, more, bytes).map_err(Self::err)? else {
                        continue;
                    };
                    if m.round == round {
                        got.push(m);
                    } else if m.round > round && m.round <= round + 2 {
                        self.pending.entry(m.round).or_default().push(m);
                    } else {
                        return Err(Self::err(format!(
                            "node {from} sent round {} during round {round}",
                            m.round
                        )));
                    }
                }
            }
        }
        Ok(got)
    }
}

impl Transport<Fr> for JobTransport {
    fn exchange(
        &mut self,
        round: u64,
        outgoing: Vec<Message<Fr>>,
    ) -> impl std::future::Future<Output = Result<Vec<Message<Fr>>, MpcError>> + Send {
        self.exchange_inner(round, outgoing)
    }
}

impl Drop for JobTransport {
    fn drop(&mut self) {
        self.mesh.close_job(&self.job);
    }
}
