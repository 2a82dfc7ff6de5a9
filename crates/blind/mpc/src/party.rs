//! One committee member: the party-local protocol state machine.
//!
//! A [`Party`] owns its private randomness, its PRSS keys, its preprocessing
//! [`Pool`] and a [`Transport`]. Every interactive operation is an `async fn`
//! whose awaits are exactly the communication rounds; all operations take
//! *vectors* so a whole layer of a program costs the rounds of one operation.
//! Rounds are counted per [`Phase`] in [`RoundStats`].

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::MpcError;
use crate::field::MpcField;
use crate::message::Message;
use crate::prep::{BitMethod, Pool};
use crate::prss::{self, Prss};
use crate::secret::Share;
use crate::shamir::{self, Params, PartyId};
use crate::transport::Transport;

/// Which phase rounds are charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// One-time key setup (PRSS).
    Setup,
    /// Input-independent preprocessing (pools).
    Preprocessing,
    /// Computation on inputs.
    Online,
}

/// Communication rounds used so far, by phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundStats {
    /// Setup rounds.
    pub setup: u64,
    /// Preprocessing rounds.
    pub preprocessing: u64,
    /// Online rounds.
    pub online: u64,
}

impl RoundStats {
    /// All rounds.
    pub fn total(&self) -> u64 {
        self.setup + self.preprocessing + self.online
    }
}

/// One committee member running the protocols.
pub struct Party<F: MpcField, T: Transport<F>> {
    id: PartyId,
    params: Params,
    transport: T,
    rng: StdRng,
    prss: Option<Prss<F>>,
    /// Lagrange coefficients at 0 over all `n` points (degree reduction).
    lambda_all: Vec<F>,
    /// Lagrange coefficients at 0 over parties `0..=t` (openings).
    lambda_open: Vec<F>,
    rounds: RoundStats,
    phase: Phase,
    next_round: u64,
    bit_method: BitMethod,
    pub(crate) pool: Pool<F>,
}

impl<F: MpcField, T: Transport<F>> Party<F, T> {
    /// Create party `id` with a 32-byte seed for its private randomness.
    /// Call [`Party::setup`] (one round, all parties together) before using
    /// PRSS-based operations (randomness, preprocessing, comparisons).
    pub fn new(
        params: Params,
        id: PartyId,
        seed: [u8; 32],
        transport: T,
    ) -> Result<Self, MpcError> {
        if id >= params.n() {
            return Err(MpcError::BadParty(id));
        }
        let all: Vec<PartyId> = (0..params.n()).collect();
        let lambda_all = shamir::lagrange_at_zero::<F>(&all)?;
        let lambda_open = shamir::lagrange_at_zero::<F>(&all[..=params.t()])?;
        Ok(Self {
            id,
            params,
            transport,
            rng: StdRng::from_seed(seed),
            prss: None,
            lambda_all,
            lambda_open,
            rounds: RoundStats::default(),
            phase: Phase::Online,
            next_round: 0,
            bit_method: BitMethod::default(),
            pool: Pool::new(),
        })
    }

    /// This party's id.
    pub fn id(&self) -> PartyId {
        self.id
    }

    /// Committee parameters.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Rounds used so far.
    pub fn rounds(&self) -> RoundStats {
        self.rounds
    }

    /// The preprocessing pool (read-only: counters and availability).
    pub fn pool(&self) -> &Pool<F> {
        &self.pool
    }

    /// The transport (e.g. to read its statistics).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// How random bits are generated (must match across the committee).
    pub fn bit_method(&self) -> BitMethod {
        self.bit_method
    }

    /// Choose how random bits are generated (all parties alike).
    pub fn set_bit_method(&mut self, m: BitMethod) {
        self.bit_method = m;
    }

