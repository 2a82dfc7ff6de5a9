//! Keys from BIP-39 mnemonics, and signed messages.
//!
//! A mnemonic (12, 15, 18, 21 or 24 English words with their checksum) becomes a 64-byte seed
//! by BIP-39 (PBKDF2-HMAC-SHA512, 2048 rounds, salt `"mnemonic" + passphrase`, both NFKD). The
//! ed25519 key is derived from that seed by SLIP-0010 along the hardened path
//! [`DERIVATION_PATH`]: `m/44'/5957'/0'/0'/0'` (44 = BIP-44 purpose; 5957 is the coin type Synod
//! uses, not a SLIP-44 registration; the account index is the third level). That is the scheme
//! Solana and Stellar wallets use for their own coin types, so any SLIP-0010 implementation
//! reproduces a Synod key from its words. The CLI (`synod key new`, `synod key regen`) and the
//! Python SDK (`synod.keys.Keypair.from_mnemonic`) derive exactly this way; golden vectors in
//! `tests/golden/mnemonic.txt` keep them equal.
//!
//! A signed message (`synod key sign`) is a signature over [`message_signing_hash`]: the
//! message is hashed under its own tag first, so signing a message can never produce a valid
//! signature over a transaction, a request, or anything else Synod signs.

use crate::keys::Keypair;
use crate::{AccountId, Hash, Signature};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use zeroize::Zeroize;

/// SLIP-0010 path of a Synod key, hardened at every level: `m/44'/5957'/account'/0'/0'`.
pub const DERIVATION_PATH: [u32; 5] = [44, COIN_TYPE, 0, 0, 0];

/// The coin type in [`DERIVATION_PATH`].
pub const COIN_TYPE: u32 = 5957;

/// Tag of [`message_signing_hash`].
pub const MESSAGE_TAG: &str = "synod/message/v1";

const HARDENED: u32 = 0x8000_0000;

/// Why a mnemonic was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MnemonicError {
    /// Not 12, 15, 18, 21 or 24 words.
    #[error("a mnemonic has 12, 15, 18, 21 or 24 words; this one has {0}")]
    WordCount(usize),
    /// A word that is not in the BIP-39 English list.
    #[error("word {position} ('{word}') is not in the BIP-39 English word list")]
    UnknownWord {
        /// 1-based position.
        position: usize,
        /// The word.
        word: String,
    },
    /// The words are valid but their checksum is not: a word is wrong or out of order.
    #[error("the mnemonic's checksum does not match: a word is mistyped or out of order")]
    Checksum,
    /// Randomness unavailable.
    #[error("operating system randomness unavailable: {0}")]
    Random(String),
}

/// A checked BIP-39 mnemonic.
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A fresh mnemonic of `words` words (12, 15, 18, 21 or 24) from the operating system's
    /// CSPRNG.
    pub fn generate(words: usize) -> Result<Self, MnemonicError> {
        if !matches!(words, 12 | 15 | 18 | 21 | 24) {
            return Err(MnemonicError::WordCount(words));
        }
        let mut entropy = [0u8; 32];
        let len = words / 3 * 4;
        getrandom::fill(&mut entropy[..len]).map_err(|e| MnemonicError::Random(e.to_string()))?;
        let m = bip39::Mnemonic::from_entropy(&entropy[..len])
            .map_err(|_| MnemonicError::WordCount(words));
        entropy.zeroize();
        Ok(Mnemonic(m?))
    }

    /// Parses words separated by any whitespace (case-insensitive), checking each word and
    /// the checksum.
    pub fn parse(phrase: &str) -> Result<Self, MnemonicError> {
        let lower = phrase.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        if !matches!(words.len(), 12 | 15 | 18 | 21 | 24) {
            return Err(MnemonicError::WordCount(words.len()));
        }
        let list = bip39::Language::English.word_list();
        if let Some((i, w)) = words
            .iter()
            .enumerate()
            .find(|(_, w)| list.binary_search(w).is_err())
        {
            return Err(MnemonicError::UnknownWord {
                position: i + 1,
                word: (*w).to_string(),
            });
        }
        bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words.join(" "))
            .map(Mnemonic)
            .map_err(|e| match e {
                bip39::Error::BadWordCount(n) => MnemonicError::WordCount(n),
                _ => MnemonicError::Checksum,
            })
    }

    /// The words, separated by single spaces.
    pub fn phrase(&self) -> String {
        self.0.to_string()
    }

    /// The BIP-39 seed under `passphrase` (empty for none).
    pub fn seed(&self, passphrase: &str) -> [u8; 64] {
        self.0.to_seed(passphrase)
    }

    /// The Synod key of account index `account` (0 for the first) under `passphrase`.
    pub fn keypair(&self, passphrase: &str, account: u32) -> Keypair {
        let mut seed = self.seed(passphrase);
        let mut path = DERIVATION_PATH;
        path[2] = account;
        let mut secret = slip10_ed25519(&seed, &path);
        seed.zeroize();
        let key = Keypair::from_seed(&secret);
        secret.zeroize();
        key
    }
}

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// SLIP-0010 private key derivation for ed25519 (every index hardened, as the curve requires):
/// the 32-byte secret at `path` below the master key of `seed`.
pub fn slip10_ed25519(seed: &[u8], path: &[u32]) -> [u8; 32] {
    let mut i = hmac_sha512(b"ed25519 seed", &[seed]);
    for &index in path {
        let (key, chain) = i.split_at(32);
        let next = hmac_sha512(chain, &[&[0u8], key, &(index | HARDENED).to_be_bytes()]);
        i.zeroize();
        i = next;
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&i[..32]);
    i.zeroize();
    out
}

