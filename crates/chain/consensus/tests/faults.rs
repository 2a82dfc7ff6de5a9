//! Fault tolerance in deterministic simulation (seeded, virtual time): validators running the
//! real engine and the real state machine (signed transfers in every block) on the commonware
//! simulated network with latency, jitter and loss; crashes, restarts from storage, partitions,
//! an equivocating validator.
//! Every scenario ends with [`Sim::check_safety`]: one block and one state root per height
//! across all nodes, gap-free commits, no honest proposal rejected.
//!
//! Each scenario runs on several seeds and prints what happened per seed. A run is a pure
//! function of its seed: replay one or sweep many with `SIM_SEEDS`, e.g.
//! `SIM_SEEDS=1-50 cargo test -p synod-consensus --test faults -- --nocapture`.

mod sim;

use commonware_p2p::simulated::Link;
use commonware_utils::probability;
use sim::{Sim, SimConfig, run, seeds};
use std::time::Duration;

/// Default seeds; `SIM_SEEDS` overrides them (see [`sim::seeds`]).
const SEEDS: [u64; 3] = [1, 2, 3];

/// 20 ms ± 5 ms one-way, nothing lost.
const LAN: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

/// 40 ms ± 15 ms one-way, one message in ten lost.
const LOSSY: Link = Link {
    latency: Duration::from_millis(40),
    jitter: Duration::from_millis(15),
    success_rate: probability!(0.9),
};

/// Virtual time after which a run is declared hung.
const LIMIT: Duration = Duration::from_secs(600);

/// How long a stalled network is watched for progress that must not happen.
const STALL: Duration = Duration::from_secs(20);

/// Lets certificates already formed before a fault reach every node.
const SETTLE: Duration = Duration::from_secs(3);

