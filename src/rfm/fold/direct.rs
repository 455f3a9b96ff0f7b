//! Customers addressed by their id: each line adds into its customer's slot of an array
//! indexed by the customer's 32-bit offset, with no hash table and no group-by.
//!
//! Integer customer ids whose span the Parquet statistics give travel as offsets 0..=span
//! ([`super::narrow`]); where the slots for that span take less memory than a group-by would,
//! the fold reads each morsel once and adds each line into its slot: minor units, first and
//! last purchase date, and the frequency. Purchase lines count themselves (`frequency:
//! lines`) or their order (`frequency: orders`), whose first purchase line claims it for its
//! (group, customer) in one shared array of owners indexed by the order id's offset: a later
//! purchase line of the order counts nothing, one of another customer (or group) is an order
//! id shared between customers and stops the query (the pass is then folded by customer and
//! order). The lines may come in any order: every step is a sum, a min, a max or a claim.
//!
//! With one integer group column (whose span the statistics give too), a slot belongs to the
//! group of its customer's first line; a line of the customer in another group is added into
//! a small table of (group, customer) rows beside the slots (a customer who bought in two
//! stores). Each thread of the scan folds into slots and a table of its own (taken from a
//! pool, so no two morsels write the same slots at once); they are added together once the
//! scan ends, and the customers come out in id order (with groups, each customer's other
//! groups after them).

use polars::prelude::PlHashMap as HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::columns::{
    CUSTOMER_ID, FIRST_ORDER_DATE, FREQUENCY, LAST_ORDER_DATE, ORDER_ID, SUM_MINOR,
};
use crate::settings::Frequency;

use super::adjacent::{KEPT_MINOR, PURCHASE_DATE};

/// What the query error says when an order id holds purchases of two customers.
const SHARED: &str = "an order id holds purchases of two customers";
/// What the query error says when an offset lies beyond the span the statistics gave.
const OUTSIDE: &str = "an id lies outside its file's statistics";

/// A slot's group code for no line yet; 1 is the null group, 2 + offset a group value.
const UNSEEN: u32 = 0;
const NULL_GROUP: u32 = 1;

/// One (group, customer)'s running totals.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Sum of the kept minor units (wrapping: the checked sums keep every total in 64 bits).
    minor: i64,
    /// First and last purchase day (i32::MAX and i32::MIN before any purchase).
    first: i32,
    last: i32,
    /// Purchase lines, or orders claimed.
    count: u32,
    /// The group code ([`UNSEEN`] for no line; without group_by, every line's is
    /// [`NULL_GROUP`]).
    group: u32,
}

const EMPTY: Slot = Slot {
    minor: 0,
    first: i32::MAX,
    last: i32::MIN,
    count: 0,
    group: UNSEEN,
};

impl Slot {
    /// Add another slot's totals of the same (group, customer).
    fn add(&mut self, other: &Slot) {
        self.minor = self.minor.wrapping_add(other.minor);
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
    }

    /// Whether a purchase was added (a purchase on any day moves first or last).
    fn purchased(&self) -> bool {
        self.first != i32::MAX || self.last != i32::MIN
    }
}

/// One morsel's worth of work at a time: a thread's slots, and its (group, customer) rows
/// of customers' other groups.
struct Part {
    slots: Vec<Slot>,
    others: HashMap<(u32, u32), Slot>,
}

/// Per order id offset: who claimed it.
enum Owners {
    /// Without group_by: the customer's offset + 1 (0: unclaimed).
    Customers(Vec<AtomicU32>),
    /// With one group column: (customer offset + 1) << 32 | group code (0: unclaimed).
    Keys(Vec<AtomicU64>),
}

/// The integer group column the slots carry: its name, its type and the smallest value and
/// span the statistics give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Group {
    pub name: PlSmallStr,
    pub dtype: DataType,
    pub lo: i64,
    pub span: u32,
}

