//! Key envelopes: a file key sealed to one recipient's data key with HPKE (RFC 9180).
//!
//! Base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, single shot: the
//! envelope carries the encapsulated key `enc` and the sealed 32-byte file key with its tag.
//! The info string names Synod and the version; the associated data is the file's id and the
//! content hash of its ciphertext, so an envelope opens only for the file it was made for. The
//! layout is in the crate documentation.

use crate::file::FileKey;
use crate::keys::{DataKeypair, DataPublicKey, Kem, KeyError};
use borsh::{BorshDeserialize, BorshSerialize};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, HpkeError, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;
use synod_primitives::{CodecError, Hash};
use zeroize::Zeroizing;

/// A registered file's id on chain.
pub type FileId = u64;

/// HPKE `info` of every envelope: names the protocol and its version, so a key sealed here can
/// never be confused with one sealed by another protocol or a later version of this one.
pub const ENVELOPE_INFO: &[u8] = b"synod/data/file-key-envelope/v1";
/// The envelope version this crate writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes of the sealed key: the 32-byte file key and ChaCha20-Poly1305's 16-byte tag.
pub const SEALED_KEY_LEN: usize = 48;
/// Bytes of an encoded envelope: version, recipient, `enc`, sealed key.
pub const ENVELOPE_LEN: usize = 1 + 32 + 32 + SEALED_KEY_LEN;

/// Why an envelope could not be made, decoded or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes are not an envelope's canonical encoding.
    #[error("malformed key envelope: {0}")]
    Malformed(CodecError),
    /// A version this build cannot open.
    #[error("key envelope version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(u8),
    /// The recipient's data key (or the envelope's `enc`) is not a usable X25519 key.
    #[error("unusable key in envelope: {0}")]
    Key(#[from] KeyError),
    /// The envelope was sealed to another data key than the one at hand (or than the
    /// grantee's registered key, when the chain checks a grant).
    #[error("key envelope is sealed to data key {sealed_to}, not to {key}")]
    WrongRecipient {
        /// The key it is sealed to.
        sealed_to: DataPublicKey,
        /// The key it was tried with.
        key: DataPublicKey,
    },
    /// Right recipient, but the envelope does not authenticate.
    #[error(
        "key envelope does not open for file {file_id} with content hash {content_hash}: it was \
         sealed for another file id or content hash, or altered"
    )]
    OpenFailed {
        /// The file id it was opened for.
        file_id: FileId,
        /// The content hash it was opened for.
        content_hash: Hash,
    },
    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
}

/// A file key sealed to one recipient. Opening it needs the recipient's data secret key and
/// the file's id and content hash. The chain stores these, one per (file, account); it never
/// sees a key in the clear.
///
/// Encoding (borsh, [`ENVELOPE_LEN`] bytes, one encoding per envelope): `version` u8,
/// `recipient` 32 bytes, `enc` 32 bytes, `sealed_key` 48 bytes. JSON: the encoding as
/// `0x`-prefixed hex.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct KeyEnvelope {
    /// [`ENVELOPE_VERSION`].
    pub version: u8,
    /// The data public key it is sealed to (public: the chain checks it against the grantee's
    /// registered key).
    pub recipient: DataPublicKey,
    /// HPKE's encapsulated key: the sender's ephemeral X25519 public key.
    pub enc: [u8; 32],
    /// The file key sealed with the HPKE context's ChaCha20-Poly1305 (sequence 0), tag last.
    pub sealed_key: [u8; SEALED_KEY_LEN],
}

/// The associated data of an envelope: `u64_le(file_id) ‖ content_hash` (the borsh encoding
/// of the pair).
pub fn envelope_aad(file_id: FileId, content_hash: &Hash) -> [u8; 40] {
    let mut aad = [0u8; 40];
    aad[..8].copy_from_slice(&file_id.to_le_bytes());
    aad[8..].copy_from_slice(content_hash.as_bytes());
    aad
}

