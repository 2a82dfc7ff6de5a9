//! Golden encodings of every call, event and failure variant of the payments module, of its
//! stored records, and of what crosses the HTTP boundary (the signed authorization of the
//! `X-Payment` header, its signing hash, the request hash): borsh bytes (hex) and JSON as first
//! blessed, which may never change. `GOLDEN_BLESS=1 cargo test -p synod-payments --test golden`
//! appends new vectors: only for a newly appended variant.

use std::path::PathBuf;
use synod_agents::AgentFailure;
use synod_agents_rules::Asset;
use synod_golden::line;
use synod_payments::wire::{AssetUse, MinReputation, VaultShare};
use synod_payments::*;
use synod_primitives::{AccountId, Hash, Keypair, Signature};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        name: "llm.example".into(),
        url: "https://llm.example/api".into(),
        payee: acct(2),
        endpoints: vec![
            Endpoint {
                method: "POST".into(),
                path: "/v1/complete".into(),
                price: 1_000,
                asset: Asset::Native,
                pricing: Pricing::Upto,
            },
            Endpoint {
                method: "GET".into(),
                path: "/v1/models".into(),
                price: 1 << 70,
                asset: Asset::Token(3),
                pricing: Pricing::Exact,
            },
        ],
        uses: vec![AssetUse {
            asset: 4,
            share_bps: 2_500,
        }],
        min_reputation: Some(MinReputation {
            settled_payments: 1,
            deals_completed: 2,
            max_disputes_lost: 3,
        }),
    }
}

fn authorization() -> Authorization {
    Authorization {
        payer: acct(1),
        signer: acct(5),
        service: 7,
        payee: acct(2),
        asset: Asset::Token(3),
        max_amount: 1 << 70,
        valid_after: 100,
        valid_before: 200,
        nonce: Hash([9; 32]),
        request_hash: Hash([8; 32]),
    }
}

fn signed() -> SignedAuthorization {
    SignedAuthorization {
        authorization: authorization(),
        signature: Signature([6; 64]),
    }
}

fn receipt() -> PaymentReceipt {
    PaymentReceipt {
        service: 7,
        payer: acct(1),
        signer: acct(5),
        nonce: Hash([9; 32]),
        request_hash: Hash([8; 32]),
        asset: Asset::Native,
        amount: 1_000,
        payee: acct(2),
        to_payee: 750,
        vaults: vec![VaultShare {
            asset: 4,
            amount: 250,
        }],
    }
}

fn calls() -> Vec<PaymentCall> {
    vec![
        PaymentCall::RegisterService { spec: spec() },
        PaymentCall::UpdateService {
            service: 7,
            spec: spec(),
        },
        PaymentCall::Settle {
            service: 7,
            work_bound: 64,
            items: vec![SettleItem {
                authorization: signed(),
                amount: 999,
            }],
        },
    ]
}

fn call_index(c: &PaymentCall) -> usize {
    match c {
        PaymentCall::RegisterService { .. } => 0,
        PaymentCall::UpdateService { .. } => 1,
        PaymentCall::Settle { .. } => 2,
    }
}

fn events() -> Vec<PaymentEvent> {
    vec![
        PaymentEvent::ServiceRegistered {
            service: 7,
            owner: acct(1),
            name: "llm.example".into(),
        },
        PaymentEvent::ServiceUpdated { service: 7 },
        PaymentEvent::Settled { receipt: receipt() },
        PaymentEvent::SettlementRefused {
            service: 7,
            payer: acct(1),
            nonce: Hash([9; 32]),
            failure: PaymentFailure::NonceUsed {
                nonce: Hash([9; 32]),
            },
        },
        PaymentEvent::AlreadySettled {
            service: 7,
            payer: acct(1),
            nonce: Hash([9; 32]),
        },
    ]
}

fn event_index(e: &PaymentEvent) -> usize {
    match e {
        PaymentEvent::ServiceRegistered { .. } => 0,
        PaymentEvent::ServiceUpdated { .. } => 1,
        PaymentEvent::Settled { .. } => 2,
        PaymentEvent::SettlementRefused { .. } => 3,
        PaymentEvent::AlreadySettled { .. } => 4,
    }
}

