//! Does the segmentation predict? (`rfmseg backtest`): the customers scored as of T, and what
//! they did in the H days after it, per segment and per rfm_score: customers, those who bought
//! again (a purchase line in the horizon), the repeat rate, the horizon's net revenue and the
//! revenue per customer; and over the rfm_score levels the rank correlation (Spearman) of the
//! score with the repeat rate and with the revenue per customer.
//!
//! Spearman's rho here: one observation per rfm_score level that has customers (unweighted:
//! a level of 3 customers counts as much as one of 300), ranks from 1 with ties given the
//! average of their ranks, then the Pearson correlation of the two rank lists; None with
//! fewer than 2 levels or when either list has a single value throughout.

use polars::prelude::*;
use serde::Serialize;

use super::frame;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::settings::{Returns, Settings};

/// The JSON document's format tag; the number changes when a field changes meaning or goes.
pub const FORMAT: &str = "rfmseg-backtest/1";

/// The numbers of one set of customers (all, a segment, an rfm_score level).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Customers scored as of T.
    pub customers: u64,
    /// Of them, those with at least one purchase line in the horizon.
    pub bought_again: u64,
    /// bought_again / customers (None without customers).
    pub repeat_rate: Option<f64>,
    /// Their net revenue in the horizon (kept lines' minor units / 10^d).
    pub revenue: f64,
    /// revenue / customers, not rounded (None without customers).
    pub revenue_per_customer: Option<f64>,
}

/// A segment's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentOutcome {
    /// The segment as of T.
    pub segment: String,
    /// Its numbers.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// An rfm_score level's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreOutcome {
    /// The rfm_score as of T.
    pub rfm_score: i64,
    /// Its numbers.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The horizon and the data it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// The config file.
    pub config: String,
    /// The scoring date T, YYYY-MM-DD.
    pub as_of: String,
    /// H.
    pub horizon_days: u32,
    /// The horizon's first day, T + 1.
    pub horizon_start: String,
    /// Its last day, T + H.
    pub horizon_end: String,
    /// The input's latest order date (the horizon ends on or before it).
    pub last_order_date: String,
}

/// The backtest document (terminal, JSON and HTML forms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// The horizon.
    #[serde(flatten)]
    pub span: Span,
    /// The group_by columns: customers are matched in the horizon by them and customer_id.
    pub group_columns: Vec<String>,
    /// `net` or `exclude`: whether returns lower the horizon's revenue.
    pub returns: &'static str,
    /// Money is shown with this many decimals.
    pub money_decimals: u32,
    /// Every customer scored as of T.
    #[serde(flatten)]
    pub overall: Outcome,
    /// Customers with a purchase line in the horizon who were not scored as of T.
    pub new_customers: u64,
    /// Their net revenue in the horizon.
    pub new_customers_revenue: f64,
    /// rfm_score levels with customers (the Spearman observations).
    pub rfm_score_levels: usize,
    /// Spearman's rho of rfm_score and repeat_rate over the levels.
    pub spearman_repeat_rate: Option<f64>,
    /// Spearman's rho of rfm_score and revenue_per_customer over the levels.
    pub spearman_revenue_per_customer: Option<f64>,
    /// Per segment, in rule order, the default last; segments with customers only.
    pub segments: Vec<SegmentOutcome>,
    /// Per rfm_score level with customers, ascending.
    pub rfm_scores: Vec<ScoreOutcome>,
}

const BOUGHT: &str = "__bought";
const MINOR_SUM: &str = "__minor";

