//! Parquet footers read with the `parquet` crate (arrow-rs, the reference Rust
//! implementation), independently of polars, which writes the files: the check of every
//! output before it is renamed into place, and the provenance `rfmseg inspect` prints.

use std::fs::File;
use std::path::Path;

use arrow_schema::{DataType as Arrow, Schema, TimeUnit as ArrowUnit};
use parquet::arrow::parquet_to_arrow_schema;
use parquet::file::metadata::ParquetMetaDataReader;
use polars::prelude::{DataType, Schema as PlSchema, TimeUnit};

use super::provenance::Provenance;
use crate::columns::*;

/// What a Parquet footer says.
#[derive(Debug)]
pub struct Footer {
    /// Rows, per the file metadata.
    pub rows: u64,
    /// Rows summed over the row groups.
    pub row_group_rows: u64,
    /// The arrow schema derived from the Parquet schema alone (the `ARROW:schema` hint the
    /// writer may store is not used).
    pub schema: Schema,
    /// The key-value metadata, in file order.
    pub key_values: Vec<(String, Option<String>)>,
}

impl Footer {
    /// The `rfmseg.*` provenance of the file.
    pub fn provenance(&self) -> std::result::Result<Provenance, String> {
        Provenance::from_key_values(
            self.key_values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref())),
        )
    }
}

/// Read the footer of the Parquet file at `path` (the data pages are not read).
pub fn read(path: &Path) -> std::result::Result<Footer, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let fm = meta.file_metadata();
    let schema = parquet_to_arrow_schema(fm.schema_descr(), None)
        .map_err(|e| format!("the Parquet schema has no arrow form: {e}"))?;
    let key_values = fm
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|p| (p.key.clone(), p.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let count = |n: i64| u64::try_from(n).map_err(|_| format!("negative row count {n}"));
    let mut row_group_rows = 0;
    for rg in meta.row_groups() {
        row_group_rows += count(rg.num_rows())?;
    }
    Ok(Footer {
        rows: count(fm.num_rows())?,
        row_group_rows,
        schema,
        key_values,
    })
}

/// The contract's types of the columns after customer_id (with `min_group_customers`,
/// `score_level`, Int32, follows `rfm_score`).
const CONTRACT_TYPES: [(&str, Arrow); 11] = [
    (RECENCY_DAYS, Arrow::Int64),
    (FREQUENCY, Arrow::Int64),
    (MONETARY, Arrow::Float64),
    (FIRST_ORDER_DATE, Arrow::Date32),
    (LAST_ORDER_DATE, Arrow::Date32),
    (R, Arrow::Int32),
    (F, Arrow::Int32),
    (M, Arrow::Int32),
    (RFM_CELL, Arrow::Utf8),
    (RFM_SCORE, Arrow::Int32),
    (SEGMENT, Arrow::Utf8),
];

/// The contract's columns that a config key adds, after the others, in their order.
const OPTIONAL_TYPES: [(&str, Arrow); 1] = [(HOLDOUT, Arrow::Boolean)];

/// Does a column of polars type `dtype`, written as Parquet, read back as `arrow`? None
/// when only the name is checked (types rfmseg passes through without a Parquet mapping of
/// its own).
fn written_as(dtype: &DataType, arrow: &Arrow) -> Option<bool> {
    let unit = |u: &TimeUnit| match u {
        TimeUnit::Nanoseconds => ArrowUnit::Nanosecond,
        TimeUnit::Microseconds => ArrowUnit::Microsecond,
        TimeUnit::Milliseconds => ArrowUnit::Millisecond,
    };
    let expected = match dtype {
        DataType::Boolean => Arrow::Boolean,
        DataType::Int8 => Arrow::Int8,
        DataType::Int16 => Arrow::Int16,
        DataType::Int32 => Arrow::Int32,
        DataType::Int64 => Arrow::Int64,
        DataType::UInt8 => Arrow::UInt8,
        DataType::UInt16 => Arrow::UInt16,
        DataType::UInt32 => Arrow::UInt32,
        DataType::UInt64 => Arrow::UInt64,
        DataType::Float32 => Arrow::Float32,
        DataType::Float64 => Arrow::Float64,
        DataType::String => Arrow::Utf8,
        DataType::Date => Arrow::Date32,
        DataType::Datetime(u, _) => {
            return Some(matches!(arrow, Arrow::Timestamp(a, _) if *a == unit(u)));
        }
        _ => return None,
    };
    Some(*arrow == expected)
}

