//! The alert stage's Kafka side: a consumer group of its own on the scored-mentions topic
//! (keyed by brand, so the members of the group split the brands), the [`AlertCore`] on a
//! dedicated thread, alert events to the alerts topic, and the per-brand state checkpointed
//! to a compacted topic keyed by brand.
//!
//! Consistency: checkpoints carry the open windows' counts, and the consumer's offsets are
//! stored only after the checkpoints (and alert events) covering every record consumed so
//! far are acknowledged. A member that takes over partitions reads the checkpoint topic and
//! resumes each brand where its last checkpoint left it, from the committed offsets: no new
//! warm-up, no repeated alerts. On revocation the member flushes the revoked brands'
//! checkpoints and commits their offsets before letting them go.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::core::{AlertCore, Checkpoint, Closed, ScoredInput, Skip};
use super::events::{
    AlertPublished, CampaignPublished, CheckpointFlushed, EmergingPublished, InputSkipped,
    StatesRestored,
};
use crate::config::Config;
use crate::kafka::Client;
use crate::record::alert::{AlertEvent, CampaignEvent, EmergingTermEvent};
use crate::shutdown::Shutdown;
use crate::telemetry::events::{During, KafkaClientError};
use crate::telemetry::Metrics;

/// Errors of the alert stage.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A Kafka client could not be created or subscribed.
    #[error("alert stage kafka client: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// A client's settings are invalid or librdkafka refused it.
    #[error(transparent)]
    Client(#[from] crate::kafka::ClientError),
    /// A client's settings are invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The stage thread could not start.
    #[error("starting the alert stage: {0}")]
    Spawn(#[from] std::io::Error),
    /// A topic the stage needs does not exist (it does not create topics).
    #[error("alert stage: topic `{topic}` ({field}) does not exist: {hint}")]
    MissingTopic {
        /// The topic.
        topic: String,
        /// The config field naming it.
        field: &'static str,
        /// How to create it.
        hint: &'static str,
    },
}

/// Counts failed deliveries of the stage's producer.
struct Deliveries {
    failed: AtomicU64,
    throttle: crate::telemetry::throttle::Throttle,
}

impl ClientContext for Deliveries {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        crate::telemetry::kafka_log(&self.throttle, "alert-producer", level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        KafkaClientError {
            client: Client::AlertProducer,
            during: During::Callback,
            error: &error,
            reason,
        }
        .emit(None, &self.throttle);
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "alert stage: delivery failed");
        }
    }
}

type StageProducer = ThreadedProducer<Deliveries>;

struct Shared {
    core: Mutex<AlertCore>,
    /// Last offset consumed per partition.
    consumed: Mutex<HashMap<i32, i64>>,
    producer: StageProducer,
    metrics: Metrics,
    input_topic: String,
    alerts_topic: String,
    checkpoint_topic: String,
    restore_client: rdkafka::ClientConfig,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Shared {
    /// Publishes alert events and gauges (events are flushed with the next checkpoint).
    fn publish(&self, closed: Closed) {
        let m = &self.metrics;
        for (brand, kind, observed, expected) in &closed.gauges {
            m.alert_observed
                .with_label_values(&[brand, kind.as_str()])
                .set(*observed as f64);
            m.alert_expected
                .with_label_values(&[brand, kind.as_str()])
                .set(*expected);
        }
        for e in closed.events {
            self.publish_event(&e);
        }
        for e in closed.emerging {
            self.publish_emerging(&e);
        }
        for e in closed.campaigns {
            self.publish_campaign(&e);
        }
    }

    fn publish_campaign(&self, e: &CampaignEvent) {
        CampaignPublished(e).emit(&self.metrics);
        self.send_json(&e.brand, e);
    }

    fn publish_emerging(&self, e: &EmergingTermEvent) {
        self.metrics.live.record_emerging(e);
        EmergingPublished(e).emit(&self.metrics);
        self.send_json(&e.brand, e);
    }

    fn publish_event(&self, e: &AlertEvent) {
        self.metrics.live.record_alert(e);
        AlertPublished(e).emit(&self.metrics);
        self.send_json(&e.brand, e);
    }

    /// An event on the alerts topic, keyed by brand.
    fn send_json(&self, brand: &str, event: &impl serde::Serialize) {
        match serde_json::to_vec(event) {
            Ok(payload) => self.send(&self.alerts_topic, brand, &payload),
            Err(err) => tracing::error!(error = %err, "alert stage: encoding an event"),
        }
    }

    fn send(&self, topic: &str, key: &str, payload: &[u8]) {
        let mut record = BaseRecord::to(topic).key(key).payload(payload);
        loop {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((e, r)) => {
                    if matches!(
                        e,
                        rdkafka::error::KafkaError::MessageProduction(
                            rdkafka::types::RDKafkaErrorCode::QueueFull
                        )
                    ) {
                        record = r;
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    self.producer
                        .context()
                        .failed
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "alert stage: produce failed");
                    return;
                }
            }
        }
    }

