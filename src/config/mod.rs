//! Typed configuration, loaded from TOML and validated before anything connects.
//!
//! Every field is documented here and in the README's configuration reference. A bad file
//! fails at start-up with a [`ConfigError`] that names the field and says why; `main` exits
//! with code 64 (EX_USAGE) on it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::record::InputFormat;

pub mod memory;

/// Errors of loading or validating a config.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading config {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    #[error("parsing config {path}: {message}")]
    Parse {
        /// The path.
        path: String,
        /// The parser's message, which names the line and field.
        message: String,
    },
    /// A field has a value that is not allowed.
    #[error("config field `{field}`: {reason}")]
    Invalid {
        /// Dotted path of the field, e.g. `brands[2].id`.
        field: String,
        /// Why it is rejected and what to do.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Largest config file read (16 MiB).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Kafka connection and consumer group.
    #[serde(default)]
    pub kafka: KafkaConfig,
    /// Input topics, each with its format. At least one for `run`.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// Output topics.
    #[serde(default)]
    pub output: OutputConfig,
    /// Tuning of the stages.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// Scoring options.
    #[serde(default)]
    pub scoring: ScoringConfig,
    /// Metrics and health endpoints.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// Matching options.
    #[serde(default)]
    pub matching: MatchingConfig,
    /// Spike alerts (volume and negative share per brand).
    #[serde(default)]
    pub alert: AlertConfig,
    /// The brands to listen for.
    #[serde(default)]
    pub brands: Vec<BrandConfig>,
}

/// Kafka settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port]`.
    #[serde(default = "default_brokers")]
    pub brokers: String,
    /// Consumer group id. Instances with the same group split the input partitions.
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Static group membership (`group.instance.id`): a stable, unique name per instance, such
    /// as a StatefulSet pod name. An instance that restarts with the same id takes its old
    /// place (and partitions) at once instead of waiting for the broker to expire the dead
    /// member. Leave unset for dynamic membership.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Consumer session timeout: a member silent this long is removed from the group.
    #[serde(default = "default_session_timeout", with = "humantime_serde")]
    pub session_timeout: Duration,
    /// How often librdkafka emits statistics (consumer lag metrics are refreshed at this rate).
    #[serde(default = "default_stats_interval", with = "humantime_serde")]
    pub statistics_interval: Duration,
    /// Raw librdkafka properties applied to both consumer and producer (SASL, TLS, ...).
    /// See librdkafka's CONFIGURATION.md. They override brandpulse's defaults.
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
    /// Raw librdkafka properties for the consumer only.
    #[serde(default)]
    pub consumer: BTreeMap<String, String>,
    /// Raw librdkafka properties for the producer only.
    #[serde(default)]
    pub producer: BTreeMap<String, String>,
    /// Accept producer settings that break at-least-once delivery (`acks` other than `all`,
    /// `enable.idempotence = false`, no retries). Off: such settings fail at start-up.
    #[serde(default)]
    pub allow_unsafe_delivery: bool,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: default_brokers(),
            group_id: default_group(),
            instance_id: None,
            session_timeout: default_session_timeout(),
            statistics_interval: default_stats_interval(),
            librdkafka: BTreeMap::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
            allow_unsafe_delivery: false,
        }
    }
}

fn default_brokers() -> String {
    "127.0.0.1:9092".into()
}
fn default_group() -> String {
    "brandpulse".into()
}
fn default_session_timeout() -> Duration {
    Duration::from_secs(45)
}
fn default_stats_interval() -> Duration {
    Duration::from_secs(5)
}

/// One input topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Topic name.
    pub topic: String,
    /// Record format: `canonical` or `twitter-v1`.
    #[serde(default)]
    pub format: InputFormat,
}

/// Output topics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Topic for scored mentions, keyed by brand id.
    #[serde(default = "default_scored_topic")]
    pub topic: String,
    /// Topic for records that could not be decoded, with the reason in headers.
    #[serde(default = "default_dlq_topic")]
    pub dead_letter_topic: String,
    /// Largest record the producers send (librdkafka's `message.max.bytes`). A dead letter
    /// over it is cut to fit; keep it at most the broker's (or topic's) `max.message.bytes`.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            topic: default_scored_topic(),
            dead_letter_topic: default_dlq_topic(),
            max_message_bytes: default_max_message_bytes(),
        }
    }
}

fn default_max_message_bytes() -> usize {
    1_000_000
}

fn default_scored_topic() -> String {
    "brandpulse.scored".into()
}
fn default_dlq_topic() -> String {
    "brandpulse.dead-letters".into()
}

