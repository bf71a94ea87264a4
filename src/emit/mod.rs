//! Stage 4: emit. Scored mentions go to the output topic keyed by brand id; rejected records
//! go to the dead-letter topic with headers that say why and where they came from.
//!
//! The synchronous core builds and encodes records ([`scored_records`], [`encode_scored`],
//! [`dead_letter_headers`]); [`kafka::Emitter`] produces them, waits for acknowledgements and
//! only then completes the consumed record through its [`Offsets`](crate::record::offsets::Offsets)
//! handle, which stores the offset.

pub mod deletions;
pub mod events;
pub mod failure;
pub mod kafka;

use chrono::{DateTime, Utc};
use rdkafka::message::{Header, OwnedHeaders};

use crate::intent;
use crate::mention::{MatchedMention, ScoredMention, SCORED_SCHEMA_VERSION};
use crate::record::{BrandScore, DeadLetter, OwnPost};

/// Errors of the emit stage.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A scored mention could not be serialised (should not happen).
    #[error("encoding a scored mention: {0}")]
    Encode(#[from] serde_json::Error),
    /// The producer could not be created.
    #[error(transparent)]
    Client(#[from] crate::kafka::ClientError),
}

/// Header names on dead letters.
pub mod headers {
    /// Bounded reason, e.g. `invalid_json` (same as the metric label).
    pub const REASON: &str = "brandpulse-reason";
    /// Human-readable detail (at most [`super::MAX_DETAIL_BYTES`]).
    pub const ERROR: &str = "brandpulse-error";
    /// Input topic.
    pub const SOURCE_TOPIC: &str = "brandpulse-source-topic";
    /// Input partition (decimal).
    pub const SOURCE_PARTITION: &str = "brandpulse-source-partition";
    /// Input offset (decimal).
    pub const SOURCE_OFFSET: &str = "brandpulse-source-offset";
    /// Input format the record was decoded as.
    pub const FORMAT: &str = "brandpulse-format";
    /// For an output Kafka refused: the topic it was meant for.
    pub const OUTPUT_TOPIC: &str = "brandpulse-output-topic";
    /// Present when key or payload was cut to fit: `prefix` or `headers-only`.
    pub const TRUNCATED: &str = "brandpulse-truncated";
    /// Size in bytes of the original payload (when cut).
    pub const ORIGINAL_SIZE: &str = "brandpulse-original-size";
    /// Size in bytes of the original key (when cut).
    pub const ORIGINAL_KEY_SIZE: &str = "brandpulse-original-key-size";
    /// Lower-case hex SHA-256 of the original payload (when cut).
    pub const ORIGINAL_SHA256: &str = "brandpulse-original-sha256";
}

/// The `brandpulse-error` header is cut to this many bytes.
pub const MAX_DETAIL_BYTES: usize = 1024;

/// Room left in a record for what librdkafka adds around key, payload and headers.
const RECORD_OVERHEAD: usize = 512;

/// A record on its way to the dead-letter topic: what it was, where it came from, why.
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'a> {
    /// Bounded reason label.
    pub reason: &'a str,
    /// Human-readable detail.
    pub detail: &'a str,
    /// The original key.
    pub key: Option<&'a [u8]>,
    /// The original payload (an input record, or an output Kafka refused).
    pub payload: Option<&'a [u8]>,
    /// Input topic.
    pub topic: &'a str,
    /// Input partition.
    pub partition: i32,
    /// Input offset.
    pub offset: i64,
    /// Input format.
    pub format: &'a str,
    /// For a refused output, the topic it was meant for.
    pub output_topic: Option<&'a str>,
}

/// A dead letter ready to produce.
#[derive(Debug, Clone)]
pub struct DeadLetterRecord {
    /// Key (the original, or a prefix of it).
    pub key: Option<Vec<u8>>,
    /// Payload (the original, or a prefix of it).
    pub payload: Option<Vec<u8>>,
    /// Headers that say why and where from, and what was cut.
    pub headers: OwnedHeaders,
}

