//! The sample pool's committed `conversations.wasm` (pools/conversations/) on its samples:
//! golden outcome, malformed input, near-duplicates, unrelated files, determinism, fuel, the
//! input format's edge cases, a reproducible rebuild, and arbitrary input.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use synod_data_score::{Limits, Outcome, PPM, Program, ScoreError, Scores, program_hash, run};
use synod_primitives::Hash;

const FINGERPRINT_LEN: usize = 260;
const MAGIC: &[u8; 4] = b"SMH\x01";

fn pool_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pools/conversations")
}

fn wasm() -> Vec<u8> {
    std::fs::read(pool_dir().join("conversations.wasm")).expect("committed conversations.wasm")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(pool_dir().join("samples").join(name)).expect("committed sample")
}

fn score(input: &[u8], index: &[&[u8]]) -> Outcome {
    run(&wasm(), input, index, &Limits::default()).expect("the sample program never fails")
}

const MALFORMED: Scores = Scores {
    authenticity: 0,
    ownership: 0,
    quality: 0,
    uniqueness: 0,
    score: 0,
};

#[test]
fn the_committed_program_is_valid_and_has_the_recorded_hash() {
    let wasm = wasm();
    let program = Program::new(&wasm, &Limits::default()).expect("valid");
    assert_eq!(program.hash(), program_hash(&wasm));
    // What build.sh printed when conversations.wasm was committed. A rebuilt program is a new
    // scoring rule: update this, the golden outcome below, and the pool's README.
    assert_eq!(
        program_hash(&wasm).to_string(),
        "0x872f7066b9fdf9074a1e0b3d7b777956bd4fb25c40e2e951733de1512e990bcf"
    );
}

#[test]
fn golden_outcome_of_the_sample() {
    let out = score(&sample("sourdough.jsonl"), &[]);
    assert_eq!(
        out.scores,
        Scores {
            authenticity: PPM,
            ownership: PPM,
            quality: 966_406,
            uniqueness: PPM,
            score: 966_406,
        }
    );
    assert_eq!(out.metadata.len(), FINGERPRINT_LEN);
    assert_eq!(&out.metadata[..4], MAGIC);
    assert_eq!(
        Hash::digest(&out.metadata).to_string(),
        "0xc5816f09cb15cf3c6790f2e02c2995806db7d55facd20008ade2e0f72b7fe25c"
    );
    assert_eq!(out.fuel_used, 1_623_840);
}

#[test]
fn malformed_input_scores_zero_without_a_fingerprint() {
    let out = score(&sample("malformed.jsonl"), &[]);
    assert_eq!(out.scores, MALFORMED);
    assert!(out.metadata.is_empty());
}

#[test]
fn a_near_duplicate_has_almost_no_uniqueness() {
    let original = score(&sample("sourdough.jsonl"), &[]);
    let copy = score(
        &sample("sourdough-one-word-changed.jsonl"),
        &[&original.metadata],
    );
    assert_eq!(copy.scores.authenticity, PPM);
    assert!(copy.scores.uniqueness < 100_000, "{:?}", copy.scores);
    assert!(copy.scores.score < 100_000, "{:?}", copy.scores);
    assert_eq!(copy.metadata.len(), FINGERPRINT_LEN);
    // And the original itself, uploaded again, is not unique at all.
    let again = score(&sample("sourdough.jsonl"), &[&original.metadata]);
    assert_eq!(again.scores.uniqueness, 0);
    assert_eq!(again.scores.score, 0);
}

#[test]
fn an_unrelated_conversation_is_unique() {
    let original = score(&sample("sourdough.jsonl"), &[]);
    let other = score(&sample("rust-borrowing.jsonl"), &[&original.metadata]);
    assert_eq!(other.scores.authenticity, PPM);
    assert!(other.scores.uniqueness > 800_000, "{:?}", other.scores);
    assert!(other.scores.score > 0);
}

#[test]
fn runs_are_deterministic_and_the_index_order_does_not_change_the_verdict() {
    let sourdough = score(&sample("sourdough.jsonl"), &[]).metadata;
    let rust = score(&sample("rust-borrowing.jsonl"), &[]).metadata;
    let input = sample("sourdough-one-word-changed.jsonl");
    let junk: &[u8] = b"not a fingerprint";
    let forward: [&[u8]; 3] = [&rust, junk, &sourdough];
    let backward: [&[u8]; 3] = [&sourdough, junk, &rust];
    let a = score(&input, &forward);
    let b = score(&input, &forward);
    assert_eq!(a, b, "same arguments, same outcome (fuel included)");
    let c = score(&input, &backward);
    assert_eq!((a.scores, &a.metadata), (c.scores, &c.metadata));
    // The max is over the entries: the near-duplicate's fingerprint decides.
    let alone = score(&input, &[&sourdough]);
    assert_eq!(a.scores, alone.scores);
}

