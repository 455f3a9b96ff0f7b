//! The customers a state scores: from the customers snapshot where it applies (no window,
//! as_of on or after the last day), else from the rollups in the window.

use super::*;

/// The customers of every rollup in the window, and the line counters of a run over all the
/// state's inputs. `written`: the snapshot this run wrote, if it did (read from disk if not).
pub(super) fn aggregate(
    state: &State,
    manifest: &Manifest,
    settings: &Settings,
    options: &Options,
    rejected: Option<input::Rejected>,
    written: Option<DataFrame>,
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
    // The snapshot this run wrote is kept only where it scores: elsewhere it would sit in
    // memory beside the rollups' aggregation.
    let written = written.filter(|_| from_snapshot);
    // The snapshot a fold wrote is in output order (merged by the walk over two frames it
    // checked, or sorted); one read back from disk is checked by the sort.
    let in_order = written.is_some();
    let (customers, totals) = if paths.is_empty() {
        // No batch had a line with a customer, a date and an amount: no customer, and
        // counters of zero.
        no_customers(manifest, analysis)?
    } else if snapshot.is_some() {
        // Every line is in time and in the window: the counters are the batches'.
        let fail = || Error::engine("reading the state's customers snapshot");
        let snapshot = match written {
            Some(snapshot) => snapshot,
            None => files::read_customers(state, settings)?
                .expect("a state with a snapshot path has a snapshot"),
        };
        let customers = rollup::snapshot_customers(snapshot).map_err(fail())?;
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
            in_order,
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
