//! End to end with real processes: a 3-node `synod blind localnet`, secrets
//! stored by several users, the sealed-bid auction, result delivery only to
//! the designated party, the same outputs from a dry run (`synod blind
//! run`), negative values on the command line, a killed node failing the next job cleanly, the
//! survivors still serving shares, a restarted node restoring its store, and
//! a hung (SIGSTOPped) node failing calls within the client timeout and the
//! committee recovering once it resumes; and a store during such a hang
//! leaving no share anywhere, then a store and its retry with the same id.
#![allow(missing_docs)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::synod;

struct Localnet {
    child: Child,
    dir: PathBuf,
    committee: PathBuf,
    pids: Vec<u32>,
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_localnet(dir: &Path) -> Localnet {
    let mut child = synod()
        .args([
            "--json",
            "blind",
            "localnet",
            "--nodes",
            "3",
            "--round-timeout-ms",
            "3000",
            "--dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn localnet");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut text = String::new();
    let v: serde_json::Value = loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read");
        assert!(
            n > 0,
            "localnet exited before printing its endpoints: {text}"
        );
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    std::thread::spawn(move || for _ in reader.lines() {});
    let pids = v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["pid"].as_u64().expect("pid") as u32)
        .collect();
    Localnet {
        child,
        dir: dir.to_path_buf(),
        committee: PathBuf::from(v["committee"].as_str().expect("committee")),
        pids,
    }
}

fn blind(net: &Localnet, from: &str, args: &[&str]) -> Output {
    let mut cmd = synod();
    cmd.args(["--dev", "--json", "blind"]);
    cmd.arg(args[0]);
    if args[0] == "program" {
        cmd.arg(args[1]);
        cmd.args([
            "--committee",
            net.committee.to_str().expect("utf8"),
            "--from",
            from,
        ]);
        cmd.args(&args[2..]);
    } else {
        cmd.args([
            "--committee",
            net.committee.to_str().expect("utf8"),
            "--from",
            from,
        ]);
        cmd.args(&args[1..]);
    }
    cmd.output().expect("run synod blind")
}

fn ok_json(out: &Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what} failed: stdout {} stderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json output")
}

fn err_text(out: &Output, what: &str) -> String {
    assert!(
        !out.status.success(),
        "{what} unexpectedly succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn auction_src() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../blind/lang/examples/auction.blind")
        .to_str()
        .expect("utf8")
        .to_string()
}