    /// Sends `checkpoints`, waits for every outstanding delivery; true when all succeeded.
    fn flush(&self, checkpoints: Vec<(String, Vec<u8>)>) -> bool {
        let before = self.producer.context().failed.load(Ordering::Relaxed);
        for (brand, payload) in &checkpoints {
            self.send(&self.checkpoint_topic, brand, payload);
        }
        let flushed = self.producer.flush(Duration::from_secs(30)).is_ok();
        let ok = flushed && self.producer.context().failed.load(Ordering::Relaxed) == before;
        CheckpointFlushed {
            brands: checkpoints.len(),
            ok,
        }
        .emit(&self.metrics);
        ok
    }

    /// Checkpoints every changed brand, then stores the offsets of everything consumed.
    fn checkpoint(&self, consumer: &BaseConsumer<StageContext>) {
        let dirty = lock(&self.core).take_dirty();
        if self.flush(dirty) {
            for (&p, &offset) in lock(&self.consumed).iter() {
                if let Err(e) = consumer.store_offset(&self.input_topic, p, offset) {
                    tracing::debug!(error = %e, partition = p, "alert stage: store offset");
                }
            }
        } else {
            lock(&self.core).mark_all_dirty();
            tracing::warn!(
                "alert stage: checkpoint not acknowledged; offsets not stored, will retry"
            );
        }
    }

    /// Reads the whole checkpoint topic (latest value per brand).
    fn read_checkpoints(&self) -> Vec<Checkpoint> {
        let consumer: BaseConsumer = match self.restore_client.create() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "alert stage: checkpoint reader");
                return Vec::new();
            }
        };
        let mut latest: HashMap<String, Checkpoint> = HashMap::new();
        let timeout = Duration::from_secs(10);
        let partitions: Vec<i32> =
            match consumer.fetch_metadata(Some(&self.checkpoint_topic), timeout) {
                Ok(md) => md
                    .topics()
                    .iter()
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "alert stage: checkpoint topic metadata");
                    return Vec::new();
                }
            };
        let mut ends: HashMap<i32, i64> = HashMap::new();
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            if let Ok((low, high)) = consumer.fetch_watermarks(&self.checkpoint_topic, p, timeout) {
                if high > low {
                    ends.insert(p, high);
                    let _ = tpl.add_partition_offset(&self.checkpoint_topic, p, Offset::Beginning);
                }
            }
        }
        if ends.is_empty() {
            drop(tpl);
            return Vec::new();
        }
        if let Err(e) = consumer.assign(&tpl) {
            tracing::warn!(error = %e, "alert stage: assigning the checkpoint topic");
            drop(tpl);
            return Vec::new();
        }
        drop(tpl);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ends.is_empty() && Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(msg)) => {
                    let p = msg.partition();
                    let key = msg.key().map(|k| String::from_utf8_lossy(k).into_owned());
                    match (key, msg.payload()) {
                        (Some(k), None) => {
                            latest.remove(&k);
                        }
                        (Some(k), Some(v)) => match serde_json::from_slice::<Checkpoint>(v) {
                            Ok(cp) => {
                                latest.insert(k, cp);
                            }
                            Err(e) => {
                                tracing::warn!(brand = %k, error = %e, "alert stage: unreadable checkpoint skipped")
                            }
                        },
                        _ => {}
                    }
                    if ends.get(&p).is_some_and(|&end| msg.offset() + 1 >= end) {
                        ends.remove(&p);
                    }
                }
                Some(Err(e)) => tracing::warn!(error = %e, "alert stage: reading checkpoints"),
                None => {}
            }
        }
        if !ends.is_empty() {
            tracing::warn!(partitions = ?ends.keys().collect::<Vec<_>>(), "alert stage: checkpoint topic not read to its end in 60 s");
        }
        let _ = consumer.unassign();
        latest.into_values().collect()
    }
}

