//! # synod-mpc — the MPC core of Synod's blind-computation engine
//!
//! This crate owns the *cryptographic protocols* that a committee of `n`
//! blind nodes runs on secret-shared data, and nothing else: no I/O, no
//! networking, no storage, no clock. Given the same seeds it is fully
//! deterministic. A network layer plugs in through [`Transport`]; a language
//! executor drives a [`Party`] with batched vector operations.
//!
//! It must not do I/O, read clocks or pick randomness outside the seeds it is given.
//!
//! ## Model
//!
//! * Semi-honest (passive) adversary corrupting up to `t < n/2` parties,
//!   honest majority, `3 <= n <= 16` ([`Params`]). Privacy is
//!   information-theoretic for sharing and multiplication and statistical
//!   (κ = [`KAPPA`] = 40 bits) for the masks of comparison, truncation and
//!   division; PRSS keys add a computational (BLAKE3 PRF) assumption.
//!   Correctness assumes everybody follows the protocol.
//! * Field: the BLS12-381 scalar field [`Fr`] (255 bits), enough headroom for
//!   64-bit comparison and division with κ = 40. Everything is generic over
//!   [`MpcField`] so tests can run over tiny primes.
//! * Integers use the centred encoding described in [`field`].
//!
//! ## Protocols (all long-published; no NMC)
//!
//! | operation | technique | online rounds |
//! |---|---|---|
//! | share / reconstruct | Shamir, degree `t`, points `1..=n` | — |
//! | add, sub, ×public, +public | local | 0 |
//! | [`Party::mul`], [`Party::inner_products`] | GRR degree reduction (BGW/GRR 1998), batched | 1 |
//! | [`Party::random`] | PRSS (Cramer–Damgård–Ishai 2005) | 0 |
//! | [`Party::open`], [`Party::reveal_to`] | send shares, Lagrange | 1 |
//! | [`Party::mux`] | `c·(a−b)+b` | 1 |
//! | [`Party::compare`] (`< <= > >=`) | masked open + digit-table carry tree (Catrina–de Hoogh / Damgård et al. / Nishide–Ohta family) | 1 + ⌈log2 ⌈k/8⌉⌉ (4 for 64 bits) |
//! | [`Party::equal`] | masked open + product of digit equalities | 1 + ⌈log2 ⌈k/8⌉⌉ |
//! | [`Party::trunc_pr`] | Catrina–de Hoogh probabilistic truncation | 1 |
//! | [`Party::div_rem_public`] | masked open + mod-`d` correction | ≤ 4 |
//!
//! Preprocessing ([`prep`]) is produced by the committee itself — random bits
//! by the square-root trick, digit masks, truncation masks, division masks —
//! and kept in a [`Pool`] with counters; [`Requirements`] states a program's
//! needs so [`Pool::check`] can refuse a program before it starts.
//!
//! ## Driving a party
//!
//! Each [`Party`] operation is an `async fn` over vectors of [`Share`]s; its
//! awaits are exactly the communication rounds, so the same code runs over
//! the in-process [`Simulation`] (tests, benches) or over any network that
//! implements [`Transport`] (one [`Message`] per peer per round, with a
//! bounded binary codec in [`message`]). Rounds are counted per [`Phase`]
//! in [`RoundStats`]. Secrets never appear in `Debug`/`Display` output:
//! [`Share`] prints `Share(..)`, [`Secret`] prints `Secret(..)`.
//!
//! ## Checks
//!
//! * `cargo test -p synod-mpc` — plaintext-oracle tests, exhaustive
//!   tiny-field privacy tests, round counts, codec property tests.
//! * `cargo bench -p synod-mpc --bench mpc -- --warm-up-time 1 --measurement-time 3`
//! * Fuzzing the decoder: see `crates/blind/mpc/fuzz/README.md`
//!   (`cargo +nightly fuzz run decode_message -- -max_total_time=60`).
//!
//! ## Measured (release, in process, all parties on one thread)
//!
//! On the shared 2-core development box (load average 5–7, so treat as
//! pessimistic): batched GRR multiplication (100 k per round) n = 3:
//! 1.8–2.1 M/s (0.83–0.94 M/s with every message encoded and decoded);
//! earlier, at load 6–8: 1.2–1.4 M/s; n = 5: 0.35–0.55 M/s; n = 7:
//! 0.19–0.33 M/s. 64-bit comparison, n = 3 (1 000 per batch): online
//! 20.7 k/s (4 rounds, 2.6 kB per comparison), preprocessing 407/s
//! (10 rounds).
//!
//! ## Example
//!
//! ```
//! use synod_mpc::{Fr, IntType, Params, Requirements, Simulation, from_i128, to_i128};
//!
//! let mut sim = Simulation::<Fr>::new(Params::new(3, 1)?, 7)?;
//! let a = sim.deal(&[from_i128(-5)]);
//! let b = sim.deal(&[from_i128(12)]);
//! let req = Requirements::compare(IntType::I64, 1);
//! let out = sim.run(async |p| {
//!     p.preprocess(&req).await?;
//!     let (x, y) = (a[p.id()].clone(), b[p.id()].clone());
//!     let lt = p.lt(&x, &y, IntType::I64).await?;
//!     p.open(&lt).await
//! })?;
//! assert_eq!(to_i128(out[0][0]), Some(1));
//! # Ok::<(), synod_mpc::MpcError>(())
//! ```

pub mod arith;
pub mod compare;
pub mod error;
pub mod field;
pub mod message;
pub mod party;
pub mod prep;
pub mod prss;
pub mod secret;
pub mod shamir;
pub mod sim;
pub mod transport;

pub use compare::CmpOp;
pub use error::{DecodeError, MpcError};
pub use field::{Fr, IntType, KAPPA, MpcField, from_i128, from_u128, to_i128, to_u128};
pub use message::{DecodeLimits, Message};
pub use party::{Party, Phase, RoundStats};
pub use prep::{BitMethod, Pool, PoolCounter, PrepKind, Requirements};
pub use secret::{Secret, Share};
pub use shamir::{LagrangeCache, Params, PartyId};
pub use sim::{LocalNetwork, LocalTransport, SimOptions, SimParty, Simulation, TrafficStats};
pub use transport::Transport;
