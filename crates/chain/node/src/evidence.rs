//! Slashing for equivocation, end to end: the consensus engine's evidence check installed as
//! the state machine's verifier, and the report a node files when its engine observes a fault.
//!
//! Every node of a chain must build its executor with [`chain_executor`]: whether a report
//! slashes is part of the state, so a node without the verifier would compute a different
//! state root for a block carrying one.

use std::sync::Arc;
use synod_consensus::{namespace, verify_equivocation};
use synod_execution::Executor;
use synod_execution::validators::{EquivocationVerifier, Offence};
use synod_primitives::AccountId;
use synod_runtime::Genesis;

/// [`verify_equivocation`] under this chain's consensus namespace.
pub struct ConsensusEvidence {
    namespace: Vec<u8>,
}

impl ConsensusEvidence {
    /// The verifier for the chain whose consensus signs under `namespace`.
    pub fn new(namespace: Vec<u8>) -> Self {
        ConsensusEvidence { namespace }
    }
}

impl EquivocationVerifier for ConsensusEvidence {
    fn verify(
        &self,
        evidence: &[u8],
        set_for_epoch: &dyn Fn(u64) -> Option<Vec<AccountId>>,
    ) -> Result<Offence, String> {
        verify_equivocation(&self.namespace, set_for_epoch, evidence)
            .map(|e| Offence {
                offender: e.offender,
                epoch: e.epoch,
                view: e.view,
            })
            .map_err(|e| e.to_string())
    }
}

/// The state machine of the chain described by `genesis`, with the consensus engine's
/// equivocation verifier installed.
pub fn chain_executor(genesis: Genesis) -> Executor {
    let executor = Executor::new(genesis);
    let ns = namespace(&executor.genesis().chain_id, &executor.genesis_hash());
    executor.with_equivocation_verifier(Arc::new(ConsensusEvidence::new(ns)))
}
