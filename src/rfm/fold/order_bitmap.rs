//! `frequency: orders` counted where each order's lines are, without a group-by over orders.
//!
//! An export lists the lines of an order together, and mostly the orders of a customer
//! together. Then an order's lines meet in one morsel of the scan, or straddle the edge
//! between two morsels, and the fold can count the order on the spot: morsel by morsel, the
//! lines fold into one row per (order, customer) (a return line amid an order's lines folds
//! back into it), each row counts 1 when it holds a purchase, and the rows of a customer fold
//! into one. The group-by after the fold is over customers alone, and sees about one row
//! per customer instead of one per order (docs/performance.md).
//!
//! The [`OrderBitmap`] proves the count exact. Only rows with a purchase count, so only they
//! are checked (a return of an old order, long after it, counts nothing). Integer order ids
//! are marked in a bitmap (two bits per id over the span the Parquet statistics give, a
//! quarter of a byte per id): a purchase row inside a morsel must be its id's only one in the
//! pass; a row at a morsel's edge (the morsel's first or last few rows) may meet its id again
//! only at another edge, and such rows are matched in a small table (same customer; counted
//! once). Text order ids must rise through the morsel, and the morsels' spans of ids may meet
//! only at their ends (checked as each morsel's span comes), where the first and last
//! purchase rows are matched in the same table. Text customer ids are compared by their bytes: a run of
//! equal ids is one customer of the morsel. Anything else (an order whose lines are
//! scattered, text ids out of order, an order id of two customers, an id outside the
//! statistics) is a conflict: the pass runs again with the group-by over orders, which is
//! exact whatever the line order.

use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::columns::{CUSTOMER_ID, FIRST_ORDER_DATE, LAST_ORDER_DATE, ORDER_ID};

use super::adjacent::{KEPT_MINOR, PURCHASE_DATE};

/// Per folded row: how many orders with a purchase it counts (UInt32).
pub(super) const PURCHASE_ORDERS: &str = "__purchase_orders";

/// What the query error says when the bitmap stops it.
const CONFLICT: &str = "order lines are not in runs: counting them needs the group-by over orders";

/// A line folds into one of the last this many rows of its morsel, when their keys are
/// equal: a return line amid an order's lines (with an order id of its own) leaves the order
/// one row.
const LOOKBACK: usize = 4;

/// Rows at each end of a morsel that count as its edge: the rows the lines of the next
/// (or the previous) morsel could have folded into.
const EDGE: usize = LOOKBACK + 1;

/// The id has a row in the pass.
const SEEN: u64 = 0b01;
/// The id has a row inside a morsel (not at its edge).
const INSIDE: u64 = 0b10;

/// The order ids of one pass, as offsets from the smallest one (0..=span): which were seen,
/// and the rows that met at morsel edges. Shared by the fold's morsels, on any thread.
pub struct OrderBitmap {
    /// How an id is proven to have one purchase row in the pass.
    ids: Ids,
    /// Ids seen at a morsel's edge: their customer, and whether a purchase was counted.
    edges: Mutex<HashMap<Order, Edge>>,
    conflict: AtomicBool,
}

/// The proof that each order id has one purchase row in the pass (beside rows at morsels'
/// edges, matched in the edges table).
enum Ids {
    /// Integer ids (offsets 0..=span): two bits per id ([`SEEN`], [`INSIDE`]), 32 ids per
    /// word.
    Marks(Vec<AtomicU64>),
    /// Text ids: within each morsel the purchase rows' ids rise (bytewise), and the morsels'
    /// spans of ids (first, last) overlap at most at their ends: each span is checked against
    /// its neighbours as it comes, so that an overlap stops the query at once. Exports sorted
    /// by date whose order numbers rise with time, or sorted by order number, write them so.
    Rising(Mutex<BTreeSet<(Box<str>, Box<str>)>>),
}

/// An order id as an edge row names it to the other morsels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Order {
    Offset(u32),
    Text(Box<str>),
}

#[derive(Debug, Clone)]
struct Edge {
    customer: Customer,
    counted: bool,
}

