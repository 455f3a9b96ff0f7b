//! Scores by level, for `scoring.min_group_customers: N`: a partition (a group_by key) with
//! fewer than N customers is scored with the edges of its parent partition (the group_by
//! columns without the last; above the first, the whole input), upward until the partition
//! reached has at least N customers or is the whole input. The level of a partition is the
//! number of group_by columns of the partition whose edges score it (k = its own, 0 = the
//! whole input); one level per partition, for all three metrics.
//!
//! The edges come from the same small tables as without levels: the value counts of each
//! metric per group (one row per group and distinct value), merged upward (the counts of a
//! parent partition are the sums of its groups' counts, every group's, the small ones and the
//! big ones), and only for the partitions some group is scored by. Rank edges are found on the
//! merged counts as on a group's own; quantile and r-rfm edges are read off the cumulative
//! counts at the positions numpy's 'linear' quantile takes (the arithmetic of polars'
//! quantile, so a group's own level gives the edges a run without levels gives). No customer
//! is ranked again per level.
//!
//! [`edges`] writes the edges per (level, partition) used, as a thresholds file records them;
//! [`resolve`] gives each group of the data the edges of the deepest partition on its path
//! that such a file has, which on the data that made the edges is the level the count rule
//! chose.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::score::{group_keys, level_edges, scales};
use crate::columns::METRICS;
use crate::error::{Error, Result};
use crate::settings::thresholds::{GroupEdges, Thresholds, FORMAT};
use crate::settings::{Method, MetricScoring, Scoring, R_RFM_SHIFT};

/// Customers of a group, then of a partition.
const N: &str = "__n";
/// A group's level.
const LEVEL: &str = "__level";
/// A metric's value as f64 in the value counts.
const V: &str = "__v";

/// True in the groups whose level-`level` partition scores some group.
fn used(level: usize) -> String {
    format!("__used_{level}")
}

fn keys(columns: &[String]) -> Vec<Expr> {
    columns.iter().map(|g| col(g.as_str())).collect()
}

fn nulls_last() -> SortMultipleOptions {
    SortMultipleOptions::default().with_nulls_last(true)
}

/// How the groups of one level were scored: the run summary's, `check`'s and `report`'s
/// lines on levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    /// The level: the group_by columns the scores were computed within (0 = the whole input).
    pub level: u32,
    /// Those columns: the first `level` group_by columns.
    pub columns: Vec<String>,
    /// Groups (group_by keys) scored at this level.
    pub groups: u64,
    /// Their customers.
    pub customers: u64,
    /// The partitions of this level whose edges scored them.
    pub partitions: u64,
}

/// The edges that score each group of the data at its level, and what each level scored.
#[derive(Debug, Clone)]
pub struct ByLevel {
    /// One entry per group of the data with edges (full key, and the `level` they came
    /// from), in group order (sorted, nulls last): what the customers are joined to.
    pub edges: Thresholds,
    /// Levels from the deepest (the groups' own, k) to 0.
    pub counts: Vec<LevelCount>,
}

/// Per group of `customers` (sorted, nulls last): its customers [`N`], its [`LEVEL`] by the
/// count rule, and per level whether that level's partition of the group scores some group
/// ([`used`]).
fn group_levels(customers: &DataFrame, group_by: &[String], min: u64) -> PolarsResult<DataFrame> {
    let k = group_by.len();
    // Customers of the group's partition at each level: its own count, then sums over each
    // prefix of the group columns (the whole input at 0).
    let count = |level: usize| -> PolarsResult<Expr> {
        Ok(if level == k {
            col(N)
        } else if level == 0 {
            col(N).sum()
        } else {
            col(N).sum().over(keys(&group_by[..level]))?
        })
    };
    // The deepest level whose partition has at least `min` customers, else 0.
    let mut level = lit(0u32);
    for l in 1..=k {
        level = when(count(l)?.gt_eq(lit(min)))
            .then(lit(l as u32))
            .otherwise(level);
    }
    let mut flags = Vec::with_capacity(k + 1);
    for l in 0..=k {
        let at = col(LEVEL).eq(lit(l as u32));
        let flag = if l == k {
            at
        } else if l == 0 {
            at.any(true)
        } else {
            at.any(true).over(keys(&group_by[..l]))?
        };
        flags.push(flag.alias(used(l)));
    }
    customers
        .clone()
        .lazy()
        .group_by(keys(group_by))
        .agg([len().cast(DataType::UInt64).alias(N)])
        .with_column(level.alias(LEVEL))
        .with_columns(flags)
        .sort_by_exprs(keys(group_by), nulls_last())
        .collect()
}

