//! The inputs resolved and scanned, the default as_of where a window needs it, and the
//! aggregation strategy chosen before any line is folded; and `--explain`'s plans.

use std::sync::Arc;

use polars::prelude::*;

use super::{days, finish, Progress};
use crate::columns::*;
use crate::error::{Error, Result};
use crate::input::{self, SourceFile, Spec};
use crate::rfm;
use crate::settings::{when, Encoding, Settings};

/// The engine failed on the input: name the bad value if there is one.
pub(super) fn explain_failure(
    files: &[SourceFile],
    spec: &Spec,
    context: &str,
    e: PolarsError,
) -> Error {
    match input::diagnose(files, spec) {
        Ok(Some(bad)) => bad,
        Ok(None) => Error::Engine {
            context: context.to_string(),
            source: e,
        },
        Err(other) => other,
    }
}

/// The lines to read and the window, ready to aggregate.
pub(super) struct Prepared {
    pub files: Vec<SourceFile>,
    pub lines: LazyFrame,
    pub window: rfm::Window,
    pub as_of: Option<i32>,
    /// Whether `as_of` is the Parquet statistics' latest date, to be confirmed by the
    /// aggregation's latest line date (a window needs it before any line is read).
    pub as_of_from_statistics: bool,
    /// The aggregation strategy chosen for these lines.
    pub fold: rfm::Fold,
}

/// Resolve the inputs, the default as_of when a window needs it, and the aggregation query.
pub(super) fn prepare(settings: &Settings, progress: Option<&Arc<Progress>>) -> Result<Prepared> {
    let analysis = &settings.analysis;
    if settings.input.paths.is_empty() {
        return Err(Error::Usage(format!(
            "no input: list files, globs or folders under input.paths in {}, or pass --input",
            settings.source.display()
        )));
    }
    let files = input::resolve(&settings.input.paths)?;
    if let (Some(p), true) = (progress, settings.input.csv.encoding != Encoding::Utf8) {
        p.stage(format!(
            "decoding the CSV inputs from {} to UTF-8",
            settings.input.csv.encoding.name()
        ));
    }
    let files = input::decode(files, &settings.input.csv)?;
    let spec = Spec {
        input: &settings.input,
        group_by: &analysis.group_by,
        monetary_decimals: analysis.monetary_decimals,
    };
    let mut lines = match settings.input.rejects_path {
        None => input::scan(&files, &spec)?,
        Some(_) => input::scan_lenient(&files, &spec)?,
    };
    let schema = lines
        .collect_schema()
        .map_err(Error::engine("reading the input schema"))?;
    check_when_types(settings, &schema)?;
    let columns = &settings.input.columns;
    let spans = rfm::Spans {
        customer: input::integer_span(&files, &columns.customer_id),
        order: columns
            .order_id
            .as_ref()
            .and_then(|o| input::integer_span(&files, o)),
        group: match analysis.group_by.as_slice() {
            [group] => input::integer_span(&files, group),
            _ => None,
        },
    };
    let fold = rfm::Fold::choose(&schema, analysis, spans, input::estimated_lines(&files));
    let mut as_of = analysis.as_of.map(days);
    let mut as_of_from_statistics = false;
    if as_of.is_none() && analysis.window_days.is_some() {
        // The footers' latest date of a DATE column costs no scan; the aggregation's latest
        // line date confirms it (pipeline::score_all aggregates again where it differs).
        as_of = input::latest_date_in_statistics(&files, &settings.input.columns.order_date);
        as_of_from_statistics = as_of.is_some();
    }
    if as_of.is_none() && analysis.window_days.is_some() {
        as_of = input::latest_date(lines.clone()).map_err(|e| match e {
            Error::Engine { context, source } => explain_failure(&files, &spec, &context, source),
            other => other,
        })?;
        // None: no line has a customer, a date and an amount; the aggregation below counts
        // the lines and score_all says which error it is.
    }
    let window = rfm::Window {
        as_of,
        window_days: analysis.window_days,
    };
    if let Some(p) = progress {
        lines = count_lines(lines, p.clone());
    }
    Ok(Prepared {
        files,
        lines,
        window,
        as_of,
        as_of_from_statistics,
        fold,
    })
}

