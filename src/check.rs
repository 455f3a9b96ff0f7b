//! `rfmseg check`: the rules on the whole score grid and, with data, the edges each metric
//! used, score levels left empty by ties and the segment sizes a run would give.

use crate::config::Settings;
use crate::error::Result;
use crate::report::check::render_grid;
use crate::report::{EmptyLevel, SegmentRow};
use crate::rfm::thresholds::Thresholds;
use crate::run;
use crate::segment::grid::{analyse, Grid};

/// The data side of a check.
#[derive(Debug)]
pub struct DataSide {
    /// Customers scored.
    pub customers: u64,
    /// Empty score levels, with the tie that empties them.
    pub empty_levels: Vec<(EmptyLevel, String)>,
    /// Segment sizes a run would give.
    pub segments: Vec<SegmentRow>,
    /// The edges each metric used, per group (None when no customer was scored).
    pub edges: Option<Thresholds>,
}

/// "recency" for "r", and so on.
pub fn metric_name(score: &str) -> &'static str {
    match score {
        "r" => "recency",
        "f" => "frequency",
        _ => "monetary",
    }
}

fn number(v: f64) -> String {
    if v == f64::NEG_INFINITY {
        "-inf".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn render_edges(t: &Thresholds) -> String {
    let mut s = String::new();
    let key = |i: usize| -> String {
        t.groups[i]
            .key
            .values()
            .map(|v| match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Null => "null".into(),
                other => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    for metric in ["recency", "frequency", "monetary"] {
        let Some(scale) = t.scale(metric) else {
            continue;
        };
        let edges = |g: usize| -> &Vec<f64> {
            match metric {
                "recency" => &t.groups[g].recency,
                "frequency" => &t.groups[g].frequency,
                _ => &t.groups[g].monetary,
            }
        };
        let unit = if metric == "recency" { ", days" } else { "" };
        if t.groups.len() == 1 {
            let list: Vec<String> = edges(0).iter().map(|v| number(*v)).collect();
            s += &format!(
                "    {metric} ({}{unit}): {}\n",
                scale.method,
                list.join(", ")
            );
            continue;
        }
        s += &format!(
            "    {metric} ({}{unit}), min / median / max over {} groups:\n",
            scale.method,
            t.groups.len()
        );
        for i in 0..scale.bins as usize - 1 {
            let mut values: Vec<(f64, usize)> =
                (0..t.groups.len()).map(|g| (edges(g)[i], g)).collect();
            values.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (lo, hi) = (values[0], values[values.len() - 1]);
            let median = values[values.len() / 2].0;
            s += &format!(
                "      edge {}: {} ({}) / {} / {} ({})\n",
                i + 1,
                number(lo.0),
                key(lo.1),
                number(median),
                number(hi.0),
                key(hi.1)
            );
        }
    }
    s
}

/// What `check` found.
#[derive(Debug)]
pub struct CheckOutcome {
    /// The config checked.
    pub source: String,
    /// The rules on the grid.
    pub grid: Grid,
    /// The data side, with --input.
    pub data: Option<DataSide>,
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
                    metric_name(e.score),
                    e.level
                ));
            }
        }
        out
    }

    /// The report printed on stdout.
    pub fn render(&self) -> String {
        let mut s = format!("{}: ", self.source);
        s += &render_grid(&self.grid);
        if let Some(data) = &self.data {
            s += &format!("data: {} customers scored\n", data.customers);
            if data.customers == 0 {
                s += "  no customer has a purchase line in the observation window (check as_of and window_days)\n";
            }
            if let Some(edges) = &data.edges {
                s +=
                    "  edges used (score level = 1 + edges the value exceeds; recency reversed):\n";
                s += &render_edges(edges);
            }
            if data.empty_levels.is_empty() {
                s += "  empty score levels: none\n";
            }
            for (e, why) in &data.empty_levels {
                let groups = if e.of > 1 {
                    format!(" in {} of {} groups", e.groups, e.of)
                } else {
                    String::new()
                };
                s += &format!(
                    "  {} score {} is empty{groups}: {why}\n",
                    metric_name(e.score),
                    e.level
                );
            }
            s += "  segment sizes a run would give:\n";
            for r in &data.segments {
                s += &format!(
                    "    {:<24} {:>9} {:>6.1}%  revenue {:>5.1}%\n",
                    r.name,
                    r.customers,
                    r.share * 100.0,
                    r.revenue_share * 100.0
                );
            }
        }
        let findings = self.findings();
        if findings.is_empty() {
            s += "ok: nothing to fix\n";
        } else {
            s += &format!("to look at: {}\n", findings.join("; "));
        }
        s
    }
}

/// Check `settings`; with `with_data`, score its inputs too (nothing is written).
pub fn check(settings: &Settings, with_data: bool) -> Result<CheckOutcome> {
    let grid = analyse(
        &settings.segments,
        &settings.scoring,
        &settings.analysis.group_by,
    )?;
    let data = if with_data {
        let scored = run::score_all(settings, &Default::default())?;
        let result = scored
            .plan(settings)
            .collect()
            .map_err(crate::error::Error::engine(
                "scoring and segmenting customers",
            ))?;
        let summary = run::summary_of(&result, settings)?;
        let any = result.height() > 0;
        let empty = if any {
            run::empty_levels(&summary, settings)?
        } else {
            Vec::new()
        };
        let empty_levels = empty
            .into_iter()
            .map(|e| {
                let why = run::tie_behind(&result, e.score)
                    .unwrap_or_else(|_| "tied values share a score".into());
                (e, why)
            })
            .collect();
        let edges = any.then(|| scored.thresholds.clone());
        Some(DataSide {
            customers: result.height() as u64,
            empty_levels,
            segments: run::segment_table(&summary, settings)?,
            edges,
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
