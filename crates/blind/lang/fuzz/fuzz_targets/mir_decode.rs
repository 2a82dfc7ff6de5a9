//! Fuzz the MIR decoder (untrusted bytes from the chain's program
//! registry). Must never panic; accepted bytes must be canonical, and the
//! analyser and interpreter must handle every accepted program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_blind_lang::Mir;
use synod_blind_lang::analysis::{CostModel, analyse};
use synod_blind_lang::interp::interpret;
use synod_blind_lang::testing::{Rng, random_inputs};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Mir::decode(data) {
        assert_eq!(m.encode(), data);
        assert_eq!(m.canonicalize().as_ref(), Ok(&m));
        analyse(&m, &CostModel::default()).expect("decoded MIR is valid");
        // Declared inputs may be huge even if unused; keep runs small.
        let elems: u64 = m
            .inputs
            .iter()
            .map(|i| u64::from(synod_blind_lang::mir::shape_len(&i.shape).unwrap_or(u32::MAX)))
            .sum();
        if elems > 4096 {
            return;
        }
        let seed = data
            .iter()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
        let inputs = random_inputs(&m, &mut Rng::new(seed));
        let _ = interpret(&m, &inputs);
    }
});
