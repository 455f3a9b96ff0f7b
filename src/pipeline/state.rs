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

/// Sums over the state stay in 64 bits while its absolute minor units total at most this
/// (2^62: far from i64::MAX whatever the rounding of the Float64 total).
const CHECKED_SUMS_UP_TO: f64 = 4_611_686_018_427_387_904.0;

/// The state keeps at most this many rollup files: a fold that makes more merges every file
/// but the largest into one, so a night's fold writes its own rows and, now and then, the
/// recent nights' again (not the whole history).
const MAX_ROLLUP_FILES: usize = 8;

/// The Zstandard level of rollup files: they stay on disk and are read every night. Level 9
/// wrote the benchmark's rollups 4% smaller than the default level 3, and levels past it no
/// smaller (docs/performance.md, "Saved state").
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
    if !new.is_empty() {
        let (manifest, found) = fold(&mut state, settings, options, new)?;
        report.folded = manifest.batches[manifest.batches.len() - found.folded..].to_vec();
        report.merged = found.merged;
        rejected = found.rejected;
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
    let (aggregated, from_snapshot) = aggregate(&state, &manifest, settings, options, rejected)?;
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
            rejected: set_aside,
        } = batch;
        if manifest.key_types.is_empty() {
            manifest.key_types = key_types;
        }
        let get = |name: &str| super::summary::cell_u64(&totals, name);
        let date = |name: &str| {
            totals
                .column(name)
                .ok()
                .and_then(|c| c.get(0).ok())
                .and_then(|v| v.extract::<i32>())
                .map(|d| date_of(d).to_string())
        };
        let abs_minor = totals
            .column(ABS_MINOR)
            .ok()
            .and_then(|c| c.get(0).ok())
            .and_then(|v| v.extract::<f64>())
            .unwrap_or(0.0);
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
        });
        new_rows.push(rows);
    }
    let merged = merge_if_many(state, settings, &mut manifest).and_then(|merged| {
        update_snapshot(state, settings, &before, &mut manifest, new_rows)?;
        Ok(merged)
    });
    let merged = match merged {
        Ok(m) => m,
        Err(e) => {
            remove_written(&written);
            if let Some(s) = &manifest.snapshot {
                if before.snapshot.as_ref() != Some(s) {
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
        },
    ))
}

/// One input file rolled up and checked.
struct RolledFile {
    rows: DataFrame,
    totals: DataFrame,
    key_types: Vec<(String, String)>,
    /// The smallest and largest purchase order id (with `frequency: orders`).
    orders: Option<(serde_json::Value, serde_json::Value)>,
    rejected: Option<input::Rejected>,
}

/// Roll up one input file: its lines read as a run reads them (window and as_of aside:
/// they apply when the state is scored), folded, and checked against the state.
fn roll_up_file(
    settings: &Settings,
    options: &Options,
    file: &SourceFile,
    manifest: &Manifest,
) -> Result<RolledFile> {
    let mut batch = settings.clone();
    batch.input.paths = vec![file.path.display().to_string()];
    batch.analysis.as_of = None;
    batch.analysis.window_days = None;
    let prepared = prepare(&batch, Some(&options.progress))?;
    let spec = spec(&batch);
    let files = &prepared.files;
    let rejected = match &settings.input.rejects_path {
        None => None,
        Some(path) => Some(set_aside(files, &spec, path)?),
    };
    let rolled = rollup::roll_up(prepared.lines, &settings.analysis);
    let mut out = LazyFrame::collect_all_with_engine(
        vec![rolled.rows.logical_plan, rolled.totals.logical_plan],
        options.engine(),
        OptFlags::default(),
    )
    .map_err(|e| explain_failure(files, &spec, "folding the order lines", e))?;
    let totals = out.pop().expect("the totals query ran");
    let rows = out.pop().expect("the rollup query ran");
    if super::summary::cell_u64(&totals, N_BAD_AMOUNT) > 0 {
        return Err(input::diagnose(files, &spec)?.unwrap_or_else(|| {
            Error::Data(format!(
                "input {}: an amount is NaN, infinite, or past 64-bit minor units",
                file.path.display()
            ))
        }));
    }
    let abs_minor = totals
        .column(ABS_MINOR)
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<f64>())
        .unwrap_or(0.0);
    if abs_minor > CHECKED_SUMS_UP_TO {
        return Err(Error::Data(format!(
            "input {}: its amounts total {abs_minor:.3e} minor units at monetary_decimals {}, past what a saved state sums exactly per batch (2^62); fold it without --state, or split the file",
            file.path.display(),
            settings.analysis.monetary_decimals
        )));
    }
    input::check_keys(&rows, files, &spec)?;
    let key_types = key_types(&rows, &settings.analysis);
    check_key_types(&key_types, manifest, file)?;
    let orders = order_span(&rows);
    Ok(RolledFile {
        rows,
        totals,
        key_types,
        orders,
        rejected,
    })
}

