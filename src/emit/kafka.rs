//! The producing half of the pipeline: sends outputs, waits for acknowledgements without
//! awaiting them one by one, retries failures, and stores each consumed offset once all of
//! that record's outputs are acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use rdkafka::consumer::Consumer;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio::sync::mpsc;

use super::offsets::{OffsetTracker, TopicPartition};
use super::{dead_letter_headers, encode_scored, EmitError};
use crate::ingest::kafka::IngestConsumer;
use crate::pipeline::{Origin, Outbound, OutputContext, Outputs};
use crate::telemetry::Metrics;

/// One message to produce, kept so it can be retried.
struct Pending {
    /// Key into `Emitter::records`.
    record: u64,
    dead_letter: bool,
    key: Vec<u8>,
    payload: Option<Vec<u8>>,
    headers: Option<OwnedHeaders>,
    attempt: u32,
}

/// A consumed record whose outputs are not all acknowledged.
struct InFlightRecord {
    origin: Origin,
    remaining: usize,
}

/// Produces outputs and stores offsets.
pub struct Emitter {
    producer: FutureProducer<OutputContext>,
    consumer: Arc<IngestConsumer>,
    tracker: Arc<Mutex<OffsetTracker>>,
    metrics: Metrics,
    scored_topic: String,
    dead_letter_topic: String,
    max_in_flight: usize,
}

type Delivery = (Pending, Result<(), rdkafka::error::KafkaError>);

impl Emitter {
    /// An emitter over an existing producer and the consumer whose offsets it stores.
    pub fn new(
        producer: FutureProducer<OutputContext>,
        consumer: Arc<IngestConsumer>,
        tracker: Arc<Mutex<OffsetTracker>>,
        metrics: Metrics,
        scored_topic: String,
        dead_letter_topic: String,
        max_in_flight: usize,
    ) -> Self {
        Self {
            producer,
            consumer,
            tracker,
            metrics,
            scored_topic,
            dead_letter_topic,
            max_in_flight,
        }
    }

    /// Runs until `rx` is closed (upstream drained) and every output is acknowledged.
    ///
    /// # Errors
    /// [`EmitError::Encode`] only; produce failures are retried until they succeed or the
    /// drain timeout around this future expires (the record is then re-consumed on restart).
    pub async fn run(self, mut rx: mpsc::Receiver<Vec<Outbound>>) -> Result<(), EmitError> {
        let mut deliveries = FuturesUnordered::new();
        let mut records: HashMap<u64, InFlightRecord> = HashMap::new();
        let mut next_id: u64 = 0;
        let mut upstream_open = true;
        loop {
            let room = deliveries.len() < self.max_in_flight;
            tokio::select! {
                batch = rx.recv(), if upstream_open && room => {
                    let Some(batch) = batch else {
                        upstream_open = false;
                        continue;
                    };
                    let started = std::time::Instant::now();
                    self.metrics.live.record_scored(batch.iter().flat_map(|o| match &o.outputs {
                        Outputs::Scored(list) => list.as_slice(),
                        _ => &[],
                    }));
                    for outbound in batch {
                        let id = next_id;
                        next_id += 1;
                        let pending = self.to_pending(id, &outbound)?;
                        if pending.is_empty() {
                            self.complete(&outbound.origin);
                            continue;
                        }
                        records.insert(id, InFlightRecord { origin: outbound.origin, remaining: pending.len() });
                        for p in pending {
                            deliveries.push(self.send(p));
                        }
                    }
                    self.metrics.stage_latency.with_label_values(&["emit"]).observe(started.elapsed().as_secs_f64());
                }
                Some((pending, result)) = deliveries.next() => {
                    match result {
                        Ok(()) => {
                            let output = if pending.dead_letter { "dead_letter" } else { "scored" };
                            self.metrics.produced.with_label_values(&[output]).inc();
                            if let Some(rec) = records.get_mut(&pending.record) {
                                rec.remaining -= 1;
                                if rec.remaining == 0 {
                                    if let Some(rec) = records.remove(&pending.record) {
                                        self.complete(&rec.origin);
                                    }
                                }
                            }
                        }
                        Err(error) => {
                            self.metrics.produce_errors.inc();
                            let backoff = Duration::from_millis(100 * 2u64.pow(pending.attempt.min(6)));
                            tracing::warn!(%error, attempt = pending.attempt, ?backoff, "produce failed, retrying");
                            let mut p = pending;
                            p.attempt += 1;
                            deliveries.push(self.send_after(p, backoff));
                        }
                    }
                }
                else => break,
            }
            if !upstream_open && deliveries.is_empty() {
                break;
            }
        }
        Ok(())
    }

