//! The alert stage's synchronous core: scored mentions in, windows counted per brand, closed
//! by event time, fed to the [`detector`](super::detector), alert events out; plus what the
//! checkpoint topic stores per brand and how it is restored. No I/O.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::detector::{BrandState, DetectorConfig, Transition};
use super::terms::extract::{Extractor, Scratch};
use super::terms::stats::{BrandTerms, Candidate, Emerged, TermParams, WindowTerms};
use super::terms::{capacity, drivers::drivers, window_capacity};
use crate::config::{AlertConfig, TermsConfig};
use crate::mention::CampaignRef;
use crate::record::alert::{
    AlertEvent, AlertState, CampaignEvent, EmergingKind, EmergingTermEvent, Example, InfoSeverity,
    Kind, Severity,
};

/// What the alert stage reads of a scored mention.
#[derive(Debug, Clone, Deserialize)]
pub struct ScoredInput {
    /// Mention id.
    pub mention_id: String,
    /// Brand id.
    pub brand: String,
    /// Sentiment.
    pub sentiment: SentimentInput,
    /// Text.
    #[serde(default)]
    pub text: String,
    /// Event time.
    pub created_at: DateTime<Utc>,
    /// Potential reach.
    #[serde(default)]
    pub reach: u64,
    /// Language used for scoring (stop words of term statistics).
    #[serde(default)]
    pub lang: String,
    /// The brand's query literals that matched (left out of term statistics).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Author handle (each author counts once per term and window).
    #[serde(default)]
    pub author_handle: Option<String>,
    /// Impact (examples are the highest-impact mentions).
    #[serde(default)]
    pub impact: u32,
    /// Why the screen stage left it out of the brand's numbers: not counted here either.
    #[serde(default)]
    pub excluded: Option<String>,
    /// Its copy-paste campaign; `declared` on the mention that made it one.
    #[serde(default)]
    pub campaign: Option<CampaignRef>,
}

/// The sentiment part of a scored mention.
#[derive(Debug, Clone, Deserialize)]
pub struct SentimentInput {
    /// `positive`, `neutral` or `negative`.
    pub label: String,
}

/// One window's counts and top examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowAcc {
    /// Mentions.
    pub count: u64,
    /// Negative mentions.
    pub negatives: u64,
    /// Highest-reach mentions.
    pub top: Vec<Example>,
    /// Highest-reach negative mentions.
    pub top_negative: Vec<Example>,
    /// Term counts while the window is open.
    #[serde(default, skip_serializing_if = "WindowTerms::is_empty")]
    pub terms: WindowTerms,
    /// Once closed: the terms that stood out (candidate drivers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drivers: Vec<Candidate>,
    /// Once closed: the terms that stood out among negative mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negative_drivers: Vec<Candidate>,
    /// Once closed: what the detector expected of it (mentions, negative mentions).
    #[serde(default)]
    pub expected: [f64; 2],
}

fn push_top(top: &mut Vec<Example>, e: &Example, keep: usize) {
    if keep == 0 || top.iter().any(|x| x.mention_id == e.mention_id) {
        return;
    }
    let rank = |x: &Example| (x.impact, x.reach);
    if top.len() < keep || top.last().is_some_and(|l| rank(e) > rank(l)) {
        top.push(e.clone());
        top.sort_by(|a, b| rank(b).cmp(&rank(a)).then(a.mention_id.cmp(&b.mention_id)));
        top.truncate(keep);
    }
}

/// Everything kept per brand; the checkpoint topic's value (JSON), keyed by brand id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub version: u32,
    /// Brand id.
    pub brand: String,
    /// Partition of the scored topic the brand's records come from.
    pub partition: i32,
    /// Detector state (baselines, alert states).
    pub detector: BrandState,
    /// Windows not closed yet, by window index.
    pub open: BTreeMap<i64, WindowAcc>,
    /// Examples of the last closed windows (newest last), for alerts that span several.
    pub recent: VecDeque<(i64, WindowAcc)>,
    /// Term baselines (absent in checkpoints written before term statistics).
    #[serde(default)]
    pub terms: BrandTerms,
}

