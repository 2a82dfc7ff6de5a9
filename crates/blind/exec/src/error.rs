//! Error type of the executor. No variant carries secret data: input errors
//! name the input and (only for public values or values the caller itself
//! supplied) the offending value.

use synod_blind_lang::{MirError, ScalarType, Secrecy};
use synod_mpc::{MpcError, PrepKind};
use thiserror::Error;

/// Why planning, execution, sharing or reconstruction failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// The MIR does not validate.
    #[error("invalid program: {0}")]
    InvalidProgram(#[from] MirError),
    /// A party name the program does not declare.
    #[error("unknown party `{0}`")]
    UnknownParty(String),
    /// Input data for a name the program does not declare (or not for this
    /// party).
    #[error("unexpected input `{0}`")]
    UnexpectedInput(String),
    /// A declared input is missing.
    #[error("missing input `{0}`")]
    MissingInput(String),
    /// Input data has the wrong number of elements or nesting.
    #[error("input `{name}` has the wrong shape: expected {expected} elements, got {actual}")]
    WrongShape {
        /// Input name.
        name: String,
        /// Elements the declaration has.
        expected: usize,
        /// Elements supplied.
        actual: usize,
    },
    /// Shares supplied for a public input, or a plaintext for a secret one.
    #[error("input `{name}` is declared {expected}")]
    SecrecyMismatch {
        /// Input name.
        name: String,
        /// Declared secrecy.
        expected: Secrecy,
    },
    /// A value of the wrong scalar kind (bool for an integer or vice versa).
    #[error("input `{name}` expects {expected}")]
    WrongType {
        /// Input name.
        name: String,
        /// Declared type.
        expected: ScalarType,
    },
    /// A plaintext value outside the declared type's range.
    #[error("input `{name}`: {value} is out of range for {ty}")]
    OutOfRange {
        /// Input name.
        name: String,
        /// The (caller's own or public) value.
        value: i128,
        /// Declared type.
        ty: ScalarType,
    },
    /// A party binding names a committee member outside `0..n`, or the
    /// bindings do not cover the program's parties.
    #[error("invalid party bindings: {0}")]
    BadBindings(String),
    /// The field is too small for the executor's deferred reductions.
    #[error("field too small: executor needs {needed} bits, field has {available}")]
    FieldTooSmall {
        /// Bits needed.
        needed: u32,
        /// Bits of the field modulus.
        available: u32,
    },
    /// The preprocessing pool lacks material and the options forbid
    /// generating it (nothing of the online phase was started, or the run
    /// stopped before the operation that needed it).
    #[error("preprocessing exhausted for {kind:?}: need {needed}, available {available}")]
    PreprocessingExhausted {
        /// Which kind of element.
        kind: PrepKind,
        /// How many are needed.
        needed: u64,
        /// How many the pool holds.
        available: u64,
    },
    /// The transport failed (network down, peer gone, timeout).
    #[error("transport failure: {0}")]
    Transport(String),
    /// An output depends on a division by a (public) zero, exactly as the
    /// reference interpreter reports it.
    #[error("division by zero (node {node}) needed by output `{output}`")]
    DivisionByZero {
        /// Node that divided by zero.
        node: u32,
        /// First affected output (declaration order).
        output: String,
    },
    /// Output shares could not be reconstructed (too few, inconsistent, or
    /// a value outside its type's range).
    #[error("cannot reconstruct output `{output}`: {reason}")]
    Reconstruct {
        /// Output name.
        output: String,
        /// What went wrong.
        reason: String,
    },
    /// Any other failure of the MPC engine (protocol violation by a peer,
    /// deadlock, ...).
    #[error("mpc: {0}")]
    Mpc(MpcError),
    /// Broken executor invariant (a bug).
    #[error("internal executor error: {0}")]
    Internal(&'static str),
}

impl From<MpcError> for ExecError {
    fn from(e: MpcError) -> Self {
        match e {
            MpcError::Transport(s) => ExecError::Transport(s),
            MpcError::PreprocessingExhausted {
                kind,
                needed,
                available,
            } => ExecError::PreprocessingExhausted {
                kind,
                needed,
                available,
            },
            other => ExecError::Mpc(other),
        }
    }
}

/// Result alias.
pub type Result<T, E = ExecError> = core::result::Result<T, E>;
