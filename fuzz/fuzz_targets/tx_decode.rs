#![no_main]
//! Arbitrary bytes through the transaction decoder: never a panic; anything that decodes
//! re-encodes to the same bytes (the encoding is canonical) and survives the static checks.

use libfuzzer_sys::fuzz_target;
use synod_primitives::Hash;
use synod_primitives::tx::FeeSchedule;
use synod_runtime::SignedTransaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTransaction::decode(data) {
        assert_eq!(tx.encode(), data, "canonical encoding");
        let _ = tx.check_static("synod-dev", &FeeSchedule::default(), data.len());
        let _ = tx.verify_signature(&Hash::ZERO);
        let _ = tx.hash();
    }
});
