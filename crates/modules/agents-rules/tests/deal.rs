//! Escrowed deals: the happy paths, every deadline, wrong party and out-of-order steps, and a
//! property test that funds always end at buyer or seller.

use proptest::prelude::*;
use synod_agents_rules::deal::{step, tick};
use synod_agents_rules::{Action, Asset, Deal, DealError, DealState, Terms, Transfer};
use synod_primitives::{AccountId, Hash, Height};

fn acct(b: u8) -> AccountId {
    AccountId([b; 32])
}
const BUYER: u8 = 1;
const SELLER: u8 = 2;
const ARBITER: u8 = 3;
const STRANGER: u8 = 4;

fn terms(arbiter: bool) -> Terms {
    Terms {
        buyer: acct(BUYER),
        seller: acct(SELLER),
        deliverable: Hash([7; 32]),
        acceptance_criteria: Hash([8; 32]),
        price: 1_000,
        asset: Asset::Native,
        funding_deadline: 10,
        delivery_deadline: 50,
        review_period: 20,
        arbiter: arbiter.then(|| acct(ARBITER)),
        appeal_period: 15,
        arbitration_period: 30,
        salt: 0,
    }
}

fn ok(d: &Deal, a: Action, who: u8, now: Height) -> (Deal, Vec<Transfer>) {
    step(d, &a, &acct(who), now).unwrap_or_else(|e| panic!("{a:?} by {who}: {e}"))
}

fn refused(d: &Deal, a: Action, who: u8, now: Height) -> DealError {
    step(d, &a, &acct(who), now).expect_err("must be refused")
}

fn funded(arbiter: bool) -> Deal {
    let d = Deal::propose(terms(arbiter), &acct(BUYER), 1).expect("propose");
    let h = d.terms_hash;
    let (d, _) = ok(&d, Action::Sign { terms_hash: h }, SELLER, 2);
    assert_eq!(d.state, DealState::Committed);
    let (d, t) = ok(&d, Action::Fund, BUYER, 3);
    assert_eq!(
        t,
        vec![Transfer::IntoEscrow {
            from: acct(BUYER),
            asset: Asset::Native,
            amount: 1_000
        }]
    );
    d
}

fn release(to: u8, amount: u128) -> Transfer {
    Transfer::OutOfEscrow {
        to: acct(to),
        asset: Asset::Native,
        amount,
    }
}

#[test]
fn happy_path_pays_seller() {
    let d = funded(false);
    let (d, _) = ok(
        &d,
        Action::Deliver {
            delivery: Hash([9; 32]),
        },
        SELLER,
        20,
    );
    assert_eq!(d.delivery, Some(Hash([9; 32])));
    let (d, t) = ok(&d, Action::Accept, BUYER, 25);
    assert_eq!(d.state, DealState::Accepted);
    assert_eq!(t, vec![release(SELLER, 1_000)]);
    assert_eq!(d.escrowed, 0);
}

#[test]
fn deadlines_advance() {
    // funding missed: expired, nothing held
    let d = Deal::propose(terms(false), &acct(SELLER), 1).expect("propose");
    assert_eq!(tick(&d, 9).0, d);
    let (e, t) = tick(&d, 10);
    assert_eq!((e.state, t), (DealState::Expired, vec![]));
    // delivery missed: buyer refunded
    let d = funded(false);
    assert_eq!(tick(&d, 49).0, d);
    let (e, t) = tick(&d, 50);
    assert_eq!(
        (e.state, t),
        (DealState::Expired, vec![release(BUYER, 1_000)])
    );
    // review period passed: auto-accept pays seller
    let (d, _) = ok(
        &funded(false),
        Action::Deliver {
            delivery: Hash::ZERO,
        },
        SELLER,
        30,
    );
    assert_eq!(tick(&d, 49).0, d);
    let (e, t) = tick(&d, 50);
    assert_eq!(
        (e.state, t),
        (DealState::Accepted, vec![release(SELLER, 1_000)])
    );
    // rejected, appeal lapses: buyer refunded
    let (r, _) = ok(&d, Action::Reject, BUYER, 40);
    assert_eq!(r.state, DealState::Rejected { at: 40 });
    assert_eq!(tick(&r, 54).0, r);
    let (e, t) = tick(&r, 55);
    assert_eq!(
        e.state,
        DealState::Resolved {
            to_seller: 0,
            to_buyer: 1_000
        }
    );
    assert_eq!(t, vec![release(BUYER, 1_000)]);
}