#[test]
fn index_entries_of_the_wrong_length_or_magic_are_skipped() {
    let fp = score(&sample("sourdough.jsonl"), &[]).metadata;
    let input = sample("sourdough.jsonl");
    let short = &fp[..FINGERPRINT_LEN - 1];
    let mut long = fp.clone();
    long.push(0);
    let mut other_magic = fp.clone();
    other_magic[3] = 2;
    let out = score(&input, &[short, &long, &other_magic, b""]);
    assert_eq!(out.scores.uniqueness, PPM);
    assert_eq!(score(&input, &[&fp]).scores.uniqueness, 0);
}

#[test]
fn fuel_limits_are_respected() {
    let wasm = wasm();
    let input = sample("sourdough.jsonl");
    let tiny = Limits {
        fuel: 10_000,
        ..Limits::default()
    };
    assert_eq!(
        run(&wasm, &input, &[], &tiny),
        Err(ScoreError::FuelExhausted { limit: 10_000 })
    );
    let used = score(&input, &[]).fuel_used;
    let exact = Limits {
        fuel: used,
        ..Limits::default()
    };
    assert_eq!(
        run(&wasm, &input, &[], &exact)
            .expect("exactly enough")
            .fuel_used,
        used
    );
    let one_short = Limits {
        fuel: used - 1,
        ..Limits::default()
    };
    assert_eq!(
        run(&wasm, &input, &[], &one_short),
        Err(ScoreError::FuelExhausted { limit: used - 1 })
    );
}

fn line(role: &str, content: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"role": role, "content": content})
    )
}

#[test]
fn format_variations_that_are_well_formed() {
    let base = format!(
        "{}{}",
        line("user", "Hello there, how are you today?"),
        line("assistant", "Very well, thank you for asking!")
    );
    let reference = score(base.as_bytes(), &[]);
    assert_eq!(reference.scores.authenticity, PPM);
    let variants = [
        // CRLF, blank lines, no final newline, spaces everywhere, keys in the other order.
        base.replace('\n', "\r\n"),
        format!("\n\n{base}\n \t\r\n"),
        base.trim_end().to_string(),
        "  { \"role\" :\t\"user\" , \"content\" : \"Hello there, how are you today?\" }  \n\
         {\"content\":\"Very well, thank you for asking!\",\"role\":\"assistant\"}"
            .to_string(),
        // Escapes that decode to the same bytes, and case, do not change the words.
        "{\"role\":\"us\\u0065r\",\"content\":\"HELLO there, how are you today\\u003f\"}\n\
         {\"role\":\"assistant\",\"content\":\"Very well\\u002c thank you for asking\\u0021\"}\n"
            .to_string(),
    ];
    for v in &variants {
        let out = score(v.as_bytes(), &[]);
        assert_eq!(out.scores, reference.scores, "{v:?}");
        assert_eq!(out.metadata, reference.metadata, "{v:?}");
    }
    // "é" and "\u00e9" are the same word.
    let raw = score(
        line("user", "café au lait, s'il vous plaît").as_bytes(),
        &[],
    );
    let escaped = score(
        b"{\"role\":\"user\",\"content\":\"caf\\u00e9 au lait, s'il vous pla\\u00eet\"}",
        &[],
    );
    assert_eq!(
        (raw.scores, raw.metadata),
        (escaped.scores, escaped.metadata)
    );
}

#[test]
fn format_variations_that_are_malformed() {
    let ok = line("user", "fine");
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\n\n  \n".to_vec(),
        b"{\"role\":\"system\",\"content\":\"x\"}".to_vec(),
        b"{\"role\":\"user\"}".to_vec(),
        b"{\"content\":\"x\"}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"x\",}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"x\",\"time\":\"1\"}".to_vec(),
        b"{\"role\":\"user\",\"role\":\"user\",\"content\":\"x\"}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"x\"} {}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"a\\qb\"}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"a\\u12g4\"}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"a\tb\"}".to_vec(),
        b"{\"role\":\"user\",\"content\":\"unterminated}".to_vec(),
        b"{\"role\":\"user\",\"content\":1}".to_vec(),
        b"{\"role\":\"user\",\n\"content\":\"x\"}".to_vec(),
        b"[{\"role\":\"user\",\"content\":\"x\"}]".to_vec(),
        format!("{ok}garbage\n").into_bytes(),
        format!("{ok}{}", &ok[..ok.len() - 3]).into_bytes(),
        vec![0xFF; 100],
    ];
    for case in &cases {
        let out = score(case, &[]);
        assert_eq!(out.scores, MALFORMED, "{:?}", String::from_utf8_lossy(case));
        assert!(out.metadata.is_empty());
    }
}

