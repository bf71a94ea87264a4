//! The inbox's synchronous core: which inbox items are still open, per brand, and the brand
//! replies that close them. No I/O, no clock: callers pass the time.
//!
//! - [`open`](InboxTracker::open): an item went to the inbox topic (acknowledged). If a reply
//!   to it arrived first (consumed earlier: replies and mentions come from different
//!   partitions), it is answered at once.
//! - [`reply`](InboxTracker::reply): a post by one of the brand's own handles replied to a
//!   mention. An open item is answered (first-response time = reply time - post time); a
//!   second reply to an answered item is `already_answered`; a reply to an id the inbox does
//!   not hold waits up to `early_reply_wait` for its mention (`early`), and if none comes it
//!   counts as `unknown` (a reply to a mention that needed no response, or one never seen).
//! - [`expire`](InboxTracker::expire): items unanswered for `max_age` are dropped (expired),
//!   early replies that found no mention become unknown.
//!
//! Bounded: at most `max_open` open items (the oldest dropped first, counted as expired), at
//! most `max_early_replies` early replies, and as many answered ids as open items are allowed
//! (to tell `already_answered` from `unknown`).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::InboxConfig;

/// An open inbox item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// When the mention was posted (ms since the epoch).
    pub posted_ms: i64,
    /// A complaint (the "complaints waiting too long" alert watches these).
    pub complaint: bool,
}

/// What a brand reply did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplyResult {
    /// It answered an open item, this many seconds after the mention was posted.
    Answered {
        /// First-response time in seconds (0 when the reply's time is earlier).
        seconds: f64,
    },
    /// The item had been answered already.
    AlreadyAnswered,
    /// The inbox does not hold the id yet: kept to match the mention when it comes.
    Early,
}

impl ReplyResult {
    /// The `result` label of `brandpulse_inbox_replies_total`.
    pub fn label(&self) -> &'static str {
        match self {
            ReplyResult::Answered { .. } => "answered",
            ReplyResult::AlreadyAnswered => "already_answered",
            ReplyResult::Early => "early",
        }
    }
}

/// Every `result` label of `brandpulse_inbox_replies_total`.
pub const REPLY_RESULTS: [&str; 4] = ["answered", "already_answered", "early", "unknown"];

/// What [`InboxTracker::expire`] dropped.
#[derive(Debug, Default, PartialEq)]
pub struct Expired {
    /// Items unanswered for `max_age` (or beyond `max_open`), by brand.
    pub items: Vec<String>,
    /// Early replies that found no mention in `early_reply_wait` (or beyond
    /// `max_early_replies`).
    pub unknown_replies: u64,
}

type Key = (String, String);

/// A brand reply waiting for its mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EarlyReply {
    reply_ms: i64,
    seen_ms: i64,
}

/// Open items and early replies of every brand.
#[derive(Debug)]
pub struct InboxTracker {
    config: InboxConfig,
    /// (brand, mention id) -> item.
    open: HashMap<Key, Item>,
    /// Open keys by post time, oldest first (may hold keys already answered: skipped).
    by_age: BTreeMap<(i64, Key), ()>,
    /// Recently answered keys, oldest first, and as a set.
    answered: VecDeque<Key>,
    answered_set: HashSet<Key>,
    /// Replies waiting for their mention, in arrival order.
    early: HashMap<Key, EarlyReply>,
    early_order: VecDeque<(i64, Key)>,
    /// Open items per brand.
    open_per_brand: HashMap<String, u64>,
}

impl InboxTracker {
    /// An empty tracker.
    pub fn new(config: &InboxConfig) -> Self {
        Self {
            config: config.clone(),
            open: HashMap::new(),
            by_age: BTreeMap::new(),
            answered: VecDeque::new(),
            answered_set: HashSet::new(),
            early: HashMap::new(),
            early_order: VecDeque::new(),
            open_per_brand: HashMap::new(),
        }
    }

    /// Open items over all brands.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Early replies waiting.
    pub fn early_count(&self) -> usize {
        self.early.len()
    }

    /// An item went to the inbox. Returns the answer when a reply to it came first; `None`
    /// when it is now open (or was open or answered already: a re-consumed record).
    pub fn open(
        &mut self,
        brand: &str,
        mention_id: &str,
        item: Item,
        expired: &mut Expired,
    ) -> Option<ReplyResult> {
        let key = (brand.to_string(), mention_id.to_string());
        if self.open.contains_key(&key) || self.answered_set.contains(&key) {
            return None;
        }
        if let Some(early) = self.early.remove(&key) {
            self.mark_answered(key);
            return Some(ReplyResult::Answered {
                seconds: seconds_between(item.posted_ms, early.reply_ms),
            });
        }
        while self.open.len() >= self.config.max_open {
            let Some(((_, oldest), ())) = self.by_age.pop_first() else {
                break;
            };
            if self.remove_open(&oldest).is_some() {
                expired.items.push(oldest.0);
            }
        }
        self.by_age.insert((item.posted_ms, key.clone()), ());
        *self.open_per_brand.entry(key.0.clone()).or_default() += 1;
        self.open.insert(key, item);
        None
    }

