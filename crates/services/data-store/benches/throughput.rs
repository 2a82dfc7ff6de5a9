//! Throughput of a 64 MiB file: encrypt + upload and download + verify + decrypt through
//! `DataStore`, beside raw `object_store` put and get of the same number of ciphertext bytes
//! in the same run, to a local directory and to an `s3s-fs` server (started when installed).
//! The target: encryption costs at most 20% of raw throughput.
//!
//! After criterion's groups, a paired summary runs every operation once per round, in turn,
//! for `BENCH_ROUNDS` rounds (default 7), and prints medians: on a shared machine the load
//! drifts between criterion's groups, and the ratios are what the target is about.
//!
//! `CARGO_TARGET_DIR=/work/target-store cargo bench -p synod-data-store`
//! Settings for comparison: `BENCH_PART_MIB`, `BENCH_IN_FLIGHT`, `BENCH_FSYNC=0`.

#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use synod_data_crypto::{
    DEFAULT_CHUNK_SIZE, EncryptOptions, FileKey, ciphertext_len, content_hash, decrypt, encrypt,
};
use synod_data_store::{DataStore, StoreConfig, StoreUrl, Uploaded};
use tokio::runtime::Runtime;

const LEN: usize = 64 << 20;

/// Everything one store's operations need.
struct Setup {
    name: &'static str,
    ds: DataStore,
    to: StoreUrl,
    raw: Arc<dyn ObjectStore>,
    raw_path: ObjPath,
    /// Removes a `DataStore` object after an upload was timed (fresh nonces: new objects).
    cleanup: Box<dyn Fn(&StoreUrl)>,
    config: StoreConfig,
}

/// The inputs, shared by every store.
struct Data {
    plain: Bytes,
    raw_bytes: Bytes,
    key: FileKey,
    scratch: PathBuf,
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

impl Setup {
    fn raw_put(&self, rt: &Runtime, d: &Data) -> Duration {
        timed(|| {
            rt.block_on(
                self.raw
                    .put(&self.raw_path, PutPayload::from(d.raw_bytes.clone())),
            )
            .expect("put")
        })
        .0
    }

    /// The same bytes in the same parts, as many in flight, as `DataStore` sends them.
    fn raw_put_multipart(&self, rt: &Runtime, d: &Data) -> Duration {
        let (part, in_flight) = (self.config.part_size, self.config.parts_in_flight);
        timed(|| {
            rt.block_on(async {
                let up = self
                    .raw
                    .put_multipart(&self.raw_path)
                    .await
                    .expect("create");
                let mut w = WriteMultipart::new_with_chunk_size(up, part);
                let mut rest = d.raw_bytes.clone();
                while !rest.is_empty() {
                    w.wait_for_capacity(in_flight).await.expect("capacity");
                    w.put(rest.split_to(part.min(rest.len())));
                }
                w.finish().await.expect("complete");
            })
        })
        .0
    }

    fn encrypt_upload(&self, rt: &Runtime, d: &Data) -> Duration {
        let opts = EncryptOptions::random().expect("rng");
        let (t, (up, _)) = timed(|| {
            rt.block_on(self.ds.upload_encrypt(
                &self.to,
                std::io::Cursor::new(d.plain.clone()),
                &d.key,
                &opts,
            ))
            .expect("upload")
        });
        (self.cleanup)(&up.url);
        t
    }

    /// An encrypted file on disk (encrypted beforehand, untimed), uploaded.
    fn upload_file(&self, rt: &Runtime, d: &Data) -> Duration {
        let opts = EncryptOptions::random().expect("rng");
        let file = d.scratch.join("pre.enc");
        std::fs::write(&file, encrypt(&d.plain, &d.key, &opts).expect("encrypt")).expect("write");
        let (t, up) = timed(|| {
            rt.block_on(self.ds.upload_file(&self.to, &file))
                .expect("upload_file")
        });
        (self.cleanup)(&up.url);
        t
    }

