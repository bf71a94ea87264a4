//! Account signals: an explainable automation score from the profile fields that arrive with
//! each post (in the manner of profile-only bot classifiers such as BotometerLite, but with
//! fixed, documented weights instead of a trained forest: no labelled bot data is available
//! to train one here), plus the author's posting rate as this instance sees it.
//!
//! | reason | when | weight |
//! |---|---|---:|
//! | `account_age_days<7` | account created less than 7 days before the post | 0.35 |
//! | `account_age_days<30` | 7 to 30 days | 0.20 |
//! | `posts_per_day>100` | lifetime posts / account age in days (age at least 1) | 0.30 |
//! | `posts_per_day>40` | 40 to 100 | 0.15 |
//! | `followers<10` | | 0.15 |
//! | `following/followers>20` | following at least 200 and over 20 times the followers | 0.15 |
//! | `default_profile_image` | | 0.20 |
//! | `default_profile` | (theme and banner left as they came) | 0.10 |
//! | `handle_digits` | the handle ends in 5 or more digits (`maria84736251`) | 0.15 |
//! | `stream_rate>30/h` | more than 30 posts by this author seen in the last hour | 0.25 |
//!
//! The score is the sum, capped at 1, and halved for a verified account (reason `verified`).
//! Values that cannot be true (negative counts, more followers than people, an account
//! created after its post or before 2000) are treated as unknown, counted in
//! `brandpulse_screen_author_fields_invalid_total{field}`, and never add a reason.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::mention::{Author, Automation, Mention};

/// The most followers or posts an account can have before the value is taken as absurd.
const MAX_COUNT: i64 = 10_000_000_000;

/// Author fields treated as unknown because their value cannot be true, or the decoder could
/// not read them.
pub const INVALID_FIELDS: [&str; 4] = [
    "author.followers",
    "author.following",
    "author.posts",
    "author.created_at",
];

/// An author's profile fields with the absurd ones removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Followers.
    pub followers: Option<u64>,
    /// Following.
    pub following: Option<u64>,
    /// Lifetime posts.
    pub posts: Option<u64>,
    /// Account creation.
    pub created_at: Option<DateTime<Utc>>,
    /// Default theme.
    pub default_profile: Option<bool>,
    /// Default picture.
    pub default_profile_image: Option<bool>,
    /// Verified.
    pub verified: Option<bool>,
    /// Handle.
    pub handle: Option<String>,
}

impl Profile {
    /// Reads `author` of `mention`, calling `invalid(field)` for each field treated as unknown.
    pub fn of(mention: &Mention, author: &Author, mut invalid: impl FnMut(&'static str)) -> Self {
        for field in &author.dropped {
            invalid(field);
        }
        let mut count = |v: Option<i64>, field: &'static str| match v {
            Some(n) if (0..=MAX_COUNT).contains(&n) => Some(n as u64),
            Some(_) => {
                invalid(field);
                None
            }
            None => None,
        };
        let followers = count(author.followers, "author.followers");
        let following = count(author.following, "author.following");
        let posts = count(author.posts, "author.posts");
        let floor = DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        let created_at = author.created_at.and_then(|c| {
            let future = c > mention.created_at + chrono::Duration::days(1);
            if future || floor.is_some_and(|f| c < f) {
                invalid("author.created_at");
                None
            } else {
                Some(c)
            }
        });
        Self {
            followers,
            following,
            posts,
            created_at,
            default_profile: author.default_profile,
            default_profile_image: author.default_profile_image,
            verified: author.verified,
            handle: author.handle.clone(),
        }
    }

    /// Whether any field the score reads is known.
    fn is_empty(&self) -> bool {
        self.followers.is_none()
            && self.following.is_none()
            && self.posts.is_none()
            && self.created_at.is_none()
            && self.default_profile.is_none()
            && self.default_profile_image.is_none()
            && self.verified.is_none()
            && self.handle.is_none()
    }
}

