//! Reference interpreter: integer semantics on edge values, agreeing with
//! Rust's wrapping arithmetic, plus input validation and runtime errors.

use synod_blind_lang::testing::edge_values;
use synod_blind_lang::{Compiled, Inputs, Options, RuntimeError, ScalarType, Value, compile};

fn build(src: &str) -> Compiled {
    match compile(src, &Options::default()) {
        Ok(p) => p,
        Err(e) => panic!("{}", e.render("t.blind", src)),
    }
}

fn program_for(t: ScalarType) -> String {
    let mut s = format!(
        "party A;\ninput a: secret {t} from A;\ninput b: secret {t} from A;\ninput d: public {t} from A;\n\
         output add = a + b to A;\noutput sub = a - b to A;\noutput mul = a * b to A;\n\
         output neg = -a to A;\noutput div = a / d to A;\noutput rem = a % d to A;\n\
         output pdiv = reveal(a) / d to A;\n\
         output lt = a < b to A;\noutput le = a <= b to A;\noutput gt = a > b to A;\n\
         output ge = a >= b to A;\noutput eq = a == b to A;\noutput ne = a != b to A;\n\
         output mn = min(a, b) to A;\noutput mx = max(a, b) to A;\n\
         output sel = if a < b then a * 2 else b - 1 to A;\n\
         output fromb = (a == b) as {t} to A;\n"
    );
    for to in ScalarType::INTS {
        s.push_str(&format!("output c_{to} = a as {to} to A;\n"));
    }
    s
}

fn run3(
    p: &Compiled,
    a: i128,
    b: i128,
    d: i128,
) -> Result<synod_blind_lang::Outputs, RuntimeError> {
    let mut ins = Inputs::new();
    let m = ins.entry("A".into()).or_default();
    m.insert("a".into(), Value::Int(a));
    m.insert("b".into(), Value::Int(b));
    m.insert("d".into(), Value::Int(d));
    p.run(&ins)
}

macro_rules! check_type {
    ($rt:ty, $st:expr) => {{
        let p = build(&program_for($st));
        let edges = edge_values($st);
        for &a in &edges {
            for &b in &edges {
                let d = if b == 0 { 1 } else { b };
                let out = run3(&p, a, b, d).expect("runs");
                let o = &out["A"];
                let (x, y, z) = (a as $rt, b as $rt, d as $rt);
                let int = |name: &str| match &o[name] {
                    Value::Int(v) => *v,
                    v => panic!("{name}: {v:?}"),
                };
                let boolean = |name: &str| match &o[name] {
                    Value::Bool(v) => *v,
                    v => panic!("{name}: {v:?}"),
                };
                let ctx = format!("{} a={a} b={b}", $st);
                assert_eq!(int("add"), x.wrapping_add(y) as i128, "{ctx}");
                assert_eq!(int("sub"), x.wrapping_sub(y) as i128, "{ctx}");
                assert_eq!(int("mul"), x.wrapping_mul(y) as i128, "{ctx}");
                assert_eq!(int("neg"), x.wrapping_neg() as i128, "{ctx}");
                assert_eq!(int("div"), x.wrapping_div(z) as i128, "{ctx}");
                assert_eq!(int("rem"), x.wrapping_rem(z) as i128, "{ctx}");
                assert_eq!(int("pdiv"), x.wrapping_div(z) as i128, "{ctx}");
                assert_eq!(boolean("lt"), x < y, "{ctx}");
                assert_eq!(boolean("le"), x <= y, "{ctx}");
                assert_eq!(boolean("gt"), x > y, "{ctx}");
                assert_eq!(boolean("ge"), x >= y, "{ctx}");
                assert_eq!(boolean("eq"), x == y, "{ctx}");
                assert_eq!(boolean("ne"), x != y, "{ctx}");
                assert_eq!(int("mn"), x.min(y) as i128, "{ctx}");
                assert_eq!(int("mx"), x.max(y) as i128, "{ctx}");
                let sel = if x < y {
                    x.wrapping_mul(2)
                } else {
                    y.wrapping_sub(1)
                };
                assert_eq!(int("sel"), sel as i128, "{ctx}");
                assert_eq!(int("fromb"), i128::from(x == y), "{ctx}");
                assert_eq!(int("c_u8"), (x as u8) as i128, "{ctx}");
                assert_eq!(int("c_u16"), (x as u16) as i128, "{ctx}");
                assert_eq!(int("c_u32"), (x as u32) as i128, "{ctx}");
                assert_eq!(int("c_u64"), (x as u64) as i128, "{ctx}");
                assert_eq!(int("c_i8"), (x as i8) as i128, "{ctx}");
                assert_eq!(int("c_i16"), (x as i16) as i128, "{ctx}");
                assert_eq!(int("c_i32"), (x as i32) as i128, "{ctx}");
                assert_eq!(int("c_i64"), (x as i64) as i128, "{ctx}");
            }
        }
    }};
}

