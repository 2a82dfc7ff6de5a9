//! Seeded synthetic subnets for benchmarks, tests and simulations.
//!
//! Integer-only and dependency-free (a SplitMix64 generator), so the same
//! `(spec, seed)` gives the same [`EpochInput`] everywhere; the numpy reference
//! timings use inputs dumped from here (`examples/bench_input.rs`).

use crate::types::{EpochInput, Hyperparameters, NeuronInput, SparseRow};

/// SplitMix64: small, fast, good enough for test graphs. Not cryptographic.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`0` when `bound == 0`); multiply-shift, negligible bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// `true` with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// Shape of a synthetic subnet: UIDs `0..validators` are staked, permitted,
/// recently active validators; the rest are unstaked miners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphSpec {
    /// Number of UIDs.
    pub n: usize,
    /// Number of validators (the first UIDs).
    pub validators: usize,
    /// Miners each validator weights; `None` weights every miner (dense).
    pub weights_per_validator: Option<usize>,
    /// Hyperparameters to embed (`max_allowed_validators` is set to `validators`).
    pub hyperparameters: Hyperparameters,
}

/// A synthetic epoch input: random stakes (distinct multiples of 10⁶ in
/// `[10⁹, 10¹²]`), random max-upscaled weights, and prior bonds on the same
/// pattern so the EMA has work to do.
pub fn graph(spec: &GraphSpec, seed: u64) -> EpochInput {
    let mut rng = SplitMix64::new(seed);
    let n = spec.n;
    let v = spec.validators.min(n);
    let current_block = 10_000;
    let neurons: Vec<NeuronInput> = (0..n)
        .map(|i| NeuronInput {
            stake: if i < v {
                rng.range(1_000, 1_000_000) * 1_000_000 + i as u64
            } else {
                0
            },
            validator_permit: i < v,
            last_update: if i < v {
                current_block - 1 - rng.below(100)
            } else {
                0
            },
            block_at_registration: rng.below(1_000),
            commit_block: None,
        })
        .collect();

    let miners: Vec<u16> = (v..n).map(|j| j as u16).collect();
    let mut weights: Vec<SparseRow> = vec![Vec::new(); n];
    let mut bonds: Vec<SparseRow> = vec![Vec::new(); n];
    let mut pool = miners.clone();
    for i in 0..v {
        let k = spec
            .weights_per_validator
            .unwrap_or(pool.len())
            .min(pool.len());
        // Partial Fisher–Yates: the first k of `pool` become a random k-subset.
        for a in 0..k {
            let b = a + rng.below((pool.len() - a) as u64) as usize;
            pool.swap(a, b);
        }
        let mut row: SparseRow = pool[..k]
            .iter()
            .map(|&j| (j, rng.range(1, u64::from(u16::MAX)) as u16))
            .collect();
        row.sort_unstable_by_key(|&(j, _)| j);
        if let Some(max) = row.iter_mut().max_by_key(|e| e.1) {
            max.1 = u16::MAX;
        }
        bonds[i] = row
            .iter()
            .map(|&(j, _)| (j, rng.range(1, u64::from(u16::MAX)) as u16))
            .collect();
        weights[i] = row;
    }

    let mut hyperparameters = spec.hyperparameters.clone();
    hyperparameters.max_allowed_validators = u16::try_from(v).unwrap_or(u16::MAX);
    EpochInput {
        hyperparameters,
        current_block,
        last_epoch_block: Some(current_block - 360),
        emission: 1_000_000_000,
        owner_uid: None,
        neurons,
        weights,
        bonds,
    }
}
