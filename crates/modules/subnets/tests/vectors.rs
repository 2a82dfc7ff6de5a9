//! Subtensor coinbase / emission vectors (reference §9.2 E), asserted exactly. Where subtensor's
//! test has a tolerance (it computes in floating-ish fixed point), the exact value our integer
//! math gives is asserted and shown to be within that tolerance.

use synod_subnets::emission::{
    Q64_ONE, block_emission, injection, split_alpha, tao_shares, update_moving_price,
};

const SUPPLY: u64 = 21_000_000_000_000_000;
const BASE: u64 = 1_000_000_000;

#[test]
fn block_emission_halvings() {
    assert_eq!(block_emission(0, SUPPLY, BASE), 1_000_000_000);
    assert_eq!(
        block_emission(10_500_000_000_000_000 - 1, SUPPLY, BASE),
        1_000_000_000
    );
    assert_eq!(
        block_emission(10_500_000_000_000_000, SUPPLY, BASE),
        500_000_000
    );
    assert_eq!(
        block_emission(15_750_000_000_000_000, SUPPLY, BASE),
        250_000_000
    );
    assert_eq!(
        block_emission(18_375_000_000_000_000, SUPPLY, BASE),
        125_000_000
    );
    assert_eq!(block_emission(21_000_000_000_000_000, SUPPLY, BASE), 0);
    assert_eq!(block_emission(u64::MAX, SUPPLY, BASE), 0);
}

/// `test_coinbase_tao_issuance_different_prices`: EMA prices 0.1 and 0.2 (reserves 100,000
/// SYN units against 1,000,000 and 500,000 alpha units), block emission 100,000,000: the pools
/// grow by emission/3 and 2·emission/3 (subtensor: ±10).
#[test]
fn price_proportional_shares_and_price_neutral_injection() {
    let p1 = Q64_ONE / 10; // floor(0.1 · 2^64)
    let p2 = Q64_ONE / 5;
    let shares = tao_shares(100_000_000, &[p1, p2]);
    assert_eq!(shares, vec![33_333_333, 66_666_666]);
    let i1 = injection(shares[0], 100_000, 1_000_000, 1_000_000_000);
    let i2 = injection(shares[1], 100_000, 500_000, 1_000_000_000);
    assert_eq!((i1.tao_in, i1.alpha_in), (33_333_333, 333_333_330));
    assert_eq!((i2.tao_in, i2.alpha_in), (66_666_666, 333_333_330));
    // Injection in the price ratio keeps the price (0.1 and 0.2) unchanged.
    assert_eq!((100_000 + i1.tao_in) * 10, 1_000_000 + i1.alpha_in);
    assert_eq!((100_000 + i2.tao_in) * 5, 500_000 + i2.alpha_in);
    // All zero prices: nothing emitted.
    assert_eq!(tao_shares(100_000_000, &[0, 0]), vec![0, 0]);
}

/// `test_update_moving_price_after_time`: SubnetMovingAlpha 0.5, spot 1.0, EMA 0, 144M
/// blocks since start, EMA halving 201,600 blocks → ≈ 0.5 (exactly 0.5 · b/(b + H)).
#[test]
fn moving_price_after_time() {
    let ema = update_moving_price(0, Q64_ONE, 500_000_000, 144_000_000, 201_600);
    assert_eq!(ema, 9_210_477_368_538_821_457);
    let approx = ema as f64 / Q64_ONE as f64;
    assert!((approx - 0.5).abs() < 0.001, "{approx}");
    // The spot price enters capped at 1.
    assert_eq!(
        update_moving_price(0, 5 * Q64_ONE, 500_000_000, 144_000_000, 201_600),
        ema
    );
}

/// 18% owner, 41% miners, 41% validators × (1 − root proportion), 41% × root proportion to
/// root stakers; the parts sum to the emission exactly.
#[test]
fn owner_miner_validator_root_split() {
    let s = split_alpha(1_000_000_000, 11_796, 0);
    assert_eq!(
        (s.owner, s.server, s.validator, s.root),
        (179_995_422, 410_002_289, 410_002_289, 0)
    );
    let s = split_alpha(1_000_000_000, 11_796, Q64_ONE / 2);
    assert_eq!(
        (s.owner, s.server, s.validator, s.root),
        (179_995_422, 410_002_289, 205_001_145, 205_001_144)
    );
    assert_eq!(s.owner + s.server + s.validator + s.root, 1_000_000_000);
    let s = split_alpha(1_000_000_000, 11_796, Q64_ONE);
    assert_eq!((s.validator, s.root), (0, 410_002_289));
}
