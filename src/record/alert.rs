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
    /// Firing events: the terms most unusual in the spike's windows against their baseline
    /// share of the brand's mentions (within negative mentions for `negative`), most unusual
    /// first. Absent when none stands out (or on resolved events).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drivers: Vec<Driver>,
}

/// A word, phrase, hashtag or handle that drives an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Driver {
    /// The term, folded (lowercase, no diacritics): `battery fire`, `#recall`, `@acmehelp`.
    pub term: String,
    /// Mentions with the term in the alert's windows (each author once per window).
    pub observed: u64,
    /// What the term's baseline share of the brand's mentions expects in those mentions.
    pub expected: f64,
    /// `-log10` of the Poisson tail probability of `observed` given `expected`.
    pub score: f64,
    /// Share of the alert's extra mentions (observed minus the baseline's expectation) that
    /// mention the term, 0 to 1. Terms overlap: the shares of several drivers can add up
    /// to more than 1.
    pub explained: f64,
    /// One or two mentions with the term.
    pub example_ids: Vec<String>,
}

/// A term rising for a brand against its own baseline, with or without a volume spike:
/// published on the alerts topic (keyed by brand) beside the alert events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmergingTermEvent {
    /// Format version.
    pub schema_version: u32,
    /// Always `emerging_term` (alert events carry `volume` or `negative` here).
    pub kind: EmergingKind,
    /// Stable id: `brand:emerging_term:term:window start (unix seconds)`.
    pub id: String,
    /// Brand id.
    pub brand: String,
    /// Always `info`: a heads-up, not a page.
    pub severity: InfoSeverity,
    /// The term, folded.
    pub term: String,
    /// Start of the window in which it was reported.
    pub window_start: DateTime<Utc>,
    /// Its end.
    pub window_end: DateTime<Utc>,
    /// Recent count: mentions with the term (each author once per window), exponentially
    /// weighted over `alert.terms.emerging_span_windows`.
    pub observed: f64,
    /// What the term's baseline share expects of the brand's mentions over the same span.
    pub expected: f64,
    /// Poisson tail probability of `observed` given `expected`.
    pub p_value: f64,
    /// The span (minutes) `observed` and `expected` cover (the time constant).
    pub span_minutes: u64,
    /// One or two mentions with the term, from the reporting window.
    pub example_ids: Vec<String>,
}

/// The kind of an [`EmergingTermEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmergingKind {
    /// A term rising for a brand.
    EmergingTerm,
}

/// The severity of an [`EmergingTermEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InfoSeverity {
    /// Informational.
    Info,
}

/// A copy-paste campaign recognised by the screen stage, published once on the alerts topic
/// (`kind: "campaign"`; JSON Schema `docs/schemas/campaign.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignEvent {
    /// Version of this record's schema.
    pub schema_version: u32,
    /// Always `campaign`.
    pub kind: CampaignKind,
    /// Campaign id (members carry it as `campaign.id` on the scored topic).
    pub id: String,
    /// Brand id.
    pub brand: String,
    /// Always `info`: the campaign's copies are already kept out of the brand's numbers.
    pub severity: InfoSeverity,
    /// When its first text was posted.
    pub first_seen: DateTime<Utc>,
    /// When the mention that made it a campaign was posted.
    pub detected_at: DateTime<Utc>,
    /// Its latest text when it was recognised (members on the scored topic carry the
    /// campaign's `last_seen` as it grows).
    pub last_seen: DateTime<Utc>,
    /// Distinct authors when it was recognised.
    pub authors: u32,
    /// Share of them whose automation score reaches `screen.automated_at`.
    pub automated_share: f32,
    /// Its first mention.
    pub first_mention_id: String,
    /// Its first text (at most 160 characters).
    pub first_text: String,
    /// The mention that made it a campaign.
    pub detected_mention_id: String,
}

impl CampaignEvent {
    /// The event of the mention (`mention_id` of `brand`, posted at `at`) that made its
    /// cluster the campaign `c`.
    pub fn declared(
        brand: &str,
        mention_id: &str,
        at: DateTime<Utc>,
        text: &str,
        c: &crate::mention::CampaignRef,
    ) -> Self {
        CampaignEvent {
            schema_version: 1,
            kind: CampaignKind::Campaign,
            id: c.id.clone(),
            brand: brand.to_string(),
            severity: InfoSeverity::Info,
            first_seen: c.first_seen,
            detected_at: at,
            last_seen: c.last_seen,
            authors: c.authors,
            automated_share: c.automated_share,
            first_mention_id: c.first_mention_id.clone(),
            first_text: c
                .first_text
                .clone()
                .unwrap_or_else(|| text.chars().take(160).collect()),
            detected_mention_id: mention_id.to_string(),
        }
    }
}

/// The `kind` of a [`CampaignEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// A copy-paste campaign.
    Campaign,
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
    /// Impact (0..=100, reach and engagement): examples are the highest-impact mentions.
    #[serde(default)]
    pub impact: u32,
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
