//! Authenticated, encrypted links between committee members.
//!
//! Handshake (three length-prefixed plaintext frames, the lower committee
//! index always dials the higher one):
//!
//! 1. I → R: `"SYBN" ‖ version ‖ committee id ‖ I's index ‖ I's ephemeral X25519 key`
//! 2. R → I: `R's index ‖ R's ephemeral key ‖ sig_R(transcript, "responder")`
//! 3. I → R: `sig_I(transcript, "initiator")`
//!
//! The transcript is the committee id, both indices and both ephemeral keys;
//! the signatures are by the members' ed25519 identity keys listed in the
//! committee, so each side knows exactly which member it talks to and both
//! ephemeral keys are bound to those identities (no man in the middle; fresh
//! ephemerals give forward secrecy). Direction keys are derived with BLAKE3
//! from the X25519 secret and the transcript. Frames are then
//! ChaCha20-Poly1305 ciphertexts with a per-direction counter nonce, so a
//! replayed, reordered, truncated or forged frame fails to decrypt and
//! closes the link.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use tokio::io::{AsyncRead, AsyncWrite};
use zeroize::Zeroize;

use synod_primitives::{Keypair, Signature};

use crate::config::Committee;
use crate::error::BlindError;
use crate::frame::{read_frame, write_frame};
use crate::types::{CommitteeId, random_bytes};

const MAGIC: &[u8; 4] = b"SYBN";
const VERSION: u8 = 1;
const HELLO_LEN: usize = 4 + 1 + 32 + 2 + 32;
const REPLY_LEN: usize = 2 + 32 + 64;
/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;

fn net(msg: impl Into<String>) -> BlindError {
    BlindError::Network(msg.into())
}

/// Sending half of a link's cipher.
pub struct SendCipher {
    aead: ChaCha20Poly1305,
    counter: u64,
}

/// Receiving half of a link's cipher.
pub struct RecvCipher {
    aead: ChaCha20Poly1305,
    counter: u64,
}

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_le_bytes());
    Nonce::from(n)
}

impl SendCipher {
    /// Encrypt `buf` in place (appends the tag).
    pub fn seal(&mut self, buf: &mut Vec<u8>) -> Result<(), BlindError> {
        let n = nonce(self.counter);
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| net("link nonce exhausted"))?;
        self.aead
            .encrypt_in_place(&n, &[], buf)
            .map_err(|_| net("encryption failed"))
    }
}

impl RecvCipher {
    /// Decrypt `buf` in place (removes the tag); fails on any tampering.
    pub fn open(&mut self, buf: &mut Vec<u8>) -> Result<(), BlindError> {
        let n = nonce(self.counter);
        self.aead
            .decrypt_in_place(&n, &[], buf)
            .map_err(|_| net("frame failed authentication"))?;
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| net("link nonce exhausted"))?;
        Ok(())
    }
}

/// An established link's ciphers and the peer's committee index.
pub struct Established {
    /// Peer index.
    pub peer: usize,
    /// For frames we send.
    pub send: SendCipher,
    /// For frames we receive.
    pub recv: RecvCipher,
}

fn transcript(
    cid: &CommitteeId,
    i: u16,
    r: u16,
    eph_i: &[u8; 32],
    eph_r: &[u8; 32],
    role: &str,
) -> Vec<u8> {
    let mut t = b"synod/blind/handshake/v1/".to_vec();
    t.extend_from_slice(role.as_bytes());
    t.extend_from_slice(&cid.0);
    t.extend_from_slice(&i.to_le_bytes());
    t.extend_from_slice(&r.to_le_bytes());
    t.extend_from_slice(eph_i);
    t.extend_from_slice(eph_r);
    t
}

