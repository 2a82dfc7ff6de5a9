//! Differential property tests: random well-typed programs (mixed
//! public/secret inputs of every width, edge values, depth up to 8, with
//! `reveal`) give the same outputs under MPC as on the reference
//! interpreter, for committees of 3, 5 and 7.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use proptest::prelude::*;
use synod_blind_lang::testing::{GenConfig, GeneratedProgram, Rng, arb_program, random_inputs};
use synod_blind_lang::{Options, compile};

/// `(measured online rounds, analyser estimate)` of each successful run.
type Figures = Vec<(u64, u64)>;

fn check(g: &GeneratedProgram, n: usize) -> Result<Figures, TestCaseError> {
    let mut figures = Vec::new();
    let prog = compile(&g.source, &Options::default())
        .map_err(|e| TestCaseError::fail(format!("does not compile: {e:?}")))?;
    // The generator's inputs plus a second, edge-biased set.
    let mut sets = vec![g.inputs.clone()];
    sets.push(random_inputs(&prog.mir, &mut Rng::new(g.seed ^ 0x5eed)));
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
#[cfg(debug_assertions)]
const DEPTH_N5_N7: (u32, u32) = (6, 4);
#[cfg(not(debug_assertions))]
const DEPTH_N5_N7: (u32, u32) = (8, 8);

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

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
