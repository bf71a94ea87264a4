//! `brandpulse intent-eval`: intent and needs-response measured on labelled posts
//! (`brandpulse::intent::eval`).

use std::io::BufReader;
use std::process::ExitCode;

use anyhow::Context;
use brandpulse::intent::eval;
use brandpulse::score::ScoreInput;

use super::args::{IntentEvalArgs, ScorerArgs};
use super::setup::{make_scorer, scoring_config};

/// Scores the posts' sentiment, classifies their intent and prints the report.
pub(super) fn execute(args: IntentEvalArgs) -> anyhow::Result<ExitCode> {
    let IntentEvalArgs {
        data,
        errors,
        scorer:
            ScorerArgs {
                scorer,
                config,
                precision,
            },
    } = args;
    let file = std::fs::File::open(&data).with_context(|| format!("opening {}", data.display()))?;
    let posts =
        eval::read(BufReader::new(file)).with_context(|| format!("reading {}", data.display()))?;
    let scoring = scoring_config(config.as_ref(), precision)?;
    let mut scorer = make_scorer(scorer, &scoring)?;
    let mut sentiments = Vec::with_capacity(posts.len());
    for chunk in posts.chunks(64) {
        let inputs: Vec<ScoreInput<'_>> = chunk
            .iter()
            .map(|p| ScoreInput {
                text: &p.text,
                lang: Some(&p.lang),
            })
            .collect();
        sentiments.extend(scorer.score_batch(&inputs).context("scoring the posts")?);
    }
    let info = scorer.info();
    println!("data: {} ({} posts)", data.display(), posts.len());
    println!("sentiment: {} {}", info.name, info.version);
    println!(
        "{}",
        eval::render(&eval::evaluate(&posts, &sentiments), errors)
    );
    Ok(ExitCode::SUCCESS)
}
