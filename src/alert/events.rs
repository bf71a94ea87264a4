//! The alert stage's internal events, in the manner of [`crate::emit::events`]: each one counts
//! and logs in one call, with its label values from enums.

use std::collections::HashSet;

use crate::record::alert::{
    AlertEvent, AlertState, CampaignEvent, EmergingTermEvent, Kind, Severity,
};
use crate::telemetry::throttle::Throttle;
use crate::telemetry::Metrics;

/// An alert event was written for publication: the brand's active-alert gauge follows it, and
/// it is counted by kind and state and logged (firing as a warning, resolved as info).
#[derive(Debug)]
pub struct AlertPublished<'a>(pub &'a AlertEvent);

impl AlertPublished<'_> {
    /// Counts and logs the event and updates the active-alert gauge.
    pub fn emit(&self, metrics: &Metrics) {
        let e = self.0;
        let kind = e.kind.as_str();
        for s in [Severity::Warning, Severity::Critical] {
            let _ = metrics
                .alert_active
                .remove_label_values(&[&e.brand, kind, s.as_str()]);
        }
        match e.state {
            AlertState::Firing => {
                metrics
                    .alert_active
                    .with_label_values(&[&e.brand, kind, e.severity.as_str()])
                    .set(1);
                metrics
                    .alert_events
                    .with_label_values(&[kind, "fired"])
                    .inc();
                tracing::warn!(brand = %e.brand, kind, severity = e.severity.as_str(),
                    observed = e.observed, expected = e.expected, p_value = e.p_value,
                    "spike alert firing");
            }
            AlertState::Resolved => {
                metrics
                    .alert_events
                    .with_label_values(&[kind, "resolved"])
                    .inc();
                tracing::info!(brand = %e.brand, kind, "spike alert resolved");
            }
        }
    }
}

/// An emerging-term event was written for publication: counted as
/// `brandpulse_alert_events_total{kind="emerging_term",state="fired"}` and logged at info (it
/// is a heads-up, not a page; it does not touch the active-alert gauge).
#[derive(Debug)]
pub struct EmergingPublished<'a>(pub &'a EmergingTermEvent);

impl EmergingPublished<'_> {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        let e = self.0;
        metrics
            .alert_events
            .with_label_values(&["emerging_term", "fired"])
            .inc();
        tracing::info!(brand = %e.brand, term = %e.term, observed = e.observed,
            expected = e.expected, p_value = e.p_value, "emerging term");
    }
}

/// A campaign event was written for publication: counted as
/// `brandpulse_alert_events_total{kind="campaign",state="fired"}` and logged at info.
#[derive(Debug)]
pub struct CampaignPublished<'a>(pub &'a CampaignEvent);

impl CampaignPublished<'_> {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        let e = self.0;
        metrics
            .alert_events
            .with_label_values(&["campaign", "fired"])
            .inc();
        tracing::info!(brand = %e.brand, campaign = %e.id, authors = e.authors,
            automated_share = e.automated_share, "campaign published");
    }
}

/// Why a record on the scored topic was not counted into a window.
#[derive(Debug)]
pub enum InputSkipped<'a> {
    /// Its window had already closed (`brandpulse_alert_late_total`).
    Late {
        /// The brand it was for.
        brand: &'a str,
    },
    /// It is not a scored mention (`brandpulse_alert_unreadable_total`).
    Unreadable {
        /// Its partition of the scored topic.
        partition: i32,
        /// Its offset there.
        offset: i64,
        /// The decoder's error.
        error: &'a serde_json::Error,
    },
}

impl InputSkipped<'_> {
    /// Counts the event; logs it at most once per `throttle` interval (late mentions at debug
    /// level: a restart after a long pause makes many).
    pub fn emit(&self, metrics: &Metrics, throttle: &Throttle) {
        match self {
            InputSkipped::Late { brand } => {
                metrics.alert_late.inc();
                if let Some(folded) = throttle.allow() {
                    tracing::debug!(
                        brand,
                        folded,
                        "alert stage: mention after its window closed, not counted"
                    );
                }
            }
            InputSkipped::Unreadable {
                partition,
                offset,
                error,
            } => {
                metrics.alert_unreadable.inc();
                if let Some(folded) = throttle.allow() {
                    tracing::warn!(partition, offset, %error, folded,
                        "alert stage: not a scored mention, skipped");
                }
            }
        }
    }
}

/// A checkpoint flush finished: counted by result; a failed one is logged (its offsets are not
/// stored, so the records are read again after a restart).
#[derive(Debug)]
pub struct CheckpointFlushed {
    /// Brands whose state was written.
    pub brands: usize,
    /// Whether every checkpoint and alert event was acknowledged.
    pub ok: bool,
}

impl CheckpointFlushed {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        let result = if self.ok { "ok" } else { "error" };
        metrics.alert_checkpoints.with_label_values(&[result]).inc();
        if self.ok {
            tracing::debug!(brands = self.brands, "alert stage: checkpoints flushed");
        } else {
            tracing::warn!(
                brands = self.brands,
                "alert stage: checkpoints not acknowledged; offsets not stored, the records will be read again"
            );
        }
    }
}

/// Partitions were assigned and the brands' states restored from their checkpoints.
#[derive(Debug)]
pub struct StatesRestored<'a> {
    /// The partitions assigned.
    pub partitions: &'a HashSet<i32>,
    /// Checkpoint records read.
    pub checkpoints: usize,
    /// Brands held after the restore.
    pub brands: usize,
    /// Alerts that were active at the checkpoint and still are.
    pub active: &'a [(String, Kind, Severity)],
}

impl StatesRestored<'_> {
    /// Counts and logs the event and sets the restored active alerts' gauges.
    pub fn emit(&self, metrics: &Metrics) {
        for (brand, kind, severity) in self.active {
            metrics
                .alert_active
                .with_label_values(&[brand, kind.as_str(), severity.as_str()])
                .set(1);
        }
        metrics.alert_restored.inc_by(self.brands as u64);
        tracing::info!(partitions = ?self.partitions, checkpoints = self.checkpoints,
            restored = self.brands, active = self.active.len(),
            "alert stage: partitions assigned, state restored");
    }
}
