use super::*;

fn config(extra: &str) -> Config {
    Config::from_toml(extra, "test").expect("config parses")
}

fn error_of(extra: &str, client: Client) -> (String, String) {
    match client_config(&config(extra), client) {
        Err(ConfigError::Invalid { field, reason }) => (field, reason),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn own_settings_then_passthrough() {
    let c = client_config(
        &config("[kafka.producer]\n\"linger.ms\" = \"50\""),
        Client::Producer,
    )
    .unwrap();
    assert_eq!(c.get("acks"), Some("all"));
    assert_eq!(c.get("enable.idempotence"), Some("true"));
    assert_eq!(c.get("linger.ms"), Some("50"));
    let consumer = client_config(&config(""), Client::Consumer).unwrap();
    assert_eq!(consumer.get("enable.auto.offset.store"), Some("false"));
    assert_eq!(consumer.get("linger.ms"), None);
}

#[test]
fn unknown_property_names_its_field() {
    let (field, reason) = error_of(
        "[kafka.consumer]\n\"fetch.wait.mx.ms\" = \"5\"",
        Client::Consumer,
    );
    assert_eq!(field, "kafka.consumer.\"fetch.wait.mx.ms\"");
    assert!(
        reason.contains("No such configuration property"),
        "{reason}"
    );
}

#[test]
fn bad_value_names_its_field() {
    let (field, reason) = error_of(
        "[kafka.librdkafka]\n\"socket.timeout.ms\" = \"x\"",
        Client::Producer,
    );
    assert_eq!(field, "kafka.librdkafka.\"socket.timeout.ms\"");
    assert!(reason.contains("socket.timeout.ms"), "{reason}");
}

#[test]
fn out_of_range_session_timeout_is_a_config_error() {
    // librdkafka's own range for session.timeout.ms is 1 ms to 1 h.
    let c = Config {
        kafka: crate::config::KafkaConfig {
            session_timeout: std::time::Duration::from_secs(7200),
            ..Default::default()
        },
        ..config("")
    };
    match client_config(&c, Client::Consumer) {
        Err(ConfigError::Invalid { field, .. }) => assert_eq!(field, "kafka.session_timeout"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsafe_delivery_is_refused_unless_allowed() {
    for (extra, field) in [
        ("[kafka.producer]\nacks = \"1\"", "kafka.producer.\"acks\""),
        (
            "[kafka.librdkafka]\n\"request.required.acks\" = \"0\"",
            "kafka.librdkafka.\"request.required.acks\"",
        ),
        (
            "[kafka.producer]\n\"enable.idempotence\" = \"false\"",
            "kafka.producer.\"enable.idempotence\"",
        ),
        (
            "[kafka.producer]\n\"message.send.max.retries\" = \"0\"",
            "kafka.producer.\"message.send.max.retries\"",
        ),
    ] {
        let (f, reason) = error_of(extra, Client::Producer);
        assert_eq!(f, field, "{extra}");
        assert!(reason.contains("allow_unsafe_delivery"), "{reason}");
        let allowed = format!("[kafka]\nallow_unsafe_delivery = true\n{extra}");
        client_config(&config(&allowed), Client::Producer).expect("allowed explicitly");
    }
    // The consumer is not a producer: acks means nothing there and is left to librdkafka.
    client_config(
        &config("[kafka.producer]\nacks = \"all\""),
        Client::Producer,
    )
    .unwrap();
}

#[test]
fn secrets_never_appear_in_errors() {
    let secret = "hunter2-Sup3rSecret";
    for key in [
        "sasl.password",
        "sasl.pasword",
        "ssl.key.password",
        "SASL.PASSWD",
        "sasl.oauthbearer.client.secret",
    ] {
        let extra = format!(
            "[kafka.librdkafka]\n\"{key}\" = \"{secret}\"\n\"security.protocol\" = \"bogus\""
        );
        let c = config(&extra);
        let msg = match client_config(&c, Client::Consumer) {
            Err(e) => e.to_string(),
            Ok(_) => continue,
        };
        assert!(!msg.contains(secret), "{key}: {msg}");
    }
    // A misspelled secret property is itself the error: still no value printed.
    let (_, reason) = error_of(
        &format!("[kafka.librdkafka]\n\"sasl.pasword\" = \"{secret}\""),
        Client::Consumer,
    );
    assert!(!reason.contains(secret), "{reason}");
    // An invalid value of a secret-looking property: librdkafka quotes the value; we do not.
    let (_, reason) = error_of(
        &format!("[kafka.librdkafka]\n\"ssl.key.password\" = \"{secret}\"\n\"ssl_key\" = \"x\""),
        Client::Consumer,
    );
    assert!(!reason.contains(secret), "{reason}");
}

#[test]
fn env_and_file_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("password");
    std::fs::write(&path, "from-file\n").unwrap();
    std::env::set_var("BRANDPULSE_TEST_SASL_USER_7731", "from-env");
    let extra = format!(
        "[kafka.librdkafka]\n\"sasl.username\" = \"${{BRANDPULSE_TEST_SASL_USER_7731}}\"\n\"sasl.password_file\" = \"{}\"",
        path.display()
    );
    let c = client_config(&config(&extra), Client::Producer).unwrap();
    assert_eq!(c.get("sasl.username"), Some("from-env"));
    assert_eq!(c.get("sasl.password"), Some("from-file"));
    assert_eq!(c.get("sasl.password_file"), None);
    // redact() removes resolved secrets from any text.
    let text = "failed: user from-env password from-file";
    let r = redact(&config(&extra), text);
    assert!(!r.contains("from-file"), "{r}");

    let (field, reason) = error_of(
        "[kafka.librdkafka]\n\"sasl.password\" = \"${BRANDPULSE_TEST_UNSET_9913}\"",
        Client::Consumer,
    );
    assert_eq!(field, "kafka.librdkafka.\"sasl.password\"");
    assert!(reason.contains("BRANDPULSE_TEST_UNSET_9913"), "{reason}");
    let (field, reason) = error_of(
        "[kafka.librdkafka]\n\"sasl.password_file\" = \"/nonexistent/brandpulse\"",
        Client::Consumer,
    );
    assert_eq!(field, "kafka.librdkafka.\"sasl.password_file\"");
    assert!(reason.contains("/nonexistent/brandpulse"), "{reason}");
}

#[test]
fn env_expansion_rules() {
    std::env::set_var("BRANDPULSE_TEST_HOST_4410", "kafka-1");
    let (v, used) = expand_env("f", "${BRANDPULSE_TEST_HOST_4410}:9093").unwrap();
    assert_eq!((v.as_str(), used), ("kafka-1:9093", true));
    assert_eq!(expand_env("f", "a$$b").unwrap().0, "a$b");
    assert_eq!(expand_env("f", "cost $5").unwrap().0, "cost $5");
    assert!(expand_env("f", "${OPEN").is_err());
    assert!(expand_env("f", "${1BAD}").is_err());
}

#[test]
fn tls_and_scram_are_built_in() {
    let extra = "[kafka.librdkafka]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"u\"\n\"sasl.password\" = \"p\"";
    for client in Client::ALL {
        client_config(&config(extra), client).expect("TLS and SCRAM are compiled in");
    }
}

#[test]
fn secret_hints() {
    for k in [
        "sasl.password",
        "ssl.key.password",
        "sasl.oauthbearer.client.secret",
        "ssl.keystore.location",
    ] {
        assert!(is_secret_key(k), "{k}");
    }
    for k in ["acks", "linger.ms", "security.protocol", "sasl.mechanisms"] {
        assert!(!is_secret_key(k), "{k}");
    }
}

#[test]
fn sasl_mechanism_and_tls_files_are_checked_without_connecting() {
    let (field, reason) = error_of(
        "[kafka.librdkafka]\n\"sasl.mechanisms\" = \"GSSAPI\"",
        Client::Consumer,
    );
    assert_eq!(field, "kafka.librdkafka.\"sasl.mechanisms\"");
    assert!(reason.contains("SCRAM-SHA-512"), "{reason}");
    let (field, _) = error_of(
        "[kafka.librdkafka]\n\"ssl.ca.location\" = \"/nonexistent/ca.pem\"",
        Client::Producer,
    );
    assert_eq!(field, "kafka.librdkafka.\"ssl.ca.location\"");
    client_config(
        &config("[kafka.librdkafka]\n\"ssl.ca.location\" = \"probe\""),
        Client::Producer,
    )
    .unwrap();
}

#[test]
fn every_client_is_made_by_one_builder() {
    use rdkafka::consumer::{BaseConsumer, DefaultConsumerContext};
    use rdkafka::producer::{BaseProducer, DefaultProducerContext};
    let c = config("[alert]\nenabled = true");
    let consumer: Result<BaseConsumer, _> =
        create(&c, Client::AlertConsumer, DefaultConsumerContext);
    assert!(consumer.is_ok(), "{:?}", consumer.err());
    let producer: Result<BaseProducer, _> = create(&c, Client::Producer, DefaultProducerContext);
    assert!(producer.is_ok(), "{:?}", producer.err());
    // A bad setting is a config error naming its field, whichever client it is for.
    let bad = config("[kafka.producer]\n\"linger.ms\" = \"-7\"");
    let Err(err) = create::<_, BaseProducer>(&bad, Client::Producer, DefaultProducerContext) else {
        panic!("a negative linger.ms was accepted");
    };
    assert!(
        matches!(&err, ClientError::Config(ConfigError::Invalid { field, .. }) if field == "kafka.producer.\"linger.ms\""),
        "{err:?}"
    );
}
