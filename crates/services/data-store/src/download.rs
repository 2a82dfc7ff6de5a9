//! Downloads: every byte counted and hashed, and nothing decrypted before the whole object
//! matched its registered size and content hash.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore};
use synod_data_crypto::{Decryptor, FileKey};
use synod_primitives::Hash;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::error::{Failure, StoreError, classify};
use crate::location::StoreUrl;
use crate::store::{DataStore, Target};

/// Bytes per read of a local object (`object_store` streams local files 8 KiB at a time, each
/// read a blocking task; this reads them in larger pieces).
const LOCAL_READ: u64 = 1 << 20;
/// Plaintext handed from the decrypting thread to the writer at a time.
const PLAIN_BATCH: usize = 1 << 20;

impl DataStore {
    /// Downloads the object at `url` into `dest`, checking that it is `expected_size` bytes
    /// and hashes to `expected_hash` (BLAKE3 of the ciphertext). A size the store reports up
    /// front that differs is refused before any byte is read; bytes are hashed as they
    /// arrive; an interrupted transfer resumes where it stopped (a range request for the rest
    /// of the same version). `dest` receives ciphertext as it arrives: on any error, discard
    /// what it got. See [`download_verified_to_path`](Self::download_verified_to_path) for a
    /// file that appears only when verified.
    pub async fn download_verified<W: AsyncWrite + Unpin + Send>(
        &self,
        url: &StoreUrl,
        expected_hash: &Hash,
        expected_size: u64,
        dest: &mut W,
    ) -> Result<(), StoreError> {
        let target = self.resolve(url)?;
        self.download_verified_target(&target, expected_hash, expected_size, dest)
            .await
    }

    pub(crate) async fn download_verified_target<W: AsyncWrite + Unpin + Send>(
        &self,
        target: &Target,
        expected_hash: &Hash,
        expected_size: u64,
        dest: &mut W,
    ) -> Result<(), StoreError> {
        let mut fetch = Fetch::new(self, target, expected_size);
        let mut hasher = blake3::Hasher::new();
        let write_err = |e| StoreError::io("writing the download", e);
        while let Some(chunk) = fetch.next().await? {
            hasher.update(&chunk);
            dest.write_all(&chunk).await.map_err(write_err)?;
        }
        dest.flush().await.map_err(write_err)?;
        check_hash(target, expected_hash, &hasher)
    }

    /// [`download_verified`](Self::download_verified) into the file `path`: written beside
    /// it under a temporary name, synced, and renamed to `path` only once verified, so `path`
    /// never holds unverified bytes.
    pub async fn download_verified_to_path(
        &self,
        url: &StoreUrl,
        expected_hash: &Hash,
        expected_size: u64,
        path: &Path,
    ) -> Result<(), StoreError> {
        let target = self.resolve(url)?;
        let temp = temp_beside(path)?;
        let file = temp
            .reopen()
            .map_err(|e| StoreError::io("opening a temporary file", e))?;
        let file = self
            .fetch_into_file(&target, expected_hash, expected_size, file)
            .await?;
        persist(temp, file, path).await
    }

