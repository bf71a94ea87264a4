//! Helpers shared by the integration tests: a Kafka test client (producer, reader of the
//! output and dead-letter topics) and mention fixtures.
#![allow(dead_code)]

pub mod member;
pub mod tansu;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

/// A canonical mention that matches brand `acme`, with a unique id.
/// Its text has 7 words, under `screen.campaign.min_words` (8): the screen stage does not
/// compare it, so 17 authors repeating it are not a copy-paste campaign (docs/screening.md).
pub fn acme_mention(i: usize) -> String {
    serde_json::json!({
        "id": format!("m-{i}"),
        "text": format!("Acme rocket skates number {i} are great"),
        "created_at": "2026-11-01T12:00:00Z",
        "source": "twitter",
        "lang": "en",
        "author": {"id": format!("a{}", i % 17), "handle": format!("user{}", i % 17), "followers": i % 1000},
    })
    .to_string()
}

/// The config every pipeline test uses, pointing at `brokers`.
pub fn config_toml(brokers: &str, group: &str, extra: &str) -> String {
    format!(
        r##"
[kafka]
brokers = "{brokers}"
group_id = "{group}"
session_timeout = "10s"
statistics_interval = "1s"
[kafka.consumer]
"auto.commit.interval.ms" = "200"
[[inputs]]
topic = "mentions"
[[inputs]]
topic = "tweets"
format = "twitter-v1"
[output]
topic = "scored"
dead_letter_topic = "dead"
inbox_topic = "inbox"
[pipeline]
batch_size = 64
batch_wait = "10ms"
drain_timeout = "8s"
{extra}
[scoring]
scorer = "lexicon"
[[brands]]
id = "acme"
[brands.topics.brand]
keywords = ["acme"]
"##
    )
}

/// A record to produce: topic, key, payload.
pub type Input<'a> = (&'a str, Option<Vec<u8>>, Option<Vec<u8>>);

/// Produces `records` and waits for every acknowledgement.
pub async fn produce(brokers: &str, records: &[Input<'_>]) {
    produce_via(client(brokers, &[]), records).await
}

/// A test client config for `brokers` with `extra` settings (TLS, SASL).
pub fn client(brokers: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c
}

/// Produces `records` with the test client `config` and waits for every acknowledgement.
pub async fn produce_via(mut config: ClientConfig, records: &[Input<'_>]) {
    let producer: FutureProducer = config
        .set("linger.ms", "5")
        .set("message.timeout.ms", "60000")
        .create()
        .expect("test producer");
    let futures: Vec<_> = records
        .iter()
        .map(|(topic, key, payload)| {
            let mut r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic);
            if let Some(k) = key {
                r = r.key(&k[..]);
            }
            if let Some(p) = payload {
                r = r.payload(&p[..]);
            }
            producer.send(r, Timeout::Never)
        })
        .collect();
    for r in futures::future::join_all(futures).await {
        r.expect("test produce acknowledged");
    }
}

/// A record read back from an output topic.
#[derive(Debug, Clone)]
pub struct Read {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: HashMap<String, String>,
}

impl Read {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(self.payload.as_deref().unwrap_or_default()).expect("output is JSON")
    }

    /// The payload as JSON, if it is (dead letters may hold anything).
    pub fn json_lossy(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(self.payload.as_deref()?).ok()
    }
}

/// Reads `topics` from the beginning (a fresh group) until `done(records)` holds or `timeout`.
pub fn read_until(
    brokers: &str,
    topics: &[&str],
    timeout: Duration,
    done: impl Fn(&[Read]) -> bool,
) -> Vec<Read> {
    read_until_via(client(brokers, &[]), topics, timeout, done)
}

/// [`read_until`] with the test client `config`.
pub fn read_until_via(
    mut config: ClientConfig,
    topics: &[&str],
    timeout: Duration,
    done: impl Fn(&[Read]) -> bool,
) -> Vec<Read> {
    let consumer: BaseConsumer = config
        .set("group.id", format!("reader-{}", rand::random::<u64>()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("test consumer");
    consumer.subscribe(topics).expect("subscribe");
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    // `done` may be costly (it parses what was read): ask it only when the topic is idle
    // or every 1000 records.
    let mut check = true;
    while Instant::now() < deadline && !(check && done(&out)) {
        check = false;
        let polled = consumer.poll(Duration::from_millis(200));
        if polled.is_none() || out.len() % 1000 == 999 {
            check = true;
        }
        if let Some(Ok(m)) = polled {
            let mut headers = HashMap::new();
            if let Some(h) = m.headers() {
                for hd in h.iter() {
                    headers.insert(
                        hd.key.to_string(),
                        String::from_utf8_lossy(hd.value.unwrap_or_default()).into_owned(),
                    );
                }
            }
            out.push(Read {
                topic: m.topic().to_string(),
                key: m.key().map(<[u8]>::to_vec),
                payload: m.payload().map(<[u8]>::to_vec),
                headers,
            });
        }
    }
    consumer.unsubscribe();
    drop(consumer);
    out
}

/// Ids of mentions in scored records.
pub fn scored_ids(reads: &[Read]) -> std::collections::HashSet<String> {
    reads
        .iter()
        .filter(|r| r.topic == "scored")
        .filter_map(|r| r.json()["mention_id"].as_str().map(str::to_string))
        .collect()
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `GET path` on the loopback port; the whole response (empty when nothing listens).
pub fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}

/// Polls `cond` every 10 ms; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The value of the sample `series` (name with labels, exactly as exposed) in a
/// Prometheus text exposition, if present.
pub fn metric(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// librdkafka's in-process mock cluster (one broker) with `topics` (name, partitions) created,
/// and its bootstrap address. Keep the cluster alive for the test's duration.
pub fn mock_cluster(
    topics: &[(&str, i32)],
) -> (
    rdkafka::mocking::MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    String,
) {
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
    for (t, p) in topics {
        cluster.create_topic(t, *p, 1).expect("create topic");
    }
    // The inbox topic of `config_toml`, for every test.
    if !topics.iter().any(|(t, _)| *t == "inbox") {
        cluster.create_topic("inbox", 1, 1).expect("create topic");
    }
    let brokers = cluster.bootstrap_servers();
    (cluster, brokers)
}
