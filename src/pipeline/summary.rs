//! The run summary's numbers, from small frames: customers and revenue per segment, score
//! levels left empty, the tie behind an empty level, and the line counters of the scan.

use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::provenance::LineCounts;
use crate::rfm::LevelCount;
use crate::segment;
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
    /// Customers held out (with `output.holdout`).
    pub holdout: Option<u64>,
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
    /// With `min_group_customers`: where it is empty, per scoring level (deepest first). The
    /// partitions are then those whose edges scored some customers (a level and the values of
    /// its group columns), and the level is empty among the customers each scored.
    pub at: Vec<EmptyAt>,
}

/// With `min_group_customers`: the partitions of one scoring level where a score is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyAt {
    /// The scoring level (`score_level`).
    pub score_level: u32,
    /// Its partitions where the score is empty.
    pub partitions: u64,
    /// Its partitions that scored customers.
    pub of: u64,
    /// The first of the former, as `column="value", ...`; `the whole input` at level 0.
    pub example: String,
}

impl EmptyLevel {
    /// Where the level is empty, for the notes of `run` and `check`: `in 3 of 8 groups`;
    /// with levels `in 2 of 9 partitions: 1 of 6 at level 2, e.g. region="North",
    /// store_id="S03"; the whole input (level 0)`. None without group_by.
    pub fn place(&self) -> Option<String> {
        if self.at.is_empty() {
            return (self.of > 1).then(|| format!("in {} of {} groups", self.groups, self.of));
        }
        let at: Vec<String> = self
            .at
            .iter()
            .map(|a| {
                if a.score_level == 0 {
                    "the whole input (level 0)".to_string()
                } else {
                    format!(
                        "{} of {} at level {}, e.g. {}",
                        a.partitions, a.of, a.score_level, a.example
                    )
                }
            })
            .collect();
        Some(format!(
            "in {} of {} partitions: {}",
            self.groups,
            self.of,
            at.join("; ")
        ))
    }
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
    /// `scoring.min_group_customers`, when set.
    pub min_group_customers: Option<u64>,
    /// With it: the groups, customers and partitions scored at each level (deepest first).
    pub levels: Vec<LevelCount>,
    /// Where the result was written.
    pub output: Option<PathBuf>,
    /// Where the rows set aside were written (`input.rejects_path`).
    pub rejects: Option<PathBuf>,
    /// Wall time per stage.
    pub timings: Vec<(String, std::time::Duration)>,
    /// With `--state`: what the fold did.
    pub state: Option<super::state::StateReport>,
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
    /// `scoring.min_group_customers`, when set.
    pub min_group_customers: Option<u64>,
    /// With it: the groups, customers and partitions scored at each level (deepest first).
    pub levels: Vec<LevelCount>,
}

/// Customers and revenue per (group..., r, f, m, segment), and `score_level` with
/// `min_group_customers` (one per group): all the run summary needs.
///
/// The scores are grouped as one integer, [`scores_key`], not as three columns and a text:
/// a one-column integer group-by over every scored row. When the segment is decided by the
/// scores alone ([`segment::grid::lookup`]) it is looked up again on the grouped rows, so no
/// text is hashed per customer; otherwise it is a second key.
pub fn summary_plan(rows: LazyFrame, settings: &Settings) -> LazyFrame {
    let mut by: Vec<Expr> = settings
        .analysis
        .group_by
        .iter()
        .map(|g| col(g.as_str()))
        .collect();
    if settings.scoring.min_group_customers.is_some() {
        by.push(col(SCORE_LEVEL));
    }
    let holdout = settings.holdout.is_some();
    let bins = settings.scoring.bins();
    by.push(scores_key(bins).alias(SCORES_KEY));
    let lookup = segment::grid::lookup(&settings.segments, &settings.scoring);
    if lookup.is_none() {
        by.push(col(SEGMENT));
    }
    let mut sums = vec![
        len().cast(DataType::UInt64).alias(SUMMARY_CUSTOMERS),
        col(SUM_MINOR).sum().alias(SUM_MINOR),
    ];
    if holdout {
        sums.push(col(HOLDOUT).sum().cast(DataType::UInt64).alias(HOLDOUT));
    }
    let grouped = rows
        .group_by(by)
        .agg(sums)
        .with_columns(scores_of_key(bins))
        .drop(cols([SCORES_KEY]));
    match lookup {
        Some(segment) => grouped.with_column(segment),
        None => grouped,
    }
}

