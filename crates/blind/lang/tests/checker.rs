//! Type and secrecy checker: every error kind, with its span.

use synod_blind_lang::{
    CompileError, Diagnostic, ErrorKind, Inputs, Limits, Options, Severity, Value, compile,
};

const HEADER: &str = "party A; party B;\n\
    input s: secret u8 from A;\n\
    input t: secret u8 from B;\n\
    input p: public u8 from B;\n\
    input xs: [secret u8; 3] from A;\n\
    input b: secret bool from A;\n";

/// Compile `HEADER + body + outputs using every input`, expect an error.
fn fail_with(body: &str) -> (String, Diagnostic) {
    let src = format!("{HEADER}{body}\noutput all_ = s + t + p + sum(xs) + (b as u8) to A;\n");
    fail_raw(&src)
}

fn fail_raw(src: &str) -> (String, Diagnostic) {
    match compile(src, &Options::default()) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(CompileError { diagnostics }) => (src.to_string(), diagnostics[0].clone()),
    }
}

/// The source text under the diagnostic's primary span.
fn spanned(src: &str, d: &Diagnostic) -> String {
    src[d.span.range()].to_string()
}

macro_rules! check {
    ($body:expr, $pat:pat, $text:expr) => {{
        let (src, d) = fail_with($body);
        assert!(
            matches!(d.kind, $pat),
            "wrong kind {:?} for {}",
            d.kind,
            $body
        );
        assert_eq!(spanned(&src, &d), $text, "span of {:?}", d.kind);
        d
    }};
}

#[test]
fn ok_header_compiles() {
    let src = format!("{HEADER}output all_ = s + t + p + sum(xs) + (b as u8) to A;\n");
    compile(&src, &Options::default()).expect("header is valid");
}

#[test]
fn undefined_names() {
    check!("let y = s + zz;", ErrorKind::UndefinedName(_), "zz");
    check!("let y = g(s);", ErrorKind::UndefinedFunction(_), "g");
    check!(
        "output o = s to Carol;",
        ErrorKind::UndefinedParty(_),
        "Carol"
    );
    check!(
        "input q: secret u8 from Carol;",
        ErrorKind::UndefinedParty(_),
        "Carol"
    );
    let d = check!(
        "fn f(a: secret u8) -> secret u8 { a + s }\nlet y = f(t);",
        ErrorKind::UndefinedName(_),
        "s"
    );
    assert!(
        !d.notes.is_empty(),
        "explains that functions cannot capture inputs"
    );
}

#[test]
fn recursion_and_order() {
    check!(
        "fn f(a: secret u8) -> secret u8 { f(a) }",
        ErrorKind::RecursiveCall(_),
        "f"
    );
    check!(
        "fn f(a: secret u8) -> secret u8 { g(a) }\nfn g(a: secret u8) -> secret u8 { a }",
        ErrorKind::RecursiveCall(_),
        "g"
    );
    check!("let y = z; let z = s;", ErrorKind::UndefinedName(_), "z");
}

#[test]
fn duplicates() {
    let d = check!(
        "let y = s; let y = t;",
        ErrorKind::DuplicateDefinition(_),
        "y"
    );
    assert_eq!(d.notes.len(), 1);
    check!("party A;", ErrorKind::DuplicateDefinition(_), "A");
    check!("let sum = s;", ErrorKind::DuplicateDefinition(_), "sum");
    check!(
        "output o = s to A; output o = t to B;",
        ErrorKind::DuplicateOutput(_),
        "o"
    );
    check!(
        "fn f(a: secret u8, a: secret u8) -> secret u8 { a }",
        ErrorKind::DuplicateDefinition(_),
        "a"
    );
}