    fn raw_get(&self, rt: &Runtime) -> Duration {
        timed(|| {
            rt.block_on(async {
                self.raw
                    .get(&self.raw_path)
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("body")
            })
        })
        .0
    }

    fn download_verify(&self, rt: &Runtime, up: &Uploaded) -> Duration {
        timed(|| {
            rt.block_on(self.ds.download_verified(
                &up.url,
                &up.content_hash,
                up.size,
                &mut tokio::io::sink(),
            ))
            .expect("download")
        })
        .0
    }

    fn download_decrypt(&self, rt: &Runtime, d: &Data, up: &Uploaded) -> Duration {
        timed(|| {
            rt.block_on(self.ds.download_decrypt(
                &up.url,
                &up.content_hash,
                up.size,
                &d.key,
                &mut tokio::io::sink(),
            ))
            .expect("download")
        })
        .0
    }
}

fn local_setup(config: &StoreConfig, dir: &Path) -> Setup {
    let store_dir = dir.join("store");
    std::fs::create_dir_all(&store_dir).expect("mkdir");
    Setup {
        name: "local",
        ds: DataStore::new(config.clone()).expect("config"),
        to: StoreUrl::local(&store_dir).expect("dir"),
        raw: Arc::new(
            LocalFileSystem::new_with_prefix(&store_dir)
                .expect("local")
                .with_fsync(config.local_fsync),
        ),
        raw_path: ObjPath::from("raw-object"),
        cleanup: Box::new(|url| {
            if let StoreUrl::File { path } = url {
                let _ = std::fs::remove_file(path);
            }
        }),
        config: config.clone(),
    }
}

fn s3_setup(config: &StoreConfig, s3: &common::S3sFs) -> Setup {
    // The same client settings DataStore uses (path style, unsigned payload).
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
    let config = StoreConfig {
        s3: s3.s3_options(),
        ..config.clone()
    };
    Setup {
        name: "s3s-fs",
        ds: DataStore::new(config.clone()).expect("config"),
        to: StoreUrl::parse(&format!("s3://{}/bench", common::BUCKET)).expect("url"),
        raw: Arc::new(raw),
        raw_path: ObjPath::from("raw/raw-object"),
        cleanup: Box::new(move |url| {
            if let StoreUrl::S3 { key, .. } = url {
                let _ = std::fs::remove_file(root.join(key));
            }
        }),
        config,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mib_s(t: Duration) -> f64 {
    (LEN as f64 / (1 << 20) as f64) / t.as_secs_f64()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ct_len = ciphertext_len(LEN as u64, DEFAULT_CHUNK_SIZE).expect("len") as usize;
    let dir = tempfile::tempdir().expect("tmp");
    let d = Data {
        plain: Bytes::from(common::noise(1, LEN)),
        // Raw transfers move exactly as many bytes as the ciphertext has.
        raw_bytes: Bytes::from(common::noise(2, ct_len)),
        key: FileKey::generate().expect("rng"),
        scratch: dir.path().to_owned(),
    };
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
        "{} MiB file; part size {} MiB, {} parts in flight, local fsync {}",
        LEN >> 20,
        config.part_size >> 20,
        config.parts_in_flight,
        config.local_fsync
    );

    let mut setups = vec![local_setup(&config, dir.path())];
    let s3 = common::S3sFs::start();
    if let Some(s3) = &s3 {
        setups.push(s3_setup(&config, s3));
    }
    // One object to download, and the raw one, per store.
    let uploaded: Vec<Uploaded> = setups
        .iter()
        .map(|s| {
            rt.block_on(
                s.raw
                    .put(&s.raw_path, PutPayload::from(d.raw_bytes.clone())),
            )
            .expect("raw put");
            rt.block_on(s.ds.upload_encrypt(
                &s.to,
                std::io::Cursor::new(d.plain.clone()),
                &d.key,
                &EncryptOptions::random().expect("rng"),
            ))
            .expect("upload")
            .0
        })
        .collect();

    // The cipher and hash alone, for reference.
    let mut g = c.benchmark_group("cipher");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(10);
    g.bench_function("encrypt_in_memory", |b| {
        let opts = EncryptOptions::random().expect("rng");
        b.iter(|| encrypt(&d.plain, &d.key, &opts).expect("encrypt"));
    });
    g.bench_function("encrypt_in_memory_1mib_chunks", |b| {
        let opts = EncryptOptions::random()
            .expect("rng")
            .with_chunk_size(1 << 20);
        b.iter(|| encrypt(&d.plain, &d.key, &opts).expect("encrypt"));
    });
    g.bench_function("decrypt_in_memory", |b| {
        let opts = EncryptOptions::random().expect("rng");
        let ct = encrypt(&d.plain, &d.key, &opts).expect("encrypt");
        b.iter(|| decrypt(&ct, &d.key).expect("decrypt"));
    });
    g.bench_function("blake3", |b| b.iter(|| content_hash(&d.plain)));
    g.finish();

    for (s, up) in setups.iter().zip(&uploaded) {
        let mut g = c.benchmark_group(s.name);
        g.throughput(Throughput::Bytes(LEN as u64));
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(8));
        let sum = |iters: u64, f: &dyn Fn() -> Duration| (0..iters).map(|_| f()).sum();
        g.bench_function("raw_put", |b| {
            b.iter_custom(|n| sum(n, &|| s.raw_put(&rt, &d)))
        });
        g.bench_function("raw_put_multipart", |b| {
            b.iter_custom(|n| sum(n, &|| s.raw_put_multipart(&rt, &d)))
        });
        g.bench_function("encrypt_upload", |b| {
            b.iter_custom(|n| sum(n, &|| s.encrypt_upload(&rt, &d)))
        });
        g.bench_function("upload_file_preencrypted", |b| {
            b.iter_custom(|n| sum(n, &|| s.upload_file(&rt, &d)))
        });
        g.bench_function("raw_get", |b| b.iter_custom(|n| sum(n, &|| s.raw_get(&rt))));
        g.bench_function("download_verify", |b| {
            b.iter_custom(|n| sum(n, &|| s.download_verify(&rt, up)))
        });
        g.bench_function("download_verify_decrypt", |b| {
            b.iter_custom(|n| sum(n, &|| s.download_decrypt(&rt, &d, up)))
        });
        g.finish();
    }

    // Paired summary: each round runs every operation once, in turn.
    let rounds = env("BENCH_ROUNDS").unwrap_or(7).max(1);
    for (s, up) in setups.iter().zip(&uploaded) {
        let mut t: [Vec<Duration>; 7] = Default::default();
        for _ in 0..rounds {
            t[0].push(s.raw_put(&rt, &d));
            t[1].push(s.raw_put_multipart(&rt, &d));
            t[2].push(s.encrypt_upload(&rt, &d));
            t[3].push(s.upload_file(&rt, &d));
            t[4].push(s.raw_get(&rt));
            t[5].push(s.download_verify(&rt, up));
            t[6].push(s.download_decrypt(&rt, &d, up));
        }
        let m: Vec<f64> = t.into_iter().map(|v| mib_s(median(v))).collect();
        let cost = |ours: f64, raw: f64| 100.0 * (1.0 - ours / raw);
        eprintln!(
            "\n{} (median of {rounds} paired rounds, MiB/s of plaintext-sized data):",
            s.name
        );
        for (name, v) in [
            "raw put (one request)",
            "raw put (multipart, same parts)",
            "encrypt + upload",
            "upload of a pre-encrypted file",
            "raw get",
            "download + verify",
            "download + verify + decrypt",
        ]
        .iter()
        .zip(&m)
        {
            eprintln!("  {name:<34} {v:>8.1}");
        }
        eprintln!(
            "  encryption cost, upload:   {:>5.1}% of raw multipart, {:>5.1}% of a single raw put",
            cost(m[2], m[1]),
            cost(m[2], m[0])
        );
        eprintln!(
            "  encryption cost, download: {:>5.1}% of raw get",
            cost(m[6], m[4])
        );
    }
    drop(s3);
}

criterion_group!(benches, bench);
criterion_main!(benches);
