//! One input file of a fold: rolled up, and checked against the state before anything is
//! written (readable values, sums within 64 bits, the key columns' types).

use super::*;

/// One input file rolled up and checked.
pub(super) struct RolledFile {
    pub rows: DataFrame,
    pub totals: DataFrame,
    pub key_types: Vec<(String, String)>,
    /// The smallest and largest purchase order id (with `frequency: orders`).
    pub orders: Option<(serde_json::Value, serde_json::Value)>,
    /// The smallest and largest text order id in shortlex order ([`Batch::orders_shortlex`]).
    pub orders_shortlex: Option<(String, String)>,
    /// The sum of the absolute minor units of its lines.
    pub abs_minor: f64,
    pub rejected: Option<input::Rejected>,
}

/// Roll up one input file: its lines read as a run reads them (window and as_of aside:
/// they apply when the state is scored), folded, and checked against the state.
pub(super) fn roll_up_file(
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
    if crate::pipeline::summary::cell_u64(&totals, N_BAD_AMOUNT) > 0 {
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
    let orders_shortlex = shortlex_span(&rows);
    Ok(RolledFile {
        rows,
        totals,
        key_types,
        orders,
        orders_shortlex,
        abs_minor,
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

/// The smallest and largest text order id of rollup rows in shortlex order (shorter first,
/// then bytewise); None for integer ids or none.
fn shortlex_span(rows: &DataFrame) -> Option<(String, String)> {
    let ids = rows.column(ORDER_ID).ok()?.str().ok()?;
    let shortlex = |a: &&str, b: &&str| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
    let lo = ids.iter().flatten().min_by(shortlex)?;
    let hi = ids.iter().flatten().max_by(shortlex)?;
    Some((lo.to_string(), hi.to_string()))
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
