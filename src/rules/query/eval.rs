//! What a query sees of a mention ([`Doc`]) and the naive reference evaluator: a tree walk
//! over the document's tokens, the executable specification the one-pass matcher is tested
//! against.

use super::{Field, Node, Query};
use crate::mention::Mention;
use crate::rules::normalize::{self, normalize_term_unfolded, unfolded_tokens};

/// What [`eval`] sees of a mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    /// The text as written, for `/pattern/` terms.
    pub text: String,
    /// Folded tokens of the text, in order ([`normalize::token_stream`] split on spaces):
    /// words, `#tags` and `@handles`.
    pub tokens: Vec<String>,
    /// The same tokens lowercased with diacritics kept (NFC), for `=` terms.
    pub raw_tokens: Vec<String>,
    /// Provider-extracted hashtags and handles (`#tag`, `@handle`), folded. No positions.
    pub tags: Vec<String>,
    /// The same, lowercased with diacritics kept.
    pub raw_tags: Vec<String>,
    /// Language given by the provider, lowercased (`und` counts as none). Filters read
    /// [`Doc::lang`], which detects one when this is `None`.
    pub lang: Option<String>,
    /// The text to detect the language from when the provider gave none.
    pub detect_from: Option<String>,
    /// [`crate::lang::detect`]'s answer for `detect_from`, once asked.
    detected: std::cell::OnceCell<Option<String>>,
    /// Platform, lowercased.
    pub source: String,
    /// Author handle, normalised like a handle, without `@`.
    pub author: Option<String>,
    /// Host of the mention's URL, lowercased.
    pub site: Option<String>,
    /// The mention reposts another.
    pub is_repost: bool,
    /// The mention replies to another.
    pub is_reply: bool,
}

impl Doc {
    /// A document with only text (no metadata).
    pub fn from_text(text: &str) -> Self {
        let mut stream = String::new();
        normalize::token_stream(text, &mut stream);
        Self {
            text: text.to_string(),
            tokens: split(&stream),
            raw_tokens: unfolded_tokens(text),
            ..Self::default()
        }
    }

    /// The document of `mention`.
    pub fn from_mention(mention: &Mention) -> Self {
        let mut doc = Self::from_text(&mention.text);
        let marked = mention
            .hashtags
            .iter()
            .map(|t| ('#', t))
            .chain(mention.user_mentions.iter().map(|h| ('@', h)));
        for (marker, body) in marked {
            let folded: String = normalize::normalize_term(body).split(' ').collect();
            let raw: String = normalize_term_unfolded(body).split(' ').collect();
            if !folded.is_empty() {
                doc.tags.push(format!("{marker}{folded}"));
                doc.raw_tags.push(format!("{marker}{raw}"));
            }
        }
        doc.fill_meta(mention);
        doc
    }

    /// The language `lang:` filters compare: the provider's, else detected from the text
    /// (only when a filter asks), as [`crate::lang::settle`] decides for the whole pipeline.
    pub fn lang(&self) -> Option<&str> {
        if let Some(l) = &self.lang {
            return Some(l);
        }
        self.detected
            .get_or_init(|| {
                self.detect_from
                    .as_deref()
                    .and_then(crate::lang::detect)
                    .map(str::to_string)
            })
            .as_deref()
    }

    /// A document with `mention`'s metadata (language, source, author, site, references)
    /// but no text: what [`Field`]s look at.
    pub fn meta_of(mention: &Mention) -> Self {
        let mut doc = Self::default();
        doc.fill_meta(mention);
        doc
    }

    fn fill_meta(&mut self, mention: &Mention) {
        let doc = self;
        doc.lang = mention
            .lang
            .as_deref()
            .filter(|l| !l.is_empty() && *l != "und")
            .map(str::to_lowercase);
        doc.detect_from = doc.lang.is_none().then(|| mention.text.clone());
        doc.source = mention.source.to_lowercase();
        doc.author = mention
            .author
            .as_ref()
            .and_then(|a| a.handle.as_deref())
            .map(|h| normalize::normalize_term(h.trim_start_matches('@')).replace(' ', ""))
            .filter(|h| !h.is_empty());
        doc.site = mention.url.as_deref().and_then(url_host);
        doc.is_repost = mention.repost_of.is_some();
        doc.is_reply = mention.reply_to.is_some();
    }
}

fn split(stream: &str) -> Vec<String> {
    stream
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The lowercased host of `url` (`https://user@News.Acme.com:443/x` -> `news.acme.com`).
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// Evaluation options shared by every query (from `[matching]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// One-word terms and wildcards also match hashtags (`acme` matches `#acme`, `refund*`
    /// matches `#refundnow`). Default true (`matching.keywords_match_hashtags`).
    pub terms_match_hashtags: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            terms_match_hashtags: true,
        }
    }
}

/// Whether `query` matches `doc` with the default [`Options`]. A naive tree walk: the
/// reference for faster matchers.
pub fn eval(query: &Query, doc: &Doc) -> bool {
    eval_with(query, doc, &Options::default())
}

