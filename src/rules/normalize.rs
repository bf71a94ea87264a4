//! Text normalisation shared by rule compilation and matching, so both sides agree.
//!
//! - Case: Unicode lowercase, plus `ß` -> `ss` and final sigma -> sigma (a practical subset
//!   of full case folding).
//! - Diacritics: NFKD, then combining marks are dropped (`Nestlé` = `Nestle`, `Việt` = `Viet`),
//!   plus the letters NFKD does not decompose: `đ` -> `d`, `ł` -> `l`, `ø` -> `o`.
//! - Tokens ([`for_each_token`], the one tokenizer): runs of letters and digits (Latin,
//!   Cyrillic, Vietnamese, ... any Unicode alphabetic), split at Unicode word boundaries, so
//!   Chinese, Japanese and Thai text around a brand does not swallow it. `'s` / `’s` possessives are dropped (`Acme's` -> `acme`); other apostrophes
//!   split words (`l'Acme` -> `l acme`). `#tag` and `@handle` are kept as their own tokens
//!   (`#tag`, `@handle`); URLs are skipped.
//! - The token stream is written as `" tok tok #tag @handle "`: every token is surrounded by
//!   single spaces, so a pattern `" acme rocket "` matches whole words only.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

/// Appends the folded form of `c` (lowercase, no diacritics) to `out`.
#[inline]
fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        'ß' | 'ẞ' => out.push_str("ss"),
        'ς' => out.push('σ'),
        'đ' | 'Đ' => out.push('d'),
        'ł' | 'Ł' => out.push('l'),
        'ø' | 'Ø' => out.push('o'),
        _ => decompose_compatible(c, |d| {
            if !is_combining_mark(d) {
                for l in d.to_lowercase() {
                    if l == 'ς' {
                        out.push('σ');
                    } else {
                        out.push(l);
                    }
                }
            }
        }),
    }
}

#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && is_combining_mark(c))
}

#[inline]
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word: letters, digits and combining marks.
    Word,
    /// `#tag` (also `＃tag`).
    Hashtag,
    /// `@handle`.
    Handle,
}

/// The one tokenizer of the rule language: the matcher ([`token_stream`]), the reference
/// evaluator (`query::unfolded_tokens`) and configured terms ([`normalize_term`]) all split
/// text here, so they cannot disagree. Calls `f(kind, raw)` for each token of `text`, in
/// order; `raw` is the token's slice of `text` (for hashtags and handles without the marker,
/// underscores included: callers drop them).
///
/// - URLs (`http://`, `https://`, `www.` at a token start) are skipped up to the next
///   whitespace.
/// - `#` or `@` at a token start, followed by a word character, starts a hashtag or handle
///   that runs over word characters and underscores.
/// - Words are runs of letters, digits and combining marks, split at Unicode word
///   boundaries (UAX #29, `unicode-segmentation`): Latin, Cyrillic or Hangul letters join,
///   but each Chinese character, Hiragana character and Thai letter is a word of its own and
///   a Katakana run is one, so `我喜欢Acme的产品`, `Acmeの新しい` and `รองเท้าAcmeดีมาก` all
///   contain the word `Acme`.
/// - Apostrophes: a possessive `'s` / `’s` ends the word and is dropped (`Acme's` ->
///   `Acme`); any other apostrophe splits (`l'Acme` -> `l`, `Acme`).
pub fn for_each_token(text: &str, mut f: impl FnMut(TokenKind, &str)) {
    use unicode_segmentation::UnicodeSegmentation;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |p| p.0);
    let mut i = 0;
    while i < n {
        let (pos, c) = chars[i];
        // URLs: skip to the next whitespace.
        if (c == 'h' || c == 'H' || c == 'w' || c == 'W') && at_token_start(&chars, i) {
            let rest = &text[pos..];
            if starts_with_ignore_case(rest, "http://")
                || starts_with_ignore_case(rest, "https://")
                || starts_with_ignore_case(rest, "www.")
            {
                while i < n && !chars[i].1.is_whitespace() {
                    i += 1;
                }
                continue;
            }
        }
        if (c == '#' || c == '@' || c == '＃') && at_token_start(&chars, i) {
            if i + 1 < n && is_word_char(chars[i + 1].1) {
                let kind = if c == '@' {
                    TokenKind::Handle
                } else {
                    TokenKind::Hashtag
                };
                i += 1;
                let start = i;
                // Hashtags and handles run over letters, digits and underscores.
                while i < n && (is_word_char(chars[i].1) || chars[i].1 == '_') {
                    i += 1;
                }
                f(kind, &text[byte_at(start)..byte_at(i)]);
                continue;
            }
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let start = i;
            let mut end;
            loop {
                end = i;
                if i >= n {
                    break;
                }
                let c = chars[i].1;
                if is_word_char(c) {
                    i += 1;
                } else if is_apostrophe(c) && i + 1 < n && is_word_char(chars[i + 1].1) {
                    // Possessive 's ends the word; any other apostrophe splits it.
                    let s = chars[i + 1].1;
                    let after = chars.get(i + 2).map(|p| p.1);
                    if (s == 's' || s == 'S') && after.is_none_or(|a| !is_word_char(a)) {
                        i += 2;
                    } else {
                        i += 1;
                    }
                    break;
                } else {
                    break;
                }
            }
            for word in text[byte_at(start)..byte_at(end)].split_word_bounds() {
                f(TokenKind::Word, word);
            }
            continue;
        }
        i += 1;
    }
}

