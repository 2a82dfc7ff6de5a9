//! Adapters between Synod's [`Application`] and the engine's interfaces: block building and
//! verification over marshal's ancestry stream, and ordered delivery of finalized blocks.

use crate::{
    Application,
    block::{ConsensusBlock, Digest},
    epochs::Boundary,
    identity::PublicKey,
};
use commonware_actor::Feedback;
use commonware_codec::Encode as _;
use commonware_consensus::{
    Heightable as _, Reporter,
    marshal::{Update, ancestry::Ancestry, core::Mailbox, standard::Standard},
    simplex::{scheme::ed25519::Scheme, types::Context},
    types::{Epocher as _, FixedEpocher},
};
use commonware_cryptography::{Digested, Digestible as _};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::{Acknowledgement as _, acknowledgement::Exact};
use futures::{StreamExt as _, channel::mpsc};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, UNIX_EPOCH},
};
use synod_runtime::Block;
use tracing::{debug, error, warn};

/// Implements commonware's marshal-level application over a Synod [`Application`].
#[derive(Clone)]
pub(crate) struct BuildVerify<A> {
    app: A,
    block_interval: Duration,
}

impl<A: Application> BuildVerify<A> {
    pub(crate) fn new(app: A, block_interval: Duration) -> Self {
        Self {
            app,
            block_interval,
        }
    }
}

/// Walks `ancestry` (newest first, starting at the parent) back to the first block whose own
/// parent the application knows (or genesis), and returns those blocks oldest first. Returns
/// `None` if the stream ends before that point (marshal could not provide an ancestor).
async fn collect_ancestry<A: Application>(
    app: &A,
    ancestry: &mut impl Ancestry<ConsensusBlock>,
) -> Option<Vec<Arc<Block>>> {
    let mut chain = Vec::new();
    loop {
        let next = ancestry.next().await?;
        let block = next.inner().block().clone();
        let done = block.header.height == 0 || app.is_known(&block.header.parent);
        chain.push(block);
        if done {
            break;
        }
    }
    chain.reverse();
    Some(chain)
}

/// Runs a blocking closure off the async executor and returns its result, or `None` if the
/// task could not complete (runtime shutting down, or the closure panicked).
pub(crate) async fn run_blocking<E, T, F>(context: E, label: &'static str, f: F) -> Option<T>
where
    E: Spawner,
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match context
        .child(label)
        .shared(true)
        .spawn(move |_| async move { f() })
        .await
    {
        Ok(value) => Some(value),
        Err(e) => {
            warn!(task = label, error = ?e, "blocking application task did not complete");
            None
        }
    }
}

impl<E, A> commonware_consensus::Application<E> for BuildVerify<A>
where
    E: Spawner + Clock,
    A: Application,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, PublicKey>;
    type Block = ConsensusBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (context, consensus): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        let chain = collect_ancestry(&self.app, &mut ancestry).await?;
        let parent = chain.last()?.clone();

        // Pace an idle chain: wait until `block_interval` after the parent's timestamp, by our
        // clock, but never longer than one interval (clocks may disagree).
        if !self.block_interval.is_zero() {
            let now_ms = context
                .current()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let interval_ms = self.block_interval.as_millis();
            let target = u128::from(parent.header.timestamp_ms) + interval_ms;
            let wait_ms = target.saturating_sub(now_ms).min(interval_ms);
            if wait_ms > 0 {
                context.sleep(Duration::from_millis(wait_ms as u64)).await;
            }
        }

        let app = self.app.clone();
        let block = run_blocking(context, "propose", move || app.propose(&chain)).await??;
        if block.header.parent != parent.hash() || block.header.height != parent.header.height + 1 {
            error!(
                height = block.header.height,
                parent_height = parent.header.height,
                round = %consensus.round,
                "application proposed a block that does not extend its parent; skipping"
            );
            return None;
        }
        let block = ConsensusBlock::new(block);
        let digest = block.digest();
        debug!(height = block.block().header.height, round = %consensus.round, "proposed block");
        Some(Digested::precomputed(block, digest))
    }

    async fn verify(
        &mut self,
        (context, consensus): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        // The stream yields the candidate first, then its parent and older ancestors.
        let Some(candidate) = ancestry.next().await else {
            return futures::future::pending().await;
        };
        let Some(chain) = collect_ancestry(&self.app, &mut ancestry).await else {
            // No verdict without the ancestry: abstain (consensus drops the request when the
            // view moves on).
            warn!(round = %consensus.round, "ancestry unavailable; abstaining from verification");
            return futures::future::pending().await;
        };
        let block = candidate.inner().block().clone();
        let app = self.app.clone();
        match run_blocking(context, "verify", move || app.verify(&chain, &block)).await {
            Some(valid) => {
                if !valid {
                    warn!(
                        height = candidate.height().get(),
                        round = %consensus.round,
                        "application rejected block"
                    );
                }
                valid
            }
            None => futures::future::pending().await,
        }
    }
}

