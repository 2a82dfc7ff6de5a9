//! A small harness for deterministic simulations of a Synod validator network: `n` validators
//! running the real engine ([`synod_consensus::start`]) and a real state machine
//! ([`app::ExecApp`]) under the commonware deterministic runtime (seeded, virtual time) on its
//! simulated network. Scenarios crash, restart, partition and heal nodes, may run one validator
//! as equivocating twins, and wait for heights; [`Sim::check_safety`] checks agreement of the
//! honest nodes on blocks and state roots at every height.

#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod app;

use app::{ClockFn, Commit, ExecApp, Ledger, chain_genesis};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{
    Clock as _, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize};
use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::{Duration, UNIX_EPOCH},
};
use synod_consensus::{
    Channels, EngineConfig, channel, identity, max_message_size, max_peers_per_set, namespace,
    start,
};
use synod_primitives::Keypair;
use synod_runtime::Genesis;
use synod_storage::Store;

type PublicKey = identity::PublicKey;

/// Consensus timeouts of a simulation.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub block_interval: Duration,
    pub leader_timeout: Duration,
    pub notarization_timeout: Duration,
    pub nullify_retry: Duration,
    pub skip_timeout: Duration,
    pub fetch_timeout: Duration,
}

impl Timing {
    /// Short virtual timeouts: fast to simulate, still well above the link latencies used.
    pub const FAST: Timing = Timing {
        block_interval: Duration::from_millis(50),
        leader_timeout: Duration::from_millis(500),
        notarization_timeout: Duration::from_secs(1),
        nullify_retry: Duration::from_millis(500),
        skip_timeout: Duration::from_secs(3),
        fetch_timeout: Duration::from_millis(500),
    };

    /// The devnet defaults of [`EngineConfig::devnet`].
    pub fn devnet() -> Timing {
        let c = EngineConfig::devnet(
            Keypair::dev("x"),
            vec![Keypair::dev("x").account()],
            b"x".to_vec(),
            "127.0.0.1:0".parse().expect("addr"),
            "/unused",
        );
        Timing {
            block_interval: c.block_interval,
            leader_timeout: c.leader_timeout,
            notarization_timeout: c.notarization_timeout,
            nullify_retry: c.nullify_retry,
            skip_timeout: c.skip_timeout,
            fetch_timeout: c.fetch_timeout,
        }
    }
}

/// What to simulate.
#[derive(Clone)]
pub struct SimConfig {
    pub validators: usize,
    pub link: Link,
    pub timing: Timing,
    /// Signed transfers in every proposed block.
    pub txs_per_block: usize,
    /// A Byzantine validator that equivocates: its key runs two engines ("twins"), each talking
    /// to one half of the honest validators and building different blocks, so it signs
    /// conflicting proposals and votes for the same views.
    pub equivocator: Option<usize>,
    /// Nodes after the validators (indices `validators..validators + observers`): keys outside
    /// the genesis set, listed as observers, free to bond and join a later epoch's set.
    pub observers: usize,
    /// Consensus epoch length (rotation on, the state machine's validator sets); `None`: one
    /// epoch with the genesis set. Must equal the genesis staking epoch length.
    pub epoch_length: Option<u64>,
}

impl SimConfig {
    pub fn new(validators: usize, link: Link) -> Self {
        Self {
            validators,
            link,
            timing: Timing::FAST,
            txs_per_block: 2,
            equivocator: None,
            observers: 0,
            epoch_length: None,
        }
    }
}

/// The seeds a scenario runs on: `defaults`, or those in the `SIM_SEEDS` environment variable
/// (`7`, `1,5,9` or a range `1-100`) to replay one seed or sweep many.
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    let Ok(spec) = std::env::var("SIM_SEEDS") else {
        return defaults.to_vec();
    };
    let parse = |s: &str| -> u64 {
        s.trim()
            .parse()
            .unwrap_or_else(|_| panic!("SIM_SEEDS: {s:?} is not a seed"))
    };
    match spec.split_once('-') {
        Some((a, b)) => (parse(a)..=parse(b)).collect(),
        None => spec.split(',').map(parse).collect(),
    }
}

