//! Several validators under the deterministic runtime (seeded, virtual time) on the commonware
//! simulated network: agreement, a byzantine proposer whose blocks are rejected, and a crash.

mod common;

use common::{ToyApp, genesis};
use commonware_p2p::simulated::{self, Link, Network};
use commonware_runtime::{
    Clock as _, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize, probability};
use std::time::Duration;
use synod_consensus::{
    Channels, EngineConfig, channel, identity, max_message_size, namespace, start,
    verify_finalization,
};
use synod_primitives::Keypair;

const N: usize = 4;
const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

fn configs() -> Vec<EngineConfig> {
    let keys: Vec<Keypair> = (0..N).map(|i| Keypair::dev(&format!("v{i}"))).collect();
    let validators: Vec<_> = keys.iter().map(Keypair::account).collect();
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let mut c = EngineConfig::devnet(
                key.clone(),
                validators.clone(),
                namespace("toy", &genesis().hash()),
                "127.0.0.1:0".parse().expect("addr"),
                "/unused",
            );
            c.partition_prefix = format!("v{i}");
            c.block_interval = Duration::from_millis(50);
            c.leader_timeout = Duration::from_millis(500);
            c.notarization_timeout = Duration::from_secs(1);
            c.nullify_retry = Duration::from_millis(500);
            c.skip_timeout = Duration::from_secs(3);
            c.fetch_timeout = Duration::from_millis(500);
            c
        })
        .collect()
}

/// Runs `N` validators (validator 1 proposes tampered blocks); crashes validator 3 once everyone
/// passed `crash_at`, then requires the others to reach `crash_at + extra`.
fn run(seed: u64, crash_at: u64, extra: u64) -> Vec<ToyApp> {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let configs = configs();
        let keys: Vec<_> = configs
            .iter()
            .map(|c| identity::keypair_public_key(&c.key))
            .collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: max_message_size(&configs[0]),
                max_peers_per_set: NZUsize!(N),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.clone(),
        )
        .await;
        network.start();
        for a in &keys {
            for b in &keys {
                if a != b {
                    oracle.add_link(a.clone(), b.clone(), LINK).await.expect("link");
                }
            }
        }

        let quota = Quota::per_second(NZU32!(10_000));
        let mut apps = Vec::new();
        let mut validators: Vec<Handle<()>> = Vec::new();
        for (i, config) in configs.into_iter().enumerate() {
            let control = oracle.control(keys[i].clone());
            let register = async |ch| control.register(ch, quota).await.expect("register");
            let channels = Channels {
                votes: register(channel::VOTES).await,
                certificates: register(channel::CERTIFICATES).await,
                resolver: register(channel::RESOLVER).await,
                backfill: register(channel::BACKFILL).await,
                broadcast: register(channel::BROADCAST).await,
                txs: register(channel::TXS).await,
            };
            let mut app = ToyApp::new(config.account());
            app.tamper = i == 1;
            apps.push(app.clone());
            let peers = oracle.manager();
            // Each validator runs in its own task so aborting it tears down everything it
            // started (a crash).
            validators.push(
                context
                    .child("validator")
                    .with_attribute("index", i)
                    .spawn(move |ctx| async move {
                        let engine = start(ctx, &config, channels, peers, control, app)
                            .await
                            .expect("engine starts");
                        engine.join().await.expect("engine runs");
                    }),
            );
        }

        let min_height = |apps: &[ToyApp], live: usize| {
            apps[..live]
                .iter()
                .map(ToyApp::committed_height)
                .min()
                .unwrap_or(0)
        };
        while min_height(&apps, N) < crash_at {
            context.sleep(Duration::from_millis(100)).await;
        }
        let crash_time = context.current();
        validators[3].abort();
        let crashed_height = apps[3].committed_height();
        while min_height(&apps, 3) < crash_at + extra {
            context.sleep(Duration::from_millis(100)).await;
        }
        let elapsed = context
            .current()
            .duration_since(crash_time)
            .unwrap_or_default();
        eprintln!(
            "seed {seed}: validator 3 crashed at height {crashed_height}; others reached {} in {elapsed:?} (virtual); heights {:?}",
            crash_at + extra,
            apps.iter().map(ToyApp::committed_height).collect::<Vec<_>>()
        );
        assert_eq!(apps[3].committed_height(), crashed_height, "crashed node stays down");
        for v in validators {
            v.abort();
        }
        apps
    })
}

#[test]
fn four_validators_agree_tolerate_byzantine_proposer_and_crash() {
    let apps = run(7, 8, 12);
    let namespace = namespace("toy", &genesis().hash());
    let validators: Vec<_> = (0..N)
        .map(|i| Keypair::dev(&format!("v{i}")).account())
        .collect();

    // Everyone committed the same chain (prefixes of the longest one), gap-free.
    let chains: Vec<_> = apps.iter().map(|a| a.lock().committed.clone()).collect();
    let longest = chains.iter().max_by_key(|c| c.len()).expect("chains");
    for (i, chain) in chains.iter().enumerate() {
        assert_eq!(
            &longest[..chain.len()],
            &chain[..],
            "validator {i} diverged"
        );
        let state = apps[i].lock();
        assert!(
            state.violations.is_empty(),
            "validator {i}: {:?}",
            state.violations
        );
        let n = state.deliveries.len() as u64;
        assert_eq!(
            state.deliveries,
            (1..=n).collect::<Vec<_>>(),
            "validator {i}"
        );
    }

    // The byzantine proposer's tampered blocks were rejected and never finalized.
    let byzantine = apps[1].me;
    assert!(
        longest
            .iter()
            .skip(1)
            .all(|b| b.header.proposer != byzantine),
        "a tampered block was finalized"
    );
    let rejected: usize = [0, 2, 3].iter().map(|&i| apps[i].lock().rejected).sum();
    assert!(
        rejected > 0,
        "honest validators never saw a tampered proposal"
    );
    // Honest proposers other than the crashed one produced blocks after the crash.
    let proposers: std::collections::HashSet<_> =
        longest.iter().skip(1).map(|b| b.header.proposer).collect();
    assert!(proposers.contains(&apps[0].me) && proposers.contains(&apps[2].me));

    // Certificates carried with committed blocks verify against the validator set.
    let state = apps[0].lock();
    let mut checked = 0;
    for block in state.committed.iter().skip(1) {
        if let Some(Some(cert)) = state.certificates.get(&block.header.height) {
            verify_finalization(&namespace, &validators, &block.hash(), cert)
                .expect("finalization verifies");
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn deterministic_runs_are_reproducible() {
    let chain = |seed| {
        run(seed, 3, 3)[0]
            .lock()
            .committed
            .iter()
            .take(6)
            .map(|b| b.hash())
            .collect::<Vec<_>>()
    };
    assert_eq!(chain(11), chain(11));
}
