//! Lexer and parser (chumsky) producing the [`crate::ast`].

use chumsky::input::{Input as _, ValueInput};
use chumsky::prelude::*;
use std::fmt;

use crate::ast::*;
use crate::diag::{CompileError, Diagnostic, ErrorKind, Span};
use crate::types::{ScalarType, Secrecy};

type CSpan = SimpleSpan;

/// Keywords of the language.
pub const KEYWORDS: &[&str] = &[
    "party", "input", "from", "output", "to", "let", "const", "fn", "if", "then", "else", "and",
    "or", "not", "true", "false", "secret", "public", "as",
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Token {
    Int(i128, Option<ScalarType>),
    Ident(String),
    Kw(&'static str),
    Ty(ScalarType),
    Op(&'static str),
    Ctrl(char),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Int(v, None) => write!(f, "{v}"),
            Token::Int(v, Some(t)) => write!(f, "{v}{t}"),
            Token::Ident(s) => f.write_str(s),
            Token::Kw(k) | Token::Op(k) => f.write_str(k),
            Token::Ty(t) => write!(f, "{t}"),
            Token::Ctrl(c) => write!(f, "{c}"),
        }
    }
}

type LexErr<'a> = extra::Err<Rich<'a, char, CSpan>>;

fn lexer<'src>() -> impl Parser<'src, &'src str, Vec<(Token, CSpan)>, LexErr<'src>> {
    let int = any()
        .filter(|c: &char| c.is_ascii_digit())
        .then(
            any()
                .filter(|c: &char| c.is_ascii_alphanumeric() || *c == '_')
                .repeated(),
        )
        .to_slice()
        .validate(|s: &str, e, emitter| {
            lex_int(s).unwrap_or_else(|| {
                emitter.emit(Rich::custom(
                    e.span(),
                    "integer literal too large or with an invalid type suffix",
                ));
                Token::Int(0, None)
            })
        });

    let ident = text::ascii::ident().map(|s: &str| {
        if let Some(k) = KEYWORDS.iter().find(|k| **k == s) {
            Token::Kw(k)
        } else if let Some(t) = ScalarType::from_name(s) {
            Token::Ty(t)
        } else {
            Token::Ident(s.to_string())
        }
    });

    let op = choice((
        just("<=").to(Token::Op("<=")),
        just(">=").to(Token::Op(">=")),
        just("==").to(Token::Op("==")),
        just("!=").to(Token::Op("!=")),
        just("->").to(Token::Op("->")),
        one_of("+-*/%<>=|:").map(|c: char| {
            Token::Op(match c {
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '%' => "%",
                '<' => "<",
                '>' => ">",
                '=' => "=",
                '|' => "|",
                _ => ":",
            })
        }),
    ));

    let ctrl = one_of("()[]{};,").map(Token::Ctrl);

    let token = int.or(ident).or(op).or(ctrl);

    let comment = just("//")
        .then(any().and_is(just('\n').not()).repeated())
        .padded();

    token
        .map_with(|tok, e| (tok, e.span()))
        .padded_by(comment.repeated())
        .padded()
        .repeated()
        .collect()
        .then_ignore(comment.repeated())
        .then_ignore(end())
}

fn lex_int(s: &str) -> Option<Token> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (digits, suffix) = s.split_at(split);
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let suffix = if suffix.is_empty() {
        None
    } else {
        match ScalarType::from_name(suffix) {
            Some(t) if t.is_int() => Some(t),
            _ => return None,
        }
    };
    digits.parse::<i128>().ok().map(|v| Token::Int(v, suffix))
}

type PErr<'a> = extra::Err<Rich<'a, Token, CSpan>>;

fn sp(s: CSpan) -> Span {
    Span::new(s.start, s.end)
}

fn ident_parser<'a, I>() -> impl Parser<'a, I, Ident, PErr<'a>> + Clone
where
    I: ValueInput<'a, Token = Token, Span = CSpan>,
{
    select! { Token::Ident(s) => s }
        .map_with(|name, e| Ident {
            name,
            span: sp(e.span()),
        })
        .labelled("identifier")
}

