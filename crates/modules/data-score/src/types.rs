//! What a run is given and what it returns: [`Limits`], [`Scores`], [`Outcome`].

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Parts per million: every score is an integer in `0..=PPM`, `PPM` meaning 1.
pub const PPM: u32 = 1_000_000;

/// The five scores a program reports with `set_scores`, each in parts per million (`0..=PPM`).
///
/// The sandbox checks only the range; what each one means, and how `score` combines the other
/// four, is the pool's scoring program's to define and document.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    /// Whether the file is what it claims to be (e.g. a well-formed export of the right kind).
    pub authenticity: u32,
    /// How sure the program is that the contributor owns the data.
    pub ownership: u32,
    /// How useful the data is.
    pub quality: u32,
    /// How far the file is from everything already in the pool's uniqueness index.
    pub uniqueness: u32,
    /// The file's overall score, the one the pool pays on.
    pub score: u32,
}

impl Scores {
    /// The fields in ABI order (the order of `set_scores`' parameters), with their names.
    pub fn fields(&self) -> [(&'static str, u32); 5] {
        [
            ("authenticity", self.authenticity),
            ("ownership", self.ownership),
            ("quality", self.quality),
            ("uniqueness", self.uniqueness),
            ("score", self.score),
        ]
    }

    /// The first field over [`PPM`] in ABI order, with its value; `None` if all are in range.
    /// What the sandbox checks on `set_scores`, and what a chain module receiving scores from a
    /// worker should check again.
    pub fn out_of_range(&self) -> Option<(&'static str, u32)> {
        self.fields().into_iter().find(|(_, v)| *v > PPM)
    }
}

/// Resource limits of one run. Every limit is enforced exactly (a run one unit under a limit
/// succeeds, one unit over fails), so two workers with the same limits reach the same verdict.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Fuel for the whole run: wasmi's fuel for every executed instruction (its default cost
    /// model) plus what the host functions charge (see the crate doc). Running out ends the run
    /// with [`ScoreError::FuelExhausted`](crate::ScoreError::FuelExhausted).
    pub fuel: u64,
    /// Most bytes the program's linear memory may have, initial size included. Rounded down to
    /// whole 64 KiB pages in effect, since memory only grows by pages.
    pub max_memory_bytes: u64,
    /// Longest input (decrypted file) a run accepts.
    pub max_input_bytes: u64,
    /// Longest metadata a program may set with `set_metadata`.
    pub max_metadata_bytes: u32,
    /// Largest WebAssembly module accepted.
    pub max_module_bytes: u32,
}

impl Limits {
    /// Production defaults: 10⁹ fuel, 64 MiB of memory, 256 MiB of input, 4,096 bytes of
    /// metadata, 1 MiB of module.
    pub const DEFAULT: Limits = Limits {
        fuel: 1_000_000_000,
        max_memory_bytes: 64 << 20,
        max_input_bytes: 256 << 20,
        max_metadata_bytes: 4096,
        max_module_bytes: 1 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What a successful run produced.
#[derive(Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize)]
pub struct Outcome {
    /// The scores the program set (its last `set_scores` call).
    pub scores: Scores,
    /// The metadata the program set (its last `set_metadata` call; empty if it set none).
    pub metadata: Vec<u8>,
    /// Fuel the run consumed, host calls included.
    pub fuel_used: u64,
}