/// The automation score of `profile` for a post made at `at`, with `stream_rate` posts by the
/// author seen in the last hour (0 when not tracked). `None` when no field is known and the
/// rate says nothing.
pub fn automation(profile: &Profile, at: DateTime<Utc>, stream_rate: u32) -> Option<Automation> {
    if profile.is_empty() && stream_rate <= 30 {
        return None;
    }
    let mut score = 0.0_f32;
    let mut reasons = Vec::new();
    let mut add = |w: f32, reason: &str| {
        score += w;
        reasons.push(reason.to_string());
    };
    let age_days = profile
        .created_at
        .map(|c| (at - c).num_seconds().max(0) as f64 / 86_400.0);
    match age_days {
        Some(d) if d < 7.0 => add(0.35, "account_age_days<7"),
        Some(d) if d < 30.0 => add(0.20, "account_age_days<30"),
        _ => {}
    }
    if let (Some(posts), Some(d)) = (profile.posts, age_days) {
        let rate = posts as f64 / d.max(1.0);
        if rate > 100.0 {
            add(0.30, "posts_per_day>100");
        } else if rate > 40.0 {
            add(0.15, "posts_per_day>40");
        }
    }
    if profile.followers.is_some_and(|f| f < 10) {
        add(0.15, "followers<10");
    }
    if let (Some(following), Some(followers)) = (profile.following, profile.followers) {
        if following >= 200 && following > 20 * followers {
            add(0.15, "following/followers>20");
        }
    }
    if profile.default_profile_image == Some(true) {
        add(0.20, "default_profile_image");
    }
    if profile.default_profile == Some(true) {
        add(0.10, "default_profile");
    }
    if profile.handle.as_deref().is_some_and(ends_in_digits) {
        add(0.15, "handle_digits");
    }
    if stream_rate > 30 {
        add(0.25, "stream_rate>30/h");
    }
    score = score.min(1.0);
    if profile.verified == Some(true) {
        score *= 0.5;
        reasons.push("verified".into());
    }
    Some(Automation {
        score: (score * 100.0).round() / 100.0,
        reasons,
    })
}

/// Whether `handle` ends in 5 or more ASCII digits.
fn ends_in_digits(handle: &str) -> bool {
    handle.bytes().rev().take_while(u8::is_ascii_digit).count() >= 5
}

/// What the tracker knows of one author in the current hour.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    /// Start of the author's current hour (seconds).
    hour_start: i64,
    /// Posts in it.
    posts: u32,
    /// Hash of the last text with a link, and how many times in a row it came again.
    link_text: u64,
    link_repeats: u32,
    /// Last post (seconds).
    last: i64,
}

/// Posting rates per author in the stream, in bounded memory: at `capacity` authors, those
/// not seen for 10 minutes are dropped, and if that frees nothing, all are (their rates
/// restart from 0).
#[derive(Debug)]
pub struct AuthorTracker {
    capacity: usize,
    seen: HashMap<u64, Seen>,
}

/// What the tracker says about one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    /// Posts by the author in the last hour, this one included (0 when not tracked).
    pub posts_last_hour: u32,
    /// Times in a row the author posted this same text with a link (0 for the first).
    pub link_repeats: u32,
}

