//! Stage 2: match mentions against every brand's rules in one pass.
//!
//! Every topic of every brand is a boolean query ([`query`]: terms, phrases, `AND` / `OR` /
//! `NOT`, `NEAR/n`, wildcards, hashtags, handles, field filters); the older keyword lists
//! (`keywords`, `hashtags`, `handles`, `exclude`) are shorthand for `(k1 OR k2 OR #tag OR
//! @handle) AND NOT (x1 OR x2)`. Compilation works in two layers:
//!
//! 1. **Literals, one automaton.** The literals of all queries (terms, phrases, wildcard
//!    prefixes, hashtags, handles, positive or under `NOT`) are deduplicated and compiled once
//!    into a single Aho-Corasick automaton over the normalised token stream
//!    ([`normalize::token_stream`]: `" tok tok #tag @handle "`). Patterns are padded with
//!    spaces (`" acme corp "`, and `" refund"` for `refund*`), so they only match whole
//!    words, or word starts for wildcards. A mention is scanned once, whatever the number of
//!    brands.
//! 2. **Boolean part, for candidates only.** Every query has at least one positive literal
//!    (the parser rejects queries that could match without one), so each query gets a
//!    *cover*: a set of its literals one of which every match contains (for `a AND b`, the
//!    side whose literals fewer queries share; for `a OR b`, both sides'). Only the queries
//!    covered by the literals found are evaluated, over the literal hits (with token positions
//!    for `NEAR`) and the mention's metadata for field filters. A mention with no literal hit
//!    costs one tokenisation and one scan.
//! 3. **Patterns.** A `/pattern/` term with required literals
//!    ([`query::Pattern::required`]) is a literal too, found by a second automaton over the
//!    text as written (ASCII case-insensitive; built only when a query has a pattern); a hit
//!    runs the pattern once for the mention, and only a match counts as a literal hit. A
//!    pattern without required literals is a filter, run only when a candidate reaches it.
//!
//! The result is, by construction, what the naive per-query evaluator [`query::eval_with`]
//! says; `tests/matcher_props.rs` checks that on random queries and texts.
//!
//! Semantics (see [`query`] and `docs/rules.md` for the full list): Unicode case folding and
//! diacritic folding (`Nestlé` = `nestle`; `=Nestlé` opts out), possessives dropped (`Acme's`
//! matches `acme`), hashtags and handles are their own tokens (`#AcmeFail` does not match
//! `acme`; `#acme` does unless `matching.keywords_match_hashtags = false`), URLs are never
//! words (use `site:`), provider-extracted hashtags and handles match too.

pub mod reload;
pub mod stage;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::config::{BrandConfig, MatchingConfig, TopicConfig};
use crate::mention::{BrandMatch, Mention};
use crate::record::OwnPost;
use crate::rules::normalize;
use crate::rules::query::{self, Doc, Field, Literal, Node, Options, Pattern};

/// Errors of compiling brand rules.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// A term normalises to nothing (no letters or digits).
    #[error("brand `{brand}`: term `{term}` has no letters or digits to match")]
    EmptyTerm {
        /// Brand id.
        brand: String,
        /// The term as configured.
        term: String,
    },
    /// A topic's query does not parse.
    #[error("brand `{brand}`, topic `{topic}`: query {source}")]
    Query {
        /// Brand id.
        brand: String,
        /// Topic name.
        topic: String,
        /// Position and reason.
        source: query::QueryError,
    },
    /// A topic has nothing that could make it match.
    #[error("brand `{brand}`, topic `{topic}`: no query, keywords, hashtags or handles")]
    EmptyTopic {
        /// Brand id.
        brand: String,
        /// Topic name.
        topic: String,
    },
    /// The automaton could not be built (too many patterns for memory).
    #[error("building the matcher: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

