//! Set-up shared by the commands: logging, the async runtime, the scorer and its settings, and
//! quiet exits on a broken pipe.

use std::path::PathBuf;

use anyhow::Context;

use brandpulse::config::{Config, ScorerKind, ScoringConfig};
use brandpulse::score::onnx::Precision;
use brandpulse::score::{self, Scorer};

use super::args::LogFormat;

/// Logs to stderr in `format`, at the level of `RUST_LOG` (default `info,rdkafka=warn`).
pub(super) fn init_logging(format: LogFormat) {
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

/// Builds the scorer `kind` with `config` and logs which one is ready.
pub(super) fn make_scorer(
    kind: ScorerKind,
    config: &ScoringConfig,
) -> anyhow::Result<Box<dyn Scorer>> {
    let scorer = score::build(kind, config).context("loading the scorer")?;
    tracing::info!(scorer = %scorer.info().name, version = %scorer.info().version, "scorer ready");
    Ok(scorer)
}

/// The [scoring] section of `config` (or the defaults), with `precision` applied.
pub(super) fn scoring_config(
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

/// The multi-threaded tokio runtime of `run` and `demo`.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
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
pub(super) fn exit_quietly_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
