//! `synod-blind-lang` — the secure-program language of Synod's
//! blind-computation engine.
//!
//! It must not execute anything securely nor do I/O: secure execution is `synod-blind-exec`'s,
//! and a program's identity is the hash of its canonical MIR, which must never change meaning.
//!
//! This crate owns the language end to end, up to (not including) secure
//! execution:
//!
//! * the concrete syntax and its parser ([`parser`], grammar in
//!   `LANGUAGE.md` at the crate root), with span-accurate diagnostics
//!   rendered ariadne-style ([`diag`]);
//! * the type and secrecy checker, fused with lowering ([`compile`]):
//!   integer widths and signedness, public ⊑ secret propagation, no secret
//!   divisors, indices, lengths or secret-dependent `reveal`s, outputs to
//!   declared parties only, unused inputs/parties;
//! * the canonical MIR ([`mir`]): a typed SSA DAG with a canonical binary
//!   encoding; `program_id = blake3(encoding)`;
//! * the static analyser and admission limits ([`analysis`]);
//! * the plaintext reference interpreter ([`interp`]) — the oracle against
//!   which the MPC executor is tested;
//! * a pretty-printer ([`pretty`]) and, behind the `testing` feature, a
//!   random well-typed program generator ([`testing`]) for differential
//!   tests in other crates.
//!
//! Integer semantics (wrapping at the declared width) are specified in
//! [`types`]. The crate is pure: no I/O, no network.
//!
//! ```
//! use synod_blind_lang::{compile, Options, interp::{Inputs, Value}};
//!
//! let src = r#"
//!     party Alice; party Bob;
//!     input a: secret u32 from Alice;
//!     input b: secret u32 from Bob;
//!     output richer = if a > b then 0u8 else 1u8 to Alice;
//! "#;
//! let prog = compile(src, &Options::default()).expect("compiles");
//! let mut inputs = Inputs::new();
//! inputs.entry("Alice".into()).or_default().insert("a".into(), Value::Int(7));
//! inputs.entry("Bob".into()).or_default().insert("b".into(), Value::Int(9));
//! let out = prog.run(&inputs).expect("runs");
//! assert_eq!(out["Alice"]["richer"], Value::Int(1));
//! assert_eq!(prog.analysis.comparisons, 1);
//! ```

pub mod analysis;
pub mod ast;
pub mod diag;
mod elab;
pub mod interp;
pub mod mir;
pub mod parser;
pub mod pretty;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;

pub use analysis::{Analysis, CostModel, CostTable, Limits};
pub use diag::{CompileError, Diagnostic, ErrorKind, LineCol, Location, Severity, Span};
pub use elab::BUILTINS;
pub use interp::{Inputs, Outputs, RuntimeError, Value};
pub use mir::{Mir, MirError, NodeId, Op, ProgramId};
pub use types::{ScalarType, Secrecy};

/// Compiler options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Admission limits.
    pub limits: Limits,
    /// Cost model for the analyser.
    pub cost: CostModel,
}

/// A compiled program.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Canonical MIR.
    pub mir: Mir,
    /// Canonical encoding of [`Compiled::mir`].
    pub bytes: Vec<u8>,
    /// `blake3(bytes)`.
    pub program_id: ProgramId,
    /// Static analysis.
    pub analysis: Analysis,
    /// Non-fatal diagnostics (unused lets and functions).
    pub warnings: Vec<Diagnostic>,
    /// Source span of each output declaration (same order as `mir.outputs`).
    pub output_spans: Vec<Span>,
}

impl Compiled {
    /// Run on the reference interpreter.
    pub fn run(&self, inputs: &Inputs) -> Result<Outputs, RuntimeError> {
        interp::interpret(&self.mir, inputs)
    }
}

/// Parse, check, lower, canonicalise, analyse and enforce limits.
pub fn compile(src: &str, opts: &Options) -> Result<Compiled, CompileError> {
    let ast = parser::parse(src)?;
    let mut compiled = compile_ast(&ast, opts).map_err(|e| e.locate(src))?;
    compiled.warnings = std::mem::take(&mut compiled.warnings)
        .into_iter()
        .map(|w| w.locate(src))
        .collect();
    Ok(compiled)
}

/// [`compile`] starting from an already parsed program.
pub fn compile_ast(ast: &ast::Program, opts: &Options) -> Result<Compiled, CompileError> {
    let el = elab::elaborate(ast, &opts.limits)?;
    let last_output = el.output_spans.last().copied().unwrap_or_default();
    let internal = |e: MirError| {
        CompileError::single(Diagnostic::error(
            ErrorKind::TypeMismatch {
                expected: "valid MIR".into(),
                found: format!("internal compiler error: {e}"),
            },
            last_output,
        ))
    };
    let mir = el.mir.canonicalize().map_err(internal)?;
    let analysis = analysis::analyse(&mir, &opts.cost).map_err(internal)?;
    if let Some((what, value, max, output)) = analysis::check_limits(&analysis, &opts.limits) {
        let span = output
            .and_then(|i| el.output_spans.get(i).copied())
            .unwrap_or(last_output);
        return Err(CompileError::single(Diagnostic::error(
            ErrorKind::LimitExceeded { what, value, max },
            span,
        )));
    }
    let bytes = mir.encode();
    let program_id = ProgramId(*blake3::hash(&bytes).as_bytes());
    Ok(Compiled {
        mir,
        bytes,
        program_id,
        analysis,
        warnings: el.warnings,
        output_spans: el.output_spans,
    })
}
