//! Telemetry: every metric brandpulse exports, registered on a [`Registry`] passed down from
//! `main` (no global registry), and the HTTP endpoints that serve them.
//!
//! Naming: `brandpulse_<stage>_<name>_<unit>[_total]`, except the per-brand series, which
//! dashboards use most, under `brandpulse_brand_*`. Labels come from bounded sets only:
//! brand ids (from config), sentiment labels, a fixed list of sources, language buckets,
//! dead-letter reasons, stage names, Kafka topic/partition of our own inputs.

pub mod events;
pub mod http;
pub mod live;
pub mod stats;
pub mod throttle;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Sources given their own label value; anything else is counted as `other`.
pub const SOURCES: [&str; 11] = [
    "twitter",
    "facebook",
    "instagram",
    "reddit",
    "youtube",
    "tiktok",
    "news",
    "blog",
    "forum",
    "review",
    "other",
];

/// The bounded `source` label of a mention's platform.
pub fn source_bucket(source: &str) -> &'static str {
    let lower = source.to_ascii_lowercase();
    SOURCES
        .iter()
        .find(|s| **s == lower)
        .copied()
        .unwrap_or("other")
}

/// Routes one librdkafka log line to `tracing` (target `librdkafka`). Warnings and errors share
/// `throttle` with the client's error callback, which reports the same events: a broker that
/// is down gives one line per interval, not one per connection attempt from each.
pub fn kafka_log(
    throttle: &throttle::Throttle,
    client: &str,
    level: rdkafka::config::RDKafkaLogLevel,
    fac: &str,
    message: &str,
) {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        L::Emerg | L::Alert | L::Critical | L::Error => {
            if let Some(folded) = throttle.allow() {
                tracing::error!(target: "librdkafka", client, fac, folded, "{message}");
            }
        }
        L::Warning => {
            if let Some(folded) = throttle.allow() {
                tracing::warn!(target: "librdkafka", client, fac, folded, "{message}");
            }
        }
        L::Notice | L::Info => tracing::info!(target: "librdkafka", client, fac, "{message}"),
        L::Debug => tracing::debug!(target: "librdkafka", client, fac, "{message}"),
    }
}

/// Pipeline stages, the `stage` label of latency histograms.
pub const STAGES: [&str; 4] = ["decode", "match", "score", "emit"];

/// All of brandpulse's metrics.
#[derive(Clone)]
pub struct Metrics {
    /// Mentions per brand, sentiment label, source and language bucket.
    pub brand_mentions: IntCounterVec,
    /// Distribution of sentiment scores per brand.
    pub brand_sentiment: HistogramVec,
    /// Sum of author followers of matched mentions, per brand.
    pub brand_reach: IntCounterVec,
    /// Records consumed per input topic.
    pub consumed: IntCounterVec,
    /// Records produced and acknowledged per output (`scored`, `dead_letter`).
    pub produced: IntCounterVec,
    /// Dead letters per reason.
    pub dead_letters: IntCounterVec,
    /// Failed produce attempts by kind (`transient`: retried; `message_too_large`,
    /// `invalid_record`: dead-lettered).
    pub produce_errors: IntCounterVec,
    /// Outputs given up after every cut of their dead letter was refused.
    pub outputs_dropped: IntCounter,
    /// Mentions that matched no brand.
    pub unmatched: IntCounter,
    /// Stream notices (Twitter `delete`, `limit`, ...) by kind.
    pub notices: IntCounterVec,
    /// Deletion records produced to the scored topic (one per brand of the deleted post).
    pub deletions: IntCounter,
    /// Deletion notices for posts the emitter had not produced recently (matched no brand,
    /// or older than `pipeline.deletion_memory`): no record produced.
    pub deletions_unknown: IntCounter,
    /// Sentiment cache hits (reposts scored once).
    pub score_cache_hits: IntCounter,
    /// Mentions scored by the fallback scorer in degraded mode.
    pub score_degraded: IntCounter,
    /// 1 while the scorer is in degraded mode.
    pub score_degraded_mode: IntGauge,
    /// Time a batch spends in each stage.
    pub stage_latency: HistogramVec,
    /// Time from consuming a record to the acknowledgement of its last output.
    pub end_to_end_latency: Histogram,
    /// Size of batches reaching the scorer.
    pub score_batch_size: Histogram,
    /// Records awaiting acknowledgement.
    pub in_flight: IntGauge,
    /// Consumer lag per input partition, from librdkafka statistics.
    pub consumer_lag: IntGaugeVec,
    /// Offsets stored (committed later by librdkafka).
    pub offsets_stored: IntCounter,
    /// Kafka client errors reported by librdkafka, per client (`consumer`, `producer`).
    pub kafka_errors: IntCounterVec,
    /// 1 when the service is consuming with partitions assigned or waiting for them.
    pub up: IntGauge,
    /// Rule reloads by result (`ok`, `error`).
    pub rules_reloads: IntCounterVec,
    /// Brands in the rules in force.
    pub rules_brands: IntGauge,
    /// Unix time at which the rules in force were loaded.
    pub rules_loaded_at: prometheus::Gauge,
    /// 1 while a spike alert is active, per brand, kind and severity.
    pub alert_active: IntGaugeVec,
    /// Observed count of the last closed window per brand and kind.
    pub alert_observed: prometheus::GaugeVec,
    /// Expected count of the last closed window per brand and kind.
    pub alert_expected: prometheus::GaugeVec,
    /// Alert events by kind and state (`fired`, `resolved`).
    pub alert_events: IntCounterVec,
    /// Scored mentions that arrived after their window had closed.
    pub alert_late: IntCounter,
    /// Checkpoint flushes by result.
    pub alert_checkpoints: IntCounterVec,
    /// Brand states restored from the checkpoint topic.
    pub alert_restored: IntCounter,
    /// Recent per-brand volume, sentiment, mentions and alerts for the live page (not a
    /// Prometheus metric).
    pub live: live::LiveView,
}

