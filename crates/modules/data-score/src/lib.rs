//! Synod's scoring sandbox for data pools (issue 11): a data-pool worker decrypts a contributed
//! file and calls [`run`] to have the pool's **scoring program**, a WebAssembly module, score
//! it; the chain module names programs by [`program_hash`]; the CLI checks a program with
//! [`validate_program`] when it creates a pool.
//!
//! This crate owns:
//!
//! * the **sandbox**: [`wasmi`] (an interpreter, pinned to one exact version) configured so a
//!   run is a pure function of (program, input, index, [`Limits`]): fuel metering for CPU,
//!   a resource limiter for memory and tables, no floats, no imports but the ABI's;
//! * the **ABI** below, the boundary programs in any language target;
//! * the types a run returns: [`Scores`] (parts per million, [`PPM`]), [`Outcome`],
//!   [`ScoreError`].
//!
//! What it must not do: no I/O (the input and index arrive as byte slices, nothing is read
//! from or written to disk or network, the guest reaches nothing else), no clock (limits are
//! fuel, never time), no randomness, no floats in what decides a score (the guest cannot
//! execute a float instruction, and the host only range-checks integers). It knows nothing of
//! encryption (that is `synod-data-crypto`'s), of pools or of chain state.
//!
//! The sample pool in this crate's `pools/conversations/` (C source, build script, the
//! committed `conversations.wasm`, samples and a README) scores chat exports; it is what the
//! tests, the benchmark and the fuzz target run, and an example for pool authors.
//!
//! A worker scoring many files for one pool compiles the program once with [`Program::new`]
//! and calls [`Program::run`] per file; [`run`] does both for a single file.
//!
//! # Determinism
//!
//! * **Floats are rejected**: the engine is built with `floats(false)`, so a module with any
//!   `f32`/`f64` type or instruction fails validation ([`ScoreError::InvalidModule`]). wasmi's
//!   floats are deterministic apart from NaN bit patterns; refusing them outright means scores
//!   never depend on rounding or NaN canonicalisation, and is the simplest rule for other
//!   implementations to match.
//! * Disabled as well: SIMD, threads, 64-bit memories, multiple memories, custom page sizes,
//!   wide arithmetic, and `start` functions (all of a program's work happens inside `score`,
//!   where it is metered and its errors classified). Enabled, as wasmi enables them by
//!   default: mutable globals, sign extension, multi-value, bulk memory, reference types, tail
//!   calls, extended constant expressions. Custom sections are ignored.
//! * **Fuel**: wasmi's default cost model, with eager compilation so only execution is
//!   charged (not lazy translation of whichever functions a run reaches). Host functions
//!   charge [`HOST_CALL_FUEL`] per call plus one unit per [`HOST_BYTES_PER_FUEL`] bytes
//!   copied, rounded up. A run starts with [`Limits::fuel`]; [`Outcome::fuel_used`] is what
//!   it consumed. Fuel counts are as exact as the pinned wasmi version: upgrading wasmi is a
//!   change of the scoring rules. Program authors should know how wasmi meters: every
//!   operator costs 1 (`nop`, `drop`, `block`, `loop`, `end`, `else`, `return` and
//!   `unreachable` cost 0), charged when a function, a `loop` or an `if` is entered, for all
//!   the operators inside it that are not inside a nested `loop` or `if`, whether they then
//!   run or not. Code skipped by a branch out of a `block` is still paid for, so a hot loop
//!   should be small and its rare paths calls or `if`s (the sample pool's `score.c` shows how).
//! * **Memory**: the initial memory and every `memory.grow` are checked against
//!   [`Limits::max_memory_bytes`]; growth past it **traps** (it does not return -1) and the
//!   run fails with [`ScoreError::MemoryLimit`]. Tables likewise against
//!   [`MAX_TABLE_ELEMENTS`] ([`ScoreError::TableLimit`]). Call depth is capped at
//!   [`MAX_RECURSION_DEPTH`] and wasmi's value stack at [`MAX_VALUE_STACK_BYTES`] (a stack
//!   overflow is a [`ScoreError::Trap`]). Parsing uses wasmi's strict limits
//!   (`EnforcedLimits::strict`: at most 10,000 functions, 1,000 globals, 100 tables, one
//!   memory, 1,000 data and element segments, 32 parameters and results, and function bodies
//!   of 40 bytes on average once they total 1,000 bytes).
//! * Each run gets a fresh instance: nothing survives from one file to the next.
//!
//! # ABI, version 1
//!
//! A program is a WebAssembly module (binary format, MVP plus the features above). Pointers
//! and lengths are `i32` values the host reads as **unsigned** 32-bit offsets into the
//! exported memory; results that are counts are unsigned 32-bit values returned as `i32`.
//!
//! **Exports** (others are allowed and ignored):
//!
//! | export | kind | type |
//! | --- | --- | --- |
//! | `memory` | memory | 32-bit, initial size ≤ `max_memory_bytes` |
//! | `score` | function | `() -> i32` |
//!
//! The host instantiates the module, calls `score` once, and reads the result: `0` is
//! success, and then the program must have called `set_scores` ([`ScoreError::NoScores`]
//! otherwise); any other value is [`ScoreError::ProgramFailed`] with that code.
//!
//! **Imports**: all from module `"synod"`; a program imports any subset; anything else
//! (another module, another name, a memory, table or global) is
//! [`ScoreError::ForbiddenImport`], and an ABI name with another signature is
//! [`ScoreError::InvalidModule`].
//!
//! | import | type | behaviour | fuel |
//! | --- | --- | --- | --- |
//! | `input_len` | `() -> i64` | length of the input in bytes | base |
//! | `input_read` | `(dst: i32, offset: i64, len: i32) -> i32` | copies `n = min(len, input_len - offset)` bytes (0 if `offset ≥ input_len`; `offset` read as unsigned) of the input from `offset` to `dst`; returns `n` | base + ⌈n/8⌉ |
//! | `index_count` | `() -> i32` | number of index entries | base |
//! | `index_entry_len` | `(i: i32) -> i32` | length of entry `i` | base |
//! | `index_read` | `(i: i32, dst: i32, offset: i32, len: i32) -> i32` | as `input_read`, from entry `i` | base + ⌈n/8⌉ |
//! | `set_scores` | `(authenticity: i32, ownership: i32, quality: i32, uniqueness: i32, score: i32) -> ()` | records the five scores; each must be ≤ 1,000,000 read as unsigned, else the run ends with [`ScoreError::ScoreOutOfRange`] (first offending field in this order) | base |
//! | `set_metadata` | `(ptr: i32, len: i32) -> ()` | records `len` bytes from `ptr` as the outcome's metadata; `len` > `max_metadata_bytes` ends the run with [`ScoreError::MetadataTooLarge`] (checked before fuel is charged) | base + ⌈len/8⌉ |
//!
//! base = [`HOST_CALL_FUEL`] (32). `set_scores` and `set_metadata` may be called more than
//! once: the last call counts. Traps ([`ScoreError::Trap`]): an index entry `i ≥
//! index_count()` (`i` read as unsigned), found before any fuel is charged; a destination or
//! source range `ptr..ptr + len` (the whole requested `len`, not only the `n` bytes copied)
//! not inside memory, found after the call's fuel is charged and before anything is copied.
//! Running out of fuel inside a host call is [`ScoreError::FuelExhausted`] like running out
//! anywhere else.
//!
//! The **uniqueness index** is whatever the pool keeps of earlier files, in practice the
//! metadata earlier runs produced (the sample pool writes a MinHash fingerprint there); the
//! sandbox passes its entries as given and attaches no meaning to them.
//!
//! # Errors before a run
//!
//! [`run`] first makes [`validate_program`]'s checks (in order: [`ScoreError::ModuleTooLarge`],
//! [`ScoreError::InvalidModule`], [`ScoreError::ForbiddenImport`] or an ABI import of the
//! wrong type, [`ScoreError::MissingExport`] for `score` then `memory`, an initial memory over
//! the limit as [`ScoreError::MemoryLimit`]), then refuses an input over
//! [`Limits::max_input_bytes`] ([`ScoreError::InputTooLarge`]) and an index the `i32` ABI
//! cannot describe ([`ScoreError::IndexTooLarge`]).

mod error;
mod sandbox;
mod types;

#[cfg(test)]
mod tests;

pub use error::ScoreError;
pub use sandbox::{
    ABI_MODULE, ENTRY_EXPORT, HOST_BYTES_PER_FUEL, HOST_CALL_FUEL, MAX_RECURSION_DEPTH,
    MAX_TABLE_ELEMENTS, MAX_VALUE_STACK_BYTES, MEMORY_EXPORT, PROGRAM_HASH_TAG, Program,
    program_hash, run, validate_program,
};
pub use types::{Limits, Outcome, PPM, Scores};
