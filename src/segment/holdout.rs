//! `output.holdout`: per segment, the customers held out of campaigns. Each customer's keys
//! (group columns, then customer_id) and the salt are hashed to 64 bits ([`key_hash`]); in
//! each segment the `round(share * customers)` customers with the smallest hashes (ties by
//! output order) are held out. The hash depends on the keys alone, so the set is the same
//! whatever the row order or thread count; a new salt draws a new set. docs/contract.md
//! ("Holdout") gives the recipe so that a notebook can reproduce it.

use polars::prelude::*;

use crate::columns::{HOLDOUT, SEGMENT};
use crate::settings::Holdout;

/// The hash's name, recorded in the output's footer: FNV-1a 64 over the salt and the keys,
/// finished with murmur3's fmix64.
pub const HASH_NAME: &str = "fnv1a64-fmix64/1";

/// Internal: a customer's key hash.
const KEY_HASH: &str = "__key_hash";
/// Internal: a customer's place in output order.
const ROW: &str = "__holdout_row";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// Written before each key.
const KEY_SEPARATOR: u8 = 0x1f;
/// Written for a null key.
const NULL_KEY: u8 = 0x00;
/// Written before a key's text.
const KEY_VALUE: u8 = 0x01;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// murmur3's 64-bit finaliser: every input bit moves every output bit, so ids that differ in
/// their last character spread over the whole range.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// The hash of `salt` and one customer's keys, each key as its text (None: null).
pub fn key_hash<'a>(salt: &str, keys: impl IntoIterator<Item = Option<&'a str>>) -> u64 {
    let mut h = fnv(FNV_OFFSET, salt.as_bytes());
    for key in keys {
        h = match key {
            None => fnv(h, &[KEY_SEPARATOR, NULL_KEY]),
            Some(text) => fnv(fnv(h, &[KEY_SEPARATOR, KEY_VALUE]), text.as_bytes()),
        };
    }
    fmix64(h)
}

/// Per row, [`key_hash`] of `salt` and the key columns, each as polars writes it as text
/// (integers in decimal, dates `YYYY-MM-DD`, text as it is). A column at a time: the state of
/// every row is carried over the key columns.
fn hashes(salt: &str, keys: &[Column]) -> PolarsResult<Column> {
    let rows = keys.first().map_or(0, Column::len);
    let mut state = vec![fnv(FNV_OFFSET, salt.as_bytes()); rows];
    for key in keys {
        let text = key.cast(&DataType::String)?;
        for (h, value) in state.iter_mut().zip(text.str()?.iter()) {
            *h = match value {
                None => fnv(*h, &[KEY_SEPARATOR, NULL_KEY]),
                Some(v) => fnv(fnv(*h, &[KEY_SEPARATOR, KEY_VALUE]), v.as_bytes()),
            };
        }
    }
    let finished: Vec<u64> = state.into_iter().map(fmix64).collect();
    Ok(Column::new(KEY_HASH.into(), finished))
}

/// `rows` (in output order, with the `keys` columns and `segment`) with the Boolean column
/// [`HOLDOUT`]: in each segment of n customers, the `holdout.count(n)` smallest by (key hash,
/// output order).
pub fn flag(rows: LazyFrame, keys: &[String], holdout: &Holdout) -> LazyFrame {
    let salt = holdout.salt.clone();
    let columns: Vec<Expr> = keys.iter().map(|k| col(k.as_str())).collect();
    let (first, rest) = columns
        .split_first()
        .expect("the keys end with customer_id");
    let hash = first
        .clone()
        .map_many(
            move |c: &mut [Column]| hashes(&salt, c),
            rest,
            |_, _| Ok(Field::new(KEY_HASH.into(), DataType::UInt64)),
        )
        .alias(KEY_HASH);
    let segment = || [col(SEGMENT)];
    let customers = over(len().cast(DataType::Int64), segment());
    // Holdout::count in Int64: 2 * 10^6 * n stays below 2^63 for n below 4.6e12.
    let million = Holdout::MILLION as i64;
    let count = (lit(2 * i64::from(holdout.share_millionths)) * customers + lit(million))
        .floor_div(lit(2 * million));
    let rank = |method| RankOptions {
        method,
        descending: false,
    };
    // 1 + the segment's customers with a smaller hash, + those with the same hash earlier
    // in output order: the place in (hash, output order), whatever order polars ranks in.
    let smaller = over(
        col(KEY_HASH)
            .rank(rank(RankMethod::Min), None)
            .cast(DataType::Int64),
        segment(),
    );
    let tied_before = over(
        col(ROW)
            .rank(rank(RankMethod::Ordinal), None)
            .cast(DataType::Int64),
        [col(SEGMENT), col(KEY_HASH)],
    );
    let place = smaller + tied_before - lit(1i64);
    rows.with_row_index(ROW, None)
        .with_column(hash)
        .with_column(place.lt_eq(count).alias(HOLDOUT))
        .drop(cols([KEY_HASH, ROW]))
}

