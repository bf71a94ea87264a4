//! The command line as clap sees it: every command, its arguments and its help text. The
//! logic of each command is in the file named after it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use brandpulse::config::ScorerKind;
use brandpulse::offline;
use brandpulse::record::InputFormat;
use brandpulse::score::onnx::Precision;

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
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Arguments every command takes (clap's `global`: before or after the command's name).
#[derive(Args)]
pub struct GlobalArgs {
    /// Log lines as text (default) or one JSON object per line (for log collectors).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "BRANDPULSE_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; ANSI colours only on a terminal.
    Text,
    /// One JSON object per line: timestamp, level, target, fields.
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the service: consume the configured topics until SIGINT/SIGTERM.
    #[command(
        after_help = "Signals: SIGINT/SIGTERM drain and stop; SIGHUP reloads the rules ([matching] and [[brands]]) from the\n\
config file, which is also polled for changes every `matching.reload_poll`. A bad reload keeps the old rules.\n\n\
Exit codes: 0 clean shutdown, 1 runtime failure, 64 bad config."
    )]
    Run(RunArgs),
    /// Match and score mentions from stdin (JSONL), write scored JSONL to stdout.
    #[command(
        after_help = "Each rejected line is reported on stderr as `line N: <reason>: <detail>`; a summary line comes last.\n\
Exit codes: 0 when no line was rejected, 65 when some were, 64 bad config, 1 I/O failure.\n\n\
Example:\n  brandpulse process --config brands.toml < mentions.jsonl > scored.jsonl"
    )]
    Process(ProcessArgs),
    /// Score the sentiment of each stdin line (`{"text": ...}` or a mention); no brand filter.
    #[command(
        after_help = "Output: one JSON line per input line: {\"line\", \"label\", \"score\", \"confidence\", \"lang\", \"scorer\"}.\n\n\
Example:\n  echo '{\"text\": \"I love it\"}' | brandpulse score"
    )]
    Score(ScorerArgs),
    /// Measure a scorer on labelled JSONL: accuracy, macro-F1, confusion matrix.
    #[command(
        after_help = "Input: one JSON object per line: {\"text\": ..., \"label\": \"positive|neutral|negative\"} (optional \"lang\").\n\
With \"lang\" in the data, one line per language (`lang=<l> n=<n> accuracy=<x> macro_f1=<y>`) and their\n\
mean (`languages=<k> mean_accuracy=<x> mean_macro_f1=<y>`) come before the last line.\n\
The last line printed is `accuracy=<x> macro_f1=<y> n=<n>`; when every label is positive or negative it\n\
adds `binary_accuracy=<z>`: the sign of the score (P(positive) vs P(negative)) against the label.\n\n\
Example:\n  brandpulse eval --data models/eval/sanity-multilingual.jsonl --scorer lexicon"
    )]
    Eval(EvalArgs),
    /// Replay seeded seasonal streams with injected spikes through the alert detector, or a
    /// real count history (--series).
    #[command(
        after_help = "Reports recall and detection delay per spike kind, size, duration and volume class, and false alarms\n\
per brand-week on spike-free streams, next to a reference test that knows each spike's exact\n\
minutes and true baseline; then alert drivers (is each spike's phrase among its alert's top 3?)\n\
and emerging terms (rising terms reported, and false ones per brand-week on spike-free streams).\n\
The last line printed is\n\
`recall_3x10m=<x> false_alarms_per_brand_week=<y> median_delay=<z> reference_recall_3x10m=<r>\n\
detectable_share=<s> recall_detectable_3x10m=<d> driver_recall=<a> emerging_recall=<b>\n\
emerging_false_per_brand_week=<c>`. It takes about 2 minutes with the defaults. See docs/alerts.md.\n\n\
With --series FILE (or - for stdin): a CSV of `timestamp,count` rows for one brand, in time order at\n\
a fixed interval (RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DD` or Unix seconds; a header line is\n\
allowed; missing intervals count as 0). The volume detector runs over it with the [alert] settings\n\
(warm-up, persistence, spans and cooldown in windows of the series' interval) and prints one JSON\n\
line per alert (kind, start, fired, end, severity, observed, expected, p_value, windows), then a\n\
JSON summary line (\"summary\": {rows, interval_s, windows, filled_windows, warmup_windows, alerts,\n\
critical, first, last}).\n\n\
Examples:\n  brandpulse alert-eval --weeks 4 --brands 60 --dispersion 0.05\n  \
brandpulse alert-eval --series acme-hourly.csv --config brandpulse.toml"
    )]
    AlertEval(AlertEvalArgs),
    /// Measure campaign detection (the screen stage) on seeded streams with injected campaigns.
    #[command(
        after_help = "Generates per-brand streams of organic mentions, organic look-alikes (many people saying one thing\n\
in their own words) and organic repost cascades, injects copy-paste campaigns (20-300 accounts,\n\
lightly edited copies, some accounts automated-looking), screens every mention with the [screen]\n\
settings and replays the brands' per-minute counts through the volume detector with the [alert]\n\
settings, counting every mention and then leaving out the excluded ones. Reports recall by campaign\n\
size, precision, time to detection, alerts avoided and organic mentions excluded. The last line\n\
printed is `campaign_recall=<x> campaign_precision=<y>` (recall over campaigns of >= 20 accounts).\n\
See docs/screening.md.\n\n\
Examples:\n  brandpulse campaign-eval --seed 7\n  brandpulse campaign-eval --brands 30 --hours 168 --config brandpulse.toml"
    )]
    CampaignEval(CampaignEvalArgs),
    /// Measure intent and needs-response on labelled posts (tests/data/intent/posts.tsv).
    #[command(
        after_help = "Scores each post's sentiment with the chosen scorer, classifies its intent (complaint, question,\n\
praise, other) and whether it needs a response, and compares with the labels: precision, recall\n\
and F1 of needs_response per language, precision and recall of each label, per split (dev and\n\
test were written before the cues, holdout after they were frozen: see its README). The last line\n\
printed is `needs_response_precision=<p> needs_response_recall=<r> needs_response_f1=<f>` on the\n\
holdout split.\n\
See docs/intent.md.\n\n\
Examples:\n  brandpulse intent-eval --scorer lexicon\n  brandpulse intent-eval --errors"
    )]
    IntentEval(IntentEvalArgs),
    /// Run the whole pipeline on an in-process broker with a generated sample stream.
    #[command(
        after_help = "Prints the broker's bootstrap address (attach any Kafka client to it), the live page URL and the metrics URL.\n\n\
Example:\n  brandpulse demo --duration 60s"
    )]
    Demo(DemoArgs),
    /// Brand rules: validate them, or try them on sample mentions before deploying.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Validate a config file and print a summary, without connecting to anything.
    Check(CheckArgs),
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Parse and compile every brand's rules; print a summary per brand and topic.
    #[command(
        after_help = "Exit codes: 0 ok, 64 when a rule is invalid (the message names the field, the position in the query and the reason).\n\n\
Example:\n  brandpulse rules check --config brands.toml"
    )]
    Check(BrandsConfigArgs),
    /// Match each stdin line against the rules; print one JSON line per input line.
    #[command(
        after_help = "Output: {\"line\": n, \"matches\": [{\"brand\": ..., \"topics\": [...], \"terms\": [...]}]} per non-blank line;\n\
a line that does not decode gets \"matches\": [] and an \"error\". A summary goes to stderr.\n\
Exit codes: 0 ok, 65 when some lines did not decode, 64 bad config.\n\n\
Example:\n  echo 'Acme refund please #fail' | brandpulse rules test --config brands.toml"
    )]
    Test(RulesTestArgs),
}

