//! The scoring stage's synchronous core ([`ScoreStage`]: language, cache, batch scoring) and
//! its dedicated thread ([`spawn`]).

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use chrono::Utc;
use tokio::sync::mpsc;

use super::{spans, ScoreError, ScoreInput, Scorer};
use crate::lang;
use crate::mention::{MatchedMention, Mention, ScorerInfo, Sentiment};
use crate::record::{BrandScore, Matched, Outbound, Outputs, Routed, ScoredText};
use crate::telemetry::metric::observe;
use crate::telemetry::{source_bucket, Metrics};

/// One brand of a mention: the unit it is scored on and the spans of that unit's text.
type BrandUnit = (usize, Option<Vec<[usize; 2]>>);

/// What is scored: a mention's text, or the part of it about one brand.
struct Unit<'a> {
    mention: &'a Mention,
    text: Cow<'a, str>,
}

/// A bounded cache of sentiments keyed by normalised text (whitespace collapsed) and
/// language, so that reposts and copies of one text are scored once. Eviction is first-in
/// first-out.
///
/// No text is stored: the key is a 128-bit digest of the language and the normalised text
/// (a collision between two texts among millions has a probability around 2^-80), so every
/// entry costs the same [`CACHE_ENTRY_BYTES`], whatever the length of its text, and the
/// cache's memory is `entries x CACHE_ENTRY_BYTES`.
#[derive(Debug)]
pub struct SentimentCache {
    map: HashMap<CacheKey, ScoredText>,
    order: VecDeque<CacheKey>,
    capacity: usize,
}

/// A cache key: a 128-bit digest of the language and the normalised text.
pub type CacheKey = u128;

/// Upper bound of the memory one cache entry takes (defined with the rest of the memory
/// budget; a test here checks the cache keeps it).
pub use crate::config::memory::CACHE_ENTRY_BYTES;

