//! Signing keys: generation, deterministic development keys, and signing.

use crate::account::{AccountId, Signature};
use ed25519_dalek::Signer;
use zeroize::Zeroize;

/// An ed25519 signing key with its public account id. The secret never appears in `Debug`.
#[derive(Clone)]
pub struct Keypair {
    signing: ed25519_dalek::SigningKey,
    account: AccountId,
}

/// Names of the deterministic, publicly known development accounts, in the order they are
/// prefunded by `synod dev`.
pub const DEV_ACCOUNT_NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];

/// Could not obtain randomness from the operating system.
#[derive(Debug, thiserror::Error)]
#[error("operating system randomness unavailable: {0}")]
pub struct RandomnessError(String);

impl Keypair {
    /// Builds a keypair from a 32-byte secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        let account = AccountId(signing.verifying_key().to_bytes());
        Keypair { signing, account }
    }

    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomnessError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| RandomnessError(e.to_string()))?;
        let kp = Self::from_seed(&seed);
        seed.zeroize();
        Ok(kp)
    }

    /// The well-known development key for `name` (e.g. `alice`). Anyone can derive it: never
    /// hold real value with these keys.
    pub fn dev(name: &str) -> Self {
        let seed = crate::hash::Hash::tagged("synod/dev-key", name.to_lowercase().as_bytes());
        Self::from_seed(&seed.0)
    }

    /// The account (public key).
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The 32-byte secret seed; callers must store it encrypted.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypair({})", self.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_keys_are_deterministic_and_distinct() {
        assert_eq!(
            Keypair::dev("alice").account(),
            Keypair::dev("Alice").account()
        );
        assert_ne!(
            Keypair::dev("alice").account(),
            Keypair::dev("bob").account()
        );
    }

    #[test]
    fn sign_verify_and_tamper() {
        let kp = Keypair::generate().expect("os rng");
        let sig = kp.sign(b"hello");
        assert!(kp.account().verify(b"hello", &sig).is_ok());
        assert!(kp.account().verify(b"hellp", &sig).is_err());
        let other = Keypair::dev("bob");
        assert!(other.account().verify(b"hello", &sig).is_err());
    }

    #[test]
    fn batch_verification_detects_one_bad_signature() {
        let kps: Vec<_> = (0..8).map(|i| Keypair::dev(&format!("k{i}"))).collect();
        let msgs: Vec<Vec<u8>> = (0..8).map(|i| vec![i as u8; 10]).collect();
        let keys: Vec<_> = kps.iter().map(Keypair::account).collect();
        let mut sigs: Vec<_> = kps.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        assert!(crate::account::verify_batch(&keys, &refs, &sigs).is_ok());
        sigs[3] = kps[3].sign(b"other");
        assert!(crate::account::verify_batch(&keys, &refs, &sigs).is_err());
    }

    #[test]
    fn debug_hides_secret() {
        let kp = Keypair::dev("alice");
        let dbg = format!("{kp:?}");
        assert!(!dbg.contains(&hex::encode(kp.seed())));
    }
}
