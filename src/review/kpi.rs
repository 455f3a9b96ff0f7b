//! Segment KPIs: customers, revenue, purchases, average order value, repeat-purchase rate,
//! revenue concentration and the medians of the three metrics, for the whole run, each
//! segment, each group and each group's segments. polars aggregates the customers; the ratios
//! are then taken from those few aggregated rows.

use polars::prelude::*;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::frame;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::rfm::LevelCount;

/// The numbers reported for a set of customers (the run, a segment, a group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Customers in the set.
    pub customers: u64,
    /// customers / the parent's customers (the parent of a segment is the run or its group;
    /// of a group, the run); 1 for the run itself.
    pub share: f64,
    /// Sum of monetary, rounded to the money decimals.
    pub revenue: f64,
    /// revenue / the parent's revenue; None when that is 0.
    pub revenue_share: Option<f64>,
    /// Sum of frequency.
    pub purchases: i64,
    /// revenue / purchases, rounded to the money decimals; None without purchases.
    pub avg_order_value: Option<f64>,
    /// Share of customers with frequency >= 2; None without customers.
    pub repeat_purchase_rate: Option<f64>,
    /// Share of revenue from the top ceil(N / 5) customers by monetary; None when revenue is 0.
    pub revenue_concentration: Option<f64>,
    /// Median recency_days (linear: the mean of the two middle values when N is even).
    pub median_recency_days: Option<f64>,
    /// Median frequency.
    pub median_frequency: Option<f64>,
    /// Median monetary, rounded to the money decimals.
    pub median_monetary: Option<f64>,
    /// Customers held out (the run's `holdout` column); None when the run has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<u64>,
}

/// One segment's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    /// The segment name.
    pub segment: String,
    /// Its description from the config's rule, when given.
    pub description: Option<String>,
    /// Its numbers.
    #[serde(flatten)]
    pub stats: Stats,
}

/// A group's key: its group columns' values, in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupKey(pub Vec<(String, serde_json::Value)>);

impl GroupKey {
    /// "East", "East / 3": the values joined; null as "(null)".
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|(_, v)| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "(null)".to_string(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

impl Serialize for GroupKey {
    /// An object with the group columns in their order.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (column, value) in &self.0 {
            map.serialize_entry(column, value)?;
        }
        map.end()
    }
}

/// How many of a group's customers of the previous run bought again, and how many are still
/// scored in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRetention {
    /// The group's customers in the previous run.
    pub previous_customers: u64,
    /// Those who bought after the previous run's as_of.
    pub retained: u64,
    /// retained / previous_customers; None when the group had no customer before.
    pub retention_rate: Option<f64>,
    /// Those also in this run (same group and customer_id).
    pub still_scored: u64,
    /// still_scored / previous_customers; None when the group had no customer before.
    pub still_scored_rate: Option<f64>,
}

impl GroupRetention {
    /// Of `previous_customers`, `retained` bought again and `still_scored` are in this run.
    pub fn new(previous_customers: u64, retained: u64, still_scored: u64) -> GroupRetention {
        let rate =
            |part: u64| (previous_customers > 0).then(|| part as f64 / previous_customers as f64);
        GroupRetention {
            previous_customers,
            retained,
            retention_rate: rate(retained),
            still_scored,
            still_scored_rate: rate(still_scored),
        }
    }
}

/// One group's row, with its segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// The group's values.
    pub group: GroupKey,
    /// Its numbers (shares of the whole run).
    #[serde(flatten)]
    pub stats: Stats,
    /// With a previous run: the group's retention.
    #[serde(flatten)]
    pub retention: Option<GroupRetention>,
    /// Its segments (shares of the group).
    pub segments: Vec<SegmentRow>,
}

/// The aggregates [`Stats`] are derived from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Totals {
    customers: u64,
    revenue: f64,
    purchases: i64,
    repeaters: u64,
    top_revenue: f64,
    medians: [Option<f64>; 3],
    holdout: Option<u64>,
}

