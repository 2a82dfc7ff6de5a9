//! The example programs in `examples/`, run on the reference interpreter.

use synod_blind_lang::{Compiled, Inputs, Options, Outputs, Value, compile};

const AUCTION: &str = include_str!("../examples/auction.blind");
const AVERAGE: &str = include_str!("../examples/private_average.blind");
const MINER: &str = include_str!("../examples/miner_score.blind");

fn build(src: &str) -> Compiled {
    match compile(src, &Options::default()) {
        Ok(p) => {
            assert!(p.warnings.is_empty(), "{:?}", p.warnings);
            p
        }
        Err(e) => panic!("{}", e.render("example.blind", src)),
    }
}

fn inputs(entries: &[(&str, &str, Value)]) -> Inputs {
    let mut m = Inputs::new();
    for (party, name, v) in entries {
        m.entry(party.to_string())
            .or_default()
            .insert(name.to_string(), v.clone());
    }
    m
}

fn ints(xs: &[i128]) -> Value {
    Value::Array(xs.iter().map(|x| Value::Int(*x)).collect())
}

fn get<'a>(out: &'a Outputs, party: &str, name: &str) -> &'a Value {
    &out[party][name]
}

fn auction(bids: [i128; 4]) -> Outputs {
    let p = build(AUCTION);
    let ins = inputs(&[
        ("Bidder0", "bid0", Value::Int(bids[0])),
        ("Bidder1", "bid1", Value::Int(bids[1])),
        ("Bidder2", "bid2", Value::Int(bids[2])),
        ("Bidder3", "bid3", Value::Int(bids[3])),
    ]);
    p.run(&ins).expect("runs")
}

#[test]
fn auction_reveals_only_winner_and_price_to_seller() {
    let out = auction([10, 42, 7, 41]);
    assert_eq!(out.len(), 1, "only the seller receives outputs: {out:?}");
    assert_eq!(get(&out, "Seller", "winner"), &Value::Int(1));
    assert_eq!(get(&out, "Seller", "price"), &Value::Int(42));
    assert_eq!(out["Seller"].len(), 2);
}

#[test]
fn auction_edge_cases() {
    // Ties go to the lowest index; extreme values.
    let out = auction([5, 9, 9, 1]);
    assert_eq!(get(&out, "Seller", "winner"), &Value::Int(1));
    let max = u32::MAX as i128;
    let out = auction([0, 0, 0, max]);
    assert_eq!(get(&out, "Seller", "winner"), &Value::Int(3));
    assert_eq!(get(&out, "Seller", "price"), &Value::Int(max));
    let out = auction([0, 0, 0, 0]);
    assert_eq!(get(&out, "Seller", "winner"), &Value::Int(0));
    assert_eq!(get(&out, "Seller", "price"), &Value::Int(0));
}

#[test]
fn auction_cost() {
    let p = build(AUCTION);
    let a = &p.analysis;
    // bid0 > 0 against the public initial state still needs a comparison:
    // 4 comparisons, each followed by a secret multiplexer on 2 elements.
    assert_eq!(a.comparisons, 4);
    assert_eq!(a.secret_inputs, 4);
    assert!(a.mult_gates >= 6, "{a:?}");
    assert!(a.online_rounds >= 4 * 4, "{a:?}");
}

fn average(scores: &[i128], threshold: i128) -> Outputs {
    let p = build(AVERAGE);
    let ins = inputs(&[
        ("Curator", "scores", ints(scores)),
        ("Analyst", "threshold", Value::Int(threshold)),
    ]);
    p.run(&ins).expect("runs")
}

#[test]
fn private_average_matches_plain_computation() {
    let scores = [10, 90, 75, 60, 100, 3, 65535, 80];
    for threshold in [0, 59, 60, 79, 100, 65534, 65535] {
        let sel: Vec<i128> = scores.iter().copied().filter(|s| *s > threshold).collect();
        let count = sel.len() as i128;
        let avg = if count == 0 {
            0
        } else {
            sel.iter().sum::<i128>() / count
        };
        let out = average(&scores, threshold);
        assert_eq!(out.keys().collect::<Vec<_>>(), vec!["Analyst"]);
        assert_eq!(
            get(&out, "Analyst", "above"),
            &Value::Int(count),
            "t={threshold}"
        );
        assert_eq!(
            get(&out, "Analyst", "average"),
            &Value::Int(avg),
            "t={threshold}"
        );
    }
}

#[test]
fn private_average_cost() {
    let a = build(AVERAGE).analysis;
    // 8 threshold comparisons + 16 long-division comparisons + count == 0.
    assert_eq!(a.comparisons, 8 + 16);
    assert_eq!(a.equality_tests, 1);
    assert_eq!(a.divisions, 0);
}

fn miner(answer: &[i128], reference: &[i128], weights: &[i128]) -> Outputs {
    let p = build(MINER);
    let ins = inputs(&[
        ("Miner", "answer", ints(answer)),
        ("Validator", "reference", ints(reference)),
        ("Validator", "weights", ints(weights)),
    ]);
    p.run(&ins).expect("runs")
}

#[test]
fn miner_score_only_to_validator() {
    let reference = [100, -50, 0, 7, 1_000_000, -3, 42, 0];
    let weights = [1, 2, 3, 4, 5, 6, 7, 8];
    let answer = [105, -56, 0, 12, 999_990, 2, 40, i32::MIN as i128];
    // within 5: 105 yes, -56 no (6), 0 yes, 12 yes, 999990 no, 2 yes (5), 40 yes, MIN no
    let expected = 1 + 3 + 4 + 6 + 7;
    let out = miner(&answer, &reference, &weights);
    assert_eq!(out.keys().collect::<Vec<_>>(), vec!["Validator"]);
    assert_eq!(out["Validator"].len(), 1);
    assert_eq!(get(&out, "Validator", "score"), &Value::Int(expected));
    // Extreme values do not wrap in the i64 difference.
    let out = miner(
        &[i32::MAX as i128; 8],
        &[i32::MIN as i128; 8],
        &[u32::MAX as i128; 8],
    );
    assert_eq!(get(&out, "Validator", "score"), &Value::Int(0));
    let out = miner(&[7; 8], &[7; 8], &[u32::MAX as i128; 8]);
    // 8 × (2^32 − 1) wraps at u32.
    assert_eq!(
        get(&out, "Validator", "score"),
        &Value::Int((8 * (u32::MAX as i128)) % (1i128 << 32))
    );
}

#[test]
fn miner_score_cost() {
    let a = build(MINER).analysis;
    assert_eq!(
        a.comparisons, 16,
        "sign test and tolerance test per component"
    );
    assert_eq!(a.secret_mults, 8, "dot product");
    assert_eq!(a.reveals, 0);
}
