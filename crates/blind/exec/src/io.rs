//! Inputs and outputs of a run, and the client-side helpers.
//!
//! * A client that is **not** a committee member secret-shares its inputs
//!   with [`share_inputs`] and hands node `i` the `i`-th [`StoredInputs`];
//!   each node merges what all clients sent ([`StoredInputs::merge`]) and
//!   passes it to [`crate::execute`]. Public inputs travel in the clear and
//!   are identical at every node.
//! * A node returns [`NodeOutputs`]: for every output either the public
//!   value, its own share of a secret output, or (outputs bound to a
//!   committee member) the plaintext at that member only. The output
//!   party's client collects the shares of its outputs from the nodes
//!   ([`NodeOutputs::for_party`]) and calls [`reconstruct_outputs`].

use std::collections::BTreeMap;

use rand::CryptoRng;
use synod_blind_lang::interp::NamedValues;
use synod_blind_lang::mir::{Mir, shape_len};
use synod_blind_lang::{ScalarType, Secrecy, Value};
use synod_mpc::shamir::{self, Params, PartyId};
use synod_mpc::{MpcField, RoundStats, Share, from_i128, to_i128};

use crate::error::{ExecError, Result};
use crate::plan::Step;

/// The data of one input declaration as a node holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputData<F> {
    /// This node's shares of a secret input, one per element (row-major).
    Secret(Vec<Share<F>>),
    /// A public input's values (the same at every node), one per element;
    /// booleans are 0/1.
    Public(Vec<i128>),
}

impl<F> InputData<F> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            InputData::Secret(v) => v.len(),
            InputData::Public(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Input data held by one node, keyed by input name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredInputs<F> {
    inputs: BTreeMap<String, InputData<F>>,
}

impl<F> Default for StoredInputs<F> {
    fn default() -> Self {
        Self {
            inputs: BTreeMap::new(),
        }
    }
}

impl<F> StoredInputs<F> {
    /// Nothing stored.
    pub fn new() -> Self {
        Self::default()
    }

    /// Store the data of input `name` (replacing earlier data).
    pub fn insert(&mut self, name: impl Into<String>, data: InputData<F>) -> Option<InputData<F>> {
        self.inputs.insert(name.into(), data)
    }

    /// Add everything from `other` (e.g. another client's submission).
    pub fn merge(&mut self, other: StoredInputs<F>) -> &mut Self {
        self.inputs.extend(other.inputs);
        self
    }

    /// Data of input `name`.
    pub fn get(&self, name: &str) -> Option<&InputData<F>> {
        self.inputs.get(name)
    }

    /// Iterate over `(name, data)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &InputData<F>)> + '_ {
        self.inputs.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// What a node returns for one output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputData<F> {
    /// The output is public: its values (booleans 0/1).
    Public(Vec<i128>),
    /// This node's shares of a secret output, for the output party's
    /// client.
    Shares(Vec<Share<F>>),
    /// The output party is bound to this committee member: the plaintext.
    Revealed(Vec<i128>),
    /// The output party is bound to another committee member: nothing.
    Withheld,
}

/// One output as returned by a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeOutput<F> {
    /// Output name.
    pub name: String,
    /// Name of the party that receives it.
    pub party: String,
    /// The data.
    pub data: OutputData<F>,
}

/// Per-run figures reported by a node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecStats {
    /// Rounds this run used, by phase (difference of the party's counters).
    pub rounds: RoundStats,
    /// Online rounds the executor's own schedule predicted before the
    /// online phase (exact unless control flow depends on `reveal`).
    pub predicted_online_rounds: u64,
    /// Online-round estimate of blind-lang's static analyser.
    pub analysis_online_rounds: u64,
    /// The batched protocol steps actually run, in order.
    pub steps: Vec<Step>,
}

/// Everything one node returns from a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeOutputs<F> {
    /// The committee member that produced this.
    pub node: PartyId,
    /// All outputs in declaration order.
    pub outputs: Vec<NodeOutput<F>>,
    /// Figures of the run.
    pub stats: ExecStats,
}

