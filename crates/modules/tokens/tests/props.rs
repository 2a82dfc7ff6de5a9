//! Property tests over random sequences of token operations (create, transfer, approve and
//! transfer_from, burn, emit at advancing heights, vest and claim, queue / execute / cancel of
//! admin actions, lock and unlock through the API), on an in-memory state that keeps each
//! successful call's writes and discards failed ones. After every step:
//! - a failed operation wrote nothing;
//! - every token's supply is at most its maximum supply;
//! - supply == free balances + locked balances + units escrowed in open vesting schedules, and
//!   the record's `locked` / `escrowed` totals equal the sums of their records;
//! - no zero balance, lock or allowance is stored;
//! - a claim pays exactly up to `amount × elapsed / duration` rounded down (everything at the
//!   end, when the schedule is deleted), an emission exactly `min(rate × blocks, room)`.

use proptest::prelude::*;
use std::collections::BTreeMap;
use synod_module::{BlockCtx, CallError, Module};
use synod_primitives::{AccountId, Keypair};
use synod_storage::delta::Overlay;
use synod_storage::{ChangeSet, StateRead};
use synod_tokens::state::{self, TokenRecord, VestingRecord};
use synod_tokens::{
    AdminAction, Emission, TokenCall, TokenEvent, TokenFailure, TokenId, Tokens, TokensGenesis,
};

