//! Golden encodings: one value of every call, failure and event variant of the assets module,
//! of its genesis section and of every stored record, with borsh bytes (hex) and JSON as first
//! blessed. Calls, failures and events go into blocks and receipts, records into the state
//! root: none of these encodings may ever change.
//!
//! `GOLDEN_BLESS=1 cargo test -p synod-assets --test golden` rewrites `golden/encodings.txt`:
//! only ever do that for a newly appended variant, never to make an existing line pass.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::path::PathBuf;
use synod_assets::state::{
    AssetRecord, Claimant, CommitmentRecord, Contributions, Edge, HeldLicence, OfferRecord, Stage,
    VersionRecord, Worker,
};
use synod_assets::*;
use synod_primitives::{AccountId, Hash, decode_exact, encode};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn h(n: u8) -> Hash {
    Hash([n; 32])
}

fn values() -> Vec<ContributorValue> {
    vec![
        ContributorValue {
            contributor: acct(1),
            value_micro: -12,
            weight: 400_000,
        },
        ContributorValue {
            contributor: acct(2),
            value_micro: 345_678,
            weight: 600_000,
        },
    ]
}

fn call_index(c: &AssetCall) -> usize {
    match c {
        AssetCall::Register { .. } => 0,
        AssetCall::Transfer { .. } => 1,
        AssetCall::AddVersion { .. } => 2,
        AssetCall::Link { .. } => 3,
        AssetCall::OfferLicence { .. } => 4,
        AssetCall::WithdrawLicence { .. } => 5,
        AssetCall::BuyLicence { .. } => 6,
        AssetCall::Pay { .. } => 7,
        AssetCall::Claim { .. } => 8,
        AssetCall::TransferContribution { .. } => 9,
        AssetCall::Commit { .. } => 10,
        AssetCall::Challenge { .. } => 11,
        AssetCall::WorkerBond { .. } => 12,
        AssetCall::WorkerUnbond { .. } => 13,
        AssetCall::Vote { .. } => 14,
    }
}
const CALL_VARIANTS: usize = 15;

fn calls() -> Vec<AssetCall> {
    vec![
        AssetCall::Register {
            kind: AssetKind::Dataset,
            name: "reviews".into(),
            metadata_uri: "s3://bucket/reviews.json".into(),
            metadata_hash: h(3),
            content_hash: h(4),
        },
        AssetCall::Transfer {
            asset: 7,
            to: acct(5),
        },
        AssetCall::AddVersion {
            asset: 7,
            content_hash: h(6),
            uri: "ipfs://v2".into(),
        },
        AssetCall::Link {
            child: 8,
            parent: 7,
            relation: Relation::FinetunedFrom,
            licence: Some(2),
        },
        AssetCall::OfferLicence {
            asset: 7,
            kind: LicenceKind::CommercialRemix,
            currency: Currency::Token(3),
            price: u128::MAX,
            upstream_share_bp: 2_500,
            duration_blocks: 1_000,
        },
        AssetCall::WithdrawLicence { asset: 7, offer: 2 },
        AssetCall::BuyLicence {
            asset: 7,
            offer: 2,
            max_price: 5,
            work_bound: 40,
        },
        AssetCall::Pay {
            currency: Currency::Syn,
            items: vec![
                PayItem {
                    asset: 7,
                    amount: 10,
                    licence: None,
                    work_bound: 1,
                },
                PayItem {
                    asset: 8,
                    amount: 1 << 100,
                    licence: Some(1),
                    work_bound: 65_536,
                },
            ],
        },
        AssetCall::Claim {
            asset: 7,
            currency: Currency::Token(9),
        },
        AssetCall::TransferContribution {
            asset: 7,
            to: acct(6),
        },
        AssetCall::Commit {
            asset: 7,
            method: AttributionMethod::KnnShapley { k: 5 },
            datasets: vec![7, 9],
            metric: "knn-validation-accuracy".into(),
            values: values(),
            evidence_hash: h(8),
            evidence_uri: "https://example.org/evidence.json".into(),
            bond: 10_000_000_000,
        },
        AssetCall::Challenge {
            commitment: 3,
            values: values(),
            evidence_hash: h(9),
            evidence_uri: String::new(),
            bond: 1,
        },
        AssetCall::WorkerBond { amount: 100 },
        AssetCall::WorkerUnbond { amount: 50 },
        AssetCall::Vote {
            commitment: 3,
            verdict: Verdict::Neither,
        },
    ]
}

