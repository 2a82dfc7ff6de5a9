//! Property tests: pool invariant (k never decreases, no reserve below the minimum), emission
//! conservation (minted = paid + owner cut + burned, to the unit), exact alpha splits, and a
//! random-operation simulation that checks every accounting invariant after each step
//! (issuance = sum of balances, module custody, alpha outstanding, share value ≥ 1, permits ≤
//! max) with no overflow anywhere.

mod common;

use common::{Sim, key};
use proptest::prelude::*;
use synod_primitives::token::UNIT;
use synod_subnets::Params;
use synod_subnets::emission::{
    PayoutUid, Pending, Q64_ONE, block_emission, injection, payout, split_alpha, tao_shares,
};
use synod_subnets::pool::Reserves;
use synod_subnets::{Hyperparameter, SubnetCall};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pool_k_never_decreases(
        tao in 1u64..u64::MAX / 4,
        alpha in 1u64..u64::MAX / 4,
        min in 0u64..1_000_000,
        trades in prop::collection::vec((any::<bool>(), 1u64..u64::MAX / 8), 1..20),
    ) {
        let mut r = Reserves { tao, alpha };
        for (buy, amount) in trades {
            let res = if buy { r.buy_alpha(amount, min) } else { r.sell_alpha(amount, min) };
            if let Ok((out, next)) = res {
                prop_assert!(out > 0);
                prop_assert!(next.k() >= r.k(), "k decreased");
                let drained = if buy { next.alpha } else { next.tao };
                prop_assert!(drained >= min, "reserve below minimum");
                r = next;
            }
        }
    }

    #[test]
    fn limit_fills_respect_the_limit(
        tao in 1_000_000u64..1u64 << 50,
        alpha in 1_000_000u64..1u64 << 50,
        limit_pct in 1u64..400,
        amount in 1u64..1u64 << 52,
    ) {
        let r = Reserves { tao, alpha };
        let limit = r.price().saturating_mul(limit_pct) / 100;
        let x = r.max_buy_within(limit, amount, 0);
        if x > 0 && let Ok((_, after)) = r.buy_alpha(x, 0) {
            prop_assert!(after.price_at_most(limit));
        }
        let y = r.max_sell_within(limit, amount, 0);
        if y > 0 && let Ok((_, after)) = r.sell_alpha(y, 0) {
            prop_assert!(after.price_at_least(limit));
        }
    }

    #[test]
    fn payout_conserves_to_the_unit(
        server in 0u64..u64::MAX / 4,
        validator in 0u64..u64::MAX / 4,
        owner in 0u64..u64::MAX / 4,
        root_tao in 0u64..u64::MAX / 4,
        uids in prop::collection::vec(
            (0u64..1u64 << 40, 0u64..1u64 << 40, 0u64..1u64 << 50, 0u64..1u64 << 50, any::<bool>()),
            0..40,
        ),
        tao_weight in any::<u64>(),
    ) {
        let uids: Vec<PayoutUid> = uids
            .into_iter()
            .map(|(s, v, a, r, o)| PayoutUid {
                server: s,
                validator: v,
                alpha_stake: a,
                root_stake: r,
                owner_hotkey: o,
            })
            .collect();
        let pending = Pending { server, validator, owner, root_tao };
        let p = payout(&pending, &uids, tao_weight);
        let paid: u128 = p.miner_alpha.iter().chain(&p.validator_alpha).map(|x| u128::from(*x)).sum();
        prop_assert_eq!(
            paid + u128::from(p.owner_alpha) + u128::from(p.burned_alpha),
            u128::from(server) + u128::from(validator) + u128::from(owner)
        );
        let root: u128 = p.root_tao.iter().map(|x| u128::from(*x)).sum();
        prop_assert_eq!(root + u128::from(p.carried_root_tao), u128::from(root_tao));
        for (i, u) in uids.iter().enumerate() {
            if u.owner_hotkey {
                prop_assert_eq!(p.miner_alpha[i], 0);
            }
        }
    }

    #[test]
    fn split_and_shares_are_exact(
        out in any::<u64>(),
        cut in any::<u16>(),
        rp in 0u128..=Q64_ONE,
        emission in 0u64..1u64 << 40,
        prices in prop::collection::vec(0u128..=Q64_ONE, 0..130),
        tao in 1u64..1u64 << 55,
        alpha in 1u64..1u64 << 55,
        alpha_em in 0u64..2_000_000_000,
    ) {
        let s = split_alpha(out, cut, rp);
        prop_assert_eq!(
            u128::from(s.owner) + u128::from(s.server) + u128::from(s.validator) + u128::from(s.root),
            u128::from(out)
        );
        let shares = tao_shares(emission, &prices);
        prop_assert!(shares.iter().map(|x| u128::from(*x)).sum::<u128>() <= u128::from(emission));
        let i = injection(emission, tao, alpha, alpha_em);
        prop_assert!(i.alpha_in <= alpha_em && i.tao_in <= emission);
        // The price never falls from an injection: (τ+t)/(α+a) ≥ τ/α.
        prop_assert!(
            (u128::from(tao) + u128::from(i.tao_in)) * u128::from(alpha)
                >= u128::from(tao) * (u128::from(alpha) + u128::from(i.alpha_in))
        );
    }

    #[test]
    fn block_emission_never_increases(a in any::<u64>(), b in any::<u64>()) {
        let (lo, hi) = (a.min(b), a.max(b));
        let supply = 21_000_000 * UNIT;
        prop_assert!(block_emission(hi, supply, UNIT) <= block_emission(lo, supply, UNIT));
    }
}

