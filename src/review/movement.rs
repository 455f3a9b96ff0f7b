//! Movement between two runs: who bought again after the previous run's as_of (retention,
//! [`retention`]), who is still scored, left or arrived, the segment transition matrix, and
//! whether the rfm_score of customers in both runs went up or down. A customer is the same
//! customer in both runs when the group columns and customer_id are equal.

use polars::prelude::*;
use serde::Serialize;

use super::frame;
use super::kpi::{attach_group_index, GroupRetention};
use super::retention::{self, rate, SegmentRetention};
use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::read_back::ScoredFile;

/// Customers who were in segment `from` in the previous run and are in `to` now; None = not
/// in that run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The previous run's segment; None: the customer is new.
    pub from: Option<String>,
    /// This run's segment; None: the customer is gone.
    pub to: Option<String>,
    /// How many customers.
    pub customers: u64,
}

/// This run against a previous one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movement {
    /// The previous run's file.
    pub previous_file: String,
    /// The previous run's as_of, YYYY-MM-DD (None: it scored no one).
    pub previous_as_of: Option<String>,
    /// Customers in the previous run.
    pub previous_customers: u64,
    /// Previous customers who bought after the previous run's as_of (their last_order_date
    /// in this run is later).
    pub retained: u64,
    /// retained / previous_customers; None when the previous run has no customer.
    pub retention_rate: Option<f64>,
    /// Previous customers also in this run (scored again, whether they bought or not).
    pub still_scored: u64,
    /// still_scored / previous_customers; None when the previous run has no customer.
    pub still_scored_rate: Option<f64>,
    /// Previous customers not in this run.
    pub lost: u64,
    /// Customers of this run not in the previous one.
    pub gained: u64,
    /// Customers in both runs whose rfm_score rose.
    pub rfm_score_up: u64,
    /// Customers in both runs whose rfm_score stayed.
    pub rfm_score_same: u64,
    /// Customers in both runs whose rfm_score fell.
    pub rfm_score_down: u64,
    /// Retention per previous segment, in segment order.
    pub retention: Vec<SegmentRetention>,
    /// Every non-empty (from, to) pair, in segment order, None last.
    pub transitions: Vec<Transition>,
    /// Every segment of either run, in report order (this run's order, then segments only
    /// the previous run has, larger first): the rows and columns of the matrix.
    #[serde(skip)]
    pub segments: Vec<String>,
}

impl Movement {
    /// Customers from `from` to `to` (None: not in that run).
    pub fn count(&self, from: Option<&String>, to: Option<&String>) -> u64 {
        self.transitions
            .iter()
            .find(|t| t.from.as_ref() == from && t.to.as_ref() == to)
            .map_or(0, |t| t.customers)
    }
}

/// Refuse two runs that cannot be compared: different group columns.
pub fn check_comparable(current: &ScoredFile, previous: &ScoredFile) -> Result<()> {
    if current.group_columns == previous.group_columns {
        return Ok(());
    }
    let list = |r: &ScoredFile| format!("[{}]", r.group_columns.join(", "));
    Err(Error::Data(format!(
        "cannot compare {} (group columns {}) with {} (group columns {}): customers are matched by the group columns and customer_id, so both runs must use the same analysis.group_by",
        current.path.display(),
        list(current),
        previous.path.display(),
        list(previous),
    )))
}

/// Refuse a run file with two rows for one customer (and group): it cannot be a run's
/// output, and matching customers would count them twice.
pub(super) fn check_unique(run: &ScoredFile) -> Result<()> {
    let keys = frame::cols(&run.key_columns());
    let repeated = run
        .data
        .clone()
        .lazy()
        .group_by(keys.clone())
        .agg([len().alias(CUSTOMERS)])
        .filter(col(CUSTOMERS).gt(lit(1)))
        .sort_by_exprs(keys, SortMultipleOptions::default().with_nulls_last(true))
        .limit(1)
        .collect()
        .map_err(Error::engine("looking for repeated customers"))?;
    if repeated.height() == 0 {
        return Ok(());
    }
    let names = run.key_columns();
    let values = frame::json_row(&repeated, &names, 0)?;
    let key: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    Err(Error::ScoredFile {
        path: run.path.clone(),
        message: format!(
            "has {} rows for {}; a run output has one row per customer (per group); give the Parquet file `rfmseg run` wrote",
            frame::counts(&repeated, CUSTOMERS)?[0],
            key.join(", ")
        ),
    })
}

