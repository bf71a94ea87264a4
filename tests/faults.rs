//! The fault table: the real `brandpulse` binary against a real Kafka-protocol broker process
//! (tansu with SQLite storage), under the faults an operator meets:
//!
//! | fault | what the test does |
//! |---|---|
//! | poison records | 20 KB garbage, a 5 KB `source`, an output over `message.max.bytes` |
//! | broker stop and restart | the broker is killed mid-stream and restarted; the service is not |
//! | `kill -9` and restart | the service is killed mid-stream and started again |
//! | rebalance | a second member joins mid-stream, then the first stops mid-stream |
//! | drain timeout | outputs cannot be produced; the stop ends at the grace period, the consumer leaves the group, a new member takes over |
//!
//! Each asserts that nothing is lost, input offset by input offset: every matching mention
//! is on the scored topic, every poison record is on the dead-letter topic (found by its
//! source partition and offset headers), and the group's committed offset has reached the
//! end of every input partition (so unmatched mentions were consumed too). Each counts the
//! duplicates that at-least-once delivery allowed, and prints one `FAULT` line for the table
//! in docs/operations.md.
//!
//! They need tansu: `make test` installs it and sets `TANSU_BIN`, and runs them at a small
//! scale; `make faults` runs them at `FAULTS_SCALE=10`. `#[ignore]`d for a plain `cargo test`.

#![cfg(unix)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::util::Timeout;

use common::tansu::*;
use common::*;

/// Multiplies the number of records (`make faults` sets 10).
fn scale() -> usize {
    std::env::var("FAULTS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s >= 1)
        .unwrap_or(1)
}

/// What one input is, and so where it must end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Matching,
    Unmatched,
    Poison,
}

/// Inputs produced so far: kind, mention id, and where each landed.
#[derive(Default, Clone)]
struct Ledger {
    entries: Vec<(Kind, String, i32, i64)>,
}

impl Ledger {
    /// Produces `n` inputs starting at `first`: every 10th does not match, and those in
    /// `poison` (indices) are bad records.
    async fn produce(
        &mut self,
        brokers: &str,
        first: usize,
        n: usize,
        poison: &[(usize, Vec<u8>)],
    ) {
        let producer: FutureProducer = client(brokers, &[("linger.ms", "5")])
            .create()
            .expect("producer");
        let mut futures = Vec::with_capacity(n);
        let mut meta = Vec::with_capacity(n);
        for i in first..first + n {
            let (kind, payload) = if let Some((_, p)) = poison.iter().find(|(at, _)| *at == i) {
                (Kind::Poison, p.clone())
            } else if i % 10 == 9 {
                let json = serde_json::json!({"id": format!("m-{i}"), "text": format!("nothing to see {i}"),
                    "created_at": "2026-11-01T12:00:00Z", "source": "twitter"});
                (Kind::Unmatched, json.to_string().into_bytes())
            } else {
                (Kind::Matching, acme_mention(i).into_bytes())
            };
            let key = format!("k{i}");
            meta.push((kind, format!("m-{i}")));
            let producer = producer.clone();
            futures.push(async move {
                let record = FutureRecord::to("mentions").key(&key).payload(&payload);
                producer.send(record, Timeout::Never).await
            });
        }
        let results = futures::future::join_all(futures).await;
        for ((kind, id), r) in meta.into_iter().zip(results) {
            let delivery = r.expect("input acknowledged");
            self.entries
                .push((kind, id, delivery.partition, delivery.offset));
        }
    }

    fn count(&self, kind: Kind) -> usize {
        self.entries.iter().filter(|e| e.0 == kind).count()
    }
}

/// What came out, checked against the ledger; panics with the first losses found.
struct Accounting {
    scored: usize,
    distinct: usize,
    dead: usize,
}