/// Stage tuning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Largest accepted mention text in bytes; longer ones go to the dead-letter topic.
    #[serde(default = "default_max_text")]
    pub max_text_bytes: usize,
    /// Largest accepted value of any other string field (id, source, url, handles, hashtags,
    /// language, references), in bytes; a record with a longer one is a dead letter.
    #[serde(default = "default_max_field")]
    pub max_field_bytes: usize,
    /// Most entries in a list field (hashtags, user mentions); more is a dead letter.
    #[serde(default = "default_max_list_items")]
    pub max_list_items: usize,
    /// Most records per batch between stages.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Longest wait to fill a batch.
    #[serde(default = "default_batch_wait", with = "humantime_serde")]
    pub batch_wait: Duration,
    /// Capacity, in batches, of each channel between stages (backpressure beyond it).
    #[serde(default = "default_channel_capacity")]
    pub channel_capacity: usize,
    /// Most produced records awaiting acknowledgement at once.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Most bytes (keys and payloads) of produced records awaiting acknowledgement.
    #[serde(default = "default_max_in_flight_bytes")]
    pub max_in_flight_bytes: usize,
    /// Posts whose brands the emitter remembers, so that a deletion notice becomes one
    /// deletion record per brand (0: deletions produce nothing).
    #[serde(default = "default_deletion_memory")]
    pub deletion_memory: usize,
    /// A batch between stages is sent once its records reach this many bytes (or
    /// `batch_size` records, whichever comes first).
    #[serde(default = "default_batch_bytes")]
    pub batch_bytes: usize,
    /// librdkafka's prefetch queue of the consumer, in bytes (`queued.max.messages.kbytes`).
    #[serde(default = "default_consumer_prefetch")]
    pub consumer_prefetch_bytes: usize,
    /// Memory the worst case of these settings must fit, in MiB (see docs/operations.md and
    /// `brandpulse check`): keep it at or below the container's memory limit.
    #[serde(default = "default_memory_limit_mib")]
    pub memory_limit_mib: usize,
    /// On SIGINT/SIGTERM, how long to wait for in-flight records before exiting anyway.
    #[serde(default = "default_drain_timeout", with = "humantime_serde")]
    pub drain_timeout: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            max_text_bytes: default_max_text(),
            max_field_bytes: default_max_field(),
            max_list_items: default_max_list_items(),
            batch_size: default_batch_size(),
            batch_wait: default_batch_wait(),
            channel_capacity: default_channel_capacity(),
            max_in_flight: default_max_in_flight(),
            max_in_flight_bytes: default_max_in_flight_bytes(),
            deletion_memory: default_deletion_memory(),
            batch_bytes: default_batch_bytes(),
            consumer_prefetch_bytes: default_consumer_prefetch(),
            memory_limit_mib: default_memory_limit_mib(),
            drain_timeout: default_drain_timeout(),
        }
    }
}

fn default_max_text() -> usize {
    64 * 1024
}
fn default_max_field() -> usize {
    2048
}
fn default_max_list_items() -> usize {
    100
}
fn default_batch_size() -> usize {
    256
}
fn default_batch_wait() -> Duration {
    Duration::from_millis(20)
}
fn default_channel_capacity() -> usize {
    8
}
fn default_max_in_flight() -> usize {
    20_000
}
fn default_max_in_flight_bytes() -> usize {
    64 << 20
}
fn default_deletion_memory() -> usize {
    50_000
}
fn default_batch_bytes() -> usize {
    1 << 20
}
fn default_consumer_prefetch() -> usize {
    16 << 20
}
fn default_memory_limit_mib() -> usize {
    1024
}
fn default_drain_timeout() -> Duration {
    Duration::from_secs(15)
}

/// Which scorer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScorerKind {
    /// The local transformer (multilingual-e5-small + sentiment head).
    #[default]
    Transformer,
    /// The multilingual lexicon scorer (fast baseline, overload fallback).
    Lexicon,
}

/// Which engine runs the transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// ONNX Runtime.
    #[default]
    Onnx,
    /// rust-bert over libtorch (needs the `rust-bert` cargo feature).
    RustBert,
}