fn derive(
    shared: &[u8; 32],
    cid: &CommitteeId,
    i: u16,
    r: u16,
    eph_i: &[u8; 32],
    eph_r: &[u8; 32],
) -> (ChaCha20Poly1305, ChaCha20Poly1305) {
    let mut material = shared.to_vec();
    material.extend_from_slice(&transcript(cid, i, r, eph_i, eph_r, "keys"));
    let mut k_ir = blake3::derive_key("synod/blind/link/v1 initiator->responder", &material);
    let mut k_ri = blake3::derive_key("synod/blind/link/v1 responder->initiator", &material);
    material.zeroize();
    let a = ChaCha20Poly1305::new(&k_ir.into());
    let b = ChaCha20Poly1305::new(&k_ri.into());
    k_ir.zeroize();
    k_ri.zeroize();
    (a, b)
}

fn ephemeral() -> Result<([u8; 32], [u8; 32]), BlindError> {
    let sk: [u8; 32] = random_bytes()?;
    let pk = x25519_dalek::x25519(sk, x25519_dalek::X25519_BASEPOINT_BYTES);
    Ok((sk, pk))
}

fn dh(mut sk: [u8; 32], pk: [u8; 32]) -> Result<[u8; 32], BlindError> {
    let shared = x25519_dalek::x25519(sk, pk);
    sk.zeroize();
    if shared == [0u8; 32] {
        return Err(net("handshake: low-order ephemeral key"));
    }
    Ok(shared)
}

fn u16_index(i: usize) -> Result<u16, BlindError> {
    u16::try_from(i).map_err(|_| net("committee index too large"))
}

/// Dial side: we are member `me`, talking to member `peer` (`me < peer`).
pub async fn initiate<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    key: &Keypair,
    committee: &Committee,
    me: usize,
    peer: usize,
) -> Result<Established, BlindError> {
    let cid = committee.id();
    let (i, r) = (u16_index(me)?, u16_index(peer)?);
    let peer_key = committee
        .members
        .get(peer)
        .ok_or_else(|| net("unknown peer"))?
        .key;
    let (sk, eph_i) = ephemeral()?;
    let mut hello = Vec::with_capacity(HELLO_LEN);
    hello.extend_from_slice(MAGIC);
    hello.push(VERSION);
    hello.extend_from_slice(&cid.0);
    hello.extend_from_slice(&i.to_le_bytes());
    hello.extend_from_slice(&eph_i);
    write_frame(s, &hello).await?;
    let reply = read_frame(s, 256).await?;
    if reply.len() != REPLY_LEN {
        return Err(net("handshake: bad reply length"));
    }
    let r_claimed = u16::from_le_bytes([reply[0], reply[1]]);
    if r_claimed != r {
        return Err(net(format!(
            "handshake: expected node {r}, got node {r_claimed}"
        )));
    }
    let mut eph_r = [0u8; 32];
    eph_r.copy_from_slice(&reply[2..34]);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&reply[34..98]);
    peer_key
        .verify(
            &transcript(&cid, i, r, &eph_i, &eph_r, "responder"),
            &Signature(sig),
        )
        .map_err(|_| {
            net(format!(
                "handshake: node {peer} failed to prove its identity"
            ))
        })?;
    let my_sig = key.sign(&transcript(&cid, i, r, &eph_i, &eph_r, "initiator"));
    write_frame(s, &my_sig.0).await?;
    let shared = dh(sk, eph_r)?;
    let (send, recv) = derive(&shared, &cid, i, r, &eph_i, &eph_r);
    Ok(Established {
        peer,
        send: SendCipher {
            aead: send,
            counter: 0,
        },
        recv: RecvCipher {
            aead: recv,
            counter: 0,
        },
    })
}

