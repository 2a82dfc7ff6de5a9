//! Decoders on arbitrary and mutated input: typed errors, never panics, canonical round trips.

use proptest::prelude::*;
use synod_primitives::{Hash, Header, Keypair};
use synod_runtime::BankCall;
use synod_runtime::{Block, Call, SignedTransaction, Transaction};

fn sample_tx(nonce: u64, amount: u64) -> SignedTransaction {
    Transaction {
        chain_id: "synod-dev".into(),
        sender: Keypair::dev("alice").account(),
        nonce,
        fee: 1,
        call: Call::Bank(BankCall::Transfer {
            to: Keypair::dev("bob").account(),
            amount,
        }),
    }
    .sign(&Keypair::dev("alice"), &Hash::ZERO)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(tx.encode(), bytes.clone());
        }
        if let Ok(b) = Block::decode(&bytes) {
            prop_assert_eq!(b.encode(), bytes);
        }
    }

    #[test]
    fn mutated_transactions_decode_canonically_or_fail(nonce: u64, amount: u64, pos: usize, byte: u8, cut: usize) {
        let mut bytes = sample_tx(nonce, amount).encode();
        let i = pos % bytes.len();
        bytes[i] = byte;
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(tx.encode(), bytes.clone());
        }
        let truncated = &bytes[..cut % bytes.len()];
        prop_assert!(SignedTransaction::decode(truncated).is_err());
    }

    #[test]
    fn huge_length_prefixes_do_not_allocate(len: u32) {
        // A block header followed by a claimed transaction count of `len` and nothing else.
        let header = Header {
            height: 1, parent: Hash::ZERO, timestamp_ms: 0, proposer: Default::default(),
            tx_root: Hash::ZERO, receipts_root: Hash::ZERO, state_root: Hash::ZERO,
        };
        let mut bytes = synod_primitives::encode(&header);
        bytes.extend_from_slice(&len.to_le_bytes());
        let r = Block::decode(&bytes);
        prop_assert!(len == 0 || r.is_err());
    }
}
