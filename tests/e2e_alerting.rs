//! End-to-end alerting with the real Prometheus and Alertmanager binaries:
//! `brandpulse run` (on librdkafka's in-process MockCluster) -> Prometheus scraping it every
//! second and evaluating `deploy/prometheus/rules/` -> Alertmanager routing with
//! `deploy/prometheus/alertmanager.yml` -> a webhook receiver inside the test.
//!
//! The Prometheus and Alertmanager configs are generated from the files in
//! `deploy/prometheus/`, changed only where a test must: scrape and evaluation every 1s,
//! targets on free local ports, the receivers' placeholder URLs pointing at the test's
//! webhook (`/pager` for critical, `/chat` for warning), `group_wait` 1s, and every rule's
//! `for:` shortened to 1s (the real ones are 30s to 10m; a test cannot wait that long).
//! The generation asserts each replacement happened, so a change to those files that breaks
//! it fails here rather than silently testing something else.
//!
//! They need `prometheus` and `alertmanager` (Debian: `/usr/bin/prometheus`,
//! `/usr/bin/prometheus-alertmanager`; `scripts/ensure-prometheus.sh` installs them, or set
//! `PROMETHEUS_BIN` / `ALERTMANAGER_BIN`). They are `#[ignore]`d so that a plain
//! `cargo test` on a machine without them passes; `make test` runs them with
//! `--include-ignored`, and then missing binaries are a failure.

#![cfg(unix)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;

use common::*;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/prometheus");

