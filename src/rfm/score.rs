//! Scores r, f, m in 1..=bins within each partition (the group_by key), in two steps: first
//! the `bins - 1` edges of each metric per group ([`edges`], small tables), then one rule for
//! every method, `k = 1 + #{i : value > edge_i}` (see [`super::thresholds`]), applied row by
//! row ([`score`]) so that scoring streams and never sorts the customers.
//!
//! - rank: `1 + floor(bins * worse / N)`, worse = customers with strictly lower goodness.
//!   Computed on the value counts of each group (one row per distinct value, not per
//!   customer); edge `i` is the largest value whose level is at most `i`, so the comparisons
//!   give exactly the rank scores;
//! - quantile: edges at `i / bins` with linear interpolation, computed in floating point
//!   exactly as numpy/pandas 'linear' and SQL PERCENTILE_CONT do (position `(N-1) q`, then
//!   `lower + (upper - lower) * fraction`), so that the same data scores the same in a
//!   reviewer's notebook or a warehouse (exact fractions would differ where `(N-1) q`
//!   rounds below a whole number, e.g. 90 * 0.7 = 62.99999999999999);
//! - r-rfm (R's rfm package): the quantiles of `quantile` plus 1, passed at `>=`
//!   (`k = 1 + #{i : value >= q_i + 1}`, R's bins `[lower, upper)`);
//! - fixed: the thresholds (`>=` for frequency and monetary).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::thresholds::any_to_yaml;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::settings::cells::{all_cells, cell_text};
use crate::settings::thresholds::{GroupEdges, MetricScale, Thresholds, FORMAT};
use crate::settings::{Method, MetricScoring, Scoring, R_RFM_SHIFT};

/// Column of a group's `i`-th edge (0-based) in the edge tables.
fn edge_column(i: usize) -> String {
    format!("__edge_{i}")
}

fn keys(group_by: &[String]) -> Vec<Expr> {
    group_by.iter().map(|g| col(g.as_str())).collect()
}

fn nulls_last() -> SortMultipleOptions {
    SortMultipleOptions::default().with_nulls_last(true)
}

/// The scale of each metric as a thresholds file records it.
pub(super) fn scales(scoring: &Scoring) -> BTreeMap<String, MetricScale> {
    METRICS
        .iter()
        .zip([&scoring.recency, &scoring.frequency, &scoring.monetary])
        .map(|(metric, ms)| {
            let compare = ms.method.compare(metric.name == "recency");
            (
                metric.name.to_string(),
                MetricScale {
                    bins: ms.bins,
                    method: ms.method.name().to_string(),
                    compare: compare.to_string(),
                },
            )
        })
        .collect()
}

/// The edges that score `customers` (columns: group_by..., the metric columns), per group
/// (groups sorted, nulls last), with the scales they were made with. With
/// `scoring.min_group_customers` (and group_by), per (level, partition) used instead
/// ([`super::levels::edges`]).
pub fn edges(
    customers: &DataFrame,
    scoring: &Scoring,
    group_by: &[String],
    as_of: Option<String>,
) -> Result<Thresholds> {
    if let (Some(min), false) = (scoring.min_group_customers, group_by.is_empty()) {
        return super::levels::edges(customers, scoring, group_by, min, as_of);
    }
    let metrics = scales(scoring);
    let mut tables = Vec::new();
    for (metric, ms) in
        METRICS
            .iter()
            .zip([&scoring.recency, &scoring.frequency, &scoring.monetary])
    {
        let (name, value) = (&metric.name, &metric.column);
        let table = match &ms.method {
            Method::Rank => rank_edges(customers, value, ms.bins, *name == "recency", group_by),
            _ => aggregated_edges(customers, value, ms, group_by),
        }
        .map_err(Error::engine("computing the score edges"))?;
        tables.push(table);
    }
    let groups = tables[0].height();
    let same_groups = |t: &DataFrame| {
        t.height() == groups
            && group_by
                .iter()
                .all(|g| match (t.column(g), tables[0].column(g)) {
                    (Ok(a), Ok(b)) => a
                        .as_materialized_series()
                        .equals_missing(b.as_materialized_series()),
                    _ => false,
                })
    };
    if !tables.iter().all(same_groups) {
        return Err(Error::Data(
            "internal: the metrics' edge tables have different groups (please report it)".into(),
        ));
    }
    let keys = group_keys(&tables[0], group_by)?;
    let mut out = Vec::with_capacity(groups);
    for (row, key) in keys.into_iter().enumerate() {
        let edges_of = |table: &DataFrame, bins: u32| -> Result<Vec<f64>> {
            (0..bins as usize - 1)
                .map(|i| {
                    table
                        .column(&edge_column(i))
                        .and_then(|c| c.get(row))
                        .map(|v| v.extract::<f64>().unwrap_or(f64::NEG_INFINITY))
                        .map_err(Error::engine("reading the score edges"))
                })
                .collect()
        };
        out.push(GroupEdges {
            key,
            level: None,
            recency: edges_of(&tables[0], scoring.recency.bins)?,
            frequency: edges_of(&tables[1], scoring.frequency.bins)?,
            monetary: edges_of(&tables[2], scoring.monetary.bins)?,
        });
    }
    Ok(Thresholds {
        format: FORMAT.to_string(),
        as_of,
        group_by: group_by.to_vec(),
        min_group_customers: None,
        metrics,
        groups: out,
    })
}

