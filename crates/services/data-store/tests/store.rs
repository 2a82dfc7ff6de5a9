//! Uploads and downloads against a local directory, a real S3-compatible server (`s3s-fs`,
//! skipped with a message when it is not installed) and a tiny HTTP server.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{BUCKET, FileServer, S3sFs, noise, quick_config};
use synod_data_crypto::{EncryptOptions, FileKey, content_hash, encrypt};
use synod_data_store::{
    DataStore, INCOMING_DIR, S3Options, StoreConfig, StoreError, StoreUrl, object_name,
};
use synod_primitives::Hash;

fn key() -> FileKey {
    FileKey::from_bytes([7; 32])
}

fn fixed(chunk_size: u32) -> EncryptOptions {
    EncryptOptions {
        chunk_size,
        nonce_prefix: [3; 19],
    }
}

fn store(config: StoreConfig) -> DataStore {
    DataStore::new(config).expect("config")
}

fn local(dir: &std::path::Path) -> StoreUrl {
    StoreUrl::local(dir).expect("local dir")
}

/// Encrypts and uploads `plain`, then checks both download paths give it back.
async fn round_trip(ds: &DataStore, to: &StoreUrl, plain: &[u8]) -> synod_data_store::Uploaded {
    let opts = EncryptOptions::random().expect("rng");
    let (up, summary) = ds
        .upload_encrypt(to, std::io::Cursor::new(plain.to_vec()), &key(), &opts)
        .await
        .expect("upload_encrypt");
    assert_eq!(summary.plaintext_len, plain.len() as u64);
    assert_eq!(up.size, summary.ciphertext_len);
    assert_eq!(up.content_hash, summary.content_hash);
    assert_eq!(
        up.url.to_string(),
        format!("{}/{}", to, object_name(&up.content_hash))
    );
    // The URL as the chain would keep it, parsed back.
    let url = StoreUrl::parse(&up.url.to_string()).expect("url parses back");
    let mut out = Vec::new();
    let n = ds
        .download_decrypt(&url, &up.content_hash, up.size, &key(), &mut out)
        .await
        .expect("download_decrypt");
    assert_eq!(n, plain.len() as u64);
    assert!(out == plain, "plaintext differs");
    let mut ct = Vec::new();
    ds.download_verified(&url, &up.content_hash, up.size, &mut ct)
        .await
        .expect("download_verified");
    assert_eq!(content_hash(&ct), up.content_hash);
    up
}

