//! The Python SDK's test suite (`sdk/python/tests`), run against the `synod` binary this build
//! made: its encoder against every golden call vector, keystore interop with this CLI, and its
//! devnet tests (transfers, exact fees, typed rejections, tokens, sessions, paid calls).
//!
//! It needs a Python environment with the SDK installed, which `.ci/run` provisions at
//! `target/sdk-venv` (or name one with `SYNOD_SDK_PYTHON`); without it the test says so and
//! skips.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_python_sdk_passes_its_tests_against_this_build() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("SYNOD_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-venv/bin/python"));
    if !python.exists() {
        eprintln!(
            "skipped: no Python with the SDK at {} (run .ci/run, or set SYNOD_SDK_PYTHON)",
            python.display()
        );
        return;
    }
    let out = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "sdk/python/tests",
        ])
        .current_dir(&root)
        .env("SYNOD_BIN", env!("CARGO_BIN_EXE_synod"))
        .output()
        .expect("run pytest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "the Python SDK's tests failed:\n{text}"
    );
}
