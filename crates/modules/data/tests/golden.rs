//! Golden encodings of every call, event and failure variant of the data module and of its
//! stored records, with borsh bytes (hex) and JSON as first blessed: on-chain encodings that
//! may never change. `GOLDEN_BLESS=1 cargo test -p synod-data --test golden` appends a line
//! for a newly appended variant.

use std::collections::BTreeSet;
use std::path::PathBuf;
use synod_data::state::{Assignment, PendingUpdate, Posted, REWARD_SCALE};
use synod_data::*;
use synod_data_crypto::{DataKeyRegistration, DataKeypair, FileKey, KeyEnvelope};
use synod_golden::line;
use synod_primitives::{AccountId, Hash, Keypair, Signature, encode};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn scores() -> Scores {
    Scores {
        authenticity: 1_000_000,
        ownership: 900_000,
        quality: 812_345,
        uniqueness: 5,
        score: 4,
    }
}

fn params() -> PoolParams {
    PoolParams {
        description: "ChatGPT conversation exports".into(),
        schema: Some("conversations/v1".into()),
        program_hash: Hash([7; 32]),
        program_url: "s3://pools/conversations.wasm".into(),
        reward_per_unit: 1_000_000_000_000_000_000_000,
        workers_per_job: 3,
        min_worker_bond: 100_000_000_000,
        job_timeout: 20,
        job_fee: 1_000_000_000,
        slash_ppm: 250_000,
        miss_slash_ppm: 50_000,
        max_misses: 3,
        staker_share_ppm: 600_000,
    }
}

fn registration() -> DataKeyRegistration {
    let key = DataKeypair::derive(&[4; 32]).expect("derive");
    DataKeyRegistration::sign(&Keypair::dev("alice"), "synod-dev", key.public(), 0).expect("sign")
}

fn envelope() -> KeyEnvelope {
    let key = DataKeypair::derive(&[5; 32]).expect("derive");
    KeyEnvelope::seal_deterministic(
        &FileKey::from_bytes([6; 32]),
        &key.public(),
        9,
        &Hash([8; 32]),
        &[1; 32],
    )
    .expect("seal")
}

fn call_index(c: &DataCall) -> usize {
    match c {
        DataCall::RegisterKey { .. } => 0,
        DataCall::AddFile { .. } => 1,
        DataCall::GrantAccess { .. } => 2,
        DataCall::CreatePool { .. } => 3,
        DataCall::FundPool { .. } => 4,
        DataCall::QueuePoolUpdate { .. } => 5,
        DataCall::ApplyPoolUpdate { .. } => 6,
        DataCall::CancelPoolUpdate { .. } => 7,
        DataCall::BondWorker { .. } => 8,
        DataCall::UnbondWorker { .. } => 9,
        DataCall::RequestProof { .. } => 10,
        DataCall::SubmitScore { .. } => 11,
        DataCall::StakePool { .. } => 12,
        DataCall::UnstakePool { .. } => 13,
        DataCall::ClaimStakeRewards { .. } => 14,
        DataCall::WithdrawTreasury { .. } => 15,
    }
}

fn calls() -> Vec<DataCall> {
    vec![
        DataCall::RegisterKey {
            registration: registration(),
        },
        DataCall::AddFile {
            owner: acct(1),
            url: "s3://bucket/convos/0badc0de.enc".into(),
            content_hash: Hash([8; 32]),
            size: 123_456,
            schema: Some("conversations/v1".into()),
            owner_signature: Some(Signature([3; 64])),
        },
        DataCall::GrantAccess {
            file: 9,
            grantee: acct(2),
            envelope: envelope(),
        },
        DataCall::CreatePool {
            name: "convos".into(),
            reward_token: 4,
            params: params(),
        },
        DataCall::FundPool {
            pool: 1,
            amount: u128::MAX,
        },
        DataCall::QueuePoolUpdate {
            pool: 1,
            params: params(),
        },
        DataCall::ApplyPoolUpdate { pool: 1 },
        DataCall::CancelPoolUpdate { pool: 1 },
        DataCall::BondWorker {
            pool: 1,
            amount: 200_000_000_000,
        },
        DataCall::UnbondWorker { pool: 1 },
        DataCall::RequestProof { file: 9, pool: 1 },
        DataCall::SubmitScore {
            job: 5,
            scores: scores(),
            metadata: vec![0x53, 0x4d, 0x48, 1, 0xff],
        },
        DataCall::StakePool { pool: 2, amount: 7 },
        DataCall::UnstakePool { pool: 2, amount: 7 },
        DataCall::ClaimStakeRewards { pool: 2 },
        DataCall::WithdrawTreasury {
            pool: 2,
            amount: 11,
        },
    ]
}