#[test]
fn auction_on_a_three_process_localnet_with_a_node_failure() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("localnet");
    let net = start_localnet(&dir);
    let auction = auction_src();

    // The seller stores the program; every node recomputes its id.
    let p = ok_json(
        &blind(&net, "alice", &["program", "store", &auction]),
        "program store",
    );
    let program = p["program"].as_str().expect("program id").to_string();

    // Four bidders (four users) store their bids, granting the seller the
    // right to run the auction program on them, and nothing else.
    let bids = [("bob", 310), ("charlie", 450), ("dave", 120), ("eve", 449)];
    let mut ids = Vec::new();
    for (who, bid) in bids {
        let out = blind(
            &net,
            who,
            &[
                "store",
                "--type",
                "u32",
                "--value",
                &bid.to_string(),
                "--compute",
                &format!("alice={program}"),
            ],
        );
        ids.push(
            ok_json(&out, "store")["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }

    // Owners can read their own bid; another bidder or the seller cannot.
    let own = ok_json(&blind(&net, "bob", &["retrieve", &ids[0]]), "retrieve own");
    assert_eq!(own["value"], 310);
    for who in ["charlie", "alice"] {
        let e = err_text(
            &blind(&net, who, &["retrieve", &ids[0]]),
            "retrieve foreign bid",
        );
        assert!(e.contains("unauthorised"), "{e}");
        assert!(
            e.contains("node 0") && e.contains("node 1") && e.contains("node 2"),
            "every node refuses: {e}"
        );
    }

    // Bob may not run the auction on the others' bids.
    let mut invoke_args: Vec<String> = vec!["invoke".into(), "--program".into(), auction.clone()];
    for (k, id) in ids.iter().enumerate() {
        invoke_args.push("--input".into());
        invoke_args.push(format!("bid{k}=@{id}"));
    }
    for (party, user) in [
        ("Seller", "alice"),
        ("Bidder0", "bob"),
        ("Bidder1", "charlie"),
        ("Bidder2", "dave"),
        ("Bidder3", "eve"),
    ] {
        invoke_args.push("--party".into());
        invoke_args.push(format!("{party}={user}"));
    }
    let args: Vec<&str> = invoke_args.iter().map(String::as_str).collect();
    let e = err_text(&blind(&net, "bob", &args), "bob invokes");
    assert!(
        e.contains("unauthorised") && e.contains("compute with program"),
        "{e}"
    );

    // The seller runs it.
    let t = Instant::now();
    let job = ok_json(&blind(&net, "alice", &args), "invoke")["job"]
        .as_str()
        .expect("job")
        .to_string();
    let res = ok_json(&blind(&net, "alice", &["result", &job]), "seller's result");
    eprintln!("auction job {job}: {:?} end to end", t.elapsed());
    assert_eq!(res["winner"], 1);
    assert_eq!(res["price"], 450);
    // Only the designated party gets the result.
    for who in ["bob", "charlie"] {
        let e = err_text(&blind(&net, who, &["result", &job]), "foreign result");
        assert!(e.contains("unauthorised"), "{e}");
    }

    // A dry run on the plain bids gives the same outputs, without a committee.
    let mut dry = synod();
    dry.args([
        "--json",
        "blind",
        "run",
        &auction,
        "--party",
        "Seller=alice",
    ]);
    for (k, (_, bid)) in bids.iter().enumerate() {
        dry.args(["--input", &format!("bid{k}={bid}")]);
    }
    let dry = ok_json(&dry.output().expect("run synod"), "dry run");
    assert_eq!(dry["outputs"]["Seller"]["winner"], res["winner"], "{dry}");
    assert_eq!(dry["outputs"]["Seller"]["price"], res["price"], "{dry}");

    // Negative values on the command line (`--value -5`, not only `--value=-5`).
    let neg = ok_json(
        &blind(&net, "dave", &["store", "--type", "i8", "--value", "-5"]),
        "store a negative value",
    );
    let neg = neg["id"].as_str().expect("id").to_string();
    let r = ok_json(&blind(&net, "dave", &["retrieve", &neg]), "retrieve it");
    assert_eq!(r["value"], -5);
    ok_json(
        &blind(
            &net,
            "dave",
            &["update", "--id", &neg, "--type", "i8", "--value", "-128"],
        ),
        "update to a negative value",
    );
    let r = ok_json(&blind(&net, "dave", &["retrieve", &neg]), "retrieve it");
    assert_eq!(r["value"], -128);

    // Kill node 2: the next job fails cleanly and quickly.
    let killed = net.pids[2];
    assert!(
        Command::new("kill")
            .args(["-9", &killed.to_string()])
            .status()
            .expect("kill")
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let e = err_text(&blind(&net, "alice", &args), "invoke with a dead node");
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "failure took {:?}",
        t.elapsed()
    );
    assert!(e.contains("node 2"), "the error names the dead node: {e}");

    // The survivors still hold their shares: t + 1 = 2 nodes reconstruct.
    let r = ok_json(
        &blind(&net, "charlie", &["retrieve", &ids[1]]),
        "retrieve from survivors",
    );
    assert_eq!(r["value"], 450);
    assert_eq!(r["answered"], serde_json::json!([0, 1]));

    // Restart node 2 from its config: its store is intact and jobs work again.
    let mut restarted = synod()
        .args(["blind-node", "--config"])
        .arg(net.dir.join("node-2.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart node 2");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = blind(&net, "dave", &["retrieve", &ids[2]]);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            if v["answered"] == serde_json::json!([0, 1, 2]) {
                assert_eq!(v["value"], 120);
                break;
            }
        }
        assert!(Instant::now() < deadline, "node 2 did not come back");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The restarted member rejoins the mesh: the auction runs again. Jobs
    // wait a bounded grace for a member's link, so the first attempt after
    // the member answers RPC normally succeeds; the loop only absorbs a
    // slow CI machine.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = blind(&net, "alice", &args);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            let job = v["job"].as_str().expect("job").to_string();
            let res = blind(&net, "alice", &["result", &job]);
            if res.status.success() {
                let res: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
                assert_eq!(res["price"], 450);
                assert_eq!(res["winner"], 1);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "result after restart: {}",
                String::from_utf8_lossy(&res.stdout)
            );
        } else {
            assert!(
                Instant::now() < deadline,
                "invoke after restart: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }

    // Hang node 1 (SIGSTOP: its sockets stay open but nothing answers).
    // Client calls give up on it after their per-node timeout, so the job
    // fails fast with an error naming it instead of waiting.
    let hung = Hung::stop(net.pids[1]);
    let mut quick = args.clone();
    quick.extend(["--timeout-ms", "2000"]);
    let t = Instant::now();
    let e = err_text(&blind(&net, "alice", &quick), "invoke with a hung node");
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "failure took {took:?}");
    assert!(
        e.contains("node 1") && e.contains("no answer within 2000 ms"),
        "the error names the hung node: {e}"
    );
    assert!(!e.contains("node 0:") && !e.contains("node 2:"), "{e}");
    // Reads still succeed from the t + 1 members that answer.
    let t = Instant::now();
    let r = ok_json(
        &blind(&net, "eve", &["retrieve", &ids[3], "--timeout-ms", "2000"]),
        "retrieve while node 1 hangs",
    );
    assert_eq!(r["value"], 449);
    assert_eq!(r["answered"], serde_json::json!([0, 2]));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // Resume it: the committee recovers and the auction runs again.
    drop(hung);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = blind(&net, "alice", &args);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            let job = v["job"].as_str().expect("job").to_string();
            let res = blind(&net, "alice", &["result", &job]);
            if res.status.success() {
                let res: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
                assert_eq!(res["price"], 450);
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after SIGCONT: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = restarted.kill();
    let _ = restarted.wait();
}

/// A process stopped with SIGSTOP until dropped (then SIGCONT), so a
/// failing assertion never leaves it frozen.
struct Hung(u32);

impl Hung {
    fn stop(pid: u32) -> Self {
        assert!(
            Command::new("kill")
                .args(["-STOP", &pid.to_string()])
                .status()
                .expect("kill -STOP")
                .success()
        );
        Hung(pid)
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .status();
    }
}

/// `blind_info` of node `i` over plain JSON-RPC.
fn node_info(committee: &Path, i: usize) -> serde_json::Value {
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(committee).expect("committee")).expect("json");
    let url = c["members"][i]["rpc"].as_str().expect("rpc").to_string();
    let (status, body) = common::http(
        "POST",
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"blind_info","params":[]}"#,
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["result"].clone()
}

/// A store while one member hangs (SIGSTOP) fails with an error naming it, and leaves the
/// secret nowhere: not on the members that answered, and not on the hung one once it resumes
/// and handles what was queued for it. Then a store succeeds, the same store again (same id)
/// is a harmless retry, and the same id with another value is refused.
#[test]
fn store_is_all_or_nothing_when_a_node_hangs() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = start_localnet(dir.path());
    let id = "5a".repeat(32);
    let store = |id: &str, value: &str| {
        blind(
            &net,
            "alice",
            &[
                "store",
                "--id",
                id,
                "--type",
                "u32",
                "--value",
                value,
                "--timeout-ms",
                "1500",
            ],
        )
    };
    let hung = Hung::stop(net.pids[1]);
    let t = Instant::now();
    let e = err_text(&store(&id, "7"), "store while node 1 hangs");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(
        e.contains("node 1") && e.contains("no answer within 1500 ms"),
        "names the hung node: {e}"
    );
    for i in [0, 2] {
        let info = node_info(&net.committee, i);
        assert_eq!(info["secrets"], 0, "node {i} keeps a share: {info}");
        assert_eq!(info["prepared"], 0, "node {i}: {info}");
    }
    assert!(e.contains("was not stored"), "{e}");
    let e = err_text(
        &blind(&net, "alice", &["retrieve", &id, "--timeout-ms", "1500"]),
        "retrieve of the failed store",
    );
    assert!(
        e.contains("node 0: not found") && e.contains("node 2: not found"),
        "{e}"
    );

    // Resume: node 1 now handles the prepare and the abort that queued up while it hung.
    drop(hung);
    // Node 1 works through its backlog at its own pace (slowly on a loaded machine): poll
    // until it answers with the abort applied, then every node must hold nothing.
    // Settled means empty on every node for 3 s in a row: an answer to `blind_info` can come
    // before the requests queued during the hang are handled.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut empty_since: Option<std::time::Instant> = None;
    loop {
        let infos: Vec<_> = (0..3).map(|i| node_info(&net.committee, i)).collect();
        let empty = infos
            .iter()
            .all(|info| info["secrets"] == 0 && info["prepared"] == 0);
        match (empty, empty_since) {
            (true, Some(t)) if t.elapsed() >= Duration::from_secs(3) => break,
            (true, None) => empty_since = Some(std::time::Instant::now()),
            (true, Some(_)) => {}
            (false, _) => empty_since = None,
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a node still holds the secret after resume: {infos:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let e = err_text(
        &blind(&net, "alice", &["retrieve", &id]),
        "retrieve after resume",
    );
    for i in 0..3 {
        assert!(e.contains(&format!("node {i}: not found")), "{e}");
    }

    // A store succeeds; repeating it (same id and value) is a retry, not a duplicate.
    let id2 = "6b".repeat(32);
    for attempt in 0..2 {
        let v = ok_json(&store(&id2, "8"), "store");
        assert_eq!(v["id"], id2.as_str(), "attempt {attempt}");
    }
    for i in 0..3 {
        let info = node_info(&net.committee, i);
        assert_eq!(info["secrets"], 1, "node {i}: {info}");
    }
    // Nothing stays prepared: what a retry prepared is committed or was never written, and any
    // late leftover of the hung store expires with the prepare TTL (60 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(75);
    while (0..3).any(|i| node_info(&net.committee, i)["prepared"] != 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "a prepared share outlived its TTL"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let r = ok_json(&blind(&net, "alice", &["retrieve", &id2]), "retrieve");
    assert_eq!(r["value"], 8);
    // The same id with other content is refused, and changes nothing.
    let e = err_text(&store(&id2, "9"), "same id, other value");
    assert!(e.contains("different content"), "{e}");
    let r = ok_json(&blind(&net, "alice", &["retrieve", &id2]), "retrieve");
    assert_eq!(r["value"], 8);
    for i in 0..3 {
        assert_eq!(node_info(&net.committee, i)["secrets"], 1);
    }
}
