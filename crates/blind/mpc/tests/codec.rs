//! The wire decoder is total: arbitrary or mutated bytes give a typed error
//! or a message that re-encodes to the same bytes, never a panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use synod_mpc::message::HEADER_LEN;
use synod_mpc::{DecodeError, DecodeLimits, Fr, Message, from_i128};

fn limits() -> DecodeLimits {
    DecodeLimits {
        max_elements: 64,
        parties: 7,
    }
}

fn sample(round: u64, from: usize, to: usize, vals: &[i64]) -> Message<Fr> {
    Message {
        round,
        from,
        to,
        payload: vals.iter().map(|v| from_i128(i128::from(*v))).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Slices encoded with `encode_slice_into` are complete messages whose
    /// payloads concatenate back to the original.
    #[test]
    fn slices_encode_as_messages(vals in prop::collection::vec(any::<i64>(), 0..40), step in 1usize..9) {
        let m = sample(3, 1, 2, &vals);
        let mut joined = Vec::new();
        for chunk in m.payload.chunks(step) {
            let mut bytes = Vec::new();
            Message::encode_slice_into(m.round, m.from, m.to, chunk, &mut bytes);
            let part = Message::<Fr>::decode(&bytes, &limits()).unwrap();
            prop_assert_eq!((part.round, part.from, part.to), (3, 1, 2));
            joined.extend(part.payload);
        }
        prop_assert_eq!(joined, m.payload);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(m) = Message::<Fr>::decode(&bytes, &limits()) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }

    #[test]
    fn valid_messages_round_trip(round in any::<u64>(), from in 0usize..7, to in 0usize..7,
                                 vals in prop::collection::vec(any::<i64>(), 0..20)) {
        let m = sample(round, from, to, &vals);
        let bytes = m.encode();
        prop_assert_eq!(Message::<Fr>::decode(&bytes, &limits()).unwrap(), m);
    }

    #[test]
    fn mutated_messages_never_panic(vals in prop::collection::vec(any::<i64>(), 0..6),
                                    pos in any::<usize>(), byte in any::<u8>(), cut in any::<usize>(),
                                    extra in prop::collection::vec(any::<u8>(), 0..40)) {
        let bytes = sample(3, 1, 2, &vals).encode();
        let mut flipped = bytes.clone();
        let i = pos % flipped.len();
        flipped[i] = byte;
        let truncated = &bytes[..cut % (bytes.len() + 1)];
        let mut extended = bytes.clone();
        extended.extend_from_slice(&extra);
        for candidate in [flipped.as_slice(), truncated, extended.as_slice()] {
            if let Ok(m) = Message::<Fr>::decode(candidate, &limits()) {
                let re = m.encode();
                prop_assert_eq!(re.as_slice(), candidate);
            }
        }
    }
}

#[test]
fn oversized_counts_are_rejected_before_allocation() {
    let mut bytes = sample(0, 0, 1, &[]).encode();
    bytes[18..22].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        Message::<Fr>::decode(&bytes, &limits()),
        Err(DecodeError::TooManyElements {
            count: u64::from(u32::MAX),
            limit: 64
        })
    );
    let mut bad_party = sample(0, 0, 1, &[]).encode();
    bad_party[6] = 9;
    assert_eq!(
        Message::<Fr>::decode(&bad_party, &limits()),
        Err(DecodeError::BadParty(9))
    );
    let mut bad_width = sample(0, 0, 1, &[]).encode();
    bad_width[5] = 8;
    assert!(matches!(
        Message::<Fr>::decode(&bad_width, &limits()),
        Err(DecodeError::FieldMismatch {
            expected: 32,
            got: 8
        })
    ));
    let mut bad_version = sample(0, 0, 1, &[]).encode();
    bad_version[4] = 2;
    assert_eq!(
        Message::<Fr>::decode(&bad_version, &limits()),
        Err(DecodeError::UnsupportedVersion(2))
    );
    assert_eq!(
        Message::<Fr>::decode(b"nope", &limits()),
        Err(DecodeError::Truncated(4))
    );
    assert_eq!(HEADER_LEN, 22);
}