#[derive(Default, Clone, PartialEq, Eq, Debug)]
struct Mem(BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for Mem {
    fn get(&self, key: &[u8]) -> synod_storage::Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
}

impl Mem {
    fn apply(&mut self, changes: ChangeSet) {
        for (k, v) in changes {
            match v {
                Some(v) => {
                    self.0.insert(k, v);
                }
                None => {
                    self.0.remove(&k);
                }
            }
        }
    }

    fn under(&self, prefix: &[u8]) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.0
            .range(prefix.to_vec()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
    }
}

const NAMES: [&str; 4] = ["alice", "bob", "carol", "dave"];
const TIMELOCK: u64 = 3;

fn acct(i: u8) -> AccountId {
    Keypair::dev(NAMES[usize::from(i) % NAMES.len()]).account()
}

fn id_prefix(prefix: &[u8], token: TokenId) -> Vec<u8> {
    [prefix, &token.to_be_bytes()].concat()
}

#[derive(Clone, Debug)]
enum Op {
    Create {
        who: u8,
        max: u128,
        initial_pct: u8,
        rate: Option<u128>,
    },
    Transfer {
        token: u8,
        from: u8,
        to: u8,
        amount: Amt,
    },
    Approve {
        token: u8,
        owner: u8,
        spender: u8,
        amount: Amt,
        expires_in: Option<u8>,
    },
    TransferFrom {
        token: u8,
        spender: u8,
        owner: u8,
        to: u8,
        amount: Amt,
    },
    Burn {
        token: u8,
        who: u8,
        amount: Amt,
    },
    Advance {
        blocks: u8,
    },
    Emit {
        token: u8,
        who: u8,
    },
    Vest {
        token: u8,
        funder: u8,
        beneficiary: u8,
        amount: Amt,
        start_back: u8,
        cliff_pct: u8,
        duration: u8,
    },
    Claim {
        token: u8,
        who: u8,
        as_beneficiary: bool,
        vesting: u8,
    },
    QueueMint {
        token: u8,
        who: u8,
        as_holder: bool,
        to: u8,
        amount: Amt,
    },
    QueueAdmin {
        token: u8,
        who: u8,
        as_holder: bool,
        kind: u8,
        target: u8,
        rate: u128,
    },
    Execute {
        token: u8,
        who: u8,
        as_holder: bool,
        action: u8,
    },
    Cancel {
        token: u8,
        who: u8,
        as_holder: bool,
        action: u8,
    },
    Lock {
        token: u8,
        who: u8,
        amount: Amt,
    },
    Unlock {
        token: u8,
        who: u8,
        amount: Amt,
    },
}

/// An amount: mostly a percentage (0–110) of what the operation can draw on (a balance, a
/// lock, an allowance, the room under the cap), so that most operations succeed and some
/// overdraw; sometimes any `u128`.
#[derive(Clone, Copy, Debug)]
enum Amt {
    Pct(u8),
    Raw(u128),
}

impl Amt {
    fn of(self, available: u128) -> u128 {
        match self {
            Amt::Pct(p) => {
                let p = u128::from(p);
                (available / 100)
                    .saturating_mul(p)
                    .saturating_add(available % 100 * p / 100)
            }
            Amt::Raw(v) => v,
        }
    }
}

fn amount() -> impl Strategy<Value = Amt> {
    prop_oneof![
        8 => (0u8..=110).prop_map(Amt::Pct),
        1 => (0u128..2_000).prop_map(Amt::Raw),
        1 => any::<u128>().prop_map(Amt::Raw),
    ]
}

fn max_supply() -> impl Strategy<Value = u128> {
    prop_oneof![
        4 => 1u128..100_000,
        1 => any::<u128>(),
        1 => Just(u128::MAX),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0u8..8;
    let a = 0u8..4;
    prop_oneof![
        1 => (a.clone(), max_supply(), 0u8..=100, proptest::option::of(prop_oneof![1u128..500, any::<u128>()]))
            .prop_map(|(who, max, initial_pct, rate)| Op::Create { who, max, initial_pct, rate }),
        4 => (t.clone(), a.clone(), a.clone(), amount())
            .prop_map(|(token, from, to, amount)| Op::Transfer { token, from, to, amount }),
        2 => (t.clone(), a.clone(), a.clone(), amount(), proptest::option::of(0u8..6))
            .prop_map(|(token, owner, spender, amount, expires_in)| Op::Approve { token, owner, spender, amount, expires_in }),
        2 => (t.clone(), a.clone(), a.clone(), a.clone(), amount())
            .prop_map(|(token, spender, owner, to, amount)| Op::TransferFrom { token, spender, owner, to, amount }),
        2 => (t.clone(), a.clone(), amount()).prop_map(|(token, who, amount)| Op::Burn { token, who, amount }),
        3 => (0u8..8).prop_map(|blocks| Op::Advance { blocks }),
        2 => (t.clone(), a.clone()).prop_map(|(token, who)| Op::Emit { token, who }),
        3 => (t.clone(), a.clone(), a.clone(), amount(), 0u8..5, 0u8..=105, 0u8..12)
            .prop_map(|(token, funder, beneficiary, amount, start_back, cliff_pct, duration)| Op::Vest {
                token, funder, beneficiary, amount, start_back, cliff_pct, duration
            }),
        3 => (t.clone(), a.clone(), prop::bool::weighted(0.9), any::<u8>())
            .prop_map(|(token, who, as_beneficiary, vesting)| Op::Claim { token, who, as_beneficiary, vesting }),
        2 => (t.clone(), a.clone(), prop::bool::weighted(0.8), a.clone(), amount())
            .prop_map(|(token, who, as_holder, to, amount)| Op::QueueMint { token, who, as_holder, to, amount }),
        1 => (t.clone(), a.clone(), prop::bool::weighted(0.8), 0u8..4, a.clone(), 0u128..50)
            .prop_map(|(token, who, as_holder, kind, target, rate)| Op::QueueAdmin { token, who, as_holder, kind, target, rate }),
        3 => (t.clone(), a.clone(), prop::bool::weighted(0.8), any::<u8>())
            .prop_map(|(token, who, as_holder, action)| Op::Execute { token, who, as_holder, action }),
        1 => (t.clone(), a.clone(), prop::bool::weighted(0.8), any::<u8>())
            .prop_map(|(token, who, as_holder, action)| Op::Cancel { token, who, as_holder, action }),
        2 => (t.clone(), a.clone(), amount()).prop_map(|(token, who, amount)| Op::Lock { token, who, amount }),
        2 => (t, a, amount()).prop_map(|(token, who, amount)| Op::Unlock { token, who, amount }),
    ]
}

type Outcome<T> = Result<T, CallError<TokenFailure>>;

struct Sim {
    mem: Mem,
    height: u64,
    module: Tokens,
    symbols: u32,
}

impl Sim {
    fn new() -> Self {
        Sim {
            mem: Mem::default(),
            height: 1,
            module: Tokens::new(TokensGenesis {
                admin_timelock_blocks: TIMELOCK,
            }),
            symbols: 0,
        }
    }

    /// Runs `f` on a fresh overlay: keeps its writes on success, and requires none on failure.
    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut Overlay<'_, Mem>, &Tokens, u64) -> Outcome<T>,
    ) -> Outcome<T> {
        let mut ov = Overlay::new(&self.mem);
        let r = f(&mut ov, &self.module, self.height);
        let changes = ov.into_changes();
        match &r {
            Ok(_) => self.mem.apply(changes),
            Err(CallError::Failed(_)) => assert!(changes.is_empty(), "a failure wrote {changes:?}"),
            Err(CallError::State(e)) => panic!("state error: {e}"),
        }
        r
    }

    fn call(&mut self, sender: AccountId, call: TokenCall) -> Outcome<Vec<TokenEvent>> {
        self.run(|ov, m, height| {
            m.dispatch(
                ov,
                &BlockCtx {
                    height,
                    chain_id: "props",
                    parent: synod_primitives::Hash::ZERO,
                },
                &sender,
                &call,
            )
        })
    }

    fn record(&self, token: TokenId) -> Option<TokenRecord> {
        state::token(&self.mem, token).expect("read")
    }

    fn holder(&self, token: TokenId, admin: bool, fallback: AccountId) -> AccountId {
        match self.record(token) {
            Some(r) if admin => r.admin,
            Some(r) => r.mint_authority,
            None => fallback,
        }
    }

    /// The token a selector names: mostly an existing one, sometimes one that does not exist.
    fn tid(&self, sel: u8) -> TokenId {
        let count = state::next_token_id(&self.mem).expect("read") - 1;
        if sel >= 7 || count == 0 {
            return 999;
        }
        1 + u64::from(sel) % count
    }

    /// The `n`-th key (modulo their number) under `prefix`, if there is any.
    fn nth_key(&self, prefix: &[u8], n: u8) -> Option<Vec<u8>> {
        let keys: Vec<&Vec<u8>> = self.mem.under(prefix).map(|(k, _)| k).collect();
        if keys.is_empty() {
            return None;
        }
        Some(keys[usize::from(n) % keys.len()].clone())
    }

    fn free(&self, token: TokenId, who: &AccountId) -> u128 {
        synod_tokens::balance_of(&self.mem, token, who).expect("read")
    }

    /// Two tokens exist from the start, so that most operations have something to act on.
    fn setup(&mut self) {
        for (who, max, initial, rate) in [
            (0u8, 1_000_000u128, 500_000u128, Some(7u128)),
            (1, u128::MAX, u128::MAX / 2, None),
        ] {
            self.step(&Op::Create {
                who,
                max,
                initial_pct: 0,
                rate,
            });
            let t = state::next_token_id(&self.mem).expect("read") - 1;
            // Every account holds a quarter of the initial supply.
            for to in 0..4u8 {
                self.run(|ov, _, _| synod_tokens::mint(ov, t, &acct(who), &acct(to), initial / 4))
                    .expect("setup mint");
            }
        }
        assert_eq!(state::next_token_id(&self.mem).expect("read"), 3);
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Create {
                who,
                max,
                initial_pct,
                rate,
            } => {
                self.symbols += 1;
                let initial = Amt::Pct(initial_pct.min(100)).of(max);
                let creator = acct(who);
                let call = TokenCall::Create {
                    symbol: format!("T{}", self.symbols),
                    name: "Property token".into(),
                    decimals: 6,
                    max_supply: max,
                    initial_supply: initial,
                    emission: rate.map(|rate| Emission {
                        recipient: acct(who.wrapping_add(1)),
                        rate,
                    }),
                    mint_authority: creator,
                    admin: creator,
                };
                let r = self.call(creator, call);
                no_state_error(&r);
            }
            Op::Transfer {
                token,
                from,
                to,
                amount,
            } => {
                let t = self.tid(token);
                let amount = amount.of(self.free(t, &acct(from)));
                let _ = self.call(
                    acct(from),
                    TokenCall::Transfer {
                        token: t,
                        to: acct(to),
                        amount,
                    },
                );
            }
            Op::Approve {
                token,
                owner,
                spender,
                amount,
                expires_in,
            } => {
                let t = self.tid(token);
                let expires_at = expires_in.map(|d| self.height + u64::from(d));
                let amount = amount.of(self.free(t, &acct(owner)));
                let _ = self.call(
                    acct(owner),
                    TokenCall::Approve {
                        token: t,
                        spender: acct(spender),
                        amount,
                        expires_at,
                    },
                );
            }
            Op::TransferFrom {
                token,
                spender,
                owner,
                to,
                amount,
            } => {
                let t = self.tid(token);
                // Mostly act under an allowance that exists.
                let (owner, spender) =
                    match self.nth_key(&id_prefix(state::ALLOWANCE_PREFIX, t), spender) {
                        Some(k) if owner != 0 => {
                            let n = k.len();
                            let o = AccountId(k[n - 64..n - 32].try_into().expect("32 bytes"));
                            let sp = AccountId(k[n - 32..].try_into().expect("32 bytes"));
                            (o, sp)
                        }
                        _ => (acct(owner), acct(spender)),
                    };
                let allowance = state::allowance(&self.mem, t, &owner, &spender)
                    .expect("read")
                    .map_or(0, |a| a.amount);
                let amount = amount.of(allowance);
                let _ = self.call(
                    spender,
                    TokenCall::TransferFrom {
                        token: t,
                        owner,
                        to: acct(to),
                        amount,
                    },
                );
            }
            Op::Burn { token, who, amount } => {
                let t = self.tid(token);
                let amount = amount.of(self.free(t, &acct(who)));
                let _ = self.call(acct(who), TokenCall::Burn { token: t, amount });
            }
            Op::Advance { blocks } => self.height += u64::from(blocks),
            Op::Emit { token, who } => {
                let t = self.tid(token);
                let before = self.record(t);
                if let Ok(ev) = self.call(acct(who), TokenCall::Emit { token: t }) {
                    let rec = before.expect("emitted from a token");
                    let e = rec.emission.expect("a schedule");
                    let blocks = self.height - rec.last_emission;
                    let room = rec.max_supply - rec.supply;
                    // An accrual past 128 bits is certainly more than the room.
                    let want = match e.rate.checked_mul(u128::from(blocks)) {
                        Some(accrued) => accrued.min(room),
                        None => room,
                    };
                    match ev.as_slice() {
                        [TokenEvent::Emitted { amount, .. }] => assert_eq!(*amount, want),
                        other => panic!("emit events {other:?}"),
                    }
                    assert_eq!(self.record(t).expect("token").last_emission, self.height);
                }
            }
            Op::Vest {
                token,
                funder,
                beneficiary,
                amount,
                start_back,
                cliff_pct,
                duration,
            } => {
                let t = self.tid(token);
                let amount = amount.of(self.free(t, &acct(funder)));
                let duration = u64::from(duration);
                // Up to 105% of the duration: some cliffs are too long on purpose.
                let cliff = duration * u64::from(cliff_pct) / 100;
                let _ = self.call(
                    acct(funder),
                    TokenCall::CreateVesting {
                        token: t,
                        beneficiary: acct(beneficiary),
                        amount,
                        start: self.height.saturating_sub(u64::from(start_back)),
                        cliff,
                        duration,
                    },
                );
            }
            Op::Claim {
                token,
                who,
                as_beneficiary,
                vesting,
            } => {
                let t = self.tid(token);
                let created = self.record(t).map_or(1, |r| r.next_vesting_id - 1).max(1);
                let open = self.nth_key(&id_prefix(state::VESTING_PREFIX, t), vesting);
                let id = match open {
                    Some(k) if as_beneficiary => {
                        u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"))
                    }
                    _ => 1 + u64::from(vesting) % created,
                };
                let before: Option<VestingRecord> = state::vesting(&self.mem, t, id).expect("read");
                let sender = match (&before, as_beneficiary) {
                    (Some(v), true) => v.beneficiary,
                    _ => acct(who),
                };
                let r = self.call(
                    sender,
                    TokenCall::ClaimVested {
                        token: t,
                        vesting_id: id,
                    },
                );
                if let Ok(ev) = r {
                    let v = before.expect("claimed from a schedule");
                    let want = reference_vested(&v, self.height);
                    let paid = match ev.as_slice() {
                        [TokenEvent::VestingClaimed { amount, .. }] => *amount,
                        other => panic!("claim events {other:?}"),
                    };
                    assert_eq!(v.claimed + paid, want, "claimed total != vested");
                    let after = state::vesting(&self.mem, t, id).expect("read");
                    if self.height >= v.start + v.duration {
                        assert_eq!(want, v.amount, "everything vests at the end");
                        assert!(after.is_none(), "a fully claimed schedule is deleted");
                    } else {
                        assert_eq!(
                            after.map(|a| a.claimed),
                            Some(want).filter(|w| *w < v.amount)
                        );
                    }
                }
            }
            Op::QueueMint {
                token,
                who,
                as_holder,
                to,
                amount,
            } => {
                let t = self.tid(token);
                let sender = if as_holder {
                    self.holder(t, false, acct(who))
                } else {
                    acct(who)
                };
                let room = self.record(t).map_or(0, |r| r.room());
                let amount = amount.of(room);
                let _ = self.call(
                    sender,
                    TokenCall::QueueAdminAction {
                        token: t,
                        action: AdminAction::Mint {
                            to: acct(to),
                            amount,
                        },
                    },
                );
            }
            Op::QueueAdmin {
                token,
                who,
                as_holder,
                kind,
                target,
                rate,
            } => {
                let t = self.tid(token);
                let sender = if as_holder {
                    self.holder(t, true, acct(who))
                } else {
                    acct(who)
                };
                let action = match kind {
                    0 => AdminAction::SetEmission { schedule: None },
                    1 => AdminAction::SetEmission {
                        schedule: Some(Emission {
                            recipient: acct(target),
                            rate,
                        }),
                    },
                    2 => AdminAction::SetMintAuthority { new: acct(target) },
                    _ => AdminAction::SetAdmin { new: acct(target) },
                };
                let _ = self.call(sender, TokenCall::QueueAdminAction { token: t, action });
            }
            Op::Execute {
                token,
                who,
                as_holder,
                action,
            }
            | Op::Cancel {
                token,
                who,
                as_holder,
                action,
            } => {
                let t = self.tid(token);
                let queued_count = self.record(t).map_or(1, |r| r.next_action_id - 1).max(1);
                let id = match self.nth_key(&state::pending_prefix(t), action) {
                    Some(k) if as_holder => {
                        u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"))
                    }
                    _ => 1 + u64::from(action) % queued_count,
                };
                let queued = state::action(&self.mem, t, id).expect("read");
                let sender = match (&queued, as_holder) {
                    (Some(a), true) => {
                        self.holder(t, a.action.role() == synod_tokens::Role::Admin, acct(who))
                    }
                    _ => acct(who),
                };
                let executing = matches!(op, Op::Execute { .. });
                let call = if executing {
                    TokenCall::ExecuteAdminAction {
                        token: t,
                        action_id: id,
                    }
                } else {
                    TokenCall::CancelAdminAction {
                        token: t,
                        action_id: id,
                    }
                };
                if self.call(sender, call).is_ok() {
                    let a = queued.expect("acted on a queued action");
                    assert_eq!(a.status, state::ActionStatus::Pending);
                    if executing {
                        assert!(self.height >= a.ready_at, "executed before its timelock");
                    }
                    let now = state::action(&self.mem, t, id)
                        .expect("read")
                        .expect("kept");
                    assert_ne!(now.status, state::ActionStatus::Pending);
                }
            }
            Op::Lock { token, who, amount } => {
                let t = self.tid(token);
                let amount = amount.of(self.free(t, &acct(who)));
                let _ = self.run(|ov, _, _| synod_tokens::lock(ov, t, &acct(who), amount));
            }
            Op::Unlock { token, who, amount } => {
                let t = self.tid(token);
                let locked = synod_tokens::locked_of(&self.mem, t, &acct(who)).expect("read");
                let amount = amount.of(locked);
                let _ = self.run(|ov, _, _| synod_tokens::unlock(ov, t, &acct(who), amount));
            }
        }
    }

    fn check_invariants(&self) {
        let next = state::next_token_id(&self.mem).expect("read");
        for t in 1..next {
            let rec = self.record(t).expect("ids are dense");
            assert!(
                rec.supply <= rec.max_supply,
                "token {t}: supply over the cap"
            );
            let mut free: u128 = 0;
            for (_, v) in self.mem.under(&id_prefix(state::BALANCE_PREFIX, t)) {
                let b: u128 = borsh::from_slice(v).expect("balance");
                assert!(b > 0, "a zero balance is stored");
                free = free.checked_add(b).expect("balances fit in the supply");
            }
            let mut locked: u128 = 0;
            for (_, v) in self.mem.under(&id_prefix(state::LOCKED_PREFIX, t)) {
                let b: u128 = borsh::from_slice(v).expect("locked");
                assert!(b > 0, "a zero lock is stored");
                locked = locked.checked_add(b).expect("locks fit in the supply");
            }
            let mut escrowed: u128 = 0;
            for (k, v) in self.mem.under(&id_prefix(state::VESTING_PREFIX, t)) {
                let v: VestingRecord = borsh::from_slice(v).expect("vesting");
                assert!(v.claimed < v.amount, "a closed schedule is kept");
                assert!(v.claimed <= reference_vested(&v, self.height));
                let id = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"));
                assert!(
                    self.mem
                        .0
                        .contains_key(&state::beneficiary_key(&v.beneficiary, t, id)),
                    "schedule without its index entry"
                );
                escrowed = escrowed.checked_add(v.unclaimed()).expect("escrow fits");
            }
            for (_, v) in self.mem.under(&id_prefix(state::ALLOWANCE_PREFIX, t)) {
                let a: state::Allowance = borsh::from_slice(v).expect("allowance");
                assert!(a.amount > 0, "a zero allowance is stored");
            }
            assert_eq!(rec.locked, locked, "token {t}: locked total");
            assert_eq!(rec.escrowed, escrowed, "token {t}: escrowed total");
            assert_eq!(
                free.checked_add(locked)
                    .and_then(|s| s.checked_add(escrowed)),
                Some(rec.supply),
                "token {t}: supply != free + locked + escrowed"
            );
        }
        // Every index entry points at an open schedule.
        for (k, _) in self.mem.under(state::BENEFICIARY_PREFIX) {
            let n = k.len();
            let t = u64::from_be_bytes(k[n - 16..n - 8].try_into().expect("8 bytes"));
            let id = u64::from_be_bytes(k[n - 8..].try_into().expect("8 bytes"));
            assert!(state::vesting(&self.mem, t, id).expect("read").is_some());
        }
    }
}

