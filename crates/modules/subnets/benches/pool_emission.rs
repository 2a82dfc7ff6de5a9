//! Criterion benches of the pure subnet math: pool swaps, limit-order fills (binary search),
//! one block's emission step across 128 subnets, and one epoch payout over 256 UIDs.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synod_subnets::emission::{
    PayoutUid, Pending, Q64_ONE, block_emission, injection, payout, root_proportion, split_alpha,
    tao_shares, update_moving_price,
};
use synod_subnets::pool::Reserves;

const UNIT: u64 = 1_000_000_000;

fn pools(c: &mut Criterion) {
    let r = Reserves {
        tao: 12_345 * UNIT,
        alpha: 67_890 * UNIT,
    };
    c.bench_function("pool/buy_alpha", |b| {
        b.iter(|| black_box(r).buy_alpha(black_box(10 * UNIT), 10_000_000))
    });
    c.bench_function("pool/sell_alpha", |b| {
        b.iter(|| black_box(r).sell_alpha(black_box(10 * UNIT), 10_000_000))
    });
    let limit = r.price() * 11 / 10;
    c.bench_function("pool/max_buy_within_limit", |b| {
        b.iter(|| black_box(r).max_buy_within(black_box(limit), 100_000 * UNIT, 10_000_000))
    });
}

fn emission_step(c: &mut Criterion) {
    let prices: Vec<u128> = (0..128u128).map(|i| Q64_ONE / (i + 2)).collect();
    let reserves: Vec<(u64, u64)> = (0..128u64)
        .map(|i| ((1_000 + i) * UNIT, (2_000 + 3 * i) * UNIT))
        .collect();
    c.bench_function("emission/block_step_128_subnets", |b| {
        b.iter(|| {
            let e = block_emission(black_box(8_000_000 * UNIT), 21_000_000 * UNIT, UNIT);
            let shares = tao_shares(e, &prices);
            let mut acc = 0u64;
            for (i, share) in shares.iter().enumerate() {
                let (t, a) = reserves[i];
                let ae = block_emission(a + 1_000 * UNIT, 21_000_000 * UNIT, UNIT);
                let inj = injection(*share, t, a, ae);
                let rp = root_proportion(971_718_665_099_567_868, 5_000_000 * UNIT, a);
                let s = split_alpha(inj.alpha_out, 11_796, rp);
                let p = update_moving_price(prices[i], Q64_ONE / 3, 3_000, 10_000, 201_600);
                acc = acc.wrapping_add(s.root).wrapping_add(p as u64);
            }
            black_box(acc)
        })
    });
    let uids: Vec<PayoutUid> = (0..256u64)
        .map(|i| PayoutUid {
            server: if i >= 64 { 1_000_000 + i } else { 0 },
            validator: if i < 64 { 5_000_000 + i } else { 0 },
            alpha_stake: (i + 1) * UNIT,
            root_stake: (i % 7) * UNIT,
            owner_hotkey: i == 0,
        })
        .collect();
    let pending = Pending {
        server: 400_000_000,
        validator: 400_000_000,
        owner: 180_000_000,
        root_tao: 3_000_000,
    };
    c.bench_function("emission/epoch_payout_256_uids", |b| {
        b.iter(|| black_box(payout(black_box(&pending), &uids, 971_718_665_099_567_868)))
    });
}

criterion_group!(benches, pools, emission_step);
criterion_main!(benches);
