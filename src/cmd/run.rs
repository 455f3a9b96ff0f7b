//! `rfmseg run`: input -> aggregate -> score -> segment -> output, and the run summary.

use std::path::PathBuf;

use crate::columns::*;
use crate::config::{self, Overrides};
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::summary::{empty_levels, segment_table, summary_plan, RunSummary};
use crate::pipeline::{self, date_of};
use crate::report::{self, progress};
use crate::rfm;
use crate::settings::Settings;

/// How to run.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    /// Print the optimised plans instead of running.
    pub explain: bool,
    /// Also write the score edges used to this YAML file.
    pub thresholds_out: Option<PathBuf>,
    /// How the passes run: progress, partitions, engine.
    pub pipeline: pipeline::Options,
    /// Fold the inputs into the saved state in this folder and score from it.
    pub state: Option<PathBuf>,
    /// Also write the run summary as JSON to this file (on failure: the error).
    pub summary_json: Option<PathBuf>,
}

/// `rfmseg run` as the command line asked for it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The config file.
    pub config: PathBuf,
    /// Flags that win over the config.
    pub overrides: Overrides,
    /// How to run.
    pub options: RunOptions,
    /// No progress and no summary.
    pub quiet: bool,
    /// The stage timings after the summary.
    pub verbose: bool,
}

/// Run `request`: the progress line while it runs (unless quiet or explaining), then the
/// summary on stderr, or the plans on stdout with `--explain`.
pub fn execute(request: &Request) -> Result<()> {
    let settings = config::load(&request.config, &request.overrides)?;
    if let Some(path) = &request.options.summary_json {
        output::check_target(path)?;
    }
    let options = &request.options;
    let display = (!request.quiet && !options.explain)
        .then(|| progress::show(options.pipeline.progress.clone()));
    let started = std::time::Instant::now();
    let outcome = run(&settings, options);
    if let Some(d) = display {
        d.finish();
    }
    if let Some(path) = &options.summary_json {
        let text = match &outcome {
            Ok(Outcome::Done(summary)) => Some(report::summary_json::render(summary, &settings)),
            Ok(Outcome::Explained(_)) => None,
            Err(e) => Some(report::summary_json::failure(
                e,
                &settings,
                started.elapsed(),
            )),
        };
        if let Some(text) = text {
            output::write_text(&text, path)?;
        }
    }
    match outcome? {
        Outcome::Explained(plan) => print!("{plan}"),
        Outcome::Done(summary) if !request.quiet => {
            eprint!("{}", report::run::render(&summary));
            if request.verbose {
                eprint!("{}", report::run::render_timings(&summary));
            }
        }
        Outcome::Done(_) => {}
    }
    Ok(())
}

/// What `run` produced.
#[derive(Debug)]
pub enum Outcome {
    /// The optimised plans (with `explain`).
    Explained(String),
    /// The run's summary.
    Done(Box<RunSummary>),
}

/// Run the whole job per `settings`.
pub fn run(settings: &Settings, options: &RunOptions) -> Result<Outcome> {
    let target = settings.output.clone().ok_or_else(|| {
        Error::Usage(format!(
            "no output path: set output.path in {} or pass --output FILE",
            settings.source.display()
        ))
    })?;
    output::check_parquet_target(&target)?;
    if let Some(path) = &options.thresholds_out {
        output::check_target(path)?;
    }
    if let Some(path) = &settings.input.rejects_path {
        output::check_target(path)?;
    }
    if options.explain {
        if options.state.is_some() {
            return Err(Error::Usage(
                "--explain prints the plans of a run over the inputs; it does not read a saved state (drop --state)".into(),
            ));
        }
        return pipeline::explain(settings).map(Outcome::Explained);
    }
    let options_ = &options.pipeline;
    let (scored, state) = match &options.state {
        None => (pipeline::score_all(settings, options_)?, None),
        Some(dir) => {
            let (scored, report) = pipeline::state::score_with_state(settings, options_, dir)?;
            (scored, Some(report))
        }
    };
    options_
        .progress
        .stage("scoring, segmenting and writing the Parquet file");
    let mut clock = pipeline::Clock::start();
    clock.laps = scored.timings.clone();
    let rows = scored.plan(settings);
    let summary = summary_plan(rows.clone(), settings);
    let summary = output::sink_parquet(
        rows.drop(polars::prelude::cols([SUM_MINOR, rfm::thresholds::FROZEN])),
        &target,
        scored.customers.height() as u64,
        &scored.provenance(settings),
        summary,
        options_.engine(),
    )?;
    clock.lap("score, segment, write, verify and rename the Parquet file");
    let segments = segment_table(&summary, settings)?;
    let empty_levels = if scored.customers.height() > 0 {
        empty_levels(&summary, settings)?
    } else {
        Vec::new()
    };
    if let Some(path) = &options.thresholds_out {
        output::write_text(&scored.thresholds.to_yaml()?, path)?;
    }
    if let (Some(path), Some(rejected)) = (&settings.input.rejects_path, &scored.rejected) {
        output::write_csv(&rejected.values, path)?;
    }
    clock.lap("summaries and thresholds");
    let levels = scored.levels();
    Ok(Outcome::Done(Box::new(RunSummary {
        files: scored.files.iter().map(|f| f.path.clone()).collect(),
        lines: scored.lines,
        as_of: scored.as_of.map(date_of),
        as_of_from_data: settings.analysis.as_of.is_none(),
        calendar: settings.input.calendar,
        window_days: settings.analysis.window_days,
        customers: scored.customers.height() as u64,
        unscored: scored.unscored,
        segments,
        empty_levels,
        min_group_customers: settings.scoring.min_group_customers,
        levels,
        output: Some(target),
        rejects: settings.input.rejects_path.clone(),
        timings: clock.laps,
        state,
    })))
}
