//! What each call says it may take from the sender's free SYN, which the pool adds to the fees
//! of a sender's queue: transfers, bonds and stakes by their amount, capped registrations by
//! their cap, uncapped ones and calls that move no SYN by nothing.

use synod_primitives::AccountId;
use synod_primitives::tx::CallWeight;
use synod_runtime::validators::ValidatorCall;
use synod_runtime::{BankCall, Call, SubnetCall, TokenCall};

#[test]
fn spend_bounds_follow_the_calls() {
    let who = AccountId([7; 32]);
    let cases: Vec<(Call, u64)> = vec![
        (
            Call::Bank(BankCall::Transfer {
                to: who,
                amount: 42,
            }),
            42,
        ),
        (Call::Validators(ValidatorCall::Bond { amount: 9 }), 9),
        (Call::Validators(ValidatorCall::Unbond { amount: 9 }), 0),
        (
            Call::Subnets(SubnetCall::AddStake {
                hotkey: who,
                netuid: 1,
                amount: 5,
                limit_price: None,
                allow_partial: false,
            }),
            5,
        ),
        (
            Call::Subnets(SubnetCall::BurnedRegister {
                netuid: 1,
                hotkey: who,
                max_burn: 11,
            }),
            11,
        ),
        (
            Call::Subnets(SubnetCall::BurnedRegister {
                netuid: 1,
                hotkey: who,
                max_burn: u64::MAX,
            }),
            0,
        ),
        (
            Call::Subnets(SubnetCall::RegisterNetwork {
                hotkey: who,
                max_lock_cost: 100,
            }),
            100,
        ),
        (
            Call::Tokens(TokenCall::Transfer {
                token: 1,
                to: who,
                amount: 1_000,
            }),
            0,
        ),
    ];
    for (call, want) in cases {
        assert_eq!(call.spend_bound(), want, "{call:?}");
    }
}
