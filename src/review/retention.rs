//! Retention as marketing means it: of the previous run's customers, those who bought again
//! after its as_of (their `last_order_date` in this run is later), overall, per previous
//! segment and per group. The previous run's as_of comes from its footer; a file without
//! provenance gives it through its rows, each of which holds `last_order_date + recency_days
//! = as_of`.

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::frame;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::read_back::ScoredFile;

/// The customers of one previous segment and how many bought again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRetention {
    /// The segment in the previous run.
    pub segment: String,
    /// Its customers in the previous run.
    pub customers: u64,
    /// Those who bought after the previous run's as_of.
    pub retained: u64,
    /// retained / customers.
    pub retention_rate: Option<f64>,
}

/// `part / whole`, None when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// The as_of of `run`: its footer's, else the one date its rows agree on
/// (`last_order_date + recency_days`); None for a run without customers and provenance.
pub fn as_of(run: &ScoredFile) -> Result<Option<NaiveDate>> {
    if run.as_of.is_some() {
        return Ok(run.as_of);
    }
    const AS_OF: &str = "__as_of";
    let dates = run
        .data
        .clone()
        .lazy()
        .select([(col(LAST_ORDER_DATE).cast(DataType::Int64) + col(RECENCY_DAYS)).alias(AS_OF)])
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort([AS_OF], SortMultipleOptions::default())
        .collect()
        .map_err(Error::engine("finding the previous run's as_of"))?;
    let days = frame::ints(&dates, AS_OF)?;
    let date = |d: i64| (EPOCH + chrono::Duration::days(d)).to_string();
    match days.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(EPOCH + chrono::Duration::days(*one))),
        [first, .., last] => Err(Error::ScoredFile {
            path: run.path.clone(),
            message: format!(
                "has no as_of in its footer (no rfmseg provenance), and its rows do not agree on one: last_order_date + recency_days runs from {} to {}; retention counts the customers who bought after the previous run's as_of, so give the Parquet file `rfmseg run` wrote",
                date(*first),
                date(*last)
            ),
        }),
    }
}

/// The retention of each previous segment, in `segments` order (segments without previous
/// customers left out), from the matched customers of both runs.
pub fn by_segment(both: &DataFrame, segments: &[String]) -> Result<Vec<SegmentRetention>> {
    let table = both
        .clone()
        .lazy()
        .filter(col(IN_PREVIOUS))
        .group_by([col(FROM)])
        .agg([
            len().alias(CUSTOMERS),
            col(BOUGHT_AGAIN).sum().alias(BOUGHT_AGAIN),
        ])
        .collect()
        .map_err(Error::engine("computing each segment's retention"))?;
    let names = frame::texts(&table, FROM)?;
    let customers = frame::counts(&table, CUSTOMERS)?;
    let retained = frame::counts(&table, BOUGHT_AGAIN)?;
    let mut rows: Vec<SegmentRetention> = (0..table.height())
        .map(|i| SegmentRetention {
            segment: names[i].clone().unwrap_or_default(),
            customers: customers[i],
            retained: retained[i],
            retention_rate: rate(retained[i], customers[i]),
        })
        .collect();
    rows.sort_by_key(|r| {
        segments
            .iter()
            .position(|s| *s == r.segment)
            .unwrap_or(usize::MAX)
    });
    Ok(rows)
}

/// Per row of the matched customers: a previous customer whose last purchase in this run is
/// after `as_of`, the previous run's (None: it had no customer, so nobody).
pub fn bought_again(as_of: Option<NaiveDate>) -> Expr {
    match as_of {
        None => lit(false),
        Some(d) => col(IN_PREVIOUS)
            .and(
                col(LAST_NOW)
                    .cast(DataType::Int64)
                    .gt(lit((d - EPOCH).num_days())),
            )
            .fill_null(lit(false)),
    }
    .alias(BOUGHT_AGAIN)
}