/// Counts of one [`AlertCore::close`] call, and what to publish.
#[derive(Debug, Default)]
pub struct Closed {
    /// Alert events, in order.
    pub events: Vec<AlertEvent>,
    /// `(brand, kind, observed, expected)` of the last closed window per brand.
    pub gauges: Vec<(String, Kind, u64, f64)>,
    /// Windows closed (over all brands).
    pub windows: u64,
    /// Emerging-term events, in order.
    pub emerging: Vec<EmergingTermEvent>,
    /// Campaign events (recognised by the screen stage), in order.
    pub campaigns: Vec<CampaignEvent>,
}

/// Why a record was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Its window had already closed.
    Late,
    /// The screen stage left it out of the brand's numbers (campaign copy, repeat, spam).
    Excluded,
}

/// The alert stage's state for the brands of the partitions it owns.
#[derive(Debug)]
pub struct AlertCore {
    det: DetectorConfig,
    window_ms: i64,
    lateness_ms: i64,
    examples: usize,
    brands: HashMap<String, Checkpoint>,
    dirty: HashSet<String>,
    /// Event-time watermark (ms), before lateness.
    max_event_ms: Option<i64>,
    /// The `first_open` window of the last full pass of [`close`](Self::close): until it
    /// moves (or a brand joins), there is nothing new to close and the pass is skipped.
    closed_at: Option<i64>,
    terms: TermsConfig,
    /// Closed windows kept in `recent`: the persistence windows (with examples), and with
    /// term statistics as many as the span test sums (their candidate drivers).
    recent_windows: usize,
    term_params: TermParams,
    extractor: Extractor,
    scratch: Scratch,
    term_buf: Vec<String>,
    /// Campaign events waiting for the next [`close`](Self::close).
    campaigns: Vec<CampaignEvent>,
}

/// The campaign event of the record that made its cluster a campaign.
fn campaign_event(rec: &ScoredInput, c: &CampaignRef) -> CampaignEvent {
    CampaignEvent::declared(&rec.brand, &rec.mention_id, rec.created_at, &rec.text, c)
}

impl AlertCore {
    /// A core for `config`.
    pub fn new(config: &AlertConfig) -> Self {
        Self {
            det: DetectorConfig::from(config),
            window_ms: config.window.as_millis() as i64,
            lateness_ms: config.lateness.as_millis() as i64,
            examples: config.examples,
            brands: HashMap::new(),
            dirty: HashSet::new(),
            max_event_ms: None,
            closed_at: None,
            terms: config.terms.clone(),
            recent_windows: recent_windows(config),
            term_params: TermParams::new(config),
            extractor: Extractor::new(),
            scratch: Scratch::default(),
            term_buf: Vec::new(),
            campaigns: Vec::new(),
        }
    }

    /// Terms with a baseline kept over all brands held.
    pub fn terms_kept(&self) -> usize {
        self.brands.values().map(|cp| cp.terms.stats.len()).sum()
    }

    /// Terms with a baseline each brand keeps now.
    pub fn term_capacity(&self) -> usize {
        capacity(
            self.terms.per_brand,
            self.terms.max_total,
            self.brands.len(),
        )
    }

    fn window_of(&self, ms: i64) -> i64 {
        ms.div_euclid(self.window_ms)
    }

    /// Brands held (owned partitions).
    pub fn brand_count(&self) -> usize {
        self.brands.len()
    }

