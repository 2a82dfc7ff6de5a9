//! End-to-end flows of the subnet module on an in-memory state: subnet creation, registration,
//! weights, Yuma epochs and payouts, commit-reveal with the UID-sniping mask, limit orders,
//! stake moves with nominators, root stake, pruning and subnet dissolution. Every test checks
//! the accounting invariants along the way.

mod common;

use common::{Sim, key};
use synod_bank as bank;
use synod_primitives::AccountId;
use synod_primitives::token::UNIT;
use synod_runtime::Event;
use synod_storage::delta::Overlay;
use synod_subnets::Params;
use synod_subnets::SubnetEvent;
use synod_subnets::state;
use synod_subnets::{Hyperparameter, SubnetCall, SubnetFailure, weights_commit_hash};

fn params() -> Params {
    Params {
        network_rate_limit: 0,
        min_tempo: 1,
        ..Params::default()
    }
}

struct Net {
    sim: Sim,
    netuid: u16,
    owner: AccountId,
    owner_hot: AccountId,
    vals: Vec<(AccountId, AccountId)>,
    miners: Vec<(AccountId, AccountId)>,
}

fn hp(sim: &mut Sim, owner: AccountId, netuid: u16, p: Hyperparameter) {
    sim.ok(owner, SubnetCall::SetHyperparameter { netuid, param: p });
}

/// A started subnet with `v` validators and `m` miners, tempo 10, commit-reveal off.
fn network(v: usize, m: usize) -> Net {
    let mut sim = Sim::new(params());
    let owner = key("owner");
    let owner_hot = key("owner-hot");
    sim.fund(owner, 1_000_000 * UNIT);
    sim.bind(owner, owner_hot);
    let ev = sim.ok(
        owner,
        SubnetCall::RegisterNetwork {
            hotkey: owner_hot,
            max_lock_cost: u64::MAX,
        },
    );
    let netuid = match &ev[0] {
        Event::Subnet(SubnetEvent::NetworkRegistered { netuid, .. }) => *netuid,
        e => panic!("{e:?}"),
    };
    assert_eq!(netuid, 1);
    for p in [
        Hyperparameter::Tempo(10),
        Hyperparameter::CommitRevealEnabled(false),
        Hyperparameter::WeightsRateLimit(0),
        Hyperparameter::ActivityCutoff(1_000),
        Hyperparameter::MaxAllowedValidators(8),
    ] {
        hp(&mut sim, owner, netuid, p);
    }
    let reg = |sim: &mut Sim, role: &str, i: usize| {
        let (c, h) = (
            key(&format!("{role}-cold-{i}")),
            key(&format!("{role}-hot-{i}")),
        );
        sim.fund(c, 10_000 * UNIT);
        sim.bind(c, h);
        sim.ok(
            c,
            SubnetCall::BurnedRegister {
                netuid,
                hotkey: h,
                max_burn: u64::MAX,
            },
        );
        (c, h)
    };
    let vals: Vec<_> = (0..v).map(|i| reg(&mut sim, "val", i)).collect();
    let miners: Vec<_> = (0..m).map(|i| reg(&mut sim, "miner", i)).collect();
    sim.ok(owner, SubnetCall::StartCall { netuid });
    for (i, (c, h)) in vals.iter().enumerate() {
        sim.ok(
            *c,
            SubnetCall::AddStake {
                hotkey: *h,
                netuid,
                amount: 100 * (i as u64 + 1) * UNIT,
                limit_price: None,
                allow_partial: false,
            },
        );
    }
    sim.check_invariants();
    Net {
        sim,
        netuid,
        owner,
        owner_hot,
        vals,
        miners,
    }
}

/// Steps until the subnet's next epoch has run; returns its report. Checks that every epoch
/// that ran carries its event (the executor puts them in the block's end-block receipt).
fn until_epoch(sim: &mut Sim, netuid: u16) -> synod_subnets::coinbase::EpochReport {
    for _ in 0..10_000 {
        let h = sim.height;
        let r = sim.step();
        for e in &r.epochs {
            match &e.event {
                Some(SubnetEvent::EpochRun { netuid, block, .. }) => {
                    assert_eq!((*netuid, *block), (e.netuid, h), "event names its epoch");
                }
                Some(other) => panic!("unexpected epoch event {other:?}"),
                // Yuma refused the stored input: the pending emission is kept, no event.
                None => {}
            }
        }
        if let Some(e) = r.epochs.into_iter().find(|e| e.netuid == netuid) {
            return e;
        }
    }
    panic!("no epoch");
}