#[tokio::test]
async fn local_round_trip_and_file_upload() {
    let dir = tempfile::tempdir().expect("tmp");
    let to = local(&dir.path().join("store"));
    let ds = store(quick_config());
    for len in [0usize, 1, 100_000] {
        let up = round_trip(&ds, &to, &noise(len as u64, len)).await;
        assert!(up.url.to_string().starts_with("file:///"));
        assert!(
            dir.path()
                .join("store")
                .join(object_name(&up.content_hash))
                .is_file()
        );
    }
    // Larger than a part: staged under incoming/, then renamed to its name.
    round_trip(&ds, &to, &noise(9, 12 << 20)).await;
    let incoming = dir.path().join("store").join(INCOMING_DIR);
    let left: Vec<_> = std::fs::read_dir(&incoming)
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging objects left: {left:?}");

    // An encrypted file on disk, uploaded as is (one part, then several).
    for len in [5_000usize, 20 << 20] {
        let ct = encrypt(&noise(len as u64, len), &key(), &fixed(65_536)).expect("encrypt");
        let file = dir.path().join(format!("file-{len}.enc"));
        std::fs::write(&file, &ct).expect("write");
        let up = ds.upload_file(&to, &file).await.expect("upload_file");
        assert_eq!(
            (up.content_hash, up.size),
            (content_hash(&ct), ct.len() as u64)
        );
        assert!(!up.reused);
        let stored = std::fs::read(dir.path().join("store").join(object_name(&up.content_hash)))
            .expect("stored object");
        assert!(stored == ct);
        let again = ds.upload_file(&to, &file).await.expect("again");
        assert_eq!(again.url, up.url);
        assert!(again.reused);
    }

    // The _to_path forms publish only a verified (and decrypted) file.
    let plain = noise(5, 300_000);
    let (up, _) = ds
        .upload_encrypt(
            &to,
            std::io::Cursor::new(plain.clone()),
            &key(),
            &fixed(4096),
        )
        .await
        .expect("upload");
    let ct_path = dir.path().join("out/ct.enc");
    std::fs::create_dir_all(dir.path().join("out")).expect("mkdir");
    ds.download_verified_to_path(&up.url, &up.content_hash, up.size, &ct_path)
        .await
        .expect("to path");
    assert_eq!(
        content_hash(&std::fs::read(&ct_path).expect("read")),
        up.content_hash
    );
    let pt_path = dir.path().join("out/plain.bin");
    let n = ds
        .download_decrypt_to_path(&up.url, &up.content_hash, up.size, &key(), &pt_path)
        .await
        .expect("decrypt to path");
    assert_eq!(n, plain.len() as u64);
    assert!(std::fs::read(&pt_path).expect("read") == plain);
    // A wrong key is refused and leaves no file.
    let bad = dir.path().join("out/bad.bin");
    let err = ds
        .download_decrypt_to_path(
            &up.url,
            &up.content_hash,
            up.size,
            &FileKey::from_bytes([8; 32]),
            &bad,
        )
        .await
        .expect_err("wrong key");
    assert!(
        matches!(
            err,
            StoreError::Crypto(synod_data_crypto::FileError::WrongKey)
        ),
        "{err}"
    );
    assert!(!bad.exists());
    let names: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .expect("out")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "temporary files left: {names:?}");
}

#[tokio::test]
async fn default_store_under_the_data_dir() {
    let data_dir = tempfile::tempdir().expect("tmp");
    let to = StoreUrl::parse_or_default(None, data_dir.path()).expect("default");
    let ds = store(quick_config());
    let up = round_trip(&ds, &to, b"default store").await;
    assert!(
        data_dir
            .path()
            .join("data-store")
            .join(object_name(&up.content_hash))
            .is_file()
    );
}

#[tokio::test]
async fn local_idempotent_tamper_and_repair() {
    let dir = tempfile::tempdir().expect("tmp");
    let to = local(dir.path());
    let ds = store(quick_config());
    let ct = Bytes::from(encrypt(b"hello pools", &key(), &fixed(64)).expect("encrypt"));
    let first = ds.upload_bytes(&to, ct.clone()).await.expect("upload");
    let second = ds.upload_bytes(&to, ct.clone()).await.expect("again");
    assert_eq!(first.url, second.url);
    assert!(!first.reused && second.reused);
    // Same plaintext, key and options: the same ciphertext, the same object.
    let (third, _) = ds
        .upload_encrypt(&to, &b"hello pools"[..], &key(), &fixed(64))
        .await
        .expect("encrypt upload");
    assert_eq!(third.url, first.url);

    let file = dir.path().join(object_name(&first.content_hash));
    let mut bytes = std::fs::read(&file).expect("read");
    bytes[70] ^= 1;
    std::fs::write(&file, &bytes).expect("tamper");
    let mut out = Vec::new();
    let err = ds
        .download_decrypt(
            &first.url,
            &first.content_hash,
            first.size,
            &key(),
            &mut out,
        )
        .await
        .expect_err("tampered");
    match err {
        StoreError::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, first.content_hash);
            assert_eq!(actual, content_hash(&bytes));
        }
        other => panic!("expected HashMismatch, got {other}"),
    }
    assert!(out.is_empty(), "plaintext emitted from tampered ciphertext");
    // Uploading again repairs it.
    let repaired = ds.upload_bytes(&to, ct.clone()).await.expect("repair");
    assert!(!repaired.reused);
    let mut out = Vec::new();
    ds.download_decrypt(
        &first.url,
        &first.content_hash,
        first.size,
        &key(),
        &mut out,
    )
    .await
    .expect("repaired download");
    assert_eq!(out, b"hello pools");
}