/// Scoring options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// The scorer.
    #[serde(default)]
    pub scorer: ScorerKind,
    /// The transformer's engine.
    #[serde(default)]
    pub backend: Backend,
    /// ONNX weights: `int8` (default) or `fp32`.
    #[serde(default)]
    pub precision: Precision,
    /// Directory of the model files (default: `$BRANDPULSE_MODEL_DIR`, else
    /// `~/.cache/brandpulse/model`, where `scripts/setup-model.sh` builds them).
    #[serde(default)]
    pub model_dir: Option<std::path::PathBuf>,
    /// A sentiment head file to use instead of the one built in (`models/head.json`).
    #[serde(default)]
    pub head: Option<std::path::PathBuf>,
    /// Tokens per model row: a text up to this long is one row; a longer one is read in
    /// windows of this size.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Most windows of `max_tokens` a long text is read in (1: truncation); their
    /// probabilities are averaged, weighted by their text tokens.
    #[serde(default = "default_max_windows")]
    pub max_windows: usize,
    /// Tokens shared by consecutive windows.
    #[serde(default = "default_window_overlap")]
    pub window_overlap: usize,
    /// Most texts per model call (texts are sorted by length and padded per call).
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Most padded tokens per model call: bounds the encoder's activation memory whatever
    /// `max_batch` and `max_tokens` are (about 0.2 MB per token, see docs/operations.md).
    #[serde(default = "default_max_batch_tokens")]
    pub max_batch_tokens: usize,
    /// Inference threads of the model.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// When more than this many batches wait for the model, they are scored by the lexicon
    /// scorer instead (degraded mode, counted and marked on each record). 0 disables it.
    #[serde(default = "default_fallback_backlog")]
    pub fallback_backlog: usize,
    /// Entries in the sentiment cache (keyed by normalised text, so copies and reposts are
    /// scored once).
    #[serde(default = "default_cache")]
    pub cache_entries: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            scorer: ScorerKind::default(),
            backend: Backend::default(),
            precision: Default::default(),
            model_dir: None,
            head: None,
            max_tokens: default_max_tokens(),
            max_windows: default_max_windows(),
            window_overlap: default_window_overlap(),
            max_batch: default_max_batch(),
            max_batch_tokens: default_max_batch_tokens(),
            threads: default_threads(),
            fallback_backlog: default_fallback_backlog(),
            cache_entries: default_cache(),
        }
    }
}

fn default_max_tokens() -> usize {
    128
}
fn default_max_windows() -> usize {
    4
}
fn default_window_overlap() -> usize {
    32
}
fn default_max_batch() -> usize {
    32
}
fn default_max_batch_tokens() -> usize {
    2048
}
fn default_threads() -> usize {
    1
}
fn default_fallback_backlog() -> usize {
    4
}

fn default_cache() -> usize {
    100_000
}

/// Metrics and health endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Address of `/metrics`, `/healthz` and `/readyz`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9898))
}

/// Matching options shared by all brands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingConfig {
    /// Whether a one-word keyword (or query term, or wildcard) also matches the same word as
    /// a hashtag (`acme` matches `#acme`, never `#acmefail`).
    #[serde(default = "default_true")]
    pub keywords_match_hashtags: bool,
    /// Most operands (terms, phrases, wildcards, hashtags, handles, fields) in one query.
    #[serde(default = "default_max_operands")]
    pub max_operands: usize,
    /// Largest `n` in `NEAR/n` and `ONEAR/n`.
    #[serde(default = "default_max_near_distance")]
    pub max_near_distance: u32,
    /// Most wildcards (`refund*`) in one query.
    #[serde(default = "default_max_wildcards")]
    pub max_wildcards: usize,
    /// Most `/pattern/` terms (regular expressions) in one query.
    #[serde(default = "default_max_patterns")]
    pub max_patterns: usize,
    /// Largest compiled size of one `/pattern/`, in bytes; its lazy DFA's cache is bounded
    /// the same. Counted in the memory budget for every pattern of every brand.
    #[serde(default = "default_regex_size_limit")]
    pub regex_size_limit: usize,
    /// Poll the config file every this often and reload the rules when it changed
    /// (`0s` turns polling off; SIGHUP always reloads).
    #[serde(default = "default_reload_poll", with = "humantime_serde")]
    pub reload_poll: Duration,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            keywords_match_hashtags: true,
            max_operands: default_max_operands(),
            max_near_distance: default_max_near_distance(),
            max_wildcards: default_max_wildcards(),
            max_patterns: default_max_patterns(),
            regex_size_limit: default_regex_size_limit(),
            reload_poll: default_reload_poll(),
        }
    }
}

/// Which weights to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// int8 dynamic quantization (default): 1.3-1.7x the fp32 speed here, same label as fp32
    /// on 99% of texts (see models/README.md).
    #[default]
    Int8,
    /// The dequantized fp32 weights.
    Fp32,
}

impl Precision {
    /// `int8` or `fp32`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Int8 => "int8",
            Precision::Fp32 => "fp32",
        }
    }
}

impl MatchingConfig {
    /// Query evaluation options.
    pub fn query_options(&self) -> crate::rules::query::Options {
        crate::rules::query::Options {
            terms_match_hashtags: self.keywords_match_hashtags,
        }
    }

    /// Query limits.
    pub fn limits(&self) -> crate::rules::query::Limits {
        crate::rules::query::Limits {
            max_operands: self.max_operands,
            max_near_distance: self.max_near_distance,
            max_wildcards: self.max_wildcards,
            max_patterns: self.max_patterns,
            pattern_size_limit: self.regex_size_limit,
            ..crate::rules::query::Limits::default()
        }
    }
}

fn default_max_operands() -> usize {
    crate::rules::query::Limits::default().max_operands
}

fn default_max_near_distance() -> u32 {
    crate::rules::query::Limits::default().max_near_distance
}