/// The direct fold of one pass: its pool of slots and, with `frequency: orders`, the owners.
pub(super) struct Direct {
    /// Customer offsets 0..=span.
    span: u32,
    group: Option<Group>,
    owners: Option<Owners>,
    /// Parts not in use by a morsel.
    idle: Mutex<Vec<Part>>,
    /// Set when an order id held purchases of two customers (the query stopped for it).
    shared: AtomicBool,
    /// Set when an offset lay beyond its span (the query stopped for it).
    outside: Arc<AtomicBool>,
}

impl Direct {
    /// Whether the direct fold can run: `frequency: lines` or `orders` (with order ids carried
    /// in 32 bits), customer offsets over `span` (from the statistics).
    pub fn applies(frequency: Frequency, customer: Option<u32>, order: Option<u32>) -> bool {
        let customer = customer.is_some_and(|span| span < u32::MAX);
        match frequency {
            Frequency::Lines => customer,
            Frequency::Orders => customer && order.is_some(),
            Frequency::Days => false,
        }
    }

    /// Bytes the fold holds at least: a slot per customer offset for each of `threads`
    /// morsels folded at once, and an owner per order id offset (twice as wide with a
    /// group column). Customers' other groups come on top.
    pub fn bytes(customer: u32, order: Option<u32>, grouped: bool, threads: usize) -> u64 {
        let slots = (u64::from(customer) + 1) * std::mem::size_of::<Slot>() as u64;
        let owner = if grouped { 8 } else { 4 };
        let owners = order.map_or(0, |span| (u64::from(span) + 1) * owner);
        slots * threads as u64 + owners
    }

    /// A fold over customer offsets 0..=`customer` (and, counting orders, order offsets
    /// 0..=`order`) in `group`'s groups, if any; `outside` is set when an offset or a group
    /// value lies beyond them.
    pub fn new(
        customer: u32,
        order: Option<u32>,
        group: Option<Group>,
        outside: Arc<AtomicBool>,
    ) -> Direct {
        let owners = order.map(|span| match group {
            None => Owners::Customers((0..=span).map(|_| AtomicU32::new(0)).collect()),
            Some(_) => Owners::Keys((0..=span).map(|_| AtomicU64::new(0)).collect()),
        });
        Direct {
            span: customer,
            group,
            owners,
            idle: Mutex::new(Vec::new()),
            shared: AtomicBool::new(false),
            outside,
        }
    }

    /// Whether an order id shared between customers stopped the query.
    pub fn shared(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }

    /// The columns a morsel must hold: the group column (if any), customer_id as UInt32
    /// offsets, [`KEPT_MINOR`], [`PURCHASE_DATE`] and, counting orders, order_id as UInt32
    /// offsets.
    fn columns(&self) -> Vec<PlSmallStr> {
        let mut names: Vec<PlSmallStr> = self.group.iter().map(|g| g.name.clone()).collect();
        names.extend([CUSTOMER_ID, KEPT_MINOR, PURCHASE_DATE].map(PlSmallStr::from));
        if self.owners.is_some() {
            names.push(ORDER_ID.into());
        }
        names
    }

    /// Fold one morsel ([`Direct::columns`]) into a pool's part.
    fn fold(&self, df: &DataFrame) -> PolarsResult<()> {
        if df.height() == 0 {
            return Ok(());
        }
        let series = |name: &str| -> PolarsResult<Series> {
            Ok(df.column(name)?.as_materialized_series().rechunk())
        };
        let (customer, minor, day) = (
            series(CUSTOMER_ID)?,
            series(KEPT_MINOR)?,
            series(PURCHASE_DATE)?,
        );
        let customer = customer.u32()?.downcast_as_array();
        let minor = minor.i64()?.downcast_as_array();
        let day = day.date()?.physical().downcast_as_array();
        let order = match self.owners {
            Some(_) => Some(series(ORDER_ID)?),
            None => None,
        };
        let order = match &order {
            Some(s) => Some(s.u32()?.downcast_as_array()),
            None => None,
        };
        let c = customer.values().as_slice();
        if c.iter().any(|&c| c > self.span) {
            self.outside.store(true, Ordering::Relaxed);
            polars_bail!(ComputeError: "{OUTSIDE}");
        }
        let groups = match &self.group {
            None => vec![NULL_GROUP; c.len()],
            Some(g) => self.group_codes(&series(&g.name)?, g)?,
        };
        let mut part = self.take();
        let result = self.fold_into(
            &mut part,
            c,
            &groups,
            (minor.values().as_slice(), |i| {
                minor.validity().is_none_or(|v| v.get_bit(i))
            }),
            (day.values().as_slice(), |i| {
                day.validity().is_none_or(|v| v.get_bit(i))
            }),
            order.map(|o| {
                (o.values().as_slice(), move |i| {
                    o.validity().is_none_or(|v| v.get_bit(i))
                })
            }),
        );
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(part);
        result
    }

