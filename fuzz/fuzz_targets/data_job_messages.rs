#![no_main]
//! Arbitrary bytes as the messages of a data pool's jobs: a data call as a worker or
//! contributor sends it (borsh, size-limited like a transaction's call; whatever decodes
//! re-encodes to the same bytes), executed by the data module against a chain with an open
//! job drawn to three workers (signed by each of them in turn and by an outsider), and the
//! job views a worker reads from a node (JSON). Never a panic, and the module account always
//! holds exactly the bonds, open fees, stakes and staker reserves.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use synod_data::query::{IndexEntry, JobView};
use synod_data::state;
use synod_data::{Data, DataCall, DataGenesis, JobStatus, PoolParams, module_account};
use synod_data_crypto::{DataKeyRegistration, DataKeypair};
use synod_module::{BlockCtx, Module};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_storage::MemState;
use synod_storage::delta::Overlay;

const UNIT: u64 = 1_000_000_000;

fn ctx(height: u64) -> BlockCtx<'static> {
    BlockCtx {
        height,
        chain_id: "fuzz",
        parent: Hash::digest(&height.to_be_bytes()),
    }
}

fn apply(mem: &mut MemState, module: &Data, who: &AccountId, call: DataCall, height: u64) {
    let mut ov = Overlay::new(&*mem);
    module
        .dispatch(&mut ov, &ctx(height), who, &call)
        .unwrap_or_else(|e| panic!("fixture call {call:?}: {e:?}"));
    let ch = ov.into_changes();
    mem.apply(ch);
}

/// A chain with pool 1 (k = 3), workers w1..w4 bonded, and job 1 on bob's file drawn.
fn fixture() -> &'static (MemState, Data, Vec<AccountId>) {
    static F: OnceLock<(MemState, Data, Vec<AccountId>)> = OnceLock::new();
    F.get_or_init(|| {
        let module = Data::new(DataGenesis::default(), 5);
        let mut mem = MemState::default();
        let names = ["alice", "bob", "w1", "w2", "w3", "w4"];
        let mut ov = Overlay::new(&mem);
        for n in names {
            synod_bank::mint(&mut ov, &Keypair::dev(n).account(), 1_000_000 * UNIT).expect("mint");
        }
        let (token, _) = synod_tokens::create(
            &mut ov,
            1,
            &Keypair::dev("alice").account(),
            &synod_tokens::ledger::NewToken {
                symbol: "FUZZ".into(),
                name: "fuzz".into(),
                decimals: 0,
                max_supply: 1 << 60,
                initial_supply: 1 << 60,
                emission: None,
                mint_authority: Keypair::dev("alice").account(),
                admin: Keypair::dev("alice").account(),
            },
        )
        .expect("token");
        let ch = ov.into_changes();
        mem.apply(ch);
        for n in names {
            let k = Keypair::dev(n);
            let dk = DataKeypair::from_account_seed(&k.seed());
            let registration = DataKeyRegistration::sign(&k, "fuzz", dk.public(), 0).expect("sign");
            apply(&mut mem, &module, &k.account(), DataCall::RegisterKey { registration }, 1);
        }
        let alice = Keypair::dev("alice").account();
        let params = PoolParams {
            description: String::new(),
            schema: None,
            program_hash: Hash([1; 32]),
            program_url: "file:///p.wasm".into(),
            reward_per_unit: 1_000_000,
            workers_per_job: 3,
            min_worker_bond: UNIT,
            job_timeout: 10,
            job_fee: 7,
            slash_ppm: 100_000,
            miss_slash_ppm: 10_000,
            max_misses: 2,
            staker_share_ppm: 500_000,
        };
        apply(&mut mem, &module, &alice, DataCall::CreatePool { name: "p".into(), reward_token: token, params }, 1);
        apply(&mut mem, &module, &alice, DataCall::FundPool { pool: 1, amount: 1 << 40 }, 1);
        for n in ["w1", "w2", "w3", "w4"] {
            apply(&mut mem, &module, &Keypair::dev(n).account(), DataCall::BondWorker { pool: 1, amount: 10 * UNIT }, 1);
        }
        let bob = Keypair::dev("bob").account();
        apply(
            &mut mem,
            &module,
            &bob,
            DataCall::AddFile {
                owner: bob,
                url: "s3://b/f.enc".into(),
                content_hash: Hash([2; 32]),
                size: 10,
                schema: None,
                owner_signature: None,
            },
            1,
        );
        apply(&mut mem, &module, &bob, DataCall::RequestProof { file: 1, pool: 1 }, 1);
        let mut ov = Overlay::new(&mem);
        module.end_block(&mut ov, &ctx(2)).expect("draw");
        let ch = ov.into_changes();
        mem.apply(ch);
        let job = state::job(&mem, 1).expect("read").expect("job");
        assert_eq!(job.status, JobStatus::Scoring);
        let mut senders: Vec<AccountId> = job.assignments.iter().map(|a| a.worker).collect();
        senders.push(bob);
        (mem, module, senders)
    })
}

fn reconciles(mem: &MemState) -> bool {
    let mut owed: u128 = 0;
    let p = state::pool(mem, 1).expect("read").expect("pool");
    owed += u128::from(p.stake_total) + u128::from(p.staker_reserve);
    for w in state::workers(mem, 1).expect("read") {
        owed += u128::from(w.bond);
    }
    let next: u64 = state::get(mem, state::next_job_key()).expect("read").unwrap_or(1);
    for j in 1..next {
        let job = state::job(mem, j).expect("read").expect("job");
        if matches!(job.status, JobStatus::AwaitingDraw { .. } | JobStatus::Scoring) {
            owed += u128::from(job.fee);
        }
    }
    let held = synod_bank::account(mem, &module_account()).expect("read").balance;
    u128::from(held) == owed
}

fuzz_target!(|data: &[u8]| {
    if let Ok(call) = synod_primitives::decode_exact::<DataCall>(data, 64 * 1024) {
        assert_eq!(synod_primitives::encode(&call), data, "a second encoding was accepted");
        let (base, module, senders) = fixture();
        for sender in senders {
            let mut mem = base.clone();
            let mut ov = Overlay::new(&mem);
            let ok = module.dispatch(&mut ov, &ctx(3), sender, &call).is_ok();
            let ch = ov.into_changes();
            if ok {
                mem.apply(ch);
                // The block ends too: a deadline or a draw may follow from the call.
                let mut ov = Overlay::new(&mem);
                module.end_block(&mut ov, &ctx(12)).expect("end block");
                let ch = ov.into_changes();
                mem.apply(ch);
            }
            assert!(reconciles(&mem), "custody no longer reconciles after {call:?}");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = serde_json::from_str::<JobView>(text);
        let _ = serde_json::from_str::<Vec<IndexEntry>>(text);
    }
});
