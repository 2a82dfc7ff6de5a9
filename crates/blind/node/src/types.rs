//! Identifiers, permissions, stored records and the signed request format.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use ark_ff::{BigInteger, PrimeField};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_mpc::Fr;
use synod_primitives::{AccountId, Keypair, Signature};

use crate::error::BlindError;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize)]
        pub struct $name(pub [u8; 32]);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = BlindError;
            fn from_str(s: &str) -> Result<Self, BlindError> {
                let s = s.strip_prefix("0x").unwrap_or(s);
                let v = hex::decode(s)
                    .map_err(|e| BlindError::Invalid(format!("bad {} hex: {e}", stringify!($name))))?;
                let arr: [u8; 32] = v
                    .try_into()
                    .map_err(|_| BlindError::Invalid(format!("{} must be 32 bytes", stringify!($name))))?;
                Ok($name(arr))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// Identifier of a stored secret (chosen by the client, random).
    SecretId
);
hex_id!(
    /// Identifier of a job: a hash of the invoking user and the public part
    /// of the invocation, so every node derives the same id.
    JobId
);
hex_id!(
    /// `blake3` of a program's canonical MIR bytes.
    ProgramKey
);
hex_id!(
    /// Identifier of a committee: hash of its members (ids, keys, addresses).
    CommitteeId
);
hex_id!(
    /// A node's static X25519 public key: clients seal requests for it
    /// (see [`crate::envelope`]).
    NodeEncKey
);

impl SecretId {
    /// A fresh random id.
    pub fn random() -> Result<Self, BlindError> {
        Ok(SecretId(random_bytes()?))
    }
}

/// 32 bytes from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], BlindError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| BlindError::Config(format!("OS randomness: {e}")))?;
    Ok(b)
}

/// Who may do what with one stored secret. Enforced by every node on every
/// request. The owner may always retrieve, update, delete, change the
/// permissions and compute with any program.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Permissions {
    /// Owner.
    pub owner: AccountId,
    /// Users allowed to retrieve the shares.
    pub retrieve: BTreeSet<AccountId>,
    /// Users allowed to overwrite the value.
    pub update: BTreeSet<AccountId>,
    /// Users allowed to delete it.
    pub delete: BTreeSet<AccountId>,
    /// User → programs that user may run on this secret.
    pub compute: BTreeMap<AccountId, BTreeSet<ProgramKey>>,
}

/// One kind of access checked against [`Permissions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read the share.
    Retrieve,
    /// Overwrite the value.
    Update,
    /// Delete.
    Delete,
    /// Read or change the permissions (owner only).
    Permissions,
    /// Use as an input of this program.
    Compute(ProgramKey),
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::Retrieve => f.write_str("retrieve"),
            Access::Update => f.write_str("update"),
            Access::Delete => f.write_str("delete"),
            Access::Permissions => f.write_str("change permissions of"),
            Access::Compute(p) => write!(f, "compute with program {p} on"),
        }
    }
}

impl Permissions {
    /// Only the owner may do anything.
    pub fn owner_only(owner: AccountId) -> Self {
        Permissions {
            owner,
            ..Default::default()
        }
    }

    /// Whether `user` may perform `access`.
    pub fn allows(&self, user: &AccountId, access: Access) -> bool {
        if *user == self.owner {
            return true;
        }
        match access {
            Access::Retrieve => self.retrieve.contains(user),
            Access::Update => self.update.contains(user),
            Access::Delete => self.delete.contains(user),
            Access::Permissions => false,
            Access::Compute(p) => self.compute.get(user).is_some_and(|s| s.contains(&p)),
        }
    }

    /// `Ok` or the refusal every honest node gives.
    pub fn check(&self, user: &AccountId, access: Access, id: &SecretId) -> Result<(), BlindError> {
        if self.allows(user, access) {
            Ok(())
        } else {
            Err(BlindError::Unauthorised(format!(
                "user {user} may not {access} secret {id}"
            )))
        }
    }
}

/// Scalar type code (as in `synod_blind_lang::ScalarType::code`) plus shape
/// and one field element per element: a share for secret values, the value
/// itself for public ones.
#[derive(Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SharedValue {
    /// `ScalarType::code()`.
    pub ty: u8,
    /// Array shape; empty for a scalar.
    pub shape: Vec<u32>,
    /// Whether the elements are plaintext (public input) rather than shares.
    pub public: bool,
    /// Canonical little-endian field elements.
    pub elements: Vec<[u8; 32]>,
}

impl fmt::Debug for SharedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedValue")
            .field("ty", &self.ty)
            .field("shape", &self.shape)
            .field("public", &self.public)
            .field("len", &self.elements.len())
            .finish()
    }
}

