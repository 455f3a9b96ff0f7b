//! The customers snapshot and the snapshot of the customers changed since it, both in output
//! order with one row per key, merged by one walk over both: each key's row from either frame
//! or both, the values combined as [`rollup::merged_values`] combines them (sums and
//! frequencies added, the earlier first purchase, the later last). One integer key without
//! nulls (customer_id without group_by) is compared as a number; other keys as polars' row
//! encoding of the key columns for sorting (nulls last), which orders bytewise as the output
//! is sorted. Keys whose encoding is not the value alone (floats, categoricals,
//! nested types), or a frame not strictly in order (a state written before its snapshot was
//! kept sorted), are merged by a join and a sort instead.

use std::cmp::Ordering;

use polars::chunked_array::ops::row_encode::_get_rows_encoded_ca;
use polars::prelude::*;

use crate::columns::*;
use crate::pipeline::order;
use crate::rfm::fold::rollup;
use crate::settings::Analysis;

/// `snapshot` with `changes` (the snapshot of the rows folded since it) merged in, in output
/// order.
pub(super) fn merged(
    snapshot: DataFrame,
    changes: &DataFrame,
    analysis: &Analysis,
) -> PolarsResult<DataFrame> {
    let mut keys: Vec<&str> = analysis.group_by.iter().map(String::as_str).collect();
    keys.push(CUSTOMER_ID);
    if let Some(merged) = walk(&snapshot, changes, &keys)? {
        return Ok(merged);
    }
    let current =
        rollup::merge_snapshots(snapshot.lazy(), changes.clone().lazy(), analysis).collect()?;
    order::sort(current, &analysis.group_by)
}

/// The walk over `a` and `b`; None where it does not apply.
fn walk(a: &DataFrame, b: &DataFrame, keys: &[&str]) -> PolarsResult<Option<DataFrame>> {
    for key in keys {
        let dtype = a.column(key)?.dtype();
        if dtype != b.column(key)?.dtype() || !encodes_by_value(dtype) {
            return Ok(None);
        }
    }
    let (va, vb) = (Values::of(a)?, Values::of(b)?);
    let (n, m) = (a.height(), b.height());
    let (out, mut frame) = match (whole_numbers(a, keys)?, whole_numbers(b, keys)?) {
        // One integer key without nulls (customer_id without group_by): compared as numbers.
        (Some(ka), Some(kb)) => {
            if !ka.is_sorted_by(|x, y| x < y) || !kb.is_sorted_by(|x, y| x < y) {
                return Ok(None);
            }
            let out = walked(n, m, |i, j| ka[i].cmp(&kb[j]), &va, &vb);
            let ids: Vec<i64> = out
                .rows
                .iter()
                .map(|&r| match (r as usize).checked_sub(n) {
                    None => ka[r as usize],
                    Some(j) => kb[j],
                })
                .collect();
            let dtype = a.column(keys[0])?.dtype().clone();
            let ids = Int64Chunked::from_vec(keys[0].into(), ids)
                .into_series()
                .strict_cast(&dtype)?;
            let frame = DataFrame::new(ids.len(), vec![ids.into_column()])?;
            (out, frame)
        }
        _ => {
            let (ka, kb) = (encoded(a, keys)?, encoded(b, keys)?);
            if !strictly_rising(&ka) || !strictly_rising(&kb) {
                return Ok(None);
            }
            let (ka_rows, kb_rows) = (one_chunk(&ka), one_chunk(&kb));
            let mut out = walked(
                n,
                m,
                |i, j| ka_rows.value(i).cmp(kb_rows.value(j)),
                &va,
                &vb,
            );
            drop((ka, kb));
            let rows = std::mem::take(&mut out.rows);
            let mut key_rows = a.select(keys.iter().copied())?;
            key_rows.vstack_mut(&b.select(keys.iter().copied())?)?;
            key_rows.rechunk_mut();
            let frame = key_rows.take(&IdxCa::from_vec(PlSmallStr::EMPTY, rows))?;
            (out, frame)
        }
    };
    // A day outside 32 bits is the sentinel of no purchase.
    let dates = |name: &str, days: Vec<i64>| {
        Int32Chunked::from_iter_options(
            name.into(),
            days.into_iter().map(|d| i32::try_from(d).ok()),
        )
        .into_date()
        .into_series()
    };
    let columns = [
        Int64Chunked::from_vec(SUM_MINOR.into(), out.sum).into_series(),
        dates(FIRST_ORDER_DATE, out.first),
        dates(LAST_ORDER_DATE, out.last),
        Int64Chunked::from_vec(FREQUENCY.into(), out.frequency).into_series(),
    ];
    for column in columns {
        frame.with_column(column.into_column())?;
    }
    Ok(Some(frame))
}

