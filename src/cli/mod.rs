//! The binary's commands, declared by `src/main.rs` (not part of the library): the command line
//! in [`args`], one file per command with its logic, and the set-up they share in [`setup`]
//! (logging, the async runtime, the scorer, quiet exits on a broken pipe).

mod alert_eval;
mod args;
mod campaign_eval;
mod check;
mod demo;
mod eval;
mod intent_eval;
mod process;
mod rules;
mod run;
mod score;
mod setup;

use std::process::ExitCode;

pub use args::Cli;
use args::{Command, RulesCommand};

/// EX_USAGE: bad command line or config.
pub const EXIT_USAGE: u8 = 64;
/// EX_DATAERR: some input lines were rejected.
pub const EXIT_DATAERR: u8 = 65;

/// Sets up logging and runs the command. Its exit code is [`EXIT_DATAERR`] when it rejected
/// some input, else success; failures are errors, for `main` to map to an exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    setup::init_logging(cli.global.log_format);
    if matches!(
        cli.command,
        Command::Process(_)
            | Command::Score(_)
            | Command::Eval(_)
            | Command::Check(_)
            | Command::Rules { .. }
            | Command::AlertEval(_)
            | Command::CampaignEval(_)
            | Command::IntentEval(_)
    ) {
        setup::exit_quietly_on_broken_pipe();
    }
    match cli.command {
        Command::Run(args) => run::execute(args),
        Command::Process(args) => process::execute(args),
        Command::Score(args) => score::execute(args),
        Command::Eval(args) => eval::execute(args),
        Command::AlertEval(args) => alert_eval::execute(args),
        Command::CampaignEval(args) => campaign_eval::execute(args),
        Command::IntentEval(args) => intent_eval::execute(args),
        Command::Demo(args) => demo::execute(args),
        Command::Rules { command } => match command {
            RulesCommand::Check(args) => rules::check(args),
            RulesCommand::Test(args) => rules::test(args),
        },
        Command::Check(args) => check::execute(args),
    }
}

/// The exit code of a command that rejected `rejected` input lines.
fn rejected_exit_code(rejected: u64) -> ExitCode {
    if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DATAERR)
    }
}