    /// A post by one of `brand`'s own handles, posted at `reply_ms`, replied to `mention_id`;
    /// `now_ms` is when it was seen.
    pub fn reply(
        &mut self,
        brand: &str,
        mention_id: &str,
        reply_ms: i64,
        now_ms: i64,
        expired: &mut Expired,
    ) -> ReplyResult {
        let key = (brand.to_string(), mention_id.to_string());
        if let Some(item) = self.remove_open(&key) {
            self.mark_answered(key);
            return ReplyResult::Answered {
                seconds: seconds_between(item.posted_ms, reply_ms),
            };
        }
        if self.answered_set.contains(&key) {
            return ReplyResult::AlreadyAnswered;
        }
        if self.early.contains_key(&key) {
            // A second reply before the mention: the first one's time stands.
            return ReplyResult::Early;
        }
        while self.early.len() >= self.config.max_early_replies {
            let Some((_, k)) = self.early_order.pop_front() else {
                break;
            };
            if self.early.remove(&k).is_some() {
                expired.unknown_replies += 1;
            }
        }
        self.early_order.push_back((now_ms, key.clone()));
        self.early.insert(
            key,
            EarlyReply {
                reply_ms,
                seen_ms: now_ms,
            },
        );
        ReplyResult::Early
    }

    /// Drops items posted more than `max_age` before `now_ms` and early replies seen more
    /// than `early_reply_wait` before it.
    pub fn expire(&mut self, now_ms: i64, expired: &mut Expired) {
        let max_age = self.config.max_age.as_millis() as i64;
        while let Some(((posted, _), ())) = self.by_age.first_key_value() {
            if *posted > now_ms - max_age {
                break;
            }
            let Some(((_, key), ())) = self.by_age.pop_first() else {
                break;
            };
            if self.remove_open(&key).is_some() {
                expired.items.push(key.0);
            }
        }
        let wait = self.config.early_reply_wait.as_millis() as i64;
        while self
            .early_order
            .front()
            .is_some_and(|(seen, _)| *seen <= now_ms - wait)
        {
            let Some((seen, key)) = self.early_order.pop_front() else {
                break;
            };
            // Only if it is still the same early reply (not answered since).
            if self.early.get(&key).is_some_and(|e| e.seen_ms == seen) {
                self.early.remove(&key);
                expired.unknown_replies += 1;
            }
        }
    }

    /// Per brand: open items and the age (seconds at `now_ms`) of the oldest open complaint
    /// (0 when none). Brands whose items all closed are listed with zeros while they have
    /// been seen, so their gauges go back to 0.
    pub fn gauges(&self, now_ms: i64) -> BTreeMap<String, (u64, f64)> {
        let mut out: BTreeMap<String, (u64, f64)> = self
            .open_per_brand
            .iter()
            .map(|(b, n)| (b.clone(), (*n, 0.0)))
            .collect();
        for (b, item) in self.open.iter().map(|((b, _), i)| (b, i)) {
            if item.complaint {
                let age = seconds_between(item.posted_ms, now_ms);
                if let Some(g) = out.get_mut(b) {
                    g.1 = g.1.max(age);
                }
            }
        }
        out
    }

    fn remove_open(&mut self, key: &Key) -> Option<Item> {
        let item = self.open.remove(key)?;
        self.by_age.remove(&(item.posted_ms, key.clone()));
        if let Some(n) = self.open_per_brand.get_mut(&key.0) {
            *n = n.saturating_sub(1);
        }
        Some(item)
    }

    fn mark_answered(&mut self, key: Key) {
        if self.answered.len() >= self.config.max_open {
            if let Some(old) = self.answered.pop_front() {
                self.answered_set.remove(&old);
            }
        }
        self.answered_set.insert(key.clone());
        self.answered.push_back(key);
    }
}

