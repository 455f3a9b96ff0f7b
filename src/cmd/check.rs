//! `rfmseg check`: the rules on the whole score grid and, with data, the edges each metric
//! used, score levels left empty by ties and the segment sizes a run would give.

use crate::columns::metric;
use std::path::Path;

use crate::config::{self, Overrides};
use crate::error::{Error, Result};
use crate::pipeline::summary::{empty_levels, segment_table, summary_of, tie_behind, DataSummary};
use crate::pipeline::{self, Options};
use crate::report;
use crate::segment::grid::{analyse, Grid};
use crate::settings::Settings;

/// Why a score level is empty only in groups scored with a parent partition's edges.
const SMALL_GROUPS: &str = "the groups scored there are smaller than scoring.min_group_customers and hold a few of the customers whose edges scored them, so their scores need not fill every level";

/// What `check` found.
#[derive(Debug)]
pub struct CheckOutcome {
    /// The config checked.
    pub source: String,
    /// The rules on the grid.
    pub grid: Grid,
    /// The data side, with --input.
    pub data: Option<DataSummary>,
}

impl CheckOutcome {
    /// The problems `--strict` fails on.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let defaults = self.grid.default_cells().len() + self.grid.maybe_default_cells().len();
        if defaults > 0 {
            out.push(format!("{defaults} cells can fall to the default segment"));
        }
        for u in &self.grid.unreachable {
            out.push(format!("rule {} is unreachable", self.grid.names[u.rule]));
        }
        if let Some(data) = &self.data {
            if data.customers == 0 {
                out.push("no customer is scored".to_string());
            }
            for (e, _) in &data.empty_levels {
                out.push(format!(
                    "{} score {} is empty",
                    metric(e.score).name,
                    e.level
                ));
            }
        }
        out
    }

    /// The report printed on stdout.
    pub fn render(&self) -> String {
        report::check::render(
            &self.source,
            &self.grid,
            self.data.as_ref(),
            &self.findings(),
        )
    }
}

/// `rfmseg check`: load `config` (with `inputs` instead of its input.paths, when given),
/// print the check; with `strict`, fail when it found something to fix.
pub fn execute(config: &Path, inputs: &[String], strict: bool) -> Result<()> {
    let overrides = Overrides {
        inputs: inputs.to_vec(),
        ..Default::default()
    };
    let settings = config::load(config, &overrides)?;
    let outcome = check(&settings, !inputs.is_empty())?;
    print!("{}", outcome.render());
    if strict && !outcome.findings().is_empty() {
        return Err(Error::CheckFailed(outcome.findings().join("; ")));
    }
    Ok(())
}

/// Check `settings`; with `with_data`, score its inputs too (nothing is written).
pub fn check(settings: &Settings, with_data: bool) -> Result<CheckOutcome> {
    let grid = analyse(&settings.segments, &settings.scoring)?;
    let data = if with_data {
        let scored = pipeline::score_all(settings, &Options::default())?;
        let result = scored
            .plan(settings)
            .collect()
            .map_err(Error::engine("scoring and segmenting customers"))?;
        let summary = summary_of(&result, settings)?;
        let any = result.height() > 0;
        let empty = if any {
            empty_levels(&summary, settings)?
        } else {
            Vec::new()
        };
        let deepest = settings.analysis.group_by.len() as u32;
        let empty_levels = empty
            .into_iter()
            .map(|e| {
                // Only in groups scored with a larger partition's edges: they hold a few of
                // its customers, not a tie of them all.
                let why = if !e.at.is_empty() && e.at.iter().all(|a| a.score_level < deepest) {
                    SMALL_GROUPS.to_string()
                } else {
                    tie_behind(&result, e.score)
                        .unwrap_or_else(|_| "tied values share a score".into())
                };
                (e, why)
            })
            .collect();
        let edges = any.then(|| scored.thresholds.clone());
        Some(DataSummary {
            customers: result.height() as u64,
            as_of: scored.as_of.map(|d| {
                (
                    settings.input.calendar.shown(pipeline::date_of(d)),
                    settings.analysis.as_of.is_none(),
                )
            }),
            window_days: settings.analysis.window_days,
            empty_levels,
            segments: segment_table(&summary, settings)?,
            edges,
            min_group_customers: settings.scoring.min_group_customers,
            levels: scored.levels(),
        })
    } else {
        None
    };
    Ok(CheckOutcome {
        source: settings.source.display().to_string(),
        grid,
        data,
    })
}
