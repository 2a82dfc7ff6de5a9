#![no_main]
//! Arbitrary text as a mnemonic someone types into `synod key regen`: never a panic; a phrase
//! that parses has a checksum-valid word list that parses back to itself, and derives a key.

use libfuzzer_sys::fuzz_target;
use synod_primitives::mnemonic::Mnemonic;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = Mnemonic::parse(text) {
        let phrase = m.phrase();
        let again = Mnemonic::parse(&phrase).expect("a parsed phrase parses again");
        assert_eq!(again.phrase(), phrase);
        let _ = m.keypair("", 0);
    }
});
