//! In-process committees on loopback: permissions for every request type,
//! replay protection, benchmark and program jobs, and a wire tap proving no
//! secret input crosses a link in the clear.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use synod_blind_lang::{ScalarType, Value};
use synod_blind_node::config::write_key_file;
use synod_blind_node::mesh::TapPoint;
use synod_blind_node::types::{
    BenchKind, InputBinding, InputSource, Invocation, JobKind, Operation, SecretId,
};
use synod_blind_node::{
    BlindClient, ClientInput, Committee, Member, NodeConfig, Permissions, RunningNode, start_node,
};
use synod_primitives::Keypair;

type Captured = Vec<(TapPoint, Vec<u8>)>;

fn free_port() -> u16 {
    // Ports below the kernel's ephemeral range (32768 and up) are never handed to outgoing
    // connections, so a port found free here stays free until the test binds it; asking the
    // kernel for port 0 and releasing it raced with the connections of parallel tests.
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
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

struct Net {
    nodes: Vec<RunningNode>,
    committee: Committee,
    _dir: tempfile::TempDir,
}

async fn start(n: usize) -> Net {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys: Vec<Keypair> = (0..n)
        .map(|i| Keypair::dev(&format!("blind-test-node-{i}")))
        .collect();
    let rpc_ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let committee = Committee {
        members: keys
            .iter()
            .zip(&rpc_ports)
            .map(|(k, p)| {
                Member::new(
                    k,
                    format!("127.0.0.1:{}", free_port()).parse().expect("addr"),
                    format!("http://127.0.0.1:{p}"),
                )
            })
            .collect(),
    };
    let mut nodes = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let key_file = dir.path().join(format!("node-{i}.key"));
        write_key_file(&key_file, k).expect("key");
        let cfg = NodeConfig {
            index: i,
            key_file,
            data_dir: dir.path().join(format!("node-{i}")),
            committee: committee.clone(),
            rpc_listen: format!("127.0.0.1:{}", rpc_ports[i]).parse().expect("addr"),
            p2p_listen: None,
            round_timeout_ms: 5_000,
            max_frame_bytes: 64 << 20,
            allow_bench: true,
            max_clock_skew_ms: 60_000,
            mpc_piece_elements: 1024,
            prepare_ttl_ms: 60_000,
            rpc: Default::default(),
        };
        nodes.push(start_node(cfg).await.expect("node starts"));
    }
    for node in &nodes {
        assert!(
            node.state
                .mesh()
                .wait_connected(Duration::from_secs(10))
                .await,
            "mesh connects"
        );
    }
    Net {
        nodes,
        committee,
        _dir: dir,
    }
}

fn client(net: &Net, who: &str) -> BlindClient {
    BlindClient::new(net.committee.clone(), Keypair::dev(who)).expect("client")
}

/// Every node refuses with an "unauthorised" error.
fn all_refused(
    results: Vec<Result<synod_blind_node::types::Response, synod_blind_node::BlindError>>,
    what: &str,
) {
    for (i, r) in results.into_iter().enumerate() {
        let e = r.expect_err(&format!("node {i} must refuse {what}"));
        assert!(
            e.to_string().contains("unauthorised"),
            "node {i}, {what}: {e}"
        );
    }
}

