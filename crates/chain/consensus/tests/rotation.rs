//! Validator-set rotation in deterministic simulation: the engine follows the sets the state
//! machine fixes at each epoch boundary (20-block epochs, the devnet staking parameters).
//!
//! Four genesis validators and one observer. The observer's key is funded and bonds: from the
//! next epoch on it proposes and votes. A genesis validator unbonds: from its boundary on it
//! proposes nothing, and the chain survives that validator and one more crashing, which it
//! could not if the leaver still counted (5 members need 4 votes; 3 of the 4 remaining
//! suffice). A validator that is down across a boundary catches up through the epochs when it
//! returns. Safety (one block and one state root per height on every node) holds throughout.
//! Replay a seed with `SIM_SEEDS=7 cargo test -p synod-consensus --test rotation`.

mod sim;

use commonware_p2p::simulated::Link;
use commonware_utils::probability;
use sim::{Sim, SimConfig, run, seeds};
use std::time::Duration;
use synod_primitives::{AccountId, Keypair, token::UNIT};
use synod_runtime::BankCall;
use synod_runtime::Call;
use synod_runtime::validators::ValidatorCall;

const LAN: Link = Link {
    latency: Duration::from_millis(10),
    jitter: Duration::from_millis(3),
    success_rate: probability!(1.0),
};

const LIMIT: Duration = Duration::from_secs(900);
const EPOCH: u64 = 20;
const WAIT: Duration = Duration::from_secs(300);

/// Proposers of the committed blocks in heights `from..to` at node `i`.
fn proposers(sim: &Sim, i: usize, from: u64, to: u64) -> Vec<AccountId> {
    (from..to)
        .map(|h| sim.app(i).proposer(h).expect("committed block"))
        .collect()
}

/// Queues `call` from `key` and waits until every running node committed it.
async fn include(sim: &Sim, key: &Keypair, call: Call) -> u64 {
    let nonce = sim.app(0).nonce(&key.account());
    sim.submit(key, nonce, call);
    let start = sim.height(0);
    while sim.app(0).nonce(&key.account()) <= nonce {
        assert!(sim.height(0) < start + 200, "transaction not included");
        sim.sleep(Duration::from_millis(50)).await;
    }
    sim.height(0)
}

/// The first height of the epoch after the one containing `height`.
fn next_epoch_start(height: u64) -> u64 {
    (height / EPOCH + 1) * EPOCH
}

#[test]
fn validators_join_and_leave_at_epoch_boundaries() {
    for seed in seeds(&[1, 2]) {
        run(seed, LIMIT, async |context| {
            let mut cfg = SimConfig::new(4, LAN);
            cfg.observers = 1;
            cfg.epoch_length = Some(EPOCH);
            let mut sim = Sim::start(context, cfg).await;
            let everyone = [0, 1, 2, 3, 4];
            let keys: Vec<Keypair> = (0..5).map(|i| Keypair::dev(&format!("v{i}"))).collect();
            let alice = Keypair::dev("alice");
            sim.wait_for(&everyone, 3, WAIT).await;

            // Fund the observer and validator 0 (fees), then the observer bonds.
            for (to, amount) in [(&keys[4], 1_000 * UNIT), (&keys[0], 10 * UNIT)] {
                let to = to.account();
                include(&sim, &alice, Call::Bank(BankCall::Transfer { to, amount })).await;
            }
            let bonded_at = include(
                &sim,
                &keys[4],
                Call::Validators(ValidatorCall::Bond { amount: 500 * UNIT }),
            )
            .await;
            // The set changes at the first boundary after the bond's block.
            let joined = next_epoch_start(bonded_at);
            assert!(
                proposers(&sim, 0, 1, sim.height(0) + 1)
                    .iter()
                    .all(|p| *p != keys[4].account()),
                "an observer never proposes"
            );
            sim.wait_for(&everyone, joined + EPOCH, WAIT).await;
            let after_join = proposers(&sim, 0, joined, joined + EPOCH);
            assert!(
                after_join.contains(&keys[4].account()),
                "the new member leads views from epoch {} on: {after_join:?}",
                joined / EPOCH
            );

            // Validator 0 unbonds everything and leaves at the next boundary.
            let unbonded_at = include(
                &sim,
                &keys[0],
                Call::Validators(ValidatorCall::Unbond {
                    amount: 1_000 * UNIT,
                }),
            )
            .await;
            let left = next_epoch_start(unbonded_at);
            sim.wait_for(&everyone, left + 5, WAIT).await;
            let tip = sim.min_height(&everyone);
            assert!(
                proposers(&sim, 1, left, tip)
                    .iter()
                    .all(|p| *p != keys[0].account()),
                "a validator that left proposes nothing"
            );
            // Without validator 0 and with validator 1 down, 3 of the 4 members remain:
            // enough only because validator 0 no longer counts.
            sim.crash(0).await;
            sim.crash(1).await;
            let h = sim.max_height(&[2, 3, 4]);
            sim.wait_for(&[2, 3, 4], next_epoch_start(h) + 5, WAIT)
                .await;
            // Validator 1 returns after missing at least one boundary and catches up.
            sim.restart(1).await;
            let target = sim.max_height(&[2, 3, 4]) + 3;
            sim.wait_for(&[1, 2, 3, 4], target, WAIT).await;
            sim.check_safety();
            eprintln!(
                "seed {seed}: joined at {joined}, left at {left}, heights {:?} at {} ms",
                sim.heights(),
                sim.elapsed_ms()
            );
            sim.stop().await;
        });
    }
}
