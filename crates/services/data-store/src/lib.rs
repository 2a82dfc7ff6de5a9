//! Storage the user chooses for data pools' encrypted files (issue 11): users encrypt on their
//! machine (`synod-data-crypto`, `SYNODENC` v1) and keep the ciphertext where they like; the
//! chain keeps only its URL, its BLAKE3 content hash and its size. This crate moves the
//! ciphertext to and from those places, over the `object_store` crate.
//!
//! What it owns:
//!
//! * [`StoreUrl`]: where ciphertext lives, parsed with clear errors: a local directory
//!   (`file:///abs/dir` or a plain path; by default [`DEFAULT_STORE_DIR`] under the caller's
//!   data directory), any S3-compatible bucket (`s3://bucket/optional/prefix`, reached as
//!   [`S3Options`] say: endpoint, region and credentials given explicitly or by the standard
//!   `AWS_*` environment variables, plain-`http` endpoints allowed for local servers,
//!   path-style addressing), or an `http(s)://` address, for reading only.
//! * [`DataStore`]: uploads ([`upload_file`](DataStore::upload_file),
//!   [`upload_bytes`](DataStore::upload_bytes), and
//!   [`upload_encrypt`](DataStore::upload_encrypt), which encrypts a plaintext `Read` while
//!   it uploads, any size in bounded memory) that name each object by its content hash
//!   ([`object_name`]), so uploading the same ciphertext twice gives the same URL, and return
//!   what the chain registers ([`Uploaded`]: URL, hash, size); downloads that check size and
//!   hash before anything is decrypted ([`download_verified`](DataStore::download_verified),
//!   [`download_decrypt`](DataStore::download_decrypt) and their `_to_path` forms, which
//!   publish a file only once it is verified).
//! * Retries ([`RetryPolicy`]): a store that cannot be reached (refused or reset connections,
//!   timeouts, HTTP 5xx/408/429) is tried again with exponential backoff (by default 5
//!   attempts from 200 ms), then reported as [`StoreError::Unreachable`]; a missing object is
//!   [`StoreError::NotFound`] at once; an interrupted download resumes where it stopped.
//!
//! What it must not do: hold or read chain state (callers pass the registered hash and size),
//! hold keys (a [`FileKey`](synod_data_crypto::FileKey) passes through to the encryptor or
//! decryptor and is never stored, logged or sent), decrypt or hand out plaintext of ciphertext
//! that did not match its registered hash, or store plaintext: only `SYNODENC` files are
//! accepted for upload.
//!
//! Everything is `async` on tokio; encryption, decryption, hashing of whole files and file
//! reads run on tokio's blocking threads, overlapping the transfers.

mod config;
mod download;
mod error;
mod location;
mod public;
mod store;
mod upload;

pub use config::{MAX_PART_SIZE, MIN_PART_SIZE, RetryPolicy, S3Options, StoreConfig};
pub use error::StoreError;
pub use location::{DEFAULT_STORE_DIR, StoreUrl, UrlError};
pub use store::{DataStore, Uploaded, object_name};
pub use upload::INCOMING_DIR;

#[cfg(test)]
mod tests {
    use super::*;
    use synod_data_crypto::{EncryptOptions, FileKey};
    use synod_primitives::Hash;

    fn assert_send<T: Send>(_: &T) {}

    /// Callers can spawn every operation on a multi-threaded runtime.
    #[test]
    fn futures_are_send() {
        let Ok(store) = DataStore::new(StoreConfig::default()) else {
            panic!("default config")
        };
        let url = StoreUrl::File {
            path: "/nonexistent".into(),
        };
        let key = FileKey::from_bytes([0; 32]);
        let opts = EncryptOptions {
            chunk_size: 64,
            nonce_prefix: [0; 19],
        };
        let mut sink = tokio::io::sink();
        assert_send(&store.upload_file(&url, std::path::Path::new("/x")));
        assert_send(&store.upload_bytes(&url, bytes::Bytes::new()));
        assert_send(&store.upload_encrypt(&url, std::io::empty(), &key, &opts));
        assert_send(&store.download_verified(&url, &Hash::ZERO, 0, &mut sink));
        assert_send(&store.download_decrypt(&url, &Hash::ZERO, 0, &key, &mut sink));
        assert_send(&store.download_verified_to_path(
            &url,
            &Hash::ZERO,
            0,
            std::path::Path::new("/x"),
        ));
        assert_send(&store.download_decrypt_to_path(
            &url,
            &Hash::ZERO,
            0,
            &key,
            std::path::Path::new("/x"),
        ));
    }
}