fn failure_index(f: &AssetFailure) -> usize {
    use AssetFailure::*;
    match f {
        UnknownAsset { .. } => 0,
        NotOwner { .. } => 1,
        InvalidName => 2,
        InvalidText { .. } => 3,
        UnknownParent { .. } => 4,
        SelfLink => 5,
        DuplicateEdge { .. } => 6,
        Cycle { .. } => 7,
        TooManyParents => 8,
        LineageTooLarge { .. } => 9,
        NoLicence { .. } => 10,
        LicenceDoesNotAllow { .. } => 11,
        LicenceRequired { .. } => 12,
        UnknownOffer { .. } => 13,
        OfferWithdrawn { .. } => 14,
        PriceAboveMax { .. } => 15,
        ShareTooHigh => 16,
        SharesExceed { .. } => 17,
        ContributionSoulbound => 18,
        WeightsSum { .. } => 19,
        ContributorsNotCanonical => 20,
        TooMany { .. } => 21,
        CommitmentInProgress { .. } => 22,
        UnknownCommitment { .. } => 23,
        ChallengeWindowClosed { .. } => 24,
        NotChallengeable { .. } => 25,
        AlreadyChallenged { .. } => 26,
        SameResult => 27,
        SelfChallenge => 28,
        BondTooLow { .. } => 29,
        NotJuror { .. } => 30,
        AlreadyVoted { .. } => 31,
        NotVoting { .. } => 32,
        NothingToClaim { .. } => 33,
        ZeroAmount => 34,
        AmountTooLarge => 35,
        Overflow => 36,
        InsufficientWorkerBond { .. } => 37,
        WorkerOnDuty => 38,
        TooManyWorkers { .. } => 39,
        SameOwner => 40,
        TooManyVersions => 41,
        WorkBoundExceeded { .. } => 42,
    }
}
const FAILURE_VARIANTS: usize = 43;

fn failures() -> Vec<AssetFailure> {
    use AssetFailure::*;
    vec![
        UnknownAsset { asset: 1 },
        NotOwner { asset: 2 },
        InvalidName,
        InvalidText {
            field: "metric".into(),
            max: 64,
        },
        UnknownParent { parent: 3 },
        SelfLink,
        DuplicateEdge {
            child: 4,
            parent: 5,
        },
        Cycle {
            child: 6,
            parent: 7,
        },
        TooManyParents,
        LineageTooLarge { max: 1024 },
        NoLicence { asset: 8, offer: 1 },
        LicenceDoesNotAllow {
            held: LicenceKind::NonCommercial,
            needed: "commercial use".into(),
        },
        LicenceRequired { parent: 9 },
        UnknownOffer {
            asset: 10,
            offer: 2,
        },
        OfferWithdrawn {
            asset: 11,
            offer: 3,
        },
        PriceAboveMax {
            price: 1 << 90,
            max_price: 3,
        },
        ShareTooHigh,
        SharesExceed { total_bp: 10_001 },
        ContributionSoulbound,
        WeightsSum { sum: 999_999 },
        ContributorsNotCanonical,
        TooMany {
            what: "items".into(),
            max: 64,
        },
        CommitmentInProgress {
            asset: 12,
            commitment: 4,
        },
        UnknownCommitment { commitment: 5 },
        ChallengeWindowClosed {
            commitment: 6,
            ended: 100,
        },
        NotChallengeable { commitment: 7 },
        AlreadyChallenged { commitment: 8 },
        SameResult,
        SelfChallenge,
        BondTooLow { bond: 1, min: 10 },
        NotJuror { commitment: 9 },
        AlreadyVoted { commitment: 10 },
        NotVoting { commitment: 11 },
        NothingToClaim { asset: 13 },
        ZeroAmount,
        AmountTooLarge,
        Overflow,
        InsufficientWorkerBond {
            bonded: 5,
            requested: 6,
        },
        WorkerOnDuty,
        TooManyWorkers { max: 1024 },
        SameOwner,
        TooManyVersions,
        WorkBoundExceeded {
            needed: 12,
            bound: 10,
        },
    ]
}

fn event_index(e: &AssetEvent) -> usize {
    use AssetEvent::*;
    match e {
        Registered { .. } => 0,
        OwnerChanged { .. } => 1,
        VersionAdded { .. } => 2,
        Linked { .. } => 3,
        LicenceOffered { .. } => 4,
        LicenceWithdrawn { .. } => 5,
        LicenceBought { .. } => 6,
        Paid { .. } => 7,
        Claimed { .. } => 8,
        Committed { .. } => 9,
        Challenged { .. } => 10,
        JuryDrawn { .. } => 11,
        Voted { .. } => 12,
        Resolved { .. } => 13,
        ContributionsSet { .. } => 14,
        BondPaid { .. } => 15,
        WorkerBondChanged { .. } => 16,
    }
}
const EVENT_VARIANTS: usize = 17;