/// Builds a dead letter in the form `cut`, within `max_message_bytes`: a key and payload that
/// do not fit are cut to a prefix, and the headers then carry the original sizes and the
/// payload's SHA-256 so the original can be found (at its source topic, partition, offset).
pub fn dead_letter_record(
    r: &Rejected<'_>,
    cut: failure::Cut,
    max_message_bytes: usize,
) -> DeadLetterRecord {
    use failure::Cut;
    let detail = truncate_str(r.detail, MAX_DETAIL_BYTES);
    let partition = r.partition.to_string();
    let offset = r.offset.to_string();
    let mut list: Vec<(&str, String)> = vec![
        (headers::REASON, r.reason.to_string()),
        (headers::ERROR, detail.to_string()),
        (headers::SOURCE_TOPIC, r.topic.to_string()),
        (headers::SOURCE_PARTITION, partition),
        (headers::SOURCE_OFFSET, offset),
        (headers::FORMAT, r.format.to_string()),
    ];
    if let Some(t) = r.output_topic {
        list.push((headers::OUTPUT_TOPIC, t.to_string()));
    }
    let key = r.key.unwrap_or_default();
    let payload = r.payload.unwrap_or_default();
    // Each header costs its name, its value and a few bytes of framing.
    let header_bytes =
        |l: &[(&str, String)]| l.iter().map(|(k, v)| k.len() + v.len() + 16).sum::<usize>();
    // The cut headers are added up front in the budget, so a cut record always fits.
    let cut_headers = 5 * 16 + 128 + headers::ORIGINAL_SHA256.len() + 64;
    let budget =
        max_message_bytes.saturating_sub(header_bytes(&list) + cut_headers + RECORD_OVERHEAD);
    let (key_keep, payload_keep) = match cut {
        Cut::Whole if key.len() + payload.len() <= budget => (key.len(), payload.len()),
        Cut::Whole => {
            let k = key.len().min(failure::PREFIX_BYTES).min(budget);
            (k, payload.len().min(budget - k))
        }
        Cut::Prefix => (
            key.len().min(failure::PREFIX_BYTES / 4),
            payload.len().min(failure::PREFIX_BYTES),
        ),
        Cut::HeadersOnly => (0, 0),
    };
    let truncated = key_keep < key.len() || payload_keep < payload.len() || cut == Cut::HeadersOnly;
    if truncated {
        let form = if cut == Cut::HeadersOnly {
            "headers-only"
        } else {
            "prefix"
        };
        list.push((headers::TRUNCATED, form.to_string()));
        list.push((headers::ORIGINAL_SIZE, payload.len().to_string()));
        list.push((headers::ORIGINAL_KEY_SIZE, key.len().to_string()));
        list.push((headers::ORIGINAL_SHA256, sha256_hex(payload)));
    }
    let mut h = OwnedHeaders::new_with_capacity(list.len());
    for (k, v) in &list {
        h = h.insert(Header {
            key: k,
            value: Some(v.as_str()),
        });
    }
    let headers_only = cut == Cut::HeadersOnly;
    DeadLetterRecord {
        key: r
            .key
            .filter(|_| !headers_only)
            .map(|k| k[..key_keep].to_vec()),
        payload: r
            .payload
            .filter(|_| !headers_only)
            .map(|p| p[..payload_keep].to_vec()),
        headers: h,
    }
}

fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Headers that explain a dead letter (the uncut form).
pub fn dead_letter_headers(
    dl: &DeadLetter,
    topic: &str,
    partition: i32,
    offset: i64,
    format: &str,
) -> OwnedHeaders {
    let detail = dl.error.to_string();
    dead_letter_record(
        &Rejected {
            reason: dl.error.reason(),
            detail: &detail,
            key: None,
            payload: None,
            topic,
            partition,
            offset,
            format,
            output_topic: None,
        },
        failure::Cut::Whole,
        usize::MAX / 2,
    )
    .headers
}

