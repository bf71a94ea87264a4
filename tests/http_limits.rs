//! Hardening of the HTTP endpoints (`brandpulse::telemetry::http`), against a real server on
//! 127.0.0.1 port 0, over raw TCP so that half-sent requests and unread responses can be
//! staged: the header read timeout (also between requests on a kept-alive connection), the
//! idle timeout (a client that stops reading), the connection limit (connections over it
//! wait in the backlog and are served once a slot frees), the shutdown grace, and the
//! security headers. Timeouts are shortened through [`Limits`]; the whole file runs in a
//! few seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brandpulse::shutdown::{self, Trigger};
use brandpulse::telemetry::http::{self, Health, HttpError, Limits, PAGE_CSP};
use brandpulse::telemetry::Metrics;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// A request line and one header, without the blank line that ends the head.
const HALF_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n";

struct Server {
    addr: SocketAddr,
    trigger: Trigger,
    task: JoinHandle<Result<(), HttpError>>,
}

impl Server {
    /// Fires the shutdown and waits for the server future, which must end within `within`.
    async fn stop(self, within: Duration) {
        self.trigger.fire();
        tokio::time::timeout(within, self.task)
            .await
            .expect("the server did not stop in time")
            .expect("server task")
            .expect("server result");
    }
}

async fn start(limits: Option<Limits>) -> Server {
    let (registry, metrics) = Metrics::for_tests();
    let (trigger, shutdown) = shutdown::channel();
    let addr = "127.0.0.1:0".parse().unwrap();
    let health = Arc::new(Health::default());
    let (addr, task) = match limits {
        Some(limits) => {
            let (addr, server) = http::bind_with(
                addr,
                registry,
                health,
                metrics.live.clone(),
                shutdown,
                limits,
            )
            .await
            .unwrap();
            (addr, tokio::spawn(server))
        }
        None => {
            let (addr, server) = http::bind(addr, registry, health, metrics.live.clone(), shutdown)
                .await
                .unwrap();
            (addr, tokio::spawn(server))
        }
    };
    Server {
        addr,
        trigger,
        task,
    }
}

fn short(header_read_timeout: Duration, idle_timeout: Duration) -> Limits {
    Limits {
        header_read_timeout,
        idle_timeout,
        ..Limits::default()
    }
}

/// Reads until the server closes the connection (end of stream or reset) and returns what
/// it sent; `None` if it is still open after `within`.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let closed = tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    closed.ok().map(|()| out)
}

