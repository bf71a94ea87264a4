//! The transformer sentiment scorer: a multilingual sentence encoder (multilingual-e5-small)
//! and a 3-class head on its mean-pooled, L2-normalised embedding.
//!
//! The encoder is behind [`Encoder`], so the same tokenisation, batching and head serve every
//! backend (ONNX Runtime by default, rust-bert with the `rust-bert` feature). Per batch:
//! 1. each text gets e5's `query: ` prefix and is tokenised (XLM-R sentencepiece, through the
//!    `tokenizers` crate). A text that fits `max_tokens` is one row. A longer one is cut into
//!    windows of `max_tokens` (each with `<s>`, the prefix and `</s>`) that overlap by
//!    `window_overlap` tokens, at most `max_windows` of them; tokens after the last window are
//!    not read. `max_windows = 1` is plain truncation to the first `max_tokens`.
//!    (The text is first cut to [`BYTES_PER_TOKEN`] bytes per token the windows can hold, so
//!    a huge text costs the tokenizer no more than a long one);
//! 2. rows are ordered by token count and cut into sub-batches of at most `max_batch` rows
//!    and at most `max_batch_tokens` padded tokens, each padded only to its own longest row
//!    (less padding, less work, and the encoder's activation memory bounded by the token
//!    budget, not by `max_batch x max_tokens`);
//! 3. the encoder returns one embedding per row; the head turns it into probabilities; a
//!    windowed text's probabilities are the mean of its windows', weighted by each window's
//!    count of text tokens;
//! 4. results go back in input order.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ScoreError, ScoreInput, Scorer};
use crate::mention::{ScorerInfo, Sentiment, SentimentLabel};

/// The committed head (trained by `models/train/train_head.py`), embedded in the binary.
pub const DEFAULT_HEAD: &str = include_str!("../../models/head.json");

/// A padded batch of token ids, row-major `[rows, cols]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    /// Number of texts.
    pub rows: usize,
    /// Padded length.
    pub cols: usize,
    /// Token ids, `rows * cols`, padded with the pad id.
    pub ids: Vec<i64>,
    /// 1 for real tokens, 0 for padding.
    pub mask: Vec<i64>,
}

/// A sentence encoder: token batches in, one embedding (of [`Encoder::dim`]) per row out,
/// mean-pooled over the mask and L2-normalised.
pub trait Encoder: Send {
    /// Embedding size.
    fn dim(&self) -> usize;

    /// Backend name and version, e.g. `onnxruntime-int8`.
    fn backend(&self) -> String;

    /// Embeds a batch; returns `rows * dim` floats, row-major.
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when the backend fails.
    fn embed(&mut self, batch: &TokenBatch) -> Result<Vec<f32>, ScoreError>;
}

/// The 3-class head: `softmax(W x + b)`.
#[derive(Debug, Clone, Deserialize)]
pub struct Head {
    /// Format version of the file.
    pub format: u32,
    /// Class names in row order of `weights`.
    pub labels: Vec<String>,
    /// Embedding size.
    pub dim: usize,
    /// One row of `dim` weights per label.
    pub weights: Vec<Vec<f32>>,
    /// One bias per label.
    pub bias: Vec<f32>,
    /// Prefix the encoder expects before each text (`query: ` for e5).
    pub prefix: String,
    /// Token limit the head was trained with.
    pub max_tokens: usize,
    /// Head version, stamped on scored records.
    pub version: String,
    /// Encoder it was trained on.
    pub encoder: String,
    #[serde(skip)]
    order: [usize; 3],
}