/// The aggregations behind [`Totals`], for `select` (the run) or `group_by().agg()`; with
/// `holdout`, the customers held out too.
fn aggregations(holdout: bool) -> Vec<Expr> {
    // ceil(N / 5) in whole numbers: 0.2 * N in floating point overshoots (0.2 * 35 > 7).
    let top_count = (len().cast(DataType::Int64) + lit(4i64)).floor_div(lit(5i64));
    // Which of two customers with the same monetary is "in" the top does not change the sum.
    let rank = col(MONETARY).rank(
        RankOptions {
            method: RankMethod::Ordinal,
            descending: true,
        },
        None,
    );
    let mut sums = vec![
        len().cast(DataType::UInt64).alias(CUSTOMERS),
        col(MONETARY).sum().alias(REVENUE),
        col(FREQUENCY).sum().alias(PURCHASES),
        col(FREQUENCY)
            .gt_eq(lit(2i64))
            .sum()
            .cast(DataType::UInt64)
            .alias(REPEATERS),
        col(MONETARY)
            .filter(rank.cast(DataType::Int64).lt_eq(top_count))
            .sum()
            .alias(TOP_REVENUE),
        col(RECENCY_DAYS)
            .cast(DataType::Float64)
            .median()
            .alias(MEDIAN_RECENCY),
        col(FREQUENCY)
            .cast(DataType::Float64)
            .median()
            .alias(MEDIAN_FREQUENCY),
        col(MONETARY).median().alias(MEDIAN_MONETARY),
    ];
    if holdout {
        sums.push(col(HOLDOUT).sum().cast(DataType::UInt64).alias(HOLDOUT));
    }
    sums
}

/// Every row of an aggregated frame as [`Totals`].
fn totals(df: &DataFrame) -> Result<Vec<Totals>> {
    let customers = frame::counts(df, CUSTOMERS)?;
    let revenue = frame::floats(df, REVENUE)?;
    let purchases = frame::ints(df, PURCHASES)?;
    let repeaters = frame::counts(df, REPEATERS)?;
    let top = frame::floats(df, TOP_REVENUE)?;
    let recency = frame::floats(df, MEDIAN_RECENCY)?;
    let frequency = frame::floats(df, MEDIAN_FREQUENCY)?;
    let monetary = frame::floats(df, MEDIAN_MONETARY)?;
    let holdout = match df.column(HOLDOUT) {
        Ok(_) => frame::counts(df, HOLDOUT)?.into_iter().map(Some).collect(),
        Err(_) => vec![None; df.height()],
    };
    Ok((0..df.height())
        .map(|i| Totals {
            customers: customers[i],
            revenue: revenue[i].unwrap_or(0.0),
            purchases: purchases[i],
            repeaters: repeaters[i],
            top_revenue: top[i].unwrap_or(0.0),
            medians: [recency[i], frequency[i], monetary[i]],
            holdout: holdout[i],
        })
        .collect())
}

/// `value` rounded to `decimals` decimals, half away from zero.
pub fn round_money(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole != 0.0).then(|| part / whole)
}

impl Stats {
    /// The numbers of a set from its totals and its parent's (None: the set is the run).
    fn new(t: &Totals, parent: Option<&Totals>, decimals: u32) -> Stats {
        let money = |v: f64| round_money(v, decimals);
        let revenue = money(t.revenue);
        let (parent_customers, parent_revenue) =
            parent.map_or((t.customers, revenue), |p| (p.customers, money(p.revenue)));
        Stats {
            customers: t.customers,
            share: ratio(t.customers as f64, parent_customers as f64).unwrap_or(1.0),
            revenue,
            revenue_share: ratio(revenue, parent_revenue),
            purchases: t.purchases,
            avg_order_value: ratio(revenue, t.purchases as f64).map(money),
            repeat_purchase_rate: ratio(t.repeaters as f64, t.customers as f64),
            revenue_concentration: ratio(money(t.top_revenue), revenue),
            median_recency_days: t.medians[0],
            median_frequency: t.medians[1],
            median_monetary: t.medians[2].map(money),
            holdout: t.holdout,
        }
    }
}

/// The KPIs of a run.
#[derive(Debug, Clone)]
pub struct Kpis {
    /// The whole run.
    pub overall: Stats,
    /// Each segment, in no particular order.
    pub segments: Vec<SegmentRow>,
    /// Each group, sorted by the group columns (nulls last), with its segments (in no
    /// particular order).
    pub groups: Vec<GroupRow>,
    /// The groups as numbered by [`group_table`] (None without group columns): row `i` is
    /// `groups[i]`.
    pub group_table: Option<DataFrame>,
}

fn collect(lf: LazyFrame, what: &str) -> Result<DataFrame> {
    lf.collect()
        .map_err(Error::engine(format!("computing {what}")))
}

/// Segment rows from an aggregated frame with a segment column, each under `parents[i]`.
fn segment_rows(df: &DataFrame, parents: &[&Totals], decimals: u32) -> Result<Vec<SegmentRow>> {
    let names = frame::texts(df, SEGMENT)?;
    Ok(totals(df)?
        .iter()
        .zip(names)
        .zip(parents)
        .map(|((t, name), parent)| SegmentRow {
            segment: name.unwrap_or_default(),
            description: None,
            stats: Stats::new(t, Some(parent), decimals),
        })
        .collect())
}

