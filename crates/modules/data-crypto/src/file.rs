//! Chunked file encryption (XChaCha20-Poly1305 STREAM) and the content hash of the result.
//!
//! The byte format is defined in the crate documentation; this module implements it twice, as
//! `Read`/`Write` adapters that hold one chunk at a time ([`Encryptor`], [`Decryptor`],
//! [`encrypt_stream`], [`decrypt_stream`]) and over slices ([`encrypt`], [`decrypt`]). Both
//! produce and accept exactly the same bytes (a property test checks it).

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use std::fmt;
use std::io::{self, Read, Write};
use synod_primitives::Hash;
use zeroize::Zeroizing;

/// The first eight bytes of every encrypted file.
pub const MAGIC: [u8; 8] = *b"SYNODENC";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the header in bytes.
pub const HEADER_LEN: usize = 64;
/// Length of the random per-file nonce prefix: the 24-byte XChaCha20 nonce less the 4-byte
/// counter and the 1-byte last-chunk flag.
pub const NONCE_PREFIX_LEN: usize = 19;
/// Length of each chunk's Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk unless the writer picks another size.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Smallest chunk size a file may declare. Small chunks cost 16 bytes each but are allowed down
/// to here so that tests can cross many chunk boundaries cheaply.
pub const MIN_CHUNK_SIZE: u32 = 64;
/// Largest chunk size a file may declare: it bounds what a reader holds in memory (one chunk)
/// whatever the file says.
pub const MAX_CHUNK_SIZE: u32 = 1 << 20;
/// Domain tag deriving the chunk cipher's key from the file key and the header.
pub const PAYLOAD_KEY_TAG: &str = "synod/data/payload-key/v1";
/// Domain tag of the header's commitment to the file key.
pub const KEY_COMMITMENT_TAG: &str = "synod/data/key-commitment/v1";

/// The largest chunk index: the counter is 32 bits.
const MAX_CHUNK_INDEX: u64 = u32::MAX as u64;

/// Why a file could not be encrypted, or was refused on decryption.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file is shorter than its header.
    #[error("encrypted file ends inside its {HEADER_LEN}-byte header ({got} bytes)")]
    TruncatedHeader {
        /// Bytes present.
        got: usize,
    },
    /// The first eight bytes are not [`MAGIC`].
    #[error("not a Synod encrypted file (magic bytes are not \"SYNODENC\")")]
    BadMagic,
    /// A version this build cannot read.
    #[error("encrypted file format version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(u8),
    /// A chunk size outside [`MIN_CHUNK_SIZE`]`..=`[`MAX_CHUNK_SIZE`].
    #[error("chunk size {0} is outside the allowed {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE} bytes")]
    BadChunkSize(u32),
    /// The header commits to another file key.
    #[error("wrong file key: the file's key commitment does not match this key")]
    WrongKey,
    /// A chunk does not authenticate: its bytes were changed, it was moved, repeated or taken
    /// from another file, the chunks after it were cut off or bytes were appended after it.
    #[error(
        "chunk {index} failed authentication: the file was altered, reordered, truncated or \
         extended"
    )]
    ChunkAuth {
        /// Index of the chunk (0-based).
        index: u64,
    },
    /// The file ends inside a chunk shorter than a tag, or right after the header.
    #[error("encrypted file is truncated: chunk {index} is {len} bytes, shorter than its tag")]
    Truncated {
        /// Index of the incomplete chunk.
        index: u64,
        /// Bytes of it present.
        len: usize,
    },
    /// A final chunk with no plaintext after a full one: authentic only if the key holder wrote
    /// it, and never written by this crate, since the canonical encoding ends with the last
    /// full chunk.
    #[error("chunk {index} is an empty final chunk after a full one (non-canonical encoding)")]
    EmptyFinalChunk {
        /// Its index.
        index: u64,
    },
    /// The plaintext needs more than 2³² chunks.
    #[error("plaintext too large: more than 2^32 chunks of {chunk_size} bytes")]
    TooManyChunks {
        /// The chunk size in use.
        chunk_size: u32,
    },
    /// The ciphertext is not the one registered.
    #[error("content hash mismatch: expected {expected}, the ciphertext hashes to {actual}")]
    ContentHashMismatch {
        /// The registered hash.
        expected: Hash,
        /// The hash of the bytes at hand.
        actual: Hash,
    },
    /// An earlier error ended this stream; what it produced must be discarded.
    #[error("the stream already failed; discard its output")]
    Failed,
    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    /// Reading or writing the underlying stream failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// A file's 256-bit symmetric key. Zeroized on drop; never shown by `Debug`; compared in
