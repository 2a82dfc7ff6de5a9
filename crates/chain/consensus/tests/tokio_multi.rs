//! Four validators in one process, each on its own tokio runtime, talking authenticated p2p
//! over loopback TCP (discovery through bootstrappers); a late observer dials in and follows,
//! and transaction gossip reaches every other node.

mod common;

use common::{ToyApp, genesis};
use futures::channel::oneshot;
use std::{
    net::{SocketAddr, TcpListener},
    thread,
    time::{Duration, Instant},
};
use synod_consensus::{EngineConfig, EngineStatus, namespace, run_tokio_with};
use synod_primitives::{AccountId, Keypair};

fn free_port() -> SocketAddr {
    // Ports below the kernel's ephemeral range (32768 and up) are never handed to outgoing
    // connections, so a port found free here stays free until the engine binds it.
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 600) as u16 * 20;
    let _ = NEXT.compare_exchange(
        0,
        base,
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
    );
    loop {
        let p = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = 20_000 + (p - 20_000) % 12_000;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", p)) {
            return listener.local_addr().expect("addr");
        }
    }
}

#[test]
fn four_validators_over_loopback_tcp() {
    const N: usize = 4;
    let dirs: Vec<_> = (0..N)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let keys: Vec<_> = (0..N).map(|i| Keypair::dev(&format!("tcp-{i}"))).collect();
    let observer_key = Keypair::dev("tcp-observer");
    let validators: Vec<_> = keys.iter().map(Keypair::account).collect();
    let addrs: Vec<_> = (0..N).map(|_| free_port()).collect();
    let bootstrappers: Vec<_> = validators
        .iter()
        .cloned()
        .zip(addrs.iter().cloned())
        .collect();

    let mut apps = Vec::new();
    let mut stops = Vec::new();
    let mut threads = Vec::new();
    let (status_tx, status_rx) = std::sync::mpsc::channel::<(AccountId, EngineStatus)>();
    let spawn = |key: &Keypair, addr, dir: &std::path::Path, app: ToyApp| {
        let mut config = EngineConfig::devnet(
            key.clone(),
            validators.clone(),
            namespace("toy", &genesis().hash()),
            addr,
            dir,
        );
        config.observers = vec![observer_key.account()];
        config.bootstrappers = bootstrappers.clone();
        config.block_interval = Duration::from_millis(20);
        config.worker_threads = Some(1);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let status_tx = status_tx.clone();
        let account = key.account();
        let thread = thread::spawn(move || {
            run_tokio_with(
                config,
                app,
                async move {
                    let _ = stop_rx.await;
                },
                move |status| {
                    let _ = status_tx.send((account, status));
                },
            )
        });
        (stop_tx, thread)
    };
    for i in 0..N {
        let app = ToyApp::new(validators[i]);
        apps.push(app.clone());
        let (stop, thread) = spawn(&keys[i], addrs[i], dirs[i].path(), app);
        stops.push(stop);
        threads.push(thread);
    }
    // Engines report in start order, not index order.
    let statuses: std::collections::BTreeMap<AccountId, EngineStatus> = (0..N)
        .map(|_| status_rx.recv().expect("engine started"))
        .collect();

    let start = Instant::now();
    let wait_for = |apps: &[ToyApp], target: u64| {
        while apps.iter().map(ToyApp::committed_height).min().unwrap_or(0) < target {
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "timed out: heights {:?}",
                apps.iter()
                    .map(ToyApp::committed_height)
                    .collect::<Vec<_>>()
            );
            thread::sleep(Duration::from_millis(20));
        }
    };
    let target = 10;
    wait_for(&apps, target);
    eprintln!(
        "4 validators over TCP reached height {target} in {:?}",
        start.elapsed()
    );

    // A late observer: it dials the validators (it is not one), catches up and follows.
    let observer_dir = tempfile::tempdir().expect("tempdir");
    let observer = ToyApp::new(observer_key.account());
    let (stop, thread) = spawn(
        &observer_key,
        free_port(),
        observer_dir.path(),
        observer.clone(),
    );
    stops.push(stop);
    threads.push(thread);
    let (_, observer_status) = status_rx.recv().expect("observer started");
    let target = apps.iter().map(ToyApp::committed_height).max().unwrap_or(0) + 5;
    wait_for(std::slice::from_ref(&observer), target);
    eprintln!("observer reached height {target} at {:?}", start.elapsed());

    // Gossip from a validator reaches the other validators and the observer, once per
    // broadcast. Gossip goes to the peers connected at that moment (best effort), and the
    // observer may still be dialing validator 0 when it has already caught up through the
    // others, so broadcast distinct payloads until every node has one, then check that no
    // payload arrived twice anywhere and none came back to its sender.
    let mut everyone = apps.clone();
    everyone.push(observer.clone());
    let payload = |k: usize| format!("tcp-gossip-{k}").into_bytes();
    let received = |app: &ToyApp| -> Vec<Vec<u8>> {
        app.lock()
            .gossip
            .iter()
            .filter(|(_, p)| p.starts_with(b"tcp-gossip-"))
            .map(|(_, p)| p.clone())
            .collect()
    };
    let mut broadcasts = 0;
    while everyone[1..].iter().any(|a| received(a).is_empty()) {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "gossip not delivered after {broadcasts} broadcasts: {:?}",
            everyone
                .iter()
                .map(|a| received(a).len())
                .collect::<Vec<_>>()
        );
        statuses[&validators[0]]
            .tx_gossip()
            .broadcast(payload(broadcasts))
            .expect("queued");
        broadcasts += 1;
        thread::sleep(Duration::from_millis(250));
    }
    thread::sleep(Duration::from_millis(200));
    eprintln!("gossip reached every node after {broadcasts} broadcast(s)");
    assert!(
        received(&everyone[0]).is_empty(),
        "the sender never hears its own gossip"
    );
    for (i, app) in everyone.iter().enumerate().skip(1) {
        let mut got = received(app);
        let total = got.len();
        got.sort();
        got.dedup();
        assert_eq!(got.len(), total, "node {i} received a payload twice");
        assert!(
            total <= broadcasts,
            "node {i}: more payloads than broadcasts"
        );
        assert!(
            app.lock()
                .gossip
                .iter()
                .all(|(from, _)| *from == validators[0]),
            "node {i}: gossip is attributed to its sender and never relayed"
        );
    }
    assert!(observer_status.delivered_height() >= target);
    for stop in stops {
        let _ = stop.send(());
    }
    for t in threads {
        t.join().expect("thread").expect("clean shutdown");
    }

    let chains: Vec<_> = apps.iter().map(|a| a.lock().committed.clone()).collect();
    let longest = chains.iter().max_by_key(|c| c.len()).expect("chains");
    for (i, chain) in chains.iter().enumerate() {
        assert_eq!(
            &longest[..chain.len()],
            &chain[..],
            "validator {i} diverged"
        );
        assert!(apps[i].lock().violations.is_empty());
    }
    let observed = observer.lock().committed.clone();
    assert_eq!(
        &longest[..observed.len()],
        &observed[..],
        "observer diverged"
    );
    assert!(observer.lock().violations.is_empty());
    assert!(
        observer.lock().proposed_at.is_empty(),
        "an observer never proposes"
    );
    let proposers: std::collections::HashSet<_> =
        longest.iter().skip(1).map(|b| b.header.proposer).collect();
    assert!(
        proposers.len() >= 3,
        "leaders rotate: {} distinct proposers",
        proposers.len()
    );
}