/// The KPIs of `customers` (one row per customer, the run file's columns), per segment and
/// per group of `group_columns`.
pub fn kpis(customers: &LazyFrame, group_columns: &[String], decimals: u32) -> Result<Kpis> {
    let holdout = customers
        .clone()
        .collect_schema()
        .map_err(Error::engine("reading the run's columns"))?
        .get(HOLDOUT)
        .is_some();
    let aggregations = || aggregations(holdout);
    let overall = collect(customers.clone().select(aggregations()), "the run's totals")?;
    let run = *totals(&overall)?
        .first()
        .expect("a select of aggregations has one row");
    let by_segment = collect(
        customers
            .clone()
            .group_by([col(SEGMENT)])
            .agg(aggregations()),
        "the segments' numbers",
    )?;
    let segments = segment_rows(&by_segment, &vec![&run; by_segment.height()], decimals)?;
    let (groups, group_table) = if group_columns.is_empty() {
        (Vec::new(), None)
    } else {
        let table = group_table(customers, group_columns, holdout)?;
        (
            group_rows(customers, &table, group_columns, &run, decimals, holdout)?,
            Some(table),
        )
    };
    Ok(Kpis {
        overall: Stats::new(&run, None, decimals),
        segments,
        groups,
        group_table,
    })
}

/// Per `score_level` of a run with `min_group_customers`, deepest first (every level from
/// the group columns' count to 0): the groups scored at it, their customers, and the
/// partitions of that level (its first group columns' values) whose edges scored them.
pub fn score_levels(customers: &LazyFrame, group_columns: &[String]) -> Result<Vec<LevelCount>> {
    const GROUPS: &str = "__groups";
    const PARTITIONS: &str = "__partitions";
    let mut by = frame::cols(group_columns);
    by.push(col(SCORE_LEVEL));
    // One row per group, then per partition (its columns beyond the level masked; the level
    // keeps a real null apart), then per level.
    let mut partition = vec![col(SCORE_LEVEL)];
    partition.extend(group_columns.iter().enumerate().map(|(i, g)| {
        when(col(SCORE_LEVEL).gt(lit(i as i32)))
            .then(col(g.as_str()))
            .otherwise(lit(NULL))
            .alias(g.as_str())
    }));
    let table = collect(
        customers
            .clone()
            .group_by(by)
            .agg([len().cast(DataType::UInt64).alias(CUSTOMERS)])
            .select(
                partition
                    .into_iter()
                    .chain([col(CUSTOMERS)])
                    .collect::<Vec<_>>(),
            )
            .group_by(
                std::iter::once(SCORE_LEVEL)
                    .chain(group_columns.iter().map(String::as_str))
                    .map(col)
                    .collect::<Vec<_>>(),
            )
            .agg([
                len().cast(DataType::UInt64).alias(GROUPS),
                col(CUSTOMERS).sum().alias(CUSTOMERS),
            ])
            .group_by([col(SCORE_LEVEL)])
            .agg([
                len().cast(DataType::UInt64).alias(PARTITIONS),
                col(GROUPS).sum().alias(GROUPS),
                col(CUSTOMERS).sum().alias(CUSTOMERS),
            ]),
        "the score levels",
    )?;
    let fail = Error::engine("reading the score levels");
    let level_of: Vec<Option<i32>> = table
        .column(SCORE_LEVEL)
        .and_then(|c| c.i32().cloned())
        .map_err(fail)?
        .iter()
        .collect();
    let number = |name: &str, row: usize| -> u64 {
        table
            .column(name)
            .ok()
            .and_then(|c| c.get(row).ok())
            .and_then(|v| v.extract::<u64>())
            .unwrap_or(0)
    };
    let deepest = level_of
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(group_columns.len() as i32);
    Ok((0..=deepest)
        .rev()
        .map(|level| {
            let row = level_of.iter().position(|l| *l == Some(level));
            let get = |name: &str| row.map_or(0, |r| number(name, r));
            LevelCount {
                level: level as u32,
                columns: group_columns[..(level as usize).min(group_columns.len())].to_vec(),
                groups: get(GROUPS),
                customers: get(CUSTOMERS),
                partitions: get(PARTITIONS),
            }
        })
        .collect())
}

/// The groups of `customers`, sorted by their columns (nulls last), numbered by a
/// [`GROUP_INDEX`] column; each group's totals aggregated.
pub fn group_table(
    customers: &LazyFrame,
    group_columns: &[String],
    holdout: bool,
) -> Result<DataFrame> {
    let keys = frame::cols(group_columns);
    collect(
        customers
            .clone()
            .group_by(keys.clone())
            .agg(aggregations(holdout))
            .sort_by_exprs(keys, SortMultipleOptions::default().with_nulls_last(true))
            .with_row_index(GROUP_INDEX, None),
        "the groups' numbers",
    )
}

