//! Fuzz the bounded wire decoder: any byte string must decode to a typed
//! error or to a message that re-encodes to exactly the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_mpc::{DecodeLimits, Fr, Message};

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_elements: 1 << 16,
        parties: 16,
    };
    if let Ok(m) = Message::<Fr>::decode(data, &limits) {
        assert_eq!(m.encode(), data);
    }
});
