//! Wire framing between committee members.
//!
//! On the socket every frame is `len: u32 LE ‖ bytes[len]`; `len` is checked
//! against a maximum *before* anything is allocated. After the handshake the
//! bytes are ChaCha20-Poly1305 ciphertext (see [`crate::secure`]); the
//! plaintext is a [`PeerFrame`]:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | kind: 1 = MPC message (or the last piece of one), 3 = a non-final piece of an MPC message, 2 = job abort |
//! | 32 | job id |
//! | rest | MPC: a `synod_mpc::Message` encoding; abort: UTF-8 reason (≤ 512 bytes) |
//!
//! A large MPC message (one round's payload for one peer) is cut into
//! pieces of bounded size, each a complete `Message` encoding carrying a
//! slice of the payload: kind 3 for every piece but the last, kind 1 for
//! the last. A link is one ordered stream and a job sends a round's pieces
//! in order, so the receiver appends pieces per sender until the kind-1
//! piece completes the message. Pieces let the sender encode, the link
//! encrypt and write, and the receiver read, decrypt and decode at the same
//! time instead of one stage after the other on a multi-megabyte frame.
//!
//! [`PeerFrame::decode`] and [`decode_mpc`] never panic on any input (fuzzed
//! in `crates/blind/node/fuzz`, property-tested below).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use synod_mpc::{DecodeLimits, Fr, Message};

use crate::error::BlindError;
use crate::types::JobId;

/// Default largest frame (64 MiB: two million field elements).
pub const DEFAULT_MAX_FRAME: usize = 64 << 20;
/// Longest abort reason.
pub const MAX_ABORT_REASON: usize = 512;
/// Peer frame header length.
pub const PEER_HEADER: usize = 33;
/// Room left in a frame buffer for the AEAD tag, so sealing never reallocates.
const TAG_RESERVE: usize = 16;
/// Default largest number of field elements in one MPC frame (512 KiB of
/// payload); larger messages are sent as several pieces.
pub const DEFAULT_PIECE_ELEMENTS: usize = 16 * 1024;

const KIND_MPC: u8 = 1;
const KIND_ABORT: u8 = 2;
const KIND_MPC_PART: u8 = 3;

/// A decrypted frame from a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerFrame {
    /// An MPC protocol message for a job (still encoded), or one piece of it.
    Mpc {
        /// Job.
        job: JobId,
        /// Whether more pieces of the same message follow.
        more: bool,
        /// `Message` encoding.
        bytes: Vec<u8>,
    },
    /// The sender gave up on a job.
    Abort {
        /// Job.
        job: JobId,
        /// Why.
        reason: String,
    },
}

impl PeerFrame {
    /// Encode an MPC frame without an intermediate copy of the message.
    pub fn encode_mpc(job: &JobId, msg: &Message<Fr>) -> Vec<u8> {
        Self::encode_mpc_piece(job, msg, 0..msg.payload.len(), false)
    }

    /// Encode the piece `range` of `msg`'s payload as one frame; `more`
    /// says that further pieces of the same message follow. Out-of-range
    /// bounds are clamped to the payload.
    pub fn encode_mpc_piece(
        job: &JobId,
        msg: &Message<Fr>,
        range: std::ops::Range<usize>,
        more: bool,
    ) -> Vec<u8> {
        let end = range.end.min(msg.payload.len());
        let slice = msg.payload.get(range.start.min(end)..end).unwrap_or(&[]);
        let mut out = Vec::with_capacity(
            PEER_HEADER + synod_mpc::message::HEADER_LEN + slice.len() * 32 + TAG_RESERVE,
        );
        out.push(if more { KIND_MPC_PART } else { KIND_MPC });
        out.extend_from_slice(&job.0);
        Message::encode_slice_into(msg.round, msg.from, msg.to, slice, &mut out);
        out
    }

