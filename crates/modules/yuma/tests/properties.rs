//! Property tests: conservation, bounds, permits, determinism, canonical row
//! order, and totality (no panic) on arbitrary inputs.

#![allow(missing_docs, clippy::unwrap_used)]

use proptest::prelude::*;
use synod_yuma::{
    EpochInput, EpochOutput, Hyperparameters, Matrix, NeuronInput, SparseRow, YumaError, run_epoch,
};

fn arb_hp() -> impl Strategy<Value = Hyperparameters> {
    (
        (
            any::<u16>(),
            prop_oneof![Just(900_000u64), Just(975_000), 0u64..=1_000_000],
        ),
        prop_oneof![Just(0u16), Just(u16::MAX), any::<u16>()],
        (any::<bool>(), any::<bool>()),
        (any::<u16>(), any::<u16>(), any::<i16>()),
        (
            0u16..12,
            0u64..80,
            prop_oneof![Just(0u64), 0u64..2_000],
            0u64..100,
        ),
    )
        .prop_map(
            |(
                (kappa, bma),
                bp,
                (yuma3, liquid),
                (lo, hi, steep),
                (k, cutoff, threshold, tempo),
            )| {
                Hyperparameters {
                    kappa,
                    bonds_moving_average: bma,
                    bonds_penalty: bp,
                    yuma3,
                    liquid_alpha: liquid,
                    alpha_low: lo,
                    alpha_high: hi,
                    alpha_sigmoid_steepness: steep,
                    max_allowed_validators: k,
                    activity_cutoff: cutoff,
                    stake_threshold: threshold,
                    tempo,
                }
            },
        )
}

fn arb_row(n: usize) -> impl Strategy<Value = SparseRow> {
    // Unique column UIDs, some beyond n (those must be dropped, not panic).
    prop::collection::btree_map(
        0..(n as u16 + 3),
        prop_oneof![Just(0u16), Just(u16::MAX), any::<u16>()],
        0..=n.min(12),
    )
    .prop_map(|m| m.into_iter().collect())
}

prop_compose! {
    fn arb_input()(n in 0usize..24)(
        hp in arb_hp(),
        neurons in prop::collection::vec(
            (
                prop_oneof![4 => Just(0u64), 4 => 1u64..1_000, 4 => 0u64..=u64::MAX / 64, 1 => any::<u64>()],
                any::<bool>(),
                0u64..120,
                0u64..120,
                prop::option::weighted(0.1, 0u64..120),
            ).prop_map(|(stake, permit, last_update, reg, commit)| NeuronInput {
                stake, validator_permit: permit, last_update, block_at_registration: reg, commit_block: commit,
            }),
            n,
        ),
        weights in prop::collection::vec(arb_row(n), 0..=n),
        bonds in prop::collection::vec(arb_row(n), 0..=n),
        current_block in 0u64..150,
        last_epoch_block in prop::option::of(0u64..150),
        emission in prop_oneof![Just(0u64), Just(1_000_000_000), any::<u64>()],
        owner in prop::option::weighted(0.3, 0u16..24),
        n in Just(n),
    ) -> EpochInput {
        let owner_uid = owner.filter(|&o| usize::from(o) < n);
        EpochInput { hyperparameters: hp, current_block, last_epoch_block, emission, owner_uid, neurons, weights, bonds }
    }
}

/// Worst-case shortfall from flooring: one unit per paid share, plus the
/// fixed-point truncation of the normalisations (a few 2⁻³² per UID).
fn rounding_allowance(n: usize, emission: u64) -> u128 {
    2 * n as u128 + ((u128::from(emission) * 8 * n as u128) >> 32) + 2
}