fn conserve(e: &synod_subnets::coinbase::EpochReport) {
    let p = &e.payout;
    let paid: u64 = p.miner_alpha.iter().sum::<u64>() + p.validator_alpha.iter().sum::<u64>();
    assert_eq!(
        paid + p.owner_alpha + p.burned_alpha,
        e.pending.server + e.pending.validator + e.pending.owner,
        "alpha conservation"
    );
    assert_eq!(
        p.root_tao.iter().sum::<u64>() + p.carried_root_tao,
        e.pending.root_tao,
        "root SYN conservation"
    );
    // The epoch's event reports the same payout.
    match e.event.clone().expect("event") {
        SubnetEvent::EpochRun {
            netuid,
            miner_alpha,
            validator_alpha,
            owner_alpha,
            burned_alpha,
            root_tao,
            carried_root_tao,
            ..
        } => {
            assert_eq!(netuid, e.netuid);
            assert_eq!(miner_alpha, p.miner_alpha.iter().sum::<u64>());
            assert_eq!(validator_alpha, p.validator_alpha.iter().sum::<u64>());
            assert_eq!(owner_alpha, p.owner_alpha);
            assert_eq!(burned_alpha, p.burned_alpha);
            assert_eq!(root_tao, p.root_tao.iter().sum::<u64>());
            assert_eq!(carried_root_tao, p.carried_root_tao);
            assert_eq!(
                miner_alpha + validator_alpha + owner_alpha + burned_alpha,
                e.pending.server + e.pending.validator + e.pending.owner
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn epoch_events_name_the_block_index_and_totals() {
    let mut net = network(2, 3);
    let n = net.netuid;
    let e1 = until_epoch(&mut net.sim, n);
    let block1 = net.sim.height - 1;
    let e2 = until_epoch(&mut net.sim, n);
    let block2 = net.sim.height - 1;
    for (e, block) in [(&e1, block1), (&e2, block2)] {
        conserve(e);
        match e.event.clone().expect("event") {
            SubnetEvent::EpochRun {
                block: b,
                epoch_index,
                ..
            } => {
                assert_eq!(b, block);
                assert_eq!(
                    epoch_index,
                    net.sim.state(n).epoch_index - u64::from(b == block1)
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(block2 - block1, 10, "one epoch per tempo");
    // Emission flowed between the two epochs, so the second one paid something.
    match e2.event.expect("event") {
        SubnetEvent::EpochRun {
            miner_alpha,
            validator_alpha,
            owner_alpha,
            ..
        } => assert!(miner_alpha + validator_alpha > 0 && owner_alpha > 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn genesis_parameters_drive_new_subnets_and_the_network_rate_limit() {
    let mut p = Params {
        network_rate_limit: 5,
        min_tempo: 1,
        ..Params::default()
    };
    p.default_hyperparams.tempo = 77;
    p.default_hyperparams.max_allowed_uids = 64;
    p.default_hyperparams.commit_reveal_enabled = false;
    p.validate().expect("valid");
    let mut sim = Sim::new(p.clone());
    let o = key("o");
    sim.fund(o, 1_000_000 * UNIT);
    let hot: Vec<AccountId> = (0..2).map(|i| key(&format!("o-hot-{i}"))).collect();
    for h in &hot {
        sim.bind(o, *h);
    }
    let create = |sim: &mut Sim, h: AccountId| {
        sim.call(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: h,
                max_lock_cost: u64::MAX,
            },
        )
    };
    let at = sim.height;
    create(&mut sim, hot[0]).expect("first subnet");
    let info = synod_subnets::query::hyperparams(&sim.mem, 1)
        .expect("read")
        .expect("subnet");
    assert_eq!(info, p.default_hyperparams);
    // The genesis rate limit, not a compiled-in one.
    assert_eq!(
        sim.fails(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: hot[1],
                max_lock_cost: u64::MAX,
            }
        ),
        SubnetFailure::NetworkRateLimited { next: at + 5 }
    );
    sim.steps(5);
    create(&mut sim, hot[1]).expect("after the rate limit");
    // Owners are held to the genesis bounds: below min_tempo is refused.
    let strict = Params { min_tempo: 50, ..p };
    sim.params = strict;
    assert!(matches!(
        sim.fails(
            o,
            SubnetCall::SetHyperparameter {
                netuid: 1,
                param: Hyperparameter::Tempo(49)
            }
        ),
        SubnetFailure::InvalidHyperparameter { .. }
    ));
}

#[test]
fn lock_registration_burn_and_issuance() {
    let mut sim = Sim::new(params());
    let (o, h) = (key("o"), key("o-hot"));
    sim.fund(o, 1_000_000 * UNIT);
    sim.bind(o, h);
    let before = sim.issuance();
    sim.ok(
        o,
        SubnetCall::RegisterNetwork {
            hotkey: h,
            max_lock_cost: u64::MAX,
        },
    );
    // First lock = the minimum, all of it seeds the pool 1:1; nothing burned.
    assert_eq!(sim.issuance(), before);
    let st = sim.state(1);
    assert_eq!(
        (st.tao_reserve, st.alpha_reserve),
        (1_000 * UNIT, 1_000 * UNIT)
    );
    // Second lock doubles; the part above the seed is burned.
    let h2 = key("o-hot-2");
    sim.bind(o, h2);
    let cost = synod_subnets::query::lock_cost(&sim.mem, sim.height, &sim.params).expect("cost");
    assert_eq!(cost, 2_000 * UNIT);
    // Refused above the caller's maximum.
    assert!(matches!(
        sim.fails(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: h2,
                max_lock_cost: cost - 1
            }
        ),
        SubnetFailure::CostAboveMaximum { .. }
    ));
    sim.ok(
        o,
        SubnetCall::RegisterNetwork {
            hotkey: h2,
            max_lock_cost: cost,
        },
    );
    assert_eq!(sim.issuance(), before - 1_000 * UNIT);
    // Registration burns leave supply and the price rises ×1.26.
    let (c, mh) = (key("m"), key("m-hot"));
    sim.fund(c, 100 * UNIT);
    sim.bind(c, mh);
    let before = sim.issuance();
    sim.ok(
        c,
        SubnetCall::BurnedRegister {
            netuid: 1,
            hotkey: mh,
            max_burn: UNIT,
        },
    );
    assert_eq!(sim.issuance(), before - UNIT);
    let burn = synod_subnets::query::burn_cost(&sim.mem, 1, sim.height, &sim.params)
        .expect("read")
        .expect("subnet");
    assert_eq!(burn, 1_260_000_000);
    // It decays with a half-life of 360 blocks.
    sim.steps(360);
    let burn = synod_subnets::query::burn_cost(&sim.mem, 1, sim.height, &sim.params)
        .expect("read")
        .expect("subnet");
    assert!((629_999_990..=630_000_000).contains(&burn), "{burn}");
    assert!(matches!(
        sim.fails(
            c,
            SubnetCall::BurnedRegister {
                netuid: 1,
                hotkey: mh,
                max_burn: u64::MAX
            }
        ),
        SubnetFailure::AlreadyRegistered { .. }
    ));
    sim.check_invariants();
}

#[test]
fn weights_epochs_incentive_dividends_and_balances() {
    let mut net = network(3, 8);
    let n = net.netuid;
    // First epoch: permits by stake (validators are the only staked hotkeys besides nothing).
    let e = until_epoch(&mut net.sim, n);
    conserve(&e);
    let m = net.sim.metagraph(n);
    for i in 1..=3 {
        assert!(m.validator_permit[i], "validator uid {i} has a permit");
    }
    // Validators weight the miners (uids 4..12) 1..8; validator 2 disagrees on the top miner.
    let miner_uids: Vec<u16> = (4..12).collect();
    for (i, (_, h)) in net.vals.clone().iter().enumerate() {
        let mut values: Vec<u16> = (1..=8).collect();
        if i == 2 {
            values.reverse();
        }
        net.sim.ok(
            *h,
            SubnetCall::SetWeights {
                netuid: n,
                hotkey: *h,
                uids: miner_uids.clone(),
                values,
                version_key: 0,
            },
        );
    }
    let stakes_before: Vec<u64> = net
        .miners
        .iter()
        .map(|(c, h)| net.sim.stake(n, h, c))
        .collect();
    let e = until_epoch(&mut net.sim, n);
    conserve(&e);
    net.sim.check_invariants();
    let m = net.sim.metagraph(n);
    // Incentive grows with the majority's weights: the last miner earns the most.
    let inc: Vec<u16> = m.incentive[4..12].to_vec();
    assert!(inc.windows(2).all(|w| w[0] <= w[1]), "{inc:?}");
    assert!(inc[7] > inc[0]);
    assert!(
        m.dividends[1..=3].iter().all(|d| *d > 0),
        "{:?}",
        m.dividends
    );
    // Miner stake grew by exactly its epoch emission.
    for (j, (c, h)) in net.miners.iter().enumerate() {
        let uid = 4 + j;
        let after = net.sim.stake(n, h, c);
        assert_eq!(
            after - stakes_before[j],
            e.payout.miner_alpha[uid],
            "miner {j}"
        );
        assert_eq!(m.emission[uid], e.payout.miner_alpha[uid]);
    }
    // Emission vector = what Yuma assigned; pending emptied.
    let st = net.sim.state(n);
    assert_eq!(
        (st.pending_server, st.pending_validator, st.pending_owner),
        (0, 0, 0)
    );
    // The owner received the owner cut as stake on its hotkey.
    assert!(net.sim.stake(n, &net.owner_hot, &net.owner) >= e.payout.owner_alpha);
}

#[test]
fn set_weights_checks() {
    let mut net = network(2, 3);
    let n = net.netuid;
    let (vc, vh) = net.vals[0];
    let (_, mh) = net.miners[0];
    // No permit before the first epoch, except a self-weight.
    assert_eq!(
        net.sim.fails(
            vh,
            SubnetCall::SetWeights {
                netuid: n,
                hotkey: vh,
                uids: vec![3],
                values: vec![1],
                version_key: 0
            }
        ),
        SubnetFailure::NoValidatorPermit
    );
    net.sim.ok(
        vh,
        SubnetCall::SetWeights {
            netuid: n,
            hotkey: vh,
            uids: vec![1],
            values: vec![1],
            version_key: 0,
        },
    );
    until_epoch(&mut net.sim, n);
    let set = |uids: Vec<u16>, values: Vec<u16>| SubnetCall::SetWeights {
        netuid: n,
        hotkey: vh,
        uids,
        values,
        version_key: 0,
    };
    assert!(matches!(
        net.sim.fails(vh, set(vec![3, 4], vec![1])),
        SubnetFailure::WeightVecLength { .. }
    ));
    assert_eq!(
        net.sim.fails(vh, set(vec![3, 3], vec![1, 1])),
        SubnetFailure::DuplicateUid { uid: 3 }
    );
    assert_eq!(
        net.sim.fails(vh, set(vec![3, 99], vec![1, 1])),
        SubnetFailure::UidNotFound { uid: 99 }
    );
    // The coldkey may act for its hotkey; a stranger may not.
    net.sim.ok(vc, set(vec![3, 4], vec![1, 1]));
    assert!(matches!(
        net.sim.fails(mh, set(vec![3, 4], vec![1, 1])),
        SubnetFailure::NotHotkeyOwner { .. }
    ));
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::MinAllowedWeights(3),
    );
    assert_eq!(
        net.sim.fails(vh, set(vec![3, 4], vec![1, 1])),
        SubnetFailure::TooFewWeights { got: 2, min: 3 }
    );
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::MaxWeightsLimit(32_768),
    );
    assert!(matches!(
        net.sim.fails(vh, set(vec![3, 4, 5], vec![10, 1, 1])),
        SubnetFailure::MaxWeightExceeded { .. }
    ));
    net.sim.ok(vh, set(vec![3, 4, 5], vec![2, 1, 1]));
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::WeightsVersionKey(7),
    );
    assert!(matches!(
        net.sim.fails(vh, set(vec![3, 4, 5], vec![1, 1, 1])),
        SubnetFailure::IncorrectVersionKey { .. }
    ));
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::WeightsRateLimit(5),
    );
    let ok = SubnetCall::SetWeights {
        netuid: n,
        hotkey: vh,
        uids: vec![3, 4, 5],
        values: vec![1, 1, 1],
        version_key: 7,
    };
    assert!(matches!(
        net.sim.fails(vh, ok.clone()),
        SubnetFailure::RateLimited { .. }
    ));
    net.sim.steps(5);
    net.sim.ok(vh, ok);
    // Stored max-upscaled.
    let m = net.sim.metagraph(n);
    assert_eq!(m.weights[1], vec![(3, 65535), (4, 65535), (5, 65535)]);
    // Commit-reveal on: direct setting is refused.
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::CommitRevealEnabled(true),
    );
    net.sim.steps(5);
    assert_eq!(
        net.sim.fails(
            vh,
            SubnetCall::SetWeights {
                netuid: n,
                hotkey: vh,
                uids: vec![3],
                values: vec![1],
                version_key: 7
            }
        ),
        SubnetFailure::CommitRevealEnabled
    );
}

/// Reveals must come in the commit's reveal epoch. And the UID-sniping attack: a validator
/// commits weights on UID X; an attacker gets X deregistered and takes the UID before the
/// reveal. The revealed weights are dated at the commit, before the attacker's registration,
/// so they do not count for the attacker.
#[test]
fn commit_reveal_window_and_uid_sniping_is_masked() {
    let mut net = network(1, 2);
    let n = net.netuid;
    let owner = net.owner;
    for p in [
        Hyperparameter::ImmunityPeriod(0),
        Hyperparameter::MinNonImmuneUids(0),
        Hyperparameter::MaxAllowedValidators(4),
        Hyperparameter::MaxAllowedUids(4),
    ] {
        hp(&mut net.sim, owner, n, p);
    }
    let (_, vh) = net.vals[0];
    let (_, m_old) = net.miners[0]; // uid 2
    let (_, m_good) = net.miners[1]; // uid 3
    until_epoch(&mut net.sim, n);
    // One epoch with weights only on the good miner: uid 2 ends with the lowest emission.
    net.sim.ok(
        vh,
        SubnetCall::SetWeights {
            netuid: n,
            hotkey: vh,
            uids: vec![3],
            values: vec![1],
            version_key: 0,
        },
    );
    until_epoch(&mut net.sim, n);
    assert_eq!(net.sim.metagraph(n).emission[2], 0);
    assert!(net.sim.metagraph(n).emission[3] > 0);

    hp(
        &mut net.sim,
        owner,
        n,
        Hyperparameter::CommitRevealEnabled(true),
    );
    // Commit weights that favour uid 2 heavily.
    let (uids, values, salt) = (vec![2u16, 3], vec![65535u16, 1000], b"salt".to_vec());
    let hash = weights_commit_hash(&vh, n, &uids, &values, &salt, 0);
    net.sim.ok(
        vh,
        SubnetCall::CommitWeights {
            netuid: n,
            hotkey: vh,
            commit_hash: hash,
        },
    );
    let reveal = SubnetCall::RevealWeights {
        netuid: n,
        hotkey: vh,
        uids: uids.clone(),
        values: values.clone(),
        salt: salt.clone(),
        version_key: 0,
    };
    // Too early in the commit's own epoch.
    assert!(matches!(
        net.sim.fails(vh, reveal.clone()),
        SubnetFailure::RevealTooEarly { .. }
    ));
    // A wrong salt matches nothing.
    assert_eq!(
        net.sim.fails(
            vh,
            SubnetCall::RevealWeights {
                netuid: n,
                hotkey: vh,
                uids: uids.clone(),
                values: values.clone(),
                salt: b"other".to_vec(),
                version_key: 0
            }
        ),
        SubnetFailure::NoMatchingCommit
    );
    net.sim.step();
    // The attacker registers: uid 2 (lowest emission, not immune) is replaced.
    let (ac, ah) = (key("attacker"), key("attacker-hot"));
    net.sim.fund(ac, 1_000 * UNIT);
    net.sim.bind(ac, ah);
    let ev = net.sim.ok(
        ac,
        SubnetCall::BurnedRegister {
            netuid: n,
            hotkey: ah,
            max_burn: u64::MAX,
        },
    );
    assert!(matches!(
        &ev[0],
        Event::Subnet(SubnetEvent::NeuronRegistered { uid: 2, replaced: Some(r), .. }) if *r == m_old
    ));
    until_epoch(&mut net.sim, n);
    // Now in the reveal epoch: accepted.
    net.sim.ok(vh, reveal.clone());
    // Revealing twice finds no commit.
    assert_eq!(net.sim.fails(vh, reveal), SubnetFailure::NoMatchingCommit);
    until_epoch(&mut net.sim, n);
    let m = net.sim.metagraph(n);
    assert_eq!(m.hotkeys[2], ah);
    assert_eq!(
        m.incentive[2], 0,
        "sniped uid earns nothing from the old commit"
    );
    assert_eq!(m.emission[2], 0);
    assert!(m.incentive[3] > 0, "the good miner still counts");
    let _ = m_good;

    // A commit not revealed in its epoch expires.
    let hash = weights_commit_hash(&vh, n, &[3], &[1], b"x", 0);
    net.sim.ok(
        vh,
        SubnetCall::CommitWeights {
            netuid: n,
            hotkey: vh,
            commit_hash: hash,
        },
    );
    until_epoch(&mut net.sim, n);
    until_epoch(&mut net.sim, n);
    assert!(matches!(
        net.sim.fails(
            vh,
            SubnetCall::RevealWeights {
                netuid: n,
                hotkey: vh,
                uids: vec![3],
                values: vec![1],
                salt: b"x".to_vec(),
                version_key: 0
            }
        ),
        SubnetFailure::CommitExpired { .. }
    ));
    net.sim.check_invariants();
}

#[test]
fn limit_orders_refuse_or_fill_partially() {
    let mut net = network(1, 1);
    let n = net.netuid;
    let (c, h) = net.vals[0];
    let st = net.sim.state(n);
    let price = synod_subnets::query::pool(&net.sim.mem, n)
        .expect("read")
        .expect("pool")
        .price;
    assert!(price > UNIT, "staking raised the price above 1: {price}");
    let limit = price + price / 10; // at most +10%
    let before = (net.sim.balance(&c), net.sim.stake(n, &h, &c), st.clone());
    // A large order would move the price far beyond the limit: refused, nothing changes.
    let big = SubnetCall::AddStake {
        hotkey: h,
        netuid: n,
        amount: 5_000 * UNIT,
        limit_price: Some(limit),
        allow_partial: false,
    };
    assert_eq!(
        net.sim.fails(c, big),
        SubnetFailure::PriceLimitExceeded { limit_price: limit }
    );
    assert_eq!(
        (
            net.sim.balance(&c),
            net.sim.stake(n, &h, &c),
            net.sim.state(n)
        ),
        before
    );
    // With partial fill: fills up to the limit exactly.
    net.sim.ok(
        c,
        SubnetCall::AddStake {
            hotkey: h,
            netuid: n,
            amount: 5_000 * UNIT,
            limit_price: Some(limit),
            allow_partial: true,
        },
    );
    let after = synod_subnets::query::pool(&net.sim.mem, n)
        .expect("read")
        .expect("pool");
    assert!(after.price <= limit && after.price > price);
    let spent = before.0 - net.sim.balance(&c);
    assert!(spent > 0 && spent < 5_000 * UNIT);
    // Selling with a floor.
    let held = net.sim.stake(n, &h, &c);
    let floor = after.price - after.price / 20;
    assert_eq!(
        net.sim.fails(
            c,
            SubnetCall::RemoveStake {
                hotkey: h,
                netuid: n,
                amount: held,
                limit_price: Some(floor),
                allow_partial: false
            }
        ),
        SubnetFailure::PriceLimitExceeded { limit_price: floor }
    );
    net.sim.ok(
        c,
        SubnetCall::RemoveStake {
            hotkey: h,
            netuid: n,
            amount: held,
            limit_price: Some(floor),
            allow_partial: true,
        },
    );
    let p = synod_subnets::query::pool(&net.sim.mem, n)
        .expect("read")
        .expect("pool");
    assert!(p.price >= floor);
    net.sim.check_invariants();
}

#[test]
fn nominators_move_transfer_swap_and_root() {
    let mut net = network(2, 2);
    let n = net.netuid;
    let (v0c, v0h) = net.vals[0];
    let (_, v1h) = net.vals[1];
    // A second subnet to swap into.
    let o2h = key("owner-hot-2");
    net.sim.bind(net.owner, o2h);
    net.sim.ok(
        net.owner,
        SubnetCall::RegisterNetwork {
            hotkey: o2h,
            max_lock_cost: u64::MAX,
        },
    );
    net.sim.ok(net.owner, SubnetCall::StartCall { netuid: 2 });
    // A nominator stakes on validator 0.
    let nom = key("nominator");
    net.sim.fund(nom, 10_000 * UNIT);
    net.sim.ok(
        nom,
        SubnetCall::AddStake {
            hotkey: v0h,
            netuid: n,
            amount: 500 * UNIT,
            limit_price: None,
            allow_partial: false,
        },
    );
    let s0 = net.sim.stake(n, &v0h, &nom);
    // Validators earn; the nominator earns with them (all validators self-weight, so the
    // fallback pays by stake).
    until_epoch(&mut net.sim, n);
    net.sim.ok(
        v0h,
        SubnetCall::SetWeights {
            netuid: n,
            hotkey: v0h,
            uids: vec![3, 4],
            values: vec![1, 1],
            version_key: 0,
        },
    );
    until_epoch(&mut net.sim, n);
    until_epoch(&mut net.sim, n);
    let s1 = net.sim.stake(n, &v0h, &nom);
    assert!(s1 > s0, "nominator earned: {s0} -> {s1}");
    // Delegate take: only the owner may set it, within the maximum.
    assert!(matches!(
        net.sim.fails(
            nom,
            SubnetCall::SetDelegateTake {
                hotkey: v0h,
                take: 100
            }
        ),
        SubnetFailure::NotHotkeyOwner { .. }
    ));
    assert!(matches!(
        net.sim.fails(
            v0c,
            SubnetCall::SetDelegateTake {
                hotkey: v0h,
                take: 60_000
            }
        ),
        SubnetFailure::TakeTooHigh { .. }
    ));
    net.sim.ok(
        v0c,
        SubnetCall::SetDelegateTake {
            hotkey: v0h,
            take: 0,
        },
    );
    // Move half to validator 1 on the same subnet: no swap, exact.
    let half = s1 / 2;
    net.sim.ok(
        nom,
        SubnetCall::MoveStake {
            origin_hotkey: v0h,
            destination_hotkey: v1h,
            origin_netuid: n,
            destination_netuid: n,
            amount: half,
        },
    );
    let on_v1 = net.sim.stake(n, &v1h, &nom);
    assert!(on_v1 + 1 >= half && on_v1 <= half);
    // Transfer to another coldkey.
    let friend = key("friend");
    net.sim.ok(
        nom,
        SubnetCall::TransferStake {
            destination_coldkey: friend,
            hotkey: v1h,
            origin_netuid: n,
            destination_netuid: n,
            amount: on_v1,
        },
    );
    assert_eq!(net.sim.stake(n, &v1h, &nom), 0);
    assert!(net.sim.stake(n, &v1h, &friend) > 0);
    // Swap the rest into subnet 2 (through both pools).
    let rest = net.sim.stake(n, &v0h, &nom);
    net.sim.ok(
        nom,
        SubnetCall::SwapStake {
            hotkey: v0h,
            origin_netuid: n,
            destination_netuid: 2,
            amount: rest,
            limit_price: None,
            allow_partial: false,
        },
    );
    assert_eq!(net.sim.stake(n, &v0h, &nom), 0);
    assert!(net.sim.stake(2, &v0h, &nom) > 0);
    // Root stake counts in every subnet's stake weight and earns root dividends in SYN.
    net.sim.ok(
        nom,
        SubnetCall::AddStake {
            hotkey: v1h,
            netuid: 0,
            amount: 5_000 * UNIT,
            limit_price: None,
            allow_partial: false,
        },
    );
    assert_eq!(net.sim.stake(0, &v1h, &nom), 5_000 * UNIT);
    let positions = synod_subnets::query::positions(&net.sim.mem, &nom).expect("positions");
    assert_eq!(positions.len(), 2);
    net.sim.check_invariants();
    let m = net.sim.metagraph(n);
    assert_eq!(m.root_stake[2], 5_000 * UNIT);
    assert!(m.total_stake[2] > m.alpha_stake[2]);
    let mut root_paid = 0;
    for _ in 0..3 {
        let e = until_epoch(&mut net.sim, n);
        conserve(&e);
        root_paid += e.payout.root_tao.iter().sum::<u64>();
    }
    assert!(root_paid > 0, "root stakers were paid");
    assert!(net.sim.stake(0, &v1h, &nom) > 5_000 * UNIT);
    net.sim.check_invariants();
    // Unstake everything from root: 1:1.
    let all = net.sim.stake(0, &v1h, &nom);
    let bal = net.sim.balance(&nom);
    net.sim.ok(
        nom,
        SubnetCall::RemoveStake {
            hotkey: v1h,
            netuid: 0,
            amount: all,
            limit_price: None,
            allow_partial: false,
        },
    );
    assert_eq!(net.sim.balance(&nom), bal + all);
    net.sim.check_invariants();
}

#[test]
fn pruning_prefers_lowest_emission_non_immune_and_spares_the_owner() {
    let mut net = network(1, 2);
    let n = net.netuid;
    for p in [
        Hyperparameter::ImmunityPeriod(20),
        Hyperparameter::MinNonImmuneUids(0),
        Hyperparameter::MaxAllowedValidators(4),
        Hyperparameter::MaxAllowedUids(4),
    ] {
        hp(&mut net.sim, net.owner, n, p);
    }
    let reg = |sim: &mut Sim, name: &str| {
        let (c, h) = (key(&format!("{name}-c")), key(&format!("{name}-h")));
        sim.fund(c, 1_000 * UNIT);
        sim.bind(c, h);
        sim.call(
            c,
            SubnetCall::BurnedRegister {
                netuid: n,
                hotkey: h,
                max_burn: u64::MAX,
            },
        )
    };
    // Everyone is immune right after registration: the best immune UID goes (all emissions 0,
    // earliest registration: the validator, uid 1).
    let ev = reg(&mut net.sim, "a").expect("registered");
    assert!(matches!(
        &ev[0],
        Event::Subnet(SubnetEvent::NeuronRegistered { uid: 1, .. })
    ));
    net.sim.steps(25);
    until_epoch(&mut net.sim, n);
    // Now nobody is immune; uid 0 (owner) is never pruned.
    let ev = reg(&mut net.sim, "b").expect("registered");
    match &ev[0] {
        Event::Subnet(SubnetEvent::NeuronRegistered { uid, .. }) => assert_ne!(*uid, 0),
        e => panic!("{e:?}"),
    }
    // With every other UID protected by the non-immune floor nothing can be pruned... except
    // immune ones; raise the floor and keep only the owner: still prunes immune UIDs first.
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::MinNonImmuneUids(4),
    );
    assert!(reg(&mut net.sim, "c").is_ok());
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::RegistrationAllowed(false),
    );
    assert!(reg(&mut net.sim, "d").is_err());
    net.sim.check_invariants();
}

#[test]
fn subnet_limit_dissolves_the_lowest_price_subnet_and_refunds() {
    let mut sim = Sim::new(Params {
        network_rate_limit: 0,
        subnet_limit: 2,
        network_immunity_period: 10,
        moving_alpha_ppb: 100_000_000,
        ema_halving_blocks: 1,
        min_tempo: 1,
        ..Params::default()
    });
    let o = key("o");
    sim.fund(o, 1_000_000 * UNIT);
    let mut hot = Vec::new();
    for i in 0..3 {
        let h = key(&format!("o-hot-{i}"));
        sim.bind(o, h);
        hot.push(h);
    }
    for h in &hot[..2] {
        sim.ok(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: *h,
                max_lock_cost: u64::MAX,
            },
        );
    }
    sim.ok(o, SubnetCall::StartCall { netuid: 1 });
    sim.ok(o, SubnetCall::StartCall { netuid: 2 });
    // Subnet 2's price rises with stake; subnet 1's falls below 1 when its owner sells the
    // owner cut it earned.
    sim.ok(
        o,
        SubnetCall::SetHyperparameter {
            netuid: 1,
            param: synod_subnets::Hyperparameter::Tempo(5),
        },
    );
    let s = key("staker");
    sim.fund(s, 10_000 * UNIT);
    sim.ok(
        s,
        SubnetCall::AddStake {
            hotkey: hot[1],
            netuid: 2,
            amount: 1_000 * UNIT,
            limit_price: None,
            allow_partial: false,
        },
    );
    let s1 = key("staker-1");
    sim.fund(s1, 10_000 * UNIT);
    sim.ok(
        s1,
        SubnetCall::AddStake {
            hotkey: hot[0],
            netuid: 1,
            amount: UNIT,
            limit_price: None,
            allow_partial: false,
        },
    );
    sim.steps(30);
    let owner_alpha = sim.stake(1, &hot[0], &o);
    assert!(owner_alpha > 0, "owner cut paid");
    sim.ok(
        o,
        SubnetCall::RemoveStake {
            hotkey: hot[0],
            netuid: 1,
            amount: owner_alpha,
            limit_price: None,
            allow_partial: false,
        },
    );
    sim.steps(20);
    assert!(matches!(
        sim.fails(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: hot[2],
                max_lock_cost: 0
            }
        ),
        SubnetFailure::CostAboveMaximum { .. }
    ));
    let p1 = sim.state(1).moving_price;
    let p2 = sim.state(2).moving_price;
    assert!(p1 < p2, "{p1} < {p2}");
    let bal = sim.balance(&s1);
    let staked1 = sim.stake(1, &hot[0], &s1);
    assert!(staked1 > 0);
    let ev = sim.ok(
        o,
        SubnetCall::RegisterNetwork {
            hotkey: hot[2],
            max_lock_cost: u64::MAX,
        },
    );
    assert!(matches!(
        &ev[0],
        Event::Subnet(SubnetEvent::NetworkDissolved { netuid: 1, .. })
    ));
    assert!(sim.balance(&s1) > bal, "staker refunded");
    assert_eq!(sim.stake(1, &hot[0], &s1), 0);
    assert_eq!(
        sim.globals().netuids.into_iter().collect::<Vec<_>>(),
        vec![1, 2]
    );
    sim.check_invariants();
}