impl AuthorTracker {
    /// A tracker of at most `capacity` authors (0: off).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            seen: HashMap::new(),
        }
    }

    /// Authors tracked.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no author is tracked.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Records a post by `author` at `at` (seconds); `link_text` is the hash of its text when
    /// it carries a link.
    pub fn observe(&mut self, author: u64, at: i64, link_text: Option<u64>) -> Rate {
        if self.capacity == 0 {
            return Rate::default();
        }
        if self.seen.len() >= self.capacity && !self.seen.contains_key(&author) {
            let horizon = at - 600;
            self.seen.retain(|_, s| s.last >= horizon);
            if self.seen.len() >= self.capacity {
                self.seen.clear();
            }
        }
        let s = self.seen.entry(author).or_default();
        if at - s.hour_start >= 3600 || at < s.hour_start {
            s.hour_start = at;
            s.posts = 0;
            s.link_repeats = 0;
            s.link_text = 0;
        }
        s.posts = s.posts.saturating_add(1);
        s.last = s.last.max(at);
        if let Some(h) = link_text {
            if s.link_text == h {
                s.link_repeats += 1;
            } else {
                s.link_text = h;
                s.link_repeats = 0;
            }
        }
        Rate {
            posts_last_hour: s.posts,
            link_repeats: if link_text.is_some() {
                s.link_repeats
            } else {
                0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn mention(author: Author) -> Mention {
        let mut m = Mention::new("1", "hi", "twitter", at());
        m.author = Some(author);
        m
    }

    fn profile(author: Author) -> (Profile, Vec<&'static str>) {
        let m = mention(author.clone());
        let mut bad = Vec::new();
        let p = Profile::of(&m, &author, |f| bad.push(f));
        (p, bad)
    }

    #[test]
    fn a_fresh_default_account_scores_high_with_its_reasons() {
        let (p, bad) = profile(Author {
            handle: Some("maria84736251".into()),
            followers: Some(3),
            following: Some(900),
            posts: Some(2_000),
            created_at: Some(at() - chrono::Duration::days(3)),
            default_profile_image: Some(true),
            ..Author::default()
        });
        assert!(bad.is_empty());
        let a = automation(&p, at(), 1).unwrap();
        assert_eq!(a.score, 1.0);
        assert_eq!(
            a.reasons,
            [
                "account_age_days<7",
                "posts_per_day>100",
                "followers<10",
                "following/followers>20",
                "default_profile_image",
                "handle_digits"
            ]
        );
    }

    #[test]
    fn an_ordinary_account_scores_low_and_verified_halves() {
        let ordinary = Author {
            handle: Some("dana_writes".into()),
            followers: Some(842),
            following: Some(611),
            posts: Some(9_312),
            created_at: Some(at() - chrono::Duration::days(4_000)),
            default_profile: Some(true),
            default_profile_image: Some(false),
            verified: Some(false),
            ..Author::default()
        };
        let (p, _) = profile(ordinary.clone());
        let a = automation(&p, at(), 2).unwrap();
        assert_eq!(a.score, 0.1);
        assert_eq!(a.reasons, ["default_profile"]);
        let (p, _) = profile(Author {
            verified: Some(true),
            created_at: Some(at() - chrono::Duration::days(2)),
            ..ordinary
        });
        let a = automation(&p, at(), 40).unwrap();
        // 0.35 + 0.30 (4,656 posts a day) + 0.10 + 0.25, capped at 1, halved.
        assert_eq!(a.score, 0.5);
        assert!(a.reasons.contains(&"verified".to_string()));
        assert!(a.reasons.contains(&"stream_rate>30/h".to_string()));
    }

    #[test]
    fn absurd_fields_are_unknown_counted_and_add_nothing() {
        let (p, bad) = profile(Author {
            followers: Some(-5),
            following: Some(-1),
            posts: Some(i64::MAX),
            created_at: Some(at() + chrono::Duration::days(30)),
            dropped: vec!["author.created_at"],
            ..Author::default()
        });
        assert_eq!(
            bad,
            [
                "author.created_at",
                "author.followers",
                "author.following",
                "author.posts",
                "author.created_at"
            ]
        );
        assert_eq!(p, Profile::default());
        assert_eq!(automation(&p, at(), 0), None, "nothing known: no score");
        let (old, bad) = profile(Author {
            created_at: Some(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()),
            ..Author::default()
        });
        assert_eq!(bad, ["author.created_at"]);
        assert_eq!(old.created_at, None);
    }

    #[test]
    fn tracker_counts_an_hour_and_repeated_links_and_stays_bounded() {
        let mut t = AuthorTracker::new(3);
        for i in 0..5 {
            let r = t.observe(1, 100 + i, Some(42));
            assert_eq!(r.posts_last_hour, i as u32 + 1);
            assert_eq!(r.link_repeats, i as u32);
        }
        assert_eq!(t.observe(1, 200, Some(7)).link_repeats, 0);
        assert_eq!(t.observe(1, 100 + 3600, None).posts_last_hour, 1);
        t.observe(2, 5000, None);
        t.observe(3, 5000, None);
        assert_eq!(t.len(), 3);
        // Full: authors idle for 10 minutes go first.
        t.observe(4, 5000 + 700, None);
        assert!(t.len() <= 3);
        assert_eq!(t.observe(4, 5000 + 701, None).posts_last_hour, 2);
        assert_eq!(AuthorTracker::new(0).observe(1, 1, None), Rate::default());
    }
}