fn event_index(e: &DataEvent) -> usize {
    match e {
        DataEvent::KeyRegistered { .. } => 0,
        DataEvent::FileAdded { .. } => 1,
        DataEvent::AccessGranted { .. } => 2,
        DataEvent::PoolCreated { .. } => 3,
        DataEvent::PoolFunded { .. } => 4,
        DataEvent::PoolUpdateQueued { .. } => 5,
        DataEvent::PoolUpdated { .. } => 6,
        DataEvent::PoolUpdateCancelled { .. } => 7,
        DataEvent::WorkerBonded { .. } => 8,
        DataEvent::WorkerUnbonded { .. } => 9,
        DataEvent::ProofRequested { .. } => 10,
        DataEvent::JobAssigned { .. } => 11,
        DataEvent::ScorePosted { .. } => 12,
        DataEvent::ProofAccepted { .. } => 13,
        DataEvent::WorkerSlashed { .. } => 14,
        DataEvent::WorkerMissed { .. } => 15,
        DataEvent::JobFailed { .. } => 16,
        DataEvent::PoolStaked { .. } => 17,
        DataEvent::PoolUnstaked { .. } => 18,
        DataEvent::StakeRewardsPaid { .. } => 19,
        DataEvent::EpochRewards { .. } => 20,
        DataEvent::TreasuryWithdrawn { .. } => 21,
    }
}

fn events() -> Vec<DataEvent> {
    vec![
        DataEvent::KeyRegistered {
            account: acct(1),
            key: registration().data_key,
            sequence: 0,
        },
        DataEvent::FileAdded {
            file: 9,
            owner: acct(1),
            url: "file:///home/u/.synod/data/9.enc".into(),
            content_hash: Hash([8; 32]),
            size: 64,
        },
        DataEvent::AccessGranted {
            file: 9,
            grantee: acct(2),
        },
        DataEvent::PoolCreated {
            pool: 1,
            name: "convos".into(),
            owner: acct(1),
            treasury: treasury_account(1),
        },
        DataEvent::PoolFunded {
            pool: 1,
            from: acct(1),
            amount: 1 << 100,
        },
        DataEvent::PoolUpdateQueued {
            pool: 1,
            ready_at: 1_000,
        },
        DataEvent::PoolUpdated { pool: 1 },
        DataEvent::PoolUpdateCancelled { pool: 1 },
        DataEvent::WorkerBonded {
            pool: 1,
            worker: acct(3),
            bond: 5,
        },
        DataEvent::WorkerUnbonded {
            pool: 1,
            worker: acct(3),
            returned: 5,
        },
        DataEvent::ProofRequested {
            job: 5,
            file: 9,
            pool: 1,
            draw_at: 101,
        },
        DataEvent::JobAssigned {
            job: 5,
            workers: vec![acct(3), acct(4)],
            deadline: 121,
            index_len: 17,
        },
        DataEvent::ScorePosted {
            job: 5,
            worker: acct(3),
        },
        DataEvent::ProofAccepted {
            job: 5,
            file: 9,
            pool: 1,
            scores: scores(),
            reward: 4_000_000,
            proof_index: 0,
        },
        DataEvent::WorkerSlashed {
            pool: 1,
            worker: acct(4),
            slashed: 25,
            returned: 75,
            cause: SlashCause::Outvoted,
        },
        DataEvent::WorkerMissed {
            job: 5,
            worker: acct(4),
            misses: 2,
        },
        DataEvent::JobFailed {
            job: 5,
            cause: JobFailureCause::KeysNotSealed,
            refunded: 1_000,
        },
        DataEvent::PoolStaked {
            pool: 1,
            staker: acct(5),
            amount: 9,
        },
        DataEvent::PoolUnstaked {
            pool: 1,
            staker: acct(5),
            amount: 9,
        },
        DataEvent::StakeRewardsPaid {
            pool: 1,
            staker: acct(5),
            amount: 3,
        },
        DataEvent::EpochRewards {
            epoch: 4,
            total: 100,
            pools: vec![(1, 60), (2, 40)],
        },
        DataEvent::TreasuryWithdrawn { pool: 1, amount: 8 },
    ]
}

