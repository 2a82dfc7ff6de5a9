//! The on-disk keystore: one JSON file per key under the keystore directory, mode 0600.
//!
//! Coldkeys hold funds, so their seed is encrypted: Argon2id derives a key from the passphrase
//! and a random salt, XChaCha20-Poly1305 seals the seed (the account id is authenticated as
//! associated data, so a file cannot be edited to pair a seed with another address). Hotkeys
//! are operational keys a validator or miner process must use unattended; like btcli, they are
//! stored unencrypted but still readable by the owner only.

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use synod_primitives::{AccountId, Keypair};
use zeroize::Zeroize;

/// What a key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Holds funds; encrypted at rest.
    Cold,
    /// Operational key bound to a coldkey; stored in the clear (0600).
    Hot,
}

/// A key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyFile {
    /// Name in the keystore.
    pub name: String,
    /// Kind.
    pub kind: KeyKind,
    /// Public account id.
    pub account: AccountId,
    /// Hex seed (hotkeys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// Encrypted seed (coldkeys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<EncryptedSeed>,
}

/// An encrypted seed and its KDF/cipher parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EncryptedSeed {
    /// Always `argon2id`.
    pub kdf: String,
    /// Hex salt.
    pub salt: String,
    /// Always `xchacha20poly1305`.
    pub cipher: String,
    /// Hex nonce.
    pub nonce: String,
    /// Hex ciphertext (seed + tag).
    pub ciphertext: String,
}

/// Keystore failures.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// No such key.
    #[error("no key named '{0}' in the keystore (see `synod key list`)")]
    NotFound(String),
    /// Name already used.
    #[error("a key named '{0}' already exists")]
    Exists(String),
    /// Name has characters that are not allowed in file names.
    #[error("invalid key name '{0}': use letters, digits, '-', '_' and '.' only")]
    BadName(String),
    /// Wrong passphrase or tampered file.
    #[error("wrong passphrase, or the key file was modified")]
    Decrypt,
    /// File unreadable or malformed.
    #[error("key file {path}: {reason}")]
    File {
        /// Path.
        path: PathBuf,
        /// Reason.
        reason: String,
    },
    /// Randomness unavailable.
    #[error("no randomness: {0}")]
    Random(String),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> KeystoreError {
    KeystoreError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn derive_key(passphrase: &str, salt: &[u8]) -> Result<[u8; 32], KeystoreError> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|_| KeystoreError::Decrypt)?;
    Ok(key)
}

fn random<const N: usize>() -> Result<[u8; N], KeystoreError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| KeystoreError::Random(e.to_string()))?;
    Ok(b)
}

/// Encrypts `seed` for `account` under `passphrase`.
pub fn encrypt_seed(
    seed: &[u8; 32],
    account: &AccountId,
    passphrase: &str,
) -> Result<EncryptedSeed, KeystoreError> {
    let salt = random::<16>()?;
    let nonce = random::<24>()?;
    let mut key = derive_key(passphrase, &salt)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| KeystoreError::Decrypt)?;
    key.zeroize();
    let nonce_arr = XNonce::try_from(&nonce[..]).map_err(|_| KeystoreError::Decrypt)?;
    let ciphertext = cipher
        .encrypt(
            &nonce_arr,
            Payload {
                msg: seed,
                aad: account.as_bytes(),
            },
        )
        .map_err(|_| KeystoreError::Decrypt)?;
    Ok(EncryptedSeed {
        kdf: "argon2id".into(),
        salt: hex::encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Decrypts a seed; fails on a wrong passphrase or any modification.
pub fn decrypt_seed(
    enc: &EncryptedSeed,
    account: &AccountId,
    passphrase: &str,
) -> Result<[u8; 32], KeystoreError> {
    let bad = |_| KeystoreError::Decrypt;
    let salt = hex::decode(&enc.salt).map_err(bad)?;
    let nonce = hex::decode(&enc.nonce).map_err(bad)?;
    let ct = hex::decode(&enc.ciphertext).map_err(bad)?;
    let mut key = derive_key(passphrase, &salt)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| KeystoreError::Decrypt)?;
    key.zeroize();
    let nonce = XNonce::try_from(&nonce[..]).map_err(|_| KeystoreError::Decrypt)?;
    let mut plain = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &ct,
                aad: account.as_bytes(),
            },
        )
        .map_err(|_| KeystoreError::Decrypt)?;
    let seed: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| KeystoreError::Decrypt)?;
    plain.zeroize();
    Ok(seed)
}

