//! The scoring stage's synchronous core ([`ScoreStage`]: language, cache, batch scoring) and
//! its dedicated thread ([`spawn`]).

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use chrono::Utc;
use tokio::sync::mpsc;

use super::{lang, ScoreError, ScoreInput, Scorer};
use crate::emit::{scored_records, ScoredText};
use crate::mention::{Mention, ScorerInfo, Sentiment};
use crate::pipeline::{Matched, Outbound, Outputs};
use crate::telemetry::{source_bucket, Metrics};

/// A bounded cache of sentiments by [`Mention::score_key`], so that reposts of one original
/// are scored once. Eviction is first-in first-out.
#[derive(Debug)]
pub struct SentimentCache {
    map: HashMap<String, ScoredText>,
    order: VecDeque<String>,
    capacity: usize,
}

impl SentimentCache {
    /// A cache of at most `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, key: &str) -> Option<&ScoredText> {
        self.map.get(key)
    }

    fn insert(&mut self, key: &str, value: ScoredText) {
        if self.capacity == 0 || self.map.contains_key(key) {
            return;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(key.to_string());
        self.map.insert(key.to_string(), value);
    }
}

/// The language a mention is scored in: the provider's, else detected, else `und`.
pub fn resolve_lang(mention: &Mention) -> (String, bool) {
    match mention.lang.as_deref() {
        Some(l) if !l.is_empty() && l != "und" => (l.to_string(), false),
        _ => match lang::detect(&mention.text) {
            Some(code) => (code.to_string(), true),
            None => ("und".to_string(), true),
        },
    }
}

/// Scores mentions in batches with a [`Scorer`], through the cache.
pub struct ScoreStage {
    scorer: Box<dyn Scorer>,
    info: ScorerInfo,
    cache: SentimentCache,
    /// Cache hits since creation.
    pub cache_hits: u64,
}

impl ScoreStage {
    /// A stage over `scorer` with a cache of `cache_entries`.
    pub fn new(scorer: Box<dyn Scorer>, cache_entries: usize) -> Self {
        let info = scorer.info();
        Self {
            scorer,
            info,
            cache: SentimentCache::new(cache_entries),
            cache_hits: 0,
        }
    }

    /// Name and version of the scorer.
    pub fn info(&self) -> &ScorerInfo {
        &self.info
    }

    /// Scores `mentions`, one result per mention, in order.
    ///
    /// # Errors
    /// [`ScoreError`] when the scorer fails on the batch.
    pub fn score(&mut self, mentions: &[&Mention]) -> Result<Vec<ScoredText>, ScoreError> {
        let mut out: Vec<Option<ScoredText>> = Vec::with_capacity(mentions.len());
        let mut misses: Vec<usize> = Vec::new();
        let mut langs: Vec<(String, bool)> = Vec::new();
        for (i, m) in mentions.iter().enumerate() {
            match self.cache.get(m.score_key()) {
                Some(hit) => {
                    self.cache_hits += 1;
                    out.push(Some(hit.clone()));
                }
                None => {
                    out.push(None);
                    misses.push(i);
                    langs.push(resolve_lang(m));
                }
            }
        }
        if !misses.is_empty() {
            let inputs: Vec<ScoreInput<'_>> = misses
                .iter()
                .zip(&langs)
                .map(|(&i, (l, _))| ScoreInput {
                    text: &mentions[i].text,
                    lang: if l == "und" { None } else { Some(l.as_str()) },
                })
                .collect();
            let sentiments: Vec<Sentiment> = self.scorer.score_batch(&inputs)?;
            if sentiments.len() != inputs.len() {
                return Err(ScoreError::Batch {
                    size: inputs.len(),
                    reason: format!("scorer returned {} results", sentiments.len()),
                });
            }
            for ((&i, (lang, detected)), sentiment) in misses.iter().zip(langs).zip(sentiments) {
                let scored = ScoredText {
                    sentiment,
                    lang,
                    lang_detected: detected,
                };
                self.cache.insert(mentions[i].score_key(), scored.clone());
                out[i] = Some(scored);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Turns a batch of matched records into outbound records (scored mentions, dead letters
    /// and unmatched records that only need their offset stored), counting per-brand metrics.
    ///
    /// # Errors
    /// [`ScoreError`] when the scorer fails.
    pub fn process(
        &mut self,
        batch: Vec<Matched>,
        metrics: &Metrics,
    ) -> Result<Vec<Outbound>, ScoreError> {
        let started = Instant::now();
        let to_score: Vec<&Mention> = batch
            .iter()
            .filter_map(|m| match &m.result {
                Ok(Some(mm)) => Some(&mm.mention),
                _ => None,
            })
            .collect();
        let hits_before = self.cache_hits;
        let scored = self.score(&to_score)?;
        metrics
            .score_cache_hits
            .inc_by(self.cache_hits - hits_before);
        if !to_score.is_empty() {
            metrics.score_batch_size.observe(to_score.len() as f64);
        }
        let now = Utc::now();
        let mut scored = scored.into_iter();
        let mut out = Vec::with_capacity(batch.len());
        for m in batch {
            let outputs = match m.result {
                Err(dl) => Outputs::Dead(dl),
                Ok(None) => Outputs::None,
                Ok(Some(mm)) => match scored.next() {
                    Some(s) => {
                        let records = scored_records(&mm, &s, &self.info, now);
                        count(&records, metrics);
                        Outputs::Scored(records)
                    }
                    None => Outputs::None,
                },
            };
            out.push(Outbound {
                origin: m.origin,
                outputs,
            });
        }
        metrics
            .stage_latency
            .with_label_values(&["score"])
            .observe(started.elapsed().as_secs_f64());
        Ok(out)
    }
}

fn count(records: &[crate::mention::ScoredMention], metrics: &Metrics) {
    for r in records {
        let lang = lang::bucket(if r.lang == "und" { None } else { Some(&r.lang) });
        metrics
            .brand_mentions
            .with_label_values(&[
                &r.brand,
                r.sentiment.label.as_str(),
                source_bucket(&r.source),
                lang,
            ])
            .inc();
        metrics
            .brand_sentiment
            .with_label_values(&[&r.brand])
            .observe(f64::from(r.sentiment.score));
        metrics
            .brand_reach
            .with_label_values(&[&r.brand])
            .inc_by(r.reach);
    }
}

/// Starts the scoring thread: it receives matched batches, scores them and sends outbound
/// batches on. It ends when `rx` closes (after forwarding everything) or `tx` closes.
///
/// # Errors
/// An I/O error when the thread cannot be spawned.
pub fn spawn(
    mut stage: ScoreStage,
    mut rx: mpsc::Receiver<Vec<Matched>>,
    tx: mpsc::Sender<Vec<Outbound>>,
    metrics: Metrics,
) -> std::io::Result<std::thread::JoinHandle<Result<(), ScoreError>>> {
    std::thread::Builder::new()
        .name("brandpulse-score".into())
        .spawn(move || {
            while let Some(batch) = rx.blocking_recv() {
                let out = stage.process(batch, &metrics)?;
                if tx.blocking_send(out).is_err() {
                    return Err(ScoreError::ThreadGone);
                }
            }
            tracing::info!("scoring thread stopped");
            Ok(())
        })
}
