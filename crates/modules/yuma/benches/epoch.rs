//! One Yuma epoch on synthetic subnets: `yuma::epoch/n=<n>/<sparse|dense>`, then the
//! same inputs through the numpy float64 reference in the same run, side by side.
//!
//! Run with `cargo bench -p synod-yuma --bench epoch -- --warm-up-time 1 --measurement-time 3`.
//! The comparison table at the end needs `python3` with numpy (it says SKIPPED otherwise);
//! `YUMA_BENCH_NO_NUMPY=1` leaves it out. Both sides are timed on the same process-level
//! footing, alternately, so load from other users hits them alike: wall-clock median per
//! epoch, and CPU time per epoch (Rust: this thread's scheduler time; numpy: process CPU
//! time, with BLAS pinned to one thread).

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use synod_yuma::synth::{GraphSpec, graph};
use synod_yuma::{EpochInput, Hyperparameters, run_epoch};

/// `(n, validators)` sizes and the bench shapes, shared with `examples/bench_input.rs`.
const CASES: [(usize, usize); 2] = [(256, 64), (4096, 256)];
const SHAPES: [(&str, Option<usize>); 2] = [("sparse", Some(32)), ("dense", None)];

fn input(n: usize, v: usize, per: Option<usize>) -> EpochInput {
    let spec = GraphSpec {
        n,
        validators: v,
        weights_per_validator: per,
        hyperparameters: Hyperparameters::default(),
    };
    graph(&spec, 42)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("yuma::epoch");
    for (n, v) in CASES {
        for (label, per) in SHAPES {
            let input = input(n, v, per);
            group.bench_function(format!("n={n}/{label}"), |b| {
                b.iter(|| run_epoch(black_box(&input)))
            });
        }
    }
    group.finish();
}

/// This thread's CPU time in nanoseconds (Linux), if readable.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Median wall milliseconds and mean CPU milliseconds of `reps` epochs.
fn time_rust(input: &EpochInput, reps: usize) -> (f64, Option<f64>) {
    let _ = run_epoch(input);
    let cpu0 = thread_cpu_ns();
    let mut wall: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(run_epoch(black_box(input)).ok());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let cpu = cpu0
        .zip(thread_cpu_ns())
        .map(|(a, b)| (b.saturating_sub(a)) as f64 / 1e6 / reps as f64);
    wall.sort_by(f64::total_cmp);
    (wall[wall.len() / 2], cpu)
}

/// `(median wall ms, median CPU ms)` from `yuma_ref.py --bench`, or why not.
fn time_numpy(file: &Path, reps: usize) -> Result<(f64, f64), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference/yuma_ref.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--bench")
        .arg(file)
        .arg(reps.to_string())
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    match (it.next(), it.next()) {
        (Some(Ok(w)), Some(Ok(c))) => Ok((w, c)),
        _ => Err(format!("unexpected output {text:?}")),
    }
}

fn numpy_side_by_side() {
    if std::env::var_os("YUMA_BENCH_NO_NUMPY").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("yuma-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        println!("numpy comparison SKIPPED: {e}");
        return;
    }
    println!();
    println!("Same inputs, same run: Rust (this build) vs numpy float64 reference");
    println!(
        "| case | weights | Rust wall | numpy wall | wall ratio | Rust CPU | numpy CPU | CPU ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (n, v) in CASES {
        for (label, per) in SHAPES {
            let input = input(n, v, per);
            let nnz: usize = input.weights.iter().map(Vec::len).sum();
            let file = dir.join(format!("n{n}-{label}.json"));
            let json = match serde_json::to_vec(&input) {
                Ok(j) => j,
                Err(e) => {
                    println!("numpy comparison SKIPPED: {e}");
                    return;
                }
            };
            if let Err(e) = std::fs::write(&file, json) {
                println!("numpy comparison SKIPPED: {e}");
                return;
            }
            // Enough repetitions for ~1 s of Rust and a few numpy runs.
            let (probe, _) = time_rust(&input, 3);
            let reps = ((1_000.0 / probe.max(0.001)) as usize).clamp(5, 2_000);
            let np_reps = if n > 1_000 && per.is_none() { 3 } else { 7 };
            // Alternate twice and keep each side's better pass.
            let mut best_rust = (f64::INFINITY, None::<f64>);
            let mut best_np = (f64::INFINITY, f64::INFINITY);
            for _ in 0..2 {
                let r = time_rust(&input, reps);
                if r.0 < best_rust.0 {
                    best_rust.0 = r.0;
                }
                if let Some(c) = r.1 {
                    best_rust.1 = Some(best_rust.1.map_or(c, |b: f64| b.min(c)));
                }
                match time_numpy(&file, np_reps) {
                    Ok((w, c)) => {
                        best_np.0 = best_np.0.min(w);
                        best_np.1 = best_np.1.min(c);
                    }
                    Err(e) => {
                        println!("numpy comparison SKIPPED (needs python3 with numpy): {e}");
                        let _ = std::fs::remove_dir_all(&dir);
                        return;
                    }
                }
            }
            let cpu = |x: Option<f64>| x.map_or("n/a".to_string(), |c| format!("{c:.3} ms"));
            let cpu_ratio = best_rust
                .1
                .map_or("n/a".to_string(), |c| format!("{:.0}×", best_np.1 / c));
            println!(
                "| n={n} ({v} validators) {label} | {nnz} | {:.3} ms | {:.1} ms | {:.0}× | {} | {:.1} ms | {} |",
                best_rust.0,
                best_np.0,
                best_np.0 / best_rust.0,
                cpu(best_rust.1),
                best_np.1,
                cpu_ratio,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);

fn main() {
    benches();
    numpy_side_by_side();
    Criterion::default().configure_from_args().final_summary();
}
