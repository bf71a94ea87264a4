//! The brand rule query language (Brandwatch / Talkwalker style): parser, AST and a naive
//! reference evaluator.
//!
//! The config validates every query with [`parse`] before anything connects; the one-pass
//! [`Matcher`](crate::matcher::Matcher) compiles them. [`eval`] is the executable
//! specification that matcher is tested against (`tests/matcher_props.rs`); [`literals`] lists
//! what its prefilter has to look for.
//!
//! # Grammar
//!
//! ```text
//! query    = or ;
//! or       = and , { "OR" , and } ;
//! and      = unary , { [ "AND" ] , unary } ;        (* adjacent operands are ANDed *)
//! unary    = ( "NOT" | "-" ) , unary | near ;       (* "-" touches its operand: -refund *)
//! near     = primary , [ near-op , primary ] ;
//! near-op  = ( "NEAR/" | "ONEAR/" ) , digit , { digit } ;
//! primary  = "(" , or , ")" | operand ;
//! operand  = phrase | pattern | term | prefix | hashtag | handle | field ;
//! phrase   = '"' , { any char but '"' } , '"' ;
//! pattern  = "/" , { any char but "/", or "\/" } , "/" ;  (* a regular expression *)
//! term     = [ "=" ] , word ;                       (* "=" keeps diacritics *)
//! prefix   = word , "*" ;                           (* at least 3 letters before "*" *)
//! hashtag  = "#" , word ;
//! handle   = "@" , word ;
//! field    = ( "lang" | "source" | "author" | "site" ) , ":" , word
//!          | "is:repost" | "is:reply" ;
//! word     = a run of characters other than whitespace, "(", ")" and '"' ;
//! ```
//!
//! Keywords (`AND`, `OR`, `NOT`, `NEAR/n`, `ONEAR/n`) are uppercase only; `and`, `or`, `not`
//! are ordinary words. Precedence, tightest first: `NEAR`/`ONEAR`, `NOT`/`-`, `AND` (explicit
//! or implicit), `OR`. So `a b OR c` is `(a AND b) OR c` and `NOT a NEAR/2 b` is
//! `NOT (a NEAR/2 b)`.
//!
//! # Semantics
//!
//! - Terms and phrases are normalised with [`super::normalize`], exactly as mention text is:
//!   case folded, diacritics dropped (`Nestlé` = `nestle`), possessives dropped (`Acme's` =
//!   `acme`). Evaluation compares normalised tokens, so only whole words match.
//! - A term written with a leading `=` (`=Nestlé`) keeps its diacritics: it is lowercased but
//!   not folded, and compared with the mention's unfolded tokens (`=Nestlé` matches "NESTLÉ",
//!   not "Nestle"). `=` applies to plain terms only, not to phrases or wildcards.
//! - A term that the normaliser splits (`Coca-Cola`, `l'Acme`) matches its words in sequence,
//!   like a phrase.
//! - A one-word term also matches the same word as a hashtag (`acme` matches `#acme`, not
//!   `#acmefail`), as the matcher does by default. A wildcard likewise matches words and
//!   hashtags. An exact phrase (`"acme"`) matches words only. `#tag` matches only the hashtag
//!   and `@handle` only the handle; neither matches the plain word.
//! - `refund*` matches any word (or hashtag) starting with `refund`.
//! - `a NEAR/n b`: an occurrence of `a` and one of `b`, in either order, with at most `n`
//!   tokens between them (`NEAR/0` = adjacent). `a ONEAR/n b`: the same, with `a` first.
//!   The two occurrences may not overlap. Hashtags and handles in the text count as tokens.
//!   Operands of `NEAR` are terms, phrases, wildcards, or parenthesised ORs of those.
//! - Fields: `lang:en` matches a mention whose language is `en` or `en-*` (case-insensitive):
//!   the provider's language, or, when it gave none, the detected one (`crate::lang::settle`,
//!   the same language the scorer uses and the output records);
//!   `source:twitter` compares the platform; `author:acme` compares the author's handle
//!   (normalised like `@acme`); `site:acme.com` matches the URL host `acme.com` and its
//!   subdomains; `is:repost` and `is:reply` test the mention's references. A word with a
//!   colon whose prefix is letters is read as a field, so `re:acme` is an unknown-field
//!   error; quote it (`"re:acme"`) to search the words.
//! - Provider-extracted hashtags and handles match `#tag`, `@handle` and one-word terms, but
//!   they have no position, so they never satisfy `NEAR`.
//! - Every query must be able to match only through a positive literal: a query with none
//!   (only `NOT` and fields), or an OR with a branch that has none (`acme OR lang:en`), is
//!   rejected at parse time ("a query needs at least one term to match"). So a mention that
//!   contains none of [`literals`] never matches, which keeps the one-pass design possible.
//! - `/pattern/` is a regular expression (the `regex` crate's syntax, linear time) matched
//!   against the mention's text as written, case-insensitively unless it says `(?-i)`;
//!   `\/` is a slash inside it. A pattern whose matches all contain one of a few literals of
//!   at least 3 bytes ([`pattern::Pattern::required`]) counts as a term; any other pattern is
//!   a filter, like a field, and the query needs a term besides it. Patterns are not `NEAR`
//!   operands (they have no token position).
//! - [`Limits`] bound the number of operands, the NEAR distance, the number of wildcards and
//!   patterns, a pattern's compiled size and the nesting depth; a query over a limit is an
//!   error naming the limit.
//!
//! # Layout
//!
//! `lexer.rs` (characters to tokens), `parser.rs` (tokens to a [`Query`]), [`pattern`] (the
//! `/pattern/` terms), `eval.rs` (the [`Doc`] of a mention and the reference evaluator); the
//! syntax tree and [`literals`] are here.