fn events() -> Vec<AssetEvent> {
    use AssetEvent::*;
    vec![
        Registered {
            asset: 1,
            kind: AssetKind::Agent,
            owner: acct(1),
        },
        OwnerChanged {
            asset: 1,
            from: acct(1),
            to: acct(2),
        },
        VersionAdded {
            asset: 1,
            version: 2,
            content_hash: h(1),
        },
        Linked {
            child: 2,
            parent: 1,
            relation: Relation::Uses,
            share_bp: 100,
        },
        LicenceOffered { asset: 1, offer: 1 },
        LicenceWithdrawn { asset: 1, offer: 1 },
        LicenceBought {
            asset: 1,
            offer: 1,
            holder: acct(3),
            expires_at: Some(500),
        },
        Paid {
            payer: acct(4),
            asset: 2,
            currency: Currency::Syn,
            amount: 100,
            licence: Some(1),
            credits: vec![
                Credit {
                    asset: 1,
                    account: acct(1),
                    amount: 30,
                },
                Credit {
                    asset: 2,
                    account: acct(2),
                    amount: 70,
                },
            ],
        },
        Claimed {
            asset: 2,
            account: acct(2),
            currency: Currency::Token(4),
            amount: 70,
        },
        Committed {
            commitment: 1,
            asset: 2,
            challenge_ends: 99,
        },
        Challenged {
            commitment: 1,
            challenger: acct(5),
            draw_at: 12,
        },
        JuryDrawn {
            commitment: 1,
            jurors: vec![acct(6), acct(7), acct(8)],
            vote_ends: 50,
        },
        Voted {
            commitment: 1,
            juror: acct(6),
            verdict: Verdict::Original,
        },
        Resolved {
            commitment: 1,
            asset: 2,
            resolution: Resolution::Overturned,
        },
        ContributionsSet {
            asset: 2,
            commitment: 1,
            contributors: 2,
        },
        BondPaid {
            commitment: 1,
            to: acct(5),
            amount: 20,
        },
        WorkerBondChanged {
            worker: acct(6),
            bonded: 100,
        },
    ]
}

use synod_golden::line;

fn borsh_line<T: BorshSerialize + BorshDeserialize + PartialEq + Debug>(
    name: &str,
    v: &T,
) -> String {
    assert_eq!(&decode_exact::<T>(&encode(v), 1 << 16).expect("borsh"), v);
    format!("{name}\t{}\t-", hex::encode(encode(v)))
}

fn round_trip<T>(v: &T)
where
    T: BorshSerialize + BorshDeserialize + Serialize + DeserializeOwned + PartialEq + Debug,
{
    assert_eq!(&decode_exact::<T>(&encode(v), 1 << 16).expect("borsh"), v);
    let j = serde_json::to_string(v).expect("json");
    assert_eq!(&serde_json::from_str::<T>(&j).expect("json back"), v, "{j}");
}

fn records() -> Vec<String> {
    let claimant = Claimant {
        account: acct(1),
        values: values(),
        evidence_hash: h(2),
        evidence_uri: "u".into(),
        bond: 10,
    };
    let commitment = |stage: Stage| CommitmentRecord {
        asset: 3,
        method: AttributionMethod::MonteCarloShapley {
            permutations: 500,
            seed: 42,
        },
        datasets: vec![1],
        metric: "accuracy".into(),
        committer: claimant.clone(),
        challenger: Some(Claimant {
            account: acct(9),
            ..claimant.clone()
        }),
        committed_at: 10,
        challenge_ends: 20,
        stage,
    };
    vec![
        borsh_line(
            "state/asset",
            &AssetRecord {
                kind: AssetKind::Pipeline,
                owner: acct(1),
                name: "etl".into(),
                metadata_uri: "m".into(),
                metadata_hash: h(1),
                registered_at: 5,
                versions: 2,
                offers: 1,
                parents: vec![Edge {
                    parent: 1,
                    relation: Relation::DerivedFrom,
                    share_bp: 10,
                    licence: None,
                    at: 4,
                }],
                pending: Some(3),
            },
        ),
        borsh_line(
            "state/version",
            &VersionRecord {
                content_hash: h(3),
                uri: "v".into(),
                at: 6,
            },
        ),
        borsh_line(
            "state/offer",
            &OfferRecord {
                kind: LicenceKind::Open,
                currency: Currency::Syn,
                price: 7,
                upstream_share_bp: 1,
                duration_blocks: 0,
                active: true,
            },
        ),
        borsh_line(
            "state/held",
            &HeldLicence {
                kind: LicenceKind::Commercial,
                upstream_share_bp: 2,
                expires_at: None,
                bought_at: 8,
            },
        ),
        borsh_line(
            "state/contributions",
            &Contributions {
                commitment: 3,
                evidence_hash: h(4),
                weights: vec![(acct(1), 1_000_000)],
                since: 9,
            },
        ),
        borsh_line("state/commitment/open", &commitment(Stage::Open)),
        borsh_line(
            "state/commitment/draw",
            &commitment(Stage::AwaitingDraw { draw_at: 12 }),
        ),
        borsh_line(
            "state/commitment/voting",
            &commitment(Stage::Voting {
                jurors: vec![(acct(6), None), (acct(7), Some(Verdict::Challenger))],
                vote_ends: 30,
            }),
        ),
        borsh_line(
            "state/commitment/resolved",
            &commitment(Stage::Resolved {
                resolution: Resolution::Void,
                at: 31,
                jurors: vec![],
            }),
        ),
        borsh_line(
            "state/worker",
            &Worker {
                account: acct(6),
                bonded: 100,
                duties: 1,
            },
        ),
    ]
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
        ("genesis/default", AssetsGenesis::default()),
        ("genesis/dev", AssetsGenesis::dev(50)),
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
