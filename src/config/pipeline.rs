//! `[pipeline]`: record limits, batches and channels between stages, in-flight bounds,
//! memory budget and drain.

use std::time::Duration;

use serde::Deserialize;

use super::helpers::{duration_in, in_range, secs, with_hint};
use super::ConfigError;

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
    /// How the language of a mention without one is detected: `accurate` (whatlang, else
    /// lingua; 67 MiB) or `fast` (whatlang alone). See `crate::lang`.
    #[serde(default)]
    pub language_detection: crate::lang::Detection,
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
            language_detection: crate::lang::Detection::default(),
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
    1152
}
fn default_drain_timeout() -> Duration {
    Duration::from_secs(15)
}

impl PipelineConfig {
    /// Checks `[pipeline]`: every size, count and duration in its range.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