/// Accept side: we are member `me`; the peer must be a lower-index member.
pub async fn respond<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    key: &Keypair,
    committee: &Committee,
    me: usize,
) -> Result<Established, BlindError> {
    let cid = committee.id();
    let r = u16_index(me)?;
    let hello = read_frame(s, 256).await?;
    if hello.len() != HELLO_LEN || &hello[..4] != MAGIC {
        return Err(net("handshake: not a Synod blind-node hello"));
    }
    if hello[4] != VERSION {
        return Err(net(format!("handshake: unsupported version {}", hello[4])));
    }
    if hello[5..37] != cid.0 {
        return Err(net("handshake: peer belongs to another committee"));
    }
    let i = u16::from_le_bytes([hello[37], hello[38]]);
    let peer = usize::from(i);
    if peer >= me {
        return Err(net(format!("handshake: node {i} must not dial node {me}")));
    }
    let peer_key = committee.members[peer].key;
    let mut eph_i = [0u8; 32];
    eph_i.copy_from_slice(&hello[39..71]);
    let (sk, eph_r) = ephemeral()?;
    let sig = key.sign(&transcript(&cid, i, r, &eph_i, &eph_r, "responder"));
    let mut reply = Vec::with_capacity(REPLY_LEN);
    reply.extend_from_slice(&r.to_le_bytes());
    reply.extend_from_slice(&eph_r);
    reply.extend_from_slice(&sig.0);
    write_frame(s, &reply).await?;
    let fin = read_frame(s, 256).await?;
    let fin: [u8; 64] = fin
        .try_into()
        .map_err(|_| net("handshake: bad signature length"))?;
    peer_key
        .verify(
            &transcript(&cid, i, r, &eph_i, &eph_r, "initiator"),
            &Signature(fin),
        )
        .map_err(|_| {
            net(format!(
                "handshake: node {peer} failed to prove its identity"
            ))
        })?;
    let shared = dh(sk, eph_i)?;
    let (k_ir, k_ri) = derive(&shared, &cid, i, r, &eph_i, &eph_r);
    Ok(Established {
        peer,
        send: SendCipher {
            aead: k_ri,
            counter: 0,
        },
        recv: RecvCipher {
            aead: k_ir,
            counter: 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Member;

    fn committee(keys: &[Keypair]) -> Committee {
        Committee {
            members: keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    Member::new(
                        k,
                        format!("127.0.0.1:{}", 1000 + i).parse().expect("addr"),
                        String::new(),
                    )
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn handshake_and_tamper_detection() {
        let keys: Vec<Keypair> = (0..3).map(|i| Keypair::dev(&format!("hs{i}"))).collect();
        let c = committee(&keys);
        let (mut a, mut b) = tokio::io::duplex(4096);
        let (ka, kb, c1, c2) = (keys[0].clone(), keys[2].clone(), c.clone(), c.clone());
        let ia = tokio::spawn(async move { initiate(&mut a, &ka, &c1, 0, 2).await });
        let rb = tokio::spawn(async move { respond(&mut b, &kb, &c2, 2).await });
        let mut x = ia.await.expect("join").expect("initiator");
        let mut y = rb.await.expect("join").expect("responder");
        assert_eq!(y.peer, 0);
        let mut m = b"hello share".to_vec();
        x.send.seal(&mut m).expect("seal");
        assert_ne!(&m[..11], b"hello share");
        let mut tampered = m.clone();
        tampered[0] ^= 1;
        let mut y2_recv = RecvCipher {
            aead: y.recv.aead.clone(),
            counter: 0,
        };
        assert!(y2_recv.open(&mut tampered).is_err());
        y.recv.open(&mut m).expect("open");
        assert_eq!(m, b"hello share");
        // Replaying the same ciphertext fails (counter moved on).
        let mut again = b"second".to_vec();
        x.send.seal(&mut again).expect("seal");
        let mut replay = again.clone();
        y.recv.open(&mut again).expect("open");
        assert!(y.recv.open(&mut replay).is_err());
    }

    #[tokio::test]
    async fn impostor_is_refused() {
        let keys: Vec<Keypair> = (0..3).map(|i| Keypair::dev(&format!("hs{i}"))).collect();
        let c = committee(&keys);
        let impostor = Keypair::dev("mallory");
        let (mut a, mut b) = tokio::io::duplex(4096);
        let c1 = c.clone();
        let kb = keys[2].clone();
        let ia = tokio::spawn(async move { initiate(&mut a, &impostor, &c1, 0, 2).await });
        let rb = tokio::spawn(async move { respond(&mut b, &kb, &c, 2).await });
        let r = rb.await.expect("join");
        assert!(r.is_err_and(|e| e.to_string().contains("failed to prove its identity")));
        let _ = ia.await;
    }
}