fn no_state_error<T: std::fmt::Debug>(r: &Outcome<T>) {
    // Creation may fail on its own inputs (e.g. a zero maximum), never on state.
    if let Err(CallError::State(e)) = r {
        panic!("state error {e}");
    }
}

/// `⌊amount × elapsed / duration⌋` through a 192-bit product, independent of the module's
/// arithmetic; nothing before the cliff, everything from the end.
fn reference_vested(v: &VestingRecord, height: u64) -> u128 {
    if height < v.start + v.cliff {
        return 0;
    }
    let elapsed = height - v.start;
    if elapsed >= v.duration {
        return v.amount;
    }
    let (e, d) = (u128::from(elapsed), u128::from(v.duration));
    // amount × e as three 64-bit limbs (e < 2^64 keeps each partial product in 128 bits).
    let lo = (v.amount & u128::from(u64::MAX)) * e;
    let hi = (v.amount >> 64) * e + (lo >> 64);
    let limbs = [(hi >> 64) as u64, hi as u64, lo as u64];
    let mut rem: u128 = 0;
    let mut q: [u64; 3] = [0; 3];
    for (i, limb) in limbs.iter().enumerate() {
        let cur = (rem << 64) | u128::from(*limb);
        q[i] = (cur / d) as u64;
        rem = cur % d;
    }
    assert_eq!(q[0], 0, "vested amount exceeds 128 bits");
    (u128::from(q[1]) << 64) | u128::from(q[2])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_every_invariant(ops in proptest::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new();
        sim.setup();
        sim.check_invariants();
        for op in &ops {
            sim.step(op);
            sim.check_invariants();
        }
    }

    #[test]
    fn vesting_matches_the_reference_at_every_height(
        amount in prop_oneof![1u128..1_000_000, any::<u128>().prop_map(|a| a.max(1))],
        start in 0u64..1_000,
        cliff_frac in 0u64..=100,
        duration in 1u64..5_000,
        at in 0u64..8_000,
    ) {
        let cliff = duration * cliff_frac / 100;
        let v = VestingRecord {
            funder: acct(0),
            beneficiary: acct(1),
            amount,
            claimed: 0,
            start,
            cliff,
            duration,
            created_at: 0,
        };
        let got = v.vested_at(at);
        prop_assert_eq!(got, reference_vested(&v, at));
        prop_assert!(got <= amount);
        // Monotonic, and all of it at the end.
        prop_assert!(v.vested_at(at + 1) >= got);
        prop_assert_eq!(v.vested_at(start + duration), amount);
        if at < start + cliff {
            prop_assert_eq!(got, 0);
        }
    }
}
