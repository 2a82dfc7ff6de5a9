//! Data keys: an account's X25519 keypair for receiving file keys, and the signed registration
//! that binds its public half to the account on one chain.

use borsh::{BorshDeserialize, BorshSerialize};
use hpke::{Deserializable, Kem as _, Serializable};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use synod_primitives::account::SignatureError;
use synod_primitives::hash::{ParseHexError, parse_hex_array};
use synod_primitives::tx::MAX_CHAIN_ID_LEN;
use synod_primitives::{AccountId, Hash, Keypair, Signature};
use zeroize::Zeroizing;

/// The HPKE KEM of data keys: DHKEM(X25519, HKDF-SHA256), RFC 9180 KEM id 0x0020.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;

/// Domain tag of [`DataKeyRegistration::signing_hash`].
pub const REGISTRATION_TAG: &str = "synod/data/key-registration/v1";
/// Domain tag of [`DataKeypair::from_account_seed`].
pub const FROM_SEED_TAG: &str = "synod/data/key-from-seed/v1";
/// Domain tag of a rotated data key's seed ([`DataKeypair::from_account_seed_at`]).
pub const ROTATION_TAG: &str = "synod/data/key-rotation/v1";
/// Fewest bytes of input keying material [`DataKeypair::derive`] accepts: a data key needs 256
/// bits of entropy, so shorter inputs cannot carry enough (RFC 9180 §7.1.3 asks for `Nsk`).
pub const MIN_IKM_LEN: usize = 32;

/// Why a data key or its registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Too little input keying material for [`DataKeypair::derive`].
    #[error("data key material is {len} bytes; at least {MIN_IKM_LEN} are needed")]
    ShortIkm {
        /// Bytes given.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    /// The public key is not the canonical encoding of an X25519 u-coordinate (bit 255 set, or
    /// a value of 2^255 - 19 or more): another byte string names the same key.
    #[error("data public key {0} is not canonically encoded")]
    NonCanonicalKey(DataPublicKey),
    /// The public key is a point of small order: every shared secret with it is all zero, so
    /// nothing sealed to it would be secret.
    #[error("data public key {0} is a point of small order (no secret can be agreed with it)")]
    WeakKey(DataPublicKey),
    /// The chain id is longer than any chain's.
    #[error("chain id is {len} bytes, over the {max}-byte limit")]
    ChainIdTooLong {
        /// Its length.
        len: usize,
        /// The limit (`synod_primitives::tx::MAX_CHAIN_ID_LEN`).
        max: usize,
    },
    /// The registration's signature is not the account's over this chain, key and sequence.
    #[error("data key registration is not signed by account {account}: {source}")]
    BadSignature {
        /// The account that should have signed.
        account: AccountId,
        /// What the signature rule said.
        source: SignatureError,
    },
}

/// An X25519 public key that file keys are sealed to, shown as `0x`-prefixed hex.
///
/// Encoding (borsh): the 32 raw bytes (RFC 7748 little-endian u-coordinate).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct DataPublicKey(pub [u8; 32]);

/// 2^255 - 19, little endian: the field modulus of Curve25519.
const FIELD_P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

impl DataPublicKey {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether this key is usable as a recipient: canonically encoded (so one key has one
    /// byte string on chain) and not of small order (so a shared secret with it is secret).
    /// Keys made by [`DataKeypair`] always pass; the chain runs this on registration.
    pub fn check(&self) -> Result<(), KeyError> {
        if !is_canonical(&self.0) {
            return Err(KeyError::NonCanonicalKey(*self));
        }
        if is_low_order(&self.0) {
            return Err(KeyError::WeakKey(*self));
        }
        Ok(())
    }
}

/// Whether `u` is below 2^255 - 19 (which also rules out bit 255 being set). Compared from the
/// most significant byte; the key is public, so this need not be constant time.
fn is_canonical(u: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if u[i] != FIELD_P[i] {
            return u[i] < FIELD_P[i];
        }
    }
    false
}

/// Whether `u` is a point of small order on the curve or its twist. A clamped scalar is a
/// multiple of the cofactor 8 and smaller than 8ℓ, so multiplying by it gives the all-zero
/// output exactly for the points in the small subgroups (the check RFC 7748 §6.1 and RFC 9180
/// §7.1.4 ask of a DH result).
pub(crate) fn is_low_order(u: &[u8; 32]) -> bool {
    x25519_dalek::x25519([0x5a; 32], *u) == [0u8; 32]
}

impl fmt::Display for DataPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for DataPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataPublicKey({self})")
    }
}

