//! Twitter API v1.1 tweets (REST in compatibility or extended mode, and the streaming API).
//!
//! Only the parts of the Tweet object that a [`Mention`] needs are read; every other field is
//! skipped. The mapping:
//!
//! - `text` is `extended_tweet.full_text` when present, else `full_text` (REST extended mode),
//!   else `text`; hashtags and user mentions come from the entities that go with that text
//!   (`extended_tweet.entities`, else `entities`). Twitter escapes `&`, `<` and `>` in tweet
//!   text as `&amp;`, `&lt;` and `&gt;`; these are unescaped.
//! - A retweet (`retweeted_status` present) keeps its own id, author, time, counts and URL,
//!   but takes its text, entities and quote from the original, whose id and author become
//!   `repost_of`.
//! - A quote tweet keeps only its own text; the quoted tweet's id, full text and author become
//!   `quote_of` (just the id, from `quoted_status_id_str`, when the quoted tweet is withheld).
//! - A reply gets `reply_to` from `in_reply_to_status_id_str` and `in_reply_to_screen_name`.
//! - `created_at` comes from `timestamp_ms` (streaming API; string or number) when present,
//!   else from `created_at` (`Wed Oct 10 20:19:24 +0000 2018`).
//! - `lang` keeps the primary language subtag, lowercased; `und` (undetermined) and the other
//!   codes that name no language (`zxx`, `mul`, `mis`, `qaa`..`qtz` such as `qme`) become
//!   `None`.
//! - `url` is `https://twitter.com/{screen_name}/status/{id_str}`; engagement comes from
//!   `favorite_count`, `retweet_count` and `reply_count`, 0 when absent or null.
//!
//! Stream messages that are not tweets (`delete`, `scrub_geo`, `limit`, `status_withheld`,
//! `user_withheld`, `disconnect`, `warning`: an object with no `id_str` whose one top-level key
//! names the kind) are [`Notice`]s ([`decode_record`]), not errors; a deletion carries the
//! deleted post's id.

use super::{classify_json_error, join_path, DecodeError};
use crate::mention::{Author, Engagement, Mention, Reference};
use crate::record::{Decoded, Notice, NoticeKind};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// The `source` of every mention decoded here.
const SOURCE: &str = "twitter";

/// Layout of the v1.1 `created_at` field, for chrono.
const CREATED_AT_FORMAT: &str = "%a %b %d %H:%M:%S %z %Y";

/// Decodes one Twitter API v1.1 tweet.
///
/// # Errors
/// - [`DecodeError::InvalidJson`] when `json` is not JSON;
/// - [`DecodeError::MissingField`] for a missing `id_str` (`retweeted_status.id_str` for the
///   original of a retweet), no text at all (`text`, or `retweeted_status.text`), or neither
///   `timestamp_ms` nor `created_at`;
/// - [`DecodeError::InvalidField`] for an empty `id_str`, an unreadable `timestamp_ms` or
///   `created_at`, or a field of the wrong type (serde_json's message, field `(root)`).
pub fn decode(json: &str) -> Result<Mention, DecodeError> {
    match decode_record(json)? {
        Decoded::Mention(m) => Ok(m),
        Decoded::Notice(n) => Err(DecodeError::Notice(n.kind.as_str())),
    }
}

/// Decodes one message of a v1.1 stream: a tweet, or a [`Notice`].
///
/// # Errors
/// As [`decode`], for messages that are neither.
pub fn decode_record(json: &str) -> Result<Decoded, DecodeError> {
    let tweet: Tweet = serde_json::from_str(json).map_err(|e| classify_json_error(&e, ""))?;
    // Every field of a Tweet is optional, so a notice reads as a tweet without `id_str`:
    // only then is the message looked at again.
    if tweet.id_str.is_none() {
        if let Some(notice) = serde_json::from_str::<Value>(json)
            .ok()
            .as_ref()
            .and_then(notice_of)
        {
            return Ok(Decoded::Notice(notice));
        }
    }
    tweet.into_mention().map(Decoded::Mention)
}