/// The smallest and largest purchase order id of rollup rows, as JSON (numbers or text);
/// None without an order column or a purchase order.
fn order_span(rows: &DataFrame) -> Option<(serde_json::Value, serde_json::Value)> {
    let ids = rows.column(ORDER_ID).ok()?.as_materialized_series();
    let json = |v: AnyValue| -> Option<serde_json::Value> {
        match v {
            AnyValue::String(s) => Some(s.into()),
            AnyValue::StringOwned(s) => Some(s.as_str().into()),
            AnyValue::Null => None,
            v => v.extract::<i64>().map(Into::into),
        }
    };
    let lo = json(ids.min_reduce().ok()?.value().clone())?;
    let hi = json(ids.max_reduce().ok()?.value().clone())?;
    Some((lo, hi))
}

/// Keep the customers snapshot up to date under a config without a window (the runs that
/// score from it): the snapshot of this run's new rows merged into the earlier one where no
/// purchase day (`frequency: days`) or purchase order (`frequency: orders`) of the new rows
/// can be one of the earlier rows' (new days after every earlier day; new order ids after
/// every earlier one), else made again from every rollup file. Under a window, or with sums
/// past 64 bits, the snapshot is dropped.
fn update_snapshot(
    state: &State,
    settings: &Settings,
    before: &Manifest,
    manifest: &mut Manifest,
    new_rows: Vec<DataFrame>,
) -> Result<()> {
    let analysis = &settings.analysis;
    if analysis.window_days.is_some() || manifest.abs_minor() > CHECKED_SUMS_UP_TO {
        manifest.snapshot = None;
        return Ok(());
    }
    let new_batches = &manifest.batches[before.batches.len()..];
    let first_new_day = new_batches
        .iter()
        .filter_map(|b| b.first_date.as_deref())
        .min();
    let mergeable = match analysis.frequency {
        Frequency::Lines => true,
        Frequency::Days => match (first_new_day, before.last_date()) {
            (Some(new), Some(old)) => new > old,
            _ => true,
        },
        Frequency::Orders => before.orders_after(&before.batches, new_batches),
    };
    let fail = || Error::engine("keeping the state's customers snapshot");
    let snapshot = match state.snapshot_path() {
        Some(path) if mergeable => {
            let new = concat(
                new_rows.into_iter().map(|r| r.lazy()).collect::<Vec<_>>(),
                UnionArgs::default(),
            )
            .map_err(fail())?;
            let earlier = output::read_back::scan_rollups(&[path])?;
            rollup::merge_snapshots(earlier, rollup::snapshot_of(new, analysis), analysis)
        }
        _ => {
            let all: Vec<PathBuf> = manifest
                .files
                .iter()
                .map(|f| state.dir().join(&f.name))
                .collect();
            if all.is_empty() {
                manifest.snapshot = None;
                return Ok(());
            }
            rollup::snapshot_of(output::read_back::scan_rollups(&all)?, analysis)
        }
    };
    let snapshot = snapshot.collect().map_err(fail())?;
    let name = state::snapshot_name(manifest.generation);
    let path = state.dir().join(&name);
    output::write_parquet(&snapshot, &path)?;
    manifest.snapshot = Some(RollupFile {
        name,
        rows: snapshot.height() as u64,
        bytes: file_size(&path),
    });
    Ok(())
}

