//! The command line (clap derive). Each `///` is --help text. The library never sees these
//! types: [`Run::request`] and the others turn flags into the options of `rfmseg::cmd`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rfmseg::settings::Calendar;

use rfmseg::cmd::backtest::BacktestOptions;
use rfmseg::cmd::explain::ExplainOptions;
use rfmseg::cmd::report::ReportOptions;
use rfmseg::cmd::run::{Request, RunOptions};
use rfmseg::config::Overrides;
use rfmseg::pipeline::{self, Progress};
use rfmseg::sql::{Dialect, SqlOptions};

/// Per-customer RFM metrics, scores and segments from retail order lines.
///
/// rfmseg reads order lines (CSV or Parquet), computes per customer Recency (days since the
/// last purchase), Frequency (purchases) and Monetary (net spend), scores each 1..N within
/// each group, names a segment from YAML rules (first match wins) and writes one Parquet
/// row per customer.
///
/// Exit status: 0 ok, 1 data or runtime error, 2 usage or config error.
#[derive(Debug, Parser)]
#[command(
    name = "rfmseg",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score and segment customers: order lines in, one Parquet row per customer out.
    ///
    /// Examples:
    ///   rfmseg run --config config/rfm.yaml
    ///   rfmseg run -c config/rfm.yaml -i 'exports/*.parquet' --as-of 2024-06-30 -o out/june.parquet
    #[command(verbatim_doc_comment)]
    Run(Run),

    /// Check a config's rules on the whole score grid, and with --input, on data.
    ///
    /// Reports the cells that fall to the default segment, rules that can never match
    /// (earlier rules take all their cells), cells claimed by several rules, and prints the
    /// R x F map. With --input it also scores the data (writing nothing) and reports the edges
    /// each metric used, score levels left empty by ties, and the segment sizes.
    ///
    /// Exit status: 0 when nothing is wrong (or without --strict), 1 with --strict when a cell
    /// falls to the default, a rule is unreachable or a score level is empty, 2 for an invalid
    /// config.
    ///
    /// Examples:
    ///   rfmseg check --config config/rfm.yaml --strict
    ///   rfmseg check --config config/rfm.yaml --input data-samples/orders.csv
    #[command(verbatim_doc_comment)]
    Check(Check),

    /// What marketing reads: segment KPIs, an HTML report with charts, movement between runs.
    ///
    /// Reads the Parquet file `rfmseg run` wrote and reports, for the whole run, each segment
    /// and each group (when the run used group_by): customers, share, revenue, revenue share,
    /// average order value, repeat purchase rate, revenue concentration and the medians of
    /// recency, frequency and monetary, and the customers held out when the run drew a
    /// holdout. With --previous it also reports retention, overall and per previous segment,
    /// and the movement of customers between segments; --movers writes the customers whose
    /// segment changed.
    ///
    /// Definitions:
    ///   revenue                = sum of monetary (with `monetary: average` runs, a sum of averages)
    ///   share, revenue share   = customers, revenue as a part of the run's (a group's segments:
    ///                            of the group's)
    ///   average order value    = revenue / purchases (purchases = sum of frequency)
    ///   repeat purchase rate   = share of customers with frequency >= 2
    ///   revenue concentration  = share of revenue from the top 20% of customers by monetary,
    ///                            i.e. the ceil(N / 5) customers who spent most
    ///   medians                = the middle value; the mean of the two middle ones for an even N
    ///   retention              = share of the previous run's customers who bought again after
    ///                            its as_of (their last_order_date in this run is later); a
    ///                            customer is matched by the group columns and customer_id
    ///   still scored           = share of the previous run's customers present in this run
    ///
    /// Without --html or --json it prints the report on the terminal. --json writes every number
    /// (docs/report.md lists the fields), --html a single page with charts that opens from disk
    /// in any browser (no network needed: xdg-open out/report.html, or double-click it). Money
    /// is rounded to the config's monetary_decimals (2 without --config). Segments are listed
    /// in the config's rule order, or by size without --config.
    ///
    /// Examples:
    ///   rfmseg report --segments out/segments.parquet
    ///   rfmseg report -s out/segments.parquet -c config/rfm.yaml --html out/report.html
    ///   rfmseg report -s out/june.parquet --previous out/march.parquet --json - | jq .retention_rate
    ///   rfmseg report -s out/june.parquet -p out/march.parquet --movers out/movers.parquet
    #[command(verbatim_doc_comment)]
    Report(Report),

    /// Why a customer is in its segment, and what would move it to a better one.
    ///
    /// Reads the Parquet file `rfmseg run` wrote, alone: the customer's row, and the config and
    /// score edges the run stored in the file's footer. Prints the customer's metrics; each
    /// score with the edges it fell between and the rule of its method (the edges give the
    /// file's r, f, m, or the file is refused); the rule that named the segment; every earlier
    /// rule with the condition that failed; and, for each better-ranked (earlier) segment, the
    /// smallest change in days, purchases or money that would move the customer there, or why
    /// none can. The changes are what-ifs on the run's edges, one metric changed with the
    /// others held where one is enough: recency falls only by a purchase, frequency and
    /// monetary only rise.
    ///
    /// Customer ids are compared as text, as the run wrote them ("00042"). With group_by a
    /// customer may be in several groups: choose one with --group COLUMN=VALUE (repeat it for
    /// several group columns). An unknown customer or a file without the footer explain needs
    /// is an error (exit 1); a customer in several groups without --group, exit 2.
    ///
    /// Examples:
    ///   rfmseg explain --segments out/segments.parquet --customer 00042
    ///   rfmseg explain -s out/stores.parquet --customer 00042 --group store_id=S04 --json
    #[command(verbatim_doc_comment)]
    Explain(Explain),

    /// Do the segments predict? Score as of a date, then count who bought in the days after.
    ///
    /// Scores the customers as of --as-of T exactly as `rfmseg run --as-of T` does (same config,
    /// same inputs), then reads the lines dated in the horizon, T < order_date <= T + H, with the
    /// same column mapping, minor units and returns policy, and reports per segment and per
    /// rfm_score: customers, bought again (customers with a purchase line in the horizon), the
    /// repeat rate, the horizon's net revenue and the revenue per customer; and how well
    /// rfm_score ranks the repeat rate and the revenue per customer (Spearman's rho over the
    /// rfm_score levels, each level one observation, ties at their average rank), with a plain
    /// verdict ("higher scores bought again more often: 0.97").
    ///
    /// The horizon must end on or before the input's last order date: a horizon running past
    /// it is an error (exit 2) that names the days missing, since customers would look as if
    /// they had not bought in days that have no data yet.
    ///
    /// Without --json or --html it prints the terminal form. --json writes every number
    /// (docs/explain.md lists the fields), --html one self-contained page with a chart of the
    /// repeat rate and one of the revenue per customer by segment; `-` writes to stdout.
    ///
    /// Examples:
    ///   rfmseg backtest --config config/rfm.yaml --as-of 2024-03-31 --horizon-days 91
    ///   rfmseg backtest -c config/rfm.yaml --as-of 2023-12-31 --horizon-days 180 --html out/backtest.html
    ///   rfmseg backtest -c config/rfm.yaml --as-of 2024-03-31 --horizon-days 91 --json out/bt.json
    #[command(verbatim_doc_comment)]
    Backtest(Backtest),

    /// Print one SQL query that computes what `run` writes, for Spark or DuckDB.
    ///
    /// The query is a single SELECT (no side effects) over a table of order lines whose columns
    /// are named as the config's input.columns (and group_by) say. The columns may be typed
    /// (Parquet, a warehouse table) or all text (CSV read without schema inference): text dates
    /// are read as ISO or with input.date_format, text amounts as numbers. It implements the
    /// whole config: as_of (given, or the latest order date in the table), the window, returns,
    /// integer minor units, the frequency mode, rank / quantile / r-rfm / fixed scores per
    /// metric within each group_by partition, the segment rules (ranges, cells, `when`) and the
    /// output columns, types and order of `run`. A value that cannot be read stops the query
    /// with an error naming it. Not supported: scoring.thresholds_from (a clear error, exit 2).
    ///
    /// Examples:
    ///   rfmseg sql --config config/rfm.yaml --dialect duckdb > rfm.sql
    ///   duckdb -c "CREATE VIEW orders AS SELECT * FROM 'data-samples/orders.parquet'; $(cat rfm.sql)"
    ///   rfmseg sql -c config/rfm.yaml --dialect spark --table sales.order_lines > rfm.sql
    ///   spark-sql -f rfm.sql
    #[command(verbatim_doc_comment)]
    Sql(Sql),

    /// Show what made an output file: the provenance `rfmseg run` stores in its Parquet footer.
    ///
    /// Every file `rfmseg run` writes records, as key-value metadata in its Parquet footer
    /// (keys `rfmseg.*`, readable by any Parquet tool): the rfmseg version, when it was written,
    /// the as_of used, the config the run resolved (its canonical text and SHA-256), each input
    /// file with its size, where the input rows went (read, dropped, rejected, ignored, used)
    /// and the customers scored. The footer is read with the parquet crate (arrow-rs), not the
    /// engine that wrote it; the data pages are not read.
    ///
    /// A file without rfmseg provenance (not written by `rfmseg run`) is an error (exit 1).
    ///
    /// Examples:
    ///   rfmseg inspect out/segments.parquet
    ///   rfmseg inspect out/segments.parquet --json | jq -r .config_sha256
    #[command(verbatim_doc_comment)]
    Inspect(Inspect),
}

