//! `rfmseg backtest`: does the segmentation predict? Scores the customers as of a date exactly
//! as `rfmseg run --as-of` does, then counts what they bought in the days after it, per
//! segment and per rfm_score, and prints (or writes as JSON and HTML) how well the scores
//! ordered who bought again.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::{cols, DataFrame};

use crate::columns::SUM_MINOR;
use crate::config::{self, Overrides};
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{self, date_of, days, horizon};
use crate::report;
use crate::review::backtest::{self, Span};
use crate::rfm;
use crate::settings::Settings;

/// What `rfmseg backtest` was asked for.
#[derive(Debug, Clone)]
pub struct BacktestOptions {
    /// The config.
    pub config: PathBuf,
    /// Replaces `input.paths` when not empty.
    pub inputs: Vec<String>,
    /// The scoring date T, as written on the command line (read in `input.calendar`).
    pub as_of: String,
    /// H: the horizon is T + 1 ..= T + H.
    pub horizon_days: u32,
    /// Where to write the JSON document; `-` for stdout.
    pub json: Option<PathBuf>,
    /// Where to write the HTML page; `-` for stdout.
    pub html: Option<PathBuf>,
}

/// What to show the user.
#[derive(Debug, Clone, Default)]
pub struct BacktestOutcome {
    /// For stdout: the terminal form, or a document written to `-`.
    pub stdout: String,
    /// Files written.
    pub written: Vec<PathBuf>,
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `rfmseg backtest`: the terminal form on stdout, or the files asked for (each named on
/// stderr).
pub fn execute(options: &BacktestOptions) -> Result<()> {
    let outcome = run(options)?;
    print!("{}", outcome.stdout);
    for path in outcome.written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The rows `rfmseg run` writes for `settings` (their as_of the backtest's T), in memory:
/// the same scoring and segmenting code path, without the sink.
pub fn rows_as_of(settings: &Settings) -> Result<DataFrame> {
    let scored = pipeline::score_all(settings, &pipeline::Options::default())?;
    scored
        .plan(settings)
        .drop(cols([SUM_MINOR, rfm::thresholds::FROZEN]))
        .collect()
        .map_err(Error::engine("scoring the customers"))
}

/// Run the backtest.
pub fn run(options: &BacktestOptions) -> Result<BacktestOutcome> {
    let targets: Vec<&PathBuf> = [&options.json, &options.html]
        .into_iter()
        .flatten()
        .collect();
    if targets.len() == 2 && targets.iter().all(|t| is_stdout(t)) {
        return Err(Error::Usage(
            "--html - and --json - would both write to stdout; write one of them to a file".into(),
        ));
    }
    if targets.len() == 2 && targets[0] == targets[1] {
        return Err(Error::Usage(format!(
            "--html and --json both name {}; give them different files",
            targets[0].display()
        )));
    }
    for target in targets.iter().filter(|t| !is_stdout(t)) {
        output::check_target(target)?;
    }
    let overrides = Overrides {
        inputs: options.inputs.clone(),
        output: None,
        as_of: Some(options.as_of.clone()),
    };
    let settings = config::load(&options.config, &overrides)?;
    let t: NaiveDate = settings
        .analysis
        .as_of
        .expect("--as-of is applied when the config is checked");
    let as_of = days(t);
    let end = i64::from(as_of) + i64::from(options.horizon_days);
    let last = horizon::last_order_date(&settings)?.ok_or_else(|| {
        Error::Data(
            "no input line has a customer, an order date and an amount: nothing to backtest".into(),
        )
    })?;
    if end > i64::from(last) {
        let end_day = date_of(end.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        let fits = i64::from(last) - i64::from(as_of);
        let missing = end - i64::from(last);
        let fix = if fits >= 1 {
            format!("use --horizon-days {fits} or fewer, or an earlier --as-of")
        } else {
            "use an --as-of before the last order date".to_string()
        };
        return Err(Error::Usage(format!(
            "--as-of {} with --horizon-days {} runs to {end_day}, {missing} day{} past the input's last order date {}: those days have no orders yet, so every customer would look as if they had not bought in them; {fix}",
            options.as_of.trim(),
            options.horizon_days,
            if missing == 1 { "" } else { "s" },
            date_of(last),
        )));
    }
    let rows = rows_as_of(&settings)?;
    let after = horizon::horizon(&settings, as_of, options.horizon_days)?;
    let span = Span {
        config: options.config.display().to_string(),
        as_of: t.to_string(),
        horizon_days: options.horizon_days,
        horizon_start: date_of(as_of + 1).to_string(),
        horizon_end: date_of(end as i32).to_string(),
        last_order_date: date_of(last).to_string(),
    };
    let result = backtest::build(
        &rows,
        &after,
        horizon::HORIZON_PURCHASES,
        horizon::HORIZON_MINOR,
        &settings,
        span,
    )?;
    let mut documents: Vec<(&PathBuf, String)> = Vec::new();
    if let Some(path) = &options.json {
        documents.push((path, report::backtest::json(&result)));
    }
    if let Some(path) = &options.html {
        documents.push((path, report::backtest::html(&result)?));
    }
    let mut outcome = BacktestOutcome::default();
    if documents.is_empty() {
        outcome.stdout = report::backtest::text(&result);
    }
    for (path, content) in documents {
        if is_stdout(path) {
            outcome.stdout.push_str(&content);
        } else {
            output::write_text(&content, path)?;
            outcome.written.push(path.clone());
        }
    }
    Ok(outcome)
}