#[test]
fn four_validators_finalize_over_lossy_links() {
    for seed in seeds(&SEEDS) {
        run(seed, LIMIT, async |context| {
            let sim = Sim::start(context, SimConfig::new(4, LOSSY)).await;
            sim.wait_for(&[0, 1, 2, 3], 10, Duration::from_secs(120))
                .await;
            sim.check_safety();
            eprintln!(
                "seed {seed}: heights {:?} at {}ms",
                sim.heights(),
                sim.elapsed_ms()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn one_crashed_validator_does_not_stop_the_others() {
    for seed in seeds(&SEEDS) {
        run(seed, LIMIT, async |context| {
            let mut sim = Sim::start(context, SimConfig::new(4, LOSSY)).await;
            let all = [0, 1, 2, 3];
            sim.wait_for(&all, 3, Duration::from_secs(60)).await;
            let victim = (seed % 4) as usize;
            sim.crash(victim).await;
            let down_at = sim.height(victim);
            let live: Vec<usize> = all.into_iter().filter(|&i| i != victim).collect();
            let target = sim.max_height(&live) + 10;
            sim.wait_for(&live, target, Duration::from_secs(120)).await;
            assert_eq!(sim.height(victim), down_at, "a crashed node committed");
            sim.check_safety();
            eprintln!(
                "seed {seed}: node {victim} down at {down_at}; heights {:?}",
                sim.heights()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn two_crashed_stall_safely_then_resume_when_one_returns() {
    for seed in seeds(&SEEDS) {
        run(seed, LIMIT, async |context| {
            let mut sim = Sim::start(context, SimConfig::new(4, LAN)).await;
            sim.wait_for(&[0, 1, 2, 3], 3, Duration::from_secs(60))
                .await;
            // Node 3 goes first and misses some heights, then node 2 goes too.
            sim.crash(3).await;
            let returning_from = sim.height(3);
            let target = sim.max_height(&[0, 1, 2]) + 3;
            sim.wait_for(&[0, 1, 2], target, Duration::from_secs(60))
                .await;
            sim.crash(2).await;

            // Two of four cannot form a quorum of three: nothing new is finalized.
            sim.sleep(SETTLE).await;
            let stalled = sim.heights();
            sim.sleep(STALL).await;
            assert_eq!(sim.heights(), stalled, "progress without a quorum");
            sim.check_safety();

            // Node 3 restarts from its own storage: it backfills what it missed from the
            // others, and with it back the quorum finalizes new heights.
            sim.restart(3).await;
            let live = [0, 1, 3];
            let target = sim.max_height(&live) + 5;
            sim.wait_for(&live, target, Duration::from_secs(120)).await;
            assert!(
                returning_from + 3 <= stalled[0],
                "node 3 missed heights while down"
            );
            assert_eq!(sim.height(2), stalled[2], "node 2 stays down");
            sim.check_safety();
            eprintln!(
                "seed {seed}: node 3 down at {returning_from}, stalled at {stalled:?}, \
                 heights {:?} at {}ms",
                sim.heights(),
                sim.elapsed_ms()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn partition_stalls_and_heals() {
    for seed in seeds(&SEEDS) {
        run(seed, LIMIT, async |context| {
            let mut sim = Sim::start(context, SimConfig::new(4, LAN)).await;
            let all = [0, 1, 2, 3];
            sim.wait_for(&all, 3, Duration::from_secs(60)).await;
            sim.partition(&[&[0, 1], &[2, 3]]).await;

            // Neither half has a quorum.
            sim.sleep(SETTLE).await;
            let stalled = sim.heights();
            sim.sleep(STALL).await;
            assert_eq!(
                sim.heights(),
                stalled,
                "progress inside a minority partition"
            );
            sim.check_safety();

            sim.heal().await;
            let target = sim.max_height(&all) + 5;
            sim.wait_for(&all, target, Duration::from_secs(120)).await;
            sim.check_safety();
            eprintln!(
                "seed {seed}: stalled at {stalled:?}; healed to {:?}",
                sim.heights()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn equivocating_validator_never_splits_finality() {
    for seed in seeds(&SEEDS) {
        run(seed, LIMIT, async |context| {
            let mut cfg = SimConfig::new(4, LAN);
            cfg.equivocator = Some(0);
            let sim = Sim::start(context, cfg).await;
            let honest = sim.honest();
            sim.wait_for(&honest, 12, Duration::from_secs(120)).await;
            let equivocations = sim.equivocations();
            assert!(equivocations > 0, "the twins never equivocated");
            sim.check_safety();
            eprintln!(
                "seed {seed}: {equivocations} conflicting proposal pairs; honest heights {:?}",
                honest.iter().map(|&i| sim.height(i)).collect::<Vec<_>>()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn twenty_validators_finalize_and_tolerate_six_crashed() {
    for seed in seeds(&[1, 2]) {
        run(seed, LIMIT, async |context| {
            let mut sim = Sim::start(context, SimConfig::new(20, LAN)).await;
            let all: Vec<usize> = (0..20).collect();
            sim.wait_for(&all, 5, Duration::from_secs(120)).await;
            // f = 6 of 20 may fail; the remaining 14 are still a quorum. Ten more heights take
            // the round-robin leader past the crashed ones.
            for i in 14..20 {
                sim.crash(i).await;
            }
            let live: Vec<usize> = (0..14).collect();
            let target = sim.max_height(&live) + 10;
            sim.wait_for(&live, target, Duration::from_secs(120)).await;
            sim.check_safety();
            eprintln!(
                "seed {seed}: heights {:?} at {}ms",
                sim.heights(),
                sim.elapsed_ms()
            );
            sim.stop().await;
        });
    }
}

#[test]
fn same_seed_same_chain() {
    let chain = |seed| {
        run(seed, LIMIT, async |context| {
            let sim = Sim::start(context, SimConfig::new(4, LOSSY)).await;
            sim.wait_for(&[0, 1, 2, 3], 5, Duration::from_secs(60))
                .await;
            let chain: Vec<_> = sim
                .commits(0)
                .iter()
                .take(5)
                .map(|c| (c.hash, c.state_root, c.at_ms))
                .collect();
            sim.stop().await;
            chain
        })
    };
    assert_eq!(chain(9), chain(9));
}

/// The checker itself: two nodes finalizing different blocks at one height are reported.
#[test]
fn safety_checker_flags_conflicting_finality() {
    use sim::app::{ExecApp, Ledger, chain_genesis};
    use std::sync::{Arc, Mutex};
    use synod_consensus::Application as _;
    use synod_primitives::Keypair;

    let validators: Vec<_> = (0..2)
        .map(|i| Keypair::dev(&format!("v{i}")).account())
        .collect();
    let genesis = chain_genesis(&validators);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let app = |i: usize| {
        let store = synod_storage::Store::in_memory().expect("store");
        let t = genesis.timestamp_ms + 100;
        ExecApp::new(
            i,
            validators[i],
            &genesis,
            store,
            2,
            Arc::new(move || t),
            ledger.clone(),
            Vec::new(),
        )
        .expect("app")
    };
    let (a, b) = (app(0), app(1));
    let g = Arc::new(a.genesis());
    // Different proposers build different blocks at height 1.
    let ancestry = [g];
    let block_a = a.propose(&ancestry).expect("a builds");
    let block_b = b.propose(&ancestry).expect("b builds");
    assert_ne!(block_a.hash(), block_b.hash());
    assert!(
        b.verify(&ancestry, &block_a),
        "honest blocks verify elsewhere"
    );
    a.finalized(Arc::new(block_a), None).expect("a commits");
    assert!(ledger.lock().expect("ledger").violations.is_empty());
    b.finalized(Arc::new(block_b), None)
        .expect("b commits its own block");
    let violations = ledger.lock().expect("ledger").violations.clone();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("height 1"), "{violations:?}");
}
