//! # synod-pay — pay-per-call over HTTP 402, for services and their clients
//!
//! Owns both ends of the `synod-v1` 402 scheme that the payments module settles:
//! - [`Paywall`]: axum middleware any service mounts. A call to an endpoint the service
//!   registered on chain without a payment gets `402 Payment Required` with
//!   [`PaymentRequirements`]; with an `X-Payment` header (a signed [`Authorization`]) it is
//!   checked here (request hash, payee, asset, maximum, no replay) and by the node
//!   (`payments_verify`: signature, window, nonce, session rules, least record, funds with
//!   what is still pending), the handler runs, and the authorization is queued and settled
//!   with others in one `Settle` transaction (`payments_settle`). `upto` endpoints charge what
//!   the handler reports in [`Metered`].
//! - [`PayClient`]: makes a request, and on 402 signs an authorization with the payer's key or
//!   a session key, within a price limit the caller sets, and retries once.
//! - [`example`]: the example paid service (exact and metered endpoints, and the same
//!   handlers free, to measure what payment costs).
//!
//! It must not decide what a payment may do: every rule is the chain's (the payments and
//! agents modules); this crate only carries authorizations to the node and reports answers.

pub mod client;
pub mod example;
pub mod node;
pub mod paywall;

pub use client::{PaidResponse, PayClient, PayError, Signer};
pub use paywall::{Metered, Paywall, PaywallConfig, PaywallStats};
pub use synod_payments::wire::{PaymentRequirements, PaymentResponse};
pub use synod_payments::{Authorization, SignedAuthorization, request_hash};

/// The request header that carries a payment: hex of a borsh [`SignedAuthorization`].
pub const PAYMENT_HEADER: &str = "x-payment";
/// The response header of a paid answer: JSON [`PaymentResponse`].
pub const PAYMENT_RESPONSE_HEADER: &str = "x-payment-response";
