//! The canonical MIR: a typed SSA DAG of scalar operations.
//!
//! A [`Mir`] lists the parties, the inputs (each bound to a party, with a
//! secrecy label, a scalar element type and a public shape), the nodes in a
//! topological order (node `i` may only use nodes `< i`), and the outputs
//! (each bound to a party, with a shape and one node per element, row-major).
//! Arrays, functions, lambdas, `let`s and constants of the source language no
//! longer exist here: the compiler unrolls and inlines everything.
//!
//! Node types and secrecy labels are not stored; they are derived by
//! [`Mir::validate`] (secrecy is the join of the operands', `Input` takes the
//! declaration's, `Const` is public, `Reveal` is public).
//!
//! # Canonical form
//!
//! [`Mir::canonicalize`] produces the canonical form, which is what
//! [`Mir::encode`] serialises and what [`Mir::program_id`] hashes:
//!
//! * every node is reachable from an output (dead code removed);
//! * structurally equal nodes are merged (common-subexpression elimination);
//! * nodes are numbered in the post-order of a depth-first walk from the
//!   outputs (in declaration order, elements in order); operands are walked
//!   left to right, except for the commutative operations (`Add`, `Mul`,
//!   `Eq`, `And`, `Or`) whose operands are walked and stored in the order of
//!   their structural hashes, so `a + b` and `b + a` are the same node;
//! * no identity casts and no `Reveal` of a public node.
//!
//! The canonical form therefore does not depend on whitespace, comments,
//! names of local bindings and functions, the order of independent `let`s, or
//! the operand order of commutative operations. It does depend on the names,
//! order and types of parties, inputs and outputs.
//!
//! # Binary encoding (version 1)
//!
//! All integers are unsigned LEB128 with minimal length; strings are a
//! length followed by UTF-8 bytes (must be identifiers).
//!
//! ```text
//! "BLMIR" 0x01
//! n_parties  { name }
//! n_inputs   { name party:uv secrecy:u8 type:u8 rank:uv dims:uv* }
//! n_nodes    { opcode:u8 fields }          (see Op::opcode)
//! n_outputs  { name party:uv rank:uv dims:uv* node:uv* }
//! ```
//!
//! [`Mir::decode`] accepts exactly the canonical encodings: it rejects
//! trailing bytes, over-long integers, ill-typed or non-canonical graphs, so
//! `encode(decode(b)) == b` whenever decoding succeeds.

use std::collections::HashMap;
use std::fmt;

use crate::types::{ArithError, ScalarType, Secrecy};

/// Index of a node in [`Mir::nodes`].
pub type NodeId = u32;

/// One MIR operation. Operand types must agree as documented per variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Element `elem` (row-major) of input `input`.
    Input {
        /// Index into [`Mir::inputs`].
        input: u32,
        /// Flattened element index.
        elem: u32,
    },
    /// Public constant of type `ty` (value in range).
    Const {
        /// Type.
        ty: ScalarType,
        /// Value.
        value: i128,
    },
    /// Wrapping `a + b` (same integer type).
    Add(NodeId, NodeId),
    /// Wrapping `a - b`.
    Sub(NodeId, NodeId),
    /// Wrapping `a * b`.
    Mul(NodeId, NodeId),
    /// Truncating division; divisor must be public.
    Div(NodeId, NodeId),
    /// Remainder (sign of dividend); divisor must be public.
    Rem(NodeId, NodeId),
    /// Wrapping negation.
    Neg(NodeId),
    /// `a < b` (same integer type) → bool.
    Lt(NodeId, NodeId),
    /// `a == b` (same type, integer or bool) → bool.
    Eq(NodeId, NodeId),
    /// Boolean and.
    And(NodeId, NodeId),
    /// Boolean or.
    Or(NodeId, NodeId),
    /// Boolean not.
    Not(NodeId),
    /// `if c then a else b`; `c: bool`, `a`, `b` same type. With a secret
    /// condition it is a multiplexer (both branches are evaluated); with a
    /// public condition only the chosen branch needs to be evaluated.
    Select(NodeId, NodeId, NodeId),
    /// Wrapping conversion to an integer type (`bool` converts to 0/1).
    Cast(ScalarType, NodeId),
    /// Declassify a secret value (opened to all members).
    Reveal(NodeId),
}

impl Op {
    /// Opcode byte of the binary encoding.
    pub fn opcode(&self) -> u8 {
        match self {
            Op::Input { .. } => 0,
            Op::Const { .. } => 1,
            Op::Add(..) => 2,
            Op::Sub(..) => 3,
            Op::Mul(..) => 4,
            Op::Div(..) => 5,
            Op::Rem(..) => 6,
            Op::Neg(..) => 7,
            Op::Lt(..) => 8,
            Op::Eq(..) => 9,
            Op::And(..) => 10,
            Op::Or(..) => 11,
            Op::Not(..) => 12,
            Op::Select(..) => 13,
            Op::Cast(..) => 14,
            Op::Reveal(..) => 15,
        }
    }

