//! Lines -> one row per (group..., customer_id): the metrics' raw material and the counters
//! that explain every line that was not used.

use polars::prelude::*;

use crate::columns::*;
use crate::config::{Analysis, Frequency, Monetary, Returns};

use super::ledger::{fold_orders, Ledger, PURCHASE_ORDERS};
use super::runs::{fold_runs, KEPT_MINOR, PURCHASE_DATE};

/// The observation window, as days since 1970-01-01.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Last observed day, inclusive. None: no line is cut by date (the default `as_of` is
    /// then the latest date, found after aggregation).
    pub as_of: Option<i32>,
    /// Only lines with `as_of - date < window_days` count (needs `as_of`).
    pub window_days: Option<u32>,
}

/// One of `of` hash partitions of the customers: a run too big for memory aggregates the
/// customers of each partition in its own pass over the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// This partition, 0-based.
    pub index: u32,
    /// How many.
    pub of: u32,
}

/// How `frequency: orders` folds lines into orders before orders into customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFold {
    /// By (group..., customer_id, order_id): exact whatever the data.
    ByKeys,
    /// By order_id alone, carrying each key column's min and max (and null count) per order:
    /// a one-column group-by, cheaper in time and memory. Exact when no order id holds lines
    /// of two customers (or groups); the customers row says so in [`ORDER_SHARED`], and the
    /// pass is then run again [`OrderFold::ByKeys`].
    ByOrderId,
    /// Counted where each order's lines are, with no group-by over orders (ledger.rs): for
    /// integer ids carried in 32 bits and no group_by. Exact when each order's lines come
    /// together (in one morsel of the scan, or across the edge of two); the [`Ledger`]
    /// checks it and stops the query otherwise, and the pass is then run again
    /// [`OrderFold::ByOrderId`].
    ByRuns,
}

impl OrderFold {
    /// The cheaper fold where it pays: integer customer ids and group columns, whose min and
    /// max per order cost little (text ones cost more than the fold saves).
    pub fn for_schema(schema: &Schema, analysis: &Analysis) -> OrderFold {
        let integer = |name: &str| schema.get(name).is_some_and(|t| t.is_integer());
        if analysis.frequency == Frequency::Orders
            && integer(CUSTOMER_ID)
            && analysis.group_by.iter().all(|g| integer(g))
        {
            OrderFold::ByOrderId
        } else {
            OrderFold::ByKeys
        }
    }

    /// [`OrderFold::for_schema`], or [`OrderFold::ByRuns`] where it applies: no group_by,
    /// both ids carried in 32 bits, and a ledger of at most a byte per line (`lines`, or
    /// 4 MiB).
    pub fn for_input(
        schema: &Schema,
        analysis: &Analysis,
        narrow: &Narrow,
        lines: u64,
    ) -> OrderFold {
        let fold = OrderFold::for_schema(schema, analysis);
        let ledger_fits = narrow
            .order_span()
            .is_some_and(|span| Ledger::bytes(span) <= lines.max(4 << 20));
        if fold == OrderFold::ByOrderId && ledger_fits {
            OrderFold::ByRuns.usable(analysis, narrow)
        } else {
            fold
        }
    }

    /// This fold, or [`OrderFold::ByOrderId`] for [`OrderFold::ByRuns`] where it cannot run:
    /// a group_by, or an id not carried in 32 bits (as after a pass finds an id outside its
    /// file's statistics).
    pub fn usable(self, analysis: &Analysis, narrow: &Narrow) -> OrderFold {
        let runs = analysis.group_by.is_empty()
            && narrow.customer.is_some()
            && narrow.order_span().is_some();
        match self {
            OrderFold::ByRuns if !runs => OrderFold::ByOrderId,
            fold => fold,
        }
    }
}

/// 64-bit integer keys carried in 32 bits while the lines fold: a key whose values span less
/// than 2^32 (per the Parquet files' statistics) becomes its offset from its smallest value,
/// as UInt32, and customer_id is given back in its own type once customers are grouped.
/// Narrower hash keys and rows: at 100M lines, a quarter less memory for the group-bys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrow {
    /// customer_id's smallest value, when it is narrowed.
    customer: Option<i64>,
    /// order_id's smallest value and its span (largest - smallest), when it is narrowed.
    order: Option<(i64, u32)>,
}

