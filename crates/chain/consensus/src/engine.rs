//! Wiring: simplex consensus + marshal + buffered broadcast + backfill resolver, generic over the
//! commonware runtime and p2p traits (so the same code runs on tokio with authenticated TCP p2p
//! and on the deterministic runtime with the simulated network).

use crate::{
    Application, ConsensusError, EngineConfig,
    adapter::{BuildVerify, FinalizedReporter, Progress, deliver_finalized},
    block::{ConsensusBlock, to_digest},
    epochs::{self, EpochSchemes, Orchestrator},
    gossip::{self, TxGossip},
    identity::{self, PublicKey},
};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self,
        core::Actor as MarshalActor,
        resolver::p2p as marshal_resolver,
        standard::{Inline, Standard},
    },
    simplex::{self, scheme::ed25519::Scheme},
    types::ViewDelta,
};
use commonware_cryptography::Digested;
use commonware_p2p::{Blocker, Manager, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Metrics, Quota, Spawner, Storage, buffer::paged::CacheRef,
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZU16, NZU64, NZUsize, NonZeroDuration};
use rand_core::CryptoRng;
use std::{
    num::{NonZeroU32, NonZeroU64, NonZeroUsize},
    sync::{Arc, atomic::Ordering},
    time::Duration,
};
use tracing::error;

/// P2P channel ids used by [`crate::run_tokio`]; simulated networks in tests may use the same.
pub mod channel {
    /// Individual votes (notarize, nullify, finalize).
    pub const VOTES: u64 = 0;
    /// Certificates (notarization, nullification, finalization).
    pub const CERTIFICATES: u64 = 1;
    /// Consensus certificate fetching.
    pub const RESOLVER: u64 = 2;
    /// Marshal block/finalization backfill.
    pub const BACKFILL: u64 = 3;
    /// Block broadcast.
    pub const BROADCAST: u64 = 4;
    /// Transaction gossip (opaque application payloads, see [`crate::TxGossip`]).
    pub const TXS: u64 = 5;
}

/// The six p2p channels the engine needs, as (sender, receiver) pairs.
pub struct Channels<S, R> {
    /// Votes channel.
    pub votes: (S, R),
    /// Certificates channel.
    pub certificates: (S, R),
    /// Consensus certificate resolver channel.
    pub resolver: (S, R),
    /// Marshal backfill channel.
    pub backfill: (S, R),
    /// Block broadcast channel.
    pub broadcast: (S, R),
    /// Transaction gossip channel; register it with [`gossip_quota`].
    pub txs: (S, R),
}

/// A per-channel, per-peer rate quota for the configured message rate.
pub fn channel_quota(config: &EngineConfig) -> Quota {
    Quota::per_second(NonZeroU32::new(config.messages_per_second.max(1)).unwrap_or(NonZeroU32::MIN))
}

/// The per-peer rate quota of the transaction gossip channel.
pub fn gossip_quota(config: &EngineConfig) -> Quota {
    Quota::per_second(
        NonZeroU32::new(config.gossip_messages_per_second.max(1)).unwrap_or(NonZeroU32::MIN),
    )
}

/// The largest p2p payload the engine sends for `validators` participants (size networks with it).
pub fn max_message_size(config: &EngineConfig) -> u32 {
    // A later epoch's set may be larger than the genesis one (bounded like a p2p peer set).
    let participants = u32::try_from(epochs::max_peers_per_set(config)).unwrap_or(u32::MAX);
    let marshal = marshal::max_payload_size::<Standard<ConsensusBlock>, Scheme>(
        participants,
        &config.block_size_limit(),
    );
    let simplex = simplex::max_payload_size::<Scheme, crate::block::Digest>(participants);
    let gossip = config.max_gossip_size.min(crate::config::MAX_GOSSIP_SIZE);
    u32::try_from(marshal.max(simplex).max(gossip)).unwrap_or(u32::MAX)
}

/// A running engine: its tasks and progress counters.
pub struct EngineHandle {
    tasks: Vec<Handle<()>>,
    progress: Arc<Progress>,
    gossip: TxGossip,
}

impl EngineHandle {
    /// Highest finalized height this node knows of (may be ahead of delivery).
    pub fn finalized_height(&self) -> u64 {
        self.progress.finalized_tip.load(Ordering::Relaxed)
    }

