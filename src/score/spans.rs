//! Which part of a mention each brand is scored on, when a mention names several brands.
//!
//! "Je viens de recevoir mes rocket skates Acme, je les adore ! ... Quelqu'un sait si Café
//! Brûlé livre en Belgique ?" praises Acme and asks a neutral question about Café Brûlé; one
//! score for the whole text would give both brands the praise. So, for a mention that matched
//! two or more brands:
//!
//! 1. the text is cut into sentences (after `.`, `!`, `?`, `…`, `。`, `！`, `？` followed by
//!    a space, and at line breaks);
//! 2. each brand keeps the sentences that contain one of its matched terms (compared in the
//!    matcher's normalised form: case, diacritics, whole words, `refund*` prefixes, `#tags`,
//!    `@handles`);
//! 3. where two brands keep exactly the same sentences (a one-sentence comparison: "switched
//!    from Acme to Globex, way better"), those sentences are cut further into clauses, at
//!    `,` `;` `:` dashes and contrast or comparison words (but, than, instead of, aber, als,
//!    mais, que, pero, ma, mas, но, чем, nhưng, hơn, ...), and a brand keeps its clauses when
//!    that separates it from the others;
//! 4. a brand none of whose terms is found in the text (it matched on a hashtag field, a URL,
//!    the author) or that keeps the whole text is scored on the whole text, as a single-brand
//!    mention always is.
//!
//! The result per brand is a list of character ranges (Unicode scalar values, half-open), put
//! on the scored record as `scored_spans`; the scored text is those ranges joined by a space.

use std::ops::Range;

use crate::mention::BrandMatch;
use crate::rules::normalize::{normalize_term, token_stream};

/// Words that start a new clause (contrast, comparison, substitution), per language, matched
/// as whole words on the normalised text. Kept short: a missed clause only means both brands
/// share the sentence's score, as before.
const CLAUSE_WORDS: &[&str] = &[
    // en
    "but",
    "however",
    "whereas",
    "while",
    "than",
    "instead of",
    "rather than",
    "unlike",
    "vs",
    "versus",
    "compared to", // de
    "aber",
    "jedoch",
    "sondern",
    "als",
    "statt",
    "anstatt",
    "wahrend",
    "im gegensatz zu",
    // fr
    "mais",
    "que",
    "alors que",
    "tandis que",
    "au lieu de",
    "contrairement a",
    "par rapport a",
    // es
    "pero",
    "sino",
    "mientras",
    "en lugar de",
    "en vez de",
    "a diferencia de",
    // it
    "ma",
    "pero",
    "invece di",
    "mentre",
    "rispetto a", // pt
    "mas",
    "porem",
    "do que",
    "em vez de",
    "ao contrario de",
    "enquanto", // ru
    "но",
    "а",
    "чем",
    "вместо",
    "однако",
    "зато",
    "в отличие от", // vi
    "nhung",
    "hon",
    "thay vi",
    "con",
    "trong khi",
];

/// Character ranges of `text` scored for each brand of `matches` (same order); `None` for a
/// brand scored on the whole text. All `None` when fewer than two brands matched.
pub fn brand_spans(text: &str, matches: &[BrandMatch]) -> Vec<Option<Vec<Range<usize>>>> {
    let mut out = vec![None; matches.len()];
    if matches.len() < 2 {
        return out;
    }
    let patterns: Vec<Vec<Pattern>> = matches
        .iter()
        .map(|m| m.terms.iter().filter_map(|t| Pattern::of(t)).collect())
        .collect();
    let sentences = split(text, sentence_ends(text));
    if sentences.len() < 2 && !has_clauses(text) {
        return out;
    }
    let mut stream = String::new();
    let hits = |units: &[Range<usize>], stream: &mut String| -> Vec<Vec<usize>> {
        let streams: Vec<String> = units
            .iter()
            .map(|u| {
                token_stream(&text[u.clone()], stream);
                stream.clone()
            })
            .collect();
        patterns
            .iter()
            .map(|ps| {
                (0..units.len())
                    .filter(|&i| ps.iter().any(|p| p.found_in(&streams[i])))
                    .collect()
            })
            .collect()
    };
    let by_sentence = hits(&sentences, &mut stream);
    let clauses: Vec<Range<usize>> = sentences
        .iter()
        .flat_map(|s| {
            split(&text[s.clone()], clause_ends(&text[s.clone()]))
                .into_iter()
                .map(move |c| c.start + s.start..c.end + s.start)
        })
        .collect();
    let by_clause = hits(&clauses, &mut stream);
    for (b, slot) in out.iter_mut().enumerate() {
        let mine = &by_sentence[b];
        if mine.is_empty() {
            continue;
        }
        let shared = (0..matches.len()).any(|o| o != b && by_sentence[o] == *mine);
        let units: Vec<Range<usize>> = if shared {
            let c = &by_clause[b];
            let separates =
                !c.is_empty() && (0..matches.len()).all(|o| o == b || by_clause[o] != *c);
            if separates {
                c.iter().map(|&i| clauses[i].clone()).collect()
            } else {
                mine.iter().map(|&i| sentences[i].clone()).collect()
            }
        } else {
            mine.iter().map(|&i| sentences[i].clone()).collect()
        };
        let solid = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        let covered: usize = units.iter().map(|u| solid(&text[u.clone()])).sum();
        if covered >= solid(text) {
            continue; // the whole text
        }
        *slot = Some(
            units
                .iter()
                .map(|u| char_range(text, trim(text, u.clone())))
                .collect(),
        );
    }
    out
}

