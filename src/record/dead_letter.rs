//! Why a record was rejected, and the rejected record on its way to the dead-letter topic.

/// A record that could not be decoded, on its way to the dead-letter topic.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The original record key.
    pub key: Option<Vec<u8>>,
    /// The original payload, byte for byte.
    pub payload: Option<Vec<u8>>,
    /// Why it was rejected.
    pub error: DecodeError,
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
    /// A stream notice (`delete`, `limit`, ...) where only a mention is accepted; the
    /// pipeline itself handles notices ([`crate::record::Decoded::Notice`]) and never
    /// dead-letters them.
    #[error("a `{0}` stream notice, not a mention")]
    Notice(&'static str),
    /// The Kafka record has no payload (a tombstone).
    #[error("record has no payload")]
    EmptyPayload,
    /// A string field other than the text is longer than the configured limit, or a list
    /// field has too many entries.
    #[error("field `{field}` is {len} {unit}, over the limit of {limit}")]
    FieldTooLong {
        /// Field path, e.g. `source` or `hashtags[3]`.
        field: String,
        /// Its length (bytes, or entries for a list).
        len: usize,
        /// The limit.
        limit: usize,
        /// `bytes` or `entries`.
        unit: &'static str,
    },
}

impl DecodeError {
    /// Bounded reason label: `invalid_utf8`, `invalid_json`, `missing_field`, `invalid_field`,
    /// `text_too_long`, `empty_payload`, `field_too_long` or `stream_notice`.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::InvalidUtf8 { .. } => "invalid_utf8",
            DecodeError::InvalidJson(_) => "invalid_json",
            DecodeError::MissingField(_) => "missing_field",
            DecodeError::InvalidField { .. } => "invalid_field",
            DecodeError::TextTooLong { .. } => "text_too_long",
            DecodeError::EmptyPayload => "empty_payload",
            DecodeError::FieldTooLong { .. } => "field_too_long",
            DecodeError::Notice(_) => "stream_notice",
        }
    }

    /// Every reason label, for pre-registering metric series.
    pub const REASONS: [&'static str; 8] = [
        "invalid_utf8",
        "invalid_json",
        "missing_field",
        "invalid_field",
        "text_too_long",
        "empty_payload",
        "field_too_long",
        "stream_notice",
    ];
}
