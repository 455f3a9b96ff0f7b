//! Integer codes for keys of any type: each distinct key (one column, or several read as one:
//! the group_by columns with customer_id) gets a dense UInt32 code the first time a line
//! shows it, so every fold downstream groups and compares integers. A dictionary lives for
//! one pass: its codes are known to that pass only, and [`Dictionary::decode`] turns them
//! back into the key columns, in their own types, once the pass's customers are grouped.
//!
//! Codes depend on which thread saw a key first; nothing downstream depends on a code's
//! value (the folds only group by it, and customers are sorted by their decoded keys), so
//! results do not depend on thread count or line order.
//!
//! The table is split in shards, each with its own lock and its own arena of key bytes; a
//! batch of lines locks each shard once.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use polars::prelude::*;

/// Shards of the table (a power of two): enough that threads rarely wait for each other.
const SHARDS: usize = 64;

/// How one key column is written into a key's bytes, and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Any integer type, as 8 bytes; read back as the column's own type.
    Integer(DataType),
    /// Text, as its length (4 bytes) and its UTF-8 bytes.
    Text,
}

/// One entry: where the key's bytes are in its shard's arena, and its code.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    start: usize,
    len: u32,
    code: u32,
}

#[derive(Default)]
struct Shard {
    table: HashTable<Entry>,
    arena: Vec<u8>,
}

/// The codes of one pass's keys.
pub struct Dictionary {
    parts: Vec<(PlSmallStr, Part)>,
    shards: Vec<Mutex<Shard>>,
    next: AtomicU32,
    full: AtomicBool,
    state: FixedState,
}

/// What the query error says when the codes run out (more than 2^32 - 1 distinct keys in one
/// pass).
const FULL: &str = "more than 4,294,967,295 distinct keys in one pass: give --partitions";

