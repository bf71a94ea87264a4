//! The alert stage against librdkafka's mock cluster: a spike in the scored topic fires an
//! alert event; after a restart the state comes back from the checkpoint topic, so the alert
//! resolves (it was remembered), nothing fires again (no storm), and a later spike fires
//! without a second warm-up. A second member joining the group takes brands over with their
//! state: the alert it inherits resolves once, and nothing fires twice.

mod common;

use std::time::{Duration, Instant};

use brandpulse::config::Config;
use brandpulse::shutdown;
use brandpulse::telemetry::Metrics;

use common::*;

fn config(brokers: &str) -> Config {
    let text = config_toml(
        brokers,
        "alerts-test",
        r#"
[alert]
enabled = true
window = "1s"
lateness = "0s"
warmup_windows = 40
min_count = 5
persistence_k = 2
persistence_n = 3
cooldown_windows = 5
alerts_topic = "alerts"
checkpoint_topic = "alert-state"
"#,
    );
    Config::from_toml(&text, "test").expect("config")
}

/// Scored records for `brand`, `n` in window `w` (1-second windows from `t0`).
fn scored(brand: &str, t0: i64, w: i64, n: usize, negative: usize) -> Vec<Input<'static>> {
    (0..n)
        .map(|i| {
            let created = chrono::DateTime::from_timestamp(t0 + w, (i as u32) * 1000).unwrap();
            let rec = serde_json::json!({
                "schema_version": 1, "mention_id": format!("{brand}-{w}-{i}"), "brand": brand,
                "topics": ["brand"], "terms": [brand],
                "sentiment": {"label": if i < negative { "negative" } else { "neutral" }, "score": 0.0, "confidence": 0.5},
                "lang": "en", "lang_detected": false, "scorer": {"name": "lexicon", "version": "1"},
                "source": "twitter", "text": format!("{brand} mention {w}/{i}"),
                "created_at": created.to_rfc3339(), "processed_at": created.to_rfc3339(),
                "reach": (w * 100 + i as i64) as u64,
            });
            (
                "scored",
                Some(brand.as_bytes().to_vec()),
                Some(rec.to_string().into_bytes()),
            )
        })
        .collect()
}

/// Produces `records` to explicit partitions of the scored topic.
async fn produce_to(brokers: &str, records: &[(i32, Input<'static>)]) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let futures: Vec<_> = records
        .iter()
        .map(|(p, (topic, key, payload))| {
            let mut r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).partition(*p);
            if let Some(k) = key {
                r = r.key(&k[..]);
            }
            if let Some(v) = payload {
                r = r.payload(&v[..]);
            }
            producer.send(r, rdkafka::util::Timeout::Never)
        })
        .collect();
    for r in futures::future::join_all(futures).await {
        r.expect("produced");
    }
}

/// A deletion record for `mention_id`, as the emitter writes it to the scored topic.
async fn produce_deletion(brokers: &str, brand: &str, mention_id: &str) {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("producer");
    let payload = serde_json::json!({
        "schema_version": 1, "deleted": true, "mention_id": mention_id, "brand": brand,
        "processed_at": chrono::Utc::now().to_rfc3339(),
    })
    .to_string();
    let headers = OwnedHeaders::new().insert(Header {
        key: "brandpulse-record-type",
        value: Some("deletion"),
    });
    producer
        .send(
            FutureRecord::to("scored")
                .key(brand)
                .payload(&payload)
                .headers(headers),
            rdkafka::util::Timeout::Never,
        )
        .await
        .expect("produced");
}

async fn produce_windows(
    brokers: &str,
    t0: i64,
    windows: std::ops::Range<i64>,
    per: impl Fn(i64) -> usize,
) {
    let mut records = Vec::new();
    for w in windows {
        records.extend(scored("acme", t0, w, per(w), 1));
        records.extend(scored("globex", t0, w, 8, 1));
    }
    produce(brokers, &records).await;
}

/// Alert events read so far: (state, kind, started_at).
/// Whether the alert stage's group has committed every record of `topic` (partitions
/// `0..partitions`): each member has consumed, checkpointed and published what those records
/// close.
fn all_committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> bool {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    let probe: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("probe consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let Ok(committed) = probe.committed_offsets(tpl, Duration::from_secs(5)) else {
        return false;
    };
    (0..partitions).all(|p| {
        let high = probe
            .fetch_watermarks(topic, p, Duration::from_secs(5))
            .map_or(i64::MAX, |(_, high)| high);
        matches!(
            committed.find_partition(topic, p).map(|e| e.offset()),
            Some(Offset::Offset(o)) if o >= high
        )
    })
}

/// Records in partition 0 of `topic`.
fn record_count(brokers: &str, topic: &str) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let probe: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("probe consumer");
    let (low, high) = probe
        .fetch_watermarks(topic, 0, Duration::from_secs(5))
        .expect("watermarks");
    high - low
}

