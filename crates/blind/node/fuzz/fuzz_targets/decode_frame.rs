//! Fuzz the peer-frame decoder, the MPC message decoder behind it, the
//! reassembly of pieces into messages, and the bounded request decoder: none
//! may panic or hold more than their limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synod_blind_node::frame::{PeerFrame, Reassembler, decode_mpc};
use synod_blind_node::types::{MAX_MESSAGE_BYTES, SignedRequest, decode_bounded};
use synod_mpc::DecodeLimits;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_elements: 1 << 12,
        parties: 3,
    };
    if let Ok(PeerFrame::Mpc { bytes, .. }) = PeerFrame::decode(data) {
        let _ = decode_mpc(&bytes, 1, 0, &limits);
    }
    let _ = decode_mpc(data, 2, 0, &limits);
    let _ = decode_bounded::<SignedRequest>(data, MAX_MESSAGE_BYTES);

    // The same bytes as a stream of frames on the links of node 0:
    // `sender: u8 ‖ len: u16 LE ‖ frame[len]`, repeated.
    let mut r = Reassembler::new(0, limits);
    let mut rest = data;
    while let [sender, l0, l1, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*l0, *l1])).min(tail.len());
        let (frame, next) = tail.split_at(len);
        rest = next;
        let from = usize::from(*sender % 3);
        if let Ok(PeerFrame::Mpc { more, bytes, .. }) = PeerFrame::decode(frame) {
            if let Ok(Some(m)) = r.push(from, more, &bytes) {
                assert_eq!(m.from, from);
                assert!(m.payload.len() as u64 <= limits.max_elements);
            }
        }
    }
});
