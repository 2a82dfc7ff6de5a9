//! The keystore through the `synod` binary: create, list, show, export, import, refuse
//! wrong passphrases and duplicates; key files are private.

mod common;

use common::synod;

fn run(ks: &std::path::Path, pass: &str, args: &[&str]) -> (bool, serde_json::Value, String) {
    let out = synod()
        .env("SYNOD_PASSWORD", pass)
        .arg("--keystore")
        .arg(ks)
        .arg("--json")
        .args(args)
        .output()
        .expect("run synod");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        v,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn keystore_lifecycle() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, cold, _) = run(&ks, "pw", &["key", "new", "main"]);
    assert!(ok);
    let account = cold["account"].as_str().expect("account").to_string();
    let (ok, hot, _) = run(&ks, "", &["key", "new", "ops", "--kind", "hot"]);
    assert!(ok);
    assert_eq!(hot["kind"], "hot");

    let (ok, list, _) = run(&ks, "", &["key", "list"]);
    assert!(ok);
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["main", "ops"]);

    let (ok, shown, _) = run(&ks, "", &["key", "show", "main"]);
    assert!(ok);
    assert_eq!(shown["account"], account.as_str());

    let (ok, err, _) = run(&ks, "wrong", &["key", "export", "main"]);
    assert!(!ok);
    assert!(
        err["error"]
            .as_str()
            .expect("error")
            .contains("cannot use key"),
        "{err}"
    );
    let (ok, exported, _) = run(&ks, "pw", &["key", "export", "main"]);
    assert!(ok);
    let seed = exported["seed"].as_str().expect("seed").to_string();

    let (ok, imported, _) = run(&ks, "pw2", &["key", "import", "copy", "--seed", &seed]);
    assert!(ok);
    assert_eq!(imported["account"], account.as_str());
    let (ok, _, _) = run(&ks, "pw", &["key", "new", "main"]);
    assert!(!ok, "duplicate name refused");
    let (ok, _, _) = run(&ks, "pw", &["key", "import", "bad", "--seed", "0x1234"]);
    assert!(!ok, "short seed refused");
    let (ok, _, _) = run(&ks, "pw", &["key", "show", "../../etc/passwd"]);
    assert!(!ok, "path names refused");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["main.json", "ops.json", "copy.json"] {
            let mode = std::fs::metadata(ks.join(f))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    // Without --dev, dev names do not resolve; with it they do.
    let (ok, _, _) = run(&ks, "", &["key", "show", "alice"]);
    assert!(!ok);
    let out = synod()
        .args(["--dev", "--json", "--keystore"])
        .arg(&ks)
        .args(["key", "show", "alice"])
        .output()
        .expect("run");
    assert!(out.status.success());
}

/// `synod ... | head` closes stdout before the command prints: the command ends quietly with
/// its own status instead of panicking on the broken pipe.
#[test]
fn a_reader_that_goes_away_is_not_a_panic() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = synod()
        .args(["--json", "key", "list"])
        .env("SYNOD_KEYSTORE", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}
