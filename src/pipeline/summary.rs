//! The run summary's numbers, from small frames: customers and revenue per segment, score
//! levels left empty, the tie behind an empty level, and the line counters of the scan.

use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::provenance::LineCounts;
use crate::settings::{Calendar, Settings, Thresholds};

/// One line of the segment table.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    /// Segment name.
    pub name: String,
    /// Customers in it.
    pub customers: u64,
    /// Share of scored customers.
    pub share: f64,
    /// Share of net revenue (sum of kept lines).
    pub revenue_share: f64,
}

/// A score level no customer has (an empty bin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyLevel {
    /// r, f or m.
    pub score: &'static str,
    /// The level.
    pub level: u32,
    /// Partitions (groups) where it is empty, of `of`.
    pub groups: u64,
    /// Number of partitions.
    pub of: u64,
}

/// What a run did: the numbers the run summary shows.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Input files read.
    pub files: Vec<PathBuf>,
    /// Line accounting.
    pub lines: LineCounts,
    /// The as_of used (None: no line had a customer, a date and an amount).
    pub as_of: Option<NaiveDate>,
    /// True when as_of came from the data.
    pub as_of_from_data: bool,
    /// The calendar dates are shown in (`input.calendar`).
    pub calendar: Calendar,
    /// Window length, if any.
    pub window_days: Option<u32>,
    /// Customers scored (output rows).
    pub customers: u64,
    /// Customers with lines in the window but no purchase (returns only).
    pub unscored: u64,
    /// The segment table, in rule order then the default.
    pub segments: Vec<SegmentRow>,
    /// Empty score levels.
    pub empty_levels: Vec<EmptyLevel>,
    /// Where the result was written.
    pub output: Option<PathBuf>,
    /// Where the rows set aside were written (`input.rejects_path`).
    pub rejects: Option<PathBuf>,
    /// Wall time per stage.
    pub timings: Vec<(String, std::time::Duration)>,
}

/// The data side of `check --input`: what a run on the data would give.
#[derive(Debug)]
pub struct DataSummary {
    /// Customers scored.
    pub customers: u64,
    /// The as_of used, as people read it ([`Calendar::shown`]), and whether it came from the
    /// data (None: no line had a customer, a date and an amount).
    pub as_of: Option<(String, bool)>,
    /// The window, as the run summary says it.
    pub window_days: Option<u32>,
    /// Empty score levels, with the tie that empties them.
    pub empty_levels: Vec<(EmptyLevel, String)>,
    /// Segment sizes a run would give.
    pub segments: Vec<SegmentRow>,
    /// The edges each metric used, per group (None when no customer was scored).
    pub edges: Option<Thresholds>,
}

/// Customers and revenue per (group..., r, f, m, segment): all the run summary needs.
pub fn summary_plan(rows: LazyFrame, group_by: &[String]) -> LazyFrame {
    let mut by: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    by.extend([col(R), col(F), col(M), col(SEGMENT)]);
    rows.group_by(by).agg([
        len().cast(DataType::UInt64).alias(SUMMARY_CUSTOMERS),
        col(SUM_MINOR).sum().alias(SUM_MINOR),
    ])
}

/// The summary of scored rows held in memory (for `check`).
pub fn summary_of(result: &DataFrame, settings: &Settings) -> Result<DataFrame> {
    summary_plan(result.clone().lazy(), &settings.analysis.group_by)
        .collect()
        .map_err(Error::engine("summarising segments"))
}

const SUMMARY_CUSTOMERS: &str = "__customers";

/// The first value of column `name` as u64 (0 when missing).
pub(super) fn cell_u64(df: &DataFrame, name: &str) -> u64 {
    df.column(name)
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}

pub(super) fn max_i32(df: &DataFrame, column: &str) -> Result<Option<i32>> {
    let out = df
        .clone()
        .lazy()
        .select([col(column).max().cast(DataType::Int32)])
        .collect()
        .map_err(Error::engine("finding the latest order date"))?;
    Ok(out
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<i32>()))
}

pub(super) fn count_where(df: &DataFrame, predicate: Expr) -> Result<u64> {
    let out = df
        .clone()
        .lazy()
        .select([predicate.cast(DataType::UInt64).sum().alias("n")])
        .collect()
        .map_err(Error::engine("summarising the run"))?;
    Ok(cell_u64(&out, "n"))
}