/// A stream notice: an object without `id_str` whose only top-level key is a notice kind.
fn notice_of(value: &Value) -> Option<Notice> {
    let object = value.as_object()?;
    if object.len() != 1 || object.contains_key("id_str") {
        return None;
    }
    let (key, body) = object.iter().next()?;
    let kind = NoticeKind::from_key(key)?;
    // delete: {"status": {"id_str"}}; status_withheld: {"id_str"}; scrub_geo: up to a post id.
    let id = match kind {
        NoticeKind::Delete => body.pointer("/status/id_str"),
        NoticeKind::StatusWithheld => body.get("id_str"),
        NoticeKind::ScrubGeo => body.get("up_to_status_id_str"),
        _ => None,
    };
    Some(Notice {
        kind,
        mention_id: id
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    })
}

/// The parts of a v1.1 Tweet object that are read. `Option` throughout: absence is judged
/// here, with a field path, rather than by serde.
#[derive(Deserialize)]
struct Tweet {
    id_str: Option<String>,
    text: Option<String>,
    full_text: Option<String>,
    extended_tweet: Option<ExtendedTweet>,
    entities: Option<Entities>,
    user: Option<User>,
    created_at: Option<String>,
    /// A string of milliseconds in the streaming API; numbers are accepted too.
    timestamp_ms: Option<Value>,
    lang: Option<String>,
    retweeted_status: Option<Box<Tweet>>,
    quoted_status: Option<Box<Tweet>>,
    quoted_status_id_str: Option<String>,
    in_reply_to_status_id_str: Option<String>,
    in_reply_to_screen_name: Option<String>,
    favorite_count: Option<u64>,
    retweet_count: Option<u64>,
    reply_count: Option<u64>,
}

/// The untruncated text of a tweet over 140 characters, in compatibility mode.
#[derive(Deserialize)]
struct ExtendedTweet {
    full_text: Option<String>,
    entities: Option<Entities>,
}

#[derive(Deserialize)]
struct Entities {
    hashtags: Option<Vec<Hashtag>>,
    user_mentions: Option<Vec<UserMention>>,
}

#[derive(Deserialize)]
struct Hashtag {
    text: String,
}

#[derive(Deserialize)]
struct UserMention {
    screen_name: String,
}

#[derive(Deserialize)]
struct User {
    id_str: Option<String>,
    screen_name: Option<String>,
    followers_count: Option<i64>,
    friends_count: Option<i64>,
    statuses_count: Option<i64>,
    created_at: Option<String>,
    default_profile: Option<bool>,
    default_profile_image: Option<bool>,
    verified: Option<bool>,
}

impl User {
    /// The author, with the profile fields the screen stage reads. An account creation date
    /// in a form other than Twitter's is dropped (and noted in `dropped`), not fatal.
    fn into_author(self) -> Author {
        let mut dropped = Vec::new();
        let created_at = self.created_at.and_then(|t| {
            let parsed = DateTime::parse_from_str(&t, CREATED_AT_FORMAT)
                .map(|d| d.with_timezone(&Utc))
                .ok();
            if parsed.is_none() {
                dropped.push("author.created_at");
            }
            parsed
        });
        Author {
            id: self.id_str,
            handle: self.screen_name,
            followers: self.followers_count,
            following: self.friends_count,
            posts: self.statuses_count,
            created_at,
            default_profile: self.default_profile,
            default_profile_image: self.default_profile_image,
            verified: self.verified,
            dropped,
        }
    }
}

/// What a tweet says, as opposed to who posted it when: for a retweet, the original's.
struct Content {
    text: String,
    hashtags: Vec<String>,
    user_mentions: Vec<String>,
}

impl Tweet {
    fn into_mention(mut self) -> Result<Mention, DecodeError> {
        let id = take_id(self.id_str.take(), "")?;
        let created_at = self.created_at()?;
        let author = self.user.take().map(User::into_author);
        let url = Some(status_url(
            author.as_ref().and_then(|a| a.handle.as_deref()),
            &id,
        ));
        let engagement = Some(Engagement {
            likes: self.favorite_count.unwrap_or(0),
            shares: self.retweet_count.unwrap_or(0),
            replies: self.reply_count.unwrap_or(0),
        });
        let reply_to = non_empty(self.in_reply_to_status_id_str.take()).map(|id| Reference {
            id,
            text: None,
            author_handle: self.in_reply_to_screen_name.take(),
        });
        let mut lang = self.lang.take().and_then(|l| language(&l));
        let own_quote = self.quote_reference("")?;

        let (content, quote_of, repost_of) = match self.retweeted_status.take() {
            Some(mut original) => {
                const PATH: &str = "retweeted_status";
                let repost_of = Reference {
                    id: take_id(original.id_str.take(), PATH)?,
                    text: None,
                    author_handle: original.user.take().and_then(|u| u.screen_name),
                };
                if lang.is_none() {
                    lang = original.lang.take().and_then(|l| language(&l));
                }
                let quote_of = original.quote_reference(PATH)?.or(own_quote);
                (original.content(PATH)?, quote_of, Some(repost_of))
            }
            None => (self.content("")?, own_quote, None),
        };

        Ok(Mention {
            id,
            text: content.text,
            created_at,
            source: SOURCE.into(),
            lang,
            author,
            url,
            engagement,
            reply_to,
            repost_of,
            quote_of,
            hashtags: content.hashtags,
            user_mentions: content.user_mentions,
        })
    }