fn check_invariants(input: &EpochInput, out: &EpochOutput) -> Result<(), TestCaseError> {
    let n = input.neurons.len();
    for len in [
        out.active.len(),
        out.stake_weight.len(),
        out.consensus.len(),
        out.incentive.len(),
        out.dividends.len(),
        out.validator_trust.len(),
        out.server_emission.len(),
        out.validator_emission.len(),
        out.validator_permit.len(),
        out.bonds.len(),
    ] {
        prop_assert_eq!(len, n);
    }

    // Conservation: never more than the emission; all of it up to rounding
    // whenever someone holds stake (otherwise nobody can be paid).
    let paid: u128 = out
        .server_emission
        .iter()
        .chain(&out.validator_emission)
        .map(|&x| u128::from(x))
        .sum();
    let e = u128::from(input.emission);
    prop_assert!(paid <= e, "paid {} > emission {}", paid, e);
    let anyone_staked = out.stake_weight.iter().any(|&s| s > 0);
    if anyone_staked {
        prop_assert!(
            e - paid <= rounding_allowance(n, input.emission),
            "shortfall {} too large",
            e - paid
        );
    }

    // Bounded shares: normalised vectors sum to at most one (65535).
    for v in [&out.stake_weight, &out.incentive, &out.dividends] {
        prop_assert!(v.iter().map(|&x| u64::from(x)).sum::<u64>() <= 65_535);
    }
    // Miners are paid only with incentive, validators only with dividends or stake.
    for i in 0..n {
        if out.incentive[i] == 0 {
            prop_assert!(out.server_emission[i] <= input.emission / 65_535 + 1);
        }
    }

    // Permits: at most max_allowed_validators (+ the owner), only staked UIDs or the owner.
    let permits = out.validator_permit.iter().filter(|&&p| p).count();
    let owner_extra = usize::from(input.owner_uid.is_some());
    prop_assert!(
        permits <= usize::from(input.hyperparameters.max_allowed_validators) + owner_extra
    );
    for (i, &p) in out.validator_permit.iter().enumerate() {
        if p && input.owner_uid != Some(i as u16) {
            prop_assert!(out.stake_weight[i] > 0 || input.neurons[i].stake > 0);
        }
    }

    // Bonds: only for new permits, columns in range, sorted and unique.
    for (i, row) in out.bonds.iter().enumerate() {
        if !out.validator_permit[i] {
            prop_assert!(row.is_empty());
        }
        prop_assert!(row.iter().all(|&(j, _)| usize::from(j) < n));
        prop_assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_arbitrary_inputs(input in arb_input()) {
        match run_epoch(&input) {
            Ok(out) => check_invariants(&input, &out)?,
            Err(YumaError::StakeOverflow) => {
                let total: u128 = input.neurons.iter().map(|x| u128::from(x.stake)).sum();
                prop_assert!(total > i64::MAX as u128);
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn deterministic_and_json_round_trip(input in arb_input()) {
        let a = run_epoch(&input);
        let b = run_epoch(&input);
        prop_assert_eq!(&a, &b);
        let json = serde_json::to_string(&input).unwrap();
        let back: EpochInput = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &input);
        prop_assert_eq!(run_epoch(&back), a.clone());
        if let Ok(out) = a {
            let json = serde_json::to_string(&out).unwrap();
            prop_assert_eq!(serde_json::from_str::<EpochOutput>(&json).unwrap(), out);
        }
    }

    #[test]
    fn row_order_and_out_of_range_entries_do_not_matter(input in arb_input(), salt in any::<u64>()) {
        let n = input.neurons.len() as u16;
        let mut shuffled = input.clone();
        let mut cleaned = input.clone();
        for rows in [&mut shuffled.weights, &mut shuffled.bonds] {
            for (i, row) in rows.iter_mut().enumerate() {
                row.reverse();
                let len = row.len();
                if len > 1 {
                    row.swap(0, (salt as usize ^ i) % len);
                }
            }
        }
        for rows in [&mut cleaned.weights, &mut cleaned.bonds] {
            for row in rows.iter_mut() {
                row.retain(|&(j, _)| j < n);
            }
        }
        let base = run_epoch(&input);
        prop_assert_eq!(run_epoch(&shuffled), base.clone());
        prop_assert_eq!(run_epoch(&cleaned), base);
    }

    #[test]
    fn cost_scales_with_uids_not_with_missing_rows(input in arb_input()) {
        // Missing trailing rows behave exactly like explicit empty rows.
        let n = input.neurons.len();
        let mut padded = input.clone();
        padded.weights.resize(n, Vec::new());
        padded.bonds.resize(n, Vec::new());
        prop_assert_eq!(run_epoch(&padded), run_epoch(&input));
    }
}

fn neuron(stake: u64) -> NeuronInput {
    NeuronInput {
        stake,
        validator_permit: true,
        last_update: 10,
        block_at_registration: 0,
        commit_block: None,
    }
}

fn base(neurons: Vec<NeuronInput>) -> EpochInput {
    EpochInput {
        current_block: 11,
        emission: 1_000_000_000,
        neurons,
        ..EpochInput::default()
    }
}

#[test]
fn empty_subnet() {
    let out = run_epoch(&base(vec![])).unwrap();
    assert_eq!(out, EpochOutput::default());
}

#[test]
fn all_zero_stake_pays_nobody_and_does_not_panic() {
    let mut input = base(vec![neuron(0), neuron(0), neuron(0)]);
    input.weights = vec![vec![(1, 100)], vec![(2, 100)], vec![]];
    let out = run_epoch(&input).unwrap();
    assert!(
        out.server_emission
            .iter()
            .chain(&out.validator_emission)
            .all(|&x| x == 0)
    );
    assert!(out.validator_permit.iter().all(|&p| !p));
}

#[test]
fn all_zero_weights_fall_back_to_active_stake() {
    let mut input = base(vec![neuron(1), neuron(3), neuron(0)]);
    input.weights = vec![vec![(2, 0)], vec![(2, 0)], vec![]];
    let out = run_epoch(&input).unwrap();
    assert_eq!(out.server_emission, vec![0, 0, 0]);
    assert_eq!(out.validator_emission, vec![250_000_000, 750_000_000, 0]);
    assert_eq!(out.consensus, vec![0, 0, 0]);
}

#[test]
fn out_of_range_uids_are_dropped() {
    let mut input = base(vec![neuron(1), neuron(0)]);
    input.weights = vec![vec![(1, 65535), (7, 65535), (u16::MAX, 1)]];
    let mut clean = input.clone();
    clean.weights = vec![vec![(1, 65535)]];
    assert_eq!(run_epoch(&input), run_epoch(&clean));
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let mut dup = base(vec![neuron(1), neuron(1)]);
    dup.weights = vec![vec![(1, 5), (1, 6)]];
    assert_eq!(
        run_epoch(&dup),
        Err(YumaError::DuplicateEntry {
            matrix: Matrix::Weights,
            row: 0,
            uid: 1
        })
    );

    let mut rows = base(vec![neuron(1)]);
    rows.bonds = vec![vec![], vec![]];
    assert_eq!(
        run_epoch(&rows),
        Err(YumaError::TooManyRows {
            matrix: Matrix::Bonds,
            rows: 2,
            neurons: 1
        })
    );

    let mut owner = base(vec![neuron(1)]);
    owner.owner_uid = Some(1);
    assert_eq!(
        run_epoch(&owner),
        Err(YumaError::OwnerOutOfRange {
            owner: 1,
            neurons: 1
        })
    );

    let mut bma = base(vec![neuron(1)]);
    bma.hyperparameters.bonds_moving_average = 1_000_001;
    assert_eq!(
        run_epoch(&bma),
        Err(YumaError::InvalidBondsMovingAverage(1_000_001))
    );

    let huge = base(vec![neuron(u64::MAX / 2 + 1), neuron(u64::MAX / 2 + 1)]);
    assert_eq!(run_epoch(&huge), Err(YumaError::StakeOverflow));

    let too_many = base(vec![NeuronInput::default(); 65_536]);
    assert_eq!(run_epoch(&too_many), Err(YumaError::TooManyNeurons(65_536)));
}

#[test]
fn json_uses_the_documented_field_names_and_defaults() {
    let json = r#"{
        "hyperparameters": {"kappa": 30000, "yuma3": false},
        "current_block": 11, "emission": 100,
        "neurons": [{"stake": 5, "validator_permit": true, "last_update": 10, "block_at_registration": 0},
                    {"stake": 0}],
        "weights": [[[1, 65535]]],
        "bonds": []
    }"#;
    let input: EpochInput = serde_json::from_str(json).unwrap();
    assert_eq!(input.hyperparameters.kappa, 30_000);
    assert_eq!(input.hyperparameters.bonds_moving_average, 900_000);
    assert_eq!(input.last_epoch_block, None);
    let out = run_epoch(&input).unwrap();
    let v: serde_json::Value = serde_json::to_value(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "active",
        "stake_weight",
        "consensus",
        "incentive",
        "dividends",
        "validator_trust",
        "server_emission",
        "validator_emission",
        "validator_permit",
        "bonds",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(v["bonds"][0], serde_json::json!([[1, 65535]]));
    assert!(
        serde_json::from_str::<EpochInput>(
            r#"{"current_block":1,"emission":1,"neurons":[],"hyperparameters":{"kapa":1}}"#
        )
        .is_err()
    );
}

#[test]
fn owner_keeps_permit_self_weight_and_threshold_exemption() {
    // UID 0 is the owner with tiny stake below the threshold and no old permit;
    // UID 1 is a validator; UID 2 a miner.
    let mut input = base(vec![neuron(1), neuron(1_000), neuron(0)]);
    input.hyperparameters.stake_threshold = 10;
    input.neurons[0].validator_permit = false;
    input.owner_uid = Some(0);
    input.weights = vec![vec![(0, 65535)], vec![(0, 65535), (2, 65535)]];
    let out = run_epoch(&input).unwrap();
    // Permit forced on, stake kept despite the threshold.
    assert!(out.validator_permit[0]);
    assert!(out.stake_weight[0] > 0);
    // The owner's self-weight counts: UID 0 gets consensus from both validators.
    assert!(out.consensus[0] > 0 && out.incentive[0] > 0);

    // Without the owner designation the self-weight is masked and the stake
    // below the threshold is zeroed.
    input.owner_uid = None;
    input.neurons[0].validator_permit = true;
    let out = run_epoch(&input).unwrap();
    assert_eq!(out.stake_weight[0], 0);
    assert!(!out.validator_permit[0]);
}

#[test]
fn weights_older_than_the_targets_registration_are_dropped() {
    // Validator 0 last set weights at block 10; UID 2 re-registered at block 10
    // (same block counts as outdated), UID 1 long before.
    let mut input = base(vec![neuron(1), neuron(0), neuron(0)]);
    input.neurons[2].block_at_registration = 10;
    input.weights = vec![vec![(1, 65535), (2, 65535)]];
    let out = run_epoch(&input).unwrap();
    assert_eq!(out.consensus[1], 65535);
    assert_eq!(out.consensus[2], 0);
    assert_eq!(out.server_emission[2], 0);

    // A weight commit made before UID 1 registered masks weights to it too.
    input.neurons[0].commit_block = Some(4);
    input.neurons[1].block_at_registration = 5;
    let out = run_epoch(&input).unwrap();
    assert_eq!(out.consensus[1], 0);
}

#[test]
fn inactive_validators_do_not_vote() {
    let mut input = base(vec![neuron(1), neuron(1), neuron(0), neuron(0)]);
    input.hyperparameters.activity_cutoff = 5;
    input.current_block = 100;
    input.neurons[0].last_update = 99; // active
    input.neurons[1].last_update = 10; // inactive
    input.weights = vec![vec![(2, 65535)], vec![(3, 65535)]];
    let out = run_epoch(&input).unwrap();
    assert_eq!(out.active, vec![true, false, false, false]);
    assert_eq!(out.consensus[2], 65535);
    assert_eq!(out.consensus[3], 0);
    assert_eq!(out.validator_trust[1], 0);
}
