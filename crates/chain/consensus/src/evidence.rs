//! Equivocation evidence: a validator's two conflicting signed votes, encoded as Synod evidence
//! bytes by the engine and checked without commonware types by [`verify_equivocation`].
//!
//! Encoding: `version (1) ‖ kind (1) ‖ the commonware encoding of the fault` (two votes, each
//! carrying round, proposal, signer index and ed25519 signature). The state machine must not
//! slash twice for one fault: key de-duplication on [`Equivocation::key`] rather than on the
//! bytes (the same two votes in the other order are different bytes).

use crate::{
    Application,
    block::Digest,
    identity::{self, PublicKey},
};
use commonware_actor::Feedback;
use commonware_codec::{Copying, DecodeExt as _, Encode as _};
use commonware_consensus::{
    Epochable as _, Reporter, Viewable as _,
    simplex::{
        scheme::ed25519::Scheme,
        types::{
            Activity, Attributable as _, ConflictingFinalize, ConflictingNotarize, NullifyFinalize,
        },
    },
};
use commonware_parallel::Sequential;
use synod_primitives::AccountId;
use tracing::{info, warn};

/// Version byte of the evidence encoding.
pub const EVIDENCE_VERSION: u8 = 1;

/// Which rule the offender broke (always within one view of one epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// Signed notarize votes for two different proposals.
    ConflictingNotarize = 1,
    /// Signed finalize votes for two different proposals.
    ConflictingFinalize = 2,
    /// Signed both a nullify (skip) and a finalize vote.
    NullifyFinalize = 3,
}

impl FaultKind {
    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::ConflictingNotarize),
            2 => Some(Self::ConflictingFinalize),
            3 => Some(Self::NullifyFinalize),
            _ => None,
        }
    }
}

/// A verified equivocation: who, when, and which rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivocation {
    /// The validator that signed both votes.
    pub offender: AccountId,
    /// The epoch of the votes.
    pub epoch: u64,
    /// The consensus view (round) of the votes.
    pub view: u64,
    /// The rule broken.
    pub kind: FaultKind,
}

impl Equivocation {
    /// The identity of the fault for de-duplication: one slash per offender, epoch, view and
    /// kind, whatever the vote order or which peer reported it.
    pub fn key(&self) -> (AccountId, u64, u64, FaultKind) {
        (self.offender, self.epoch, self.view, self.kind)
    }
}

/// Why evidence was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The evidence is empty or shorter than its header.
    #[error("evidence is truncated")]
    Truncated,
    /// Unknown encoding version.
    #[error("unsupported evidence version {0}")]
    UnsupportedVersion(u8),
    /// Unknown fault kind byte.
    #[error("unknown fault kind {0}")]
    UnknownKind(u8),
    /// The votes do not decode (bad encoding, trailing bytes, or the two votes are not from one
    /// signer in one round, or do not conflict).
    #[error("malformed evidence: {0}")]
    Malformed(String),
    /// The caller knows no validator set for the evidence's epoch.
    #[error("no validator set known for epoch {0}")]
    UnknownEpoch(u64),
    /// The epoch's validator set is invalid (empty, duplicate or malformed keys).
    #[error("invalid validator set for epoch {epoch}: {reason}")]
    ValidatorSet {
        /// The epoch.
        epoch: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The signer index is outside the epoch's validator set.
    #[error("signer index {index} is not in the {size}-validator set of epoch {epoch}")]
    UnknownSigner {
        /// The index named by the votes.
        index: u32,
        /// The size of the epoch's validator set.
        size: usize,
        /// The epoch.
        epoch: u64,
    },
    /// At least one signature does not verify under the signer's key and this namespace.
    #[error("evidence signatures do not verify")]
    BadSignatures,
}

/// The decoded fault, before signature checks.
enum Fault {
    Notarize(ConflictingNotarize<Scheme, Digest>),
    Finalize(ConflictingFinalize<Scheme, Digest>),
    NullifyFinalize(NullifyFinalize<Scheme, Digest>),
}

