//! The segment report of a run, the document behind `rfmseg report`'s three forms (terminal,
//! JSON, HTML): KPIs of the run, its segments and groups, the chart data, and with a
//! previous run the movement between them.

use std::collections::BTreeMap;

use polars::prelude::IntoLazy;
use serde::Serialize;

use super::distribution::{self, Histogram, RfGrid};
use super::kpi::{self, GroupRow, SegmentRow, Stats};
use super::movement::{self, Movement};
use crate::error::Result;
use crate::output::read_back::ScoredFile;
use crate::rfm::LevelCount;
use crate::settings::{Monetary, Settings};

/// The JSON document's format tag; the number changes when a field changes meaning or goes.
pub const FORMAT: &str = "rfmseg-report/2";

/// What a config adds to a report: the segment order and descriptions, the money decimals.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// Segment names in rule order, then the default segment; empty without a config.
    pub order: Vec<String>,
    /// Descriptions by segment name.
    pub descriptions: BTreeMap<String, String>,
    /// Money amounts are rounded to this many decimals.
    pub decimals: u32,
    /// True when the run's monetary is spend per purchase (`monetary: average`).
    pub monetary_average: bool,
}

impl Default for Labels {
    /// Without a config: segments by size, no descriptions, 2 decimals.
    fn default() -> Labels {
        Labels {
            order: Vec::new(),
            descriptions: BTreeMap::new(),
            decimals: 2,
            monetary_average: false,
        }
    }
}

impl Labels {
    /// The labels a run's config gives.
    pub fn from_settings(settings: &Settings) -> Labels {
        let rules = &settings.segments.rules;
        Labels {
            order: rules
                .iter()
                .map(|r| r.name.clone())
                .chain([settings.segments.default.clone()])
                .collect(),
            descriptions: rules
                .iter()
                .filter_map(|r| Some((r.name.clone(), r.description.clone()?)))
                .collect(),
            decimals: settings.analysis.monetary_decimals,
            monetary_average: settings.analysis.monetary == Monetary::Average,
        }
    }
}

/// Everything `rfmseg report` shows. Serialized, it is the JSON document (docs/report.md).
#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    /// [`FORMAT`].
    pub format: &'static str,
    /// The run reported on.
    pub segments_file: String,
    /// Its group columns (empty without group_by).
    pub group_columns: Vec<String>,
    /// Money amounts are rounded to this many decimals.
    pub money_decimals: u32,
    /// The whole run.
    #[serde(flatten)]
    pub overall: Stats,
    /// Every segment, in report order.
    pub segments: Vec<SegmentRow>,
    /// Every group with its segments (empty without group columns).
    pub groups: Vec<GroupRow>,
    /// When the run has `score_level` (`min_group_customers`): the groups, customers and
    /// partitions scored at each level, deepest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub score_levels: Vec<LevelCount>,
    /// With a previous run: the movement.
    #[serde(flatten)]
    pub movement: Option<Movement>,
    /// The R x F grid chart's data.
    #[serde(skip)]
    pub rf_grid: RfGrid,
    /// The histograms' data: recency, frequency, monetary.
    #[serde(skip)]
    pub distributions: Vec<Histogram>,
    /// True when monetary is spend per purchase (then revenue is a sum of averages).
    #[serde(skip)]
    pub monetary_average: bool,
}

/// Segment names in report order: the config's rule order (the default last); segments the
/// config does not name (or all, without one) after, by customers (most first), then name.
fn order(segments: &[SegmentRow], labels: &Labels) -> Vec<String> {
    let mut rows: Vec<&SegmentRow> = segments.iter().collect();
    let position = |name: &str| {
        labels
            .order
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        position(&a.segment)
            .cmp(&position(&b.segment))
            .then_with(|| b.stats.customers.cmp(&a.stats.customers))
            .then_with(|| a.segment.cmp(&b.segment))
    });
    rows.into_iter().map(|r| r.segment.clone()).collect()
}

/// `rows` sorted in `order` with their descriptions.
fn arrange(mut rows: Vec<SegmentRow>, order: &[String], labels: &Labels) -> Vec<SegmentRow> {
    rows.sort_by_key(|r| order.iter().position(|n| *n == r.segment));
    for row in &mut rows {
        row.description = labels.descriptions.get(&row.segment).cloned();
    }
    rows
}

/// The report on `current`, compared with `previous` when given.
pub fn build(
    current: &ScoredFile,
    previous: Option<&ScoredFile>,
    labels: &Labels,
) -> Result<SegmentReport> {
    if let Some(previous) = previous {
        movement::check_comparable(current, previous)?;
    }
    let customers = current.data.clone().lazy();
    let kpis = kpi::kpis(&customers, &current.group_columns, labels.decimals)?;
    let order = order(&kpis.segments, labels);
    let mut groups = kpis.groups;
    for group in &mut groups {
        group.segments = arrange(std::mem::take(&mut group.segments), &order, labels);
    }
    let movement = match previous {
        Some(previous) => {
            let (movement, retention) =
                movement::movement(current, previous, &order, kpis.group_table.as_ref())?;
            for (group, r) in groups.iter_mut().zip(retention) {
                group.retention = Some(r);
            }
            Some(movement)
        }
        None => None,
    };
    let distributions = distribution::METRICS
        .iter()
        .map(|m| distribution::histogram(&customers, *m))
        .collect::<Result<Vec<_>>>()?;
    let score_levels = if current.score_level {
        kpi::score_levels(&customers, &current.group_columns)?
    } else {
        Vec::new()
    };
    Ok(SegmentReport {
        format: FORMAT,
        segments_file: current.path.display().to_string(),
        group_columns: current.group_columns.clone(),
        money_decimals: labels.decimals,
        overall: kpis.overall,
        segments: arrange(kpis.segments, &order, labels),
        groups,
        score_levels,
        movement,
        rf_grid: distribution::rf_grid(&customers)?,
        distributions,
        monetary_average: labels.monetary_average,
    })
}
