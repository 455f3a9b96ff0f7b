//! The aggregation query of one pass: per-line conditions and minor units, the line
//! counters of the run summary, and the fold of lines into one row per (group...,
//! customer_id) by the strategy [`super::Fold`] chose.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use polars::prelude::*;

use crate::columns::*;
use crate::input::not_minor_units;
use crate::settings::{Analysis, Frequency, Returns};

use super::adjacent::{fold_adjacent, KEPT_MINOR, PURCHASE_DATE};
use super::direct::{fold_direct, Direct};
use super::narrow::Narrow;
use super::order_bitmap::{fold_orders, OrderBitmap, PURCHASE_ORDERS};
use super::{Aggregation, Partition, Strategy, Window};

/// How a pass sums minor units without ever wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sums {
    /// In 64 bits, while the absolute minor units of the pass's lines total at most
    /// `i64::MAX`: no sum of them (an order's, a customer's, a segment's) can then wrap. A
    /// line that would take the total past it stops the query ([`SUMS_BEYOND_64_BITS`]).
    Checked,
    /// Each line's minor units split into a high part, `floor(minor / 2^32)`, and a low part
    /// in 0..2^32, summed apart in 64 bits and joined in 128 bits: exact for any line whose
    /// minor units fit in 64 bits, over fewer than 2^31 lines per customer. Plain group-bys,
    /// without the folds of the checked sums.
    Split,
}

/// The counters of the lines as read, before any date is looked at: lines, lines without a
/// customer, without a date, without an amount, and amounts that are not finite or whose
/// minor units pass 64 bits (a run and a state's fold count them alike).
pub(super) fn read_counters(monetary_decimals: u32) -> [Expr; 5] {
    let (date, amount) = (|| col(ORDER_DATE), || col(AMOUNT));
    let known = || col(CUSTOMER_ID).is_not_null();
    let count = |e: Expr| e.cast(DataType::UInt64).sum();
    [
        len().cast(DataType::UInt64).alias(N_LINES),
        count(known().not()).alias(N_NULL_CUSTOMER),
        count(known().and(date().is_null())).alias(N_NULL_DATE),
        count(known().and(date().is_not_null()).and(amount().is_null())).alias(N_NULL_AMOUNT),
        count(
            amount()
                .is_not_null()
                .and(not_minor_units(amount(), monetary_decimals)),
        )
        .alias(N_BAD_AMOUNT),
    ]
}

/// What the query error says when the checked sums stop it.
const SUMS_BEYOND_64_BITS: &str = "the amounts' minor units could sum past 64 bits";

/// With [`Sums::Split`], per line: the minor units' high part ([`KEPT_MINOR`] holds the low
/// part); per customer, its sum beside [`SUM_MINOR`], the sum of the low parts.
pub(super) const KEPT_MINOR_HIGH: &str = "__kept_minor_high";
pub(super) const SUM_MINOR_HIGH: &str = "__sum_minor_high";

