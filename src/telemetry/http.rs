//! The HTTP endpoints: `/metrics` (Prometheus text format), `/healthz` (liveness),
//! `/readyz` (readiness: the consumer has joined its group and the producer is up), and the
//! live page: `/` (HTML, embedded from `page/`), `/api/live` (its data, JSON, from
//! [`LiveView`]) and `/assets/<name>` (its script, styles and the vendored uPlot).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::Registry;
use tokio::net::TcpListener;

use super::live::LiveView;
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
    live: LiveView,
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
    live: LiveView,
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
        .route("/api/live", get(api_live))
        .route("/assets/{name}", get(asset))
        .with_state(AppState {
            registry,
            health,
            live,
        });
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

/// The live page, its script and styles, and the vendored chart library: `(name, content
/// type, body)`. Served from the binary; nothing is read from disk.
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("page/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("page/style.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("page/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("page/vendor/uplot/uPlot.min.css"),
    ),
];

async fn index() -> Html<&'static str> {
    Html(include_str!("page/index.html"))
}

async fn api_live(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.live.snapshot_json(),
    )
        .into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "max-age=300"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn serves_the_live_page_its_data_and_assets() {
        let (trigger, shutdown) = crate::shutdown::channel();
        let (addr, server) = bind(
            "127.0.0.1:0".parse().unwrap(),
            Registry::new(),
            Arc::new(Health::default()),
            LiveView::default(),
            shutdown,
        )
        .await
        .unwrap();
        let server = tokio::spawn(server);
        let page = get(addr, "/").await;
        assert!(page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"));
        assert!(page.contains("/assets/uPlot.iife.min.js"));
        let live = get(addr, "/api/live").await;
        assert!(live.contains("application/json"), "{live}");
        assert!(live.contains("\"brands\":[]"), "{live}");
        for (name, _, _) in ASSETS {
            let asset = get(addr, &format!("/assets/{name}")).await;
            assert!(asset.contains(" 200 OK"), "{name}");
        }
        assert!(get(addr, "/assets/../Cargo.toml").await.contains(" 404 "));
        assert!(get(addr, "/metrics").await.contains(" 200 OK"));
        trigger.fire();
        server.await.unwrap().unwrap();
    }
}
