//! The sandbox against tiny WAT programs, one per behaviour of the ABI and per error.

use crate::*;

/// The ABI's imports, for programs that want them all.
const IMPORTS: &str = r#"
  (import "synod" "input_len" (func $input_len (result i64)))
  (import "synod" "input_read" (func $input_read (param i32 i64 i32) (result i32)))
  (import "synod" "index_count" (func $index_count (result i32)))
  (import "synod" "index_entry_len" (func $index_entry_len (param i32) (result i32)))
  (import "synod" "index_read" (func $index_read (param i32 i32 i32 i32) (result i32)))
  (import "synod" "set_scores" (func $set_scores (param i32 i32 i32 i32 i32)))
  (import "synod" "set_metadata" (func $set_metadata (param i32 i32)))
"#;

/// A module with all imports, one page of memory (unless `body` declares its own), and
/// `score` running `body`.
fn program(body: &str) -> Vec<u8> {
    program_with(IMPORTS, "(memory (export \"memory\") 1)", body)
}

fn program_with(imports: &str, memory: &str, body: &str) -> Vec<u8> {
    let text = format!("(module {imports} {memory} (func (export \"score\") (result i32) {body}))");
    wat::parse_str(&text).expect("test WAT parses")
}

fn module(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

const SET_SCORES: &str = "(call $set_scores (i32.const 1) (i32.const 2) (i32.const 3) \
                          (i32.const 4) (i32.const 5))";

fn limits() -> Limits {
    Limits {
        fuel: 1_000_000,
        max_memory_bytes: 4 << 16,
        max_input_bytes: 1 << 20,
        max_metadata_bytes: 64,
        max_module_bytes: 1 << 16,
    }
}

fn run_body(body: &str) -> Result<Outcome, ScoreError> {
    run(&program(body), b"", &[], &limits())
}

const SCORES: Scores = Scores {
    authenticity: 1,
    ownership: 2,
    quality: 3,
    uniqueness: 4,
    score: 5,
};

#[test]
fn a_program_that_sets_scores_and_returns_zero_succeeds() {
    let out = run_body(&format!("{SET_SCORES} (i32.const 0)")).expect("runs");
    assert_eq!(out.scores, SCORES);
    assert!(out.metadata.is_empty());
    assert!(out.fuel_used > HOST_CALL_FUEL, "{out:?}");
}

#[test]
fn the_last_set_scores_and_set_metadata_count() {
    let body = format!(
        "(call $set_scores (i32.const 9) (i32.const 9) (i32.const 9) (i32.const 9) \
         (i32.const 9)) (call $set_metadata (i32.const 0) (i32.const 3)) \
         {SET_SCORES} (call $set_metadata (i32.const 8) (i32.const 2)) (i32.const 0)"
    );
    let memory =
        r#"(memory (export "memory") 1) (data (i32.const 0) "abc") (data (i32.const 8) "xy")"#;
    let out = run(&program_with(IMPORTS, memory, &body), b"", &[], &limits()).expect("runs");
    assert_eq!(out.scores, SCORES);
    assert_eq!(out.metadata, b"xy");
}

#[test]
fn an_infinite_loop_exhausts_its_fuel() {
    let err = run_body("(loop $l (br $l)) (i32.const 0)").expect_err("never ends");
    assert_eq!(err, ScoreError::FuelExhausted { limit: 1_000_000 });
}

/// Ten million fuel of a tight loop: a build whose wasmi dispatches by tail calls that LLVM
/// did not turn into jumps (optimized wasmi with debug assertions or a sanitizer) overflows
/// the host stack here and aborts, rather than some worker far from here.
#[test]
fn a_long_run_does_not_overflow_the_host_stack() {
    let limits = Limits {
        fuel: 10_000_000,
        ..limits()
    };
    assert_eq!(
        run(
            &program("(loop $l (br $l)) (i32.const 0)"),
            b"",
            &[],
            &limits
        ),
        Err(ScoreError::FuelExhausted { limit: 10_000_000 })
    );
}

#[test]
fn fuel_is_enforced_exactly() {
    let wasm = program(&format!(
        "(local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) \
         (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))) {SET_SCORES} (i32.const 0)"
    ));
    let used = run(&wasm, b"", &[], &limits()).expect("runs").fuel_used;
    let exact = Limits {
        fuel: used,
        ..limits()
    };
    assert_eq!(
        run(&wasm, b"", &[], &exact).expect("enough").fuel_used,
        used
    );
    let short = Limits {
        fuel: used - 1,
        ..limits()
    };
    assert_eq!(
        run(&wasm, b"", &[], &short),
        Err(ScoreError::FuelExhausted { limit: used - 1 })
    );
    assert_eq!(
        run(
            &wasm,
            b"",
            &[],
            &Limits {
                fuel: 0,
                ..limits()
            }
        ),
        Err(ScoreError::FuelExhausted { limit: 0 })
    );
}

#[test]
fn host_calls_charge_for_the_bytes_they_copy() {
    let input = vec![7u8; 4000];
    let read = |len: i32| {
        let wasm = program(&format!(
            "(drop (call $input_read (i32.const 0) (i64.const 0) (i32.const {len}))) \
             {SET_SCORES} (i32.const 0)"
        ));
        run(&wasm, &input, &[], &limits()).expect("runs").fuel_used
    };
    let base = read(0);
    assert_eq!(read(8) - base, 1);
    assert_eq!(read(9) - base, 2);
    assert_eq!(read(800) - base, 100);
    // Only what is copied is charged: the input has 4,000 bytes.
    assert_eq!(read(60_000) - base, 500);
}

#[test]
fn a_host_call_without_the_fuel_for_its_bytes_fails() {
    let input = vec![7u8; 60_000];
    let wasm = program(&format!(
        "(drop (call $input_read (i32.const 0) (i64.const 0) (i32.const 60000))) {SET_SCORES} \
         (i32.const 0)"
    ));
    let used = run(&wasm, &input, &[], &limits()).expect("runs").fuel_used;
    assert!(used > 7_500);
    assert_eq!(
        run(
            &wasm,
            &input,
            &[],
            &Limits {
                fuel: 7_000,
                ..limits()
            }
        ),
        Err(ScoreError::FuelExhausted { limit: 7_000 })
    );
}

#[test]
fn growing_memory_past_the_limit_fails_with_memory_limit() {
    // Four pages allowed: growing by three (to four) works, by four (to five) does not.
    let grow = |pages: u32| {
        run_body(&format!(
            "(drop (memory.grow (i32.const {pages}))) {SET_SCORES} (i32.const 0)"
        ))
    };
    assert!(grow(3).is_ok());
    assert_eq!(grow(4), Err(ScoreError::MemoryLimit { limit: 4 << 16 }));
    // The program cannot catch it: growth past the limit traps rather than returning -1.
    let checked = run_body(&format!(
        "(if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) \
           (then (return (i32.const 3)))) {SET_SCORES} (i32.const 0)"
    ));
    assert_eq!(checked, Err(ScoreError::MemoryLimit { limit: 4 << 16 }));
}

#[test]
fn growing_memory_past_its_own_maximum_returns_minus_one() {
    let wasm = program_with(
        IMPORTS,
        r#"(memory (export "memory") 1 2)"#,
        &format!(
            "(if (i32.ne (memory.grow (i32.const 2)) (i32.const -1)) \
               (then (return (i32.const 3)))) {SET_SCORES} (i32.const 0)"
        ),
    );
    assert!(run(&wasm, b"", &[], &limits()).is_ok());
}

#[test]
fn an_initial_memory_over_the_limit_is_refused_before_running() {
    let wasm = program_with(
        IMPORTS,
        r#"(memory (export "memory") 5)"#,
        &format!("{SET_SCORES} (i32.const 0)"),
    );
    let want = Err(ScoreError::MemoryLimit { limit: 4 << 16 });
    assert_eq!(validate_program(&wasm, &limits()), want);
    assert_eq!(run(&wasm, b"", &[], &limits()).map(|_| ()), want);
    // Exactly at the limit is fine.
    let wasm = program_with(
        IMPORTS,
        r#"(memory (export "memory") 4)"#,
        &format!("{SET_SCORES} (i32.const 0)"),
    );
    assert!(run(&wasm, b"", &[], &limits()).is_ok());
}

#[test]
fn growing_a_table_past_its_limit_fails_with_table_limit() {
    let grow = |n: u64| {
        let wasm = module(&format!(
            r#"(module {IMPORTS} (memory (export "memory") 1) (table $t 1 funcref)
                 (func (export "score") (result i32)
                   (drop (table.grow $t (ref.null func) (i32.const {n})))
                   {SET_SCORES} (i32.const 0)))"#
        ));
        run(&wasm, b"", &[], &limits())
    };
    assert!(grow(MAX_TABLE_ELEMENTS - 1).is_ok());
    assert_eq!(
        grow(MAX_TABLE_ELEMENTS),
        Err(ScoreError::TableLimit {
            limit: MAX_TABLE_ELEMENTS
        })
    );
}