/// The partitions of `level` columns that score some group, sorted (nulls last): a table of
/// those columns (one row without columns at level 0, when the whole input is used).
fn partitions(levels: &DataFrame, group_by: &[String], level: usize) -> PolarsResult<DataFrame> {
    let prefix = &group_by[..level];
    let lf = levels.clone().lazy().filter(col(used(level)));
    if level == 0 {
        let any = lf.select([len().alias(N)]).collect()?;
        let n = any.column(N)?.get(0)?.extract::<u64>().unwrap_or(0);
        return Ok(DataFrame::empty_with_height(usize::from(n > 0)));
    }
    lf.group_by(keys(prefix))
        .agg([len().alias(N)])
        .sort_by_exprs(keys(prefix), nulls_last())
        .select(keys(prefix))
        .collect()
}

/// The `bins - 1` quantile edges of one partition from its distinct values (ascending) and
/// their counts: numpy's 'linear' at `i / bins`, with polars' arithmetic (position
/// `(N - 1) q`, its whole part `j`, then `(position - j) * (x[j + 1] - x[j]) + x[j]`, or
/// `x[j]` where the position is whole or the two values are equal).
fn quantile_edges(values: &[f64], counts: &[u64], bins: u32) -> Vec<f64> {
    let n: u64 = counts.iter().sum();
    // The `rank`-th smallest value (0-based).
    let at = |rank: u64| -> f64 {
        let mut below = 0;
        for (v, c) in values.iter().zip(counts) {
            below += c;
            if below > rank {
                return *v;
            }
        }
        values.last().copied().unwrap_or(f64::NAN)
    };
    (1..bins)
        .map(|i| {
            let q = f64::from(i) / f64::from(bins);
            let position = (n as f64 - 1.0) * q;
            let base = (position as u64).min(n.saturating_sub(1));
            let top = position.ceil() as u64;
            let lower = at(base);
            if base == top {
                return lower;
            }
            let upper = at(top);
            if lower == upper {
                lower
            } else {
                (position - base as f64) * (upper - lower) + lower
            }
        })
        .collect()
}

/// One metric's edges at `level`, one row per partition of `partitions` (same order): from
/// the metric's value counts per group, merged over the partitions that score some group.
fn metric_level_edges(
    counts: &DataFrame,
    group_by: &[String],
    level: usize,
    ms: &MetricScoring,
    recency: bool,
    expected: usize,
) -> PolarsResult<Vec<Vec<f64>>> {
    if let Method::Fixed(t) = &ms.method {
        return Ok(vec![t.clone(); expected]);
    }
    let prefix = &group_by[..level];
    let mut by = keys(prefix);
    by.push(col(V));
    let merged = counts
        .clone()
        .lazy()
        .filter(col(used(level)))
        .group_by(by.clone())
        .agg([col(N).sum().alias(N)])
        .sort_by_exprs(by, nulls_last())
        .collect()?;
    let values: Vec<f64> = merged.column(V)?.f64()?.into_no_null_iter().collect();
    let n: Vec<u64> = merged.column(N)?.u64()?.into_no_null_iter().collect();
    // Partition segments [start, end) of the sorted counts.
    let mut starts = vec![0usize];
    if !prefix.is_empty() {
        let new = prefix
            .iter()
            .map(|g| col(g.as_str()).neq_missing(col(g.as_str()).shift(lit(1))))
            .reduce(|a, b| a.or(b))
            .expect("a prefix has columns");
        let new = merged
            .clone()
            .lazy()
            .select([new.alias("__new")])
            .collect()?;
        starts = new
            .column("__new")?
            .bool()?
            .iter()
            .enumerate()
            .filter(|&(i, b)| i == 0 || b.unwrap_or(false))
            .map(|(i, _)| i)
            .collect();
    }
    if values.is_empty() {
        starts.clear();
    }
    Ok(starts
        .iter()
        .enumerate()
        .map(|(s, &start)| {
            let end = starts.get(s + 1).copied().unwrap_or(values.len());
            let (v, c) = (&values[start..end], &n[start..end]);
            match ms.method {
                Method::Rank => level_edges(v, c, ms.bins, recency),
                Method::RRfm => quantile_edges(v, c, ms.bins)
                    .into_iter()
                    .map(|q| q + R_RFM_SHIFT)
                    .collect(),
                _ => quantile_edges(v, c, ms.bins),
            }
        })
        .collect())
}