fn type_parser<'a, I>() -> impl Parser<'a, I, TypeExpr, PErr<'a>> + Clone
where
    I: ValueInput<'a, Token = Token, Span = CSpan>,
{
    recursive(|ty| {
        let qual = choice((
            just(Token::Kw("secret")).to(Secrecy::Secret),
            just(Token::Kw("public")).to(Secrecy::Public),
        ));
        let scalar =
            qual.or_not()
                .then(select! { Token::Ty(t) => t })
                .map_with(|(secrecy, ty), e| TypeExpr::Scalar {
                    secrecy,
                    ty,
                    span: sp(e.span()),
                });
        let len = select! { Token::Int(v, None) => v }
            .try_map(|v, span| {
                u64::try_from(v)
                    .map(|v| LenExpr::Lit(v, sp(span)))
                    .map_err(|_| Rich::custom(span, "array length too large"))
            })
            .or(ident_parser().map(LenExpr::Name));
        let array = ty
            .then_ignore(just(Token::Ctrl(';')))
            .then(len)
            .delimited_by(just(Token::Ctrl('[')), just(Token::Ctrl(']')))
            .map_with(|(elem, len), e| TypeExpr::array(elem, len, sp(e.span())));
        scalar.or(array).labelled("type")
    })
}

fn expr_parser<'a, I>() -> impl Parser<'a, I, Expr, PErr<'a>> + Clone
where
    I: ValueInput<'a, Token = Token, Span = CSpan>,
{
    recursive(|expr| {
        let ident = ident_parser();
        let lit = select! {
            Token::Int(v, s) => ExprKind::Int(v, s),
            Token::Kw("true") => ExprKind::Bool(true),
            Token::Kw("false") => ExprKind::Bool(false),
        }
        .map_with(|k, e| Expr::new(k, sp(e.span())))
        .labelled("literal");

        let items = expr
            .clone()
            .separated_by(just(Token::Ctrl(',')))
            .allow_trailing()
            .collect::<Vec<_>>();

        let call = ident
            .clone()
            .then(
                items
                    .clone()
                    .delimited_by(just(Token::Ctrl('(')), just(Token::Ctrl(')'))),
            )
            .map_with(|(f, args), e| Expr::new(ExprKind::Call(f, args), sp(e.span())));

        let var = ident
            .clone()
            .map(|i| Expr::new(ExprKind::Var(i.name), i.span));

        let array = items
            .delimited_by(just(Token::Ctrl('[')), just(Token::Ctrl(']')))
            .map_with(|xs, e| Expr::new(ExprKind::Array(xs), sp(e.span())));

        // Parentheses create no node but widen the span to include them.
        let paren = expr
            .clone()
            .delimited_by(just(Token::Ctrl('(')), just(Token::Ctrl(')')))
            .map_with(|mut inner: Expr, e| {
                inner.span = sp(e.span());
                inner
            });

        let if_ = just(Token::Kw("if"))
            .ignore_then(expr.clone())
            .then_ignore(just(Token::Kw("then")))
            .then(expr.clone())
            .then_ignore(just(Token::Kw("else")))
            .then(expr.clone())
            .map_with(|((c, a), b), e| {
                Expr::new(
                    ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    sp(e.span()),
                )
            });

        let lambda = ident
            .clone()
            .separated_by(just(Token::Ctrl(',')))
            .at_least(1)
            .collect::<Vec<_>>()
            .delimited_by(just(Token::Op("|")), just(Token::Op("|")))
            .then(expr.clone())
            .map_with(|(ps, body), e| {
                Expr::new(ExprKind::Lambda(ps, Box::new(body)), sp(e.span()))
            });

        let atom = choice((lit, call, var, array, paren, if_, lambda)).boxed();

        enum Post {
            Index(Expr),
            Cast(ScalarType),
        }
        let postfix = atom.foldl_with(
            choice((
                expr.clone()
                    .delimited_by(just(Token::Ctrl('[')), just(Token::Ctrl(']')))
                    .map(Post::Index),
                just(Token::Kw("as"))
                    .ignore_then(select! { Token::Ty(t) => t })
                    .map(Post::Cast),
            ))
            .repeated(),
            |a, p, e| {
                let span = sp(e.span());
                match p {
                    Post::Index(i) => Expr::new(ExprKind::Index(Box::new(a), Box::new(i)), span),
                    Post::Cast(t) => Expr::new(ExprKind::Cast(Box::new(a), t), span),
                }
            },
        );

        let neg = just(Token::Op("-"))
            .map_with(|_, e| sp(e.span()))
            .repeated()
            .foldr(postfix, |s: Span, a: Expr| {
                let span = s.join(a.span);
                Expr::new(ExprKind::Unary(UnOp::Neg, Box::new(a)), span)
            })
            .boxed();

        let binary = |ops: Vec<(Token, BinOp)>| {
            choice(
                ops.into_iter()
                    .map(|(t, o)| just(t).to(o))
                    .collect::<Vec<_>>(),
            )
        };

        let product = neg.clone().foldl(
            binary(vec![
                (Token::Op("*"), BinOp::Mul),
                (Token::Op("/"), BinOp::Div),
                (Token::Op("%"), BinOp::Rem),
            ])
            .then(neg)
            .repeated(),
            mk_bin,
        );
        let sum = product.clone().foldl(
            binary(vec![
                (Token::Op("+"), BinOp::Add),
                (Token::Op("-"), BinOp::Sub),
            ])
            .then(product)
            .repeated(),
            mk_bin,
        );
        let cmp = sum
            .clone()
            .then(
                binary(vec![
                    (Token::Op("<="), BinOp::Le),
                    (Token::Op(">="), BinOp::Ge),
                    (Token::Op("=="), BinOp::Eq),
                    (Token::Op("!="), BinOp::Ne),
                    (Token::Op("<"), BinOp::Lt),
                    (Token::Op(">"), BinOp::Gt),
                ])
                .then(sum)
                .or_not(),
            )
            .map(|(a, rest)| match rest {
                Some(r) => mk_bin(a, r),
                None => a,
            })
            .boxed();
        let not = just(Token::Kw("not"))
            .map_with(|_, e| sp(e.span()))
            .repeated()
            .foldr(cmp, |s: Span, a: Expr| {
                let span = s.join(a.span);
                Expr::new(ExprKind::Unary(UnOp::Not, Box::new(a)), span)
            });
        let and = not.clone().foldl(
            binary(vec![(Token::Kw("and"), BinOp::And)])
                .then(not)
                .repeated(),
            mk_bin,
        );
        and.clone()
            .foldl(
                binary(vec![(Token::Kw("or"), BinOp::Or)])
                    .then(and)
                    .repeated(),
                mk_bin,
            )
            .labelled("expression")
            .boxed()
    })
}

