//! `synod blind run` (a dry run on the reference interpreter: outputs and
//! the analyser's cost, no committee) and negative values on the command
//! line of the blind commands (issue 17, items 3 and 4).
#![allow(missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::synod;

/// The program: an equality test and an ordering test that an MPC
/// executor batches into one round.
const MIXED: &str = "party A;
input t: secret u8 from A;
input b: secret bool from A;
output o = t == 128u8 to A;
output q = (b as u8) < 1u8 to A;
";

/// Two parties, a public input and signed values.
const SIGNED: &str = "party A; party B;
input x: secret i8 from A;
input k: public i8 from B;
output s = x + k to A;
output m = min(x, k) to B;
";

fn write(dir: &Path, name: &str, src: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, src).expect("write program");
    p
}

fn run(args: &[&str]) -> Output {
    synod().args(args).output().expect("run synod")
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: stdout {} stderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json output")
}

fn err_text(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "unexpectedly succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn run_prints_outputs_and_cost() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(tmp.path(), "mixed.blind", MIXED);
    let p = p.to_str().expect("utf8");
    let v = ok_json(&run(&[
        "--json", "blind", "run", p, "--input", "t=0", "--input", "b=true",
    ]));
    assert_eq!(v["outputs"]["A"]["o"], false, "{v}");
    assert_eq!(v["outputs"]["A"]["q"], false, "{v}");
    let program = v["program"].as_str().expect("program id");
    assert_eq!(program.len(), 64, "{program}");
    let cost = &v["cost"];
    assert_eq!(cost["comparisons"], 1, "{v}");
    assert_eq!(cost["equality_tests"], 1, "{v}");
    assert!(cost["online_rounds"].as_u64().expect("rounds") >= 1, "{v}");
    assert!(cost["bytes_per_member"].as_u64().is_some(), "{v}");
    let v = ok_json(&run(&[
        "--json", "blind", "run", p, "--input", "t=128", "--input", "b=false",
    ]));
    assert_eq!(v["outputs"]["A"]["o"], true, "{v}");
    assert_eq!(v["outputs"]["A"]["q"], true, "{v}");

    // Human-readable form; `--program` as for `invoke` works too.
    let out = run(&[
        "blind",
        "run",
        "--program",
        p,
        "--input",
        "t=0",
        "--input",
        "b=true",
    ]);
    let text = String::from_utf8_lossy(&ok_output(&out).stdout).to_string();
    assert!(text.contains("A.o = false"), "{text}");
    assert!(text.contains("A.q = false"), "{text}");
    assert!(text.contains("online rounds"), "{text}");
}

fn ok_output(out: &Output) -> &Output {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn run_takes_public_and_negative_inputs_and_selects_parties() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(tmp.path(), "signed.blind", SIGNED);
    let p = p.to_str().expect("utf8");
    let base = [
        "--json", "blind", "run", p, "--input", "x=-5", "--public", "k=-3",
    ];
    let v = ok_json(&run(&base));
    assert_eq!(v["outputs"]["A"]["s"], -8, "{v}");
    assert_eq!(v["outputs"]["B"]["m"], -5, "{v}");
    // `--party` restricts the outputs, as `invoke` binds parties (the user
    // part of `PARTY=USER` does not matter here).
    for party in ["B", "B=bob"] {
        let mut args = base.to_vec();
        args.extend(["--party", party]);
        let v = ok_json(&run(&args));
        assert!(v["outputs"].get("A").is_none(), "{v}");
        assert_eq!(v["outputs"]["B"]["m"], -5, "{v}");
    }
    // Wrapping arithmetic as under MPC.
    let v = ok_json(&run(&[
        "--json", "blind", "run", p, "--input", "x=-128", "--public", "k=-1",
    ]));
    assert_eq!(v["outputs"]["A"]["s"], 127, "{v}");
}

#[test]
fn run_reports_bad_inputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(tmp.path(), "signed.blind", SIGNED);
    let p = p.to_str().expect("utf8");
    let cases: [(&[&str], &str); 7] = [
        (&["--input", "x=1"], "missing input `k`"),
        (&["--input", "x=1", "--input", "k=2"], "is public"),
        (&["--public", "x=1", "--public", "k=2"], "is secret"),
        (
            &[
                "--input",
                "x=@0000000000000000000000000000000000000000000000000000000000000000",
                "--public",
                "k=2",
            ],
            "stored secret",
        ),
        (&["--input", "x=200", "--public", "k=2"], "out of range"),
        (&["--input", "y=1", "--public", "k=2"], "no input `y`"),
        (
            &["--input", "x=1", "--public", "k=2", "--party", "Carol"],
            "no party `Carol`",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["blind", "run", p];
        args.extend(extra);
        let e = err_text(&run(&args));
        assert!(e.contains(want), "{extra:?}: {e}");
    }
    let bad = write(tmp.path(), "bad.blind", "party A; output o = 3 to A;");
    let e = err_text(&run(&["blind", "run", bad.to_str().expect("utf8")]));
    assert!(e.contains("cannot infer"), "{e}");
}

/// `--value -5` reaches the command instead of being taken for a flag: the
/// command gets as far as loading the committee file.
#[test]
fn store_and_update_accept_negative_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("no-committee.json");
    let missing = missing.to_str().expect("utf8");
    let id = "11".repeat(32);
    for args in [
        vec!["store", "--type", "i8", "--value", "-5"],
        vec![
            "update",
            "--id",
            &id,
            "--type",
            "i64",
            "--value",
            "-9223372036854775808",
        ],
    ] {
        let mut cmd = synod();
        cmd.args(["--dev", "blind"])
            .args(&args)
            .args(["--committee", missing, "--from", "alice"]);
        let out = cmd.output().expect("run synod");
        let e = err_text(&out);
        assert!(!e.contains("unexpected argument"), "{args:?}: {e}");
        assert!(e.contains("no-committee.json"), "{args:?}: {e}");
    }
}
