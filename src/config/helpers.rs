//! Validators shared by the sections: the error constructor, ranges of numbers and
//! durations, and Kafka topic names.

use std::time::Duration;

use super::ConfigError;

/// A [`ConfigError::Invalid`] for `field`.
pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// `n` seconds.
pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `lo <= value <= hi`, or an error that shows the value as given.
pub(super) fn in_range(field: &str, value: usize, lo: usize, hi: usize) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be between {lo} and {hi}; got {value}"),
        ))
    }
}

/// `lo <= value <= hi` for a duration, or an error that shows the value as given.
pub(super) fn duration_in(
    field: &str,
    value: Duration,
    lo: Duration,
    hi: Duration,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "must be between {} and {}; got {}",
                humantime::format_duration(lo),
                humantime::format_duration(hi),
                humantime::format_duration(value)
            ),
        ))
    }
}

/// Appends `hint` to the reason of a [`ConfigError::Invalid`].
pub(super) fn with_hint(e: ConfigError, hint: &str) -> ConfigError {
    match e {
        ConfigError::Invalid { field, reason } => ConfigError::Invalid {
            field,
            reason: format!("{reason}{hint}"),
        },
        other => other,
    }
}

/// A name Kafka accepts for a topic: 1-249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(super) fn validate_topic_name(field: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("`{name}` is not a valid Kafka topic name (1-249 of [a-zA-Z0-9._-])"),
        ))
    }
}
