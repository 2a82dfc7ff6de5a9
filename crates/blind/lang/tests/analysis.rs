//! Analyser numbers on known programs.

use synod_blind_lang::analysis::{CostModel, CostTable, analyse};
use synod_blind_lang::{Analysis, Options, compile};

fn analyse_src(src: &str) -> Analysis {
    match compile(src, &Options::default()) {
        Ok(p) => p.analysis,
        Err(e) => panic!("{}", e.render("t.blind", src)),
    }
}

const HDR: &str = "party A; party B;\ninput x: secret u32 from A;\ninput y: secret u32 from B;\n\
                   input z: secret u32 from B;\ninput k: public u32 from B;\n";

fn prog(outputs: &str) -> String {
    format!("{HDR}let use_all = x + y + z + k;\n{outputs}")
}

#[test]
fn linear_operations_are_free() {
    let a = analyse_src(&prog("output o = (use_all - x * 3 + k * y) as u64 to A;\n"));
    assert_eq!(a.mult_gates, 0);
    assert_eq!(a.secret_mults, 0);
    assert_eq!(a.comparisons, 0);
    // u32 -> u64 of an unreduced sum: one reduction at 32 bits first.
    assert_eq!(a.wraps, 1);
    assert_eq!(a.online_rounds, CostTable::default().wrap.rounds);
    assert_eq!(a.secret_inputs, 3);
    assert_eq!(a.public_inputs, 1);
}

#[test]
fn multiplication_depth_and_rounds() {
    // ((x*y)*z) * ((x*y)*z) -> 3 multiplication gates after CSE, depth 3.
    let a = analyse_src(&prog(
        "output o = (x * y * z) * (z * (y * x)) + use_all to A;\n",
    ));
    assert_eq!(a.secret_mults, 3);
    assert_eq!(a.mult_gates, 3);
    assert_eq!(a.mult_depth, 3);
    let t = CostTable::default();
    assert_eq!(a.online_rounds, 3 * t.mul.rounds + t.wrap.rounds);
    assert_eq!(a.wraps, 1, "only the output is reduced");
    assert_eq!(a.comparisons, 0);
}

#[test]
fn comparisons_equality_division_reveal() {
    let a = analyse_src(&prog(
        "output c = x < y to A;\n\
         output e = x == y to A;\n\
         output d = (x / 7) % k to A;\n\
         output r = reveal(y) + use_all to B;\n",
    ));
    assert_eq!(a.comparisons, 1);
    assert_eq!(a.equality_tests, 1);
    assert_eq!(a.divisions, 2);
    assert_eq!(a.reveals, 1);
    assert_eq!(a.wraps, 1, "the r output");
    let t = CostTable::default();
    assert_eq!(
        a.output_rounds,
        vec![
            t.compare.rounds,
            t.equal.rounds,
            2 * t.divide.rounds,
            t.reveal.rounds + t.wrap.rounds
        ]
    );
    assert_eq!(a.online_rounds, 2 * t.divide.rounds);
    // Preprocessing: one bitwise random per compare, equality, division, wrap.
    assert_eq!(a.preprocessing.bitwise_randoms, 1 + 1 + 2 + 1);
    assert_eq!(a.preprocessing.trunc_pairs, 1 + 2 + 1);
    assert_eq!(
        a.preprocessing.random_bits,
        (32 * (t.compare.random_bits_per_bit
            + t.equal.random_bits_per_bit
            + 2 * t.divide.random_bits_per_bit
            + t.wrap.random_bits_per_bit)) as u64
    );
}

#[test]
fn comparison_of_unreduced_values_needs_wraps() {
    let a = analyse_src(&prog(
        "output c = x + y < z * x to A;\noutput u = use_all to A;\n",
    ));
    // x + y and z * x are both unreduced: two wraps, then one comparison.
    assert_eq!(a.comparisons, 1);
    assert_eq!(a.wraps, 3, "x+y, z*x and the use_all output");
    let t = CostTable::default();
    assert_eq!(
        a.output_rounds[0],
        t.mul.rounds + t.wrap.rounds + t.compare.rounds
    );
}

#[test]
fn multiplexers_and_boolean_gates() {
    let a = analyse_src(&prog(
        "let c = x < y;\n\
         output m1 = if c then x else y to A;\n\
         output m2 = if c then 1u32 else 2u32 to A;\n\
         output m3 = if k > 3 then x else y to A;\n\
         output bb = (c and (z < x)) or not c to A;\n\
         output u = use_all to A;\n",
    ));
    // m1: secret mux (1 gate); m2: public branches (free); m3: public condition (free);
    // bb: and + or on secrets (2 gates).
    assert_eq!(a.mult_gates, 3);
    assert_eq!(a.comparisons, 2);
    assert_eq!(a.mult_depth, 2);
}

#[test]
fn field_headroom_forces_reductions() {
    // u64 products: 64 -> 128 -> 192 bits fit in 213, the next one does not.
    let src = "party A;\ninput x: secret u64 from A;\noutput o = x * x * x * x * x to A;\n";
    let a = analyse_src(src);
    assert_eq!(a.secret_mults, 4);
    assert!(a.wraps >= 2, "a mid-chain reduction plus the output: {a:?}");
}

#[test]
fn bytes_scale_with_committee_size() {
    let src = prog("output o = x * y to A;\n");
    let p = compile(&src, &Options::default()).expect("compiles");
    let m3 = analyse(&p.mir, &CostModel::default()).expect("valid");
    let m5 = analyse(
        &p.mir,
        &CostModel {
            parties: 5,
            ..CostModel::default()
        },
    )
    .expect("valid");
    // online elements per multiplication/opening: n(n-1).
    assert_eq!(m3.online_bytes, (m3.total_mults + m3.total_opens) * 6 * 32);
    assert_eq!(m5.online_bytes, (m5.total_mults + m5.total_opens) * 20 * 32);
    assert_eq!(m3.input_bytes, 3 * 3 * 32);
    assert_eq!(m5.input_bytes, 3 * 5 * 32);
    assert!(m5.bytes_per_member > m3.bytes_per_member);
}

#[test]
fn cost_table_is_configurable() {
    let src = prog("output c = x < y to A;\noutput u = use_all to A;\n");
    let p = compile(&src, &Options::default()).expect("compiles");
    let mut model = CostModel::default();
    model.table.compare.rounds = 2;
    model.table.wrap.rounds = 1;
    let a = analyse(&p.mir, &model).expect("valid");
    assert_eq!(a.output_rounds, vec![2, 1]);
}
