//! Fuzz the client request path of a node up to authorisation: the bounded
//! envelope decoder, decryption with the node's key, and the signed request
//! decoder and signature check behind it (fed through a validly sealed
//! envelope so the fuzzer reaches it). Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_blind_node::envelope::{
    Envelope, MAX_ENVELOPE_BYTES, node_x25519_public, node_x25519_secret, open_request,
    seal_request,
};
use synod_blind_node::types::{
    CommitteeId, MAX_MESSAGE_BYTES, SignedRequest, decode_bounded,
};
use synod_primitives::Keypair;

fuzz_target!(|data: &[u8]| {
    let key = Keypair::from_seed(&[7; 32]);
    let (sk, pk) = (node_x25519_secret(&key), node_x25519_public(&key));
    let cid = CommitteeId([1; 32]);
    if let Ok(env) = decode_bounded::<Envelope>(data, MAX_ENVELOPE_BYTES) {
        let _ = open_request(&env, &cid, 0, &sk, &pk);
    }
    let Ok((env, _)) = seal_request(&cid, 0, &pk, data) else {
        return;
    };
    let Ok((plain, answer)) = open_request(&env, &cid, 0, &sk, &pk) else {
        panic!("a sealed envelope must open at its node");
    };
    assert_eq!(plain.as_slice(), data);
    if let Ok(req) = decode_bounded::<SignedRequest>(&plain, MAX_MESSAGE_BYTES) {
        let _ = req.verify();
    }
    let _ = answer.seal(data);
});
