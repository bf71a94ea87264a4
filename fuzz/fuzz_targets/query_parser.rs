//! Fuzzes the brand query parser (`brandpulse::rules::query`).
//!
//! Input: UTF-8 text; up to the first `\n` is the query, the rest is a document. The query
//! is parsed with the default limits and with tiny ones (to reach the limit errors). Checks:
//! `parse` never panics; an error's position is within the query (in chars); a parsed query
//! has at least one positive literal; evaluating it on the document never panics.
//!
//! Run it with `bash scripts/fuzz.sh [SECONDS]` (or `make fuzz`).
#![no_main]

use brandpulse::rules::query::{eval, literals, parse, Doc, Limits};
use libfuzzer_sys::fuzz_target;

const TINY: Limits = Limits {
    max_operands: 3,
    max_near_distance: 2,
    max_wildcards: 1,
    max_patterns: 1,
    pattern_size_limit: 4 * 1024,
    max_depth: 2,
};

fn check(src: &str, doc: &Doc, limits: &Limits) {
    match parse(src, limits) {
        Ok(query) => {
            assert!(
                !literals(&query).is_empty(),
                "parsed query {src:?} has no positive literal: {query:?}"
            );
            let _ = eval(&query, doc);
        }
        Err(e) => {
            let chars = src.chars().count();
            assert!(
                e.pos <= chars,
                "error position {} is past the query's {chars} chars: {src:?}: {e}",
                e.pos
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (src, doc_text) = text.split_once('\n').unwrap_or((text, ""));
    let doc = Doc::from_text(doc_text);
    check(src, &doc, &Limits::default());
    check(src, &doc, &TINY);
});
