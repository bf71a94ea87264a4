//! The `brandpulse` command line. Thin: parses arguments, loads config, builds the registry and
//! the scorer, and hands over to the library.

// The one `unsafe` block of the crate is in this binary (SIGPIPE); the library forbids it.
#![deny(unsafe_code)]

use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use brandpulse::config::{Config, ConfigError, ScorerKind, ScoringConfig};
use brandpulse::ingest::Decoder;
use brandpulse::matcher::Matcher;
use brandpulse::record::InputFormat;
use brandpulse::score::onnx::Precision;
use brandpulse::score::stage::ScoreStage;
use brandpulse::score::Scorer;
use brandpulse::service::Service;
use brandpulse::{demo, eval, offline, score, shutdown};

/// EX_USAGE: bad command line or config.
const EXIT_USAGE: u8 = 64;
/// EX_DATAERR: some input lines were rejected.
const EXIT_DATAERR: u8 = 65;

#[derive(Parser)]
#[command(
    name = "brandpulse",
    version,
    about = "Social-listening stream processor: Kafka mentions in; brand matches with sentiment out to Kafka and Prometheus.",
    long_about = "brandpulse reads mentions (posts, comments, news items) from Kafka, matches them against every \
brand's rules in one pass, scores their sentiment, and writes scored mentions to a Kafka topic keyed by brand, \
bad records to a dead-letter topic, and per-brand time series to Prometheus.\n\n\
Start with `brandpulse demo`: it needs no Kafka and shows the whole pipeline.",
    after_help = "Logs go to stderr, coloured only when stderr is a terminal (and NO_COLOR is unset); set RUST_LOG\n\
(e.g. RUST_LOG=brandpulse=debug) to change the level, and --log-format json (BRANDPULSE_LOG_FORMAT=json)\n\
for one JSON object per line, for log collectors."
)]
struct Cli {
    /// Log lines as text (default) or one JSON object per line (for log collectors).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "BRANDPULSE_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines; ANSI colours only on a terminal.
    Text,
    /// One JSON object per line: timestamp, level, target, fields.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: consume the configured topics until SIGINT/SIGTERM.
    #[command(
        after_help = "Signals: SIGINT/SIGTERM drain and stop; SIGHUP reloads the rules ([matching] and [[brands]]) from the\n\
config file, which is also polled for changes every `matching.reload_poll`. A bad reload keeps the old rules.\n\n\
Exit codes: 0 clean shutdown, 1 runtime failure, 64 bad config."
    )]
    Run {
        /// Config file (TOML). See the README's configuration reference.
        #[arg(short, long, env = "BRANDPULSE_CONFIG")]
        config: PathBuf,
        /// Overrides `kafka.instance_id` (static group membership), e.g. the pod name.
        #[arg(long, env = "BRANDPULSE_INSTANCE_ID")]
        instance_id: Option<String>,
    },
    /// Match and score mentions from stdin (JSONL), write scored JSONL to stdout.
    #[command(
        after_help = "Each rejected line is reported on stderr as `line N: <reason>: <detail>`; a summary line comes last.\n\
Exit codes: 0 when no line was rejected, 65 when some were, 64 bad config, 1 I/O failure.\n\n\
Example:\n  brandpulse process --config brands.toml < mentions.jsonl > scored.jsonl"
    )]
    Process {
        /// Config file with the brands.
        #[arg(short, long)]
        config: PathBuf,
        /// Format of the input lines.
        #[arg(long, value_enum, default_value_t = InputFormat::Canonical)]
        format: InputFormat,
        /// Override `pipeline.max_text_bytes`.
        #[arg(long)]
        max_text_bytes: Option<usize>,
    },
    /// Score the sentiment of each stdin line (`{"text": ...}` or a mention); no brand filter.
    #[command(
        after_help = "Output: one JSON line per input line: {\"line\", \"label\", \"score\", \"confidence\", \"lang\", \"scorer\"}.\n\n\
Example:\n  echo '{\"text\": \"I love it\"}' | brandpulse score"
    )]
    Score {
        /// The scorer.
        #[arg(long, value_enum, default_value_t = ScorerKind::Transformer)]
        scorer: ScorerKind,
        /// Config file whose [scoring] section to use (model directory, precision, ...).
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// ONNX weights (overrides the config).
        #[arg(long, value_enum)]
        precision: Option<Precision>,
    },
    /// Measure a scorer on labelled JSONL: accuracy, macro-F1, confusion matrix.
    #[command(
        after_help = "Input: one JSON object per line: {\"text\": ..., \"label\": \"positive|neutral|negative\"} (optional \"lang\").\n\
With \"lang\" in the data, one line per language (`lang=<l> n=<n> accuracy=<x> macro_f1=<y>`) and their\n\
mean (`languages=<k> mean_accuracy=<x> mean_macro_f1=<y>`) come before the last line.\n\
The last line printed is `accuracy=<x> macro_f1=<y> n=<n>`; when every label is positive or negative it\n\
adds `binary_accuracy=<z>`: the sign of the score (P(positive) vs P(negative)) against the label.\n\n\
Example:\n  brandpulse eval --data models/eval/sanity-multilingual.jsonl --scorer lexicon"
    )]
    Eval {
        /// Labelled JSONL file.
        #[arg(long)]
        data: PathBuf,
        /// The scorer.
        #[arg(long, value_enum, default_value_t = ScorerKind::Transformer)]
        scorer: ScorerKind,
        /// Config file whose [scoring] section to use.
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// ONNX weights (overrides the config).
        #[arg(long, value_enum)]
        precision: Option<Precision>,
    },
    /// Replay seeded seasonal streams with injected spikes through the alert detector.
    #[command(
        after_help = "Reports recall and detection delay per spike kind, size, duration and volume class, and false alarms\n\
per brand-week on spike-free streams, next to a reference test that knows each spike's exact\n\
minutes and true baseline. The last line printed is\n\
`recall_3x10m=<x> false_alarms_per_brand_week=<y> median_delay=<z> reference_recall_3x10m=<r>\n\
detectable_share=<s> recall_detectable_3x10m=<d>`. See docs/alerts.md.\n\n\
Example:\n  brandpulse alert-eval --weeks 4 --brands 60 --dispersion 0.05"
    )]
    AlertEval {
        /// Weeks evaluated (after the learning weeks).
        #[arg(long, default_value_t = 4)]
        weeks: u32,
        /// Weeks the detector learns first (no spikes, alerts not counted).
        #[arg(long, default_value_t = 2)]
        learn_weeks: u32,
        /// Brands (round-robin low, mid and high volume).
        #[arg(long, default_value_t = 30)]
        brands: usize,
        /// Seed of the streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Overdispersion of the counts: variance = mean + D * mean^2 (0 = Poisson).
        #[arg(long, default_value_t = 0.0)]
        dispersion: f64,
        /// Config file whose [alert] section to use (default: the built-in defaults).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// Run the whole pipeline on an in-process broker with a generated sample stream.
    #[command(
        after_help = "Prints the broker's bootstrap address (attach any Kafka client to it), the live page URL and the metrics URL.\n\n\
Example:\n  brandpulse demo --duration 60s"
    )]
    Demo {
        /// Stop after this long (e.g. 60s, 10m). Default: until Ctrl-C.
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
        /// Mean mentions per second (the daily rhythm and bursts vary it).
        #[arg(long, default_value_t = 40.0)]
        rate: f64,
        /// Address of /metrics, /healthz, /readyz and the live page (/).
        #[arg(long, default_value = "127.0.0.1:9898")]
        listen: SocketAddr,
        /// Seed of the sample stream.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The scorer (default: the transformer, as in the demo config).
        #[arg(long, value_enum)]
        scorer: Option<ScorerKind>,
    },
    /// Brand rules: validate them, or try them on sample mentions before deploying.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Validate a config file and print a summary, without connecting to anything.
    Check {
        /// Config file.
        #[arg(short, long)]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Parse and compile every brand's rules; print a summary per brand and topic.
    #[command(
        after_help = "Exit codes: 0 ok, 64 when a rule is invalid (the message names the field, the position in the query and the reason).\n\n\
Example:\n  brandpulse rules check --config brands.toml"
    )]
    Check {
        /// Config file with the [[brands]].
        #[arg(short, long, env = "BRANDPULSE_CONFIG")]
        config: PathBuf,
    },
    /// Match each stdin line against the rules; print one JSON line per input line.
    #[command(
        after_help = "Output: {\"line\": n, \"matches\": [{\"brand\": ..., \"topics\": [...], \"terms\": [...]}]} per non-blank line;\n\
a line that does not decode gets \"matches\": [] and an \"error\". A summary goes to stderr.\n\
Exit codes: 0 ok, 65 when some lines did not decode, 64 bad config.\n\n\
Example:\n  echo 'Acme refund please #fail' | brandpulse rules test --config brands.toml"
    )]
    Test {
        /// Config file with the [[brands]].
        #[arg(short, long, env = "BRANDPULSE_CONFIG")]
        config: PathBuf,
        /// What each stdin line is.
        #[arg(long, value_enum, default_value_t = offline::RulesInput::Text)]
        format: offline::RulesInput,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                eprintln!("error: {ce}");
                return ExitCode::from(EXIT_USAGE);
            }
            // Bad alert-eval arguments (or an [alert] window it cannot replay).
            if let Some(re) = e.downcast_ref::<brandpulse::alert::replay::ReplayError>() {
                eprintln!("error: {re}");
                return ExitCode::from(EXIT_USAGE);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => {
            // Colour codes only for a person at a terminal, never in a file or a collector.
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init();
        }
    }
}

