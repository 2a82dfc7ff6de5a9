//! Uploads: ciphertext already on disk or in memory, or plaintext encrypted on the way.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use object_store::aws::AmazonS3;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjPath;
use object_store::{MultipartId, MultipartUpload, ObjectStoreExt, PutPayload};
use synod_data_crypto::{
    EncryptOptions, EncryptSummary, FileError, FileKey, HEADER_LEN, Header, content_hash,
    encrypt_stream, hash_reader,
};
use synod_primitives::Hash;
use tokio::sync::mpsc;

use crate::config::RetryPolicy;
use crate::error::StoreError;
use crate::location::StoreUrl;
use crate::store::{Backend, DataStore, Target, Uploaded, object_name, with_retry};

/// Folder (under the store's location) where an encrypt-while-uploading upload is written
/// before its content hash, and so its name, is known. An interrupted upload can leave an
/// object here; an S3 lifecycle rule on this prefix can expire them.
pub const INCOMING_DIR: &str = "incoming";

fn hash_of(hasher: &blake3::Hasher) -> Hash {
    Hash(*hasher.finalize().as_bytes())
}

async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::io(what.to_owned(), io::Error::other(e)))?
}

impl DataStore {
    fn writable(&self, to: &StoreUrl) -> Result<(), StoreError> {
        if to.is_writable() {
            Ok(())
        } else {
            Err(StoreError::ReadOnly {
                url: to.to_string(),
            })
        }
    }