/// Encodes a fault activity as Synod evidence bytes; `None` for any other activity.
pub(crate) fn encode_fault(activity: &Activity<Scheme, Digest>) -> Option<Vec<u8>> {
    let (kind, body) = match activity {
        Activity::ConflictingNotarize(fault) => (FaultKind::ConflictingNotarize, fault.encode()),
        Activity::ConflictingFinalize(fault) => (FaultKind::ConflictingFinalize, fault.encode()),
        Activity::NullifyFinalize(fault) => (FaultKind::NullifyFinalize, fault.encode()),
        _ => return None,
    };
    let mut out = Vec::with_capacity(2 + body.len());
    out.push(EVIDENCE_VERSION);
    out.push(kind as u8);
    out.extend_from_slice(&body);
    Some(out)
}

/// Checks equivocation evidence (as handed to [`crate::Application::fault_observed`]) for the
/// chain identified by `namespace` (see [`crate::namespace`]).
///
/// Votes name their signer by index into the epoch's validator set, so the caller supplies the
/// set of each epoch from chain state (`validators_of_epoch`, in any order: the engine sorts it
/// by key). Both signatures are checked. Returns the offender and where it equivocated.
pub fn verify_equivocation(
    namespace: &[u8],
    validators_of_epoch: &dyn Fn(u64) -> Option<Vec<AccountId>>,
    evidence: &[u8],
) -> Result<Equivocation, FaultError> {
    let [version, kind, body @ ..] = evidence else {
        return Err(FaultError::Truncated);
    };
    if *version != EVIDENCE_VERSION {
        return Err(FaultError::UnsupportedVersion(*version));
    }
    let kind = FaultKind::from_byte(*kind).ok_or(FaultError::UnknownKind(*kind))?;
    let malformed = |e: commonware_codec::Error| FaultError::Malformed(e.to_string());
    let fault = match kind {
        FaultKind::ConflictingNotarize => {
            Fault::Notarize(ConflictingNotarize::decode(Copying(body)).map_err(malformed)?)
        }
        FaultKind::ConflictingFinalize => {
            Fault::Finalize(ConflictingFinalize::decode(Copying(body)).map_err(malformed)?)
        }
        FaultKind::NullifyFinalize => {
            Fault::NullifyFinalize(NullifyFinalize::decode(Copying(body)).map_err(malformed)?)
        }
    };
    let (signer, epoch, view) = match &fault {
        Fault::Notarize(f) => (f.signer(), f.epoch(), f.view()),
        Fault::Finalize(f) => (f.signer(), f.epoch(), f.view()),
        Fault::NullifyFinalize(f) => (f.signer(), f.epoch(), f.view()),
    };
    let epoch = epoch.get();
    let validators = validators_of_epoch(epoch).ok_or(FaultError::UnknownEpoch(epoch))?;
    let participants =
        identity::participants(&validators).map_err(|e| FaultError::ValidatorSet {
            epoch,
            reason: e.to_string(),
        })?;
    let index = signer.get();
    let offender: &PublicKey =
        participants
            .get(index as usize)
            .ok_or(FaultError::UnknownSigner {
                index,
                size: participants.len(),
                epoch,
            })?;
    let offender = identity::account_id(offender);
    let verifier = Scheme::verifier(namespace, participants);
    let mut rng = rand::rng();
    let valid = match &fault {
        Fault::Notarize(f) => f.verify(&mut rng, &verifier, &Sequential),
        Fault::Finalize(f) => f.verify(&mut rng, &verifier, &Sequential),
        Fault::NullifyFinalize(f) => f.verify(&mut rng, &verifier, &Sequential),
    };
    if !valid {
        return Err(FaultError::BadSignatures);
    }
    Ok(Equivocation {
        offender,
        epoch,
        view: view.get(),
        kind,
    })
}