/// The backtest of `rows` (the output rows scored as of T: keys, rfm_score, segment) against
/// `horizon` (per customer of the horizon: [`crate::pipeline::horizon`]'s columns `purchases`
/// and `minor`).
pub fn build(
    rows: &DataFrame,
    horizon: &DataFrame,
    purchases: &str,
    minor: &str,
    settings: &Settings,
    span: Span,
) -> Result<Backtest> {
    let fail = Error::engine("counting the horizon's customers");
    let group_by = &settings.analysis.group_by;
    let mut keys: Vec<String> = group_by.clone();
    keys.push(CUSTOMER_ID.to_string());
    let on = frame::cols(&keys);
    let scale = 10f64.powi(settings.analysis.monetary_decimals as i32);
    let horizon = horizon.clone().lazy();
    // Key types may differ (a text group column read from CSV as text both times): joined as
    // read, both from the same scan.
    let joined = rows
        .clone()
        .lazy()
        .select(
            on.iter()
                .cloned()
                .chain([col(RFM_SCORE), col(SEGMENT)])
                .collect::<Vec<_>>(),
        )
        .join(
            horizon.clone(),
            on.clone(),
            on.clone(),
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .with_columns([
            col(purchases)
                .fill_null(lit(0u64))
                .gt(lit(0u64))
                .alias(BOUGHT),
            col(minor).fill_null(lit(0i64)).alias(MINOR_SUM),
        ]);
    let aggs = || {
        [
            len().cast(DataType::UInt64).alias(CUSTOMERS),
            col(BOUGHT).cast(DataType::UInt64).sum().alias(BOUGHT),
            col(MINOR_SUM).sum().alias(MINOR_SUM),
        ]
    };
    let outcomes = |df: &DataFrame| -> Result<Vec<Outcome>> {
        let customers = frame::counts(df, CUSTOMERS)?;
        let bought = frame::counts(df, BOUGHT)?;
        let minor = frame::ints(df, MINOR_SUM)?;
        Ok((0..df.height())
            .map(|i| outcome(customers[i], bought[i], minor[i], scale))
            .collect())
    };
    let overall = joined.clone().select(aggs()).collect().map_err(fail)?;
    let overall = outcomes(&overall)?
        .pop()
        .unwrap_or_else(|| outcome(0, 0, 0, scale));
    let by_segment = joined
        .clone()
        .group_by([col(SEGMENT)])
        .agg(aggs())
        .collect()
        .map_err(Error::engine("counting per segment"))?;
    let names = frame::texts(&by_segment, SEGMENT)?;
    let mut segments: Vec<SegmentOutcome> = names
        .into_iter()
        .zip(outcomes(&by_segment)?)
        .map(|(name, outcome)| SegmentOutcome {
            segment: name.unwrap_or_default(),
            outcome,
        })
        .collect();
    let order: Vec<&str> = settings
        .segments
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .chain([settings.segments.default.as_str()])
        .collect();
    let place = |name: &str| order.iter().position(|n| *n == name).unwrap_or(order.len());
    segments.sort_by(|a, b| {
        place(&a.segment)
            .cmp(&place(&b.segment))
            .then_with(|| a.segment.cmp(&b.segment))
    });
    let by_score = joined
        .group_by([col(RFM_SCORE)])
        .agg(aggs())
        .sort([RFM_SCORE], SortMultipleOptions::default())
        .collect()
        .map_err(Error::engine("counting per rfm_score"))?;
    let rfm_scores: Vec<ScoreOutcome> = frame::ints(&by_score, RFM_SCORE)?
        .into_iter()
        .zip(outcomes(&by_score)?)
        .map(|(rfm_score, outcome)| ScoreOutcome { rfm_score, outcome })
        .collect();
    let scored_keys = rows.clone().lazy().select(on.clone());
    let new = horizon
        .filter(col(purchases).gt(lit(0u64)))
        .join(
            scored_keys,
            on.clone(),
            on,
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Anti)
            },
        )
        .select([
            len().cast(DataType::UInt64).alias(CUSTOMERS),
            col(minor).sum().alias(MINOR_SUM),
        ])
        .collect()
        .map_err(Error::engine("counting the new customers"))?;
    let new_customers = frame::counts(&new, CUSTOMERS)?
        .first()
        .copied()
        .unwrap_or(0);
    let new_minor = frame::ints(&new, MINOR_SUM)?.first().copied().unwrap_or(0);
    let levels: Vec<f64> = rfm_scores.iter().map(|s| s.rfm_score as f64).collect();
    let rates: Vec<f64> = rfm_scores
        .iter()
        .map(|s| s.outcome.repeat_rate.unwrap_or(0.0))
        .collect();
    let per_customer: Vec<f64> = rfm_scores
        .iter()
        .map(|s| s.outcome.revenue_per_customer.unwrap_or(0.0))
        .collect();
    Ok(Backtest {
        format: FORMAT,
        span,
        group_columns: group_by.clone(),
        returns: match settings.analysis.returns {
            Returns::Net => "net",
            Returns::Exclude => "exclude",
        },
        money_decimals: settings.analysis.monetary_decimals,
        overall,
        new_customers,
        new_customers_revenue: new_minor as f64 / scale,
        rfm_score_levels: rfm_scores.len(),
        spearman_repeat_rate: spearman(&levels, &rates),
        spearman_revenue_per_customer: spearman(&levels, &per_customer),
        segments,
        rfm_scores,
    })
}

fn outcome(customers: u64, bought_again: u64, minor: i64, scale: f64) -> Outcome {
    let revenue = minor as f64 / scale;
    let per = |x: f64| (customers > 0).then(|| x / customers as f64);
    Outcome {
        customers,
        bought_again,
        repeat_rate: per(bought_again as f64),
        revenue,
        revenue_per_customer: per(minor as f64).map(|m| m / scale),
    }
}

/// Ranks from 1, ties given the average of the ranks they span.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start + 1 ..= end: their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rho of `x` and `y`: the Pearson correlation of their average ranks; None with
/// fewer than 2 pairs or when either has one value throughout.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let n = x.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mean) * (b - mean);
        sxx += (a - mean) * (a - mean);
        syy += (b - mean) * (b - mean);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_average_rank() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0]),
            [2.0, 3.5, 3.5, 1.0]
        );
        assert_eq!(average_ranks(&[1.0, 1.0, 1.0]), [2.0, 2.0, 2.0]);
    }

    #[test]
    fn spearman_by_hand() {
        // Monotone: 1; reversed: -1; constant: undefined.
        assert_eq!(spearman(&[3.0, 4.0, 5.0], &[0.1, 0.5, 0.9]), Some(1.0));
        assert_eq!(spearman(&[3.0, 4.0, 5.0], &[9.0, 5.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[3.0, 4.0, 5.0], &[0.2, 0.2, 0.2]), None);
        assert_eq!(spearman(&[3.0], &[0.2]), None);
        // x ranks 1 2 3 4, y = 0.1 0.3 0.2 0.4 ranks 1 3 2 4: d^2 = 0+1+1+0 = 2,
        // rho = 1 - 6 * 2 / (4 * 15) = 0.8.
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[0.1, 0.3, 0.2, 0.4]).unwrap();
        assert!((rho - 0.8).abs() < 1e-12, "{rho}");
        // With a tie in y (0.2, 0.2 share rank 2.5): ranks 1 2.5 2.5 4 against 1 2 3 4;
        // Pearson of the ranks = 4.5 / sqrt(5 * 4.5).
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[0.1, 0.2, 0.2, 0.4]).unwrap();
        assert!((rho - 4.5 / (5.0f64 * 4.5).sqrt()).abs() < 1e-12, "{rho}");
    }
}
