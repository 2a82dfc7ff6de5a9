//! Static cost analysis of a MIR program and admission limits.
//!
//! The model (semi-honest honest-majority Shamir sharing over a large prime
//! field, GRR multiplication, Catrina–de Hoogh style sub-protocols):
//!
//! * Public nodes are computed in the clear by every member: free.
//! * Linear operations on shares (`+`, `-`, negation, `not`, multiplication
//!   by a public value, a `Select` whose branches are both public) are local:
//!   free.
//! * *Multiplication gates* — secret×secret `Mul`, `And`, `Or`, `Eq` on
//!   bools, and a secret-condition `Select` with a secret branch — cost one
//!   secure multiplication and one round each ([`CostTable::mul`]).
//! * Comparisons (`Lt`), integer equality tests, divisions/remainders by a
//!   public divisor, reductions modulo `2^w` ("wraps") and reveals cost what
//!   the [`CostTable`] says (rounds, internal multiplications, openings and
//!   preprocessing elements).
//! * Wrapping semantics are implemented lazily: arithmetic results are kept
//!   unreduced in the field and reduced (one *wrap* per node, counted once)
//!   only before a comparison, equality test, division, narrowing cast,
//!   reveal or output, or when the bound on their size would exceed the
//!   field's headroom (`field_bits - stat_security - 2` bits).
//! * `online_rounds` is the critical path through the DAG with those round
//!   costs; `mult_depth` counts multiplication gates only.
//! * Traffic: every secure multiplication and every opening moves
//!   `n·(n−1)` field elements; inputs cost `n` elements per secret element
//!   (client → members) and secret outputs `n` per element (members → party).

use crate::mir::{Mir, MirError, NodeId, Op};
use crate::types::{ScalarType, Secrecy};

/// Costs of one instance of a sub-protocol. Counts that scale with the
/// operand width `w` are `base + per_bit · w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCost {
    /// Online communication rounds.
    pub rounds: u32,
    /// Secure multiplications inside the protocol (constant part).
    pub mults: u32,
    /// Secure multiplications per operand bit.
    pub mults_per_bit: u32,
    /// Values opened (each opening is one all-to-all exchange).
    pub opens: u32,
    /// Preprocessed random shared bits, per operand bit.
    pub random_bits_per_bit: u32,
    /// Preprocessed bitwise-shared random integers.
    pub bitwise_randoms: u32,
    /// Preprocessed truncation pairs (`r`, `r >> m`).
    pub trunc_pairs: u32,
}

/// Per-operation cost table. Round counts are calibrated against the MPC
/// executor (`synod-blind-exec` on `synod-mpc`) for the widest (64-bit)
/// operands, so they bound what it measures per operation: comparison 4
/// (1 opening + 3-level carry tree), equality 4, reduction mod `2^w` 5
/// (masked opening + carry), signed division 8 (sign test + division),
/// multiplication and reveal 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostTable {
    /// One multiplication gate (GRR: 1 round, 1 multiplication).
    pub mul: OpCost,
    /// Secret comparison `a < b` (via LTZ with bit decomposition of a masked opening).
    pub compare: OpCost,
    /// Secret integer equality test.
    pub equal: OpCost,
    /// Division/remainder of a secret by a public divisor (exact).
    pub divide: OpCost,
    /// Reduction modulo `2^w` (Mod2m).
    pub wrap: OpCost,
    /// Opening a secret to all members.
    pub reveal: OpCost,
}