/// Fold `lines` (columns: group_by..., customer_id, order_date: Date, amount: Float64 and,
/// when mapped, order_id) into per-customer rows and the run's line counters.
///
/// The plan (docs/performance.md): the line counters are global
/// sums, so the per-customer group-by only sees the lines it uses and only carries the four
/// reductions the metrics need; every condition is computed per line first, so that the
/// group-by is made of plain reductions the streaming engine runs natively. With
/// `frequency: orders`, lines fold into orders first (as `fold` says) and orders into
/// customers, or ([`Strategy::InPlace`]) orders are counted in the fold and the returned
/// order bitmap says whether the query stopped because they could not be.
pub(super) fn aggregate(
    lines: LazyFrame,
    analysis: &Analysis,
    window: Window,
    partition: Partition,
    fold: Strategy,
    narrow: &Narrow,
    sums: Sums,
) -> Aggregation {
    let date = || col(ORDER_DATE);
    let amount = || col(AMOUNT);
    let known = || col(CUSTOMER_ID).is_not_null();
    let dated = || date().is_not_null().and(amount().is_not_null());
    let (in_time, in_window) = match window.as_of {
        None => (lit(true), lit(true)),
        Some(as_of) => {
            let day = || date().cast(DataType::Int32);
            let in_window = match window.window_days {
                None => lit(true),
                // as_of - date < W  <=>  date > as_of - W
                Some(w) => day().gt(lit(i64::from(as_of) - i64::from(w))),
            };
            (day().lt_eq(lit(as_of)), in_window)
        }
    };
    let observed = || dated().and(in_time.clone()).and(in_window.clone());
    let is_return = || amount().lt(lit(0.0));
    let excluded = analysis.returns == Returns::Exclude;
    let count = |e: Expr| e.cast(DataType::UInt64).sum();
    // One scan feeds both queries.
    let lines = lines.cache();
    let mut counters = read_counters(analysis.monetary_decimals).to_vec();
    counters.extend([
        count(known().and(dated()).and(in_time.clone().not())).alias(N_AFTER_AS_OF),
        count(
            known()
                .and(dated())
                .and(in_time.clone())
                .and(in_window.clone().not()),
        )
        .alias(N_OUTSIDE_WINDOW),
        count(known().and(observed()).and(is_return()).and(lit(excluded)))
            .alias(N_RETURNS_EXCLUDED),
        count(known().and(observed()).and(is_return().not())).alias(N_PURCHASES),
        count(known().and(observed()).and(is_return()).and(lit(!excluded))).alias(N_RETURNS),
        when(known().and(dated()))
            .then(date())
            .otherwise(lit(NULL))
            .max()
            .alias(MAX_LINE_DATE),
    ]);
    let totals = lines.clone().select(counters);

    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let only = |cond: Expr, value: Expr| when(cond).then(value).otherwise(lit(NULL));
    const PURCHASE_KEY: &str = "__purchase_key";
    let beyond = Arc::new(AtomicBool::new(false));
    let minor = match sums {
        Sums::Checked => checked_minor_units(amount(), scale, beyond.clone()),
        Sums::Split => minor_units(amount(), scale),
    };
    let mut helpers = vec![
        if excluded {
            only(is_return().not(), minor)
        } else {
            minor
        }
        .alias(KEPT_MINOR),
        only(is_return().not(), date()).alias(PURCHASE_DATE),
    ];
    let fold = match sums {
        // The exact fold for any input where the order ids cannot be counted in place (a
        // caller keeps the strategy usable; this keeps the query exact whatever it passes).
        Sums::Checked if fold == Strategy::InPlace && !Strategy::in_place_runs(narrow) => {
            Strategy::ByCustomerOrder
        }
        Sums::Checked
            if fold == Strategy::Direct
                && (partition.of > 1 || !Strategy::direct_runs(analysis, narrow)) =>
        {
            Strategy::ByCustomerOrder
        }
        Sums::Checked => fold,
        Sums::Split => Strategy::ByCustomerOrder,
    };
    let mut bitmap = None;
    let outside = Arc::new(AtomicBool::new(false));
    if analysis.frequency == Frequency::Orders && fold == Strategy::ByCustomerOrder {
        helpers.push(only(is_return().not(), col(ORDER_ID)).alias(PURCHASE_KEY));
    }
    // Distinct non-null values: n_unique counts null as a value of its own.
    let distinct = |c: &str| {
        col(c).n_unique().cast(DataType::Int64) - len().gt(col(c).count()).cast(DataType::Int64)
    };
    let mut keys: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    keys.push(col(CUSTOMER_ID));
    let mine = if partition.of > 1 {
        partition_of(col(CUSTOMER_ID), partition.of).eq(lit(partition.index))
    } else {
        lit(true)
    };
    let lines = narrow
        .apply(lines.filter(known().and(observed()).and(mine)), &outside)
        .with_columns(helpers);
    if sums == Sums::Split {
        let customers = split_sums(lines, keys, analysis.frequency, PURCHASE_KEY);
        return Aggregation {
            customers: narrow.restore(customers),
            totals,
            bitmap,
            direct: None,
            outside,
            beyond,
        };
    }
    if fold == Strategy::Direct {
        let customer_span = narrow.customer_span().expect("checked above");
        let order_span = match analysis.frequency {
            Frequency::Orders => narrow.order_span(),
            _ => None,
        };
        let slots = Arc::new(Direct::new(
            customer_span,
            order_span,
            narrow.group().cloned(),
            outside.clone(),
        ));
        return Aggregation {
            customers: narrow.restore(fold_direct(lines, slots.clone())),
            totals,
            bitmap,
            direct: Some(slots),
            outside,
            beyond,
        };
    }
    // Lines -> customers in one group-by, `frequency` being one of its reductions.
    let by_customer = |lines: LazyFrame, frequency: Expr| {
        lines.group_by(keys.clone()).agg([
            col(KEPT_MINOR).sum().alias(SUM_MINOR),
            col(PURCHASE_DATE).min().alias(FIRST_ORDER_DATE),
            col(PURCHASE_DATE).max().alias(LAST_ORDER_DATE),
            frequency.alias(FREQUENCY),
        ])
    };
    let customers = match analysis.frequency {
        Frequency::Lines => by_customer(lines, col(PURCHASE_DATE).count().cast(DataType::Int64)),
        Frequency::Days => by_customer(lines, distinct(PURCHASE_DATE)),
        Frequency::Orders => {
            // Lines -> orders -> customers: two plain group-bys. The first folds the lines into
            // one row per order; the second counts the orders with a purchase. polars would
            // otherwise lower the distinct count to a (customer, order) group-by beside the
            // customer group-by, and join the two.
            // Lines fold run by run first (adjacent.rs): the rows carry the sum and the first and
            // last purchase dates of their lines.
            let per_order = [
                col(KEPT_MINOR).sum(),
                col(FIRST_ORDER_DATE).min(),
                col(LAST_ORDER_DATE).max(),
            ];
            let per_customer = |purchase_orders: Expr| {
                vec![
                    col(KEPT_MINOR).sum().alias(SUM_MINOR),
                    col(FIRST_ORDER_DATE).min(),
                    col(LAST_ORDER_DATE).max(),
                    purchase_orders.cast(DataType::Int64).alias(FREQUENCY),
                ]
            };
            match fold {
                Strategy::ByCustomerOrder => {
                    // Each customer's purchase lines fold into one row per order; its return
                    // lines, whose key is null, into one row that is not counted.
                    let mut order_keys = keys.clone();
                    order_keys.push(col(PURCHASE_KEY));
                    let mut run_keys: Vec<PlSmallStr> =
                        analysis.group_by.iter().map(PlSmallStr::from).collect();
                    run_keys.extend([CUSTOMER_ID, PURCHASE_KEY].map(PlSmallStr::from));
                    fold_adjacent(lines, run_keys)
                        .group_by(order_keys)
                        .agg(per_order)
                        .group_by(keys)
                        .agg(per_customer(col(PURCHASE_KEY).count()))
                }
                Strategy::ByOrderId => by_order_id(lines, per_order, per_customer, analysis),
                Strategy::Direct => unreachable!("the direct fold returned above"),
                Strategy::InPlace => {
                    let counts = Arc::new(match narrow.order_span() {
                        Some(span) => OrderBitmap::new(span),
                        None => OrderBitmap::rising(),
                    });
                    bitmap = Some(counts.clone());
                    let mut run_keys: Vec<PlSmallStr> =
                        analysis.group_by.iter().map(PlSmallStr::from).collect();
                    run_keys.push(CUSTOMER_ID.into());
                    fold_orders(lines, counts, run_keys)
                        .group_by(keys)
                        .agg(per_customer(col(PURCHASE_ORDERS).sum()))
                }
            }
        }
    };
    Aggregation {
        customers: narrow.restore(customers),
        totals,
        bitmap,
        direct: None,
        outside,
        beyond,
    }
}