    /// Counts one scored mention from `partition`. `now_ms` bounds the watermark against
    /// timestamps from the future.
    ///
    /// # Errors
    /// [`Skip::Late`] when its window has already been closed for this brand.
    pub fn add(&mut self, partition: i32, rec: &ScoredInput, now_ms: i64) -> Result<(), Skip> {
        let ms = rec.created_at.timestamp_millis().min(now_ms + 60_000);
        if let Some(c) = rec.campaign.as_ref().filter(|c| c.declared) {
            self.campaigns.push(campaign_event(rec, c));
        }
        if rec.excluded.is_some() {
            // Not counted, but it is event time all the same.
            self.max_event_ms = Some(self.max_event_ms.map_or(ms, |m| m.max(ms)));
            return Err(Skip::Excluded);
        }
        let w = self.window_of(ms);
        if !self.brands.contains_key(&rec.brand) {
            let cp = Checkpoint {
                version: 1,
                brand: rec.brand.clone(),
                partition,
                detector: BrandState::default(),
                open: BTreeMap::new(),
                recent: VecDeque::new(),
                terms: BrandTerms::default(),
            };
            self.brands.insert(rec.brand.clone(), cp);
            self.closed_at = None;
        }
        let keep = self.examples;
        let window_cap = window_capacity(self.term_capacity());
        let Some(cp) = self.brands.get_mut(&rec.brand) else {
            return Ok(());
        };
        cp.partition = partition;
        if cp.detector.last_window.is_some_and(|last| w <= last) {
            return Err(Skip::Late);
        }
        // Terms only for records that are counted.
        let mut terms = std::mem::take(&mut self.term_buf);
        if self.terms.enabled {
            self.extractor.terms(
                &rec.text,
                &rec.lang,
                &rec.terms,
                &mut self.scratch,
                &mut terms,
            );
        }
        let acc = cp.open.entry(w).or_default();
        acc.count += 1;
        let negative = rec.sentiment.label == "negative";
        if !terms.is_empty() {
            let author = rec.author_handle.as_deref().unwrap_or(&rec.mention_id);
            acc.terms
                .add(&terms, author, &rec.mention_id, negative, window_cap);
        }
        self.term_buf = terms;
        let example = Example {
            mention_id: rec.mention_id.clone(),
            text: rec.text.chars().take(280).collect(),
            reach: rec.reach,
            impact: rec.impact,
        };
        push_top(&mut acc.top, &example, keep);
        if negative {
            acc.negatives += 1;
            push_top(&mut acc.top_negative, &example, keep);
        }
        self.dirty.insert(rec.brand.clone());
        self.max_event_ms = Some(self.max_event_ms.map_or(ms, |m| m.max(ms)));
        Ok(())
    }

    /// Moves event time forward without records (an idle stream): the stage calls this with
    /// the wall-clock time elapsed since the last record.
    pub fn advance_idle(&mut self, by_ms: i64) {
        if let Some(m) = &mut self.max_event_ms {
            *m += by_ms.max(0);
        }
    }

    /// The event-time watermark (ms): windows ending at or before it close.
    pub fn watermark_ms(&self) -> Option<i64> {
        self.max_event_ms.map(|m| m - self.lateness_ms)
    }

    /// Closes every window that ended before the watermark, for every brand held.
    pub fn close(&mut self) -> Closed {
        let mut out = Closed {
            campaigns: std::mem::take(&mut self.campaigns),
            ..Closed::default()
        };
        let Some(wm) = self.watermark_ms() else {
            return out;
        };
        // A window closes when it ends at or before the watermark: windows < first_open.
        let first_open = wm.div_euclid(self.window_ms);
        if self.closed_at == Some(first_open) {
            return out;
        }
        self.closed_at = Some(first_open);
        let mut names: Vec<String> = self.brands.keys().cloned().collect();
        names.sort_unstable();
        let term_cap = self.term_capacity();
        let window_secs = self.window_ms / 1000;
        let at = |w: i64| Utc.timestamp_millis_opt(w).single().unwrap_or_default();
        for brand in names {
            let Some(cp) = self.brands.get_mut(&brand) else {
                continue;
            };
            let mut closed: Vec<(i64, WindowAcc)> = Vec::new();
            while let Some((&w, _)) = cp.open.iter().next() {
                if w >= first_open {
                    break;
                }
                if let Some(acc) = cp.open.remove(&w) {
                    closed.push((w, acc));
                }
            }
            let up_to_date = cp.detector.last_window.is_none_or(|l| l >= first_open - 1);
            if closed.is_empty() && up_to_date {
                continue;
            }
            if !up_to_date && closed.last().is_none_or(|(w, _)| *w < first_open - 1) {
                // Bring the brand up to the watermark with an empty window.
                closed.push((first_open - 1, WindowAcc::default()));
            }
            let mut last = None;
            for (w, mut acc) in closed {
                if self.terms.enabled {
                    let closing = cp.terms.close(
                        w,
                        &acc.terms,
                        acc.count,
                        acc.negatives,
                        term_cap,
                        &self.term_params,
                    );
                    acc.terms = WindowTerms::default();
                    acc.drivers = closing.all;
                    acc.negative_drivers = closing.negative;
                    for e in closing.emerging {
                        out.emerging.push(emerging_event(
                            &brand,
                            e,
                            w,
                            self.window_ms,
                            u64::from(self.term_params.span_windows) * window_secs as u64 / 60,
                            at,
                        ));
                    }
                }
                let (evals, transitions) =
                    cp.detector.observe(w, acc.count, acc.negatives, &self.det);
                acc.expected = [evals[0].expected, evals[1].expected];
                out.windows += 1;
                cp.recent.push_back((w, acc));
                trim_recent(&mut cp.recent, self.det.persistence_n, self.recent_windows);
                for t in transitions {
                    let limits = (self.examples, self.terms.drivers);
                    out.events
                        .push(event(&brand, &t, cp, self.window_ms, limits, at));
                }
                last = Some(evals);
            }
            if let Some(evals) = last {
                for (i, kind) in Kind::ALL.into_iter().enumerate() {
                    out.gauges
                        .push((brand.clone(), kind, evals[i].observed, evals[i].expected));
                }
            }
            self.dirty.insert(brand);
        }
        out
    }

