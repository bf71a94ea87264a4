//! The sample stream of `brandpulse demo`: a deterministic, synchronous generator of Kafka
//! records for the two demo input topics.
//!
//! - [`MENTIONS_TOPIC`] gets canonical mentions (the serde form of [`Mention`]) from six
//!   sources, and a small share ([`DEFAULT_MALFORMED_RATIO`]) of broken records so that the
//!   dead-letter counters move.
//! - [`TWEETS_TOPIC`] gets Twitter API v1.1 tweets ([`TWEET_SHARE`] of the samples): originals
//!   (some truncated, with `extended_tweet`), retweets of recent originals and quote tweets.
//!
//! Texts come from sentence templates in seven languages that name the demo's brands
//! (`src/demo/demo.toml`), their products, people, hashtags and handles; some name two brands,
//! some none, and some name "Acme Plumbing", which the demo config excludes.
//!
//! Time is compressed: one demo "day" lasts [`DEMO_DAY`], and [`Generator::rate_multiplier`]
//! follows it. [`BURST_FIRST`] after the start and every [`BURST_EVERY`] after that, for
//! [`BURST_LENGTH`], the brand [`BURST_BRAND`] suffers a burst of complaints: the rate is
//! multiplied by [`BURST_RATE_FACTOR`] and most samples are negative posts about it.
//!
//! Everything is drawn from one [`StdRng`] seeded by the caller, so a seed and the sequence
//! of `now` values given to [`Generator::next_sample`] fix the output.

use crate::mention::{Author, Engagement, Mention};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::f64::consts::TAU;
use std::time::Duration;

/// Topic of the canonical mentions.
pub const MENTIONS_TOPIC: &str = "mentions";
/// Topic of the Twitter v1.1 tweets.
pub const TWEETS_TOPIC: &str = "tweets";
/// Share of the samples that are tweets; the rest are canonical mentions.
pub const TWEET_SHARE: f64 = 0.2;
/// Default share of `mentions` records that are malformed (see [`Generator::malformed_ratio`]).
pub const DEFAULT_MALFORMED_RATIO: f64 = 0.01;
/// Length of one compressed demo "day" of [`Generator::rate_multiplier`].
pub const DEMO_DAY: Duration = Duration::from_secs(600);
/// The brand that suffers the injected bursts of complaints.
pub const BURST_BRAND: &str = "acme";
/// Time from the start to the first burst.
pub const BURST_FIRST: Duration = Duration::from_secs(90);
/// Time from the start of one burst to the start of the next.
pub const BURST_EVERY: Duration = Duration::from_secs(300);
/// How long a burst lasts.
pub const BURST_LENGTH: Duration = Duration::from_secs(60);
/// Factor on the rate during a burst.
pub const BURST_RATE_FACTOR: f64 = 4.0;

/// Share of the samples during a burst that are complaints about [`BURST_BRAND`].
const BURST_CONTENT_SHARE: f64 = 0.8;
/// Amplitude of the daily rhythm around 1.
const DAILY_AMPLITUDE: f64 = 0.6;
/// Shares of the tweets that are retweets and quote tweets (when there is an original).
const RETWEET_SHARE: f64 = 0.15;
const QUOTE_SHARE: f64 = 0.08;
/// Share of the retweets that retweet the same original as the retweet before.
const HOT_RETWEET_SHARE: f64 = 0.6;
/// Share of the original tweets that get one or two extra sentences (long ones are truncated).
const LONG_TWEET_SHARE: f64 = 0.2;
/// Share of the canonical mentions whose provider supplies `lang`.
const LANG_GIVEN_SHARE: f64 = 0.7;
/// Shares of the texts with no brand, with the excluded "Acme Plumbing", and with two brands.
const NO_BRAND_SHARE: f64 = 0.15;
const EXCLUDED_SHARE: f64 = 0.02;
const TWO_BRANDS_SHARE: f64 = 0.08;
/// How many recent original tweets are kept to be retweeted and quoted.
const RECENT_ORIGINALS: usize = 24;
/// Tweet ids are this plus the sample counter.
const TWEET_ID_BASE: u64 = 1_790_000_000_000_000_000;
/// Size of the pool of ordinary authors.
const AUTHORS: usize = 400;
/// Twitter v1.1 `created_at` layout, e.g. `Wed Oct 10 20:19:24 +0000 2018`.
const TWITTER_TIME: &str = "%a %b %d %H:%M:%S %z %Y";
/// Tweets longer than this (in characters) are truncated, with the rest in `extended_tweet`.
const TWEET_LIMIT: usize = 140;

/// One Kafka record to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// [`MENTIONS_TOPIC`] or [`TWEETS_TOPIC`].
    pub topic: &'static str,
    /// Record key: the mention id or the tweet's `id_str`.
    pub key: String,
    /// Record value: JSON, except for the deliberately malformed records.
    pub payload: Vec<u8>,
}

/// The demo's sample-stream generator. See the [module docs](self).
#[derive(Debug)]
pub struct Generator {
    /// Share of `mentions` records that are malformed: invalid JSON, no `text`, invalid
    /// UTF-8, or a `created_at` that is not RFC 3339. [`DEFAULT_MALFORMED_RATIO`] by default.
    pub malformed_ratio: f64,
    rng: StdRng,
    start: DateTime<Utc>,
    counter: u64,
    malformed: u64,
    authors: Vec<Persona>,
    outlets: Vec<Persona>,
    originals: VecDeque<Tweet>,
    /// `id_str` of the original retweeted last, which goes on being retweeted for a while.
    hot: Option<String>,
}

/// Someone who posts: an author or, for `news`, an outlet.
#[derive(Debug, Clone)]
struct Persona {
    id: String,
    handle: String,
    followers: u64,
    /// Index into [`LANGS`].
    lang: usize,
}

