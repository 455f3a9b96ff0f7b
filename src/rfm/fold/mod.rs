//! Every way lines fold into one row per (group..., customer_id), behind one interface.
//!
//! [`Fold::choose`] picks the cheapest strategy the input allows before any line is read
//! (from the schema, the Parquet statistics and the config); [`Fold::pass`] runs one pass
//! and, when a strategy's assumption fails on the data, runs it again with the next exact
//! one and says so ([`Fallback`]). A data error is returned as it is: a fallback is taken
//! only when the strategy's own check fired.
//!
//! - [`Strategy::Direct`]: each line added into its customer's slot, addressed by the
//!   customer's 32-bit offset ([`direct`]): no group-by (a customer's lines in a second
//!   group go to a small table beside the slots).
//! - [`Strategy::InPlace`]: orders counted where their lines are ([`order_bitmap`]), then a
//!   group-by over (group..., customer) only.
//! - [`Strategy::ByOrderId`]: lines -> orders by order id alone -> customers.
//! - [`Strategy::ByCustomerOrder`]: lines -> (group..., customer, order) -> customers; exact
//!   for any input.
//!
//! Integer ids are carried in 32 bits where the Parquet statistics allow ([`narrow`]), text
//! ids as written, and consecutive lines with equal keys fold into one row first
//! ([`adjacent`]).

mod adjacent;
pub use adjacent::group_starts;
mod direct;
mod narrow;
mod order_bitmap;
mod plan;
pub mod rollup;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use polars::prelude::*;

use crate::columns::*;
use crate::settings::{Analysis, Frequency};

use direct::Direct;
use narrow::Narrow;
use order_bitmap::OrderBitmap;
pub use plan::{minor_units, Sums};

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

/// How lines fold into customers (with `frequency: orders`, into orders first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// By (group..., customer_id, order_id): exact whatever the data.
    ByCustomerOrder,
    /// By order_id alone, carrying each key column's min and max (and null count) per order:
    /// a one-column group-by, cheaper in time and memory. Exact when no order id holds lines
    /// of two customers (or groups); the customers row says so in [`ORDER_SHARED`], and the
    /// pass is then run again [`Strategy::ByCustomerOrder`].
    ByOrderId,
    /// Counted where each order's lines are, with no group-by over orders: for order ids
    /// carried in 32 bits or text, any customer ids and group columns. Exact when each order's
    /// lines come together (in one morsel of the scan, or across the edge of two) and, for
    /// text order ids, the ids rise through the lines; the [`OrderBitmap`] checks it, and the
    /// pass is otherwise run again with the group-by over orders the schema allows.
    InPlace,
    /// Each line added into its customer's slot, in arrays indexed by the customer's offset:
    /// for customer ids carried in 32 bits, without group_by or with one integer group column
    /// whose span the statistics give, `frequency: lines` or `orders` (order ids in 32 bits,
    /// each order claimed by its first purchase line's group and customer). Exact for lines in
    /// any order; an order id with purchases of two customers (or groups) stops the query and
    /// the pass is folded [`Strategy::ByCustomerOrder`]. One pass only: a run split into
    /// passes folds them [`Strategy::InPlace`] (or by the group-by over orders).
    Direct,
}

impl Strategy {
    /// The cheaper fold where it pays: integer customer ids and group columns, whose min and
    /// max per order cost little (text ones cost more than the fold saves).
    fn for_schema(schema: &Schema, analysis: &Analysis) -> Strategy {
        let integer = |name: &str| schema.get(name).is_some_and(|t| t.is_integer());
        if analysis.frequency == Frequency::Orders
            && integer(CUSTOMER_ID)
            && analysis.group_by.iter().all(|g| integer(g))
        {
            Strategy::ByOrderId
        } else {
            Strategy::ByCustomerOrder
        }
    }

    /// [`Strategy::for_schema`], or [`Strategy::InPlace`] where it applies: `frequency:
    /// orders`, and order ids that are text or integers carried in 32 bits whose order bitmap
    /// takes at most a byte per line (`lines`, or 4 MiB).
    fn for_input(schema: &Schema, analysis: &Analysis, narrow: &Narrow, lines: u64) -> Strategy {
        if Strategy::direct_fits(analysis, narrow, lines) {
            return Strategy::Direct;
        }
        Strategy::without_direct(schema, analysis, narrow, lines)
    }

