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

/// A stream message that is not a mention: Twitter's streaming API interleaves notices
/// (`{"delete": ...}`, `{"limit": ...}`, ...) with tweets. They are not bad records: they are
/// counted by kind, and a deletion is passed on to the scored topic so that downstream
/// services can remove the post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What it says.
    pub kind: NoticeKind,
    /// The post it is about (`delete`, `scrub_geo`, `status_withheld`), when it names one.
    pub mention_id: Option<String>,
}

/// Kinds of stream notices (Twitter API v1.1 streaming message types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A post was deleted: `{"delete": {"status": {"id_str": ...}}}`.
    Delete,
    /// Location data was removed from an author's posts.
    ScrubGeo,
    /// The stream matched more posts than it delivered.
    Limit,
    /// A post is withheld in some countries.
    StatusWithheld,
    /// An author is withheld in some countries.
    UserWithheld,
    /// The stream is about to be closed.
    Disconnect,
    /// A stall warning.
    Warning,
}

impl NoticeKind {
    /// Every kind, in label order.
    pub const ALL: [NoticeKind; 7] = [
        NoticeKind::Delete,
        NoticeKind::ScrubGeo,
        NoticeKind::Limit,
        NoticeKind::StatusWithheld,
        NoticeKind::UserWithheld,
        NoticeKind::Disconnect,
        NoticeKind::Warning,
    ];

    /// The message's top-level key, also the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Delete => "delete",
            NoticeKind::ScrubGeo => "scrub_geo",
            NoticeKind::Limit => "limit",
            NoticeKind::StatusWithheld => "status_withheld",
            NoticeKind::UserWithheld => "user_withheld",
            NoticeKind::Disconnect => "disconnect",
            NoticeKind::Warning => "warning",
        }
    }

    /// The kind whose top-level key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

/// What one input record decodes to.
#[derive(Debug, Clone, PartialEq)]
// Nearly every record is a mention: boxing it would allocate per record to shrink the rare
// notice.
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    /// A post, comment or article.
    Mention(Mention),
    /// A stream notice.
    Notice(Notice),
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
    /// The mention or notice, or why the record was rejected.
    pub result: Result<Decoded, DeadLetter>,
}

/// What the matcher made of a decoded record.
#[derive(Debug)]
// As `Decoded`: the large variant is the common one.
#[allow(clippy::large_enum_variant)]
pub enum Routed {
    /// A mention that matched no brand.
    Unmatched,
    /// A mention and the brands it matched.
    Matched(MatchedMention),
    /// A stream notice, passed on to the emitter.
    Notice(Notice),
}

/// Matcher -> score.
#[derive(Debug)]
pub struct Matched {
    /// Where from.
    pub origin: Origin,
    /// The matched mention, no match, a notice, or why the record was rejected.
    pub result: Result<Routed, DeadLetter>,
    /// A post by one of a brand's own handles (matched or not).
    pub own_post: Option<OwnPost>,
}

/// A post by one of a brand's `own_handles`: never an inbox item for that brand, and when it
/// replies to a mention, the brand's answer to it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnPost {
    /// The brand whose handle posted it.
    pub brand: String,
    /// The mention it replies to, if it is a reply.
    pub reply_to: Option<String>,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
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
    /// How much it reads as a complaint to the encoder (zero-shot margin, above 0: more a
    /// complaint than anything else described); `None` from the lexicon.
    pub complaint_margin: Option<f32>,
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
    /// A stream notice: a deletion becomes deletion records on the scored topic.
    Notice(Notice),
}

/// Score -> emit.
#[derive(Debug)]
pub struct Outbound {
    /// Where from.
    pub origin: Origin,
    /// What to produce.
    pub outputs: Outputs,
    /// A post by one of a brand's own handles (passed on from the match stage).
    pub own_post: Option<OwnPost>,
}
