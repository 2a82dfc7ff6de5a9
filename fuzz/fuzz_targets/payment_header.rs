#![no_main]
//! Arbitrary bytes as what a paid service reads from outside the process: the `X-Payment`
//! header (hex of a signed authorization), the same bytes as borsh of a signed authorization,
//! and as a payments call (a settlement batch), and the 402 requirements JSON a client reads.
//! Never a panic; whatever decodes re-encodes to the same bytes (one encoding per value), and
//! a decoded authorization's hashes can be computed.

use libfuzzer_sys::fuzz_target;
use synod_payments::wire::PaymentRequirements;
use synod_payments::{PaymentCall, SignedAuthorization};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(signed) = SignedAuthorization::from_header(text)
    {
        let again = SignedAuthorization::from_header(&signed.to_header()).expect("re-reads");
        assert_eq!(again, signed);
        let _ = signed.authorization.signing_hash("synod-dev");
    }
    if let Ok(signed) = synod_primitives::decode_exact::<SignedAuthorization>(data, 1024) {
        assert_eq!(synod_primitives::encode(&signed), data);
    }
    if let Ok(call) = synod_primitives::decode_exact::<PaymentCall>(data, 64 * 1024) {
        assert_eq!(synod_primitives::encode(&call), data);
        let _ = call.weight();
    }
    let _ = serde_json::from_slice::<PaymentRequirements>(data);
});