fn account(name: &str, brokers: &str, group: &str, ledger: &Ledger, dir: &Path) -> Accounting {
    let matching: HashSet<&str> = ledger
        .entries
        .iter()
        .filter(|e| e.0 == Kind::Matching)
        .map(|e| e.1.as_str())
        .collect();
    let poison: HashSet<(i32, i64)> = ledger
        .entries
        .iter()
        .filter(|e| e.0 == Kind::Poison)
        .map(|e| (e.2, e.3))
        .collect();
    let reads = read_until(
        brokers,
        &["scored", "dead"],
        Duration::from_secs(120),
        |r| {
            let ids = scored_ids(r);
            let dead: HashSet<(i32, i64)> = dead_origins(r);
            matching.iter().all(|id| ids.contains(*id)) && poison.iter().all(|p| dead.contains(p))
        },
    );
    let ids = scored_ids(&reads);
    let lost: Vec<&&str> = matching
        .iter()
        .filter(|id| !ids.contains(**id))
        .take(10)
        .collect();
    let dead = dead_origins(&reads);
    let lost_poison: Vec<&(i32, i64)> = poison.iter().filter(|p| !dead.contains(p)).collect();
    assert!(
        lost.is_empty() && lost_poison.is_empty(),
        "{name}: lost mentions {lost:?}, lost poison records {lost_poison:?}\n--- logs\n{}",
        logs(dir)
    );
    // Every input offset was consumed and committed: the unmatched ones too.
    let committed = committed_offsets(brokers, group);
    let ends = end_offsets(brokers);
    for (partition, end) in &ends {
        let c = committed.get(partition).copied().unwrap_or(-1);
        assert_eq!(
            c,
            *end,
            "{name}: partition {partition} committed at {c}, ends at {end}\n{}",
            logs(dir)
        );
    }
    let scored = reads.iter().filter(|r| r.topic == "scored").count();
    Accounting {
        scored,
        distinct: ids.len(),
        dead: reads.iter().filter(|r| r.topic == "dead").count(),
    }
}

fn dead_origins(reads: &[Read]) -> HashSet<(i32, i64)> {
    reads
        .iter()
        .filter(|r| r.topic == "dead")
        .filter_map(|r| {
            let p = r.headers.get("brandpulse-source-partition")?.parse().ok()?;
            let o = r.headers.get("brandpulse-source-offset")?.parse().ok()?;
            Some((p, o))
        })
        .collect()
}