impl KeyEnvelope {
    /// Seals `file_key` to `recipient` for the file `file_id` whose ciphertext hashes to
    /// `content_hash`, with a fresh ephemeral key from the operating system's CSPRNG.
    pub fn seal(
        file_key: &FileKey,
        recipient: &DataPublicKey,
        file_id: FileId,
        content_hash: &Hash,
    ) -> Result<Self, EnvelopeError> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut ikm[..]).map_err(|e| EnvelopeError::Randomness(e.to_string()))?;
        Self::seal_deterministic(file_key, recipient, file_id, content_hash, &ikm)
    }

    /// [`seal`](Self::seal) with the ephemeral key given: it is RFC 9180 `DeriveKeyPair` of
    /// `ephemeral_ikm`, exactly as the RFC's test vectors draw it (`ikmE`). For test vectors
    /// only: the same `ephemeral_ikm` for two envelopes to one recipient reuses the HPKE key
    /// and nonce.
    pub fn seal_deterministic(
        file_key: &FileKey,
        recipient: &DataPublicKey,
        file_id: FileId,
        content_hash: &Hash,
        ephemeral_ikm: &[u8; 32],
    ) -> Result<Self, EnvelopeError> {
        recipient.check()?;
        let aad = envelope_aad(file_id, content_hash);
        let (enc, sealed) = seal_base(
            recipient,
            ENVELOPE_INFO,
            &aad,
            file_key.as_bytes(),
            ephemeral_ikm,
        )?;
        let sealed_key = <[u8; SEALED_KEY_LEN]>::try_from(sealed.as_slice()).map_err(|_| {
            EnvelopeError::Malformed(CodecError::Malformed(format!(
                "sealed key is {} bytes, expected {SEALED_KEY_LEN}",
                sealed.len()
            )))
        })?;
        Ok(KeyEnvelope {
            version: ENVELOPE_VERSION,
            recipient: *recipient,
            enc,
            sealed_key,
        })
    }

    /// Opens the envelope with the recipient's data keypair, for the file `file_id` whose
    /// ciphertext hashes to `content_hash`. Another recipient gets
    /// [`EnvelopeError::WrongRecipient`]; another file id or hash, or any altered byte,
    /// [`EnvelopeError::OpenFailed`].
    pub fn open(
        &self,
        recipient: &DataKeypair,
        file_id: FileId,
        content_hash: &Hash,
    ) -> Result<FileKey, EnvelopeError> {
        if self.version != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(self.version));
        }
        if self.recipient != recipient.public() {
            return Err(EnvelopeError::WrongRecipient {
                sealed_to: self.recipient,
                key: recipient.public(),
            });
        }
        let aad = envelope_aad(file_id, content_hash);
        let failed = EnvelopeError::OpenFailed {
            file_id,
            content_hash: *content_hash,
        };
        let key = open_base(recipient, &self.enc, ENVELOPE_INFO, &aad, &self.sealed_key)
            .map_err(|_| failed.clone())?;
        let bytes = <[u8; 32]>::try_from(key.as_slice()).map_err(|_| failed)?;
        Ok(FileKey::from_bytes(bytes))
    }

    /// What the chain checks when an owner grants a file to an account whose registered data
    /// key is `grantee_key`: the version, that the envelope is sealed to that key, and that
    /// its `enc` is a usable X25519 key (one of small order could never open). Whether it
    /// opens only the grantee can tell.
    pub fn check(&self, grantee_key: &DataPublicKey) -> Result<(), EnvelopeError> {
        if self.version != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(self.version));
        }
        if self.recipient != *grantee_key {
            return Err(EnvelopeError::WrongRecipient {
                sealed_to: self.recipient,
                key: *grantee_key,
            });
        }
        DataPublicKey(self.enc).check()?;
        Ok(())
    }

    /// The canonical encoding ([`ENVELOPE_LEN`] bytes).
    pub fn encode(&self) -> Vec<u8> {
        synod_primitives::encode(self)
    }

    /// Decodes exactly one envelope, refusing other lengths and other versions.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        // The version is read first so that a later version, whatever its length, is named
        // as such rather than reported as malformed.
        if let Some(&v) = bytes.first()
            && v != ENVELOPE_VERSION
        {
            return Err(EnvelopeError::UnsupportedVersion(v));
        }
        synod_primitives::decode_exact(bytes, ENVELOPE_LEN).map_err(EnvelopeError::Malformed)
    }
}

impl fmt::Display for KeyEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.encode()))
    }
}

impl fmt::Debug for KeyEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyEnvelope({self})")
    }
}

impl FromStr for KeyEnvelope {
    type Err = EnvelopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s)
            .map_err(|e| EnvelopeError::Malformed(CodecError::Malformed(e.to_string())))?;
        Self::decode(&bytes)
    }
}

impl Serialize for KeyEnvelope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyEnvelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for KeyEnvelope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KeyEnvelope".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-fA-F]{226}$",
            "description": "A file key sealed to one data key (HPKE, RFC 9180): the 113-byte \
                            envelope encoding, 0x-prefixed hex."
        })
    }
}

/// An RNG that yields the 32 bytes it was given and then zeros, recording whether it was asked
/// for more. HPKE's base-mode encapsulation draws exactly `Nsk` = 32 bytes and passes them to
/// `DeriveKeyPair`, which is how the RFC's vectors produce `enc` from `ikmE`.
struct FixedIkm<'a> {
    ikm: &'a [u8; 32],
    used: usize,
    overdrawn: bool,
}