    /// Mnemonic.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Const { .. } => "const",
            Op::Add(..) => "add",
            Op::Sub(..) => "sub",
            Op::Mul(..) => "mul",
            Op::Div(..) => "div",
            Op::Rem(..) => "rem",
            Op::Neg(..) => "neg",
            Op::Lt(..) => "lt",
            Op::Eq(..) => "eq",
            Op::And(..) => "and",
            Op::Or(..) => "or",
            Op::Not(..) => "not",
            Op::Select(..) => "select",
            Op::Cast(..) => "cast",
            Op::Reveal(..) => "reveal",
        }
    }

    /// Operands in order.
    pub fn operands(&self) -> Vec<NodeId> {
        match *self {
            Op::Input { .. } | Op::Const { .. } => vec![],
            Op::Neg(a) | Op::Not(a) | Op::Cast(_, a) | Op::Reveal(a) => vec![a],
            Op::Add(a, b)
            | Op::Sub(a, b)
            | Op::Mul(a, b)
            | Op::Div(a, b)
            | Op::Rem(a, b)
            | Op::Lt(a, b)
            | Op::Eq(a, b)
            | Op::And(a, b)
            | Op::Or(a, b) => vec![a, b],
            Op::Select(c, a, b) => vec![c, a, b],
        }
    }

    /// Same operation with operands replaced (in order) by `f`.
    pub fn map_operands(&self, mut f: impl FnMut(NodeId) -> NodeId) -> Op {
        match *self {
            Op::Input { .. } | Op::Const { .. } => *self,
            Op::Neg(a) => Op::Neg(f(a)),
            Op::Not(a) => Op::Not(f(a)),
            Op::Cast(t, a) => Op::Cast(t, f(a)),
            Op::Reveal(a) => Op::Reveal(f(a)),
            Op::Add(a, b) => Op::Add(f(a), f(b)),
            Op::Sub(a, b) => Op::Sub(f(a), f(b)),
            Op::Mul(a, b) => Op::Mul(f(a), f(b)),
            Op::Div(a, b) => Op::Div(f(a), f(b)),
            Op::Rem(a, b) => Op::Rem(f(a), f(b)),
            Op::Lt(a, b) => Op::Lt(f(a), f(b)),
            Op::Eq(a, b) => Op::Eq(f(a), f(b)),
            Op::And(a, b) => Op::And(f(a), f(b)),
            Op::Or(a, b) => Op::Or(f(a), f(b)),
            Op::Select(c, a, b) => Op::Select(f(c), f(a), f(b)),
        }
    }

    /// `Add`, `Mul`, `Eq`, `And`, `Or`.
    pub fn is_commutative(&self) -> bool {
        matches!(
            self,
            Op::Add(..) | Op::Mul(..) | Op::Eq(..) | Op::And(..) | Op::Or(..)
        )
    }

    /// Swap the two operands of a binary operation.
    fn swapped(&self) -> Op {
        match *self {
            Op::Add(a, b) => Op::Add(b, a),
            Op::Mul(a, b) => Op::Mul(b, a),
            Op::Eq(a, b) => Op::Eq(b, a),
            Op::And(a, b) => Op::And(b, a),
            Op::Or(a, b) => Op::Or(b, a),
            other => other,
        }
    }
}

/// Derived per-node type information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Result type.
    pub ty: ScalarType,
    /// Result secrecy.
    pub secrecy: Secrecy,
}

/// An input declaration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MirInput {
    /// Name (unique among inputs).
    pub name: String,
    /// Index into [`Mir::parties`].
    pub party: u32,
    /// Secrecy of every element.
    pub secrecy: Secrecy,
    /// Element type.
    pub ty: ScalarType,
    /// Array shape; empty for a scalar.
    pub shape: Vec<u32>,
}

/// An output declaration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MirOutput {
    /// Name (unique among outputs).
    pub name: String,
    /// Index into [`Mir::parties`].
    pub party: u32,
    /// Array shape; empty for a scalar.
    pub shape: Vec<u32>,
    /// One node per element, row-major.
    pub nodes: Vec<NodeId>,
}

/// Number of elements of a shape (`None` on overflow of `u32`).
pub fn shape_len(shape: &[u32]) -> Option<u32> {
    shape.iter().try_fold(1u32, |acc, d| acc.checked_mul(*d))
}

/// A MIR program.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Mir {
    /// Party names, in declaration order.
    pub parties: Vec<String>,
    /// Inputs, in declaration order.
    pub inputs: Vec<MirInput>,
    /// Nodes in topological order.
    pub nodes: Vec<Op>,
    /// Outputs, in declaration order.
    pub outputs: Vec<MirOutput>,
}