    /// Uploads the encrypted file at `path` (a `SYNODENC` file, as
    /// `synod_data_crypto::encrypt_stream` writes) to the store at `to`, as the object named by
    /// its content hash ([`object_name`]). The file is read twice: once to hash it, once to
    /// send it (in parts of [`part_size`](crate::StoreConfig::part_size), several at once,
    /// in bounded memory), and refused if it changed in between. An object already there
    /// with the same bytes is not sent again (`reused`: checked by reading it back and hashing
    /// it, so a damaged copy is never trusted); one with other bytes is replaced.
    pub async fn upload_file(&self, to: &StoreUrl, path: &Path) -> Result<Uploaded, StoreError> {
        self.writable(to)?;
        let p = path.to_owned();
        let (hash, size) = blocking("hashing the file to upload", move || {
            let mut file = File::open(&p)
                .map_err(|e| StoreError::io(format!("opening {}", p.display()), e))?;
            check_header_reader(&mut file, &p)?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| StoreError::io(format!("reading {}", p.display()), e))?;
            hash_reader(file).map_err(StoreError::from)
        })
        .await?;
        let target = self.resolve(&to.join(&object_name(&hash)))?;
        if self.holds(&target, &hash, size).await? {
            return Ok(uploaded(target, hash, size, true));
        }
        let part_size = self.config().part_size;
        if size <= part_size as u64 {
            let p = path.to_owned();
            let data = blocking("reading the file to upload", move || {
                std::fs::read(&p).map_err(|e| StoreError::io(format!("reading {}", p.display()), e))
            })
            .await?;
            let data = Bytes::from(data);
            let again = content_hash(&data);
            if again != hash {
                return Err(StoreError::ChangedDuringUpload {
                    path: path.to_owned(),
                    before: hash,
                    after: again,
                });
            }
            self.put_whole(&target, data).await?;
            return Ok(uploaded(target, hash, size, false));
        }
        // In parts, from a reader thread that hashes what it sends.
        let (tx, mut rx) = mpsc::channel::<Bytes>(1);
        let p = path.to_owned();
        let reader = tokio::task::spawn_blocking(move || read_parts(&p, part_size, tx));
        let result = async {
            let mut up = PartUploader::begin(self, &target).await?;
            while let Some(part) = rx.recv().await {
                if let Err(e) = up.push(part).await {
                    up.abort().await;
                    return Err(e);
                }
            }
            Ok(up)
        }
        .await;
        drop(rx);
        let read = reader
            .await
            .map_err(|e| StoreError::io("reading the file to upload", io::Error::other(e)))?;
        let mut up = result?;
        let again = match read {
            Ok(h) => h,
            Err(e) => {
                up.abort().await;
                return Err(e);
            }
        };
        if again != hash {
            up.abort().await;
            return Err(StoreError::ChangedDuringUpload {
                path: path.to_owned(),
                before: hash,
                after: again,
            });
        }
        up.finish(size).await?;
        Ok(uploaded(target, hash, size, false))
    }

    /// Uploads ciphertext held in memory (a whole `SYNODENC` file), as
    /// [`upload_file`](Self::upload_file) does.
    pub async fn upload_bytes(
        &self,
        to: &StoreUrl,
        ciphertext: Bytes,
    ) -> Result<Uploaded, StoreError> {
        self.writable(to)?;
        check_header(&ciphertext, Path::new("<memory>"))?;
        let data = ciphertext.clone();
        let hash = blocking("hashing", move || Ok(content_hash(&data))).await?;
        let size = ciphertext.len() as u64;
        let target = self.resolve(&to.join(&object_name(&hash)))?;
        if self.holds(&target, &hash, size).await? {
            return Ok(uploaded(target, hash, size, true));
        }
        if ciphertext.len() <= self.config().part_size {
            self.put_whole(&target, ciphertext).await?;
        } else {
            let mut up = PartUploader::begin(self, &target).await?;
            let step = self.config().part_size;
            let mut rest = ciphertext;
            while !rest.is_empty() {
                let part = rest.split_to(step.min(rest.len()));
                if let Err(e) = up.push(part).await {
                    up.abort().await;
                    return Err(e);
                }
            }
            up.finish(size).await?;
        }
        Ok(uploaded(target, hash, size, false))
    }

    /// Encrypts what `plaintext` yields under `key` (`synod_data_crypto::Encryptor`, with
    /// `options`: use `EncryptOptions::random()`) while uploading the ciphertext to the store
    /// at `to`: any size, in bounded memory (about [`part_size`](crate::StoreConfig::part_size)
    /// × ([`parts_in_flight`](crate::StoreConfig::parts_in_flight) + 2)), with encryption on a
    /// blocking thread overlapping the upload of earlier parts.
    ///
    /// A ciphertext that fits in one part is put straight under its name. A larger one is
    /// uploaded under [`INCOMING_DIR`] (its hash is known only at the end) and then moved to
    /// its name: a rename in a local directory, a server-side copy and a delete in S3 (where a
    /// single copy is limited to 5 GiB by AWS). Nothing is checked for reuse: a fresh nonce
    /// prefix makes every encryption a new object.
    pub async fn upload_encrypt<R: Read + Send + 'static>(
        &self,
        to: &StoreUrl,
        plaintext: R,
        key: &FileKey,
        options: &EncryptOptions,
    ) -> Result<(Uploaded, EncryptSummary), StoreError> {
        self.writable(to)?;
        // Refuse a bad chunk size here rather than from the thread.
        Header::new(key, options)?;
        let part_size = self.config().part_size;
        let (tx, mut rx) = mpsc::channel::<Bytes>(1);
        let (key, options) = (key.clone(), *options);
        let encryptor = tokio::task::spawn_blocking(move || {
            let mut parts = PartWriter::new(tx, part_size);
            let summary = encrypt_stream(plaintext, &mut parts, &key, &options)?;
            parts.close()?;
            Ok::<_, FileError>(summary)
        });

        // Hold one part back: only when a second arrives is a multipart upload worth it.
        let mut held: Option<Bytes> = None;
        let mut up: Option<(PartUploader, Target)> = None;
        let streamed = async {
            while let Some(part) = rx.recv().await {
                if let Some(prev) = held.replace(part) {
                    if up.is_none() {
                        let staging = self.resolve(&to.join(INCOMING_DIR).join(&random_name()?))?;
                        up = Some((PartUploader::begin(self, &staging).await?, staging));
                    }
                    if let Some((u, _)) = up.as_mut() {
                        u.push(prev).await?;
                    }
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        drop(rx);
        let encrypted = encryptor
            .await
            .map_err(|e| StoreError::io("encrypting", io::Error::other(e)))?;
        let (summary, last) = match (streamed, encrypted, held) {
            (Ok(()), Ok(summary), Some(last)) => (summary, last),
            (streamed, encrypted, _) => {
                if let Some((mut u, _)) = up {
                    u.abort().await;
                }
                streamed?;
                encrypted?;
                return Err(StoreError::io(
                    "encrypting",
                    io::Error::other("the encryptor produced no ciphertext"),
                ));
            }
        };
        let hash = summary.content_hash;
        let size = summary.ciphertext_len;
        let target = self.resolve(&to.join(&object_name(&hash)))?;
        match up {
            None => self.put_whole(&target, last).await?,
            Some((mut u, staging)) => {
                if let Err(e) = u.push(last).await {
                    u.abort().await;
                    return Err(e);
                }
                u.finish(size).await?;
                self.publish(&staging, &target).await?;
            }
        }
        Ok((uploaded(target, hash, size, false), summary))
    }

    /// One PUT of a whole object, retried.
    async fn put_whole(&self, target: &Target, data: Bytes) -> Result<(), StoreError> {
        let store = target.backend.store();
        with_retry(self.policy(), &target.text, || {
            store.put(&target.path, PutPayload::from(data.clone()))
        })
        .await
        .map(|_| ())
    }

    /// Moves a finished upload from its staging name to its content-hash name.
    async fn publish(&self, staging: &Target, target: &Target) -> Result<(), StoreError> {
        let store = target.backend.store();
        match &target.backend {
            Backend::Local(_) => {
                with_retry(self.policy(), &target.text, || {
                    store.rename(&staging.path, &target.path)
                })
                .await
            }
            _ => {
                with_retry(self.policy(), &target.text, || {
                    store.copy(&staging.path, &target.path)
                })
                .await?;
                if let Err(e) =
                    with_retry(self.policy(), &staging.text, || store.delete(&staging.path)).await
                {
                    tracing::warn!(staging = %staging.text, error = %e,
                        "uploaded, but the staging object was not deleted");
                }
                Ok(())
            }
        }
    }

    /// Whether `target` already holds exactly these bytes (same size, same hash). A damaged
    /// copy answers `false` so that the upload replaces it.
    async fn holds(&self, target: &Target, hash: &Hash, size: u64) -> Result<bool, StoreError> {
        let store = target.backend.store();
        let meta = match with_retry(self.policy(), &target.text, || store.head(&target.path)).await
        {
            Ok(meta) => meta,
            Err(StoreError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        if meta.size != size {
            return Ok(false);
        }
        match self
            .download_verified_target(target, hash, size, &mut tokio::io::sink())
            .await
        {
            Ok(()) => Ok(true),
            Err(
                StoreError::HashMismatch { .. }
                | StoreError::SizeMismatch { .. }
                | StoreError::NotFound { .. },
            ) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn uploaded(target: Target, content_hash: Hash, size: u64, reused: bool) -> Uploaded {
    Uploaded {
        url: target.url,
        content_hash,
        size,
        reused,
    }
}

fn random_name() -> Result<String, StoreError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| FileError::Randomness(e.to_string()))?;
    Ok(hex::encode(b))
}

fn check_header(bytes: &[u8], path: &Path) -> Result<(), StoreError> {
    Header::parse(&bytes[..bytes.len().min(HEADER_LEN)])
        .map(|_| ())
        .map_err(|reason| StoreError::NotEncrypted {
            path: path.to_owned(),
            reason,
        })
}

fn check_header_reader(file: &mut File, path: &Path) -> Result<(), StoreError> {
    let mut h = Vec::with_capacity(HEADER_LEN);
    file.take(HEADER_LEN as u64)
        .read_to_end(&mut h)
        .map_err(|e| StoreError::io(format!("reading {}", path.display()), e))?;
    check_header(&h, path)
}

/// Reads `path` in parts of `part_size`, sending each and hashing all; returns the hash.
fn read_parts(
    path: &PathBuf,
    part_size: usize,
    tx: mpsc::Sender<Bytes>,
) -> Result<Hash, StoreError> {
    let ctx = || format!("reading {}", path.display());
    let mut file = File::open(path).map_err(|e| StoreError::io(ctx(), e))?;
    let mut hasher = blake3::Hasher::new();
    loop {
        let mut buf = BytesMut::zeroed(part_size);
        let mut filled = 0;
        while filled < part_size {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StoreError::io(ctx(), e)),
            }
        }
        if filled == 0 {
            return Ok(hash_of(&hasher));
        }
        buf.truncate(filled);
        hasher.update(&buf);
        if tx.blocking_send(buf.freeze()).is_err() {
            // The uploader stopped; its error is the one reported.
            return Ok(hash_of(&hasher));
        }
        if filled < part_size {
            return Ok(hash_of(&hasher));
        }
    }
}

/// The `Write` the encryptor writes into: cuts the ciphertext into parts for the uploader.
struct PartWriter {
    tx: mpsc::Sender<Bytes>,
    buf: BytesMut,
    part_size: usize,
}

impl PartWriter {
    fn new(tx: mpsc::Sender<Bytes>, part_size: usize) -> Self {
        PartWriter {
            tx,
            buf: BytesMut::with_capacity(part_size),
            part_size,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        let part = std::mem::replace(&mut self.buf, BytesMut::with_capacity(self.part_size));
        self.tx
            .blocking_send(part.freeze())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped"))
    }

    /// Sends what is left (the last, short part).
    fn close(mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }
}

impl Write for PartWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = (self.part_size - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == self.part_size {
            self.send()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type PartFuture = BoxFuture<'static, Result<(usize, Option<PartId>), StoreError>>;

enum Parts {
    /// `object_store`'s local multipart upload (a staging file renamed into place).
    Local(Box<dyn MultipartUpload>),
    /// S3's multipart API, driven part by part so each request is retried on its own.
    S3 {
        store: Arc<AmazonS3>,
        path: ObjPath,
        id: MultipartId,
    },
}

/// A multipart upload with at most `parts_in_flight` parts on the way.
struct PartUploader {
    parts: Parts,
    target: Target,
    policy: RetryPolicy,
    limit: usize,
    in_flight: FuturesUnordered<PartFuture>,
    next: usize,
    done: Vec<Option<PartId>>,
}

impl PartUploader {
    async fn begin(store: &DataStore, target: &Target) -> Result<Self, StoreError> {
        let policy = *store.policy();
        let parts = match &target.backend {
            Backend::Local(local) => {
                let up = local.put_multipart(&target.path).await.map_err(|source| {
                    StoreError::Store {
                        url: target.text.clone(),
                        source,
                    }
                })?;
                Parts::Local(up)
            }
            Backend::S3(s3) => {
                let id =
                    with_retry(&policy, &target.text, || s3.create_multipart(&target.path)).await?;
                Parts::S3 {
                    store: Arc::clone(s3),
                    path: target.path.clone(),
                    id,
                }
            }
            Backend::Http(_) => {
                return Err(StoreError::ReadOnly {
                    url: target.text.clone(),
                });
            }
        };
        Ok(PartUploader {
            parts,
            target: target.clone(),
            policy,
            limit: store.config().parts_in_flight,
            in_flight: FuturesUnordered::new(),
            next: 0,
            done: Vec::new(),
        })
    }

    async fn settle_one(&mut self) -> Result<(), StoreError> {
        if let Some(r) = self.in_flight.next().await {
            let (idx, part) = r?;
            if let Some(part) = part {
                if self.done.len() <= idx {
                    self.done.resize(idx + 1, None);
                }
                self.done[idx] = Some(part);
            }
        }
        Ok(())
    }

    async fn push(&mut self, data: Bytes) -> Result<(), StoreError> {
        while self.in_flight.len() >= self.limit {
            self.settle_one().await?;
        }
        let idx = self.next;
        self.next += 1;
        let url = self.target.text.clone();
        let fut: PartFuture = match &mut self.parts {
            Parts::Local(up) => up
                .put_part(PutPayload::from(data))
                .map(move |r| match r {
                    Ok(()) => Ok((idx, None)),
                    Err(source) => Err(StoreError::Store { url, source }),
                })
                .boxed(),
            Parts::S3 { store, path, id } => {
                let (store, path, id, policy) =
                    (Arc::clone(store), path.clone(), id.clone(), self.policy);
                async move {
                    let part = with_retry(&policy, &url, || {
                        store.put_part(&path, &id, idx, PutPayload::from(data.clone()))
                    })
                    .await?;
                    Ok((idx, Some(part)))
                }
                .boxed()
            }
        };
        self.in_flight.push(fut);
        Ok(())
    }

    /// Waits for every part, then completes the upload (an object of `size` bytes).
    async fn finish(mut self, size: u64) -> Result<(), StoreError> {
        while !self.in_flight.is_empty() {
            if let Err(e) = self.settle_one().await {
                self.abort().await;
                return Err(e);
            }
        }
        let url = self.target.text.clone();
        let result = match &mut self.parts {
            Parts::Local(up) => up
                .complete()
                .await
                .map(|_| ())
                .map_err(|source| StoreError::Store { url, source }),
            Parts::S3 { store, path, id } => {
                let parts: Option<Vec<PartId>> = self.done.iter().cloned().collect();
                let parts = parts.filter(|p| p.len() == self.next).ok_or_else(|| {
                    StoreError::io(
                        "completing the upload",
                        io::Error::other("a part is missing"),
                    )
                })?;
                match with_retry(&self.policy, &url, || {
                    store.complete_multipart(path, id, parts.clone())
                })
                .await
                {
                    Ok(_) => Ok(()),
                    // A completion whose answer was lost: the retry finds no upload, and the
                    // object is in place.
                    Err(StoreError::NotFound { .. })
                        if store.head(path).await.is_ok_and(|meta| meta.size == size) =>
                    {
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if result.is_err() {
            self.abort().await;
        }
        result
    }

    /// Best effort: a failed abort leaves parts a lifecycle rule will clean.
    async fn abort(&mut self) {
        self.in_flight.clear();
        let r = match &mut self.parts {
            Parts::Local(up) => up.abort().await,
            Parts::S3 { store, path, id } => store.abort_multipart(path, id).await,
        };
        if let Err(e) = r {
            tracing::debug!(url = %self.target.text, error = %e, "aborting an upload failed");
        }
    }
}
