//! The chain's one signature rule.
//!
//! Every place that decides whether an ed25519 signature is valid (transaction admission, block
//! building, block verification, replay, gossip, hotkey binding proofs) calls this module and
//! nothing else, so a signature has one verdict on every node and every path.
//!
//! The rule:
//! 1. **The key must be a usable account key**: its 32 bytes are the canonical encoding of a
//!    curve point (y < p) that is not of small order. A small-order key has no secret: anyone can
//!    make signatures that verify under it (the identity key with R = identity and S = 0 verifies
//!    every message), so such an account could be spent by anyone.
//! 2. **The signature must verify under ZIP-215**: S canonical (< ℓ), R and A decode to curve
//!    points, and the cofactored equation `[8]([S]B − R − [k]A) = 0` holds with
//!    `k = SHA-512(R ‖ A ‖ M)`. Verification is done by `ed25519-zebra`, the crate Zcash uses for
//!    consensus; the consensus engine's vote signatures follow the same rule (commonware vendors
//!    `ed25519-consensus`, also ZIP-215).
//!
//! Why cofactored: with the cofactorless equation (ed25519-dalek's `verify_strict`) a batch check
//! cannot give the verdict of a single check, because a random linear combination lets an R with
//! a small-torsion component pass about one time in eight. That is how a block could be valid on
//! one node and invalid on another. Under the cofactored equation the torsion is multiplied away
//! in both, and a batch accepts exactly when every member would alone (up to a 2⁻¹²⁸ chance,
//! see [`verify_batch`]). A consequence is that an R with a torsion component, signed by the key's
//! owner, is a valid signature everywhere; it cannot be made without the secret key.
//!
//! A batch draws its 128-bit coefficients from a ChaCha20 stream seeded by a hash of the whole
//! batch, so a node's verdict never depends on its own randomness.

use crate::account::{AccountId, Signature, SignatureError};
use ed25519_zebra::batch;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// Canonical encodings (y < p, sign bit included) of the eight points of small order, plus the
/// two encodings of x = 0 points with the sign bit set, which decoders accept: the complete list
/// of canonical-y encodings that decode to a point of small order. `small_order_list_is_complete`
/// derives the list from the curve and checks it.
const SMALL_ORDER_ENCODINGS: [[u8; 32]; 10] = [
    // identity (0, 1), and with the sign bit set
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    hex32("0100000000000000000000000000000000000000000000000000000000000080"),
    // order 2: (0, -1), and with the sign bit set
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    // order 4: (±sqrt(-1), 0)
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("0000000000000000000000000000000000000000000000000000000000000080"),
    // order 8
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
];

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a lower-case hex digit"),
    }
}

/// Whether the y coordinate in `bytes` (the low 255 bits) is below p = 2²⁵⁵ − 19. The 19
/// values at or above p are a second encoding of y − p.
fn y_is_canonical(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    let all_ones_between = bytes[1..31].iter().all(|&b| b == 0xff);
    !(top == 0x7f && all_ones_between && bytes[0] >= 0xed)
}

/// Rule 1: the key is the canonical encoding of a curve point not of small order.
pub fn check_key(key: &AccountId) -> Result<(), SignatureError> {
    decode_key(key).map(|_| ())
}

/// The byte-level half of rule 1, without decoding the point: a key that passes it and decodes
/// is a usable key, because the list holds every canonical encoding of a small-order point.
fn check_key_encoding(bytes: &[u8; 32]) -> Result<(), SignatureError> {
    if !y_is_canonical(bytes) {
        return Err(SignatureError::NonCanonicalKey);
    }
    if SMALL_ORDER_ENCODINGS.contains(bytes) {
        return Err(SignatureError::WeakKey);
    }
    Ok(())
}

fn decode_key(key: &AccountId) -> Result<ed25519_zebra::VerificationKey, SignatureError> {
    check_key_encoding(key.as_bytes())?;
    ed25519_zebra::VerificationKey::try_from(*key.as_bytes())
        .map_err(|_| SignatureError::InvalidKey)
}

/// Verifies one signature under the chain's rule.
pub fn verify(
    key: &AccountId,
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    decode_key(key)?
        .verify(&ed25519_zebra::Signature::from_bytes(&signature.0), message)
        .map_err(|_| SignatureError::BadSignature)
}

/// Verifies many `(key, message, signature)` triples at once; `Ok` exactly when [`verify`] would
/// accept every one of them.
///
/// Agreement with [`verify`]: each key passes [`check_key`] here as there (its encoding here,
/// its decoding inside the batch). For the equations, if
/// every signature is valid each term `[8](...)` is the identity and the batch accepts. If one is
/// not, its term is a non-identity point of the prime-order subgroup, and the random 128-bit
/// combination is the identity with probability at most 2⁻¹²⁸. The coefficients come from a hash
/// of all inputs, so an attacker choosing inputs faces the same bound per attempt.
///
/// Batching costs about half as much per signature as one by one; on failure the caller learns
/// only that *some* entry is bad and falls back to [`verify`] to find which.
pub fn verify_batch(
    keys: &[AccountId],
    messages: &[&[u8]],
    signatures: &[Signature],
) -> Result<(), SignatureError> {
    if keys.len() != messages.len() || keys.len() != signatures.len() {
        return Err(SignatureError::BatchLengthMismatch);
    }
    let mut seed = blake3::Hasher::new_derive_key("synod signature batch coefficients v1");
    seed.update(&(keys.len() as u64).to_le_bytes());
    let mut verifier = batch::Verifier::new();
    for ((key, message), signature) in keys.iter().zip(messages).zip(signatures) {
        // Decoding the point is left to the batch (it decodes each key once); a key that does
        // not decode fails the batch, and the caller's one-by-one pass names it.
        check_key_encoding(key.as_bytes())?;
        seed.update(key.as_bytes());
        seed.update(&signature.0);
        seed.update(&(message.len() as u64).to_le_bytes());
        seed.update(message);
        verifier.queue((
            ed25519_zebra::VerificationKeyBytes::from(*key.as_bytes()),
            ed25519_zebra::Signature::from_bytes(&signature.0),
            message,
        ));
    }
    let rng = ChaCha20Rng::from_seed(*seed.finalize().as_bytes());
    verifier
        .verify(rng)
        .map_err(|_| SignatureError::BadSignature)
}

