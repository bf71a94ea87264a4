//! Canonical input: brandpulse's own mention JSON, exactly the serde form of [`Mention`]
//! (`docs/schemas/mention.schema.json`).
//!
//! Every record is deserialized once, typed, into a private mirror of [`Mention`] that keeps
//! `created_at` as text, so that it can be held to strict RFC 3339 (chrono's own
//! `Deserialize` also accepts relaxed forms such as `2024-05-01 12:00:00 +0000`). Then the
//! values are checked: non-empty `id` and `source`, an RFC 3339 `created_at`, and a `lang` of
//! 2 or 3 lowercase ASCII letters. Unknown fields are ignored, and an empty `text` is allowed.
//!
//! serde_json names a bad field only by line and column. So when the typed pass fails with a
//! data error (a missing, repeated or ill-typed field), and only then, the record is
//! deserialized again through [`serde_path_to_error`], which tracks where serde is, to name
//! the bad field, e.g. `author.followers` or `hashtags[2]`; the detail is serde's message.
//! That slow path runs on rejected records only, and the types are the one description of
//! the schema.

use super::{classify_json_error, join_path, DecodeError};
use crate::mention::{Author, Engagement, Mention, Reference};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::error::Category;
use serde_path_to_error::Segment;
use std::borrow::Cow;

/// Decodes one canonical mention.
///
/// # Errors
/// - [`DecodeError::InvalidJson`] when `json` is not JSON;
/// - [`DecodeError::MissingField`] with the field path (e.g. `text`, `reply_to.id`) when a
///   required field is absent;
/// - [`DecodeError::InvalidField`] with the field path when a field has the wrong type, or
///   when `id` or `source` is empty, `created_at` is not RFC 3339 or `lang` is not 2 or 3
///   lowercase ASCII letters. A record that is not an object reports the field `(root)`.
pub fn decode(json: &str) -> Result<Mention, DecodeError> {
    match serde_json::from_str::<Wire<'_>>(json) {
        Ok(wire) => wire.into_mention(),
        Err(err) => Err(explain(json, &err)),
    }
}

/// The wire form of [`Mention`]: the same fields and serde attributes, but `created_at` is
/// kept as text (borrowed when it has no escapes) and checked by [`Wire::into_mention`].
#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct Wire<'a> {
    id: String,
    text: String,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    source: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    engagement: Option<Engagement>,
    #[serde(default)]
    reply_to: Option<Reference>,
    #[serde(default)]
    repost_of: Option<Reference>,
    #[serde(default)]
    quote_of: Option<Reference>,
    #[serde(default)]
    hashtags: Vec<String>,
    #[serde(default)]
    user_mentions: Vec<String>,
}

impl Wire<'_> {
    /// Checks the values that the types alone do not constrain.
    fn into_mention(self) -> Result<Mention, DecodeError> {
        if self.id.trim().is_empty() {
            return Err(invalid("id", "must not be empty".into()));
        }
        let created_at = DateTime::parse_from_rfc3339(&self.created_at)
            .map_err(|e| {
                invalid(
                    "created_at",
                    format!(
                        "not an RFC 3339 timestamp ({e}): {}",
                        excerpt(&self.created_at)
                    ),
                )
            })?
            .with_timezone(&Utc);
        if self.source.trim().is_empty() {
            return Err(invalid("source", "must not be empty".into()));
        }
        if let Some(lang) = &self.lang {
            if !is_lang_code(lang) {
                return Err(invalid(
                    "lang",
                    format!(
                        "expected 2 or 3 lowercase ASCII letters (ISO 639), found {}",
                        excerpt(lang)
                    ),
                ));
            }
        }
        Ok(Mention {
            id: self.id,
            text: self.text,
            created_at,
            source: self.source,
            lang: self.lang,
            author: self.author,
            url: self.url,
            engagement: self.engagement,
            reply_to: self.reply_to,
            repost_of: self.repost_of,
            quote_of: self.quote_of,
            hashtags: self.hashtags,
            user_mentions: self.user_mentions,
        })
    }
}

/// Whether `lang` is 2 or 3 lowercase ASCII letters.
fn is_lang_code(lang: &str) -> bool {
    (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase())
}

