//! Golden encodings: one value of every call, admin action, failure and event variant, and of
//! every stored record, with its borsh bytes (hex) and JSON as first blessed. Calls, failures
//! and events go into blocks and receipts, records into the state root: none of these
//! encodings may ever change.
//!
//! `GOLDEN_BLESS=1 cargo test -p synod-tokens --test golden` rewrites `golden/encodings.txt`:
//! only ever do that for a newly appended variant, never to make an existing line pass.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::path::PathBuf;
use synod_primitives::{AccountId, decode_exact, encode};
use synod_tokens::state::{ActionRecord, ActionStatus, Allowance, TokenRecord, VestingRecord};
use synod_tokens::{AdminAction, Emission, TokenCall, TokenEvent, TokenFailure, TokensGenesis};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn emission() -> Emission {
    Emission {
        recipient: acct(4),
        rate: 1_000_000_000,
    }
}

/// Position of each call variant; a new variant fails to compile here until it is added to
/// [`calls`] and [`CALL_VARIANTS`].
fn call_index(c: &TokenCall) -> usize {
    match c {
        TokenCall::Create { .. } => 0,
        TokenCall::Transfer { .. } => 1,
        TokenCall::Approve { .. } => 2,
        TokenCall::TransferFrom { .. } => 3,
        TokenCall::Burn { .. } => 4,
        TokenCall::Emit { .. } => 5,
        TokenCall::CreateVesting { .. } => 6,
        TokenCall::ClaimVested { .. } => 7,
        TokenCall::QueueAdminAction { .. } => 8,
        TokenCall::ExecuteAdminAction { .. } => 9,
        TokenCall::CancelAdminAction { .. } => 10,
    }
}
const CALL_VARIANTS: usize = 11;

fn action_index(a: &AdminAction) -> usize {
    match a {
        AdminAction::Mint { .. } => 0,
        AdminAction::SetEmission { .. } => 1,
        AdminAction::SetMintAuthority { .. } => 2,
        AdminAction::SetAdmin { .. } => 3,
    }
}
const ACTION_VARIANTS: usize = 4;

fn failure_index(f: &TokenFailure) -> usize {
    match f {
        TokenFailure::SymbolTaken { .. } => 0,
        TokenFailure::InvalidSymbol => 1,
        TokenFailure::InvalidName { .. } => 2,
        TokenFailure::InvalidDecimals { .. } => 3,
        TokenFailure::TokenNotFound { .. } => 4,
        TokenFailure::ExceedsMaxSupply { .. } => 5,
        TokenFailure::InsufficientBalance { .. } => 6,
        TokenFailure::InsufficientAllowance { .. } => 7,
        TokenFailure::AllowanceExpired { .. } => 8,
        TokenFailure::ExpiryInPast { .. } => 9,
        TokenFailure::NotMintAuthority => 10,
        TokenFailure::NotAdmin => 11,
        TokenFailure::TimelockActive { .. } => 12,
        TokenFailure::ActionNotFound { .. } => 13,
        TokenFailure::ActionAlreadyExecuted { .. } => 14,
        TokenFailure::ActionCancelled { .. } => 15,
        TokenFailure::InvalidVesting { .. } => 16,
        TokenFailure::VestingNotFound { .. } => 17,
        TokenFailure::NotBeneficiary => 18,
        TokenFailure::ClaimBeforeCliff { .. } => 19,
        TokenFailure::NothingToClaim => 20,
        TokenFailure::ZeroAmount => 21,
        TokenFailure::Overflow => 22,
        TokenFailure::NoEmission => 23,
        TokenFailure::NothingToEmit => 24,
        TokenFailure::InvalidMaxSupply => 25,
        TokenFailure::InvalidEmission => 26,
        TokenFailure::InsufficientLocked { .. } => 27,
        TokenFailure::SymbolReserved { .. } => 28,
    }
}
const FAILURE_VARIANTS: usize = 29;

fn event_index(e: &TokenEvent) -> usize {
    match e {
        TokenEvent::TokenCreated { .. } => 0,
        TokenEvent::Transferred { .. } => 1,
        TokenEvent::Approved { .. } => 2,
        TokenEvent::TransferredFrom { .. } => 3,
        TokenEvent::Burned { .. } => 4,
        TokenEvent::Minted { .. } => 5,
        TokenEvent::Emitted { .. } => 6,
        TokenEvent::VestingCreated { .. } => 7,
        TokenEvent::VestingClaimed { .. } => 8,
        TokenEvent::AdminActionQueued { .. } => 9,
        TokenEvent::AdminActionExecuted { .. } => 10,
        TokenEvent::AdminActionCancelled { .. } => 11,
        TokenEvent::Locked { .. } => 12,
        TokenEvent::Unlocked { .. } => 13,
    }
}
const EVENT_VARIANTS: usize = 14;

fn actions() -> Vec<AdminAction> {
    vec![
        AdminAction::Mint {
            to: acct(5),
            amount: u128::MAX,
        },
        AdminAction::SetEmission {
            schedule: Some(emission()),
        },
        AdminAction::SetMintAuthority { new: acct(6) },
        AdminAction::SetAdmin { new: acct(7) },
    ]
}