impl Generator {
    /// A generator whose randomness is fixed by `seed`, with the demo starting at `start`
    /// (the origin of the daily rhythm and the burst schedule).
    pub fn new(seed: u64, start: DateTime<Utc>) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let authors = make_authors(&mut rng);
        let outlets = OUTLETS
            .iter()
            .enumerate()
            .map(|(i, &(handle, lang))| Persona {
                id: format!("{}", 900_000 + i),
                handle: handle.to_string(),
                followers: rng.gen_range(120_000..3_000_000),
                lang,
            })
            .collect();
        Self {
            malformed_ratio: DEFAULT_MALFORMED_RATIO,
            rng,
            start,
            counter: 0,
            malformed: 0,
            authors,
            outlets,
            originals: VecDeque::with_capacity(RECENT_ORIGINALS),
            hot: None,
        }
    }

    /// How many malformed records have been generated so far.
    pub fn malformed_count(&self) -> u64 {
        self.malformed
    }

    /// Whether an injected burst of complaints about [`BURST_BRAND`] is on at `now`: from
    /// [`BURST_FIRST`] after the start, every [`BURST_EVERY`], for [`BURST_LENGTH`].
    pub fn burst_active(&self, now: DateTime<Utc>) -> bool {
        let elapsed = (now - self.start).num_milliseconds();
        let first = BURST_FIRST.as_millis() as i64;
        let every = BURST_EVERY.as_millis() as i64;
        let length = BURST_LENGTH.as_millis() as i64;
        elapsed >= first && (elapsed - first) % every < length
    }

    /// Factor on the base sample rate at `now`: a daily rhythm compressed into [`DEMO_DAY`]
    /// (a sine between 0.4 and 1.6, starting at 1 and rising), times [`BURST_RATE_FACTOR`]
    /// while a burst is on.
    pub fn rate_multiplier(&self, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - self.start).num_milliseconds() as f64 / 1000.0;
        let daily = 1.0 + DAILY_AMPLITUDE * (TAU * elapsed / DEMO_DAY.as_secs_f64()).sin();
        if self.burst_active(now) {
            daily * BURST_RATE_FACTOR
        } else {
            daily
        }
    }

    /// The next record, posted at (or, for slow sources, shortly before) `now`.
    pub fn next_sample(&mut self, now: DateTime<Utc>) -> Sample {
        let burst = self.burst_active(now);
        if self.chance(TWEET_SHARE) {
            let tweet = self.tweet(now, burst);
            return Sample {
                topic: TWEETS_TOPIC,
                key: tweet.id_str.clone(),
                payload: serde_json::to_vec(&tweet).unwrap_or_default(),
            };
        }
        let mention = self.mention(now, burst);
        let payload = if self.chance(self.malformed_ratio) {
            self.malformed += 1;
            self.malform(&mention)
        } else {
            serde_json::to_vec(&mention).unwrap_or_default()
        };
        Sample {
            topic: MENTIONS_TOPIC,
            key: mention.id,
            payload,
        }
    }

    /// True with probability `p` (never for NaN or `p <= 0`).
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen::<f64>() < p
    }

    fn next_number(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn author(&mut self) -> Persona {
        let i = self.rng.gen_range(0..self.authors.len());
        self.authors[i].clone()
    }

    /// A canonical mention.
    fn mention(&mut self, now: DateTime<Utc>, burst: bool) -> Mention {
        let number = self.next_number();
        let source = SOURCES[weighted_index(&mut self.rng, &SOURCE_WEIGHTS)];
        let persona = if source == "news" {
            let i = self.rng.gen_range(0..self.outlets.len());
            self.outlets[i].clone()
        } else {
            self.author()
        };
        let phrases = &LANGS[persona.lang];
        let text = self.compose(phrases, burst);
        let lag_ms = match source {
            "news" | "review" => self.rng.gen_range(0..60_000),
            _ => self.rng.gen_range(0..1_500),
        };
        let created_at =
            DateTime::from_timestamp_millis(now.timestamp_millis() - lag_ms).unwrap_or(now);
        let lang = self
            .chance(LANG_GIVEN_SHARE)
            .then(|| phrases.code.to_string());
        let (hashtags, user_mentions) = if matches!(source, "twitter" | "instagram") {
            (extract(&text, '#'), extract(&text, '@'))
        } else {
            (Vec::new(), Vec::new())
        };
        let engagement = if matches!(source, "news" | "review") && self.chance(0.3) {
            None
        } else {
            Some(self.engagement(persona.followers))
        };
        let url = match source {
            "twitter" => format!("https://twitter.com/{}/status/{number}", persona.handle),
            "reddit" => format!("https://www.reddit.com/r/demo/comments/{number:x}/"),
            "news" => format!("https://news.example.com/{}/{number}", persona.handle),
            "instagram" => format!("https://www.instagram.com/p/demo{number:x}/"),
            "forum" => format!("https://forum.example.com/t/{number}"),
            _ => format!("https://reviews.example.com/r/{number}"),
        };
        Mention {
            id: format!("demo-{number}"),
            text,
            created_at,
            source: source.to_string(),
            lang,
            author: Some(Author {
                id: Some(persona.id),
                handle: Some(persona.handle),
                followers: persona.followers,
            }),
            url: Some(url),
            engagement,
            reply_to: None,
            repost_of: None,
            quote_of: None,
            hashtags,
            user_mentions,
        }
    }

    /// Likes, shares and replies, growing with the square root of the reach.
    fn engagement(&mut self, followers: u64) -> Engagement {
        let scale = (followers as f64 + 10.0).sqrt();
        let likes = (scale * self.rng.gen::<f64>().powi(3) * 4.0) as u64;
        let shares = (likes as f64 * self.rng.gen::<f64>() * 0.3) as u64;
        let replies =
            (likes as f64 * self.rng.gen::<f64>() * 0.2) as u64 + self.rng.gen_range(0..3);
        Engagement {
            likes,
            shares,
            replies,
        }
    }

    /// The payload of a broken version of `mention`.
    fn malform(&mut self, mention: &Mention) -> Vec<u8> {
        let valid = serde_json::to_string(mention).unwrap_or_default();
        match self.rng.gen_range(0..4) {
            // Invalid JSON: cut short, or written with Python's quotes.
            0 => {
                if self.chance(0.5) {
                    let mut cut = valid.len() * 2 / 3;
                    while !valid.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let mut bytes = valid.into_bytes();
                    bytes.truncate(cut);
                    bytes
                } else {
                    format!(
                        "{{'id': '{}', 'text': '{}', 'source': '{}'}}",
                        mention.id, mention.text, mention.source
                    )
                    .into_bytes()
                }
            }
            // No `text`.
            1 => {
                let mut value = serde_json::to_value(mention).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    map.remove("text");
                }
                serde_json::to_vec(&value).unwrap_or_default()
            }
            // Invalid UTF-8 inside the text.
            2 => {
                let mut bytes = valid.into_bytes();
                let marker = b"\"text\":\"";
                let at = bytes
                    .windows(marker.len())
                    .position(|w| w == marker)
                    .map_or(0, |i| i + marker.len());
                let junk: &[u8] = if self.chance(0.5) {
                    &[0xFF]
                } else {
                    &[0xC3, 0x28]
                };
                bytes.splice(at..at, junk.iter().copied());
                bytes
            }
            // `created_at` not RFC 3339.
            _ => {
                let at = mention.created_at;
                let bad = match self.rng.gen_range(0..3) {
                    0 => at.format(TWITTER_TIME).to_string(),
                    1 => at.format("%d/%m/%Y %H:%M").to_string(),
                    _ => at.timestamp().to_string(),
                };
                let mut value = serde_json::to_value(mention).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    map.insert("created_at".into(), Value::String(bad));
                }
                serde_json::to_vec(&value).unwrap_or_default()
            }
        }
    }

    /// A tweet: a retweet or a quote of a recent original, or a new original.
    fn tweet(&mut self, now: DateTime<Utc>, burst: bool) -> Tweet {
        let roll = self.rng.gen::<f64>();
        if roll < RETWEET_SHARE {
            if let Some(tweet) = self.retweet(now) {
                return tweet;
            }
        } else if roll < RETWEET_SHARE + QUOTE_SHARE {
            if let Some(tweet) = self.quote(now, burst) {
                self.remember(tweet.clone());
                return tweet;
            }
        }
        let persona = self.author();
        let phrases = &LANGS[persona.lang];
        let mut text = self.compose(phrases, burst);
        if self.chance(LONG_TWEET_SHARE) {
            for _ in 0..self.rng.gen_range(1..=2) {
                let more = self.compose(phrases, burst);
                if text.ends_with(char::is_alphanumeric) {
                    text.push('.');
                }
                text.push(' ');
                text.push_str(&more);
            }
        }
        let tweet = self.original(now, &persona, &text);
        self.remember(tweet.clone());
        tweet
    }

    fn remember(&mut self, tweet: Tweet) {
        if self.originals.len() == RECENT_ORIGINALS {
            self.originals.pop_front();
        }
        self.originals.push_back(tweet);
    }

    /// Index of a recent original, the newest the likeliest; `None` when there is none yet.
    fn recent_index(&mut self) -> Option<usize> {
        let last = self.originals.len().checked_sub(1)?;
        let back = (self.rng.gen::<f64>().powi(2) * self.originals.len() as f64) as usize;
        Some(last - back.min(last))
    }

    /// A new, non-retweet tweet by `persona` with `text`, posted at `now`.
    fn original(&mut self, now: DateTime<Utc>, persona: &Persona, text: &str) -> Tweet {
        let id = TWEET_ID_BASE + self.next_number();
        let (shown, extended_tweet) = if text.chars().count() > TWEET_LIMIT {
            let shown = self.truncate(text);
            let extended = ExtendedTweet {
                full_text: escape_html(text),
                entities: entities(text),
            };
            (shown, Some(extended))
        } else {
            (text.to_string(), None)
        };
        let lang = if self.chance(0.04) {
            "und"
        } else {
            LANGS[persona.lang].code
        };
        let engagement = self.engagement(persona.followers);
        Tweet {
            created_at: now.format(TWITTER_TIME).to_string(),
            id,
            id_str: id.to_string(),
            text: escape_html(&shown),
            truncated: extended_tweet.is_some(),
            entities: entities(&shown),
            extended_tweet,
            user: TweetUser::from(persona),
            lang: lang.to_string(),
            timestamp_ms: Some(now.timestamp_millis().to_string()),
            favorite_count: engagement.likes,
            retweet_count: 0,
            reply_count: engagement.replies,
            is_quote_status: false,
            quoted_status_id_str: None,
            quoted_status: None,
            retweeted_status: None,
        }
    }

    /// The compatibility-mode text of a long tweet: the start, `…` and a t.co link.
    fn truncate(&mut self, text: &str) -> String {
        let head: String = text.chars().take(TWEET_LIMIT - 27).collect();
        let head = match head.rfind(' ') {
            Some(space) if space > 0 => &head[..space],
            _ => head.as_str(),
        };
        let code: String = (0..10)
            .map(|_| char::from(ALNUM[self.rng.gen_range(0..ALNUM.len())]))
            .collect();
        format!("{head}… https://t.co/{code}")
    }

    /// A retweet of a recent original, whose counts go up and which counts as recent again.
    /// Often the original retweeted last, so that popular originals are retweeted many times.
    fn retweet(&mut self, now: DateTime<Utc>) -> Option<Tweet> {
        let likes = self.rng.gen_range(0..4);
        let hot = if self.chance(HOT_RETWEET_SHARE) {
            self.originals
                .iter()
                .position(|t| Some(&t.id_str) == self.hot.as_ref())
        } else {
            None
        };
        let i = match hot {
            Some(i) => i,
            None => self.recent_index()?,
        };
        let mut original = self.originals.remove(i)?;
        original.retweet_count += 1;
        original.favorite_count += likes;
        self.hot = Some(original.id_str.clone());
        self.remember(original.clone());
        let original = original.embedded();
        let persona = self.author();
        let id = TWEET_ID_BASE + self.next_number();
        let mut text = format!(
            "RT @{}: {}",
            original.user.screen_name,
            original.full_text()
        );
        if text.chars().count() > TWEET_LIMIT {
            text = text.chars().take(TWEET_LIMIT - 1).collect();
            text.push('…');
        }
        Some(Tweet {
            created_at: now.format(TWITTER_TIME).to_string(),
            id,
            id_str: id.to_string(),
            text: escape_html(&text),
            truncated: false,
            entities: entities(&text),
            extended_tweet: None,
            user: TweetUser::from(&persona),
            lang: original.lang.clone(),
            timestamp_ms: Some(now.timestamp_millis().to_string()),
            favorite_count: 0,
            retweet_count: original.retweet_count,
            reply_count: 0,
            is_quote_status: original.is_quote_status,
            quoted_status_id_str: None,
            quoted_status: None,
            retweeted_status: Some(Box::new(original)),
        })
    }

    /// A quote tweet of a recent original, with a short comment or a sentence of its own.
    fn quote(&mut self, now: DateTime<Utc>, burst: bool) -> Option<Tweet> {
        let i = self.recent_index()?;
        let mut quoted = self.originals[i].embedded();
        quoted.quoted_status = None;
        let persona = self.author();
        let phrases = &LANGS[persona.lang];
        let text = if self.chance(0.5) {
            pick(&mut self.rng, phrases.comments).to_string()
        } else {
            self.compose(phrases, burst)
        };
        let mut tweet = self.original(now, &persona, &text);
        tweet.is_quote_status = true;
        tweet.quoted_status_id_str = Some(quoted.id_str.clone());
        tweet.quoted_status = Some(Box::new(quoted));
        Some(tweet)
    }

    /// A sentence in `phrases`' language, with placeholders filled and sometimes a hashtag or
    /// handle, an emoji, or everything in lower case.
    fn compose(&mut self, phrases: &'static Phrases, burst: bool) -> String {
        let (templates, tone) = if burst && self.chance(BURST_CONTENT_SHARE) {
            (phrases.burst, Tone::Negative)
        } else {
            let roll = self.rng.gen::<f64>();
            if roll < NO_BRAND_SHARE {
                (phrases.no_brand, Tone::Neutral)
            } else if roll < NO_BRAND_SHARE + EXCLUDED_SHARE {
                (phrases.excluded, Tone::Neutral)
            } else if roll < NO_BRAND_SHARE + EXCLUDED_SHARE + TWO_BRANDS_SHARE {
                (phrases.two_brands, Tone::Neutral)
            } else {
                match self.rng.gen_range(0..100) {
                    0..=34 => (phrases.positive, Tone::Positive),
                    35..=64 => (phrases.negative, Tone::Negative),
                    _ => (phrases.neutral, Tone::Neutral),
                }
            }
        };
        let template = pick(&mut self.rng, templates);
        let first = self.brand_name(None);
        let second = self.brand_name(Some(first.0));
        let mut text = template.replace("{b2}", second.1).replace("{b}", first.1);

        let tags = brand_tags(&text);
        if !tags.is_empty() && self.chance(0.3) {
            let tag = pick(&mut self.rng, &tags);
            text.push(' ');
            text.push_str(tag);
        } else if tags.is_empty() && self.chance(0.15) {
            let tag = pick(&mut self.rng, &GENERIC_TAGS);
            text.push(' ');
            text.push_str(tag);
        }
        if self.chance(0.15) {
            let emoji = pick(&mut self.rng, tone.emojis());
            text.push(' ');
            text.push_str(emoji);
        }
        if self.chance(0.03) {
            text = text.to_lowercase();
        }
        text
    }

    /// A brand (id, name as written) for a `{b}` placeholder, not of brand `other`.
    fn brand_name(&mut self, other: Option<&str>) -> (&'static str, &'static str) {
        for _ in 0..16 {
            let (brand, name, _) = BRAND_NAMES[weighted_index(&mut self.rng, &BRAND_WEIGHTS)];
            if Some(brand) != other {
                return (brand, name);
            }
        }
        if other == Some("globex") {
            ("initech", "Initech")
        } else {
            ("globex", "Globex")
        }
    }
}