/// Each row's group values as written in a thresholds file. Frozen edges are matched to the
/// data by the group values' text as polars casts them to String, so values with no YAML form
/// of their own (dates, datetimes, floats) are written as that text; integers, strings and
/// booleans stay themselves (their cast text is their YAML text).
pub(super) fn group_keys(
    table: &DataFrame,
    group_by: &[String],
) -> Result<Vec<BTreeMap<String, serde_yaml::Value>>> {
    let fail = || Error::engine("reading group keys");
    let mut keys = vec![BTreeMap::new(); table.height()];
    for g in group_by {
        let column = table.column(g).map_err(fail())?;
        let dtype = column.dtype();
        let plain = dtype.is_integer() || matches!(dtype, DataType::String | DataType::Boolean);
        let column = if plain {
            column.clone()
        } else {
            column.cast(&DataType::String).map_err(fail())?
        };
        for (row, key) in keys.iter_mut().enumerate() {
            let v = column.get(row).map_err(fail())?;
            key.insert(g.clone(), any_to_yaml(&v));
        }
    }
    Ok(keys)
}

/// Quantile, r-rfm and fixed edges: one aggregation per group. r-rfm's edges are the
/// quantiles plus [`R_RFM_SHIFT`], as R's rfm package makes them.
fn aggregated_edges(
    customers: &DataFrame,
    value: &str,
    ms: &MetricScoring,
    group_by: &[String],
) -> PolarsResult<DataFrame> {
    let v = col(value).cast(DataType::Float64);
    let quantile = |i: u32| {
        v.clone()
            .quantile(lit(i as f64 / ms.bins as f64), QuantileMethod::Linear)
    };
    let aggs: Vec<Expr> = (1..ms.bins)
        .map(|i| {
            match &ms.method {
                Method::Fixed(t) => lit(t[i as usize - 1]).first(),
                Method::RRfm => quantile(i) + lit(R_RFM_SHIFT),
                Method::Quantile | Method::Rank => quantile(i),
            }
            .alias(edge_column(i as usize - 1))
        })
        .collect();
    let lf = customers.clone().lazy();
    if group_by.is_empty() {
        // One group even when there are no customers, like the rank tables below.
        lf.select(aggs).collect()
    } else {
        lf.group_by(keys(group_by))
            .agg(aggs)
            .sort_by_exprs(keys(group_by), nulls_last())
            .collect()
    }
}

