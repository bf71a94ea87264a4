//! Regular-expression terms (`/pattern/`): compiled with the `regex` crate (linear time in
//! the text, no backtracking), bounded by [`Limits`](super::Limits), and reduced to the
//! literals any match must contain so that the matcher can keep them behind its prefilter.
//!
//! A pattern is matched against the mention's text as written (not the normalised tokens, so
//! URLs and punctuation are visible), case-insensitively unless it says `(?-i)`.

use std::sync::Arc;

use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};

use super::{err, QueryError};

/// Shortest required literal, in bytes, worth a prefilter pattern: a pattern whose required
/// literals are shorter (`/x\d{3}/` requires only `x`) is a filter, like a field.
pub const MIN_PREFILTER_LITERAL: usize = 3;

/// Most prefilter literals one pattern may give (case variants included); beyond this the
/// pattern is a filter.
const MAX_PREFILTER_LITERALS: usize = 256;

/// A compiled `/pattern/` term.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Arc<regex::Regex>,
    required: Option<Vec<Vec<u8>>>,
}

impl Pattern {
    /// Compiles `source` (the text between the slashes, `\/` already unescaped). `pos` is the
    /// character position of the opening `/` in the query, for errors; `size_limit` bounds the
    /// compiled program and the lazy DFA's cache, each (`matching.regex_size_limit`).
    ///
    /// # Errors
    /// [`QueryError`] at the position of the fault inside the pattern: a syntax error, an empty
    /// pattern, or a pattern over the size limit.
    pub fn compile(source: &str, pos: usize, size_limit: usize) -> Result<Self, QueryError> {
        if source.is_empty() {
            return err(pos, "empty pattern `//`");
        }
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .nest_limit(64)
            .build()
            .parse(source)
            .map_err(|e| syntax_error(source, pos, &e))?;
        let regex = regex::RegexBuilder::new(source)
            .case_insensitive(true)
            .nest_limit(64)
            .size_limit(size_limit)
            .dfa_size_limit(size_limit)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => QueryError {
                    pos,
                    reason: format!(
                        "pattern /{source}/ is over the limit matching.regex_size_limit = {limit} \
                         bytes compiled: simplify it (fewer or smaller repetitions, narrower \
                         classes)"
                    ),
                },
                other => QueryError {
                    pos,
                    reason: format!("bad pattern /{source}/: {other}"),
                },
            })?;
        Ok(Self {
            source: source.to_string(),
            regex: Arc::new(regex),
            required: required_literals(&hir),
        })
    }

    /// The pattern as written between the slashes.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Literals one of which every match contains, to be searched in the text as written with
    /// ASCII letters case-insensitively (they are given in lowercase; other letters' case
    /// variants are spelled out), each at least [`MIN_PREFILTER_LITERAL`] bytes; `None` when
    /// the pattern has no such set (it then works as a filter: the query needs another term).
    pub fn required(&self) -> Option<&[Vec<u8>]> {
        self.required.as_deref()
    }
}

// Patterns are equal when written the same: the compiled form follows from the source.
impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl std::hash::Hash for Pattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

/// The better of the pattern's prefix and suffix literal sets (each is a set one of which
/// every match starts, or ends, with), when it is finite, not too large and its shortest
/// literal long enough to be selective.
///
/// The pattern is case-insensitive, so the extractor spells out case variants (`acme` is 16
/// literals); ASCII letters are folded to lowercase here and searched ASCII-case-insensitively
/// by the matcher, which keeps the set small. Other letters keep their spelled-out variants.
fn required_literals(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    // Long literals first; if their variants are too many (a Cyrillic letter has up to four
    // case variants), the extractor's own trimming to fewer, shorter ones.
    let usable = |kind: ExtractKind| -> Option<Vec<Vec<u8>>> {
        [4096, MAX_PREFILTER_LITERALS]
            .into_iter()
            .find_map(|total| literal_set(hir, kind.clone(), total))
    };
    let prefix = usable(ExtractKind::Prefix);
    let suffix = usable(ExtractKind::Suffix);
    let shortest = |v: &Vec<Vec<u8>>| v.iter().map(Vec::len).min().unwrap_or(0);
    match (prefix, suffix) {
        (Some(p), Some(s)) => Some(if shortest(&s) > shortest(&p) { s } else { p }),
        (p, s) => p.or(s),
    }
}

