//! Spending rules: one test per error kind, and a property test against a model.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use synod_agents_rules::{
    Asset, Intent, Ledger, Payment, RuleError, SessionScope, check_and_record, scope_within,
};
use synod_primitives::{AccountId, Height};

fn acct(b: u8) -> AccountId {
    AccountId([b; 32])
}

const USER: u8 = 1;
const AGENT: u8 = 2;
const PAY_CALL: u16 = 7;
const OTHER_CALL: u16 = 8;

fn intent() -> Intent {
    Intent {
        user: acct(USER),
        agent: acct(AGENT),
        asset: Asset::Token(5),
        start_height: 100,
        per_tx_cap: 50,
        total_cap: 1_000,
        period_blocks: 10,
        period_cap: 200,
        expires_at: 1_000,
        allowed_calls: BTreeSet::from([PAY_CALL, OTHER_CALL]),
        allowed_payees: Some(BTreeSet::from([acct(10), acct(11)])),
    }
}

fn scope(i: &Intent) -> SessionScope {
    SessionScope {
        intent_hash: i.hash(),
        session_key: acct(3),
        per_tx_cap: 40,
        total_cap: 300,
        period_cap: 100,
        expires_at: 500,
        allowed_calls: BTreeSet::from([PAY_CALL]),
        allowed_payees: Some(BTreeSet::from([acct(10)])),
    }
}

fn pay(amount: u128) -> Payment {
    Payment {
        call_kind: PAY_CALL,
        payee: acct(10),
        asset: Asset::Token(5),
        amount,
    }
}

fn err(
    i: &Intent,
    s: &SessionScope,
    revoked: bool,
    l: &Ledger,
    now: Height,
    p: &Payment,
) -> RuleError {
    check_and_record(i, s, revoked, l, now, p).expect_err("must be refused")
}

#[test]
fn accepts_within_rules_and_records_both_counters() {
    let (i, s) = (intent(), scope(&intent()));
    let l = check_and_record(&i, &s, false, &Ledger::default(), 125, &pay(40)).expect("ok");
    assert_eq!(l.session.spent_total, 40);
    assert_eq!(l.session.spent_in_period, 40);
    assert_eq!(l.session.period_index, 2);
    assert_eq!(l.intent, l.session);
}

#[test]
fn each_error_kind() {
    let (i, s) = (intent(), scope(&intent()));
    let l0 = Ledger::default();
    let e = err(&i, &s, false, &l0, 500, &pay(1));
    assert_eq!(e.kind(), "session_expired");
    // the intent's expiry also binds a scope that would outlive it is impossible (scope_within),
    // so check the boundary just below
    assert!(check_and_record(&i, &s, false, &l0, 499, &pay(1)).is_ok());

    assert_eq!(
        err(&i, &s, false, &l0, 120, &pay(41)).kind(),
        "cap_per_tx_exceeded"
    );
    assert_eq!(
        err(&i, &s, true, &l0, 120, &pay(1)).kind(),
        "session_revoked"
    );

    let mut p = pay(1);
    p.payee = acct(11); // allowed by the intent, not by the session
    assert_eq!(err(&i, &s, false, &l0, 120, &p).kind(), "payee_not_allowed");
    let mut p = pay(1);
    p.call_kind = OTHER_CALL;
    assert_eq!(err(&i, &s, false, &l0, 120, &p).kind(), "call_not_allowed");
    let mut p = pay(1);
    p.asset = Asset::Native;
    assert_eq!(err(&i, &s, false, &l0, 120, &p).kind(), "asset_not_allowed");

    // period cap of the session: 100 per period
    let mut l = l0;
    for _ in 0..2 {
        l = check_and_record(&i, &s, false, &l, 120, &pay(40)).expect("ok");
    }
    let e = err(&i, &s, false, &l, 129, &pay(21));
    assert_eq!(e.kind(), "period_cap_exceeded");
    // next period resets it
    l = check_and_record(&i, &s, false, &l, 130, &pay(40)).expect("ok");
    l = check_and_record(&i, &s, false, &l, 140, &pay(40)).expect("ok");
    l = check_and_record(&i, &s, false, &l, 150, &pay(40)).expect("ok");
    assert_eq!(l.session.spent_total, 200);
    l = check_and_record(&i, &s, false, &l, 160, &pay(40)).expect("ok");
    l = check_and_record(&i, &s, false, &l, 170, &pay(40)).expect("ok");
    assert_eq!(l.session.spent_total, 280);
    // session total cap 300
    let e = err(&i, &s, false, &l, 180, &pay(21));
    assert_eq!(e.kind(), "total_cap_exceeded");
    assert_eq!(
        e,
        RuleError::TotalCapExceeded {
            amount: 21,
            cap: 300,
            spent: 280
        }
    );
}