    /// The group code of each line: [`NULL_GROUP`] for null, 2 + the value's offset from the
    /// smallest the statistics give; a value outside their span stops the query.
    fn group_codes(&self, values: &Series, group: &Group) -> PolarsResult<Vec<u32>> {
        let values = values.cast(&DataType::Int64)?;
        let mut outside = false;
        let codes = values
            .i64()?
            .iter()
            .map(|v| match v {
                None => NULL_GROUP,
                Some(v) => {
                    let d = i128::from(v) - i128::from(group.lo);
                    if (0..=i128::from(group.span)).contains(&d) {
                        d as u32 + 2
                    } else {
                        outside = true;
                        NULL_GROUP
                    }
                }
            })
            .collect();
        if outside {
            self.outside.store(true, Ordering::Relaxed);
            polars_bail!(ComputeError: "{OUTSIDE}");
        }
        Ok(codes)
    }

    /// Add each line into `part`: its customer's offset and group code, its kept minor units
    /// and purchase day (each with whether row `i` holds a value) and, counting orders, its
    /// order offset.
    fn fold_into(
        &self,
        part: &mut Part,
        customers: &[u32],
        groups: &[u32],
        (m, m_valid): (&[i64], impl Fn(usize) -> bool),
        (d, d_valid): (&[i32], impl Fn(usize) -> bool),
        order: Option<(&[u32], impl Fn(usize) -> bool)>,
    ) -> PolarsResult<()> {
        for (i, (&c, &g)) in customers.iter().zip(groups).enumerate() {
            let mut line = EMPTY;
            if m_valid(i) {
                line.minor = m[i];
            }
            if d_valid(i) {
                line.first = d[i];
                line.last = d[i];
                line.count = match &order {
                    None => 1,
                    Some((o, o_valid)) if o_valid(i) => self.claim(o[i], c, g)?,
                    // A purchase line without an order id counts no order.
                    Some(_) => 0,
                };
            }
            let slot = &mut part.slots[c as usize];
            if slot.group == UNSEEN {
                slot.group = g;
            }
            if slot.group == g {
                slot.add(&line);
            } else {
                let other = part
                    .others
                    .entry((g, c))
                    .or_insert(Slot { group: g, ..EMPTY });
                other.add(&line);
            }
        }
        Ok(())
    }

    /// Whether a purchase line of (customer `c`, group `g`) counts order `o` (1) or not (0,
    /// claimed by it before); an order claimed by another customer or group stops the query.
    fn claim(&self, o: u32, c: u32, g: u32) -> PolarsResult<u32> {
        let claim = match &self.owners {
            None => return Ok(1),
            Some(Owners::Customers(owners)) => owners.get(o as usize).map(|w| claim32(w, c + 1)),
            Some(Owners::Keys(owners)) => owners
                .get(o as usize)
                .map(|w| claim64(w, (u64::from(c) + 1) << 32 | u64::from(g))),
        };
        match claim {
            Some(Claim::First) => Ok(1),
            Some(Claim::Again) => Ok(0),
            Some(Claim::Taken) => {
                self.shared.store(true, Ordering::Relaxed);
                polars_bail!(ComputeError: "{SHARED}")
            }
            None => {
                self.outside.store(true, Ordering::Relaxed);
                polars_bail!(ComputeError: "{OUTSIDE}")
            }
        }
    }

    /// A part no morsel is using, or a new one.
    fn take(&self) -> Part {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        idle.unwrap_or_else(|| Part {
            slots: vec![EMPTY; self.span as usize + 1],
            others: HashMap::default(),
        })
    }