#[test]
fn subnet_limit_spares_immune_subnets_and_refuses_when_all_are_immune() {
    let mut sim = Sim::new(Params {
        network_rate_limit: 0,
        subnet_limit: 2,
        network_immunity_period: 50,
        min_tempo: 1,
        ..Params::default()
    });
    let o = key("o");
    sim.fund(o, 1_000_000 * UNIT);
    let hot: Vec<_> = (0..4)
        .map(|i| {
            let h = key(&format!("imm-hot-{i}"));
            sim.bind(o, h);
            h
        })
        .collect();
    for h in &hot[..2] {
        sim.ok(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: *h,
                max_lock_cost: u64::MAX,
            },
        );
        sim.steps(10);
    }
    // Both subnets are inside their immunity period: nothing may be dissolved, and the
    // refusal leaves the lock with the caller.
    let before = sim.balance(&o);
    assert_eq!(
        sim.fails(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: hot[2],
                max_lock_cost: u64::MAX,
            },
        ),
        SubnetFailure::SubnetLimitReached
    );
    assert_eq!(sim.balance(&o), before);
    assert_eq!(
        sim.globals().netuids.into_iter().collect::<Vec<_>>(),
        vec![1, 2]
    );
    // Subnet 1 leaves immunity first (registered first): with subnet 2 still immune, subnet 1
    // is the one dissolved, whatever the prices.
    let registered_1 = sim.metagraph(1).subnet.registered_at;
    let registered_2 = sim.metagraph(2).subnet.registered_at;
    assert!(registered_2 >= registered_1 + 10);
    while sim.metagraph(1).block < registered_1 + 50 {
        sim.step();
    }
    let ev = sim.ok(
        o,
        SubnetCall::RegisterNetwork {
            hotkey: hot[2],
            max_lock_cost: u64::MAX,
        },
    );
    assert!(
        matches!(
            &ev[0],
            Event::Subnet(SubnetEvent::NetworkDissolved { netuid: 1, .. })
        ),
        "{ev:?}"
    );
    // The new subnet is itself immune now, and so is subnet 2: the next creation is refused.
    let ids: Vec<_> = sim.globals().netuids.into_iter().collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&2), "the immune subnet 2 survives: {ids:?}");
    assert!(sim.metagraph(1).block < registered_2 + 50);
    assert_eq!(
        sim.fails(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: hot[3],
                max_lock_cost: u64::MAX,
            },
        ),
        SubnetFailure::SubnetLimitReached
    );
    sim.check_invariants();
}

