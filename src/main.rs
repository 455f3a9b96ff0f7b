//! The `rfmseg` binary: parse the command line, run the subcommand, print an error on stderr
//! and exit with its code (0 ok, 1 data or runtime error, 2 usage or config error).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use rfmseg::cmd;

// polars frees large buffers from many threads; jemalloc hands them back to the system, and
// its background thread does so within a second of their release; the arenas are jemalloc's
// default, four per core (docs/performance.md). `_RJEM_MALLOC_CONF` overrides this.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000\0";

fn main() -> ExitCode {
    rfmseg::input::set_parquet_prefetch();
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
        cli::Command::Run(args) => cmd::run::execute(&args.request()),
        cli::Command::Check(args) => cmd::check::execute(&args.config, &args.input, args.strict),
        cli::Command::Sql(args) => cmd::sql::execute(&args.config, &args.options()),
        cli::Command::Inspect(args) => cmd::inspect::execute(&args.file, args.json),
        cli::Command::Report(args) => cmd::report::execute(&args.options()),
        cli::Command::Explain(args) => cmd::explain::execute(&args.options()),
        cli::Command::Backtest(args) => cmd::backtest::execute(&args.options()),
    }
}