/// The edges of every (level, partition) that scores some group of `customers` (columns:
/// group_by..., the metric columns), with `min` = `scoring.min_group_customers`: entries
/// from the deepest level to 0, each level's partitions sorted (nulls last).
pub fn edges(
    customers: &DataFrame,
    scoring: &Scoring,
    group_by: &[String],
    min: u64,
    as_of: Option<String>,
) -> Result<Thresholds> {
    let fail = Error::engine("computing the score edges by level");
    let k = group_by.len();
    let levels = group_levels(customers, group_by, min).map_err(fail)?;
    let flags: Vec<Expr> = keys(group_by)
        .into_iter()
        .chain((0..=k).map(|l| col(used(l).as_str())))
        .collect();
    let flags = levels.clone().lazy().select(flags);
    let metrics = [&scoring.recency, &scoring.frequency, &scoring.monetary];
    // Per metric: the value counts per group, with the groups' flags.
    let mut counts = Vec::with_capacity(3);
    for (metric, ms) in METRICS.iter().zip(metrics) {
        if matches!(ms.method, Method::Fixed(_)) {
            counts.push(None);
            continue;
        }
        let mut by = keys(group_by);
        by.push(col(metric.column).cast(DataType::Float64).alias(V));
        let table = customers
            .clone()
            .lazy()
            .group_by(by)
            .agg([len().cast(DataType::UInt64).alias(N)])
            .join(
                flags.clone(),
                keys(group_by),
                keys(group_by),
                JoinArgs {
                    nulls_equal: true,
                    ..JoinArgs::new(JoinType::Inner)
                },
            )
            .collect()
            .map_err(Error::engine("computing the score edges by level"))?;
        counts.push(Some(table));
    }
    let mut groups = Vec::new();
    for level in (0..=k).rev() {
        let table = partitions(&levels, group_by, level)
            .map_err(Error::engine("computing the score edges by level"))?;
        let mut per_metric = Vec::with_capacity(3);
        for ((metric, ms), counts) in METRICS.iter().zip(metrics).zip(&counts) {
            let empty = DataFrame::empty();
            let edges = metric_level_edges(
                counts.as_ref().unwrap_or(&empty),
                group_by,
                level,
                ms,
                metric.name == "recency",
                table.height(),
            )
            .map_err(Error::engine("computing the score edges by level"))?;
            if edges.len() != table.height() {
                return Err(Error::Data(format!(
                    "internal: {} edges for {} partitions of level {level} (please report it)",
                    metric.name,
                    table.height()
                )));
            }
            per_metric.push(edges);
        }
        let keys = group_keys(&table, &group_by[..level])?;
        for (row, key) in keys.into_iter().enumerate() {
            groups.push(GroupEdges {
                key,
                level: Some(level as u32),
                recency: per_metric[0][row].clone(),
                frequency: per_metric[1][row].clone(),
                monetary: per_metric[2][row].clone(),
            });
        }
    }
    Ok(Thresholds {
        format: FORMAT.to_string(),
        as_of,
        group_by: group_by.to_vec(),
        min_group_customers: Some(min),
        metrics: scales(scoring),
        groups,
    })
}

