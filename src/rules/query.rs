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
//! operand  = phrase | term | prefix | hashtag | handle | field ;
//! phrase   = '"' , { any char but '"' } , '"' ;
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
//! - [`Limits`] bound the number of operands, the NEAR distance, the number of wildcards and
//!   the nesting depth; a query over a limit is an error naming the limit.

use unicode_normalization::UnicodeNormalization;

use super::normalize;
use crate::mention::Mention;

/// Bounds on a query, enforced by [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most operands (terms, phrases, wildcards, hashtags, handles, fields) in one query.
    pub max_operands: usize,
    /// Largest `n` in `NEAR/n` and `ONEAR/n`.
    pub max_near_distance: u32,
    /// Most wildcards (`refund*`) in one query.
    pub max_wildcards: usize,
    /// Deepest nesting of parentheses and `NOT`s (keeps the parser's recursion bounded).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operands: 200,
            max_near_distance: 50,
            max_wildcards: 20,
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
    /// The literal this node is (a term, phrase, wildcard, hashtag or handle), if it is one.
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
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `-` glued to the operand after it.
    Minus,
    Near {
        n: u32,
        ordered: bool,
    },
    /// The text between the quotes.
    Phrase(String),
    Word(String),
}

fn lex(src: &str, limits: &Limits) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = src.chars().collect();
    let n = chars.len();
    let is_break = |c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"');
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push((Tok::LParen, i));
                i += 1;
            }
            ')' => {
                out.push((Tok::RParen, i));
                i += 1;
            }
            '"' => {
                let Some(len) = chars[i + 1..].iter().position(|&q| q == '"') else {
                    return err(i, "unclosed quote");
                };
                let text: String = chars[i + 1..i + 1 + len].iter().collect();
                out.push((Tok::Phrase(text), i));
                i += len + 2;
            }
            '-' => {
                if i + 1 >= n || chars[i + 1].is_whitespace() || chars[i + 1] == ')' {
                    return err(i, "`-` needs an operand right after it, e.g. -refund");
                }
                out.push((Tok::Minus, i));
                i += 1;
            }
            _ => {
                let start = i;
                while i < n && !is_break(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push((keyword(&word, start, limits)?, start));
            }
        }
    }
    Ok(out)
}

/// Classifies a bare word: a keyword, or an operand for the parser to read.
fn keyword(word: &str, pos: usize, limits: &Limits) -> Result<Tok, QueryError> {
    let tok = match word {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        "NEAR" | "ONEAR" => return err(pos, format!("{word} needs a distance, e.g. {word}/3")),
        _ => {
            let (ordered, digits) = if let Some(d) = word.strip_prefix("NEAR/") {
                (false, d)
            } else if let Some(d) = word.strip_prefix("ONEAR/") {
                (true, d)
            } else {
                return Ok(Tok::Word(word.to_string()));
            };
            let dpos = pos + word.chars().count() - digits.chars().count();
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return err(
                    dpos,
                    format!("bad NEAR distance `{digits}`: expected a whole number"),
                );
            }
            let n = match digits.parse::<u32>() {
                Ok(n) if n <= limits.max_near_distance => n,
                _ => {
                    return err(
                        dpos,
                        format!(
                            "NEAR distance {digits} is over the limit max_near_distance = {}",
                            limits.max_near_distance
                        ),
                    )
                }
            };
            Tok::Near { n, ordered }
        }
    };
    Ok(tok)
}

fn describe(tok: &Tok) -> &'static str {
    match tok {
        Tok::LParen => "`(`",
        Tok::RParen => "`)`",
        Tok::And => "AND",
        Tok::Or => "OR",
        Tok::Not => "NOT",
        Tok::Minus => "`-`",
        Tok::Near { ordered: false, .. } => "NEAR",
        Tok::Near { ordered: true, .. } => "ONEAR",
        Tok::Phrase(_) => "a phrase",
        Tok::Word(_) => "a term",
    }
}

// ---------------------------------------------------------------------------------------
// Parser

