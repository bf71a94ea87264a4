//! Character classes and normalisation helpers shared by the tokeniser, the loader and the
//! lookups.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Whether `text` is certainly in NFC already (the usual case; ASCII is checked fastest).
pub(super) fn is_nfc(text: &str) -> bool {
    text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes
}

/// Letters, digits and combining marks make words.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Characters that only modify the emoji before them (variation selectors, zero-width joiner,
/// skin tones, keycap): skipped without breaking anything.
pub(super) fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}'
    )
}

/// Punctuation that ends a clause.
pub(super) fn ends_clause(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | ';' | ':' | '…' | '。' | '！' | '？' | '；' | '\n' | '\r'
    )
}

/// Writes `word` without combining marks (after NFD) into `out`; `đ` becomes `d`.
pub(super) fn strip_diacritics(word: &str, out: &mut String) {
    out.clear();
    for c in word.nfd() {
        match c {
            'đ' => out.push('d'),
            c if is_combining_mark(c) => {}
            c => out.push(c),
        }
    }
}
