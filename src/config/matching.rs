//! `[matching]`: options and limits of the brands' rules, and the reload poll.

use std::time::Duration;

use serde::Deserialize;

use super::helpers::{duration_in, in_range, invalid, secs};
use super::ConfigError;

/// Matching options shared by all brands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingConfig {
    /// Whether a one-word keyword (or query term, or wildcard) also matches the same word as
    /// a hashtag (`acme` matches `#acme`, never `#acmefail`).
    #[serde(default = "default_true")]
    pub keywords_match_hashtags: bool,
    /// Most operands (terms, phrases, wildcards, hashtags, handles, fields) in one query.
    #[serde(default = "default_max_operands")]
    pub max_operands: usize,
    /// Largest `n` in `NEAR/n` and `ONEAR/n`.
    #[serde(default = "default_max_near_distance")]
    pub max_near_distance: u32,
    /// Most wildcards (`refund*`) in one query.
    #[serde(default = "default_max_wildcards")]
    pub max_wildcards: usize,
    /// Most `/pattern/` terms (regular expressions) in one query.
    #[serde(default = "default_max_patterns")]
    pub max_patterns: usize,
    /// Largest compiled size of one `/pattern/`, in bytes; its lazy DFA's cache is bounded
    /// the same. Counted in the memory budget for every pattern of every brand.
    #[serde(default = "default_regex_size_limit")]
    pub regex_size_limit: usize,
    /// Poll the config file every this often and reload the rules when it changed
    /// (`0s` turns polling off; SIGHUP always reloads).
    #[serde(default = "default_reload_poll", with = "humantime_serde")]
    pub reload_poll: Duration,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            keywords_match_hashtags: true,
            max_operands: default_max_operands(),
            max_near_distance: default_max_near_distance(),
            max_wildcards: default_max_wildcards(),
            max_patterns: default_max_patterns(),
            regex_size_limit: default_regex_size_limit(),
            reload_poll: default_reload_poll(),
        }
    }
}

impl MatchingConfig {
    /// Query evaluation options.
    pub fn query_options(&self) -> crate::rules::query::Options {
        crate::rules::query::Options {
            terms_match_hashtags: self.keywords_match_hashtags,
        }
    }

    /// Query limits.
    pub fn limits(&self) -> crate::rules::query::Limits {
        crate::rules::query::Limits {
            max_operands: self.max_operands,
            max_near_distance: self.max_near_distance,
            max_wildcards: self.max_wildcards,
            max_patterns: self.max_patterns,
            pattern_size_limit: self.regex_size_limit,
            ..crate::rules::query::Limits::default()
        }
    }
}

fn default_max_operands() -> usize {
    crate::rules::query::Limits::default().max_operands
}

fn default_max_near_distance() -> u32 {
    crate::rules::query::Limits::default().max_near_distance
}

fn default_max_wildcards() -> usize {
    crate::rules::query::Limits::default().max_wildcards
}

fn default_max_patterns() -> usize {
    crate::rules::query::Limits::default().max_patterns
}

fn default_regex_size_limit() -> usize {
    crate::rules::query::Limits::default().pattern_size_limit
}

fn default_reload_poll() -> Duration {
    Duration::from_secs(5)
}

fn default_true() -> bool {
    true
}

impl MatchingConfig {
    /// Checks `[matching]`'s limits and poll interval (the brands' queries are checked with
    /// the brands).
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        duration_in(
            "matching.reload_poll",
            self.reload_poll,
            Duration::ZERO,
            secs(3600),
        )?;
        if self.max_operands == 0 || self.max_wildcards > self.max_operands {
            return Err(invalid(
                "matching.max_operands",
                "must be at least 1 and at least matching.max_wildcards",
            ));
        }
        if self.max_patterns > self.max_operands {
            return Err(invalid(
                "matching.max_patterns",
                "must be at most matching.max_operands",
            ));
        }
        in_range(
            "matching.regex_size_limit",
            self.regex_size_limit,
            1024,
            16 << 20,
        )?;
        Ok(())
    }
}