impl Default for CostTable {
    fn default() -> CostTable {
        let zero = OpCost {
            rounds: 0,
            mults: 0,
            mults_per_bit: 0,
            opens: 0,
            random_bits_per_bit: 0,
            bitwise_randoms: 0,
            trunc_pairs: 0,
        };
        CostTable {
            mul: OpCost {
                rounds: 1,
                mults: 1,
                ..zero
            },
            compare: OpCost {
                rounds: 4,
                mults_per_bit: 2,
                opens: 1,
                random_bits_per_bit: 1,
                bitwise_randoms: 1,
                trunc_pairs: 1,
                ..zero
            },
            equal: OpCost {
                rounds: 4,
                mults_per_bit: 1,
                opens: 1,
                random_bits_per_bit: 1,
                bitwise_randoms: 1,
                ..zero
            },
            divide: OpCost {
                rounds: 8,
                mults_per_bit: 2,
                opens: 2,
                random_bits_per_bit: 1,
                bitwise_randoms: 1,
                trunc_pairs: 1,
                ..zero
            },
            wrap: OpCost {
                rounds: 5,
                mults_per_bit: 1,
                opens: 1,
                random_bits_per_bit: 1,
                bitwise_randoms: 1,
                trunc_pairs: 1,
                ..zero
            },
            reveal: OpCost {
                rounds: 1,
                opens: 1,
                ..zero
            },
        }
    }
}

/// Parameters of the target MPC deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostModel {
    /// Per-operation costs.
    pub table: CostTable,
    /// Committee size `n`.
    pub parties: u32,
    /// Bits of the field prime.
    pub field_bits: u32,
    /// Statistical security parameter κ.
    pub stat_security: u32,
    /// Bytes per field element on the wire.
    pub element_bytes: u32,
}

impl Default for CostModel {
    fn default() -> CostModel {
        CostModel {
            table: CostTable::default(),
            parties: 3,
            field_bits: 255,
            stat_security: 40,
            element_bytes: 32,
        }
    }
}

/// Compile-time admission limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum MIR nodes after canonicalisation (the builder may create up
    /// to 4× this many before dead-code elimination).
    pub max_ops: usize,
    /// Maximum online rounds (critical path).
    pub max_depth: u32,
    /// Maximum input elements (array inputs count every element).
    pub max_inputs: usize,
    /// Maximum length of any array.
    pub max_array_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_ops: 50_000,
            max_depth: 1_000,
            max_inputs: 4_096,
            max_array_len: 4_096,
        }
    }
}

/// Preprocessing elements a program consumes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Preprocessing {
    /// Random shared bits.
    pub random_bits: u64,
    /// Bitwise-shared random integers.
    pub bitwise_randoms: u64,
    /// Truncation pairs.
    pub trunc_pairs: u64,
}

/// Result of the static analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// MIR nodes.
    pub nodes: u64,
    /// Secret input elements.
    pub secret_inputs: u64,
    /// Public input elements.
    pub public_inputs: u64,
    /// Secret×secret `Mul` nodes.
    pub secret_mults: u64,
    /// All multiplication gates (`secret_mults` + secret `and`/`or`,
    /// bool equality, secret multiplexers).
    pub mult_gates: u64,
    /// Secret comparisons.
    pub comparisons: u64,
    /// Secret integer equality tests.
    pub equality_tests: u64,
    /// Secret divisions/remainders by public divisors.
    pub divisions: u64,
    /// Reductions modulo `2^w` (truncations) for wrapping semantics.
    pub wraps: u64,
    /// Reveals.
    pub reveals: u64,
    /// Multiplicative depth (multiplication gates only).
    pub mult_depth: u32,
    /// Online rounds (critical path with the cost table).
    pub online_rounds: u32,
    /// Online rounds needed for each output.
    pub output_rounds: Vec<u32>,
    /// Secure multiplications including those inside sub-protocols.
    pub total_mults: u64,
    /// Openings including those inside sub-protocols.
    pub total_opens: u64,
    /// Preprocessing needs.
    pub preprocessing: Preprocessing,
    /// Bytes sent by clients to share their secret inputs.
    pub input_bytes: u64,
    /// Bytes exchanged among members online.
    pub online_bytes: u64,
    /// Bytes sent to output parties.
    pub output_bytes: u64,
    /// `(input + online + output) / n`: approximate bytes per member.
    pub bytes_per_member: u64,
}