/// Rows `0..n` of one frame and `0..m` of the other merged in key order (`cmp(i, j)` compares
/// row i of the first with row j of the second): a row of both combines their values.
fn walked(
    n: usize,
    m: usize,
    cmp: impl Fn(usize, usize) -> Ordering,
    va: &Values,
    vb: &Values,
) -> Merged {
    let mut out = Merged::with_capacity(n + m);
    let (mut i, mut j) = (0usize, 0usize);
    while i < n || j < m {
        let order = if j == m {
            Ordering::Less
        } else if i == n {
            Ordering::Greater
        } else {
            cmp(i, j)
        };
        match order {
            Ordering::Less => {
                out.push(i as IdxSize, va.row(i), None);
                i += 1;
            }
            Ordering::Greater => {
                out.push((n + j) as IdxSize, vb.row(j), None);
                j += 1;
            }
            Ordering::Equal => {
                out.push(i as IdxSize, va.row(i), Some(vb.row(j)));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The one key column as 64-bit integers, where it is one integer column (of a type whose
/// values all fit, so not UInt64) without nulls: its values order as the output sorts them.
fn whole_numbers(frame: &DataFrame, keys: &[&str]) -> PolarsResult<Option<Vec<i64>>> {
    let [key] = keys else {
        return Ok(None);
    };
    let column = frame.column(key)?;
    let dtype = column.dtype();
    if !dtype.is_integer() || *dtype == DataType::UInt64 || column.null_count() > 0 {
        return Ok(None);
    }
    let ints = column.as_materialized_series().cast(&DataType::Int64)?;
    Ok(Some(flat(ints.i64()?, 0)))
}

/// Integers, text, booleans and dates: their sort encoding is their value's alone, equal
/// values encode equal and order as the output sorts them.
fn encodes_by_value(dtype: &DataType) -> bool {
    dtype.is_integer() || matches!(dtype, DataType::String | DataType::Boolean | DataType::Date)
}

fn encoded(frame: &DataFrame, keys: &[&str]) -> PolarsResult<BinaryOffsetChunked> {
    let columns: Vec<Column> = keys
        .iter()
        .map(|k| frame.column(k).cloned())
        .collect::<PolarsResult<_>>()?;
    let flags = vec![false; keys.len()];
    let nulls_last = vec![true; keys.len()];
    _get_rows_encoded_ca(PlSmallStr::EMPTY, &columns, &flags, &nulls_last, false)
}

fn strictly_rising(keys: &BinaryOffsetChunked) -> bool {
    let mut rows = key_rows(keys);
    let Some(mut last) = rows.next() else {
        return true;
    };
    for row in rows {
        if row <= last {
            return false;
        }
        last = row;
    }
    true
}

fn key_rows(keys: &BinaryOffsetChunked) -> impl Iterator<Item = &[u8]> {
    keys.downcast_iter().flat_map(|rows| rows.values_iter())
}

/// One snapshot row's values: sum of minor units, first and last purchase day (None: no
/// purchase), frequency.
type Row = (i64, i64, i64, i64);

/// A snapshot's value columns as Int64 without nulls, in one pass over each: a missing sum or
/// frequency as 0, a missing first purchase day as `i64::MAX` and a missing last as
/// `i64::MIN` (outside every date; the earlier and later of two days stay themselves).
struct Values {
    sum: Vec<i64>,
    first: Vec<i64>,
    last: Vec<i64>,
    frequency: Vec<i64>,
}

impl Values {
    fn of(frame: &DataFrame) -> PolarsResult<Values> {
        let column = |name: &str, missing: i64| -> PolarsResult<Vec<i64>> {
            let series = frame.column(name)?.as_materialized_series();
            let physical = series.to_physical_repr();
            Ok(match physical.dtype() {
                DataType::Int32 => flat(physical.i32()?, missing),
                _ => flat(physical.cast(&DataType::Int64)?.i64()?, missing),
            })
        };
        Ok(Values {
            sum: column(SUM_MINOR, 0)?,
            first: column(FIRST_ORDER_DATE, i64::MAX)?,
            last: column(LAST_ORDER_DATE, i64::MIN)?,
            frequency: column(FREQUENCY, 0)?,
        })
    }

    fn row(&self, i: usize) -> Row {
        (self.sum[i], self.first[i], self.last[i], self.frequency[i])
    }
}

/// `values` as Int64, `missing` for a null.
fn flat<T>(values: &ChunkedArray<T>, missing: i64) -> Vec<i64>
where
    T: PolarsNumericType,
    T::Native: Into<i64>,
{
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.downcast_iter() {
        out.extend(chunk.iter().map(|v| v.map_or(missing, |v| (*v).into())));
    }
    out
}

fn one_chunk(keys: &BinaryOffsetChunked) -> &<BinaryOffsetType as PolarsDataType>::Array {
    keys.downcast_iter()
        .next()
        .expect("row encoding gives one chunk")
}

/// The merged frame's columns as the walk builds them: each row's position among the two
/// frames' key rows stacked, and its values.
struct Merged {
    rows: Vec<IdxSize>,
    sum: Vec<i64>,
    first: Vec<i64>,
    last: Vec<i64>,
    frequency: Vec<i64>,
}

impl Merged {
    fn with_capacity(n: usize) -> Merged {
        Merged {
            rows: Vec::with_capacity(n),
            sum: Vec::with_capacity(n),
            first: Vec::with_capacity(n),
            last: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
        }
    }

    /// A row from one frame, or from both (`later` the changes' row).
    fn push(&mut self, row: IdxSize, earlier: Row, later: Option<Row>) {
        let (sum, first, last, frequency) = earlier;
        let (sum2, first2, last2, frequency2) = later.unwrap_or((0, i64::MAX, i64::MIN, 0));
        self.rows.push(row);
        self.sum.push(sum + sum2);
        self.first.push(first.min(first2));
        self.last.push(last.max(last2));
        self.frequency.push(frequency + frequency2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Frequency, Monetary, Returns};

    /// Random snapshots (a nullable group, integer or text customers, null dates, and keys in
    /// one frame, the other or both) merged by the walk equal the join's merge, sorted.
    #[test]
    fn the_walk_merges_as_the_join_and_sort_do() {
        let mut seed = 3u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let analysis = |group: bool| Analysis {
            as_of: None,
            window_days: None,
            returns: Returns::Net,
            monetary: Monetary::Total,
            monetary_decimals: 2,
            frequency: Frequency::Orders,
            group_by: if group { vec!["store".into()] } else { vec![] },
        };
        for case in 0..120 {
            let (text, group) = (case % 2 == 1, case % 3 != 0);
            let mut frame = |size: u64| {
                let n = next(size) as usize;
                let store: Vec<Option<i64>> = (0..n)
                    .map(|_| (group && next(4) > 0).then(|| next(3) as i64 - 1))
                    .collect();
                let ids: Vec<i64> = (0..n).map(|_| next(30) as i64 - 10).collect();
                let mut day = |_| (next(5) > 0).then(|| 19_000 + next(400) as i32);
                let first: Vec<Option<i32>> = (0..n).map(&mut day).collect();
                let last: Vec<Option<i32>> = (0..n).map(&mut day).collect();
                let mut frame = df!(
                    "store" => store,
                    SUM_MINOR => (0..n).map(|_| next(1000) as i64 - 200).collect::<Vec<_>>(),
                    FIRST_ORDER_DATE => first,
                    LAST_ORDER_DATE => last,
                    FREQUENCY => (0..n).map(|_| next(9) as i64).collect::<Vec<_>>(),
                )
                .unwrap();
                let ids = if text {
                    let ids: Vec<String> = ids.iter().map(|k| format!("c{k}")).collect();
                    Column::new(CUSTOMER_ID.into(), ids)
                } else {
                    Column::new(CUSTOMER_ID.into(), ids)
                };
                frame.with_column(ids).unwrap();
                for d in [FIRST_ORDER_DATE, LAST_ORDER_DATE] {
                    let dates = frame.column(d).unwrap().cast(&DataType::Date).unwrap();
                    frame.with_column(dates).unwrap();
                }
                let keys = if group {
                    vec!["store", CUSTOMER_ID]
                } else {
                    vec![CUSTOMER_ID]
                };
                let columns = keys.iter().chain(&rollup::SNAPSHOT_VALUES).copied();
                frame
                    .select(columns)
                    .unwrap()
                    .unique_stable(
                        Some(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()),
                        UniqueKeepStrategy::First,
                        None,
                    )
                    .unwrap()
                    .sort(keys, SortMultipleOptions::default().with_nulls_last(true))
                    .unwrap()
            };
            let (a, b) = (frame(40), frame(15));
            let analysis = analysis(group);
            let keys: Vec<&str> = if group {
                vec!["store", CUSTOMER_ID]
            } else {
                vec![CUSTOMER_ID]
            };
            let walked = walk(&a, &b, &keys).unwrap().expect("the walk applies");
            let joined = rollup::merge_snapshots(a.clone().lazy(), b.clone().lazy(), &analysis)
                .collect()
                .unwrap();
            let joined = order::sort(joined, &analysis.group_by).unwrap();
            let walked = walked.select(joined.get_column_names_owned()).unwrap();
            assert!(
                walked.equals_missing(&joined),
                "{a}\n{b}\n{walked}\n{joined}"
            );
        }
    }

    #[test]
    fn frames_out_of_order_or_with_float_keys_are_not_walked() {
        let frame = |ids: Vec<i64>| {
            let n = ids.len();
            df!(
                CUSTOMER_ID => ids,
                SUM_MINOR => vec![1i64; n],
                FIRST_ORDER_DATE => vec![1i32; n],
                LAST_ORDER_DATE => vec![1i32; n],
                FREQUENCY => vec![1i64; n],
            )
            .unwrap()
        };
        let fine = frame(vec![4]);
        for bad in [frame(vec![5, 4]), frame(vec![4, 4])] {
            assert!(walk(&bad, &fine, &[CUSTOMER_ID]).unwrap().is_none());
            assert!(walk(&fine, &bad, &[CUSTOMER_ID]).unwrap().is_none());
        }
        let floats = df!(CUSTOMER_ID => [1.5f64]).unwrap();
        assert!(walk(&floats, &floats, &[CUSTOMER_ID]).unwrap().is_none());
    }
}