    /// Encode.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, job, body) = match self {
            PeerFrame::Mpc { job, more, bytes } => (
                if *more { KIND_MPC_PART } else { KIND_MPC },
                job,
                bytes.as_slice(),
            ),
            PeerFrame::Abort { job, reason } => {
                let r = reason.as_bytes();
                (KIND_ABORT, job, &r[..r.len().min(MAX_ABORT_REASON)])
            }
        };
        let mut out = Vec::with_capacity(PEER_HEADER + body.len());
        out.push(kind);
        out.extend_from_slice(&job.0);
        out.extend_from_slice(body);
        out
    }

    /// Bounded, panic-free decoder.
    pub fn decode(bytes: &[u8]) -> Result<Self, BlindError> {
        let (&kind, rest) = bytes
            .split_first()
            .ok_or_else(|| BlindError::Network("empty frame".into()))?;
        let job: [u8; 32] = rest
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| BlindError::Network("frame shorter than its header".into()))?;
        let body = rest.get(32..).unwrap_or(&[]);
        let job = JobId(job);
        match kind {
            KIND_MPC | KIND_MPC_PART => Ok(PeerFrame::Mpc {
                job,
                more: kind == KIND_MPC_PART,
                bytes: body.to_vec(),
            }),
            KIND_ABORT => {
                if body.len() > MAX_ABORT_REASON {
                    return Err(BlindError::Network("abort reason too long".into()));
                }
                let reason = String::from_utf8_lossy(body).into_owned();
                Ok(PeerFrame::Abort { job, reason })
            }
            k => Err(BlindError::Network(format!("unknown frame kind {k}"))),
        }
    }
}

/// The job id of an MPC frame or piece, and whether more pieces of its
/// message follow (`None` for any other or a malformed frame).
pub fn mpc_job(frame: &[u8]) -> Option<(JobId, bool)> {
    let more = match frame.first() {
        Some(&KIND_MPC) => false,
        Some(&KIND_MPC_PART) => true,
        _ => return None,
    };
    let job = frame.get(1..PEER_HEADER)?.try_into().ok().map(JobId)?;
    Some((job, more))
}

/// Decode an MPC message received from committee member `from`: bounded by
/// `limits`, and the claimed sender must be the authenticated link's peer.
pub fn decode_mpc(
    bytes: &[u8],
    from: usize,
    me: usize,
    limits: &DecodeLimits,
) -> Result<Message<Fr>, BlindError> {
    let m = Message::<Fr>::decode(bytes, limits)
        .map_err(|e| BlindError::Network(format!("bad MPC message from node {from}: {e}")))?;
    if m.from != from {
        return Err(BlindError::Network(format!(
            "node {from} sent a message claiming to be from node {}",
            m.from
        )));
    }
    if m.to != me {
        return Err(BlindError::Network(format!(
            "node {from} sent a message addressed to node {}",
            m.to
        )));
    }
    Ok(m)
}

/// Joins the pieces of MPC messages arriving from each peer of one job.
///
/// Pieces of one message arrive in order on the sender's link; a piece for
/// another round before the previous message is complete, a sender other
/// than the link's peer, or a message growing past the element limit is a
/// protocol error. Memory held per sender is bounded by
/// [`DecodeLimits::max_elements`].
pub struct Reassembler {
    me: usize,
    limits: DecodeLimits,
    partial: Vec<Option<Message<Fr>>>,
}

impl Reassembler {
    /// Reassembler for member `me` of a committee of `limits.parties`.
    pub fn new(me: usize, limits: DecodeLimits) -> Self {
        Reassembler {
            me,
            limits,
            partial: (0..limits.parties).map(|_| None).collect(),
        }
    }

    /// Add one piece (a `Message` encoding) received from `from`; `more`
    /// says further pieces follow. Returns the message once complete.
    pub fn push(
        &mut self,
        from: usize,
        more: bool,
        bytes: &[u8],
    ) -> Result<Option<Message<Fr>>, BlindError> {
        let mut m = decode_mpc(bytes, from, self.me, &self.limits)?;
        let slot = self
            .partial
            .get_mut(from)
            .ok_or_else(|| BlindError::Network(format!("unknown sender node {from}")))?;
        if let Some(mut head) = slot.take() {
            if head.round != m.round {
                return Err(BlindError::Network(format!(
                    "node {from} sent round {} before finishing its round {} message",
                    m.round, head.round
                )));
            }
            let total = head.payload.len() as u64 + m.payload.len() as u64;
            if total > self.limits.max_elements {
                return Err(BlindError::Network(format!(
                    "node {from} sent a message of more than {} elements",
                    self.limits.max_elements
                )));
            }
            head.payload.append(&mut m.payload);
            m = head;
        }
        if more {
            *slot = Some(m);
            Ok(None)
        } else {
            Ok(Some(m))
        }
    }