    pub(crate) fn rng_mut(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    pub(crate) fn set_phase(&mut self, phase: Phase) -> Phase {
        core::mem::replace(&mut self.phase, phase)
    }

    /// One communication round. `outgoing[j]` goes to party `j`; the entry
    /// for this party itself is not sent but returned in its slot of the
    /// result, so callers can treat all `n` contributions alike.
    pub(crate) async fn exchange(
        &mut self,
        mut outgoing: Vec<Vec<F>>,
    ) -> Result<Vec<Vec<F>>, MpcError> {
        let n = self.params.n();
        if outgoing.len() != n {
            return Err(MpcError::LengthMismatch {
                expected: n,
                actual: outgoing.len(),
            });
        }
        let round = self.next_round;
        self.next_round += 1;
        match self.phase {
            Phase::Setup => self.rounds.setup += 1,
            Phase::Preprocessing => self.rounds.preprocessing += 1,
            Phase::Online => self.rounds.online += 1,
        }
        let own = core::mem::take(&mut outgoing[self.id]);
        let me = self.id;
        let msgs: Vec<Message<F>> = outgoing
            .into_iter()
            .enumerate()
            .filter(|(j, _)| *j != me)
            .map(|(j, payload)| Message {
                round,
                from: me,
                to: j,
                payload,
            })
            .collect();
        let incoming = self.transport.exchange(round, msgs).await?;
        let mut slots: Vec<Option<Vec<F>>> = (0..n).map(|_| None).collect();
        slots[me] = Some(own);
        for m in incoming {
            if m.from >= n || m.from == me {
                return Err(MpcError::Protocol {
                    from: m.from,
                    reason: "bad sender id",
                });
            }
            if m.to != me || m.round != round {
                return Err(MpcError::Protocol {
                    from: m.from,
                    reason: "message for another receiver or round",
                });
            }
            if slots[m.from].is_some() {
                return Err(MpcError::Protocol {
                    from: m.from,
                    reason: "duplicate message",
                });
            }
            slots[m.from] = Some(m.payload);
        }
        slots
            .into_iter()
            .enumerate()
            .map(|(j, s)| {
                s.ok_or(MpcError::Protocol {
                    from: j,
                    reason: "missing message",
                })
            })
            .collect()
    }

    fn expect_len(from: PartyId, v: &[F], len: usize) -> Result<(), MpcError> {
        if v.len() == len {
            Ok(())
        } else {
            Err(MpcError::Protocol {
                from,
                reason: "payload length differs from protocol",
            })
        }
    }

    /// Setup round: distribute PRSS keys (see [`crate::prss`]).
    pub async fn setup(&mut self) -> Result<(), MpcError> {
        let prev = self.set_phase(Phase::Setup);
        let r = self.setup_inner().await;
        self.set_phase(prev);
        r
    }

    async fn setup_inner(&mut self) -> Result<(), MpcError> {
        let (n, t, me) = (self.params.n(), self.params.t(), self.id);
        let sets = prss::unqualified_sets(n, t);
        let mut out: Vec<Vec<F>> = vec![Vec::new(); n];
        let mut mine: Vec<(u32, Vec<F>)> = Vec::new();
        for &set in &sets {
            if set & (1 << me) != 0 || prss::key_owner(set, n) != me {
                continue;
            }
            let key = prss::sample_key::<F, _>(&mut self.rng);
            for (j, o) in out.iter_mut().enumerate() {
                if j != me && set & (1 << j) == 0 {
                    o.extend_from_slice(&key);
                }
            }
            mine.push((set, key));
        }
        let incoming = self.exchange(out).await?;
        let ke = prss::key_elements::<F>();
        let mut cursor = vec![0usize; n];
        let mut material = Vec::new();
        let mut own_iter = mine.into_iter();
        for &set in &sets {
            if set & (1 << me) != 0 {
                continue;
            }
            let owner = prss::key_owner(set, n);
            if owner == me {
                if let Some(k) = own_iter.next() {
                    material.push(k);
                }
                continue;
            }
            let start = cursor[owner];
            let key = incoming[owner]
                .get(start..start + ke)
                .ok_or(MpcError::Protocol {
                    from: owner,
                    reason: "PRSS key message too short",
                })?
                .to_vec();
            cursor[owner] += ke;
            material.push((set, key));
        }
        for (j, msg) in incoming.iter().enumerate() {
            if j != me && cursor[j] != msg.len() {
                return Err(MpcError::Protocol {
                    from: j,
                    reason: "PRSS key message too long",
                });
            }
        }
        self.prss = Some(Prss::new(&self.params, me, material)?);
        Ok(())
    }

    fn prss(&mut self) -> Result<&mut Prss<F>, MpcError> {
        self.prss.as_mut().ok_or(MpcError::NotSetUp)
    }

    /// Shares of `count` fresh uniformly random secrets (PRSS, no rounds).
    pub fn random(&mut self, count: usize) -> Result<Vec<Share<F>>, MpcError> {
        Ok(self.prss()?.random_field(count))
    }

    /// Shares of `count` random integers in `[0, C(n,t) 2^bits)` whose value
    /// statistically hides anything below `2^(bits - κ)` (no rounds).
    pub(crate) fn random_ints(
        &mut self,
        count: usize,
        bits: u32,
    ) -> Result<Vec<Share<F>>, MpcError> {
        Ok(self.prss()?.random_ints(count, bits))
    }

    /// Secret-share inputs owned by `owner` (1 round). The owner passes
    /// `Some(values)`; everybody passes the public `count`.
    pub async fn input(
        &mut self,
        owner: PartyId,
        values: Option<&[F]>,
        count: usize,
    ) -> Result<Vec<Share<F>>, MpcError> {
        let n = self.params.n();
        if owner >= n {
            return Err(MpcError::BadParty(owner));
        }
        let mut out: Vec<Vec<F>> = vec![Vec::new(); n];
        if self.id == owner {
            let values = values.ok_or(MpcError::InvalidArgument("owner must supply values"))?;
            if values.len() != count {
                return Err(MpcError::LengthMismatch {
                    expected: count,
                    actual: values.len(),
                });
            }
            for o in out.iter_mut() {
                o.reserve(count);
            }
            for v in values {
                let shares = shamir::share(*v, &self.params, &mut self.rng);
                for (o, s) in out.iter_mut().zip(shares) {
                    o.push(s.raw());
                }
            }
        }
        let incoming = self.exchange(out).await?;
        let mine = &incoming[owner];
        Self::expect_len(owner, mine, count)?;
        Ok(mine.iter().copied().map(Share::from_raw).collect())
    }

    /// Degree reduction: `local[k]` are this party's degree-2t values already
    /// scaled by its Lagrange coefficient; reshare each with a fresh degree-t
    /// polynomial and add up what everybody sent (1 round).
    async fn reshare_sum(&mut self, local: Vec<F>) -> Result<Vec<Share<F>>, MpcError> {
        let (n, t) = (self.params.n(), self.params.t());
        let len = local.len();
        let mut out: Vec<Vec<F>> = (0..n).map(|_| Vec::with_capacity(len)).collect();
        let mut head = vec![F::zero(); t + 1];
        for z in local {
            head[0] = z;
            for h in head[1..].iter_mut() {
                *h = F::random(&mut self.rng);
            }
            // Forward differences at x = 0, then step to x = 1..=n.
            for j in 1..=t {
                for i in (j..=t).rev() {
                    let prev = head[i - 1];
                    head[i] -= prev;
                }
            }
            for o in out.iter_mut() {
                for i in 0..t {
                    let next = head[i + 1];
                    head[i] += next;
                }
                o.push(head[0]);
            }
        }
        let incoming = self.exchange(out).await?;
        for (j, v) in incoming.iter().enumerate() {
            Self::expect_len(j, v, len)?;
        }
        let mut iter = incoming.into_iter();
        let mut acc = iter.next().unwrap_or_default();
        for v in iter {
            for (a, b) in acc.iter_mut().zip(v) {
                *a += b;
            }
        }
        Ok(acc.into_iter().map(Share::from_raw).collect())
    }

    /// Batched multiplication `a[k] * b[k]` (GRR degree reduction, 1 round,
    /// `n - 1` elements sent per product per party).
    pub async fn mul(&mut self, a: &[Share<F>], b: &[Share<F>]) -> Result<Vec<Share<F>>, MpcError> {
        if a.len() != b.len() {
            return Err(MpcError::LengthMismatch {
                expected: a.len(),
                actual: b.len(),
            });
        }
        let lam = self.lambda_all[self.id];
        let local = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.raw() * y.raw() * lam)
            .collect();
        self.reshare_sum(local).await
    }