impl<F: Clone> NodeOutputs<F> {
    /// Only the outputs of program party `party` (what the node sends to
    /// that party's client).
    pub fn for_party(&self, party: &str) -> NodeOutputs<F> {
        NodeOutputs {
            node: self.node,
            outputs: self
                .outputs
                .iter()
                .filter(|o| o.party == party)
                .cloned()
                .collect(),
            stats: self.stats.clone(),
        }
    }
}

/// Flatten a plaintext value of declaration `(ty, shape)` row-major,
/// checking kind, shape and range.
pub(crate) fn flatten_value(
    name: &str,
    ty: ScalarType,
    shape: &[u32],
    v: &Value,
    out: &mut Vec<i128>,
) -> Result<()> {
    let expected = shape_len(shape).unwrap_or(0) as usize;
    let shape_err = |actual: usize| ExecError::WrongShape {
        name: name.to_string(),
        expected,
        actual,
    };
    match (shape.split_first(), v) {
        (None, Value::Bool(b)) if ty == ScalarType::Bool => out.push(i128::from(*b)),
        (None, Value::Int(x)) if ty.is_int() => {
            if !ty.fits(*x) {
                return Err(ExecError::OutOfRange {
                    name: name.to_string(),
                    value: *x,
                    ty,
                });
            }
            out.push(*x);
        }
        (None, Value::Array(items)) => return Err(shape_err(items.len())),
        (None, _) => {
            return Err(ExecError::WrongType {
                name: name.to_string(),
                expected: ty,
            });
        }
        (Some((d, rest)), Value::Array(items)) => {
            if items.len() != *d as usize {
                return Err(shape_err(items.len()));
            }
            for it in items {
                flatten_value(name, ty, rest, it, out)?;
            }
        }
        (Some(_), _) => return Err(shape_err(1)),
    }
    Ok(())
}

/// Client side: check `values` (all inputs of program party `party`, by
/// name) against the program and secret-share every secret element with a
/// fresh degree-`t` polynomial. Returns one [`StoredInputs`] per committee
/// member (index = member id); public inputs appear in the clear in all of
/// them. The client keeps nothing; any `t` of the returned bundles reveal
/// nothing about the secret values.
pub fn share_inputs<F: MpcField, R: CryptoRng + ?Sized>(
    mir: &Mir,
    party: &str,
    values: &NamedValues,
    params: Params,
    rng: &mut R,
) -> Result<Vec<StoredInputs<F>>> {
    let pidx = mir
        .parties
        .iter()
        .position(|p| p == party)
        .ok_or_else(|| ExecError::UnknownParty(party.to_string()))?;
    for name in values.keys() {
        if !mir
            .inputs
            .iter()
            .any(|i| i.name == *name && i.party as usize == pidx)
        {
            return Err(ExecError::UnexpectedInput(name.clone()));
        }
    }
    let n = params.n();
    let mut out: Vec<StoredInputs<F>> = (0..n).map(|_| StoredInputs::new()).collect();
    for decl in mir.inputs.iter().filter(|i| i.party as usize == pidx) {
        let v = values
            .get(&decl.name)
            .ok_or_else(|| ExecError::MissingInput(decl.name.clone()))?;
        let mut flat = Vec::new();
        flatten_value(&decl.name, decl.ty, &decl.shape, v, &mut flat)?;
        match decl.secrecy {
            Secrecy::Public => {
                for o in out.iter_mut() {
                    o.insert(decl.name.clone(), InputData::Public(flat.clone()));
                }
            }
            Secrecy::Secret => {
                let mut per: Vec<Vec<Share<F>>> =
                    (0..n).map(|_| Vec::with_capacity(flat.len())).collect();
                for x in &flat {
                    let shares = shamir::share(from_i128::<F>(*x), &params, rng);
                    for (p, s) in per.iter_mut().zip(shares) {
                        p.push(s);
                    }
                }
                for (o, p) in out.iter_mut().zip(per) {
                    o.insert(decl.name.clone(), InputData::Secret(p));
                }
            }
        }
    }
    Ok(out)
}