    /// The full text: `extended_tweet.full_text`, else `full_text`, else `text`.
    fn take_text(&mut self) -> Option<String> {
        self.extended_tweet
            .as_mut()
            .and_then(|e| e.full_text.take())
            .or_else(|| self.full_text.take())
            .or_else(|| self.text.take())
            .map(|text| unescape_html(&text))
    }

    /// Text and entities of this tweet (at `path`).
    fn content(&mut self, path: &str) -> Result<Content, DecodeError> {
        let text = self
            .take_text()
            .ok_or_else(|| DecodeError::MissingField(join_path(path, "text")))?;
        let entities = self
            .extended_tweet
            .as_mut()
            .and_then(|e| e.entities.take())
            .or_else(|| self.entities.take());
        let (hashtags, user_mentions) = match entities {
            Some(e) => (
                e.hashtags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|h| h.text)
                    .collect(),
                e.user_mentions
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| m.screen_name)
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Content {
            text,
            hashtags,
            user_mentions,
        })
    }

    /// The tweet this one (at `path`) quotes, if any.
    fn quote_reference(&mut self, path: &str) -> Result<Option<Reference>, DecodeError> {
        let quoted_id = non_empty(self.quoted_status_id_str.take());
        let Some(mut quoted) = self.quoted_status.take() else {
            return Ok(quoted_id.map(|id| Reference {
                id,
                text: None,
                author_handle: None,
            }));
        };
        let id = match quoted.id_str.take() {
            None => quoted_id.ok_or_else(|| {
                DecodeError::MissingField(join_path(path, "quoted_status.id_str"))
            })?,
            some => take_id(some, &join_path(path, "quoted_status"))?,
        };
        Ok(Some(Reference {
            id,
            text: quoted.take_text(),
            author_handle: quoted.user.take().and_then(|u| u.screen_name),
        }))
    }

    /// When this tweet was posted.
    fn created_at(&self) -> Result<DateTime<Utc>, DecodeError> {
        match &self.timestamp_ms {
            Some(Value::Null) | None => {}
            Some(millis) => return from_millis(millis),
        }
        let text = self
            .created_at
            .as_deref()
            .ok_or_else(|| DecodeError::MissingField("created_at".into()))?;
        DateTime::parse_from_str(text, CREATED_AT_FORMAT)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| DecodeError::InvalidField {
                field: "created_at".into(),
                detail: format!(
                    "expected a time like `Wed Oct 10 20:19:24 +0000 2018` ({e}): {text:?}"
                ),
            })
    }
}