impl FromStr for DataPublicKey {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex_array::<32>(s).map(DataPublicKey)
    }
}

impl Serialize for DataPublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for DataPublicKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DataPublicKey".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-fA-F]{64}$",
            "description": "An X25519 data public key (file keys are sealed to it), 0x-prefixed hex."
        })
    }
}

/// The secret half of a data key: the 32-byte X25519 private key, clamped as RFC 9180's
/// `SerializePrivateKey` requires. Zeroized on drop; never shown by `Debug`.
#[derive(Clone)]
pub struct DataSecretKey(Zeroizing<[u8; 32]>);

impl DataSecretKey {
    /// A secret key from its 32 bytes (for example read back from the keystore). Any 32 bytes
    /// are a key: they are clamped, as RFC 9180's `DeserializePrivateKey` does.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let mut clamped = Zeroizing::new(*bytes);
        clamped[0] &= 0xf8;
        clamped[31] &= 0x7f;
        clamped[31] |= 0x40;
        DataSecretKey(clamped)
    }

    /// The 32 secret bytes; callers must store them encrypted (as the keystore does coldkeys).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    /// Its public key.
    pub fn public_key(&self) -> DataPublicKey {
        DataPublicKey(x25519_dalek::x25519(
            *self.0,
            x25519_dalek::X25519_BASEPOINT_BYTES,
        ))
    }

    /// As the HPKE crate's private key type.
    pub(crate) fn to_hpke(&self) -> <Kem as hpke::Kem>::PrivateKey {
        // X25519 private keys deserialize from any 32 bytes (they are clamped), so the only
        // failure, a wrong length, cannot happen with a `[u8; 32]`.
        match <Kem as hpke::Kem>::PrivateKey::from_bytes(&self.0[..]) {
            Ok(sk) => sk,
            Err(e) => unreachable!("X25519 private keys accept any 32 bytes: {e:?}"),
        }
    }
}

impl fmt::Debug for DataSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataSecretKey({})", self.public_key())
    }
}

/// A data keypair: the X25519 key an account receives file keys on.
#[derive(Clone, Debug)]
pub struct DataKeypair {
    secret: DataSecretKey,
    public: DataPublicKey,
}

impl DataKeypair {
    /// A fresh keypair: RFC 9180 `DeriveKeyPair` of 32 bytes from the operating system's CSPRNG
    /// (the same construction as [`DataKeypair::derive`]).
    pub fn generate() -> Result<Self, KeyError> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut ikm[..]).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Self::derive(&ikm[..])
    }

    /// The keypair RFC 9180 §7.1.3 `DeriveKeyPair(ikm)` gives for DHKEM(X25519, HKDF-SHA256):
    /// `sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32)`, suite id
    /// `"KEM" ‖ 0x0020`. Deterministic, so a client can recover its data key from a secret it
    /// keeps (and other languages reproduce it from the RFC). `ikm` must carry 256 bits of
    /// entropy; shorter inputs are refused.
    pub fn derive(ikm: &[u8]) -> Result<Self, KeyError> {
        if ikm.len() < MIN_IKM_LEN {
            return Err(KeyError::ShortIkm { len: ikm.len() });
        }
        let (sk, _) = Kem::derive_keypair(ikm);
        let bytes = Zeroizing::new(<[u8; 32]>::from(sk.to_bytes()));
        Ok(Self::from_secret(DataSecretKey::from_bytes(&bytes)))
    }

    /// The data key of an account whose ed25519 secret seed is `seed`:
    /// [`derive`](Self::derive) of `tagged("synod/data/key-from-seed/v1", seed)`. So a data key
    /// is recovered with the account's mnemonic, and the two keys stay independent (the tag
    /// separates the derivations; the data key reveals nothing about the signing key).
    pub fn from_account_seed(seed: &[u8; 32]) -> Self {
        let ikm = Zeroizing::new(Hash::tagged(FROM_SEED_TAG, seed).0);
        match Self::derive(&ikm[..]) {
            Ok(kp) => kp,
            Err(e) => unreachable!("a 32-byte hash is long enough key material: {e}"),
        }
    }

    /// The data key with rotation `sequence` of an account whose secret seed is `seed`: for 0,
    /// [`from_account_seed`](Self::from_account_seed); for a rotation `n > 0`,
    /// `from_account_seed(tagged("synod/data/key-rotation/v1", seed ‖ u64_le(n)))`. Every
    /// key an account ever registered is recovered from its mnemonic, so files sealed to an
    /// older key still open after a rotation.
    pub fn from_account_seed_at(seed: &[u8; 32], sequence: u64) -> Self {
        if sequence == 0 {
            return Self::from_account_seed(seed);
        }
        let mut input = Zeroizing::new([0u8; 40]);
        input[..32].copy_from_slice(seed);
        input[32..].copy_from_slice(&sequence.to_le_bytes());
        let rotated = Zeroizing::new(Hash::tagged(ROTATION_TAG, &input[..]).0);
        Self::from_account_seed(&rotated)
    }

    /// The keypair of a known secret key (for example read back from the keystore).
    pub fn from_secret(secret: DataSecretKey) -> Self {
        let public = secret.public_key();
        DataKeypair { secret, public }
    }

    /// The public key to register and to seal file keys to.
    pub fn public(&self) -> DataPublicKey {
        self.public
    }

    /// The secret key.
    pub fn secret(&self) -> &DataSecretKey {
        &self.secret
    }
}