impl Head {
    /// Parses and checks a head file.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when the JSON is malformed or inconsistent.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, ScoreError> {
        let load = |reason: String| ScoreError::Load {
            what: origin.to_string(),
            reason,
        };
        let mut head: Head = serde_json::from_str(text).map_err(|e| load(e.to_string()))?;
        if head.format != 1 {
            return Err(load(format!(
                "format {} is not supported (expected 1)",
                head.format
            )));
        }
        if head.weights.len() != head.labels.len() || head.bias.len() != head.labels.len() {
            return Err(load("weights, bias and labels differ in length".into()));
        }
        if head.weights.iter().any(|w| w.len() != head.dim) {
            return Err(load(format!("a weight row is not {} long", head.dim)));
        }
        let find = |name: &str| {
            head.labels
                .iter()
                .position(|l| l == name)
                .ok_or_else(|| load(format!("label `{name}` missing")))
        };
        head.order = [find("negative")?, find("neutral")?, find("positive")?];
        Ok(head)
    }

    /// Loads a head from a file.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when the file cannot be read or parsed.
    pub fn load(path: &Path) -> Result<Self, ScoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScoreError::Load {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Probabilities `[negative, neutral, positive]` for one embedding.
    pub fn probabilities(&self, embedding: &[f32]) -> [f32; 3] {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| w.iter().zip(embedding).map(|(a, x)| a * x).sum::<f32>() + b)
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        let p = |i: usize| exps[i] / sum;
        [p(self.order[0]), p(self.order[1]), p(self.order[2])]
    }
}

/// The sentiment of class probabilities `[negative, neutral, positive]`: the label is the most
/// likely class, the score `P(positive) - P(negative)` in [-1, 1], the confidence the
/// label's probability.
pub fn sentiment_from_probabilities(p: [f32; 3]) -> Sentiment {
    let (idx, &max) =
        p.iter().enumerate().fold(
            (0, &p[0]),
            |best, cur| if cur.1 > best.1 { cur } else { best },
        );
    let label = match idx {
        0 => SentimentLabel::Negative,
        1 => SentimentLabel::Neutral,
        _ => SentimentLabel::Positive,
    };
    Sentiment {
        label,
        score: (p[2] - p[0]).clamp(-1.0, 1.0),
        confidence: max,
    }
}

/// Where the model files are.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// The ONNX encoder.
    pub onnx: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
}

/// The default model directory: `$BRANDPULSE_MODEL_DIR`, else `$BRANDPULSE_CACHE/model`, else
/// `~/.cache/brandpulse/model` (where `scripts/setup-model.sh` builds it).
pub fn default_model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BRANDPULSE_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(cache) = std::env::var_os("BRANDPULSE_CACHE") {
        return PathBuf::from(cache).join("model");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/brandpulse/model")
}

/// Tokenisation, length-ordered batching and the head, around an [`Encoder`].
pub struct TransformerScorer<E: Encoder> {
    tokenizer: tokenizers::Tokenizer,
    encoder: E,
    head: Head,
    max_batch: usize,
    max_batch_tokens: usize,
    max_tokens: usize,
    max_windows: usize,
    window_overlap: usize,
    /// The prefix's own token ids (`query:`), repeated at the start of every later window;
    /// empty when the prefix does not tokenise as a unit (then later windows go without it).
    prefix_ids: Vec<u32>,
    pad_id: i64,
    info: ScorerInfo,
    /// Embeddings of the described intents (zero-shot complaint margin); `None` until
    /// [`Self::with_intents`].
    intents: Option<IntentPrototypes>,
}

/// Descriptions of a complaint: a post reads as one when its embedding is closer to one of
/// these than to any of [`NOT_COMPLAINT`] (`docs/intent.md`). Written from the intent labels'
/// definitions, not from any evaluation post; the same as in
/// `models/eval/intent_zero_shot.py`.
pub const COMPLAINT: [&str; 2] = [
    "a customer complaining that a product or service failed, broke, was late or charged them wrongly",
    "something is not working and I am angry about it",
];
/// Descriptions of what is not a complaint; see [`COMPLAINT`].
pub const NOT_COMPLAINT: [&str; 4] = [
    "a customer asking a question and wanting an answer",
    "a news headline about a company",
    "a casual remark that mentions a brand",
    "a customer praising a product",
];

/// A text's class probabilities and complaint margin.
type TextScores = ([f32; 3], Option<f32>);

/// The embedded descriptions.
#[derive(Debug, Clone)]
struct IntentPrototypes {
    complaint: Vec<Vec<f32>>,
    other: Vec<Vec<f32>>,
}

