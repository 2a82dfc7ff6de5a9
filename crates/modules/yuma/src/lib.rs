//! # synod-yuma — the Yuma Consensus epoch
//!
//! This crate owns one thing: the pure math of a subnet epoch, i.e. Bittensor's
//! Yuma Consensus as implemented by subtensor's sparse `epoch_mechanism`. Given
//! stakes, validator permits, activity and registration blocks, the stored u16
//! weight rows and the previous u16 bond rows, [`run_epoch`] returns consensus,
//! incentive, dividends, validator trust, the per-UID split of this epoch's
//! emission, next epoch's validator permits and the new bond rows.
//!
//! It must not do I/O or know chain state: it is a pure function of its input, used by `synod-
//! subnets`.
//!
//! It does no I/O, keeps no state, uses no floating point on the epoch path and
//! never iterates a hash map. Everything is computed in `substrate-fixed` 0.6
//! (`I32F32`, with `I64F64` for stake normalisation and the bond moving average,
//! `I96F32` for emission amounts) in subtensor's operation order, so every u16
//! output, every emission amount and every stored bond is **bit-identical** to
//! subtensor (reference: `opentensor/subtensor` at `14bc6f9f9`, June 2026), up to
//! the deliberate deviations listed in `DECISIONS.md`.
//!
//! Cost grows with the number of non-zero weights and bonds, not with n²: the
//! matrices are CSR, the consensus median works per column on that column's
//! entries, and the EMA/interpolation steps merge sorted rows instead of
//! densifying them. Hot fixed-point operations use exact integer formulations
//! that are tested bit-for-bit against `substrate-fixed`.
//!
//! ## Steps (see `DECISIONS.md` for each choice)
//! 1. Activity: `last_update + activity_cutoff >= current_block`.
//! 2. Stake: zero stakes below `stake_threshold` (owner exempt), normalise in
//!    `I64F64`, narrow to `I32F32`.
//! 3. Permits: the input flags (previous epoch's permits, owner forced on) gate
//!    this epoch; new permits = top `max_allowed_validators` non-zero stakes.
//! 4. Active stake: stake of active, permitted UIDs, renormalised.
//! 5. Weights: drop rows without permit, self-weights (the owner may keep its
//!    own), weights set at or before the target's registration block, weights
//!    committed before it; row-normalise.
//! 6. Consensus: stake-weighted upper median per column at κ.
//! 7. Clip weights at consensus; validator trust = row sums of clipped weights.
//! 8. Incentive = normalised stake-weighted column sums of clipped weights.
//! 9. Bonds: weights for bonds `W + β(W̄ − W)`; previous bonds to UIDs
//!    registered since the last epoch are dropped. Classic: ΔB = column-normalised
//!    `a_i·W̃_ij`, EMA with the previous column-normalised bonds, dividends
//!    `Σ_j B_ij I_j`, stored column max-upscaled. Yuma3: per-pair EMA toward
//!    `W̃` (liquid alpha optional), dividends `a_i Σ_j B̂_ij I_j` with column-
//!    normalised `B̂`, stored as `floor(B·65535)`.
//! 10. Emission: `floor(I_j/Σ · E)` to miners and `floor(D_i/Σ · E)` to validators
//!     with `Σ = ΣI + ΣD`; if `Σ = 0`, validators are paid by active stake (or by
//!     stake when no stake is active) and miners get nothing.
//!
//! Rounding: every share is floored, so `Σ server_emission + Σ validator_emission
//! <= emission` always; the shortfall is a few base units per UID at most.
//!
//! ## JSON format
//! [`EpochInput`] and [`EpochOutput`] derive serde with these exact field names
//! (this is what `synod yuma simulate` prints). Sparse rows are arrays of
//! `[uid, value]` pairs, one row per UID.
//!
//! ```json
//! {
//!   "hyperparameters": {"kappa": 32767, "bonds_moving_average": 900000,
//!     "bonds_penalty": 65535, "yuma3": true, "liquid_alpha": false,
//!     "alpha_low": 45875, "alpha_high": 58982, "alpha_sigmoid_steepness": 1000,
//!     "max_allowed_validators": 64, "activity_cutoff": 5000,
//!     "stake_threshold": 0, "tempo": 360},
//!   "current_block": 1000, "last_epoch_block": 640, "emission": 1000000000,
//!   "owner_uid": 0,
//!   "neurons": [{"stake": 100, "validator_permit": true, "last_update": 990,
//!                "block_at_registration": 10, "commit_block": 985}, ...],
//!   "weights": [[[1, 65535], [2, 32767]], [], ...],
//!   "bonds": [[[1, 65535]], [], ...]
//! }
//! ```
//!
//! Every hyperparameter is optional (missing ones take [`Hyperparameters`]'
//! defaults, those of a new subnet); `last_epoch_block`, `owner_uid`,
//! `weights`, `bonds` and each neuron's `validator_permit`, `last_update`,
//! `block_at_registration` and `commit_block` are optional too. Unknown fields
//! are rejected. Output:
//!
//! ```json
//! {"active": [true, ...], "stake_weight": [65535, ...], "consensus": [...],
//!  "incentive": [...], "dividends": [...], "validator_trust": [...],
//!  "server_emission": [0, ...], "validator_emission": [1000000000, ...],
//!  "validator_permit": [true, ...], "bonds": [[[1, 65535]], [], ...]}
//! ```
//!
//! Feed the output's `bonds` and `validator_permit` back as the next input's
//! `bonds` and per-neuron `validator_permit` to run consecutive epochs.
//!
//! ## Quirks
//! Subtensor's quirks (permits acting one epoch late, liquid-alpha bonds that
//! survive only where the validator still lists the miner, κ = 32767/65535,
//! missing weights counted as zero in the median, …) are reproduced on purpose;
//! the few places where we differ (row order canonicalised, out-of-range bond
//! columns dropped, overflow handling for sums that cannot overflow on a real
//! chain) are listed with reasons in `crates/modules/yuma/DECISIONS.md`.

mod epoch;
mod fixed;
mod median;
mod sparse;
pub mod synth;
mod types;

pub use epoch::run_epoch;
pub use types::{
    EpochInput, EpochOutput, Hyperparameters, Matrix, NeuronInput, SparseRow, YumaError,
};
