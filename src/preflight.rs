//! Everything `brandpulse run` checks before it connects to anything, in one function, so
//! that `brandpulse check` runs exactly the same validation: the config's own constraints,
//! the inputs and brands `run` needs, the compiled rules, and every librdkafka client config
//! (built and parsed by librdkafka, not connected).

use crate::config::{Config, ConfigError};
use crate::matcher::Matcher;

/// Validates `config` for `run`.
///
/// # Errors
/// The first [`ConfigError`] found; `main` exits with 64 on it.
pub fn check_for_run(config: &Config) -> Result<Matcher, ConfigError> {
    config.validate()?;
    config.validate_for_run()?;
    let matcher =
        Matcher::new(&config.brands, &config.matching).map_err(|e| ConfigError::Invalid {
            field: "brands".into(),
            reason: e.to_string(),
        })?;
    crate::kafka::validate(config)?;
    Ok(matcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> String {
        let config = match Config::from_toml(text, "t") {
            Ok(c) => c,
            Err(ConfigError::Invalid { field, .. }) => return field,
            Err(e) => panic!("{e}"),
        };
        match check_for_run(&config) {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected an error for {text}, got {:?}", other.map(|_| ())),
        }
    }

    const BASE: &str = "[[inputs]]\ntopic = \"m\"\n[[brands]]\nid = \"acme\"\n[brands.topics.b]\nkeywords = [\"acme\"]\n";

    #[test]
    fn what_run_refuses_check_refuses() {
        assert_eq!(field(""), "inputs");
        assert_eq!(field("[[inputs]]\ntopic = \"m\""), "brands");
        assert_eq!(
            field(&format!(
                "{BASE}[kafka.consumer]\n\"no.such.property\" = \"1\""
            )),
            "kafka.consumer.\"no.such.property\""
        );
        assert_eq!(
            field(&format!("[kafka]\nsession_timeout = \"1000000h\"\n{BASE}")),
            "kafka.session_timeout"
        );
        assert_eq!(
            field(&format!(
                "[pipeline]\nchannel_capacity = 9000000000000000000\n{BASE}"
            )),
            "pipeline.channel_capacity"
        );
        assert_eq!(
            field(&format!("{BASE}[kafka.producer]\nacks = \"0\"")),
            "kafka.producer.\"acks\""
        );
        let ok = Config::from_toml(BASE, "t").unwrap();
        check_for_run(&ok).unwrap();
    }
}
