//! Type and secrecy checker fused with lowering to MIR ("elaboration").
//!
//! The checker walks the AST once, computing for every expression a
//! checker type ([`Ty`]) and a value made of MIR nodes. Functions are
//! type-checked once at their definition (against their declared signature)
//! and inlined at every call; `map`/`fold`/`reduce`/`sum`/`dot` are unrolled
//! (array lengths are public compile-time constants).
//!
//! The checker's secrecy labels are an upper bound of the MIR's (a public
//! argument passed to a `secret` parameter stays public in the MIR); all
//! rules that forbid secrets (divisors, indices, lengths, `reveal` under a
//! secret condition) are enforced on the checker's labels.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::analysis::Limits;
use crate::ast::*;
use crate::diag::{Diagnostic, ErrorKind, Span};
use crate::mir::{BuildError, Builder, Mir, MirInput, MirOutput, NodeId, Op};
use crate::types::{ScalarType, Secrecy};

/// Names of the builtin functions.
pub const BUILTINS: &[&str] = &[
    "len", "sum", "dot", "map", "fold", "reduce", "reveal", "min", "max",
];

/// Checker-level type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Untyped compile-time integer (literal or `const`).
    Const,
    /// Scalar with secrecy label.
    Scalar(Secrecy, ScalarType),
    /// Array of public length.
    Array(Box<Ty>, usize),
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Const => f.write_str("integer constant"),
            Ty::Scalar(s, t) => write!(f, "{s} {t}"),
            Ty::Array(e, n) => write!(f, "[{e}; {n}]"),
        }
    }
}

impl Ty {
    fn raise(&self, s: Secrecy) -> Ty {
        match self {
            Ty::Const => Ty::Const,
            Ty::Scalar(s0, t) => Ty::Scalar(s0.join(s), *t),
            Ty::Array(e, n) => Ty::Array(Box::new(e.raise(s)), *n),
        }
    }

    fn contains_const(&self) -> bool {
        match self {
            Ty::Const => true,
            Ty::Scalar(..) => false,
            Ty::Array(e, _) => e.contains_const(),
        }
    }

    /// Shape and element scalar type (None if it contains `Const`).
    fn shape(&self) -> Option<(Vec<u32>, Secrecy, ScalarType)> {
        match self {
            Ty::Const => None,
            Ty::Scalar(s, t) => Some((vec![], *s, *t)),
            Ty::Array(e, n) => {
                let (mut sh, s, t) = e.shape()?;
                sh.insert(0, u32::try_from(*n).ok()?);
                Some((sh, s, t))
            }
        }
    }
}

fn join(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Const, Ty::Const) => Some(Ty::Const),
        (Ty::Const, Ty::Scalar(s, t)) | (Ty::Scalar(s, t), Ty::Const) if t.is_int() => {
            Some(Ty::Scalar(*s, *t))
        }
        (Ty::Scalar(s1, t1), Ty::Scalar(s2, t2)) if t1 == t2 => Some(Ty::Scalar(s1.join(*s2), *t1)),
        (Ty::Array(x, n), Ty::Array(y, m)) if n == m => Some(Ty::Array(Box::new(join(x, y)?), *n)),
        _ => None,
    }
}

/// Whether `e` is made of integer constants only (literals without a
/// suffix, combined by arithmetic, `if`, `min`/`max`, `reveal`, array
/// literals and indexing), so that its type comes from the other operand or
/// from the context. Syntactic, so it can decide which operand to check
/// first; `const` names count as typed, which is harmless because a bare
/// constant needs no type to be checked. Gives up (typed) past a small
/// depth, which only falls back to checking left to right.
fn context_typed(e: &Expr) -> bool {
    fn go(e: &Expr, depth: u32) -> bool {
        if depth == 0 {
            return false;
        }
        let d = depth - 1;
        match &e.kind {
            ExprKind::Int(_, None) => true,
            ExprKind::Unary(UnOp::Neg, a) | ExprKind::Index(a, _) => go(a, d),
            ExprKind::Binary(op, l, r) => {
                matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                ) && go(l, d)
                    && go(r, d)
            }
            ExprKind::If(_, a, b) => go(a, d) && go(b, d),
            ExprKind::Call(f, args) => {
                matches!(f.name.as_str(), "min" | "max" | "reveal")
                    && !args.is_empty()
                    && args.iter().all(|a| go(a, d))
            }
            ExprKind::Array(items) => !items.is_empty() && items.iter().all(|a| go(a, d)),
            _ => false,
        }
    }
    go(e, 16)
}

/// The type a checked operand gives its context-typed sibling, if any.
fn sibling_hint(ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Scalar(..) => Some(ty.clone()),
        Ty::Array(..) if !ty.contains_const() => Some(ty.clone()),
        _ => None,
    }
}

/// A value: compile-time integer, MIR node, or array of values.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Val {
    Const(i128),
    Node(NodeId),
    Array(Vec<Val>),
}

#[derive(Clone, Debug)]
struct TV {
    ty: Ty,
    val: Val,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BindKind {
    Input(usize),
    Let,
    Const,
    Param,
    Fn(usize),
}

#[derive(Clone, Debug)]
struct Binding {
    name: String,
    span: Span,
    kind: BindKind,
    tv: Option<TV>,
    used: bool,
    /// Emit an "unused" warning for this binding.
    warn_unused: bool,
}

#[derive(Debug, Default)]
struct Scope {
    names: HashMap<String, usize>,
    barrier: bool,
}

struct FnInfo<'a> {
    def: &'a FnDef,
    params: Vec<Ty>,
    ret: Ty,
}

enum Callable<'a> {
    Lambda(&'a [Ident], &'a Expr),
    /// `min` or `max` passed by name.
    MinMax(bool, Span),
    Fn(usize, Span),
}

/// Result of elaboration.
pub(crate) struct Elaborated {
    pub(crate) mir: Mir,
    pub(crate) output_spans: Vec<Span>,
    pub(crate) warnings: Vec<Diagnostic>,
}

type R<T> = Result<T, Diagnostic>;

fn err<T>(kind: ErrorKind, span: Span) -> R<T> {
    Err(Diagnostic::error(kind, span))
}

fn mismatch(expected: &Ty, found: &Ty, span: Span) -> Diagnostic {
    Diagnostic::error(
        ErrorKind::TypeMismatch {
            expected: expected.to_string(),
            found: found.to_string(),
        },
        span,
    )
}

struct Elab<'a> {
    limits: &'a Limits,
    b: Builder,
    parties: Vec<String>,
    party_spans: Vec<Span>,
    party_used: Vec<bool>,
    bindings: Vec<Binding>,
    scopes: Vec<Scope>,
    fns: Vec<FnInfo<'a>>,
    /// Function names defined anywhere (for the recursion diagnostic).
    all_fn_names: HashSet<&'a str>,
    /// Spans of enclosing secret `if` conditions.
    secret_ctx: Vec<Span>,
    outputs: Vec<MirOutput>,
    output_spans: Vec<Span>,
    input_elems: u64,
    fuel: u64,
    warnings: Vec<Diagnostic>,
    /// True while checking a function definition (emit local warnings).
    defining: bool,
    cur_span: Span,
    /// Current expression nesting, across inlined calls.
    depth: u32,
}

