//! Customers in output order: by the group_by columns (nulls last), then customer_id. Text
//! customer ids without group columns are sorted on their first 16 bytes as one integer,
//! comparing whole ids only where those are equal; any other key goes to polars' sort. Both
//! give the same order (bytewise, as polars orders text).

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
    customers.sort(
        by,
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(false),
    )
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
