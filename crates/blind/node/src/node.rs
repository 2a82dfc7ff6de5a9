//! The blind-node service: request authentication, permission checks, the
//! share store, program admission and job orchestration.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use synod_blind_lang::analysis::{analyse, check_limits};
use synod_blind_lang::{CostModel, Limits, Mir, Secrecy};
use synod_mpc::{Fr, Params, Party};
use synod_primitives::{AccountId, Keypair};
use tokio::net::TcpListener;

use crate::config::{Committee, NodeConfig};
use crate::envelope::{
    Envelope, MAX_REQUEST_ENVELOPE_BYTES, node_x25519_public, node_x25519_secret, open_request,
};
use crate::error::{BlindError, Result};
use crate::exec::{JobInput, run_bench, run_program};
use crate::mesh::{JobTransport, Mesh, MeshConfig};
use crate::store::Store;
use crate::types::{
    Access, CommitteeId, InputSource, Invocation, JobId, JobKind, JobRecord, JobStats, JobStatus,
    MAX_REQUEST_BYTES, NodeEncKey, Operation, OutputShare, ProgramKey, ProgramRecord, Response,
    SecretRecord, SharedValue, SignedRequest, decode_bounded, fr_to_bytes, random_bytes,
};

/// How long a job waits for missing committee links before failing.
const PEER_CONNECT_GRACE: Duration = Duration::from_secs(3);

/// Largest accepted MIR encoding.
pub const MAX_PROGRAM_BYTES: usize = 4 << 20;
/// Largest stored or inline value (elements).
pub const MAX_VALUE_ELEMENTS: usize = 1 << 20;
/// Largest benchmark batch.
pub const MAX_BENCH_COUNT: u32 = 2_000_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A job ready to run (everything checked and loaded).
enum Prepared {
    Program {
        mir: Box<Mir>,
        inputs: BTreeMap<String, JobInput>,
        /// Output index → (party name, user, type code, shape).
        outputs: Vec<(String, AccountId, u8, Vec<u32>)>,
    },
    Bench {
        kind: crate::types::BenchKind,
        count: u32,
        reps: u32,
    },
}

/// One committee member's state.
pub struct NodeState {
    me: usize,
    committee: Committee,
    cid: CommitteeId,
    params: Params,
    store: Store,
    mesh: Arc<Mesh>,
    cfg: NodeConfig,
    runtime: tokio::runtime::Handle,
    /// Static X25519 key clients seal requests for.
    enc_secret: zeroize::Zeroizing<[u8; 32]>,
    enc_public: NodeEncKey,
}

impl NodeState {
    /// This member's index.
    pub fn index(&self) -> usize {
        self.me
    }

