//! Stage 2: match mentions against every brand's rules in one pass.
//!
//! All brands' terms are compiled once into a single Aho-Corasick automaton over the
//! normalised token stream (see [`normalize`]); a mention is scanned once, whatever the
//! number of brands. Patterns are padded with spaces, so they only match whole words.
//!
//! Semantics (first version; the full query language comes later):
//! - a topic matches when one of its keywords, hashtags or handles occurs and none of its
//!   exclusions, nor its brand's, does;
//! - one-word keywords also match the same word as a hashtag unless
//!   `matching.keywords_match_hashtags = false` (`acme` matches `#acme`, not `#acmefail`);
//! - handles and URLs never match plain keywords (`@acme` is not the word `acme`);
//! - provider-extracted hashtags and handles are appended to the stream, so they match
//!   even when a provider shortened the text.

pub mod normalize;
pub mod query;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::config::{BrandConfig, MatchingConfig};
use crate::mention::{BrandMatch, Mention};

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
    /// The automaton could not be built (too many patterns for memory).
    #[error("building the matcher: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The term makes `topic` match.
    Include { topic: u32 },
    /// The term rules out `topic`.
    ExcludeTopic { topic: u32 },
    /// The term rules out the whole brand.
    ExcludeBrand,
}

#[derive(Debug, Clone, Copy)]
struct Target {
    brand: u32,
    role: Role,
    /// Index into `Matcher::terms`.
    term: u32,
}

#[derive(Debug)]
struct BrandMeta {
    id: String,
    topics: Vec<String>,
}

/// The compiled rules of all brands.
#[derive(Debug)]
pub struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern, who it belongs to.
    targets: Vec<Vec<Target>>,
    brands: Vec<BrandMeta>,
    /// Terms as written in the config.
    terms: Vec<String>,
}

struct Builder {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
    targets: Vec<Vec<Target>>,
    terms: Vec<String>,
    keywords_match_hashtags: bool,
}

impl Builder {
    fn add_pattern(&mut self, pattern: String, target: Target) {
        let id = *self.index.entry(pattern.clone()).or_insert_with(|| {
            self.patterns.push(pattern);
            self.targets.push(Vec::new());
            self.targets.len() - 1
        });
        self.targets[id].push(target);
    }

    fn term_id(&mut self, term: &str) -> u32 {
        self.terms.push(term.to_string());
        (self.terms.len() - 1) as u32
    }

    /// A keyword (or exclusion): whole words; a one-word keyword also as a hashtag.
    /// A term written `#tag` or `@handle` is taken as such.
    fn add_term(
        &mut self,
        brand_id: &str,
        brand: u32,
        role: Role,
        term: &str,
    ) -> Result<(), MatchError> {
        let trimmed = term.trim();
        if let Some(tag) = trimmed.strip_prefix('#') {
            return self.add_marked(brand_id, brand, role, term, '#', tag);
        }
        if let Some(handle) = trimmed.strip_prefix('@') {
            return self.add_marked(brand_id, brand, role, term, '@', handle);
        }
        let norm = normalize::normalize_term(trimmed);
        if norm.is_empty() {
            return Err(MatchError::EmptyTerm {
                brand: brand_id.into(),
                term: term.into(),
            });
        }
        let t = self.term_id(term);
        let target = Target {
            brand,
            role,
            term: t,
        };
        if self.keywords_match_hashtags && !norm.contains(' ') {
            self.add_pattern(format!(" #{norm} "), target);
        }
        self.add_pattern(format!(" {norm} "), target);
        Ok(())
    }

    fn add_marked(
        &mut self,
        brand_id: &str,
        brand: u32,
        role: Role,
        term: &str,
        marker: char,
        body: &str,
    ) -> Result<(), MatchError> {
        // Tags and handles are one token: drop inner separators ("#Acme Fail" -> "#acmefail").
        let norm: String = normalize::normalize_term(body).split(' ').collect();
        if norm.is_empty() {
            return Err(MatchError::EmptyTerm {
                brand: brand_id.into(),
                term: term.into(),
            });
        }
        let t = self.term_id(term);
        self.add_pattern(
            format!(" {marker}{norm} "),
            Target {
                brand,
                role,
                term: t,
            },
        );
        Ok(())
    }
}

fn with_marker(marker: char, term: &str) -> String {
    if term.trim().starts_with(marker) {
        term.to_string()
    } else {
        format!("{marker}{}", term.trim())
    }
}