/// Progress counters shared between the engine tasks and the [`crate::EngineHandle`].
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Highest finalized height known (may be ahead of delivery).
    pub(crate) finalized_tip: AtomicU64,
    /// Highest height the application committed through this engine.
    pub(crate) delivered: AtomicU64,
    /// Set when the application failed to commit a finalized block.
    pub(crate) failure: std::sync::Mutex<Option<String>>,
}

/// Receives marshal's ordered updates and forwards finalized blocks to the delivery task.
#[derive(Clone)]
pub(crate) struct FinalizedReporter {
    blocks: mpsc::UnboundedSender<(Digested<ConsensusBlock>, Exact)>,
    progress: Arc<Progress>,
}

impl FinalizedReporter {
    pub(crate) fn new(
        progress: Arc<Progress>,
    ) -> (
        Self,
        mpsc::UnboundedReceiver<(Digested<ConsensusBlock>, Exact)>,
    ) {
        let (blocks, rx) = mpsc::unbounded();
        (Self { blocks, progress }, rx)
    }
}

impl Reporter for FinalizedReporter {
    type Activity = Update<ConsensusBlock>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match activity {
            Update::Tip(_, height, _) => {
                self.progress
                    .finalized_tip
                    .fetch_max(height.get(), Ordering::Relaxed);
                Feedback::Ok
            }
            Update::Block(block, ack) => {
                if self.blocks.unbounded_send((block, ack)).is_err() {
                    Feedback::Closed
                } else {
                    Feedback::Ok
                }
            }
        }
    }
}

/// Delivers finalized blocks to the application in height order, acknowledging each to marshal
/// only after the application committed it. Returns when the stream closes or the application
/// fails (leaving the failed block unacknowledged, which halts marshal).
///
/// After the last block of an epoch is committed (its state holds the next epoch's validator
/// set), the orchestrator is told to start the next epoch on top of it.
pub(crate) async fn deliver_finalized<E, A>(
    context: E,
    app: A,
    marshal: Mailbox<Scheme, Standard<ConsensusBlock>>,
    mut blocks: mpsc::UnboundedReceiver<(Digested<ConsensusBlock>, Exact)>,
    progress: Arc<Progress>,
    epocher: FixedEpocher,
    boundaries: mpsc::UnboundedSender<Boundary>,
) where
    E: Spawner,
    A: Application,
{
    while let Some((block, ack)) = blocks.next().await {
        let height = block.height();
        if height.get() == 0 {
            // Genesis is committed by definition.
            ack.acknowledge();
            continue;
        }
        let finalization = marshal
            .get_finalization(height)
            .await
            .map(|f| f.encode().to_vec());
        let inner = block.inner().block().clone();
        let app = app.clone();
        let result = run_blocking(context.child("delivery"), "finalized", move || {
            app.finalized(inner, finalization)
        })
        .await;
        match result {
            Some(Ok(())) => {
                progress
                    .delivered
                    .fetch_max(height.get(), Ordering::Relaxed);
                progress
                    .finalized_tip
                    .fetch_max(height.get(), Ordering::Relaxed);
                ack.acknowledge();
                if let Some(bounds) = epocher.containing(height)
                    && bounds.last() == height
                {
                    let _ = boundaries.unbounded_send(Boundary {
                        next: bounds.epoch().get().saturating_add(1),
                        boundary: block.digest(),
                    });
                }
            }
            Some(Err(e)) => {
                error!(height = height.get(), error = %e, "application failed to commit finalized block; halting");
                *progress.failure.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(format!("height {}: {e}", height.get()));
                return;
            }
            None => return,
        }
    }
}
