//! Payment channels: signatures, closes, challenges, and a property test that settlement equals
//! the latest co-signed state posted in time.

use proptest::prelude::*;
use synod_agents_rules::channel::ChannelPhase;
use synod_agents_rules::{Asset, Channel, ChannelState, SignedChannelState};
use synod_primitives::{AccountId, Keypair};

fn keys() -> (Keypair, Keypair) {
    (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]))
}

fn open(deposit: u128, period: u64) -> (Keypair, Keypair, Channel) {
    let (payer, payee) = keys();
    let ch = Channel::open(
        payer.account(),
        payee.account(),
        Asset::Native,
        deposit,
        period,
        0,
    )
    .expect("open");
    (payer, payee, ch)
}

fn sign(payer: &Keypair, payee: &Keypair, state: ChannelState) -> SignedChannelState {
    let m = state.signing_payload();
    SignedChannelState {
        state,
        payer_sig: payer.sign(&m),
        payee_sig: payee.sign(&m),
    }
}

fn sign_close(payer: &Keypair, payee: &Keypair, state: ChannelState) -> SignedChannelState {
    let m = state.close_payload();
    SignedChannelState {
        state,
        payer_sig: payer.sign(&m),
        payee_sig: payee.sign(&m),
    }
}

fn state(ch: &Channel, nonce: u64, paid: u128) -> ChannelState {
    ChannelState {
        channel_id: ch.id,
        nonce,
        cumulative_paid: paid,
    }
}

#[test]
fn cooperative_close_settles_at_once() {
    let (a, b, ch) = open(100, 10);
    let (closed, s) = ch
        .cooperative_close(&sign_close(&a, &b, state(&ch, 5, 30)))
        .expect("close");
    assert_eq!(closed.phase, ChannelPhase::Closed);
    assert_eq!((s.to_payee, s.to_payer), (30, 70));
    assert_eq!((s.payee, s.payer), (b.account(), a.account()));
    // an update signature is not a close signature (no instant close on a stale update)
    let e = ch
        .cooperative_close(&sign(&a, &b, state(&ch, 5, 30)))
        .expect_err("update sig");
    assert_eq!(e.kind(), "bad_signature");
    // closed channels refuse everything
    assert_eq!(
        closed.settle(1_000).expect_err("closed").kind(),
        "wrong_phase"
    );
    assert_eq!(
        closed
            .start_close(&a.account(), None, 1)
            .expect_err("closed")
            .kind(),
        "wrong_phase"
    );
}

#[test]
fn unilateral_close_challenge_and_settle() {
    let (a, b, ch) = open(100, 10);
    let stale = sign(&a, &b, state(&ch, 3, 20));
    let latest = sign(&a, &b, state(&ch, 7, 45));
    let closing = ch
        .start_close(&a.account(), Some(&stale), 100)
        .expect("close");
    assert_eq!(
        closing.settle(109).expect_err("window").kind(),
        "challenge_window_open"
    );
    // stale or equal challenge refused, unchanged
    assert_eq!(
        closing.challenge(&stale, 105).expect_err("stale").kind(),
        "stale_state"
    );
    let newer = closing.challenge(&latest, 109).expect("challenge");
    assert_eq!(
        newer.challenge(&stale, 109).expect_err("stale").kind(),
        "stale_state"
    );
    assert_eq!(
        closing.challenge(&latest, 110).expect_err("late").kind(),
        "challenge_window_closed"
    );
    let (_, s) = newer.settle(110).expect("settle");
    assert_eq!((s.to_payee, s.to_payer), (45, 55));
    let (_, s) = closing.settle(110).expect("settle");
    assert_eq!((s.to_payee, s.to_payer), (20, 80));
}

