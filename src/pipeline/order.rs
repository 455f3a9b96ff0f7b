//! Customers in output order: by the group_by columns (nulls last), then customer_id. The
//! keys are sorted as one integer per row where they fit in 128 bits: integer keys packed
//! side by side (each as its offset from its smallest value, a null after every value; sorted
//! as 64-bit keys where they fit in 64), or a text customer_id without group columns as its
//! first 16 bytes (whole ids compared only where those are equal). Any other key goes to
//! polars' sort. Both give the same order (numbers by value, text bytewise, as polars orders
//! them).
//!
//! Rows already in order (a saved state's customers snapshot is kept so) are returned as they
//! are. Otherwise the rows are gathered by the sorted positions from one contiguous chunk per
//! column: a gather across the many chunks a scan leaves finds each row's chunk first.

use polars::prelude::*;

use crate::columns::CUSTOMER_ID;

/// `customers` (one row per (group..., customer_id)) sorted for output.
pub fn sort(customers: DataFrame, group_by: &[String]) -> PolarsResult<DataFrame> {
    if group_by.is_empty() {
        if let Ok(ids) = customers.column(CUSTOMER_ID)?.str() {
            if ids.null_count() == 0 {
                let order = text_order(ids);
                return gathered(customers, order);
            }
        }
    }
    let mut by: Vec<PlSmallStr> = group_by.iter().map(PlSmallStr::from).collect();
    by.push(CUSTOMER_ID.into());
    if let Some(keys) = packed_integers(&customers, &by)? {
        return gathered(customers, integer_order(&keys));
    }
    customers.sort(
        by,
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(false),
    )
}

/// `frame`'s rows in `order` (None: as they are).
fn gathered(mut frame: DataFrame, order: Option<IdxCa>) -> PolarsResult<DataFrame> {
    let Some(order) = order else {
        return Ok(frame);
    };
    frame.rechunk_mut();
    frame.take(&order)
}

/// The positions of `keys` in ascending order (ties in row order); None when they are in
/// order already. The longest sorted run at the start is kept as it is and the rest sorted
/// and merged into it: rows appended to sorted ones (a snapshot and a night's new customers)
/// cost the sort of the appended rows.
fn integer_order(keys: &[u128]) -> Option<IdxCa> {
    let run = 1 + keys.windows(2).take_while(|w| w[0] <= w[1]).count();
    if run >= keys.len() {
        return None;
    }
    let narrow = keys.iter().all(|&k| k <= u128::from(u64::MAX));
    let order = if narrow {
        let keys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
        merged_order(&keys, run)
    } else {
        merged_order(keys, run)
    };
    Some(IdxCa::from_vec(PlSmallStr::EMPTY, order))
}

/// The row positions of `keys` sorted (ties in row order), where `keys[..run]` is sorted: the
/// rest sorted as (key, row) pairs and merged with the run.
fn merged_order<K: Ord + Copy>(keys: &[K], run: usize) -> Vec<IdxSize> {
    let mut rest: Vec<(K, IdxSize)> = keys[run..]
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, (run + i) as IdxSize))
        .collect();
    rest.sort_unstable();
    let mut order = Vec::with_capacity(keys.len());
    let mut rest = rest.into_iter().peekable();
    for (row, &key) in keys[..run].iter().enumerate() {
        while let Some(&(k, r)) = rest.peek() {
            if k >= key {
                break;
            }
            order.push(r);
            rest.next();
        }
        order.push(row as IdxSize);
    }
    order.extend(rest.map(|(_, r)| r));
    order
}

/// Each row's integer keys `by` packed into one integer that sorts as they do (the first key
/// in the highest bits; a null after every value); None when a key is not an integer or they
/// need more than 128 bits.
fn packed_integers(customers: &DataFrame, by: &[PlSmallStr]) -> PolarsResult<Option<Vec<u128>>> {
    let mut packed = vec![0u128; customers.height()];
    let mut bits_used = 0u32;
    for name in by {
        let column = customers.column(name)?;
        if !column.dtype().is_integer() {
            return Ok(None);
        }
        let values = column.as_materialized_series().cast(&DataType::Int64)?;
        let values = values.i64()?;
        let (Some(lo), Some(hi)) = (values.min(), values.max()) else {
            // All null (or no rows): every row has the same key here.
            continue;
        };
        // Offsets 0..=span, and span + 1 for a null.
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let bits = 128 - span.leading_zeros();
        bits_used += bits;
        if bits_used > 128 {
            return Ok(None);
        }
        for (key, v) in packed.iter_mut().zip(values.iter()) {
            let offset = match v {
                Some(v) => (i128::from(v) - i128::from(lo)) as u128,
                None => span,
            };
            *key = (*key << bits) | offset;
        }
    }
    Ok(Some(packed))
}

/// The positions of `ids` in ascending (bytewise) order; None when they are in order already.
fn text_order(ids: &StringChunked) -> Option<IdxCa> {
    let values: Vec<&str> = ids.iter().map(|v| v.unwrap_or_default()).collect();
    if values.is_sorted() {
        return None;
    }
    let mut keys: Vec<(u128, IdxSize)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (prefix(v.as_bytes()), i as IdxSize))
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| values[a.1 as usize].cmp(values[b.1 as usize]))
    });
    Some(IdxCa::from_vec(
        PlSmallStr::EMPTY,
        keys.into_iter().map(|(_, i)| i).collect(),
    ))
}

