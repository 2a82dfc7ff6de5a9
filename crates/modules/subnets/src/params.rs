//! The subnet economy's chain-wide parameters ([`SubnetParams`], part of the genesis) and a
//! subnet's owner-settable hyperparameters ([`SubnetHyperparams`]) with their bounds.
//!
//! They live here, not in `synod-subnets`, because the genesis carries them: every node of a
//! chain runs the same economy, and the genesis hash commits to it. The module reads them
//! from the genesis; nothing is compiled in except the defaults below.

use crate::wire::{Hyperparameter, SubnetFailure};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::token::{Balance, UNIT};

/// Chain-wide parameters of the subnet economy (not owner-settable), fixed by the genesis
/// (the chain genesis' `subnets` section). `Default` follows subtensor's launch/runtime values
/// (reference §3) unless noted; [`SubnetParams::dev`] is the devnet's. A genesis file may give
/// any subset of the fields; the rest take the defaults. [`SubnetParams::validate`] runs before
/// block 0 is built.
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
#[serde(default, deny_unknown_fields)]
pub struct SubnetParams {
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
    pub max_epochs_per_block: u32,
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
    /// Smallest owner-settable tempo (360, subtensor's default tempo; the devnet allows 1).
    pub min_tempo: u16,
    /// Largest tempo.
    pub max_tempo: u16,
    /// Hyperparameters of every new subnet (owners change them within bounds afterwards).
    pub default_hyperparams: SubnetHyperparams,
}

impl Default for SubnetParams {
    fn default() -> Self {
        SubnetParams {
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
            min_tempo: 360,
            max_tempo: 50_400,
            default_hyperparams: SubnetHyperparams::default(),
        }
    }
}

/// Why a [`SubnetParams`] cannot run a chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid subnet parameter {param}: {detail}")]
pub struct SubnetParamsError {
    /// The offending field (`default_hyperparams.<name>` for a default hyperparameter).
    pub param: String,
    /// Why.
    pub detail: String,
}

fn bad(param: &str, detail: impl Into<String>) -> SubnetParamsError {
    SubnetParamsError {
        param: param.to_string(),
        detail: detail.into(),
    }
}

fn at_least<T: PartialOrd + std::fmt::Display>(
    param: &str,
    v: T,
    lo: T,
) -> Result<(), SubnetParamsError> {
    if v < lo {
        return Err(bad(param, format!("{v} is below the minimum {lo}")));
    }
    Ok(())
}

impl SubnetParams {
    /// The devnet's parameters: the production economy, but subnets can be created back to
    /// back (no rate limit, the doubled lock decays within 1,000 blocks, immunity 1,000
    /// blocks), any tempo from 1 is allowed and new subnets start with tempo 100 (25 s at the
    /// devnet's 250 ms blocks).
    pub fn dev() -> Self {
        let mut p = SubnetParams {
            network_rate_limit: 0,
            lock_reduction_interval: 1_000,
            network_immunity_period: 1_000,
            min_tempo: 1,
            ..SubnetParams::default()
        };
        p.default_hyperparams.tempo = 100;
        p
    }

