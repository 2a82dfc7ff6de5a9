//! Printing results: readable text for people, stable JSON for scripts.

use serde::Serialize;

/// Prints `value` as JSON when `json` is set, otherwise the text from `human`.
pub fn emit<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", human());
    }
    Ok(())
}

/// Prints an error: `{"error": "..."}` on stdout for `--json`, `error: ...` on stderr otherwise.
pub fn error(json: bool, e: &anyhow::Error) {
    if json {
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        println!(
            "{}",
            serde_json::json!({ "error": e.to_string(), "causes": chain })
        );
    } else {
        eprintln!("error: {e:#}");
    }
}
