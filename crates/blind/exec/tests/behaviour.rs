//! Leakage (transcript), party bindings and typed errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashSet;

use rand::SeedableRng;
use rand::rngs::StdRng;
use synod_blind_exec::{
    Bindings, ExecError, ExecOptions, InputData, OutputData, Role, StoredInputs, execute,
    execute_with, plan, share_inputs,
};
use synod_blind_lang::{Inputs, Options, Value, compile};
use synod_mpc::{
    Fr, Message, MpcError, Params, Party, PrepKind, SimOptions, Simulation, Transport, from_i128,
};

const AUCTION: &str = include_str!("../../lang/examples/auction.blind");
const MINER: &str = include_str!("../../lang/examples/miner_score.blind");

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

/// No message of a run carries a secret input (or secret output) value in
/// the clear, in either sign.
fn assert_transcript_clean(src: &str, ins: &Inputs, secrets: &[i128]) {
    let p = compile(src, &Options::default()).unwrap();
    let expected = p.run(ins).unwrap();
    let run = common::run_mpc_opts(
        &p.mir,
        ins,
        3,
        5,
        SimOptions {
            wire_encoding: true,
            record_transcript: true,
        },
        &ExecOptions::default(),
    )
    .unwrap();
    assert_eq!(run.outputs, expected);
    let transcript = run.sim.take_transcript();
    assert!(transcript.len() > 100, "transcript recorded");
    let forbidden: HashSet<Fr> = secrets
        .iter()
        .flat_map(|v| [from_i128::<Fr>(*v), from_i128::<Fr>(-*v)])
        .collect();
    let mut elements = 0usize;
    for m in &transcript {
        for x in &m.payload {
            elements += 1;
            assert!(
                !forbidden.contains(x),
                "a secret travels in the clear (round {})",
                m.round
            );
        }
    }
    assert!(elements > 1000);
}

#[test]
fn transcript_never_carries_secret_inputs_auction() {
    let bids = [1_234_567, 89_012_345, 6_789_012, 89_012_344];
    let ins = inputs(&[
        ("Bidder0", "bid0", Value::Int(bids[0])),
        ("Bidder1", "bid1", Value::Int(bids[1])),
        ("Bidder2", "bid2", Value::Int(bids[2])),
        ("Bidder3", "bid3", Value::Int(bids[3])),
    ]);
    assert_transcript_clean(AUCTION, &ins, &bids);
}

#[test]
fn transcript_never_carries_secret_inputs_miner() {
    let answer = [101, -202, 303, 4040, 5055, -6066, 70_707, 8_080_808];
    let reference = [103, -199, 333, 4041, 5050, -6060, 70_700, 8_080_000];
    let weights = [11, 13, 17, 19, 23, 29, 31, 37];
    let ins = inputs(&[
        ("Miner", "answer", ints(&answer)),
        ("Validator", "reference", ints(&reference)),
        ("Validator", "weights", ints(&weights)),
    ]);
    let mut all = answer.to_vec();
    all.extend(reference);
    all.extend(weights);
    assert_transcript_clean(MINER, &ins, &all);
}