/// Signatures an attacker can make, for tests that show the rule's verdict on them end to end.
#[cfg(feature = "adversary")]
pub mod adversary {
    use crate::{AccountId, Signature};
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use sha2_11::{Digest, Sha512};

    /// The identity point as an account: a key with no secret.
    pub fn identity_account() -> AccountId {
        AccountId(super::SMALL_ORDER_ENCODINGS[0])
    }

    /// R = identity, S = 0: satisfies the verification equation of the identity key for every
    /// message, cofactored or not.
    pub fn identity_signature() -> Signature {
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(&super::SMALL_ORDER_ENCODINGS[0]);
        Signature(s)
    }

    /// A key holder who signs with a chosen torsion component in R.
    pub struct TorsionSigner {
        secret: Scalar,
        account: AccountId,
    }

    impl TorsionSigner {
        /// A signer whose secret scalar is derived from `seed`.
        pub fn new(seed: &[u8]) -> Self {
            let secret = Scalar::from_hash(
                Sha512::new()
                    .chain_update(b"torsion signer")
                    .chain_update(seed),
            );
            TorsionSigner {
                secret,
                account: AccountId((B * secret).compress().to_bytes()),
            }
        }

        /// Its (prime-order) key.
        pub fn account(&self) -> AccountId {
            self.account
        }

        /// A signature over `message` whose R is `r·B + torsion·T8` (T8 a point of order 8):
        /// valid under the cofactored equation, invalid under the cofactorless one for
        /// `torsion % 8 != 0`.
        pub fn sign(&self, message: &[u8], torsion: u8) -> Signature {
            let t8 = CompressedEdwardsY(super::SMALL_ORDER_ENCODINGS[6])
                .decompress()
                .expect("a listed encoding decodes");
            let r = Scalar::from_hash(
                Sha512::new()
                    .chain_update(self.secret.as_bytes())
                    .chain_update(message),
            );
            let r_point = (B * r + t8 * Scalar::from(torsion)).compress().to_bytes();
            let k = Scalar::from_hash(
                Sha512::new()
                    .chain_update(r_point)
                    .chain_update(self.account.as_bytes())
                    .chain_update(message),
            );
            let s = r + k * self.secret;
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&r_point);
            sig[32..].copy_from_slice(s.as_bytes());
            Signature(sig)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::IsIdentity;

    /// A point of order 8 (its fourfold is not the identity).
    fn order8_point() -> EdwardsPoint {
        let p = CompressedEdwardsY(SMALL_ORDER_ENCODINGS[6])
            .decompress()
            .expect("listed encoding decodes");
        let p2 = p + p;
        assert!(!(p2 + p2).is_identity());
        p
    }

    #[test]
    fn small_order_list_is_complete() {
        // The eight small-order points are the multiples of one point of order 8; each has a
        // canonical encoding and, with the sign bit flipped, possibly a second decodable one.
        let t = order8_point();
        let mut derived = Vec::new();
        for i in 0u64..8 {
            let p = t * Scalar::from(i);
            assert!(p.is_small_order());
            let enc = p.compress().to_bytes();
            for flip in [0u8, 0x80] {
                let mut e = enc;
                e[31] ^= flip;
                if let Some(q) = CompressedEdwardsY(e).decompress()
                    && q.is_small_order()
                    && y_is_canonical(&e)
                    && !derived.contains(&e)
                {
                    derived.push(e);
                }
            }
        }
        derived.sort();
        let mut listed = SMALL_ORDER_ENCODINGS.to_vec();
        listed.sort();
        assert_eq!(derived, listed);
    }

    #[test]
    fn non_canonical_y_is_detected() {
        // p - 1 .. 2^255 - 1: the first is canonical, the next 19 (p and above) are not.
        let mut p_minus_1 = [0xffu8; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        assert!(y_is_canonical(&p_minus_1));
        for low in 0xedu8..=0xff {
            let mut e = p_minus_1;
            e[0] = low;
            assert!(!y_is_canonical(&e));
            e[31] |= 0x80;
            assert!(!y_is_canonical(&e));
        }
        let mut almost = [0xffu8; 32];
        almost[30] = 0xfe;
        assert!(y_is_canonical(&almost));
    }

    #[test]
    fn basepoint_multiples_are_usable_keys() {
        for i in 1u64..50 {
            let key = AccountId(
                (ED25519_BASEPOINT_POINT * Scalar::from(i))
                    .compress()
                    .to_bytes(),
            );
            assert_eq!(check_key(&key), Ok(()));
        }
    }
}
