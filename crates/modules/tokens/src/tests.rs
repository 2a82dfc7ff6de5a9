//! Unit tests of the module's calls and API: every failure (each checked to leave state exactly
//! as it was, by `Chain::fails`), and the flows around them.

use crate::state::{self, ActionStatus};
use crate::testkit::{Chain, Mem, key};
use crate::wire::{AdminAction, Emission, TokenCall, TokenEvent, TokenFailure};
use crate::{Tokens, TokensGenesis, query};
use synod_module::Module;
use synod_primitives::AccountId;
use synod_storage::delta::Overlay;
use synod_storage::typed;

fn create(symbol: &str, creator: AccountId) -> TokenCall {
    TokenCall::Create {
        symbol: symbol.into(),
        name: "Some token".into(),
        decimals: 9,
        max_supply: 1_000,
        initial_supply: 100,
        emission: None,
        mint_authority: creator,
        admin: creator,
    }
}

fn with_create(call: TokenCall, f: impl FnOnce(&mut TokenCall)) -> TokenCall {
    let mut c = call;
    f(&mut c);
    c
}

// ---------------------------------------------------------------- genesis and module

#[test]
fn genesis_defaults_bounds_and_json() {
    assert_eq!(TokensGenesis::default().admin_timelock_blocks, 691_200);
    assert!(TokensGenesis::default().validate().is_ok());
    assert!(TokensGenesis::dev().validate().is_ok());
    let bad = TokensGenesis {
        admin_timelock_blocks: 0,
    };
    let e = Tokens::new(bad)
        .validate_genesis()
        .expect_err("zero timelock");
    assert_eq!(e.module, "tokens");
    let empty: TokensGenesis = serde_json::from_str("{}").expect("defaults");
    assert_eq!(empty, TokensGenesis::default());
    assert!(serde_json::from_str::<TokensGenesis>(r#"{"timelock": 5}"#).is_err());
    let dev: TokensGenesis =
        serde_json::from_str(r#"{"admin_timelock_blocks": 20}"#).expect("json");
    assert_eq!(dev, TokensGenesis::dev());
}

#[test]
fn init_genesis_writes_nothing() {
    let mem = Mem::default();
    let mut ov = Overlay::new(&mem);
    Tokens::new(TokensGenesis::default())
        .init_genesis(&mut ov)
        .expect("genesis");
    assert!(ov.changes().is_empty());
}

#[test]
fn every_call_has_a_weight() {
    let a = key("alice");
    let calls = [
        create("A", a),
        TokenCall::Transfer {
            token: 1,
            to: a,
            amount: 1,
        },
        TokenCall::Emit { token: 1 },
        TokenCall::ExecuteAdminAction {
            token: 1,
            action_id: 1,
        },
    ];
    for c in calls {
        assert!(Tokens::call_weight(&c) >= 1_000, "{c:?}");
    }
}

#[test]
fn module_accounts_are_keyless_hashes_distinct_per_purpose() {
    let m = crate::module_account();
    assert_eq!(m, synod_module::module_account("tokens"));
    let pool = crate::custody_account("pools", b"treasury/1");
    assert_ne!(pool, m);
    assert_ne!(pool, crate::custody_account("pools", b"treasury/2"));
    assert_eq!(pool, synod_module::derived_account("pools", b"treasury/1"));
}

// ---------------------------------------------------------------- create

#[test]
fn create_assigns_sequential_ids_and_mints_the_initial_supply() {
    let mut c = Chain::new();
    let a = key("alice");
    let ev = c.ok(a, create("AAA", a));
    assert_eq!(
        ev,
        vec![
            TokenEvent::TokenCreated {
                token: 1,
                symbol: "AAA".into(),
                creator: a,
                max_supply: 1_000,
                mint_authority: a,
                admin: a,
            },
            TokenEvent::Minted {
                token: 1,
                to: a,
                amount: 100,
                supply: 100,
            },
        ]
    );
    let id2 = c.token(a, "B2", 5, 0);
    assert_eq!(id2, 2);
    assert_eq!(c.free(1, &a), 100);
    assert_eq!(c.free(2, &a), 0);
    assert_eq!(c.record(1).supply, 100);
    assert_eq!(c.record(2).supply, 0);
    assert_eq!(state::token_by_symbol(&c.mem, "B2").expect("read"), Some(2));
    // A zero initial supply writes no balance record.
    assert!(!c.mem.0.contains_key(&state::balance_key(2, &a)));
}

#[test]
fn create_refuses_bad_symbols() {
    let mut c = Chain::new();
    let a = key("alice");
    for bad in ["", "abc", "ABCDEFGHIJKLM", "AB-C", "AB C", "ÄB", "A\u{0}"] {
        assert_eq!(
            c.fails(a, create(bad, a)),
            TokenFailure::InvalidSymbol,
            "{bad:?}"
        );
    }
    assert_eq!(
        c.fails(a, create("SYN", a)),
        TokenFailure::SymbolReserved {
            symbol: "SYN".into()
        }
    );
    // Twelve characters of A–Z0–9 are fine.
    c.ok(a, create("ABCDEFGHIJ12", a));
}

#[test]
fn create_refuses_a_taken_symbol() {
    let mut c = Chain::new();
    let a = key("alice");
    c.ok(a, create("SYM", a));
    assert_eq!(
        c.fails(key("bob"), create("SYM", key("bob"))),
        TokenFailure::SymbolTaken {
            symbol: "SYM".into(),
            token: 1
        }
    );
}

#[test]
fn create_refuses_bad_names_decimals_supplies_and_emissions() {
    let mut c = Chain::new();
    let a = key("alice");
    let base = create("TOK", a);
    let cases = [
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create { name, .. } = c {
                    name.clear();
                }
            }),
            TokenFailure::InvalidName { len: 0 },
        ),
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create { name, .. } = c {
                    *name = "n".repeat(65);
                }
            }),
            TokenFailure::InvalidName { len: 65 },
        ),
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create { decimals, .. } = c {
                    *decimals = 19;
                }
            }),
            TokenFailure::InvalidDecimals { decimals: 19 },
        ),
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create {
                    max_supply,
                    initial_supply,
                    ..
                } = c
                {
                    *max_supply = 0;
                    *initial_supply = 0;
                }
            }),
            TokenFailure::InvalidMaxSupply,
        ),
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create { initial_supply, .. } = c {
                    *initial_supply = 1_001;
                }
            }),
            TokenFailure::ExceedsMaxSupply {
                supply: 0,
                amount: 1_001,
                max: 1_000,
            },
        ),
        (
            with_create(base.clone(), |c| {
                if let TokenCall::Create { emission, .. } = c {
                    *emission = Some(Emission {
                        recipient: key("bob"),
                        rate: 0,
                    });
                }
            }),
            TokenFailure::InvalidEmission,
        ),
    ];
    for (call, want) in cases {
        assert_eq!(c.fails(a, call), want);
    }
    // A 64-byte name and 18 decimals are accepted.
    c.ok(
        a,
        with_create(base, |c| {
            if let TokenCall::Create { name, decimals, .. } = c {
                *name = "é".repeat(32);
                *decimals = 18;
            }
        }),
    );
}

