//! The online executor.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::collections::BTreeMap;

use synod_blind_lang::mir::{Mir, shape_len};
use synod_blind_lang::{Inputs, Secrecy};
use synod_mpc::{
    IntType, MpcField, Party, PartyId, Requirements, RoundStats, Share, Transport, from_i128,
    to_i128,
};

use crate::error::{ExecError, Result};
use crate::io::{
    ExecStats, InputData, NodeOutput, NodeOutputs, OutputData, StoredInputs, flatten_value,
};
use crate::plan::{Plan, Step, StepKind};
use crate::sched::{Backend, FIELD_BITS_NEEDED, InVals, Pub, Sched, Val};

/// Who plays a program party.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// An outside client: its secret inputs arrive pre-shared in
    /// [`StoredInputs`], its secret outputs leave as shares.
    #[default]
    Client,
    /// Committee member `id`: it shares its own secret inputs during the
    /// run (1 round) and receives its outputs in the clear (1 round).
    Member(PartyId),
}

/// Bindings of program parties (by index into `Mir::parties`) to roles.
/// Parties without a binding are [`Role::Client`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// Role per program party.
    pub roles: Vec<Role>,
}

impl Bindings {
    /// Every party is an outside client.
    pub fn clients() -> Self {
        Self::default()
    }

    /// Role of program party `idx`.
    pub fn role(&self, idx: usize) -> Role {
        self.roles.get(idx).copied().unwrap_or_default()
    }
}

/// Options of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// Party bindings (same at every node).
    pub bindings: Bindings,
    /// Plaintext inputs of the program parties bound to *this* member
    /// (party name → input name → value); ignored elsewhere.
    pub own_inputs: Inputs,
    /// Generate missing preprocessing (before the online phase, and on
    /// demand if control flow after a `reveal` needs more). When `false`,
    /// a short pool fails with [`ExecError::PreprocessingExhausted`].
    pub preprocess: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            bindings: Bindings::default(),
            own_inputs: Inputs::new(),
            preprocess: true,
        }
    }
}

/// Run `plan` at this committee member on the inputs it stores, with every
/// program party an outside client. All members must call this together
/// (same plan, same public inputs).
pub async fn execute<F: MpcField, T: Transport<F>>(
    plan: &Plan,
    party: &mut Party<F, T>,
    inputs: &StoredInputs<F>,
) -> Result<NodeOutputs<F>> {
    execute_with(plan, party, inputs, &ExecOptions::default()).await
}

/// Poll a future that never waits (dry runs).
pub(crate) fn run_ready<O>(fut: impl Future<Output = Result<O>>) -> Result<O> {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(ExecError::Internal("dry run waited")),
    }
}

/// Backend of dry runs: counts preprocessing, returns zero shares.
#[derive(Default)]
pub(crate) struct Dry {
    pub(crate) req: Requirements,
}

impl<F: MpcField> Backend<F> for Dry {
    async fn ensure(&mut self, req: &Requirements) -> Result<()> {
        self.req.merge(req);
        Ok(())
    }
    async fn mul(&mut self, a: &[Share<F>], _b: &[Share<F>]) -> Result<Vec<Share<F>>> {
        Ok(vec![Share::zero(); a.len()])
    }
    async fn open(&mut self, _xs: &[Share<F>]) -> Result<Option<Vec<F>>> {
        Ok(None)
    }
    async fn ltz(&mut self, xs: &[Share<F>], _bits: u32) -> Result<Vec<Share<F>>> {
        Ok(vec![Share::zero(); xs.len()])
    }
    async fn equal(
        &mut self,
        a: &[Share<F>],
        _b: &[Share<F>],
        _bits: u32,
    ) -> Result<Vec<Share<F>>> {
        Ok(vec![Share::zero(); a.len()])
    }
    async fn div_rem(
        &mut self,
        xs: &[Share<F>],
        _d: u64,
        _ty: IntType,
    ) -> Result<(Vec<Share<F>>, Vec<Share<F>>)> {
        Ok((vec![Share::zero(); xs.len()], vec![Share::zero(); xs.len()]))
    }
    fn take_bits(&mut self, count: usize) -> Result<Vec<Share<F>>> {
        Ok(vec![Share::zero(); count])
    }
    fn online_rounds(&self) -> Option<u64> {
        None
    }
}

