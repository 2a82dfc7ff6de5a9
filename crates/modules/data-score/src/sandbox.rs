//! The sandbox: wasmi configured for deterministic, metered runs, the ABI's host functions,
//! and the checks of [`validate_program`].

use crate::{Limits, Outcome, PPM, ScoreError, Scores};
use std::fmt;
use synod_primitives::Hash;
use wasmi::errors::{HostError, MemoryError, TableError};
use wasmi::{
    Caller, CompilationMode, Config, EnforcedLimits, Engine, ExternType, Linker, Memory, Module,
    ResourceLimiter, Store, TrapCode, ValType,
};
use wasmi_core::LimiterError;

/// Domain tag of [`program_hash`].
pub const PROGRAM_HASH_TAG: &str = "synod/data/scoring-program/v1";

/// The module name of every import the sandbox provides.
pub const ABI_MODULE: &str = "synod";

/// The export the sandbox calls: `score() -> i32`.
pub const ENTRY_EXPORT: &str = "score";

/// The linear memory the host functions read and write.
pub const MEMORY_EXPORT: &str = "memory";

/// Fuel every host call costs before the bytes it copies.
pub const HOST_CALL_FUEL: u64 = 32;

/// Bytes a host call copies per unit of fuel (rounded up: 1 to 8 bytes cost 1).
pub const HOST_BYTES_PER_FUEL: u64 = 8;

/// Most elements any table may hold, initial size included.
pub const MAX_TABLE_ELEMENTS: u64 = 65_536;

/// Most nested calls (wasm and host) a run may make before it traps with a stack overflow.
pub const MAX_RECURSION_DEPTH: usize = 1024;

/// Most bytes of wasmi's value stack (its registers) a run may use before a stack overflow.
pub const MAX_VALUE_STACK_BYTES: usize = 1 << 20;

/// The ABI's functions: (name, parameter types, result types).
const ABI_FUNCTIONS: &[(&str, &[ValType], &[ValType])] = &[
    ("input_len", &[], &[ValType::I64]),
    (
        "input_read",
        &[ValType::I32, ValType::I64, ValType::I32],
        &[ValType::I32],
    ),
    ("index_count", &[], &[ValType::I32]),
    ("index_entry_len", &[ValType::I32], &[ValType::I32]),
    (
        "index_read",
        &[ValType::I32, ValType::I32, ValType::I32, ValType::I32],
        &[ValType::I32],
    ),
    (
        "set_scores",
        &[
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I32,
        ],
        &[],
    ),
    ("set_metadata", &[ValType::I32, ValType::I32], &[]),
];

/// The hash that names a scoring program: `Hash::tagged("synod/data/scoring-program/v1",
/// wasm)`, BLAKE3 of `u32_le(29) ‖ tag ‖ wasm` over the module's exact bytes.
pub fn program_hash(wasm: &[u8]) -> Hash {
    Hash::tagged(PROGRAM_HASH_TAG, wasm)
}

/// Checks that `wasm` is a program this sandbox runs: at most `limits.max_module_bytes`,
/// valid WebAssembly without the disabled features, importing only the ABI's functions with
/// their signatures, exporting `memory` and `score() -> i32`, with an initial memory within
/// `limits.max_memory_bytes`. Runs nothing. The CLI calls it when a pool is created; [`run`]
/// makes the same checks.
pub fn validate_program(wasm: &[u8], limits: &Limits) -> Result<(), ScoreError> {
    Program::new(wasm, limits).map(|_| ())
}

/// Runs the scoring program `wasm` on `input` with the pool's uniqueness `index` under
/// `limits`: [`validate_program`]'s checks, then one call of `score`.
///
/// Deterministic: the same arguments give the same result on every machine.
pub fn run(
    wasm: &[u8],
    input: &[u8],
    index: &[&[u8]],
    limits: &Limits,
) -> Result<Outcome, ScoreError> {
    Program::new(wasm, limits)?.run(input, index)
}

/// A validated and compiled scoring program, to run on many files without compiling it again.
/// [`run`] is `Program::new(wasm, limits)?.run(input, index)`.
#[derive(Debug, Clone)]
pub struct Program {
    engine: Engine,
    module: Module,
    limits: Limits,
    hash: Hash,
    len: u64,
}