impl SharedValue {
    /// The scalar type, if the code is known.
    pub fn scalar_type(&self) -> Result<synod_blind_lang::ScalarType, BlindError> {
        synod_blind_lang::ScalarType::from_code(self.ty)
            .ok_or_else(|| BlindError::Invalid(format!("unknown scalar type code {}", self.ty)))
    }

    /// Check the element count matches the shape and every element is canonical.
    pub fn validate(&self, max_elements: usize) -> Result<(), BlindError> {
        self.scalar_type()?;
        let len = synod_blind_lang::mir::shape_len(&self.shape)
            .ok_or_else(|| BlindError::Invalid("shape overflows".into()))?;
        if len as usize != self.elements.len() {
            return Err(BlindError::Invalid(format!(
                "shape has {len} elements but {} were sent",
                self.elements.len()
            )));
        }
        if self.elements.len() > max_elements {
            return Err(BlindError::Invalid(format!(
                "{} elements exceed the limit {max_elements}",
                self.elements.len()
            )));
        }
        for e in &self.elements {
            fr_from_bytes(e)?;
        }
        Ok(())
    }

    /// Decode the field elements.
    pub fn field_elements(&self) -> Result<Vec<Fr>, BlindError> {
        self.elements.iter().map(fr_from_bytes).collect()
    }
}

/// Canonical little-endian encoding of a field element.
pub fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    let v = x.into_bigint().to_bytes_le();
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(v) {
        *o = b;
    }
    out
}

/// Decode a canonical element (rejects values `>= p`).
pub fn fr_from_bytes(b: &[u8; 32]) -> Result<Fr, BlindError> {
    let x = Fr::from_le_bytes_mod_order(b);
    if fr_to_bytes(&x) == *b {
        Ok(x)
    } else {
        Err(BlindError::Invalid("non-canonical field element".into()))
    }
}

/// A stored secret at one node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SecretRecord {
    /// Who may do what.
    pub permissions: Permissions,
    /// This node's share.
    pub value: SharedValue,
    /// Incremented on every update.
    pub version: u64,
}

/// A stored program at one node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProgramRecord {
    /// Who uploaded it.
    pub uploader: AccountId,
    /// Canonical MIR bytes.
    pub mir: Vec<u8>,
}

/// Source of one program input at invocation time.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum InputSource {
    /// A stored secret (the invoker needs compute permission on it).
    Stored(SecretId),
    /// Inline: this node's share (or the public value).
    Inline(SharedValue),
}

/// One input binding.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct InputBinding {
    /// Program input name.
    pub name: String,
    /// Where the value comes from.
    pub source: InputSource,
}

/// Built-in benchmark jobs (no program, random shared operands).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub enum BenchKind {
    /// Batched secure multiplications (one round).
    Mul,
    /// Batched 32-bit comparisons (preprocessing + online).
    Compare,
    /// Batched 64-bit signed comparisons (preprocessing + online).
    Compare64,
}

/// What an invocation runs.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum JobKind {
    /// A stored program with input and party bindings.
    Program {
        /// Program id.
        program: ProgramKey,
        /// Inputs.
        inputs: Vec<InputBinding>,
        /// Program party name → user.
        parties: Vec<(String, AccountId)>,
    },
    /// A built-in benchmark over `count` random operands.
    Bench {
        /// Which.
        kind: BenchKind,
        /// Batch size.
        count: u32,
        /// Repetitions (rounds of the batch).
        reps: u32,
    },
}

/// An invocation. `nonce` is chosen by the client and shared by the
/// requests to all nodes, so all nodes derive the same [`JobId`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Invocation {
    /// Client-chosen nonce.
    pub nonce: [u8; 16],
    /// What to run.
    pub kind: JobKind,
}

impl Invocation {
    /// The job id every node derives: hash of the invoker and the public
    /// part of the invocation (inline values contribute their type, shape
    /// and publicness, and for public ones the values themselves).
    pub fn job_id(&self, user: &AccountId) -> JobId {
        let mut h = blake3::Hasher::new_derive_key("synod/blind/job/v1");
        h.update(&user.0);
        h.update(&self.nonce);
        match &self.kind {
            JobKind::Program {
                program,
                inputs,
                parties,
            } => {
                h.update(b"P");
                h.update(&program.0);
                h.update(&(inputs.len() as u64).to_le_bytes());
                for b in inputs {
                    hash_str(&mut h, &b.name);
                    match &b.source {
                        InputSource::Stored(id) => {
                            h.update(b"S");
                            h.update(&id.0);
                        }
                        InputSource::Inline(v) => {
                            h.update(b"I");
                            h.update(&[v.ty, u8::from(v.public)]);
                            h.update(&(v.shape.len() as u64).to_le_bytes());
                            for d in &v.shape {
                                h.update(&d.to_le_bytes());
                            }
                            if v.public {
                                for e in &v.elements {
                                    h.update(e);
                                }
                            }
                        }
                    }
                }
                h.update(&(parties.len() as u64).to_le_bytes());
                for (p, u) in parties {
                    hash_str(&mut h, p);
                    h.update(&u.0);
                }
            }
            JobKind::Bench { kind, count, reps } => {
                h.update(b"B");
                h.update(&[*kind as u8]);
                h.update(&count.to_le_bytes());
                h.update(&reps.to_le_bytes());
            }
        }
        JobId(*h.finalize().as_bytes())
    }
}