/// Backend of real runs.
struct Live<'a, F: MpcField, T: Transport<F>> {
    party: &'a mut Party<F, T>,
    preprocess: bool,
}

impl<F: MpcField, T: Transport<F>> Backend<F> for Live<'_, F, T> {
    async fn ensure(&mut self, req: &Requirements) -> Result<()> {
        if self.party.pool().check(req).is_err() {
            if self.preprocess {
                self.party.ensure_preprocessed(req).await?;
            } else {
                self.party.pool().check(req)?;
            }
        }
        Ok(())
    }
    async fn mul(&mut self, a: &[Share<F>], b: &[Share<F>]) -> Result<Vec<Share<F>>> {
        Ok(self.party.mul(a, b).await?)
    }
    async fn open(&mut self, xs: &[Share<F>]) -> Result<Option<Vec<F>>> {
        Ok(Some(self.party.open(xs).await?))
    }
    async fn ltz(&mut self, xs: &[Share<F>], bits: u32) -> Result<Vec<Share<F>>> {
        Ok(self.party.ltz(xs, bits).await?)
    }
    async fn equal(&mut self, a: &[Share<F>], b: &[Share<F>], bits: u32) -> Result<Vec<Share<F>>> {
        Ok(self.party.equal(a, b, IntType::unsigned(bits)).await?)
    }
    async fn div_rem(
        &mut self,
        xs: &[Share<F>],
        d: u64,
        ty: IntType,
    ) -> Result<(Vec<Share<F>>, Vec<Share<F>>)> {
        Ok(self.party.div_rem_public(xs, i128::from(d), ty).await?)
    }
    fn take_bits(&mut self, count: usize) -> Result<Vec<Share<F>>> {
        Ok(self.party.take_random_bits(count)?)
    }
    fn online_rounds(&self) -> Option<u64> {
        Some(self.party.rounds().online)
    }
}

/// First output (declaration order) that depends on a division by zero.
fn first_poison<F: MpcField>(mir: &Mir, sched: &Sched<'_, F>) -> Option<ExecError> {
    for o in &mir.outputs {
        for n in &o.nodes {
            if let Some(Val::Poison(node)) = sched.val(*n) {
                return Some(ExecError::DivisionByZero {
                    node: *node,
                    output: o.name.clone(),
                });
            }
        }
    }
    None
}

fn round_delta(a: RoundStats, b: RoundStats) -> RoundStats {
    RoundStats {
        setup: b.setup - a.setup,
        preprocessing: b.preprocessing - a.preprocessing,
        online: b.online - a.online,
    }
}

