//! `[[brands]]`: each brand's id, exclusions and topics, and the check of their terms and
//! queries.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::helpers::invalid;
use super::ConfigError;

/// One brand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    /// Stable id: the output key and the `brand` metric label. `[a-z0-9_-]`, at most 64 chars.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Terms that rule the brand out wherever they appear (e.g. `acme plumbing`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Named topics: the brand, its products, people, campaigns. At least one.
    pub topics: BTreeMap<String, TopicConfig>,
    /// Leave spam out of this brand's metrics and alerts (default: `screen.exclude_spam`).
    #[serde(default)]
    pub exclude_spam: Option<bool>,
    /// The brand's own accounts (with or without `@`, any case): a post by one of them that
    /// replies to an inbox mention marks it answered, and their posts never go to the inbox.
    /// A handle belongs to one brand.
    #[serde(default)]
    pub own_handles: Vec<String>,
}

/// A handle as the inbox compares them: without a leading `@`, lowercase.
pub fn normalize_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

/// The rules of one topic of a brand. The topic matches when its query or any of its
/// keywords, hashtags or handles matches, and none of its (or its brand's) exclusions does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    /// A boolean query (see `docs/rules.md`): `acme AND (refund* OR "money back") -lawsuit`.
    #[serde(default)]
    pub query: Option<String>,
    /// Words and phrases, matched whole-word, case- and diacritics-insensitively.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Hashtags, with or without the leading `#`.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Handles, with or without the leading `@`.
    #[serde(default)]
    pub handles: Vec<String>,
    /// Terms that rule this topic out.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl BrandConfig {
    /// Checks the brand's id, topics, terms and queries.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field (`{path}.topics.NAME.query`) and the reason.
    pub fn validate(
        &self,
        path: &str,
        limits: &crate::rules::query::Limits,
    ) -> Result<(), ConfigError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !id_ok {
            return Err(invalid(
                format!("{path}.id"),
                format!("`{}` must be 1-64 characters of [a-z0-9_-]", self.id),
            ));
        }
        if self.topics.is_empty() {
            return Err(invalid(
                format!("{path}.topics"),
                "a brand needs at least one topic, e.g. [brands.topics.brand] keywords = [\"acme\"]",
            ));
        }
        check_terms(&format!("{path}.exclude"), &self.exclude)?;
        for (i, h) in self.own_handles.iter().enumerate() {
            let n = normalize_handle(h);
            let ok = (1..=64).contains(&n.chars().count())
                && n.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
            if !ok {
                return Err(invalid(
                    format!("{path}.own_handles[{i}]"),
                    format!("`{h}` is not a handle (1-64 letters, digits, `_` or `.`, after an optional `@`)"),
                ));
            }
        }
        for (name, topic) in &self.topics {
            let tpath = format!("{path}.topics.{name}");
            if name.is_empty() || name.len() > 64 {
                return Err(invalid(tpath, "topic names must be 1-64 characters"));
            }
            if topic.query.is_none()
                && topic.keywords.is_empty()
                && topic.hashtags.is_empty()
                && topic.handles.is_empty()
            {
                return Err(invalid(
                    tpath,
                    "has no query, keywords, hashtags or handles, so it can never match",
                ));
            }
            if let Some(q) = &topic.query {
                crate::rules::query::parse(q, limits)
                    .map_err(|e| invalid(format!("{tpath}.query"), e.to_string()))?;
            }
            check_terms(&format!("{tpath}.keywords"), &topic.keywords)?;
            check_terms(&format!("{tpath}.hashtags"), &topic.hashtags)?;
            check_terms(&format!("{tpath}.handles"), &topic.handles)?;
            check_terms(&format!("{tpath}.exclude"), &topic.exclude)?;
        }
        Ok(())
    }
}

fn check_terms(path: &str, terms: &[String]) -> Result<(), ConfigError> {
    for (i, term) in terms.iter().enumerate() {
        if crate::rules::normalize::normalize_term(term).is_empty() {
            return Err(invalid(
                format!("{path}[{i}]"),
                format!("`{term}` has no letters or digits to match"),
            ));
        }
    }
    Ok(())
}
