//! A data directory written by the binary of commit 0c79145 (before the module framework moved
//! every module's types out of `primitives`) must re-execute block by block to the same state
//! roots, receipts and block hashes with today's binary: the proof that no stored encoding and
//! no state key changed meaning. The fixture and the script that made it are in
//! `tests/fixtures/` (transfers, hotkeys, a subnet with epochs, staking, root stake, validator
//! bond/unbond/withdraw and six calls that failed on chain).

use std::path::Path;
use std::process::Command;

#[test]
fn the_pre_framework_devnet_replays_to_every_recorded_root() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replay-v1/chain.redb");
    let dir = tempfile::tempdir().expect("tempdir");
    // `replay` opens the database for writing; never let it touch the committed file.
    std::fs::copy(&fixture, dir.path().join("chain.redb")).expect("copy fixture");
    let out = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["--json", "replay", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run synod replay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "replay failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json output");
    assert_eq!(v["ok"], true);
    assert_eq!(v["blocks"], 124);
    assert_eq!(v["transactions"], 31);
    assert_eq!(
        v["state_root"],
        "0x601be5b327c0647e25ed8f1eb66f802ab20898af4a02f40733437a2a5590fa7a"
    );
}
