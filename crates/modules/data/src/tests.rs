//! Unit and property tests on an in-memory chain with the bank and tokens modules' state:
//! every call runs in its own overlay, kept only on success as the executor does.

use std::collections::BTreeMap;

use crate::state::{self, JobStatus};
use crate::wire::*;
use crate::*;
use proptest::prelude::*;
use synod_data_crypto::{DataKeyRegistration, DataKeypair, FileKey, KeyEnvelope};
use synod_module::{BlockCtx, CallError, Module};
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Balance, Hash, Keypair};
use synod_storage::delta::Overlay;

type Mem = synod_storage::MemState;

const NAMES: [&str; 8] = ["alice", "bob", "carol", "w1", "w2", "w3", "w4", "w5"];

fn key(name: &str) -> AccountId {
    Keypair::dev(name).account()
}

fn data_keypair(name: &str) -> DataKeypair {
    DataKeypair::derive(Hash::digest(name.as_bytes()).as_bytes()).expect("derive")
}

struct Chain {
    mem: Mem,
    height: u64,
    module: Data,
    token: u64,
}

type Outcome = Result<Vec<DataEvent>, CallError<CallFailure>>;

fn params(k: u8) -> PoolParams {
    PoolParams {
        description: "conversation exports".into(),
        schema: Some("conversations/v1".into()),
        program_hash: Hash([7; 32]),
        program_url: "file:///pools/conversations.wasm".into(),
        reward_per_unit: 1_000_000,
        workers_per_job: k,
        min_worker_bond: 100 * UNIT,
        job_timeout: 5,
        job_fee: 3 * UNIT + 1,
        slash_ppm: 250_000,
        miss_slash_ppm: 50_000,
        max_misses: 2,
        staker_share_ppm: 600_000,
    }
}

impl Chain {
    fn new(g: DataGenesis) -> Self {
        let mut c = Chain {
            mem: Mem::default(),
            height: 1,
            module: Data::new(g, 10),
            token: 0,
        };
        for n in NAMES {
            c.mint(&key(n), 1_000_000 * UNIT);
        }
        let mut ov = Overlay::new(&c.mem);
        let (token, _) = synod_tokens::create(
            &mut ov,
            1,
            &key("alice"),
            &synod_tokens::ledger::NewToken {
                symbol: "CONVO".into(),
                name: "Conversation pool token".into(),
                decimals: 6,
                max_supply: 1_000_000_000_000_000,
                initial_supply: 1_000_000_000_000_000,
                emission: None,
                mint_authority: key("alice"),
                admin: key("alice"),
            },
        )
        .expect("token");
        let ch = ov.into_changes();
        c.mem.apply(ch);
        c.token = token;
        for n in NAMES {
            c.register_key(n);
        }
        c
    }

    fn mint(&mut self, who: &AccountId, amount: Balance) {
        let mut ov = Overlay::new(&self.mem);
        synod_bank::mint(&mut ov, who, amount).expect("mint");
        let ch = ov.into_changes();
        self.mem.apply(ch);
    }

    fn balance(&self, who: &AccountId) -> Balance {
        synod_bank::account(&self.mem, who).expect("read").balance
    }

    fn tokens(&self, who: &AccountId) -> u128 {
        synod_tokens::balance_of(&self.mem, self.token, who).expect("read")
    }

