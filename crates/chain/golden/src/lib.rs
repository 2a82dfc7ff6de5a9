//! # synod-golden — golden vectors for encodings that may never change
//!
//! Owns the format and the check of the module crates' `tests/golden/encodings.txt`: one line
//! per value, `name<TAB>borsh hex<TAB>JSON`, compared line by line with what the code encodes
//! now. A changed line fails the test (an on-chain or cross-language encoding changed
//! meaning); new lines are appended by running the test with `GOLDEN_BLESS=1`, only for a
//! newly appended variant or record.
//!
//! It must not be a dependency of production code: test helpers only.

use std::path::Path;

/// One golden line: the name, the borsh encoding in hex and the JSON.
pub fn line<T: borsh::BorshSerialize + serde::Serialize>(name: &str, value: &T) -> String {
    let bytes = borsh::to_vec(value).unwrap_or_else(|e| panic!("{name}: borsh: {e}"));
    let json = serde_json::to_string(value).unwrap_or_else(|e| panic!("{name}: json: {e}"));
    format!("{name}\t{}\t{json}", hex::encode(bytes))
}

/// Compares `lines` with the golden file at `path`, or rewrites the file when `GOLDEN_BLESS`
/// is set. Panics naming the first changed line, or when lines are missing or new.
pub fn check(path: &Path, lines: &[String]) {
    if std::env::var_os("GOLDEN_BLESS").is_some() {
        let mut text = String::from(
            "# name<TAB>borsh hex<TAB>json (- for records without JSON): never edit a line\n",
        );
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let golden = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "golden file {} ({e}); bless it with GOLDEN_BLESS=1",
            path.display()
        )
    });
    let golden: Vec<&str> = golden
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    for (i, want) in golden.iter().enumerate() {
        assert_eq!(
            lines.get(i).map(String::as_str).unwrap_or("<missing>"),
            *want,
            "line {} of {} changed",
            i + 1,
            path.display()
        );
    }
    assert_eq!(
        lines.len(),
        golden.len(),
        "new vectors in {}: append them with GOLDEN_BLESS=1",
        path.display()
    );
}
