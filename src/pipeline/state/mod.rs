//! `run --state DIR`: the new inputs folded into the saved state, then the customers
//! aggregated from the state's rollups and scored as a run over every input folded so far.
//!
//! Each new input file is folded on its own ([`rfm::fold::rollup::roll_up`]) and checked
//! before anything is written: a value that cannot be read, amounts whose sums could pass 64
//! bits, or key columns of another type than the state's stop the run, naming the file. Then
//! the rollup files are written, then `state.json` (the commit); an input whose bytes were
//! folded before is skipped. Scoring reads only the rollups.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

mod batch;
mod files;
mod merge;
mod scoring;

use super::prepare::{explain_failure, prepare};
use super::{scored_from, set_aside, Aggregated, Clock, Options, Progress, Scored};
use crate::columns::*;
use crate::error::{Error, Result};
use crate::input::{self, SourceFile, Spec};
use crate::output;
use crate::rfm::fold::rollup;
use crate::rfm::fold::Sums;
use crate::rfm::Window;
use crate::settings::calendar::{date_of, days};
use crate::settings::{Frequency, Settings};
use crate::state::{self, Batch, Depends, Manifest, RollupFile, State};
use batch::{roll_up_file, RolledFile};
use files::{merge_if_many, update_snapshot};
use scoring::aggregate;

/// Sums over the state stay in 64 bits while its absolute minor units total at most this
/// (2^62: far from i64::MAX whatever the rounding of the Float64 total).
const CHECKED_SUMS_UP_TO: f64 = 4_611_686_018_427_387_904.0;

/// The state keeps at most this many rollup files: a fold that makes more merges every file
/// but the largest into one, so a night's fold writes its own rows and, now and then, the
/// recent nights' again (not the whole history).
const MAX_ROLLUP_FILES: usize = 8;

/// The Zstandard level of rollup files: they stay on disk and are read every night; the level
/// was chosen on the benchmark's rollups (docs/performance.md, "Saved state").
const ROLLUP_ZSTD_LEVEL: i32 = 9;

/// What the fold did, for the run summary.
#[derive(Debug, Clone, Default)]
pub struct StateReport {
    /// The state folder.
    pub dir: PathBuf,
    /// Inputs folded by this run.
    pub folded: Vec<Batch>,
    /// Inputs skipped: their content was folded before (the path given now, and the batch).
    pub skipped: Vec<(PathBuf, Batch)>,
    /// Batches in the state after the run.
    pub batches: usize,
    /// Rollup rows and files in the state after the run, and their bytes.
    pub rollup_rows: u64,
    /// Rollup files after the run.
    pub rollup_files: usize,
    /// Their size on disk, in bytes.
    pub bytes: u64,
    /// Whether this run merged rollup files.
    pub merged: bool,
    /// What the customers were aggregated from: the customers snapshot (no window, as_of on
    /// or after the state's last day) or the rollup rows.
    pub from_snapshot: bool,
}