/// Whether `query` matches `doc` under `options`.
pub fn eval_with(query: &Query, doc: &Doc, options: &Options) -> bool {
    eval_node(&query.root, doc, options)
}

/// Whether `node` matches `doc` under `options` (see [`eval_with`]).
pub fn eval_node(node: &Node, doc: &Doc, options: &Options) -> bool {
    match node {
        Node::Term { .. } | Node::Phrase(_) | Node::Prefix(_) => {
            !occurrences(node, doc, options).is_empty() || matches_tag(node, doc, options)
        }
        Node::Hashtag(t) => has_marked(doc, '#', t),
        Node::Handle(h) => has_marked(doc, '@', h),
        Node::Pattern(p) => p.is_match(&doc.text),
        Node::Field(f) => eval_field(f, doc),
        Node::And(items) => items.iter().all(|n| eval_node(n, doc, options)),
        Node::Or(items) => items.iter().any(|n| eval_node(n, doc, options)),
        Node::Not(inner) => !eval_node(inner, doc, options),
        Node::Near {
            left,
            right,
            n,
            ordered,
        } => {
            let (a, b) = (
                occurrences(left, doc, options),
                occurrences(right, doc, options),
            );
            let n = *n as usize;
            a.iter().any(|&(s1, e1)| {
                b.iter().any(|&(s2, e2)| {
                    (e1 <= s2 && s2 - e1 <= n) || (!*ordered && e2 <= s1 && s1 - e2 <= n)
                })
            })
        }
    }
}

fn has_marked(doc: &Doc, marker: char, body: &str) -> bool {
    let is = |t: &String| t.strip_prefix(marker) == Some(body);
    doc.tokens.iter().any(is) || doc.tags.iter().any(is)
}

/// One-word terms and wildcards also match provider-extracted hashtags.
fn matches_tag(node: &Node, doc: &Doc, options: &Options) -> bool {
    if !options.terms_match_hashtags {
        return false;
    }
    match node {
        Node::Term {
            text,
            fold_diacritics,
        } if !text.contains(' ') => {
            let tags = if *fold_diacritics {
                &doc.tags
            } else {
                &doc.raw_tags
            };
            tags.iter()
                .any(|t| t.strip_prefix('#') == Some(text.as_str()))
        }
        Node::Prefix(p) => doc.tags.iter().any(|t| {
            t.strip_prefix('#')
                .is_some_and(|t| t.starts_with(p.as_str()))
        }),
        _ => false,
    }
}

/// Token spans `[start, end)` where `node` (term, phrase, prefix or an OR of those) occurs.
fn occurrences(node: &Node, doc: &Doc, options: &Options) -> Vec<(usize, usize)> {
    let tags = options.terms_match_hashtags;
    match node {
        Node::Term {
            text,
            fold_diacritics,
        } => {
            let tokens = if *fold_diacritics {
                &doc.tokens
            } else {
                &doc.raw_tokens
            };
            let words: Vec<&str> = text.split(' ').collect();
            if let [word] = words.as_slice() {
                // A one-word term also matches the hashtag.
                let spans = tokens.iter().enumerate().filter(|(_, t)| {
                    t.as_str() == *word || (tags && t.strip_prefix('#') == Some(*word))
                });
                spans.map(|(i, _)| (i, i + 1)).collect()
            } else {
                sequence(tokens, &words)
            }
        }
        Node::Phrase(words) => {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            sequence(&doc.tokens, &words)
        }
        Node::Prefix(p) => doc
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                let body = if tags {
                    t.strip_prefix('#').unwrap_or(t)
                } else {
                    t.as_str()
                };
                !body.starts_with(['@', '#']) && body.starts_with(p.as_str())
            })
            .map(|(i, _)| (i, i + 1))
            .collect(),
        Node::Or(items) => items
            .iter()
            .flat_map(|n| occurrences(n, doc, options))
            .collect(),
        _ => Vec::new(),
    }
}

fn sequence(tokens: &[String], words: &[&str]) -> Vec<(usize, usize)> {
    if words.is_empty() || tokens.len() < words.len() {
        return Vec::new();
    }
    tokens
        .windows(words.len())
        .enumerate()
        .filter(|(_, w)| w.iter().zip(words).all(|(t, word)| t == word))
        .map(|(i, _)| (i, i + words.len()))
        .collect()
}

pub(crate) fn eval_field(field: &Field, doc: &Doc) -> bool {
    match field {
        Field::Lang(l) => doc.lang().is_some_and(|d| {
            d == l
                || d.strip_prefix(l.as_str())
                    .is_some_and(|r| r.starts_with('-'))
        }),
        Field::Source(s) => doc.source == *s,
        Field::Author(a) => doc.author.as_deref() == Some(a.as_str()),
        Field::Site(s) => doc.site.as_deref().is_some_and(|h| {
            h == s || h.strip_suffix(s.as_str()).is_some_and(|r| r.ends_with('.'))
        }),
        Field::IsRepost => doc.is_repost,
        Field::IsReply => doc.is_reply,
    }
}