#[test]
fn token_id_overflow_is_refused() {
    let mut c = Chain::new();
    let a = key("alice");
    let mut ov = Overlay::new(&c.mem);
    typed::put(&mut ov, state::NEXT_ID_KEY.to_vec(), &u64::MAX);
    let ch = ov.into_changes();
    c.mem.apply(ch);
    assert_eq!(c.fails(a, create("X", a)), TokenFailure::Overflow);
}

// ---------------------------------------------------------------- transfer and burn

#[test]
fn transfer_moves_free_balance() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    let ev = c.ok(
        a,
        TokenCall::Transfer {
            token: t,
            to: b,
            amount: 40,
        },
    );
    assert_eq!(
        ev,
        vec![TokenEvent::Transferred {
            token: t,
            from: a,
            to: b,
            amount: 40
        }]
    );
    assert_eq!((c.free(t, &a), c.free(t, &b)), (60, 40));
    // Paying oneself changes nothing.
    let before = c.mem.clone();
    c.ok(
        a,
        TokenCall::Transfer {
            token: t,
            to: a,
            amount: 60,
        },
    );
    assert_eq!(c.mem, before);
    // Emptying a balance deletes its record.
    c.ok(
        b,
        TokenCall::Transfer {
            token: t,
            to: a,
            amount: 40,
        },
    );
    assert!(!c.mem.0.contains_key(&state::balance_key(t, &b)));
}

#[test]
fn transfer_failures() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    let tr = |token, amount| TokenCall::Transfer {
        token,
        to: b,
        amount,
    };
    assert_eq!(c.fails(a, tr(t, 0)), TokenFailure::ZeroAmount);
    assert_eq!(
        c.fails(a, tr(9, 1)),
        TokenFailure::TokenNotFound { token: 9 }
    );
    assert_eq!(
        c.fails(a, tr(t, 101)),
        TokenFailure::InsufficientBalance {
            needed: 101,
            available: 100
        }
    );
    assert_eq!(
        c.fails(
            a,
            TokenCall::Transfer {
                token: t,
                to: a,
                amount: 101
            }
        ),
        TokenFailure::InsufficientBalance {
            needed: 101,
            available: 100
        }
    );
}

