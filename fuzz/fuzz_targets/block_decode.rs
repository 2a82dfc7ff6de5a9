#![no_main]
//! Arbitrary bytes through the block decoder: never a panic, canonical round trip.

use libfuzzer_sys::fuzz_target;
use synod_runtime::Block;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = Block::decode(data) {
        assert_eq!(block.encode(), data, "canonical encoding");
        let _ = block.hash();
        let _ = Block::compute_tx_root(&block.txs);
    }
});