fn default_max_wildcards() -> usize {
    crate::rules::query::Limits::default().max_wildcards
}

fn default_max_patterns() -> usize {
    crate::rules::query::Limits::default().max_patterns
}

fn default_regex_size_limit() -> usize {
    crate::rules::query::Limits::default().pattern_size_limit
}

fn default_reload_poll() -> Duration {
    Duration::from_secs(5)
}

/// Spike alerts: see `docs/alerts.md` for the model and how to tune it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Run the alert stage (it reads `output.topic` with its own consumer group).
    #[serde(default)]
    pub enabled: bool,
    /// Window length; windows are aligned to the Unix epoch and assigned by `created_at`.
    #[serde(default = "default_alert_window", with = "humantime_serde")]
    pub window: Duration,
    /// A window closes when the stream's event time is this far past its end.
    #[serde(default = "default_alert_lateness", with = "humantime_serde")]
    pub lateness: Duration,
    /// Windows a brand is watched before it may alert (default 360 = 6 h of 1-minute windows).
    #[serde(default = "default_warmup")]
    pub warmup_windows: u64,
    /// Smallest window count that can be a spike (and half of it in negative mentions).
    #[serde(default = "default_min_count")]
    pub min_count: u64,
    /// Observed must also be at least this multiple of the expected count (or share).
    #[serde(default = "default_min_ratio")]
    pub min_ratio: f64,
    /// A window is significant below this tail probability.
    #[serde(default = "default_p_value")]
    pub p_value: f64,
    /// Alerts whose smallest p-value is below this are `critical`.
    #[serde(default = "default_critical_p")]
    pub critical_p_value: f64,
    /// Fire when `persistence_k` of the last `persistence_n` windows are significant.
    #[serde(default = "default_persistence_k")]
    pub persistence_k: u32,
    /// See `persistence_k`.
    #[serde(default = "default_persistence_n")]
    pub persistence_n: u32,
    /// Windows of quiet after an alert resolves before the same kind can fire again.
    #[serde(default = "default_cooldown")]
    pub cooldown_windows: u64,
    /// Also test the sum of the last this many windows, for sustained rises that no single
    /// window shows (low-volume brands); 0 turns it off.
    #[serde(default = "default_span_windows")]
    pub span_windows: u32,
    /// A second, longer span for small brands' sustained rises (30-minute spikes at night);
    /// 0 turns it off.
    #[serde(default = "default_long_span_windows")]
    pub long_span_windows: u32,
    /// Relative error of the baseline (0.1 = a day can be 10% busier than expected without
    /// alerting): keeps high-volume brands from alerting on ordinary level changes.
    #[serde(default = "default_baseline_error")]
    pub baseline_error: f64,
    /// Example mentions (highest reach) carried by each alert event.
    #[serde(default = "default_examples")]
    pub examples: usize,
    /// Consumer group of the alert stage (default: `<kafka.group_id>-alerts`).
    #[serde(default)]
    pub group_id: Option<String>,
    /// Topic for alert events (JSON, keyed by brand).
    #[serde(default = "default_alerts_topic")]
    pub alerts_topic: String,
    /// Compacted topic for the detector state, keyed by brand.
    #[serde(default = "default_checkpoint_topic")]
    pub checkpoint_topic: String,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            window: default_alert_window(),
            lateness: default_alert_lateness(),
            warmup_windows: default_warmup(),
            min_count: default_min_count(),
            min_ratio: default_min_ratio(),
            p_value: default_p_value(),
            critical_p_value: default_critical_p(),
            persistence_k: default_persistence_k(),
            persistence_n: default_persistence_n(),
            cooldown_windows: default_cooldown(),
            span_windows: default_span_windows(),
            long_span_windows: default_long_span_windows(),
            baseline_error: default_baseline_error(),
            examples: default_examples(),
            group_id: None,
            alerts_topic: default_alerts_topic(),
            checkpoint_topic: default_checkpoint_topic(),
        }
    }
}

