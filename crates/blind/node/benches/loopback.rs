//! Loopback benchmark across three node *processes*: batched secure
//! multiplications, comparisons, and the sealed-bid auction end to end.
//!
//! `cargo bench -p synod-blind-node --bench loopback` — the bench binary
//! re-executes itself once per committee member (env
//! `SYNOD_BLIND_BENCH_NODE=<config>`), then drives the committee as a
//! client. Environment knobs: `MUL_BATCH` (default 50000), `MUL_REPS` (20),
//! `CMP_BATCH` (2000), `RUNS` (5), `PIECE` (elements per MPC frame, default
//! `frame::DEFAULT_PIECE_ELEMENTS`).
#![allow(missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use synod_blind_lang::{ScalarType, Value};
use synod_blind_node::config::{NodeConfig, write_localnet};
use synod_blind_node::types::BenchKind;
use synod_blind_node::{BlindClient, ClientInput, Committee};
use synod_primitives::Keypair;

fn env_u32(k: &str, d: u32) -> u32 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

struct Kids(Vec<Child>);
impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Ok(cfg) = std::env::var("SYNOD_BLIND_BENCH_NODE") {
        let cfg = NodeConfig::load(std::path::Path::new(&cfg))?;
        return rt.block_on(async {
            let _node = synod_blind_node::start_node(cfg).await?;
            std::future::pending::<()>().await;
            Ok(())
        });
    }
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let configs = write_localnet(dir.path(), 3, 30_000, true)?;
    // PIECE overrides the MPC piece size (elements per frame), e.g. to
    // compare with unpieced rounds (PIECE=2000000).
    if let Ok(piece) = std::env::var("PIECE") {
        let piece: usize = piece.parse()?;
        for c in &configs {
            let mut cfg = NodeConfig::load(c)?;
            cfg.mpc_piece_elements = piece;
            std::fs::write(c, serde_json::to_string_pretty(&cfg)?)?;
        }
    }
    let exe = std::env::current_exe()?;
    let mut kids = Kids(Vec::new());
    for c in &configs {
        kids.0.push(
            Command::new(&exe)
                .env("SYNOD_BLIND_BENCH_NODE", c)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
    }
    let committee = Committee::load(&dir.path().join("committee.json"))?;
    let client = BlindClient::new(committee.clone(), Keypair::dev("alice"))?;
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut ok = true;
            for i in 0..3 {
                ok &= client.info(i).await.is_ok_and(|x| x.connected.len() == 2);
            }
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "committee did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (mb, mr, cb, runs) = (env_u32("MUL_BATCH", 50_000), env_u32("MUL_REPS", 20), env_u32("CMP_BATCH", 2_000), env_u32("RUNS", 5));
        for _ in 0..2 {
            let t = Instant::now();
            let job = client.start_bench(BenchKind::Mul, mb, mr).await?;
            let out = client.result(job, Duration::from_secs(600)).await?;
            let online = out.stats.iter().map(|(_, s)| s.online_us).max().unwrap_or(1).max(1);
            let ops = u64::from(mb) * u64::from(mr);
            println!(
                "mul: {ops} secure multiplications ({mr} rounds x {mb}) across 3 processes: {:.0}/s online, {:.0}/s incl. job start ({:.2} s)",
                ops as f64 * 1e6 / online as f64,
                ops as f64 / t.elapsed().as_secs_f64(),
                t.elapsed().as_secs_f64()
            );
        }
        for (kind, name) in [(BenchKind::Compare, "u32"), (BenchKind::Compare64, "i64")] {
            let t = Instant::now();
            let job = client.start_bench(kind, cb, 1).await?;
            let out = client.result(job, Duration::from_secs(600)).await?;
            let s = out.stats.iter().map(|(_, s)| *s).max_by_key(|s| s.online_us).unwrap_or_default();
            println!(
                "cmp: {cb} {name} comparisons: {:.0}/s online ({} online rounds), {:.0}/s incl. preprocessing ({} prep rounds, {:.2} s)",
                f64::from(cb) * 1e6 / s.online_us.max(1) as f64,
                s.rounds[2],
                f64::from(cb) / t.elapsed().as_secs_f64(),
                s.rounds[1],
                t.elapsed().as_secs_f64()
            );
        }
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../lang/examples/auction.blind"))?;
        let compiled = synod_blind_lang::compile(&src, &Default::default()).map_err(|e| e.to_string())?;
        let program = client.store_program(compiled.bytes.clone()).await?;
        let me = client.account();
        let mut lat = Vec::new();
        for r in 0..runs {
            let t = Instant::now();
            let inputs: Vec<(String, ScalarType, ClientInput)> = compiled
                .mir
                .inputs
                .iter()
                .enumerate()
                .map(|(k, i)| (i.name.clone(), i.ty, ClientInput::Secret(Value::Int(i128::from(r) * 7 + k as i128 * 100))))
                .collect();
            let parties: Vec<(String, _)> = compiled.mir.parties.iter().map(|p| (p.clone(), me)).collect();
            let job = client.invoke(program, &inputs, &parties).await?;
            let out = client.result(job, Duration::from_secs(60)).await?;
            assert_eq!(out.values["winner"], Value::Int(3));
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "auction end to end (share 4 bids, invoke at 3 nodes, run, fetch, reconstruct): median {:.1} ms, min {:.1} ms over {runs} runs",
            lat[lat.len() / 2],
            lat[0]
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    drop(kids);
    Ok(())
}