/// Check the footer of a file just written: readable, `expected_rows` rows, the columns of
/// `plan` (the written query's schema) in order, with the contract's types after
/// customer_id and the plan's types before, and the provenance read back equal to
/// `provenance`.
pub fn verify(
    path: &Path,
    plan: &PlSchema,
    expected_rows: u64,
    provenance: &Provenance,
) -> std::result::Result<(), String> {
    let footer = read(path).map_err(|e| format!("the written file: {e}"))?;
    if footer.rows != expected_rows || footer.row_group_rows != expected_rows {
        return Err(format!(
            "the written file's footer says {} rows ({} in its row groups), expected {expected_rows}",
            footer.rows, footer.row_group_rows
        ));
    }
    let got: Vec<(&str, &Arrow)> = footer
        .schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type()))
        .collect();
    let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
    let wanted: Vec<&str> = plan.iter_names().map(|n| n.as_str()).collect();
    if names != wanted {
        return Err(format!(
            "the written file has columns {names:?}, expected {wanted:?}"
        ));
    }
    let keys = names.iter().position(|n| *n == CUSTOMER_ID).unwrap_or(0) + 1;
    let contract = &names[keys.min(names.len())..];
    let mut types = CONTRACT_TYPES.to_vec();
    if contract.contains(&SCORE_LEVEL) {
        // With scoring.min_group_customers: score_level after rfm_score.
        let at = types
            .iter()
            .position(|(n, _)| *n == RFM_SCORE)
            .expect("rfm_score is a contract column");
        types.insert(at + 1, (SCORE_LEVEL, Arrow::Int32));
    }
    // Then the optional columns the plan has (holdout, last).
    types.extend(
        OPTIONAL_TYPES
            .iter()
            .filter(|(n, _)| plan.get(n).is_some())
            .cloned(),
    );
    let contract_names: Vec<&str> = types.iter().map(|(n, _)| *n).collect();
    if contract != contract_names.as_slice() {
        return Err(format!(
            "the written file's columns after customer_id are {contract:?}, the contract's are {contract_names:?}"
        ));
    }
    for (i, (name, arrow)) in got.iter().enumerate() {
        let ok = if i < keys {
            let dtype = plan
                .get(name)
                .expect("the names were compared with the plan's");
            written_as(dtype, arrow).unwrap_or(true)
        } else {
            types[i - keys].1 == **arrow
        };
        if !ok {
            let want = if i < keys {
                format!("{:?}", plan.get(name))
            } else {
                format!("{:?}", types[i - keys].1)
            };
            return Err(format!(
                "the written file's column {name:?} has type {arrow:?}, expected {want}"
            ));
        }
    }
    let back = footer
        .provenance()
        .map_err(|e| format!("the written file's provenance: {e}"))?;
    if back != *provenance {
        return Err("the written file's provenance does not read back as written".into());
    }
    Ok(())
}

