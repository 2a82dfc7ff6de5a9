//! The chain-level tags of the modules added after the framework (tokens, assets): the first
//! byte of a `Call`, `Event` and `TxFailure` names the module and its JSON names it by
//! `type` / `reason`. The modules pin their own payloads (`tests/golden.rs` in each crate);
//! this pins the wrapper, which is an on-chain encoding too.

use synod_primitives::{AccountId, Hash};
use synod_runtime::{
    AgentCall, AgentEvent, AgentFailure, AssetCall, AssetEvent, AssetFailure, BankCall, Call,
    DataCall, DataEvent, DataFailure, Event, PaymentCall, PaymentEvent, PaymentFailure, TokenCall,
    TxFailure,
};

#[test]
fn module_tags_are_fixed() {
    let tokens = Call::Tokens(TokenCall::Burn {
        token: 1,
        amount: 2,
    });
    assert_eq!(borsh::to_vec(&tokens).expect("borsh")[0], 4);
    let call = Call::Assets(AssetCall::Transfer {
        asset: 1,
        to: AccountId([2; 32]),
    });
    let bytes = borsh::to_vec(&call).expect("borsh");
    assert_eq!(
        hex::encode(&bytes),
        format!("05010100000000000000{}", "02".repeat(32))
    );
    let json = serde_json::to_value(&call).expect("json");
    assert_eq!(json["type"], "assets", "{json}");
    assert_eq!(json["call"], "transfer", "{json}");
    assert_eq!(borsh::from_slice::<Call>(&bytes).expect("decodes"), call);

    let event = Event::Assets(AssetEvent::VersionAdded {
        asset: 1,
        version: 2,
        content_hash: Hash::ZERO,
    });
    assert_eq!(borsh::to_vec(&event).expect("borsh")[0], 6);
    let failure = TxFailure::Assets(AssetFailure::SelfLink);
    let bytes = borsh::to_vec(&failure).expect("borsh");
    assert_eq!(hex::encode(&bytes), "0805");
    assert_eq!(
        serde_json::to_value(&failure).expect("json")["reason"],
        "assets"
    );

    let inner = Call::Bank(BankCall::Transfer {
        to: AccountId([3; 32]),
        amount: 5,
    });
    let exec = Call::Agents(AgentCall::Execute {
        inner: borsh::to_vec(&inner).expect("borsh"),
    });
    let bytes = borsh::to_vec(&exec).expect("borsh");
    assert_eq!(&bytes[..2], &[6, 6]);
    assert_eq!(borsh::from_slice::<Call>(&bytes).expect("decodes"), exec);
    // A session's call pays for what it carries.
    assert!(exec.weight() > inner.weight());
    let payment = synod_runtime::session_payment(&inner).expect("a transfer is a payment");
    assert_eq!(payment.amount, 5);
    assert!(synod_runtime::session_payment(&exec).is_none());
    let event = Event::Agents(AgentEvent::SessionRevoked {
        session: AccountId([4; 32]),
    });
    assert_eq!(borsh::to_vec(&event).expect("borsh")[0], 7);
    let failure = TxFailure::Agents(AgentFailure::SessionRevoked);
    assert_eq!(borsh::to_vec(&failure).expect("borsh")[0], 9);
    assert_eq!(
        serde_json::to_value(&failure).expect("json")["kind"],
        "session_revoked"
    );

    let settle = Call::Payments(PaymentCall::Settle {
        service: 1,
        work_bound: 0,
        items: vec![],
    });
    let bytes = borsh::to_vec(&settle).expect("borsh");
    assert_eq!(hex::encode(&bytes), "070201000000000000000000000000000000");
    assert_eq!(settle.module_call(), ("payments", bytes[1..].to_vec()));
    let event = Event::Payments(PaymentEvent::ServiceUpdated { service: 1 });
    assert_eq!(borsh::to_vec(&event).expect("borsh")[0], 8);
    let failure = TxFailure::Payments(PaymentFailure::NotServiceOwner);
    assert_eq!(hex::encode(borsh::to_vec(&failure).expect("borsh")), "0a01");

    let request = Call::Data(DataCall::RequestProof { file: 2, pool: 1 });
    let bytes = borsh::to_vec(&request).expect("borsh");
    assert_eq!(hex::encode(&bytes), "080a02000000000000000100000000000000");
    assert_eq!(request.module_call(), ("data", bytes[1..].to_vec()));
    let json = serde_json::to_value(&request).expect("json");
    assert_eq!(
        (json["type"].as_str(), json["call"].as_str()),
        (Some("data"), Some("request_proof"))
    );
    assert_eq!(borsh::from_slice::<Call>(&bytes).expect("decodes"), request);
    let event = Event::Data(DataEvent::PoolUpdated { pool: 1 });
    assert_eq!(
        hex::encode(borsh::to_vec(&event).expect("borsh")),
        "09060100000000000000"
    );
    let failure = TxFailure::Data(DataFailure::BadOwnerSignature);
    assert_eq!(hex::encode(borsh::to_vec(&failure).expect("borsh")), "0b05");
    let json = serde_json::to_value(&failure).expect("json");
    assert_eq!(
        (json["reason"].as_str(), json["kind"].as_str()),
        (Some("data"), Some("bad_owner_signature"))
    );
}