#[test]
fn type_errors() {
    check!("let y = s + b;", ErrorKind::TypeMismatch { .. }, "b");
    check!(
        "let y = s + (p as u16);",
        ErrorKind::TypeMismatch { .. },
        "(p as u16)"
    );
    check!(
        "let y = s and t;",
        ErrorKind::InvalidOperand { .. },
        "s and t"
    );
    check!("let y = not s;", ErrorKind::TypeMismatch { .. }, "s");
    check!("let y = -b;", ErrorKind::InvalidOperand { .. }, "-b");
    check!(
        "let y = if s then t else p;",
        ErrorKind::TypeMismatch { .. },
        "s"
    );
    check!(
        "let y = if b then s else b;",
        ErrorKind::TypeMismatch { .. },
        "b"
    );
    check!(
        "let y = b as bool;",
        ErrorKind::InvalidOperand { .. },
        "b as bool"
    );
    check!(
        "let y = s + 300;",
        ErrorKind::LiteralOutOfRange { .. },
        "300"
    );
    check!("let y = s + -1;", ErrorKind::LiteralOutOfRange { .. }, "-1");
    check!("let y: u16 = p;", ErrorKind::TypeMismatch { .. }, "p");
    check!("let y = xs + 1;", ErrorKind::InvalidOperand { .. }, "xs");
    check!("let y = s[0];", ErrorKind::InvalidOperand { .. }, "s");
    check!(
        "let y = dot(xs, [1u8, 2u8]);",
        ErrorKind::LengthMismatch(3, 2),
        "dot(xs, [1u8, 2u8])"
    );
    check!("let y = min(s);", ErrorKind::Arity { .. }, "min(s)");
    check!(
        "fn f(a: secret u8) -> secret u8 { a }\nlet y = f(s, t);",
        ErrorKind::Arity { .. },
        "f(s, t)"
    );
    check!(
        "let y = map(xs, |a, i, j| a);",
        ErrorKind::Arity { .. },
        "|a, i, j| a"
    );
    check!("let f = |x| x;", ErrorKind::MisplacedLambda, "|x| x");
    check!(
        "fn f(a: secret u8) -> secret u8 { a }\nlet y = f;",
        ErrorKind::FunctionAsValue(_),
        "f"
    );
    check!(
        "let y = reduce([], |a, c| a);",
        ErrorKind::EmptyReduce,
        "reduce([], |a, c| a)"
    );
    check!(
        "fn f(a: secret u8) -> public u8 { a }",
        ErrorKind::SecretToPublic(_),
        "a"
    );
}

#[test]
fn secrecy_errors() {
    check!("let y = s / t;", ErrorKind::SecretDivisor, "t");
    check!("let y = p % (s + 1);", ErrorKind::SecretDivisor, "(s + 1)");
    check!("let y = xs[s];", ErrorKind::SecretIndex, "s");
    check!("let y = xs[p];", ErrorKind::NotConstant(_), "p");
    check!("let y: public u8 = s;", ErrorKind::SecretToPublic(_), "s");
    check!(
        "fn f(a: public u8) -> public u8 { a }\nlet y = f(s);",
        ErrorKind::SecretToPublic(_),
        "s"
    );
    check!("let y: [secret u8; s] = xs;", ErrorKind::SecretLength, "s");
    check!(
        "let y: [secret u8; p] = xs;",
        ErrorKind::NotConstant(_),
        "p"
    );
    let d = check!(
        "let y = if s > 3 then reveal(t) else p;",
        ErrorKind::SecretControlFlow,
        "reveal(t)"
    );
    assert_eq!(d.notes.len(), 1, "points at the secret condition");
    // Also through a function and a lambda.
    check!(
        "fn leak(a: secret u8) -> public u8 { reveal(a) }\nlet y = if b then leak(s) else 0u8;",
        ErrorKind::SecretControlFlow,
        "reveal(a)"
    );
    check!(
        "let y = if b then sum(map(xs, |x| reveal(x))) else 0u8;",
        ErrorKind::SecretControlFlow,
        "reveal(x)"
    );
    // A public condition is fine.
    let src = format!(
        "{HEADER}let y = if p > 3 then reveal(t) else p;\noutput all_ = y + s + sum(xs) + (b as u8) to A;\n"
    );
    compile(&src, &Options::default()).expect("public condition may guard reveal");
}

