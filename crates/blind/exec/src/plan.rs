//! Static planning: validation, per-node priorities, the predicted batched
//! schedule and the preprocessing it needs.

use synod_blind_lang::analysis::{self, Analysis, CostModel};
use synod_blind_lang::mir::{Mir, NodeId, NodeInfo, Op};
use synod_blind_lang::{ScalarType, Secrecy};
use synod_mpc::{Fr, PartyId, Requirements};

use crate::bound::Bound;
use crate::error::Result;
use crate::exec::{Dry, run_ready};
use crate::sched::{InVals, MAX_MAG, Sched, div_rounds, eq_rounds, ltz_rounds, wrap_rounds};

/// Kind of one batched protocol step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    /// A committee member secret-shares its own inputs (1 round).
    Input {
        /// The member.
        owner: PartyId,
    },
    /// Batched GRR multiplications (products, multiplexers, `and`/`or`,
    /// output re-randomisation), 1 round.
    Mul,
    /// Batched openings (masked values of reductions, `reveal`s), 1 round.
    Open,
    /// Batched less-than-zero tests of values of `bits` bits (comparisons,
    /// carries of reductions, signs of dividends).
    Ltz {
        /// Width of the tested values.
        bits: u32,
    },
    /// Batched equality tests of `bits`-bit differences.
    Equal {
        /// Width.
        bits: u32,
    },
    /// Batched Euclidean divisions by one public divisor.
    DivRem {
        /// Absolute value of the divisor.
        divisor: u64,
        /// Whether the dividends are signed.
        signed: bool,
        /// Width of the dividends.
        bits: u32,
    },
    /// Outputs revealed to one committee member, 1 round.
    RevealTo {
        /// The member.
        member: PartyId,
    },
}

/// One batched step of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// What it runs.
    pub kind: StepKind,
    /// How many operations are batched.
    pub batch: usize,
    /// Online rounds it costs.
    pub rounds: u32,
}

/// A validated program with its static schedule and preprocessing needs.
///
/// The schedule here is computed without knowing public inputs (public
/// `if`s keep both branches, divisors from public inputs are unknown); the
/// executor recomputes it once public inputs are known, so what it runs may
/// be shorter.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) mir: Mir,
    pub(crate) info: Vec<NodeInfo>,
    pub(crate) priority: Vec<u32>,
    pub(crate) analysis: Analysis,
    pub(crate) steps: Vec<Step>,
    pub(crate) requirements: Requirements,
    pub(crate) has_reveal: bool,
}

impl Plan {
    /// The program.
    pub fn mir(&self) -> &Mir {
        &self.mir
    }

    /// blind-lang's static analysis (default cost model, n = 3).
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The batched steps (layers) of the predicted online schedule, in
    /// order. Each step is one batched protocol call; independent
    /// operations of one kind that are ready together share it.
    pub fn layers(&self) -> &[Step] {
        &self.steps
    }

    /// Predicted online rounds (sum over [`Plan::layers`]).
    pub fn online_rounds(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.rounds)).sum()
    }

    /// Preprocessing the predicted schedule consumes.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }
}

/// Rough online cost of node `i` for scheduling priorities.
fn node_cost(mir: &Mir, info: &[NodeInfo], i: usize) -> u32 {
    let sec = |j: NodeId| info[j as usize].secrecy == Secrecy::Secret;
    let ty = |j: NodeId| info[j as usize].ty;
    match mir.nodes[i] {
        Op::Mul(a, b) | Op::And(a, b) | Op::Or(a, b) if sec(a) && sec(b) => 1,
        Op::Eq(a, b) if ty(a) == ScalarType::Bool && sec(a) && sec(b) => 1,
        Op::Eq(a, b) if ty(a) != ScalarType::Bool && (sec(a) || sec(b)) => eq_rounds(ty(a).bits()),
        Op::Select(c, a, b) if sec(c) && (sec(a) || sec(b)) => 1,
        Op::Lt(a, b) if sec(a) || sec(b) => ltz_rounds(ty(a).bits() + 1),
        Op::Div(a, d) | Op::Rem(a, d) if sec(a) => {
            let w = ty(a);
            let sign = if w.is_signed() {
                ltz_rounds(w.bits())
            } else {
                0
            };
            let div = match mir.nodes[d as usize] {
                Op::Const { value, .. } if value.unsigned_abs() > 1 => {
                    div_rounds(u64::try_from(value.unsigned_abs()).unwrap_or(u64::MAX))
                }
                Op::Const { .. } => 0,
                _ => 4,
            };
            sign + div
        }
        Op::Reveal(_) => 1,
        _ => 0,
    }
}

