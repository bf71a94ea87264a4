//! The live page's data: a small, bounded, in-memory view of what the pipeline did in the
//! last hours, served as JSON at `/api/live` and drawn by the page at `/`.
//!
//! Per brand it keeps per-minute buckets (mentions by sentiment label and the sum of their
//! scores) for the last [`LiveConfig::hours`], by event time (`created_at`, like the alert
//! windows), and the last [`LiveConfig::recent`] scored mentions; over all brands, the last
//! [`LiveConfig::alerts`] alert events as they were published. Memory is bounded by
//! `max_brands x (hours x 60 buckets + recent mentions)` plus the alerts. Records whose event
//! time is outside the window (older than it, or more than a minute ahead of the clock) are
//! left out of the buckets but still shown among the recent mentions.
//!
//! [`LiveView`] is cheap to clone (an `Arc<Mutex<..>>`) and lives in
//! [`crate::telemetry::Metrics`]; the emitter records each batch with one lock.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::mention::{ScoredMention, SentimentLabel};
use crate::record::alert::{AlertEvent, CampaignEvent, EmergingTermEvent};

/// Longest text kept for a recent mention, in characters.
pub const TEXT_CHARS: usize = 280;

/// Seconds per bucket.
pub const BUCKET_SECONDS: i64 = 60;

/// How much the live view keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// Hours of per-minute buckets per brand.
    pub hours: u32,
    /// Recent scored mentions per brand.
    pub recent: usize,
    /// Recent alert events (all brands).
    pub alerts: usize,
    /// Brands tracked; records of further brands are not kept (rules define the brands, so
    /// this only matters after many reloads with new brand ids).
    pub max_brands: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            hours: 6,
            recent: 5,
            alerts: 50,
            max_brands: 2000,
        }
    }
}

/// One minute of one brand.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Unix minute (`secs / 60`) this slot holds; a slot of another minute is stale.
    minute: i64,
    /// Mentions by label, in [`SentimentLabel::ALL`] order.
    counts: [u32; 3],
    /// Sum of sentiment scores.
    score_sum: f64,
}

/// A scored mention as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RecentMention {
    /// Mention id.
    pub id: String,
    /// Text, at most [`TEXT_CHARS`] characters (an ellipsis marks a cut).
    pub text: String,
    /// `positive`, `neutral` or `negative`.
    pub label: &'static str,
    /// -1 .. 1.
    pub score: f32,
    /// Platform.
    pub source: String,
    /// Language scored in.
    pub lang: String,
    /// Event time.
    pub created_at: DateTime<Utc>,
    /// Potential reach (author followers).
    pub reach: u64,
}

/// A mention that needs a response, as the live page's inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InboxItem {
    /// Mention id.
    pub id: String,
    /// Text, at most [`TEXT_CHARS`] characters (an ellipsis marks a cut).
    pub text: String,
    /// `complaint`, `question` (one or both).
    pub labels: Vec<&'static str>,
    /// 0-100 (`docs/intent.md`).
    pub priority: u32,
    /// Author handle, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_handle: Option<String>,
    /// Link to the post, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Event time.
    pub created_at: DateTime<Utc>,
    /// When one of the brand's own handles answered it (seen by this instance); the page
    /// shows answered items below the open ones, fading, for [`ANSWERED_SHOWN_SECS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// Seconds from its post to the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_seconds: Option<f64>,
}

/// The page's inbox: at most [`INBOX_ITEMS`] open items, highest priority first (the newest
/// first among equals), then at most [`INBOX_ANSWERED`] items answered in the last
/// [`ANSWERED_SHOWN_SECS`], the latest answer first.
fn inbox_view(items: &VecDeque<InboxItem>, now: DateTime<Utc>) -> Vec<InboxItem> {
    let mut open: Vec<InboxItem> = items
        .iter()
        .filter(|i| i.answered_at.is_none())
        .cloned()
        .collect();
    open.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.created_at.cmp(&a.created_at))
    });
    let mut answered: Vec<InboxItem> = items
        .iter()
        .filter(|i| {
            i.answered_at
                .is_some_and(|t| (now - t).num_seconds() < ANSWERED_SHOWN_SECS)
        })
        .cloned()
        .collect();
    answered.sort_by_key(|i| std::cmp::Reverse(i.answered_at));
    open.truncate(INBOX_ITEMS);
    open.extend(answered.into_iter().take(INBOX_ANSWERED));
    open
}

