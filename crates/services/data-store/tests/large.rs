//! A 64 MiB file through the local store and through `s3s-fs`, generated and checked on the
//! fly, with the process's peak memory watched (its own test binary, so nothing else runs in
//! the process; one test, so the two transfers do not overlap).

mod common;

use common::{BUCKET, HashSink, Noise, S3sFs, quick_config};
use synod_data_crypto::{EncryptOptions, FileKey};
use synod_data_store::{DataStore, StoreConfig, StoreUrl};

const LEN: u64 = 64 << 20;

/// The process's peak resident memory (`VmHWM`), in bytes, where `/proc` tells it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn through(ds: &DataStore, to: &StoreUrl) {
    let key = FileKey::generate().expect("rng");
    let opts = EncryptOptions::random().expect("rng");
    let t = std::time::Instant::now();
    let (up, summary) = ds
        .upload_encrypt(to, Noise::new(42, LEN), &key, &opts)
        .await
        .expect("upload");
    assert_eq!(summary.plaintext_len, LEN);
    eprintln!("{to}: upload {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut sink = HashSink::default();
    let n = ds
        .download_decrypt(&up.url, &up.content_hash, up.size, &key, &mut sink)
        .await
        .expect("download");
    assert_eq!(n, LEN);
    eprintln!("{to}: download {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut expected = HashSink::default();
    let mut noise = Noise::new(42, LEN);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = std::io::Read::read(&mut noise, &mut buf).expect("noise");
        if k == 0 {
            break;
        }
        tokio::io::AsyncWriteExt::write_all(&mut expected, &buf[..k])
            .await
            .expect("hash");
    }
    eprintln!("{to}: regenerate {:?}", t.elapsed());
    assert_eq!(sink.hash(), expected.hash(), "plaintext differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_mib_in_bounded_memory() {
    // 5 MiB parts, 2 in flight: an upload holds about 20 MiB; downloads above 16 MiB are
    // verified in a temporary file.
    let config = StoreConfig {
        part_size: 5 << 20,
        parts_in_flight: 2,
        ..quick_config()
    };
    let before = peak_rss();
    let dir = tempfile::tempdir().expect("tmp");
    let ds = DataStore::new(config.clone()).expect("config");
    through(&ds, &StoreUrl::local(dir.path()).expect("dir")).await;
    if let Some(s3) = S3sFs::start() {
        let ds = DataStore::new(StoreConfig {
            s3: s3.s3_options(),
            ..config
        })
        .expect("config");
        through(
            &ds,
            &StoreUrl::parse(&format!("s3://{BUCKET}/large")).expect("url"),
        )
        .await;
    }
    if let (Some(before), Some(after)) = (before, peak_rss()) {
        let grew = after.saturating_sub(before);
        eprintln!(
            "peak RSS grew by {} MiB moving a {} MiB file each way",
            grew >> 20,
            LEN >> 20
        );
        // Buffering the file whole, either way, would take at least 64 MiB.
        assert!(grew < LEN, "peak RSS grew by {grew} bytes");
    }
}