#[tokio::test]
async fn only_ciphertext_is_uploaded() {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = store(quick_config());
    let err = ds
        .upload_bytes(
            &local(dir.path()),
            Bytes::from_static(b"plain text, not encrypted"),
        )
        .await
        .expect_err("plaintext");
    assert!(matches!(err, StoreError::NotEncrypted { .. }), "{err}");
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, vec![b'x'; 1000]).expect("write");
    let err = ds
        .upload_file(&local(dir.path()), &file)
        .await
        .expect_err("plaintext file");
    assert!(matches!(err, StoreError::NotEncrypted { .. }), "{err}");
    assert!(err.to_string().contains("plain.txt"), "{err}");
}

#[tokio::test]
async fn s3_round_trip() {
    let Some(s3) = S3sFs::start() else { return };
    let ds = store(s3.config());
    let to = StoreUrl::parse(&format!("s3://{BUCKET}/pools/p1")).expect("url");
    for len in [0usize, 10, 1 << 20] {
        let up = round_trip(&ds, &to, &noise(len as u64 + 1, len)).await;
        assert!(
            up.url
                .to_string()
                .starts_with(&format!("s3://{BUCKET}/pools/p1/"))
        );
        assert!(
            s3.object_file(&format!("pools/p1/{}", object_name(&up.content_hash)))
                .is_file()
        );
    }
    // Several parts: staged, copied to its name, the staging object deleted.
    let up = round_trip(&ds, &to, &noise(77, 19 << 20)).await;
    assert!(up.size > (19 << 20));
    let incoming = s3.object_file(&format!("pools/p1/{INCOMING_DIR}"));
    let left: Vec<_> = std::fs::read_dir(&incoming)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging objects left: {left:?}");
    // At the bucket's root too.
    round_trip(
        &ds,
        &StoreUrl::parse(&format!("s3://{BUCKET}")).expect("url"),
        b"root",
    )
    .await;
    // A file on disk through S3, in parts.
    let dir = tempfile::tempdir().expect("tmp");
    let ct = encrypt(&noise(4, 11 << 20), &key(), &fixed(1 << 20)).expect("encrypt");
    let file = dir.path().join("big.enc");
    std::fs::write(&file, &ct).expect("write");
    let up = ds.upload_file(&to, &file).await.expect("upload_file");
    assert!(
        std::fs::read(s3.object_file(&format!("pools/p1/{}", object_name(&up.content_hash))))
            .expect("object")
            == ct
    );
}

