//! The tansu broker process and the `brandpulse` binary as child processes, for the
//! end-to-end tests (tests/e2e_tansu.rs, tests/e2e_tls.rs, tests/faults.rs).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

use super::http_get;

pub fn tansu_bin() -> PathBuf {
    PathBuf::from(std::env::var("TANSU_BIN").expect(
        "TANSU_BIN is not set: run `make test`, which installs tansu and sets it \
         (or: TANSU_BIN=$(bash scripts/ensure-tansu.sh) cargo test -- --include-ignored)",
    ))
}

pub struct Broker {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
    /// The port advertised in metadata (a TLS proxy's, when there is one in front).
    pub advertised: u16,
    /// Require SASL authentication.
    pub authentication: bool,
}

impl Broker {
    pub fn start(dir: &Path, port: u16) -> Self {
        Self::start_with(dir, port, port, false)
    }

    /// A broker listening on `port`, advertising `advertised`, with or without SASL.
    pub fn start_with(dir: &Path, port: u16, advertised: u16, authentication: bool) -> Self {
        let mut b = Broker {
            child: None,
            dir: dir.to_path_buf(),
            port,
            advertised,
            authentication,
        };
        b.restart();
        b
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("broker.log"))
            .unwrap();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let mut command = Command::new(tansu_bin());
        command
            .current_dir(&self.dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"]);
        if self.authentication {
            command.arg("--authentication");
        }
        let child = command
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        wait_port(self.port, Duration::from_secs(20));
    }

    pub fn kill(&mut self) {
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

pub fn wait_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} did not open");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub async fn create_topics(brokers: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let topics = [
        NewTopic::new("mentions", 3, TopicReplication::Fixed(1)),
        NewTopic::new("tweets", 1, TopicReplication::Fixed(1)),
        NewTopic::new("scored", 3, TopicReplication::Fixed(1)),
        NewTopic::new("dead", 1, TopicReplication::Fixed(1)),
        NewTopic::new("inbox", 1, TopicReplication::Fixed(1)),
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

pub struct Service {
    pub child: Child,
    pub metrics_port: u16,
}

impl Service {
    pub fn start(dir: &Path, config: &Path, metrics_port: u16) -> Self {
        // Static membership: the restarted instance takes the killed one's place at once.
        // (tansu 0.6 does not expire a dynamic member that died without leaving, so
        // without it the restarted instance would wait for partitions forever.)
        Self::start_as(dir, config, metrics_port, Some("e2e-0"), "brandpulse.log")
    }

    /// A service with `instance` as its static group membership id (`None`: dynamic
    /// membership, which leaves the group on a graceful stop), logging to `log_name`.
    pub fn start_as(
        dir: &Path,
        config: &Path,
        metrics_port: u16,
        instance: Option<&str>,
        log_name: &str,
    ) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(log_name))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_brandpulse"));
        command
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        match instance {
            Some(id) => command.env("BRANDPULSE_INSTANCE_ID", id),
            None => command.env_remove("BRANDPULSE_INSTANCE_ID"),
        };
        let child = command.spawn().expect("start brandpulse");
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", metrics_port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "brandpulse exited with {status}:\n{}",
                    tail(&dir.join(log_name), 20)
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
    pub fn metric(&self, series: &str) -> f64 {
        http_get(self.metrics_port, "/metrics")
            .lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    pub fn scored(&self) -> f64 {
        self.metric("brandpulse_emit_produced_total{output=\"scored\"}")
    }

    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
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

pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
