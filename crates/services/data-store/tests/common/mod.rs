//! Test fixtures: a real `s3s-fs` server, a tiny HTTP file server, plaintext generators.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use synod_data_store::{RetryPolicy, S3Options, StoreConfig};
use synod_primitives::Hash;

pub const ACCESS_KEY: &str = "synod-test-access";
pub const SECRET_KEY: &str = "synod-test-secret-key";
pub const BUCKET: &str = "pool-data";

/// Where the `s3s-fs` binary is: `$S3S_FS`, else on `PATH`, else in cargo's bin directory.
pub fn s3s_fs_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("S3S_FS") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("s3s-fs"))
        .find(|p| p.is_file())
}

/// A running `s3s-fs` (the S3 API over a directory; each bucket is a folder under `root`),
/// killed on drop.
pub struct S3sFs {
    child: Child,
    pub root: tempfile::TempDir,
    pub endpoint: String,
}

impl S3sFs {
    /// Starts one on a port the kernel picks (read back from its log), with bucket
    /// [`BUCKET`]; `None`, after saying so, when `s3s-fs` is not installed.
    pub fn start() -> Option<S3sFs> {
        let Some(bin) = s3s_fs_binary() else {
            eprintln!(
                "SKIPPED: s3s-fs is not installed, so the S3 tests did not run \
                 (cargo install s3s-fs --version 0.14.1 --features binary --locked; \
                 .ci/run does this)"
            );
            return None;
        };
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .env("RUST_LOG", "s3s_fs=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address from the log, then keeps draining it so the server never blocks.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("server is running at http://") {
                    let addr = line[at + "server is running at http://".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr);
                    }
                }
            }
        });
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a.parse().expect("address in the s3s-fs log"),
            Err(_) => {
                let _ = child.kill();
                panic!("s3s-fs did not report its address within 30 s");
            }
        };
        Some(S3sFs {
            child,
            root,
            endpoint: format!("http://{addr}"),
        })
    }

    pub fn s3_options(&self) -> S3Options {
        S3Options {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            session_token: None,
        }
    }

    /// Test configuration: this server, short retries.
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            s3: self.s3_options(),
            ..quick_config()
        }
    }

    /// The file holding object `key` of [`BUCKET`].
    pub fn object_file(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Defaults with short retries (3 attempts from 20 ms).
pub fn quick_config() -> StoreConfig {
    StoreConfig {
        retry: RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        },
        ..StoreConfig::default()
    }
}

/// `len` pseudo-random bytes (xorshift64 from `seed`), generated as they are read.
pub struct Noise {
    state: u64,
    left: u64,
}

impl Noise {
    pub fn new(seed: u64, len: u64) -> Self {
        Noise {
            state: seed | 1,
            left: len,
        }
    }
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            chunk.copy_from_slice(&self.state.to_le_bytes()[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    Noise::new(seed, len as u64)
        .read_to_end(&mut v)
        .expect("noise");
    v
}

/// An `AsyncWrite` that keeps only the BLAKE3 and length of what it is given.
#[derive(Default)]
pub struct HashSink {
    hasher: blake3::Hasher,
    pub len: u64,
}

impl HashSink {
    pub fn hash(&self) -> Hash {
        Hash(*self.hasher.finalize().as_bytes())
    }
}

impl tokio::io::AsyncWrite for HashSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Requests a [`FileServer`] has answered, by route.
#[derive(Default)]
pub struct Hits {
    pub files: AtomicUsize,
    pub status: AtomicUsize,
    pub flaky: AtomicUsize,
}

struct ServerState {
    dir: PathBuf,
    hits: Hits,
}

/// A tiny HTTP server over a directory:
/// * `GET /files/<name>`: the file, with `Range: bytes=N-` support (206);
/// * `GET /status/<code>`: that status, nothing else;
/// * `GET /flaky/<name>`: the first time, the headers of the whole file and half its body,
///   then the connection is cut; after that like `/files/`.
pub struct FileServer {
    pub base: String,
    state: Arc<ServerState>,
}

impl FileServer {
    pub async fn start(dir: &Path) -> FileServer {
        let state = Arc::new(ServerState {
            dir: dir.to_owned(),
            hits: Hits::default(),
        });
        let app = axum::Router::new()
            .route("/files/{name}", get(serve_file))
            .route("/status/{code}", get(serve_status))
            .route("/flaky/{name}", get(serve_flaky))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FileServer {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn hits(&self) -> &Hits {
        &self.state.hits
    }
}

fn range_start(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = v.strip_prefix("bytes=")?;
    let (start, _) = spec.split_once('-')?;
    start.parse().ok()
}

fn file_response(dir: &Path, name: &str, headers: &HeaderMap) -> Response {
    let Ok(data) = std::fs::read(dir.join(name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let len = data.len() as u64;
    match range_start(headers) {
        Some(start) if start < len => (
            StatusCode::PARTIAL_CONTENT,
            [
                (
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{}/{len}", len - 1),
                ),
                (header::CONTENT_LENGTH, (len - start).to_string()),
            ],
            data[start as usize..].to_vec(),
        )
            .into_response(),
        Some(_) => StatusCode::RANGE_NOT_SATISFIABLE.into_response(),
        None => ([(header::CONTENT_LENGTH, len.to_string())], data).into_response(),
    }
}

async fn serve_file(
    State(s): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    s.hits.files.fetch_add(1, Ordering::SeqCst);
    file_response(&s.dir, &name, &headers)
}

async fn serve_status(State(s): State<Arc<ServerState>>, UrlPath(code): UrlPath<u16>) -> Response {
    s.hits.status.fetch_add(1, Ordering::SeqCst);
    StatusCode::from_u16(code)
        .unwrap_or(StatusCode::BAD_REQUEST)
        .into_response()
}

async fn serve_flaky(
    State(s): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if s.hits.flaky.fetch_add(1, Ordering::SeqCst) > 0 {
        return file_response(&s.dir, &name, &headers);
    }
    let Ok(data) = std::fs::read(s.dir.join(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let len = data.len();
    let half = bytes::Bytes::from(data[..len / 2].to_vec());
    let body = futures::stream::iter([
        Ok(half),
        Err(std::io::Error::other("connection cut by the test")),
    ]);
    (
        [(header::CONTENT_LENGTH, len.to_string())],
        Body::from_stream(body),
    )
        .into_response()
}
