//! Encryption and decryption throughput of data files, in memory, at 1 MiB and 64 MiB, beside
//! the two floors any file pipeline pays anyway in the same run: copying the bytes (memcpy)
//! and BLAKE3-hashing them (the content hash the chain registers). `decrypt_checked` is what a
//! download runs: hash check, then decryption. Default 64 KiB chunks.
//!
//! `cargo bench -p synod-data-crypto --bench throughput -- --warm-up-time 1
//! --measurement-time 3` (criterion prints bytes per second as thrpt).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use synod_data_crypto::{
    DEFAULT_CHUNK_SIZE, EncryptOptions, FileKey, content_hash, decrypt, decrypt_checked,
    decrypt_stream, encrypt, encrypt_stream,
};

fn bench(c: &mut Criterion) {
    let key = FileKey::from_bytes([7; 32]);
    let options = EncryptOptions {
        chunk_size: DEFAULT_CHUNK_SIZE,
        nonce_prefix: [3; 19],
    };
    for (label, size) in [("1MiB", 1usize << 20), ("64MiB", 64usize << 20)] {
        let plaintext: Vec<u8> = (0..size)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8)
            .collect();
        let ciphertext = encrypt(&plaintext, &key, &options).expect("encrypt");
        let hash = content_hash(&ciphertext);
        let mut g = c.benchmark_group("data_file");
        g.throughput(Throughput::Bytes(size as u64));
        if size > (8 << 20) {
            g.sample_size(10);
        }
        let mut dst = vec![0u8; size];
        g.bench_function(BenchmarkId::new("memcpy", label), |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&plaintext));
                black_box(&dst);
            })
        });
        g.bench_function(BenchmarkId::new("blake3", label), |b| {
            b.iter(|| content_hash(black_box(&plaintext)))
        });
        g.bench_function(BenchmarkId::new("encrypt", label), |b| {
            b.iter(|| encrypt(black_box(&plaintext), &key, &options).expect("encrypt"))
        });
        g.bench_function(BenchmarkId::new("decrypt", label), |b| {
            b.iter(|| decrypt(black_box(&ciphertext), &key).expect("decrypt"))
        });
        g.bench_function(BenchmarkId::new("decrypt_checked", label), |b| {
            b.iter(|| decrypt_checked(black_box(&ciphertext), &key, &hash).expect("decrypt"))
        });
        // The Read/Write adapters over in-memory buffers: one chunk held at a time.
        let mut out = Vec::with_capacity(ciphertext.len());
        g.bench_function(BenchmarkId::new("encrypt_stream", label), |b| {
            b.iter(|| {
                out.clear();
                encrypt_stream(black_box(&plaintext[..]), &mut out, &key, &options)
                    .expect("encrypt")
            })
        });
        g.bench_function(BenchmarkId::new("decrypt_stream", label), |b| {
            b.iter(|| {
                out.clear();
                decrypt_stream(black_box(&ciphertext[..]), &mut out, &key).expect("decrypt")
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