    /// Whether [`Strategy::Direct`] applies and its slots (one set per thread) and owners take at
    /// most half the memory the in-place fold's run peaks at for `lines` (its bytes per line,
    /// [`Fold::bytes_per_line`]): sparse ids, whose span is far more than their customers,
    /// are left to the group-bys.
    fn direct_fits(analysis: &Analysis, narrow: &Narrow, lines: u64) -> bool {
        if !Strategy::direct_runs(analysis, narrow) {
            return false;
        }
        let order = match analysis.frequency {
            Frequency::Orders => narrow.order_span(),
            _ => None,
        };
        let customer = narrow.customer_span().unwrap_or(0);
        let grouped = narrow.group().is_some();
        let held = Direct::bytes(customer, order, grouped, crate::input::polars_threads());
        held <= lines.max(1 << 20).saturating_mul(IN_PLACE_BYTES_PER_LINE) / 2
    }

    /// Whether [`Strategy::Direct`] can run on keys carried as `narrow` says: customers in 32
    /// bits, `frequency: lines` or `orders` (order ids in 32 bits), and no group_by or one
    /// integer group column whose span the statistics give.
    pub(super) fn direct_runs(analysis: &Analysis, narrow: &Narrow) -> bool {
        let groups_carried = match analysis.group_by.len() {
            0 => true,
            1 => narrow.group().is_some(),
            _ => false,
        };
        groups_carried
            && Direct::applies(
                analysis.frequency,
                narrow.customer_span(),
                narrow.order_span(),
            )
    }

    /// [`Strategy::for_input`] when the direct fold does not run.
    fn without_direct(
        schema: &Schema,
        analysis: &Analysis,
        narrow: &Narrow,
        lines: u64,
    ) -> Strategy {
        let bitmap_fits = narrow
            .order_span()
            .is_some_and(|span| OrderBitmap::bytes(span) <= lines.max(4 << 20));
        if analysis.frequency == Frequency::Orders && (narrow.order_text() || bitmap_fits) {
            Strategy::InPlace
        } else {
            Strategy::for_schema(schema, analysis)
        }
    }

    /// Whether [`Strategy::InPlace`] can run on keys carried as `narrow` says: order ids in 32
    /// bits or text (not after an id was found outside its file's statistics).
    pub(super) fn in_place_runs(narrow: &Narrow) -> bool {
        narrow.order_span().is_some() || narrow.order_text()
    }
}

/// The two outputs of the line scan, planned to run together over one scan.
pub struct Aggregation {
    /// One row per (group..., customer_id) with a line in the window: `__sum_minor`,
    /// first/last purchase dates (null when the customer only returned goods) and
    /// `frequency` (Int64); with [`Strategy::ByOrderId`], also [`ORDER_SHARED`].
    pub customers: LazyFrame,
    /// One row: the line counters (`__n_*`) and `__max_line_date`.
    pub totals: LazyFrame,
    /// With [`Strategy::InPlace`], its order bitmap: whether it stopped the query.
    bitmap: Option<Arc<OrderBitmap>>,
    /// With [`Strategy::Direct`], its slots: the customers, once the query has run (the
    /// query's own rows are none).
    direct: Option<Arc<Direct>>,
    /// Set when a narrowed id did not fit in 32 bits (and the query stopped for it).
    outside: Arc<AtomicBool>,
    /// Set when the checked sums stopped the query: a sum could pass 64 bits.
    beyond: Arc<AtomicBool>,
}

/// The peak memory of an in-place run per input line ([`Fold::bytes_per_line`]).
const IN_PLACE_BYTES_PER_LINE: u64 = 24;

/// The integer spans (smallest, largest) the Parquet statistics give for the ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spans {
    /// customer_id's span, when every file states it.
    pub customer: Option<(i64, i64)>,
    /// order_id's span, when mapped and every file states it.
    pub order: Option<(i64, i64)>,
    /// The span of the one group_by column, when there is one and every file states it.
    pub group: Option<(i64, i64)>,
}