/// Wraps simplex's reporter: passes every activity on, and hands each fault whose evidence
/// verifies against this epoch's validator set to [`Application::fault_observed`]. Simplex
/// reports network votes before checking their signatures, so unverified faults (a peer
/// framing another validator) are dropped here instead of reaching the application.
#[derive(Clone)]
pub(crate) struct FaultReporter<R, A> {
    inner: R,
    app: A,
    namespace: Vec<u8>,
    epoch: u64,
    validators: Vec<AccountId>,
}

impl<R, A> FaultReporter<R, A> {
    pub(crate) fn new(
        inner: R,
        app: A,
        namespace: Vec<u8>,
        epoch: u64,
        validators: Vec<AccountId>,
    ) -> Self {
        Self {
            inner,
            app,
            namespace,
            epoch,
            validators,
        }
    }
}

impl<R, A> Reporter for FaultReporter<R, A>
where
    R: Reporter<Activity = Activity<Scheme, Digest>>,
    A: Application,
{
    type Activity = Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        if let Some(evidence) = encode_fault(&activity) {
            let epoch = self.epoch;
            let validators = &self.validators;
            let set = move |e: u64| (e == epoch).then(|| validators.clone());
            match verify_equivocation(&self.namespace, &set, &evidence) {
                Ok(fault) => {
                    info!(
                        offender = %fault.offender,
                        epoch = fault.epoch,
                        view = fault.view,
                        kind = ?fault.kind,
                        "equivocation observed"
                    );
                    self.app.fault_observed(evidence);
                }
                Err(e) => warn!(error = %e, "dropping unverifiable fault report"),
            }
        }
        self.inner.report(activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::to_digest;
    use commonware_consensus::{
        simplex::types::{Finalize, Notarize, Nullify, Proposal},
        types::{Epoch, Round, View},
    };
    use synod_primitives::{Hash, Keypair};

    const NS: &[u8] = b"synod/consensus/test";

    fn validators() -> Vec<AccountId> {
        (0..4)
            .map(|i| Keypair::dev(&format!("e{i}")).account())
            .collect()
    }

    fn scheme_of(name: &str, namespace: &[u8]) -> Scheme {
        let participants = identity::participants(&validators()).expect("set");
        Scheme::signer(
            namespace,
            participants,
            identity::signing_key(&Keypair::dev(name)),
        )
        .expect("a validator")
    }

    fn proposal(view: u64, payload: &[u8]) -> Proposal<Digest> {
        Proposal::new(
            Round::new(Epoch::zero(), View::new(view)),
            View::new(view - 1),
            to_digest(&Hash::digest(payload)),
        )
    }

    fn epoch0(e: u64) -> Option<Vec<AccountId>> {
        (e == 0).then(validators)
    }

    /// Evidence of each kind signed by validator "e2".
    fn all_kinds(namespace: &[u8]) -> Vec<(FaultKind, Vec<u8>)> {
        let s = scheme_of("e2", namespace);
        let (a, b) = (proposal(9, b"a"), proposal(9, b"b"));
        let n1 = Notarize::sign(&s, a.clone()).expect("sign");
        let n2 = Notarize::sign(&s, b.clone()).expect("sign");
        let f1 = Finalize::sign(&s, a.clone()).expect("sign");
        let f2 = Finalize::sign(&s, b).expect("sign");
        let null = Nullify::sign::<Digest>(&s, a.round).expect("sign");
        let faults = [
            Activity::ConflictingNotarize(ConflictingNotarize::new(n1, n2)),
            Activity::ConflictingFinalize(ConflictingFinalize::new(f1.clone(), f2)),
            Activity::NullifyFinalize(NullifyFinalize::new(null, f1)),
        ];
        let kinds = [
            FaultKind::ConflictingNotarize,
            FaultKind::ConflictingFinalize,
            FaultKind::NullifyFinalize,
        ];
        kinds
            .into_iter()
            .zip(faults.iter().map(|f| encode_fault(f).expect("a fault")))
            .collect()
    }

    #[test]
    fn attributes_every_kind_to_the_signer() {
        let offender = Keypair::dev("e2").account();
        for (kind, evidence) in all_kinds(NS) {
            let fault = verify_equivocation(NS, &epoch0, &evidence).expect("valid evidence");
            assert_eq!(
                fault,
                Equivocation {
                    offender,
                    epoch: 0,
                    view: 9,
                    kind
                }
            );
            // The caller's set order does not matter.
            let reversed = |e: u64| {
                epoch0(e).map(|mut v| {
                    v.reverse();
                    v
                })
            };
            assert_eq!(verify_equivocation(NS, &reversed, &evidence), Ok(fault));
        }
    }

    #[test]
    fn rejects_tampered_evidence() {
        for (_, evidence) in all_kinds(NS) {
            // Wrong chain (namespace).
            assert_eq!(
                verify_equivocation(b"other-chain", &epoch0, &evidence),
                Err(FaultError::BadSignatures)
            );
            // Unknown epoch.
            assert_eq!(
                verify_equivocation(NS, &|_| None, &evidence),
                Err(FaultError::UnknownEpoch(0))
            );
            // A different validator set: the index names someone else.
            let other = |_| {
                Some(
                    (0..4)
                        .map(|i| Keypair::dev(&format!("x{i}")).account())
                        .collect(),
                )
            };
            assert_eq!(
                verify_equivocation(NS, &other, &evidence),
                Err(FaultError::BadSignatures)
            );
            // Too small a set for the index.
            let small = |_| Some(vec![Keypair::dev("e0").account()]);
            assert!(matches!(
                verify_equivocation(NS, &small, &evidence),
                Err(FaultError::UnknownSigner { .. }) | Err(FaultError::BadSignatures)
            ));
            // Every single-byte change is rejected or (if it lands in a field the signature
            // does not cover, which ed25519 votes do not have) still names the same fault.
            let good = verify_equivocation(NS, &epoch0, &evidence).expect("valid");
            for i in 0..evidence.len() {
                let mut bad = evidence.clone();
                bad[i] ^= 0x01;
                if let Ok(fault) = verify_equivocation(NS, &epoch0, &bad) {
                    panic!("byte {i} flipped still verifies: {fault:?} (was {good:?})");
                }
            }
            // Truncation and trailing bytes.
            for cut in 0..evidence.len() {
                assert!(verify_equivocation(NS, &epoch0, &evidence[..cut]).is_err());
            }
            let mut longer = evidence.clone();
            longer.push(0);
            assert!(matches!(
                verify_equivocation(NS, &epoch0, &longer),
                Err(FaultError::Malformed(_))
            ));
            let mut version = evidence.clone();
            version[0] = 2;
            assert_eq!(
                verify_equivocation(NS, &epoch0, &version),
                Err(FaultError::UnsupportedVersion(2))
            );
        }
        assert_eq!(
            verify_equivocation(NS, &epoch0, &[]),
            Err(FaultError::Truncated)
        );
        assert_eq!(
            verify_equivocation(NS, &epoch0, &[EVIDENCE_VERSION, 9]),
            Err(FaultError::UnknownKind(9))
        );
    }

    #[test]
    fn same_vote_twice_is_not_evidence() {
        let s = scheme_of("e1", NS);
        let n = Notarize::sign(&s, proposal(3, b"a")).expect("sign");
        let mut evidence = vec![EVIDENCE_VERSION, FaultKind::ConflictingNotarize as u8];
        evidence.extend_from_slice(&n.encode());
        evidence.extend_from_slice(&n.encode());
        assert!(matches!(
            verify_equivocation(NS, &epoch0, &evidence),
            Err(FaultError::Malformed(_))
        ));
    }
}
