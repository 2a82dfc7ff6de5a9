//! Fuzz the peer-frame decoder, the MPC message decoder behind it, and the
//! bounded request decoder: none may panic or allocate past their limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_blind_node::frame::{PeerFrame, decode_mpc};
use synod_blind_node::types::{MAX_MESSAGE_BYTES, SignedRequest, decode_bounded};
use synod_mpc::DecodeLimits;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_elements: 1 << 16,
        parties: 3,
    };
    if let Ok(PeerFrame::Mpc { bytes, .. }) = PeerFrame::decode(data) {
        let _ = decode_mpc(&bytes, 1, 0, &limits);
    }
    let _ = decode_mpc(data, 2, 0, &limits);
    let _ = decode_bounded::<SignedRequest>(data, MAX_MESSAGE_BYTES);
});
