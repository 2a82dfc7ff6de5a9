//! Running a validator on the commonware tokio runtime with authenticated TCP p2p.

use crate::{
    Application, ConsensusError, EngineConfig,
    engine::{
        self, Channels, EngineStatus, channel, channel_quota, gossip_quota, max_message_size,
    },
    identity,
};
use commonware_cryptography::ChaCha20Poly1305;
use commonware_p2p::{Ingress, Manager as _, TrackedPeers, authenticated::discovery};
use commonware_runtime::{Runner as _, Spawner as _, Supervisor as _, tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use futures::{FutureExt as _, future::Either};
use std::{future::Future, num::NonZeroUsize, time::Duration};
use tracing::{info, warn};

/// How long a clean shutdown may take before tasks are abandoned.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one validator (or observer, see [`EngineConfig::observers`]) until `stop` resolves (or the engine fails), then shuts down cleanly.
///
/// Starts the commonware tokio runtime (storage rooted at `config.storage_dir`), authenticated
/// p2p on `config.listen` (peers found through `config.bootstrappers`), and the engine for `app`.
/// Returns `Ok(())` after a requested stop, or the error that stopped the engine (for example
/// [`ConsensusError::ApplicationFailed`]).
///
/// This blocks the calling thread and builds its own tokio runtime: call it from a plain thread
/// (e.g. `std::thread::spawn`), not from inside another async runtime.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use synod_primitives::{Hash, Keypair};
/// # use synod_runtime::Block;
/// # #[derive(Clone)] struct MyApp;
/// # impl synod_consensus::Application for MyApp {
/// #     fn genesis(&self) -> Block { unimplemented!() }
/// #     fn propose(&self, _: &[Arc<Block>]) -> Option<Block> { None }
/// #     fn verify(&self, _: &[Arc<Block>], _: &Block) -> bool { false }
/// #     fn is_known(&self, _: &Hash) -> bool { false }
/// #     fn finalized(&self, _: Arc<Block>, _: Option<Vec<u8>>) -> Result<(), String> { Ok(()) }
/// # }
/// # let (app, genesis_hash) = (MyApp, Hash::ZERO);
/// use synod_consensus::{EngineConfig, namespace, run_tokio};
///
/// let key = Keypair::dev("alice");
/// let config = EngineConfig::devnet(
///     key.clone(),
///     vec![key.account()], // a one-validator devnet
///     namespace("synod-dev", &genesis_hash),
///     "0.0.0.0:30333".parse().unwrap(),
///     "/var/lib/synod/consensus",
/// );
/// let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
/// let node = std::thread::spawn(move || {
///     run_tokio(config, app, async move {
///         let _ = stop_rx.await;
///     })
/// });
/// // ... on Ctrl-C:
/// let _ = stop_tx.send(());
/// node.join().unwrap().unwrap();
/// ```
pub fn run_tokio<A, F>(config: EngineConfig, app: A, stop: F) -> Result<(), ConsensusError>
where
    A: Application,
    F: Future<Output = ()> + Send + 'static,
{
    run_tokio_with(config, app, stop, |_| {})
}

/// [`run_tokio`], calling `on_start` once the engine is running with a handle to read its
/// progress (finalized and delivered heights) from any thread.
pub fn run_tokio_with<A, F>(
    config: EngineConfig,
    app: A,
    stop: F,
    on_start: impl FnOnce(EngineStatus) + Send + 'static,
) -> Result<(), ConsensusError>
where
    A: Application,
    F: Future<Output = ()> + Send + 'static,
{
    config.validate()?;
    let mut runtime = tokio::Config::new()
        .with_storage_directory(config.storage_dir.clone())
        .with_catch_panics(false);
    if let Some(threads) = config.worker_threads {
        runtime = runtime.with_worker_threads(threads);
    }
    tokio::Runner::new(runtime).start(|context| async move {
        let participants = identity::participants(&config.validators)?;
        let observers = identity::observers(&config.validators, &config.observers)?;
        let me = config.account();
        let bootstrappers = config
            .bootstrappers
            .iter()
            .filter(|(account, _)| *account != me)
            .map(|(account, addr)| Ok((identity::public_key(account)?, Ingress::from(*addr))))
            .collect::<Result<Vec<_>, ConsensusError>>()?;

        let handshake = Cups::<_, ChaCha20Poly1305>::new(
            Sake {
                signer: identity::signing_key(&config.key),
                synchrony_bound: Duration::from_secs(5),
                max_handshake_age: Duration::from_secs(10),
                version: sake::Version::V1,
            },
            cups::Version::V1,
        );
        let p2p_namespace = [config.namespace.as_slice(), b"/p2p"].concat();
        let max_peers = NonZeroUsize::new(crate::epochs::max_peers_per_set(&config))
            .unwrap_or(NonZeroUsize::MIN);
        let mailbox = NonZeroUsize::new(config.mailbox_size).unwrap_or(NonZeroUsize::MIN);
        let mut p2p_config = discovery::Config::local(
            handshake,
            &p2p_namespace,
            config.listen,
            config.dialable(),
            bootstrappers,
            max_peers,
            max_message_size(&config),
            mailbox,
        );
        p2p_config.allow_private_ips = config.allow_private_ips;
        let (mut network, mut oracle) = discovery::Network::new(context.child("p2p"), p2p_config);
        // Observers are secondary peers: admitted and served, never dialed (they dial in).
        oracle.track(0, TrackedPeers::new(participants, observers));

        let quota = channel_quota(&config);
        let channels = Channels {
            votes: network.register(channel::VOTES, quota),
            certificates: network.register(channel::CERTIFICATES, quota),
            resolver: network.register(channel::RESOLVER, quota),
            backfill: network.register(channel::BACKFILL, quota),
            broadcast: network.register(channel::BROADCAST, quota),
            txs: network.register(channel::TXS, gossip_quota(&config)),
        };
        let p2p = network.start();

        let engine = engine::start(
            context.child("engine"),
            &config,
            channels,
            oracle.clone(),
            oracle,
            app,
        )
        .await?;
        info!(
            account = %me,
            observer = !config.is_validator(),
            listen = %config.listen,
            "consensus engine started"
        );
        on_start(engine.status());

        let running = futures::future::select(engine.join().boxed(), p2p);
        // Keep the engine's tasks alive (dropping their join future aborts them) until the
        // runtime's stop signal has been honoured, so shutdown is clean.
        let (result, _running) = match futures::future::select(Box::pin(stop), running).await {
            Either::Left(((), running)) => {
                info!("stop requested; shutting down consensus");
                (Ok(()), Some(running))
            }
            Either::Right((Either::Left((engine_result, _)), _)) => (engine_result, None),
            Either::Right((Either::Right((p2p_result, _)), _)) => (
                Err(ConsensusError::Stopped(format!(
                    "p2p network stopped: {p2p_result:?}"
                ))),
                None,
            ),
        };
        if let Err(e) = context.stop(0, Some(SHUTDOWN_TIMEOUT)).await {
            warn!(error = %e, "engine did not shut down within the timeout");
        }
        result
    })
}
