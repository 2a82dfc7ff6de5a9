//! Differential property tests: random well-typed programs (mixed
//! public/secret inputs of every width, edge values, depth up to 8, with
//! `reveal`, equality tests against power-of-two constants next to ordering
//! tests) give the same outputs under MPC as on the reference interpreter,
//! for committees of 3, 5 and 7, on the generator's inputs and on an
//! edge-biased set or one of extremes (0, min, max); the focused
//! mixed-round programs run on all three.
//!
//! Debug builds run a few cases per committee size; release builds more.
//! `SYNOD_BLIND_DIFF_CASES=N` sets the number of programs per committee
//! size, e.g. the release run of the closing notes:
//!
//! ```text
//! SYNOD_BLIND_DIFF_CASES=2000 cargo test --release -p synod-blind-exec --test differential
//! ```
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use proptest::prelude::*;
use synod_blind_lang::testing::{
    GenConfig, GeneratedProgram, Rng, arb_program, extreme_inputs, random_inputs,
};
use synod_blind_lang::{Options, compile};

/// `(measured online rounds, analyser estimate)` of each successful run.
type Figures = Vec<(u64, u64)>;

/// Which input sets a program runs on besides the generator's own.
#[derive(Clone, Copy)]
enum Sets {
    /// One more: edge-biased (even seeds) or extremes (odd seeds).
    One,
    /// Both.
    Both,
}

fn check(g: &GeneratedProgram, n: usize) -> Result<Figures, TestCaseError> {
    check_sets(g, n, Sets::One)
}

fn check_sets(g: &GeneratedProgram, n: usize, extra: Sets) -> Result<Figures, TestCaseError> {
    let mut figures = Vec::new();
    let prog = compile(&g.source, &Options::default())
        .map_err(|e| TestCaseError::fail(format!("does not compile: {e:?}")))?;
    // The generator's inputs, then a second edge-biased set and/or extremes,
    // where operands reach the end points of their bounds.
    let mut sets = vec![g.inputs.clone()];
    let edge = || random_inputs(&prog.mir, &mut Rng::new(g.seed ^ 0x5eed));
    let extremes = || extreme_inputs(&prog.mir, &mut Rng::new(g.seed ^ 0xe7));
    match extra {
        Sets::One if g.seed.is_multiple_of(2) => sets.push(edge()),
        Sets::One => sets.push(extremes()),
        Sets::Both => sets.extend([edge(), extremes()]),
    }
    for inputs in sets {
        let expected = prog.run(&inputs);
        let got = common::run_mpc(&prog.mir, &inputs, n, g.seed);
        match (expected, got) {
            (Ok(e), Ok(run)) => {
                prop_assert_eq!(&run.outputs, &e, "n = {}\n{}", n, g.source);
                let s = &run.nodes[0].stats;
                figures.push((s.rounds.online, s.analysis_online_rounds));
                if !prog
                    .mir
                    .nodes
                    .iter()
                    .any(|o| matches!(o, synod_blind_lang::Op::Reveal(_)))
                {
                    prop_assert_eq!(s.rounds.online, s.predicted_online_rounds, "{}", g.source);
                }
            }
            (Err(e), Err(x)) => {
                prop_assert_eq!(format!("{e}"), format!("{x}"), "{}", g.source);
            }
            (e, x) => {
                return Err(TestCaseError::fail(format!(
                    "interpreter {:?} vs mpc {:?}\n{}",
                    e.map(|_| ()),
                    x.map(|_| ()),
                    g.source
                )));
            }
        }
    }
    Ok(figures)
}

// Debug builds (the default `cargo test`) keep the suite well under a
// minute; `cargo test --release` runs many more and deeper cases.
#[cfg(debug_assertions)]
const CASES: u32 = 12;
#[cfg(not(debug_assertions))]
const CASES: u32 = 200;

