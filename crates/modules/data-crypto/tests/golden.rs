//! Golden vectors of data keys, encrypted files and key envelopes, for another implementation
//! (the Python SDK) to reproduce byte for byte: `tests/golden/{keys,file,envelope}.json`.
//! Everything is deterministic: fixed keys, fixed nonce prefixes, HPKE ephemeral keys from a
//! fixed `ikmE` (RFC 9180 `DeriveKeyPair`, as in the RFC's own vectors).
//!
//! `GOLDEN_BLESS=1 cargo test -p synod-data-crypto --test golden` writes a file only when it
//! is missing; an existing file is never rewritten: a difference is a broken format, not a new
//! vector. Besides regenerating and comparing, the test decrypts the committed ciphertexts and
//! opens the committed envelopes, and checks that the committed corruptions are refused.

use serde_json::{Value, json};
use std::path::PathBuf;
use synod_data_crypto::file::{KEY_COMMITMENT_TAG, PAYLOAD_KEY_TAG};
use synod_data_crypto::keys::{FROM_SEED_TAG, REGISTRATION_TAG};
use synod_data_crypto::{
    DataKeyRegistration, DataKeypair, DataSecretKey, ENVELOPE_INFO, EncryptOptions, FileError,
    FileKey, HEADER_LEN, KeyEnvelope, TAG_LEN, content_hash, decrypt, encrypt, envelope_aad,
};
use synod_primitives::{Hash, Keypair};

fn seq(start: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i as u8)).collect()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

fn keys_vectors() -> Value {
    let derive: Vec<Value> = [seq(0, 32), seq(0x40, 48), vec![0xff; 32]]
        .iter()
        .map(|ikm| {
            let kp = DataKeypair::derive(ikm).expect("long enough");
            json!({
                "ikm": hex::encode(ikm),
                "secret_key": hex::encode(*kp.secret().to_bytes()),
                "public_key": hex::encode(kp.public().0),
            })
        })
        .collect();
    let from_seed: Vec<Value> = ["alice", "bob"]
        .iter()
        .map(|name| {
            let account = Keypair::dev(name);
            let kp = DataKeypair::from_account_seed(&account.seed());
            json!({
                "account_seed": hex::encode(account.seed()),
                "ikm": hex::encode(Hash::tagged(FROM_SEED_TAG, &account.seed()).0),
                "secret_key": hex::encode(*kp.secret().to_bytes()),
                "public_key": hex::encode(kp.public().0),
            })
        })
        .collect();
    let alice = Keypair::dev("alice");
    let data_key = DataKeypair::from_account_seed(&alice.seed()).public();
    let registrations: Vec<Value> = [("synod-dev", 0u64), ("synod-testnet", 7)]
        .iter()
        .map(|(chain_id, sequence)| {
            let reg = DataKeyRegistration::sign(&alice, chain_id, data_key, *sequence)
                .expect("usable key");
            json!({
                "chain_id": chain_id,
                "signer_seed": hex::encode(alice.seed()),
                "account": alice.account().to_string(),
                "data_key": data_key.to_string(),
                "sequence": sequence,
                "signing_payload": hex::encode(synod_primitives::encode(&(
                    chain_id.to_string(),
                    alice.account(),
                    data_key,
                    *sequence,
                ))),
                "signing_hash": hex::encode(
                    DataKeyRegistration::signing_hash(chain_id, &alice.account(), &data_key, *sequence).0
                ),
                "signature": reg.signature.to_string(),
                "borsh": hex::encode(synod_primitives::encode(&reg)),
                "json": serde_json::to_value(reg).expect("json"),
            })
        })
        .collect();
    json!({
        "derive_keypair": "RFC 9180 DeriveKeyPair, DHKEM(X25519, HKDF-SHA256); secret keys clamped",
        "from_seed_tag": FROM_SEED_TAG,
        "registration_tag": REGISTRATION_TAG,
        "derive": derive,
        "from_account_seed": from_seed,
        "registrations": registrations,
    })
}

fn tagged_with_key(tag: &str, key: &[u8; 32], core: &[u8]) -> String {
    let mut data = key.to_vec();
    data.extend_from_slice(core);
    hex::encode(Hash::tagged(tag, &data).0)
}