impl Program {
    /// Validates and compiles `wasm` (see [`validate_program`]).
    pub fn new(wasm: &[u8], limits: &Limits) -> Result<Self, ScoreError> {
        let len = wasm.len() as u64;
        check_len(len, limits)?;
        let engine = Engine::new(&engine_config());
        let module = Module::new(&engine, wasm).map_err(|e| ScoreError::InvalidModule {
            detail: e.to_string(),
        })?;
        check_imports(&module)?;
        check_exports(&module, limits)?;
        Ok(Program {
            engine,
            module,
            limits: *limits,
            hash: program_hash(wasm),
            len,
        })
    }

    /// The same compiled program under other limits, checked against them as [`Program::new`]
    /// would check it (module size, initial memory), without compiling it again.
    pub fn with_limits(&self, limits: &Limits) -> Result<Self, ScoreError> {
        check_len(self.len, limits)?;
        check_exports(&self.module, limits)?;
        Ok(Program {
            limits: *limits,
            ..self.clone()
        })
    }

    /// The program's [`program_hash`].
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The limits it was validated against and runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs `score` on `input` with the uniqueness `index` in a fresh instance.
    pub fn run(&self, input: &[u8], index: &[&[u8]]) -> Result<Outcome, ScoreError> {
        let limits = self.limits;
        check_input(input, index, &limits)?;
        let state = HostState {
            input,
            index,
            max_metadata_bytes: limits.max_metadata_bytes,
            scores: None,
            metadata: Vec::new(),
            memory: None,
            limiter: Limiter {
                max_memory_bytes: limits.max_memory_bytes,
                hit: None,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(limits.fuel).map_err(internal)?;
        let linker = linker(&self.engine).map_err(internal)?;

        let instance = match linker.instantiate_and_start(&mut store, &self.module) {
            Ok(instance) => instance,
            Err(e) => return Err(classify(&e, store.data(), &limits)),
        };
        let memory = instance.get_memory(&store, MEMORY_EXPORT).ok_or_else(|| {
            ScoreError::MissingExport {
                name: MEMORY_EXPORT.to_string(),
            }
        })?;
        store.data_mut().memory = Some(memory);
        let entry = instance
            .get_typed_func::<(), i32>(&store, ENTRY_EXPORT)
            .map_err(|_| ScoreError::MissingExport {
                name: ENTRY_EXPORT.to_string(),
            })?;

        let code = match entry.call(&mut store, ()) {
            Ok(code) => code,
            Err(e) => return Err(classify(&e, store.data(), &limits)),
        };
        let fuel_used = limits
            .fuel
            .saturating_sub(store.get_fuel().map_err(internal)?);
        if code != 0 {
            return Err(ScoreError::ProgramFailed { code });
        }
        let state = store.into_data();
        let scores = state.scores.ok_or(ScoreError::NoScores)?;
        Ok(Outcome {
            scores,
            metadata: state.metadata,
            fuel_used,
        })
    }
}

/// The engine every program runs on. Changing anything here changes fuel counts and verdicts:
/// it is part of the consensus on scores.
fn engine_config() -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        // Every function is translated before the run, so fuel counts execution only
        // (lazy translation would charge for translating the functions a run happens to call).
        .compilation_mode(CompilationMode::Eager)
        // No floats at all: scores are decided with integers only.
        .floats(false)
        .wasm_multi_memory(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .allow_start_fn(false)
        .ignore_custom_sections(true)
        .enforced_limits(EnforcedLimits::strict())
        .set_max_recursion_depth(MAX_RECURSION_DEPTH)
        .set_max_stack_height(MAX_VALUE_STACK_BYTES);
    config
}

fn check_len(len: u64, limits: &Limits) -> Result<(), ScoreError> {
    if len > u64::from(limits.max_module_bytes) {
        return Err(ScoreError::ModuleTooLarge {
            len,
            limit: limits.max_module_bytes,
        });
    }
    Ok(())
}

fn check_input(input: &[u8], index: &[&[u8]], limits: &Limits) -> Result<(), ScoreError> {
    let len = input.len() as u64;
    if len > limits.max_input_bytes {
        return Err(ScoreError::InputTooLarge {
            len,
            limit: limits.max_input_bytes,
        });
    }
    if i32::try_from(index.len()).is_err() {
        return Err(ScoreError::IndexTooLarge {
            detail: format!("{} entries", index.len()),
        });
    }
    if let Some((i, entry)) = index
        .iter()
        .enumerate()
        .find(|(_, e)| i32::try_from(e.len()).is_err())
    {
        return Err(ScoreError::IndexTooLarge {
            detail: format!("entry {i} is {} bytes", entry.len()),
        });
    }
    Ok(())
}

fn check_imports(module: &Module) -> Result<(), ScoreError> {
    for import in module.imports() {
        let forbidden = || ScoreError::ForbiddenImport {
            module: import.module().to_string(),
            name: import.name().to_string(),
        };
        if import.module() != ABI_MODULE {
            return Err(forbidden());
        }
        let Some((name, params, results)) =
            ABI_FUNCTIONS.iter().find(|(n, _, _)| *n == import.name())
        else {
            return Err(forbidden());
        };
        let ExternType::Func(ty) = import.ty() else {
            return Err(forbidden());
        };
        if ty.params() != *params || ty.results() != *results {
            return Err(ScoreError::InvalidModule {
                detail: format!(
                    "import {ABI_MODULE}.{name} has type {}, the ABI's is {}",
                    show_type(ty.params(), ty.results()),
                    show_type(params, results)
                ),
            });
        }
    }
    Ok(())
}

fn check_exports(module: &Module, limits: &Limits) -> Result<(), ScoreError> {
    let missing = |name: &str| ScoreError::MissingExport {
        name: name.to_string(),
    };
    match module.get_export(ENTRY_EXPORT) {
        Some(ExternType::Func(ty)) if ty.params().is_empty() && ty.results() == [ValType::I32] => {}
        _ => return Err(missing(ENTRY_EXPORT)),
    }
    let Some(ExternType::Memory(memory)) = module.get_export(MEMORY_EXPORT) else {
        return Err(missing(MEMORY_EXPORT));
    };
    // 64-bit memories and custom page sizes are disabled, so a page is 64 KiB.
    let initial = memory.minimum().saturating_mul(1 << 16);
    if initial > limits.max_memory_bytes {
        return Err(ScoreError::MemoryLimit {
            limit: limits.max_memory_bytes,
        });
    }
    Ok(())
}

fn show_type(params: &[ValType], results: &[ValType]) -> String {
    let list = |tys: &[ValType]| {
        tys.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

/// A host-side failure that can only come from wasmi misbehaving (fuel metering is enabled on
/// every engine we make, the linker's names are distinct).
fn internal(e: wasmi::Error) -> ScoreError {
    ScoreError::Trap {
        detail: format!("sandbox error: {e}"),
    }
}

/// Maps a failed instantiation or call to its [`ScoreError`].
fn classify(e: &wasmi::Error, state: &HostState<'_>, limits: &Limits) -> ScoreError {
    match state.limiter.hit {
        Some(Exceeded::Memory) => {
            return ScoreError::MemoryLimit {
                limit: limits.max_memory_bytes,
            };
        }
        Some(Exceeded::Table) => {
            return ScoreError::TableLimit {
                limit: MAX_TABLE_ELEMENTS,
            };
        }
        None => {}
    }
    if let Some(trap) = e.downcast_ref::<HostTrap>() {
        return match trap {
            HostTrap::OutOfFuel => ScoreError::FuelExhausted { limit: limits.fuel },
            HostTrap::ScoreOutOfRange { field, value } => ScoreError::ScoreOutOfRange {
                field,
                value: *value,
            },
            HostTrap::MetadataTooLarge { len, limit } => ScoreError::MetadataTooLarge {
                len: *len,
                limit: *limit,
            },
            HostTrap::OutOfBounds { .. } | HostTrap::NoSuchEntry { .. } | HostTrap::NoMemory => {
                ScoreError::Trap {
                    detail: trap.to_string(),
                }
            }
        };
    }
    if e.as_trap_code() == Some(TrapCode::OutOfFuel) {
        return ScoreError::FuelExhausted { limit: limits.fuel };
    }
    ScoreError::Trap {
        detail: e.to_string(),
    }
}

/// Which limit the limiter refused to cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Memory,
    Table,
}

/// Enforces [`Limits::max_memory_bytes`] and [`MAX_TABLE_ELEMENTS`]: growth past either traps
/// (rather than `memory.grow` returning -1), and the limiter remembers which one it was.
#[derive(Debug)]
struct Limiter {
    max_memory_bytes: u64,
    hit: Option<Exceeded>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired as u64 > self.max_memory_bytes {
            self.hit = Some(Exceeded::Memory);
            return Err(LimiterError::ResourceLimiterDeniedAllocation);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired as u64 > MAX_TABLE_ELEMENTS {
            self.hit = Some(Exceeded::Table);
            return Err(LimiterError::ResourceLimiterDeniedAllocation);
        }
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: &MemoryError) -> Result<(), LimiterError> {
        Ok(())
    }

    fn table_grow_failed(&mut self, _error: &TableError) -> Result<(), LimiterError> {
        Ok(())
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        // wasmi's strict parsing limit; tables cannot be imported.
        100
    }

    fn memories(&self) -> usize {
        1
    }
}

/// What the host functions see and what they record.
struct HostState<'a> {
    input: &'a [u8],
    index: &'a [&'a [u8]],
    max_metadata_bytes: u32,
    scores: Option<Scores>,
    metadata: Vec<u8>,
    memory: Option<Memory>,
    limiter: Limiter,
}

/// Why a host function ended the run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostTrap {
    OutOfFuel,
    ScoreOutOfRange {
        field: &'static str,
        value: u32,
    },
    MetadataTooLarge {
        len: u32,
        limit: u32,
    },
    OutOfBounds {
        function: &'static str,
        ptr: u32,
        len: u32,
        memory: u64,
    },
    NoSuchEntry {
        entry: u32,
        count: usize,
    },
    NoMemory,
}

