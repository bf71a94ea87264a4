//! Telemetry: every metric brandpulse exports, created and registered in one call
//! ([`metric::Registrar`]) on a [`Registry`] owned by the service (no global registry), the
//! HTTP endpoints that serve them (OpenMetrics, with exemplars, for scrapers that ask for it;
//! the classic Prometheus text format otherwise), and the events that log and count in one
//! call ([`events`]).
//!
//! Naming: `brandpulse_<stage>_<name>_<unit>[_total]`, except the per-brand series, which
//! dashboards use most, under `brandpulse_brand_*`. Labels come from bounded sets only:
//! brand ids (from config), sentiment labels, a fixed list of sources, language buckets,
//! dead-letter reasons, stage names, Kafka topic/partition of our own inputs.

pub mod events;
pub mod http;
pub mod live;
pub mod metric;
pub mod process;
pub mod stats;
pub mod throttle;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
pub use prometheus_client::registry::Registry;

use metric::{
    exponential, CounterVec, FloatCounterVec, FloatGauge, FloatGaugeVec, GaugeVec, HistogramVec,
    Latency, LatencyVec, Registrar,
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
pub const STAGES: [&str; 5] = ["decode", "match", "screen", "score", "emit"];

/// All of brandpulse's metrics.
#[derive(Clone)]
pub struct Metrics {
    /// Mentions per brand, sentiment label, source and language bucket.
    pub brand_mentions: CounterVec,
    /// Distribution of sentiment scores per brand.
    pub brand_sentiment: HistogramVec,
    /// Sum of author followers of matched mentions, per brand.
    pub brand_reach: CounterVec,
    /// Mentions left out of a brand's numbers, by reason (`campaign`, `spam`, `repeat`).
    pub brand_excluded: CounterVec,
    /// Mentions that need a response, copied to the inbox topic and acknowledged, per brand.
    pub brand_inbox: CounterVec,
    /// Seconds from a mention's post to the brand's first reply, per brand.
    pub brand_first_response: HistogramVec,
    /// Inbox items not answered yet, per brand.
    pub brand_inbox_open: GaugeVec,
    /// Age of the oldest open complaint, per brand (0 when none).
    pub brand_inbox_oldest_complaint: FloatGaugeVec,
    /// Brand replies seen, by result (`answered`, `already_answered`, `early`, `unknown`).
    pub inbox_replies: CounterVec,
    /// Inbox items dropped unanswered (older than `inbox.max_age`, or beyond
    /// `inbox.max_open`), per brand.
    pub inbox_expired: CounterVec,
    /// Sum of reach weights of counted mentions, per brand.
    pub brand_reach_weight: FloatCounterVec,
    /// Sum of reach weight x (score + 1) / 2 of counted mentions, per brand.
    pub brand_reach_positivity: FloatCounterVec,
    /// Copy-paste campaigns recognised, per brand.
    pub screen_campaigns: CounterVec,
    /// Mentions flagged as spam, by reason.
    pub screen_spam: CounterVec,
    /// Author fields treated as unknown because their value cannot be true, by field.
    pub screen_author_fields_invalid: CounterVec,
    /// Records consumed per input topic.
    pub consumed: CounterVec,
    /// Records produced and acknowledged per output (`scored`, `deletion`, `dead_letter`, `inbox`).
    pub produced: CounterVec,
    /// Dead letters per reason.
    pub dead_letters: CounterVec,
    /// Failed produce attempts by kind (`transient`: retried; `message_too_large`,
    /// `invalid_record`: dead-lettered).
    pub produce_errors: CounterVec,
    /// Outputs given up after every cut of their dead letter was refused.
    pub outputs_dropped: Counter,
    /// Mentions that matched no brand.
    pub unmatched: Counter,
    /// Stream notices (Twitter `delete`, `limit`, ...) by kind.
    pub notices: CounterVec,
    /// Deletion records produced to the scored topic (one per brand of the deleted post).
    pub deletions: Counter,
    /// Deletion notices for posts the emitter had not produced recently (matched no brand,
    /// or older than `pipeline.deletion_memory`): no record produced.
    pub deletions_unknown: Counter,
    /// Sentiment cache hits (reposts scored once).
    pub score_cache_hits: Counter,
    /// Mentions scored by the fallback scorer in degraded mode.
    pub score_degraded: Counter,
    /// 1 while the scorer is in degraded mode.
    pub score_degraded_mode: Gauge,
    /// Time a batch spends in each stage; the exemplar is a mention of the batch.
    pub stage_latency: LatencyVec,
    /// Time from consuming a record to the acknowledgement of its last output; the exemplar
    /// is the mention's id.
    pub end_to_end_latency: Latency,
    /// Size of batches reaching the scorer.
    pub score_batch_size: Histogram,
    /// Records awaiting acknowledgement.
    pub in_flight: Gauge,
    /// Consumer lag per input partition, from librdkafka statistics.
    pub consumer_lag: GaugeVec,
    /// Offsets stored (committed later by librdkafka).
    pub offsets_stored: Counter,
    /// Kafka client errors reported by librdkafka, per client (`consumer`, `producer`).
    pub kafka_errors: CounterVec,
    /// 1 when the service is consuming with partitions assigned or waiting for them.
    pub up: Gauge,
    /// Rule reloads by result (`ok`, `error`).
    pub rules_reloads: CounterVec,
    /// Brands in the rules in force.
    pub rules_brands: Gauge,
    /// Unix time at which the rules in force were loaded.
    pub rules_loaded_at: FloatGauge,
    /// 1 while a spike alert is active, per brand, kind and severity.
    pub alert_active: GaugeVec,
    /// Observed count of the last closed window per brand and kind.
    pub alert_observed: FloatGaugeVec,
    /// Expected count of the last closed window per brand and kind.
    pub alert_expected: FloatGaugeVec,
    /// Alert events by kind and state (`fired`, `resolved`).
    pub alert_events: CounterVec,
    /// Scored mentions that arrived after their window had closed.
    pub alert_late: Counter,
    /// Records on the scored topic that are not scored mentions.
    pub alert_unreadable: Counter,
    /// Checkpoint flushes by result.
    pub alert_checkpoints: CounterVec,
    /// Brand states restored from the checkpoint topic.
    pub alert_restored: Counter,
    /// Recent per-brand volume, sentiment, mentions and alerts for the live page (not a
    /// Prometheus metric).
    pub live: live::LiveView,
}

fn sentiment_buckets() -> Histogram {
    Histogram::new([-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75, 1.0])
}

fn first_response_buckets() -> Histogram {
    Histogram::new([
        60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
    ])
}

fn stage_buckets() -> Latency {
    Latency::new(exponential(0.000_05, 2.5, 14))
}

fn pipeline_buckets() -> Latency {
    Latency::new(exponential(0.001, 2.0, 16))
}

fn batch_buckets() -> Histogram {
    Histogram::new(exponential(1.0, 2.0, 11))
}

impl Metrics {
    /// Creates every metric, registers it on `registry`, and registers the process metrics
    /// and `brandpulse_build_info`. Names are unique by construction (a test checks it).
    pub fn new(registry: &mut Registry) -> Self {
        let mut r = Registrar::new(registry);
        r.info(
            "brandpulse_build",
            "The running build: version, git commit (unknown when built outside a checkout) and compiled-in features.",
            vec![
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                (
                    "commit",
                    option_env!("BRANDPULSE_GIT_COMMIT").unwrap_or("unknown").to_string(),
                ),
                ("features", build_features().to_string()),
            ],
        );
        r.collector(Box::new(process::ProcessCollector));
        let m = Self {
            brand_mentions: r.counter_vec(
                "brandpulse_brand_mentions",
                "Matched mentions per brand, by sentiment label, source and language.",
                &["brand", "sentiment", "source", "lang"],
            ),
            brand_sentiment: r.histogram_vec(
                "brandpulse_brand_sentiment_score",
                "Sentiment score (-1 negative .. 1 positive) of matched mentions per brand.",
                &["brand"],
                sentiment_buckets,
            ),
            brand_reach: r.counter_vec(
                "brandpulse_brand_reach",
                "Sum of author followers over matched mentions per brand (potential reach).",
                &["brand"],
            ),
            brand_excluded: r.counter_vec(
                "brandpulse_brand_mentions_excluded",
                "Matched mentions left out of the brand's metrics and alerts, by reason (campaign: a copy after the campaign was recognised; spam; repeat: the same author's same text again). They stay on the scored topic.",
                &["brand", "reason"],
            ),
            brand_inbox: r.counter_vec(
                "brandpulse_brand_inbox",
                "Scored mentions that need a response (complaints and questions, not excluded), copied to the inbox topic and acknowledged by Kafka.",
                &["brand"],
            ),
            brand_first_response: r.histogram_vec(
                "brandpulse_brand_first_response_seconds",
                "Seconds from an inbox mention's post to the first reply by one of the brand's own_handles.",
                &["brand"],
                first_response_buckets,
            ),
            brand_inbox_open: r.gauge_vec(
                "brandpulse_brand_inbox_open",
                "Inbox items (mentions that need a response) not answered yet, per brand; on this instance.",
                &["brand"],
            ),
            brand_inbox_oldest_complaint: r.float_gauge_vec(
                "brandpulse_brand_inbox_oldest_complaint_seconds",
                "Age in seconds of the oldest unanswered complaint in the inbox, per brand (0 when none); on this instance.",
                &["brand"],
            ),
            inbox_replies: r.counter_vec(
                "brandpulse_inbox_replies",
                "Posts by a brand's own_handles that reply to a mention, by result: answered (an open inbox item), already_answered, early (the mention not seen yet; kept inbox.early_reply_wait), unknown (no inbox item came for it).",
                &["result"],
            ),
            inbox_expired: r.counter_vec(
                "brandpulse_inbox_expired",
                "Inbox items dropped unanswered, older than inbox.max_age or beyond inbox.max_open, per brand.",
                &["brand"],
            ),
            brand_reach_weight: r.float_counter_vec(
                "brandpulse_brand_reach_weight",
                "Sum of the reach weights (1 + log10(1 + followers)) of counted mentions per brand: the denominator of reach-weighted sentiment.",
                &["brand"],
            ),
            brand_reach_positivity: r.float_counter_vec(
                "brandpulse_brand_reach_positivity",
                "Sum of reach weight x (score + 1) / 2 of counted mentions per brand; reach-weighted sentiment = 2 x rate(this) / rate(brandpulse_brand_reach_weight_total) - 1.",
                &["brand"],
            ),
            screen_campaigns: r.counter_vec(
                "brandpulse_screen_campaigns",
                "Copy-paste campaigns recognised (near-duplicate texts from screen.campaign.min_authors distinct authors), per brand.",
                &["brand"],
            ),
            screen_spam: r.counter_vec(
                "brandpulse_screen_spam",
                "Matched mentions flagged as spam, by reason (link_spam, promotion, hashtag_stuffing, repeated_promotion).",
                &["reason"],
            ),
            screen_author_fields_invalid: r.counter_vec(
                "brandpulse_screen_author_fields_invalid",
                "Author fields treated as unknown because their value cannot be true (negative counts, creation after the post) or could not be read, by field.",
                &["field"],
            ),
            consumed: r.counter_vec(
                "brandpulse_ingest_consumed",
                "Records consumed per input topic.",
                &["topic"],
            ),
            produced: r.counter_vec(
                "brandpulse_emit_produced",
                "Records produced and acknowledged, by output (scored, deletion, dead_letter).",
                &["output"],
            ),
            dead_letters: r.counter_vec(
                "brandpulse_dead_letters",
                "Records sent to the dead-letter topic, by reason.",
                &["reason"],
            ),
            produce_errors: r.counter_vec(
                "brandpulse_emit_produce_errors",
                "Produce attempts that failed, by kind (transient: retried; message_too_large, invalid_record: dead-lettered).",
                &["kind"],
            ),
            outputs_dropped: r.counter(
                "brandpulse_emit_outputs_dropped",
                "Outputs given up after the dead-letter topic refused even their headers-only dead letter.",
            ),
            unmatched: r.counter(
                "brandpulse_matcher_unmatched",
                "Decoded mentions that matched no brand.",
            ),
            notices: r.counter_vec(
                "brandpulse_ingest_notices",
                "Stream notices that are not mentions (Twitter delete, scrub_geo, limit, status_withheld, user_withheld, disconnect, warning), by kind.",
                &["kind"],
            ),
            deletions: r.counter(
                "brandpulse_emit_deletions",
                "Deletion records produced to the scored topic (one per brand of a deleted post).",
            ),
            deletions_unknown: r.counter(
                "brandpulse_emit_deletions_unknown",
                "Deletion notices for posts not produced recently (no brand matched, or older than pipeline.deletion_memory): nothing produced.",
            ),
            score_cache_hits: r.counter(
                "brandpulse_score_cache_hits",
                "Mentions whose sentiment came from the cache (reposts and copies of a scored text).",
            ),
            score_degraded: r.counter(
                "brandpulse_score_degraded",
                "Mentions scored by the fallback (lexicon) scorer because the model was behind.",
            ),
            score_degraded_mode: r.gauge(
                "brandpulse_score_degraded_mode",
                "1 while the model is behind and the fallback scorer is used.",
            ),
            stage_latency: r.latency_vec(
                "brandpulse_stage_latency_seconds",
                "Time one batch spends in a stage (exemplar: a mention of the batch).",
                &["stage"],
                stage_buckets,
            ),
            end_to_end_latency: r.latency(
                "brandpulse_pipeline_latency_seconds",
                "Time from consuming a record to the acknowledgement of its last output (exemplar: the mention).",
                pipeline_buckets,
            ),
            score_batch_size: r.histogram(
                "brandpulse_score_batch_size",
                "Texts per batch handed to the scorer.",
                batch_buckets,
            ),
            in_flight: r.gauge(
                "brandpulse_emit_in_flight",
                "Consumed records whose outputs are not all acknowledged yet.",
            ),
            consumer_lag: r.gauge_vec(
                "brandpulse_ingest_consumer_lag",
                "Messages between the group's position and the end of each input partition.",
                &["topic", "partition"],
            ),
            offsets_stored: r.counter(
                "brandpulse_ingest_offsets_stored",
                "Offsets stored for commit after their outputs were acknowledged.",
            ),
            kafka_errors: r.counter_vec(
                "brandpulse_kafka_errors",
                "Errors reported by librdkafka, by client.",
                &["client"],
            ),
            up: r.gauge("brandpulse_up", "1 while the pipeline is running."),
            rules_reloads: r.counter_vec(
                "brandpulse_rules_reloads",
                "Rule reloads (SIGHUP or config file change) by result: ok, or error (old rules kept).",
                &["result"],
            ),
            rules_brands: r.gauge("brandpulse_rules_brands", "Brands in the rules in force."),
            rules_loaded_at: r.float_gauge(
                "brandpulse_rules_loaded_timestamp_seconds",
                "Unix time at which the rules in force were loaded.",
            ),
            alert_active: r.gauge_vec(
                "brandpulse_alert_active",
                "1 while a spike alert is active for the brand (kind: volume or negative; severity: warning or critical).",
                &["brand", "kind", "severity"],
            ),
            alert_observed: r.float_gauge_vec(
                "brandpulse_alert_observed",
                "Last closed window: observed mentions (kind=volume) or negative mentions (kind=negative).",
                &["brand", "kind"],
            ),
            alert_expected: r.float_gauge_vec(
                "brandpulse_alert_expected",
                "Last closed window: expected count under the brand's seasonal baseline.",
                &["brand", "kind"],
            ),
            alert_events: r.counter_vec(
                "brandpulse_alert_events",
                "Alert events written to the alerts topic, by kind (volume, negative, emerging_term, campaign) and state (fired, resolved).",
                &["kind", "state"],
            ),
            alert_late: r.counter(
                "brandpulse_alert_late",
                "Scored mentions that reached the alert stage after their window had closed (not counted).",
            ),
            alert_unreadable: r.counter(
                "brandpulse_alert_unreadable",
                "Records on the scored topic the alert stage could not read as a scored mention (skipped).",
            ),
            alert_checkpoints: r.counter_vec(
                "brandpulse_alert_checkpoints",
                "Alert state checkpoint flushes by result (ok, error).",
                &["result"],
            ),
            alert_restored: r.counter(
                "brandpulse_alert_restored",
                "Brand alert states restored from the checkpoint topic after an assignment.",
            ),
            live: live::LiveView::default(),
        };
        // Series of bounded label sets start at zero, so dashboards show zeros, not gaps.
        for kind in crate::record::NoticeKind::ALL {
            m.notices.with_label_values(&[kind.as_str()]);
        }
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
        m.alert_events
            .with_label_values(&["emerging_term", "fired"]);
        m.alert_events.with_label_values(&["campaign", "fired"]);
        for result in crate::inbox::REPLY_RESULTS {
            m.inbox_replies.with_label_values(&[result]);
        }
        m
    }

    /// Pre-creates the per-brand series so dashboards show zeros rather than gaps.
    pub fn register_brands<'a>(&self, brands: impl Iterator<Item = &'a str>) {
        for brand in brands {
            self.brand_reach.with_label_values(&[brand]);
            self.brand_sentiment.with_label_values(&[brand]);
            self.brand_reach_weight.with_label_values(&[brand]);
            self.brand_reach_positivity.with_label_values(&[brand]);
            self.screen_campaigns.with_label_values(&[brand]);
            self.brand_inbox.with_label_values(&[brand]);
            self.brand_first_response.with_label_values(&[brand]);
            self.brand_inbox_open.with_label_values(&[brand]);
            self.brand_inbox_oldest_complaint
                .with_label_values(&[brand]);
            self.inbox_expired.with_label_values(&[brand]);
            // Every exclusion reason from 0, so that rate() sees the first exclusion.
            for reason in crate::mention::Exclusion::ALL {
                self.brand_excluded
                    .with_label_values(&[brand, reason.as_str()]);
            }
        }
    }

    /// A fresh registry with all metrics, for tests and offline modes.
    pub fn for_tests() -> (Registry, Self) {
        let mut registry = Registry::default();
        let metrics = Self::new(&mut registry);
        (registry, metrics)
    }
}

