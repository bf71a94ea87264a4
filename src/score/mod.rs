//! Stage 3: sentiment scoring.
//!
//! A [`Scorer`] takes batches of texts and returns one [`Sentiment`] per text. Scoring is CPU
//! work, so [`stage::spawn`] drives a scorer on a dedicated OS thread, never on the async
//! runtime's workers; the async side talks to it over bounded channels.
//!
//! Implementations:
//! - [`transformer::TransformerScorer`]: multilingual-e5-small with a 3-class head, on ONNX
//!   Runtime ([`onnx`]) or rust-bert (feature `rust-bert`). The default.
//! - [`lexicon::LexiconScorer`]: multilingual lexicon scorer (VADER for English, AFINN-derived
//!   lists for other languages, emoji scores). Fast baseline and overload fallback.

#[cfg(feature = "rust-bert")]
pub mod bert;
pub mod lexicon;
pub mod onnx;
pub mod spans;
pub mod stage;
pub mod transformer;

use crate::config::{Backend, ScorerKind, ScoringConfig};
use crate::mention::{ScorerInfo, Sentiment};

/// One text to score.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    /// The text.
    pub text: &'a str,
    /// ISO 639-1 language code, if known (given by the provider or detected).
    pub lang: Option<&'a str>,
}

/// Errors of the scoring stage.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The scorer's data could not be loaded.
    #[error("loading scorer data {what}: {reason}")]
    Load {
        /// What was being loaded.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// The scorer failed on a batch.
    #[error("scoring a batch of {size}: {reason}")]
    Batch {
        /// Batch size.
        size: usize,
        /// Why it failed.
        reason: String,
    },
    /// The scoring thread is gone.
    #[error("the scoring thread stopped")]
    ThreadGone,
}

/// A sentiment model. Implementations are used from one thread at a time.
pub trait Scorer: Send {
    /// Name and version stamped on every scored record.
    fn info(&self) -> ScorerInfo;

    /// Scores a batch; the result has one entry per input, in order.
    ///
    /// # Errors
    /// [`ScoreError::Batch`] when the model fails on this batch.
    fn score_batch(&mut self, inputs: &[ScoreInput<'_>]) -> Result<Vec<Sentiment>, ScoreError>;

    /// [`Self::score_batch`], with each text's complaint margin where the scorer has one (the
    /// transformer: cosine to described complaints less cosine to other intents; the intent
    /// decision uses it, `docs/intent.md`). `None` from scorers without an encoder.
    ///
    /// # Errors
    /// As [`Self::score_batch`].
    fn score_batch_with_intent(
        &mut self,
        inputs: &[ScoreInput<'_>],
    ) -> Result<Vec<(Sentiment, Option<f32>)>, ScoreError> {
        Ok(self
            .score_batch(inputs)?
            .into_iter()
            .map(|s| (s, None))
            .collect())
    }
}

/// Builds the scorer `kind` as `config` describes.
///
/// # Errors
/// [`ScoreError::Load`] when its data or model cannot be loaded (the message says how to
/// build the model files).
pub fn build(kind: ScorerKind, config: &ScoringConfig) -> Result<Box<dyn Scorer>, ScoreError> {
    match kind {
        ScorerKind::Lexicon => Ok(Box::new(lexicon::LexiconScorer::new()?)),
        ScorerKind::Transformer => {
            let dir = config
                .model_dir
                .clone()
                .unwrap_or_else(transformer::default_model_dir);
            let head = match &config.head {
                Some(path) => transformer::Head::load(path)?,
                None => transformer::Head::from_json(transformer::DEFAULT_HEAD, "built-in head")?,
            };
            let tokenizer = dir.join("tokenizer.json");
            match config.backend {
                Backend::Onnx => {
                    let encoder = onnx::OnnxEncoder::load(&dir, config.precision, config.threads)?;
                    Ok(Box::new(
                        transformer::TransformerScorer::new(
                            &tokenizer,
                            encoder,
                            head,
                            config.max_tokens,
                            config.max_batch,
                        )?
                        .with_token_budget(config.max_batch_tokens)
                        .with_windows(config.max_windows, config.window_overlap)
                        .with_intents()?,
                    ))
                }
                #[cfg(feature = "rust-bert")]
                Backend::RustBert => {
                    let encoder = bert::RustBertEncoder::load(&dir, config.threads)?;
                    Ok(Box::new(
                        transformer::TransformerScorer::new(
                            &tokenizer,
                            encoder,
                            head,
                            config.max_tokens,
                            config.max_batch,
                        )?
                        .with_token_budget(config.max_batch_tokens)
                        .with_windows(config.max_windows, config.window_overlap)
                        .with_intents()?,
                    ))
                }
                #[cfg(not(feature = "rust-bert"))]
                Backend::RustBert => Err(ScoreError::Load {
                    what: "rust-bert backend".into(),
                    reason:
                        "this build has no rust-bert backend (build with `--features rust-bert`)"
                            .into(),
                }),
            }
        }
    }
}
