//! Chain-wide subnet parameters and per-subnet hyperparameters with their bounds.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::Balance;
use synod_primitives::subnets::{Hyperparameter, SubnetFailure};
use synod_primitives::token::UNIT;

/// Chain-wide parameters (not owner-settable). Defaults follow subtensor's launch/runtime
/// values (reference §3) unless noted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Emission per block before any halving (1 SYN).
    pub base_block_emission: Balance,
    /// Supply cap of SYN and of every alpha (21M).
    pub total_supply: Balance,
    /// Most subnets besides root.
    pub subnet_limit: u16,
    /// Minimum network lock; also the initial pool depth on each side.
    pub network_min_lock: Balance,
    /// Blocks over which the doubled lock cost decays back.
    pub lock_reduction_interval: u64,
    /// Blocks between two subnet creations.
    pub network_rate_limit: u64,
    /// Blocks after creation during which a subnet cannot be dissolved.
    pub network_immunity_period: u64,
    /// Owner cut of alpha emission (u16 proportion; 18%).
    pub owner_cut: u16,
    /// Default delegate take (18%).
    pub default_take: u16,
    /// Largest delegate take (18%).
    pub max_take: u16,
    /// TaoWeight as a fraction of 2^64 (≈ 0.0527).
    pub tao_weight: u64,
    /// Moving-price EMA speed in parts per billion (3e-6).
    pub moving_alpha_ppb: u64,
    /// Blocks for the EMA speed of a young subnet to reach half.
    pub ema_halving_blocks: u64,
    /// Smallest stake operation (0.0005 SYN).
    pub min_stake: Balance,
    /// No trade may leave a pool reserve below this.
    pub min_pool_reserve: Balance,
    /// Most epochs run in one block; the rest wait.
    pub max_epochs_per_block: usize,
    /// Registration burn multiplier per registration, as `(num, den)` (1.26).
    pub burn_increase: (u64, u64),
    /// Registration burn half-life in blocks.
    pub burn_half_life: u64,
    /// Burn price of a new subnet.
    pub initial_burn: Balance,
    /// Most unrevealed weight commits per hotkey and subnet.
    pub max_commits: u32,
    /// Hard ceiling on `max_allowed_uids`.
    pub max_uids_ceiling: u16,
    /// Smallest owner-settable tempo (subtensor: 360; lower here so devnets can run epochs
    /// every few seconds).
    pub min_tempo: u16,
    /// Largest tempo.
    pub max_tempo: u16,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            base_block_emission: UNIT,
            total_supply: 21_000_000 * UNIT,
            subnet_limit: 128,
            network_min_lock: 1_000 * UNIT,
            lock_reduction_interval: 14 * 7_200,
            network_rate_limit: 7_200,
            network_immunity_period: 1_296_000,
            owner_cut: 11_796,
            default_take: 11_796,
            max_take: 11_796,
            tao_weight: 971_718_665_099_567_868,
            moving_alpha_ppb: 3_000,
            ema_halving_blocks: 201_600,
            min_stake: 500_000,
            min_pool_reserve: 10_000_000,
            max_epochs_per_block: 2,
            burn_increase: (126, 100),
            burn_half_life: 360,
            initial_burn: UNIT,
            max_commits: 10,
            max_uids_ceiling: 4_096,
            min_tempo: 5,
            max_tempo: 50_400,
        }
    }
}

/// Per-subnet hyperparameters. Defaults are those subtensor writes for a new subnet.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SubnetHyperparams {
    /// Blocks between epochs.
    pub tempo: u16,
    /// Most UIDs.
    pub max_allowed_uids: u16,
    /// Validator permits per epoch.
    pub max_allowed_validators: u16,
    /// Blocks of pruning immunity after registration.
    pub immunity_period: u64,
    /// Fewest weights per validator (capped by n).
    pub min_allowed_weights: u16,
    /// Largest normalised weight, u16 proportion (65535 = no limit).
    pub max_weights_limit: u16,
    /// Blocks between weight settings (or commits).
    pub weights_rate_limit: u64,
    /// Minimum version key (0 = none).
    pub weights_version_key: u64,
    /// Consensus majority, u16 proportion.
    pub kappa: u16,
    /// Bond EMA memory in millionths.
    pub bonds_moving_average: u64,
    /// β, u16 proportion.
    pub bonds_penalty: u16,
    /// Yuma3 bonds.
    pub yuma3_enabled: bool,
    /// Liquid alpha.
    pub liquid_alpha_enabled: bool,
    /// Liquid-alpha lower rate.
    pub alpha_low: u16,
    /// Liquid-alpha upper rate.
    pub alpha_high: u16,
    /// Liquid-alpha steepness ×100.
    pub alpha_sigmoid_steepness: i16,
    /// Commit-reveal weights.
    pub commit_reveal_enabled: bool,
    /// Epochs from commit to reveal.
    pub reveal_period_epochs: u64,
    /// Blocks without weights before a validator is inactive.
    pub activity_cutoff: u64,
    /// Lowest registration burn.
    pub min_burn: Balance,
    /// Highest registration burn.
    pub max_burn: Balance,
    /// Registration open.
    pub registration_allowed: bool,
    /// Blocks between axon updates.
    pub serving_rate_limit: u64,
    /// Fewest non-immune UIDs kept by pruning.
    pub min_non_immune_uids: u16,
}

