//! Words in the replay: every generated mention carries two terms of its brand's everyday
//! vocabulary (Zipf-distributed, each term's weight drifting from day to day and 3% of the
//! vocabulary replaced by new terms every day: seasonal vocabulary with random churn); the
//! extra mentions of an injected spike carry the spike's phrase; on some days a new term
//! rises for a few hours with no volume spike. Term counts go through the production code
//! (`WindowTerms`, `BrandTerms`, the core's `alert_drivers`), one distinct author per mention.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::Rng;

use super::sample::normal;
use crate::alert::core::{alert_drivers, WindowAcc};
use crate::alert::detector::Transition;
use crate::alert::terms::extract::{Extractor, Scratch};
use crate::alert::terms::stats::{BrandTerms, TermParams, WindowTerms};
use crate::alert::terms::{capacity, window_capacity};
use crate::config::AlertConfig;

/// Phrases of the injected spikes (several languages; brands share them), by brand and day.
pub const PHRASES: [&str; 10] = [
    "battery fire",
    "app outage",
    "#acmedown",
    "pantalla rota",
    "fuite de données",
    "lỗi thanh toán",
    "сбой оплаты",
    "screen keeps flickering",
    "lieferung verspätet",
    "recall notice",
];
/// Share of a spike's extra mentions that carry its phrase.
pub const PHRASE_SHARE: f64 = 0.7;
/// Rates (mentions per hour) of the injected rising terms, cycling.
pub const RISING_RATES: [f64; 2] = [20.0, 40.0];
/// Minutes a rising term lasts.
pub const RISING_MINUTES: i64 = 180;
/// An emerging-term event for a rising term counts up to this many minutes after its end.
pub const RISING_SLACK: i64 = 60;
/// Everyday vocabulary size per brand.
const VOCABULARY: usize = 1500;
/// Everyday terms per mention.
const TERMS_PER_MENTION: usize = 2;
/// Daily churn: share of the vocabulary replaced, and the standard deviation of the log of
/// each term's daily weight change.
const CHURN: f64 = 0.03;
const DRIFT: f64 = 0.3;
/// Drivers compared with the injected phrase.
pub const TOP_DRIVERS: usize = 3;

/// A term rising for a brand, injected without a volume spike.
#[derive(Debug, Clone, PartialEq)]
pub struct Rising {
    /// The term.
    pub term: String,
    /// First minute.
    pub start_minute: i64,
    /// Target mentions per hour.
    pub per_hour: f64,
}

/// The phrase of spike `day` of brand `index`: its terms, and what a driver naming it says:
/// the folded phrase, or one of its longest terms (`fuite de données` has a stop word inside:
/// `fuite` or `donnees`).
pub fn phrase(index: usize, day: usize, extractor: &Extractor) -> (Vec<String>, Vec<String>) {
    let text = PHRASES[(index + day * 3) % PHRASES.len()];
    let mut terms = Vec::new();
    extractor.terms(text, "und", &[], &mut Scratch::default(), &mut terms);
    let folded = crate::rules::normalize::normalize_term(text);
    let mut targets = vec![if text.starts_with('#') {
        format!("#{folded}")
    } else {
        folded
    }];
    for t in &terms {
        let inside = terms
            .iter()
            .any(|u| u != t && format!(" {u} ").contains(&format!(" {t} ")));
        if !inside {
            targets.push(t.clone());
        }
    }
    (terms, targets)
}

/// A brand's everyday vocabulary.
#[derive(Debug)]
pub(super) struct Vocabulary {
    terms: Vec<String>,
    weights: Vec<f64>,
    cdf: Vec<f64>,
    next: usize,
}

impl Vocabulary {
    pub(super) fn new() -> Self {
        let mut v = Self {
            terms: (0..VOCABULARY).map(|i| format!("w{i}")).collect(),
            weights: (0..VOCABULARY).map(|i| 1.0 / (i as f64 + 1.0)).collect(),
            cdf: Vec::new(),
            next: VOCABULARY,
        };
        v.rebuild();
        v
    }