fn events(brokers: &str, want: usize) -> Vec<serde_json::Value> {
    read_until(brokers, &["alerts"], Duration::from_secs(30), |r| {
        r.len() >= want
    })
    .iter()
    .map(Read::json)
    .collect()
}

struct Stage {
    trigger: shutdown::Trigger,
    metrics: Metrics,
    handle: std::thread::JoinHandle<()>,
}

fn start(config: &Config) -> Stage {
    let (_registry, metrics) = Metrics::for_tests();
    let (trigger, shutdown) = shutdown::channel();
    let handle =
        brandpulse::alert::stage::spawn(config, metrics.clone(), shutdown).expect("alert stage");
    Stage {
        trigger,
        metrics,
        handle,
    }
}

impl Stage {
    fn stop(self) -> Metrics {
        self.trigger.fire();
        self.handle.join().expect("alert stage thread");
        self.metrics
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_state_survives_a_restart_without_warm_up_or_storm() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let (cluster, brokers) = mock_cluster(&[
        ("scored", 2),
        ("alerts", 1),
        ("alert-state", 1),
        ("mentions", 1),
        ("tweets", 1),
        ("dead", 1),
    ]);
    let config = config(&brokers);
    // Event time: 1-second windows starting an hour ago (the stage follows event time).
    let t0 = chrono::Utc::now().timestamp() - 3600;

    // Warm-up (40 windows), then a 5x spike for acme in windows 50-53, then quiet.
    let quiet = |w: i64| 10 + (w % 3) as usize;
    let stage = start(&config);
    produce_windows(&brokers, t0, 0..50, quiet).await;
    // A deletion record (record-type header) among them changes nothing and is not unreadable.
    produce_deletion(&brokers, "acme", "acme-3-0").await;
    produce_windows(&brokers, t0, 50..54, |_| 60).await;
    produce_windows(&brokers, t0, 54..55, quiet).await;
    let fired = events(&brokers, 1);
    assert_eq!(fired.len(), 1, "{fired:?}");
    let alert = &fired[0];
    assert_eq!(alert["state"], "firing");
    assert_eq!(alert["kind"], "volume");
    assert_eq!(alert["brand"], "acme");
    assert_eq!(alert["examples"].as_array().unwrap().len(), 3);
    assert!(alert["observed"].as_u64().unwrap() >= 60, "{alert}");
    let started_at = alert["started_at"].clone();
    let m = stage.stop();
    assert_eq!(
        m.alert_unreadable.get(),
        0,
        "the deletion record was skipped"
    );
    assert_eq!(
        m.alert_active
            .with_label_values(&["acme", "volume", alert["severity"].as_str().unwrap()])
            .get(),
        1
    );

    // Restart: the state is restored; quiet windows resolve the remembered alert and nothing
    // new fires (globex, restored too, does not start its warm-up again either).
    let stage = start(&config);
    produce_windows(&brokers, t0, 55..70, quiet).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = events(&brokers, 2);
    while got.len() < 2 && Instant::now() < deadline {
        got = events(&brokers, 2);
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["state"], "resolved", "{got:?}");
    assert_eq!(got[1]["started_at"], started_at);
    assert!(
        stage.metrics.alert_restored.get() >= 2,
        "both brands restored"
    );

    // A second spike well after the cooldown fires at once: no second warm-up (which would
    // have lasted until window 95).
    produce_windows(&brokers, t0, 70..80, quiet).await;
    produce_windows(&brokers, t0, 80..84, |_| 60).await;
    produce_windows(&brokers, t0, 84..86, quiet).await;
    let got = events(&brokers, 3);
    // (Then the idle stream's event time moves on and it resolves too: a fourth event.)
    assert!(got.len() >= 3, "{got:?}");
    assert_eq!(got[2]["state"], "firing");
    assert_eq!(got[2]["brand"], "acme");
    let m = stage.stop();
    let fired = m.alert_events.with_label_values(&["volume", "fired"]).get()
        + m.alert_events
            .with_label_values(&["negative", "fired"])
            .get();
    assert_eq!(fired, 1, "only the second spike fired after the restart");
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_member_takes_brands_over_with_their_state() {
    let (cluster, brokers) = mock_cluster(&[
        ("scored", 2),
        ("alerts", 1),
        ("alert-state", 1),
        ("mentions", 1),
        ("tweets", 1),
        ("dead", 1),
    ]);
    let config = config(&brokers);
    let t0 = chrono::Utc::now().timestamp() - 3600;
    // acme on partition 0, globex on partition 1.
    let windows = |range: std::ops::Range<i64>, globex: fn(i64) -> usize| {
        let mut out = Vec::new();
        for w in range {
            out.extend(
                scored("acme", t0, w, 10 + (w % 3) as usize, 1)
                    .into_iter()
                    .map(|r| (0, r)),
            );
            out.extend(
                scored("globex", t0, w, globex(w), 1)
                    .into_iter()
                    .map(|r| (1, r)),
            );
        }
        out
    };
    let quiet = |w: i64| 10 + (w % 2) as usize;
    let a = start(&config);
    produce_to(&brokers, &windows(0..50, quiet)).await;
    produce_to(&brokers, &windows(50..54, |_| 70)).await;
    produce_to(&brokers, &windows(54..55, quiet)).await;
    let got = events(&brokers, 1);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0]["brand"].as_str(), got[0]["state"].as_str()),
        (Some("globex"), Some("firing"))
    );

    // B joins: the group splits the two partitions; whoever gets globex resolves its alert.
    let b = start(&config);
    let deadline = Instant::now() + Duration::from_secs(30);
    while b.metrics.alert_restored.get() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.metrics.alert_restored.get() >= 1,
        "B took over a brand with its state"
    );
    produce_to(&brokers, &windows(55..70, quiet)).await;
    let got = events(&brokers, 2);
    assert!(got.len() >= 2, "{got:?}");
    // Once both members have committed every scored record, everything those records
    // close has been published: the alerts topic then holds all the events there will be.
    let group = brandpulse::kafka::alert_group(&config);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !all_committed(&brokers, &group, "scored", 2) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        all_committed(&brokers, &group, "scored", 2),
        "the alert stage's group never caught up"
    );
    let n = record_count(&brokers, "alerts");
    let got = events(&brokers, usize::try_from(n).unwrap());
    assert_eq!(
        got.len(),
        2,
        "exactly one firing and one resolved event: {got:?}"
    );
    assert_eq!(
        (got[1]["brand"].as_str(), got[1]["state"].as_str()),
        (Some("globex"), Some("resolved"))
    );
    let (ma, mb) = (a.stop(), b.stop());
    let count = |m: &Metrics, state: &str| {
        m.alert_events.with_label_values(&["volume", state]).get()
            + m.alert_events.with_label_values(&["negative", state]).get()
    };
    assert_eq!(count(&ma, "fired") + count(&mb, "fired"), 1);
    assert_eq!(count(&ma, "resolved") + count(&mb, "resolved"), 1);
    drop(cluster);
}

#[test]
fn a_missing_checkpoint_topic_is_an_error_that_says_how_to_create_it() {
    let (_cluster, brokers) = mock_cluster(&[("scored", 1), ("alerts", 1)]);
    let (_registry, metrics) = Metrics::for_tests();
    let (_trigger, shutdown) = shutdown::channel();
    let err =
        brandpulse::alert::stage::spawn(&config(&brokers), metrics, shutdown).expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("alert-state")
            && msg.contains("alert.checkpoint_topic")
            && msg.contains("compact"),
        "{msg}"
    );
}
