//! The saved state's rollups (`run --state`): a batch of lines folds into one row per
//! (group..., customer_id, day, purchase order), and the rollups of every batch fold into the
//! same customer rows and line counters a pass over all their lines gives.
//!
//! A rollup row keeps what any window, any `as_of` and every frequency need: the day, the
//! purchase and return minor units and lines, and (with `frequency: orders`) the purchase
//! order id (null for return lines and for purchase lines without an id, as the exact fold of
//! a pass keys them). Rows of one key may come from several batches (an order whose lines
//! arrive on two nights): the customers' fold is the exact one of a pass, keyed by
//! (group..., customer, order), so such rows count once.

use polars::prelude::*;

use crate::columns::*;
use crate::settings::{Analysis, Frequency, Returns};

use super::plan::{exact_sums, minor_units, read_counters, Sums, SUM_MINOR_HIGH};
use super::Window;

/// Per rollup row in the window: the minor units that count toward monetary (Int64).
const KEPT: &str = "__kept";
/// With [`Sums::Split`]: the high part of [`KEPT`] (which then holds the low part).
const KEPT_HIGH: &str = "__kept_high";
/// Per rollup row: its day when it has a purchase line (Date; null otherwise).
const PURCHASE_DATE: &str = "__purchase_date";

/// The key columns of a rollup row, in order: group_by..., customer_id, day and, with
/// `frequency: orders`, order_id.
pub fn rollup_keys(analysis: &Analysis) -> Vec<String> {
    let mut keys = analysis.group_by.clone();
    keys.extend([CUSTOMER_ID, DAY].map(String::from));
    if analysis.frequency == Frequency::Orders {
        keys.push(ORDER_ID.to_string());
    }
    keys
}

/// The order rollup rows are stored in: by day, then purchase order, then group and customer.
/// Days and (usually rising) order ids then differ little from row to row, which compresses
/// best of the orders tried.
pub fn storage_order(analysis: &Analysis) -> Vec<String> {
    let mut order = vec![DAY.to_string()];
    if analysis.frequency == Frequency::Orders {
        order.push(ORDER_ID.to_string());
    }
    order.extend(analysis.group_by.iter().cloned());
    order.push(CUSTOMER_ID.to_string());
    order
}

/// The rollup's value columns, after the keys.
pub const ROLLUP_VALUES: [&str; 4] = [PURCHASE_MINOR, RETURN_MINOR, PURCHASE_LINES, RETURN_LINES];

/// A batch of lines folded, planned to run over one scan.
pub struct BatchRollup {
    /// One row per rollup key of the batch's valid lines.
    pub rows: LazyFrame,
    /// One row: the line counters of the batch (`__n_lines`, the nulls, bad amounts, valid
    /// lines), its first and last valid dates, and the sum of its absolute minor units.
    pub totals: LazyFrame,
}

/// Fold `lines` (the canonical line columns) into rollup rows and the batch's counters. A
/// line is kept when it has a customer, a date and an amount, whatever its date: the window
/// and `as_of` apply when the state is scored.
pub fn roll_up(lines: LazyFrame, analysis: &Analysis) -> BatchRollup {
    let amount = || col(AMOUNT);
    let date = || col(ORDER_DATE);
    let known = || col(CUSTOMER_ID).is_not_null();
    let valid = || {
        known()
            .and(date().is_not_null())
            .and(amount().is_not_null())
    };
    let count = |e: Expr| e.cast(DataType::UInt64).sum();
    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let lines = lines.cache();
    let mut counters = read_counters(analysis.monetary_decimals).to_vec();
    counters.extend([
        count(valid()).alias(N_VALID),
        count(valid().and(amount().gt_eq(lit(0.0)))).alias(N_PURCHASES),
        count(valid().and(amount().lt(lit(0.0)))).alias(N_RETURNS),
        when(valid())
            .then(date())
            .otherwise(lit(NULL))
            .min()
            .alias(MIN_LINE_DATE),
        when(valid())
            .then(date())
            .otherwise(lit(NULL))
            .max()
            .alias(MAX_LINE_DATE),
        when(valid())
            .then(
                (amount() * lit(scale))
                    .round(0, RoundMode::HalfAwayFromZero)
                    .abs(),
            )
            .otherwise(lit(0.0))
            .sum()
            .alias(ABS_MINOR),
    ]);
    let totals = lines.clone().select(counters);
    let is_return = || amount().lt(lit(0.0));
    let minor = || minor_units(amount(), scale);
    let zero = || lit(0i64);
    let mut helpers = vec![
        date().alias(DAY),
        when(is_return())
            .then(zero())
            .otherwise(minor())
            .alias(PURCHASE_MINOR),
        when(is_return())
            .then(minor())
            .otherwise(zero())
            .alias(RETURN_MINOR),
        is_return()
            .not()
            .cast(DataType::UInt32)
            .alias(PURCHASE_LINES),
        is_return().cast(DataType::UInt32).alias(RETURN_LINES),
    ];
    if analysis.frequency == Frequency::Orders {
        helpers.push(
            when(is_return())
                .then(lit(NULL))
                .otherwise(col(ORDER_ID))
                .alias(ORDER_ID),
        );
    }
    let keys: Vec<Expr> = rollup_keys(analysis)
        .iter()
        .map(|k| col(k.as_str()))
        .collect();
    let rows = lines
        .filter(valid())
        .with_columns(helpers)
        .group_by(keys)
        .agg(ROLLUP_VALUES.map(|v| col(v).sum()))
        .sort(
            storage_order(analysis),
            SortMultipleOptions::default().with_nulls_last(true),
        );
    BatchRollup { rows, totals }
}

