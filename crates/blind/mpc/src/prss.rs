//! Pseudo-random secret sharing (PRSS, Cramer–Damgård–Ishai 2005).
//!
//! For every maximal unqualified set `A` (every set of exactly `t` parties)
//! the `n - t` parties outside `A` share a PRF key `k_A`. Party `i` obtains a
//! degree-`t` Shamir share of the pseudo-random value `r = Σ_A PRF(k_A, c)`
//! without any interaction as `Σ_{A ∌ i} PRF(k_A, c) · f_A(i)`, where `f_A`
//! is the degree-`t` polynomial with `f_A(0) = 1` and `f_A(j) = 0` for
//! `j ∈ A`. A coalition of `t` parties misses the key of its own set, so `r`
//! looks uniform to it.
//!
//! Why PRSS and not double-random sharings: for the committees we target
//! (n <= 7 gives at most C(7,3) = 35 keys, 20 per party) PRSS needs no
//! communication at all after a one-round key setup, while Damgård–Nielsen
//! double sharings cost a round and `O(n^2)` traffic per batch. PRSS also
//! gives *bounded* random integers (each PRF output drawn from `[0, 2^b)`),
//! which the statistical masks of comparison and division need. The price is
//! `C(n-1, t)` PRF calls per random share, acceptable up to `n ≈ 10`.
//!
//! Key setup is dealer-free: the lowest-indexed party outside `A` samples
//! `k_A` and sends it to the other parties outside `A` (one round), so no
//! member of `A` ever sees it.

use ark_ff::PrimeField;
use rand::Rng;

use crate::error::MpcError;
use crate::field::{MpcField, from_limbs, write_element};
use crate::secret::Share;
use crate::shamir::{Params, PartyId, eval_point};

/// Field elements used to carry one PRF key in the setup message.
pub(crate) fn key_elements<F: PrimeField>() -> usize {
    let per = (F::MODULUS_BIT_SIZE - 1) as usize;
    256usize.div_ceil(per)
}

/// All `t`-subsets of `0..n` as bitmasks, in increasing numeric order (the
/// same order at every party).
pub(crate) fn unqualified_sets(n: usize, t: usize) -> Vec<u32> {
    (0u32..(1u32 << n))
        .filter(|m| m.count_ones() as usize == t)
        .collect()
}

/// Lowest-indexed party outside the set: it samples the set's key.
pub(crate) fn key_owner(set: u32, n: usize) -> PartyId {
    (0..n).find(|i| set & (1 << i) == 0).unwrap_or(0)
}

struct Key<F> {
    key: [u8; 32],
    weight: F,
}

/// One party's PRSS state.
pub(crate) struct Prss<F> {
    keys: Vec<Key<F>>,
    counter: u64,
}

impl<F: MpcField> Prss<F> {
    /// Build from the keys of the sets this party is outside of, in
    /// [`unqualified_sets`] order, derived from the raw key elements.
    pub(crate) fn new(
        params: &Params,
        me: PartyId,
        key_material: Vec<(u32, Vec<F>)>,
    ) -> Result<Self, MpcError> {
        let xi: F = eval_point(me);
        let mut keys = Vec::with_capacity(key_material.len());
        for (set, elems) in key_material {
            let mut weight = F::one();
            for j in 0..params.n() {
                if set & (1 << j) != 0 {
                    let xj: F = eval_point(j);
                    let inv = xj.inverse().ok_or(MpcError::InvalidArgument(
                        "field too small for this committee",
                    ))?;
                    weight *= (xj - xi) * inv;
                }
            }
            let mut bytes = Vec::new();
            bytes.extend_from_slice(b"synod-mpc/prss-key/v1");
            bytes.extend_from_slice(&set.to_le_bytes());
            for e in &elems {
                write_element(e, &mut bytes);
            }
            keys.push(Key {
                key: *blake3::hash(&bytes).as_bytes(),
                weight,
            });
        }
        Ok(Self { keys, counter: 0 })
    }

    fn stream(&self, key: &[u8; 32], tag: u8, ctr: u64) -> blake3::OutputReader {
        let mut h = blake3::Hasher::new_keyed(key);
        h.update(&[tag]);
        h.update(&ctr.to_le_bytes());
        h.finalize_xof()
    }

    /// Shares of `count` pseudo-random uniform field elements.
    ///
    /// Each PRF output is drawn by rejection sampling from the key's stream
    /// ([`MpcField::from_candidate`]); every holder of the key reads the same
    /// stream and so draws the same values. (Reducing 64 stream bytes modulo
    /// `p` instead cost ~70 field multiplications per value and dominated
    /// job start-up for large batches.)
    pub(crate) fn random_field(&mut self, count: usize) -> Vec<Share<F>> {
        let ctr = self.counter;
        self.counter += 1;
        let mut acc = vec![F::zero(); count];
        let width = F::candidate_bytes();
        // Read the stream in blocks: one XOF call per block, not per value.
        let block = width * 128;
        let mut buf = vec![0u8; block];
        for k in &self.keys {
            let mut rd = self.stream(&k.key, 0, ctr);
            let mut pos = block;
            for a in acc.iter_mut() {
                let x = loop {
                    if pos + width > block {
                        rd.fill(&mut buf);
                        pos = 0;
                    }
                    let c = F::from_candidate(&buf[pos..pos + width]);
                    pos += width;
                    if let Some(x) = c {
                        break x;
                    }
                };
                *a += x * k.weight;
            }
        }
        acc.into_iter().map(Share::from_raw).collect()
    }