impl TryRng for FixedIkm<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst {
            match self.ikm.get(self.used) {
                Some(&b) => {
                    *d = b;
                    self.used += 1;
                }
                None => {
                    *d = 0;
                    self.overdrawn = true;
                }
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedIkm<'_> {}

/// HPKE SealBase (single shot) with the ephemeral key `DeriveKeyPair(ikm_e)`: returns `enc` and
/// the ciphertext.
pub(crate) fn seal_base(
    recipient: &DataPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8; 32],
) -> Result<([u8; 32], Vec<u8>), EnvelopeError> {
    let weak = || EnvelopeError::Key(KeyError::WeakKey(*recipient));
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient.as_bytes()).map_err(|_| weak())?;
    let mut rng = FixedIkm {
        ikm: ikm_e,
        used: 0,
        overdrawn: false,
    };
    let (enc, ct) = hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        &mut rng,
    )
    .map_err(|e| match e {
        // Encapsulation fails only when the DH result is all zero: a small-order key.
        HpkeError::EncapError => weak(),
        other => EnvelopeError::Malformed(CodecError::Malformed(format!("HPKE seal: {other}"))),
    })?;
    if rng.overdrawn || rng.used != ikm_e.len() {
        // The deterministic contract (enc = DeriveKeyPair(ikm_e)) would not hold; refuse
        // rather than emit an envelope no other implementation reproduces.
        let drawn = if rng.overdrawn {
            "more than 32".to_string()
        } else {
            rng.used.to_string()
        };
        return Err(EnvelopeError::Randomness(format!(
            "HPKE drew {drawn} ephemeral bytes, not the 32 its DeriveKeyPair takes"
        )));
    }
    Ok((enc.to_bytes().into(), ct))
}

