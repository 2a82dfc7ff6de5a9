//! Throughput of a 64 MiB file: encrypt + upload and download + verify + decrypt through
//! `DataStore`, beside raw `object_store` put and get of the same number of ciphertext bytes
//! in the same run, to a local directory and to an `s3s-fs` server (started when installed).
//! The target: encryption costs at most 20% of raw throughput.
//!
//! `CARGO_TARGET_DIR=/work/target-store cargo bench -p synod-data-store`

#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use synod_data_crypto::{DEFAULT_CHUNK_SIZE, EncryptOptions, FileKey, ciphertext_len, encrypt};
use synod_data_store::{DataStore, StoreConfig, StoreUrl};

const LEN: usize = 64 << 20;

struct Setup {
    name: &'static str,
    ds: DataStore,
    to: StoreUrl,
    raw: Arc<dyn ObjectStore>,
    /// Where `raw` puts its object, and where `DataStore` objects go, for cleaning up.
    raw_path: ObjPath,
    cleanup: Box<dyn Fn(&StoreUrl) + Send + Sync>,
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let plain = Bytes::from(common::noise(1, LEN));
    let key = FileKey::generate().expect("rng");
    let ct_len = ciphertext_len(LEN as u64, DEFAULT_CHUNK_SIZE).expect("len") as usize;
    // Raw transfers move exactly as many bytes as the ciphertext has.
    let raw_bytes = Bytes::from(common::noise(2, ct_len));
    // BENCH_PART_MIB, BENCH_IN_FLIGHT, BENCH_FSYNC=0: other settings, for comparison.
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let defaults = StoreConfig::default();
    let config = StoreConfig {
        part_size: env("BENCH_PART_MIB").map_or(defaults.part_size, |m| m << 20),
        parts_in_flight: env("BENCH_IN_FLIGHT").unwrap_or(defaults.parts_in_flight),
        local_fsync: env("BENCH_FSYNC").is_none_or(|v| v != 0),
        ..defaults
    };
    eprintln!(
        "part size {} MiB, {} parts in flight, local fsync {}",
        config.part_size >> 20,
        config.parts_in_flight,
        config.local_fsync
    );

