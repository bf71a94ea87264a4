//! Internal events, in the manner of Vector's: each one logs and counts in one call, with its
//! label values from enums, so that a failure is never counted without a log line or logged
//! without being counted.

use std::fmt::Display;

use super::throttle::Throttle;
use super::Metrics;
use crate::kafka::Client;

/// When a Kafka client error was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum During {
    /// librdkafka's error callback (connection, authentication, broker errors).
    Callback,
    /// A consumer group rebalance.
    Rebalance,
    /// Reading a message (`recv` or `poll` returned an error).
    Consume,
}

impl During {
    /// The log field's value.
    pub fn as_str(self) -> &'static str {
        match self {
            During::Callback => "callback",
            During::Rebalance => "rebalance",
            During::Consume => "consume",
        }
    }
}

/// The `client` label of `brandpulse_kafka_errors_total`: the pipeline's and the alert
/// stage's consumers count as `consumer`, the producers as `producer`.
pub fn error_label(client: Client) -> &'static str {
    match client {
        Client::Consumer | Client::AlertConsumer | Client::AlertRestore => "consumer",
        Client::Producer | Client::AlertProducer => "producer",
    }
}

/// A Kafka client reported an error. Counted every time (`brandpulse_kafka_errors_total`),
/// logged at most once per throttle interval with how many were folded into the line (a
/// broker that is down makes librdkafka report dozens a second).
pub struct KafkaClientError<'a> {
    /// Which client.
    pub client: Client,
    /// When.
    pub during: During,
    /// The error.
    pub error: &'a dyn Display,
    /// librdkafka's reason, when it gives one (else empty).
    pub reason: &'a str,
}

impl KafkaClientError<'_> {
    /// Counts (when `metrics` is given) and logs the event.
    pub fn emit(&self, metrics: Option<&Metrics>, throttle: &Throttle) {
        if let Some(m) = metrics {
            m.kafka_errors
                .with_label_values(&[error_label(self.client)])
                .inc();
        }
        if let Some(folded) = throttle.allow() {
            tracing::warn!(
                client = self.client.name(),
                during = self.during.as_str(),
                error = %self.error,
                reason = self.reason,
                folded,
                "kafka client error (folded: errors since the last such line)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_error_counts_and_the_log_is_throttled() {
        let (_registry, metrics) = Metrics::for_tests();
        let throttle = Throttle::new(Duration::from_secs(3600));
        for client in [Client::Consumer, Client::AlertConsumer, Client::Producer] {
            KafkaClientError {
                client,
                during: During::Callback,
                error: &"broker down",
                reason: "",
            }
            .emit(Some(&metrics), &throttle);
        }
        let count = |l: &str| metrics.kafka_errors.with_label_values(&[l]).get();
        assert_eq!((count("consumer"), count("producer")), (2, 1));
        // One line got through; the other two were folded into the next one.
        assert_eq!(throttle.allow(), None);
    }
}