/// constant time.
#[derive(Clone)]
pub struct FileKey(Zeroizing<[u8; 32]>);

impl PartialEq for FileKey {
    fn eq(&self, other: &Self) -> bool {
        // No early exit: the time taken says nothing about where two keys differ.
        let diff = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for FileKey {}

impl FileKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, FileError> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut k[..]).map_err(|e| FileError::Randomness(e.to_string()))?;
        Ok(FileKey(k))
    }

    /// A key from its bytes (for example just opened from an envelope).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        FileKey(Zeroizing::new(bytes))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(<secret>)")
    }
}

/// How to encrypt one file: the chunk size and the nonce prefix. Use
/// [`EncryptOptions::random`]; a fixed prefix is for test vectors only (two files encrypted
/// under one key with one prefix would share nonces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptOptions {
    /// Plaintext bytes per chunk ([`MIN_CHUNK_SIZE`]`..=`[`MAX_CHUNK_SIZE`]).
    pub chunk_size: u32,
    /// The file's nonce prefix.
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl EncryptOptions {
    /// The default chunk size and a fresh random nonce prefix.
    pub fn random() -> Result<Self, FileError> {
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        getrandom::fill(&mut nonce_prefix).map_err(|e| FileError::Randomness(e.to_string()))?;
        Ok(EncryptOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            nonce_prefix,
        })
    }

    /// The same with another chunk size.
    pub fn with_chunk_size(self, chunk_size: u32) -> Self {
        EncryptOptions { chunk_size, ..self }
    }
}

/// A parsed header (see the crate documentation for its bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// The file's nonce prefix.
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
    /// `tagged("synod/data/key-commitment/v1", file_key ‖ header[0..32])`.
    pub key_commitment: [u8; 32],
}

impl Header {
    /// The header of a new file under `key`.
    pub fn new(key: &FileKey, options: &EncryptOptions) -> Result<Self, FileError> {
        check_chunk_size(options.chunk_size)?;
        let core = core_bytes(options.chunk_size, &options.nonce_prefix);
        Ok(Header {
            chunk_size: options.chunk_size,
            nonce_prefix: options.nonce_prefix,
            key_commitment: *key_commitment(key, &core).as_bytes(),
        })
    }

    /// The header's 64 bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..32].copy_from_slice(&core_bytes(self.chunk_size, &self.nonce_prefix));
        out[32..].copy_from_slice(&self.key_commitment);
        out
    }

    /// Parses the header at the start of `file` (only its first [`HEADER_LEN`] bytes are
    /// read), checking magic, version and chunk size. Needs no key: a registry or a download
    /// can look at it before any key is at hand.
    pub fn parse(file: &[u8]) -> Result<Self, FileError> {
        let Some(h) = file.get(..HEADER_LEN) else {
            return Err(FileError::TruncatedHeader { got: file.len() });
        };
        if h[..8] != MAGIC {
            return Err(FileError::BadMagic);
        }
        if h[8] != FORMAT_VERSION {
            return Err(FileError::UnsupportedVersion(h[8]));
        }
        let chunk_size = u32::from_le_bytes([h[9], h[10], h[11], h[12]]);
        check_chunk_size(chunk_size)?;
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&h[13..32]);
        let mut key_commitment = [0u8; 32];
        key_commitment.copy_from_slice(&h[32..64]);
        Ok(Header {
            chunk_size,
            nonce_prefix,
            key_commitment,
        })
    }

    /// Whether this header commits to `key`, compared in constant time (`blake3::Hash`'s
    /// equality) so that timing tells nothing about the key's commitment.
    pub fn check_key(&self, key: &FileKey) -> Result<(), FileError> {
        let core = core_bytes(self.chunk_size, &self.nonce_prefix);
        if key_commitment(key, &core) == blake3::Hash::from_bytes(self.key_commitment) {
            Ok(())
        } else {
            Err(FileError::WrongKey)
        }
    }
}

