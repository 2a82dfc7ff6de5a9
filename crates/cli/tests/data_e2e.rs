//! Data liquidity pools end to end with real processes: a `synod dev` (100 ms blocks, a tenth
//! of emission to data pools), a real S3-compatible server (`s3s-fs`, installed by `.ci/run`;
//! the test says so and skips when it is absent), and three `synod data-worker` processes
//! scoring two pools with the sample conversations program.
//!
//! It proves: 20 contributions through `synod data contribute` are scored and rewarded with
//! exact token amounts (each score recomputed here by running the same program on the same
//! bytes and index); a non-recipient cannot decrypt while a grantee can; a near-duplicate
//! upload scores near-zero uniqueness; a worker killed with `kill -9` in the middle of a job
//! has its job reassigned and completed; a worker patched to lie is outvoted and slashed; the
//! pools' emission reaches treasuries and stakers.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCESS_KEY: &str = "synod-test-access";
const SECRET_KEY: &str = "synod-test-secret-key";
const BUCKET: &str = "pool-data";
const REWARD_PER_UNIT: u128 = 1_000_000_000;

fn program() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../modules/data-score/pools/conversations/conversations.wasm")
}

fn s3s_fs_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("S3S_FS") {
        return Some(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("s3s-fs"))
        .find(|p| p.is_file())
}

/// A running `s3s-fs` with one bucket.
struct S3 {
    child: Child,
    endpoint: String,
    root: PathBuf,
}

impl S3 {
    fn start(root: &Path) -> Option<S3> {
        let bin = s3s_fs_binary()?;
        std::fs::create_dir_all(root.join(BUCKET)).expect("bucket dir");
        let port = free_port();
        let child = std::process::Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn s3s-fs");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(S3 {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            root: root.to_path_buf(),
        })
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Env {
    rpc: String,
    s3: S3,
    data_dir: PathBuf,
}

impl Env {
    fn command(&self) -> std::process::Command {
        let mut c = synod();
        c.args(["--rpc", &self.rpc, "--dev", "--json"])
            .env("AWS_ENDPOINT_URL", &self.s3.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("SYNOD_DATA_DIR", &self.data_dir);
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.command().args(args).output().expect("run synod");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (success, out, err) = self.run(args);
        assert!(success, "synod {args:?} failed: {out} {err}");
        let v: Value = serde_json::Deserializer::from_str(&out)
            .into_iter::<Value>()
            .next()
            .expect("some JSON")
            .expect("valid JSON");
        if v.get("outcome").is_some() {
            assert_eq!(v["outcome"]["status"], "success", "{v}");
        }
        v
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = http("POST", &self.rpc, &body.to_string());
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert!(v.get("error").is_none(), "{method}: {v}");
        v["result"].clone()
    }

    fn store(&self) -> String {
        format!("s3://{BUCKET}/files")
    }
}

/// A `synod data-worker` process whose stderr lines are collected.
struct Worker {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Worker {
    fn start(env: &Env, name: &'static str, extra: &[&str]) -> Worker {
        let mut child = env
            .command()
            .args([
                "data-worker",
                "--pool",
                "convos",
                "--pool",
                "pairs",
                "--key",
                name,
            ])
            .args(["--poll-ms", "100"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn data-worker");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line);
            }
        });
        Worker { child, lines }
    }

