//! Deterministic smoke test over the first 300 generator seeds, for the
//! default and the mixed-comparison configurations.
use synod_blind_lang::testing::{GenConfig, generate};
use synod_blind_lang::{Options, compile};

#[test]
fn generated_programs_compile_and_run() {
    for cfg in [GenConfig::default(), GenConfig::mixed_comparisons()] {
        smoke(&cfg);
    }
}

fn smoke(cfg: &GenConfig) {
    for seed in 0..300u64 {
        let g = generate(seed, cfg);
        let prog = match compile(&g.source, &Options::default()) {
            Ok(p) => p,
            Err(e) => panic!(
                "seed {seed}:\n{}\n{}",
                g.source,
                e.render("gen.blind", &g.source)
            ),
        };
        if let Err(e) = prog.run(&g.inputs) {
            panic!("seed {seed}: {e}\n{}", g.source);
        }
    }
}
