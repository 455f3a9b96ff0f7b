//! Customers in output order: by the group_by columns (nulls last), then customer_id. The
//! keys are sorted as one 128-bit integer per row where they fit in one: integer keys packed
//! side by side (each as its offset from its smallest value, a null after every value), or a
//! text customer_id without group columns as its first 16 bytes (whole ids compared only where
//! those are equal). Any other key goes to polars' sort. Both give the same order (numbers by
//! value, text bytewise, as polars orders them).

use polars::prelude::*;

use crate::columns::CUSTOMER_ID;

/// `customers` (one row per (group..., customer_id)) sorted for output.
pub fn sort(customers: DataFrame, group_by: &[String]) -> PolarsResult<DataFrame> {
    if group_by.is_empty() {
        if let Ok(ids) = customers.column(CUSTOMER_ID)?.str() {
            if ids.null_count() == 0 {
                let order = text_order(ids);
                return customers.take(&order);
            }
        }
    }
    let mut by: Vec<PlSmallStr> = group_by.iter().map(PlSmallStr::from).collect();
    by.push(CUSTOMER_ID.into());
    if let Some(keys) = packed_integers(&customers, &by)? {
        let mut keys: Vec<(u128, IdxSize)> = keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i as IdxSize))
            .collect();
        keys.sort_unstable();
        let order = IdxCa::from_vec(
            PlSmallStr::EMPTY,
            keys.into_iter().map(|(_, i)| i).collect(),
        );
        return customers.take(&order);
    }
    customers.sort(
        by,
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(false),
    )
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

/// The positions of `ids` in ascending (bytewise) order.
fn text_order(ids: &StringChunked) -> IdxCa {
    let values: Vec<&str> = ids.iter().map(|v| v.unwrap_or_default()).collect();
    let mut keys: Vec<(u128, IdxSize)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (prefix(v.as_bytes()), i as IdxSize))
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| values[a.1 as usize].cmp(values[b.1 as usize]))
    });
    IdxCa::from_vec(
        PlSmallStr::EMPTY,
        keys.into_iter().map(|(_, i)| i).collect(),
    )
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
