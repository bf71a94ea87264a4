//! `[inbox]`: how long the inbox remembers open items and early replies, and how many
//! (`docs/intent.md`, "Answered, and how fast"). The topic itself is `output.inbox_topic`; the
//! handles that answer are each brand's `own_handles`.

use std::time::Duration;

use serde::Deserialize;

use super::helpers::{duration_in, in_range, secs};
use super::ConfigError;

/// `[inbox]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    /// Open (unanswered) items remembered over all brands; beyond it the oldest is dropped
    /// and counted as expired.
    #[serde(default = "default_max_open")]
    pub max_open: usize,
    /// An item unanswered this long after it was posted is dropped and counted as expired.
    #[serde(default = "default_max_age", with = "humantime_serde")]
    pub max_age: Duration,
    /// A brand reply to an id the inbox does not hold waits this long for its mention (a
    /// reply can be consumed before the mention it answers); then it counts as `unknown`.
    #[serde(default = "default_early_reply_wait", with = "humantime_serde")]
    pub early_reply_wait: Duration,
    /// Early replies remembered at most (oldest dropped, counted as `unknown`).
    #[serde(default = "default_max_early")]
    pub max_early_replies: usize,
}

fn default_max_open() -> usize {
    100_000
}
fn default_max_age() -> Duration {
    secs(7 * 24 * 3600)
}
fn default_early_reply_wait() -> Duration {
    secs(3600)
}
fn default_max_early() -> usize {
    10_000
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            max_open: default_max_open(),
            max_age: default_max_age(),
            early_reply_wait: default_early_reply_wait(),
            max_early_replies: default_max_early(),
        }
    }
}

impl InboxConfig {
    /// Checks the ranges of every field (the error names the field).
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range("inbox.max_open", self.max_open, 1, 10_000_000)?;
        duration_in(
            "inbox.max_age",
            self.max_age,
            secs(60),
            secs(90 * 24 * 3600),
        )?;
        duration_in(
            "inbox.early_reply_wait",
            self.early_reply_wait,
            secs(1),
            secs(7 * 24 * 3600),
        )?;
        in_range(
            "inbox.max_early_replies",
            self.max_early_replies,
            1,
            1_000_000,
        )
    }
}