impl fmt::Display for HostTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostTrap::OutOfFuel => write!(f, "out of fuel in a host call"),
            HostTrap::ScoreOutOfRange { field, value } => {
                write!(f, "set_scores: {field} = {value} is over {PPM}")
            }
            HostTrap::MetadataTooLarge { len, limit } => {
                write!(f, "set_metadata: {len} bytes, over the {limit}-byte limit")
            }
            HostTrap::OutOfBounds {
                function,
                ptr,
                len,
                memory,
            } => write!(
                f,
                "{function}: {len} bytes at {ptr} are outside the {memory}-byte memory"
            ),
            HostTrap::NoSuchEntry { entry, count } => {
                write!(f, "index entry {entry} does not exist ({count} entries)")
            }
            HostTrap::NoMemory => write!(f, "host call before the memory was exported"),
        }
    }
}

impl HostError for HostTrap {}

type HostCaller<'c, 'a> = Caller<'c, HostState<'a>>;

fn trap(t: HostTrap) -> wasmi::Error {
    wasmi::Error::host(t)
}

/// Takes the fuel of a host call that copies `bytes` bytes; an empty tank ends the run.
fn charge(caller: &mut HostCaller<'_, '_>, bytes: u64) -> Result<(), wasmi::Error> {
    let cost = HOST_CALL_FUEL.saturating_add(bytes.div_ceil(HOST_BYTES_PER_FUEL));
    let fuel = caller.get_fuel()?;
    match fuel.checked_sub(cost) {
        Some(left) => caller.set_fuel(left),
        None => {
            caller.set_fuel(0)?;
            Err(trap(HostTrap::OutOfFuel))
        }
    }
}