#[test]
fn dispute_and_arbiter_ruling() {
    let (d, _) = ok(
        &funded(true),
        Action::Deliver {
            delivery: Hash::ZERO,
        },
        SELLER,
        30,
    );
    let (d, _) = ok(&d, Action::Reject, BUYER, 31);
    let (d, _) = ok(&d, Action::Dispute, SELLER, 45);
    assert_eq!(d.state, DealState::Disputed { at: 45 });
    assert_eq!(
        refused(&d, Action::Resolve { to_seller: 1_001 }, ARBITER, 50).kind(),
        "ruling_exceeds_escrow"
    );
    assert_eq!(
        refused(&d, Action::Resolve { to_seller: 600 }, BUYER, 50).kind(),
        "wrong_party"
    );
    let (r, t) = ok(&d, Action::Resolve { to_seller: 600 }, ARBITER, 74);
    assert_eq!(
        r.state,
        DealState::Resolved {
            to_seller: 600,
            to_buyer: 400
        }
    );
    assert_eq!(t, vec![release(SELLER, 600), release(BUYER, 400)]);
    // arbiter too late: refused, and tick refunds the buyer
    assert_eq!(
        refused(&d, Action::Resolve { to_seller: 600 }, ARBITER, 75).kind(),
        "deadline_passed"
    );
    let (e, t) = tick(&d, 75);
    assert_eq!(
        e.state,
        DealState::Resolved {
            to_seller: 0,
            to_buyer: 1_000
        }
    );
    assert_eq!(t, vec![release(BUYER, 1_000)]);
}

#[test]
fn wrong_party_and_out_of_order_leave_state_unchanged() {
    let p = Deal::propose(terms(true), &acct(BUYER), 1).expect("propose");
    let h = p.terms_hash;
    let snapshot = p.clone();
    // wrong party
    assert_eq!(
        refused(&p, Action::Sign { terms_hash: h }, STRANGER, 2).kind(),
        "wrong_party"
    );
    assert_eq!(
        refused(&p, Action::Sign { terms_hash: h }, ARBITER, 2).kind(),
        "wrong_party"
    );
    assert_eq!(
        refused(&p, Action::Sign { terms_hash: h }, BUYER, 2).kind(),
        "already_signed"
    );
    assert_eq!(
        refused(
            &p,
            Action::Sign {
                terms_hash: Hash::ZERO
            },
            SELLER,
            2
        )
        .kind(),
        "terms_hash_mismatch"
    );
    assert_eq!(
        refused(&p, Action::Sign { terms_hash: h }, SELLER, 10).kind(),
        "deadline_passed"
    );
    // out of order
    for a in [
        Action::Fund,
        Action::Deliver {
            delivery: Hash::ZERO,
        },
        Action::Accept,
        Action::Reject,
        Action::Dispute,
        Action::Resolve { to_seller: 0 },
    ] {
        assert_eq!(refused(&p, a, BUYER, 2).kind(), "out_of_order");
    }
    assert_eq!(p, snapshot);

    let (c, _) = ok(&p, Action::Sign { terms_hash: h }, SELLER, 2);
    assert_eq!(refused(&c, Action::Fund, SELLER, 3).kind(), "wrong_party");
    assert_eq!(
        refused(&c, Action::Sign { terms_hash: h }, SELLER, 3).kind(),
        "out_of_order"
    );
    assert_eq!(
        refused(&c, Action::Fund, BUYER, 10).kind(),
        "deadline_passed"
    );

    let f = funded(true);
    let snapshot = f.clone();
    assert_eq!(
        refused(
            &f,
            Action::Deliver {
                delivery: Hash::ZERO
            },
            BUYER,
            4
        )
        .kind(),
        "wrong_party"
    );
    assert_eq!(refused(&f, Action::Cancel, BUYER, 4).kind(), "wrong_party");
    assert_eq!(refused(&f, Action::Accept, BUYER, 4).kind(), "out_of_order");
    assert_eq!(refused(&f, Action::Fund, BUYER, 4).kind(), "out_of_order");
    assert_eq!(
        refused(
            &f,
            Action::Deliver {
                delivery: Hash::ZERO
            },
            SELLER,
            50
        )
        .kind(),
        "deadline_passed"
    );
    assert_eq!(f, snapshot);

    let (dl, _) = ok(
        &f,
        Action::Deliver {
            delivery: Hash::ZERO,
        },
        SELLER,
        5,
    );
    assert_eq!(
        refused(&dl, Action::Accept, SELLER, 6).kind(),
        "wrong_party"
    );
    assert_eq!(
        refused(&dl, Action::Reject, ARBITER, 6).kind(),
        "wrong_party"
    );
    assert_eq!(
        refused(&dl, Action::Reject, BUYER, 25).kind(),
        "deadline_passed"
    );
    assert_eq!(
        refused(&dl, Action::Dispute, SELLER, 6).kind(),
        "out_of_order"
    );

    let (rj, _) = ok(&dl, Action::Reject, BUYER, 6);
    assert_eq!(
        refused(&rj, Action::Dispute, BUYER, 7).kind(),
        "wrong_party"
    );
    assert_eq!(
        refused(&rj, Action::Dispute, SELLER, 21).kind(),
        "deadline_passed"
    );
    let (no_arb, _) = {
        let (d, _) = ok(
            &funded(false),
            Action::Deliver {
                delivery: Hash::ZERO,
            },
            SELLER,
            5,
        );
        ok(&d, Action::Reject, BUYER, 6)
    };
    assert_eq!(
        refused(&no_arb, Action::Dispute, SELLER, 7).kind(),
        "no_arbiter"
    );

    // terminal states refuse everything
    let (acc, _) = ok(&dl, Action::Accept, BUYER, 6);
    assert_eq!(
        refused(&acc, Action::Cancel, SELLER, 7).kind(),
        "out_of_order"
    );
    assert_eq!(tick(&acc, u64::MAX), (acc.clone(), vec![]));
}

