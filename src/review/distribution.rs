//! What the charts draw besides the KPIs: the R x F grid (customers and average monetary per
//! cell) and the histograms of recency, frequency and monetary.

use polars::prelude::*;

use super::frame;
use crate::columns::*;
use crate::error::{Error, Result};

/// The largest number of score levels drawn (the contract allows 2 to 10).
const MAX_LEVELS: i64 = 10;

/// One cell of the R x F grid.
#[derive(Debug, Clone, PartialEq)]
pub struct RfCell {
    /// Recency score.
    pub r: i64,
    /// Frequency score.
    pub f: i64,
    /// Customers in the cell.
    pub customers: u64,
    /// Their average monetary.
    pub avg_monetary: Option<f64>,
}

/// The R x F grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RfGrid {
    /// r runs from 1 to this (the highest r in the data, at most 10).
    pub r_levels: i64,
    /// f runs from 1 to this.
    pub f_levels: i64,
    /// The cells with customers.
    pub cells: Vec<RfCell>,
}

impl RfGrid {
    /// The cell at (r, f), if it has customers.
    pub fn cell(&self, r: i64, f: i64) -> Option<&RfCell> {
        self.cells.iter().find(|c| c.r == r && c.f == f)
    }
}

/// Customers and average monetary per (r, f).
pub fn rf_grid(customers: &LazyFrame) -> Result<RfGrid> {
    let table = customers
        .clone()
        .group_by([col(R), col(F)])
        .agg([
            len().alias(CUSTOMERS),
            col(MONETARY).mean().alias(AVG_MONETARY),
        ])
        .collect()
        .map_err(Error::engine("computing the R x F grid"))?;
    let r = frame::ints(&table, R)?;
    let f = frame::ints(&table, F)?;
    let n = frame::counts(&table, CUSTOMERS)?;
    let avg = frame::floats(&table, AVG_MONETARY)?;
    let level = |v: &[i64]| v.iter().copied().max().unwrap_or(1).clamp(1, MAX_LEVELS);
    let (r_levels, f_levels) = (level(&r), level(&f));
    let mut cells: Vec<RfCell> = (0..table.height())
        .map(|i| RfCell {
            r: r[i],
            f: f[i],
            customers: n[i],
            avg_monetary: avg[i],
        })
        .filter(|c| (1..=r_levels).contains(&c.r) && (1..=f_levels).contains(&c.f))
        .collect();
    cells.sort_by_key(|c| (c.r, c.f));
    Ok(RfGrid {
        r_levels,
        f_levels,
        cells,
    })
}

/// A metric to draw as a histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// The column.
    pub column: &'static str,
    /// Whole numbers only (days, purchases): bins are whole numbers wide.
    pub whole: bool,
    /// Values above this quantile are left out (a long tail would squeeze the rest).
    pub clip_quantile: Option<f64>,
}

/// The three histograms: recency (all of it), frequency and monetary (up to their 99th
/// percentile).
pub const METRICS: [Metric; 3] = [
    Metric {
        column: RECENCY_DAYS,
        whole: true,
        clip_quantile: None,
    },
    Metric {
        column: FREQUENCY,
        whole: true,
        clip_quantile: Some(0.99),
    },
    Metric {
        column: MONETARY,
        whole: false,
        clip_quantile: Some(0.99),
    },
];

/// One bar: customers with `start <= value < end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// Lower edge, inclusive.
    pub start: f64,
    /// Upper edge, exclusive.
    pub end: f64,
    /// Customers in it.
    pub customers: u64,
}

/// A metric's distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The metric.
    pub metric: Metric,
    /// Equal-width bins from the lowest value to the highest shown, empty ones included.
    pub bins: Vec<Bin>,
    /// With clipping: the highest value shown and how many customers are above it.
    pub clipped: Option<(f64, u64)>,
}

/// The target number of bars.
const BARS: f64 = 20.0;

/// Internal columns of the histogram's statistics.
const LOW: &str = "__low";
const HIGH: &str = "__high";
const CLIP: &str = "__clip";

/// A bin width near `raw` that reads well: 1, 2, 2.5 or 5 times a power of ten (whole
/// numbers: 1, 2 or 5 times, at least 1).
pub fn nice_width(raw: f64, whole: bool) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let base = 10f64.powf(raw.log10().floor());
    let steps: &[f64] = if whole {
        &[1.0, 2.0, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    };
    let width = steps
        .iter()
        .map(|s| s * base)
        .find(|w| *w >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * base);
    if whole {
        width.round().max(1.0)
    } else {
        width
    }
}