/// Rollup rows of several batches merged into one row per key (the state's compaction): the
/// same rows, fewer of them. Sums stay in 64 bits where the state's absolute minor units do.
pub fn merge(rows: LazyFrame, analysis: &Analysis) -> LazyFrame {
    let keys: Vec<Expr> = rollup_keys(analysis)
        .iter()
        .map(|k| col(k.as_str()))
        .collect();
    rows.group_by(keys)
        .agg(ROLLUP_VALUES.map(|v| col(v).sum()))
        .sort(
            rollup_keys(analysis),
            SortMultipleOptions::default().with_nulls_last(true),
        )
}

/// The state's rollups folded, as a pass over all their lines would be: the customers (one
/// row per (group..., customer_id) with a line in the window: `__sum_minor`, first and last
/// purchase dates, `frequency`) and one row of the counters a pass derives from dates
/// (after as_of, outside the window, returns excluded, purchases, returns, the latest date).
/// `window.as_of` must be set. With [`Sums::Split`] the minor units are summed in two parts.
pub fn from_rollups(
    rows: LazyFrame,
    analysis: &Analysis,
    window: Window,
    sums: Sums,
) -> (LazyFrame, LazyFrame) {
    let day = || col(DAY);
    let as_of = window.as_of.map_or(i64::MAX, i64::from);
    let days = || day().cast(DataType::Int32);
    let in_time = || days().lt_eq(lit(as_of));
    let in_window = || match window.window_days {
        None => lit(true),
        Some(w) => days().gt(lit(as_of - i64::from(w))),
    };
    let observed = || in_time().and(in_window());
    let excluded = analysis.returns == Returns::Exclude;
    let lines =
        || col(PURCHASE_LINES).cast(DataType::UInt64) + col(RETURN_LINES).cast(DataType::UInt64);
    let sum_if = |cond: Expr, value: Expr| when(cond).then(value).otherwise(lit(0u64)).sum();
    let returns = || col(RETURN_LINES).cast(DataType::UInt64);
    let rows = rows.cache();
    let totals = rows.clone().select([
        sum_if(in_time().not(), lines()).alias(N_AFTER_AS_OF),
        sum_if(in_time().and(in_window().not()), lines()).alias(N_OUTSIDE_WINDOW),
        sum_if(observed().and(lit(excluded)), returns()).alias(N_RETURNS_EXCLUDED),
        sum_if(observed(), col(PURCHASE_LINES).cast(DataType::UInt64)).alias(N_PURCHASES),
        sum_if(observed().and(lit(!excluded)), returns()).alias(N_RETURNS),
        day().max().alias(MAX_LINE_DATE),
    ]);
    let kept = if excluded {
        col(PURCHASE_MINOR)
    } else {
        col(PURCHASE_MINOR) + col(RETURN_MINOR)
    };
    let purchase_date = when(col(PURCHASE_LINES).gt(lit(0u32)))
        .then(day())
        .otherwise(lit(NULL).cast(DataType::Date));
    let kept_rows = rows
        .filter(observed())
        .with_columns([kept.alias(KEPT), purchase_date.alias(PURCHASE_DATE)]);
    if sums == Sums::Split {
        let two_32 = || lit(1i64 << 32);
        let parts = kept_rows.with_columns([
            col(KEPT).floor_div(two_32()).alias(KEPT_HIGH),
            (col(KEPT) - col(KEPT).floor_div(two_32()) * two_32()).alias(KEPT),
        ]);
        return (split(parts, analysis), totals);
    }
    let mut keys: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    keys.push(col(CUSTOMER_ID));
    let distinct_days = col(PURCHASE_DATE).n_unique().cast(DataType::Int64)
        - len().gt(col(PURCHASE_DATE).count()).cast(DataType::Int64);
    let customer_row = |sum: Expr, first: Expr, last: Expr, frequency: Expr| {
        [
            sum.alias(SUM_MINOR),
            first.alias(FIRST_ORDER_DATE),
            last.alias(LAST_ORDER_DATE),
            frequency.cast(DataType::Int64).alias(FREQUENCY),
        ]
    };
    let customers = match analysis.frequency {
        Frequency::Lines => kept_rows.group_by(keys).agg(customer_row(
            col(KEPT).sum(),
            col(PURCHASE_DATE).min(),
            col(PURCHASE_DATE).max(),
            col(PURCHASE_LINES).sum(),
        )),
        Frequency::Days => kept_rows.group_by(keys).agg(customer_row(
            col(KEPT).sum(),
            col(PURCHASE_DATE).min(),
            col(PURCHASE_DATE).max(),
            distinct_days,
        )),
        Frequency::Orders => {
            let mut order_keys = keys.clone();
            order_keys.push(col(ORDER_ID));
            kept_rows
                .group_by(order_keys)
                .agg([
                    col(KEPT).sum(),
                    col(PURCHASE_DATE).min().alias(FIRST_ORDER_DATE),
                    col(PURCHASE_DATE).max().alias(LAST_ORDER_DATE),
                ])
                .group_by(keys)
                .agg(customer_row(
                    col(KEPT).sum(),
                    col(FIRST_ORDER_DATE).min(),
                    col(LAST_ORDER_DATE).max(),
                    col(ORDER_ID).count(),
                ))
        }
    };
    (customers, totals)
}