struct State<'m> {
    model: &'m CostModel,
    a: Analysis,
    ready: Vec<u32>,
    depth: Vec<u32>,
    bits: Vec<u32>,
    reduced: Vec<bool>,
    reduced_ready: Vec<Option<u32>>,
    secret: Vec<bool>,
    ty: Vec<ScalarType>,
}

impl State<'_> {
    fn charge(&mut self, c: OpCost, width: u32) {
        let w = u64::from(width);
        let mults = u64::from(c.mults) + u64::from(c.mults_per_bit) * w;
        self.a.total_mults += mults;
        self.a.total_opens += u64::from(c.opens);
        self.a.preprocessing.random_bits += u64::from(c.random_bits_per_bit) * w;
        self.a.preprocessing.bitwise_randoms += u64::from(c.bitwise_randoms);
        self.a.preprocessing.trunc_pairs += u64::from(c.trunc_pairs);
    }

    fn max_bits(&self) -> u32 {
        self.model
            .field_bits
            .saturating_sub(self.model.stat_security + 2)
            .max(2)
    }

    /// Ready time of the reduced version of node `i` (charging a wrap once).
    fn reduced(&mut self, i: usize) -> u32 {
        if !self.secret[i] || self.reduced[i] {
            return self.ready[i];
        }
        if let Some(r) = self.reduced_ready[i] {
            return r;
        }
        let t = self.model.table.wrap;
        self.a.wraps += 1;
        self.charge(t, self.ty[i].bits());
        let r = self.ready[i].saturating_add(t.rounds);
        self.reduced_ready[i] = Some(r);
        r
    }

    /// Operand size bound in bits, reducing first if it exceeds `limit`.
    fn operand(&mut self, i: usize, limit: u32) -> (u32, u32) {
        if self.secret[i] && self.bits[i] > limit {
            let r = self.reduced(i);
            (r, self.ty[i].bits())
        } else {
            (self.ready[i], self.bits[i])
        }
    }
}