/// The rollup's key columns (day aside) and their types.
fn key_types(rows: &DataFrame, analysis: &crate::settings::Analysis) -> Vec<(String, String)> {
    rollup::rollup_keys(analysis)
        .into_iter()
        .filter(|k| k != DAY)
        .map(|k| {
            let dtype = rows
                .column(&k)
                .map(|c| c.dtype().to_string())
                .unwrap_or_default();
            (k, dtype)
        })
        .collect()
}

/// A file whose key columns have other types than the state's cannot be folded into it: a
/// run over all files would read the keys as text, the state holds them as they were.
fn check_key_types(now: &[(String, String)], manifest: &Manifest, file: &SourceFile) -> Result<()> {
    for (column, dtype) in now {
        let Some((_, was)) = manifest.key_types.iter().find(|(k, _)| k == column) else {
            continue;
        };
        if was != dtype {
            return Err(Error::Data(format!(
                "input {}: column {column:?} is read as {dtype}, but the state's earlier inputs had it as {was} (batch {}, {}); a run over all of them would compare the keys as text. Write the column with the earlier files' type, or start a new state",
                file.path.display(),
                manifest.batches.first().map_or(0, |b| b.id),
                manifest.batches.first().map_or("", |b| b.file.as_str()),
            )));
        }
    }
    Ok(())
}