#[test]
fn bad_states_refused() {
    let (a, b, ch) = open(100, 10);
    // above deposit
    let e = ch.start_close(&a.account(), Some(&sign(&a, &b, state(&ch, 1, 101))), 0);
    assert_eq!(e.expect_err("deposit").kind(), "exceeds_deposit");
    // another channel
    let (_, _, other) = {
        let (p, q) = keys();
        let o = Channel::open(p.account(), q.account(), Asset::Native, 100, 10, 1).expect("open");
        (p, q, o)
    };
    let e = ch.start_close(&a.account(), Some(&sign(&a, &b, state(&other, 1, 1))), 0);
    assert_eq!(e.expect_err("other").kind(), "wrong_channel");
    // a signature by only one party, or by a stranger
    let mut s = sign(&a, &b, state(&ch, 1, 10));
    s.payee_sig = a.sign(&s.state.signing_payload());
    assert_eq!(
        ch.start_close(&a.account(), Some(&s), 0)
            .expect_err("sig")
            .kind(),
        "bad_signature"
    );
    let mut s = sign(&a, &b, state(&ch, 1, 10));
    s.state.cumulative_paid = 11; // tampered after signing
    assert_eq!(
        ch.start_close(&a.account(), Some(&s), 0)
            .expect_err("sig")
            .kind(),
        "bad_signature"
    );
    // a stranger cannot start a close
    let e = ch
        .start_close(&AccountId([9; 32]), None, 0)
        .expect_err("stranger");
    assert_eq!(e.kind(), "not_a_party");
    // opening
    let (p, q) = keys();
    for (payee, dep, per) in [
        (p.account(), 1, 1),
        (q.account(), 0, 1),
        (q.account(), 1, 0),
    ] {
        let e = Channel::open(p.account(), payee, Asset::Native, dep, per, 0).expect_err("open");
        assert_eq!(e.kind(), "invalid_channel");
    }
    // next() is monotone and checked
    let s0 = ChannelState::initial(ch.id);
    let s1 = s0.next(5).expect("next");
    assert_eq!((s1.nonce, s1.cumulative_paid), (1, 5));
    assert_eq!(
        state(&ch, 1, u128::MAX).next(1).expect_err("ovf").kind(),
        "overflow"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A channel with random payments is closed unilaterally by a random party with a random
    /// (possibly stale, possibly empty) state; the latest state is posted at a random height,
    /// and a random stale state is tried too. Settlement pays the payee exactly the latest
    /// co-signed amount if it was posted within the window, else the amount of the state the
    /// close started with; the two parts always sum to the deposit.
    #[test]
    fn channel_settles_to_latest_cosigned_state(
        payments in proptest::collection::vec(1u128..1_000, 0..12),
        spare in 0u128..1_000,
        period in 1u64..20,
        stale_pick in any::<prop::sample::Index>(),
        old_pick in any::<prop::sample::Index>(),
        payer_closes in any::<bool>(),
        close_at in 0u64..1_000,
        challenge_after in 0u64..40,
        settle_after in 0u64..40,
    ) {
        let (a, b) = keys();
        let deposit = payments.iter().sum::<u128>() + spare + 1;
        let ch = Channel::open(a.account(), b.account(), Asset::Token(3), deposit, period, 7)
            .expect("open");
        // every co-signed state, in order; index 0 = nothing paid (no signed state)
        let mut states = vec![ChannelState::initial(ch.id)];
        for p in &payments {
            let next = states.last().expect("nonempty").next(*p).expect("next");
            states.push(next);
        }
        let signed: Vec<SignedChannelState> = states.iter().map(|s| sign(&a, &b, *s)).collect();
        let n = states.len() - 1;
        let k = stale_pick.index(n + 1);
        let closer = if payer_closes { a.account() } else { b.account() };
        let posted = (k > 0).then(|| &signed[k]);
        let mut ch2 = ch.start_close(&closer, posted, close_at).expect("start close");
        let ends = close_at + period;

        // a stale (not newer) state is always refused and changes nothing
        let j = old_pick.index(k + 1);
        if j > 0 {
            let before = ch2.clone();
            prop_assert!(ch2.challenge(&signed[j], close_at).is_err());
            prop_assert_eq!(&ch2, &before);
        }
        // settlement before the window ends is refused
        prop_assert!(ch2.settle(ends - 1).is_err());

        let challenge_at = close_at + challenge_after;
        let mut expected = states[k].cumulative_paid;
        if n > 0 {
            match ch2.challenge(&signed[n], challenge_at) {
                Ok(next) => {
                    prop_assert!(challenge_at < ends && n > k);
                    ch2 = next;
                    expected = states[n].cumulative_paid;
                }
                Err(e) => prop_assert!(
                    challenge_at >= ends || n == k,
                    "refused in window: {}", e
                ),
            }
        }
        if challenge_at < ends {
            // within the window the latest co-signed state always wins
            prop_assert_eq!(expected, states[n].cumulative_paid);
        }
        let (closed, s) = ch2.settle(ends + settle_after).expect("settle");
        prop_assert_eq!(&closed.phase, &ChannelPhase::Closed);
        prop_assert_eq!(s.to_payee, expected);
        prop_assert_eq!(s.to_payee + s.to_payer, deposit);
        // final: nothing more can be posted or settled
        prop_assert!(closed.challenge(&signed[n], ends + settle_after).is_err());
        prop_assert!(closed.settle(u64::MAX).is_err());
    }
}