fn file_case(key: &FileKey, chunk_size: u32, prefix: [u8; 19], len: usize) -> Value {
    let options = EncryptOptions {
        chunk_size,
        nonce_prefix: prefix,
    };
    let pt = plaintext(len);
    let ct = encrypt(&pt, key, &options).expect("encrypt");
    let chunks = len.div_ceil(chunk_size as usize).max(1);
    let nonces: Vec<String> = (0..chunks)
        .map(|i| {
            let mut n = prefix.to_vec();
            n.extend_from_slice(&(i as u32).to_be_bytes());
            n.push(u8::from(i + 1 == chunks));
            hex::encode(n)
        })
        .collect();
    json!({
        "file_key": hex::encode(key.as_bytes()),
        "chunk_size": chunk_size,
        "nonce_prefix": hex::encode(prefix),
        "plaintext": hex::encode(&pt),
        "header": hex::encode(&ct[..HEADER_LEN]),
        "payload_key": tagged_with_key(PAYLOAD_KEY_TAG, key.as_bytes(), &ct[..32]),
        "key_commitment": tagged_with_key(KEY_COMMITMENT_TAG, key.as_bytes(), &ct[..32]),
        "chunk_nonces": nonces,
        "ciphertext": hex::encode(&ct),
        "content_hash": hex::encode(content_hash(&ct).0),
    })
}

/// Corruptions of one committed file that every implementation must refuse, with the error.
fn rejections(key: &FileKey, ct: &[u8], chunk_size: usize) -> Vec<Value> {
    let full = chunk_size + TAG_LEN;
    let body = &ct[HEADER_LEN..];
    let chunk = |i: usize| &body[i * full..((i + 1) * full).min(body.len())];
    let with = |parts: &[&[u8]]| {
        let mut v = ct[..HEADER_LEN].to_vec();
        for p in parts {
            v.extend_from_slice(p);
        }
        v
    };
    let mut flipped = ct.to_vec();
    flipped[HEADER_LEN + full + 5] ^= 0x01;
    let mut appended = ct.to_vec();
    appended.push(0);
    let mut bad_header = ct.to_vec();
    bad_header[20] ^= 0x80;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bit_flip_in_chunk_1", flipped),
        (
            "chunks_0_and_1_swapped",
            with(&[chunk(1), chunk(0), chunk(2), chunk(3)]),
        ),
        ("chunk_1_dropped", with(&[chunk(0), chunk(2), chunk(3)])),
        (
            "chunk_1_duplicated",
            with(&[chunk(0), chunk(1), chunk(1), chunk(2), chunk(3)]),
        ),
        ("final_chunk_dropped", with(&[chunk(0), chunk(1), chunk(2)])),
        ("truncated_inside_final_chunk", ct[..ct.len() - 1].to_vec()),
        ("one_byte_appended", appended),
        ("nonce_prefix_changed", bad_header),
        ("header_only", ct[..HEADER_LEN].to_vec()),
    ];
    cases
        .into_iter()
        .map(|(name, bytes)| {
            let err = match decrypt(&bytes, key) {
                Ok(_) => panic!("{name}: a corrupted file decrypted"),
                Err(e) => e,
            };
            let kind = match err {
                FileError::ChunkAuth { index } => format!("chunk_auth:{index}"),
                FileError::WrongKey => "wrong_key".into(),
                FileError::Truncated { index, .. } => format!("truncated:{index}"),
                other => panic!("{name}: unexpected error {other}"),
            };
            json!({"case": name, "ciphertext": hex::encode(&bytes), "error": kind})
        })
        .collect()
}

fn file_vectors() -> Value {
    let key = FileKey::from_bytes(seq(0x80, 32).try_into().expect("32"));
    let prefix: [u8; 19] = seq(0xa0, 19).try_into().expect("19");
    let mut files: Vec<Value> = [0usize, 1, 63, 64, 65, 128, 200]
        .iter()
        .map(|&len| file_case(&key, 64, prefix, len))
        .collect();
    files.push(file_case(&key, 100, [0x5c; 19], 1000));
    let four_chunks = encrypt(
        &plaintext(200),
        &key,
        &EncryptOptions {
            chunk_size: 64,
            nonce_prefix: prefix,
        },
    )
    .expect("encrypt");
    json!({
        "format": "SYNODENC version 1: see synod-data-crypto's crate documentation",
        "plaintext_pattern": "byte i = (31 * i + 7) mod 256",
        "files": files,
        "rejections_of_the_200_byte_file": rejections(&key, &four_chunks, 64),
    })
}