/// The extractor's literals of `kind` within `total`, ASCII-lowercased and deduplicated, if
/// they are usable as a prefilter. They are bytes: a literal the extractor cut may end inside
/// a character, and is still a piece of every match.
fn literal_set(
    hir: &regex_syntax::hir::Hir,
    kind: ExtractKind,
    total: usize,
) -> Option<Vec<Vec<u8>>> {
    let seq: Seq = Extractor::new()
        .kind(kind)
        .limit_total(total)
        .limit_literal_len(64)
        .extract(hir);
    let mut lits: Vec<Vec<u8>> = seq
        .literals()?
        .iter()
        .map(|l| l.as_bytes().to_ascii_lowercase())
        .collect();
    lits.sort_unstable();
    lits.dedup();
    let shortest = lits.iter().map(Vec::len).min()?;
    (lits.len() <= MAX_PREFILTER_LITERALS && shortest >= MIN_PREFILTER_LITERAL).then_some(lits)
}

/// A syntax error at its character position in the query (`pos` is the opening `/`).
fn syntax_error(source: &str, pos: usize, e: &regex_syntax::Error) -> QueryError {
    let (offset, what) = match e {
        regex_syntax::Error::Parse(e) => (e.span().start.offset, e.kind().to_string()),
        regex_syntax::Error::Translate(e) => (e.span().start.offset, e.kind().to_string()),
        other => (0, other.to_string()),
    };
    let chars = source
        .get(..offset)
        .map_or(0, |before| before.chars().count());
    QueryError {
        pos: pos + 1 + chars,
        reason: format!("bad pattern /{source}/: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Pattern {
        Pattern::compile(src, 0, 1 << 20).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn case_insensitive_by_default_and_opt_out() {
        assert!(p("acme-x\\d{3}").is_match("the ACME-X500 is out"));
        assert!(!p("(?-i)acme-x\\d{3}").is_match("the ACME-X500 is out"));
    }

    #[test]
    fn required_literals_cover_every_match() {
        let pat = p("acme\\.com/(promo|deal)");
        let req = pat.required().expect("prefilterable");
        for text in ["see ACME.com/Deal now", "acme.com/promo"] {
            assert!(pat.is_match(text));
            let lower = text.to_ascii_lowercase();
            let found = req
                .iter()
                .any(|l| lower.as_bytes().windows(l.len()).any(|w| w == l));
            assert!(found, "{text} {req:?}");
        }
    }

    #[test]
    fn short_or_unbounded_literals_make_a_filter() {
        assert_eq!(p("x\\d{3}").required(), None);
        assert_eq!(p("\\d+").required(), None);
        assert_eq!(p(".*").required(), None);
        // A suffix is used when the prefix is not selective.
        let pat = p("\\w+@acme\\.com");
        assert!(pat.required().is_some(), "{:?}", pat.required());
    }

    #[test]
    fn errors_point_into_the_pattern() {
        let e = Pattern::compile("ab(c", 10, 1 << 20).unwrap_err();
        assert!(e.reason.contains("bad pattern /ab(c/"), "{e}");
        assert!(e.pos >= 11, "{e:?}");
        let e = Pattern::compile("", 3, 1 << 20).unwrap_err();
        assert_eq!(e.pos, 3);
        let e = Pattern::compile("\\w{500}", 0, 10_000).unwrap_err();
        assert!(e.reason.contains("regex_size_limit"), "{e}");
    }
}