/// An account's signed statement "my data key on chain `chain_id` is `data_key`": what the
/// chain stores when an account registers (or rotates) its data key, and checks with
/// [`verify`](Self::verify).
///
/// `sequence` counts the account's registrations (0 for the first key, then one more per
/// rotation); the chain accepts only the next one, so a registration of an old key, signed
/// earlier and public ever since, cannot be replayed to roll the account back to it.
///
/// Encoding (borsh): `account` 32 bytes, `data_key` 32 bytes, `sequence` u64 LE, `signature`
/// 64 bytes.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct DataKeyRegistration {
    /// The account whose data key this is; it signs.
    pub account: AccountId,
    /// The X25519 public key.
    pub data_key: DataPublicKey,
    /// 0 for the account's first data key, one more for each rotation.
    pub sequence: u64,
    /// The account's ed25519 signature over [`signing_hash`](Self::signing_hash).
    pub signature: Signature,
}

impl DataKeyRegistration {
    /// What the account signs: `tagged("synod/data/key-registration/v1", borsh(chain_id,
    /// account, data_key, sequence))`, the chain id as a borsh string. Binding the chain id
    /// keeps a testnet registration from being replayed on another chain.
    pub fn signing_hash(
        chain_id: &str,
        account: &AccountId,
        data_key: &DataPublicKey,
        sequence: u64,
    ) -> Hash {
        let body = synod_primitives::encode(&(chain_id.to_string(), account, data_key, sequence));
        Hash::tagged(REGISTRATION_TAG, &body)
    }

    /// Signs a registration of `data_key` for the account of `signer`.
    pub fn sign(
        signer: &Keypair,
        chain_id: &str,
        data_key: DataPublicKey,
        sequence: u64,
    ) -> Result<Self, KeyError> {
        check_chain_id(chain_id)?;
        data_key.check()?;
        let account = signer.account();
        let hash = Self::signing_hash(chain_id, &account, &data_key, sequence);
        Ok(DataKeyRegistration {
            account,
            data_key,
            sequence,
            signature: signer.sign(&hash.0),
        })
    }

    /// Checks what the chain must check before storing it: the chain id's length, a usable
    /// data key ([`DataPublicKey::check`]) and the account's signature over this chain, key
    /// and sequence (through `AccountId::verify`, the chain's signature rule). Whether
    /// `sequence` is the account's next one is the chain's to check against its state.
    pub fn verify(&self, chain_id: &str) -> Result<(), KeyError> {
        check_chain_id(chain_id)?;
        self.data_key.check()?;
        let hash = Self::signing_hash(chain_id, &self.account, &self.data_key, self.sequence);
        self.account
            .verify(&hash.0, &self.signature)
            .map_err(|source| KeyError::BadSignature {
                account: self.account,
                source,
            })
    }
}