/// The optimised plans of the two queries.
pub fn explain(settings: &Settings) -> Result<String> {
    let p = prepare(settings, None)?;
    let aggregation = p.fold.plan(p.lines, p.window, ONE_PASS);
    let customers = aggregation
        .customers
        .explain(true)
        .map_err(Error::engine("explaining the aggregation"))?;
    let totals = aggregation
        .totals
        .explain(true)
        .map_err(Error::engine("explaining the line counts"))?;
    // The second query's shape does not depend on the edges' values: plan it on a frame of
    // the aggregate's schema with placeholder edges.
    let schema = rfm::customers(aggregation.customers, &settings.analysis, 0)
        .collect_schema()
        .map_err(Error::engine("explaining the scoring"))?;
    let empty = DataFrame::empty_with_schema(&schema);
    let mut thresholds = match &settings.scoring.frozen {
        Some(t) => (**t).clone(),
        None => rfm::edges(&empty, &settings.scoring, &settings.analysis.group_by, None)?,
    };
    if settings.scoring.min_group_customers.is_some() {
        thresholds = rfm::levels::resolve(&empty, &thresholds, &settings.analysis.group_by)?.edges;
    }
    let scored = finish(empty.lazy(), &thresholds, settings)
        .explain(true)
        .map_err(Error::engine("explaining the scoring"))?;
    // The plans compare days since 1970-01-01: say which day that is, in the calendar.
    let as_of = match p.as_of {
        Some(d) => format!(
            "-- as_of {} = day {d} (days since 1970-01-01 in the plans)\n",
            settings.input.calendar.shown(super::date_of(d))
        ),
        None => String::new(),
    };
    Ok(format!(
        "{as_of}-- 1. scan and aggregate per customer (streaming engine, one scan for both)\n{customers}\n\n-- 1b. line counts for the summary\n{totals}\n\n-- 2. score with the edges found per group, segment, write (streaming engine; input sorted by the group_by columns, then customer_id){}\n{scored}\n",
        if p.as_of.is_none() {
            " (as_of: the latest order date, found in step 1)"
        } else {
            ""
        }
    ))
}

/// `lines` with every line counted into `progress` as the scan goes (per batch).
fn count_lines(lines: LazyFrame, progress: Arc<Progress>) -> LazyFrame {
    lines.with_column(col(CUSTOMER_ID).map(
        move |c| {
            progress.add_lines(c.len() as u64);
            Ok(c)
        },
        |_, field| Ok(field.clone()),
    ))
}

const ONE_PASS: rfm::Partition = rfm::Partition { index: 0, of: 1 };

/// With the group columns' real types known: every `when` must give true/false on them.
fn check_when_types(settings: &Settings, schema: &Schema) -> Result<()> {
    let types: Vec<(String, DataType)> = settings
        .analysis
        .group_by
        .iter()
        .map(|g| {
            let dtype = schema.get(g).cloned().unwrap_or(DataType::String);
            (g.clone(), dtype)
        })
        .collect();
    let problems = when::type_problems(&settings.segments.rules, &types);
    if problems.is_empty() {
        return Ok(());
    }
    let at = crate::config::locate::Locations::index(&settings.text);
    Err(Error::ConfigInvalid {
        path: settings.source.clone(),
        problems: problems
            .into_iter()
            .map(|(i, message)| {
                let path = format!("segments.rules[{i}].when");
                crate::error::Problem {
                    place: format!("{path} ({})", settings.segments.rules[i].name),
                    spot: at.find(&path),
                    message,
                }
            })
            .collect(),
    })
}

pub(super) fn file_list(files: &[SourceFile]) -> String {
    files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