/// Rebalance handling: checkpoint before giving partitions up, restore after taking them.
pub struct StageContext {
    shared: Arc<Shared>,
    throttle: crate::telemetry::throttle::Throttle,
}

impl ClientContext for StageContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        crate::telemetry::kafka_log(&self.throttle, "alert-consumer", level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        KafkaClientError {
            client: Client::AlertConsumer,
            during: During::Callback,
            error: &error,
            reason,
        }
        .emit(Some(&self.shared.metrics), &self.throttle);
    }
}

impl ConsumerContext for StageContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts: HashSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            let s = &self.shared;
            let cps = lock(&s.core).revoke(&parts);
            tracing::info!(partitions = ?parts, brands = cps.len(), "alert stage: partitions revoked, checkpointing");
            if s.flush(cps) {
                let mut commit = TopicPartitionList::new();
                {
                    let mut consumed = lock(&s.consumed);
                    for p in &parts {
                        if let Some(off) = consumed.remove(p) {
                            let _ = commit.add_partition_offset(
                                &s.input_topic,
                                *p,
                                Offset::Offset(off + 1),
                            );
                        }
                    }
                }
                if commit.count() > 0 {
                    if let Err(e) = consumer.commit(&commit, CommitMode::Sync) {
                        tracing::warn!(error = %e, "alert stage: commit on revoke");
                    }
                }
                drop(commit);
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts: HashSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
                let s = &self.shared;
                let cps = s.read_checkpoints();
                let n = cps.len();
                let active = lock(&s.core).restore(cps, &parts);
                StatesRestored {
                    partitions: &parts,
                    checkpoints: n,
                    brands: lock(&s.core).brand_count(),
                    active: &active,
                }
                .emit(&s.metrics);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => KafkaClientError {
                client: Client::AlertConsumer,
                during: During::Rebalance,
                error: e,
                reason: "",
            }
            .emit(Some(&self.shared.metrics), &self.throttle),
        }
    }
}

/// Starts the alert stage on its own thread; it runs until `shutdown` fires, then closes
/// what it can, checkpoints, commits and returns.
///
/// # Errors
/// [`AlertError`] when a client cannot be created or the thread cannot start.
pub fn spawn(
    config: &Config,
    metrics: Metrics,
    shutdown: Shutdown,
) -> Result<std::thread::JoinHandle<()>, AlertError> {
    let a = &config.alert;
    let group = crate::kafka::alert_group(config);
    let producer: StageProducer = crate::kafka::create(
        config,
        crate::kafka::Client::AlertProducer,
        Deliveries {
            failed: AtomicU64::new(0),
            throttle: Default::default(),
        },
    )?;
    let restore_client = crate::kafka::client_config(config, crate::kafka::Client::AlertRestore)?;
    // The topics must exist: a consumer-side metadata request (which never auto-creates a
    // topic, so a missing checkpoint topic is not silently created without compaction).
    {
        let probe: BaseConsumer = restore_client.create()?;
        for (topic, field, hint) in [
            (
                &config.output.topic,
                "output.topic",
                "the pipeline writes it; create it first",
            ),
            (
                &a.alerts_topic,
                "alert.alerts_topic",
                "create it (e.g. 1-3 partitions, the default cleanup policy)",
            ),
            (
                &a.checkpoint_topic,
                "alert.checkpoint_topic",
                "create it with cleanup.policy=compact",
            ),
        ] {
            let md = probe.fetch_metadata(Some(topic), Duration::from_secs(15))?;
            let ok = md.topics().iter().any(|t| {
                t.name() == topic.as_str() && t.error().is_none() && !t.partitions().is_empty()
            });
            if !ok {
                return Err(AlertError::MissingTopic {
                    topic: topic.clone(),
                    field,
                    hint,
                });
            }
        }
    }
    let shared = Arc::new(Shared {
        core: Mutex::new(AlertCore::new(a)),
        consumed: Mutex::new(HashMap::new()),
        producer,
        metrics,
        input_topic: config.output.topic.clone(),
        alerts_topic: a.alerts_topic.clone(),
        checkpoint_topic: a.checkpoint_topic.clone(),
        restore_client,
    });
    let consumer: BaseConsumer<StageContext> = crate::kafka::create(
        config,
        crate::kafka::Client::AlertConsumer,
        StageContext {
            shared: shared.clone(),
            throttle: Default::default(),
        },
    )?;
    consumer.subscribe(&[config.output.topic.as_str()])?;
    let window = a.window;
    let lateness = a.lateness;
    tracing::info!(group = %group, topic = %config.output.topic, window = ?window, "alert stage started");
    Ok(std::thread::Builder::new()
        .name("brandpulse-alert".into())
        .spawn(move || run(consumer, shared, shutdown, window, lateness))?)
}

