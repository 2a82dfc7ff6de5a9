//! The sealed-bid auction end to end in process (n = 3): client sharing,
//! preprocessing, online MPC, client reconstruction. Prints the rounds and
//! traffic of one run first.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use synod_blind_exec::{
    NodeOutputs, Plan, StoredInputs, execute, plan, reconstruct_outputs, share_inputs,
};
use synod_blind_lang::interp::NamedValues;
use synod_blind_lang::{Compiled, Inputs, Options, Value, compile};
use synod_mpc::{Fr, Params, Simulation};

const AUCTION: &str = include_str!("../../lang/examples/auction.blind");

fn inputs() -> Inputs {
    let mut m = Inputs::new();
    for (i, bid) in [1_000i128, 4_200, 700, 4_100].into_iter().enumerate() {
        m.entry(format!("Bidder{i}"))
            .or_default()
            .insert(format!("bid{i}"), Value::Int(bid));
    }
    m
}

fn share_all(p: &Compiled, ins: &Inputs, params: Params) -> Vec<StoredInputs<Fr>> {
    let mut rng = StdRng::seed_from_u64(1);
    let mut stored: Vec<StoredInputs<Fr>> = (0..params.n()).map(|_| StoredInputs::new()).collect();
    for (party, values) in ins {
        for (s, x) in stored
            .iter_mut()
            .zip(share_inputs::<Fr, _>(&p.mir, party, values, params, &mut rng).unwrap())
        {
            s.merge(x);
        }
    }
    stored
}

fn online(
    sim: &mut Simulation<Fr>,
    plan: &Plan,
    stored: &[StoredInputs<Fr>],
) -> Vec<NodeOutputs<Fr>> {
    sim.run(async |p| {
        let id = p.id();
        Ok(execute(plan, p, &stored[id]).await.unwrap())
    })
    .unwrap()
}

fn end_to_end(p: &Compiled, plan: &Plan, ins: &Inputs, params: Params) -> NamedValues {
    let stored = share_all(p, ins, params);
    let mut sim = Simulation::<Fr>::new(params, 7).unwrap();
    let nodes = online(&mut sim, plan, &stored);
    let mine: Vec<_> = nodes.iter().map(|n| n.for_party("Seller")).collect();
    reconstruct_outputs(&p.mir, "Seller", params, &mine).unwrap()
}

fn bench(c: &mut Criterion) {
    let p = compile(AUCTION, &Options::default()).unwrap();
    let plan = plan(&p.mir).unwrap();
    let params = Params::new(3, 1).unwrap();
    let ins = inputs();
    assert_eq!(
        end_to_end(&p, &plan, &ins, params),
        p.run(&ins).unwrap()["Seller"]
    );
    {
        let stored = share_all(&p, &ins, params);
        let mut sim = Simulation::<Fr>::new(params, 7).unwrap();
        let t0 = sim.network().stats();
        let req = plan.requirements().clone();
        sim.run(async |p| p.preprocess(&req).await).unwrap();
        let t1 = sim.network().stats();
        let nodes = online(&mut sim, &plan, &stored);
        let t2 = sim.network().stats();
        let s = &nodes[0].stats;
        eprintln!(
            "auction n=3: online rounds {} (predicted {}, analyser {}) in {} batched steps, \
             {} messages / {} bytes; preprocessing {} messages / {} bytes ({:?})",
            s.rounds.online,
            s.predicted_online_rounds,
            s.analysis_online_rounds,
            s.steps.len(),
            t2.messages - t1.messages,
            t2.bytes - t1.bytes,
            t1.messages - t0.messages,
            t1.bytes - t0.bytes,
            req,
        );
    }
    let mut g = c.benchmark_group("auction_n3");
    g.sample_size(10);
    g.bench_function("end_to_end", |b| {
        b.iter(|| black_box(end_to_end(&p, &plan, &ins, params)));
    });
    let stored = share_all(&p, &ins, params);
    g.bench_function("online_only", |b| {
        b.iter_batched(
            || {
                let mut sim = Simulation::<Fr>::new(params, 7).unwrap();
                let req = plan.requirements().clone();
                sim.run(async |p| p.preprocess(&req).await).unwrap();
                sim
            },
            |mut sim| black_box(online(&mut sim, &plan, &stored)),
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