/// The grouped rows' (r, f, m) as one integer, while they are grouped.
const SCORES_KEY: &str = "__scores_key";

/// (r, f, m) as one integer, a score that is null counting as 0: `(r * (bf + 1) + f) * (bm + 1)
/// + m`, one value per combination of the three scores (null ones included).
fn scores_key(bins: [u32; 3]) -> Expr {
    let [_, bf, bm] = bins.map(|b| lit(b as i32 + 1));
    let score = |c: &str| col(c).fill_null(lit(0i32));
    (score(R) * bf + score(F)) * bm + score(M)
}

/// r, f and m (Int32, null where 0) back from [`scores_key`].
fn scores_of_key(bins: [u32; 3]) -> [Expr; 3] {
    let [_, bf, bm] = bins.map(|b| b as i32 + 1);
    let key = || col(SCORES_KEY);
    let score = |e: Expr, name: &str| {
        when(e.clone().eq(lit(0i32)))
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(e)
            .cast(DataType::Int32)
            .alias(name)
    };
    [
        score(key().floor_div(lit(bf * bm)), R),
        score(key().floor_div(lit(bm)) % lit(bf), F),
        score(key() % lit(bm), M),
    ]
}

/// The summary of scored rows held in memory (for `check`).
pub fn summary_of(result: &DataFrame, settings: &Settings) -> Result<DataFrame> {
    summary_plan(result.clone().lazy(), settings)
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

/// Customers and revenue (and customers held out, when the summary has them) per segment,
/// in rule order, then the default.
pub fn segment_table(summary: &DataFrame, settings: &Settings) -> Result<Vec<SegmentRow>> {
    let holdout = summary.column(HOLDOUT).is_ok();
    let mut sums = vec![
        col(SUMMARY_CUSTOMERS).sum().alias("customers"),
        col(SUM_MINOR)
            .sum()
            .cast(DataType::Float64)
            .alias("revenue"),
    ];
    if holdout {
        sums.push(col(HOLDOUT).sum());
    }
    let table = summary
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg(sums)
        .collect()
        .map_err(Error::engine("summarising segments"))?;
    let held: Vec<Option<u64>> = match table.column(HOLDOUT) {
        Ok(c) => c
            .u64()
            .map_err(Error::engine("summarising segments"))?
            .iter()
            .map(|v| Some(v.unwrap_or(0)))
            .collect(),
        Err(_) => vec![None; table.height()],
    };
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
        .zip(held)
        .map(|(((name, c), r), holdout)| SegmentRow {
            name: name.unwrap_or_default().to_string(),
            customers: c,
            share: c as f64 / total_customers.max(1) as f64,
            revenue_share: if total_revenue != 0.0 {
                r.unwrap_or(0.0) / total_revenue
            } else {
                0.0
            },
            holdout,
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
    if s.min_group_customers.is_some() && !group_by.is_empty() {
        return empty_levels_by_partition(result, settings);
    }
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
                    at: Vec::new(),
                });
            }
        }
    }
    Ok(found)
}

