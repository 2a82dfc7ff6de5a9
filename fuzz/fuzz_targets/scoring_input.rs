#![no_main]
//! Arbitrary bytes as a decrypted data file scored by the sample pool's committed
//! `conversations.wasm` (`synod-data-score`), with a small fuel budget picked by the first
//! byte and, from the second, an optional uniqueness index entry cut from the input (so the
//! fingerprint comparison sees well-formed and broken entries). The sandbox must never panic,
//! the program never fail except by running out of fuel, scores stay within 0..=PPM, a
//! malformed export scores all zero without metadata, a well-formed one carries a 260-byte
//! fingerprint, and a second run gives the same outcome.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use synod_data_score::{Limits, PPM, Program, ScoreError, Scores};

const WASM: &[u8] =
    include_bytes!("../../crates/modules/data-score/pools/conversations/conversations.wasm");

fuzz_target!(|data: &[u8]| {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    let compiled =
        PROGRAM.get_or_init(|| Program::new(WASM, &Limits::default()).expect("committed program"));
    let Some((&fuel_sel, rest)) = data.split_first() else {
        return;
    };
    // 0 to about half a million fuel: small budgets that end anywhere, and (0xFF) enough for the
    // 4 KiB samples.
    let fuel = match fuel_sel {
        0xFF => 2_000_000,
        sel => u64::from(sel) * 2_000,
    };
    let mut entry = Vec::new();
    let input = match rest.split_first() {
        Some((&cut, tail)) if cut & 1 == 1 => {
            // An index entry of the fingerprint's length where possible, magic included.
            let at = tail.len().saturating_sub(256);
            entry.extend_from_slice(b"SMH\x01");
            entry.extend_from_slice(&tail[at..]);
            &tail[..at]
        }
        Some((_, tail)) => tail,
        None => rest,
    };
    let index: Vec<&[u8]> = if entry.is_empty() {
        vec![]
    } else {
        vec![&entry]
    };
    let limits = Limits {
        fuel,
        ..Limits::default()
    };
    let program = compiled.with_limits(&limits).expect("same limits but fuel");
    let first = program.run(input, &index);
    match &first {
        Ok(out) => {
            assert!(out.fuel_used <= fuel);
            for (field, v) in out.scores.fields() {
                assert!(v <= PPM, "{field} = {v}");
            }
            if out.scores.authenticity == 0 {
                assert_eq!(
                    out.scores,
                    Scores {
                        authenticity: 0,
                        ownership: 0,
                        quality: 0,
                        uniqueness: 0,
                        score: 0
                    }
                );
                assert!(out.metadata.is_empty());
            } else {
                assert_eq!(out.scores.authenticity, PPM);
                assert_eq!(out.metadata.len(), 260);
                assert_eq!(&out.metadata[..4], b"SMH\x01");
            }
        }
        Err(ScoreError::FuelExhausted { limit }) => assert_eq!(*limit, fuel),
        Err(e) => panic!("the sample program failed: {e}"),
    }
    assert_eq!(program.run(input, &index), first, "two runs disagree");
});
