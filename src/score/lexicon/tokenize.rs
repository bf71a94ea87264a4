//! The lexicon's tokeniser (step 1 of the [algorithm](super)): words, emoji, emoticons and
//! clause breaks of a text, written into [`Scratch`]. Not the rule tokenizer of the matcher:
//! lexicon keys are normalised with this one so that they match what it produces.

use unicode_normalization::char::is_combining_mark;

use super::tables::Symbols;
use super::text::{ends_clause, is_emoji_modifier, is_word_char};
use super::Scratch;

/// One token of a text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    /// Byte range of the lowercased word in [`Scratch::lower`] (empty for symbols).
    pub(super) start: usize,
    pub(super) end: usize,
    /// The valence of an emoji or emoticon; `None` for words.
    pub(super) symbol: Option<f32>,
    /// A word whose cased letters are all upper case.
    pub(super) caps: bool,
    /// Nothing but whitespace or hyphens since the previous token: may continue a phrase.
    pub(super) joined: bool,
    /// First token of a clause.
    pub(super) clause_start: bool,
}

/// Splits `text` into tokens (see the module docs), filling `s`. With `symbols` `None` (when
/// normalising lexicon keys) emoji and emoticons are not recognised.
pub(super) fn tokenize(text: &str, symbols: Option<&Symbols>, s: &mut Scratch) {
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
pub(super) fn push_symbol(s: &mut Scratch, valence: f32, clause_start: bool) {
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
pub(super) fn end_word(s: &mut Scratch, has_upper: bool, has_lower: bool) {
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
