//! # synod-attribution — attribution and revenue-split math
//!
//! This crate owns the pure math behind AI-asset attribution (issue 12):
//!
//! - **Data valuation** (off-chain evidence, run by `synod attribution compute`):
//!   exact KNN-Shapley ([`knn`], Jia et al., VLDB 2019, Theorem 1), brute-force
//!   exact Shapley over all subsets for any utility ([`exact`], the reference for
//!   small sets), and truncated Monte-Carlo permutation Shapley for any utility
//!   ([`monte_carlo`], Ghorbani & Zou 2019, seeded and deterministic, with a
//!   standard error per point). These use `f32` embeddings and `f64` values: they
//!   produce *evidence*, never consensus state.
//! - **Weights** ([`weights`]): turning per-contributor values into integer weights
//!   summing to exactly [`WEIGHT_TOTAL`] (largest remainder, exact integer
//!   arithmetic after one documented quantisation). Its output is what goes on
//!   chain.
//! - **Revenue split** ([`split`], consensus math): integers only, checked
//!   arithmetic, exact to the base unit along a lineage DAG, with cycle, unknown
//!   parent, share, weight-sum and overflow checks.
//!
//! It must not do I/O and knows no chain state: every function is a pure,
//! deterministic function of its arguments, iterates only ordered maps, and the
//! revenue split uses no floating point. Accounts, vaults, licences and
//! commitments belong to the assets module that will call this crate.

pub mod exact;
pub mod knn;
pub mod monte_carlo;
pub mod split;
pub mod weights;

pub use exact::{EXACT_MAX_POINTS, exact_shapley};
pub use knn::{KnnInput, knn_shapley, knn_utility, per_contributor};
pub use monte_carlo::{McConfig, McEstimate, monte_carlo_shapley};
pub use split::{AssetSpec, BP_TOTAL, Beneficiary, Lineage, ParentEdge, Split, SplitError};
pub use weights::{WEIGHT_TOTAL, WeightError, values_to_weights};

/// Errors of the valuation functions ([`knn`], [`exact`], [`monte_carlo`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValuationError {
    /// `K` must be at least 1.
    #[error("K must be at least 1")]
    ZeroK,
    /// There must be at least one training point.
    #[error("no training points")]
    NoTrainingPoints,
    /// There must be at least one validation point.
    #[error("no validation points")]
    NoValidationPoints,
    /// Points and labels (or contributor ids) differ in number.
    #[error("{what}: {points} points but {labels} labels")]
    LengthMismatch {
        /// which input
        what: &'static str,
        /// number of points
        points: usize,
        /// number of labels
        labels: usize,
    },
    /// Every embedding must have the same dimension.
    #[error("{what} point {index} has dimension {got}, expected {expected}")]
    DimensionMismatch {
        /// training or validation
        what: &'static str,
        /// index of the offending point
        index: usize,
        /// its dimension
        got: usize,
        /// the dimension of the first training point
        expected: usize,
    },
    /// An embedding coordinate is NaN or infinite.
    #[error("{what} point {index} has a non-finite coordinate")]
    NonFinite {
        /// training or validation
        what: &'static str,
        /// index of the offending point
        index: usize,
    },
    /// Brute force enumerates 2^N subsets; refused above [`EXACT_MAX_POINTS`].
    #[error("brute-force Shapley limited to {max} points, got {got}")]
    TooManyPoints {
        /// the limit
        max: usize,
        /// what was asked
        got: usize,
    },
    /// Monte-Carlo needs at least two permutations for a standard error.
    #[error("Monte-Carlo needs at least 2 permutations, got {0}")]
    TooFewPermutations(usize),
    /// The truncation tolerance must be finite and not negative.
    #[error("truncation tolerance must be finite and >= 0")]
    BadTolerance,
}
