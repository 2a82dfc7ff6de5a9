//! Printing results: readable text for people, stable JSON for scripts.

use serde::Serialize;
use std::io::{ErrorKind, Write};

/// Writes one line to stdout. A reader that went away (`synod ... | head`) is not an error:
/// there is nobody left to tell, so the command ends quietly instead of panicking.
fn print_line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints `value` as JSON when `json` is set, otherwise the text from `human`.
pub fn emit<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        print_line(&serde_json::to_string_pretty(value)?)?;
    } else {
        print_line(&human())?;
    }
    Ok(())
}

/// Prints an error: `{"error": "..."}` on stdout for `--json`, `error: ...` on stderr otherwise.
pub fn error(json: bool, e: &anyhow::Error) {
    if json {
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        // Nothing more can be done if stdout is gone; the exit status still says it failed.
        let _ =
            print_line(&serde_json::json!({ "error": e.to_string(), "causes": chain }).to_string());
    } else {
        eprintln!("error: {e:#}");
    }
}