fn hash_str(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// The operation a client asks one node to perform.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Operation {
    /// Store a new secret (this node's share).
    StoreSecret {
        /// New id.
        id: SecretId,
        /// This node's share.
        value: SharedValue,
        /// Initial permissions (owner must be the caller).
        permissions: Permissions,
    },
    /// Read this node's share.
    RetrieveSecret {
        /// Which.
        id: SecretId,
    },
    /// Overwrite the value.
    UpdateSecret {
        /// Which.
        id: SecretId,
        /// New share.
        value: SharedValue,
    },
    /// Delete.
    DeleteSecret {
        /// Which.
        id: SecretId,
    },
    /// Read the permissions.
    GetPermissions {
        /// Which.
        id: SecretId,
    },
    /// Replace the permissions (owner only).
    SetPermissions {
        /// Which.
        id: SecretId,
        /// New permissions.
        permissions: Permissions,
    },
    /// Upload a program (canonical MIR bytes).
    StoreProgram {
        /// MIR.
        mir: Vec<u8>,
    },
    /// Start a job.
    Invoke(Invocation),
    /// Fetch the result shares of a job addressed to the caller.
    GetResult {
        /// Which job.
        job: JobId,
    },
    // Appended after the single-phase operations so their tags keep their meaning.
    /// Phase one of an all-or-nothing store: the node checks the request like `StoreSecret`
    /// and holds the share aside, invisible to retrieval and jobs, until `CommitSecret`; an
    /// entry never committed expires. Repeating it with the same content is harmless.
    PrepareSecret {
        /// New id (also the request id of the store: retries reuse it).
        id: SecretId,
        /// This node's share.
        value: SharedValue,
        /// Initial permissions (owner must be the caller).
        permissions: Permissions,
    },
    /// Phase two: make the prepared share the stored secret. Idempotent.
    CommitSecret {
        /// Which.
        id: SecretId,
        /// [`store_content_digest`] of what was prepared, so a node commits exactly what the
        /// client meant.
        content: [u8; 32],
    },
    /// Drop the caller's prepared share of `id` (the store failed elsewhere), and refuse
    /// prepares of it signed before this request that arrive late.
    AbortSecret {
        /// Which.
        id: SecretId,
    },
}

/// Digest of what one node is asked to store (its share and the permissions): equal digests
/// make a repeated store of the same id a retry rather than a conflict.
pub fn store_content_digest(value: &SharedValue, permissions: &Permissions) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("synod/blind/store-content/v1");
    // Serialising into a Vec cannot fail.
    h.update(&borsh::to_vec(value).unwrap_or_default());
    h.update(&borsh::to_vec(permissions).unwrap_or_default());
    *h.finalize().as_bytes()
}

impl Operation {
    /// Short name for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::StoreSecret { .. } => "store",
            Operation::RetrieveSecret { .. } => "retrieve",
            Operation::UpdateSecret { .. } => "update",
            Operation::DeleteSecret { .. } => "delete",
            Operation::GetPermissions { .. } => "get-permissions",
            Operation::SetPermissions { .. } => "set-permissions",
            Operation::StoreProgram { .. } => "store-program",
            Operation::Invoke(_) => "invoke",
            Operation::GetResult { .. } => "result",
            Operation::PrepareSecret { .. } => "prepare-store",
            Operation::CommitSecret { .. } => "commit-store",
            Operation::AbortSecret { .. } => "abort-store",
        }
    }
}

/// The signed part of a request.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RequestBody {
    /// Committee the request is meant for.
    pub committee: CommitteeId,
    /// Index of the node it is meant for.
    pub node: u16,
    /// Caller.
    pub user: AccountId,
    /// Milliseconds since the Unix epoch; nodes refuse requests outside a
    /// freshness window.
    pub timestamp_ms: u64,
    /// Random nonce; nodes refuse a `(user, nonce)` seen before.
    pub nonce: [u8; 16],
    /// What to do.
    pub op: Operation,
}

