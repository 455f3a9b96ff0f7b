//! The span of an integer key column over all input files, from the Parquet footers'
//! row-group statistics (the data pages are not read): what lets the aggregation carry the
//! key in 32 bits.

use std::fs::File;

use parquet::basic::{ConvertedType, LogicalType};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescriptor;

use super::{Format, SourceFile};

/// The smallest and largest value of the column named `column` in every file, when every file
/// is Parquet and every row group's statistics give both for an integer column. None
/// otherwise (a CSV file, a missing statistic, another type, an unreadable footer: the
/// aggregation then keeps the column as it is).
pub fn integer_span(files: &[SourceFile], column: &str) -> Option<(i64, i64)> {
    span(files, column, |_| true)
}

/// The latest date (days since 1970-01-01) of the `DATE` column named `column` in every file,
/// from the row-group statistics; None unless every file is Parquet with such a column and
/// every row group states it. An upper bound of the default `as_of` (lines without a customer
/// or an amount count here and not there).
pub fn latest_date(files: &[SourceFile], column: &str) -> Option<i32> {
    let is_date = |c: &ColumnDescriptor| {
        matches!(c.logical_type_ref(), Some(LogicalType::Date))
            || c.converted_type() == ConvertedType::DATE
    };
    let (_, hi) = span(files, column, is_date)?;
    i32::try_from(hi).ok()
}

/// The span of an Int32 or Int64 column whose descriptor `accepts`.
fn span(
    files: &[SourceFile],
    column: &str,
    accepts: impl Fn(&ColumnDescriptor) -> bool,
) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for file in files {
        if file.format != Format::Parquet {
            return None;
        }
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&File::open(&file.path).ok()?)
            .ok()?;
        let schema = meta.file_metadata().schema_descr();
        let index = (0..schema.num_columns()).find(|&i| {
            let c = schema.column(i);
            c.path().parts().len() == 1 && c.name() == column
        })?;
        // Unsigned columns keep statistics in unsigned order: their bits do not read as i64.
        let c = schema.column(index);
        let unsigned = matches!(
            c.logical_type_ref(),
            Some(LogicalType::Integer(int)) if !int.is_signed
        ) || matches!(
            c.converted_type(),
            ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        );
        if unsigned || !accepts(&c) {
            return None;
        }
        for rg in meta.row_groups() {
            if rg.num_rows() == 0 {
                continue;
            }
            let (lo, hi) = match rg.column(index).statistics()? {
                Statistics::Int32(s) => (i64::from(*s.min_opt()?), i64::from(*s.max_opt()?)),
                Statistics::Int64(s) => (*s.min_opt()?, *s.max_opt()?),
                _ => return None,
            };
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn parquet(dir: &std::path::Path, name: &str, mut df: DataFrame) -> SourceFile {
        let path = dir.join(name);
        ParquetWriter::new(File::create(&path).unwrap())
            .with_row_group_size(Some(2))
            .finish(&mut df)
            .unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        SourceFile::new(path, Format::Parquet, size)
    }

    #[test]
    fn the_span_covers_every_row_group_of_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = parquet(
            dir.path(),
            "a.parquet",
            df!("cust" => [Some(7i64), None, Some(-3), Some(12), Some(5)],
                "small" => [1i32, 2, 3, 4, 5])
            .unwrap(),
        );
        let b = parquet(
            dir.path(),
            "b.parquet",
            df!("cust" => [40i64, 8], "small" => [-9i32, 0]).unwrap(),
        );
        assert_eq!(
            integer_span(std::slice::from_ref(&a), "cust"),
            Some((-3, 12))
        );
        assert_eq!(
            integer_span(&[a.clone(), b.clone()], "cust"),
            Some((-3, 40))
        );
        assert_eq!(integer_span(&[a.clone(), b], "small"), Some((-9, 5)));
        assert_eq!(integer_span(&[a], "missing"), None);
    }

    #[test]
    fn the_latest_date_comes_from_date_columns_only() {
        let dir = tempfile::tempdir().unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
        let a = parquet(
            dir.path(),
            "a.parquet",
            df!("d" => [Some(day(3)), None, Some(day(9)), Some(day(1)), Some(day(2))],
                "n" => [1i32, 2, 3, 4, 5])
            .unwrap(),
        );
        let b = parquet(
            dir.path(),
            "b.parquet",
            df!("d" => [day(7), day(5)], "n" => [9i32, 0]).unwrap(),
        );
        let days = |d: u32| {
            (day(d) - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
        };
        assert_eq!(latest_date(&[a.clone(), b], "d"), Some(days(9)));
        assert_eq!(
            latest_date(std::slice::from_ref(&a), "n"),
            None,
            "not a date"
        );
    }

    #[test]
    fn no_span_for_text_unsigned_or_csv_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = parquet(
            dir.path(),
            "p.parquet",
            df!("text" => ["1", "2"], "unsigned" => [1u64, u64::MAX]).unwrap(),
        );
        assert_eq!(integer_span(std::slice::from_ref(&p), "text"), None);
        assert_eq!(integer_span(std::slice::from_ref(&p), "unsigned"), None);
        let csv_path = dir.path().join("c.csv");
        std::fs::write(&csv_path, "cust\n1\n2\n").unwrap();
        let csv = SourceFile::new(csv_path, Format::Csv, 9);
        assert_eq!(integer_span(&[csv], "cust"), None);
    }
}
