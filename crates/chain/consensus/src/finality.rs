//! Checking finality proofs without commonware types (for light clients and `--prove`).

use crate::{
    ConsensusError,
    block::{Digest, from_digest},
    identity,
};
use commonware_codec::{Copying, Decode as _};
use commonware_consensus::simplex::{scheme::ed25519::Scheme, types::Finalization};
use commonware_cryptography::certificate::Verifier as _;
use commonware_parallel::Sequential;
use synod_primitives::{AccountId, Hash};

/// What a verified finalization certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalityProof {
    /// The finalized block.
    pub block: Hash,
    /// The consensus view (round) in which it was finalized.
    pub view: u64,
    /// The consensus view of its parent.
    pub parent_view: u64,
}

/// Why a finalization certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinalityError {
    /// The validator set is invalid (empty, duplicate or malformed keys).
    #[error("invalid validator set: {0}")]
    ValidatorSet(String),
    /// The bytes are not an encoded finalization certificate for this validator set's size.
    #[error("malformed finalization certificate: {0}")]
    Malformed(String),
    /// The certificate finalizes a different block.
    #[error("certificate finalizes {actual}, not {expected}")]
    WrongBlock {
        /// The block the caller asked about.
        expected: Hash,
        /// The block the certificate names.
        actual: Hash,
    },
    /// The signatures do not form a quorum of the validator set under this namespace.
    #[error("certificate signatures do not verify against the validator set")]
    BadSignatures,
}

/// Verifies that `certificate` (as handed to [`crate::Application::finalized`]) proves the
/// finality of block `block` for the chain identified by `namespace` (see
/// [`crate::namespace`]) and validator set `validators` (in any order).
pub fn verify_finalization(
    namespace: &[u8],
    validators: &[AccountId],
    block: &Hash,
    certificate: &[u8],
) -> Result<FinalityProof, FinalityError> {
    let participants = identity::participants(validators).map_err(|e| match e {
        ConsensusError::EmptyValidatorSet
        | ConsensusError::DuplicateValidator
        | ConsensusError::InvalidValidatorKey(_) => FinalityError::ValidatorSet(e.to_string()),
        other => FinalityError::ValidatorSet(other.to_string()),
    })?;
    let verifier = Scheme::verifier(namespace, participants);
    let finalization = Finalization::<Scheme, Digest>::decode_cfg(
        Copying(certificate),
        &verifier.certificate_codec_config(),
    )
    .map_err(|e| FinalityError::Malformed(e.to_string()))?;
    let actual = from_digest(&finalization.proposal.payload);
    if actual != *block {
        return Err(FinalityError::WrongBlock {
            expected: *block,
            actual,
        });
    }
    let mut rng = rand::rng();
    if !finalization.verify(&mut rng, &verifier, &Sequential) {
        return Err(FinalityError::BadSignatures);
    }
    Ok(FinalityProof {
        block: actual,
        view: finalization.proposal.round.view().get(),
        parent_view: finalization.proposal.parent.get(),
    })
}