/// A directory of key files.
pub struct Keystore {
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Keystore {
    /// The keystore at `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Keystore { dir }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        if !valid_name(name) {
            return Err(KeystoreError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Stores `key` under `name`; coldkeys are encrypted with `passphrase`.
    pub fn save(
        &self,
        name: &str,
        kind: KeyKind,
        key: &Keypair,
        passphrase: Option<&str>,
    ) -> Result<KeyFile, KeystoreError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeystoreError::Exists(name.to_string()));
        }
        let mut seed = key.seed();
        let file = KeyFile {
            name: name.to_string(),
            kind,
            account: key.account(),
            seed: (kind == KeyKind::Hot).then(|| hex::encode(seed)),
            encrypted: match kind {
                KeyKind::Cold => Some(encrypt_seed(
                    &seed,
                    &key.account(),
                    passphrase.unwrap_or(""),
                )?),
                KeyKind::Hot => None,
            },
        };
        seed.zeroize();
        std::fs::create_dir_all(&self.dir).map_err(|e| file_err(&self.dir, e))?;
        set_private_dir(&self.dir);
        let json = serde_json::to_vec_pretty(&file).map_err(|e| file_err(&path, e))?;
        write_private(&path, &json).map_err(|e| file_err(&path, e))?;
        Ok(file)
    }

    /// Reads a key file (no decryption).
    pub fn load(&self, name: &str) -> Result<KeyFile, KeystoreError> {
        let path = self.path(name)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::NotFound(name.to_string()));
            }
            Err(e) => return Err(file_err(&path, e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| file_err(&path, e))
    }

    /// Loads and unlocks a key.
    pub fn unlock(
        &self,
        name: &str,
        passphrase: impl FnOnce() -> String,
    ) -> Result<Keypair, KeystoreError> {
        let file = self.load(name)?;
        let seed = match (&file.seed, &file.encrypted) {
            (Some(hex_seed), _) => {
                let b = hex::decode(hex_seed).map_err(|e| file_err(&self.dir, e))?;
                <[u8; 32]>::try_from(b.as_slice())
                    .map_err(|_| file_err(&self.dir, "seed is not 32 bytes"))?
            }
            (None, Some(enc)) => decrypt_seed(enc, &file.account, &passphrase())?,
            (None, None) => return Err(file_err(&self.dir, "no seed in key file")),
        };
        let key = Keypair::from_seed(&seed);
        if key.account() != file.account {
            return Err(file_err(
                &self.dir,
                "seed does not match the stored account",
            ));
        }
        Ok(key)
    }

    /// All key files, sorted by name.
    pub fn list(&self) -> Result<Vec<KeyFile>, KeystoreError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(file_err(&self.dir, e)),
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "json")
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            {
                out.push(self.load(stem)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(unix)]
fn set_private_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn set_private_dir(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coldkey_round_trip_wrong_passphrase_and_tamper() {
        let dir = tempfile::tempdir().expect("tmp");
        let ks = Keystore::new(dir.path().to_path_buf());
        let kp = Keypair::dev("someone");
        ks.save("main", KeyKind::Cold, &kp, Some("hunter2"))
            .expect("save");
        assert!(matches!(
            ks.save("main", KeyKind::Cold, &kp, Some("x")),
            Err(KeystoreError::Exists(_))
        ));
        let raw = std::fs::read_to_string(dir.path().join("main.json")).expect("read");
        assert!(
            !raw.contains(&hex::encode(kp.seed())),
            "seed never in the clear"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("main.json"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = ks.unlock("main", || "hunter2".into()).expect("unlock");
        assert_eq!(back.account(), kp.account());
        assert!(matches!(
            ks.unlock("main", || "wrong".into()),
            Err(KeystoreError::Decrypt)
        ));
        // Pair the ciphertext with another account: authentication fails.
        let mut file: KeyFile = serde_json::from_str(&raw).expect("json");
        file.account = Keypair::dev("other").account();
        std::fs::write(
            dir.path().join("main.json"),
            serde_json::to_vec(&file).expect("ser"),
        )
        .expect("write");
        assert!(matches!(
            ks.unlock("main", || "hunter2".into()),
            Err(KeystoreError::Decrypt)
        ));
        assert!(matches!(
            ks.load("../etc/passwd"),
            Err(KeystoreError::BadName(_))
        ));
        assert!(matches!(ks.load("nope"), Err(KeystoreError::NotFound(_))));
    }
}