/// [`execute`] with bindings and options.
pub async fn execute_with<F: MpcField, T: Transport<F>>(
    plan: &Plan,
    party: &mut Party<F, T>,
    inputs: &StoredInputs<F>,
    opts: &ExecOptions,
) -> Result<NodeOutputs<F>> {
    if F::MODULUS_BIT_SIZE < FIELD_BITS_NEEDED {
        return Err(ExecError::FieldTooSmall {
            needed: FIELD_BITS_NEEDED,
            available: F::MODULUS_BIT_SIZE,
        });
    }
    let mir = &plan.mir;
    let (n, me) = (party.params().n(), party.id());
    if opts.bindings.roles.len() > mir.parties.len() {
        return Err(ExecError::BadBindings(
            "more bindings than program parties".into(),
        ));
    }
    for r in &opts.bindings.roles {
        if let Role::Member(id) = r
            && *id >= n
        {
            return Err(ExecError::BadBindings(format!(
                "member {id} outside committee of {n}"
            )));
        }
    }
    for (name, _) in inputs.iter() {
        if !mir.inputs.iter().any(|d| d.name == name) {
            return Err(ExecError::UnexpectedInput(name.to_string()));
        }
    }
    // Inputs: stored (client-shared or public) or shared online by a member.
    let mut invals: Vec<InVals<F>> = Vec::with_capacity(mir.inputs.len());
    let mut by_member: BTreeMap<PartyId, Vec<usize>> = BTreeMap::new();
    for (idx, decl) in mir.inputs.iter().enumerate() {
        let len = shape_len(&decl.shape).unwrap_or(0) as usize;
        let shape_err = |actual: usize| ExecError::WrongShape {
            name: decl.name.clone(),
            expected: len,
            actual,
        };
        let mismatch = || ExecError::SecrecyMismatch {
            name: decl.name.clone(),
            expected: decl.secrecy,
        };
        let role = opts.bindings.role(decl.party as usize);
        match (inputs.get(&decl.name), decl.secrecy) {
            (Some(InputData::Public(v)), Secrecy::Public) => {
                if v.len() != len {
                    return Err(shape_err(v.len()));
                }
                if let Some(bad) = v.iter().find(|x| !decl.ty.fits(**x)) {
                    return Err(ExecError::OutOfRange {
                        name: decl.name.clone(),
                        value: *bad,
                        ty: decl.ty,
                    });
                }
                invals.push(InVals::Public(v.clone()));
            }
            (Some(InputData::Secret(s)), Secrecy::Secret) => {
                if s.len() != len {
                    return Err(shape_err(s.len()));
                }
                invals.push(InVals::Secret(s.clone()));
            }
            (Some(_), _) => return Err(mismatch()),
            (None, Secrecy::Secret) if matches!(role, Role::Member(_)) => {
                if let Role::Member(id) = role {
                    by_member.entry(id).or_default().push(idx);
                }
                invals.push(InVals::SecretDummy);
            }
            (None, _) => return Err(ExecError::MissingInput(decl.name.clone())),
        }
    }
    // My own plaintext inputs, if I am a member owner.
    let mut own: Vec<F> = Vec::new();
    if let Some(idxs) = by_member.get(&me) {
        for &idx in idxs {
            let decl = &mir.inputs[idx];
            let pname = &mir.parties[decl.party as usize];
            let v = opts
                .own_inputs
                .get(pname)
                .and_then(|m| m.get(&decl.name))
                .ok_or_else(|| ExecError::MissingInput(decl.name.clone()))?;
            let mut flat = Vec::new();
            flatten_value(&decl.name, decl.ty, &decl.shape, v, &mut flat)?;
            own.extend(flat.into_iter().map(from_i128::<F>));
        }
    }
    // Predict the schedule and its preprocessing with the public values.
    let dry_inputs: Vec<InVals<F>> = invals
        .iter()
        .map(|v| match v {
            InVals::Public(p) => InVals::Public(p.clone()),
            _ => InVals::SecretDummy,
        })
        .collect();
    let (predicted, req, dry_poison) = {
        let mut sched = Sched::<F>::new(mir, &plan.info, &plan.priority, &dry_inputs)?;
        let mut dry = Dry::default();
        run_ready(sched.run(&mut dry))?;
        let rounds: u64 = sched.steps.iter().map(|s| u64::from(s.rounds)).sum();
        (rounds, dry.req, first_poison(mir, &sched))
    };
    // Without reveals, public values (hence poison) are already final.
    if !plan.has_reveal
        && let Some(e) = dry_poison
    {
        return Err(e);
    }
    let start = party.rounds();
    if opts.preprocess {
        party.ensure_preprocessed(&req).await?;
    } else {
        party.pool().check(&req)?;
    }
    let mut steps = Vec::new();
    // Members share their own secret inputs (one round per member).
    for (&owner, idxs) in &by_member {
        let count: usize = idxs
            .iter()
            .map(|i| shape_len(&mir.inputs[*i].shape).unwrap_or(0) as usize)
            .sum();
        let mine = (owner == me).then_some(own.as_slice());
        let before = party.rounds().online;
        let shares = party.input(owner, mine, count).await?;
        steps.push(Step {
            kind: StepKind::Input { owner },
            batch: count,
            rounds: u32::try_from(party.rounds().online - before).unwrap_or(u32::MAX),
        });
        let mut it = shares.into_iter();
        for &i in idxs {
            let len = shape_len(&mir.inputs[i].shape).unwrap_or(0) as usize;
            invals[i] = InVals::Secret(it.by_ref().take(len).collect());
        }
    }
    let mut sched = Sched::<F>::new(mir, &plan.info, &plan.priority, &invals)?;
    {
        let mut live = Live {
            party: &mut *party,
            preprocess: opts.preprocess,
        };
        sched.run(&mut live).await?;
    }
    steps.append(&mut sched.steps);
    if let Some(e) = first_poison(mir, &sched) {
        return Err(e);
    }
    // Outputs.
    let mut outputs = Vec::with_capacity(mir.outputs.len());
    // member -> (output index, shares) to reveal to it
    type ToMember<F> = BTreeMap<PartyId, Vec<(usize, Vec<Share<F>>)>>;
    let mut to_member: ToMember<F> = BTreeMap::new();
    for (k, o) in mir.outputs.iter().enumerate() {
        let mut publics = Vec::with_capacity(o.nodes.len());
        let mut shares = Vec::with_capacity(o.nodes.len());
        let mut all_public = true;
        for j in &o.nodes {
            match sched.val(*j) {
                Some(Val::Pub(Pub::Known(v))) => {
                    publics.push(*v);
                    shares.push(Share::constant(from_i128(*v)));
                }
                Some(Val::Sec(sv)) => {
                    all_public = false;
                    publics.push(0);
                    shares.push(sv.share);
                }
                _ => return Err(ExecError::Internal("output not computed")),
            }
        }
        let data = if all_public {
            OutputData::Public(publics)
        } else {
            match opts.bindings.role(o.party as usize) {
                Role::Client => OutputData::Shares(shares),
                Role::Member(id) => {
                    to_member.entry(id).or_default().push((k, shares));
                    OutputData::Withheld
                }
            }
        };
        outputs.push(NodeOutput {
            name: o.name.clone(),
            party: mir.parties[o.party as usize].clone(),
            data,
        });
    }
    let mut predicted_total = predicted + by_member.len() as u64;
    for (member, outs) in to_member {
        predicted_total += 1;
        let xs: Vec<Share<F>> = outs.iter().flat_map(|(_, s)| s.iter().copied()).collect();
        let before = party.rounds().online;
        let opened = party.reveal_to(member, &xs).await?;
        steps.push(Step {
            kind: StepKind::RevealTo { member },
            batch: xs.len(),
            rounds: u32::try_from(party.rounds().online - before).unwrap_or(u32::MAX),
        });
        if let Some(vals) = opened {
            let mut it = vals.into_iter();
            for (k, s) in outs {
                let mut vs = Vec::with_capacity(s.len());
                for (x, node) in it.by_ref().take(s.len()).zip(&mir.outputs[k].nodes) {
                    let v = to_i128(x)
                        .filter(|v| plan.info[*node as usize].ty.fits(*v))
                        .ok_or(ExecError::Internal("revealed output out of range"))?;
                    vs.push(v);
                }
                outputs[k].data = OutputData::Revealed(vs);
            }
        }
    }
    Ok(NodeOutputs {
        node: me,
        outputs,
        stats: ExecStats {
            rounds: round_delta(start, party.rounds()),
            predicted_online_rounds: predicted_total,
            analysis_online_rounds: u64::from(plan.analysis.online_rounds),
            steps,
        },
    })
}

