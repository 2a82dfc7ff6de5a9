//! The keystore through the `synod` binary: create, list, show, export, import, refuse
//! wrong passphrases and duplicates; key files are private, and files or directories open to
//! other users are refused; coldkeys need a passphrase unless made with `--no-passphrase`; one
//! damaged file does not hide the other keys.

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
        let mode = std::fs::metadata(&ks).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "keystore directory");
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

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn error_of(v: &serde_json::Value) -> String {
    v["error"].as_str().unwrap_or_default().to_string()
}

/// A hotkey file (its seed in the clear) readable by others is refused, naming the file and
/// the `chmod` that fixes it, for every command that reads it; fixed, it works again.
#[cfg(unix)]
#[test]
fn key_file_open_to_others_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, _, _) = run(&ks, "", &["key", "new", "ops", "--kind", "hot"]);
    assert!(ok);
    let file = ks.join("ops.json");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        chmod(&file, mode);
        for args in [&["key", "export", "ops"][..], &["key", "show", "ops"]] {
            let (ok, v, _) = run(&ks, "", args);
            assert!(!ok, "{mode:o} {args:?} accepted: {v}");
            let e = error_of(&v);
            assert!(
                e.contains(&format!("chmod 600 {}", file.display())),
                "{mode:o} {args:?}: {e}"
            );
        }
    }
    chmod(&file, 0o600);
    let (ok, v, _) = run(&ks, "", &["key", "export", "ops"]);
    assert!(ok, "{v}");
    // A coldkey file is held to the same rule.
    let (ok, _, _) = run(&ks, "pw", &["key", "new", "main"]);
    assert!(ok);
    chmod(&ks.join("main.json"), 0o644);
    let (ok, v, _) = run(&ks, "pw", &["key", "export", "main"]);
    assert!(!ok);
    assert!(error_of(&v).contains("chmod 600"), "{v}");
}

/// A keystore directory that group or others can write to (and so swap key files in) is
/// refused for reads and writes alike, naming the directory and the fix.
#[cfg(unix)]
#[test]
fn keystore_directory_writable_by_others_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, _, _) = run(&ks, "", &["key", "new", "ops", "--kind", "hot"]);
    assert!(ok);
    let fix = format!("chmod 700 {}", ks.display());
    for mode in [0o777, 0o770, 0o730, 0o702] {
        chmod(&ks, mode);
        for args in [
            &["key", "list"][..],
            &["key", "export", "ops"],
            &["key", "new", "other", "--kind", "hot"],
        ] {
            let (ok, v, _) = run(&ks, "", args);
            assert!(!ok, "{mode:o} {args:?} accepted: {v}");
            assert!(error_of(&v).contains(&fix), "{mode:o} {args:?}: {v}");
        }
        assert!(!ks.join("other.json").exists());
    }
    // Readable but not writable by others is allowed (the files themselves are private).
    chmod(&ks, 0o755);
    let (ok, v, _) = run(&ks, "", &["key", "list"]);
    assert!(ok, "{v}");
}

/// A coldkey needs a non-empty passphrase unless `--no-passphrase` asks for a test key, which
/// then unlocks without a prompt.
#[test]
fn empty_passphrase_needs_an_explicit_flag() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, v, _) = run(&ks, "", &["key", "new", "main"]);
    assert!(!ok, "empty passphrase accepted: {v}");
    assert!(error_of(&v).contains("--no-passphrase"), "{v}");
    assert!(!ks.join("main.json").exists(), "nothing written");
    let seed = "11".repeat(32);
    let (ok, v, _) = run(&ks, "", &["key", "import", "imp", "--seed", &seed]);
    assert!(!ok, "empty passphrase accepted on import: {v}");
    assert!(error_of(&v).contains("--no-passphrase"), "{v}");

    let (ok, made, _) = run(&ks, "", &["key", "new", "main", "--no-passphrase"]);
    assert!(ok, "{made}");
    let (ok, _, _) = run(
        &ks,
        "",
        &["key", "import", "imp", "--seed", &seed, "--no-passphrase"],
    );
    assert!(ok);
    // No SYNOD_PASSWORD and no terminal: only a key made without a passphrase can unlock.
    let out = synod()
        .env_remove("SYNOD_PASSWORD")
        .arg("--keystore")
        .arg(&ks)
        .args(["--json", "key", "export", "main"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["account"], made["account"]);
    let (ok, list, _) = run(&ks, "", &["key", "list"]);
    assert!(ok);
    assert_eq!(list[1]["name"], "main");
    assert_eq!(list[1]["no_passphrase"], true);
    // A passphrase-protected key is not affected.
    let (ok, _, _) = run(&ks, "pw", &["key", "new", "safe"]);
    assert!(ok);
    let (ok, _, _) = run(&ks, "", &["key", "export", "safe"]);
    assert!(!ok, "protected coldkey unlocked with an empty passphrase");
}