/// Fold the new inputs into the state in `dir` and score from it.
pub fn score_with_state(
    settings: &Settings,
    options: &Options,
    dir: &Path,
) -> Result<(Scored, StateReport)> {
    let progress = &options.progress;
    let mut clock = Clock::start();
    progress.stage("opening the saved state");
    let mut state = State::open(dir)?;
    state.check_depends(settings)?;
    let files = if settings.input.paths.is_empty() {
        Vec::new()
    } else {
        input::resolve(&settings.input.paths)?
    };
    if files.is_empty() && state.manifest.is_none() {
        return Err(Error::Usage(format!(
            "the state {} is new and there is no input to fold into it: list files under input.paths in {}, or pass --input",
            dir.display(),
            settings.source.display()
        )));
    }
    let mut report = StateReport {
        dir: dir.to_path_buf(),
        ..StateReport::default()
    };
    let mut new = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for file in files {
        progress.stage(format!("hashing {}", file.path.display()));
        let sha256 = state::file_sha256(&file.path).map_err(|e| Error::InputRead {
            path: file.path.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let earlier = state.manifest.as_ref().and_then(|m| m.folded(&sha256));
        if let Some(batch) = earlier {
            report.skipped.push((file.path.clone(), batch.clone()));
        } else if !seen.contains(&sha256) {
            seen.push(sha256.clone());
            new.push((file, sha256));
        }
    }
    clock.lap("open the state, hash the inputs");
    let mut rejected = None;
    let mut snapshot = None;
    if !new.is_empty() {
        let (manifest, found) = fold(&mut state, settings, options, new)?;
        report.folded = manifest.batches[manifest.batches.len() - found.folded..].to_vec();
        report.merged = found.merged;
        rejected = found.rejected;
        snapshot = found.snapshot;
        progress.stage("writing the state");
        state.commit(manifest)?;
        clock.lap("fold the new inputs and write the state");
    }
    let manifest = state
        .manifest
        .clone()
        .expect("a state with inputs folded has a manifest");
    report.batches = manifest.batches.len();
    report.rollup_rows = manifest.files.iter().map(|f| f.rows).sum();
    report.rollup_files = manifest.files.len();
    report.bytes = manifest.files.iter().map(|f| f.bytes).sum();
    let (aggregated, from_snapshot) =
        aggregate(&state, &manifest, settings, options, rejected, snapshot)?;
    report.from_snapshot = from_snapshot;
    clock.lap(if from_snapshot {
        "read the customers from the state's snapshot"
    } else {
        "aggregate per customer from the state's rollups"
    });
    let spec = spec(settings);
    let scored = scored_from(aggregated, settings, &spec, progress, clock)?;
    Ok((scored, report))
}

fn spec(settings: &Settings) -> Spec<'_> {
    Spec {
        input: &settings.input,
        group_by: &settings.analysis.group_by,
        monetary_decimals: settings.analysis.monetary_decimals,
    }
}

/// What [`fold`] found besides the new manifest.
struct Folded {
    /// New batches (the last ones of the manifest).
    folded: usize,
    /// Whether rollup files were merged.
    merged: bool,
    /// The values set aside (with `input.rejects_path`).
    rejected: Option<input::Rejected>,
    /// The customers snapshot written, if the state keeps one.
    snapshot: Option<DataFrame>,
}

/// Each new file rolled up, checked and written as a rollup file; the manifest that lists
/// them (not yet committed). A failure removes the files written so far.
fn fold(
    state: &mut State,
    settings: &Settings,
    options: &Options,
    new: Vec<(SourceFile, String)>,
) -> Result<(Manifest, Folded)> {
    let mut manifest = state.manifest.clone().unwrap_or_else(|| Manifest {
        format: state::manifest::FORMAT.to_string(),
        rfmseg_version: env!("CARGO_PKG_VERSION").to_string(),
        created: state::now_utc(),
        depends: Depends::of(settings),
        key_types: Vec::new(),
        generation: 0,
        files: Vec::new(),
        batches: Vec::new(),
        snapshot: None,
        snapshot_changes: None,
        changes_written: 0,
    });
    let mut written: Vec<PathBuf> = Vec::new();
    let remove_written = |written: &[PathBuf]| {
        for path in written {
            let _ = std::fs::remove_file(path);
        }
    };
    let count = new.len();
    let before = manifest.clone();
    let mut new_rows: Vec<DataFrame> = Vec::with_capacity(count);
    let mut rejected: Option<input::Rejected> = None;
    for (index, (file, sha256)) in new.into_iter().enumerate() {
        options.progress.stage(format!(
            "folding {} into the state ({} of {count})",
            file.path.display(),
            index + 1
        ));
        let batch = match roll_up_file(settings, options, &file, &manifest) {
            Ok(b) => b,
            Err(e) => {
                remove_written(&written);
                return Err(e);
            }
        };
        let RolledFile {
            rows,
            totals,
            key_types,
            orders,
            orders_shortlex,
            abs_minor,
            rejected: set_aside,
        } = batch;
        if manifest.key_types.is_empty() {
            manifest.key_types = key_types;
        }
        let get = |name: &str| crate::pipeline::summary::cell_u64(&totals, name);
        let date = |name: &str| {
            totals
                .column(name)
                .ok()
                .and_then(|c| c.get(0).ok())
                .and_then(|v| v.extract::<i32>())
                .map(|d| date_of(d).to_string())
        };
        let rejected_rows = set_aside.as_ref().map_or(0, |r| r.rows);
        if let Some(found) = set_aside {
            rejected = Some(match rejected.take() {
                None => found,
                Some(mut all) => {
                    all.values
                        .vstack_mut(&found.values)
                        .map_err(Error::engine("listing the values set aside"))?;
                    all.rows += found.rows;
                    all
                }
            });
        }
        manifest.generation += 1;
        if rows.height() > 0 {
            let name = state::rollup_name(manifest.generation);
            let path = state.dir().join(&name);
            if let Err(e) = output::write_parquet_at(&rows, &path, Some(ROLLUP_ZSTD_LEVEL)) {
                remove_written(&written);
                return Err(e);
            }
            written.push(path.clone());
            manifest.files.push(RollupFile {
                name,
                rows: rows.height() as u64,
                bytes: file_size(&path),
            });
        }
        manifest.batches.push(Batch {
            id: manifest.batches.last().map_or(0, |b| b.id) + 1,
            file: file.path.display().to_string(),
            size: file.size,
            sha256,
            lines: get(N_LINES) + rejected_rows,
            dropped_no_customer_id: get(N_NULL_CUSTOMER),
            dropped_no_order_date: get(N_NULL_DATE),
            dropped_no_amount: get(N_NULL_AMOUNT),
            rejected: rejected_rows,
            folded_lines: get(N_VALID),
            purchase_lines: get(N_PURCHASES),
            return_lines: get(N_RETURNS),
            first_date: date(MIN_LINE_DATE),
            last_date: date(MAX_LINE_DATE),
            abs_minor,
            folded_at: state::now_utc(),
            orders,
            orders_shortlex,
        });
        new_rows.push(rows);
    }
    let merged = merge_if_many(state, settings, &mut manifest).and_then(|merged| {
        let snapshot = update_snapshot(state, settings, &before, &mut manifest, new_rows)?;
        Ok((merged, snapshot))
    });
    let (merged, snapshot) = match merged {
        Ok(m) => m,
        Err(e) => {
            remove_written(&written);
            for s in manifest.snapshot.iter().chain(&manifest.snapshot_changes) {
                let earlier = before.snapshot.iter().chain(&before.snapshot_changes);
                if !earlier.clone().any(|e| e == s) {
                    let _ = std::fs::remove_file(state.dir().join(&s.name));
                }
            }
            return Err(e);
        }
    };
    Ok((
        manifest,
        Folded {
            folded: count,
            merged,
            rejected,
            snapshot,
        },
    ))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn parse_iso(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A state as `rfmseg inspect DIR` shows it.
pub struct StateView {
    /// The folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Distinct (group..., customer_id) in its rollups.
    pub customers: u64,
}

/// Read the state in `dir` (without locking it) and count its customers.
pub fn view(dir: &Path) -> Result<StateView> {
    let manifest = state::read_manifest(dir)?.ok_or_else(|| Error::State {
        dir: dir.to_path_buf(),
        message: format!(
            "has no {}: it is not a state folder; `rfmseg run --state DIR` creates one",
            state::MANIFEST
        ),
    })?;
    let paths: Vec<PathBuf> = manifest.files.iter().map(|f| dir.join(&f.name)).collect();
    let customers = if paths.is_empty() {
        0
    } else {
        let keys: Vec<Expr> = manifest
            .key_types
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != ORDER_ID)
            .map(col)
            .collect();
        let counted = output::read_back::scan_rollups(&paths)?
            .group_by(keys)
            .agg([len()])
            .select([len().cast(DataType::UInt64)])
            .collect()
            .map_err(Error::engine("counting the state's customers"))?;
        crate::pipeline::summary::cell_u64(&counted, "len")
    };
    Ok(StateView {
        dir: dir.to_path_buf(),
        manifest,
        customers,
    })
}
