//! The subnet economy end to end against a real `synod dev` process (100 ms blocks, tempo 30):
//! one subnet with 3 validators and 8 miners; hyperparameters, registrations (burns leave the
//! supply), staking through the pool (constant product, exact), emission per block (1 SYN in,
//! alpha in at the pool price, 18/41/41 pending split), weights set over RPC, Yuma epochs
//! (incentive follows the weights, dividends follow stake, miner stake grows by exactly its
//! epoch emission), commit–reveal (too early refused, accepted in the reveal epoch), a
//! nominator's stake added and moved, module custody, and the CLI (`subnet metagraph`,
//! `subnet list`, `stake list`, `yuma simulate`).

mod common;

use common::*;
use jsonrpsee::http_client::HttpClient;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use synod_bank::hotkey_binding_message;
use synod_execution::subnets::query::Metagraph;
use synod_execution::subnets::state::{self as sstate, SubnetState};
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockId, SubmitResult};
use synod_runtime::BankCall;
use synod_runtime::{Call, Event, Receipt, Transaction, TxFailure, TxOutcome};
use synod_subnets::rpc::SubnetsApiClient;
use synod_subnets::{Hyperparameter, SubnetCall, weights_commit_hash};
use synod_subnets::{SubnetEvent, SubnetFailure};

const FEE: u64 = 20_000_000;
const TEMPO: u16 = 30;

struct Chain {
    rt: tokio::runtime::Runtime,
    c: HttpClient,
    nonces: BTreeMap<AccountId, u64>,
}

impl Chain {
    fn nonce(&mut self, who: &Keypair) -> u64 {
        let a = who.account();
        if !self.nonces.contains_key(&a) {
            let n = self
                .rt
                .block_on(self.c.get_account(a, None))
                .expect("account")
                .nonce;
            self.nonces.insert(a, n);
        }
        let n = self.nonces.get_mut(&a).expect("nonce");
        *n += 1;
        *n - 1
    }

    fn sign(&mut self, who: &Keypair, call: Call) -> String {
        let g = dev_genesis();
        let tx = Transaction {
            chain_id: g.chain_id.clone(),
            sender: who.account(),
            nonce: self.nonce(who),
            fee: FEE,
            call,
        }
        .sign(who, &g.hash());
        hex_tx(&tx)
    }

    /// Submits a batch, waits for every receipt, returns them in order.
    fn batch(&mut self, items: Vec<(&Keypair, Call)>) -> Vec<Receipt> {
        let txs: Vec<String> = items.into_iter().map(|(k, c)| self.sign(k, c)).collect();
        let res = self
            .rt
            .block_on(self.c.submit_transactions(txs))
            .expect("submit");
        let hashes: Vec<_> = res
            .into_iter()
            .map(|r| match r {
                SubmitResult::Accepted { hash } => hash,
                other => panic!("rejected: {other:?}"),
            })
            .collect();
        hashes
            .into_iter()
            .map(|h| {
                wait_finalized(&self.rt, &self.c, h);
                self.rt
                    .block_on(self.c.get_receipt(h))
                    .expect("rpc")
                    .expect("receipt")
            })
            .collect()
    }

    fn ok(&mut self, who: &Keypair, call: Call) -> Receipt {
        let r = self.batch(vec![(who, call.clone())]).remove(0);
        assert_eq!(r.outcome, TxOutcome::Success, "{call:?}");
        r
    }

    fn all_ok(&mut self, items: Vec<(&Keypair, Call)>) -> Vec<Receipt> {
        let rs = self.batch(items);
        for r in &rs {
            assert_eq!(r.outcome, TxOutcome::Success, "{r:?}");
        }
        rs
    }

    fn subnet_failure(&mut self, who: &Keypair, call: Call) -> SubnetFailure {
        let r = self.batch(vec![(who, call)]).remove(0);
        match r.outcome {
            TxOutcome::Failed {
                failure: TxFailure::Subnet(f),
            } => f,
            other => panic!("expected a subnet failure, got {other:?}"),
        }
    }

    fn head(&self) -> u64 {
        self.rt
            .block_on(self.c.heads())
            .expect("heads")
            .finalized_height
    }