    /// Highest height the application committed through this engine since it started.
    pub fn delivered_height(&self) -> u64 {
        self.progress.delivered.load(Ordering::Relaxed)
    }

    /// A cheap, cloneable view of the progress counters.
    pub fn status(&self) -> EngineStatus {
        EngineStatus {
            progress: self.progress.clone(),
            gossip: self.gossip.clone(),
        }
    }

    /// The handle to broadcast transaction-gossip payloads to peers.
    pub fn tx_gossip(&self) -> TxGossip {
        self.gossip.clone()
    }

    /// Aborts every engine task (as a crash would).
    pub fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Waits until any engine task stops (normally: the runtime is shutting down). Returns an
    /// error if the application failed to commit a block or a task failed.
    pub async fn join(self) -> Result<(), ConsensusError> {
        let progress = self.progress.clone();
        let result = Handle::select(self.tasks).await;
        if let Some(failure) = progress
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(ConsensusError::ApplicationFailed(failure));
        }
        match result {
            Ok(()) => Ok(()),
            Err(commonware_runtime::Error::Closed) => Ok(()),
            Err(e) => Err(ConsensusError::Stopped(e.to_string())),
        }
    }
}

/// Progress counters of a running engine, readable from any thread.
#[derive(Clone)]
pub struct EngineStatus {
    progress: Arc<Progress>,
    gossip: TxGossip,
}

impl EngineStatus {
    /// Highest finalized height this node knows of.
    pub fn finalized_height(&self) -> u64 {
        self.progress.finalized_tip.load(Ordering::Relaxed)
    }

    /// Highest height the application committed through this engine since it started.
    pub fn delivered_height(&self) -> u64 {
        self.progress.delivered.load(Ordering::Relaxed)
    }

    /// The handle to broadcast transaction-gossip payloads to peers.
    pub fn tx_gossip(&self) -> TxGossip {
        self.gossip.clone()
    }
}

const PAGE_SIZE: std::num::NonZeroU16 = NZU16!(4096);
const PAGE_CACHE_PAGES: NonZeroUsize = NZUsize!(1024);
const IO_BUFFER: NonZeroUsize = NZUsize!(64 * 1024);
const ITEMS_PER_SECTION: NonZeroU64 = NZU64!(4096);
fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 1 << 14,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 12,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1 << 28,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        codec_config,
        replay_buffer: IO_BUFFER,
        freezer_key_write_buffer: IO_BUFFER,
        freezer_value_write_buffer: IO_BUFFER,
        ordinal_write_buffer: IO_BUFFER,
    }
}