/// Maximum expression nesting after inlining functions and lambdas.
pub(crate) const MAX_EVAL_DEPTH: u32 = 2048;

/// Type-check and lower a parsed program.
pub(crate) fn elaborate(prog: &Program, limits: &Limits) -> R<Elaborated> {
    let mut e = Elab {
        limits,
        b: Builder::new(limits.max_ops.saturating_mul(4).max(16)),
        parties: Vec::new(),
        party_spans: Vec::new(),
        party_used: Vec::new(),
        bindings: Vec::new(),
        scopes: vec![Scope::default()],
        fns: Vec::new(),
        all_fn_names: HashSet::new(),
        secret_ctx: Vec::new(),
        outputs: Vec::new(),
        output_spans: Vec::new(),
        input_elems: 0,
        fuel: (limits.max_ops as u64).saturating_mul(16).max(1 << 16),
        warnings: Vec::new(),
        defining: false,
        cur_span: Span::default(),
        depth: 0,
    };
    for item in &prog.items {
        if let ItemKind::Fn(f) = &item.kind {
            e.all_fn_names.insert(f.name.name.as_str());
        }
    }
    for item in &prog.items {
        e.cur_span = item.span;
        e.item(item)?;
    }
    e.finish(prog)
}

impl<'a> Elab<'a> {
    // ---------------------------------------------------------------- items

    fn item(&mut self, item: &'a Item) -> R<()> {
        match &item.kind {
            ItemKind::Party(name) => {
                if let Some(i) = self.parties.iter().position(|p| *p == name.name) {
                    return Err(Diagnostic::error(
                        ErrorKind::DuplicateDefinition(name.name.clone()),
                        name.span,
                    )
                    .with_note(self.party_spans[i], "first declared here"));
                }
                self.parties.push(name.name.clone());
                self.party_spans.push(name.span);
                self.party_used.push(false);
            }
            ItemKind::Const(name, value) => {
                let tv = self.expr(value, None)?;
                if !only_consts(&tv.ty) {
                    return err(ErrorKind::NotConstant("a `const` value"), value.span);
                }
                self.define(name, BindKind::Const, Some(tv), true)?;
            }
            ItemKind::Input { name, ty, party } => {
                let p = self.party(party)?;
                let ty = self.resolve_type(ty, true)?;
                let Some((shape, secrecy, st)) = ty.shape() else {
                    return err(ErrorKind::CannotInfer, name.span);
                };
                let len = crate::mir::shape_len(&shape).ok_or_else(|| {
                    Diagnostic::error(
                        ErrorKind::LimitExceeded {
                            what: "input elements",
                            value: u64::MAX,
                            max: self.limits.max_inputs as u64,
                        },
                        item.span,
                    )
                })?;
                self.input_elems += u64::from(len);
                if self.input_elems > self.limits.max_inputs as u64 {
                    return err(
                        ErrorKind::LimitExceeded {
                            what: "input elements",
                            value: self.input_elems,
                            max: self.limits.max_inputs as u64,
                        },
                        item.span,
                    );
                }
                let idx = self.b.inputs.len();
                self.b.inputs.push(MirInput {
                    name: name.name.clone(),
                    party: p,
                    secrecy,
                    ty: st,
                    shape,
                });
                let mut counter = 0u32;
                let val = self.input_val(idx as u32, &ty, &mut counter)?;
                self.define(name, BindKind::Input(idx), Some(TV { ty, val }), false)?;
            }
            ItemKind::Let(l) => self.let_binding(l, true)?,
            ItemKind::Fn(f) => self.define_fn(f)?,
            ItemKind::Output { name, value, party } => {
                let p = self.party(party)?;
                if let Some(i) = self.outputs.iter().position(|o| o.name == name.name) {
                    return Err(Diagnostic::error(
                        ErrorKind::DuplicateOutput(name.name.clone()),
                        name.span,
                    )
                    .with_note(self.output_spans[i], "first output here"));
                }
                let tv = match value {
                    Some(v) => self.expr(v, None)?,
                    None => self.var(&name.name, name.span)?,
                };
                let span = value.as_ref().map_or(name.span, |v| v.span);
                let Some((shape, _, _)) = tv.ty.shape() else {
                    return err(ErrorKind::CannotInfer, span);
                };
                let mut nodes = Vec::new();
                flatten(&tv.val, &mut nodes);
                self.outputs.push(MirOutput {
                    name: name.name.clone(),
                    party: p,
                    shape,
                    nodes,
                });
                self.output_spans.push(item.span);
            }
        }
        Ok(())
    }

    fn finish(mut self, prog: &Program) -> R<Elaborated> {
        for bnd in &self.bindings {
            if let BindKind::Input(_) = bnd.kind
                && !bnd.used
            {
                return err(ErrorKind::UnusedInput(bnd.name.clone()), bnd.span);
            }
        }
        for (i, used) in self.party_used.iter().enumerate() {
            if !used {
                return err(
                    ErrorKind::UnusedParty(self.parties[i].clone()),
                    self.party_spans[i],
                );
            }
        }
        if self.outputs.is_empty() {
            let end = prog.items.last().map_or(Span::default(), |i| i.span);
            return err(ErrorKind::NoOutputs, end);
        }
        for bnd in &self.bindings {
            if bnd.warn_unused && !bnd.used {
                let kind = match bnd.kind {
                    BindKind::Fn(_) => ErrorKind::UnusedFunction(bnd.name.clone()),
                    _ => ErrorKind::UnusedLet(bnd.name.clone()),
                };
                self.warnings.push(Diagnostic::warning(kind, bnd.span));
            }
        }
        let mir = Mir {
            parties: self.parties,
            inputs: self.b.inputs,
            nodes: self.b.nodes,
            outputs: self.outputs,
        };
        Ok(Elaborated {
            mir,
            output_spans: self.output_spans,
            warnings: self.warnings,
        })
    }

    fn party(&mut self, name: &Ident) -> R<u32> {
        match self.parties.iter().position(|p| *p == name.name) {
            Some(i) => {
                self.party_used[i] = true;
                Ok(i as u32)
            }
            None => err(ErrorKind::UndefinedParty(name.name.clone()), name.span),
        }
    }

    fn input_val(&mut self, input: u32, ty: &Ty, counter: &mut u32) -> R<Val> {
        match ty {
            Ty::Array(e, n) => {
                let mut v = Vec::with_capacity(*n);
                for _ in 0..*n {
                    v.push(self.input_val(input, e, counter)?);
                }
                Ok(Val::Array(v))
            }
            _ => {
                let id = self.push(Op::Input {
                    input,
                    elem: *counter,
                })?;
                *counter += 1;
                Ok(Val::Node(id))
            }
        }
    }

    fn let_binding(&mut self, l: &'a LetBinding, warn: bool) -> R<()> {
        let ann = match &l.ty {
            Some(t) => Some(self.resolve_type(t, false)?),
            None => None,
        };
        let mut tv = self.expr(&l.value, ann.as_ref())?;
        if let Some(t) = &ann {
            tv = self.coerce(tv, t, l.value.span)?;
        }
        self.define(&l.name, BindKind::Let, Some(tv), warn)
    }