/// `blake3` of the canonical MIR encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProgramId(pub [u8; 32]);

impl fmt::Display for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProgramId({self})")
    }
}

/// MIR decoding or validation failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MirError {
    /// Input ended early.
    #[error("unexpected end of MIR bytes")]
    Truncated,
    /// Wrong magic.
    #[error("not a MIR encoding (bad magic)")]
    BadMagic,
    /// Unknown version.
    #[error("unsupported MIR version {0}")]
    UnsupportedVersion(u8),
    /// Over-long or overflowing LEB128.
    #[error("malformed integer at byte {0}")]
    BadVarint(usize),
    /// Extra bytes after the outputs.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// Unknown opcode.
    #[error("unknown opcode {0}")]
    BadOpcode(u8),
    /// Unknown type code.
    #[error("unknown scalar type code {0}")]
    BadType(u8),
    /// Unknown secrecy byte.
    #[error("unknown secrecy code {0}")]
    BadSecrecy(u8),
    /// Not a valid identifier.
    #[error("invalid name {0:?}")]
    BadName(String),
    /// Two parties, inputs or outputs with one name.
    #[error("duplicate name {0:?}")]
    DuplicateName(String),
    /// A structural or typing rule is violated.
    #[error("invalid node {node}: {reason}")]
    InvalidNode {
        /// Offending node.
        node: u32,
        /// Why.
        reason: String,
    },
    /// An input or output declaration is invalid.
    #[error("invalid declaration {name:?}: {reason}")]
    InvalidDecl {
        /// Declaration name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Valid but not in canonical form.
    #[error("MIR is not in canonical form")]
    NonCanonical,
}

fn node_err(node: usize, reason: impl Into<String>) -> MirError {
    MirError::InvalidNode {
        node: u32::try_from(node).unwrap_or(u32::MAX),
        reason: reason.into(),
    }
}

/// Whether `s` is a valid identifier that is not a keyword or type name.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::parser::KEYWORDS.contains(&s)
        && ScalarType::from_name(s).is_none()
}

/// Derive the type of `op` given the already-derived operand infos.
pub(crate) fn infer(op: &Op, inputs: &[MirInput], info: &[NodeInfo]) -> Result<NodeInfo, String> {
    let get = |id: NodeId| -> Result<NodeInfo, String> {
        info.get(id as usize)
            .copied()
            .ok_or_else(|| format!("operand {id} is not an earlier node"))
    };
    let int2 = |a: NodeId, b: NodeId| -> Result<(NodeInfo, NodeInfo), String> {
        let (x, y) = (get(a)?, get(b)?);
        if !x.ty.is_int() || x.ty != y.ty {
            return Err(format!(
                "operands must be integers of one type, found {} and {}",
                x.ty, y.ty
            ));
        }
        Ok((x, y))
    };
    let bool1 = |a: NodeId| -> Result<NodeInfo, String> {
        let x = get(a)?;
        if x.ty != ScalarType::Bool {
            return Err(format!("operand must be bool, found {}", x.ty));
        }
        Ok(x)
    };
    Ok(match *op {
        Op::Input { input, elem } => {
            let d = inputs
                .get(input as usize)
                .ok_or_else(|| format!("no input {input}"))?;
            let len = shape_len(&d.shape).ok_or("input shape overflows")?;
            if elem >= len {
                return Err(format!("element {elem} out of range for input {}", d.name));
            }
            NodeInfo {
                ty: d.ty,
                secrecy: d.secrecy,
            }
        }
        Op::Const { ty, value } => {
            if !ty.fits(value) {
                return Err(format!("constant {value} out of range for {ty}"));
            }
            NodeInfo {
                ty,
                secrecy: Secrecy::Public,
            }
        }
        Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) => {
            let (x, y) = int2(a, b)?;
            NodeInfo {
                ty: x.ty,
                secrecy: x.secrecy.join(y.secrecy),
            }
        }
        Op::Div(a, b) | Op::Rem(a, b) => {
            let (x, y) = int2(a, b)?;
            if y.secrecy != Secrecy::Public {
                return Err("divisor must be public".into());
            }
            x
        }
        Op::Neg(a) => {
            let x = get(a)?;
            if !x.ty.is_int() {
                return Err("neg of bool".into());
            }
            x
        }
        Op::Lt(a, b) => {
            let (x, y) = int2(a, b)?;
            NodeInfo {
                ty: ScalarType::Bool,
                secrecy: x.secrecy.join(y.secrecy),
            }
        }
        Op::Eq(a, b) => {
            let (x, y) = (get(a)?, get(b)?);
            if x.ty != y.ty {
                return Err(format!("eq of {} and {}", x.ty, y.ty));
            }
            NodeInfo {
                ty: ScalarType::Bool,
                secrecy: x.secrecy.join(y.secrecy),
            }
        }
        Op::And(a, b) | Op::Or(a, b) => {
            let (x, y) = (bool1(a)?, bool1(b)?);
            NodeInfo {
                ty: ScalarType::Bool,
                secrecy: x.secrecy.join(y.secrecy),
            }
        }
        Op::Not(a) => bool1(a)?,
        Op::Select(c, a, b) => {
            let c = bool1(c)?;
            let (x, y) = (get(a)?, get(b)?);
            if x.ty != y.ty {
                return Err(format!("select branches {} and {}", x.ty, y.ty));
            }
            NodeInfo {
                ty: x.ty,
                secrecy: c.secrecy.join(x.secrecy).join(y.secrecy),
            }
        }
        Op::Cast(to, a) => {
            let x = get(a)?;
            if !to.is_int() {
                return Err("cast to bool".into());
            }
            if x.ty == to {
                return Err("identity cast".into());
            }
            NodeInfo {
                ty: to,
                secrecy: x.secrecy,
            }
        }
        Op::Reveal(a) => {
            let x = get(a)?;
            if x.secrecy != Secrecy::Secret {
                return Err("reveal of a public value".into());
            }
            NodeInfo {
                ty: x.ty,
                secrecy: Secrecy::Public,
            }
        }
    })
}