/// `brandpulse run`.
#[derive(Args)]
pub struct RunArgs {
    /// Config file (TOML). See the README's configuration reference.
    #[arg(short, long, env = "BRANDPULSE_CONFIG")]
    pub config: PathBuf,
    /// Overrides `kafka.instance_id` (static group membership), e.g. the pod name.
    #[arg(long, env = "BRANDPULSE_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

/// `brandpulse process`.
#[derive(Args)]
pub struct ProcessArgs {
    /// Config file with the brands.
    #[arg(short, long)]
    pub config: PathBuf,
    /// Format of the input lines.
    #[arg(long, value_enum, default_value_t = InputFormat::Canonical)]
    pub format: InputFormat,
    /// Override `pipeline.max_text_bytes`.
    #[arg(long)]
    pub max_text_bytes: Option<usize>,
}

/// The scorer and its settings: all of `brandpulse score`, shared with `brandpulse eval`.
#[derive(Args)]
pub struct ScorerArgs {
    /// The scorer.
    #[arg(long, value_enum, default_value_t = ScorerKind::Transformer)]
    pub scorer: ScorerKind,
    /// Config file whose [scoring] section to use (model directory, precision, ...).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// ONNX weights (overrides the config).
    #[arg(long, value_enum)]
    pub precision: Option<Precision>,
}

/// `brandpulse eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Labelled JSONL file.
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub scorer: ScorerArgs,
}