/// A module failure's fields share the chain failure's JSON object with its `reason` tag, so
/// none may be called `reason`: every failure must come back from the chain-level JSON.
#[test]
fn module_failures_round_trip_through_the_chain_failure_json() {
    let failures = vec![
        TxFailure::Agents(AgentFailure::DealRefused {
            refusal: synod_agents_rules::DealError::NoArbiter,
        }),
        // Refusals carrying text once had newtype variants, which serde cannot write inside
        // an internally tagged enum: a receipt with one could not be served as JSON.
        TxFailure::Agents(AgentFailure::DealRefused {
            refusal: synod_agents_rules::DealError::InvalidTerms {
                detail: "buyer and seller must differ".into(),
            },
        }),
        TxFailure::Agents(AgentFailure::ChannelRefused {
            refusal: synod_agents_rules::ChannelError::InvalidChannel {
                detail: "deposit must be positive".into(),
            },
        }),
        TxFailure::Agents(AgentFailure::InvalidIntent {
            detail: "caps".into(),
        }),
        TxFailure::Data(DataFailure::InvalidField {
            field: "url".into(),
            detail: "must be scheme://…".into(),
        }),
        TxFailure::Data(DataFailure::SchemaMismatch {
            file_schema: Some("a".into()),
            pool_schema: None,
        }),
        TxFailure::Agents(AgentFailure::ScopeNotWithinIntent {
            detail: "wider".into(),
        }),
        TxFailure::Agents(AgentFailure::UndecodableCall {
            detail: "eof".into(),
        }),
        TxFailure::Agents(AgentFailure::PeriodCapExceeded {
            amount: 1,
            cap: 2,
            spent: 3,
            period: 4,
        }),
        TxFailure::Assets(AssetFailure::InvalidText {
            field: "metric".into(),
            max: 64,
        }),
        TxFailure::Assets(AssetFailure::LicenceDoesNotAllow {
            held: synod_runtime::assets::LicenceKind::NonCommercial,
            needed: "commercial use".into(),
        }),
        TxFailure::Assets(AssetFailure::WorkBoundExceeded {
            needed: 3,
            bound: 2,
        }),
        TxFailure::Payments(PaymentFailure::Session {
            refusal: AgentFailure::PeriodCapExceeded {
                amount: 1,
                cap: 2,
                spent: 3,
                period: 4,
            },
        }),
        TxFailure::Payments(PaymentFailure::InvalidService {
            detail: "name".into(),
        }),
    ];
    for f in failures {
        let json = serde_json::to_string(&f).expect("json");
        let back: TxFailure = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, f);
    }
}