    /// Once the scan is done: one row per (group, customer) with a line: the group column
    /// (if any), customer_id (UInt32 offsets), [`SUM_MINOR`], first and last purchase dates
    /// (null without a purchase) and [`FREQUENCY`] (Int64). The customers' slots come in
    /// offset order, then the customers' other groups.
    pub fn customers(&self) -> PolarsResult<DataFrame> {
        let mut pool = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        let Some(mut total) = pool.pop() else {
            return Ok(DataFrame::empty_with_schema(&self.schema()));
        };
        let other = |others: &mut HashMap<(u32, u32), Slot>, key: (u32, u32), s: &Slot| {
            others
                .entry(key)
                .or_insert(Slot {
                    group: key.0,
                    ..EMPTY
                })
                .add(s)
        };
        for part in pool {
            for (c, s) in part.slots.iter().enumerate() {
                let t = &mut total.slots[c];
                if s.group == UNSEEN {
                    continue;
                } else if t.group == UNSEEN {
                    *t = *s;
                } else if t.group == s.group {
                    t.add(s);
                } else {
                    other(&mut total.others, (s.group, c as u32), s);
                }
            }
            for (key, s) in &part.others {
                other(&mut total.others, *key, s);
            }
        }
        let mut extra: Vec<(u32, Slot)> = Vec::new();
        for ((g, c), s) in total.others.drain() {
            let t = &mut total.slots[c as usize];
            if t.group == g {
                t.add(&s);
            } else {
                extra.push((c, s));
            }
        }
        extra.sort_by_key(|(c, s)| (*c, s.group));
        let rows = total
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.group != UNSEEN)
            .map(|(c, s)| (c as u32, *s))
            .chain(extra);
        let n = total.slots.iter().filter(|s| s.group != UNSEEN).count();
        let mut group = Vec::new();
        let mut customer = Vec::with_capacity(n);
        let mut minor = Vec::with_capacity(n);
        let mut first = Vec::with_capacity(n);
        let mut last = Vec::with_capacity(n);
        let mut count = Vec::with_capacity(n);
        for (c, s) in rows {
            if let Some(g) = &self.group {
                group.push((s.group != NULL_GROUP).then(|| g.lo + i64::from(s.group - 2)));
            }
            customer.push(c);
            minor.push(s.minor);
            first.push(s.purchased().then_some(s.first));
            last.push(s.purchased().then_some(s.last));
            count.push(i64::from(s.count));
        }
        drop(total);
        let date = |name: &str, days: Vec<Option<i32>>| {
            Int32Chunked::from_iter_options(name.into(), days.into_iter())
                .into_date()
                .into_column()
        };
        let height = customer.len();
        let mut columns = Vec::with_capacity(6);
        if let Some(g) = &self.group {
            let values = Int64Chunked::from_iter_options(g.name.clone(), group.into_iter());
            columns.push(values.into_series().strict_cast(&g.dtype)?.into_column());
        }
        columns.extend([
            UInt32Chunked::from_vec(CUSTOMER_ID.into(), customer).into_column(),
            Int64Chunked::from_vec(SUM_MINOR.into(), minor).into_column(),
            date(FIRST_ORDER_DATE, first),
            date(LAST_ORDER_DATE, last),
            Int64Chunked::from_vec(FREQUENCY.into(), count).into_column(),
        ]);
        DataFrame::new(height, columns)
    }

    /// The customers' schema [`Direct::customers`] gives.
    fn schema(&self) -> Schema {
        let mut fields: Vec<Field> = self
            .group
            .iter()
            .map(|g| Field::new(g.name.clone(), g.dtype.clone()))
            .collect();
        fields.extend([
            Field::new(CUSTOMER_ID.into(), DataType::UInt32),
            Field::new(SUM_MINOR.into(), DataType::Int64),
            Field::new(FIRST_ORDER_DATE.into(), DataType::Date),
            Field::new(LAST_ORDER_DATE.into(), DataType::Date),
            Field::new(FREQUENCY.into(), DataType::Int64),
        ]);
        Schema::from_iter(fields)
    }
}