/// With more than [`MAX_ROLLUP_FILES`] rollup files, every file but the largest merges into
/// one (rows of one key summed). Only while the state's sums stay in 64 bits.
fn merge_if_many(state: &State, settings: &Settings, manifest: &mut Manifest) -> Result<bool> {
    if manifest.files.len() <= MAX_ROLLUP_FILES || manifest.abs_minor() > CHECKED_SUMS_UP_TO {
        return Ok(false);
    }
    let largest = manifest
        .files
        .iter()
        .enumerate()
        .max_by_key(|(_, f)| f.rows)
        .map(|(i, _)| i)
        .expect("there are rollup files");
    let (keep, merge): (Vec<_>, Vec<_>) = manifest
        .files
        .drain(..)
        .enumerate()
        .partition(|(i, _)| *i == largest);
    let paths: Vec<PathBuf> = merge
        .iter()
        .map(|(_, f)| state.dir().join(&f.name))
        .collect();
    let rows = rollup::merge(output::read_back::scan_rollups(&paths)?, &settings.analysis)
        .collect()
        .map_err(Error::engine("merging the state's rollup files"))?;
    manifest.generation += 1;
    let name = state::rollup_name(manifest.generation);
    let path = state.dir().join(&name);
    output::write_parquet_at(&rows, &path, Some(ROLLUP_ZSTD_LEVEL))?;
    manifest.files = keep.into_iter().map(|(_, f)| f).collect();
    manifest.files.push(RollupFile {
        name,
        rows: rows.height() as u64,
        bytes: file_size(&path),
    });
    Ok(true)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The customers of every rollup in the window, and the line counters of a run over all the
/// state's inputs.
fn aggregate(
    state: &State,
    manifest: &Manifest,
    settings: &Settings,
    options: &Options,
    rejected: Option<input::Rejected>,
) -> Result<(Aggregated, bool)> {
    let analysis = &settings.analysis;
    let progress: &Arc<Progress> = &options.progress;
    progress.stage("aggregating per customer from the state");
    let as_of = analysis
        .as_of
        .map(days)
        .or_else(|| manifest.last_date().and_then(parse_iso).map(days));
    let files: Vec<SourceFile> = manifest
        .batches
        .iter()
        .map(|b| {
            let path = PathBuf::from(&b.file);
            let format = input::format_of(&path).unwrap_or(input::Format::Csv);
            SourceFile::new(path, format, b.size)
        })
        .collect();
    let paths = state.rollup_paths();
    let sums = if manifest.abs_minor() > CHECKED_SUMS_UP_TO {
        Sums::Split
    } else {
        Sums::Checked
    };
    let latest = manifest.last_date().and_then(parse_iso).map(days);
    let snapshot = state
        .snapshot_path()
        .filter(|_| analysis.window_days.is_none() && sums == Sums::Checked)
        .filter(|_| matches!((as_of, latest), (Some(a), Some(l)) if a >= l));
    let from_snapshot = snapshot.is_some() && !paths.is_empty();
    let (customers, totals) = if paths.is_empty() {
        // No batch had a line with a customer, a date and an amount: no customer, and
        // counters of zero.
        no_customers(manifest, analysis)?
    } else if let Some(path) = snapshot {
        // Every line is in time and in the window: the counters are the batches'.
        let fail = || Error::engine("reading the state's customers snapshot");
        let customers =
            rollup::read_snapshot(output::read_back::scan_rollups(&[path])?, options.engine())
                .map_err(fail())?;
        let returns = manifest.total(|b| b.return_lines);
        let excluded = analysis.returns == crate::settings::Returns::Exclude;
        let latest = Series::new(MAX_LINE_DATE.into(), [latest])
            .cast(&DataType::Date)
            .map_err(fail())?;
        let totals = DataFrame::new(
            1,
            vec![
                Series::new(N_PURCHASES.into(), [manifest.total(|b| b.purchase_lines)])
                    .into_column(),
                Series::new(N_RETURNS.into(), [if excluded { 0 } else { returns }]).into_column(),
                Series::new(
                    N_RETURNS_EXCLUDED.into(),
                    [if excluded { returns } else { 0 }],
                )
                .into_column(),
                latest.into_column(),
            ],
        )
        .map_err(fail())?;
        (customers, totals)
    } else {
        let rows = output::read_back::scan_rollups(&paths)?;
        let window = Window {
            as_of,
            window_days: analysis.window_days,
        };
        let (customers, totals) = rollup::from_rollups(rows, analysis, window, sums);
        rollup::collect(customers, totals, sums, options.engine())
            .map_err(Error::engine("aggregating the state's rollups"))?
    };
    let total = |f: fn(&Batch) -> u64| lit(manifest.total(f));
    let totals = totals
        .lazy()
        .with_columns([
            total(|b| b.lines - b.rejected).alias(N_LINES),
            total(|b| b.dropped_no_customer_id).alias(N_NULL_CUSTOMER),
            total(|b| b.dropped_no_order_date).alias(N_NULL_DATE),
            total(|b| b.dropped_no_amount).alias(N_NULL_AMOUNT),
        ])
        .collect()
        .map_err(Error::engine("counting the state's lines"))?;
    Ok((
        Aggregated {
            customers,
            totals,
            files,
            as_of,
            rejected,
            rejected_rows: manifest.total(|b| b.rejected),
        },
        from_snapshot,
    ))
}

/// The customers frame of a state without rollup rows (its key columns as the state recorded
/// them, text where it recorded none), and one row of zero counters.
fn no_customers(
    manifest: &Manifest,
    analysis: &crate::settings::Analysis,
) -> Result<(DataFrame, DataFrame)> {
    let dtype = |k: &str| {
        manifest
            .key_types
            .iter()
            .find(|(c, _)| c == k)
            .and_then(|(_, t)| match t.as_str() {
                "i64" => Some(DataType::Int64),
                "i32" => Some(DataType::Int32),
                _ => None,
            })
            .unwrap_or(DataType::String)
    };
    let mut fields: Vec<Field> = analysis
        .group_by
        .iter()
        .chain([&CUSTOMER_ID.to_string()])
        .map(|k| Field::new(k.as_str().into(), dtype(k)))
        .collect();
    fields.extend([
        Field::new(SUM_MINOR.into(), DataType::Float64),
        Field::new(FIRST_ORDER_DATE.into(), DataType::Date),
        Field::new(LAST_ORDER_DATE.into(), DataType::Date),
        Field::new(FREQUENCY.into(), DataType::Int64),
    ]);
    let customers = DataFrame::empty_with_schema(&Schema::from_iter(fields));
    let fail = Error::engine("counting the state's lines");
    let latest = Series::new(MAX_LINE_DATE.into(), [None::<i32>])
        .cast(&DataType::Date)
        .map_err(Error::engine("counting the state's lines"))?;
    let totals = DataFrame::new(
        1,
        vec![
            Series::new(N_PURCHASES.into(), [0u64]).into_column(),
            latest.into_column(),
        ],
    )
    .map_err(fail)?;
    Ok((customers, totals))
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
        super::summary::cell_u64(&counted, "len")
    };
    Ok(StateView {
        dir: dir.to_path_buf(),
        manifest,
        customers,
    })
}
