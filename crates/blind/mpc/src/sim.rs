//! In-process committee simulator.
//!
//! [`LocalNetwork`] routes [`Message`]s between `n` [`Party`] instances in
//! memory; [`Simulation`] owns the parties and drives their protocol futures
//! on the current thread by polling them round-robin with a no-op waker until
//! all finish. It is deterministic for fixed seeds. Optionally every message
//! is encoded to bytes and decoded again (exercising the wire codec), and
//! the full transcript can be recorded for leakage tests.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::MpcError;
use crate::field::MpcField;
use crate::message::{DecodeLimits, Message};
use crate::party::Party;
use crate::secret::Share;
use crate::shamir::{self, Params, PartyId};
use crate::transport::Transport;

/// Traffic counters of a [`LocalNetwork`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// Messages delivered.
    pub messages: u64,
    /// Field elements delivered.
    pub elements: u64,
    /// Encoded bytes (header + elements) delivered.
    pub bytes: u64,
}

/// Options of the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// Encode every message to bytes and decode it again in transit.
    pub wire_encoding: bool,
    /// Keep a copy of every delivered message (see
    /// [`Simulation::take_transcript`]).
    pub record_transcript: bool,
}

struct Router<F> {
    n: usize,
    opts: SimOptions,
    inbox: HashMap<(PartyId, u64), Vec<Message<F>>>,
    events: u64,
    stats: TrafficStats,
    transcript: Vec<Message<F>>,
    error: Option<MpcError>,
}

/// Shared in-memory message router for `n` parties.
pub struct LocalNetwork<F> {
    router: Arc<Mutex<Router<F>>>,
}

impl<F> Clone for LocalNetwork<F> {
    fn clone(&self) -> Self {
        Self {
            router: Arc::clone(&self.router),
        }
    }
}

fn lock<F>(m: &Mutex<Router<F>>) -> MutexGuard<'_, Router<F>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<F: MpcField> LocalNetwork<F> {
    /// A network for `n` parties.
    pub fn new(n: usize, opts: SimOptions) -> Self {
        Self {
            router: Arc::new(Mutex::new(Router {
                n,
                opts,
                inbox: HashMap::new(),
                events: 0,
                stats: TrafficStats::default(),
                transcript: Vec::new(),
                error: None,
            })),
        }
    }

    /// The endpoint (transport) of party `id`.
    pub fn endpoint(&self, id: PartyId) -> LocalTransport<F> {
        LocalTransport {
            id,
            net: self.clone(),
        }
    }

    /// Traffic so far.
    pub fn stats(&self) -> TrafficStats {
        lock(&self.router).stats
    }

    fn events(&self) -> u64 {
        lock(&self.router).events
    }

    /// Take the recorded transcript (empty unless recording is on).
    pub fn take_transcript(&self) -> Vec<Message<F>> {
        core::mem::take(&mut lock(&self.router).transcript)
    }
}

/// One party's endpoint on a [`LocalNetwork`].
pub struct LocalTransport<F> {
    id: PartyId,
    net: LocalNetwork<F>,
}

impl<F: MpcField> Transport<F> for LocalTransport<F> {
    fn exchange(
        &mut self,
        round: u64,
        outgoing: Vec<Message<F>>,
    ) -> impl Future<Output = Result<Vec<Message<F>>, MpcError>> + Send {
        let me = self.id;
        let router = Arc::clone(&self.net.router);
        async move {
            {
                let mut r = lock(&router);
                let limits = DecodeLimits {
                    max_elements: u64::MAX,
                    parties: r.n,
                };
                for m in outgoing {
                    let m = if r.opts.wire_encoding {
                        let bytes = m.encode();
                        r.stats.bytes += bytes.len() as u64;
                        Message::decode(&bytes, &limits)?
                    } else {
                        r.stats.bytes += m.encoded_len() as u64;
                        m
                    };
                    r.stats.messages += 1;
                    r.stats.elements += m.payload.len() as u64;
                    if r.opts.record_transcript {
                        r.transcript.push(m.clone());
                    }
                    r.events += 1;
                    r.inbox.entry((m.to, m.round)).or_default().push(m);
                }
            }
            core::future::poll_fn(move |_cx| {
                let mut r = lock(&router);
                if let Some(e) = r.error.clone() {
                    return Poll::Ready(Err(e));
                }
                let ready = r
                    .inbox
                    .get(&(me, round))
                    .is_some_and(|v| v.len() + 1 >= r.n);
                if ready {
                    r.events += 1;
                    Poll::Ready(Ok(r.inbox.remove(&(me, round)).unwrap_or_default()))
                } else {
                    Poll::Pending
                }
            })
            .await
        }
    }
}

type PartyFuture<'a, O> = Pin<Box<dyn Future<Output = Result<O, MpcError>> + 'a>>;

