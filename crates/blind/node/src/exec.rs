//! Job execution at one member: programs (through `synod-blind-exec`) and
//! the built-in benchmark jobs.

use std::collections::BTreeMap;
use std::time::Instant;

use synod_blind_exec::{InputData, OutputData, StoredInputs};
use synod_blind_lang::{Mir, ScalarType};
use synod_mpc::{Fr, IntType, Party, Requirements, Share, from_i128, to_i128};

use crate::error::BlindError;
use crate::mesh::JobTransport;
use crate::types::{BenchKind, JobStats};

/// The party type jobs run with.
pub type JobParty = Party<Fr, JobTransport>;

/// One input value of a job at this member.
#[derive(Clone)]
pub struct JobInput {
    /// Public values are plaintext; secret ones are this member's shares.
    pub public: bool,
    /// Elements, row-major.
    pub elements: Vec<Fr>,
}

impl std::fmt::Debug for JobInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "JobInput(public: {}, len: {})",
            self.public,
            self.elements.len()
        )
    }
}

/// One output of a job at this member.
#[derive(Clone)]
pub struct JobOutput {
    /// Output name.
    pub name: String,
    /// Whether `elements` are plaintext (a revealed value) or shares.
    pub public: bool,
    /// Elements, row-major.
    pub elements: Vec<Fr>,
}

fn mpc(e: synod_mpc::MpcError) -> BlindError {
    BlindError::JobFailed(e.to_string())
}

/// Run a program's MIR on this member's inputs (input name → value).
/// Returns one entry per MIR output, in declaration order.
///
/// This is the single seam to the executor crate (`synod-blind-exec`):
/// every program party is an outside client, so secret outputs come back as
/// this member's shares and public outputs as values.
pub async fn run_program(
    mir: &Mir,
    party: &mut JobParty,
    inputs: BTreeMap<String, JobInput>,
) -> Result<Vec<JobOutput>, BlindError> {
    let plan =
        synod_blind_exec::plan(mir).map_err(|e| BlindError::JobFailed(format!("plan: {e}")))?;
    let mut stored = StoredInputs::<Fr>::new();
    for (name, input) in inputs {
        let data = if input.public {
            let vals = input
                .elements
                .iter()
                .map(|x| to_i128(*x))
                .collect::<Option<Vec<i128>>>()
                .ok_or_else(|| {
                    BlindError::Invalid(format!("public input `{name}` out of range"))
                })?;
            InputData::Public(vals)
        } else {
            InputData::Secret(input.elements.into_iter().map(Share::from_raw).collect())
        };
        stored.insert(name, data);
    }
    party.setup().await.map_err(mpc)?;
    let out = synod_blind_exec::execute(&plan, party, &stored)
        .await
        .map_err(|e| BlindError::JobFailed(e.to_string()))?;
    out.outputs
        .into_iter()
        .map(|o| {
            let (public, elements) = match o.data {
                OutputData::Public(v) | OutputData::Revealed(v) => {
                    (true, v.into_iter().map(from_i128).collect())
                }
                OutputData::Shares(s) => (false, s.iter().map(Share::raw).collect()),
                OutputData::Withheld => {
                    return Err(BlindError::JobFailed(format!(
                        "output `{}` was withheld",
                        o.name
                    )));
                }
            };
            Ok(JobOutput {
                name: o.name,
                public,
                elements,
            })
        })
        .collect()
}

/// Run a built-in benchmark: `reps` rounds of `count` operations on random
/// (multiplication) or public-valued (comparison) shared operands.
pub async fn run_bench(
    party: &mut JobParty,
    kind: BenchKind,
    count: u32,
    reps: u32,
) -> Result<JobStats, BlindError> {
    let count = count as usize;
    let start = Instant::now();
    party.setup().await.map_err(mpc)?;
    let mut stats = JobStats::default();
    match kind {
        BenchKind::Mul => {
            let a = party.random(count).map_err(mpc)?;
            let mut b = party.random(count).map_err(mpc)?;
            let online = Instant::now();
            for _ in 0..reps {
                b = party.mul(&a, &b).await.map_err(mpc)?;
            }
            stats.online_us = online.elapsed().as_micros() as u64;
            stats.operations = count as u64 * u64::from(reps);
        }
        BenchKind::Compare | BenchKind::Compare64 => {
            let ty = if kind == BenchKind::Compare {
                IntType::U32
            } else {
                IntType::I64
            };
            let total = count * reps as usize;
            party
                .preprocess(&Requirements::compare(ty, total as u64))
                .await
                .map_err(mpc)?;
            let x: Vec<Share<Fr>> = (0..count)
                .map(|k| Share::constant(from_i128((k % 1000) as i128)))
                .collect();
            let y: Vec<Share<Fr>> = (0..count)
                .map(|_| Share::constant(from_i128(500)))
                .collect();
            let online = Instant::now();
            for _ in 0..reps {
                party.lt(&x, &y, ty).await.map_err(mpc)?;
            }
            stats.online_us = online.elapsed().as_micros() as u64;
            stats.operations = total as u64;
        }
    }
    let r = party.rounds();
    stats.rounds = [r.setup, r.preprocessing, r.online];
    stats.total_us = start.elapsed().as_micros() as u64;
    Ok(stats)
}

/// Encode a plaintext integer or boolean of type `ty` as a field element.
pub fn encode_scalar(ty: ScalarType, v: i128) -> Fr {
    let _ = ty;
    from_i128(v)
}