    fn saw(&self, needle: &str) -> bool {
        self.lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l.contains(needle))
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A conversation export about `topic`, `turns` messages, with words drawn from a seeded
/// generator so that different seeds share almost no 3-word shingles.
fn conversation(seed: u64, turns: usize) -> String {
    const WORDS: [&str; 48] = [
        "model",
        "dataset",
        "training",
        "gradient",
        "token",
        "prompt",
        "answer",
        "question",
        "garden",
        "tomato",
        "bread",
        "flour",
        "river",
        "mountain",
        "bicycle",
        "engine",
        "python",
        "rust",
        "compiler",
        "borrow",
        "memory",
        "thread",
        "socket",
        "packet",
        "violin",
        "melody",
        "rhythm",
        "chord",
        "planet",
        "orbit",
        "rocket",
        "comet",
        "recipe",
        "butter",
        "oven",
        "crust",
        "ledger",
        "block",
        "validator",
        "stake",
        "poem",
        "verse",
        "novel",
        "chapter",
        "winter",
        "summer",
        "autumn",
        "spring",
    ];
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = String::new();
    for t in 0..turns {
        let role = if t % 2 == 0 { "user" } else { "assistant" };
        let n = 18 + (next() % 20) as usize;
        let words: Vec<String> = (0..n)
            .map(|_| {
                let w = WORDS[(next() % WORDS.len() as u64) as usize];
                format!("{w}{}", next() % 7)
            })
            .collect();
        out.push_str(&format!(
            "{{\"role\":\"{role}\",\"content\":\"{}\"}}\n",
            words.join(" ")
        ));
    }
    out
}

fn u128_of(v: &Value) -> u128 {
    match v {
        Value::String(s) => s.parse().expect("u128"),
        other => u128::from(other.as_u64().expect("number")),
    }
}

fn scores_of(v: &Value) -> synod_data_score::Scores {
    let part = |k: &str| u32::try_from(v[k].as_u64().expect(k)).expect("u32");
    synod_data_score::Scores {
        authenticity: part("authenticity"),
        ownership: part("ownership"),
        quality: part("quality"),
        uniqueness: part("uniqueness"),
        score: part("score"),
    }
}

/// Runs the pool's program here on `plaintext` against the pool's index as of the job.
fn rescore(
    env: &Env,
    wasm: &[u8],
    pool: u64,
    index_len: u64,
    plaintext: &[u8],
) -> (synod_data_score::Scores, Vec<u8>) {
    let mut index = Vec::new();
    while (index.len() as u64) < index_len {
        let page = env.rpc("data_index", serde_json::json!([pool, index.len(), 256]));
        for e in page.as_array().expect("entries") {
            let h = e["metadata"]
                .as_str()
                .expect("hex")
                .trim_start_matches("0x");
            index.push(hex::decode(h).expect("hex"));
        }
    }
    index.truncate(index_len as usize);
    let refs: Vec<&[u8]> = index.iter().map(Vec::as_slice).collect();
    let out = synod_data_score::run(wasm, plaintext, &refs, &synod_data_score::Limits::default())
        .expect("program runs");
    (out.scores, out.metadata)
}

/// Contributes `text` as `who` to `pool`; checks the score against a local run of the program
/// and the reward against the formula; returns (file, job, scores, reward).
fn contribute(
    env: &Env,
    wasm: &[u8],
    who: &str,
    pool: &str,
    name: &str,
    text: &str,
) -> (u64, u64, synod_data_score::Scores, u128) {
    let path = env.data_dir.join(name);
    std::fs::write(&path, text).expect("write sample");
    let v = env.ok(&[
        "data",
        "contribute",
        path.to_str().expect("utf8"),
        "--pool",
        pool,
        "--from",
        who,
        "--store",
        &env.store(),
        "--timeout",
        "120",
    ]);
    let job = &v["job"];
    assert_eq!(job["status"]["status"], "accepted", "{v}");
    let proof = &v["proof"];
    let scores = scores_of(&proof["scores"]);
    let reward = u128_of(&proof["reward"]);
    assert_eq!(
        reward,
        REWARD_PER_UNIT * u128::from(scores.score) / 1_000_000,
        "reward is reward_per_unit × score / 10^6"
    );
    let pool_id = job["pool"].as_u64().expect("pool");
    let (expected, metadata) = rescore(
        env,
        wasm,
        pool_id,
        job["index_len"].as_u64().expect("len"),
        text.as_bytes(),
    );
    assert_eq!(scores, expected, "the accepted score is the program's");
    assert_eq!(
        proof["metadata"].as_str().expect("metadata"),
        format!("0x{}", hex::encode(&metadata)),
        "the index entry is the program's fingerprint"
    );
    (
        v["file"]["id"].as_u64().expect("file"),
        job["id"].as_u64().expect("job"),
        scores,
        reward,
    )
}

fn token_balance(env: &Env, token: &str, who: &str) -> u128 {
    u128_of(&env.ok(&["token", "balance", token, who])["total"])
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn data_pools_end_to_end_with_s3_and_three_workers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(s3) = S3::start(&tmp.path().join("s3")) else {
        eprintln!(
            "SKIPPED: s3s-fs is not installed (cargo install s3s-fs --version 0.14.1 \
             --features binary --locked; .ci/run installs it)"
        );
        return;
    };
    let net = Devnet::start_with(
        &tmp.path().join("chain"),
        (free_port(), free_port(), free_port()),
        &["--data-pools", "--token-timelock", "5"],
    );
    let data_dir = tmp.path().join("client");
    std::fs::create_dir_all(&data_dir).expect("dir");
    let env = Env {
        rpc: net.rpc.clone(),
        s3,
        data_dir,
    };
    let wasm = std::fs::read(program()).expect("conversations.wasm");

    // A reward token and two pools: `convos` (3 workers per job) and `pairs` (2).
    let created = env.ok(&[
        "token",
        "create",
        "--from",
        "alice",
        "--symbol",
        "CONVO",
        "--name",
        "Conversations",
        "--decimals",
        "0",
        "--max-supply",
        "1000000000000000",
        "--initial-supply",
        "1000000000000000",
    ]);
    let token = created["events"]
        .as_array()
        .expect("events")
        .iter()
        .find_map(|e| e["token"].as_u64())
        .expect("token id")
        .to_string();
    for (name, k, timeout) in [("convos", "3", "40"), ("pairs", "2", "40")] {
        env.ok(&[
            "data",
            "pool",
            "create",
            name,
            "--token",
            &token,
            "--from",
            "alice",
            "--program",
            program().to_str().expect("utf8"),
            "--store",
            &format!("s3://{BUCKET}/programs"),
            "--reward-per-unit",
            &REWARD_PER_UNIT.to_string(),
            "--workers-per-job",
            k,
            "--job-timeout",
            timeout,
            "--job-fee",
            "0.3",
            "--min-worker-bond",
            "100",
            "--slash-ppm",
            "250000",
            "--description",
            "chat exports",
        ]);
        env.ok(&[
            "data",
            "pool",
            "fund",
            name,
            "--amount",
            "100000000000000",
            "--from",
            "alice",
        ]);
    }
    // The program went to the S3 server.
    assert!(
        std::fs::read_dir(env.s3.root.join(BUCKET).join("programs"))
            .expect("programs dir")
            .count()
            >= 1
    );
    let workers = ["charlie", "dave", "eve"];
    for w in workers {
        for pool in ["convos", "pairs"] {
            env.ok(&[
                "data", "worker", "bond", pool, "--amount", "200", "--from", w,
            ]);
        }
    }
    let mut procs: BTreeMap<&str, Worker> = workers
        .iter()
        .map(|w| (*w, Worker::start(&env, w, &[])))
        .collect();

    // 20 contributions, two contributors at a time.
    let before: BTreeMap<&str, u128> = ["bob", "ferdie"]
        .iter()
        .map(|w| (*w, token_balance(&env, &token, w)))
        .collect();
    let results: Vec<(String, u64, u64, synod_data_score::Scores, u128)> =
        std::thread::scope(|s| {
            let env = &env;
            let wasm = &wasm;
            let handles: Vec<_> = ["bob", "ferdie"]
                .into_iter()
                .enumerate()
                .map(|(c, who)| {
                    s.spawn(move || {
                        (0..10)
                            .map(|i| {
                                let seed = (c * 10 + i) as u64 + 1;
                                let text = conversation(seed, 6 + (seed % 5) as usize);
                                let (file, job, scores, reward) = contribute(
                                    env,
                                    wasm,
                                    who,
                                    "convos",
                                    &format!("c{seed}.jsonl"),
                                    &text,
                                );
                                (who.to_string(), file, job, scores, reward)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("contributor"))
                .collect()
        });
    assert_eq!(results.len(), 20);
    for who in ["bob", "ferdie"] {
        let earned: u128 = results.iter().filter(|r| r.0 == who).map(|r| r.4).sum();
        assert!(earned > 0);
        assert_eq!(
            token_balance(&env, &token, who),
            before[who] + earned,
            "{who} holds exactly the rewards"
        );
    }
    for r in &results {
        assert!(
            r.3.uniqueness > 500_000,
            "distinct conversations are unique: {:?}",
            r.3
        );
        assert_eq!(r.3.authenticity, 1_000_000);
    }
    // Every file's ciphertext is on the S3 server, never the plaintext.
    let first = &results[0];
    let file = env.ok(&["data", "show", &first.1.to_string()]);
    let url = file["file"]["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("s3://{BUCKET}/files/")), "{url}");
    let object = env
        .s3
        .root
        .join(BUCKET)
        .join(url.trim_start_matches(&format!("s3://{BUCKET}/")));
    let stored = std::fs::read(&object).expect("object on the S3 server");
    assert_eq!(&stored[..8], b"SYNODENC");

    // The owner reads the file back; a non-recipient cannot; a grantee can.
    let out = env.data_dir.join("back.jsonl");
    env.ok(&[
        "data",
        "get",
        &first.1.to_string(),
        "--from",
        &first.0,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let seed = 1;
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        conversation(seed, 6 + (seed % 5) as usize)
    );
    let (ok, err, _) = env.run(&["data", "get", &first.1.to_string(), "--from", "alice"]);
    assert!(!ok && err.contains("no key envelope"), "{err}");
    // A grant needs the grantee's registered data key.
    let (ok, err, _) = env.run(&[
        "data",
        "grant",
        &first.1.to_string(),
        "alice",
        "--from",
        &first.0,
    ]);
    assert!(!ok && err.contains("no registered data key"), "{err}");
    env.ok(&["data", "key", "register", "--from", "alice"]);
    let k = env.ok(&["data", "key", "show", "alice"]);
    assert_eq!(k["sequence"], 0, "{k}");
    env.ok(&[
        "data",
        "grant",
        &first.1.to_string(),
        "alice",
        "--from",
        &first.0,
    ]);
    let out2 = env.data_dir.join("granted.jsonl");
    env.ok(&[
        "data",
        "get",
        &first.1.to_string(),
        "--from",
        "alice",
        "--out",
        out2.to_str().expect("utf8"),
    ]);
    assert_eq!(
        std::fs::read(&out).expect("a"),
        std::fs::read(&out2).expect("b")
    );
    // A tampered object is refused before decryption.
    let mut tampered = stored.clone();
    let n = tampered.len();
    tampered[n - 1] ^= 1;
    std::fs::write(&object, &tampered).expect("tamper");
    let (ok, err, _) = env.run(&["data", "get", &first.1.to_string(), "--from", &first.0]);
    assert!(!ok && err.contains("content hash mismatch"), "{err}");
    std::fs::write(&object, &stored).expect("restore");

    // A near-duplicate (one word changed) scores near-zero uniqueness.
    let original = conversation(seed, 6 + (seed % 5) as usize);
    let near = original
        .replacen("model", "models", 1)
        .replacen("garden", "gardens", 1);
    assert_ne!(near, original);
    let (_, _, dup, _) = contribute(&env, &wasm, "bob", "convos", "near.jsonl", &near);
    assert!(
        dup.uniqueness < 100_000,
        "near-duplicate uniqueness {}",
        dup.uniqueness
    );

    // kill -9 in the middle of a job: every worker pauses between scoring and posting; the
    // first drawn worker to announce its score is killed before it posts. Its job is
    // reassigned at the deadline and completed.
    for (name, w) in procs.iter_mut() {
        w.kill9();
        *w = Worker::start(&env, name, &["--pause-before-post-ms", "1500"]);
    }
    let path = env.data_dir.join("kill.jsonl");
    std::fs::write(&path, conversation(999, 8)).expect("write");
    let contributor = {
        let mut c = env.command();
        c.args([
            "data",
            "contribute",
            path.to_str().expect("utf8"),
            "--pool",
            "pairs",
            "--from",
            "ferdie",
            "--store",
            &env.store(),
            "--timeout",
            "120",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c.spawn().expect("contribute")
    };
    let mut killed = None;
    wait_for("a drawn worker to score", 60, || {
        for (name, w) in procs.iter_mut() {
            if w.saw("scored, posting in") {
                w.kill9();
                killed = Some(*name);
                return true;
            }
        }
        false
    });
    let killed = killed.expect("killed");
    let out = contributor.wait_with_output().expect("contribute");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let job = &v["job"];
    assert_eq!(job["status"]["status"], "accepted", "{v}");
    let killed_account =
        Value::String(synod_primitives::Keypair::dev(killed).account().to_string());
    let drawn = job["drawn"].as_array().expect("drawn");
    assert_eq!(drawn.len(), 3, "the killed worker was replaced: {job}");
    assert!(drawn.contains(&killed_account));
    assert!(
        !job["assignments"]
            .as_array()
            .expect("assignments")
            .iter()
            .any(|a| a["worker"] == killed_account),
        "the killed worker did not post: {job}"
    );

    // A worker patched to lie is outvoted and slashed.
    for (name, w) in procs.iter_mut() {
        w.kill9();
        let extra: &[&str] = if *name == "eve" { &["--lie"] } else { &[] };
        *w = Worker::start(&env, name, extra);
    }
    let eve = Value::String(synod_primitives::Keypair::dev("eve").account().to_string());
    let eve_before = env.ok(&["balance", "eve"])["balance"]
        .as_u64()
        .expect("balance");
    let (_, liar_job, _, _) = contribute(
        &env,
        &wasm,
        "bob",
        "convos",
        "liar.jsonl",
        &conversation(4242, 7),
    );
    let job = env.rpc("data_job", serde_json::json!([liar_job]));
    assert!(
        job["assignments"]
            .as_array()
            .expect("a")
            .iter()
            .any(|a| a["worker"] == eve),
        "all three workers of the pool are drawn, the liar included"
    );
    let set = env.rpc("data_workers", serde_json::json!([1]));
    assert!(
        !set.as_array()
            .expect("set")
            .iter()
            .any(|w| w["account"] == eve),
        "the liar left the set"
    );
    // Its bond came back less a quarter in the convos pool (it is still bonded in pairs).
    let eve_after = env.ok(&["balance", "eve"])["balance"]
        .as_u64()
        .expect("balance");
    let bond = 200 * 1_000_000_000u64;
    assert!(eve_after > eve_before && eve_after <= eve_before + bond - bond / 4);
    drop(procs);

    // The data pools' emission reaches the treasuries (20-block epochs, a tenth of emission).
    wait_for("an epoch split", 30, || {
        let p = env.ok(&["data", "pool", "show", "convos"]);
        p["treasury_syn"].as_u64().unwrap_or(0) > 0
    });
    let _ = killed_account;
}
