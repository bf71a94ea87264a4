//! `brandpulse demo`: the whole pipeline on an in-process broker with a sample stream.

use std::process::ExitCode;

use brandpulse::config::{Config, ConfigError};
use brandpulse::demo;

use super::args::DemoArgs;
use super::setup::{make_scorer, runtime};

/// Checks `--rate`, builds the scorer (the demo config's unless `--scorer`), and runs the demo.
pub(super) fn execute(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let DemoArgs {
        duration,
        rate,
        listen,
        seed,
        scorer,
    } = args;
    if !(rate > 0.0 && rate <= 100_000.0) {
        return Err(ConfigError::Invalid {
            field: "--rate".into(),
            reason: "must be between 0 and 100000 mentions per second".into(),
        }
        .into());
    }
    let demo_scoring = Config::from_toml(demo::DEMO_CONFIG, "embedded demo config")?.scoring;
    let scorer = make_scorer(scorer.unwrap_or(demo_scoring.scorer), &demo_scoring)?;
    runtime()?.block_on(demo::run(
        demo::DemoOptions {
            duration,
            rate,
            listen,
            seed,
        },
        scorer,
    ))?;
    Ok(ExitCode::SUCCESS)
}