#[test]
fn intent_counters_bind_across_sessions() {
    let i = intent();
    let mut s = scope(&i);
    s.period_cap = 200;
    s.per_tx_cap = 50;
    // a second session's spending this period is in the intent's counters
    let mut l = Ledger::default();
    l.intent.period_index = 2;
    l.intent.spent_in_period = 180;
    l.intent.spent_total = 180;
    let e = err(&i, &s, false, &l, 125, &pay(21));
    assert_eq!(e.kind(), "period_cap_exceeded");
    assert!(matches!(
        e,
        RuleError::PeriodCapExceeded {
            cap: 200,
            spent: 180,
            ..
        }
    ));
    l.intent.spent_total = 990;
    let e = err(&i, &s, false, &l, 135, &pay(11));
    assert_eq!(e.kind(), "total_cap_exceeded");
}

#[test]
fn refusal_is_deterministic_and_records_nothing() {
    let (i, s) = (intent(), scope(&intent()));
    let l = check_and_record(&i, &s, false, &Ledger::default(), 120, &pay(30)).expect("ok");
    let before = l;
    assert!(check_and_record(&i, &s, false, &l, 120, &pay(80)).is_err());
    assert_eq!(l, before);
}

type Mutation = Box<dyn Fn(&mut SessionScope)>;

#[test]
fn scope_must_be_within_intent() {
    let i = intent();
    assert!(scope_within(&i, &scope(&i)).is_ok());
    let cases: Vec<Mutation> = vec![
        Box::new(|s| s.per_tx_cap = 51),
        Box::new(|s| s.total_cap = 1_001),
        Box::new(|s| s.period_cap = 201),
        Box::new(|s| s.expires_at = 1_001),
        Box::new(|s| {
            s.allowed_calls.insert(99);
        }),
        Box::new(|s| {
            s.allowed_payees.as_mut().map(|p| p.insert(acct(12)));
        }),
        Box::new(|s| s.allowed_payees = None),
        Box::new(|s| s.intent_hash = synod_primitives::Hash::ZERO),
        Box::new(|s| s.session_key = acct(USER)),
    ];
    for (n, mutate) in cases.iter().enumerate() {
        let mut s = scope(&i);
        mutate(&mut s);
        let e = scope_within(&i, &s).expect_err(&format!("case {n} must be refused"));
        assert_eq!(e.kind(), "scope_not_within_intent", "case {n}");
        let paid = check_and_record(&i, &s, false, &Ledger::default(), 120, &pay(1));
        if n < 4 {
            // A scope whose caps or expiry exceed the intent's (one opened while the caps had
            // grown further) still pays, within the smaller of the two.
            assert!(paid.is_ok(), "case {n}");
            let above = check_and_record(&i, &s, false, &Ledger::default(), 120, &pay(51));
            assert!(n != 0 || above.is_err(), "case {n}");
        } else {
            // A scope naming another intent or key, or wider sets, pays nothing.
            assert!(paid.is_err(), "case {n}");
        }
    }
    let mut bad = intent();
    bad.period_blocks = 0;
    assert_eq!(
        scope_within(&bad, &scope(&bad)).expect_err("bad").kind(),
        "invalid_intent"
    );
}

