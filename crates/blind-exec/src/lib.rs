//! # synod-blind-exec — MPC executor for blind-lang programs
//!
//! (Work in progress: API first.)

mod bound;
mod error;
mod exec;
mod io;
mod plan;
mod sched;

pub use error::{ExecError, Result};
pub use exec::{Bindings, ExecOptions, Role, execute, execute_with};
pub use io::{
    ExecStats, InputData, NodeOutput, NodeOutputs, OutputData, StoredInputs, reconstruct_outputs,
    share_inputs,
};
pub use plan::{Plan, Step, StepKind, plan};
