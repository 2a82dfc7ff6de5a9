//! The block adapter: Synod's [`Block`] as a commonware consensus block.
//!
//! The engine only ever sees [`ConsensusBlock`], a cheap-to-clone wrapper holding the block, its
//! hash (computed once) and its canonical bytes. The digest is Synod's header hash, the parent is
//! `header.parent` and the height is `header.height`, so certificates signed by the engine name
//! blocks exactly as the rest of Synod does.
//!
//! On the wire (and in the engine's archives) a block is its borsh encoding behind a varint length
//! prefix. Decoding enforces the configured size limit before allocating, rejects trailing bytes,
//! and never panics on malformed input.

use bytes::{BufMut, Bytes};
use commonware_codec::{Buf, Copying, EncodeSize, Error as CodecError, RangeCfg, Read, Write};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::{Digestible, blake3};
use std::sync::Arc;
use synod_primitives::Hash;
use synod_runtime::Block;

/// The digest type the engine uses to name blocks (32 bytes, equal to [`Block::hash`]).
pub type Digest = blake3::Digest;

/// Converts a Synod hash to the engine's digest type.
pub fn to_digest(hash: &Hash) -> Digest {
    blake3::Digest(hash.0)
}

/// Converts the engine's digest type back to a Synod hash.
pub fn from_digest(digest: &Digest) -> Hash {
    Hash(digest.0)
}

/// A Synod block as the consensus engine handles it.
#[derive(Clone, Debug)]
pub struct ConsensusBlock {
    block: Arc<Block>,
    hash: Hash,
    encoded: Bytes,
}

impl ConsensusBlock {
    /// Wraps a block, computing its hash and canonical encoding once.
    pub fn new(block: impl Into<Arc<Block>>) -> Self {
        let block = block.into();
        let hash = block.hash();
        let encoded = Bytes::from(block.encode());
        Self {
            block,
            hash,
            encoded,
        }
    }

    /// The wrapped block.
    pub fn block(&self) -> &Arc<Block> {
        &self.block
    }

    /// The block hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The canonical (borsh) encoding of the block, without the length prefix.
    pub fn canonical_bytes(&self) -> &Bytes {
        &self.encoded
    }

    /// Size in bytes of the canonical encoding.
    pub fn size(&self) -> usize {
        self.encoded.len()
    }
}

impl PartialEq for ConsensusBlock {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.encoded == other.encoded
    }
}

impl Eq for ConsensusBlock {}

impl Write for ConsensusBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.encoded.write(buf);
    }
}

impl EncodeSize for ConsensusBlock {
    fn encode_size(&self) -> usize {
        self.encoded.encode_size()
    }
}

impl Read for ConsensusBlock {
    /// The largest accepted canonical encoding, in bytes.
    type Cfg = usize;

    fn read_cfg(buf: &mut impl Buf, max_size: &usize) -> Result<Self, CodecError> {
        let max = (*max_size).min(synod_primitives::block::MAX_BLOCK_SIZE);
        let bytes = Bytes::read_cfg(buf, &RangeCfg::new(0..=max))?;
        let block = Block::decode(&bytes).map_err(|e| CodecError::Wrapped("Block", Box::new(e)))?;
        let hash = block.hash();
        Ok(Self {
            block: Arc::new(block),
            hash,
            encoded: bytes,
        })
    }
}

impl Digestible for ConsensusBlock {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        to_digest(&self.hash)
    }
}

impl Heightable for ConsensusBlock {
    fn height(&self) -> Height {
        Height::new(self.block.header.height)
    }
}

impl commonware_consensus::Block for ConsensusBlock {
    fn parent(&self) -> Digest {
        to_digest(&self.block.header.parent)
    }
}

impl BoundedBlock for ConsensusBlock {
    fn max_encode_size(max_size: &usize) -> usize {
        let max = (*max_size).min(synod_primitives::block::MAX_BLOCK_SIZE);
        // Varint length prefix (at most 5 bytes for a u32-sized length) plus the body.
        max + 5
    }
}

