//! End-to-end tests against a real Kafka-protocol broker process (tansu with SQLite storage)
//! and the real `brandpulse` binary:
//! - kill -9 of the service mid-stream and a restart lose nothing;
//! - the broker stopping and restarting is survived without restarting the service.
//!
//! They need the tansu binary: `make test` installs it and sets `TANSU_BIN`. They are
//! `#[ignore]`d so that a plain `cargo test` on a machine without tansu passes; `make test`
//! runs them with `--include-ignored`, and then a missing `TANSU_BIN` is a failure.

#![cfg(unix)]

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

use common::*;

fn tansu_bin() -> PathBuf {
    PathBuf::from(std::env::var("TANSU_BIN").expect(
        "TANSU_BIN is not set: run `make test`, which installs tansu and sets it \
         (or: TANSU_BIN=$(bash scripts/ensure-tansu.sh) cargo test -- --include-ignored)",
    ))
}

struct Broker {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl Broker {
    fn start(dir: &Path, port: u16) -> Self {
        let mut b = Broker {
            child: None,
            dir: dir.to_path_buf(),
            port,
        };
        b.restart();
        b
    }

    fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("broker.log"))
            .unwrap();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(tansu_bin())
            .current_dir(&self.dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        wait_port(self.port, Duration::from_secs(20));
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} did not open");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn create_topics(brokers: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let topics = [
        NewTopic::new("mentions", 3, TopicReplication::Fixed(1)),
        NewTopic::new("tweets", 1, TopicReplication::Fixed(1)),
        NewTopic::new("scored", 3, TopicReplication::Fixed(1)),
        NewTopic::new("dead", 1, TopicReplication::Fixed(1)),
    ];
    let results = admin
        .create_topics(&topics, &AdminOptions::new())
        .await
        .expect("create topics");
    for r in results {
        if let Err((t, e)) = r {
            panic!("creating topic {t}: {e}");
        }
    }
}

struct Service {
    child: Child,
    metrics_port: u16,
}

impl Service {
    fn start(dir: &Path, config: &Path, metrics_port: u16) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("brandpulse.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_brandpulse"))
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            // Static membership: the restarted instance takes the killed one's place at once.
            // (tansu 0.6 does not expire a dynamic member that died without leaving, so
            // without it the restarted instance would wait for partitions forever.)
            .env("BRANDPULSE_INSTANCE_ID", "e2e-0")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start brandpulse");
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", metrics_port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "brandpulse exited with {status}:\n{}",
                    tail(&dir.join("brandpulse.log"), 20)
                );
            }
            assert!(
                Instant::now() < deadline,
                "brandpulse did not open its metrics port"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Service {
            child,
            metrics_port,
        }
    }

    /// Value of an unlabelled or fully labelled series in /metrics.
    fn metric(&self, series: &str) -> f64 {
        http_get(self.metrics_port, "/metrics")
            .lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    fn scored(&self) -> f64 {
        self.metric("brandpulse_emit_produced_total{output=\"scored\"}")
    }

    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "brandpulse did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn write_config(dir: &Path, brokers: &str, metrics_port: u16) -> PathBuf {
    let text = config_toml(
        brokers,
        "e2e",
        // Small buffers keep the amount in flight (and so the work a kill interrupts) realistic
        // rather than "everything consumed in the first second".
        &format!(
            "channel_capacity = 2\nmax_in_flight = 256\n\
             [telemetry]\nlisten = \"127.0.0.1:{metrics_port}\""
        ),
    );
    let path = dir.join("brandpulse.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn mentions(range: std::ops::Range<usize>) -> Vec<Input<'static>> {
    range
        .map(|i| {
            (
                "mentions",
                Some(format!("k{i}").into_bytes()),
                Some(acme_mention(i).into_bytes()),
            )
        })
        .collect()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn assert_all_delivered(brokers: &str, n: usize, dir: &Path) {
    let reads = read_until(brokers, &["scored"], Duration::from_secs(90), |r| {
        scored_ids(r).len() >= n
    });
    let ids = scored_ids(&reads);
    let missing: Vec<usize> = (0..n)
        .filter(|i| !ids.contains(&format!("m-{i}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {n} mentions lost, e.g. {:?}\n--- brandpulse.log\n{}\n--- broker.log\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        tail(&dir.join("brandpulse.log"), 40),
        tail(&dir.join("broker.log"), 20),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn kill_9_mid_stream_and_restart_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let metrics_port = free_port();
    let config = write_config(dir.path(), &brokers, metrics_port);
    const N: usize = 16_000;
    produce(&brokers, &mentions(0..N / 2)).await;

    let service = Service::start(dir.path(), &config, metrics_port);
    wait_until("first outputs", Duration::from_secs(60), || {
        service.scored() >= 50.0
    });
    let before_kill = service.scored();
    eprintln!("killed after {before_kill} of {} scored", N / 2);
    service.kill_9();
    assert!(
        before_kill < (N / 2) as f64,
        "killed too late to be mid-stream"
    );
    produce(&brokers, &mentions(N / 2..N)).await;

    let service = Service::start(dir.path(), &config, metrics_port);
    let b = brokers.clone();
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || assert_all_delivered(&b, N, &d))
        .await
        .unwrap();
    let status = tokio::task::spawn_blocking(move || service.terminate())
        .await
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn broker_restart_is_survived_without_restarting_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let metrics_port = free_port();
    let config = write_config(dir.path(), &brokers, metrics_port);
    const N: usize = 2000;

    let service = Service::start(dir.path(), &config, metrics_port);
    produce(&brokers, &mentions(0..N / 2)).await;
    wait_until("first half scored", Duration::from_secs(60), || {
        service.scored() >= (N / 2) as f64
    });

    broker.kill();
    std::thread::sleep(Duration::from_secs(3));
    broker.restart();
    produce(&brokers, &mentions(N / 2..N)).await;

    let b = brokers.clone();
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || assert_all_delivered(&b, N, &d))
        .await
        .unwrap();
    let mut service = service;
    assert!(
        service.child.try_wait().unwrap().is_none(),
        "service still running"
    );
    let status = tokio::task::spawn_blocking(move || service.terminate())
        .await
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}
