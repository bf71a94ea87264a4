//! The lookup tables: entries and their flags, one [`Lexicon`] per language and the
//! [`Symbols`] (emoji, emoticons) shared by all; lookups of single words with their fallbacks
//! and of emoticons.

use super::hasher::FxMap;
use super::text::strip_diacritics;

/// Unit and entry flags.
pub(super) mod flag {
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

/// A lexicon entry: a word or phrase, normalised as the tokeniser does.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Entry {
    /// VADER-scale valence, when `flags` has [`flag::VALENCE`].
    pub(super) valence: f32,
    /// [`flag`] bits.
    pub(super) flags: u8,
    /// Longest phrase (in words) starting with this word, 1 when none; a word that only starts
    /// phrases has an entry with no flags.
    pub(super) longest: u8,
}

/// The tables of one language.
pub(super) struct Lexicon {
    /// Words and phrases (phrases as words joined by single spaces).
    pub(super) entries: FxMap<Box<str>, Entry>,
    /// Single words by their diacritics-stripped form, when stripping changes them; empty for
    /// languages without the fallback.
    pub(super) stripped: FxMap<Box<str>, Entry>,
    /// See [`LangSpec::english_rules`].
    pub(super) english_rules: bool,
}

/// Tables shared by all languages.
pub(super) struct Symbols {
    /// Emoji (single code points) to VADER-scale valence.
    pub(super) emoji: FxMap<char, f32>,
    /// Emoticons (`:)`, `</3`) to valence, matched against whole whitespace-delimited chunks.
    pub(super) emoticons: FxMap<Box<str>, f32>,
    /// Longest emoticon in bytes: longer chunks are not looked up.
    pub(super) emoticon_max_len: usize,
}

impl Lexicon {
    /// The entry of a single word, if it has flags.
    pub(super) fn word(&self, word: &str) -> Option<Entry> {
        self.entries.get(word).filter(|e| e.flags != 0).copied()
    }

    /// Looks up a single word that has no entry of its own: without a French/Italian elision,
    /// then without diacritics. `stripped` is a buffer.
    pub(super) fn fallback(&self, word: &str, stripped: &mut String) -> Option<Entry> {
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

impl Symbols {
    /// The valence of `chunk` as an emoticon, if it is one (exactly, or followed by `.,!?`).
    pub(super) fn emoticon(&self, chunk: &str) -> Option<f32> {
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