/// `rows` (with the group columns) given the [`GROUP_INDEX`] of their group in `groups`
/// (from [`group_table`]); a row whose group is not there gets null.
pub fn attach_group_index(
    rows: LazyFrame,
    groups: &DataFrame,
    group_columns: &[String],
) -> LazyFrame {
    let keys = frame::cols(group_columns);
    let mut index = keys.clone();
    index.push(col(GROUP_INDEX));
    rows.join(
        groups.clone().lazy().select(index),
        keys.clone(),
        keys,
        JoinArgs {
            nulls_equal: true,
            ..JoinArgs::new(JoinType::Left)
        },
    )
}

fn group_rows(
    customers: &LazyFrame,
    table: &DataFrame,
    group_columns: &[String],
    run: &Totals,
    decimals: u32,
    holdout: bool,
) -> Result<Vec<GroupRow>> {
    let group_totals = totals(table)?;
    let mut groups: Vec<GroupRow> = group_totals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let values = frame::json_row(table, group_columns, i)?;
            Ok(GroupRow {
                group: GroupKey(group_columns.iter().cloned().zip(values).collect()),
                stats: Stats::new(t, Some(run), decimals),
                retention: None,
                segments: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let mut keys = frame::cols(group_columns);
    keys.push(col(SEGMENT));
    let cells = collect(
        attach_group_index(
            customers.clone().group_by(keys).agg(aggregations(holdout)),
            table,
            group_columns,
        ),
        "the groups' segments",
    )?;
    let index = frame::counts(&cells, GROUP_INDEX)?;
    let parents: Vec<&Totals> = index.iter().map(|&g| &group_totals[g as usize]).collect();
    for (row, g) in segment_rows(&cells, &parents, decimals)?
        .into_iter()
        .zip(index)
    {
        groups[g as usize].segments.push(row);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customers(monetary: &[f64], frequency: &[i64]) -> LazyFrame {
        let n = monetary.len();
        df!(
            CUSTOMER_ID => (0..n as i64).collect::<Vec<_>>(),
            RECENCY_DAYS => (0..n as i64).map(|i| i * 10).collect::<Vec<_>>(),
            FREQUENCY => frequency,
            MONETARY => monetary,
            SEGMENT => vec!["A"; n],
        )
        .unwrap()
        .lazy()
    }

    #[test]
    fn concentration_takes_ceil_of_a_fifth_of_the_customers() {
        // 6 customers: ceil(6 / 5) = 2 customers, 50 + 40 of 100.
        let k = kpis(
            &customers(&[5.0, 50.0, 1.0, 40.0, 2.0, 2.0], &[1, 2, 1, 3, 1, 1]),
            &[],
            2,
        )
        .unwrap();
        assert_eq!(k.overall.customers, 6);
        assert_eq!(k.overall.revenue, 100.0);
        assert_eq!(k.overall.revenue_concentration, Some(0.9));
        assert_eq!(k.overall.purchases, 9);
        assert_eq!(k.overall.avg_order_value, Some(11.11));
        assert_eq!(k.overall.repeat_purchase_rate, Some(2.0 / 6.0));
        assert_eq!(k.overall.median_recency_days, Some(25.0));
        assert_eq!(k.overall.median_frequency, Some(1.0));
        assert_eq!(k.overall.median_monetary, Some(3.5));
    }

    #[test]
    fn concentration_of_35_customers_takes_7() {
        // 0.2 * 35 is 7.000000000000001 in floating point; the top is 7 customers, not 8.
        let monetary: Vec<f64> = (1..=35).map(|i| i as f64).collect();
        let k = kpis(&customers(&monetary, &[1; 35]), &[], 2).unwrap();
        let top: f64 = (29..=35).sum::<i32>() as f64;
        assert_eq!(k.overall.revenue_concentration, Some(top / 630.0));
    }

    #[test]
    fn an_empty_run_has_no_ratios() {
        let k = kpis(&customers(&[], &[]), &[], 2).unwrap();
        assert_eq!(k.overall.customers, 0);
        assert_eq!(k.overall.revenue, 0.0);
        assert_eq!(k.overall.avg_order_value, None);
        assert_eq!(k.overall.repeat_purchase_rate, None);
        assert_eq!(k.overall.revenue_concentration, None);
        assert_eq!(k.overall.median_monetary, None);
        assert!(k.segments.is_empty());
    }

    #[test]
    fn money_rounds_half_away_from_zero() {
        assert_eq!(round_money(0.125, 2), 0.13);
        assert_eq!(round_money(-0.125, 2), -0.13);
        assert_eq!(round_money(41234.560000000005, 2), 41234.56);
    }
}