fn invalid(field: &str, detail: String) -> DecodeError {
    DecodeError::InvalidField {
        field: field.into(),
        detail,
    }
}

/// The slow path: deserializes the rejected record again, tracking the path serde is at, and
/// names the field that failed.
fn explain(json: &str, err: &serde_json::Error) -> DecodeError {
    if err.classify() != Category::Data {
        return classify_json_error(err, "");
    }
    // serde's derived `Wire` would also take an array (its fields by position); a record
    // must be an object, so an array is rejected as a whole, not at its first item.
    if json.trim_start().starts_with('[') {
        return invalid(
            "(root)",
            "invalid type: sequence, expected an object".into(),
        );
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let Err(tracked) = serde_path_to_error::deserialize::<_, Wire<'_>>(&mut de) else {
        // Not reached: the same text fails the typed pass the same way twice.
        return classify_json_error(err, "");
    };
    // For a missing or repeated field the path is that of the object holding it, and serde's
    // message names the field.
    let path = field_path(tracked.path());
    let err = tracked.inner();
    let msg = err.to_string();
    if let Some(rest) = msg.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return invalid(&join_path(&path, name), msg);
    }
    classify_json_error(err, &path)
}

/// `path` written the way dead letters name fields: `author.followers`, `hashtags[2]`, and
/// the empty string for the record itself.
fn field_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => out = join_path(&out, key),
            Segment::Unknown => out = join_path(&out, "?"),
        }
    }
    out
}