impl SentimentCache {
    /// A cache of at most `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, key: &CacheKey) -> Option<&ScoredText> {
        self.map.get(key)
    }

    fn insert(&mut self, key: CacheKey, value: ScoredText) {
        if self.capacity == 0 || self.map.contains_key(&key) {
            return;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(key);
        self.map.insert(key, value);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The language a mention is scored in: [`crate::lang::settle`].
pub fn resolve_lang(mention: &Mention) -> (String, bool) {
    crate::lang::settle(mention)
}

/// The cache key of a text: a digest of its language and its words separated by single
/// spaces (so copies that differ only in whitespace share an entry).
pub fn cache_key(text: &str, lang: &str) -> CacheKey {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(lang.as_bytes());
    h.update([0x1f]);
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            h.update(b" ");
        }
        h.update(word.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

/// Scores mentions in batches with a [`Scorer`], through the cache, with an optional fallback
/// scorer for degraded mode.
pub struct ScoreStage {
    scorer: Box<dyn Scorer>,
    info: ScorerInfo,
    fallback: Option<(Box<dyn Scorer>, ScorerInfo)>,
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
            fallback: None,
            cache: SentimentCache::new(cache_entries),
            cache_hits: 0,
        }
    }

    /// Whether a fallback scorer is configured (degraded mode is possible).
    pub fn has_fallback(&self) -> bool {
        self.fallback.is_some()
    }

    /// Adds the scorer used in degraded mode (when the primary one falls behind).
    pub fn with_fallback(mut self, fallback: Box<dyn Scorer>) -> Self {
        let info = fallback.info();
        self.fallback = Some((fallback, info));
        self
    }

    /// Name and version of the primary scorer.
    pub fn info(&self) -> &ScorerInfo {
        &self.info
    }

    /// Name and version of the scorer that produced `scored`.
    pub fn info_of(&self, scored: &ScoredText) -> &ScorerInfo {
        match (&self.fallback, scored.degraded) {
            (Some((_, info)), true) => info,
            _ => &self.info,
        }
    }

    /// Scores `mentions` with the primary scorer, one result per mention, in order.
    ///
    /// # Errors
    /// [`ScoreError`] when the scorer fails on the batch.
    pub fn score(&mut self, mentions: &[&Mention]) -> Result<Vec<ScoredText>, ScoreError> {
        self.score_with(mentions, false)
    }

    /// Scores `mentions`; with `degraded`, cache misses go to the fallback scorer (if any)
    /// and their results are marked and not cached.
    ///
    /// # Errors
    /// [`ScoreError`] when the scorer fails on the batch.
    pub fn score_with(
        &mut self,
        mentions: &[&Mention],
        degraded: bool,
    ) -> Result<Vec<ScoredText>, ScoreError> {
        let units: Vec<Unit<'_>> = mentions
            .iter()
            .map(|&mention| Unit {
                mention,
                text: Cow::Borrowed(&mention.text),
            })
            .collect();
        self.score_units(&units, degraded)
    }

    /// The sentiment of each brand of matched mentions: per mention, one [`BrandScore`] per
    /// matched brand, in order. A mention that names several brands gives each brand the
    /// sentiment of its own part of the text ([`spans::brand_spans`], recorded as the score's
    /// `span`); otherwise every brand gets the whole text's.
    ///
    /// # Errors
    /// [`ScoreError`] when the scorer fails on the batch.
    pub fn scores(
        &mut self,
        batch: &[&MatchedMention],
        degraded: bool,
    ) -> Result<Vec<Vec<BrandScore>>, ScoreError> {
        let mut units: Vec<Unit<'_>> = Vec::with_capacity(batch.len());
        // per mention, per brand: (unit index, scored spans)
        let mut plans: Vec<Vec<BrandUnit>> = Vec::with_capacity(batch.len());
        for mm in batch {
            let mention = &mm.mention;
            let mut whole: Option<usize> = None;
            let mut plan = Vec::with_capacity(mm.matches.len());
            for span in spans::brand_spans(&mention.text, &mm.matches) {
                match span {
                    None => {
                        let u = *whole.get_or_insert_with(|| {
                            units.push(Unit {
                                mention,
                                text: Cow::Borrowed(&mention.text),
                            });
                            units.len() - 1
                        });
                        plan.push((u, None));
                    }
                    Some(ranges) => {
                        units.push(Unit {
                            mention,
                            text: Cow::Owned(spans::span_text(&mention.text, &ranges)),
                        });
                        let offsets = ranges.iter().map(|r| [r.start, r.end]).collect();
                        plan.push((units.len() - 1, Some(offsets)));
                    }
                }
            }
            plans.push(plan);
        }
        let scored = self.score_units(&units, degraded)?;
        Ok(plans
            .into_iter()
            .map(|plan| {
                plan.into_iter()
                    .filter_map(|(u, span)| {
                        let s = scored.get(u)?;
                        Some(BrandScore {
                            scored: s.clone(),
                            scorer: self.info_of(s).clone(),
                            span,
                        })
                    })
                    .collect()
            })
            .collect())
    }

    /// Scores units (texts of mentions), one result per unit, in order; see [`Self::score_with`].
    fn score_units(
        &mut self,
        units: &[Unit<'_>],
        degraded: bool,
    ) -> Result<Vec<ScoredText>, ScoreError> {
        let degraded = degraded && self.fallback.is_some();
        let mut out: Vec<Option<ScoredText>> = Vec::with_capacity(units.len());
        let mut misses: Vec<usize> = Vec::new();
        let mut langs: Vec<(String, bool)> = Vec::new();
        let mut keys: Vec<CacheKey> = Vec::new();
        // Copies within this batch: (mention index, index into `misses` of the first copy,
        // whether this copy's language was detected).
        let mut copies: Vec<(usize, usize, bool)> = Vec::new();
        let mut first_copy: HashMap<CacheKey, usize> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            let (lang, detected) = resolve_lang(u.mention);
            let key = cache_key(&u.text, &lang);
            if let Some(hit) = self.cache.get(&key) {
                self.cache_hits += 1;
                let mut hit = hit.clone();
                hit.lang_detected = detected;
                out.push(Some(hit));
            } else if let Some(&first) = first_copy.get(&key) {
                self.cache_hits += 1;
                out.push(None);
                copies.push((i, first, detected));
            } else {
                out.push(None);
                first_copy.insert(key, misses.len());
                misses.push(i);
                langs.push((lang, detected));
                keys.push(key);
            }
        }
        if !misses.is_empty() {
            let inputs: Vec<ScoreInput<'_>> = misses
                .iter()
                .zip(&langs)
                .map(|(&i, (l, _))| ScoreInput {
                    text: &units[i].text,
                    lang: if l == "und" { None } else { Some(l.as_str()) },
                })
                .collect();
            let scorer = match (&mut self.fallback, degraded) {
                (Some((fallback, _)), true) => fallback,
                _ => &mut self.scorer,
            };
            let sentiments: Vec<(Sentiment, Option<f32>)> =
                scorer.score_batch_with_intent(&inputs)?;
            if sentiments.len() != inputs.len() {
                return Err(ScoreError::Batch {
                    size: inputs.len(),
                    reason: format!("scorer returned {} results", sentiments.len()),
                });
            }
            for (((&i, (lang, detected)), (sentiment, complaint_margin)), key) in
                misses.iter().zip(langs).zip(sentiments).zip(keys)
            {
                let scored = ScoredText {
                    sentiment,
                    lang,
                    lang_detected: detected,
                    degraded,
                    complaint_margin,
                };
                if !degraded {
                    self.cache.insert(key, scored.clone());
                }
                out[i] = Some(scored);
            }
            for (i, first, detected) in copies {
                out[i] = out[misses[first]].clone().map(|mut s| {
                    s.lang_detected = detected;
                    s
                });
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
        degraded: bool,
    ) -> Result<Vec<Outbound>, ScoreError> {
        let started = Instant::now();
        let to_score: Vec<&MatchedMention> = batch
            .iter()
            .filter_map(|m| match &m.result {
                Ok(Routed::Matched(mm)) => Some(mm),
                _ => None,
            })
            .collect();
        let exemplar = to_score.first().map(|m| m.mention.id.clone());
        let hits_before = self.cache_hits;
        let scored = self.scores(&to_score, degraded)?;
        let scored_at = Utc::now();
        metrics
            .score_cache_hits
            .inc_by(self.cache_hits - hits_before);
        if !to_score.is_empty() {
            metrics.score_batch_size.observe(to_score.len() as f64);
        }
        let mut scored = scored.into_iter();
        let mut out = Vec::with_capacity(batch.len());
        for m in batch {
            let outputs = match m.result {
                Err(dl) => Outputs::Dead(dl),
                Ok(Routed::Unmatched) => Outputs::None,
                Ok(Routed::Notice(n)) => Outputs::Notice(n),
                Ok(Routed::Matched(mention)) => match scored.next() {
                    Some(scores) if !scores.is_empty() => {
                        if scores.iter().any(|s| s.scored.degraded) {
                            metrics.score_degraded.inc();
                        }
                        count(&mention, &scores, metrics);
                        Outputs::Scored {
                            mention: Box::new(mention),
                            scores,
                            scored_at,
                        }
                    }
                    _ => Outputs::None,
                },
            };
            out.push(Outbound {
                origin: m.origin,
                own_post: m.own_post,
                outputs,
            });
        }
        observe(
            &metrics.stage_latency.with_label_values(&["score"]),
            started.elapsed().as_secs_f64(),
            exemplar.as_deref(),
        );
        Ok(out)
    }
}

/// Per-brand series: mentions by label, source and language; sentiment; reach; reach-weighted
/// sentiment. Mentions the screen stage excluded (campaign copies, repeats, spam) are counted
/// apart, by reason, and nowhere else.
fn count(mention: &MatchedMention, scores: &[BrandScore], metrics: &Metrics) {
    let source = source_bucket(&mention.mention.source);
    let reach = mention.mention.reach();
    let weight = crate::screen::impact::reach_weight(&mention.mention);
    for (i, (b, s)) in mention.matches.iter().zip(scores).enumerate() {
        if let Some(reason) = mention.screening.brands.get(i).and_then(|x| x.excluded) {
            metrics
                .brand_excluded
                .with_label_values(&[&b.brand, reason.as_str()])
                .inc();
            continue;
        }
        let s = &s.scored;
        let lang = lang::bucket(if s.lang == "und" { None } else { Some(&s.lang) });
        metrics
            .brand_mentions
            .with_label_values(&[&b.brand, s.sentiment.label.as_str(), source, lang])
            .inc();
        metrics
            .brand_sentiment
            .with_label_values(&[&b.brand])
            .observe(f64::from(s.sentiment.score));
        metrics
            .brand_reach
            .with_label_values(&[&b.brand])
            .inc_by(reach);
        metrics
            .brand_reach_weight
            .with_label_values(&[&b.brand])
            .inc_by(weight);
        metrics
            .brand_reach_positivity
            .with_label_values(&[&b.brand])
            .inc_by(weight * (f64::from(s.sentiment.score.clamp(-1.0, 1.0)) + 1.0) / 2.0);
    }
}

/// Starts the scoring thread: it receives matched batches, scores them and sends outbound
/// batches on. It ends when `rx` closes (after forwarding everything) or `tx` closes. When
/// more than `fallback_backlog` batches are waiting (and it is not 0), the fallback scorer
/// takes over until the backlog is back under it.
///
/// # Errors
/// An I/O error when the thread cannot be spawned.
pub fn spawn(
    mut stage: ScoreStage,
    mut rx: mpsc::Receiver<Vec<Matched>>,
    tx: mpsc::Sender<Vec<Outbound>>,
    metrics: Metrics,
    fallback_backlog: usize,
) -> std::io::Result<std::thread::JoinHandle<Result<(), ScoreError>>> {
    std::thread::Builder::new()
        .name("brandpulse-score".into())
        .spawn(move || {
            let mut was_degraded = false;
            while let Some(batch) = rx.blocking_recv() {
                let degraded =
                    stage.has_fallback() && fallback_backlog > 0 && rx.len() > fallback_backlog;
                if degraded != was_degraded {
                    metrics.score_degraded_mode.set(i64::from(degraded));
                    if degraded {
                        tracing::warn!(
                            backlog = rx.len(),
                            "model falling behind: degraded mode (fallback scorer)"
                        );
                    } else {
                        tracing::info!("model caught up: degraded mode over");
                    }
                    was_degraded = degraded;
                }
                let out = stage.process(batch, &metrics, degraded)?;
                if tx.blocking_send(out).is_err() {
                    return Err(ScoreError::ThreadGone);
                }
            }
            tracing::info!("scoring thread stopped");
            Ok(())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_memory_does_not_grow_with_text_length() {
        let mut c = SentimentCache::new(10);
        let value = ScoredText {
            sentiment: crate::mention::Sentiment {
                label: crate::mention::SentimentLabel::Neutral,
                score: 0.0,
                confidence: 0.5,
            },
            lang: "en".into(),
            lang_detected: false,
            degraded: false,
            complaint_margin: None,
        };
        for i in 0..1000 {
            let text = format!("{i} {}", "x".repeat(60_000));
            c.insert(cache_key(&text, "en"), value.clone());
        }
        assert_eq!(c.len(), 10);
        assert!(
            std::mem::size_of::<CacheKey>() + std::mem::size_of::<ScoredText>()
                <= CACHE_ENTRY_BYTES
        );
        // Whitespace differences share a key; languages do not.
        assert_eq!(cache_key("a  b\n c", "en"), cache_key("a b c", "en"));
        assert_ne!(cache_key("a b c", "en"), cache_key("a b c", "de"));
    }
    use crate::mention::SentimentLabel;

    /// A scorer that labels everything `label` and counts the texts it saw.
    struct Fixed {
        label: SentimentLabel,
        name: &'static str,
        seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Scorer for Fixed {
        fn info(&self) -> ScorerInfo {
            ScorerInfo {
                name: self.name.into(),
                version: "1".into(),
            }
        }
        fn score_batch(&mut self, inputs: &[ScoreInput<'_>]) -> Result<Vec<Sentiment>, ScoreError> {
            self.seen
                .fetch_add(inputs.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(inputs
                .iter()
                .map(|_| Sentiment {
                    label: self.label,
                    score: 0.0,
                    confidence: 1.0,
                })
                .collect())
        }
    }

    fn mention(id: &str, text: &str) -> Mention {
        serde_json::from_value(serde_json::json!({
            "id": id, "text": text, "created_at": "2026-11-01T00:00:00Z", "source": "x", "lang": "en"
        }))
        .unwrap()
    }

    fn stage() -> (
        ScoreStage,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let model = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lex = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let s = ScoreStage::new(
            Box::new(Fixed {
                label: SentimentLabel::Positive,
                name: "model",
                seen: model.clone(),
            }),
            100,
        )
        .with_fallback(Box::new(Fixed {
            label: SentimentLabel::Negative,
            name: "lexicon",
            seen: lex.clone(),
        }));
        (s, model, lex)
    }

    #[test]
    fn copies_and_reposts_are_scored_once() {
        let (mut s, model, _) = stage();
        let a = mention("1", "Acme  rocks");
        let b = mention("2", "Acme rocks"); // same words, other spacing
        let c = mention("3", "something else");
        let out = s.score(&[&a, &b, &c]).unwrap();
        assert_eq!(out.len(), 3);
        let again = s.score(&[&b]).unwrap();
        assert_eq!(again[0].sentiment.label, SentimentLabel::Positive);
        // "Acme rocks" was scored once: its copy in the same batch and the later one were not.
        assert_eq!(model.load(std::sync::atomic::Ordering::Relaxed), 2);
        assert_eq!(s.cache_hits, 2);
    }

    #[test]
    fn degraded_mode_uses_the_fallback_marks_and_does_not_cache() {
        let (mut s, model, lex) = stage();
        let a = mention("1", "hello there");
        let out = s.score_with(&[&a], true).unwrap();
        assert!(out[0].degraded);
        assert_eq!(out[0].sentiment.label, SentimentLabel::Negative);
        assert_eq!(s.info_of(&out[0]).name, "lexicon");
        assert_eq!(lex.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Not cached: the model scores it once it has caught up.
        let out = s.score_with(&[&a], false).unwrap();
        assert!(!out[0].degraded);
        assert_eq!(s.info_of(&out[0]).name, "model");
        assert_eq!(model.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