/// Rank edges from the value counts of each group: the level of a value is
/// `1 + floor(bins * worse / N)` (reversed for recency, where smaller is better); edge `i`
/// is the largest value whose level is at most `i` (-inf when none is).
fn rank_edges(
    customers: &DataFrame,
    value: &str,
    bins: u32,
    recency: bool,
    group_by: &[String],
) -> PolarsResult<DataFrame> {
    // The cheaper paths first: groups in contiguous slices, or one group of small integers.
    if !group_by.is_empty() {
        if let Some(table) = contiguous_group_edges(customers, value, bins, recency, group_by)? {
            return Ok(table);
        }
    } else {
        let column = customers.column(value)?;
        let edges = match small_integer_counts(column)? {
            Some((values, counts)) => Some(level_edges(&values, &counts, bins, recency)),
            None if column.null_count() == 0 && !column.is_empty() => {
                let mut values: Vec<f64> = column
                    .cast(&DataType::Float64)?
                    .f64()?
                    .into_no_null_iter()
                    .collect();
                Some(selected_edges(&mut values, bins, recency))
            }
            None => None,
        };
        if let Some(edges) = edges {
            let mut table = DataFrame::empty_with_height(1);
            for (i, edge) in edges.into_iter().enumerate() {
                table.with_column(Column::new(edge_column(i).into(), [edge]))?;
            }
            return Ok(table);
        }
    }
    const V: &str = "__v";
    const N: &str = "__n";
    const NEW: &str = "__new_group";
    let mut by = keys(group_by);
    by.push(col(V));
    let new_group = group_by
        .iter()
        .map(|g| col(g.as_str()).neq_missing(col(g.as_str()).shift(lit(1))))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let counts = customers
        .clone()
        .lazy()
        .with_column(col(value).cast(DataType::Float64).alias(V))
        .group_by(by.clone())
        .agg([len().cast(DataType::UInt64).alias(N)])
        .sort_by_exprs(by, nulls_last())
        .with_column(new_group.alias(NEW))
        .collect()?;
    let values: Vec<f64> = counts.column(V)?.f64()?.into_no_null_iter().collect();
    let n: Vec<u64> = counts.column(N)?.u64()?.into_no_null_iter().collect();
    let new: Vec<bool> = counts
        .column(NEW)?
        .bool()?
        .iter()
        .map(|b| b.unwrap_or(false))
        .collect();
    // Group segments [start, end) of the sorted value counts.
    let mut starts: Vec<usize> = (0..values.len()).filter(|&i| i == 0 || new[i]).collect();
    if !group_by.is_empty() && values.is_empty() {
        starts.clear();
    }
    let edges_per_group: Vec<Vec<f64>> = starts
        .iter()
        .enumerate()
        .map(|(s, &start)| {
            let end = starts.get(s + 1).copied().unwrap_or(values.len());
            level_edges(&values[start..end], &n[start..end], bins, recency)
        })
        .collect();
    let mut table = if group_by.is_empty() {
        DataFrame::empty_with_height(1)
    } else {
        let idx = IdxCa::from_vec("".into(), starts.iter().map(|&s| s as IdxSize).collect());
        counts
            .select(group_by.iter().map(|g| g.as_str()))?
            .take(&idx)?
    };
    let groups = table.height();
    for i in 0..bins as usize - 1 {
        let column: Vec<f64> = (0..groups)
            .map(|g| edges_per_group.get(g).map_or(f64::NEG_INFINITY, |e| e[i]))
            .collect();
        table.with_column(Column::new(edge_column(i).into(), column))?;
    }
    Ok(table)
}

/// Rank edges per group when each group's customers are contiguous (as `run` sorts them: by
/// the group columns, then customer_id) and no value is null: each group's slice of values
/// gives its edges by selection ([`selected_edges`]), where the value-count query would group and sort all
/// (group, value) pairs. None
/// otherwise; the table is the one [`rank_edges`]' query gives.
fn contiguous_group_edges(
    customers: &DataFrame,
    value: &str,
    bins: u32,
    recency: bool,
    group_by: &[String],
) -> PolarsResult<Option<DataFrame>> {
    let keys: Vec<PlSmallStr> = group_by.iter().map(PlSmallStr::from).collect();
    let values = customers.column(value)?.cast(&DataType::Float64)?;
    if customers.height() == 0 || values.null_count() > 0 {
        return Ok(None);
    }
    let starts = super::fold::group_starts(customers, &keys)?;
    let groups = customers
        .select(keys.iter().cloned())?
        .lazy()
        .group_by(group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>())
        .agg([len()])
        .collect()?
        .height();
    if starts.len() != groups {
        return Ok(None);
    }
    let values = values.f64()?.rechunk();
    let values = values.cont_slice()?;
    let mut edges_per_group = Vec::with_capacity(groups);
    let mut slice = Vec::new();
    for (g, &start) in starts.iter().enumerate() {
        let end = starts.get(g + 1).map_or(values.len(), |&e| e as usize);
        slice.clear();
        slice.extend_from_slice(&values[start as usize..end]);
        edges_per_group.push(selected_edges(&mut slice, bins, recency));
    }
    let index = IdxCa::from_vec(PlSmallStr::EMPTY, starts);
    let mut table = customers.select(keys)?.take(&index)?;
    for i in 0..bins as usize - 1 {
        let column: Vec<f64> = edges_per_group.iter().map(|e| e[i]).collect();
        table.with_column(Column::new(edge_column(i).into(), column))?;
    }
    Ok(Some(table))
}