fn mk_bin(a: Expr, (op, b): (BinOp, Expr)) -> Expr {
    let span = a.span.join(b.span);
    Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), span)
}

fn program_parser<'a, I>() -> impl Parser<'a, I, Program, PErr<'a>>
where
    I: ValueInput<'a, Token = Token, Span = CSpan>,
{
    let ident = ident_parser();
    let ty = type_parser();
    let expr = expr_parser();
    let semi = just(Token::Ctrl(';'));

    let let_binding = just(Token::Kw("let"))
        .ignore_then(ident.clone())
        .then(just(Token::Op(":")).ignore_then(ty.clone()).or_not())
        .then_ignore(just(Token::Op("=")))
        .then(expr.clone())
        .then_ignore(semi.clone())
        .map(|((name, ty), value)| LetBinding { name, ty, value });

    let party = just(Token::Kw("party"))
        .ignore_then(ident.clone())
        .then_ignore(semi.clone())
        .map(ItemKind::Party);

    let const_ = just(Token::Kw("const"))
        .ignore_then(ident.clone())
        .then_ignore(just(Token::Op("=")))
        .then(expr.clone())
        .then_ignore(semi.clone())
        .map(|(n, e)| ItemKind::Const(n, e));

    let input = just(Token::Kw("input"))
        .ignore_then(ident.clone())
        .then_ignore(just(Token::Op(":")))
        .then(ty.clone())
        .then_ignore(just(Token::Kw("from")))
        .then(ident.clone())
        .then_ignore(semi.clone())
        .map(|((name, ty), party)| ItemKind::Input { name, ty, party });

    let output = just(Token::Kw("output"))
        .ignore_then(ident.clone())
        .then(just(Token::Op("=")).ignore_then(expr.clone()).or_not())
        .then_ignore(just(Token::Kw("to")))
        .then(ident.clone())
        .then_ignore(semi.clone())
        .map(|((name, value), party)| ItemKind::Output { name, value, party });

    let param = ident
        .clone()
        .then_ignore(just(Token::Op(":")))
        .then(ty.clone());
    let fn_ = just(Token::Kw("fn"))
        .ignore_then(ident.clone())
        .then(
            param
                .separated_by(just(Token::Ctrl(',')))
                .allow_trailing()
                .collect::<Vec<_>>()
                .delimited_by(just(Token::Ctrl('(')), just(Token::Ctrl(')'))),
        )
        .then_ignore(just(Token::Op("->")))
        .then(ty.clone())
        .then(
            let_binding
                .clone()
                .repeated()
                .collect::<Vec<_>>()
                .then(expr.clone())
                .delimited_by(just(Token::Ctrl('{')), just(Token::Ctrl('}'))),
        )
        .map(|(((name, params), ret), (lets, body))| {
            ItemKind::Fn(FnDef {
                name,
                params,
                ret,
                lets,
                body,
            })
        });

    let item = choice((
        party,
        const_,
        input,
        let_binding.map(ItemKind::Let),
        fn_,
        output,
    ))
    .map_with(|kind, e| Item {
        kind,
        span: sp(e.span()),
    })
    .labelled("item");

    item.repeated()
        .collect::<Vec<_>>()
        .then_ignore(end())
        .map(|items| Program { items })
}