/// Runs `scenario` in a fresh deterministic runtime seeded with `seed`, starting at the genesis
/// time (so block timestamps are virtual time). Panics if virtual time passes `limit`.
pub fn run<F, Fut, T>(seed: u64, limit: Duration, scenario: F) -> T
where
    F: FnOnce(deterministic::Context) -> Fut,
    Fut: Future<Output = T>,
{
    run_with_cycle(seed, limit, Duration::from_millis(1), scenario)
}

/// [`run`] with the runtime advancing `cycle` of virtual time per scheduler iteration (the
/// default 1 ms makes every pass a message takes through a task cost up to 1 ms).
pub fn run_with_cycle<F, Fut, T>(seed: u64, limit: Duration, cycle: Duration, scenario: F) -> T
where
    F: FnOnce(deterministic::Context) -> Fut,
    Fut: Future<Output = T>,
{
    // Shown with a failing test's output, so a failure names the seed to replay.
    eprintln!("simulation seed {seed}");
    let genesis_ms = chain_genesis(&[]).timestamp_ms;
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_cycle(cycle)
            .with_start_time(UNIX_EPOCH + Duration::from_millis(genesis_ms))
            .with_timeout(Some(limit)),
    );
    runner.start(scenario)
}

struct Node {
    config: EngineConfig,
    /// The node's "disk": survives crashes.
    store: Store,
    app: ExecApp,
    task: Option<Handle<()>>,
    /// An equivocator's second engine and its application.
    twin: Option<(ExecApp, Handle<()>)>,
    /// Times this node was started.
    incarnation: usize,
}

/// A running simulation.
pub struct Sim {
    pub context: deterministic::Context,
    oracle: Oracle<PublicKey, deterministic::Context>,
    keys: Vec<PublicKey>,
    genesis: Genesis,
    nodes: Vec<Node>,
    ledger: Arc<Mutex<Ledger>>,
    /// What Byzantine nodes finalized (kept apart: only honest nodes must agree).
    byzantine_ledger: Arc<Mutex<Ledger>>,
    cfg: SimConfig,
    /// Directed links currently cut.
    cut: BTreeSet<(usize, usize)>,
}