fn calls() -> Vec<TokenCall> {
    let mut v = vec![
        TokenCall::Create {
            symbol: "SN7".into(),
            name: "Subnet seven".into(),
            decimals: 9,
            max_supply: 21_000_000_000_000_000,
            initial_supply: 1_000_000_000_000,
            emission: Some(emission()),
            mint_authority: acct(1),
            admin: acct(2),
        },
        TokenCall::Transfer {
            token: 1,
            to: acct(3),
            amount: 1_500_000_000,
        },
        TokenCall::Approve {
            token: 1,
            spender: acct(3),
            amount: 10,
            expires_at: Some(1_000),
        },
        TokenCall::TransferFrom {
            token: 1,
            owner: acct(1),
            to: acct(3),
            amount: 7,
        },
        TokenCall::Burn {
            token: 2,
            amount: 1 << 100,
        },
        TokenCall::Emit { token: 3 },
        TokenCall::CreateVesting {
            token: 1,
            beneficiary: acct(8),
            amount: 500,
            start: 100,
            cliff: 10,
            duration: 1_000,
        },
        TokenCall::ClaimVested {
            token: 1,
            vesting_id: 2,
        },
    ];
    for action in actions() {
        v.push(TokenCall::QueueAdminAction { token: 1, action });
    }
    v.push(TokenCall::ExecuteAdminAction {
        token: 1,
        action_id: 3,
    });
    v.push(TokenCall::CancelAdminAction {
        token: 1,
        action_id: 4,
    });
    // The other SetEmission shape: ending a schedule.
    v.push(TokenCall::QueueAdminAction {
        token: 1,
        action: AdminAction::SetEmission { schedule: None },
    });
    v
}

fn failures() -> Vec<TokenFailure> {
    vec![
        TokenFailure::SymbolTaken {
            symbol: "SN7".into(),
            token: 1,
        },
        TokenFailure::InvalidSymbol,
        TokenFailure::InvalidName { len: 65 },
        TokenFailure::InvalidDecimals { decimals: 19 },
        TokenFailure::TokenNotFound { token: 9 },
        TokenFailure::ExceedsMaxSupply {
            supply: 1,
            amount: 2,
            max: 3,
        },
        TokenFailure::InsufficientBalance {
            needed: 5,
            available: 4,
        },
        TokenFailure::InsufficientAllowance {
            needed: 5,
            available: 0,
        },
        TokenFailure::AllowanceExpired { expired_at: 77 },
        TokenFailure::ExpiryInPast {
            expires_at: 5,
            height: 6,
        },
        TokenFailure::NotMintAuthority,
        TokenFailure::NotAdmin,
        TokenFailure::TimelockActive { ready_at: 691_201 },
        TokenFailure::ActionNotFound { action_id: 3 },
        TokenFailure::ActionAlreadyExecuted { action_id: 3 },
        TokenFailure::ActionCancelled { action_id: 3 },
        TokenFailure::InvalidVesting {
            detail: "cliff must not be longer than duration".into(),
        },
        TokenFailure::VestingNotFound { vesting_id: 2 },
        TokenFailure::NotBeneficiary,
        TokenFailure::ClaimBeforeCliff { cliff_ends: 110 },
        TokenFailure::NothingToClaim,
        TokenFailure::ZeroAmount,
        TokenFailure::Overflow,
        TokenFailure::NoEmission,
        TokenFailure::NothingToEmit,
        TokenFailure::InvalidMaxSupply,
        TokenFailure::InvalidEmission,
        TokenFailure::InsufficientLocked {
            needed: 9,
            available: 8,
        },
        TokenFailure::SymbolReserved {
            symbol: "SYN".into(),
        },
    ]
}

fn events() -> Vec<TokenEvent> {
    vec![
        TokenEvent::TokenCreated {
            token: 1,
            symbol: "SN7".into(),
            creator: acct(1),
            max_supply: 21_000_000,
            mint_authority: acct(1),
            admin: acct(2),
        },
        TokenEvent::Transferred {
            token: 1,
            from: acct(1),
            to: acct(3),
            amount: 15,
        },
        TokenEvent::Approved {
            token: 1,
            owner: acct(1),
            spender: acct(3),
            amount: 10,
            expires_at: None,
        },
        TokenEvent::TransferredFrom {
            token: 1,
            spender: acct(3),
            owner: acct(1),
            to: acct(4),
            amount: 7,
            allowance: 3,
        },
        TokenEvent::Burned {
            token: 1,
            owner: acct(1),
            amount: 2,
            supply: 98,
        },
        TokenEvent::Minted {
            token: 1,
            to: acct(1),
            amount: 100,
            supply: 100,
        },
        TokenEvent::Emitted {
            token: 1,
            to: acct(4),
            amount: 30,
            blocks: 3,
            supply: 130,
        },
        TokenEvent::VestingCreated {
            token: 1,
            vesting_id: 1,
            funder: acct(1),
            beneficiary: acct(8),
            amount: 500,
            start: 100,
            cliff: 10,
            duration: 1_000,
        },
        TokenEvent::VestingClaimed {
            token: 1,
            vesting_id: 1,
            beneficiary: acct(8),
            amount: 55,
            remaining: 445,
        },
        TokenEvent::AdminActionQueued {
            token: 1,
            action_id: 1,
            action: AdminAction::Mint {
                to: acct(5),
                amount: 9,
            },
            ready_at: 691_300,
        },
        TokenEvent::AdminActionExecuted {
            token: 1,
            action_id: 1,
            action: AdminAction::SetAdmin { new: acct(7) },
        },
        TokenEvent::AdminActionCancelled {
            token: 1,
            action_id: 2,
        },
        TokenEvent::Locked {
            token: 1,
            owner: acct(1),
            amount: 40,
        },
        TokenEvent::Unlocked {
            token: 1,
            owner: acct(1),
            amount: 40,
        },
    ]
}

