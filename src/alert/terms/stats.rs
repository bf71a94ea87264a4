//! Term counts of a brand's open windows, and the decayed baselines of its kept terms: the
//! bounded state behind alert drivers and emerging terms. No I/O; serialised with the brand's
//! alert checkpoint.
//!
//! - **A window's counts** ([`WindowTerms`]): each author counts once per term and window
//!   (a set of `hash(author, term)`, bounded); when a window holds more distinct terms than
//!   its cap, the rarest are pruned (lossy counting: a term that comes back after a prune
//!   restarts from 0, so counts of rare terms are lower bounds; frequent ones are exact).
//! - **A term's baseline** ([`TermStat`]): its exponentially decayed count and the brand's
//!   decayed volume give its usual *share* of the brand's mentions (time constant
//!   `alert.terms.baseline_windows`), so a busy hour or a volume spike does not make every
//!   ordinary word unusual; a second decayed count with the shorter `emerging_span_windows`
//!   is the term's recent count. Unseen terms get half a mention of prior. Only the
//!   `capacity` terms with the largest decayed counts are kept (heavy hitters); as in
//!   Space-Saving, a term that is not kept starts from the largest evicted count (`floor`),
//!   so an everyday term that was evicted does not look new when it comes back.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::alert::detector::poisson_tail;

/// Candidate drivers kept per closed window (and kind).
pub const CANDIDATES: usize = 12;
/// A term is a candidate driver when its window count is at least this (one: a span-detected
/// alert's phrase may be in each window once or twice)...
const CANDIDATE_MIN: u32 = 1;
/// ...and this unlikely under its baseline.
const CANDIDATE_P: f64 = 0.01;
/// Prior count of a term never seen (in its baseline share).
const PRIOR: f64 = 0.5;

/// One term's count in an open window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TermCount {
    /// Mentions (distinct authors).
    pub n: u32,
    /// Negative mentions among them.
    pub neg: u32,
    /// The first mention id (drivers take one per window, two in all).
    pub ex: Vec<String>,
    /// The first negative mention id.
    pub neg_ex: Vec<String>,
}

/// The term counts of one open window of a brand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowTerms {
    /// Counts by term.
    pub counts: HashMap<String, TermCount>,
    /// `hash(author, term)` already counted in this window. Not checkpointed (it would
    /// double a busy window's checkpoint): after a restore in the middle of a window, an
    /// author already counted there may count once more.
    #[serde(skip)]
    seen: HashSet<u64>,
}

fn pair_hash(author: &str, term: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    author.hash(&mut h);
    term.hash(&mut h);
    h.finish()
}

impl WindowTerms {
    /// Counts the terms of one mention by `author`. `cap` bounds the distinct terms held;
    /// the author set holds at most `4 * cap` pairs (beyond it, authors are not deduplicated).
    pub fn add(
        &mut self,
        terms: &[String],
        author: &str,
        mention_id: &str,
        negative: bool,
        cap: usize,
    ) {
        for t in terms {
            if self.seen.len() < cap.saturating_mul(4) && !self.seen.insert(pair_hash(author, t)) {
                continue;
            }
            let c = self.counts.entry(t.clone()).or_default();
            c.n = c.n.saturating_add(1);
            if c.ex.is_empty() {
                c.ex.push(mention_id.to_string());
            }
            if negative {
                c.neg = c.neg.saturating_add(1);
                if c.neg_ex.is_empty() {
                    c.neg_ex.push(mention_id.to_string());
                }
            }
        }
        if self.counts.len() > cap {
            self.prune(cap);
        }
    }

    /// Drops the rarest terms until at most three quarters of `cap` are held.
    fn prune(&mut self, cap: usize) {
        let target = cap * 3 / 4;
        let mut level = 1;
        while self.counts.len() > target {
            self.counts.retain(|_, c| c.n > level);
            level += 1;
        }
    }

    /// Distinct terms held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no term is held.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// A term that stood out in a closed window: kept with the window to name an alert's
/// drivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The term.
    pub term: String,
    /// Its count in the window (negative mentions only, for the negative list).
    pub n: u32,
    /// What its baseline share expected of the window's mentions.
    pub expected: f64,
    /// Up to two mention ids.
    pub ex: Vec<String>,
}

/// `-log10` of a tail probability, finite.
pub fn surprise(p: f64) -> f64 {
    -(p.max(1e-300)).log10()
}

/// A term reported as emerging in a closed window.
#[derive(Debug, Clone, PartialEq)]
pub struct Emerged {
    /// The term.
    pub term: String,
    /// Its recent (decayed) count.
    pub observed: f64,
    /// What its baseline share expects over the same span.
    pub expected: f64,
    /// Poisson tail probability.
    pub p_value: f64,
    /// Mention ids from this window.
    pub ex: Vec<String>,
}