/// The query of a topic: its `query`, OR its keyword lists, AND NOT its and its brand's
/// exclusions.
///
/// # Errors
/// [`MatchError`] for an unparsable query or an empty term.
pub fn topic_query(
    brand: &BrandConfig,
    name: &str,
    topic: &TopicConfig,
    limits: &query::Limits,
) -> Result<Node, MatchError> {
    let term = |t: &str| -> Result<Node, MatchError> {
        keyword_node(t).ok_or_else(|| MatchError::EmptyTerm {
            brand: brand.id.clone(),
            term: t.to_string(),
        })
    };
    let mut include = Vec::new();
    if let Some(q) = &topic.query {
        let parsed = query::parse(q, limits).map_err(|source| MatchError::Query {
            brand: brand.id.clone(),
            topic: name.to_string(),
            source,
        })?;
        include.push(parsed.root);
    }
    for k in &topic.keywords {
        include.push(term(k)?);
    }
    for h in &topic.hashtags {
        include.push(term(&with_marker('#', h))?);
    }
    for h in &topic.handles {
        include.push(term(&with_marker('@', h))?);
    }
    let include = match include.len() {
        0 => {
            return Err(MatchError::EmptyTopic {
                brand: brand.id.clone(),
                topic: name.to_string(),
            })
        }
        1 => include.pop().unwrap_or(Node::Or(Vec::new())),
        _ => Node::Or(include),
    };
    let mut exclude = Vec::new();
    for x in topic.exclude.iter().chain(&brand.exclude) {
        exclude.push(term(x)?);
    }
    Ok(if exclude.is_empty() {
        include
    } else {
        Node::And(vec![include, Node::Not(Box::new(Node::Or(exclude)))])
    })
}

/// A keyword-list entry as a query node: `#tag`, `@handle`, or words (a phrase when several).
fn keyword_node(term: &str) -> Option<Node> {
    let t = term.trim();
    let one_token = |body: &str| -> String { normalize::normalize_term(body).split(' ').collect() };
    let node = if let Some(tag) = t.strip_prefix('#') {
        Node::Hashtag(one_token(tag))
    } else if let Some(handle) = t.strip_prefix('@') {
        Node::Handle(one_token(handle))
    } else {
        Node::Term {
            text: normalize::normalize_term(t),
            fold_diacritics: true,
        }
    };
    match &node {
        Node::Hashtag(s) | Node::Handle(s) | Node::Term { text: s, .. } if s.is_empty() => None,
        _ => Some(node),
    }
}

fn with_marker(marker: char, term: &str) -> String {
    if term.trim().starts_with(marker) {
        term.to_string()
    } else {
        format!("{marker}{}", term.trim())
    }
}

/// A literal as reported in [`BrandMatch::terms`]: its query form (`acme corp`, `"acme
/// corp"`, `refund*`, `#tag`, `@handle`, `=nestlé`).
pub fn literal_display(lit: &Literal) -> String {
    match lit {
        Literal::Term {
            text,
            fold_diacritics: true,
        } => text.clone(),
        Literal::Term { text, .. } => format!("={text}"),
        Literal::Phrase(words) => format!("\"{}\"", words.join(" ")),
        Literal::Prefix(p) => format!("{p}*"),
        Literal::Hashtag(t) => format!("#{t}"),
        Literal::Handle(h) => format!("@{h}"),
        Literal::Pattern(p) => format!("/{}/", p.source().replace('/', "\\/")),
    }
}

/// A query node with its literals replaced by ids into [`Matcher::lits`].
#[derive(Debug)]
enum CNode {
    Lit(u32),
    Field(Field),
    /// A `/pattern/` without required literals (a filter): index into
    /// [`Matcher::filters`].
    Filter(u32),
    And(Vec<CNode>),
    Or(Vec<CNode>),
    Not(Box<CNode>),
    Near {
        left: Vec<u32>,
        right: Vec<u32>,
        n: u32,
        ordered: bool,
    },
}

#[derive(Debug)]
struct LitInfo {
    display: String,
    /// Tokens one occurrence spans.
    tokens: u32,
    /// For `=` terms: the unfolded words an occurrence must equal.
    unfolded: Option<Vec<String>>,
    /// For `/pattern/` terms: the pattern a hit of its required literals must match.
    pattern: Option<Pattern>,
    /// Queries in which this literal is positive (a hit makes them candidates).
    queries: Vec<u32>,
}

