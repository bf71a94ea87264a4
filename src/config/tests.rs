use super::*;
use crate::record::InputFormat;

const GOOD: &str = r##"
    [kafka]
    brokers = "127.0.0.1:9092"
    [[inputs]]
    topic = "mentions"
    [[inputs]]
    topic = "tweets"
    format = "twitter-v1"
    [[brands]]
    id = "acme"
    [brands.topics.brand]
    keywords = ["acme", "acme corp"]
    hashtags = ["#acme"]
"##;

#[test]
fn good_config_loads_with_defaults() {
    let c = Config::from_toml(GOOD, "test").unwrap();
    assert_eq!(c.inputs[1].format, InputFormat::TwitterV1);
    assert_eq!(c.pipeline.max_text_bytes, 65536);
    assert_eq!(c.telemetry.listen.to_string(), "127.0.0.1:9898");
    c.validate_for_run().unwrap();
}

fn field_of(text: &str) -> String {
    match Config::from_toml(text, "t") {
        Err(ConfigError::Invalid { field, .. }) => field,
        Err(ConfigError::Parse { message, .. }) => format!("parse: {message}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn bad_values_name_their_field() {
    let cases = [
        (
            "[[brands]]\nid = \"Acme!\"\n[brands.topics.b]\nkeywords=[\"a\"]",
            "brands[0].id",
        ),
        ("[[brands]]\nid = \"acme\"\ntopics = {}", "brands[0].topics"),
        (
            "[[brands]]\nid = \"acme\"\n[brands.topics.b]\nkeywords=[\"!!\"]",
            "brands[0].topics.b.keywords[0]",
        ),
        ("[[inputs]]\ntopic = \"bad topic\"", "inputs[0].topic"),
        (
            "[output]\ntopic = \"x\"\ndead_letter_topic = \"x\"",
            "output.dead_letter_topic",
        ),
        (
            "[output]\ninbox_topic = \"brandpulse.scored\"",
            "output.inbox_topic",
        ),
        (
            "[output]\ninbox_topic = \"bad topic\"",
            "output.inbox_topic",
        ),
        (
            "[[inputs]]\ntopic = \"brandpulse.inbox\"",
            "inputs[0].topic",
        ),
        (
            "[pipeline]\ndrain_timeout = \"60s\"",
            "pipeline.drain_timeout",
        ),
        ("[pipeline]\nbatch_size = 0", "pipeline.batch_size"),
        (
            "[kafka.librdkafka]\n\"enable.auto.offset.store\" = \"true\"",
            "kafka.librdkafka.\"enable.auto.offset.store\"",
        ),
        (
            "[[inputs]]\ntopic = \"brandpulse.scored\"",
            "inputs[0].topic",
        ),
        ("[alert]\nlong_span_windows = 10", "alert.long_span_windows"),
        (
            "[alert]\nlong_span_windows = 500",
            "alert.long_span_windows",
        ),
        // A brand's checkpoint is one record: 5,000 terms do not fit 1 MB...
        (
            "[alert]\nenabled = true\n[alert.terms]\nper_brand = 5000",
            "alert.terms.per_brand",
        ),
        ("[alert.terms]\nmax_total = 10", "alert.terms.max_total"),
        (
            "[alert.terms]\nemerging_span_windows = 2000",
            "alert.terms.emerging_span_windows",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(text), field, "config: {text}");
    }
}

#[test]
fn larger_term_tables_fit_when_records_may_be_larger() {
    // ...but do with 4 MB records.
    let c = Config::from_toml(
        "[output]\nmax_message_bytes = 4000000\n[alert]\nenabled = true\n[alert.terms]\nper_brand = 5000",
        "t",
    )
    .unwrap();
    assert_eq!(c.alert.terms.per_brand, 5000);
    // Without the alert stage nothing is checkpointed: small records are fine.
    let c = Config::from_toml("[output]\nmax_message_bytes = 8192", "t").unwrap();
    assert!(!c.alert.enabled);
    let err = Config::from_toml(
        "[output]\nmax_message_bytes = 8192\n[alert]\nenabled = true",
        "t",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("alert.terms.enabled = false"),
        "{err}"
    );
    Config::from_toml(
        "[output]\nmax_message_bytes = 8192\n[alert]\nenabled = true\n[alert.terms]\nenabled = false",
        "t",
    )
    .unwrap();
}

#[test]
fn unknown_fields_and_bad_types_are_parse_errors() {
    assert!(field_of("[pipeline]\nbatchsize = 3").contains("unknown field `batchsize`"));
    assert!(field_of("[pipeline]\ndrain_timeout = \"soon\"").starts_with("parse:"));
    assert!(field_of("[[inputs]]\ntopic = \"t\"\nformat = \"xml\"").contains("unknown variant"));
}

#[test]
fn run_needs_inputs_and_brands() {
    let c = Config::from_toml("", "t").unwrap();
    assert!(
        matches!(c.validate_for_run(), Err(ConfigError::Invalid { field, .. }) if field == "inputs")
    );
}

#[test]
fn an_empty_inbox_topic_turns_the_inbox_off() {
    let c = Config::from_toml("[output]\ninbox_topic = \"\"", "t").unwrap();
    assert!(c.output.inbox_topic.is_empty());
    assert_eq!(
        Config::from_toml("", "t").unwrap().output.inbox_topic,
        "brandpulse.inbox"
    );
}

#[test]
fn own_handles_are_checked_and_belong_to_one_brand() {
    let config = |acme: &str, globex: &str| {
        Config::from_toml(
            &format!(
                "[[brands]]\nid = \"acme\"\nown_handles = [{acme}]\n[brands.topics.brand]\nkeywords = [\"acme\"]\n\
                 [[brands]]\nid = \"globex\"\nown_handles = [{globex}]\n[brands.topics.brand]\nkeywords = [\"globex\"]\n"
            ),
            "t",
        )
    };
    let c = config("\"@AcmeHelp\", \"acme_support\"", "\"GlobexCares\"").unwrap();
    assert_eq!(c.brands[0].own_handles, ["@AcmeHelp", "acme_support"]);
    let error = |acme: &str, globex: &str| match config(acme, globex) {
        Err(ConfigError::Invalid { field, reason }) => format!("{field}: {reason}"),
        other => panic!("expected an error, got {other:?}"),
    };
    for bad in ["\"acme help\"", "\"@\"", "\"\""] {
        let e = error(bad, "\"GlobexCares\"");
        assert!(e.starts_with("brands[0].own_handles[0]: "), "{e}");
    }
    // The same handle, written differently, for two brands.
    let e = error("\"@AcmeHelp\"", "\"acmehelp\"");
    assert!(
        e.starts_with("brands[1].own_handles[0]: @acmehelp is also an own handle of brand `acme`"),
        "{e}"
    );
}

#[test]
fn inbox_limits_are_checked() {
    assert_eq!(
        field_of(&format!("[inbox]\nmax_open = 0\n{GOOD}")),
        "inbox.max_open"
    );
    assert_eq!(
        field_of(&format!("[inbox]\nmax_age = \"1s\"\n{GOOD}")),
        "inbox.max_age"
    );
    assert_eq!(
        field_of(&format!("[inbox]\nearly_reply_wait = \"30d\"\n{GOOD}")),
        "inbox.early_reply_wait"
    );
    let c = Config::from_toml(&format!("[inbox]\nmax_age = \"2d\"\n{GOOD}"), "t").unwrap();
    assert_eq!(c.inbox.max_age.as_secs(), 2 * 86_400);
}