fn failures() -> Vec<DataFailure> {
    vec![
        DataFailure::InvalidKeyRegistration {
            detail: "bad signature".into(),
        },
        DataFailure::WrongKeySequence {
            expected: 1,
            got: 0,
        },
        DataFailure::NoDataKey { account: acct(2) },
        DataFailure::InvalidField {
            field: "url".into(),
            detail: "must be scheme://…".into(),
        },
        DataFailure::DuplicateUrl { file: 9 },
        DataFailure::BadOwnerSignature,
        DataFailure::UnknownFile { file: 9 },
        DataFailure::NotFileOwner { file: 9 },
        DataFailure::AlreadyGranted {
            file: 9,
            grantee: acct(2),
        },
        DataFailure::BadEnvelope {
            detail: "sealed to another key".into(),
        },
        DataFailure::PoolNameTaken {
            name: "convos".into(),
        },
        DataFailure::UnknownPool { pool: 3 },
        DataFailure::NotPoolOwner { pool: 3 },
        DataFailure::InvalidParam {
            field: "workers_per_job".into(),
            detail: "must be 1 to 15".into(),
        },
        DataFailure::UnknownToken { token: 4 },
        DataFailure::NoPendingUpdate { pool: 3 },
        DataFailure::UpdatePending { pool: 3 },
        DataFailure::TimelockActive { ready_at: 99 },
        DataFailure::ZeroAmount,
        DataFailure::WorkerSetFull { pool: 3, max: 256 },
        DataFailure::BondTooSmall {
            bond: 1,
            minimum: 2,
        },
        DataFailure::NotAWorker { pool: 3 },
        DataFailure::WorkerBusy { open: 2 },
        DataFailure::AlreadyRewarded { file: 9, pool: 3 },
        DataFailure::JobOpen { job: 5 },
        DataFailure::SchemaMismatch {
            file_schema: Some("a".into()),
            pool_schema: None,
        },
        DataFailure::NotEnoughWorkers {
            pool: 3,
            eligible: 2,
            needed: 3,
        },
        DataFailure::UnknownJob { job: 5 },
        DataFailure::JobNotOpen { job: 5 },
        DataFailure::NotAssigned { job: 5 },
        DataFailure::AlreadyPosted { job: 5 },
        DataFailure::ScoreOutOfRange {
            field: "score".into(),
            value: 1_000_001,
        },
        DataFailure::MetadataTooLarge {
            len: 5_000,
            max: 4_096,
        },
        DataFailure::Insufficient { available: 3 },
        DataFailure::Overflow,
    ]
}