/// A strategy's assumption that failed on the data, and the exact fold that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fallback {
    /// An order's lines were not together: orders folded by order id.
    LinesNotInRuns,
    /// An order id held lines of two customers (or groups): that pass folded by customer
    /// and order.
    OrderShared,
    /// An id lay outside its file's statistics: the ids were carried in 64 bits.
    IdOutsideStatistics,
    /// The absolute minor units of the lines totalled more than 64 bits hold: minor units
    /// were summed in two parts ([`Sums::Split`]).
    SumsBeyond64Bits,
}

impl Fallback {
    /// What the progress line says while the fallback runs.
    pub fn doing(self) -> &'static str {
        match self {
            Fallback::LinesNotInRuns => "order lines are not in runs: folding orders in a group-by",
            Fallback::OrderShared => {
                "an order id is shared between customers: folding orders per customer"
            }
            Fallback::IdOutsideStatistics => {
                "an id lies outside its file's statistics: aggregating with 64-bit ids"
            }
            Fallback::SumsBeyond64Bits => {
                "the amounts could sum past 64 bits: summing them in two parts"
            }
        }
    }

    /// How `--verbose` names it in the aggregation stage.
    pub fn done(self) -> &'static str {
        match self {
            Fallback::LinesNotInRuns => {
                "again with a group-by over orders: order lines are not in runs"
            }
            Fallback::OrderShared => "again by customer and order: an order id is shared",
            Fallback::IdOutsideStatistics => {
                "again with 64-bit ids: an id lies outside its file's statistics"
            }
            Fallback::SumsBeyond64Bits => {
                "again with sums in two parts: the amounts could sum past 64 bits"
            }
        }
    }
}

/// One pass's result.
pub struct Pass {
    /// One row per (group..., customer_id) of the pass's partition (see
    /// [`Aggregation::customers`]).
    pub customers: DataFrame,
    /// The line counters, when asked for.
    pub totals: Option<DataFrame>,
}

/// The aggregation strategy of a run, and the fallbacks its passes took.
#[derive(Debug, Clone)]
pub struct Fold {
    analysis: Analysis,
    strategy: Strategy,
    /// The group-by over orders a pass falls back to from [`Strategy::InPlace`]
    /// ([`Strategy::for_schema`]).
    by_orders: Strategy,
    /// The strategy of a run split into passes, where [`Strategy::Direct`] was chosen (its
    /// slots address every customer, whatever the pass).
    in_passes: Strategy,
    narrow: Narrow,
    sums: Sums,
    fallbacks: Vec<Fallback>,
}

impl Fold {
    /// The cheapest strategy for lines of `schema` (with the ids' `spans` from the Parquet
    /// statistics and about `lines` lines) under `analysis`.
    pub fn choose(schema: &Schema, analysis: &Analysis, spans: Spans, lines: u64) -> Fold {
        let narrow = Narrow::for_spans(schema, spans.customer, spans.order).with_group(
            schema,
            &analysis.group_by,
            spans.group,
        );
        Fold::choose_with(schema, analysis, narrow, lines)
    }

    fn choose_with(schema: &Schema, analysis: &Analysis, narrow: Narrow, lines: u64) -> Fold {
        Fold {
            analysis: analysis.clone(),
            strategy: Strategy::for_input(schema, analysis, &narrow, lines),
            by_orders: Strategy::for_schema(schema, analysis),
            in_passes: Strategy::without_direct(schema, analysis, &narrow, lines),
            narrow,
            sums: Sums::Checked,
            fallbacks: Vec::new(),
        }
    }

    /// The strategy chosen (the first pass's; a fallback may replace it).
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The peak memory of a run per input line of a pass, in bytes, for the chosen strategy:
    /// the peak RSS of one-pass runs over 100M bench lines divided by the lines
    /// (docs/performance.md, "Bytes per line"). The group-by folds hold every order of the
    /// pass's customers; folded in place, a pass holds its customers only (with text ids or
    /// group_by, the group-bys' figure until it is measured).
    /// The direct fold is counted as the in-place one: it runs only where its slots take at
    /// most half of that, and a run in passes folds in place.
    pub fn bytes_per_line(&self) -> u64 {
        if matches!(self.strategy, Strategy::InPlace | Strategy::Direct)
            && self.narrow.customer_narrowed()
            && self.analysis.group_by.is_empty()
        {
            IN_PLACE_BYTES_PER_LINE
        } else {
            50
        }
    }

