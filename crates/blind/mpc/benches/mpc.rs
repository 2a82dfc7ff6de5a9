//! In-process benchmarks of the MPC core (all parties in one thread, so the
//! numbers are the *total* CPU cost of the committee, no network).
//!
//! Run: `cargo bench -p synod-mpc --bench mpc -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use synod_mpc::{Fr, IntType, MpcField, Params, Requirements, Share, SimOptions, Simulation};

/// Per-party share vectors.
type Dealt = Vec<Vec<Share<Fr>>>;

fn setup(n: usize, t: usize, wire: bool, batch: usize) -> (Simulation<Fr>, Dealt, Dealt) {
    let opts = SimOptions {
        wire_encoding: wire,
        record_transcript: false,
    };
    let mut sim = Simulation::<Fr>::with_options(Params::new(n, t).unwrap(), 1, opts).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    let a: Vec<Fr> = (0..batch).map(|_| Fr::random(&mut rng)).collect();
    let b: Vec<Fr> = (0..batch).map(|_| Fr::random(&mut rng)).collect();
    let sa = sim.deal(&a);
    let sb = sim.deal(&b);
    (sim, sa, sb)
}

fn bench_mul(c: &mut Criterion) {
    let mut g = c.benchmark_group("batched_mul");
    for (n, t, wire, batch) in [
        (3, 1, false, 100_000usize),
        (3, 1, true, 100_000),
        (5, 2, false, 100_000),
        (7, 3, false, 20_000),
    ] {
        let (mut sim, a, b) = setup(n, t, wire, batch);
        g.throughput(Throughput::Elements(batch as u64));
        let id = format!("n{n}_t{t}{}", if wire { "_wire" } else { "" });
        g.bench_function(BenchmarkId::new(id, batch), |bch| {
            bch.iter(|| {
                let out = sim
                    .run(async |p| p.mul(&a[p.id()], &b[p.id()]).await)
                    .unwrap();
                black_box(out);
            })
        });
    }
    g.finish();
}

fn i64_inputs(sim: &mut Simulation<Fr>, count: usize, seed: u64) -> Vec<Vec<Share<Fr>>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let v: Vec<Fr> = (0..count)
        .map(|_| synod_mpc::from_i128(i128::from(rng.random::<i64>())))
        .collect();
    sim.deal(&v)
}

fn bench_compare(c: &mut Criterion) {
    let mut g = c.benchmark_group("compare_i64");
    g.sample_size(10);
    let batch = 100usize;
    let mut sim = Simulation::<Fr>::new(Params::new(3, 1).unwrap(), 3).unwrap();
    let a = i64_inputs(&mut sim, batch, 4);
    let b = i64_inputs(&mut sim, batch, 5);
    let req = Requirements::compare(IntType::I64, batch as u64);
    g.throughput(Throughput::Elements(batch as u64));
    g.bench_function(BenchmarkId::new("end_to_end_n3", batch), |bch| {
        bch.iter(|| {
            sim.run(async |p| p.preprocess(&req).await).unwrap();
            // preprocessing + online: the full cost of a comparison
            sim.run(async |p| p.lt(&a[p.id()], &b[p.id()], IntType::I64).await)
                .unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("online_only_n3", batch), |bch| {
        bch.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                sim.run(async |p| p.preprocess(&req).await).unwrap();
                let t0 = Instant::now();
                let out = sim
                    .run(async |p| p.lt(&a[p.id()], &b[p.id()], IntType::I64).await)
                    .unwrap();
                total += t0.elapsed();
                black_box(out);
            }
            total
        })
    });
    g.finish();
}

/// One-shot report: large batches, printed, not statistically analysed.
fn report() {
    let mut sim = Simulation::<Fr>::new(Params::new(3, 1).unwrap(), 9).unwrap();
    let batch = 1000usize;
    let a = i64_inputs(&mut sim, batch, 6);
    let b = i64_inputs(&mut sim, batch, 7);
    let req = Requirements::compare(IntType::I64, batch as u64);
    let t0 = Instant::now();
    let r = sim
        .run(async |p| {
            p.preprocess(&req).await?;
            Ok(p.rounds())
        })
        .unwrap();
    let prep = t0.elapsed();
    let bytes0 = sim.network().stats().bytes;
    let t1 = Instant::now();
    let r2 = sim
        .run(async |p| {
            let before = p.rounds().online;
            p.lt(&a[p.id()], &b[p.id()], IntType::I64).await?;
            Ok(p.rounds().online - before)
        })
        .unwrap();
    let online = t1.elapsed();
    let bytes = sim.network().stats().bytes - bytes0;
    println!(
        "report: {batch} x 64-bit comparisons, n=3: preprocessing {:.3} s ({:.0}/s, {} rounds), online {:.3} ms ({:.0}/s, {} rounds, {} bytes/comparison)",
        prep.as_secs_f64(),
        batch as f64 / prep.as_secs_f64(),
        r[0].preprocessing,
        online.as_secs_f64() * 1e3,
        batch as f64 / online.as_secs_f64(),
        r2[0],
        bytes / batch as u64,
    );
}

fn main() {
    report();
    let mut c = Criterion::default().configure_from_args();
    bench_mul(&mut c);
    bench_compare(&mut c);
    c.final_summary();
}