fn all_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = [false; 16];
    for (i, c) in calls().iter().enumerate() {
        seen[call_index(c)] = true;
        assert_eq!(
            &borsh::from_slice::<DataCall>(&encode(c)).expect("borsh"),
            c
        );
        out.push(line(&format!("call/{i}"), c));
    }
    assert!(seen.iter().all(|s| *s), "a call variant has no vector");
    let mut seen = [false; 22];
    for (i, e) in events().iter().enumerate() {
        seen[event_index(e)] = true;
        assert_eq!(
            &borsh::from_slice::<DataEvent>(&encode(e)).expect("borsh"),
            e
        );
        out.push(line(&format!("event/{i}"), e));
    }
    assert!(seen.iter().all(|s| *s), "an event variant has no vector");
    let mut kinds = BTreeSet::new();
    for (i, f) in failures().iter().enumerate() {
        assert_eq!(
            &borsh::from_slice::<DataFailure>(&encode(f)).expect("borsh"),
            f
        );
        let json = serde_json::to_value(f).expect("json");
        kinds.insert(json["kind"].as_str().expect("kind").to_string());
        out.push(line(&format!("failure/{i}"), f));
    }
    // One vector per variant: every kind distinct, none left out (borsh tags are 0..n).
    assert_eq!(kinds.len(), failures().len());
    assert!(borsh::from_slice::<DataFailure>(&[failures().len() as u8]).is_err());
    out.push(line(
        "state/key",
        &KeyRecord {
            key: registration().data_key,
            sequence: 2,
            registered_at: 7,
        },
    ));
    out.push(line(
        "state/file",
        &FileRecord {
            owner: acct(1),
            url: "s3://bucket/x.enc".into(),
            content_hash: Hash([8; 32]),
            size: 10,
            schema: None,
            registered_at: 3,
            proofs: 1,
        },
    ));
    out.push(line(
        "state/proof",
        &ProofRecord {
            pool: 1,
            job: 5,
            scores: scores(),
            metadata: vec![1, 2, 3],
            attested_by: vec![acct(3), acct(4)],
            reward: 9,
            accepted_at: 12,
        },
    ));
    out.push(line(
        "state/pool",
        &PoolRecord {
            name: "convos".into(),
            owner: acct(1),
            reward_token: 4,
            treasury: treasury_account(1),
            params: params(),
            pending: Some(PendingUpdate {
                params: params(),
                ready_at: 50,
            }),
            created_at: 2,
            index_len: 3,
            accepted_total: 3,
            stats: EpochStats {
                epoch: 1,
                accepted: 2,
                contributors: 1,
                access_fees: 0,
            },
            stake_total: 300,
            reward_per_stake: REWARD_SCALE,
            staker_reserve: 30,
            staker_dust: 17,
        },
    ));
    out.push(line(
        "state/workers",
        &vec![WorkerEntry {
            account: acct(3),
            bond: 200,
            open_jobs: 1,
            misses: 0,
        }],
    ));
    out.push(line(
        "state/job",
        &JobRecord {
            file: 9,
            pool: 1,
            requester: acct(1),
            fee: 10,
            requested_at: 100,
            status: JobStatus::Failed {
                at: 130,
                cause: JobFailureCause::OutOfRounds,
            },
            assignments: vec![Assignment {
                worker: acct(3),
                drawn_at: 101,
                posted: Some(Posted {
                    scores: scores(),
                    metadata: vec![9],
                }),
            }],
            drawn: vec![acct(3), acct(4)],
            index_len: 2,
            deadline: 121,
            rounds: 1,
        },
    ));
    out.push(line(
        "state/stake",
        &StakeRecord {
            amount: 300,
            settled_at: REWARD_SCALE * 2,
            owed: 4,
        },
    ));
    out.push(format!(
        "message/add_file\t{}\t-",
        hex::encode(
            add_file_message(
                "synod-dev",
                &acct(1),
                "s3://bucket/x.enc",
                &Hash([8; 32]),
                10,
                &None
            )
            .0
        )
    ));
    out.push(format!(
        "account/emission\t{}\t-",
        hex::encode(emission_account().0)
    ));
    out.push(format!(
        "account/treasury_1\t{}\t-",
        hex::encode(treasury_account(1).0)
    ));
    out
}

#[test]
fn encodings_match_the_golden_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    synod_golden::check(&path, &all_lines());
}