#[test]
fn axons_commits_and_staking_guards() {
    let mut sim = Sim::new(params());
    let (o, h) = (key("o"), key("o-hot"));
    sim.fund(o, 1_000_000 * UNIT);
    sim.bind(o, h);
    sim.ok(
        o,
        SubnetCall::RegisterNetwork {
            hotkey: h,
            max_lock_cost: u64::MAX,
        },
    );
    // Staking before the owner starts the subnet is refused; unbound hotkeys too.
    assert_eq!(
        sim.fails(
            o,
            SubnetCall::AddStake {
                hotkey: h,
                netuid: 1,
                amount: UNIT,
                limit_price: None,
                allow_partial: false
            }
        ),
        SubnetFailure::NotStarted { netuid: 1 }
    );
    sim.ok(o, SubnetCall::StartCall { netuid: 1 });
    assert_eq!(
        sim.fails(o, SubnetCall::StartCall { netuid: 1 }),
        SubnetFailure::AlreadyStarted { netuid: 1 }
    );
    let stranger = key("stranger");
    assert!(matches!(
        sim.fails(
            o,
            SubnetCall::AddStake {
                hotkey: stranger,
                netuid: 1,
                amount: UNIT,
                limit_price: None,
                allow_partial: false
            }
        ),
        SubnetFailure::HotkeyNotBound { .. }
    ));
    assert!(matches!(
        sim.fails(
            o,
            SubnetCall::AddStake {
                hotkey: h,
                netuid: 1,
                amount: 1,
                limit_price: None,
                allow_partial: false
            }
        ),
        SubnetFailure::AmountTooLow { .. }
    ));
    assert_eq!(
        sim.fails(stranger, SubnetCall::StartCall { netuid: 9 }),
        SubnetFailure::SubnetNotFound { netuid: 9 }
    );
    assert_eq!(
        sim.fails(
            stranger,
            SubnetCall::SetHyperparameter {
                netuid: 1,
                param: Hyperparameter::Tempo(10)
            }
        ),
        SubnetFailure::NotSubnetOwner
    );
    // Axons: validated and rate limited.
    let axon = |ip: u128, ip_type: u8, port: u16| SubnetCall::ServeAxon {
        netuid: 1,
        hotkey: h,
        ip,
        ip_type,
        port,
        protocol: 4,
        version: 1,
    };
    assert!(matches!(
        sim.fails(o, axon(0, 4, 80)),
        SubnetFailure::InvalidAxon { .. }
    ));
    assert!(matches!(
        sim.fails(o, axon(1 << 40, 4, 80)),
        SubnetFailure::InvalidAxon { .. }
    ));
    assert!(matches!(
        sim.fails(o, axon(1, 5, 80)),
        SubnetFailure::InvalidAxon { .. }
    ));
    assert!(matches!(
        sim.fails(o, axon(1, 4, 0)),
        SubnetFailure::InvalidAxon { .. }
    ));
    sim.ok(o, axon(0x0a00_0001, 4, 8091));
    assert!(matches!(
        sim.fails(o, axon(0x0a00_0002, 4, 8091)),
        SubnetFailure::RateLimited { .. }
    ));
    sim.steps(50);
    sim.ok(o, axon(0x0a00_0002, 6, 8092));
    let m = sim.metagraph(1);
    let a = m.axons[0].clone().expect("axon");
    assert_eq!((a.ip, a.ip_type, a.port), (0x0a00_0002, 6, 8092));
    // At most `max_commits` open commits.
    sim.ok(
        o,
        SubnetCall::SetHyperparameter {
            netuid: 1,
            param: Hyperparameter::WeightsRateLimit(0),
        },
    );
    for i in 0..10u8 {
        sim.ok(
            o,
            SubnetCall::CommitWeights {
                netuid: 1,
                hotkey: h,
                commit_hash: synod_primitives::Hash([i; 32]),
            },
        );
    }
    assert_eq!(
        sim.fails(
            o,
            SubnetCall::CommitWeights {
                netuid: 1,
                hotkey: h,
                commit_hash: synod_primitives::Hash([99; 32]),
            }
        ),
        SubnetFailure::TooManyCommits { max: 10 }
    );
    sim.check_invariants();
}

