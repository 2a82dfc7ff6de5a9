//! The client library: secret-shares inputs locally, sends one share per
//! node, and reconstructs what comes back.
//!
//! Every request is sealed for the node it goes to and every answer comes
//! back sealed for this client ([`crate::envelope`]), so a share never
//! crosses the network in the clear. Every request has a bounded timeout
//! ([`DEFAULT_REQUEST_TIMEOUT`] unless set with
//! [`BlindClient::with_timeout`]): a member that is down or hung fails the
//! call with an error naming it instead of stalling the caller.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use rand::SeedableRng;
use rand::rngs::StdRng;
use synod_blind_lang::{ScalarType, Value};
use synod_mpc::{Fr, Params, PartyId, Share, from_i128, shamir, to_i128};
use synod_primitives::{AccountId, Keypair};
use zeroize::Zeroizing;

use crate::config::Committee;
use crate::envelope::{MAX_ENVELOPE_BYTES, seal_request};
use crate::error::{BlindError, Result};
use crate::rpc::{BlindApiClient, NodeInfo};
use crate::types::{
    BenchKind, CommitteeId, InputBinding, InputSource, Invocation, JobId, JobKind, JobStats,
    MAX_MESSAGE_BYTES, Operation, Permissions, ProgramKey, RequestBody, Response, SecretId,
    SharedValue, SignedRequest, decode_bounded, fr_to_bytes, random_bytes, store_content_digest,
};

/// A program input given at invocation time.
#[derive(Clone, Debug)]
pub enum ClientInput {
    /// A stored secret.
    Stored(SecretId),
    /// A secret value shared now.
    Secret(Value),
    /// A public value.
    Public(Value),
}

/// Flatten a value into row-major scalars and its shape.
pub fn flatten(v: &Value) -> Result<(Vec<u32>, Vec<Value>)> {
    match v {
        Value::Array(items) => {
            let mut shape_inner: Option<Vec<u32>> = None;
            let mut flat = Vec::new();
            for it in items {
                let (s, f) = flatten(it)?;
                if shape_inner.as_ref().is_some_and(|p| *p != s) {
                    return Err(BlindError::Invalid("ragged array".into()));
                }
                shape_inner = Some(s);
                flat.extend(f);
            }
            let len = u32::try_from(items.len())
                .map_err(|_| BlindError::Invalid("array too long".into()))?;
            let mut shape = vec![len];
            shape.extend(shape_inner.unwrap_or_default());
            Ok((shape, flat))
        }
        scalar => Ok((Vec::new(), vec![scalar.clone()])),
    }
}

fn scalar_to_field(ty: ScalarType, v: &Value) -> Result<Fr> {
    match (ty, v) {
        (ScalarType::Bool, Value::Bool(b)) => Ok(Fr::from(u64::from(*b))),
        (t, Value::Int(i)) if t.is_int() => {
            if !t.fits(*i) {
                return Err(BlindError::Invalid(format!(
                    "{i} is out of range for {}",
                    t.name()
                )));
            }
            Ok(from_i128(*i))
        }
        (t, v) => Err(BlindError::Invalid(format!(
            "value {v} is not a {}",
            t.name()
        ))),
    }
}

fn field_to_scalar(ty: ScalarType, x: Fr) -> Result<Value> {
    let i = to_i128(x).ok_or_else(|| BlindError::Reconstruct("value out of range".into()))?;
    if ty == ScalarType::Bool {
        return match i {
            0 => Ok(Value::Bool(false)),
            1 => Ok(Value::Bool(true)),
            _ => Err(BlindError::Reconstruct(format!("{i} is not a boolean"))),
        };
    }
    Ok(Value::Int(i))
}

/// Rebuild a nested value from a shape and row-major scalars.
pub fn unflatten(shape: &[u32], flat: &[Value]) -> Value {
    match shape.split_first() {
        None => flat.first().cloned().unwrap_or(Value::Int(0)),
        Some((&d, rest)) => {
            let step = flat.len() / (d.max(1) as usize);
            Value::Array(
                (0..d as usize)
                    .map(|k| unflatten(rest, &flat[k * step..(k + 1) * step]))
                    .collect(),
            )
        }
    }
}

/// Shamir-share a typed value: one [`SharedValue`] per node.
pub fn share_value(params: &Params, ty: ScalarType, v: &Value) -> Result<Vec<SharedValue>> {
    share_value_seeded(params, ty, v, random_bytes()?)
}

