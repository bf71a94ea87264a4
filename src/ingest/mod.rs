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
use crate::record::{DecodeError, Decoded, InputFormat};

/// Size limits a decoded mention must keep, so that every output record built from it is
/// bounded too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `text` (and referenced post text), in bytes.
    pub max_text_bytes: usize,
    /// Largest value of any other string field, in bytes.
    pub max_field_bytes: usize,
    /// Most entries in a list field.
    pub max_list_items: usize,
}

impl Limits {
    /// The limits of the `[pipeline]` section.
    pub fn of(p: &crate::config::PipelineConfig) -> Self {
        Self {
            max_text_bytes: p.max_text_bytes,
            max_field_bytes: p.max_field_bytes,
            max_list_items: p.max_list_items,
        }
    }

    /// Checks every field of `m`.
    ///
    /// # Errors
    /// [`DecodeError::TextTooLong`] or [`DecodeError::FieldTooLong`] for the first field over
    /// its limit.
    pub fn check(&self, m: &Mention) -> Result<(), DecodeError> {
        if m.text.len() > self.max_text_bytes {
            return Err(DecodeError::TextTooLong {
                len: m.text.len(),
                limit: self.max_text_bytes,
            });
        }
        let field = |name: &str, value: &str| -> Result<(), DecodeError> {
            if value.len() > self.max_field_bytes {
                Err(DecodeError::FieldTooLong {
                    field: name.to_string(),
                    len: value.len(),
                    limit: self.max_field_bytes,
                    unit: "bytes",
                })
            } else {
                Ok(())
            }
        };
        field("id", &m.id)?;
        field("source", &m.source)?;
        if let Some(lang) = &m.lang {
            field("lang", lang)?;
        }
        if let Some(url) = &m.url {
            field("url", url)?;
        }
        if let Some(a) = &m.author {
            if let Some(id) = &a.id {
                field("author.id", id)?;
            }
            if let Some(h) = &a.handle {
                field("author.handle", h)?;
            }
        }
        for (name, r) in [
            ("reply_to", &m.reply_to),
            ("repost_of", &m.repost_of),
            ("quote_of", &m.quote_of),
        ] {
            let Some(r) = r else { continue };
            field(&format!("{name}.id"), &r.id)?;
            if let Some(h) = &r.author_handle {
                field(&format!("{name}.author_handle"), h)?;
            }
            if let Some(t) = &r.text {
                if t.len() > self.max_text_bytes {
                    return Err(DecodeError::FieldTooLong {
                        field: format!("{name}.text"),
                        len: t.len(),
                        limit: self.max_text_bytes,
                        unit: "bytes",
                    });
                }
            }
        }
        for (name, list) in [
            ("hashtags", &m.hashtags),
            ("user_mentions", &m.user_mentions),
        ] {
            if list.len() > self.max_list_items {
                return Err(DecodeError::FieldTooLong {
                    field: name.to_string(),
                    len: list.len(),
                    limit: self.max_list_items,
                    unit: "entries",
                });
            }
            for (i, v) in list.iter().enumerate() {
                field(&format!("{name}[{i}]"), v)?;
            }
        }
        Ok(())
    }
}

/// Decodes raw payloads in one format, enforcing the size limits.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    format: InputFormat,
    limits: Limits,
}

impl Decoder {
    /// A decoder for `format` that rejects texts longer than `max_text_bytes` (other fields:
    /// the `[pipeline]` defaults).
    pub fn new(format: InputFormat, max_text_bytes: usize) -> Self {
        let defaults = crate::config::PipelineConfig::default();
        Self {
            format,
            limits: Limits {
                max_text_bytes,
                ..Limits::of(&defaults)
            },
        }
    }

    /// A decoder for `format` with the given limits.
    pub fn with_limits(format: InputFormat, limits: Limits) -> Self {
        Self { format, limits }
    }

    /// The format this decoder reads.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Decodes one payload that must be a mention (a stream notice is
    /// [`DecodeError::Notice`]); see [`Self::decode_record`].
    ///
    /// # Errors
    /// A [`DecodeError`] saying why the payload is not an acceptable mention.
    pub fn decode(&self, payload: Option<&[u8]>) -> Result<Mention, DecodeError> {
        match self.decode_record(payload)? {
            Decoded::Mention(m) => Ok(m),
            Decoded::Notice(n) => Err(DecodeError::Notice(n.kind.as_str())),
        }
    }

    /// Decodes one payload: a mention, or a stream notice (Twitter's `delete`, `limit`, ...).
    ///
    /// # Errors
    /// A [`DecodeError`] saying why the payload is neither.
    pub fn decode_record(&self, payload: Option<&[u8]>) -> Result<Decoded, DecodeError> {
        let bytes = payload.ok_or(DecodeError::EmptyPayload)?;
        let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        let decoded = match self.format {
            InputFormat::Canonical => Decoded::Mention(canonical::decode(text)?),
            InputFormat::TwitterV1 => twitter::decode_record(text)?,
        };
        if let Decoded::Mention(m) = &decoded {
            self.limits.check(m)?;
        }
        Ok(decoded)
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