/// Makes room for one more inbox item: drops an answered item no longer shown, else the
/// lowest-priority item (the oldest among equals), so urgent open items stay until answered.
fn evict_inbox(items: &mut VecDeque<InboxItem>, now: DateTime<Utc>) {
    if items.len() < INBOX_KEPT {
        return;
    }
    let gone = items.iter().position(|i| {
        i.answered_at
            .is_some_and(|t| (now - t).num_seconds() >= ANSWERED_SHOWN_SECS)
    });
    let victim = gone.or_else(|| {
        items
            .iter()
            .enumerate()
            .min_by_key(|(_, i)| (i.priority, i.created_at))
            .map(|(n, _)| n)
    });
    if let Some(n) = victim {
        items.remove(n);
    }
}

/// Open inbox items the live page shows per brand.
pub const INBOX_ITEMS: usize = 10;
/// Answered inbox items it shows per brand, below the open ones.
pub const INBOX_ANSWERED: usize = 5;
/// Inbox items remembered per brand for the page (open and recently answered).
pub const INBOX_KEPT: usize = 200;
/// How long an answered item stays on the live page's inbox view.
pub const ANSWERED_SHOWN_SECS: i64 = 600;

#[derive(Debug, Default)]
struct BrandView {
    /// Ring of per-minute buckets, indexed by `minute % len`; allocated on first use.
    buckets: Vec<Bucket>,
    /// Newest last.
    recent: VecDeque<RecentMention>,
    /// Mentions that need a response, in arrival order, at most [`INBOX_KEPT`].
    inbox: VecDeque<InboxItem>,
    /// Mentions recorded since start (all event times).
    total: u64,
}

#[derive(Debug)]
struct Inner {
    config: LiveConfig,
    brands: BTreeMap<String, BrandView>,
    /// Newest last.
    alerts: VecDeque<AlertEvent>,
    /// Newest last (as many as `alerts`).
    emerging: VecDeque<EmergingTermEvent>,
    campaigns: VecDeque<CampaignEvent>,
    /// Records of brands over `max_brands`, not kept.
    dropped_brands: u64,
}

/// The live view; clones share the same state.
#[derive(Debug, Clone)]
pub struct LiveView {
    inner: Arc<Mutex<Inner>>,
}

impl Default for LiveView {
    fn default() -> Self {
        Self::new(LiveConfig::default())
    }
}

fn label_index(label: SentimentLabel) -> usize {
    match label {
        SentimentLabel::Positive => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Negative => 2,
    }
}

/// Appends `item`, keeping the newest `keep`.
fn push_bounded<T: Clone>(list: &mut VecDeque<T>, item: &T, keep: usize) {
    if keep == 0 {
        return;
    }
    while list.len() >= keep {
        list.pop_front();
    }
    list.push_back(item.clone());
}

fn truncate(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        None => text.to_string(),
        Some((cut, _)) => {
            let mut s = text[..cut].trim_end().to_string();
            s.push('…');
            s
        }
    }
}

