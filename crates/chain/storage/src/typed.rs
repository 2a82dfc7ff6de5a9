//! Typed access to raw state: what every module crate builds on.

use crate::StateRead;
use crate::delta::Overlay;
use borsh::{BorshDeserialize, BorshSerialize};

/// Failure reading state: an environmental storage error or a record that does not decode.
/// Either one makes the block unexecutable on this node, never a transaction failure.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] crate::StorageError),
    /// A stored value did not decode.
    #[error("corrupt state value under key 0x{key}: {reason}")]
    Corrupt {
        /// Hex of the key.
        key: String,
        /// Decoder message.
        reason: String,
    },
}

/// Reads and decodes a borsh value.
pub fn get<T: BorshDeserialize>(
    state: &(impl StateRead + ?Sized),
    key: &[u8],
) -> Result<Option<T>, StateError> {
    match state.get(key)? {
        Some(bytes) => borsh::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                key: hex_of(key),
                reason: e.to_string(),
            }),
        None => Ok(None),
    }
}

/// Encodes and writes a borsh value.
pub fn put<R: StateRead + ?Sized, T: BorshSerialize>(
    state: &mut Overlay<'_, R>,
    key: Vec<u8>,
    value: &T,
) {
    state.put(key, synod_primitives::encode(value));
}

fn hex_of(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}