#[test]
fn constant_errors() {
    check!("let y = s / 0;", ErrorKind::DivisionByZero, "0");
    check!(
        "let y = s % (1u8 - 1u8);",
        ErrorKind::DivisionByZero,
        "(1u8 - 1u8)"
    );
    check!(
        "const K = 2 - 2; let y = s / K;",
        ErrorKind::DivisionByZero,
        "K"
    );
    check!("const K = 5 / 0;", ErrorKind::DivisionByZero, "0");
    check!(
        "const K = 170141183460469231731687303715884105727 + 1;",
        ErrorKind::ConstOverflow,
        "170141183460469231731687303715884105727 + 1"
    );
    check!("const K = s;", ErrorKind::NotConstant(_), "s");
    check!(
        "let y = xs[3];",
        ErrorKind::IndexOutOfBounds { index: 3, len: 3 },
        "3"
    );
    check!(
        "let y = xs[-1];",
        ErrorKind::IndexOutOfBounds { index: -1, .. },
        "-1"
    );
    check!("output k = 3 to A;", ErrorKind::CannotInfer, "3");
    check!(
        "let y = if b then 1 else 2;",
        ErrorKind::CannotInfer,
        "if b then 1 else 2"
    );
    check!("input q: u8 from A;", ErrorKind::MissingQualifier, "u8");
}

#[test]
fn usage_errors() {
    let (src, d) = fail_raw(
        "party A;\ninput x: secret u8 from A;\ninput y: secret u8 from A;\noutput o = x to A;\n",
    );
    assert!(matches!(d.kind, ErrorKind::UnusedInput(_)));
    assert_eq!(spanned(&src, &d), "y");
    let (src, d) = fail_raw("party A; party Z;\ninput x: secret u8 from A;\noutput o = x to A;\n");
    assert!(matches!(d.kind, ErrorKind::UnusedParty(_)));
    assert_eq!(spanned(&src, &d), "Z");
    let (_, d) = fail_raw("party A;\ninput x: secret u8 from A;\nlet y = x;\n");
    assert!(matches!(d.kind, ErrorKind::NoOutputs));
}

#[test]
fn warnings_for_unused_lets_and_functions() {
    let src = format!(
        "{HEADER}fn unused(a: secret u8) -> secret u8 {{ let z = a; a }}\nlet y = s;\noutput all_ = s + t + p + sum(xs) + (b as u8) to A;\n"
    );
    let p = compile(&src, &Options::default()).expect("warnings only");
    let kinds: Vec<_> = p
        .warnings
        .iter()
        .map(|w| (w.kind.clone(), spanned(&src, w)))
        .collect();
    assert!(p.warnings.iter().all(|w| w.severity == Severity::Warning));
    assert!(
        kinds.contains(&(ErrorKind::UnusedFunction("unused".into()), "unused".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ErrorKind::UnusedLet("z".into()), "z".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ErrorKind::UnusedLet("y".into()), "y".into())),
        "{kinds:?}"
    );
}

#[test]
fn limits_are_enforced_with_spans() {
    let opts = |f: &dyn Fn(&mut Limits)| {
        let mut o = Options::default();
        f(&mut o.limits);
        o
    };
    // Array length.
    let src = "party A;\ninput xs: [secret u8; 10] from A;\noutput o = sum(xs) to A;\n";
    let e = compile(src, &opts(&|l| l.max_array_len = 8)).expect_err("too long");
    let d = &e.diagnostics[0];
    assert!(matches!(
        d.kind,
        ErrorKind::LimitExceeded {
            what: "array length",
            value: 10,
            max: 8
        }
    ));
    assert_eq!(&src[d.span.range()], "10");
    // Inputs.
    let src = "party A;\ninput x: secret u8 from A;\ninput xs: [secret u8; 4] from A;\noutput o = x + sum(xs) to A;\n";
    let e = compile(src, &opts(&|l| l.max_inputs = 4)).expect_err("too many inputs");
    let d = &e.diagnostics[0];
    assert!(matches!(
        d.kind,
        ErrorKind::LimitExceeded {
            what: "input elements",
            value: 5,
            max: 4
        }
    ));
    assert_eq!(&src[d.span.range()], "input xs: [secret u8; 4] from A;");
    // Operations.
    let src = "party A;\ninput xs: [secret u32; 64] from A;\noutput o = dot(xs, xs) to A;\n";
    compile(src, &Options::default()).expect("fits by default");
    let e = compile(src, &opts(&|l| l.max_ops = 16)).expect_err("too many ops");
    assert!(matches!(
        e.diagnostics[0].kind,
        ErrorKind::LimitExceeded {
            what: "MIR operations",
            ..
        }
    ));
    // Depth (online rounds): points at the deepest output. `deep` needs 4
    // multiplication rounds plus one reduction mod 2^32 (5 rounds) before
    // it can be output; `shallow` needs only the reduction.
    let src = "party A;\ninput x: secret u32 from A;\noutput shallow = x + 1 to A;\n\
               output deep = x * x * x * x * x to A;\n";
    let e = compile(src, &opts(&|l| l.max_depth = 3)).expect_err("too deep");
    let d = &e.diagnostics[0];
    assert!(
        matches!(
            d.kind,
            ErrorKind::LimitExceeded {
                what: "online rounds",
                value: 9,
                max: 3
            }
        ),
        "{d:?}"
    );
    assert_eq!(
        &src[d.span.range()],
        "output deep = x * x * x * x * x to A;"
    );
    // Exponential inlining is bounded, not a hang.
    let mut src = String::from(
        "party A;\ninput x: secret u32 from A;\nfn f0(a: secret u32) -> secret u32 { a + 1 }\n",
    );
    for i in 1..40 {
        src.push_str(&format!(
            "fn f{i}(a: secret u32) -> secret u32 {{ f{p}(a) * f{p}(a + 1) }}\n",
            p = i - 1
        ));
    }
    src.push_str("output o = f39(x) to A;\n");
    let e = compile(&src, &opts(&|l| l.max_ops = 2_000)).expect_err("blows up");
    assert!(matches!(
        e.diagnostics[0].kind,
        ErrorKind::LimitExceeded { .. }
    ));
}