fn make_scorer(kind: ScorerKind, config: &ScoringConfig) -> anyhow::Result<Box<dyn Scorer>> {
    let scorer = score::build(kind, config).context("loading the scorer")?;
    tracing::info!(scorer = %scorer.info().name, version = %scorer.info().version, "scorer ready");
    Ok(scorer)
}

/// The [scoring] section of `config` (or the defaults), with `precision` applied.
fn scoring_config(
    config: Option<&PathBuf>,
    precision: Option<Precision>,
) -> anyhow::Result<ScoringConfig> {
    let mut scoring = match config {
        Some(path) => Config::load(path)?.scoring,
        None => ScoringConfig::default(),
    };
    if let Some(p) = precision {
        scoring.precision = p;
    }
    Ok(scoring)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("brandpulse-rt")
        .build()
        .context("starting the async runtime")
}

/// The offline commands write to stdout for pipelines (`brandpulse rules test ... | head`):
/// like other Unix filters, they end quietly when the reader goes away instead of panicking on
/// a broken pipe. (The service keeps Rust's default of ignoring SIGPIPE.)
#[allow(unsafe_code)]
fn exit_quietly_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    if matches!(
        cli.command,
        Command::Process { .. }
            | Command::Score { .. }
            | Command::Eval { .. }
            | Command::Check { .. }
            | Command::Rules { .. }
            | Command::AlertEval { .. }
    ) {
        exit_quietly_on_broken_pipe();
    }
    match cli.command {
        Command::Run {
            config: config_path,
            instance_id,
        } => {
            let mut config = Config::load(&config_path)?;
            if instance_id.is_some() {
                config.kafka.instance_id = instance_id;
            }
            brandpulse::preflight::check_for_run(&config)?;
            let scorer = make_scorer(config.scoring.scorer, &config.scoring)?;
            runtime()?.block_on(run_service(config, config_path, scorer))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Process {
            config,
            format,
            max_text_bytes,
        } => {
            let config = Config::load(&config)?;
            config.validate_brands_present()?;
            let matcher = Matcher::new(&config.brands, &config.matching)?;
            let mut limits = brandpulse::ingest::Limits::of(&config.pipeline);
            if let Some(max) = max_text_bytes {
                limits.max_text_bytes = max;
            }
            let decoder = Decoder::with_limits(format, limits);
            let mut stage = ScoreStage::new(
                make_scorer(config.scoring.scorer, &config.scoring)?,
                config.scoring.cache_entries,
            );
            let stdin = std::io::stdin().lock();
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let mut stderr = std::io::stderr().lock();
            let summary = offline::process(
                BufReader::new(stdin),
                &mut stdout,
                &mut stderr,
                &decoder,
                &matcher,
                &mut stage,
            )?;
            writeln!(stderr, "{summary}")?;
            Ok(if summary.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DATAERR)
            })
        }
        Command::Score {
            scorer,
            config,
            precision,
        } => {
            let scoring = scoring_config(config.as_ref(), precision)?;
            // The same limits as `process` and the service: [pipeline] of the config.
            let limits = match &config {
                Some(path) => brandpulse::ingest::Limits::of(&Config::load(path)?.pipeline),
                None => brandpulse::ingest::Limits::of(&Default::default()),
            };
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
            Ok(if summary.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DATAERR)
            })
        }
        Command::Eval {
            data,
            scorer,
            config,
            precision,
        } => {
            let scoring = scoring_config(config.as_ref(), precision)?;
            let mut scorer = make_scorer(scorer, &scoring)?;
            let file = std::fs::File::open(&data)
                .with_context(|| format!("opening {}", data.display()))?;
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
        Command::AlertEval {
            weeks,
            learn_weeks,
            brands,
            seed,
            dispersion,
            config,
        } => {
            let alert = match config {
                Some(path) => Config::load(&path)?.alert,
                None => brandpulse::config::AlertConfig::default(),
            };
            let replay = brandpulse::alert::replay::ReplayConfig {
                learn_weeks,
                eval_weeks: weeks,
                brands,
                seed,
                dispersion,
                ..Default::default()
            };
            let report = brandpulse::alert::replay::evaluate(
                &replay,
                &brandpulse::alert::detector::DetectorConfig::from(&alert),
            )?;
            println!("{}", report.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            duration,
            rate,
            listen,
            seed,
            scorer,
        } => {
            if !(rate > 0.0 && rate <= 100_000.0) {
                return Err(ConfigError::Invalid {
                    field: "--rate".into(),
                    reason: "must be between 0 and 100000 mentions per second".into(),
                }
                .into());
            }
            let demo_scoring =
                Config::from_toml(demo::DEMO_CONFIG, "embedded demo config")?.scoring;
            let scorer = make_scorer(scorer.unwrap_or(demo_scoring.scorer), &demo_scoring)?;
            runtime()?.block_on(demo::run(
                demo::DemoOptions {
                    duration,
                    rate,
                    listen,
                    seed,
                },
                scorer,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { command } => rules(command),
        Command::Check { config } => {
            let path = config;
            let config = Config::load(&path)?;
            // Exactly what `run` checks before it connects.
            let matcher = brandpulse::preflight::check_for_run(&config)?;
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
                    .unwrap_or_else(score::transformer::default_model_dir)
                    .display()
            );
            print_brands(&config)?;
            print!(
                "  memory, worst case (docs/operations.md):\n{}",
                brandpulse::config::memory::Estimate::of(&config).table()
            );
            let st = matcher.stats();
            println!(
                "  compiled: {} topic(s), {} literal(s), {} pattern(s)",
                st.topics, st.literals, st.patterns
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints one line per brand and one per topic (its query's terms and operators).
fn print_brands(config: &Config) -> anyhow::Result<()> {
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
            let node = brandpulse::matcher::topic_query(brand, name, topic, &limits)?;
            println!(
                "    {name}: {}",
                brandpulse::matcher::TopicSummary::of(&node)
            );
        }
    }
    Ok(())
}

fn rules(command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::Check { config: path } => {
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
        RulesCommand::Test {
            config: path,
            format,
        } => {
            let config = Config::load(&path)?;
            config.validate_brands_present()?;
            let matcher = Matcher::new(&config.brands, &config.matching)?;
            let decoder = match format {
                offline::RulesInput::Text => None,
                offline::RulesInput::Canonical => Some(Decoder::with_limits(
                    InputFormat::Canonical,
                    brandpulse::ingest::Limits::of(&config.pipeline),
                )),
                offline::RulesInput::TwitterV1 => Some(Decoder::with_limits(
                    InputFormat::TwitterV1,
                    brandpulse::ingest::Limits::of(&config.pipeline),
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
            Ok(if summary.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DATAERR)
            })
        }
    }
}

async fn run_service(
    config: Config,
    config_path: PathBuf,
    scorer: Box<dyn Scorer>,
) -> anyhow::Result<()> {
    let service = Service::bind(config).await?.reload_rules_from(config_path);
    tokio::spawn(shutdown::on_signals(service.trigger()));
    service.run(scorer).await?;
    Ok(())
}
