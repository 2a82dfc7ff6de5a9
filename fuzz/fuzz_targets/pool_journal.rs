#![no_main]
//! The pool's journal file. Two shapes of input: arbitrary bytes as the file (parsing never
//! panics and the parsed records plus the torn tail account for every byte), and arbitrary
//! records framed as a journal writes them (they parse back unchanged, so the fuzzer gets past
//! the checksums). Whatever decodes is re-admitted to a small pool, which stays within its
//! limits.

use libfuzzer_sys::fuzz_target;
use synod_mempool::{ChainRules, Mempool, MempoolConfig, SenderState, journal};
use synod_primitives::Hash;
use synod_primitives::tx::FeeSchedule;
use synod_runtime::SignedTransaction;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let records = if mode & 1 == 0 {
        let Some((records, torn)) = journal::parse(rest) else {
            return;
        };
        let used: u64 = records.iter().map(|r| r.len() as u64 + 8).sum();
        if !rest.is_empty() {
            assert_eq!(8 + used + torn, rest.len() as u64, "every byte accounted for");
        }
        records
    } else {
        // Records separated by a 0xff byte, framed as the journal frames them.
        let records: Vec<Vec<u8>> = rest.split(|b| *b == 0xff).map(<[u8]>::to_vec).collect();
        let framed = journal::frame(&records);
        let (parsed, torn) = journal::parse(&framed).expect("a framed journal parses");
        assert_eq!(parsed, records);
        assert_eq!(torn, 0);
        parsed
    };
    let pool = Mempool::new(
        MempoolConfig {
            max_txs: 8,
            max_future: 2,
            ..Default::default()
        },
        ChainRules {
            chain_id: "synod-dev".into(),
            genesis_hash: Hash::ZERO,
            fees: FeeSchedule::default(),
        },
    );
    let txs = records
        .iter()
        .filter_map(|r| SignedTransaction::decode(r).ok().map(|t| (t, r.len())))
        .collect();
    let _ = pool.admit_batch(txs, |_| SenderState {
        nonce: 0,
        balance: u64::MAX,
    });
    assert!(pool.len() <= 8);
    assert!(pool.future_len() <= 2);
});
