//! Transactions: the call, the signed body, the signing payload and stateless validity.
//!
//! On the wire a transaction is `borsh(SignedTransaction)`. The signature covers
//! [`Transaction::signing_payload`]: a domain tag, the chain id, the genesis hash, and the
//! borsh body (sender, nonce, fee, call). The chain id travels in the body so that a
//! transaction for another chain gets a precise error; the genesis hash does not travel but is
//! signed, so a transaction from an earlier network with the same chain id fails verification.

use crate::account::{AccountId, Signature, SignatureError};
use crate::codec::{CodecError, decode_exact, encode};
use crate::hash::Hash;
use crate::token::Balance;
use crate::{Nonce, keys::Keypair};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Largest accepted encoded transaction, in bytes.
pub const MAX_TX_SIZE: usize = 64 * 1024;
/// Longest accepted chain id, in bytes.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The execution weight of a call, in abstract units priced by [`FeeSchedule::per_weight`].
/// The chain's call type (built by the composition crate) implements it from its modules'.
pub trait CallWeight {
    /// Weight units.
    fn weight(&self) -> u64;

    /// The most native SYN the call itself says it may take from the sender's free balance,
    /// beyond the fee (a transfer's amount, a bond, a stake, a burn cap). The pool requires a
    /// sender's pooled transactions to be payable together: fees plus these bounds within the
    /// balance. A call that moves no SYN, or none it can bound, says 0.
    fn spend_bound(&self) -> Balance {
        0
    }
}

/// Fee prices. The fee a transaction must offer is `per_byte * encoded_size + per_weight *
/// call.weight()`; the whole offered fee is charged, also when the call fails.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct FeeSchedule {
    /// Base units per encoded byte.
    pub per_byte: Balance,
    /// Base units per weight unit.
    pub per_weight: Balance,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        // A transfer (~170 bytes, weight 1000) costs about 0.0003 SYN.
        FeeSchedule {
            per_byte: 1_000,
            per_weight: 100,
        }
    }
}

impl FeeSchedule {
    /// The minimum fee for a transaction of `size` encoded bytes carrying `call`.
    pub fn min_fee(&self, size: usize, call: &impl CallWeight) -> Balance {
        let bytes = (size as u128) * u128::from(self.per_byte);
        let weight = u128::from(call.weight()) * u128::from(self.per_weight);
        u64::try_from(bytes + weight).unwrap_or(Balance::MAX)
    }
}

/// The signed body of a transaction carrying a call of type `C` (the chain's `Call`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Transaction<C> {
    /// Chain this transaction is meant for.
    pub chain_id: String,
    /// The paying and signing account.
    pub sender: AccountId,
    /// Must equal the sender's account nonce when executed.
    pub nonce: Nonce,
    /// Fee offered; charged in full.
    pub fee: Balance,
    /// What to do.
    pub call: C,
}

impl<C: BorshSerialize> Transaction<C> {
    /// The bytes the sender signs.
    pub fn signing_payload(&self, genesis_hash: &Hash) -> Vec<u8> {
        let mut m = b"synod/tx/v1".to_vec();
        m.extend_from_slice(&genesis_hash.0);
        m.extend_from_slice(&encode(self));
        m
    }