/// Writes the token stream of `text` into `out` (cleared first): `" tok tok #tag @handle "`,
/// every token of [`for_each_token`] folded (lowercase, no diacritics, no underscores).
pub fn token_stream(text: &str, out: &mut String) {
    out.clear();
    out.push(' ');
    for_each_token(text, |kind, raw| {
        match kind {
            TokenKind::Word => {}
            TokenKind::Hashtag => out.push('#'),
            TokenKind::Handle => out.push('@'),
        }
        for c in raw.chars().filter(|&c| c != '_') {
            push_folded(c, out);
        }
        out.push(' ');
    });
}

fn at_token_start(chars: &[(usize, char)], i: usize) -> bool {
    i == 0 || !is_word_char(chars[i - 1].1)
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Normalises a configured term to its words joined by single spaces (no padding):
/// `"Nestlé  Café"` -> `"nestle cafe"`. Leading `#` / `@` markers are not words and vanish;
/// callers strip them first when they mean hashtags or handles.
pub fn normalize_term(term: &str) -> String {
    let mut stream = String::new();
    token_stream(term, &mut stream);
    stream
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_start_matches(['#', '@']))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// Unfolded tokens, for `=` terms

/// Like [`normalize_term`] but lowercase only: diacritics are kept (NFC).
pub(crate) fn normalize_term_unfolded(term: &str) -> String {
    unfolded_tokens(term)
        .iter()
        .map(|t| t.trim_start_matches(['#', '@']))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tokens of [`token_stream`] with case folded but diacritics kept.
///
/// Both come from the one tokenizer, [`for_each_token`], so its tokens line up
/// with [`Doc::tokens`](super::query::Doc::tokens). They could only differ in count for the rare
/// letters whose compatibility decomposition contains a space (Arabic ligatures such as
/// U+FDFA), which affects only `NEAR` over `=` terms.
pub(crate) fn unfolded_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut tok = String::new();
    for_each_token(text, |kind, raw| {
        tok.clear();
        match kind {
            TokenKind::Word => {}
            TokenKind::Hashtag => tok.push('#'),
            TokenKind::Handle => tok.push('@'),
        }
        for c in raw.chars().filter(|&c| c != '_') {
            push_lower(c, &mut tok);
        }
        out.push(tok.nfc().collect());
    });
    out
}

/// Lowercases `c` (final sigma as sigma, `ß` kept), without dropping diacritics.
fn push_lower(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        out.push(if l == 'ς' { 'σ' } else { l });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> String {
        let mut s = String::new();
        token_stream(text, &mut s);
        s
    }

    #[test]
    fn token_streams() {
        let cases = [
            ("Hello, World!", " hello world "),
            ("Nestlé CAFÉ", " nestle cafe "),
            ("Acme's new rocket", " acme new rocket "),
            ("ACME’S", " acme "),
            ("l'Acme", " l acme "),
            ("#AcmeFail @Acme_Support", " #acmefail @acmesupport "),
            ("see https://acme.com/x?y=1 now", " see now "),
            ("www.acme.com rocks", " rocks "),
            ("Straße", " strasse "),
            ("Việt Nam đẹp", " viet nam dep "),
            ("ПРИВЕТ мир", " привет мир "),
            ("email me@acme.com", " email me acme com "),
            ("", " "),
            ("!!! ??", " "),
            ("a#b", " a b "),
            // Unicode word boundaries: a brand next to Chinese, Japanese or Thai text.
            ("我喜欢Acme的产品", " 我 喜 欢 acme 的 产 品 "),
            ("Acmeの新しいスニーカー", " acme の 新 し い スニーカー "),
            // (Thai vowel and tone marks are combining marks: folded away like diacritics.)
            ("รองเท้าAcmeดีมาก", " ร อ ง เ ท า acme ด ม า ก "),
            ("索尼", " 索 尼 "),
            // Letters and digits still join; Hangul joins like Latin.
            ("Acme3000 x2", " acme3000 x2 "),
        ];
        for (text, want) in cases {
            assert_eq!(ts(text), want, "text: {text:?}");
        }
        // Hangul letters join Latin ones (UAX #29), so a particle stays on the brand; the
        // syllables are folded to their jamo (NFKD), hence the count rather than the text.
        assert_eq!(ts("Acme의 제품").split_whitespace().count(), 2);
    }

    #[test]
    fn terms() {
        assert_eq!(normalize_term("  Nestlé   Café "), "nestle cafe");
        assert_eq!(normalize_term("#Acme"), "acme");
        assert_eq!(normalize_term("!!"), "");
        assert_eq!(normalize_term("索尼"), "索 尼");
    }
}
