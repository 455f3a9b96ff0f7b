//! The `rfmseg` binary: parse the command line, call the library, print the summary or the
//! error, and exit with its code (0 ok, 1 data or runtime error, 2 usage or config error).

mod cli;

// polars allocates and frees large buffers from many threads; glibc's allocator keeps much of
// that memory, so a multi-pass run on a billion lines grew past 24 GB. jemalloc returns it.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// A background thread hands freed pages back after a second instead of ten: at 100M lines the
// peak fell from 2.52 GB to 2.46 GB for 2% more time. Two arenas instead of eight (4 per core)
// keep polars' many threads from spreading memory: at 10M lines the median peak of 6 runs fell
// from 0.37 GB to 0.34 GB, and 100M lines took 8.3 s instead of 8.5-8.7 s (README,
// Performance). `_RJEM_MALLOC_CONF` in the environment still overrides it.
#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,narenas:2\0";

use std::process::ExitCode;

const ROW_GROUP_PREFETCH: &str = "POLARS_ROW_GROUP_PREFETCH_SIZE";

use clap::Parser;
use rfmseg::report::progress::{self, Progress};
use rfmseg::run::{Outcome, RunOptions};

fn main() -> ExitCode {
    // polars' Parquet scan fetches up to 16 row groups ahead of the ones it decodes; two keep
    // the same speed, and at 10M lines the median peak fell from 0.33 GB to 0.30 GB (one
    // ahead: 0.24 GB, but a run of several passes took 10% longer). README, Performance. Set
    // before any thread starts; the environment still overrides it.
    if std::env::var_os(ROW_GROUP_PREFETCH).is_none() {
        std::env::set_var(ROW_GROUP_PREFETCH, "2");
    }
    let cli = cli::Cli::parse();
    // A panic is a bug, never the user's fault: say so in one paragraph, exit 1.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("rfmseg: internal error (please report it with the command and config): {info}");
    }));
    let Ok(result) = std::panic::catch_unwind(|| execute(&cli)) else {
        return ExitCode::from(1);
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rfmseg: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn execute(cli: &cli::Cli) -> rfmseg::Result<()> {
    match &cli.command {
        cli::Command::Run(args) => rfmseg::config::load(&args.config, &args.overrides())
            .and_then(|settings| {
                let progress = Progress::new();
                let display =
                    (!args.quiet && !args.explain).then(|| progress::show(progress.clone()));
                let outcome = rfmseg::run::run(
                    &settings,
                    &RunOptions {
                        explain: args.explain,
                        thresholds_out: args.thresholds_out.clone(),
                        progress,
                        in_memory: args.engine == cli::EngineChoice::InMemory,
                        partitions: args.partitions,
                    },
                );
                if let Some(d) = display {
                    d.finish();
                }
                outcome
            })
            .map(|outcome| match outcome {
                Outcome::Explained(plan) => print!("{plan}"),
                Outcome::Done(report) if !args.quiet => {
                    eprint!("{}", report.render());
                    if args.verbose {
                        eprint!("{}", report.render_timings());
                    }
                }
                Outcome::Done(_) => {}
            }),
        cli::Command::Check(args) => {
            let overrides = rfmseg::config::Overrides {
                inputs: args.input.clone(),
                ..Default::default()
            };
            let settings = rfmseg::config::load(&args.config, &overrides)?;
            let with_data = !args.input.is_empty();
            let outcome = rfmseg::check::check(&settings, with_data)?;
            print!("{}", outcome.render());
            if args.strict && !outcome.findings().is_empty() {
                return Err(rfmseg::Error::CheckFailed(outcome.findings().join("; ")));
            }
            Ok(())
        }
        cli::Command::Sql(args) => {
            let settings = rfmseg::config::load(&args.config, &Default::default())?;
            print!("{}", rfmseg::sql::generate(&settings, &args.options())?);
            Ok(())
        }
        cli::Command::Inspect(args) => {
            print!("{}", rfmseg::inspect::inspect(&args.file, args.json)?);
            Ok(())
        }
        cli::Command::Report(args) => {
            let outcome = rfmseg::segment_report::report(&args.options())?;
            print!("{}", outcome.stdout);
            for path in outcome.written {
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}