/// What closing a window gives.
#[derive(Debug, Default)]
pub struct Closing {
    /// Candidate drivers among all mentions, most unusual first.
    pub all: Vec<Candidate>,
    /// Candidate drivers among negative mentions.
    pub negative: Vec<Candidate>,
    /// Emerging terms.
    pub emerging: Vec<Emerged>,
}

/// The settings of term statistics, from `[alert]` and `[alert.terms]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TermParams {
    /// Per-window decay of baselines.
    pub decay: f64,
    /// Per-window decay of recent counts.
    pub span_decay: f64,
    /// Span of recent counts (windows), for reports.
    pub span_windows: u32,
    /// Windows a brand is watched before it may report emerging terms.
    pub warmup: u64,
    /// Report emerging terms.
    pub emerging: bool,
    /// Emerging: smallest recent count.
    pub min_count: f64,
    /// Emerging: smallest ratio to expected.
    pub min_ratio: f64,
    /// Emerging: tail probability.
    pub p_value: f64,
    /// Emerging: windows unusual before reporting.
    pub persistence: i64,
    /// Emerging: windows before the same term again.
    pub cooldown: i64,
    /// Emerging: per brand per UTC day.
    pub max_per_day: u32,
    /// Windows in a day.
    pub windows_per_day: i64,
}

impl TermParams {
    /// Settings of `config` for windows of `window_secs`.
    pub fn new(config: &crate::config::AlertConfig) -> Self {
        let t = &config.terms;
        let window_secs = config.window.as_secs().max(1) as i64;
        Self {
            decay: (-1.0 / f64::from(t.baseline_windows)).exp(),
            span_decay: (-1.0 / f64::from(t.emerging_span_windows)).exp(),
            span_windows: t.emerging_span_windows,
            warmup: config.warmup_windows,
            emerging: t.enabled && t.emerging,
            min_count: t.emerging_min_count,
            min_ratio: t.emerging_min_ratio,
            p_value: t.emerging_p_value,
            persistence: i64::from(t.emerging_persistence_windows),
            cooldown: i64::from(t.emerging_cooldown_windows),
            max_per_day: t.emerging_max_per_day,
            windows_per_day: (86_400 / window_secs).max(1),
        }
    }
}

/// The baseline of one kept term (short field names: it is stored in every checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TermStat {
    /// Decayed count.
    #[serde(rename = "s")]
    pub sum: f32,
    /// Decayed count in negative mentions.
    #[serde(rename = "g")]
    pub neg: f32,
    /// Recent count (decayed over the emerging span).
    #[serde(rename = "r")]
    pub recent: f32,
    /// Window these were last brought to.
    #[serde(rename = "w")]
    pub at: i64,
    /// First window of the current unusual run (emerging).
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// No emerging report before this window.
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub quiet_until: Option<i64>,
}

/// Term baselines of one brand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrandTerms {
    /// Windows closed.
    pub windows: u64,
    /// Last closed window.
    pub at: Option<i64>,
    /// Decayed mention count of the brand.
    pub volume: f64,
    /// Decayed negative mention count.
    pub negatives: f64,
    /// Recent mention count (decayed over the emerging span).
    pub recent_volume: f64,
    /// UTC day of `emerged_today`.
    pub day: i64,
    /// Emerging terms reported on `day`.
    pub emerged_today: u32,
    /// Kept terms.
    pub stats: HashMap<String, TermStat>,
    /// Decayed count of the largest term evicted (Space-Saving): a term not kept may have
    /// been this frequent, so its baseline starts here rather than at 0.
    #[serde(default)]
    pub floor: f64,
}

