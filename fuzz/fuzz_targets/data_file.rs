#![no_main]
//! Arbitrary bytes as what a data worker or a downloader reads from outside: an encrypted
//! data file (`synod-data-crypto`'s format decoder, in memory and streaming, which must agree),
//! the same bytes behind a valid header (so the chunk parser and authentication see them, not
//! only the key commitment), a genuine file of these bytes with one bit flipped (refused), and
//! a key envelope, as borsh and as hex text (whatever decodes re-encodes to the same bytes and
//! does not open for a key it was not sealed with). Never a panic.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use synod_data_crypto::{
    DataKeypair, EncryptOptions, FileKey, Header, KeyEnvelope, MIN_CHUNK_SIZE, decrypt,
    decrypt_stream, encrypt,
};
use synod_primitives::Hash;

fn both(file: &[u8], key: &FileKey) -> Result<Vec<u8>, String> {
    let mem = decrypt(file, key).map_err(|e| e.to_string());
    let mut out = Vec::new();
    let streamed = decrypt_stream(file, &mut out, key)
        .map(|_| out)
        .map_err(|e| e.to_string());
    assert_eq!(mem, streamed, "the two decoders disagree");
    mem
}

fuzz_target!(|data: &[u8]| {
    static RECIPIENT: OnceLock<DataKeypair> = OnceLock::new();
    let recipient = RECIPIENT.get_or_init(|| DataKeypair::derive(&[5; 32]).expect("ikm"));
    let key = FileKey::from_bytes([0x42; 32]);

    // 1. The bytes as an encrypted file.
    let _ = Header::parse(data);
    assert!(both(data, &key).is_err(), "random bytes decrypted");

    if let Some((&sel, rest)) = data.split_first() {
        // 2. Behind a genuine header: chunk framing, look-ahead and authentication.
        let options = EncryptOptions {
            chunk_size: MIN_CHUNK_SIZE + u32::from(sel % 4) * 16,
            nonce_prefix: [7; 19],
        };
        let mut file = Header::new(&key, &options).expect("header").to_bytes().to_vec();
        file.extend_from_slice(rest);
        assert!(both(&file, &key).is_err(), "forged chunks decrypted");

        // 3. A genuine file of these bytes round-trips, and one flipped bit is refused.
        let ct = encrypt(data, &key, &options).expect("encrypt");
        assert_eq!(both(&ct, &key).as_deref(), Ok(data));
        if data.len() >= 3 {
            let pos = usize::from(u16::from_le_bytes([data[1], data[2]])) % ct.len();
            let mut bad = ct;
            bad[pos] ^= 1 << (sel % 8);
            assert!(both(&bad, &key).is_err(), "bit flip at {pos} accepted");
        }
    }

    // 4. The bytes as a key envelope, binary and hex.
    if let Ok(env) = KeyEnvelope::decode(data) {
        assert_eq!(env.encode(), data, "a second encoding was accepted");
        let _ = env.check(&recipient.public());
        assert!(env.open(recipient, 0, &Hash::ZERO).is_err(), "a forged envelope opened");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(env) = text.parse::<KeyEnvelope>()
    {
        assert_eq!(env.to_string().parse::<KeyEnvelope>(), Ok(env));
    }
});
