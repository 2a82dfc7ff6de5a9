//! Synod's data keys and client-side encryption: the pure foundation of issue 11 ("data
//! liquidity pools"), shared by the CLI, the data workers and (through its golden vectors) the
//! Python SDK.
//!
//! This crate owns three things:
//!
//! * [`keys`]: an account's **data key**, an X25519 keypair (random, or derived from bytes the
//!   caller supplies with RFC 9180's `DeriveKeyPair`), and the [`DataKeyRegistration`] that
//!   binds its public half to the account and the chain: the account's ed25519 key signs a
//!   tagged hash of (chain id, account, data key, sequence), so the chain can check that an
//!   account registered its own data key and that an old registration cannot be replayed.
//! * [`mod@file`]: **chunked file encryption** with a random 256-bit [`FileKey`]: XChaCha20-Poly1305
//!   in the STREAM construction, through `std::io::Read`/`Write` adapters ([`Encryptor`],
//!   [`Decryptor`]) in constant memory, or in memory ([`encrypt`], [`decrypt`]); and the BLAKE3
//!   **content hash** of the ciphertext that the chain registers and every download checks
//!   before decrypting ([`check_content_hash`], [`decrypt_checked`]).
//! * [`envelope`]: **key envelopes**: a file key sealed to a recipient's data key with HPKE
//!   (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305), the
//!   file id and content hash bound as associated data; one canonical borsh encoding.
//!
//! What it must not do: no I/O of its own (the adapters read and write only the `Read`/`Write`
//! values they are given), no chain state, no wall clock, no floats. Randomness comes only from
//! the operating system's CSPRNG (`getrandom`), and every function that draws some has a
//! deterministic sibling that takes the random bytes as an argument, for test vectors. Secrets
//! ([`FileKey`], [`DataSecretKey`]) are zeroized on drop and never appear in `Debug`.
//! Signatures are made and checked only through `synod_primitives` (`Keypair::sign`,
//! `AccountId::verify`), the chain's one signature rule.
//!
//! # Encrypted file format, version 1
//!
//! All integers are little endian unless said otherwise; `‖` is concatenation;
//! `tagged(tag, data)` is [`synod_primitives::Hash::tagged`]: BLAKE3 of
//! `u32_le(len(tag)) ‖ tag ‖ data`.
//!
//! ```text
//! file   = header ‖ chunk_0 ‖ chunk_1 ‖ … ‖ chunk_{n-1}          (n ≥ 1)
//!
//! header (64 bytes):
//!   offset  size  field
//!   0       8     magic           "SYNODENC" (53 59 4e 4f 44 45 4e 43)
//!   8       1     version         0x01
//!   9       4     chunk_size      u32 LE, MIN_CHUNK_SIZE (64) ..= MAX_CHUNK_SIZE (1 MiB);
//!                                 the writer's default is 65,536
//!   13      19    nonce_prefix    random per file
//!   32      32    key_commitment  tagged("synod/data/key-commitment/v1", file_key ‖ header[0..32])
//!
//! payload_key = tagged("synod/data/payload-key/v1", file_key ‖ header[0..32])
//!
//! chunk_i = XChaCha20-Poly1305(key = payload_key,
//!                              nonce = nonce_prefix ‖ u32_be(i) ‖ last_i,   (24 bytes)
//!                              aad = header (all 64 bytes),
//!                              plaintext_i)                              = ciphertext ‖ 16-byte tag
//!   last_i = 0x01 for the final chunk, 0x00 for every other one
//! ```
//!
//! The plaintext is cut into `n = max(1, ceil(len / chunk_size))` chunks: every chunk but the
//! last holds exactly `chunk_size` bytes and the last holds the rest, `1..=chunk_size` bytes
//! (0 only when the whole plaintext is empty). So a file's length determines where its chunks
//! end (`64 + len + 16·n` bytes), there is exactly one encoding per (key, prefix, chunk size,
//! plaintext), and a reader knows a chunk is the last one because the file ends with it. The
//! counter is 32-bit big endian, as in the STREAM construction of Hoang, Reyhanitabar, Rogaway
//! and Vizár ("Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015),
//! so a file has at most 2³² chunks (256 TiB at the default chunk size).
//!
//! Why each part is there:
//! * the counter in the nonce detects reordered, duplicated and dropped chunks; the last-chunk
//!   flag detects truncation at a chunk boundary and anything appended after the final chunk
//!   (a full final chunk followed by more bytes is read as a middle chunk and fails);
//! * the header as associated data of every chunk, and the payload key derived from its first
//!   32 bytes, authenticate the magic, version, chunk size and prefix;
//! * the key commitment makes the file key-committing: ChaCha20-Poly1305 alone is not, so a
//!   malicious owner could otherwise build one ciphertext (one content hash on chain) that
//!   opens under two file keys to two different plaintexts and hand different workers
//!   different keys, making honest scorers disagree. A reader compares the commitment (in
//!   constant time) before decrypting anything and refuses a key that does not match it.
//!
//! The **content hash** is plain BLAKE3 of the whole file (header and chunks), the value
//! `b3sum` prints: [`content_hash`].
//!
//! # Key envelope, version 1
//!
//! ```text
//! envelope (113 bytes, borsh) = version (u8, 0x01) ‖ recipient (32: the data public key it is
//!                               sealed to) ‖ enc (32: HPKE encapsulated key) ‖ sealed_key (48)
//! (enc, sealed_key) = HPKE base-mode SealBase(pkR = recipient,
//!                       info = "synod/data/file-key-envelope/v1",
//!                       aad  = u64_le(file_id) ‖ content_hash (32),
//!                       pt   = file_key (32))
//! ```
//! KEM 0x0020 DHKEM(X25519, HKDF-SHA256), KDF 0x0001 HKDF-SHA256, AEAD 0x0003
//! ChaCha20-Poly1305. The recipient field is not secret (the chain maps accounts to data keys
//! anyway) and lets the chain refuse an envelope sealed to a key other than the grantee's
//! registered one, and a holder tell "not for me" from "not for this file".
//!
//! # Data key registration
//!
//! ```text
//! registration hash = tagged("synod/data/key-registration/v1",
//!                            borsh(chain_id: String, account: [u8;32], data_key: [u8;32],
//!                                  sequence: u64))
//! signature         = ed25519 signature by `account` over the 32 hash bytes
//! ```
//!
//! Golden vectors of all three, with their intermediate values, are in `tests/golden/*.json`.

pub mod envelope;
pub mod file;
pub mod keys;

pub use envelope::{ENVELOPE_INFO, ENVELOPE_LEN, EnvelopeError, FileId, KeyEnvelope, envelope_aad};
pub use file::{
    DEFAULT_CHUNK_SIZE, Decryptor, EncryptOptions, EncryptSummary, Encryptor, FileError, FileKey,
    HEADER_LEN, Header, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, NONCE_PREFIX_LEN, TAG_LEN,
    check_content_hash, ciphertext_len, content_hash, decrypt, decrypt_checked, decrypt_stream,
    encrypt, encrypt_stream, hash_reader,
};
pub use keys::{DataKeyRegistration, DataKeypair, DataPublicKey, DataSecretKey, KeyError};
