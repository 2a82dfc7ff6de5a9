//! The deterministic batching scheduler.
//!
//! One [`Sched`] walks the MIR DAG and keeps, per node, its value: public
//! (known, or unknown during a dry run), *poison* (depends on a division by
//! a public zero, exactly like the interpreter) or secret (a share plus a
//! [`Bound`]). Local operations are evaluated as soon as their operands are
//! there. Interactive operations become *requests*; every iteration the
//! scheduler picks one protocol kind (the one whose most urgent request has
//! the longest remaining critical path), runs **all** ready requests of that
//! kind in one batched call of the [`Backend`], and continues. Reductions
//! modulo `2^w` are inserted lazily, only where a bound says the stored
//! integer may differ from the exact value (before comparisons, equality
//! tests, divisions, widening casts, reveals and outputs, or to keep
//! products inside the field's headroom).
//!
//! Every decision depends only on the program and on public values, so all
//! members take the same decisions. The same code runs against the real
//! [`Party`](synod_mpc::Party) and against a dry backend that only counts
//! steps, rounds and preprocessing (the plan's prediction).

use ark_ff::PrimeField;
use synod_blind_lang::mir::{Mir, NodeInfo, Op, eval_op};
use synod_blind_lang::{ScalarType, Secrecy};
use synod_mpc::{IntType, KAPPA, MpcField, PrepKind, Requirements, Share, from_i128, to_i128};

use crate::bound::{Bound, bitlen};
use crate::error::{ExecError, Result};
use crate::plan::{Step, StepKind};

/// Largest magnitude (bits) an unreduced secret may reach; products that
/// would exceed it reduce their operands first. A reduction of such a value
/// opens `X + 2^(m+2) + r` with `r` of `m + 2 + κ` bits, so the field must
/// have more than `MAX_MAG + κ + 4` bits.
pub(crate) const MAX_MAG: u32 = 192;

/// Field bits the executor needs.
pub(crate) const FIELD_BITS_NEEDED: u32 = MAX_MAG + KAPPA + 5;

pub(crate) fn ceil_log2(x: u32) -> u32 {
    if x <= 1 {
        0
    } else {
        32 - (x - 1).leading_zeros()
    }
}

/// Online rounds of `ltz(x, bits)`.
pub(crate) fn ltz_rounds(bits: u32) -> u32 {
    1 + ceil_log2((bits - 1).div_ceil(8))
}

/// Online rounds of an equality test of `bits`-bit differences.
pub(crate) fn eq_rounds(bits: u32) -> u32 {
    1 + ceil_log2(bits.div_ceil(8))
}

/// Online rounds of a Euclidean division by `d >= 2`.
pub(crate) fn div_rounds(d: u64) -> u32 {
    1 + ceil_log2(bitlen(u128::from(d - 1)).div_ceil(8))
}

/// Online rounds of reducing a `w`-bit type: one opening plus the carry.
pub(crate) fn wrap_rounds(w: u32) -> u32 {
    1 + ltz_rounds(w + 1)
}

/// A public value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pub {
    Known(i128),
    /// Only in dry runs: depends on a public input or a reveal not known yet.
    Unknown,
}

/// A secret value held as a share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sv<F> {
    pub(crate) share: Share<F>,
    pub(crate) bound: Bound,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<F> {
    Pub(Pub),
    Poison(u32),
    Sec(Sv<F>),
}

/// Per-input initial data.
#[derive(Clone, Debug)]
pub(crate) enum InVals<F> {
    Public(Vec<i128>),
    PublicUnknown,
    Secret(Vec<Share<F>>),
    SecretDummy,
}

/// The protocol kinds a group can batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Mul,
    Open,
    /// Less-than-zero tests and equality tests (merged into one call).
    Cmp,
    DivRem {
        d: u64,
        signed: bool,
        bits: u32,
    },
}

impl Key {
    fn step_kind(self) -> Option<StepKind> {
        Some(match self {
            Key::Mul => StepKind::Mul,
            Key::Open => StepKind::Open,
            Key::Cmp => return None,
            Key::DivRem { d, signed, bits } => StepKind::DivRem {
                divisor: d,
                signed,
                bits,
            },
        })
    }