/// Analyse a MIR program (it is validated first).
pub fn analyse(mir: &Mir, model: &CostModel) -> Result<Analysis, MirError> {
    let info = mir.validate()?;
    let n = info.len();
    let mut s = State {
        model,
        a: Analysis {
            nodes: n as u64,
            ..Analysis::default()
        },
        ready: vec![0; n],
        depth: vec![0; n],
        bits: vec![0; n],
        reduced: vec![true; n],
        reduced_ready: vec![None; n],
        secret: info.iter().map(|i| i.secrecy == Secrecy::Secret).collect(),
        ty: info.iter().map(|i| i.ty).collect(),
    };
    for inp in &mir.inputs {
        let len = u64::from(crate::mir::shape_len(&inp.shape).unwrap_or(0));
        match inp.secrecy {
            Secrecy::Secret => s.a.secret_inputs += len,
            Secrecy::Public => s.a.public_inputs += len,
        }
    }
    let table = model.table;
    let max_bits = s.max_bits();
    for (i, op) in mir.nodes.iter().enumerate() {
        let w = s.ty[i].bits();
        s.bits[i] = w;
        let ops: Vec<usize> = op.operands().iter().map(|o| *o as usize).collect();
        let sec = |j: usize, s: &State<'_>| s.secret[j];
        let max_ready = |s: &State<'_>| ops.iter().map(|j| s.ready[*j]).max().unwrap_or(0);
        let max_depth = |s: &State<'_>| ops.iter().map(|j| s.depth[*j]).max().unwrap_or(0);
        if let Op::Reveal(x) = *op {
            let x = x as usize;
            let r = s.reduced(x);
            s.a.reveals += 1;
            s.charge(table.reveal, s.ty[x].bits());
            s.ready[i] = r.saturating_add(table.reveal.rounds);
            s.depth[i] = s.depth[x];
            continue;
        }
        if !s.secret[i] {
            // Public: computed in the clear.
            s.ready[i] = max_ready(&s);
            s.depth[i] = max_depth(&s);
            continue;
        }
        let mult_gate = |s: &mut State<'_>, ready: u32, depth: u32| {
            s.a.mult_gates += 1;
            s.charge(table.mul, w);
            s.ready[i] = ready.saturating_add(table.mul.rounds);
            s.depth[i] = depth + 1;
        };
        match *op {
            Op::Input { .. } | Op::Const { .. } => {}
            Op::Add(a, b) | Op::Sub(a, b) => {
                let (ra, ba) = s.operand(a as usize, max_bits - 1);
                let (rb, bb) = s.operand(b as usize, max_bits - 1);
                s.ready[i] = ra.max(rb);
                s.depth[i] = max_depth(&s);
                s.bits[i] = ba.max(bb) + 1;
                s.reduced[i] = false;
            }
            Op::Neg(a) => {
                s.ready[i] = s.ready[a as usize];
                s.depth[i] = s.depth[a as usize];
                s.bits[i] = s.bits[a as usize];
                s.reduced[i] = false;
            }
            Op::Mul(a, b) => {
                let (a, b) = (a as usize, b as usize);
                // Keep the product within the field's headroom.
                let (mut ra, mut ba) = (s.ready[a], s.bits[a]);
                let (mut rb, mut bb) = (s.ready[b], s.bits[b]);
                if ba + bb > max_bits {
                    let (big, small_bits) = if ba >= bb { (a, bb) } else { (b, ba) };
                    let (r, bits) = s.operand(big, max_bits.saturating_sub(small_bits).max(1));
                    if big == a {
                        (ra, ba) = (r, bits);
                    } else {
                        (rb, bb) = (r, bits);
                    }
                }
                if ba + bb > max_bits {
                    (ra, ba) = s.operand(a, 0);
                    (rb, bb) = s.operand(b, 0);
                }
                s.bits[i] = ba + bb;
                s.reduced[i] = false;
                if sec(a, &s) && sec(b, &s) {
                    s.a.secret_mults += 1;
                    let d = max_depth(&s);
                    mult_gate(&mut s, ra.max(rb), d);
                } else {
                    s.ready[i] = ra.max(rb);
                    s.depth[i] = max_depth(&s);
                }
            }
            Op::Div(a, _) | Op::Rem(a, _) => {
                let r = s.reduced(a as usize);
                s.a.divisions += 1;
                s.charge(table.divide, w);
                s.ready[i] = r.max(max_ready(&s)).saturating_add(table.divide.rounds);
                s.depth[i] = max_depth(&s);
            }
            Op::Lt(a, b) => {
                let (a, b) = (a as usize, b as usize);
                let r = s.reduced(a).max(s.reduced(b));
                s.a.comparisons += 1;
                s.charge(table.compare, s.ty[a].bits());
                s.ready[i] = r.saturating_add(table.compare.rounds);
                s.depth[i] = max_depth(&s);
            }
            Op::Eq(a, b) => {
                let (a, b) = (a as usize, b as usize);
                if s.ty[a] == ScalarType::Bool {
                    if sec(a, &s) && sec(b, &s) {
                        let (r, d) = (max_ready(&s), max_depth(&s));
                        mult_gate(&mut s, r, d);
                    } else {
                        s.ready[i] = max_ready(&s);
                        s.depth[i] = max_depth(&s);
                    }
                } else {
                    let r = s.reduced(a).max(s.reduced(b));
                    s.a.equality_tests += 1;
                    s.charge(table.equal, s.ty[a].bits());
                    s.ready[i] = r.saturating_add(table.equal.rounds);
                    s.depth[i] = max_depth(&s);
                }
            }
            Op::And(a, b) | Op::Or(a, b) => {
                if sec(a as usize, &s) && sec(b as usize, &s) {
                    let (r, d) = (max_ready(&s), max_depth(&s));
                    mult_gate(&mut s, r, d);
                } else {
                    s.ready[i] = max_ready(&s);
                    s.depth[i] = max_depth(&s);
                }
            }
            Op::Not(a) => {
                s.ready[i] = s.ready[a as usize];
                s.depth[i] = s.depth[a as usize];
            }
            Op::Select(c, a, b) => {
                let (c, a, b) = (c as usize, a as usize, b as usize);
                s.bits[i] = s.bits[a].max(s.bits[b]);
                s.reduced[i] = s.reduced[a] && s.reduced[b];
                if sec(c, &s) && (sec(a, &s) || sec(b, &s)) {
                    let (r, d) = (max_ready(&s), max_depth(&s));
                    mult_gate(&mut s, r, d);
                } else {
                    s.ready[i] = max_ready(&s);
                    s.depth[i] = max_depth(&s);
                }
            }
            Op::Cast(to, a) => {
                let a = a as usize;
                let from = s.ty[a];
                s.depth[i] = s.depth[a];
                if from.range_within(to) && s.reduced[a] {
                    s.ready[i] = s.ready[a];
                    s.bits[i] = s.bits[a];
                } else if from.range_within(to) {
                    // Reduce at the source width: the result is then in range.
                    s.ready[i] = s.reduced(a);
                } else {
                    // Narrowing or sign change: one reduction at the target width.
                    s.a.wraps += 1;
                    s.charge(table.wrap, to.bits());
                    let (r, _) = s.operand(a, max_bits);
                    s.ready[i] = r.saturating_add(table.wrap.rounds);
                }
            }
            Op::Reveal(_) => {}
        }
    }
    let mut rounds = 0;
    let mut outs = Vec::with_capacity(mir.outputs.len());
    let mut secret_out_elems = 0u64;
    for o in &mir.outputs {
        let mut r = 0;
        for &node in &o.nodes {
            let node = node as usize;
            if s.secret[node] {
                secret_out_elems += 1;
            }
            r = r.max(s.reduced(node));
        }
        rounds = rounds.max(r);
        outs.push(r);
    }
    let mut a = s.a;
    a.output_rounds = outs;
    a.online_rounds = rounds;
    a.mult_depth = mir
        .outputs
        .iter()
        .flat_map(|o| o.nodes.iter())
        .map(|nid: &NodeId| s.depth[*nid as usize])
        .max()
        .unwrap_or(0);
    let n = u64::from(model.parties.max(1));
    let e = u64::from(model.element_bytes);
    a.input_bytes = a.secret_inputs.saturating_mul(n).saturating_mul(e);
    a.online_bytes = (a.total_mults.saturating_add(a.total_opens))
        .saturating_mul(n)
        .saturating_mul(n - 1)
        .saturating_mul(e);
    a.output_bytes = secret_out_elems.saturating_mul(n).saturating_mul(e);
    a.bytes_per_member = a
        .input_bytes
        .saturating_add(a.online_bytes)
        .saturating_add(a.output_bytes)
        / n;
    Ok(a)
}

/// Which limit an analysed program violates, if any:
/// `(what, value, max, index of the offending output if any)`.
pub fn check_limits(
    a: &Analysis,
    limits: &Limits,
) -> Option<(&'static str, u64, u64, Option<usize>)> {
    if a.nodes > limits.max_ops as u64 {
        return Some(("MIR operations", a.nodes, limits.max_ops as u64, None));
    }
    if a.online_rounds > limits.max_depth {
        let worst = a
            .output_rounds
            .iter()
            .enumerate()
            .max_by_key(|(_, r)| **r)
            .map(|(i, _)| i);
        return Some((
            "online rounds",
            u64::from(a.online_rounds),
            u64::from(limits.max_depth),
            worst,
        ));
    }
    let inputs = a.secret_inputs + a.public_inputs;
    if inputs > limits.max_inputs as u64 {
        return Some(("input elements", inputs, limits.max_inputs as u64, None));
    }
    None
}
