//! Valuation and split costs:
//! - `knn_shapley/exact/n=10000,m=1000,d=384`: exact KNN-Shapley on random unit vectors
//!   (seeded), K = 5;
//! - `knn_shapley/monte_carlo/...`: truncated Monte-Carlo permutation Shapley on a
//!   smaller set (n = 100, m = 20, d = 384) with the generic [`knn_utility`], at the
//!   smallest number of permutations (from a fixed ladder) whose per-point ranking has a
//!   Spearman correlation of at least 0.95 with the exact values; the ladder and the
//!   correlations are printed first;
//! - `split/chain/depth=…` and `split/wide/ancestors=1000`: `Lineage::split` of one
//!   payment along a chain of depth 1, 10, 100, and to an asset with 1,000 parents.
//!
//! Run with `cargo bench -p synod-attribution --bench valuation -- --warm-up-time 1
//! --measurement-time 5`; add `--features parallel` for the rayon path of the exact
//! method. The machine should be otherwise idle.

#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use synod_attribution::{
    AssetSpec, KnnInput, Lineage, McConfig, ParentEdge, WEIGHT_TOTAL, knn_shapley, knn_utility,
    monte_carlo_shapley,
};

struct Data {
    train: Vec<Vec<f32>>,
    labels: Vec<u32>,
    val: Vec<Vec<f32>>,
    val_labels: Vec<u32>,
}

impl Data {
    fn input(&self, k: usize) -> KnnInput<'_> {
        KnnInput {
            train: &self.train,
            train_labels: &self.labels,
            validation: &self.val,
            validation_labels: &self.val_labels,
            k,
        }
    }
}

/// Unit vectors around 4 class centres (so the labels mean something), 10 % of the
/// training labels flipped.
fn data(seed: u64, n: usize, m: usize, dim: usize) -> Data {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let uniform = |rng: &mut ChaCha20Rng| rng.next_u32() as f32 / u32::MAX as f32 * 2.0 - 1.0;
    let centres: Vec<Vec<f32>> = (0..4)
        .map(|_| (0..dim).map(|_| uniform(&mut rng)).collect())
        .collect();
    let point = |rng: &mut ChaCha20Rng, label: u32| -> Vec<f32> {
        let mut v: Vec<f32> = centres[label as usize]
            .iter()
            .map(|c| c + 1.5 * uniform(rng))
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        v
    };
    let mut train = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let l = rng.next_u32() % 4;
        train.push(point(&mut rng, l));
        labels.push(if rng.next_u32() % 10 == 0 {
            (l + 1) % 4
        } else {
            l
        });
    }
    let mut val = Vec::with_capacity(m);
    let mut val_labels = Vec::with_capacity(m);
    for _ in 0..m {
        let l = rng.next_u32() % 4;
        val.push(point(&mut rng, l));
        val_labels.push(l);
    }
    Data {
        train,
        labels,
        val,
        val_labels,
    }
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut out = vec![0.0; v.len()];
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && v[idx[end]] == v[idx[start]] {
            end += 1;
        }
        for &i in &idx[start..end] {
            out[i] = (start + end - 1) as f64 / 2.0 + 1.0;
        }
        start = end;
    }
    out
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut c, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        c += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    c / (va * vb).sqrt()
}

fn exact(c: &mut Criterion) {
    let d = data(1, 10_000, 1_000, 384);
    let input = d.input(5);
    let mut group = c.benchmark_group("knn_shapley");
    group.sample_size(10);
    group.bench_function("exact/n=10000,m=1000,d=384", |b| {
        b.iter(|| black_box(knn_shapley(black_box(&input)).unwrap()))
    });
    group.finish();
}

fn monte_carlo(c: &mut Criterion) {
    let (n, m) = (100, 20);
    let d = data(2, n, m, 384);
    let input = d.input(5);
    let exact = knn_shapley(&input).unwrap();
    let config = |permutations| McConfig {
        permutations,
        truncation_tolerance: 0.01,
        seed: 3,
    };
    let mut chosen = None;
    for perms in [10, 25, 50, 100, 200, 400, 800] {
        let t = std::time::Instant::now();
        let est =
            monte_carlo_shapley(n, &config(perms), |s| knn_utility(&input, s).unwrap()).unwrap();
        let rho = spearman(&est.values, &exact);
        eprintln!(
            "monte carlo n={n} m={m}: {perms:>4} permutations, {:>7} utility calls, {:>8.2?}, spearman vs exact {rho:.4}",
            est.utility_calls,
            t.elapsed()
        );
        if chosen.is_none() && rho >= 0.95 {
            chosen = Some(perms);
        }
    }
    let perms = chosen.unwrap_or(800);
    let mut group = c.benchmark_group("knn_shapley");
    group.sample_size(10);
    group.bench_function(
        BenchmarkId::new(
            "monte_carlo/n=100,m=20,d=384,tol=0.01",
            format!("perms={perms}"),
        ),
        |b| {
            b.iter(|| {
                black_box(
                    monte_carlo_shapley(n, &config(perms), |s| knn_utility(&input, s).unwrap())
                        .unwrap(),
                )
            })
        },
    );
    group.bench_function("exact/n=100,m=20,d=384", |b| {
        b.iter(|| black_box(knn_shapley(black_box(&input)).unwrap()))
    });
    group.finish();
}

/// Three contributors per asset, weights summing to `WEIGHT_TOTAL`.
fn weights(seed: u32) -> BTreeMap<u32, u64> {
    let a = WEIGHT_TOTAL / 2;
    let b = WEIGHT_TOTAL / 3;
    BTreeMap::from([(seed, a), (seed + 1, b), (seed + 2, WEIGHT_TOTAL - a - b)])
}

/// Assets `0..=depth`, asset `i` with parent `i + 1` at 10 %; asset 0 is paid.
fn chain(depth: u32) -> Lineage<u32, u32> {
    let mut l = Lineage::new();
    for i in (0..=depth).rev() {
        let parents = if i == depth {
            Vec::new()
        } else {
            vec![ParentEdge {
                parent: i + 1,
                share_bp: 1_000,
            }]
        };
        l.add_asset(
            i,
            AssetSpec {
                parents,
                weights: weights(i * 3),
            },
        )
        .unwrap();
    }
    l
}

/// Asset 0 with `ancestors` parents of 5 bp each, each parent with its own weights.
fn wide(ancestors: u32) -> Lineage<u32, u32> {
    let mut l = Lineage::new();
    for p in 1..=ancestors {
        l.add_asset(
            p,
            AssetSpec {
                parents: Vec::new(),
                weights: weights(p * 3),
            },
        )
        .unwrap();
    }
    l.add_asset(
        0,
        AssetSpec {
            parents: (1..=ancestors)
                .map(|parent| ParentEdge {
                    parent,
                    share_bp: 5,
                })
                .collect(),
            weights: weights(0),
        },
    )
    .unwrap();
    l
}

fn split(c: &mut Criterion) {
    let amount = 1_000_000_000_000_000u128;
    let mut group = c.benchmark_group("split");
    for depth in [1u32, 10, 100] {
        let l = chain(depth);
        group.bench_function(format!("chain/depth={depth}"), |b| {
            b.iter(|| black_box(l.split(black_box(&0), amount).unwrap()))
        });
    }
    let l = wide(1_000);
    group.bench_function("wide/ancestors=1000", |b| {
        b.iter(|| black_box(l.split(black_box(&0), amount).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, exact, monte_carlo, split);
criterion_main!(benches);
