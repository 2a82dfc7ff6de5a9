//! [`DataStore`]: the `object_store` backends behind each kind of [`StoreUrl`], and retries.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::http::{HttpBuilder, HttpStore};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use synod_primitives::Hash;

use crate::config::{RetryPolicy, StoreConfig};
use crate::error::{Failure, StoreError, classify};
use crate::location::{StoreUrl, UrlError};

/// What an upload produced: what the chain registers about the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    /// The object's full URL, the one [`DataStore::download_verified`] takes.
    pub url: StoreUrl,
    /// BLAKE3 of the ciphertext (the object's bytes).
    pub content_hash: Hash,
    /// The object's size in bytes.
    pub size: u64,
    /// Whether the object was already in the store, whole and correct, so nothing was sent.
    pub reused: bool,
}

/// The name of the object holding a ciphertext: its content hash in lowercase hex (no `0x`),
/// so that uploading the same ciphertext twice gives the same URL.
pub fn object_name(content_hash: &Hash) -> String {
    hex::encode(content_hash.as_bytes())
}

/// Puts encrypted files in the stores users choose and gets them back verified.
///
/// Cheap to clone (one shared state); S3 clients are made once per bucket and reused. Every
/// method is `async` (tokio); blocking work (reading the file, encryption, hashing large
/// buffers, decryption) runs on tokio's blocking threads.
#[derive(Clone)]
pub struct DataStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: StoreConfig,
    local: Arc<LocalFileSystem>,
    s3: Mutex<HashMap<String, Arc<AmazonS3>>>,
}

impl std::fmt::Debug for DataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStore")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The store that serves one URL.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Local(Arc<LocalFileSystem>),
    S3(Arc<AmazonS3>),
    Http(Arc<HttpStore>),
}

impl Backend {
    pub(crate) fn store(&self) -> &dyn ObjectStore {
        match self {
            Backend::Local(s) => s.as_ref(),
            Backend::S3(s) => s.as_ref(),
            Backend::Http(s) => s.as_ref(),
        }
    }
}

/// One object (or location) resolved to its backend and path there.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) backend: Backend,
    pub(crate) path: ObjPath,
    pub(crate) url: StoreUrl,
    /// `url` as text, for errors.
    pub(crate) text: String,
}

impl DataStore {
    /// A store client with this configuration (checked here: a bad part size or half a pair of
    /// credentials is refused at once, not at the first upload).
    pub fn new(config: StoreConfig) -> Result<Self, StoreError> {
        config.check().map_err(StoreError::Config)?;
        let local = Arc::new(LocalFileSystem::new().with_fsync(config.local_fsync));
        Ok(DataStore {
            inner: Arc::new(Inner {
                config,
                local,
                s3: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.inner.config.retry
    }

    /// HTTP client settings shared by S3 and HTTP stores. `object_store`'s own retries are
    /// off: [`with_retry`] is the one retry loop, so attempts are counted exactly.
    fn client_options(&self, allow_http: bool) -> ClientOptions {
        let c = &self.inner.config;
        ClientOptions::new()
            .with_allow_http(allow_http)
            .with_connect_timeout(c.connect_timeout)
            .with_read_timeout(c.read_timeout)
            .with_timeout_disabled()
    }

    fn no_retries() -> RetryConfig {
        RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        }
    }

    fn s3_store(&self, bucket: &str) -> Result<Arc<AmazonS3>, StoreError> {
        let mut cache = self
            .inner
            .s3
            .lock()
            .map_err(|_| StoreError::Config("S3 client cache poisoned by a panic".into()))?;
        if let Some(store) = cache.get(bucket) {
            return Ok(Arc::clone(store));
        }
        let o = &self.inner.config.s3;
        let allow_http = o
            .endpoint
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"));
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(o.region.as_deref().unwrap_or("us-east-1"))
            .with_virtual_hosted_style_request(false)
            .with_client_options(self.client_options(allow_http))
            .with_retry(Self::no_retries())
            // The BLAKE3 content hash already checks every byte end to end; signing the
            // payload would SHA-256 all of it once more.
            .with_unsigned_payload(true);
        if let Some(endpoint) = &o.endpoint {
            b = b.with_endpoint(endpoint.trim_end_matches('/'));
        }
        match (&o.access_key_id, &o.secret_access_key) {
            (Some(id), Some(secret)) => {
                b = b.with_access_key_id(id).with_secret_access_key(secret);
                if let Some(token) = &o.session_token {
                    b = b.with_token(token);
                }
            }
            // Anonymous requests (public buckets) rather than a hunt for instance credentials.
            _ => b = b.with_skip_signature(true),
        }
        let store =
            Arc::new(b.build().map_err(|e| {
                StoreError::Config(format!("S3 client for bucket {bucket:?}: {e}"))
            })?);
        cache.insert(bucket.to_owned(), Arc::clone(&store));
        Ok(store)
    }

    fn http_store(&self, url: &url::Url) -> Result<Arc<HttpStore>, StoreError> {
        let store = HttpBuilder::new()
            .with_url(url.as_str())
            .with_client_options(self.client_options(url.scheme() == "http"))
            .with_retry(Self::no_retries())
            .build()
            .map_err(|e| StoreError::Config(format!("HTTP client for {url}: {e}")))?;
        Ok(Arc::new(store))
    }

    /// The backend and path of `url`.
    pub(crate) fn resolve(&self, url: &StoreUrl) -> Result<Target, StoreError> {
        let text = url.to_string();
        let bad = |reason: String| {
            StoreError::BadUrl(UrlError {
                url: text.clone(),
                reason,
            })
        };
        let (backend, path) = match url {
            StoreUrl::File { path } => {
                let p = ObjPath::from_absolute_path(path)
                    .map_err(|e| bad(format!("not a usable local path: {e}")))?;
                (Backend::Local(Arc::clone(&self.inner.local)), p)
            }
            StoreUrl::S3 { bucket, key } => {
                let p = ObjPath::parse(key).map_err(|e| bad(format!("not a usable key: {e}")))?;
                (Backend::S3(self.s3_store(bucket)?), p)
            }
            // The store's base URL is the whole address (query included): the object is at
            // its root.
            StoreUrl::Http { url } => (Backend::Http(self.http_store(url)?), ObjPath::default()),
        };
        Ok(Target {
            backend,
            path,
            url: url.clone(),
            text,
        })
    }
}

/// Runs `op` until it succeeds, fails for good, or `policy.attempts` tries failed on an
/// unreachable store (then [`StoreError::Unreachable`]). Not-found is reported at once.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    url: &str,
    mut op: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = object_store::Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) => match classify(&e) {
                Failure::NotFound => {
                    return Err(StoreError::NotFound {
                        url: url.to_owned(),
                    });
                }
                Failure::Fatal => {
                    return Err(StoreError::Store {
                        url: url.to_owned(),
                        source: e,
                    });
                }
                Failure::Transient if attempt >= policy.max_attempts() => {
                    return Err(StoreError::Unreachable {
                        url: url.to_owned(),
                        attempts: attempt,
                        last_error: e.to_string(),
                    });
                }
                Failure::Transient => {
                    tracing::debug!(url, attempt, error = %e, "store unreachable; retrying");
                    tokio::time::sleep(policy.delay_after(attempt)).await;
                }
            },
        }
    }
}