/// Creates `count` subnets in one block under `p`; returns the creation height.
fn subnets_in_one_block(sim: &mut Sim, count: usize) -> u64 {
    let o = key("o");
    sim.fund(o, 10_000_000 * UNIT);
    for i in 0..count {
        let h = key(&format!("o-hot-{i}"));
        sim.bind(o, h);
        sim.ok(
            o,
            SubnetCall::RegisterNetwork {
                hotkey: h,
                max_lock_cost: u64::MAX,
            },
        );
    }
    sim.height
}

#[test]
fn epochs_are_staggered_by_netuid() {
    let mut p = params();
    p.default_hyperparams.tempo = 10;
    let mut sim = Sim::new(p);
    // Past the first tempo, so the stagger offset is not cut off at block 0.
    sim.steps(20);
    let h0 = subnets_in_one_block(&mut sim, 3);
    // last_epoch_block = h0 − netuid mod tempo, so subnet k is first due at h0 + 10 − k.
    let mut first: std::collections::BTreeMap<u16, u64> = Default::default();
    for _ in 0..12 {
        let h = sim.height;
        for e in sim.step().epochs {
            first.entry(e.netuid).or_insert(h);
        }
    }
    assert_eq!(
        first.into_iter().collect::<Vec<_>>(),
        vec![(1, h0 + 9), (2, h0 + 8), (3, h0 + 7)]
    );
}