impl Narrow {
    /// Narrow the Int64 customer_id and order_id of `schema` whose span (smallest, largest)
    /// is known and under 2^32.
    pub fn for_spans(
        schema: &Schema,
        customer: Option<(i64, i64)>,
        order: Option<(i64, i64)>,
    ) -> Narrow {
        let narrow = |name: &str, span: Option<(i64, i64)>| {
            let (lo, hi) = span?;
            let width = u32::try_from(i128::from(hi) - i128::from(lo)).ok()?;
            (schema.get(name) == Some(&DataType::Int64)).then_some((lo, width))
        };
        Narrow {
            customer: narrow(CUSTOMER_ID, customer).map(|(lo, _)| lo),
            order: narrow(ORDER_ID, order),
        }
    }

    /// order_id's span, when it is narrowed.
    pub fn order_span(&self) -> Option<u32> {
        self.order.map(|(_, span)| span)
    }

    /// The keys as offsets. A value outside the span fails the query rather than become
    /// another key; `run` then aggregates that pass again with the ids as they are.
    fn apply(&self, lines: LazyFrame) -> LazyFrame {
        let offset = |name: &str, lo: i64| {
            (col(name).cast(DataType::Int64) - lit(lo))
                .strict_cast(DataType::UInt32)
                .alias(name)
        };
        let order = self.order.map(|(lo, _)| lo);
        let columns: Vec<Expr> = [(CUSTOMER_ID, self.customer), (ORDER_ID, order)]
            .into_iter()
            .filter_map(|(name, lo)| lo.map(|lo| offset(name, lo)))
            .collect();
        if columns.is_empty() {
            lines
        } else {
            lines.with_columns(columns)
        }
    }

    /// customer_id back in its own type.
    fn restore(&self, customers: LazyFrame) -> LazyFrame {
        match self.customer {
            None => customers,
            Some(lo) => customers
                .with_column((col(CUSTOMER_ID).cast(DataType::Int64) + lit(lo)).alias(CUSTOMER_ID)),
        }
    }
}

/// The two outputs of the line scan, planned to run together over one scan.
pub struct Aggregation {
    /// One row per (group..., customer_id) with a line in the window: `__sum_minor`,
    /// first/last purchase dates (null when the customer only returned goods) and
    /// `frequency` (Int64); with [`OrderFold::ByOrderId`], also [`ORDER_SHARED`].
    pub customers: LazyFrame,
    /// One row: the line counters (`__n_*`) and `__max_line_date`.
    pub totals: LazyFrame,
    /// With [`OrderFold::ByRuns`], its ledger: whether it stopped the query.
    pub ledger: Option<Arc<Ledger>>,
}