fn check_chunk_size(chunk_size: u32) -> Result<(), FileError> {
    if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        Ok(())
    } else {
        Err(FileError::BadChunkSize(chunk_size))
    }
}

/// The header's first 32 bytes: magic, version, chunk size, nonce prefix.
fn core_bytes(chunk_size: u32, nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&MAGIC);
    out[8] = FORMAT_VERSION;
    out[9..13].copy_from_slice(&chunk_size.to_le_bytes());
    out[13..32].copy_from_slice(nonce_prefix);
    out
}

/// `tagged(tag, file_key ‖ core)` as a `blake3::Hash` (constant-time equality); the same
/// bytes as `synod_primitives::Hash::tagged`.
fn keyed_tagged(tag: &str, key: &FileKey, core: &[u8; 32]) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    h.update(&(tag.len() as u32).to_le_bytes());
    h.update(tag.as_bytes());
    h.update(key.as_bytes());
    h.update(core);
    h.finalize()
}

fn key_commitment(key: &FileKey, core: &[u8; 32]) -> blake3::Hash {
    keyed_tagged(KEY_COMMITMENT_TAG, key, core)
}

/// The chunk cipher of one file: its derived key, its header (each chunk's associated data)
/// and the index of the next chunk.
struct ChunkCipher {
    aead: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    chunk_size: u32,
    next: u64,
}

impl ChunkCipher {
    fn new(key: &FileKey, header: &Header) -> Self {
        let core = core_bytes(header.chunk_size, &header.nonce_prefix);
        // The chunk key is derived rather than the file key itself so that it is bound to this
        // header and independent of the commitment computed from the same key.
        let payload_key = Zeroizing::new(*keyed_tagged(PAYLOAD_KEY_TAG, key, &core).as_bytes());
        ChunkCipher {
            aead: XChaCha20Poly1305::new(&(*payload_key).into()),
            header: header.to_bytes(),
            nonce_prefix: header.nonce_prefix,
            chunk_size: header.chunk_size,
            next: 0,
        }
    }

    /// The nonce of the next chunk, or `TooManyChunks` past the 32-bit counter.
    fn nonce(&self, last: bool) -> Result<XNonce, FileError> {
        let index = u32::try_from(self.next).map_err(|_| FileError::TooManyChunks {
            chunk_size: self.chunk_size,
        })?;
        let mut n = [0u8; 24];
        n[..NONCE_PREFIX_LEN].copy_from_slice(&self.nonce_prefix);
        n[NONCE_PREFIX_LEN..23].copy_from_slice(&index.to_be_bytes());
        n[23] = u8::from(last);
        Ok(n.into())
    }

    /// Encrypts the next chunk in place and returns its tag.
    fn seal(&mut self, chunk: &mut [u8], last: bool) -> Result<[u8; TAG_LEN], FileError> {
        let nonce = self.nonce(last)?;
        let tag = self
            .aead
            .encrypt_inout_detached(&nonce, &self.header, chunk.into())
            .map_err(|_| FileError::TooManyChunks {
                // The only failure of XChaCha20-Poly1305 encryption is a message over its
                // 256 GiB limit, far above MAX_CHUNK_SIZE.
                chunk_size: self.chunk_size,
            })?;
        self.next += 1;
        Ok(tag.into())
    }

    /// Checks that a chunk of `len` ciphertext bytes can be the next one; returns the length
    /// of its body (the bytes before the tag).
    fn check_len(&self, len: usize, last: bool) -> Result<usize, FileError> {
        let index = self.next;
        if index > MAX_CHUNK_INDEX {
            return Err(FileError::TooManyChunks {
                chunk_size: self.chunk_size,
            });
        }
        let Some(body_len) = len.checked_sub(TAG_LEN) else {
            return Err(FileError::Truncated { index, len });
        };
        if last && body_len == 0 && index > 0 {
            return Err(FileError::EmptyFinalChunk { index });
        }
        Ok(body_len)
    }

