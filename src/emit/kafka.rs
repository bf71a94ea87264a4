//! The producing half of the pipeline: sends outputs, waits for acknowledgements without
//! awaiting them one by one, and stores each consumed offset once all of that record's outputs
//! are acknowledged. Failures go by kind ([`super::failure`]): transient ones are retried with
//! capped backoff; an output Kafka can never accept becomes a dead letter, and a dead letter
//! the broker refuses is cut down until it fits, so one poison record never stalls a partition.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio::sync::mpsc;

use super::deletions::{DeletionRecord, RecentBrands, RECORD_TYPE_HEADER};
use super::events::{
    BrandAnswered, DeadLetterCause, DeadLetterCut, DeadLettered, DeletionUnknown, Output,
    OutputDropped, ProduceFailed, Produced,
};
use super::failure::{self, Cut, FailureKind};
use super::{
    dead_letter_record, encode_scored, mark_own_post, scored_records, EmitError, Rejected,
};
use crate::config::{Config, InboxConfig};
use crate::inbox::{Expired, InboxTracker, Item, ReplyResult};
use crate::mention::{IntentLabel, ScoredMention};
use crate::record::offsets::Offsets;
use crate::record::{Notice, NoticeKind, Origin, Outbound, Outputs, OwnPost};
use crate::telemetry::events::{During, KafkaClientError};
use crate::telemetry::metric::observe;
use crate::telemetry::Metrics;

/// Creates the producer used for outputs: idempotent, acks from all replicas (see
/// [`crate::kafka`]).
///
/// # Errors
/// [`EmitError::Client`] when a setting is invalid or librdkafka refuses the producer.
pub fn create_producer(
    config: &Config,
    metrics: &Metrics,
) -> Result<FutureProducer<OutputContext>, EmitError> {
    let context = OutputContext {
        metrics: metrics.clone(),
        throttle: Default::default(),
    };
    Ok(crate::kafka::create(
        config,
        crate::kafka::Client::Producer,
        context,
    )?)
}

/// Producer callbacks: errors are counted, and logged at most once per interval.
pub struct OutputContext {
    metrics: Metrics,
    throttle: crate::telemetry::throttle::Throttle,
}

impl rdkafka::client::ClientContext for OutputContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        crate::telemetry::kafka_log(&self.throttle, "producer", level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        KafkaClientError {
            client: crate::kafka::Client::Producer,
            during: During::Callback,
            error: &error,
            reason,
        }
        .emit(Some(&self.metrics), &self.throttle);
    }
}

/// One message to produce, kept so it can be retried.
struct Pending {
    /// Key into `Emitter::records`.
    record: u64,
    /// `Some` for a dead letter: what it is made of, and how far it is cut.
    dead_letter: Option<(Arc<Source>, Cut)>,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    headers: Option<OwnedHeaders>,
    attempt: u32,
    /// A deletion record (counted apart from scored mentions).
    deletion: bool,
    /// A copy of a scored mention for the inbox topic: opened in the tracker once
    /// acknowledged.
    inbox: Option<InboxOpen>,
}

/// What the inbox tracker needs of an inbox copy.
struct InboxOpen {
    brand: String,
    mention_id: String,
    item: Item,
}

impl Pending {
    /// A scored mention's record (`inbox`: its copy for the inbox topic), keyed by brand.
    fn scored(record: u64, s: &ScoredMention, payload: Vec<u8>, inbox: Option<InboxOpen>) -> Self {
        Self {
            record,
            dead_letter: None,
            key: Some(s.brand.as_bytes().to_vec()),
            payload: Some(payload),
            headers: None,
            attempt: 0,
            deletion: false,
            inbox,
        }
    }

    /// Bytes of key and payload.
    fn size(&self) -> usize {
        self.key.as_ref().map_or(0, Vec::len) + self.payload.as_ref().map_or(0, Vec::len)
    }
}

/// What a dead letter is built from (kept to rebuild it smaller).
struct Source {
    reason: &'static str,
    detail: String,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    origin: Origin,
    output_topic: Option<String>,
}

/// A consumed record whose outputs are not all acknowledged.
struct InFlightRecord {
    origin: Origin,
    /// The mention's id, the exemplar of its end-to-end latency.
    mention_id: Option<String>,
    remaining: usize,
}

