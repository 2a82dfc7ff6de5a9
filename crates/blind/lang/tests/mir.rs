//! MIR canonicality, encoding and program ids.

use synod_blind_lang::{Mir, MirError, Op, Options, ProgramId, compile};

fn id(src: &str) -> ProgramId {
    match compile(src, &Options::default()) {
        Ok(p) => p.program_id,
        Err(e) => panic!("{}", e.render("t.blind", src)),
    }
}

const BASE: &str = "party Alice; party Bob;
input a: secret u32 from Alice;
input b: secret u32 from Bob;
input k: public u32 from Bob;
let s = a * b + k;
output r = if s > 10 then s else a to Alice;
";

#[test]
fn whitespace_and_comments_do_not_matter() {
    let reformatted = "// a comment\nparty   Alice ;party Bob;\n\n\
        input a : secret u32 from Alice; // trailing\n\
        input b: secret u32 from Bob; input k: public u32 from Bob;\n\
        let s=a*b+k;\n   output r = if s>10 then s else a to Alice;";
    assert_eq!(id(BASE), id(reformatted));
}

#[test]
fn local_names_order_and_commutativity_do_not_matter() {
    // Renamed lets, an extra unused let, commuted operands, inlined function.
    let variant = "party Alice; party Bob;
input a: secret u32 from Alice;
input b: secret u32 from Bob;
input k: public u32 from Bob;
fn mac(x: secret u32, y: secret u32, z: public u32) -> secret u32 { z + y * x }
let unused = a - b;
let total = mac(a, b, k);
output r = if 10 < total then total else a to Alice;
";
    assert_eq!(id(BASE), id(variant));
    // Parenthesised constant arithmetic folds away.
    let folded = BASE.replace("s > 10", "s > (2 + 4 * 2)");
    assert_eq!(id(BASE), id(&folded));
}

#[test]
fn semantic_changes_change_the_id() {
    let changes = [
        BASE.replace("a * b + k", "a * b - k"),
        BASE.replace("s > 10", "s >= 10"),
        BASE.replace("s > 10", "s > 11"),
        BASE.replace("else a", "else b"),
        BASE.replace("to Alice;\n", "to Bob;\n"),
        BASE.replace("output r", "output result"),
        BASE.replace("input k: public", "input k: secret"),
        BASE.replace("u32", "u64"),
        BASE.replace("party Alice; party Bob;", "party Bob; party Alice;"),
    ];
    let base = id(BASE);
    let mut seen = vec![base];
    for c in &changes {
        let i = id(c);
        assert!(!seen.contains(&i), "collision for:\n{c}");
        seen.push(i);
    }
}

#[test]
fn id_is_stable_across_compiles_and_matches_blake3_of_bytes() {
    let p = compile(BASE, &Options::default()).expect("compiles");
    let q = compile(BASE, &Options::default()).expect("compiles");
    assert_eq!(p.bytes, q.bytes);
    assert_eq!(p.program_id, ProgramId(*blake3::hash(&p.bytes).as_bytes()));
    assert_eq!(p.program_id, p.mir.program_id());
    assert_eq!(p.program_id.to_string().len(), 64);
}

#[test]
fn decode_roundtrip_and_canonical_checks() {
    let p = compile(BASE, &Options::default()).expect("compiles");
    let m = Mir::decode(&p.bytes).expect("decodes");
    assert_eq!(m, p.mir);
    assert_eq!(m.encode(), p.bytes);
    assert_eq!(m.canonicalize().expect("valid"), m);

    // Swapping the operands of a commutative node is not canonical.
    let mut swapped = p.mir.clone();
    let pos = swapped
        .nodes
        .iter()
        .position(|op| matches!(op, Op::Mul(..)))
        .expect("has a mul");
    if let Op::Mul(x, y) = swapped.nodes[pos] {
        swapped.nodes[pos] = Op::Mul(y, x);
    }
    assert_eq!(Mir::decode(&swapped.encode()), Err(MirError::NonCanonical));
    assert_eq!(swapped.canonicalize().expect("valid"), p.mir);

    // Duplicated node (no CSE) is not canonical.
    let mut dup = p.mir.clone();
    let last = dup.nodes.len() as u32 - 1;
    dup.nodes.push(dup.nodes[last as usize]);
    dup.outputs[0].nodes[0] = last + 1;
    assert_eq!(Mir::decode(&dup.encode()), Err(MirError::NonCanonical));
    assert_eq!(dup.canonicalize().expect("valid"), p.mir);

    // Bad magic, version and type codes.
    assert_eq!(Mir::decode(b"NOTMIR"), Err(MirError::BadMagic));
    let mut v2 = p.bytes.clone();
    v2[5] = 2;
    assert_eq!(Mir::decode(&v2), Err(MirError::UnsupportedVersion(2)));
}

#[test]
fn mir_text_listing() {
    let p = compile(BASE, &Options::default()).expect("compiles");
    let text = p.mir.to_text();
    assert!(text.contains("= mul"), "{text}");
    assert!(text.contains("output r[] to Alice"), "{text}");
}

#[test]
fn examples_survive_pretty_printing() {
    for src in [
        include_str!("../examples/auction.blind"),
        include_str!("../examples/private_average.blind"),
        include_str!("../examples/miner_score.blind"),
    ] {
        let ast = synod_blind_lang::parser::parse(src).expect("parses");
        let printed = synod_blind_lang::pretty::program(&ast);
        assert_eq!(id(src), id(&printed), "{printed}");
    }
}