#[test]
fn burn_shrinks_supply_and_makes_room() {
    let mut c = Chain::new();
    let a = key("alice");
    let t = c.token(a, "T", 100, 100);
    assert_eq!(
        c.fails(
            a,
            TokenCall::Burn {
                token: t,
                amount: 0
            }
        ),
        TokenFailure::ZeroAmount
    );
    assert_eq!(
        c.fails(
            key("bob"),
            TokenCall::Burn {
                token: t,
                amount: 1
            }
        ),
        TokenFailure::InsufficientBalance {
            needed: 1,
            available: 0
        }
    );
    assert_eq!(
        c.fails(
            a,
            TokenCall::Burn {
                token: 7,
                amount: 1
            }
        ),
        TokenFailure::TokenNotFound { token: 7 }
    );
    let ev = c.ok(
        a,
        TokenCall::Burn {
            token: t,
            amount: 30,
        },
    );
    assert_eq!(
        ev,
        vec![TokenEvent::Burned {
            token: t,
            owner: a,
            amount: 30,
            supply: 70
        }]
    );
    let r = c.record(t);
    assert_eq!((r.supply, r.burned, r.room()), (70, 30, 30));
    // The room is usable again by the mint authority.
    let (n, ev) = c
        .api(|ov| crate::mint_within_cap(ov, t, &a, &a, 1_000))
        .expect("mint");
    assert_eq!(n, 30);
    assert!(ev.is_some());
    assert_eq!(c.record(t).supply, 100);
}

// ---------------------------------------------------------------- allowances

#[test]
fn allowances_are_consumed_replaced_and_revoked() {
    let mut c = Chain::new();
    let (a, b, d) = (key("alice"), key("bob"), key("dave"));
    let t = c.token(a, "T", 1_000, 100);
    c.ok(
        a,
        TokenCall::Approve {
            token: t,
            spender: b,
            amount: 50,
            expires_at: None,
        },
    );
    let ev = c.ok(
        b,
        TokenCall::TransferFrom {
            token: t,
            owner: a,
            to: d,
            amount: 20,
        },
    );
    assert_eq!(
        ev,
        vec![TokenEvent::TransferredFrom {
            token: t,
            spender: b,
            owner: a,
            to: d,
            amount: 20,
            allowance: 30
        }]
    );
    assert_eq!((c.free(t, &a), c.free(t, &d)), (80, 20));
    c.ok(
        b,
        TokenCall::TransferFrom {
            token: t,
            owner: a,
            to: d,
            amount: 30,
        },
    );
    // Used up: the record is gone.
    assert!(!c.mem.0.contains_key(&state::allowance_key(t, &a, &b)));
    // Replace, then revoke with 0.
    for amount in [70, 0] {
        c.ok(
            a,
            TokenCall::Approve {
                token: t,
                spender: b,
                amount,
                expires_at: None,
            },
        );
    }
    assert!(!c.mem.0.contains_key(&state::allowance_key(t, &a, &b)));
    // Revoking an allowance that does not exist writes nothing.
    let before = c.mem.clone();
    c.ok(
        a,
        TokenCall::Approve {
            token: t,
            spender: d,
            amount: 0,
            expires_at: None,
        },
    );
    assert_eq!(c.mem, before);
}

#[test]
fn allowance_failures() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    let spend = |amount| TokenCall::TransferFrom {
        token: t,
        owner: a,
        to: b,
        amount,
    };
    assert_eq!(
        c.fails(b, spend(1)),
        TokenFailure::InsufficientAllowance {
            needed: 1,
            available: 0
        }
    );
    assert_eq!(c.fails(b, spend(0)), TokenFailure::ZeroAmount);
    assert_eq!(
        c.fails(
            b,
            TokenCall::TransferFrom {
                token: 5,
                owner: a,
                to: b,
                amount: 1
            }
        ),
        TokenFailure::TokenNotFound { token: 5 }
    );
    assert_eq!(
        c.fails(
            a,
            TokenCall::Approve {
                token: t,
                spender: b,
                amount: 10,
                expires_at: Some(c.height),
            }
        ),
        TokenFailure::ExpiryInPast {
            expires_at: c.height,
            height: c.height
        }
    );
    assert_eq!(
        c.fails(
            a,
            TokenCall::Approve {
                token: 3,
                spender: b,
                amount: 10,
                expires_at: None,
            }
        ),
        TokenFailure::TokenNotFound { token: 3 }
    );
    let expires_at = c.height + 5;
    c.ok(
        a,
        TokenCall::Approve {
            token: t,
            spender: b,
            amount: 500,
            expires_at: Some(expires_at),
        },
    );
    assert_eq!(
        c.fails(b, spend(501)),
        TokenFailure::InsufficientAllowance {
            needed: 501,
            available: 500
        }
    );
    // Enough allowance but not enough balance.
    assert_eq!(
        c.fails(b, spend(101)),
        TokenFailure::InsufficientBalance {
            needed: 101,
            available: 100
        }
    );
    c.advance(4);
    c.ok(b, spend(1));
    c.advance(1);
    assert_eq!(
        c.fails(b, spend(1)),
        TokenFailure::AllowanceExpired {
            expired_at: expires_at
        }
    );
}

