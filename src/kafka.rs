//! The one librdkafka client builder. Every client brandpulse creates (the pipeline's consumer
//! and producer, the alert stage's consumer, producer and restore reader) gets its settings
//! here, in one order:
//!
//! 1. brandpulse's own settings for that client (`acks = all`, `enable.auto.offset.store =
//!    false`, ...), from the typed config;
//! 2. `[kafka.librdkafka]` (both clients), then `[kafka.consumer]` or `[kafka.producer]`;
//! 3. secrets resolved: a value `${NAME}` is read from the environment, and a key written
//!    `<property>_file` (`"sasl.password_file" = "/run/secrets/kafka-password"`) sets
//!    `<property>` to the file's contents, so a Kubernetes Secret can carry them;
//! 4. guards: passthrough settings that would break at-least-once delivery (`acks` other than
//!    `all`, idempotence off, no retries) are refused unless `kafka.allow_unsafe_delivery`;
//! 5. every property is handed to librdkafka's own parser (`rd_kafka_conf_set`, which
//!    connects to nothing), so unknown properties and bad values fail at start-up, and in
//!    `brandpulse check`, naming the config field.
//!
//! Error messages never carry a secret: the value of any property whose name looks like a
//! secret (password, secret, key, token, ... in any spelling), or that came from the
//! environment or a file, is replaced by `<redacted>`.

use std::collections::BTreeMap;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};

use crate::config::{Config, ConfigError};

/// The clients brandpulse creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// The pipeline's consumer-group member (reads the input topics).
    Consumer,
    /// The pipeline's producer (scored mentions and dead letters).
    Producer,
    /// The alert stage's consumer (reads the scored topic in its own group).
    AlertConsumer,
    /// The alert stage's producer (alert events and checkpoints).
    AlertProducer,
    /// The alert stage's reader of its checkpoint topic at start-up.
    AlertRestore,
}

impl Client {
    /// Every client, in the order `check` builds them.
    pub const ALL: [Client; 5] = [
        Client::Consumer,
        Client::Producer,
        Client::AlertConsumer,
        Client::AlertProducer,
        Client::AlertRestore,
    ];

    /// Short name for logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Client::Consumer => "consumer",
            Client::Producer => "producer",
            Client::AlertConsumer => "alert-consumer",
            Client::AlertProducer => "alert-producer",
            Client::AlertRestore => "alert-restore",
        }
    }

    fn is_producer(self) -> bool {
        matches!(self, Client::Producer | Client::AlertProducer)
    }
}

/// Placeholder for a value that must not be printed.
pub const REDACTED: &str = "<redacted>";

/// Parts of property names whose values are treated as secrets, whatever the spelling around
/// them (`sasl.password`, `sasl.pasword`, `ssl.key.password`, `sasl.oauthbearer.client.secret`).
const SECRET_HINTS: [&str; 9] = [
    "pass", "pwd", "secret", "key", "token", "jaas", "cred", "oauth", "auth",
];

/// Whether a property's value may be a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_HINTS.iter().any(|h| k.contains(h))
}

/// One property with where it came from.
#[derive(Debug, Clone)]
struct Prop {
    value: String,
    /// The config field that set it (`kafka.producer."acks"`, `kafka.session_timeout`).
    field: String,
    /// The value came from the environment or a file, or the key looks like a secret.
    secret: bool,
}

/// The settings of one client, before librdkafka sees them.
#[derive(Debug, Default)]
struct Props(BTreeMap<String, Prop>);

impl Props {
    fn own(&mut self, key: &str, value: impl Into<String>, field: &str) {
        self.0.insert(
            key.to_string(),
            Prop {
                value: value.into(),
                field: field.to_string(),
                secret: false,
            },
        );
    }

    /// A consumer-group member whose offsets brandpulse stores itself (at-least-once).
    fn group_member(&mut self, group: &str, group_field: &str, session_ms: &str) {
        self.own("group.id", group, group_field);
        self.own("enable.auto.commit", "true", "kafka");
        self.own("enable.auto.offset.store", "false", "kafka");
        self.own("auto.offset.reset", "earliest", "kafka");
        self.own("enable.partition.eof", "false", "kafka");
        self.own("session.timeout.ms", session_ms, "kafka.session_timeout");
    }