/// A customer as an edge row names it to the other morsels: its offset, or the values of its
/// keys (group_by..., customer_id).
#[derive(Debug, Clone, PartialEq)]
enum Customer {
    Offset(u32),
    Values(Vec<AnyValue<'static>>),
}

/// The customers of a morsel's rows: offsets as they are (integer ids in 32 bits, no
/// group_by), or the runs of lines with equal keys (group_by..., customer_id, of any type),
/// each run a customer of the morsel named by its first line.
enum Customers {
    Offsets,
    Runs {
        /// The key columns of the morsel.
        keys: DataFrame,
        start: Vec<u32>,
    },
}

impl Customers {
    /// The runs of equal `keys` of `df`, and each line's run number.
    fn runs(df: &DataFrame, keys: &[PlSmallStr]) -> PolarsResult<(Customers, Vec<u32>)> {
        let n = df.height();
        let mut starts = vec![false; n];
        if let Some(first) = starts.first_mut() {
            *first = true;
        }
        for key in keys {
            let s = df.column(key)?.as_materialized_series();
            if n > 1 {
                let differs = s.slice(1, n - 1).not_equal_missing(&s.slice(0, n - 1))?;
                for (i, d) in differs.iter().enumerate() {
                    starts[i + 1] |= d == Some(true);
                }
            }
        }
        let mut start = Vec::new();
        let mut numbers = Vec::with_capacity(n);
        for (i, &starts) in starts.iter().enumerate() {
            if starts {
                start.push(i as u32);
            }
            numbers.push(start.len() as u32 - 1);
        }
        let keys = df.select(keys.iter().cloned())?;
        Ok((Customers::Runs { keys, start }, numbers))
    }

    /// The customer `customer` (an offset, or a run's number) names.
    fn customer(&self, customer: u32) -> PolarsResult<Customer> {
        match self {
            Customers::Offsets => Ok(Customer::Offset(customer)),
            Customers::Runs { keys, start } => {
                let at = start[customer as usize] as usize;
                let values = keys
                    .columns()
                    .iter()
                    .map(|c| Ok(c.get(at)?.into_static()))
                    .collect::<PolarsResult<_>>()?;
                Ok(Customer::Values(values))
            }
        }
    }

    /// The key columns of the folded rows of these customers.
    fn columns(&self, customers: Vec<u32>) -> PolarsResult<Vec<Column>> {
        match self {
            Customers::Offsets => Ok(vec![
                UInt32Chunked::from_vec(CUSTOMER_ID.into(), customers).into_column()
            ]),
            Customers::Runs { keys, start } => {
                let at: Vec<IdxSize> = customers
                    .iter()
                    .map(|&c| start[c as usize] as IdxSize)
                    .collect();
                let rows = keys.take(&IdxCa::from_vec("".into(), at))?;
                Ok(rows.columns().to_vec())
            }
        }
    }
}

/// The order ids of a morsel's rows: offsets as they are; text ids as numbers given in the
/// morsel ([`Keys::recent`]), each number's first line kept to name it.
enum Keys {
    Offsets,
    Text {
        /// One chunk.
        ids: StringChunked,
        start: Vec<u32>,
    },
}

impl Keys {
    /// The text id number `key` stands for (None for offsets).
    fn text(&self, key: u32) -> Option<&str> {
        match self {
            Keys::Offsets => None,
            Keys::Text { ids, start } => {
                Some(ids.downcast_as_array().value(start[key as usize] as usize))
            }
        }
    }

    fn order(&self, key: u32) -> Order {
        match self.text(key) {
            None => Order::Offset(key),
            Some(t) => Order::Text(t.into()),
        }
    }

    /// Text ids numbered so that a run whose id is one of the last [`LOOKBACK`] + 1 runs'
    /// takes its number (orders: a return line with an id of its own amid an order's lines
    /// leaves the order one number); nulls stay null.
    fn recent(ids: &StringChunked) -> (Keys, UInt32Chunked) {
        let texts: Vec<Option<&str>> = ids.iter().collect();
        let mut start: Vec<u32> = Vec::new();
        let mut numbers: Vec<Option<u32>> = Vec::with_capacity(texts.len());
        let mut recent: Vec<u32> = Vec::with_capacity(LOOKBACK + 2);
        for (i, &text) in texts.iter().enumerate() {
            let Some(text) = text else {
                numbers.push(None);
                continue;
            };
            if i > 0 && texts[i - 1] == Some(text) {
                numbers.push(numbers[i - 1]);
                continue;
            }
            let found = recent
                .iter()
                .rposition(|&k| texts[start[k as usize] as usize] == Some(text));
            let number = match found {
                Some(at) => recent.remove(at),
                None => {
                    start.push(i as u32);
                    start.len() as u32 - 1
                }
            };
            recent.push(number);
            if recent.len() > LOOKBACK + 1 {
                recent.remove(0);
            }
            numbers.push(Some(number));
        }
        let numbers = UInt32Chunked::from_iter_options(ORDER_ID.into(), numbers.into_iter());
        let keys = Keys::Text {
            ids: ids.clone(),
            start,
        };
        (keys, numbers)
    }
}

/// One row of a morsel's fold: an (order, customer) and what its lines add up to.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    order: Option<u32>,
    customer: u32,
    minor: i64,
    first: Option<i32>,
    last: Option<i32>,
    /// One of the morsel's first or last [`EDGE`] rows: the order may go on in another
    /// morsel.
    edge: bool,
}

impl OrderBitmap {
    /// A bitmap for order id offsets 0..=span.
    pub fn new(span: u32) -> OrderBitmap {
        OrderBitmap::with(Ids::Marks(
            (0..words(span)).map(|_| AtomicU64::new(0)).collect(),
        ))
    }

