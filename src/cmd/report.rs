//! `rfmseg report`: read a run's output (and, to compare, an older run's), build the segment
//! report, and print it on the terminal or write it as JSON and HTML, and the movers as
//! Parquet. Everything is computed and rendered before the first file is written, and each
//! file is written atomically.

use std::path::{Path, PathBuf};

use crate::config::{self, Overrides};
use crate::error::{Error, Result};
use crate::output;
use crate::output::read_back::read_scored;
use crate::report::{html, json, text};
use crate::review::movers;
use crate::review::segments::{self, Labels};

/// What `rfmseg report` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The run to report on.
    pub segments: PathBuf,
    /// An older run to compare with.
    pub previous: Option<PathBuf>,
    /// The config the run used: segment order, descriptions, money decimals.
    pub config: Option<PathBuf>,
    /// Where to write the HTML page; `-` for stdout.
    pub html: Option<PathBuf>,
    /// Where to write the JSON document; `-` for stdout.
    pub json: Option<PathBuf>,
    /// Where to write the movers (customers whose segment changed since `previous`), as
    /// Parquet.
    pub movers: Option<PathBuf>,
}

/// What to show the user.
#[derive(Debug, Clone, Default)]
pub struct ReportOutcome {
    /// For stdout: the terminal report, or the JSON with `--json -`.
    pub stdout: String,
    /// Files written.
    pub written: Vec<PathBuf>,
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// True when `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Refuse output paths that cannot be written or would overwrite an input, before any work.
fn check_targets(options: &ReportOptions) -> Result<()> {
    if [&options.html, &options.json]
        .iter()
        .all(|t| t.as_deref().is_some_and(is_stdout))
    {
        return Err(Error::Usage(
            "--html - and --json - would both write to stdout; write one of them to a file".into(),
        ));
    }
    let targets: Vec<(&str, &PathBuf)> = [("--html", &options.html), ("--json", &options.json)]
        .into_iter()
        .filter_map(|(flag, p)| Some((flag, p.as_ref()?)))
        .filter(|(_, p)| !is_stdout(p))
        .collect();
    if let [(_, html), (_, json)] = targets.as_slice() {
        if same_file(html, json) {
            return Err(Error::Usage(format!(
                "--html and --json both name {}; give them different files",
                html.display()
            )));
        }
    }
    let mut targets = targets;
    if let Some(movers) = &options.movers {
        if options.previous.is_none() {
            return Err(Error::Usage(
                "--movers needs --previous OLDER.parquet: movers are the customers whose segment changed since an older run".into(),
            ));
        }
        if is_stdout(movers) {
            return Err(Error::Usage(
                "--movers writes a Parquet file, not stdout; give a file path such as out/movers.parquet".into(),
            ));
        }
        if let Some((flag, _)) = targets.iter().find(|(_, t)| same_file(t, movers)) {
            return Err(Error::Usage(format!(
                "--movers and {flag} both name {}; give them different files",
                movers.display()
            )));
        }
        output::check_parquet_target(movers)?;
        targets.push(("--movers", movers));
    }
    let inputs = [Some(&options.segments), options.previous.as_ref()];
    for (flag, target) in &targets {
        if inputs
            .iter()
            .flatten()
            .any(|input| same_file(input, target))
        {
            return Err(Error::Usage(format!(
                "{flag} {} would overwrite a run file given to read; write the report to another file",
                target.display()
            )));
        }
        output::check_target(target)?;
    }
    Ok(())
}

/// `rfmseg report`: the report on stdout, or written to the files asked for (each named on
/// stderr).
pub fn execute(options: &ReportOptions) -> Result<()> {
    let outcome = report(options)?;
    print!("{}", outcome.stdout);
    for path in outcome.written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Run `rfmseg report`.
pub fn report(options: &ReportOptions) -> Result<ReportOutcome> {
    check_targets(options)?;
    let labels = match &options.config {
        Some(path) => Labels::from_settings(&config::load(path, &Overrides::default())?),
        None => Labels::default(),
    };
    let current = read_scored(&options.segments)?;
    let previous = options.previous.as_deref().map(read_scored).transpose()?;
    let report = segments::build(&current, previous.as_ref(), &labels)?;
    let movers = match (&options.movers, &previous) {
        (Some(path), Some(previous)) => Some((path, movers::movers(&current, previous)?)),
        _ => None,
    };
    let mut outputs: Vec<(&PathBuf, String)> = Vec::new();
    if let Some(path) = &options.json {
        outputs.push((path, json::render(&report)));
    }
    if let Some(path) = &options.html {
        outputs.push((path, html::render(&report)?));
    }
    let mut outcome = ReportOutcome::default();
    if outputs.is_empty() {
        outcome.stdout = text::render(&report);
    }
    for (path, content) in outputs {
        if is_stdout(path) {
            outcome.stdout.push_str(&content);
        } else {
            output::write_text(&content, path)?;
            outcome.written.push(path.clone());
        }
    }
    if let Some((path, frame)) = movers {
        output::write_parquet(&frame, path)?;
        outcome.written.push(path.clone());
    }
    Ok(outcome)
}