/// The part of `text` that was scored for a brand (`span`: byte ranges), or all of it.
fn scored_text<'a>(text: &'a str, span: Option<&[[usize; 2]]>) -> std::borrow::Cow<'a, str> {
    match span {
        Some(ranges) => ranges
            .iter()
            .filter_map(|[a, b]| text.get(*a..*b))
            .collect::<Vec<_>>()
            .join(" ")
            .into(),
        None => text.into(),
    }
}

/// The output records of a scored mention: one per matched brand, `scores[i]` being the
/// sentiment of `matched.matches[i]` (a brand without a score gets no record).
pub fn scored_records(
    matched: &MatchedMention,
    scores: &[BrandScore],
    processed_at: DateTime<Utc>,
) -> Vec<ScoredMention> {
    let m = &matched.mention;
    let screened = &matched.screening.brands;
    let mut stream = String::new();
    matched
        .matches
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (b, s))| ScoredMention {
            schema_version: SCORED_SCHEMA_VERSION,
            mention_id: m.id.clone(),
            brand: b.brand.clone(),
            topics: b.topics.clone(),
            terms: b.terms.clone(),
            sentiment: s.scored.sentiment,
            lang: s.scored.lang.clone(),
            lang_detected: s.scored.lang_detected,
            scorer: s.scorer.clone(),
            degraded: s.scored.degraded,
            scored_spans: s.span.clone(),
            source: m.source.clone(),
            text: m.text.clone(),
            created_at: m.created_at,
            processed_at,
            reach: m.reach(),
            impact: matched.screening.impact,
            automation: matched.screening.automation.clone(),
            spam: matched.screening.spam.clone(),
            campaign: screened.get(i).and_then(|b| b.campaign.clone()),
            excluded: screened.get(i).and_then(|b| b.excluded),
            intent: Some(intent::classify(
                &intent::Post {
                    text: &scored_text(&m.text, s.span.as_deref()),
                    sentiment: s.scored.sentiment,
                    repost: m.repost_of.is_some(),
                    impact: matched.screening.impact,
                    age_hours: (processed_at - m.created_at).num_seconds() as f64 / 3600.0,
                    complaint_margin: s.scored.complaint_margin,
                },
                &mut stream,
            )),
            author_handle: m.author.as_ref().and_then(|a| a.handle.clone()),
            url: m.url.clone(),
            repost_of: m.repost_of.as_ref().map(|r| r.id.clone()),
            reply_to: m.reply_to.as_ref().map(|r| r.id.clone()),
            quote_of: m.quote_of.as_ref().map(|r| r.id.clone()),
        })
        .collect()
}

