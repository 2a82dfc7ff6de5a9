//! Pretty-printer: AST → source text that parses back to the same AST
//! (modulo spans), with minimal parentheses.

use std::fmt::Write as _;

use crate::ast::*;

/// Print a whole program, one item per line.
pub fn program(p: &Program) -> String {
    let mut s = String::new();
    for it in &p.items {
        item(&mut s, it);
        s.push('\n');
    }
    s
}

fn item(s: &mut String, it: &Item) {
    match &it.kind {
        ItemKind::Party(n) => {
            let _ = write!(s, "party {};", n.name);
        }
        ItemKind::Const(n, e) => {
            let _ = write!(s, "const {} = {};", n.name, expr(e));
        }
        ItemKind::Input { name, ty, party } => {
            let _ = write!(
                s,
                "input {}: {} from {};",
                name.name,
                type_expr(ty),
                party.name
            );
        }
        ItemKind::Let(l) => let_binding(s, l),
        ItemKind::Fn(f) => {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|(n, t)| format!("{}: {}", n.name, type_expr(t)))
                .collect();
            let _ = write!(
                s,
                "fn {}({}) -> {} {{",
                f.name.name,
                params.join(", "),
                type_expr(&f.ret)
            );
            for l in &f.lets {
                s.push_str("\n    ");
                let_binding(s, l);
            }
            let _ = write!(s, "\n    {}\n}}", expr(&f.body));
        }
        ItemKind::Output { name, value, party } => match value {
            Some(v) => {
                let _ = write!(s, "output {} = {} to {};", name.name, expr(v), party.name);
            }
            None => {
                let _ = write!(s, "output {} to {};", name.name, party.name);
            }
        },
    }
}

fn let_binding(s: &mut String, l: &LetBinding) {
    match &l.ty {
        Some(t) => {
            let _ = write!(
                s,
                "let {}: {} = {};",
                l.name.name,
                type_expr(t),
                expr(&l.value)
            );
        }
        None => {
            let _ = write!(s, "let {} = {};", l.name.name, expr(&l.value));
        }
    }
}

/// Print a type.
pub fn type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Scalar { secrecy, ty, .. } => match secrecy {
            Some(q) => format!("{q} {ty}"),
            None => ty.to_string(),
        },
        TypeExpr::Array { elem, len, .. } => {
            let len = match len {
                LenExpr::Lit(n, _) => n.to_string(),
                LenExpr::Name(i) => i.name.clone(),
            };
            format!("[{}; {len}]", type_expr(elem))
        }
        TypeExpr::TooDeep(_) => "<too deep>".into(),
    }
}

const P_LOWEST: u8 = 0;
const P_NOT: u8 = 3;
const P_UNARY: u8 = 7;
const P_POSTFIX: u8 = 8;
const P_ATOM: u8 = 9;

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If(..) | ExprKind::Lambda(..) => P_LOWEST,
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnOp::Not, _) => P_NOT,
        ExprKind::Unary(UnOp::Neg, _) => P_UNARY,
        ExprKind::Index(..) | ExprKind::Cast(..) => P_POSTFIX,
        // A negative literal would print as `-5` and re-parse as a negation.
        ExprKind::Int(v, _) if *v < 0 => P_UNARY,
        _ => P_ATOM,
    }
}

fn child(e: &Expr, min: u8) -> String {
    let s = expr(e);
    if prec(e) < min { format!("({s})") } else { s }
}

/// Print an expression.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v, None) => v.to_string(),
        ExprKind::Int(v, Some(t)) => format!("{v}{t}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Var(n) => n.clone(),
        ExprKind::Unary(UnOp::Neg, a) => format!("-{}", child(a, P_UNARY)),
        ExprKind::Unary(UnOp::Not, a) => format!("not {}", child(a, P_NOT)),
        ExprKind::Binary(op, a, b) => {
            let p = op.precedence();
            let cmp = p == 4;
            // Left-associative; comparisons are non-associative.
            let l = child(a, if cmp { p + 1 } else { p });
            let r = child(b, p + 1);
            format!("{l} {} {r}", op.symbol())
        }
        ExprKind::If(c, a, b) => format!("if {} then {} else {}", expr(c), expr(a), expr(b)),
        ExprKind::Call(f, args) => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", f.name, args.join(", "))
        }
        ExprKind::Lambda(ps, body) => {
            let ps: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
            format!("|{}| {}", ps.join(", "), expr(body))
        }
        ExprKind::Array(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Index(a, i) => format!("{}[{}]", child(a, P_POSTFIX), expr(i)),
        ExprKind::Cast(a, t) => format!("{} as {t}", child(a, P_POSTFIX)),
        ExprKind::TooDeep => "<too deep>".into(),
    }
}