impl Sim {
    /// Builds the network (every pair linked with `cfg.link`) and starts every validator.
    pub async fn start(context: deterministic::Context, cfg: SimConfig) -> Sim {
        let n = cfg.validators + cfg.observers;
        let keypairs: Vec<Keypair> = (0..n).map(|i| Keypair::dev(&format!("v{i}"))).collect();
        let all: Vec<_> = keypairs.iter().map(Keypair::account).collect();
        let (accounts, observers) = all.split_at(cfg.validators);
        let (accounts, observers) = (accounts.to_vec(), observers.to_vec());
        let genesis = chain_genesis(&accounts);
        let ns = namespace(&genesis.chain_id, &genesis.hash());
        let configs: Vec<EngineConfig> = keypairs
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let t = cfg.timing;
                let mut c = EngineConfig::devnet(
                    key.clone(),
                    accounts.clone(),
                    ns.clone(),
                    "127.0.0.1:0".parse().expect("addr"),
                    "/unused",
                );
                c.partition_prefix = format!("v{i}");
                c.observers = observers.clone();
                c.epoch_length = cfg.epoch_length;
                c.block_interval = t.block_interval;
                c.leader_timeout = t.leader_timeout;
                c.notarization_timeout = t.notarization_timeout;
                c.nullify_retry = t.nullify_retry;
                c.skip_timeout = t.skip_timeout;
                c.fetch_timeout = t.fetch_timeout;
                c.validate().expect("valid simulation config");
                c
            })
            .collect();
        let keys: Vec<_> = configs
            .iter()
            .map(|c| identity::keypair_public_key(&c.key))
            .collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: max_message_size(&configs[0]),
                max_peers_per_set: std::num::NonZeroUsize::new(max_peers_per_set(&configs[0]))
                    .expect("non-empty"),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(4),
            },
            keys.clone(),
        )
        .await;
        network.start();

        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let byzantine_ledger = Arc::new(Mutex::new(Ledger::default()));
        let mut nodes = Vec::with_capacity(n);
        for (i, config) in configs.into_iter().enumerate() {
            let store = Store::in_memory().expect("in-memory store");
            let own_ledger = if cfg.equivocator == Some(i) {
                &byzantine_ledger
            } else {
                &ledger
            };
            let app = new_app(
                &context,
                i,
                &config,
                &genesis,
                &store,
                &cfg,
                own_ledger,
                Vec::new(),
            );
            nodes.push(Node {
                config,
                store,
                app,
                task: None,
                twin: None,
                incarnation: 0,
            });
        }
        let mut sim = Sim {
            context,
            oracle,
            keys,
            genesis,
            nodes,
            ledger,
            byzantine_ledger,
            cfg,
            cut: BTreeSet::new(),
        };
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    sim.link(a, b).await;
                }
            }
        }
        for i in 0..n {
            if sim.cfg.equivocator == Some(i) {
                sim.launch_twins(i).await;
            } else {
                sim.launch(i).await;
            }
        }
        sim
    }

    /// Honest validators (all but the equivocator).
    pub fn honest(&self) -> Vec<usize> {
        (0..self.validators())
            .filter(|&i| self.cfg.equivocator != Some(i))
            .collect()
    }

    /// Starts the equivocator `i` as two engines under one key. The first talks only to the
    /// first half of the honest validators, the second only to the rest; each builds its own
    /// blocks (timestamps 1 ms apart), so whenever `i` leads, the halves get conflicting
    /// proposals signed by the same key.
    async fn launch_twins(&mut self, i: usize) {
        use commonware_p2p::{
            Recipients,
            simulated::{SplitOrigin, SplitTarget},
        };
        let honest = self.honest();
        let (a, b) = honest.split_at(honest.len() / 2);
        let side_a: Vec<PublicKey> = a.iter().map(|&j| self.keys[j].clone()).collect();
        let side_b: Vec<PublicKey> = b.iter().map(|&j| self.keys[j].clone()).collect();
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(10_000));
        let split = async |ch| {
            let (sender, receiver) = control.register(ch, quota).await.expect("register");
            let (fa, fb) = (side_a.clone(), side_b.clone());
            let senders = sender.split_with(move |origin, to: &Recipients<PublicKey>, _| {
                let side = match origin {
                    SplitOrigin::Primary => &fa,
                    SplitOrigin::Secondary => &fb,
                };
                let targets: Vec<PublicKey> = side
                    .iter()
                    .filter(|k| match to {
                        Recipients::All => true,
                        Recipients::One(p) => p == *k,
                        Recipients::Some(ps) => ps.contains(k),
                    })
                    .cloned()
                    .collect();
                (!targets.is_empty()).then_some(Recipients::Some(targets))
            });
            let (ra, rb) = (side_a.clone(), side_b.clone());
            let receivers = receiver.split_with(
                self.context.child("twin_router"),
                move |(from, _): &(PublicKey, _)| {
                    if ra.contains(from) {
                        SplitTarget::Primary
                    } else if rb.contains(from) {
                        SplitTarget::Secondary
                    } else {
                        SplitTarget::None
                    }
                },
            );
            ((senders.0, receivers.0), (senders.1, receivers.1))
        };
        let (votes_a, votes_b) = split(channel::VOTES).await;
        let (certs_a, certs_b) = split(channel::CERTIFICATES).await;
        let (resolver_a, resolver_b) = split(channel::RESOLVER).await;
        let (backfill_a, backfill_b) = split(channel::BACKFILL).await;
        let (broadcast_a, broadcast_b) = split(channel::BROADCAST).await;
        let (txs_a, txs_b) = split(channel::TXS).await;
        let channels_a = Channels {
            votes: votes_a,
            certificates: certs_a,
            resolver: resolver_a,
            backfill: backfill_a,
            broadcast: broadcast_a,
            txs: txs_a,
        };
        let channels_b = Channels {
            votes: votes_b,
            certificates: certs_b,
            resolver: resolver_b,
            backfill: backfill_b,
            broadcast: broadcast_b,
            txs: txs_b,
        };

        let node = &self.nodes[i];
        let config_a = node.config.clone();
        let mut config_b = node.config.clone();
        config_b.partition_prefix = format!("{}-twin", config_a.partition_prefix);
        let app_a = node.app.clone();
        let twin_store = Store::in_memory().expect("in-memory store");
        let app_b = new_app(
            &self.context,
            i,
            &config_b,
            &self.genesis,
            &twin_store,
            &self.cfg,
            &self.byzantine_ledger,
            Vec::new(),
        )
        .with_skew(1);
        let spawn = |name: &'static str, config: EngineConfig, channels, app| {
            let peers = self.oracle.manager();
            let control = control.clone();
            self.context
                .child(name)
                .with_attribute("index", i)
                .spawn(move |ctx| async move {
                    let engine = start(ctx, &config, channels, peers, control, app)
                        .await
                        .expect("engine starts");
                    engine.join().await.expect("engine runs");
                })
        };
        let task_a = spawn("twin_a", config_a, channels_a, app_a);
        let task_b = spawn("twin_b", config_b, channels_b, app_b.clone());
        let node = &mut self.nodes[i];
        node.task = Some(task_a);
        node.twin = Some((app_b, task_b));
        node.incarnation += 1;
    }

    /// Blocks the equivocator's two engines proposed on the same parent that differ: each
    /// pair is two conflicting proposals signed by one key.
    pub fn equivocations(&self) -> usize {
        let Some(i) = self.cfg.equivocator else {
            return 0;
        };
        let Some((twin, _)) = &self.nodes[i].twin else {
            return 0;
        };
        let first: std::collections::BTreeMap<_, _> =
            self.nodes[i].app.proposals().into_iter().collect();
        twin.proposals()
            .into_iter()
            .filter(|(parent, block)| first.get(parent).is_some_and(|b| b != block))
            .count()
    }

    async fn link(&self, a: usize, b: usize) {
        self.oracle
            .add_link(
                self.keys[a].clone(),
                self.keys[b].clone(),
                self.cfg.link.clone(),
            )
            .await
            .expect("add link");
    }

    /// Registers node `i`'s channels (replacing any earlier registration) and starts its engine
    /// in its own task, so aborting that task tears the whole node down.
    async fn launch(&mut self, i: usize) {
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(10_000));
        let register = async |ch| control.register(ch, quota).await.expect("register");
        let channels = Channels {
            votes: register(channel::VOTES).await,
            certificates: register(channel::CERTIFICATES).await,
            resolver: register(channel::RESOLVER).await,
            backfill: register(channel::BACKFILL).await,
            broadcast: register(channel::BROADCAST).await,
            txs: register(channel::TXS).await,
        };
        let node = &mut self.nodes[i];
        let config = node.config.clone();
        let app = node.app.clone();
        let peers = self.oracle.manager();
        node.task = Some(
            self.context
                .child("validator")
                .with_attribute("index", i)
                .with_attribute("incarnation", node.incarnation)
                .spawn(move |ctx| async move {
                    let engine = start(ctx, &config, channels, peers, control, app)
                        .await
                        .expect("engine starts");
                    engine.join().await.expect("engine runs");
                }),
        );
        node.incarnation += 1;
    }

    /// Number of nodes (genesis validators and observers).
    pub fn validators(&self) -> usize {
        self.nodes.len()
    }

    /// Queues `call` signed by `key` at `nonce` at every node, for whichever proposes next.
    pub fn submit(&self, key: &Keypair, nonce: u64, call: synod_runtime::Call) {
        for node in &self.nodes {
            node.app.queue(key.clone(), nonce, call.clone());
        }
    }

    pub fn app(&self, i: usize) -> &ExecApp {
        &self.nodes[i].app
    }

    pub fn is_up(&self, i: usize) -> bool {
        self.nodes[i].task.is_some()
    }

    /// Indices of running nodes.
    pub fn up(&self) -> Vec<usize> {
        (0..self.validators()).filter(|&i| self.is_up(i)).collect()
    }

    /// Height node `i` committed to its store.
    pub fn height(&self, i: usize) -> u64 {
        self.nodes[i].app.committed_height()
    }

    pub fn heights(&self) -> Vec<u64> {
        (0..self.validators()).map(|i| self.height(i)).collect()
    }

    /// Lowest and highest committed height among `nodes`.
    pub fn min_height(&self, nodes: &[usize]) -> u64 {
        nodes.iter().map(|&i| self.height(i)).min().unwrap_or(0)
    }

    pub fn max_height(&self, nodes: &[usize]) -> u64 {
        nodes.iter().map(|&i| self.height(i)).max().unwrap_or(0)
    }

    pub async fn sleep(&self, d: Duration) {
        self.context.sleep(d).await;
    }

    /// Virtual milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        virtual_ms(&self.context)
    }

    /// Virtual milliseconds since the simulation started (at the genesis time).
    pub fn elapsed_ms(&self) -> u64 {
        self.now_ms().saturating_sub(self.genesis.timestamp_ms)
    }

    /// Waits until every node in `nodes` committed `height`; panics (with every node's height)
    /// if that takes longer than `within` of virtual time.
    pub async fn wait_for(&self, nodes: &[usize], height: u64, within: Duration) {
        let deadline = self.now_ms() + within.as_millis() as u64;
        while self.min_height(nodes) < height {
            assert!(
                self.now_ms() < deadline,
                "nodes {nodes:?} did not reach height {height} within {within:?}: heights {:?}, \
                 violations {:?}",
                self.heights(),
                self.violations()
            );
            self.sleep(Duration::from_millis(20)).await;
        }
    }

    /// Crashes node `i`: aborts every task of its engine. Its store and the runtime's storage
    /// (the engine's journals and archives) are kept, as a disk would be.
    pub async fn crash(&mut self, i: usize) {
        let task = self.nodes[i].task.take().expect("node is running");
        task.abort();
        let _ = task.await;
    }

    /// Restarts a crashed node from its storage, with an application that has lost everything
    /// but its committed store.
    pub async fn restart(&mut self, i: usize) {
        assert!(!self.is_up(i), "node {i} is running");
        assert!(
            self.cfg.equivocator != Some(i),
            "restarting the equivocator is not supported"
        );
        let node = &self.nodes[i];
        let commits = node.app.commits();
        let app = new_app(
            &self.context,
            i,
            &node.config,
            &self.genesis,
            &node.store,
            &self.cfg,
            &self.ledger,
            commits,
        );
        self.nodes[i].app = app;
        self.launch(i).await;
    }

    /// Cuts every link between the groups (both directions); links inside a group stay.
    pub async fn partition(&mut self, groups: &[&[usize]]) {
        for (x, ga) in groups.iter().enumerate() {
            for (y, gb) in groups.iter().enumerate() {
                if x == y {
                    continue;
                }
                for &a in *ga {
                    for &b in *gb {
                        if self.cut.insert((a, b)) {
                            self.oracle
                                .remove_link(self.keys[a].clone(), self.keys[b].clone())
                                .await
                                .expect("remove link");
                        }
                    }
                }
            }
        }
    }

    /// Restores every cut link.
    pub async fn heal(&mut self) {
        for (a, b) in std::mem::take(&mut self.cut) {
            self.link(a, b).await;
        }
    }

    pub fn violations(&self) -> Vec<String> {
        self.ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .violations
            .clone()
    }

    /// Safety and agreement over everything honest nodes committed so far: no violation was
    /// recorded (two blocks or roots at one height, gaps, failed builds), every node's chain is gap-free from
    /// height 1 and matches the shared ledger block for block and root for root, every block
    /// carried transfers that succeeded, state roots differ from height to height, honest
    /// proposals were never rejected, and each store's head root is the one recorded.
    pub fn check_safety(&self) {
        let violations = self.violations();
        assert!(violations.is_empty(), "safety violations: {violations:#?}");
        let ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        for i in self.honest() {
            let node = &self.nodes[i];
            let commits = node.app.commits();
            for (k, c) in commits.iter().enumerate() {
                assert_eq!(c.height, k as u64 + 1, "node {i}: commits not gap-free");
                let (hash, root) = ledger.finalized[&c.height];
                assert_eq!(c.hash, hash, "node {i} height {}: block differs", c.height);
                assert_eq!(
                    c.state_root, root,
                    "node {i} height {}: root differs",
                    c.height
                );
                // Scenarios that queue their own transactions (rotation) vary the count.
                if self.cfg.epoch_length.is_none() {
                    assert_eq!(
                        c.txs, self.cfg.txs_per_block,
                        "node {i} height {}",
                        c.height
                    );
                } else {
                    assert!(c.txs > 0, "node {i} height {}: empty block", c.height);
                }
                assert_eq!(c.succeeded, c.txs, "node {i} height {}", c.height);
            }
            assert_eq!(
                commits.len() as u64,
                node.app.committed_height(),
                "node {i}: record and store disagree"
            );
            if let Some(last) = commits.last() {
                assert_eq!(node.app.stored_root(), Some(last.state_root), "node {i}");
            }
            assert_eq!(
                node.app.rejected(),
                0,
                "node {i} rejected an honest proposal"
            );
        }
        let roots: BTreeSet<_> = ledger.finalized.values().map(|(_, r)| *r).collect();
        assert_eq!(roots.len(), ledger.finalized.len(), "state roots repeat");
    }

    /// Commit records of node `i`.
    pub fn commits(&self, i: usize) -> Vec<Commit> {
        self.nodes[i].app.commits()
    }

    /// Virtual time (ms) each finalized block was proposed, by height.
    pub fn proposal_times(&self) -> Vec<(u64, u64)> {
        let ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        ledger
            .finalized
            .iter()
            .filter_map(|(h, (hash, _))| ledger.proposed_at.get(hash).map(|t| (*h, *t)))
            .collect()
    }

    /// Stops every running node.
    pub async fn stop(mut self) {
        for i in self.up() {
            self.crash(i).await;
        }
        for node in &mut self.nodes {
            if let Some((_, task)) = node.twin.take() {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

fn virtual_ms(context: &deterministic::Context) -> u64 {
    context
        .current()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
fn new_app(
    context: &deterministic::Context,
    i: usize,
    config: &EngineConfig,
    genesis: &Genesis,
    store: &Store,
    cfg: &SimConfig,
    ledger: &Arc<Mutex<Ledger>>,
    commits: Vec<Commit>,
) -> ExecApp {
    let clock_ctx = context.child("clock");
    let clock: ClockFn = Arc::new(move || virtual_ms(&clock_ctx));
    ExecApp::new(
        i,
        config.account(),
        genesis,
        store.clone(),
        cfg.txs_per_block,
        clock,
        ledger.clone(),
        commits,
    )
    .expect("application opens")
}