/// `rfmseg backtest`
#[derive(Debug, Args)]
pub struct Backtest {
    /// The YAML config: input columns, analysis, scoring and segment rules.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,

    /// Input files, folders or globs (CSV or Parquet by extension); replaces input.paths.
    #[arg(long, short = 'i', value_name = "PATH", num_args = 1..)]
    pub input: Vec<String>,

    /// The scoring date T, YYYY-MM-DD in input.calendar: scored as `run --as-of T` scores.
    #[arg(long, value_name = "DATE", value_parser = parse_as_of)]
    pub as_of: String,

    /// H: the horizon is the H days after T (T < order_date <= T + H).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36600))]
    pub horizon_days: u32,

    /// Write the backtest as JSON (written atomically); `-` writes it to stdout.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the backtest as one self-contained HTML page with charts (written atomically); `-`
    /// writes it to stdout.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl Backtest {
    /// The library's options.
    pub fn options(&self) -> BacktestOptions {
        BacktestOptions {
            config: self.config.clone(),
            inputs: self.input.clone(),
            as_of: self.as_of.clone(),
            horizon_days: self.horizon_days,
            json: self.json.clone(),
            html: self.html.clone(),
        }
    }
}

/// `rfmseg explain`
#[derive(Debug, Args)]
pub struct Explain {
    /// The run's output: the Parquet file `rfmseg run` wrote.
    #[arg(long, short = 's', value_name = "RUN.parquet")]
    pub segments: PathBuf,