// ---------------------------------------------------------------- emission

fn emitting(c: &mut Chain, creator: AccountId, recipient: AccountId, max: u128, rate: u128) -> u64 {
    c.ok(
        creator,
        TokenCall::Create {
            symbol: "EMIT".into(),
            name: "Emitted".into(),
            decimals: 0,
            max_supply: max,
            initial_supply: 0,
            emission: Some(Emission { recipient, rate }),
            mint_authority: creator,
            admin: creator,
        },
    );
    1
}

#[test]
fn emission_accrues_lazily_up_to_the_cap() {
    let mut c = Chain::new();
    let (a, r) = (key("alice"), key("rita"));
    let t = emitting(&mut c, a, r, 100, 7);
    // Same block as creation: nothing accrued.
    assert_eq!(
        c.fails(key("bob"), TokenCall::Emit { token: t }),
        TokenFailure::NothingToEmit
    );
    c.advance(3);
    let ev = c.ok(key("bob"), TokenCall::Emit { token: t });
    assert_eq!(
        ev,
        vec![TokenEvent::Emitted {
            token: t,
            to: r,
            amount: 21,
            blocks: 3,
            supply: 21
        }]
    );
    assert_eq!(
        c.fails(key("bob"), TokenCall::Emit { token: t }),
        TokenFailure::NothingToEmit
    );
    c.advance(100);
    let ev = c.ok(key("bob"), TokenCall::Emit { token: t });
    assert!(
        matches!(
            ev[0],
            TokenEvent::Emitted {
                amount: 79,
                supply: 100,
                ..
            }
        ),
        "{ev:?}"
    );
    c.advance(5);
    // At the cap nothing more can be emitted.
    assert_eq!(
        c.fails(key("bob"), TokenCall::Emit { token: t }),
        TokenFailure::NothingToEmit
    );
    assert_eq!(c.free(t, &r), 100);
    // A rate that would overflow 128 bits is simply capped.
    let mut c = Chain::new();
    let t = emitting(&mut c, a, r, u128::MAX, u128::MAX);
    c.advance(10);
    c.ok(a, TokenCall::Emit { token: t });
    assert_eq!(c.record(t).supply, u128::MAX);
}

#[test]
fn emit_failures() {
    let mut c = Chain::new();
    let a = key("alice");
    let t = c.token(a, "T", 1_000, 0);
    assert_eq!(
        c.fails(a, TokenCall::Emit { token: t }),
        TokenFailure::NoEmission
    );
    assert_eq!(
        c.fails(a, TokenCall::Emit { token: 42 }),
        TokenFailure::TokenNotFound { token: 42 }
    );
}

// ---------------------------------------------------------------- vesting

fn vest(
    token: u64,
    beneficiary: AccountId,
    amount: u128,
    start: u64,
    cliff: u64,
    duration: u64,
) -> TokenCall {
    TokenCall::CreateVesting {
        token,
        beneficiary,
        amount,
        start,
        cliff,
        duration,
    }
}

#[test]
fn vesting_releases_linearly_with_the_remainder_at_the_end() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    let start = c.height;
    let ev = c.ok(a, vest(t, b, 10, start, 1, 3));
    assert!(matches!(
        ev[0],
        TokenEvent::VestingCreated { vesting_id: 1, .. }
    ));
    assert_eq!(c.free(t, &a), 90);
    assert_eq!(c.record(t).escrowed, 10);
    assert_eq!(c.record(t).supply, 100);
    let claim = TokenCall::ClaimVested {
        token: t,
        vesting_id: 1,
    };
    assert_eq!(
        c.fails(b, claim.clone()),
        TokenFailure::ClaimBeforeCliff {
            cliff_ends: start + 1
        }
    );
    c.advance(1);
    assert_eq!(
        c.ok(b, claim.clone()),
        vec![TokenEvent::VestingClaimed {
            token: t,
            vesting_id: 1,
            beneficiary: b,
            amount: 3,
            remaining: 7
        }]
    );
    assert_eq!(c.fails(b, claim.clone()), TokenFailure::NothingToClaim);
    c.advance(1);
    c.ok(b, claim.clone());
    assert_eq!(c.free(t, &b), 6);
    c.advance(5);
    let ev = c.ok(b, claim.clone());
    assert!(
        matches!(
            ev[0],
            TokenEvent::VestingClaimed {
                amount: 4,
                remaining: 0,
                ..
            }
        ),
        "{ev:?}"
    );
    assert_eq!(c.free(t, &b), 10);
    assert_eq!(c.record(t).escrowed, 0);
    // Fully claimed: the schedule and its index entry are gone.
    assert!(state::vesting(&c.mem, t, 1).expect("read").is_none());
    assert!(!c.mem.0.contains_key(&state::beneficiary_key(&b, t, 1)));
    assert_eq!(
        c.fails(b, claim),
        TokenFailure::VestingNotFound { vesting_id: 1 }
    );
}