    fn rebuild(&mut self) {
        let mut acc = 0.0;
        self.cdf = self
            .weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
    }

    /// A new day: weights drift, some terms are replaced by new ones of a random tail rank.
    pub(super) fn churn(&mut self, rng: &mut StdRng) {
        for i in 0..self.terms.len() {
            self.weights[i] *= (DRIFT * normal(rng)).exp();
            if rng.gen::<f64>() < CHURN {
                self.terms[i] = format!("w{}", self.next);
                self.next += 1;
                // New words enter at the vocabulary's tail (ranks 1,000-5,000).
                self.weights[i] = 1.0 / rng.gen_range(1000.0..5000.0);
            }
        }
        self.rebuild();
    }

    fn draw(&self, rng: &mut StdRng) -> &str {
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let x = rng.gen::<f64>() * total;
        let i = self
            .cdf
            .partition_point(|&c| c < x)
            .min(self.terms.len() - 1);
        &self.terms[i]
    }
}

/// The term side of one replayed stream.
#[derive(Debug)]
pub(super) struct TermSim {
    params: TermParams,
    cap: usize,
    keep: usize,
    vocab: Vocabulary,
    brand: BrandTerms,
    window: WindowTerms,
    recent: VecDeque<(i64, WindowAcc)>,
    recent_len: usize,
    persistence_n: u32,
    author: u64,
    buf: Vec<String>,
}

impl TermSim {
    pub(super) fn new(config: &AlertConfig, persistence_n: u32) -> Self {
        let cap = capacity(config.terms.per_brand, config.terms.max_total, 1);
        Self {
            params: TermParams::new(config),
            cap,
            keep: config.terms.drivers.max(TOP_DRIVERS),
            vocab: Vocabulary::new(),
            brand: BrandTerms::default(),
            window: WindowTerms::default(),
            recent: VecDeque::new(),
            recent_len: crate::alert::core::recent_windows(config),
            persistence_n,
            author: 0,
            buf: Vec::new(),
        }
    }

    pub(super) fn new_day(&mut self, rng: &mut StdRng) {
        self.vocab.churn(rng);
    }

    /// One mention, with `extra` terms (a phrase, a rising term) besides everyday ones.
    pub(super) fn mention(&mut self, rng: &mut StdRng, negative: bool, extra: &[&[String]]) {
        self.buf.clear();
        for _ in 0..TERMS_PER_MENTION {
            let t = self.vocab.draw(rng);
            if !self.buf.iter().any(|b| b == t) {
                self.buf.push(t.to_string());
            }
        }
        for terms in extra {
            self.buf.extend(terms.iter().cloned());
        }
        self.author += 1;
        let author = self.author.to_string();
        self.window.add(
            &self.buf,
            &author,
            &author,
            negative,
            window_capacity(self.cap),
        );
    }

    /// Closes window `w`, which the detector expected to hold `expected` (mentions, negative
    /// mentions); returns the emerging terms reported.
    pub(super) fn close(
        &mut self,
        w: i64,
        count: u64,
        negatives: u64,
        expected: [f64; 2],
    ) -> Vec<String> {
        let window = std::mem::take(&mut self.window);
        let closing = self
            .brand
            .close(w, &window, count, negatives, self.cap, &self.params);
        let acc = WindowAcc {
            count,
            negatives,
            drivers: closing.all,
            negative_drivers: closing.negative,
            expected,
            ..WindowAcc::default()
        };
        self.recent.push_back((w, acc));
        crate::alert::core::trim_recent(&mut self.recent, self.persistence_n, self.recent_len);
        closing.emerging.into_iter().map(|e| e.term).collect()
    }

    /// The top drivers' terms of a firing transition.
    pub(super) fn drivers(&self, t: &Transition) -> Vec<String> {
        alert_drivers(t, &self.recent, self.keep)
            .into_iter()
            .take(TOP_DRIVERS)
            .map(|d| d.term)
            .collect()
    }
}
