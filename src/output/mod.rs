//! The result -> Parquet, atomically: written to a temporary file beside the target (with
//! the run's provenance in its footer), flushed to disk, its footer checked with the
//! `parquet` crate, then renamed into place. A failed run leaves no new file and leaves an
//! earlier output untouched; a killed run leaves at most a temporary file, which the next
//! write of the same target removes ([`temp`]).

pub mod footer;
pub mod provenance;
pub mod read_back;
// The temp-file discipline lives at the root (input's decoded copies use it too).
pub use crate::temp;

use std::fs::File;
use std::path::Path;

use polars::io::parquet::write::KeyValueMetadata;
use polars::prelude::*;

use crate::error::{Error, Result};
use provenance::Provenance;

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

/// The Zstandard level of a run's output: level 1, Zstandard's fastest, as Arrow and Spark
/// write by default. A run's output is written once and read by the next step; against the
/// library's default (3) it writes the customers' rows in less time for a file about 1% larger
/// (docs/performance.md, "3. Score, segment, write, streaming").
fn output_zstd_level() -> polars::polars_utils::compression::ZstdLevel {
    polars::polars_utils::compression::ZstdLevel::try_new(1).expect("1 is a Zstandard level")
}

/// Run `rows` on `engine` into `target` as Parquet with `provenance` in the footer,
/// atomically (temporary file, flushed, its footer checked to hold `expected` rows, the
/// contract's columns and the provenance, then renamed), together with `side`, a small query
/// over the same rows that is collected in the same pass (the run summary). Returns `side`'s
/// result.
pub fn sink_parquet(
    mut rows: LazyFrame,
    target: &Path,
    expected: u64,
    provenance: &Provenance,
    side: LazyFrame,
    engine: Engine,
) -> Result<DataFrame> {
    check_parquet_target(target)?;
    let schema = rows
        .collect_schema()
        .map_err(Error::engine("planning the output"))?;
    let mut collected = None;
    atomically(target, |temp| {
        let options = ParquetWriteOptions {
            compression: ParquetCompression::Zstd(Some(output_zstd_level())),
            key_value_metadata: Some(KeyValueMetadata::from_static(provenance.to_key_values())),
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
        footer::verify(temp, &schema, expected, provenance)
    })?;
    collected.ok_or_else(|| Error::Output {
        path: target.to_path_buf(),
        message: "internal: the summary query returned nothing".into(),
    })
}

/// Write `frame` to `target` as Zstandard-compressed Parquet, atomically: temporary file,
/// flushed, its footer read back with the `parquet` crate (the frame's rows and columns, in
/// order), then renamed into place. For files other than a run's output (`report --movers`).
pub fn write_parquet(frame: &DataFrame, target: &Path) -> Result<()> {
    write_parquet_at(frame, target, None)
}

/// [`write_parquet`] at Zstandard `level` (None: the library's default): for files that stay
/// on disk a long time and are read often (a saved state's rollups).
pub fn write_parquet_at(frame: &DataFrame, target: &Path, level: Option<i32>) -> Result<()> {
    check_parquet_target(target)?;
    let level = level
        .map(polars::polars_utils::compression::ZstdLevel::try_new)
        .transpose()
        .map_err(|e| Error::Output {
            path: target.to_path_buf(),
            message: format!("internal: {e}"),
        })?;
    let mut frame = frame.clone();
    let columns: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let rows = frame.height() as u64;
    atomically(target, |temp| {
        let file = File::create(temp).map_err(|e| format!("cannot create: {e}"))?;
        ParquetWriter::new(&file)
            .with_compression(ParquetCompression::Zstd(level))
            .finish(&mut frame)
            .map_err(|e| format!("cannot write Parquet: {e}"))?;
        file.sync_all().map_err(|e| format!("cannot flush: {e}"))?;
        footer::verify_shape(temp, &columns, rows)
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

/// Create the target's folder, remove temporary files of the target that killed runs left,
/// let `write` fill a temporary file beside the target, and rename it into place; on any
/// failure (or a panic) the temporary file is removed and the target is left as it was.
fn atomically(
    target: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), String>,
) -> Result<()> {
    check_target(target)?;
    let fail = |message: String| Error::Output {
        path: target.to_path_buf(),
        message: explain_no_space(message),
    };
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent)
            .map_err(|e| fail(format!("cannot create folder {}: {e}", parent.display())))?;
    }
    temp::clean_stale(target);
    let mut guard = temp::Guard::new(temp::path_for(target));
    write(guard.path()).map_err(fail)?;
    std::fs::rename(guard.path(), target)
        .map_err(|e| fail(format!("cannot move the finished file into place: {e}")))?;
    guard.disarm();
    // Make the rename itself durable (a crash after it keeps the new file); a file system
    // that cannot sync a folder still has the file in place.
    if let Ok(dir) = File::open(parent.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A full disk gets a message that says so first (the engine's message is kept after it).
fn explain_no_space(message: String) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("no space left") || lower.contains("os error 28") {
        format!("no space left on the device: the disk is full; free space or write elsewhere with --output (nothing was written, an earlier file is untouched). {message}")
    } else {
        message
    }
}