    /// Signs the transaction with `key`, which must be the sender's.
    pub fn sign(self, key: &Keypair, genesis_hash: &Hash) -> SignedTransaction<C> {
        let signature = key.sign(&self.signing_payload(genesis_hash));
        SignedTransaction {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its sender's signature: the unit submitted, gossiped and included.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SignedTransaction<C> {
    /// The signed body.
    pub tx: Transaction<C>,
    /// Sender's signature over the signing payload.
    pub signature: Signature,
}

/// Why a transaction is invalid regardless of chain state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Bytes do not decode.
    #[error("cannot decode transaction: {0}")]
    Decode(#[from] CodecError),
    /// Chain id is not this chain's.
    #[error("wrong chain id: this chain is '{expected}', the transaction is for '{got}'")]
    WrongChainId {
        /// This chain.
        expected: String,
        /// The transaction's.
        got: String,
    },
    /// Signature does not verify (or was made for another genesis).
    #[error("invalid signature: {0}")]
    BadSignature(#[from] SignatureError),
    /// Fee is below the minimum for the transaction's size and weight.
    #[error("fee {offered} is below the minimum {required}")]
    FeeTooLow {
        /// Offered.
        offered: Balance,
        /// Required.
        required: Balance,
    },
}

impl<C: BorshSerialize + BorshDeserialize + CallWeight> SignedTransaction<C> {
    /// Canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes wire bytes, enforcing [`MAX_TX_SIZE`] and the chain id length.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        let tx: SignedTransaction<C> = decode_exact(bytes, MAX_TX_SIZE)?;
        if tx.tx.chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(TxError::Decode(CodecError::Malformed(
                "chain id too long".into(),
            )));
        }
        Ok(tx)
    }

    /// The transaction hash: tagged BLAKE3 of the canonical encoding.
    pub fn hash(&self) -> Hash {
        Self::hash_encoded(&self.encode())
    }

    /// The hash of a transaction from its canonical encoding (saves re-encoding when the
    /// caller has the bytes).
    pub fn hash_encoded(encoded: &[u8]) -> Hash {
        Hash::tagged("synod/tx", encoded)
    }

    /// Checks everything that does not depend on state except the signature: size limit, chain
    /// id and fee floor. `size` is the encoded length.
    pub fn check_static(
        &self,
        chain_id: &str,
        fees: &FeeSchedule,
        size: usize,
    ) -> Result<(), TxError> {
        // Decoding enforces the limit on the wire; a block carries its transactions inside its
        // own encoding, so the rule is checked here as well, where every path passes.
        if size > MAX_TX_SIZE {
            return Err(TxError::Decode(CodecError::TooLarge {
                size,
                max: MAX_TX_SIZE,
            }));
        }
        if self.tx.chain_id != chain_id {
            return Err(TxError::WrongChainId {
                expected: chain_id.to_string(),
                got: self.tx.chain_id.clone(),
            });
        }
        let required = fees.min_fee(size, &self.tx.call);
        if self.tx.fee < required {
            return Err(TxError::FeeTooLow {
                offered: self.tx.fee,
                required,
            });
        }
        Ok(())
    }

    /// Verifies the signature alone.
    pub fn verify_signature(&self, genesis_hash: &Hash) -> Result<(), TxError> {
        self.tx
            .sender
            .verify(&self.tx.signing_payload(genesis_hash), &self.signature)
            .map_err(TxError::from)
    }
}

/// Verifies the signatures of many transactions, batched; returns one result per transaction.
/// When the batch fails, each transaction is checked alone so that good ones are not rejected
/// for a bad neighbour.
pub fn verify_signatures<C: BorshSerialize>(
    txs: &[&SignedTransaction<C>],
    genesis_hash: &Hash,
) -> Vec<Result<(), TxError>> {
    if txs.is_empty() {
        return Vec::new();
    }
    let payloads: Vec<Vec<u8>> = txs
        .iter()
        .map(|t| t.tx.signing_payload(genesis_hash))
        .collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let keys: Vec<AccountId> = txs.iter().map(|t| t.tx.sender).collect();
    let sigs: Vec<Signature> = txs.iter().map(|t| t.signature).collect();
    if crate::account::verify_batch(&keys, &refs, &sigs).is_ok() {
        return vec![Ok(()); txs.len()];
    }
    txs.iter()
        .zip(&payloads)
        .map(|(t, p)| t.tx.sender.verify(p, &t.signature).map_err(TxError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the chain's call type: the envelope does not care what it carries.
    #[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
    enum Call {
        Transfer { to: AccountId, amount: Balance },
    }

    impl CallWeight for Call {
        fn weight(&self) -> u64 {
            1_000
        }
    }

    type SignedTransaction = super::SignedTransaction<Call>;

    fn sample(nonce: Nonce) -> Transaction<Call> {
        Transaction {
            chain_id: "synod-test".into(),
            sender: Keypair::dev("alice").account(),
            nonce,
            fee: 1_000_000,
            call: Call::Transfer {
                to: Keypair::dev("bob").account(),
                amount: 5,
            },
        }
    }

    #[test]
    fn encode_decode_round_trip_and_hash_stability() {
        let g = Hash::digest(b"genesis");
        let stx = sample(0).sign(&Keypair::dev("alice"), &g);
        let bytes = stx.encode();
        let back = SignedTransaction::decode(&bytes).expect("decodes");
        assert_eq!(back, stx);
        assert_eq!(back.hash(), stx.hash());
        assert!(back.verify_signature(&g).is_ok());
    }

    #[test]
    fn signature_binds_genesis_and_every_field() {
        let g = Hash::digest(b"genesis");
        let kp = Keypair::dev("alice");
        let stx = sample(3).sign(&kp, &g);
        assert!(stx.verify_signature(&Hash::digest(b"other")).is_err());
        let mut t = stx.clone();
        t.tx.nonce = 4;
        assert!(t.verify_signature(&g).is_err());
        let mut t = stx.clone();
        t.tx.fee += 1;
        assert!(t.verify_signature(&g).is_err());
        let mut t = stx;
        t.tx.chain_id = "synod-other".into();
        assert!(t.verify_signature(&g).is_err());
    }

    #[test]
    fn malformed_and_oversize_bytes_are_rejected() {
        assert!(matches!(
            SignedTransaction::decode(&[1, 2, 3]),
            Err(TxError::Decode(CodecError::Malformed(_)))
        ));
        let big = vec![0u8; MAX_TX_SIZE + 1];
        assert!(matches!(
            SignedTransaction::decode(&big),
            Err(TxError::Decode(CodecError::TooLarge { .. }))
        ));
        let g = Hash::digest(b"genesis");
        let mut bytes = sample(0).sign(&Keypair::dev("alice"), &g).encode();
        bytes.push(0);
        assert!(SignedTransaction::decode(&bytes).is_err(), "trailing byte");
    }

    #[test]
    fn static_checks() {
        let g = Hash::digest(b"genesis");
        let stx = sample(0).sign(&Keypair::dev("alice"), &g);
        let fees = FeeSchedule::default();
        let size = stx.encode().len();
        assert!(stx.check_static("synod-test", &fees, size).is_ok());
        assert!(matches!(
            stx.check_static("synod-main", &fees, size),
            Err(TxError::WrongChainId { .. })
        ));
        let expensive = FeeSchedule {
            per_byte: 1_000_000,
            per_weight: 0,
        };
        assert!(matches!(
            stx.check_static("synod-test", &expensive, size),
            Err(TxError::FeeTooLow { .. })
        ));
    }

    #[test]
    fn batch_verify_isolates_bad_transactions() {
        let g = Hash::digest(b"genesis");
        let kp = Keypair::dev("alice");
        let good: Vec<_> = (0..5).map(|n| sample(n).sign(&kp, &g)).collect();
        let mut bad = sample(9).sign(&kp, &g);
        bad.tx.nonce = 10;
        let mut all: Vec<&SignedTransaction> = good.iter().collect();
        all.insert(2, &bad);
        let res = verify_signatures(&all, &g);
        assert_eq!(res.iter().filter(|r| r.is_err()).count(), 1);
        assert!(res[2].is_err());
    }
}
