//! The screen stage's events: each counts and logs in one call (as [`crate::emit::events`]).

use crate::mention::CampaignRef;
use crate::telemetry::Metrics;

/// A cluster of near-duplicates became a campaign: counted per brand
/// (`brandpulse_screen_campaigns_total`) and logged at info.
#[derive(Debug)]
pub struct CampaignDeclared<'a> {
    /// Brand id.
    pub brand: &'a str,
    /// The campaign.
    pub campaign: &'a CampaignRef,
}

impl CampaignDeclared<'_> {
    /// Counts and logs it.
    pub fn emit(&self, metrics: &Metrics) {
        let c = self.campaign;
        metrics
            .screen_campaigns
            .with_label_values(&[self.brand])
            .inc();
        tracing::info!(brand = self.brand, campaign = %c.id, authors = c.authors,
            automated_share = c.automated_share, first_seen = %c.first_seen,
            first_mention_id = %c.first_mention_id, "copy-paste campaign recognised");
    }
}

/// An author field was treated as unknown: counted by field, logged at debug (it is the
/// provider's data, not ours to fix, and can be frequent).
#[derive(Debug)]
pub struct AuthorFieldInvalid<'a> {
    /// `author.followers`, ...
    pub field: &'static str,
    /// The mention.
    pub mention_id: &'a str,
}

impl AuthorFieldInvalid<'_> {
    /// Counts and logs it.
    pub fn emit(&self, metrics: &Metrics) {
        metrics
            .screen_author_fields_invalid
            .with_label_values(&[self.field])
            .inc();
        tracing::debug!(
            field = self.field,
            mention_id = self.mention_id,
            "author field treated as unknown"
        );
    }
}

/// A mention was flagged as spam: counted per reason, logged at debug.
#[derive(Debug)]
pub struct SpamFlagged<'a> {
    /// Its reasons.
    pub reasons: &'a [String],
    /// The mention.
    pub mention_id: &'a str,
}

impl SpamFlagged<'_> {
    /// Counts and logs it.
    pub fn emit(&self, metrics: &Metrics) {
        for r in self.reasons {
            metrics.screen_spam.with_label_values(&[r]).inc();
        }
        tracing::debug!(reasons = ?self.reasons, mention_id = self.mention_id,
            "mention flagged as spam");
    }
}

/// Pre-creates the label values of the screen stage's counters.
pub fn register(metrics: &Metrics) {
    for field in super::account::INVALID_FIELDS {
        metrics
            .screen_author_fields_invalid
            .with_label_values(&[field]);
    }
    for reason in super::spam::REASONS {
        metrics.screen_spam.with_label_values(&[reason]);
    }
}
