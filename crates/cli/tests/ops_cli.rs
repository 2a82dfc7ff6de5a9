//! Operating a network through the binary: node keys, genesis from a spec, node configs and
//! their errors, clean shutdown on SIGTERM, and a data directory that belongs to another chain.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use synod_primitives::Keypair;

fn run(args: &[&str]) -> (bool, serde_json::Value, String, String) {
    let out = synod()
        .arg("--json")
        .args(args)
        .output()
        .expect("run synod");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let v = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        v,
        stdout,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The error and its causes, as `--json` prints them.
fn errmsg(v: &serde_json::Value) -> String {
    let causes: Vec<&str> = v["causes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    format!(
        "{}: {}",
        v["error"].as_str().unwrap_or("<no error>"),
        causes.join(": ")
    )
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf8")
}

#[test]
fn keygen_writes_a_private_file_once_and_never_prints_the_seed() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = dir.path().join("v.key");
    let (ok, v, stdout, _) = run(&["node", "keygen", "--out", p(&key)]);
    assert!(ok, "{stdout}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&key).expect("read")).expect("json");
    assert_eq!(v["account"], file["account"]);
    let seed = file["seed"].as_str().expect("seed");
    assert_eq!(seed.len(), 64);
    assert!(!stdout.contains(seed), "keygen printed the secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (ok, v, _, _) = run(&["node", "keygen", "--out", p(&key)]);
    assert!(!ok);
    assert!(errmsg(&v).contains("already exists"), "{v}");
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&key).expect("read")).expect("json");
    assert_eq!(again["seed"], file["seed"], "key file was overwritten");
}

fn spec(validators: &[&Keypair]) -> String {
    let mut s = String::from("chain_id = \"synod-ops-test\"\ntimestamp_ms = 1767225600000\n");
    for v in validators {
        s.push_str(&format!(
            "[[validators]]\naccount = \"{}\"\nstake = 1000000000000\n",
            v.account()
        ));
    }
    for n in ["alice", "bob"] {
        s.push_str(&format!(
            "[[accounts]]\naccount = \"{}\"\nbalance = 1000000000000000\n",
            Keypair::dev(n).account()
        ));
    }
    s
}

#[test]
fn genesis_new_show_hash_agree_and_bad_specs_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let v0 = Keypair::dev("ops-v0");
    let v1 = Keypair::dev("ops-v1");
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, spec(&[&v0, &v1])).expect("write");
    let out = dir.path().join("genesis.json");
    let (ok, made, stdout, _) = run(&["genesis", "new", "--spec", p(&spec_path), "--out", p(&out)]);
    assert!(ok, "{stdout}");
    let g: synod_runtime::Genesis =
        serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("genesis json");
    assert_eq!(made["hash"], serde_json::json!(g.hash()));
    assert_eq!(g.validators.len(), 2);
    let (_, hash, _, _) = run(&["genesis", "hash", p(&out)]);
    assert_eq!(hash["hash"], made["hash"]);
    let (_, show, _, _) = run(&["genesis", "show", p(&out)]);
    assert_eq!(show["hash"], made["hash"]);
    assert_eq!(show["chain_id"], "synod-ops-test");

    // Refuses to overwrite; --force replaces.
    let (ok, v, _, _) = run(&["genesis", "new", "--spec", p(&spec_path), "--out", p(&out)]);
    assert!(!ok);
    assert!(errmsg(&v).contains("--force"), "{v}");

    let bad = [
        (spec(&[&v0, &v0]), "listed twice"),
        (spec(&[]), "validator set is empty"),
        (spec(&[&v0]).replace("chain_id", "chainid"), "chainid"),
        (
            spec(&[&v0]).replace("1000000000000000", "20000000000000000"),
            "supply cap",
        ),
        (
            spec(&[&v0]).replace("stake = 1000000000000", "stake = -1"),
            "stake",
        ),
    ];
    for (body, want) in bad {
        std::fs::write(&spec_path, body).expect("write");
        let target = dir.path().join("g2.json");
        let (ok, v, _, _) = run(&[
            "genesis",
            "new",
            "--spec",
            p(&spec_path),
            "--out",
            p(&target),
        ]);
        assert!(!ok, "{want}");
        let err = errmsg(&v);
        assert!(err.contains(want), "{want}: {err}");
        assert!(!target.exists(), "{want}: wrote a genesis for a bad spec");
    }
}

