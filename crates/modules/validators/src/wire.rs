//! Wire types of the staking-driven validator set: the staking parameters in genesis, the calls,
//! their typed failures and their events. The logic lives in `synod-validators`.
//!
//! Epochs: with `L = epoch_length`, epoch `e` covers heights `e*L ..= (e+1)*L - 1`, the
//! numbering of the consensus engine's epocher (commonware `FixedEpocher`), so genesis (height
//! 0) is in epoch 0, whose set is the genesis validators. The set of epoch `e+1` is computed at
//! the end of block `(e+1)*L - 1`, the last block of epoch `e`.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::AccountId;
use synod_primitives::token::{Balance, UNIT};

/// Largest accepted equivocation evidence, in bytes (two signed votes fit easily).
pub const MAX_EVIDENCE_LEN: usize = 8 * 1024;
/// Basis points in one whole (100%).
pub const BPS_DENOMINATOR: u64 = 10_000;

/// Staking parameters, fixed by genesis.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(default, deny_unknown_fields)]
pub struct StakingParams {
    /// Blocks per epoch (at least 2, as the engine's epocher requires). The validator set
    /// changes only at epoch boundaries. Must equal the consensus engine's epoch length.
    pub epoch_length: u64,
    /// Smallest bonded stake of a candidate; also the smallest stake a partial unbond may leave.
    pub min_validator_bond: Balance,
    /// Most validators in a set (at least 1).
    pub max_validators: u32,
    /// Full epochs an unbonding entry waits after the epoch it was created in.
    pub unbonding_epochs: u64,
    /// Share of bonded and unbonding stake slashed for equivocation, in basis points.
    pub slash_bps: u16,
    /// Share of the slashed amount paid to the reporter, in basis points; the rest is burned.
    pub reporter_reward_bps: u16,
}

impl Default for StakingParams {
    /// Values for a real network: 600-block epochs (10 minutes at one block per second), a
    /// 10,000 SYN minimum bond, 100 validators, 1,008 epochs (7 days) of unbonding, a 5% slash
    /// of which 10% rewards the reporter.
    fn default() -> Self {
        StakingParams {
            epoch_length: 600,
            min_validator_bond: 10_000 * UNIT,
            max_validators: 100,
            unbonding_epochs: 1_008,
            slash_bps: 500,
            reporter_reward_bps: 1_000,
        }
    }
}

impl StakingParams {
    /// Devnet values: 20-block epochs, a 100 SYN minimum bond, 10 validators, 2 epochs of
    /// unbonding, the real slash and reward rates.
    pub fn dev() -> Self {
        StakingParams {
            epoch_length: 20,
            min_validator_bond: 100 * UNIT,
            max_validators: 10,
            unbonding_epochs: 2,
            ..StakingParams::default()
        }
    }

    /// Checks the bounds a genesis must respect.
    pub fn validate(&self) -> Result<(), InvalidStakingParams> {
        if self.epoch_length < 2 {
            return Err(InvalidStakingParams(
                "epoch_length must be at least 2".into(),
            ));
        }
        if self.max_validators == 0 {
            return Err(InvalidStakingParams(
                "max_validators must be at least 1".into(),
            ));
        }
        if u64::from(self.slash_bps) > BPS_DENOMINATOR {
            return Err(InvalidStakingParams(format!(
                "slash_bps {} is above {BPS_DENOMINATOR}",
                self.slash_bps
            )));
        }
        if u64::from(self.reporter_reward_bps) > BPS_DENOMINATOR {
            return Err(InvalidStakingParams(format!(
                "reporter_reward_bps {} is above {BPS_DENOMINATOR}",
                self.reporter_reward_bps
            )));
        }
        Ok(())
    }

    /// The epoch length, never below 2 (a shorter length in a bad genesis acts as 2 instead of
    /// dividing by zero or making epochs of genesis alone).
    pub fn epoch_len(&self) -> u64 {
        self.epoch_length.max(2)
    }

    /// The epoch of the block at `height` (genesis is in epoch 0).
    pub fn epoch_of(&self, height: u64) -> u64 {
        height / self.epoch_len()
    }

    /// Whether the block at `height` is the last of its epoch (the set of the next epoch is
    /// computed at its end).
    pub fn is_epoch_end(&self, height: u64) -> bool {
        height.saturating_add(1).is_multiple_of(self.epoch_len())
    }

    /// The first height of `epoch`.
    pub fn first_height_of(&self, epoch: u64) -> u64 {
        epoch.saturating_mul(self.epoch_len())
    }

