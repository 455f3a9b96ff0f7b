//! The state's files kept up to date by a fold: the customers snapshot, and the rollup files
//! merged when they grow many.

use super::*;
use crate::pipeline::order;

/// Keep the customers snapshot up to date under a config without a window (the runs that
/// score from it): the snapshot of this run's new rows merged into the earlier one where no
/// purchase day (`frequency: days`) or purchase order (`frequency: orders`) of the new rows
/// can be one of the earlier rows' (new days after every earlier day; new order ids after
/// every earlier one), else made again from every rollup file. Under a window, or with sums
/// past 64 bits, the snapshot is dropped.
///
/// The snapshot is kept in output order (`pipeline::order`): a night's merge leaves the earlier
/// customers in order, the sort places the new ones among them, and scoring from the snapshot
/// sorts nothing. The snapshot written is returned, for scoring without reading it back.
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
                return Ok(None);
            }
            rollup::snapshot_of(output::read_back::scan_rollups(&all)?, analysis)
        }
    };
    let snapshot = snapshot.collect().map_err(fail())?;
    let snapshot = order::sort(snapshot, &analysis.group_by).map_err(fail())?;
    let name = state::snapshot_name(manifest.generation);
    let path = state.dir().join(&name);
    output::write_parquet(&snapshot, &path)?;
    manifest.snapshot = Some(RollupFile {
        name,
        rows: snapshot.height() as u64,
        bytes: file_size(&path),
    });
    Ok(Some(snapshot))
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
