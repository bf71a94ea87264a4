//! What to do when Kafka refuses an output: retry it, or give up on it and dead-letter it.
//!
//! A produce error is either *transient* (the broker is away, a leader moves, a queue is full,
//! the message timed out: retried with capped backoff, as long as it takes) or *permanent*
//! (the record can never be accepted as it is: it is too large, or the broker calls it
//! invalid). A permanent error must not stall the partition: the output goes to the
//! dead-letter topic instead, and a dead letter that is itself refused is cut down
//! ([`Cut`]) until it fits, so the input offset always moves on.

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// The kind of a produce error: the `kind` label of `brandpulse_emit_produce_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Retried with capped backoff.
    Transient,
    /// Over librdkafka's `message.max.bytes` or the broker's (topic's) `max.message.bytes`.
    MessageTooLarge,
    /// The broker (or librdkafka) calls the record invalid: bad timestamp, corrupt record,
    /// unsupported format.
    InvalidRecord,
}

impl FailureKind {
    /// Every label value, for pre-registering series.
    pub const LABELS: [&'static str; 3] = ["transient", "message_too_large", "invalid_record"];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Transient => "transient",
            FailureKind::MessageTooLarge => "message_too_large",
            FailureKind::InvalidRecord => "invalid_record",
        }
    }

    /// Whether retrying the same record can never succeed.
    pub fn is_permanent(self) -> bool {
        self != FailureKind::Transient
    }

    /// The dead-letter reason of an output refused for this kind.
    pub fn reason(self) -> &'static str {
        match self {
            FailureKind::Transient => "transient",
            FailureKind::MessageTooLarge => "output_too_large",
            FailureKind::InvalidRecord => "output_invalid",
        }
    }
}

/// Classifies a produce error. Anything not known to be permanent is transient: retrying a
/// record that cannot succeed stalls a partition (and is visible on the error counter), while
/// dead-lettering a record that could have succeeded would move it off its topic for good.
pub fn classify(error: &KafkaError) -> FailureKind {
    let code = match error {
        KafkaError::MessageProduction(code) => *code,
        _ => return FailureKind::Transient,
    };
    match code {
        RDKafkaErrorCode::MessageSizeTooLarge
        | RDKafkaErrorCode::MessageBatchTooLarge
        | RDKafkaErrorCode::InvalidMessageSize => FailureKind::MessageTooLarge,
        RDKafkaErrorCode::InvalidMessage
        | RDKafkaErrorCode::InvalidRecord
        | RDKafkaErrorCode::InvalidTimestamp
        | RDKafkaErrorCode::BadMessage
        | RDKafkaErrorCode::UnsupportedForMessageFormat => FailureKind::InvalidRecord,
        _ => FailureKind::Transient,
    }
}

/// How far a dead letter is cut down after the broker refused it as too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cut {
    /// As built (already cut to fit `output.max_message_bytes`, if it was over).
    Whole,
    /// Key and payload cut to a small prefix ([`PREFIX_BYTES`]).
    Prefix,
    /// Headers only: no key, no payload. The headers still name the source record.
    HeadersOnly,
}

/// Bytes of key and payload kept by [`Cut::Prefix`].
pub const PREFIX_BYTES: usize = 1024;

impl Cut {
    /// The next, smaller form; `None` after [`Cut::HeadersOnly`].
    pub fn next(self) -> Option<Cut> {
        match self {
            Cut::Whole => Some(Cut::Prefix),
            Cut::Prefix => Some(Cut::HeadersOnly),
            Cut::HeadersOnly => None,
        }
    }
}

/// Capped exponential backoff of transient retries: 100 ms, 200 ms, ... up to 10 s.
pub fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis((100u64 << attempt.min(7)).min(10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let p = |c| classify(&KafkaError::MessageProduction(c));
        assert_eq!(
            p(RDKafkaErrorCode::MessageSizeTooLarge),
            FailureKind::MessageTooLarge
        );
        assert_eq!(
            p(RDKafkaErrorCode::MessageBatchTooLarge),
            FailureKind::MessageTooLarge
        );
        assert_eq!(
            p(RDKafkaErrorCode::InvalidRecord),
            FailureKind::InvalidRecord
        );
        assert_eq!(p(RDKafkaErrorCode::MessageTimedOut), FailureKind::Transient);
        assert_eq!(
            p(RDKafkaErrorCode::UnknownTopicOrPartition),
            FailureKind::Transient
        );
        assert_eq!(
            p(RDKafkaErrorCode::NotEnoughReplicas),
            FailureKind::Transient
        );
        assert_eq!(classify(&KafkaError::Canceled), FailureKind::Transient);
        assert!(FailureKind::MessageTooLarge.is_permanent());
        assert!(!FailureKind::Transient.is_permanent());
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff(0).as_millis(), 100);
        assert_eq!(backoff(3).as_millis(), 800);
        assert_eq!(backoff(50).as_millis(), 10_000);
    }

    #[test]
    fn cuts_shrink_then_end() {
        assert_eq!(Cut::Whole.next(), Some(Cut::Prefix));
        assert_eq!(Cut::Prefix.next(), Some(Cut::HeadersOnly));
        assert_eq!(Cut::HeadersOnly.next(), None);
    }
}