/// The distribution of `metric` over `customers`.
pub fn histogram(customers: &LazyFrame, metric: Metric) -> Result<Histogram> {
    let value = || col(metric.column).cast(DataType::Float64);
    let context = format!("computing the {} distribution", metric.column);
    let quantile = metric.clip_quantile.unwrap_or(1.0);
    let stats = customers
        .clone()
        .select([
            value().min().alias(LOW),
            value().max().alias(HIGH),
            value()
                .quantile(lit(quantile), QuantileMethod::Linear)
                .alias(CLIP),
            len().alias(CUSTOMERS),
        ])
        .collect()
        .map_err(Error::engine(context.as_str()))?;
    let get = |name: &str| frame::floats(&stats, name).map(|v| v.first().copied().flatten());
    let none = Histogram {
        metric,
        bins: Vec::new(),
        clipped: None,
    };
    let (Some(low), Some(max), Some(clip)) = (get(LOW)?, get(HIGH)?, get(CLIP)?) else {
        return Ok(none);
    };
    if !(max - low).is_finite() {
        // Values too far apart for equal-width bins (no run writes them): nothing to draw.
        return Ok(none);
    }
    let high = if metric.whole { clip.floor() } else { clip }.min(max);
    let width = nice_width((high - low) / BARS, metric.whole);
    let start = (low / width).floor() * width;
    let count = ((high - start) / width).floor() as i64 + 1;
    let table = customers
        .clone()
        .filter(value().lt_eq(lit(high)))
        .select([((value() - lit(start)) / lit(width))
            .floor()
            .clip(lit(0.0), lit((count - 1) as f64))
            .cast(DataType::Int64)
            .alias(BIN)])
        .group_by([col(BIN)])
        .agg([len().alias(CUSTOMERS)])
        .collect()
        .map_err(Error::engine(context.as_str()))?;
    let index = frame::ints(&table, BIN)?;
    let n = frame::counts(&table, CUSTOMERS)?;
    let bins: Vec<Bin> = (0..count)
        .map(|i| Bin {
            start: start + i as f64 * width,
            end: start + (i + 1) as f64 * width,
            customers: index
                .iter()
                .zip(&n)
                .filter(|(b, _)| **b == i)
                .map(|(_, c)| *c)
                .sum(),
        })
        .collect();
    let shown: u64 = bins.iter().map(|b| b.customers).sum();
    let total = frame::counts(&stats, CUSTOMERS)?[0];
    Ok(Histogram {
        metric,
        bins,
        clipped: (high < max).then_some((high, total - shown)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_read_well() {
        assert_eq!(nice_width(0.3, true), 1.0);
        assert_eq!(nice_width(3.0, true), 5.0);
        assert_eq!(nice_width(12.0, true), 20.0);
        assert_eq!(nice_width(2.2, false), 2.5);
        assert_eq!(nice_width(0.07, false), 0.1);
        assert_eq!(nice_width(0.0, false), 1.0);
    }

    #[test]
    fn recency_bins_count_every_customer_once() {
        let lf = df!(RECENCY_DAYS => [0i64, 5, 10, 19, 20, 39])
            .unwrap()
            .lazy();
        let h = histogram(&lf, METRICS[0]).unwrap();
        // (39 - 0) / 20 bars -> width 2; 0..40 in 20 bins.
        assert_eq!(h.bins.len(), 20);
        assert_eq!(h.bins[0].start, 0.0);
        assert_eq!(h.bins[0].end, 2.0);
        let counts: Vec<u64> = h.bins.iter().map(|b| b.customers).collect();
        let mut expected = vec![0u64; 20];
        for (bin, n) in [(0, 1), (2, 1), (5, 1), (9, 1), (10, 1), (19, 1)] {
            expected[bin] = n;
        }
        assert_eq!(counts, expected);
        assert_eq!(h.clipped, None);
    }

    #[test]
    fn the_tail_above_the_99th_percentile_is_counted_not_drawn() {
        // 100 customers with 1..=100 purchases: the 99th percentile is 99.01, so 99 is the
        // highest whole value drawn and one customer (100) is left out.
        let lf = df!(FREQUENCY => (1i64..=100).collect::<Vec<_>>())
            .unwrap()
            .lazy();
        let h = histogram(&lf, METRICS[1]).unwrap();
        assert_eq!(h.clipped, Some((99.0, 1)));
        let shown: u64 = h.bins.iter().map(|b| b.customers).sum();
        assert_eq!(shown, 99);
        // (99 - 1) / 20 = 4.9 -> width 5, starting at 0.
        assert_eq!((h.bins[0].start, h.bins[0].end), (0.0, 5.0));
        assert_eq!(h.bins[0].customers, 4);
    }
}