/// Fold `lines` (columns: group_by..., customer_id, order_date: Date, amount: Float64 and,
/// when mapped, order_id) into per-customer rows and the run's line counters.
///
/// The plan is the cheapest one found (README, Performance): the line counters are global
/// sums, so the per-customer group-by only sees the lines it uses and only carries the four
/// reductions the metrics need; every condition is computed per line first, so that the
/// group-by is made of plain reductions the streaming engine runs natively. With
/// `frequency: orders`, lines fold into orders first (as `fold` says) and orders into
/// customers, or ([`OrderFold::ByRuns`]) orders are counted in the fold and the returned
/// [`Aggregation::ledger`] says whether the query stopped because they could not be.
pub fn aggregate(
    lines: LazyFrame,
    analysis: &Analysis,
    window: Window,
    partition: Partition,
    fold: OrderFold,
    narrow: &Narrow,
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
    let totals = lines.clone().select([
        len().cast(DataType::UInt64).alias(N_LINES),
        count(known().not()).alias(N_NULL_CUSTOMER),
        count(known().and(date().is_null())).alias(N_NULL_DATE),
        count(known().and(date().is_not_null()).and(amount().is_null())).alias(N_NULL_AMOUNT),
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
        count(amount().is_not_null().and(amount().is_finite().not())).alias(N_BAD_AMOUNT),
        count(known().and(observed()).and(is_return().not())).alias(N_PURCHASES),
        count(known().and(observed()).and(is_return()).and(lit(!excluded))).alias(N_RETURNS),
        when(known().and(dated()))
            .then(date())
            .otherwise(lit(NULL))
            .max()
            .alias(MAX_LINE_DATE),
    ]);

    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let only = |cond: Expr, value: Expr| when(cond).then(value).otherwise(lit(NULL));
    const PURCHASE_KEY: &str = "__purchase_key";
    let minor = minor_units(amount(), scale);
    let mut helpers = vec![
        if excluded {
            only(is_return().not(), minor)
        } else {
            minor
        }
        .alias(KEPT_MINOR),
        only(is_return().not(), date()).alias(PURCHASE_DATE),
    ];
    let fold = fold.usable(analysis, narrow);
    let mut ledger = None;
    if analysis.frequency == Frequency::Orders && fold == OrderFold::ByKeys {
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
        .apply(lines.filter(known().and(observed()).and(mine)))
        .with_columns(helpers);
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
            // Lines fold run by run first (runs.rs): the rows carry the sum and the first and
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
                OrderFold::ByKeys => {
                    // Each customer's purchase lines fold into one row per order; its return
                    // lines, whose key is null, into one row that is not counted.
                    let mut order_keys = keys.clone();
                    order_keys.push(col(PURCHASE_KEY));
                    let mut run_keys: Vec<PlSmallStr> =
                        analysis.group_by.iter().map(PlSmallStr::from).collect();
                    run_keys.extend([CUSTOMER_ID, PURCHASE_KEY].map(PlSmallStr::from));
                    fold_runs(lines, run_keys)
                        .group_by(order_keys)
                        .agg(per_order)
                        .group_by(keys)
                        .agg(per_customer(col(PURCHASE_KEY).count()))
                }
                OrderFold::ByOrderId => by_order_id(lines, per_order, per_customer, analysis),
                OrderFold::ByRuns => {
                    let counts = Arc::new(Ledger::new(narrow.order_span().unwrap_or(0)));
                    ledger = Some(counts.clone());
                    fold_orders(lines, counts)
                        .group_by(keys)
                        .agg(per_customer(col(PURCHASE_ORDERS).sum()))
                }
            }
        }
    };
    Aggregation {
        customers: narrow.restore(customers),
        totals,
        ledger,
    }
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
    fold_runs(lines, run_keys)
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

/// From the aggregate, the scored customers with the contract's metric columns: rows with
/// an id and at least one purchase; `recency_days` counted back from `as_of` (days since
/// 1970-01-01).
pub fn customers(aggregated: LazyFrame, analysis: &Analysis, as_of: i32) -> LazyFrame {
    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let total = col(SUM_MINOR).cast(DataType::Float64);
    let monetary = match analysis.monetary {
        Monetary::Total => divide_exactly(total, scale),
        Monetary::Average => divide_exactly(total / col(FREQUENCY).cast(DataType::Float64), scale),
    };
    let mut columns: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    columns.extend([
        col(CUSTOMER_ID),
        (lit(i64::from(as_of))
            - col(LAST_ORDER_DATE)
                .cast(DataType::Int32)
                .cast(DataType::Int64))
        .alias(RECENCY_DAYS),
        col(FREQUENCY),
        monetary.alias(MONETARY),
        col(FIRST_ORDER_DATE),
        col(LAST_ORDER_DATE),
        col(SUM_MINOR),
    ]);
    aggregated
        .filter(
            col(CUSTOMER_ID)
                .is_not_null()
                .and(col(LAST_ORDER_DATE).is_not_null()),
        )
        .select(columns)
}

