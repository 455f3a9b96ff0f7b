//! The result -> Parquet, atomically: written to a temporary file beside the target, read
//! back and checked, then renamed into place. A failed run leaves no new file and leaves an
//! earlier output untouched.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Refuse an output path that cannot be written, before any work is done.
pub fn check_target(target: &Path) -> Result<()> {
    let fail = |message: String| Error::Output {
        path: target.to_path_buf(),
        message,
    };
    let text = target.to_string_lossy();
    if target.is_dir() || text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        return Err(fail(
            "is a folder; give a file path such as out/segments.parquet".into(),
        ));
    }
    if target.file_name().is_none() {
        return Err(fail(
            "has no file name; give a file path such as out/segments.parquet".into(),
        ));
    }
    let mut parent = target.parent();
    while let Some(p) = parent {
        if p.as_os_str().is_empty() {
            break;
        }
        if p.exists() {
            if !p.is_dir() {
                return Err(fail(format!("{} is a file, not a folder", p.display())));
            }
            break;
        }
        parent = p.parent();
    }
    Ok(())
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.rfmseg-{}.tmp", std::process::id()))
}

/// Refuse a Parquet output path that is unusable or named like another format.
pub fn check_parquet_target(target: &Path) -> Result<()> {
    check_target(target)?;
    let ext = target
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if let Some(ext @ ("csv" | "tsv" | "txt" | "json" | "xlsx" | "yaml" | "yml")) = ext.as_deref() {
        return Err(Error::Output {
            path: target.to_path_buf(),
            message: format!(
                "ends in .{ext}, but rfmseg writes Parquet; name the file .parquet (e.g. out/segments.parquet)"
            ),
        });
    }
    Ok(())
}

/// Run `rows` on `engine` into `target` as Parquet, atomically (temporary file, read back
/// and checked to hold `expected` rows, then renamed), together with `side`, a small query
/// over the same rows that is collected in the same pass (the run summary). Returns `side`'s
/// result.
pub fn sink_parquet(
    rows: LazyFrame,
    target: &Path,
    expected: u64,
    side: LazyFrame,
    engine: Engine,
) -> Result<DataFrame> {
    check_parquet_target(target)?;
    let mut collected = None;
    atomically(target, |temp| {
        let options = ParquetWriteOptions {
            compression: ParquetCompression::Zstd(None),
            ..Default::default()
        };
        let sink = rows
            .sink(
                SinkDestination::File {
                    target: SinkTarget::Path(PlRefPath::new(temp.to_string_lossy().as_ref())),
                },
                FileWriteFormat::Parquet(Arc::new(options)),
                UnifiedSinkArgs {
                    maintain_order: true,
                    ..Default::default()
                },
            )
            .map_err(|e| format!("cannot plan the Parquet file: {e}"))?;
        let mut out = LazyFrame::collect_all_with_engine(
            vec![sink.logical_plan, side.logical_plan],
            engine,
            OptFlags::default(),
        )
        .map_err(|e| format!("cannot write Parquet: {e}"))?;
        collected = out.pop();
        File::open(temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("cannot flush {}: {e}", temp.display()))?;
        verify_rows(temp, expected)
    })?;
    collected.ok_or_else(|| Error::Output {
        path: target.to_path_buf(),
        message: "internal: the summary query returned nothing".into(),
    })
}

/// Write `frame` to `target` as CSV with a header row, atomically (also when it has no rows:
/// the header says the file is complete).
pub fn write_csv(frame: &DataFrame, target: &Path) -> Result<()> {
    let mut frame = frame.clone();
    atomically(target, |temp| {
        let file = File::create(temp).map_err(|e| format!("cannot create: {e}"))?;
        CsvWriter::new(&file)
            .include_header(true)
            .finish(&mut frame)
            .map_err(|e| format!("cannot write CSV: {e}"))?;
        file.sync_all().map_err(|e| format!("cannot flush: {e}"))
    })
}

/// Write `text` to `target` atomically.
pub fn write_text(text: &str, target: &Path) -> Result<()> {
    atomically(target, |temp| {
        std::fs::write(temp, text)
            .and_then(|()| File::open(temp)?.sync_all())
            .map_err(|e| format!("cannot write: {e}"))
    })
}

/// Create the target's folder, let `write` fill a temporary file beside the target, and
/// rename it into place; on any failure the temporary file is removed and the target is
/// left as it was.
fn atomically(
    target: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), String>,
) -> Result<()> {
    check_target(target)?;
    let fail = |message: String| Error::Output {
        path: target.to_path_buf(),
        message,
    };
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| fail(format!("cannot create folder {}: {e}", parent.display())))?;
    }
    let temp = temp_path(target);
    if let Err(message) = write(&temp) {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(message));
    }
    std::fs::rename(&temp, target).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(format!("cannot move the finished file into place: {e}"))
    })
}

/// The written file reads back with `expected` rows.
fn verify_rows(temp: &Path, expected: u64) -> std::result::Result<(), String> {
    let rows = LazyFrame::scan_parquet(
        PlRefPath::new(temp.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .and_then(|lf| lf.select([len()]).collect())
    .map_err(|e| format!("the written file does not read back: {e}"))?;
    let count = rows
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>());
    if count != Some(expected) {
        return Err(format!(
            "the written file reads back {count:?} rows, expected {expected}"
        ));
    }
    Ok(())
}
