//! The on-disk keystore: one JSON file per key under the keystore directory.
//!
//! Permissions are part of the format: the directory is created 0700 and every file 0600, both
//! atomically (the mode is given at creation; a file is written under a temporary name and
//! linked into place, so no reader ever sees it half written or with wider bits). A key file
//! that group or others can access, or a directory they can write to (where they could swap
//! a file), is refused with the `chmod` that fixes it rather than used: the seed of a hotkey
//! is in the clear, and a replaced coldkey file would pair our passphrase with their key.
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
    /// A public key only (someone else's, or a coldkey kept offline): usable wherever an
    /// account is named, never to sign.
    Watch,
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
    /// A coldkey made with `--no-passphrase` (test keys): sealed under the empty passphrase and
    /// unlocked without asking. Recorded so that only keys created that way on purpose skip
    /// the prompt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_passphrase: bool,
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
    /// A coldkey without a passphrase that was not asked for explicitly.
    #[error(
        "a coldkey needs a non-empty passphrase (SYNOD_PASSWORD is empty or nothing was typed); \
         for a throwaway test key pass --no-passphrase"
    )]
    EmptyPassphrase,
    /// A watch-only key asked to sign.
    #[error("'{0}' is a watch-only key (a public key only): it cannot sign")]
    WatchOnly(String),
    /// A key file or the keystore directory is open to other users.
    #[error("{path}: {problem}; refusing to use it (fix: chmod {fix_mode:o} {path})")]
    Insecure {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// The mode that fixes it.
        fix_mode: u32,
    },
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

/// What `list` found: the keys it could read, and every other `*.json` file with the reason
/// it could not be used, so one damaged file does not hide the rest.
#[derive(Debug, Default)]
pub struct Listing {
    /// Readable keys, sorted by name.
    pub keys: Vec<KeyFile>,
    /// Unusable files (sorted by path) and why.
    pub unreadable: Vec<(PathBuf, KeystoreError)>,
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

    /// Stores `key` under `name`. A coldkey is encrypted with `passphrase`, which must not be
    /// empty; `None` makes an explicit no-passphrase coldkey (test keys only).
    pub fn save(
        &self,
        name: &str,
        kind: KeyKind,
        key: &Keypair,
        passphrase: Option<&str>,
    ) -> Result<KeyFile, KeystoreError> {
        if kind == KeyKind::Watch {
            return self.save_watch(name, key.account());
        }
        if kind == KeyKind::Cold && passphrase.is_some_and(str::is_empty) {
            return Err(KeystoreError::EmptyPassphrase);
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
                KeyKind::Hot | KeyKind::Watch => None,
            },
            no_passphrase: kind == KeyKind::Cold && passphrase.is_none(),
        };
        seed.zeroize();
        self.write(file)
    }

    /// Stores a watch-only key: the account, no secret.
    pub fn save_watch(&self, name: &str, account: AccountId) -> Result<KeyFile, KeystoreError> {
        self.write(KeyFile {
            name: name.to_string(),
            kind: KeyKind::Watch,
            account,
            seed: None,
            encrypted: None,
            no_passphrase: false,
        })
    }

    fn write(&self, file: KeyFile) -> Result<KeyFile, KeystoreError> {
        let name = file.name.clone();
        let path = self.path(&name)?;
        create_private_dir(&self.dir).map_err(|e| file_err(&self.dir, e))?;
        check_dir(&self.dir)?;
        if path.exists() {
            return Err(KeystoreError::Exists(name.to_string()));
        }
        let json = serde_json::to_vec_pretty(&file).map_err(|e| file_err(&path, e))?;
        let tmp = self
            .dir
            .join(format!(".{name}.json.{}.tmp", hex::encode(random::<8>()?)));
        write_new_private(&tmp, &path, &json).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeystoreError::Exists(name.to_string()),
            _ => file_err(&path, e),
        })?;
        Ok(file)
    }

    /// Reads a key file (no decryption); refuses one that other users can access.
    pub fn load(&self, name: &str) -> Result<KeyFile, KeystoreError> {
        let path = self.path(name)?;
        check_dir(&self.dir)?;
        self.load_path(name, &path)
    }

    fn load_path(&self, name: &str, path: &Path) -> Result<KeyFile, KeystoreError> {
        let bytes = match read_private(path) {
            Ok(b) => b,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::NotFound(name.to_string()));
            }
            Err(ReadError::Io(e)) => return Err(file_err(path, e)),
            Err(ReadError::Keystore(e)) => return Err(e),
        };
        serde_json::from_slice(&bytes).map_err(|e| file_err(path, e))
    }

    /// Loads and unlocks a key.
    pub fn unlock(
        &self,
        name: &str,
        passphrase: impl FnOnce() -> String,
    ) -> Result<Keypair, KeystoreError> {
        let file = self.load(name)?;
        let path = self.path(name)?;
        if file.kind == KeyKind::Watch {
            return Err(KeystoreError::WatchOnly(name.to_string()));
        }
        let seed = match (&file.seed, &file.encrypted) {
            (Some(hex_seed), _) => {
                let b = hex::decode(hex_seed).map_err(|e| file_err(&path, e))?;
                <[u8; 32]>::try_from(b.as_slice())
                    .map_err(|_| file_err(&path, "seed is not 32 bytes"))?
            }
            (None, Some(enc)) if file.no_passphrase => decrypt_seed(enc, &file.account, "")?,
            (None, Some(enc)) => decrypt_seed(enc, &file.account, &passphrase())?,
            (None, None) => return Err(file_err(&path, "no seed in key file")),
        };
        let key = Keypair::from_seed(&seed);
        if key.account() != file.account {
            return Err(file_err(&path, "seed does not match the stored account"));
        }
        Ok(key)
    }

    /// Every `*.json` file of the keystore: readable keys sorted by name, the others with
    /// their reason. Fails only when the directory itself cannot be trusted or read.
    pub fn list(&self) -> Result<Listing, KeystoreError> {
        let mut out = Listing::default();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(file_err(&self.dir, e)),
        };
        check_dir(&self.dir)?;
        for entry in entries {
            let entry = entry.map_err(|e| file_err(&self.dir, e))?;
            let p = entry.path();
            if p.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let loaded = match p.file_stem().and_then(|s| s.to_str()) {
                Some(stem) if valid_name(stem) => self.load_path(stem, &p),
                _ => Err(file_err(&p, "not a valid key name")),
            };
            match loaded {
                Ok(f) => out.keys.push(f),
                Err(e) => out.unreadable.push((p, e)),
            }
        }
        out.keys.sort_by(|a, b| a.name.cmp(&b.name));
        out.unreadable.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

