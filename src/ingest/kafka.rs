//! The consumer-group member: reads the input topics, decodes records in batches, and hands
//! them downstream. Offsets are never stored here: `enable.auto.offset.store=false`, and the
//! emit stage stores an offset once the record's outputs are acknowledged. librdkafka commits
//! stored offsets in the background (`enable.auto.commit`) and on revocation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use tokio::sync::mpsc;

use super::Decoder;
use crate::config::Config;
use crate::kafka::Client;
use crate::record::offsets::{self, SharedTracker, StoreOffset};
use crate::record::{DeadLetter, Decoded, Ingested, Origin, TopicPartition};
use crate::shutdown::Shutdown;
use crate::telemetry::events::{During, KafkaClientError};
use crate::telemetry::http::Health;
use crate::telemetry::metric::observe;
use crate::telemetry::{stats, Metrics};

/// Errors of the Kafka ingest.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The consumer could not be created.
    #[error(transparent)]
    Client(#[from] crate::kafka::ClientError),
    /// Subscribing failed.
    #[error("subscribing to {topics:?}: {source}")]
    Subscribe {
        /// The topics.
        topics: Vec<String>,
        /// Why.
        source: KafkaError,
    },
}

/// Consumer callbacks: statistics -> lag metrics, errors -> counter, rebalances -> tracker.
pub struct IngestContext {
    metrics: Metrics,
    health: Arc<Health>,
    tracker: SharedTracker,
    throttle: crate::telemetry::throttle::Throttle,
}

impl IngestContext {
    /// A context reporting to `metrics` and `health`, forgetting revoked partitions in `tracker`.
    pub fn new(metrics: Metrics, health: Arc<Health>, tracker: SharedTracker) -> Self {
        Self {
            metrics,
            health,
            tracker,
            throttle: Default::default(),
        }
    }
}

impl ClientContext for IngestContext {
    fn stats(&self, statistics: Statistics) {
        stats::record_consumer_lag(&statistics, &self.metrics);
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        crate::telemetry::kafka_log(&self.throttle, "consumer", level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        KafkaClientError {
            client: Client::Consumer,
            during: During::Callback,
            error: &error,
            reason,
        }
        .emit(Some(&self.metrics), &self.throttle);
    }
}

impl ConsumerContext for IngestContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let mut tracker = offsets::lock(&self.tracker);
            for elem in tpl.elements() {
                tracing::info!(
                    topic = elem.topic(),
                    partition = elem.partition(),
                    "partition revoked"
                );
                tracker.forget(&(Arc::from(elem.topic()), elem.partition()));
                let part = elem.partition().to_string();
                let _ = self
                    .metrics
                    .consumer_lag
                    .remove_label_values(&[elem.topic(), part.as_str()]);
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                for elem in tpl.elements() {
                    tracing::info!(
                        topic = elem.topic(),
                        partition = elem.partition(),
                        "partition assigned"
                    );
                }
                // Ready while the member holds partitions (an idle member beyond the
                // partition count is assigned nothing and stays unready).
                self.health.set_ready(tpl.count() > 0);
            }
            Rebalance::Revoke(_) => self.health.set_ready(false),
            Rebalance::Error(e) => KafkaClientError {
                client: Client::Consumer,
                during: During::Rebalance,
                error: e,
                reason: "",
            }
            .emit(Some(&self.metrics), &self.throttle),
        }
    }
}

/// The consumer type used by the pipeline.
pub type IngestConsumer = StreamConsumer<IngestContext>;

/// The emitter stores offsets through this (given to it as an
/// [`Offsets`](crate::record::offsets::Offsets) handle); it never sees the consumer.
impl StoreOffset for IngestConsumer {
    fn store(&self, tp: &TopicPartition, offset: i64) -> Result<(), String> {
        self.store_offset(&tp.0, tp.1, offset)
            .map_err(|e| e.to_string())
    }
}

/// Creates the consumer and subscribes it to every input topic.
///
/// # Errors
/// [`IngestError`] when librdkafka rejects a property or the subscription.
pub fn create_consumer(
    config: &Config,
    context: IngestContext,
) -> Result<IngestConsumer, IngestError> {
    let consumer: IngestConsumer =
        crate::kafka::create(config, crate::kafka::Client::Consumer, context)?;
    let topics: Vec<&str> = config.inputs.iter().map(|i| i.topic.as_str()).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| IngestError::Subscribe {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            source,
        })?;
    Ok(consumer)
}

