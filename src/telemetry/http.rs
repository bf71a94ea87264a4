//! The HTTP endpoints: `/metrics` (Prometheus text format), `/healthz` (liveness),
//! `/readyz` (readiness: the consumer has joined its group and the producer is up), and the
//! live page: `/` (HTML, embedded from `page/`), `/api/live` (its data, JSON, from
//! [`LiveView`]) and `/assets/<name>` (its script, styles and the vendored uPlot).
//!
//! HTTP/1.1 only, served by our own accept loop over hyper (not `axum::serve`, which has no
//! timeouts), with these [`Limits`]:
//!
//! - **Header read timeout** (default [`HEADER_READ_TIMEOUT`], 10 s): a request head (request
//!   line and headers) must arrive in full within this time, or the connection is closed
//!   without a response. The clock starts when the connection is accepted and again after each
//!   response on a kept-alive connection, so it also bounds how long a keep-alive connection
//!   may sit idle between requests.
//! - **Idle timeout** (default [`IDLE_TIMEOUT`], 60 s): a connection on which no byte has been
//!   read or written for this long while the server waits on the peer is closed: a request body
//!   that stops arriving, or a client that stops reading its response. (Between requests the
//!   shorter header read timeout above applies first.)
//! - **Connection limit** (default [`MAX_CONNECTIONS`], 256 open at once): at the limit the
//!   server stops accepting; further connections wait in the kernel's listen backlog and are
//!   accepted, oldest first, as open ones close (at the latest when their timeouts expire).
//!   They are not refused: a probe waits rather than fails. When every slot is held by
//!   clients that stall, the wait is one header read timeout per full round of stalled
//!   connections queued ahead of it (one round when fewer than the limit are queued).
//! - **Shutdown grace** (default [`SHUTDOWN_GRACE`], 5 s): when [`Shutdown`] fires the listener
//!   is closed at once, idle connections are closed, requests in flight are answered and their
//!   connections then closed; whatever is still open after the grace is cut, and the server
//!   future returns.
//!
//! Security headers: every response from the routes (including 404 and 405) carries
//! `X-Content-Type-Options: nosniff`; the page (`/`) also carries [`PAGE_CSP`], a
//! Content-Security-Policy that lets it load only its own scripts, styles, images and data
//! (plus the `data:` URI of its empty favicon), and forbids plugins, `<base>`, forms and
//! framing. Responses hyper writes on its own for malformed requests (a bare 400 or 431
//! with no body) carry neither. `Cache-Control`: `no-store` on `/api/live`, `max-age=300`
//! on the assets, none elsewhere.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Registry;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::live::LiveView;
use crate::shutdown::Shutdown;

/// Default [`Limits::header_read_timeout`].
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Limits::idle_timeout`].
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`Limits::max_connections`].
pub const MAX_CONNECTIONS: usize = 256;
/// Default [`Limits::shutdown_grace`].
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The Content-Security-Policy of the live page: its own scripts, styles, images and
/// `fetch("/api/live")` (`'self'`), the `data:` URI of its empty favicon, nothing else.
pub const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
                            base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Timeouts and the connection limit of the HTTP server; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a whole request head to arrive, from the accept or from the end of
    /// the previous response on the connection.
    pub header_read_timeout: Duration,
    /// A connection with no byte read or written for this long while waiting on the peer
    /// is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog (at least 1 is used).
    pub max_connections: usize,
    /// How long connections may finish after shutdown fires before they are cut.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

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
    /// The server failed. (Not returned at present: accept errors are logged and retried,
    /// and a failed connection only ends that connection.)
    #[error("serving metrics: {0}")]
    Serve(std::io::Error),
}

#[derive(Clone)]
struct AppState {
    registry: Arc<Registry>,
    health: Arc<Health>,
    live: LiveView,
}

/// Binds `addr` now (so a taken port fails at start-up) and returns the server future,
/// which runs until `shutdown` fires, and the bound address (useful with port 0). Uses the
/// default [`Limits`].
///
/// # Errors
/// [`HttpError::Bind`] when the address cannot be bound.
pub async fn bind(
    addr: SocketAddr,
    registry: Registry,
    health: Arc<Health>,
    live: LiveView,
    shutdown: Shutdown,
) -> Result<(SocketAddr, impl Future<Output = Result<(), HttpError>>), HttpError> {
    bind_with(addr, registry, health, live, shutdown, Limits::default()).await
}

/// [`bind`] with the given timeouts and connection limit.
///
/// # Errors
/// [`HttpError::Bind`] when the address cannot be bound.
pub async fn bind_with(
    addr: SocketAddr,
    registry: Registry,
    health: Arc<Health>,
    live: LiveView,
    shutdown: Shutdown,
    limits: Limits,
) -> Result<(SocketAddr, impl Future<Output = Result<(), HttpError>>), HttpError> {
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
        .layer(axum::middleware::map_response(security_headers))
        .with_state(AppState {
            registry: Arc::new(registry),
            health,
            live,
        });
    Ok((local, serve(listener, app, limits, shutdown)))
}

/// The accept loop: one task per connection, at most `limits.max_connections` at once.
async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut shutdown: Shutdown,
) -> Result<(), HttpError> {
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut connections = JoinSet::new();
    loop {
        // Forget the connections that have ended, so the set stays as small as the limit.
        while connections.try_join_next().is_some() {}
        // Waiting for a slot before accepting leaves new connections in the backlog.
        let permit = tokio::select! {
            () = shutdown.recv() => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed.
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = shutdown.recv() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors, say: wait for some to close.
                        tracing::error!(error = %e, "accepting an HTTP connection");
                        tokio::select! {
                            () = shutdown.recv() => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                    continue;
                }
            },
        };
        let conn = builder.serve_connection(
            TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout)),
            TowerToHyperService::new(app.clone()),
        );
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let _slot = permit;
            let mut conn = pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stop.recv() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                // Timeouts, resets, malformed requests: the client's business.
                tracing::debug!(error = %e, "HTTP connection ended");
            }
        });
    }
    // New connections are refused from here on; open ones saw `shutdown` too.
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!(
            open = connections.len(),
            "cutting HTTP connections still open after the shutdown grace"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Accept errors that concern one connection only (the peer gave up before we took it).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A stream that fails with [`io::ErrorKind::TimedOut`] when a read or write has waited
/// `timeout` since the last byte moved in either direction. Only waits count: time the
/// server spends on a request while not reading or writing is not idle time.
struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    /// Bytes moved: the connection is not idle.
    fn active(&mut self) {
        let deadline = Instant::now() + self.timeout;
        self.deadline.as_mut().reset(deadline);
    }

    /// The inner stream is not ready: fail if it has been idle too long, else wait (the
    /// deadline wakes the task).
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "HTTP connection idle",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for IdleTimeout<TcpStream> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if result.is_ok() && buf.filled().len() > before {
                    this.active();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }
}

impl AsyncWrite for IdleTimeout<TcpStream> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.active();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.active();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => this.pending(cx),
        }
    }
}

/// Adds the headers every response carries.
async fn security_headers(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// OpenMetrics (with exemplars) when the scraper's `Accept` asks for it, as Prometheus does;
/// the classic text format otherwise.
async fn metrics(State(state): State<AppState>, headers: header::HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = super::Format::negotiate(accept);
    (
        [(header::CONTENT_TYPE, format.content_type())],
        super::render_as(&state.registry, format),
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

async fn index() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, PAGE_CSP)],
        Html(include_str!("page/index.html")),
    )
        .into_response()
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
            Registry::default(),
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