    /// An idempotent producer waiting for all replicas, within `output.max_message_bytes`.
    fn safe_producer(&mut self, config: &Config, timeout_ms: &str) {
        self.own("enable.idempotence", "true", "kafka");
        self.own("acks", "all", "kafka");
        self.own("linger.ms", "5", "kafka");
        self.own("message.timeout.ms", timeout_ms, "kafka");
        self.own(
            "message.max.bytes",
            config.output.max_message_bytes.to_string(),
            "output.max_message_bytes",
        );
    }

    /// Applies one passthrough section, resolving `${NAME}` and `*_file`.
    fn passthrough(
        &mut self,
        section: &str,
        map: &BTreeMap<String, String>,
    ) -> Result<(), ConfigError> {
        for (key, raw) in map {
            let field = format!("{section}.\"{key}\"");
            let (key, value, resolved) = match key.strip_suffix("_file") {
                Some(target) => {
                    if map.contains_key(target) {
                        return Err(invalid(
                            field,
                            format!("set `{target}` or `{key}`, not both"),
                        ));
                    }
                    (target.to_string(), read_secret_file(&field, raw)?, true)
                }
                None => {
                    let (value, from_env) = expand_env(&field, raw)?;
                    (key.clone(), value, from_env)
                }
            };
            let secret = resolved || is_secret_key(&key);
            self.0.insert(
                key,
                Prop {
                    value,
                    field: field.clone(),
                    secret,
                },
            );
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&Prop> {
        self.0.get(key)
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Largest secret file read (a password, a token, a PEM bundle).
const MAX_SECRET_FILE: u64 = 1 << 20;

fn read_secret_file(field: &str, path: &str) -> Result<String, ConfigError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| invalid(field, format!("cannot read `{path}`: {e}")))?;
    let mut text = String::new();
    file.take(MAX_SECRET_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| invalid(field, format!("cannot read `{path}`: {e}")))?;
    if text.len() as u64 > MAX_SECRET_FILE {
        return Err(invalid(
            field,
            format!("`{path}` is over {MAX_SECRET_FILE} bytes"),
        ));
    }
    // Files made by `kubectl create secret --from-file` or `echo` end in a newline.
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Replaces each `${NAME}` in `raw` with the environment variable `NAME`; `$$` is a literal
/// `$`. Returns the value and whether anything came from the environment.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `field` and the variable when it is unset or not UTF-8, or
/// when a `${` is not closed.
pub fn expand_env(field: &str, raw: &str) -> Result<(String, bool), ConfigError> {
    if !raw.contains('$') {
        return Ok((raw.to_string(), false));
    }
    let mut out = String::with_capacity(raw.len());
    let mut used = false;
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let Some(end) = tail.find('}') else {
                return Err(invalid(field, "`${` without a closing `}`"));
            };
            let name = &tail[..end];
            let name_ok = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                return Err(invalid(
                    field,
                    format!("`${{{name}}}` is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"),
                ));
            }
            let value = std::env::var(name).map_err(|_| {
                invalid(
                    field,
                    format!("environment variable `{name}` is not set (or not UTF-8)"),
                )
            })?;
            out.push_str(&value);
            used = true;
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok((out, used))
}

/// The consumer group of the alert stage.
pub fn alert_group(config: &Config) -> String {
    config
        .alert
        .group_id
        .clone()
        .unwrap_or_else(|| format!("{}-alerts", config.kafka.group_id))
}

fn props(config: &Config, client: Client) -> Result<Props, ConfigError> {
    let k = &config.kafka;
    let mut p = Props::default();
    let (brokers, _) = expand_env("kafka.brokers", &k.brokers)?;
    p.own("bootstrap.servers", brokers, "kafka.brokers");
    p.own("client.id", "brandpulse", "kafka");
    let session = k.session_timeout.as_millis().to_string();
    match client {
        Client::Consumer => {
            p.group_member(&k.group_id, "kafka.group_id", &session);
            p.own(
                "statistics.interval.ms",
                k.statistics_interval.as_millis().to_string(),
                "kafka.statistics_interval",
            );
            // librdkafka's prefetch queue (64 MiB by default), counted in the memory budget.
            p.own(
                "queued.max.messages.kbytes",
                (config.pipeline.consumer_prefetch_bytes / 1024)
                    .max(1)
                    .to_string(),
                "pipeline.consumer_prefetch_bytes",
            );
            if let Some(id) = &k.instance_id {
                p.own("group.instance.id", id, "kafka.instance_id");
            }
        }
        Client::AlertConsumer => {
            p.group_member(&alert_group(config), "alert.group_id", &session);
            if let Some(id) = &k.instance_id {
                p.own(
                    "group.instance.id",
                    format!("{id}-alerts"),
                    "kafka.instance_id",
                );
            }
        }
        Client::AlertRestore => {
            p.own(
                "group.id",
                format!("{}-restore", alert_group(config)),
                "alert.group_id",
            );
            p.own("enable.auto.commit", "false", "kafka");
            p.own("enable.partition.eof", "false", "kafka");
            p.own("auto.offset.reset", "earliest", "kafka");
        }
        Client::Producer => {
            p.safe_producer(config, "120000");
            p.own("compression.type", "lz4", "kafka");
            p.own("partitioner", "murmur2_random", "kafka");
        }
        Client::AlertProducer => p.safe_producer(config, "60000"),
    }
    p.passthrough("kafka.librdkafka", &k.librdkafka)?;
    if client.is_producer() {
        p.passthrough("kafka.producer", &k.producer)?;
    } else {
        p.passthrough("kafka.consumer", &k.consumer)?;
    }
    if client.is_producer() && !k.allow_unsafe_delivery {
        guard_delivery(&p)?;
    }
    check_client_level(&p)?;
    Ok(p)
}

/// SASL mechanisms this build supports (GSSAPI/Kerberos would need Cyrus SASL).
const SASL_MECHANISMS: [&str; 4] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

/// What librdkafka checks only when a client is created (not when a property is set): the
/// SASL mechanism and the TLS files. Checked here so that `check` sees it too.
fn check_client_level(p: &Props) -> Result<(), ConfigError> {
    for key in ["sasl.mechanisms", "sasl.mechanism"] {
        if let Some(prop) = p.get(key) {
            let m = prop.value.trim();
            if !SASL_MECHANISMS.contains(&m) {
                return Err(invalid(
                    &prop.field,
                    format!(
                        "`{}` is not a supported SASL mechanism (one of {})",
                        shown(key, prop),
                        SASL_MECHANISMS.join(", ")
                    ),
                ));
            }
        }
    }
    for key in [
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.crl.location",
        "ssl.keystore.location",
    ] {
        let Some(prop) = p.get(key) else { continue };
        if key == "ssl.ca.location" && prop.value == "probe" {
            continue;
        }
        if let Err(e) = std::fs::metadata(&prop.value) {
            return Err(invalid(
                &prop.field,
                format!("cannot read `{}`: {e}", prop.value),
            ));
        }
    }
    Ok(())
}

/// Refuses producer settings that can lose acknowledged outputs.
fn guard_delivery(p: &Props) -> Result<(), ConfigError> {
    const HINT: &str = "would break at-least-once delivery (an output could be lost after its \
                        input offset is stored); remove it, or set kafka.allow_unsafe_delivery = \
                        true if you accept that";
    for key in ["acks", "request.required.acks"] {
        if let Some(prop) = p.get(key) {
            let v = prop.value.trim().to_ascii_lowercase();
            if v != "all" && v != "-1" {
                return Err(invalid(
                    &prop.field,
                    format!("`{}` {HINT}", shown(key, prop)),
                ));
            }
        }
    }
    if let Some(prop) = p.get("enable.idempotence") {
        if prop.value.trim().eq_ignore_ascii_case("false") {
            return Err(invalid(&prop.field, format!("`false` {HINT}")));
        }
    }
    for key in ["retries", "message.send.max.retries"] {
        if let Some(prop) = p.get(key) {
            if prop.value.trim() == "0" {
                return Err(invalid(&prop.field, format!("`0` {HINT}")));
            }
        }
    }
    Ok(())
}

fn shown<'a>(key: &str, prop: &'a Prop) -> &'a str {
    if prop.secret || is_secret_key(key) {
        REDACTED
    } else {
        &prop.value
    }
}