impl AlertConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.window < Duration::from_secs(1) || self.window > Duration::from_secs(3600) {
            return Err(invalid("alert.window", "must be between 1s and 1h"));
        }
        if 3600 % self.window.as_secs().max(1) != 0 || self.window.subsec_nanos() != 0 {
            return Err(invalid(
                "alert.window",
                "must divide an hour in whole seconds (e.g. 1s, 30s, 1m, 5m, 15m)",
            ));
        }
        if self.lateness > Duration::from_secs(3600) {
            return Err(invalid("alert.lateness", "must be at most 1h"));
        }
        if !(self.p_value > 0.0 && self.p_value < 0.5) {
            return Err(invalid("alert.p_value", "must be in (0, 0.5), e.g. 1e-4"));
        }
        if !(self.critical_p_value > 0.0 && self.critical_p_value <= self.p_value) {
            return Err(invalid(
                "alert.critical_p_value",
                "must be in (0, alert.p_value]",
            ));
        }
        if self.persistence_n == 0 || self.persistence_n > 32 {
            return Err(invalid("alert.persistence_n", "must be between 1 and 32"));
        }
        if self.persistence_k == 0 || self.persistence_k > self.persistence_n {
            return Err(invalid(
                "alert.persistence_k",
                "must be between 1 and alert.persistence_n",
            ));
        }
        if self.min_ratio.is_nan() || self.min_ratio < 1.0 {
            return Err(invalid("alert.min_ratio", "must be at least 1"));
        }
        if self.baseline_error.is_nan() || !(0.0..=1.0).contains(&self.baseline_error) {
            return Err(invalid(
                "alert.baseline_error",
                "must be between 0 and 1, e.g. 0.1",
            ));
        }
        if self.span_windows > 120 {
            return Err(invalid(
                "alert.span_windows",
                "must be at most 120 (0 turns it off)",
            ));
        }
        if self.long_span_windows > 240 {
            return Err(invalid(
                "alert.long_span_windows",
                "must be at most 240 (0 turns it off)",
            ));
        }
        if self.long_span_windows != 0 && self.long_span_windows <= self.span_windows {
            return Err(invalid(
                "alert.long_span_windows",
                "must be longer than alert.span_windows (or 0 to turn it off)",
            ));
        }
        if self.examples > 20 {
            return Err(invalid("alert.examples", "must be at most 20"));
        }
        validate_topic_name("alert.alerts_topic", &self.alerts_topic)?;
        validate_topic_name("alert.checkpoint_topic", &self.checkpoint_topic)?;
        if self.alerts_topic == self.checkpoint_topic {
            return Err(invalid(
                "alert.checkpoint_topic",
                "must differ from alert.alerts_topic",
            ));
        }
        Ok(())
    }
}

fn default_alert_window() -> Duration {
    Duration::from_secs(60)
}

fn default_alert_lateness() -> Duration {
    Duration::from_secs(30)
}

fn default_warmup() -> u64 {
    360
}

fn default_min_count() -> u64 {
    10
}

fn default_min_ratio() -> f64 {
    1.5
}

fn default_p_value() -> f64 {
    1e-4
}

fn default_critical_p() -> f64 {
    1e-9
}

fn default_persistence_k() -> u32 {
    2
}

fn default_persistence_n() -> u32 {
    3
}

fn default_cooldown() -> u64 {
    30
}

fn default_baseline_error() -> f64 {
    0.1
}

fn default_span_windows() -> u32 {
    10
}

fn default_long_span_windows() -> u32 {
    30
}

fn default_examples() -> usize {
    3
}

fn default_alerts_topic() -> String {
    "brandpulse-alerts".into()
}

fn default_checkpoint_topic() -> String {
    "brandpulse-alert-state".into()
}

fn default_true() -> bool {
    true
}

/// One brand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    /// Stable id: the output key and the `brand` metric label. `[a-z0-9_-]`, at most 64 chars.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Terms that rule the brand out wherever they appear (e.g. `acme plumbing`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Named topics: the brand, its products, people, campaigns. At least one.
    pub topics: BTreeMap<String, TopicConfig>,
}