fn build_value(ty: ScalarType, shape: &[u32], it: &mut impl Iterator<Item = i128>) -> Value {
    match shape.split_first() {
        None => {
            let v = it.next().unwrap_or(0);
            if ty == ScalarType::Bool {
                Value::Bool(v != 0)
            } else {
                Value::Int(v)
            }
        }
        Some((d, rest)) => Value::Array((0..*d).map(|_| build_value(ty, rest, it)).collect()),
    }
}

/// Client side: rebuild the outputs of program party `party` from what the
/// nodes returned (at least `t + 1` nodes; with more, all shares are
/// checked for consistency). Public outputs must agree across the nodes
/// given. Values are checked against their declared types.
pub fn reconstruct_outputs<F: MpcField>(
    mir: &Mir,
    party: &str,
    params: Params,
    nodes: &[NodeOutputs<F>],
) -> Result<NamedValues> {
    let info = mir.validate()?;
    let pidx = mir
        .parties
        .iter()
        .position(|p| p == party)
        .ok_or_else(|| ExecError::UnknownParty(party.to_string()))?;
    let mut result = NamedValues::new();
    for decl in mir.outputs.iter().filter(|o| o.party as usize == pidx) {
        let err = |reason: String| ExecError::Reconstruct {
            output: decl.name.clone(),
            reason,
        };
        let ty = decl
            .nodes
            .first()
            .and_then(|n| info.get(*n as usize))
            .map_or(ScalarType::Bool, |i| i.ty);
        let len = decl.nodes.len();
        let mut plain: Option<Vec<i128>> = None;
        let mut shares: Vec<(PartyId, &Vec<Share<F>>)> = Vec::new();
        for node in nodes {
            let Some(o) = node.outputs.iter().find(|o| o.name == decl.name) else {
                return Err(err(format!("node {} did not return it", node.node)));
            };
            match &o.data {
                OutputData::Public(v) | OutputData::Revealed(v) => {
                    if v.len() != len {
                        return Err(err("wrong number of elements".into()));
                    }
                    if plain.as_ref().is_some_and(|p| p != v) {
                        return Err(err("nodes disagree on a public value".into()));
                    }
                    plain = Some(v.clone());
                }
                OutputData::Shares(s) => {
                    if s.len() != len {
                        return Err(err("wrong number of shares".into()));
                    }
                    if node.node >= params.n() || shares.iter().any(|(i, _)| *i == node.node) {
                        return Err(err("bad or duplicate node id".into()));
                    }
                    shares.push((node.node, s));
                }
                OutputData::Withheld => {}
            }
        }
        let values: Vec<i128> = match plain {
            Some(v) => v,
            None => {
                if shares.len() <= params.t() {
                    return Err(err(format!(
                        "need {} nodes' shares, have {}",
                        params.t() + 1,
                        shares.len()
                    )));
                }
                let mut out = Vec::with_capacity(len);
                for k in 0..len {
                    let pts: Vec<(PartyId, Share<F>)> =
                        shares.iter().map(|(i, s)| (*i, s[k])).collect();
                    let x = shamir::reconstruct_checked(&pts, params.t())
                        .map_err(|e| err(e.to_string()))?;
                    out.push(to_i128(x).ok_or_else(|| err("value out of range".into()))?);
                }
                out
            }
        };
        for (v, node) in values.iter().zip(&decl.nodes) {
            let t = info.get(*node as usize).map_or(ty, |i| i.ty);
            if !t.fits(*v) {
                return Err(err(format!("value outside the range of {t}")));
            }
        }
        let mut it = values.into_iter();
        result.insert(decl.name.clone(), build_value(ty, &decl.shape, &mut it));
    }
    Ok(result)
}