/// The guest memory range `ptr..ptr + len`, or the trap for it.
fn guest_range(
    memory_len: usize,
    function: &'static str,
    ptr: u32,
    len: u32,
) -> Result<std::ops::Range<usize>, wasmi::Error> {
    let start = ptr as usize;
    match start.checked_add(len as usize) {
        Some(end) if end <= memory_len => Ok(start..end),
        _ => Err(trap(HostTrap::OutOfBounds {
            function,
            ptr,
            len,
            memory: memory_len as u64,
        })),
    }
}

/// Where a copy to guest memory reads from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Input,
    Entry(usize),
}

impl Source {
    fn bytes<'a>(self, state: &HostState<'a>) -> &'a [u8] {
        match self {
            Source::Input => state.input,
            // Entry numbers are checked by `entry` before a Source is made.
            Source::Entry(i) => state.index.get(i).copied().unwrap_or_default(),
        }
    }
}

/// Copies `source[offset..]` (at most `len` bytes) to guest memory at `dst`: the whole of
/// `dst..dst + len` must be inside memory. Returns the count copied.
fn copy_out(
    caller: &mut HostCaller<'_, '_>,
    function: &'static str,
    source: Source,
    offset: u64,
    dst: u32,
    len: u32,
) -> Result<i32, wasmi::Error> {
    let src = source.bytes(caller.data());
    let n = (src.len() as u64)
        .saturating_sub(offset)
        .min(u64::from(len));
    charge(caller, n)?;
    let memory = caller
        .data()
        .memory
        .ok_or_else(|| trap(HostTrap::NoMemory))?;
    let mem = memory.data_mut(&mut *caller);
    let range = guest_range(mem.len(), function, dst, len)?;
    // n ≤ src.len() - offset, so offset < src.len() whenever n > 0 and both fit in usize.
    let (from, n) = (offset as usize, n as usize);
    if n > 0 {
        mem[range.start..range.start + n].copy_from_slice(&src[from..from + n]);
    }
    // n ≤ len, a u32: the guest reads the result as unsigned.
    Ok(n as u32 as i32)
}

