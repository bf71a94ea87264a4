//! `brandpulse intent-eval`: intent and needs-response measured on labelled posts
//! (`brandpulse::intent::eval`).

use std::io::BufReader;
use std::process::ExitCode;

use anyhow::Context;
use brandpulse::intent::{self, eval};
use brandpulse::mention::{Sentiment, SentimentLabel};
use brandpulse::score::ScoreInput;

use super::args::{IntentEvalArgs, ScorerArgs};
use super::setup::{make_scorer, scoring_config};

/// Scores the posts' sentiment, classifies their intent and prints the report.
pub(super) fn execute(args: IntentEvalArgs) -> anyhow::Result<ExitCode> {
    let IntentEvalArgs {
        data,
        errors,
        sweep,
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
    let mut scores = Vec::with_capacity(posts.len());
    for chunk in posts.chunks(64) {
        let inputs: Vec<ScoreInput<'_>> = chunk
            .iter()
            .map(|p| ScoreInput {
                text: &p.text,
                lang: Some(&p.lang),
            })
            .collect();
        scores.extend(
            scorer
                .score_batch_with_intent(&inputs)
                .context("scoring the posts")?,
        );
    }
    let info = scorer.info();
    println!("data: {} ({} posts)", data.display(), posts.len());
    println!("sentiment: {} {}", info.name, info.version);
    if sweep {
        anyhow::ensure!(
            scores.iter().any(|(_, m)| m.is_some()),
            "--sweep needs a scorer with an encoder (--scorer transformer)"
        );
        print!("{}", sweep_dev(&posts, &scores));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", eval::render(&eval::evaluate(&posts, &scores), errors));
    Ok(ExitCode::SUCCESS)
}

/// `dev`-split figures for complaint-margin thresholds around [`intent::COMPLAINT_MARGIN`]:
/// classifying with threshold `t` is classifying with every margin moved by
/// `COMPLAINT_MARGIN - t`.
fn sweep_dev(posts: &[eval::Labelled], scores: &[(Sentiment, Option<f32>)]) -> String {
    use std::fmt::Write as _;
    let (posts, scores): (Vec<eval::Labelled>, Vec<(Sentiment, Option<f32>)>) = posts
        .iter()
        .zip(scores)
        .filter(|(p, _)| p.split == "dev")
        .map(|(p, s)| (p.clone(), *s))
        .unzip();
    let mut o = format!(
        "dev split, {} posts; shipped threshold {:.3}\n\
         threshold  needs_response P  R      F1     complaint P  R      encoder alone: complaint P  R      F1\n",
        posts.len(),
        intent::COMPLAINT_MARGIN
    );
    for step in -6..=8 {
        let t = step as f32 * 0.01;
        let shifted: Vec<(Sentiment, Option<f32>)> = scores
            .iter()
            .map(|(s, m)| (*s, m.map(|m| m + intent::COMPLAINT_MARGIN - t)))
            .collect();
        let results = eval::evaluate(&posts, &shifted);
        let Some(r) = results.get("dev") else {
            continue;
        };
        let needs = r.needs_all();
        let complaint = r
            .labels
            .get(&intent::IntentLabel::Complaint)
            .cloned()
            .unwrap_or_default();
        // The encoder's vote by itself (cues and sentiment rule left out): the threshold is
        // chosen on this, because the cues were written with the dev posts in view.
        let mut alone = eval::Counts::default();
        for (p, (s, m)) in posts.iter().zip(scores.iter()) {
            let predicted = m.is_some_and(|m| m > t) && s.label != SentimentLabel::Positive;
            alone.add(
                predicted,
                p.labels.contains(&intent::IntentLabel::Complaint),
            );
        }
        let _ = writeln!(
            o,
            "{t:>9.3}  {:.3}             {:.3}  {:.3}  {:.3}        {:.3}  {:.3}                       {:.3}  {:.3}",
            needs.precision(),
            needs.recall(),
            needs.f1(),
            complaint.precision(),
            complaint.recall(),
            alone.precision(),
            alone.recall(),
            alone.f1()
        );
    }
    o
}