#[test]
fn at_most_max_epochs_per_block_run_oldest_first() {
    let mut p = params();
    p.default_hyperparams.tempo = 1;
    p.max_epochs_per_block = 2;
    let mut sim = Sim::new(p);
    subnets_in_one_block(&mut sim, 3);
    // Tempo 1: all three are due every block; two run, the one waiting longest first
    // (ties: lower netuid), so none waits more than one extra block.
    sim.step();
    let ran: Vec<Vec<u16>> = (0..4)
        .map(|_| sim.step().epochs.iter().map(|e| e.netuid).collect())
        .collect();
    assert_eq!(ran, vec![vec![1, 2], vec![3, 1], vec![2, 1], vec![3, 1]]);
}

#[test]
fn every_hyperparameter_is_owner_settable_within_its_bounds() {
    use Hyperparameter as H;
    let mut net = network(1, 2);
    let n = net.netuid;
    let owner = net.owner;
    // (accepted value, read back, refused values)
    type Read = fn(&synod_subnets::SubnetHyperparams) -> String;
    let cases: Vec<(H, Read, Vec<H>)> = vec![
        (
            H::Tempo(42),
            |h| h.tempo.to_string(),
            vec![H::Tempo(0), H::Tempo(50_401)],
        ),
        (
            H::MaxAllowedUids(4_096),
            |h| h.max_allowed_uids.to_string(),
            vec![H::MaxAllowedUids(4_097), H::MaxAllowedUids(3)],
        ),
        (
            H::MaxAllowedValidators(16),
            |h| h.max_allowed_validators.to_string(),
            vec![H::MaxAllowedValidators(0), H::MaxAllowedValidators(4_097)],
        ),
        (
            H::ImmunityPeriod(7),
            |h| h.immunity_period.to_string(),
            vec![H::ImmunityPeriod(1_296_001)],
        ),
        (
            H::MinAllowedWeights(3),
            |h| h.min_allowed_weights.to_string(),
            vec![H::MinAllowedWeights(4_097)],
        ),
        (
            H::MaxWeightsLimit(30_000),
            |h| h.max_weights_limit.to_string(),
            vec![H::MaxWeightsLimit(0)],
        ),
        (
            H::WeightsRateLimit(3),
            |h| h.weights_rate_limit.to_string(),
            vec![H::WeightsRateLimit(50_401)],
        ),
        (
            H::WeightsVersionKey(9),
            |h| h.weights_version_key.to_string(),
            vec![],
        ),
        (H::Kappa(40_000), |h| h.kappa.to_string(), vec![H::Kappa(0)]),
        (
            H::BondsMovingAverage(975_000),
            |h| h.bonds_moving_average.to_string(),
            vec![H::BondsMovingAverage(1_000_001)],
        ),
        (
            H::BondsPenalty(100),
            |h| h.bonds_penalty.to_string(),
            vec![],
        ),
        (
            H::Yuma3Enabled(false),
            |h| h.yuma3_enabled.to_string(),
            vec![],
        ),
        (
            H::LiquidAlphaEnabled(true),
            |h| h.liquid_alpha_enabled.to_string(),
            vec![],
        ),
        (
            H::AlphaValues {
                low: 2_000,
                high: 60_000,
            },
            |h| format!("{:?}", (h.alpha_low, h.alpha_high)),
            vec![
                H::AlphaValues {
                    low: 1_637,
                    high: 60_000,
                },
                H::AlphaValues {
                    low: 50_000,
                    high: 40_000,
                },
            ],
        ),
        (
            H::AlphaSigmoidSteepness(500),
            |h| h.alpha_sigmoid_steepness.to_string(),
            vec![H::AlphaSigmoidSteepness(-1)],
        ),
        (
            H::CommitRevealEnabled(true),
            |h| h.commit_reveal_enabled.to_string(),
            vec![],
        ),
        (
            H::RevealPeriodEpochs(3),
            |h| h.reveal_period_epochs.to_string(),
            vec![H::RevealPeriodEpochs(0), H::RevealPeriodEpochs(101)],
        ),
        (
            H::ActivityCutoff(777),
            |h| h.activity_cutoff.to_string(),
            vec![H::ActivityCutoff(0)],
        ),
        (
            H::MinBurn(1_000_000),
            |h| h.min_burn.to_string(),
            vec![H::MinBurn(0), H::MinBurn(101 * UNIT)],
        ),
        (
            H::MaxBurn(50 * UNIT),
            |h| h.max_burn.to_string(),
            vec![H::MaxBurn(999_999), H::MaxBurn(1_000_001 * UNIT)],
        ),
        (
            H::RegistrationAllowed(false),
            |h| h.registration_allowed.to_string(),
            vec![],
        ),
        (
            H::ServingRateLimit(5),
            |h| h.serving_rate_limit.to_string(),
            vec![H::ServingRateLimit(50_401)],
        ),
        (
            H::MinNonImmuneUids(2),
            |h| h.min_non_immune_uids.to_string(),
            vec![H::MinNonImmuneUids(4_097)],
        ),
    ];
    assert_eq!(cases.len(), 23, "one case per Hyperparameter variant");
    let read = |sim: &Sim| {
        synod_subnets::query::hyperparams(&sim.mem, n)
            .expect("read")
            .expect("subnet")
    };
    for (ok, get, bad) in cases {
        let stranger = net.vals[0].0;
        assert_eq!(
            net.sim.fails(
                stranger,
                SubnetCall::SetHyperparameter {
                    netuid: n,
                    param: ok.clone()
                }
            ),
            SubnetFailure::NotSubnetOwner
        );
        hp(&mut net.sim, owner, n, ok.clone());
        let after = get(&read(&net.sim));
        for b in bad {
            let before = read(&net.sim);
            assert!(
                matches!(
                    net.sim.fails(
                        owner,
                        SubnetCall::SetHyperparameter {
                            netuid: n,
                            param: b.clone()
                        }
                    ),
                    SubnetFailure::InvalidHyperparameter { .. }
                ),
                "{b:?} accepted"
            );
            assert_eq!(read(&net.sim), before, "{b:?} changed state");
        }
        // The accepted value is what the subnet now holds.
        let expect = match ok {
            H::AlphaValues { low, high } => format!("{:?}", (low, high)),
            H::Tempo(v) | H::MaxAllowedUids(v) | H::MaxAllowedValidators(v) => v.to_string(),
            H::MinAllowedWeights(v) | H::MaxWeightsLimit(v) | H::Kappa(v) => v.to_string(),
            H::BondsPenalty(v) | H::MinNonImmuneUids(v) => v.to_string(),
            H::ImmunityPeriod(v) | H::WeightsRateLimit(v) | H::WeightsVersionKey(v) => {
                v.to_string()
            }
            H::BondsMovingAverage(v) | H::RevealPeriodEpochs(v) | H::ActivityCutoff(v) => {
                v.to_string()
            }
            H::MinBurn(v) | H::MaxBurn(v) | H::ServingRateLimit(v) => v.to_string(),
            H::Yuma3Enabled(v)
            | H::LiquidAlphaEnabled(v)
            | H::CommitRevealEnabled(v)
            | H::RegistrationAllowed(v) => v.to_string(),
            H::AlphaSigmoidSteepness(v) => v.to_string(),
        };
        assert_eq!(after, expect);
    }
}