#[test]
fn integer_semantics_match_rust_wrapping_ops() {
    check_type!(u8, ScalarType::U8);
    check_type!(u16, ScalarType::U16);
    check_type!(u32, ScalarType::U32);
    check_type!(u64, ScalarType::U64);
    check_type!(i8, ScalarType::I8);
    check_type!(i16, ScalarType::I16);
    check_type!(i32, ScalarType::I32);
    check_type!(i64, ScalarType::I64);
}

#[test]
fn boolean_semantics() {
    let p = build(
        "party A;\ninput x: secret bool from A;\ninput y: public bool from A;\n\
         output and_ = x and y to A;\noutput or_ = x or y to A;\noutput not_ = not x to A;\n\
         output eq = x == y to A;\noutput ne = x != y to A;\noutput n = x as u8 + y as u8 to A;\n",
    );
    for x in [false, true] {
        for y in [false, true] {
            let mut ins = Inputs::new();
            let m = ins.entry("A".into()).or_default();
            m.insert("x".into(), Value::Bool(x));
            m.insert("y".into(), Value::Bool(y));
            let o = &p.run(&ins).expect("runs")["A"];
            assert_eq!(o["and_"], Value::Bool(x && y));
            assert_eq!(o["or_"], Value::Bool(x || y));
            assert_eq!(o["not_"], Value::Bool(!x));
            assert_eq!(o["eq"], Value::Bool(x == y));
            assert_eq!(o["ne"], Value::Bool(x != y));
            assert_eq!(o["n"], Value::Int(i128::from(x) + i128::from(y)));
        }
    }
}

#[test]
fn division_by_public_zero_is_a_runtime_error_only_when_needed() {
    let p = build(&program_for(ScalarType::I32));
    match run3(&p, 5, 3, 0) {
        Err(RuntimeError::DivisionByZero { output, .. }) => assert_eq!(output, "div"),
        other => panic!("{other:?}"),
    }
    // Guarded by a public condition: only the taken branch matters.
    let p = build(
        "party A;\ninput x: secret u32 from A;\ninput d: public u32 from A;\n\
         output q = if d != 0 then x / d else 0 to A;\n",
    );
    let mut ins = Inputs::new();
    let m = ins.entry("A".into()).or_default();
    m.insert("x".into(), Value::Int(9));
    m.insert("d".into(), Value::Int(0));
    assert_eq!(p.run(&ins).expect("guarded")["A"]["q"], Value::Int(0));
    // Under a secret condition both branches are evaluated.
    let p = build(
        "party A;\ninput x: secret u32 from A;\ninput d: public u32 from A;\n\
         output q = if x > 3 then x / d else 0 to A;\n",
    );
    assert!(matches!(
        p.run(&ins),
        Err(RuntimeError::DivisionByZero { .. })
    ));
}