use synod_golden::line;

fn borsh_line<T: BorshSerialize>(name: &str, v: &T) -> String {
    format!("{name}\t{}\t-", hex::encode(encode(v)))
}

/// Checks that `v` decodes back from its borsh bytes and its JSON.
fn round_trip<T>(v: &T)
where
    T: BorshSerialize + BorshDeserialize + Serialize + DeserializeOwned + PartialEq + Debug,
{
    assert_eq!(&decode_exact::<T>(&encode(v), 1 << 16).expect("borsh"), v);
    let j = serde_json::to_string(v).expect("json");
    assert_eq!(&serde_json::from_str::<T>(&j).expect("json back"), v, "{j}");
}

fn borsh_round_trip<T: BorshSerialize + BorshDeserialize + PartialEq + Debug>(v: &T) {
    assert_eq!(&decode_exact::<T>(&encode(v), 1 << 16).expect("borsh"), v);
}

fn records() -> Vec<String> {
    let token = TokenRecord {
        symbol: "SN7".into(),
        name: "Subnet seven".into(),
        decimals: 9,
        max_supply: 1_000,
        supply: 600,
        locked: 50,
        escrowed: 40,
        minted: 700,
        burned: 100,
        creator: acct(1),
        created_at: 12,
        mint_authority: acct(1),
        admin: acct(2),
        emission: Some(emission()),
        last_emission: 30,
        next_vesting_id: 2,
        next_action_id: 3,
    };
    let allowance = Allowance {
        amount: 10,
        expires_at: Some(99),
    };
    let vesting = VestingRecord {
        funder: acct(1),
        beneficiary: acct(8),
        amount: 500,
        claimed: 55,
        start: 100,
        cliff: 10,
        duration: 1_000,
        created_at: 90,
    };
    let statuses = [
        ActionStatus::Pending,
        ActionStatus::Executed { at: 5 },
        ActionStatus::Cancelled { at: 6 },
    ];
    borsh_round_trip(&token);
    borsh_round_trip(&vesting);
    borsh_round_trip(&allowance);
    let mut out = vec![
        borsh_line("state/token", &token),
        borsh_line("state/allowance", &allowance),
        borsh_line("state/vesting", &vesting),
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        let a = ActionRecord {
            action: AdminAction::Mint {
                to: acct(5),
                amount: 9,
            },
            proposer: acct(1),
            queued_at: 10,
            ready_at: 30,
            status,
        };
        borsh_round_trip(&a);
        out.push(borsh_line(&format!("state/action/{i}"), &a));
    }
    out
}

fn all_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = [false; CALL_VARIANTS];
    for (i, c) in calls().iter().enumerate() {
        seen[call_index(c)] = true;
        round_trip(c);
        out.push(line(&format!("call/{i}"), c));
    }
    assert!(seen.iter().all(|s| *s), "a call variant has no vector");
    let mut seen = [false; ACTION_VARIANTS];
    for (i, a) in actions().iter().enumerate() {
        seen[action_index(a)] = true;
        round_trip(a);
        out.push(line(&format!("action/{i}"), a));
    }
    assert!(
        seen.iter().all(|s| *s),
        "an admin action variant has no vector"
    );
    let mut seen = [false; FAILURE_VARIANTS];
    for (i, f) in failures().iter().enumerate() {
        seen[failure_index(f)] = true;
        round_trip(f);
        out.push(line(&format!("failure/{i}"), f));
    }
    assert!(seen.iter().all(|s| *s), "a failure variant has no vector");
    let mut seen = [false; EVENT_VARIANTS];
    for (i, e) in events().iter().enumerate() {
        seen[event_index(e)] = true;
        round_trip(e);
        out.push(line(&format!("event/{i}"), e));
    }
    assert!(seen.iter().all(|s| *s), "an event variant has no vector");
    for (name, g) in [
        ("genesis/default", TokensGenesis::default()),
        ("genesis/dev", TokensGenesis::dev()),
    ] {
        round_trip(&g);
        out.push(line(name, &g));
    }
    out.extend(records());
    out
}

#[test]
fn encodings_match_the_golden_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    synod_golden::check(&path, &all_lines());
}