/// One corrupt (or unsafe) file among good ones: `key list` still lists the good keys, names
/// the bad files on stderr and as `error` rows in JSON, and exits 0.
#[test]
fn list_survives_a_corrupt_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    for name in ["a-key", "c-key"] {
        let (ok, _, _) = run(&ks, "", &["key", "new", name, "--kind", "hot"]);
        assert!(ok);
    }
    let bad = ks.join("b-bad.json");
    std::fs::write(&bad, b"{ not json").expect("write");
    #[cfg(unix)]
    chmod(&bad, 0o600);
    let (ok, list, stderr) = run(&ks, "", &["key", "list"]);
    assert!(ok, "{list} {stderr}");
    let rows = list.as_array().expect("array");
    let good: Vec<&str> = rows
        .iter()
        .filter(|r| r.get("error").is_none())
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(good, vec!["a-key", "c-key"]);
    let errs: Vec<&serde_json::Value> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(errs.len(), 1, "{list}");
    assert_eq!(errs[0]["name"], "b-bad");
    assert_eq!(errs[0]["file"], bad.to_str().expect("utf8"));
    assert!(stderr.contains(bad.to_str().expect("utf8")), "{stderr}");
    // Text output too.
    let out = synod()
        .arg("--keystore")
        .arg(&ks)
        .args(["key", "list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("a-key") && text.contains("c-key"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("b-bad.json"));
    // A key file open to others is listed as unusable with its fix, not silently shown.
    #[cfg(unix)]
    {
        chmod(&ks.join("c-key.json"), 0o644);
        let (ok, list, stderr) = run(&ks, "", &["key", "list"]);
        assert!(ok);
        assert!(stderr.contains("chmod 600"), "{stderr}");
        let c = list
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["name"] == "c-key")
            .expect("c-key row");
        assert!(c["error"].as_str().expect("error").contains("chmod 600"));
    }
}

