//! Runs of consecutive lines with equal keys fold into one row, morsel by morsel, before the
//! hash group-by sees them.
//!
//! Order lines come in runs: an export lists the lines of an order together. polars'
//! streaming group-by keeps a small table of hot keys and sets every other line aside raw,
//! to be merged once the scan ends; with millions of orders nearly every line of an order
//! is set aside. Folding each run first hands it one row per order instead of three
//! (docs/performance.md). The fold is a pre-aggregation (sum, min, max), so the group-by after it
//! gives the same result whatever the line order is; lines that are not in runs only pay
//! for one pass over the keys. (With integer ids carried in 32 bits and no group_by, the
//! orders are counted in the fold itself and no group-by over orders runs: order_bitmap.rs.)

use polars::prelude::*;

use crate::columns::{FIRST_ORDER_DATE, LAST_ORDER_DATE};

/// Per line: the amount in minor units that counts toward monetary (Int64; null when it does
/// not count).
pub(super) const KEPT_MINOR: &str = "__kept_minor";
/// Per line: the date when the line is a purchase (Date; null for a return).
pub(super) const PURCHASE_DATE: &str = "__purchase_date";

/// `lines` (with `keys`, [`KEPT_MINOR`] and [`PURCHASE_DATE`]) -> one row per run of
/// consecutive lines with equal keys (null equal to null) within a morsel: the keys,
/// [`KEPT_MINOR`] summed (nulls as 0), and the run's first and last purchase dates as
/// [`FIRST_ORDER_DATE`] and [`LAST_ORDER_DATE`] (null when it has none).
pub(super) fn fold_adjacent(lines: LazyFrame, keys: Vec<PlSmallStr>) -> LazyFrame {
    let mut columns: Vec<Expr> = keys.iter().map(|k| col(k.clone())).collect();
    columns.extend([col(KEPT_MINOR), col(PURCHASE_DATE)]);
    let schema_keys = keys.clone();
    let schema = move |input: &Schema| -> PolarsResult<SchemaRef> {
        let mut out = Schema::with_capacity(schema_keys.len() + 3);
        for k in &schema_keys {
            out.insert(k.clone(), input.try_get(k)?.clone());
        }
        out.insert(KEPT_MINOR.into(), DataType::Int64);
        out.insert(FIRST_ORDER_DATE.into(), DataType::Date);
        out.insert(LAST_ORDER_DATE.into(), DataType::Date);
        Ok(Arc::new(out))
    };
    lines.select(columns).map(
        move |df| fold(&df, &keys),
        OptFlags::STREAMING,
        Some(Arc::new(schema)),
        Some("fold runs of lines with equal keys"),
    )
}

