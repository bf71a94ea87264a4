//! The query parser: tokens to a [`Query`], with the limits enforced and every query
//! checked to need a positive literal (see the module docs of [`super`]).

use super::lexer::{describe, lex, Tok};
use super::pattern::Pattern;
use super::{err, Field, Limits, Node, Query, QueryError};
use crate::rules::normalize;
use crate::rules::normalize::normalize_term_unfolded;

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
        patterns: 0,
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
             hashtag, handle, phrase or selective /pattern/ outside NOT)",
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
    patterns: usize,
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
            Some(
                Tok::LParen
                    | Tok::Not
                    | Tok::Minus
                    | Tok::Phrase(_)
                    | Tok::Pattern(_)
                    | Tok::Word(_)
            )
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
            Tok::Pattern(source) => {
                self.i += 1;
                self.count_operand(pos)?;
                self.patterns += 1;
                if self.patterns > self.limits.max_patterns {
                    return err(
                        pos,
                        format!(
                            "too many patterns: over the limit max_patterns = {}",
                            self.limits.max_patterns
                        ),
                    );
                }
                Ok(Node::Pattern(Pattern::compile(
                    &source,
                    pos,
                    self.limits.pattern_size_limit,
                )?))
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
pub(super) fn needs_literal(node: &Node) -> bool {
    match node {
        Node::Term { .. }
        | Node::Phrase(_)
        | Node::Prefix(_)
        | Node::Hashtag(_)
        | Node::Handle(_)
        | Node::Near { .. } => true,
        Node::Pattern(p) => p.required().is_some(),
        Node::Field(_) | Node::Not(_) => false,
        Node::And(items) => items.iter().any(needs_literal),
        Node::Or(items) => items.iter().all(needs_literal),
    }
}
