//! The number of lines in the input, for planning the passes: exact for Parquet (the footer's
//! row count); for CSV, the file's size over the mean length of the data lines in its first
//! [`SAMPLE`] bytes (exact when the file is no longer than that).

use std::io::Read;
use std::path::Path;

use polars::prelude::*;

use super::paths::{Format, SourceFile};

/// The bytes read from the start of a CSV file to measure its line length: enough for
/// thousands of lines of any export, read in well under a millisecond.
const SAMPLE: usize = 1 << 20;

/// The bytes a line is taken to have where a file gives nothing to measure (a Parquet footer
/// that cannot be read, a CSV whose first [`SAMPLE`] bytes hold no whole data line): short
/// for an export line, so the count errs on the high side.
const SHORT_LINE: u64 = 32;

/// The number of lines in `files`, for planning.
pub fn estimated_lines(files: &[SourceFile]) -> u64 {
    files
        .iter()
        .map(|f| match f.format {
            Format::Parquet => std::fs::File::open(&f.path)
                .ok()
                .and_then(|file| ParquetReader::new(file).num_rows().ok())
                .map_or(f.size / SHORT_LINE, |n| n as u64),
            Format::Csv => csv_lines(f.read_path()).unwrap_or(f.size / SHORT_LINE),
        })
        .sum()
}

/// The data lines of the CSV file at `path` (its header aside), exact when the file is at
/// most [`SAMPLE`] bytes, else its size over its first lines' mean length. Later lines a
/// little longer than the first (ids that gain digits) make the count err on the high side.
/// None when the file cannot be read.
fn csv_lines(path: &Path) -> Option<u64> {
    let size = std::fs::metadata(path).ok()?.len();
    let mut sample = Vec::with_capacity(SAMPLE.min(size as usize));
    std::fs::File::open(path)
        .ok()?
        .take(SAMPLE as u64)
        .read_to_end(&mut sample)
        .ok()?;
    Some(lines_in(&sample, size))
}

/// The data lines of a CSV file of `size` bytes whose first bytes are `sample`.
fn lines_in(sample: &[u8], size: u64) -> u64 {
    let newlines = sample.iter().filter(|&&b| b == b'\n').count() as u64;
    let header_end = sample.iter().position(|&b| b == b'\n');
    if sample.len() as u64 >= size {
        // The whole file: every line after the header, the last one with or without its
        // newline.
        let unterminated = !sample.is_empty() && sample.last() != Some(&b'\n');
        return (newlines + u64::from(unterminated)).saturating_sub(1);
    }
    let (Some(header_end), Some(last_end)) = (header_end, sample.iter().rposition(|&b| b == b'\n'))
    else {
        return size / SHORT_LINE;
    };
    let data_lines = newlines - 1;
    let data_bytes = (last_end - header_end) as u64;
    if data_lines == 0 {
        return size / SHORT_LINE;
    }
    let rest = size - header_end as u64 - 1;
    (rest * data_lines).div_ceil(data_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(lines: &[&str]) -> Vec<u8> {
        let mut text = String::from("customer_id,order_date,amount\n");
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        text.into_bytes()
    }

    #[test]
    fn a_file_within_the_sample_is_counted_exactly() {
        let bytes = csv(&["1,2024-01-01,5", "2,2024-01-02,7", "3,2024-01-03,9"]);
        assert_eq!(lines_in(&bytes, bytes.len() as u64), 3);
        // The last line without its newline still counts.
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(lines_in(cut, cut.len() as u64), 3);
        // A header alone: no data line.
        let header = b"customer_id,order_date,amount\n";
        assert_eq!(lines_in(header, header.len() as u64), 0);
        assert_eq!(lines_in(b"", 0), 0);
    }

    #[test]
    fn a_larger_file_is_its_size_over_the_first_lines_length() {
        // 100,000 lines of 20 bytes (19 and a newline) after the header.
        let line = "C000012345,2024-1,5";
        assert_eq!(line.len(), 19);
        let bytes = csv(&std::iter::repeat_n(line, 100_000).collect::<Vec<_>>());
        let sample = &bytes[..SAMPLE.min(bytes.len()) / 3];
        let estimate = lines_in(sample, bytes.len() as u64);
        assert_eq!(estimate, 100_000);
    }

    #[test]
    fn a_sample_without_a_whole_data_line_falls_back_to_short_lines() {
        let long = format!("a,b\n{}", "x".repeat(4000));
        let estimate = lines_in(&long.as_bytes()[..1000], 64_000);
        assert_eq!(estimate, 64_000 / SHORT_LINE);
    }

    #[test]
    fn the_estimate_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.csv");
        let line = "C000012345,2024-01-01,12.50";
        let bytes = csv(&std::iter::repeat_n(line, 60_000).collect::<Vec<_>>());
        assert!(bytes.len() > SAMPLE);
        std::fs::write(&path, &bytes).unwrap();
        let files = [SourceFile::new(path, Format::Csv, bytes.len() as u64)];
        assert_eq!(estimated_lines(&files), 60_000);
    }
}
