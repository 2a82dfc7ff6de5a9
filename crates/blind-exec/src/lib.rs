//! # synod-blind-exec — runs blind-lang programs by MPC
//!
//! Executes a compiled secure program (canonical MIR from
//! [`synod_blind_lang`]) on a committee of `n` blind nodes with the
//! protocols of [`synod_mpc`] (Shamir over BLS12-381 `Fr`, honest majority,
//! semi-honest), with exactly the semantics of the reference interpreter
//! [`synod_blind_lang::interp`]: wrapping at the declared width, signed and
//! unsigned types, `/` and `%` by a public divisor truncating toward zero,
//! boolean operations, multiplexers, casts, `reveal`, and division-by-zero
//! *poison* that fails only outputs that need it. Pure: no I/O, no clock.
//!
//! ## API
//!
//! * [`plan`]`(mir) -> `[`Plan`] — validate, compute priorities, predict the
//!   batched schedule ([`Plan::layers`]), its online rounds and the
//!   preprocessing it consumes ([`Plan::requirements`]; exact per job once
//!   public inputs are known: [`Plan::requirements_for`]).
//! * [`execute`]`(plan, &mut Party, &StoredInputs) -> `[`NodeOutputs`] — run
//!   at one committee member (all members call it together);
//!   [`execute_with`] adds party [`Bindings`] (program parties played by
//!   committee members, who share their inputs online and receive outputs
//!   in the clear) and [`ExecOptions`].
//! * Clients: [`share_inputs`] (secret-share one party's inputs, one bundle
//!   per node) and [`reconstruct_outputs`] (rebuild one party's outputs from
//!   the nodes' [`NodeOutputs::for_party`]).
//!
//! ## How a run works
//!
//! 1. Inputs are checked against the program (names, secrecy, shapes,
//!    ranges of public values). Public nodes are evaluated in plaintext by
//!    every member; a public `if` evaluates only the chosen branch.
//! 2. A dry run of the scheduler (no communication) with the public values
//!    gives the exact schedule and preprocessing of the run; the pool is
//!    topped up before the online phase (or, with `preprocess: false`, the
//!    run fails with [`ExecError::PreprocessingExhausted`] before sending
//!    anything). Only control flow after a `reveal` can differ from the dry
//!    run; then missing material is generated on demand.
//! 3. Online, the scheduler evaluates local operations (linear combinations,
//!    multiplication by public values, `not`, public-condition `if`s, casts)
//!    immediately and batches all ready interactive operations of one kind
//!    into **one** protocol call: GRR multiplications (products, `and`,
//!    `or`, boolean `==`, multiplexers), openings (`reveal`, masked
//!    reductions), less-than-zero tests (comparisons, carries, signs),
//!    divisions per divisor. Less-than-zero tests of different widths share
//!    one call at the widest width, and ready equality tests join it as
//!    `1 - [a<b] - [b<a]` (otherwise they run as native equality tests).
//!    Among the ready kinds it runs the one with the longest remaining
//!    critical path first.
//! 4. Secret outputs are reduced to their exact value and returned as
//!    shares; outputs of a member-bound party are revealed to that member
//!    only. No re-randomisation round is needed: every sharing polynomial
//!    is an affine combination, with public coefficients (program
//!    constants, public inputs, revealed values, fixed protocol constants),
//!    of base sharings whose non-constant coefficients are uniform and
//!    independent of every secret (client input sharings, GRR resharings,
//!    PRSS and random-bit sharings). So all `n` shares reveal the value
//!    and nothing else, and a coalition of the output party with `t` nodes
//!    learns nothing more either (`t` shares plus the value already
//!    determine the polynomial).
//!
//! ## Wrapping semantics over a prime field
//!
//! `+ - *` are computed in the field without reduction; each secret value
//! carries an interval bound derived from the program and public
//! values only. Whenever the bound leaves the declared type's range and the
//! exact value is needed (comparison, equality, division, widening cast,
//! `reveal`, output) or the magnitude would exceed 192 bits, the value is
//! reduced modulo `2^w` by a masked opening `c = X + 2^M + r' + 2^w r''`
//! (`r'` of `w` random bits, `r''` of `M + 2 - w + κ` random bits) and one
//! less-than-zero test for the carry `[c mod 2^w < r']`:
//! `1 + ltz(w + 1)` rounds (5 for 64-bit types). Because bounds are
//! tracked as intervals, most programs need far fewer reductions than the
//! static analyser assumes (e.g. `i32` differences computed in `i64` never
//! wrap). Comparisons and equality tests use the narrowest width the bounds
//! allow. Truncating division is derived from mpc's Euclidean one:
//! `q = sgn(d)·⌊(x + [x<0]·(|d|-1)) / |d|⌋`, `r = x - |d|·⌊…⌋`.
//!
//! ## Measured (debug tests, in process, shared 2-core box)
//!
//! Online rounds for n = 3 (executor / analyser estimate): auction 16 / 20,
//! miner score 13 / 19, private average 83 / 151; the executor's own
//! prediction equals the measured count for programs without `reveal`.
//! See `benches/exec.rs` for times.
//!
//! ## Security notes
//!
//! Semi-honest model as in `synod-mpc`: nodes that deviate can break
//! correctness and, with a malformed client sharing (a secret input outside
//! its type's range), the executor's semantics. No node ever receives a
//! secret input or output in the clear (checked on recorded transcripts in
//! the tests); `t` nodes' views are independent of secrets up to the
//! statistical masking (κ = 40) of the reductions and comparisons.

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