fn syntax_diag<T: fmt::Display + Clone>(e: Rich<'_, T, CSpan>) -> Diagnostic {
    let e = e.map_token(|t| t.to_string());
    let msg = e.reason().to_string();
    let span = sp(*e.span());
    let mut d = Diagnostic::error(ErrorKind::Syntax(msg), span);
    for (label, cspan) in e.contexts() {
        d = d.with_note(sp(*cspan), format!("while parsing this {label}"));
    }
    d
}

/// Parse a program. Errors carry byte spans and line/column locations
/// (see [`Diagnostic::render`]).
pub fn parse(src: &str) -> Result<Program, CompileError> {
    parse_inner(src).map_err(|e| e.locate(src))
}

fn parse_inner(src: &str) -> Result<Program, CompileError> {
    let (tokens, lex_errs) = lexer().parse(src).into_output_errors();
    if !lex_errs.is_empty() {
        return Err(CompileError {
            diagnostics: lex_errs.into_iter().map(syntax_diag).collect(),
        });
    }
    let Some(tokens) = tokens else {
        return Err(CompileError::single(Diagnostic::error(
            ErrorKind::Syntax("unreadable input".into()),
            Span::new(0, src.len()),
        )));
    };
    check_token_nesting(&tokens)?;
    let eoi: CSpan = (src.len()..src.len()).into();
    let (prog, errs) = program_parser()
        .parse(tokens.as_slice().map(eoi, |(t, s)| (t, s)))
        .into_output_errors();
    if !errs.is_empty() {
        return Err(CompileError {
            diagnostics: errs.into_iter().map(syntax_diag).collect(),
        });
    }
    let Some(prog) = prog else {
        return Err(CompileError::single(Diagnostic::error(
            ErrorKind::Syntax("no program".into()),
            Span::new(0, src.len()),
        )));
    };
    check_depth(&prog)?;
    Ok(prog)
}