    /// Decrypts the next chunk's body in place, given its tag; nothing is left decrypted in
    /// `body` if the tag does not match.
    fn open(&mut self, body: &mut [u8], tag: &[u8], last: bool) -> Result<(), FileError> {
        let index = self.next;
        let nonce = self.nonce(last)?;
        let tag = Tag::try_from(tag).map_err(|_| FileError::Truncated {
            index,
            len: body.len() + tag.len(),
        })?;
        self.aead
            .decrypt_inout_detached(&nonce, &self.header, body.into(), &tag)
            .map_err(|_| FileError::ChunkAuth { index })?;
        self.next += 1;
        Ok(())
    }

    /// Ciphertext bytes of a full chunk.
    fn full(&self) -> usize {
        self.chunk_size as usize + TAG_LEN
    }
}

/// What an encryption produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptSummary {
    /// BLAKE3 of the whole encrypted file: the value to register on chain.
    pub content_hash: Hash,
    /// Bytes of plaintext read.
    pub plaintext_len: u64,
    /// Bytes of ciphertext written, header included.
    pub ciphertext_len: u64,
    /// Number of chunks.
    pub chunks: u64,
}

/// Encrypts whatever is written to it into `inner`, one chunk at a time: it holds at most one
/// chunk of plaintext, whatever the file's size. Call [`finish`](Self::finish) at the end:
/// dropping it without does not write the final chunk, and the result is refused as truncated.
pub struct Encryptor<W: Write> {
    inner: W,
    cipher: ChunkCipher,
    /// Plaintext of the chunk being filled, with room for its tag.
    buf: Vec<u8>,
    hasher: blake3::Hasher,
    plaintext_len: u64,
    ciphertext_len: u64,
    failed: bool,
}

impl<W: Write> Encryptor<W> {
    /// Writes the header of a new file under `key` to `inner`.
    pub fn new(mut inner: W, key: &FileKey, options: &EncryptOptions) -> Result<Self, FileError> {
        let header = Header::new(key, options)?;
        let cipher = ChunkCipher::new(key, &header);
        let mut hasher = blake3::Hasher::new();
        hasher.update(&cipher.header);
        inner.write_all(&cipher.header)?;
        Ok(Encryptor {
            inner,
            buf: Vec::with_capacity(cipher.full()),
            cipher,
            hasher,
            plaintext_len: 0,
            ciphertext_len: HEADER_LEN as u64,
            failed: false,
        })
    }