    /// Downloads the object at `url`, verifies it (size, then content hash: the whole object,
    /// in memory up to [`memory_threshold`](crate::StoreConfig::memory_threshold) bytes,
    /// otherwise in a temporary file), and only then decrypts it with `key` into `out`.
    /// Returns the plaintext's length. No plaintext comes from ciphertext that did not match
    /// `expected_hash`. A verified file that still fails to decrypt (a wrong key is refused
    /// before any output; a malformed file its owner uploaded fails at the bad chunk) leaves
    /// partial plaintext in `out`: discard it on error, or use
    /// [`download_decrypt_to_path`](Self::download_decrypt_to_path).
    pub async fn download_decrypt<W: AsyncWrite + Unpin + Send>(
        &self,
        url: &StoreUrl,
        expected_hash: &Hash,
        expected_size: u64,
        key: &FileKey,
        out: &mut W,
    ) -> Result<u64, StoreError> {
        let target = self.resolve(url)?;
        if expected_size <= self.config().memory_threshold {
            let cap = usize::try_from(expected_size).unwrap_or(0);
            let mut buf = BytesMut::with_capacity(cap);
            let mut fetch = Fetch::new(self, &target, expected_size);
            let mut hasher = blake3::Hasher::new();
            while let Some(chunk) = fetch.next().await? {
                hasher.update(&chunk);
                buf.extend_from_slice(&chunk);
            }
            check_hash(&target, expected_hash, &hasher)?;
            decrypt_into(io::Cursor::new(buf.freeze()), key, out).await
        } else {
            let dir = self
                .config()
                .temp_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir);
            let file = tempfile::tempfile_in(&dir).map_err(|e| {
                StoreError::io(format!("creating a temporary file in {}", dir.display()), e)
            })?;
            let mut file = self
                .fetch_into_file(&target, expected_hash, expected_size, file)
                .await?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| StoreError::io("rewinding the verified download", e))?;
            decrypt_into(file, key, out).await
        }
    }

    /// [`download_decrypt`](Self::download_decrypt) into the file `path`, written beside it
    /// under a temporary name and renamed to `path` only when the whole plaintext decrypted.
    pub async fn download_decrypt_to_path(
        &self,
        url: &StoreUrl,
        expected_hash: &Hash,
        expected_size: u64,
        key: &FileKey,
        path: &Path,
    ) -> Result<u64, StoreError> {
        let temp = temp_beside(path)?;
        let file = temp
            .reopen()
            .map_err(|e| StoreError::io("opening a temporary file", e))?;
        let mut out = tokio::fs::File::from_std(file);
        let n = self
            .download_decrypt(url, expected_hash, expected_size, key, &mut out)
            .await?;
        let file = out.into_std().await;
        persist(temp, file, path).await?;
        Ok(n)
    }

    /// Downloads into `file` on a blocking thread that hashes and writes what arrives (so
    /// the network, the hash and the disk overlap); returns the file once verified.
    async fn fetch_into_file(
        &self,
        target: &Target,
        expected_hash: &Hash,
        expected_size: u64,
        mut file: File,
    ) -> Result<File, StoreError> {
        let (tx, mut rx) = mpsc::channel::<Bytes>(8);
        let writer = tokio::task::spawn_blocking(move || {
            let mut hasher = blake3::Hasher::new();
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
                file.write_all(&chunk)?;
            }
            file.flush()?;
            Ok::<_, io::Error>((file, hasher))
        });
        let fetched = async {
            let mut fetch = Fetch::new(self, target, expected_size);
            while let Some(chunk) = fetch.next().await? {
                if tx.send(chunk).await.is_err() {
                    // The writer failed; its error is reported below.
                    break;
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        drop(tx);
        let written = writer
            .await
            .map_err(|e| StoreError::io("writing the download", io::Error::other(e)))?;
        fetched?;
        let (file, hasher) =
            written.map_err(|e| StoreError::io("writing the download to a temporary file", e))?;
        check_hash(target, expected_hash, &hasher)?;
        Ok(file)
    }
}

fn check_hash(target: &Target, expected: &Hash, hasher: &blake3::Hasher) -> Result<(), StoreError> {
    let actual = Hash(*hasher.finalize().as_bytes());
    if actual == *expected {
        Ok(())
    } else {
        Err(StoreError::HashMismatch {
            url: target.text.clone(),
            expected: *expected,
            actual,
        })
    }
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".synod-download-")
        .tempfile_in(&dir)
        .map_err(|e| StoreError::io(format!("creating a temporary file in {}", dir.display()), e))
}

async fn persist(temp: tempfile::NamedTempFile, file: File, path: &Path) -> Result<(), StoreError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        file.sync_all()?;
        drop(file);
        temp.persist(&path).map_err(|e| e.error)?;
        Ok::<_, io::Error>(())
    })
    .await
    .map_err(|e| StoreError::io("saving the download", io::Error::other(e)))?
    .map_err(|e| StoreError::io("saving the download", e))
}

/// Decrypts on a blocking thread, handing plaintext to `out` in batches.
async fn decrypt_into<R: Read + Send + 'static, W: AsyncWrite + Unpin + Send>(
    reader: R,
    key: &FileKey,
    out: &mut W,
) -> Result<u64, StoreError> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let key = key.clone();
    let decryptor = tokio::task::spawn_blocking(move || {
        let mut dec = Decryptor::new(reader, &key)?;
        let mut batch = BytesMut::with_capacity(PLAIN_BATCH);
        while let Some(chunk) = dec.next_chunk()? {
            batch.extend_from_slice(chunk);
            if batch.len() >= PLAIN_BATCH {
                let full = std::mem::replace(&mut batch, BytesMut::with_capacity(PLAIN_BATCH));
                if tx.blocking_send(full.freeze()).is_err() {
                    return Ok(None);
                }
            }
        }
        if !batch.is_empty() && tx.blocking_send(batch.freeze()).is_err() {
            return Ok(None);
        }
        Ok::<_, StoreError>(Some(dec.plaintext_len()))
    });
    let written = async {
        while let Some(b) = rx.recv().await {
            out.write_all(&b).await?;
        }
        out.flush().await
    }
    .await;
    drop(rx);
    let decrypted = decryptor
        .await
        .map_err(|e| StoreError::io("decrypting", io::Error::other(e)))?;
    written.map_err(|e| StoreError::io("writing the plaintext", e))?;
    decrypted?
        .ok_or_else(|| StoreError::io("writing the plaintext", io::ErrorKind::BrokenPipe.into()))
}

