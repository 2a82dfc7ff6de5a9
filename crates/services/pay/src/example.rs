//! The example paid service: one exact-priced endpoint, one metered (`upto`) endpoint, and
//! the same two handlers on free routes, so that what payment costs can be measured beside
//! the same work unpaid.
//!
//! | route | price |
//! |---|---|
//! | `POST /v1/echo` | [`ECHO_PRICE`] per call (exact) |
//! | `POST /v1/words` | [`PRICE_PER_WORD`] per word of the body, at most [`WORDS_MAX_PRICE`] (upto) |
//! | `POST /free/echo`, `POST /free/words` | free (not registered) |
//! | `GET /health` | free |

use crate::paywall::Metered;
use axum::Router;
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use synod_agents_rules::Asset;
use synod_payments::wire::AssetUse;
use synod_payments::{Endpoint, Pricing, ServiceSpec};
use synod_primitives::AccountId;

/// Price of one echo, in base units of SYN.
pub const ECHO_PRICE: u128 = 10;
/// Price of one word counted.
pub const PRICE_PER_WORD: u128 = 3;
/// Most one word count costs.
pub const WORDS_MAX_PRICE: u128 = 3_000;

/// The spec to register for the example, paying `payee`, with `uses` sharing its revenue.
pub fn spec(name: &str, url: &str, payee: AccountId, uses: Vec<AssetUse>) -> ServiceSpec {
    ServiceSpec {
        name: name.into(),
        url: url.into(),
        payee,
        endpoints: vec![
            Endpoint {
                method: "POST".into(),
                path: "/v1/echo".into(),
                price: ECHO_PRICE,
                asset: Asset::Native,
                pricing: Pricing::Exact,
            },
            Endpoint {
                method: "POST".into(),
                path: "/v1/words".into(),
                price: WORDS_MAX_PRICE,
                asset: Asset::Native,
                pricing: Pricing::Upto,
            },
        ],
        uses,
        min_reputation: None,
    }
}

async fn echo(body: Bytes) -> Bytes {
    body
}

async fn words(body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let count = text.split_whitespace().count() as u128;
    let charged = count.saturating_mul(PRICE_PER_WORD).min(WORDS_MAX_PRICE);
    let mut r = axum::Json(serde_json::json!({ "words": count, "charged": charged.to_string() }))
        .into_response();
    r.extensions_mut().insert(Metered(charged));
    r
}

/// The example's routes (unprotected: wrap them with [`crate::Paywall::protect`]).
pub fn router() -> Router {
    Router::new()
        .route("/v1/echo", post(echo))
        .route("/v1/words", post(words))
        .route("/free/echo", post(echo))
        .route("/free/words", post(words))
        .route("/health", get(|| async { "ok" }))
}
