//! End-to-end encryption of client requests and of the answers to them.
//!
//! A client request carries this node's share of a secret (store, update,
//! inline inputs) and an answer may carry a share back (retrieve, job
//! results). The JSON-RPC transport is plain HTTP, so anybody on the path
//! could collect the shares sent to every node and reconstruct the secret.
//! Each request is therefore sealed for the one node it is meant for:
//!
//! 1. Every member has a static X25519 key, derived from its identity seed
//!    ([`node_x25519_secret`]) and published in the committee file
//!    ([`crate::Member::x25519`]), so the committee id commits to it.
//! 2. The client draws a fresh ephemeral X25519 key per request and computes
//!    the shared secret with the node's static key. Two keys are derived with
//!    BLAKE3 from it and the envelope header (domain, version, committee id,
//!    node index, ephemeral key, node key): one for the request, one for the
//!    answer.
//! 3. The whole borsh [`SignedRequest`] (signature included) is encrypted
//!    with ChaCha20-Poly1305 under the request key, the header being the
//!    associated data; the node's [`Response`] comes back encrypted under
//!    the answer key with the same associated data.
//!
//! Each key encrypts exactly one message, so a fixed nonce is safe. Only the
//! addressed node can read a request, and only the client that sent it (the
//! holder of the ephemeral secret) can read the answer, which also proves
//! the answer came from the node holding the published key. The ed25519
//! request signature stays inside and still authorises the operation, so a
//! node that decrypts a request cannot replay it to another member (the
//! signed body names the target node) and an on-path attacker cannot replay
//! it at all (the nonce is remembered). Refusals are JSON-RPC errors in the
//! clear; they never carry shares.
//!
//! [`SignedRequest`]: crate::types::SignedRequest
//! [`Response`]: crate::types::Response

use borsh::{BorshDeserialize, BorshSerialize};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use synod_primitives::Keypair;
use zeroize::{Zeroize, Zeroizing};

use crate::error::BlindError;
use crate::types::{CommitteeId, NodeEncKey, random_bytes};

/// Bytes an envelope adds around the request it seals (header, tag and
/// encoding), rounded up generously.
pub const ENVELOPE_OVERHEAD: usize = 1024;
/// Largest encoded envelope (of a request or a response).
pub const MAX_ENVELOPE_BYTES: usize = crate::types::MAX_MESSAGE_BYTES + ENVELOPE_OVERHEAD;
/// Largest encoded request envelope a node accepts.
pub const MAX_REQUEST_ENVELOPE_BYTES: usize = crate::types::MAX_REQUEST_BYTES + ENVELOPE_OVERHEAD;

/// Envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
const DOMAIN: &[u8] = b"synod/blind/envelope/v1";

/// A request sealed for one node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Envelope {
    /// [`ENVELOPE_VERSION`].
    pub version: u8,
    /// Committee the request is meant for.
    pub committee: CommitteeId,
    /// Index of the node it is sealed for.
    pub node: u16,
    /// The client's ephemeral X25519 public key.
    pub client_key: [u8; 32],
    /// ChaCha20-Poly1305 ciphertext of the borsh `SignedRequest`.
    pub ciphertext: Vec<u8>,
}

/// The answer key of one request, kept by whoever may read the answer.
pub struct AnswerKey {
    aead: ChaCha20Poly1305,
    aad: Vec<u8>,
}

impl AnswerKey {
    /// Encrypt an encoded response (node side).
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, BlindError> {
        self.aead
            .encrypt(
                &Nonce::default(),
                Payload {
                    msg: plaintext,
                    aad: &self.aad,
                },
            )
            .map_err(|_| BlindError::Invalid("answer encryption failed".into()))
    }

    /// Decrypt an answer (client side); fails if it was not produced by the
    /// node holding the published key for this very request.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Vec<u8>, BlindError> {
        self.aead
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: ciphertext,
                    aad: &self.aad,
                },
            )
            .map_err(|_| {
                BlindError::BadAuth(
                    "the answer failed authentication (not sealed by the addressed node)".into(),
                )
            })
    }
}