/// Decodes a length-prefixed block exactly as the engine does (size-limited, no trailing bytes).
pub fn decode_block(bytes: &[u8], max_size: usize) -> Result<ConsensusBlock, CodecError> {
    use commonware_codec::Decode as _;
    ConsensusBlock::decode_cfg(Copying(bytes), &max_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode as _;
    use synod_primitives::{AccountId, Header};

    fn sample(height: u64) -> Block {
        Block {
            header: Header {
                height,
                parent: Hash::digest(b"parent"),
                timestamp_ms: 1_000 + height,
                proposer: AccountId([7; 32]),
                tx_root: Hash::ZERO,
                receipts_root: Hash::ZERO,
                state_root: Hash::digest(&height.to_le_bytes()),
            },
            txs: vec![],
        }
    }

    #[test]
    fn round_trip_and_identity() {
        let block = sample(5);
        let cb = ConsensusBlock::new(block.clone());
        let bytes = cb.encode();
        let back = decode_block(&bytes, 1 << 20).expect("decodes");
        assert_eq!(back, cb);
        assert_eq!(**back.block(), block);
        assert_eq!(from_digest(&back.digest()), block.hash());
        assert_eq!(back.height(), Height::new(5));
        assert_eq!(
            commonware_consensus::Block::parent(&back),
            to_digest(&block.header.parent)
        );
        // Canonical: re-encoding the decoded value gives the same bytes.
        assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn rejects_oversize_trailing_and_truncated() {
        let cb = ConsensusBlock::new(sample(1));
        let bytes = cb.encode().to_vec();
        assert!(
            decode_block(&bytes, cb.size() - 1).is_err(),
            "over the limit"
        );
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_block(&trailing, 1 << 20).is_err(), "trailing bytes");
        for cut in 0..bytes.len() {
            assert!(
                decode_block(&bytes[..cut], 1 << 20).is_err(),
                "truncated at {cut}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes never panic the decoder; they decode only to a block that re-encodes
        /// to the same bytes (canonical).
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            if let Ok(block) = decode_block(&bytes, 1 << 20) {
                proptest::prop_assert_eq!(block.encode().to_vec(), bytes);
            }
        }

        /// Corrupting a valid encoding (one byte changed, bytes cut or appended) gives an error
        /// or a different canonical block, never a panic.
        #[test]
        fn mutated_encodings_never_panic(
            height in 0u64..1_000_000,
            pos in 0usize..4096,
            byte in proptest::prelude::any::<u8>(),
            cut in 0usize..4096,
            extra in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
        ) {
            let bytes = ConsensusBlock::new(sample(height)).encode().to_vec();
            let mut flipped = bytes.clone();
            let i = pos % flipped.len();
            flipped[i] = byte;
            if let Ok(block) = decode_block(&flipped, 1 << 20) {
                proptest::prop_assert_eq!(block.encode().to_vec(), flipped);
            }
            let _ = decode_block(&bytes[..cut % bytes.len()], 1 << 20);
            let mut longer = bytes.clone();
            longer.extend_from_slice(&extra);
            let decoded = decode_block(&longer, 1 << 20);
            proptest::prop_assert_eq!(decoded.is_ok(), extra.is_empty());
        }
    }

    #[test]
    fn huge_length_prefix_is_rejected_before_allocating() {
        // A varint claiming a 4 GiB body with nothing behind it.
        let bytes = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode_block(&bytes, usize::MAX).is_err());
        // A length within the limit but larger than the input.
        assert!(decode_block(&[0x80, 0x08, 1, 2, 3], 1 << 20).is_err());
    }

    #[test]
    fn non_canonical_length_prefix_is_rejected() {
        let cb = ConsensusBlock::new(sample(3));
        let body = cb.canonical_bytes().to_vec();
        let len = body.len();
        assert!(
            (128..16384).contains(&len),
            "two-byte varint in this sample"
        );
        // Same length written as an overlong three-byte varint.
        let mut overlong = vec![(len as u8 & 0x7f) | 0x80, ((len >> 7) as u8) | 0x80, 0x00];
        overlong.extend_from_slice(&body);
        assert!(decode_block(&overlong, 1 << 20).is_err());
    }
}