/// The key columns of both runs, cast to text where their types differ (ids read from CSV
/// in one run and from Parquet in the other).
pub(super) fn aligned_keys(current: &ScoredFile, previous: &ScoredFile) -> Vec<Expr> {
    current
        .key_columns()
        .iter()
        .map(|k| {
            let dtype = |r: &ScoredFile| r.data.schema().get(k.as_str()).cloned();
            if dtype(current) == dtype(previous) {
                col(k.as_str())
            } else {
                col(k.as_str()).cast(DataType::String)
            }
        })
        .collect()
}

/// Both runs' customers side by side: the key columns, FROM and PREVIOUS_SCORE (null when
/// the customer is new), TO, RFM_SCORE and LAST_NOW (null when gone), IN_PREVIOUS and
/// IN_CURRENT, and BOUGHT_AGAIN (a previous customer who bought after `previous_as_of`).
fn matched(
    current: &ScoredFile,
    previous: &ScoredFile,
    previous_as_of: Option<chrono::NaiveDate>,
) -> Result<DataFrame> {
    let keys = aligned_keys(current, previous);
    let side = |run: &ScoredFile, segment: &str, score: &str, present: &str| {
        let mut columns = keys.clone();
        columns.extend([
            col(SEGMENT).alias(segment),
            col(RFM_SCORE).alias(score),
            lit(true).alias(present),
        ]);
        if present == IN_CURRENT {
            columns.push(col(LAST_ORDER_DATE).alias(LAST_NOW));
        }
        run.data.clone().lazy().select(columns)
    };
    let names = frame::cols(&current.key_columns());
    // Materialised once: the transitions, the score changes and the groups' retention are
    // three small aggregations of it.
    side(previous, FROM, PREVIOUS_SCORE, IN_PREVIOUS)
        .join(
            side(current, TO, RFM_SCORE, IN_CURRENT),
            names.clone(),
            names,
            JoinArgs {
                nulls_equal: true,
                coalesce: JoinCoalesce::CoalesceColumns,
                ..JoinArgs::new(JoinType::Full)
            },
        )
        .with_columns([
            col(IN_PREVIOUS).fill_null(lit(false)),
            col(IN_CURRENT).fill_null(lit(false)),
        ])
        .with_column(retention::bought_again(previous_as_of))
        .collect()
        .map_err(Error::engine("matching the customers of both runs"))
}

/// The movement from `previous` to `current`; `order` is this run's segment order.
/// With group columns, `groups` (the current run's group table) gets each group's retention.
pub fn movement(
    current: &ScoredFile,
    previous: &ScoredFile,
    order: &[String],
    groups: Option<&DataFrame>,
) -> Result<(Movement, Vec<GroupRetention>)> {
    check_comparable(current, previous)?;
    check_unique(current)?;
    check_unique(previous)?;
    let previous_as_of = retention::as_of(previous)?;
    let both = matched(current, previous, previous_as_of)?;
    let mut transitions = transitions(&both)?;
    let segments = all_segments(order, &transitions);
    // Segment order, "not in that run" (None) last.
    let position = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| segments.iter().position(|s| s == n))
            .unwrap_or(usize::MAX)
    };
    transitions.sort_by_key(|t| (position(&t.from), position(&t.to)));
    let count = |pick: &dyn Fn(&Transition) -> bool| -> u64 {
        transitions
            .iter()
            .filter(|t| pick(t))
            .map(|t| t.customers)
            .sum()
    };
    let previous_customers = count(&|t| t.from.is_some());
    let still_scored = count(&|t| t.from.is_some() && t.to.is_some());
    let gained = count(&|t| t.from.is_none());
    let [up, same, down] = score_changes(&both)?;
    let retention = retention::by_segment(&both, &segments)?;
    let retained = retention.iter().map(|r| r.retained).sum();
    let movement = Movement {
        previous_file: previous.path.display().to_string(),
        previous_as_of: previous_as_of.map(|d| d.to_string()),
        previous_customers,
        retained,
        retention_rate: rate(retained, previous_customers),
        still_scored,
        still_scored_rate: rate(still_scored, previous_customers),
        lost: previous_customers - still_scored,
        gained,
        rfm_score_up: up,
        rfm_score_same: same,
        rfm_score_down: down,
        retention,
        transitions,
        segments,
    };
    let retention = match groups {
        Some(table) => group_retention(&both, table, &current.group_columns)?,
        None => Vec::new(),
    };
    Ok((movement, retention))
}

