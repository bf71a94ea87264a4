//! `brandpulse score`: the sentiment of each stdin line, no brand filter.

use std::io::{BufReader, Write};
use std::process::ExitCode;

use brandpulse::config::Config;
use brandpulse::ingest::Limits;
use brandpulse::offline;
use brandpulse::score::stage::ScoreStage;

use super::args::ScorerArgs;
use super::rejected_exit_code;
use super::setup::{make_scorer, scoring_config};

/// Scores each stdin line with the chosen scorer; rejected lines go to stderr, then a summary.
pub(super) fn execute(args: ScorerArgs) -> anyhow::Result<ExitCode> {
    let ScorerArgs {
        scorer,
        config,
        precision,
    } = args;
    let scoring = scoring_config(config.as_ref(), precision)?;
    // The same limits as `process` and the service: [pipeline] of the config.
    let pipeline = match &config {
        Some(path) => Config::load(path)?.pipeline,
        None => Default::default(),
    };
    let limits = Limits::of(&pipeline);
    brandpulse::lang::set_detection(pipeline.language_detection);
    let mut stage = ScoreStage::new(make_scorer(scorer, &scoring)?, scoring.cache_entries);
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    let summary = offline::score(
        BufReader::new(stdin),
        &mut stdout,
        &mut stderr,
        &mut stage,
        &limits,
    )?;
    writeln!(stderr, "{summary}")?;
    Ok(rejected_exit_code(summary.rejected))
}