    /// The last height of `epoch`.
    pub fn last_height_of(&self, epoch: u64) -> u64 {
        epoch
            .saturating_add(1)
            .saturating_mul(self.epoch_len())
            .saturating_sub(1)
    }
}

/// A staking parameter is out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid staking parameters: {0}")]
pub struct InvalidStakingParams(pub String);

/// A call of the validator-set module. The sender is always the validator: a validator's
/// account key is its consensus key.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum ValidatorCall {
    /// Bond `amount` from the sender's balance, creating or topping up its candidacy.
    Bond {
        /// Base units.
        amount: Balance,
    },
    /// Move `amount` of bonded stake to an unbonding entry.
    Unbond {
        /// Base units.
        amount: Balance,
    },
    /// Pay every matured unbonding entry back to the sender.
    Withdraw,
    /// Report a consensus equivocation; the evidence is checked by the node's verifier.
    ReportEquivocation {
        /// Encoded evidence (format defined by the consensus engine), hex in JSON.
        #[serde(with = "synod_primitives::json::hex_bytes")]
        #[schemars(with = "String")]
        evidence: Vec<u8>,
    },
}

impl ValidatorCall {
    /// Execution weight (see [`crate::Call::weight`]).
    pub fn weight(&self) -> u64 {
        match self {
            ValidatorCall::Bond { .. } | ValidatorCall::Unbond { .. } => 5_000,
            ValidatorCall::Withdraw => 5_000,
            // Two signature checks and set lookups.
            ValidatorCall::ReportEquivocation { evidence } => 50_000 + evidence.len() as u64,
        }
    }
}

/// A validator and its bonded stake, as a set member.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct SetMember {
    /// Account and consensus key.
    pub account: AccountId,
    /// Bonded stake when the set was computed.
    pub stake: Balance,
}

/// Why a validator-set call failed.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidatorFailure {
    /// Bond or unbond of zero.
    #[error("amount must be positive")]
    ZeroAmount,
    /// The bond would leave the candidate below the minimum.
    #[error("bonded stake would be {bonded_after}, below the minimum validator bond {min}")]
    BelowMinBond {
        /// Bonded stake after the call.
        bonded_after: Balance,
        /// The minimum.
        min: Balance,
    },
    /// The account has no validator record.
    #[error("account {account} is not a validator candidate")]
    NotAValidator {
        /// The sender.
        account: AccountId,
    },
    /// Unbonding more than is bonded.
    #[error("cannot unbond {requested}: only {bonded} is bonded")]
    InsufficientBonded {
        /// Requested.
        requested: Balance,
        /// Bonded.
        bonded: Balance,
    },
    /// A partial unbond would leave a stake below the minimum (unbond all of it instead).
    #[error(
        "unbonding would leave {remaining} bonded, below the minimum {min}; unbond everything or less"
    )]
    UnbondBelowMin {
        /// What would remain bonded.
        remaining: Balance,
        /// The minimum.
        min: Balance,
    },
    /// Too many unbonding entries are pending.
    #[error("at most {max} unbonding entries may be pending; withdraw or wait")]
    TooManyUnbondingEntries {
        /// The limit.
        max: u32,
    },
    /// No unbonding entry has matured.
    #[error("nothing to withdraw yet (next release at epoch {next_release_epoch:?})")]
    NothingToWithdraw {
        /// Epoch at which the next entry matures, if any.
        next_release_epoch: Option<u64>,
    },
    /// The account was slashed for equivocation and may never validate again.
    #[error("account {account} is tombstoned (slashed for equivocation) and cannot bond")]
    Tombstoned {
        /// The account.
        account: AccountId,
    },
    /// The node runs no equivocation verifier, so reports cannot be checked.
    #[error("equivocation reports are not accepted: no evidence verifier is configured")]
    EvidenceNotSupported,
    /// Evidence is larger than [`MAX_EVIDENCE_LEN`].
    #[error("evidence is {size} bytes, over the limit of {max}")]
    EvidenceTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The verifier refused the evidence.
    #[error("invalid equivocation evidence: {detail}")]
    InvalidEvidence {
        /// The verifier's explanation.
        detail: String,
    },
    /// The offence is in an epoch that has not started.
    #[error("evidence is for epoch {epoch}, after the current epoch {current}")]
    EvidenceFromFuture {
        /// The offence's epoch.
        epoch: u64,
        /// The current epoch.
        current: u64,
    },
    /// The offence is older than the unbonding period, so the stake may already be gone.
    #[error("evidence is for epoch {epoch}; the oldest accepted is {oldest}")]
    EvidenceTooOld {
        /// The offence's epoch.
        epoch: u64,
        /// The oldest epoch still accepted.
        oldest: u64,
    },
    /// The offender was not in the validator set of the offence's epoch.
    #[error("{offender} was not a validator in epoch {epoch}")]
    OffenderNotInSet {
        /// The offender.
        offender: AccountId,
        /// The epoch.
        epoch: u64,
    },
    /// This offence was already reported.
    #[error("equivocation of {offender} at epoch {epoch} view {view} was already reported")]
    DuplicateEvidence {
        /// The offender.
        offender: AccountId,
        /// The epoch.
        epoch: u64,
        /// The consensus view.
        view: u64,
    },
    /// The offender was already slashed and tombstoned for another offence.
    #[error("{offender} is already tombstoned")]
    OffenderAlreadyTombstoned {
        /// The offender.
        offender: AccountId,
    },
}