    /// Serialised checkpoints of the brands changed since the last call.
    pub fn take_dirty(&mut self) -> Vec<(String, Vec<u8>)> {
        let dirty: Vec<String> = self.dirty.drain().collect();
        dirty
            .into_iter()
            .filter_map(|b| {
                let cp = self.brands.get(&b)?;
                serde_json::to_vec(cp).ok().map(|v| (b, v))
            })
            .collect()
    }

    /// Marks every brand held as changed (after a failed checkpoint flush).
    pub fn mark_all_dirty(&mut self) {
        self.dirty.extend(self.brands.keys().cloned());
    }

    /// Gives up the brands of `partitions`: their final checkpoints.
    pub fn revoke(&mut self, partitions: &HashSet<i32>) -> Vec<(String, Vec<u8>)> {
        let gone: Vec<String> = self
            .brands
            .iter()
            .filter(|(_, cp)| partitions.contains(&cp.partition))
            .map(|(b, _)| b.clone())
            .collect();
        let mut out = Vec::new();
        for b in gone {
            if let Some(cp) = self.brands.remove(&b) {
                self.dirty.remove(&b);
                if let Ok(v) = serde_json::to_vec(&cp) {
                    out.push((b, v));
                }
            }
        }
        out
    }

    /// Takes checkpoints read from the checkpoint topic: the brands of `partitions` are held
    /// at once (their windows close with the others'). Returns the active alerts they carry (to re-publish the
    /// `brandpulse_alert_active` gauge without a new event).
    pub fn restore(
        &mut self,
        checkpoints: Vec<Checkpoint>,
        partitions: &HashSet<i32>,
    ) -> Vec<(String, Kind, Severity)> {
        let mut active = Vec::new();
        for cp in checkpoints {
            if !partitions.contains(&cp.partition) || self.brands.contains_key(&cp.brand) {
                continue;
            }
            for (i, kind) in Kind::ALL.into_iter().enumerate() {
                if let Some(a) = &cp.detector.kinds[i].active {
                    active.push((cp.brand.clone(), kind, a.severity));
                }
            }
            // Keep the watermark where the state left it, so restored open windows close.
            if let Some(last) = cp.detector.last_window {
                let ms = (last + 1) * self.window_ms + self.lateness_ms;
                self.max_event_ms = Some(self.max_event_ms.map_or(ms, |m| m.max(ms)));
            }
            self.brands.insert(cp.brand.clone(), cp);
            self.closed_at = None;
        }
        active
    }
}

fn emerging_event(
    brand: &str,
    e: Emerged,
    w: i64,
    window_ms: i64,
    span_minutes: u64,
    at: impl Fn(i64) -> DateTime<Utc>,
) -> EmergingTermEvent {
    let start = at(w * window_ms);
    EmergingTermEvent {
        schema_version: 1,
        kind: EmergingKind::EmergingTerm,
        id: format!("{brand}:emerging_term:{}:{}", e.term, start.timestamp()),
        brand: brand.to_string(),
        severity: InfoSeverity::Info,
        term: e.term,
        window_start: start,
        window_end: at((w + 1) * window_ms),
        observed: (e.observed * 10.0).round() / 10.0,
        expected: (e.expected * 1000.0).round() / 1000.0,
        p_value: e.p_value,
        span_minutes,
        example_ids: e.ex,
    }
}

/// Closed windows an alert core keeps per brand: the persistence windows, and with term
/// statistics the short span's (a span-detected alert's drivers are in all of them).
pub fn recent_windows(config: &AlertConfig) -> usize {
    let n = config.persistence_n.max(1) as usize;
    if config.terms.enabled {
        n.max(config.span_windows as usize)
    } else {
        n
    }
}