/// Produces outputs and stores offsets.
pub struct Emitter {
    producer: FutureProducer<OutputContext>,
    offsets: Offsets,
    metrics: Metrics,
    scored_topic: String,
    dead_letter_topic: String,
    /// `None`: the inbox is off.
    inbox_topic: Option<String>,
    inbox_config: InboxConfig,
    max_in_flight: usize,
    max_in_flight_bytes: usize,
    max_message_bytes: usize,
    deletion_memory: usize,
    throttle: crate::telemetry::throttle::Throttle,
}

type Delivery = (Pending, Result<(), rdkafka::error::KafkaError>);

impl Emitter {
    /// An emitter over an existing producer, completing records through `offsets`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        producer: FutureProducer<OutputContext>,
        offsets: Offsets,
        metrics: Metrics,
        scored_topic: String,
        dead_letter_topic: String,
        inbox_topic: Option<String>,
        inbox_config: InboxConfig,
        max_in_flight: usize,
        max_in_flight_bytes: usize,
        max_message_bytes: usize,
        deletion_memory: usize,
    ) -> Self {
        // The emit stage's label values, at zero before the first failure.
        for kind in FailureKind::LABELS {
            metrics.produce_errors.with_label_values(&[kind]);
        }
        for kind in [FailureKind::MessageTooLarge, FailureKind::InvalidRecord] {
            metrics.dead_letters.with_label_values(&[kind.reason()]);
        }
        Self {
            producer,
            offsets,
            metrics,
            scored_topic,
            dead_letter_topic,
            inbox_topic,
            inbox_config,
            max_in_flight,
            max_in_flight_bytes,
            max_message_bytes,
            deletion_memory,
            throttle: Default::default(),
        }
    }

    /// Runs until `rx` is closed (upstream drained) and every output is acknowledged.
    ///
    /// # Errors
    /// [`EmitError::Encode`] only; transient produce failures are retried until they succeed
    /// or the drain timeout around this future expires (the record is then re-consumed on
    /// restart); permanent ones are dead-lettered.
    pub async fn run(self, mut rx: mpsc::Receiver<Vec<Outbound>>) -> Result<(), EmitError> {
        let mut deliveries = FuturesUnordered::new();
        let mut records: HashMap<u64, InFlightRecord> = HashMap::new();
        let mut next_id: u64 = 0;
        let mut upstream_open = true;
        // Bytes of keys and payloads produced and not yet acknowledged (librdkafka's queue
        // holds nothing else of ours).
        let mut in_flight_bytes = 0usize;
        let mut recent = RecentBrands::new(self.deletion_memory);
        let mut tracker = InboxTracker::new(&self.inbox_config);
        // Expiry and the open-item gauges run on a clock, so ages grow in a quiet stream.
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let room =
                deliveries.len() < self.max_in_flight && in_flight_bytes < self.max_in_flight_bytes;
            tokio::select! {
                batch = rx.recv(), if upstream_open && room => {
                    let Some(batch) = batch else {
                        upstream_open = false;
                        continue;
                    };
                    let started = std::time::Instant::now();
                    let batch: Vec<(Outbound, Vec<ScoredMention>)> = batch
                        .into_iter()
                        .map(|o| {
                            let mut scored = match &o.outputs {
                                Outputs::Scored { mention, scores, scored_at } => {
                                    scored_records(mention, scores, *scored_at)
                                }
                                _ => Vec::new(),
                            };
                            mark_own_post(&mut scored, o.own_post.as_ref());
                            (o, scored)
                        })
                        .collect();
                    self.metrics.live.record_scored(batch.iter().flat_map(|(_, s)| s.iter()));
                    let batch_mention = batch.iter().find_map(|(_, s)| s.first()).map(|s| s.mention_id.clone());
                    // Inbox copies go out after the batch's other outputs, highest priority first.
                    let mut inbox: Vec<(u32, Pending)> = Vec::new();
                    for (outbound, scored) in batch {
                        let id = next_id;
                        next_id += 1;
                        if let Some(first) = scored.first() {
                            recent.remember(&first.mention_id, scored.iter().map(|s| s.brand.clone()));
                        }
                        let mut pending = self.to_pending(id, &outbound, &scored)?;
                        if let Outputs::Notice(n) = &outbound.outputs {
                            pending = self.deletions(id, n, &mut recent)?;
                        }
                        if let Some(own) = &outbound.own_post {
                            self.brand_reply(&mut tracker, own);
                        }
                        let needing = self.inbox_pending(id, &scored, &pending)?;
                        if pending.is_empty() && needing.is_empty() {
                            self.complete(&outbound.origin, scored.first().map(|s| s.mention_id.as_str()));
                            continue;
                        }
                        records.insert(id, InFlightRecord {
                            origin: outbound.origin,
                            mention_id: scored.first().map(|s| s.mention_id.clone()),
                            remaining: pending.len() + needing.len(),
                        });
                        for p in pending {
                            in_flight_bytes += p.size();
                            deliveries.push(self.send(p));
                        }
                        inbox.extend(needing);
                    }
                    inbox.sort_by_key(|(priority, _)| std::cmp::Reverse(*priority));
                    for (_, p) in inbox {
                        in_flight_bytes += p.size();
                        deliveries.push(self.send(p));
                    }
                    observe(&self.metrics.stage_latency.with_label_values(&["emit"]), started.elapsed().as_secs_f64(), batch_mention.as_deref());
                }
                Some((pending, result)) = deliveries.next() => {
                    in_flight_bytes = in_flight_bytes.saturating_sub(pending.size());
                    let error = match result {
                        Ok(()) => {
                            let output = if pending.dead_letter.is_some() {
                                Output::DeadLetter
                            } else if pending.deletion {
                                Output::Deletion
                            } else if let Some(open) = &pending.inbox {
                                self.metrics.brand_inbox.with_label_values(&[&open.brand]).inc();
                                self.inbox_opened(&mut tracker, open);
                                Output::Inbox
                            } else {
                                Output::Scored
                            };
                            Produced(output).emit(&self.metrics);
                            self.output_done(&mut records, pending.record);
                            continue;
                        }
                        Err(error) => error,
                    };
                    let kind = failure::classify(&error);
                    let retry_in = (!kind.is_permanent()).then(|| failure::backoff(pending.attempt));
                    ProduceFailed { kind, error: &error, attempt: pending.attempt, retry_in }
                        .emit(&self.metrics, &self.throttle);
                    if let Some(backoff) = retry_in {
                        let mut p = pending;
                        p.attempt += 1;
                        in_flight_bytes += p.size();
                        deliveries.push(self.send_after(p, backoff));
                        continue;
                    }
                    let record = pending.record;
                    match self.after_permanent(&records, pending, kind, &error) {
                        Some(next) => {
                            in_flight_bytes += next.size();
                            deliveries.push(self.send(next));
                        }
                        None => self.output_done(&mut records, record),
                    }
                }
                _ = tick.tick() => {
                    let mut expired = Expired::default();
                    let now_ms = chrono::Utc::now().timestamp_millis();
                    tracker.expire(now_ms, &mut expired);
                    self.inbox_expired(&expired);
                    for (brand, (open, oldest)) in tracker.gauges(now_ms) {
                        self.metrics.brand_inbox_open.with_label_values(&[&brand]).set(open as i64);
                        self.metrics.brand_inbox_oldest_complaint.with_label_values(&[&brand]).set(oldest);
                    }
                }
            }
            if !upstream_open && deliveries.is_empty() {
                break;
            }
        }
        Ok(())
    }

    /// A post by one of a brand's own handles: a reply closes the inbox item it answers.
    fn brand_reply(&self, tracker: &mut InboxTracker, own: &OwnPost) {
        let Some(reply_to) = &own.reply_to else {
            return;
        };
        let mut expired = Expired::default();
        let result = tracker.reply(
            &own.brand,
            reply_to,
            own.created_at.timestamp_millis(),
            chrono::Utc::now().timestamp_millis(),
            &mut expired,
        );
        self.inbox_expired(&expired);
        self.inbox_result(&own.brand, reply_to, result);
    }

    /// An inbox copy was acknowledged: its item is open, or answered by an earlier reply.
    fn inbox_opened(&self, tracker: &mut InboxTracker, open: &InboxOpen) {
        let mut expired = Expired::default();
        let answered = tracker.open(
            &open.brand,
            &open.mention_id,
            open.item.clone(),
            &mut expired,
        );
        self.inbox_expired(&expired);
        if let Some(result) = answered {
            self.inbox_result(&open.brand, &open.mention_id, result);
        }
    }

    fn inbox_result(&self, brand: &str, mention_id: &str, result: ReplyResult) {
        if let ReplyResult::Answered { seconds } = result {
            BrandAnswered {
                brand,
                mention_id,
                seconds,
            }
            .emit(&self.metrics);
        } else {
            self.metrics
                .inbox_replies
                .with_label_values(&[result.label()])
                .inc();
        }
    }

    fn inbox_expired(&self, expired: &Expired) {
        for brand in &expired.items {
            self.metrics.inbox_expired.with_label_values(&[brand]).inc();
        }
        if expired.unknown_replies > 0 {
            tracing::debug!(
                replies = expired.unknown_replies,
                "inbox: brand replies to mentions the inbox never held"
            );
            self.metrics
                .inbox_replies
                .with_label_values(&["unknown"])
                .inc_by(expired.unknown_replies);
        }
    }

    /// The inbox copies of a consumed record's scored mentions that need a response and are
    /// counted (not excluded by the screen stage), with their priority; none when the inbox
    /// is off.
    /// `outputs` are the record's other messages: a scored mention's encoded record is
    /// reused from there rather than encoded again.
    fn inbox_pending(
        &self,
        id: u64,
        scored: &[ScoredMention],
        outputs: &[Pending],
    ) -> Result<Vec<(u32, Pending)>, EmitError> {
        if self.inbox_topic.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (i, s) in scored.iter().enumerate() {
            let Some(intent) = s.intent.as_ref().filter(|i| i.needs_response) else {
                continue;
            };
            // Spam, campaign copies and repeats are not for an agent.
            if s.excluded.is_some() {
                continue;
            }
            // `to_pending` built one scored record per scored mention, in order.
            let encoded = outputs
                .get(i)
                .filter(|p| p.key.as_deref() == Some(s.brand.as_bytes()) && p.inbox.is_none())
                .and_then(|p| p.payload.clone());
            let payload = match encoded {
                Some(p) => p,
                None => encode_scored(s)?,
            };
            let open = InboxOpen {
                brand: s.brand.clone(),
                mention_id: s.mention_id.clone(),
                item: Item {
                    posted_ms: s.created_at.timestamp_millis(),
                    complaint: intent.labels.contains(&IntentLabel::Complaint),
                },
            };
            out.push((
                intent.priority.unwrap_or(0),
                Pending::scored(id, s, payload, Some(open)),
            ));
        }
        Ok(out)
    }

    /// Builds the messages of one consumed record (`scored`: its scored mentions, if any).
    fn to_pending(
        &self,
        id: u64,
        outbound: &Outbound,
        scored: &[ScoredMention],
    ) -> Result<Vec<Pending>, EmitError> {
        Ok(match &outbound.outputs {
            Outputs::None | Outputs::Notice(_) => Vec::new(),
            Outputs::Scored { .. } => {
                let mut v = Vec::with_capacity(scored.len());
                for s in scored {
                    v.push(Pending::scored(id, s, encode_scored(s)?, None));
                }
                v
            }
            Outputs::Dead(dl) => {
                let o = &outbound.origin;
                DeadLettered {
                    origin: o,
                    cause: DeadLetterCause::Input(&dl.error),
                }
                .emit(&self.metrics);
                let source = Arc::new(Source {
                    reason: dl.error.reason(),
                    detail: dl.error.to_string(),
                    key: dl.key.clone(),
                    payload: dl.payload.clone(),
                    origin: o.clone(),
                    output_topic: None,
                });
                vec![self.dead_letter(id, source, Cut::Whole)]
            }
        })
    }

    /// The deletion records of a notice: one per brand its post was produced for, when the
    /// notice is a deletion of a remembered post; nothing otherwise.
    fn deletions(
        &self,
        id: u64,
        notice: &Notice,
        recent: &mut RecentBrands,
    ) -> Result<Vec<Pending>, EmitError> {
        let (NoticeKind::Delete, Some(mention_id)) = (notice.kind, &notice.mention_id) else {
            return Ok(Vec::new());
        };
        let Some(brands) = recent.take(mention_id) else {
            DeletionUnknown { mention_id }.emit(&self.metrics);
            return Ok(Vec::new());
        };
        let now = chrono::Utc::now();
        let mut out = Vec::with_capacity(brands.len());
        for brand in brands {
            let record = DeletionRecord::new(mention_id, &brand, now);
            out.push(Pending {
                record: id,
                dead_letter: None,
                key: Some(brand.into_bytes()),
                payload: Some(serde_json::to_vec(&record)?),
                headers: Some(OwnedHeaders::new().insert(rdkafka::message::Header {
                    key: RECORD_TYPE_HEADER,
                    value: Some("deletion"),
                })),
                attempt: 0,
                deletion: true,
                inbox: None,
            });
        }
        Ok(out)
    }

    /// The dead letter of `source` in the form `cut`.
    fn dead_letter(&self, record: u64, source: Arc<Source>, cut: Cut) -> Pending {
        let o = &source.origin;
        let built = dead_letter_record(
            &Rejected {
                reason: source.reason,
                detail: &source.detail,
                key: source.key.as_deref(),
                payload: source.payload.as_deref(),
                topic: &o.tp.0,
                partition: o.tp.1,
                offset: o.offset,
                format: o.format.as_str(),
                output_topic: source.output_topic.as_deref(),
            },
            cut,
            self.max_message_bytes,
        );
        Pending {
            record,
            dead_letter: Some((source, cut)),
            key: built.key,
            payload: built.payload,
            headers: Some(built.headers),
            attempt: 0,
            deletion: false,
            inbox: None,
        }
    }

    /// After a permanent failure: the output's dead letter, or the dead letter cut smaller;
    /// `None` when even a headers-only dead letter was refused (the output is given up, so
    /// the partition moves on; counted and logged as an error).
    fn after_permanent(
        &self,
        records: &HashMap<u64, InFlightRecord>,
        pending: Pending,
        kind: FailureKind,
        error: &rdkafka::error::KafkaError,
    ) -> Option<Pending> {
        match pending.dead_letter {
            None => {
                let origin = records.get(&pending.record)?.origin.clone();
                DeadLettered {
                    origin: &origin,
                    cause: DeadLetterCause::Refused(kind, error),
                }
                .emit(&self.metrics);
                let topic = match &self.inbox_topic {
                    Some(inbox) if pending.inbox.is_some() => inbox.clone(),
                    _ => self.scored_topic.clone(),
                };
                let source = Arc::new(Source {
                    reason: kind.reason(),
                    detail: format!("producing to {topic}: {error}"),
                    key: pending.key,
                    payload: pending.payload,
                    origin,
                    output_topic: Some(topic),
                });
                Some(self.dead_letter(pending.record, source, Cut::Whole))
            }
            Some((source, cut)) => {
                let o = &source.origin;
                match cut.next() {
                    Some(smaller) => {
                        DeadLetterCut {
                            origin: o,
                            smaller,
                            error,
                        }
                        .emit();
                        Some(self.dead_letter(pending.record, source.clone(), smaller))
                    }
                    None => {
                        OutputDropped {
                            origin: o,
                            reason: source.reason,
                            error,
                        }
                        .emit(&self.metrics);
                        None
                    }
                }
            }
        }
    }

    /// One output of `record` is done (acknowledged or given up).
    fn output_done(&self, records: &mut HashMap<u64, InFlightRecord>, record: u64) {
        if let Some(rec) = records.get_mut(&record) {
            rec.remaining -= 1;
            if rec.remaining == 0 {
                if let Some(rec) = records.remove(&record) {
                    self.complete(&rec.origin, rec.mention_id.as_deref());
                }
            }
        }
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
        let topic = match (&p.dead_letter, &self.inbox_topic) {
            (Some(_), _) => self.dead_letter_topic.clone(),
            (None, Some(inbox)) if p.inbox.is_some() => inbox.clone(),
            _ => self.scored_topic.clone(),
        };
        Box::pin(async move {
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic);
            if let Some(key) = &p.key {
                record = record.key(&key[..]);
            }
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

    fn complete(&self, origin: &Origin, mention_id: Option<&str>) {
        observe(
            &self.metrics.end_to_end_latency,
            origin.consumed_at.elapsed().as_secs_f64(),
            mention_id,
        );
        let done = self.offsets.complete(&origin.tp, origin.offset);
        self.metrics.in_flight.set(done.in_flight as i64);
        match done.stored {
            None => {}
            Some((_, Ok(()))) => {
                self.metrics.offsets_stored.inc();
            }
            // The partition was revoked meanwhile: its new owner re-reads from the last commit.
            Some((offset, Err(error))) => tracing::debug!(topic = %origin.tp.0,
                partition = origin.tp.1, offset, %error,
                "offset not stored (partition no longer assigned)"),
        }
    }
}