    fn ctx(&self) -> BlockCtx<'static> {
        BlockCtx {
            height: self.height,
            chain_id: "test",
            parent: Hash::digest(&self.height.to_be_bytes()),
        }
    }

    fn call(&mut self, sender: &str, call: DataCall) -> Outcome {
        self.call_as(&key(sender), call)
    }

    fn call_as(&mut self, sender: &AccountId, call: DataCall) -> Outcome {
        let mut ov = Overlay::new(&self.mem);
        let ctx = self.ctx();
        let r = self.module.dispatch(&mut ov, &ctx, sender, &call);
        let changes = ov.into_changes();
        if r.is_ok() {
            self.mem.apply(changes);
        }
        r
    }

    fn ok(&mut self, sender: &str, call: DataCall) -> Vec<DataEvent> {
        let c = call.clone();
        self.call(sender, call)
            .unwrap_or_else(|e| panic!("{c:?} by {sender}: {e:?}"))
    }

    fn refused(&mut self, sender: &str, call: DataCall) -> DataFailure {
        match self.call(sender, call) {
            Err(CallError::Failed(CallFailure::Data(f))) => f,
            other => panic!("expected a data failure, got {other:?}"),
        }
    }

    fn next_block(&mut self) -> Vec<DataEvent> {
        let mut ov = Overlay::new(&self.mem);
        let ctx = self.ctx();
        let ev = self.module.end_block(&mut ov, &ctx).expect("end block");
        let ch = ov.into_changes();
        self.mem.apply(ch);
        self.height += 1;
        ev
    }

    fn advance_to(&mut self, height: u64) -> Vec<DataEvent> {
        let mut all = Vec::new();
        while self.height < height {
            all.extend(self.next_block());
        }
        all
    }

    fn register_key(&mut self, name: &str) {
        let seq = state::data_key(&self.mem, &key(name))
            .expect("read")
            .map_or(0, |k| k.sequence + 1);
        let registration = DataKeyRegistration::sign(
            &Keypair::dev(name),
            "test",
            data_keypair(name).public(),
            seq,
        )
        .expect("sign");
        self.ok(name, DataCall::RegisterKey { registration });
    }

    fn add_file(&mut self, owner: &str, url: &str) -> (FileId, Hash) {
        let content_hash = Hash::digest(url.as_bytes());
        let ev = self.ok(
            owner,
            DataCall::AddFile {
                owner: key(owner),
                url: url.into(),
                content_hash,
                size: 1_000,
                schema: Some("conversations/v1".into()),
                owner_signature: None,
            },
        );
        let DataEvent::FileAdded { file, .. } = ev[0] else {
            panic!("{ev:?}")
        };
        (file, content_hash)
    }

    fn create_pool(&mut self, name: &str, k: u8) -> PoolId {
        let ev = self.ok(
            "alice",
            DataCall::CreatePool {
                name: name.into(),
                reward_token: self.token,
                params: params(k),
            },
        );
        let DataEvent::PoolCreated { pool, .. } = ev[0] else {
            panic!("{ev:?}")
        };
        self.ok(
            "alice",
            DataCall::FundPool {
                pool,
                amount: 50_000_000,
            },
        );
        pool
    }

    fn bond(&mut self, workers: &[&str], pool: PoolId) {
        for w in workers {
            self.ok(
                w,
                DataCall::BondWorker {
                    pool,
                    amount: 200 * UNIT,
                },
            );
        }
    }

    /// Requests a proof and runs the draw; returns the job and its drawn workers.
    fn request(&mut self, owner: &str, file: FileId, pool: PoolId) -> (JobId, Vec<AccountId>) {
        let ev = self.ok(owner, DataCall::RequestProof { file, pool });
        let DataEvent::ProofRequested { job, draw_at, .. } = ev[0] else {
            panic!("{ev:?}")
        };
        let ev = self.advance_to(draw_at + 1);
        let workers = ev
            .iter()
            .find_map(|e| match e {
                DataEvent::JobAssigned {
                    job: j, workers, ..
                } if *j == job => Some(workers.clone()),
                _ => None,
            })
            .expect("drawn");
        (job, workers)
    }

    fn seal(&mut self, owner: &str, file: FileId, hash: Hash, to: &[AccountId]) {
        let file_key = FileKey::from_bytes([9; 32]);
        for w in to {
            let name = NAMES.iter().find(|n| key(n) == *w).expect("known worker");
            let envelope = KeyEnvelope::seal(&file_key, &data_keypair(name).public(), file, &hash)
                .expect("seal");
            self.ok(
                owner,
                DataCall::GrantAccess {
                    file,
                    grantee: *w,
                    envelope,
                },
            );
        }
    }

    fn submit(&mut self, worker: &AccountId, job: JobId, score: u32, meta: &[u8]) -> Outcome {
        self.call_as(
            worker,
            DataCall::SubmitScore {
                job,
                scores: Scores {
                    authenticity: PPM,
                    ownership: PPM,
                    quality: score,
                    uniqueness: PPM,
                    score,
                },
                metadata: meta.to_vec(),
            },
        )
    }

    fn job(&self, job: JobId) -> state::JobRecord {
        state::job(&self.mem, job).expect("read").expect("job")
    }

    /// The module account holds exactly the bonds, open fees, stakes and staker reserves.
    fn assert_reconciles(&self) {
        let mut owed: u128 = 0;
        for pool in state::pool_ids(&self.mem).expect("read") {
            let p = state::pool(&self.mem, pool).expect("read").expect("pool");
            owed += u128::from(p.stake_total) + u128::from(p.staker_reserve);
            for w in state::workers(&self.mem, pool).expect("read") {
                owed += u128::from(w.bond);
            }
        }
        let next: u64 = state::get(&self.mem, state::next_job_key())
            .expect("read")
            .unwrap_or(1);
        for j in 1..next {
            let job = self.job(j);
            if matches!(
                job.status,
                JobStatus::AwaitingDraw { .. } | JobStatus::Scoring
            ) {
                owed += u128::from(job.fee);
            }
        }
        assert_eq!(u128::from(self.balance(&module_account())), owed);
    }
}

fn failure(o: Outcome) -> DataFailure {
    match o {
        Err(CallError::Failed(CallFailure::Data(f))) => f,
        other => panic!("expected a data failure, got {other:?}"),
    }
}