/// As [`share_value`], with the sharing polynomials drawn from `seed`: the same seed gives the
/// same shares. The seed must be secret from the nodes and used for one value only.
pub fn share_value_seeded(
    params: &Params,
    ty: ScalarType,
    v: &Value,
    seed: [u8; 32],
) -> Result<Vec<SharedValue>> {
    let (shape, flat) = flatten(v)?;
    let mut rng = StdRng::from_seed(seed);
    let n = params.n();
    let mut per_node: Vec<Vec<[u8; 32]>> = vec![Vec::with_capacity(flat.len()); n];
    for s in &flat {
        let x = scalar_to_field(ty, s)?;
        for (node, sh) in shamir::share(x, params, &mut rng).into_iter().enumerate() {
            per_node[node].push(fr_to_bytes(&sh.raw()));
        }
    }
    Ok(per_node
        .into_iter()
        .map(|elements| SharedValue {
            ty: ty.code(),
            shape: shape.clone(),
            public: false,
            elements,
        })
        .collect())
}

/// A public value in the same format.
pub fn public_value(ty: ScalarType, v: &Value) -> Result<SharedValue> {
    let (shape, flat) = flatten(v)?;
    let elements = flat
        .iter()
        .map(|s| scalar_to_field(ty, s).map(|x| fr_to_bytes(&x)))
        .collect::<Result<Vec<_>>>()?;
    Ok(SharedValue {
        ty: ty.code(),
        shape,
        public: true,
        elements,
    })
}

/// Reconstruct a value from `(node, share)` pairs (at least `t + 1`,
/// consistent type and shape; all given shares are checked to lie on one
/// polynomial).
pub fn reconstruct_value(
    params: &Params,
    shares: &[(PartyId, SharedValue)],
) -> Result<(ScalarType, Value)> {
    let (_, first) = shares
        .first()
        .ok_or_else(|| BlindError::Reconstruct("no shares".into()))?;
    let ty = first.scalar_type()?;
    for (_, s) in shares {
        s.validate(MAX_MESSAGE_BYTES / 32)
            .map_err(|e| BlindError::Reconstruct(format!("malformed share: {e}")))?;
    }
    if first.public {
        let flat = first
            .field_elements()?
            .into_iter()
            .map(|x| field_to_scalar(ty, x))
            .collect::<Result<Vec<_>>>()?;
        return Ok((ty, unflatten(&first.shape, &flat)));
    }
    if shares.len() < params.t() + 1 {
        return Err(BlindError::Reconstruct(format!(
            "need {} shares, have {}",
            params.t() + 1,
            shares.len()
        )));
    }
    for (_, s) in shares {
        if s.ty != first.ty
            || s.shape != first.shape
            || s.elements.len() != first.elements.len()
            || s.public
        {
            return Err(BlindError::Reconstruct(
                "nodes returned inconsistent shares".into(),
            ));
        }
    }
    let decoded: Vec<(PartyId, Vec<Fr>)> = shares
        .iter()
        .map(|(p, s)| s.field_elements().map(|e| (*p, e)))
        .collect::<Result<_>>()?;
    let mut flat = Vec::with_capacity(first.elements.len());
    for k in 0..first.elements.len() {
        let pts: Vec<(PartyId, Share<Fr>)> = decoded
            .iter()
            .map(|(p, e)| (*p, Share::from_raw(e[k])))
            .collect();
        let x = shamir::reconstruct_checked(&pts, params.t())
            .map_err(|e| BlindError::Reconstruct(e.to_string()))?;
        flat.push(field_to_scalar(ty, x)?);
    }
    Ok((ty, unflatten(&first.shape, &flat)))
}

/// A retrieved secret.
#[derive(Clone, Debug)]
pub struct Retrieved {
    /// Element type.
    pub ty: ScalarType,
    /// The value.
    pub value: Value,
    /// Permissions (as returned by the first answering node).
    pub permissions: Permissions,
    /// Nodes that answered.
    pub answered: Vec<usize>,
    /// Nodes that refused or failed, with their error.
    pub failed: Vec<(usize, String)>,
}

/// Outputs of a job addressed to the caller.
#[derive(Clone, Debug, Default)]
pub struct JobOutputs {
    /// Output name → value.
    pub values: BTreeMap<String, Value>,
    /// Per-node figures.
    pub stats: Vec<(usize, JobStats)>,
}

