//! The state's files kept up to date by a fold: the customers snapshot, and the rollup files
//! merged when they grow many.

use super::merge::merged;
use super::*;
use crate::pipeline::order;

/// Keep the customers snapshot up to date under a config without a window (the runs that
/// score from it). Where no purchase day (`frequency: days`) or purchase order (`frequency:
/// orders`) of the new rows can be one of the earlier rows' (new days after every earlier day;
/// new order ids after every earlier one), the snapshot of this run's new rows is merged into
/// the snapshot of the customers changed since the snapshot was written (small), and only that
/// is written; else the snapshot is made again from every rollup file. Under a window, or with
/// sums past 64 bits, the snapshot is dropped.
///
/// The changes are merged into the snapshot, written whole, and started again once the rows
/// written as changes since the snapshot add up to its rows: a night writes its changes, not
/// every customer, and the whole snapshot is written once for as many rows of changes (the
/// rent-or-buy rule; whatever the share of customers a night changes, the rows written stay
/// within twice the least a choice of when to rewrite could give).
///
/// Both files are kept in output order (`pipeline::order`): the snapshot merged with its
/// changes is a walk over both, and scoring from it sorts nothing. The customers up to date are
/// returned, for scoring without reading them back.
pub(super) fn update_snapshot(
    state: &State,
    settings: &Settings,
    before: &Manifest,
    manifest: &mut Manifest,
    new_rows: Vec<DataFrame>,
) -> Result<Option<DataFrame>> {
    let analysis = &settings.analysis;
    if analysis.window_days.is_some() || manifest.abs_minor() > CHECKED_SUMS_UP_TO {
        manifest.snapshot = None;
        manifest.snapshot_changes = None;
        manifest.changes_written = 0;
        return Ok(None);
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
    let group_by = &analysis.group_by;
    if let Some(path) = state.snapshot_path().filter(|_| mergeable) {
        let new = concat(
            new_rows.into_iter().map(|r| r.lazy()).collect::<Vec<_>>(),
            UnionArgs::default(),
        )
        .map_err(fail())?;
        let tonight = rollup::snapshot_of(new, analysis);
        let changes = match state.changes_path() {
            Some(earlier) => rollup::merge_snapshots(
                output::read_back::scan_rollups(&[earlier])?,
                tonight,
                analysis,
            ),
            None => tonight,
        };
        let changes = order::sort(changes.collect().map_err(fail())?, group_by).map_err(fail())?;
        let snapshot = output::read_back::scan_rollups(&[path])?
            .collect()
            .map_err(fail())?;
        let rewrite = before.changes_written + changes.height() as u64 >= snapshot.height() as u64;
        let current = merged(snapshot, &changes, analysis).map_err(fail())?;
        if changes.height() == 0 {
            // Nothing folded changed a customer: the files stay as they are.
        } else if rewrite {
            write_snapshot(state, manifest, &current)?;
        } else {
            let name = state::changes_name(manifest.generation);
            let path = state.dir().join(&name);
            output::write_parquet(&changes, &path)?;
            manifest.snapshot_changes = Some(RollupFile {
                name,
                rows: changes.height() as u64,
                bytes: file_size(&path),
            });
            manifest.changes_written = before.changes_written + changes.height() as u64;
        }
        return Ok(Some(current));
    }
    let all: Vec<PathBuf> = manifest
        .files
        .iter()
        .map(|f| state.dir().join(&f.name))
        .collect();
    if all.is_empty() {
        manifest.snapshot = None;
        manifest.snapshot_changes = None;
        manifest.changes_written = 0;
        return Ok(None);
    }
    let snapshot = rollup::snapshot_of(output::read_back::scan_rollups(&all)?, analysis)
        .collect()
        .map_err(fail())?;
    let snapshot = order::sort(snapshot, group_by).map_err(fail())?;
    write_snapshot(state, manifest, &snapshot)?;
    Ok(Some(snapshot))
}

/// `snapshot` written as the state's customers snapshot, with no changes beside it.
fn write_snapshot(state: &State, manifest: &mut Manifest, snapshot: &DataFrame) -> Result<()> {
    let name = state::snapshot_name(manifest.generation);
    let path = state.dir().join(&name);
    output::write_parquet(snapshot, &path)?;
    manifest.snapshot = Some(RollupFile {
        name,
        rows: snapshot.height() as u64,
        bytes: file_size(&path),
    });
    manifest.snapshot_changes = None;
    manifest.changes_written = 0;
    Ok(())
}

/// The customers up to date from the state on disk: its snapshot, with the changes since
/// merged in where it has some; in output order.
pub(super) fn read_customers(state: &State, settings: &Settings) -> Result<Option<DataFrame>> {
    let fail = || Error::engine("reading the state's customers snapshot");
    let Some(path) = state.snapshot_path() else {
        return Ok(None);
    };
    let read = |path: PathBuf| -> Result<DataFrame> {
        output::read_back::scan_rollups(&[path])?
            .collect()
            .map_err(fail())
    };
    let snapshot = read(path)?;
    Ok(Some(match state.changes_path() {
        None => snapshot,
        Some(changes) => merged(snapshot, &read(changes)?, &settings.analysis).map_err(fail())?,
    }))
}

/// With more than [`MAX_ROLLUP_FILES`] rollup files, every file but the largest merges into
/// one (rows of one key summed). Only while the state's sums stay in 64 bits.
pub(super) fn merge_if_many(
    state: &State,
    settings: &Settings,
    manifest: &mut Manifest,
) -> Result<bool> {
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