#[test]
fn quality_follows_the_documented_rule() {
    // One message of 10 distinct words, 54 bytes: turns 1/16, no alternation, length 54/256,
    // diversity full (ratio 1 ≥ 0.4).
    let one = score(
        line("user", "one two three four five six seven eight nine ten").as_bytes(),
        &[],
    );
    let content = "one two three four five six seven eight nine ten".len() as u64;
    let turns = PPM as u64 / 16;
    let length = content * PPM as u64 / 256;
    let want = (25 * turns + 20 * length + 30 * PPM as u64) / 100;
    assert_eq!(u64::from(one.scores.quality), want);
    assert_eq!(one.scores.uniqueness, PPM);
    assert_eq!(one.scores.score, one.scores.quality);
    // Repetition lowers diversity: 2 distinct words out of 200.
    let spam = score(line("user", &"buy now ".repeat(100)).as_bytes(), &[]);
    // 800 bytes: full length; diversity = min(2/200 = 10,000 ppm, 400,000) / 400,000 = 25,000
    let want = (25 * turns + 20 * PPM as u64 + 30 * 25_000) / 100;
    assert_eq!(u64::from(spam.scores.quality), want);
    // Fewer than three words: no shingles, uniqueness 0, but still a fingerprint.
    let short = score(line("user", "hi there").as_bytes(), &[]);
    assert_eq!(short.scores.authenticity, PPM);
    assert_eq!(short.scores.uniqueness, 0);
    assert_eq!(short.metadata.len(), FINGERPRINT_LEN);
    assert!(short.metadata[4..].iter().all(|b| *b == 0xFF));
}

/// The committed module is what `build.sh` makes from `score.c`, where the toolchain it was
/// built with is available.
#[test]
fn build_sh_reproduces_the_committed_wasm() {
    const CLANG_VERSION: &str = "clang version 14.0.6";
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let Some(clang) = have("clang") else {
        eprintln!("SKIPPED build_sh_reproduces_the_committed_wasm: clang is not on PATH");
        return;
    };
    if have("wasm-ld").is_none() {
        eprintln!("SKIPPED build_sh_reproduces_the_committed_wasm: wasm-ld is not on PATH");
        return;
    }
    let version = String::from_utf8_lossy(&clang.stdout);
    if !version.contains(CLANG_VERSION) {
        eprintln!(
            "SKIPPED build_sh_reproduces_the_committed_wasm: conversations.wasm was built with \
             {CLANG_VERSION}; this clang is {}",
            version.lines().next().unwrap_or_default()
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("synod-data-score-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("rebuilt.wasm");
    let status = Command::new("bash")
        .arg(pool_dir().join("build.sh"))
        .arg(&out)
        .status()
        .expect("run build.sh");
    assert!(status.success(), "build.sh failed");
    let rebuilt = std::fs::read(&out).expect("rebuilt wasm");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        rebuilt == wasm(),
        "build.sh produced different bytes from the committed conversations.wasm: run \
         pools/conversations/build.sh and commit the result (a new program hash)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic the host: the sample program always succeeds (malformed
    /// input scores zero) or, with little fuel, runs out of it.
    #[test]
    fn arbitrary_input_never_panics(
        input in proptest::collection::vec(any::<u8>(), 0..4096),
        fuel in prop_oneof![Just(1_000_000_000u64), 0u64..200_000],
    ) {
        let limits = Limits { fuel, ..Limits::default() };
        match run(&wasm(), &input, &[], &limits) {
            Ok(out) => {
                for (_, v) in out.scores.fields() {
                    prop_assert!(v <= PPM);
                }
                prop_assert!(out.metadata.is_empty() || out.metadata.len() == FINGERPRINT_LEN);
            }
            Err(ScoreError::FuelExhausted { limit }) => prop_assert_eq!(limit, fuel),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// Any export serde_json writes in the documented shape is well formed.
    #[test]
    fn serde_json_exports_are_well_formed(
        messages in proptest::collection::vec((any::<bool>(), ".{0,60}"), 1..12),
    ) {
        let export: String = messages
            .iter()
            .map(|(user, content)| line(if *user { "user" } else { "assistant" }, content))
            .collect();
        let out = score(export.as_bytes(), &[]);
        prop_assert_eq!(out.scores.authenticity, PPM);
        prop_assert_eq!(out.metadata.len(), FINGERPRINT_LEN);
    }
}