#[test]
fn data_keys_need_the_accounts_own_signature_and_the_next_sequence() {
    let mut c = Chain::new(DataGenesis::default());
    // bob signs a registration claiming alice's account: refused.
    let mut forged = DataKeyRegistration::sign(
        &Keypair::dev("bob"),
        "test",
        data_keypair("bob").public(),
        1,
    )
    .expect("sign");
    forged.account = key("alice");
    assert!(matches!(
        c.refused(
            "bob",
            DataCall::RegisterKey {
                registration: forged
            }
        ),
        DataFailure::InvalidKeyRegistration { .. }
    ));
    // Another chain's registration: refused.
    let other = DataKeyRegistration::sign(
        &Keypair::dev("alice"),
        "other-chain",
        data_keypair("alice").public(),
        1,
    )
    .expect("sign");
    assert!(matches!(
        c.refused(
            "alice",
            DataCall::RegisterKey {
                registration: other
            }
        ),
        DataFailure::InvalidKeyRegistration { .. }
    ));
    // Replaying the first registration (sequence 0) after it was used: refused.
    let replay = DataKeyRegistration::sign(
        &Keypair::dev("alice"),
        "test",
        data_keypair("alice").public(),
        0,
    )
    .expect("sign");
    assert_eq!(
        c.refused(
            "alice",
            DataCall::RegisterKey {
                registration: replay
            }
        ),
        DataFailure::WrongKeySequence {
            expected: 1,
            got: 0
        }
    );
    // A rotation, carried by a relayer (bob), is fine.
    let fresh = DataKeypair::generate().expect("key");
    let rotation =
        DataKeyRegistration::sign(&Keypair::dev("alice"), "test", fresh.public(), 1).expect("sign");
    c.ok(
        "bob",
        DataCall::RegisterKey {
            registration: rotation,
        },
    );
    let k = state::data_key(&c.mem, &key("alice"))
        .expect("read")
        .expect("key");
    assert_eq!((k.key, k.sequence), (fresh.public(), 1));
}

#[test]
fn files_are_registered_by_their_owner_or_with_the_owners_signature_and_urls_are_unique() {
    let mut c = Chain::new(DataGenesis::default());
    let (id, _) = c.add_file("bob", "s3://bucket/a.enc");
    assert_eq!(
        c.refused(
            "carol",
            DataCall::AddFile {
                owner: key("carol"),
                url: "s3://bucket/a.enc".into(),
                content_hash: Hash([1; 32]),
                size: 1,
                schema: None,
                owner_signature: None,
            }
        ),
        DataFailure::DuplicateUrl { file: id }
    );
    // carol registers a file for bob without his signature: refused.
    let add_for_bob = |sig| DataCall::AddFile {
        owner: key("bob"),
        url: "file:///data/b.enc".into(),
        content_hash: Hash([2; 32]),
        size: 10,
        schema: None,
        owner_signature: sig,
    };
    assert_eq!(
        c.refused("carol", add_for_bob(None)),
        DataFailure::BadOwnerSignature
    );
    // With carol's own signature instead of bob's: refused.
    let msg = add_file_message(
        "test",
        &key("bob"),
        "file:///data/b.enc",
        &Hash([2; 32]),
        10,
        &None,
    );
    let wrong = Keypair::dev("carol").sign(&msg.0);
    assert_eq!(
        c.refused("carol", add_for_bob(Some(wrong))),
        DataFailure::BadOwnerSignature
    );
    // With bob's signature over the file: registered for bob.
    let sig = Keypair::dev("bob").sign(&msg.0);
    let ev = c.ok("carol", add_for_bob(Some(sig)));
    assert!(matches!(&ev[0], DataEvent::FileAdded { owner, .. } if *owner == key("bob")));
    // A signature for one size does not register another.
    assert_eq!(
        c.refused(
            "carol",
            DataCall::AddFile {
                owner: key("bob"),
                url: "file:///data/c.enc".into(),
                content_hash: Hash([2; 32]),
                size: 11,
                schema: None,
                owner_signature: Some(sig),
            }
        ),
        DataFailure::BadOwnerSignature
    );
    for url in [
        "",
        "ftp://x/y",
        "s3://",
        "file:///a b",
        &"s3://b/".repeat(200),
    ] {
        assert!(
            matches!(
                c.refused(
                    "bob",
                    DataCall::AddFile {
                        owner: key("bob"),
                        url: url.into(),
                        content_hash: Hash([3; 32]),
                        size: 1,
                        schema: None,
                        owner_signature: None,
                    }
                ),
                DataFailure::InvalidField { .. }
            ),
            "{url}"
        );
    }
}