    /// The customer_id, as the output writes it (text: "00042" is not "42").
    #[arg(long, value_name = "ID")]
    pub customer: String,

    /// With group_by: the customer's group, as COLUMN=VALUE (the value as text).
    #[arg(long, value_name = "COLUMN=VALUE", value_parser = parse_group)]
    pub group: Vec<(String, String)>,

    /// Print one JSON document instead of text (docs/explain.md lists its fields).
    #[arg(long)]
    pub json: bool,
}

impl Explain {
    /// The library's options.
    pub fn options(&self) -> ExplainOptions {
        ExplainOptions {
            segments: self.segments.clone(),
            customer: self.customer.clone(),
            groups: self.group.clone(),
            json: self.json,
        }
    }
}

fn parse_group(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((column, value)) if !column.trim().is_empty() => {
            Ok((column.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "{s:?} is not COLUMN=VALUE; write e.g. --group store_id=S04"
        )),
    }
}

/// `rfmseg sql`
#[derive(Debug, Args)]
pub struct Sql {
    /// The YAML config whose analysis, scoring and segments the query implements.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,

    /// The SQL dialect to write.
    #[arg(long, short = 'd', value_enum, value_name = "DIALECT")]
    pub dialect: DialectChoice,

    /// The table (or view) of order lines, optionally qualified: orders, sales.order_lines.
    #[arg(long, short = 't', value_name = "NAME", default_value = "orders")]
    pub table: String,
}

/// `--dialect`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectChoice {
    /// Apache Spark SQL 3.5+ (Databricks, EMR, Dataproc, spark-sql).
    Spark,
    /// DuckDB 1.0+.
    Duckdb,
}

impl Sql {
    /// The library's options.
    pub fn options(&self) -> SqlOptions {
        SqlOptions {
            dialect: match self.dialect {
                DialectChoice::Spark => Dialect::Spark,
                DialectChoice::Duckdb => Dialect::DuckDb,
            },
            table: self.table.clone(),
        }
    }
}

/// `rfmseg inspect`
#[derive(Debug, Args)]
pub struct Inspect {
    /// The Parquet file `rfmseg run` wrote, or a state folder (`run --state DIR`).
    ///
    /// For a state folder: its batches, customers, date span and the config keys it depends on.
    #[arg(value_name = "FILE|DIR")]
    pub file: PathBuf,

    /// Print JSON instead of text: `file`, `file_rows` (from the footer), the provenance
    /// fields, and `config_sha256_matches` (false when the stored hash is not the config's).
    #[arg(long)]
    pub json: bool,
}

/// `rfmseg report`
#[derive(Debug, Args)]
pub struct Report {
    /// The run's output to report on: the Parquet file `rfmseg run` wrote.
    #[arg(long, short = 's', value_name = "RUN.parquet")]
    pub segments: PathBuf,

    /// An older run's output to compare with (same group_by): retention and transitions.
    #[arg(long, short = 'p', value_name = "OLDER.parquet")]
    pub previous: Option<PathBuf>,

    /// The config the run used: segment descriptions and rule order, money decimals.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write the report as one self-contained HTML page with charts (written atomically); `-`
    /// writes it to stdout.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write the report as JSON (written atomically); `-` writes it to stdout.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// With --previous: write one Parquet row per customer whose segment changed (new and
    /// gone customers included): the keys, from_segment, to_segment, the old and new r, f, m
    /// and rfm_score; sorted by the keys, written atomically.
    #[arg(long, value_name = "FILE.parquet")]
    pub movers: Option<PathBuf>,
}

