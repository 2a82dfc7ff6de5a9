//! Shared helpers for the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use synod_mpc::{Fr, IntType, Share, Simulation, from_i128, to_i128};

/// Edge values of a type: 0, ±1, min, max and neighbours, clipped to range.
pub fn edge_values(ty: IntType) -> Vec<i128> {
    let cands = [
        0,
        1,
        -1,
        2,
        -2,
        ty.min(),
        ty.min() + 1,
        ty.max(),
        ty.max() - 1,
        ty.max() / 2,
        ty.min() / 2,
    ];
    let mut v: Vec<i128> = cands.into_iter().filter(|x| ty.contains(*x)).collect();
    v.sort();
    v.dedup();
    v
}

pub fn enc(v: &[i128]) -> Vec<Fr> {
    v.iter().map(|x| from_i128(*x)).collect()
}

pub fn dec(v: &[Fr]) -> Vec<i128> {
    v.iter().map(|x| to_i128(*x).unwrap()).collect()
}

/// Per-party slices of dealt shares.
pub fn dealt(sim: &mut Simulation<Fr>, v: &[i128]) -> Vec<Vec<Share<Fr>>> {
    sim.deal(&enc(v))
}

/// All 8/16/32/64-bit signed and unsigned types.
pub fn std_types() -> Vec<IntType> {
    let mut v = Vec::new();
    for bits in [8, 16, 32, 64] {
        v.push(IntType::signed(bits));
        v.push(IntType::unsigned(bits));
    }
    v
}