#[test]
fn vesting_failures() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    let invalid = |d: &str| TokenFailure::InvalidVesting { detail: d.into() };
    assert_eq!(
        c.fails(a, vest(t, b, 10, 0, 0, 0)),
        invalid("duration must be at least 1 block")
    );
    assert_eq!(
        c.fails(a, vest(t, b, 10, 0, 4, 3)),
        invalid("cliff must not be longer than duration")
    );
    assert_eq!(
        c.fails(a, vest(t, b, 10, u64::MAX, 0, 1)),
        invalid("start + duration overflows a block height")
    );
    assert_eq!(c.fails(a, vest(t, b, 0, 0, 0, 1)), TokenFailure::ZeroAmount);
    assert_eq!(
        c.fails(a, vest(t, b, 101, 0, 0, 1)),
        TokenFailure::InsufficientBalance {
            needed: 101,
            available: 100
        }
    );
    assert_eq!(
        c.fails(a, vest(8, b, 1, 0, 0, 1)),
        TokenFailure::TokenNotFound { token: 8 }
    );
    c.ok(a, vest(t, b, 10, 0, 0, 1));
    let claim = TokenCall::ClaimVested {
        token: t,
        vesting_id: 1,
    };
    assert_eq!(c.fails(a, claim.clone()), TokenFailure::NotBeneficiary);
    assert_eq!(
        c.fails(
            b,
            TokenCall::ClaimVested {
                token: t,
                vesting_id: 2
            }
        ),
        TokenFailure::VestingNotFound { vesting_id: 2 }
    );
    assert_eq!(
        c.fails(
            b,
            TokenCall::ClaimVested {
                token: 9,
                vesting_id: 1
            }
        ),
        TokenFailure::TokenNotFound { token: 9 }
    );
    // Started in the past with a one-block duration: all of it is claimable now.
    c.ok(b, claim);
    assert_eq!(c.free(t, &b), 10);
}

// ---------------------------------------------------------------- admin actions

fn queue(token: u64, action: AdminAction) -> TokenCall {
    TokenCall::QueueAdminAction { token, action }
}

fn exec(token: u64, action_id: u64) -> TokenCall {
    TokenCall::ExecuteAdminAction { token, action_id }
}

fn cancel(token: u64, action_id: u64) -> TokenCall {
    TokenCall::CancelAdminAction { token, action_id }
}

/// A token whose mint authority is `minter` and admin is `admin`.
fn split_roles(c: &mut Chain, minter: AccountId, admin: AccountId) -> u64 {
    c.ok(
        key("creator"),
        TokenCall::Create {
            symbol: "ROLE".into(),
            name: "Roles".into(),
            decimals: 0,
            max_supply: 1_000,
            initial_supply: 100,
            emission: None,
            mint_authority: minter,
            admin,
        },
    );
    1
}

#[test]
fn mint_waits_for_the_timelock() {
    let mut c = Chain::new();
    let (m, ad, b) = (key("minter"), key("admin"), key("bob"));
    let t = split_roles(&mut c, m, ad);
    let mint = AdminAction::Mint { to: b, amount: 50 };
    let ready_at = c.height + c.timelock();
    assert_eq!(
        c.ok(m, queue(t, mint.clone())),
        vec![TokenEvent::AdminActionQueued {
            token: t,
            action_id: 1,
            action: mint.clone(),
            ready_at
        }]
    );
    assert_eq!(
        c.fails(m, exec(t, 1)),
        TokenFailure::TimelockActive { ready_at }
    );
    c.advance(c.timelock() - 1);
    assert_eq!(
        c.fails(m, exec(t, 1)),
        TokenFailure::TimelockActive { ready_at }
    );
    c.advance(1);
    assert_eq!(c.fails(ad, exec(t, 1)), TokenFailure::NotMintAuthority);
    assert_eq!(
        c.ok(m, exec(t, 1)),
        vec![
            TokenEvent::Minted {
                token: t,
                to: b,
                amount: 50,
                supply: 150
            },
            TokenEvent::AdminActionExecuted {
                token: t,
                action_id: 1,
                action: mint
            }
        ]
    );
    assert_eq!(c.free(t, &b), 50);
    let a = state::action(&c.mem, t, 1).expect("read").expect("kept");
    assert_eq!(a.status, ActionStatus::Executed { at: c.height });
    assert!(!c.mem.0.contains_key(&state::pending_key(t, 1)));
    assert_eq!(
        c.fails(m, exec(t, 1)),
        TokenFailure::ActionAlreadyExecuted { action_id: 1 }
    );
    assert_eq!(
        c.fails(m, cancel(t, 1)),
        TokenFailure::ActionAlreadyExecuted { action_id: 1 }
    );
}