    /// The query of one pass, as planned (for `--explain`).
    pub fn plan(&self, lines: LazyFrame, window: Window, partition: Partition) -> Aggregation {
        plan::aggregate(
            lines,
            &self.analysis,
            window,
            partition,
            self.strategy,
            &self.narrow,
            self.sums,
        )
    }

    /// Aggregate the customers of `partition` (and, with `with_totals`, the line counters)
    /// on `engine`. Where the strategy's assumption fails, `fallback` is told and the pass
    /// runs again exactly; any other failure is returned as the engine gave it.
    pub fn pass(
        &mut self,
        lines: &LazyFrame,
        window: Window,
        partition: Partition,
        with_totals: bool,
        engine: Engine,
        fallback: &mut dyn FnMut(Fallback),
    ) -> PolarsResult<Pass> {
        if self.strategy == Strategy::Direct && partition.of > 1 {
            self.strategy = self.in_passes;
        }
        let collect = |fold: &Fold, strategy: Strategy, with_totals: bool| {
            let aggregation = plan::aggregate(
                lines.clone(),
                &fold.analysis,
                window,
                partition,
                strategy,
                &fold.narrow,
                fold.sums,
            );
            let mut plans = vec![aggregation.customers.clone().logical_plan];
            if with_totals {
                plans.push(aggregation.totals.clone().logical_plan);
            }
            let out = LazyFrame::collect_all_with_engine(plans, engine, OptFlags::default());
            (out, aggregation)
        };
        let (mut out, direct) = loop {
            let (out, aggregation) = collect(self, self.strategy, with_totals);
            let miss = match out {
                Ok(out) if aggregation.stands() => break (out, aggregation.direct),
                Ok(_) => Fallback::LinesNotInRuns,
                Err(e) => match aggregation.miss() {
                    Some(miss) => miss,
                    None => return Err(e),
                },
            };
            fallback(miss);
            self.fell_back(miss);
            match miss {
                Fallback::LinesNotInRuns => self.strategy = self.by_orders,
                Fallback::SumsBeyond64Bits => self.sums = Sums::Split,
                // Only the direct fold stops for a shared order (the order-id fold reports it
                // in its rows, below).
                Fallback::OrderShared => self.strategy = Strategy::ByCustomerOrder,
                Fallback::IdOutsideStatistics => {
                    self.narrow = self.narrow.widened();
                    let in_place_stops = self.strategy == Strategy::InPlace
                        && !Strategy::in_place_runs(&self.narrow);
                    if self.strategy == Strategy::Direct || in_place_stops {
                        self.strategy = self.by_orders;
                    }
                }
            }
        };
        let totals = if with_totals { out.pop() } else { None };
        let mut customers = out.pop().expect("the customers query ran");
        if let Some(direct) = direct {
            customers = self.narrow.restore(direct.customers()?.lazy()).collect()?;
        }
        if self.strategy == Strategy::ByOrderId && self.sums == Sums::Checked {
            if customers.column(ORDER_SHARED)?.bool()?.any() {
                // An order id holds lines of two customers (or groups): fold this pass exactly.
                fallback(Fallback::OrderShared);
                self.fell_back(Fallback::OrderShared);
                let (out, _) = collect(self, Strategy::ByCustomerOrder, false);
                customers = out?.pop().expect("the customers query ran");
            } else {
                customers = customers.drop(ORDER_SHARED)?;
            }
        }
        let customers = plan::exact_sums(customers, self.sums)?;
        Ok(Pass { customers, totals })
    }

    /// The fallbacks taken so far, each once, in a fixed order.
    pub fn fallbacks(&self) -> &[Fallback] {
        &self.fallbacks
    }

    fn fell_back(&mut self, why: Fallback) {
        if !self.fallbacks.contains(&why) {
            self.fallbacks.push(why);
            self.fallbacks.sort();
        }
    }
}

