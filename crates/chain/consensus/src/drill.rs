//! Equivocation drills: evidence exactly as the engine reports it, made on purpose.
//!
//! Slashing runs through several crates (engine → node → transaction → state machine); tests
//! of the later stages need real evidence without running a Byzantine engine, and operators
//! rehearsing the slashing path on a test network need the same.

use crate::{block::to_digest, evidence::encode_fault, identity};
use commonware_consensus::{
    simplex::{
        scheme::ed25519::Scheme,
        types::{Activity, ConflictingNotarize, Notarize, Proposal},
    },
    types::{Epoch, Round, View},
};
use synod_primitives::{AccountId, Hash, Keypair};

/// Evidence that `key` signed two different notarize votes in `view` of `epoch`, under the
/// chain's consensus `namespace`, with `validators` the epoch's set. `None` when `key` is not
/// in the set, the set is invalid, or `view` is 0.
pub fn double_notarize(
    key: &Keypair,
    validators: &[AccountId],
    namespace: &[u8],
    epoch: u64,
    view: u64,
) -> Option<Vec<u8>> {
    if view == 0 {
        return None;
    }
    let participants = identity::participants(validators).ok()?;
    let scheme = Scheme::signer(namespace, participants, identity::signing_key(key))?;
    let proposal = |payload: &[u8]| {
        Proposal::new(
            Round::new(Epoch::new(epoch), View::new(view)),
            View::new(view - 1),
            to_digest(&Hash::digest(payload)),
        )
    };
    let a = Notarize::sign(&scheme, proposal(b"drill-a"))?;
    let b = Notarize::sign(&scheme, proposal(b"drill-b"))?;
    encode_fault(&Activity::ConflictingNotarize(ConflictingNotarize::new(
        a, b,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify_equivocation;

    #[test]
    fn drill_evidence_verifies_and_names_the_signer() {
        let set: Vec<AccountId> = (0..4)
            .map(|i| Keypair::dev(&format!("d{i}")).account())
            .collect();
        let key = Keypair::dev("d3");
        let ev = double_notarize(&key, &set, b"ns", 2, 17).expect("evidence");
        let got =
            verify_equivocation(b"ns", &|e| (e == 2).then(|| set.clone()), &ev).expect("verifies");
        assert_eq!((got.offender, got.epoch, got.view), (key.account(), 2, 17));
        assert!(double_notarize(&Keypair::dev("outsider"), &set, b"ns", 2, 17).is_none());
        assert!(verify_equivocation(b"other", &|_| Some(set.clone()), &ev).is_err());
    }
}
