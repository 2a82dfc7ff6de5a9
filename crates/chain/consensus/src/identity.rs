//! Validator identities: one ed25519 key serves as Synod account and consensus key.
//!
//! A [`Keypair`]'s 32-byte seed is the RFC 8032 secret key, so the commonware signing key built
//! from the same seed has exactly the same public key, and a validator's consensus identity is
//! byte-for-byte its [`AccountId`].

use crate::ConsensusError;
use commonware_codec::{Copying, DecodeExt as _, Encode as _};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_utils::ordered::Set;
use synod_primitives::{AccountId, Keypair};
use zeroize::Zeroize as _;

/// The engine's public key type (ed25519, 32 bytes).
pub type PublicKey = ed25519::PublicKey;
/// The engine's signing key type (ed25519).
pub type PrivateKey = ed25519::PrivateKey;

/// Builds the consensus signing key from a Synod keypair's seed.
pub fn signing_key(keypair: &Keypair) -> PrivateKey {
    let mut seed = keypair.seed();
    let key =
        PrivateKey::decode(Copying(&seed[..])).expect("any 32 bytes are an ed25519 secret key");
    seed.zeroize();
    key
}

/// The consensus public key of an account, if its bytes are a valid ed25519 point.
pub fn public_key(account: &AccountId) -> Result<PublicKey, ConsensusError> {
    PublicKey::decode(Copying(&account.0[..]))
        .map_err(|_| ConsensusError::InvalidValidatorKey(*account))
}

/// The account of a consensus public key.
pub fn account_id(key: &PublicKey) -> AccountId {
    let bytes = key.encode();
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    AccountId(out)
}

/// The consensus public key of a Synod keypair (equal to its account bytes).
pub fn keypair_public_key(keypair: &Keypair) -> PublicKey {
    signing_key(keypair).public_key()
}

/// The validator set as the engine orders it (sorted by key bytes). Rejects an empty set,
/// duplicates and invalid keys.
pub fn participants(validators: &[AccountId]) -> Result<Set<PublicKey>, ConsensusError> {
    if validators.is_empty() {
        return Err(ConsensusError::EmptyValidatorSet);
    }
    let keys = validators
        .iter()
        .map(public_key)
        .collect::<Result<Vec<_>, _>>()?;
    Set::try_from(keys).map_err(|_| ConsensusError::DuplicateValidator)
}

/// The observer set as the network tracks it (sorted). Rejects duplicates, invalid keys and
/// keys that are also validators; may be empty.
pub fn observers(
    validators: &[AccountId],
    observers: &[AccountId],
) -> Result<Set<PublicKey>, ConsensusError> {
    if let Some(both) = observers.iter().find(|o| validators.contains(o)) {
        return Err(ConsensusError::ObserverIsValidator(*both));
    }
    let keys = observers
        .iter()
        .map(public_key)
        .collect::<Result<Vec<_>, _>>()?;
    Set::try_from(keys).map_err(|_| ConsensusError::DuplicateValidator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_key_equals_account() {
        for name in ["alice", "bob", "validator-7"] {
            let kp = Keypair::dev(name);
            let pk = keypair_public_key(&kp);
            assert_eq!(account_id(&pk), kp.account());
            assert_eq!(public_key(&kp.account()).expect("valid"), pk);
        }
        let kp = Keypair::generate().expect("os rng");
        assert_eq!(account_id(&keypair_public_key(&kp)), kp.account());
    }

    #[test]
    fn consensus_signature_verifies_under_account() {
        // commonware signs `namespace || message` (with a length-prefixed namespace); the
        // resulting signature is a plain ed25519 signature under the account key.
        use commonware_cryptography::Verifier as _;
        let kp = Keypair::dev("alice");
        let sk = signing_key(&kp);
        let sig = sk.sign(b"ns", b"msg");
        assert!(sk.public_key().verify(b"ns", b"msg", &sig));
        assert!(!sk.public_key().verify(b"ns", b"msh", &sig));
    }

    #[test]
    fn participants_rejects_bad_sets() {
        assert!(matches!(
            participants(&[]),
            Err(ConsensusError::EmptyValidatorSet)
        ));
        let a = Keypair::dev("a").account();
        assert!(matches!(
            participants(&[a, a]),
            Err(ConsensusError::DuplicateValidator)
        ));
        let set = participants(&[a, Keypair::dev("b").account()]).expect("valid");
        assert_eq!(set.len(), 2);
    }
}