/// Parses `src` into a [`Query`], checking `limits`.
///
/// # Errors
/// [`QueryError`] with the character position of the first fault: unbalanced parentheses,
/// an operator without an operand, an empty phrase or term, an unknown field, a bad or too
/// large NEAR distance, a wildcard with fewer than 3 letters, a limit exceeded, or a query
/// that can match without any positive term.
pub fn parse(src: &str, limits: &Limits) -> Result<Query, QueryError> {
    let toks = lex(src, limits)?;
    if toks.is_empty() {
        return err(0, "empty query");
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: src.chars().count(),
        limits,
        operands: 0,
        wildcards: 0,
        depth: 0,
    };
    let root = p.or()?;
    if let Some((tok, pos)) = p.toks.get(p.i) {
        // `or` stops only at `)` or the end.
        return err(*pos, format!("unmatched {}", describe(tok)));
    }
    if !needs_literal(&root) {
        return err(
            0,
            "a query needs at least one term to match (every OR branch needs a term, \
             hashtag, handle or phrase outside NOT)",
        );
    }
    Ok(Query { root })
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    i: usize,
    /// Character length of the source: the position of "end of query".
    end: usize,
    limits: &'a Limits,
    operands: usize,
    wildcards: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(t, _)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(_, p)| *p)
    }

    fn starts_unary(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::LParen | Tok::Not | Tok::Minus | Tok::Phrase(_) | Tok::Word(_))
        )
    }

    /// After operator `op` at `pos`: fails unless an operand follows.
    fn expect_operand_after(&self, op: &str, pos: usize) -> Result<(), QueryError> {
        if self.starts_unary() {
            return Ok(());
        }
        match self.peek() {
            None => err(pos, format!("{op} needs an operand after it")),
            Some(t) => err(
                self.pos(),
                format!("expected an operand after {op}, found {}", describe(t)),
            ),
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return err(
                pos,
                format!(
                    "nesting is over the limit max_depth = {}",
                    self.limits.max_depth
                ),
            );
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            let pos = self.pos();
            self.i += 1;
            self.expect_operand_after("OR", pos)?;
            items.push(self.and()?);
        }
        Ok(flatten(items, true))
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            if self.peek() == Some(&Tok::And) {
                let pos = self.pos();
                self.i += 1;
                self.expect_operand_after("AND", pos)?;
            } else if !self.starts_unary() {
                break;
            }
            items.push(self.unary()?);
        }
        Ok(flatten(items, false))
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        if let Some(tok @ (Tok::Not | Tok::Minus)) = self.peek() {
            let op = if *tok == Tok::Not { "NOT" } else { "`-`" };
            let pos = self.pos();
            self.i += 1;
            self.expect_operand_after(op, pos)?;
            self.enter(pos)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.near()
    }

    fn near(&mut self) -> Result<Node, QueryError> {
        let left_pos = self.pos();
        let mut left = self.primary()?;
        while let Some(&Tok::Near { n, ordered }) = self.peek() {
            let pos = self.pos();
            let op = if ordered { "ONEAR" } else { "NEAR" };
            if !near_operand(&left) {
                return err(left_pos, near_operand_reason(op));
            }
            self.i += 1;
            if !matches!(
                self.peek(),
                Some(Tok::LParen | Tok::Phrase(_) | Tok::Word(_))
            ) {
                return match self.peek() {
                    None => err(pos, format!("{op} needs an operand after it")),
                    Some(_) => err(self.pos(), near_operand_reason(op)),
                };
            }
            let right_pos = self.pos();
            let right = self.primary()?;
            if !near_operand(&right) {
                return err(right_pos, near_operand_reason(op));
            }
            left = Node::Near {
                left: Box::new(left),
                right: Box::new(right),
                n,
                ordered,
            };
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Node, QueryError> {
        let pos = self.pos();
        let Some(tok) = self.peek().cloned() else {
            return err(pos, "expected an operand at the end of the query");
        };
        match tok {
            Tok::LParen => {
                self.i += 1;
                match self.peek() {
                    Some(Tok::RParen) => return err(pos, "empty parentheses"),
                    None => return err(pos, "unclosed `(`"),
                    _ => {}
                }
                self.enter(pos)?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return err(pos, "unclosed `(`");
                }
                self.i += 1;
                Ok(inner)
            }
            Tok::Phrase(text) => {
                self.i += 1;
                self.count_operand(pos)?;
                let words = normalize::normalize_term(&text);
                if words.is_empty() {
                    return err(pos, "empty phrase");
                }
                Ok(Node::Phrase(words.split(' ').map(str::to_string).collect()))
            }
            Tok::Word(word) => {
                self.i += 1;
                self.count_operand(pos)?;
                self.operand(&word, pos)
            }
            Tok::RParen => err(pos, "unmatched `)`"),
            Tok::And | Tok::Or | Tok::Near { .. } => err(
                pos,
                format!("{} needs an operand before it", describe(&tok)),
            ),
            Tok::Not | Tok::Minus => err(pos, format!("unexpected {}", describe(&tok))),
        }
    }

    fn count_operand(&mut self, pos: usize) -> Result<(), QueryError> {
        self.operands += 1;
        if self.operands > self.limits.max_operands {
            return err(
                pos,
                format!(
                    "too many operands: over the limit max_operands = {}",
                    self.limits.max_operands
                ),
            );
        }
        Ok(())
    }

    /// Reads a word operand: term, `=term`, prefix, hashtag, handle or field.
    fn operand(&mut self, word: &str, pos: usize) -> Result<Node, QueryError> {
        if let Some((name, value)) = word.split_once(':') {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) {
                return field(name, value, pos);
            }
        }
        if let Some(star) = word.chars().position(|c| c == '*') {
            if star + 1 != word.chars().count() {
                return err(pos + star, "`*` is only allowed at the end of a term");
            }
            if word.starts_with(['#', '@', '=']) {
                return err(
                    pos,
                    "a wildcard applies to plain words, not to #, @ or = terms",
                );
            }
            self.wildcards += 1;
            if self.wildcards > self.limits.max_wildcards {
                return err(
                    pos,
                    format!(
                        "too many wildcards: over the limit max_wildcards = {}",
                        self.limits.max_wildcards
                    ),
                );
            }
            let prefix = normalize::normalize_term(word.trim_end_matches('*'));
            if prefix.contains(' ') {
                return err(pos, "a wildcard applies to one word");
            }
            if prefix.chars().count() < 3 {
                return err(
                    pos,
                    "a wildcard needs at least 3 letters or digits before `*`",
                );
            }
            return Ok(Node::Prefix(prefix));
        }
        if let Some(body) = word.strip_prefix('#') {
            return Ok(Node::Hashtag(one_token(body, pos, "hashtag")?));
        }
        if let Some(body) = word.strip_prefix('@') {
            return Ok(Node::Handle(one_token(body, pos, "handle")?));
        }
        let (text, fold_diacritics) = match word.strip_prefix('=') {
            Some(body) => (normalize_term_unfolded(body), false),
            None => (normalize::normalize_term(word), true),
        };
        if text.is_empty() {
            return err(pos, format!("term `{word}` has no letters or digits"));
        }
        Ok(Node::Term {
            text,
            fold_diacritics,
        })
    }
}

