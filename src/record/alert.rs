//! What the alert stage publishes: alert events (to the alerts topic, the live page and
//! Alertmanager), with the kinds, states and severities they carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An alert event, as written to the alerts topic (keyed by brand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertEvent {
    /// Format version.
    pub schema_version: u32,
    /// Stable id of the alert: `brand:kind:start (unix seconds)`.
    pub id: String,
    /// Brand id.
    pub brand: String,
    /// `volume` or `negative`.
    pub kind: Kind,
    /// `firing` (new, or escalated severity) or `resolved`.
    pub state: AlertState,
    /// `warning` or `critical`.
    pub severity: Severity,
    /// The window this event is about.
    pub window_start: DateTime<Utc>,
    /// Its end.
    pub window_end: DateTime<Utc>,
    /// When the spike started (first significant window).
    pub started_at: DateTime<Utc>,
    /// When it was over (resolved events only).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Volume: mentions in the window; negative: negative mentions.
    pub observed: u64,
    /// What the baseline expected.
    pub expected: f64,
    /// Smallest tail probability while active.
    pub p_value: f64,
    /// Highest-reach mentions of the spike (negative ones for `negative`).
    pub examples: Vec<Example>,
}

/// An example mention carried by an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Example {
    /// Mention id.
    pub mention_id: String,
    /// Text (at most 280 characters).
    pub text: String,
    /// Potential reach.
    pub reach: u64,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// More mentions than the seasonal baseline expects.
    Volume,
    /// A larger share of negative mentions than the baseline share.
    Negative,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Volume, Kind::Negative];

    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Volume => "volume",
            Kind::Negative => "negative",
        }
    }
}

/// How unlikely the alert's worst window was.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// p below `p_value`.
    Warning,
    /// p below `critical_p_value`.
    Critical,
}

impl Severity {
    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Alert states in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Started, or its severity went up.
    Firing,
    /// Over.
    Resolved,
}