fn committed_offsets(brokers: &str, group: &str) -> HashMap<i32, i64> {
    let consumer: BaseConsumer = client(brokers, &[("group.id", group)])
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition("mentions", p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    committed
        .elements()
        .iter()
        .map(|e| {
            let o = match e.offset() {
                Offset::Offset(o) => o,
                _ => 0,
            };
            (e.partition(), o)
        })
        .collect()
}

fn end_offsets(brokers: &str) -> HashMap<i32, i64> {
    let consumer: BaseConsumer = client(brokers, &[("group.id", "watermarks")])
        .create()
        .expect("consumer");
    (0..3)
        .map(|p| {
            let (_, high) = consumer
                .fetch_watermarks("mentions", p, Duration::from_secs(10))
                .expect("watermarks");
            (p, high)
        })
        .collect()
}

fn logs(dir: &Path) -> String {
    let mut out = String::new();
    for name in [
        "brandpulse.log",
        "member-a.log",
        "member-b.log",
        "broker.log",
    ] {
        if dir.join(name).exists() {
            out.push_str(&format!("--- {name}\n{}\n", tail(&dir.join(name), 25)));
        }
    }
    out
}

fn report(name: &str, ledger: &Ledger, a: &Accounting, started: Instant) {
    eprintln!(
        "FAULT {name}: inputs={} matching={} unmatched={} poison={} | scored={} distinct={} \
         duplicates={} dead_letters={} lost=0 committed=end seconds={:.0}",
        ledger.entries.len(),
        ledger.count(Kind::Matching),
        ledger.count(Kind::Unmatched),
        ledger.count(Kind::Poison),
        a.scored,
        a.distinct,
        a.scored - a.distinct,
        a.dead,
        started.elapsed().as_secs_f64()
    );
}

fn write_config(
    dir: &Path,
    name: &str,
    brokers: &str,
    group: &str,
    port: u16,
    extra: &str,
) -> PathBuf {
    // Small buffers keep the amount in flight (and so the work a fault interrupts) realistic
    // rather than "everything consumed in the first second".
    let text = config_toml(
        brokers,
        group,
        &format!(
            "channel_capacity = 2\nmax_in_flight = 256\nmax_text_bytes = 16000\n{extra}\n\
             [telemetry]\nlisten = \"127.0.0.1:{port}\""
        ),
    )
    .replace(
        "dead_letter_topic = \"dead\"",
        "dead_letter_topic = \"dead\"\nmax_message_bytes = 8192",
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn poison_records(at: &[usize]) -> Vec<(usize, Vec<u8>)> {
    let kinds: Vec<Vec<u8>> = vec![
        // Unparseable and large: its dead letter is cut to fit.
        {
            let mut g = b"{\"id\": ".to_vec();
            g.extend(std::iter::repeat_n(b'x', 20_000));
            g
        },
        // Valid, but a string field over its limit.
        serde_json::json!({"id": "big-source", "text": "acme", "created_at": "2026-11-01T12:00:00Z",
            "source": "s".repeat(5000)})
        .to_string()
        .into_bytes(),
        // Valid, with an output over message.max.bytes (8 KiB here).
        serde_json::json!({"id": "big-output", "text": format!("acme {}", "rocket skates ".repeat(800)),
            "created_at": "2026-11-01T12:00:00Z", "source": "twitter"})
        .to_string()
        .into_bytes(),
    ];
    at.iter()
        .enumerate()
        .map(|(k, i)| (*i, kinds[k % kinds.len()].clone()))
        .collect()
}

/// Checks the outputs against `ledger` off the async workers, and prints the table line.
async fn check(
    name: &'static str,
    brokers: &str,
    group: &'static str,
    ledger: &Ledger,
    dir: &Path,
    started: Instant,
) {
    let (b, d, l) = (brokers.to_string(), dir.to_path_buf(), ledger.clone());
    let a = tokio::task::spawn_blocking(move || account(name, &b, group, &l, &d))
        .await
        .unwrap();
    report(name, ledger, &a, started);
}

async fn stop(service: Service, dir: &Path) {
    let status = tokio::task::spawn_blocking(move || service.terminate())
        .await
        .unwrap();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status}\n{}",
        logs(dir)
    );
}

/// Waits (off the async workers) until `group` has committed the end of every input
/// partition: every input consumed, its outputs acknowledged, its offset stored.
async fn wait_committed(brokers: &str, group: &'static str, dir: &Path) {
    let (b, d) = (brokers.to_string(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let ends = end_offsets(&b);
            let committed = committed_offsets(&b, group);
            if ends.iter().all(|(p, e)| committed.get(p) == Some(e)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{group}: committed {committed:?}, ends {ends:?}\n{}",
                logs(&d)
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn poison_records_do_not_stall_a_partition() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let port = free_port();
    let group = "faults-poison";
    let config = write_config(dir.path(), "brandpulse.toml", &brokers, group, port, "");
    let n = 600 * scale();
    let at: Vec<usize> = (0..9).map(|k| 7 + k * n / 9).collect();
    let mut ledger = Ledger::default();
    ledger.produce(&brokers, 0, n, &poison_records(&at)).await;
    let service = Service::start(dir.path(), &config, port);
    wait_committed(&brokers, group, dir.path()).await;
    stop(service, dir.path()).await;
    check(
        "poison records",
        &brokers,
        group,
        &ledger,
        dir.path(),
        started,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn broker_stop_and_restart_mid_stream() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let port = free_port();
    let group = "faults-broker";
    let config = write_config(dir.path(), "brandpulse.toml", &brokers, group, port, "");
    let n = 2000 * scale();
    let mut ledger = Ledger::default();
    ledger
        .produce(&brokers, 0, n / 2, &poison_records(&[n / 4]))
        .await;
    let service = Service::start(dir.path(), &config, port);
    wait_until("first outputs", Duration::from_secs(60), || {
        service.scored() >= 50.0
    });
    broker.kill();
    std::thread::sleep(Duration::from_secs(3));
    broker.restart();
    ledger.produce(&brokers, n / 2, n / 2, &[]).await;
    wait_committed(&brokers, group, dir.path()).await;
    stop(service, dir.path()).await;
    check(
        "broker stop and restart",
        &brokers,
        group,
        &ledger,
        dir.path(),
        started,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn kill_9_mid_stream_and_restart() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let port = free_port();
    let group = "faults-kill";
    let config = write_config(dir.path(), "brandpulse.toml", &brokers, group, port, "");
    let n = 8000 * scale();
    let mut ledger = Ledger::default();
    ledger
        .produce(&brokers, 0, n / 2, &poison_records(&[n / 8]))
        .await;
    let service = Service::start(dir.path(), &config, port);
    wait_until("first outputs", Duration::from_secs(60), || {
        service.scored() >= 50.0
    });
    let before = service.scored();
    service.kill_9();
    assert!(before < (n / 2) as f64, "killed too late to be mid-stream");
    ledger.produce(&brokers, n / 2, n / 2, &[]).await;
    // The same static member id: it takes the killed one's place at once.
    let service = Service::start(dir.path(), &config, port);
    wait_committed(&brokers, group, dir.path()).await;
    stop(service, dir.path()).await;
    check(
        "kill -9 and restart",
        &brokers,
        group,
        &ledger,
        dir.path(),
        started,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn rebalance_with_two_members_mid_stream() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let group = "faults-rebalance";
    let (port_a, port_b) = (free_port(), free_port());
    let config_a = write_config(dir.path(), "a.toml", &brokers, group, port_a, "");
    let config_b = write_config(dir.path(), "b.toml", &brokers, group, port_b, "");
    let n = 6000 * scale();
    let mut ledger = Ledger::default();
    ledger
        .produce(&brokers, 0, n, &poison_records(&[n / 3]))
        .await;
    // Dynamic membership: a graceful stop leaves the group, and the other member takes over.
    let a = Service::start_as(dir.path(), &config_a, port_a, None, "member-a.log");
    wait_until("a's first outputs", Duration::from_secs(60), || {
        a.scored() >= 50.0
    });
    let b = Service::start_as(dir.path(), &config_b, port_b, None, "member-b.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http_get(port_b, "/readyz").contains(" 200 ") {
        assert!(
            Instant::now() < deadline,
            "b got no partitions\n{}",
            logs(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both members now share the partitions: more input, so both have work.
    ledger.produce(&brokers, n, n, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.scored() < 50.0 {
        assert!(
            Instant::now() < deadline,
            "b scored nothing\n{}",
            logs(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The first member stops while input is still unprocessed.
    let (bk, g) = (brokers.clone(), group);
    let behind = tokio::task::spawn_blocking(move || {
        let ends = end_offsets(&bk);
        let committed = committed_offsets(&bk, g);
        ends.iter()
            .any(|(p, e)| committed.get(p).is_none_or(|c| c < e))
    })
    .await
    .unwrap();
    assert!(behind, "the stream was already processed: not mid-stream");
    stop(a, dir.path()).await;
    ledger.produce(&brokers, 2 * n, n / 2, &[]).await;
    wait_committed(&brokers, group, dir.path()).await;
    stop(b, dir.path()).await;
    check(
        "rebalance (two members)",
        &brokers,
        group,
        &ledger,
        dir.path(),
        started,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the tansu broker: run `make test`"]
async fn a_drain_timeout_leaves_the_group_for_the_next_member() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let brokers = broker.brokers();
    create_topics(&brokers).await;
    let group = "faults-drain";
    let (port_a, port_b) = (free_port(), free_port());
    // Member a writes to a topic that does not exist: its outputs are retried and never
    // acknowledged, so its drain cannot finish.
    let config_a = write_config(dir.path(), "a.toml", &brokers, group, port_a, "").to_path_buf();
    let text = std::fs::read_to_string(&config_a)
        .unwrap()
        .replace("topic = \"scored\"", "topic = \"no-such-topic\"")
        .replace("drain_timeout = \"8s\"", "drain_timeout = \"2s\"");
    std::fs::write(&config_a, text).unwrap();
    let config_b = write_config(dir.path(), "b.toml", &brokers, group, port_b, "");
    let n = 500 * scale();
    let mut ledger = Ledger::default();
    ledger.produce(&brokers, 0, n, &[]).await;
    let a = Service::start_as(dir.path(), &config_a, port_a, None, "member-a.log");
    wait_until("a consumes", Duration::from_secs(60), || {
        a.metric("brandpulse_ingest_consumed_total{topic=\"mentions\"}") > 0.0
    });
    let stopping = Instant::now();
    let status = tokio::task::spawn_blocking(move || a.terminate())
        .await
        .unwrap();
    let took = stopping.elapsed();
    assert_eq!(
        status.code(),
        Some(1),
        "a drain timeout is a failure exit\n{}",
        logs(dir.path())
    );
    assert!(
        took < Duration::from_secs(8),
        "stopped {took:?} after SIGTERM"
    );
    let log_a = std::fs::read_to_string(dir.path().join("member-a.log")).unwrap();
    assert!(log_a.contains("consumer closed"), "{}", logs(dir.path()));
    // A new member takes over and processes everything a left unacknowledged. (On tansu this
    // also held before the consumer was closed explicitly, since the process's exit closed
    // it; the explicit close makes it happen before the alert stage and the HTTP server stop.)
    let b = Service::start_as(dir.path(), &config_b, port_b, None, "member-b.log");
    wait_committed(&brokers, group, dir.path()).await;
    stop(b, dir.path()).await;
    check(
        "drain timeout",
        &brokers,
        group,
        &ledger,
        dir.path(),
        started,
    )
    .await;
}