/// What `synod key sign` signs for `message`: its BLAKE3 under [`MESSAGE_TAG`].
pub fn message_signing_hash(message: &[u8]) -> Hash {
    Hash::tagged(MESSAGE_TAG, message)
}

/// Signs a message (see [`message_signing_hash`]).
pub fn sign_message(key: &Keypair, message: &[u8]) -> Signature {
    key.sign(&message_signing_hash(message).0)
}

/// Checks a message signature by `account`.
pub fn verify_message(
    account: &AccountId,
    message: &[u8],
    signature: &Signature,
) -> Result<(), crate::account::SignatureError> {
    account.verify(&message_signing_hash(message).0, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).expect("hex").try_into().expect("32 bytes")
    }

    /// SLIP-0010 test vector 1 for ed25519 (seed 000102…0f), from the specification.
    #[test]
    fn slip10_matches_the_specifications_vectors() {
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").expect("hex");
        let cases: [(&[u32], &str); 3] = [
            (
                &[],
                "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
            ),
            (
                &[0],
                "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
            ),
            (
                &[0, 1, 2, 2, 1_000_000_000],
                "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793",
            ),
        ];
        for (path, want) in cases {
            assert_eq!(slip10_ed25519(&seed, path), hex32(want), "path {path:?}");
        }
    }

    /// BIP-39's reference vector (Trezor's list): all-zero entropy, passphrase "TREZOR".
    #[test]
    fn bip39_seed_matches_the_reference_vector() {
        let m = Mnemonic::parse(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about",
        )
        .expect("valid");
        assert_eq!(
            hex::encode(m.seed("TREZOR")),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        );
    }

    #[test]
    fn bad_mnemonics_are_refused_with_the_reason() {
        assert_eq!(
            Mnemonic::parse("abandon abandon").err(),
            Some(MnemonicError::WordCount(2))
        );
        assert!(matches!(
            Mnemonic::parse(
                "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                 abandon abandonn about"
            ),
            Err(MnemonicError::UnknownWord { position: 11, .. })
        ));
        assert_eq!(
            Mnemonic::parse(
                "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                 abandon abandon abandon"
            )
            .err(),
            Some(MnemonicError::Checksum)
        );
    }

    #[test]
    fn a_generated_mnemonic_parses_back_to_the_same_key() {
        for words in [12, 24] {
            let m = Mnemonic::generate(words).expect("random");
            assert_eq!(m.phrase().split(' ').count(), words);
            let back = Mnemonic::parse(&m.phrase().to_uppercase()).expect("parses");
            assert_eq!(back.keypair("", 0).account(), m.keypair("", 0).account());
            assert_ne!(m.keypair("", 0).account(), m.keypair("", 1).account());
            assert_ne!(m.keypair("", 0).account(), m.keypair("x", 0).account());
        }
        assert_eq!(
            Mnemonic::generate(13).err(),
            Some(MnemonicError::WordCount(13))
        );
    }

    #[test]
    fn message_signatures_verify_only_for_their_message_and_signer() {
        let k = Keypair::dev("alice");
        let sig = sign_message(&k, b"hello");
        verify_message(&k.account(), b"hello", &sig).expect("valid");
        assert!(verify_message(&k.account(), b"hello!", &sig).is_err());
        assert!(verify_message(&Keypair::dev("bob").account(), b"hello", &sig).is_err());
        // Not a signature over the raw bytes.
        assert!(k.account().verify(b"hello", &sig).is_err());
    }
}
