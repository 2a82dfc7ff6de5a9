//! Protocol correctness against plaintext, round counts, pools and leakage.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use synod_mpc::shamir::{self, reconstruct, reconstruct_checked};
use synod_mpc::*;

fn sim(n: usize, t: usize, seed: u64) -> Simulation<Fr> {
    Simulation::new(Params::new(n, t).unwrap(), seed).unwrap()
}

const COMMITTEES: [(usize, usize); 6] = [(3, 1), (5, 1), (5, 2), (7, 1), (7, 2), (7, 3)];

fn rand_in(rng: &mut StdRng, ty: IntType) -> i128 {
    let span = (ty.max() - ty.min()) as u128 + 1;
    let r = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) % span;
    ty.min() + r as i128
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn share_reconstruct_round_trip(secret in any::<i64>(), which in 0usize..6, seed in any::<u64>(), subset_seed in any::<u64>()) {
        let (n, t) = COMMITTEES[which];
        let params = Params::new(n, t).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let s: Fr = from_i128(secret.into());
        let shares = shamir::share(s, &params, &mut rng);
        prop_assert_eq!(shares.len(), n);
        let all: Vec<(PartyId, Share<Fr>)> = shares.iter().copied().enumerate().collect();
        prop_assert_eq!(reconstruct_checked(&all, t).unwrap(), s);
        // a random subset of t+1 parties reconstructs
        let mut ids: Vec<PartyId> = (0..n).collect();
        let mut srng = StdRng::seed_from_u64(subset_seed);
        for i in (1..n).rev() {
            let j = (srng.next_u64() % (i as u64 + 1)) as usize;
            ids.swap(i, j);
        }
        let mut pick: Vec<PartyId> = ids[..=t].to_vec();
        pick.sort();
        let pts: Vec<(PartyId, Share<Fr>)> = pick.iter().map(|&i| (i, shares[i])).collect();
        prop_assert_eq!(reconstruct(&pts, t).unwrap(), s);
        // t shares are not enough
        prop_assert!(reconstruct(&pts[..t], t).is_err());
    }

    #[test]
    fn linear_ops_are_local(a in any::<i64>(), b in any::<i64>(), c in any::<i32>(), which in 0usize..6, seed in any::<u64>()) {
        let (n, t) = COMMITTEES[which];
        let params = Params::new(n, t).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let sa = shamir::share(from_i128::<Fr>(a.into()), &params, &mut rng);
        let sb = shamir::share(from_i128::<Fr>(b.into()), &params, &mut rng);
        let cf: Fr = from_i128(c.into());
        let ops: Vec<(Vec<Share<Fr>>, i128)> = vec![
            (sa.iter().zip(&sb).map(|(x, y)| *x + *y).collect(), i128::from(a) + i128::from(b)),
            (sa.iter().zip(&sb).map(|(x, y)| *x - *y).collect(), i128::from(a) - i128::from(b)),
            (sa.iter().map(|x| x.mul_public(cf)).collect(), i128::from(a) * i128::from(c)),
            (sa.iter().map(|x| x.add_public(cf)).collect(), i128::from(a) + i128::from(c)),
            (sa.iter().map(|x| -*x).collect(), -i128::from(a)),
        ];
        for (shares, expect) in ops {
            let pts: Vec<(PartyId, Share<Fr>)> = shares.into_iter().enumerate().collect();
            prop_assert_eq!(to_i128(reconstruct_checked(&pts, t).unwrap()), Some(expect));
        }
    }

    #[test]
    fn batched_mul_matches_plaintext(vals in prop::collection::vec((any::<i64>(), any::<i64>()), 1..40), which in 0usize..6, seed in any::<u64>()) {
        let (n, t) = COMMITTEES[which];
        let mut s = sim(n, t, seed);
        let a = dealt(&mut s, &vals.iter().map(|v| i128::from(v.0)).collect::<Vec<_>>());
        let b = dealt(&mut s, &vals.iter().map(|v| i128::from(v.1)).collect::<Vec<_>>());
        let out = s.run(async |p| {
            let r0 = p.rounds().online;
            let c = p.mul(&a[p.id()], &b[p.id()]).await?;
            Ok((c, p.rounds().online - r0))
        }).unwrap();
        let shares: Vec<Vec<Share<Fr>>> = out.iter().map(|o| o.0.clone()).collect();
        let got = s.reconstruct(&shares).unwrap();
        for (g, v) in got.iter().zip(&vals) {
            prop_assert_eq!(to_i128(*g), Some(i128::from(v.0) * i128::from(v.1)));
        }
        prop_assert!(out.iter().all(|o| o.1 == 1));
    }

    #[test]
    fn comparisons_match_plaintext_random_i64(vals in prop::collection::vec((any::<i64>(), any::<i64>()), 1..5), seed in any::<u64>()) {
        let mut s = sim(3, 1, seed);
        let av: Vec<i128> = vals.iter().map(|v| i128::from(v.0)).collect();
        let bv: Vec<i128> = vals.iter().map(|v| i128::from(v.1)).collect();
        let a = dealt(&mut s, &av);
        let b = dealt(&mut s, &bv);
        let ops = [CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
        let req = Requirements::compare(IntType::I64, 4 * vals.len() as u64);
        let out = s.run(async |p| {
            p.preprocess(&req).await?;
            let mut res = Vec::new();
            for op in ops {
                let c = p.compare(op, &a[p.id()], &b[p.id()], IntType::I64).await?;
                res.push(p.open(&c).await?);
            }
            Ok(res)
        }).unwrap();
        for (oi, op) in ops.iter().enumerate() {
            for (k, (x, y)) in av.iter().zip(&bv).enumerate() {
                prop_assert_eq!(to_i128(out[0][oi][k]), Some(i128::from(op.eval(*x, *y))));
            }
        }
    }
}

