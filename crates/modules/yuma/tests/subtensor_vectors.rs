//! Subtensor's own epoch test vectors (`pallets/subtensor/src/tests/epoch.rs`),
//! replayed through `run_epoch`. Classic-Yuma vectors are asserted bit-exactly;
//! the Yuma3 vectors carry subtensor's ±1e-3 tolerance on dividends, and we also
//! check the bond targets (which subtensor's own helper never compares).

#![allow(missing_docs, clippy::unwrap_used)]

use synod_yuma::{EpochInput, EpochOutput, Hyperparameters, NeuronInput, SparseRow, run_epoch};

const E: u64 = 1_000_000_000;

/// A subnet whose neurons all registered at `reg`, with the given raw stakes.
fn subnet(stakes: &[u64], reg: u64, hp: Hyperparameters) -> EpochInput {
    EpochInput {
        hyperparameters: hp,
        current_block: reg,
        last_epoch_block: None,
        emission: E,
        owner_uid: None,
        neurons: stakes
            .iter()
            .map(|&stake| NeuronInput {
                stake,
                validator_permit: false,
                last_update: 0,
                block_at_registration: reg,
                commit_block: None,
            })
            .collect(),
        weights: vec![Vec::new(); stakes.len()],
        bonds: vec![Vec::new(); stakes.len()],
    }
}

/// Runs an epoch at the next block and carries permits and bonds forward,
/// the way subtensor persists them.
fn step(s: &mut EpochInput) -> EpochOutput {
    s.current_block += 1;
    let out = run_epoch(s).unwrap();
    for (nr, &p) in s.neurons.iter_mut().zip(&out.validator_permit) {
        nr.validator_permit = p;
    }
    s.bonds = out.bonds.clone();
    out
}

/// `set_weights` at the current block: stores the row and bumps `last_update`.
fn set_weights(s: &mut EpochInput, uid: usize, row: SparseRow) {
    s.weights[uid] = row;
    s.neurons[uid].last_update = s.current_block;
}

fn col(out: &EpochOutput, rows: std::ops::Range<usize>, j: u16) -> Vec<u16> {
    rows.map(|i| out.bonds[i].iter().find(|e| e.0 == j).map_or(0, |e| e.1))
        .collect()
}