const PROGRAM: &str = r#"
    party Alice; party Bob;
    input a: secret u32 from Alice;
    input b: secret u32 from Bob;
    output bigger = if a > b then a else b to Alice;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_every_request_type() {
    let net = start(3).await;
    let alice = client(&net, "alice");
    let bob = client(&net, "bob");
    let bob_id = bob.account();

    // store: owner must be the caller.
    let forged =
        synod_blind_node::client::share_value(&alice.params(), ScalarType::U32, &Value::Int(1))
            .expect("share");
    let id = SecretId::random().expect("rng");
    let ops = forged
        .into_iter()
        .map(|value| Operation::StoreSecret {
            id,
            value,
            permissions: Permissions::owner_only(alice.account()),
        })
        .collect();
    all_refused(bob.call_each(ops).await, "store for another owner");

    let id = alice
        .store_secret(ScalarType::U32, &Value::Int(42), None)
        .await
        .expect("store");
    let got = alice.retrieve(id).await.expect("owner retrieves");
    assert_eq!(got.value, Value::Int(42));

    // retrieve
    all_refused(
        bob.call_all(Operation::RetrieveSecret { id }).await,
        "retrieve",
    );
    let e = bob.retrieve(id).await.expect_err("refused");
    assert!(e.to_string().contains("unauthorised"), "{e}");
    // update
    let shares =
        synod_blind_node::client::share_value(&bob.params(), ScalarType::U32, &Value::Int(7))
            .expect("share");
    all_refused(
        bob.call_each(
            shares
                .into_iter()
                .map(|value| Operation::UpdateSecret { id, value })
                .collect(),
        )
        .await,
        "update",
    );
    // delete
    all_refused(bob.call_all(Operation::DeleteSecret { id }).await, "delete");
    // permissions
    all_refused(
        bob.call_all(Operation::GetPermissions { id }).await,
        "get permissions",
    );
    all_refused(
        bob.call_all(Operation::SetPermissions {
            id,
            permissions: Permissions::owner_only(bob_id),
        })
        .await,
        "set permissions",
    );
    // compute: bob may not use alice's secret in a program.
    let compiled = synod_blind_lang::compile(PROGRAM, &Default::default()).expect("compiles");
    let program = bob
        .store_program(compiled.bytes.clone())
        .await
        .expect("anyone may store a program");
    let e = bob
        .invoke(
            program,
            &[
                ("a".into(), ScalarType::U32, ClientInput::Stored(id)),
                (
                    "b".into(),
                    ScalarType::U32,
                    ClientInput::Secret(Value::Int(5)),
                ),
            ],
            &[("Alice".into(), bob_id), ("Bob".into(), bob_id)],
        )
        .await
        .expect_err("no compute permission");
    assert!(e.to_string().contains("unauthorised"), "{e}");
    assert!(e.to_string().contains("compute with program"), "{e}");

    // Nothing changed.
    assert_eq!(
        alice.retrieve(id).await.expect("retrieve").value,
        Value::Int(42)
    );

    // Grant bob retrieve + update + compute; now allowed.
    let mut p = Permissions::owner_only(alice.account());
    p.retrieve.insert(bob_id);
    p.update.insert(bob_id);
    p.compute.entry(bob_id).or_default().insert(program);
    alice.set_permissions(id, p.clone()).await.expect("set");
    assert_eq!(alice.permissions(id).await.expect("get"), p);
    assert_eq!(
        bob.retrieve(id).await.expect("bob retrieves").value,
        Value::Int(42)
    );
    bob.update_secret(id, ScalarType::U32, &Value::Int(43))
        .await
        .expect("bob updates");
    assert_eq!(
        alice.retrieve(id).await.expect("retrieve").value,
        Value::Int(43)
    );
    all_refused(
        bob.call_all(Operation::DeleteSecret { id }).await,
        "delete without delete permission",
    );

    // A job's results go only to the bound output party.
    let job = bob
        .invoke(
            program,
            &[
                ("a".into(), ScalarType::U32, ClientInput::Stored(id)),
                (
                    "b".into(),
                    ScalarType::U32,
                    ClientInput::Secret(Value::Int(5)),
                ),
            ],
            &[("Alice".into(), alice.account()), ("Bob".into(), bob_id)],
        )
        .await
        .expect("bob may compute now");
    let out = alice
        .result(job, Duration::from_secs(60))
        .await
        .expect("job result");
    assert_eq!(out.values["bigger"], Value::Int(43));
    let carol = client(&net, "charlie");
    let e = carol
        .result(job, Duration::from_secs(5))
        .await
        .expect_err("not addressed to carol");
    assert!(e.to_string().contains("unauthorised"), "{e}");
    // Invoking is not being an output party: bob gets a refusal from every
    // node, not an empty result.
    let e = bob
        .result(job, Duration::from_secs(5))
        .await
        .expect_err("bob is no output party");
    assert!(e.to_string().contains("unauthorised"), "{e}");
    assert!(
        e.to_string()
            .contains("without being bound to an output party"),
        "{e}"
    );
    for r in bob.call_all(Operation::GetResult { job }).await {
        let e = r.expect_err("every node refuses");
        assert!(e.to_string().contains("no output is addressed"), "{e}");
    }

    // Replay: the same signed request twice.
    let req = alice
        .sign_for(0, Operation::RetrieveSecret { id })
        .expect("sign");
    alice.send_signed(0, &req).await.expect("first");
    let e = alice.send_signed(0, &req).await.expect_err("replay");
    assert!(e.to_string().contains("replayed"), "{e}");
    // A request for node 0 sent to node 1.
    let req = alice
        .sign_for(0, Operation::RetrieveSecret { id })
        .expect("sign");
    let e = alice.send_signed(1, &req).await.expect_err("wrong node");
    assert!(e.to_string().contains("for node 0"), "{e}");
    // Tampered signature.
    let mut req = alice
        .sign_for(0, Operation::RetrieveSecret { id })
        .expect("sign");
    req.body.user = bob_id;
    let e = alice.send_signed(0, &req).await.expect_err("bad signature");
    assert!(e.to_string().contains("signature"), "{e}");

    // Delete by owner.
    alice.delete_secret(id).await.expect("delete");
    let e = alice.retrieve(id).await.expect_err("gone");
    assert!(e.to_string().contains("not found"), "{e}");
    for n in net.nodes {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn program_rejected_by_analyser_and_decoder() {
    let net = start(3).await;
    let alice = client(&net, "alice");
    let e = alice
        .store_program(b"not mir".to_vec())
        .await
        .expect_err("garbage");
    assert!(e.to_string().contains("program rejected"), "{e}");
    // Bench jobs and job failure with an unbound input.
    let compiled = synod_blind_lang::compile(PROGRAM, &Default::default()).expect("compiles");
    let program = alice.store_program(compiled.bytes).await.expect("store");
    let op = Operation::Invoke(Invocation {
        nonce: [1; 16],
        kind: JobKind::Program {
            program,
            inputs: vec![InputBinding {
                name: "a".into(),
                source: InputSource::Stored(SecretId([0; 32])),
            }],
            parties: vec![],
        },
    });
    for r in alice.call_all(op).await {
        let e = r.expect_err("refused");
        assert!(
            e.to_string().contains("not bound") || e.to_string().contains("not found"),
            "{e}"
        );
    }
    let job = alice
        .start_bench(BenchKind::Mul, 1000, 2)
        .await
        .expect("bench");
    let out = alice
        .result(job, Duration::from_secs(60))
        .await
        .expect("bench result");
    assert_eq!(out.stats.len(), 3);
    assert!(
        out.stats
            .iter()
            .all(|(_, s)| s.operations == 2000 && s.rounds[2] == 2)
    );
    for n in net.nodes {
        n.stop().await;
    }
}

/// Relay TCP connections from a fresh loopback port to `target`, appending
/// every byte that passes, in each direction, to its own entry of `log`.
async fn relay(target: std::net::SocketAddr, log: Arc<Mutex<Vec<Vec<u8>>>>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind relay");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                tokio::join!(pump(ri, wo, &log), pump(ro, wi, &log));
            });
        }
    });
    port
}

