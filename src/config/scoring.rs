//! `[scoring]`: the scorer, the transformer's engine and weights, windows, batches, threads,
//! the lexicon fallback and the sentiment cache.

use serde::Deserialize;

use super::helpers::{in_range, invalid, with_hint};
use super::pipeline::PipelineConfig;
use super::ConfigError;

/// Which scorer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScorerKind {
    /// The local transformer (multilingual-e5-small + sentiment head).
    #[default]
    Transformer,
    /// The multilingual lexicon scorer (fast baseline, overload fallback).
    Lexicon,
}

/// Which engine runs the transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// ONNX Runtime.
    #[default]
    Onnx,
    /// rust-bert over libtorch (needs the `rust-bert` cargo feature).
    RustBert,
}

/// Which weights to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// int8 dynamic quantization (default): 1.3-1.7x the fp32 speed here, same label as fp32
    /// on 99% of texts (see models/README.md).
    #[default]
    Int8,
    /// The dequantized fp32 weights.
    Fp32,
}

impl Precision {
    /// `int8` or `fp32`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Int8 => "int8",
            Precision::Fp32 => "fp32",
        }
    }
}

/// Scoring options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// The scorer.
    #[serde(default)]
    pub scorer: ScorerKind,
    /// The transformer's engine.
    #[serde(default)]
    pub backend: Backend,
    /// ONNX weights: `int8` (default) or `fp32`.
    #[serde(default)]
    pub precision: Precision,
    /// Directory of the model files (default: `$BRANDPULSE_MODEL_DIR`, else
    /// `~/.cache/brandpulse/model`, where `scripts/setup-model.sh` builds them).
    #[serde(default)]
    pub model_dir: Option<std::path::PathBuf>,
    /// A sentiment head file to use instead of the one built in (`models/head.json`).
    #[serde(default)]
    pub head: Option<std::path::PathBuf>,
    /// Tokens per model row: a text up to this long is one row; a longer one is read in
    /// windows of this size.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Most windows of `max_tokens` a long text is read in (1: truncation); their
    /// probabilities are averaged, weighted by their text tokens.
    #[serde(default = "default_max_windows")]
    pub max_windows: usize,
    /// Tokens shared by consecutive windows.
    #[serde(default = "default_window_overlap")]
    pub window_overlap: usize,
    /// Most texts per model call (texts are sorted by length and padded per call).
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Most padded tokens per model call: bounds the encoder's activation memory whatever
    /// `max_batch` and `max_tokens` are (about 0.2 MB per token, see docs/operations.md).
    #[serde(default = "default_max_batch_tokens")]
    pub max_batch_tokens: usize,
    /// Inference threads of the model.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// When more than this many batches wait for the model, they are scored by the lexicon
    /// scorer instead (degraded mode, counted and marked on each record). 0 disables it.
    #[serde(default = "default_fallback_backlog")]
    pub fallback_backlog: usize,
    /// Entries in the sentiment cache (keyed by normalised text, so copies and reposts are
    /// scored once).
    #[serde(default = "default_cache")]
    pub cache_entries: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            scorer: ScorerKind::default(),
            backend: Backend::default(),
            precision: Default::default(),
            model_dir: None,
            head: None,
            max_tokens: default_max_tokens(),
            max_windows: default_max_windows(),
            window_overlap: default_window_overlap(),
            max_batch: default_max_batch(),
            max_batch_tokens: default_max_batch_tokens(),
            threads: default_threads(),
            fallback_backlog: default_fallback_backlog(),
            cache_entries: default_cache(),
        }
    }
}

fn default_max_tokens() -> usize {
    128
}
fn default_max_windows() -> usize {
    4
}
fn default_window_overlap() -> usize {
    32
}
fn default_max_batch() -> usize {
    32
}
fn default_max_batch_tokens() -> usize {
    2048
}
fn default_threads() -> usize {
    1
}
fn default_fallback_backlog() -> usize {
    4
}

fn default_cache() -> usize {
    100_000
}

impl ScoringConfig {
    /// Checks `[scoring]`; the fallback's backlog is compared with `pipeline`'s channels.
    pub(super) fn validate(&self, pipeline: &PipelineConfig) -> Result<(), ConfigError> {
        let sc = self;
        in_range("scoring.max_tokens", sc.max_tokens, 8, 512)
            .map_err(|e| with_hint(e, " (512 is the model's limit)"))?;
        in_range("scoring.max_windows", sc.max_windows, 1, 16)?;
        in_range(
            "scoring.window_overlap",
            sc.window_overlap,
            0,
            sc.max_tokens / 2,
        )
        .map_err(|e| with_hint(e, " (at most half of scoring.max_tokens)"))?;
        in_range("scoring.max_batch", sc.max_batch, 1, 1024)?;
        in_range("scoring.max_batch_tokens", sc.max_batch_tokens, 512, 65_536)?;
        in_range("scoring.threads", sc.threads, 1, 256)?;
        in_range("scoring.cache_entries", sc.cache_entries, 0, 10_000_000)?;
        if sc.scorer == ScorerKind::Transformer
            && sc.fallback_backlog != 0
            && sc.fallback_backlog >= pipeline.channel_capacity
        {
            return Err(invalid(
                "scoring.fallback_backlog",
                format!(
                    "must be below pipeline.channel_capacity ({}), or 0 to disable the fallback",
                    pipeline.channel_capacity
                ),
            ));
        }
        Ok(())
    }
}