/// The rules of one topic of a brand. The topic matches when its query or any of its
/// keywords, hashtags or handles matches, and none of its (or its brand's) exclusions does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    /// A boolean query (see `docs/rules.md`): `acme AND (refund* OR "money back") -lawsuit`.
    #[serde(default)]
    pub query: Option<String>,
    /// Words and phrases, matched whole-word, case- and diacritics-insensitively.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Hashtags, with or without the leading `#`.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Handles, with or without the leading `@`.
    #[serde(default)]
    pub handles: Vec<String>,
    /// Terms that rule this topic out.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl Config {
    /// Reads, parses and validates a config file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field and the reason.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        use std::io::Read;
        let read_error = |source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        // Read at most one byte past the limit: `--config /dev/zero` must not grow forever.
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(ConfigError::Invalid {
                field: "(file)".into(),
                reason: format!(
                    "{} is over {} MiB; a config file is a few kilobytes (thousands of brands fit in 1 MiB)",
                    path.display(),
                    MAX_CONFIG_BYTES >> 20
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates config text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field and the reason.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every constraint that serde cannot express.
    ///
    /// # Errors
    /// The first [`ConfigError::Invalid`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.validate()?;
        // The drain must end before the group gives our partitions away, or a slow drain
        // would store offsets for partitions another member already consumes.
        if self.pipeline.drain_timeout >= self.kafka.session_timeout {
            return Err(invalid(
                "pipeline.drain_timeout",
                format!(
                    "{} must be shorter than kafka.session_timeout ({})",
                    humantime::format_duration(self.pipeline.drain_timeout),
                    humantime::format_duration(self.kafka.session_timeout)
                ),
            ));
        }
        self.validate_topics()?;
        self.pipeline.validate()?;
        self.output.validate()?;
        self.scoring.validate(&self.pipeline)?;
        self.matching.validate()?;
        self.alert.validate()?;
        memory::check(self)?;
        let limits = self.matching.limits();
        let mut ids = std::collections::HashSet::with_capacity(self.brands.len());
        for (i, brand) in self.brands.iter().enumerate() {
            brand.validate(&format!("brands[{i}]"), &limits)?;
            if !ids.insert(brand.id.as_str()) {
                return Err(invalid(
                    format!("brands[{i}].id"),
                    format!("brand id `{}` is used twice", brand.id),
                ));
            }
        }
        Ok(())
    }

    /// Input and output topics: valid names, none listed twice, no input that is an output.
    fn validate_topics(&self) -> Result<(), ConfigError> {
        for (i, input) in self.inputs.iter().enumerate() {
            validate_topic_name(&format!("inputs[{i}].topic"), &input.topic)?;
            if self.inputs[..i].iter().any(|o| o.topic == input.topic) {
                return Err(invalid(
                    format!("inputs[{i}].topic"),
                    format!("topic `{}` is listed twice", input.topic),
                ));
            }
        }
        validate_topic_name("output.topic", &self.output.topic)?;
        validate_topic_name("output.dead_letter_topic", &self.output.dead_letter_topic)?;
        if self.output.topic == self.output.dead_letter_topic {
            return Err(invalid(
                "output.dead_letter_topic",
                "must differ from output.topic",
            ));
        }
        if let Some(i) = self.inputs.iter().position(|inp| {
            inp.topic == self.output.topic || inp.topic == self.output.dead_letter_topic
        }) {
            return Err(invalid(
                format!("inputs[{i}].topic"),
                "is also an output topic: brandpulse would read its own output",
            ));
        }
        Ok(())
    }

    /// Checks what `run` needs beyond [`validate`](Self::validate): inputs and brands.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when there is nothing to read or match.
    pub fn validate_for_run(&self) -> Result<(), ConfigError> {
        if self.inputs.is_empty() {
            return Err(invalid(
                "inputs",
                "no input topic: add an [[inputs]] table with `topic = \"...\"`",
            ));
        }
        self.validate_brands_present()
    }

    /// Fails when no brand is configured.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for `brands`.
    pub fn validate_brands_present(&self) -> Result<(), ConfigError> {
        if self.brands.is_empty() {
            return Err(invalid(
                "brands",
                "no brand: add a [[brands]] table with an id and at least one topic",
            ));
        }
        Ok(())
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `lo <= value <= hi`, or an error that shows the value as given.
impl KafkaConfig {
    /// Checks `[kafka]`: brokers, group, instance id, timeouts, and no override of what
    /// brandpulse sets itself.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.brokers.trim().is_empty() {
            return Err(invalid("kafka.brokers", "must name at least one host:port"));
        }
        if self.group_id.trim().is_empty() {
            return Err(invalid("kafka.group_id", "must not be empty"));
        }
        if let Some(id) = &self.instance_id {
            if id.trim().is_empty() || id.len() > 249 {
                return Err(invalid(
                    "kafka.instance_id",
                    "must be 1-249 characters (or left out for dynamic membership)",
                ));
            }
        }
        for (key, map) in [
            ("kafka.librdkafka", &self.librdkafka),
            ("kafka.consumer", &self.consumer),
            ("kafka.producer", &self.producer),
        ] {
            for managed in [
                "enable.auto.offset.store",
                "group.id",
                "bootstrap.servers",
                "group.instance.id",
            ] {
                if map.contains_key(managed) {
                    return Err(invalid(
                        format!("{key}.\"{managed}\""),
                        "is set by brandpulse itself (use kafka.brokers, kafka.group_id, \
                         kafka.instance_id); overriding enable.auto.offset.store would break \
                         at-least-once delivery",
                    ));
                }
            }
        }
        duration_in(
            "kafka.session_timeout",
            self.session_timeout,
            secs(1),
            secs(3600),
        )?;
        duration_in(
            "kafka.statistics_interval",
            self.statistics_interval,
            Duration::from_millis(100),
            secs(3600),
        )
    }
}

impl PipelineConfig {
    /// Checks `[pipeline]`: every size, count and duration in its range.
    fn validate(&self) -> Result<(), ConfigError> {
        let p = self;
        in_range("pipeline.max_text_bytes", p.max_text_bytes, 1, 1 << 20)?;
        in_range("pipeline.max_field_bytes", p.max_field_bytes, 16, 64 * 1024)?;
        in_range("pipeline.max_list_items", p.max_list_items, 1, 10_000)?;
        in_range("pipeline.batch_size", p.batch_size, 1, 100_000)?;
        in_range("pipeline.channel_capacity", p.channel_capacity, 1, 1024)?;
        in_range(
            "pipeline.max_in_flight",
            p.max_in_flight,
            p.batch_size,
            1_000_000,
        )
        .map_err(|e| with_hint(e, " (at least pipeline.batch_size)"))?;
        in_range(
            "pipeline.max_in_flight_bytes",
            p.max_in_flight_bytes,
            1 << 20,
            4 << 30,
        )?;
        in_range("pipeline.batch_bytes", p.batch_bytes, 4096, 64 << 20)?;
        in_range("pipeline.deletion_memory", p.deletion_memory, 0, 10_000_000)?;
        in_range(
            "pipeline.consumer_prefetch_bytes",
            p.consumer_prefetch_bytes,
            1 << 20,
            1 << 30,
        )?;
        in_range(
            "pipeline.memory_limit_mib",
            p.memory_limit_mib,
            128,
            1 << 20,
        )?;
        duration_in(
            "pipeline.batch_wait",
            p.batch_wait,
            Duration::ZERO,
            secs(10),
        )?;
        duration_in(
            "pipeline.drain_timeout",
            p.drain_timeout,
            Duration::ZERO,
            secs(3600),
        )
    }
}

impl OutputConfig {
    /// Checks `[output]`'s sizes (its topics are checked with the inputs).
    fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "output.max_message_bytes",
            self.max_message_bytes,
            4096,
            100_000_000,
        )
    }
}