impl IntentPrototypes {
    /// Cosine to the nearest complaint description less cosine to the nearest other one
    /// (embeddings are L2-normalised): above 0, the post reads more as a complaint.
    fn margin(&self, e: &[f32]) -> f32 {
        let best = |ps: &[Vec<f32>]| {
            ps.iter()
                .map(|p| p.iter().zip(e).map(|(a, b)| a * b).sum::<f32>())
                .fold(f32::MIN, f32::max)
        };
        best(&self.complaint) - best(&self.other)
    }
}

/// One encoder row of a text: its ids and its weight (text tokens) in the text's mean.
struct Window {
    text: usize,
    ids: Vec<u32>,
    weight: f32,
}

/// Bytes of text kept per token of `max_tokens` before tokenising. No piece of the model's
/// vocabulary is longer than 48 bytes (measured on its tokenizer.json), so the first
/// `max_tokens` tokens come from the kept part and the result is the same as tokenising the
/// whole text, except for texts that open with long runs of characters the normaliser
/// deletes (control characters), which then keep fewer tokens.
pub const BYTES_PER_TOKEN: usize = 64;

/// Padded tokens per encoder call when no budget is set with [`TransformerScorer::with_token_budget`]
/// (benchmarks and tests: 32 texts of 128 tokens, the batches `benches/model_speed.rs`
/// measures). The service always sets `scoring.max_batch_tokens` (2048 by default, for the
/// memory budget).
pub const DEFAULT_BATCH_TOKENS: usize = 4096;

