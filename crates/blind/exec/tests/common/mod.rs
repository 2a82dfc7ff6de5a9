//! Shared test harness: run a program under MPC in process and on the
//! reference interpreter.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, missing_docs)]

use rand::SeedableRng;
use rand::rngs::StdRng;
use synod_blind_exec::{
    ExecError, ExecOptions, NodeOutputs, StoredInputs, execute_with, plan, reconstruct_outputs,
    share_inputs,
};
use synod_blind_lang::mir::Mir;
use synod_blind_lang::{Inputs, Outputs};
use synod_mpc::{Fr, Params, SimOptions, Simulation};

pub struct MpcRun {
    pub outputs: Outputs,
    pub nodes: Vec<NodeOutputs<Fr>>,
    pub sim: Simulation<Fr>,
    pub params: Params,
}

/// Share every party's inputs as an outside client would.
pub fn client_shares(
    mir: &Mir,
    inputs: &Inputs,
    params: Params,
    seed: u64,
) -> Vec<StoredInputs<Fr>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc11e);
    let mut stored: Vec<StoredInputs<Fr>> = (0..params.n()).map(|_| StoredInputs::new()).collect();
    for (party, values) in inputs {
        let per = share_inputs::<Fr, _>(mir, party, values, params, &mut rng).unwrap();
        for (s, p) in stored.iter_mut().zip(per) {
            s.merge(p);
        }
    }
    stored
}

pub fn run_mpc_opts(
    mir: &Mir,
    inputs: &Inputs,
    n: usize,
    seed: u64,
    sim_opts: SimOptions,
    opts: &ExecOptions,
) -> Result<MpcRun, ExecError> {
    let params = Params::max_threshold(n).unwrap();
    let plan = plan(mir)?;
    let stored = client_shares(mir, inputs, params, seed);
    let mut sim = Simulation::<Fr>::with_options(params, seed, sim_opts).unwrap();
    let results = sim
        .run(async |p| {
            let id = p.id();
            Ok(execute_with(&plan, p, &stored[id], opts).await)
        })
        .map_err(ExecError::from)?;
    let nodes: Vec<NodeOutputs<Fr>> = results.into_iter().collect::<Result<_, _>>()?;
    let mut outputs = Outputs::new();
    for o in &mir.outputs {
        let party = &mir.parties[o.party as usize];
        if outputs.contains_key(party) {
            continue;
        }
        let mine: Vec<NodeOutputs<Fr>> = nodes.iter().map(|n| n.for_party(party)).collect();
        outputs.insert(
            party.clone(),
            reconstruct_outputs(mir, party, params, &mine)?,
        );
    }
    Ok(MpcRun {
        outputs,
        nodes,
        sim,
        params,
    })
}

pub fn run_mpc(mir: &Mir, inputs: &Inputs, n: usize, seed: u64) -> Result<MpcRun, ExecError> {
    run_mpc_opts(
        mir,
        inputs,
        n,
        seed,
        SimOptions::default(),
        &ExecOptions::default(),
    )
}

/// Poll a future that completes without waiting.
pub fn block_on<O>(fut: impl Future<Output = O>) -> O {
    use core::task::{Context, Poll, Waker};
    let mut fut = core::pin::pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(o) => o,
        Poll::Pending => panic!("future waited"),
    }
}