/// The first 16 bytes, zero-padded, as a big-endian integer: `a < b` bytewise gives
/// `prefix(a) <= prefix(b)`.
fn prefix(bytes: &[u8]) -> u128 {
    let mut head = [0u8; 16];
    let n = bytes.len().min(16);
    head[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_sort_as_polars_sorts_them() {
        // Group values with nulls (last) and negatives, customers of two widths, ties on the
        // group, and keys too wide to pack (polars sorts those).
        let n = 600usize;
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        let store: Vec<Option<i32>> = (0..n)
            .map(|_| match next() % 9 {
                0 => None,
                v => Some(v as i32 - 4),
            })
            .collect();
        let region: Vec<Option<i64>> = (0..n)
            .map(|_| (next() % 5 != 0).then(|| (next() % 3) as i64))
            .collect();
        let customer: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 1000 - 300).collect();
        let wide: Vec<i64> = (0..n as i64)
            .map(|i| {
                if i % 2 == 0 {
                    i64::MIN + i
                } else {
                    i64::MAX - i
                }
            })
            .collect();
        let frame = df!(
            "store" => &store,
            "region" => &region,
            CUSTOMER_ID => &customer,
            "wide" => &wide,
        )
        .unwrap();
        let polars_sorted = |by: Vec<&str>| {
            frame
                .sort(by, SortMultipleOptions::default().with_nulls_last(true))
                .unwrap()
        };
        let ours = sort(frame.clone(), &["store".into(), "region".into()]).unwrap();
        assert!(ours.equals_missing(&polars_sorted(vec!["store", "region", CUSTOMER_ID])));
        let ours = sort(frame.clone(), &[]).unwrap();
        assert!(ours.equals_missing(&polars_sorted(vec![CUSTOMER_ID])));
        // Three 64-bit spans do not fit in 128 bits: polars' sort gives the same order.
        let wide_keys: Vec<PlSmallStr> = vec!["wide".into(), "wide".into(), CUSTOMER_ID.into()];
        assert!(packed_integers(&frame, &wide_keys).unwrap().is_none());
    }

    #[test]
    fn a_sorted_run_and_rows_after_it_sort_as_a_stable_sort_does() {
        // Keys whose first `run` rows are in order (of every length, with ties inside the run,
        // across it and after it), wide and narrow: the positions equal a stable sort's.
        let mut seed = 5u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for case in 0..200 {
            let n = 1 + next(60) as usize;
            let run = next(n as u64 + 1) as usize;
            let wide = if case % 2 == 0 { 0 } else { 1u128 << 100 };
            let mut keys: Vec<u128> = (0..n).map(|_| wide + u128::from(next(40))).collect();
            keys[..run].sort();
            let mut expected: Vec<IdxSize> = (0..n as IdxSize).collect();
            expected.sort_by_key(|&i| keys[i as usize]);
            let got: Vec<IdxSize> = match integer_order(&keys) {
                None => (0..n as IdxSize).collect(),
                Some(order) => order.into_no_null_iter().collect(),
            };
            assert_eq!(got, expected, "keys {keys:?}");
        }
    }

    #[test]
    fn rows_in_order_come_back_as_they_are() {
        let frame = df!(
            "store" => [Some(1i32), Some(1), Some(2), None],
            CUSTOMER_ID => [3i64, 9, 1, 2],
            "x" => [1i64, 2, 3, 4],
        )
        .unwrap();
        assert!(integer_order(
            &packed_integers(&frame, &["store".into(), CUSTOMER_ID.into()])
                .unwrap()
                .unwrap()
        )
        .is_none());
        assert!(sort(frame.clone(), &["store".into()])
            .unwrap()
            .equals_missing(&frame));
        let text = df!(CUSTOMER_ID => ["A1", "A2", "B"], "x" => [1i64, 2, 3]).unwrap();
        assert!(text_order(text.column(CUSTOMER_ID).unwrap().str().unwrap()).is_none());
        assert!(sort(text.clone(), &[]).unwrap().equals(&text));
    }

    #[test]
    fn text_ids_sort_as_polars_sorts_them() {
        // Shared prefixes, ids longer than 16 bytes that differ late, one a prefix of
        // another (also with a NUL after it), empty, and non-ASCII text.
        let mut ids: Vec<String> = vec![
            "C000123456".into(),
            "C00012345".into(),
            "C000123456\0".into(),
            "".into(),
            "é-client".into(),
            "e-client".into(),
            "customer-000000000000000002".into(),
            "customer-000000000000000001".into(),
            "customer-00000000000000000".into(),
        ];
        let mut seed = 7u64;
        for _ in 0..500 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 59) as usize + 1;
            ids.push(
                (0..len)
                    .map(|k| ["a", "b", "A", "0", "ß"][((seed >> ((k * 3) % 60)) % 5) as usize])
                    .collect(),
            );
        }
        ids.sort();
        ids.dedup();
        // Shuffle deterministically, then sort both ways.
        let n = ids.len();
        let shuffled: Vec<&str> = (0..n).map(|i| ids[(i * 7919) % n].as_str()).collect();
        assert_eq!(
            (0..n)
                .map(|i| (i * 7919) % n)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            n
        );
        let frame =
            df!(CUSTOMER_ID => &shuffled, "x" => (0..n as i64).collect::<Vec<_>>()).unwrap();
        let ours = sort(frame.clone(), &[]).unwrap();
        let theirs = frame
            .sort([CUSTOMER_ID], SortMultipleOptions::default())
            .unwrap();
        assert!(ours.equals(&theirs));
        let got: Vec<&str> = ours
            .column(CUSTOMER_ID)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