/// Index entry `i` (an `i32` read as `u32`), or the trap for a missing one.
fn entry(state: &HostState<'_>, i: i32) -> Result<usize, wasmi::Error> {
    let i = i as u32 as usize;
    if i < state.index.len() {
        Ok(i)
    } else {
        Err(trap(HostTrap::NoSuchEntry {
            entry: i as u32,
            count: state.index.len(),
        }))
    }
}

/// The linker with the ABI's host functions. Pointers, lengths and indices are `i32`s read as
/// `u32`; the input offset is an `i64` read as `u64`.
fn linker<'a>(engine: &Engine) -> Result<Linker<HostState<'a>>, wasmi::Error> {
    let mut linker = Linker::<HostState<'a>>::new(engine);
    linker.func_wrap(
        ABI_MODULE,
        "input_len",
        |mut caller: HostCaller<'_, 'a>| -> Result<i64, wasmi::Error> {
            charge(&mut caller, 0)?;
            // max_input_bytes is at most u64::MAX, but a slice is shorter than i64::MAX.
            Ok(caller.data().input.len() as i64)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "input_read",
        |mut caller: HostCaller<'_, 'a>, dst: i32, offset: i64, len: i32| {
            copy_out(
                &mut caller,
                "input_read",
                Source::Input,
                offset as u64,
                dst as u32,
                len as u32,
            )
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "index_count",
        |mut caller: HostCaller<'_, 'a>| -> Result<i32, wasmi::Error> {
            charge(&mut caller, 0)?;
            // Checked before the run: fewer than 2³¹ entries.
            Ok(caller.data().index.len() as i32)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "index_entry_len",
        |mut caller: HostCaller<'_, 'a>, i: i32| -> Result<i32, wasmi::Error> {
            let i = entry(caller.data(), i)?;
            charge(&mut caller, 0)?;
            // Checked before the run: every entry is shorter than 2³¹ bytes.
            Ok(Source::Entry(i).bytes(caller.data()).len() as i32)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "index_read",
        |mut caller: HostCaller<'_, 'a>, i: i32, dst: i32, offset: i32, len: i32| {
            let chosen = entry(caller.data(), i)?;
            copy_out(
                &mut caller,
                "index_read",
                Source::Entry(chosen),
                u64::from(offset as u32),
                dst as u32,
                len as u32,
            )
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "set_scores",
        |mut caller: HostCaller<'_, 'a>,
         authenticity: i32,
         ownership: i32,
         quality: i32,
         uniqueness: i32,
         score: i32|
         -> Result<(), wasmi::Error> {
            charge(&mut caller, 0)?;
            let scores = Scores {
                authenticity: authenticity as u32,
                ownership: ownership as u32,
                quality: quality as u32,
                uniqueness: uniqueness as u32,
                score: score as u32,
            };
            if let Some((field, value)) = scores.out_of_range() {
                return Err(trap(HostTrap::ScoreOutOfRange { field, value }));
            }
            caller.data_mut().scores = Some(scores);
            Ok(())
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        "set_metadata",
        |mut caller: HostCaller<'_, 'a>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
            let (ptr, len) = (ptr as u32, len as u32);
            let limit = caller.data().max_metadata_bytes;
            if len > limit {
                return Err(trap(HostTrap::MetadataTooLarge { len, limit }));
            }
            charge(&mut caller, u64::from(len))?;
            let memory = caller
                .data()
                .memory
                .ok_or_else(|| trap(HostTrap::NoMemory))?;
            let (mem, state) = memory.data_and_store_mut(&mut caller);
            let range = guest_range(mem.len(), "set_metadata", ptr, len)?;
            state.metadata.clear();
            state.metadata.extend_from_slice(&mem[range]);
            Ok(())
        },
    )?;
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_table_names_are_distinct_and_in_the_documented_order() {
        let names: Vec<_> = ABI_FUNCTIONS.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(
            names,
            [
                "input_len",
                "input_read",
                "index_count",
                "index_entry_len",
                "index_read",
                "set_scores",
                "set_metadata"
            ]
        );
    }

    #[test]
    fn every_abi_function_is_linked_with_its_declared_type() {
        // A module importing every function of the table with the table's type instantiates
        // only if the linker defines each with exactly that type.
        let ty = |tys: &[ValType]| {
            tys.iter()
                .map(|t| format!("{t:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let imports: String = ABI_FUNCTIONS
            .iter()
            .map(|(name, params, results)| {
                format!(
                    "(import \"synod\" \"{name}\" (func (param {}) (result {})))",
                    ty(params),
                    ty(results)
                )
            })
            .collect();
        let wasm = wat::parse_str(format!(
            "(module {imports} (memory (export \"memory\") 1) \
             (func (export \"score\") (result i32) (i32.const 0)))"
        ))
        .expect("wat");
        let program = Program::new(&wasm, &Limits::default()).expect("valid");
        assert_eq!(program.run(b"", &[]), Err(ScoreError::NoScores));
        // One function with a wrong type is refused by the validation, before linking.
        let wrong = wasm_with_import("(import \"synod\" \"index_count\" (func (result i64)))");
        assert!(matches!(
            validate_program(&wrong, &Limits::default()),
            Err(ScoreError::InvalidModule { .. })
        ));
    }

    fn wasm_with_import(import: &str) -> Vec<u8> {
        wat::parse_str(format!(
            "(module {import} (memory (export \"memory\") 1) \
             (func (export \"score\") (result i32) (i32.const 0)))"
        ))
        .expect("wat")
    }

    #[test]
    fn programs_can_be_shared_between_worker_threads() {
        fn send_sync<T: Send + Sync + Clone>() {}
        send_sync::<Program>();
    }

    #[test]
    fn host_fuel_rounds_bytes_up() {
        assert_eq!(0u64.div_ceil(HOST_BYTES_PER_FUEL), 0);
        assert_eq!(1u64.div_ceil(HOST_BYTES_PER_FUEL), 1);
        assert_eq!(8u64.div_ceil(HOST_BYTES_PER_FUEL), 1);
        assert_eq!(9u64.div_ceil(HOST_BYTES_PER_FUEL), 2);
    }

    #[test]
    fn program_hash_is_the_tagged_blake3_of_the_bytes() {
        let wasm = b"\0asm\x01\0\0\0";
        let mut h = Vec::new();
        h.extend_from_slice(&(PROGRAM_HASH_TAG.len() as u32).to_le_bytes());
        h.extend_from_slice(PROGRAM_HASH_TAG.as_bytes());
        h.extend_from_slice(wasm);
        assert_eq!(program_hash(wasm), Hash::digest(&h));
        assert_ne!(program_hash(wasm), program_hash(b"\0asm\x01\0\0\x01"));
    }
}
