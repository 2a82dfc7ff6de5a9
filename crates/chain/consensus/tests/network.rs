//! Multi-validator network features under the deterministic runtime (seeded, virtual time) on
//! the commonware simulated network: transaction gossip, equivocation evidence, observers.

mod common;

use common::{ToyApp, genesis};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{
    Clock as _, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize, probability};
use futures::channel::oneshot;
use std::time::Duration;
use synod_consensus::{
    Channels, EngineConfig, EngineStatus, GossipError, channel, gossip_quota, identity,
    max_message_size, namespace, start,
};
use synod_primitives::{AccountId, Keypair};

type PublicKey = identity::PublicKey;

const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

fn key(name: &str) -> Keypair {
    Keypair::dev(name)
}

/// Fast timeouts for virtual-time tests; `validators` is the voting set.
fn config(key: &Keypair, validators: &[AccountId], prefix: &str) -> EngineConfig {
    let mut c = EngineConfig::devnet(
        key.clone(),
        validators.to_vec(),
        namespace("toy", &genesis().hash()),
        "127.0.0.1:0".parse().expect("addr"),
        "/unused",
    );
    c.partition_prefix = prefix.to_string();
    c.block_interval = Duration::from_millis(50);
    c.leader_timeout = Duration::from_millis(500);
    c.notarization_timeout = Duration::from_secs(1);
    c.nullify_retry = Duration::from_millis(500);
    c.skip_timeout = Duration::from_secs(3);
    c.fetch_timeout = Duration::from_millis(500);
    c
}

/// A simulated network where `primary` (validators) and `secondary` (observers) peers are
/// tracked at set 0 and every pair is linked both ways.
async fn network(
    context: &deterministic::Context,
    max_size: u32,
    primary: &[PublicKey],
    secondary: &[PublicKey],
) -> Oracle<PublicKey, deterministic::Context> {
    let (network, oracle) = Network::new_with_split_peers(
        context.child("network"),
        simulated::Config {
            max_size,
            max_peers_per_set: NZUsize!(primary.len() + secondary.len()),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        primary.iter().cloned(),
        secondary.iter().cloned(),
    )
    .await;
    network.start();
    let all: Vec<_> = primary.iter().chain(secondary).cloned().collect();
    for a in &all {
        for b in &all {
            if a != b {
                oracle
                    .add_link(a.clone(), b.clone(), LINK)
                    .await
                    .expect("link");
            }
        }
    }
    oracle
}

/// Registers the engine's channels for `config`'s key on `oracle` and starts the engine in its
/// own task (aborting it is a crash). Returns the task and the engine's status handle.
async fn spawn_node(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    config: EngineConfig,
    app: ToyApp,
) -> (Handle<()>, EngineStatus) {
    let me = identity::keypair_public_key(&config.key);
    let control = oracle.control(me);
    let quota = Quota::per_second(NZU32!(10_000));
    let register = async |ch, quota| control.register(ch, quota).await.expect("register");
    let channels = Channels {
        votes: register(channel::VOTES, quota).await,
        certificates: register(channel::CERTIFICATES, quota).await,
        resolver: register(channel::RESOLVER, quota).await,
        backfill: register(channel::BACKFILL, quota).await,
        broadcast: register(channel::BROADCAST, quota).await,
        txs: register(channel::TXS, gossip_quota(&config)).await,
    };
    let peers = oracle.manager();
    let (status_tx, status_rx) = oneshot::channel();
    let handle = context
        .child("node")
        .with_attribute("prefix", &config.partition_prefix)
        .spawn(move |ctx| async move {
            let engine = start(ctx, &config, channels, peers, control, app)
                .await
                .expect("engine starts");
            let _ = status_tx.send(engine.status());
            engine.join().await.expect("engine runs");
        });
    let status = status_rx.await.expect("engine status");
    (handle, status)
}

async fn wait_for_height(context: &deterministic::Context, apps: &[ToyApp], height: u64) {
    while apps.iter().map(ToyApp::committed_height).min().unwrap_or(0) < height {
        context.sleep(Duration::from_millis(100)).await;
    }
}

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

/// A payload broadcast by one of 4 validators reaches each of the other 3 exactly once (and
/// not its sender); payloads outside the size limits are refused at the handle.
#[test]
fn gossip_reaches_every_other_validator_exactly_once() {
    runner(21).start(|context| async move {
        let keys: Vec<_> = (0..4).map(|i| key(&format!("v{i}"))).collect();
        let validators: Vec<_> = keys.iter().map(Keypair::account).collect();
        let pks: Vec<_> = keys.iter().map(identity::keypair_public_key).collect();
        let configs: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| config(k, &validators, &format!("v{i}")))
            .collect();
        let oracle = network(&context, max_message_size(&configs[0]), &pks, &[]).await;
        let mut apps = Vec::new();
        let mut nodes = Vec::new();
        for config in configs {
            let app = ToyApp::new(config.account());
            apps.push(app.clone());
            nodes.push(spawn_node(&context, &oracle, config, app).await);
        }
        // Consensus running means every pair of peers is connected.
        wait_for_height(&context, &apps, 2).await;

        let gossip = nodes[0].1.tx_gossip();
        assert_eq!(gossip.broadcast(Vec::new()), Err(GossipError::Empty));
        let max = gossip.max_payload_size();
        assert!(matches!(
            gossip.broadcast(vec![1; max + 1]),
            Err(GossipError::TooLarge { .. })
        ));
        gossip.broadcast(b"batch-1".to_vec()).expect("queued");
        gossip.broadcast(vec![7; max]).expect("queued");
        nodes[2]
            .1
            .tx_gossip()
            .broadcast(b"from-2".to_vec())
            .expect("queued");
        context.sleep(Duration::from_secs(3)).await;

        for (i, app) in apps.iter().enumerate() {
            let received = app.lock().gossip.clone();
            let mut expected = Vec::new();
            if i != 0 {
                expected.push((validators[0], b"batch-1".to_vec()));
                expected.push((validators[0], vec![7; max]));
            }
            if i != 2 {
                expected.push((validators[2], b"from-2".to_vec()));
            }
            let mut received_sorted = received.clone();
            received_sorted.sort();
            expected.sort();
            assert_eq!(received_sorted, expected, "validator {i}: {received:?}");
        }
        for (handle, _) in nodes {
            handle.abort();
        }
    });
}