/// The pool of ordinary authors: followers from a Pareto distribution (most below 1000),
/// plus a few influencers with 100k and more.
fn make_authors(rng: &mut StdRng) -> Vec<Persona> {
    let mut seen = HashSet::new();
    let mut authors = Vec::with_capacity(AUTHORS + INFLUENCERS.len());
    for i in 0..AUTHORS {
        let head = pick(rng, &HANDLE_HEADS);
        let tail = pick(rng, &HANDLE_TAILS);
        let mut handle = if rng.gen_bool(0.4) {
            format!("{head}{tail}{}", rng.gen_range(1..1000))
        } else {
            format!("{head}{tail}")
        };
        if !seen.insert(handle.clone()) {
            handle = format!("{handle}_{i}");
            seen.insert(handle.clone());
        }
        // Pareto with scale 30 and shape 0.9: median about 65, 4% above 1000.
        let u: f64 = rng.gen_range(f64::EPSILON..1.0);
        let followers = (30.0 * u.powf(-1.0 / 0.9)).min(5_000_000.0) as u64;
        authors.push(Persona {
            id: format!("{}", 10_000_000 + i * 7_919),
            handle,
            followers,
            lang: weighted_index(rng, &LANG_WEIGHTS),
        });
    }
    for (i, &(handle, low, high)) in INFLUENCERS.iter().enumerate() {
        authors.push(Persona {
            id: format!("{}", 800_000 + i),
            handle: handle.to_string(),
            followers: rng.gen_range(low..high),
            lang: weighted_index(rng, &LANG_WEIGHTS),
        });
    }
    authors
}