mod eval;
mod lexer;
mod parser;
pub mod pattern;

pub(crate) use eval::eval_field;
pub use eval::{eval, eval_node, eval_with, Doc, Options};
pub use parser::parse;
pub use pattern::Pattern;

/// Bounds on a query, enforced by [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most operands (terms, phrases, wildcards, hashtags, handles, fields) in one query.
    pub max_operands: usize,
    /// Largest `n` in `NEAR/n` and `ONEAR/n`.
    pub max_near_distance: u32,
    /// Most wildcards (`refund*`) in one query.
    pub max_wildcards: usize,
    /// Most `/pattern/` terms in one query.
    pub max_patterns: usize,
    /// Largest compiled size of one pattern, in bytes (and of its lazy DFA's cache).
    pub pattern_size_limit: usize,
    /// Deepest nesting of parentheses and `NOT`s (keeps the parser's recursion bounded).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operands: 200,
            max_near_distance: 50,
            max_wildcards: 20,
            max_patterns: 5,
            pattern_size_limit: 256 * 1024,
            max_depth: 32,
        }
    }
}

/// A query that cannot be parsed, with the character offset (not byte offset) of the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {pos}: {reason}")]
pub struct QueryError {
    /// Character offset into the query text, 0-based.
    pub pos: usize,
    /// What is wrong.
    pub reason: String,
}

fn err<T>(pos: usize, reason: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError {
        pos,
        reason: reason.into(),
    })
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The root of the syntax tree.
    pub root: Node,
}

