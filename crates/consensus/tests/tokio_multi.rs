//! Four validators in one process, each on its own tokio runtime, talking authenticated p2p
//! over loopback TCP (discovery through bootstrappers).

mod common;

use common::{ToyApp, genesis};
use futures::channel::oneshot;
use std::{
    net::{SocketAddr, TcpListener},
    thread,
    time::{Duration, Instant},
};
use synod_consensus::{EngineConfig, namespace, run_tokio};
use synod_primitives::Keypair;

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

#[test]
fn four_validators_over_loopback_tcp() {
    const N: usize = 4;
    let dirs: Vec<_> = (0..N)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let keys: Vec<_> = (0..N).map(|i| Keypair::dev(&format!("tcp-{i}"))).collect();
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
    for i in 0..N {
        let mut config = EngineConfig::devnet(
            keys[i].clone(),
            validators.clone(),
            namespace("toy", &genesis().hash()),
            addrs[i],
            dirs[i].path(),
        );
        config.bootstrappers = bootstrappers.clone();
        config.block_interval = Duration::from_millis(20);
        config.worker_threads = Some(1);
        let app = ToyApp::new(validators[i]);
        apps.push(app.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        stops.push(stop_tx);
        threads.push(thread::spawn(move || {
            run_tokio(config, app, async move {
                let _ = stop_rx.await;
            })
        }));
    }

    let start = Instant::now();
    let target = 10;
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
    eprintln!(
        "4 validators over TCP reached height {target} in {:?}",
        start.elapsed()
    );
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
    let proposers: std::collections::HashSet<_> =
        longest.iter().skip(1).map(|b| b.header.proposer).collect();
    assert!(
        proposers.len() >= 3,
        "leaders rotate: {} distinct proposers",
        proposers.len()
    );
}
