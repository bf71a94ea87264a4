//! `[[inputs]]`, and the check of the input and output topic names against each other.

use serde::Deserialize;

use super::helpers::{invalid, validate_topic_name};
use super::output::OutputConfig;
use super::ConfigError;
use crate::record::InputFormat;

/// One input topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Topic name.
    pub topic: String,
    /// Record format: `canonical` or `twitter-v1`.
    #[serde(default)]
    pub format: InputFormat,
}

/// Input and output topics: valid names, none listed twice, no input that is an output.
pub(super) fn validate(inputs: &[InputConfig], output: &OutputConfig) -> Result<(), ConfigError> {
    for (i, input) in inputs.iter().enumerate() {
        validate_topic_name(&format!("inputs[{i}].topic"), &input.topic)?;
        if inputs[..i].iter().any(|o| o.topic == input.topic) {
            return Err(invalid(
                format!("inputs[{i}].topic"),
                format!("topic `{}` is listed twice", input.topic),
            ));
        }
    }
    validate_topic_name("output.topic", &output.topic)?;
    validate_topic_name("output.dead_letter_topic", &output.dead_letter_topic)?;
    if output.topic == output.dead_letter_topic {
        return Err(invalid(
            "output.dead_letter_topic",
            "must differ from output.topic",
        ));
    }
    if !output.inbox_topic.is_empty() {
        validate_topic_name("output.inbox_topic", &output.inbox_topic)?;
        if output.inbox_topic == output.topic || output.inbox_topic == output.dead_letter_topic {
            return Err(invalid(
                "output.inbox_topic",
                "must differ from output.topic and output.dead_letter_topic (\"\" turns the inbox off)",
            ));
        }
    }
    if let Some(i) = inputs.iter().position(|inp| {
        inp.topic == output.topic
            || inp.topic == output.dead_letter_topic
            || inp.topic == output.inbox_topic
    }) {
        return Err(invalid(
            format!("inputs[{i}].topic"),
            "is also an output topic: brandpulse would read its own output",
        ));
    }
    Ok(())
}