/// The fold of one frame.
fn fold(df: &DataFrame, keys: &[PlSmallStr]) -> PolarsResult<DataFrame> {
    let n = df.height();
    let starts = group_starts(df, keys)?;
    let runs = starts.len();
    let minor = df.column(KEPT_MINOR)?.as_materialized_series().rechunk();
    let dates = df.column(PURCHASE_DATE)?.as_materialized_series().rechunk();
    let mut sums = Vec::with_capacity(runs);
    let mut firsts = Vec::with_capacity(runs);
    let mut lasts = Vec::with_capacity(runs);
    if n > 0 {
        let minor = minor.i64()?.downcast_as_array();
        let dates = dates.date()?.physical().downcast_as_array();
        let (m, m_valid) = (minor.values().as_slice(), minor.validity());
        let (d, d_valid) = (dates.values().as_slice(), dates.validity());
        for (r, &start) in starts.iter().enumerate() {
            let run = start as usize..starts.get(r + 1).map_or(n, |&s| s as usize);
            sums.push(match m_valid {
                None => m[run.clone()].iter().fold(0i64, |s, v| s.wrapping_add(*v)),
                Some(valid) => run
                    .clone()
                    .filter(|&i| valid.get_bit(i))
                    .fold(0i64, |s, i| s.wrapping_add(m[i])),
            });
            let mut span: Option<(i32, i32)> = None;
            for i in run {
                if d_valid.is_none_or(|valid| valid.get_bit(i)) {
                    let v = d[i];
                    span = Some(span.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
                }
            }
            firsts.push(span.map(|(lo, _)| lo));
            lasts.push(span.map(|(_, hi)| hi));
        }
    }
    let index = IdxCa::from_vec(PlSmallStr::EMPTY, starts);
    let mut columns = Vec::with_capacity(keys.len() + 3);
    for k in keys {
        columns.push(df.column(k)?.take(&index)?);
    }
    let date = |name: &str, days: Vec<Option<i32>>| {
        Int32Chunked::from_iter_options(name.into(), days.into_iter())
            .into_date()
            .into_column()
    };
    columns.push(Int64Chunked::from_vec(KEPT_MINOR.into(), sums).into_column());
    columns.push(date(FIRST_ORDER_DATE, firsts));
    columns.push(date(LAST_ORDER_DATE, lasts));
    DataFrame::new(runs, columns)
}

/// Where each run starts: row 0, and every row whose keys differ from the row before.
pub fn group_starts(df: &DataFrame, keys: &[PlSmallStr]) -> PolarsResult<Vec<IdxSize>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let mut changed: Option<BooleanChunked> = None;
    for k in keys {
        let s = df.column(k)?.as_materialized_series();
        let differs = s.not_equal_missing(&s.shift(1))?;
        changed = Some(match changed {
            None => differs,
            Some(before) => &before | &differs,
        });
    }
    let mut starts = vec![0 as IdxSize];
    if let Some(changed) = changed {
        let changed = changed.rechunk();
        let bits = changed.downcast_as_array().values();
        starts.extend(
            bits.true_idx_iter()
                .filter(|&i| i > 0)
                .map(|i| i as IdxSize),
        );
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One folded row: order, customer, minor units, first and last purchase day.
    type Run = (Option<i64>, String, i64, Option<i32>, Option<i32>);

    /// The naive fold: walk the rows, start a run whenever a key differs from the row before.
    fn naive(
        order: &[Option<i64>],
        customer: &[&str],
        minor: &[Option<i64>],
        date: &[Option<i32>],
    ) -> Vec<Run> {
        let mut out: Vec<Run> = Vec::new();
        for i in 0..order.len() {
            let same = i > 0 && order[i] == order[i - 1] && customer[i] == customer[i - 1];
            if !same {
                out.push((order[i], customer[i].to_string(), 0, None, None));
            }
            let run = out.last_mut().unwrap();
            run.2 += minor[i].unwrap_or(0);
            if let Some(d) = date[i] {
                run.3 = Some(run.3.map_or(d, |lo| lo.min(d)));
                run.4 = Some(run.4.map_or(d, |hi| hi.max(d)));
            }
        }
        out
    }

    fn folded(
        order: &[Option<i64>],
        customer: &[&str],
        minor: &[Option<i64>],
        date: &[Option<i32>],
    ) -> DataFrame {
        let days = Int32Chunked::from_iter_options(PURCHASE_DATE.into(), date.iter().copied());
        let df = DataFrame::new(
            order.len(),
            vec![
                Column::new("order_id".into(), order),
                Column::new("customer_id".into(), customer),
                Column::new(KEPT_MINOR.into(), minor),
                days.into_date().into_column(),
            ],
        )
        .unwrap();
        fold(&df, &["order_id".into(), "customer_id".into()]).unwrap()
    }

    fn rows(df: &DataFrame) -> Vec<Run> {
        let order = df.column("order_id").unwrap().i64().unwrap().clone();
        let customer = df.column("customer_id").unwrap().str().unwrap().clone();
        let minor = df.column(KEPT_MINOR).unwrap().i64().unwrap().clone();
        let days = |name: &str| df.column(name).unwrap().date().unwrap().physical().clone();
        let (first, last) = (days(FIRST_ORDER_DATE), days(LAST_ORDER_DATE));
        (0..df.height())
            .map(|i| {
                (
                    order.get(i),
                    customer.get(i).unwrap().to_string(),
                    minor.get(i).unwrap(),
                    first.get(i),
                    last.get(i),
                )
            })
            .collect()
    }

    #[test]
    fn consecutive_lines_with_equal_keys_fold_into_one_row() {
        // Order 7 comes back after order 8, so it makes two runs; a customer change splits
        // order 9; the null order ids run together; a return has no purchase date.
        let order = [
            Some(7),
            Some(7),
            Some(8),
            Some(7),
            Some(9),
            Some(9),
            None,
            None,
        ];
        let customer = ["a", "a", "a", "a", "a", "b", "b", "b"];
        let minor = [
            Some(100),
            Some(-30),
            None,
            Some(5),
            Some(1),
            Some(2),
            Some(3),
            Some(4),
        ];
        let date = [
            Some(10),
            Some(12),
            None,
            Some(3),
            Some(4),
            Some(4),
            None,
            Some(1),
        ];
        let out = folded(&order, &customer, &minor, &date);
        let expected = vec![
            (Some(7), "a".to_string(), 70, Some(10), Some(12)),
            (Some(8), "a".to_string(), 0, None, None),
            (Some(7), "a".to_string(), 5, Some(3), Some(3)),
            (Some(9), "a".to_string(), 1, Some(4), Some(4)),
            (Some(9), "b".to_string(), 2, Some(4), Some(4)),
            (None, "b".to_string(), 7, Some(1), Some(1)),
        ];
        assert_eq!(rows(&out), expected);
        assert_eq!(rows(&out), naive(&order, &customer, &minor, &date));
    }

    #[test]
    fn an_empty_frame_folds_to_an_empty_frame_of_the_same_columns() {
        let out = folded(&[], &[], &[], &[]);
        assert_eq!(out.height(), 0);
        let names: Vec<&str> = out.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "order_id",
                "customer_id",
                KEPT_MINOR,
                FIRST_ORDER_DATE,
                LAST_ORDER_DATE
            ]
        );
    }

    #[test]
    fn the_fold_matches_the_naive_walk_on_random_runs() {
        // A small deterministic generator: runs of 1-4 lines, keys drawn from a few values
        // so that equal keys also meet again after other keys.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let (mut order, mut customer, mut minor, mut date) = (vec![], vec![], vec![], vec![]);
        while order.len() < 2_000 {
            let o = match next(10) {
                0 => None,
                v => Some(v as i64),
            };
            let c = ["x", "y", "z"][next(3) as usize];
            for _ in 0..1 + next(4) {
                order.push(o);
                customer.push(c);
                minor.push(if next(5) == 0 {
                    None
                } else {
                    Some(next(1000) as i64 - 100)
                });
                date.push(if next(4) == 0 {
                    None
                } else {
                    Some(next(50) as i32)
                });
            }
        }
        let out = folded(&order, &customer, &minor, &date);
        assert!(out.height() < order.len());
        assert_eq!(rows(&out), naive(&order, &customer, &minor, &date));
    }
}
