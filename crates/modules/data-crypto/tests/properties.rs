//! Property tests: files round-trip at every size (0, one chunk, chunk boundaries, many
//! chunks) through both implementations, which write the same bytes and refuse the same
//! inputs; every single-bit flip, chunk swap, drop or duplication, truncation at any byte and
//! any appended bytes is refused; envelopes open only for their recipient and their
//! (file id, content hash); decoders take arbitrary bytes without panicking.

use proptest::prelude::*;
use std::io::{Read, Write};
use synod_data_crypto::{
    DataKeypair, Decryptor, ENVELOPE_LEN, EncryptOptions, Encryptor, EnvelopeError, FileError,
    FileKey, HEADER_LEN, Header, KeyEnvelope, MIN_CHUNK_SIZE, TAG_LEN, ciphertext_len,
    content_hash, decrypt, decrypt_stream, encrypt, encrypt_stream,
};
use synod_primitives::Hash;

fn options(chunk_size: u32, prefix_byte: u8) -> EncryptOptions {
    EncryptOptions {
        chunk_size,
        nonce_prefix: [prefix_byte; 19],
    }
}

/// Decrypts both ways; they must agree, in the plaintext or in the error.
fn decrypt_both(ct: &[u8], key: &FileKey) -> Result<Vec<u8>, String> {
    let mem = decrypt(ct, key).map_err(|e| e.to_string());
    let mut out = Vec::new();
    let streamed = decrypt_stream(ct, &mut out, key)
        .map(|_| out)
        .map_err(|e| e.to_string());
    assert_eq!(mem, streamed, "in-memory and streaming decryption disagree");
    mem
}

/// A reader that hands out at most `step` bytes per call: exercises the look-ahead.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(out.len()).min(self.step);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Plaintext lengths that favour the interesting places: empty, inside the first chunk, and
/// one either side of each of the first chunk boundaries.
fn length(chunk: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        1..=chunk,
        (1..6usize, -1..=1i64)
            .prop_map(move |(k, d)| (k * chunk).saturating_add_signed(d as isize)),
        0..(8 * chunk),
    ]
}

fn sized() -> impl Strategy<Value = (u32, Vec<u8>)> {
    prop_oneof![Just(64u32), Just(65), Just(100), Just(256)].prop_flat_map(|chunk| {
        length(chunk as usize)
            .prop_flat_map(move |len| (Just(chunk), proptest::collection::vec(any::<u8>(), len)))
    })
}

/// Plaintexts of at least two chunks, for swaps.
fn multi_chunk() -> impl Strategy<Value = (u32, Vec<u8>)> {
    prop_oneof![Just(64u32), Just(100)].prop_flat_map(|chunk| {
        let c = chunk as usize;
        ((c + 1)..(6 * c))
            .prop_flat_map(move |len| (Just(chunk), proptest::collection::vec(any::<u8>(), len)))
    })
}

/// Splits a ciphertext into its chunks (after the header).
fn chunks(ct: &[u8], chunk_size: u32) -> Vec<Vec<u8>> {
    ct[HEADER_LEN..]
        .chunks(chunk_size as usize + TAG_LEN)
        .map(<[u8]>::to_vec)
        .collect()
}

