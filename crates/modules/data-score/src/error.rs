//! Why a program was refused or a run produced no outcome.

/// Why [`validate_program`](crate::validate_program) refused a program or
/// [`run`](crate::run) produced no [`Outcome`](crate::Outcome).
///
/// Every variant is deterministic: two workers running the same program on the same input and
/// index with the same [`Limits`](crate::Limits) get the same variant with the same fields
/// (the `detail` strings come from wasmi and are pinned by its exact version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    /// Not a WebAssembly module this sandbox runs: malformed, fails validation, uses a
    /// disabled feature (floats, SIMD, threads, 64-bit or multiple memories, a start
    /// function), exceeds wasmi's strict parsing limits, or imports an ABI function with the
    /// wrong signature.
    #[error("invalid scoring program: {detail}")]
    InvalidModule {
        /// What was wrong.
        detail: String,
    },
    /// The module is larger than [`Limits::max_module_bytes`](crate::Limits::max_module_bytes).
    #[error("scoring program is {len} bytes, over the {limit}-byte limit")]
    ModuleTooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        limit: u32,
    },
    /// The module imports something other than one of the ABI's functions of module `synod`.
    #[error("scoring program imports {module}.{name}, which the sandbox does not provide")]
    ForbiddenImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },
    /// A required export (`memory`, a memory, or `score`, a function `() -> i32`) is absent or
    /// of the wrong kind or type.
    #[error("scoring program does not export `{name}` as the ABI requires")]
    MissingExport {
        /// The export's name.
        name: String,
    },
    /// The input is longer than [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    #[error("input is {len} bytes, over the {limit}-byte limit")]
    InputTooLarge {
        /// Its length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The uniqueness index cannot be described to the program: more than `i32::MAX` entries,
    /// or an entry longer than `i32::MAX` bytes.
    #[error("uniqueness index too large for the ABI: {detail}")]
    IndexTooLarge {
        /// What was too large.
        detail: String,
    },
    /// The run used all its fuel.
    #[error("scoring program ran out of fuel (limit {limit})")]
    FuelExhausted {
        /// The fuel it was given.
        limit: u64,
    },
    /// The program's memory would have grown past
    /// [`Limits::max_memory_bytes`](crate::Limits::max_memory_bytes) (or its initial size is
    /// already over it).
    #[error("scoring program's memory would exceed {limit} bytes")]
    MemoryLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// A table would have grown past [`MAX_TABLE_ELEMENTS`](crate::MAX_TABLE_ELEMENTS).
    #[error("scoring program's table would exceed {limit} elements")]
    TableLimit {
        /// The limit in elements.
        limit: u64,
    },
    /// The program trapped: `unreachable`, an out-of-bounds access (its own or one a host
    /// function found), division by zero, stack overflow, an index entry that does not exist…
    #[error("scoring program trapped: {detail}")]
    Trap {
        /// The trap, as wasmi or the host function describes it.
        detail: String,
    },
    /// `score` returned 0 without calling `set_scores`.
    #[error("scoring program returned without setting scores")]
    NoScores,
    /// `set_scores` was called with a value over [`PPM`](crate::PPM) (an `i32` argument is read
    /// as `u32`, so a negative one is a large value).
    #[error("scoring program set {field} = {value}, over {max} ppm", max = crate::PPM)]
    ScoreOutOfRange {
        /// The field: `authenticity`, `ownership`, `quality`, `uniqueness` or `score`.
        field: &'static str,
        /// The value given.
        value: u32,
    },
    /// `set_metadata` was called with more than
    /// [`Limits::max_metadata_bytes`](crate::Limits::max_metadata_bytes).
    #[error("scoring program set {len} bytes of metadata, over the {limit}-byte limit")]
    MetadataTooLarge {
        /// The length given.
        len: u32,
        /// The limit.
        limit: u32,
    },
    /// `score` returned a non-zero code: the program itself declined to score the file.
    #[error("scoring program failed with code {code}")]
    ProgramFailed {
        /// What it returned.
        code: i32,
    },
}
