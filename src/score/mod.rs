//! Stage 3: sentiment scoring.
//!
//! A [`Scorer`] takes batches of texts and returns one [`Sentiment`] per text. Scoring is CPU
//! work, so [`run`](self::run) drives a scorer on a dedicated OS thread, never on the async
//! runtime's workers; the async side talks to it over bounded channels.
//!
//! Implementations:
//! - [`lexicon::LexiconScorer`]: multilingual lexicon scorer (VADER for English, AFINN-derived
//!   lists for other languages, emoji scores). Fast baseline and overload fallback.

pub mod lang;
pub mod lexicon;
pub mod stage;

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
}
