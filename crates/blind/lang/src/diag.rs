//! Source spans, structured diagnostics and an ariadne-based renderer.

use std::fmt;

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// Construct a span.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// As a `Range`.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub col: usize,
}

impl LineCol {
    /// Line/column of byte offset `offset` in `src` (clamped to the text).
    pub fn of(src: &str, offset: usize) -> LineCol {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = src[line_start..offset].chars().count() + 1;
        LineCol { line, col }
    }
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Start and end of a span as line/column pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Position of the first byte.
    pub start: LineCol,
    /// Position just past the last byte.
    pub end: LineCol,
}

/// Severity of a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Compilation fails.
    Error,
    /// Reported, compilation continues.
    Warning,
}

/// What went wrong. The `Display` text is the diagnostic's headline.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The lexer or parser rejected the text.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// An expression or type nests deeper than the parser allows.
    #[error("expression or type nested too deeply (limit {0})")]
    TooDeep(u32),
    /// An integer literal does not fit any integer type.
    #[error("integer literal too large")]
    LiteralTooLarge,
    /// Name used but never defined (or not visible here).
    #[error("undefined name `{0}`")]
    UndefinedName(String),
    /// Party used but never declared.
    #[error("undeclared party `{0}`")]
    UndefinedParty(String),
    /// Function called but not defined.
    #[error("undefined function `{0}`")]
    UndefinedFunction(String),
    /// Function called before (or inside) its own definition.
    #[error("function `{0}` is not defined before this point (functions may not be recursive)")]
    RecursiveCall(String),
    /// Name defined twice in the same scope, or shadowing a builtin.
    #[error("`{0}` is already defined")]
    DuplicateDefinition(String),
    /// Two outputs with the same name.
    #[error("duplicate output `{0}`")]
    DuplicateOutput(String),
    /// Types do not agree.
    #[error("type mismatch: expected {expected}, found {found}")]
    TypeMismatch {
        /// Expected type.
        expected: String,
        /// Actual type.
        found: String,
    },
    /// An input type lacks its `secret`/`public` qualifier.
    #[error("input types must say `secret` or `public`")]
    MissingQualifier,
    /// `reduce` over an empty array.
    #[error("reduce of an empty array")]
    EmptyReduce,
    /// A secret value flows where a public one is required.
    #[error("secret value used where a public {0} is required")]
    SecretToPublic(String),
    /// Division or remainder by a secret divisor.
    #[error("divisor must be public (secret divisors are not supported)")]
    SecretDivisor,
    /// Array index depends on a secret.
    #[error("array index must be public: secret-dependent indexing is not allowed")]
    SecretIndex,
    /// Array length depends on a secret.
    #[error("array length must be public: secret-dependent array sizes are not allowed")]
    SecretLength,
    /// `reveal` under a secret condition (secret-dependent control flow).
    #[error(
        "`reveal` inside a branch of a secret condition: secret-dependent control flow is not allowed"
    )]
    SecretControlFlow,
    /// Index or length is public but not a compile-time constant.
    #[error("{0} must be a compile-time constant")]
    NotConstant(&'static str),
    /// Constant index outside the array.
    #[error("index {index} out of bounds for array of length {len}")]
    IndexOutOfBounds {
        /// The index (saturated to `i64`).
        index: i64,
        /// The array length.
        len: usize,
    },
    /// Constant division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Literal does not fit the type it is used at.
    #[error("literal {value} out of range for {ty}")]
    LiteralOutOfRange {
        /// The literal (decimal).
        value: String,
        /// The target type.
        ty: String,
    },
    /// Compile-time constant arithmetic overflowed `i128`.
    #[error("compile-time constant overflow")]
    ConstOverflow,
    /// Wrong number of arguments.
    #[error("`{name}` takes {expected} argument(s), found {found}")]
    Arity {
        /// Callee.
        name: String,
        /// Expected count.
        expected: String,
        /// Actual count.
        found: usize,
    },
    /// Operation not defined on this type.
    #[error("{op} is not defined for {ty}")]
    InvalidOperand {
        /// The operation.
        op: String,
        /// The operand type.
        ty: String,
    },
    /// Arrays in an operation have different lengths.
    #[error("array length mismatch: {0} vs {1}")]
    LengthMismatch(usize, usize),
    /// A lambda appears outside `map`/`fold`/`reduce`.
    #[error("lambdas may only be passed to map, fold or reduce")]
    MisplacedLambda,
    /// A function or builtin name used as a value.
    #[error("`{0}` is a function, not a value")]
    FunctionAsValue(String),
    /// The type of an integer constant cannot be inferred.
    #[error(
        "cannot infer the type of this integer constant; add a suffix (e.g. 5u32) or an annotation"
    )]
    CannotInfer,
    /// A declared input is never used.
    #[error("input `{0}` is never used")]
    UnusedInput(String),
    /// A declared party has neither inputs nor outputs.
    #[error("party `{0}` has no inputs and no outputs")]
    UnusedParty(String),
    /// The program has no outputs.
    #[error("program has no outputs")]
    NoOutputs,
    /// A configured limit was exceeded.
    #[error("limit exceeded: {what} is {value}, maximum is {max}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The measured value (a lower bound when compilation stopped early).
        value: u64,
        /// The configured maximum.
        max: u64,
    },
    /// Warning: a `let` binding is never used.
    #[error("`{0}` is never used")]
    UnusedLet(String),
    /// Warning: a function is never called.
    #[error("function `{0}` is never called")]
    UnusedFunction(String),
}