/// A node of the query syntax tree. Texts are normalised (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A word, or words in sequence when the normaliser split it (`coca cola`).
    Term {
        /// Normalised words joined by single spaces.
        text: String,
        /// False for `=term`: lowercased, diacritics kept.
        fold_diacritics: bool,
    },
    /// An exact phrase: normalised words in sequence.
    Phrase(Vec<String>),
    /// A trailing wildcard: the normalised prefix, without `*`.
    Prefix(String),
    /// A hashtag, normalised, without `#`.
    Hashtag(String),
    /// A handle, normalised, without `@`.
    Handle(String),
    /// A regular expression over the text as written.
    Pattern(Pattern),
    /// A metadata filter.
    Field(Field),
    /// All of these.
    And(Vec<Node>),
    /// Any of these.
    Or(Vec<Node>),
    /// Not this.
    Not(Box<Node>),
    /// `left` and `right` within `n` tokens; `left` first when `ordered` (`ONEAR`).
    Near {
        /// First operand.
        left: Box<Node>,
        /// Second operand.
        right: Box<Node>,
        /// Most tokens between the two occurrences.
        n: u32,
        /// `ONEAR`: `left` must come before `right`.
        ordered: bool,
    },
}

impl Node {
    /// The literal this node is (a term, phrase, wildcard, hashtag, handle, or a pattern with
    /// required literals), if it is one.
    pub fn literal(&self) -> Option<Literal> {
        Some(match self {
            Node::Term {
                text,
                fold_diacritics,
            } => Literal::Term {
                text: text.clone(),
                fold_diacritics: *fold_diacritics,
            },
            Node::Phrase(words) => Literal::Phrase(words.clone()),
            Node::Prefix(p) => Literal::Prefix(p.clone()),
            Node::Hashtag(t) => Literal::Hashtag(t.clone()),
            Node::Handle(h) => Literal::Handle(h.clone()),
            Node::Pattern(p) if p.required().is_some() => Literal::Pattern(p.clone()),
            _ => return None,
        })
    }
}

/// A metadata filter (`field:value`). Values are lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `lang:xx`: the mention's language is `xx` or `xx-*`.
    Lang(String),
    /// `source:name`: the platform.
    Source(String),
    /// `author:handle`: the author's handle, normalised like a handle.
    Author(String),
    /// `site:domain`: the URL host is `domain` or a subdomain of it.
    Site(String),
    /// `is:repost`.
    IsRepost,
    /// `is:reply`.
    IsReply,
}

/// A positive literal of a query: something a matching mention must contain (for some
/// literal). See [`literals`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// A term (one or more words); `fold_diacritics` as in [`Node::Term`].
    Term {
        /// Normalised words joined by single spaces.
        text: String,
        /// False for `=term`.
        fold_diacritics: bool,
    },
    /// An exact phrase.
    Phrase(Vec<String>),
    /// A word prefix.
    Prefix(String),
    /// A hashtag without `#`.
    Hashtag(String),
    /// A handle without `@`.
    Handle(String),
    /// A pattern with [`Pattern::required`] literals (a pattern without is a filter).
    Pattern(Pattern),
}

/// How many `/pattern/` terms `src` has (for the memory estimate; `src` is not parsed, so a
/// query that does not lex counts 0).
pub fn count_patterns(src: &str) -> usize {
    let limits = Limits {
        max_near_distance: u32::MAX,
        ..Limits::default()
    };
    lexer::lex(src, &limits).map_or(0, |toks| {
        toks.iter()
            .filter(|(t, _)| matches!(t, lexer::Tok::Pattern(_)))
            .count()
    })
}

/// The positive literals of `query` (those not under a `NOT`), in order of first appearance,
/// without duplicates. [`parse`] guarantees that a mention matching the query contains at
/// least one of them, so they can feed an Aho-Corasick prefilter.
pub fn literals(query: &Query) -> Vec<Literal> {
    fn walk(node: &Node, out: &mut Vec<Literal>) {
        if let Some(lit) = node.literal() {
            if !out.contains(&lit) {
                out.push(lit);
            }
            return;
        }
        match node {
            Node::Field(_) | Node::Not(_) => {}
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| walk(n, out)),
            Node::Near { left, right, .. } => {
                walk(left, out);
                walk(right, out);
            }
            // Literals, handled above.
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&query.root, &mut out);
    out
}

#[cfg(test)]
mod tests;