#[test]
fn only_the_owner_grants_once_per_account_and_only_to_the_grantees_key() {
    let mut c = Chain::new(DataGenesis::default());
    let (file, hash) = c.add_file("bob", "s3://bucket/g.enc");
    let fk = FileKey::from_bytes([5; 32]);
    let to_carol =
        KeyEnvelope::seal(&fk, &data_keypair("carol").public(), file, &hash).expect("seal");
    assert_eq!(
        c.refused(
            "carol",
            DataCall::GrantAccess {
                file,
                grantee: key("carol"),
                envelope: to_carol,
            }
        ),
        DataFailure::NotFileOwner { file }
    );
    // Sealed to carol's key but granted to w1: refused (w1 could not open it anyway).
    assert!(matches!(
        c.refused(
            "bob",
            DataCall::GrantAccess {
                file,
                grantee: key("w1"),
                envelope: to_carol,
            }
        ),
        DataFailure::BadEnvelope { .. }
    ));
    c.ok(
        "bob",
        DataCall::GrantAccess {
            file,
            grantee: key("carol"),
            envelope: to_carol,
        },
    );
    assert_eq!(
        c.refused(
            "bob",
            DataCall::GrantAccess {
                file,
                grantee: key("carol"),
                envelope: to_carol,
            }
        ),
        DataFailure::AlreadyGranted {
            file,
            grantee: key("carol")
        }
    );
    // The stored envelope opens for carol and for nobody else.
    let stored = state::envelope(&c.mem, file, &key("carol"))
        .expect("read")
        .expect("envelope");
    assert_eq!(
        stored
            .open(&data_keypair("carol"), file, &hash)
            .expect("opens")
            .as_bytes(),
        fk.as_bytes()
    );
    assert!(stored.open(&data_keypair("w1"), file, &hash).is_err());
}

#[test]
fn pool_parameters_change_only_after_the_timelock() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 3);
    assert_eq!(
        c.refused(
            "bob",
            DataCall::CreatePool {
                name: "convos".into(),
                reward_token: c.token,
                params: params(3),
            }
        ),
        DataFailure::PoolNameTaken {
            name: "convos".into()
        }
    );
    let mut new = params(3);
    new.reward_per_unit = 5;
    assert_eq!(
        c.refused(
            "bob",
            DataCall::QueuePoolUpdate {
                pool,
                params: new.clone()
            }
        ),
        DataFailure::NotPoolOwner { pool }
    );
    let mut bad = params(3);
    bad.workers_per_job = 0;
    assert!(matches!(
        c.refused("alice", DataCall::QueuePoolUpdate { pool, params: bad }),
        DataFailure::InvalidParam { .. }
    ));
    c.ok(
        "alice",
        DataCall::QueuePoolUpdate {
            pool,
            params: new.clone(),
        },
    );
    let ready_at = c.height + 10;
    assert_eq!(
        c.refused("bob", DataCall::ApplyPoolUpdate { pool }),
        DataFailure::TimelockActive { ready_at }
    );
    c.advance_to(ready_at);
    c.ok("bob", DataCall::ApplyPoolUpdate { pool });
    let p = state::pool(&c.mem, pool).expect("read").expect("pool");
    assert_eq!(p.params, new);
    assert_eq!(
        c.refused("alice", DataCall::CancelPoolUpdate { pool }),
        DataFailure::NoPendingUpdate { pool }
    );
}

#[test]
fn an_honest_majority_is_accepted_rewarded_exactly_and_paid_the_fee() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 3);
    c.bond(&["w1", "w2", "w3", "bob"], pool);
    let (file, hash) = c.add_file("bob", "s3://bucket/1.enc");
    let bob_before = c.balance(&key("bob"));
    let (job, drawn) = c.request("bob", file, pool);
    assert_eq!(drawn.len(), 3);
    // bob is bonded but never scores his own file.
    assert!(!drawn.contains(&key("bob")));
    assert_eq!(c.balance(&key("bob")), bob_before - params(3).job_fee);
    c.seal("bob", file, hash, &drawn);
    let before: Vec<Balance> = drawn.iter().map(|w| c.balance(w)).collect();
    let outsider = key("w4");
    assert_eq!(
        failure(c.submit(&outsider, job, 1, b"x")),
        DataFailure::NotAssigned { job }
    );
    c.submit(&drawn[0], job, 750_000, b"fp").expect("post");
    assert_eq!(
        failure(c.submit(&drawn[0], job, 750_000, b"fp")),
        DataFailure::AlreadyPosted { job }
    );
    c.submit(&drawn[1], job, 750_000, b"fp").expect("post");
    let ev = c.submit(&drawn[2], job, 750_000, b"fp").expect("post");
    let reward = ev
        .iter()
        .find_map(|e| match e {
            DataEvent::ProofAccepted { reward, .. } => Some(*reward),
            _ => None,
        })
        .expect("accepted");
    // floor(1_000_000 × 750_000 / 10^6)
    assert_eq!(reward, 750_000);
    assert_eq!(c.tokens(&key("bob")), 750_000);
    assert_eq!(c.tokens(&treasury_account(pool)), 50_000_000 - 750_000);
    // The fee 3 SYN + 1 base unit: 1 SYN each, the extra unit to the first drawn.
    let fee = params(3).job_fee;
    let gained: Vec<Balance> = drawn
        .iter()
        .zip(&before)
        .map(|(w, b)| c.balance(w) - b)
        .collect();
    assert_eq!(gained.iter().sum::<Balance>(), fee);
    assert_eq!(gained, vec![fee / 3 + fee % 3, fee / 3, fee / 3]);
    assert_eq!(c.job(job).status, JobStatus::Accepted { at: c.height });
    // The proof is on the file and the metadata in the index.
    let p = state::pool(&c.mem, pool).expect("read").expect("pool");
    assert_eq!(p.index_len, 1);
    let f = state::file(&c.mem, file).expect("read").expect("file");
    assert_eq!(f.proofs, 1);
    // A finished job takes no more scores, and the file is never rewarded twice.
    assert_eq!(
        failure(c.submit(&drawn[0], job, 1, b"")),
        DataFailure::JobNotOpen { job }
    );
    assert_eq!(
        c.refused("bob", DataCall::RequestProof { file, pool }),
        DataFailure::AlreadyRewarded { file, pool }
    );
    for w in state::workers(&c.mem, pool).expect("read") {
        assert_eq!(w.open_jobs, 0);
    }
    c.assert_reconciles();
}