/// Settings of the ingest loop.
pub struct IngestSettings {
    /// Decoder per input topic.
    pub decoders: HashMap<String, Decoder>,
    /// Most records per batch.
    pub batch_size: usize,
    /// A batch is sent once its records' payloads reach this many bytes.
    pub batch_bytes: usize,
    /// Longest wait to fill a batch.
    pub batch_wait: Duration,
}

/// Reads until `shutdown` fires, sending batches of decoded records to `tx`. Each record is
/// registered with `tracker` before it leaves this stage.
pub async fn run(
    consumer: Arc<IngestConsumer>,
    settings: IngestSettings,
    tracker: SharedTracker,
    tx: mpsc::Sender<Vec<Ingested>>,
    metrics: Metrics,
    mut shutdown: Shutdown,
) {
    let mut topics: HashMap<String, Arc<str>> = HashMap::new();
    let mut batch: Vec<Ingested> = Vec::with_capacity(settings.batch_size);
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut decode_time = Duration::ZERO;
    let mut batch_bytes = 0usize;
    let consume_errors = crate::telemetry::throttle::Throttle::default();
    loop {
        let flush_at = deadline;
        tokio::select! {
            biased;
            _ = shutdown.recv() => break,
            _ = async { if let Some(d) = flush_at { tokio::time::sleep_until(d).await } else { std::future::pending().await } } => {
                if flush(&mut batch, &tx, &metrics, &mut decode_time).await.is_err() { return; }
                batch_bytes = 0;
                deadline = None;
            }
            msg = consumer.recv() => {
                let msg = match msg {
                    Ok(m) => m,
                    Err(error) => {
                        KafkaClientError { client: Client::Consumer, during: During::Consume, error: &error, reason: "" }
                            .emit(Some(&metrics), &consume_errors);
                        continue;
                    }
                };
                let started = Instant::now();
                let topic = msg.topic();
                let Some(decoder) = settings.decoders.get(topic) else {
                    tracing::warn!(topic, "record from a topic we did not subscribe to");
                    continue;
                };
                let tp_topic = topics
                    .entry(topic.to_string())
                    .or_insert_with(|| Arc::from(topic))
                    .clone();
                metrics.consumed.with_label_values(&[topic]).inc();
                let origin = Origin {
                    tp: (tp_topic, msg.partition()),
                    offset: msg.offset(),
                    consumed_at: started,
                    format: decoder.format(),
                };
                let result = decoder.decode_record(msg.payload()).map_err(|error| DeadLetter {
                    key: msg.key().map(<[u8]>::to_vec),
                    payload: msg.payload().map(<[u8]>::to_vec),
                    error,
                });
                if let Ok(Decoded::Notice(n)) = &result {
                    metrics.notices.with_label_values(&[n.kind.as_str()]).inc();
                }
                offsets::lock(&tracker).track(&origin.tp, origin.offset);
                decode_time += started.elapsed();
                batch_bytes += msg.payload_len() + msg.key().map_or(0, <[u8]>::len);
                batch.push(Ingested { origin, result });
                if batch.len() >= settings.batch_size || batch_bytes >= settings.batch_bytes {
                    if flush(&mut batch, &tx, &metrics, &mut decode_time).await.is_err() { return; }
                    batch_bytes = 0;
                    deadline = None;
                } else if deadline.is_none() {
                    deadline = Some(tokio::time::Instant::now() + settings.batch_wait);
                }
            }
        }
    }
    let _ = flush(&mut batch, &tx, &metrics, &mut decode_time).await;
    tracing::info!("ingest stopped");
}

async fn flush(
    batch: &mut Vec<Ingested>,
    tx: &mpsc::Sender<Vec<Ingested>>,
    metrics: &Metrics,
    decode_time: &mut Duration,
) -> Result<(), ()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mention = batch.iter().find_map(|i| match &i.result {
        Ok(Decoded::Mention(m)) => Some(m.id.as_str()),
        _ => None,
    });
    observe(
        &metrics.stage_latency.with_label_values(&["decode"]),
        decode_time.as_secs_f64(),
        mention,
    );
    *decode_time = Duration::ZERO;
    let full = std::mem::take(batch);
    // A full channel blocks here: backpressure all the way to the consumer.
    tx.send(full).await.map_err(|_| ())
}