/// `e / divisor` in IEEE division, value by value. polars divides a float column by a scalar
/// as a multiplication by its reciprocal, which is one ulp off for most amounts
/// (9999 * (1 / 100) = 99.99000000000001); the contract's `sum / 10^d` must give 99.99.
fn divide_exactly(e: Expr, divisor: f64) -> Expr {
    e.map(
        move |c| {
            let values = c.f64()?.apply_values(|v| v / divisor);
            Ok(values.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

/// `round(amount * 10^d)`, half away from zero, on the float amount, as numpy, pandas, polars
/// and SQL engines compute it on a DOUBLE: 1.005 with d = 2 is 1.00499999999999989... * 100 =
/// 100.49999999999999, so 100 cents, the same in a reviewer's notebook or a warehouse.
fn minor_units(amount: Expr, scale: f64) -> Expr {
    (amount * lit(scale))
        .round(0, RoundMode::HalfAwayFromZero)
        .cast(DataType::Int64)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::config::{Monetary, Returns};

    fn orders_analysis(group_by: Vec<String>) -> Analysis {
        Analysis {
            as_of: None,
            window_days: None,
            returns: Returns::Net,
            monetary: Monetary::Total,
            monetary_decimals: 2,
            frequency: Frequency::Orders,
            group_by,
        }
    }

    /// Whether the fold by order id reports an order id shared between (group, customer)s,
    /// on lines of one group column `store` (nullable) and the given customers and orders.
    fn shared(store: &[Option<i32>], customer: &[i64], order: &[i64]) -> bool {
        let n = customer.len();
        let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let lines = df!(
            "store" => store,
            CUSTOMER_ID => customer,
            ORDER_DATE => vec![day; n],
            AMOUNT => vec![1.0; n],
            ORDER_ID => order,
        )
        .unwrap()
        .lazy();
        let analysis = orders_analysis(vec!["store".into()]);
        let window = Window {
            as_of: None,
            window_days: None,
        };
        let one = Partition { index: 0, of: 1 };
        let customers = aggregate(
            lines,
            &analysis,
            window,
            one,
            OrderFold::ByOrderId,
            &Narrow::default(),
        )
        .customers
        .collect()
        .unwrap();
        customers
            .column(ORDER_SHARED)
            .unwrap()
            .bool()
            .unwrap()
            .any()
    }

    #[test]
    fn the_order_id_fold_notices_an_order_that_spans_customers_or_groups() {
        // Each order in one store and one customer.
        assert!(!shared(
            &[Some(1), Some(1), Some(2)],
            &[7, 7, 8],
            &[10, 10, 11]
        ));
        assert!(!shared(&[None, None, Some(2)], &[7, 7, 8], &[10, 10, 11]));
        // Order 10 holds lines of customers 7 and 8.
        assert!(shared(
            &[Some(1), Some(1), Some(1)],
            &[7, 8, 8],
            &[10, 10, 11]
        ));
        // Order 10 holds lines of stores 1 and 2, or of store 1 and no store.
        assert!(shared(
            &[Some(1), Some(2), Some(2)],
            &[7, 7, 8],
            &[10, 10, 11]
        ));
        assert!(shared(&[Some(1), None, Some(2)], &[7, 7, 8], &[10, 10, 11]));
        assert!(shared(&[None, Some(1), Some(2)], &[7, 7, 8], &[10, 10, 11]));
    }

    #[test]
    fn keys_are_carried_in_32_bits_only_when_int64_and_spanning_less_than_2_pow_32() {
        let schema = Schema::from_iter([
            Field::new(CUSTOMER_ID.into(), DataType::Int64),
            Field::new(ORDER_ID.into(), DataType::Int32),
        ]);
        let top = i64::from(u32::MAX);
        let narrow = Narrow::for_spans(&schema, Some((-5, top - 5)), Some((0, 9)));
        // order_id is already 32 bits wide.
        assert_eq!((narrow.customer, narrow.order), (Some(-5), None));
        let wide = Narrow::for_spans(&schema, Some((-5, top - 4)), None);
        assert_eq!(wide, Narrow::default());
        // Offsets there and back, at both ends of the span.
        let ids = [-5i64, top - 5, 12];
        let lines = df!(CUSTOMER_ID => ids, ORDER_ID => [1i32, 2, 3])
            .unwrap()
            .lazy();
        let carried = narrow.apply(lines).collect().unwrap();
        let offsets = carried.column(CUSTOMER_ID).unwrap().u32().unwrap().clone();
        assert_eq!(
            offsets.into_no_null_iter().collect::<Vec<_>>(),
            [0, u32::MAX, 17]
        );
        let back = narrow.restore(carried.lazy()).collect().unwrap();
        let back = back.column(CUSTOMER_ID).unwrap().i64().unwrap().clone();
        assert_eq!(back.into_no_null_iter().collect::<Vec<_>>(), ids);
        // A value outside the span (statistics that lie) fails; it never becomes another key.
        let outside = df!(CUSTOMER_ID => [-6i64], ORDER_ID => [1i32])
            .unwrap()
            .lazy();
        assert!(narrow.apply(outside).collect().is_err());
    }

    #[test]
    fn orders_are_counted_in_the_fold_with_32_bit_ids_and_no_group_by_only() {
        let schema = Schema::from_iter([
            Field::new(CUSTOMER_ID.into(), DataType::Int64),
            Field::new(ORDER_ID.into(), DataType::Int64),
            Field::new("store".into(), DataType::Int32),
        ]);
        let span = |hi: i64| Some((0, hi));
        let both = Narrow::for_spans(&schema, span(10), span(1000));
        let fold = |analysis: &Analysis, narrow: &Narrow, lines: u64| {
            OrderFold::for_input(&schema, analysis, narrow, lines)
        };
        assert_eq!(fold(&orders_analysis(vec![]), &both, 10), OrderFold::ByRuns);
        let grouped = orders_analysis(vec!["store".into()]);
        assert_eq!(fold(&grouped, &both, 10), OrderFold::ByOrderId);
        // Once the ids go back to 64 bits (an id outside the statistics), it cannot run.
        let runs = OrderFold::ByRuns;
        assert_eq!(runs.usable(&orders_analysis(vec![]), &both), runs);
        let wide = Narrow::default();
        assert_eq!(
            runs.usable(&orders_analysis(vec![]), &wide),
            OrderFold::ByOrderId
        );
        assert_eq!(runs.usable(&grouped, &both), OrderFold::ByOrderId);
        let wide_customers = Narrow::for_spans(&schema, span(1 << 40), span(1000));
        assert_eq!(
            fold(&orders_analysis(vec![]), &wide_customers, 10),
            OrderFold::ByOrderId
        );
        let no_order_span = Narrow::for_spans(&schema, span(10), None);
        assert_eq!(
            fold(&orders_analysis(vec![]), &no_order_span, 10),
            OrderFold::ByOrderId
        );
        // The ledger takes at most a byte per line (or 4 MiB): ids 0..=2^31, 512 MiB and a
        // word.
        let sparse = Narrow::for_spans(&schema, span(10), span(1 << 31));
        let bytes = (1 << 29) + 8;
        assert_eq!(Ledger::bytes(1 << 31), bytes);
        let no_group = orders_analysis(vec![]);
        assert_eq!(fold(&no_group, &sparse, bytes - 1), OrderFold::ByOrderId);
        assert_eq!(fold(&no_group, &sparse, bytes), OrderFold::ByRuns);
    }

    #[test]
    fn the_order_id_fold_applies_to_integer_ids_only() {
        let analysis = orders_analysis;
        let schema = |customer: DataType, store: DataType| {
            Schema::from_iter([
                Field::new(CUSTOMER_ID.into(), customer),
                Field::new("store".into(), store),
            ])
        };
        let ints = schema(DataType::Int64, DataType::Int32);
        assert_eq!(
            OrderFold::for_schema(&ints, &analysis(vec![])),
            OrderFold::ByOrderId
        );
        assert_eq!(
            OrderFold::for_schema(&ints, &analysis(vec!["store".into()])),
            OrderFold::ByOrderId
        );
        let text_store = schema(DataType::Int64, DataType::String);
        assert_eq!(
            OrderFold::for_schema(&text_store, &analysis(vec!["store".into()])),
            OrderFold::ByKeys
        );
        let text_ids = schema(DataType::String, DataType::Int32);
        assert_eq!(
            OrderFold::for_schema(&text_ids, &analysis(vec![])),
            OrderFold::ByKeys
        );
        let lines = Analysis {
            frequency: Frequency::Lines,
            ..analysis(vec![])
        };
        assert_eq!(OrderFold::for_schema(&ints, &lines), OrderFold::ByKeys);
    }
}