#[test]
fn a_lying_worker_is_outvoted_slashed_and_leaves_the_set() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 3);
    c.bond(&["w1", "w2", "w3"], pool);
    let (file, hash) = c.add_file("bob", "s3://bucket/lie.enc");
    let (job, drawn) = c.request("bob", file, pool);
    c.seal("bob", file, hash, &drawn);
    let liar = drawn[1];
    let liar_before = c.balance(&liar);
    let supply_before = synod_bank::issuance(&c.mem).expect("read");
    c.submit(&drawn[0], job, 400_000, b"fp").expect("post");
    c.submit(&liar, job, 1_000_000, b"fp").expect("post");
    let ev = c.submit(&drawn[2], job, 400_000, b"fp").expect("post");
    let bond = 200 * UNIT;
    let slashed = bond / 4;
    assert!(ev.contains(&DataEvent::WorkerSlashed {
        pool,
        worker: liar,
        slashed,
        returned: bond - slashed,
        cause: SlashCause::Outvoted,
    }));
    assert_eq!(c.balance(&liar), liar_before + bond - slashed);
    assert_eq!(
        synod_bank::issuance(&c.mem).expect("read"),
        supply_before - slashed
    );
    let set = state::workers(&c.mem, pool).expect("read");
    assert!(set.iter().all(|w| w.account != liar));
    assert_eq!(c.tokens(&key("bob")), 400_000);
    c.assert_reconciles();
}

#[test]
fn a_worker_slashed_in_one_job_no_longer_votes_in_another() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 3);
    c.bond(&["w1", "w2", "w3", "w4"], pool);
    let (fa, ha) = c.add_file("bob", "s3://bucket/a.enc");
    let (fb, _) = c.add_file("bob", "s3://bucket/b.enc");
    let (ja, da) = c.request("bob", fa, pool);
    let (jb, db) = c.request("bob", fb, pool);
    // Three of four drawn twice: at least two workers are in both jobs.
    let liar = *da.iter().find(|w| db.contains(w)).expect("overlap");
    c.seal("bob", fa, ha, &da);
    for w in &da {
        let score = if *w == liar { 1 } else { 2 };
        c.submit(w, ja, score, b"m").expect("post");
    }
    assert!(
        state::workers(&c.mem, pool)
            .expect("read")
            .iter()
            .all(|w| w.account != liar)
    );
    assert_eq!(
        failure(c.submit(&liar, jb, 2, b"m")),
        DataFailure::NotAWorker { pool }
    );
    c.assert_reconciles();
}

#[test]
fn a_silent_worker_is_replaced_and_the_job_completes() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 2);
    c.bond(&["w1", "w2", "w3"], pool);
    let (file, hash) = c.add_file("bob", "s3://bucket/kill.enc");
    let (job, drawn) = c.request("bob", file, pool);
    c.seal("bob", file, hash, &drawn);
    c.submit(&drawn[0], job, 500_000, b"fp").expect("post");
    let deadline = c.job(job).deadline;
    let ev = c.advance_to(deadline + 1);
    assert!(ev.contains(&DataEvent::WorkerMissed {
        job,
        worker: drawn[1],
        misses: 1
    }));
    let replacement = ev
        .iter()
        .find_map(|e| match e {
            DataEvent::JobAssigned { workers, .. } => Some(workers.clone()),
            _ => None,
        })
        .expect("reassigned");
    assert_eq!(replacement.len(), 1);
    assert!(!drawn.contains(&replacement[0]));
    // The silent worker can no longer post.
    assert_eq!(
        failure(c.submit(&drawn[1], job, 500_000, b"fp")),
        DataFailure::NotAssigned { job }
    );
    c.seal("bob", file, hash, &replacement);
    let ev = c
        .submit(&replacement[0], job, 500_000, b"fp")
        .expect("post");
    assert!(
        ev.iter()
            .any(|e| matches!(e, DataEvent::ProofAccepted { .. }))
    );
    c.assert_reconciles();
}