    /// The check for text order ids ([`Ids::Rising`]).
    pub fn rising() -> OrderBitmap {
        OrderBitmap::with(Ids::Rising(Mutex::new(BTreeSet::new())))
    }

    fn with(ids: Ids) -> OrderBitmap {
        OrderBitmap {
            ids,
            edges: Mutex::new(HashMap::new()),
            conflict: AtomicBool::new(false),
        }
    }

    /// Whether the bitmap stopped the query: the pass needs the group-by over orders.
    pub fn conflict(&self) -> bool {
        self.conflict.load(Ordering::Relaxed)
    }

    /// Once the pass is done: whether its count stands. For text ids, the morsels' spans of
    /// ids, in order, are checked once more; spans that overlap are a conflict (the pass needs
    /// the group-by over orders).
    pub fn stands(&self) -> bool {
        if let Ids::Rising(spans) = &self.ids {
            let spans = spans.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = spans.iter().skip(1);
            if spans.iter().zip(&mut next).any(|(a, b)| a.1 > b.0) {
                self.conflict.store(true, Ordering::Relaxed);
            }
        }
        !self.conflict()
    }

    /// Bytes the bitmap takes for a span.
    pub fn bytes(span: u32) -> u64 {
        words(span) as u64 * 8
    }

    /// Whether `order` counts as a purchase order here (0 or 1), marking it. None when the id
    /// was seen where the count could not be exact. A row without a purchase counts 0
    /// whatever its id (a return of an old order).
    fn count(&self, row: &Row, customers: &Customers, orders: &Keys) -> Option<u32> {
        let order = row.order?;
        if row.first.is_none() {
            return Some(0);
        }
        if let Ids::Marks(marks) = &self.ids {
            let word = marks.get(order as usize / 32)?;
            let shift = (order % 32) * 2;
            if !row.edge {
                // Both bits in one atomic word: of two rows of an id, whichever marks second
                // sees the first, on whatever thread.
                let before = word.fetch_or((SEEN | INSIDE) << shift, Ordering::Relaxed);
                return (before >> shift & SEEN == 0).then_some(1);
            }
            let before = word.fetch_or(SEEN << shift, Ordering::Relaxed);
            if before >> shift & INSIDE != 0 {
                return None;
            }
        } else if !row.edge {
            // Rising text ids: a row inside the morsel is its id's only one.
            return Some(1);
        }
        let customer = customers.customer(row.customer).ok()?;
        let mut edges = self.edges.lock().ok()?;
        match edges.entry(orders.order(order)) {
            Entry::Vacant(v) => {
                v.insert(Edge {
                    customer,
                    counted: true,
                });
                Some(1)
            }
            Entry::Occupied(mut o) => {
                let e = o.get_mut();
                if e.customer != customer {
                    return None;
                }
                let count = !e.counted;
                e.counted = true;
                Some(u32::from(count))
            }
        }
    }

    /// Text ids ([`Ids::Rising`]): whether the purchase rows' ids rise through the morsel;
    /// if they do, its first and last purchase rows are its edge (the only rows whose id
    /// another morsel may hold) and its span of ids is kept for [`OrderBitmap::stands`].
    fn rise(&self, rows: &mut [Row], orders: &Keys) -> bool {
        let Ids::Rising(spans) = &self.ids else {
            return true;
        };
        let purchases: Vec<usize> = (0..rows.len())
            .filter(|&j| rows[j].order.is_some() && rows[j].first.is_some())
            .collect();
        let text = |j: usize| rows[j].order.and_then(|o| orders.text(o)).unwrap_or("");
        if purchases.windows(2).any(|w| text(w[0]) >= text(w[1])) {
            return false;
        }
        let (Some(&first), Some(&last)) = (purchases.first(), purchases.last()) else {
            return true;
        };
        let span: (Box<str>, Box<str>) = (text(first).into(), text(last).into());
        let mut spans = spans.lock().unwrap_or_else(|e| e.into_inner());
        // The spans before and after this one, in order, must end and begin where it allows.
        let before = spans.range(..span.clone()).next_back();
        let after = spans.range(span.clone()..).next();
        if before.is_some_and(|b| b.1 > span.0) || after.is_some_and(|a| span.1 > a.0) {
            return false;
        }
        spans.insert(span);
        drop(spans);
        for (j, row) in rows.iter_mut().enumerate() {
            row.edge = j == first || j == last;
        }
        true
    }

