//! From a matched mention's text to the terms counted for its brand: words, two-word phrases,
//! hashtags and @handles, folded with the matcher's normalisation
//! ([`token_stream`](crate::rules::normalize::token_stream)), without stop words, numbers,
//! URLs (the tokenizer skips them) or the brand's own matched query terms.

use std::collections::HashSet;

use super::stopwords::StopWords;
use crate::rules::normalize::{normalize_term, token_stream};

/// Longest term counted (bytes, folded); longer words and phrases are left out.
pub const MAX_TERM_BYTES: usize = 48;

/// At most this many terms per mention (a long review counts like a few posts, not like a
/// hundred).
pub const MAX_TERMS_PER_MENTION: usize = 64;

/// The words of a brand's matched query literals (`acme`, `"acme corp"`, `refund*`, `#tag`,
/// `=nestlé`, `/regex/`), folded: these are in every mention of the brand and say nothing.
pub fn query_words(terms: &[String], out: &mut HashSet<String>) {
    out.clear();
    for t in terms {
        if t.starts_with('/') {
            continue;
        }
        let marker = t.starts_with('#') || t.starts_with('@');
        let body = t.trim_matches(|c| c == '"' || c == '=' || c == '*');
        let folded = normalize_term(body);
        if marker {
            if let Some(m) = t.chars().next() {
                out.insert(format!("{m}{}", folded.replace(' ', "")));
            }
        }
        for w in folded.split(' ').filter(|w| !w.is_empty()) {
            out.insert(w.to_string());
        }
    }
}

fn countable(tok: &str, stop: &HashSet<String>, query: &HashSet<String>) -> bool {
    let mut chars = tok.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    // One ASCII letter or digit is noise; one CJK character is a word.
    if first.is_ascii() && chars.next().is_none() {
        return false;
    }
    !tok.chars().all(|c| c.is_ascii_digit()) && !stop.contains(tok) && !query.contains(tok)
}

/// Reusable buffers for [`Extractor::terms`].
#[derive(Debug, Default)]
pub struct Scratch {
    stream: String,
    query: HashSet<String>,
}

/// Term extraction with the stop-word lists.
#[derive(Debug, Default)]
pub struct Extractor {
    stop: StopWords,
}

impl Extractor {
    /// An extractor with the built-in stop words.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the distinct terms of `text` (in language `lang`, matched by the query literals
    /// `matched`) to `out` (cleared first): words, then two-word phrases of adjacent countable
    /// words, hashtags (`#tag`) and handles (`@name`); at most [`MAX_TERMS_PER_MENTION`].
    pub fn terms(
        &self,
        text: &str,
        lang: &str,
        matched: &[String],
        scratch: &mut Scratch,
        out: &mut Vec<String>,
    ) {
        out.clear();
        let stop = self.stop.for_lang(lang);
        query_words(matched, &mut scratch.query);
        token_stream(text, &mut scratch.stream);
        let mut prev: Option<&str> = None;
        let push = |t: String, out: &mut Vec<String>| {
            if t.len() <= MAX_TERM_BYTES && out.len() < MAX_TERMS_PER_MENTION && !out.contains(&t) {
                out.push(t);
            }
        };
        for tok in scratch.stream.split(' ').filter(|t| !t.is_empty()) {
            if tok.starts_with('#') || tok.starts_with('@') {
                if tok.len() > 2 && !scratch.query.contains(tok) {
                    push(tok.to_string(), out);
                }
                prev = None;
                continue;
            }
            if !countable(tok, stop, &scratch.query) {
                prev = None;
                continue;
            }
            push(tok.to_string(), out);
            if let Some(p) = prev {
                push(format!("{p} {tok}"), out);
            }
            prev = Some(tok);
        }
    }
}