#[tokio::test]
async fn s3_credentials_from_the_environment_form() {
    let Some(s3) = S3sFs::start() else { return };
    // The variables a user would export, read through S3Options::from_vars.
    let env = |name: &str| match name {
        "AWS_ENDPOINT_URL" => Some(s3.endpoint.clone()),
        "AWS_ACCESS_KEY_ID" => Some(common::ACCESS_KEY.to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some(common::SECRET_KEY.to_owned()),
        "AWS_REGION" => Some("us-east-1".to_owned()),
        _ => None,
    };
    let config = StoreConfig {
        s3: S3Options::default().or(S3Options::from_vars(env)),
        ..quick_config()
    };
    let ds = store(config);
    round_trip(
        &ds,
        &StoreUrl::parse(&format!("s3://{BUCKET}/env")).expect("url"),
        b"env",
    )
    .await;
    // Wrong credentials: refused at once, not retried as if unreachable.
    let config = StoreConfig {
        s3: S3Options {
            secret_access_key: Some("wrong".into()),
            ..s3.s3_options()
        },
        ..quick_config()
    };
    let err = store(config)
        .upload_bytes(
            &StoreUrl::parse(&format!("s3://{BUCKET}/env")).expect("url"),
            Bytes::from(encrypt(b"x", &key(), &fixed(64)).expect("encrypt")),
        )
        .await
        .expect_err("bad secret");
    assert!(matches!(err, StoreError::Store { .. }), "{err}");
}

#[tokio::test]
async fn s3_idempotent_reupload() {
    let Some(s3) = S3sFs::start() else { return };
    let ds = store(s3.config());
    let to = StoreUrl::parse(&format!("s3://{BUCKET}/idem")).expect("url");
    let ct = Bytes::from(encrypt(&noise(1, 50_000), &key(), &fixed(4096)).expect("encrypt"));
    let a = ds.upload_bytes(&to, ct.clone()).await.expect("first");
    let b = ds.upload_bytes(&to, ct.clone()).await.expect("second");
    assert_eq!(a.url, b.url);
    assert!(!a.reused && b.reused);
    let listed: Vec<_> = std::fs::read_dir(s3.object_file("idem"))
        .expect("prefix dir")
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn s3_tampered_object_is_refused_before_decryption() {
    let Some(s3) = S3sFs::start() else { return };
    let ds = store(s3.config());
    let to = StoreUrl::parse(&format!("s3://{BUCKET}/t")).expect("url");
    let plain = noise(2, 200_000);
    let (up, _) = ds
        .upload_encrypt(&to, std::io::Cursor::new(plain), &key(), &fixed(4096))
        .await
        .expect("upload");
    let file = s3.object_file(&format!("t/{}", object_name(&up.content_hash)));
    let mut bytes = std::fs::read(&file).expect("object file");
    // A flipped bit in the middle of a chunk: the same size, another hash.
    bytes[100_000] ^= 0x20;
    std::fs::write(&file, &bytes).expect("tamper");

    let mut out = Vec::new();
    let err = ds
        .download_decrypt(&up.url, &up.content_hash, up.size, &key(), &mut out)
        .await
        .expect_err("tampered");
    match &err {
        StoreError::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(*expected, up.content_hash);
            assert_eq!(*actual, content_hash(&bytes));
        }
        other => panic!("expected HashMismatch, got {other}"),
    }
    assert!(out.is_empty(), "plaintext emitted from tampered ciphertext");

    // Through a temporary file too (objects above the memory threshold).
    let config = StoreConfig {
        memory_threshold: 1000,
        ..s3.config()
    };
    let mut out = Vec::new();
    let err = store(config)
        .download_decrypt(&up.url, &up.content_hash, up.size, &key(), &mut out)
        .await
        .expect_err("tampered");
    assert!(matches!(err, StoreError::HashMismatch { .. }), "{err}");
    assert!(out.is_empty());

    // And the path form leaves nothing behind.
    let dir = tempfile::tempdir().expect("tmp");
    let dest = dir.path().join("plain");
    let err = ds
        .download_decrypt_to_path(&up.url, &up.content_hash, up.size, &key(), &dest)
        .await
        .expect_err("tampered");
    assert!(matches!(err, StoreError::HashMismatch { .. }), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[tokio::test]
async fn s3_size_mismatch() {
    let Some(s3) = S3sFs::start() else { return };
    let ds = store(s3.config());
    let to = StoreUrl::parse(&format!("s3://{BUCKET}/s")).expect("url");
    let ct = Bytes::from(encrypt(&noise(3, 10_000), &key(), &fixed(1024)).expect("encrypt"));
    let up = ds.upload_bytes(&to, ct.clone()).await.expect("upload");
    // Registered size wrong.
    let err = ds
        .download_verified(&up.url, &up.content_hash, up.size + 5, &mut Vec::new())
        .await
        .expect_err("size");
    assert!(
        matches!(err, StoreError::SizeMismatch { expected, actual, .. } if expected == up.size + 5 && actual == up.size),
        "{err}"
    );
    // The stored object grew.
    let file = s3.object_file(&format!("s/{}", object_name(&up.content_hash)));
    let mut bytes = ct.to_vec();
    bytes.extend_from_slice(b"extra");
    std::fs::write(&file, &bytes).expect("append");
    let mut out = Vec::new();
    let err = ds
        .download_decrypt(&up.url, &up.content_hash, up.size, &key(), &mut out)
        .await
        .expect_err("grown");
    assert!(
        matches!(err, StoreError::SizeMismatch { expected, actual, .. } if expected == up.size && actual == up.size + 5),
        "{err}"
    );
    assert!(out.is_empty());
}

#[tokio::test]
async fn not_found_is_reported_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = store(StoreConfig {
        retry: synod_data_store::RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(2),
        },
        ..StoreConfig::default()
    });
    let missing = Hash([9; 32]);
    // Time spent in downloads (not in starting servers).
    let mut spent = Duration::ZERO;
    let url = local(dir.path()).join(&object_name(&missing));
    let started = Instant::now();
    let err = ds
        .download_verified(&url, &missing, 100, &mut Vec::new())
        .await
        .expect_err("missing");
    spent += started.elapsed();
    assert!(
        matches!(&err, StoreError::NotFound { url: u } if *u == url.to_string()),
        "{err}"
    );

    let server = FileServer::start(dir.path()).await;
    let url = StoreUrl::parse(&format!("{}/files/nothing", server.base)).expect("url");
    let started = Instant::now();
    let err = ds
        .download_verified(&url, &missing, 100, &mut Vec::new())
        .await
        .expect_err("missing");
    spent += started.elapsed();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert_eq!(server.hits().files.load(Ordering::SeqCst), 1);

    if let Some(s3) = S3sFs::start() {
        let ds = store(StoreConfig {
            s3: s3.s3_options(),
            ..ds.config().clone()
        });
        let url =
            StoreUrl::parse(&format!("s3://{BUCKET}/none/{}", object_name(&missing))).expect("url");
        let started = Instant::now();
        let err = ds
            .download_decrypt(&url, &missing, 100, &key(), &mut Vec::new())
            .await
            .expect_err("missing");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        // A bucket that does not exist is not found either.
        let url = StoreUrl::parse("s3://no-such-bucket/x").expect("url");
        let err = ds
            .download_verified(&url, &missing, 100, &mut Vec::new())
            .await
            .expect_err("missing bucket");
        spent += started.elapsed();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }
    // No 2 s backoff was waited anywhere.
    assert!(spent < Duration::from_secs(2), "{spent:?}");
}

#[tokio::test]
async fn unreachable_store_after_the_configured_retries() {
    // A port nothing listens on: bound, then closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let config = StoreConfig {
        s3: S3Options {
            endpoint: Some(format!("http://127.0.0.1:{closed}")),
            access_key_id: Some("a".into()),
            secret_access_key: Some("b".into()),
            ..S3Options::default()
        },
        ..quick_config()
    };
    let ds = store(config);
    let url =
        StoreUrl::parse(&format!("s3://{BUCKET}/x/{}", object_name(&Hash([1; 32])))).expect("url");
    let started = Instant::now();
    let err = ds
        .download_verified(&url, &Hash([1; 32]), 10, &mut Vec::new())
        .await
        .expect_err("closed port");
    let elapsed = started.elapsed();
    match &err {
        StoreError::Unreachable {
            url: u,
            attempts,
            last_error,
        } => {
            assert_eq!(*u, url.to_string());
            assert_eq!(*attempts, 3);
            assert!(!last_error.is_empty());
        }
        other => panic!("expected Unreachable, got {other}"),
    }
    // Waited 20 ms then 40 ms between the three tries.
    assert!(elapsed >= Duration::from_millis(60), "{elapsed:?}");
    let ct = Bytes::from(encrypt(b"x", &key(), &fixed(64)).expect("encrypt"));
    let err = ds
        .upload_bytes(
            &StoreUrl::parse(&format!("s3://{BUCKET}/x")).expect("url"),
            ct,
        )
        .await
        .expect_err("closed port");
    assert!(
        matches!(err, StoreError::Unreachable { attempts: 3, .. }),
        "{err}"
    );

    // A server that answers 503 is retried the same way; one that answers 403 is not.
    let dir = tempfile::tempdir().expect("tmp");
    let server = FileServer::start(dir.path()).await;
    let url = StoreUrl::parse(&format!("{}/status/503", server.base)).expect("url");
    let err = ds
        .download_verified(&url, &Hash([1; 32]), 10, &mut Vec::new())
        .await
        .expect_err("503");
    assert!(
        matches!(err, StoreError::Unreachable { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(server.hits().status.load(Ordering::SeqCst), 3);
    let url = StoreUrl::parse(&format!("{}/status/403", server.base)).expect("url");
    let err = ds
        .download_verified(&url, &Hash([1; 32]), 10, &mut Vec::new())
        .await
        .expect_err("403");
    assert!(matches!(err, StoreError::Store { .. }), "{err}");
    assert_eq!(server.hits().status.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn http_download_and_read_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = store(quick_config());
    let plain = noise(11, 3 << 20);
    let (up, _) = ds
        .upload_encrypt(
            &local(dir.path()),
            std::io::Cursor::new(plain.clone()),
            &key(),
            &fixed(65_536),
        )
        .await
        .expect("upload");
    let name = object_name(&up.content_hash);
    let server = FileServer::start(dir.path()).await;
    let base = StoreUrl::parse(&format!("{}/files", server.base)).expect("url");
    let url = base.join(&name);
    assert_eq!(url.to_string(), format!("{}/files/{name}", server.base));
    let mut out = Vec::new();
    let n = ds
        .download_decrypt(&url, &up.content_hash, up.size, &key(), &mut out)
        .await
        .expect("http download");
    assert_eq!(n, plain.len() as u64);
    assert!(out == plain);

    // Cut half way: resumed with a range request for the rest.
    let flaky = StoreUrl::parse(&format!("{}/flaky/{name}", server.base)).expect("url");
    let mut ct = Vec::new();
    ds.download_verified(&flaky, &up.content_hash, up.size, &mut ct)
        .await
        .expect("resumed download");
    assert_eq!(content_hash(&ct), up.content_hash);
    assert_eq!(server.hits().flaky.load(Ordering::SeqCst), 2);

    // Read only.
    let ct = Bytes::from(encrypt(b"x", &key(), &fixed(64)).expect("encrypt"));
    let err = ds.upload_bytes(&base, ct).await.expect_err("put to http");
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("read only"));
    let err = ds
        .upload_encrypt(&base, &b"x"[..], &key(), &fixed(64))
        .await
        .expect_err("put to http");
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
}

#[tokio::test]
async fn public_objects_round_trip_with_a_size_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = store(quick_config());
    let mut places = vec![local(&dir.path().join("programs"))];
    let s3 = S3sFs::start();
    if let Some(s3) = &s3 {
        places.push(StoreUrl::parse(&format!("s3://{BUCKET}/programs")).expect("url"));
        let _ = s3.config();
    }
    for to in places {
        let ds = match (&to, &s3) {
            (StoreUrl::S3 { .. }, Some(s3)) => store(s3.config()),
            _ => ds.clone(),
        };
        let bytes = noise(9, 5_000);
        let url = ds
            .put_public(&to, "score.wasm", bytes.clone())
            .await
            .expect("put");
        assert_eq!(url.to_string(), format!("{to}/score.wasm"));
        let back = ds
            .get_public(&StoreUrl::parse(&url.to_string()).expect("url"), 5_000)
            .await
            .expect("get");
        assert!(back == bytes);
        assert!(matches!(
            ds.get_public(&url, 4_999).await,
            Err(StoreError::TooLarge {
                size: 5_000,
                limit: 4_999,
                ..
            })
        ));
        assert!(matches!(
            ds.get_public(&to.join("missing.wasm"), 10).await,
            Err(StoreError::NotFound { .. })
        ));
    }
    // Read-only locations take no objects.
    let http = StoreUrl::parse("http://127.0.0.1:9/x").expect("url");
    assert!(matches!(
        ds.put_public(&http, "a", vec![1]).await,
        Err(StoreError::ReadOnly { .. })
    ));
}
