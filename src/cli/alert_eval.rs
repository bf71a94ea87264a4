//! `brandpulse alert-eval`: the spike detector replayed on seeded streams, or over a real
//! count history (`--series`).

use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use brandpulse::alert::detector::DetectorConfig;
use brandpulse::alert::replay::{self, ReplayConfig};
use brandpulse::alert::series;
use brandpulse::config::{AlertConfig, Config};

use super::args::AlertEvalArgs;

/// Runs the replay with the config's [alert] section (or the defaults) and prints the report.
pub(super) fn execute(args: AlertEvalArgs) -> anyhow::Result<ExitCode> {
    let alert = match args.config {
        Some(path) => Config::load(&path)?.alert,
        None => AlertConfig::default(),
    };
    let detector = DetectorConfig::from(&alert);
    if let Some(path) = args.series {
        return replay_series(&path, &detector);
    }
    let config = ReplayConfig {
        learn_weeks: args.learn_weeks,
        eval_weeks: args.weeks,
        brands: args.brands,
        seed: args.seed,
        dispersion: args.dispersion,
        ..Default::default()
    };
    let report = replay::evaluate(&config, &alert)?;
    println!("{}", report.render());
    Ok(ExitCode::SUCCESS)
}

/// `--series FILE`: one JSON line per alert, then the summary.
fn replay_series(path: &Path, alert: &DetectorConfig) -> anyhow::Result<ExitCode> {
    let parsed = if path == Path::new("-") {
        series::read(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path)
            .with_context(|| format!("opening the series {}", path.display()))?;
        series::read(BufReader::new(file))
    };
    let parsed = parsed.with_context(|| format!("series {}", path.display()))?;
    let cfg = series::detector_for(&parsed, alert);
    let (alerts, summary) = series::replay(&parsed, &cfg);
    for a in &alerts {
        println!("{}", serde_json::to_string(a)?);
    }
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({ "summary": summary }))?
    );
    Ok(ExitCode::SUCCESS)
}