fn check_chain_id(chain_id: &str) -> Result<(), KeyError> {
    if chain_id.len() > MAX_CHAIN_ID_LEN {
        return Err(KeyError::ChainIdTooLong {
            len: chain_id.len(),
            max: MAX_CHAIN_ID_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_keys_are_distinct_and_sequence_zero_is_the_account_key() {
        let seed = [7u8; 32];
        let k0 = DataKeypair::from_account_seed_at(&seed, 0);
        assert_eq!(k0.public(), DataKeypair::from_account_seed(&seed).public());
        let k1 = DataKeypair::from_account_seed_at(&seed, 1);
        let k2 = DataKeypair::from_account_seed_at(&seed, 2);
        assert_ne!(k0.public(), k1.public());
        assert_ne!(k1.public(), k2.public());
        assert_eq!(
            k2.public(),
            DataKeypair::from_account_seed_at(&seed, 2).public()
        );
    }

    #[test]
    fn derived_keys_are_deterministic_and_distinct() {
        let a = DataKeypair::derive(&[1; 32]).expect("32 bytes");
        let b = DataKeypair::derive(&[1; 32]).expect("32 bytes");
        let c = DataKeypair::derive(&[2; 32]).expect("32 bytes");
        assert_eq!(a.public(), b.public());
        assert_ne!(a.public(), c.public());
        assert_eq!(
            DataKeypair::derive(&[1; 31]).map(|k| k.public()),
            Err(KeyError::ShortIkm { len: 31 })
        );
        a.public().check().expect("derived keys are usable");
        let r = DataKeypair::generate().expect("os rng");
        assert_ne!(r.public(), a.public());
    }

    #[test]
    fn secret_round_trips_and_is_hidden() {
        let kp = DataKeypair::derive(&[7; 40]).expect("40 bytes");
        let back = DataKeypair::from_secret(DataSecretKey::from_bytes(&kp.secret().to_bytes()));
        assert_eq!(back.public(), kp.public());
        let dbg = format!("{kp:?}");
        assert!(!dbg.contains(&hex::encode(*kp.secret().to_bytes())));
        assert!(dbg.contains(&hex::encode(kp.public().0)));
    }

    #[test]
    fn public_key_check_refuses_small_order_and_non_canonical() {
        // The small-order u-coordinates listed by Bernstein (and in libsodium's blocklist).
        let small = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        for h in small {
            let k: DataPublicKey = h.parse().expect("hex");
            assert_eq!(k.check(), Err(KeyError::WeakKey(k)), "{h}");
        }
        for h in [
            // p itself (≡ 0), p + 1 (≡ 1), and a key with bit 255 set.
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0900000000000000000000000000000000000000000000000000000000000080",
        ] {
            let k: DataPublicKey = h.parse().expect("hex");
            assert_eq!(k.check(), Err(KeyError::NonCanonicalKey(k)), "{h}");
        }
        let base = DataPublicKey(x25519_dalek::X25519_BASEPOINT_BYTES);
        assert_eq!(base.check(), Ok(()));
    }

    #[test]
    fn registration_binds_account_chain_key_and_sequence() {
        let alice = Keypair::dev("alice");
        let key = DataKeypair::derive(&[3; 32]).expect("ikm").public();
        let reg = DataKeyRegistration::sign(&alice, "synod-dev", key, 0).expect("sign");
        assert_eq!(reg.verify("synod-dev"), Ok(()));
        assert!(matches!(
            reg.verify("synod-test"),
            Err(KeyError::BadSignature { .. })
        ));
        let mut other = reg;
        other.data_key = DataKeypair::derive(&[4; 32]).expect("ikm").public();
        assert!(matches!(
            other.verify("synod-dev"),
            Err(KeyError::BadSignature { .. })
        ));
        let mut replay = reg;
        replay.sequence = 1;
        assert!(matches!(
            replay.verify("synod-dev"),
            Err(KeyError::BadSignature { .. })
        ));
        let mut stolen = reg;
        stolen.account = Keypair::dev("bob").account();
        assert!(matches!(
            stolen.verify("synod-dev"),
            Err(KeyError::BadSignature { .. })
        ));
        let long = "x".repeat(MAX_CHAIN_ID_LEN + 1);
        assert!(matches!(
            reg.verify(&long),
            Err(KeyError::ChainIdTooLong { .. })
        ));
        let weak = DataPublicKey([0; 32]);
        assert_eq!(
            DataKeyRegistration::sign(&alice, "synod-dev", weak, 0),
            Err(KeyError::WeakKey(weak))
        );
    }

    #[test]
    fn json_and_borsh_forms() {
        let alice = Keypair::dev("alice");
        let key = DataKeypair::from_account_seed(&alice.seed()).public();
        let reg = DataKeyRegistration::sign(&alice, "synod-dev", key, 2).expect("sign");
        let json = serde_json::to_string(&reg).expect("json");
        assert!(json.contains(&key.to_string()));
        let back: DataKeyRegistration = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, reg);
        let bytes = synod_primitives::encode(&reg);
        assert_eq!(bytes.len(), 32 + 32 + 8 + 64);
        let back: DataKeyRegistration =
            synod_primitives::decode_exact(&bytes, bytes.len()).expect("decode");
        assert_eq!(back, reg);
    }
}
