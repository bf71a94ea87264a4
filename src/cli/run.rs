//! `brandpulse run`: the service, until SIGINT/SIGTERM; SIGHUP and file changes reload the
//! rules.

use std::path::PathBuf;
use std::process::ExitCode;

use brandpulse::config::Config;
use brandpulse::score::Scorer;
use brandpulse::service::Service;
use brandpulse::{preflight, shutdown};

use super::args::RunArgs;
use super::setup::{make_scorer, runtime};

/// Loads and checks the config (as `check` does), builds the scorer, and runs the service.
pub(super) fn execute(args: RunArgs) -> anyhow::Result<ExitCode> {
    let RunArgs {
        config: config_path,
        instance_id,
    } = args;
    let mut config = Config::load(&config_path)?;
    if instance_id.is_some() {
        config.kafka.instance_id = instance_id;
    }
    preflight::check_for_run(&config)?;
    let scorer = make_scorer(config.scoring.scorer, &config.scoring)?;
    runtime()?.block_on(run_service(config, config_path, scorer))?;
    Ok(ExitCode::SUCCESS)
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