/// How a purchase line found its order's owner.
enum Claim {
    /// Unclaimed: now its (group, customer)'s, and counted.
    First,
    /// Already its (group, customer)'s.
    Again,
    /// Another (group, customer)'s.
    Taken,
}

fn claim32(owner: &AtomicU32, me: u32) -> Claim {
    if owner.load(Ordering::Relaxed) == me {
        return Claim::Again;
    }
    match owner.compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => Claim::First,
        Err(other) if other == me => Claim::Again,
        Err(_) => Claim::Taken,
    }
}

fn claim64(owner: &AtomicU64, me: u64) -> Claim {
    if owner.load(Ordering::Relaxed) == me {
        return Claim::Again;
    }
    match owner.compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => Claim::First,
        Err(other) if other == me => Claim::Again,
        Err(_) => Claim::Taken,
    }
}

/// `lines` ([`Direct::columns`]) folded morsel by morsel into `direct`. The query gives no
/// rows ([`Direct::customers`] does, once it has run); it fails when an order id is shared
/// or an offset or a group value lies beyond its span.
pub(super) fn fold_direct(lines: LazyFrame, direct: Arc<Direct>) -> LazyFrame {
    let columns: Vec<Expr> = direct.columns().into_iter().map(col).collect();
    let out = Arc::new(direct.schema());
    let empty = out.clone();
    lines.select(columns).map(
        move |df| {
            direct.fold(&df)?;
            Ok(DataFrame::empty_with_schema(&empty))
        },
        OptFlags::STREAMING,
        Some(Arc::new(move |_: &Schema| Ok(out.clone()))),
        Some("add each line into its customer's slot"),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// A line: group value (None: null), customer offset, order id offset (None: no id), kept
    /// minor units (None: an excluded return), purchase day (None: a return).
    type Line = (Option<i32>, u32, Option<u32>, Option<i64>, Option<i32>);

    /// Per (group, customer): minor units, first and last purchase day, frequency.
    type Totals = BTreeMap<(Option<i64>, u32), (i64, Option<i32>, Option<i32>, i64)>;

    const GROUP: &str = "store";

    /// The group column of stores -3..=5 (span 8 from -3).
    fn stores() -> Group {
        Group {
            name: GROUP.into(),
            dtype: DataType::Int32,
            lo: -3,
            span: 8,
        }
    }

    fn frame(lines: &[Line]) -> DataFrame {
        let days = Int32Chunked::from_iter_options(PURCHASE_DATE.into(), lines.iter().map(|l| l.4))
            .into_date()
            .into_column();
        DataFrame::new(
            lines.len(),
            vec![
                Int32Chunked::from_iter_options(GROUP.into(), lines.iter().map(|l| l.0))
                    .into_column(),
                UInt32Chunked::from_vec(CUSTOMER_ID.into(), lines.iter().map(|l| l.1).collect())
                    .into_column(),
                UInt32Chunked::from_iter_options(ORDER_ID.into(), lines.iter().map(|l| l.2))
                    .into_column(),
                Int64Chunked::from_iter_options(KEPT_MINOR.into(), lines.iter().map(|l| l.3))
                    .into_column(),
                days,
            ],
        )
        .unwrap()
    }

    /// What a group-by over (group, customer) (and over (group, customer, order) for the
    /// orders) gives; without groups, every line's group is null.
    fn naive(lines: &[Line], orders: bool, grouped: bool) -> Totals {
        let mut totals = Totals::new();
        let mut counted = BTreeSet::new();
        for &(g, c, o, m, d) in lines {
            let g = g.filter(|_| grouped).map(i64::from);
            let t = totals.entry((g, c)).or_insert((0, None, None, 0));
            t.0 += m.unwrap_or(0);
            let Some(d) = d else { continue };
            t.1 = Some(t.1.map_or(d, |f| f.min(d)));
            t.2 = Some(t.2.map_or(d, |l| l.max(d)));
            match (orders, o) {
                (false, _) => t.3 += 1,
                (true, Some(o)) if counted.insert((g, c, o)) => t.3 += 1,
                _ => {}
            }
        }
        totals
    }

    /// The rows [`Direct::customers`] gave, checking that the customers' slots come in
    /// offset order and no (group, customer) comes twice.
    fn totals(df: &DataFrame) -> Totals {
        let groups: Vec<Option<i64>> = match df.column(GROUP) {
            Ok(g) => g
                .cast(&DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .iter()
                .collect(),
            Err(_) => vec![None; df.height()],
        };
        let c = df.column(CUSTOMER_ID).unwrap().u32().unwrap().clone();
        let m = df.column(SUM_MINOR).unwrap().i64().unwrap().clone();
        let date = |name: &str| df.column(name).unwrap().date().unwrap().physical().clone();
        let (first, last) = (date(FIRST_ORDER_DATE), date(LAST_ORDER_DATE));
        let f = df.column(FREQUENCY).unwrap().i64().unwrap().clone();
        let ids: Vec<u32> = c.into_no_null_iter().collect();
        let rows: Totals = groups
            .into_iter()
            .zip(ids.iter().copied())
            .zip(m.into_no_null_iter())
            .zip(first.iter().zip(last.iter()))
            .zip(f.into_no_null_iter())
            .map(|((((g, c), m), (first, last)), f)| ((g, c), (m, first, last, f)))
            .collect();
        assert_eq!(rows.len(), ids.len(), "a (group, customer) came twice");
        let slots: BTreeSet<u32> = ids.iter().copied().collect();
        assert!(
            ids[..slots.len()].windows(2).all(|w| w[0] < w[1]),
            "the slots in offset order"
        );
        rows
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
    }

    /// Lines in no order: each order id belongs to one store and customer, customers buy in
    /// several stores (and in none: a null store), returns and excluded returns among them,
    /// purchases without an order id.
    fn lines(draw: &mut Draw, customers: u32, orders: u32) -> Vec<Line> {
        let owner = |o: u32| o * 7 % customers;
        let store = |o: u32| [None, Some(-3), Some(0), Some(5)][(o % 4) as usize];
        (0..draw.next(200))
            .map(|_| {
                let o = draw.next(u64::from(orders)) as u32;
                let minor = draw.next(1000) as i64;
                let day = draw.next(90) as i32 - 30;
                let (g, c) = (store(o), owner(o));
                match draw.next(10) {
                    0 => (g, c, Some(o), Some(-minor), None),
                    1 => (g, c, Some(o), None, None),
                    2 => (
                        store(draw.next(4) as u32),
                        draw.next(u64::from(customers)) as u32,
                        None,
                        Some(minor),
                        Some(day),
                    ),
                    _ => (g, c, Some(o), Some(minor), Some(day)),
                }
            })
            .collect()
    }

    /// Fold `lines` in morsels of 1-`most` lines, from two threads at once.
    fn folded(lines: &[Line], direct: &Direct, draw: &mut Draw, most: u64) -> PolarsResult<()> {
        let mut morsels = Vec::new();
        let mut at = 0;
        while at < lines.len() {
            let n = (1 + draw.next(most) as usize).min(lines.len() - at);
            morsels.push(frame(&lines[at..at + n]));
            at += n;
        }
        let (even, odd): (Vec<_>, Vec<_>) =
            morsels.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        std::thread::scope(|s| {
            let a = s.spawn(|| even.iter().try_for_each(|(_, m)| direct.fold(m)));
            let b = s.spawn(|| odd.iter().try_for_each(|(_, m)| direct.fold(m)));
            a.join().unwrap().and(b.join().unwrap())
        })
    }

    #[test]
    fn lines_in_any_order_and_morsels_add_up_to_a_group_by() {
        let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
        for case in 0..600 {
            let (customers, orders) = (1 + draw.next(20) as u32, 1 + draw.next(40) as u32);
            let lines = lines(&mut draw, customers, orders);
            let (counting_orders, grouped) = (case % 2 == 0, case % 4 < 2);
            let direct = Direct::new(
                customers - 1,
                counting_orders.then_some(orders - 1),
                grouped.then(stores),
                Arc::new(AtomicBool::new(false)),
            );
            folded(&lines, &direct, &mut draw, 17).unwrap();
            let got = direct.customers().unwrap();
            assert_eq!(got.column(GROUP).is_ok(), grouped);
            assert_eq!(
                totals(&got),
                naive(&lines, counting_orders, grouped),
                "case {case}: {lines:?}"
            );
        }
    }

    #[test]
    fn the_group_column_keeps_its_type_and_nulls() {
        let direct = Direct::new(2, None, Some(stores()), Arc::new(AtomicBool::new(false)));
        direct
            .fold(&frame(&[
                (Some(5), 2, None, Some(1), Some(1)),
                (None, 2, None, Some(2), Some(2)),
                (Some(-3), 0, None, Some(3), Some(3)),
            ]))
            .unwrap();
        let got = direct.customers().unwrap();
        assert_eq!(got.column(GROUP).unwrap().dtype(), &DataType::Int32);
        let groups: Vec<Option<i32>> = got.column(GROUP).unwrap().i32().unwrap().iter().collect();
        // Customer 0's slot, customer 2's slot (store 5, its first line), then its null store.
        assert_eq!(groups, [Some(-3), Some(5), None]);
        // No line at all: no rows, the same columns.
        let none = Direct::new(2, Some(3), Some(stores()), Arc::new(AtomicBool::new(false)));
        assert_eq!(none.customers().unwrap().schema(), got.schema());
    }

    #[test]
    fn an_order_with_purchases_of_two_customers_or_groups_stops_the_fold() {
        let outside = Arc::new(AtomicBool::new(false));
        // Order 3: a purchase of customer 0, a return of customer 1 (it claims nothing).
        let ok = [
            (Some(0), 0, Some(3), Some(5), Some(1)),
            (Some(0), 1, Some(3), Some(-5), None),
        ];
        for (grouped, later) in [
            (false, (Some(0), 1, Some(3), Some(2), Some(2))),
            (true, (Some(0), 1, Some(3), Some(2), Some(2))),
            // The same customer's purchase of order 3 in another store, or in none.
            (true, (Some(1), 0, Some(3), Some(2), Some(2))),
            (true, (None, 0, Some(3), Some(2), Some(2))),
        ] {
            let direct = Direct::new(1, Some(5), grouped.then(stores), outside.clone());
            direct.fold(&frame(&ok)).unwrap();
            assert!(!direct.shared());
            // ... then the later purchase in another morsel.
            let err = direct.fold(&frame(&[later])).unwrap_err();
            assert!(err.to_string().contains(SHARED), "{err}");
            assert!(direct.shared());
            assert!(!outside.load(Ordering::Relaxed));
        }
        // Without groups the store is not read; counting lines, order ids are not read.
        let lines = Direct::new(1, None, None, outside.clone());
        lines
            .fold(&frame(&[
                ok[0],
                ok[1],
                (Some(1), 1, Some(3), Some(2), Some(2)),
            ]))
            .unwrap();
        assert_eq!(
            totals(&lines.customers().unwrap())[&(None, 1)],
            (-3, Some(2), Some(2), 1)
        );
    }

    #[test]
    fn an_offset_or_a_group_beyond_its_span_stops_the_fold() {
        for line in [
            (Some(0), 4, Some(1), Some(1), Some(1)),
            (Some(0), 1, Some(6), Some(1), Some(1)),
            (Some(6), 1, Some(1), Some(1), Some(1)),
            (Some(-4), 1, Some(1), Some(1), Some(1)),
        ] {
            let outside = Arc::new(AtomicBool::new(false));
            let direct = Direct::new(3, Some(5), Some(stores()), outside.clone());
            let first = (Some(0), 0, Some(0), Some(1), Some(1));
            let err = direct.fold(&frame(&[first, line])).unwrap_err();
            assert!(err.to_string().contains(OUTSIDE), "{err}");
            assert!(outside.load(Ordering::Relaxed) && !direct.shared());
        }
        // The last offsets of every span are slots.
        let direct = Direct::new(3, Some(5), Some(stores()), Arc::new(AtomicBool::new(false)));
        direct
            .fold(&frame(&[(Some(5), 3, Some(5), Some(1), Some(1))]))
            .unwrap();
        assert_eq!(direct.customers().unwrap().height(), 1);
    }
}