/// A brand's own post (`own_post`, from one of its `own_handles`) never needs that brand's
/// response, whatever its words: its records for that brand say so, so neither the inbox nor
/// the live page lists it.
pub fn mark_own_post(scored: &mut [ScoredMention], own_post: Option<&OwnPost>) {
    let Some(own) = own_post else {
        return;
    };
    for s in scored.iter_mut().filter(|s| s.brand == own.brand) {
        if let Some(intent) = s.intent.as_mut() {
            intent.needs_response = false;
            intent.priority = None;
        }
    }
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
    use crate::mention::{Author, BrandMatch, Mention, ScorerInfo, Sentiment, SentimentLabel};
    use crate::record::{DecodeError, ScoredText};
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
                handle: Some("bob".into()),
                followers: Some(42),
                ..Author::default()
            }),
            url: None,
            engagement: None,
            reply_to: None,
            repost_of: None,
            quote_of: None,
            hashtags: vec![],
            user_mentions: vec![],
        };
        let matched = MatchedMention::new(
            mention,
            vec![
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
        );
        let scored = ScoredText {
            sentiment: Sentiment {
                label: SentimentLabel::Positive,
                score: 0.5,
                confidence: 0.75,
            },
            lang: "en".into(),
            lang_detected: true,
            degraded: false,
            complaint_margin: None,
        };
        let info = ScorerInfo {
            name: "lexicon".into(),
            version: "1".into(),
        };
        let whole = BrandScore {
            scored,
            scorer: info,
            span: None,
        };
        let recs = scored_records(&matched, &[whole.clone(), whole], Utc::now());
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].brand, "globex");
        assert_eq!(recs[0].reach, 42);
        let json: serde_json::Value =
            serde_json::from_slice(&encode_scored(&recs[0]).unwrap()).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["sentiment"]["label"], "positive");
        assert_eq!(json["author_handle"], "bob");
    }

    fn header(h: &OwnedHeaders, name: &str) -> Option<String> {
        h.iter()
            .find(|x| x.key == name)
            .and_then(|x| x.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    fn rejected<'a>(key: &'a [u8], payload: &'a [u8], detail: &'a str) -> Rejected<'a> {
        Rejected {
            reason: "invalid_json",
            detail,
            key: Some(key),
            payload: Some(payload),
            topic: "mentions",
            partition: 2,
            offset: 41,
            format: "canonical",
            output_topic: None,
        }
    }

    fn record_size(r: &DeadLetterRecord) -> usize {
        let h: usize = r
            .headers
            .iter()
            .map(|x| x.key.len() + x.value.map_or(0, <[u8]>::len))
            .sum();
        r.key.as_ref().map_or(0, Vec::len) + r.payload.as_ref().map_or(0, Vec::len) + h
    }

    #[test]
    fn small_dead_letters_are_kept_whole() {
        let r = dead_letter_record(&rejected(b"k", b"{", "EOF"), failure::Cut::Whole, 10_000);
        assert_eq!(r.payload.as_deref(), Some(&b"{"[..]));
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(header(&r.headers, headers::TRUNCATED), None);
    }

    #[test]
    fn large_dead_letters_are_cut_to_fit_and_say_so() {
        let payload = vec![b'x'; 1_100_000];
        let key = vec![b'k'; 5000];
        let detail = "d".repeat(100_000);
        let max = 1_000_000;
        let r = dead_letter_record(&rejected(&key, &payload, &detail), failure::Cut::Whole, max);
        assert!(
            record_size(&r) + RECORD_OVERHEAD <= max,
            "{}",
            record_size(&r)
        );
        assert_eq!(
            header(&r.headers, headers::TRUNCATED).as_deref(),
            Some("prefix")
        );
        assert_eq!(
            header(&r.headers, headers::ORIGINAL_SIZE).as_deref(),
            Some("1100000")
        );
        assert_eq!(
            header(&r.headers, headers::ORIGINAL_KEY_SIZE).as_deref(),
            Some("5000")
        );
        assert_eq!(
            header(&r.headers, headers::SOURCE_OFFSET).as_deref(),
            Some("41")
        );
        assert_eq!(
            header(&r.headers, headers::ERROR).map(|e| e.len()),
            Some(MAX_DETAIL_BYTES)
        );
        let sha = header(&r.headers, headers::ORIGINAL_SHA256).unwrap();
        assert_eq!(sha, sha256_hex(&payload));
        assert_eq!(sha.len(), 64);
        assert!(r.payload.as_ref().unwrap().len() > 900_000);
        // Smaller forms after a broker refusal.
        let p = dead_letter_record(&rejected(&key, &payload, "e"), failure::Cut::Prefix, max);
        assert_eq!(
            p.payload.as_ref().map(Vec::len),
            Some(failure::PREFIX_BYTES)
        );
        let h = dead_letter_record(
            &rejected(&key, &payload, "e"),
            failure::Cut::HeadersOnly,
            max,
        );
        assert!(h.payload.is_none() && h.key.is_none());
        assert_eq!(
            header(&h.headers, headers::TRUNCATED).as_deref(),
            Some("headers-only")
        );
    }

    #[test]
    fn detail_is_cut_on_a_char_boundary() {
        let detail = "é".repeat(2000);
        let r = dead_letter_record(&rejected(b"", b"", &detail), failure::Cut::Whole, 1 << 20);
        let e = header(&r.headers, headers::ERROR).unwrap();
        assert!(e.len() <= MAX_DETAIL_BYTES && e.chars().all(|c| c == 'é'));
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
