//! The chain's signature rule on the edge cases of "Taming the many EdDSAs" (Chalkias, Garillot,
//! Nikolaenko, SSR 2020; vectors from the paper's ed25519-speccheck cases) and on signatures built
//! here with torsion in R, in the key, or both: each has one verdict alone, in a batch with good
//! signatures, and in a batch with a bad one; batch and single never disagree on random mixes;
//! and every verdict equals an independent computation of the rule from curve arithmetic.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use proptest::prelude::*;
use sha2_11::{Digest, Sha512};
use synod_primitives::account::{SignatureError, verify_batch};
use synod_primitives::{AccountId, Keypair, Signature};

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).expect("hex").try_into().expect("32 bytes")
}

fn hex64(s: &str) -> [u8; 64] {
    hex::decode(s).expect("hex").try_into().expect("64 bytes")
}

/// The rule computed directly from curve arithmetic, as `signature.rs` states it: a canonical,
/// not-small-order key; canonical S; R a curve point; `[8]([S]B − R − [k]A) = 0`.
fn reference(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), SignatureError> {
    let Some(a) = CompressedEdwardsY(*key).decompress() else {
        return Err(SignatureError::InvalidKey);
    };
    let mut y = *key;
    y[31] &= 0x7f;
    let canonical_y = CompressedEdwardsY(y)
        .decompress()
        .map(|p| {
            let mut c = p.compress().to_bytes();
            c[31] &= 0x7f;
            c == y
        })
        .unwrap_or(false);
    // A y at or above p can only be told apart by comparing with p itself when the point does
    // not decode; the rule's encoding check is a plain comparison with p.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let y_below_p = y.iter().rev().cmp(p.iter().rev()) == std::cmp::Ordering::Less;
    if !y_below_p {
        return Err(SignatureError::NonCanonicalKey);
    }
    assert!(canonical_y, "a y below p decodes to itself");
    if a.is_small_order() {
        return Err(SignatureError::WeakKey);
    }
    let r_bytes: [u8; 32] = sig[..32].try_into().expect("32");
    let s_bytes: [u8; 32] = sig[32..].try_into().expect("32");
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
        return Err(SignatureError::BadSignature);
    };
    let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
        return Err(SignatureError::BadSignature);
    };
    let k = challenge(&r_bytes, key, msg);
    if (B * s - r - a * k).mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let h: [u8; 64] = Sha512::new()
        .chain_update(r)
        .chain_update(a)
        .chain_update(msg)
        .finalize()
        .into();
    Scalar::from_bytes_mod_order_wide(&h)
}

/// The point of order 8 whose canonical encoding starts c7176a70.
fn t8() -> EdwardsPoint {
    CompressedEdwardsY(hex32(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ))
    .decompress()
    .expect("decodes")
}

/// A signature made with secret scalar `a` for the key `a·B + key_torsion`, with nonce point
/// `r·B + r_torsion`: what an attacker holding a key can produce.
fn sign_raw(
    a: Scalar,
    key_torsion: EdwardsPoint,
    r: Scalar,
    r_torsion: EdwardsPoint,
    msg: &[u8],
) -> ([u8; 32], [u8; 64]) {
    let key = (B * a + key_torsion).compress().to_bytes();
    let r_point = (B * r + r_torsion).compress().to_bytes();
    let k = challenge(&r_point, &key, msg);
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_point);
    sig[32..].copy_from_slice(s.as_bytes());
    (key, sig)
}

fn scalar(seed: u64) -> Scalar {
    let mut wide = [0u8; 64];
    wide[..8].copy_from_slice(&seed.to_le_bytes());
    wide[8] = 0x5a;
    let h: [u8; 64] = Sha512::digest(wide).into();
    Scalar::from_bytes_mod_order_wide(&h)
}

struct Case {
    name: &'static str,
    key: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
    expect: Result<(), SignatureError>,
}

