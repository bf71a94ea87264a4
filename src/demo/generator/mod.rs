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
//! The brands answer: a share of the canonical mentions that ask something (a `?`), and a
//! smaller share of the others, get a reply from the brand's support handle (its
//! `own_handles` in `demo.toml`, [`SUPPORT_HANDLES`]) [`REPLY_DELAY_MIN`] to
//! [`REPLY_DELAY_MAX`] later, so the live page's inbox shows items arriving and being
//! answered, and `brandpulse_brand_first_response_seconds` fills.
//!
//! Everything is drawn from one [`StdRng`] seeded by the caller, so a seed and the sequence
//! of `now` values given to [`Generator::next_sample`] fix the output.
//!
//! Files: this one holds the generator (rates, bursts, authors, the choice of each sample);
//! `tweet.rs` the Twitter v1.1 tweet model and its text helpers; `phrases.rs` the sentence
//! templates per language; `names.rs` the sources, brand names, outlets, influencers and
//! handles the samples use.

mod names;
mod phrases;
mod tweet;

use crate::mention::{Author, Engagement, Mention, Reference};
use chrono::{DateTime, Utc};
use names::{
    BRAND_NAMES, BRAND_WEIGHTS, GENERIC_TAGS, HANDLE_HEADS, HANDLE_TAILS, INFLUENCERS, OUTLETS,
    SOURCES, SOURCE_WEIGHTS,
};
use phrases::{Phrases, Tone, LANGS, LANG_WEIGHTS};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::f64::consts::TAU;
use std::time::Duration;
use tweet::{
    entities, escape_html, extract, ExtendedTweet, Tweet, TweetUser, ALNUM, TWEET_LIMIT,
    TWITTER_TIME,
};

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
/// Share of the burst's complaints that go on with a second complaint sentence: real bursts
/// are many people in their own words, not one text, and the screen stage tells the two
/// apart; a template generator gets closest by combining its sentences.
const BURST_OWN_WORDS_SHARE: f64 = 0.85;
/// The brand a copy-paste raid targets.
pub const RAID_BRAND: &str = "globex";
/// Time from the start to the first raid (between two bursts), then every [`BURST_EVERY`].
pub const RAID_FIRST: Duration = Duration::from_secs(210);
/// How long a raid lasts.
pub const RAID_LENGTH: Duration = Duration::from_secs(20);
/// Share of the canonical samples during a raid that are its copies.
const RAID_SHARE: f64 = 0.9;
/// The raid's text; each copy gets light edits (word swaps, emoji, hashtags, punctuation).
const RAID_TEXT: &str =
    "Globex stole my money! They charged me twice and refuse every refund. Everyone boycott Globex now";
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
/// Each brand's support account (its `own_handles` in `demo.toml`), and how it answers.
pub const SUPPORT_HANDLES: [(&str, &str); 4] = [
    ("acme", "AcmeHelp"),
    ("globex", "GlobexCares"),
    ("initech", "InitechSupport"),
    ("brule", "CafeBruleTeam"),
];
/// Share of canonical mentions with a `?` that the brand answers, and of the others.
const REPLY_SHARE_QUESTION: f64 = 0.5;
const REPLY_SHARE_OTHER: f64 = 0.05;
/// A brand answers this long after the mention, at the soonest and the latest.
pub const REPLY_DELAY_MIN: Duration = Duration::from_secs(10);
/// See [`REPLY_DELAY_MIN`].
pub const REPLY_DELAY_MAX: Duration = Duration::from_secs(90);
/// Replies waiting to be posted, at most.
const PENDING_REPLIES: usize = 256;

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
    /// Draws of the burst's own words and of the raid, apart from `rng` so that adding them
    /// left the rest of the stream (times, authors, templates) as it was.
    extra_rng: StdRng,
    start: DateTime<Utc>,
    counter: u64,
    malformed: u64,
    authors: Vec<Persona>,
    outlets: Vec<Persona>,
    originals: VecDeque<Tweet>,
    /// `id_str` of the original retweeted last, which goes on being retweeted for a while.
    hot: Option<String>,
    /// Draws of the brands' replies, apart from the others so that adding them left the
    /// rest of the stream as it was.
    reply_rng: StdRng,
    /// Replies to post: (when, the mention answered, brand index in [`SUPPORT_HANDLES`],
    /// the author answered). In posting order.
    replies: VecDeque<(DateTime<Utc>, String, usize, String)>,
    replies_posted: u64,
}

