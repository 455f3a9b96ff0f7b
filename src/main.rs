//! The `rfmseg` binary: parse the command line, call the library, print the summary or the
//! error, and exit with its code (0 ok, 1 data or runtime error, 2 usage or config error).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use rfmseg::run::{Outcome, RunOptions};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Run(args) => rfmseg::config::load(&args.config, &args.overrides())
            .and_then(|settings| {
                rfmseg::run::run(
                    &settings,
                    &RunOptions {
                        explain: args.explain,
                    },
                )
            })
            .map(|outcome| match outcome {
                Outcome::Explained(plan) => print!("{plan}"),
                Outcome::Done(report) if !args.quiet => eprint!("{}", report.render()),
                Outcome::Done(_) => {}
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rfmseg: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
