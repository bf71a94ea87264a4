//! `brandpulse check`: a config validated and summarised, without connecting to anything.

use std::process::ExitCode;

use brandpulse::config::memory::Estimate;
use brandpulse::config::Config;
use brandpulse::preflight;
use brandpulse::score::transformer::default_model_dir;

use super::args::CheckArgs;
use super::rules::print_brands;

/// Runs exactly the checks `run` does before it connects, then prints the summary: Kafka,
/// inputs, output, scoring, brands and topics, worst-case memory, the compiled rules.
pub(super) fn execute(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let path = args.config;
    let config = Config::load(&path)?;
    // Exactly what `run` checks before it connects.
    let matcher = preflight::check_for_run(&config)?;
    println!("{}: ok", path.display());
    println!(
        "  kafka: brokers={} group={}",
        config.kafka.brokers, config.kafka.group_id
    );
    for input in &config.inputs {
        println!("  input: {} ({})", input.topic, input.format.as_str());
    }
    println!(
        "  output: {} (dead letters: {})",
        config.output.topic, config.output.dead_letter_topic
    );
    let sc = &config.scoring;
    println!(
        "  scoring: {:?} (backend {:?}, {}, model dir {})",
        sc.scorer,
        sc.backend,
        sc.precision.as_str(),
        sc.model_dir
            .clone()
            .unwrap_or_else(default_model_dir)
            .display()
    );
    print_brands(&config)?;
    print!(
        "  memory, worst case (docs/operations.md):\n{}",
        Estimate::of(&config).table()
    );
    let st = matcher.stats();
    println!(
        "  compiled: {} topic(s), {} literal(s), {} pattern(s)",
        st.topics, st.literals, st.patterns
    );
    Ok(ExitCode::SUCCESS)
}
