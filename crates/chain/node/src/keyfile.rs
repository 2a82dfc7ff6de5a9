//! Node key files: the plain (unencrypted) key a validator or full node starts with.
//!
//! Validators restart unattended, so their key cannot sit behind a passphrase like keystore
//! keys; instead the file must be readable by its owner only (mode 0600), which is checked on
//! every load. Format: JSON `{"account": "0x…", "seed": "<64 hex>"}`; the account is stored so
//! an operator can see which key a file holds, and is checked against the seed on load.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use synod_primitives::{AccountId, Keypair};
use zeroize::Zeroize;

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file exists; keys are never overwritten.
    #[error("{0} already exists; refusing to overwrite a key file")]
    Exists(PathBuf),
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Group or others may read or write the file.
    #[error(
        "{path} has permissions {mode:03o}; a node key must be readable by its owner only (chmod 600 {path})"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a key file.
    #[error("{path} is not a node key file: {reason}")]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The stored account is not the seed's public key.
    #[error("{path}: the seed belongs to {derived}, but the file names account {stored}")]
    AccountMismatch {
        /// The key file.
        path: PathBuf,
        /// Account written in the file.
        stored: AccountId,
        /// Account derived from the seed.
        derived: AccountId,
    },
    /// No randomness for a new key.
    #[error(transparent)]
    Randomness(#[from] synod_primitives::keys::RandomnessError),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    account: AccountId,
    seed: String,
}

impl Drop for KeyFileJson {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

/// Generates a fresh key and writes it to `path` (mode 0600), refusing to overwrite.
pub fn generate_key_file(path: &Path) -> Result<Keypair, KeyFileError> {
    let key = Keypair::generate()?;
    write_key_file(path, &key)?;
    Ok(key)
}

/// Writes `key` to a new file at `path`, readable by the owner only. Fails if `path` exists.
pub fn write_key_file(path: &Path, key: &Keypair) -> Result<(), KeyFileError> {
    use std::io::Write;
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut seed = key.seed();
    let mut text = serde_json::to_string_pretty(&KeyFileJson {
        account: key.account(),
        seed: hex::encode(seed),
    })
    .map_err(|e| KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    seed.zeroize();
    text.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path);
    let result = match file {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(KeyFileError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
        Ok(mut f) => f
            .write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io),
    };
    text.zeroize();
    result
}

/// Reads a key file, checking its permissions and that the account matches the seed.
pub fn read_key_file(path: &Path) -> Result<Keypair, KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let malformed = |reason: String| KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(malformed("not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    if meta.len() > 4096 {
        return Err(malformed("larger than 4 KiB".into()));
    }
    let mut text = std::fs::read_to_string(path).map_err(io)?;
    let parsed: Result<KeyFileJson, _> = serde_json::from_str(&text);
    text.zeroize();
    // serde's message never quotes the seed: it names fields and positions only.
    let parsed = parsed.map_err(|e| malformed(e.to_string()))?;
    let mut bytes =
        hex::decode(parsed.seed.trim()).map_err(|_| malformed("the seed is not hex".into()))?;
    let seed: Result<[u8; 32], _> = bytes.as_slice().try_into();
    bytes.zeroize();
    let mut seed = seed.map_err(|_| malformed("the seed must be 32 bytes (64 hex)".into()))?;
    let key = Keypair::from_seed(&seed);
    seed.zeroize();
    if key.account() != parsed.account {
        return Err(KeyFileError::AccountMismatch {
            path: path.to_path_buf(),
            stored: parsed.account,
            derived: key.account(),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_overwrite() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("node.key");
        let key = generate_key_file(&path).expect("write");
        assert_eq!(read_key_file(&path).expect("read").account(), key.account());
        assert!(matches!(
            write_key_file(&path, &Keypair::dev("x")),
            Err(KeyFileError::Exists(_))
        ));
        // Still the first key.
        assert_eq!(read_key_file(&path).expect("read").account(), key.account());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("node.key");
        write_key_file(&path, &Keypair::dev("a")).expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = read_key_file(&path).expect_err("must refuse");
        assert!(
            matches!(err, KeyFileError::Permissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn rejects_tampered_and_malformed_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let write = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).expect("write");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .expect("chmod");
            }
            p
        };
        let a = Keypair::dev("a");
        let b = Keypair::dev("b");
        let swapped = write(
            "swapped",
            &format!(
                r#"{{"account":"{}","seed":"{}"}}"#,
                b.account(),
                hex::encode(a.seed())
            ),
        );
        assert!(matches!(
            read_key_file(&swapped),
            Err(KeyFileError::AccountMismatch { .. })
        ));
        let short = write(
            "short",
            &format!(r#"{{"account":"{}","seed":"abcd"}}"#, a.account()),
        );
        assert!(matches!(
            read_key_file(&short),
            Err(KeyFileError::Malformed { .. })
        ));
        let extra = write(
            "extra",
            &format!(
                r#"{{"account":"{}","seed":"{}","x":1}}"#,
                a.account(),
                hex::encode(a.seed())
            ),
        );
        assert!(matches!(
            read_key_file(&extra),
            Err(KeyFileError::Malformed { .. })
        ));
        let seed_hex = hex::encode(a.seed());
        let err = read_key_file(&write("garbage", "not json")).expect_err("garbage");
        assert!(!err.to_string().contains(&seed_hex));
        assert!(matches!(
            read_key_file(&dir.path().join("missing")),
            Err(KeyFileError::Io { .. })
        ));
    }
}