/// A Byzantine validator that runs no engine: it answers every notarize and finalize vote it
/// hears by signing the same vote for a different block as well as the heard one, and sends
/// both to everybody.
async fn spawn_conflicter(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    key: &Keypair,
    validators: &[AccountId],
) -> Handle<()> {
    use commonware_codec::{DecodeExt as _, Encode as _};
    use commonware_consensus::simplex::{
        scheme::ed25519::Scheme,
        types::{Finalize, Notarize, Proposal, Vote},
    };
    use commonware_p2p::{Receiver as _, Recipients, Sender as _};
    use synod_consensus::block::{Digest, to_digest};
    use synod_primitives::Hash;

    let me = identity::keypair_public_key(key);
    let control = oracle.control(me);
    let (raw_sender, raw_receiver) = control
        .register(channel::VOTES, Quota::per_second(NZU32!(10_000)))
        .await
        .expect("register");
    // Votes travel on per-epoch subchannels of the votes channel; this one speaks epoch 0.
    let (mux, mut mux_handle) = commonware_p2p::utils::mux::Muxer::new(
        context.child("conflicter_mux"),
        raw_sender,
        raw_receiver,
    );
    mux.start();
    let (mut sender, mut receiver) = mux_handle.register(0).await.expect("epoch 0 subchannel");
    let scheme = Scheme::signer(
        &namespace("toy", &genesis().hash()),
        identity::participants(validators).expect("set"),
        identity::signing_key(key),
    )
    .expect("a validator");
    let other = |p: &Proposal<Digest>| {
        let fake = Hash::digest(&p.round.view().get().to_le_bytes());
        Proposal::new(p.round, p.parent, to_digest(&fake))
    };
    context.child("conflicter").spawn(move |_| async move {
        while let Ok((_, message)) = receiver.recv().await {
            let Ok(vote) = Vote::<Scheme, Digest>::decode(message) else {
                continue;
            };
            let votes = match vote {
                Vote::Notarize(n) => [
                    Notarize::sign(&scheme, other(&n.proposal)).map(Vote::Notarize),
                    Notarize::sign(&scheme, n.proposal).map(Vote::Notarize),
                ],
                Vote::Finalize(f) => [
                    Finalize::sign(&scheme, other(&f.proposal)).map(Vote::Finalize),
                    Finalize::sign(&scheme, f.proposal).map(Vote::Finalize),
                ],
                Vote::Nullify(_) => continue,
            };
            for vote in votes.into_iter().flatten() {
                sender.send(Recipients::All, vote.encode(), true);
            }
        }
    })
}

