//! Stage 4: emit. Scored mentions go to the output topic keyed by brand id; rejected records
//! go to the dead-letter topic with headers that say why and where they came from.
//!
//! The synchronous core builds and encodes records ([`scored_records`], [`encode_scored`],
//! [`dead_letter_headers`]); [`kafka::Emitter`] produces them, waits for acknowledgements and
//! only then lets the [`offsets::OffsetTracker`] store the consumed offset.

pub mod kafka;
pub mod offsets;

use chrono::{DateTime, Utc};
use rdkafka::message::{Header, OwnedHeaders};

use crate::ingest::DecodeError;
use crate::mention::{MatchedMention, ScoredMention, ScorerInfo, Sentiment, SCORED_SCHEMA_VERSION};

/// Errors of the emit stage.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A scored mention could not be serialised (should not happen).
    #[error("encoding a scored mention: {0}")]
    Encode(#[from] serde_json::Error),
    /// The producer could not be created.
    #[error("creating the Kafka producer: {0}")]
    CreateProducer(rdkafka::error::KafkaError),
    /// Committing the final offsets failed.
    #[error("committing offsets: {0}")]
    Commit(rdkafka::error::KafkaError),
}

/// A record that could not be decoded, on its way to the dead-letter topic.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The original record key.
    pub key: Option<Vec<u8>>,
    /// The original payload, byte for byte.
    pub payload: Option<Vec<u8>>,
    /// Why it was rejected.
    pub error: DecodeError,
}

/// Header names on dead letters.
pub mod headers {
    /// Bounded reason, e.g. `invalid_json` (same as the metric label).
    pub const REASON: &str = "brandpulse-reason";
    /// Human-readable detail.
    pub const ERROR: &str = "brandpulse-error";
    /// Input topic.
    pub const SOURCE_TOPIC: &str = "brandpulse-source-topic";
    /// Input partition (decimal).
    pub const SOURCE_PARTITION: &str = "brandpulse-source-partition";
    /// Input offset (decimal).
    pub const SOURCE_OFFSET: &str = "brandpulse-source-offset";
    /// Input format the record was decoded as.
    pub const FORMAT: &str = "brandpulse-format";
}

/// Headers that explain a dead letter.
pub fn dead_letter_headers(
    dl: &DeadLetter,
    topic: &str,
    partition: i32,
    offset: i64,
    format: &str,
) -> OwnedHeaders {
    let detail = dl.error.to_string();
    let partition = partition.to_string();
    let offset = offset.to_string();
    OwnedHeaders::new_with_capacity(6)
        .insert(Header {
            key: headers::REASON,
            value: Some(dl.error.reason()),
        })
        .insert(Header {
            key: headers::ERROR,
            value: Some(&detail),
        })
        .insert(Header {
            key: headers::SOURCE_TOPIC,
            value: Some(topic),
        })
        .insert(Header {
            key: headers::SOURCE_PARTITION,
            value: Some(&partition),
        })
        .insert(Header {
            key: headers::SOURCE_OFFSET,
            value: Some(&offset),
        })
        .insert(Header {
            key: headers::FORMAT,
            value: Some(format),
        })
}

/// The sentiment of one mention, with the language it was scored in.
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

/// One output record per brand the mention matched.
pub fn scored_records(
    matched: &MatchedMention,
    scored: &ScoredText,
    scorer: &ScorerInfo,
    processed_at: DateTime<Utc>,
) -> Vec<ScoredMention> {
    let m = &matched.mention;
    matched
        .matches
        .iter()
        .map(|b| ScoredMention {
            schema_version: SCORED_SCHEMA_VERSION,
            mention_id: m.id.clone(),
            brand: b.brand.clone(),
            topics: b.topics.clone(),
            terms: b.terms.clone(),
            sentiment: scored.sentiment,
            lang: scored.lang.clone(),
            lang_detected: scored.lang_detected,
            scorer: scorer.clone(),
            degraded: scored.degraded,
            source: m.source.clone(),
            text: m.text.clone(),
            created_at: m.created_at,
            processed_at,
            reach: m.reach(),
            author_handle: m.author.as_ref().and_then(|a| a.handle.clone()),
            url: m.url.clone(),
            repost_of: m.repost_of.as_ref().map(|r| r.id.clone()),
            reply_to: m.reply_to.as_ref().map(|r| r.id.clone()),
            quote_of: m.quote_of.as_ref().map(|r| r.id.clone()),
        })
        .collect()
}

/// Serialises a scored mention as one line of JSON.
///
/// # Errors
/// [`EmitError::Encode`], which cannot happen for the types involved.
pub fn encode_scored(s: &ScoredMention) -> Result<Vec<u8>, EmitError> {
    Ok(serde_json::to_vec(s)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::{Author, BrandMatch, Mention, SentimentLabel};
    use rdkafka::message::Headers;

    #[test]
    fn one_record_per_brand() {
        let mention = Mention {
            id: "m1".into(),
            text: "acme and globex".into(),
            created_at: Utc::now(),
            source: "twitter".into(),
            lang: None,
            author: Some(Author {
                id: None,
                handle: Some("bob".into()),
                followers: 42,
            }),
            url: None,
            engagement: None,
            reply_to: None,
            repost_of: None,
            quote_of: None,
            hashtags: vec![],
            user_mentions: vec![],
        };
        let matched = MatchedMention {
            mention,
            matches: vec![
                BrandMatch {
                    brand: "acme".into(),
                    topics: vec!["brand".into()],
                    terms: vec!["acme".into()],
                },
                BrandMatch {
                    brand: "globex".into(),
                    topics: vec!["brand".into()],
                    terms: vec!["globex".into()],
                },
            ],
        };
        let scored = ScoredText {
            sentiment: Sentiment {
                label: SentimentLabel::Positive,
                score: 0.5,
                confidence: 0.75,
            },
            lang: "en".into(),
            lang_detected: true,
            degraded: false,
        };
        let info = ScorerInfo {
            name: "lexicon".into(),
            version: "1".into(),
        };
        let recs = scored_records(&matched, &scored, &info, Utc::now());
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].brand, "globex");
        assert_eq!(recs[0].reach, 42);
        let json: serde_json::Value =
            serde_json::from_slice(&encode_scored(&recs[0]).unwrap()).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["sentiment"]["label"], "positive");
        assert_eq!(json["author_handle"], "bob");
    }

    #[test]
    fn dead_letter_headers_say_why_and_where() {
        let dl = DeadLetter {
            key: None,
            payload: Some(b"{".to_vec()),
            error: DecodeError::InvalidJson("EOF".into()),
        };
        let h = dead_letter_headers(&dl, "mentions", 3, 77, "canonical");
        let get = |name: &str| {
            h.iter()
                .find(|x| x.key == name)
                .and_then(|x| x.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(get(headers::REASON).as_deref(), Some("invalid_json"));
        assert_eq!(get(headers::SOURCE_TOPIC).as_deref(), Some("mentions"));
        assert_eq!(get(headers::SOURCE_PARTITION).as_deref(), Some("3"));
        assert_eq!(get(headers::SOURCE_OFFSET).as_deref(), Some("77"));
    }
}