/// Bounds of every node without knowing public inputs (public nodes:
/// their type's range, constants exact), reducing only where the executor
/// must (widening casts, magnitude overflow).
fn static_bounds(mir: &Mir, info: &[NodeInfo]) -> Vec<Bound> {
    let mut b: Vec<Bound> = Vec::with_capacity(mir.nodes.len());
    for (i, op) in mir.nodes.iter().enumerate() {
        let ty = info[i].ty;
        let full = Bound::of_type(ty);
        let exact = |j: NodeId, b: &[Bound]| {
            let x = b[j as usize];
            if x.within(info[j as usize].ty) {
                x
            } else {
                Bound::of_type(info[j as usize].ty)
            }
        };
        let cap = |x: Bound, a: NodeId, c: NodeId, b: &[Bound], f: fn(Bound, Bound) -> Bound| {
            if x.mag() > MAX_MAG {
                f(exact(a, b), exact(c, b))
            } else {
                x
            }
        };
        let v = match *op {
            Op::Const { value, .. } => Bound::point(value),
            _ if info[i].secrecy == Secrecy::Public => full,
            Op::Input { .. } | Op::Reveal(_) => full,
            Op::Add(x, y) => cap(b[x as usize].add(b[y as usize]), x, y, &b, Bound::add),
            Op::Sub(x, y) => cap(b[x as usize].sub(b[y as usize]), x, y, &b, Bound::sub),
            Op::Mul(x, y) => cap(b[x as usize].mul(b[y as usize]), x, y, &b, Bound::mul),
            Op::Neg(x) => b[x as usize].neg(),
            Op::Div(x, d) => match mir.nodes[d as usize] {
                Op::Const { value, .. } if value != 0 => match exact(x, &b).range() {
                    Some((lo, hi)) => Bound::point(lo / value).hull(Bound::point(hi / value)),
                    None => full,
                },
                _ => full,
            },
            Op::Rem(_, _) => full,
            Op::Lt(..) | Op::Eq(..) | Op::And(..) | Op::Or(..) | Op::Not(_) => Bound::Range(0, 1),
            Op::Select(_, x, y) => b[x as usize].hull(b[y as usize]),
            Op::Cast(to, x) => {
                let from = info[x as usize].ty;
                if from != ScalarType::Bool && to.bits() > from.bits() {
                    exact(x, &b)
                } else {
                    b[x as usize]
                }
            }
        };
        b.push(v);
    }
    b
}

/// Estimated rounds to reduce a value of type `ty` with bound `b`.
fn wrap_cost(b: Bound, ty: ScalarType) -> u32 {
    if b.within(ty) {
        return 0;
    }
    if let Some((lo, hi)) = b.range() {
        let m = ty.min_value();
        let w = 1i128 << ty.bits();
        if lo >= m - w && hi < m + 2 * w {
            let bits = Bound::Range(lo - m - w, hi - m).ltz_bits();
            if bits <= 65 {
                return ltz_rounds(bits);
            }
        }
    }
    wrap_rounds(ty.bits())
}

/// Whether `op` needs its operand `o` exact (reduced).
fn needs_exact(op: &Op, o: NodeId, info: &[NodeInfo]) -> bool {
    match *op {
        Op::Lt(..) | Op::Reveal(_) => true,
        Op::Eq(a, _) => info[a as usize].ty != ScalarType::Bool,
        Op::Div(a, _) | Op::Rem(a, _) => a == o,
        Op::Cast(to, a) => {
            let from = info[a as usize].ty;
            from != ScalarType::Bool && to.bits() > from.bits()
        }
        _ => false,
    }
}

/// Longest remaining online path (rounds) after each node completes,
/// including the reductions its consumers will need.
pub(crate) fn priorities(mir: &Mir, info: &[NodeInfo]) -> Vec<u32> {
    let bounds = static_bounds(mir, info);
    let secret = |j: usize| info[j].secrecy == Secrecy::Secret;
    let mut prio = vec![0u32; mir.nodes.len()];
    for o in &mir.outputs {
        for n in &o.nodes {
            let j = *n as usize;
            let w = if secret(j) {
                wrap_cost(bounds[j], info[j].ty)
            } else {
                0
            };
            prio[j] = prio[j].max(w);
        }
    }
    for i in (0..mir.nodes.len()).rev() {
        let op = mir.nodes[i];
        let c = node_cost(mir, info, i).saturating_add(prio[i]);
        for o in op.operands() {
            let j = o as usize;
            let edge = if secret(j) && needs_exact(&op, o, info) {
                wrap_cost(bounds[j], info[j].ty)
            } else {
                0
            };
            prio[j] = prio[j].max(c.saturating_add(edge));
        }
    }
    prio
}

/// Validate `mir` and plan its execution: static priorities and a dry run
/// of the batching scheduler with every public input unknown.
pub fn plan(mir: &Mir) -> Result<Plan> {
    let info = mir.validate()?;
    let analysis = analysis::analyse(mir, &CostModel::default())?;
    let priority = priorities(mir, &info);
    let has_reveal = mir.nodes.iter().any(|n| matches!(n, Op::Reveal(_)));
    let inputs: Vec<InVals<Fr>> = mir
        .inputs
        .iter()
        .map(|d| match d.secrecy {
            Secrecy::Public => InVals::PublicUnknown,
            Secrecy::Secret => InVals::SecretDummy,
        })
        .collect();
    let (steps, requirements) = {
        let mut sched = Sched::<Fr>::new(mir, &info, &priority, &inputs)?;
        let mut dry = Dry::default();
        run_ready(sched.run(&mut dry))?;
        (sched.steps, dry.req)
    };
    Ok(Plan {
        mir: mir.clone(),
        info,
        priority,
        analysis,
        steps,
        requirements,
        has_reveal,
    })
}
