//! `brandpulse eval`: a scorer measured on labelled JSONL.

use std::io::BufReader;
use std::process::ExitCode;

use anyhow::Context;

use brandpulse::eval;

use super::args::{EvalArgs, ScorerArgs};
use super::setup::{make_scorer, scoring_config};

/// Scores the labelled file and prints the report (accuracy, macro-F1, confusion matrix).
pub(super) fn execute(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let EvalArgs {
        data,
        scorer:
            ScorerArgs {
                scorer,
                config,
                precision,
            },
    } = args;
    let scoring = scoring_config(config.as_ref(), precision)?;
    let mut scorer = make_scorer(scorer, &scoring)?;
    let file = std::fs::File::open(&data).with_context(|| format!("opening {}", data.display()))?;
    let mut stderr = std::io::stderr().lock();
    let evaluation = eval::evaluate(BufReader::new(file), scorer.as_mut(), 64, &mut stderr)
        .with_context(|| format!("evaluating {}", data.display()))?;
    let info = scorer.info();
    println!("data: {}", data.display());
    println!(
        "{}",
        evaluation.report(&format!("{} {}", info.name, info.version))
    );
    Ok(ExitCode::SUCCESS)
}