    let dir = tempfile::tempdir().expect("tmp");
    let mut setups = Vec::new();
    let local_dir = dir.path().join("store");
    std::fs::create_dir_all(&local_dir).expect("mkdir");
    setups.push(Setup {
        name: "local",
        ds: DataStore::new(config.clone()).expect("config"),
        to: StoreUrl::local(&local_dir).expect("dir"),
        raw: Arc::new(
            LocalFileSystem::new_with_prefix(&local_dir)
                .expect("local")
                .with_fsync(config.local_fsync),
        ),
        raw_path: ObjPath::from("raw-object"),
        cleanup: Box::new(|url| {
            if let StoreUrl::File { path } = url {
                let _ = std::fs::remove_file(path);
            }
        }),
    });
    let s3 = common::S3sFs::start();
    if let Some(s3) = &s3 {
        let raw = AmazonS3Builder::new()
            .with_bucket_name(common::BUCKET)
            .with_region("us-east-1")
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true)
            .with_access_key_id(common::ACCESS_KEY)
            .with_secret_access_key(common::SECRET_KEY)
            .with_unsigned_payload(true)
            .build()
            .expect("s3 client");
        let root = s3.root.path().join(common::BUCKET);
        setups.push(Setup {
            name: "s3s-fs",
            ds: DataStore::new(StoreConfig {
                s3: s3.s3_options(),
                ..config.clone()
            })
            .expect("config"),
            to: StoreUrl::parse(&format!("s3://{}/bench", common::BUCKET)).expect("url"),
            raw: Arc::new(raw),
            raw_path: ObjPath::from("raw/raw-object"),
            cleanup: Box::new(move |url| {
                if let StoreUrl::S3 { key, .. } = url {
                    let _ = std::fs::remove_file(root.join(key));
                }
            }),
        });
    }

    // One object to download, per store.
    let mut uploaded = Vec::new();
    for s in &setups {
        let (up, _) = rt
            .block_on(s.ds.upload_encrypt(
                &s.to,
                std::io::Cursor::new(plain.clone()),
                &key,
                &EncryptOptions::random().expect("rng"),
            ))
            .expect("upload");
        rt.block_on(s.raw.put(&s.raw_path, PutPayload::from(raw_bytes.clone())))
            .expect("raw put");
        uploaded.push(up);
    }

    // The cipher alone, for reference.
    let mut g = c.benchmark_group("cipher");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(10);
    g.bench_function("encrypt_in_memory", |b| {
        let opts = EncryptOptions::random().expect("rng");
        b.iter(|| encrypt(&plain, &key, &opts).expect("encrypt"));
    });
    g.finish();

    for (s, up) in setups.iter().zip(&uploaded) {
        let mut g = c.benchmark_group(s.name);
        g.throughput(Throughput::Bytes(LEN as u64));
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(8));

        g.bench_function("raw_put", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    rt.block_on(s.raw.put(&s.raw_path, PutPayload::from(raw_bytes.clone())))
                        .expect("put");
                    total += t.elapsed();
                }
                total
            })
        });
        g.bench_function("raw_put_multipart", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    rt.block_on(async {
                        let up = s.raw.put_multipart(&s.raw_path).await.expect("create");
                        let mut w = WriteMultipart::new_with_chunk_size(up, config.part_size);
                        let mut rest = raw_bytes.clone();
                        while !rest.is_empty() {
                            w.wait_for_capacity(config.parts_in_flight)
                                .await
                                .expect("capacity");
                            w.put(rest.split_to(config.part_size.min(rest.len())));
                        }
                        w.finish().await.expect("complete");
                    });
                    total += t.elapsed();
                }
                total
            })
        });
        g.bench_function("encrypt_upload", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let opts = EncryptOptions::random().expect("rng");
                    let t = Instant::now();
                    let (up, _) = rt
                        .block_on(s.ds.upload_encrypt(
                            &s.to,
                            std::io::Cursor::new(plain.clone()),
                            &key,
                            &opts,
                        ))
                        .expect("upload");
                    total += t.elapsed();
                    (s.cleanup)(&up.url);
                }
                total
            })
        });
        g.bench_function("upload_file_preencrypted", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // A fresh ciphertext each time (not a reuse), encrypted beforehand.
                    let opts = EncryptOptions::random().expect("rng");
                    let file = dir.path().join("pre.enc");
                    std::fs::write(&file, encrypt(&plain, &key, &opts).expect("encrypt"))
                        .expect("write");
                    let t = Instant::now();
                    let up = rt
                        .block_on(s.ds.upload_file(&s.to, &file))
                        .expect("upload_file");
                    total += t.elapsed();
                    (s.cleanup)(&up.url);
                }
                total
            })
        });
        g.bench_function("raw_get", |b| {
            b.iter(|| {
                rt.block_on(async {
                    s.raw
                        .get(&s.raw_path)
                        .await
                        .expect("get")
                        .bytes()
                        .await
                        .expect("body")
                })
            })
        });
        g.bench_function("download_verify", |b| {
            b.iter(|| {
                rt.block_on(s.ds.download_verified(
                    &up.url,
                    &up.content_hash,
                    up.size,
                    &mut tokio::io::sink(),
                ))
                .expect("download")
            })
        });
        g.bench_function("download_verify_decrypt", |b| {
            b.iter(|| {
                rt.block_on(s.ds.download_decrypt(
                    &up.url,
                    &up.content_hash,
                    up.size,
                    &key,
                    &mut tokio::io::sink(),
                ))
                .expect("download")
            })
        });
        g.finish();
    }
    drop(s3);
}

criterion_group!(benches, bench);
criterion_main!(benches);