    /// Checks that the parameters describe a working economy: no divisor is zero, the pool
    /// seed and stake minimum are tradeable, ratios are ratios, and the default
    /// hyperparameters are within the bounds owners are held to.
    pub fn validate(&self) -> Result<(), SubnetParamsError> {
        at_least("base_block_emission", self.base_block_emission, 1)?;
        if self.base_block_emission > self.total_supply {
            return Err(bad(
                "base_block_emission",
                format!(
                    "{} exceeds total_supply {}",
                    self.base_block_emission, self.total_supply
                ),
            ));
        }
        at_least("subnet_limit", self.subnet_limit, 1)?;
        if self.subnet_limit == u16::MAX {
            // Netuid 0 is root, so at most u16::MAX - 1 other subnets have an id.
            return Err(bad("subnet_limit", "at most 65534 (netuid 0 is root)"));
        }
        at_least("min_pool_reserve", self.min_pool_reserve, 1)?;
        // The pool is seeded with the minimum lock on both sides; at or below the reserve
        // floor not a single trade could ever go through.
        if self.network_min_lock <= self.min_pool_reserve {
            return Err(bad(
                "network_min_lock",
                format!(
                    "{} must exceed min_pool_reserve {}",
                    self.network_min_lock, self.min_pool_reserve
                ),
            ));
        }
        at_least("lock_reduction_interval", self.lock_reduction_interval, 1)?;
        if self.default_take > self.max_take {
            return Err(bad(
                "default_take",
                format!("{} exceeds max_take {}", self.default_take, self.max_take),
            ));
        }
        if self.moving_alpha_ppb > 1_000_000_000 {
            return Err(bad(
                "moving_alpha_ppb",
                format!("{} exceeds 10^9 (a rate of 1)", self.moving_alpha_ppb),
            ));
        }
        at_least("min_stake", self.min_stake, 1)?;
        at_least("max_epochs_per_block", self.max_epochs_per_block, 1)?;
        let (num, den) = self.burn_increase;
        at_least("burn_increase.den", den, 1)?;
        if num < den {
            return Err(bad(
                "burn_increase",
                format!("{num}/{den} would lower the burn on registration"),
            ));
        }
        at_least("burn_half_life", self.burn_half_life, 1)?;
        at_least("max_commits", self.max_commits, 1)?;
        at_least("max_uids_ceiling", self.max_uids_ceiling, 1)?;
        if usize::from(self.max_uids_ceiling) > crate::wire::MAX_WEIGHTS_LEN {
            return Err(bad(
                "max_uids_ceiling",
                format!(
                    "{} exceeds {} (the longest weight vector)",
                    self.max_uids_ceiling,
                    crate::wire::MAX_WEIGHTS_LEN
                ),
            ));
        }
        at_least("min_tempo", self.min_tempo, 1)?;
        if self.min_tempo > self.max_tempo {
            return Err(bad(
                "min_tempo",
                format!("{} exceeds max_tempo {}", self.min_tempo, self.max_tempo),
            ));
        }
        let h = &self.default_hyperparams;
        h.validate(self).map_err(|f| match f {
            SubnetFailure::InvalidHyperparameter { param, detail } => {
                bad(&format!("default_hyperparams.{param}"), detail)
            }
            other => bad("default_hyperparams", other.to_string()),
        })?;
        if self.initial_burn < h.min_burn || self.initial_burn > h.max_burn {
            return Err(bad(
                "initial_burn",
                format!(
                    "{} is outside the default burn bounds [{}, {}]",
                    self.initial_burn, h.min_burn, h.max_burn
                ),
            ));
        }
        Ok(())
    }
}