#[test]
fn cancel_rules() {
    let p = Deal::propose(terms(false), &acct(SELLER), 1).expect("propose");
    let (c, t) = ok(&p, Action::Cancel, BUYER, 2);
    assert_eq!((c.state, t), (DealState::Cancelled, vec![]));
    let (c, t) = ok(&funded(false), Action::Cancel, SELLER, 5);
    assert_eq!(
        (c.state, t),
        (DealState::Cancelled, vec![release(BUYER, 1_000)])
    );
}

#[test]
fn invalid_terms_refused() {
    let mut t = terms(true);
    t.arbiter = Some(acct(BUYER));
    assert_eq!(
        Deal::propose(t, &acct(BUYER), 1).expect_err("bad").kind(),
        "invalid_terms"
    );
    let mut t = terms(false);
    t.delivery_deadline = u64::MAX - 10;
    assert_eq!(
        Deal::propose(t, &acct(BUYER), 1).expect_err("bad").kind(),
        "invalid_terms"
    );
    assert_eq!(
        Deal::propose(terms(false), &acct(STRANGER), 1)
            .expect_err("bad")
            .kind(),
        "wrong_party"
    );
    // the terms hash changes with every field
    let mut t = terms(false);
    let h = t.hash();
    t.price += 1;
    assert_ne!(t.hash(), h);
}

const FORWARD: u8 = 255;

fn action(tag: u8, to_seller: u128, signed_hash: bool, h: Hash) -> Action {
    match tag % 8 {
        0 => Action::Sign {
            terms_hash: if signed_hash { h } else { Hash::ZERO },
        },
        1 => Action::Fund,
        2 => Action::Deliver {
            delivery: Hash([5; 32]),
        },
        3 => Action::Accept,
        4 => Action::Reject,
        5 => Action::Dispute,
        6 => Action::Resolve { to_seller },
        _ => Action::Cancel,
    }
}

thread_local! {
    static STATES_REACHED: std::cell::RefCell<std::collections::BTreeSet<&'static str>> =
        const { std::cell::RefCell::new(std::collections::BTreeSet::new()) };
}