#[test]
fn repeated_misses_cost_the_smaller_slash() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 1);
    c.bond(&["w1"], pool);
    for round in 0..2 {
        let (file, hash) = c.add_file("bob", &format!("s3://bucket/m{round}.enc"));
        let (job, drawn) = c.request("bob", file, pool);
        c.seal("bob", file, hash, &drawn);
        let deadline = c.job(job).deadline;
        let ev = c.advance_to(deadline + 1);
        if round == 1 {
            let bond = 200 * UNIT;
            assert!(ev.contains(&DataEvent::WorkerSlashed {
                pool,
                worker: key("w1"),
                slashed: bond / 20,
                returned: bond - bond / 20,
                cause: SlashCause::Missed,
            }));
            // No worker left to replace it: the job fails and is refunded.
            assert!(ev.iter().any(|e| matches!(
                e,
                DataEvent::JobFailed {
                    cause: JobFailureCause::NotEnoughWorkers,
                    ..
                }
            )));
        }
    }
    assert!(state::workers(&c.mem, pool).expect("read").is_empty());
    c.assert_reconciles();
}

#[test]
fn no_majority_and_unsealed_keys_refund_the_fee() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 2);
    c.bond(&["w1", "w2", "w3"], pool);
    let (file, hash) = c.add_file("bob", "s3://bucket/split.enc");
    let start = c.balance(&key("bob"));
    let (job, drawn) = c.request("bob", file, pool);
    c.seal("bob", file, hash, &drawn);
    c.submit(&drawn[0], job, 100, b"a").expect("post");
    let ev = c.submit(&drawn[1], job, 200, b"a").expect("post");
    assert!(ev.contains(&DataEvent::JobFailed {
        job,
        cause: JobFailureCause::NoMajority,
        refunded: params(2).job_fee,
    }));
    assert_eq!(c.balance(&key("bob")), start);
    // Never sealing the key: the job fails at its deadline, nobody is charged a miss.
    let (file2, _) = c.add_file("bob", "s3://bucket/unsealed.enc");
    let (job2, _) = c.request("bob", file2, pool);
    let deadline = c.job(job2).deadline;
    let ev = c.advance_to(deadline + 1);
    assert!(ev.contains(&DataEvent::JobFailed {
        job: job2,
        cause: JobFailureCause::KeysNotSealed,
        refunded: params(2).job_fee,
    }));
    assert!(
        !ev.iter()
            .any(|e| matches!(e, DataEvent::WorkerMissed { .. }))
    );
    assert_eq!(c.balance(&key("bob")), start);
    c.assert_reconciles();
}

#[test]
fn a_refused_file_scores_zero_pays_nothing_and_leaves_the_index_alone() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 1);
    c.bond(&["w1"], pool);
    let (file, _) = c.add_file("bob", "s3://bucket/refused.enc");
    let (job, drawn) = c.request("bob", file, pool);
    let ev = c
        .call_as(
            &drawn[0],
            DataCall::SubmitScore {
                job,
                scores: Scores::default(),
                metadata: Vec::new(),
            },
        )
        .expect("post");
    assert!(
        ev.iter()
            .any(|e| matches!(e, DataEvent::ProofAccepted { reward: 0, .. }))
    );
    let p = state::pool(&c.mem, pool).expect("read").expect("pool");
    assert_eq!(p.index_len, 0);
    assert_eq!(c.tokens(&key("bob")), 0);
}

#[test]
fn bad_scores_and_metadata_are_refused() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 1);
    c.bond(&["w1"], pool);
    let (file, _) = c.add_file("bob", "s3://bucket/bad.enc");
    let (job, drawn) = c.request("bob", file, pool);
    assert_eq!(
        failure(c.submit(&drawn[0], job, PPM + 1, b"")),
        DataFailure::ScoreOutOfRange {
            field: "quality".into(),
            value: PPM + 1
        }
    );
    assert_eq!(
        failure(c.submit(&drawn[0], job, 1, &[0; 4_097])),
        DataFailure::MetadataTooLarge {
            len: 4_097,
            max: 4_096
        }
    );
    // A worker drawn for an open job cannot unbond.
    assert_eq!(
        c.refused("w1", DataCall::UnbondWorker { pool }),
        DataFailure::WorkerBusy { open: 1 }
    );
    assert_eq!(
        c.refused("w1", DataCall::RequestProof { file, pool }),
        DataFailure::NotFileOwner { file }
    );
    assert_eq!(
        c.refused("bob", DataCall::RequestProof { file, pool }),
        DataFailure::JobOpen { job }
    );
}

#[test]
fn workers_need_a_data_key_and_the_minimum_bond() {
    let mut c = Chain::new(DataGenesis::default());
    let pool = c.create_pool("convos", 1);
    let nobody = Keypair::dev("nobody").account();
    c.mint(&nobody, 1_000 * UNIT);
    assert_eq!(
        failure(c.call_as(
            &nobody,
            DataCall::BondWorker {
                pool,
                amount: 500 * UNIT
            }
        )),
        DataFailure::NoDataKey { account: nobody }
    );
    assert_eq!(
        c.refused("w1", DataCall::BondWorker { pool, amount: UNIT }),
        DataFailure::BondTooSmall {
            bond: UNIT,
            minimum: 100 * UNIT
        }
    );
    let before = c.balance(&key("w1"));
    c.bond(&["w1"], pool);
    c.ok("w1", DataCall::UnbondWorker { pool });
    assert_eq!(c.balance(&key("w1")), before);
}