#[test]
fn inner_products_in_one_round() {
    for (n, t) in [(3, 1), (5, 2), (7, 3)] {
        let mut s = sim(n, t, 11);
        let mut rng = StdRng::seed_from_u64(5);
        let lens = [1usize, 3, 10, 0, 7];
        let xs: Vec<Vec<i128>> = lens
            .iter()
            .map(|&l| (0..l).map(|_| i128::from(rng.random::<i32>())).collect())
            .collect();
        let ys: Vec<Vec<i128>> = lens
            .iter()
            .map(|&l| (0..l).map(|_| i128::from(rng.random::<i32>())).collect())
            .collect();
        let xsh: Vec<Vec<Vec<Share<Fr>>>> = xs.iter().map(|v| dealt(&mut s, v)).collect();
        let ysh: Vec<Vec<Vec<Share<Fr>>>> = ys.iter().map(|v| dealt(&mut s, v)).collect();
        let out = s
            .run(async |p| {
                let a: Vec<Vec<Share<Fr>>> = xsh.iter().map(|v| v[p.id()].clone()).collect();
                let b: Vec<Vec<Share<Fr>>> = ysh.iter().map(|v| v[p.id()].clone()).collect();
                let r0 = p.rounds().online;
                let ip = p.inner_products(&a, &b).await?;
                let rounds = p.rounds().online - r0;
                Ok((p.open(&ip).await?, rounds))
            })
            .unwrap();
        for (k, (x, y)) in xs.iter().zip(&ys).enumerate() {
            let expect: i128 = x.iter().zip(y).map(|(a, b)| a * b).sum();
            assert_eq!(to_i128(out[0].0[k]), Some(expect), "n={n}");
        }
        assert!(out.iter().all(|o| o.1 == 1));
    }
}

