//! Loading: the vendored TSV files and word lists parsed into the [`tables`](super::tables),
//! each key normalised by the tokeniser.

use super::data::{LangSpec, AFINN_SCALE, EMOJI_TSV, LANGS, NEGATORS_TSV};
use super::hasher::FxMap;
use super::tables::{flag, Entry, Lexicon};
use super::text::{is_word_char, strip_diacritics};
use super::tokenize::tokenize;
use super::{Scratch, MAX_NGRAM};
use crate::score::ScoreError;

/// Shortest diacritics-stripped word (in chars) looked up; shorter ones collide with function
/// words (`e`/`é`, `si`/`sí`, `da`/`dá`).
pub(super) const MIN_STRIPPED_CHARS: usize = 3;

pub(super) fn load_error(file: &str, line: usize, reason: impl Into<String>) -> ScoreError {
    ScoreError::Load {
        what: format!("models/lexicon/{file} line {}", line + 1),
        reason: reason.into(),
    }
}

/// Splits `key<TAB>value` lines, skipping empty ones.
pub(super) fn tsv_rows(
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
pub(super) fn words(list: &'static str, bits: u8) -> impl Iterator<Item = (&'static str, u8)> {
    list.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(move |w| (w, bits))
}

/// Parses a finite number.
pub(super) fn parse_value(file: &str, line: usize, value: &str) -> Result<f32, ScoreError> {
    match value.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(load_error(file, line, format!("bad value {value:?}"))),
    }
}

/// `negators.tsv` as (language, negator) pairs, checked against [`LANGS`].
pub(super) fn parse_negators() -> Result<Vec<(&'static str, &'static str)>, ScoreError> {
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
pub(super) fn parse_emoji() -> Result<FxMap<char, f32>, ScoreError> {
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
    pub(super) fn load(
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
    pub(super) fn add(&mut self, key: &str, bits: u8, valence: f32, scratch: &mut Scratch) -> bool {
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
    pub(super) fn build_stripped(&mut self, scratch: &mut Scratch) {
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
}