    fn rounds(self) -> u32 {
        match self {
            Key::Mul | Key::Open => 1,
            Key::Cmp => 0,
            Key::DivRem { d, .. } => div_rounds(d),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum ReqOp {
    /// Multiplication gate of node `i` (mul, and, or, bool eq, mux).
    Mul(u32),
    /// Open node `i`'s operand (`reveal`).
    Reveal(u32),
    /// Masked opening of a reduction of node `j`.
    WrapOpen(u32),
    /// Carry of a reduction of node `j`.
    WrapLtz(u32),
    /// Reduction of node `j` by one or two range tests (no opening).
    WrapCheap(u32),
    /// `a < b` of node `i`.
    Lt(u32),
    /// Sign of the dividend of node `i`.
    Sign(u32),
    /// Integer equality of node `i`.
    Equal(u32),
    /// Division / remainder of node `i`.
    DivRem(u32),
}

#[derive(Clone, Copy, Debug)]
struct Req {
    key: Key,
    prio: u32,
    op: ReqOp,
    /// Width: `ltz` bits, or the bits of an equality test.
    bits: u32,
}

#[derive(Clone, Copy, Debug)]
enum WrapSt<F> {
    Idle,
    Opened { r1: Share<F>, c_low: u64 },
}

/// What the scheduler needs from the MPC engine. All calls are batched and
/// never empty.
pub(crate) trait Backend<F: MpcField> {
    /// Make sure the pool covers `req` (dry: count it).
    async fn ensure(&mut self, req: &Requirements) -> Result<()>;
    async fn mul(&mut self, a: &[Share<F>], b: &[Share<F>]) -> Result<Vec<Share<F>>>;
    /// `None` in dry runs.
    async fn open(&mut self, xs: &[Share<F>]) -> Result<Option<Vec<F>>>;
    async fn ltz(&mut self, xs: &[Share<F>], bits: u32) -> Result<Vec<Share<F>>>;
    async fn equal(&mut self, a: &[Share<F>], b: &[Share<F>], bits: u32) -> Result<Vec<Share<F>>>;
    async fn div_rem(
        &mut self,
        xs: &[Share<F>],
        d: u64,
        ty: IntType,
    ) -> Result<(Vec<Share<F>>, Vec<Share<F>>)>;
    fn take_bits(&mut self, count: usize) -> Result<Vec<Share<F>>>;
    /// Online rounds used so far (dry: `None`, the formula is used).
    fn online_rounds(&self) -> Option<u64>;
}

enum Outcome<F> {
    Wait,
    Val(Val<F>),
    Req(Key, ReqOp, u32),
    NeedExact(Vec<u32>),
}

/// Operand view.
#[derive(Clone, Copy)]
struct Opnd<F> {
    share: Share<F>,
    bound: Bound,
    known: Option<i128>,
    secret: bool,
}

pub(crate) struct Sched<'p, F: MpcField> {
    mir: &'p Mir,
    info: &'p [NodeInfo],
    prio: &'p [u32],
    vals: Vec<Option<Val<F>>>,
    live: Vec<bool>,
    sign: Vec<Option<Share<F>>>,
    wrap: Vec<WrapSt<F>>,
    want_wrap: Vec<bool>,
    wanted: Vec<u32>,
    /// Steps run so far.
    pub(crate) steps: Vec<Step>,
    /// Whether any reveal result was unknown (dry run) — the prediction is
    /// then an estimate.
    pub(crate) unknown_reveals: bool,
}

fn one<F: MpcField>() -> F {
    F::one()
}

fn low_bits<F: PrimeField>(x: F, w: u32) -> u64 {
    let big = x.into_bigint();
    let lo = big.as_ref().first().copied().unwrap_or(0);
    if w >= 64 { lo } else { lo & ((1u64 << w) - 1) }
}

fn pow2<F: PrimeField>(e: u32) -> F {
    F::from(2u64).pow([u64::from(e)])
}

impl<'p, F: MpcField> Sched<'p, F> {
    pub(crate) fn new(
        mir: &'p Mir,
        info: &'p [NodeInfo],
        prio: &'p [u32],
        inputs: &[InVals<F>],
    ) -> Result<Self> {
        let n = mir.nodes.len();
        let mut vals: Vec<Option<Val<F>>> = vec![None; n];
        for (i, op) in mir.nodes.iter().enumerate() {
            if let Op::Input { input, elem } = *op {
                let ty = info[i].ty;
                let e = elem as usize;
                let v = match inputs.get(input as usize) {
                    Some(InVals::Public(v)) => Val::Pub(Pub::Known(
                        *v.get(e).ok_or(ExecError::Internal("input element"))?,
                    )),
                    Some(InVals::PublicUnknown) => Val::Pub(Pub::Unknown),
                    Some(InVals::Secret(v)) => Val::Sec(Sv {
                        share: *v.get(e).ok_or(ExecError::Internal("input element"))?,
                        bound: Bound::of_type(ty),
                    }),
                    Some(InVals::SecretDummy) => Val::Sec(Sv {
                        share: Share::zero(),
                        bound: Bound::of_type(ty),
                    }),
                    None => return Err(ExecError::Internal("missing input data")),
                };
                vals[i] = Some(v);
            }
        }
        Ok(Self {
            mir,
            info,
            prio,
            vals,
            live: vec![false; n],
            sign: vec![None; n],
            wrap: vec![WrapSt::Idle; n],
            want_wrap: vec![false; n],
            wanted: Vec::new(),
            steps: Vec::new(),
            unknown_reveals: false,
        })
    }

    /// Value of node `i` (after a run).
    pub(crate) fn val(&self, i: u32) -> Option<&Val<F>> {
        self.vals.get(i as usize).and_then(Option::as_ref)
    }

    fn secret_label(&self, i: u32) -> bool {
        self.info[i as usize].secrecy == Secrecy::Secret
    }

    fn ty(&self, i: u32) -> ScalarType {
        self.info[i as usize].ty
    }

    fn get(&self, i: u32) -> Result<Val<F>> {
        self.vals[i as usize].ok_or(ExecError::Internal("operand not ready"))
    }

    fn opnd(&self, i: u32) -> Result<Opnd<F>> {
        Ok(match self.get(i)? {
            Val::Pub(Pub::Known(v)) => Opnd {
                share: Share::constant(from_i128(v)),
                bound: Bound::point(v),
                known: Some(v),
                secret: false,
            },
            Val::Pub(Pub::Unknown) | Val::Poison(_) => Opnd {
                share: Share::zero(),
                bound: Bound::of_type(self.ty(i)),
                known: None,
                secret: false,
            },
            Val::Sec(sv) => Opnd {
                share: sv.share,
                bound: sv.bound,
                known: None,
                secret: true,
            },
        })
    }

    fn exact(&self, i: u32) -> bool {
        match self.vals[i as usize] {
            Some(Val::Sec(sv)) => sv.bound.within(self.ty(i)),
            _ => true,
        }
    }

    fn sec(share: Share<F>, bound: Bound) -> Outcome<F> {
        Outcome::Val(Val::Sec(Sv { share, bound }))
    }

    fn need_exact(&self, ops: &[u32]) -> Option<Outcome<F>> {
        let missing: Vec<u32> = ops.iter().copied().filter(|o| !self.exact(*o)).collect();
        if missing.is_empty() {
            None
        } else {
            Some(Outcome::NeedExact(missing))
        }
    }

    /// Recompute which nodes the outputs need, given the public values
    /// known now (a public `Select` with a known condition needs only the
    /// chosen branch).
    fn recompute_live(&mut self) {
        self.live.iter_mut().for_each(|l| *l = false);
        for o in &self.mir.outputs {
            for n in &o.nodes {
                self.live[*n as usize] = true;
            }
        }
        for i in (0..self.mir.nodes.len()).rev() {
            if !self.live[i] {
                continue;
            }
            let op = self.mir.nodes[i];
            if let Op::Select(c, a, b) = op
                && !self.secret_label(c)
                && let Some(Val::Pub(Pub::Known(v))) = self.vals[c as usize]
            {
                self.live[c as usize] = true;
                self.live[if v != 0 { a } else { b } as usize] = true;
                continue;
            }
            for o in op.operands() {
                self.live[o as usize] = true;
            }
        }
    }

    /// Evaluate every node that depends on public values only.
    fn public_pass(&mut self) {
        for i in 0..self.mir.nodes.len() {
            if self.vals[i].is_some() {
                continue;
            }
            let op = self.mir.nodes[i];
            if matches!(op, Op::Input { .. }) {
                continue;
            }
            let ops = op.operands();
            let public_only = ops.iter().all(|o| {
                matches!(
                    self.vals[*o as usize],
                    Some(Val::Pub(_)) | Some(Val::Poison(_))
                )
            });
            let lazy_select = matches!(op, Op::Select(c, _, _)
                if !self.secret_label(c) && matches!(self.vals[c as usize], Some(Val::Pub(Pub::Known(_)))));
            if (public_only || lazy_select)
                && let Ok(Outcome::Val(v)) = self.eval(i as u32)
            {
                self.vals[i] = Some(v);
            }
        }
    }

    /// Try to evaluate node `i`.
    fn eval(&self, i: u32) -> Result<Outcome<F>> {
        let idx = i as usize;
        let op = self.mir.nodes[idx];
        let ops = op.operands();
        // A public `Select` needs only its condition and the chosen branch.
        if let Op::Select(c, a, b) = op
            && !self.secret_label(c)
        {
            return Ok(match self.vals[c as usize] {
                None => Outcome::Wait,
                Some(Val::Poison(p)) => Outcome::Val(Val::Poison(p)),
                Some(Val::Pub(Pub::Known(v))) => {
                    match self.vals[if v != 0 { a } else { b } as usize] {
                        None => Outcome::Wait,
                        Some(x) => Outcome::Val(x),
                    }
                }
                Some(Val::Pub(Pub::Unknown)) => {
                    if self.vals[a as usize].is_none() || self.vals[b as usize].is_none() {
                        Outcome::Wait
                    } else {
                        self.unknown_select(a, b)?
                    }
                }
                Some(Val::Sec(_)) => return Err(ExecError::Internal("secret public value")),
            });
        }
        if ops.iter().any(|o| self.vals[*o as usize].is_none()) {
            return Ok(Outcome::Wait);
        }
        // Poison propagates (smallest origin), as in the interpreter.
        let poison = ops
            .iter()
            .filter_map(|o| match self.vals[*o as usize] {
                Some(Val::Poison(p)) => Some(p),
                _ => None,
            })
            .min();
        if let Some(p) = poison {
            return Ok(Outcome::Val(Val::Poison(p)));
        }
        let all_pub = ops
            .iter()
            .all(|o| matches!(self.vals[*o as usize], Some(Val::Pub(_))));
        if all_pub {
            let mut args = Vec::with_capacity(3);
            for o in &ops {
                match self.vals[*o as usize] {
                    Some(Val::Pub(Pub::Known(v))) => args.push(Some(v)),
                    _ => args.push(None),
                }
            }
            if let Op::Div(_, d) | Op::Rem(_, d) = op
                && matches!(self.vals[d as usize], Some(Val::Pub(Pub::Known(0))))
            {
                return Ok(Outcome::Val(Val::Poison(i)));
            }
            if args.iter().any(Option::is_none) {
                return Ok(Outcome::Val(Val::Pub(Pub::Unknown)));
            }
            let args: Vec<i128> = args.into_iter().flatten().collect();
            return Ok(Outcome::Val(match eval_op(&op, self.info[idx].ty, &args) {
                Ok(v) => Val::Pub(Pub::Known(v)),
                Err(_) => Val::Poison(i),
            }));
        }
        self.eval_secret(i, op)
    }

    fn unknown_select(&self, a: u32, b: u32) -> Result<Outcome<F>> {
        let (x, y) = (self.opnd(a)?, self.opnd(b)?);
        Ok(if x.secret || y.secret {
            Self::sec(Share::zero(), x.bound.hull(y.bound))
        } else {
            Outcome::Val(Val::Pub(Pub::Unknown))
        })
    }

    /// Node `i` has all operands, none poisoned, at least one secret.
    fn eval_secret(&self, i: u32, op: Op) -> Result<Outcome<F>> {
        let ty = self.ty(i);
        let one_f: F = one();
        Ok(match op {
            Op::Input { .. } | Op::Const { .. } => {
                return Err(ExecError::Internal("input or constant not preset"));
            }
            Op::Add(a, b) | Op::Sub(a, b) => {
                let (x, y) = (self.opnd(a)?, self.opnd(b)?);
                let sub = matches!(op, Op::Sub(..));
                let bound = if sub {
                    x.bound.sub(y.bound)
                } else {
                    x.bound.add(y.bound)
                };
                if bound.mag() > MAX_MAG
                    && let Some(o) = self.need_exact(&[a, b])
                {
                    return Ok(o);
                }
                let share = if sub {
                    x.share - y.share
                } else {
                    x.share + y.share
                };
                Self::sec(share, bound)
            }
            Op::Neg(a) => {
                let x = self.opnd(a)?;
                let bound = x.bound.neg();
                if bound.mag() > MAX_MAG
                    && let Some(o) = self.need_exact(&[a])
                {
                    return Ok(o);
                }
                Self::sec(-x.share, bound)
            }
            Op::Mul(a, b) => {
                let (x, y) = (self.opnd(a)?, self.opnd(b)?);
                let bound = x.bound.mul(y.bound);
                if bound.mag() > MAX_MAG
                    && let Some(o) = self.need_exact(&[a, b])
                {
                    return Ok(o);
                }
                if x.secret && y.secret {
                    return Ok(Outcome::Req(Key::Mul, ReqOp::Mul(i), 0));
                }
                let (s, c) = if x.secret { (x, y) } else { (y, x) };
                match c.known {
                    Some(0) => Outcome::Val(Val::Pub(Pub::Known(0))),
                    Some(v) => Self::sec(s.share.mul_public(from_i128(v)), bound),
                    None => Self::sec(Share::zero(), bound),
                }
            }
            Op::Div(a, d) | Op::Rem(a, d) => {
                let is_div = matches!(op, Op::Div(..));
                let x = self.opnd(a)?;
                let dv = match self.opnd(d)?.known {
                    None => {
                        // Dry run with an unknown divisor.
                        return Ok(Self::sec(Share::zero(), Bound::of_type(ty)));
                    }
                    Some(0) => return Ok(Outcome::Val(Val::Poison(i))),
                    Some(v) => v,
                };
                if dv.unsigned_abs() == 1 {
                    return Ok(if is_div {
                        Self::sec(
                            x.share.mul_public(from_i128(dv)),
                            x.bound.mul(Bound::point(dv)),
                        )
                    } else {
                        Outcome::Val(Val::Pub(Pub::Known(0)))
                    });
                }
                if let Some(o) = self.need_exact(&[a]) {
                    return Ok(o);
                }
                let (lo, hi) = x.bound.range().ok_or(ExecError::Internal("exact bound"))?;
                if ty.is_signed() && lo < 0 && hi >= 0 && self.sign[i as usize].is_none() {
                    return Ok(Outcome::Req(Key::Cmp, ReqOp::Sign(i), x.bound.ltz_bits()));
                }
                let du = u64::try_from(dv.unsigned_abs())
                    .map_err(|_| ExecError::Internal("divisor range"))?;
                Outcome::Req(
                    Key::DivRem {
                        d: du,
                        signed: ty.is_signed(),
                        bits: ty.bits(),
                    },
                    ReqOp::DivRem(i),
                    0,
                )
            }
            Op::Lt(a, b) => {
                if let Some(o) = self.need_exact(&[a, b]) {
                    return Ok(o);
                }
                let (x, y) = (self.opnd(a)?, self.opnd(b)?);
                let diff = x.bound.sub(y.bound);
                match diff.range() {
                    Some((_, hi)) if hi < 0 => Outcome::Val(Val::Pub(Pub::Known(1))),
                    Some((lo, _)) if lo >= 0 => Outcome::Val(Val::Pub(Pub::Known(0))),
                    _ => Outcome::Req(Key::Cmp, ReqOp::Lt(i), diff.ltz_bits()),
                }
            }
            Op::Eq(a, b) => {
                let (x, y) = (self.opnd(a)?, self.opnd(b)?);
                if self.ty(a) == ScalarType::Bool {
                    if x.secret && y.secret {
                        return Ok(Outcome::Req(Key::Mul, ReqOp::Mul(i), 0));
                    }
                    let (s, p) = if x.secret { (x, y) } else { (y, x) };
                    return Ok(match p.known {
                        Some(1) => Self::sec(s.share, s.bound),
                        Some(_) => Self::sec(s.share.public_sub(one_f), Bound::Range(0, 1)),
                        None => Self::sec(Share::zero(), Bound::Range(0, 1)),
                    });
                }
                if let Some(o) = self.need_exact(&[a, b]) {
                    return Ok(o);
                }
                let diff = x.bound.sub(y.bound);
                if !diff.contains_zero() {
                    Outcome::Val(Val::Pub(Pub::Known(0)))
                } else {
                    Outcome::Req(Key::Cmp, ReqOp::Equal(i), diff.eq_bits())
                }
            }
            Op::And(a, b) | Op::Or(a, b) => {
                let (x, y) = (self.opnd(a)?, self.opnd(b)?);
                if x.secret && y.secret {
                    return Ok(Outcome::Req(Key::Mul, ReqOp::Mul(i), 0));
                }
                let and = matches!(op, Op::And(..));
                let (s, p) = if x.secret { (x, y) } else { (y, x) };
                match p.known.map(|v| v != 0) {
                    None => Self::sec(Share::zero(), Bound::Range(0, 1)),
                    Some(false) if and => Outcome::Val(Val::Pub(Pub::Known(0))),
                    Some(true) if !and => Outcome::Val(Val::Pub(Pub::Known(1))),
                    Some(_) => Self::sec(s.share, s.bound),
                }
            }
            Op::Not(a) => {
                let x = self.opnd(a)?;
                Self::sec(x.share.public_sub(one_f), Bound::Range(0, 1))
            }
            Op::Select(c, a, b) => {
                let (cc, x, y) = (self.opnd(c)?, self.opnd(a)?, self.opnd(b)?);
                let bound = x.bound.hull(y.bound);
                if !cc.secret {
                    // Secret-labelled condition whose value is public.
                    return Ok(match cc.known {
                        Some(v) => Outcome::Val(self.get(if v != 0 { a } else { b })?),
                        None => self.unknown_select(a, b)?,
                    });
                }
                if x.secret || y.secret {
                    if bound.mag() + 1 > MAX_MAG
                        && let Some(o) = self.need_exact(&[a, b])
                    {
                        return Ok(o);
                    }
                    return Ok(Outcome::Req(Key::Mul, ReqOp::Mul(i), 0));
                }
                match (x.known, y.known) {
                    (Some(p), Some(q)) if p == q => Outcome::Val(Val::Pub(Pub::Known(p))),
                    (Some(p), Some(q)) => Self::sec(
                        cc.share
                            .mul_public(from_i128::<F>(p) - from_i128::<F>(q))
                            .add_public(from_i128(q)),
                        bound,
                    ),
                    _ => Self::sec(Share::zero(), bound),
                }
            }
            Op::Cast(to, a) => {
                let x = self.opnd(a)?;
                let from = self.ty(a);
                if from != ScalarType::Bool
                    && to.bits() > from.bits()
                    && let Some(o) = self.need_exact(&[a])
                {
                    return Ok(o);
                }
                Self::sec(x.share, x.bound)
            }
            Op::Reveal(a) => {
                if let Some(o) = self.need_exact(&[a]) {
                    return Ok(o);
                }
                Outcome::Req(Key::Open, ReqOp::Reveal(i), 0)
            }
        })
    }

    fn own_cost(&self, key: Key, op: ReqOp, bits: u32) -> u32 {
        match op {
            ReqOp::Sign(_) => ltz_rounds(bits) + 4,
            ReqOp::Lt(_) | ReqOp::WrapLtz(_) | ReqOp::WrapCheap(_) => ltz_rounds(bits),
            ReqOp::Equal(_) => eq_rounds(bits),
            ReqOp::WrapOpen(j) => wrap_rounds(self.ty(j).bits()),
            _ => key.rounds(),
        }
    }

    fn prio_of(&self, key: Key, op: ReqOp, bits: u32) -> u32 {
        let node = match op {
            ReqOp::Mul(i)
            | ReqOp::Reveal(i)
            | ReqOp::WrapOpen(i)
            | ReqOp::WrapLtz(i)
            | ReqOp::WrapCheap(i)
            | ReqOp::Lt(i)
            | ReqOp::Sign(i)
            | ReqOp::Equal(i)
            | ReqOp::DivRem(i) => i,
        };
        self.prio[node as usize].saturating_add(self.own_cost(key, op, bits))
    }

    /// Evaluate what is local, collect the ready requests.
    fn scan(&mut self) -> Result<Vec<Req>> {
        let mut reqs = Vec::new();
        for i in 0..self.mir.nodes.len() {
            if !self.live[i] || self.vals[i].is_some() {
                continue;
            }
            match self.eval(i as u32)? {
                Outcome::Wait => {}
                Outcome::Val(v) => self.vals[i] = Some(v),
                Outcome::Req(key, op, bits) => reqs.push(Req {
                    key,
                    prio: self.prio_of(key, op, bits),
                    op,
                    bits,
                }),
                Outcome::NeedExact(js) => {
                    for j in js {
                        if !self.want_wrap[j as usize] {
                            self.want_wrap[j as usize] = true;
                            self.wanted.push(j);
                        }
                    }
                }
            }
        }
        // Outputs must be exact.
        for o in &self.mir.outputs {
            for &j in &o.nodes {
                if !self.exact(j) && !self.want_wrap[j as usize] {
                    self.want_wrap[j as usize] = true;
                    self.wanted.push(j);
                }
            }
        }
        // Reductions.
        let mut still = Vec::with_capacity(self.wanted.len());
        for &j in &self.wanted {
            let ju = j as usize;
            if self.exact(j) {
                self.want_wrap[ju] = false;
                continue;
            }
            still.push(j);
            let (key, op, bits) = match self.wrap[ju] {
                WrapSt::Idle => match self.cheap_wrap(j) {
                    Some((_, bits)) => (Key::Cmp, ReqOp::WrapCheap(j), bits),
                    None => (Key::Open, ReqOp::WrapOpen(j), 0),
                },
                WrapSt::Opened { .. } => (Key::Cmp, ReqOp::WrapLtz(j), self.ty(j).bits() + 1),
            };
            reqs.push(Req {
                key,
                prio: self.prio_of(key, op, bits),
                op,
                bits,
            });
        }
        self.wanted = still;
        Ok(reqs)
    }

    fn done(&self) -> bool {
        self.live
            .iter()
            .zip(&self.vals)
            .all(|(l, v)| !*l || v.is_some())
    }

    /// Run to completion against `b`.
    pub(crate) async fn run<B: Backend<F>>(&mut self, b: &mut B) -> Result<()> {
        self.public_pass();
        self.recompute_live();
        loop {
            let reqs = self.scan()?;
            let Some(best) = reqs
                .iter()
                .max_by(|x, y| x.prio.cmp(&y.prio).then(y.key.cmp(&x.key)))
                .map(|r| r.key)
            else {
                return if self.done() {
                    Ok(())
                } else {
                    Err(ExecError::Internal("scheduler stuck"))
                };
            };
            let batch: Vec<Req> = reqs.into_iter().filter(|r| r.key == best).collect();
            let before = b.online_rounds();
            let (revealed, kind, formula) = self.run_group(b, best, &batch).await?;
            let rounds = match (before, b.online_rounds()) {
                (Some(x), Some(y)) => u32::try_from(y - x).unwrap_or(u32::MAX),
                _ => formula,
            };
            self.steps.push(Step {
                kind,
                batch: batch.len(),
                rounds,
            });
            if revealed {
                self.public_pass();
                self.recompute_live();
            }
        }
    }

    fn set_sec(&mut self, i: u32, share: Share<F>, bound: Bound) {
        self.vals[i as usize] = Some(Val::Sec(Sv { share, bound }));
    }

    /// A reduction of `j` without opening: when its bound lies within the
    /// type's window `[m, m + 2^w)` extended by one window on each side,
    /// the exact value is `X + 2^w [X < m] - 2^w [X >= m + 2^w]`. Returns
    /// the range tests `(boundary, is_lower)` (`ltz(X - boundary)`) and the
    /// `ltz` width they need.
    fn cheap_wrap(&self, j: u32) -> Option<(Vec<(i128, bool)>, u32)> {
        let Some(Val::Sec(sv)) = self.vals[j as usize] else {
            return None;
        };
        let (lo, hi) = sv.bound.range()?;
        let ty = self.ty(j);
        let m = ty.min_value();
        let two_w = 1i128 << ty.bits();
        let top = m + two_w;
        // At most one window below and one above (this also keeps the
        // arithmetic below far from overflow: |lo|, |hi| < 2^66).
        if lo < m - two_w || hi >= top + two_w {
            return None;
        }
        let mut tests = Vec::new();
        let mut bits = 2;
        if lo < m {
            tests.push((m, true));
            bits = bits.max(Bound::Range(lo - m, hi - m).ltz_bits());
        }
        if hi >= top {
            tests.push((top, false));
            bits = bits.max(Bound::Range(lo - top, hi - top).ltz_bits());
        }
        (bits <= 65 && !tests.is_empty()).then_some((tests, bits))
    }

    /// `(Y, w, mag)` of a pending reduction of `j`, `Y` the offset value.
    fn wrap_input(&self, j: u32) -> Result<(Share<F>, u32, u32)> {
        let Some(Val::Sec(sv)) = self.vals[j as usize] else {
            return Err(ExecError::Internal("reduction of a non-secret"));
        };
        let ty = self.ty(j);
        let w = ty.bits();
        let big_m = sv.bound.mag().max(w);
        let mut y = sv.share.add_public(pow2(big_m));
        if ty.is_signed() {
            y = y.add_public(pow2(w - 1));
        }
        Ok((y, w, big_m))
    }

    /// `Some((bits, items))` when a comparison group runs as one `ltz`
    /// call of width `bits` over `items` values (equality tests count
    /// twice); `None` when it holds only equality tests (native equality).
    fn cmp_mode(&self, batch: &[Req]) -> Result<Option<(u32, usize)>> {
        if batch.iter().all(|r| matches!(r.op, ReqOp::Equal(_))) {
            return Ok(None);
        }
        let mut bits = 2;
        let mut items = 0;
        for r in batch {
            if let ReqOp::WrapCheap(j) = r.op {
                let (tests, b) = self
                    .cheap_wrap(j)
                    .ok_or(ExecError::Internal("cheap reduction"))?;
                bits = bits.max(b);
                items += tests.len();
            } else if let ReqOp::Equal(i) = r.op {
                let Op::Eq(a, bb) = self.mir.nodes[i as usize] else {
                    return Err(ExecError::Internal("not eq"));
                };
                // The group tests both `a - b` and `b - a`.
                let diff = self.opnd(a)?.bound.sub(self.opnd(bb)?.bound);
                bits = bits.max(diff.ltz_bits_both_signs());
                items += 2;
            } else {
                bits = bits.max(r.bits);
                items += 1;
            }
        }
        Ok(Some((bits, items)))
    }

    /// Run one batched group; returns whether public values changed, the
    /// step kind and its rounds by formula.
    async fn run_group<B: Backend<F>>(
        &mut self,
        b: &mut B,
        key: Key,
        reqs: &[Req],
    ) -> Result<(bool, StepKind, u32)> {
        let ops: Vec<ReqOp> = reqs.iter().map(|r| r.op).collect();
        let mut req = Requirements::new();
        let cmp_mode = if key == Key::Cmp {
            self.cmp_mode(reqs)?
        } else {
            None
        };
        let (kind, rounds) = match key {
            Key::Cmp => match cmp_mode {
                Some((bits, items)) => {
                    req.add(PrepKind::DigitMask { bits: bits - 1 }, items as u64);
                    (StepKind::Ltz { bits }, ltz_rounds(bits))
                }
                None => {
                    let bits = reqs.iter().map(|r| r.bits).max().unwrap_or(1);
                    req.add(PrepKind::DigitMask { bits }, reqs.len() as u64);
                    (StepKind::Equal { bits }, eq_rounds(bits))
                }
            },
            Key::DivRem { d, .. } => {
                req.add(PrepKind::DivMask { divisor: d }, reqs.len() as u64);
                (
                    key.step_kind().ok_or(ExecError::Internal("kind"))?,
                    key.rounds(),
                )
            }
            _ => (
                key.step_kind().ok_or(ExecError::Internal("kind"))?,
                key.rounds(),
            ),
        };
        let r = self
            .run_group_inner(b, key, reqs, &ops, cmp_mode, req)
            .await?;
        Ok((r, kind, rounds))
    }

    async fn run_group_inner<B: Backend<F>>(
        &mut self,
        b: &mut B,
        key: Key,
        full: &[Req],
        batch: &[ReqOp],
        cmp_mode: Option<(u32, usize)>,
        mut req: Requirements,
    ) -> Result<bool> {
        let one_f: F = one();
        // Random bits of the reductions' masks.
        let mut wrap_bits = 0usize;
        if key == Key::Open {
            for op in batch {
                if let ReqOp::WrapOpen(j) = *op {
                    let (_, _, big_m) = self.wrap_input(j)?;
                    wrap_bits += (big_m + 2 + KAPPA) as usize;
                }
            }
            req.add(PrepKind::Bit, wrap_bits as u64);
        }
        b.ensure(&req).await?;
        match key {
            Key::Mul => {
                let mut xs = Vec::with_capacity(batch.len());
                let mut ys = Vec::with_capacity(batch.len());
                for op in batch {
                    match *op {
                        ReqOp::Mul(i) => match self.mir.nodes[i as usize] {
                            Op::Select(c, a, bb) => {
                                xs.push(self.opnd(c)?.share);
                                ys.push(self.opnd(a)?.share - self.opnd(bb)?.share);
                            }
                            Op::Mul(a, bb) | Op::And(a, bb) | Op::Or(a, bb) | Op::Eq(a, bb) => {
                                xs.push(self.opnd(a)?.share);
                                ys.push(self.opnd(bb)?.share);
                            }
                            _ => return Err(ExecError::Internal("not a multiplication")),
                        },
                        _ => return Err(ExecError::Internal("mul batch")),
                    }
                }
                let ps = b.mul(&xs, &ys).await?;
                for (op, p) in batch.iter().zip(ps) {
                    let ReqOp::Mul(i) = *op else { continue };
                    let (share, bound) = match self.mir.nodes[i as usize] {
                        Op::Mul(a, bb) => (p, self.opnd(a)?.bound.mul(self.opnd(bb)?.bound)),
                        Op::And(..) => (p, Bound::Range(0, 1)),
                        Op::Or(a, bb) => (
                            self.opnd(a)?.share + self.opnd(bb)?.share - p,
                            Bound::Range(0, 1),
                        ),
                        Op::Eq(a, bb) => (
                            (p + p - self.opnd(a)?.share - self.opnd(bb)?.share).add_public(one_f),
                            Bound::Range(0, 1),
                        ),
                        Op::Select(_, a, bb) => {
                            let (x, y) = (self.opnd(a)?, self.opnd(bb)?);
                            (p + y.share, x.bound.hull(y.bound))
                        }
                        _ => return Err(ExecError::Internal("not a multiplication")),
                    };
                    self.set_sec(i, share, bound);
                }
                Ok(false)
            }
            Key::Open => {
                let mut bits = b.take_bits(wrap_bits)?.into_iter();
                let mut xs = Vec::with_capacity(batch.len());
                let mut r1s = Vec::with_capacity(batch.len());
                for op in batch {
                    match *op {
                        ReqOp::Reveal(i) => {
                            let Op::Reveal(a) = self.mir.nodes[i as usize] else {
                                return Err(ExecError::Internal("not a reveal"));
                            };
                            xs.push(self.opnd(a)?.share);
                            r1s.push(Share::zero());
                        }
                        ReqOp::WrapOpen(j) => {
                            let (y, w, big_m) = self.wrap_input(j)?;
                            let l = big_m + 2 - w + KAPPA;
                            let mut r1 = Share::zero();
                            let mut wgt = one_f;
                            for bit in bits.by_ref().take(w as usize) {
                                r1 += bit.mul_public(wgt);
                                wgt.double_in_place();
                            }
                            let mut r2 = Share::zero();
                            for bit in bits.by_ref().take(l as usize) {
                                r2 += bit.mul_public(wgt);
                                wgt.double_in_place();
                            }
                            xs.push(y + r1 + r2);
                            r1s.push(r1);
                        }
                        _ => return Err(ExecError::Internal("open batch")),
                    }
                }
                let opened = b.open(&xs).await?;
                let mut revealed = false;
                for (k, op) in batch.iter().enumerate() {
                    let c = opened.as_ref().and_then(|v| v.get(k).copied());
                    match *op {
                        ReqOp::Reveal(i) => {
                            let v = match c {
                                Some(c) => {
                                    let v = to_i128(c).filter(|v| self.ty(i).fits(*v)).ok_or(
                                        ExecError::Internal("revealed value out of range"),
                                    )?;
                                    Pub::Known(v)
                                }
                                None => {
                                    self.unknown_reveals = true;
                                    Pub::Unknown
                                }
                            };
                            self.vals[i as usize] = Some(Val::Pub(v));
                            revealed = true;
                        }
                        ReqOp::WrapOpen(j) => {
                            let w = self.ty(j).bits();
                            self.wrap[j as usize] = WrapSt::Opened {
                                r1: r1s[k],
                                c_low: c.map_or(0, |c| low_bits(c, w)),
                            };
                        }
                        _ => {}
                    }
                }
                Ok(revealed)
            }
            Key::Cmp => {
                if let Some((bits, _)) = cmp_mode {
                    // One ltz call; an equality test is 1 - [a<b] - [b<a].
                    let mut xs = Vec::with_capacity(batch.len());
                    for op in batch {
                        match *op {
                            ReqOp::Lt(i) => {
                                let Op::Lt(a, bb) = self.mir.nodes[i as usize] else {
                                    return Err(ExecError::Internal("not lt"));
                                };
                                xs.push(self.opnd(a)?.share - self.opnd(bb)?.share);
                            }
                            ReqOp::Equal(i) => {
                                let Op::Eq(a, bb) = self.mir.nodes[i as usize] else {
                                    return Err(ExecError::Internal("not eq"));
                                };
                                let d = self.opnd(a)?.share - self.opnd(bb)?.share;
                                xs.push(d);
                                xs.push(-d);
                            }
                            ReqOp::Sign(i) => {
                                let (Op::Div(a, _) | Op::Rem(a, _)) = self.mir.nodes[i as usize]
                                else {
                                    return Err(ExecError::Internal("not a division"));
                                };
                                xs.push(self.opnd(a)?.share);
                            }
                            ReqOp::WrapLtz(j) => {
                                let WrapSt::Opened { r1, c_low } = self.wrap[j as usize] else {
                                    return Err(ExecError::Internal("reduction not opened"));
                                };
                                xs.push(Share::constant(F::from(c_low)) - r1);
                            }
                            ReqOp::WrapCheap(j) => {
                                let (tests, _) = self
                                    .cheap_wrap(j)
                                    .ok_or(ExecError::Internal("cheap reduction"))?;
                                let x = self.opnd(j)?.share;
                                for (boundary, _) in tests {
                                    xs.push(x.sub_public(from_i128(boundary)));
                                }
                            }
                            _ => return Err(ExecError::Internal("ltz batch")),
                        }
                    }
                    let us = b.ltz(&xs, bits).await?;
                    let mut us = us.into_iter();
                    let mut next = || us.next().ok_or(ExecError::Internal("ltz results"));
                    for op in batch {
                        match *op {
                            ReqOp::Lt(i) => {
                                let u = next()?;
                                self.set_sec(i, u, Bound::Range(0, 1));
                            }
                            ReqOp::Equal(i) => {
                                let (l1, l2) = (next()?, next()?);
                                self.set_sec(i, (-l1 - l2).add_public(one_f), Bound::Range(0, 1));
                            }
                            ReqOp::Sign(i) => self.sign[i as usize] = Some(next()?),
                            ReqOp::WrapCheap(j) => {
                                let (tests, _) = self
                                    .cheap_wrap(j)
                                    .ok_or(ExecError::Internal("cheap reduction"))?;
                                let ty = self.ty(j);
                                let two_w: F = pow2(ty.bits());
                                let mut z = self.opnd(j)?.share;
                                for (_, low) in tests {
                                    let u = next()?;
                                    // below the window: +2^w; above: -2^w
                                    z = if low {
                                        z + u.mul_public(two_w)
                                    } else {
                                        z - u.public_sub(one_f).mul_public(two_w)
                                    };
                                }
                                self.set_sec(j, z, Bound::of_type(ty));
                            }
                            ReqOp::WrapLtz(j) => {
                                let u = next()?;
                                let WrapSt::Opened { r1, c_low } = self.wrap[j as usize] else {
                                    return Err(ExecError::Internal("reduction not opened"));
                                };
                                let ty = self.ty(j);
                                let w = ty.bits();
                                let mut z = (u.mul_public(pow2(w)) - r1).add_public(F::from(c_low));
                                if ty.is_signed() {
                                    z = z.sub_public(pow2(w - 1));
                                }
                                self.set_sec(j, z, Bound::of_type(ty));
                                self.wrap[j as usize] = WrapSt::Idle;
                            }
                            _ => {}
                        }
                    }
                } else {
                    let bits = full.iter().map(|r| r.bits).max().unwrap_or(1);
                    let mut xs = Vec::with_capacity(batch.len());
                    let mut ys = Vec::with_capacity(batch.len());
                    for op in full {
                        let ReqOp::Equal(i) = op.op else {
                            return Err(ExecError::Internal("equal batch"));
                        };
                        let Op::Eq(a, bb) = self.mir.nodes[i as usize] else {
                            return Err(ExecError::Internal("not eq"));
                        };
                        xs.push(self.opnd(a)?.share);
                        ys.push(self.opnd(bb)?.share);
                    }
                    let es = b.equal(&xs, &ys, bits).await?;
                    for (op, e) in full.iter().zip(es) {
                        if let ReqOp::Equal(i) = op.op {
                            self.set_sec(i, e, Bound::Range(0, 1));
                        }
                    }
                }
                Ok(false)
            }
            Key::DivRem { d, signed, bits } => {
                let mut ys = Vec::with_capacity(batch.len());
                for op in batch {
                    let ReqOp::DivRem(i) = *op else {
                        return Err(ExecError::Internal("division batch"));
                    };
                    let (Op::Div(a, _) | Op::Rem(a, _)) = self.mir.nodes[i as usize] else {
                        return Err(ExecError::Internal("not a division"));
                    };
                    let x = self.opnd(a)?;
                    let mut y = x.share;
                    if signed {
                        let (lo, _) = x.bound.range().unwrap_or((0, 0));
                        // sign: computed, or known from the bound
                        let s = match self.sign[i as usize] {
                            Some(s) => Some(s),
                            None if lo < 0 => Some(Share::constant(one_f)),
                            None => None,
                        };
                        if let Some(s) = s {
                            y += s.mul_public(F::from(d - 1));
                        }
                    }
                    ys.push(y);
                }
                let (qs, _) = b.div_rem(&ys, d, IntType { signed, bits }).await?;
                for (op, q) in batch.iter().zip(qs) {
                    let ReqOp::DivRem(i) = *op else { continue };
                    let node = self.mir.nodes[i as usize];
                    let (Op::Div(a, dn) | Op::Rem(a, dn)) = node else {
                        continue;
                    };
                    let x = self.opnd(a)?;
                    let dv = self.opnd(dn)?.known.unwrap_or(1);
                    let (lo, hi) = x.bound.range().unwrap_or((0, 0));
                    if matches!(node, Op::Div(..)) {
                        let qt = if dv < 0 { -q } else { q };
                        let bound = Bound::point(lo / dv).hull(Bound::point(hi / dv));
                        self.set_sec(i, qt, bound);
                    } else {
                        let r = x.share - q.mul_public(F::from(d));
                        let m = i128::from(d) - 1;
                        let bound = if lo >= 0 {
                            Bound::Range(0, m.min(hi))
                        } else if hi <= 0 {
                            Bound::Range(-m.min(-lo), 0)
                        } else {
                            Bound::Range(-m, m)
                        };
                        self.set_sec(i, r, bound);
                    }
                }
                Ok(false)
            }
        }
    }
}