fn transitions(both: &DataFrame) -> Result<Vec<Transition>> {
    let table = both
        .clone()
        .lazy()
        .group_by([col(IN_PREVIOUS), col(FROM), col(IN_CURRENT), col(TO)])
        .agg([len().alias(CUSTOMERS)])
        .collect()
        .map_err(Error::engine("counting transitions"))?;
    let in_previous = frame::flags(&table, IN_PREVIOUS)?;
    let from = frame::texts(&table, FROM)?;
    let in_current = frame::flags(&table, IN_CURRENT)?;
    let to = frame::texts(&table, TO)?;
    let customers = frame::counts(&table, CUSTOMERS)?;
    Ok((0..table.height())
        .map(|i| Transition {
            from: in_previous[i].then(|| from[i].clone().unwrap_or_default()),
            to: in_current[i].then(|| to[i].clone().unwrap_or_default()),
            customers: customers[i],
        })
        .collect())
}

/// Internal columns: customers in both runs whose rfm_score rose, stayed, fell.
const UP: &str = "__up";
const SAME: &str = "__same";
const DOWN: &str = "__down";

/// Customers in both runs whose rfm_score rose, stayed, fell.
fn score_changes(both: &DataFrame) -> Result<[u64; 3]> {
    let (now, before) = (col(RFM_SCORE), col(PREVIOUS_SCORE));
    let names = [UP, SAME, DOWN];
    let changes = both
        .clone()
        .lazy()
        .select([
            now.clone().gt(before.clone()).sum().alias(names[0]),
            now.clone().eq(before.clone()).sum().alias(names[1]),
            now.lt(before).sum().alias(names[2]),
        ])
        .collect()
        .map_err(Error::engine("comparing rfm_score between runs"))?;
    let get = |name: &str| frame::counts(&changes, name).map(|v| v.first().copied().unwrap_or(0));
    Ok([get(names[0])?, get(names[1])?, get(names[2])?])
}

/// This run's segments in `order`, then segments only the previous run has (larger first,
/// then by name).
fn all_segments(order: &[String], transitions: &[Transition]) -> Vec<String> {
    let mut only_before: Vec<(u64, String)> = Vec::new();
    for t in transitions {
        let Some(from) = &t.from else { continue };
        if order.contains(from) {
            continue;
        }
        match only_before.iter_mut().find(|(_, n)| n == from) {
            Some((c, _)) => *c += t.customers,
            None => only_before.push((t.customers, from.clone())),
        }
    }
    only_before.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    order
        .iter()
        .cloned()
        .chain(only_before.into_iter().map(|(_, n)| n))
        .collect()
}

/// Each current group's previous customers, how many bought again and how many are still
/// scored, by group index.
fn group_retention(
    both: &DataFrame,
    groups: &DataFrame,
    group_columns: &[String],
) -> Result<Vec<GroupRetention>> {
    let keys = frame::cols(group_columns);
    // A group column read as text in one run and as a number in the other was matched as
    // text; number the groups on text too.
    let as_text: Vec<Expr> = group_columns
        .iter()
        .filter(|g| both.schema().get(g.as_str()) != groups.schema().get(g.as_str()))
        .map(|g| col(g.as_str()).cast(DataType::String))
        .collect();
    let groups = groups
        .clone()
        .lazy()
        .with_columns(as_text)
        .collect()
        .map_err(Error::engine("matching groups between runs"))?;
    let per_group = attach_group_index(
        both.clone().lazy().group_by(keys).agg([
            col(IN_PREVIOUS).sum().alias(CUSTOMERS),
            (col(IN_PREVIOUS).and(col(IN_CURRENT)))
                .sum()
                .alias(IN_CURRENT),
            col(BOUGHT_AGAIN).sum().alias(BOUGHT_AGAIN),
        ]),
        &groups,
        group_columns,
    )
    .filter(col(GROUP_INDEX).is_not_null())
    .collect()
    .map_err(Error::engine("computing each group's retention"))?;
    let mut out = vec![GroupRetention::new(0, 0, 0); groups.height()];
    let index = frame::counts(&per_group, GROUP_INDEX)?;
    let before = frame::counts(&per_group, CUSTOMERS)?;
    let kept = frame::counts(&per_group, IN_CURRENT)?;
    let bought = frame::counts(&per_group, BOUGHT_AGAIN)?;
    for (i, g) in index.into_iter().enumerate() {
        out[g as usize] = GroupRetention::new(before[i], bought[i], kept[i]);
    }
    Ok(out)
}