/// The static X25519 secret of a node, derived from its identity seed so a
/// node needs no second key file.
pub fn node_x25519_secret(key: &Keypair) -> Zeroizing<[u8; 32]> {
    let mut seed = key.seed();
    let sk = blake3::derive_key("synod/blind/node-x25519/v1", &seed);
    seed.zeroize();
    Zeroizing::new(sk)
}

/// The public X25519 key a node publishes in the committee file.
pub fn node_x25519_public(key: &Keypair) -> NodeEncKey {
    NodeEncKey(x25519_dalek::x25519(
        *node_x25519_secret(key),
        x25519_dalek::X25519_BASEPOINT_BYTES,
    ))
}

fn header(
    committee: &CommitteeId,
    node: u16,
    client_key: &[u8; 32],
    node_key: &NodeEncKey,
) -> Vec<u8> {
    let mut h = DOMAIN.to_vec();
    h.push(ENVELOPE_VERSION);
    h.extend_from_slice(&committee.0);
    h.extend_from_slice(&node.to_le_bytes());
    h.extend_from_slice(client_key);
    h.extend_from_slice(&node_key.0);
    h
}

/// Request and answer ciphers from the X25519 shared secret and the header.
fn keys(shared: &[u8; 32], aad: &[u8]) -> Result<(ChaCha20Poly1305, AnswerKey), BlindError> {
    if *shared == [0u8; 32] {
        return Err(BlindError::BadAuth(
            "envelope: low-order ephemeral key".into(),
        ));
    }
    let mut material = Zeroizing::new(shared.to_vec());
    material.extend_from_slice(aad);
    let mut k_req = blake3::derive_key("synod/blind/envelope/v1 request", &material);
    let mut k_ans = blake3::derive_key("synod/blind/envelope/v1 answer", &material);
    let req = ChaCha20Poly1305::new(&k_req.into());
    let ans = ChaCha20Poly1305::new(&k_ans.into());
    k_req.zeroize();
    k_ans.zeroize();
    Ok((
        req,
        AnswerKey {
            aead: ans,
            aad: aad.to_vec(),
        },
    ))
}

/// Seal an encoded signed request for node `node` whose published key is
/// `node_key` (client side). Returns the envelope and the key to open the
/// answer with.
pub fn seal_request(
    committee: &CommitteeId,
    node: u16,
    node_key: &NodeEncKey,
    request: &[u8],
) -> Result<(Envelope, AnswerKey), BlindError> {
    let eph = Zeroizing::new(random_bytes::<32>()?);
    let client_key = x25519_dalek::x25519(*eph, x25519_dalek::X25519_BASEPOINT_BYTES);
    let shared = Zeroizing::new(x25519_dalek::x25519(*eph, node_key.0));
    let aad = header(committee, node, &client_key, node_key);
    let (req, answer) = keys(&shared, &aad)?;
    let ciphertext = req
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: request,
                aad: &aad,
            },
        )
        .map_err(|_| BlindError::Invalid("request encryption failed".into()))?;
    Ok((
        Envelope {
            version: ENVELOPE_VERSION,
            committee: *committee,
            node,
            client_key,
            ciphertext,
        },
        answer,
    ))
}