/// `execute` futures are `Send` for any transport (a network service can
/// spawn them on a multi-threaded runtime).
#[allow(dead_code)]
fn _execute_is_send<F: MpcField, T: Transport<F>>(
    plan: &Plan,
    party: &mut Party<F, T>,
    inputs: &StoredInputs<F>,
    opts: &ExecOptions,
) {
    fn is_send<X: Send>(_: &X) {}
    is_send(&execute_with(plan, party, inputs, opts));
}

impl Plan {
    /// Preprocessing a job consumes once its public inputs are known (read
    /// from `inputs`; secret data there is ignored, malformed public data
    /// counts as unknown). Divisions by values that are only known after a
    /// `reveal` are not included: the executor generates those on demand
    /// (or fails with [`ExecError::PreprocessingExhausted`] when
    /// preprocessing is off).
    pub fn requirements_for<F: MpcField>(&self, inputs: &StoredInputs<F>) -> Result<Requirements> {
        let invals: Vec<InVals<F>> = self
            .mir
            .inputs
            .iter()
            .map(|d| {
                let len = shape_len(&d.shape).unwrap_or(0) as usize;
                match (d.secrecy, inputs.get(&d.name)) {
                    (Secrecy::Public, Some(InputData::Public(v)))
                        if v.len() == len && v.iter().all(|x| d.ty.fits(*x)) =>
                    {
                        InVals::Public(v.clone())
                    }
                    (Secrecy::Public, _) => InVals::PublicUnknown,
                    (Secrecy::Secret, _) => InVals::SecretDummy,
                }
            })
            .collect();
        let mut sched = Sched::<F>::new(&self.mir, &self.info, &self.priority, &invals)?;
        let mut dry = Dry::default();
        run_ready(sched.run(&mut dry))?;
        Ok(dry.req)
    }
}