/// Per-subnet hyperparameters. Defaults are those subtensor writes for a new subnet.
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
#[serde(default, deny_unknown_fields)]
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
    /// Checks every field against the bounds [`SubnetHyperparams::apply`] holds owners to, for
    /// an empty subnet. Each value is applied to a copy that already holds all the others, so
    /// cross-field bounds (validators ≤ UIDs, min burn ≤ max burn) are checked against the
    /// final values.
    pub fn validate(&self, params: &SubnetParams) -> Result<(), SubnetFailure> {
        let mut c = self.clone();
        let all = [
            Hyperparameter::Tempo(self.tempo),
            Hyperparameter::MaxAllowedUids(self.max_allowed_uids),
            Hyperparameter::MaxAllowedValidators(self.max_allowed_validators),
            Hyperparameter::ImmunityPeriod(self.immunity_period),
            Hyperparameter::MinAllowedWeights(self.min_allowed_weights),
            Hyperparameter::MaxWeightsLimit(self.max_weights_limit),
            Hyperparameter::WeightsRateLimit(self.weights_rate_limit),
            Hyperparameter::WeightsVersionKey(self.weights_version_key),
            Hyperparameter::Kappa(self.kappa),
            Hyperparameter::BondsMovingAverage(self.bonds_moving_average),
            Hyperparameter::BondsPenalty(self.bonds_penalty),
            Hyperparameter::Yuma3Enabled(self.yuma3_enabled),
            Hyperparameter::LiquidAlphaEnabled(self.liquid_alpha_enabled),
            Hyperparameter::AlphaValues {
                low: self.alpha_low,
                high: self.alpha_high,
            },
            Hyperparameter::AlphaSigmoidSteepness(self.alpha_sigmoid_steepness),
            Hyperparameter::CommitRevealEnabled(self.commit_reveal_enabled),
            Hyperparameter::RevealPeriodEpochs(self.reveal_period_epochs),
            Hyperparameter::ActivityCutoff(self.activity_cutoff),
            Hyperparameter::MinBurn(self.min_burn),
            Hyperparameter::MaxBurn(self.max_burn),
            Hyperparameter::RegistrationAllowed(self.registration_allowed),
            Hyperparameter::ServingRateLimit(self.serving_rate_limit),
            Hyperparameter::MinNonImmuneUids(self.min_non_immune_uids),
        ];
        for p in &all {
            c.apply(p, 0, params)?;
        }
        Ok(())
    }

    /// Applies `p` after checking its bounds; `n` is the subnet's current number of UIDs.
    pub fn apply(
        &mut self,
        p: &Hyperparameter,
        n: u16,
        params: &SubnetParams,
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

/// The module's name for the chain-wide parameters.
pub type Params = SubnetParams;

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: SubnetParams) -> String {
        match p.validate() {
            Err(e) => e.param,
            Ok(()) => panic!("accepted {p:?}"),
        }
    }

    #[test]
    fn defaults_and_dev_are_valid_and_differ_where_devnets_need_it() {
        SubnetParams::default().validate().expect("default");
        let dev = SubnetParams::dev();
        dev.validate().expect("dev");
        assert_eq!(SubnetParams::default().network_rate_limit, 7_200);
        assert_eq!(dev.network_rate_limit, 0);
        assert_eq!(dev.default_hyperparams.tempo, 100);
        assert_eq!(SubnetParams::default().default_hyperparams.tempo, 360);
    }

    #[test]
    fn every_broken_parameter_is_named() {
        let d = SubnetParams::default;
        assert_eq!(
            refused(SubnetParams {
                base_block_emission: 0,
                ..d()
            }),
            "base_block_emission"
        );
        assert_eq!(
            refused(SubnetParams {
                base_block_emission: 2,
                total_supply: 1,
                ..d()
            }),
            "base_block_emission"
        );
        assert_eq!(
            refused(SubnetParams {
                subnet_limit: 0,
                ..d()
            }),
            "subnet_limit"
        );
        assert_eq!(
            refused(SubnetParams {
                subnet_limit: u16::MAX,
                ..d()
            }),
            "subnet_limit"
        );
        assert_eq!(
            refused(SubnetParams {
                network_min_lock: 10_000_000,
                ..d()
            }),
            "network_min_lock"
        );
        assert_eq!(
            refused(SubnetParams {
                lock_reduction_interval: 0,
                ..d()
            }),
            "lock_reduction_interval"
        );
        assert_eq!(
            refused(SubnetParams {
                default_take: 11_797,
                ..d()
            }),
            "default_take"
        );
        assert_eq!(
            refused(SubnetParams {
                moving_alpha_ppb: 1_000_000_001,
                ..d()
            }),
            "moving_alpha_ppb"
        );
        assert_eq!(
            refused(SubnetParams {
                min_stake: 0,
                ..d()
            }),
            "min_stake"
        );
        assert_eq!(
            refused(SubnetParams {
                max_epochs_per_block: 0,
                ..d()
            }),
            "max_epochs_per_block"
        );
        assert_eq!(
            refused(SubnetParams {
                burn_increase: (99, 100),
                ..d()
            }),
            "burn_increase"
        );
        assert_eq!(
            refused(SubnetParams {
                burn_increase: (1, 0),
                ..d()
            }),
            "burn_increase.den"
        );
        assert_eq!(
            refused(SubnetParams {
                burn_half_life: 0,
                ..d()
            }),
            "burn_half_life"
        );
        assert_eq!(
            refused(SubnetParams {
                max_commits: 0,
                ..d()
            }),
            "max_commits"
        );
        assert_eq!(
            refused(SubnetParams {
                max_uids_ceiling: 4_097,
                ..d()
            }),
            "max_uids_ceiling"
        );
        assert_eq!(
            refused(SubnetParams {
                min_tempo: 400,
                max_tempo: 399,
                ..d()
            }),
            "min_tempo"
        );
        assert_eq!(
            refused(SubnetParams {
                initial_burn: 100 * UNIT + 1,
                ..d()
            }),
            "initial_burn"
        );
        // Default hyperparameters are held to the owners' bounds, cross-field ones included.
        let mut p = d();
        p.default_hyperparams.tempo = 359;
        assert_eq!(refused(p), "default_hyperparams.tempo");
        let mut p = d();
        p.default_hyperparams.max_allowed_validators = 300;
        assert_eq!(refused(p), "default_hyperparams.max_allowed_uids");
        let mut p = d();
        p.default_hyperparams.min_burn = p.default_hyperparams.max_burn + 1;
        assert_eq!(refused(p), "default_hyperparams.min_burn");
    }

    #[test]
    fn genesis_json_may_give_a_subset_and_rejects_unknown_fields() {
        let p: SubnetParams = serde_json::from_str(
            r#"{"network_rate_limit": 3, "default_hyperparams": {"tempo": 400}}"#,
        )
        .expect("parse");
        assert_eq!(p.network_rate_limit, 3);
        assert_eq!(p.default_hyperparams.tempo, 400);
        assert_eq!(p.subnet_limit, SubnetParams::default().subnet_limit);
        assert_eq!(
            p.default_hyperparams.kappa,
            SubnetHyperparams::default().kappa
        );
        assert!(serde_json::from_str::<SubnetParams>(r#"{"network_rate_limt": 3}"#).is_err());
        let json = serde_json::to_string(&SubnetParams::dev()).expect("json");
        assert_eq!(
            serde_json::from_str::<SubnetParams>(&json).expect("back"),
            SubnetParams::dev()
        );
    }
}