/// An unbonding entry's release, for events and views.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct UnbondingEntry {
    /// Base units.
    pub amount: Balance,
    /// First epoch in which it can be withdrawn.
    pub release_epoch: u64,
}

/// Something the validator-set module did.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ValidatorEvent {
    /// Stake was bonded.
    Bonded {
        /// The validator.
        validator: AccountId,
        /// Amount added.
        amount: Balance,
        /// Bonded stake afterwards.
        bonded: Balance,
    },
    /// Stake started unbonding.
    Unbonded {
        /// The validator.
        validator: AccountId,
        /// Amount moved out of the bond.
        amount: Balance,
        /// Bonded stake afterwards.
        bonded: Balance,
        /// First epoch in which it can be withdrawn.
        release_epoch: u64,
    },
    /// Matured unbonding entries were paid out.
    Withdrawn {
        /// The validator.
        validator: AccountId,
        /// Amount paid to its balance.
        amount: Balance,
    },
    /// A validator was slashed for equivocation.
    Slashed {
        /// The offender.
        offender: AccountId,
        /// Epoch of the offence.
        epoch: u64,
        /// Consensus view of the offence.
        view: u64,
        /// Total taken from bonded and unbonding stake.
        slashed: Balance,
        /// Part of it burned (leaves the supply).
        burned: Balance,
        /// Who reported it.
        reporter: AccountId,
        /// Part of it paid to the reporter.
        reward: Balance,
    },
    /// A validator was permanently barred from the set.
    Tombstoned {
        /// The validator.
        validator: AccountId,
    },
    /// The set of `epoch` was fixed (emitted at every epoch boundary).
    ValidatorSetChanged {
        /// The epoch it validates.
        epoch: u64,
        /// Members, by stake descending then account bytes.
        validators: Vec<SetMember>,
    },
    /// The selection rule gave no validator for `epoch`, so the previous set was kept.
    EmptySetAvoided {
        /// The epoch that keeps the previous set.
        epoch: u64,
    },
}

/// A validator in the genesis set (the validator module's genesis section, with
/// [`StakingParams`]).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct GenesisValidator {
    /// Consensus (and fee-collecting) key.
    pub account: AccountId,
    /// Bonded stake in base units (voting power).
    pub stake: Balance,
}

impl synod_module::ModuleFailure for ValidatorFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_follow_the_height_convention() {
        let p = StakingParams {
            epoch_length: 20,
            ..StakingParams::dev()
        };
        // commonware FixedEpocher: epoch e spans e*L .. (e+1)*L - 1, genesis in epoch 0.
        assert_eq!(p.epoch_of(0), 0);
        assert_eq!(p.epoch_of(19), 0);
        assert_eq!(p.epoch_of(20), 1);
        assert!(!p.is_epoch_end(0));
        assert!(p.is_epoch_end(19));
        assert!(!p.is_epoch_end(20));
        assert!(p.is_epoch_end(39));
        assert_eq!(p.first_height_of(1), 20);
        assert_eq!(p.last_height_of(0), 19);
        assert_eq!(p.last_height_of(1), 39);
        for bad in [0, 1] {
            let short = StakingParams {
                epoch_length: bad,
                ..p
            };
            assert!(short.validate().is_err());
            assert_eq!(short.epoch_of(5), 2, "a length below 2 acts as 2");
            assert!(!short.is_epoch_end(0));
        }
    }

    #[test]
    fn params_bounds() {
        assert!(StakingParams::default().validate().is_ok());
        assert!(StakingParams::dev().validate().is_ok());
        for bad in [
            StakingParams {
                max_validators: 0,
                ..StakingParams::dev()
            },
            StakingParams {
                slash_bps: 10_001,
                ..StakingParams::dev()
            },
            StakingParams {
                reporter_reward_bps: 10_001,
                ..StakingParams::dev()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