fn case(
    name: &'static str,
    key: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
    expect: Result<(), SignatureError>,
) -> Case {
    Case {
        name,
        key,
        msg,
        sig,
        expect,
    }
}

fn speccheck(
    name: &'static str,
    msg: &str,
    key: &str,
    sig: &str,
    expect: Result<(), SignatureError>,
) -> Case {
    case(
        name,
        hex32(key),
        hex::decode(msg).expect("hex"),
        hex64(sig),
        expect,
    )
}

fn cases() -> Vec<Case> {
    use SignatureError::*;
    let mut v = vec![
        speccheck(
            "speccheck 0: small-order A and R, S = 0",
            "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000",
            Err(WeakKey),
        ),
        speccheck(
            "speccheck 1: small-order A, mixed-order R",
            "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
            Err(WeakKey),
        ),
        speccheck(
            "speccheck 2: mixed-order A, small-order R (valid cofactored)",
            "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
            "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e",
            Ok(()),
        ),
        speccheck(
            "speccheck 3: mixed-order A and R, valid either way",
            "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
            "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
            "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009",
            Ok(()),
        ),
        speccheck(
            "speccheck 4: mixed-order A and R, valid cofactored only",
            "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
            "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
            "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09",
            Ok(()),
        ),
        speccheck(
            "speccheck 5: mixed-order A, prime-order R, valid cofactored only",
            "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
            "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
            "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405",
            Ok(()),
        ),
        speccheck(
            "speccheck 6: S > L",
            "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
            "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
            "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514",
            Err(BadSignature),
        ),
        speccheck(
            "speccheck 7: S >> L",
            "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
            "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
            "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22",
            Err(BadSignature),
        ),
        speccheck(
            "speccheck 8: non-canonical R (the equation fails)",
            "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
            "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f",
            Err(BadSignature),
        ),
        speccheck(
            "speccheck 9: non-canonical R (ZIP-215 decodes it; the equation holds)",
            "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
            "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908",
            Ok(()),
        ),
        speccheck(
            "speccheck 10: non-canonical (small-order) A",
            "e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
            Err(WeakKey),
        ),
        speccheck(
            "speccheck 11: non-canonical (small-order) A, other phase",
            "39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
            Err(WeakKey),
        ),
    ];

    // The spend without a key: identity A, R = identity, S = 0 verifies every message
    // under both equations.
    let identity = hex32("0100000000000000000000000000000000000000000000000000000000000000");
    let mut id_sig = [0u8; 64];
    id_sig[..32].copy_from_slice(&identity);
    v.push(case(
        "identity key, R = identity, S = 0",
        identity,
        b"transfer everything".to_vec(),
        id_sig,
        Err(WeakKey),
    ));
    // The identity again, its y written as p + 1.
    let mut id_noncanonical = [0xffu8; 32];
    id_noncanonical[0] = 0xee;
    id_noncanonical[31] = 0x7f;
    v.push(case(
        "identity key written with y = p + 1",
        id_noncanonical,
        b"transfer everything".to_vec(),
        id_sig,
        Err(NonCanonicalKey),
    ));

    let msg = b"a transfer".to_vec();
    let kp = Keypair::from_seed(&[7u8; 32]);
    v.push(case(
        "honest signature",
        kp.account().0,
        msg.clone(),
        kp.sign(&msg).0,
        Ok(()),
    ));
    let mut flipped = kp.sign(&msg).0;
    flipped[40] ^= 1;
    v.push(case(
        "honest signature, one bit of S flipped",
        kp.account().0,
        msg.clone(),
        flipped,
        Err(BadSignature),
    ));
    v.push(case(
        "honest signature, other message",
        kp.account().0,
        b"another transfer".to_vec(),
        kp.sign(&msg).0,
        Err(BadSignature),
    ));

    let (a, r) = (scalar(1), scalar(2));
    let id = EdwardsPoint::default();
    let t = t8();
    for (i, name) in [
        (
            1u64,
            "R with an order-8 torsion component (the issue's tweak)",
        ),
        (2, "R with an order-4 torsion component"),
        (4, "R with an order-2 torsion component"),
    ] {
        let (key, sig) = sign_raw(a, id, r, t * Scalar::from(i), &msg);
        // Valid under the cofactored equation, signed by the key's owner.
        v.push(case(name, key, msg.clone(), sig, Ok(())));
    }
    let (key, sig) = sign_raw(a, t, r, id, &msg);
    v.push(case(
        "mixed-order key, prime-order R",
        key,
        msg.clone(),
        sig,
        Ok(()),
    ));
    let (key, sig) = sign_raw(a, t, r, t * Scalar::from(3u64), &msg);
    v.push(case("mixed-order key and R", key, msg.clone(), sig, Ok(())));
    // Small-order R: S = k·a makes the cofactored equation hold; still needs the secret a.
    let (key, sig) = sign_raw(a, id, Scalar::ZERO, t, &msg);
    v.push(case(
        "small-order R from the key's owner",
        key,
        msg.clone(),
        sig,
        Ok(()),
    ));
    // S + ℓ: the same equation, a non-canonical S.
    let (key, sig) = sign_raw(a, id, r, id, &msg);
    let mut s_plus_l = sig;
    let s = u256(&sig[32..]);
    let l = u256(&hex32(
        "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
    ));
    s_plus_l[32..].copy_from_slice(&add256(s, l));
    v.push(case(
        "S + L (non-canonical S)",
        key,
        msg.clone(),
        s_plus_l,
        Err(BadSignature),
    ));
    // R that is not a curve point.
    let mut bad_r = sig;
    let off_curve = (2u8..=255)
        .map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            b
        })
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .expect("some small y is off the curve");
    bad_r[..32].copy_from_slice(&off_curve);
    v.push(case(
        "R not on the curve",
        key,
        msg.clone(),
        bad_r,
        Err(BadSignature),
    ));
    v.push(case(
        "key not on the curve",
        off_curve,
        msg.clone(),
        sig,
        Err(InvalidKey),
    ));
    v
}