#[derive(Debug)]
struct CompiledQuery {
    brand: u32,
    topic: u32,
    root: CNode,
    /// Positive literals, reported as `terms` when they hit.
    positive: Vec<u32>,
}

#[derive(Debug)]
struct BrandMeta {
    id: String,
    topics: Vec<String>,
}

/// Per-mention scratch space, reused across mentions to avoid allocations.
#[derive(Debug, Default)]
pub struct Scratch {
    stream: String,
    /// Byte offset where provider-extracted tags start (no positions there).
    tags_at: usize,
    /// Automaton matches: (pattern, byte offset).
    found: Vec<(u32, u32)>,
    hits: Vec<Hit>,
    candidates: Vec<u32>,
    /// Byte offsets of each token's leading space, computed on demand.
    token_starts: Vec<u32>,
    token_starts_ready: bool,
    raw_tokens: Option<Vec<String>>,
    raw_tags: Option<Vec<String>>,
    meta: Option<Doc>,
    /// `/pattern/` literals already run on this mention.
    patterns_run: Vec<u32>,
    /// Filter patterns already run on this mention, with their answer.
    filters_run: Vec<(u32, bool)>,
}

/// The `at` of a hit that has no place in the token stream (a `/pattern/` match).
const NO_POSITION: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    lit: u32,
    /// Byte offset of the pattern's leading space in the stream.
    at: u32,
}

/// Counters of one compiled rule set, for `rules check` and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleStats {
    /// Brands.
    pub brands: usize,
    /// Topics (queries).
    pub topics: usize,
    /// Distinct literals.
    pub literals: usize,
    /// Distinct automaton patterns.
    pub patterns: usize,
    /// Distinct `/pattern/` terms (regular expressions), prefiltered or filters.
    pub regexes: usize,
    /// Heap bytes of the automata (the token automaton and the patterns' one).
    pub automaton_bytes: usize,
}

/// The compiled rules of all brands.
#[derive(Debug)]
pub struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern, the literals it is an occurrence of.
    pattern_lits: Vec<Vec<u32>>,
    /// The required literals of `/pattern/` terms, over the text as written (`None` when no
    /// query has a pattern), and per automaton pattern the pattern literals it stands for.
    raw_automaton: Option<AhoCorasick>,
    raw_pattern_lits: Vec<Vec<u32>>,
    /// `/pattern/` terms without required literals: filters, run only for candidates.
    filters: Vec<Pattern>,
    lits: Vec<LitInfo>,
    queries: Vec<CompiledQuery>,
    brands: Vec<BrandMeta>,
    /// The brands' own handles (normalised) -> brand id.
    own_handles: HashMap<String, String>,
}

#[derive(Default)]
struct Builder {
    options: Options,
    patterns: Vec<String>,
    pattern_index: HashMap<String, u32>,
    pattern_lits: Vec<Vec<u32>>,
    lit_index: HashMap<Literal, u32>,
    lits: Vec<LitInfo>,
    raw_patterns: Vec<Vec<u8>>,
    raw_pattern_index: HashMap<Vec<u8>, u32>,
    raw_pattern_lits: Vec<Vec<u32>>,
    filters: Vec<Pattern>,
}

impl Builder {
    fn pattern(&mut self, pattern: String, lit: u32) {
        let id = *self
            .pattern_index
            .entry(pattern.clone())
            .or_insert_with(|| {
                self.patterns.push(pattern);
                self.pattern_lits.push(Vec::new());
                (self.pattern_lits.len() - 1) as u32
            });
        let lits = &mut self.pattern_lits[id as usize];
        if !lits.contains(&lit) {
            lits.push(lit);
        }
    }

