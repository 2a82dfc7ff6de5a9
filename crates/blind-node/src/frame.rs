//! Wire framing between committee members.
//!
//! On the socket every frame is `len: u32 LE ‖ bytes[len]`; `len` is checked
//! against a maximum *before* anything is allocated. After the handshake the
//! bytes are ChaCha20-Poly1305 ciphertext (see [`crate::secure`]); the
//! plaintext is a [`PeerFrame`]:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | kind: 1 = MPC message, 2 = job abort |
//! | 32 | job id |
//! | rest | MPC: a `synod_mpc::Message` encoding; abort: UTF-8 reason (≤ 512 bytes) |
//!
//! [`PeerFrame::decode`] and [`decode_mpc`] never panic on any input (fuzzed
//! in `crates/blind-node/fuzz`, property-tested below).

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

const KIND_MPC: u8 = 1;
const KIND_ABORT: u8 = 2;

/// A decrypted frame from a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerFrame {
    /// An MPC protocol message for a job (still encoded).
    Mpc {
        /// Job.
        job: JobId,
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
        let mut out = Vec::with_capacity(PEER_HEADER + msg.encoded_len() + 16);
        out.push(KIND_MPC);
        out.extend_from_slice(&job.0);
        msg.encode_into(&mut out);
        out
    }

    /// Encode.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, job, body) = match self {
            PeerFrame::Mpc { job, bytes } => (KIND_MPC, job, bytes.as_slice()),
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
            KIND_MPC => Ok(PeerFrame::Mpc {
                job,
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

/// The job id of an MPC frame (`None` for any other or a malformed frame).
pub fn mpc_job(frame: &[u8]) -> Option<JobId> {
    if frame.first() != Some(&KIND_MPC) {
        return None;
    }
    frame.get(1..PEER_HEADER)?.try_into().ok().map(JobId)
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
        let PeerFrame::Mpc { job: j, bytes } = PeerFrame::decode(&f).expect("decodes") else {
            panic!("kind")
        };
        assert_eq!(j, job);
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
            if let Ok(PeerFrame::Mpc { bytes: b, .. }) = PeerFrame::decode(&bytes) {
                let _ = decode_mpc(&b, 1, 0, &lim);
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
