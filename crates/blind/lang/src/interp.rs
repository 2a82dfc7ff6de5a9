//! Plaintext reference interpreter over MIR: the test oracle for the MPC
//! executor and a dry-run tool.
//!
//! Semantics are those of [`crate::types`] (wrapping at declared width) and
//! [`crate::mir::eval_op`]. Runtime errors (division by a public zero) are
//! *poison* values: a public `Select` propagates only the chosen branch, so
//! `if d != 0 then x / d else 0` is fine for a public `d == 0`; a secret
//! `Select` evaluates both branches and is poisoned if either is. An output
//! that depends on a poisoned value fails the run with
//! [`RuntimeError::DivisionByZero`]. An MPC executor must behave the same
//! (it knows every public value, so it can skip dead public branches).

use std::collections::BTreeMap;
use std::fmt;

use crate::mir::{Mir, MirError, Op, eval_op, shape_len};
use crate::types::{ScalarType, Secrecy};

/// A plaintext value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer (in the range of its declared type).
    Int(i128),
    /// An array (row-major nesting).
    Array(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{it}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl From<i128> for Value {
    fn from(v: i128) -> Value {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

/// Values keyed by input or output name.
pub type NamedValues = BTreeMap<String, Value>;

/// Inputs: party name → input name → value.
pub type Inputs = BTreeMap<String, NamedValues>;

/// Outputs: party name → output name → value.
pub type Outputs = BTreeMap<String, NamedValues>;

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The MIR itself is invalid.
    #[error("invalid MIR: {0}")]
    InvalidMir(#[from] MirError),
    /// Inputs given for a party the program does not declare.
    #[error("unknown party `{0}`")]
    UnknownParty(String),
    /// An input not declared for this party.
    #[error("party `{party}` has no input `{name}`")]
    UnexpectedInput {
        /// Party.
        party: String,
        /// Input name.
        name: String,
    },
    /// A declared input was not supplied.
    #[error("missing input `{name}` from party `{party}`")]
    MissingInput {
        /// Party.
        party: String,
        /// Input name.
        name: String,
    },
    /// Value does not have the declared shape.
    #[error("input `{0}` has the wrong shape")]
    WrongShape(String),
    /// Value has the wrong scalar kind.
    #[error("input `{name}` expects {expected}")]
    WrongType {
        /// Input name.
        name: String,
        /// Declared type.
        expected: ScalarType,
    },
    /// Integer outside the declared type's range.
    #[error("input `{name}`: {value} is out of range for {ty}")]
    OutOfRange {
        /// Input name.
        name: String,
        /// The value.
        value: i128,
        /// Declared type.
        ty: ScalarType,
    },
    /// An output depends on a division by zero.
    #[error("division by zero (node {node}) needed by output `{output}`")]
    DivisionByZero {
        /// Node that divided by zero.
        node: u32,
        /// First affected output.
        output: String,
    },
}

/// Run `mir` on `inputs`.
pub fn interpret(mir: &Mir, inputs: &Inputs) -> Result<Outputs, RuntimeError> {
    let info = mir.validate()?;
    // Flatten inputs.
    for (party, vals) in inputs {
        let Some(pidx) = mir.parties.iter().position(|p| p == party) else {
            return Err(RuntimeError::UnknownParty(party.clone()));
        };
        for name in vals.keys() {
            if !mir
                .inputs
                .iter()
                .any(|i| i.name == *name && i.party as usize == pidx)
            {
                return Err(RuntimeError::UnexpectedInput {
                    party: party.clone(),
                    name: name.clone(),
                });
            }
        }
    }
    let mut flat: Vec<Vec<i128>> = Vec::with_capacity(mir.inputs.len());
    for decl in &mir.inputs {
        let party = mir
            .parties
            .get(decl.party as usize)
            .cloned()
            .unwrap_or_default();
        let v = inputs
            .get(&party)
            .and_then(|m| m.get(&decl.name))
            .ok_or_else(|| RuntimeError::MissingInput {
                party: party.clone(),
                name: decl.name.clone(),
            })?;
        let mut out = Vec::new();
        flatten_input(&decl.name, decl.ty, &decl.shape, v, &mut out)?;
        if Some(out.len() as u32) != shape_len(&decl.shape) {
            return Err(RuntimeError::WrongShape(decl.name.clone()));
        }
        flat.push(out);
    }
    // Evaluate; Err(node) is poison originating at `node`.
    let mut vals: Vec<Result<i128, u32>> = Vec::with_capacity(mir.nodes.len());
    for (i, op) in mir.nodes.iter().enumerate() {
        let ty = info[i].ty;
        let v = match *op {
            Op::Input { input, elem } => Ok(flat[input as usize][elem as usize]),
            Op::Select(c, a, b) if info[c as usize].secrecy == Secrecy::Public => {
                match vals[c as usize] {
                    Err(e) => Err(e),
                    Ok(cv) => {
                        if cv != 0 {
                            vals[a as usize]
                        } else {
                            vals[b as usize]
                        }
                    }
                }
            }
            _ => {
                let mut args = Vec::with_capacity(3);
                let mut poison = None;
                for o in op.operands() {
                    match vals[o as usize] {
                        Ok(v) => args.push(v),
                        Err(e) => {
                            poison = Some(poison.map_or(e, |p: u32| p.min(e)));
                        }
                    }
                }
                match poison {
                    Some(p) => Err(p),
                    None => eval_op(op, ty, &args).map_err(|_| i as u32),
                }
            }
        };
        vals.push(v);
    }
    let mut outputs = Outputs::new();
    for o in &mir.outputs {
        let party = mir
            .parties
            .get(o.party as usize)
            .cloned()
            .unwrap_or_default();
        let mut scalars = Vec::with_capacity(o.nodes.len());
        for n in &o.nodes {
            match vals[*n as usize] {
                Ok(v) => scalars.push((v, info[*n as usize].ty)),
                Err(node) => {
                    return Err(RuntimeError::DivisionByZero {
                        node,
                        output: o.name.clone(),
                    });
                }
            }
        }
        let mut it = scalars.into_iter();
        let value = build_value(&o.shape, &mut it);
        outputs
            .entry(party)
            .or_default()
            .insert(o.name.clone(), value);
    }
    Ok(outputs)
}

fn flatten_input(
    name: &str,
    ty: ScalarType,
    shape: &[u32],
    v: &Value,
    out: &mut Vec<i128>,
) -> Result<(), RuntimeError> {
    match (shape.split_first(), v) {
        (None, Value::Bool(b)) if ty == ScalarType::Bool => out.push(i128::from(*b)),
        (None, Value::Int(x)) if ty.is_int() => {
            if !ty.fits(*x) {
                return Err(RuntimeError::OutOfRange {
                    name: name.to_string(),
                    value: *x,
                    ty,
                });
            }
            out.push(*x);
        }
        (None, Value::Array(_)) => return Err(RuntimeError::WrongShape(name.to_string())),
        (None, _) => {
            return Err(RuntimeError::WrongType {
                name: name.to_string(),
                expected: ty,
            });
        }
        (Some((d, rest)), Value::Array(items)) => {
            if items.len() != *d as usize {
                return Err(RuntimeError::WrongShape(name.to_string()));
            }
            for it in items {
                flatten_input(name, ty, rest, it, out)?;
            }
        }
        (Some(_), _) => return Err(RuntimeError::WrongShape(name.to_string())),
    }
    Ok(())
}

fn build_value(shape: &[u32], it: &mut impl Iterator<Item = (i128, ScalarType)>) -> Value {
    match shape.split_first() {
        None => match it.next() {
            Some((v, ScalarType::Bool)) => Value::Bool(v != 0),
            Some((v, _)) => Value::Int(v),
            None => Value::Int(0),
        },
        Some((d, rest)) => Value::Array((0..*d).map(|_| build_value(rest, it)).collect()),
    }
}