/// An HTTP/1.0 request without a body (the server closes after the response); the whole
/// response as text.
async fn request(addr: SocketAddr, method: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("{method} {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let out = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("{method} {path}: no complete response within 10 s"));
    String::from_utf8_lossy(&out).into_owned()
}

async fn get(addr: SocketAddr, path: &str) -> String {
    request(addr, "GET", path).await
}

fn status(response: &str) -> Option<&str> {
    response.split(' ').nth(1)
}

/// The value of header `name` (case-insensitive) in `response`'s head.
fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn default_limits_are_the_documented_ones() {
    let d = Limits::default();
    assert_eq!(d.header_read_timeout, Duration::from_secs(10));
    assert_eq!(d.idle_timeout, Duration::from_secs(60));
    assert_eq!(d.max_connections, 256);
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(500);
    let server = start(Some(short(timeout, Duration::from_secs(60)))).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(HALF_REQUEST).await.unwrap();
    let sent = Instant::now();
    let answer = read_until_closed(&mut s, Duration::from_secs(5))
        .await
        .expect("the half-sent request was still open after 5 s");
    let waited = sent.elapsed();
    assert!(
        waited >= timeout.mul_f32(0.8),
        "closed after {waited:?}, before the {timeout:?} timeout"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains(" 200 "),
        "a half-sent request was answered: {}",
        String::from_utf8_lossy(&answer)
    );
    // The server itself is unharmed.
    assert_eq!(status(&get(server.addr, "/healthz").await), Some("200"));
    server.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(500);
    let server = start(Some(short(timeout, Duration::from_secs(60)))).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The whole response: a head and "ok\n", on a connection kept open.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"\r\n\r\nok\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("no response to a complete request")
            .unwrap();
        assert!(n > 0, "closed before the response was complete");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"HTTP/1.1 200"));
    let answered = Instant::now();
    read_until_closed(&mut s, Duration::from_secs(5))
        .await
        .expect("the idle kept-alive connection was still open after 5 s");
    let waited = answered.elapsed();
    assert!(
        waited >= timeout.mul_f32(0.8),
        "closed after {waited:?}, before the {timeout:?} timeout"
    );
    server.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_idle_timeout() {
    // The header read timeout is long and does not run while a response is written: only
    // the idle timeout can end this connection.
    let idle = Duration::from_millis(500);
    let server = start(Some(short(Duration::from_secs(60), idle))).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(server.addr).await.unwrap();
    // 300 pipelined requests for a 50 kB asset: 15 MB of responses, far more than the
    // socket buffers hold, so the server's writes block while we do not read.
    let requests = "GET /assets/uPlot.iife.min.js HTTP/1.1\r\nHost: x\r\n\r\n".repeat(300);
    s.write_all(requests.as_bytes()).await.unwrap();
    tokio::time::sleep(idle * 3).await;
    let got = read_until_closed(&mut s, Duration::from_secs(5))
        .await
        .expect("a connection whose client stopped reading was still open");
    let responses = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200 OK")
        .count();
    assert!(
        responses < 300,
        "all {responses} responses were written: the connection was never blocked"
    );
    server.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_slot_and_are_then_served() {
    let timeout = Duration::from_secs(1);
    let limits = short(timeout, Duration::from_secs(60));
    assert_eq!(limits.max_connections, 256);
    let server = start(Some(limits)).await;
    let began = Instant::now();
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(HALF_REQUEST).await.unwrap();
        held.push(s);
    }
    let opened = began.elapsed();
    // 256 half-open connections fill every slot; 44 more and this probe wait in the
    // backlog. No slot frees before the first of them times out, one `timeout` after it
    // was accepted: the probe is answered then, not at once, and not refused.
    let mut probe = TcpStream::connect(server.addr).await.unwrap();
    probe
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let sent = Instant::now();
    let answer = read_until_closed(&mut probe, Duration::from_secs(6))
        .await
        .expect("the probe was not answered within 6 s");
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status(&answer), Some("200"), "{answer}");
    assert_eq!(answer.split("\r\n\r\n").nth(1), Some("ok\n"));
    let since_began = began.elapsed();
    assert!(
        since_began >= timeout.mul_f32(0.9),
        "answered {since_began:?} after the half-open connections began (opening them took \
         {opened:?}), before any slot could free up: the limit did not hold"
    );
    assert!(
        sent.elapsed() < timeout * 4,
        "answered {:?} after it was sent",
        sent.elapsed()
    );
    // The first half-open connection was among those accepted and timed out.
    let first = read_until_closed(&mut held[0], Duration::from_secs(1)).await;
    assert!(
        first.is_some(),
        "the first half-open connection is still open"
    );
    drop(held);
    server.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let server = start(None).await;
    for path in [
        "/",
        "/metrics",
        "/healthz",
        "/readyz",
        "/api/live",
        "/assets/app.js",
        "/assets/nope.js",
        "/no/such/route",
    ] {
        let response = get(server.addr, path).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}: {response}"
        );
    }
    let not_allowed = request(server.addr, "POST", "/metrics").await;
    assert_eq!(status(&not_allowed), Some("405"), "{not_allowed}");
    assert_eq!(
        header(&not_allowed, "x-content-type-options"),
        Some("nosniff")
    );
    let page = get(server.addr, "/").await;
    assert_eq!(status(&page), Some("200"));
    let csp = header(&page, "content-security-policy").expect("no CSP on the page");
    assert_eq!(csp, PAGE_CSP);
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(directives.contains(&"default-src 'self'"), "{csp}");
    assert!(directives.contains(&"img-src 'self' data:"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    // The page loads its scripts and styles from this server only, and has no inline
    // script or style, which the policy would block.
    let body = page.split("\r\n\r\n").nth(1).unwrap();
    let loads =
        regex::Regex::new(r#"<(?:script|link rel="stylesheet")[^>]*(?:src|href)="([^"]*)""#)
            .unwrap();
    let urls: Vec<&str> = loads
        .captures_iter(body)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(urls.len(), 4, "{urls:?}");
    assert!(urls.iter().all(|u| u.starts_with("/assets/")), "{urls:?}");
    assert!(!body.contains("<script>") && !body.contains("<style") && !body.contains("style="));
    assert_eq!(header(&page, "cache-control"), None);
    // Only the page gets a CSP; caching stays as it was.
    let metrics = get(server.addr, "/metrics").await;
    assert_eq!(header(&metrics, "content-security-policy"), None);
    assert_eq!(
        header(&get(server.addr, "/api/live").await, "cache-control"),
        Some("no-store")
    );
    assert_eq!(
        header(
            &get(server.addr, "/assets/style.css").await,
            "cache-control"
        ),
        Some("max-age=300")
    );
    server.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn shutdown_returns_within_the_grace_and_closes_the_listener() {
    let grace = Duration::from_millis(500);
    let server = start(Some(Limits {
        shutdown_grace: grace,
        ..short(Duration::from_secs(60), Duration::from_secs(60))
    }))
    .await;
    let addr = server.addr;
    assert_eq!(status(&get(addr, "/healthz").await), Some("200"));
    // One connection that sent nothing, one stuck in the middle of a request head: without
    // the grace the second would hold the shutdown for the 60 s header read timeout.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut stuck = TcpStream::connect(addr).await.unwrap();
    stuck.write_all(HALF_REQUEST).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fired = Instant::now();
    server.stop(Duration::from_secs(3)).await;
    assert!(
        fired.elapsed() < grace * 3,
        "stopped after {:?}",
        fired.elapsed()
    );
    assert!(read_until_closed(&mut silent, Duration::from_secs(1))
        .await
        .is_some());
    assert!(read_until_closed(&mut stuck, Duration::from_secs(1))
        .await
        .is_some());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}