impl Dictionary {
    /// A dictionary for keys made of `columns` (name, type), when every type can be coded:
    /// integers and text.
    pub fn for_columns(columns: &[(PlSmallStr, DataType)]) -> Option<Dictionary> {
        let parts = columns
            .iter()
            .map(|(name, dtype)| {
                let part = if dtype.is_integer() {
                    Part::Integer(dtype.clone())
                } else if dtype == &DataType::String {
                    Part::Text
                } else {
                    return None;
                };
                Some((name.clone(), part))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Dictionary {
            parts,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            next: AtomicU32::new(0),
            full: AtomicBool::new(false),
            state: FixedState::default(),
        })
    }

    /// Distinct keys coded so far.
    pub fn len(&self) -> u32 {
        self.next.load(Ordering::Relaxed)
    }

    /// Whether the codes ran out (the query then failed).
    pub fn full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// The code of each row's key (the rows of `columns`, in [`Dictionary::for_columns`]'s
    /// order). A one-column key that is null has a null code; in a key of several columns a
    /// null value is part of the key.
    pub fn encode(&self, columns: &[Column]) -> PolarsResult<UInt32Chunked> {
        let n = columns.first().map_or(0, |c| c.len());
        let (bytes, ends, valid) = self.key_bytes(columns, n)?;
        let key = |i: usize| &bytes[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
        let hashes: Vec<u64> = (0..n).map(|i| self.state.hash_one(key(i))).collect();
        // Rows in shard order: each shard is locked once for the whole batch.
        let mut by_shard: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
        for (i, h) in hashes.iter().enumerate() {
            if valid.as_ref().is_none_or(|v| v[i]) {
                by_shard[shard_of(*h)].push(i as u32);
            }
        }
        let mut codes = vec![0u32; n];
        for (s, rows) in by_shard.iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let mut shard = self.shards[s]
                .lock()
                .map_err(|_| polars_err!(ComputeError: "a key dictionary's lock was poisoned"))?;
            let Shard { table, arena } = &mut *shard;
            for &row in rows {
                let (hash, k) = (hashes[row as usize], key(row as usize));
                let found = table
                    .find(hash, |e| {
                        e.hash == hash && &arena[e.start..e.start + e.len as usize] == k
                    })
                    .map(|e| e.code);
                codes[row as usize] = match found {
                    Some(code) => code,
                    None => {
                        let code = self.next.fetch_add(1, Ordering::Relaxed);
                        if code == u32::MAX {
                            self.full.store(true, Ordering::Relaxed);
                            polars_bail!(ComputeError: "{FULL}");
                        }
                        let start = arena.len();
                        arena.extend_from_slice(k);
                        table.insert_unique(
                            hash,
                            Entry {
                                hash,
                                start,
                                len: k.len() as u32,
                                code,
                            },
                            |e| e.hash,
                        );
                        code
                    }
                };
            }
        }
        let out = match valid {
            None => UInt32Chunked::from_vec(PlSmallStr::EMPTY, codes),
            Some(valid) => UInt32Chunked::from_iter_options(
                PlSmallStr::EMPTY,
                codes.into_iter().zip(valid).map(|(c, v)| v.then_some(c)),
            ),
        };
        Ok(out)
    }

    /// Every row's key as bytes (one buffer, with each row's end), and, for a one-column
    /// key with nulls, which rows have a key.
    #[allow(clippy::type_complexity)]
    fn key_bytes(
        &self,
        columns: &[Column],
        n: usize,
    ) -> PolarsResult<(Vec<u8>, Vec<usize>, Option<Vec<bool>>)> {
        let mut bytes: Vec<u8> = Vec::with_capacity(n * 12);
        let mut ends = vec![0usize; n];
        let one = self.parts.len() == 1;
        let mut valid = None;
        // Per column, each row's bytes go into a buffer of its own; the rows' keys are then
        // their buffers joined in column order.
        let mut pieces: Vec<(Vec<u8>, Vec<usize>)> = Vec::with_capacity(columns.len());
        for (column, (_, part)) in columns.iter().zip(&self.parts) {
            let mut buf: Vec<u8> = Vec::with_capacity(n * 9);
            let mut row_ends = Vec::with_capacity(n);
            match part {
                Part::Integer(_) => {
                    let ints = column.as_materialized_series().cast(&DataType::Int64)?;
                    for v in ints.i64()?.iter() {
                        match v {
                            Some(v) => {
                                buf.push(1);
                                buf.extend_from_slice(&v.to_le_bytes());
                            }
                            None => buf.push(0),
                        }
                        row_ends.push(buf.len());
                    }
                    if one && ints.null_count() > 0 {
                        valid = Some(ints.i64()?.iter().map(|v| v.is_some()).collect());
                    }
                }
                Part::Text => {
                    let text = column.as_materialized_series();
                    let text = text.str()?;
                    for v in text.iter() {
                        match v {
                            Some(v) => {
                                buf.push(1);
                                buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
                                buf.extend_from_slice(v.as_bytes());
                            }
                            None => buf.push(0),
                        }
                        row_ends.push(buf.len());
                    }
                    if one && text.null_count() > 0 {
                        valid = Some(text.iter().map(|v| v.is_some()).collect());
                    }
                }
            }
            pieces.push((buf, row_ends));
        }
        if let [(buf, row_ends)] = pieces.as_mut_slice() {
            return Ok((std::mem::take(buf), std::mem::take(row_ends), valid));
        }
        for (i, end) in ends.iter_mut().enumerate() {
            for (buf, row_ends) in &pieces {
                let start = if i == 0 { 0 } else { row_ends[i - 1] };
                bytes.extend_from_slice(&buf[start..row_ends[i]]);
            }
            *end = bytes.len();
        }
        Ok((bytes, ends, valid))
    }

    /// The key columns, in their own names and types, of each code in `codes` (a code the
    /// dictionary did not give, or a null, gives nulls).
    pub fn decode(&self, codes: &UInt32Chunked) -> PolarsResult<Vec<Column>> {
        // Where each code's bytes are: (shard, start, len).
        let mut place: Vec<(u32, usize, u32)> = vec![(u32::MAX, 0, 0); self.len() as usize];
        let shards: Vec<_> = self
            .shards
            .iter()
            .map(|s| {
                s.lock()
                    .map_err(|_| polars_err!(ComputeError: "a key dictionary's lock was poisoned"))
            })
            .collect::<PolarsResult<_>>()?;
        for (s, shard) in shards.iter().enumerate() {
            for e in shard.table.iter() {
                place[e.code as usize] = (s as u32, e.start, e.len);
            }
        }
        let key = |code: Option<u32>| -> Option<&[u8]> {
            let (s, start, len) = *place.get(code? as usize)?;
            (s != u32::MAX).then(|| &shards[s as usize].arena[start..start + len as usize])
        };
        let mut ints: Vec<Vec<Option<i64>>> = vec![Vec::new(); self.parts.len()];
        let mut texts: Vec<Vec<Option<&str>>> = vec![Vec::new(); self.parts.len()];
        for code in codes.iter() {
            let mut rest = key(code);
            for (p, (_, part)) in self.parts.iter().enumerate() {
                let Some(bytes) = rest else {
                    match part {
                        Part::Integer(_) => ints[p].push(None),
                        Part::Text => texts[p].push(None),
                    }
                    continue;
                };
                let present = bytes[0] == 1;
                let bytes = &bytes[1..];
                match part {
                    Part::Integer(_) if present => {
                        let v = i64::from_le_bytes(bytes[..8].try_into().expect("8 key bytes"));
                        ints[p].push(Some(v));
                        rest = Some(&bytes[8..]);
                    }
                    Part::Text if present => {
                        let len = u32::from_le_bytes(bytes[..4].try_into().expect("4 key bytes"));
                        let (text, after) = bytes[4..].split_at(len as usize);
                        let text = std::str::from_utf8(text)
                            .map_err(|_| polars_err!(ComputeError: "a coded key is not UTF-8"))?;
                        texts[p].push(Some(text));
                        rest = Some(after);
                    }
                    Part::Integer(_) => {
                        ints[p].push(None);
                        rest = Some(bytes);
                    }
                    Part::Text => {
                        texts[p].push(None);
                        rest = Some(bytes);
                    }
                }
            }
        }
        self.parts
            .iter()
            .enumerate()
            .map(|(p, (name, part))| {
                Ok(match part {
                    Part::Integer(dtype) => {
                        Int64Chunked::from_iter_options(name.clone(), ints[p].iter().copied())
                            .into_series()
                            .cast(dtype)?
                            .into_column()
                    }
                    Part::Text => {
                        StringChunked::from_iter_options(name.clone(), texts[p].iter().copied())
                            .into_column()
                    }
                })
            })
            .collect()
    }
}

fn shard_of(hash: u64) -> usize {
    (hash >> 58) as usize & (SHARDS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary(columns: &[(&str, DataType)]) -> Dictionary {
        let columns: Vec<(PlSmallStr, DataType)> = columns
            .iter()
            .map(|(n, t)| (PlSmallStr::from(*n), t.clone()))
            .collect();
        Dictionary::for_columns(&columns).unwrap()
    }

    #[test]
    fn equal_keys_share_a_code_and_decode_to_themselves() {
        let d = dictionary(&[("customer_id", DataType::String)]);
        let ids = Column::new(
            "customer_id".into(),
            [Some("b"), Some("a"), None, Some("b")],
        );
        let codes = d.encode(std::slice::from_ref(&ids)).unwrap();
        let c: Vec<Option<u32>> = codes.iter().collect();
        assert_eq!(c[0], c[3]);
        assert_ne!(c[0], c[1]);
        assert_eq!(c[2], None, "a null one-column key has no code");
        assert_eq!(d.len(), 2);
        let back = d.decode(&codes).unwrap();
        assert_eq!(
            back[0].as_materialized_series(),
            ids.as_materialized_series()
        );
    }

    #[test]
    fn keys_of_several_columns_keep_their_types_and_nulls() {
        let d = dictionary(&[
            ("store", DataType::Int32),
            ("region", DataType::String),
            ("customer_id", DataType::Int64),
        ]);
        let store = Column::new("store".into(), [Some(1i32), Some(1), None, Some(1)]);
        let region = Column::new("region".into(), [Some("N"), None, None, Some("N")]);
        let customer = Column::new("customer_id".into(), [7i64, 7, 7, 8]);
        let columns = [store, region, customer];
        let codes = d.encode(&columns).unwrap();
        let c: Vec<Option<u32>> = codes.iter().collect();
        assert!(c.iter().all(|c| c.is_some()), "nulls are part of the key");
        assert_eq!(d.len(), 4, "every row differs in one column");
        let back = d.decode(&codes).unwrap();
        for (got, want) in back.iter().zip(&columns) {
            assert_eq!(got.dtype(), want.dtype());
            assert!(got
                .as_materialized_series()
                .equals_missing(want.as_materialized_series()));
        }
    }

    #[test]
    fn text_keys_that_run_into_each_other_stay_apart() {
        // ("ab", "c") and ("a", "bc") would be one key if the parts were just joined.
        let d = dictionary(&[("a", DataType::String), ("b", DataType::String)]);
        let a = Column::new("a".into(), ["ab", "a"]);
        let b = Column::new("b".into(), ["c", "bc"]);
        let codes = d.encode(&[a, b]).unwrap();
        assert_ne!(codes.get(0), codes.get(1));
    }

    #[test]
    fn threads_coding_the_same_keys_agree() {
        let d = dictionary(&[("k", DataType::String)]);
        let keys: Vec<String> = (0..5000).map(|i| format!("C{:06}", i % 1234)).collect();
        let column = Column::new("k".into(), keys.clone());
        let runs: Vec<UInt32Chunked> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| d.encode(std::slice::from_ref(&column)).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(d.len(), 1234);
        for r in &runs[1..] {
            assert_eq!(
                r.iter().collect::<Vec<_>>(),
                runs[0].iter().collect::<Vec<_>>()
            );
        }
        let back = d.decode(&runs[0]).unwrap();
        let back: Vec<&str> = back[0].str().unwrap().iter().map(Option::unwrap).collect();
        assert_eq!(back, keys.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn only_integer_and_text_keys_are_coded() {
        let columns = [(PlSmallStr::from("d"), DataType::Date)];
        assert!(Dictionary::for_columns(&columns).is_none());
    }
}