    /// The fold of one morsel (columns: order_id as UInt32 offsets or text, the customer's
    /// `keys` (group_by..., customer_id: UInt32 offsets or any type), [`KEPT_MINOR`],
    /// [`PURCHASE_DATE`]) -> one row per run of a customer's rows: the customer's keys, the
    /// minor units, first and last purchase dates, and [`PURCHASE_ORDERS`].
    fn fold(&self, df: &DataFrame, keys: &[PlSmallStr]) -> PolarsResult<DataFrame> {
        let (mut rows, customers, order_keys) = order_rows(df, keys)?;
        if !self.rise(&mut rows, &order_keys) {
            self.conflict.store(true, Ordering::Relaxed);
            polars_bail!(ComputeError: "{CONFLICT}");
        }
        let mut customer: Vec<u32> = Vec::new();
        let mut minor: Vec<i64> = Vec::new();
        let mut first: Vec<Option<i32>> = Vec::new();
        let mut last: Vec<Option<i32>> = Vec::new();
        let mut orders: Vec<u32> = Vec::new();
        for row in &rows {
            let count = match row.order {
                None => 0,
                Some(_) => match self.count(row, &customers, &order_keys) {
                    Some(c) => c,
                    None => {
                        self.conflict.store(true, Ordering::Relaxed);
                        polars_bail!(ComputeError: "{CONFLICT}");
                    }
                },
            };
            if customer.last() == Some(&row.customer) {
                let i = customer.len() - 1;
                minor[i] = minor[i].wrapping_add(row.minor);
                first[i] = combine(first[i], row.first, i32::min);
                last[i] = combine(last[i], row.last, i32::max);
                orders[i] += count;
            } else {
                customer.push(row.customer);
                minor.push(row.minor);
                first.push(row.first);
                last.push(row.last);
                orders.push(count);
            }
        }
        let date = |name: &str, days: Vec<Option<i32>>| {
            Int32Chunked::from_iter_options(name.into(), days.into_iter())
                .into_date()
                .into_column()
        };
        let n = customer.len();
        let mut columns = customers.columns(customer)?;
        columns.extend([
            Int64Chunked::from_vec(KEPT_MINOR.into(), minor).into_column(),
            date(FIRST_ORDER_DATE, first),
            date(LAST_ORDER_DATE, last),
            UInt32Chunked::from_vec(PURCHASE_ORDERS.into(), orders).into_column(),
        ]);
        DataFrame::new(n, columns)
    }
}

/// The bitmap's words for ids 0..=span: 32 ids each.
fn words(span: u32) -> usize {
    span as usize / 32 + 1
}

/// `a` and `b` combined by `f`, a missing one giving way to the other.
fn combine(a: Option<i32>, b: Option<i32>, f: fn(i32, i32) -> i32) -> Option<i32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// The lines of a morsel folded into one row per (order, customer): a line joins one of the
/// last [`LOOKBACK`] rows (the row of the line before it first) when the keys are equal
/// (a null order id equal to a null one), else starts a row. The first and last [`EDGE`]
/// rows are the morsel's edge.
fn order_rows(df: &DataFrame, keys: &[PlSmallStr]) -> PolarsResult<(Vec<Row>, Customers, Keys)> {
    let n = df.height();
    let series =
        |name: &str| Ok::<_, PolarsError>(df.column(name)?.as_materialized_series().rechunk());
    let (order, customer) = (series(ORDER_ID)?, series(CUSTOMER_ID)?);
    let (minor, dates) = (series(KEPT_MINOR)?, series(PURCHASE_DATE)?);
    let mut rows: Vec<Row> = Vec::new();
    if customer.null_count() > 0 {
        polars_bail!(ComputeError: "internal: a line without a customer reached the order fold");
    }
    let (customers, customer_numbers);
    let offsets = keys.len() == 1 && customer.dtype() == &DataType::UInt32;
    let customer: &[u32] = if offsets {
        customers = Customers::Offsets;
        customer.u32()?.downcast_as_array().values().as_slice()
    } else {
        (customers, customer_numbers) = Customers::runs(df, keys)?;
        &customer_numbers
    };
    let (orders, order_numbers) = match order.str() {
        Ok(text) => Keys::recent(text),
        Err(_) => (Keys::Offsets, order.u32()?.clone()),
    };
    let order = order_numbers.downcast_as_array();
    let (o, o_valid) = (order.values().as_slice(), order.validity());
    if n == 0 {
        return Ok((rows, customers, orders));
    }
    let minor = minor.i64()?.downcast_as_array();
    let dates = dates.date()?.physical().downcast_as_array();
    let (m, m_valid) = (minor.values().as_slice(), minor.validity());
    let (d, d_valid) = (dates.values().as_slice(), dates.validity());
    let has_order = |i: usize| o_valid.is_none_or(|b| b.get_bit(i));
    let has_minor = |i: usize| m_valid.is_none_or(|b| b.get_bit(i));
    let has_date = |i: usize| d_valid.is_none_or(|b| b.get_bit(i));
    let mut current = 0;
    for i in 0..n {
        let key = (has_order(i).then_some(o[i]), customer[i]);
        let same = |r: &Row| (r.order, r.customer) == key;
        if i == 0 || !same(&rows[current]) {
            let recent = rows.len().saturating_sub(LOOKBACK)..rows.len();
            current = match recent.rev().find(|&j| same(&rows[j])) {
                Some(j) => j,
                None => {
                    rows.push(Row {
                        order: key.0,
                        customer: key.1,
                        minor: 0,
                        first: None,
                        last: None,
                        edge: false,
                    });
                    rows.len() - 1
                }
            };
        }
        let row = &mut rows[current];
        if has_minor(i) {
            row.minor = row.minor.wrapping_add(m[i]);
        }
        if has_date(i) {
            row.first = combine(row.first, Some(d[i]), i32::min);
            row.last = combine(row.last, Some(d[i]), i32::max);
        }
    }
    let rows_n = rows.len();
    for (j, row) in rows.iter_mut().enumerate() {
        row.edge = j < EDGE || j + EDGE >= rows_n;
    }
    Ok((rows, customers, orders))
}