/// How long a client waits for one node's answer by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A client of one committee, acting as one user.
pub struct BlindClient {
    committee: Committee,
    cid: CommitteeId,
    params: Params,
    key: Keypair,
    clients: Vec<HttpClient>,
    timeout: Duration,
}

impl BlindClient {
    /// Connect (lazily) to every member; requests time out after
    /// [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new(committee: Committee, key: Keypair) -> Result<Self> {
        Self::with_timeout(committee, key, DEFAULT_REQUEST_TIMEOUT)
    }

    /// As [`BlindClient::new`] with a per-request, per-node timeout.
    pub fn with_timeout(committee: Committee, key: Keypair, timeout: Duration) -> Result<Self> {
        committee.validate()?;
        if timeout.is_zero() {
            return Err(BlindError::Config(
                "request timeout must be positive".into(),
            ));
        }
        let params = committee.params()?;
        let clients = committee
            .members
            .iter()
            .map(|m| {
                HttpClientBuilder::default()
                    .request_timeout(timeout)
                    .max_request_size((2 * MAX_ENVELOPE_BYTES + 4096) as u32)
                    .max_response_size((2 * MAX_ENVELOPE_BYTES + 4096) as u32)
                    .build(&m.rpc)
                    .map_err(|e| BlindError::Config(format!("{}: {e}", m.rpc)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BlindClient {
            cid: committee.id(),
            committee,
            params,
            key,
            clients,
            timeout,
        })
    }

    /// The per-node request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The user's account.
    pub fn account(&self) -> AccountId {
        self.key.account()
    }

    /// Shamir parameters of the committee.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Build and sign a request for node `node`.
    pub fn sign_for(&self, node: usize, op: Operation) -> Result<SignedRequest> {
        let body = RequestBody {
            committee: self.cid,
            node: u16::try_from(node)
                .map_err(|_| BlindError::Config("node index too large".into()))?,
            user: self.key.account(),
            timestamp_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            nonce: random_bytes()?,
            op,
        };
        Ok(body.sign(&self.key))
    }

    /// Send `op` to node `node`.
    pub async fn call(&self, node: usize, op: Operation) -> Result<Response> {
        let req = self.sign_for(node, op)?;
        self.send_signed(node, &req).await
    }

    /// Send an already signed request to node `node`, sealed for that
    /// node's published key; the answer is opened with this request's key.
    pub async fn send_signed(&self, node: usize, req: &SignedRequest) -> Result<Response> {
        let node_err = |message: String| BlindError::Node { node, message };
        let (client, member) = self
            .clients
            .get(node)
            .zip(self.committee.members.get(node))
            .ok_or_else(|| node_err("no such node".into()))?;
        let plain = Zeroizing::new(borsh::to_vec(&req).map_err(|e| node_err(e.to_string()))?);
        let index = u16::try_from(node).map_err(|_| node_err("node index too large".into()))?;
        let (env, answer) = seal_request(&self.cid, index, &member.x25519, &plain)?;
        let hex_req = hex::encode(borsh::to_vec(&env).map_err(|e| node_err(e.to_string()))?);
        let resp = client.call(hex_req).await.map_err(|e| match e {
            jsonrpsee::core::ClientError::Call(obj) => node_err(obj.message().to_string()),
            jsonrpsee::core::ClientError::RequestTimeout => node_err(format!(
                "no answer within {} ms (node down or hung)",
                self.timeout.as_millis()
            )),
            other => node_err(format!("unreachable: {other}")),
        })?;
        let sealed = hex::decode(resp).map_err(|e| node_err(format!("bad response hex: {e}")))?;
        let bytes = Zeroizing::new(answer.open(&sealed).map_err(|e| node_err(e.to_string()))?);
        decode_bounded(&bytes, MAX_MESSAGE_BYTES).map_err(|e| node_err(e.to_string()))
    }

    /// Send one operation per node concurrently.
    pub async fn call_each(&self, ops: Vec<Operation>) -> Vec<Result<Response>> {
        join_all(ops.into_iter().enumerate().map(|(i, op)| self.call(i, op))).await
    }

    /// Send the same operation to every node.
    pub async fn call_all(&self, op: Operation) -> Vec<Result<Response>> {
        self.call_each(vec![op; self.committee.n()]).await
    }

    /// Node facts.
    pub async fn info(&self, node: usize) -> Result<NodeInfo> {
        let client = self
            .clients
            .get(node)
            .ok_or_else(|| BlindError::Config("no such node".into()))?;
        client.info().await.map_err(|e| BlindError::Node {
            node,
            message: e.to_string(),
        })
    }

    /// Store a secret under a fresh random id, all or nothing (see
    /// [`BlindClient::store_secret_as`]).
    pub async fn store_secret(
        &self,
        ty: ScalarType,
        value: &Value,
        permissions: Option<Permissions>,
    ) -> Result<SecretId> {
        let id = SecretId::random()?;
        self.store_secret_as(id, ty, value, permissions).await?;
        Ok(id)
    }

    /// Store a secret under `id`, all or nothing across the committee: every node first
    /// prepares its share (held aside, invisible), and only when all have done so are the
    /// shares committed; if any node refuses or does not answer, the others are told to drop
    /// theirs (a node that missed that message drops its share when the prepare expires).
    ///
    /// `id` is the request id: the shares are derived from this client's key, `id` and the
    /// value, so repeating a store with the same id, value and permissions sends the same
    /// shares and is a retry (it succeeds, once, without a duplicate), while the same id with
    /// other content is refused by every node.
    pub async fn store_secret_as(
        &self,
        id: SecretId,
        ty: ScalarType,
        value: &Value,
        permissions: Option<Permissions>,
    ) -> Result<()> {
        let permissions = permissions.unwrap_or_else(|| Permissions::owner_only(self.account()));
        let shares = share_value_seeded(&self.params, ty, value, self.share_seed(&id, ty, value)?)?;
        let contents: Vec<[u8; 32]> = shares
            .iter()
            .map(|v| store_content_digest(v, &permissions))
            .collect();
        let prepares = shares
            .into_iter()
            .map(|value| Operation::PrepareSecret {
                id,
                value,
                permissions: permissions.clone(),
            })
            .collect();
        if let Err(e) = all_ok(self.call_each(prepares).await) {
            // Every node is told, not only those that answered: a slow node may have prepared
            // after its answer timed out. Failures here change nothing for the caller: a
            // share nobody commits expires.
            let _ = self.call_all(Operation::AbortSecret { id }).await;
            let why = |m: String| format!("secret {id} was not stored (no node keeps it): {m}");
            return Err(match e {
                BlindError::Unauthorised(m) => BlindError::Unauthorised(why(m)),
                BlindError::Invalid(m) => BlindError::Invalid(why(m)),
                other => BlindError::Invalid(why(other.to_string())),
            });
        }
        let commits = contents
            .into_iter()
            .map(|content| Operation::CommitSecret { id, content })
            .collect();
        let results = self.call_each(commits).await;
        let (done, failed): (Vec<_>, Vec<_>) = results
            .into_iter()
            .enumerate()
            .partition(|(_, r)| r.is_ok());
        if failed.is_empty() {
            return Ok(());
        }
        // Every node holds its share prepared, so the store can still complete: the same
        // request again re-prepares (a no-op where committed) and commits the rest.
        let failed: Vec<String> = failed
            .into_iter()
            .map(|(i, r)| match r {
                Err(BlindError::Node { message, .. }) => format!("node {i}: {message}"),
                Err(e) => format!("node {i}: {e}"),
                Ok(_) => format!("node {i}"),
            })
            .collect();
        Err(BlindError::Invalid(format!(
            "secret {id} is committed at nodes {:?} only ({}); run the same store again \
             (same id, value and permissions) to complete it",
            done.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            failed.join("; ")
        )))
    }

    /// The seed of the shares of one store: a keyed hash, under a key derived from this
    /// client's signing seed (which no node knows), of the id and the value.
    fn share_seed(&self, id: &SecretId, ty: ScalarType, value: &Value) -> Result<[u8; 32]> {
        let (shape, flat) = flatten(value)?;
        let seed = Zeroizing::new(self.key.seed());
        let key = Zeroizing::new(blake3::derive_key(
            "synod/blind/store-shares/v1",
            seed.as_slice(),
        ));
        let mut h = blake3::Hasher::new_keyed(&key);
        h.update(&id.0);
        h.update(&[ty.code()]);
        h.update(&(shape.len() as u64).to_le_bytes());
        for d in &shape {
            h.update(&d.to_le_bytes());
        }
        for x in &flat {
            h.update(&fr_to_bytes(&scalar_to_field(ty, x)?));
        }
        Ok(*h.finalize().as_bytes())
    }

    /// Retrieve and reconstruct; needs `t + 1` nodes to agree.
    pub async fn retrieve(&self, id: SecretId) -> Result<Retrieved> {
        let results = self.call_all(Operation::RetrieveSecret { id }).await;
        let mut shares = Vec::new();
        let mut failed = Vec::new();
        let mut perms = None;
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(Response::Secret {
                    value, permissions, ..
                }) => {
                    perms.get_or_insert(permissions);
                    shares.push((i, value));
                }
                Ok(other) => failed.push((i, format!("unexpected response {other:?}"))),
                Err(e) => failed.push((i, e.to_string())),
            }
        }
        if shares.len() < self.params.t() + 1 {
            return Err(refused(&failed));
        }
        let (ty, value) = reconstruct_value(&self.params, &shares)?;
        Ok(Retrieved {
            ty,
            value,
            permissions: perms.unwrap_or_default(),
            answered: shares.iter().map(|(i, _)| *i).collect(),
            failed,
        })
    }

    /// Overwrite a secret with a new value.
    pub async fn update_secret(&self, id: SecretId, ty: ScalarType, value: &Value) -> Result<()> {
        let shares = share_value(&self.params, ty, value)?;
        let ops = shares
            .into_iter()
            .map(|value| Operation::UpdateSecret { id, value })
            .collect();
        all_ok(self.call_each(ops).await).map(|_| ())
    }

    /// Delete a secret at every node.
    pub async fn delete_secret(&self, id: SecretId) -> Result<()> {
        all_ok(self.call_all(Operation::DeleteSecret { id }).await).map(|_| ())
    }

    /// Read permissions (owner only).
    pub async fn permissions(&self, id: SecretId) -> Result<Permissions> {
        let r = all_ok(self.call_all(Operation::GetPermissions { id }).await)?;
        match r.into_iter().next() {
            Some(Response::Permissions(p)) => Ok(p),
            other => Err(BlindError::Invalid(format!(
                "unexpected response {other:?}"
            ))),
        }
    }

    /// Replace permissions at every node.
    pub async fn set_permissions(&self, id: SecretId, permissions: Permissions) -> Result<()> {
        all_ok(
            self.call_all(Operation::SetPermissions { id, permissions })
                .await,
        )
        .map(|_| ())
    }

    /// Upload a program; every node recomputes the id and runs the analyser.
    pub async fn store_program(&self, mir: Vec<u8>) -> Result<ProgramKey> {
        let expected = ProgramKey(*blake3::hash(&mir).as_bytes());
        let r = all_ok(self.call_all(Operation::StoreProgram { mir }).await)?;
        for resp in r {
            match resp {
                Response::ProgramStored { program, .. } if program == expected => {}
                other => {
                    return Err(BlindError::Invalid(format!(
                        "node answered {other:?} for program {expected}"
                    )));
                }
            }
        }
        Ok(expected)
    }

    /// Start a program: `inputs` by program input name with their types,
    /// `parties` binds program parties to users.
    pub async fn invoke(
        &self,
        program: ProgramKey,
        inputs: &[(String, ScalarType, ClientInput)],
        parties: &[(String, AccountId)],
    ) -> Result<JobId> {
        let n = self.committee.n();
        let mut per_node: Vec<Vec<InputBinding>> = vec![Vec::new(); n];
        for (name, ty, input) in inputs {
            match input {
                ClientInput::Stored(id) => {
                    for b in per_node.iter_mut() {
                        b.push(InputBinding {
                            name: name.clone(),
                            source: InputSource::Stored(*id),
                        });
                    }
                }
                ClientInput::Secret(v) => {
                    for (b, s) in per_node.iter_mut().zip(share_value(&self.params, *ty, v)?) {
                        b.push(InputBinding {
                            name: name.clone(),
                            source: InputSource::Inline(s),
                        });
                    }
                }
                ClientInput::Public(v) => {
                    let pv = public_value(*ty, v)?;
                    for b in per_node.iter_mut() {
                        b.push(InputBinding {
                            name: name.clone(),
                            source: InputSource::Inline(pv.clone()),
                        });
                    }
                }
            }
        }
        let nonce: [u8; 16] = random_bytes()?;
        let ops: Vec<Operation> = per_node
            .into_iter()
            .map(|inputs| {
                Operation::Invoke(Invocation {
                    nonce,
                    kind: JobKind::Program {
                        program,
                        inputs,
                        parties: parties.to_vec(),
                    },
                })
            })
            .collect();
        self.start_job(ops).await
    }

    async fn start_job(&self, ops: Vec<Operation>) -> Result<JobId> {
        let r = all_ok(self.call_each(ops).await)?;
        let mut job = None;
        for resp in r {
            match resp {
                Response::JobStarted(j) if job.is_none_or(|x| x == j) => job = Some(j),
                other => {
                    return Err(BlindError::Invalid(format!(
                        "nodes disagree on the job: {other:?}"
                    )));
                }
            }
        }
        job.ok_or_else(|| BlindError::Invalid("no node answered".into()))
    }

    /// Start a built-in benchmark job.
    pub async fn start_bench(&self, kind: BenchKind, count: u32, reps: u32) -> Result<JobId> {
        let nonce: [u8; 16] = random_bytes()?;
        let op = Operation::Invoke(Invocation {
            nonce,
            kind: JobKind::Bench { kind, count, reps },
        });
        self.start_job(vec![op; self.committee.n()]).await
    }

    /// Fetch the caller's outputs of `job`, polling up to `wait` while it runs.
    /// Needs `t + 1` nodes; a job that failed at any node reports that error.
    pub async fn result(&self, job: JobId, wait: Duration) -> Result<JobOutputs> {
        let deadline = Instant::now() + wait;
        loop {
            let results = self.call_all(Operation::GetResult { job }).await;
            let mut running = false;
            let mut ok = Vec::new();
            let mut failed = Vec::new();
            for (i, r) in results.into_iter().enumerate() {
                match r {
                    Ok(Response::JobResult { outputs, stats }) => ok.push((i, outputs, stats)),
                    Ok(other) => failed.push((i, format!("unexpected response {other:?}"))),
                    Err(BlindError::Node { message, .. })
                        if message == BlindError::JobRunning.to_string() =>
                    {
                        running = true
                    }
                    Err(e) => failed.push((i, e.to_string())),
                }
            }
            if let Some((_, msg)) = failed.iter().find(|(_, m)| m.contains("job failed")) {
                return Err(BlindError::JobFailed(msg.clone()));
            }
            if running {
                if Instant::now() >= deadline {
                    return Err(BlindError::JobFailed(format!(
                        "job {job} still running after {wait:?}"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            if ok.len() < self.params.t() + 1 {
                return Err(refused(&failed));
            }
            let mut out = JobOutputs::default();
            let names: Vec<String> = ok[0].1.iter().map(|o| o.name.clone()).collect();
            for name in names {
                let shares: Vec<(PartyId, SharedValue)> = ok
                    .iter()
                    .filter_map(|(i, outs, _)| {
                        outs.iter()
                            .find(|o| o.name == name)
                            .map(|o| (*i, o.value.clone()))
                    })
                    .collect();
                let (_, v) = reconstruct_value(&self.params, &shares)?;
                out.values.insert(name, v);
            }
            out.stats = ok.iter().map(|(i, _, s)| (*i, *s)).collect();
            return Ok(out);
        }
    }
}

fn refused(failed: &[(usize, String)]) -> BlindError {
    let msg = failed
        .iter()
        .map(|(i, e)| {
            let prefix = format!("node {i}: ");
            if e.starts_with(&prefix) {
                e.clone()
            } else {
                format!("{prefix}{e}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    if failed.iter().any(|(_, e)| e.contains("unauthorised")) {
        BlindError::Unauthorised(msg)
    } else {
        BlindError::Invalid(format!("not enough nodes answered: {msg}"))
    }
}

fn all_ok(results: Vec<Result<Response>>) -> Result<Vec<Response>> {
    let mut ok = Vec::with_capacity(results.len());
    let mut failed = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => failed.push((i, e.to_string())),
        }
    }
    if failed.is_empty() {
        Ok(ok)
    } else if failed.iter().all(|(_, e)| e.contains("unauthorised")) {
        Err(refused(&failed))
    } else {
        Err(BlindError::Invalid(format!(
            "request failed at {} of {} nodes: {}",
            failed.len(),
            failed.len() + ok.len(),
            failed
                .iter()
                .map(|(i, e)| if e.starts_with("node ") {
                    e.clone()
                } else {
                    format!("node {i}: {e}")
                })
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}