/// [`Sums::Split`]: lines (with `frequency: orders`, lines -> (keys..., order) -> customers)
/// in plain group-bys, each carrying the sums of the low parts ([`KEPT_MINOR`]) and of the
/// high parts ([`KEPT_MINOR_HIGH`]) of the minor units.
fn split_sums(
    lines: LazyFrame,
    keys: Vec<Expr>,
    frequency: Frequency,
    purchase_key: &str,
) -> LazyFrame {
    let two_32 = || lit(1i64 << 32);
    let lines = lines.with_columns([
        col(KEPT_MINOR).floor_div(two_32()).alias(KEPT_MINOR_HIGH),
        (col(KEPT_MINOR) - col(KEPT_MINOR).floor_div(two_32()) * two_32()).alias(KEPT_MINOR),
    ]);
    let sums = || {
        [
            col(KEPT_MINOR).sum().alias(SUM_MINOR),
            col(KEPT_MINOR_HIGH).sum().alias(SUM_MINOR_HIGH),
        ]
    };
    let customer_row = |first: &str, last: &str, frequency: Expr| {
        let mut row = sums().to_vec();
        row.extend([
            col(first).min().alias(FIRST_ORDER_DATE),
            col(last).max().alias(LAST_ORDER_DATE),
            frequency.cast(DataType::Int64).alias(FREQUENCY),
        ]);
        row
    };
    let distinct = |c: &str| {
        col(c).n_unique().cast(DataType::Int64) - len().gt(col(c).count()).cast(DataType::Int64)
    };
    match frequency {
        Frequency::Lines => lines.group_by(keys).agg(customer_row(
            PURCHASE_DATE,
            PURCHASE_DATE,
            col(PURCHASE_DATE).count(),
        )),
        Frequency::Days => lines.group_by(keys).agg(customer_row(
            PURCHASE_DATE,
            PURCHASE_DATE,
            distinct(PURCHASE_DATE),
        )),
        Frequency::Orders => {
            let mut order_keys = keys.clone();
            order_keys.push(col(purchase_key));
            let mut order_row = sums().to_vec();
            order_row.extend([
                col(PURCHASE_DATE).min().alias(FIRST_ORDER_DATE),
                col(PURCHASE_DATE).max().alias(LAST_ORDER_DATE),
            ]);
            let sum_again = |c: &str| col(c).sum().alias(c);
            lines
                .group_by(order_keys)
                .agg(order_row)
                .group_by(keys)
                .agg([
                    sum_again(SUM_MINOR),
                    sum_again(SUM_MINOR_HIGH),
                    col(FIRST_ORDER_DATE).min(),
                    col(LAST_ORDER_DATE).max(),
                    col(purchase_key)
                        .count()
                        .cast(DataType::Int64)
                        .alias(FREQUENCY),
                ])
        }
    }
}