    /// A required literal of a `/pattern/` literal, for the automaton over the text as written.
    fn raw_pattern(&mut self, literal: &[u8], lit: u32) {
        let id = match self.raw_pattern_index.get(literal) {
            Some(&id) => id,
            None => {
                let id = self.raw_patterns.len() as u32;
                self.raw_patterns.push(literal.to_vec());
                self.raw_pattern_lits.push(Vec::new());
                self.raw_pattern_index.insert(literal.to_vec(), id);
                id
            }
        };
        let lits = &mut self.raw_pattern_lits[id as usize];
        if !lits.contains(&lit) {
            lits.push(lit);
        }
    }

    fn filter(&mut self, pattern: &Pattern) -> u32 {
        match self.filters.iter().position(|f| f == pattern) {
            Some(i) => i as u32,
            None => {
                self.filters.push(pattern.clone());
                (self.filters.len() - 1) as u32
            }
        }
    }

    fn literal(&mut self, lit: Literal) -> u32 {
        if let Some(&id) = self.lit_index.get(&lit) {
            return id;
        }
        let id = self.lits.len() as u32;
        let tags = self.options.terms_match_hashtags;
        let (tokens, unfolded) = match &lit {
            Literal::Term {
                text,
                fold_diacritics,
            } => {
                let folded = if *fold_diacritics {
                    text.clone()
                } else {
                    normalize::normalize_term(text)
                };
                let words = folded.split(' ').count() as u32;
                if words == 1 && tags {
                    self.pattern(format!(" #{folded} "), id);
                }
                self.pattern(format!(" {folded} "), id);
                let unfolded =
                    (!*fold_diacritics).then(|| text.split(' ').map(str::to_string).collect());
                (words, unfolded)
            }
            Literal::Phrase(words) => {
                self.pattern(format!(" {} ", words.join(" ")), id);
                (words.len() as u32, None)
            }
            Literal::Prefix(p) => {
                if tags {
                    self.pattern(format!(" #{p}"), id);
                }
                self.pattern(format!(" {p}"), id);
                (1, None)
            }
            Literal::Hashtag(t) => {
                self.pattern(format!(" #{t} "), id);
                (1, None)
            }
            Literal::Handle(h) => {
                self.pattern(format!(" @{h} "), id);
                (1, None)
            }
            Literal::Pattern(p) => {
                for required in p.required().unwrap_or_default() {
                    self.raw_pattern(required, id);
                }
                // No token position: never a NEAR operand.
                (0, None)
            }
        };
        let pattern = match &lit {
            Literal::Pattern(p) => Some(p.clone()),
            _ => None,
        };
        self.lits.push(LitInfo {
            display: literal_display(&lit),
            tokens,
            unfolded,
            pattern,
            queries: Vec::new(),
        });
        self.lit_index.insert(lit, id);
        id
    }

    /// Compiles `node`; `positive` collects the literals not under a `NOT`.
    fn node(&mut self, node: &Node, negated: bool, positive: &mut Vec<u32>) -> CNode {
        let mut leaf = |b: &mut Self, lit: Literal| {
            let id = b.literal(lit);
            if !negated && !positive.contains(&id) {
                positive.push(id);
            }
            id
        };
        match node {
            Node::Field(f) => CNode::Field(f.clone()),
            Node::Pattern(p) if p.required().is_none() => CNode::Filter(self.filter(p)),
            Node::And(items) => CNode::And(
                items
                    .iter()
                    .map(|n| self.node(n, negated, positive))
                    .collect(),
            ),
            Node::Or(items) => CNode::Or(
                items
                    .iter()
                    .map(|n| self.node(n, negated, positive))
                    .collect(),
            ),
            Node::Not(inner) => CNode::Not(Box::new(self.node(inner, !negated, positive))),
            Node::Near {
                left,
                right,
                n,
                ordered,
            } => {
                let mut l = Vec::new();
                self.near_side(left, negated, positive, &mut l);
                let mut r = Vec::new();
                self.near_side(right, negated, positive, &mut r);
                CNode::Near {
                    left: l,
                    right: r,
                    n: *n,
                    ordered: *ordered,
                }
            }
            // Terms, phrases, wildcards, hashtags and handles (`literal()` is `Some` for
            // exactly these).
            leaf_node => match leaf_node.literal() {
                Some(lit) => CNode::Lit(leaf(self, lit)),
                None => CNode::Or(Vec::new()),
            },
        }
    }