#[test]
fn imports_outside_the_abi_are_forbidden() {
    let body = format!("{SET_SCORES} (i32.const 0)");
    let forbidden = |imports: &str, module: &str, name: &str| {
        let wasm = program_with(imports, r#"(memory (export "memory") 1)"#, &body);
        let want = Err(ScoreError::ForbiddenImport {
            module: module.into(),
            name: name.into(),
        });
        assert_eq!(validate_program(&wasm, &limits()), want, "{imports}");
        assert_eq!(
            run(&wasm, b"", &[], &limits()).map(|_| ()),
            want,
            "{imports}"
        );
    };
    let wasi = r#"(import "wasi_snapshot_preview1" "fd_write"
                    (func (param i32 i32 i32 i32) (result i32)))"#;
    forbidden(
        &format!("{IMPORTS} {wasi}"),
        "wasi_snapshot_preview1",
        "fd_write",
    );
    forbidden(
        &format!("{IMPORTS} (import \"synod\" \"now\" (func (result i64)))"),
        "synod",
        "now",
    );
    forbidden(
        &format!("{IMPORTS} (import \"env\" \"input_len\" (func (result i64)))"),
        "env",
        "input_len",
    );
    // A name of the ABI imported as something other than a function.
    forbidden(
        &format!("{IMPORTS} (import \"synod\" \"index_count\" (global i32))"),
        "synod",
        "index_count",
    );
}