fn u256(bytes: &[u8]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, limb) in out.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8"));
    }
    out
}

fn add256(a: [u64; 4], b: [u64; 4]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u128;
    for i in 0..4 {
        let sum = a[i] as u128 + b[i] as u128 + carry;
        out[8 * i..8 * i + 8].copy_from_slice(&(sum as u64).to_le_bytes());
        carry = sum >> 64;
    }
    assert_eq!(carry, 0);
    out
}

fn verdict_alone(c: &Case) -> Result<(), SignatureError> {
    AccountId(c.key).verify(&c.msg, &Signature(c.sig))
}

fn batch(items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> Result<(), SignatureError> {
    let keys: Vec<AccountId> = items.iter().map(|(k, _, _)| AccountId(**k)).collect();
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| *m).collect();
    let sigs: Vec<Signature> = items.iter().map(|(_, _, s)| Signature(**s)).collect();
    verify_batch(&keys, &msgs, &sigs)
}

fn good_signatures(n: u8) -> Vec<([u8; 32], Vec<u8>, [u8; 64])> {
    (0..n)
        .map(|i| {
            let kp = Keypair::from_seed(&[i + 100; 32]);
            let m = vec![i; 40];
            let s = kp.sign(&m).0;
            (kp.account().0, m, s)
        })
        .collect()
}