#[test]
fn pruning_order_is_emission_then_registration_then_uid_and_replacement_clears_rows() {
    let mut net = network(1, 3);
    let n = net.netuid;
    for p in [
        Hyperparameter::ImmunityPeriod(0),
        Hyperparameter::MinNonImmuneUids(0),
        Hyperparameter::MaxAllowedValidators(5),
        Hyperparameter::MaxAllowedUids(5),
    ] {
        hp(&mut net.sim, net.owner, n, p);
    }
    // Leave the registration blocks behind (an epoch runs on the way; its scores are
    // replaced below).
    net.sim.steps(12);
    // uid 0 owner, 1 validator, 2..4 miners. Pruning scores and registration blocks set
    // directly: uids 2 and 3 tie on the lowest emission, 3 registered earlier.
    let set_scores = |sim: &mut Sim, emission: Vec<u64>, registered: &[(u16, u64)]| {
        let registered = registered.to_vec();
        sim.with(|ov| {
            let mut res: state::EpochResults =
                state::get_or_default(ov, &state::epoch_key(n)).expect("read");
            res.resize(emission.len());
            res.emission = emission;
            state::put(ov, state::epoch_key(n), &res);
            for (uid, at) in registered {
                let mut nr: state::Neuron = state::get(ov, &state::neuron_key(n, uid))
                    .expect("read")
                    .expect("neuron");
                nr.registered_at = at;
                state::put(ov, state::neuron_key(n, uid), &nr);
            }
            Ok(vec![])
        })
        .expect("write");
    };
    set_scores(
        &mut net.sim,
        vec![0, 50, 7, 7, 9],
        &[(2, 5), (3, 4), (4, 5)],
    );
    // uid 3 holds weight and bond rows of its own, and the validator weights it.
    let row = vec![(2u16, 65_535u16)];
    net.sim
        .with(|ov| {
            state::put(ov, state::weights_key(n, 3), &row);
            state::put(ov, state::bonds_key(n, 3), &row);
            Ok(vec![])
        })
        .expect("write");
    let reg = |sim: &mut Sim, name: &str| {
        let (c, h) = (key(&format!("{name}-c")), key(&format!("{name}-h")));
        sim.fund(c, 1_000 * UNIT);
        sim.bind(c, h);
        let ev = sim.ok(
            c,
            SubnetCall::BurnedRegister {
                netuid: n,
                hotkey: h,
                max_burn: u64::MAX,
            },
        );
        match &ev[0] {
            Event::Subnet(SubnetEvent::NeuronRegistered { uid, replaced, .. }) => {
                (*uid, *replaced, h)
            }
            e => panic!("{e:?}"),
        }
    };
    let old3 = net.sim.metagraph(n).hotkeys[3];

    let (uid, replaced, newh) = reg(&mut net.sim, "x");
    assert_eq!(
        (uid, replaced),
        (3, Some(old3)),
        "lowest emission, earlier registration"
    );
    // The replaced UID starts clean: no rows, zero scores, the new hotkey, registered now.
    let w: Option<Vec<(u16, u16)>> =
        state::get(&net.sim.mem, &state::weights_key(n, 3)).expect("r");
    let b: Option<Vec<(u16, u16)>> = state::get(&net.sim.mem, &state::bonds_key(n, 3)).expect("r");
    assert_eq!((w, b), (None, None));
    let m = net.sim.metagraph(n);
    assert_eq!(m.hotkeys[3], newh);
    assert_eq!(m.emission[3], 0);
    assert_eq!(m.block_at_registration[3], net.sim.height);
    assert_eq!(
        synod_subnets::query::metagraph(&net.sim.mem, n, net.sim.height, &net.sim.params)
            .expect("read")
            .expect("subnet")
            .n,
        5,
        "replacement, not growth"
    );
    // Full tie on emission and registration: the lower UID goes; the owner never does, even
    // with the lowest score.
    set_scores(&mut net.sim, vec![0, 50, 7, 100, 7], &[(2, 5), (4, 5)]);
    let (uid, _, _) = reg(&mut net.sim, "y");
    assert_eq!(uid, 2);
    net.sim.check_invariants();
}