/// `$var`, else the first of `names` found on PATH or as a path.
fn find_bin(var: &str, names: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var(var) {
        return PathBuf::from(p);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for name in names {
        if name.starts_with('/') && Path::new(name).is_file() {
            return PathBuf::from(name);
        }
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "{} not found (tried {var} and {names:?}): run `bash scripts/ensure-prometheus.sh` \
         (Debian packages prometheus and prometheus-alertmanager), or set {var}",
        names[0]
    )
}

fn prometheus_bin() -> PathBuf {
    find_bin("PROMETHEUS_BIN", &["prometheus", "/usr/bin/prometheus"])
}

fn alertmanager_bin() -> PathBuf {
    find_bin(
        "ALERTMANAGER_BIN",
        &[
            "alertmanager",
            "prometheus-alertmanager",
            "/usr/bin/prometheus-alertmanager",
        ],
    )
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process, its log file, killed on drop (also when the test fails half-way).
struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, cmd: &mut Command, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Proc { name, child, log }
    }

    /// Waits until `GET path` on `port` answers 200.
    fn wait_ready(&mut self, port: u16, path: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !http_get(port, path).starts_with("HTTP/1.0 200")
            && !http_get(port, path).starts_with("HTTP/1.1 200")
        {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("{} exited with {status}:\n{}", self.name, self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready on port {port}{path}:\n{}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        tail(&self.log, 30)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A notification Alertmanager POSTed to the test's webhook.
#[derive(Debug, Clone)]
struct Delivery {
    path: String,
    body: serde_json::Value,
}

/// A tiny HTTP server that records every POST (path and JSON body) and answers 200.
struct Webhook {
    port: u16,
    received: Arc<Mutex<Vec<Delivery>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Webhook {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = received.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(s) = stream {
                        if let Some(d) = Self::serve(s) {
                            received.lock().unwrap().push(d);
                        }
                    }
                }
            })
        };
        Webhook {
            port,
            received,
            stop,
            thread: Some(thread),
        }
    }

    /// Reads one request (headers, then Content-Length bytes of body), answers 200.
    fn serve(mut s: TcpStream) -> Option<Delivery> {
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let header_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
        let mut lines = head.lines();
        let request = lines.next()?.to_string();
        let len: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + len {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let mut parts = request.split_whitespace();
        if parts.next() != Some("POST") {
            return None;
        }
        let path = parts.next()?.to_string();
        let body = serde_json::from_slice(&buf[header_end..]).ok()?;
        Some(Delivery { path, body })
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Every alert delivered so far, with the path it was delivered to and the
    /// notification's status.
    fn alerts(&self) -> Vec<(String, serde_json::Value)> {
        self.deliveries()
            .into_iter()
            .flat_map(|d| {
                let alerts = d.body["alerts"].as_array().cloned().unwrap_or_default();
                alerts.into_iter().map(move |a| (d.path.clone(), a))
            })
            .collect()
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `text` with `from` replaced by `to`; panics when `from` does not occur (the deploy file
/// changed shape: update the test).
fn replace(text: &str, from: &str, to: &str, file: &str) -> String {
    assert!(
        text.contains(from),
        "deploy/prometheus/{file} no longer contains {from:?}; update tests/e2e_alerting.rs"
    );
    text.replace(from, to)
}

/// A rule file with every `for:` shortened to 1s.
fn shorten_for(text: &str) -> String {
    let mut n = 0;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            let trimmed = l.trim_start();
            if trimmed.starts_with("for:") {
                n += 1;
                format!("{}for: 1s", &l[..l.len() - trimmed.len()])
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(n > 0, "no `for:` in a rule file");
    out.join("\n") + "\n"
}

/// Prometheus and Alertmanager, configured from deploy/prometheus, and the webhook.
struct Monitoring {
    prometheus: Proc,
    prometheus_port: u16,
    alertmanager: Proc,
    webhook: Webhook,
}

impl Monitoring {
    fn start(dir: &Path, brandpulse_port: u16) -> Self {
        let webhook = Webhook::start();
        let am_port = free_port();
        let prom_port = free_port();

        // Alertmanager: the real routing, receivers pointed at the webhook.
        let am = std::fs::read_to_string(format!("{DEPLOY}/alertmanager.yml")).unwrap();
        let f = "alertmanager.yml";
        let am = replace(
            &am,
            "https://pager.example.com/hooks/brandpulse",
            &webhook.url("/pager"),
            f,
        );
        let am = replace(
            &am,
            "https://chat.example.com/hooks/brandpulse-alerts",
            &webhook.url("/chat"),
            f,
        );
        let am = replace(&am, "group_wait: 30s", "group_wait: 1s", f);
        let am = replace(&am, "group_wait: 10s", "group_wait: 1s", f);
        let am = replace(&am, "group_interval: 5m", "group_interval: 1s", f);
        let am_dir = dir.join("alertmanager");
        std::fs::create_dir_all(am_dir.join("data")).unwrap();
        std::fs::write(am_dir.join("alertmanager.yml"), am).unwrap();
        let mut alertmanager = Proc::spawn(
            "alertmanager",
            Command::new(alertmanager_bin())
                .arg(format!(
                    "--config.file={}",
                    am_dir.join("alertmanager.yml").display()
                ))
                .arg(format!("--storage.path={}", am_dir.join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
                .arg("--cluster.listen-address="),
            dir.join("alertmanager.log"),
        );
        alertmanager.wait_ready(am_port, "/-/ready", Duration::from_secs(30));

        // Prometheus: the real config and rules, every second, `for:` shortened.
        let prom_dir = dir.join("prometheus");
        std::fs::create_dir_all(prom_dir.join("rules")).unwrap();
        std::fs::create_dir_all(prom_dir.join("data")).unwrap();
        for rules in ["brandpulse-alerts.yml", "brandpulse-recording.yml"] {
            let text = std::fs::read_to_string(format!("{DEPLOY}/rules/{rules}")).unwrap();
            let text = if rules.contains("alerts") {
                shorten_for(&text)
            } else {
                text
            };
            std::fs::write(prom_dir.join("rules").join(rules), text).unwrap();
        }
        let p = std::fs::read_to_string(format!("{DEPLOY}/prometheus.yml")).unwrap();
        let f = "prometheus.yml";
        let p = replace(&p, "scrape_interval: 15s", "scrape_interval: 1s", f);
        let p = replace(&p, "evaluation_interval: 15s", "evaluation_interval: 1s", f);
        let p = replace(&p, "scrape_timeout: 10s", "scrape_timeout: 1s", f);
        let p = replace(
            &p,
            "\"127.0.0.1:9093\"",
            &format!("\"127.0.0.1:{am_port}\""),
            f,
        );
        let p = replace(
            &p,
            "\"127.0.0.1:9898\"",
            &format!("\"127.0.0.1:{brandpulse_port}\""),
            f,
        );
        std::fs::write(prom_dir.join("prometheus.yml"), p).unwrap();
        let mut prometheus = Proc::spawn(
            "prometheus",
            Command::new(prometheus_bin())
                .arg(format!(
                    "--config.file={}",
                    prom_dir.join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    prom_dir.join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{prom_port}")),
            dir.join("prometheus.log"),
        );
        prometheus.wait_ready(prom_port, "/-/ready", Duration::from_secs(30));
        Monitoring {
            prometheus,
            prometheus_port: prom_port,
            alertmanager,
            webhook,
        }
    }

    /// Result of an instant query (`data.result`), empty on any error.
    fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let resp = http_get(
            self.prometheus_port,
            &format!("/api/v1/query?query={}", url_encode(promql)),
        );
        let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    }

    /// The logs of both, for failure messages.
    fn logs(&self) -> String {
        format!(
            "--- prometheus.log\n{}\n--- alertmanager.log\n{}\n--- webhook deliveries\n{:?}",
            self.prometheus.log_tail(),
            self.alertmanager.log_tail(),
            self.webhook.deliveries()
        )
    }

    /// Waits for the first delivered alert (path, alert) matching `pred`.
    fn wait_alert(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str, &serde_json::Value) -> bool,
        context: impl Fn() -> String,
    ) -> (String, serde_json::Value) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.webhook.alerts().into_iter().find(|(p, a)| pred(p, a)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}\n{}",
                self.logs(),
                context()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `brandpulse run` with `extra` config (before `[scoring]`) and the brand `acme`, plus
/// `globex` when `globex`, on the mock cluster.
fn start_brandpulse(dir: &Path, brokers: &str, port: u16, extra: &str, globex: bool) -> Proc {
    let mut config = config_toml(
        brokers,
        "e2e-alerting",
        &format!("[telemetry]\nlisten = \"127.0.0.1:{port}\"\n{extra}"),
    );
    if globex {
        config.push_str(
            "[[brands]]\nid = \"globex\"\n[brands.topics.brand]\nkeywords = [\"globex\"]\n",
        );
    }
    let path = dir.join("brandpulse.toml");
    std::fs::write(&path, config).unwrap();
    let mut p = Proc::spawn(
        "brandpulse",
        Command::new(env!("CARGO_BIN_EXE_brandpulse"))
            .args(["run", "--config"])
            .arg(&path)
            .env("RUST_LOG", "info,librdkafka=warn,rdkafka=warn"),
        dir.join("brandpulse.log"),
    );
    p.wait_ready(port, "/healthz", Duration::from_secs(30));
    p
}

fn label<'a>(alert: &'a serde_json::Value, name: &str) -> &'a str {
    alert["labels"][name].as_str().unwrap_or_default()
}

fn annotation<'a>(alert: &'a serde_json::Value, name: &str) -> &'a str {
    alert["annotations"][name].as_str().unwrap_or_default()
}

/// The harness on its own, with alerts brandpulse has without the spike stage: Prometheus
/// scrapes the real service and the recording rules evaluate; an idle instance's
/// BrandpulseNoConsumption (a warning) is routed to the chat receiver with its annotations.
#[test]
#[ignore = "needs Prometheus and Alertmanager: run `make test` (scripts/ensure-prometheus.sh)"]
fn health_alert_reaches_the_chat_receiver() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    for (t, p) in [
        ("mentions", 1),
        ("tweets", 1),
        ("scored", 1),
        ("dead", 1),
        ("inbox", 1),
    ] {
        cluster.create_topic(t, p, 1).expect("create topic");
    }
    let dir = tempfile::tempdir().unwrap();
    let bp_port = free_port();
    let brandpulse = start_brandpulse(dir.path(), &cluster.bootstrap_servers(), bp_port, "", false);
    let mon = Monitoring::start(dir.path(), bp_port);
    let bp_log = || format!("--- brandpulse.log\n{}", brandpulse.log_tail());

    wait_until(
        "Prometheus to scrape brandpulse",
        Duration::from_secs(30),
        || mon.query("brandpulse_up{job=\"brandpulse\"} == 1").len() == 1,
    );

    let (path, alert) = mon.wait_alert(
        "BrandpulseNoConsumption at the webhook",
        Duration::from_secs(60),
        |_, a| label(a, "alertname") == "BrandpulseNoConsumption",
        bp_log,
    );
    assert_eq!(path, "/chat", "warnings go to the chat receiver: {alert}");
    assert_eq!(label(&alert, "severity"), "warning");
    assert_eq!(label(&alert, "job"), "brandpulse");
    assert_eq!(label(&alert, "instance"), format!("127.0.0.1:{bp_port}"));
    assert_eq!(alert["status"], "firing");
    assert!(
        annotation(&alert, "summary").contains(&format!("127.0.0.1:{bp_port}")),
        "{alert}"
    );
    assert!(annotation(&alert, "description").contains("consumed no record"));
    assert_eq!(
        annotation(&alert, "runbook_url"),
        "https://github.com/brandpulse/brandpulse/blob/main/docs/operations.md#brandpulsenoconsumption"
    );
    // Nothing else fires for a healthy idle instance.
    let others: Vec<_> = mon
        .webhook
        .alerts()
        .into_iter()
        .filter(|(_, a)| label(a, "alertname") != "BrandpulseNoConsumption")
        .collect();
    assert!(others.is_empty(), "unexpected alerts: {others:?}");
}

/// A canonical mention of `brand` created now (the alert stage windows by event time).
/// Its text has 7 words, under `screen.campaign.min_words` (8): the screen stage does not
/// compare it, so 17 authors repeating it are not a copy-paste campaign (docs/screening.md).
fn mention_now(brand: &str, i: usize) -> String {
    serde_json::json!({
        "id": format!("{brand}-{i}"),
        "text": format!("{brand} rocket skates number {i} are great"),
        "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "source": "twitter",
        "lang": "en",
        "author": {"id": format!("a{}", i % 17), "handle": format!("user{}", i % 17), "followers": 100 + i % 1000},
    })
    .to_string()
}

/// Streams mentions in real time on a thread: `rate(elapsed)` returns (acme, globex)
/// mentions per 100 ms tick. Stops when dropped.
struct Stream {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stream {
    fn start(brokers: &str, rate: impl Fn(Duration) -> (usize, usize) + Send + 'static) -> Self {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
        let producer: BaseProducer = rdkafka::config::ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("linger.ms", "5")
            .create()
            .expect("test producer");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut i = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let (acme, globex) = rate(start.elapsed());
                    for (brand, n) in [("acme", acme), ("globex", globex)] {
                        for _ in 0..n {
                            i += 1;
                            let payload = mention_now(brand, i);
                            let key = format!("k{i}");
                            let mut rec = BaseRecord::to("mentions").key(&key).payload(&payload);
                            while let Err((_, r)) = producer.send(rec) {
                                producer.poll(Duration::from_millis(10));
                                rec = r;
                            }
                        }
                    }
                    producer.poll(Duration::ZERO);
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = producer.flush(Duration::from_secs(5));
            })
        };
        Stream {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The whole path: a volume spike for acme (and none for globex) in the alert stage's
/// 1-second windows becomes `brandpulse_alert_active`, Prometheus' BrandVolumeSpike, and an
/// Alertmanager notification at the receiver its severity routes to, with the brand,
/// severity and annotations (observed and expected counts read back from Prometheus).
#[test]
#[ignore = "needs Prometheus and Alertmanager: run `make test` (scripts/ensure-prometheus.sh)"]
fn brand_volume_spike_reaches_the_receiver_for_its_severity() {
    let (_cluster, brokers) = mock_cluster(&[
        ("mentions", 2),
        ("tweets", 1),
        ("scored", 1),
        ("dead", 1),
        ("alerts", 1),
        ("alert-checkpoints", 1),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let bp_port = free_port();
    // Tiny windows: 1 s, warm after 5 of them, 2 significant windows of 3 fire.
    let brandpulse = start_brandpulse(
        dir.path(),
        &brokers,
        bp_port,
        "[alert]\nenabled = true\nwindow = \"1s\"\nlateness = \"1s\"\nwarmup_windows = 5\n\
         min_count = 10\npersistence_k = 2\npersistence_n = 3\ncooldown_windows = 5\n\
         checkpoint_topic = \"alert-checkpoints\"\nalerts_topic = \"alerts\"\n",
        true,
    );
    let mon = Monitoring::start(dir.path(), bp_port);
    let bp_log = || format!("--- brandpulse.log\n{}", brandpulse.log_tail());

    // Baseline: about 20 acme and 20 globex mentions a second for 12 s (12 windows), then
    // acme jumps to about 300 a second and stays there until the notification arrives.
    let _stream = Stream::start(&brokers, |t| {
        if t < Duration::from_secs(12) {
            (2, 2)
        } else {
            (30, 2)
        }
    });

    let (path, alert) = mon.wait_alert(
        "BrandVolumeSpike for acme at the webhook",
        Duration::from_secs(90),
        |_, a| label(a, "alertname") == "BrandVolumeSpike",
        || {
            format!(
                "{}\n--- brandpulse_alert series in Prometheus: {:?}",
                bp_log(),
                mon.query("{__name__=~\"brandpulse_alert_.*\"}")
            )
        },
    );
    eprintln!("delivered to {path}: {alert}");
    assert_eq!(label(&alert, "brand"), "acme", "{alert}");
    assert_eq!(label(&alert, "kind"), "volume", "{alert}");
    assert_eq!(label(&alert, "job"), "brandpulse", "{alert}");
    assert_eq!(alert["status"], "firing", "{alert}");
    let severity = label(&alert, "severity");
    match severity {
        "critical" => assert_eq!(path, "/pager", "critical pages: {alert}"),
        "warning" => assert_eq!(path, "/chat", "warnings go to chat: {alert}"),
        other => panic!("severity {other:?}: {alert}"),
    }
    assert_eq!(
        annotation(&alert, "summary"),
        format!("Mention volume spike for brand acme ({severity})")
    );
    // "acme had N mentions in the last closed window where its baseline expects X."
    let description = annotation(&alert, "description");
    let numbers: Vec<f64> = description
        .trim_end_matches('.')
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        description.starts_with("acme had ") && numbers.len() == 2,
        "observed and expected in the description: {description:?}"
    );
    assert!(
        numbers[0] > numbers[1],
        "observed above expected: {description:?}"
    );
    assert_eq!(
        annotation(&alert, "runbook_url"),
        "https://github.com/brandpulse/brandpulse/blob/main/docs/operations.md#brandvolumespike"
    );
    // The drivers are on the live page of the instance that raised the alert.
    assert_eq!(
        annotation(&alert, "drivers_url"),
        format!(
            "http://{}/?brand=acme#alerts-section",
            label(&alert, "instance")
        )
    );
    let globex: Vec<_> = mon
        .webhook
        .alerts()
        .into_iter()
        .filter(|(_, a)| label(a, "brand") == "globex")
        .collect();
    assert!(globex.is_empty(), "globex did not spike: {globex:?}");
}