/// One object's bytes, in order, with retries: a failure before or during the transfer is
/// retried (with the policy's backoff; the count restarts whenever bytes arrive) from the
/// first byte not yet received, pinned to the version first seen (`If-Match` on its ETag).
struct Fetch<'a> {
    store: &'a DataStore,
    target: &'a Target,
    expected: u64,
    offset: u64,
    etag: Option<String>,
    opened: bool,
    body: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    failures: u32,
}

impl<'a> Fetch<'a> {
    fn new(store: &'a DataStore, target: &'a Target, expected: u64) -> Self {
        Fetch {
            store,
            target,
            expected,
            offset: 0,
            etag: None,
            opened: false,
            body: None,
            failures: 0,
        }
    }

    fn size_mismatch(&self, actual: u64) -> StoreError {
        StoreError::SizeMismatch {
            url: self.target.text.clone(),
            expected: self.expected,
            actual,
        }
    }

    /// Handles a failure: `Ok(())` to try again after the backoff, or the error to report.
    async fn failed(&mut self, e: object_store::Error) -> Result<(), StoreError> {
        self.body = None;
        let url = self.target.text.clone();
        match classify(&e) {
            Failure::NotFound => Err(StoreError::NotFound { url }),
            Failure::Fatal => Err(StoreError::Store { url, source: e }),
            Failure::Transient => {
                self.failures += 1;
                let policy = self.store.policy();
                if self.failures >= policy.max_attempts() {
                    return Err(StoreError::Unreachable {
                        url,
                        attempts: self.failures,
                        last_error: e.to_string(),
                    });
                }
                tracing::debug!(url, attempt = self.failures, offset = self.offset, error = %e,
                    "download interrupted; retrying");
                tokio::time::sleep(policy.delay_after(self.failures)).await;
                Ok(())
            }
        }
    }

    async fn open(&mut self) -> Result<(), StoreError> {
        let mut options = GetOptions::new();
        if self.offset > 0 {
            options = options.with_range(Some(GetRange::Offset(self.offset)));
        }
        if let Some(etag) = &self.etag {
            options = options.with_if_match(Some(etag.clone()));
        }
        let store: &dyn ObjectStore = self.target.backend.store();
        match store.get_opts(&self.target.path, options).await {
            Ok(res) => {
                if res.meta.size != self.expected {
                    return Err(self.size_mismatch(res.meta.size));
                }
                if !self.opened {
                    self.etag = res.meta.e_tag.clone();
                    self.opened = true;
                }
                self.body = Some(match res.payload {
                    GetResultPayload::File(file, _) => local_stream(file, res.range),
                    GetResultPayload::Stream(s) => s,
                });
                Ok(())
            }
            Err(e) => self.failed(e).await,
        }
    }

    /// The next bytes, or `None` once exactly `expected` bytes arrived.
    async fn next(&mut self) -> Result<Option<Bytes>, StoreError> {
        loop {
            let Some(body) = self.body.as_mut() else {
                if self.opened && self.offset == self.expected {
                    return Ok(None);
                }
                self.open().await?;
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    let end = self.offset + chunk.len() as u64;
                    if end > self.expected {
                        return Err(self.size_mismatch(end));
                    }
                    self.offset = end;
                    self.failures = 0;
                    return Ok(Some(chunk));
                }
                Some(Err(e)) => self.failed(e).await?,
                None => {
                    self.body = None;
                    if self.offset < self.expected {
                        return Err(self.size_mismatch(self.offset));
                    }
                    return Ok(None);
                }
            }
        }
    }
}

/// A local object's bytes in `range`, read `LOCAL_READ` at a time on blocking threads.
fn local_stream(file: File, range: Range<u64>) -> BoxStream<'static, object_store::Result<Bytes>> {
    let to_store_error = |e: io::Error| object_store::Error::Generic {
        store: "LocalFileSystem",
        source: Box::new(e),
    };
    futures::stream::try_unfold(
        (file, range.start, range.end, true),
        move |(mut file, pos, end, first)| async move {
            if pos >= end {
                return Ok(None);
            }
            let n = (end - pos).min(LOCAL_READ);
            let (file, buf) = tokio::task::spawn_blocking(move || {
                if first {
                    file.seek(SeekFrom::Start(pos))?;
                }
                let mut buf = BytesMut::zeroed(usize::try_from(n).map_err(io::Error::other)?);
                file.read_exact(&mut buf)?;
                Ok::<_, io::Error>((file, buf.freeze()))
            })
            .await
            .map_err(|e| to_store_error(io::Error::other(e)))?
            .map_err(to_store_error)?;
            Ok(Some((buf, (file, pos + n, end, false))))
        },
    )
    .boxed()
}