#[test]
fn the_draw_is_stake_weighted_without_replacement_and_deterministic() {
    let candidates: Vec<(AccountId, Balance)> = (1..=4u8)
        .map(|i| (AccountId([i; 32]), u64::from(i) * 100))
        .collect();
    let mut counts = BTreeMap::new();
    for n in 0..4_000u64 {
        let drawn =
            jobs::draw(&Hash::digest(&n.to_be_bytes()), n, 0, &candidates, 2).expect("draw");
        assert_eq!(drawn.len(), 2);
        assert_ne!(drawn[0], drawn[1]);
        assert_eq!(
            jobs::draw(&Hash::digest(&n.to_be_bytes()), n, 0, &candidates, 2),
            Some(drawn.clone())
        );
        *counts.entry(drawn[0]).or_insert(0u32) += 1;
    }
    // First picks ∝ bond: 10%, 20%, 30%, 40% of 4,000 (within ±3 percentage points).
    for (i, c) in counts.values().enumerate() {
        let expected = 400 * (i as i64 + 1);
        assert!((i64::from(*c) - expected).abs() < 120, "{counts:?}");
    }
    assert_eq!(jobs::draw(&Hash::ZERO, 1, 0, &candidates, 5), None);
}

#[test]
fn epoch_emission_is_split_by_measured_performance_and_paid_to_stakers_and_treasuries() {
    let g = DataGenesis {
        epoch_blocks: 20,
        ..DataGenesis::default()
    };
    let mut c = Chain::new(g);
    let busy = c.create_pool("busy", 1);
    let quiet = c.create_pool("quiet", 1);
    c.bond(&["w1"], busy);
    c.ok(
        "carol",
        DataCall::StakePool {
            pool: busy,
            amount: 300 * UNIT,
        },
    );
    c.ok(
        "bob",
        DataCall::StakePool {
            pool: quiet,
            amount: 100 * UNIT,
        },
    );
    for i in 0..2 {
        let (file, hash) = c.add_file("bob", &format!("s3://b/{i}.enc"));
        let (job, drawn) = c.request("bob", file, busy);
        c.seal("bob", file, hash, &drawn);
        c.submit(&drawn[0], job, 10, b"m").expect("post");
    }
    let pot = 1_000_000_007;
    c.mint(&emission_account(), pot);
    let ev = c.advance_to(20);
    let paid = ev
        .iter()
        .find_map(|e| match e {
            DataEvent::EpochRewards { pools, total, .. } => Some((pools.clone(), *total)),
            _ => None,
        })
        .expect("split");
    // busy: accepted 2/2, contributors 1/1, stake 300/400 → 0.4 + 0.3 + 0.2·0.75 = 0.85;
    // quiet: 0.2·0.25 = 0.05 (access fees are 0 everywhere: their weight drops out).
    let busy_part = (u128::from(pot) * 850_000_000_000_000_000 / 900_000_000_000_000_000) as u64;
    let quiet_part = (u128::from(pot) * 50_000_000_000_000_000 / 900_000_000_000_000_000) as u64;
    assert_eq!(paid.0, vec![(busy, busy_part), (quiet, quiet_part)]);
    assert_eq!(paid.1, busy_part + quiet_part);
    assert_eq!(c.balance(&emission_account()), pot - paid.1);
    // 60% to stakers, the rest to the treasury.
    let to_stakers = busy_part * 6 / 10;
    assert_eq!(c.balance(&treasury_account(busy)), busy_part - to_stakers);
    let before = c.balance(&key("carol"));
    c.ok("carol", DataCall::ClaimStakeRewards { pool: busy });
    assert_eq!(c.balance(&key("carol")), before + to_stakers);
    c.assert_reconciles();
    // The owner takes the treasury's SYN; nobody else can.
    assert_eq!(
        c.refused(
            "bob",
            DataCall::WithdrawTreasury {
                pool: busy,
                amount: 1
            }
        ),
        DataFailure::NotPoolOwner { pool: busy }
    );
    let t = c.balance(&treasury_account(busy));
    c.ok(
        "alice",
        DataCall::WithdrawTreasury {
            pool: busy,
            amount: t,
        },
    );
    assert_eq!(c.balance(&treasury_account(busy)), 0);
    // In the next epoch nothing happened in either pool but stake: split by stake alone.
    c.mint(&emission_account(), 400);
    let ev = c.advance_to(40);
    let pools = ev
        .iter()
        .find_map(|e| match e {
            DataEvent::EpochRewards { pools, .. } => Some(pools.clone()),
            _ => None,
        })
        .expect("split");
    let rest = pot - paid.1 + 400;
    assert_eq!(
        pools,
        vec![
            (busy, (u128::from(rest) * 3 / 4) as u64),
            (quiet, (u128::from(rest) / 4) as u64)
        ]
    );
}