/// The property test below must actually reach every state (else it proves little).
#[test]
fn deal_property_reaches_every_state() {
    deal_funds_end_at_buyer_or_seller();
    let reached = STATES_REACHED.with(|r| r.borrow().clone());
    for s in [
        "proposed",
        "committed",
        "funded",
        "delivered",
        "accepted",
        "rejected",
        "disputed",
        "resolved",
        "cancelled",
        "expired",
    ] {
        assert!(reached.contains(s), "never reached {s}: {reached:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random actions by random parties at random heights, with ticks in between: the escrow
    /// always equals funds in minus funds out, funds only ever go to buyer or seller, refused
    /// steps change nothing, and after every deadline has passed the deal is terminal with
    /// everything paid out (sum conserved, nothing stuck).
    #[test]
    fn deal_funds_end_at_buyer_or_seller(
        arbiter in any::<bool>(),
        price in 1u128..1_000_000,
        deadlines in (1u64..40, 1u64..40, 1u64..30, 1u64..30, 1u64..30),
        steps in proptest::collection::vec(
            (
                prop_oneof![3 => Just(FORWARD), 1 => 0u8..8],
                prop_oneof![4 => Just(0u8), 1 => 1u8..5],
                prop_oneof![8 => 0u64..2, 1 => 0u64..40],
                0u128..1_100_000,
                proptest::bool::weighted(0.9),
                proptest::bool::weighted(0.3),
            ),
            0..60,
        ),
    ) {
        let (fund, deliver, review, appeal, arbitration) = deadlines;
        let t = Terms {
            price,
            funding_deadline: fund,
            delivery_deadline: fund + deliver,
            review_period: review,
            appeal_period: appeal,
            arbitration_period: arbitration,
            ..terms(arbiter)
        };
        let mut deal = Deal::propose(t, &acct(BUYER), 0).expect("propose");
        let h = deal.terms_hash;
        let (mut into, mut out) = (0u128, 0u128);
        let account = |ts: &[Transfer], into: &mut u128, out: &mut u128| -> Result<(), TestCaseError> {
            for tr in ts {
                match tr {
                    Transfer::IntoEscrow { from, amount, .. } => {
                        prop_assert_eq!(*from, acct(BUYER));
                        *into += amount;
                    }
                    Transfer::OutOfEscrow { to, amount, .. } => {
                        prop_assert!(*to == acct(BUYER) || *to == acct(SELLER));
                        prop_assert!(*amount > 0);
                        *out += amount;
                    }
                }
            }
            Ok(())
        };
        let mut now: Height = 0;
        let mut reached = std::collections::BTreeSet::new();
        for (tag, who, adv, to_seller, good_hash, do_tick) in steps {
            now += adv;
            // FORWARD: the action that moves the deal on from its state (so that deep states
            // are reached often)
            let tag = if tag != FORWARD {
                tag
            } else {
                match deal.state {
                    DealState::Proposed { .. } => 0,
                    DealState::Committed => 1,
                    DealState::Funded => 2,
                    DealState::Delivered { .. } => if to_seller % 4 == 0 { 3 } else { 4 },
                    DealState::Rejected { .. } => 5,
                    DealState::Disputed { .. } => 6,
                    _ => 7,
                }
            };
            // who 0: the party entitled to the action (so that deep states are reached)
            let who = if who != 0 {
                who
            } else {
                match tag % 8 {
                    0 | 2 | 5 => SELLER,
                    6 => ARBITER,
                    7 => if to_seller % 2 == 0 { BUYER } else { SELLER },
                    _ => BUYER,
                }
            };
            if do_tick {
                let (d, ts) = tick(&deal, now);
                account(&ts, &mut into, &mut out)?;
                deal = d;
            }
            let before = deal.clone();
            match step(&deal, &action(tag, to_seller, good_hash, h), &acct(who), now) {
                Ok((d, ts)) => {
                    account(&ts, &mut into, &mut out)?;
                    deal = d;
                }
                Err(_) => prop_assert_eq!(&deal, &before),
            }
            reached.insert(deal.state.name());
            prop_assert!(into == 0 || into == price);
            prop_assert_eq!(deal.escrowed, into - out);
            if deal.is_terminal() {
                prop_assert_eq!(deal.escrowed, 0);
            }
        }
        STATES_REACHED.with(|r| r.borrow_mut().extend(reached));
        // every deadline passed
        let (d, ts) = tick(&deal, now + fund + deliver + review + appeal + arbitration + 1);
        account(&ts, &mut into, &mut out)?;
        prop_assert!(d.is_terminal(), "stuck in {:?}", d.state);
        prop_assert_eq!(d.escrowed, 0);
        prop_assert_eq!(into, out);
        let (again, more) = tick(&d, u64::MAX);
        prop_assert_eq!(again, d);
        prop_assert!(more.is_empty());
    }
}