/// The run's line accounting, from the one-row totals of the scan.
pub(super) fn line_counts(totals: &DataFrame) -> LineCounts {
    let get = |name: &str| cell_u64(totals, name);
    LineCounts {
        read: get(N_LINES),
        rejected: 0,
        dropped_no_customer_id: get(N_NULL_CUSTOMER),
        dropped_no_order_date: get(N_NULL_DATE),
        dropped_no_amount: get(N_NULL_AMOUNT),
        ignored_after_as_of: get(N_AFTER_AS_OF),
        ignored_outside_window: get(N_OUTSIDE_WINDOW),
        ignored_returns_excluded: get(N_RETURNS_EXCLUDED),
        purchase_lines: get(N_PURCHASES),
        return_lines: get(N_RETURNS),
    }
}

/// Customers and revenue per segment, in rule order, then the default.
pub fn segment_table(summary: &DataFrame, settings: &Settings) -> Result<Vec<SegmentRow>> {
    let table = summary
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg([
            col(SUMMARY_CUSTOMERS).sum().alias("customers"),
            col(SUM_MINOR)
                .sum()
                .cast(DataType::Float64)
                .alias("revenue"),
        ])
        .collect()
        .map_err(Error::engine("summarising segments"))?;
    let names = table
        .column(SEGMENT)
        .and_then(|c| c.str().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let customers = table
        .column("customers")
        .and_then(|c| c.u64().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let revenue = table
        .column("revenue")
        .and_then(|c| c.f64().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let total_customers: u64 = customers.into_no_null_iter().sum();
    let total_revenue: f64 = revenue.iter().flatten().sum();
    let mut rows: Vec<SegmentRow> = names
        .iter()
        .zip(customers.into_no_null_iter())
        .zip(revenue.iter())
        .map(|((name, c), r)| SegmentRow {
            name: name.unwrap_or_default().to_string(),
            customers: c,
            share: c as f64 / total_customers.max(1) as f64,
            revenue_share: if total_revenue != 0.0 {
                r.unwrap_or(0.0) / total_revenue
            } else {
                0.0
            },
        })
        .collect();
    let position = |name: &str| {
        settings
            .segments
            .rules
            .iter()
            .position(|r| r.name == name)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(|r| position(&r.name));
    Ok(rows)
}

/// Score levels no customer has, per metric (and in how many groups).
pub fn empty_levels(result: &DataFrame, settings: &Settings) -> Result<Vec<EmptyLevel>> {
    let group_by = &settings.analysis.group_by;
    let s = &settings.scoring;
    let mut found = Vec::new();
    for (score, bins) in [
        (R, s.recency.bins),
        (F, s.frequency.bins),
        (M, s.monetary.bins),
    ] {
        let present: Vec<Expr> = (1..=bins)
            .map(|level| {
                col(score)
                    .eq(lit(level as i32))
                    .any(true)
                    .alias(format!("l{level}"))
            })
            .collect();
        let per_group = if group_by.is_empty() {
            result.clone().lazy().select(present)
        } else {
            result
                .clone()
                .lazy()
                .group_by(group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>())
                .agg(present)
        };
        let absent: Vec<Expr> = (1..=bins)
            .map(|level| {
                col(format!("l{level}").as_str())
                    .not()
                    .cast(DataType::UInt64)
                    .sum()
                    .alias(format!("l{level}"))
            })
            .chain([len().cast(DataType::UInt64).alias("groups")])
            .collect();
        let out = per_group
            .select(absent)
            .collect()
            .map_err(Error::engine("counting empty score levels"))?;
        let get = |name: &str| cell_u64(&out, name);
        let of = get("groups");
        for level in 1..=bins {
            let groups = get(&format!("l{level}"));
            if groups > 0 {
                found.push(EmptyLevel {
                    score,
                    level,
                    groups,
                    of,
                });
            }
        }
    }
    Ok(found)
}

/// The most common value of the metric behind a score, and its share: why a level is empty.
pub fn tie_behind(result: &DataFrame, score: &str) -> Result<String> {
    let metric = metric(score).column;
    let top = result
        .clone()
        .lazy()
        .group_by([col(metric)])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .sort_by_exprs(
            [col("n")],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .limit(1)
        .collect()
        .map_err(Error::engine("finding ties"))?;
    let value = top
        .column(metric)
        .ok()
        .and_then(|c| c.get(0).ok().map(|v| v.to_string()))
        .unwrap_or_default();
    let n = top
        .column("n")
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0);
    Ok(format!(
        "{:.0}% of customers have {metric} {value} (tied values share a score)",
        100.0 * n as f64 / result.height().max(1) as f64
    ))
}