/// [`empty_levels`] with `min_group_customers`: per scoring partition (a `score_level` and
/// the values of its first `score_level` group columns), among the customers it scored.
fn empty_levels_by_partition(result: &DataFrame, settings: &Settings) -> Result<Vec<EmptyLevel>> {
    let fail = Error::engine("counting empty score levels");
    let group_by = &settings.analysis.group_by;
    let s = &settings.scoring;
    // The partition whose edges scored a row: its level, and its group columns masked
    // beyond that level (a real null stays apart: the level is part of the key).
    let mut keys = vec![col(SCORE_LEVEL)];
    keys.extend(group_by.iter().enumerate().map(|(i, g)| {
        when(col(SCORE_LEVEL).gt(lit(i as i32)))
            .then(col(g.as_str()))
            .otherwise(lit(NULL))
            .alias(g.as_str())
    }));
    let names: Vec<Expr> = std::iter::once(SCORE_LEVEL)
        .chain(group_by.iter().map(String::as_str))
        .map(col)
        .collect();
    let bins = s.bins();
    let mut present = Vec::new();
    for (score, b) in [R, F, M].into_iter().zip(bins) {
        for level in 1..=b {
            present.push(
                col(score)
                    .eq(lit(level as i32))
                    .any(true)
                    .alias(format!("{score}{level}")),
            );
        }
    }
    let per = result
        .clone()
        .lazy()
        .select(
            keys.into_iter()
                .chain([R, F, M].map(col))
                .collect::<Vec<_>>(),
        )
        .group_by(names.clone())
        .agg(present)
        .sort_by_exprs(
            names,
            SortMultipleOptions::default()
                .with_order_descending_multi(
                    [true].into_iter().chain(group_by.iter().map(|_| false)),
                )
                .with_nulls_last(true),
        )
        .collect()
        .map_err(fail)?;
    let fail = Error::engine("counting empty score levels");
    let levels: Vec<u32> = per
        .column(SCORE_LEVEL)
        .and_then(|c| c.cast(&DataType::UInt32))
        .and_then(|c| c.u32().cloned())
        .map_err(fail)?
        .into_no_null_iter()
        .collect();
    let example = |row: usize, level: u32| -> String {
        if level == 0 {
            return "the whole input".to_string();
        }
        group_by[..level as usize]
            .iter()
            .map(|g| {
                let v = per
                    .column(g)
                    .and_then(|c| c.get(row))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                format!("{g}={v}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut found = Vec::new();
    for (score, b) in [R, F, M].into_iter().zip(bins) {
        for level in 1..=b {
            let flags: Vec<bool> = per
                .column(&format!("{score}{level}"))
                .and_then(|c| c.bool().cloned())
                .map_err(Error::engine("counting empty score levels"))?
                .iter()
                .map(|v| v.unwrap_or(false))
                .collect();
            // Rows are sorted by level, deepest first: one entry per level, in that order.
            let mut at: Vec<EmptyAt> = Vec::new();
            for (row, (&present, &l)) in flags.iter().zip(&levels).enumerate() {
                if at.last().is_none_or(|a| a.score_level != l) {
                    at.push(EmptyAt {
                        score_level: l,
                        partitions: 0,
                        of: 0,
                        example: String::new(),
                    });
                }
                let a = at.last_mut().expect("pushed above");
                a.of += 1;
                if !present {
                    if a.partitions == 0 {
                        a.example = example(row, l);
                    }
                    a.partitions += 1;
                }
            }
            at.retain(|a| a.partitions > 0);
            let groups: u64 = at.iter().map(|a| a.partitions).sum();
            if groups > 0 {
                found.push(EmptyLevel {
                    score,
                    level,
                    groups,
                    of: flags.len() as u64,
                    at,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scores_key_gives_back_every_combination_of_scores_and_nulls() {
        // Every (r, f, m) with each score in 1..=bins or null, for unequal bins (2, 7, 10):
        // grouped by the key and decoded, each combination is its own group, as it was.
        let bins = [2u32, 7, 10];
        let levels = |b: u32| {
            (0..=b as i32)
                .map(|v| (v > 0).then_some(v))
                .collect::<Vec<_>>()
        };
        let (mut r, mut f, mut m) = (vec![], vec![], vec![]);
        for a in levels(bins[0]) {
            for b in levels(bins[1]) {
                for c in levels(bins[2]) {
                    r.push(a);
                    f.push(b);
                    m.push(c);
                }
            }
        }
        let rows = df!(R => &r, F => &f, M => &m).unwrap();
        let back = rows
            .clone()
            .lazy()
            .group_by([scores_key(bins).alias(SCORES_KEY)])
            .agg([len().alias("n")])
            .with_columns(scores_of_key(bins))
            .sort(
                [R, F, M],
                SortMultipleOptions::default().with_nulls_last(false),
            )
            .collect()
            .unwrap();
        let expected = rows
            .lazy()
            .sort(
                [R, F, M],
                SortMultipleOptions::default().with_nulls_last(false),
            )
            .collect()
            .unwrap();
        assert_eq!(back.height(), 3 * 8 * 11);
        assert!(back
            .column("n")
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .all(|n| n == 1));
        assert!(back.select([R, F, M]).unwrap().equals_missing(&expected));
    }
}