/// Someone who posts: an author or, for `news`, an outlet.
#[derive(Debug, Clone)]
struct Persona {
    id: String,
    handle: String,
    followers: u64,
    /// Index into [`LANGS`](phrases::LANGS).
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
            extra_rng: StdRng::seed_from_u64(seed ^ 0x0005_eed0_fa11),
            start,
            counter: 0,
            malformed: 0,
            authors,
            outlets,
            originals: VecDeque::with_capacity(RECENT_ORIGINALS),
            hot: None,
            reply_rng: StdRng::seed_from_u64(seed ^ 0x0007_e91e_5000),
            replies: VecDeque::new(),
            replies_posted: 0,
        }
    }

    /// Brand replies posted so far.
    pub fn replies_posted(&self) -> u64 {
        self.replies_posted
    }

    /// Maybe schedules the brand's reply to `mention` (canonical, well-formed).
    fn schedule_reply(&mut self, mention: &Mention) {
        let lower = mention.text.to_lowercase();
        let brand = ["acme", "globex", "initech", "brûlé"]
            .iter()
            .position(|name| lower.contains(name));
        let (Some(brand), Some(author)) = (
            brand,
            mention.author.as_ref().and_then(|a| a.handle.clone()),
        ) else {
            return;
        };
        let share = if mention.text.contains('?') {
            REPLY_SHARE_QUESTION
        } else {
            REPLY_SHARE_OTHER
        };
        if self.replies.len() >= PENDING_REPLIES || self.reply_rng.gen::<f64>() >= share {
            return;
        }
        let delay = self
            .reply_rng
            .gen_range(REPLY_DELAY_MIN.as_millis() as i64..=REPLY_DELAY_MAX.as_millis() as i64);
        let due = DateTime::from_timestamp_millis(mention.created_at.timestamp_millis() + delay)
            .unwrap_or(mention.created_at);
        // Kept in posting order.
        let at = self.replies.partition_point(|r| r.0 <= due);
        self.replies
            .insert(at, (due, mention.id.clone(), brand, author));
    }

    /// The first reply due at `now`, as a record.
    fn due_reply(&mut self, now: DateTime<Utc>) -> Option<Sample> {
        if self.replies.front().is_none_or(|r| r.0 > now) {
            return None;
        }
        let (due, to, brand, author) = self.replies.pop_front()?;
        self.replies_posted += 1;
        let n = self.replies_posted;
        let (_, handle) = SUPPORT_HANDLES[brand];
        let text = *pick(
            &mut self.reply_rng,
            &[
                "Sorry to hear that! We've sent you a DM to sort it out.",
                "Thanks for reaching out. Could you DM us your order number?",
                "Hi! Here is how to do it: https://help.example.com/start",
                "We're on it, a fix is rolling out today. Thanks for your patience.",
            ],
        );
        let mention = Mention {
            id: format!("demo-reply-{n}"),
            text: format!("@{author} {text}"),
            created_at: due,
            source: "twitter".into(),
            lang: Some("en".into()),
            author: Some(Author {
                id: Some(format!("support-{brand}")),
                handle: Some(handle.to_string()),
                followers: Some(25_000),
                verified: Some(true),
                ..Author::default()
            }),
            url: Some(format!("https://twitter.com/{handle}/status/{n}")),
            engagement: None,
            reply_to: Some(Reference {
                id: to,
                text: None,
                author_handle: Some(author.clone()),
            }),
            repost_of: None,
            quote_of: None,
            hashtags: Vec::new(),
            user_mentions: vec![author],
        };
        Some(Sample {
            topic: MENTIONS_TOPIC,
            key: mention.id.clone(),
            payload: serde_json::to_vec(&mention).unwrap_or_default(),
        })
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

    /// Whether a copy-paste raid on [`RAID_BRAND`] is on at `now`: from [`RAID_FIRST`] after
    /// the start, every [`BURST_EVERY`], for [`RAID_LENGTH`].
    pub fn raid_active(&self, now: DateTime<Utc>) -> bool {
        let elapsed = (now - self.start).num_milliseconds();
        let first = RAID_FIRST.as_millis() as i64;
        let every = BURST_EVERY.as_millis() as i64;
        elapsed >= first && (elapsed - first) % every < RAID_LENGTH.as_millis() as i64
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
        if let Some(reply) = self.due_reply(now) {
            return reply;
        }
        let burst = self.burst_active(now);
        if self.chance(TWEET_SHARE) {
            let tweet = self.tweet(now, burst);
            return Sample {
                topic: TWEETS_TOPIC,
                key: tweet.id_str.clone(),
                payload: serde_json::to_vec(&tweet).unwrap_or_default(),
            };
        }
        let mut mention = self.mention(now, burst);
        if self.raid_active(now) && self.extra_rng.gen::<f64>() < RAID_SHARE {
            mention = self.raid_copy(now);
        }
        let payload = if self.chance(self.malformed_ratio) {
            self.malformed += 1;
            self.malform(&mention)
        } else {
            self.schedule_reply(&mention);
            serde_json::to_vec(&mention).unwrap_or_default()
        };
        Sample {
            topic: MENTIONS_TOPIC,
            key: mention.id,
            payload,
        }
    }

    /// As [`Self::chance`], from the extra draws.
    fn extra_chance(&mut self, p: f64) -> bool {
        self.extra_rng.gen::<f64>() < p
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
                followers: i64::try_from(persona.followers).ok(),
                ..Author::default()
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

    /// One copy of the raid's text, lightly edited, from a fresh account that looks automated
    /// (days old, default picture, a handle ending in digits, few followers, many follows).
    fn raid_copy(&mut self, now: DateTime<Utc>) -> Mention {
        let number = self.next_number();
        let n: u64 = self.extra_rng.gen_range(10_000_000..100_000_000);
        let handle = format!(
            "{}{n}",
            pick(
                &mut self.extra_rng,
                &["truthseeker", "realvoice", "fairdeal", "honestbuyer"]
            )
        );
        let mut text = RAID_TEXT.to_string();
        if self.extra_chance(0.4) {
            text = text.replace("stole", "took");
        }
        if self.extra_chance(0.3) {
            text = text.replace("Everyone", "Everybody");
        }
        if self.extra_chance(0.4) {
            text = text.replace("now", "NOW!!!");
        }
        if self.extra_chance(0.5) {
            let emoji = *pick(&mut self.extra_rng, &[" 😡", " 🤬🤬", " 👎"]);
            text.push_str(emoji);
        }
        if self.extra_chance(0.5) {
            let tags = *pick(
                &mut self.extra_rng,
                &[" #GlobexScam", " #BoycottGlobex", " #GlobexScam #fraud"],
            );
            text.push_str(tags);
        }
        let created_at = DateTime::from_timestamp_millis(
            now.timestamp_millis() - self.extra_rng.gen_range(0..1_500),
        )
        .unwrap_or(now);
        let age_ms = self.extra_rng.gen_range(1..5) * 86_400_000;
        Mention {
            id: format!("demo-{number}"),
            hashtags: extract(&text, '#'),
            text,
            created_at,
            source: "twitter".into(),
            lang: Some("en".into()),
            author: Some(Author {
                id: Some(format!("raid-{n}")),
                followers: Some(self.extra_rng.gen_range(0..8)),
                following: Some(self.extra_rng.gen_range(800..2_000)),
                posts: Some(self.extra_rng.gen_range(300..3_000)),
                created_at: DateTime::from_timestamp_millis(now.timestamp_millis() - age_ms),
                default_profile: Some(true),
                default_profile_image: Some(true),
                verified: Some(false),
                handle: Some(handle.clone()),
                ..Author::default()
            }),
            url: Some(format!("https://twitter.com/{handle}/status/{number}")),
            engagement: Some(Engagement::default()),
            reply_to: None,
            repost_of: None,
            quote_of: None,
            user_mentions: Vec::new(),
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
        let complaint = burst && self.chance(BURST_CONTENT_SHARE);
        let (templates, tone) = if complaint {
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
        if complaint && self.extra_rng.gen::<f64>() < BURST_OWN_WORDS_SHARE {
            let own = pick(&mut self.extra_rng, phrases.burst);
            text.push(' ');
            text.push_str(&own.replace("{b2}", second.1).replace("{b}", first.1));
        }

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

#[cfg(test)]
mod tests;