/// Normalises a hashtag or handle body to one token ("Acme Fail" -> "acmefail").
fn one_token(body: &str, pos: usize, what: &str) -> Result<String, QueryError> {
    let norm: String = normalize::normalize_term(body).split(' ').collect();
    if norm.is_empty() {
        return err(pos, format!("empty {what}"));
    }
    Ok(norm)
}

fn field(name: &str, value: &str, pos: usize) -> Result<Node, QueryError> {
    let vpos = pos + name.chars().count() + 1;
    if value.is_empty() {
        return err(vpos, format!("field `{name}:` needs a value"));
    }
    let lower = value.to_lowercase();
    let f = match name {
        "lang" => Field::Lang(lower),
        "source" => Field::Source(lower),
        "author" => Field::Author(one_token(value.trim_start_matches('@'), vpos, "author")?),
        "site" => Field::Site(lower.trim_start_matches("www.").to_string()),
        "is" => match lower.as_str() {
            "repost" => Field::IsRepost,
            "reply" => Field::IsReply,
            _ => {
                return err(
                    vpos,
                    format!("unknown value `is:{value}` (expected is:repost or is:reply)"),
                )
            }
        },
        _ => {
            return err(
                pos,
                format!("unknown field `{name}` (expected lang, source, author, site or is)"),
            )
        }
    };
    Ok(Node::Field(f))
}

/// Nests `items` under one AND or OR, merging nested nodes of the same kind.
fn flatten(items: Vec<Node>, or: bool) -> Node {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Or(inner) if or => out.extend(inner),
            Node::And(inner) if !or => out.extend(inner),
            other => out.push(other),
        }
    }
    if out.len() == 1 {
        if let Some(only) = out.pop() {
            return only;
        }
    }
    if or {
        Node::Or(out)
    } else {
        Node::And(out)
    }
}

fn near_operand(node: &Node) -> bool {
    match node {
        Node::Term { .. } | Node::Phrase(_) | Node::Prefix(_) => true,
        Node::Or(items) => items.iter().all(near_operand),
        _ => false,
    }
}

fn near_operand_reason(op: &str) -> String {
    format!("{op} operands must be terms, phrases, wildcards or (x OR y) groups of those")
}

/// Whether every mention matching `node` contains one of its positive literals.
fn needs_literal(node: &Node) -> bool {
    match node {
        Node::Term { .. }
        | Node::Phrase(_)
        | Node::Prefix(_)
        | Node::Hashtag(_)
        | Node::Handle(_)
        | Node::Near { .. } => true,
        Node::Field(_) | Node::Not(_) => false,
        Node::And(items) => items.iter().any(needs_literal),
        Node::Or(items) => items.iter().all(needs_literal),
    }
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

// ---------------------------------------------------------------------------------------
// Documents and the reference evaluator

/// What [`eval`] sees of a mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
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

// ---------------------------------------------------------------------------------------
// Unfolded tokens, for `=` terms

/// Like [`normalize::normalize_term`] but lowercase only: diacritics are kept (NFC).
pub(crate) fn normalize_term_unfolded(term: &str) -> String {
    unfolded_tokens(term)
        .iter()
        .map(|t| t.trim_start_matches(['#', '@']))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tokens of [`normalize::token_stream`] with case folded but diacritics kept.
///
/// Both come from the one tokenizer, [`normalize::for_each_token`], so its tokens line up
/// with [`Doc::tokens`]. They could only differ in count for the rare
/// letters whose compatibility decomposition contains a space (Arabic ligatures such as
/// U+FDFA), which affects only `NEAR` over `=` terms.
pub(crate) fn unfolded_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut tok = String::new();
    normalize::for_each_token(text, |kind, raw| {
        tok.clear();
        match kind {
            normalize::TokenKind::Word => {}
            normalize::TokenKind::Hashtag => tok.push('#'),
            normalize::TokenKind::Handle => tok.push('@'),
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
mod tests;