fn failures() -> Vec<PaymentFailure> {
    use PaymentFailure::*;
    vec![
        UnknownService { service: 7 },
        NotServiceOwner,
        InvalidService {
            detail: "name".into(),
        },
        NameTaken {
            name: "llm.example".into(),
        },
        BadBatch { max: 1024 },
        WrongService { named: 8 },
        PayeeMismatch {
            named: acct(3),
            payee: acct(2),
        },
        AssetNotAccepted {
            asset: Asset::Token(3),
        },
        ZeroAmount,
        AboveMaximum {
            amount: 11,
            max: 10,
        },
        NotYetValid {
            valid_after: 100,
            now: 99,
        },
        AuthorizationExpired {
            valid_before: 200,
            now: 200,
        },
        BadWindow { max: 100_000 },
        NonceUsed {
            nonce: Hash([9; 32]),
        },
        BadSignature,
        SignerNotAuthorized { signer: acct(5) },
        Session {
            refusal: AgentFailure::SessionRevoked,
        },
        ReputationTooLow {
            detail: "0 settled payments, 1 required".into(),
        },
        InsufficientFunds {
            needed: 10,
            available: 9,
        },
        TransferRefused {
            detail: "frozen".into(),
        },
        Overflow,
    ]
}

fn failure_index(f: &PaymentFailure) -> usize {
    use PaymentFailure::*;
    match f {
        UnknownService { .. } => 0,
        NotServiceOwner => 1,
        InvalidService { .. } => 2,
        NameTaken { .. } => 3,
        BadBatch { .. } => 4,
        WrongService { .. } => 5,
        PayeeMismatch { .. } => 6,
        AssetNotAccepted { .. } => 7,
        ZeroAmount => 8,
        AboveMaximum { .. } => 9,
        NotYetValid { .. } => 10,
        AuthorizationExpired { .. } => 11,
        BadWindow { .. } => 12,
        NonceUsed { .. } => 13,
        BadSignature => 14,
        SignerNotAuthorized { .. } => 15,
        Session { .. } => 16,
        ReputationTooLow { .. } => 17,
        InsufficientFunds { .. } => 18,
        TransferRefused { .. } => 19,
        Overflow => 20,
    }
}

fn all_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = [false; 3];
    for (i, c) in calls().iter().enumerate() {
        seen[call_index(c)] = true;
        assert_eq!(
            &borsh::from_slice::<PaymentCall>(&borsh::to_vec(c).expect("borsh")).expect("borsh"),
            c
        );
        out.push(line(&format!("call/{i}"), c));
    }
    assert!(seen.iter().all(|s| *s), "a call variant has no vector");
    let mut seen = [false; 5];
    for (i, e) in events().iter().enumerate() {
        seen[event_index(e)] = true;
        out.push(line(&format!("event/{i}"), e));
    }
    assert!(seen.iter().all(|s| *s), "an event variant has no vector");
    let mut seen = [false; 21];
    for (i, f) in failures().iter().enumerate() {
        seen[failure_index(f)] = true;
        let json = serde_json::to_value(f).expect("json");
        if !matches!(f, PaymentFailure::Session { .. }) {
            assert_eq!(json["kind"], f.kind(), "{json}");
        }
        out.push(line(&format!("failure/{i}"), f));
    }
    assert!(seen.iter().all(|s| *s), "a failure variant has no vector");
    out.push(line(
        "state/service",
        &ServiceRecord {
            owner: acct(1),
            spec: spec(),
            registered_at: 3,
            updated_at: 4,
            settled: 5,
        },
    ));
    out.push(line(
        "state/settlement",
        &SettlementRecord {
            service: 7,
            amount: 999,
            height: 150,
            request_hash: Hash([8; 32]),
            valid_before: 200,
        },
    ));
    out.push(line("wire/signed_authorization", &signed()));
    out.push(format!(
        "hash/authorization_signing\t{}\t-",
        hex::encode(authorization().signing_hash("synod-dev").0)
    ));
    out.push(format!(
        "hash/request\t{}\t-",
        hex::encode(request_hash("post", "/v1/complete?stream=false", b"{\"prompt\":\"hi\"}").0)
    ));
    // A real signature by a dev key over the signing hash: an SDK in another language must
    // produce these exact bytes.
    let key = Keypair::dev("payer");
    let real = Authorization {
        payer: key.account(),
        signer: key.account(),
        ..authorization()
    }
    .sign(&key, "synod-dev");
    out.push(format!("header/x_payment\t{}\t-", real.to_header()));
    out
}

#[test]
fn encodings_match_the_golden_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    synod_golden::check(&path, &all_lines());
}

/// The `X-Payment` header round-trips, and refuses what is not one signed authorization.
#[test]
fn header_decoding_refuses_bad_input() {
    let s = signed();
    assert_eq!(
        SignedAuthorization::from_header(&s.to_header()),
        Ok(s.clone())
    );
    assert!(SignedAuthorization::from_header("zz").is_err());
    let mut long = s.to_header();
    long.push_str("00");
    assert!(
        SignedAuthorization::from_header(&long).is_err(),
        "trailing bytes"
    );
    assert!(SignedAuthorization::from_header(&"0".repeat(5_000)).is_err());
    assert!(SignedAuthorization::from_header("").is_err());
}
