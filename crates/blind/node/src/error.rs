//! Error types of the node and the client.

use thiserror::Error;

/// Why a request was refused or a job failed. The `Display` text is what a
/// client sees; no variant carries secret data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BlindError {
    /// The caller lacks the permission the request needs.
    #[error("unauthorised: {0}")]
    Unauthorised(String),
    /// The request's signature, committee, node index, timestamp or nonce is
    /// invalid.
    #[error("bad request authentication: {0}")]
    BadAuth(String),
    /// The request is malformed or inconsistent.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The named object does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The object already exists.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// A program failed decoding or the analyser's admission limits.
    #[error("program rejected: {0}")]
    ProgramRejected(String),
    /// A job failed (peer down or slow, protocol error, bad inputs).
    #[error("job failed: {0}")]
    JobFailed(String),
    /// The job has not finished yet.
    #[error("job still running")]
    JobRunning,
    /// Storage failure.
    #[error("storage error: {0}")]
    Storage(String),
    /// Network, handshake or framing failure.
    #[error("network error: {0}")]
    Network(String),
    /// Configuration problem.
    #[error("configuration error: {0}")]
    Config(String),
    /// A node answered with an error (client side).
    #[error("node {node}: {message}")]
    Node {
        /// Committee index of the node.
        node: usize,
        /// The node's message.
        message: String,
    },
    /// Reconstruction of a value failed (client side).
    #[error("reconstruction failed: {0}")]
    Reconstruct(String),
}

impl BlindError {
    /// Stable numeric code used on the JSON-RPC wire.
    pub fn code(&self) -> i32 {
        match self {
            BlindError::Unauthorised(_) => 4003,
            BlindError::BadAuth(_) => 4001,
            BlindError::Invalid(_) => 4000,
            BlindError::NotFound(_) => 4004,
            BlindError::AlreadyExists(_) => 4009,
            BlindError::ProgramRejected(_) => 4022,
            BlindError::JobFailed(_) => 5001,
            BlindError::JobRunning => 4202,
            BlindError::Storage(_) => 5002,
            BlindError::Network(_) => 5003,
            BlindError::Config(_) => 5004,
            BlindError::Node { .. } => 5005,
            BlindError::Reconstruct(_) => 5006,
        }
    }
}

impl From<redb::Error> for BlindError {
    fn from(e: redb::Error) -> Self {
        BlindError::Storage(e.to_string())
    }
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for BlindError {
            fn from(e: $t) -> Self {
                BlindError::Storage(e.to_string())
            }
        }
    )*};
}
storage_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result alias.
pub type Result<T, E = BlindError> = std::result::Result<T, E>;
