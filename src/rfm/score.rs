//! Scores r, f, m in 1..=bins within each partition (the group_by key):
//! - rank: `1 + floor(bins * worse / N)`, worse = customers with strictly lower goodness;
//! - quantile: edges at `i / bins` with linear interpolation, computed in floating point
//!   exactly as numpy/pandas 'linear' and SQL PERCENTILE_CONT do (position `(N-1) q`, then
//!   `lower + (upper - lower) * fraction`), so that the same data scores the same in a
//!   reviewer's notebook or a warehouse (exact fractions would differ where `(N-1) q`
//!   rounds below a whole number, e.g. 90 * 0.7 = 62.99999999999999);
//! - fixed: counts of thresholds passed.

use polars::prelude::*;

use crate::columns::*;
use crate::config::{Method, MetricScoring, Scoring};

/// Which metric a score is for: recency is better when smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Recency,
    Frequency,
    Monetary,
}

impl Metric {
    fn value(self) -> Expr {
        col(match self {
            Metric::Recency => RECENCY_DAYS,
            Metric::Frequency => FREQUENCY,
            Metric::Monetary => MONETARY,
        })
    }
}

/// Add `r`, `f`, `m` (Int32), `rfm_cell` and `rfm_score` to the customers, scored within
/// each `group_by` partition.
pub fn score(customers: LazyFrame, scoring: &Scoring, group_by: &[String]) -> LazyFrame {
    let wide = scoring.wide_cells();
    let digits = [R, F, M].map(|c| col(c).cast(DataType::String));
    let scored = match &scoring.frozen {
        Some(t) => super::thresholds::score_frozen(customers, t, group_by),
        None => customers.with_columns([
            metric_score(Metric::Recency, &scoring.recency, group_by).alias(R),
            metric_score(Metric::Frequency, &scoring.frequency, group_by).alias(F),
            metric_score(Metric::Monetary, &scoring.monetary, group_by).alias(M),
        ]),
    };
    scored.with_columns([
        concat_str(digits, if wide { "-" } else { "" }, false).alias(RFM_CELL),
        (col(R) + col(F) + col(M)).alias(RFM_SCORE),
    ])
}

fn within(e: Expr, group_by: &[String]) -> Expr {
    if group_by.is_empty() {
        e
    } else {
        e.over(group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>())
            .expect("partitioning by plain columns is valid")
    }
}

/// Customers in the partition with a strictly lower value of `e` (descending: higher).
fn strictly_below(e: Expr, descending: bool, group_by: &[String]) -> Expr {
    let rank = e.rank(
        RankOptions {
            method: RankMethod::Min,
            descending,
        },
        None,
    );
    within(rank, group_by).cast(DataType::Int64) - lit(1i64)
}

fn metric_score(metric: Metric, ms: &MetricScoring, group_by: &[String]) -> Expr {
    let bins = i64::from(ms.bins);
    let one = || lit(1i32);
    let count_true = |conds: Vec<Expr>| {
        conds
            .into_iter()
            .map(|c| c.cast(DataType::Int32))
            .reduce(|a, b| a + b)
            .expect("bins >= 2 gives at least one edge")
    };
    match &ms.method {
        Method::Rank => {
            // goodness: -recency_days, frequency, monetary; worse = strictly lower goodness.
            let worse = strictly_below(metric.value(), metric == Metric::Recency, group_by);
            let n = within(len(), group_by).cast(DataType::Int64);
            (lit(1i64) + (lit(bins) * worse).floor_div(n)).cast(DataType::Int32)
        }
        Method::Quantile => {
            let value = metric.value().cast(DataType::Float64);
            let passed = (1..bins)
                .map(|i| {
                    let q = i as f64 / bins as f64;
                    let edge = within(
                        value.clone().quantile(lit(q), QuantileMethod::Linear),
                        group_by,
                    );
                    value.clone().gt(edge)
                })
                .collect();
            let k = one() + count_true(passed);
            match metric {
                Metric::Recency => lit(bins as i32 + 1) - k,
                _ => k,
            }
        }
        Method::Fixed(thresholds) => match metric {
            Metric::Recency => {
                let passed = thresholds
                    .iter()
                    .map(|t| metric.value().cast(DataType::Float64).gt(lit(*t)))
                    .collect();
                lit(bins as i32) - count_true(passed)
            }
            _ => {
                let passed = thresholds
                    .iter()
                    .map(|t| metric.value().cast(DataType::Float64).gt_eq(lit(*t)))
                    .collect();
                one() + count_true(passed)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(method: Method, bins: u32) -> MetricScoring {
        MetricScoring { method, bins }
    }

    /// Score one metric of a tiny frame; returns the scores in row order.
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
        let out = df
            .lazy()
            .select([metric_score(metric, &ms, &group_by).alias("s")])
            .collect()
            .unwrap();
        let s = out.column("s").unwrap().i32().unwrap();
        assert_eq!(s.len(), n);
        s.into_no_null_iter().collect()
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