    fn define_fn(&mut self, f: &'a FnDef) -> R<()> {
        let mut params = Vec::new();
        for (_, t) in &f.params {
            params.push(self.resolve_type(t, false)?);
        }
        let ret = self.resolve_type(&f.ret, false)?;
        let idx = self.fns.len();
        self.fns.push(FnInfo {
            def: f,
            params: params.clone(),
            ret,
        });
        // Check the body once against the signature, on abstract arguments.
        let saved_defining = std::mem::replace(&mut self.defining, true);
        let result = self.with_scratch(|this| {
            let mut args = Vec::new();
            for p in &params {
                let val = this.abstract_val(p)?;
                args.push(TV { ty: p.clone(), val });
            }
            this.call_body(idx, args)
        });
        self.defining = saved_defining;
        result?;
        self.define(&f.name, BindKind::Fn(idx), None, true)
    }

    // ------------------------------------------------------------ bindings

    fn define(&mut self, name: &Ident, kind: BindKind, tv: Option<TV>, warn: bool) -> R<()> {
        if BUILTINS.contains(&name.name.as_str()) {
            return err(ErrorKind::DuplicateDefinition(name.name.clone()), name.span);
        }
        let scope = self.scopes.len() - 1;
        if let Some(&prev) = self.scopes[scope].names.get(&name.name) {
            return Err(Diagnostic::error(
                ErrorKind::DuplicateDefinition(name.name.clone()),
                name.span,
            )
            .with_note(self.bindings[prev].span, "first defined here"));
        }
        let warn_unused = warn && (self.scopes.len() == 1 || self.defining);
        self.bindings.push(Binding {
            name: name.name.clone(),
            span: name.span,
            kind,
            tv,
            used: false,
            warn_unused,
        });
        let id = self.bindings.len() - 1;
        self.scopes[scope].names.insert(name.name.clone(), id);
        Ok(())
    }

    fn lookup(&mut self, name: &str, span: Span) -> R<usize> {
        let mut beyond_barrier = false;
        let mut hidden = false;
        for scope in self.scopes.iter().rev() {
            if let Some(&id) = scope.names.get(name) {
                let kind = self.bindings[id].kind;
                if !beyond_barrier || matches!(kind, BindKind::Const | BindKind::Fn(_)) {
                    self.bindings[id].used = true;
                    return Ok(id);
                }
                hidden = true;
            }
            if scope.barrier {
                beyond_barrier = true;
            }
        }
        let d = Diagnostic::error(ErrorKind::UndefinedName(name.to_string()), span);
        Err(if hidden {
            d.with_note(
                span,
                "functions may only use their parameters, consts and other functions",
            )
        } else {
            d
        })
    }

    fn var(&mut self, name: &str, span: Span) -> R<TV> {
        if BUILTINS.contains(&name) || self.all_fn_names.contains(name) {
            // A function name used as a value.
            if let Ok(id) = self.lookup(name, span)
                && let Some(tv) = &self.bindings[id].tv
            {
                return Ok(tv.clone());
            }
            return err(ErrorKind::FunctionAsValue(name.to_string()), span);
        }
        let id = self.lookup(name, span)?;
        // Copying a large array value costs compilation fuel.
        let size = self.bindings[id]
            .tv
            .as_ref()
            .map_or(0, |tv| leaves(&tv.val));
        self.burn_n(size, span)?;
        match &self.bindings[id].tv {
            Some(tv) => Ok(tv.clone()),
            None => err(ErrorKind::FunctionAsValue(name.to_string()), span),
        }
    }

    // --------------------------------------------------------------- types

    fn resolve_type(&mut self, t: &TypeExpr, require_qual: bool) -> R<Ty> {
        match t {
            TypeExpr::TooDeep(s) => err(ErrorKind::TooDeep(MAX_NESTING), *s),
            TypeExpr::Scalar { secrecy, ty, span } => match secrecy {
                Some(s) => Ok(Ty::Scalar(*s, *ty)),
                None if require_qual => err(ErrorKind::MissingQualifier, *span),
                None => Ok(Ty::Scalar(Secrecy::Public, *ty)),
            },
            TypeExpr::Array { elem, len, .. } => {
                let n = match len {
                    LenExpr::Lit(n, _) => i128::from(*n),
                    LenExpr::Name(id) => {
                        let tv = self.var(&id.name, id.span)?;
                        self.const_int(&tv, id.span, "array length", ErrorKind::SecretLength)?
                    }
                };
                let n = self.check_len(n, len.span())?;
                let e = self.resolve_type(elem, require_qual)?;
                Ok(Ty::Array(Box::new(e), n))
            }
        }
    }

    fn check_len(&self, n: i128, span: Span) -> R<usize> {
        if n < 0 || n > self.limits.max_array_len as i128 {
            return err(
                ErrorKind::LimitExceeded {
                    what: "array length",
                    value: u64::try_from(n).unwrap_or(u64::MAX),
                    max: self.limits.max_array_len as u64,
                },
                span,
            );
        }
        Ok(n as usize)
    }

    /// A compile-time integer out of a value (literal, const or constant node).
    fn const_int(
        &self,
        tv: &TV,
        span: Span,
        what: &'static str,
        secret_kind: ErrorKind,
    ) -> R<i128> {
        match (&tv.ty, &tv.val) {
            (Ty::Const, Val::Const(v)) => Ok(*v),
            (Ty::Scalar(s, t), Val::Node(n)) if t.is_int() => match self.b.const_value(*n) {
                Some(v) => Ok(v),
                None if *s == Secrecy::Secret => err(secret_kind, span),
                None => err(ErrorKind::NotConstant(what), span),
            },
            (ty, _) => Err(mismatch(&Ty::Const, ty, span)),
        }
    }

    // ---------------------------------------------------------- MIR plumbing

    fn push(&mut self, op: Op) -> R<NodeId> {
        self.b
            .push(op)
            .map_err(|e| self.build_err(e, self.cur_span))
    }

    fn build_err(&self, e: BuildError, span: Span) -> Diagnostic {
        match e {
            BuildError::DivisionByZero => Diagnostic::error(ErrorKind::DivisionByZero, span),
            BuildError::TooManyNodes(n) => Diagnostic::error(
                ErrorKind::LimitExceeded {
                    what: "MIR operations",
                    value: n as u64,
                    max: self.b.max_nodes as u64,
                },
                span,
            ),
            BuildError::Type(msg) => Diagnostic::error(
                ErrorKind::TypeMismatch {
                    expected: "well-typed operation".into(),
                    found: format!("internal error: {msg}"),
                },
                span,
            ),
        }
    }