    /// Batched inner products `Σ_l a[k][l] * b[k][l]` in one round: local
    /// products are summed before the single resharing.
    pub async fn inner_products(
        &mut self,
        a: &[Vec<Share<F>>],
        b: &[Vec<Share<F>>],
    ) -> Result<Vec<Share<F>>, MpcError> {
        if a.len() != b.len() {
            return Err(MpcError::LengthMismatch {
                expected: a.len(),
                actual: b.len(),
            });
        }
        let lam = self.lambda_all[self.id];
        let mut local = Vec::with_capacity(a.len());
        for (x, y) in a.iter().zip(b) {
            if x.len() != y.len() {
                return Err(MpcError::LengthMismatch {
                    expected: x.len(),
                    actual: y.len(),
                });
            }
            let s: F = x.iter().zip(y).map(|(p, q)| p.raw() * q.raw()).sum();
            local.push(s * lam);
        }
        self.reshare_sum(local).await
    }

    /// Secret-condition multiplexer `c ? a : b = c * (a - b) + b` (c a
    /// shared bit), batched, 1 round.
    pub async fn mux(
        &mut self,
        c: &[Share<F>],
        a: &[Share<F>],
        b: &[Share<F>],
    ) -> Result<Vec<Share<F>>, MpcError> {
        if a.len() != b.len() {
            return Err(MpcError::LengthMismatch {
                expected: a.len(),
                actual: b.len(),
            });
        }
        let diff: Vec<Share<F>> = a.iter().zip(b).map(|(x, y)| *x - *y).collect();
        let prod = self.mul(c, &diff).await?;
        Ok(prod.into_iter().zip(b).map(|(p, y)| p + *y).collect())
    }

