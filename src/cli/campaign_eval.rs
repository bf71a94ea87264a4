//! `brandpulse campaign-eval`: the screen stage's campaign detection replayed on seeded
//! streams (`brandpulse::campaign_eval`).

use std::process::ExitCode;

use anyhow::Context;
use brandpulse::campaign_eval::{self as eval, sim::SimConfig};
use brandpulse::config::{AlertConfig, Config, ScreenConfig};

use super::args::CampaignEvalArgs;

/// Runs the replay with the config's [screen] and [alert] sections (or the defaults).
pub(super) fn execute(args: CampaignEvalArgs) -> anyhow::Result<ExitCode> {
    let (screen, alert) = match &args.config {
        Some(path) => {
            let c = Config::load(path).with_context(|| format!("config {}", path.display()))?;
            (c.screen, c.alert)
        }
        None => (ScreenConfig::default(), AlertConfig::default()),
    };
    let mut screen = screen;
    let c = &mut screen.campaign;
    c.min_authors = args.min_authors.unwrap_or(c.min_authors);
    c.similarity = args.similarity.unwrap_or(c.similarity);
    c.min_words = args.min_words.unwrap_or(c.min_words);
    c.window = args.window.unwrap_or(c.window);
    screen
        .validate()
        .context("the --min-authors, --similarity, --min-words or --window override")?;
    anyhow::ensure!(args.brands > 0, "--brands must be at least 1");
    anyhow::ensure!(args.hours > 0, "--hours must be at least 1");
    anyhow::ensure!(args.campaigns > 0, "--campaigns must be at least 1");
    let sim = SimConfig {
        seed: args.seed,
        brands: args.brands,
        hours: args.hours,
        learn_hours: args.learn_hours,
        campaigns_per_brand: args.campaigns,
        ..SimConfig::default()
    };
    eprintln!(
        "campaign-eval: generating and screening {} brands x {} h (seed {})...",
        sim.brands,
        sim.learn_hours + sim.hours,
        sim.seed
    );
    let report = eval::evaluate(&sim, &screen, &alert);
    println!("{}", report.render());
    Ok(ExitCode::SUCCESS)
}