#[test]
fn every_edge_case_has_its_verdict_alone_and_in_batches() {
    let good = good_signatures(6);
    let bad = {
        let kp = Keypair::from_seed(&[200; 32]);
        (kp.account().0, b"signed".to_vec(), kp.sign(b"not signed").0)
    };
    for c in cases() {
        assert_eq!(verdict_alone(&c), c.expect, "{}: alone", c.name);
        assert_eq!(
            reference(&c.key, &c.msg, &c.sig),
            c.expect,
            "{}: the rule computed from curve arithmetic",
            c.name
        );
        // At the front, in the middle and at the end of a batch of good signatures.
        for at in [0, 3, 6] {
            let mut items: Vec<(&[u8; 32], &[u8], &[u8; 64])> =
                good.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
            items.insert(at, (&c.key, &c.msg, &c.sig));
            assert_eq!(
                batch(&items).is_ok(),
                c.expect.is_ok(),
                "{}: in a batch of good signatures at {at}",
                c.name
            );
            items.push((&bad.0, &bad.1, &bad.2));
            assert!(
                batch(&items).is_err(),
                "{}: in a batch with a bad signature",
                c.name
            );
        }
    }
}

#[test]
fn batch_refuses_mismatched_lengths() {
    let kp = Keypair::from_seed(&[1; 32]);
    let sig = kp.sign(b"m");
    assert_eq!(
        verify_batch(&[kp.account()], &[], &[sig]),
        Err(SignatureError::BatchLengthMismatch)
    );
}

/// One signature of a kind chosen by the property test.
fn make(kind: u8, seed: u64) -> ([u8; 32], Vec<u8>, [u8; 64]) {
    let msg = seed.to_le_bytes().to_vec();
    let (a, r) = (scalar(seed), scalar(seed ^ 0xffff));
    let t = t8();
    let id = EdwardsPoint::default();
    let tors = |n: u64| t * Scalar::from(n % 8);
    match kind % 9 {
        0 | 1 => {
            let kp = Keypair::from_seed(blake3::hash(&msg).as_bytes());
            let sig = kp.sign(&msg).0;
            (kp.account().0, msg, sig)
        }
        2 => {
            let (k, s) = sign_raw(a, id, r, tors(seed), &msg);
            (k, msg, s)
        }
        3 => {
            let (k, s) = sign_raw(a, tors(seed / 8), r, tors(seed), &msg);
            (k, msg, s)
        }
        4 => {
            let (k, s) = sign_raw(a, id, Scalar::ZERO, tors(seed), &msg);
            (k, msg, s)
        }
        5 => {
            // Signed for another message: fails the equation by a prime-order point.
            let (k, s) = sign_raw(a, tors(seed), r, tors(seed / 8), b"other");
            (k, msg, s)
        }
        6 => {
            // A key of small order with a signature that satisfies its equation.
            let key = tors(seed).compress().to_bytes();
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(&tors(seed / 8).compress().to_bytes());
            (key, msg, s)
        }
        7 => {
            // Only a torsion point off: cofactorless fails, cofactored holds.
            let (k, mut s) = sign_raw(a, id, r, id, &msg);
            let r_point = CompressedEdwardsY(s[..32].try_into().expect("32"))
                .decompress()
                .expect("decodes");
            s[..32].copy_from_slice(&(r_point + tors(seed | 1)).compress().to_bytes());
            (k, msg, s)
        }
        _ => {
            let bytes = blake3::hash(&msg);
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(bytes.as_bytes());
            s[32..].copy_from_slice(blake3::hash(bytes.as_bytes()).as_bytes());
            (Keypair::from_seed(&[9; 32]).account().0, msg, s)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn batch_and_single_never_disagree(
        items in proptest::collection::vec((0u8..9, any::<u64>()), 1..10)
    ) {
        let sigs: Vec<_> = items.iter().map(|&(k, s)| make(k, s)).collect();
        let singles: Vec<_> = sigs
            .iter()
            .map(|(k, m, s)| AccountId(*k).verify(m, &Signature(*s)))
            .collect();
        for ((k, m, s), single) in sigs.iter().zip(&singles) {
            prop_assert_eq!(reference(k, m, s), *single);
        }
        let refs: Vec<(&[u8; 32], &[u8], &[u8; 64])> =
            sigs.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
        prop_assert_eq!(batch(&refs).is_ok(), singles.iter().all(Result::is_ok));
    }
}
