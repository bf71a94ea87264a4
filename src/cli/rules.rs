//! `brandpulse rules check` and `rules test`: brand rules compiled and summarised, or tried on
//! stdin lines.

use std::io::BufReader;
use std::process::ExitCode;

use brandpulse::config::Config;
use brandpulse::ingest::{Decoder, Limits};
use brandpulse::matcher::{self, Matcher, TopicSummary};
use brandpulse::offline::{self, RulesInput};
use brandpulse::record::InputFormat;

use super::args::{BrandsConfigArgs, RulesTestArgs};
use super::rejected_exit_code;

/// `rules check`: compiles every brand's rules and prints a summary per brand and topic.
pub(super) fn check(args: BrandsConfigArgs) -> anyhow::Result<ExitCode> {
    let path = args.config;
    let config = Config::load(&path)?;
    config.validate_brands_present()?;
    let started = std::time::Instant::now();
    let matcher = Matcher::new(&config.brands, &config.matching)?;
    let elapsed = started.elapsed();
    let st = matcher.stats();
    println!(
        "{}: ok: {} brand(s), {} topic(s), {} literal(s), {} automaton pattern(s), compiled in {:.1} ms",
        path.display(),
        st.brands,
        st.topics,
        st.literals,
        st.patterns,
        elapsed.as_secs_f64() * 1e3
    );
    print_brands(&config)?;
    Ok(ExitCode::SUCCESS)
}

/// `rules test`: matches each stdin line (text, or a mention to decode) and prints its
/// matches as one JSON line; a summary goes to stderr.
pub(super) fn test(args: RulesTestArgs) -> anyhow::Result<ExitCode> {
    let path = args.brands.config;
    let config = Config::load(&path)?;
    config.validate_brands_present()?;
    brandpulse::lang::set_detection(config.pipeline.language_detection);
    let matcher = Matcher::new(&config.brands, &config.matching)?;
    let decoder = match args.format {
        RulesInput::Text => None,
        RulesInput::Canonical => Some(Decoder::with_limits(
            InputFormat::Canonical,
            Limits::of(&config.pipeline),
        )),
        RulesInput::TwitterV1 => Some(Decoder::with_limits(
            InputFormat::TwitterV1,
            Limits::of(&config.pipeline),
        )),
    };
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let summary = offline::rules_test(
        BufReader::new(stdin),
        &mut stdout,
        decoder.as_ref(),
        &matcher,
    )?;
    eprintln!("{summary}");
    Ok(rejected_exit_code(summary.rejected))
}

/// Prints one line per brand and one per topic (its query's terms and operators).
pub(super) fn print_brands(config: &Config) -> anyhow::Result<()> {
    let limits = config.matching.limits();
    for brand in &config.brands {
        println!(
            "  brand {}{}: {} topic(s)",
            brand.id,
            brand
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            brand.topics.len()
        );
        for (name, topic) in &brand.topics {
            let node = matcher::topic_query(brand, name, topic, &limits)?;
            println!("    {name}: {}", TopicSummary::of(&node));
        }
    }
    Ok(())
}
