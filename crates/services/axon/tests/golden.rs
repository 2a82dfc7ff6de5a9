//! Golden vectors of the request protocol: what another language (the Python SDK) must
//! reproduce byte for byte. `GOLDEN_BLESS=1 cargo test -p synod-axon --test golden` appends.

use std::path::PathBuf;
use synod_axon::protocol::{request_signing_hash, response_signing_hash, sign_request};
use synod_primitives::{AccountId, Keypair};

fn all_lines() -> Vec<String> {
    let caller = Keypair::dev("validator");
    let miner = Keypair::dev("miner");
    let id = [7u8; 32];
    let ts = 1_765_000_000_000u64;
    let mut out = vec![
        format!(
            "hash/request\t{}\t-",
            hex::encode(
                request_signing_hash(
                    "synod-dev",
                    3,
                    "post",
                    "/task?x=1",
                    b"{\"prompt\":\"2+2\"}",
                    &id,
                    ts,
                    &caller.account(),
                    &miner.account(),
                )
                .0
            )
        ),
        format!(
            "hash/response\t{}\t-",
            hex::encode(response_signing_hash(&id, 200, b"4", &AccountId([9; 32])).0)
        ),
    ];
    for (k, v) in sign_request(
        &caller,
        "synod-dev",
        3,
        &miner.account(),
        "POST",
        "/task?x=1",
        b"{\"prompt\":\"2+2\"}",
        id,
        ts,
    ) {
        out.push(format!("header/{k}\t{v}\t-"));
    }
    out
}

#[test]
fn request_protocol_vectors_match_the_golden_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    synod_golden::check(&path, &all_lines());
}