impl LiveView {
    /// An empty view keeping what `config` says.
    pub fn new(config: LiveConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                config,
                brands: BTreeMap::new(),
                alerts: VecDeque::new(),
                emerging: VecDeque::new(),
                campaigns: VecDeque::new(),
                dropped_brands: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            // The state stays consistent record by record; a panic elsewhere does not spoil it.
            Err(p) => p.into_inner(),
        }
    }

    /// Marks `brand`'s inbox item `mention_id` answered now (if the page still lists it).
    pub fn record_answered(&self, brand: &str, mention_id: &str, seconds: f64) {
        self.record_answered_at(brand, mention_id, seconds, Utc::now());
    }

    /// [`Self::record_answered`] with an explicit clock.
    pub fn record_answered_at(
        &self,
        brand: &str,
        mention_id: &str,
        seconds: f64,
        now: DateTime<Utc>,
    ) {
        let mut inner = self.lock();
        let Some(view) = inner.brands.get_mut(brand) else {
            return;
        };
        for item in view.inbox.iter_mut().filter(|i| i.id == mention_id) {
            if item.answered_at.is_none() {
                item.answered_at = Some(now);
                item.first_response_seconds = Some(seconds);
            }
        }
    }

    /// Records scored mentions (one lock for all of them), bucketed against the clock.
    pub fn record_scored<'a>(&self, records: impl IntoIterator<Item = &'a ScoredMention>) {
        self.record_scored_at(records, Utc::now());
    }

    /// [`Self::record_scored`] with an explicit clock.
    pub fn record_scored_at<'a>(
        &self,
        records: impl IntoIterator<Item = &'a ScoredMention>,
        now: DateTime<Utc>,
    ) {
        let mut records = records.into_iter().peekable();
        if records.peek().is_none() {
            return;
        }
        let mut inner = self.lock();
        let Inner {
            config,
            brands,
            dropped_brands,
            campaigns,
            ..
        } = &mut *inner;
        let slots = (i64::from(config.hours) * 3600 / BUCKET_SECONDS).max(1);
        let now_minute = now.timestamp().div_euclid(BUCKET_SECONDS);
        for r in records {
            // Campaigns (kept like alerts, up to `telemetry.live_alerts`), from the mention
            // that made each one and grown by its later members; so the page lists them with
            // the alert stage off too.
            if let Some(c) = &r.campaign {
                if c.declared {
                    let event =
                        CampaignEvent::declared(&r.brand, &r.mention_id, r.created_at, &r.text, c);
                    push_bounded(campaigns, &event, config.alerts);
                } else if let Some(e) = campaigns.iter_mut().find(|e| e.id == c.id) {
                    e.authors = e.authors.max(c.authors);
                    e.last_seen = e.last_seen.max(c.last_seen);
                    e.automated_share = c.automated_share;
                }
            }
            // Mentions the screen stage left out of the brand's numbers are left out here too.
            if r.excluded.is_some() {
                continue;
            }
            if !brands.contains_key(&r.brand) {
                if brands.len() >= config.max_brands {
                    *dropped_brands += 1;
                    continue;
                }
                brands.insert(r.brand.clone(), BrandView::default());
            }
            let Some(view) = brands.get_mut(&r.brand) else {
                continue;
            };
            view.total += 1;
            let minute = r.created_at.timestamp().div_euclid(BUCKET_SECONDS);
            if minute > now_minute - slots && minute <= now_minute + 1 {
                if view.buckets.is_empty() {
                    view.buckets = vec![Bucket::default(); slots as usize];
                }
                let b = &mut view.buckets[minute.rem_euclid(slots) as usize];
                if b.minute != minute {
                    *b = Bucket {
                        minute,
                        ..Bucket::default()
                    };
                }
                b.counts[label_index(r.sentiment.label)] += 1;
                b.score_sum += f64::from(r.sentiment.score);
            }
            if let Some(intent) = r.intent.as_ref().filter(|i| i.needs_response) {
                evict_inbox(&mut view.inbox, now);
                view.inbox.push_back(InboxItem {
                    id: r.mention_id.clone(),
                    text: truncate(&r.text, TEXT_CHARS),
                    labels: intent
                        .labels
                        .iter()
                        .map(|l| l.as_str())
                        .filter(|l| matches!(*l, "complaint" | "question"))
                        .collect(),
                    priority: intent.priority.unwrap_or(0),
                    author_handle: r.author_handle.clone(),
                    url: r.url.clone(),
                    created_at: r.created_at,
                    answered_at: None,
                    first_response_seconds: None,
                });
            }
            if config.recent > 0 {
                if view.recent.len() == config.recent {
                    view.recent.pop_front();
                }
                view.recent.push_back(RecentMention {
                    id: r.mention_id.clone(),
                    text: truncate(&r.text, TEXT_CHARS),
                    label: r.sentiment.label.as_str(),
                    score: r.sentiment.score,
                    source: r.source.clone(),
                    lang: r.lang.clone(),
                    created_at: r.created_at,
                    reach: r.reach,
                });
            }
        }
    }

    /// Records an alert event as published.
    pub fn record_alert(&self, event: &AlertEvent) {
        let mut inner = self.lock();
        let keep = inner.config.alerts;
        push_bounded(&mut inner.alerts, event, keep);
    }

    /// Records an emerging-term event as published (kept like alerts, up to
    /// [`LiveConfig::alerts`]).
    pub fn record_emerging(&self, event: &EmergingTermEvent) {
        let mut inner = self.lock();
        let keep = inner.config.alerts;
        push_bounded(&mut inner.emerging, event, keep);
    }

    /// The view as JSON, bucketed against the clock (see [`Self::snapshot_at`]).
    pub fn snapshot_json(&self) -> String {
        let snapshot = self.snapshot_at(Utc::now());
        match serde_json::to_string(&snapshot) {
            Ok(s) => s,
            // Plain data; serialising it cannot fail.
            Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
        }
    }

    /// The view at `now`: one shared time axis of minutes from the first minute with data
    /// (within the window) to `now`'s minute, each brand's counts on it, its recent
    /// mentions (newest first) and the alert events (newest first).
    pub fn snapshot_at(&self, now: DateTime<Utc>) -> Snapshot {
        let inner = self.lock();
        let config = inner.config;
        let slots = (i64::from(config.hours) * 3600 / BUCKET_SECONDS).max(1);
        let now_minute = now.timestamp().div_euclid(BUCKET_SECONDS);
        let oldest = now_minute - slots + 1;
        let live = |b: &&Bucket| b.minute >= oldest && b.minute <= now_minute + 1;
        let first = inner
            .brands
            .values()
            .flat_map(|v| v.buckets.iter().filter(live))
            .map(|b| b.minute)
            .min()
            .unwrap_or(now_minute);
        let last = inner
            .brands
            .values()
            .flat_map(|v| v.buckets.iter().filter(live))
            .map(|b| b.minute)
            .max()
            .unwrap_or(now_minute)
            .max(now_minute);
        let len = (last - first + 1) as usize;
        let minutes: Vec<i64> = (first..=last).map(|m| m * BUCKET_SECONDS).collect();
        let brands = inner
            .brands
            .iter()
            .map(|(brand, view)| {
                let mut series = Series {
                    positive: vec![0; len],
                    neutral: vec![0; len],
                    negative: vec![0; len],
                    avg_score: vec![None; len],
                };
                let mut in_window = 0u64;
                for b in view.buckets.iter().filter(live) {
                    let i = (b.minute - first) as usize;
                    series.positive[i] = b.counts[0];
                    series.neutral[i] = b.counts[1];
                    series.negative[i] = b.counts[2];
                    let n: u32 = b.counts.iter().sum();
                    if n > 0 {
                        series.avg_score[i] = Some(b.score_sum / f64::from(n));
                    }
                    in_window += u64::from(n);
                }
                BrandSnapshot {
                    brand: brand.clone(),
                    total: view.total,
                    in_window,
                    series,
                    recent: view.recent.iter().rev().cloned().collect(),
                    inbox: inbox_view(&view.inbox, now),
                }
            })
            .collect();
        Snapshot {
            generated_at: now,
            bucket_seconds: BUCKET_SECONDS,
            hours: config.hours,
            minutes,
            brands,
            alerts: inner.alerts.iter().rev().cloned().collect(),
            emerging: inner.emerging.iter().rev().cloned().collect(),
            campaigns: inner.campaigns.iter().rev().cloned().collect(),
            dropped_brands: inner.dropped_brands,
        }
    }
}