    /// Reveal to every party (1 round). Parties `0..=t` send their shares to
    /// everyone; every party interpolates from those `t + 1` shares
    /// (semi-honest model).
    pub async fn open(&mut self, xs: &[Share<F>]) -> Result<Vec<F>, MpcError> {
        let (n, t) = (self.params.n(), self.params.t());
        let mut out: Vec<Vec<F>> = vec![Vec::new(); n];
        if self.id <= t {
            let raw: Vec<F> = xs.iter().map(Share::raw).collect();
            for (j, o) in out.iter_mut().enumerate() {
                if j != self.id {
                    o.clone_from(&raw);
                }
            }
            out[self.id] = raw;
        }
        let incoming = self.exchange(out).await?;
        let mut acc = vec![F::zero(); xs.len()];
        for (j, lam) in self.lambda_open.iter().enumerate() {
            Self::expect_len(j, &incoming[j], xs.len())?;
            for (a, v) in acc.iter_mut().zip(&incoming[j]) {
                *a += *v * lam;
            }
        }
        for (j, v) in incoming.iter().enumerate().skip(t + 1) {
            Self::expect_len(j, v, 0)?;
        }
        Ok(acc)
    }

    /// Reveal only to `target` (1 round): every other party sends its shares
    /// to `target` alone; no other party receives anything. Returns
    /// `Some(values)` at `target`, `None` elsewhere.
    pub async fn reveal_to(
        &mut self,
        target: PartyId,
        xs: &[Share<F>],
    ) -> Result<Option<Vec<F>>, MpcError> {
        let (n, t) = (self.params.n(), self.params.t());
        if target >= n {
            return Err(MpcError::BadParty(target));
        }
        let mut out: Vec<Vec<F>> = vec![Vec::new(); n];
        // For the target itself this slot is kept locally, not sent.
        out[target] = xs.iter().map(Share::raw).collect();
        let incoming = self.exchange(out).await?;
        if self.id != target {
            for (j, v) in incoming.iter().enumerate() {
                if j != self.id {
                    Self::expect_len(j, v, 0)?;
                }
            }
            return Ok(None);
        }
        let mut acc = vec![F::zero(); xs.len()];
        for (j, lam) in self.lambda_open.iter().enumerate().take(t + 1) {
            Self::expect_len(j, &incoming[j], xs.len())?;
            for (a, v) in acc.iter_mut().zip(&incoming[j]) {
                *a += *v * lam;
            }
        }
        Ok(Some(acc))
    }

    /// Open values that are known to be uniformly masked (used inside
    /// protocols); identical to [`Party::open`].
    pub(crate) async fn open_masked(&mut self, xs: &[Share<F>]) -> Result<Vec<F>, MpcError> {
        self.open(xs).await
    }

    /// Multiplicative inverse of a public element or an error.
    pub(crate) fn inv(x: F) -> Result<F, MpcError> {
        x.inverse()
            .ok_or(MpcError::InvalidArgument("public value not invertible"))
    }

    /// 1/2 in the field.
    pub(crate) fn half() -> Result<F, MpcError> {
        Self::inv(F::from(2u64))
    }
}