/// [`from_rollups`] with the kept minor units in two parts ([`KEPT`] low, [`KEPT_HIGH`]
/// high), summed apart ([`collect`] joins them).
fn split(rows: LazyFrame, analysis: &Analysis) -> LazyFrame {
    let mut keys: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    keys.push(col(CUSTOMER_ID));
    let sums = [
        col(KEPT).sum().alias(SUM_MINOR),
        col(KEPT_HIGH).sum().alias(SUM_MINOR_HIGH),
    ];
    match analysis.frequency {
        Frequency::Lines | Frequency::Days => {
            let frequency = if analysis.frequency == Frequency::Lines {
                col(PURCHASE_LINES).sum().cast(DataType::Int64)
            } else {
                col(PURCHASE_DATE).n_unique().cast(DataType::Int64)
                    - len().gt(col(PURCHASE_DATE).count()).cast(DataType::Int64)
            };
            let mut row = sums.to_vec();
            row.extend([
                col(PURCHASE_DATE).min().alias(FIRST_ORDER_DATE),
                col(PURCHASE_DATE).max().alias(LAST_ORDER_DATE),
                frequency.alias(FREQUENCY),
            ]);
            rows.group_by(keys).agg(row)
        }
        Frequency::Orders => {
            let mut order_keys = keys.clone();
            order_keys.push(col(ORDER_ID));
            let mut order_row = sums.to_vec();
            order_row.extend([
                col(PURCHASE_DATE).min().alias(FIRST_ORDER_DATE),
                col(PURCHASE_DATE).max().alias(LAST_ORDER_DATE),
            ]);
            let again = |c: &str| col(c).sum().alias(c);
            rows.group_by(order_keys)
                .agg(order_row)
                .group_by(keys)
                .agg([
                    again(SUM_MINOR),
                    again(SUM_MINOR_HIGH),
                    col(FIRST_ORDER_DATE).min(),
                    col(LAST_ORDER_DATE).max(),
                    col(ORDER_ID).count().cast(DataType::Int64).alias(FREQUENCY),
                ])
        }
    }
}

/// The customers of [`from_rollups`], collected with its totals on `engine` in one scan, with
/// `__sum_minor` exact as a pass gives it (Float64).
pub fn collect(
    customers: LazyFrame,
    totals: LazyFrame,
    sums: Sums,
    engine: Engine,
) -> PolarsResult<(DataFrame, DataFrame)> {
    let mut out = LazyFrame::collect_all_with_engine(
        vec![customers.logical_plan, totals.logical_plan],
        engine,
        OptFlags::default(),
    )?;
    let totals = out.pop().expect("the totals query ran");
    let customers = out.pop().expect("the customers query ran");
    Ok((exact_sums(customers, sums)?, totals))
}