/// `e` computed within each partition of `by`.
fn over<const N: usize>(e: Expr, by: [Expr; N]) -> Expr {
    e.over(by)
        .expect("a window with partition columns is always valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::CUSTOMER_ID;

    fn holdout(share_millionths: u32, salt: &str) -> Holdout {
        Holdout {
            share_millionths,
            salt: salt.into(),
        }
    }

    #[test]
    fn the_hash_is_fnv1a_then_fmix64() {
        // FNV-1a 64 of "" is the offset basis and of "a" is 0xaf63dc4c8601ec8c (the FNV
        // reference values); fmix64 of 0 is 0.
        assert_eq!(fnv(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fmix64(0), 0);
        assert_eq!(key_hash("", []), fmix64(FNV_OFFSET));
        let manual = fmix64(fnv(FNV_OFFSET, b"s\x1f\x01East\x1f\x00\x1f\x0142"));
        assert_eq!(key_hash("s", [Some("East"), None, Some("42")]), manual);
        // Null and empty text differ; so do the same texts split differently.
        assert_ne!(key_hash("s", [None]), key_hash("s", [Some("")]));
        assert_ne!(
            key_hash("s", [Some("ab"), Some("c")]),
            key_hash("s", [Some("a"), Some("bc")])
        );
        assert_ne!(key_hash("s", [Some("a")]), key_hash("t", [Some("a")]));
        // Computed by the Python recipe of docs/contract.md (tests/fixtures/holdout/README.md).
        assert_eq!(
            key_hash("2025-q1", [Some("East"), Some("c03")]),
            0x2ebd_acb4_8204_36ee
        );
        assert_eq!(
            key_hash("2025-q1", [Some("West"), Some("c12")]),
            0x01c7_7553_d84f_12f3
        );
    }

    #[test]
    fn columns_hash_as_their_text() {
        let keys = [
            Column::new("region".into(), [Some("East"), None]),
            Column::new(CUSTOMER_ID.into(), [42i64, 7]),
        ];
        let h = hashes("s", &keys).unwrap();
        let h: Vec<u64> = h.u64().unwrap().into_no_null_iter().collect();
        assert_eq!(
            h,
            [
                key_hash("s", [Some("East"), Some("42")]),
                key_hash("s", [None, Some("7")])
            ]
        );
    }

    #[test]
    fn each_segment_holds_out_its_rounded_share() {
        // 5 A (0.5 -> 1), 15 B (1.5 -> 2), 4 C (0.4 -> 0).
        let segments: Vec<&str> = [vec!["A"; 5], vec!["B"; 15], vec!["C"; 4]].concat();
        let ids: Vec<String> = (0..segments.len()).map(|i| format!("c{i}")).collect();
        let rows = df!(CUSTOMER_ID => ids.clone(), SEGMENT => segments.clone()).unwrap();
        let out = flag(rows.lazy(), &[CUSTOMER_ID.into()], &holdout(100_000, "x"))
            .collect()
            .unwrap();
        assert_eq!(out.get_column_names(), [CUSTOMER_ID, SEGMENT, HOLDOUT]);
        let held: Vec<bool> = out
            .column(HOLDOUT)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        let count = |s: &str| {
            (0..held.len())
                .filter(|&i| segments[i] == s && held[i])
                .count()
        };
        assert_eq!((count("A"), count("B"), count("C")), (1, 2, 0));
        // The one held out of A has A's smallest hash.
        let hash = |i: usize| key_hash("x", [Some(ids[i].as_str())]);
        let smallest = (0..5).min_by_key(|&i| hash(i)).unwrap();
        assert!(held[smallest]);
    }

    mod random {
        //! On random segments, groups and shares: per segment, exactly round(share * n)
        //! customers are held out, and they are those a naive loop over the keys picks.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn holdout_is_the_naive_pick(
                rows in proptest::collection::vec((0u8..3, 0u8..4, 0u32..40), 0..120),
                share in 1u32..1_000_000,
                salt in "[a-z0-9]{0,6}",
            ) {
                // Distinct keys (group, id); a group may be null.
                let mut seen = std::collections::HashSet::new();
                let rows: Vec<(u8, u8, u32)> =
                    rows.into_iter().filter(|r| seen.insert((r.0, r.2))).collect();
                let group: Vec<Option<String>> =
                    rows.iter().map(|r| (r.0 > 0).then(|| format!("g{}", r.0))).collect();
                let ids: Vec<i64> = rows.iter().map(|r| i64::from(r.2)).collect();
                let segment: Vec<String> = rows.iter().map(|r| format!("s{}", r.1)).collect();
                let df = df!("g" => group.clone(), CUSTOMER_ID => ids.clone(), SEGMENT => segment.clone())
                    .unwrap();
                let h = holdout(share, &salt);
                let out = flag(df.lazy(), &["g".into(), CUSTOMER_ID.into()], &h)
                    .collect()
                    .unwrap();
                let got: Vec<bool> = out
                    .column(HOLDOUT)
                    .unwrap()
                    .bool()
                    .unwrap()
                    .iter()
                    .map(|v| v.unwrap())
                    .collect();
                let mut expected = vec![false; rows.len()];
                let names: std::collections::BTreeSet<&String> = segment.iter().collect();
                for name in names {
                    let mut members: Vec<(u64, usize)> = (0..rows.len())
                        .filter(|&i| &segment[i] == name)
                        .map(|i| {
                            let id = ids[i].to_string();
                            (key_hash(&salt, [group[i].as_deref(), Some(id.as_str())]), i)
                        })
                        .collect();
                    members.sort();
                    // share * n / 10^6: the division is correctly rounded, so a whole half
                    // stays one, and f64::round takes it away from zero.
                    let k = ((u64::from(share) * members.len() as u64) as f64 / 1e6).round() as usize;
                    prop_assert_eq!(k as u64, h.count(members.len() as u64));
                    for &(_, i) in &members[..k] {
                        expected[i] = true;
                    }
                }
                prop_assert_eq!(got, expected);
            }
        }
    }
}