/// `s` quoted for an error message, cut to 40 characters.
fn excerpt(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}...", &s[..cut]),
        None => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    /// What a rejected input must produce.
    enum Expect {
        Json,
        Missing(&'static str),
        /// Field path and a fragment of the detail.
        Invalid(&'static str, &'static str),
    }

    fn check(name: &str, input: &str, expect: &Expect) {
        let err = match decode(input) {
            Ok(m) => panic!("{name}: decoded, expected an error: {m:?}"),
            Err(err) => err,
        };
        match (expect, &err) {
            (Expect::Json, DecodeError::InvalidJson(_)) => {}
            (Expect::Missing(want), DecodeError::MissingField(got)) if want == got => {}
            (Expect::Invalid(want, fragment), DecodeError::InvalidField { field, detail })
                if want == field && detail.contains(fragment) => {}
            _ => panic!("{name}: unexpected error {err:?}"),
        }
    }

    /// A valid record with `extra` spliced in after the required fields.
    fn with(extra: &str) -> String {
        format!(
            r#"{{"id":"m-1","text":"hi","created_at":"2024-05-01T12:00:00Z","source":"news"{extra}}}"#
        )
    }

    #[test]
    fn rejects_each_kind_of_bad_record() {
        use Expect::*;
        let cases: Vec<(&str, String, Expect)> = vec![
            ("empty payload", String::new(), Json),
            ("truncated", r#"{"id":"m-1","text":"#.into(), Json),
            ("not json", "id=m-1".into(), Json),
            ("trailing garbage", format!("{} x", with("")), Json),
            ("array root", "[1,2]".into(), Invalid("(root)", "invalid type: sequence, expected an object")),
            ("string root", r#""m-1""#.into(), Invalid("(root)", r#"invalid type: string "m-1", expected an object"#)),
            (
                "missing id",
                r#"{"text":"hi","created_at":"2024-05-01T12:00:00Z","source":"news"}"#.into(),
                Missing("id"),
            ),
            (
                "missing text",
                r#"{"id":"m-1","created_at":"2024-05-01T12:00:00Z","source":"news"}"#.into(),
                Missing("text"),
            ),
            (
                "missing created_at",
                r#"{"id":"m-1","text":"hi","source":"news"}"#.into(),
                Missing("created_at"),
            ),
            (
                "missing source",
                r#"{"id":"m-1","text":"hi","created_at":"2024-05-01T12:00:00Z"}"#.into(),
                Missing("source"),
            ),
            (
                "missing reference id",
                with(r#","reply_to":{"author_handle":"x"}"#),
                Missing("reply_to.id"),
            ),
            (
                "numeric id",
                r#"{"id":17,"text":"hi","created_at":"2024-05-01T12:00:00Z","source":"news"}"#
                    .into(),
                Invalid("id", "invalid type: integer `17`, expected a string"),
            ),
            (
                "null text",
                r#"{"id":"m-1","text":null,"created_at":"2024-05-01T12:00:00Z","source":"news"}"#
                    .into(),
                Invalid("text", "invalid type: null, expected a string"),
            ),
            (
                "numeric created_at",
                r#"{"id":"m-1","text":"hi","created_at":1714564800,"source":"news"}"#.into(),
                Invalid("created_at", "invalid type: integer `1714564800`, expected a string"),
            ),
            (
                "string followers",
                with(r#","author":{"handle":"ana","followers":"x"}"#),
                Invalid("author.followers", r#"invalid type: string "x", expected i64"#),
            ),
            (
                "fractional followers",
                with(r#","author":{"followers":2.5}"#),
                Invalid("author.followers", "invalid type: floating point `2.5`, expected i64"),
            ),
            (
                "author created_at not RFC 3339",
                with(r#","author":{"created_at":"yesterday"}"#),
                Invalid("author.created_at", "input contains invalid characters"),
            ),
            (
                "fractional likes",
                with(r#","engagement":{"likes":1.5}"#),
                Invalid("engagement.likes", "invalid type: floating point `1.5`, expected u64"),
            ),
            (
                "author not an object",
                with(r#","author":"ana""#),
                Invalid("author", r#"invalid type: string "ana", expected struct Author"#),
            ),
            (
                "hashtag not a string",
                with(r#","hashtags":["a","b",3]"#),
                Invalid("hashtags[2]", "invalid type: integer `3`, expected a string"),
            ),
            (
                "null hashtags",
                with(r#","hashtags":null"#),
                Invalid("hashtags", "invalid type: null, expected a sequence"),
            ),
            (
                "numeric quote text",
                with(r#","quote_of":{"id":"q","text":5}"#),
                Invalid("quote_of.text", "invalid type: integer `5`, expected a string"),
            ),
            ("null root", "null".into(), Invalid("(root)", "invalid type: null")),
            (
                "duplicate nested key",
                with(r#","author":{"followers":1,"followers":2}"#),
                Invalid("author.followers", "duplicate field `followers`"),
            ),
            (
                "duplicate key",
                with(r#","id":"m-2""#),
                Invalid("id", "duplicate field `id`"),
            ),
            (
                "empty id",
                r#"{"id":"","text":"hi","created_at":"2024-05-01T12:00:00Z","source":"news"}"#
                    .into(),
                Invalid("id", "must not be empty"),
            ),
            (
                "blank id",
                r#"{"id":"  ","text":"hi","created_at":"2024-05-01T12:00:00Z","source":"news"}"#
                    .into(),
                Invalid("id", "must not be empty"),
            ),
            (
                "created_at not a time",
                r#"{"id":"m-1","text":"hi","created_at":"yesterday","source":"news"}"#.into(),
                Invalid("created_at", "not an RFC 3339 timestamp"),
            ),
            (
                "created_at without offset",
                r#"{"id":"m-1","text":"hi","created_at":"2024-05-01T12:00:00","source":"news"}"#
                    .into(),
                Invalid("created_at", "not an RFC 3339 timestamp"),
            ),
            (
                "created_at in Twitter form",
                r#"{"id":"m-1","text":"hi","created_at":"Wed Oct 10 20:19:24 +0000 2018","source":"news"}"#
                    .into(),
                Invalid("created_at", "Wed Oct 10"),
            ),
            (
                "created_at with relaxed offset",
                r#"{"id":"m-1","text":"hi","created_at":"2024-05-01T12:00:00 +0000","source":"news"}"#
                    .into(),
                Invalid("created_at", "not an RFC 3339 timestamp"),
            ),
            (
                "empty source",
                r#"{"id":"m-1","text":"hi","created_at":"2024-05-01T12:00:00Z","source":""}"#
                    .into(),
                Invalid("source", "must not be empty"),
            ),
            ("uppercase lang", with(r#","lang":"EN""#), Invalid("lang", "\"EN\"")),
            ("region lang", with(r#","lang":"pt-br""#), Invalid("lang", "lowercase")),
            ("one-letter lang", with(r#","lang":"e""#), Invalid("lang", "lowercase")),
            ("empty lang", with(r#","lang":"""#), Invalid("lang", "lowercase")),
            ("lang name", with(r#","lang":"english""#), Invalid("lang", "lowercase")),
        ];
        for (name, input, expect) in &cases {
            check(name, input, expect);
        }
    }

    #[test]
    fn decodes_a_full_record() {
        let json = r##"{
            "id": "rd-t3_1c9x2k",
            "text": "Switched to @acme_support's new plan, 10/10 #happy #acme",
            "created_at": "2024-05-01T14:30:15.250+02:00",
            "source": "reddit",
            "lang": "en",
            "author": {"id": "u-77", "handle": "ana", "followers": 1200},
            "url": "https://example.com/r/1c9x2k",
            "engagement": {"likes": 5, "shares": 1, "replies": 2},
            "reply_to": {"id": "rd-t3_1c9x00", "author_handle": "bo"},
            "repost_of": {"id": "rd-t3_1c8aaa"},
            "quote_of": {"id": "rd-t3_1c7bbb", "text": "Acme raises prices", "author_handle": "news"},
            "hashtags": ["happy", "acme"],
            "user_mentions": ["acme_support"],
            "ignored_extension": {"nested": [1, 2, 3]}
        }"##;
        let expected = Mention {
            id: "rd-t3_1c9x2k".into(),
            text: "Switched to @acme_support's new plan, 10/10 #happy #acme".into(),
            created_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 15).unwrap()
                + chrono::Duration::milliseconds(250),
            source: "reddit".into(),
            lang: Some("en".into()),
            author: Some(Author {
                id: Some("u-77".into()),
                handle: Some("ana".into()),
                followers: Some(1200),
                ..Author::default()
            }),
            url: Some("https://example.com/r/1c9x2k".into()),
            engagement: Some(Engagement {
                likes: 5,
                shares: 1,
                replies: 2,
            }),
            reply_to: Some(Reference {
                id: "rd-t3_1c9x00".into(),
                text: None,
                author_handle: Some("bo".into()),
            }),
            repost_of: Some(Reference {
                id: "rd-t3_1c8aaa".into(),
                text: None,
                author_handle: None,
            }),
            quote_of: Some(Reference {
                id: "rd-t3_1c7bbb".into(),
                text: Some("Acme raises prices".into()),
                author_handle: Some("news".into()),
            }),
            hashtags: vec!["happy".into(), "acme".into()],
            user_mentions: vec!["acme_support".into()],
        };
        assert_eq!(decode(json).unwrap(), expected);
    }

    #[test]
    fn accepts_lenient_but_valid_records() {
        let cases: Vec<(&str, String)> = vec![
            ("minimal", with("")),
            ("empty text", with("").replace(r#""hi""#, r#""""#)),
            (
                "explicit nulls",
                with(r#","lang":null,"author":null,"url":null,"engagement":null,"reply_to":null"#),
            ),
            ("empty author", with(r#","author":{}"#)),
            // Absurd values are kept as given; the screen stage treats them as unknown and
            // counts them (`docs/screening.md`), so the mention is not lost.
            (
                "absurd author fields",
                with(
                    r#","author":{"followers":-3,"following":-1,"posts":-9,"created_at":"2999-01-01T00:00:00Z"}"#,
                ),
            ),
            ("null followers", with(r#","author":{"followers":null}"#)),
            ("three-letter lang", with(r#","lang":"fil""#)),
            ("undetermined lang", with(r#","lang":"und""#)),
            (
                "escaped created_at",
                with("").replace("12:00:00Z", r"12:00:00\u005a"),
            ),
            ("space-separated created_at", with("").replace("T12", " 12")),
            ("unknown fields", with(r#","score":0.5,"tags":{"a":1}"#)),
        ];
        for (name, input) in &cases {
            if let Err(err) = decode(input) {
                panic!("{name}: {err:?}");
            }
        }
        let minimal = decode(&with("")).unwrap();
        assert_eq!(minimal.lang, None);
        assert_eq!(minimal.author, None);
        assert!(minimal.hashtags.is_empty());
        assert_eq!(minimal.reach(), 0);
        let negative = decode(&with(r#","author":{"followers":-3}"#)).unwrap();
        assert_eq!(negative.reach(), 0, "a negative follower count is no reach");
    }

    /// A `Mention` with every field set; a new field in `Mention` breaks this literal, which is
    /// the reminder to extend `Wire` and the schema.
    fn full_mention() -> Mention {
        Mention {
            id: "1790000000000000001".into(),
            text: "Ça marche enfin 🎉 \"quoted\" \\ back\nslash".into(),
            created_at: Utc.with_ymd_and_hms(2024, 5, 14, 8, 0, 1).unwrap(),
            source: "twitter".into(),
            lang: Some("fr".into()),
            author: Some(Author {
                id: Some("42".into()),
                handle: Some("marie".into()),
                followers: Some(i64::MAX),
                following: Some(-1),
                posts: Some(12),
                created_at: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
                default_profile: Some(true),
                default_profile_image: Some(false),
                verified: Some(false),
                dropped: Vec::new(),
            }),
            url: Some("https://twitter.com/marie/status/1790000000000000001".into()),
            engagement: Some(Engagement {
                likes: 1,
                shares: 2,
                replies: 3,
            }),
            reply_to: Some(Reference {
                id: "r".into(),
                text: None,
                author_handle: Some("a".into()),
            }),
            repost_of: Some(Reference {
                id: "o".into(),
                text: None,
                author_handle: None,
            }),
            quote_of: Some(Reference {
                id: "q".into(),
                text: Some("quoted".into()),
                author_handle: Some("b".into()),
            }),
            hashtags: vec!["enfin".into()],
            user_mentions: vec!["acme".into()],
        }
    }

    #[test]
    fn round_trips_the_serde_form_of_mention() {
        let mention = full_mention();
        let json = serde_json::to_string(&mention).unwrap();
        assert_eq!(decode(&json).unwrap(), mention);
    }

    const MENTION_SCHEMA: &str = include_str!("../../docs/schemas/mention.schema.json");

    #[test]
    fn schema_requires_exactly_the_required_fields() {
        let schema: Value = serde_json::from_str(MENTION_SCHEMA).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(required, ["id", "text", "created_at", "source"]);
    }

    #[test]
    fn schema_describes_every_serialized_field() {
        let schema: Value = serde_json::from_str(MENTION_SCHEMA).unwrap();
        let mut in_schema: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        in_schema.sort_unstable();
        let serialized = serde_json::to_value(full_mention()).unwrap();
        let mut in_serde: Vec<&str> = serialized
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        in_serde.sort_unstable();
        assert_eq!(in_schema, in_serde);
    }

    const VALID: &str = include_str!("../../tests/data/canonical/valid.jsonl");
    const INVALID: &str = include_str!("../../tests/data/canonical/invalid.jsonl");

    #[test]
    fn valid_fixture_lines_decode() {
        let mut langs = Vec::new();
        for (n, line) in VALID.lines().enumerate() {
            match decode(line) {
                Ok(m) => langs.push(m.lang),
                Err(err) => panic!("valid.jsonl line {}: {err:?}", n + 1),
            }
        }
        assert_eq!(langs.len(), 5);
        langs.dedup();
        assert!(langs.len() > 3, "fixtures should be multilingual");
    }

    /// `tests/data/canonical/invalid.jsonl`, one line per kind of bad input, in this order.
    #[test]
    fn invalid_fixture_lines_are_rejected_for_their_reason() {
        use Expect::*;
        let expected = [
            Json,
            Missing("text"),
            Invalid(
                "author.followers",
                r#"invalid type: string "1.2k", expected i64"#,
            ),
            Invalid("created_at", "not an RFC 3339 timestamp"),
            Invalid("id", "must not be empty"),
            Invalid("source", "must not be empty"),
            Invalid("lang", "lowercase"),
        ];
        let lines: Vec<&str> = INVALID.lines().collect();
        assert_eq!(lines.len(), expected.len());
        for (n, (line, expect)) in lines.iter().zip(&expected).enumerate() {
            check(&format!("invalid.jsonl line {}", n + 1), line, expect);
        }
    }
}