/// The compiled-in cargo features, for `brandpulse_build_info`.
fn build_features() -> &'static str {
    if cfg!(feature = "rust-bert") {
        "rust-bert"
    } else {
        "default"
    }
}

/// Which exposition format a scraper gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text (exemplars, `# EOF`): for scrapers whose `Accept` asks for it,
    /// as Prometheus does.
    OpenMetrics,
    /// The classic Prometheus text format 0.0.4 (no exemplars): everything else, e.g. curl.
    Prometheus,
}

impl Format {
    /// The format `accept` (an HTTP `Accept` header) asks for.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Self::OpenMetrics,
            _ => Self::Prometheus,
        }
    }

    /// The `Content-Type` of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Renders `registry` in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    render_as(registry, Format::Prometheus)
}

/// Renders `registry` in `format`.
pub fn render_as(registry: &Registry, format: Format) -> String {
    let mut out = String::new();
    let result = match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, registry),
        Format::Prometheus => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, registry)
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "encoding metrics");
    }
    out
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
    fn openmetrics_carries_exemplars_build_info_and_process_metrics() {
        let (registry, m) = Metrics::for_tests();
        metric::observe(
            &m.stage_latency.with_label_values(&["emit"]),
            0.01,
            Some("1234567890"),
        );
        metric::observe(&m.end_to_end_latency, 0.2, Some(&"x".repeat(500)));
        let text = render_as(&registry, Format::OpenMetrics);
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(
            text.contains(
                "brandpulse_stage_latency_seconds_bucket{le=\"0.01220703125\",stage=\"emit\"} 1 # {mention_id=\"1234567890\"} 0.01"
            ),
            "{text}"
        );
        // Ids are cut to fit OpenMetrics' 128-character exemplar limit.
        let long = text
            .lines()
            .find(|l| {
                l.starts_with("brandpulse_pipeline_latency_seconds_bucket") && l.contains('#')
            })
            .expect("an exemplar on the pipeline latency");
        assert!(
            long.contains(&format!("{{mention_id=\"{}\"}}", "x".repeat(100))),
            "{long}"
        );
        assert!(text.contains("brandpulse_build_info{version=\""), "{text}");
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
        // The classic format has no exemplars and no `# EOF`.
        let classic = render(&registry);
        assert!(!classic.contains("# EOF") && !classic.contains("mention_id"));
        assert_eq!(
            Format::negotiate(Some(
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
            )),
            Format::OpenMetrics
        );
        assert_eq!(Format::negotiate(Some("*/*")), Format::Prometheus);
        assert_eq!(Format::negotiate(None), Format::Prometheus);
    }

    /// Every exported metric family is in the README's metrics table, and every name there
    /// is exported.
    #[test]
    fn every_metric_is_documented() {
        let (registry, m) = Metrics::for_tests();
        // Labelled families appear once they have a series.
        m.register_brands(["acme"].into_iter());
        m.brand_mentions
            .with_label_values(&["acme", "positive", "twitter", "en"]);
        m.consumed.with_label_values(&["mentions"]);
        m.consumer_lag.with_label_values(&["mentions", "0"]);
        m.produce_errors.with_label_values(&["transient"]);
        for stage in STAGES {
            m.stage_latency.with_label_values(&[stage]);
        }
        m.alert_active
            .with_label_values(&["acme", "volume", "warning"]);
        m.alert_observed.with_label_values(&["acme", "volume"]);
        m.alert_expected.with_label_values(&["acme", "volume"]);
        m.brand_excluded.with_label_values(&["acme", "spam"]);
        m.screen_spam.with_label_values(&["link_spam"]);
        m.screen_author_fields_invalid
            .with_label_values(&["followers"]);
        let exported: std::collections::BTreeSet<String> = render(&registry)
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect();
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let documented: std::collections::BTreeSet<String> = readme
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split('`').nth(1))
            .filter(|n| n.starts_with("brandpulse_") || n.starts_with("process_"))
            .map(str::to_string)
            .collect();
        let missing: Vec<_> = exported.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&exported).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "not in README's metrics table: {missing:?}; in the table but not exported: {stale:?}"
        );
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