impl Metrics {
    /// Creates and registers every metric on `registry`.
    ///
    /// # Errors
    /// [`prometheus::Error`] when a metric is already registered (a programming error).
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = Self {
            brand_mentions: IntCounterVec::new(
                Opts::new(
                    "brandpulse_brand_mentions_total",
                    "Matched mentions per brand, by sentiment label, source and language.",
                ),
                &["brand", "sentiment", "source", "lang"],
            )?,
            brand_sentiment: HistogramVec::new(
                HistogramOpts::new(
                    "brandpulse_brand_sentiment_score",
                    "Sentiment score (-1 negative .. 1 positive) of matched mentions per brand.",
                )
                .buckets(vec![-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75, 1.0]),
                &["brand"],
            )?,
            brand_reach: IntCounterVec::new(
                Opts::new(
                    "brandpulse_brand_reach_total",
                    "Sum of author followers over matched mentions per brand (potential reach).",
                ),
                &["brand"],
            )?,
            consumed: IntCounterVec::new(
                Opts::new(
                    "brandpulse_ingest_consumed_total",
                    "Records consumed per input topic.",
                ),
                &["topic"],
            )?,
            produced: IntCounterVec::new(
                Opts::new(
                    "brandpulse_emit_produced_total",
                    "Records produced and acknowledged, by output (scored, dead_letter).",
                ),
                &["output"],
            )?,
            dead_letters: IntCounterVec::new(
                Opts::new(
                    "brandpulse_dead_letters_total",
                    "Records sent to the dead-letter topic, by reason.",
                ),
                &["reason"],
            )?,
            produce_errors: IntCounterVec::new(
                Opts::new(
                    "brandpulse_emit_produce_errors_total",
                    "Produce attempts that failed, by kind (transient: retried; message_too_large, invalid_record: dead-lettered).",
                ),
                &["kind"],
            )?,
            outputs_dropped: IntCounter::new(
                "brandpulse_emit_outputs_dropped_total",
                "Outputs given up after the dead-letter topic refused even their headers-only dead letter.",
            )?,
            unmatched: IntCounter::new(
                "brandpulse_matcher_unmatched_total",
                "Decoded mentions that matched no brand.",
            )?,
            notices: IntCounterVec::new(
                Opts::new(
                    "brandpulse_ingest_notices_total",
                    "Stream notices that are not mentions (Twitter delete, scrub_geo, limit, status_withheld, user_withheld, disconnect, warning), by kind.",
                ),
                &["kind"],
            )?,
            deletions: IntCounter::new(
                "brandpulse_emit_deletions_total",
                "Deletion records produced to the scored topic (one per brand of a deleted post).",
            )?,
            deletions_unknown: IntCounter::new(
                "brandpulse_emit_deletions_unknown_total",
                "Deletion notices for posts not produced recently (no brand matched, or older than pipeline.deletion_memory): nothing produced.",
            )?,
            score_cache_hits: IntCounter::new(
                "brandpulse_score_cache_hits_total",
                "Mentions whose sentiment came from the cache (reposts and copies of a scored text).",
            )?,
            score_degraded: IntCounter::new(
                "brandpulse_score_degraded_total",
                "Mentions scored by the fallback (lexicon) scorer because the model was behind.",
            )?,
            score_degraded_mode: IntGauge::new(
                "brandpulse_score_degraded_mode",
                "1 while the model is behind and the fallback scorer is used.",
            )?,
            stage_latency: HistogramVec::new(
                HistogramOpts::new(
                    "brandpulse_stage_latency_seconds",
                    "Time one batch spends in a stage.",
                )
                .buckets(prometheus::exponential_buckets(0.000_05, 2.5, 14)?),
                &["stage"],
            )?,
            end_to_end_latency: Histogram::with_opts(
                HistogramOpts::new(
                    "brandpulse_pipeline_latency_seconds",
                    "Time from consuming a record to the acknowledgement of its last output.",
                )
                .buckets(prometheus::exponential_buckets(0.001, 2.0, 16)?),
            )?,
            score_batch_size: Histogram::with_opts(
                HistogramOpts::new(
                    "brandpulse_score_batch_size",
                    "Texts per batch handed to the scorer.",
                )
                .buckets(vec![
                    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
                ]),
            )?,
            in_flight: IntGauge::new(
                "brandpulse_emit_in_flight",
                "Consumed records whose outputs are not all acknowledged yet.",
            )?,
            consumer_lag: IntGaugeVec::new(
                Opts::new(
                    "brandpulse_ingest_consumer_lag",
                    "Messages between the group's position and the end of each input partition.",
                ),
                &["topic", "partition"],
            )?,
            offsets_stored: IntCounter::new(
                "brandpulse_ingest_offsets_stored_total",
                "Offsets stored for commit after their outputs were acknowledged.",
            )?,
            kafka_errors: IntCounterVec::new(
                Opts::new(
                    "brandpulse_kafka_errors_total",
                    "Errors reported by librdkafka, by client.",
                ),
                &["client"],
            )?,
            up: IntGauge::new("brandpulse_up", "1 while the pipeline is running.")?,
            rules_reloads: IntCounterVec::new(
                Opts::new(
                    "brandpulse_rules_reloads_total",
                    "Rule reloads (SIGHUP or config file change) by result: ok, or error (old rules kept).",
                ),
                &["result"],
            )?,
            rules_brands: IntGauge::new(
                "brandpulse_rules_brands",
                "Brands in the rules in force.",
            )?,
            rules_loaded_at: prometheus::Gauge::new(
                "brandpulse_rules_loaded_timestamp_seconds",
                "Unix time at which the rules in force were loaded.",
            )?,
            alert_active: IntGaugeVec::new(
                Opts::new(
                    "brandpulse_alert_active",
                    "1 while a spike alert is active for the brand (kind: volume or negative; severity: warning or critical).",
                ),
                &["brand", "kind", "severity"],
            )?,
            alert_observed: prometheus::GaugeVec::new(
                Opts::new(
                    "brandpulse_alert_observed",
                    "Last closed window: observed mentions (kind=volume) or negative mentions (kind=negative).",
                ),
                &["brand", "kind"],
            )?,
            alert_expected: prometheus::GaugeVec::new(
                Opts::new(
                    "brandpulse_alert_expected",
                    "Last closed window: expected count under the brand's seasonal baseline.",
                ),
                &["brand", "kind"],
            )?,
            alert_events: IntCounterVec::new(
                Opts::new(
                    "brandpulse_alert_events_total",
                    "Alert events written to the alerts topic, by kind and state (fired, resolved).",
                ),
                &["kind", "state"],
            )?,
            alert_late: IntCounter::new(
                "brandpulse_alert_late_total",
                "Scored mentions that reached the alert stage after their window had closed (not counted).",
            )?,
            alert_checkpoints: IntCounterVec::new(
                Opts::new(
                    "brandpulse_alert_checkpoints_total",
                    "Alert state checkpoint flushes by result (ok, error).",
                ),
                &["result"],
            )?,
            alert_restored: IntCounter::new(
                "brandpulse_alert_restored_total",
                "Brand alert states restored from the checkpoint topic after an assignment.",
            )?,
            live: live::LiveView::default(),
        };
        registry.register(Box::new(m.brand_mentions.clone()))?;
        registry.register(Box::new(m.rules_reloads.clone()))?;
        registry.register(Box::new(m.alert_active.clone()))?;
        registry.register(Box::new(m.alert_observed.clone()))?;
        registry.register(Box::new(m.alert_expected.clone()))?;
        registry.register(Box::new(m.alert_events.clone()))?;
        registry.register(Box::new(m.alert_late.clone()))?;
        registry.register(Box::new(m.alert_checkpoints.clone()))?;
        registry.register(Box::new(m.alert_restored.clone()))?;
        registry.register(Box::new(m.rules_brands.clone()))?;
        registry.register(Box::new(m.rules_loaded_at.clone()))?;
        registry.register(Box::new(m.brand_sentiment.clone()))?;
        registry.register(Box::new(m.brand_reach.clone()))?;
        registry.register(Box::new(m.consumed.clone()))?;
        registry.register(Box::new(m.produced.clone()))?;
        registry.register(Box::new(m.dead_letters.clone()))?;
        registry.register(Box::new(m.produce_errors.clone()))?;
        registry.register(Box::new(m.outputs_dropped.clone()))?;
        registry.register(Box::new(m.unmatched.clone()))?;
        registry.register(Box::new(m.notices.clone()))?;
        registry.register(Box::new(m.deletions.clone()))?;
        registry.register(Box::new(m.deletions_unknown.clone()))?;
        for kind in crate::record::NoticeKind::ALL {
            m.notices.with_label_values(&[kind.as_str()]);
        }
        registry.register(Box::new(m.score_cache_hits.clone()))?;
        registry.register(Box::new(m.score_degraded.clone()))?;
        registry.register(Box::new(m.score_degraded_mode.clone()))?;
        registry.register(Box::new(m.stage_latency.clone()))?;
        registry.register(Box::new(m.end_to_end_latency.clone()))?;
        registry.register(Box::new(m.score_batch_size.clone()))?;
        registry.register(Box::new(m.in_flight.clone()))?;
        registry.register(Box::new(m.consumer_lag.clone()))?;
        registry.register(Box::new(m.offsets_stored.clone()))?;
        registry.register(Box::new(m.kafka_errors.clone()))?;
        registry.register(Box::new(m.up.clone()))?;
        for reason in crate::record::DecodeError::REASONS {
            m.dead_letters.with_label_values(&[reason]);
        }
        for output in ["scored", "deletion", "dead_letter"] {
            m.produced.with_label_values(&[output]);
        }
        for client in ["consumer", "producer"] {
            m.kafka_errors.with_label_values(&[client]);
        }
        for result in ["ok", "error"] {
            m.rules_reloads.with_label_values(&[result]);
            m.alert_checkpoints.with_label_values(&[result]);
        }
        for kind in ["volume", "negative"] {
            for state in ["fired", "resolved"] {
                m.alert_events.with_label_values(&[kind, state]);
            }
        }
        Ok(m)
    }

    /// Pre-creates the per-brand series so dashboards show zeros rather than gaps.
    pub fn register_brands<'a>(&self, brands: impl Iterator<Item = &'a str>) {
        for brand in brands {
            self.brand_reach.with_label_values(&[brand]);
            self.brand_sentiment.with_label_values(&[brand]);
        }
    }

    /// A fresh registry with all metrics, for tests and offline modes.
    pub fn for_tests() -> (Registry, Self) {
        let registry = Registry::new();
        match Self::new(&registry) {
            Ok(m) => (registry, m),
            // Registering on a fresh registry cannot collide.
            Err(e) => unreachable!("fresh registry: {e}"),
        }
    }
}

/// Renders `registry` in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    let encoder = prometheus::TextEncoder::new();
    if let Err(e) = encoder.encode(&registry.gather(), &mut buf) {
        tracing::error!(error = %e, "encoding metrics");
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_bounded() {
        assert_eq!(source_bucket("Twitter"), "twitter");
        assert_eq!(source_bucket("myspace"), "other");
    }

    #[test]
    fn metrics_render() {
        let (registry, m) = Metrics::for_tests();
        m.dead_letters.with_label_values(&["invalid_json"]).inc();
        let text = render(&registry);
        assert!(text.contains("brandpulse_dead_letters_total{reason=\"invalid_json\"} 1"));
        assert!(text.contains("brandpulse_dead_letters_total{reason=\"text_too_long\"} 0"));
    }
}