/// Starts the engine for `app` on the given runtime `context` and p2p `channels`.
///
/// `peers` supplies the tracked peer set (the caller must have registered the validator set
/// with its network at id 0, as primary peers, and [`EngineConfig::observers`] as secondary
/// peers) and `blocker` lets the engine block misbehaving peers. Durable
/// engine state lives in the runtime's storage (partitions named after
/// [`EngineConfig::partition_prefix`]); restarting over
/// the same storage resumes consensus and delivery where they stopped.
pub async fn start<E, S, R, P, B, A>(
    context: E,
    config: &EngineConfig,
    channels: Channels<S, R>,
    peers: P,
    blocker: B,
    app: A,
) -> Result<EngineHandle, ConsensusError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    P: Manager<PublicKey = PublicKey> + Clone + Sync,
    B: Blocker<PublicKey = PublicKey> + Clone + Sync,
    A: Application,
{
    config.validate()?;
    let me = identity::keypair_public_key(&config.key);
    // Each epoch's set and this node's scheme for it (signing when it is a member; an
    // observer, or a validator outside an epoch's set, runs that epoch with a verify-only
    // scheme: it checks and follows votes and certificates and signs nothing).
    let schemes = EpochSchemes::new(app.clone(), config);
    if schemes.get(0).is_none() {
        return Err(ConsensusError::NotAValidator(config.account()));
    }

    let genesis = app.genesis();
    if genesis.header.height != 0 {
        return Err(ConsensusError::InvalidConfig(
            "application genesis block must have height 0".into(),
        ));
    }
    let genesis = ConsensusBlock::new(genesis);
    let genesis_digest = to_digest(&genesis.hash());
    let genesis = Digested::precomputed(genesis, genesis_digest);

    let mailbox_size = NonZeroUsize::new(config.mailbox_size)
        .ok_or_else(|| ConsensusError::InvalidConfig("mailbox_size must be positive".into()))?;
    let fetch_timeout = NonZeroDuration::new(config.fetch_timeout)
        .ok_or_else(|| ConsensusError::InvalidConfig("fetch_timeout must be positive".into()))?;
    let block_cfg = config.block_size_limit();
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    let epocher = epochs::epocher(config);

    // Backfill resolver for marshal.
    let resolver = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size,
            fetch_timeout,
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Block broadcast.
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size,
            deque_size: 16,
            priority: false,
            codec_config: block_cfg,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    let broadcast_handle = broadcast_engine.start(channels.broadcast);

    // Marshal: finalized-block archives and ordered delivery.
    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &config.partition_prefix,
            "finalizations",
            &page_cache,
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| ConsensusError::Storage(e.to_string()))?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&config.partition_prefix, "blocks", &page_cache, block_cfg),
    )
    .await
    .map_err(|e| ConsensusError::Storage(e.to_string()))?;

    let (marshal_actor, marshal_mailbox, _floor) = MarshalActor::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: schemes.clone(),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(genesis),
            partition_prefix: format!("{}-marshal", config.partition_prefix),
            mailbox_size,
            view_retention: ViewDelta::new(64),
            prunable_items_per_section: NZU64!(64),
            page_cache: page_cache.clone(),
            replay_buffer: IO_BUFFER,
            key_write_buffer: IO_BUFFER,
            value_write_buffer: IO_BUFFER,
            block_codec_config: block_cfg,
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(1),
            strategy: Sequential,
        },
    )
    .await;

    // Application wrapper: verify before voting (inline), relay, and forward activity to marshal.
    let inline = Inline::new(
        context.child("application"),
        BuildVerify::new(app.clone(), config.block_interval),
        marshal_mailbox.clone(),
        epocher.clone(),
    );

    // Ordered delivery to the application; committed boundary blocks start the next epoch.
    let progress = Arc::new(Progress::default());
    let (reporter, finalized_rx) = FinalizedReporter::new(progress.clone());
    let marshal_handle = marshal_actor.start(reporter, buffer, resolver);
    let (boundary_tx, boundaries) = futures::channel::mpsc::unbounded();
    let delivery_handle = context.child("delivery").spawn({
        let progress = progress.clone();
        let app = app.clone();
        let marshal = marshal_mailbox.clone();
        let epocher = epocher.clone();
        move |context| {
            deliver_finalized(
                context,
                app,
                marshal,
                finalized_rx,
                progress,
                epocher,
                boundary_tx,
            )
        }
    });

    // One simplex engine per epoch.
    let orchestrator = Orchestrator {
        context: context.child("epochs"),
        config: config.clone(),
        app: app.clone(),
        schemes,
        inline,
        marshal: marshal_mailbox.clone(),
        blocker,
        manager: peers.clone(),
        genesis: genesis_digest,
        page_cache,
        boundaries,
    };
    let (votes, certificates, resolver_channel) =
        (channels.votes, channels.certificates, channels.resolver);
    let orchestrator_handle = context.child("orchestrator").spawn({
        let progress = progress.clone();
        move |_| async move {
            if let Err(e) = orchestrator
                .run(votes, certificates, resolver_channel)
                .await
            {
                error!(error = %e, "consensus epochs stopped");
                *progress.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            }
        }
    });

    // Transaction gossip.
    let (gossip, outbound) = TxGossip::new(config.gossip_queue, config.max_gossip_size);
    let (gossip_sender, gossip_receiver) = channels.txs;
    let gossip_send_handle = context
        .child("gossip_send")
        .spawn(move |_| gossip::send_loop(gossip_sender, outbound));
    let max_gossip_size = config.max_gossip_size;
    let gossip_receive_handle = context
        .child("gossip_receive")
        .spawn(move |context| gossip::receive_loop(context, gossip_receiver, app, max_gossip_size));

    Ok(EngineHandle {
        tasks: vec![
            broadcast_handle,
            marshal_handle,
            orchestrator_handle,
            delivery_handle,
            gossip_send_handle,
            gossip_receive_handle,
        ],
        progress,
        gossip,
    })
}