/// One of 4 validators signs conflicting votes: the honest three keep finalizing one chain,
/// report evidence that `verify_equivocation` attributes to the Byzantine key (and to nobody
/// else), and tampered evidence is rejected.
#[test]
fn equivocating_validator_is_reported_and_never_forks() {
    use synod_consensus::{FaultError, verify_equivocation};
    runner(33).start(|context| async move {
        let keys: Vec<_> = (0..4).map(|i| key(&format!("v{i}"))).collect();
        let validators: Vec<_> = keys.iter().map(Keypair::account).collect();
        let pks: Vec<_> = keys.iter().map(identity::keypair_public_key).collect();
        let byzantine = 3;
        let honest_config = config(&keys[0], &validators, "v0");
        let oracle = network(&context, max_message_size(&honest_config), &pks, &[]).await;
        let evil = spawn_conflicter(&context, &oracle, &keys[byzantine], &validators).await;
        let mut apps = Vec::new();
        let mut nodes = Vec::new();
        for (i, k) in keys.iter().enumerate().take(byzantine) {
            let app = ToyApp::new(k.account());
            apps.push(app.clone());
            let config = config(k, &validators, &format!("v{i}"));
            nodes.push(spawn_node(&context, &oracle, config, app).await);
        }
        wait_for_height(&context, &apps, 8).await;
        evil.abort();
        for (handle, _) in nodes {
            handle.abort();
        }

        // Safety: one chain, delivered gap-free.
        let chains: Vec<_> = apps.iter().map(|a| a.lock().committed.clone()).collect();
        let longest = chains.iter().max_by_key(|c| c.len()).expect("chains");
        for (i, chain) in chains.iter().enumerate() {
            assert_eq!(&longest[..chain.len()], &chain[..], "validator {i} forked");
            assert!(apps[i].lock().violations.is_empty());
        }

        // Evidence: reported, attributed to the Byzantine key only.
        let ns = namespace("toy", &genesis().hash());
        let set = |e: u64| (e == 0).then(|| validators.clone());
        let mut reported = 0;
        let mut kinds = std::collections::BTreeSet::new();
        for app in &apps {
            for evidence in app.lock().faults.clone() {
                let fault = verify_equivocation(&ns, &set, &evidence).expect("valid evidence");
                assert_eq!(fault.offender, validators[byzantine]);
                assert_eq!(fault.epoch, 0);
                kinds.insert(fault.kind);
                reported += 1;

                let mut tampered = evidence.clone();
                let last = tampered.len() - 1;
                tampered[last] ^= 0x80;
                assert_eq!(
                    verify_equivocation(&ns, &set, &tampered),
                    Err(FaultError::BadSignatures)
                );
                assert_eq!(
                    verify_equivocation(b"another chain", &set, &evidence),
                    Err(FaultError::BadSignatures)
                );
            }
        }
        eprintln!(
            "heights {:?}; {reported} evidence reports, kinds {kinds:?}",
            apps.iter()
                .map(ToyApp::committed_height)
                .collect::<Vec<_>>()
        );
        assert!(
            reported > 0,
            "no honest validator reported the equivocation"
        );
    });
}

/// An observer (a key outside the validator set, listed in `observers`) started long after 4
/// validators: it backfills from genesis, commits exactly the validators' finalized sequence in
/// order, keeps following new blocks, and never proposes.
#[test]
fn late_observer_follows_the_finalized_chain() {
    runner(45).start(|context| async move {
        let keys: Vec<_> = (0..4).map(|i| key(&format!("v{i}"))).collect();
        let observer_key = key("observer");
        let validators: Vec<_> = keys.iter().map(Keypair::account).collect();
        let pks: Vec<_> = keys.iter().map(identity::keypair_public_key).collect();
        let observer_pk = identity::keypair_public_key(&observer_key);
        let with_observer = |k: &Keypair, prefix: &str| {
            let mut c = config(k, &validators, prefix);
            c.observers = vec![observer_key.account()];
            c
        };
        let oracle = network(
            &context,
            max_message_size(&with_observer(&keys[0], "v0")),
            &pks,
            std::slice::from_ref(&observer_pk),
        )
        .await;
        let mut apps = Vec::new();
        let mut nodes = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let app = ToyApp::new(k.account());
            apps.push(app.clone());
            nodes
                .push(spawn_node(&context, &oracle, with_observer(k, &format!("v{i}")), app).await);
        }
        // Past simplex's view retention (64), so only marshal's archives can serve the start.
        wait_for_height(&context, &apps, 80).await;

        let observer_config = with_observer(&observer_key, "observer");
        assert!(!observer_config.is_validator());
        observer_config
            .validate()
            .expect("observer config is valid");
        let observer = ToyApp::new(observer_key.account());
        let observer_node = spawn_node(&context, &oracle, observer_config, observer.clone()).await;
        // Catch up with what was finalized before it started, then follow new blocks.
        let target = apps.iter().map(ToyApp::committed_height).max().unwrap_or(0) + 5;
        wait_for_height(&context, std::slice::from_ref(&observer), target).await;
        wait_for_height(&context, &apps, target).await;
        for (handle, _) in nodes {
            handle.abort();
        }
        observer_node.0.abort();

        let chain = observer.lock().committed.clone();
        let validator_chain = apps[0].lock().committed.clone();
        let n = chain.len().min(validator_chain.len());
        assert!(n as u64 > target);
        assert_eq!(chain[..n], validator_chain[..n], "observer diverged");
        let state = observer.lock();
        assert!(state.violations.is_empty(), "{:?}", state.violations);
        let delivered = state.deliveries.len() as u64;
        assert_eq!(state.deliveries, (1..=delivered).collect::<Vec<_>>());
        assert!(state.proposed_at.is_empty(), "an observer never proposes");
        assert!(
            chain
                .iter()
                .all(|b| b.header.proposer != observer_key.account()),
            "no block proposed by the observer"
        );
        eprintln!(
            "observer committed {} blocks (validators at {:?})",
            delivered,
            apps.iter()
                .map(ToyApp::committed_height)
                .collect::<Vec<_>>()
        );
    });
}
