//! Scenario: under Yuma3 a weight copier that replays last epoch's consensus
//! earns less than an honest validator of equal stake who moved first.
//!
//! Subnet: validators A (stake 50, honest anchor), H (25, honest) and C (25,
//! copier); miners 3 and 4. The better miner alternates every 4 epochs. A and H
//! put all weight on the current better miner as soon as it changes; C sets its
//! weights to the consensus published the epoch before, so it is always exactly
//! one epoch late. Permits and bonds are carried between epochs as on chain.

#![allow(missing_docs, clippy::unwrap_used)]

use synod_yuma::{EpochInput, Hyperparameters, NeuronInput, SparseRow, run_epoch};

const EPOCHS: u64 = 24;
const PERIOD: u64 = 4;

/// Total validator emission of (H, C) over the run.
fn run(hp: Hyperparameters) -> (u64, u64) {
    let (a, h, c) = (0usize, 1usize, 2usize);
    let stakes = [50_000_000_000u64, 25_000_000_000, 25_000_000_000, 0, 0];
    let mut input = EpochInput {
        hyperparameters: hp,
        current_block: 1_000,
        last_epoch_block: Some(640),
        emission: 1_000_000_000,
        owner_uid: None,
        neurons: stakes
            .iter()
            .map(|&stake| NeuronInput {
                stake,
                validator_permit: stake > 0,
                last_update: 0,
                block_at_registration: 1,
                commit_block: None,
            })
            .collect(),
        weights: vec![Vec::new(); 5],
        bonds: vec![Vec::new(); 5],
    };
    let tempo = 360;
    let mut last_consensus: SparseRow = vec![(3, 0), (4, 0)];
    let (mut honest, mut copier) = (0u64, 0u64);
    for epoch in 0..EPOCHS {
        let good: u16 = if (epoch / PERIOD).is_multiple_of(2) {
            3
        } else {
            4
        };
        let honest_row: SparseRow = vec![
            (3, if good == 3 { u16::MAX } else { 0 }),
            (4, if good == 4 { u16::MAX } else { 0 }),
        ];
        let block = input.current_block;
        for (uid, row) in [
            (a, honest_row.clone()),
            (h, honest_row),
            (c, last_consensus.clone()),
        ] {
            input.weights[uid] = row;
            input.neurons[uid].last_update = block - 1;
        }
        let out = run_epoch(&input).unwrap();
        if epoch > 0 {
            honest += out.validator_emission[h];
            copier += out.validator_emission[c];
        }
        // The copier reads the published consensus (max-upscaled, as set_weights stores it).
        let (c3, c4) = (u64::from(out.consensus[3]), u64::from(out.consensus[4]));
        let max = c3.max(c4);
        let up = |x: u64| (x * 65_535).checked_div(max).unwrap_or(0) as u16;
        last_consensus = vec![(3, up(c3)), (4, up(c4))];
        for (nr, &p) in input.neurons.iter_mut().zip(&out.validator_permit) {
            nr.validator_permit = p;
        }
        input.bonds = out.bonds;
        input.last_epoch_block = Some(block);
        input.current_block = block + tempo;
    }
    (honest, copier)
}

#[test]
fn yuma3_copier_earns_less_than_early_honest_validator() {
    let (honest, copier) = run(Hyperparameters {
        yuma3: true,
        liquid_alpha: false,
        ..Hyperparameters::default()
    });
    eprintln!("yuma3: honest {honest}, copier {copier}");
    assert!(honest > copier, "honest {honest} <= copier {copier}");
    // Not a rounding artefact: at least a 5% advantage.
    assert!(
        honest * 100 >= copier * 105,
        "honest {honest} vs copier {copier}"
    );
}

#[test]
fn yuma3_liquid_alpha_copier_earns_less_than_early_honest_validator() {
    let (honest, copier) = run(Hyperparameters {
        yuma3: true,
        liquid_alpha: true,
        alpha_low: 6_553,
        alpha_high: 19_660,
        bonds_penalty: 0,
        ..Hyperparameters::default()
    });
    eprintln!("yuma3+liquid alpha: honest {honest}, copier {copier}");
    assert!(
        honest * 100 >= copier * 105,
        "honest {honest} vs copier {copier}"
    );
}
