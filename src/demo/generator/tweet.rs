//! The Twitter API v1.1 tweet as the demo writes it (the fields it fills), and the text
//! helpers around it: entities (hashtags, handles), HTML escaping, the `created_at` layout and
//! the length limit.

use super::Persona;
use serde::Serialize;

/// Twitter v1.1 `created_at` layout, e.g. `Wed Oct 10 20:19:24 +0000 2018`.
pub(super) const TWITTER_TIME: &str = "%a %b %d %H:%M:%S %z %Y";
/// Tweets longer than this (in characters) are truncated, with the rest in `extended_tweet`.
pub(super) const TWEET_LIMIT: usize = 140;
/// Characters of the code in a `https://t.co/` link.
pub(super) const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The hashtags or handles (`marker` `#` or `@`) in `text`, without the marker.
pub(super) fn extract(text: &str, marker: char) -> Vec<String> {
    let mut found = Vec::new();
    let mut previous = ' ';
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == marker && previous.is_whitespace() {
            let start = i + c.len_utf8();
            let mut end = start;
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            if end > start {
                found.push(text[start..end].to_string());
            }
            previous = text[..end].chars().next_back().unwrap_or(' ');
        } else {
            previous = c;
        }
    }
    found
}

/// Twitter's entities for `text`.
pub(super) fn entities(text: &str) -> Entities {
    Entities {
        hashtags: extract(text, '#')
            .into_iter()
            .map(|text| HashtagEntity { text })
            .collect(),
        user_mentions: extract(text, '@')
            .into_iter()
            .map(|screen_name| MentionEntity { screen_name })
            .collect(),
    }
}

/// Tweet text escapes `&`, `<` and `>`.
pub(super) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Twitter API v1.1 Tweet object, the fields the demo fills.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Tweet {
    pub(super) created_at: String,
    pub(super) id: u64,
    pub(super) id_str: String,
    pub(super) text: String,
    pub(super) truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) extended_tweet: Option<ExtendedTweet>,
    pub(super) entities: Entities,
    pub(super) user: TweetUser,
    pub(super) lang: String,
    /// Only on tweets delivered by the streaming API, not on embedded ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) timestamp_ms: Option<String>,
    pub(super) favorite_count: u64,
    pub(super) retweet_count: u64,
    pub(super) reply_count: u64,
    pub(super) is_quote_status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status_id_str: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status: Option<Box<Tweet>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) retweeted_status: Option<Box<Tweet>>,
}

impl Tweet {
    /// This tweet as embedded in a retweet or quote (no `timestamp_ms`).
    pub(super) fn embedded(&self) -> Tweet {
        let mut copy = self.clone();
        copy.timestamp_ms = None;
        copy
    }

    /// The untruncated text, unescaped.
    pub(super) fn full_text(&self) -> String {
        let text = self
            .extended_tweet
            .as_ref()
            .map_or(&self.text, |e| &e.full_text);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ExtendedTweet {
    pub(super) full_text: String,
    pub(super) entities: Entities,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Entities {
    pub(super) hashtags: Vec<HashtagEntity>,
    pub(super) user_mentions: Vec<MentionEntity>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct HashtagEntity {
    pub(super) text: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct MentionEntity {
    pub(super) screen_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct TweetUser {
    pub(super) id_str: String,
    pub(super) screen_name: String,
    pub(super) followers_count: u64,
}

impl From<&Persona> for TweetUser {
    fn from(p: &Persona) -> Self {
        Self {
            id_str: p.id.clone(),
            screen_name: p.handle.clone(),
            followers_count: p.followers,
        }
    }
}
