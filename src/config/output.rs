//! `[output]`: the scored, inbox and dead-letter topics and the largest record produced.

use serde::Deserialize;

use super::helpers::in_range;
use super::ConfigError;

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
    /// Topic for the scored mentions that need a response (`intent.needs_response`, not
    /// excluded by the screen stage), keyed by brand id, highest priority first within a
    /// batch (`docs/intent.md`); `""` turns the inbox off.
    #[serde(default = "default_inbox_topic")]
    pub inbox_topic: String,
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
            inbox_topic: default_inbox_topic(),
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
fn default_inbox_topic() -> String {
    "brandpulse.inbox".into()
}

impl OutputConfig {
    /// Checks `[output]`'s sizes (its topics are checked with the inputs).
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "output.max_message_bytes",
            self.max_message_bytes,
            4096,
            100_000_000,
        )
    }
}