    /// The mesh (tests install wire taps through it).
    pub fn mesh(&self) -> &Arc<Mesh> {
        &self.mesh
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Open one encoded [`Envelope`], authenticate and execute the signed
    /// request inside, and return the response sealed for the client.
    pub fn handle_envelope(self: &Arc<Self>, bytes: &[u8]) -> Result<Vec<u8>> {
        let env: Envelope = decode_bounded(bytes, MAX_REQUEST_ENVELOPE_BYTES)?;
        let (plain, answer) =
            open_request(&env, &self.cid, self.me, &self.enc_secret, &self.enc_public)?;
        let resp = self.handle_bytes(&plain)?;
        let encoded = zeroize::Zeroizing::new(
            borsh::to_vec(&resp).map_err(|e| BlindError::Invalid(format!("encode: {e}")))?,
        );
        answer.seal(&encoded)
    }

    /// Authenticate and execute one encoded [`SignedRequest`] (already
    /// decrypted).
    pub fn handle_bytes(self: &Arc<Self>, bytes: &[u8]) -> Result<Response> {
        let req: SignedRequest = decode_bounded(bytes, MAX_REQUEST_BYTES)?;
        self.handle(req)
    }

    /// Authenticate and execute one request.
    pub fn handle(self: &Arc<Self>, req: SignedRequest) -> Result<Response> {
        self.authenticate(&req)?;
        let user = req.body.user;
        let op_name = req.body.op.name();
        let r = self.execute(user, req.body.timestamp_ms, req.body.op);
        match &r {
            Ok(_) => tracing::debug!(%user, op = op_name, "request ok"),
            Err(e) => tracing::info!(%user, op = op_name, "request refused: {e}"),
        }
        r
    }

    fn authenticate(&self, req: &SignedRequest) -> Result<()> {
        let b = &req.body;
        if b.committee != self.cid {
            return Err(BlindError::BadAuth(
                "request is for another committee".into(),
            ));
        }
        if usize::from(b.node) != self.me {
            return Err(BlindError::BadAuth(format!(
                "request is for node {}, this is node {}",
                b.node, self.me
            )));
        }
        req.verify()?;
        let now = now_ms();
        let skew = self.cfg.max_clock_skew_ms;
        if b.timestamp_ms.abs_diff(now) > skew {
            return Err(BlindError::BadAuth(format!(
                "timestamp {} is more than {skew} ms from the node's clock {now}",
                b.timestamp_ms
            )));
        }
        let mut key = b.user.0.to_vec();
        key.extend_from_slice(&b.nonce);
        let fresh = self
            .store
            .use_nonce(&key, b.timestamp_ms, now.saturating_sub(2 * skew))?;
        if !fresh {
            return Err(BlindError::BadAuth(
                "replayed request (nonce already used)".into(),
            ));
        }
        Ok(())
    }

    /// The checks every store makes before anything is written.
    fn new_secret(
        user: AccountId,
        value: SharedValue,
        permissions: crate::types::Permissions,
    ) -> Result<SecretRecord> {
        if permissions.owner != user {
            return Err(BlindError::Unauthorised(format!(
                "user {user} may not store a secret owned by {}",
                permissions.owner
            )));
        }
        if value.public {
            return Err(BlindError::Invalid(
                "stored values must be secret shares".into(),
            ));
        }
        value.validate(MAX_VALUE_ELEMENTS)?;
        Ok(SecretRecord {
            permissions,
            value,
            version: 0,
        })
    }

    /// Number of prepared stores waiting for their commit.
    pub fn prepared_count(&self) -> Result<u64> {
        self.store.prepared_count(now_ms())
    }

    fn execute(
        self: &Arc<Self>,
        user: AccountId,
        signed_at_ms: u64,
        op: Operation,
    ) -> Result<Response> {
        match op {
            Operation::StoreSecret {
                id,
                value,
                permissions,
            } => {
                let rec = Self::new_secret(user, value, permissions)?;
                self.store.insert_secret(&id, &rec)?;
                Ok(Response::Ok)
            }
            Operation::PrepareSecret {
                id,
                value,
                permissions,
            } => {
                let rec = Self::new_secret(user, value, permissions)?;
                self.store.prepare_secret(
                    &id,
                    &rec,
                    signed_at_ms,
                    now_ms(),
                    self.cfg.prepare_ttl_ms,
                )?;
                Ok(Response::Ok)
            }
            Operation::CommitSecret { id, content } => {
                self.store.commit_secret(&id, &user, &content, now_ms())?;
                Ok(Response::Ok)
            }
            Operation::AbortSecret { id } => {
                self.store.abort_secret(
                    &id,
                    &user,
                    signed_at_ms,
                    now_ms(),
                    self.cfg.prepare_ttl_ms,
                )?;
                Ok(Response::Ok)
            }
            Operation::RetrieveSecret { id } => {
                let rec = self.store.secret(&id)?;
                rec.permissions.check(&user, Access::Retrieve, &id)?;
                Ok(Response::Secret {
                    value: rec.value,
                    permissions: rec.permissions,
                    version: rec.version,
                })
            }
            Operation::UpdateSecret { id, value } => {
                if value.public {
                    return Err(BlindError::Invalid(
                        "stored values must be secret shares".into(),
                    ));
                }
                value.validate(MAX_VALUE_ELEMENTS)?;
                self.store
                    .update_secret(&id, value, |p| p.check(&user, Access::Update, &id))?;
                Ok(Response::Ok)
            }
            Operation::DeleteSecret { id } => {
                self.store
                    .delete_secret(&id, |p| p.check(&user, Access::Delete, &id))?;
                Ok(Response::Ok)
            }
            Operation::GetPermissions { id } => {
                let rec = self.store.secret(&id)?;
                rec.permissions.check(&user, Access::Permissions, &id)?;
                Ok(Response::Permissions(rec.permissions))
            }
            Operation::SetPermissions { id, permissions } => {
                self.store.modify_secret(&id, |mut r| {
                    r.permissions.check(&user, Access::Permissions, &id)?;
                    r.permissions = permissions;
                    Ok(r)
                })?;
                Ok(Response::Ok)
            }
            Operation::StoreProgram { mir } => self.store_program(user, mir),
            Operation::Invoke(inv) => self.invoke(user, inv),
            Operation::GetResult { job } => {
                let rec = self.store.job(&job)?;
                match rec.status {
                    JobStatus::Running => Err(BlindError::JobRunning),
                    JobStatus::Failed(msg) => Err(BlindError::JobFailed(msg)),
                    // Only users an output is addressed to get anything
                    // back; invoking a job does not entitle one to its
                    // results (benchmark jobs address their figures to the
                    // invoker).
                    JobStatus::Done => match rec.outputs.get(&user) {
                        Some(outs) => Ok(Response::JobResult {
                            outputs: outs.clone(),
                            stats: rec.stats,
                        }),
                        None if rec.invoker == user => Err(BlindError::Unauthorised(format!(
                            "job {job} finished, but user {user} invoked it without being bound \
                             to an output party: no output is addressed to it"
                        ))),
                        None => Err(BlindError::Unauthorised(format!(
                            "no output of job {job} is addressed to user {user}"
                        ))),
                    },
                }
            }
        }
    }

    fn store_program(&self, user: AccountId, bytes: Vec<u8>) -> Result<Response> {
        if bytes.len() > MAX_PROGRAM_BYTES {
            return Err(BlindError::ProgramRejected(format!(
                "{} bytes exceed the limit {MAX_PROGRAM_BYTES}",
                bytes.len()
            )));
        }
        let mir = Mir::decode(&bytes).map_err(|e| BlindError::ProgramRejected(e.to_string()))?;
        let model = self.cost_model();
        let a = analyse(&mir, &model).map_err(|e| BlindError::ProgramRejected(e.to_string()))?;
        if let Some((what, value, max, _)) = check_limits(&a, &Limits::default()) {
            return Err(BlindError::ProgramRejected(format!(
                "{what}: {value} exceeds the limit {max}"
            )));
        }
        let program = ProgramKey(*blake3::hash(&bytes).as_bytes());
        self.store.put_program(
            &program,
            &ProgramRecord {
                uploader: user,
                mir: bytes,
            },
        )?;
        Ok(Response::ProgramStored {
            program,
            online_rounds: a.online_rounds,
            mults: a.total_mults,
        })
    }

    fn cost_model(&self) -> CostModel {
        CostModel {
            parties: u32::try_from(self.committee.n()).unwrap_or(u32::MAX),
            ..CostModel::default()
        }
    }

    fn invoke(self: &Arc<Self>, user: AccountId, inv: Invocation) -> Result<Response> {
        let job = inv.job_id(&user);
        let prepared = match inv.kind {
            JobKind::Bench { kind, count, reps } => {
                if !self.cfg.allow_bench {
                    return Err(BlindError::Unauthorised(
                        "benchmark jobs are disabled on this node".into(),
                    ));
                }
                if count == 0 || count > MAX_BENCH_COUNT || reps == 0 || reps > 1000 {
                    return Err(BlindError::Invalid("benchmark size out of range".into()));
                }
                Prepared::Bench { kind, count, reps }
            }
            JobKind::Program {
                program,
                inputs,
                parties,
            } => self.prepare_program(&user, program, inputs, parties)?,
        };
        self.store.insert_job(
            &job,
            &JobRecord {
                invoker: user,
                status: JobStatus::Running,
                outputs: BTreeMap::new(),
                stats: JobStats::default(),
            },
        )?;
        // Claim the inbox now so the job is registered before we answer.
        let transport = JobTransport::new(
            Arc::clone(&self.mesh),
            job,
            Duration::from_millis(self.cfg.round_timeout_ms),
            self.cfg.max_frame_bytes,
            self.cfg.mpc_piece_elements,
        )?;
        let me = Arc::clone(self);
        self.runtime.spawn(async move {
            me.run_job(job, user, prepared, transport).await;
        });
        Ok(Response::JobStarted(job))
    }

    fn prepare_program(
        &self,
        user: &AccountId,
        program: ProgramKey,
        bindings: Vec<crate::types::InputBinding>,
        parties: Vec<(String, AccountId)>,
    ) -> Result<Prepared> {
        let rec = self.store.program(&program)?;
        let mir = Mir::decode(&rec.mir)
            .map_err(|e| BlindError::ProgramRejected(format!("stored program: {e}")))?;
        let info = mir
            .validate()
            .map_err(|e| BlindError::ProgramRejected(e.to_string()))?;
        let mut party_users: BTreeMap<&str, AccountId> = BTreeMap::new();
        for (name, u) in &parties {
            if !mir.parties.iter().any(|p| p == name) {
                return Err(BlindError::Invalid(format!(
                    "program has no party `{name}`"
                )));
            }
            if party_users.insert(name.as_str(), *u).is_some() {
                return Err(BlindError::Invalid(format!("party `{name}` bound twice")));
            }
        }
        let mut outputs = Vec::with_capacity(mir.outputs.len());
        for o in &mir.outputs {
            let party = mir
                .parties
                .get(o.party as usize)
                .ok_or_else(|| BlindError::ProgramRejected("output party out of range".into()))?;
            let u = party_users.get(party.as_str()).ok_or_else(|| {
                BlindError::Invalid(format!("output party `{party}` is not bound to a user"))
            })?;
            let ty = o
                .nodes
                .first()
                .and_then(|n| info.get(*n as usize))
                .map(|i| i.ty.code())
                .unwrap_or(0);
            outputs.push((party.clone(), *u, ty, o.shape.clone()));
        }
        let mut inputs: BTreeMap<String, JobInput> = BTreeMap::new();
        for b in bindings {
            let decl = mir
                .inputs
                .iter()
                .find(|i| i.name == b.name)
                .ok_or_else(|| BlindError::Invalid(format!("program has no input `{}`", b.name)))?;
            let secret = decl.secrecy == Secrecy::Secret;
            let value: SharedValue = match b.source {
                InputSource::Stored(id) => {
                    let rec = self.store.secret(&id)?;
                    rec.permissions.check(user, Access::Compute(program), &id)?;
                    if !secret {
                        return Err(BlindError::Invalid(format!(
                            "input `{}` is public; bind it inline",
                            b.name
                        )));
                    }
                    rec.value
                }
                InputSource::Inline(v) => {
                    v.validate(MAX_VALUE_ELEMENTS)?;
                    if v.public == secret {
                        return Err(BlindError::Invalid(format!(
                            "input `{}` is {}; the value sent is {}",
                            b.name,
                            if secret { "secret" } else { "public" },
                            if v.public { "public" } else { "secret" }
                        )));
                    }
                    v
                }
            };
            if value.ty != decl.ty.code() || value.shape != decl.shape {
                return Err(BlindError::Invalid(format!(
                    "input `{}` expects {} with shape {:?}",
                    b.name,
                    decl.ty.name(),
                    decl.shape
                )));
            }
            let elements = value.field_elements()?;
            if inputs
                .insert(
                    b.name.clone(),
                    JobInput {
                        public: !secret,
                        elements,
                    },
                )
                .is_some()
            {
                return Err(BlindError::Invalid(format!(
                    "input `{}` bound twice",
                    b.name
                )));
            }
        }
        if let Some(missing) = mir.inputs.iter().find(|i| !inputs.contains_key(&i.name)) {
            return Err(BlindError::Invalid(format!(
                "input `{}` is not bound",
                missing.name
            )));
        }
        Ok(Prepared::Program {
            mir: Box::new(mir),
            inputs,
            outputs,
        })
    }

    async fn run_job(
        self: Arc<Self>,
        job: JobId,
        user: AccountId,
        prepared: Prepared,
        transport: JobTransport,
    ) {
        let start = std::time::Instant::now();
        let result = self.run_job_inner(user, prepared, transport).await;
        let mut rec = JobRecord {
            invoker: user,
            status: JobStatus::Done,
            outputs: BTreeMap::new(),
            stats: JobStats::default(),
        };
        match result {
            Ok((outputs, mut stats)) => {
                if stats.total_us == 0 {
                    stats.total_us = start.elapsed().as_micros() as u64;
                }
                rec.stats = stats;
                rec.outputs = outputs;
                tracing::info!(%job, us = stats.total_us, "job done");
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::warn!(%job, "job failed: {msg}");
                self.mesh.broadcast_abort(&job, &msg);
                rec.status = JobStatus::Failed(msg);
            }
        }
        let me = Arc::clone(&self);
        let stored = tokio::task::spawn_blocking(move || me.store.put_job(&job, &rec)).await;
        if !matches!(stored, Ok(Ok(()))) {
            tracing::error!(%job, "could not record the job result");
        }
    }

    async fn run_job_inner(
        &self,
        invoker: AccountId,
        prepared: Prepared,
        transport: JobTransport,
    ) -> Result<(BTreeMap<AccountId, Vec<OutputShare>>, JobStats)> {
        // A member that has just restarted is reachable over RPC a moment
        // before the mesh redials it; a short bounded wait turns that race
        // into success, while a member that stays away still fails the job
        // quickly with its index in the error.
        let grace = Duration::from_millis(self.cfg.round_timeout_ms).min(PEER_CONNECT_GRACE);
        if !self.mesh.wait_connected(grace).await {
            let n = self.mesh.committee().n();
            let up = self.mesh.connected();
            let missing: Vec<String> = (0..n)
                .filter(|i| *i != self.me && !up.contains(i))
                .map(|i| format!("node {i}"))
                .collect();
            return Err(BlindError::Network(format!(
                "{} not connected",
                missing.join(", ")
            )));
        }
        let seed: [u8; 32] = random_bytes()?;
        let mut party = Party::<Fr, _>::new(self.params, self.me, seed, transport)
            .map_err(|e| BlindError::JobFailed(e.to_string()))?;
        match prepared {
            Prepared::Bench { kind, count, reps } => {
                let stats = run_bench(&mut party, kind, count, reps).await?;
                // The figures are the benchmark's only output, addressed
                // to whoever ran it.
                Ok((BTreeMap::from([(invoker, Vec::new())]), stats))
            }
            Prepared::Program {
                mir,
                inputs,
                outputs,
            } => {
                let start = std::time::Instant::now();
                let outs = run_program(&mir, &mut party, inputs).await?;
                if outs.len() != mir.outputs.len() {
                    return Err(BlindError::JobFailed(
                        "executor returned the wrong number of outputs".into(),
                    ));
                }
                let mut by_user: BTreeMap<AccountId, Vec<OutputShare>> = BTreeMap::new();
                for (o, (party_name, u, ty, shape)) in outs.into_iter().zip(outputs) {
                    by_user.entry(u).or_default().push(OutputShare {
                        name: o.name,
                        party: party_name,
                        value: SharedValue {
                            ty,
                            shape,
                            public: o.public,
                            elements: o.elements.iter().map(fr_to_bytes).collect(),
                        },
                    });
                }
                let r = party.rounds();
                let stats = JobStats {
                    total_us: start.elapsed().as_micros() as u64,
                    online_us: 0,
                    rounds: [r.setup, r.preprocessing, r.online],
                    operations: 0,
                };
                Ok((by_user, stats))
            }
        }
    }
}

/// A running node.
pub struct RunningNode {
    /// Shared state.
    pub state: Arc<NodeState>,
    /// Bound client RPC address.
    pub rpc_addr: SocketAddr,
    /// Bound peer address.
    pub p2p_addr: SocketAddr,
    handle: jsonrpsee::server::ServerHandle,
}

impl RunningNode {
    /// Stop the RPC server.
    pub async fn stop(self) {
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// Open the store, start the mesh and the client RPC server.
pub async fn start_node(cfg: NodeConfig) -> Result<RunningNode> {
    let key: Keypair = cfg.keypair()?;
    let enc_secret = node_x25519_secret(&key);
    let enc_public = node_x25519_public(&key);
    let committee = cfg.committee.clone();
    let params = committee.params()?;
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| BlindError::Config(format!("{}: {e}", cfg.data_dir.display())))?;
    let store = Store::open(&cfg.data_dir.join("shares.redb"))?;
    let me = cfg.index;
    let p2p = cfg.p2p_listen.unwrap_or(committee.members[me].p2p);
    let listener = TcpListener::bind(p2p)
        .await
        .map_err(|e| BlindError::Network(format!("bind {p2p}: {e}")))?;
    let p2p_addr = listener
        .local_addr()
        .map_err(|e| BlindError::Network(e.to_string()))?;
    let mesh = Mesh::new(
        me,
        key,
        committee.clone(),
        MeshConfig {
            max_frame: cfg.max_frame_bytes,
            ..MeshConfig::default()
        },
    );
    mesh.start(listener);
    let state = Arc::new(NodeState {
        me,
        enc_secret,
        enc_public,
        cid: committee.id(),
        committee,
        params,
        store,
        mesh,
        cfg: cfg.clone(),
        runtime: tokio::runtime::Handle::current(),
    });
    let (rpc_addr, handle) =
        crate::rpc::start_rpc(cfg.rpc_listen, Arc::clone(&state), &cfg.rpc).await?;
    tracing::info!(index = me, %rpc_addr, %p2p_addr, "blind node started");
    Ok(RunningNode {
        state,
        rpc_addr,
        p2p_addr,
        handle,
    })
}
