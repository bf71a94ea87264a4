//! The `brandpulse` command line. Thin: parses the arguments, runs the command ([`cli::run`];
//! each command's logic is in its own file under `src/cli/`), and maps errors to exit codes:
//! 64 for a bad config or bad arguments, 65 for an `alert-eval --series` file that is not a
//! series, 1 for any other failure. A command that rejected some input returns 65 itself.

// The one `unsafe` block of the crate is in this binary (SIGPIPE, `cli/setup.rs`); the library
// forbids it.
#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

use brandpulse::alert::replay::ReplayError;
use brandpulse::alert::series::SeriesError;
use brandpulse::config::ConfigError;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                eprintln!("error: {ce}");
                return ExitCode::from(cli::EXIT_USAGE);
            }
            // Bad alert-eval arguments (or an [alert] window it cannot replay).
            if let Some(re) = e.downcast_ref::<ReplayError>() {
                eprintln!("error: {re}");
                return ExitCode::from(cli::EXIT_USAGE);
            }
            eprintln!("error: {e:#}");
            match e.downcast_ref::<SeriesError>() {
                // A series that is not `timestamp,count` rows: bad input data.
                Some(SeriesError::Io(_)) | None => ExitCode::FAILURE,
                Some(_) => ExitCode::from(cli::EXIT_DATAERR),
            }
        }
    }
}