async fn pump(
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
    log: &Mutex<Vec<Vec<u8>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let slot = {
        let mut l = log.lock();
        l.push(Vec::new());
        l.len() - 1
    };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        log.lock()[slot].extend_from_slice(&buf[..n]);
        if w.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Needles for one field element: its canonical bytes, a prefix, and the
/// lowercase hex of both (client traffic is hex inside JSON).
fn element_needles(fe: &[u8; 32]) -> Vec<Vec<u8>> {
    let mut out = vec![fe.to_vec(), fe[..8].to_vec()];
    out.push(hex::encode(fe).into_bytes());
    out.push(hex::encode(&fe[..8]).into_bytes());
    out
}

/// Capture every frame the nodes send to each other (plaintext before
/// encryption and the bytes on the socket), and every byte between the
/// clients and the nodes (through a recording relay), while secrets are
/// stored, a program runs on them and its result is fetched. Neither an
/// input value nor any share the clients send or receive may appear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_input_on_the_wire() {
    let net = start(3).await;
    let frames: Arc<Mutex<Captured>> = Arc::default();
    for node in &net.nodes {
        let f = Arc::clone(&frames);
        node.state
            .mesh()
            .set_tap(Arc::new(move |p, _peer, bytes: &[u8]| {
                f.lock().push((p, bytes.to_vec()))
            }));
    }
    // Clients reach every node only through a recording relay.
    let client_log: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let mut relayed = net.committee.clone();
    for (m, node) in relayed.members.iter_mut().zip(&net.nodes) {
        let port = relay(node.rpc_addr, Arc::clone(&client_log)).await;
        m.rpc = format!("http://127.0.0.1:{port}");
    }
    assert_eq!(relayed.id(), net.committee.id());
    let alice = BlindClient::new(relayed.clone(), Keypair::dev("alice")).expect("client");
    let bob = BlindClient::new(relayed, Keypair::dev("bob")).expect("client");
    let secret_a: i128 = 0x5eed_c0de;
    let secret_b: i128 = 0x0bad_f00d;
    let compiled = synod_blind_lang::compile(PROGRAM, &Default::default()).expect("compiles");
    let program = alice.store_program(compiled.bytes).await.expect("store");
    let mut perms = Permissions::owner_only(bob.account());
    perms
        .compute
        .entry(alice.account())
        .or_default()
        .insert(program);
    // Bob shares b himself so the test knows every share that is sent.
    let b_shares = synod_blind_node::client::share_value(
        &bob.params(),
        ScalarType::U32,
        &Value::Int(secret_b),
    )
    .expect("share");
    let b_id = SecretId::random().expect("rng");
    let ops = b_shares
        .iter()
        .map(|value| Operation::StoreSecret {
            id: b_id,
            value: value.clone(),
            permissions: perms.clone(),
        })
        .collect();
    for r in bob.call_each(ops).await {
        r.expect("store b");
    }
    let job = alice
        .invoke(
            program,
            &[
                (
                    "a".into(),
                    ScalarType::U32,
                    ClientInput::Secret(Value::Int(secret_a)),
                ),
                ("b".into(), ScalarType::U32, ClientInput::Stored(b_id)),
            ],
            &[
                ("Alice".into(), alice.account()),
                ("Bob".into(), bob.account()),
            ],
        )
        .await
        .expect("invoke");
    let result = alice.result(job, Duration::from_secs(60)).await;
    // The output shares alice received, for the needle list.
    let mut out_shares = Vec::new();
    for r in alice.call_all(Operation::GetResult { job }).await {
        if let Ok(synod_blind_node::types::Response::JobResult { outputs, .. }) = r {
            for o in outputs {
                out_shares.extend(o.value.elements);
            }
        }
    }
    let frames = frames.lock().clone();
    let client_streams = client_log.lock().clone();
    assert!(!frames.is_empty(), "the job sent frames");
    let mut needles: Vec<Vec<u8>> = Vec::new();
    for v in [secret_a, secret_b] {
        let fe = synod_blind_node::types::fr_to_bytes(&synod_mpc::from_i128(v));
        needles.extend(element_needles(&fe));
        needles.push((v as u32).to_le_bytes().to_vec());
        needles.push((v as u32).to_be_bytes().to_vec());
        needles.push(format!("{v}").into_bytes());
        let neg = synod_blind_node::types::fr_to_bytes(&synod_mpc::from_i128(-v));
        needles.extend(element_needles(&neg));
    }
    let mut share_needles = 0;
    for s in b_shares.iter().flat_map(|v| &v.elements).chain(&out_shares) {
        needles.extend(element_needles(s));
        share_needles += 1;
    }
    assert_eq!(share_needles, 3 + 3, "three input and three output shares");
    let mut plaintext = 0;
    for (point, f) in &frames {
        if *point == TapPoint::Plaintext {
            plaintext += 1;
        }
        for n in &needles {
            assert!(
                !f.windows(n.len()).any(|w| w == n.as_slice()),
                "a {point:?} frame contains a secret input or share encoding"
            );
        }
    }
    let client_bytes: usize = client_streams.iter().map(Vec::len).sum();
    assert!(
        client_streams
            .iter()
            .any(|c| c.windows(13).any(|w| w == b"blind_request")),
        "the relay saw the client requests"
    );
    for (k, c) in client_streams.iter().enumerate() {
        for n in &needles {
            assert!(
                !c.windows(n.len()).any(|w| w == n.as_slice()),
                "client stream {k} carries a secret input or share in the clear"
            );
        }
    }
    assert!(plaintext > 0);
    assert!(
        client_bytes > 10_000,
        "client traffic captured ({client_bytes} bytes)"
    );
    let out = result.expect("job result");
    assert_eq!(out.values["bigger"], Value::Int(secret_a.max(secret_b)));
    assert!(
        plaintext >= 3 * 2 * 3,
        "setup, preprocessing and online rounds were captured ({plaintext})"
    );
    for n in net.nodes {
        n.stop().await;
    }
}