    /// The literal ids of a `NEAR` operand (a literal or an OR of literals).
    fn near_side(
        &mut self,
        node: &Node,
        negated: bool,
        positive: &mut Vec<u32>,
        out: &mut Vec<u32>,
    ) {
        match node {
            Node::Or(items) => {
                for n in items {
                    self.near_side(n, negated, positive, out);
                }
            }
            other => {
                if let CNode::Lit(id) = self.node(other, negated, positive) {
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
        }
    }
}

impl Matcher {
    /// Compiles the rules of `brands`.
    ///
    /// # Errors
    /// [`MatchError`] when a query does not parse, a term is empty after normalisation, or
    /// the automaton cannot be built.
    pub fn new(brands: &[BrandConfig], options: &MatchingConfig) -> Result<Self, MatchError> {
        let mut b = Builder {
            options: options.query_options(),
            ..Builder::default()
        };
        let limits = options.limits();
        let mut metas = Vec::with_capacity(brands.len());
        let mut queries = Vec::new();
        // Sorted by id so that output order is stable.
        let mut order: Vec<&BrandConfig> = brands.iter().collect();
        order.sort_by(|x, y| x.id.cmp(&y.id));
        for (bi, brand) in order.into_iter().enumerate() {
            let mut topics = Vec::with_capacity(brand.topics.len());
            for (ti, (name, topic)) in brand.topics.iter().enumerate() {
                let node = topic_query(brand, name, topic, &limits)?;
                let mut positive = Vec::new();
                let root = b.node(&node, false, &mut positive);
                queries.push(CompiledQuery {
                    brand: bi as u32,
                    topic: ti as u32,
                    root,
                    positive,
                });
                topics.push(name.clone());
            }
            metas.push(BrandMeta {
                id: brand.id.clone(),
                topics,
            });
        }
        // Triggers: each query is a candidate only when one of its cover literals hits (see
        // `cover`). Covers prefer rare literals, so `acme AND refund*` waits for `acme`, not
        // for the `refund*` that a thousand brands' complaint topics share.
        let mut freq = vec![0u32; b.lits.len()];
        for q in &queries {
            for &lit in &q.positive {
                freq[lit as usize] += 1;
            }
        }
        for (qid, q) in queries.iter().enumerate() {
            let triggers = cover(&q.root, &freq).unwrap_or_else(|| q.positive.clone());
            for lit in triggers {
                let qs = &mut b.lits[lit as usize].queries;
                if qs.last() != Some(&(qid as u32)) {
                    qs.push(qid as u32);
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&b.patterns)?;
        let raw_automaton = if b.raw_patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .ascii_case_insensitive(true)
                    .build(&b.raw_patterns)?,
            )
        };
        Ok(Self {
            automaton,
            pattern_lits: b.pattern_lits,
            raw_automaton,
            raw_pattern_lits: b.raw_pattern_lits,
            filters: b.filters,
            lits: b.lits,
            queries,
            brands: metas,
            own_handles: brands
                .iter()
                .flat_map(|b| {
                    b.own_handles
                        .iter()
                        .map(|h| (crate::config::normalize_handle(h), b.id.clone()))
                })
                .collect(),
        })
    }

    /// The brand whose own handle posted `mention`, and what it replied to.
    pub fn own_post(&self, mention: &Mention) -> Option<OwnPost> {
        if self.own_handles.is_empty() {
            return None;
        }
        let handle = mention.author.as_ref()?.handle.as_deref()?;
        let brand = self
            .own_handles
            .get(&crate::config::normalize_handle(handle))?;
        Some(OwnPost {
            brand: brand.clone(),
            reply_to: mention.reply_to.as_ref().map(|r| r.id.clone()),
            created_at: mention.created_at,
        })
    }

    /// Number of brands.
    pub fn brand_count(&self) -> usize {
        self.brands.len()
    }

    /// Brand ids, sorted.
    pub fn brand_ids(&self) -> impl Iterator<Item = &str> {
        self.brands.iter().map(|b| b.id.as_str())
    }

    /// Number of distinct compiled patterns.
    pub fn pattern_count(&self) -> usize {
        self.pattern_lits.len()
    }

    /// Sizes of the compiled rule set.
    pub fn stats(&self) -> RuleStats {
        RuleStats {
            brands: self.brands.len(),
            topics: self.queries.len(),
            literals: self.lits.len(),
            patterns: self.pattern_lits.len(),
            regexes: self.lits.iter().filter(|l| l.pattern.is_some()).count() + self.filters.len(),
            automaton_bytes: self.automaton.memory_usage()
                + self
                    .raw_automaton
                    .as_ref()
                    .map_or(0, AhoCorasick::memory_usage),
        }
    }

    /// The brands `mention` matches, sorted by brand id.
    pub fn matches(&self, mention: &Mention) -> Vec<BrandMatch> {
        self.matches_with(mention, &mut Scratch::default())
    }

    /// Like [`matches`](Self::matches), reusing `scratch` across calls.
    pub fn matches_with(&self, mention: &Mention, scratch: &mut Scratch) -> Vec<BrandMatch> {
        let s = scratch;
        normalize::token_stream(&mention.text, &mut s.stream);
        s.tags_at = s.stream.len();
        if !mention.hashtags.is_empty() || !mention.user_mentions.is_empty() {
            // A separator token that no pattern contains keeps phrases from spanning it.
            s.stream.push_str("| ");
            for tag in &mention.hashtags {
                s.stream.push('#');
                s.stream
                    .push_str(&normalize::normalize_term(tag).replace(' ', ""));
                s.stream.push(' ');
            }
            for handle in &mention.user_mentions {
                s.stream.push('@');
                s.stream
                    .push_str(&normalize::normalize_term(handle).replace(' ', ""));
                s.stream.push(' ');
            }
        }
        s.hits.clear();
        s.candidates.clear();
        s.token_starts_ready = false;
        s.raw_tokens = None;
        s.raw_tags = None;
        s.meta = None;
        s.patterns_run.clear();
        s.filters_run.clear();
        s.found.clear();
        for m in self.automaton.find_overlapping_iter(s.stream.as_str()) {
            s.found.push((m.pattern().as_u32(), m.start() as u32));
        }
        if let Some(raw) = &self.raw_automaton {
            self.pattern_hits(raw, mention, s);
        }
        for fi in 0..s.found.len() {
            let (pattern, at) = s.found[fi];
            for &lit in &self.pattern_lits[pattern as usize] {
                let info = &self.lits[lit as usize];
                if info.unfolded.is_some() && !verify_unfolded(info, at, mention, s) {
                    continue;
                }
                s.hits.push(Hit { lit, at });
                s.candidates.extend_from_slice(&info.queries);
            }
        }
        if s.candidates.is_empty() {
            return Vec::new();
        }
        s.hits.sort_unstable();
        s.hits.dedup();
        s.candidates.sort_unstable();
        s.candidates.dedup();

        let mut out: Vec<BrandMatch> = Vec::new();
        let candidates = std::mem::take(&mut s.candidates);
        for &qid in &candidates {
            let q = &self.queries[qid as usize];
            if !self.eval(&q.root, mention, s) {
                continue;
            }
            let meta = &self.brands[q.brand as usize];
            if out.last().is_none_or(|m| m.brand != meta.id) {
                out.push(BrandMatch {
                    brand: meta.id.clone(),
                    topics: Vec::new(),
                    terms: Vec::new(),
                });
            }
            if let Some(m) = out.last_mut() {
                m.topics.push(meta.topics[q.topic as usize].clone());
                for &lit in &q.positive {
                    if has_hit(&s.hits, lit) {
                        m.terms.push(self.lits[lit as usize].display.clone());
                    }
                }
            }
        }
        s.candidates = candidates;
        for m in &mut out {
            m.topics.sort_unstable();
            m.terms.sort_unstable();
            m.terms.dedup();
        }
        out
    }

    fn eval(&self, node: &CNode, mention: &Mention, s: &mut Scratch) -> bool {
        match node {
            CNode::Lit(id) => has_hit(&s.hits, *id),
            CNode::Filter(i) => {
                if let Some(&(_, answer)) = s.filters_run.iter().find(|(f, _)| f == i) {
                    return answer;
                }
                let answer = self.filters[*i as usize].is_match(&mention.text);
                s.filters_run.push((*i, answer));
                answer
            }
            CNode::Field(f) => {
                let meta = s.meta.get_or_insert_with(|| Doc::meta_of(mention));
                query::eval_field(f, meta)
            }
            CNode::And(items) => items.iter().all(|n| self.eval(n, mention, s)),
            CNode::Or(items) => items.iter().any(|n| self.eval(n, mention, s)),
            CNode::Not(inner) => !self.eval(inner, mention, s),
            CNode::Near {
                left,
                right,
                n,
                ordered,
            } => {
                let a = self.spans(left, s);
                let b = self.spans(right, s);
                let n = *n;
                a.iter().any(|&(s1, e1)| {
                    b.iter().any(|&(s2, e2)| {
                        (e1 <= s2 && s2 - e1 <= n) || (!*ordered && e2 <= s1 && s1 - e2 <= n)
                    })
                })
            }
        }
    }

    /// Hits of `/pattern/` literals: a required literal found in the text as written makes the
    /// pattern run (once per mention); a match is a hit without a token position.
    fn pattern_hits(&self, raw: &AhoCorasick, mention: &Mention, s: &mut Scratch) {
        for m in raw.find_overlapping_iter(mention.text.as_str()) {
            for &lit in &self.raw_pattern_lits[m.pattern().as_usize()] {
                if s.patterns_run.contains(&lit) {
                    continue;
                }
                s.patterns_run.push(lit);
                let info = &self.lits[lit as usize];
                if info
                    .pattern
                    .as_ref()
                    .is_some_and(|p| p.is_match(&mention.text))
                {
                    s.hits.push(Hit {
                        lit,
                        at: NO_POSITION,
                    });
                    s.candidates.extend_from_slice(&info.queries);
                }
            }
        }
    }

    /// Token spans `[start, end)` of the positional hits of `lits`.
    fn spans(&self, lits: &[u32], s: &mut Scratch) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for &lit in lits {
            let from = s.hits.partition_point(|h| h.lit < lit);
            let to = s.hits.partition_point(|h| h.lit <= lit);
            for i in from..to {
                let at = s.hits[i].at;
                if (at as usize) < s.tags_at {
                    let start = token_index(s, at);
                    out.push((start, start + self.lits[lit as usize].tokens));
                }
            }
        }
        out
    }
}

/// A set of positive literals one of which every match of `node` contains (`None` when
/// there is no such set, e.g. for `NOT x` or a field). For an AND, the operand whose cover
/// is cheapest (fewest queries sharing its literals) is enough.
fn cover(node: &CNode, freq: &[u32]) -> Option<Vec<u32>> {
    let cost = |c: &[u32]| -> u64 { c.iter().map(|&l| u64::from(freq[l as usize])).sum() };
    match node {
        CNode::Lit(id) => Some(vec![*id]),
        CNode::Field(_) | CNode::Filter(_) | CNode::Not(_) => None,
        CNode::Or(items) => {
            let mut out = Vec::new();
            for n in items {
                out.extend(cover(n, freq)?);
            }
            out.sort_unstable();
            out.dedup();
            Some(out)
        }
        CNode::And(items) => items
            .iter()
            .filter_map(|n| cover(n, freq))
            .min_by_key(|c| (cost(c), c.len())),
        CNode::Near { left, right, .. } => Some(
            if cost(left) <= cost(right) {
                left
            } else {
                right
            }
            .clone(),
        ),
    }
}

fn has_hit(hits: &[Hit], lit: u32) -> bool {
    let i = hits.partition_point(|h| h.lit < lit);
    hits.get(i).is_some_and(|h| h.lit == lit)
}

/// Index of the token whose leading space is at byte `at` of the stream.
fn token_index(s: &mut Scratch, at: u32) -> u32 {
    if !s.token_starts_ready {
        s.token_starts.clear();
        let bytes = &s.stream.as_bytes()[..s.tags_at];
        // Every token is preceded by one space; the final space closes the last token.
        for (i, &c) in bytes.iter().enumerate() {
            if c == b' ' && i + 1 < bytes.len() {
                s.token_starts.push(i as u32);
            }
        }
        s.token_starts_ready = true;
    }
    s.token_starts.partition_point(|&p| p < at) as u32
}

/// Whether a hit of an `=` term at `at` is an occurrence with the diacritics it asks for.
fn verify_unfolded(info: &LitInfo, at: u32, mention: &Mention, s: &mut Scratch) -> bool {
    let Some(words) = &info.unfolded else {
        return true;
    };
    if (at as usize) >= s.tags_at {
        // A provider-extracted hashtag: one-word terms only.
        let raw_tags = s.raw_tags.get_or_insert_with(|| {
            mention
                .hashtags
                .iter()
                .map(|t| normalize::normalize_term_unfolded(t).split(' ').collect())
                .collect()
        });
        return words.len() == 1 && raw_tags.iter().any(|t| *t == words[0]);
    }
    let i = token_index(s, at) as usize;
    let raw = s
        .raw_tokens
        .get_or_insert_with(|| normalize::unfolded_tokens(&mention.text));
    match words.as_slice() {
        [word] => raw
            .get(i)
            .is_some_and(|t| t == word || t.strip_prefix('#') == Some(word.as_str())),
        _ => raw
            .get(i..i + words.len())
            .is_some_and(|toks| toks.iter().zip(words).all(|(t, w)| t == w)),
    }
}

#[cfg(test)]
mod tests;

/// What a topic's query looks at, for `brandpulse rules check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicSummary {
    /// Positive literals in query form (any of them makes the topic a candidate).
    pub positive: Vec<String>,
    /// Literals under a `NOT` (exclusions).
    pub negative: usize,
    /// `NEAR` / `ONEAR` operators.
    pub near: usize,
    /// Field filters.
    pub fields: usize,
    /// `/pattern/` filters (patterns without required literals; the others are in
    /// `positive`).
    pub pattern_filters: usize,
}