fn run(
    consumer: BaseConsumer<StageContext>,
    shared: Arc<Shared>,
    shutdown: Shutdown,
    window: Duration,
    lateness: Duration,
) {
    let checkpoint_every = window.min(Duration::from_secs(5));
    let mut last_record = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_checkpoint = Instant::now();
    let consume_errors = crate::telemetry::throttle::Throttle::default();
    let skipped = crate::telemetry::throttle::Throttle::default();
    while !shutdown.is_fired() {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(msg)) => {
                last_record = Instant::now();
                // Deletion records (a record-type header; scored mentions carry none) change
                // no count: skipped, not unreadable.
                let typed = msg.headers().is_some_and(|h| {
                    h.iter()
                        .any(|header| header.key == crate::emit::deletions::RECORD_TYPE_HEADER)
                });
                let parsed = msg
                    .payload()
                    .filter(|_| !typed)
                    .map(serde_json::from_slice::<ScoredInput>);
                match parsed {
                    Some(Ok(rec)) => {
                        let now_ms = chrono::Utc::now().timestamp_millis();
                        if let Err(Skip::Late) =
                            lock(&shared.core).add(msg.partition(), &rec, now_ms)
                        {
                            InputSkipped::Late { brand: &rec.brand }
                                .emit(&shared.metrics, &skipped);
                        }
                    }
                    Some(Err(error)) => InputSkipped::Unreadable {
                        partition: msg.partition(),
                        offset: msg.offset(),
                        error: &error,
                    }
                    .emit(&shared.metrics, &skipped),
                    None => {}
                }
                lock(&shared.consumed).insert(msg.partition(), msg.offset());
            }
            Some(Err(e)) => KafkaClientError {
                client: Client::AlertConsumer,
                during: During::Consume,
                error: &e,
                reason: "",
            }
            .emit(Some(&shared.metrics), &consume_errors),
            None => {}
        }
        if last_tick.elapsed() >= Duration::from_millis(200) {
            let elapsed = last_tick.elapsed();
            last_tick = Instant::now();
            let closed = {
                let mut core = lock(&shared.core);
                // An idle stream: event time follows the wall clock.
                if last_record.elapsed() > window + lateness {
                    core.advance_idle(elapsed.as_millis() as i64);
                }
                core.close()
            };
            shared.publish(closed);
        }
        if last_checkpoint.elapsed() >= checkpoint_every {
            last_checkpoint = Instant::now();
            shared.checkpoint(&consumer);
        }
    }
    let closed = lock(&shared.core).close();
    shared.publish(closed);
    shared.checkpoint(&consumer);
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        tracing::debug!(error = %e, "alert stage: final commit");
    }
    consumer.unsubscribe();
    tracing::info!("alert stage stopped");
}
