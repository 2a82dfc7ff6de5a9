//! The chain-level `Call`, `Event` and `TxFailure` carry every module's wire types without tag
//! clashes, in JSON and in borsh (moved here from the modules' own crates when the module
//! framework took the chain-level enums out of `primitives`).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use synod_primitives::codec::{decode_exact, encode};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_runtime::subnets::{Hyperparameter, SubnetCall, SubnetEvent, SubnetFailure};
use synod_runtime::validators::{SetMember, ValidatorCall, ValidatorEvent, ValidatorFailure};
use synod_runtime::{BankCall, Call, Event, TxFailure};

fn round_trip<T>(v: &T)
where
    T: Serialize
        + serde::de::DeserializeOwned
        + BorshSerialize
        + BorshDeserialize
        + PartialEq
        + std::fmt::Debug,
{
    let json = serde_json::to_string(v).expect("to json");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(&back, v);
    let bytes = encode(v);
    assert_eq!(&borsh::from_slice::<T>(&bytes).expect("borsh"), v);
}

#[test]
fn every_subnet_wire_type_round_trips_in_json_and_borsh() {
    let a = AccountId([7; 32]);
    let calls = vec![
        SubnetCall::RegisterNetwork {
            hotkey: a,
            max_lock_cost: 1,
        },
        SubnetCall::StartCall { netuid: 1 },
        SubnetCall::SetHyperparameter {
            netuid: 1,
            param: Hyperparameter::AlphaValues { low: 1, high: 2 },
        },
        SubnetCall::SetHyperparameter {
            netuid: 1,
            param: Hyperparameter::Tempo(10),
        },
        SubnetCall::BurnedRegister {
            netuid: 1,
            hotkey: a,
            max_burn: 5,
        },
        SubnetCall::ServeAxon {
            netuid: 1,
            hotkey: a,
            ip: u128::from(u32::MAX),
            ip_type: 4,
            port: 1,
            protocol: 4,
            version: 0,
        },
        SubnetCall::SetWeights {
            netuid: 1,
            hotkey: a,
            uids: vec![1],
            values: vec![2],
            version_key: 0,
        },
        SubnetCall::CommitWeights {
            netuid: 1,
            hotkey: a,
            commit_hash: Hash::ZERO,
        },
        SubnetCall::RevealWeights {
            netuid: 1,
            hotkey: a,
            uids: vec![1],
            values: vec![2],
            salt: vec![3],
            version_key: 0,
        },
        SubnetCall::AddStake {
            hotkey: a,
            netuid: 0,
            amount: 1,
            limit_price: Some(2),
            allow_partial: true,
        },
        SubnetCall::RemoveStake {
            hotkey: a,
            netuid: 0,
            amount: 1,
            limit_price: None,
            allow_partial: false,
        },
        SubnetCall::MoveStake {
            origin_hotkey: a,
            destination_hotkey: a,
            origin_netuid: 1,
            destination_netuid: 2,
            amount: 3,
        },
        SubnetCall::TransferStake {
            destination_coldkey: a,
            hotkey: a,
            origin_netuid: 1,
            destination_netuid: 2,
            amount: 3,
        },
        SubnetCall::SwapStake {
            hotkey: a,
            origin_netuid: 1,
            destination_netuid: 2,
            amount: 3,
            limit_price: Some(1),
            allow_partial: false,
        },
        SubnetCall::SetDelegateTake { hotkey: a, take: 9 },
    ];
    for c in calls {
        round_trip(&Call::Subnets(c));
    }
    let failures = vec![
        SubnetFailure::InvalidHyperparameter {
            param: "tempo".into(),
            detail: "x".into(),
        },
        SubnetFailure::InvalidAxon { detail: "x".into() },
        SubnetFailure::WeightVecLength { detail: "x".into() },
        SubnetFailure::PriceLimitExceeded { limit_price: 3 },
        SubnetFailure::NoValidatorPermit,
        SubnetFailure::RevealTooEarly {
            reveal_epoch: 2,
            current_epoch: 1,
        },
    ];
    for f in failures {
        round_trip(&TxFailure::Subnet(f));
    }
    let events = vec![
        SubnetEvent::NetworkRegistered {
            netuid: 1,
            owner: a,
            hotkey: a,
            lock: 1,
        },
        SubnetEvent::HyperparameterSet {
            netuid: 1,
            param: Hyperparameter::Kappa(1),
        },
        SubnetEvent::NeuronRegistered {
            netuid: 1,
            uid: 0,
            hotkey: a,
            burned: 1,
            replaced: Some(a),
        },
        SubnetEvent::StakeMoved {
            from_coldkey: a,
            from_hotkey: a,
            from_netuid: 1,
            to_coldkey: a,
            to_hotkey: a,
            to_netuid: 2,
            alpha_in: 1,
            alpha_out: 1,
        },
        SubnetEvent::EpochRun {
            netuid: 3,
            block: 90,
            epoch_index: 4,
            miner_alpha: 5,
            validator_alpha: 6,
            owner_alpha: 7,
            burned_alpha: 8,
            root_tao: 9,
            carried_root_tao: 10,
        },
    ];
    for e in events {
        round_trip(&Event::Subnet(e));
    }
    // Adding the variant kept every earlier encoding: Transfer is still tag 0.
    assert_eq!(
        encode(&Call::Bank(BankCall::Transfer { to: a, amount: 1 }))[0],
        0
    );
    assert_eq!(
        encode(&Call::Subnets(SubnetCall::StartCall { netuid: 1 }))[0],
        2
    );
}