/// `test_bonds`: classic Yuma over 8 epochs, everything bit-exact.
#[test]
fn test_bonds_classic_bit_exact() {
    let hp = Hyperparameters {
        yuma3: false,
        liquid_alpha: false,
        bonds_penalty: u16::MAX,
        bonds_moving_average: 900_000,
        kappa: 32_767,
        max_allowed_validators: 8,
        tempo: 1,
        ..Hyperparameters::default()
    };
    let mut s = subnet(&[1, 2, 3, 4, 0, 0, 0, 0], 0, hp);
    s.current_block = 0;
    // Block 1: registration and the permit epoch.
    for nr in &mut s.neurons {
        nr.block_at_registration = 1;
    }
    let first = step(&mut s);
    assert_eq!(
        first.validator_permit,
        vec![true, true, true, true, false, false, false, false]
    );
    assert_eq!(
        first.validator_emission,
        vec![99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
    );

    let row: SparseRow = vec![(4, 16383), (5, 32767), (6, 49149), (7, 65535)];
    s.current_block += 1;
    for uid in 0..4 {
        set_weights(&mut s, uid, row.clone());
    }
    s.current_block -= 1;

    // Epoch 1.
    let o = step(&mut s);
    assert_eq!(col(&o, 0..4, 4), vec![16383, 32767, 49151, 65535]);
    assert_eq!(
        o.validator_emission[..4],
        [49999998, 99999999, 150000000, 200000001]
    );
    let miners = [49998779, 100000610, 149996337, 200004272];
    assert_eq!(o.server_emission[4..], miners);
    assert_eq!(o.server_emission[..4], [0, 0, 0, 0]);
    assert_eq!(o.validator_emission[4..], [0, 0, 0, 0]);
    assert_eq!(o.consensus[4..], o.incentive[4..]);

    // Epochs 2..=3: validators 0 then 1 switch to a self-weight.
    let expect: [(usize, [u16; 4], [u64; 4]); 2] = [
        (
            0,
            [14582, 32767, 49151, 65535],
            [44998351, 101110561, 151667215, 202223870],
        ),
        (
            1,
            [12603, 28321, 49151, 65535],
            [40496805, 90999783, 157929636, 210573773],
        ),
    ];
    for (uid, bonds, emission) in expect {
        s.current_block += 1;
        set_weights(&mut s, uid, vec![(uid as u16, u16::MAX)]);
        s.current_block -= 1;
        let o = step(&mut s);
        assert_eq!(
            col(&o, 0..4, 4),
            bonds,
            "epoch after uid {uid} self-weights"
        );
        assert_eq!(o.validator_emission[..4], emission);
        assert_eq!(o.server_emission[4..], miners);
    }

    // Epoch 4: validator 2 self-weights; only UID 3 (0.4 < κ) still votes → fallback.
    s.current_block += 1;
    set_weights(&mut s, 2, vec![(2, u16::MAX)]);
    s.current_block -= 1;
    let o = step(&mut s);
    assert_eq!(col(&o, 0..4, 7), vec![12602, 28320, 49150, 65535]);
    assert_eq!(
        o.validator_emission,
        vec![99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
    );
    assert_eq!(o.server_emission, vec![0; 8]);
    assert!(
        o.consensus
            .iter()
            .chain(&o.incentive)
            .chain(&o.dividends)
            .all(|&x| x == 0)
    );

    // Epoch 5: validator 2 weights only UID 7.
    s.current_block += 1;
    set_weights(&mut s, 2, vec![(7, u16::MAX)]);
    s.current_block -= 1;
    let o = step(&mut s);
    assert_eq!(col(&o, 0..4, 7), vec![10951, 24609, 49150, 65535]);
    assert_eq!(
        o.validator_emission[..4],
        [36443733, 81898628, 163565493, 218092144]
    );
    assert_eq!(o.server_emission[4..], [0, 0, 0, 500000000]);
    assert_eq!(o.incentive[7], 65535);

    // Epochs 6..=8 with no changes.
    let expect: [([u16; 4], [u64; 4]); 3] = [
        (
            [9559, 21482, 49150, 65535],
            [32799427, 73706612, 168638129, 224855830],
        ),
        (
            [8376, 18824, 49150, 65535],
            [29518068, 66336137, 173203134, 230942659],
        ),
        (
            [7363, 16549, 49150, 65535],
            [26565175, 59701871, 177311856, 236421095],
        ),
    ];
    for (bonds, emission) in expect {
        let o = step(&mut s);
        assert_eq!(col(&o, 0..4, 7), bonds);
        assert_eq!(o.validator_emission[..4], emission);
        assert_eq!(o.server_emission[4..], [0, 0, 0, 500000000]);
    }
}

/// `test_512_graph`: 64 equal validators weighting all 448 miners equally.
#[test]
fn test_512_graph() {
    let (n, v) = (512usize, 64usize);
    for interleave in [false, true] {
        for server_self in [false, true] {
            let validators: Vec<usize> = if interleave {
                (0..n).filter(|i| i % (n / v) == 0).collect()
            } else {
                (0..v).collect()
            };
            let servers: Vec<usize> = (0..n).filter(|i| !validators.contains(i)).collect();
            let stakes: Vec<u64> = (0..n)
                .map(|i| {
                    if validators.contains(&i) {
                        328_125_000_000_000
                    } else {
                        0
                    }
                })
                .collect();
            let hp = Hyperparameters {
                yuma3: false,
                bonds_penalty: u16::MAX,
                max_allowed_validators: v as u16,
                tempo: u64::from(u16::MAX - 1),
                ..Hyperparameters::default()
            };
            let mut s = subnet(&stakes, 0, hp);
            s.current_block = 0;
            step(&mut s); // permit epoch at block 1
            // Weights u16::MAX / n on every server, max-upscaled to 65535 by set_weights.
            let row: SparseRow = servers.iter().map(|&j| (j as u16, u16::MAX)).collect();
            for &i in &validators {
                set_weights(&mut s, i, row.clone());
            }
            if server_self {
                for &j in &servers {
                    set_weights(&mut s, j, vec![(j as u16, u16::MAX)]);
                }
            }
            let mut o = EpochOutput::default();
            for _ in 0..3 {
                s.current_block -= 1; // the three epochs run in the same block
                o = step(&mut s);
            }
            for &i in &validators {
                assert_eq!(o.consensus[i], 0);
                assert_eq!(o.incentive[i], 0);
                assert_eq!(o.dividends[i], 1023);
                assert_eq!(o.validator_emission[i] + o.server_emission[i], 7_812_500);
                assert_eq!(col(&o, i..i + 1, servers[0] as u16), vec![65535]);
                assert_eq!(col(&o, i..i + 1, validators[0] as u16), vec![0]);
            }
            for &j in &servers {
                assert_eq!(o.consensus[j], 146);
                assert_eq!(o.incentive[j], 146);
                assert_eq!(o.dividends[j], 0);
                assert_eq!(o.validator_emission[j] + o.server_emission[j], 1_116_071);
                assert!(o.bonds[j].is_empty());
            }
        }
    }
}

/// `test_10_graph`: only self-weights and no permits → fallback pays by stake.
#[test]
fn test_10_graph() {
    let mut s = subnet(&[1; 10], 0, Hyperparameters::default());
    s.current_block = 1;
    for i in 0..10 {
        set_weights(&mut s, i, vec![(i as u16, u16::MAX)]);
    }
    let o = run_epoch(&s).unwrap();
    for i in 0..10 {
        assert_eq!(o.consensus[i], 0);
        assert_eq!(o.incentive[i], 0);
        assert_eq!(o.dividends[i], 0);
        assert_eq!(o.validator_emission[i], 99_999_999);
        assert_eq!(o.server_emission[i], 0);
    }
}

/// `test_1_graph`: a single UID with a self-weight earns no consensus or incentive.
#[test]
fn test_1_graph() {
    let mut s = subnet(&[1_000_000_000], 1, Hyperparameters::default());
    set_weights(&mut s, 0, vec![(0, u16::MAX)]);
    s.current_block = 2;
    let o = run_epoch(&s).unwrap();
    assert_eq!((o.consensus[0], o.incentive[0], o.dividends[0]), (0, 0, 0));
    assert_eq!(o.validator_emission[0], E);
}

fn yuma3_hp(liquid: bool) -> Hyperparameters {
    Hyperparameters {
        yuma3: true,
        liquid_alpha: liquid,
        kappa: u16::MAX / 2,
        bonds_penalty: 0,
        bonds_moving_average: 975_000,
        alpha_sigmoid_steepness: 1000,
        // set_alpha_values_32(0.1, 0.3) stores floor(x · 65535) of the I32F32 values.
        alpha_low: 6553,
        alpha_high: 19660,
        max_allowed_validators: 3,
        tempo: 1,
        ..Hyperparameters::default()
    }
}

type Plan = Vec<Option<Vec<Vec<u16>>>>;

/// `setup_yuma_3_scenario` + `run_epoch_and_check_bonds_dividends`.
fn yuma3_scenario(
    stakes: &[u64],
    liquid: bool,
    miners: &[u16],
    plan: Plan,
    bonds: &[[[f64; 3]; 3]],
    dividends: &[[f64; 3]],
) {
    let mut s = subnet(stakes, 1, yuma3_hp(liquid));
    step(&mut s); // permit epoch at block 2
    for (e, weights) in plan.into_iter().enumerate() {
        if let Some(rows) = weights {
            for (uid, vals) in rows.into_iter().enumerate() {
                // set_weights max-upscales the submitted values.
                let max = u64::from(*vals.iter().max().unwrap());
                let row = miners
                    .iter()
                    .zip(vals)
                    .map(|(&j, w)| {
                        let up = (u64::from(w) * 65535 * 2 + max) / (2 * max);
                        (j, up as u16)
                    })
                    .collect();
                set_weights(&mut s, uid, row);
            }
        }
        let o = step(&mut s);
        for i in 0..3 {
            let d = f64::from(o.dividends[i]) / 65535.0;
            assert!(
                (d - dividends[e][i]).abs() <= 1e-3,
                "epoch {e} uid {i}: dividend {d} vs {}",
                dividends[e][i]
            );
            for (k, &j) in miners.iter().enumerate() {
                let b = f64::from(col(&o, i..i + 1, j)[0]) / 65535.0;
                let t = bonds[e][i][k];
                assert!((b - t).abs() <= 1e-3, "epoch {e} bond {i}->{j}: {b} vs {t}");
            }
        }
    }
}

#[test]
fn test_yuma_3_kappa_moves_first() {
    let m = u16::MAX;
    let plan: Plan = vec![
        Some(vec![vec![m, 0]; 3]),
        Some(vec![vec![0, m], vec![m, 0], vec![m, 0]]),
        Some(vec![vec![0, m], vec![0, m], vec![m, 0]]),
        Some(vec![vec![0, m]; 3]),
        None,
        None,
    ];
    let z = 0.0;
    let bonds = [
        [[0.1013, z, z], [0.1013, z, z], [0.1013, z, z]],
        [[0.0908, 0.1013, z], [0.3697, z, z], [0.3697, z, z]],
        [[0.0815, 0.1924, z], [0.3170, 0.1013, z], [0.5580, z, z]],
        [
            [0.0731, 0.2742, z],
            [0.2765, 0.1924, z],
            [0.4306, 0.1013, z],
        ],
        [
            [0.0656, 0.3478, z],
            [0.2435, 0.2742, z],
            [0.3589, 0.1924, z],
        ],
        [
            [0.0588, 0.4139, z],
            [0.2157, 0.3478, z],
            [0.3089, 0.2742, z],
        ],
    ];
    let dividends = [
        [0.8000, 0.1000, 0.1000],
        [1.0000, 0.0000, 0.0000],
        [0.9382, 0.0618, 0.0000],
        [0.8819, 0.0773, 0.0407],
        [0.8564, 0.0844, 0.0592],
        [0.8418, 0.0884, 0.0697],
    ];
    yuma3_scenario(&[8, 1, 1, 0, 0], true, &[3, 4], plan, &bonds, &dividends);
}

#[test]
fn test_yuma_3_liquid_alpha_disabled() {
    let m = u16::MAX;
    let all = Some(vec![vec![m, 0]; 3]);
    let plan: Plan = vec![
        all.clone(),
        all.clone(),
        Some(vec![vec![m, 0], vec![m, 0], vec![0, m]]),
        all.clone(),
        all.clone(),
        all,
    ];
    let z = 0.0;
    let b = |a: f64, c: f64, d: f64| [[a, z, z], [a, z, z], [c, d, z]];
    let bonds = [
        b(0.0250, 0.0250, 0.0),
        b(0.0494, 0.0494, 0.0),
        b(0.0731, 0.0481, 0.0250),
        b(0.0963, 0.0719, 0.0244),
        b(0.1189, 0.0951, 0.0238),
        b(0.1409, 0.1178, 0.0232),
    ];
    let dividends = [
        [0.3300, 0.3300, 0.3400],
        [0.3300, 0.3300, 0.3400],
        [0.3734, 0.3734, 0.2532],
        [0.3611, 0.3611, 0.2779],
        [0.3541, 0.3541, 0.2919],
        [0.3495, 0.3495, 0.3009],
    ];
    yuma3_scenario(
        &[33, 33, 34, 0, 0],
        false,
        &[3, 4],
        plan,
        &bonds,
        &dividends,
    );
}

#[test]
fn test_yuma_3_stable_miner() {
    let h = u16::MAX / 2;
    let plan: Plan = vec![
        Some(vec![vec![h, 0, h]; 3]),
        Some(vec![vec![h, 0, h], vec![0, h, h], vec![h, 0, h]]),
        Some(vec![vec![0, h, h], vec![0, h, h], vec![h, 0, h]]),
        Some(vec![vec![0, h, h]; 3]),
        None,
        None,
    ];
    let bonds = [
        [
            [0.0507, 0.0000, 0.0507],
            [0.0507, 0.0000, 0.0507],
            [0.0507, 0.0000, 0.0507],
        ],
        [
            [0.0962, 0.0000, 0.0962],
            [0.0455, 0.1000, 0.0962],
            [0.0962, 0.0000, 0.0962],
        ],
        [
            [0.0863, 0.0507, 0.1371],
            [0.0408, 0.1405, 0.1371],
            [0.1770, 0.0000, 0.1371],
        ],
        [
            [0.0774, 0.0962, 0.1739],
            [0.0367, 0.1770, 0.1739],
            [0.1579, 0.0507, 0.1739],
        ],
        [
            [0.0694, 0.1371, 0.2069],
            [0.0329, 0.2097, 0.2069],
            [0.1411, 0.0962, 0.2069],
        ],
        [
            [0.0623, 0.1739, 0.2366],
            [0.0296, 0.2391, 0.2366],
            [0.1263, 0.1371, 0.2366],
        ],
    ];
    let dividends = [
        [0.8000, 0.1000, 0.1000],
        [0.8226, 0.0745, 0.1028],
        [0.7750, 0.1685, 0.0565],
        [0.7864, 0.1372, 0.0764],
        [0.7912, 0.1241, 0.0847],
        [0.7937, 0.1173, 0.0890],
    ];
    yuma3_scenario(
        &[8, 1, 1, 0, 0, 0],
        true,
        &[3, 4, 5],
        plan,
        &bonds,
        &dividends,
    );
}
