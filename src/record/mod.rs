//! The record layer: what passes between the stages, and nothing that does work on it.
//!
//! ```text
//! ingest --Vec<Ingested>--> matcher --Vec<Matched>--> score --Vec<Outbound>--> emit
//! ```
//! Every record carries its [`Origin`] (input topic, partition, offset), so the emitter can
//! store the offset once the record's outputs are acknowledged ([`offsets`]). A record that
//! cannot be decoded travels on as a [`DeadLetter`] with a [`DecodeError`] that says why. The
//! mention types themselves (`Mention -> MatchedMention -> ScoredMention`) are in
//! [`crate::mention`].
//!
//! This module depends on no stage; every stage depends on it.

pub mod alert;
pub mod dead_letter;
pub mod offsets;

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::mention::{MatchedMention, Mention, ScorerInfo, Sentiment};
pub use dead_letter::{DeadLetter, DecodeError};
pub use offsets::TopicPartition;

/// Input formats, chosen per Kafka topic (or with `--format` offline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// brandpulse's canonical mention JSON (docs/schemas/mention.schema.json).
    #[default]
    Canonical,
    /// Twitter API v1.1 tweet JSON.
    #[value(name = "twitter-v1")]
    #[serde(rename = "twitter-v1")]
    TwitterV1,
}

impl InputFormat {
    /// Name as written in config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Canonical => "canonical",
            InputFormat::TwitterV1 => "twitter-v1",
        }
    }
}

/// Where a consumed record came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Input topic and partition.
    pub tp: TopicPartition,
    /// Offset in the partition.
    pub offset: i64,
    /// When it was consumed.
    pub consumed_at: Instant,
    /// The format it was decoded as.
    pub format: InputFormat,
}

/// Ingest -> matcher.
#[derive(Debug)]
pub struct Ingested {
    /// Where from.
    pub origin: Origin,
    /// The mention, or why it was rejected.
    pub result: Result<Mention, DeadLetter>,
}

/// Matcher -> score. `Ok(None)`: decoded but matched no brand.
#[derive(Debug)]
pub struct Matched {
    /// Where from.
    pub origin: Origin,
    /// The matched mention, no match, or why it was rejected.
    pub result: Result<Option<MatchedMention>, DeadLetter>,
}

/// The sentiment of one text, with the language it was scored in.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredText {
    /// The judgement.
    pub sentiment: Sentiment,
    /// ISO 639-1 code or `und`.
    pub lang: String,
    /// Whether brandpulse detected the language.
    pub lang_detected: bool,
    /// Whether the fallback scorer produced it (degraded mode).
    pub degraded: bool,
}

/// The sentiment one matched brand gets.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandScore {
    /// The sentiment of the text scored for this brand.
    pub scored: ScoredText,
    /// The scorer that produced it (the fallback's in degraded mode).
    pub scorer: ScorerInfo,
    /// The byte ranges of the mention's text that were scored, when not the whole text (a
    /// mention naming several brands gives each its own part).
    pub span: Option<Vec<[usize; 2]>>,
}

/// What the emitter must do for one consumed record.
#[derive(Debug)]
pub enum Outputs {
    /// Nothing to produce: store the offset once earlier records are done.
    None,
    /// One scored mention per matched brand: `scores[i]` is the sentiment of
    /// `mention.matches[i]`.
    Scored {
        /// The matched mention (boxed: most records of a busy stream match no brand).
        mention: Box<MatchedMention>,
        /// One per matched brand, in the order of `mention.matches`.
        scores: Vec<BrandScore>,
        /// When it was scored.
        scored_at: DateTime<Utc>,
    },
    /// Send the record to the dead-letter topic.
    Dead(DeadLetter),
}

/// Score -> emit.
#[derive(Debug)]
pub struct Outbound {
    /// Where from.
    pub origin: Origin,
    /// What to produce.
    pub outputs: Outputs,
}
