//! Fuzz the whole front end: arbitrary text through the parser, checker,
//! lowering, canonicalisation and analyser. Must never panic; anything that
//! compiles must round-trip through the MIR encoding and the pretty-printer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_blind_lang::{Mir, Options, compile, parser, pretty};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let opts = Options {
        limits: synod_blind_lang::Limits {
            max_ops: 4_096,
            max_array_len: 256,
            ..Default::default()
        },
        ..Default::default()
    };
    match compile(src, &opts) {
        Ok(p) => {
            assert_eq!(Mir::decode(&p.bytes).as_ref(), Ok(&p.mir));
            if let Ok(ast) = parser::parse(src) {
                let printed = pretty::program(&ast);
                let again = compile(&printed, &opts).expect("printed program compiles");
                assert_eq!(again.program_id, p.program_id);
            }
        }
        Err(e) => {
            for d in &e.diagnostics {
                assert!(d.span.start <= d.span.end && d.span.end <= src.len());
            }
            let _ = e.render("fuzz.blind", src);
        }
    }
});