#[test]
fn an_abi_import_with_the_wrong_signature_is_invalid() {
    let imports = r#"(import "synod" "input_len" (func $input_len (result i32)))"#;
    let wasm = program_with(imports, r#"(memory (export "memory") 1)"#, "(i32.const 0)");
    match validate_program(&wasm, &limits()) {
        Err(ScoreError::InvalidModule { detail }) => {
            assert!(detail.contains("synod.input_len"), "{detail}");
            assert!(detail.contains("() -> (i64)"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_program_may_import_any_subset_of_the_abi() {
    let wasm = program_with(
        r#"(import "synod" "set_scores" (func $set_scores (param i32 i32 i32 i32 i32)))"#,
        r#"(memory (export "memory") 1)"#,
        &format!("{SET_SCORES} (i32.const 0)"),
    );
    assert_eq!(
        run(&wasm, b"x", &[], &limits()).expect("runs").scores,
        SCORES
    );
}

#[test]
fn required_exports_must_be_present_and_of_the_right_type() {
    let missing = |text: &str, name: &str| {
        assert_eq!(
            validate_program(&module(text), &limits()),
            Err(ScoreError::MissingExport { name: name.into() }),
            "{text}"
        );
    };
    missing(r#"(module (memory (export "memory") 1))"#, "score");
    missing(
        r#"(module (memory (export "memory") 1) (func (export "score")))"#,
        "score",
    );
    missing(
        r#"(module (memory (export "memory") 1)
             (func (export "score") (param i32) (result i32) (i32.const 0)))"#,
        "score",
    );
    missing(
        r#"(module (memory (export "memory") 1)
             (func (export "score") (result i64) (i64.const 0)))"#,
        "score",
    );
    missing(
        r#"(module (memory 1) (func (export "score") (result i32) (i32.const 0)))"#,
        "memory",
    );
    missing(
        r#"(module (memory 1) (global (export "memory") i32 (i32.const 0))
             (func (export "score") (result i32) (i32.const 0)))"#,
        "memory",
    );
}

#[test]
fn not_setting_scores_is_no_scores() {
    assert_eq!(run_body("(i32.const 0)"), Err(ScoreError::NoScores));
}

#[test]
fn a_non_zero_return_is_program_failed_even_with_scores_set() {
    assert_eq!(
        run_body(&format!("{SET_SCORES} (i32.const 7)")),
        Err(ScoreError::ProgramFailed { code: 7 })
    );
    assert_eq!(
        run_body("(i32.const -1)"),
        Err(ScoreError::ProgramFailed { code: -1 })
    );
}

#[test]
fn scores_over_ppm_are_out_of_range() {
    let names = [
        "authenticity",
        "ownership",
        "quality",
        "uniqueness",
        "score",
    ];
    for (i, field) in names.iter().enumerate() {
        let mut args = [PPM as i32; 5];
        args[i] = PPM as i32 + 1;
        let call = format!(
            "(call $set_scores {})",
            args.iter()
                .map(|a| format!("(i32.const {a})"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            run_body(&format!("{call} (i32.const 0)")),
            Err(ScoreError::ScoreOutOfRange {
                field,
                value: PPM + 1
            })
        );
    }
    // Negative values are huge unsigned ones; the first bad field in ABI order is reported.
    assert_eq!(
        run_body(
            "(call $set_scores (i32.const 0) (i32.const -1) (i32.const 2000000) \
             (i32.const 0) (i32.const 0)) (i32.const 0)"
        ),
        Err(ScoreError::ScoreOutOfRange {
            field: "ownership",
            value: u32::MAX
        })
    );
    // PPM itself is in range.
    let out = run_body(&format!(
        "(call $set_scores (i32.const {p}) (i32.const {p}) (i32.const {p}) (i32.const {p}) \
         (i32.const {p})) (i32.const 0)",
        p = PPM
    ))
    .expect("runs");
    assert_eq!(out.scores.score, PPM);
}

#[test]
fn metadata_is_limited() {
    let set = |len: u32| {
        run_body(&format!(
            "(call $set_metadata (i32.const 0) (i32.const {len})) {SET_SCORES} (i32.const 0)"
        ))
    };
    assert_eq!(set(64).expect("at the limit").metadata, vec![0u8; 64]);
    assert_eq!(
        set(65),
        Err(ScoreError::MetadataTooLarge { len: 65, limit: 64 })
    );
    // A negative length is a huge one.
    assert_eq!(
        run_body("(call $set_metadata (i32.const 0) (i32.const -1)) (i32.const 0)"),
        Err(ScoreError::MetadataTooLarge {
            len: u32::MAX,
            limit: 64
        })
    );
    match set_at(65_530, 10) {
        Err(ScoreError::Trap { detail }) => assert!(detail.contains("set_metadata"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

fn set_at(ptr: u32, len: u32) -> Result<Outcome, ScoreError> {
    run_body(&format!(
        "(call $set_metadata (i32.const {ptr}) (i32.const {len})) {SET_SCORES} (i32.const 0)"
    ))
}

/// A program that copies the input and then every index entry into memory back to back with
/// the host functions, and returns it all as metadata, after the input length and entry count
/// as little-endian u32s. `chunk` bytes per `input_read`.
fn echo_program(chunk: u32) -> Vec<u8> {
    module(&format!(
        r#"(module {IMPORTS}
          (memory (export "memory") 1)
          (func (export "score") (result i32)
            (local $pos i32) (local $off i64) (local $n i32) (local $i i32) (local $count i32)
            (i32.store (i32.const 0) (i32.wrap_i64 (call $input_len)))
            (local.set $count (call $index_count))
            (i32.store (i32.const 4) (local.get $count))
            (local.set $pos (i32.const 8))
            (block $done (loop $read
              (local.set $n (call $input_read (local.get $pos) (local.get $off) (i32.const {chunk})))
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $pos (i32.add (local.get $pos) (local.get $n)))
              (local.set $off (i64.add (local.get $off) (i64.extend_i32_u (local.get $n))))
              (br $read)))
            (block $done (loop $entries
              (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
              (local.set $n (call $index_entry_len (local.get $i)))
              (drop (call $index_read (local.get $i) (local.get $pos) (i32.const 0) (local.get $n)))
              (local.set $pos (i32.add (local.get $pos) (local.get $n)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $entries)))
            (call $set_metadata (i32.const 0) (local.get $pos))
            {SET_SCORES}
            (i32.const 0)))"#
    ))
}

fn echo_expected(input: &[u8], index: &[&[u8]]) -> Vec<u8> {
    let mut want = Vec::new();
    want.extend_from_slice(&(input.len() as u32).to_le_bytes());
    want.extend_from_slice(&(index.len() as u32).to_le_bytes());
    want.extend_from_slice(input);
    for e in index {
        want.extend_from_slice(e);
    }
    want
}

fn echo_limits() -> Limits {
    Limits {
        max_metadata_bytes: 4096,
        ..limits()
    }
}

#[test]
fn programs_read_the_input_and_the_index_exactly() {
    let input: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    let index: [&[u8]; 4] = [b"first", b"", b"third entry", &[0, 255, 1]];
    for chunk in [1, 7, 64, 1000, 5000] {
        let out = run(&echo_program(chunk), &input, &index, &echo_limits()).expect("runs");
        assert_eq!(out.metadata, echo_expected(&input, &index), "chunk {chunk}");
    }
    let out = run(&echo_program(64), b"", &[], &echo_limits()).expect("runs");
    assert_eq!(out.metadata, echo_expected(b"", &[]));
}

#[test]
fn reads_past_the_end_copy_nothing_and_partial_reads_report_their_count() {
    let input = b"0123456789";
    let wasm = program(&format!(
        "(i32.store (i32.const 100) (call $input_read (i32.const 0) (i64.const 7) (i32.const 50))) \
         (i32.store (i32.const 104) (call $input_read (i32.const 10) (i64.const 10) (i32.const 50))) \
         (i32.store (i32.const 108) (call $input_read (i32.const 10) (i64.const -1) (i32.const 50))) \
         (i32.store (i32.const 112) (call $index_read (i32.const 0) (i32.const 20) (i32.const 2) (i32.const 50))) \
         (i32.store (i32.const 116) (call $index_read (i32.const 0) (i32.const 30) (i32.const -1) (i32.const 50))) \
         (call $set_metadata (i32.const 0) (i32.const 40)) \
         (call $set_metadata (i32.const 0) (i32.const 120)) {SET_SCORES} (i32.const 0)"
    ));
    let limits = Limits {
        max_metadata_bytes: 200,
        ..limits()
    };
    let out = run(&wasm, input, &[b"abcde"], &limits).expect("runs");
    let m = &out.metadata;
    assert_eq!(&m[0..3], b"789");
    assert_eq!(&m[20..23], b"cde");
    let word = |at: usize| u32::from_le_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]]);
    assert_eq!(
        [word(100), word(104), word(108), word(112), word(116)],
        [3, 0, 0, 3, 0]
    );
}

#[test]
fn out_of_bounds_copies_and_missing_entries_trap() {
    let trap = |body: &str, needle: &str| match run(
        &program(&format!("{body} {SET_SCORES} (i32.const 0)")),
        b"some input",
        &[b"entry"],
        &limits(),
    ) {
        Err(ScoreError::Trap { detail }) => assert!(detail.contains(needle), "{detail}"),
        other => panic!("{body}: {other:?}"),
    };
    // The whole destination range must be in memory, even if fewer bytes would be copied.
    trap(
        "(drop (call $input_read (i32.const 65530) (i64.const 0) (i32.const 7)))",
        "input_read",
    );
    trap(
        "(drop (call $input_read (i32.const -1) (i64.const 0) (i32.const 1)))",
        "input_read",
    );
    trap(
        "(drop (call $index_read (i32.const 0) (i32.const 65535) (i32.const 0) (i32.const 2)))",
        "index_read",
    );
    trap(
        "(drop (call $index_entry_len (i32.const 1)))",
        "index entry 1 does not exist",
    );
    trap(
        "(drop (call $index_read (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 1)))",
        "does not exist",
    );
    // In bounds at the very end is fine.
    assert!(
        run_body(&format!(
            "(drop (call $input_read (i32.const 65536) (i64.const 0) (i32.const 0))) \
             {SET_SCORES} (i32.const 0)"
        ))
        .is_ok()
    );
}

#[test]
fn wasm_traps_are_reported_as_traps() {
    for body in [
        "(unreachable)",
        "(i32.div_u (i32.const 1) (i32.const 0))",
        "(i32.load (i32.const 65535))",
    ] {
        assert!(
            matches!(run_body(body), Err(ScoreError::Trap { .. })),
            "{body}"
        );
    }
    let recursion = module(
        r#"(module (memory (export "memory") 1)
             (func $f (result i32) (call $f))
             (func (export "score") (result i32) (call $f)))"#,
    );
    match run(&recursion, b"", &[], &limits()) {
        Err(ScoreError::Trap { detail }) => assert!(detail.contains("stack"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn floats_are_rejected() {
    let wasm = module(
        r#"(module (memory (export "memory") 1)
             (func (export "score") (result i32)
               (i32.trunc_f64_s (f64.add (f64.const 1) (f64.const 2)))))"#,
    );
    assert!(matches!(
        validate_program(&wasm, &limits()),
        Err(ScoreError::InvalidModule { .. })
    ));
    let global = module(
        r#"(module (memory (export "memory") 1) (global f32 (f32.const 0))
             (func (export "score") (result i32) (i32.const 0)))"#,
    );
    assert!(matches!(
        validate_program(&global, &limits()),
        Err(ScoreError::InvalidModule { .. })
    ));
}

#[test]
fn start_functions_are_rejected() {
    let wasm = module(
        r#"(module (memory (export "memory") 1) (func $init) (start $init)
             (func (export "score") (result i32) (i32.const 0)))"#,
    );
    assert!(matches!(
        validate_program(&wasm, &limits()),
        Err(ScoreError::InvalidModule { .. })
    ));
}

#[test]
fn garbage_and_oversized_modules_are_refused() {
    assert!(matches!(
        validate_program(b"not wasm", &limits()),
        Err(ScoreError::InvalidModule { .. })
    ));
    assert!(matches!(
        validate_program(b"", &limits()),
        Err(ScoreError::InvalidModule { .. })
    ));
    let wasm = program(&format!("{SET_SCORES} (i32.const 0)"));
    let tight = Limits {
        max_module_bytes: wasm.len() as u32 - 1,
        ..limits()
    };
    assert_eq!(
        validate_program(&wasm, &tight),
        Err(ScoreError::ModuleTooLarge {
            len: wasm.len() as u64,
            limit: wasm.len() as u32 - 1
        })
    );
    let exact = Limits {
        max_module_bytes: wasm.len() as u32,
        ..limits()
    };
    assert_eq!(validate_program(&wasm, &exact), Ok(()));
}

#[test]
fn inputs_over_the_limit_are_refused() {
    let wasm = program(&format!("{SET_SCORES} (i32.const 0)"));
    let small = Limits {
        max_input_bytes: 3,
        ..limits()
    };
    assert!(run(&wasm, b"abc", &[], &small).is_ok());
    assert_eq!(
        run(&wasm, b"abcd", &[], &small),
        Err(ScoreError::InputTooLarge { len: 4, limit: 3 })
    );
}

#[test]
fn a_compiled_program_runs_many_times_from_a_fresh_instance() {
    // A program that counts its runs in a global: every run must see 1.
    let wasm = module(&format!(
        r#"(module {IMPORTS} (memory (export "memory") 1) (global $runs (mut i32) (i32.const 0))
             (func (export "score") (result i32)
               (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
               (call $set_scores (global.get $runs) (i32.const 0) (i32.const 0) (i32.const 0)
                 (i32.const 0))
               (i32.const 0)))"#
    ));
    let program = Program::new(&wasm, &limits()).expect("valid");
    assert_eq!(program.hash(), program_hash(&wasm));
    for _ in 0..3 {
        assert_eq!(program.run(b"", &[]).expect("runs").scores.authenticity, 1);
    }
}

#[test]
fn a_compiled_program_takes_other_limits_checked_like_new() {
    let wasm = program_with(
        IMPORTS,
        r#"(memory (export "memory") 2)"#,
        "(loop $l (br $l)) (i32.const 0)",
    );
    let program = Program::new(&wasm, &limits()).expect("valid");
    let less_fuel = Limits {
        fuel: 500,
        ..limits()
    };
    let cheap = program.with_limits(&less_fuel).expect("same module");
    assert_eq!(cheap.limits(), &less_fuel);
    assert_eq!(cheap.hash(), program.hash());
    assert_eq!(
        cheap.run(b"", &[]),
        Err(ScoreError::FuelExhausted { limit: 500 })
    );
    let one_page = Limits {
        max_memory_bytes: 1 << 16,
        ..limits()
    };
    assert_eq!(
        program.with_limits(&one_page).map(|_| ()),
        Err(ScoreError::MemoryLimit { limit: 1 << 16 })
    );
    let small_module = Limits {
        max_module_bytes: 10,
        ..limits()
    };
    assert_eq!(
        program.with_limits(&small_module).map(|_| ()),
        Err(ScoreError::ModuleTooLarge {
            len: wasm.len() as u64,
            limit: 10
        })
    );
}

#[test]
fn limits_default_to_the_production_values() {
    let l = Limits::default();
    assert_eq!(l.fuel, 1_000_000_000);
    assert_eq!(l.max_memory_bytes, 64 * 1024 * 1024);
    assert_eq!(l.max_input_bytes, 256 * 1024 * 1024);
    assert_eq!(l.max_metadata_bytes, 4096);
    assert_eq!(l.max_module_bytes, 1024 * 1024);
}

#[test]
fn scores_and_limits_serialize_as_documented() {
    let json = serde_json::to_value(SCORES).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"authenticity": 1, "ownership": 2, "quality": 3, "uniqueness": 4, "score": 5})
    );
    let borsh = borsh::to_vec(&SCORES).expect("borsh");
    assert_eq!(borsh.len(), 20);
    assert_eq!(&borsh[..4], &1u32.to_le_bytes());
    let partial: Limits = serde_json::from_str(r#"{"fuel": 5}"#).expect("json");
    assert_eq!(
        partial,
        Limits {
            fuel: 5,
            ..Limits::default()
        }
    );
    assert!(serde_json::from_str::<Limits>(r#"{"fuels": 5}"#).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any input and index reach the program byte for byte, whatever the read size.
        #[test]
        fn the_echo_program_sees_exactly_what_it_was_given(
            input in proptest::collection::vec(any::<u8>(), 0..2000),
            index in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            chunk in 1u32..3000,
        ) {
            let refs: Vec<&[u8]> = index.iter().map(Vec::as_slice).collect();
            let out = run(&echo_program(chunk), &input, &refs, &echo_limits()).expect("runs");
            prop_assert_eq!(out.metadata, echo_expected(&input, &refs));
        }

        /// Arbitrary bytes as a module never panic the host.
        #[test]
        fn arbitrary_modules_are_refused_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut wasm = b"\0asm\x01\0\0\0".to_vec();
            wasm.extend_from_slice(&bytes);
            let _ = validate_program(&wasm, &limits());
            let _ = run(&wasm, b"x", &[b"y"], &limits());
        }
    }
}