    /// Seals the buffered chunk and writes it out.
    fn emit(&mut self, last: bool) -> Result<(), FileError> {
        let tag = self.cipher.seal(&mut self.buf, last)?;
        self.buf.extend_from_slice(&tag);
        self.hasher.update(&self.buf);
        self.inner.write_all(&self.buf)?;
        self.ciphertext_len += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn write_chunked(&mut self, mut data: &[u8]) -> Result<(), FileError> {
        if self.failed {
            return Err(FileError::Failed);
        }
        let chunk_size = self.cipher.chunk_size as usize;
        while !data.is_empty() {
            // A full buffer is sealed only once more data arrives: until then it may be the
            // last chunk, whose flag differs.
            if self.buf.len() == chunk_size
                && let Err(e) = self.emit(false)
            {
                self.failed = true;
                return Err(e);
            }
            let take = (chunk_size - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            self.plaintext_len += take as u64;
            data = &data[take..];
        }
        Ok(())
    }

    /// Seals the final chunk, flushes, and returns the writer with the file's summary.
    pub fn finish(mut self) -> Result<(W, EncryptSummary), FileError> {
        if self.failed {
            return Err(FileError::Failed);
        }
        self.emit(true)?;
        self.inner.flush()?;
        let chunks = self.cipher.next;
        Ok((
            self.inner,
            EncryptSummary {
                content_hash: Hash(*self.hasher.finalize().as_bytes()),
                plaintext_len: self.plaintext_len,
                ciphertext_len: self.ciphertext_len,
                chunks,
            },
        ))
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_chunked(data).map_err(into_io)?;
        Ok(data.len())
    }

    /// Flushes the underlying writer; the chunk being filled stays buffered (it cannot be
    /// sealed before it is known whether it is the last).
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn into_io(e: FileError) -> io::Error {
    match e {
        FileError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Open,
    Done,
    Failed,
}

/// Decrypts a file read from `inner`, one chunk at a time (it holds one chunk whatever the
/// file's size). As a `Read` it yields plaintext only from chunks that authenticated; but a
/// truncated or extended file is detected only at its end, so whatever was read must be
/// treated as untrusted until `read` has returned `Ok(0)` (end of file). Errors come out of
/// `read` as `io::ErrorKind::InvalidData` wrapping the [`FileError`];
/// [`next_chunk`](Self::next_chunk) and [`decrypt_stream`] return the `FileError` itself.
pub struct Decryptor<R: Read> {
    inner: R,
    cipher: ChunkCipher,
    /// One chunk and one byte of look-ahead (how a reader knows a chunk is not the last).
    buf: Vec<u8>,
    /// The look-ahead byte read past the previous chunk.
    carry: Option<u8>,
    /// Plaintext of the current chunk not yet handed out: `buf[pos..end]`.
    pos: usize,
    end: usize,
    plaintext_len: u64,
    state: ReadState,
}

impl<R: Read> Decryptor<R> {
    /// Reads and checks the header (magic, version, chunk size, and that it commits to `key`).
    pub fn new(mut inner: R, key: &FileKey) -> Result<Self, FileError> {
        let mut h = [0u8; HEADER_LEN];
        let got = read_full(&mut inner, &mut h)?;
        let header = Header::parse(&h[..got])?;
        header.check_key(key)?;
        let cipher = ChunkCipher::new(key, &header);
        Ok(Decryptor {
            inner,
            buf: vec![0u8; cipher.full() + 1],
            cipher,
            carry: None,
            pos: 0,
            end: 0,
            plaintext_len: 0,
            state: ReadState::Open,
        })
    }

    /// The plaintext of the next chunk, or `None` after the final chunk authenticated.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, FileError> {
        match self.state {
            ReadState::Done => return Ok(None),
            ReadState::Failed => return Err(FileError::Failed),
            ReadState::Open => {}
        }
        match self.advance() {
            Ok(()) => {
                let (pos, end) = (self.pos, self.end);
                self.pos = end;
                Ok(Some(&self.buf[pos..end]))
            }
            Err(e) => {
                self.state = ReadState::Failed;
                Err(e)
            }
        }
    }

    /// Reads and decrypts the next chunk into `buf[0..end]`.
    fn advance(&mut self) -> Result<(), FileError> {
        let full = self.cipher.full();
        let mut filled = 0;
        if let Some(b) = self.carry.take() {
            self.buf[0] = b;
            filled = 1;
        }
        filled += read_full(&mut self.inner, &mut self.buf[filled..full + 1])?;
        let last = filled <= full;
        let len = if last { filled } else { full };
        if !last {
            self.carry = Some(self.buf[full]);
        }
        let plain = self.cipher.check_len(len, last)?;
        let (body, tag) = self.buf[..len].split_at_mut(plain);
        self.cipher.open(body, tag, last)?;
        self.plaintext_len += plain as u64;
        self.pos = 0;
        self.end = plain;
        if last {
            self.state = ReadState::Done;
        }
        Ok(())
    }

    /// Plaintext bytes authenticated so far.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Whether the final chunk has authenticated (the whole file is genuine).
    pub fn is_done(&self) -> bool {
        self.state == ReadState::Done
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Decryptor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.end {
                let n = (self.end - self.pos).min(out.len());
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match self.state {
                ReadState::Done => return Ok(0),
                ReadState::Failed => return Err(into_io(FileError::Failed)),
                ReadState::Open => {}
            }
            if let Err(e) = self.advance() {
                self.state = ReadState::Failed;
                return Err(into_io(e));
            }
        }
    }
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, FileError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FileError::Io(e)),
        }
    }
    Ok(filled)
}

/// Encrypts everything `reader` yields into `writer` in constant memory.
pub fn encrypt_stream<R: Read, W: Write>(
    mut reader: R,
    writer: W,
    key: &FileKey,
    options: &EncryptOptions,
) -> Result<EncryptSummary, FileError> {
    let mut enc = Encryptor::new(writer, key, options)?;
    let mut buf = vec![0u8; options.chunk_size as usize];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FileError::Io(e)),
        };
        enc.write_chunked(&buf[..n])?;
    }
    enc.finish().map(|(_, summary)| summary)
}