/// A member that accepts connections but never answers (hung) fails a
/// client call within the client's timeout, with an error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_member_fails_a_call_within_the_client_timeout() {
    let net = start(3).await;
    // A listener that accepts and then says nothing stands in for node 1.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hole_addr = hole.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hole.accept().await {
            held.push(s);
        }
    });
    let mut committee = net.committee.clone();
    committee.members[1].rpc = format!("http://{hole_addr}");
    let c = BlindClient::with_timeout(committee, Keypair::dev("alice"), Duration::from_millis(700))
        .expect("client");
    assert_eq!(c.timeout(), Duration::from_millis(700));
    let t = std::time::Instant::now();
    let e = c
        .store_secret(ScalarType::U32, &Value::Int(9), None)
        .await
        .expect_err("node 1 never answers");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    let msg = e.to_string();
    assert!(msg.contains("node 1"), "{msg}");
    assert!(msg.contains("no answer within 700 ms"), "{msg}");
    assert!(!msg.contains("node 0") && !msg.contains("node 2"), "{msg}");
    assert!(
        BlindClient::with_timeout(net.committee.clone(), Keypair::dev("a"), Duration::ZERO)
            .is_err()
    );
    for n in net.nodes {
        n.stop().await;
    }
}

/// A member that never joins a job (down or slow) makes the job fail at the
/// others with an error naming it, within the round timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_member_fails_the_job_within_the_timeout() {
    let net = start(3).await;
    let alice = client(&net, "alice");
    let op = Operation::Invoke(Invocation {
        nonce: [7; 16],
        kind: JobKind::Bench {
            kind: BenchKind::Mul,
            count: 10,
            reps: 1,
        },
    });
    let t = std::time::Instant::now();
    for node in [0, 1] {
        alice
            .call(node, op.clone())
            .await
            .expect("nodes 0 and 1 start the job");
    }
    let job = Invocation {
        nonce: [7; 16],
        kind: JobKind::Bench {
            kind: BenchKind::Mul,
            count: 10,
            reps: 1,
        },
    }
    .job_id(&alice.account());
    let e = alice
        .result(job, Duration::from_secs(30))
        .await
        .expect_err("job fails");
    let elapsed = t.elapsed();
    assert!(e.to_string().contains("job failed"), "{e}");
    assert!(
        e.to_string().contains("[2]") || e.to_string().contains("node 2"),
        "names the silent node: {e}"
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "failed after {elapsed:?}, round timeout is 5 s"
    );
    for n in net.nodes {
        n.stop().await;
    }
}