/// Errors of creating a client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The client's settings are invalid (the field is named).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// librdkafka refused to create the client (the message has secrets removed).
    #[error("creating the Kafka {client}: {reason}")]
    Create {
        /// [`Client::name`].
        client: &'static str,
        /// librdkafka's reason, redacted.
        reason: String,
    },
}

/// Creates client `client` with `context`: the one place where brandpulse's librdkafka
/// clients are made, their settings from [`client_config`] (passthrough, secrets, the safe
/// producer and group-member settings) and any error [`redact`]ed.
///
/// # Errors
/// [`ClientError`] when a setting is invalid or librdkafka refuses the client.
pub fn create<C, T>(config: &Config, client: Client, context: C) -> Result<T, ClientError>
where
    C: rdkafka::ClientContext,
    T: rdkafka::config::FromClientConfigAndContext<C>,
{
    client_config(config, client)?
        .create_with_context(context)
        .map_err(|e| ClientError::Create {
            client: client.name(),
            reason: redact(config, &e.to_string()),
        })
}

/// Builds the librdkafka config of one client and has librdkafka check every property.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the config field, for an unset environment variable, an
/// unreadable secret file, an unsafe delivery setting, an unknown property or a value
/// librdkafka rejects. The message never contains a secret value.
pub fn client_config(config: &Config, client: Client) -> Result<ClientConfig, ConfigError> {
    let p = props(config, client)?;
    let mut c = ClientConfig::new();
    c.set_log_level(RDKafkaLogLevel::Warning);
    for (key, prop) in &p.0 {
        c.set(key, &prop.value);
        // One property at a time, so that an error names the field that set it.
        let mut single = ClientConfig::new();
        single.set(key, &prop.value);
        if let Err(e) = single.create_native_config() {
            return Err(invalid(&prop.field, describe_conf_error(key, prop, &e)));
        }
    }
    if c.get("debug").is_some() {
        c.set_log_level(RDKafkaLogLevel::Debug);
    }
    Ok(c)
}