/// A hotkey swap keeps the registration: the validator's UID, weights and axon stay; its stake
/// pool and every nominator's position (root included) move to the new hotkey at the same
/// value, with the indexes that list them; subnet ownership, take, commits and identity move
/// too; the old hotkey is unbound and holds nothing. The next epoch pays the new hotkey.
#[test]
fn a_hotkey_swap_keeps_the_registration_and_moves_all_stake() {
    use synod_primitives::Keypair;
    use synod_subnets::identity::Identity;
    let mut net = network(2, 2);
    let n = net.netuid;
    let (vcold, vhot) = net.vals[1];
    let nominator = key("nominator");
    net.sim.fund(nominator, 1_000 * UNIT);
    for (netuid, amount) in [(n, 50 * UNIT), (0, 20 * UNIT)] {
        net.sim.ok(
            nominator,
            SubnetCall::AddStake {
                hotkey: vhot,
                netuid,
                amount,
                limit_price: None,
                allow_partial: false,
            },
        );
    }
    net.sim.ok(
        vcold,
        SubnetCall::SetDelegateTake {
            hotkey: vhot,
            take: 1_000,
        },
    );
    let ident = Identity {
        name: "Validator One".into(),
        url: "https://v1.example".into(),
        description: "validates".into(),
    };
    net.sim.ok(
        vcold,
        SubnetCall::SetHotkeyIdentity {
            hotkey: vhot,
            identity: Some(ident.clone()),
        },
    );
    // Validator permits come with the first epoch.
    until_epoch(&mut net.sim, n);
    let miner_uid = net
        .sim
        .metagraph(n)
        .hotkeys
        .iter()
        .position(|h| *h == net.miners[0].1);
    net.sim.ok(
        vhot,
        SubnetCall::SetWeights {
            netuid: n,
            hotkey: vhot,
            uids: vec![miner_uid.expect("miner") as u16],
            values: vec![1],
            version_key: 0,
        },
    );
    let before = net.sim.metagraph(n);
    let uid = before.hotkeys.iter().position(|h| *h == vhot).expect("uid");
    let stake_val = net.sim.stake(n, &vhot, &vcold);
    let stake_nom = net.sim.stake(n, &vhot, &nominator);
    let stake_root = net.sim.stake(0, &vhot, &nominator);
    assert!(stake_val > 0 && stake_nom > 0 && stake_root > 0);

    let new_key = Keypair::dev("validator-one-new-hot");
    let new = new_key.account();
    let proof = new_key.sign(&synod_bank::hotkey_binding_message(
        common::CHAIN_ID,
        &vcold,
    ));
    let swap = |old, new, proof| SubnetCall::SwapHotkey {
        old_hotkey: old,
        new_hotkey: new,
        proof,
    };
    // Refusals first: not the owner; the new hotkey already registered; a proof for another
    // coldkey; the same key.
    assert!(matches!(
        net.sim.fails(nominator, swap(vhot, new, proof)),
        SubnetFailure::NotHotkeyOwner { .. }
    ));
    let (_, other_hot) = net.vals[0];
    assert!(matches!(
        net.sim.fails(vcold, swap(vhot, other_hot, proof)),
        SubnetFailure::HotkeyInUse { .. }
    ));
    let wrong_proof = new_key.sign(&synod_bank::hotkey_binding_message(
        common::CHAIN_ID,
        &nominator,
    ));
    assert!(matches!(
        net.sim.call(vcold, swap(vhot, new, wrong_proof)),
        Err(synod_module::CallError::Failed(
            synod_runtime::TxFailure::Bank(synod_bank::BankFailure::InvalidHotkeyProof)
        ))
    ));
    assert!(matches!(
        net.sim.fails(vcold, swap(vhot, vhot, proof)),
        SubnetFailure::SameOriginAndDestination
    ));

    let ev = net.sim.ok(vcold, swap(vhot, new, proof));
    assert!(
        matches!(&ev[..], [Event::Subnet(SubnetEvent::HotkeySwapped { netuids, .. })] if netuids == &vec![0, n]),
        "{ev:?}"
    );
    let after = net.sim.metagraph(n);
    assert_eq!(after.hotkeys[uid], new, "same UID, new hotkey");
    assert_eq!(after.weights[uid], before.weights[uid], "weights kept");
    assert_eq!(
        after.block_at_registration[uid],
        before.block_at_registration[uid]
    );
    assert_eq!(net.sim.stake(n, &new, &vcold), stake_val);
    assert_eq!(net.sim.stake(n, &new, &nominator), stake_nom);
    assert_eq!(net.sim.stake(0, &new, &nominator), stake_root);
    assert_eq!(net.sim.stake(n, &vhot, &nominator), 0);
    let positions = synod_subnets::query::positions(&net.sim.mem, &nominator).expect("read");
    assert!(positions.iter().all(|p| p.hotkey == new), "{positions:?}");
    assert_eq!(positions.len(), 2);
    assert_eq!(
        synod_subnets::query::uid_of(&net.sim.mem, n, &vhot).expect("read"),
        None
    );
    assert_eq!(
        synod_bank::hotkey_owner(&net.sim.mem, &new).expect("read"),
        Some(vcold)
    );
    assert_eq!(
        synod_bank::hotkey_owner(&net.sim.mem, &vhot).expect("read"),
        None
    );
    assert_eq!(
        synod_subnets::identity::hotkey_identity(&net.sim.mem, &new).expect("read"),
        Some(ident)
    );
    assert_eq!(
        synod_subnets::identity::hotkey_identity(&net.sim.mem, &vhot).expect("read"),
        None
    );
    let take: Option<u16> = state::get(&net.sim.mem, &state::take_key(&new)).expect("read");
    assert_eq!(take, Some(1_000));
    net.sim.check_invariants();

    // The owner hotkey swaps too, and the subnet follows it.
    let owner_new = Keypair::dev("owner-new-hot");
    let p2 = owner_new.sign(&synod_bank::hotkey_binding_message(
        common::CHAIN_ID,
        &net.owner,
    ));
    net.sim
        .ok(net.owner, swap(net.owner_hot, owner_new.account(), p2));
    let m = net.sim.metagraph(n);
    assert_eq!(m.subnet.owner_hotkey, owner_new.account());
    assert_eq!(m.hotkeys[0], owner_new.account());

    // A hotkey with an unrevealed commit cannot be swapped (the commit's hash binds it).
    let cr = key("cr-cold");
    let cr_hot_key = Keypair::dev("cr-hot");
    net.sim.fund(cr, 10_000 * UNIT);
    net.sim.bind(cr, cr_hot_key.account());
    net.sim.ok(
        cr,
        SubnetCall::BurnedRegister {
            netuid: n,
            hotkey: cr_hot_key.account(),
            max_burn: u64::MAX,
        },
    );
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::CommitRevealEnabled(true),
    );
    net.sim.ok(
        cr,
        SubnetCall::CommitWeights {
            netuid: n,
            hotkey: cr_hot_key.account(),
            commit_hash: weights_commit_hash(&cr_hot_key.account(), n, &[0], &[1], b"s", 0),
        },
    );
    let cr_new = Keypair::dev("cr-hot-new");
    let p3 = cr_new.sign(&synod_bank::hotkey_binding_message(common::CHAIN_ID, &cr));
    assert_eq!(
        net.sim
            .fails(cr, swap(cr_hot_key.account(), cr_new.account(), p3)),
        SubnetFailure::WeightCommitsOpen { netuid: n }
    );
    hp(
        &mut net.sim,
        net.owner,
        n,
        Hyperparameter::CommitRevealEnabled(false),
    );

    // Yuma pays the new hotkey from here on.
    let e = until_epoch(&mut net.sim, n);
    conserve(&e);
    assert!(
        net.sim.stake(n, &new, &vcold) > stake_val,
        "dividends reach the new hotkey"
    );
    net.sim.check_invariants();
}

/// Identities: set by the owner only, checked, cleared with `None`.
#[test]
fn subnet_and_hotkey_identities_are_set_by_their_owners() {
    use synod_subnets::identity::{Identity, subnet_identity};
    let mut net = network(1, 1);
    let n = net.netuid;
    let id = Identity {
        name: "Text prompting".into(),
        url: "https://subnet.example".into(),
        description: "answers prompts".into(),
    };
    let set = |identity| SubnetCall::SetSubnetIdentity {
        netuid: n,
        identity,
    };
    let (vcold, vhot) = net.vals[0];
    assert!(matches!(
        net.sim.fails(vcold, set(Some(id.clone()))),
        SubnetFailure::NotSubnetOwner
    ));
    let mut bad = id.clone();
    bad.url = "ftp://x".into();
    assert!(matches!(
        net.sim.fails(net.owner, set(Some(bad))),
        SubnetFailure::InvalidIdentity { .. }
    ));
    net.sim.ok(net.owner, set(Some(id.clone())));
    assert_eq!(
        subnet_identity(&net.sim.mem, n).expect("read"),
        Some(id.clone())
    );
    net.sim.ok(net.owner, set(None));
    assert_eq!(subnet_identity(&net.sim.mem, n).expect("read"), None);
    assert!(matches!(
        net.sim.fails(
            net.owner,
            SubnetCall::SetHotkeyIdentity {
                hotkey: vhot,
                identity: Some(id)
            }
        ),
        SubnetFailure::NotHotkeyOwner { .. }
    ));
}

#[test]
fn a_carve_out_takes_its_share_of_the_block_emission_and_the_subnets_the_rest() {
    let mut net = network(2, 3);
    net.sim.steps(3);
    let to = key("data-pools");
    let carve = synod_subnets::EmissionCarveOut { ppm: 100_000, to };
    let run = |mem: &common::Mem, carve: Option<&synod_subnets::EmissionCarveOut>| {
        let mut ov = Overlay::new(mem);
        let r = synod_subnets::on_block_end_with(&mut ov, net.sim.height, &net.sim.params, carve)
            .expect("hook");
        let after = bank::account(&ov, &to).expect("read").balance;
        (r, after, bank::issuance(&ov).expect("read"))
    };
    let issuance = net.sim.issuance();
    let (plain, _, plain_issuance) = run(&net.sim.mem, None);
    let (carved, got, carved_issuance) = run(&net.sim.mem, Some(&carve));
    let emission = synod_subnets::emission::block_emission(
        issuance,
        net.sim.params.total_supply,
        net.sim.params.base_block_emission,
    );
    assert!(emission > 0);
    assert_eq!(carved.carved_out, emission / 10);
    assert_eq!(got, emission / 10);
    assert_eq!(plain.carved_out, 0);
    // The subnets get at most the rest (their shares round down, as without a carve-out).
    assert!(carved.minted_tao <= emission - emission / 10);
    assert!(carved.minted_tao + emission / 10 >= plain.minted_tao.saturating_sub(2));
    // Nothing else is minted: the issuance grows by the subnets' part plus the carve-out.
    assert_eq!(
        carved_issuance - issuance,
        carved.minted_tao + carved.carved_out
    );
    assert_eq!(plain_issuance - issuance, plain.minted_tao);
}