/// Decrypts the file `reader` yields into `writer` in constant memory; returns the plaintext
/// length. On an error, what was already written must be discarded.
pub fn decrypt_stream<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &FileKey,
) -> Result<u64, FileError> {
    let mut dec = Decryptor::new(reader, key)?;
    while let Some(chunk) = dec.next_chunk()? {
        writer.write_all(chunk)?;
    }
    writer.flush()?;
    Ok(dec.plaintext_len())
}

/// Ciphertext length of a `plaintext_len`-byte file at `chunk_size`: `64 + len + 16·n` with
/// `n = max(1, ceil(len / chunk_size))`; `None` for an invalid chunk size or a plaintext over
/// 2³² chunks.
pub fn ciphertext_len(plaintext_len: u64, chunk_size: u32) -> Option<u64> {
    check_chunk_size(chunk_size).ok()?;
    let chunks = plaintext_len.div_ceil(u64::from(chunk_size)).max(1);
    if chunks > MAX_CHUNK_INDEX + 1 {
        return None;
    }
    (HEADER_LEN as u64)
        .checked_add(plaintext_len)?
        .checked_add(chunks.checked_mul(TAG_LEN as u64)?)
}

/// Encrypts `plaintext` in memory; the same bytes as [`encrypt_stream`] gives.
pub fn encrypt(
    plaintext: &[u8],
    key: &FileKey,
    options: &EncryptOptions,
) -> Result<Vec<u8>, FileError> {
    let header = Header::new(key, options)?;
    let mut cipher = ChunkCipher::new(key, &header);
    let total = ciphertext_len(plaintext.len() as u64, options.chunk_size)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(FileError::TooManyChunks {
            chunk_size: options.chunk_size,
        })?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&cipher.header);
    let chunk_size = options.chunk_size as usize;
    let mut rest = plaintext;
    loop {
        let take = rest.len().min(chunk_size);
        let last = take == rest.len();
        let start = out.len();
        out.extend_from_slice(&rest[..take]);
        let tag = cipher.seal(&mut out[start..], last)?;
        out.extend_from_slice(&tag);
        rest = &rest[take..];
        if last {
            return Ok(out);
        }
    }
}

/// Decrypts an encrypted file held in memory; accepts exactly what [`Decryptor`] accepts.
/// Check the content hash first ([`decrypt_checked`]) when the file came from elsewhere.
pub fn decrypt(ciphertext: &[u8], key: &FileKey) -> Result<Vec<u8>, FileError> {
    let header = Header::parse(ciphertext)?;
    header.check_key(key)?;
    let mut cipher = ChunkCipher::new(key, &header);
    let mut rest = &ciphertext[HEADER_LEN..];
    let full = cipher.full();
    let mut out = Vec::with_capacity(rest.len());
    loop {
        // The final chunk is the one the file ends with: a full-size chunk followed by more
        // bytes is a middle chunk, whatever it claims.
        let last = rest.len() <= full;
        let len = if last { rest.len() } else { full };
        let body_len = cipher.check_len(len, last)?;
        let (body, tag) = rest[..len].split_at(body_len);
        // Decrypted in place in the output: one copy of the data, no chunk buffer.
        let start = out.len();
        out.extend_from_slice(body);
        cipher.open(&mut out[start..], tag, last)?;
        rest = &rest[len..];
        if last {
            return Ok(out);
        }
    }
}

/// BLAKE3 of the whole encrypted file: what the chain registers.
pub fn content_hash(ciphertext: &[u8]) -> Hash {
    Hash::digest(ciphertext)
}

/// Refuses a ciphertext whose BLAKE3 hash is not `expected` (the registered one). Every
/// download runs this before decrypting.
pub fn check_content_hash(ciphertext: &[u8], expected: &Hash) -> Result<(), FileError> {
    let actual = content_hash(ciphertext);
    // Both hashes are public; a plain comparison is fine.
    if actual == *expected {
        Ok(())
    } else {
        Err(FileError::ContentHashMismatch {
            expected: *expected,
            actual,
        })
    }
}