/// A uniformly chosen item of a non-empty slice.
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// An index drawn with the given weights (not all zero).
fn weighted_index(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    weights.len().saturating_sub(1)
}

/// The hashtags or handles (`marker` `#` or `@`) in `text`, without the marker.
fn extract(text: &str, marker: char) -> Vec<String> {
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
fn entities(text: &str) -> Entities {
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
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Hashtags and handles of the brands that `text` names (not counting "Acme Plumbing").
fn brand_tags(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase().replace("acme plumbing", "");
    let mut tags = Vec::new();
    if lower.contains("acme") || lower.contains("rocket skates") || lower.contains("wile coyote") {
        tags.extend(["#AcmeCorp", "#RocketSkates", "@acme"]);
    }
    if lower.contains("globex") || lower.contains("hank scorpio") {
        tags.push("@globex");
    }
    if lower.contains("initech") || lower.contains("tps report") {
        tags.push("#Initech");
    }
    if lower.contains("brûlé") || lower.contains("bru\u{302}le\u{301}") {
        tags.push("#CafeBrule");
    }
    tags
}

/// Twitter API v1.1 Tweet object, the fields the demo fills.
#[derive(Debug, Clone, Serialize)]
struct Tweet {
    created_at: String,
    id: u64,
    id_str: String,
    text: String,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_tweet: Option<ExtendedTweet>,
    entities: Entities,
    user: TweetUser,
    lang: String,
    /// Only on tweets delivered by the streaming API, not on embedded ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_ms: Option<String>,
    favorite_count: u64,
    retweet_count: u64,
    reply_count: u64,
    is_quote_status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status_id_str: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status: Option<Box<Tweet>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retweeted_status: Option<Box<Tweet>>,
}

impl Tweet {
    /// This tweet as embedded in a retweet or quote (no `timestamp_ms`).
    fn embedded(&self) -> Tweet {
        let mut copy = self.clone();
        copy.timestamp_ms = None;
        copy
    }

    /// The untruncated text, unescaped.
    fn full_text(&self) -> String {
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
struct ExtendedTweet {
    full_text: String,
    entities: Entities,
}

#[derive(Debug, Clone, Serialize)]
struct Entities {
    hashtags: Vec<HashtagEntity>,
    user_mentions: Vec<MentionEntity>,
}

#[derive(Debug, Clone, Serialize)]
struct HashtagEntity {
    text: String,
}

#[derive(Debug, Clone, Serialize)]
struct MentionEntity {
    screen_name: String,
}

#[derive(Debug, Clone, Serialize)]
struct TweetUser {
    id_str: String,
    screen_name: String,
    followers_count: u64,
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

/// The sentiment a template expresses, for the emoji that may follow it.
#[derive(Debug, Clone, Copy)]
enum Tone {
    Positive,
    Negative,
    Neutral,
}

impl Tone {
    fn emojis(self) -> &'static [&'static str] {
        match self {
            Tone::Positive => &["😍", "👍", "🙌", "❤️", "🎉"],
            Tone::Negative => &["😡", "👎", "🤬", "😤", "💔"],
            Tone::Neutral => &["🤔", "👀", "📈", "🙂"],
        }
    }
}

/// Canonical sources and their weights.
const SOURCES: [&str; 6] = ["twitter", "reddit", "news", "instagram", "forum", "review"];
const SOURCE_WEIGHTS: [u32; 6] = [25, 25, 10, 15, 10, 15];

/// `Café Brûlé` in decomposed form (NFD), as some clients send it.
const CAFE_BRULE_NFD: &str = "Cafe\u{301} Bru\u{302}le\u{301}";

/// Names for the `{b}` and `{b2}` placeholders: (brand id, name, weight).
const BRAND_NAMES: [(&str, &str, u32); 7] = [
    ("acme", "Acme", 28),
    ("acme", "Acme Corp", 7),
    ("globex", "Globex", 25),
    ("initech", "Initech", 20),
    ("brule", "Café Brûlé", 14),
    ("brule", CAFE_BRULE_NFD, 3),
    ("brule", "Brûlé", 3),
];
const BRAND_WEIGHTS: [u32; 7] = [28, 7, 25, 20, 14, 3, 3];

/// Tags for texts that name no brand.
const GENERIC_TAGS: [&str; 5] = ["#weekend", "#mood", "#travel", "#foodie", "#tech"];

/// News outlets: handle and index into [`LANGS`].
const OUTLETS: [(&str, usize); 8] = [
    ("dailyplanet", 0),
    ("gothamgazette", 0),
    ("berliner_bote", 1),
    ("el_diario_demo", 2),
    ("vesti_demo", 3),
    ("tintuc_demo", 4),
    ("folha_demo", 5),
    ("le_quotidien", 6),
];

/// Authors with a large following: handle and follower range.
const INFLUENCERS: [(&str, u64, u64); 4] = [
    ("techguru", 150_000, 400_000),
    ("gadget_queen", 300_000, 900_000),
    ("coffeecritic", 100_000, 250_000),
    ("megastar_official", 1_000_000, 5_000_000),
];

const HANDLE_HEADS: [&str; 24] = [
    "sunny", "max", "coffee", "rocket", "lena", "dima", "linh", "ana", "joao", "claire", "pixel",
    "retro", "night", "urban", "tech", "daily", "happy", "grumpy", "marta", "tomas", "sasha",
    "minh", "lucas", "chloe",
];
const HANDLE_TAILS: [&str; 14] = [
    "fan", "_dev", "lover", "reviews", "bear", "fox", "_writes", "codes", "_x", "runner", "cat",
    "life", "92", "_real",
];
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The templates of one language. `{b}` and `{b2}` stand for two different brands.
struct Phrases {
    /// ISO 639-1 code.
    code: &'static str,
    positive: &'static [&'static str],
    negative: &'static [&'static str],
    neutral: &'static [&'static str],
    two_brands: &'static [&'static str],
    no_brand: &'static [&'static str],
    /// Texts that name "Acme Plumbing", which the demo config excludes.
    excluded: &'static [&'static str],
    /// Complaints about Acme for the bursts.
    burst: &'static [&'static str],
    /// Short comments for quote tweets.
    comments: &'static [&'static str],
}