/// Evaluate one non-input operation on in-range operand values.
/// `operand_ty` is the type of the first operand, `ty` the result type.
pub fn eval_op(op: &Op, ty: ScalarType, args: &[i128]) -> Result<i128, ArithError> {
    let a = |i: usize| args.get(i).copied().unwrap_or(0);
    Ok(match *op {
        Op::Input { .. } => 0,
        Op::Const { value, .. } => value,
        Op::Add(..) => ty.wrap(a(0).wrapping_add(a(1))),
        Op::Sub(..) => ty.wrap(a(0).wrapping_sub(a(1))),
        Op::Mul(..) => ty.wrap(a(0).wrapping_mul(a(1))),
        Op::Div(..) => crate::types::div(ty, a(0), a(1))?,
        Op::Rem(..) => crate::types::rem(ty, a(0), a(1))?,
        Op::Neg(..) => ty.wrap(a(0).wrapping_neg()),
        Op::Lt(..) => i128::from(a(0) < a(1)),
        Op::Eq(..) => i128::from(a(0) == a(1)),
        Op::And(..) => i128::from(a(0) != 0 && a(1) != 0),
        Op::Or(..) => i128::from(a(0) != 0 || a(1) != 0),
        Op::Not(..) => i128::from(a(0) == 0),
        Op::Select(..) => {
            if a(0) != 0 {
                a(1)
            } else {
                a(2)
            }
        }
        Op::Cast(to, _) => to.wrap(a(0)),
        Op::Reveal(..) => a(0),
    })
}

