//! Scoring jobs per second: the sample pool's `conversations.wasm` on a 64 KiB conversation
//! export against a 1,000-entry uniqueness index, both with compilation (`run`, what one job
//! costs from scratch) and on a compiled `Program` (what a worker scoring many files for one
//! pool pays per file).
//!
//! `cargo bench -p synod-data-score --bench score -- --warm-up-time 1 --measurement-time 5`
//! (criterion prints jobs per second as thrpt, in elem/s).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use synod_data_score::{Limits, Program, run};

const WORDS: &[&str] = &[
    "the", "a", "to", "and", "of", "in", "is", "it", "you", "that", "for", "on", "with", "this",
    "can", "how", "what", "model", "data", "train", "loss", "batch", "learning", "rate", "network",
    "layer", "weights", "gradient", "python", "error", "function", "return", "value", "list",
    "string", "file", "read", "write", "memory", "time", "question", "answer", "example", "first",
    "second", "then", "because", "should", "would", "could", "about", "more", "less", "use", "try",
    "check", "make", "sure", "think", "know", "why", "when", "where", "which",
];

/// A deterministic pseudo-random conversation export of `len` bytes or a little more.
fn conversation(len: usize) -> Vec<u8> {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::new();
    let mut user = true;
    while out.len() < len {
        let words = 20 + (next() % 80) as usize;
        let content: Vec<&str> = (0..words)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        let role = if user { "user" } else { "assistant" };
        out.push_str(&format!(
            "{{\"role\":\"{role}\",\"content\":\"{}.\"}}\n",
            content.join(" ")
        ));
        user = !user;
    }
    out.into_bytes()
}

/// `n` fingerprints in the sample pool's format (magic, 64 u32s) with pseudo-random slots.
fn index(n: usize) -> Vec<Vec<u8>> {
    let mut state = 0x0fed_cba9_8765_4321u64;
    (0..n)
        .map(|_| {
            let mut e = b"SMH\x01".to_vec();
            for _ in 0..64 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                e.extend_from_slice(&((state >> 32) as u32).to_le_bytes());
            }
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pools/conversations/conversations.wasm"
    ))
    .expect("committed conversations.wasm");
    let input = conversation(64 << 10);
    let entries = index(1000);
    let index: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let limits = Limits::default();
    let out = run(&wasm, &input, &index, &limits).expect("scores");
    println!(
        "64 KiB export, 1,000 index entries: {:?}, fuel {}",
        out.scores, out.fuel_used
    );

    let mut g = c.benchmark_group("score_64KiB_index_1000");
    g.throughput(Throughput::Elements(1));
    g.bench_function("run (compile + run)", |b| {
        b.iter(|| run(black_box(&wasm), black_box(&input), &index, &limits).expect("scores"))
    });
    let program = Program::new(&wasm, &limits).expect("valid");
    g.bench_function("Program::run (compiled)", |b| {
        b.iter(|| program.run(black_box(&input), &index).expect("scores"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
