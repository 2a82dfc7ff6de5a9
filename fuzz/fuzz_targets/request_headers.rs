#![no_main]
//! Arbitrary text as the headers of a validator's request to a miner (what `synod-axon` reads
//! from outside the process): split into the eight protocol headers, parsed, and, when they
//! parse, the signature checked over arbitrary method, path and body. Never a panic; a parsed
//! request re-renders to headers that parse to the same request.

use libfuzzer_sys::fuzz_target;
use synod_axon::protocol::{headers, parse_request};

const NAMES: [&str; 8] = [
    headers::VERSION,
    headers::CHAIN,
    headers::NETUID,
    headers::SIGNED_BY,
    headers::SIGNED_FOR,
    headers::REQUEST_ID,
    headers::TIMESTAMP,
    headers::SIGNATURE,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\n');
    let values: Vec<Option<String>> = NAMES
        .iter()
        .map(|_| parts.next().map(str::to_string))
        .collect();
    let rest: String = parts.collect::<Vec<_>>().join("\n");
    let get = |name: &'static str| {
        NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values[i].clone())
    };
    if let Ok(req) = parse_request(get) {
        let _ = req.verify("POST", &rest, rest.as_bytes());
        let again = [
            "1".to_string(),
            req.chain_id.clone(),
            req.netuid.to_string(),
            req.signed_by.to_string(),
            req.signed_for.to_string(),
            hex::encode(req.request_id),
            req.timestamp_ms.to_string(),
            req.signature.to_string(),
        ];
        let get2 = |name: &'static str| {
            NAMES
                .iter()
                .position(|n| *n == name)
                .map(|i| again[i].clone())
        };
        assert_eq!(parse_request(get2).expect("re-parses"), req);
    }
});