impl Mir {
    /// Check all structural and typing rules; returns per-node type info.
    pub fn validate(&self) -> Result<Vec<NodeInfo>, MirError> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.parties {
            if !is_identifier(p) {
                return Err(MirError::BadName(p.clone()));
            }
            if !seen.insert(p.as_str()) {
                return Err(MirError::DuplicateName(p.clone()));
            }
        }
        let n_parties = self.parties.len();
        let mut seen = std::collections::HashSet::new();
        for i in &self.inputs {
            if !is_identifier(&i.name) {
                return Err(MirError::BadName(i.name.clone()));
            }
            if !seen.insert(i.name.as_str()) {
                return Err(MirError::DuplicateName(i.name.clone()));
            }
            if i.party as usize >= n_parties {
                return Err(MirError::InvalidDecl {
                    name: i.name.clone(),
                    reason: "unknown party".into(),
                });
            }
            if shape_len(&i.shape).is_none() {
                return Err(MirError::InvalidDecl {
                    name: i.name.clone(),
                    reason: "shape too large".into(),
                });
            }
        }
        let mut info: Vec<NodeInfo> = Vec::with_capacity(self.nodes.len());
        for (idx, op) in self.nodes.iter().enumerate() {
            for o in op.operands() {
                if o as usize >= idx {
                    return Err(node_err(idx, format!("operand {o} is not an earlier node")));
                }
            }
            let ni = infer(op, &self.inputs, &info).map_err(|r| node_err(idx, r))?;
            info.push(ni);
        }
        let mut seen = std::collections::HashSet::new();
        for o in &self.outputs {
            if !is_identifier(&o.name) {
                return Err(MirError::BadName(o.name.clone()));
            }
            if !seen.insert(o.name.as_str()) {
                return Err(MirError::DuplicateName(o.name.clone()));
            }
            let bad = |reason: &str| MirError::InvalidDecl {
                name: o.name.clone(),
                reason: reason.into(),
            };
            if o.party as usize >= n_parties {
                return Err(bad("unknown party"));
            }
            if shape_len(&o.shape) != u32::try_from(o.nodes.len()).ok() {
                return Err(bad("shape does not match element count"));
            }
            if o.nodes.iter().any(|n| *n as usize >= self.nodes.len()) {
                return Err(bad("element refers to a missing node"));
            }
            if let Some(first) = o.nodes.first() {
                let ty = info[*first as usize].ty;
                if o.nodes.iter().any(|n| info[*n as usize].ty != ty) {
                    return Err(bad("elements of different types"));
                }
            }
        }
        Ok(info)
    }

    /// Per-node type info of a valid MIR (panics never; invalid MIR gives `Err`).
    pub fn node_info(&self) -> Result<Vec<NodeInfo>, MirError> {
        self.validate()
    }

    /// Structural hash of every node (commutative operands in sorted order).
    fn structural_hashes(&self) -> Vec<[u8; 32]> {
        let mut hashes: Vec<[u8; 32]> = Vec::with_capacity(self.nodes.len());
        for op in &self.nodes {
            let mut h = blake3::Hasher::new();
            h.update(&[op.opcode()]);
            match *op {
                Op::Input { input, elem } => {
                    h.update(&input.to_le_bytes());
                    h.update(&elem.to_le_bytes());
                }
                Op::Const { ty, value } => {
                    h.update(&[ty.code()]);
                    h.update(&ty.to_bits(value).to_le_bytes());
                }
                Op::Cast(ty, _) => {
                    h.update(&[ty.code()]);
                }
                _ => {}
            }
            let mut ops: Vec<[u8; 32]> = op
                .operands()
                .iter()
                .map(|o| hashes.get(*o as usize).copied().unwrap_or([0; 32]))
                .collect();
            if op.is_commutative() {
                ops.sort();
            }
            for o in ops {
                h.update(&o);
            }
            hashes.push(*h.finalize().as_bytes());
        }
        hashes
    }

    /// The canonical form (see the module docs). Validates first.
    pub fn canonicalize(&self) -> Result<Mir, MirError> {
        self.validate()?;
        let hashes = self.structural_hashes();
        let mut map: Vec<Option<NodeId>> = vec![None; self.nodes.len()];
        let mut by_hash: HashMap<[u8; 32], NodeId> = HashMap::new();
        let mut nodes: Vec<Op> = Vec::new();
        let mut new_hash: Vec<[u8; 32]> = Vec::new();
        let mut stack: Vec<(usize, bool)> = Vec::new();
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for out in &self.outputs {
            let mut new_out_nodes = Vec::with_capacity(out.nodes.len());
            for &root in &out.nodes {
                stack.push((root as usize, false));
                while let Some((id, expanded)) = stack.pop() {
                    if map[id].is_some() {
                        continue;
                    }
                    if let Some(&nid) = by_hash.get(&hashes[id]) {
                        map[id] = Some(nid);
                        continue;
                    }
                    let op = self.nodes[id];
                    let mut children = op.operands();
                    if op.is_commutative() {
                        children.sort_by_key(|c| hashes[*c as usize]);
                    }
                    if !expanded {
                        stack.push((id, true));
                        for c in children.iter().rev() {
                            stack.push((*c as usize, false));
                        }
                        continue;
                    }
                    let mut new_op = op.map_operands(|o| map[o as usize].unwrap_or(0));
                    if op.is_commutative() {
                        let ops = new_op.operands();
                        if ops.len() == 2 && new_hash[ops[0] as usize] > new_hash[ops[1] as usize] {
                            new_op = new_op.swapped();
                        }
                    }
                    let nid = u32::try_from(nodes.len()).map_err(|_| MirError::NonCanonical)?;
                    nodes.push(new_op);
                    new_hash.push(hashes[id]);
                    by_hash.insert(hashes[id], nid);
                    map[id] = Some(nid);
                }
                new_out_nodes.push(map[root as usize].unwrap_or(0));
            }
            outputs.push(MirOutput {
                name: out.name.clone(),
                party: out.party,
                shape: out.shape.clone(),
                nodes: new_out_nodes,
            });
        }
        Ok(Mir {
            parties: self.parties.clone(),
            inputs: self.inputs.clone(),
            nodes,
            outputs,
        })
    }

    /// Serialise (the caller should pass a canonical MIR; the compiler does).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(MAGIC);
        w.push(VERSION);
        put_uv(&mut w, self.parties.len() as u64);
        for p in &self.parties {
            put_str(&mut w, p);
        }
        put_uv(&mut w, self.inputs.len() as u64);
        for i in &self.inputs {
            put_str(&mut w, &i.name);
            put_uv(&mut w, u64::from(i.party));
            w.push(match i.secrecy {
                Secrecy::Public => 0,
                Secrecy::Secret => 1,
            });
            w.push(i.ty.code());
            put_uv(&mut w, i.shape.len() as u64);
            for d in &i.shape {
                put_uv(&mut w, u64::from(*d));
            }
        }
        put_uv(&mut w, self.nodes.len() as u64);
        for op in &self.nodes {
            w.push(op.opcode());
            match *op {
                Op::Input { input, elem } => {
                    put_uv(&mut w, u64::from(input));
                    put_uv(&mut w, u64::from(elem));
                }
                Op::Const { ty, value } => {
                    w.push(ty.code());
                    put_uv(&mut w, ty.to_bits(value));
                }
                Op::Cast(ty, a) => {
                    w.push(ty.code());
                    put_uv(&mut w, u64::from(a));
                }
                _ => {
                    for o in op.operands() {
                        put_uv(&mut w, u64::from(o));
                    }
                }
            }
        }
        put_uv(&mut w, self.outputs.len() as u64);
        for o in &self.outputs {
            put_str(&mut w, &o.name);
            put_uv(&mut w, u64::from(o.party));
            put_uv(&mut w, o.shape.len() as u64);
            for d in &o.shape {
                put_uv(&mut w, u64::from(*d));
            }
            for n in &o.nodes {
                put_uv(&mut w, u64::from(*n));
            }
        }
        w
    }

    /// `blake3(self.encode())`.
    pub fn program_id(&self) -> ProgramId {
        ProgramId(*blake3::hash(&self.encode()).as_bytes())
    }

    /// Parse, validate and check canonicality. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Mir, MirError> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(MirError::BadMagic);
        }
        let v = r.byte()?;
        if v != VERSION {
            return Err(MirError::UnsupportedVersion(v));
        }
        let n = r.count()?;
        let mut parties = Vec::with_capacity(n);
        for _ in 0..n {
            parties.push(r.string()?);
        }
        let n = r.count()?;
        let mut inputs = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.string()?;
            let party = r.u32()?;
            let secrecy = match r.byte()? {
                0 => Secrecy::Public,
                1 => Secrecy::Secret,
                b => return Err(MirError::BadSecrecy(b)),
            };
            let ty = r.ty()?;
            let shape = r.shape()?;
            inputs.push(MirInput {
                name,
                party,
                secrecy,
                ty,
                shape,
            });
        }
        let n = r.count()?;
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            let code = r.byte()?;
            let op = match code {
                0 => Op::Input {
                    input: r.u32()?,
                    elem: r.u32()?,
                },
                1 => {
                    let ty = r.ty()?;
                    let raw = r.uv()?;
                    let value = ty.from_bits(raw).ok_or(MirError::NonCanonical)?;
                    Op::Const { ty, value }
                }
                2 => Op::Add(r.u32()?, r.u32()?),
                3 => Op::Sub(r.u32()?, r.u32()?),
                4 => Op::Mul(r.u32()?, r.u32()?),
                5 => Op::Div(r.u32()?, r.u32()?),
                6 => Op::Rem(r.u32()?, r.u32()?),
                7 => Op::Neg(r.u32()?),
                8 => Op::Lt(r.u32()?, r.u32()?),
                9 => Op::Eq(r.u32()?, r.u32()?),
                10 => Op::And(r.u32()?, r.u32()?),
                11 => Op::Or(r.u32()?, r.u32()?),
                12 => Op::Not(r.u32()?),
                13 => Op::Select(r.u32()?, r.u32()?, r.u32()?),
                14 => {
                    let ty = r.ty()?;
                    Op::Cast(ty, r.u32()?)
                }
                15 => Op::Reveal(r.u32()?),
                b => return Err(MirError::BadOpcode(b)),
            };
            nodes.push(op);
        }
        let n = r.count()?;
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.string()?;
            let party = r.u32()?;
            let shape = r.shape()?;
            let len = shape_len(&shape).ok_or(MirError::Truncated)? as usize;
            if len > r.remaining() {
                return Err(MirError::Truncated);
            }
            let mut ns = Vec::with_capacity(len);
            for _ in 0..len {
                ns.push(r.u32()?);
            }
            outputs.push(MirOutput {
                name,
                party,
                shape,
                nodes: ns,
            });
        }
        if r.remaining() != 0 {
            return Err(MirError::TrailingBytes(r.remaining()));
        }
        let mir = Mir {
            parties,
            inputs,
            nodes,
            outputs,
        };
        let canon = mir.canonicalize()?;
        if canon != mir {
            return Err(MirError::NonCanonical);
        }
        Ok(mir)
    }

    /// Human-readable listing (one node per line), for debugging and docs.
    pub fn to_text(&self) -> String {
        use fmt::Write as _;
        let mut s = String::new();
        let info = self.validate().ok();
        for (i, p) in self.parties.iter().enumerate() {
            let _ = writeln!(s, "party #{i} {p}");
        }
        for (i, inp) in self.inputs.iter().enumerate() {
            let _ = writeln!(
                s,
                "input #{i} {}: {} {}{:?} from {}",
                inp.name,
                inp.secrecy,
                inp.ty,
                inp.shape,
                self.parties
                    .get(inp.party as usize)
                    .map_or("?", |p| p.as_str())
            );
        }
        for (i, op) in self.nodes.iter().enumerate() {
            let ty = info
                .as_ref()
                .and_then(|v| v.get(i))
                .map(|n| format!("{} {}", n.secrecy, n.ty))
                .unwrap_or_default();
            let args = match *op {
                Op::Input { input, elem } => format!("in{input}[{elem}]"),
                Op::Const { value, .. } => value.to_string(),
                Op::Cast(t, a) => format!("%{a} as {t}"),
                _ => op
                    .operands()
                    .iter()
                    .map(|o| format!("%{o}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let _ = writeln!(s, "%{i} = {} {args} : {ty}", op.name());
        }
        for o in &self.outputs {
            let ns: Vec<String> = o.nodes.iter().map(|n| format!("%{n}")).collect();
            let _ = writeln!(
                s,
                "output {}{:?} to {} = [{}]",
                o.name,
                o.shape,
                self.parties
                    .get(o.party as usize)
                    .map_or("?", |p| p.as_str()),
                ns.join(", ")
            );
        }
        s
    }
}

const MAGIC: &[u8] = b"BLMIR";
const VERSION: u8 = 1;

fn put_uv(w: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            w.push(byte);
            return;
        }
        w.push(byte | 0x80);
    }
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_uv(w, s.len() as u64);
    w.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MirError> {
        if n > self.remaining() {
            return Err(MirError::Truncated);
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, MirError> {
        Ok(self.take(1)?[0])
    }

    fn uv(&mut self) -> Result<u64, MirError> {
        let start = self.pos;
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let payload = u64::from(b & 0x7f);
            if shift == 63 && payload > 1 {
                return Err(MirError::BadVarint(start));
            }
            v |= payload << shift;
            if b & 0x80 == 0 {
                // Minimal encoding: no trailing zero groups.
                if b == 0 && shift > 0 {
                    return Err(MirError::BadVarint(start));
                }
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(MirError::BadVarint(start));
            }
        }
    }

    fn u32(&mut self) -> Result<u32, MirError> {
        let start = self.pos;
        u32::try_from(self.uv()?).map_err(|_| MirError::BadVarint(start))
    }

    /// A count of items that each take at least one byte.
    fn count(&mut self) -> Result<usize, MirError> {
        let n = self.uv()?;
        if n > self.remaining() as u64 {
            return Err(MirError::Truncated);
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<String, MirError> {
        let n = self.count()?;
        let bytes = self.take(n)?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| MirError::BadName(String::from_utf8_lossy(bytes).into_owned()))?;
        Ok(s.to_string())
    }

    fn ty(&mut self) -> Result<ScalarType, MirError> {
        let c = self.byte()?;
        ScalarType::from_code(c).ok_or(MirError::BadType(c))
    }

    fn shape(&mut self) -> Result<Vec<u32>, MirError> {
        let rank = self.count()?;
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(self.u32()?);
        }
        Ok(shape)
    }
}

/// Why the [`Builder`] refused a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BuildError {
    /// Ill-typed node (an internal error of the elaborator).
    Type(String),
    /// Constant folding hit a division by zero.
    DivisionByZero,
    /// Node budget exhausted.
    TooManyNodes(usize),
}