impl ScoringConfig {
    /// Checks `[scoring]`; the fallback's backlog is compared with `pipeline`'s channels.
    fn validate(&self, pipeline: &PipelineConfig) -> Result<(), ConfigError> {
        let sc = self;
        in_range("scoring.max_tokens", sc.max_tokens, 8, 512)
            .map_err(|e| with_hint(e, " (512 is the model's limit)"))?;
        in_range("scoring.max_windows", sc.max_windows, 1, 16)?;
        in_range(
            "scoring.window_overlap",
            sc.window_overlap,
            0,
            sc.max_tokens / 2,
        )
        .map_err(|e| with_hint(e, " (at most half of scoring.max_tokens)"))?;
        in_range("scoring.max_batch", sc.max_batch, 1, 1024)?;
        in_range("scoring.max_batch_tokens", sc.max_batch_tokens, 512, 65_536)?;
        in_range("scoring.threads", sc.threads, 1, 256)?;
        in_range("scoring.cache_entries", sc.cache_entries, 0, 10_000_000)?;
        if sc.scorer == ScorerKind::Transformer
            && sc.fallback_backlog != 0
            && sc.fallback_backlog >= pipeline.channel_capacity
        {
            return Err(invalid(
                "scoring.fallback_backlog",
                format!(
                    "must be below pipeline.channel_capacity ({}), or 0 to disable the fallback",
                    pipeline.channel_capacity
                ),
            ));
        }
        Ok(())
    }
}

impl MatchingConfig {
    /// Checks `[matching]`'s limits and poll interval (the brands' queries are checked with
    /// the brands).
    fn validate(&self) -> Result<(), ConfigError> {
        duration_in(
            "matching.reload_poll",
            self.reload_poll,
            Duration::ZERO,
            secs(3600),
        )?;
        if self.max_operands == 0 || self.max_wildcards > self.max_operands {
            return Err(invalid(
                "matching.max_operands",
                "must be at least 1 and at least matching.max_wildcards",
            ));
        }
        if self.max_patterns > self.max_operands {
            return Err(invalid(
                "matching.max_patterns",
                "must be at most matching.max_operands",
            ));
        }
        in_range(
            "matching.regex_size_limit",
            self.regex_size_limit,
            1024,
            16 << 20,
        )?;
        Ok(())
    }
}

fn in_range(field: &str, value: usize, lo: usize, hi: usize) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be between {lo} and {hi}; got {value}"),
        ))
    }
}

fn duration_in(
    field: &str,
    value: Duration,
    lo: Duration,
    hi: Duration,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "must be between {} and {}; got {}",
                humantime::format_duration(lo),
                humantime::format_duration(hi),
                humantime::format_duration(value)
            ),
        ))
    }
}

fn with_hint(e: ConfigError, hint: &str) -> ConfigError {
    match e {
        ConfigError::Invalid { field, reason } => ConfigError::Invalid {
            field,
            reason: format!("{reason}{hint}"),
        },
        other => other,
    }
}

fn validate_topic_name(field: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("`{name}` is not a valid Kafka topic name (1-249 of [a-zA-Z0-9._-])"),
        ))
    }
}