fn seconds_between(from_ms: i64, to_ms: i64) -> f64 {
    (to_ms - from_ms).max(0) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MIN: i64 = 60_000;

    fn tracker(max_open: usize) -> InboxTracker {
        InboxTracker::new(&InboxConfig {
            max_open,
            max_age: Duration::from_secs(3600),
            early_reply_wait: Duration::from_secs(600),
            max_early_replies: 2,
        })
    }

    fn item(posted_ms: i64, complaint: bool) -> Item {
        Item {
            posted_ms,
            complaint,
        }
    }

    #[test]
    fn a_reply_answers_its_item_once_with_the_first_response_time() {
        let mut t = tracker(10);
        let mut x = Expired::default();
        assert_eq!(t.open("acme", "m1", item(0, true), &mut x), None);
        assert_eq!(t.open("acme", "m2", item(MIN, false), &mut x), None);
        assert_eq!(t.gauges(10 * MIN)["acme"], (2, 600.0));
        assert_eq!(
            t.reply("acme", "m1", 5 * MIN, 6 * MIN, &mut x),
            ReplyResult::Answered { seconds: 300.0 }
        );
        assert_eq!(
            t.reply("acme", "m1", 7 * MIN, 7 * MIN, &mut x),
            ReplyResult::AlreadyAnswered
        );
        // The complaint is answered: the oldest open complaint's age is back to 0.
        assert_eq!(t.gauges(10 * MIN)["acme"], (1, 0.0));
        // Another brand's reply does not answer acme's item.
        assert_eq!(
            t.reply("globex", "m2", 8 * MIN, 8 * MIN, &mut x),
            ReplyResult::Early
        );
        assert_eq!(t.open_count(), 1);
        // A re-consumed record does not reopen an answered item.
        assert_eq!(t.open("acme", "m1", item(0, true), &mut x), None);
        assert_eq!(t.open_count(), 1);
        assert_eq!(x, Expired::default());
    }

    #[test]
    fn a_reply_that_comes_before_its_mention_answers_it_when_it_opens() {
        let mut t = tracker(10);
        let mut x = Expired::default();
        assert_eq!(
            t.reply("acme", "m1", 4 * MIN, 4 * MIN, &mut x),
            ReplyResult::Early
        );
        assert_eq!(
            t.open("acme", "m1", item(MIN, true), &mut x),
            Some(ReplyResult::Answered { seconds: 180.0 })
        );
        assert_eq!((t.open_count(), t.early_count()), (0, 0));
        // A reply whose time is before the post (clock skew) counts as 0 s, not negative.
        t.open("acme", "m2", item(10 * MIN, false), &mut x);
        assert_eq!(
            t.reply("acme", "m2", 9 * MIN, 11 * MIN, &mut x),
            ReplyResult::Answered { seconds: 0.0 }
        );
    }

    #[test]
    fn unknown_replies_and_old_items_expire_and_are_counted() {
        let mut t = tracker(10);
        let mut x = Expired::default();
        t.open("acme", "old", item(0, true), &mut x);
        t.open("acme", "new", item(50 * MIN, true), &mut x);
        t.reply("acme", "never-seen", MIN, MIN, &mut x);
        t.expire(5 * MIN, &mut x);
        assert_eq!(x, Expired::default(), "nothing is due yet");
        t.expire(11 * MIN, &mut x);
        assert_eq!(x.unknown_replies, 1);
        assert_eq!(t.early_count(), 0);
        t.expire(60 * MIN, &mut x);
        assert_eq!(x.items, ["acme"]);
        assert_eq!(t.gauges(60 * MIN)["acme"], (1, 600.0));
        // The expired item is gone: a late reply to it is early, then unknown.
        assert_eq!(
            t.reply("acme", "old", 61 * MIN, 61 * MIN, &mut x),
            ReplyResult::Early
        );
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = tracker(3);
        let mut x = Expired::default();
        for i in 0..5 {
            t.open("acme", &format!("m{i}"), item(i * MIN, false), &mut x);
        }
        assert_eq!(t.open_count(), 3);
        assert_eq!(x.items, ["acme", "acme"], "the two oldest were dropped");
        for i in 0..4 {
            t.reply("acme", &format!("r{i}"), 0, 0, &mut x);
        }
        assert_eq!(t.early_count(), 2);
        assert_eq!(x.unknown_replies, 2);
        for i in 2..5 {
            t.reply("acme", &format!("m{i}"), 9 * MIN, 9 * MIN, &mut x);
        }
        for i in 10..20 {
            t.open("acme", &format!("m{i}"), item(i * MIN, false), &mut x);
            t.reply("acme", &format!("m{i}"), i * MIN, i * MIN, &mut x);
        }
        assert!(t.answered.len() <= 3 && t.answered_set.len() <= 3);
        assert_eq!(t.gauges(0)["acme"].0, 0);
    }
}
