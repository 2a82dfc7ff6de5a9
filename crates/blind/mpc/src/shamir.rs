//! Shamir secret sharing over any prime field.
//!
//! Party `i` (0-based [`PartyId`]) holds the evaluation at the point `x = i + 1`
//! of a random polynomial of degree `t` whose constant term is the secret.
//! Any `t + 1` shares reconstruct; any `t` shares are uniformly distributed
//! whatever the secret (checked exhaustively over tiny fields in the tests).

use std::collections::HashMap;

use ark_ff::PrimeField;
use rand::Rng;

use crate::error::MpcError;
use crate::field::MpcField;
use crate::secret::Share;

/// Index of a committee member, `0..n`. Its evaluation point is `id + 1`.
pub type PartyId = usize;

/// Largest committee supported. PRSS needs `C(n, t)` keys, which is small for
/// the committees we target (n <= 7: at most 35 sets) and grows quickly after.
pub const MAX_PARTIES: usize = 16;

/// Committee parameters: `n` parties, corruption threshold `t` (degree of
/// the sharing polynomials), honest majority `t < n/2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Params {
    n: usize,
    t: usize,
}

impl Params {
    /// Validate `3 <= n <= MAX_PARTIES`, `1 <= t`, `2t < n`.
    pub fn new(n: usize, t: usize) -> Result<Self, MpcError> {
        let reason = if n < 3 {
            Some("n must be at least 3")
        } else if n > MAX_PARTIES {
            Some("n above MAX_PARTIES")
        } else if t == 0 {
            Some("t must be at least 1")
        } else if 2 * t >= n {
            Some("honest majority requires t < n/2")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(MpcError::InvalidParams { n, t, reason }),
            None => Ok(Self { n, t }),
        }
    }

    /// The largest `t` allowed for `n`: `(n - 1) / 2`.
    pub fn max_threshold(n: usize) -> Result<Self, MpcError> {
        Self::new(n, n.saturating_sub(1) / 2)
    }

    /// Number of parties.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Threshold (polynomial degree).
    pub fn t(&self) -> usize {
        self.t
    }
}

/// Evaluation point of a party.
#[inline]
pub fn eval_point<F: PrimeField>(id: PartyId) -> F {
    F::from(id as u64 + 1)
}

/// Given `f(0), f(1), ..., f(t)` of a degree-`t` polynomial, write
/// `f(1), ..., f(n)` into `out` using forward differences (additions only).
pub(crate) fn extend_by_differences<F: PrimeField>(head: &mut [F], n: usize, out: &mut Vec<F>) {
    let t = head.len() - 1;
    // Turn values into the forward-difference table at x = 0.
    for j in 1..=t {
        for i in (j..=t).rev() {
            let prev = head[i - 1];
            head[i] -= prev;
        }
    }
    out.clear();
    for _ in 0..n {
        for i in 0..t {
            let next = head[i + 1];
            head[i] += next;
        }
        out.push(head[0]);
    }
}

/// Shares of `secret` for parties `0..n`: the values at points `1..=t` are
/// drawn uniformly (equivalent to uniform coefficients) and the rest follow
/// by forward differences.
pub fn share<F: MpcField, R: Rng + ?Sized>(
    secret: F,
    params: &Params,
    rng: &mut R,
) -> Vec<Share<F>> {
    let mut head = Vec::with_capacity(params.t + 1);
    head.push(secret);
    for _ in 0..params.t {
        head.push(F::random(rng));
    }
    let mut out = Vec::with_capacity(params.n);
    extend_by_differences(&mut head, params.n, &mut out);
    out.into_iter().map(Share::from_raw).collect()
}

/// Shares of `secret` under the explicit polynomial
/// `f(x) = secret + coeffs[0] x + coeffs[1] x^2 + ...` (for exhaustive tests
/// and for callers that bring their own randomness).
pub fn share_with_coefficients<F: PrimeField>(secret: F, coeffs: &[F], n: usize) -> Vec<Share<F>> {
    (0..n)
        .map(|i| {
            let x: F = eval_point(i);
            let mut acc = F::zero();
            for c in coeffs.iter().rev() {
                acc = (acc + c) * x;
            }
            Share::from_raw(acc + secret)
        })
        .collect()
}

/// Shares of `secret` where the shares of parties `0..t` are given
/// (`head_values`, length `t`) and the others are determined. With uniform
/// `head_values` this is exactly [`share`].
pub fn share_with_points<F: PrimeField>(secret: F, head_values: &[F], n: usize) -> Vec<Share<F>> {
    let mut head = Vec::with_capacity(head_values.len() + 1);
    head.push(secret);
    head.extend_from_slice(head_values);
    let mut out = Vec::with_capacity(n);
    extend_by_differences(&mut head, n, &mut out);
    out.into_iter().map(Share::from_raw).collect()
}

/// Lagrange coefficients for interpolating at 0 from the given distinct
/// parties' evaluation points.
pub fn lagrange_at_zero<F: PrimeField>(parties: &[PartyId]) -> Result<Vec<F>, MpcError> {
    for (i, a) in parties.iter().enumerate() {
        if parties[..i].contains(a) {
            return Err(MpcError::NotEnoughShares {
                needed: parties.len(),
                have: i,
            });
        }
    }
    let mut out = Vec::with_capacity(parties.len());
    for &i in parties {
        let xi: F = eval_point(i);
        let mut num = F::one();
        let mut den = F::one();
        for &j in parties {
            if j != i {
                let xj: F = eval_point(j);
                num *= xj;
                den *= xj - xi;
            }
        }
        let inv = den.inverse().ok_or(MpcError::InvalidArgument(
            "evaluation points collide in this field (too many parties for p)",
        ))?;
        out.push(num * inv);
    }
    Ok(out)
}