#[test]
fn member_bindings_share_online_and_reveal_to_one() {
    let p = compile(AUCTION, &Options::default()).unwrap();
    let ins = inputs(&[
        ("Bidder0", "bid0", Value::Int(700)),
        ("Bidder1", "bid1", Value::Int(900)),
        ("Bidder2", "bid2", Value::Int(800)),
        ("Bidder3", "bid3", Value::Int(901)),
    ]);
    let expected = p.run(&ins).unwrap();
    let params = Params::new(3, 1).unwrap();
    let plan = plan(&p.mir).unwrap();
    // Seller is member 0, Bidder0 is member 1 (shares its bid online),
    // Bidder1 is member 2; Bidder2/3 are outside clients.
    let bindings = Bindings {
        roles: vec![
            Role::Member(0),
            Role::Member(1),
            Role::Member(2),
            Role::Client,
            Role::Client,
        ],
    };
    let mut rng = StdRng::seed_from_u64(9);
    let mut stored: Vec<StoredInputs<Fr>> = (0..3).map(|_| StoredInputs::new()).collect();
    for party in ["Bidder2", "Bidder3"] {
        let per = share_inputs::<Fr, _>(&p.mir, party, &ins[party], params, &mut rng).unwrap();
        for (s, x) in stored.iter_mut().zip(per) {
            s.merge(x);
        }
    }
    let opts: Vec<ExecOptions> = (0..3)
        .map(|id| {
            let mut own = Inputs::new();
            for (party, member) in [("Bidder0", 1), ("Bidder1", 2)] {
                if member == id {
                    own.insert(party.to_string(), ins[party].clone());
                }
            }
            ExecOptions {
                bindings: bindings.clone(),
                own_inputs: own,
                preprocess: true,
            }
        })
        .collect();
    let mut sim = Simulation::<Fr>::new(params, 3).unwrap();
    let res = sim
        .run(async |p| {
            let id = p.id();
            Ok(execute_with(&plan, p, &stored[id], &opts[id]).await)
        })
        .unwrap();
    let nodes: Vec<_> = res.into_iter().map(Result::unwrap).collect();
    for (id, node) in nodes.iter().enumerate() {
        for o in &node.outputs {
            match (&o.data, id) {
                (OutputData::Revealed(v), 0) => {
                    let want = &expected["Seller"][&o.name];
                    assert_eq!(&Value::Int(v[0]), want);
                }
                (OutputData::Withheld, 1 | 2) => {}
                (d, _) => panic!("node {id} got {d:?} for {}", o.name),
            }
        }
        assert_eq!(node.stats.rounds.online, node.stats.predicted_online_rounds);
    }
}

fn simple(src: &str) -> synod_blind_lang::Compiled {
    compile(src, &Options::default()).unwrap()
}

#[test]
fn input_errors_are_typed() {
    let p = simple(
        "party A; input a: secret i8 from A; input b: [public u8; 2] from A; \
         output o = a + (b[0] as i8) to A;",
    );
    let params = Params::new(3, 1).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let mut vals = std::collections::BTreeMap::new();
    vals.insert("a".to_string(), Value::Int(300));
    vals.insert("b".to_string(), ints(&[1, 2]));
    let e = share_inputs::<Fr, _>(&p.mir, "A", &vals, params, &mut rng).unwrap_err();
    assert!(matches!(e, ExecError::OutOfRange { value: 300, .. }), "{e}");
    vals.insert("a".to_string(), Value::Int(3));
    vals.insert("b".to_string(), ints(&[1, 2, 3]));
    let e = share_inputs::<Fr, _>(&p.mir, "A", &vals, params, &mut rng).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::WrongShape {
                expected: 2,
                actual: 3,
                ..
            }
        ),
        "{e}"
    );
    vals.insert("b".to_string(), ints(&[1, 2]));
    vals.insert("zzz".to_string(), Value::Int(1));
    let e = share_inputs::<Fr, _>(&p.mir, "A", &vals, params, &mut rng).unwrap_err();
    assert_eq!(e, ExecError::UnexpectedInput("zzz".into()));
    assert_eq!(
        share_inputs::<Fr, _>(&p.mir, "B", &vals, params, &mut rng).unwrap_err(),
        ExecError::UnknownParty("B".into())
    );

    // Node side: missing input, secrecy mismatch, public out of range.
    let plan = plan(&p.mir).unwrap();
    let mut sim = Simulation::<Fr>::new(params, 1).unwrap();
    let mut bad = StoredInputs::<Fr>::new();
    bad.insert("b", InputData::Public(vec![1, 2]));
    let r = sim
        .run(async |p| Ok(execute(&plan, p, &bad).await))
        .unwrap();
    assert_eq!(r[0], Err(ExecError::MissingInput("a".into())));
    bad.insert("a", InputData::Public(vec![1]));
    let r = sim
        .run(async |p| Ok(execute(&plan, p, &bad).await))
        .unwrap();
    assert!(matches!(r[0], Err(ExecError::SecrecyMismatch { .. })));
    bad.insert("a", InputData::Secret(vec![synod_mpc::Share::zero()]));
    bad.insert("b", InputData::Public(vec![1, 256]));
    let r = sim
        .run(async |p| Ok(execute(&plan, p, &bad).await))
        .unwrap();
    assert!(matches!(
        r[0],
        Err(ExecError::OutOfRange { value: 256, .. })
    ));
}

