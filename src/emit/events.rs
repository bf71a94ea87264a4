//! The emit stage's internal events, in the manner of Vector's (and of
//! [`crate::telemetry::events`]): each one counts and logs in one call, with its label values
//! from enums, so that nothing is counted without a log line or logged without being counted.

use std::fmt::Display;
use std::time::Duration;

use rdkafka::error::KafkaError;

use super::failure::{Cut, FailureKind};
use crate::record::{DecodeError, Origin};
use crate::telemetry::throttle::Throttle;
use crate::telemetry::Metrics;

/// Which output Kafka acknowledged: the `output` label of `brandpulse_emit_produced_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A scored mention.
    Scored,
    /// A dead letter.
    DeadLetter,
    /// A deletion record (from a `delete` notice).
    Deletion,
    /// A scored mention that needs a response, on the inbox topic.
    Inbox,
}

impl Output {
    /// Every label value, for pre-registering series.
    pub const ALL: [Output; 4] = [
        Output::Scored,
        Output::DeadLetter,
        Output::Deletion,
        Output::Inbox,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Output::Scored => "scored",
            Output::DeadLetter => "dead_letter",
            Output::Deletion => "deletion",
            Output::Inbox => "inbox",
        }
    }
}

/// Kafka acknowledged an output. Counted only (one per message; a log line each would be
/// the whole stream again).
pub struct Produced(pub Output);

impl Produced {
    /// Counts the event.
    pub fn emit(&self, metrics: &Metrics) {
        metrics.produced.with_label_values(&[self.0.label()]).inc();
        if self.0 == Output::Deletion {
            metrics.deletions.inc();
        }
    }
}

/// Why a record went to the dead-letter topic: the `reason` label of
/// `brandpulse_dead_letters_total` comes from these enums.
pub enum DeadLetterCause<'a> {
    /// The input could not be decoded or failed its limits (bad input: debug level, the
    /// counter and the dead-letter topic say it).
    Input(&'a DecodeError),
    /// Kafka refused the scored output for good (an operator's problem: warn level).
    Refused(FailureKind, &'a KafkaError),
}

impl DeadLetterCause<'_> {
    /// The dead letter's `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            DeadLetterCause::Input(e) => e.reason(),
            DeadLetterCause::Refused(kind, _) => kind.reason(),
        }
    }
}

/// A record is being sent to the dead-letter topic.
pub struct DeadLettered<'a> {
    /// The consumed record it stands for.
    pub origin: &'a Origin,
    /// Why.
    pub cause: DeadLetterCause<'a>,
}

impl DeadLettered<'_> {
    /// Counts (`brandpulse_dead_letters_total{reason}`) and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        let reason = self.cause.reason();
        metrics.dead_letters.with_label_values(&[reason]).inc();
        let o = self.origin;
        match &self.cause {
            DeadLetterCause::Input(error) => tracing::debug!(topic = %o.tp.0,
                partition = o.tp.1, offset = o.offset, reason, %error, "dead letter"),
            DeadLetterCause::Refused(_, error) => tracing::warn!(topic = %o.tp.0,
                partition = o.tp.1, offset = o.offset, reason, %error,
                "output refused by Kafka; sent to the dead-letter topic"),
        }
    }
}

/// Kafka failed to take an output. Every failure counts
/// (`brandpulse_emit_produce_errors_total{kind}`); a transient one is retried after
/// `retry_in` and logged at most once per throttle interval.
pub struct ProduceFailed<'a> {
    /// How the failure was classified.
    pub kind: FailureKind,
    /// The error.
    pub error: &'a KafkaError,
    /// The attempt that failed (0 for the first).
    pub attempt: u32,
    /// The backoff before the next attempt, for a transient failure.
    pub retry_in: Option<Duration>,
}

impl ProduceFailed<'_> {
    /// Counts and (for retries, throttled) logs the event. Permanent failures are logged by
    /// what follows them ([`DeadLettered`], [`DeadLetterCut`], [`OutputDropped`]).
    pub fn emit(&self, metrics: &Metrics, throttle: &Throttle) {
        metrics
            .produce_errors
            .with_label_values(&[self.kind.label()])
            .inc();
        if let Some(backoff) = self.retry_in {
            if let Some(folded) = throttle.allow() {
                tracing::warn!(error = %self.error, attempt = self.attempt, ?backoff, folded,
                    "produce failed, retrying (folded: failures since the last such line)");
            }
        }
    }
}

/// A dead letter was refused as too large and is sent again, cut down to `smaller`. Logged
/// only: the failure was counted by [`ProduceFailed`].
pub struct DeadLetterCut<'a> {
    /// The consumed record it stands for.
    pub origin: &'a Origin,
    /// The next, smaller form.
    pub smaller: Cut,
    /// The refusal.
    pub error: &'a KafkaError,
}