/// Cuts `text` to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Splits ids (ordered by length) into sub-batches of at most `max_rows` rows and at most
/// `budget` padded tokens (a single longer row still gets its own sub-batch).
pub fn token_budget_chunks(
    lengths: &[usize],
    max_rows: usize,
    budget: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < lengths.len() {
        let mut end = start + 1;
        // Lengths ascend, so the padded size of start..=end is (end - start + 1) x len[end].
        while end < lengths.len()
            && end - start < max_rows
            && (end - start + 1) * lengths[end] <= budget
        {
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

impl<E: Encoder> TransformerScorer<E> {
    /// A scorer over `encoder` with the tokenizer at `tokenizer_path`, truncating at
    /// `max_tokens` and running at most `max_batch` texts per encoder call.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when the tokenizer cannot be loaded or does not fit the head.
    pub fn new(
        tokenizer_path: &Path,
        encoder: E,
        head: Head,
        max_tokens: usize,
        max_batch: usize,
    ) -> Result<Self, ScoreError> {
        let load = |reason: String| ScoreError::Load {
            what: tokenizer_path.display().to_string(),
            reason,
        };
        let mut tokenizer = tokenizers::Tokenizer::from_file(tokenizer_path).map_err(|e| {
            load(format!(
                "{e} (build the model with `bash scripts/setup-model.sh`)"
            ))
        })?;
        // Truncation and windows are done here on the full ids (see `windows`).
        tokenizer
            .with_truncation(None)
            .map_err(|e| load(e.to_string()))?;
        tokenizer.with_padding(None);
        let prefix_ids = prefix_ids(&tokenizer, &head.prefix);
        let pad_id = tokenizer.token_to_id("<pad>").map_or(1, i64::from);
        if encoder.dim() != head.dim {
            return Err(load(format!(
                "the encoder's embeddings have {} dimensions, the head expects {}",
                encoder.dim(),
                head.dim
            )));
        }
        let info = ScorerInfo {
            name: format!("e5-small-sentiment/{}", encoder.backend()),
            version: head.version.clone(),
        };
        Ok(Self {
            tokenizer,
            encoder,
            head,
            max_batch: max_batch.max(1),
            max_batch_tokens: DEFAULT_BATCH_TOKENS,
            max_tokens: max_tokens.max(4),
            max_windows: 1,
            window_overlap: 0,
            prefix_ids,
            pad_id,
            info,
            intents: None,
        })
    }

    /// Embeds the described intents ([`COMPLAINT`], [`NOT_COMPLAINT`]) once, so that
    /// [`Scorer::score_batch_with_intent`] also gives each text's complaint margin.
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when the encoder fails on them.
    pub fn with_intents(mut self) -> Result<Self, ScoreError> {
        let complaint = self.embed(&COMPLAINT)?;
        let other = self.embed(&NOT_COMPLAINT)?;
        self.intents = Some(IntentPrototypes { complaint, other });
        Ok(self)
    }

    /// Scores texts longer than `max_tokens` over up to `max_windows` windows overlapping by
    /// `overlap` tokens (1 window: truncation, the default of [`TransformerScorer::new`]).
    pub fn with_windows(mut self, max_windows: usize, overlap: usize) -> Self {
        self.max_windows = max_windows.max(1);
        self.window_overlap = overlap.min(self.content_per_window() / 2);
        self
    }

    /// Text tokens one window holds: `max_tokens` less `<s>`, `</s>` and the prefix.
    fn content_per_window(&self) -> usize {
        self.max_tokens
            .saturating_sub(2 + self.prefix_ids.len())
            .max(1)
    }

    /// The rows of one text: the first `max_tokens` ids, then (for a longer text, up to
    /// `max_windows`) windows of `<s>` + prefix + the next stretch of text + `</s>`.
    fn windows(&self, text: usize, ids: &[u32]) -> Vec<Window> {
        if ids.len() <= self.max_tokens || ids.len() < 2 {
            let weight = ids.len().saturating_sub(2 + self.prefix_ids.len()).max(1) as f32;
            return vec![Window {
                text,
                ids: ids.to_vec(),
                weight,
            }];
        }
        let (bos, eos) = (ids[0], ids[ids.len() - 1]);
        let body = &ids[1..ids.len() - 1];
        // The first window equals plain truncation; later ones repeat the prefix.
        let prefix: &[u32] = if body.starts_with(&self.prefix_ids) {
            &self.prefix_ids
        } else {
            &[]
        };
        let content = &body[prefix.len()..];
        let per = self.max_tokens.saturating_sub(2 + prefix.len()).max(1);
        let stride = per.saturating_sub(self.window_overlap).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        while out.len() < self.max_windows && start < content.len() {
            let end = (start + per).min(content.len());
            let mut row = Vec::with_capacity(self.max_tokens);
            row.push(bos);
            row.extend_from_slice(prefix);
            row.extend_from_slice(&content[start..end]);
            row.push(eos);
            out.push(Window {
                text,
                ids: row,
                weight: (end - start) as f32,
            });
            if end == content.len() {
                break;
            }
            start += stride;
        }
        out
    }

    /// Caps the padded tokens of one encoder call (at least one text per call).
    pub fn with_token_budget(mut self, max_batch_tokens: usize) -> Self {
        self.max_batch_tokens = max_batch_tokens.max(1);
        self
    }

    /// Token ids of one text as the model sees it (prefix, special tokens, truncation).
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when the tokenizer fails.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, ScoreError> {
        let ids = self.full_ids(text, 1)?;
        Ok(self.windows(0, &ids).swap_remove(0).ids)
    }

    /// All ids of a text (prefix and special tokens included) that `windows` windows can use.
    fn full_ids(&self, text: &str, windows: usize) -> Result<Vec<u32>, ScoreError> {
        let span = self.max_tokens + (windows - 1) * self.max_tokens;
        let text = cut(text, span.saturating_mul(BYTES_PER_TOKEN));
        let input = format!("{}{}", self.head.prefix, text);
        self.tokenizer
            .encode(input, true)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| ScoreError::Batch {
                size: 1,
                reason: format!("tokenizing: {e}"),
            })
    }

    /// Embeddings of `texts` (normalised) over their first `max_tokens` tokens only, in input
    /// order. Exposed for tests and evaluation.
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when tokenisation or the encoder fails.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ScoreError> {
        let mut ids: Vec<Vec<u32>> = Vec::with_capacity(texts.len());
        for t in texts {
            ids.push(self.token_ids(t)?);
        }
        self.embed_rows(&ids)
    }

    /// Embeds token rows, in length-ordered sub-batches within the budgets; input order out.
    fn embed_rows(&mut self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, ScoreError> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let dim = self.encoder.dim();
        let mut out = vec![Vec::new(); ids.len()];
        let lengths: Vec<usize> = order.iter().map(|&i| ids[i].len()).collect();
        for range in token_budget_chunks(&lengths, self.max_batch, self.max_batch_tokens) {
            let chunk = &order[range];
            let batch = pad(chunk.iter().map(|&i| ids[i].as_slice()), self.pad_id);
            let flat = self.encoder.embed(&batch)?;
            if flat.len() != chunk.len() * dim {
                return Err(ScoreError::Batch {
                    size: chunk.len(),
                    reason: format!("encoder returned {} floats", flat.len()),
                });
            }
            for (row, &i) in chunk.iter().enumerate() {
                out[i] = flat[row * dim..(row + 1) * dim].to_vec();
            }
        }
        Ok(out)
    }

    /// Class probabilities `[negative, neutral, positive]` of `texts`, in input order.
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when the encoder fails.
    pub fn probabilities(&mut self, texts: &[&str]) -> Result<Vec<[f32; 3]>, ScoreError> {
        Ok(self.scores(texts)?.into_iter().map(|(p, _)| p).collect())
    }

    /// Class probabilities of `texts` and, with [`Self::with_intents`], their complaint
    /// margins; each the window-weighted mean over the text's windows.
    fn scores(&mut self, texts: &[&str]) -> Result<Vec<TextScores>, ScoreError> {
        let mut windows = Vec::with_capacity(texts.len());
        for (i, t) in texts.iter().enumerate() {
            let ids = self.full_ids(t, self.max_windows)?;
            windows.extend(self.windows(i, &ids));
        }
        let rows: Vec<Vec<u32>> = windows
            .iter_mut()
            .map(|w| std::mem::take(&mut w.ids))
            .collect();
        let embeddings = self.embed_rows(&rows)?;
        let mut sums = vec![([0.0_f32; 3], 0.0_f32, 0.0_f32); texts.len()];
        for (w, e) in windows.iter().zip(&embeddings) {
            let p = self.head.probabilities(e);
            let (acc, margin, total) = &mut sums[w.text];
            for (a, x) in acc.iter_mut().zip(p) {
                *a += w.weight * x;
            }
            if let Some(intents) = &self.intents {
                *margin += w.weight * intents.margin(e);
            }
            *total += w.weight;
        }
        let intents = self.intents.is_some();
        Ok(sums
            .into_iter()
            .map(|(acc, margin, total)| {
                let total = total.max(f32::MIN_POSITIVE);
                (acc.map(|a| a / total), intents.then_some(margin / total))
            })
            .collect())
    }
}

/// The ids of the head's prefix as it starts every text (`query:` of `query: `), found by
/// tokenising the prefix before a word; empty when that is not a clean prefix of the ids.
fn prefix_ids(tokenizer: &tokenizers::Tokenizer, prefix: &str) -> Vec<u32> {
    let ids = |s: &str| {
        tokenizer
            .encode(s, false)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default()
    };
    let with_word = ids(&format!("{prefix}x"));
    let word = ids("x");
    if prefix.is_empty() || !with_word.ends_with(&word) {
        return Vec::new();
    }
    with_word[..with_word.len() - word.len()].to_vec()
}

/// Pads token id rows to the longest one.
pub fn pad<'a>(rows: impl Iterator<Item = &'a [u32]> + Clone, pad_id: i64) -> TokenBatch {
    let cols = rows.clone().map(<[u32]>::len).max().unwrap_or(0);
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    let mut n = 0;
    for row in rows {
        n += 1;
        ids.extend(row.iter().map(|&t| i64::from(t)));
        ids.extend(std::iter::repeat_n(pad_id, cols - row.len()));
        mask.extend(std::iter::repeat_n(1, row.len()));
        mask.extend(std::iter::repeat_n(0, cols - row.len()));
    }
    TokenBatch {
        rows: n,
        cols,
        ids,
        mask,
    }
}

impl<E: Encoder> Scorer for TransformerScorer<E> {
    fn info(&self) -> ScorerInfo {
        self.info.clone()
    }

    fn score_batch(&mut self, inputs: &[ScoreInput<'_>]) -> Result<Vec<Sentiment>, ScoreError> {
        let texts: Vec<&str> = inputs.iter().map(|i| i.text).collect();
        Ok(self
            .probabilities(&texts)?
            .into_iter()
            .map(sentiment_from_probabilities)
            .collect())
    }

    fn score_batch_with_intent(
        &mut self,
        inputs: &[ScoreInput<'_>],
    ) -> Result<Vec<(Sentiment, Option<f32>)>, ScoreError> {
        let texts: Vec<&str> = inputs.iter().map(|i| i.text).collect();
        Ok(self
            .scores(&texts)?
            .into_iter()
            .map(|(p, margin)| (sentiment_from_probabilities(p), margin))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_head_loads() {
        let head = Head::from_json(DEFAULT_HEAD, "models/head.json").unwrap();
        assert_eq!(head.dim, 384);
        assert_eq!(head.prefix, "query: ");
        let p = head.probabilities(&vec![0.0; 384]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn bad_heads_are_load_errors() {
        let bad = [
            "{",
            r#"{"format": 2, "labels": [], "dim": 1, "weights": [], "bias": [], "prefix": "", "max_tokens": 1, "version": "", "encoder": ""}"#,
            r#"{"format": 1, "labels": ["negative","neutral","positive"], "dim": 2, "weights": [[1,2],[1,2],[1]], "bias": [0,0,0], "prefix": "", "max_tokens": 1, "version": "", "encoder": ""}"#,
            r#"{"format": 1, "labels": ["neg","neutral","positive"], "dim": 1, "weights": [[1],[1],[1]], "bias": [0,0,0], "prefix": "", "max_tokens": 1, "version": "", "encoder": ""}"#,
        ];
        for b in bad {
            assert!(
                matches!(Head::from_json(b, "t"), Err(ScoreError::Load { .. })),
                "{b}"
            );
        }
    }

    #[test]
    fn probabilities_to_sentiment() {
        let s = sentiment_from_probabilities([0.1, 0.2, 0.7]);
        assert_eq!(s.label, SentimentLabel::Positive);
        assert!((s.score - 0.6).abs() < 1e-6);
        assert!((s.confidence - 0.7).abs() < 1e-6);
        assert_eq!(
            sentiment_from_probabilities([0.2, 0.5, 0.3]).label,
            SentimentLabel::Neutral
        );
        assert_eq!(
            sentiment_from_probabilities([0.8, 0.1, 0.1]).label,
            SentimentLabel::Negative
        );
    }

    #[test]
    fn sub_batches_keep_to_the_token_budget() {
        let lengths = [3, 5, 5, 8, 100, 512, 512];
        let chunks = token_budget_chunks(&lengths, 4, 24);
        for r in &chunks {
            let padded = r.len() * lengths[r.end - 1];
            assert!(r.len() <= 4);
            assert!(padded <= 24 || r.len() == 1, "{r:?}: {padded}");
        }
        let covered: usize = chunks.iter().map(|r| r.len()).sum();
        assert_eq!(covered, lengths.len());
        assert_eq!(chunks[0], 0..3);
        // 1024 texts of 512 tokens under a 4096-token budget: 8 per call.
        let long = vec![512; 1024];
        assert!(token_budget_chunks(&long, 1024, 4096)
            .iter()
            .all(|r| r.len() == 8));
    }

    #[test]
    fn cutting_keeps_char_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("abc", 10), "abc");
    }

    #[test]
    fn padding() {
        let rows: Vec<Vec<u32>> = vec![vec![0, 5, 2], vec![0, 2]];
        let b = pad(rows.iter().map(Vec::as_slice), 1);
        assert_eq!((b.rows, b.cols), (2, 3));
        assert_eq!(b.ids, vec![0, 5, 2, 0, 2, 1]);
        assert_eq!(b.mask, vec![1, 1, 1, 1, 1, 0]);
    }
}
