//! Real processes: 4 `synod node` validators on loopback. Transfers go to several nodes; one
//! node is `kill -9`ed under load and restarted; it catches up to the same block hashes and
//! state roots, no transaction is included twice, and what the killed node had accepted
//! survives through gossip. A full node joining late catches up from genesis, and a
//! transaction sent to it (it never proposes) is included exactly once. Also `synod localnet` itself: it starts
//! the nodes, stops them all on Ctrl-C, and stops them all when one dies. And the validator set
//! rotating across processes: a full node bonds into the set, a genesis validator leaves it.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use synod_node::keyfile::read_key_file;
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockId, SubmitResult};
use synod_runtime::BankCall;
use synod_runtime::{Call, Genesis, Transaction, TxOutcome};
use synod_validators::ValidatorCall;
use synod_validators::rpc::ValidatorsApiClient;

struct Node {
    config: PathBuf,
    log: PathBuf,
    rpc: String,
    child: Option<Child>,
}

impl Node {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log");
        self.child = Some(
            synod()
                .args(["node", "--config", self.config.to_str().expect("utf8")])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn node"),
        );
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn client(&self) -> jsonrpsee::http_client::HttpClient {
        jsonrpsee::http_client::HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(&self.rpc)
            .expect("client")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `synod localnet --no-start`: keys, genesis and configs on free ports.
fn prepare(dir: &Path, validators: usize, full_nodes: usize) -> (Vec<Node>, Genesis) {
    let out = synod()
        .args([
            "--json",
            "localnet",
            "--no-start",
            "--base-port",
            "0",
            "--block-interval-ms",
            "100",
            "--validators",
            &validators.to_string(),
            "--full-nodes",
            &full_nodes.to_string(),
            "--dir",
            dir.to_str().expect("utf8"),
        ])
        .output()
        .expect("localnet --no-start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan json");
    let nodes = plan["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| Node {
            config: n["config"].as_str().expect("config").into(),
            log: n["log"].as_str().expect("log").into(),
            rpc: n["rpc"].as_str().expect("rpc").into(),
            child: None,
        })
        .collect();
    let genesis: Genesis = serde_json::from_slice(
        &std::fs::read(plan["genesis"].as_str().expect("genesis")).expect("read genesis"),
    )
    .expect("genesis");
    (nodes, genesis)
}

fn finalized(rt: &tokio::runtime::Runtime, n: &Node) -> Option<u64> {
    rt.block_on(n.client().heads())
        .ok()
        .map(|h| h.finalized_height)
}

fn wait_height(rt: &tokio::runtime::Runtime, nodes: &[&Node], height: u64, within: Duration) {
    let deadline = Instant::now() + within;
    for n in nodes {
        while finalized(rt, n).is_none_or(|h| h < height) {
            assert!(
                Instant::now() < deadline,
                "{} did not reach height {height} (at {:?}); see {}",
                n.rpc,
                finalized(rt, n),
                n.log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Sends transfers from `sender` to one node until `stop`; returns the hash of every
/// transaction the node accepted, with when it was accepted. Amounts are unique so every transaction is distinct.
fn load(
    rpc: String,
    genesis: Genesis,
    sender: Keypair,
    stop: Arc<AtomicBool>,
    tag: u64,
) -> Vec<(Hash, Instant)> {
    let rt = runtime();
    let c = jsonrpsee::http_client::HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(&rpc)
        .expect("client");
    let to = Keypair::dev("ferdie").account();
    let gh = genesis.hash();
    let mut accepted = Vec::new();
    let mut next: Option<u64> = None;
    let mut serial = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let n = match next {
            Some(n) => n,
            None => match rt.block_on(c.get_account(sender.account(), None)) {
                Ok(a) => a.nonce,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            },
        };
        let batch: Vec<String> = (0..5)
            .map(|k| {
                serial += 1;
                hex_tx(
                    &Transaction {
                        chain_id: genesis.chain_id.clone(),
                        sender: sender.account(),
                        nonce: n + k,
                        fee: 1_000_000,
                        call: Call::Bank(BankCall::Transfer {
                            to,
                            amount: tag * 1_000_000 + serial,
                        }),
                    }
                    .sign(&sender, &gh),
                )
            })
            .collect();
        match rt.block_on(c.submit_transactions(batch)) {
            Ok(results) => {
                let mut ok = 0;
                for r in results {
                    if let SubmitResult::Accepted { hash } = r {
                        accepted.push((hash, Instant::now()));
                        ok += 1;
                    }
                }
                next = if ok == 5 { Some(n + 5) } else { None };
            }
            Err(_) => next = None,
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    accepted
}

#[test]
fn four_validators_survive_kill9_and_the_restarted_node_catches_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut nodes, genesis) = prepare(dir.path(), 4, 0);
    for n in &mut nodes {
        n.start();
    }
    let rt = runtime();
    wait_height(
        &rt,
        &nodes.iter().collect::<Vec<_>>(),
        1,
        Duration::from_secs(90),
    );

    // Each sender talks to one node; node 3 is the one that will be killed.
    let plan = [
        ("alice", 0usize),
        ("bob", 1),
        ("charlie", 2),
        ("dave", 3),
        ("eve", 0),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let loaders: Vec<_> = plan
        .iter()
        .enumerate()
        .map(|(i, (name, node))| {
            let (rpc, g, s, st) = (
                nodes[*node].rpc.clone(),
                genesis.clone(),
                Keypair::dev(name),
                stop.clone(),
            );
            let tag = i as u64 + 1;
            (*node, std::thread::spawn(move || load(rpc, g, s, st, tag)))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(4));

    let killed_at = Instant::now();
    nodes[3].kill9();
    let at_kill = finalized(&rt, &nodes[0]).expect("node 0 up");
    // Three of four validators are a quorum: the chain goes on.
    wait_height(
        &rt,
        &[&nodes[0], &nodes[1], &nodes[2]],
        at_kill + 5,
        Duration::from_secs(60),
    );
    nodes[3].start();
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    let mut survived = Vec::new();
    let mut from_killed = Vec::new();
    for (node, h) in loaders {
        let accepted = h.join().expect("loader");
        if node == 3 {
            from_killed.extend(accepted);
        } else {
            survived.extend(accepted);
        }
    }
    assert!(survived.len() > 50, "too little load: {}", survived.len());

    // Every transaction accepted by a node that stayed up is finalized.
    let c0 = nodes[0].client();
    let deadline = Instant::now() + Duration::from_secs(90);
    for (h, _) in &survived {
        while rt.block_on(c0.get_receipt(*h)).expect("rpc").is_none() {
            assert!(
                Instant::now() < deadline,
                "accepted transaction {h} never finalized"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // And the ones dave sent to node 3 after its restart (node 3 proposes again).
    let head = finalized(&rt, &nodes[0]).expect("node 0");
    wait_height(
        &rt,
        &nodes.iter().collect::<Vec<_>>(),
        head,
        Duration::from_secs(90),
    );

    // Same block hash and state root at every height on all four nodes.
    let clients: Vec<_> = nodes.iter().map(Node::client).collect();
    let mut included: BTreeMap<Hash, u64> = BTreeMap::new();
    for height in 1..=head {
        let blocks: Vec<_> = clients
            .iter()
            .map(|c| {
                rt.block_on(c.get_block(BlockId::Height(height)))
                    .expect("rpc")
                    .unwrap_or_else(|| panic!("block {height} missing"))
            })
            .collect();
        for b in &blocks[1..] {
            assert_eq!(
                b.hash, blocks[0].hash,
                "height {height}: block hashes differ"
            );
            assert_eq!(
                b.header.state_root, blocks[0].header.state_root,
                "height {height}: state roots differ"
            );
        }
        for t in &blocks[0].transactions {
            assert!(
                included.insert(t.hash, height).is_none(),
                "transaction {} included twice",
                t.hash
            );
        }
    }
    for (h, _) in &survived {
        assert!(
            included.contains_key(h),
            "{h} missing from blocks 1..={head}"
        );
    }
    // Node 3's pool died with it, but what it accepted had been gossiped to the others:
    // everything it accepted well before the kill is included (once, checked above for all),
    // and after the restart its new transactions made it in too.
    for (h, at) in &from_killed {
        if *at + Duration::from_secs(2) < killed_at {
            assert!(
                included.contains_key(h),
                "{h}, accepted by node 3 before its kill, was lost: gossip did not carry it"
            );
        }
    }
    let dave_included = from_killed
        .iter()
        .filter(|(h, _)| included.contains_key(h))
        .count();
    assert!(
        dave_included > 0,
        "nothing sent to node 3 was ever included"
    );
    // The restarted node keeps finalizing with the others.
    wait_height(&rt, &[&nodes[3]], head + 3, Duration::from_secs(60));
    eprintln!(
        "finalized {} blocks, {} transactions; {} of {} sent to the killed node included",
        head,
        included.len(),
        dave_included,
        from_killed.len()
    );
}

#[test]
fn a_full_node_joins_from_genesis_catches_up_and_relays_transactions_by_gossip() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut nodes, genesis) = prepare(dir.path(), 4, 1);
    for n in nodes.iter_mut().take(4) {
        n.start();
    }
    let rt = runtime();
    wait_height(
        &rt,
        &nodes.iter().take(4).collect::<Vec<_>>(),
        15,
        Duration::from_secs(120),
    );
    // Joins late, from an empty data directory.
    nodes[4].start();
    let validators: Vec<&Node> = nodes.iter().take(4).collect();
    let head = finalized(&rt, &nodes[0]).expect("node 0");
    wait_height(&rt, &[&nodes[4]], head, Duration::from_secs(120));
    let (c0, full) = (nodes[0].client(), nodes[4].client());
    for height in 1..=head {
        let a = rt
            .block_on(c0.get_block(BlockId::Height(height)))
            .expect("rpc")
            .expect("block");
        let b = rt
            .block_on(full.get_block(BlockId::Height(height)))
            .expect("rpc")
            .expect("block on the full node");
        assert_eq!(
            (a.hash, a.header.state_root),
            (b.hash, b.header.state_root),
            "height {height}"
        );
    }
    // The full node never proposes: a transaction sent to it is included only because gossip
    // carried it to the validators, and exactly once.
    let alice = Keypair::dev("alice");
    let nonce = rt
        .block_on(full.get_account(alice.account(), None))
        .expect("rpc")
        .nonce;
    let mut hashes = Vec::new();
    for k in 0..5 {
        let tx = Transaction {
            chain_id: genesis.chain_id.clone(),
            sender: alice.account(),
            nonce: nonce + k,
            fee: 1_000_000,
            call: Call::Bank(BankCall::Transfer {
                to: Keypair::dev("bob").account(),
                amount: 7 + k,
            }),
        }
        .sign(&alice, &genesis.hash());
        hashes.push(
            rt.block_on(full.submit_transaction(hex_tx(&tx)))
                .expect("full node admits"),
        );
    }
    let mut heights = Vec::new();
    for h in &hashes {
        heights.push(wait_finalized(&rt, &full, *h));
    }
    let last = heights.iter().copied().max().expect("heights");
    wait_height(&rt, &validators, last, Duration::from_secs(30));
    let mut count: BTreeMap<Hash, usize> = BTreeMap::new();
    for height in 1..=last {
        let b = rt
            .block_on(c0.get_block(BlockId::Height(height)))
            .expect("rpc")
            .expect("block");
        for t in b.transactions {
            *count.entry(t.hash).or_default() += 1;
        }
    }
    for h in &hashes {
        assert_eq!(count.get(h), Some(&1), "{h} must be included exactly once");
    }
    // And every validator's pool let go of them (no later duplicate proposal).
    let more = finalized(&rt, &nodes[0]).expect("node 0") + 3;
    wait_height(&rt, &validators, more, Duration::from_secs(30));
    for height in last + 1..=more {
        let b = rt
            .block_on(c0.get_block(BlockId::Height(height)))
            .expect("rpc")
            .expect("block");
        for t in b.transactions {
            assert!(!hashes.contains(&t.hash), "{} included again", t.hash);
        }
    }
}

fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by its parent) is not running.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.split(") ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Starts `synod localnet` and returns it with the node pids and RPC URLs it printed.
fn localnet(dir: &Path) -> (Child, Vec<u32>, Vec<String>) {
    let mut child = synod()
        .args([
            "--json",
            "localnet",
            "--validators",
            "3",
            "--base-port",
            "0",
            "--block-interval-ms",
            "100",
            "--dir",
            dir.to_str().expect("utf8"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn localnet");
    use std::io::Read;
    let mut out = child.stdout.take().expect("stdout");
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    let v: serde_json::Value = loop {
        let n = out.read(&mut buf).expect("read");
        assert!(n > 0, "localnet exited before printing its nodes: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let nodes = v["nodes"].as_array().expect("nodes");
    let pids = nodes
        .iter()
        .map(|n| n["pid"].as_u64().expect("pid") as u32)
        .collect();
    let rpcs = nodes
        .iter()
        .map(|n| n["rpc"].as_str().expect("rpc").to_string())
        .collect();
    (child, pids, rpcs)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(Instant::now() < deadline, "localnet did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn localnet_serves_the_dev_cli_and_leaves_no_orphans() {
    let dir = tempfile::tempdir().expect("tmp");
    let net_dir = dir.path().join("net");
    let (mut child, pids, rpcs) = localnet(&net_dir);
    assert_eq!(pids.len(), 3);
    // The existing CLI works against any node with the dev accounts.
    let out = synod()
        .args([
            "--dev", "--json", "--rpc", &rpcs[1], "transfer", "--from", "alice", "--to", "bob",
            "--amount", "2",
        ])
        .output()
        .expect("transfer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Ctrl-C: every node stops.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = wait_exit(&mut child, Duration::from_secs(40));
    assert!(status.success(), "localnet exit: {status}");
    for pid in &pids {
        assert!(!alive(*pid), "node {pid} outlived the localnet");
    }

    // The same directory resumes the same chain; a node dying is reported and the rest stop.
    let (mut child, pids, _) = localnet(&net_dir);
    let _ = Command::new("kill")
        .args(["-9", &pids[2].to_string()])
        .status();
    let status = wait_exit(&mut child, Duration::from_secs(40));
    assert!(!status.success(), "a dead node must fail the localnet");
    for pid in &pids {
        assert!(!alive(*pid), "node {pid} outlived the localnet");
    }
}

/// Submits `call` from `key` through `c` and waits for it to succeed.
fn submit_ok(
    rt: &tokio::runtime::Runtime,
    c: &jsonrpsee::http_client::HttpClient,
    genesis: &Genesis,
    key: &Keypair,
    call: Call,
) {
    let nonce = rt
        .block_on(c.get_account(key.account(), None))
        .expect("rpc")
        .nonce;
    let tx = Transaction {
        chain_id: genesis.chain_id.clone(),
        sender: key.account(),
        nonce,
        fee: 1_000_000,
        call,
    }
    .sign(key, &genesis.hash());
    let hash = rt
        .block_on(c.submit_transaction(hex_tx(&tx)))
        .expect("admitted");
    wait_finalized(rt, c, hash);
    let receipt = rt
        .block_on(c.get_receipt(hash))
        .expect("rpc")
        .expect("receipt");
    assert_eq!(receipt.outcome, TxOutcome::Success, "{receipt:?}");
}

/// Consensus follows the staking set across processes: a full node's key bonds and a genesis
/// validator unbonds everything; from the boundary on, the full node votes and the leaver may
/// stop. Proven by killing the leaver and one more genesis validator: the three left are a
/// quorum of the new set of four only if the former full node signs. `synod query --prove`
/// then checks a state value against a header certified by the rotated set, walking the sets
/// from genesis (the genesis set alone cannot certify it).
#[test]
fn a_bonded_full_node_enters_the_set_and_a_leaving_validator_may_stop() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut nodes, genesis) = prepare(dir.path(), 4, 1);
    for n in nodes.iter_mut() {
        n.start();
    }
    let rt = runtime();
    wait_height(
        &rt,
        &nodes.iter().collect::<Vec<_>>(),
        3,
        Duration::from_secs(120),
    );
    let key = |n: &Node| read_key_file(&n.config.with_file_name("node.key")).expect("node key");
    let (leaver, joiner) = (key(&nodes[0]), key(&nodes[4]));
    let c = nodes[1].client();
    submit_ok(
        &rt,
        &c,
        &genesis,
        &joiner,
        Call::Validators(ValidatorCall::Bond {
            amount: 1_000 * UNIT,
        }),
    );
    submit_ok(
        &rt,
        &c,
        &genesis,
        &leaver,
        Call::Validators(ValidatorCall::Unbond {
            amount: 1_000 * UNIT,
        }),
    );
    let mut expected: Vec<AccountId> = nodes[1..].iter().map(|n| key(n).account()).collect();
    expected.sort();
    let deadline = Instant::now() + Duration::from_secs(60);
    let entered = loop {
        let view = rt.block_on(c.validators()).expect("validators");
        let mut set: Vec<AccountId> = view.validators.iter().map(|m| m.account).collect();
        set.sort();
        if set == expected {
            break view.epoch;
        }
        assert!(Instant::now() < deadline, "the set never changed: {view:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Every member of the new set is in the new epoch's engine before two validators go.
    let h = finalized(&rt, &nodes[1]).expect("node 1");
    wait_height(
        &rt,
        &nodes[1..].iter().collect::<Vec<_>>(),
        h + 5,
        Duration::from_secs(60),
    );
    nodes[0].kill9();
    nodes[1].kill9();
    let rest: Vec<&Node> = nodes[2..].iter().collect();
    let h = finalized(&rt, &nodes[2]).expect("node 2");
    // Past at least one more boundary, so the next epoch's engine starts without them too.
    let epoch_length = genesis.staking.epoch_length;
    wait_height(&rt, &rest, h + epoch_length + 5, Duration::from_secs(120));
    let full = nodes[4].client();
    let view = rt.block_on(full.validators()).expect("validators");
    assert!(view.epoch > entered, "{} !> {entered}", view.epoch);
    // A node keeps the vote journals of its current epoch and the one before (and, for a
    // moment at a boundary, the one before that), not one per epoch for ever.
    let consensus_dir = nodes[2].config.with_file_name("data").join("consensus");
    let journals: Vec<String> = std::fs::read_dir(&consensus_dir)
        .expect("consensus dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("-simplex"))
        .collect();
    assert!(
        !journals.is_empty() && journals.len() <= 3,
        "{view:?} {journals:?}"
    );

    let v = synod_json(&[
        "--rpc",
        &nodes[4].rpc,
        "--dev",
        "--json",
        "query",
        "account",
        "alice",
        "--prove",
    ]);
    assert_eq!(v["verified"], true, "{v}");
    let proven_height = v["height"].as_u64().expect("height");
    assert!(proven_height / epoch_length >= entered, "{v}");
    // The genesis set alone does not certify that header (or the descendant whose certificate
    // finalized it): the walk above was needed.
    let info = rt.block_on(full.chain_info()).expect("info");
    let ns = synod_consensus::namespace(&info.chain_id, &info.genesis_hash);
    let (hash, cert) = (proven_height..proven_height + 64)
        .find_map(|h| {
            let header = rt
                .block_on(full.get_finalized_header(h))
                .expect("rpc")
                .expect("header");
            header.finalization.map(|cert| (header.hash, cert))
        })
        .expect("a certified header within 64 blocks");
    assert!(
        synod_consensus::verify_finalization(
            &ns,
            &info.validators,
            &hash,
            &hex::decode(cert).expect("hex"),
        )
        .is_err(),
        "a quorum of the genesis set signed a block it no longer validates"
    );
}