/// `id_str` of the tweet at `path`: present and not empty.
fn take_id(id: Option<String>, path: &str) -> Result<String, DecodeError> {
    let field = join_path(path, "id_str");
    match id {
        None => Err(DecodeError::MissingField(field)),
        Some(id) if id.trim().is_empty() => Err(DecodeError::InvalidField {
            field,
            detail: "must not be empty".into(),
        }),
        Some(id) => Ok(id),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Reads `timestamp_ms`: milliseconds since the epoch, as a string or a number.
fn from_millis(value: &Value) -> Result<DateTime<Utc>, DecodeError> {
    let millis = match value {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    millis
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| DecodeError::InvalidField {
            field: "timestamp_ms".into(),
            detail: format!("expected milliseconds since the epoch, found {value}"),
        })
}

/// The language of a tweet's `lang`, or `None` when it names none.
fn language(lang: &str) -> Option<String> {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    let primary = primary.to_ascii_lowercase();
    let is_code =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    // ISO 639-2: und undetermined, zxx no linguistic content, mul multiple, mis uncoded;
    // qaa..qtz are reserved for local use (Twitter's qme media, qht hashtags, qam mentions...).
    let names_none = match primary.as_bytes() {
        b"und" | b"zxx" | b"mul" | b"mis" => true,
        [b'q', second, _] => (b'a'..=b't').contains(second),
        _ => false,
    };
    (is_code && !names_none).then_some(primary)
}

fn status_url(screen_name: Option<&str>, id: &str) -> String {
    match screen_name {
        Some(name) if !name.is_empty() => format!("https://twitter.com/{name}/status/{id}"),
        _ => format!("https://twitter.com/i/web/status/{id}"),
    }
}

/// Undoes Twitter's escaping of tweet text: `&amp;`, `&lt;` and `&gt;`, in one pass, so
/// `&amp;lt;` becomes `&lt;`.
fn unescape_html(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (replacement, len) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(replacement);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const CLASSIC: &str = include_str!("../../tests/data/twitter/classic.json");
    const EXTENDED: &str = include_str!("../../tests/data/twitter/extended.json");
    const RETWEET: &str = include_str!("../../tests/data/twitter/retweet.json");
    const QUOTE: &str = include_str!("../../tests/data/twitter/quote.json");
    const REPLY: &str = include_str!("../../tests/data/twitter/reply.json");
    const UNICODE: &str = include_str!("../../tests/data/twitter/unicode.json");

    fn utc_millis(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).unwrap()
    }

    #[test]
    fn fixtures_are_single_lines() {
        for fixture in [CLASSIC, EXTENDED, RETWEET, QUOTE, REPLY, UNICODE] {
            assert_eq!(fixture.trim_end().lines().count(), 1);
        }
    }

    #[test]
    fn absurd_user_fields_are_kept_for_the_screen_stage_not_fatal() {
        let m = decode(&tweet("").replace(
            r#""followers_count":5"#,
            r#""followers_count":-5,"friends_count":-1,"created_at":"last Tuesday""#,
        ))
        .unwrap();
        let author = m.author.unwrap();
        assert_eq!(author.followers, Some(-5));
        assert_eq!(author.following, Some(-1));
        assert_eq!(author.created_at, None);
        assert_eq!(author.dropped, ["author.created_at"]);
    }

    #[test]
    fn classic_tweet() {
        let m = decode(CLASSIC).unwrap();
        assert_eq!(m.id, "1788811377903284224");
        assert_eq!(m.text.chars().count(), 140);
        assert!(m
            .text
            .starts_with("Third morning in a row the @AcmeCoffee app"));
        assert_eq!(m.created_at, utc_millis(1_715_320_841_657));
        assert_eq!(m.source, "twitter");
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(
            m.author,
            Some(Author {
                id: Some("1462214880".into()),
                handle: Some("dana_writes".into()),
                followers: Some(842),
                following: Some(611),
                posts: Some(9312),
                created_at: Some(Utc.with_ymd_and_hms(2013, 6, 1, 18, 2, 11).unwrap()),
                default_profile: Some(true),
                default_profile_image: Some(false),
                verified: Some(false),
                dropped: Vec::new(),
            })
        );
        assert_eq!(
            m.url.as_deref(),
            Some("https://twitter.com/dana_writes/status/1788811377903284224")
        );
        assert_eq!(
            m.engagement,
            Some(Engagement {
                likes: 3,
                shares: 1,
                replies: 2,
            })
        );
        assert_eq!(m.hashtags, ["fail", "coffee"]);
        assert_eq!(m.user_mentions, ["AcmeCoffee"]);
        assert_eq!((m.reply_to, m.repost_of, m.quote_of), (None, None, None));
    }

    #[test]
    fn extended_tweet_uses_full_text_and_its_entities() {
        let m = decode(EXTENDED).unwrap();
        assert!(m.text.chars().count() > 140);
        assert!(!m.text.contains('…'));
        assert!(
            m.text.contains("beans & a barista"),
            "unescaped: {}",
            m.text
        );
        assert!(m.text.ends_with("#AcmeRoastery #coffee"));
        // The truncated `text` stops before these; only the extended entities have them.
        assert_eq!(m.hashtags, ["AcmeRoastery", "coffee"]);
        assert_eq!(m.user_mentions, ["AcmeCoffee"]);
        assert_eq!(m.id, "1788819230546341888");
        assert_eq!(m.created_at, utc_millis(1_715_322_713_873));
    }

    #[test]
    fn retweet_keeps_its_identity_but_the_original_content() {
        let m = decode(RETWEET).unwrap();
        let original = decode(EXTENDED).unwrap();
        assert_eq!(m.id, "1788830102341693440");
        assert_eq!(
            m.author.as_ref().unwrap().handle.as_deref(),
            Some("beanfan_88")
        );
        assert_eq!(m.author.as_ref().unwrap().followers, Some(129));
        assert_eq!(m.created_at, utc_millis(1_715_325_305_911));
        assert_eq!(
            m.url.as_deref(),
            Some("https://twitter.com/beanfan_88/status/1788830102341693440")
        );
        assert_eq!(m.text, original.text);
        assert!(!m.text.starts_with("RT @"));
        assert_eq!(m.hashtags, original.hashtags);
        assert_eq!(m.user_mentions, original.user_mentions);
        assert_eq!(
            m.repost_of,
            Some(Reference {
                id: original.id.clone(),
                text: None,
                author_handle: Some("AcmeRoastery".into()),
            })
        );
        assert_eq!(m.score_key(), original.id);
        assert_eq!((m.reply_to, m.quote_of), (None, None));
    }

    #[test]
    fn quote_tweet_keeps_the_quoted_text_apart() {
        let m = decode(QUOTE).unwrap();
        assert_eq!(
            m.text,
            "This is exactly why we switched to making coffee at home."
        );
        assert_eq!(
            m.quote_of,
            Some(Reference {
                id: "1788811377903284224".into(),
                text: Some(decode(CLASSIC).unwrap().text),
                author_handle: Some("dana_writes".into()),
            })
        );
        assert_eq!(m.repost_of, None);
        assert!(m.hashtags.is_empty());
    }

    #[test]
    fn reply_in_rest_extended_mode() {
        let m = decode(REPLY).unwrap();
        assert_eq!(
            m.reply_to,
            Some(Reference {
                id: "1788811377903284224".into(),
                text: None,
                author_handle: Some("dana_writes".into()),
            })
        );
        assert!(m.text.starts_with("@dana_writes Sorry about this, Dana!"));
        assert_eq!(m.user_mentions, ["dana_writes"]);
        // No timestamp_ms in the REST API: parsed from created_at.
        assert_eq!(
            m.created_at,
            Utc.with_ymd_and_hms(2024, 5, 10, 6, 12, 9).unwrap()
        );
        assert_eq!(m.engagement.unwrap().replies, 0);
    }

    #[test]
    fn unicode_tweet() {
        let m = decode(UNICODE).unwrap();
        assert_eq!(m.lang.as_deref(), Some("de"));
        assert!(m.text.contains("Frühstück"));
        assert!(m.text.contains('☕'));
        assert!(m.text.contains("😍"));
        assert_eq!(m.hashtags, ["Frühstück", "Kaffeeliebe"]);
        assert_eq!(m.author.unwrap().handle.as_deref(), Some("jule_kocht"));
    }

    /// A minimal tweet in compatibility mode, `extra` spliced in.
    fn tweet(extra: &str) -> String {
        format!(
            r#"{{"id_str":"10","text":"hello","created_at":"Wed Oct 10 20:19:24 +0000 2018","user":{{"id_str":"7","screen_name":"al","followers_count":5}}{extra}}}"#
        )
    }

    #[test]
    fn stream_notices_are_not_errors() {
        let notice = |json: &str| match decode_record(json) {
            Ok(Decoded::Notice(n)) => (n.kind, n.mention_id),
            other => panic!("{json}: {other:?}"),
        };
        assert_eq!(
            notice(
                r#"{"delete":{"status":{"id":1,"id_str":"1788811377903284224","user_id":3,"user_id_str":"3"},"timestamp_ms":"1700000000000"}}"#
            ),
            (NoticeKind::Delete, Some("1788811377903284224".into()))
        );
        assert_eq!(
            notice(r#"{"limit":{"track":1234,"timestamp_ms":"1700000000000"}}"#),
            (NoticeKind::Limit, None)
        );
        assert_eq!(
            notice(r#"{"scrub_geo":{"user_id_str":"3","up_to_status_id_str":"99"}}"#),
            (NoticeKind::ScrubGeo, Some("99".into()))
        );
        assert_eq!(
            notice(
                r#"{"status_withheld":{"id_str":"7","user_id":3,"withheld_in_countries":["DE"]}}"#
            ),
            (NoticeKind::StatusWithheld, Some("7".into()))
        );
        assert_eq!(
            notice(r#"{"user_withheld":{"id":3,"withheld_in_countries":["DE"]}}"#).0,
            NoticeKind::UserWithheld
        );
        assert_eq!(
            notice(r#"{"disconnect":{"code":4,"stream_name":"x","reason":"y"}}"#).0,
            NoticeKind::Disconnect
        );
        assert_eq!(
            notice(r#"{"warning":{"code":"FALLING_BEHIND","message":"m","percent_full":60}}"#).0,
            NoticeKind::Warning
        );
        // A tweet that happens to carry a `delete` key is still a tweet.
        assert!(matches!(
            decode_record(&tweet(r#","delete":{"x":1}"#)),
            Ok(Decoded::Mention(_))
        ));
    }

    #[test]
    fn rejects_each_kind_of_bad_tweet() {
        let missing = |f: &str| DecodeError::MissingField(f.into());
        let cases: Vec<(&str, String, &str, Option<DecodeError>)> = vec![
            ("empty payload", String::new(), "invalid_json", None),
            (
                "truncated",
                r#"{"id_str":"10","#.into(),
                "invalid_json",
                None,
            ),
            (
                "missing id_str",
                r#"{"text":"hi","created_at":"Wed Oct 10 20:19:24 +0000 2018"}"#.into(),
                "missing_field",
                Some(missing("id_str")),
            ),
            (
                "a stream delete notice where only a tweet is accepted",
                r#"{"delete":{"status":{"id":1,"id_str":"1","user_id":3,"user_id_str":"3"}}}"#
                    .into(),
                "stream_notice",
                Some(DecodeError::Notice("delete")),
            ),
            (
                "an unknown kind of message",
                r#"{"friends":[1,2,3]}"#.into(),
                "missing_field",
                Some(missing("id_str")),
            ),
            (
                "no text",
                r#"{"id_str":"10","created_at":"Wed Oct 10 20:19:24 +0000 2018"}"#.into(),
                "missing_field",
                Some(missing("text")),
            ),
            (
                "retweet of a tweet without text",
                tweet(
                    r#","retweeted_status":{"id_str":"9","created_at":"Wed Oct 10 20:19:24 +0000 2018"}"#,
                ),
                "missing_field",
                Some(missing("retweeted_status.text")),
            ),
            (
                "retweet of a tweet without id",
                tweet(r#","retweeted_status":{"text":"x"}"#),
                "missing_field",
                Some(missing("retweeted_status.id_str")),
            ),
            (
                "no time",
                r#"{"id_str":"10","text":"hi"}"#.into(),
                "missing_field",
                Some(missing("created_at")),
            ),
            (
                "empty id_str",
                tweet("").replace(r#""10""#, r#""""#),
                "invalid_field",
                None,
            ),
            (
                "ISO created_at",
                tweet("").replace("Wed Oct 10 20:19:24 +0000 2018", "2018-10-10T20:19:24Z"),
                "invalid_field",
                None,
            ),
            (
                "wrong weekday",
                tweet("").replace("Wed", "Thu"),
                "invalid_field",
                None,
            ),
            (
                "timestamp_ms not a number",
                tweet(r#","timestamp_ms":"soon""#),
                "invalid_field",
                None,
            ),
            (
                "timestamp_ms a boolean",
                tweet(r#","timestamp_ms":true"#),
                "invalid_field",
                None,
            ),
            (
                "string followers_count",
                tweet("").replace("5}", r#""many"}"#),
                "invalid_field",
                None,
            ),
            (
                "fractional followers_count",
                tweet("").replace("5}", "5.5}"),
                "invalid_field",
                None,
            ),
            (
                "id_str a number",
                tweet("").replace(r#""10""#, "10"),
                "invalid_field",
                None,
            ),
        ];
        for (name, input, reason, exact) in &cases {
            let err = match decode(input) {
                Ok(m) => panic!("{name}: decoded, expected an error: {m:?}"),
                Err(err) => err,
            };
            assert_eq!(err.reason(), *reason, "{name}: {err:?}");
            if let Some(exact) = exact {
                assert_eq!(&err, exact, "{name}");
            }
        }
    }

    #[test]
    fn names_the_bad_time_field() {
        let field = |input: &str| match decode(input) {
            Err(DecodeError::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(&tweet("").replace("Oct", "Okt")), "created_at");
        assert_eq!(field(&tweet(r#","timestamp_ms":"x""#)), "timestamp_ms");
        assert_eq!(field(&tweet("").replace(r#""10""#, r#""""#)), "id_str");
    }

    #[test]
    fn reads_times_and_defaults() {
        let at = |input: &str| decode(input).unwrap().created_at;
        let twitter_time = Utc.with_ymd_and_hms(2018, 10, 10, 20, 19, 24).unwrap();
        assert_eq!(at(&tweet("")), twitter_time);
        assert_eq!(at(&tweet(r#","timestamp_ms":null"#)), twitter_time);
        // timestamp_ms wins over created_at.
        assert_eq!(
            at(&tweet(r#","timestamp_ms":"1539202764123""#)),
            utc_millis(1_539_202_764_123)
        );
        assert_eq!(
            at(&tweet(r#","timestamp_ms":1539202764123"#)),
            utc_millis(1_539_202_764_123)
        );
        let offset = tweet("").replace("+0000", "-0230");
        assert_eq!(at(&offset), twitter_time + chrono::Duration::minutes(150));

        let m = decode(&tweet(r#","favorite_count":null,"lang":"und""#)).unwrap();
        assert_eq!(m.engagement, Some(Engagement::default()));
        assert_eq!(m.lang, None);
        assert!(m.hashtags.is_empty());

        let m = decode(r#"{"id_str":"10","text":"x","timestamp_ms":"0"}"#).unwrap();
        assert_eq!(m.author, None);
        assert_eq!(
            m.url.as_deref(),
            Some("https://twitter.com/i/web/status/10")
        );
    }

    #[test]
    fn text_precedence() {
        let text = |extra: &str| decode(&tweet(extra)).unwrap().text;
        assert_eq!(text(""), "hello");
        assert_eq!(text(r#","full_text":"full""#), "full");
        assert_eq!(
            text(r#","full_text":"full","extended_tweet":{"full_text":"extended"}"#),
            "extended"
        );
        // An extended_tweet without full_text falls back.
        assert_eq!(text(r#","extended_tweet":{}"#), "hello");
    }

    #[test]
    fn quote_without_the_quoted_tweet_keeps_its_id() {
        let m = decode(&tweet(
            r#","is_quote_status":true,"quoted_status_id_str":"99""#,
        ))
        .unwrap();
        assert_eq!(
            m.quote_of,
            Some(Reference {
                id: "99".into(),
                text: None,
                author_handle: None,
            })
        );
    }

    #[test]
    fn retweet_of_a_quote_carries_the_quote() {
        let m = decode(&tweet(
            r#","retweeted_status":{"id_str":"9","text":"look","user":{"screen_name":"orig"},"quoted_status":{"id_str":"8","text":"q &lt;3","user":{"screen_name":"qa"}}}"#,
        ))
        .unwrap();
        assert_eq!(m.text, "look");
        assert_eq!(m.repost_of.unwrap().author_handle.as_deref(), Some("orig"));
        assert_eq!(
            m.quote_of,
            Some(Reference {
                id: "8".into(),
                text: Some("q <3".into()),
                author_handle: Some("qa".into()),
            })
        );
    }

    #[test]
    fn normalizes_languages() {
        let cases = [
            ("en", Some("en")),
            ("EN", Some("en")),
            ("zh-cn", Some("zh")),
            ("fil", Some("fil")),
            ("und", None),
            ("zxx", None),
            ("qme", None),
            ("qht", None),
            ("", None),
            ("english", None),
        ];
        for (lang, expected) in cases {
            assert_eq!(language(lang).as_deref(), expected, "{lang}");
        }
    }

    #[test]
    fn unescapes_only_what_twitter_escapes() {
        let cases = [
            ("plain", "plain"),
            ("AT&amp;T", "AT&T"),
            ("a &lt;3 b &gt; c", "a <3 b > c"),
            ("&amp;lt;", "&lt;"),
            ("& &nbsp; &", "& &nbsp; &"),
            ("trailing &", "trailing &"),
            ("é&amp;ü", "é&ü"),
        ];
        for (escaped, expected) in cases {
            assert_eq!(unescape_html(escaped), expected);
        }
    }
}
