//! One Yuma epoch on synthetic subnets: `yuma::epoch/n=<n>/<sparse|dense>`.
//!
//! Run with `cargo bench -p synod-yuma --bench epoch -- --warm-up-time 1 --measurement-time 3`.
//! Compare with the numpy reference on identical inputs via
//! `crates/yuma/reference/bench_ref.sh` (see `reference/README.md`).

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synod_yuma::synth::{GraphSpec, graph};
use synod_yuma::{Hyperparameters, run_epoch};

/// `(n, validators)` sizes and the bench shapes, shared with `examples/bench_input.rs`.
const CASES: [(usize, usize); 2] = [(256, 64), (4096, 256)];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("yuma::epoch");
    for (n, v) in CASES {
        for (label, per) in [("sparse", Some(32)), ("dense", None)] {
            let spec = GraphSpec {
                n,
                validators: v,
                weights_per_validator: per,
                hyperparameters: Hyperparameters::default(),
            };
            let input = graph(&spec, 42);
            group.bench_function(format!("n={n}/{label}"), |b| {
                b.iter(|| run_epoch(black_box(&input)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