/// Lagrange coefficients at 0, precomputed per party set (bitmask of ids).
#[derive(Clone, Debug, Default)]
pub struct LagrangeCache<F> {
    sets: HashMap<u64, Vec<F>>,
}

impl<F: PrimeField> LagrangeCache<F> {
    /// Empty cache.
    pub fn new() -> Self {
        Self {
            sets: HashMap::new(),
        }
    }

    /// Coefficients for the (sorted) set of parties.
    pub fn get(&mut self, parties: &[PartyId]) -> Result<&[F], MpcError> {
        let mut mask = 0u64;
        for &p in parties {
            if p >= 64 {
                return Err(MpcError::BadParty(p));
            }
            mask |= 1 << p;
        }
        if mask.count_ones() as usize != parties.len() {
            return Err(MpcError::NotEnoughShares {
                needed: parties.len(),
                have: mask.count_ones() as usize,
            });
        }
        if let std::collections::hash_map::Entry::Vacant(e) = self.sets.entry(mask) {
            let sorted: Vec<PartyId> = (0..64).filter(|i| mask & (1 << i) != 0).collect();
            e.insert(lagrange_at_zero(&sorted)?);
        }
        let sorted_order = parties.windows(2).all(|w| w[0] < w[1]);
        if !sorted_order {
            return Err(MpcError::InvalidArgument("party set must be sorted"));
        }
        Ok(self.sets.get(&mask).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// Reconstruct from shares of distinct parties, using the first `t + 1`.
pub fn reconstruct<F: PrimeField>(shares: &[(PartyId, Share<F>)], t: usize) -> Result<F, MpcError> {
    if shares.len() < t + 1 {
        return Err(MpcError::NotEnoughShares {
            needed: t + 1,
            have: shares.len(),
        });
    }
    let used = &shares[..t + 1];
    let ids: Vec<PartyId> = used.iter().map(|(i, _)| *i).collect();
    let lambda = lagrange_at_zero::<F>(&ids)?;
    Ok(used.iter().zip(lambda).map(|((_, s), l)| s.raw() * l).sum())
}

/// Reconstruct and check that *all* given shares lie on one polynomial of
/// degree <= `t` (detects inconsistent shares when more than `t + 1` are
/// available).
pub fn reconstruct_checked<F: PrimeField>(
    shares: &[(PartyId, Share<F>)],
    t: usize,
) -> Result<F, MpcError> {
    let secret = reconstruct(shares, t)?;
    let base: Vec<PartyId> = shares[..t + 1].iter().map(|(i, _)| *i).collect();
    for &(j, sj) in &shares[t + 1..] {
        // Interpolate the degree-t polynomial through the base points at x_j.
        let xj: F = eval_point(j);
        let mut val = F::zero();
        for (a, &(i, si)) in shares[..t + 1].iter().enumerate() {
            let xi: F = eval_point(i);
            let mut num = F::one();
            let mut den = F::one();
            for (b, &k) in base.iter().enumerate() {
                if a != b {
                    let xk: F = eval_point(k);
                    num *= xj - xk;
                    den *= xi - xk;
                }
            }
            let inv = den.inverse().ok_or(MpcError::InconsistentShares)?;
            val += si.raw() * num * inv;
        }
        if val != sj.raw() {
            return Err(MpcError::InconsistentShares);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Fr;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn differences_match_horner() {
        let mut rng = StdRng::seed_from_u64(1);
        for t in 1..4 {
            let secret = Fr::random(&mut rng);
            let heads: Vec<Fr> = (0..t).map(|_| Fr::random(&mut rng)).collect();
            let shares = share_with_points(secret, &heads, 9);
            for (i, h) in heads.iter().enumerate() {
                assert_eq!(shares[i].raw(), *h);
            }
            let pts: Vec<(PartyId, Share<Fr>)> = shares.iter().copied().enumerate().collect();
            assert_eq!(reconstruct_checked(&pts, t), Ok(secret));
        }
    }

    #[test]
    fn params_rules() {
        assert!(Params::new(3, 1).is_ok());
        assert!(Params::new(4, 2).is_err());
        assert!(Params::new(2, 0).is_err());
        assert!(Params::new(7, 3).is_ok());
        assert_eq!(Params::max_threshold(5).map(|p| p.t()), Ok(2));
    }

    #[test]
    fn checked_reconstruction_detects_tampering() {
        let mut rng = StdRng::seed_from_u64(2);
        let p = Params::new(5, 2).unwrap();
        let shares = share(Fr::from(42u64), &p, &mut rng);
        let mut pts: Vec<(PartyId, Share<Fr>)> = shares.into_iter().enumerate().collect();
        assert_eq!(reconstruct_checked(&pts, 2), Ok(Fr::from(42u64)));
        pts[4].1 = pts[4].1.add_public(Fr::from(1u64));
        assert_eq!(
            reconstruct_checked(&pts, 2),
            Err(MpcError::InconsistentShares)
        );
    }
}
