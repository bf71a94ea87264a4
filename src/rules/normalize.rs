//! Text normalisation shared by rule compilation and matching, so both sides agree.
//!
//! - Case: Unicode lowercase, plus `ß` -> `ss` and final sigma -> sigma (a practical subset
//!   of full case folding).
//! - Diacritics: NFKD, then combining marks are dropped (`Nestlé` = `Nestle`, `Việt` = `Viet`),
//!   plus the letters NFKD does not decompose: `đ` -> `d`, `ł` -> `l`, `ø` -> `o`.
//! - Tokens: runs of letters and digits (Latin, Cyrillic, Vietnamese, ... any Unicode
//!   alphabetic). `'s` / `’s` possessives are dropped (`Acme's` -> `acme`); other apostrophes
//!   split words (`l'Acme` -> `l acme`). `#tag` and `@handle` are kept as their own tokens
//!   (`#tag`, `@handle`); URLs are skipped.
//! - The token stream is written as `" tok tok #tag @handle "`: every token is surrounded by
//!   single spaces, so a pattern `" acme rocket "` matches whole words only.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

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
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && is_combining_mark(c))
}

#[inline]
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// Writes the token stream of `text` into `out` (cleared first): `" tok tok #tag @handle "`.
pub fn token_stream(text: &str, out: &mut String) {
    out.clear();
    out.push(' ');
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
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
                out.push(if c == '@' { '@' } else { '#' });
                i += 1;
                // Hashtags and handles run over letters, digits and underscores.
                while i < n && (is_word_char(chars[i].1) || chars[i].1 == '_') {
                    if chars[i].1 != '_' {
                        push_folded(chars[i].1, out);
                    }
                    i += 1;
                }
                out.push(' ');
                continue;
            }
            i += 1;
            continue;
        }
        if is_word_char(c) {
            while i < n {
                let c = chars[i].1;
                if is_word_char(c) {
                    push_folded(c, out);
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
            out.push(' ');
            continue;
        }
        i += 1;
    }
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
        ];
        for (text, want) in cases {
            assert_eq!(ts(text), want, "text: {text:?}");
        }
    }

    #[test]
    fn terms() {
        assert_eq!(normalize_term("  Nestlé   Café "), "nestle cafe");
        assert_eq!(normalize_term("#Acme"), "acme");
        assert_eq!(normalize_term("!!"), "");
    }
}