/// Maximum syntactic nesting seen by the parser (brackets plus `if`s and
/// lambdas within one statement). Bounds the parser's recursion (and thus
/// its stack and memory) before it starts.
pub const MAX_PARSE_NESTING: u32 = 256;

fn check_token_nesting(tokens: &[(Token, CSpan)]) -> Result<(), CompileError> {
    let (mut depth, mut ifs, mut bars) = (0i64, 0i64, 0i64);
    for (t, span) in tokens {
        match t {
            Token::Ctrl('(' | '[' | '{') => depth += 1,
            Token::Ctrl(')' | ']' | '}') => depth -= 1,
            Token::Ctrl(';') => {
                ifs = 0;
                bars = 0;
            }
            Token::Kw("if") => ifs += 1,
            Token::Op("|") => bars += 1,
            _ => {}
        }
        if depth + ifs + bars / 2 > i64::from(MAX_PARSE_NESTING) {
            return Err(CompileError::single(Diagnostic::error(
                ErrorKind::TooDeep(MAX_PARSE_NESTING),
                sp(*span),
            )));
        }
    }
    Ok(())
}

/// Reject programs in which the parser collapsed an over-deep sub-tree.
fn check_depth(prog: &Program) -> Result<(), CompileError> {
    let mut diags = Vec::new();
    let visit_expr = |e: &Expr, diags: &mut Vec<Diagnostic>| {
        e.walk(&mut |x| {
            if x.kind == ExprKind::TooDeep {
                diags.push(Diagnostic::error(ErrorKind::TooDeep(MAX_NESTING), x.span));
            }
        });
    };
    let visit_ty = |t: &TypeExpr, diags: &mut Vec<Diagnostic>| {
        let mut t = t;
        loop {
            match t {
                TypeExpr::TooDeep(s) => {
                    diags.push(Diagnostic::error(ErrorKind::TooDeep(MAX_NESTING), *s));
                    break;
                }
                TypeExpr::Array { elem, .. } => t = elem,
                TypeExpr::Scalar { .. } => break,
            }
        }
    };
    for item in &prog.items {
        match &item.kind {
            ItemKind::Party(_) => {}
            ItemKind::Const(_, e) => visit_expr(e, &mut diags),
            ItemKind::Input { ty, .. } => visit_ty(ty, &mut diags),
            ItemKind::Let(l) => {
                if let Some(t) = &l.ty {
                    visit_ty(t, &mut diags);
                }
                visit_expr(&l.value, &mut diags);
            }
            ItemKind::Fn(f) => {
                for (_, t) in &f.params {
                    visit_ty(t, &mut diags);
                }
                visit_ty(&f.ret, &mut diags);
                for l in &f.lets {
                    if let Some(t) = &l.ty {
                        visit_ty(t, &mut diags);
                    }
                    visit_expr(&l.value, &mut diags);
                }
                visit_expr(&f.body, &mut diags);
            }
            ItemKind::Output { value, .. } => {
                if let Some(e) = value {
                    visit_expr(e, &mut diags);
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(CompileError { diagnostics: diags })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(src: &str) -> Diagnostic {
        match parse(src) {
            Ok(p) => panic!("expected an error, parsed {p:?}"),
            Err(e) => e.diagnostics[0].clone(),
        }
    }

    #[test]
    fn parses_items() {
        let src = "party A; party B;\nconst N = 3;\ninput x: secret u32 from A;\n\
                   input ys: [public i8; N] from B;\n\
                   fn f(a: secret u32, b: public u32) -> secret u32 { let t = a * b; t + 1 }\n\
                   let z: secret u32 = f(x, 2u32) / 3;\n\
                   output z to A;\noutput w = if x > 1 then x else 0 to B;\n";
        let p = parse(src).expect("parses");
        assert_eq!(p.items.len(), 9);
        match &p.items[4].kind {
            ItemKind::Input { ty, .. } => assert!(matches!(ty, TypeExpr::Array { .. })),
            k => panic!("{k:?}"),
        }
        assert_eq!(&src[p.items[2].span.range()], "const N = 3;");
    }

    #[test]
    fn precedence() {
        let p = parse("let a = 1 + 2 * 3 < 4 and not b or c;").expect("parses");
        let ItemKind::Let(l) = &p.items[0].kind else {
            panic!()
        };
        let ExprKind::Binary(BinOp::Or, lhs, _) = &l.value.kind else {
            panic!("{:?}", l.value)
        };
        let ExprKind::Binary(BinOp::And, cmp, not) = &lhs.kind else {
            panic!()
        };
        assert!(matches!(not.kind, ExprKind::Unary(UnOp::Not, _)));
        let ExprKind::Binary(BinOp::Lt, sum, _) = &cmp.kind else {
            panic!()
        };
        let ExprKind::Binary(BinOp::Add, _, prod) = &sum.kind else {
            panic!()
        };
        assert!(matches!(prod.kind, ExprKind::Binary(BinOp::Mul, _, _)));
    }

    #[test]
    fn comments_and_whitespace() {
        let a = parse("party A; // hi\n let x=1;").expect("parses");
        let b = parse("// lead\nparty   A;\n\n let x = 1 ; // trail").expect("parses");
        assert_eq!(a.items.len(), b.items.len());
    }

    #[test]
    fn error_spans() {
        let src = "party A;\nlet x = 1 +;";
        let d = first(src);
        assert!(matches!(d.kind, ErrorKind::Syntax(_)));
        assert_eq!(d.span, Span::new(src.len() - 1, src.len()));
        assert_eq!(d.line_col(src).line, 2);

        let src = "party A; let x = 3 @ 4;";
        let d = first(src);
        assert_eq!(&src[d.span.range()], "@");

        let src = "let x = 99999999999999999999999999999999999999999;";
        let d = first(src);
        assert!(matches!(d.kind, ErrorKind::Syntax(_)));
        assert_eq!(
            &src[d.span.range()],
            "99999999999999999999999999999999999999999"
        );

        let src = "let x = 5u7;";
        let d = first(src);
        assert_eq!(&src[d.span.range()], "5u7");

        let src = "let x = a < b < c;";
        let d = first(src);
        assert_eq!(&src[d.span.range()], "<");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 5000;
        // Redundant parentheses create no AST nodes: fine up to the parser's
        // own nesting bound.
        let src = format!("let x = {}1{};", "(".repeat(200), ")".repeat(200));
        assert!(parse(&src).is_ok());
        let src = format!("let x = {}1{};", "(".repeat(depth), ")".repeat(depth));
        assert!(matches!(
            first(&src).kind,
            ErrorKind::TooDeep(MAX_PARSE_NESTING)
        ));
        let src = format!("let x = {}1;", "if a then 1 else ".repeat(depth));
        assert!(matches!(first(&src).kind, ErrorKind::TooDeep(_)));
        let src = format!("let x = {}1{};", "(1 + ".repeat(depth), ")".repeat(depth));
        let d = first(&src);
        assert!(matches!(d.kind, ErrorKind::TooDeep(_)), "{d:?}");
        let src = format!("let x = 1{};", " + 1".repeat(depth));
        assert!(matches!(first(&src).kind, ErrorKind::TooDeep(_)));
        let src = format!("let x = {}1;", "- ".repeat(depth));
        assert!(matches!(first(&src).kind, ErrorKind::TooDeep(_)));
        let src = format!(
            "input x: {}u8{} from A;",
            "[".repeat(depth),
            "; 1]".repeat(depth)
        );
        assert!(matches!(first(&src).kind, ErrorKind::TooDeep(_)));
    }
}