/// [`check_content_hash`] then [`decrypt`]: what a download of a registered file runs.
pub fn decrypt_checked(
    ciphertext: &[u8],
    key: &FileKey,
    expected: &Hash,
) -> Result<Vec<u8>, FileError> {
    check_content_hash(ciphertext, expected)?;
    decrypt(ciphertext, key)
}

/// BLAKE3 and length of everything `reader` yields, in constant memory: the check of a
/// downloaded file on disk before it is decrypted with [`decrypt_stream`].
pub fn hash_reader<R: Read>(mut reader: R) -> Result<(Hash, u64), FileError> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FileError::Io(e)),
        }
    }
    Ok((Hash(*hasher.finalize().as_bytes()), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(chunk_size: u32) -> EncryptOptions {
        EncryptOptions {
            chunk_size,
            nonce_prefix: [9; NONCE_PREFIX_LEN],
        }
    }

    #[test]
    fn header_layout() {
        let key = FileKey::from_bytes([1; 32]);
        let h = Header::new(&key, &opts(4096)).expect("header");
        let bytes = h.to_bytes();
        assert_eq!(&bytes[..8], b"SYNODENC");
        assert_eq!(bytes[8], 1);
        assert_eq!(&bytes[9..13], &4096u32.to_le_bytes());
        assert_eq!(&bytes[13..32], &[9; 19]);
        let mut data = key.as_bytes().to_vec();
        data.extend_from_slice(&bytes[..32]);
        assert_eq!(
            &bytes[32..],
            Hash::tagged(KEY_COMMITMENT_TAG, &data).as_bytes()
        );
        assert_eq!(Header::parse(&bytes).expect("parse"), h);
        h.check_key(&key).expect("commits to its key");
        assert!(matches!(
            h.check_key(&FileKey::from_bytes([2; 32])),
            Err(FileError::WrongKey)
        ));
    }

    #[test]
    fn header_refusals() {
        let key = FileKey::from_bytes([1; 32]);
        let good = Header::new(&key, &opts(64)).expect("header").to_bytes();
        assert!(matches!(
            Header::parse(&good[..63]),
            Err(FileError::TruncatedHeader { got: 63 })
        ));
        let mut b = good;
        b[0] ^= 1;
        assert!(matches!(Header::parse(&b), Err(FileError::BadMagic)));
        let mut b = good;
        b[8] = 2;
        assert!(matches!(
            Header::parse(&b),
            Err(FileError::UnsupportedVersion(2))
        ));
        for size in [0u32, 63, MAX_CHUNK_SIZE + 1, u32::MAX] {
            let mut b = good;
            b[9..13].copy_from_slice(&size.to_le_bytes());
            assert!(matches!(Header::parse(&b), Err(FileError::BadChunkSize(s)) if s == size));
            assert!(matches!(
                Header::new(&key, &opts(size)),
                Err(FileError::BadChunkSize(_))
            ));
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(ciphertext_len(0, 64), Some(64 + 16));
        assert_eq!(ciphertext_len(64, 64), Some(64 + 64 + 16));
        assert_eq!(ciphertext_len(65, 64), Some(64 + 65 + 32));
        assert_eq!(ciphertext_len(1, 63), None);
        assert_eq!(ciphertext_len(u64::MAX, 64), None);
        assert_eq!(
            ciphertext_len((1u64 << 32) * 64, 64),
            Some(64 + (1u64 << 32) * 80)
        );
        assert_eq!(ciphertext_len((1u64 << 32) * 64 + 1, 64), None);
    }

    #[test]
    fn counter_is_exhausted_after_2_pow_32_chunks() {
        let key = FileKey::from_bytes([1; 32]);
        let header = Header::new(&key, &opts(64)).expect("header");
        let mut c = ChunkCipher::new(&key, &header);
        c.next = MAX_CHUNK_INDEX;
        let mut buf = [0u8; 8];
        c.seal(&mut buf, false).expect("the last index is usable");
        assert!(matches!(
            c.seal(&mut buf, true),
            Err(FileError::TooManyChunks { chunk_size: 64 })
        ));
    }

    #[test]
    fn stream_and_memory_agree_and_round_trip() {
        let key = FileKey::from_bytes([5; 32]);
        for len in [0usize, 1, 63, 64, 65, 128, 129, 1000] {
            let pt: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mem = encrypt(&pt, &key, &opts(64)).expect("encrypt");
            assert_eq!(
                mem.len() as u64,
                ciphertext_len(len as u64, 64).expect("len")
            );
            let mut streamed = Vec::new();
            let summary = encrypt_stream(&pt[..], &mut streamed, &key, &opts(64)).expect("encrypt");
            assert_eq!(streamed, mem, "len {len}");
            assert_eq!(summary.content_hash, content_hash(&mem));
            assert_eq!(summary.ciphertext_len, mem.len() as u64);
            assert_eq!(summary.plaintext_len, len as u64);
            assert_eq!(decrypt(&mem, &key).expect("decrypt"), pt);
            let mut out = Vec::new();
            assert_eq!(
                decrypt_stream(&mem[..], &mut out, &key).expect("decrypt"),
                len as u64
            );
            assert_eq!(out, pt);
            let mut out = Vec::new();
            Decryptor::new(&mem[..], &key)
                .expect("header")
                .read_to_end(&mut out)
                .expect("read");
            assert_eq!(out, pt);
        }
    }

    #[test]
    fn empty_final_chunk_is_refused() {
        // Written by hand with the key: a full chunk marked not-last, then an empty last one.
        let key = FileKey::from_bytes([5; 32]);
        let header = Header::new(&key, &opts(64)).expect("header");
        let mut c = ChunkCipher::new(&key, &header);
        let mut file = header.to_bytes().to_vec();
        let mut chunk = vec![1u8; 64];
        let tag = c.seal(&mut chunk, false).expect("seal");
        file.extend_from_slice(&chunk);
        file.extend_from_slice(&tag);
        let tag = c.seal(&mut [], true).expect("seal");
        file.extend_from_slice(&tag);
        assert!(matches!(
            decrypt(&file, &key),
            Err(FileError::EmptyFinalChunk { index: 1 })
        ));
        assert!(matches!(
            decrypt_stream(&file[..], Vec::new(), &key),
            Err(FileError::EmptyFinalChunk { index: 1 })
        ));
    }

    #[test]
    fn decryptor_stays_failed() {
        let key = FileKey::from_bytes([5; 32]);
        let mut ct = encrypt(&[7u8; 300], &key, &opts(64)).expect("encrypt");
        ct[HEADER_LEN + 100] ^= 1;
        let mut dec = Decryptor::new(&ct[..], &key).expect("header");
        assert!(dec.next_chunk().expect("chunk 0 is intact").is_some());
        assert!(matches!(
            dec.next_chunk(),
            Err(FileError::ChunkAuth { index: 1 })
        ));
        assert!(matches!(dec.next_chunk(), Err(FileError::Failed)));
        let mut out = [0u8; 10];
        assert!(dec.read(&mut out).is_err());
    }

    #[test]
    fn encryptor_dropped_without_finish_is_truncated() {
        let key = FileKey::from_bytes([5; 32]);
        let mut out = Vec::new();
        {
            let mut enc = Encryptor::new(&mut out, &key, &opts(64)).expect("new");
            enc.write_all(&[3u8; 200]).expect("write");
        }
        assert!(matches!(
            decrypt(&out, &key),
            Err(FileError::ChunkAuth { index: 2 })
        ));
    }

    #[test]
    fn content_hash_check() {
        let key = FileKey::from_bytes([5; 32]);
        let ct = encrypt(b"hello", &key, &opts(64)).expect("encrypt");
        let h = content_hash(&ct);
        assert_eq!(h.0, *blake3::hash(&ct).as_bytes());
        assert_eq!(decrypt_checked(&ct, &key, &h).expect("ok"), b"hello");
        let mut other = ct.clone();
        other.push(0);
        assert!(matches!(
            decrypt_checked(&other, &key, &h),
            Err(FileError::ContentHashMismatch { .. })
        ));
        assert_eq!(hash_reader(&ct[..]).expect("hash"), (h, ct.len() as u64));
    }

    #[test]
    fn file_key_debug_hides_secret() {
        let k = FileKey::from_bytes([0xab; 32]);
        assert!(!format!("{k:?}").contains("abab"));
    }
}