/// `lines` (order_id as UInt32 offsets or text, the customer's `keys`: group_by... and
/// customer_id, [`KEPT_MINOR`], [`PURCHASE_DATE`]) folded morsel by morsel through `bitmap`:
/// one row per run of a customer's orders, with [`PURCHASE_ORDERS`]. The query fails when the
/// bitmap finds a conflict.
pub(super) fn fold_orders(
    lines: LazyFrame,
    bitmap: Arc<OrderBitmap>,
    keys: Vec<PlSmallStr>,
) -> LazyFrame {
    let names = keys.clone();
    let schema = move |input: &Schema| -> PolarsResult<SchemaRef> {
        let mut fields: Vec<Field> = names
            .iter()
            .map(|k| {
                let dtype = input.get(k).cloned().unwrap_or(DataType::UInt32);
                Field::new(k.clone(), dtype)
            })
            .collect();
        fields.extend([
            Field::new(KEPT_MINOR.into(), DataType::Int64),
            Field::new(FIRST_ORDER_DATE.into(), DataType::Date),
            Field::new(LAST_ORDER_DATE.into(), DataType::Date),
            Field::new(PURCHASE_ORDERS.into(), DataType::UInt32),
        ]);
        Ok(Arc::new(Schema::from_iter(fields)))
    };
    let mut columns = vec![col(ORDER_ID)];
    columns.extend(keys.iter().map(|k| col(k.clone())));
    columns.extend([col(KEPT_MINOR), col(PURCHASE_DATE)]);
    lines.select(columns).map(
        move |df| bitmap.fold(&df, &keys),
        OptFlags::STREAMING,
        Some(Arc::new(schema)),
        Some("count orders where their lines are"),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A line: order id offset (None: no id), customer offset, minor units, purchase day
    /// (None: a return).
    type Line = (Option<u32>, u32, i64, Option<i32>);

    /// Per customer: minor units, first and last purchase day, purchase orders.
    type Totals = BTreeMap<u32, (i64, Option<i32>, Option<i32>, u32)>;

    fn frame(lines: &[Line]) -> DataFrame {
        let days = Int32Chunked::from_iter_options(PURCHASE_DATE.into(), lines.iter().map(|l| l.3));
        DataFrame::new(
            lines.len(),
            vec![
                UInt32Chunked::from_iter_options(ORDER_ID.into(), lines.iter().map(|l| l.0))
                    .into_column(),
                UInt32Chunked::from_vec(CUSTOMER_ID.into(), lines.iter().map(|l| l.1).collect())
                    .into_column(),
                Int64Chunked::from_vec(KEPT_MINOR.into(), lines.iter().map(|l| l.2).collect())
                    .into_column(),
                days.into_date().into_column(),
            ],
        )
        .unwrap()
    }

    /// [`frame`] with text ids: customer `c` as `C000c`, order `o` as `O00000o` (so that
    /// text order is the ids' order).
    fn text_frame(lines: &[Line]) -> DataFrame {
        let mut df = frame(lines);
        let text = |name: &str, ids: Vec<Option<String>>| {
            StringChunked::from_iter_options(name.into(), ids.into_iter()).into_column()
        };
        df.with_column(text(
            ORDER_ID,
            lines
                .iter()
                .map(|l| l.0.map(|o| format!("O{o:06}")))
                .collect(),
        ))
        .unwrap();
        df.with_column(text(
            CUSTOMER_ID,
            lines.iter().map(|l| Some(format!("C{:04}", l.1))).collect(),
        ))
        .unwrap();
        df
    }

    /// The naive totals: every line by its customer; the distinct order ids with a purchase.
    fn naive(lines: &[Line]) -> Totals {
        let mut totals = Totals::new();
        let mut orders: BTreeMap<u32, std::collections::BTreeSet<u32>> = BTreeMap::new();
        for &(order, customer, minor, day) in lines {
            let t = totals.entry(customer).or_insert((0, None, None, 0));
            t.0 += minor;
            t.1 = combine(t.1, day, i32::min);
            t.2 = combine(t.2, day, i32::max);
            if let (Some(o), Some(_)) = (order, day) {
                orders.entry(customer).or_default().insert(o);
            }
        }
        for (customer, ids) in orders {
            totals.get_mut(&customer).unwrap().3 = ids.len() as u32;
        }
        totals
    }

    /// How the ids of [`folded`] are written.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Ids {
        /// Offsets, under a bitmap of this span.
        Offsets(u32),
        /// Text ([`text_frame`]).
        Text,
    }

    /// `lines` cut into morsels of the given sizes, folded through one bitmap by two threads,
    /// the morsels taken in `order`; the folded rows summed per customer. None on a conflict.
    fn folded(lines: &[Line], sizes: &[usize], order: &[usize], ids: Ids) -> Option<Totals> {
        let mut morsels = Vec::new();
        let mut at = 0;
        for &size in sizes {
            let end = (at + size).min(lines.len());
            morsels.push(match ids {
                Ids::Offsets(_) => frame(&lines[at..end]),
                Ids::Text => text_frame(&lines[at..end]),
            });
            at = end;
        }
        assert_eq!(at, lines.len(), "the sizes cover the lines");
        let bitmap = match ids {
            Ids::Offsets(span) => OrderBitmap::new(span),
            Ids::Text => OrderBitmap::rising(),
        };
        let outputs: Vec<PolarsResult<DataFrame>> = std::thread::scope(|s| {
            let handles: Vec<_> = [0, 1]
                .map(|t| {
                    let (bitmap, morsels) = (&bitmap, &morsels);
                    s.spawn(move || {
                        order
                            .iter()
                            .skip(t)
                            .step_by(2)
                            .filter(|&&m| m < morsels.len())
                            .map(|&m| bitmap.fold(&morsels[m], &[CUSTOMER_ID.into()]))
                            .collect::<Vec<_>>()
                    })
                })
                .into_iter()
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut totals = Totals::new();
        for out in outputs {
            let Ok(df) = out else {
                assert!(bitmap.conflict(), "a failed fold is a conflict");
                return None;
            };
            let u32s = |name: &str| df.column(name).unwrap().u32().unwrap().clone();
            let days = |name: &str| df.column(name).unwrap().date().unwrap().physical().clone();
            let customer: UInt32Chunked = match ids {
                Ids::Offsets(_) => u32s(CUSTOMER_ID),
                Ids::Text => df
                    .column(CUSTOMER_ID)
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .map(|c| c.and_then(|c| c.strip_prefix('C')?.parse().ok()))
                    .collect(),
            };
            let orders = u32s(PURCHASE_ORDERS);
            let minor = df.column(KEPT_MINOR).unwrap().i64().unwrap().clone();
            let (first, last) = (days(FIRST_ORDER_DATE), days(LAST_ORDER_DATE));
            for i in 0..df.height() {
                let t = totals
                    .entry(customer.get(i).unwrap())
                    .or_insert((0, None, None, 0));
                t.0 += minor.get(i).unwrap();
                t.1 = combine(t.1, first.get(i), i32::min);
                t.2 = combine(t.2, last.get(i), i32::max);
                t.3 += orders.get(i).unwrap();
            }
        }
        if !bitmap.stands() {
            assert_eq!(
                ids,
                Ids::Text,
                "only text ids are checked once the pass is done"
            );
            return None;
        }
        Some(totals)
    }

    /// A small deterministic generator.
    struct Draw(u64);

    impl Draw {
        fn next(&mut self, m: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % m
        }

        /// Morsel sizes of 1-`most` lines covering `n` lines, and an order to fold them in.
        fn morsels(&mut self, n: usize, most: u64) -> (Vec<usize>, Vec<usize>) {
            let mut sizes = Vec::new();
            let mut covered = 0;
            while covered < n {
                sizes.push(1 + self.next(most) as usize);
                covered += sizes[sizes.len() - 1];
            }
            let mut order: Vec<usize> = (0..sizes.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, self.next(i as u64 + 1) as usize);
            }
            (sizes, order)
        }
    }

    /// Lines as exports list them: customer after customer, order after order, a return
    /// line now and then amid an order's lines (with the order's id, or one of its own, as
    /// the bench data has), and lines without an order id. Ids below 1000; returns' own ids
    /// from 1000.
    fn lines_in_runs(draw: &mut Draw) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut order = 0;
        for customer in 0..1 + draw.next(12) as u32 {
            for _ in 0..1 + draw.next(4) {
                order += 1;
                for _ in 0..1 + draw.next(5) {
                    let minor = draw.next(1000) as i64;
                    let day = draw.next(60) as i32;
                    lines.push(match draw.next(10) {
                        0 => (Some(order), customer, -minor, None),
                        1 => (Some(1000 + order), customer, -minor, None),
                        2 => (None, customer, minor, Some(day)),
                        _ => (Some(order), customer, minor, Some(day)),
                    });
                }
            }
        }
        lines
    }

    #[test]
    fn orders_in_runs_are_counted_exactly_whatever_the_morsels() {
        let mut draw = Draw(0x2545_f491_4f6c_dd1d);
        for _ in 0..300 {
            let lines = lines_in_runs(&mut draw);
            let (sizes, order) = draw.morsels(lines.len(), 30);
            // Text ids rise with the orders; returns' own ids (from 1000) do not, and need
            // not: a row without a purchase counts no order.
            for ids in [Ids::Offsets(2000), Ids::Text] {
                assert_eq!(
                    folded(&lines, &sizes, &order, ids),
                    Some(naive(&lines)),
                    "{ids:?}: {lines:?} in morsels {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn scattered_lines_are_a_conflict_or_counted_exactly() {
        // Order ids drawn from a few (or from more), so that they come back after other
        // orders, and now and then under another customer.
        let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
        let mut conflicts = 0;
        for _ in 0..300 {
            let n = 1 + draw.next(80) as usize;
            let ids = [4, 16, 64, 256][draw.next(4) as usize];
            let lines: Vec<Line> = (0..n)
                .map(|_| {
                    let day = (draw.next(4) > 0).then(|| draw.next(60) as i32);
                    let order = (draw.next(8) > 0).then(|| draw.next(ids) as u32);
                    (order, draw.next(3) as u32, draw.next(100) as i64, day)
                })
                .collect();
            let (sizes, order) = draw.morsels(lines.len(), 40);
            for ids in [Ids::Offsets(255), Ids::Text] {
                match folded(&lines, &sizes, &order, ids) {
                    None => conflicts += 1,
                    Some(totals) => {
                        assert_eq!(totals, naive(&lines), "{ids:?}: {lines:?} in {sizes:?}")
                    }
                }
            }
        }
        assert!(conflicts > 200, "only {conflicts} of 600 conflicted");
    }

    #[test]
    fn the_order_bitmap_stops_the_count_where_it_could_be_wrong() {
        let purchase = |order: u32, customer: u32| (Some(order), customer, 100, Some(1));
        let whole = |lines: &[Line]| folded(lines, &[lines.len()], &[0], Ids::Offsets(99));
        // One order id under two customers, side by side.
        assert_eq!(whole(&[purchase(7, 1), purchase(7, 2)]), None);
        // Order 7 twice inside a morsel, more rows apart than the fold looks back.
        let mut lines: Vec<Line> = (10..16).map(|o| purchase(o, 1)).collect();
        lines.push(purchase(7, 1));
        lines.extend((20..26).map(|o| purchase(o, 1)));
        lines.push(purchase(7, 1));
        lines.extend((30..36).map(|o| purchase(o, 1)));
        assert_eq!(whole(&lines), None);
        // ... and one row when fewer rows come between.
        let near = [
            purchase(7, 1),
            purchase(8, 1),
            purchase(9, 1),
            purchase(7, 1),
        ];
        assert_eq!(whole(&near), Some(naive(&near)));
        assert_eq!(naive(&near)[&1].3, 3);
        // An id past the bitmap (the span the statistics gave, rounded up to 32 ids).
        assert_eq!(whole(&[purchase(128, 1)]), None);
        assert_eq!(whole(&[purchase(127, 1)]), Some(naive(&[purchase(127, 1)])));
        // An order cut by the morsels' edge, a return line with an id of its own between:
        // counted once.
        let cut = [
            purchase(7, 1),
            (Some(8), 1, -40, None),
            purchase(7, 1),
            purchase(9, 1),
        ];
        for sizes in [[1, 3], [2, 2], [3, 1]] {
            assert_eq!(
                folded(&cut, &sizes, &[1, 0], Ids::Offsets(99)),
                Some(naive(&cut))
            );
            assert_eq!(folded(&cut, &sizes, &[1, 0], Ids::Text), Some(naive(&cut)));
        }
        assert_eq!(naive(&cut)[&1], (260, Some(1), Some(1), 2));
        // A return of an old order, rows after it inside the morsel, counts no order and
        // stops nothing.
        let mut old_return: Vec<Line> = (20..25).map(|o| purchase(o, 3)).collect();
        old_return.push(purchase(7, 1));
        old_return.extend((40..46).map(|o| purchase(o, 2)));
        old_return.push((Some(7), 1, -50, None));
        old_return.extend((60..66).map(|o| purchase(o, 3)));
        assert_eq!(whole(&old_return), Some(naive(&old_return)));
        assert_eq!(naive(&old_return)[&1], (50, Some(1), Some(1), 1));
    }

    #[test]
    fn text_order_ids_are_counted_in_place_only_while_they_rise() {
        let purchase = |order: u32, customer: u32| (Some(order), customer, 100, Some(1));
        let text = |lines: &[Line], sizes: &[usize], order: &[usize]| {
            folded(lines, sizes, order, Ids::Text)
        };
        // Rising ids in morsels taken in any order; an order cut by the edge counted once.
        let rising = [
            purchase(1, 1),
            purchase(2, 1),
            purchase(2, 1),
            purchase(3, 2),
            purchase(4, 2),
        ];
        for (sizes, order) in [
            (vec![5], vec![0]),
            (vec![2, 3], vec![1, 0]),
            (vec![1, 1, 1, 1, 1], vec![4, 2, 0, 3, 1]),
        ] {
            assert_eq!(
                text(&rising, &sizes, &order),
                Some(naive(&rising)),
                "{sizes:?}"
            );
        }
        // Falling within a morsel: stopped at once.
        let falling = [purchase(2, 1), purchase(1, 1)];
        assert_eq!(text(&falling, &[2], &[0]), None);
        // Each morsel rising, their spans overlapping: stopped by the morsel that overlaps,
        // whichever comes first.
        let overlap = [
            purchase(1, 1),
            purchase(3, 1),
            purchase(2, 1),
            purchase(4, 1),
        ];
        assert_eq!(text(&overlap, &[2, 2], &[0, 1]), None);
        let keys = [PlSmallStr::from(CUSTOMER_ID)];
        for (first, second) in [(0..2, 2..4), (2..4, 0..2)] {
            let bitmap = OrderBitmap::rising();
            assert!(bitmap.fold(&text_frame(&overlap[first]), &keys).is_ok());
            assert!(bitmap.fold(&text_frame(&overlap[second]), &keys).is_err());
            assert!(
                bitmap.conflict(),
                "the overlap is found before the pass is done"
            );
        }
        // Order 2 at both morsels' edges but under two customers.
        let shared = [
            purchase(1, 1),
            purchase(2, 1),
            purchase(2, 2),
            purchase(3, 2),
        ];
        assert_eq!(text(&shared, &[2, 2], &[1, 0]), None);
        // The same order ids under offsets count alike whatever their order.
        assert_eq!(
            folded(&overlap, &[2, 2], &[0, 1], Ids::Offsets(9)),
            Some(naive(&overlap))
        );
    }

    #[test]
    fn a_morsel_folds_to_one_row_per_run_of_a_customers_orders() {
        // Customer 1: order 7 with a return line (id 8) amid it and a line without an id;
        // customer 2: order 9, then a return only (order 10). Customer 1 comes back.
        let lines: [Line; 8] = [
            (Some(7), 1, 50, Some(3)),
            (Some(8), 1, -20, None),
            (Some(7), 1, 30, Some(5)),
            (None, 1, 5, Some(9)),
            (Some(9), 2, 10, Some(4)),
            (Some(10), 2, -10, None),
            (Some(11), 1, 1, Some(2)),
            (Some(11), 1, 1, Some(2)),
        ];
        let bitmap = OrderBitmap::new(20);
        let out = bitmap.fold(&frame(&lines), &[CUSTOMER_ID.into()]).unwrap();
        let (rows, _, _) = order_rows(&frame(&lines), &[CUSTOMER_ID.into()]).unwrap();
        assert_eq!(rows.len(), 6, "{rows:?}");
        assert!(
            rows.iter().all(|r| r.edge),
            "six rows are all within the edges"
        );
        let customers: Vec<u32> = out
            .column(CUSTOMER_ID)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let orders: Vec<u32> = out
            .column(PURCHASE_ORDERS)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let minor: Vec<i64> = out
            .column(KEPT_MINOR)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(customers, [1, 2, 1]);
        assert_eq!(orders, [1, 1, 1]);
        assert_eq!(minor, [65, 0, 2]);
        // Past the lookback, a key starts a row again.
        let far: Vec<Line> = [7, 1, 2, 3, 4, 7]
            .map(|o| (Some(o), 1, 1, Some(1)))
            .to_vec();
        assert_eq!(
            order_rows(&frame(&far), &[CUSTOMER_ID.into()])
                .unwrap()
                .0
                .len(),
            6
        );
        let near: Vec<Line> = [7, 1, 2, 3, 7].map(|o| (Some(o), 1, 1, Some(1))).to_vec();
        assert_eq!(
            order_rows(&frame(&near), &[CUSTOMER_ID.into()])
                .unwrap()
                .0
                .len(),
            4
        );
        // An empty morsel folds to no rows, with the columns.
        let empty = bitmap.fold(&frame(&[]), &[CUSTOMER_ID.into()]).unwrap();
        assert_eq!((empty.height(), empty.width()), (0, 5));
    }
}
