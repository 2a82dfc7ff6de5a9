//! The state commitment: a Jellyfish Merkle Tree (SHA-256) over hashed state keys, one tree
//! version per block height, and proofs of a key's value (or absence) against a state root.
//!
//! Modules never see the tree: they read and write raw keys; this module turns a block's
//! [`ChangeSet`] into a new root. Replacing the tree (QMDB, NOMT) means replacing this module.

use crate::delta::{ChangeSet, StateView};
use crate::{Result, StorageError};
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use sha2::Sha256;
use synod_primitives::{Hash, Height};

type Tree<'a, R> = JellyfishMerkleTree<'a, R, Sha256>;

/// The tree's key for a raw state key.
pub fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash(<Sha256 as jmt::SimpleHasher>::hash(key))
}

/// Reads tree nodes through a view: uncommitted ancestors' node batches first, then disk.
struct ViewTreeReader<'a> {
    view: &'a StateView,
}

impl TreeReader for ViewTreeReader<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        for p in self.view.pending.iter().rev() {
            if let Some(n) = p.tree.get_node(node_key) {
                return Ok(Some(n.clone()));
            }
        }
        Ok(self.view.snapshot.tree_node(node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for p in self.view.pending.iter().rev() {
            if p.height > max_version {
                continue;
            }
            if let Some(v) = p.tree.values().get(&(p.height, key_hash)) {
                return Ok(v.clone());
            }
        }
        Ok(self.view.snapshot.tree_value(max_version, key_hash)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used when restoring a tree from a snapshot stream, which Synod does not do.
        anyhow::bail!("rightmost-leaf lookup is not supported")
    }
}

/// Applies `changes` on top of `view` as tree version `height`; returns the new state root and
/// the nodes to store with the block.
pub fn compute_state_root(
    view: &StateView,
    changes: &ChangeSet,
    height: Height,
) -> Result<(Hash, NodeBatch)> {
    let reader = ViewTreeReader { view };
    let tree = Tree::new(&reader);
    let updates = changes.iter().map(|(k, v)| (key_hash(k), v.clone()));
    let (root, batch) = tree
        .put_value_set(updates, height)
        .map_err(|e| StorageError::Commitment(e.to_string()))?;
    Ok((Hash(root.0), batch.node_batch))
}

/// Proof that a key had a given value (or none) in the state whose root is committed in the
/// header at `height`.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub struct StateProof {
    /// The raw state key.
    pub key: Vec<u8>,
    /// The value, or `None` for a proof of absence.
    pub value: Option<Vec<u8>>,
    /// Height whose state root the proof is against.
    pub height: Height,
    /// The tree's sparse Merkle proof.
    pub proof: jmt::proof::SparseMerkleProof<Sha256>,
}

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state proof does not verify: {0}")]
pub struct ProofError(pub String);

impl StateProof {
    /// Checks the proof against `state_root` (taken from a finalized header at `self.height`).
    pub fn verify(&self, state_root: &Hash) -> Result<(), ProofError> {
        self.proof
            .verify(
                RootHash(state_root.0),
                key_hash(&self.key),
                self.value.as_deref(),
            )
            .map_err(|e| ProofError(e.to_string()))
    }

    /// Canonical bytes, for transport.
    pub fn to_bytes(&self) -> Vec<u8> {
        synod_primitives::encode(self)
    }

    /// Decodes transported bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofError> {
        synod_primitives::decode_exact(bytes, 64 * 1024).map_err(|e| ProofError(e.to_string()))
    }
}

pub(crate) fn prove(snapshot: &crate::Snapshot, key: &[u8], height: Height) -> Result<StateProof> {
    let view = StateView::new(std::sync::Arc::new(snapshot.clone()), Vec::new());
    let reader = ViewTreeReader { view: &view };
    let tree = Tree::new(&reader);
    let (value, proof) = tree
        .get_with_proof(key_hash(key), height)
        .map_err(|e| StorageError::Commitment(e.to_string()))?;
    Ok(StateProof {
        key: key.to_vec(),
        value,
        height,
        proof,
    })
}
