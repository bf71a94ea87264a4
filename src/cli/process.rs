//! `brandpulse process`: match and score JSONL mentions from stdin to stdout.

use std::io::{BufReader, Write};
use std::process::ExitCode;

use brandpulse::config::Config;
use brandpulse::ingest::{Decoder, Limits};
use brandpulse::matcher::Matcher;
use brandpulse::offline;
use brandpulse::score::stage::ScoreStage;
use brandpulse::screen::Screener;

use super::args::ProcessArgs;
use super::rejected_exit_code;
use super::setup::make_scorer;

/// Decodes, matches and scores each stdin line; rejected lines go to stderr, then a summary.
pub(super) fn execute(args: ProcessArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    config.validate_brands_present()?;
    brandpulse::lang::set_detection(config.pipeline.language_detection);
    let matcher = Matcher::new(&config.brands, &config.matching)?;
    let mut limits = Limits::of(&config.pipeline);
    if let Some(max) = args.max_text_bytes {
        limits.max_text_bytes = max;
    }
    let decoder = Decoder::with_limits(args.format, limits);
    let mut stage = ScoreStage::new(
        make_scorer(config.scoring.scorer, &config.scoring)?,
        config.scoring.cache_entries,
    );
    let mut screener = config
        .screen
        .enabled
        .then(|| Screener::new(&config.screen, &config.brands));
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    let summary = offline::process(
        BufReader::new(stdin),
        &mut stdout,
        &mut stderr,
        &decoder,
        &matcher,
        screener.as_mut(),
        &mut stage,
    )?;
    writeln!(stderr, "{summary}")?;
    Ok(rejected_exit_code(summary.rejected))
}