/// Programs of the focused mixed-round tests for committees of 3, 5 and 7.
/// About one in nine of them hits an operand order and input at which a
/// mis-sized mixed round shows (the width does not depend on the committee
/// size, whose cost grows fast in debug builds), so debug builds run most
/// of them for 3 members: 49 programs miss such a bug with probability
/// about 0.2%, and the deterministic regression test below pins it down.
#[cfg(debug_assertions)]
const MIXED_CASES: [u32; 3] = [40, 6, 3];
#[cfg(not(debug_assertions))]
const MIXED_CASES: [u32; 3] = [200, 200, 200];

/// Programs per committee size: `SYNOD_BLIND_DIFF_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("SYNOD_BLIND_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(debug_assertions)]
const DEPTH_N5_N7: (u32, u32) = (6, 4);
#[cfg(not(debug_assertions))]
const DEPTH_N5_N7: (u32, u32) = (8, 8);

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(CASES), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mpc_matches_interpreter_n3(g in arb_program(GenConfig::default())) {
        let _ = check(&g, 3)?;
    }

    #[test]
    fn mpc_matches_interpreter_n5(g in arb_program(GenConfig { max_depth: DEPTH_N5_N7.0, ..GenConfig::default() })) {
        let _ = check(&g, 5)?;
    }

    #[test]
    fn mpc_matches_interpreter_n7(g in arb_program(GenConfig { max_depth: DEPTH_N5_N7.1, max_lets: 3, ..GenConfig::default() })) {
        let _ = check(&g, 7)?;
    }
}