/// A secondary label on a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Where.
    pub span: Span,
    /// What.
    pub message: String,
}

/// One diagnostic: kind, primary span and optional secondary notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What went wrong.
    pub kind: ErrorKind,
    /// Primary location (byte offsets).
    pub span: Span,
    /// Secondary labels.
    pub notes: Vec<Note>,
    /// Line/column of [`Diagnostic::span`]; filled in by [`crate::compile`]
    /// and [`crate::parser::parse`] (which know the source text).
    pub location: Option<Box<Location>>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(kind: ErrorKind, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            kind,
            span,
            notes: Vec::new(),
            location: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(kind: ErrorKind, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            kind,
            span,
            notes: Vec::new(),
            location: None,
        }
    }

    /// Add a secondary label.
    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            span,
            message: message.into(),
        });
        self
    }

    /// Fill in [`Diagnostic::location`] from the source text.
    pub fn locate(mut self, src: &str) -> Diagnostic {
        self.location = Some(Box::new(Location {
            start: LineCol::of(src, self.span.start),
            end: LineCol::of(src, self.span.end),
        }));
        self
    }

    /// Line/column of the primary span's start.
    pub fn line_col(&self, src: &str) -> LineCol {
        LineCol::of(src, self.span.start)
    }

    /// Render with ariadne (no colours, byte-indexed), as a string.
    pub fn render(&self, file_name: &str, src: &str) -> String {
        use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
        let clamp = |s: Span| {
            let end = s.end.min(src.len());
            let start = s.start.min(end);
            start..end
        };
        let kind = match self.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let mut report = Report::build(kind, (file_name, clamp(self.span)))
            .with_config(
                Config::new()
                    .with_index_type(IndexType::Byte)
                    .with_color(false),
            )
            .with_message(self.kind.to_string())
            .with_label(
                Label::new((file_name, clamp(self.span))).with_message(self.kind.to_string()),
            );
        for n in &self.notes {
            report =
                report.with_label(Label::new((file_name, clamp(n.span))).with_message(&n.message));
        }
        let mut out = Vec::new();
        let written = report
            .finish()
            .write((file_name, Source::from(src)), &mut out);
        match written {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(_) => self.render_plain(file_name, src),
        }
    }

    /// One-line rendering: `file:line:col: error: message`.
    pub fn render_plain(&self, file_name: &str, src: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{file_name}:{}: {sev}: {}", self.line_col(src), self.kind)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind, self.span)
    }
}

/// Compilation failed; at least one error diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .diagnostics.first().map(|d| d.to_string()).unwrap_or_default())]
pub struct CompileError {
    /// The errors (first one is the primary).
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// Wrap one diagnostic.
    pub fn single(d: Diagnostic) -> CompileError {
        CompileError {
            diagnostics: vec![d],
        }
    }

    /// The primary diagnostic.
    pub fn primary(&self) -> Option<&Diagnostic> {
        self.diagnostics.first()
    }

    /// Fill in the line/column location of every diagnostic.
    pub fn locate(self, src: &str) -> CompileError {
        CompileError {
            diagnostics: self
                .diagnostics
                .into_iter()
                .map(|d| d.locate(src))
                .collect(),
        }
    }

    /// Render all diagnostics with ariadne.
    pub fn render(&self, file_name: &str, src: &str) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(file_name, src))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl From<Diagnostic> for CompileError {
    fn from(d: Diagnostic) -> CompileError {
        CompileError::single(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col() {
        let src = "ab\ncdé\nf";
        assert_eq!(LineCol::of(src, 0), LineCol { line: 1, col: 1 });
        assert_eq!(LineCol::of(src, 3), LineCol { line: 2, col: 1 });
        assert_eq!(LineCol::of(src, 7), LineCol { line: 2, col: 4 });
        assert_eq!(LineCol::of(src, 6), LineCol { line: 2, col: 3 });
        assert_eq!(LineCol::of(src, 100), LineCol { line: 3, col: 2 });
    }

    #[test]
    fn render_points_at_span() {
        let src = "party A;\nlet x = y;\n";
        let d = Diagnostic::error(ErrorKind::UndefinedName("y".into()), Span::new(17, 18));
        let r = d.render("t.blind", src);
        assert!(r.contains("undefined name `y`"), "{r}");
        assert!(r.contains("t.blind:2:9"), "{r}");
        assert_eq!(
            d.render_plain("t.blind", src),
            "t.blind:2:9: error: undefined name `y`"
        );
    }
}