    /// Whether a message from `from` is partly received.
    pub fn pending(&self, from: usize) -> bool {
        self.partial.get(from).is_some_and(Option::is_some)
    }
}

/// Read one length-prefixed frame of at most `max` bytes.
pub async fn read_frame<R: AsyncReadExt + Unpin>(
    r: &mut R,
    max: usize,
) -> Result<Vec<u8>, BlindError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)
        .await
        .map_err(|e| BlindError::Network(format!("read: {e}")))?;
    let len = u32::from_le_bytes(len) as usize;
    check_len(len, max)?;
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)
        .await
        .map_err(|e| BlindError::Network(format!("read: {e}")))?;
    Ok(buf)
}

/// Refuse a declared frame length above `max`.
pub fn check_len(len: usize, max: usize) -> Result<(), BlindError> {
    if len > max {
        Err(BlindError::Network(format!(
            "frame of {len} bytes exceeds the limit {max}"
        )))
    } else {
        Ok(())
    }
}

/// Write one length-prefixed frame.
pub async fn write_frame<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    bytes: &[u8],
) -> Result<(), BlindError> {
    let len =
        u32::try_from(bytes.len()).map_err(|_| BlindError::Network("frame too large".into()))?;
    w.write_all(&len.to_le_bytes())
        .await
        .map_err(|e| BlindError::Network(format!("write: {e}")))?;
    w.write_all(bytes)
        .await
        .map_err(|e| BlindError::Network(format!("write: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let job = JobId([9; 32]);
        let m = Message {
            round: 3,
            from: 1,
            to: 0,
            payload: vec![Fr::from(5u64), Fr::from(6u64)],
        };
        let f = PeerFrame::encode_mpc(&job, &m);
        let PeerFrame::Mpc {
            job: j,
            more,
            bytes,
        } = PeerFrame::decode(&f).expect("decodes")
        else {
            panic!("kind")
        };
        assert_eq!(j, job);
        assert!(!more);
        let lim = DecodeLimits {
            max_elements: 10,
            parties: 3,
        };
        assert_eq!(decode_mpc(&bytes, 1, 0, &lim), Ok(m));
        assert!(decode_mpc(&bytes, 2, 0, &lim).is_err(), "spoofed sender");
        assert!(decode_mpc(&bytes, 1, 2, &lim).is_err(), "wrong receiver");
        let a = PeerFrame::Abort {
            job,
            reason: "x".repeat(2000),
        };
        let PeerFrame::Abort { reason, .. } = PeerFrame::decode(&a.encode()).expect("decodes")
        else {
            panic!("kind")
        };
        assert_eq!(reason.len(), MAX_ABORT_REASON);
    }

    fn msg(round: u64, from: usize, len: u64) -> Message<Fr> {
        Message {
            round,
            from,
            to: 0,
            payload: (0..len).map(|k| Fr::from(k * 7 + round)).collect(),
        }
    }

    /// Frames of `m` cut into pieces of `step` elements, as `(more, body)`.
    fn pieces(m: &Message<Fr>, step: usize) -> Vec<(bool, Vec<u8>)> {
        let count = m.payload.len().div_ceil(step).max(1);
        (0..count)
            .map(|k| {
                let f = PeerFrame::encode_mpc_piece(
                    &JobId([4; 32]),
                    m,
                    k * step..(k + 1) * step,
                    k + 1 < count,
                );
                let (job, more) = mpc_job(&f).expect("an MPC frame");
                assert_eq!(job, JobId([4; 32]));
                (more, f[PEER_HEADER..].to_vec())
            })
            .collect()
    }

    #[test]
    fn pieces_reassemble_per_sender() {
        let lim = DecodeLimits {
            max_elements: 100,
            parties: 3,
        };
        let mut r = Reassembler::new(0, lim);
        let (a, b) = (msg(5, 1, 10), msg(5, 2, 7));
        let (pa, pb) = (pieces(&a, 3), pieces(&b, 3));
        assert_eq!(pa.len(), 4);
        assert!(pa[..3].iter().all(|(more, _)| *more) && !pa[3].0);
        // Interleaved senders, each in order.
        let mut done = Vec::new();
        for k in 0..4 {
            for (from, p) in [(1, &pa), (2, &pb)] {
                if let Some((more, body)) = p.get(k)
                    && let Some(m) = r.push(from, *more, body).expect("valid piece")
                {
                    done.push(m);
                }
            }
        }
        assert_eq!(done, vec![b.clone(), a.clone()]);
        assert!(!r.pending(1) && !r.pending(2));
        // A message that fits one piece is one frame with `more` unset.
        let single = pieces(&msg(6, 1, 2), 3);
        assert_eq!(single.len(), 1);
        assert_eq!(r.push(1, false, &single[0].1), Ok(Some(msg(6, 1, 2))));
        let empty = pieces(&msg(7, 1, 0), 3);
        assert_eq!(r.push(1, empty[0].0, &empty[0].1), Ok(Some(msg(7, 1, 0))));
    }

    #[test]
    fn bad_piece_sequences_are_refused() {
        let lim = DecodeLimits {
            max_elements: 8,
            parties: 3,
        };
        // A piece of the next round before the message is complete.
        let mut r = Reassembler::new(0, lim);
        let p5 = pieces(&msg(5, 1, 6), 3);
        let p6 = pieces(&msg(6, 1, 6), 3);
        assert_eq!(r.push(1, p5[0].0, &p5[0].1), Ok(None));
        let e = r
            .push(1, p6[1].0, &p6[1].1)
            .expect_err("interleaved rounds");
        assert!(e.to_string().contains("before finishing"), "{e}");
        // Pieces adding up past the element limit.
        let mut r = Reassembler::new(0, lim);
        let big = pieces(&msg(1, 2, 12), 4);
        assert_eq!(r.push(2, big[0].0, &big[0].1), Ok(None));
        assert_eq!(r.push(2, big[1].0, &big[1].1), Ok(None));
        let e = r.push(2, big[2].0, &big[2].1).expect_err("too large");
        assert!(e.to_string().contains("more than 8 elements"), "{e}");
        // A piece relayed on another sender's link.
        let mut r = Reassembler::new(0, lim);
        assert!(r.push(2, p5[0].0, &p5[0].1).is_err());
    }

    #[tokio::test]
    async fn oversized_length_prefix_is_refused_before_allocating() {
        let mut bytes = u32::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 8]);
        let mut r = bytes.as_slice();
        let e = read_frame(&mut r, 1024).await.expect_err("too big");
        assert!(e.to_string().contains("exceeds the limit"), "{e}");
        let mut short: &[u8] = &[5, 0, 0, 0, 1, 2];
        assert!(read_frame(&mut short, 1024).await.is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let lim = DecodeLimits { max_elements: 4, parties: 3 };
            if let Ok(PeerFrame::Mpc { bytes: b, more, .. }) = PeerFrame::decode(&bytes) {
                let _ = decode_mpc(&b, 1, 0, &lim);
                let mut r = Reassembler::new(0, lim);
                let _ = r.push(1, more, &b);
                let _ = r.push(1, !more, &b);
            }
            let _ = decode_mpc(&bytes, 0, 1, &lim);
        }

        #[test]
        fn mutated_valid_frames_never_panic(idx in 0usize..120, val in any::<u8>(), cut in 0usize..130) {
            let m = Message { round: 1, from: 2, to: 0, payload: vec![Fr::from(77u64), Fr::from(1u64)] };
            let mut f = PeerFrame::encode_mpc(&JobId([1; 32]), &m);
            if idx < f.len() { f[idx] = val; }
            f.truncate(cut.max(1));
            let lim = DecodeLimits { max_elements: 4, parties: 3 };
            if let Ok(PeerFrame::Mpc { bytes: b, .. }) = PeerFrame::decode(&f) {
                let _ = decode_mpc(&b, 2, 0, &lim);
            }
        }
    }
}
