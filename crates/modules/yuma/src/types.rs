//! Epoch inputs, outputs, hyperparameters and errors.

use serde::{Deserialize, Serialize};

/// One sparse matrix row: `(uid, value)` pairs, each a JSON array `[uid, value]`.
pub type SparseRow = Vec<(u16, u16)>;

/// The subnet hyperparameters that the epoch reads.
///
/// Defaults are the values subtensor writes for a *newly registered* subnet
/// (`init_new_network`), falling back to the runtime's `Initial*` constants for
/// everything it does not write. See `DECISIONS.md` (D1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hyperparameters {
    /// Consensus majority as a u16 proportion of 65535 (default 32767 ≈ 0.49999).
    pub kappa: u16,
    /// Bond EMA memory in millionths: the EMA rate is `1 − bonds_moving_average / 1e6`
    /// (default 900000 → rate 0.1). Must not exceed 1000000.
    pub bonds_moving_average: u64,
    /// β in `W + β(W̄ − W)`, the weights used for bonds, as a u16 proportion
    /// (default 65535 = 1: bonds follow consensus-clipped weights).
    pub bonds_penalty: u16,
    /// Per-pair Yuma3 bonds (default `true`, as for new subnets).
    pub yuma3: bool,
    /// Liquid alpha, per-pair EMA rates from a sigmoid (Yuma3 only; default `false`).
    pub liquid_alpha: bool,
    /// Lower liquid-alpha rate as a u16 proportion (default 45875 ≈ 0.7).
    pub alpha_low: u16,
    /// Upper liquid-alpha rate as a u16 proportion (default 58982 ≈ 0.9).
    pub alpha_high: u16,
    /// Sigmoid steepness ×100 (default 1000 → 10).
    pub alpha_sigmoid_steepness: i16,
    /// Number of validator permits handed out, top-k by stake (default 64).
    pub max_allowed_validators: u16,
    /// A neuron is active while `last_update + activity_cutoff >= current_block`
    /// (default 5000 blocks).
    pub activity_cutoff: u64,
    /// Stakes whose integer part is below this are zeroed, except the owner's (default 0).
    pub stake_threshold: u64,
    /// Subnet tempo in blocks (default 360). Only read when `last_epoch_block`
    /// is absent or 0: the bond registration mask then uses `current_block − tempo`.
    pub tempo: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Self {
            kappa: 32_767,
            bonds_moving_average: 900_000,
            bonds_penalty: u16::MAX,
            yuma3: true,
            liquid_alpha: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            alpha_sigmoid_steepness: 1_000,
            max_allowed_validators: 64,
            activity_cutoff: 5_000,
            stake_threshold: 0,
            tempo: 360,
        }
    }
}

/// Per-UID state read by the epoch. The UID is the index in [`EpochInput::neurons`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronInput {
    /// Stake weight as an integer amount (alpha plus TaoWeight × root TAO, already combined).
    pub stake: u64,
    /// The permit granted by the *previous* epoch; it gates this epoch's weights.
    #[serde(default)]
    pub validator_permit: bool,
    /// Block of the neuron's last weight set (or commit).
    #[serde(default)]
    pub last_update: u64,
    /// Block at which the neuron (re)registered into this UID.
    #[serde(default)]
    pub block_at_registration: u64,
    /// Block of the neuron's earliest unexpired weight commit, when commit-reveal
    /// is on and it has one. Weights to UIDs registered after it are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_block: Option<u64>,
}

/// Everything one epoch reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochInput {
    /// Subnet hyperparameters; missing fields take their defaults.
    #[serde(default)]
    pub hyperparameters: Hyperparameters,
    /// The block at which the epoch runs.
    pub current_block: u64,
    /// Block of the previous successful epoch (`LastMechansimStepBlock`); absent or
    /// 0 means unknown, and `current_block − tempo` is used instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_epoch_block: Option<u64>,
    /// Alpha to distribute this epoch (server + validator shares), in base units.
    pub emission: u64,
    /// UID of the subnet owner's hotkey, if registered: always permitted, exempt
    /// from the stake threshold, and allowed to keep its self-weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_uid: Option<u16>,
    /// One entry per UID.
    pub neurons: Vec<NeuronInput>,
    /// Stored weight rows (`[uid, u16]` pairs, row max-upscaled as on chain), one per UID;
    /// missing trailing rows are empty.
    #[serde(default)]
    pub weights: Vec<SparseRow>,
    /// Stored bond rows from the previous epoch, in the encoding this crate outputs
    /// (classic: column max-upscaled; Yuma3: `floor(b · 65535)`).
    #[serde(default)]
    pub bonds: Vec<SparseRow>,
}

/// Everything one epoch produces, indexed by UID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochOutput {
    /// `last_update + activity_cutoff >= current_block`.
    pub active: Vec<bool>,
    /// Normalised stake (after the threshold) as `floor(s · 65535)`.
    pub stake_weight: Vec<u16>,
    /// Stake-weighted upper median of the weights each UID received.
    pub consensus: Vec<u16>,
    /// Share of the miners' half (normalised rank).
    pub incentive: Vec<u16>,
    /// Share of the validators' half.
    pub dividends: Vec<u16>,
    /// Sum of the validator's consensus-clipped normalised weights.
    pub validator_trust: Vec<u16>,
    /// Alpha paid to the UID as a miner this epoch.
    pub server_emission: Vec<u64>,
    /// Alpha paid to the UID as a validator this epoch.
    pub validator_emission: Vec<u64>,
    /// Permits for the *next* epoch (top-k by stake, plus the owner).
    pub validator_permit: Vec<bool>,
    /// New bond rows to store; empty for UIDs without a new permit.
    pub bonds: Vec<SparseRow>,
}

/// Which input matrix an error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    /// [`EpochInput::weights`].
    Weights,
    /// [`EpochInput::bonds`].
    Bonds,
}

impl core::fmt::Display for Matrix {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Matrix::Weights => "weights",
            Matrix::Bonds => "bonds",
        })
    }
}

/// Inputs the epoch refuses. Out-of-range column UIDs are *not* errors: they are
/// dropped, as subtensor drops them when it loads weights.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum YumaError {
    /// UIDs are `u16` and subtensor's subnet size is a `u16`.
    #[error("subnet has {0} neurons; at most 65535 are supported")]
    TooManyNeurons(usize),
    /// A matrix has more rows than there are neurons.
    #[error("{matrix} has {rows} rows but the subnet has {neurons} neurons")]
    TooManyRows {
        /// The matrix.
        matrix: Matrix,
        /// Its row count.
        rows: usize,
        /// The number of neurons.
        neurons: usize,
    },
    /// A row lists the same column UID twice (the chain never stores that).
    #[error("{matrix} row {row} lists uid {uid} more than once")]
    DuplicateEntry {
        /// The matrix.
        matrix: Matrix,
        /// The row (source UID).
        row: usize,
        /// The repeated column UID.
        uid: u16,
    },
    /// `owner_uid` is not below the number of neurons.
    #[error("owner uid {owner} is out of range for {neurons} neurons")]
    OwnerOutOfRange {
        /// The given owner UID.
        owner: u16,
        /// The number of neurons.
        neurons: usize,
    },
    /// `bonds_moving_average` is above 1000000.
    #[error("bonds_moving_average {0} exceeds 1000000")]
    InvalidBondsMovingAverage(u64),
    /// The sum of stakes does not fit the `I64F64` accumulator (2^63 − 1).
    #[error("total stake overflows the I64F64 accumulator")]
    StakeOverflow,
}