#[test]
fn not_yet_active_and_future_state() {
    let (i, s) = (intent(), scope(&intent()));
    assert_eq!(
        err(&i, &s, false, &Ledger::default(), 99, &pay(1)).kind(),
        "not_yet_active"
    );
    let mut l = Ledger::default();
    l.session.period_index = 50;
    assert_eq!(
        err(&i, &s, false, &l, 120, &pay(1)).kind(),
        "state_from_future"
    );
}

#[test]
fn kinds_are_exact() {
    let a = acct(0);
    let kinds = [
        (
            RuleError::SessionExpired {
                expires_at: 0,
                now: 0,
            },
            "session_expired",
        ),
        (
            RuleError::CapPerTxExceeded { amount: 0, cap: 0 },
            "cap_per_tx_exceeded",
        ),
        (
            RuleError::TotalCapExceeded {
                amount: 0,
                cap: 0,
                spent: 0,
            },
            "total_cap_exceeded",
        ),
        (
            RuleError::PeriodCapExceeded {
                amount: 0,
                cap: 0,
                spent: 0,
                period: 0,
            },
            "period_cap_exceeded",
        ),
        (RuleError::PayeeNotAllowed { payee: a }, "payee_not_allowed"),
        (
            RuleError::CallNotAllowed { call_kind: 0 },
            "call_not_allowed",
        ),
        (
            RuleError::AssetNotAllowed {
                asset: Asset::Native,
                allowed: Asset::Native,
            },
            "asset_not_allowed",
        ),
        (RuleError::SessionRevoked, "session_revoked"),
    ];
    for (e, k) in kinds {
        assert_eq!(e.kind(), k);
        // the JSON tag is the same name
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["kind"], k);
    }
}

/// One random payment attempt.
#[derive(Debug, Clone)]
struct Attempt {
    session: usize,
    advance: u64,
    amount: u128,
    payee: u8,
    call: u16,
    native: bool,
    revoked: bool,
}

fn attempt() -> impl Strategy<Value = Attempt> {
    (
        0usize..3,
        prop_oneof![3 => 0u64..4, 1 => 0u64..30],
        prop_oneof![4 => 0u128..60, 1 => 0u128..400],
        10u8..13,
        prop_oneof![9 => Just(PAY_CALL), 1 => Just(OTHER_CALL)],
        proptest::bool::weighted(0.05),
        proptest::bool::weighted(0.03),
    )
        .prop_map(
            |(session, advance, amount, payee, call, native, revoked)| Attempt {
                session,
                advance,
                amount,
                payee,
                call,
                native,
                revoked,
            },
        )
}