#[test]
fn cancelled_actions_stay_cancelled() {
    let mut c = Chain::new();
    let (m, ad) = (key("minter"), key("admin"));
    let t = split_roles(&mut c, m, ad);
    c.ok(ad, queue(t, AdminAction::SetAdmin { new: m }));
    assert_eq!(c.fails(m, cancel(t, 1)), TokenFailure::NotAdmin);
    assert_eq!(
        c.ok(ad, cancel(t, 1)),
        vec![TokenEvent::AdminActionCancelled {
            token: t,
            action_id: 1
        }]
    );
    c.advance(c.timelock());
    assert_eq!(
        c.fails(ad, exec(t, 1)),
        TokenFailure::ActionCancelled { action_id: 1 }
    );
    assert_eq!(
        c.fails(ad, cancel(t, 1)),
        TokenFailure::ActionCancelled { action_id: 1 }
    );
    assert_eq!(c.record(t).admin, ad);
    assert!(!c.mem.0.contains_key(&state::pending_key(t, 1)));
}

#[test]
fn admin_action_failures() {
    let mut c = Chain::new();
    let (m, ad, x) = (key("minter"), key("admin"), key("mallory"));
    let t = split_roles(&mut c, m, ad);
    let mint = |amount| AdminAction::Mint { to: x, amount };
    assert_eq!(
        c.fails(ad, queue(t, mint(1))),
        TokenFailure::NotMintAuthority
    );
    assert_eq!(
        c.fails(x, queue(t, mint(1))),
        TokenFailure::NotMintAuthority
    );
    assert_eq!(
        c.fails(m, queue(t, AdminAction::SetAdmin { new: m })),
        TokenFailure::NotAdmin
    );
    assert_eq!(
        c.fails(m, queue(t, AdminAction::SetMintAuthority { new: x })),
        TokenFailure::NotAdmin
    );
    assert_eq!(
        c.fails(m, queue(t, AdminAction::SetEmission { schedule: None })),
        TokenFailure::NotAdmin
    );
    assert_eq!(c.fails(m, queue(t, mint(0))), TokenFailure::ZeroAmount);
    assert_eq!(
        c.fails(m, queue(t, mint(901))),
        TokenFailure::ExceedsMaxSupply {
            supply: 100,
            amount: 901,
            max: 1_000
        }
    );
    assert_eq!(
        c.fails(
            ad,
            queue(
                t,
                AdminAction::SetEmission {
                    schedule: Some(Emission {
                        recipient: x,
                        rate: 0
                    })
                }
            )
        ),
        TokenFailure::InvalidEmission
    );
    assert_eq!(
        c.fails(m, queue(77, mint(1))),
        TokenFailure::TokenNotFound { token: 77 }
    );
    assert_eq!(
        c.fails(m, exec(t, 1)),
        TokenFailure::ActionNotFound { action_id: 1 }
    );
    assert_eq!(
        c.fails(m, cancel(t, 1)),
        TokenFailure::ActionNotFound { action_id: 1 }
    );
    // The cap is checked again at execution: supply may have grown meanwhile.
    c.ok(m, queue(t, mint(900)));
    c.ok(m, queue(t, mint(1)));
    c.advance(c.timelock());
    c.ok(m, exec(t, 2));
    assert_eq!(
        c.fails(m, exec(t, 1)),
        TokenFailure::ExceedsMaxSupply {
            supply: 101,
            amount: 900,
            max: 1_000
        }
    );
    // A ready height past u64::MAX is refused.
    c.height = u64::MAX - 1;
    assert_eq!(c.fails(m, queue(t, mint(1))), TokenFailure::Overflow);
}

#[test]
fn role_hand_overs_apply_to_pending_actions() {
    let mut c = Chain::new();
    let (m, ad, n) = (key("minter"), key("admin"), key("newcomer"));
    let t = split_roles(&mut c, m, ad);
    c.ok(ad, queue(t, AdminAction::SetAdmin { new: n }));
    c.ok(ad, queue(t, AdminAction::SetMintAuthority { new: n }));
    c.ok(m, queue(t, AdminAction::Mint { to: m, amount: 5 }));
    c.advance(c.timelock());
    c.ok(ad, exec(t, 1));
    assert_eq!(c.record(t).admin, n);
    // The old admin lost the role; the new one acts on what is pending.
    assert_eq!(c.fails(ad, exec(t, 2)), TokenFailure::NotAdmin);
    c.ok(n, exec(t, 2));
    assert_eq!(c.record(t).mint_authority, n);
    assert_eq!(c.fails(m, exec(t, 3)), TokenFailure::NotMintAuthority);
    c.ok(n, cancel(t, 3));
    assert_eq!(c.record(t).supply, 100);
}