#[test]
fn rendered_errors_show_line_and_column() {
    let src = "party A;\ninput x: secret u8 from A;\noutput o = x / x to A;\n";
    let e = compile(src, &Options::default()).expect_err("secret divisor");
    let d = &e.diagnostics[0];
    let lc = d.line_col(src);
    assert_eq!((lc.line, lc.col), (3, 16));
    let loc = d.location.as_deref().expect("compile fills in locations");
    assert_eq!(
        (loc.start.line, loc.start.col, loc.end.line, loc.end.col),
        (3, 16, 3, 17)
    );
    assert_eq!(d.span, synod_blind_lang::Span::new(51, 52));
    let text = e.render("prog.blind", src);
    assert!(text.contains("prog.blind:3:16"), "{text}");
    assert!(text.contains("divisor must be public"), "{text}");
    assert_eq!(
        d.render_plain("prog.blind", src),
        "prog.blind:3:16: error: divisor must be public (secret divisors are not supported)"
    );
}

#[test]
fn copying_huge_arrays_is_bounded() {
    // 4096 × 4096 element copies would be 16M values: stopped by the fuel limit.
    let src = "party A;\ninput xs: [secret u8; 4096] from A;\n\
               output o = sum(map(xs, |x| sum(xs) + x)) to A;\n";
    let e = compile(src, &Options::default()).expect_err("too much work");
    assert!(matches!(
        e.diagnostics[0].kind,
        ErrorKind::LimitExceeded { .. }
    ));
}

#[test]
fn long_call_chains_do_not_overflow_the_stack() {
    // Each function nests its caller's expression 100 deep; 40 functions
    // would nest 4 000 levels after inlining.
    let mut src = String::from(
        "party A;\ninput x: secret u32 from A;\nfn f0(a: secret u32) -> secret u32 { a }\n",
    );
    for i in 1..300 {
        let body = format!("{}f{}(a){}", "(1 + ".repeat(100), i - 1, ")".repeat(100));
        src.push_str(&format!(
            "fn f{i}(a: secret u32) -> secret u32 {{ {body} }}\n"
        ));
    }
    src.push_str("output o = f299(x) to A;\n");
    let e = compile(&src, &Options::default()).expect_err("too deep after inlining");
    assert!(
        matches!(e.diagnostics[0].kind, ErrorKind::TooDeep(_)),
        "{:?}",
        e.diagnostics[0]
    );
    // A moderately deep chain is fine.
    let mut src = String::from(
        "party A;\ninput x: secret u32 from A;\nfn f0(a: secret u32) -> secret u32 { a }\n",
    );
    for i in 1..15 {
        let body = format!("{}f{}(a){}", "(1 + ".repeat(100), i - 1, ")".repeat(100));
        src.push_str(&format!(
            "fn f{i}(a: secret u32) -> secret u32 {{ {body} }}\n"
        ));
    }
    src.push_str("output o = f14(x) to A;\n");
    compile(&src, &Options::default()).expect("1500 levels after inlining");
}

