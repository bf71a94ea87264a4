//! librdkafka statistics -> Prometheus: consumer lag per input partition.

use rdkafka::statistics::Statistics;

use super::Metrics;

/// Updates `brandpulse_ingest_consumer_lag` from one statistics report of the consumer.
/// librdkafka reports `-1` for partitions whose lag is unknown (not fetched yet); those and
/// its internal partition `-1` are skipped.
pub fn record_consumer_lag(stats: &Statistics, metrics: &Metrics) {
    for (topic, t) in &stats.topics {
        for (partition, p) in &t.partitions {
            if *partition < 0 || p.consumer_lag < 0 {
                continue;
            }
            let part = partition.to_string();
            metrics
                .consumer_lag
                .with_label_values(&[topic.as_str(), part.as_str()])
                .set(p.consumer_lag);
        }
    }
}