/// The customers snapshot of rollup rows: the customers [`from_rollups`] gives for no window
/// and an `as_of` on or after the rows' last day (one row per (group..., customer_id) over
/// every row: `__sum_minor` as Int64, first and last purchase dates, `frequency`). `returns`
/// and `frequency` are what the state depends on, so the snapshot holds their values only.
pub fn snapshot_of(rows: LazyFrame, analysis: &Analysis) -> LazyFrame {
    let window = Window {
        as_of: None,
        window_days: None,
    };
    from_rollups(rows, analysis, window, Sums::Checked).0
}

/// A snapshot and a (small) snapshot of new rows merged into one: exact when no purchase day
/// (with `frequency: days`) and no purchase order (with `frequency: orders`) of a customer
/// is in both, which the caller checks. The earlier snapshot's customers are joined to the
/// new rows' (a hash table of the small side only), in the earlier snapshot's order, and the
/// new rows' customers that matched none are appended: no group-by and no hash table over the
/// whole snapshot.
pub fn merge_snapshots(earlier: LazyFrame, new: LazyFrame, analysis: &Analysis) -> LazyFrame {
    const MATCHED: &str = "__matched";
    let keys = customer_keys(analysis);
    let new = new.cache();
    let renamed = new.clone().select(
        keys.iter()
            .cloned()
            .chain(
                SNAPSHOT_VALUES
                    .map(|c| col(c).alias(format!("{c}{NEW}")))
                    .into_iter()
                    .chain([lit(true).alias(MATCHED)]),
            )
            .collect::<Vec<_>>(),
    );
    // The earlier customers keep their order (a state keeps its snapshot sorted).
    let joined = || JoinArgs {
        nulls_equal: true,
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let joined = earlier
        .join(renamed, keys.clone(), keys.clone(), joined())
        .cache();
    let matched = joined
        .clone()
        .filter(col(MATCHED).is_not_null())
        .select(keys.clone());
    let updated = joined.select(
        keys.iter()
            .cloned()
            .chain(merged_values())
            .collect::<Vec<_>>(),
    );
    let added = new.join(
        matched,
        keys.clone(),
        keys,
        JoinArgs {
            nulls_equal: true,
            ..JoinArgs::new(JoinType::Anti)
        },
    );
    concat([updated, added], UnionArgs::default()).expect("two snapshots of one schema concatenate")
}

/// The value columns of a snapshot, in order.
pub const SNAPSHOT_VALUES: [&str; 4] = [SUM_MINOR, FIRST_ORDER_DATE, LAST_ORDER_DATE, FREQUENCY];

/// The suffix of a later snapshot's value columns beside an earlier one's ([`merged_values`]).
pub const NEW: &str = "__new";

/// A customer's snapshot values from an earlier row's ([`SNAPSHOT_VALUES`]) and a later one's
/// (the same names with [`NEW`] after them), either null where that side has no row for the
/// customer: sums and frequencies added, the first purchase the earlier of the two, the last
/// the later. Exact under [`merge_snapshots`]' condition.
pub fn merged_values() -> [Expr; 4] {
    let new = |c: &str| col(format!("{c}{NEW}"));
    let added = |c: &str| (col(c).fill_null(lit(0i64)) + new(c).fill_null(lit(0i64))).alias(c);
    [
        added(SUM_MINOR),
        polars::lazy::dsl::min_horizontal([col(FIRST_ORDER_DATE), new(FIRST_ORDER_DATE)])
            .expect("two columns")
            .alias(FIRST_ORDER_DATE),
        polars::lazy::dsl::max_horizontal([col(LAST_ORDER_DATE), new(LAST_ORDER_DATE)])
            .expect("two columns")
            .alias(LAST_ORDER_DATE),
        added(FREQUENCY),
    ]
}

/// The customers of a snapshot ([`snapshot_of`]), collected on `engine` with `__sum_minor`
/// exact as a pass gives it (Float64).
pub fn read_snapshot(snapshot: LazyFrame, engine: Engine) -> PolarsResult<DataFrame> {
    snapshot_customers(snapshot.collect_with_engine(engine)?.unwrap_single())
}

/// The customers of a snapshot in memory ([`snapshot_of`], collected), with `__sum_minor`
/// exact as a pass gives it (Float64).
pub fn snapshot_customers(snapshot: DataFrame) -> PolarsResult<DataFrame> {
    exact_sums(snapshot, Sums::Checked)
}

fn customer_keys(analysis: &Analysis) -> Vec<Expr> {
    analysis
        .group_by
        .iter()
        .map(|g| col(g.as_str()))
        .chain([col(CUSTOMER_ID)])
        .collect()
}
