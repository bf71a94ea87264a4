//! What the replay generates and measures: the calendar, volume classes, brands, injected
//! spikes, and what happened to each spike and each brand.

use crate::record::alert::Kind;

/// Monday 2024-01-01 00:00 UTC, in minutes since the Unix epoch.
pub(super) const START_MINUTE: i64 = 1_704_067_200 / 60;
/// Minutes in a day and in a week.
pub(super) const DAY: i64 = 1440;
pub(super) const WEEK: i64 = 7 * DAY;

/// Volume multipliers of the injected volume spikes.
pub const VOLUME_MULTIPLIERS: [u32; 3] = [2, 3, 5];
/// Durations (minutes) of the injected spikes.
pub const DURATIONS: [u32; 3] = [5, 10, 30];
/// Negative-share spikes multiply the brand's share by this (capped at [`MAX_SHARE`]).
pub const SHARE_MULTIPLIER: u32 = 3;
/// Highest negative share during a negative spike.
pub const MAX_SHARE: f64 = 0.9;

/// Volume class of a brand (mentions per minute at its weekday peak).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumeClass {
    /// 0.5-2 per minute at peak.
    Low,
    /// 5-30 per minute at peak.
    Mid,
    /// 100-250 per minute at peak.
    High,
}

impl VolumeClass {
    /// All classes.
    pub const ALL: [VolumeClass; 3] = [VolumeClass::Low, VolumeClass::Mid, VolumeClass::High];

    /// Label.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeClass::Low => "low",
            VolumeClass::Mid => "mid",
            VolumeClass::High => "high",
        }
    }

    pub(super) fn peak_range(self) -> (f64, f64) {
        match self {
            VolumeClass::Low => (0.5, 2.0),
            VolumeClass::Mid => (5.0, 30.0),
            VolumeClass::High => (100.0, 250.0),
        }
    }
}

/// A generated brand.
#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    /// Volume class.
    pub class: VolumeClass,
    /// Mentions per minute at the weekday peak.
    pub peak: f64,
    /// Weekend level relative to weekdays.
    pub weekend: f64,
    /// Offset (hours) of the brand's audience from UTC.
    pub shift_hours: f64,
    /// Baseline negative share.
    pub negative_share: f64,
}

/// An injected spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Volume or negative share.
    pub kind: Kind,
    /// Multiplier of the rate (volume) or of the negative share.
    pub multiplier: u32,
    /// Minutes.
    pub minutes: u32,
    /// First minute (since the epoch).
    pub start_minute: i64,
}

/// What happened to one spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The brand's class.
    pub class: VolumeClass,
    /// The spike.
    pub spike: Spike,
    /// Expected mentions per window at the spike's start without the spike.
    pub baseline: f64,
    /// Windows from the spike's first window to the first firing of its kind, if detected.
    pub delay: Option<i64>,
    /// Probability that the reference test ([`oracle_power`](super::oracle_power)) detects this spike.
    pub oracle: f64,
    /// Detected spikes, with terms: whether the spike's phrase is among the alert's top 3
    /// drivers.
    pub driver_hit: Option<bool>,
}

/// What happened to one injected rising term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RisingOutcome {
    /// The brand's class.
    pub class: VolumeClass,
    /// Mentions per hour it reached (it rides on the brand's mentions, so a quiet brand at
    /// night cannot carry the target rate).
    pub per_hour: f64,
    /// Minutes from its start to its emerging-term event, if reported.
    pub delay_minutes: Option<i64>,
}

/// Results of one brand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrandResult {
    /// One per injected spike.
    pub outcomes: Vec<Outcome>,
    /// New alerts (volume, negative) in the spiked stream's evaluated weeks not near a spike.
    pub stray_alarms: [u64; 2],
    /// New alerts (volume, negative) in the spike-free stream's evaluated weeks.
    pub clean_alarms: [u64; 2],
    /// Injected rising terms.
    pub rising: Vec<RisingOutcome>,
    /// Emerging-term events in the spike-free stream's evaluated weeks.
    pub clean_emerging: u64,
}

/// Index of `kind` in the per-kind arrays (`[volume, negative]`).
pub(super) fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Volume => 0,
        Kind::Negative => 1,
    }
}
