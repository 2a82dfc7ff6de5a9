//! Validator-set rotation: one simplex instance per epoch, each with the set the state machine
//! fixed for it.
//!
//! Epoch `e` covers heights `e*L ..= (e+1)*L - 1` ([`FixedEpocher`], `L` =
//! [`EngineConfig::epoch_length`]). The application commits the set of epoch `e+1` in the last
//! block of epoch `e` (the boundary block), so once that block is finalized and committed every
//! node knows the next set from its own state. The orchestrator then starts epoch `e+1`'s
//! simplex engine (floor: the boundary block, which marshal's inline wrapper re-proposes until
//! the old engine stops) and stops epoch `e`'s. Votes, certificates and simplex's certificate
//! resolver travel on per-epoch subchannels of their p2p channels; marshal (blocks,
//! finalizations, backfill) spans all epochs and verifies each certificate with the scheme of its
//! epoch ([`EpochSchemes`]).
//!
//! A node that falls behind hears votes of an epoch it has not entered; it asks the sender for
//! the finalization of its current epoch's boundary block (marshal `hint_finalized`), commits
//! up to it, and moves on, one epoch at a time. A node outside an epoch's set runs that epoch's
//! engine with a verify-only scheme: it follows and checks, and never signs.

use crate::{
    Application, ConsensusError, EngineConfig,
    adapter::BuildVerify,
    block::Digest,
    evidence::FaultReporter,
    identity::{self, PublicKey},
};
use commonware_consensus::{
    marshal::{
        core::Mailbox,
        standard::{Inline, Standard},
    },
    simplex::{
        self,
        config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
        scheme::ed25519::Scheme,
    },
    types::{Epoch, Epocher as _, FixedEpocher, Height, ViewDelta},
};
use commonware_cryptography::{
    certificate::{Provider, Scoped},
    sha256::Sha256,
};
use commonware_p2p::{
    Blocker, Manager, Receiver, Sender, TrackedPeers,
    utils::mux::{Builder as _, MuxHandle, Muxer},
};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage, buffer::paged::CacheRef};
use commonware_utils::{ordered::Set, vec::NonEmptyVec};
use futures::{StreamExt as _, channel::mpsc};
use rand_core::CryptoRng;
use std::{
    collections::{BTreeMap, BTreeSet},
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::Duration,
};
use synod_primitives::AccountId;
use tracing::{debug, error, info};

/// Room for validator-set members that are neither genesis validators nor listed observers.
/// Kept small: p2p sizes its queues by the peer-set bound (see
/// [`EngineConfig::messages_per_second`]), and an unlisted member cannot sync before it
/// joins anyway.
const UNLISTED_MEMBERS: usize = 8;

/// The most keys one tracked p2p peer set may hold (this node included): every key p2p admits
/// from the configuration, plus room for set members chosen by stake that are listed nowhere.
pub fn max_peers_per_set(config: &EngineConfig) -> usize {
    config.validators.len() + config.observers.len() + 1 + UNLISTED_MEMBERS
}

/// The epoch numbering of `config`: fixed-length epochs, or one unbounded epoch.
pub(crate) fn epocher(config: &EngineConfig) -> FixedEpocher {
    let length = config
        .epoch_length
        .and_then(std::num::NonZeroU64::new)
        .unwrap_or(std::num::NonZeroU64::MAX);
    FixedEpocher::new(length)
}

/// Each epoch's validator set and signing scheme, asked of the application once and kept.
///
/// Epoch 0 is the configured (genesis) set; with rotation off it is every epoch's. The scheme
/// signs when this node is in the epoch's set and only verifies otherwise.
pub(crate) struct EpochSchemes<A> {
    inner: Arc<SchemesInner<A>>,
}

/// Epoch schemes kept in memory (the newest by epoch number).
const KNOWN_EPOCHS: usize = 16;

/// An epoch's validator set and this node's scheme for it.
type EpochScheme = (Vec<AccountId>, Arc<Scheme>);

struct SchemesInner<A> {
    app: A,
    rotating: bool,
    namespace: Vec<u8>,
    key: synod_primitives::Keypair,
    genesis_set: Vec<AccountId>,
    known: Mutex<BTreeMap<u64, EpochScheme>>,
}