    fn wait_height(&self, h: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.head() < h {
            assert!(Instant::now() < deadline, "chain stalled");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn balance(&self, who: &AccountId) -> u64 {
        self.rt
            .block_on(self.c.get_account(*who, None))
            .expect("account")
            .balance
    }

    fn metagraph(&self, netuid: u16) -> Metagraph {
        self.rt
            .block_on(self.c.metagraph(netuid, None))
            .expect("rpc")
            .expect("subnet")
    }

    /// A subnet's stored state at a height, read through `getStateValue`.
    fn state_at(&self, netuid: u16, height: u64) -> SubnetState {
        let v = self
            .rt
            .block_on(self.c.get_state_value(
                hex::encode(sstate::state_key(netuid)),
                Some(height),
                None,
            ))
            .expect("state");
        borsh::from_slice(&hex::decode(v.value.expect("present")).expect("hex")).expect("decode")
    }

    fn issuance_at(&self, height: u64) -> u64 {
        let v = self
            .rt
            .block_on(self.c.get_state_value(
                hex::encode(synod_execution::bank::ISSUANCE_KEY),
                Some(height),
                None,
            ))
            .expect("state");
        borsh::from_slice(&hex::decode(v.value.expect("present")).expect("hex")).expect("decode")
    }

    /// Waits until the subnet's epoch index passes `after`; returns the metagraph read then.
    fn next_epoch(&self, netuid: u16, after: u64) -> Metagraph {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = self.metagraph(netuid);
            if m.subnet.epoch_index > after {
                return m;
            }
            assert!(Instant::now() < deadline, "no epoch");
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

fn sub(c: SubnetCall) -> Call {
    Call::Subnets(c)
}

fn bind(cold: &Keypair, hot: &Keypair) -> Call {
    let msg = hotkey_binding_message(&dev_genesis().chain_id, &cold.account());
    Call::Bank(BankCall::BindHotkey {
        hotkey: hot.account(),
        proof: hot.sign(&msg),
    })
}

fn events(r: &Receipt) -> Vec<SubnetEvent> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Subnet(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn synod_json(rpc: &str, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    use std::io::Write;
    let mut cmd = synod();
    cmd.args(["--rpc", rpc, "--dev", "--json"]).args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("run");
    assert!(
        out.status.success(),
        "synod {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn subnet_economy_end_to_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("node"));
    eprintln!("devnet log: {}", dir.path().join("node.log").display());
    let mut ch = Chain {
        rt: runtime(),
        c: net.client(),
        nonces: BTreeMap::new(),
    };
    let owner = Keypair::dev("alice");
    let val_cold = [
        Keypair::dev("bob"),
        Keypair::dev("charlie"),
        Keypair::dev("dave"),
    ];
    let miner_cold = Keypair::dev("eve");
    let nominator = Keypair::dev("ferdie");
    let owner_hot = Keypair::dev("e2e-owner-hot");
    let val_hot: Vec<Keypair> = (0..3)
        .map(|i| Keypair::dev(&format!("e2e-val-{i}")))
        .collect();
    let miner_hot: Vec<Keypair> = (0..8)
        .map(|i| Keypair::dev(&format!("e2e-miner-{i}")))
        .collect();

    // --- Bind every hotkey. ---
    let mut binds = vec![(&owner, bind(&owner, &owner_hot))];
    for i in 0..3 {
        binds.push((&val_cold[i], bind(&val_cold[i], &val_hot[i])));
    }
    for m in &miner_hot {
        binds.push((&miner_cold, bind(&miner_cold, m)));
    }
    ch.all_ok(binds);

    // --- Create the subnet: the first lock is the 1000 SYN minimum, all of it seeds the pool.
    let lock = ch.rt.block_on(ch.c.network_lock_cost()).expect("lock");
    assert_eq!(lock, 1_000 * UNIT);
    let alice0 = ch.balance(&owner.account());
    let r = ch.ok(
        &owner,
        sub(SubnetCall::RegisterNetwork {
            hotkey: owner_hot.account(),
            max_lock_cost: lock,
        }),
    );
    assert!(matches!(
        events(&r)[0],
        SubnetEvent::NetworkRegistered { netuid: 1, lock: l, .. } if l == lock
    ));
    assert_eq!(ch.balance(&owner.account()), alice0 - lock - FEE);
    let n = 1u16;
    let params = [
        Hyperparameter::Tempo(TEMPO),
        Hyperparameter::CommitRevealEnabled(false),
        Hyperparameter::WeightsRateLimit(0),
        Hyperparameter::MaxAllowedValidators(4),
        // Bonds follow the current weights at once (EMA rate 1), so dividends are exactly
        // proportional to stake when validators agree.
        Hyperparameter::BondsMovingAverage(0),
    ];
    ch.all_ok(
        params
            .into_iter()
            .map(|p| {
                (
                    &owner,
                    sub(SubnetCall::SetHyperparameter {
                        netuid: n,
                        param: p,
                    }),
                )
            })
            .collect(),
    );
    // Out of bounds is refused.
    assert!(matches!(
        ch.subnet_failure(
            &owner,
            sub(SubnetCall::SetHyperparameter {
                netuid: n,
                param: Hyperparameter::MaxAllowedUids(5000)
            })
        ),
        SubnetFailure::InvalidHyperparameter { .. }
    ));

    // --- Register 3 validators and 8 miners; every burn leaves the supply (nothing is minted
    // before the owner starts the subnet). The price rises ×1.26 per registration.
    let h0 = ch.head();
    let issuance0 = ch.issuance_at(h0);
    let mut regs = Vec::new();
    for i in 0..3 {
        regs.push((
            &val_cold[i],
            sub(SubnetCall::BurnedRegister {
                netuid: n,
                hotkey: val_hot[i].account(),
                max_burn: 100 * UNIT,
            }),
        ));
    }
    let mut burned = 0;
    for r in ch.all_ok(regs) {
        for e in events(&r) {
            if let SubnetEvent::NeuronRegistered { burned: b, .. } = e {
                burned += b;
            }
        }
    }
    let mut regs = Vec::new();
    for m in &miner_hot {
        regs.push((
            &miner_cold,
            sub(SubnetCall::BurnedRegister {
                netuid: n,
                hotkey: m.account(),
                max_burn: 100 * UNIT,
            }),
        ));
    }
    let mut prices = Vec::new();
    for r in ch.all_ok(regs) {
        for e in events(&r) {
            if let SubnetEvent::NeuronRegistered { burned: b, uid, .. } = e {
                burned += b;
                prices.push((uid, b));
            }
        }
    }
    assert!(burned > 11 * 500_000);
    let h1 = ch.head();
    assert_eq!(
        ch.issuance_at(h1),
        issuance0 - burned,
        "burns leave the supply"
    );
    let m = ch.metagraph(n);
    assert_eq!(m.n, 12);
    assert_eq!(m.hotkeys[0], owner_hot.account());

    // --- Start; validators stake 100/200/300 SYN through the pool. Each stake is the first
    // pool trade of its block, so the alpha received is exactly α·t/(τ+t) on the reserves
    // after the previous block.
    ch.ok(&owner, sub(SubnetCall::StartCall { netuid: n }));
    for i in 0..3 {
        let amount = 100 * (i as u64 + 1) * UNIT;
        let r = ch.ok(
            &val_cold[i],
            sub(SubnetCall::AddStake {
                hotkey: val_hot[i].account(),
                netuid: n,
                amount,
                limit_price: None,
                allow_partial: false,
            }),
        );
        let before = ch.state_at(n, r.height - 1);
        let alpha = match events(&r)[0] {
            SubnetEvent::StakeAdded { alpha, tao, .. } => {
                assert_eq!(tao, amount);
                alpha
            }
            ref e => panic!("{e:?}"),
        };
        let expect = (u128::from(before.alpha_reserve) * u128::from(amount)
            / (u128::from(before.tao_reserve) + u128::from(amount))) as u64;
        assert_eq!(alpha, expect, "constant-product output");
        let after = ch.state_at(n, r.height);
        assert!(after.tao_reserve >= before.tao_reserve + amount);
    }

    // --- A quiet block (no transactions, no epoch): 1 SYN minted into the pool, alpha in at
    // the pool price, and 1 alpha emitted split 18/41/41 into pending.
    let quiet = loop {
        let h = ch.head();
        ch.wait_height(h + 2);
        let b = ch
            .rt
            .block_on(ch.c.get_block(BlockId::Height(h + 1)))
            .expect("rpc")
            .expect("block");
        let st = ch.state_at(n, h + 1);
        if b.transactions.is_empty() && st.last_epoch_block != h + 1 {
            break h + 1;
        }
    };
    let (a, b) = (ch.state_at(n, quiet - 1), ch.state_at(n, quiet));
    assert_eq!(b.tao_reserve - a.tao_reserve, UNIT, "1 SYN per block");
    assert_eq!(
        b.alpha_reserve - a.alpha_reserve,
        (u128::from(UNIT) * u128::from(a.alpha_reserve) / u128::from(a.tao_reserve)) as u64,
        "alpha in at the pool price"
    );
    assert_eq!(ch.issuance_at(quiet) - ch.issuance_at(quiet - 1), UNIT);
    assert_eq!(b.pending_owner - a.pending_owner, 179_995_422);
    assert_eq!(b.pending_server - a.pending_server, 410_002_289);
    assert_eq!(b.pending_validator - a.pending_validator, 410_002_289);

    // --- First epoch hands out permits by stake (owner + the 3 validators).
    let m = ch.next_epoch(n, ch.metagraph(n).subnet.epoch_index);
    for uid in 0..4 {
        assert!(m.validator_permit[uid], "permit for uid {uid}: {m:?}");
    }

    // --- Validators set weights over RPC (signed by their coldkeys): miners 4..11 get 1..8.
    let miner_uids: Vec<u16> = (4..12).collect();
    let values: Vec<u16> = (1..=8).collect();
    ch.all_ok(
        (0..3)
            .map(|i| {
                (
                    &val_cold[i],
                    sub(SubnetCall::SetWeights {
                        netuid: n,
                        hotkey: val_hot[i].account(),
                        uids: miner_uids.clone(),
                        values: values.clone(),
                        version_key: 0,
                    }),
                )
            })
            .collect(),
    );
    let m1 = ch.next_epoch(n, ch.metagraph(n).subnet.epoch_index);
    let m2 = ch.next_epoch(n, m1.subnet.epoch_index);
    assert_eq!(m2.subnet.epoch_index, m1.subnet.epoch_index + 1);
    // Incentive follows the weights: I_j ≈ j/36 of 65535.
    let inc: Vec<u64> = m2.incentive[4..12].iter().map(|x| u64::from(*x)).collect();
    for (k, i) in inc.iter().enumerate() {
        let expect = 65_535 * (k as u64 + 1) / 36;
        assert!(i.abs_diff(expect) <= 65, "incentive {k}: {i} vs {expect}");
    }
    // Dividends go to the validators in proportion to their stake (D_i = a_i·Σ_j B̂_ij I_j with
    // identical bond rows B̂_ij = 1/3), the owner (no weights, no bonds) gets none.
    let d: Vec<f64> = m2.dividends[1..4].iter().map(|x| f64::from(*x)).collect();
    let s: Vec<f64> = m2.stake_weight[1..4]
        .iter()
        .map(|x| f64::from(*x))
        .collect();
    let (dt, st): (f64, f64) = (d.iter().sum(), s.iter().sum());
    assert!((dt - 65_535.0).abs() < 5.0, "{d:?}");
    for i in 0..3 {
        assert!(
            (d[i] / dt - s[i] / st).abs() < 0.002,
            "dividends {d:?} vs stake {s:?}"
        );
    }
    assert_eq!(m2.dividends[0], 0);
    // Each miner's stake grew by exactly its epoch emission.
    for uid in 4..12 {
        assert_eq!(
            m2.alpha_stake[uid] - m1.alpha_stake[uid],
            m2.emission[uid],
            "miner {uid}"
        );
        assert!(m2.emission[uid] > 0);
    }
    assert!(m2.emission[11] > m2.emission[4]);
    // The epoch is reported in its block's end-block receipt (after the transactions'),
    // whose miner total is exactly the miners' emission; the block before has none.
    let eb = m2.subnet.last_epoch_block;
    let evs = ch.rt.block_on(ch.c.get_events(eb)).expect("events");
    let end = evs.last().expect("block-end events");
    assert_eq!(
        (end.height, end.tx_hash),
        (eb, synod_primitives::receipt::end_block_receipt_hash(eb))
    );
    let subnet_events: Vec<&Event> = end
        .events
        .iter()
        .filter(|e| matches!(e, Event::Subnet(_)))
        .collect();
    match &subnet_events[..] {
        [
            Event::Subnet(SubnetEvent::EpochRun {
                netuid,
                block,
                epoch_index,
                miner_alpha,
                validator_alpha,
                ..
            }),
        ] => {
            assert_eq!(
                (*netuid, *block, *epoch_index),
                (n, eb, m2.subnet.epoch_index)
            );
            assert_eq!(*miner_alpha, m2.emission[4..12].iter().sum::<u64>());
            assert!(*validator_alpha > 0);
        }
        other => panic!("{other:?}"),
    }
    let before = ch.rt.block_on(ch.c.get_events(eb - 1)).expect("events");
    assert!(
        before
            .iter()
            .flat_map(|e| &e.events)
            .all(|e| !matches!(e, Event::Subnet(SubnetEvent::EpochRun { .. })))
    );
    // Pending drained at the epoch, reaccumulating since.
    assert!(m2.subnet.pending.server < 410_002_289 * u64::from(TEMPO) / 2 + 410_002_289 * 10);

    // --- Commit–reveal.
    ch.ok(
        &owner,
        sub(SubnetCall::SetHyperparameter {
            netuid: n,
            param: Hyperparameter::CommitRevealEnabled(true),
        }),
    );
    let new_values: Vec<u16> = (1..=8).rev().collect();
    let salt = b"e2e-salt".to_vec();
    let commits: Vec<_> = (0..3)
        .map(|i| {
            (
                &val_cold[i],
                sub(SubnetCall::CommitWeights {
                    netuid: n,
                    hotkey: val_hot[i].account(),
                    commit_hash: weights_commit_hash(
                        &val_hot[i].account(),
                        n,
                        &miner_uids,
                        &new_values,
                        &salt,
                        0,
                    ),
                }),
            )
        })
        .collect();
    // Commit right after an epoch so all three commits share an epoch and the checks below
    // run well inside it.
    let epoch_at_commit = ch
        .next_epoch(n, ch.metagraph(n).subnet.epoch_index)
        .subnet
        .epoch_index;
    ch.all_ok(commits);
    let reveal = |i: usize| {
        sub(SubnetCall::RevealWeights {
            netuid: n,
            hotkey: val_hot[i].account(),
            uids: miner_uids.clone(),
            values: new_values.clone(),
            salt: salt.clone(),
            version_key: 0,
        })
    };
    let now = ch.metagraph(n);
    if now.subnet.epoch_index == epoch_at_commit && now.subnet.next_epoch_block > now.block + 8 {
        assert!(matches!(
            ch.subnet_failure(&val_cold[0], reveal(0)),
            SubnetFailure::RevealTooEarly { .. }
        ));
    }
    // Direct setting is refused while commit-reveal is on.
    assert_eq!(
        ch.subnet_failure(
            &val_cold[0],
            sub(SubnetCall::SetWeights {
                netuid: n,
                hotkey: val_hot[0].account(),
                uids: miner_uids.clone(),
                values: values.clone(),
                version_key: 0,
            })
        ),
        SubnetFailure::CommitRevealEnabled
    );
    ch.next_epoch(n, epoch_at_commit);
    ch.all_ok((0..3).map(|i| (&val_cold[i], reveal(i))).collect());
    let m = ch.metagraph(n);
    assert_eq!(m.weights[1][0], (4, 65_535), "revealed weights stored");
    let m3 = ch.next_epoch(n, m.subnet.epoch_index);
    assert!(
        m3.incentive[4] > m3.incentive[11],
        "incentive follows the revealed weights: {:?}",
        &m3.incentive[4..12]
    );

    // --- A nominator stakes on validator 2, then moves half to validator 1 (same subnet:
    // exact, no swap).
    let f0 = ch.balance(&nominator.account());
    ch.ok(
        &nominator,
        sub(SubnetCall::AddStake {
            hotkey: val_hot[2].account(),
            netuid: n,
            amount: 50 * UNIT,
            limit_price: None,
            allow_partial: false,
        }),
    );
    assert_eq!(ch.balance(&nominator.account()), f0 - 50 * UNIT - FEE);
    let pos = ch
        .rt
        .block_on(ch.c.stake_positions(nominator.account(), None))
        .expect("positions");
    assert_eq!(pos.len(), 1);
    let half = pos[0].alpha / 2;
    let r = ch.ok(
        &nominator,
        sub(SubnetCall::MoveStake {
            origin_hotkey: val_hot[2].account(),
            destination_hotkey: val_hot[1].account(),
            origin_netuid: n,
            destination_netuid: n,
            amount: half,
        }),
    );
    match events(&r)[0] {
        SubnetEvent::StakeMoved {
            alpha_in,
            alpha_out,
            ..
        } => assert_eq!((alpha_in, alpha_out), (half, half)),
        ref e => panic!("{e:?}"),
    }
    let pos = ch
        .rt
        .block_on(ch.c.stake_positions(nominator.account(), None))
        .expect("positions");
    assert_eq!(pos.len(), 2);
    assert!(
        pos.iter()
            .any(|p| p.hotkey == val_hot[1].account() && p.alpha.abs_diff(half) <= 1)
    );
    // An order whose price would cross its limit is refused; the fee is the only cost.
    let spot = ch.metagraph(n).subnet.pool.price;
    let f1 = ch.balance(&nominator.account());
    assert!(matches!(
        ch.subnet_failure(
            &nominator,
            sub(SubnetCall::AddStake {
                hotkey: val_hot[1].account(),
                netuid: n,
                amount: 10_000 * UNIT,
                limit_price: Some(spot + spot / 100),
                allow_partial: false,
            })
        ),
        SubnetFailure::PriceLimitExceeded { .. }
    ));
    assert_eq!(ch.balance(&nominator.account()), f1 - FEE);

    // --- Custody: the module account holds exactly the pool, pending root SYN and root stake.
    let h = ch.head();
    let st = ch.state_at(n, h);
    let module = synod_execution::subnets::module_account();
    let held = ch
        .rt
        .block_on(ch.c.get_account(module, Some(h)))
        .expect("account")
        .balance;
    let root = ch
        .rt
        .block_on(ch.c.subnet_pool(0))
        .expect("rpc")
        .expect("root");
    assert_eq!(
        held,
        st.tao_reserve + st.pending_root_tao + root.tao_reserve
    );

    // --- The CLI.
    let v = synod_json(&net.rpc, &["subnet", "metagraph", "1"], None);
    assert_eq!(v["n"], 12);
    for field in [
        "hotkeys",
        "coldkeys",
        "alpha_stake",
        "stake_weight",
        "consensus",
        "incentive",
        "dividends",
        "validator_trust",
        "emission",
        "validator_permit",
        "active",
        "last_update",
        "block_at_registration",
        "axons",
        "uids",
        "root_stake",
        "total_stake",
        "weights",
        "bonds",
    ] {
        assert_eq!(v[field].as_array().map(Vec::len), Some(12), "{field}");
    }
    assert!(v["subnet"]["pool"]["price"].as_u64().expect("price") > 0);
    assert!(v["subnet"]["pool"]["moving_price"].as_u64().is_some());
    assert_eq!(v["subnet"]["tempo"], TEMPO);
    assert!(v["subnet"]["pending"]["server"].as_u64().is_some());
    let list = synod_json(&net.rpc, &["subnet", "list"], None);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let stakes = synod_json(&net.rpc, &["stake", "list", "ferdie"], None);
    assert_eq!(stakes.as_array().map(Vec::len), Some(2));
    // The devnet's genesis parameters are served as they are.
    let params = synod_json(&net.rpc, &["subnet", "params"], None);
    let dev = synod_subnets::SubnetParams::dev();
    assert_eq!(
        serde_json::from_value::<synod_subnets::SubnetParams>(params).expect("params"),
        dev
    );
    let burn = synod_json(&net.rpc, &["subnet", "burn-cost", "1"], None);
    assert!(burn["burn"].as_u64().expect("burn") >= 500_000);
    let sim = synod_json(
        &net.rpc,
        &["yuma", "simulate", "--input", "-"],
        Some(
            r#"{"current_block": 100, "emission": 1000000000,
                "neurons": [{"stake": 10, "validator_permit": true, "last_update": 99},
                            {"stake": 0, "last_update": 99}],
                "weights": [[[1, 65535]], []]}"#,
        ),
    );
    assert_eq!(sim["server_emission"][1], 500_000_000);
    assert_eq!(sim["incentive"][1], 65_535);
    let _ = prices;
}