/// How often authors write in each of [`LANGS`].
const LANG_WEIGHTS: [u32; 7] = [40, 12, 12, 8, 8, 10, 10];

static LANGS: [Phrases; 7] = [
    Phrases {
        code: "en",
        positive: &[
            "Just got my Acme rocket skates, absolutely love them!",
            "{b} customer support sorted my issue in five minutes. Impressed 👏",
            "Best purchase this year: an Acme Anvil. Solid, heavy, perfect.",
            "Shoutout to {b}, great product and a fair price",
            "Café Brûlé makes the best flat white in town ☕",
            "Wile Coyote in the new Acme ad is hilarious 😂",
            "Hank Scorpio's keynote at Globex was brilliant, what a visionary",
        ],
        negative: &[
            "{b} support is a joke, three weeks and still no refund",
            "My Acme rocket skates broke after two days. Terrible quality 😡",
            "Never ordering from {b} again, worst experience ever",
            "The Initech TPS report template crashed again and I lost my work",
            "Cold coffee and rude staff at Café Brûlé today, so disappointed",
            "{b} raised prices again and the service got worse",
        ],
        neutral: &[
            "Does anyone know if {b} ships to Canada?",
            "{b} announced quarterly results this morning",
            "Anyone tried the new Acme Anvil? Thinking about getting one",
            "Initech is hosting a Q&A about TPS reports on Friday",
            "Hank Scorpio will speak at the Globex conference next week",
        ],
        two_brands: &[
            "Switched from {b} to {b2} last month, no regrets",
            "{b} vs {b2}: which one has better support?",
            "{b} is way better than {b2}, not even close",
        ],
        no_brand: &[
            "Beautiful sunset at the beach today 🌅",
            "Traffic on the highway is insane this morning",
            "Who else is watching the game tonight?",
            "My banana bread turned out great, recipe in the comments",
        ],
        excluded: &[
            "Acme Plumbing fixed our leaking sink in an hour, great service",
            "Waiting for Acme Plumbing since 8am and still nobody here",
        ],
        burst: &[
            "Acme rocket skates exploded again, never buying Acme",
            "My Acme rocket skates caught fire on the first ride. Dangerous junk 🔥😡",
            "Third Acme Anvil that cracked this month. Acme quality is a disaster",
            "@acme your rocket skates are a safety hazard, recall them now!",
            "Acme refuses refunds for exploding rocket skates. Shameful.",
        ],
        comments: &[
            "This 👇",
            "So true",
            "Can confirm",
            "lol",
            "Same here",
            "Wow",
        ],
    },
    Phrases {
        code: "de",
        positive: &[
            "Meine neuen Acme Rocket Skates sind der Wahnsinn! 🚀",
            "Großes Lob an {b}, der Support hat super schnell geholfen",
            "Der Flat White im Café Brûlé ist einfach perfekt ☕",
            "Ich bin total zufrieden mit {b}, klare Empfehlung",
        ],
        negative: &[
            "Der Kundenservice von {b} ist eine Katastrophe",
            "Mein Acme Anvil ist nach einer Woche gebrochen. Nie wieder!",
            "{b} hat schon wieder die Preise erhöht, echt ärgerlich 😠",
            "Die TPS reports von Initech sind furchtbar umständlich",
        ],
        neutral: &[
            "Ist das neue Initech-Update schon da?",
            "Weiß jemand, ob {b} auch nach Österreich liefert?",
            "{b} stellt morgen die neuen Quartalszahlen vor",
        ],
        two_brands: &[
            "Von {b} zu {b2} gewechselt und sehr zufrieden",
            "{b} oder {b2}, was ist besser?",
        ],
        no_brand: &[
            "Endlich Wochenende! 🎉",
            "Der Zug hat heute wieder 40 Minuten Verspätung",
            "Heute gibt es Spargel mit Kartoffeln",
        ],
        excluded: &["Acme Plumbing hat unsere Heizung an einem Tag repariert, top!"],
        burst: &[
            "Acme Rocket Skates sind schon wieder explodiert, nie wieder Acme!",
            "Acme ignoriert alle Beschwerden über die explodierenden Skates. Skandal!",
            "Finger weg von Acme, die Qualität ist miserabel 😡",
        ],
        comments: &["Genau so", "Kann ich bestätigen", "Wow", "Haha"],
    },
    Phrases {
        code: "es",
        positive: &[
            "Me encantan mis nuevos rocket skates de Acme 😍",
            "El servicio de {b} es excelente, muy recomendable",
            "El café de Café Brûlé es el mejor de la ciudad ☕",
            "Gracias {b} por resolver mi problema tan rápido",
        ],
        negative: &[
            "El servicio al cliente de {b} es horrible",
            "Mis rocket skates de Acme se rompieron en dos días, qué decepción",
            "{b} me cobró dos veces y nadie responde 😤",
            "Nunca más compro en {b}, pésima experiencia",
        ],
        neutral: &[
            "¿Alguien sabe si {b} hace envíos a México?",
            "{b} presentará sus resultados mañana",
            "¿Ya salió la nueva actualización de Initech?",
        ],
        two_brands: &[
            "Me cambié de {b} a {b2} y estoy feliz",
            "¿{b} o {b2}? No sé cuál elegir",
        ],
        no_brand: &[
            "Qué calor hace hoy en Madrid 🥵",
            "Preparando paella para toda la familia",
            "El partido de esta noche va a estar increíble",
        ],
        excluded: &["Acme Plumbing llegó tarde otra vez, tres horas esperando"],
        burst: &[
            "¡Los rocket skates de Acme explotaron otra vez! Nunca más compro Acme",
            "Acme no devuelve el dinero por sus patines defectuosos, una vergüenza 😡",
            "Cuidado con Acme, sus productos son peligrosos",
        ],
        comments: &["Totalmente", "Justo esto", "Jajaja", "Confirmo"],
    },
    Phrases {
        code: "ru",
        positive: &[
            "Мои новые Acme rocket skates просто супер! 🚀",
            "Спасибо {b} за быструю поддержку, всё решили за пять минут",
            "Лучший кофе в городе — в Café Brûlé ☕",
            "Очень доволен {b}, рекомендую",
        ],
        negative: &[
            "Служба поддержки {b} — это катастрофа",
            "Мои Acme rocket skates сломались через два дня, ужасное качество 😡",
            "{b} опять подняли цены, а сервис стал хуже",
            "Больше никогда не буду покупать у {b}",
        ],
        neutral: &[
            "Кто-нибудь знает, {b} доставляет в Казань?",
            "{b} завтра опубликует отчёт за квартал",
            "Уже вышло новое обновление Initech?",
        ],
        two_brands: &[
            "Перешёл с {b} на {b2} и не жалею",
            "{b} или {b2}: что лучше?",
        ],
        no_brand: &[
            "Сегодня наконец-то выпал снег ❄️",
            "Пробки в Москве просто невыносимые",
            "Кто смотрит футбол сегодня вечером?",
        ],
        excluded: &["Acme Plumbing быстро починили нам кран, спасибо"],
        burst: &[
            "Acme rocket skates снова взорвались, больше никогда не куплю Acme",
            "Acme игнорирует жалобы покупателей, это позор 😡",
            "Не покупайте ничего у Acme, это опасно",
        ],
        comments: &["Именно", "Подтверждаю", "Ого", "Согласен"],
    },
    Phrases {
        code: "vi",
        positive: &[
            "Mới mua đôi Acme rocket skates, thích lắm luôn! 😍",
            "Dịch vụ của {b} rất tốt, mình rất hài lòng",
            "Cà phê ở Café Brûlé ngon tuyệt ☕",
            "Cảm ơn {b} đã hỗ trợ nhanh chóng",
        ],
        negative: &[
            "Dịch vụ khách hàng của {b} quá tệ",
            "Acme rocket skates của mình hỏng sau hai ngày, thất vọng quá 😡",
            "{b} lại tăng giá nữa rồi, chán thật",
            "Không bao giờ mua hàng của {b} nữa",
        ],
        neutral: &[
            "Có ai biết {b} có giao hàng ra Đà Nẵng không?",
            "{b} sẽ công bố kết quả kinh doanh vào ngày mai",
            "Bản cập nhật mới của Initech đã ra chưa?",
        ],
        two_brands: &[
            "Mình đã chuyển từ {b} sang {b2}, không hối hận",
            "{b} hay {b2}, cái nào tốt hơn?",
        ],
        no_brand: &[
            "Hôm nay Sài Gòn mưa to quá 🌧️",
            "Phở sáng nay ngon tuyệt",
            "Cuối tuần này đi Đà Lạt thôi",
        ],
        excluded: &["Acme Plumbing sửa ống nước nhà mình rất nhanh"],
        burst: &[
            "Acme rocket skates lại phát nổ, không bao giờ mua Acme nữa",
            "Acme không chịu hoàn tiền, quá tệ 😡",
            "Mọi người tránh xa Acme nhé, sản phẩm nguy hiểm",
        ],
        comments: &["Chuẩn luôn", "Đúng vậy", "Trời ơi", "Haha"],
    },
    Phrases {
        code: "pt",
        positive: &[
            "Acabei de comprar meus rocket skates da Acme, amei! 😍",
            "O atendimento da {b} é excelente, recomendo",
            "O melhor café da cidade é o do Café Brûlé ☕",
            "Muito obrigado {b}, resolveram meu problema rapidinho",
        ],
        negative: &[
            "O atendimento da {b} é péssimo",
            "Meus rocket skates da Acme quebraram em dois dias, que decepção 😡",
            "A {b} aumentou os preços de novo, um absurdo",
            "Nunca mais compro da {b}",
        ],
        neutral: &[
            "Alguém sabe se a {b} entrega em Portugal?",
            "A {b} divulga os resultados amanhã",
            "A nova atualização da Initech já saiu?",
        ],
        two_brands: &[
            "Troquei a {b} pela {b2} e não me arrependo",
            "{b} ou {b2}, qual é melhor?",
        ],
        no_brand: &[
            "Que dia lindo na praia hoje 🌞",
            "O trânsito em São Paulo está terrível",
            "Hoje tem feijoada em casa",
        ],
        excluded: &["A Acme Plumbing consertou o encanamento em uma hora"],
        burst: &[
            "Os rocket skates da Acme explodiram de novo, nunca mais compro Acme",
            "A Acme não devolve o dinheiro dos patins com defeito, que vergonha 😡",
            "Cuidado com a Acme, os produtos são perigosos",
        ],
        comments: &["Exatamente", "Kkkkk", "Verdade", "Confirmo"],
    },
    Phrases {
        code: "fr",
        positive: &[
            "Je viens de recevoir mes rocket skates Acme, je les adore ! 😍",
            "Le service client de {b} est au top, merci !",
            "Le meilleur café de Paris, c'est au Café Brûlé ☕",
            "Très satisfait de {b}, je recommande",
        ],
        negative: &[
            "Le service client de {b} est une catastrophe",
            "Mes rocket skates Acme sont cassés après deux jours, quelle déception 😡",
            "{b} a encore augmenté ses prix, c'est n'importe quoi",
            "Plus jamais je n'achète chez {b}",
        ],
        neutral: &[
            "Quelqu'un sait si {b} livre en Belgique ?",
            "{b} publiera ses résultats demain",
            "La nouvelle mise à jour d'Initech est sortie ?",
        ],
        two_brands: &[
            "Je suis passé de {b} à {b2}, aucun regret",
            "{b} ou {b2}, lequel est le meilleur ?",
        ],
        no_brand: &[
            "Quelle belle journée au bord de la mer 🌊",
            "Encore une grève des transports aujourd'hui",
            "Rien de mieux qu'un croissant le matin 🥐",
        ],
        excluded: &["Acme Plumbing est venu réparer la fuite, très pro"],
        burst: &[
            "Les rocket skates Acme ont encore explosé, plus jamais Acme !",
            "Acme refuse de rembourser ses produits défectueux, c'est honteux 😡",
            "Évitez Acme, leurs produits sont dangereux",
        ],
        comments: &["Exactement", "Je confirme", "Mdr", "Tellement vrai"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::ingest::Decoder;
    use crate::matcher::Matcher;
    use crate::record::InputFormat;
    use chrono::TimeDelta;
    use std::collections::{BTreeSet, HashMap};

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(ms: i64) -> DateTime<Utc> {
        start() + TimeDelta::milliseconds(ms)
    }

    /// `n` samples, one every 300 ms (so 2000 span more than a demo day and two bursts).
    fn run(mut generator: Generator, n: i64) -> (Generator, Vec<(DateTime<Utc>, Sample)>) {
        let samples = (0..n)
            .map(|i| {
                let now = at(i * 300);
                (now, generator.next_sample(now))
            })
            .collect();
        (generator, samples)
    }

    fn mentions(samples: &[(DateTime<Utc>, Sample)]) -> Vec<&Sample> {
        samples
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.topic == MENTIONS_TOPIC)
            .collect()
    }

    fn tweets(samples: &[(DateTime<Utc>, Sample)]) -> Vec<Value> {
        samples
            .iter()
            .filter(|(_, s)| s.topic == TWEETS_TOPIC)
            .map(|(_, s)| serde_json::from_slice(&s.payload).expect("tweet is JSON"))
            .collect()
    }

    #[test]
    fn mentions_parse_except_the_malformed_about_one_percent() {
        let (generator, samples) = run(Generator::new(7, start()), 2000);
        let mentions = mentions(&samples);
        let failed = mentions
            .iter()
            .filter(|s| serde_json::from_slice::<Mention>(&s.payload).is_err())
            .count();
        assert_eq!(failed as u64, generator.malformed_count());
        let ratio = failed as f64 / mentions.len() as f64;
        assert!((0.003..=0.03).contains(&ratio), "malformed ratio {ratio}");
        let tweet_share = 1.0 - mentions.len() as f64 / samples.len() as f64;
        assert!(
            (0.15..=0.25).contains(&tweet_share),
            "tweet share {tweet_share}"
        );
    }

    #[test]
    fn malformed_ratio_is_adjustable() {
        let mut generator = Generator::new(7, start());
        generator.malformed_ratio = 0.0;
        let (generator, _) = run(generator, 500);
        assert_eq!(generator.malformed_count(), 0);
    }

    #[test]
    fn the_decoders_accept_the_valid_records_and_reject_each_kind_of_malformed_one() {
        let mut generator = Generator::new(11, start());
        generator.malformed_ratio = 0.25;
        let (_, samples) = run(generator, 1000);
        let canonical = Decoder::new(InputFormat::Canonical, 100_000);
        let mut reasons = BTreeSet::new();
        for sample in mentions(&samples) {
            let typed = serde_json::from_slice::<Mention>(&sample.payload);
            match canonical.decode(Some(&sample.payload)) {
                Ok(decoded) => assert_eq!(decoded, typed.unwrap()),
                Err(e) => {
                    assert!(typed.is_err(), "{e}: decoder rejects a record serde reads");
                    reasons.insert(e.reason());
                }
            }
        }
        let expected = BTreeSet::from([
            "invalid_field",
            "invalid_json",
            "invalid_utf8",
            "missing_field",
        ]);
        assert_eq!(reasons, expected);

        let twitter = Decoder::new(InputFormat::TwitterV1, 100_000);
        let (mut reposts, mut quotes, mut long) = (0, 0, 0);
        for (_, sample) in samples.iter().filter(|(_, s)| s.topic == TWEETS_TOPIC) {
            let mention = twitter.decode(Some(&sample.payload)).unwrap();
            assert_eq!(mention.id, sample.key);
            reposts += usize::from(mention.repost_of.is_some());
            quotes += usize::from(mention.quote_of.is_some());
            long += usize::from(mention.text.chars().count() > TWEET_LIMIT);
            assert!(!mention.text.contains("&amp;"), "{}", mention.text);
        }
        assert!(
            reposts > 0 && quotes > 0 && long > 0,
            "{reposts} {quotes} {long}"
        );
    }

    #[test]
    fn tweets_look_like_twitter_v1() {
        let (_, samples) = run(Generator::new(3, start()), 2000);
        let tweets = tweets(&samples);
        let mut retweeted: HashMap<String, usize> = HashMap::new();
        let mut truncated = 0;
        let mut quoted = 0;
        for tweet in &tweets {
            assert!(!tweet["id_str"].as_str().unwrap().is_empty(), "{tweet}");
            assert!(tweet["user"]["screen_name"].is_string());
            assert!(tweet["user"]["followers_count"].is_u64());
            assert!(tweet["timestamp_ms"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .is_ok());
            let created_at = tweet["created_at"].as_str().unwrap();
            DateTime::parse_from_str(created_at, TWITTER_TIME).unwrap();
            assert!(tweet["entities"]["hashtags"].is_array());
            if let Some(original) = tweet.get("retweeted_status") {
                assert!(tweet["text"].as_str().unwrap().starts_with("RT @"));
                assert!(original.get("timestamp_ms").is_none());
                let id = original["id_str"].as_str().unwrap().to_string();
                *retweeted.entry(id).or_default() += 1;
            }
            if tweet["truncated"] == Value::Bool(true) {
                truncated += 1;
                let full = tweet["extended_tweet"]["full_text"].as_str().unwrap();
                assert!(full.chars().count() > TWEET_LIMIT);
                let shown = tweet["text"].as_str().unwrap().replace("&amp;", "&");
                assert!(shown.chars().count() <= TWEET_LIMIT, "{shown}");
            }
            if tweet.get("quoted_status").is_some() {
                quoted += 1;
                assert_eq!(
                    tweet["quoted_status_id_str"],
                    tweet["quoted_status"]["id_str"]
                );
            }
        }
        let retweets: usize = retweeted.values().sum();
        let share = retweets as f64 / tweets.len() as f64;
        assert!((0.08..=0.25).contains(&share), "retweet share {share}");
        assert!(retweeted.values().any(|&n| n >= 3), "{retweeted:?}");
        assert!(truncated > 0 && quoted > 0, "{truncated} {quoted}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let (_, a) = run(Generator::new(42, start()), 500);
        let (_, b) = run(Generator::new(42, start()), 500);
        let (_, c) = run(Generator::new(43, start()), 500);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn keys_are_unique() {
        let (_, samples) = run(Generator::new(5, start()), 2000);
        let keys: HashSet<&str> = samples.iter().map(|(_, s)| s.key.as_str()).collect();
        assert_eq!(keys.len(), samples.len());
    }

    #[test]
    fn burst_windows() {
        let generator = Generator::new(1, start());
        for (secs, active) in [
            (-10.0, false),
            (0.0, false),
            (89.9, false),
            (90.0, true),
            (120.0, true),
            (149.9, true),
            (150.0, false),
            (389.9, false),
            (390.0, true),
            (449.9, true),
            (450.0, false),
            (690.0, true),
            (3_090.5, true),
            (3_150.0, false),
        ] {
            let now = at((secs * 1000.0) as i64);
            assert_eq!(generator.burst_active(now), active, "at {secs} s");
        }
    }

    #[test]
    fn rate_multiplier_follows_the_day_and_the_bursts() {
        let generator = Generator::new(1, start());
        let (mut low, mut high, mut burst_high) = (f64::MAX, f64::MIN, f64::MIN);
        for half_secs in 0..2 * 1800 {
            let now = at(half_secs * 500);
            let m = generator.rate_multiplier(now);
            assert!((0.3..=7.0).contains(&m), "{m} at {half_secs}");
            if generator.burst_active(now) {
                burst_high = burst_high.max(m);
            } else {
                low = low.min(m);
                high = high.max(m);
            }
        }
        assert!((0.39..0.45).contains(&low), "low {low}");
        assert!((1.55..1.61).contains(&high), "high {high}");
        assert!(burst_high > 4.0, "burst {burst_high}");
        assert!((generator.rate_multiplier(start()) - 1.0).abs() < 1e-9);
    }

    fn matcher() -> Matcher {
        let config = Config::from_toml(crate::demo::DEMO_CONFIG, "demo.toml").unwrap();
        Matcher::new(&config.brands, &config.matching).unwrap()
    }

    #[test]
    fn content_mix_matches_the_demo_brands() {
        let (_, samples) = run(Generator::new(9, start()), 3000);
        let matcher = matcher();
        let mut per_brand: HashMap<String, usize> = HashMap::new();
        let (mut total, mut unmatched, mut two, mut with_lang, mut small, mut big) =
            (0, 0, 0, 0, 0, 0);
        let mut plumbing = 0;
        let mut langs = BTreeSet::new();
        for sample in mentions(&samples) {
            let Ok(mention) = serde_json::from_slice::<Mention>(&sample.payload) else {
                continue;
            };
            total += 1;
            let matches = matcher.matches(&mention);
            unmatched += usize::from(matches.is_empty());
            two += usize::from(matches.len() >= 2);
            for m in matches {
                *per_brand.entry(m.brand).or_default() += 1;
            }
            if let Some(lang) = &mention.lang {
                with_lang += 1;
                langs.insert(lang.clone());
            }
            plumbing += usize::from(mention.text.contains("Acme Plumbing"));
            small += usize::from(mention.reach() < 1000);
            big += usize::from(mention.reach() >= 100_000);
        }
        let total_f = total as f64;
        let unmatched_share = unmatched as f64 / total_f;
        assert!(
            (0.08..=0.3).contains(&unmatched_share),
            "unmatched {unmatched_share}"
        );
        for brand in ["acme", "globex", "initech", "brule"] {
            assert!(
                per_brand.get(brand).copied().unwrap_or(0) > 20,
                "{brand}: {per_brand:?}"
            );
        }
        assert!(two > 20, "two brands: {two}");
        assert!(plumbing > 5, "plumbing: {plumbing}");
        let lang_share = with_lang as f64 / total_f;
        assert!((0.6..=0.8).contains(&lang_share), "lang share {lang_share}");
        assert_eq!(langs.len(), 7, "{langs:?}");
        assert!(small as f64 / total_f > 0.7, "small {small} of {total}");
        assert!(big > 0);
    }

    #[test]
    fn bursts_are_mostly_acme() {
        let (generator, samples) = run(Generator::new(13, start()), 3000);
        let matcher = matcher();
        let (mut inside, mut inside_acme, mut outside, mut outside_acme) = (0, 0, 0, 0);
        let mut burst_langs = BTreeSet::new();
        for (now, sample) in &samples {
            if sample.topic != MENTIONS_TOPIC {
                continue;
            }
            let Ok(mention) = serde_json::from_slice::<Mention>(&sample.payload) else {
                continue;
            };
            let acme = matcher
                .matches(&mention)
                .iter()
                .any(|m| m.brand == BURST_BRAND);
            if generator.burst_active(*now) {
                inside += 1;
                inside_acme += usize::from(acme);
                if acme {
                    if let Some(lang) = mention.lang {
                        burst_langs.insert(lang);
                    }
                }
            } else {
                outside += 1;
                outside_acme += usize::from(acme);
            }
        }
        let inside_share = inside_acme as f64 / inside as f64;
        let outside_share = outside_acme as f64 / outside as f64;
        assert!(inside_share > 0.7, "inside {inside_share}");
        assert!(outside_share < 0.5, "outside {outside_share}");
        assert!(burst_langs.len() >= 4, "{burst_langs:?}");
    }

    #[test]
    fn extracts_hashtags_and_handles() {
        let text = "Hi @acme and #AcmeCorp, mail a@b.c #x! #";
        assert_eq!(extract(text, '#'), ["AcmeCorp", "x"]);
        assert_eq!(extract(text, '@'), ["acme"]);
        assert_eq!(extract("#Café_Brûlé rocks", '#'), ["Café_Brûlé"]);
    }

    #[test]
    fn every_language_has_enough_templates() {
        for phrases in &LANGS {
            let sentences = phrases.positive.len() + phrases.negative.len() + phrases.neutral.len();
            assert!(sentences >= 6, "{}", phrases.code);
            for list in [
                phrases.positive,
                phrases.negative,
                phrases.neutral,
                phrases.two_brands,
                phrases.no_brand,
                phrases.excluded,
                phrases.burst,
                phrases.comments,
            ] {
                assert!(!list.is_empty(), "{}", phrases.code);
            }
            assert!(phrases
                .two_brands
                .iter()
                .all(|t| t.contains("{b}") && t.contains("{b2}")));
        }
        assert_eq!(
            BRAND_WEIGHTS.to_vec(),
            BRAND_NAMES.iter().map(|b| b.2).collect::<Vec<_>>()
        );
    }
}