#[test]
fn input_validation() {
    let p = build(
        "party A; party B;\ninput x: secret u8 from A;\ninput v: [public i8; 2] from B;\noutput o = x + (v[0] as u8) to A;\n",
    );
    let good = || {
        let mut ins = Inputs::new();
        ins.entry("A".into())
            .or_default()
            .insert("x".into(), Value::Int(255));
        ins.entry("B".into()).or_default().insert(
            "v".into(),
            Value::Array(vec![Value::Int(-128), Value::Int(127)]),
        );
        ins
    };
    assert_eq!(p.run(&good()).expect("ok")["A"]["o"], Value::Int(127));
    let mut ins = good();
    ins.get_mut("A")
        .map(|m| m.insert("x".into(), Value::Int(256)));
    assert!(matches!(p.run(&ins), Err(RuntimeError::OutOfRange { .. })));
    let mut ins = good();
    ins.get_mut("A")
        .map(|m| m.insert("x".into(), Value::Bool(true)));
    assert!(matches!(p.run(&ins), Err(RuntimeError::WrongType { .. })));
    let mut ins = good();
    ins.get_mut("B")
        .map(|m| m.insert("v".into(), Value::Array(vec![Value::Int(1)])));
    assert!(matches!(p.run(&ins), Err(RuntimeError::WrongShape(_))));
    let mut ins = good();
    ins.get_mut("A").map(|m| m.remove("x"));
    assert!(matches!(
        p.run(&ins),
        Err(RuntimeError::MissingInput { .. })
    ));
    let mut ins = good();
    ins.get_mut("A")
        .map(|m| m.insert("v".into(), Value::Int(1)));
    assert!(matches!(
        p.run(&ins),
        Err(RuntimeError::UnexpectedInput { .. })
    ));
    let mut ins = good();
    ins.entry("C".into()).or_default();
    assert!(matches!(p.run(&ins), Err(RuntimeError::UnknownParty(_))));
}

#[test]
fn array_outputs_and_higher_order_functions() {
    let p = build(
        "party A;\nconst N = 3;\ninput xs: [secret i16; N] from A;\n\
         fn sq(v: secret i16) -> secret i16 { v * v }\n\
         fn bigger(a: secret i16, b: secret i16) -> secret i16 { if a > b then a else b }\n\
         let ys = map(xs, sq);\n\
         let idx = map(xs, |x, i| x + i);\n\
         output ys to A;\n\
         output idx to A;\n\
         output m = [[xs[0], xs[1]], [xs[2], 7i16]] to A;\n\
         output total = fold(xs, 100, |acc, x, i| acc - x * i) to A;\n\
         output big = reduce(xs, bigger) to A;\n\
         output small = reduce(xs, min) to A;\n\
         output d = dot(xs, [1, 2, 3]) to A;\n\
         output n = len(xs) as u8 to A;\n",
    );
    let mut ins = Inputs::new();
    ins.entry("A".into()).or_default().insert(
        "xs".into(),
        Value::Array(vec![Value::Int(-3), Value::Int(200), Value::Int(-32768)]),
    );
    let o = &p.run(&ins).expect("runs")["A"];
    let arr = |v: &[i128]| Value::Array(v.iter().map(|x| Value::Int(*x)).collect());
    assert_eq!(o["ys"], arr(&[9, (200i16.wrapping_mul(200)) as i128, 0]));
    assert_eq!(o["idx"], arr(&[-3, 201, -32766]));
    assert_eq!(
        o["m"],
        Value::Array(vec![arr(&[-3, 200]), arr(&[-32768, 7])])
    );
    let total = 100i16
        .wrapping_sub(200)
        .wrapping_sub((-32768i16).wrapping_mul(2));
    assert_eq!(o["total"], Value::Int(total as i128));
    assert_eq!(o["big"], Value::Int(200));
    assert_eq!(o["small"], Value::Int(-32768));
    let d = (-3i16)
        .wrapping_add(400)
        .wrapping_add((-32768i16).wrapping_mul(3));
    assert_eq!(o["d"], Value::Int(d as i128));
    assert_eq!(o["n"], Value::Int(3));
}