#[derive(Clone, Debug)]
enum Op {
    Stake {
        who: usize,
        hot: usize,
        net: u16,
        amount: u64,
    },
    Unstake {
        who: usize,
        hot: usize,
        net: u16,
        pct: u64,
    },
    Move {
        who: usize,
        from: usize,
        to: usize,
        net: u16,
        to_net: u16,
        pct: u64,
    },
    Register {
        who: usize,
    },
    Weights {
        val: usize,
        seed: u64,
    },
    Steps(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, 0..4usize, 0..3u16, 1u64..2_000).prop_map(|(who, hot, net, a)| Op::Stake {
            who,
            hot,
            net,
            amount: a * UNIT / 10
        }),
        (0..4usize, 0..4usize, 0..3u16, 1u64..=100).prop_map(|(who, hot, net, pct)| Op::Unstake {
            who,
            hot,
            net,
            pct
        }),
        (
            0..4usize,
            0..4usize,
            0..4usize,
            0..3u16,
            0..3u16,
            1u64..=100
        )
            .prop_map(|(who, from, to, net, to_net, pct)| Op::Move {
                who,
                from,
                to,
                net,
                to_net,
                pct
            }),
        (0..8usize).prop_map(|who| Op::Register { who }),
        (0..4usize, any::<u64>()).prop_map(|(val, seed)| Op::Weights { val, seed }),
        (1u64..15).prop_map(Op::Steps),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random operations on two subnets and root: every invariant holds after every step,
    /// every epoch conserves its pending emission, and every block's minted SYN is exactly the
    /// issuance increase.
    #[test]
    fn random_operations_keep_every_invariant(ops in prop::collection::vec(op(), 1..60)) {
        let mut sim = Sim::new(Params { network_rate_limit: 0, min_tempo: 1, ..Params::default() });
        let owner = key("owner");
        sim.fund(owner, 1_000_000 * UNIT);
        let hot: Vec<_> = (0..4).map(|i| key(&format!("hot-{i}"))).collect();
        let cold: Vec<_> = (0..4).map(|i| key(&format!("cold-{i}"))).collect();
        let extra: Vec<_> = (0..8).map(|i| (key(&format!("x-c-{i}")), key(&format!("x-h-{i}")))).collect();
        for i in 0..4 {
            sim.fund(cold[i], 100_000 * UNIT);
            sim.bind(cold[i], hot[i]);
        }
        for (c, h) in &extra {
            sim.fund(*c, 1_000 * UNIT);
            sim.bind(*c, *h);
        }
        for (netuid, h) in [(1u16, key("oh-1")), (2, key("oh-2"))] {
            sim.bind(owner, h);
            sim.ok(owner, SubnetCall::RegisterNetwork { hotkey: h, max_lock_cost: u64::MAX });
            for p in [
                Hyperparameter::Tempo(7),
                Hyperparameter::CommitRevealEnabled(false),
                Hyperparameter::WeightsRateLimit(0),
                Hyperparameter::MaxAllowedValidators(3),
                Hyperparameter::MaxAllowedUids(6),
                Hyperparameter::ImmunityPeriod(5),
                Hyperparameter::MinNonImmuneUids(1),
            ] {
                sim.ok(owner, SubnetCall::SetHyperparameter { netuid, param: p });
            }
            for i in 0..4 {
                sim.ok(cold[i], SubnetCall::BurnedRegister { netuid, hotkey: hot[i], max_burn: u64::MAX });
            }
            sim.ok(owner, SubnetCall::StartCall { netuid });
        }
        sim.check_invariants();
        for op in ops {
            match op {
                Op::Stake { who, hot: h, net, amount } => {
                    let _ = sim.call(cold[who], SubnetCall::AddStake {
                        hotkey: hot[h], netuid: net, amount, limit_price: None, allow_partial: false,
                    });
                }
                Op::Unstake { who, hot: h, net, pct } => {
                    let held = sim.stake(net, &hot[h], &cold[who]);
                    let _ = sim.call(cold[who], SubnetCall::RemoveStake {
                        hotkey: hot[h], netuid: net, amount: held * pct / 100, limit_price: None, allow_partial: false,
                    });
                }
                Op::Move { who, from, to, net, to_net, pct } => {
                    let held = sim.stake(net, &hot[from], &cold[who]);
                    let _ = sim.call(cold[who], SubnetCall::MoveStake {
                        origin_hotkey: hot[from], destination_hotkey: hot[to],
                        origin_netuid: net, destination_netuid: to_net, amount: held * pct / 100,
                    });
                }
                Op::Register { who } => {
                    let (c, h) = extra[who];
                    let _ = sim.call(c, SubnetCall::BurnedRegister {
                        netuid: 1 + (who as u16 % 2), hotkey: h, max_burn: u64::MAX,
                    });
                }
                Op::Weights { val, seed } => {
                    for netuid in [1u16, 2] {
                        let n = sim.state(netuid).n;
                        let uids: Vec<u16> = (0..n).collect();
                        let values: Vec<u16> = uids.iter().map(|u| ((seed >> (u % 60)) & 0xff) as u16).collect();
                        let _ = sim.call(hot[val], SubnetCall::SetWeights {
                            netuid, hotkey: hot[val], uids, values, version_key: 0,
                        });
                    }
                }
                Op::Steps(k) => {
                    for _ in 0..k {
                        let before = sim.issuance();
                        let r = sim.step();
                        prop_assert_eq!(sim.issuance(), before + r.minted_tao, "minted = issuance increase");
                        for e in &r.epochs {
                            let p = &e.payout;
                            let paid: u64 = p.miner_alpha.iter().sum::<u64>() + p.validator_alpha.iter().sum::<u64>();
                            prop_assert_eq!(
                                paid + p.owner_alpha + p.burned_alpha,
                                e.pending.server + e.pending.validator + e.pending.owner
                            );
                            prop_assert_eq!(
                                p.root_tao.iter().sum::<u64>() + p.carried_root_tao,
                                e.pending.root_tao
                            );
                        }
                    }
                }
            }
            sim.check_invariants();
        }
    }
}