impl Aggregation {
    /// Once the query is done: whether its result stands (the order bitmap's last check).
    fn stands(&self) -> bool {
        self.bitmap.as_ref().is_none_or(|b| b.stands())
    }

    /// Why the query stopped, when a strategy's own check stopped it.
    fn miss(&self) -> Option<Fallback> {
        if self.bitmap.as_ref().is_some_and(|b| b.conflict()) {
            Some(Fallback::LinesNotInRuns)
        } else if self.direct.as_ref().is_some_and(|d| d.shared()) {
            Some(Fallback::OrderShared)
        } else if self.outside.load(Ordering::Relaxed) {
            Some(Fallback::IdOutsideStatistics)
        } else if self.beyond.load(Ordering::Relaxed) {
            Some(Fallback::SumsBeyond64Bits)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::plan::aggregate;
    use super::*;
    use crate::settings::{Monetary, Returns};

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
            Strategy::ByOrderId,
            &Narrow::default(),
            Sums::Checked,
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
    fn the_in_place_fold_asked_for_ids_it_cannot_count_gives_the_exact_fold() {
        // Integer order ids without a span (no statistics): not countable in place, so the
        // query folds by customer and order instead of failing.
        let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let lines = df!(
            CUSTOMER_ID => [1i64, 1, 2, 1],
            ORDER_DATE => vec![day; 4],
            AMOUNT => [1.0, 2.0, 3.0, 4.0],
            ORDER_ID => [10i64, 10, 11, 12],
        )
        .unwrap()
        .lazy();
        let window = Window {
            as_of: None,
            window_days: None,
        };
        let customers = aggregate(
            lines,
            &orders_analysis(vec![]),
            window,
            Partition { index: 0, of: 1 },
            Strategy::InPlace,
            &Narrow::default(),
            Sums::Checked,
        )
        .customers
        .sort([CUSTOMER_ID], SortMultipleOptions::default())
        .collect()
        .unwrap();
        let frequency: Vec<i64> = customers
            .column(FREQUENCY)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(frequency, [2, 1]);
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

    /// Lines of integer ids whose span the statistics give (so they are carried in 32 bits,
    /// added into their customers' slots in one pass or counted in place in `of` passes),
    /// with amounts read from text: every pass's customers, and the fallbacks told.
    fn narrowed_pass(
        amounts: &[&str],
        customers: &[i64],
        of: u32,
    ) -> (PolarsResult<Vec<DataFrame>>, Vec<Fallback>) {
        let n = amounts.len();
        let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let lines = df!(
            CUSTOMER_ID => customers,
            ORDER_DATE => vec![day; n],
            "text" => amounts,
            ORDER_ID => (0..n as i64).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
        .with_column(col("text").strict_cast(DataType::Float64).alias(AMOUNT))
        .drop(cols(["text"]));
        let schema = lines.clone().collect_schema().unwrap();
        let spans = Spans {
            customer: Some((0, 10)),
            order: Some((0, n as i64)),
            group: None,
        };
        let mut fold = Fold::choose(&schema, &orders_analysis(vec![]), spans, n as u64);
        assert_eq!(fold.strategy(), Strategy::Direct);
        assert_eq!(fold.in_passes, Strategy::InPlace);
        let window = Window {
            as_of: None,
            window_days: None,
        };
        let mut told = Vec::new();
        let out = (0..of)
            .map(|index| {
                let pass = fold.pass(
                    &lines,
                    window,
                    Partition { index, of },
                    index == 0,
                    Engine::InMemory,
                    &mut |why| told.push(why),
                )?;
                let expected = if of == 1 {
                    Strategy::Direct
                } else {
                    Strategy::InPlace
                };
                if told.is_empty() {
                    assert_eq!(fold.strategy(), expected);
                }
                Ok(pass.customers)
            })
            .collect();
        (out, told)
    }

    #[test]
    fn a_data_error_under_narrowed_ids_is_returned_without_a_fallback() {
        // Regression: any failure while ids were narrowed was taken for an id outside the
        // statistics, and the pass was aggregated again before the error was reported.
        for of in [1, 2] {
            let (out, told) = narrowed_pass(&["1.5", "x", "2"], &[1, 2, 3], of);
            assert!(out.is_err(), "an amount of \"x\" cannot be read");
            assert_eq!(told, Vec::<Fallback>::new());
        }
    }

    #[test]
    fn an_id_outside_the_statistics_falls_back_to_64_bit_ids() {
        // Customer 1 << 40 is far outside the stated span 0..=10 (its offset does not fit in
        // 32 bits); customer 11 just outside it (its offset does, beyond the slots).
        for (outside, of) in [(1 << 40, 1), (1 << 40, 2), (11, 1)] {
            let (out, told) = narrowed_pass(&["1.5", "3", "2"], &[1, outside, 3], of);
            let parts = out.unwrap();
            assert_eq!(told, vec![Fallback::IdOutsideStatistics]);
            let mut ids: Vec<i64> = parts
                .iter()
                .flat_map(|part| {
                    part.column(CUSTOMER_ID)
                        .unwrap()
                        .i64()
                        .unwrap()
                        .into_no_null_iter()
                        .collect::<Vec<_>>()
                })
                .collect();
            ids.sort();
            assert_eq!(ids, [1, 3, outside]);
        }
    }

    #[test]
    fn orders_are_counted_in_the_fold_where_order_ids_are_in_32_bits_or_text() {
        let schema = |customer: DataType, order: DataType| {
            Schema::from_iter([
                Field::new(CUSTOMER_ID.into(), customer),
                Field::new(ORDER_ID.into(), order),
                Field::new("store".into(), DataType::Int32),
                Field::new("region".into(), DataType::String),
            ])
        };
        let ints = schema(DataType::Int64, DataType::Int64);
        let span = |hi: i64| Some((0, hi));
        let no_group = orders_analysis(vec![]);
        let by_store = orders_analysis(vec!["store".into()]);
        let by_region = orders_analysis(vec!["region".into()]);
        let fold = |schema: &Schema, analysis: &Analysis, narrow: &Narrow, lines: u64| {
            Fold::choose_with(schema, analysis, narrow.clone(), lines)
        };
        let both = Narrow::for_spans(&ints, span(10), span(1000));
        // With group_by, whatever the customers' and groups' types; without it, customers
        // narrowed are added into their slots (and counted in place in a run of passes).
        for analysis in [&by_store, &by_region] {
            assert_eq!(fold(&ints, analysis, &both, 10).strategy, Strategy::InPlace);
        }
        assert_eq!(fold(&ints, &no_group, &both, 10).strategy, Strategy::Direct);
        assert_eq!(
            fold(&ints, &no_group, &both, 10).in_passes,
            Strategy::InPlace
        );
        // ... and with one integer group column whose span the statistics give, its code in
        // the slots; not for a text group column, two group columns or a span of 2^32 - 2.
        let stores = |span: Option<(i64, i64)>, analysis: &Analysis| {
            both.clone().with_group(&ints, &analysis.group_by, span)
        };
        let small = Some((-5, 500));
        assert_eq!(
            fold(&ints, &by_store, &stores(small, &by_store), 10).strategy,
            Strategy::Direct
        );
        assert_eq!(
            fold(&ints, &by_store, &stores(None, &by_store), 10).strategy,
            Strategy::InPlace
        );
        let wide = Some((0, i64::from(u32::MAX) - 2));
        assert_eq!(
            fold(&ints, &by_store, &stores(wide, &by_store), 10).strategy,
            Strategy::InPlace
        );
        assert_eq!(
            fold(&ints, &by_region, &stores(small, &by_region), 10).strategy,
            Strategy::InPlace
        );
        let two = orders_analysis(vec!["store".into(), "region".into()]);
        assert_eq!(
            fold(&ints, &two, &stores(small, &two), 10).strategy,
            Strategy::InPlace
        );
        // Slots for 2^30 customers (24 GiB a thread) take more than half what an in-place run
        // over 2^20 lines peaks at: sparse ids are left to the group-bys.
        let sparse_customers = Narrow::for_spans(&ints, span(1 << 30), span(1000));
        assert_eq!(
            fold(&ints, &no_group, &sparse_customers, 1 << 20).strategy,
            Strategy::InPlace
        );
        let wide_customers = Narrow::for_spans(&ints, span(1 << 40), span(1000));
        assert_eq!(
            fold(&ints, &no_group, &wide_customers, 10).strategy,
            Strategy::InPlace
        );
        // Integer order ids need their span from the statistics.
        let no_order_span = Narrow::for_spans(&ints, span(10), None);
        assert_eq!(
            fold(&ints, &no_group, &no_order_span, 10).strategy,
            Strategy::ByOrderId
        );
        let no_spans = Narrow::for_spans(&ints, None, None);
        assert_eq!(
            fold(&ints, &no_group, &no_spans, 10).strategy,
            Strategy::ByOrderId
        );
        // The bitmap takes at most a byte per line (or 4 MiB): ids 0..=2^31, 512 MiB and a
        // word.
        let sparse = Narrow::for_spans(&ints, span(1 << 40), span(1 << 31));
        let bytes = (1 << 29) + 8;
        assert_eq!(OrderBitmap::bytes(1 << 31), bytes);
        assert_eq!(
            fold(&ints, &no_group, &sparse, bytes - 1).strategy,
            Strategy::ByOrderId
        );
        assert_eq!(
            fold(&ints, &no_group, &sparse, bytes).strategy,
            Strategy::InPlace
        );
        // Text order ids need no statistics, and still apply once ids are widened.
        for customer in [DataType::Int64, DataType::String] {
            let text_orders = schema(customer.clone(), DataType::String);
            let narrow = Narrow::for_spans(&text_orders, span(10), None);
            assert_eq!(
                fold(&text_orders, &no_group, &narrow, 10).strategy,
                Strategy::InPlace
            );
            assert_eq!(
                fold(&text_orders, &by_store, &narrow, 10).strategy,
                Strategy::InPlace
            );
            assert!(Strategy::in_place_runs(&narrow.widened()), "{customer:?}");
        }
        // Integer order ids widened (an id outside the statistics) cannot run in place.
        assert!(Strategy::in_place_runs(&both));
        assert!(!Strategy::in_place_runs(&both.widened()));
        // The fallback is the group-by over orders the schema allows.
        let text_customers = schema(DataType::String, DataType::Int64);
        let narrow = Narrow::for_spans(&text_customers, None, span(1000));
        assert_eq!(
            fold(&text_customers, &no_group, &narrow, 10).by_orders,
            Strategy::ByCustomerOrder
        );
        assert_eq!(
            fold(&ints, &by_store, &both, 10).by_orders,
            Strategy::ByOrderId
        );
        assert_eq!(
            fold(&ints, &by_region, &both, 10).by_orders,
            Strategy::ByCustomerOrder
        );
        // `frequency: lines` needs no order fold: added into the slots where customers are
        // narrowed (order ids need no span), a group-by otherwise. `frequency: days` always
        // groups.
        let lines = Analysis {
            frequency: Frequency::Lines,
            ..orders_analysis(vec![])
        };
        assert_eq!(fold(&ints, &lines, &both, 10).strategy, Strategy::Direct);
        assert_eq!(
            fold(&ints, &lines, &no_order_span, 10).strategy,
            Strategy::Direct
        );
        assert_eq!(
            fold(&ints, &lines, &wide_customers, 10).strategy,
            Strategy::ByCustomerOrder
        );
        let days = Analysis {
            frequency: Frequency::Days,
            ..orders_analysis(vec![])
        };
        assert_eq!(
            fold(&ints, &days, &both, 10).strategy,
            Strategy::ByCustomerOrder
        );
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
            Strategy::for_schema(&ints, &analysis(vec![])),
            Strategy::ByOrderId
        );
        assert_eq!(
            Strategy::for_schema(&ints, &analysis(vec!["store".into()])),
            Strategy::ByOrderId
        );
        let text_store = schema(DataType::Int64, DataType::String);
        assert_eq!(
            Strategy::for_schema(&text_store, &analysis(vec!["store".into()])),
            Strategy::ByCustomerOrder
        );
        let text_ids = schema(DataType::String, DataType::Int32);
        assert_eq!(
            Strategy::for_schema(&text_ids, &analysis(vec![])),
            Strategy::ByCustomerOrder
        );
        let lines = Analysis {
            frequency: Frequency::Lines,
            ..analysis(vec![])
        };
        assert_eq!(
            Strategy::for_schema(&ints, &lines),
            Strategy::ByCustomerOrder
        );
    }

    /// One pass over lines of customers 1..=3 in turn, two lines an order (amounts in whole
    /// units, `monetary_decimals` 0) under `frequency`, with the sums `forced` or as the checked sums decide: the
    /// customers as (id, sum of minor units, frequency), and the fallbacks taken.
    fn sums_pass(
        amounts: &[f64],
        frequency: Frequency,
        forced: Option<Sums>,
    ) -> (Vec<(i64, f64, i64)>, Vec<Fallback>) {
        let n = amounts.len();
        let day = |d: u32| NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
        let lines = df!(
            CUSTOMER_ID => (0..n as i64).map(|i| 1 + (i / 2) % 3).collect::<Vec<_>>(),
            ORDER_DATE => (0..n as u32).map(|i| day(1 + i % 4)).collect::<Vec<_>>(),
            AMOUNT => amounts,
            ORDER_ID => (0..n as i64).map(|i| i / 2).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy();
        let analysis = Analysis {
            monetary_decimals: 0,
            frequency,
            ..orders_analysis(vec![])
        };
        let schema = lines.clone().collect_schema().unwrap();
        let mut fold = Fold::choose(&schema, &analysis, Spans::default(), n as u64);
        if let Some(sums) = forced {
            fold.sums = sums;
        }
        let window = Window {
            as_of: None,
            window_days: None,
        };
        let mut told = Vec::new();
        let pass = fold
            .pass(
                &lines,
                window,
                Partition { index: 0, of: 1 },
                false,
                Engine::InMemory,
                &mut |why| told.push(why),
            )
            .unwrap();
        let c = &pass.customers;
        let ids = c.column(CUSTOMER_ID).unwrap().i64().unwrap().clone();
        let sums = c.column(SUM_MINOR).unwrap().f64().unwrap().clone();
        let freq = c.column(FREQUENCY).unwrap().i64().unwrap().clone();
        let mut rows: Vec<(i64, f64, i64)> = ids
            .iter()
            .zip(sums.iter())
            .zip(freq.iter())
            .map(|((i, s), f)| (i.unwrap(), s.unwrap(), f.unwrap()))
            .collect();
        rows.sort_by_key(|r| r.0);
        (rows, told)
    }

    #[test]
    fn split_sums_give_the_checked_sums_for_every_frequency() {
        let amounts = [
            5.0, -2.0, 7.0, 3.0, 1e12, -1e12, 4.0, 0.0, 9.0, -9.0, 2.5, 8.0,
        ];
        for frequency in [Frequency::Orders, Frequency::Lines, Frequency::Days] {
            let (checked, told) = sums_pass(&amounts, frequency, None);
            assert_eq!(told, vec![], "small amounts stay in 64 bits");
            let (split, _) = sums_pass(&amounts, frequency, Some(Sums::Split));
            assert_eq!(split, checked, "{frequency:?}");
        }
    }

    #[test]
    fn sums_past_64_bits_are_carried_in_two_parts_and_never_wrap() {
        // Customer 1: 2^62 + 2^62 = 2^63, one past i64::MAX; customer 2: 2^62 - 2^62 = 0
        // (the absolute total passes 64 bits, the sum does not); customer 3: -2^62 twice.
        let big = 4_611_686_018_427_387_904.0;
        let amounts = [big, big, big, -big, -big, -big];
        for frequency in [Frequency::Orders, Frequency::Lines, Frequency::Days] {
            let (rows, told) = sums_pass(&amounts, frequency, None);
            assert_eq!(told, vec![Fallback::SumsBeyond64Bits], "{frequency:?}");
            let sums: Vec<f64> = rows.iter().map(|r| r.1).collect();
            assert_eq!(sums, [2.0 * big, 0.0, -2.0 * big], "{frequency:?}");
        }
        // Up to i64::MAX in absolute value the checked sums hold: no fallback.
        let (rows, told) = sums_pass(&[big, big - 1024.0], Frequency::Lines, None);
        assert_eq!(told, vec![]);
        assert_eq!(rows[0].1, 2.0 * big - 1024.0);
    }
}