fn assemble(ct: &[u8], parts: &[Vec<u8>]) -> Vec<u8> {
    let mut v = ct[..HEADER_LEN].to_vec();
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_at_every_size(
        (chunk, pt) in sized(),
        key in any::<[u8; 32]>(),
        prefix in any::<u8>(),
        write_step in 1usize..300,
        read_step in 1usize..300,
    ) {
        let key = FileKey::from_bytes(key);
        let opts = options(chunk, prefix);
        let ct = encrypt(&pt, &key, &opts).expect("encrypt");
        prop_assert_eq!(Some(ct.len() as u64), ciphertext_len(pt.len() as u64, chunk));
        // The writer, fed in pieces of any size, writes the same bytes.
        let mut enc = Encryptor::new(Vec::new(), &key, &opts).expect("encryptor");
        for piece in pt.chunks(write_step) {
            enc.write_all(piece).expect("write");
        }
        let (streamed, summary) = enc.finish().expect("finish");
        prop_assert_eq!(&streamed, &ct);
        prop_assert_eq!(summary.content_hash, content_hash(&ct));
        prop_assert_eq!(summary.plaintext_len, pt.len() as u64);
        prop_assert_eq!(summary.chunks, pt.len().div_ceil(chunk as usize).max(1) as u64);
        let mut via_reader = Vec::new();
        encrypt_stream(Trickle { data: &pt, step: write_step }, &mut via_reader, &key, &opts)
            .expect("encrypt_stream");
        prop_assert_eq!(&via_reader, &ct);
        // Both decryptions, and the reader fed and read in small pieces.
        prop_assert_eq!(decrypt_both(&ct, &key), Ok(pt.clone()));
        let mut dec = Decryptor::new(Trickle { data: &ct, step: read_step }, &key)
            .expect("header");
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_step];
        loop {
            let n = dec.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        prop_assert!(dec.is_done());
        prop_assert_eq!(out, pt);
    }

    #[test]
    fn any_single_bit_flip_is_refused((chunk, pt) in sized(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let key = FileKey::from_bytes([0x33; 32]);
        let mut ct = encrypt(&pt, &key, &options(chunk, 1)).expect("encrypt");
        let i = pos.index(ct.len());
        ct[i] ^= 1 << bit;
        prop_assert!(decrypt_both(&ct, &key).is_err(), "flip of bit {} of byte {} accepted", bit, i);
    }

    #[test]
    fn chunk_swap_drop_and_duplication_are_refused(
        (chunk, pt) in multi_chunk(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let key = FileKey::from_bytes([0x44; 32]);
        let ct = encrypt(&pt, &key, &options(chunk, 2)).expect("encrypt");
        let parts = chunks(&ct, chunk);
        let n = parts.len();
        prop_assume!(n >= 2);
        let (i, j) = (a.index(n), b.index(n));
        if i != j && parts[i] != parts[j] {
            let mut swapped = parts.clone();
            swapped.swap(i, j);
            prop_assert!(decrypt_both(&assemble(&ct, &swapped), &key).is_err(), "swap {} {}", i, j);
        }
        let mut dropped = parts.clone();
        dropped.remove(i);
        prop_assert!(decrypt_both(&assemble(&ct, &dropped), &key).is_err(), "drop {}", i);
        let mut duplicated = parts.clone();
        duplicated.insert(i, parts[i].clone());
        prop_assert!(decrypt_both(&assemble(&ct, &duplicated), &key).is_err(), "dup {}", i);
    }

    #[test]
    fn truncation_at_any_byte_is_refused(
        (chunk, pt) in sized(),
        cut in any::<prop::sample::Index>(),
        at_boundary in any::<bool>(),
    ) {
        let key = FileKey::from_bytes([0x55; 32]);
        let ct = encrypt(&pt, &key, &options(chunk, 3)).expect("encrypt");
        // Half the cuts fall exactly between chunks (or right after the header), where only
        // the last-chunk flag tells a complete file from a cut one.
        let full = chunk as usize + TAG_LEN;
        let boundaries = (ct.len() - HEADER_LEN).div_ceil(full);
        let at = if at_boundary {
            HEADER_LEN + cut.index(boundaries) * full
        } else {
            cut.index(ct.len())
        };
        prop_assert!(decrypt_both(&ct[..at], &key).is_err(), "cut at {} of {}", at, ct.len());
    }

    #[test]
    fn appended_bytes_are_refused(
        (chunk, pt) in sized(),
        extra in proptest::collection::vec(any::<u8>(), 1..200),
    ) {
        let key = FileKey::from_bytes([0x66; 32]);
        let mut ct = encrypt(&pt, &key, &options(chunk, 4)).expect("encrypt");
        ct.extend_from_slice(&extra);
        prop_assert!(decrypt_both(&ct, &key).is_err(), "{} bytes appended", extra.len());
    }

    #[test]
    fn chunks_of_another_file_under_the_same_key_are_refused(
        (chunk, pt) in multi_chunk(),
        other_prefix in 10u8..=255,
        i in any::<prop::sample::Index>(),
    ) {
        // Same key, another nonce prefix: a chunk spliced in from the other file fails.
        let key = FileKey::from_bytes([0x77; 32]);
        let ct = encrypt(&pt, &key, &options(chunk, 5)).expect("encrypt");
        let other = encrypt(&pt, &key, &options(chunk, other_prefix)).expect("encrypt");
        let mut parts = chunks(&ct, chunk);
        let k = i.index(parts.len());
        parts[k] = chunks(&other, chunk)[k].clone();
        prop_assert!(decrypt_both(&assemble(&ct, &parts), &key).is_err());
    }

    #[test]
    fn wrong_key_is_refused_before_any_chunk((chunk, pt) in sized(), k1 in any::<[u8; 32]>(), k2 in any::<[u8; 32]>()) {
        prop_assume!(k1 != k2);
        let ct = encrypt(&pt, &FileKey::from_bytes(k1), &options(chunk, 6)).expect("encrypt");
        prop_assert!(matches!(decrypt(&ct, &FileKey::from_bytes(k2)), Err(FileError::WrongKey)));
        prop_assert!(matches!(
            Decryptor::new(&ct[..], &FileKey::from_bytes(k2)).map(|_| ()),
            Err(FileError::WrongKey)
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_file_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..600), valid_header in any::<bool>()) {
        let key = FileKey::from_bytes([0x11; 32]);
        let mut input = bytes;
        if valid_header {
            // Past the header checks, so that the chunk parser sees the arbitrary bytes.
            let header = Header::new(&key, &options(MIN_CHUNK_SIZE, 7)).expect("header").to_bytes();
            input.splice(0..0, header);
        }
        let _ = Header::parse(&input);
        prop_assert!(decrypt_both(&input, &key).is_err());
    }

    #[test]
    fn envelopes_open_only_for_their_recipient_file_and_hash(
        file_key in any::<[u8; 32]>(),
        ikm_r in any::<[u8; 32]>(),
        ikm_other in any::<[u8; 32]>(),
        ikm_e in any::<[u8; 32]>(),
        file_id in any::<u64>(),
        other_id in any::<u64>(),
        hash in any::<[u8; 32]>(),
        other_hash in any::<[u8; 32]>(),
    ) {
        let recipient = DataKeypair::derive(&ikm_r).expect("ikm");
        let other = DataKeypair::derive(&ikm_other).expect("ikm");
        let (hash, other_hash) = (Hash(hash), Hash(other_hash));
        let key = FileKey::from_bytes(file_key);
        let env = KeyEnvelope::seal_deterministic(&key, &recipient.public(), file_id, &hash, &ikm_e)
            .expect("seal");
        prop_assert_eq!(env.open(&recipient, file_id, &hash), Ok(key.clone()));
        let decoded = KeyEnvelope::decode(&env.encode()).expect("decode");
        prop_assert_eq!(decoded, env);
        if other.public() != recipient.public() {
            let is_wrong_recipient =
                matches!(env.open(&other, file_id, &hash), Err(EnvelopeError::WrongRecipient { .. }));
            prop_assert!(is_wrong_recipient);
            // Relabelled as the other's, it still does not open for them.
            let mut relabelled = env;
            relabelled.recipient = other.public();
            let is_open_failed =
                matches!(relabelled.open(&other, file_id, &hash), Err(EnvelopeError::OpenFailed { .. }));
            prop_assert!(is_open_failed);
        }
        if other_id != file_id {
            let is_open_failed =
                matches!(env.open(&recipient, other_id, &hash), Err(EnvelopeError::OpenFailed { .. }));
            prop_assert!(is_open_failed);
        }
        if other_hash != hash {
            let is_open_failed =
                matches!(env.open(&recipient, file_id, &other_hash), Err(EnvelopeError::OpenFailed { .. }));
            prop_assert!(is_open_failed);
        }
    }

    #[test]
    fn any_bit_flip_in_an_envelope_is_refused(pos in 0..ENVELOPE_LEN, bit in 0u8..8, file_id in any::<u64>()) {
        let recipient = DataKeypair::derive(&[9; 32]).expect("ikm");
        let hash = Hash::digest(b"file");
        let env = KeyEnvelope::seal_deterministic(
            &FileKey::from_bytes([1; 32]), &recipient.public(), file_id, &hash, &[2; 32],
        ).expect("seal");
        let mut bytes = env.encode();
        bytes[pos] ^= 1 << bit;
        let opened = KeyEnvelope::decode(&bytes).and_then(|e| e.open(&recipient, file_id, &hash));
        prop_assert!(opened.is_err(), "flip of bit {} of byte {} accepted", bit, pos);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_envelope_decoder(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            // Version 1 and the right length: these decode, and must still not open.
            proptest::collection::vec(any::<u8>(), ENVELOPE_LEN - 1).prop_map(|mut v| {
                v.insert(0, 1);
                v
            }),
        ],
    ) {
        if let Ok(env) = KeyEnvelope::decode(&bytes) {
            // Whatever decodes is exactly its encoding.
            prop_assert_eq!(env.encode(), bytes);
            let recipient = DataKeypair::derive(&[9; 32]).expect("ikm");
            let _ = env.check(&recipient.public());
            prop_assert!(env.open(&recipient, 0, &Hash::ZERO).is_err());
        }
    }
}

/// Exhaustive over a small file of four chunks (the last partial): every truncation point and
/// every single-bit flip, through both decoders.
#[test]
fn every_truncation_and_every_bit_flip_of_a_small_file_is_refused() {
    let key = FileKey::from_bytes([0x99; 32]);
    let pt: Vec<u8> = (0..200u8).collect();
    let ct = encrypt(&pt, &key, &options(64, 8)).expect("encrypt");
    assert_eq!(ct.len(), 64 + 200 + 4 * 16);
    for at in 0..ct.len() {
        assert!(decrypt_both(&ct[..at], &key).is_err(), "cut at {at}");
    }
    for i in 0..ct.len() {
        for bit in 0..8 {
            let mut c = ct.clone();
            c[i] ^= 1 << bit;
            assert!(decrypt_both(&c, &key).is_err(), "byte {i} bit {bit}");
        }
    }
    assert_eq!(decrypt_both(&ct, &key), Ok(pt));
}