/// The exact sum of the minor units of each customer row, rounded once to the nearest
/// double, as [`SUM_MINOR`] (Float64): from the 64-bit sum of [`Sums::Checked`], or from the
/// two parts of [`Sums::Split`] joined in 128 bits.
pub(super) fn exact_sums(customers: DataFrame, sums: Sums) -> PolarsResult<DataFrame> {
    let low = customers
        .column(SUM_MINOR)?
        .as_materialized_series()
        .clone();
    let joined: Float64Chunked = match sums {
        Sums::Checked => low.cast(&DataType::Float64)?.f64()?.clone(),
        Sums::Split => {
            let high = customers
                .column(SUM_MINOR_HIGH)?
                .as_materialized_series()
                .clone();
            let (low, high) = (low.i64()?, high.i64()?);
            low.iter()
                .zip(high.iter())
                .map(|(l, h)| match (l, h) {
                    (Some(l), Some(h)) => Some(((i128::from(h) << 32) + i128::from(l)) as f64),
                    _ => None,
                })
                .collect()
        }
    };
    let mut customers = customers;
    if sums == Sums::Split {
        customers = customers.drop(SUM_MINOR_HIGH)?;
    }
    customers.with_column(joined.with_name(SUM_MINOR.into()).into_column())?;
    Ok(customers)
}

/// [`minor_units`] for [`Sums::Checked`]: the absolute minor units of the lines are added
/// up batch by batch; a batch that takes the total past `i64::MAX` sets `beyond` and stops
/// the query. An amount that is not finite or whose minor units do not fit in 64 bits gives
/// null (the line counters count it as a bad amount, and the run stops on it).
fn checked_minor_units(amount: Expr, scale: f64, beyond: Arc<AtomicBool>) -> Expr {
    let total = Arc::new(AtomicU64::new(0));
    amount.map(
        move |c| {
            let mut batch: u64 = 0;
            let minor: Int64Chunked = c
                .f64()?
                .iter()
                .map(|v| {
                    // Not finite or 2^63 or more: a bad amount, counted (the run stops on it).
                    let x = (v? * scale).round();
                    (x.abs() < MINOR_UNITS_LIMIT).then(|| {
                        let x = x as i64;
                        batch = batch.saturating_add(x.unsigned_abs());
                        x
                    })
                })
                .collect();
            let before = total
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                    Some(t.saturating_add(batch))
                })
                .unwrap_or(u64::MAX);
            if before.saturating_add(batch) > i64::MAX as u64 {
                beyond.store(true, Ordering::Relaxed);
                polars_bail!(ComputeError: "{SUMS_BEYOND_64_BITS}");
            }
            Ok(minor.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
    )
}