/// Check the footer of a file just written: readable, `rows` rows (in the file and summed
/// over its row groups), the columns `columns` in order.
pub fn verify_shape(path: &Path, columns: &[String], rows: u64) -> std::result::Result<(), String> {
    let footer = read(path).map_err(|e| format!("the written file: {e}"))?;
    if footer.rows != rows || footer.row_group_rows != rows {
        return Err(format!(
            "the written file's footer says {} rows ({} in its row groups), expected {rows}",
            footer.rows, footer.row_group_rows
        ));
    }
    let names: Vec<&str> = footer
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    if names != columns {
        return Err(format!(
            "the written file has columns {names:?}, expected {columns:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use polars::io::parquet::write::KeyValueMetadata;
    use polars::prelude::*;

    use super::*;
    use crate::output::provenance::{Customers, LineCounts};

    fn provenance() -> Provenance {
        Provenance::new(
            "a: 1\n".into(),
            &[],
            Some("2024-06-30".into()),
            None,
            false,
            LineCounts::default(),
            Customers {
                scored: 2,
                not_scored: 0,
            },
        )
    }

    /// Two customers in the contract's columns, `r` cast to `r_type`.
    fn frame(r_type: DataType) -> DataFrame {
        let date = |d: i32| {
            Series::new("d".into(), [d, d])
                .cast(&DataType::Date)
                .unwrap()
        };
        let mut df = df!(
            "region" => ["N", "S"],
            CUSTOMER_ID => ["a", "b"],
            RECENCY_DAYS => [1i64, 2],
            FREQUENCY => [1i64, 2],
            MONETARY => [1.5, 2.5],
            FIRST_ORDER_DATE => date(19000),
            LAST_ORDER_DATE => date(19001),
            R => [1i32, 2],
            F => [1i32, 2],
            M => [1i32, 2],
            RFM_CELL => ["111", "222"],
            RFM_SCORE => [3i32, 6],
            SEGMENT => ["x", "y"],
        )
        .unwrap();
        df.with_column(df.column(R).unwrap().cast(&r_type).unwrap())
            .unwrap();
        df
    }

    fn write(dir: &Path, mut df: DataFrame, provenance: Option<&Provenance>) -> std::path::PathBuf {
        let path = dir.join("t.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .with_key_value_metadata(
                provenance.map(|p| KeyValueMetadata::from_static(p.to_key_values())),
            )
            .finish(&mut df)
            .unwrap();
        path
    }

    #[test]
    fn a_whole_file_passes_and_every_mismatch_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = provenance();
        let good = frame(DataType::Int32);
        let plan = good.schema().clone();
        let path = write(dir.path(), good.clone(), Some(&p));
        assert_eq!(verify(&path, &plan, 2, &p), Ok(()));

        let e = verify(&path, &plan, 3, &p).unwrap_err();
        assert!(e.contains("says 2 rows") && e.contains("expected 3"), "{e}");

        let mut other = p.clone();
        other.customers.scored = 5;
        let e = verify(&path, &plan, 2, &other).unwrap_err();
        assert!(e.contains("provenance does not read back"), "{e}");

        let mut wide = plan.as_ref().clone();
        wide.insert_at_index(0, "store".into(), DataType::String)
            .unwrap();
        let e = verify(&path, &wide, 2, &p).unwrap_err();
        assert!(e.contains("has columns"), "{e}");

        let mut region_int = plan.as_ref().clone();
        region_int.set_dtype("region", DataType::Int64);
        let e = verify(&path, &region_int, 2, &p).unwrap_err();
        assert!(e.contains("column \"region\" has type Utf8"), "{e}");

        let path = write(dir.path(), frame(DataType::Int64), Some(&p));
        let e = verify(&path, &plan, 2, &p).unwrap_err();
        assert!(
            e.contains("column \"r\" has type Int64, expected Int32"),
            "{e}"
        );

        let path = write(dir.path(), good, None);
        let e = verify(&path, &plan, 2, &p).unwrap_err();
        assert!(e.contains("no rfmseg provenance"), "{e}");

        std::fs::write(&path, b"PAR1 truncated").unwrap();
        let e = verify(&path, &plan, 2, &p).unwrap_err();
        assert!(e.contains("not a readable Parquet file"), "{e}");
    }
}