enum ReadError {
    Io(std::io::Error),
    Keystore(KeystoreError),
}

/// Bits of a key file nobody but its owner may have.
#[cfg(unix)]
const FILE_FORBIDDEN: u32 = 0o077;
/// Bits of the keystore directory nobody but its owner may have: write (and so rename or
/// replace files in it).
#[cfg(unix)]
const DIR_FORBIDDEN: u32 = 0o022;

#[cfg(unix)]
fn read_private(path: &Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    // The mode checked is that of the file actually opened (a symlink's target), not of a
    // path that could change between a check and the read.
    let mut f = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::Keystore(file_err(path, "not a regular file")));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & FILE_FORBIDDEN != 0 {
        return Err(ReadError::Keystore(KeystoreError::Insecure {
            path: path.to_path_buf(),
            problem: format!("key file has mode {mode:04o}, open to group or others"),
            fix_mode: 0o600,
        }));
    }
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    Ok(bytes)
}

#[cfg(not(unix))]
fn read_private(path: &Path) -> Result<Vec<u8>, ReadError> {
    std::fs::read(path).map_err(ReadError::Io)
}

#[cfg(unix)]
fn check_dir(dir: &Path) -> Result<(), KeystoreError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(file_err(dir, e)),
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & DIR_FORBIDDEN != 0 {
        return Err(KeystoreError::Insecure {
            path: dir.to_path_buf(),
            problem: format!(
                "keystore directory has mode {mode:04o}: group or others can replace key files"
            ),
            fix_mode: 0o700,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir(_: &Path) -> Result<(), KeystoreError> {
    Ok(())
}

/// Creates `dir` (and missing parents) as 0700 from the start; an existing directory is left
/// as it is, for `check_dir` to judge.
#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Writes `bytes` to `tmp` (created 0600, fsynced), then links it to `path`, which must not
/// exist: the key appears complete and private or not at all, and never replaces another.
#[cfg(unix)]
fn write_new_private(tmp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(tmp, path)
    })();
    let _ = std::fs::remove_file(tmp);
    written?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        // Make the new directory entry durable; a failure here loses nothing already there.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_new_private(tmp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(tmp, bytes)?;
    let linked = std::fs::hard_link(tmp, path);
    let _ = std::fs::remove_file(tmp);
    linked
}

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