/// Drops the oldest closed windows beyond `keep`, and the examples of those beyond the
/// `persistence_n` newest (alert examples come from the alert's own windows).
pub fn trim_recent(recent: &mut VecDeque<(i64, WindowAcc)>, persistence_n: u32, keep: usize) {
    while recent.len() > keep {
        recent.pop_front();
    }
    for (_, acc) in recent.iter_mut().rev().skip(persistence_n.max(1) as usize) {
        acc.top = Vec::new();
        acc.top_negative = Vec::new();
    }
}

/// The drivers of a firing alert, from the candidate terms of its windows still in
/// `recent` (the replay harness calls this too).
pub fn alert_drivers(
    t: &Transition,
    recent: &VecDeque<(i64, WindowAcc)>,
    keep: usize,
) -> Vec<crate::record::alert::Driver> {
    if t.state != AlertState::Firing || keep == 0 {
        return Vec::new();
    }
    // The windows the detection rests on: the alert's own, and the span its test summed.
    let ev = &t.evaluation;
    let from = t
        .started
        .min(t.window + 1 - i64::from(ev.span_windows.max(1)));
    let windows: Vec<&WindowAcc> = recent
        .iter()
        .filter(|(w, _)| *w >= from && *w <= t.window)
        .map(|(_, acc)| acc)
        .collect();
    let total: u64 = windows
        .iter()
        .map(|a| match t.kind {
            Kind::Volume => a.count,
            Kind::Negative => a.negatives,
        })
        .sum();
    // What the baseline expected of those windows (checkpoints from before `expected` was
    // kept: the transition window's ratio).
    let k = usize::from(t.kind == Kind::Negative);
    let expected: f64 = windows.iter().map(|a| a.expected[k]).sum();
    let baseline = if expected > 0.0 {
        expected.min(total as f64)
    } else if ev.observed > 0 {
        total as f64 * (ev.expected / ev.observed as f64).min(1.0)
    } else {
        total as f64
    };
    let cands = windows.iter().map(|a| match t.kind {
        Kind::Volume => a.drivers.as_slice(),
        Kind::Negative => a.negative_drivers.as_slice(),
    });
    drivers(cands, total as f64, baseline, keep)
}