impl TopicSummary {
    /// Summarises `node` (see [`topic_query`]).
    pub fn of(node: &Node) -> Self {
        fn walk(node: &Node, negated: bool, s: &mut TopicSummary) {
            if let Some(lit) = node.literal() {
                if negated {
                    s.negative += 1;
                } else {
                    let d = literal_display(&lit);
                    if !s.positive.contains(&d) {
                        s.positive.push(d);
                    }
                }
                return;
            }
            match node {
                Node::Field(_) => s.fields += 1,
                Node::Pattern(_) => s.pattern_filters += 1,
                Node::And(items) | Node::Or(items) => {
                    items.iter().for_each(|n| walk(n, negated, s))
                }
                Node::Not(inner) => walk(inner, !negated, s),
                Node::Near { left, right, .. } => {
                    s.near += 1;
                    walk(left, negated, s);
                    walk(right, negated, s);
                }
                // Literals, handled above.
                _ => {}
            }
        }
        let mut s = Self::default();
        walk(node, false, &mut s);
        s
    }
}

impl std::fmt::Display for TopicSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} term(s) [{}]",
            self.positive.len(),
            self.positive.join(", ")
        )?;
        if self.negative > 0 {
            write!(f, ", {} excluded", self.negative)?;
        }
        if self.near > 0 {
            write!(f, ", {} NEAR", self.near)?;
        }
        if self.fields > 0 {
            write!(f, ", {} field filter(s)", self.fields)?;
        }
        if self.pattern_filters > 0 {
            write!(f, ", {} pattern filter(s)", self.pattern_filters)?;
        }
        Ok(())
    }
}