    /// Shares of `count` random integers `r = Σ_A r_A` with every `r_A`
    /// uniform in `[0, 2^bits)`; hence `0 <= r < C(n,t) · 2^bits` and
    /// `x + r` statistically hides any `x < 2^(bits - κ)` from `t` parties.
    pub(crate) fn random_ints(&mut self, count: usize, bits: u32) -> Vec<Share<F>> {
        let ctr = self.counter;
        self.counter += 1;
        let limbs = bits.div_ceil(64) as usize;
        let top = bits - 64 * (limbs as u32).saturating_sub(1);
        let mut acc = vec![F::zero(); count];
        let mut buf = vec![0u8; limbs * 8];
        let mut words = vec![0u64; limbs];
        for k in &self.keys {
            let mut rd = self.stream(&k.key, 1, ctr);
            for a in acc.iter_mut() {
                rd.fill(&mut buf);
                for (w, c) in words.iter_mut().zip(buf.chunks_exact(8)) {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    *w = u64::from_le_bytes(b);
                }
                if let Some(last) = words.last_mut()
                    && top < 64
                {
                    *last &= (1u64 << top) - 1;
                }
                *a += from_limbs::<F>(&words) * k.weight;
            }
        }
        acc.into_iter().map(Share::from_raw).collect()
    }
}

/// Sample fresh key material for one set.
pub(crate) fn sample_key<F: MpcField, R: Rng + ?Sized>(rng: &mut R) -> Vec<F> {
    (0..key_elements::<F>()).map(|_| F::random(rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Fr, to_u128};
    use crate::shamir::reconstruct_checked;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// Every party's PRSS from one table of set keys, handing each party exactly the keys of
    /// the sets it is outside of (what the dealer-free setup delivers).
    fn committee(n: usize, t: usize, keys: &[(u32, Vec<Fr>)]) -> Vec<Prss<Fr>> {
        let params = Params::new(n, t).expect("params");
        (0..n)
            .map(|me| {
                let mine = keys
                    .iter()
                    .filter(|(set, _)| set & (1 << me) == 0)
                    .cloned()
                    .collect();
                Prss::new(&params, me, mine).expect("prss")
            })
            .collect()
    }

    fn keys(n: usize, t: usize, seed: u64) -> Vec<(u32, Vec<Fr>)> {
        let mut rng = StdRng::seed_from_u64(seed);
        unqualified_sets(n, t)
            .into_iter()
            .map(|set| (set, sample_key::<Fr, _>(&mut rng)))
            .collect()
    }

    fn open(parties: &mut [Prss<Fr>], t: usize, ints: Option<u32>) -> Vec<Fr> {
        let shares: Vec<Vec<Share<Fr>>> = parties
            .iter_mut()
            .map(|p| match ints {
                Some(bits) => p.random_ints(8, bits),
                None => p.random_field(8),
            })
            .collect();
        (0..8)
            .map(|k| {
                let all: Vec<_> = shares.iter().enumerate().map(|(i, s)| (i, s[k])).collect();
                // All n shares lie on one polynomial of degree t.
                reconstruct_checked(&all, t).expect("consistent degree-t sharing")
            })
            .collect()
    }

    fn binomial(n: u128, k: u128) -> u128 {
        (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
    }

    #[test]
    fn sets_and_key_owners() {
        for (n, t) in [(3, 1), (5, 2), (7, 3)] {
            let sets = unqualified_sets(n, t);
            assert_eq!(sets.len() as u128, binomial(n as u128, t as u128));
            for set in sets {
                assert_eq!(set.count_ones() as usize, t);
                let owner = key_owner(set, n);
                assert_eq!(
                    set & (1 << owner),
                    0,
                    "the owner of a set's key is outside it"
                );
                assert!(
                    (0..owner).all(|j| set & (1 << j) != 0),
                    "and the lowest such"
                );
            }
        }
    }

    #[test]
    fn shares_are_consistent_degree_t_sharings_and_fresh_each_call() {
        for (n, t) in [(3, 1), (5, 2), (7, 3)] {
            let table = keys(n, t, n as u64);
            let mut parties = committee(n, t, &table);
            let first = open(&mut parties, t, None);
            let second = open(&mut parties, t, None);
            assert_ne!(first, second, "each call draws new values (n={n})");
            let mut distinct = first.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), first.len(), "values within a batch differ");
            // Bounded integers: r = Σ_A r_A with every r_A < 2^bits.
            for bits in [1, 40, 64, 104] {
                let bound = binomial(n as u128, t as u128) << bits;
                for r in open(&mut parties, t, Some(bits)) {
                    let r = to_u128(r).expect("small value");
                    assert!(r < bound, "n={n} bits={bits}: {r} >= {bound}");
                }
            }
        }
    }

    #[test]
    fn every_sets_key_changes_the_value() {
        // The t parties of a set never hold its key; the shared value depends on that key, so
        // they cannot compute it from the keys they do hold.
        let (n, t) = (5, 2);
        let table = keys(n, t, 9);
        let base = open(&mut committee(n, t, &table), t, None);
        let mut rng = StdRng::seed_from_u64(99);
        for i in 0..table.len() {
            let mut changed = table.clone();
            changed[i].1 = sample_key::<Fr, _>(&mut rng);
            let other = open(&mut committee(n, t, &changed), t, None);
            assert!(
                base.iter().zip(&other).all(|(a, b)| a != b),
                "set {:#b}'s key must affect every value",
                table[i].0
            );
        }
    }
}
