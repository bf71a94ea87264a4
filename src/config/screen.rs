//! `[screen]`: copy-paste campaigns, spam and automated accounts, kept out of the brands'
//! numbers (`docs/screening.md`).

use std::time::Duration;

use serde::Deserialize;

use super::helpers::{duration_in, in_range, invalid, secs};
use super::ConfigError;

/// The screen stage, between matching and scoring.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenConfig {
    /// Run it (on by default). Off: no flags, no campaigns, every mention counted.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Leave mentions flagged as spam out of brand metrics and alerts (a brand's
    /// `exclude_spam` overrides it). They stay on the scored topic with their reasons.
    #[serde(default = "yes")]
    pub exclude_spam: bool,
    /// `[screen.campaign]`: near-duplicate texts from many authors.
    #[serde(default)]
    pub campaign: CampaignConfig,
    /// An author whose automation score is at least this counts as automated in a
    /// campaign's `automated_share` (the score itself is on every record).
    #[serde(default = "default_automated_at")]
    pub automated_at: f32,
    /// Authors whose posting rate in the stream is tracked (least recently seen dropped).
    #[serde(default = "default_tracked_authors")]
    pub tracked_authors: usize,
}

/// `[screen.campaign]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    /// Distinct authors a cluster of near-duplicate texts needs, within `window`, to be a
    /// campaign.
    #[serde(default = "default_min_authors")]
    pub min_authors: u32,
    /// How long a text is remembered for near-duplicate lookups, and the span in which the
    /// authors are counted.
    #[serde(default = "default_window", with = "humantime_serde")]
    pub window: Duration,
    /// Estimated Jaccard similarity of two texts' word and word-pair sets from which they are
    /// near-duplicates.
    #[serde(default = "default_similarity")]
    pub similarity: f64,
    /// Texts with fewer words than this are not compared (too short to tell copy-paste from
    /// coincidence: "my new acme phone is so good" from many people is not a campaign).
    /// `campaign-eval` on its tuning seeds: 6 declared 3-4 organic look-alike clusters, 8
    /// none; copy-paste texts shorter than this are not found (docs/screening.md).
    #[serde(default = "default_min_words")]
    pub min_words: usize,
    /// Texts remembered per brand.
    #[serde(default = "default_per_brand")]
    pub per_brand: usize,
    /// Texts remembered over all brands; each brand gets `min(per_brand, max_total /
    /// brands)`.
    #[serde(default = "default_max_total")]
    pub max_total: usize,
}

fn yes() -> bool {
    true
}
fn default_automated_at() -> f32 {
    0.6
}
fn default_tracked_authors() -> usize {
    50_000
}
fn default_min_authors() -> u32 {
    10
}
fn default_window() -> Duration {
    secs(3600)
}
fn default_similarity() -> f64 {
    0.6
}
fn default_min_words() -> usize {
    8
}
fn default_per_brand() -> usize {
    1_000
}
fn default_max_total() -> usize {
    50_000
}

impl Default for ScreenConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            exclude_spam: true,
            campaign: CampaignConfig::default(),
            automated_at: default_automated_at(),
            tracked_authors: default_tracked_authors(),
        }
    }
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            min_authors: default_min_authors(),
            window: default_window(),
            similarity: default_similarity(),
            min_words: default_min_words(),
            per_brand: default_per_brand(),
            max_total: default_max_total(),
        }
    }
}

impl CampaignConfig {
    /// Texts remembered for each of `brands` brands.
    pub fn capacity(&self, brands: usize) -> usize {
        self.per_brand
            .min(self.max_total / brands.max(1))
            .max(16.min(self.per_brand))
    }
}

impl ScreenConfig {
    /// Checks the ranges of every field (the error names the field).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.campaign;
        if !(2..=100_000).contains(&c.min_authors) {
            return Err(invalid(
                "screen.campaign.min_authors",
                format!("must be between 2 and 100000; got {}", c.min_authors),
            ));
        }
        duration_in(
            "screen.campaign.window",
            c.window,
            secs(10),
            secs(7 * 86_400),
        )?;
        if !(c.similarity >= 0.2 && c.similarity <= 1.0) {
            return Err(invalid(
                "screen.campaign.similarity",
                format!("must be between 0.2 and 1; got {}", c.similarity),
            ));
        }
        in_range("screen.campaign.min_words", c.min_words, 1, 100)?;
        in_range("screen.campaign.per_brand", c.per_brand, 16, 1_000_000)?;
        if c.max_total < c.per_brand || c.max_total > 50_000_000 {
            return Err(invalid(
                "screen.campaign.max_total",
                "must be at least screen.campaign.per_brand and at most 50000000",
            ));
        }
        if !(self.automated_at > 0.0 && self.automated_at <= 1.0) {
            return Err(invalid(
                "screen.automated_at",
                format!("must be in (0, 1]; got {}", self.automated_at),
            ));
        }
        in_range(
            "screen.tracked_authors",
            self.tracked_authors,
            0,
            50_000_000,
        )?;
        Ok(())
    }
}