fn describe_conf_error(key: &str, prop: &Prop, e: &rdkafka::error::KafkaError) -> String {
    let desc = match e {
        rdkafka::error::KafkaError::ClientConfig(_, desc, _, _) => desc.clone(),
        other => other.to_string(),
    };
    let secret = prop.secret || is_secret_key(key);
    let desc = if secret && !prop.value.is_empty() {
        desc.replace(&prop.value, REDACTED)
    } else {
        desc
    };
    let mut reason = format!("librdkafka rejects it: {desc}");
    if desc.contains("OpenSSL not available") || desc.contains("not available at build time") {
        reason.push_str(" (this build lacks that feature)");
    } else if desc.contains("No such configuration property") {
        reason.push_str(" (see librdkafka's CONFIGURATION.md for the property names)");
    }
    reason
}

/// Builds every client's config as `run` would (the alert stage's only when it is enabled),
/// connecting to nothing.
///
/// # Errors
/// The first [`ConfigError`] found.
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    for client in Client::ALL {
        let alert = matches!(
            client,
            Client::AlertConsumer | Client::AlertProducer | Client::AlertRestore
        );
        if alert && !config.alert.enabled {
            continue;
        }
        client_config(config, client)?;
    }
    Ok(())
}

/// Removes every secret value of the config's Kafka settings from `text` (for messages that
/// librdkafka writes at run time, such as a client that cannot be created).
pub fn redact(config: &Config, text: &str) -> String {
    let mut out = text.to_string();
    for client in Client::ALL {
        let Ok(p) = props(config, client) else {
            continue;
        };
        for (key, prop) in &p.0 {
            if (prop.secret || is_secret_key(key)) && prop.value.len() >= 3 {
                out = out.replace(&prop.value, REDACTED);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