/// The distinct values (ascending, as f64) and their counts of an integer column without
/// nulls whose values span a range small enough to count in an array (days, orders): one
/// pass, where a hash group-by and a sort would cost ten times more. None otherwise.
fn small_integer_counts(column: &Column) -> PolarsResult<Option<(Vec<f64>, Vec<u64>)>> {
    const EXACT_IN_F64: i64 = 1 << 53;
    if !column.dtype().is_integer() || column.null_count() > 0 || column.is_empty() {
        return Ok(None);
    }
    let values = column.cast(&DataType::Int64)?;
    let values = values.i64()?;
    let (Some(lo), Some(hi)) = (values.min(), values.max()) else {
        return Ok(None);
    };
    let span = i128::from(hi) - i128::from(lo);
    if lo <= -EXACT_IN_F64 || hi >= EXACT_IN_F64 || span > (1 << 24).max(4 * values.len() as i128) {
        return Ok(None);
    }
    let mut counts = vec![0u64; span as usize + 1];
    for chunk in values.downcast_iter() {
        for v in chunk.values().iter() {
            counts[(v - lo) as usize] += 1;
        }
    }
    let (values, counts) = counts
        .into_iter()
        .enumerate()
        .filter(|&(_, c)| c > 0)
        .map(|(i, c)| ((lo + i as i64) as f64, c))
        .unzip();
    Ok(Some((values, counts)))
}

/// The `bins - 1` rank edges of one group's values (not empty, no NaN), found by selection
/// rather than from sorted value counts: the edges [`level_edges`] gives are order statistics.
/// With `N` values sorted as `s`, a value's level is `1 + floor(bins * below / N)` for `below`
/// values under it, so edge `i` (the largest value of level at most `i`) is the largest value
/// whose first position is at most `K = ceil(i * N / bins) - 1`: `s[K]`. For recency (levels
/// reversed, counted from the values above) it is the largest value whose last position is at
/// most `Q = N - 1 - ceil((bins - i) * N / bins)`: `s[Q]` when `s[Q + 1]` is larger, else the
/// largest value under `s[Q]` (-inf for none, as for `Q < 0`). Each position is selected in a
/// prefix of the one before (positions descending): linear time, where sorting is not.
fn selected_edges(values: &mut [f64], bins: u32, recency: bool) -> Vec<f64> {
    let n = values.len() as u64;
    let bins = u64::from(bins);
    let ceil = |a: u64| a.div_ceil(bins);
    // The edges' positions, one per edge (i = 1..bins-1), and what each needs.
    let mut edges = vec![f64::NEG_INFINITY; bins as usize - 1];
    let mut end = values.len();
    for i in (1..bins).rev() {
        let slot = &mut edges[i as usize - 1];
        if !recency {
            let k = (ceil(i * n) - 1) as usize;
            let (_, nth, _) = values[..end.max(k + 1)].select_nth_unstable_by(k, f64::total_cmp);
            *slot = *nth;
            end = k;
            continue;
        }
        let above = ceil((bins - i) * n);
        let Some(q) = (n - 1).checked_sub(above) else {
            continue;
        };
        let q = q as usize;
        // s[q + 1] (q < n - 1: at least one value is above), then s[q] among the values before it.
        let next = *values[..end.max(q + 2)]
            .select_nth_unstable_by(q + 1, f64::total_cmp)
            .1;
        let at = *values[..q + 1].select_nth_unstable_by(q, f64::total_cmp).1;
        *slot = if at.total_cmp(&next).is_lt() {
            at
        } else {
            values[..q]
                .iter()
                .copied()
                .filter(|v| v.total_cmp(&at).is_lt())
                .max_by(f64::total_cmp)
                .unwrap_or(f64::NEG_INFINITY)
        };
        end = q + 1;
    }
    edges
}

/// The `bins - 1` rank edges of one group, from its distinct values (ascending) and their
/// counts.
pub(super) fn level_edges(values: &[f64], counts: &[u64], bins: u32, recency: bool) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    let bins = u64::from(bins);
    let mut edges = vec![f64::NEG_INFINITY; bins as usize - 1];
    let mut below = 0u64;
    for (v, c) in values.iter().zip(counts) {
        // worse: customers with strictly lower goodness (for recency: a larger value).
        let worse = if recency { total - below - c } else { below };
        let score = 1 + (bins * worse) / total;
        let level = if recency { bins + 1 - score } else { score };
        // Levels never fall as the value grows, so the last value seen at a level <= i is
        // the largest.
        for edge in edges.iter_mut().skip(level as usize - 1) {
            *edge = *v;
        }
        below += c;
    }
    edges
}