#[test]
fn json_and_borsh_round_trip_without_tag_clashes() {
    let a = Keypair::dev("alice").account();
    let calls = [
        Call::Validators(ValidatorCall::Bond { amount: 5 }),
        Call::Validators(ValidatorCall::Unbond { amount: 5 }),
        Call::Validators(ValidatorCall::Withdraw),
        Call::Validators(ValidatorCall::ReportEquivocation {
            evidence: vec![1, 2, 0xff],
        }),
    ];
    for c in calls {
        let j = serde_json::to_string(&c).expect("json");
        assert_eq!(serde_json::from_str::<Call>(&j).expect("back"), c, "{j}");
        assert_eq!(
            decode_exact::<Call>(&encode(&c), 1 << 16).expect("borsh"),
            c
        );
    }
    let failures = [
        TxFailure::Validator(ValidatorFailure::NothingToWithdraw {
            next_release_epoch: Some(3),
        }),
        TxFailure::Validator(ValidatorFailure::InvalidEvidence {
            detail: "bad".into(),
        }),
        TxFailure::Validator(ValidatorFailure::ZeroAmount),
    ];
    for f in failures {
        let j = serde_json::to_string(&f).expect("json");
        assert_eq!(
            serde_json::from_str::<TxFailure>(&j).expect("back"),
            f,
            "{j}"
        );
    }
    let events = [
        Event::Validator(ValidatorEvent::ValidatorSetChanged {
            epoch: 2,
            validators: vec![SetMember {
                account: a,
                stake: 7,
            }],
        }),
        Event::Validator(ValidatorEvent::Slashed {
            offender: a,
            epoch: 1,
            view: 9,
            slashed: 10,
            burned: 9,
            reporter: a,
            reward: 1,
        }),
        Event::Validator(ValidatorEvent::EmptySetAvoided { epoch: 4 }),
    ];
    for e in events {
        let j = serde_json::to_string(&e).expect("json");
        assert_eq!(serde_json::from_str::<Event>(&j).expect("back"), e, "{j}");
    }
    let j = serde_json::to_string(&ValidatorCall::ReportEquivocation {
        evidence: vec![0xab],
    })
    .expect("json");
    assert!(j.contains("\"0xab\""), "{j}");
}