/// Domain separator of request signatures.
pub const REQUEST_DOMAIN: &[u8] = b"synod/blind/request/v1";

impl RequestBody {
    /// Bytes that are signed.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut out = REQUEST_DOMAIN.to_vec();
        // Serialising into a Vec cannot fail.
        let _ = borsh::to_writer(&mut out, self);
        out
    }

    /// Sign with `key` (whose account must be `self.user`).
    pub fn sign(self, key: &Keypair) -> SignedRequest {
        let signature = key.sign(&self.signing_payload());
        SignedRequest {
            body: self,
            signature,
        }
    }
}

/// A request with the caller's ed25519 signature.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignedRequest {
    /// Signed body.
    pub body: RequestBody,
    /// Signature of `body.user` over [`RequestBody::signing_payload`].
    pub signature: Signature,
}

impl SignedRequest {
    /// Verify the signature.
    pub fn verify(&self) -> Result<(), BlindError> {
        self.body
            .user
            .verify(&self.body.signing_payload(), &self.signature)
            .map_err(|e| BlindError::BadAuth(format!("signature: {e}")))
    }
}

/// One named output delivered to its party.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OutputShare {
    /// Output name.
    pub name: String,
    /// Program party name.
    pub party: String,
    /// This node's share (or the value, when public).
    pub value: SharedValue,
}

/// State of a job at one node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum JobStatus {
    /// Running.
    Running,
    /// Finished; outputs kept per user.
    Done,
    /// Failed with this message.
    Failed(String),
}

/// Timing figures of a finished job at one node.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct JobStats {
    /// Wall time of the whole job in microseconds.
    pub total_us: u64,
    /// Wall time of the online phase in microseconds.
    pub online_us: u64,
    /// Rounds: setup, preprocessing, online.
    pub rounds: [u64; 3],
    /// Operations performed (benchmarks: multiplications or comparisons).
    pub operations: u64,
}

/// A job as kept by one node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct JobRecord {
    /// Who invoked it.
    pub invoker: AccountId,
    /// State.
    pub status: JobStatus,
    /// Outputs, keyed by the user they are addressed to.
    pub outputs: BTreeMap<AccountId, Vec<OutputShare>>,
    /// Figures.
    pub stats: JobStats,
}

/// A node's answer to a request.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Response {
    /// Done, nothing to return.
    Ok,
    /// A share and its permissions.
    Secret {
        /// The share.
        value: SharedValue,
        /// Current permissions.
        permissions: Permissions,
        /// Version.
        version: u64,
    },
    /// Permissions of a secret.
    Permissions(Permissions),
    /// A program was stored.
    ProgramStored {
        /// Its id.
        program: ProgramKey,
        /// Online rounds from the analyser.
        online_rounds: u32,
        /// Secure multiplications from the analyser.
        mults: u64,
    },
    /// A job was accepted and started.
    JobStarted(JobId),
    /// A job's result at this node for the caller.
    JobResult {
        /// Outputs addressed to the caller.
        outputs: Vec<OutputShare>,
        /// Figures.
        stats: JobStats,
    },
}

/// Upper bound on an encoded request or response (bytes).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Upper bound on an encoded request: the largest legitimate one stores or updates a value of
/// `MAX_VALUE_ELEMENTS` shares (32 bytes each); 1 MiB more covers its permissions, shape, ids,
/// signature and small inline inputs. (Programs are at most 4 MiB.)
pub const MAX_REQUEST_BYTES: usize = crate::node::MAX_VALUE_ELEMENTS * 32 + (1 << 20);

/// Bounded borsh decode: refuses inputs above `max` bytes and trailing bytes.
pub fn decode_bounded<T: BorshDeserialize>(bytes: &[u8], max: usize) -> Result<T, BlindError> {
    if bytes.len() > max {
        return Err(BlindError::Invalid(format!(
            "message of {} bytes exceeds {max}",
            bytes.len()
        )));
    }
    borsh::from_slice(bytes).map_err(|e| BlindError::Invalid(format!("decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_bytes_round_trip_and_reject_non_canonical() {
        let x = synod_mpc::from_i128::<Fr>(-7);
        assert_eq!(fr_from_bytes(&fr_to_bytes(&x)), Ok(x));
        assert!(fr_from_bytes(&[0xff; 32]).is_err());
    }

    #[test]
    fn ids_parse() {
        let id = SecretId([7; 32]);
        assert_eq!(id.to_string().parse::<SecretId>(), Ok(id));
        assert!("zz".parse::<SecretId>().is_err());
        assert!("00".parse::<SecretId>().is_err());
    }
}