impl Report {
    /// The library's options.
    pub fn options(&self) -> ReportOptions {
        ReportOptions {
            segments: self.segments.clone(),
            previous: self.previous.clone(),
            config: self.config.clone(),
            html: self.html.clone(),
            json: self.json.clone(),
            movers: self.movers.clone(),
        }
    }
}

/// `rfmseg check`
#[derive(Debug, Args)]
pub struct Check {
    /// The YAML config to check.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,

    /// Also score these files, folders or globs (nothing is written) and report the data side.
    #[arg(long, short = 'i', value_name = "PATH", num_args = 1..)]
    pub input: Vec<String>,

    /// Exit 1 when any cell falls to the default, any rule is unreachable, or (with --input)
    /// any score level is empty.
    #[arg(long)]
    pub strict: bool,
}

/// `rfmseg run`
#[derive(Debug, Args)]
pub struct Run {
    /// The YAML config: input columns, analysis window, scoring and segment rules.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,

    /// Input files, folders or globs (CSV or Parquet by extension); replaces input.paths.
    /// Quote globs to let rfmseg expand them: --input 'data/*.parquet'.
    #[arg(long, short = 'i', value_name = "PATH", num_args = 1..)]
    pub input: Vec<String>,

    /// Parquet file to write; replaces output.path. Written atomically: a failed or killed
    /// run leaves an earlier file untouched. Its footer records what made it (`rfmseg
    /// inspect FILE` shows it).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Last observed day, YYYY-MM-DD (inclusive), in input.calendar (persian: also
    /// YYYY/MM/DD); replaces analysis.as_of. Lines dated later are ignored. Default: the latest
    /// order date in the input.
    #[arg(long, value_name = "DATE", value_parser = parse_as_of)]
    pub as_of: Option<String>,

    /// Also write the score edges used, per metric and group, to this YAML file. A config
    /// with `scoring.thresholds_from: FILE` scores later periods on the same scale.
    #[arg(long, value_name = "FILE")]
    pub thresholds_out: Option<PathBuf>,

    /// Print the optimised query plans and exit without reading the data.
    #[arg(long)]
    pub explain: bool,

    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Also print the wall time of each stage.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,

    /// Aggregate the customers in N hash partitions, one pass over the input each, to bound
    /// memory on very large inputs. Default: as many passes as keep one within a quarter of
    /// the machine's memory, estimated from the input's lines (Parquet row counts; CSV from
    /// its size). The output is the same for any N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub partitions: Option<u32>,

    /// The polars engine: streaming (memory grows with customers, not lines) or in-memory
    /// (holds every line; a cross-check that must write the same file).
    #[arg(long, value_enum, default_value_t = EngineChoice::Streaming, value_name = "ENGINE")]
    pub engine: EngineChoice,

    /// Fold the inputs into the saved state in DIR, then score from it (docs/state.md).
    ///
    /// DIR is created on the first run. The output equals a run over every input folded into DIR
    /// so far, at the same as_of. An input whose content was folded before is skipped, so a
    /// failed night can be run again. A config that changes what the state depends on (column
    /// mapping, date handling, returns, monetary_decimals, frequency, group_by) is refused.
    /// `rfmseg inspect DIR` shows the state.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Also write the run summary as JSON to FILE, for ETL logs and alerting (docs/state.md).
    ///
    /// One document, written atomically: lines read, dropped and used, customers, segments,
    /// batches folded or skipped, timings; on failure, the error and its exit code.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
}

/// `--engine`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// polars' streaming engine (the default).
    Streaming,
    /// polars' in-memory engine.
    InMemory,
}

impl Run {
    /// The request `rfmseg run` executes.
    pub fn request(&self) -> Request {
        Request {
            config: self.config.clone(),
            overrides: self.overrides(),
            options: RunOptions {
                explain: self.explain,
                thresholds_out: self.thresholds_out.clone(),
                pipeline: pipeline::Options {
                    progress: Progress::new(),
                    partitions: self.partitions,
                    in_memory: self.engine == EngineChoice::InMemory,
                },
                state: self.state.clone(),
                summary_json: self.summary_json.clone(),
            },
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }

    /// The flags that override the config.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            inputs: self.input.clone(),
            output: self.output.clone(),
            as_of: self.as_of.clone(),
        }
    }
}

/// A day as written (`input.calendar`, known when the config is loaded, decides which).
fn parse_as_of(s: &str) -> Result<String, String> {
    Calendar::looks_like_day(s)
        .then(|| s.to_string())
        .ok_or_else(|| format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2024-06-30 (in input.calendar: persian also YYYY/MM/DD, e.g. 1403/04/10)"))
}