/// The text scored for a brand: its spans joined by a space.
pub fn span_text(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::new();
    for r in spans {
        let part: String = text.chars().skip(r.start).take(r.end - r.start).collect();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&part);
    }
    out
}

/// A matched query term in the matcher's normalised form, as it is looked for in a token
/// stream (`" tok tok #tag "`).
enum Pattern {
    /// Whole words: `" acme corp "`.
    Words(String),
    /// A word prefix: `" refund"`.
    Prefix(String),
}

impl Pattern {
    fn of(term: &str) -> Option<Self> {
        let t = term.trim();
        let t = t.strip_prefix('=').unwrap_or(t);
        let t = t.trim_matches('"');
        if let Some(stem) = t.strip_suffix('*') {
            let n = normalize_term(stem);
            return (!n.is_empty()).then(|| Pattern::Prefix(format!(" {n}")));
        }
        let marker = t.chars().next().filter(|c| *c == '#' || *c == '@');
        let n = normalize_term(t);
        if n.is_empty() {
            return None;
        }
        Some(Pattern::Words(match marker {
            Some(m) => format!(" {m}{n} "),
            None => format!(" {n} "),
        }))
    }

    fn found_in(&self, stream: &str) -> bool {
        match self {
            Pattern::Words(w) | Pattern::Prefix(w) => stream.contains(w.as_str()),
        }
    }
}

/// Byte offsets where sentences end (exclusive), ascending.
fn sentence_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let after = i + c.len_utf8();
        match c {
            '\n' => ends.push(after),
            '.' | '!' | '?' | '…' | '。' | '！' | '？' => {
                // a run of terminators ends once, before the following space
                let mut end = after;
                while let Some(&(j, d)) = it.peek() {
                    if matches!(
                        d,
                        '.' | '!' | '?' | '…' | '。' | '！' | '？' | ')' | '"' | '»' | '\''
                    ) {
                        end = j + d.len_utf8();
                        it.next();
                    } else {
                        break;
                    }
                }
                if it.peek().is_none_or(|&(_, d)| d.is_whitespace())
                    || matches!(c, '。' | '！' | '？')
                {
                    ends.push(end);
                }
            }
            _ => {}
        }
    }
    ends
}

/// Byte offsets where clauses of a sentence end: at `,` `;` `:` and dashes, and before a
/// clause word.
fn clause_ends(sentence: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    for (i, c) in sentence.char_indices() {
        if matches!(c, ',' | ';' | ':' | '–' | '—' | '→') {
            ends.push(i + c.len_utf8());
        }
    }
    // clause words: on word boundaries of the original text (folded word by word)
    let words = word_starts(sentence);
    for (k, &(start, _)) in words.iter().enumerate() {
        for cw in CLAUSE_WORDS {
            let n = cw.split(' ').count();
            if k + n > words.len() {
                continue;
            }
            let folded: Vec<String> = words[k..k + n]
                .iter()
                .map(|&(_, w)| normalize_term(w))
                .collect();
            if folded.join(" ") == *cw && start > 0 {
                ends.push(start);
            }
        }
    }
    ends.sort_unstable();
    ends.dedup();
    ends
}

fn has_clauses(text: &str) -> bool {
    !clause_ends(text).is_empty()
}