impl Matcher {
    /// Compiles the rules of `brands`.
    ///
    /// # Errors
    /// [`MatchError`] when a term is empty after normalisation or the automaton cannot be built.
    pub fn new(brands: &[BrandConfig], options: &MatchingConfig) -> Result<Self, MatchError> {
        let mut b = Builder {
            patterns: Vec::new(),
            index: HashMap::new(),
            targets: Vec::new(),
            terms: Vec::new(),
            keywords_match_hashtags: options.keywords_match_hashtags,
        };
        let mut metas = Vec::with_capacity(brands.len());
        // Sorted by id so that output order is stable.
        let mut order: Vec<&BrandConfig> = brands.iter().collect();
        order.sort_by(|x, y| x.id.cmp(&y.id));
        for (bi, brand) in order.into_iter().enumerate() {
            let bi = bi as u32;
            for term in &brand.exclude {
                b.add_term(&brand.id, bi, Role::ExcludeBrand, term)?;
            }
            let mut topics = Vec::with_capacity(brand.topics.len());
            for (ti, (name, topic)) in brand.topics.iter().enumerate() {
                let ti = ti as u32;
                topics.push(name.clone());
                for kw in &topic.keywords {
                    b.add_term(&brand.id, bi, Role::Include { topic: ti }, kw)?;
                }
                for tag in &topic.hashtags {
                    b.add_term(
                        &brand.id,
                        bi,
                        Role::Include { topic: ti },
                        &with_marker('#', tag),
                    )?;
                }
                for handle in &topic.handles {
                    b.add_term(
                        &brand.id,
                        bi,
                        Role::Include { topic: ti },
                        &with_marker('@', handle),
                    )?;
                }
                for ex in &topic.exclude {
                    b.add_term(&brand.id, bi, Role::ExcludeTopic { topic: ti }, ex)?;
                }
            }
            metas.push(BrandMeta {
                id: brand.id.clone(),
                topics,
            });
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&b.patterns)?;
        Ok(Self {
            automaton,
            targets: b.targets,
            brands: metas,
            terms: b.terms,
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
        self.targets.len()
    }

    /// The brands `mention` matches, sorted by brand id.
    pub fn matches(&self, mention: &Mention) -> Vec<BrandMatch> {
        let mut stream = String::with_capacity(mention.text.len() + 16);
        self.matches_with(mention, &mut stream)
    }

    /// Like [`matches`](Self::matches), reusing `stream` as scratch space.
    pub fn matches_with(&self, mention: &Mention, stream: &mut String) -> Vec<BrandMatch> {
        normalize::token_stream(&mention.text, stream);
        if !mention.hashtags.is_empty() || !mention.user_mentions.is_empty() {
            // A separator token that no pattern contains keeps phrases from spanning it.
            stream.push_str("| ");
            for tag in &mention.hashtags {
                stream.push('#');
                stream.push_str(&normalize::normalize_term(tag).replace(' ', ""));
                stream.push(' ');
            }
            for handle in &mention.user_mentions {
                stream.push('@');
                stream.push_str(&normalize::normalize_term(handle).replace(' ', ""));
                stream.push(' ');
            }
        }
        let mut hits: Vec<Target> = Vec::new();
        for m in self.automaton.find_overlapping_iter(stream.as_str()) {
            hits.extend_from_slice(&self.targets[m.pattern().as_usize()]);
        }
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_by_key(|t| (t.brand, t.term));
        let mut out = Vec::new();
        for group in hits.chunk_by(|a, b| a.brand == b.brand) {
            if group.iter().any(|t| t.role == Role::ExcludeBrand) {
                continue;
            }
            let meta = &self.brands[group[0].brand as usize];
            let excluded: Vec<u32> = group
                .iter()
                .filter_map(|t| match t.role {
                    Role::ExcludeTopic { topic } => Some(topic),
                    _ => None,
                })
                .collect();
            let mut topics: Vec<&str> = Vec::new();
            let mut terms: Vec<&str> = Vec::new();
            for t in group {
                if let Role::Include { topic } = t.role {
                    if !excluded.contains(&topic) {
                        topics.push(&meta.topics[topic as usize]);
                        terms.push(&self.terms[t.term as usize]);
                    }
                }
            }
            if topics.is_empty() {
                continue;
            }
            topics.sort_unstable();
            topics.dedup();
            terms.sort_unstable();
            terms.dedup();
            out.push(BrandMatch {
                brand: meta.id.clone(),
                topics: topics.into_iter().map(str::to_string).collect(),
                terms: terms.into_iter().map(str::to_string).collect(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
