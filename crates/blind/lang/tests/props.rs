//! Property tests: generated programs, printer round trip, parser and MIR
//! decoder robustness.

use proptest::prelude::*;
use synod_blind_lang::testing::{GenConfig, Rng, arb_program, random_inputs};
use synod_blind_lang::{Mir, Options, compile, parser, pretty};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(192))]

    /// Generated programs type-check, compile, round-trip through the MIR
    /// encoding and run without error on their inputs and on random ones.
    #[test]
    fn generated_programs_compile_and_run(g in arb_program(GenConfig::default()), seed in any::<u64>()) {
        let p = match compile(&g.source, &Options::default()) {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{}\n{}", g.source, e.render("gen", &g.source)))),
        };
        let decoded = Mir::decode(&p.bytes);
        prop_assert_eq!(decoded, Ok(p.mir.clone()));
        if let Err(e) = p.run(&g.inputs) {
            return Err(TestCaseError::fail(format!("{e}\n{}", g.source)));
        }
        // Other random (edge-biased) inputs: must never panic; the only
        // possible failure is a division by a public zero.
        let other = random_inputs(&p.mir, &mut Rng::new(seed));
        match p.run(&other) {
            Ok(_) | Err(synod_blind_lang::RuntimeError::DivisionByZero { .. }) => {}
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        }
    }

    /// print(parse(src)) is a fixed point and compiles to the same program id.
    #[test]
    fn pretty_print_round_trip(g in arb_program(GenConfig::default())) {
        let ast = parser::parse(&g.source).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let printed = pretty::program(&ast);
        let reparsed = parser::parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(&pretty::program(&reparsed), &printed);
        let a = compile(&g.source, &Options::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = compile(&printed, &Options::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a.program_id, b.program_id);
    }

    /// Deep generated programs (and their MIR) stay within the checker's limits.
    #[test]
    fn deep_programs(g in arb_program(GenConfig { max_depth: 8, max_lets: 8, max_inputs: 8, ..GenConfig::default() })) {
        let p = compile(&g.source, &Options::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(p.analysis.nodes as usize == p.mir.nodes.len());
        p.run(&g.inputs).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

fn token_soup() -> impl Strategy<Value = String> {
    let toks = prop::sample::select(vec![
        "party",
        "input",
        "output",
        "let",
        "const",
        "fn",
        "if",
        "then",
        "else",
        "and",
        "or",
        "not",
        "secret",
        "public",
        "from",
        "to",
        "as",
        "true",
        "false",
        "u8",
        "i64",
        "bool",
        "x",
        "y",
        "A",
        "map",
        "fold",
        "reduce",
        "sum",
        "dot",
        "reveal",
        "min",
        "len",
        "0",
        "1",
        "255u8",
        "99999999999999999999999999999999999999999",
        "+",
        "-",
        "*",
        "/",
        "%",
        "<",
        "<=",
        "==",
        "!=",
        "=",
        "->",
        ":",
        ";",
        ",",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        "//",
        "\n",
        "é",
        "@",
    ]);
    prop::collection::vec(toks, 0..80).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(config(512))]

    /// Arbitrary strings never panic the parser or the compiler.
    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = parser::parse(&s);
        let _ = compile(&s, &Options::default());
    }

    /// Token soup reaches deeper into the grammar; still no panic, and every
    /// error span lies inside the text.
    #[test]
    fn token_soup_never_panics(s in token_soup()) {
        if let Err(e) = compile(&s, &Options::default()) {
            for d in &e.diagnostics {
                prop_assert!(d.span.start <= d.span.end && d.span.end <= s.len(), "{d:?}");
                let _ = d.render("soup", &s);
            }
        }
    }

    /// Valid program text with one byte changed never panics either.
    #[test]
    fn mutated_programs_never_panic(g in arb_program(GenConfig::default()), pos in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = g.source.into_bytes();
        let n = bytes.len();
        bytes[pos % n] = byte;
        let s = String::from_utf8_lossy(&bytes).into_owned();
        let _ = compile(&s, &Options::default());
    }

    /// The MIR decoder never panics; whatever it accepts re-encodes to the
    /// same bytes.
    #[test]
    fn mir_decoder_total(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(m) = Mir::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes.clone());
        }
        let mut with_magic = b"BLMIR\x01".to_vec();
        with_magic.extend_from_slice(&bytes);
        if let Ok(m) = Mir::decode(&with_magic) {
            prop_assert_eq!(m.encode(), with_magic);
        }
    }

    /// Mutations of valid encodings: rejected or canonical.
    #[test]
    fn mir_decoder_on_mutations(g in arb_program(GenConfig::default()), edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let p = compile(&g.source, &Options::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut bytes = p.bytes.clone();
        for (pos, b) in edits {
            let n = bytes.len();
            bytes[pos % n] = b;
        }
        if let Ok(m) = Mir::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }
}