// Equality tests next to ordering tests in one round, on operands whose
// bounds end exactly on powers of two (issue 17).
proptest! {
    #![proptest_config(ProptestConfig { cases: cases(MIXED_CASES[0]), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mixed_rounds_match_interpreter_n3(g in arb_program(GenConfig::mixed_comparisons())) {
        let _ = check_sets(&g, 3, Sets::Both)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(MIXED_CASES[1]), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mixed_rounds_match_interpreter_n5(g in arb_program(GenConfig::mixed_comparisons())) {
        let _ = check_sets(&g, 5, Sets::Both)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(MIXED_CASES[2]), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mixed_rounds_match_interpreter_n7(g in arb_program(GenConfig::mixed_comparisons())) {
        let _ = check_sets(&g, 7, Sets::Both)?;
    }
}

/// Many more seeds, deterministic (run with `--release -- --ignored`).
#[test]
#[ignore = "long: run with --release -- --ignored"]
fn many_seeds_n3() {
    let (mut runs, mut above, mut sum_m, mut sum_a, mut worst) = (0u64, 0u64, 0u64, 0u64, 0f64);
    for seed in 0..2000u64 {
        let g = synod_blind_lang::testing::generate(seed, &GenConfig::default());
        let figures = check(&g, 3).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (m, a) in figures {
            runs += 1;
            sum_m += m;
            sum_a += a;
            if m > a {
                above += 1;
                worst = worst.max(m as f64 / a.max(1) as f64);
            }
        }
    }
    eprintln!(
        "{runs} runs: online rounds total {sum_m} vs analyser {sum_a}; \
         {above} runs above the analyser (worst ratio {worst:.2})"
    );
}

/// Diagnostics: the programs whose measured rounds exceed the analyser's
/// estimate the most.
#[test]
#[ignore = "diagnostic: run with --release -- --ignored --nocapture"]
fn worst_against_analyser() {
    let mut worst: Vec<(f64, u64, u64, u64)> = Vec::new();
    for seed in 0..400u64 {
        let g = synod_blind_lang::testing::generate(seed, &GenConfig::default());
        for (m, a) in check(&g, 3).unwrap() {
            worst.push((m as f64 / a.max(1) as f64, m, a, seed));
        }
    }
    worst.sort_by(|x, y| y.0.total_cmp(&x.0));
    for (r, m, a, seed) in worst.iter().take(3) {
        let g = synod_blind_lang::testing::generate(*seed, &GenConfig::default());
        let prog = compile(&g.source, &Options::default()).unwrap();
        let run = common::run_mpc(&prog.mir, &g.inputs, 3, *seed).unwrap();
        eprintln!(
            "seed {seed}: measured {m}, analyser {a} ({r:.2})\n{}",
            g.source
        );
        for s in &run.nodes[0].stats.steps {
            eprintln!("  {:?} x{} -> {}", s.kind, s.batch, s.rounds);
        }
    }
}

/// Runs `src` on `inputs` (all owned by party `A`) under MPC for the given
/// committee sizes and on the interpreter; returns a description of each
/// disagreement. Also checks that the program really ran its equality test
/// inside a mixed `ltz` round, otherwise the case would not exercise the
/// batched path it is meant to pin down.
fn check_mixed_round(
    src: &str,
    entries: &[(&str, synod_blind_lang::Value)],
    committees: &[usize],
) -> Vec<String> {
    let prog = compile(src, &Options::default()).unwrap();
    let mut inputs = synod_blind_lang::Inputs::new();
    for (name, v) in entries {
        inputs
            .entry("A".to_string())
            .or_default()
            .insert(name.to_string(), v.clone());
    }
    let expected = prog.run(&inputs).unwrap();
    let mut failures = Vec::new();
    for &n in committees {
        let run = common::run_mpc(&prog.mir, &inputs, n, 17).unwrap();
        let steps = &run.nodes[0].stats.steps;
        assert!(
            !steps
                .iter()
                .any(|s| matches!(s.kind, synod_blind_exec::StepKind::Equal { .. })),
            "equality ran on its own, not batched with an ordering test: {steps:?}\n{src}"
        );
        if run.outputs != expected {
            failures.push(format!(
                "n = {n}, inputs {entries:?}: mpc {:?}, interpreter {expected:?}\n{src}",
                run.outputs
            ));
        }
    }
    failures
}

/// Issue 17, item 1: an equality test batched with an ordering comparison
/// whose difference has a lower bound of exactly `-2^k` (so its negation
/// needs one more bit than the difference itself).
///
/// The canonical MIR orders the operands of `==` by structural hash, so
/// which of `x - c` and `c - x` the executor tests is fixed but arbitrary;
/// every width is therefore tried with a constant and a value that break
/// each order: `c` the middle of `x`'s range with `x` at its minimum
/// (`x - c = -2^(w-1)`), and `c` one below the middle with `x` at its
/// maximum (`c - x = -2^(w-1)`).
#[test]
fn equality_batched_with_ordering_on_power_of_two_bounds() {
    use synod_blind_lang::Value::{Bool, Int};
    // The issue's example.
    let mut failures = check_mixed_round(
        "party A; input t: secret u8 from A; input b: secret bool from A;
         output o = t == 128u8 to A; output q = (b as u8) < 1u8 to A;",
        &[("t", Int(0)), ("b", Bool(true))],
        &[3, 5, 7],
    );
    // (type, constant, value): x - c = -2^k, or c - x = -2^k.
    let cases: [(&str, &str, i128); 12] = [
        ("u8", "128", 0),
        ("u8", "127", 255),
        ("i8", "0", -128),
        ("i8", "-1", 127),
        ("i16", "0", i128::from(i16::MIN)),
        ("i16", "-1", i128::from(i16::MAX)),
        ("i32", "0", i128::from(i32::MIN)),
        ("i32", "-1", i128::from(i32::MAX)),
        ("u64", "9223372036854775808", 0),
        ("u64", "9223372036854775807", i128::from(u64::MAX)),
        ("i64", "0", i128::from(i64::MIN)),
        ("i64", "-1", i128::from(i64::MAX)),
    ];
    for (ty, c, v) in cases {
        for op in ["==", "!="] {
            let src = format!(
                "party A; input s: secret {ty} from A; input b: secret bool from A;
                 output o = s {op} ({c} as {ty}) to A; output q = (b as u8) < 1u8 to A;"
            );
            failures.extend(check_mixed_round(
                &src,
                &[("s", Int(v)), ("b", Bool(true))],
                &[3],
            ));
        }
        // A multiplexer branching on such a result.
        let src = format!(
            "party A; input s: secret {ty} from A; input x: secret u8 from A;
             output o = if s == ({c} as {ty}) then 7u8 else 9u8 to A;
             output q = x < 5u8 to A;"
        );
        failures.extend(check_mixed_round(
            &src,
            &[("s", Int(v)), ("x", Int(3))],
            &[3],
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