/// Parties of a committee running in one process.
pub type SimParty<F> = Party<F, LocalTransport<F>>;

/// `n` parties on a [`LocalNetwork`], driven in process.
pub struct Simulation<F: MpcField> {
    params: Params,
    net: LocalNetwork<F>,
    parties: Vec<SimParty<F>>,
    dealer_rng: StdRng,
}

impl<F: MpcField> Simulation<F> {
    /// A committee with PRSS keys set up (one setup round), party seeds
    /// derived from `seed`.
    pub fn new(params: Params, seed: u64) -> Result<Self, MpcError> {
        Self::with_options(params, seed, SimOptions::default())
    }

    /// As [`Simulation::new`] with options.
    pub fn with_options(params: Params, seed: u64, opts: SimOptions) -> Result<Self, MpcError> {
        let net = LocalNetwork::new(params.n(), opts);
        let mut parties = Vec::with_capacity(params.n());
        for i in 0..params.n() {
            let mut h = blake3::Hasher::new();
            h.update(b"synod-mpc/sim-seed");
            h.update(&seed.to_le_bytes());
            h.update(&(i as u64).to_le_bytes());
            parties.push(Party::new(
                params,
                i,
                *h.finalize().as_bytes(),
                net.endpoint(i),
            )?);
        }
        let mut sim = Self {
            params,
            net,
            parties,
            dealer_rng: StdRng::seed_from_u64(seed ^ 0x5eed_dea1),
        };
        sim.run(async |p| p.setup().await)?;
        Ok(sim)
    }

    /// Committee parameters.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The parties.
    pub fn parties(&self) -> &[SimParty<F>] {
        &self.parties
    }

    /// Set the random-bit method of every party.
    pub fn set_bit_method(&mut self, m: crate::prep::BitMethod) {
        for p in &mut self.parties {
            p.set_bit_method(m);
        }
    }

    /// The network (statistics, transcript).
    pub fn network(&self) -> &LocalNetwork<F> {
        &self.net
    }

    /// Take the recorded transcript.
    pub fn take_transcript(&self) -> Vec<Message<F>> {
        self.net.take_transcript()
    }

    /// Run `f` at every party concurrently (same code, own state) until all
    /// finish; returns the per-party outputs in id order. If any party fails
    /// the first error is returned.
    pub fn run<O, Func>(&mut self, f: Func) -> Result<Vec<O>, MpcError>
    where
        Func: AsyncFn(&mut SimParty<F>) -> Result<O, MpcError>,
    {
        let f = &f;
        let mut futs: Vec<PartyFuture<'_, O>> = self
            .parties
            .iter_mut()
            .map(|p| Box::pin(f(p)) as PartyFuture<'_, O>)
            .collect();
        let mut results: Vec<Option<Result<O, MpcError>>> = futs.iter().map(|_| None).collect();
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let before = self.net.events();
            let mut finished = false;
            for (fut, slot) in futs.iter_mut().zip(results.iter_mut()) {
                if slot.is_none()
                    && let Poll::Ready(r) = fut.as_mut().poll(&mut cx)
                {
                    *slot = Some(r);
                    finished = true;
                }
            }
            if results.iter().all(Option::is_some) {
                break;
            }
            if !finished && self.net.events() == before {
                // Nobody can move: report a party error if there is one.
                drop(futs);
                for r in results.into_iter().flatten() {
                    r?;
                }
                return Err(MpcError::Deadlock);
            }
        }
        drop(futs);
        results.into_iter().flatten().collect()
    }

    /// Client-side dealing for tests and benches: share every value and
    /// return the per-party share vectors (`out[party][k]`).
    pub fn deal(&mut self, values: &[F]) -> Vec<Vec<Share<F>>> {
        let n = self.params.n();
        let mut out: Vec<Vec<Share<F>>> =
            (0..n).map(|_| Vec::with_capacity(values.len())).collect();
        for v in values {
            for (o, s) in out
                .iter_mut()
                .zip(shamir::share(*v, &self.params, &mut self.dealer_rng))
            {
                o.push(s);
            }
        }
        out
    }

    /// Client-side reconstruction from all parties' output shares
    /// (`shares[party][k]`), checking consistency of all `n` shares.
    pub fn reconstruct(&self, shares: &[Vec<Share<F>>]) -> Result<Vec<F>, MpcError> {
        let len = shares.first().map_or(0, Vec::len);
        (0..len)
            .map(|k| {
                let pts: Vec<(PartyId, Share<F>)> = shares
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.get(k).map(|s| (i, *s)).ok_or(MpcError::LengthMismatch {
                            expected: len,
                            actual: v.len(),
                        })
                    })
                    .collect::<Result<_, _>>()?;
                shamir::reconstruct_checked(&pts, self.params.t())
            })
            .collect()
    }
}