/// Hash-consing MIR builder with constant folding and small peepholes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Builder {
    pub(crate) inputs: Vec<MirInput>,
    pub(crate) nodes: Vec<Op>,
    pub(crate) info: Vec<NodeInfo>,
    dedup: HashMap<Op, NodeId>,
    pub(crate) max_nodes: usize,
}

impl Builder {
    pub(crate) fn new(max_nodes: usize) -> Builder {
        Builder {
            max_nodes,
            ..Builder::default()
        }
    }

    pub(crate) fn info(&self, id: NodeId) -> NodeInfo {
        self.info.get(id as usize).copied().unwrap_or(NodeInfo {
            ty: ScalarType::Bool,
            secrecy: Secrecy::Public,
        })
    }

    /// Value of a constant node.
    pub(crate) fn const_value(&self, id: NodeId) -> Option<i128> {
        match self.nodes.get(id as usize) {
            Some(Op::Const { value, .. }) => Some(*value),
            _ => None,
        }
    }

    pub(crate) fn push(&mut self, op: Op) -> Result<NodeId, BuildError> {
        // Peepholes (before typing: they remove non-canonical forms).
        match op {
            Op::Reveal(a)
                if self.info(a).secrecy == Secrecy::Public && (a as usize) < self.nodes.len() =>
            {
                return Ok(a);
            }
            Op::Cast(t, a) if self.info(a).ty == t && (a as usize) < self.nodes.len() => {
                return Ok(a);
            }
            Op::Select(c, a, b) => {
                if a == b {
                    return Ok(a);
                }
                if let Some(v) = self.const_value(c) {
                    return Ok(if v != 0 { a } else { b });
                }
            }
            _ => {}
        }
        let info = infer(&op, &self.inputs, &self.info).map_err(BuildError::Type)?;
        // Constant folding.
        let operands = op.operands();
        if !operands.is_empty() && !matches!(op, Op::Reveal(_)) {
            let vals: Option<Vec<i128>> = operands.iter().map(|o| self.const_value(*o)).collect();
            if let Some(vals) = vals {
                let v = eval_op(&op, info.ty, &vals).map_err(|_| BuildError::DivisionByZero)?;
                return self.push(Op::Const {
                    ty: info.ty,
                    value: v,
                });
            }
        }
        let op = if op.is_commutative() {
            let ops = op.operands();
            if ops.len() == 2 && ops[0] > ops[1] {
                op.swapped()
            } else {
                op
            }
        } else {
            op
        };
        if let Some(&id) = self.dedup.get(&op) {
            return Ok(id);
        }
        if self.nodes.len() >= self.max_nodes {
            return Err(BuildError::TooManyNodes(self.nodes.len() + 1));
        }
        let id =
            NodeId::try_from(self.nodes.len()).map_err(|_| BuildError::TooManyNodes(usize::MAX))?;
        self.nodes.push(op);
        self.info.push(info);
        self.dedup.insert(op, id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mir {
        Mir {
            parties: vec!["A".into(), "B".into()],
            inputs: vec![
                MirInput {
                    name: "x".into(),
                    party: 0,
                    secrecy: Secrecy::Secret,
                    ty: ScalarType::U32,
                    shape: vec![],
                },
                MirInput {
                    name: "y".into(),
                    party: 1,
                    secrecy: Secrecy::Public,
                    ty: ScalarType::U32,
                    shape: vec![2],
                },
            ],
            nodes: vec![
                Op::Input { input: 0, elem: 0 },
                Op::Input { input: 1, elem: 1 },
                Op::Add(1, 0),
                Op::Mul(2, 2),
                Op::Lt(0, 1),
                Op::Select(4, 3, 0),
            ],
            outputs: vec![MirOutput {
                name: "r".into(),
                party: 0,
                shape: vec![],
                nodes: vec![5],
            }],
        }
    }

    #[test]
    fn encode_decode_roundtrip() {
        let m = sample().canonicalize().expect("valid");
        let bytes = m.encode();
        let d = Mir::decode(&bytes).expect("decodes");
        assert_eq!(d, m);
        assert_eq!(d.encode(), bytes);
        assert_eq!(m.canonicalize().expect("valid"), m, "idempotent");
    }

    #[test]
    fn non_canonical_rejected() {
        let m = sample();
        // The raw sample has `Add(1, 0)` in input order and is otherwise fine;
        // whether it is canonical depends on hashes, but adding a dead node
        // makes it non-canonical for sure.
        let mut dead = m.canonicalize().expect("valid");
        dead.nodes.push(Op::Neg(0));
        assert_eq!(Mir::decode(&dead.encode()), Err(MirError::NonCanonical));
        let bytes = m.canonicalize().expect("valid").encode();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(Mir::decode(&trailing), Err(MirError::TrailingBytes(1)));
        for cut in 0..bytes.len() {
            assert!(Mir::decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn commutative_operands_are_canonical() {
        let mut a = sample();
        a.nodes[2] = Op::Add(0, 1);
        let mut b = sample();
        b.nodes[2] = Op::Add(1, 0);
        assert_eq!(
            a.canonicalize().expect("valid").program_id(),
            b.canonicalize().expect("valid").program_id()
        );
    }

    #[test]
    fn validation_rejects_ill_typed() {
        let mut m = sample();
        m.nodes[4] = Op::Lt(0, 3);
        assert!(m.validate().is_ok());
        m.nodes.push(Op::Div(0, 0));
        assert!(matches!(
            m.validate(),
            Err(MirError::InvalidNode { node: 6, .. })
        ));
        let mut m = sample();
        m.nodes[2] = Op::Add(0, 4);
        assert!(m.validate().is_err(), "bool + u32");
        let mut m = sample();
        m.nodes[2] = Op::Add(0, 2);
        assert!(m.validate().is_err(), "self reference");
    }

    #[test]
    fn varints_are_minimal() {
        let mut r = Reader {
            b: &[0x80, 0x00],
            pos: 0,
        };
        assert!(matches!(r.uv(), Err(MirError::BadVarint(0))));
        let mut w = Vec::new();
        put_uv(&mut w, u64::MAX);
        let mut r = Reader { b: &w, pos: 0 };
        assert_eq!(r.uv(), Ok(u64::MAX));
        let mut r = Reader {
            b: &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            pos: 0,
        };
        assert!(r.uv().is_err());
    }
}