#[test]
fn set_emission_settles_the_old_schedule_first() {
    let mut c = Chain::new();
    let (a, r1, r2) = (key("alice"), key("rita"), key("rob"));
    let t = emitting(&mut c, a, r1, 1_000, 2);
    let new = Emission {
        recipient: r2,
        rate: 5,
    };
    c.ok(
        a,
        queue(
            t,
            AdminAction::SetEmission {
                schedule: Some(new),
            },
        ),
    );
    c.advance(c.timelock());
    let ev = c.ok(a, exec(t, 1));
    let blocks = c.timelock();
    assert_eq!(
        ev[0],
        TokenEvent::Emitted {
            token: t,
            to: r1,
            amount: 2 * u128::from(blocks),
            blocks,
            supply: 2 * u128::from(blocks)
        }
    );
    assert!(matches!(ev[1], TokenEvent::AdminActionExecuted { .. }));
    let rec = c.record(t);
    assert_eq!(rec.emission, Some(new));
    assert_eq!(rec.last_emission, c.height);
    c.advance(2);
    c.ok(a, TokenCall::Emit { token: t });
    assert_eq!(c.free(t, &r2), 10);
    // Ending the schedule.
    c.ok(a, queue(t, AdminAction::SetEmission { schedule: None }));
    c.advance(c.timelock());
    c.ok(a, exec(t, 2));
    assert_eq!(
        c.fails(a, TokenCall::Emit { token: t }),
        TokenFailure::NoEmission
    );
}

// ---------------------------------------------------------------- API for modules

#[test]
fn lock_and_unlock() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    let t = c.token(a, "T", 1_000, 100);
    assert_eq!(
        c.api_fails(|ov| crate::lock(ov, t, &a, 0)),
        TokenFailure::ZeroAmount
    );
    assert_eq!(
        c.api_fails(|ov| crate::lock(ov, t, &a, 101)),
        TokenFailure::InsufficientBalance {
            needed: 101,
            available: 100
        }
    );
    assert_eq!(
        c.api_fails(|ov| crate::lock(ov, 4, &a, 1)),
        TokenFailure::TokenNotFound { token: 4 }
    );
    c.api(|ov| crate::lock(ov, t, &a, 60)).expect("lock");
    assert_eq!(c.free(t, &a), 40);
    assert_eq!(crate::locked_of(&c.mem, t, &a).expect("read"), 60);
    assert_eq!(c.record(t).locked, 60);
    assert_eq!(c.record(t).supply, 100);
    // Locked units neither move nor burn.
    assert_eq!(
        c.fails(
            a,
            TokenCall::Transfer {
                token: t,
                to: b,
                amount: 41
            }
        ),
        TokenFailure::InsufficientBalance {
            needed: 41,
            available: 40
        }
    );
    assert_eq!(
        c.fails(
            a,
            TokenCall::Burn {
                token: t,
                amount: 41
            }
        ),
        TokenFailure::InsufficientBalance {
            needed: 41,
            available: 40
        }
    );
    assert_eq!(
        c.api_fails(|ov| crate::unlock(ov, t, &a, 61)),
        TokenFailure::InsufficientLocked {
            needed: 61,
            available: 60
        }
    );
    assert_eq!(
        c.api_fails(|ov| crate::unlock(ov, t, &b, 1)),
        TokenFailure::InsufficientLocked {
            needed: 1,
            available: 0
        }
    );
    let ev = c.api(|ov| crate::unlock(ov, t, &a, 60)).expect("unlock");
    assert_eq!(
        ev,
        TokenEvent::Unlocked {
            token: t,
            owner: a,
            amount: 60
        }
    );
    assert_eq!(c.free(t, &a), 100);
    assert_eq!(c.record(t).locked, 0);
    assert!(!c.mem.0.contains_key(&state::locked_key(t, &a)));
}