impl<A> Clone for EpochSchemes<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<A: Application> EpochSchemes<A> {
    pub(crate) fn new(app: A, config: &EngineConfig) -> Self {
        Self {
            inner: Arc::new(SchemesInner {
                app,
                rotating: config.epoch_length.is_some(),
                namespace: config.namespace.clone(),
                key: config.key.clone(),
                genesis_set: config.validators.clone(),
                known: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The set of `epoch` and this node's scheme for it, or `None` while the application does
    /// not know the set yet (its boundary block is not committed).
    pub(crate) fn get(&self, epoch: u64) -> Option<EpochScheme> {
        let inner = &self.inner;
        if let Some(found) = inner
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&epoch)
        {
            return Some(found.clone());
        }
        let set = if epoch == 0 || !inner.rotating {
            inner.genesis_set.clone()
        } else {
            inner.app.validator_set(epoch)?
        };
        let participants = match identity::participants(&set) {
            Ok(p) => p,
            Err(e) => {
                error!(epoch, error = %e, "the application's validator set is unusable");
                return None;
            }
        };
        let scheme = if set.contains(&inner.key.account()) {
            Scheme::signer(
                &inner.namespace,
                participants.clone(),
                identity::signing_key(&inner.key),
            )?
        } else {
            Scheme::verifier(&inner.namespace, participants)
        };
        let entry = (set, Arc::new(scheme));
        let mut known = inner.known.lock().unwrap_or_else(|p| p.into_inner());
        known.insert(epoch, entry.clone());
        // A cache, not a record: an evicted epoch is asked of the application again.
        while known.len() > KNOWN_EPOCHS {
            known.pop_first();
        }
        Some(entry)
    }
}

impl<A: Application> Provider for EpochSchemes<A> {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Scoped<Scheme>> {
        self.get(epoch.get())
            .map(|(_, scheme)| Scoped::scheme(scheme))
    }
}

/// A finalized boundary block was committed: epoch `next` may start on top of `boundary`.
pub(crate) struct Boundary {
    pub(crate) next: u64,
    pub(crate) boundary: Digest,
}

/// What the orchestrator needs besides the channels.
pub(crate) struct Orchestrator<E: Spawner + Clock, A: Application, B, M> {
    pub(crate) context: E,
    pub(crate) config: EngineConfig,
    pub(crate) app: A,
    pub(crate) schemes: EpochSchemes<A>,
    /// The inline marshal wrapper: automaton, relay and (through the fault reporter) reporter
    /// of every epoch's engine.
    pub(crate) inline: InlineApp<E, A>,
    pub(crate) marshal: Mailbox<Scheme, Standard<crate::ConsensusBlock>>,
    pub(crate) blocker: B,
    pub(crate) manager: M,
    pub(crate) genesis: Digest,
    pub(crate) page_cache: CacheRef,
    pub(crate) boundaries: mpsc::UnboundedReceiver<Boundary>,
}

/// The marshal wrapper every epoch's engine uses as automaton, relay and reporter.
pub(crate) type InlineApp<E, A> =
    Inline<E, Scheme, BuildVerify<A>, crate::ConsensusBlock, FixedEpocher>;

type BackupRx =
    commonware_utils::channel::mpsc::Receiver<(u64, (PublicKey, commonware_runtime::IoBuf))>;

struct Running {
    epoch: u64,
    handle: Handle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl<E, A, B, M> Orchestrator<E, A, B, M>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    A: Application,
    B: Blocker<PublicKey = PublicKey> + Clone + Sync,
    M: Manager<PublicKey = PublicKey> + Clone + Sync,
{
    /// Runs until the runtime stops: enters the epoch after the last processed height, then one
    /// epoch per committed boundary block.
    pub(crate) async fn run<S, R>(
        mut self,
        votes: (S, R),
        certificates: (S, R),
        resolver: (S, R),
    ) -> Result<(), ConsensusError>
    where
        S: Sender<PublicKey = PublicKey>,
        R: Receiver<PublicKey = PublicKey>,
    {
        let (vote_mux, mut vote_handle, vote_backup) =
            Muxer::builder(self.context.child("vote_mux"), votes.0, votes.1)
                .with_backup()
                .build();
        let (cert_mux, mut cert_handle, cert_backup) = Muxer::builder(
            self.context.child("certificate_mux"),
            certificates.0,
            certificates.1,
        )
        .with_backup()
        .build();
        let (resolver_mux, mut resolver_handle) =
            Muxer::new(self.context.child("resolver_mux"), resolver.0, resolver.1);
        let _muxers = [vote_mux.start(), cert_mux.start(), resolver_mux.start()];
        let mut backups =
            futures::stream::select(backup_stream(vote_backup), backup_stream(cert_backup));

        let epocher = epocher(&self.config);
        // The epoch of the next block marshal will deliver.
        let processed = self
            .marshal
            .get_processed()
            .await
            .map_or(0, |p| p.height().get());
        let first = epocher
            .containing(Height::new(processed.saturating_add(1)))
            .map_or(0, |b| b.epoch().get());
        let floor = self.epoch_floor(&epocher, first).await?;
        let mut running = self
            .enter(
                first,
                floor,
                &mut vote_handle,
                &mut cert_handle,
                &mut resolver_handle,
            )
            .await?;
        // Nothing else runs yet: journals a crash left behind can go.
        for done in [first.checked_sub(1), first.checked_sub(2)]
            .into_iter()
            .flatten()
        {
            self.forget(done).await;
        }

        loop {
            futures::select! {
                boundary = self.boundaries.next() => {
                    let Some(Boundary { next, boundary }) = boundary else {
                        return Ok(());
                    };
                    if next <= running.epoch {
                        continue; // already there (entered at startup)
                    }
                    let entered = self
                        .enter(
                            next,
                            Floor::Genesis(boundary),
                            &mut vote_handle,
                            &mut cert_handle,
                            &mut resolver_handle,
                        )
                        .await?;
                    // Dropping the old engine aborts it; its subchannels close with it.
                    running = entered;
                    // Not the epoch just left: its aborted engine may still be winding down
                    // and writing to its journal. The one before it stopped an epoch ago.
                    if let Some(done) = next.checked_sub(2) {
                        self.forget(done).await;
                    }
                }
                backup = backups.next() => {
                    let Some((their_epoch, from)) = backup else {
                        return Ok(());
                    };
                    if their_epoch > running.epoch
                        && let Some(boundary) = epocher.last(Epoch::new(running.epoch))
                    {
                        // Peers are in a later epoch: fetch the finalization of our epoch's
                        // boundary block from one of them, so we can follow.
                        debug!(their_epoch, ours = running.epoch, "peer is ahead; asking for the boundary finalization");
                        self.marshal.hint_finalized(boundary, NonEmptyVec::new(from));
                    }
                }
            }
        }
    }

    /// The floor of `epoch`: genesis for epoch 0, else the (committed) boundary block of the
    /// previous epoch.
    async fn epoch_floor(
        &self,
        epocher: &FixedEpocher,
        epoch: u64,
    ) -> Result<Floor<Scheme, Digest>, ConsensusError> {
        let Some(previous) = Epoch::new(epoch).previous() else {
            return Ok(Floor::Genesis(self.genesis));
        };
        let height = epocher.last(previous).ok_or_else(|| {
            ConsensusError::InvalidConfig(format!("epoch {epoch} is outside the epocher"))
        })?;
        let (_, digest) = self.marshal.get_info(height).await.ok_or_else(|| {
            ConsensusError::Storage(format!(
                "boundary block {} of epoch {} is not in the finalized archive",
                height.get(),
                previous.get()
            ))
        })?;
        Ok(Floor::Genesis(digest))
    }

    /// The journal of `epoch`'s simplex engine. Epoch 0 keeps the name it had before
    /// rotation existed, so existing data directories resume.
    fn partition(&self, epoch: u64) -> String {
        if epoch == 0 {
            format!("{}-simplex", self.config.partition_prefix)
        } else {
            format!("{}-simplex-e{epoch}", self.config.partition_prefix)
        }
    }

    /// Deletes the journal of an epoch this node left earlier. Its votes are never needed again:
    /// the next epoch starts from that epoch's finalized last block, and a restart enters the
    /// epoch after the last committed block. Without this a node would keep one journal per
    /// epoch for ever.
    async fn forget(&self, epoch: u64) {
        let partition = self.partition(epoch);
        match self.context.remove(&partition, None).await {
            Ok(()) => debug!(epoch, "removed the journal of a finished epoch"),
            Err(commonware_runtime::Error::PartitionMissing(_)) => {}
            Err(e) => error!(epoch, error = %e, "cannot remove the journal of a finished epoch"),
        }
    }

    async fn enter<S>(
        &mut self,
        epoch: u64,
        floor: Floor<Scheme, Digest>,
        votes: &mut MuxHandle<S>,
        certificates: &mut MuxHandle<S>,
        resolver: &mut MuxHandle<S>,
    ) -> Result<Running, ConsensusError>
    where
        S: Sender<PublicKey = PublicKey>,
    {
        let (set, scheme) = self.schemes.get(epoch).ok_or_else(|| {
            ConsensusError::ApplicationFailed(format!(
                "the validator set of epoch {epoch} is unknown after its boundary block"
            ))
        })?;
        if epoch > 0 {
            // This epoch's set is primary; the other keys p2p admits (genesis validators,
            // listed observers) stay reachable as secondary peers: they follow and backfill.
            let mut primary: BTreeSet<AccountId> = set.iter().copied().collect();
            let bound = max_peers_per_set(&self.config);
            if primary.len() + 1 > bound {
                // p2p refuses a larger set outright; connect to as many members as it allows
                // (the rest still verify and sign, but only reach us through others).
                error!(
                    epoch,
                    members = primary.len(),
                    bound,
                    "validator set larger than the p2p peer-set bound; list future validators in [p2p] observers"
                );
                primary = primary.into_iter().take(bound - 1).collect();
            }
            let room = bound.saturating_sub(primary.len() + 1);
            let secondary: Vec<AccountId> = self
                .config
                .validators
                .iter()
                .chain(&self.config.observers)
                .filter(|a| !primary.contains(a) && **a != self.config.account())
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .take(room)
                .collect();
            let to_keys = |accounts: &mut dyn Iterator<Item = &AccountId>| {
                accounts
                    .map(identity::public_key)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Set::from_iter_dedup)
            };
            let peers = TrackedPeers::new(
                to_keys(&mut primary.iter())?,
                to_keys(&mut secondary.iter())?,
            );
            let _ = self.manager.track(epoch, peers);
        }
        let timeout = |d: Duration| d;
        let mailbox = NonZeroUsize::new(self.config.mailbox_size)
            .ok_or_else(|| ConsensusError::InvalidConfig("mailbox_size must be positive".into()))?;
        let fetch_timeout = commonware_utils::NonZeroDuration::new(self.config.fetch_timeout)
            .ok_or_else(|| {
                ConsensusError::InvalidConfig("fetch_timeout must be positive".into())
            })?;
        let io = commonware_utils::NZUsize!(64 * 1024);
        let partition = self.partition(epoch);
        let engine = simplex::Engine::new(
            self.context.child("simplex").with_attribute("epoch", epoch),
            simplex::Config {
                scheme: scheme.as_ref().clone(),
                elector: RoundRobin::<Sha256>::default(),
                blocker: self.blocker.clone(),
                automaton: self.inline.clone(),
                relay: self.inline.clone(),
                reporter: FaultReporter::new(
                    self.inline.clone(),
                    self.app.clone(),
                    self.config.namespace.clone(),
                    epoch,
                    set.clone(),
                ),
                strategy: Sequential,
                partition,
                mailbox_size: mailbox,
                epoch: Epoch::new(epoch),
                floor,
                replay_buffer: io,
                write_buffer: io,
                page_cache: self.page_cache.clone(),
                leader_timeout: timeout(self.config.leader_timeout),
                certification_timeout: self.config.notarization_timeout,
                timeout_retry: self.config.nullify_retry,
                view_retention: ViewDelta::new(64),
                skip: SkipPolicy::Enabled {
                    timeout: self.config.skip_timeout,
                    budget: SkipBudget::Participants,
                },
                fetch_timeout,
                fetch_retry_delay: Duration::from_millis(100),
                forward: ForwardPolicy::SilentLeader,
                track_historical_votes: false,
            },
        );
        let closed = |_| ConsensusError::Stopped("consensus channel multiplexer closed".into());
        let v = votes.register(epoch).await.map_err(closed)?;
        let c = certificates.register(epoch).await.map_err(closed)?;
        let r = resolver.register(epoch).await.map_err(closed)?;
        let handle = engine.start(v, c, r);
        info!(
            epoch,
            validators = set.len(),
            voting = set.contains(&self.config.account()),
            "entered consensus epoch"
        );
        Ok(Running { epoch, handle })
    }
}

/// The (epoch, sender) of each message for an epoch this node has no engine for.
fn backup_stream(rx: BackupRx) -> impl futures::Stream<Item = (u64, PublicKey)> + Unpin {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        let (epoch, (from, _)) = rx.recv().await?;
        Some(((epoch, from), rx))
    }))
}
