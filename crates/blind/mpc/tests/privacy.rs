//! Exhaustive privacy checks over tiny prime fields (p = 7, 11).
//!
//! For every coalition of `t` parties and every secret, enumerate *all*
//! sharing polynomials and compare the distribution of the coalition's
//! shares: it must be the same (here: uniform, each tuple exactly once) for
//! every secret. Also checks that any `t + 1` shares determine the secret,
//! and that the view of one party in a GRR multiplication is independent of
//! the multiplied secrets.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use ark_ff::PrimeField;
use ark_ff::fields::{Fp64, MontBackend, MontConfig};
use synod_mpc::shamir::{
    lagrange_at_zero, reconstruct, share_with_coefficients, share_with_points,
};
use synod_mpc::{MpcField, PartyId, Share};

/// Configuration of the 11-element field.
#[derive(MontConfig)]
#[modulus = "11"]
#[generator = "2"]
pub struct F11Config;
type F11 = Fp64<MontBackend<F11Config, 1>>;

/// Configuration of the 7-element field.
#[derive(MontConfig)]
#[modulus = "7"]
#[generator = "3"]
pub struct F7Config;
type F7 = Fp64<MontBackend<F7Config, 1>>;

fn elems<F: PrimeField>() -> Vec<F> {
    let p = F::MODULUS.as_ref()[0];
    (0..p).map(F::from).collect()
}

fn val<F: PrimeField>(x: F) -> u64 {
    x.into_bigint().as_ref()[0]
}

/// All vectors of length `len` over the field.
fn all_vectors<F: PrimeField>(len: usize) -> Vec<Vec<F>> {
    let e = elems::<F>();
    let mut out = vec![Vec::new()];
    for _ in 0..len {
        out = out
            .into_iter()
            .flat_map(|v| {
                e.iter().map(move |x| {
                    let mut w = v.clone();
                    w.push(*x);
                    w
                })
            })
            .collect();
    }
    out
}

fn subsets(n: usize, k: usize) -> Vec<Vec<PartyId>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
        .collect()
}

type Histogram = BTreeMap<Vec<u64>, u64>;

fn check_shamir_privacy<F: PrimeField>(n: usize, t: usize, by_points: bool) {
    let p = F::MODULUS.as_ref()[0];
    let randomness = all_vectors::<F>(t);
    let coalitions = subsets(n, t);
    let first_ids: Vec<PartyId> = (0..=t).collect();
    let last_ids: Vec<PartyId> = (n - t - 1..n).collect();
    let lambda_first = lagrange_at_zero::<F>(&first_ids).unwrap();
    let lambda_last = lagrange_at_zero::<F>(&last_ids).unwrap();
    let mut reference: Option<Vec<Histogram>> = None;
    for secret in elems::<F>() {
        let mut hists: Vec<Histogram> = vec![Histogram::new(); coalitions.len()];
        for r in &randomness {
            let shares = if by_points {
                share_with_points(secret, r, n)
            } else {
                share_with_coefficients(secret, r, n)
            };
            // t + 1 shares always reconstruct (first t+1 parties and the last t+1).
            let rec = |ids: &[PartyId], lam: &[F]| -> F {
                ids.iter().zip(lam).map(|(i, l)| shares[*i].raw() * l).sum()
            };
            assert_eq!(rec(&first_ids, &lambda_first), secret);
            assert_eq!(rec(&last_ids, &lambda_last), secret);
            for (c, coalition) in coalitions.iter().enumerate() {
                let view: Vec<u64> = coalition.iter().map(|&i| val(shares[i].raw())).collect();
                *hists[c].entry(view).or_insert(0) += 1;
            }
        }
        for h in &hists {
            // Uniform: every one of the p^t share tuples appears exactly once.
            assert_eq!(h.len() as u64, p.pow(t as u32));
            assert!(h.values().all(|c| *c == 1));
        }
        match &reference {
            None => reference = Some(hists),
            Some(h) => assert_eq!(h, &hists, "some coalition distinguishes secrets"),
        }
    }
    // The library's own reconstruction agrees.
    let shares = share_with_points(F::from(3u64), &randomness[randomness.len() - 1], n);
    let pts: Vec<(PartyId, Share<F>)> = shares.into_iter().enumerate().collect();
    assert_eq!(reconstruct(&pts, t).unwrap(), F::from(3u64));
}

