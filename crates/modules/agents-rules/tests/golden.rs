//! Golden bytes: the encodings that will go on chain cannot change silently.

use std::collections::BTreeSet;
use synod_agents_rules::{Asset, ChannelState, Intent};
use synod_primitives::{AccountId, Hash};

fn golden_intent() -> Intent {
    Intent {
        user: AccountId([0x11; 32]),
        agent: AccountId([0x22; 32]),
        asset: Asset::Token(0x0102),
        start_height: 1_000,
        per_tx_cap: 5,
        total_cap: 1_000_000,
        period_blocks: 14_400,
        period_cap: 10_000,
        expires_at: 100_000,
        allowed_calls: BTreeSet::from([2, 1]),
        allowed_payees: Some(BTreeSet::from([
            AccountId([0x44; 32]),
            AccountId([0x33; 32]),
        ])),
    }
}

const INTENT_HEX: &str = concat!(
    "1111111111111111111111111111111111111111111111111111111111111111", // user
    "2222222222222222222222222222222222222222222222222222222222222222", // agent
    "010201000000000000",                                               // asset: token 0x0102
    "e803000000000000",                                                 // start_height 1000
    "05000000000000000000000000000000",                                 // per_tx_cap 5
    "40420f00000000000000000000000000",                                 // total_cap 1e6
    "4038000000000000",                                                 // period_blocks 14400
    "10270000000000000000000000000000",                                 // period_cap 10000
    "a086010000000000",                                                 // expires_at 100000
    "02000000",                                                         // allowed_calls: 2 of them
    "0100",                                                             // 1
    "0200",                                                             // 2
    "01",                                                               // allowed_payees: Some
    "02000000",                                                         // 2 of them, ascending
    "3333333333333333333333333333333333333333333333333333333333333333",
    "4444444444444444444444444444444444444444444444444444444444444444",
);
const INTENT_HASH_HEX: &str = "d52d2636632ceb93114f006d22213e160730dc5c69d93bed3fb881357e334e9d";
const CHANNEL_PAYLOAD_HEX: &str = concat!(
    "73796e6f642f6167656e74732f6368616e6e656c2d73746174652f7631", // "synod/agents/channel-state/v1"
    "abababababababababababababababababababababababababababababababab", // channel_id
    "0700000000000000",                                           // nonce 7
    "07ca9a3b000000000000000000000000",                           // cumulative_paid 1_000_000_007
);

#[test]
fn intent_encoding_is_pinned() {
    let bytes = synod_primitives::encode(&golden_intent());
    assert_eq!(hex::encode(&bytes), INTENT_HEX);
    assert_eq!(hex::encode(golden_intent().hash().0), INTENT_HASH_HEX);
    let back: Intent = synod_primitives::decode_exact(&bytes, 4096).expect("decode");
    assert_eq!(back, golden_intent());
}

#[test]
fn channel_state_signing_payload_is_pinned() {
    let s = ChannelState {
        channel_id: Hash([0xab; 32]),
        nonce: 7,
        cumulative_paid: 1_000_000_007,
    };
    let p = s.signing_payload();
    assert_eq!(hex::encode(&p), CHANNEL_PAYLOAD_HEX);
    assert!(p.starts_with(b"synod/agents/channel-state/v1"));
    // the close payload differs only by its domain tag
    let c = s.close_payload();
    assert!(c.starts_with(b"synod/agents/channel-close/v1"));
    assert_eq!(
        c[b"synod/agents/channel-close/v1".len()..],
        p[b"synod/agents/channel-state/v1".len()..]
    );
}

/// A set encoded out of order (or with a repeat) is refused: one byte string per value.
#[test]
fn unsorted_sets_are_not_decoded() {
    let bytes = synod_primitives::encode(&golden_intent());
    let hex = hex::encode(&bytes).replace("0200000001000200", "0200000002000100");
    let swapped = hex::decode(&hex).expect("hex");
    assert_ne!(swapped, bytes);
    assert!(synod_primitives::decode_exact::<Intent>(&swapped, 4096).is_err());
    let hex = hex::encode(&bytes).replace("0200000001000200", "0200000001000100");
    let repeated = hex::decode(&hex).expect("hex");
    assert!(synod_primitives::decode_exact::<Intent>(&repeated, 4096).is_err());
}

/// The same holds for a session scope's payee set, and a valid scope round-trips.
#[test]
fn scope_sets_are_strict() {
    let i = golden_intent();
    let scope = synod_agents_rules::SessionScope {
        intent_hash: i.hash(),
        session_key: AccountId([0x55; 32]),
        per_tx_cap: 1,
        total_cap: 1,
        period_cap: 1,
        expires_at: 10,
        allowed_calls: BTreeSet::from([1]),
        allowed_payees: Some(BTreeSet::from([
            AccountId([0x33; 32]),
            AccountId([0x44; 32]),
        ])),
    };
    let bytes = synod_primitives::encode(&scope);
    let back: synod_agents_rules::SessionScope =
        synod_primitives::decode_exact(&bytes, 4096).expect("decode");
    assert_eq!(back, scope);
    let hex = hex::encode(&bytes)
        .replace(&"33".repeat(32), "XX")
        .replace(&"44".repeat(32), &"33".repeat(32))
        .replace("XX", &"44".repeat(32));
    let swapped = hex::decode(hex).expect("hex");
    assert!(
        synod_primitives::decode_exact::<synod_agents_rules::SessionScope>(&swapped, 4096).is_err()
    );
}