#[test]
fn comparisons_on_edge_values_all_types() {
    let ops = [CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
    for ty in std_types() {
        let edges: Vec<i128> = edge_values(ty)
            .into_iter()
            .filter(|v| [0, 1, -1, ty.min(), ty.min() + 1, ty.max(), ty.max() - 1].contains(v))
            .collect();
        let mut av = Vec::new();
        let mut bv = Vec::new();
        for x in &edges {
            for y in &edges {
                av.push(*x);
                bv.push(*y);
            }
        }
        let mut s = sim(3, 1, 100 + u64::from(ty.bits));
        let a = dealt(&mut s, &av);
        let b = dealt(&mut s, &bv);
        let req = Requirements::compare(ty, 4 * av.len() as u64);
        let out = s
            .run(async |p| {
                p.preprocess(&req).await?;
                let mut res = Vec::new();
                for op in ops {
                    let r0 = p.rounds().online;
                    let c = p.compare(op, &a[p.id()], &b[p.id()], ty).await?;
                    let rounds = p.rounds().online - r0;
                    res.push((p.open(&c).await?, rounds));
                }
                Ok(res)
            })
            .unwrap();
        for (oi, op) in ops.iter().enumerate() {
            assert!(out[0][oi].1 <= 4, "{ty:?} rounds {}", out[0][oi].1);
            for k in 0..av.len() {
                assert_eq!(
                    to_i128(out[0][oi].0[k]),
                    Some(i128::from(op.eval(av[k], bv[k]))),
                    "{ty:?} {op:?} {} {}",
                    av[k],
                    bv[k]
                );
            }
        }
    }
}

#[test]
fn comparisons_random_values_larger_committees() {
    for (n, t, ty) in [
        (5, 2, IntType::U64),
        (7, 3, IntType::I32),
        (5, 1, IntType::signed(17)),
    ] {
        let mut s = sim(n, t, 7);
        let mut rng = StdRng::seed_from_u64(n as u64);
        let av: Vec<i128> = (0..12).map(|_| rand_in(&mut rng, ty)).collect();
        let mut bv: Vec<i128> = (0..12).map(|_| rand_in(&mut rng, ty)).collect();
        bv[0] = av[0];
        let a = dealt(&mut s, &av);
        let b = dealt(&mut s, &bv);
        let req = Requirements::compare(ty, av.len() as u64);
        let out = s
            .run(async |p| {
                p.preprocess(&req).await?;
                let c = p.le(&a[p.id()], &b[p.id()], ty).await?;
                p.open(&c).await
            })
            .unwrap();
        for k in 0..av.len() {
            assert_eq!(to_i128(out[0][k]), Some(i128::from(av[k] <= bv[k])));
        }
    }
}

#[test]
fn equality_on_edge_and_random_values() {
    for ty in std_types() {
        let edges = edge_values(ty);
        let mut av = Vec::new();
        let mut bv = Vec::new();
        for x in &edges {
            for y in &edges {
                av.push(*x);
                bv.push(*y);
            }
        }
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..6 {
            let v = rand_in(&mut rng, ty);
            av.push(v);
            bv.push(v);
            av.push(v);
            bv.push(rand_in(&mut rng, ty));
        }
        let mut s = sim(3, 1, 200 + u64::from(ty.bits));
        let a = dealt(&mut s, &av);
        let b = dealt(&mut s, &bv);
        let req = Requirements::equal(ty, av.len() as u64);
        let out = s
            .run(async |p| {
                p.preprocess(&req).await?;
                let r0 = p.rounds().online;
                let e = p.equal(&a[p.id()], &b[p.id()], ty).await?;
                let rounds = p.rounds().online - r0;
                Ok((p.open(&e).await?, rounds))
            })
            .unwrap();
        assert!(out[0].1 <= 4);
        for k in 0..av.len() {
            assert_eq!(
                to_i128(out[0].0[k]),
                Some(i128::from(av[k] == bv[k])),
                "{ty:?} {} {}",
                av[k],
                bv[k]
            );
        }
    }
}

#[test]
fn probabilistic_truncation_error_at_most_one() {
    for (ty, ms) in [
        (IntType::I64, vec![1u32, 8, 16, 40, 63]),
        (IntType::U64, vec![1, 32, 64]),
        (IntType::I32, vec![1, 5, 31]),
        (IntType::signed(8), vec![1, 3, 7]),
    ] {
        let mut rng = StdRng::seed_from_u64(3);
        let mut vals = edge_values(ty);
        for _ in 0..8 {
            vals.push(rand_in(&mut rng, ty));
        }
        let mut s = sim(3, 1, 300 + u64::from(ty.bits));
        let x = dealt(&mut s, &vals);
        let mut req = Requirements::new();
        for m in &ms {
            req.merge(&Requirements::trunc(*m, vals.len() as u64));
        }
        let out = s
            .run(async |p| {
                p.preprocess(&req).await?;
                let mut res = Vec::new();
                for m in &ms {
                    let r0 = p.rounds().online;
                    let tr = p.trunc_pr(&x[p.id()], *m, ty).await?;
                    assert_eq!(p.rounds().online - r0, 1);
                    res.push(p.open(&tr).await?);
                }
                Ok(res)
            })
            .unwrap();
        for (mi, m) in ms.iter().enumerate() {
            for (k, v) in vals.iter().enumerate() {
                let floor = v.div_euclid(1i128 << m);
                let got = to_i128(out[0][mi][k]).unwrap();
                assert!(
                    got == floor || got == floor + 1,
                    "{ty:?} m={m} x={v} got {got}"
                );
            }
        }
    }
}

#[test]
fn truncation_rounds_up_with_the_right_probability() {
    // x = 2^(m-1) (mod 2^m) rounds up with probability 1/2.
    let m = 12u32;
    let count = 400usize;
    let vals: Vec<i128> = (0..count as i128)
        .map(|k| k * (1 << m) + (1 << (m - 1)) - 5000 * (1 << m))
        .collect();
    let mut s = sim(3, 1, 17);
    let x = dealt(&mut s, &vals);
    let req = Requirements::trunc(m, count as u64);
    let out = s
        .run(async |p| {
            p.preprocess(&req).await?;
            let tr = p.trunc_pr(&x[p.id()], m, IntType::I32).await?;
            p.open(&tr).await
        })
        .unwrap();
    let ups = vals
        .iter()
        .zip(&out[0])
        .filter(|(v, g)| to_i128(**g).unwrap() == v.div_euclid(1 << m) + 1)
        .count();
    assert!((140..=260).contains(&ups), "rounded up {ups} of {count}");
}

#[test]
fn division_and_modulo_by_public_divisors() {
    let cases: Vec<(IntType, Vec<i128>)> = vec![
        (
            IntType::U64,
            vec![
                1,
                2,
                3,
                7,
                10,
                255,
                256,
                1_000_003,
                (1 << 32) + 1,
                u64::MAX as i128,
                1 << 63,
            ],
        ),
        (
            IntType::I64,
            vec![
                1,
                -1,
                3,
                -3,
                10,
                -10,
                1 << 20,
                i64::MAX as i128,
                1 << 63,
                -(1 << 63),
            ],
        ),
        (IntType::I32, vec![7, -7, 1 << 31]),
        (IntType::unsigned(8), vec![3, 200]),
        (IntType::signed(16), vec![5, -300]),
    ];
    for (ty, divisors) in cases {
        let mut rng = StdRng::seed_from_u64(41);
        let mut vals = edge_values(ty);
        for _ in 0..4 {
            vals.push(rand_in(&mut rng, ty));
        }
        let mut s = sim(3, 1, 400 + u64::from(ty.bits));
        let x = dealt(&mut s, &vals);
        let mut req = Requirements::new();
        for d in &divisors {
            req.merge(&Requirements::div(*d, vals.len() as u64));
        }
        let out = s
            .run(async |p| {
                p.preprocess(&req).await?;
                let mut res = Vec::new();
                for d in &divisors {
                    let r0 = p.rounds().online;
                    let (q, r) = p.div_rem_public(&x[p.id()], *d, ty).await?;
                    let rounds = p.rounds().online - r0;
                    res.push((p.open(&q).await?, p.open(&r).await?, rounds));
                }
                Ok(res)
            })
            .unwrap();
        for (di, d) in divisors.iter().enumerate() {
            assert!(out[0][di].2 <= 4, "rounds {}", out[0][di].2);
            for (k, v) in vals.iter().enumerate() {
                assert_eq!(
                    to_i128(out[0][di].0[k]),
                    Some(v.div_euclid(*d)),
                    "{ty:?} {v} / {d}"
                );
                assert_eq!(
                    to_i128(out[0][di].1[k]),
                    Some(v.rem_euclid(*d)),
                    "{ty:?} {v} % {d}"
                );
            }
        }
    }
}

#[test]
fn division_in_larger_committee() {
    let mut s = sim(5, 2, 77);
    let vals = vec![
        0i128,
        1,
        -1,
        12345,
        -98765,
        i64::MIN as i128,
        i64::MAX as i128,
    ];
    let x = dealt(&mut s, &vals);
    let req = Requirements::div(7, vals.len() as u64);
    let out = s
        .run(async |p| {
            p.preprocess(&req).await?;
            let q = p.div_public(&x[p.id()], 7, IntType::I64).await?;
            let r = p.rem_public(&x[p.id()], 7, IntType::I64).await;
            // the pool is now empty: the second call must fail before sending
            assert!(matches!(r, Err(MpcError::PreprocessingExhausted { .. })));
            p.open(&q).await
        })
        .unwrap();
    for (k, v) in vals.iter().enumerate() {
        assert_eq!(to_i128(out[0][k]), Some(v.div_euclid(7)));
    }
}

#[test]
fn mux_selects() {
    let mut s = sim(5, 2, 5);
    let c = dealt(&mut s, &[0, 1, 1, 0]);
    let a = dealt(&mut s, &[10, -20, i64::MAX as i128, 4]);
    let b = dealt(&mut s, &[-7, 30, i64::MIN as i128, 4]);
    let out = s
        .run(async |p| {
            let i = p.id();
            let m = p.mux(&c[i], &a[i], &b[i]).await?;
            p.open(&m).await
        })
        .unwrap();
    assert_eq!(dec(&out[0]), vec![-7, -20, i64::MAX as i128, 4]);
}

#[test]
fn comparison_result_drives_mux() {
    // max(a, b) = (a > b) ? a : b
    let mut s = sim(3, 1, 6);
    let av = [5i128, -9, 0, i64::MIN as i128];
    let bv = [3i128, 4, 0, i64::MAX as i128];
    let a = dealt(&mut s, &av);
    let b = dealt(&mut s, &bv);
    let req = Requirements::compare(IntType::I64, 4);
    let out = s
        .run(async |p| {
            p.preprocess(&req).await?;
            let i = p.id();
            let gt = p.gt(&a[i], &b[i], IntType::I64).await?;
            let m = p.mux(&gt, &a[i], &b[i]).await?;
            p.open(&m).await
        })
        .unwrap();
    let expect: Vec<i128> = av.iter().zip(&bv).map(|(x, y)| *x.max(y)).collect();
    assert_eq!(dec(&out[0]), expect);
}

#[test]
fn input_and_reveal_to_one_party_only() {
    for (n, t) in [(3, 1), (5, 2), (7, 3)] {
        let opts = SimOptions {
            wire_encoding: false,
            record_transcript: true,
        };
        let mut s = Simulation::<Fr>::with_options(Params::new(n, t).unwrap(), 3, opts).unwrap();
        let owner = n - 1;
        let target = 1;
        let vals = enc(&[42, -1, 7]);
        let shares = s
            .run(async |p| {
                let mine = (p.id() == owner).then_some(vals.as_slice());
                p.input(owner, mine, 3).await
            })
            .unwrap();
        let _ = s.take_transcript();
        let out = s
            .run(async |p| {
                let sh = shares[p.id()].clone();
                p.reveal_to(target, &sh).await
            })
            .unwrap();
        let transcript = s.take_transcript();
        for (i, o) in out.iter().enumerate() {
            if i == target {
                assert_eq!(o.as_deref(), Some(vals.as_slice()));
            } else {
                assert!(o.is_none());
            }
        }
        // Every message carrying data went to the target; nobody else
        // received a single field element.
        assert!(!transcript.is_empty());
        for m in &transcript {
            if m.to != target {
                assert!(m.payload.is_empty(), "party {} got data", m.to);
            }
        }
        let to_target = transcript.iter().filter(|m| m.to == target).count();
        assert_eq!(to_target, n - 1);
    }
}

#[test]
fn round_counts() {
    let mut s = sim(3, 1, 8);
    let a = dealt(&mut s, &[1, 2, 3]);
    let b = dealt(&mut s, &[3, 2, 1]);
    let mut req = Requirements::compare(IntType::I64, 3);
    req.merge(&Requirements::equal(IntType::I64, 3))
        .merge(&Requirements::compare(IntType::I32, 3))
        .merge(&Requirements::compare(IntType::signed(8), 3))
        .merge(&Requirements::trunc(16, 3))
        .merge(&Requirements::div(1_000_000_007, 3));
    let out = s
        .run(async |p| {
            let i = p.id();
            let r_setup = p.rounds();
            p.preprocess(&req).await?;
            let prep = p.rounds().preprocessing - r_setup.preprocessing;
            let mut counts = Vec::new();
            macro_rules! count {
                ($e:expr) => {{
                    let r0 = p.rounds().online;
                    let _ = $e;
                    counts.push(p.rounds().online - r0);
                }};
            }
            count!(p.mul(&a[i], &b[i]).await?);
            count!(p.lt(&a[i], &b[i], IntType::I64).await?);
            count!(p.equal(&a[i], &b[i], IntType::I64).await?);
            count!(p.lt(&a[i], &b[i], IntType::I32).await?);
            count!(p.lt(&a[i], &b[i], IntType::signed(8)).await?);
            count!(p.trunc_pr(&a[i], 16, IntType::I64).await?);
            count!(p.div_public(&a[i], 1_000_000_007, IntType::I64).await?);
            count!(p.open(&a[i]).await?);
            Ok((counts, prep, p.rounds()))
        })
        .unwrap();
    let (counts, prep, total) = &out[0];
    eprintln!(
        "online rounds [mul, lt64, eq64, lt32, lt8, trunc, div, open] = {counts:?}; preprocessing rounds {prep}; totals {total:?}"
    );
    // 1e9+7 has 30 bits: 4 digits, a 2-level tree, so 3 rounds.
    assert_eq!(counts, &vec![1, 4, 4, 3, 1, 1, 3, 1]);
    assert_eq!(total.setup, 1);
    assert!(*prep > 0);
    // every party counted the same
    assert!(out.iter().all(|o| o.0 == *counts && o.2 == *total));
}

#[test]
fn preprocessing_round_count_for_64_bit_comparisons() {
    let mut s = sim(3, 1, 9);
    let out = s
        .run(async |p| {
            p.preprocess(&Requirements::compare(IntType::I64, 10))
                .await?;
            Ok(p.rounds())
        })
        .unwrap();
    // XOR bits: 1 input + 1 multiplication round; one-hot tree: 3 rounds.
    assert_eq!(out[0].preprocessing, 5);
    assert_eq!(out[0].online, 0);
}

#[test]
fn pools_are_checked_before_anything_is_sent() {
    let mut s = sim(3, 1, 10);
    let a = dealt(&mut s, &[1, 2]);
    let req = Requirements::compare(IntType::U32, 2);
    let out = s
        .run(async |p| {
            let i = p.id();
            assert_eq!(
                p.pool().check(&req),
                Err(MpcError::PreprocessingExhausted {
                    kind: PrepKind::DigitMask { bits: 32 },
                    needed: 2,
                    available: 0
                })
            );
            let r0 = p.rounds();
            let err = p.lt(&a[i], &a[i], IntType::U32).await;
            assert!(matches!(err, Err(MpcError::PreprocessingExhausted { .. })));
            assert_eq!(p.rounds(), r0, "no round may be spent on a refused op");
            p.preprocess(&req).await?;
            assert_eq!(p.pool().check(&req), Ok(()));
            assert_eq!(p.pool().available(PrepKind::DigitMask { bits: 32 }), 2);
            p.lt(&a[i], &a[i], IntType::U32).await?;
            let c = p.pool().counter(PrepKind::DigitMask { bits: 32 });
            assert_eq!((c.generated, c.consumed), (2, 2));
            assert_eq!(p.pool().available(PrepKind::DigitMask { bits: 32 }), 0);
            Ok(())
        })
        .unwrap();
    assert_eq!(out.len(), 3);
}

#[test]
fn random_bits_both_methods() {
    for method in [BitMethod::Xor, BitMethod::SquareRoot] {
        for (n, t) in [(3, 1), (5, 2), (7, 3)] {
            let mut s = sim(n, t, 12);
            s.set_bit_method(method);
            let out = s
                .run(async |p| {
                    p.preprocess(&Requirements::bits(64)).await?;
                    let b = p.take_random_bits(64)?;
                    p.open(&b).await
                })
                .unwrap();
            let bits = dec(&out[0]);
            assert!(bits.iter().all(|b| *b == 0 || *b == 1), "{method:?}");
            let ones = bits.iter().filter(|b| **b == 1).count();
            assert!(
                (12..=52).contains(&ones),
                "{method:?} n={n}: {ones} ones of 64"
            );
        }
    }
}

#[test]
fn comparisons_with_square_root_bits() {
    let mut s = sim(3, 1, 13);
    s.set_bit_method(BitMethod::SquareRoot);
    let av = [-3i128, 100, 7];
    let bv = [2i128, -100, 7];
    let a = dealt(&mut s, &av);
    let b = dealt(&mut s, &bv);
    let req = Requirements::compare(IntType::I64, 3);
    let out = s
        .run(async |p| {
            p.preprocess(&req).await?;
            let c = p.ge(&a[p.id()], &b[p.id()], IntType::I64).await?;
            p.open(&c).await
        })
        .unwrap();
    assert_eq!(dec(&out[0]), vec![0, 1, 1]);
}

#[test]
fn wire_encoding_mode_gives_same_results_and_counts_bytes() {
    let run = |wire: bool| {
        let opts = SimOptions {
            wire_encoding: wire,
            record_transcript: false,
        };
        let mut s = Simulation::<Fr>::with_options(Params::new(3, 1).unwrap(), 21, opts).unwrap();
        let a = dealt(&mut s, &[5, -6]);
        let b = dealt(&mut s, &[-6, 5]);
        let req = Requirements::compare(IntType::I64, 2);
        s.run(async |p| p.preprocess(&req).await).unwrap();
        let before = s.network().stats();
        let out = s
            .run(async |p| {
                let c = p.lt(&a[p.id()], &b[p.id()], IntType::I64).await?;
                p.open(&c).await
            })
            .unwrap();
        let after = s.network().stats();
        (
            dec(&out[0]),
            after.bytes - before.bytes,
            after.elements - before.elements,
        )
    };
    let (plain, bytes_a, elems_a) = run(false);
    let (wired, bytes_b, elems_b) = run(true);
    assert_eq!(plain, vec![0, 1]);
    assert_eq!(plain, wired);
    assert_eq!((bytes_a, elems_a), (bytes_b, elems_b));
    eprintln!("two 64-bit comparisons + opening, n=3: {bytes_a} bytes online ({elems_a} elements)");
}

#[test]
fn simulation_is_deterministic() {
    let run = || {
        let opts = SimOptions {
            wire_encoding: false,
            record_transcript: true,
        };
        let mut s = Simulation::<Fr>::with_options(Params::new(5, 2).unwrap(), 99, opts).unwrap();
        let a = dealt(&mut s, &[1, 2, 3]);
        s.run(async |p| {
            p.preprocess(&Requirements::compare(IntType::U32, 3))
                .await?;
            let c = p.lt(&a[p.id()], &a[p.id()], IntType::U32).await?;
            p.mul(&c, &a[p.id()]).await
        })
        .unwrap();
        s.take_transcript()
    };
    assert_eq!(run(), run());
}

#[test]
fn invalid_arguments_are_errors_not_panics() {
    let mut s = sim(3, 1, 14);
    let a = dealt(&mut s, &[1, 2]);
    let b = dealt(&mut s, &[1]);
    let out = s
        .run(async |p| {
            let i = p.id();
            assert!(matches!(
                p.mul(&a[i], &b[i]).await,
                Err(MpcError::LengthMismatch { .. })
            ));
            assert!(p.div_public(&a[i], 0, IntType::I64).await.is_err());
            assert!(p.div_public(&a[i], -3, IntType::U64).await.is_err());
            assert!(p.trunc_pr(&a[i], 0, IntType::I64).await.is_err());
            assert!(p.lt(&a[i], &a[i], IntType::signed(65)).await.is_err());
            assert!(p.reveal_to(9, &a[i]).await.is_err());
            assert!(
                p.preprocess(&Requirements::compare(IntType::signed(0), 1))
                    .await
                    .is_err()
            );
            Ok(())
        })
        .unwrap();
    assert_eq!(out.len(), 3);
    assert!(Params::new(4, 2).is_err());
    assert!(Params::new(17, 1).is_err());
}