/// Issue 17, item 2: an integer constant (or an expression of constants
/// only, such as `if c then 200 else 100`) takes the type of the other
/// operand whichever side it is on.
#[test]
fn constant_typing_does_not_depend_on_operand_order() {
    let header = "party A;\ninput x: secret u8 from A;\ninput c: secret bool from A;\n";
    let k = "(if x > 3 then 200 else 100)";
    let program = |body: &str| format!("{header}{body}\noutput u = c to A;\n");
    let ok = |body: &str| match compile(&program(body), &Options::default()) {
        Ok(p) => p,
        Err(e) => panic!("{body}:\n{}", e.render("t.blind", &program(body))),
    };
    // Mirrored forms compile to the same canonical program.
    let same = [
        (format!("x + {k}"), format!("{k} + x")),
        (format!("x * {k}"), format!("{k} * x")),
        (format!("x < {k}"), format!("{k} > x")),
        (format!("x <= {k}"), format!("{k} >= x")),
        (format!("x == {k}"), format!("{k} == x")),
        (format!("x != {k}"), format!("{k} != x")),
    ];
    for (a, b) in &same {
        let pa = ok(&format!("output o = {a} to A;"));
        let pb = ok(&format!("output o = {b} to A;"));
        assert_eq!(pa.program_id, pb.program_id, "{a}\nvs\n{b}");
    }
    // `min`/`max` are not canonically commutative: same outputs instead.
    for f in ["min", "max"] {
        let pa = ok(&format!("output o = {f}(x, {k}) to A;"));
        let pb = ok(&format!("output o = {f}({k}, x) to A;"));
        for x in 0..=255 {
            let mut ins = Inputs::new();
            let a = ins.entry("A".to_string()).or_default();
            a.insert("x".to_string(), Value::Int(x));
            a.insert("c".to_string(), Value::Bool(x % 2 == 0));
            assert_eq!(
                pa.run(&ins).expect("runs"),
                pb.run(&ins).expect("runs"),
                "{f}, x = {x}"
            );
        }
    }
    // Non-commuting forms: both orders compile.
    for body in [
        format!("output o = {k} - x to A;"),
        format!("output o = {k} / 3u8 to A;"),
        format!("output o = -{k} + (x as i16) to A;"),
        "output o = if c then x else (if c then 1 else 2) to A;".to_string(),
        "output o = if c then (if c then 1 else 2) else x to A;".to_string(),
        format!("output o = [{k}, x] to A;"),
        format!("output o = [{k}, {k}, x, {k}] to A;"),
        format!("output o = [[{k}], [x]] to A;"),
        // Only constants in an operation: the context types them.
        format!("let y: secret u8 = 3 + {k};\noutput o = y to A;"),
        format!("let y: secret u8 = {k} + 3;\noutput o = y to A;"),
    ] {
        ok(&body);
    }
    // The constant must still fit the other operand's type, on either side.
    for body in [
        "output o = x + (if x > 3 then 300 else 100) to A;",
        "output o = (if x > 3 then 300 else 100) + x to A;",
        "output o = min((if x > 3 then 300 else 100), x) to A;",
        "output o = [(if x > 3 then 300 else 100), x] to A;",
    ] {
        let (src, d) = fail_raw(&program(body));
        assert!(
            matches!(d.kind, ErrorKind::LiteralOutOfRange { .. }),
            "{body}: {:?}",
            d.kind
        );
        assert_eq!(spanned(&src, &d), "300", "{body}");
    }
    // With no typed operand and no context it is still an error.
    for body in [
        "let y = (if c then 1 else 2) + 3;\noutput o = y to A;",
        "let y = 3 + (if c then 1 else 2);\noutput o = y to A;",
        "output o = (if c then 1 else 2) < 3 to A;",
        "output o = min(if c then 1 else 2, 3) to A;",
    ] {
        let (_, d) = fail_raw(&program(body));
        assert!(
            matches!(d.kind, ErrorKind::CannotInfer),
            "{body}: {:?}",
            d.kind
        );
    }
}