fn event(
    brand: &str,
    t: &Transition,
    cp: &Checkpoint,
    window_ms: i64,
    (keep, keep_drivers): (usize, usize),
    at: impl Fn(i64) -> DateTime<Utc>,
) -> AlertEvent {
    let mut examples: Vec<Example> = Vec::new();
    for (w, acc) in cp.recent.iter().rev() {
        if *w < t.started {
            break;
        }
        let src = match t.kind {
            Kind::Volume => &acc.top,
            Kind::Negative => &acc.top_negative,
        };
        for e in src {
            push_top(&mut examples, e, keep);
        }
    }
    let started_at = at(t.started * window_ms);
    AlertEvent {
        schema_version: 1,
        id: format!("{brand}:{}:{}", t.kind.as_str(), started_at.timestamp()),
        brand: brand.to_string(),
        kind: t.kind,
        state: t.state,
        severity: t.severity,
        window_start: at(t.window * window_ms),
        window_end: at((t.window + 1) * window_ms),
        started_at,
        resolved_at: (t.state == AlertState::Resolved).then(|| at(t.window * window_ms)),
        observed: t.evaluation.observed,
        expected: t.evaluation.expected,
        p_value: t.p_value,
        examples,
        drivers: alert_drivers(t, &cp.recent, keep_drivers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config() -> AlertConfig {
        AlertConfig {
            enabled: true,
            window: Duration::from_secs(60),
            lateness: Duration::from_secs(0),
            warmup_windows: 30,
            // The timelines below assume the 10-window span; the 30-window one would hold
            // each spike 20 windows longer (the detector's tests check it).
            long_span_windows: 0,
            ..AlertConfig::default()
        }
    }

    fn rec(brand: &str, id: usize, minute: i64, negative: bool) -> ScoredInput {
        ScoredInput {
            mention_id: format!("m{id}"),
            brand: brand.into(),
            sentiment: SentimentInput {
                label: if negative { "negative" } else { "neutral" }.into(),
            },
            text: format!("text {id}"),
            created_at: Utc
                .timestamp_opt(1_700_000_000 - 1_700_000_000 % 60 + minute * 60 + 1, 0)
                .single()
                .unwrap(),
            reach: id as u64,
            lang: "en".into(),
            terms: vec![brand.to_string()],
            author_handle: None,
            impact: 0,
            excluded: None,
            campaign: None,
        }
    }

    #[test]
    fn excluded_records_are_not_counted_and_a_declared_campaign_is_an_event() {
        let mut core = AlertCore::new(&config());
        let mut counted = rec("acme", 1, 0, true);
        counted.impact = 10;
        let mut excluded = rec("acme", 2, 0, true);
        excluded.excluded = Some("campaign".into());
        excluded.campaign = Some(CampaignRef {
            id: "acme-c1".into(),
            authors: 10,
            automated_share: 0.5,
            first_seen: counted.created_at,
            last_seen: counted.created_at,
            first_mention_id: "m0".into(),
            declared: true,
            first_text: Some("copy".into()),
        });
        let mut later = excluded.clone();
        later.mention_id = "m3".into();
        if let Some(c) = later.campaign.as_mut() {
            c.declared = false;
        }
        let mut high = rec("acme", 4, 0, false);
        high.impact = 90;
        assert_eq!(core.add(0, &counted, i64::MAX / 2), Ok(()));
        assert_eq!(core.add(0, &excluded, i64::MAX / 2), Err(Skip::Excluded));
        assert_eq!(core.add(0, &later, i64::MAX / 2), Err(Skip::Excluded));
        assert_eq!(core.add(0, &high, i64::MAX / 2), Ok(()));
        let acc = &core.brands["acme"].open.values().next().unwrap();
        assert_eq!((acc.count, acc.negatives), (2, 1));
        // Examples: highest impact first (then reach).
        assert_eq!(acc.top[0].mention_id, "m4");
        let closed = core.close();
        assert_eq!(
            closed.campaigns.len(),
            1,
            "one event, on the declaring record"
        );
        let e = &closed.campaigns[0];
        assert_eq!(
            (e.id.as_str(), e.authors, e.first_text.as_str()),
            ("acme-c1", 10, "copy")
        );
        assert_eq!(e.detected_mention_id, "m2");
        assert!(core.close().campaigns.is_empty());
    }

    /// Feeds `per_minute(minute)` mentions for each minute, closing as it goes.
    fn feed(
        core: &mut AlertCore,
        brand: &str,
        minutes: std::ops::Range<i64>,
        per_minute: impl Fn(i64) -> u64,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        let mut id = minutes.start as usize * 1000;
        for m in minutes {
            for _ in 0..per_minute(m) {
                id += 1;
                core.add(0, &rec(brand, id, m, false), i64::MAX / 2)
                    .unwrap();
            }
            events.extend(core.close().events);
        }
        events
    }

    #[test]
    fn spike_events_carry_examples_and_restore_resumes_without_warm_up() {
        let mut core = AlertCore::new(&config());
        let quiet = |m: i64| 10 + (m % 3) as u64;
        assert!(feed(&mut core, "acme", 0..60, quiet).is_empty());
        let events = feed(&mut core, "acme", 60..64, |_| 60);
        let fired: Vec<_> = events
            .iter()
            .filter(|e| e.state == AlertState::Firing)
            .collect();
        assert_eq!(fired.len(), 1, "{events:?}");
        let e = fired[0];
        assert_eq!(e.kind, Kind::Volume);
        assert_eq!(e.brand, "acme");
        assert_eq!(e.examples.len(), 3);
        assert!(e.examples[0].reach >= e.examples[1].reach);
        assert!(e.observed >= 60 && e.expected < 15.0, "{e:?}");

        // Checkpoint, restore into a new core: the alert is still active (no new event), the
        // warm-up does not start again, and the spike's end resolves it.
        let cps: Vec<Checkpoint> = core
            .revoke(&HashSet::from([0]))
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).unwrap())
            .collect();
        assert_eq!(core.brand_count(), 0);
        let mut fresh = AlertCore::new(&config());
        let active = fresh.restore(cps, &HashSet::from([0]));
        assert_eq!(active, vec![("acme".to_string(), Kind::Volume, e.severity)]);
        let events = feed(&mut fresh, "acme", 64..80, quiet);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].state, AlertState::Resolved);
        assert_eq!(events[0].started_at, e.started_at);
        // A second spike after the cooldown fires at once: no second warm-up.
        let events = feed(&mut fresh, "acme", 80..115, quiet);
        assert!(events.is_empty(), "{events:?}");
        let events = feed(&mut fresh, "acme", 115..118, |_| 60);
        assert!(
            events.iter().any(|e| e.state == AlertState::Firing),
            "{events:?}"
        );
    }

    #[test]
    fn a_spike_names_its_phrase_as_driver_and_old_checkpoints_restore() {
        let mut core = AlertCore::new(&config());
        let vocab = [
            "great price",
            "slow delivery",
            "nice colour",
            "store opening",
        ];
        let mut id = 0;
        let mut add = |core: &mut AlertCore, minute: i64, text: &str, negative: bool| {
            id += 1;
            let mut r = rec("acme", id, minute, negative);
            r.text = format!("Acme {text}");
            r.author_handle = Some(format!("user{id}"));
            core.add(0, &r, i64::MAX / 2).unwrap();
        };
        for m in 0..60 {
            for i in 0..10 + (m % 3) as usize {
                add(&mut core, m, vocab[i % vocab.len()], i == 0);
            }
            assert!(core.close().events.is_empty());
        }
        let mut fired = Vec::new();
        for m in 60..64 {
            for i in 0..10 {
                add(&mut core, m, vocab[i % vocab.len()], i == 0);
            }
            for _ in 0..40 {
                add(&mut core, m, "battery fire on my rocket skates", true);
            }
            fired.extend(core.close().events);
        }
        let vol = fired
            .iter()
            .find(|e| e.kind == Kind::Volume && e.state == AlertState::Firing)
            .expect("volume alert");
        // "on my" are stop words: two phrases, not one.
        let top: Vec<&str> = vol
            .drivers
            .iter()
            .take(2)
            .map(|d| d.term.as_str())
            .collect();
        assert_eq!(top, ["battery fire", "rocket skates"], "{:?}", vol.drivers);
        assert!(vol.drivers[0].explained > 0.8, "{:?}", vol.drivers);
        assert_eq!(vol.drivers[0].example_ids.len(), 2);
        assert!(vol.drivers.iter().all(|d| !d.term.contains("price")));
        let neg = fired
            .iter()
            .find(|e| e.kind == Kind::Negative && e.state == AlertState::Firing)
            .expect("negative alert");
        assert_eq!(neg.drivers[0].term, "battery fire", "{:?}", neg.drivers);

        // A checkpoint written before term statistics (no `terms` anywhere) still restores.
        let (_, bytes) = core.revoke(&HashSet::from([0])).pop().unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v.as_object_mut().unwrap().remove("terms");
        for (_, acc) in v["recent"].as_array_mut().unwrap().iter_mut().map(|p| {
            let a = p.as_array_mut().unwrap();
            (a[0].clone(), &mut a[1])
        }) {
            let acc = acc.as_object_mut().unwrap();
            acc.remove("drivers");
            acc.remove("negative_drivers");
        }
        let old: Checkpoint = serde_json::from_value(v).unwrap();
        assert_eq!(old.terms, BrandTerms::default());
        let mut fresh = AlertCore::new(&config());
        assert_eq!(fresh.restore(vec![old], &HashSet::from([0])).len(), 2);
    }

    #[test]
    fn late_records_are_refused_and_empty_windows_still_close() {
        let mut core = AlertCore::new(&config());
        feed(&mut core, "acme", 0..5, |_| 3);
        assert_eq!(
            core.add(0, &rec("acme", 1, 1, false), i64::MAX / 2),
            Err(Skip::Late)
        );
        // Another brand moves event time on: acme's silent windows close too.
        feed(&mut core, "globex", 5..40, |_| 3);
        let (acme, globex) = (
            &core.brands["acme"].detector,
            &core.brands["globex"].detector,
        );
        assert_eq!(acme.last_window, globex.last_window);
        assert_eq!(acme.windows, globex.windows + 5);
    }

    #[test]
    fn restore_only_keeps_assigned_partitions() {
        let mut core = AlertCore::new(&config());
        feed(&mut core, "acme", 0..3, |_| 1);
        let cps: Vec<Checkpoint> = core
            .take_dirty()
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).unwrap())
            .collect();
        let mut other = AlertCore::new(&config());
        other.restore(cps.clone(), &HashSet::from([1]));
        assert_eq!(other.brand_count(), 0);
        other.restore(cps, &HashSet::from([0]));
        assert_eq!(other.brand_count(), 1);
    }
}
