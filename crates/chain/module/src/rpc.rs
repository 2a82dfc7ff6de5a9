//! What a module's JSON-RPC namespace is built with.
//!
//! A module crate declares its methods with jsonrpsee's `#[rpc(server, client, namespace =
//! "<module>")]`, implements them over a [`Store`] (reading the newest committed state with
//! [`read_latest`]), and describes each method in a [`MethodDoc`] list that the node merges
//! into its OpenRPC document (`rpc.discover`). A test in the node fails if a served method has
//! no description.

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use std::sync::Arc;
use synod_primitives::Hash;
use synod_storage::typed::StateError;
use synod_storage::{Snapshot, StateRead, StorageError, Store};

/// JSON-RPC code of invalid parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC code of an internal error (storage failed, a task panicked).
pub const INTERNAL: i32 = -32603;
/// Error code of a missing block, height or record.
pub const NOT_FOUND: i32 = 1002;

/// An internal error (the node's fault, not the caller's).
pub fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(INTERNAL, format!("internal error: {e}"), None::<()>)
}

/// Invalid parameters (the caller's fault).
pub fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

/// Runs `f` on the newest committed state, off the async runtime (reads touch the database).
/// `f` gets the snapshot and its height.
pub async fn read_latest<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Snapshot, u64) -> Result<T, StateError> + Send + 'static,
) -> Result<T, ErrorObjectOwned> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let snap = store.snapshot().map_err(internal)?;
        let height = snap.height().unwrap_or(0);
        f(&snap, height).map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// Runs `f` on the state after block `block` (the newest committed block when `None`), off
/// the async runtime. `f` gets that state and its height. Past state supports point reads
/// only (see [`synod_storage::Snapshot::at`]); a block not committed yet is a
/// [`NOT_FOUND`] error naming the newest one.
pub async fn read_at<T: Send + 'static>(
    store: &Store,
    block: Option<u64>,
    f: impl FnOnce(&dyn StateRead, u64) -> Result<T, StateError> + Send + 'static,
) -> Result<T, ErrorObjectOwned> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let snap = store.snapshot().map_err(internal)?;
        let head = snap.height().unwrap_or(0);
        match block {
            None => f(&snap, head).map_err(internal),
            Some(h) => {
                let past = snap.at(h).map_err(|e| match e {
                    StorageError::NotCommitted { .. } => {
                        ErrorObject::owned(NOT_FOUND, e.to_string(), None::<()>)
                    }
                    e => internal(e),
                })?;
                f(&past, h).map_err(internal)
            }
        }
    })
    .await
    .map_err(internal)?
}

/// Why the node did not admit a transaction a module's RPC method handed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SubmitRejection {
    /// What the mempool said, for people.
    pub message: String,
    /// The machine-readable kind (as `synod_submitTransaction` reports it), if any.
    pub kind: Option<serde_json::Value>,
}

/// A signed chain transaction as a module's RPC method reads it: who sent it and which
/// module's call it carries, with that call's own borsh encoding (the module decodes it as
/// its `Call` type). The signature has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedTx {
    /// The transaction's hash.
    pub hash: Hash,
    /// Its sender.
    pub sender: synod_primitives::AccountId,
    /// The module whose call it carries (its `NAME`).
    pub module: &'static str,
    /// The call's encoding as the module's `Call` type.
    pub call: Vec<u8>,
}

/// The node's mempool as a module's RPC method sees it: reading a signed chain transaction
/// (the module crate cannot name the chain's `Call`, the composition can) and admitting it
/// under the same checks as `synod_submitTransaction`. Blocking.
pub trait TxSubmitter: Send + Sync {
    /// Decodes `tx` (borsh of a signed chain transaction) and checks its signature.
    fn open(&self, tx: &[u8]) -> Result<OpenedTx, SubmitRejection>;
    /// Admits `tx` and returns its hash, or why it was refused.
    fn submit(&self, tx: Vec<u8>) -> Result<Hash, SubmitRejection>;
}

/// A submitter for nodes that serve queries only (tests, tools): refuses every transaction.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSubmit;

impl TxSubmitter for NoSubmit {
    fn open(&self, _tx: &[u8]) -> Result<OpenedTx, SubmitRejection> {
        Err(SubmitRejection {
            message: "this server does not read transactions".into(),
            kind: None,
        })
    }

    fn submit(&self, _tx: Vec<u8>) -> Result<Hash, SubmitRejection> {
        Err(SubmitRejection {
            message: "this server does not accept transactions".into(),
            kind: None,
        })
    }
}

/// What a module's JSON-RPC methods are built with: the node's store (committed state) and
/// its mempool (for the few methods that take a signed transaction, such as a settlement).
#[derive(Clone)]
pub struct RpcEnv {
    /// The node's store.
    pub store: Store,
    /// The node's mempool.
    pub submitter: Arc<dyn TxSubmitter>,
}

impl RpcEnv {
    /// An environment that serves queries over `store` and accepts no transactions.
    pub fn read_only(store: Store) -> Self {
        RpcEnv {
            store,
            submitter: Arc::new(NoSubmit),
        }
    }
}

impl std::fmt::Debug for RpcEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcEnv").finish_non_exhaustive()
    }
}

/// Writes the JSON Schema of one type into a generator (which collects the named definitions
/// every method refers to).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One parameter of a method, as OpenRPC's Content Descriptor.
#[derive(Clone, Debug)]
pub struct ParamDoc {
    /// Parameter name (positional order is the list order).
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Whether it may be omitted.
    pub required: bool,
    /// The JSON Schema of its Rust type.
    pub schema: SchemaFn,
}

/// One JSON-RPC method, as an OpenRPC Method Object. Parameter and result schemas come from
/// the Rust types the method is declared with, so they cannot drift from what it serves.
#[derive(Clone, Debug)]
pub struct MethodDoc {
    /// Full method name, `<namespace>_<method>`.
    pub name: String,
    /// What it does.
    pub summary: &'static str,
    /// Its parameters in order.
    pub params: Vec<ParamDoc>,
    /// Name and JSON Schema of its result.
    pub result: (&'static str, SchemaFn),
    /// Error codes it can answer with beyond the JSON-RPC standard ones, with their meaning.
    pub errors: Vec<(i32, &'static str)>,
}

impl MethodDoc {
    /// A method of `namespace` named `method`.
    pub fn new(namespace: &str, method: &str, summary: &'static str) -> Self {
        MethodDoc {
            name: format!("{namespace}_{method}"),
            summary,
            params: Vec::new(),
            result: ("result", schema_of::<()>),
            errors: Vec::new(),
        }
    }

    /// Adds a required parameter of type `T`.
    pub fn param<T: JsonSchema>(mut self, name: &'static str, description: &'static str) -> Self {
        self.params.push(ParamDoc {
            name,
            description,
            required: true,
            schema: schema_of::<T>,
        });
        self
    }

    /// Adds an optional parameter of type `T` (the method's argument is `Option<T>`).
    pub fn optional<T: JsonSchema>(
        mut self,
        name: &'static str,
        description: &'static str,
    ) -> Self {
        self.params.push(ParamDoc {
            name,
            description,
            required: false,
            schema: schema_of::<T>,
        });
        self
    }

    /// Sets the result's name and type.
    pub fn returns<T: JsonSchema>(mut self, name: &'static str) -> Self {
        self.result = (name, schema_of::<T>);
        self
    }

    /// Adds an error the method can answer with.
    pub fn error(mut self, code: i32, meaning: &'static str) -> Self {
        self.errors.push((code, meaning));
        self
    }
}