/// The edges each group of `customers` is scored with, from `t` (per (level, partition), as
/// [`edges`] makes them or a thresholds file holds them): the deepest partition on the
/// group's path that `t` has. Groups with none are left out (the caller names them).
pub fn resolve(customers: &DataFrame, t: &Thresholds, group_by: &[String]) -> Result<ByLevel> {
    let fail = || Error::engine("matching groups to their level's score edges");
    let groups = customers
        .clone()
        .lazy()
        .group_by(keys(group_by))
        .agg([len().cast(DataType::UInt64).alias(N)])
        .sort_by_exprs(keys(group_by), nulls_last())
        .collect()
        .map_err(fail())?;
    // The groups' values as text, as frozen edges are matched to the data.
    let mut texts = vec![Vec::with_capacity(group_by.len()); groups.height()];
    for g in group_by {
        let column = groups
            .column(g)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(fail())?;
        let column = column.str().map_err(fail())?;
        for (row, v) in column.iter().enumerate() {
            texts[row].push(v.map(str::to_string));
        }
    }
    let n: Vec<u64> = groups
        .column(N)
        .and_then(|c| c.u64().cloned())
        .map_err(fail())?
        .into_no_null_iter()
        .collect();
    let entries = t.entries_for(group_by, &texts);
    let k = group_by.len();
    let mut counts: Vec<LevelCount> = (0..=k)
        .rev()
        .map(|level| LevelCount {
            level: level as u32,
            columns: group_by[..level].to_vec(),
            groups: 0,
            customers: 0,
            partitions: 0,
        })
        .collect();
    let mut seen = vec![false; t.groups.len()];
    let mut out = Vec::with_capacity(groups.height());
    for ((values, customers), entry) in texts.into_iter().zip(n).zip(entries) {
        let Some(i) = entry else { continue };
        let from = &t.groups[i];
        let level = from.level.map_or(k, |l| l as usize);
        let count = &mut counts[k - level];
        count.groups += 1;
        count.customers += customers;
        if !std::mem::replace(&mut seen[i], true) {
            count.partitions += 1;
        }
        let key: BTreeMap<String, serde_yaml::Value> = group_by
            .iter()
            .zip(values)
            .map(|(g, v)| {
                let v = v.map_or(serde_yaml::Value::Null, serde_yaml::Value::String);
                (g.clone(), v)
            })
            .collect();
        out.push(GroupEdges {
            key,
            level: Some(level as u32),
            ..from.clone()
        });
    }
    Ok(ByLevel {
        edges: Thresholds {
            format: t.format.clone(),
            as_of: t.as_of.clone(),
            group_by: t.group_by.clone(),
            min_group_customers: t.min_group_customers,
            metrics: t.metrics.clone(),
            groups: out,
        },
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{FREQUENCY, MONETARY, RECENCY_DAYS};

    fn ms(method: Method, bins: u32) -> MetricScoring {
        MetricScoring { method, bins }
    }

    fn scoring(method: Method, bins: u32, min: Option<u64>) -> Scoring {
        Scoring {
            recency: ms(method.clone(), bins),
            frequency: ms(method.clone(), bins),
            monetary: ms(method, bins),
            frozen: None,
            thresholds_from: None,
            min_group_customers: min,
        }
    }

    /// Customers of groups (region, store) with pseudo-random metrics with ties; monetary
    /// with cents (fractional quantiles).
    fn customers(groups: &[(Option<&str>, Option<&str>, usize)], seed: u64) -> DataFrame {
        let mut state = seed;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let (mut region, mut store, mut r, mut f, mut m) = (vec![], vec![], vec![], vec![], vec![]);
        for &(g1, g2, n) in groups {
            for _ in 0..n {
                region.push(g1);
                store.push(g2);
                r.push(next(40) as i64);
                f.push(1 + next(6) as i64);
                m.push(next(20_000) as f64 / 100.0);
            }
        }
        df!(
            "region" => region,
            "store" => store,
            RECENCY_DAYS => r,
            FREQUENCY => f,
            MONETARY => m,
        )
        .unwrap()
    }

    fn two() -> Vec<String> {
        vec!["region".to_string(), "store".to_string()]
    }

    /// The entries' (level, key text) in order.
    fn entries(t: &Thresholds) -> Vec<(u32, Vec<Option<String>>)> {
        t.groups
            .iter()
            .map(|g| {
                let level = g.level.unwrap();
                let key = two()[..level as usize]
                    .iter()
                    .map(|c| g.key.get(c).and_then(crate::settings::thresholds::key_text))
                    .collect();
                (level, key)
            })
            .collect()
    }

    fn text(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|s| s.map(str::to_string)).collect()
    }

    #[test]
    fn a_small_group_climbs_until_its_partition_is_big_enough_nulls_being_values() {
        // min 4: (a, x) 5 keeps its own; (a, y) 2 climbs to a (7); (b, z) 1 climbs to b (1),
        // then to the whole input; a null region is a region: (null, w) 4 keeps its own,
        // (null, v) 1 climbs to the null region (5); a null store in a is a store (2 -> a).
        let groups = [
            (Some("a"), Some("x"), 5),
            (Some("a"), Some("y"), 2),
            (Some("a"), None, 2),
            (Some("b"), Some("z"), 1),
            (None, Some("w"), 4),
            (None, Some("v"), 1),
        ];
        let df = customers(&groups, 7);
        let s = scoring(Method::Rank, 3, Some(4));
        let t = super::edges(&df, &s, &two(), 4, None).unwrap();
        assert_eq!(
            entries(&t),
            [
                (2, text(&[Some("a"), Some("x")])),
                (2, text(&[None, Some("w")])),
                (1, text(&[Some("a")])),
                (1, text(&[None])),
                (0, vec![]),
            ]
        );
        let by = resolve(&df, &t, &two()).unwrap();
        // Groups sorted, nulls last: (a, x), (a, y), (a, null), (b, z), (null, v), (null, w).
        let levels: Vec<u32> = by.edges.groups.iter().map(|g| g.level.unwrap()).collect();
        assert_eq!(levels, [2, 1, 1, 0, 1, 2]);
        let count = |level: u32| by.counts.iter().find(|c| c.level == level).unwrap().clone();
        assert_eq!(
            (count(2).groups, count(2).customers, count(2).partitions),
            (2, 9, 2)
        );
        assert_eq!(
            (count(1).groups, count(1).customers, count(1).partitions),
            (3, 5, 2)
        );
        assert_eq!(
            (count(0).groups, count(0).customers, count(0).partitions),
            (1, 1, 1)
        );
        assert_eq!(count(1).columns, ["region"]);
    }

    #[test]
    fn a_parent_s_edges_are_those_of_all_its_customers_merged_from_the_groups_counts() {
        // Every method: the edges of a level-1 partition (region a, its stores small and big)
        // are the edges of region a scored on its own, and level 0's those of the whole input.
        let groups = [
            (Some("a"), Some("x"), 30),
            (Some("a"), Some("y"), 3),
            (Some("b"), Some("z"), 2),
            (Some("b"), Some("u"), 1),
        ];
        let df = customers(&groups, 11);
        for method in [Method::Rank, Method::Quantile, Method::RRfm] {
            for bins in [2, 3, 5, 10] {
                let s = scoring(method.clone(), bins, Some(10));
                let t = super::edges(&df, &s, &two(), 10, None).unwrap();
                let plain = scoring(method.clone(), bins, None);
                let by_region =
                    crate::rfm::edges(&df, &plain, &["region".to_string()], None).unwrap();
                let whole = crate::rfm::edges(&df, &plain, &[], None).unwrap();
                let own = crate::rfm::edges(&df, &plain, &two(), None).unwrap();
                let at = |level: u32| -> Vec<&GroupEdges> {
                    t.groups.iter().filter(|g| g.level == Some(level)).collect()
                };
                let same = |a: &GroupEdges, b: &GroupEdges| {
                    assert_eq!(a.recency, b.recency, "{method:?} {bins}");
                    assert_eq!(a.frequency, b.frequency, "{method:?} {bins}");
                    assert_eq!(a.monetary, b.monetary, "{method:?} {bins}");
                };
                // (a, x) on its own; region a (for (a, y)); the whole input (for b's stores).
                assert_eq!(at(2).len(), 1);
                same(at(2)[0], &own.groups[0]);
                assert_eq!(at(1).len(), 1);
                same(at(1)[0], &by_region.groups[0]);
                assert_eq!(at(0).len(), 1);
                same(at(0)[0], &whole.groups[0]);
            }
        }
    }

    #[test]
    fn with_every_group_big_enough_the_edges_are_those_without_levels() {
        // min 1: every group keeps its own edges, the same values (bit for bit) as a run
        // without min_group_customers, fixed thresholds included.
        let groups = [
            (Some("a"), Some("x"), 17),
            (Some("a"), None, 9),
            (None, Some("y"), 1),
            (Some("c"), Some("z"), 40),
        ];
        let df = customers(&groups, 3)
            .sort(two(), SortMultipleOptions::default().with_nulls_last(true))
            .unwrap();
        let fixed = Method::Fixed(vec![1.0, 2.0, 5.0, 8.0]);
        for method in [Method::Rank, Method::Quantile, Method::RRfm, fixed] {
            let bins = 5;
            let t = super::edges(
                &df,
                &scoring(method.clone(), bins, Some(1)),
                &two(),
                1,
                None,
            )
            .unwrap();
            let own =
                crate::rfm::edges(&df, &scoring(method.clone(), bins, None), &two(), None).unwrap();
            assert_eq!(t.groups.len(), own.groups.len());
            for (a, b) in t.groups.iter().zip(&own.groups) {
                assert_eq!(a.level, Some(2));
                assert_eq!(
                    (&a.key, &a.recency, &a.frequency, &a.monetary),
                    (&b.key, &b.recency, &b.frequency, &b.monetary),
                    "{method:?}"
                );
            }
        }
    }

    #[test]
    fn quantiles_from_value_counts_are_polars_quantiles() {
        let df = customers(&[(Some("a"), Some("x"), 91)], 5);
        for bins in 2..=10 {
            for column in [RECENCY_DAYS, MONETARY] {
                let counted = df
                    .clone()
                    .lazy()
                    .group_by([col(column).cast(DataType::Float64).alias(V)])
                    .agg([len().cast(DataType::UInt64).alias(N)])
                    .sort([V], Default::default())
                    .collect()
                    .unwrap();
                let values: Vec<f64> = counted
                    .column(V)
                    .unwrap()
                    .f64()
                    .unwrap()
                    .into_no_null_iter()
                    .collect();
                let counts: Vec<u64> = counted
                    .column(N)
                    .unwrap()
                    .u64()
                    .unwrap()
                    .into_no_null_iter()
                    .collect();
                let ours = quantile_edges(&values, &counts, bins);
                let theirs: Vec<f64> = (1..bins)
                    .map(|i| {
                        df.clone()
                            .lazy()
                            .select([col(column).cast(DataType::Float64).quantile(
                                lit(f64::from(i) / f64::from(bins)),
                                QuantileMethod::Linear,
                            )])
                            .collect()
                            .unwrap()
                            .column(column)
                            .unwrap()
                            .f64()
                            .unwrap()
                            .get(0)
                            .unwrap()
                    })
                    .collect();
                assert_eq!(ours, theirs, "{column} bins {bins}");
            }
        }
    }

    #[test]
    fn a_file_s_partitions_decide_the_level_of_new_data() {
        // Frozen edges: a group the file has scores with its own; a new store of a region the
        // file has, with the region's; a store of a new region, with the whole input's.
        let made = customers(
            &[
                (Some("a"), Some("x"), 6),
                (Some("a"), Some("y"), 1),
                (Some("b"), Some("z"), 1),
            ],
            1,
        );
        let t = super::edges(&made, &scoring(Method::Rank, 2, Some(5)), &two(), 5, None).unwrap();
        let later = customers(
            &[
                (Some("a"), Some("x"), 1),
                (Some("a"), Some("new"), 3),
                (Some("c"), Some("q"), 50),
            ],
            2,
        );
        let by = resolve(&later, &t, &two()).unwrap();
        let levels: Vec<u32> = by.edges.groups.iter().map(|g| g.level.unwrap()).collect();
        assert_eq!(levels, [1, 2, 0]);
    }
}