impl DeadLetterCut<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        let o = self.origin;
        tracing::warn!(topic = %o.tp.0, partition = o.tp.1, offset = o.offset,
            smaller = ?self.smaller, error = %self.error, "dead letter refused by Kafka; cutting it down");
    }
}

/// Even a headers-only dead letter was refused: the output is given up so that the input
/// offset can move on (`brandpulse_emit_outputs_dropped_total`).
pub struct OutputDropped<'a> {
    /// The consumed record it stood for.
    pub origin: &'a Origin,
    /// The dead letter's reason.
    pub reason: &'static str,
    /// The last refusal.
    pub error: &'a dyn Display,
}

impl OutputDropped<'_> {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        metrics.outputs_dropped.inc();
        let o = self.origin;
        tracing::error!(topic = %o.tp.0, partition = o.tp.1, offset = o.offset,
            reason = self.reason, error = %self.error,
            "even a headers-only dead letter was refused: output given up (check the dead-letter topic's configuration)");
    }
}

/// A `delete` notice names a post not produced recently: nothing to delete
/// (`brandpulse_emit_deletions_unknown_total`).
pub struct DeletionUnknown<'a> {
    /// The deleted post's id.
    pub mention_id: &'a str,
}

impl DeletionUnknown<'_> {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        metrics.deletions_unknown.inc();
        tracing::debug!(
            mention_id = self.mention_id,
            "deletion of a post not produced recently: nothing to delete"
        );
    }
}

/// A brand's own handle answered an inbox item: the first-response time goes to
/// `brandpulse_brand_first_response_seconds{brand}`, the reply to
/// `brandpulse_inbox_replies_total{result="answered"}`, the live page marks the item answered,
/// and a debug line names them.
pub struct BrandAnswered<'a> {
    /// Brand id.
    pub brand: &'a str,
    /// The inbox mention that was answered.
    pub mention_id: &'a str,
    /// Seconds from its post to the reply.
    pub seconds: f64,
}

impl BrandAnswered<'_> {
    /// Counts, records and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        metrics
            .brand_first_response
            .with_label_values(&[self.brand])
            .observe(self.seconds);
        metrics.inbox_replies.with_label_values(&["answered"]).inc();
        metrics
            .live
            .record_answered(self.brand, self.mention_id, self.seconds);
        tracing::debug!(
            brand = self.brand,
            mention = self.mention_id,
            first_response_seconds = self.seconds,
            "inbox item answered"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::InputFormat;
    use rdkafka::types::RDKafkaErrorCode;
    use std::sync::Arc;
    use std::time::Instant;

    fn origin() -> Origin {
        Origin {
            tp: (Arc::from("mentions"), 0),
            offset: 7,
            consumed_at: Instant::now(),
            format: InputFormat::Canonical,
        }
    }

    #[test]
    fn each_event_counts_under_its_enum_label() {
        let (_registry, m) = Metrics::for_tests();
        let o = origin();
        let too_large = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        let bad = DecodeError::InvalidJson("expected value".into());
        DeadLettered {
            origin: &o,
            cause: DeadLetterCause::Input(&bad),
        }
        .emit(&m);
        DeadLettered {
            origin: &o,
            cause: DeadLetterCause::Refused(FailureKind::MessageTooLarge, &too_large),
        }
        .emit(&m);
        let dead = |r: &str| m.dead_letters.with_label_values(&[r]).get();
        assert_eq!((dead("invalid_json"), dead("output_too_large")), (1, 1));

        let throttle = Throttle::new(Duration::from_secs(3600));
        let queue_full = KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull);
        for attempt in 0..3 {
            ProduceFailed {
                kind: FailureKind::Transient,
                error: &queue_full,
                attempt,
                retry_in: Some(Duration::from_millis(100)),
            }
            .emit(&m, &throttle);
        }
        let errors = |k: &str| m.produce_errors.with_label_values(&[k]).get();
        assert_eq!(errors("transient"), 3);
        // One retry line got through; the other two (and this probe) are folded into the next.
        assert_eq!(throttle.allow(), None);

        for output in Output::ALL {
            Produced(output).emit(&m);
        }
        let produced = |o: Output| m.produced.with_label_values(&[o.label()]).get();
        assert_eq!(Output::ALL.map(produced), [1, 1, 1, 1]);
        assert_eq!(m.deletions.get(), 1);

        OutputDropped {
            origin: &o,
            reason: "output_too_large",
            error: &too_large,
        }
        .emit(&m);
        DeletionUnknown { mention_id: "42" }.emit(&m);
        assert_eq!((m.outputs_dropped.get(), m.deletions_unknown.get()), (1, 1));
    }
}
