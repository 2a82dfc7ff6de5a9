//! `synod config`: a node endpoint set once is used by every command; a flag or the
//! environment still wins; keys and values are checked; a broken file is named, not ignored.

mod common;

use common::*;
use std::path::Path;

fn run(cfg: &Path, env_rpc: Option<&str>, args: &[&str]) -> (bool, String) {
    let mut cmd = synod();
    cmd.env("SYNOD_CONFIG", cfg).env_remove("SYNOD_RPC");
    if let Some(r) = env_rpc {
        cmd.env("SYNOD_RPC", r);
    }
    let out = cmd.args(["--json"]).args(args).output().expect("run synod");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_config_file_sets_defaults_that_flags_and_environment_override() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("dev"));
    let cfg = dir.path().join("synod.toml");
    let dead = format!("http://127.0.0.1:{}", free_port());

    // Nothing configured: the built-in default port, where no node runs in this test.
    let (ok, out) = run(&cfg, None, &["config", "show"]);
    assert!(ok, "{out}");
    assert!(out.contains("http://127.0.0.1:9944"), "{out}");

    let (ok, out) = run(&cfg, None, &["config", "set", "rpc", &net.rpc]);
    assert!(ok, "{out}");
    let (ok, out) = run(&cfg, None, &["chain", "info"]);
    assert!(ok, "the configured node answers: {out}");
    let text = std::fs::read_to_string(&cfg).expect("file written");
    assert!(text.contains(&net.rpc), "{text}");

    // The environment, then a flag, beat the file.
    let (ok, out) = run(&cfg, Some(&dead), &["chain", "info"]);
    assert!(!ok && out.contains(&dead), "{out}");
    let (ok, out) = run(&cfg, None, &["--rpc", &dead, "chain", "info"]);
    assert!(!ok && out.contains(&dead), "{out}");

    // dev names through the file.
    let (ok, out) = run(&cfg, None, &["balance", "alice"]);
    assert!(!ok, "dev names need dev = true: {out}");
    let (ok, _) = run(&cfg, None, &["config", "set", "dev", "true"]);
    assert!(ok);
    let (ok, out) = run(&cfg, None, &["balance", "alice"]);
    assert!(ok, "{out}");

    // Checked keys and values.
    let (ok, out) = run(&cfg, None, &["config", "set", "rcp", "x"]);
    assert!(!ok && out.contains("unknown key 'rcp'"), "{out}");
    let (ok, out) = run(&cfg, None, &["config", "set", "rpc", "localhost:9944"]);
    assert!(!ok && out.contains("http(s)://"), "{out}");
    let (ok, out) = run(&cfg, None, &["config", "set", "dev", "maybe"]);
    assert!(!ok && out.contains("true or false"), "{out}");

    // Unset goes back to the default.
    let (ok, _) = run(&cfg, None, &["config", "unset", "rpc"]);
    assert!(ok);
    let (ok, out) = run(&cfg, None, &["config", "show"]);
    assert!(ok && out.contains("http://127.0.0.1:9944"), "{out}");

    // A file that does not parse stops every command with its path.
    std::fs::write(&cfg, "rpc = [not toml").expect("write");
    let (ok, out) = run(&cfg, None, &["chain", "info"]);
    assert!(!ok && out.contains("synod.toml"), "{out}");
}
