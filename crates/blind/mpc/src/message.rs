//! Protocol messages and their compact binary encoding.
//!
//! Every protocol round sends exactly one [`Message`] from each party to each
//! other party (possibly with an empty payload). The payload is a vector of
//! field elements: shares, masked openings or PRSS key material.
//!
//! # Wire format (version 1, all integers little-endian)
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `b"SYMP"` |
//! | 1 | version = 1 |
//! | 1 | element width in bytes (32 for BLS12-381 Fr) |
//! | 2 | sender id |
//! | 2 | receiver id |
//! | 8 | round number |
//! | 4 | element count `c` |
//! | `c * width` | canonical little-endian elements (each `< p`) |
//!
//! [`Message::decode`] is bounded: it checks the header, rejects counts above
//! [`DecodeLimits::max_elements`] *before* allocating, requires the exact body
//! length, and rejects non-canonical elements. It never panics on any input
//! (fuzzed by `crates/blind/mpc/fuzz`).

use ark_ff::PrimeField;

use crate::error::DecodeError;
use crate::field::{element_bytes, read_element, write_element};
use crate::shamir::{MAX_PARTIES, PartyId};

/// Magic bytes at the start of every encoded message.
pub const MAGIC: [u8; 4] = *b"SYMP";
/// Current wire version.
pub const VERSION: u8 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 22;

/// One protocol message from `from` to `to` in round `round`.
///
/// The payload holds shares and masked values only; `Debug` does not print
/// it (only its length).
#[derive(Clone, PartialEq, Eq)]
pub struct Message<F> {
    /// Round number (per party, counted over the party's lifetime).
    pub round: u64,
    /// Sender.
    pub from: PartyId,
    /// Receiver.
    pub to: PartyId,
    /// Field elements.
    pub payload: Vec<F>,
}

impl<F> core::fmt::Debug for Message<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Message")
            .field("round", &self.round)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// Bounds applied by the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Maximum number of elements in one message.
    pub max_elements: u64,
    /// Number of parties; sender and receiver ids must be below it.
    pub parties: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_elements: 1 << 22,
            parties: MAX_PARTIES,
        }
    }
}

impl<F: PrimeField> Message<F> {
    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.payload.len() * element_bytes::<F>()
    }

    /// Append the encoding to `out`.
    ///
    /// Ids must be below 2^16 and the payload below 2^32 elements; the
    /// engine never builds larger messages (ids are capped by
    /// [`MAX_PARTIES`]), so larger values are saturated, which the decoder
    /// then rejects.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        Self::encode_slice_into(self.round, self.from, self.to, &self.payload, out);
    }

    /// Append the encoding of a message with these header fields and
    /// `payload`, without building a [`Message`]. A network layer uses it to
    /// cut one large message into several bounded ones (each a valid
    /// encoding carrying a slice of the payload) with no extra copy.
    pub fn encode_slice_into(
        round: u64,
        from: PartyId,
        to: PartyId,
        payload: &[F],
        out: &mut Vec<u8>,
    ) {
        out.reserve(HEADER_LEN + payload.len() * element_bytes::<F>());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(u8::try_from(element_bytes::<F>()).unwrap_or(u8::MAX));
        out.extend_from_slice(&u16::try_from(from).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(&u16::try_from(to).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(&round.to_le_bytes());
        out.extend_from_slice(
            &u32::try_from(payload.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for x in payload {
            write_element(x, out);
        }
    }

    /// Encode to a fresh buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Bounded, panic-free decoder.
    pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(DecodeError::Truncated(bytes.len()))?;
        let body = bytes.get(HEADER_LEN..).unwrap_or(&[]);
        if header[0..4] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        if header[4] != VERSION {
            return Err(DecodeError::UnsupportedVersion(header[4]));
        }
        let width = element_bytes::<F>();
        if usize::from(header[5]) != width {
            return Err(DecodeError::FieldMismatch {
                expected: width,
                got: usize::from(header[5]),
            });
        }
        let from = u16::from_le_bytes([header[6], header[7]]);
        let to = u16::from_le_bytes([header[8], header[9]]);
        for id in [from, to] {
            if usize::from(id) >= limits.parties {
                return Err(DecodeError::BadParty(id));
            }
        }
        let mut round = [0u8; 8];
        round.copy_from_slice(&header[10..18]);
        let round = u64::from_le_bytes(round);
        let count = u64::from(u32::from_le_bytes([
            header[18], header[19], header[20], header[21],
        ]));
        if count > limits.max_elements {
            return Err(DecodeError::TooManyElements {
                count,
                limit: limits.max_elements,
            });
        }
        let expected = count.saturating_mul(width as u64);
        if body.len() as u64 != expected {
            return Err(DecodeError::LengthMismatch {
                expected,
                actual: body.len() as u64,
            });
        }
        let mut payload = Vec::with_capacity(body.len() / width.max(1));
        for (i, chunk) in body.chunks_exact(width).enumerate() {
            payload.push(read_element(chunk).ok_or(DecodeError::NonCanonical(i))?);
        }
        Ok(Message {
            round,
            from: usize::from(from),
            to: usize::from(to),
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Fr, MpcField};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn round_trip_and_errors() {
        let mut rng = StdRng::seed_from_u64(3);
        let m = Message {
            round: 77,
            from: 2,
            to: 0,
            payload: (0..5).map(|_| Fr::random(&mut rng)).collect(),
        };
        let bytes = m.encode();
        assert_eq!(bytes.len(), m.encoded_len());
        let lim = DecodeLimits::default();
        assert_eq!(Message::<Fr>::decode(&bytes, &lim), Ok(m.clone()));
        assert_eq!(
            Message::<Fr>::decode(&bytes[..10], &lim),
            Err(DecodeError::Truncated(10))
        );
        assert!(matches!(
            Message::<Fr>::decode(&bytes[..bytes.len() - 1], &lim),
            Err(DecodeError::LengthMismatch { .. })
        ));
        let mut bad = bytes.clone();
        for b in &mut bad[HEADER_LEN..HEADER_LEN + 32] {
            *b = 0xff;
        }
        assert_eq!(
            Message::<Fr>::decode(&bad, &lim),
            Err(DecodeError::NonCanonical(0))
        );
        let small = DecodeLimits {
            max_elements: 4,
            parties: 3,
        };
        assert!(matches!(
            Message::<Fr>::decode(&bytes, &small),
            Err(DecodeError::TooManyElements { count: 5, limit: 4 })
        ));
        let mut huge = bytes[..HEADER_LEN].to_vec();
        huge[18..22].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Message::<Fr>::decode(&huge, &lim),
            Err(DecodeError::TooManyElements { .. })
        ));
        assert!(format!("{m:?}").contains("payload_len: 5"));
    }
}