/// A relay to `target` that forwards the first `pass` HTTP requests (counted across all its
/// connections) and then goes silent: it keeps reading but forwards nothing more, like a node
/// that hangs between two requests.
async fn relay_then_hang(target: std::net::SocketAddr, pass: usize) -> u16 {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind relay");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (mut ri, mut wi) = inbound.into_split();
                let (mut ro, mut wo) = outbound.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 1 << 16];
                    let mut hung = false;
                    while let Ok(n) = ri.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let chunk = &buf[..n];
                        if chunk.starts_with(b"POST ")
                            && seen.fetch_add(1, Ordering::SeqCst) >= pass
                        {
                            hung = true;
                        }
                        if !hung && wo.write_all(chunk).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut ro, &mut wi).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    port
}

/// Every node prepares, then one stops answering before its commit: the store reports which
/// nodes committed and that the same store again completes it; that retry (same id and
/// value, straight to the committee) does so, without duplicates, and the value reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_interrupted_between_phases_is_completed_by_a_retry() {
    let net = start(3).await;
    let node1: std::net::SocketAddr = net.committee.members[1]
        .rpc
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let port = relay_then_hang(node1, 1).await;
    let mut committee = net.committee.clone();
    committee.members[1].rpc = format!("http://127.0.0.1:{port}");
    let alice = Keypair::dev("alice");
    let flaky = BlindClient::with_timeout(committee, alice.clone(), Duration::from_millis(700))
        .expect("client");
    let id = SecretId([0x42; 32]);
    let e = flaky
        .store_secret_as(id, ScalarType::U32, &Value::Int(77), None)
        .await
        .expect_err("node 1 misses its commit");
    let msg = e.to_string();
    assert!(msg.contains("committed at nodes [0, 2] only"), "{msg}");
    assert!(msg.contains("run the same store again"), "{msg}");
    assert_eq!(net.nodes[1].state.prepared_count().expect("count"), 1);
    assert_eq!(net.nodes[1].state.store().secret_count().expect("count"), 0);

    let c = client(&net, "alice");
    c.store_secret_as(id, ScalarType::U32, &Value::Int(77), None)
        .await
        .expect("the retry completes the store");
    for n in &net.nodes {
        assert_eq!(n.state.store().secret_count().expect("count"), 1);
        assert_eq!(n.state.prepared_count().expect("count"), 0);
    }
    assert_eq!(
        c.retrieve(id).await.expect("retrieve").value,
        Value::Int(77)
    );
    let e = c
        .store_secret_as(id, ScalarType::U32, &Value::Int(78), None)
        .await
        .expect_err("other content under the same id");
    assert!(e.to_string().contains("different content"), "{e}");
    for n in net.nodes {
        n.stop().await;
    }
}