/// `key new` shows a mnemonic that `key regen` turns back into the same account (a coldkey
/// and a hotkey); the golden vector's words give the golden account; a mistyped word, a bad
/// checksum and a wrong word count are refused with their reason.
#[test]
fn mnemonics_create_and_regenerate_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, made, err) = run(&ks, "pw", &["key", "new", "main", "--words", "24"]);
    assert!(ok, "{err}");
    let phrase = made["mnemonic"].as_str().expect("mnemonic").to_string();
    assert_eq!(phrase.split(' ').count(), 24);
    let (ok, back, err) = run(
        &ks,
        "pw2",
        &["key", "regen", "restored", "--mnemonic", &phrase],
    );
    assert!(ok, "{err}");
    assert_eq!(back["account"], made["account"]);
    let (ok, hot, _) = run(
        &ks,
        "",
        &[
            "key",
            "regen",
            "hot1",
            "--kind",
            "hot",
            "--mnemonic",
            &phrase,
            "--index",
            "1",
        ],
    );
    assert!(ok);
    assert_ne!(hot["account"], made["account"], "another account index");

    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../chain/primitives/tests/golden/mnemonic.json"),
        )
        .expect("golden file"),
    )
    .expect("json");
    let v = golden["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["passphrase"] == "" && k["account_index"] == 0)
        .expect("a vector without passphrase");
    let (ok, g, _) = run(
        &ks,
        "",
        &[
            "key",
            "regen",
            "golden",
            "--kind",
            "hot",
            "--mnemonic",
            v["mnemonic"].as_str().expect("words"),
        ],
    );
    assert!(ok);
    assert_eq!(g["account"], v["account"]);
    let (ok, exported, _) = run(&ks, "", &["key", "export", "golden"]);
    assert!(ok);
    assert_eq!(exported["seed"], v["secret_seed"]);
    // The golden vector with a BIP-39 passphrase, through SYNOD_BIP39_PASSPHRASE.
    let p = golden["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["passphrase"] == "TREZOR")
        .expect("a vector with a passphrase");
    let out = synod()
        .env("SYNOD_BIP39_PASSPHRASE", "TREZOR")
        .arg("--keystore")
        .arg(&ks)
        .args([
            "--json",
            "key",
            "regen",
            "trezor",
            "--kind",
            "hot",
            "--bip39-passphrase",
        ])
        .args(["--mnemonic", p["mnemonic"].as_str().expect("words")])
        .output()
        .expect("run");
    assert!(out.status.success());
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(t["account"], p["account"]);

    let words: Vec<&str> = phrase.split(' ').collect();
    let mut typo = words.clone();
    typo[3] = "notaword";
    let (ok, e, _) = run(
        &ks,
        "pw",
        &["key", "regen", "x", "--mnemonic", &typo.join(" ")],
    );
    assert!(!ok);
    assert!(error_of(&e).contains("word 4 ('notaword')"), "{e}");
    let mut swapped = words.clone();
    swapped.swap(0, 1);
    if swapped != words {
        let (ok, e, _) = run(
            &ks,
            "pw",
            &["key", "regen", "x", "--mnemonic", &swapped.join(" ")],
        );
        assert!(!ok);
        assert!(error_of(&e).contains("checksum"), "{e}");
    }
    let (ok, e, _) = run(
        &ks,
        "pw",
        &["key", "regen", "x", "--mnemonic", &words[..5].join(" ")],
    );
    assert!(!ok);
    assert!(error_of(&e).contains("this one has 5"), "{e}");
    let (ok, e, _) = run(&ks, "pw", &["key", "new", "y", "--words", "13"]);
    assert!(!ok);
    assert!(error_of(&e).contains("12, 15, 18, 21 or 24"), "{e}");
}

/// A watch-only key names an account wherever one is expected, is listed as `watch`, and
/// never signs; `key sign` signs a message that `key verify` checks, and nothing else.
#[test]
fn watch_only_keys_and_signed_messages() {
    let dir = tempfile::tempdir().expect("tmp");
    let ks = dir.path().join("keys");
    let (ok, signer, _) = run(&ks, "", &["key", "new", "ops", "--kind", "hot"]);
    assert!(ok);
    let account = signer["account"].as_str().expect("account").to_string();
    let (ok, w, err) = run(&ks, "", &["key", "watch", "theirs", &account]);
    assert!(ok, "{err}");
    assert_eq!(w["kind"], "watch");
    let (ok, list, _) = run(&ks, "", &["key", "list"]);
    assert!(ok);
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|k| k["name"] == "theirs"
                && k["kind"] == "watch"
                && k["account"] == account.as_str()),
        "{list}"
    );
    let (ok, e, _) = run(&ks, "", &["key", "sign", "theirs", "--message", "hi"]);
    assert!(!ok);
    assert!(error_of(&e).contains("watch-only"), "{e}");
    let (ok, e, _) = run(&ks, "", &["key", "export", "theirs"]);
    assert!(!ok);
    assert!(error_of(&e).contains("watch-only"), "{e}");
    let (ok, _, _) = run(&ks, "", &["key", "watch", "bad", "0x1234"]);
    assert!(!ok, "not an account");
    let (ok, e, _) = run(&ks, "", &["key", "new", "w", "--kind", "watch"]);
    assert!(!ok);
    assert!(error_of(&e).contains("key watch"), "{e}");

    let (ok, s, _) = run(
        &ks,
        "",
        &["key", "sign", "ops", "--message", "I own this key"],
    );
    assert!(ok);
    let sig = s["signature"].as_str().expect("signature").to_string();
    // Verified against the watch-only name, the hex form of the same message, and refused
    // for another message.
    let (ok, v, _) = run(
        &ks,
        "",
        &[
            "key",
            "verify",
            "theirs",
            "--signature",
            &sig,
            "--message",
            "I own this key",
        ],
    );
    assert!(ok);
    assert_eq!(v["valid"], true);
    let hex_msg = hex::encode("I own this key");
    let (ok, _, _) = run(
        &ks,
        "",
        &[
            "key",
            "verify",
            &account,
            "--signature",
            &sig,
            "--hex",
            &hex_msg,
        ],
    );
    assert!(ok);
    let (ok, v, _) = run(
        &ks,
        "",
        &[
            "key",
            "verify",
            "theirs",
            "--signature",
            &sig,
            "--message",
            "I own that key",
        ],
    );
    assert!(!ok);
    assert!(error_of(&v).contains("does not verify"), "{v}");
}
