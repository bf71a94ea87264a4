//! Stage 1: ingest. Kafka records (or JSONL lines offline) are decoded into [`Mention`]s.
//!
//! Decoding is a synchronous core ([`Decoder::decode`]); a record that cannot be decoded
//! becomes a [`DecodeError`] whose [`reason`](DecodeError::reason) is a bounded label used
//! both as the dead-letter header and as the `reason` label of
//! `brandpulse_dead_letters_total`.

pub mod canonical;
pub mod kafka;
pub mod twitter;

use crate::mention::Mention;
use serde::{Deserialize, Serialize};

/// Input formats, chosen per Kafka topic (or with `--format` offline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// brandpulse's canonical mention JSON (docs/schemas/mention.schema.json).
    #[default]
    Canonical,
    /// Twitter API v1.1 tweet JSON.
    #[value(name = "twitter-v1")]
    #[serde(rename = "twitter-v1")]
    TwitterV1,
}

impl InputFormat {
    /// Name as written in config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Canonical => "canonical",
            InputFormat::TwitterV1 => "twitter-v1",
        }
    }
}

/// Why a record was rejected. Every variant maps to one bounded [`reason`](Self::reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not valid UTF-8.
    #[error("invalid UTF-8 at byte {valid_up_to}")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The payload is not JSON (syntax error, truncated, empty).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A required field is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A field has the wrong type or an unacceptable value.
    #[error("invalid field `{field}`: {detail}")]
    InvalidField {
        /// Field path, e.g. `created_at`.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The text is longer than the configured limit.
    #[error("text is {len} bytes, over the limit of {limit}")]
    TextTooLong {
        /// Text length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The Kafka record has no payload (a tombstone).
    #[error("record has no payload")]
    EmptyPayload,
}

impl DecodeError {
    /// Bounded reason label: `invalid_utf8`, `invalid_json`, `missing_field`, `invalid_field`,
    /// `text_too_long` or `empty_payload`.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::InvalidUtf8 { .. } => "invalid_utf8",
            DecodeError::InvalidJson(_) => "invalid_json",
            DecodeError::MissingField(_) => "missing_field",
            DecodeError::InvalidField { .. } => "invalid_field",
            DecodeError::TextTooLong { .. } => "text_too_long",
            DecodeError::EmptyPayload => "empty_payload",
        }
    }

    /// Every reason label, for pre-registering metric series.
    pub const REASONS: [&'static str; 6] = [
        "invalid_utf8",
        "invalid_json",
        "missing_field",
        "invalid_field",
        "text_too_long",
        "empty_payload",
    ];
}

/// Decodes raw payloads in one format, enforcing the text-length limit.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    format: InputFormat,
    max_text_bytes: usize,
}

impl Decoder {
    /// A decoder for `format` that rejects texts longer than `max_text_bytes`.
    pub fn new(format: InputFormat, max_text_bytes: usize) -> Self {
        Self {
            format,
            max_text_bytes,
        }
    }

    /// The format this decoder reads.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Decodes one payload.
    ///
    /// # Errors
    /// A [`DecodeError`] saying why the payload is not an acceptable mention.
    pub fn decode(&self, payload: Option<&[u8]>) -> Result<Mention, DecodeError> {
        let bytes = payload.ok_or(DecodeError::EmptyPayload)?;
        let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        let mention = match self.format {
            InputFormat::Canonical => canonical::decode(text)?,
            InputFormat::TwitterV1 => twitter::decode(text)?,
        };
        if mention.text.len() > self.max_text_bytes {
            return Err(DecodeError::TextTooLong {
                len: mention.text.len(),
                limit: self.max_text_bytes,
            });
        }
        Ok(mention)
    }
}

/// Maps a serde_json error to a [`DecodeError`]: syntax errors are `invalid_json`, missing
/// fields `missing_field`, type errors `invalid_field`.
pub(crate) fn classify_json_error(err: &serde_json::Error, path: &str) -> DecodeError {
    use serde_json::error::Category;
    let msg = err.to_string();
    match err.classify() {
        Category::Io | Category::Syntax | Category::Eof => DecodeError::InvalidJson(msg),
        Category::Data => {
            if let Some(rest) = msg.strip_prefix("missing field `") {
                let name = rest.split('`').next().unwrap_or_default();
                DecodeError::MissingField(join_path(path, name))
            } else {
                DecodeError::InvalidField {
                    field: if path.is_empty() {
                        "(root)".into()
                    } else {
                        path.into()
                    },
                    detail: msg,
                }
            }
        }
    }
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}