impl Default for SubnetHyperparams {
    fn default() -> Self {
        SubnetHyperparams {
            tempo: 360,
            max_allowed_uids: 256,
            max_allowed_validators: 64,
            immunity_period: 5_000,
            min_allowed_weights: 1,
            max_weights_limit: u16::MAX,
            weights_rate_limit: 100,
            weights_version_key: 0,
            kappa: 32_767,
            bonds_moving_average: 900_000,
            bonds_penalty: u16::MAX,
            yuma3_enabled: true,
            liquid_alpha_enabled: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            alpha_sigmoid_steepness: 1_000,
            commit_reveal_enabled: true,
            reveal_period_epochs: 1,
            activity_cutoff: 5_000,
            min_burn: 500_000,
            max_burn: 100 * UNIT,
            registration_allowed: true,
            serving_rate_limit: 50,
            min_non_immune_uids: 10,
        }
    }
}

fn invalid(param: &str, reason: impl Into<String>) -> SubnetFailure {
    SubnetFailure::InvalidHyperparameter {
        param: param.to_string(),
        detail: reason.into(),
    }
}

fn within<T: PartialOrd + std::fmt::Display>(
    param: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), SubnetFailure> {
    if v < lo || v > hi {
        return Err(invalid(param, format!("{v} is outside [{lo}, {hi}]")));
    }
    Ok(())
}

impl SubnetHyperparams {
    /// Applies `p` after checking its bounds; `n` is the subnet's current number of UIDs.
    pub fn apply(
        &mut self,
        p: &Hyperparameter,
        n: u16,
        params: &Params,
    ) -> Result<(), SubnetFailure> {
        match *p {
            Hyperparameter::Tempo(v) => {
                within("tempo", v, params.min_tempo, params.max_tempo)?;
                self.tempo = v;
            }
            Hyperparameter::MaxAllowedUids(v) => {
                within(
                    "max_allowed_uids",
                    v,
                    n.max(self.max_allowed_validators).max(1),
                    params.max_uids_ceiling,
                )?;
                self.max_allowed_uids = v;
            }
            Hyperparameter::MaxAllowedValidators(v) => {
                within("max_allowed_validators", v, 1, self.max_allowed_uids)?;
                self.max_allowed_validators = v;
            }
            Hyperparameter::ImmunityPeriod(v) => {
                within("immunity_period", v, 0, 1_296_000)?;
                self.immunity_period = v;
            }
            Hyperparameter::MinAllowedWeights(v) => {
                within("min_allowed_weights", v, 0, self.max_allowed_uids)?;
                self.min_allowed_weights = v;
            }
            Hyperparameter::MaxWeightsLimit(v) => {
                within("max_weights_limit", v, 1, u16::MAX)?;
                self.max_weights_limit = v;
            }
            Hyperparameter::WeightsRateLimit(v) => {
                within("weights_rate_limit", v, 0, 50_400)?;
                self.weights_rate_limit = v;
            }
            Hyperparameter::WeightsVersionKey(v) => self.weights_version_key = v,
            Hyperparameter::Kappa(v) => {
                within("kappa", v, 1, u16::MAX)?;
                self.kappa = v;
            }
            Hyperparameter::BondsMovingAverage(v) => {
                within("bonds_moving_average", v, 0, 1_000_000)?;
                self.bonds_moving_average = v;
            }
            Hyperparameter::BondsPenalty(v) => self.bonds_penalty = v,
            Hyperparameter::Yuma3Enabled(v) => self.yuma3_enabled = v,
            Hyperparameter::LiquidAlphaEnabled(v) => self.liquid_alpha_enabled = v,
            Hyperparameter::AlphaValues { low, high } => {
                if low < 1_638 || low > high {
                    return Err(invalid(
                        "alpha_values",
                        format!("need 1638 <= low <= high, got ({low}, {high})"),
                    ));
                }
                self.alpha_low = low;
                self.alpha_high = high;
            }
            Hyperparameter::AlphaSigmoidSteepness(v) => {
                within("alpha_sigmoid_steepness", v, 0, i16::MAX)?;
                self.alpha_sigmoid_steepness = v;
            }
            Hyperparameter::CommitRevealEnabled(v) => self.commit_reveal_enabled = v,
            Hyperparameter::RevealPeriodEpochs(v) => {
                within("reveal_period_epochs", v, 1, 100)?;
                self.reveal_period_epochs = v;
            }
            Hyperparameter::ActivityCutoff(v) => {
                within("activity_cutoff", v, 1, 1_000_000)?;
                self.activity_cutoff = v;
            }
            Hyperparameter::MinBurn(v) => {
                within("min_burn", v, 1, self.max_burn)?;
                self.min_burn = v;
            }
            Hyperparameter::MaxBurn(v) => {
                within("max_burn", v, self.min_burn, 1_000_000 * UNIT)?;
                self.max_burn = v;
            }
            Hyperparameter::RegistrationAllowed(v) => self.registration_allowed = v,
            Hyperparameter::ServingRateLimit(v) => {
                within("serving_rate_limit", v, 0, 50_400)?;
                self.serving_rate_limit = v;
            }
            Hyperparameter::MinNonImmuneUids(v) => {
                within("min_non_immune_uids", v, 0, self.max_allowed_uids)?;
                self.min_non_immune_uids = v;
            }
        }
        Ok(())
    }
}