/// Writes a one-validator network (genesis, key, config) in `dir`; returns the config path.
fn single_node(dir: &Path, chain_id: &str, extra: &str) -> std::path::PathBuf {
    let key = dir.join("node.key");
    if !key.exists() {
        let (ok, _, out, _) = run(&["node", "keygen", "--out", p(&key)]);
        assert!(ok, "{out}");
    }
    let account: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&key).expect("read")).expect("json");
    let account = account["account"].as_str().expect("account").to_string();
    let spec_path = dir.join("spec.toml");
    std::fs::write(
        &spec_path,
        format!(
            "chain_id = \"{chain_id}\"\ntimestamp_ms = 1767225600000\n[[validators]]\naccount = \"{account}\"\nstake = 1000\n[[accounts]]\naccount = \"{}\"\nbalance = 1000000000000\n",
            Keypair::dev("alice").account()
        ),
    )
    .expect("spec");
    let genesis = dir.join("genesis.json");
    let _ = std::fs::remove_file(&genesis);
    let (ok, _, out, _) = run(&[
        "genesis",
        "new",
        "--spec",
        p(&spec_path),
        "--out",
        p(&genesis),
    ]);
    assert!(ok, "{out}");
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"data\"\ngenesis = \"genesis.json\"\nkey_file = \"node.key\"\nrpc_addr = \"127.0.0.1:{}\"\nblock_interval_ms = 100\n{extra}\n[p2p]\nlisten = \"127.0.0.1:{}\"\n",
            free_port(),
            free_port()
        ),
    )
    .expect("config");
    config
}

#[test]
fn node_config_errors_are_specific() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = single_node(dir.path(), "synod-cfg", "");
    type Setup<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(Setup<'_>, &str)> = vec![
        (
            Box::new(|| {
                let _ = std::fs::remove_file(dir.path().join("absent.toml"));
            }),
            "absent.toml",
        ),
        (
            Box::new(|| {
                let text = std::fs::read_to_string(&config).expect("read");
                std::fs::write(
                    dir.path().join("typo.toml"),
                    text.replace("rpc_addr", "rpc_address"),
                )
                .expect("write");
            }),
            "rpc_address",
        ),
        (
            Box::new(|| {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(
                        dir.path().join("node.key"),
                        std::fs::Permissions::from_mode(0o640),
                    )
                    .expect("chmod");
                }
            }),
            "chmod 600",
        ),
    ];
    let files = ["absent.toml", "typo.toml", "node.toml"];
    for ((setup, want), file) in cases.into_iter().zip(files) {
        setup();
        let (ok, v, _, _) = run(&["node", "--config", p(&dir.path().join(file))]);
        assert!(!ok, "{want}");
        let err = errmsg(&v);
        assert!(err.contains(want), "{want}: {err}");
    }
    // A validator cannot also be an observer.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("node.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("node.key")).expect("read"))
            .expect("json");
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(
        dir.path().join("both.toml"),
        format!(
            "{text}observers = [\"{}\"]\n",
            key["account"].as_str().expect("account")
        ),
    )
    .expect("write");
    let (ok, v, _, _) = run(&["node", "--config", p(&dir.path().join("both.toml"))]);
    assert!(!ok);
    let err = errmsg(&v);
    assert!(err.contains("cannot also be listed"), "{err}");
}

fn start(config: &Path) -> (std::process::Child, String) {
    let log = std::fs::File::create(config.with_extension("log")).expect("log");
    let mut child = synod()
        .args(["--json", "node", "--config", p(config)])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = std::io::BufReader::new(stdout);
    // The JSON banner is pretty-printed; read until its closing brace.
    let mut banner = String::new();
    while reader.read_line(&mut line).expect("read") > 0 {
        banner.push_str(&line);
        if line.trim_end() == "}" {
            break;
        }
        line.clear();
    }
    let v: serde_json::Value = serde_json::from_str(&banner).unwrap_or_else(|e| {
        panic!(
            "banner {banner:?}: {e}; see {}",
            config.with_extension("log").display()
        )
    });
    (child, v["rpc"].as_str().expect("rpc").to_string())
}

fn wait_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(Instant::now() < deadline, "node did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn node_runs_from_config_stops_on_sigterm_and_refuses_another_chains_data() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = single_node(dir.path(), "synod-one", "");
    let (mut child, rpc) = start(&config);
    let rt = runtime();
    let c = jsonrpsee::http_client::HttpClientBuilder::default()
        .build(&rpc)
        .expect("client");
    use synod_rpc::SynodApiClient;
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt
        .block_on(c.heads())
        .map_or(true, |h| h.finalized_height < 2)
    {
        assert!(Instant::now() < deadline, "no blocks finalized");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "unclean exit on SIGTERM: {status}");

    // Same data dir, different genesis (another chain id): refused, data untouched.
    single_node(dir.path(), "synod-two", "");
    let (ok, v, _, _) = run(&["node", "--config", p(&config)]);
    assert!(!ok);
    let err = errmsg(&v);
    assert!(
        err.contains("wrong data directory or genesis file"),
        "{err}"
    );
}