impl BrandConfig {
    /// Checks the brand's id, topics, terms and queries.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field (`{path}.topics.NAME.query`) and the reason.
    pub fn validate(
        &self,
        path: &str,
        limits: &crate::rules::query::Limits,
    ) -> Result<(), ConfigError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !id_ok {
            return Err(invalid(
                format!("{path}.id"),
                format!("`{}` must be 1-64 characters of [a-z0-9_-]", self.id),
            ));
        }
        if self.topics.is_empty() {
            return Err(invalid(
                format!("{path}.topics"),
                "a brand needs at least one topic, e.g. [brands.topics.brand] keywords = [\"acme\"]",
            ));
        }
        check_terms(&format!("{path}.exclude"), &self.exclude)?;
        for (name, topic) in &self.topics {
            let tpath = format!("{path}.topics.{name}");
            if name.is_empty() || name.len() > 64 {
                return Err(invalid(tpath, "topic names must be 1-64 characters"));
            }
            if topic.query.is_none()
                && topic.keywords.is_empty()
                && topic.hashtags.is_empty()
                && topic.handles.is_empty()
            {
                return Err(invalid(
                    tpath,
                    "has no query, keywords, hashtags or handles, so it can never match",
                ));
            }
            if let Some(q) = &topic.query {
                crate::rules::query::parse(q, limits)
                    .map_err(|e| invalid(format!("{tpath}.query"), e.to_string()))?;
            }
            check_terms(&format!("{tpath}.keywords"), &topic.keywords)?;
            check_terms(&format!("{tpath}.hashtags"), &topic.hashtags)?;
            check_terms(&format!("{tpath}.handles"), &topic.handles)?;
            check_terms(&format!("{tpath}.exclude"), &topic.exclude)?;
        }
        Ok(())
    }
}

fn check_terms(path: &str, terms: &[String]) -> Result<(), ConfigError> {
    for (i, term) in terms.iter().enumerate() {
        if crate::rules::normalize::normalize_term(term).is_empty() {
            return Err(invalid(
                format!("{path}[{i}]"),
                format!("`{term}` has no letters or digits to match"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"
        [kafka]
        brokers = "127.0.0.1:9092"
        [[inputs]]
        topic = "mentions"
        [[inputs]]
        topic = "tweets"
        format = "twitter-v1"
        [[brands]]
        id = "acme"
        [brands.topics.brand]
        keywords = ["acme", "acme corp"]
        hashtags = ["#acme"]
    "##;

    #[test]
    fn good_config_loads_with_defaults() {
        let c = Config::from_toml(GOOD, "test").unwrap();
        assert_eq!(c.inputs[1].format, InputFormat::TwitterV1);
        assert_eq!(c.pipeline.max_text_bytes, 65536);
        assert_eq!(c.telemetry.listen.to_string(), "127.0.0.1:9898");
        c.validate_for_run().unwrap();
    }

    fn field_of(text: &str) -> String {
        match Config::from_toml(text, "t") {
            Err(ConfigError::Invalid { field, .. }) => field,
            Err(ConfigError::Parse { message, .. }) => format!("parse: {message}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (
                "[[brands]]\nid = \"Acme!\"\n[brands.topics.b]\nkeywords=[\"a\"]",
                "brands[0].id",
            ),
            ("[[brands]]\nid = \"acme\"\ntopics = {}", "brands[0].topics"),
            (
                "[[brands]]\nid = \"acme\"\n[brands.topics.b]\nkeywords=[\"!!\"]",
                "brands[0].topics.b.keywords[0]",
            ),
            ("[[inputs]]\ntopic = \"bad topic\"", "inputs[0].topic"),
            (
                "[output]\ntopic = \"x\"\ndead_letter_topic = \"x\"",
                "output.dead_letter_topic",
            ),
            (
                "[pipeline]\ndrain_timeout = \"60s\"",
                "pipeline.drain_timeout",
            ),
            ("[pipeline]\nbatch_size = 0", "pipeline.batch_size"),
            (
                "[kafka.librdkafka]\n\"enable.auto.offset.store\" = \"true\"",
                "kafka.librdkafka.\"enable.auto.offset.store\"",
            ),
            (
                "[[inputs]]\ntopic = \"brandpulse.scored\"",
                "inputs[0].topic",
            ),
            ("[alert]\nlong_span_windows = 10", "alert.long_span_windows"),
            (
                "[alert]\nlong_span_windows = 500",
                "alert.long_span_windows",
            ),
        ];
        for (text, field) in cases {
            assert_eq!(field_of(text), field, "config: {text}");
        }
    }

    #[test]
    fn unknown_fields_and_bad_types_are_parse_errors() {
        assert!(field_of("[pipeline]\nbatchsize = 3").contains("unknown field `batchsize`"));
        assert!(field_of("[pipeline]\ndrain_timeout = \"soon\"").starts_with("parse:"));
        assert!(field_of("[[inputs]]\ntopic = \"t\"\nformat = \"xml\"").contains("unknown variant"));
    }

    #[test]
    fn run_needs_inputs_and_brands() {
        let c = Config::from_toml("", "t").unwrap();
        assert!(
            matches!(c.validate_for_run(), Err(ConfigError::Invalid { field, .. }) if field == "inputs")
        );
    }
}
