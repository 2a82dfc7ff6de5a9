//! [`StoreError`], and which store failures are worth another try.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use synod_data_crypto::FileError;
use synod_primitives::Hash;

use crate::location::UrlError;

/// Why an upload or download failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A store location or object URL could not be parsed.
    #[error(transparent)]
    BadUrl(#[from] UrlError),
    /// The configuration cannot work (a part size out of range, half a pair of credentials…).
    #[error("data store configuration: {0}")]
    Config(String),
    /// A put to an `http(s)://` URL: those are read only.
    #[error("{url} is read only: objects can be put in a local directory or an s3:// bucket")]
    ReadOnly {
        /// The location.
        url: String,
    },
    /// The object does not exist (not retried).
    #[error("{url} not found")]
    NotFound {
        /// The object's URL.
        url: String,
    },
    /// The object is not the registered ciphertext; nothing was decrypted.
    #[error("content hash mismatch at {url}: expected {expected}, the object hashes to {actual}")]
    HashMismatch {
        /// The object's URL.
        url: String,
        /// The registered hash.
        expected: Hash,
        /// The hash of what the store returned.
        actual: Hash,
    },
    /// The object's size is not the registered one; nothing was decrypted.
    #[error("size mismatch at {url}: expected {expected} bytes, the store has {actual}")]
    SizeMismatch {
        /// The object's URL.
        url: String,
        /// The registered size.
        expected: u64,
        /// The size the store reported or delivered (at least this much when it sent more).
        actual: u64,
    },
    /// The store could not be reached after every retry.
    #[error("{url} unreachable after {attempts} attempt(s): {last_error}")]
    Unreachable {
        /// The object's (or store's) URL.
        url: String,
        /// Tries made.
        attempts: u32,
        /// The last failure.
        last_error: String,
    },
    /// The store refused or failed a request in a way another try would not fix (access
    /// denied, a bad request, a local file system error…).
    #[error("{url}: {source}")]
    Store {
        /// The object's (or store's) URL.
        url: String,
        /// What the store said.
        #[source]
        source: object_store::Error,
    },
    /// A file given for upload is not a Synod encrypted file: only ciphertext is stored.
    #[error("{path} is not a Synod encrypted file ({reason}); encrypt it first (upload_encrypt)")]
    NotEncrypted {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What is wrong with its header.
        reason: FileError,
    },
    /// The file being uploaded changed while it was read (its hash at the end differs from
    /// the one it was named by); nothing was published under the wrong name.
    #[error("{path} changed during the upload (hashed to {before}, then to {after})")]
    ChangedDuringUpload {
        /// The file.
        path: PathBuf,
        /// Hash when first read.
        before: Hash,
        /// Hash of what was uploaded.
        after: Hash,
    },
    /// Encryption or decryption failed (a wrong key, a malformed file, a failing reader).
    #[error(transparent)]
    Crypto(#[from] FileError),
    /// A public object is larger than the reader accepts.
    #[error("{url} is {size} bytes, more than the {limit} accepted")]
    TooLarge {
        /// The object's URL.
        url: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Local I/O failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}

/// How a failed store request is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The object is not there: reported at once.
    NotFound,
    /// The store could not be reached or is overloaded: worth another try.
    Transient,
    /// Another try would fail the same way.
    Fatal,
}

/// Sorts an `object_store` error. `object_store` keeps the HTTP status of a failed response
/// in a type it does not export, so a status is recognised in the error's text ("status code:
/// 503"); transport failures are recognised by its public `HttpError`.
pub(crate) fn classify(e: &object_store::Error) -> Failure {
    match e {
        object_store::Error::NotFound { .. } => Failure::NotFound,
        object_store::Error::Generic { .. } if transient(e) => Failure::Transient,
        _ => Failure::Fatal,
    }
}

fn transient(e: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(http) = err.downcast_ref::<object_store::client::HttpError>() {
            return !matches!(http.kind(), object_store::client::HttpErrorKind::Decode);
        }
        let text = err.to_string();
        if let Some(status) = status_in(&text) {
            return status >= 500 || status == 408 || status == 429;
        }
        // S3 can answer 200 with an error document; these two are worth another try.
        if text.contains("Server returned error response")
            && (text.contains("InternalError") || text.contains("SlowDown"))
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// The HTTP status in `object_store`'s "…status code: 503 Service Unavailable…" text.
fn status_in(text: &str) -> Option<u16> {
    const MARK: &str = "status code: ";
    let at = text.find(MARK)? + MARK.len();
    let digits = text.get(at..at + 3)?;
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(source: impl StdError + Send + Sync + 'static) -> object_store::Error {
        object_store::Error::Generic {
            store: "test",
            source: Box::new(source),
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Text(String);

    #[test]
    fn classification() {
        use object_store::client::{HttpError, HttpErrorKind};
        let not_found = object_store::Error::NotFound {
            path: "x".into(),
            source: Box::new(Text("gone".into())),
        };
        assert_eq!(classify(&not_found), Failure::NotFound);
        for kind in [
            HttpErrorKind::Connect,
            HttpErrorKind::Request,
            HttpErrorKind::Timeout,
            HttpErrorKind::Interrupted,
        ] {
            let e = generic(HttpError::new(kind, Text("refused".into())));
            assert_eq!(classify(&e), Failure::Transient, "{kind:?}");
        }
        let decode = generic(HttpError::new(HttpErrorKind::Decode, Text("bad".into())));
        assert_eq!(classify(&decode), Failure::Fatal);
        let status = |s: &str| {
            generic(Text(format!(
                "Error performing GET http://h/x in 1ms - Server returned non-2xx status code: {s}: body"
            )))
        };
        assert_eq!(
            classify(&status("503 Service Unavailable")),
            Failure::Transient
        );
        assert_eq!(
            classify(&status("500 Internal Server Error")),
            Failure::Transient
        );
        assert_eq!(
            classify(&status("429 Too Many Requests")),
            Failure::Transient
        );
        assert_eq!(classify(&status("400 Bad Request")), Failure::Fatal);
        assert_eq!(classify(&generic(Text("disk full".into()))), Failure::Fatal);
        let denied = object_store::Error::PermissionDenied {
            path: "x".into(),
            source: Box::new(Text("no".into())),
        };
        assert_eq!(classify(&denied), Failure::Fatal);
    }
}