#[test]
fn module_minting_respects_authority_and_cap() {
    let mut c = Chain::new();
    let pool = crate::custody_account("pools", b"rewards");
    let a = key("alice");
    // A module creates a token whose mint authority is its keyless account.
    let spec = crate::NewToken {
        symbol: "LP".into(),
        name: "Pool share".into(),
        decimals: 9,
        max_supply: 100,
        initial_supply: 0,
        emission: None,
        mint_authority: pool,
        admin: pool,
    };
    let (t, _) = c
        .api(|ov| crate::create(ov, 1, &pool, &spec))
        .expect("create");
    assert_eq!(
        c.api_fails(|ov| crate::mint(ov, t, &a, &a, 1)),
        TokenFailure::NotMintAuthority
    );
    assert_eq!(
        c.api_fails(|ov| crate::mint_within_cap(ov, t, &a, &a, 1)),
        TokenFailure::NotMintAuthority
    );
    assert_eq!(
        c.api_fails(|ov| crate::mint(ov, t, &pool, &a, 0)),
        TokenFailure::ZeroAmount
    );
    assert_eq!(
        c.api_fails(|ov| crate::mint(ov, t, &pool, &a, 101)),
        TokenFailure::ExceedsMaxSupply {
            supply: 0,
            amount: 101,
            max: 100
        }
    );
    c.api(|ov| crate::mint(ov, t, &pool, &a, 60)).expect("mint");
    let (n, _) = c
        .api(|ov| crate::mint_within_cap(ov, t, &pool, &pool, 70))
        .expect("mint");
    assert_eq!(n, 40);
    let before = c.mem.clone();
    let (n, ev) = c
        .api(|ov| crate::mint_within_cap(ov, t, &pool, &pool, 70))
        .expect("mint");
    assert_eq!((n, ev), (0, None));
    assert_eq!(c.mem, before);
    // The module moves its custody account's tokens.
    c.api(|ov| crate::transfer(ov, t, &pool, &a, 40))
        .expect("transfer");
    assert_eq!(c.free(t, &a), 100);
    c.api(|ov| crate::burn(ov, t, &a, 100)).expect("burn");
    assert_eq!(c.record(t).supply, 0);
}

// ---------------------------------------------------------------- views

#[test]
fn views_report_tokens_balances_vestings_and_actions() {
    let mut c = Chain::new();
    let (a, b) = (key("alice"), key("bob"));
    for s in ["AAA", "BBB", "CCC"] {
        c.token(a, s, 1_000, 100);
    }
    let h = c.height;
    let p1 = query::list_tokens(&c.mem, None, 2, h).expect("list");
    assert_eq!(
        p1.tokens.iter().map(|t| t.token).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(p1.next_after, Some(2));
    let p2 = query::list_tokens(&c.mem, p1.next_after, 2, h).expect("list");
    assert_eq!(
        p2.tokens
            .iter()
            .map(|t| t.symbol.as_str())
            .collect::<Vec<_>>(),
        vec!["CCC"]
    );
    assert_eq!(p2.next_after, None);
    assert_eq!(
        query::token_by_symbol(&c.mem, "BBB", h)
            .expect("read")
            .map(|t| t.token),
        Some(2)
    );
    assert!(query::token_info(&c.mem, 4, h).expect("read").is_none());

    c.api(|ov| crate::lock(ov, 1, &a, 30)).expect("lock");
    let bal = query::balance(&c.mem, 1, &a).expect("read").expect("token");
    assert_eq!((bal.free, bal.locked, bal.total), (70, 30, 100));
    assert!(query::balance(&c.mem, 9, &a).expect("read").is_none());

    c.ok(
        a,
        TokenCall::Approve {
            token: 1,
            spender: b,
            amount: 5,
            expires_at: Some(c.height + 1),
        },
    );
    let al = query::allowance(&c.mem, 1, &a, &b, c.height)
        .expect("read")
        .expect("token");
    assert_eq!(al.amount, 5);
    assert!(al.expired, "it no longer works in the next block");

    c.ok(a, vest(1, b, 10, c.height, 0, 10));
    c.ok(a, vest(3, b, 20, c.height, 5, 10));
    let all = query::vestings(&c.mem, &b, None, c.height).expect("read");
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].token, all[0].vested, all[0].claimable), (1, 1, 1));
    assert_eq!((all[1].token, all[1].vested), (3, 0));
    let only3 = query::vestings(&c.mem, &b, Some(3), c.height).expect("read");
    assert_eq!(only3.len(), 1);

    c.ok(a, queue(2, AdminAction::SetAdmin { new: b }));
    c.ok(a, queue(2, AdminAction::Mint { to: b, amount: 1 }));
    c.ok(a, cancel(2, 1));
    let pending = query::pending_actions(&c.mem, 2, c.height)
        .expect("read")
        .expect("token");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].action_id, 2);
    assert!(!pending[0].executable);
    let cancelled = query::action(&c.mem, 2, 1, c.height)
        .expect("read")
        .expect("kept");
    assert!(matches!(cancelled.status, ActionStatus::Cancelled { .. }));
    assert!(
        query::pending_actions(&c.mem, 8, c.height)
            .expect("read")
            .is_none()
    );
}