/// HPKE OpenBase (single shot) with the recipient's keypair.
pub(crate) fn open_base(
    recipient: &DataKeypair,
    enc: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)?;
    let sk = recipient.secret().to_hpke();
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &sk,
        &encapped,
        info,
        ciphertext,
        aad,
    )
    .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DataSecretKey;
    use serde_json::Value;

    fn h(v: &Value, k: &str) -> Vec<u8> {
        hex::decode(v[k].as_str().unwrap_or_else(|| panic!("{k} missing"))).expect("hex")
    }

    fn arr32(v: &Value, k: &str) -> [u8; 32] {
        h(v, k).try_into().expect("32 bytes")
    }

    /// RFC 9180 Appendix A.2.1: our key derivation and our single-shot seal/open reproduce the
    /// published values; the HPKE context under them reproduces every published encryption
    /// and export.
    #[test]
    fn rfc9180_a2_1_base_mode_vector() {
        let v: Value = serde_json::from_str(include_str!("../tests/golden/rfc9180_a2_1.json"))
            .expect("vector file is JSON");
        assert_eq!(
            (&v["mode"], &v["kem_id"], &v["kdf_id"], &v["aead_id"]),
            (&0.into(), &32.into(), &1.into(), &3.into())
        );
        let info = h(&v, "info");
        // Recipient: DeriveKeyPair(ikmR). The RFC prints skRm unclamped; we keep it clamped
        // (RFC 9180 §7.1.2), so compare after clamping.
        let recipient = DataKeypair::derive(&h(&v, "ikmR")).expect("ikmR");
        assert_eq!(recipient.public().0, arr32(&v, "pkRm"));
        assert_eq!(
            *recipient.secret().to_bytes(),
            *DataSecretKey::from_bytes(&arr32(&v, "skRm")).to_bytes()
        );
        let eph = DataKeypair::derive(&h(&v, "ikmE")).expect("ikmE");
        assert_eq!(eph.public().0, arr32(&v, "pkEm"));

        let e0 = &v["encryptions"][0];
        assert_eq!(e0["sequence_number"], 0);
        let (enc, ct) = seal_base(
            &recipient.public(),
            &info,
            &h(e0, "aad"),
            &h(e0, "pt"),
            &arr32(&v, "ikmE"),
        )
        .expect("seal");
        assert_eq!(enc, arr32(&v, "enc"));
        assert_eq!(ct, h(e0, "ct"));
        let pt = open_base(&recipient, &enc, &info, &h(e0, "aad"), &ct).expect("open");
        assert_eq!(*pt, h(e0, "pt"));

        // The full context: every listed sequence number and export.
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&recipient.public().0).expect("pk");
        let ikm_e = arr32(&v, "ikmE");
        let mut rng = FixedIkm {
            ikm: &ikm_e,
            used: 0,
            overdrawn: false,
        };
        let (enc, mut ctx) = hpke::setup_sender_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            &info,
            &mut rng,
        )
        .expect("setup");
        assert_eq!(enc.to_bytes().as_slice(), &arr32(&v, "enc"));
        let encs = v["encryptions"].as_array().expect("list");
        let mut seq = 0u64;
        for e in encs {
            let want = e["sequence_number"].as_u64().expect("seq");
            while seq < want {
                ctx.seal(b"", b"").expect("advance");
                seq += 1;
            }
            assert_eq!(
                ctx.seal(&h(e, "pt"), &h(e, "aad")).expect("seal"),
                h(e, "ct")
            );
            seq += 1;
        }
        for x in v["exports"].as_array().expect("list") {
            let mut out = vec![0u8; x["L"].as_u64().expect("L") as usize];
            ctx.export(&h(x, "exporter_context"), &mut out)
                .expect("export");
            assert_eq!(out, h(x, "exported_value"));
        }
        assert_eq!((rng.used, rng.overdrawn), (32, false));
    }

    #[test]
    fn envelope_round_trip_and_refusals() {
        let alice = DataKeypair::derive(&[1; 32]).expect("ikm");
        let bob = DataKeypair::derive(&[2; 32]).expect("ikm");
        let key = FileKey::from_bytes([7; 32]);
        let hash = Hash::digest(b"ciphertext");
        let env = KeyEnvelope::seal(&key, &alice.public(), 42, &hash).expect("seal");
        assert_eq!(env.open(&alice, 42, &hash).expect("open"), key);
        assert_eq!(
            env.open(&bob, 42, &hash),
            Err(EnvelopeError::WrongRecipient {
                sealed_to: alice.public(),
                key: bob.public()
            })
        );
        assert!(matches!(
            env.open(&alice, 43, &hash),
            Err(EnvelopeError::OpenFailed { file_id: 43, .. })
        ));
        assert!(matches!(
            env.open(&alice, 42, &Hash::digest(b"other")),
            Err(EnvelopeError::OpenFailed { .. })
        ));
        // Bob pretending to be the recipient still cannot open it.
        let mut forged = env;
        forged.recipient = bob.public();
        assert!(matches!(
            forged.open(&bob, 42, &hash),
            Err(EnvelopeError::OpenFailed { .. })
        ));
        assert_eq!(env.check(&alice.public()), Ok(()));
        assert!(matches!(
            env.check(&bob.public()),
            Err(EnvelopeError::WrongRecipient { .. })
        ));
        let weak = DataPublicKey([0; 32]);
        assert_eq!(
            KeyEnvelope::seal(&key, &weak, 1, &hash),
            Err(EnvelopeError::Key(KeyError::WeakKey(weak)))
        );
        let mut bad_enc = env;
        bad_enc.enc = [0; 32];
        assert!(matches!(
            bad_enc.check(&alice.public()),
            Err(EnvelopeError::Key(KeyError::WeakKey(_)))
        ));
        assert!(matches!(
            bad_enc.open(&alice, 42, &hash),
            Err(EnvelopeError::OpenFailed { .. })
        ));
    }

    #[test]
    fn encoding_is_fixed_length_and_canonical() {
        let alice = DataKeypair::derive(&[1; 32]).expect("ikm");
        let env = KeyEnvelope::seal_deterministic(
            &FileKey::from_bytes([7; 32]),
            &alice.public(),
            1,
            &Hash::ZERO,
            &[9; 32],
        )
        .expect("seal");
        let bytes = env.encode();
        assert_eq!(bytes.len(), ENVELOPE_LEN);
        assert_eq!(KeyEnvelope::decode(&bytes), Ok(env));
        assert!(matches!(
            KeyEnvelope::decode(&bytes[..ENVELOPE_LEN - 1]),
            Err(EnvelopeError::Malformed(_))
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            KeyEnvelope::decode(&long),
            Err(EnvelopeError::Malformed(CodecError::TooLarge { .. }))
        ));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(
            KeyEnvelope::decode(&v2),
            Err(EnvelopeError::UnsupportedVersion(2))
        );
        assert!(matches!(
            KeyEnvelope::decode(&[]),
            Err(EnvelopeError::Malformed(_))
        ));
        let json = serde_json::to_string(&env).expect("json");
        assert_eq!(json, format!("\"0x{}\"", hex::encode(&bytes)));
        assert_eq!(
            serde_json::from_str::<KeyEnvelope>(&json).expect("parse"),
            env
        );
        // The same inputs seal to the same bytes; another ephemeral key to other bytes.
        let again = KeyEnvelope::seal_deterministic(
            &FileKey::from_bytes([7; 32]),
            &alice.public(),
            1,
            &Hash::ZERO,
            &[9; 32],
        )
        .expect("seal");
        assert_eq!(again, env);
        let other = KeyEnvelope::seal_deterministic(
            &FileKey::from_bytes([7; 32]),
            &alice.public(),
            1,
            &Hash::ZERO,
            &[10; 32],
        )
        .expect("seal");
        assert_ne!(other.enc, env.enc);
    }
}