#[test]
fn division_by_zero_matches_interpreter() {
    let p = simple(
        "party A; input a: secret i32 from A; input d: public i32 from A; \
         output safe = if d != 0 then a / d else 0i32 to A; output q = a % d to A;",
    );
    for d in [0i128, -3, 7] {
        let ins = inputs(&[("A", "a", Value::Int(-22)), ("A", "d", Value::Int(d))]);
        let expected = p.run(&ins);
        let got = common::run_mpc(&p.mir, &ins, 3, 2);
        match (expected, got) {
            (Ok(e), Ok(g)) => assert_eq!(g.outputs, e),
            (Err(e), Err(g)) => {
                assert!(matches!(g, ExecError::DivisionByZero { .. }));
                assert_eq!(e.to_string(), g.to_string());
            }
            (e, g) => panic!("d = {d}: {e:?} vs {:?}", g.map(|r| r.outputs)),
        }
    }
}

#[test]
fn exhausted_preprocessing_is_reported() {
    let p = simple(
        "party A; party B; input a: secret u64 from A; input b: secret u64 from B; \
         output lt = a < b to A;",
    );
    let ins = inputs(&[("A", "a", Value::Int(5)), ("B", "b", Value::Int(9))]);
    let req = plan(&p.mir)
        .unwrap()
        .requirements_for(&StoredInputs::<Fr>::new())
        .unwrap();
    assert_eq!(req.get(PrepKind::DigitMask { bits: 64 }), 1);
    let opts = ExecOptions {
        preprocess: false,
        ..ExecOptions::default()
    };
    let e = common::run_mpc_opts(&p.mir, &ins, 3, 1, SimOptions::default(), &opts)
        .err()
        .unwrap();
    assert!(
        matches!(
            e,
            ExecError::PreprocessingExhausted {
                kind: PrepKind::DigitMask { bits: 64 },
                needed: 1,
                available: 0
            }
        ),
        "{e}"
    );
}

/// A transport whose link is down.
struct Down;

impl Transport<Fr> for Down {
    async fn exchange(
        &mut self,
        _round: u64,
        _outgoing: Vec<Message<Fr>>,
    ) -> Result<Vec<Message<Fr>>, MpcError> {
        Err(MpcError::Transport("link down".into()))
    }
}

#[test]
fn transport_failure_is_reported() {
    let p = simple(
        "party A; input a: secret u16 from A; input b: secret u16 from A; output o = a * b to A;",
    );
    let plan = plan(&p.mir).unwrap();
    let params = Params::new(3, 1).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let mut vals = std::collections::BTreeMap::new();
    vals.insert("a".to_string(), Value::Int(3));
    vals.insert("b".to_string(), Value::Int(4));
    let stored = share_inputs::<Fr, _>(&p.mir, "A", &vals, params, &mut rng).unwrap();
    let mut party = Party::new(params, 0, [7; 32], Down).unwrap();
    let r = common::block_on(execute(&plan, &mut party, &stored[0]));
    assert_eq!(r.unwrap_err(), ExecError::Transport("link down".into()));
}

#[test]
fn control_flow_after_reveal() {
    // The divisor is only known after a reveal (its division mask is
    // generated on demand), and a public `if` on a revealed bit skips the
    // dead branch (including a division by zero there).
    let p = simple(
        "party A; party B; input x: secret i32 from A; input y: secret i32 from B; \
         let d = reveal(y); \
         output q = x / (if d == 0 then 7i32 else d) to A; \
         output r = if reveal(x > 0i32) then x % 5i32 else x / (d - d) to B;",
    );
    for (x, y) in [(-23i128, 4i128), (23, 0), (-5, -3), (i32::MIN as i128, -1)] {
        let ins = inputs(&[("A", "x", Value::Int(x)), ("B", "y", Value::Int(y))]);
        let expected = p.run(&ins);
        let got = common::run_mpc(&p.mir, &ins, 3, 4);
        match (expected, got) {
            (Ok(e), Ok(run)) => {
                assert_eq!(run.outputs, e, "x = {x}, y = {y}");
                let s = &run.nodes[0].stats;
                assert!(s.rounds.online > 0);
            }
            (Err(e), Err(g)) => assert_eq!(e.to_string(), g.to_string()),
            (e, g) => panic!("x = {x}, y = {y}: {e:?} vs {:?}", g.map(|r| r.outputs)),
        }
    }
}