/// Per-minute series of one brand, aligned with [`Snapshot::minutes`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Series {
    /// Positive mentions per minute.
    pub positive: Vec<u32>,
    /// Neutral mentions per minute.
    pub neutral: Vec<u32>,
    /// Negative mentions per minute.
    pub negative: Vec<u32>,
    /// Average score per minute (`null` for a minute without mentions).
    pub avg_score: Vec<Option<f64>>,
}

/// One brand in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BrandSnapshot {
    /// Brand id.
    pub brand: String,
    /// Mentions recorded since start.
    pub total: u64,
    /// Mentions in the series.
    pub in_window: u64,
    /// Per-minute counts.
    pub series: Series,
    /// Recent scored mentions, newest first.
    pub recent: Vec<RecentMention>,
    /// Recent mentions that need a response (complaints, questions; not excluded), highest
    /// priority first, at most [`INBOX_ITEMS`]; then those the brand answered lately, fading.
    pub inbox: Vec<InboxItem>,
}

/// What `/api/live` returns.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Snapshot {
    /// When it was taken.
    pub generated_at: DateTime<Utc>,
    /// Seconds per bucket (60).
    pub bucket_seconds: i64,
    /// Hours the buckets cover at most.
    pub hours: u32,
    /// Start of each bucket (unix seconds), oldest first, up to the current minute.
    pub minutes: Vec<i64>,
    /// Brands with recorded mentions, by id.
    pub brands: Vec<BrandSnapshot>,
    /// Alert events, newest first, as published to the alerts topic.
    pub alerts: Vec<AlertEvent>,
    /// Emerging-term events, newest first, as published to the alerts topic.
    pub emerging: Vec<EmergingTermEvent>,
    /// Copy-paste campaigns, newest first: the `campaign` event's fields, with `authors`,
    /// `automated_share` and `last_seen` as of the latest member scored.
    pub campaigns: Vec<CampaignEvent>,
    /// Records not kept because `max_brands` brands were tracked already.
    pub dropped_brands: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::{ScorerInfo, Sentiment, SCORED_SCHEMA_VERSION};
    use chrono::TimeZone;

    fn scored(brand: &str, id: &str, label: SentimentLabel, score: f32, at: i64) -> ScoredMention {
        ScoredMention {
            schema_version: SCORED_SCHEMA_VERSION,
            mention_id: id.into(),
            brand: brand.into(),
            topics: vec![],
            terms: vec![],
            sentiment: Sentiment {
                label,
                score,
                confidence: 0.9,
            },
            lang: "en".into(),
            lang_detected: true,
            scorer: ScorerInfo {
                name: "lexicon".into(),
                version: "1".into(),
            },
            degraded: false,
            scored_spans: None,
            source: "twitter".into(),
            text: format!("text of {id}"),
            created_at: Utc.timestamp_opt(at, 0).unwrap(),
            processed_at: Utc.timestamp_opt(at, 0).unwrap(),
            reach: 7,
            impact: 0,
            automation: None,
            spam: vec![],
            campaign: None,
            excluded: None,
            intent: None,
            author_handle: None,
            url: None,
            repost_of: None,
            reply_to: None,
            quote_of: None,
        }
    }

    const NOW: i64 = 1_750_000_040; // a minute boundary + 20 s

    #[test]
    fn buckets_by_minute_and_label() {
        let live = LiveView::default();
        let recs = [
            scored("acme", "1", SentimentLabel::Positive, 0.8, NOW - 150),
            scored("acme", "2", SentimentLabel::Negative, -0.6, NOW - 145),
            scored("acme", "3", SentimentLabel::Neutral, 0.0, NOW),
            scored("globex", "4", SentimentLabel::Negative, -1.0, NOW - 10),
        ];
        let now = Utc.timestamp_opt(NOW, 0).unwrap();
        live.record_scored_at(&recs, now);
        let s = live.snapshot_at(now);
        // From the first minute with data (NOW-150: 3 minutes back) to now's minute.
        assert_eq!(s.minutes.len(), 4);
        assert_eq!(*s.minutes.last().unwrap(), NOW - 20);
        assert_eq!(s.brands.len(), 2);
        let acme = &s.brands[0];
        assert_eq!(acme.brand, "acme");
        assert_eq!(acme.series.positive, vec![1, 0, 0, 0]);
        assert_eq!(acme.series.negative, vec![1, 0, 0, 0]);
        assert_eq!(acme.series.neutral, vec![0, 0, 0, 1]);
        let avg = acme.series.avg_score[0].unwrap();
        assert!((avg - 0.1).abs() < 1e-6, "{avg}");
        assert_eq!(acme.series.avg_score[1], None);
        assert_eq!(acme.in_window, 3);
        assert_eq!(acme.recent[0].id, "3", "newest first");
        let globex = &s.brands[1];
        assert_eq!(globex.series.negative, vec![0, 0, 0, 1]);
    }

    #[test]
    fn bounded_and_forgets_old_minutes() {
        let live = LiveView::new(LiveConfig {
            hours: 1,
            recent: 2,
            alerts: 1,
            max_brands: 1,
        });
        let now = Utc.timestamp_opt(NOW, 0).unwrap();
        let old = scored("acme", "old", SentimentLabel::Positive, 1.0, NOW - 3600);
        let ancient = scored("acme", "anc", SentimentLabel::Positive, 1.0, NOW - 7200);
        let future = scored("acme", "fut", SentimentLabel::Positive, 1.0, NOW + 600);
        let fresh = scored("acme", "new", SentimentLabel::Positive, 1.0, NOW);
        let other = scored("globex", "x", SentimentLabel::Positive, 1.0, NOW);
        live.record_scored_at([&old, &ancient, &future, &fresh, &other], now);
        let s = live.snapshot_at(now);
        assert_eq!(s.brands.len(), 1);
        assert_eq!(s.dropped_brands, 1);
        let acme = &s.brands[0];
        assert_eq!(acme.total, 4);
        // NOW-3600 is exactly 60 minutes back: outside a one-hour window of 60 buckets.
        assert_eq!(acme.in_window, 1);
        assert_eq!(s.minutes.len(), 1);
        let ids: Vec<_> = acme.recent.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["new", "fut"]);
        // An hour later the minute has aged out of the ring.
        let later = Utc.timestamp_opt(NOW + 3600, 0).unwrap();
        let s = live.snapshot_at(later);
        assert_eq!(s.brands[0].in_window, 0);
        assert_eq!(s.minutes.len(), 1);
    }

    #[test]
    fn truncates_text_on_char_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("ééé", 2), "éé…");
    }

    #[test]
    fn keeps_the_last_alerts_newest_first() {
        let live = LiveView::new(LiveConfig {
            alerts: 2,
            ..LiveConfig::default()
        });
        let json = serde_json::json!({
            "schema_version": 1, "id": "acme:volume:0", "brand": "acme", "kind": "volume",
            "state": "firing", "severity": "warning",
            "window_start": "2025-01-01T00:00:00Z", "window_end": "2025-01-01T00:01:00Z",
            "started_at": "2025-01-01T00:00:00Z", "resolved_at": null,
            "observed": 40, "expected": 10.0, "p_value": 0.0001,
            "examples": [{"mention_id": "m1", "text": "<b>bad</b>", "reach": 5}]
        });
        let mut e: AlertEvent = serde_json::from_value(json).unwrap();
        for n in 0..3 {
            e.observed = n;
            live.record_alert(&e);
        }
        let v: serde_json::Value = serde_json::from_str(&live.snapshot_json()).unwrap();
        let alerts = v["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0]["observed"], 2);
        assert_eq!(alerts[0]["examples"][0]["text"], "<b>bad</b>");
        assert_eq!(v["brands"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn campaigns_come_from_scored_members_and_stay_out_of_the_counts() {
        use crate::mention::{CampaignRef, Exclusion};
        let live = LiveView::default();
        let at = |t: i64| Utc.timestamp_opt(t, 0).unwrap();
        let reference = |authors: u32, last: i64, declared: bool| CampaignRef {
            id: "acme-c1".into(),
            authors,
            automated_share: 0.5,
            first_seen: at(NOW - 100),
            last_seen: at(last),
            first_mention_id: "m1".into(),
            declared,
            first_text: declared.then(|| "copy text".to_string()),
        };
        let organic = scored("acme", "o", SentimentLabel::Positive, 0.5, NOW - 5);
        let mut declared = scored("acme", "m10", SentimentLabel::Negative, -0.8, NOW - 50);
        declared.campaign = Some(reference(10, NOW - 50, true));
        declared.excluded = Some(Exclusion::Campaign);
        let mut later = scored("acme", "m11", SentimentLabel::Negative, -0.8, NOW - 2);
        later.campaign = Some(reference(12, NOW - 2, false));
        later.excluded = Some(Exclusion::Campaign);
        // A member of a campaign the view never saw declared adds nothing.
        let mut unknown = later.clone();
        unknown.campaign.as_mut().unwrap().id = "acme-c2".into();
        live.record_scored_at([&organic, &declared, &later, &unknown], at(NOW));
        let s = live.snapshot_at(at(NOW));
        assert_eq!(s.campaigns.len(), 1);
        let c = &s.campaigns[0];
        assert_eq!((c.id.as_str(), c.authors), ("acme-c1", 12));
        assert_eq!((c.detected_at, c.last_seen), (at(NOW - 50), at(NOW - 2)));
        assert_eq!(c.first_text, "copy text");
        assert_eq!(c.detected_mention_id, "m10");
        assert_eq!(s.brands[0].in_window, 1, "campaign members are not counted");
    }

    #[test]
    fn the_inbox_lists_needing_mentions_by_priority() {
        use crate::mention::{Exclusion, Intent, IntentLabel};
        let live = LiveView::default();
        let at = |t: i64| Utc.timestamp_opt(t, 0).unwrap();
        let needing = |id: &str, priority: u32, t: i64| {
            let mut r = scored("acme", id, SentimentLabel::Negative, -0.5, t);
            r.intent = Some(Intent {
                labels: vec![IntentLabel::Complaint],
                confidence: 0.8,
                needs_response: true,
                priority: Some(priority),
            });
            r
        };
        let low = needing("low", 30, NOW - 30);
        let high = needing("high", 70, NOW - 20);
        let newer_low = needing("newer-low", 30, NOW - 10);
        let mut excluded = needing("raid", 90, NOW - 5);
        excluded.excluded = Some(Exclusion::Campaign);
        let praise = scored("acme", "praise", SentimentLabel::Positive, 0.8, NOW - 1);
        live.record_scored_at([&low, &high, &newer_low, &excluded, &praise], at(NOW));
        let s = live.snapshot_at(at(NOW));
        let ids: Vec<&str> = s.brands[0].inbox.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["high", "newer-low", "low"]);
        assert_eq!(s.brands[0].inbox[0].labels, ["complaint"]);
        // Answered items go below the open ones, then leave the view.
        live.record_answered_at("acme", "high", 120.0, at(NOW));
        live.record_answered_at("acme", "unknown-id", 1.0, at(NOW));
        live.record_answered_at("globex", "low", 1.0, at(NOW));
        let s = live.snapshot_at(at(NOW + 60));
        let view: Vec<(&str, Option<f64>)> = s.brands[0]
            .inbox
            .iter()
            .map(|i| (i.id.as_str(), i.first_response_seconds))
            .collect();
        assert_eq!(
            view,
            [("newer-low", None), ("low", None), ("high", Some(120.0))]
        );
        let s = live.snapshot_at(at(NOW + ANSWERED_SHOWN_SECS));
        let ids: Vec<&str> = s.brands[0].inbox.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["newer-low", "low"]);
        // A full inbox drops its lowest priorities first: an urgent item stays until answered.
        let urgent = needing("urgent", 95, NOW - 3600);
        live.record_scored_at([&urgent], at(NOW));
        let many: Vec<ScoredMention> = (0..INBOX_KEPT)
            .map(|n| needing(&format!("n{n}"), 40, NOW - 60 + n as i64 % 60))
            .collect();
        live.record_scored_at(&many, at(NOW));
        let s = live.snapshot_at(at(NOW));
        assert_eq!(s.brands[0].inbox[0].id, "urgent");
        assert!(s.brands[0].inbox.iter().all(|i| i.id != "low"));
    }
}
