//! `/health` and `/metrics` over plain HTTP.

use crate::server::RpcContext;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;

async fn health(State(ctx): State<RpcContext>) -> impl IntoResponse {
    match ctx.store.snapshot() {
        Ok(s) => (
            StatusCode::OK,
            format!(
                "{{\"status\":\"ok\",\"finalized_height\":{}}}",
                s.height().unwrap_or(0)
            ),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{{\"status\":\"error\",\"error\":{:?}}}", e.to_string()),
        ),
    }
}

async fn metrics(State(ctx): State<RpcContext>) -> impl IntoResponse {
    ctx.metrics.mempool_size.set(ctx.mempool.len() as i64);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        ctx.metrics.render(),
    )
}

/// Serves `/health` and `/metrics` on `addr` until the task is dropped. Returns the bound
/// address (useful with port 0).
pub async fn start_http(
    addr: SocketAddr,
    ctx: RpcContext,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(ctx);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok((bound, handle))
}