fn envelope_vectors() -> Value {
    let cases: Vec<Value> = [
        (
            seq(0x10, 32),
            seq(0x30, 32),
            [0x77u8; 32],
            1u64,
            Hash::digest(b"file one"),
        ),
        (
            seq(0x11, 32),
            seq(0x31, 32),
            [0x00u8; 32],
            u64::MAX,
            Hash::ZERO,
        ),
    ]
    .iter()
    .map(|(ikm_r, ikm_e, file_key, file_id, hash)| {
        let recipient = DataKeypair::derive(ikm_r).expect("ikm");
        let ikm_e: [u8; 32] = ikm_e.clone().try_into().expect("32");
        let file_key = FileKey::from_bytes(*file_key);
        let env =
            KeyEnvelope::seal_deterministic(&file_key, &recipient.public(), *file_id, hash, &ikm_e)
                .expect("seal");
        json!({
            "recipient_ikm": hex::encode(ikm_r),
            "recipient_secret_key": hex::encode(*recipient.secret().to_bytes()),
            "recipient_public_key": hex::encode(recipient.public().0),
            "ephemeral_ikm": hex::encode(ikm_e),
            "file_key": hex::encode(file_key.as_bytes()),
            "file_id": file_id.to_string(),
            "content_hash": hex::encode(hash.0),
            "aad": hex::encode(envelope_aad(*file_id, hash)),
            "enc": hex::encode(env.enc),
            "sealed_key": hex::encode(env.sealed_key),
            "envelope": hex::encode(env.encode()),
        })
    })
    .collect();
    json!({
        "suite": "HPKE base mode, KEM 0x0020 DHKEM(X25519, HKDF-SHA256), KDF 0x0001 HKDF-SHA256, AEAD 0x0003 ChaCha20-Poly1305",
        "info": String::from_utf8_lossy(ENVELOPE_INFO),
        "info_hex": hex::encode(ENVELOPE_INFO),
        "aad": "u64_le(file_id) || content_hash",
        "envelope": "version (0x01) || recipient public key (32) || enc (32) || sealed_key (48)",
        "cases": cases,
    })
}

fn check_or_bless(name: &str, now: &Value) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let stored: Value = serde_json::from_str(&text).expect("golden file is JSON");
            assert_eq!(&stored, now, "format changed: {}", path.display());
            stored
        }
        Err(_) if std::env::var_os("GOLDEN_BLESS").is_some() => {
            let mut text = serde_json::to_string_pretty(now).expect("json");
            text.push('\n');
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            now.clone()
        }
        Err(e) => panic!(
            "golden file {} is missing ({e}); write it with GOLDEN_BLESS=1",
            path.display()
        ),
    }
}

fn bytes(v: &Value, k: &str) -> Vec<u8> {
    hex::decode(v[k].as_str().unwrap_or_else(|| panic!("{k} missing"))).expect("hex")
}

fn arr32(v: &Value, k: &str) -> [u8; 32] {
    bytes(v, k).try_into().expect("32 bytes")
}

#[test]
fn key_vectors_match_the_golden_file() {
    let stored = check_or_bless("keys.json", &keys_vectors());
    for r in stored["registrations"].as_array().expect("list") {
        let reg: DataKeyRegistration =
            serde_json::from_value(r["json"].clone()).expect("registration JSON");
        reg.verify(r["chain_id"].as_str().expect("chain id"))
            .expect("committed registration verifies");
        let decoded: DataKeyRegistration =
            synod_primitives::decode_exact(&bytes(r, "borsh"), 136).expect("borsh");
        assert_eq!(decoded, reg);
    }
}

#[test]
fn file_vectors_match_the_golden_file() {
    let stored = check_or_bless("file.json", &file_vectors());
    for f in stored["files"].as_array().expect("list") {
        let key = FileKey::from_bytes(arr32(f, "file_key"));
        let ct = bytes(f, "ciphertext");
        assert_eq!(hex::encode(content_hash(&ct).0), f["content_hash"]);
        assert_eq!(
            decrypt(&ct, &key).expect("committed file decrypts"),
            bytes(f, "plaintext")
        );
    }
    let key = FileKey::from_bytes(arr32(&stored["files"][0], "file_key"));
    for r in stored["rejections_of_the_200_byte_file"]
        .as_array()
        .expect("list")
    {
        assert!(
            decrypt(&bytes(r, "ciphertext"), &key).is_err(),
            "{}",
            r["case"]
        );
    }
}

#[test]
fn envelope_vectors_match_the_golden_file() {
    let stored = check_or_bless("envelope.json", &envelope_vectors());
    for c in stored["cases"].as_array().expect("list") {
        let recipient =
            DataKeypair::from_secret(DataSecretKey::from_bytes(&arr32(c, "recipient_secret_key")));
        let env = KeyEnvelope::decode(&bytes(c, "envelope")).expect("decode");
        let file_id: u64 = c["file_id"].as_str().expect("id").parse().expect("u64");
        let hash = Hash(arr32(c, "content_hash"));
        let key = env
            .open(&recipient, file_id, &hash)
            .expect("committed envelope opens");
        assert_eq!(key.as_bytes(), &arr32(c, "file_key"));
    }
}