/// (byte offset, word) of each whitespace-separated word, punctuation trimmed.
fn word_starts(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let word = c.is_alphanumeric() || c == '\'' || c == '’';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Cuts `text` at the given byte offsets into non-empty ranges.
fn split(text: &str, ends: Vec<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for e in ends.into_iter().chain(std::iter::once(text.len())) {
        if e > start && !text[start..e].trim().is_empty() {
            out.push(start..e);
        }
        start = start.max(e);
    }
    out
}

fn trim(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let tail = s.len() - s.trim_end().len();
    r.start + lead..r.end - tail
}

/// A byte range as a character range.
fn char_range(text: &str, r: Range<usize>) -> Range<usize> {
    let start = text[..r.start].chars().count();
    start..start + text[r].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(brand: &str, terms: &[&str]) -> BrandMatch {
        BrandMatch {
            brand: brand.into(),
            topics: vec!["brand".into()],
            terms: terms.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn scored(text: &str, matches: &[BrandMatch]) -> Vec<Option<String>> {
        brand_spans(text, matches)
            .into_iter()
            .map(|s| s.map(|r| span_text(text, &r)))
            .collect()
    }

    #[test]
    fn each_brand_gets_its_own_sentences() {
        let text = "Je viens de recevoir mes rocket skates Acme, je les adore ! ... Quelqu'un sait si Café Brûlé livre en Belgique ?";
        let got = scored(
            text,
            &[m("acme", &["acme"]), m("cafe", &["\"cafe brule\""])],
        );
        assert_eq!(
            got[0].as_deref(),
            Some("Je viens de recevoir mes rocket skates Acme, je les adore !")
        );
        assert_eq!(
            got[1].as_deref(),
            Some("Quelqu'un sait si Café Brûlé livre en Belgique ?")
        );
    }

    #[test]
    fn one_sentence_comparisons_split_at_the_clause() {
        let text = "Switched from Globex to Acme because Globex kept dropping calls, Acme has been perfect";
        let got = scored(text, &[m("acme", &["acme"]), m("globex", &["globex"])]);
        // Acme is in both clauses (whole text), Globex only in the first.
        assert_eq!(got[0], None);
        assert_eq!(
            got[1].as_deref(),
            Some("Switched from Globex to Acme because Globex kept dropping calls,")
        );
        // Both brands in the only clause: nothing separates them, whole text for both.
        let text = "Acme and Globex both raised prices today";
        let got = scored(text, &[m("acme", &["acme"]), m("globex", &["globex"])]);
        assert_eq!(got, vec![None, None]);

        let text = "Acme is great but Globex is a scam";
        let got = scored(text, &[m("acme", &["acme"]), m("globex", &["globex"])]);
        assert_eq!(got[0].as_deref(), Some("Acme is great"));
        assert_eq!(got[1].as_deref(), Some("but Globex is a scam"));

        let text = "Лучше Acme, чем Globex";
        let got = scored(text, &[m("acme", &["acme"]), m("globex", &["globex"])]);
        assert_eq!(got[0].as_deref(), Some("Лучше Acme,"));
        assert_eq!(got[1].as_deref(), Some("чем Globex"));
    }

    #[test]
    fn single_brand_and_unlocated_terms_keep_the_whole_text() {
        let text = "Acme is great. Really.";
        assert_eq!(brand_spans(text, &[m("acme", &["acme"])]), vec![None]);
        // globex matched on a field outside the text: whole text for it, acme its sentence
        let text = "Acme is great. The weather is not.";
        let got = scored(text, &[m("acme", &["acme"]), m("globex", &["@globex"])]);
        assert_eq!(got, vec![Some("Acme is great.".to_string()), None]);
    }

    #[test]
    fn terms_match_in_normalised_form() {
        let text = "Refunds from ACME take weeks! #globex rocks.";
        let got = scored(
            text,
            &[m("acme", &["acme"]), m("globex", &["#globex", "refund*"])],
        );
        assert_eq!(got[0].as_deref(), Some("Refunds from ACME take weeks!"));
        // globex: the refund* prefix hits the first sentence too, #globex the second: all of it
        assert_eq!(got[1], None);
    }

    #[test]
    fn spans_are_character_offsets() {
        let text = "Ça va Acme ! Très déçu de Globex.";
        let spans = brand_spans(text, &[m("acme", &["acme"]), m("globex", &["globex"])]);
        let first = spans[0].clone().unwrap();
        assert_eq!((first.len(), first[0].clone()), (1, 0..12));
        let chars: Vec<char> = text.chars().collect();
        let r = spans[1].clone().unwrap()[0].clone();
        assert_eq!(chars[r].iter().collect::<String>(), "Très déçu de Globex.");
    }
}