/// `brandpulse intent-eval`.
#[derive(Args)]
pub struct IntentEvalArgs {
    /// Labelled TSV (split, lang, brand, intents, needs_response, text).
    #[arg(long, default_value = "tests/data/intent/posts.tsv")]
    pub data: PathBuf,
    /// Also print every post whose labels were not exactly right.
    #[arg(long)]
    pub errors: bool,
    /// Instead of the report: `needs_response` and complaint figures on the `dev` split only,
    /// for complaint-margin thresholds around the shipped one (how it was chosen; needs the
    /// transformer scorer).
    #[arg(long)]
    pub sweep: bool,
    #[command(flatten)]
    pub scorer: ScorerArgs,
}

/// `brandpulse alert-eval`.
#[derive(Args)]
pub struct AlertEvalArgs {
    /// Weeks evaluated (after the learning weeks).
    #[arg(long, default_value_t = 4)]
    pub weeks: u32,
    /// Weeks the detector learns first (no spikes, alerts not counted).
    #[arg(long, default_value_t = 2)]
    pub learn_weeks: u32,
    /// Brands (round-robin low, mid and high volume).
    #[arg(long, default_value_t = 30)]
    pub brands: usize,
    /// Seed of the streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Overdispersion of the counts: variance = mean + D * mean^2 (0 = Poisson).
    #[arg(long, default_value_t = 0.0)]
    pub dispersion: f64,
    /// Config file whose [alert] section to use (default: the built-in defaults).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Replay this CSV of `timestamp,count` rows (one brand; `-` reads stdin) instead of
    /// generated streams.
    #[arg(long, value_name = "FILE")]
    pub series: Option<PathBuf>,
}

/// `brandpulse campaign-eval`.
#[derive(Args)]
pub struct CampaignEvalArgs {
    /// Seed of the streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Brands (round-robin 30, 150 and 600 organic mentions an hour).
    #[arg(long, default_value_t = 12)]
    pub brands: usize,
    /// Hours evaluated (after the learning hours).
    #[arg(long, default_value_t = 72)]
    pub hours: u32,
    /// Hours without campaigns first (the volume detector's warm-up and baseline).
    #[arg(long, default_value_t = 24)]
    pub learn_hours: u32,
    /// Campaigns injected per brand.
    #[arg(long, default_value_t = 4)]
    pub campaigns: usize,
    /// Config file whose [screen] and [alert] sections to use (default: the built-in defaults).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Overrides `screen.campaign.min_authors`.
    #[arg(long)]
    pub min_authors: Option<u32>,
    /// Overrides `screen.campaign.similarity`.
    #[arg(long)]
    pub similarity: Option<f64>,
    /// Overrides `screen.campaign.min_words`.
    #[arg(long)]
    pub min_words: Option<usize>,
    /// Overrides `screen.campaign.window` (e.g. 30m).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub window: Option<std::time::Duration>,
}

/// `brandpulse demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Stop after this long (e.g. 60s, 10m). Default: until Ctrl-C.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Mean mentions per second (the daily rhythm and bursts vary it).
    #[arg(long, default_value_t = 40.0)]
    pub rate: f64,
    /// Address of /metrics, /healthz, /readyz and the live page (/).
    #[arg(long, default_value = "127.0.0.1:9898")]
    pub listen: SocketAddr,
    /// Seed of the sample stream.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The scorer (default: the transformer, as in the demo config).
    #[arg(long, value_enum)]
    pub scorer: Option<ScorerKind>,
}

/// `brandpulse check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Config file.
    #[arg(short, long)]
    pub config: PathBuf,
}

/// The config file of the `rules` commands: all of `rules check`, shared with `rules test`.
#[derive(Args)]
pub struct BrandsConfigArgs {
    /// Config file with the [[brands]].
    #[arg(short, long, env = "BRANDPULSE_CONFIG")]
    pub config: PathBuf,
}

/// `brandpulse rules test`.
#[derive(Args)]
pub struct RulesTestArgs {
    #[command(flatten)]
    pub brands: BrandsConfigArgs,
    /// What each stdin line is.
    #[arg(long, value_enum, default_value_t = offline::RulesInput::Text)]
    pub format: offline::RulesInput,
}
