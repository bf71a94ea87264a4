//! Typed configuration, loaded from TOML and validated before anything connects.
//!
//! Every field is documented in its section's file and in the README's configuration
//! reference. A bad file fails at start-up with a [`ConfigError`] that names the field and
//! says why; `main` exits with code 64 (EX_USAGE) on it.
//!
//! This file holds the whole [`Config`], its loading and [`Config::validate`], which checks
//! the sections in turn. Each section's file holds its struct, defaults and `validate`:
//! `kafka.rs`, `topics.rs` (`[[inputs]]` and every topic name against the others),
//! `output.rs`, `pipeline.rs`, `scoring.rs`, `telemetry.rs`, `matching.rs`, `alert.rs`,
//! `screen.rs` and `brands.rs`; `helpers.rs` has the shared validators, and [`memory`] the
//! worst-case memory of the whole.

use std::path::Path;

use serde::Deserialize;

use helpers::invalid;

mod alert;
mod brands;
mod helpers;
mod inbox;
mod kafka;
mod matching;
pub mod memory;
mod output;
mod pipeline;
mod scoring;
mod screen;
mod telemetry;
mod topics;

pub use alert::{AlertConfig, TermsConfig};
pub use brands::{normalize_handle, BrandConfig, TopicConfig};
pub use inbox::InboxConfig;
pub use kafka::KafkaConfig;
pub use matching::MatchingConfig;
pub use output::OutputConfig;
pub use pipeline::PipelineConfig;
pub use scoring::{Backend, Precision, ScorerKind, ScoringConfig};
pub use screen::{CampaignConfig, ScreenConfig};
pub use telemetry::TelemetryConfig;
pub use topics::InputConfig;

/// Errors of loading or validating a config.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading config {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    #[error("parsing config {path}: {message}")]
    Parse {
        /// The path.
        path: String,
        /// The parser's message, which names the line and field.
        message: String,
    },
    /// A field has a value that is not allowed.
    #[error("config field `{field}`: {reason}")]
    Invalid {
        /// Dotted path of the field, e.g. `brands[2].id`.
        field: String,
        /// Why it is rejected and what to do.
        reason: String,
    },
}

/// Largest config file read (16 MiB).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Kafka connection and consumer group.
    #[serde(default)]
    pub kafka: KafkaConfig,
    /// Input topics, each with its format. At least one for `run`.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// Output topics.
    #[serde(default)]
    pub output: OutputConfig,
    /// Tuning of the stages.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// Scoring options.
    #[serde(default)]
    pub scoring: ScoringConfig,
    /// Metrics and health endpoints.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// Matching options.
    #[serde(default)]
    pub matching: MatchingConfig,
    /// Spike alerts (volume and negative share per brand).
    #[serde(default)]
    pub alert: AlertConfig,
    /// Campaigns, spam and automated accounts (the screen stage).
    #[serde(default)]
    pub screen: ScreenConfig,
    /// Open inbox items and brand replies (first-response times).
    #[serde(default)]
    pub inbox: InboxConfig,
    /// The brands to listen for.
    #[serde(default)]
    pub brands: Vec<BrandConfig>,
}

impl Config {
    /// Reads, parses and validates a config file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field and the reason.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        use std::io::Read;
        let read_error = |source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        // Read at most one byte past the limit: `--config /dev/zero` must not grow forever.
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(ConfigError::Invalid {
                field: "(file)".into(),
                reason: format!(
                    "{} is over {} MiB; a config file is a few kilobytes (thousands of brands fit in 1 MiB)",
                    path.display(),
                    MAX_CONFIG_BYTES >> 20
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates config text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field and the reason.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every constraint that serde cannot express.
    ///
    /// # Errors
    /// The first [`ConfigError::Invalid`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.validate()?;
        // The drain must end before the group gives our partitions away, or a slow drain
        // would store offsets for partitions another member already consumes.
        if self.pipeline.drain_timeout >= self.kafka.session_timeout {
            return Err(invalid(
                "pipeline.drain_timeout",
                format!(
                    "{} must be shorter than kafka.session_timeout ({})",
                    humantime::format_duration(self.pipeline.drain_timeout),
                    humantime::format_duration(self.kafka.session_timeout)
                ),
            ));
        }
        topics::validate(&self.inputs, &self.output)?;
        self.pipeline.validate()?;
        self.output.validate()?;
        self.scoring.validate(&self.pipeline)?;
        self.matching.validate()?;
        self.alert.validate(self.output.max_message_bytes)?;
        self.screen.validate()?;
        self.inbox.validate()?;
        memory::check(self)?;
        let limits = self.matching.limits();
        let mut ids = std::collections::HashSet::with_capacity(self.brands.len());
        for (i, brand) in self.brands.iter().enumerate() {
            brand.validate(&format!("brands[{i}]"), &limits)?;
            if !ids.insert(brand.id.as_str()) {
                return Err(invalid(
                    format!("brands[{i}].id"),
                    format!("brand id `{}` is used twice", brand.id),
                ));
            }
        }
        let mut owners = std::collections::HashMap::new();
        for (i, brand) in self.brands.iter().enumerate() {
            for (j, h) in brand.own_handles.iter().enumerate() {
                let h = brands::normalize_handle(h);
                if let Some(other) = owners.insert(h.clone(), brand.id.as_str()) {
                    if other != brand.id {
                        return Err(invalid(
                            format!("brands[{i}].own_handles[{j}]"),
                            format!("@{h} is also an own handle of brand `{other}`; a handle answers for one brand"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks what `run` needs beyond [`validate`](Self::validate): inputs and brands.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when there is nothing to read or match.
    pub fn validate_for_run(&self) -> Result<(), ConfigError> {
        if self.inputs.is_empty() {
            return Err(invalid(
                "inputs",
                "no input topic: add an [[inputs]] table with `topic = \"...\"`",
            ));
        }
        self.validate_brands_present()
    }

    /// Fails when no brand is configured.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for `brands`.
    pub fn validate_brands_present(&self) -> Result<(), ConfigError> {
        if self.brands.is_empty() {
            return Err(invalid(
                "brands",
                "no brand: add a [[brands]] table with an id and at least one topic",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
