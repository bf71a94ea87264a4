//! `brandpulse alert-eval`: the spike detector replayed on seeded streams.

use std::process::ExitCode;

use brandpulse::alert::detector::DetectorConfig;
use brandpulse::alert::replay::{self, ReplayConfig};
use brandpulse::config::{AlertConfig, Config};

use super::args::AlertEvalArgs;

/// Runs the replay with the config's [alert] section (or the defaults) and prints the report.
pub(super) fn execute(args: AlertEvalArgs) -> anyhow::Result<ExitCode> {
    let alert = match args.config {
        Some(path) => Config::load(&path)?.alert,
        None => AlertConfig::default(),
    };
    let config = ReplayConfig {
        learn_weeks: args.learn_weeks,
        eval_weeks: args.weeks,
        brands: args.brands,
        seed: args.seed,
        dispersion: args.dispersion,
        ..Default::default()
    };
    let report = replay::evaluate(&config, &DetectorConfig::from(&alert))?;
    println!("{}", report.render());
    Ok(ExitCode::SUCCESS)
}
