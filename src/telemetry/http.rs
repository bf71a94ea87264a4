//! The HTTP endpoints: `/metrics` (Prometheus text format), `/healthz` (liveness),
//! `/readyz` (readiness: the consumer has joined its group and the producer is up) and `/`,
//! a short index page.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::Registry;
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;

/// Liveness and readiness flags, shared between the pipeline and the endpoints.
#[derive(Debug, Default)]
pub struct Health {
    ready: AtomicBool,
    failed: AtomicBool,
}

impl Health {
    /// Marks the service ready (or not) to take traffic.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Marks the service broken beyond repair: `/healthz` then fails so that an orchestrator
    /// restarts it.
    pub fn set_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed) && !self.failed.load(Ordering::Relaxed)
    }
}

/// Errors of the HTTP endpoint.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The listen address could not be bound.
    #[error("binding the metrics address {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed.
    #[error("serving metrics: {0}")]
    Serve(std::io::Error),
}

#[derive(Clone)]
struct AppState {
    registry: Registry,
    health: Arc<Health>,
}

/// Binds `addr` now (so a taken port fails at start-up) and returns the server future,
/// which runs until `shutdown` fires, and the bound address (useful with port 0).
///
/// # Errors
/// [`HttpError::Bind`] when the address cannot be bound.
pub async fn bind(
    addr: SocketAddr,
    registry: Registry,
    health: Arc<Health>,
    mut shutdown: Shutdown,
) -> Result<
    (
        SocketAddr,
        impl std::future::Future<Output = Result<(), HttpError>>,
    ),
    HttpError,
> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| HttpError::Bind { addr, source })?;
    let app = Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(AppState { registry, health });
    let serve = async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.recv().await })
            .await
            .map_err(HttpError::Serve)
    };
    Ok((local, serve))
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        super::render(&state.registry),
    )
        .into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.health.failed.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "failed\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.health.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><title>brandpulse</title><h1>brandpulse</h1>\
         <ul><li><a href=\"/metrics\">/metrics</a> Prometheus metrics</li>\
         <li><a href=\"/healthz\">/healthz</a> liveness</li>\
         <li><a href=\"/readyz\">/readyz</a> readiness</li></ul>",
    )
}
