//! Error types.

use thiserror::Error;

use crate::prep::PrepKind;

/// Errors of the MPC engine. None of them carries secret data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MpcError {
    /// Committee parameters violate `n >= 3`, `t < n/2` or the size cap.
    #[error("invalid committee parameters: n = {n}, t = {t} ({reason})")]
    InvalidParams {
        /// Number of parties.
        n: usize,
        /// Corruption threshold.
        t: usize,
        /// Which rule failed.
        reason: &'static str,
    },
    /// A caller passed an argument outside the documented domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// Slices that must have equal length did not.
    #[error("length mismatch: expected {expected}, got {actual}")]
    LengthMismatch {
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// Not enough (or duplicate) shares to reconstruct.
    #[error("cannot reconstruct: need {needed} distinct shares, have {have}")]
    NotEnoughShares {
        /// Shares needed.
        needed: usize,
        /// Distinct shares available.
        have: usize,
    },
    /// Shares are not consistent with a degree-t polynomial.
    #[error("shares are inconsistent with a degree-t polynomial")]
    InconsistentShares,
    /// A party id is out of range.
    #[error("party id {0} out of range")]
    BadParty(usize),
    /// The field is too small for the requested protocol.
    #[error("field too small: protocol needs {needed} bits, field offers {available}")]
    FieldTooSmall {
        /// Bits required.
        needed: u32,
        /// Bits available.
        available: u32,
    },
    /// The preprocessing pool lacks material; nothing was consumed.
    #[error("preprocessing exhausted for {kind:?}: need {needed}, available {available}")]
    PreprocessingExhausted {
        /// Which kind of element.
        kind: PrepKind,
        /// How many the operation needs.
        needed: u64,
        /// How many the pool holds.
        available: u64,
    },
    /// PRSS keys are not set up yet (run `Party::setup`).
    #[error("PRSS keys not set up")]
    NotSetUp,
    /// A peer sent a message that violates the protocol (wrong round, wrong
    /// sender, wrong length).
    #[error("protocol violation from party {from}: {reason}")]
    Protocol {
        /// Offending party.
        from: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The transport failed or was closed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The in-process simulator found that no party can make progress.
    #[error("simulation deadlocked")]
    Deadlock,
    /// A received byte string failed to decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Failures of the bounded wire decoder ([`crate::message::Message::decode`]).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the fixed header.
    #[error("message truncated: {0} bytes")]
    Truncated(usize),
    /// Wrong magic bytes.
    #[error("bad magic")]
    BadMagic,
    /// Unknown wire version.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// The element width does not match this field.
    #[error("element width {got} bytes, this field uses {expected}")]
    FieldMismatch {
        /// Width this decoder expects.
        expected: usize,
        /// Width in the message.
        got: usize,
    },
    /// Declared element count above the decoder's limit.
    #[error("too many elements: {count} > limit {limit}")]
    TooManyElements {
        /// Declared count.
        count: u64,
        /// Configured limit.
        limit: u64,
    },
    /// Body length does not equal `count * width`.
    #[error("body length {actual} does not match declared {expected}")]
    LengthMismatch {
        /// Expected byte length.
        expected: u64,
        /// Actual byte length.
        actual: u64,
    },
    /// An element is not a canonical field element (>= p).
    #[error("non-canonical field element at index {0}")]
    NonCanonical(usize),
    /// Sender or receiver id out of the decoder's committee range.
    #[error("party id {0} out of range")]
    BadParty(u16),
}