    fn with_scratch<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let mut scratch = Builder::new(self.b.max_nodes);
        scratch.inputs = self.b.inputs.clone();
        let saved = std::mem::replace(&mut self.b, scratch);
        let r = f(self);
        self.b = saved;
        r
    }

    /// An opaque value of type `ty` (placeholder inputs; scratch builder only).
    fn abstract_val(&mut self, ty: &Ty) -> R<Val> {
        match ty {
            Ty::Const => Ok(Val::Const(1)),
            Ty::Scalar(s, t) => {
                let idx = self.b.inputs.len() as u32;
                self.b.inputs.push(MirInput {
                    name: format!("_abstract{idx}"),
                    party: 0,
                    secrecy: *s,
                    ty: *t,
                    shape: vec![],
                });
                Ok(Val::Node(self.push(Op::Input {
                    input: idx,
                    elem: 0,
                })?))
            }
            Ty::Array(e, n) => {
                let mut v = Vec::with_capacity(*n);
                for _ in 0..*n {
                    v.push(self.abstract_val(e)?);
                }
                Ok(Val::Array(v))
            }
        }
    }

    /// Convert `tv` to type `target` (literal materialisation, public→secret).
    fn coerce(&mut self, tv: TV, target: &Ty, span: Span) -> R<TV> {
        match (&tv.ty, target) {
            (Ty::Const, Ty::Const) => Ok(tv),
            (Ty::Const, Ty::Scalar(_, t)) => {
                let Val::Const(v) = tv.val else {
                    return Err(mismatch(target, &tv.ty, span));
                };
                if !t.is_int() {
                    return Err(mismatch(target, &tv.ty, span));
                }
                if !t.fits(v) {
                    return err(
                        ErrorKind::LiteralOutOfRange {
                            value: v.to_string(),
                            ty: t.to_string(),
                        },
                        span,
                    );
                }
                let n = self.push(Op::Const { ty: *t, value: v })?;
                Ok(TV {
                    ty: target.clone(),
                    val: Val::Node(n),
                })
            }
            (Ty::Scalar(s1, t1), Ty::Scalar(s2, t2)) if t1 == t2 => {
                if s1 > s2 {
                    return err(ErrorKind::SecretToPublic(t2.to_string()), span);
                }
                Ok(TV {
                    ty: target.clone(),
                    val: tv.val,
                })
            }
            (Ty::Array(_, n), Ty::Array(te, m)) if n == m => {
                let Val::Array(items) = tv.val else {
                    return Err(mismatch(target, &tv.ty, span));
                };
                let Ty::Array(e, _) = tv.ty else {
                    return Err(mismatch(target, &tv.ty, span));
                };
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    out.push(
                        self.coerce(
                            TV {
                                ty: (*e).clone(),
                                val: v,
                            },
                            te,
                            span,
                        )?
                        .val,
                    );
                }
                Ok(TV {
                    ty: target.clone(),
                    val: Val::Array(out),
                })
            }
            _ => Err(mismatch(target, &tv.ty, span)),
        }
    }

    fn burn(&mut self, span: Span) -> R<()> {
        self.burn_n(1, span)
    }

    fn burn_n(&mut self, n: u64, span: Span) -> R<()> {
        if self.fuel < n {
            return err(
                ErrorKind::LimitExceeded {
                    what: "compilation steps",
                    value: (self.limits.max_ops as u64).saturating_mul(16),
                    max: (self.limits.max_ops as u64).saturating_mul(16),
                },
                span,
            );
        }
        self.fuel -= n;
        Ok(())
    }

    // ---------------------------------------------------------- expressions

    fn expr(&mut self, e: &'a Expr, hint: Option<&Ty>) -> R<TV> {
        self.burn(e.span)?;
        // Inlining nests expressions of different functions: bound the
        // total depth, and grow the stack instead of overflowing it.
        if self.depth >= MAX_EVAL_DEPTH {
            return err(ErrorKind::TooDeep(MAX_EVAL_DEPTH), e.span);
        }
        self.depth += 1;
        let saved = std::mem::replace(&mut self.cur_span, e.span);
        let r = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || self.expr_inner(e, hint));
        self.cur_span = saved;
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &'a Expr, hint: Option<&Ty>) -> R<TV> {
        match &e.kind {
            ExprKind::TooDeep => err(ErrorKind::TooDeep(MAX_NESTING), e.span),
            ExprKind::Int(v, None) => Ok(TV {
                ty: Ty::Const,
                val: Val::Const(*v),
            }),
            ExprKind::Int(v, Some(t)) => {
                let tv = TV {
                    ty: Ty::Const,
                    val: Val::Const(*v),
                };
                self.coerce(tv, &Ty::Scalar(Secrecy::Public, *t), e.span)
            }
            ExprKind::Bool(b) => {
                let n = self.push(Op::Const {
                    ty: ScalarType::Bool,
                    value: i128::from(*b),
                })?;
                Ok(TV {
                    ty: Ty::Scalar(Secrecy::Public, ScalarType::Bool),
                    val: Val::Node(n),
                })
            }
            ExprKind::Var(name) => self.var(name, e.span),
            ExprKind::Unary(UnOp::Neg, a) => {
                let x = self.expr(a, hint)?;
                self.neg(x, e.span)
            }
            ExprKind::Unary(UnOp::Not, a) => {
                let x = self.expr(a, None)?;
                let n = self.bool_node(&x, a.span)?;
                let r = self.push(Op::Not(n))?;
                Ok(TV {
                    ty: x.ty,
                    val: Val::Node(r),
                })
            }
            ExprKind::Binary(op, l, r) => {
                let arith_hint = matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                );
                let outer = if arith_hint { hint } else { None };
                let (lv, rv) = self.operand_pair(l, r, outer, |t| match t {
                    Ty::Scalar(..) => Some(t.clone()),
                    _ => None,
                })?;
                self.binary(*op, lv, rv, l.span, r.span, e.span)
            }
            ExprKind::If(c, a, b) => self.if_expr(c, a, b, e.span, hint),
            ExprKind::Call(f, args) => self.call(f, args, e.span, hint),
            ExprKind::Lambda(..) => err(ErrorKind::MisplacedLambda, e.span),
            ExprKind::Array(items) => {
                self.check_len(items.len() as i128, e.span)?;
                let elem_hint = match hint {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                // Without a hint from the context, the first item with a type
                // of its own types the constant ones, wherever it stands.
                let mut checked: Vec<Option<TV>> = items.iter().map(|_| None).collect();
                let mut elem_hint = elem_hint;
                if elem_hint.is_none()
                    && items.iter().any(context_typed)
                    && let Some(k) = items.iter().position(|it| !context_typed(it))
                {
                    let tv = self.expr(&items[k], None)?;
                    elem_hint = sibling_hint(&tv.ty);
                    checked[k] = Some(tv);
                }
                let mut tvs = Vec::with_capacity(items.len());
                for (it, done) in items.iter().zip(checked) {
                    let tv = match done {
                        Some(tv) => tv,
                        None => self.expr(it, elem_hint.as_ref())?,
                    };
                    tvs.push((tv, it.span));
                }
                let mut ty = match tvs.first() {
                    Some((tv, _)) => tv.ty.clone(),
                    None => elem_hint.clone().unwrap_or(Ty::Const),
                };
                for (tv, span) in &tvs {
                    ty = join(&ty, &tv.ty).ok_or_else(|| mismatch(&ty, &tv.ty, *span))?;
                }
                let mut vals = Vec::with_capacity(tvs.len());
                for (tv, span) in tvs {
                    vals.push(self.coerce(tv, &ty, span)?.val);
                }
                Ok(TV {
                    ty: Ty::Array(Box::new(ty), vals.len()),
                    val: Val::Array(vals),
                })
            }
            ExprKind::Index(a, i) => {
                let av = self.expr(a, None)?;
                let iv = self.expr(i, None)?;
                let idx = self.const_int(&iv, i.span, "array index", ErrorKind::SecretIndex)?;
                let (Ty::Array(ety, n), Val::Array(items)) = (&av.ty, &av.val) else {
                    return err(
                        ErrorKind::InvalidOperand {
                            op: "indexing".into(),
                            ty: av.ty.to_string(),
                        },
                        a.span,
                    );
                };
                if idx < 0 || idx >= *n as i128 {
                    return err(
                        ErrorKind::IndexOutOfBounds {
                            index: i64::try_from(idx).unwrap_or(if idx < 0 {
                                i64::MIN
                            } else {
                                i64::MAX
                            }),
                            len: *n,
                        },
                        i.span,
                    );
                }
                Ok(TV {
                    ty: (**ety).clone(),
                    val: items[idx as usize].clone(),
                })
            }
            ExprKind::Cast(a, t) => {
                let x = self.expr(a, None)?;
                self.cast(x, *t, e.span)
            }
        }
    }

    /// Check two operands whose integer constants take each other's type:
    /// the one with a type of its own first, then the other with that type
    /// as its hint (`give` says which types pass on), so the result does
    /// not depend on which side the constant is on. Without such a type,
    /// both get the context's hint.
    fn operand_pair(
        &mut self,
        l: &'a Expr,
        r: &'a Expr,
        hint: Option<&Ty>,
        give: fn(&Ty) -> Option<Ty>,
    ) -> R<(TV, TV)> {
        if context_typed(l) && !context_typed(r) {
            let rv = self.expr(r, hint)?;
            let lhint = give(&rv.ty).or_else(|| hint.cloned());
            let lv = self.expr(l, lhint.as_ref())?;
            Ok((lv, rv))
        } else {
            let lv = self.expr(l, hint)?;
            let rhint = give(&lv.ty).or_else(|| hint.cloned());
            let rv = self.expr(r, rhint.as_ref())?;
            Ok((lv, rv))
        }
    }

    fn bool_node(&mut self, x: &TV, span: Span) -> R<NodeId> {
        match (&x.ty, &x.val) {
            (Ty::Scalar(_, ScalarType::Bool), Val::Node(n)) => Ok(*n),
            (ty, _) => Err(mismatch(
                &Ty::Scalar(Secrecy::Public, ScalarType::Bool),
                ty,
                span,
            )),
        }
    }

    fn neg(&mut self, x: TV, span: Span) -> R<TV> {
        match (&x.ty, &x.val) {
            (Ty::Const, Val::Const(v)) => Ok(TV {
                ty: Ty::Const,
                val: Val::Const(
                    v.checked_neg()
                        .ok_or_else(|| Diagnostic::error(ErrorKind::ConstOverflow, span))?,
                ),
            }),
            (Ty::Scalar(_, t), Val::Node(n)) if t.is_int() => {
                let r = self.push(Op::Neg(*n))?;
                Ok(TV {
                    ty: x.ty,
                    val: Val::Node(r),
                })
            }
            (ty, _) => err(
                ErrorKind::InvalidOperand {
                    op: "negation".into(),
                    ty: ty.to_string(),
                },
                span,
            ),
        }
    }

    fn cast(&mut self, x: TV, t: ScalarType, span: Span) -> R<TV> {
        if !t.is_int() {
            return err(
                ErrorKind::InvalidOperand {
                    op: "cast to bool (use `!= 0`)".into(),
                    ty: x.ty.to_string(),
                },
                span,
            );
        }
        match (&x.ty, &x.val) {
            (Ty::Const, Val::Const(v)) => {
                let n = self.push(Op::Const {
                    ty: t,
                    value: t.wrap(*v),
                })?;
                Ok(TV {
                    ty: Ty::Scalar(Secrecy::Public, t),
                    val: Val::Node(n),
                })
            }
            (Ty::Scalar(s, _), Val::Node(n)) => {
                let r = self.push(Op::Cast(t, *n))?;
                Ok(TV {
                    ty: Ty::Scalar(*s, t),
                    val: Val::Node(r),
                })
            }
            (ty, _) => err(
                ErrorKind::InvalidOperand {
                    op: "cast".into(),
                    ty: ty.to_string(),
                },
                span,
            ),
        }
    }

    /// Bring two scalar operands to a common type; returns (a, b, secrecy, type).
    fn scalar_pair(
        &mut self,
        op: BinOp,
        l: TV,
        r: TV,
        lspan: Span,
        rspan: Span,
    ) -> R<(NodeId, NodeId, Secrecy, ScalarType)> {
        let invalid = |ty: &Ty, span: Span| {
            Diagnostic::error(
                ErrorKind::InvalidOperand {
                    op: format!("`{}`", op.symbol()),
                    ty: ty.to_string(),
                },
                span,
            )
        };
        let (l, r) = match (&l.ty, &r.ty) {
            (Ty::Const, Ty::Scalar(_, t)) => {
                let target = Ty::Scalar(Secrecy::Public, *t);
                (self.coerce(l, &target, lspan)?, r)
            }
            (Ty::Scalar(_, t), Ty::Const) => {
                let target = Ty::Scalar(Secrecy::Public, *t);
                let r = self.coerce(r, &target, rspan)?;
                (l, r)
            }
            _ => (l, r),
        };
        match (&l.ty, &l.val, &r.ty, &r.val) {
            (Ty::Scalar(s1, t1), Val::Node(a), Ty::Scalar(s2, t2), Val::Node(b)) => {
                if t1 != t2 {
                    return Err(mismatch(&l.ty, &r.ty, rspan));
                }
                Ok((*a, *b, s1.join(*s2), *t1))
            }
            (Ty::Scalar(..), _, ty, _) => Err(invalid(ty, rspan)),
            (ty, ..) => Err(invalid(ty, lspan)),
        }
    }

    fn binary(&mut self, op: BinOp, l: TV, r: TV, lspan: Span, rspan: Span, span: Span) -> R<TV> {
        use BinOp::*;
        // Compile-time integer arithmetic.
        if let (Val::Const(a), Val::Const(b)) = (&l.val, &r.val) {
            let (a, b) = (*a, *b);
            let overflow = || Diagnostic::error(ErrorKind::ConstOverflow, span);
            let v = match op {
                Add => a.checked_add(b).ok_or_else(overflow)?,
                Sub => a.checked_sub(b).ok_or_else(overflow)?,
                Mul => a.checked_mul(b).ok_or_else(overflow)?,
                Div | Rem => {
                    if b == 0 {
                        return err(ErrorKind::DivisionByZero, rspan);
                    }
                    let q = if op == Div {
                        a.checked_div(b)
                    } else {
                        a.checked_rem(b)
                    };
                    q.ok_or_else(overflow)?
                }
                Lt | Le | Gt | Ge | Eq | Ne => {
                    let c = match op {
                        Lt => a < b,
                        Le => a <= b,
                        Gt => a > b,
                        Ge => a >= b,
                        Eq => a == b,
                        _ => a != b,
                    };
                    let n = self.push(Op::Const {
                        ty: ScalarType::Bool,
                        value: i128::from(c),
                    })?;
                    return Ok(TV {
                        ty: Ty::Scalar(Secrecy::Public, ScalarType::Bool),
                        val: Val::Node(n),
                    });
                }
                And | Or => {
                    return err(
                        ErrorKind::InvalidOperand {
                            op: format!("`{}`", op.symbol()),
                            ty: Ty::Const.to_string(),
                        },
                        lspan,
                    );
                }
            };
            return Ok(TV {
                ty: Ty::Const,
                val: Val::Const(v),
            });
        }
        // Divisor rules are checked on the checker's labels.
        if matches!(op, Div | Rem)
            && let Ty::Scalar(Secrecy::Secret, _) = r.ty
        {
            return err(ErrorKind::SecretDivisor, rspan);
        }
        let (a, b, s, t) = self.scalar_pair(op, l, r, lspan, rspan)?;
        let is_bool = t == ScalarType::Bool;
        let need_int = |this: &Self| -> R<()> {
            let _ = this;
            if is_bool {
                return err(
                    ErrorKind::InvalidOperand {
                        op: format!("`{}`", op.symbol()),
                        ty: "bool".into(),
                    },
                    span,
                );
            }
            Ok(())
        };
        let res_ty =
            |bool_result: bool| Ty::Scalar(s, if bool_result { ScalarType::Bool } else { t });
        let (node, ty) = match op {
            Add | Sub | Mul | Div | Rem => {
                need_int(self)?;
                if matches!(op, Div | Rem) && self.b.const_value(b) == Some(0) {
                    return err(ErrorKind::DivisionByZero, rspan);
                }
                let o = match op {
                    Add => Op::Add(a, b),
                    Sub => Op::Sub(a, b),
                    Mul => Op::Mul(a, b),
                    Div => Op::Div(a, b),
                    _ => Op::Rem(a, b),
                };
                (self.push(o)?, res_ty(false))
            }
            Lt | Gt | Le | Ge => {
                need_int(self)?;
                let n = match op {
                    Lt => self.push(Op::Lt(a, b))?,
                    Gt => self.push(Op::Lt(b, a))?,
                    Le => {
                        let x = self.push(Op::Lt(b, a))?;
                        self.push(Op::Not(x))?
                    }
                    _ => {
                        let x = self.push(Op::Lt(a, b))?;
                        self.push(Op::Not(x))?
                    }
                };
                (n, res_ty(true))
            }
            Eq => (self.push(Op::Eq(a, b))?, res_ty(true)),
            Ne => {
                let x = self.push(Op::Eq(a, b))?;
                (self.push(Op::Not(x))?, res_ty(true))
            }
            And | Or => {
                if !is_bool {
                    return err(
                        ErrorKind::InvalidOperand {
                            op: format!("`{}`", op.symbol()),
                            ty: t.to_string(),
                        },
                        span,
                    );
                }
                let o = if op == And {
                    Op::And(a, b)
                } else {
                    Op::Or(a, b)
                };
                (self.push(o)?, res_ty(true))
            }
        };
        Ok(TV {
            ty,
            val: Val::Node(node),
        })
    }

    fn if_expr(
        &mut self,
        c: &'a Expr,
        a: &'a Expr,
        b: &'a Expr,
        span: Span,
        hint: Option<&Ty>,
    ) -> R<TV> {
        let cv = self.expr(c, None)?;
        let cn = self.bool_node(&cv, c.span)?;
        let secret = matches!(cv.ty, Ty::Scalar(Secrecy::Secret, _));
        if secret {
            self.secret_ctx.push(c.span);
        }
        let branches = self.operand_pair(a, b, hint, sibling_hint);
        if secret {
            self.secret_ctx.pop();
        }
        let (x, y) = branches?;
        let mut ty = join(&x.ty, &y.ty).ok_or_else(|| {
            mismatch(&x.ty, &y.ty, b.span).with_note(a.span, "the `then` branch has this type")
        })?;
        if ty.contains_const() {
            if let Some(v) = self.b.const_value(cn) {
                return Ok(if v != 0 { x } else { y });
            }
            if x.val == y.val {
                return Ok(x);
            }
            match hint.and_then(|h| join(h, &ty)) {
                Some(h) if !h.contains_const() => ty = h,
                _ => return err(ErrorKind::CannotInfer, span),
            }
        }
        let ty = ty.raise(if secret {
            Secrecy::Secret
        } else {
            Secrecy::Public
        });
        let x = self.coerce(x, &ty, a.span)?;
        let y = self.coerce(y, &ty, b.span)?;
        let val = self.select(cn, &x.val, &y.val)?;
        Ok(TV { ty, val })
    }

    fn select(&mut self, c: NodeId, x: &Val, y: &Val) -> R<Val> {
        match (x, y) {
            (Val::Node(p), Val::Node(q)) => Ok(Val::Node(self.push(Op::Select(c, *p, *q))?)),
            (Val::Array(p), Val::Array(q)) => {
                let mut out = Vec::with_capacity(p.len());
                for (u, v) in p.iter().zip(q) {
                    out.push(self.select(c, u, v)?);
                }
                Ok(Val::Array(out))
            }
            (Val::Const(p), Val::Const(q)) if p == q => Ok(Val::Const(*p)),
            _ => err(ErrorKind::CannotInfer, self.cur_span),
        }
    }

    // ---------------------------------------------------------------- calls

    fn call(&mut self, f: &'a Ident, args: &'a [Expr], span: Span, hint: Option<&Ty>) -> R<TV> {
        let name = f.name.as_str();
        let arity = |expected: &str| {
            Diagnostic::error(
                ErrorKind::Arity {
                    name: name.to_string(),
                    expected: expected.to_string(),
                    found: args.len(),
                },
                span,
            )
        };
        match name {
            "len" | "sum" | "reveal" => {
                let [a] = args else { return Err(arity("1")) };
                let x = self.expr(a, if name == "reveal" { hint } else { None })?;
                match name {
                    "len" => match x.ty {
                        Ty::Array(_, n) => Ok(TV {
                            ty: Ty::Const,
                            val: Val::Const(n as i128),
                        }),
                        ty => Err(mismatch(&Ty::Array(Box::new(Ty::Const), 0), &ty, a.span)),
                    },
                    "sum" => self.sum(x, a.span, span),
                    _ => self.reveal(x, span),
                }
            }
            "min" | "max" => {
                let [a, b] = args else { return Err(arity("2")) };
                let (x, y) = self.operand_pair(a, b, hint, |t| match t {
                    Ty::Scalar(..) => Some(t.clone()),
                    _ => None,
                })?;
                self.min_max(name == "min", x, y, a.span, b.span, span)
            }
            "dot" => {
                let [a, b] = args else { return Err(arity("2")) };
                let x = self.expr(a, None)?;
                let y = self.expr(b, None)?;
                let (Val::Array(xs), Val::Array(ys), Ty::Array(xt, n), Ty::Array(yt, m)) =
                    (&x.val, &y.val, &x.ty, &y.ty)
                else {
                    let bad = if matches!(x.ty, Ty::Array(..)) {
                        (&y.ty, b.span)
                    } else {
                        (&x.ty, a.span)
                    };
                    return err(
                        ErrorKind::InvalidOperand {
                            op: "dot".into(),
                            ty: bad.0.to_string(),
                        },
                        bad.1,
                    );
                };
                if n != m {
                    return err(ErrorKind::LengthMismatch(*n, *m), span);
                }
                let mut prods = Vec::with_capacity(*n);
                for (p, q) in xs.iter().zip(ys) {
                    let l = TV {
                        ty: (**xt).clone(),
                        val: p.clone(),
                    };
                    let r = TV {
                        ty: (**yt).clone(),
                        val: q.clone(),
                    };
                    prods.push(self.binary(BinOp::Mul, l, r, a.span, b.span, span)?);
                }
                let ety = prods.first().map_or((**xt).clone(), |p| p.ty.clone());
                let arr = TV {
                    ty: Ty::Array(Box::new(ety), prods.len()),
                    val: Val::Array(prods.into_iter().map(|p| p.val).collect()),
                };
                self.sum(arr, a.span, span)
            }
            "map" => {
                let [a, f] = args else { return Err(arity("2")) };
                let x = self.expr(a, None)?;
                let callable = self.callable(f, &[1, 2])?;
                let k = callable_arity_with(&callable, &self.fns);
                let (ety, items) = self.array_parts(&x, a.span, "map")?;
                if items.is_empty() {
                    let rty = self.with_scratch(|this| {
                        let v = this.abstract_val(&ety)?;
                        let mut args = vec![TV {
                            ty: ety.clone(),
                            val: v,
                        }];
                        if k == 2 {
                            args.push(TV {
                                ty: Ty::Const,
                                val: Val::Const(0),
                            });
                        }
                        Ok(this.apply(&callable, args)?.ty)
                    })?;
                    return Ok(TV {
                        ty: Ty::Array(Box::new(rty), 0),
                        val: Val::Array(vec![]),
                    });
                }
                let mut outs = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    let mut args = vec![TV {
                        ty: ety.clone(),
                        val: v,
                    }];
                    if k == 2 {
                        args.push(TV {
                            ty: Ty::Const,
                            val: Val::Const(i as i128),
                        });
                    }
                    outs.push(self.apply(&callable, args)?);
                }
                self.collect_array(outs, f.span)
            }
            "fold" | "reduce" => {
                let (a, init, f) = match (name, args) {
                    ("fold", [a, init, f]) => (a, Some(init), f),
                    ("reduce", [a, f]) => (a, None, f),
                    ("fold", _) => return Err(arity("3")),
                    _ => return Err(arity("2")),
                };
                let x = self.expr(a, None)?;
                let callable = self.callable(f, &[2, 3])?;
                let k = callable_arity_with(&callable, &self.fns);
                let (ety, items) = self.array_parts(&x, a.span, name)?;
                let mut iter = items.into_iter().enumerate();
                let mut acc = match init {
                    Some(init) => self.expr(init, hint)?,
                    None => match iter.next() {
                        Some((_, v)) => TV {
                            ty: ety.clone(),
                            val: v,
                        },
                        None => return err(ErrorKind::EmptyReduce, span),
                    },
                };
                let mut acc_ty = acc.ty.clone();
                let mut any = false;
                for (i, v) in iter {
                    any = true;
                    let mut args = vec![
                        acc,
                        TV {
                            ty: ety.clone(),
                            val: v,
                        },
                    ];
                    if k == 3 {
                        args.push(TV {
                            ty: Ty::Const,
                            val: Val::Const(i as i128),
                        });
                    }
                    let res = self.apply(&callable, args)?;
                    acc_ty =
                        join(&acc_ty, &res.ty).ok_or_else(|| mismatch(&acc_ty, &res.ty, f.span))?;
                    acc = res;
                }
                if !any && init.is_some() {
                    // Empty array: still check the function on abstract values.
                    let init_tv = acc.clone();
                    self.with_scratch(|this| {
                        let v = this.abstract_val(&ety)?;
                        let mut args = vec![
                            init_tv,
                            TV {
                                ty: ety.clone(),
                                val: v,
                            },
                        ];
                        if k == 3 {
                            args.push(TV {
                                ty: Ty::Const,
                                val: Val::Const(0),
                            });
                        }
                        this.apply(&callable, args).map(|_| ())
                    })?;
                }
                if acc_ty.contains_const() && !acc.ty.contains_const() {
                    acc_ty = acc.ty.clone();
                }
                self.coerce(acc, &acc_ty, span)
            }
            _ => self.call_user(f, args, span),
        }
    }

    fn array_parts(&self, x: &TV, span: Span, what: &str) -> R<(Ty, Vec<Val>)> {
        match (&x.ty, &x.val) {
            (Ty::Array(e, _), Val::Array(items)) => Ok(((**e).clone(), items.clone())),
            (ty, _) => err(
                ErrorKind::InvalidOperand {
                    op: what.to_string(),
                    ty: ty.to_string(),
                },
                span,
            ),
        }
    }

    fn collect_array(&mut self, items: Vec<TV>, span: Span) -> R<TV> {
        let mut ty = match items.first() {
            Some(t) => t.ty.clone(),
            None => Ty::Const,
        };
        for it in &items {
            ty = join(&ty, &it.ty).ok_or_else(|| mismatch(&ty, &it.ty, span))?;
        }
        let mut vals = Vec::with_capacity(items.len());
        for it in items {
            vals.push(self.coerce(it, &ty, span)?.val);
        }
        Ok(TV {
            ty: Ty::Array(Box::new(ty), vals.len()),
            val: Val::Array(vals),
        })
    }

    fn sum(&mut self, x: TV, aspan: Span, span: Span) -> R<TV> {
        let (ety, items) = self.array_parts(&x, aspan, "sum")?;
        match &ety {
            Ty::Const => {}
            Ty::Scalar(_, t) if t.is_int() => {}
            other => {
                return err(
                    ErrorKind::InvalidOperand {
                        op: "sum".into(),
                        ty: other.to_string(),
                    },
                    aspan,
                );
            }
        }
        let mut iter = items.into_iter();
        let Some(first) = iter.next() else {
            return match ety {
                Ty::Scalar(s, t) => {
                    let n = self.push(Op::Const { ty: t, value: 0 })?;
                    Ok(TV {
                        ty: Ty::Scalar(s, t),
                        val: Val::Node(n),
                    })
                }
                _ => Ok(TV {
                    ty: Ty::Const,
                    val: Val::Const(0),
                }),
            };
        };
        let mut acc = TV {
            ty: ety.clone(),
            val: first,
        };
        for v in iter {
            let r = TV {
                ty: ety.clone(),
                val: v,
            };
            acc = self.binary(BinOp::Add, acc, r, aspan, aspan, span)?;
        }
        Ok(acc)
    }

    fn min_max(&mut self, min: bool, x: TV, y: TV, xs: Span, ys: Span, span: Span) -> R<TV> {
        let c = self.binary(BinOp::Lt, x.clone(), y.clone(), xs, ys, span)?;
        if let (Val::Const(a), Val::Const(b)) = (&x.val, &y.val) {
            let v = if min { (*a).min(*b) } else { (*a).max(*b) };
            return Ok(TV {
                ty: Ty::Const,
                val: Val::Const(v),
            });
        }
        let cn = self.bool_node(&c, span)?;
        let Ty::Scalar(s, _) = c.ty else {
            return err(ErrorKind::CannotInfer, span);
        };
        let ty = join(&x.ty, &y.ty)
            .ok_or_else(|| mismatch(&x.ty, &y.ty, ys))?
            .raise(s);
        let x = self.coerce(x, &ty, xs)?;
        let y = self.coerce(y, &ty, ys)?;
        let (p, q) = if min {
            (&x.val, &y.val)
        } else {
            (&y.val, &x.val)
        };
        let val = self.select(cn, p, q)?;
        Ok(TV { ty, val })
    }

    fn reveal(&mut self, x: TV, span: Span) -> R<TV> {
        if let Some(cond) = self.secret_ctx.last() {
            return Err(Diagnostic::error(ErrorKind::SecretControlFlow, span)
                .with_note(*cond, "this condition is secret"));
        }
        let ty = public(&x.ty);
        let val = self.reveal_val(&x.val)?;
        Ok(TV { ty, val })
    }

    fn reveal_val(&mut self, v: &Val) -> R<Val> {
        Ok(match v {
            Val::Const(c) => Val::Const(*c),
            Val::Node(n) => Val::Node(self.push(Op::Reveal(*n))?),
            Val::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(self.reveal_val(it)?);
                }
                Val::Array(out)
            }
        })
    }

    fn callable(&mut self, f: &'a Expr, arities: &[usize]) -> R<Callable<'a>> {
        let allowed = arities
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(" or ");
        let c = match &f.kind {
            ExprKind::Lambda(params, body) => Callable::Lambda(params, body),
            ExprKind::Var(name) if name == "min" || name == "max" => {
                Callable::MinMax(name == "min", f.span)
            }
            ExprKind::Var(name) => {
                if !self.all_fn_names.contains(name.as_str()) {
                    return err(ErrorKind::UndefinedFunction(name.clone()), f.span);
                }
                let id = self.lookup(name, f.span).map_err(|_| {
                    Diagnostic::error(ErrorKind::RecursiveCall(name.clone()), f.span)
                })?;
                match self.bindings[id].kind {
                    BindKind::Fn(idx) => Callable::Fn(idx, f.span),
                    _ => return err(ErrorKind::UndefinedFunction(name.clone()), f.span),
                }
            }
            _ => return err(ErrorKind::UndefinedFunction("<expression>".into()), f.span),
        };
        let n = callable_arity_with(&c, &self.fns);
        if !arities.contains(&n) {
            return err(
                ErrorKind::Arity {
                    name: match &c {
                        Callable::Lambda(..) => "lambda".into(),
                        Callable::MinMax(min, _) => if *min { "min" } else { "max" }.into(),
                        Callable::Fn(i, _) => self.fns[*i].def.name.name.clone(),
                    },
                    expected: allowed,
                    found: n,
                },
                f.span,
            );
        }
        Ok(c)
    }

    fn apply(&mut self, c: &Callable<'a>, args: Vec<TV>) -> R<TV> {
        match c {
            Callable::Lambda(params, body) => {
                self.scopes.push(Scope::default());
                let r = (|| {
                    for (p, a) in params.iter().zip(args) {
                        self.define(p, BindKind::Param, Some(a), false)?;
                    }
                    self.expr(body, None)
                })();
                self.scopes.pop();
                r
            }
            Callable::MinMax(min, span) => {
                let mut it = args.into_iter();
                match (it.next(), it.next()) {
                    (Some(x), Some(y)) => self.min_max(*min, x, y, *span, *span, *span),
                    _ => err(ErrorKind::CannotInfer, *span),
                }
            }
            Callable::Fn(idx, span) => {
                let params = self.fns[*idx].params.clone();
                let mut coerced = Vec::with_capacity(args.len());
                for (a, p) in args.into_iter().zip(&params) {
                    coerced.push(self.coerce(a, p, *span)?);
                }
                self.call_body(*idx, coerced)
            }
        }
    }

    fn call_user(&mut self, f: &'a Ident, args: &'a [Expr], span: Span) -> R<TV> {
        let id = match self.lookup(&f.name, f.span) {
            Ok(id) => id,
            Err(_) if self.all_fn_names.contains(f.name.as_str()) => {
                return err(ErrorKind::RecursiveCall(f.name.clone()), f.span);
            }
            Err(_) => return err(ErrorKind::UndefinedFunction(f.name.clone()), f.span),
        };
        let BindKind::Fn(idx) = self.bindings[id].kind else {
            return err(ErrorKind::UndefinedFunction(f.name.clone()), f.span);
        };
        let params = self.fns[idx].params.clone();
        if params.len() != args.len() {
            return err(
                ErrorKind::Arity {
                    name: f.name.clone(),
                    expected: params.len().to_string(),
                    found: args.len(),
                },
                span,
            );
        }
        let mut tvs = Vec::with_capacity(args.len());
        for (a, p) in args.iter().zip(&params) {
            let tv = self.expr(a, Some(p))?;
            tvs.push(self.coerce(tv, p, a.span)?);
        }
        self.call_body(idx, tvs)
    }

    /// Elaborate a function body with already-coerced arguments.
    fn call_body(&mut self, idx: usize, args: Vec<TV>) -> R<TV> {
        let def = self.fns[idx].def;
        let ret = self.fns[idx].ret.clone();
        let locals = self.scopes.split_off(1);
        self.scopes.push(Scope {
            names: HashMap::new(),
            barrier: true,
        });
        let r = (|| {
            for ((p, _), a) in def.params.iter().zip(args) {
                self.define(p, BindKind::Param, Some(a), false)?;
            }
            for l in &def.lets {
                self.let_binding(l, true)?;
            }
            let body = self.expr(&def.body, Some(&ret))?;
            self.coerce(body, &ret, def.body.span)
        })();
        self.scopes.truncate(1);
        self.scopes.extend(locals);
        r
    }
}

fn callable_arity_with(c: &Callable<'_>, fns: &[FnInfo<'_>]) -> usize {
    match c {
        Callable::Lambda(p, _) => p.len(),
        Callable::MinMax(..) => 2,
        Callable::Fn(i, _) => fns[*i].params.len(),
    }
}

fn only_consts(t: &Ty) -> bool {
    match t {
        Ty::Const => true,
        Ty::Scalar(..) => false,
        Ty::Array(e, _) => only_consts(e),
    }
}

fn public(t: &Ty) -> Ty {
    match t {
        Ty::Const => Ty::Const,
        Ty::Scalar(_, s) => Ty::Scalar(Secrecy::Public, *s),
        Ty::Array(e, n) => Ty::Array(Box::new(public(e)), *n),
    }
}

fn leaves(v: &Val) -> u64 {
    match v {
        Val::Const(_) | Val::Node(_) => 1,
        Val::Array(items) => items.iter().map(leaves).sum(),
    }
}

fn flatten(v: &Val, out: &mut Vec<NodeId>) {
    match v {
        Val::Node(n) => out.push(*n),
        Val::Array(items) => {
            for it in items {
                flatten(it, out);
            }
        }
        Val::Const(_) => {}
    }
}
