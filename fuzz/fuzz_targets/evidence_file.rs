#![no_main]
//! Arbitrary bytes as an attribution evidence file and as the training and validation JSONL it
//! is computed from (what `synod attribution commit`, `challenge` and `verify` read from
//! outside the process): never a panic; an accepted evidence file re-serialises to a file that
//! is accepted again with the same content, and agrees with itself.

use libfuzzer_sys::fuzz_target;
use synod_embed::evidence::{Dataset, Evidence, parse_train, parse_validation};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = Evidence::from_file_bytes(data) {
        let again = Evidence::from_file_bytes(&ev.to_file_bytes()).expect("canonical form reads");
        assert_eq!(again, ev);
        assert!(ev.agrees_with(&again, 0));
    }
    let _ = parse_train(data);
    let _ = parse_validation(data);
    let mid = data.len() / 2;
    let _ = Dataset::parse(&data[..mid], &data[mid..]);
});