#[test]
fn any_t_shares_are_independent_of_the_secret_p11() {
    for (n, t) in [(3, 1), (5, 1), (5, 2)] {
        check_shamir_privacy::<F11>(n, t, false);
        check_shamir_privacy::<F11>(n, t, true);
    }
}

#[test]
fn any_t_shares_are_independent_of_the_secret_p7() {
    for (n, t) in [(3, 1), (5, 2), (6, 2)] {
        check_shamir_privacy::<F7>(n, t, false);
        check_shamir_privacy::<F7>(n, t, true);
    }
}

#[test]
fn seven_parties_threshold_three_p11() {
    // n = 7 needs 7 distinct non-zero points, so p = 11.
    check_shamir_privacy::<F11>(7, 3, true);
}

#[test]
fn grr_multiplication_view_is_independent_of_inputs() {
    // n = 3, t = 1 over F11. Party `i`'s view of one multiplication: its
    // shares of a and b plus the reshares it receives from the two others.
    // Enumerate the sharing polynomials of a and b and the resharing
    // randomness of the other parties (p^4 cases) for every pair of secrets
    // and compare the view histograms.
    let n = 3;
    let all: Vec<PartyId> = (0..n).collect();
    let lambda = lagrange_at_zero::<F11>(&all).unwrap();
    let e = elems::<F11>();
    for observer in 0..n {
        let others: Vec<PartyId> = (0..n).filter(|j| *j != observer).collect();
        // reshare[z][r] = the observer's point of the degree-1 polynomial
        // through (0, z) and (1, r), exactly as `share_with_points` builds it.
        let reshare: Vec<Vec<u64>> = e
            .iter()
            .map(|z| {
                e.iter()
                    .map(|r| val(share_with_points(*z, &[*r], n)[observer].raw()))
                    .collect()
            })
            .collect();
        let mut reference: Option<Vec<u32>> = None;
        for a in &e {
            for b in &e {
                let mut hist = vec![0u32; 11usize.pow(4)];
                for ra in &e {
                    let sa = share_with_points(*a, &[*ra], n);
                    for rb in &e {
                        let sb = share_with_points(*b, &[*rb], n);
                        let z: Vec<usize> = others
                            .iter()
                            .map(|j| val(sa[*j].raw() * sb[*j].raw() * lambda[*j]) as usize)
                            .collect();
                        for r1 in 0..e.len() {
                            for r2 in 0..e.len() {
                                let view = [
                                    val(sa[observer].raw()),
                                    val(sb[observer].raw()),
                                    reshare[z[0]][r1],
                                    reshare[z[1]][r2],
                                ];
                                let idx = view.iter().fold(0usize, |acc, v| acc * 11 + *v as usize);
                                hist[idx] += 1;
                            }
                        }
                    }
                }
                match &reference {
                    None => reference = Some(hist),
                    Some(h) => assert_eq!(h, &hist, "view of {observer} depends on ({a}, {b})"),
                }
            }
        }
    }
}

#[test]
fn the_multiplication_is_correct_over_the_tiny_field() {
    // Same emulation as above: summing all reshares gives shares of a*b.
    let n = 3;
    let all: Vec<PartyId> = (0..n).collect();
    let lambda = lagrange_at_zero::<F11>(&all).unwrap();
    let e = elems::<F11>();
    for a in &e {
        for b in &e {
            let sa = share_with_points(*a, &[F11::from(3u64)], n);
            let sb = share_with_points(*b, &[F11::from(5u64)], n);
            let mut out = vec![F11::from(0u64); n];
            for j in 0..n {
                let z = sa[j].raw() * sb[j].raw() * lambda[j];
                for (o, s) in
                    out.iter_mut()
                        .zip(share_with_points(z, &[F11::from(j as u64 + 1)], n))
                {
                    *o += s.raw();
                }
            }
            let pts: Vec<(PartyId, Share<F11>)> =
                out.into_iter().map(Share::from_raw).enumerate().collect();
            assert_eq!(reconstruct(&pts, 1).unwrap(), *a * *b);
        }
    }
    // the generic sampler works for tiny fields too
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let mut seen = [false; 11];
    for _ in 0..500 {
        seen[val(F11::random(&mut rng)) as usize] = true;
    }
    assert!(seen.iter().all(|s| *s));
}
