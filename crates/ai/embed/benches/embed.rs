//! Embedding throughput of all-MiniLM-L6-v2: `embed::batch32` embeds 32 sentences of the
//! example training set per iteration (criterion's throughput line gives sentences/s),
//! and `embed::single` one sentence per call. Skips with a message when the model is not
//! provisioned (`scripts/fetch-model.sh`).
//!
//! Run with `cargo bench -p synod-embed --bench embed -- --warm-up-time 2 --measurement-time 10`,
//! on an otherwise idle machine: candle uses every core, so a concurrent build skews it.

#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use synod_embed::{BATCH_SIZE, Embedder, model_dir, model_present};

fn sentences() -> Vec<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../examples/attribution/train.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = match model_dir() {
        Ok(d) if model_present(&d) => d,
        _ => {
            eprintln!(
                "SKIP embed bench: all-MiniLM-L6-v2 not provisioned (scripts/fetch-model.sh)"
            );
            return;
        }
    };
    let Ok(embedder) = Embedder::load(&dir) else {
        eprintln!(
            "SKIP embed bench: the model in {} did not load",
            dir.display()
        );
        return;
    };
    let texts = sentences();
    if texts.len() < BATCH_SIZE {
        eprintln!("SKIP embed bench: examples/attribution/train.jsonl not found");
        return;
    }
    let batch: Vec<&str> = texts.iter().take(BATCH_SIZE).map(String::as_str).collect();
    let mut group = c.benchmark_group("embed");
    group.throughput(Throughput::Elements(BATCH_SIZE as u64));
    group.bench_function("batch32", |b| {
        b.iter(|| black_box(embedder.embed(black_box(&batch))))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("single", |b| {
        b.iter(|| black_box(embedder.embed(black_box(&batch[..1]))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