impl BrandTerms {
    /// Closes window `w` with its term counts, the brand's `count` and `negatives` in it:
    /// scores every term against its baseline, updates the baselines, keeps at most
    /// `capacity` terms.
    pub fn close(
        &mut self,
        w: i64,
        terms: &WindowTerms,
        count: u64,
        negatives: u64,
        capacity: usize,
        p: &TermParams,
    ) -> Closing {
        let gap = self.at.map_or(1, |a| (w - a).max(1)) as f64;
        self.volume *= p.decay.powf(gap);
        self.negatives *= p.decay.powf(gap);
        self.recent_volume *= p.span_decay.powf(gap);
        self.floor *= p.decay.powf(gap);
        let day = w.div_euclid(p.windows_per_day);
        if day != self.day {
            self.day = day;
            self.emerged_today = 0;
        }
        let warm = self.windows >= p.warmup;
        let recent_volume = self.recent_volume + count as f64;
        let mut out = Closing::default();
        let mut scored_all = Vec::new();
        let mut scored_neg = Vec::new();
        let mut ready: Vec<Emerged> = Vec::new();
        for (term, c) in &terms.counts {
            let old = self.stats.get(term).copied();
            let (sum, neg, recent) = old.map_or((self.floor, 0.0, 0.0), |s| {
                let k = (w - s.at).max(0) as f64;
                (
                    f64::from(s.sum) * p.decay.powf(k),
                    f64::from(s.neg) * p.decay.powf(k),
                    f64::from(s.recent) * p.span_decay.powf(k),
                )
            });
            let share = (sum + PRIOR) / (self.volume + 1.0);
            if c.n >= CANDIDATE_MIN {
                let e = share * count as f64;
                let pv = poisson_tail(u64::from(c.n), e);
                if pv < CANDIDATE_P {
                    scored_all.push((surprise(pv), c.n, term, e, &c.ex));
                }
            }
            if c.neg >= CANDIDATE_MIN {
                let neg_share = (neg + PRIOR) / (self.negatives + 1.0);
                let e = neg_share * negatives as f64;
                let pv = poisson_tail(u64::from(c.neg), e);
                if pv < CANDIDATE_P {
                    scored_neg.push((surprise(pv), c.neg, term, e, &c.neg_ex));
                }
            }
            let recent = recent + f64::from(c.n);
            let mut since = old.and_then(|s| s.since);
            let quiet_until = old.and_then(|s| s.quiet_until);
            if p.emerging && warm {
                let expected = share * recent_volume;
                let pv = poisson_tail(recent.floor() as u64, expected);
                let unusual =
                    recent >= p.min_count && recent >= p.min_ratio * expected && pv <= p.p_value;
                if unusual {
                    let from = *since.get_or_insert(w);
                    if w - from >= p.persistence && quiet_until.is_none_or(|q| w >= q) {
                        ready.push(Emerged {
                            term: term.clone(),
                            observed: recent,
                            expected,
                            p_value: pv,
                            ex: c.ex.clone(),
                        });
                    }
                } else {
                    since = None;
                }
            }
            self.stats.insert(
                term.clone(),
                TermStat {
                    sum: (sum + f64::from(c.n)) as f32,
                    neg: (neg + f64::from(c.neg)) as f32,
                    recent: recent as f32,
                    at: w,
                    since,
                    quiet_until,
                },
            );
        }
        self.volume += count as f64;
        self.negatives += negatives as f64;
        self.recent_volume = recent_volume;
        self.at = Some(w);
        self.windows += gap as u64;
        out.all = top_candidates(scored_all);
        out.negative = top_candidates(scored_neg);
        out.emerging = self.report(ready, w, p);
        if self.stats.len() > capacity {
            self.evict(w, capacity, p);
        }
        out
    }

    /// Of the terms ready to be reported, the phrases rather than the words inside them (a
    /// phrase quiets its words for the cooldown too), within the day's budget.
    fn report(&mut self, mut ready: Vec<Emerged>, w: i64, p: &TermParams) -> Vec<Emerged> {
        ready.sort_by(|a, b| {
            b.term
                .split(' ')
                .count()
                .cmp(&a.term.split(' ').count())
                .then_with(|| a.p_value.total_cmp(&b.p_value))
                .then_with(|| a.term.cmp(&b.term))
        });
        let mut out: Vec<Emerged> = Vec::new();
        for e in ready {
            let inside = out
                .iter()
                .any(|o| format!(" {} ", o.term).contains(&format!(" {} ", e.term)));
            let quiet = self
                .stats
                .get(&e.term)
                .and_then(|s| s.quiet_until)
                .is_some_and(|q| w < q);
            if inside || quiet || self.emerged_today >= p.max_per_day {
                continue;
            }
            self.emerged_today += 1;
            for word in e.term.split(' ').chain(std::iter::once(e.term.as_str())) {
                if let Some(s) = self.stats.get_mut(word) {
                    s.quiet_until = Some(w + p.cooldown);
                    s.since = None;
                }
            }
            out.push(e);
        }
        out.sort_by(|a, b| a.term.cmp(&b.term));
        out
    }

    /// Keeps the `capacity * 0.9` terms with the largest decayed counts (and any term in an
    /// unusual run or cooldown, up to `capacity`).
    fn evict(&mut self, w: i64, capacity: usize, p: &TermParams) {
        let keep = capacity * 9 / 10;
        let mut ranked: Vec<(f64, String)> = self
            .stats
            .iter()
            .map(|(t, s)| {
                let busy = s.since.is_some() || s.quiet_until.is_some_and(|q| q > w);
                let weight = f64::from(s.sum) * p.decay.powf((w - s.at).max(0) as f64);
                (if busy { f64::MAX } else { weight }, t.clone())
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        for (weight, t) in ranked.into_iter().skip(keep) {
            if weight.is_finite() && weight != f64::MAX {
                self.floor = self.floor.max(weight);
            }
            self.stats.remove(&t);
        }
    }
}

fn top_candidates(mut scored: Vec<(f64, u32, &String, f64, &Vec<String>)>) -> Vec<Candidate> {
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| a.2.cmp(b.2))
    });
    scored
        .into_iter()
        .take(CANDIDATES)
        .map(|(_, n, term, expected, ex)| Candidate {
            term: term.clone(),
            n,
            expected,
            ex: ex.clone(),
        })
        .collect()
}