/// The model's independent verdict: `None` = accept, or the expected error kind.
#[allow(clippy::too_many_arguments)]
fn model_verdict(
    i: &Intent,
    s: &SessionScope,
    a: &Attempt,
    now: Height,
    period: u64,
    sess_period: &BTreeMap<(usize, u64), u128>,
    sess_total: &[u128],
    int_period: &BTreeMap<u64, u128>,
    int_total: u128,
) -> Option<&'static str> {
    if a.revoked {
        return Some("session_revoked");
    }
    if now < i.start_height {
        return Some("not_yet_active");
    }
    if now >= s.expires_at.min(i.expires_at) {
        return Some("session_expired");
    }
    if a.native {
        return Some("asset_not_allowed");
    }
    if !s.allowed_calls.contains(&a.call) {
        return Some("call_not_allowed");
    }
    if let Some(p) = &s.allowed_payees
        && !p.contains(&acct(a.payee))
    {
        return Some("payee_not_allowed");
    }
    if a.amount > s.per_tx_cap.min(i.per_tx_cap) {
        return Some("cap_per_tx_exceeded");
    }
    let sp = sess_period.get(&(a.session, period)).copied().unwrap_or(0);
    if sp + a.amount > s.period_cap {
        return Some("period_cap_exceeded");
    }
    if sess_total[a.session] + a.amount > s.total_cap {
        return Some("total_cap_exceeded");
    }
    let ip = int_period.get(&period).copied().unwrap_or(0);
    if ip + a.amount > i.period_cap {
        return Some("period_cap_exceeded");
    }
    if int_total + a.amount > i.total_cap {
        return Some("total_cap_exceeded");
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random payments by up to three sessions under one intent, across periods: the rules
    /// agree with an independent model, and after every step no cap of any session or of the
    /// intent (per transaction, per period, total) is exceeded.
    #[test]
    fn session_never_spends_beyond_caps(
        per_tx in 1u128..80,
        period_extra in 0u128..150,
        total_extra in 0u128..600,
        period_blocks in 1u64..12,
        scopes in proptest::collection::vec((1u128..80, 1u128..200, 1u128..500, 0u64..150, any::<bool>()), 3),
        attempts in proptest::collection::vec(attempt(), 1..120),
    ) {
        let period_cap = per_tx + period_extra;
        let i = Intent {
            per_tx_cap: per_tx,
            period_cap,
            total_cap: period_cap + total_extra,
            period_blocks,
            start_height: 20,
            expires_at: 20 + 150,
            allowed_payees: None,
            ..intent()
        };
        let ss: Vec<SessionScope> = scopes
            .iter()
            .enumerate()
            .map(|(n, &(ptx, pc, tc, exp, restrict))| SessionScope {
                intent_hash: i.hash(),
                session_key: acct(30 + n as u8),
                per_tx_cap: ptx.min(i.per_tx_cap),
                period_cap: pc.min(i.period_cap),
                total_cap: tc.min(i.total_cap),
                expires_at: 20 + exp,
                allowed_calls: BTreeSet::from([PAY_CALL]),
                allowed_payees: if restrict { Some(BTreeSet::from([acct(10), acct(11)])) } else { None },
            })
            .collect();
        for s in &ss {
            prop_assert!(scope_within(&i, s).is_ok());
        }
        let mut intent_state = synod_agents_rules::SpendState::default();
        let mut session_states = [synod_agents_rules::SpendState::default(); 3];
        let mut sess_period: BTreeMap<(usize, u64), u128> = BTreeMap::new();
        let mut sess_total = [0u128; 3];
        let mut int_period: BTreeMap<u64, u128> = BTreeMap::new();
        let mut int_total = 0u128;
        let mut now: Height = 15;
        for a in &attempts {
            now += a.advance;
            let s = &ss[a.session];
            let ledger = Ledger { intent: intent_state, session: session_states[a.session] };
            let p = Payment {
                call_kind: a.call,
                payee: acct(a.payee),
                asset: if a.native { Asset::Native } else { i.asset },
                amount: a.amount,
            };
            let period = now.saturating_sub(i.start_height) / i.period_blocks;
            let expected = model_verdict(&i, s, a, now, period, &sess_period, &sess_total, &int_period, int_total);
            match check_and_record(&i, s, a.revoked, &ledger, now, &p) {
                Ok(next) => {
                    prop_assert_eq!(expected, None, "model refuses {:?} at {}", a, now);
                    intent_state = next.intent;
                    session_states[a.session] = next.session;
                    *sess_period.entry((a.session, period)).or_default() += a.amount;
                    sess_total[a.session] += a.amount;
                    *int_period.entry(period).or_default() += a.amount;
                    int_total += a.amount;
                    prop_assert!(a.amount <= s.per_tx_cap && a.amount <= i.per_tx_cap);
                }
                Err(e) => prop_assert_eq!(expected, Some(e.kind()), "{:?}", e),
            }
            // invariants after each step, from the model's own sums
            for (n, s) in ss.iter().enumerate() {
                prop_assert!(sess_total[n] <= s.total_cap);
                prop_assert_eq!(session_states[n].spent_total, sess_total[n]);
                prop_assert_eq!(
                    session_states[n].spent_in_period,
                    sess_period.get(&(n, session_states[n].period_index)).copied().unwrap_or(0)
                );
            }
            for (&(_, _), &v) in &sess_period {
                prop_assert!(v <= i.period_cap);
            }
            for (&(n, _), &v) in &sess_period {
                prop_assert!(v <= ss[n].period_cap);
            }
            for &v in int_period.values() {
                prop_assert!(v <= i.period_cap);
            }
            prop_assert!(int_total <= i.total_cap);
            prop_assert_eq!(intent_state.spent_total, int_total);
            prop_assert_eq!(int_total, sess_total.iter().sum::<u128>());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// How a paid service uses the rules: a call is accepted when it passes against the
    /// chain's counters plus everything accepted and not yet settled
    /// (`Ledger::with_pending`), and settled later in any order of accepts and settles, within
    /// the same period. Every settlement of an accepted call then passes (the service is never
    /// left with a call it served and cannot charge), and the caps hold on what is settled and
    /// on what is accepted together.
    #[test]
    fn accepted_calls_with_pending_always_settle_within_caps(
        per_tx in 1u128..40,
        period_extra in 0u128..100,
        total_extra in 0u128..300,
        steps in proptest::collection::vec((any::<bool>(), 1u128..60), 1..150),
    ) {
        let period_cap = per_tx + period_extra;
        let i = Intent {
            per_tx_cap: per_tx,
            period_cap,
            total_cap: period_cap + total_extra,
            period_blocks: 1_000_000,
            start_height: 0,
            allowed_payees: None,
            ..intent()
        };
        let s = SessionScope {
            per_tx_cap: per_tx,
            period_cap,
            total_cap: i.total_cap,
            allowed_payees: None,
            ..scope(&i)
        };
        let now: Height = 5;
        let mut ledger = Ledger::default();
        let mut pending: std::collections::VecDeque<u128> = Default::default();
        for (settle, amount) in steps {
            if settle && !pending.is_empty() {
                let a = pending.pop_front().expect("nonempty");
                let next = check_and_record(&i, &s, false, &ledger, now, &pay(a));
                prop_assert!(next.is_ok(), "an accepted call failed to settle: {:?}", next);
                ledger = next.expect("checked");
            } else {
                let queued: u128 = pending.iter().sum();
                let checked = ledger.with_pending(&i, now, queued);
                if check_and_record(&i, &s, false, &checked, now, &pay(amount)).is_ok() {
                    pending.push_back(amount);
                }
            }
            let queued: u128 = pending.iter().sum();
            prop_assert!(ledger.session.spent_total + queued <= s.total_cap);
            prop_assert!(ledger.intent.spent_in_period + queued <= i.period_cap);
        }
    }

    /// Grown caps stay ordered, never shrink, and grow by at most the rule's maximum.
    #[test]
    fn growth_is_bounded_and_monotone(
        per_tx in 0u128..u128::MAX / 4,
        points in 0u64..10_000,
        more in 0u64..10_000,
        pps in 1u64..100,
        step in 1u32..5_000,
        max in 0u32..=synod_agents_rules::MAX_GROWTH_BPS,
    ) {
        let rule = synod_agents_rules::CapGrowth { points_per_step: pps, step_bps: step, max_bps: max };
        prop_assert!(rule.validate().is_ok());
        let i = Intent { per_tx_cap: per_tx, period_cap: per_tx.saturating_mul(2), total_cap: per_tx.saturating_mul(3), ..intent() };
        let (b1, b2) = (rule.bonus_bps(points), rule.bonus_bps(points + more));
        prop_assert!(b1 <= b2 && b2 <= max);
        let (g1, g2) = (i.grown(b1), i.grown(b2));
        prop_assert!(g1.per_tx_cap <= g1.period_cap && g1.period_cap <= g1.total_cap);
        prop_assert!(i.per_tx_cap <= g1.per_tx_cap && g1.per_tx_cap <= g2.per_tx_cap);
        prop_assert!(g2.total_cap <= i.total_cap.saturating_mul(11));
        prop_assert_eq!(g2.hash(), i.grown(b2).hash());
    }
}
