//! `[kafka]`: brokers, consumer group, timeouts and raw librdkafka properties.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::helpers::{duration_in, invalid, secs};
use super::ConfigError;

/// Kafka settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port]`.
    #[serde(default = "default_brokers")]
    pub brokers: String,
    /// Consumer group id. Instances with the same group split the input partitions.
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Static group membership (`group.instance.id`): a stable, unique name per instance, such
    /// as a StatefulSet pod name. An instance that restarts with the same id takes its old
    /// place (and partitions) at once instead of waiting for the broker to expire the dead
    /// member. Leave unset for dynamic membership.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Consumer session timeout: a member silent this long is removed from the group.
    #[serde(default = "default_session_timeout", with = "humantime_serde")]
    pub session_timeout: Duration,
    /// How often librdkafka emits statistics (consumer lag metrics are refreshed at this rate).
    #[serde(default = "default_stats_interval", with = "humantime_serde")]
    pub statistics_interval: Duration,
    /// Raw librdkafka properties applied to both consumer and producer (SASL, TLS, ...).
    /// See librdkafka's CONFIGURATION.md. They override brandpulse's defaults.
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
    /// Raw librdkafka properties for the consumer only.
    #[serde(default)]
    pub consumer: BTreeMap<String, String>,
    /// Raw librdkafka properties for the producer only.
    #[serde(default)]
    pub producer: BTreeMap<String, String>,
    /// Accept producer settings that break at-least-once delivery (`acks` other than `all`,
    /// `enable.idempotence = false`, no retries). Off: such settings fail at start-up.
    #[serde(default)]
    pub allow_unsafe_delivery: bool,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: default_brokers(),
            group_id: default_group(),
            instance_id: None,
            session_timeout: default_session_timeout(),
            statistics_interval: default_stats_interval(),
            librdkafka: BTreeMap::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
            allow_unsafe_delivery: false,
        }
    }
}

fn default_brokers() -> String {
    "127.0.0.1:9092".into()
}
fn default_group() -> String {
    "brandpulse".into()
}
fn default_session_timeout() -> Duration {
    Duration::from_secs(45)
}
fn default_stats_interval() -> Duration {
    Duration::from_secs(5)
}

impl KafkaConfig {
    /// Checks `[kafka]`: brokers, group, instance id, timeouts, and no override of what
    /// brandpulse sets itself.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.brokers.trim().is_empty() {
            return Err(invalid("kafka.brokers", "must name at least one host:port"));
        }
        if self.group_id.trim().is_empty() {
            return Err(invalid("kafka.group_id", "must not be empty"));
        }
        if let Some(id) = &self.instance_id {
            if id.trim().is_empty() || id.len() > 249 {
                return Err(invalid(
                    "kafka.instance_id",
                    "must be 1-249 characters (or left out for dynamic membership)",
                ));
            }
        }
        for (key, map) in [
            ("kafka.librdkafka", &self.librdkafka),
            ("kafka.consumer", &self.consumer),
            ("kafka.producer", &self.producer),
        ] {
            for managed in [
                "enable.auto.offset.store",
                "group.id",
                "bootstrap.servers",
                "group.instance.id",
            ] {
                if map.contains_key(managed) {
                    return Err(invalid(
                        format!("{key}.\"{managed}\""),
                        "is set by brandpulse itself (use kafka.brokers, kafka.group_id, \
                         kafka.instance_id); overriding enable.auto.offset.store would break \
                         at-least-once delivery",
                    ));
                }
            }
        }
        duration_in(
            "kafka.session_timeout",
            self.session_timeout,
            secs(1),
            secs(3600),
        )?;
        duration_in(
            "kafka.statistics_interval",
            self.statistics_interval,
            Duration::from_millis(100),
            secs(3600),
        )
    }
}