/// Open an envelope at node `me` of committee `committee` holding the static
/// secret `secret` (public key `public`). Returns the encoded signed request
/// and the key to seal the answer with.
pub fn open_request(
    env: &Envelope,
    committee: &CommitteeId,
    me: usize,
    secret: &[u8; 32],
    public: &NodeEncKey,
) -> Result<(Zeroizing<Vec<u8>>, AnswerKey), BlindError> {
    if env.version != ENVELOPE_VERSION {
        return Err(BlindError::BadAuth(format!(
            "unsupported envelope version {}",
            env.version
        )));
    }
    if env.committee != *committee {
        return Err(BlindError::BadAuth(
            "request is for another committee".into(),
        ));
    }
    if usize::from(env.node) != me {
        return Err(BlindError::BadAuth(format!(
            "request is sealed for node {}, this is node {me}",
            env.node
        )));
    }
    let shared = Zeroizing::new(x25519_dalek::x25519(*secret, env.client_key));
    let aad = header(committee, env.node, &env.client_key, public);
    let (req, answer) = keys(&shared, &aad)?;
    let plain = req
        .decrypt(
            &Nonce::default(),
            Payload {
                msg: &env.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| {
            BlindError::BadAuth(format!(
                "request envelope failed to decrypt: not sealed for node {me}'s published key, or altered"
            ))
        })?;
    Ok((Zeroizing::new(plain), answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> (Zeroizing<[u8; 32]>, NodeEncKey) {
        let k = Keypair::dev(name);
        (node_x25519_secret(&k), node_x25519_public(&k))
    }

    #[test]
    fn sealed_request_and_answer_round_trip() {
        let cid = CommitteeId([3; 32]);
        let (sk, pk) = node("env-node-1");
        let msg = b"a signed request carrying share 0x5eedc0de".to_vec();
        let (env, client_answer) = seal_request(&cid, 1, &pk, &msg).expect("seal");
        assert!(
            !env.ciphertext.windows(8).any(|w| w == &msg[..8]),
            "ciphertext hides the request"
        );
        let (plain, node_answer) = open_request(&env, &cid, 1, &sk, &pk).expect("open");
        assert_eq!(*plain, msg);
        let answer = node_answer.seal(b"share 42").expect("seal answer");
        assert_eq!(
            client_answer.open(&answer).expect("open answer"),
            b"share 42"
        );
        // Each request has its own answer key.
        let (_, other) = seal_request(&cid, 1, &pk, &msg).expect("seal");
        assert!(other.open(&answer).is_err());
        // A tampered answer is refused.
        let mut bad = answer.clone();
        bad[0] ^= 1;
        assert!(client_answer.open(&bad).is_err());
    }

    #[test]
    fn only_the_addressed_node_opens_a_request() {
        let cid = CommitteeId([3; 32]);
        let (sk1, pk1) = node("env-node-1");
        let (sk2, pk2) = node("env-node-2");
        let (env, _) = seal_request(&cid, 1, &pk1, b"share").expect("seal");
        // Another node's key, even claiming the right index.
        let e = open_request(&env, &cid, 1, &sk2, &pk2)
            .err()
            .expect("wrong key");
        assert!(e.to_string().contains("failed to decrypt"), "{e}");
        // The header is authenticated: changing the index or committee fails.
        let e = open_request(&env, &cid, 2, &sk1, &pk1)
            .err()
            .expect("other index");
        assert!(e.to_string().contains("sealed for node 1"), "{e}");
        let mut moved = env.clone();
        moved.node = 2;
        assert!(open_request(&moved, &cid, 2, &sk1, &pk1).is_err());
        let e = open_request(&env, &CommitteeId([4; 32]), 1, &sk1, &pk1)
            .err()
            .expect("other committee");
        assert!(e.to_string().contains("another committee"), "{e}");
        let mut tampered = env.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(open_request(&tampered, &cid, 1, &sk1, &pk1).is_err());
        let mut low_order = env;
        low_order.client_key = [0; 32];
        assert!(open_request(&low_order, &cid, 1, &sk1, &pk1).is_err());
        assert!(open_request(&moved, &cid, 1, &sk1, &pk1).is_err());
    }

    #[test]
    fn static_key_is_derived_from_the_identity_seed() {
        let k = Keypair::dev("env-node-1");
        assert_eq!(node_x25519_public(&k), node_x25519_public(&k));
        assert_ne!(
            node_x25519_public(&k),
            node_x25519_public(&Keypair::dev("env-node-2"))
        );
        assert_ne!(node_x25519_public(&k).0, k.account().0);
    }
}
