//! `[alert]`: spike detection windows, tests, persistence and topics. These defaults are
//! the only ones: the detector's `DetectorConfig::default` is built from
//! [`AlertConfig::default`].

use std::time::Duration;

use serde::Deserialize;

use super::helpers::{invalid, validate_topic_name};
use super::ConfigError;

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
    /// `[alert.terms]`: term statistics per brand, alert drivers and emerging terms.
    #[serde(default)]
    pub terms: TermsConfig,
}

/// `[alert.terms]`: which words and phrases drive an alert, and new terms rising for a brand
/// (`docs/alerts.md`, "Drivers and emerging terms").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsConfig {
    /// Count terms at all (drivers and emerging terms need it).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Terms with a baseline kept per brand (the most frequent, by decayed count). A
    /// brand's checkpoint must fit one record of `output.max_message_bytes`.
    #[serde(default = "default_terms_per_brand")]
    pub per_brand: usize,
    /// Terms with a baseline kept over all brands held: with many brands each keeps
    /// `max(32, max_total / brands)` when that is below `per_brand`. Memory: at most
    /// 928 bytes per term (`pipeline.memory_limit_mib` counts it).
    #[serde(default = "default_terms_max_total")]
    pub max_total: usize,
    /// Time constant of a term's baseline share, in windows (default one day of 1-minute
    /// windows).
    #[serde(default = "default_terms_baseline_windows")]
    pub baseline_windows: u32,
    /// Drivers carried by an alert event (0 = none).
    #[serde(default = "default_drivers")]
    pub drivers: usize,
    /// Produce `emerging_term` events.
    #[serde(default = "yes")]
    pub emerging: bool,
    /// Time constant of a term's recent count for emerging terms, in windows (default one
    /// hour of 1-minute windows).
    #[serde(default = "default_emerging_span")]
    pub emerging_span_windows: u32,
    /// Smallest recent count (distinct authors per window, summed over the span) of an
    /// emerging term.
    #[serde(default = "default_emerging_min_count")]
    pub emerging_min_count: f64,
    /// The recent count must also be this multiple of what the term's baseline share expects.
    #[serde(default = "default_emerging_min_ratio")]
    pub emerging_min_ratio: f64,
    /// Tail probability below which a term's recent count is unusual.
    #[serde(default = "default_emerging_p_value")]
    pub emerging_p_value: f64,
    /// Windows a term must stay unusual before it is reported.
    #[serde(default = "default_emerging_persistence")]
    pub emerging_persistence_windows: u32,
    /// Windows before the same term can be reported again for the brand.
    #[serde(default = "default_emerging_cooldown")]
    pub emerging_cooldown_windows: u32,
    /// At most this many emerging terms per brand per UTC day.
    #[serde(default = "default_emerging_max_per_day")]
    pub emerging_max_per_day: u32,
}

impl Default for TermsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            per_brand: default_terms_per_brand(),
            max_total: default_terms_max_total(),
            baseline_windows: default_terms_baseline_windows(),
            drivers: default_drivers(),
            emerging: true,
            emerging_span_windows: default_emerging_span(),
            emerging_min_count: default_emerging_min_count(),
            emerging_min_ratio: default_emerging_min_ratio(),
            emerging_p_value: default_emerging_p_value(),
            emerging_persistence_windows: default_emerging_persistence(),
            emerging_cooldown_windows: default_emerging_cooldown(),
            emerging_max_per_day: default_emerging_max_per_day(),
        }
    }
}

impl TermsConfig {
    /// `max_message_bytes`: the record size limit a brand's checkpoint must fit, when the
    /// alert stage runs.
    fn validate(&self, max_message_bytes: Option<usize>) -> Result<(), ConfigError> {
        if !(16..=100_000).contains(&self.per_brand) {
            return Err(invalid(
                "alert.terms.per_brand",
                "must be between 16 and 100000",
            ));
        }
        let bound = super::memory::checkpoint_bound(self.per_brand);
        if let Some(max_message_bytes) = max_message_bytes.filter(|&m| self.enabled && bound > m) {
            return Err(invalid(
                "alert.terms.per_brand",
                format!(
                    "a brand's checkpoint (one Kafka record) could reach {bound} bytes with {} \
                     terms, over output.max_message_bytes ({max_message_bytes}): lower \
                     per_brand, raise output.max_message_bytes (and the topic's \
                     max.message.bytes), or set alert.terms.enabled = false",
                    self.per_brand
                ),
            ));
        }
        if self.max_total < self.per_brand || self.max_total > 50_000_000 {
            return Err(invalid(
                "alert.terms.max_total",
                "must be at least alert.terms.per_brand and at most 50000000",
            ));
        }
        if !(10..=1_000_000).contains(&self.baseline_windows) {
            return Err(invalid(
                "alert.terms.baseline_windows",
                "must be between 10 and 1000000",
            ));
        }
        if self.drivers > 20 {
            return Err(invalid("alert.terms.drivers", "must be at most 20"));
        }
        if !(1..=10_000).contains(&self.emerging_span_windows)
            || self.emerging_span_windows >= self.baseline_windows
        {
            return Err(invalid(
                "alert.terms.emerging_span_windows",
                "must be between 1 and 10000 and below alert.terms.baseline_windows",
            ));
        }
        if self.emerging_min_count.is_nan() || self.emerging_min_count < 1.0 {
            return Err(invalid(
                "alert.terms.emerging_min_count",
                "must be at least 1",
            ));
        }
        if self.emerging_min_ratio.is_nan() || self.emerging_min_ratio < 1.0 {
            return Err(invalid(
                "alert.terms.emerging_min_ratio",
                "must be at least 1",
            ));
        }
        if !(self.emerging_p_value > 0.0 && self.emerging_p_value < 0.5) {
            return Err(invalid(
                "alert.terms.emerging_p_value",
                "must be in (0, 0.5), e.g. 1e-6",
            ));
        }
        if self.emerging_persistence_windows > 10_000 {
            return Err(invalid(
                "alert.terms.emerging_persistence_windows",
                "must be at most 10000",
            ));
        }
        Ok(())
    }
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
            terms: TermsConfig::default(),
        }
    }
}

impl AlertConfig {
    pub(super) fn validate(&self, max_message_bytes: usize) -> Result<(), ConfigError> {
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
        // Only a running alert stage writes checkpoints.
        self.terms
            .validate(self.enabled.then_some(max_message_bytes))?;
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

fn yes() -> bool {
    true
}

fn default_terms_per_brand() -> usize {
    1200
}

fn default_terms_max_total() -> usize {
    100_000
}

fn default_terms_baseline_windows() -> u32 {
    1440
}

fn default_drivers() -> usize {
    5
}

fn default_emerging_span() -> u32 {
    60
}

fn default_emerging_min_count() -> f64 {
    10.0
}

fn default_emerging_min_ratio() -> f64 {
    4.0
}

fn default_emerging_p_value() -> f64 {
    1e-6
}

fn default_emerging_persistence() -> u32 {
    10
}

fn default_emerging_cooldown() -> u32 {
    720
}

fn default_emerging_max_per_day() -> u32 {
    3
}
