//! Consensus latency in virtual time: 4 validators in the deterministic runtime on 50 ms
//! one-way links, so the figures are protocol latency without CPU contention (execution takes
//! no virtual time). Measured at every node from the application's point of view:
//!
//! - block time: interval between consecutive commits (finalized blocks applied) at a node;
//! - latency: from the moment the proposer built a block to its commit at each node.
//!
//! The table (several configurations, ~100 heights each) is an ignored test:
//!
//! ```sh
//! cargo test -p synod-consensus --test latency -- --ignored --nocapture
//! ```
//!
//! `latency_is_within_protocol_bounds` runs in CI on a short chain and checks the figures
//! against what the protocol allows (finality needs three one-way hops).

mod sim;

use commonware_p2p::simulated::Link;
use commonware_utils::probability;
use sim::{Sim, SimConfig, Timing, run_with_cycle};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(3_600);

/// Virtual time per scheduler pass. The runtime's default (1 ms) would add about 10 ms per hop
/// (a message passes through several tasks), measuring the simulator rather than the protocol.
const CYCLE: Duration = Duration::from_micros(10);

fn link(jitter_ms: u64, success_rate: commonware_utils::Probability) -> Link {
    Link {
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(jitter_ms),
        success_rate,
    }
}

/// Nearest-rank percentile of sorted `v` (empty: 0).
fn percentile(sorted: &[u64], p: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as u64).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

#[derive(Debug, Default)]
struct Figures {
    heights: u64,
    virtual_ms: u64,
    block_time: Vec<u64>,
    latency: Vec<u64>,
}

impl Figures {
    fn merge(&mut self, other: Figures) {
        self.heights += other.heights;
        self.virtual_ms += other.virtual_ms;
        self.block_time.extend(other.block_time);
        self.latency.extend(other.latency);
        self.block_time.sort_unstable();
        self.latency.sort_unstable();
    }

    fn mean_block_time(&self) -> u64 {
        let n = self.block_time.len() as u64;
        self.block_time
            .iter()
            .sum::<u64>()
            .checked_div(n)
            .unwrap_or(0)
    }
}

/// Runs 4 validators to `heights` and measures every height after the first `warmup`.
fn measure(seed: u64, link: Link, timing: Timing, heights: u64, warmup: u64) -> Figures {
    run_with_cycle(seed, LIMIT, CYCLE, async |context| {
        let mut cfg = SimConfig::new(4, link);
        cfg.timing = timing;
        let sim = Sim::start(context, cfg).await;
        let all = [0, 1, 2, 3];
        sim.wait_for(&all, heights, Duration::from_secs(heights * 10))
            .await;
        sim.check_safety();
        let proposed: std::collections::BTreeMap<u64, u64> =
            sim.proposal_times().into_iter().collect();
        let mut f = Figures {
            heights: heights - warmup,
            virtual_ms: sim.elapsed_ms(),
            ..Figures::default()
        };
        for i in all {
            let commits = sim.commits(i);
            for pair in commits.windows(2) {
                if pair[0].height >= warmup && pair[1].height <= heights {
                    f.block_time.push(pair[1].at_ms - pair[0].at_ms);
                }
            }
            for c in commits
                .iter()
                .filter(|c| c.height > warmup && c.height <= heights)
            {
                let at = proposed[&c.height];
                f.latency.push(c.at_ms - at);
            }
        }
        f.block_time.sort_unstable();
        f.latency.sort_unstable();
        sim.stop().await;
        f
    })
}

#[test]
fn latency_is_within_protocol_bounds() {
    // No jitter, no loss, no pacing: the protocol's own latency.
    let mut timing = Timing::devnet();
    timing.block_interval = Duration::ZERO;
    let f = measure(5, link(0, probability!(1.0)), timing, 20, 3);
    let (bt50, lat50, lat99) = (
        percentile(&f.block_time, 50),
        percentile(&f.latency, 50),
        percentile(&f.latency, 99),
    );
    eprintln!("block time p50 {bt50} ms, latency p50 {lat50} ms p99 {lat99} ms");
    assert_eq!(f.latency.len(), 4 * 17);
    // Proposal, notarize votes, finalize votes: three one-way hops of 50 ms at least.
    assert!(f.latency[0] >= 150, "faster than the network allows: {f:?}");
    assert!(
        lat50 < 170 && lat99 < 200,
        "finality slower than three hops: {f:?}"
    );
    // A leader proposes as soon as it sees its parent notarized: two hops per block.
    assert!((100..115).contains(&bt50), "block time {bt50} ms: {f:?}");
}

#[test]
#[ignore = "benchmark: prints a table, a few minutes in debug"]
fn virtual_time_latency_table() {
    const HEIGHTS: u64 = 105;
    const WARMUP: u64 = 5;
    let devnet = Timing::devnet();
    let mut unpaced = devnet;
    unpaced.block_interval = Duration::ZERO;
    let rows: [(&str, u64, commonware_utils::Probability, Timing); 4] = [
        ("50ms ±0, no pacing", 0, probability!(1.0), unpaced),
        ("50ms ±5ms, no pacing", 5, probability!(1.0), unpaced),
        (
            "50ms ±5ms, devnet (250 ms interval)",
            5,
            probability!(1.0),
            devnet,
        ),
        (
            "50ms ±5ms, 1% loss, no pacing",
            5,
            probability!(0.99),
            unpaced,
        ),
    ];
    println!(
        "| links, timing | heights | block time mean / p50 / p99 (ms) | latency p50 / p99 (ms) |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, jitter, success, timing) in rows {
        let mut total = Figures::default();
        for seed in [1, 2, 3] {
            total.merge(measure(
                seed,
                link(jitter, success),
                timing,
                HEIGHTS,
                WARMUP,
            ));
        }
        println!(
            "| {name} | {} | {} / {} / {} | {} / {} |",
            total.heights,
            total.mean_block_time(),
            percentile(&total.block_time, 50),
            percentile(&total.block_time, 99),
            percentile(&total.latency, 50),
            percentile(&total.latency, 99),
        );
    }
}