    /// Builds the messages of one consumed record.
    fn to_pending(&self, id: u64, outbound: &Outbound) -> Result<Vec<Pending>, EmitError> {
        Ok(match &outbound.outputs {
            Outputs::None => Vec::new(),
            Outputs::Scored(list) => {
                let mut v = Vec::with_capacity(list.len());
                for s in list {
                    v.push(Pending {
                        record: id,
                        dead_letter: false,
                        key: s.brand.as_bytes().to_vec(),
                        payload: Some(encode_scored(s)?),
                        headers: None,
                        attempt: 0,
                    });
                }
                v
            }
            Outputs::Dead(dl) => {
                let o = &outbound.origin;
                self.metrics
                    .dead_letters
                    .with_label_values(&[dl.error.reason()])
                    .inc();
                tracing::debug!(topic = %o.tp.0, partition = o.tp.1, offset = o.offset,
                    reason = dl.error.reason(), error = %dl.error, "dead letter");
                vec![Pending {
                    record: id,
                    dead_letter: true,
                    key: dl.key.clone().unwrap_or_default(),
                    payload: dl.payload.clone(),
                    headers: Some(dead_letter_headers(
                        dl,
                        &o.tp.0,
                        o.tp.1,
                        o.offset,
                        o.format.as_str(),
                    )),
                    attempt: 0,
                }]
            }
        })
    }

    fn send_after(
        &self,
        p: Pending,
        delay: Duration,
    ) -> futures::future::BoxFuture<'static, Delivery> {
        let fut = self.send(p);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            fut.await
        })
    }

    /// Enqueues one message; the future resolves when Kafka acknowledges it or fails.
    fn send(&self, p: Pending) -> futures::future::BoxFuture<'static, Delivery> {
        let producer = self.producer.clone();
        let topic = if p.dead_letter {
            self.dead_letter_topic.clone()
        } else {
            self.scored_topic.clone()
        };
        Box::pin(async move {
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic).key(&p.key[..]);
            if let Some(payload) = &p.payload {
                record = record.payload(&payload[..]);
            }
            if let Some(h) = &p.headers {
                record = record.headers(h.clone());
            }
            // `send` waits (asynchronously) while librdkafka's queue is full, then for the ack.
            let result = producer
                .send(record, Timeout::Never)
                .await
                .map(|_| ())
                .map_err(|(e, _)| e);
            (p, result)
        })
    }

    fn complete(&self, origin: &Origin) {
        self.metrics
            .end_to_end_latency
            .observe(origin.consumed_at.elapsed().as_secs_f64());
        let (advanced, in_flight) = match self.tracker.lock() {
            Ok(mut t) => (t.complete(&origin.tp, origin.offset), t.in_flight()),
            Err(poisoned) => {
                let mut t = poisoned.into_inner();
                (t.complete(&origin.tp, origin.offset), t.in_flight())
            }
        };
        self.metrics.in_flight.set(in_flight as i64);
        if let Some(offset) = advanced {
            store_offset(&self.consumer, &origin.tp, offset, &self.metrics);
        }
    }
}

fn store_offset(consumer: &IngestConsumer, tp: &TopicPartition, offset: i64, metrics: &Metrics) {
    // librdkafka stores offset + 1 (the next to read); commits happen in the background and
    // at shutdown.
    match consumer.store_offset(&tp.0, tp.1, offset) {
        Ok(()) => metrics.offsets_stored.inc(),
        // The partition was revoked meanwhile: its new owner re-reads from the last commit.
        Err(e) => tracing::debug!(topic = %tp.0, partition = tp.1, offset, error = %e,
            "offset not stored (partition no longer assigned)"),
    }
}
