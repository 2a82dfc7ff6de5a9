//! The three example programs of blind-lang under MPC (n = 3), against the
//! reference interpreter; only the designated party can reconstruct.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use synod_blind_exec::{OutputData, reconstruct_outputs};
use synod_blind_lang::{Compiled, Inputs, Options, Value, compile};

const AUCTION: &str = include_str!("../../lang/examples/auction.blind");
const AVERAGE: &str = include_str!("../../lang/examples/private_average.blind");
const MINER: &str = include_str!("../../lang/examples/miner_score.blind");

fn build(src: &str) -> Compiled {
    compile(src, &Options::default()).unwrap()
}

fn inputs(entries: &[(&str, &str, Value)]) -> Inputs {
    let mut m = Inputs::new();
    for (party, name, v) in entries {
        m.entry(party.to_string())
            .or_default()
            .insert(name.to_string(), v.clone());
    }
    m
}

fn ints(xs: &[i128]) -> Value {
    Value::Array(xs.iter().map(|x| Value::Int(*x)).collect())
}

fn check(p: &Compiled, ins: &Inputs, label: &str) -> common::MpcRun {
    let expected = p.run(ins).unwrap();
    let run = common::run_mpc(&p.mir, ins, 3, 11).unwrap();
    assert_eq!(run.outputs, expected, "{label}");
    let s = &run.nodes[0].stats;
    eprintln!(
        "{label}: online rounds {} (predicted {}, analyser {}), preprocessing rounds {}, {} steps",
        s.rounds.online,
        s.predicted_online_rounds,
        s.analysis_online_rounds,
        s.rounds.preprocessing,
        s.steps.len()
    );
    assert_eq!(
        s.rounds.online, s.predicted_online_rounds,
        "{label}: prediction"
    );
    run
}

#[test]
fn auction_matches_interpreter() {
    let p = build(AUCTION);
    for bids in [
        [10, 42, 7, 41],
        [5, 9, 9, 1],
        [0, 0, 0, 0],
        [u32::MAX as i128, 0, u32::MAX as i128, 1],
    ] {
        let ins = inputs(&[
            ("Bidder0", "bid0", Value::Int(bids[0])),
            ("Bidder1", "bid1", Value::Int(bids[1])),
            ("Bidder2", "bid2", Value::Int(bids[2])),
            ("Bidder3", "bid3", Value::Int(bids[3])),
        ]);
        let run = check(&p, &ins, "auction");
        // Every secret output is delivered as shares only; other parties get nothing.
        for node in &run.nodes {
            for o in &node.outputs {
                assert_eq!(o.party, "Seller");
                assert!(matches!(o.data, OutputData::Shares(_)));
            }
            assert!(node.for_party("Bidder0").outputs.is_empty());
        }
        // t shares alone do not reconstruct.
        let one: Vec<_> = run.nodes[..1]
            .iter()
            .map(|n| n.for_party("Seller"))
            .collect();
        assert!(reconstruct_outputs(&p.mir, "Seller", run.params, &one).is_err());
    }
}

#[test]
fn private_average_matches_interpreter() {
    let p = build(AVERAGE);
    for (scores, threshold) in [
        ([10, 20, 30, 40, 50, 60, 70, 80], 35),
        ([0; 8], 0),
        ([65535; 8], 65534),
        ([1, 2, 3, 4, 5, 6, 7, 8], 100),
    ] {
        let ins = inputs(&[
            ("Curator", "scores", ints(&scores)),
            ("Analyst", "threshold", Value::Int(threshold)),
        ]);
        check(&p, &ins, "private_average");
    }
}

#[test]
fn miner_score_matches_interpreter() {
    let p = build(MINER);
    let i32min = i32::MIN as i128;
    let i32max = i32::MAX as i128;
    for (answer, reference, weights) in [
        (
            [1, 2, 3, 4, 5, 6, 7, 8],
            [1, 7, 30, -4, 5, 6, 12, 3],
            [1, 2, 3, 4, 5, 6, 7, 8],
        ),
        (
            [i32min, i32max, 0, -1, 5, -5, 6, -6],
            [i32max, i32min, 0, 4, 0, 0, 0, 0],
            [u32::MAX as i128; 8],
        ),
    ] {
        let ins = inputs(&[
            ("Miner", "answer", ints(&answer)),
            ("Validator", "reference", ints(&reference)),
            ("Validator", "weights", ints(&weights)),
        ]);
        check(&p, &ins, "miner_score");
    }
}
