//! Abstract syntax tree produced by the parser.

use crate::diag::Span;
use crate::types::{ScalarType, Secrecy};

/// Maximum nesting depth of expressions (and of array types). Deeper
/// constructs are replaced by an error node so that no later pass (nor
/// `Drop`) recurses without bound.
pub const MAX_NESTING: u32 = 128;

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it appears.
    pub span: Span,
}

/// A whole program: items in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Top-level items.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Whole item, keyword to `;` / `}`.
    pub span: Span,
}

/// The kinds of top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `party NAME;`
    Party(Ident),
    /// `const NAME = EXPR;` (compile-time integer)
    Const(Ident, Expr),
    /// `input NAME: TYPE from PARTY;`
    Input {
        /// Input name.
        name: Ident,
        /// Declared type (qualifier required).
        ty: TypeExpr,
        /// Owning party.
        party: Ident,
    },
    /// `let NAME (: TYPE)? = EXPR;`
    Let(LetBinding),
    /// `fn NAME(PARAMS) -> TYPE { BLOCK }`
    Fn(FnDef),
    /// `output NAME (= EXPR)? to PARTY;`
    Output {
        /// Output name.
        name: Ident,
        /// Value; `None` means the binding called `name`.
        value: Option<Expr>,
        /// Receiving party.
        party: Ident,
    },
}

/// A `let` binding (top level or inside a function body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetBinding {
    /// Bound name.
    pub name: Ident,
    /// Optional annotation.
    pub ty: Option<TypeExpr>,
    /// Value.
    pub value: Expr,
}

/// A function definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnDef {
    /// Name.
    pub name: Ident,
    /// Parameters with their declared types.
    pub params: Vec<(Ident, TypeExpr)>,
    /// Declared result type.
    pub ret: TypeExpr,
    /// Local bindings, evaluated in order.
    pub lets: Vec<LetBinding>,
    /// Result expression.
    pub body: Expr,
}

/// Array length in a type: a literal or a `const` name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LenExpr {
    /// Literal length.
    Lit(u64, Span),
    /// Name of a `const` (or, erroneously, of something else).
    Name(Ident),
}

impl LenExpr {
    /// Span of the length expression.
    pub fn span(&self) -> Span {
        match self {
            LenExpr::Lit(_, s) => *s,
            LenExpr::Name(i) => i.span,
        }
    }
}

/// A type as written in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// `[secret|public] SCALAR`
    Scalar {
        /// Qualifier if written.
        secrecy: Option<Secrecy>,
        /// The scalar type.
        ty: ScalarType,
        /// Span.
        span: Span,
    },
    /// `[ELEM; LEN]`
    Array {
        /// Element type.
        elem: Box<TypeExpr>,
        /// Length.
        len: LenExpr,
        /// Span.
        span: Span,
    },
    /// Nested deeper than [`MAX_NESTING`].
    TooDeep(Span),
}

impl TypeExpr {
    /// Span of the whole type.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Scalar { span, .. } | TypeExpr::Array { span, .. } => *span,
            TypeExpr::TooDeep(s) => *s,
        }
    }

    /// Nesting depth.
    pub fn depth(&self) -> u32 {
        let mut d = 1;
        let mut t = self;
        while let TypeExpr::Array { elem, .. } = t {
            d += 1;
            t = elem;
        }
        d
    }

    /// Build an array type, collapsing to [`TypeExpr::TooDeep`] past the limit.
    pub fn array(elem: TypeExpr, len: LenExpr, span: Span) -> TypeExpr {
        if elem.depth() >= MAX_NESTING {
            TypeExpr::TooDeep(span)
        } else {
            TypeExpr::Array {
                elem: Box::new(elem),
                len,
                span,
            }
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// Arithmetic negation `-`.
    Neg,
    /// Boolean `not`.
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinOp {
    /// Source symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// Precedence level (higher binds tighter).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Source span.
    pub span: Span,
    depth: u32,
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// Integer literal with optional type suffix (`5`, `5u8`).
    Int(i128, Option<ScalarType>),
    /// `true` / `false`.
    Bool(bool),
    /// A name.
    Var(String),
    /// Unary operation.
    Unary(UnOp, Box<Expr>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Call of a function or builtin.
    Call(Ident, Vec<Expr>),
    /// `|a, b| body` (only as an argument of map/fold/reduce).
    Lambda(Vec<Ident>, Box<Expr>),
    /// `[a, b, c]`.
    Array(Vec<Expr>),
    /// `a[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `e as T`.
    Cast(Box<Expr>, ScalarType),
    /// Placeholder for a sub-tree nested deeper than [`MAX_NESTING`].
    TooDeep,
}

impl Expr {
    /// Build an expression, computing its depth; collapses to
    /// [`ExprKind::TooDeep`] past [`MAX_NESTING`].
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let child_depth = match &kind {
            ExprKind::Int(..) | ExprKind::Bool(_) | ExprKind::Var(_) | ExprKind::TooDeep => 0,
            ExprKind::Unary(_, a) | ExprKind::Cast(a, _) | ExprKind::Lambda(_, a) => a.depth,
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => a.depth.max(b.depth),
            ExprKind::If(a, b, c) => a.depth.max(b.depth).max(c.depth),
            ExprKind::Call(_, args) | ExprKind::Array(args) => {
                args.iter().map(|a| a.depth).max().unwrap_or(0)
            }
        };
        let depth = child_depth + 1;
        if depth > MAX_NESTING {
            Expr {
                kind: ExprKind::TooDeep,
                span,
                depth: 1,
            }
        } else {
            Expr { kind, span, depth }
        }
    }

    /// Nesting depth (1 for a leaf).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Visit every sub-expression (pre-order), including `self`.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Int(..) | ExprKind::Bool(_) | ExprKind::Var(_) | ExprKind::TooDeep => {}
            ExprKind::Unary(_, a) | ExprKind::Cast(a, _) | ExprKind::Lambda(_, a) => a.walk(f),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::If(a, b, c) => {
                a.walk(f);
                b.walk(f);
                c.walk(f);
            }
            ExprKind::Call(_, args) | ExprKind::Array(args) => {
                for a in args {
                    a.walk(f);
                }
            }
        }
    }
}