#[derive(Clone, Debug)]
enum Op {
    Stake(usize, usize, u64),
    Unstake(usize, usize, u64),
    Claim(usize, usize),
    Contribute(usize, u8, bool),
    Silence(usize),
    Emission(u64),
    Blocks(u8),
    Bond(usize, usize),
    Unbond(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..2usize, 1..1_000u64).prop_map(|(a, p, x)| Op::Stake(a, p, x)),
        (0..3usize, 0..2usize, 1..1_000u64).prop_map(|(a, p, x)| Op::Unstake(a, p, x)),
        (0..3usize, 0..2usize).prop_map(|(a, p)| Op::Claim(a, p)),
        (0..2usize, any::<u8>(), any::<bool>()).prop_map(|(p, s, l)| Op::Contribute(p, s, l)),
        (0..2usize).prop_map(Op::Silence),
        (1..10_000_000u64).prop_map(Op::Emission),
        (1..30u8).prop_map(Op::Blocks),
        (0..5usize, 0..2usize).prop_map(|(w, p)| Op::Bond(w, p)),
        (0..5usize, 0..2usize).prop_map(|(w, p)| Op::Unbond(w, p)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever happens, the module account holds exactly bonds + open fees + stakes + staker
    /// reserves, every reward token paid left the treasury, and stakers are never owed more
    /// than the reserve.
    #[test]
    fn treasury_rewards_slashes_and_stakes_reconcile_to_the_base_unit(
        ops in proptest::collection::vec(op(), 1..40)
    ) {
        let g = DataGenesis { epoch_blocks: 7, ..DataGenesis::default() };
        let mut c = Chain::new(g);
        let pools = [c.create_pool("a", 3), c.create_pool("b", 1)];
        let workers = ["w1", "w2", "w3", "w4", "w5"];
        c.bond(&workers, pools[0]);
        c.bond(&["w1", "w2"], pools[1]);
        let stakers = ["alice", "bob", "carol"];
        let funded: u128 = 100_000_000;
        let mut files = 0u32;
        for o in ops {
            match o {
                Op::Stake(a, p, x) => { let _ = c.call(stakers[a], DataCall::StakePool { pool: pools[p], amount: x * UNIT }); }
                Op::Unstake(a, p, x) => { let _ = c.call(stakers[a], DataCall::UnstakePool { pool: pools[p], amount: x * UNIT }); }
                Op::Claim(a, p) => { let _ = c.call(stakers[a], DataCall::ClaimStakeRewards { pool: pools[p] }); }
                Op::Bond(w, p) => { let _ = c.call(workers[w], DataCall::BondWorker { pool: pools[p], amount: 150 * UNIT }); }
                Op::Unbond(w, p) => { let _ = c.call(workers[w], DataCall::UnbondWorker { pool: pools[p] }); }
                Op::Emission(x) => c.mint(&emission_account(), x),
                Op::Blocks(n) => { c.advance_to(c.height + u64::from(n)); }
                Op::Silence(p) => {
                    files += 1;
                    let (file, hash) = c.add_file("bob", &format!("s3://p/{files}.enc"));
                    if let Ok(ev) = c.call("bob", DataCall::RequestProof { file, pool: pools[p] })
                        && let DataEvent::ProofRequested { job, .. } = ev[0]
                    {
                        c.next_block();
                        c.next_block();
                        let drawn: Vec<AccountId> = c.job(job).assignments.iter().map(|a| a.worker).collect();
                        c.seal("bob", file, hash, &drawn);
                    }
                }
                Op::Contribute(p, score, lie) => {
                    files += 1;
                    let (file, hash) = c.add_file("bob", &format!("s3://p/{files}.enc"));
                    let Ok(ev) = c.call("bob", DataCall::RequestProof { file, pool: pools[p] }) else { continue };
                    let DataEvent::ProofRequested { job, .. } = ev[0] else { continue };
                    c.next_block();
                    c.next_block();
                    let drawn: Vec<AccountId> = c.job(job).assignments.iter().map(|a| a.worker).collect();
                    c.seal("bob", file, hash, &drawn);
                    for (i, w) in drawn.iter().enumerate() {
                        let s = if lie && i == 0 { u32::from(score) + 1 } else { u32::from(score) * 3_000 };
                        let _ = c.submit(w, job, s, b"m");
                    }
                }
            }
            c.assert_reconciles();
            for (i, pool) in pools.iter().enumerate() {
                let p = state::pool(&c.mem, *pool).expect("read").expect("pool");
                let mut owed: u128 = 0;
                for s in stakers {
                    let mut st = state::stake(&c.mem, *pool, &key(s)).expect("read");
                    pools::settle(&p, &mut st).expect("settle");
                    owed += u128::from(st.owed);
                }
                prop_assert!(owed <= u128::from(p.staker_reserve), "pool {i}: owed {owed} > reserve {}", p.staker_reserve);
            }
        }
        // Every reward token is in a treasury or with the contributor.
        let held: u128 = pools.iter().map(|p| c.tokens(&treasury_account(*p))).sum::<u128>() + c.tokens(&key("bob"));
        prop_assert_eq!(held, funded);
    }
}