/// Add `r`, `f`, `m` (Int32), `rfm_cell` and `rfm_score`, scored with the edges `t` (from
/// [`edges`] or a thresholds file), and the [`FROZEN`](super::thresholds::FROZEN) marker.
pub fn score(
    customers: LazyFrame,
    t: &Thresholds,
    scoring: &Scoring,
    group_by: &[String],
) -> LazyFrame {
    let wide = scoring.wide_cells();
    let texts: Vec<String> = all_cells(scoring)
        .into_iter()
        .map(|c| cell_text(c, wide))
        .collect();
    let cell = super::by_cell(Series::new(RFM_CELL.into(), texts), scoring);
    super::thresholds::score_frozen(customers, t, group_by).with_columns([
        cell.alias(RFM_CELL),
        (col(R) + col(F) + col(M)).alias(RFM_SCORE),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(method: Method, bins: u32) -> MetricScoring {
        MetricScoring { method, bins }
    }

    /// Which metric a test scores.
    #[derive(Clone, Copy)]
    enum Metric {
        Recency,
        Frequency,
        Monetary,
    }

    /// Score one metric of a tiny frame (edges, then comparisons); the scores in row order.
    fn run(metric: Metric, values: &[i64], ms: MetricScoring, groups: Option<&[&str]>) -> Vec<i32> {
        let n = values.len();
        let mut df = df!(
            RECENCY_DAYS => values,
            FREQUENCY => values,
            MONETARY => values.iter().map(|v| *v as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        let group_by: Vec<String> = match groups {
            Some(g) => {
                df.with_column(Column::new("g".into(), g)).unwrap();
                vec!["g".to_string()]
            }
            None => vec![],
        };
        let scoring = Scoring {
            recency: ms.clone(),
            frequency: ms.clone(),
            monetary: ms,
            frozen: None,
            thresholds_from: None,
            min_group_customers: None,
        };
        let t = edges(&df, &scoring, &group_by, None).unwrap();
        let out = score(df.lazy(), &t, &scoring, &group_by).collect().unwrap();
        let column = match metric {
            Metric::Recency => R,
            Metric::Frequency => F,
            Metric::Monetary => M,
        };
        let s = out.column(column).unwrap().i32().unwrap();
        assert_eq!(s.len(), n);
        s.into_no_null_iter().collect()
    }

    #[test]
    fn rank_edges_by_selection_are_the_value_counts_edges() {
        // Random values with many ties (and negatives), every size from one value, bins 2..9,
        // both directions: the order statistics equal the edges from sorted value counts.
        let mut seed = 17u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for case in 0..3000 {
            let n = 1 + next(40) as usize;
            let spread = 1 + next(if case % 3 == 0 { 4 } else { 60 });
            let values: Vec<f64> = (0..n).map(|_| next(spread) as f64 * 0.25 - 3.0).collect();
            let bins = 2 + next(8) as u32;
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let (mut distinct, mut counts) = (Vec::<f64>::new(), Vec::<u64>::new());
            for v in sorted {
                if distinct.last() == Some(&v) {
                    *counts.last_mut().unwrap() += 1;
                } else {
                    distinct.push(v);
                    counts.push(1);
                }
            }
            for recency in [false, true] {
                let expected = level_edges(&distinct, &counts, bins, recency);
                let got = selected_edges(&mut values.clone(), bins, recency);
                assert_eq!(got, expected, "{values:?} bins {bins} recency {recency}");
            }
        }
    }

    #[test]
    fn counting_integers_in_an_array_gives_the_edges_of_the_value_count_query() {
        // The same values as integers (counted in an array) and as floats (value counts by
        // group-by and sort), with ties, gaps and negative values.
        let mut state = 0x9E37_79B9u64;
        let values: Vec<i64> = (0..500)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) % 60) as i64 - 7
            })
            .collect();
        let df = df!(
            "int" => &values,
            "float" => values.iter().map(|&v| v as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(small_integer_counts(df.column("int").unwrap())
            .unwrap()
            .is_some());
        assert!(small_integer_counts(df.column("float").unwrap())
            .unwrap()
            .is_none());
        for bins in 2..=7 {
            for recency in [false, true] {
                let counted = rank_edges(&df, "int", bins, recency, &[]).unwrap();
                let queried = rank_edges(&df, "float", bins, recency, &[]).unwrap();
                assert!(counted.equals(&queried), "{counted}\n{queried}");
            }
        }
    }

    #[test]
    fn contiguous_groups_give_the_edges_of_the_value_count_query() {
        // Three groups and a null group, values with ties; the frame sorted by group (nulls
        // last, as `run` sorts) takes the per-slice path, the same rows interleaved the query.
        let mut state = 0x2545_F491u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let rows: Vec<(Option<&str>, f64)> = (0..400)
            .map(|_| {
                let g = [Some("b"), Some("a"), None, Some("c")][next(4) as usize];
                (g, (next(30) as f64) * 2.5 - 10.0)
            })
            .collect();
        let frame = |rows: &[(Option<&str>, f64)]| {
            df!(
                "g" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                "v" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        let interleaved = frame(&rows);
        let sorted = interleaved
            .sort(["g"], SortMultipleOptions::default().with_nulls_last(true))
            .unwrap();
        let group_by = ["g".to_string()];
        for bins in 2..=6 {
            for recency in [false, true] {
                let sliced = contiguous_group_edges(&sorted, "v", bins, recency, &group_by)
                    .unwrap()
                    .expect("contiguous groups take the per-slice path");
                assert!(
                    contiguous_group_edges(&interleaved, "v", bins, recency, &group_by)
                        .unwrap()
                        .is_none()
                );
                let queried = rank_edges(&interleaved, "v", bins, recency, &group_by).unwrap();
                assert!(sliced.equals_missing(&queried), "{sliced}\n{queried}");
            }
        }
    }

    #[test]
    fn rank_ties_share_a_score() {
        // worse = 0,0,2,3,3,5 of N=6, bins 3: 1 + floor(3*worse/6)
        let f = run(
            Metric::Frequency,
            &[1, 1, 2, 5, 5, 9],
            ms(Method::Rank, 3),
            None,
        );
        assert_eq!(f, [1, 1, 2, 2, 2, 3]);
        // recency: smaller is better; worse = customers with larger recency_days.
        let r = run(
            Metric::Recency,
            &[1, 1, 2, 5, 5, 9],
            ms(Method::Rank, 3),
            None,
        );
        // worse for 1: 4 -> 1+floor(12/6)=3; 2: 2 -> 2; 5: 1 -> 1; 9: 0 -> 1
        assert_eq!(r, [3, 3, 2, 1, 1, 1]);
    }

    #[test]
    fn rank_all_tied_is_one_level() {
        let f = run(Metric::Monetary, &[7, 7, 7, 7], ms(Method::Rank, 5), None);
        assert_eq!(f, [1, 1, 1, 1]);
    }

    #[test]
    fn quantile_matches_hand_computed_edges() {
        // values 1..=10, bins 4: edges at positions 9*i/4 = 2.25, 4.5, 6.75 -> 3.25, 5.5, 7.75
        let f = run(
            Metric::Frequency,
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            ms(Method::Quantile, 4),
            None,
        );
        assert_eq!(f, [1, 1, 1, 2, 2, 3, 3, 4, 4, 4]);
        let r = run(
            Metric::Recency,
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            ms(Method::Quantile, 4),
            None,
        );
        assert_eq!(r, [4, 4, 4, 3, 3, 2, 2, 1, 1, 1]);
    }

    #[test]
    fn quantile_keeps_repeated_edges_and_leaves_levels_empty() {
        // Six of eight buy once: edges (bins 4, positions 7*i/4 = 1.75, 3.5, 5.25) are 1, 1, 1
        // -> every 1 scores 1, levels 2 and 3 are empty, 2 and 3 score 4.
        let f = run(
            Metric::Frequency,
            &[1, 1, 1, 1, 1, 1, 2, 3],
            ms(Method::Quantile, 4),
            None,
        );
        assert_eq!(f, [1, 1, 1, 1, 1, 1, 4, 4]);
    }

    #[test]
    fn quantile_edge_equal_to_a_value_is_right_closed() {
        // 1..=5, bins 2: edge at position 2 = value 3; 3 is not > 3 -> score 1.
        let f = run(
            Metric::Frequency,
            &[1, 2, 3, 4, 5],
            ms(Method::Quantile, 2),
            None,
        );
        assert_eq!(f, [1, 1, 1, 2, 2]);
    }

    #[test]
    fn quantile_edges_are_computed_like_numpy() {
        // 91 distinct values, 10 bins: numpy's 0.7 edge is 90 * 0.7 = 62.99999999999999, not
        // 63, so the value 63 passes it (k = 8; exact fractions would give 7).
        let values: Vec<i64> = (0..=90).collect();
        let f = run(Metric::Frequency, &values, ms(Method::Quantile, 10), None);
        assert_eq!(f[63], 8);
        assert_eq!(f[62], 7);
        assert_eq!(f[90], 10);
        assert_eq!(f[0], 1);
    }

    /// The metric edges [`edges`] gives one group of `values` (all three metrics the same).
    fn edges_of(values: &[i64], ms: MetricScoring) -> (Vec<f64>, MetricScale) {
        let df = df!(
            RECENCY_DAYS => values,
            FREQUENCY => values,
            MONETARY => values.iter().map(|v| *v as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        let scoring = Scoring {
            recency: ms.clone(),
            frequency: ms.clone(),
            monetary: ms,
            frozen: None,
            thresholds_from: None,
            min_group_customers: None,
        };
        let t = edges(&df, &scoring, &[], None).unwrap();
        let scale = t.scale("frequency").unwrap().clone();
        (t.groups[0].frequency.clone(), scale)
    }

    #[test]
    fn r_rfm_puts_a_value_above_a_fractional_quantile_one_level_lower() {
        // 1, 2, 3, 3, 4, 5, 6, 8, bins 5: positions 7 i / 5 = 1.4, 2.8, 4.2, 5.6 give the
        // quantiles 2.4, 3, 4.2, 5.6 (numpy: 2.4000000000000004, 3.0, 4.2, 5.6000000000000005).
        // quantile: k = 1 + #{v > q}: 1 1 2 2 3 4 5 5.
        // r-rfm (R): edges q + 1 = 3.4, 4, 5.2, 6.6 and k = 1 + #{v >= edge}: 1 1 1 1 3 3 4 5:
        // 3 lies below 2.4 + 1 (R's bin [1, 3.4) is 1, quantile's (2.4, 3] is 2); 4 passes
        // the whole quantile 3 in both (4 > 3, 4 >= 3 + 1); level 2 stays empty.
        let values = [1, 2, 3, 3, 4, 5, 6, 8];
        let q = run(Metric::Frequency, &values, ms(Method::Quantile, 5), None);
        assert_eq!(q, [1, 1, 2, 2, 3, 4, 5, 5]);
        let f = run(Metric::Frequency, &values, ms(Method::RRfm, 5), None);
        assert_eq!(f, [1, 1, 1, 1, 3, 3, 4, 5]);
        let m = run(Metric::Monetary, &values, ms(Method::RRfm, 5), None);
        assert_eq!(m, f);
        // Recency: R bins recency_days the same way, then reverses: bins + 1 - k.
        let r = run(Metric::Recency, &values, ms(Method::RRfm, 5), None);
        assert_eq!(r, [5, 5, 5, 5, 3, 3, 2, 1]);
        // The edges it writes are q + 1, passed at >=.
        let (edges, scale) = edges_of(&values, ms(Method::RRfm, 5));
        assert_eq!(
            edges,
            [2.4000000000000004 + 1.0, 4.0, 5.2, 5.6000000000000005 + 1.0]
        );
        assert_eq!(
            (scale.method.as_str(), scale.compare.as_str()),
            ("r-rfm", ">=")
        );
        let (edges, scale) = edges_of(&values, ms(Method::Quantile, 5));
        assert_eq!(edges, [2.4000000000000004, 3.0, 4.2, 5.6000000000000005]);
        assert_eq!(
            (scale.method.as_str(), scale.compare.as_str()),
            ("quantile", ">")
        );
    }

    #[test]
    fn r_rfm_equals_quantile_on_whole_numbers_with_whole_quantiles() {
        // 1..=6, bins 5: positions 5 i / 5 = i, quantiles 2, 3, 4, 5 (whole): on whole numbers
        // v > q and v >= q + 1 are the same test.
        let values = [1, 2, 3, 4, 5, 6];
        for metric in [Metric::Recency, Metric::Frequency, Metric::Monetary] {
            let q = run(metric, &values, ms(Method::Quantile, 5), None);
            let r = run(metric, &values, ms(Method::RRfm, 5), None);
            assert_eq!(q, r);
        }
        assert_eq!(
            run(Metric::Frequency, &values, ms(Method::RRfm, 5), None),
            [1, 1, 2, 3, 4, 5]
        );
        // A value that reaches an edge passes it: 3 = 2 + 1 scores 2 (R: 3 is in [3, 4)).
        let (edges, _) = edges_of(&values, ms(Method::RRfm, 5));
        assert_eq!(edges, [3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn r_rfm_monetary_adds_one_to_its_quantiles_too() {
        // Monetary 10.00, 10.50, 11.00, bins 2: median 10.5, R's edge 11.5: only values of at
        // least 11.50 score 2 (method quantile puts 11.00 at 2). R adds 1 to every
        // metric's quantiles, whatever its unit.
        let df = df!(
            RECENCY_DAYS => [0i64, 0, 0],
            FREQUENCY => [1i64, 1, 1],
            MONETARY => [10.0, 10.5, 11.0],
        )
        .unwrap();
        let scoring = |method: Method| Scoring {
            recency: ms(Method::Rank, 2),
            frequency: ms(Method::Rank, 2),
            monetary: ms(method, 2),
            frozen: None,
            thresholds_from: None,
            min_group_customers: None,
        };
        let m = |method: Method| -> Vec<i32> {
            let scoring = scoring(method);
            let t = edges(&df, &scoring, &[], None).unwrap();
            let out = score(df.clone().lazy(), &t, &scoring, &[])
                .collect()
                .unwrap();
            out.column(M)
                .unwrap()
                .i32()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(m(Method::Quantile), [1, 1, 2]);
        assert_eq!(m(Method::RRfm), [1, 1, 1]);
    }

    #[test]
    fn r_rfm_ties_share_a_level_and_repeated_edges_leave_levels_empty() {
        // 1, 2, 2, 3, bins 5: positions 0.6, 1.2, 1.8, 2.4, quantiles 1.6, 2, 2, 2.4; R's
        // edges 2.6, 3, 3, 3.4 (bins [1, 2.6) [2.6, 3) [3, 3) [3, 3.4) [3.4, 4)): 1 and both 2s
        // score 1, 3 scores 4; levels 2, 3 and 5 are empty, and scoring does not fail.
        let values = [1, 2, 2, 3];
        let f = run(Metric::Frequency, &values, ms(Method::RRfm, 5), None);
        assert_eq!(f, [1, 1, 1, 4]);
        let r = run(Metric::Recency, &values, ms(Method::RRfm, 5), None);
        assert_eq!(r, [5, 5, 5, 2]);
        // All tied: every quantile is the value, every edge above it: one level.
        let f = run(Metric::Frequency, &[4, 4, 4], ms(Method::RRfm, 3), None);
        assert_eq!(f, [1, 1, 1]);
        let r = run(Metric::Recency, &[4, 4, 4], ms(Method::RRfm, 3), None);
        assert_eq!(r, [3, 3, 3]);
    }

    #[test]
    fn r_rfm_scores_within_groups() {
        // Group a: 1, 2, 3, 3, 4, 5, 6, 8 as above; group b: 1..=6 (whole quantiles).
        let values = [1, 2, 3, 3, 4, 5, 6, 8, 1, 2, 3, 4, 5, 6];
        let groups = [
            "a", "a", "a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b",
        ];
        let f = run(
            Metric::Frequency,
            &values,
            ms(Method::RRfm, 5),
            Some(&groups),
        );
        assert_eq!(f, [1, 1, 1, 1, 3, 3, 4, 5, 1, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn fixed_thresholds() {
        let f = run(
            Metric::Frequency,
            &[1, 2, 3, 10],
            ms(Method::Fixed(vec![2.0, 3.0, 5.0, 10.0]), 5),
            None,
        );
        assert_eq!(f, [1, 2, 3, 5]);
        // recency: score = bins - #{t : days > t}; 30 is not > 30.
        let r = run(
            Metric::Recency,
            &[0, 30, 31, 400],
            ms(Method::Fixed(vec![30.0, 90.0, 180.0, 365.0]), 5),
            None,
        );
        assert_eq!(r, [5, 5, 4, 1]);
    }

    #[test]
    fn scores_are_computed_within_groups() {
        let f = run(
            Metric::Frequency,
            &[1, 2, 1, 2],
            ms(Method::Rank, 2),
            Some(&["a", "a", "b", "b"]),
        );
        assert_eq!(f, [1, 2, 1, 2]);
        let f = run(
            Metric::Frequency,
            &[1, 2, 3, 4],
            ms(Method::Rank, 2),
            Some(&["a", "b", "a", "b"]),
        );
        assert_eq!(f, [1, 1, 2, 2]);
    }
}