/// Lines -> orders by order_id alone -> customers. Each order row carries, per key column,
/// its min under the column's own name and its max (and, for group columns, its null count):
/// the order belongs to one (group..., customer) exactly when they agree, and the customers
/// row reports in [`ORDER_SHARED`] whether all of its orders did. A purchase order is one with
/// a purchase line and a non-null id (lines without an order id fold into the null order).
fn by_order_id(
    lines: LazyFrame,
    per_order: [Expr; 3],
    per_customer: impl Fn(Expr) -> Vec<Expr>,
    analysis: &Analysis,
) -> LazyFrame {
    const ORDER_LINES: &str = "__order_lines";
    let most = |k: &str| format!("__max_{k}");
    let nulls = |k: &str| format!("__nulls_{k}");
    let mut names: Vec<&str> = analysis.group_by.iter().map(String::as_str).collect();
    names.push(CUSTOMER_ID);
    let mut order_row: Vec<Expr> = per_order.into();
    if !analysis.group_by.is_empty() {
        order_row.push(len().alias(ORDER_LINES));
    }
    let mut shared = lit(false);
    for &k in &names {
        order_row.push(col(k).min().alias(k));
        order_row.push(col(k).max().alias(most(k)));
        shared = shared.or(col(k).neq_missing(col(most(k))));
        if k != CUSTOMER_ID {
            // Customers are never null here; a group value may be, beside non-null ones.
            order_row.push(col(k).null_count().alias(nulls(k)));
            let n = || col(nulls(k));
            shared = shared.or(n().gt(lit(0)).and(n().lt(col(ORDER_LINES))));
        }
    }
    let purchase_order = when(col(ORDER_ID).is_not_null())
        .then(col(FIRST_ORDER_DATE))
        .otherwise(lit(NULL))
        .count();
    let mut customer_row = per_customer(purchase_order);
    customer_row.push(shared.max().alias(ORDER_SHARED));
    let mut run_keys = vec![PlSmallStr::from(ORDER_ID)];
    run_keys.extend(names.iter().map(|&k| PlSmallStr::from(k)));
    fold_adjacent(lines, run_keys)
        .group_by([col(ORDER_ID)])
        .agg(order_row)
        .group_by(names.into_iter().map(col).collect::<Vec<_>>())
        .agg(customer_row)
}

/// The hash partition (0..of) of each customer id: integers by a multiplicative hash,
/// everything else by FNV-1a of its text. Nulls go to partition 0.
fn partition_of(id: Expr, of: u32) -> Expr {
    id.map(
        move |c| {
            let of = u64::from(of);
            let spread = move |h: u64| ((h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % of) as u32;
            let parts: UInt32Chunked = if c.dtype().is_integer() {
                let ints = c.cast(&DataType::Int64)?;
                ints.i64()?
                    .apply_nonnull_values_generic(DataType::UInt32, |v| spread(v as u64))
            } else {
                let text = c.cast(&DataType::String)?;
                text.str()?
                    .apply_nonnull_values_generic(DataType::UInt32, |s| {
                        spread(s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                        }))
                    })
            };
            Ok(parts
                .fill_null_with_values(0)?
                .with_name(c.name().clone())
                .into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::UInt32)),
    )
}

/// `round(amount * 10^d)`, half away from zero, on the float amount, as numpy, pandas, polars
/// and SQL engines compute it on a DOUBLE: 1.005 with d = 2 is 1.00499999999999989... * 100 =
/// 100.49999999999999, so 100 cents, the same in a reviewer's notebook or a warehouse.
pub fn minor_units(amount: Expr, scale: f64) -> Expr {
    (amount * lit(scale))
        .round(0, RoundMode::HalfAwayFromZero)
        .cast(DataType::Int64)
}
