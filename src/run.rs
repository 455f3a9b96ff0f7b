//! `rfmseg run`: input -> aggregate -> score -> segment -> output, and the run summary.
//!
//! Two queries: the line scan and per-customer aggregation (streaming, the heavy part; memory
//! grows with customers, not lines), then scoring and segmenting over the per-customer frame,
//! which ranks need whole anyway.

use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::columns::*;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::input::{self, SourceFile, Spec};
use crate::provenance::{self, Provenance};
use crate::report::progress::Progress;
use crate::report::{EmptyLevel, LineCounts, RunReport, SegmentRow};
use crate::{output, rfm, segment};

/// How to run.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// Print the optimised plans instead of running.
    pub explain: bool,
    /// Also write the score edges used to this YAML file.
    pub thresholds_out: Option<std::path::PathBuf>,
    /// Where the run reports its stage and the lines read (shown by the binary).
    pub progress: Arc<Progress>,
    /// Hash partitions of the customers, one pass over the input each (None: one per
    /// [`LINES_PER_PASS`] or [`LINES_PER_PASS_IN_RUNS`] lines of input, estimated).
    pub partitions: Option<u32>,
    /// Run the queries on polars' in-memory engine instead of the streaming one (a check
    /// and debugging aid: both must write the same file; in memory holds all lines).
    pub in_memory: bool,
}

/// What `run` produced.
#[derive(Debug)]
pub enum Outcome {
    /// The optimised plans (with `explain`).
    Explained(String),
    /// The run's summary.
    Done(Box<RunReport>),
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// Days since 1970-01-01.
pub fn days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

fn date_of(days: i32) -> NaiveDate {
    EPOCH + chrono::Duration::days(i64::from(days))
}

/// The engine failed on the input: name the bad value if there is one.
fn explain_failure(files: &[SourceFile], spec: &Spec, context: &str, e: PolarsError) -> Error {
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
struct Prepared {
    files: Vec<SourceFile>,
    lines: LazyFrame,
    window: rfm::Window,
    as_of: Option<i32>,
    /// How `frequency: orders` folds lines into orders (the cheaper fold where it applies).
    fold: rfm::OrderFold,
    /// Which integer keys are carried in 32 bits.
    narrow: rfm::Narrow,
}

/// Order lines per pass over the input: more are split into hash partitions of the
/// customers, one pass each (the orders of each customer are held while its pass runs).
/// Measured at 100M lines with the group-by over orders (README, Performance): 1 pass took
/// 8.8-9.0 s and 2.5 GB, 2 passes 9.8-10.1 s and 1.6 GB. `--help` and the README name this
/// number.
pub const LINES_PER_PASS: u64 = 100_000_000;

/// [`LINES_PER_PASS`] when orders are counted where their lines are
/// ([`rfm::OrderFold::ByRuns`]): a pass holds its customers, not their orders. A billion
/// lines took 1 min 30 s in 3 passes and peaked at 10.1 GB (3 min 55 s and 9.9 GB in 10).
/// Should the lines not be in runs, each pass groups its 400M lines by order id instead.
pub const LINES_PER_PASS_IN_RUNS: u64 = 400_000_000;

/// Customers aggregated and their score edges found, before anything is scored or written.
pub struct Scored {
    /// One row per scored customer, sorted by the group_by columns (nulls last), then
    /// customer_id: the keys, the metric columns, first/last order dates and `__sum_minor`.
    pub customers: DataFrame,
    /// The edges that score them (derived, or frozen from `scoring.thresholds_from`).
    pub thresholds: rfm::Thresholds,
    /// Input files read.
    pub files: Vec<SourceFile>,
    /// Line accounting.
    pub lines: LineCounts,
    /// The as_of used (days since 1970-01-01); None when no line has a customer, a date and
    /// an amount.
    pub as_of: Option<i32>,
    /// Customers with lines in the window but no purchase.
    pub unscored: u64,
    /// The values set aside (with `input.rejects_path`).
    pub rejected: Option<input::Rejected>,
    /// Wall time per stage.
    pub timings: Vec<(String, std::time::Duration)>,
}

impl Scored {
    /// The output rows, in contract order, plus `__sum_minor` for the summary.
    pub fn plan(&self, settings: &Settings) -> LazyFrame {
        finish(self.customers.clone().lazy(), &self.thresholds, settings)
    }

    /// What the output's footer records about this run.
    pub fn provenance(&self, settings: &Settings) -> Provenance {
        Provenance::new(
            crate::config::canonical_text(settings),
            &self.files,
            self.as_of.map(|d| date_of(d).to_string()),
            settings.analysis.as_of.is_none(),
            provenance::Rows::from_counts(&self.lines),
            provenance::Customers {
                scored: self.customers.height() as u64,
                not_scored: self.unscored,
            },
        )
    }
}

/// Resolve the inputs, the default as_of when a window needs it, and the aggregation query.
fn prepare(settings: &Settings, progress: Option<&Arc<Progress>>) -> Result<Prepared> {
    let analysis = &settings.analysis;
    if settings.input.paths.is_empty() {
        return Err(Error::Usage(format!(
            "no input: list files, globs or folders under input.paths in {}, or pass --input",
            settings.source.display()
        )));
    }
    let files = input::resolve(&settings.input.paths)?;
    let spec = Spec {
        input: &settings.input,
        group_by: &analysis.group_by,
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
    let narrow = rfm::Narrow::for_spans(
        &schema,
        input::integer_span(&files, &columns.customer_id),
        columns
            .order_id
            .as_ref()
            .and_then(|o| input::integer_span(&files, o)),
    );
    let fold =
        rfm::OrderFold::for_input(&schema, analysis, &narrow, input::estimated_lines(&files));
    let mut as_of = analysis.as_of.map(days);
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
        fold,
        narrow,
    })
}

/// The optimised plans of the two queries.
pub fn explain(settings: &Settings) -> Result<String> {
    let p = prepare(settings, None)?;
    let aggregation = rfm::aggregate(
        p.lines,
        &settings.analysis,
        p.window,
        ONE_PASS,
        p.fold,
        &p.narrow,
    );
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
    let thresholds = match &settings.scoring.frozen {
        Some(t) => (**t).clone(),
        None => rfm::edges(&empty, &settings.scoring, &settings.analysis.group_by, None)?,
    };
    let scored = finish(empty.lazy(), &thresholds, settings)
        .explain(true)
        .map_err(Error::engine("explaining the scoring"))?;
    Ok(format!(
        "-- 1. scan and aggregate per customer (streaming engine, one scan for both)\n{customers}\n\n-- 1b. line counts for the summary\n{totals}\n\n-- 2. score with the edges found per group, segment, write (streaming engine; input sorted by the group_by columns, then customer_id){}\n{scored}\n",
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

impl RunOptions {
    /// The polars engine the queries run on.
    fn engine(&self) -> Engine {
        if self.in_memory {
            Engine::InMemory
        } else {
            Engine::Streaming
        }
    }
}

/// Read and aggregate the lines, find as_of and the score edges: everything but scoring
/// each customer and writing.
pub fn score_all(settings: &Settings, options: &RunOptions) -> Result<Scored> {
    let progress = &options.progress;
    let analysis = &settings.analysis;
    let mut clock = Clock::start();
    progress.stage("reading the inputs");
    let Prepared {
        files,
        lines,
        window,
        as_of,
        fold,
        narrow,
    } = prepare(settings, Some(progress))?;
    clock.lap("resolve inputs, read schemas, plan");
    let spec = Spec {
        input: &settings.input,
        group_by: &analysis.group_by,
    };
    let rejected = match &settings.input.rejects_path {
        None => None,
        Some(path) => {
            let same = |f: &SourceFile| {
                std::fs::canonicalize(&f.path).ok() == std::fs::canonicalize(path).ok()
            };
            if path.exists() && files.iter().any(same) {
                return Err(Error::Usage(format!(
                    "input.rejects_path {} is one of the input files; give the rows set aside a file of their own",
                    path.display()
                )));
            }
            progress.stage("finding the values that cannot be read");
            let found = input::rejected(&files, &spec).map_err(|e| match e {
                Error::Engine { context, source } => {
                    explain_failure(&files, &spec, &context, source)
                }
                other => other,
            })?;
            clock.lap("find the values that cannot be read");
            Some(found)
        }
    };
    let passes = options.partitions.unwrap_or_else(|| {
        input::estimated_lines(&files)
            .div_ceil(if fold == rfm::OrderFold::ByRuns {
                LINES_PER_PASS_IN_RUNS
            } else {
                LINES_PER_PASS
            })
            .max(1) as u32
    });
    let mut parts = Vec::with_capacity(passes as usize);
    let mut totals = None;
    let mut order_ids_shared = false;
    let (mut fold, mut narrow) = (fold, narrow);
    let mut ids_outside_statistics = false;
    let mut lines_not_in_runs = false;
    for index in 0..passes {
        progress.restart_lines();
        progress.stage(if passes == 1 {
            "scanning and aggregating order lines per customer".to_string()
        } else {
            format!(
                "scanning and aggregating order lines per customer, pass {} of {passes}",
                index + 1
            )
        });
        let partition = rfm::Partition { index, of: passes };
        let collect = |fold, with_totals: bool, narrow: &rfm::Narrow| {
            let aggregation =
                rfm::aggregate(lines.clone(), analysis, window, partition, fold, narrow);
            let mut plans = vec![aggregation.customers.logical_plan];
            if with_totals {
                plans.push(aggregation.totals.logical_plan);
            }
            let out =
                LazyFrame::collect_all_with_engine(plans, options.engine(), OptFlags::default());
            (out, aggregation.ledger.is_some_and(|l| l.conflict()))
        };
        let fail = |e| explain_failure(&files, &spec, "aggregating the order lines", e);
        let mut out = loop {
            match collect(fold, index == 0, &narrow) {
                (Ok(out), _) => break out,
                // The ledger met an order whose lines are not together (rfm/ledger.rs): this
                // pass and the next ones fold orders with the group-by over order ids.
                (Err(_), true) => {
                    progress.stage("order lines are not in runs: folding orders by order id");
                    fold = rfm::OrderFold::ByOrderId;
                    lines_not_in_runs = true;
                }
                // An id outside the span its Parquet footer states cannot be carried in 32
                // bits (the cast fails rather than mix customers): aggregate with the ids as
                // they are. Any other failure fails again, and is explained then.
                (Err(_), false) if narrow != rfm::Narrow::default() => {
                    progress.stage(
                        "an id lies outside its file's statistics: aggregating with 64-bit ids",
                    );
                    narrow = rfm::Narrow::default();
                    fold = fold.usable(analysis, &narrow);
                    ids_outside_statistics = true;
                }
                (Err(e), false) => return Err(fail(e)),
            }
        };
        if index == 0 {
            totals = out.pop();
        }
        if fold == rfm::OrderFold::ByOrderId && shares_orders(&out[0])? {
            // An order id holds lines of two customers (or groups): fold this pass exactly.
            progress.stage("an order id is shared between customers: folding orders per customer");
            out = collect(rfm::OrderFold::ByKeys, false, &narrow)
                .0
                .map_err(fail)?;
            order_ids_shared = true;
        } else if fold == rfm::OrderFold::ByOrderId {
            out[0] = out[0]
                .drop(ORDER_SHARED)
                .map_err(Error::engine("aggregating the order lines"))?;
        }
        parts.extend(out.pop());
    }
    let (Some(totals), Some(mut aggregated)) = (totals, parts.first().cloned()) else {
        return Err(Error::Data(
            "internal: the aggregation returned no frames".into(),
        ));
    };
    for part in &parts[1..] {
        aggregated
            .vstack_mut(part)
            .map_err(Error::engine("joining the partitions"))?;
    }
    drop(parts);
    let mut stage = String::from("scan and aggregate per customer (streaming");
    for (again, why) in [
        (
            lines_not_in_runs,
            "again by order id: order lines are not in runs",
        ),
        (
            order_ids_shared,
            "again by customer and order: an order id is shared",
        ),
        (
            ids_outside_statistics,
            "again with 64-bit ids: an id lies outside its file's statistics",
        ),
    ] {
        if again {
            stage.push_str("; ");
            stage.push_str(why);
        }
    }
    stage.push(')');
    clock.lap(stage);
    progress.stage("sorting customers and finding the score edges");
    if cell_u64(&totals, N_BAD_AMOUNT) > 0 {
        return Err(input::diagnose(&files, &spec)?
            .unwrap_or_else(|| Error::Data("an amount is NaN or infinite".to_string())));
    }
    let mut lines = line_counts(&totals);
    if let Some(r) = &rejected {
        lines.rejected = r.rows;
        lines.read += r.rows;
    }
    if lines.read == 0 {
        return Err(Error::NoOrderLines {
            files: file_list(&files),
        });
    }
    // None: no line has a customer, a date and an amount; nothing is scored.
    let as_of = match as_of {
        Some(d) => Some(d),
        None => max_i32(&totals, MAX_LINE_DATE)?,
    };
    let unscored = count_where(&aggregated, col(LAST_ORDER_DATE).is_null())?;
    let mut order: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    order.push(col(CUSTOMER_ID));
    // Sorted before the metrics are derived: the sort gathers the fewest columns.
    let sorted = aggregated.lazy().sort_by_exprs(
        order,
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(false),
    );
    let customers = rfm::customers(sorted, analysis, as_of.unwrap_or(0))
        .collect()
        .map_err(Error::engine("sorting the customers"))?;
    if analysis.monetary == crate::config::Monetary::Average {
        check_average_defined(&customers)?;
    }
    let as_of_text = as_of.map(|d| date_of(d).to_string());
    let thresholds = match &settings.scoring.frozen {
        Some(frozen) => rfm::Thresholds {
            as_of: as_of_text,
            ..(**frozen).clone()
        },
        None => rfm::edges(
            &customers,
            &settings.scoring,
            &analysis.group_by,
            as_of_text,
        )?,
    };
    // Scores are matched to their group's edges by the group values: every group must find
    // its edges (frozen ones may lack a group; derived ones never should).
    check_groups_have_edges(&customers, &thresholds, settings)?;
    clock.lap("metrics, sort and score edges");
    Ok(Scored {
        customers,
        thresholds,
        files,
        lines,
        as_of,
        unscored,
        rejected,
        timings: clock.laps,
    })
}

/// Whether a pass folded by order id met an order id holding lines of two customers (or
/// groups).
fn shares_orders(customers: &DataFrame) -> Result<bool> {
    let shared = customers
        .column(ORDER_SHARED)
        .and_then(|c| c.bool().map(|b| b.any()))
        .map_err(Error::engine("aggregating the order lines"))?;
    Ok(shared)
}

/// `monetary: average` divides by the orders: refuse customers with purchases and no order.
fn check_average_defined(customers: &DataFrame) -> Result<()> {
    let undefined = customers
        .clone()
        .lazy()
        .filter(col(FREQUENCY).eq(lit(0)))
        .select([col(CUSTOMER_ID)])
        .collect()
        .map_err(Error::engine("checking average monetary"))?;
    if undefined.height() == 0 {
        return Ok(());
    }
    let first = undefined
        .column(CUSTOMER_ID)
        .and_then(|c| c.get(0))
        .map(|v| v.to_string())
        .unwrap_or_default();
    Err(Error::Data(format!(
        "monetary: average divides by the number of orders, but {} customer(s) (e.g. {first}) have purchases and no order_id on any of them; give those lines an order id, or use frequency: lines or days",
        undefined.height()
    )))
}

/// Every group in the data must have edges.
fn check_groups_have_edges(
    customers: &DataFrame,
    thresholds: &rfm::Thresholds,
    settings: &Settings,
) -> Result<()> {
    let group_by = &settings.analysis.group_by;
    if group_by.is_empty() {
        return Ok(());
    }
    let fail = Error::engine("matching groups to their score edges");
    const N: &str = "__customers";
    let by: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    let groups = customers
        .clone()
        .lazy()
        .group_by(by.clone())
        .agg([len().cast(DataType::UInt64).alias(N)]);
    let missing = rfm::thresholds::with_edges(groups, thresholds, group_by)
        .0
        .filter(col(rfm::thresholds::FROZEN).is_null())
        .sort_by_exprs(by, SortMultipleOptions::default().with_nulls_last(true))
        .collect()
        .map_err(fail)?;
    if missing.height() == 0 {
        return Ok(());
    }
    let examples: Vec<String> = (0..missing.height().min(3))
        .map(|row| {
            group_by
                .iter()
                .map(|g| {
                    let v = missing
                        .column(g)
                        .and_then(|c| c.get(row))
                        .map(|v| v.to_string());
                    format!("{g}={}", v.unwrap_or_default())
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let customers: u64 = missing
        .column(N)
        .ok()
        .and_then(|c| c.u64().ok().map(|c| c.sum().unwrap_or(0)))
        .unwrap_or(0);
    let (n, examples) = (missing.height(), examples.join("; "));
    Err(match settings.scoring.frozen {
        Some(_) => Error::Usage(format!(
            "scoring.thresholds_from has no edges for {n} group(s) in the data ({customers} customers), e.g. {examples}; write the thresholds from a run that has these groups"
        )),
        None => Error::Data(format!(
            "internal: {n} group(s) ({customers} customers, e.g. {examples}) did not match their own score edges; please report it with the group_by column types"
        )),
    })
}

/// Run the whole job per `settings`.
pub fn run(settings: &Settings, options: &RunOptions) -> Result<Outcome> {
    let target = settings.output.clone().ok_or_else(|| {
        Error::Usage(format!(
            "no output path: set output.path in {} or pass --output FILE",
            settings.source.display()
        ))
    })?;
    output::check_parquet_target(&target)?;
    if let Some(path) = &options.thresholds_out {
        output::check_target(path)?;
    }
    if let Some(path) = &settings.input.rejects_path {
        output::check_target(path)?;
    }
    if options.explain {
        return explain(settings).map(Outcome::Explained);
    }
    let scored = score_all(settings, options)?;
    options
        .progress
        .stage("scoring, segmenting and writing the Parquet file");
    let mut clock = Clock::start();
    clock.laps = scored.timings.clone();
    let rows = scored.plan(settings);
    let summary = summary_plan(rows.clone(), &settings.analysis.group_by);
    let summary = output::sink_parquet(
        rows.drop(cols([SUM_MINOR, rfm::thresholds::FROZEN])),
        &target,
        scored.customers.height() as u64,
        &scored.provenance(settings),
        summary,
        options.engine(),
    )?;
    clock.lap("score, segment, write, verify and rename the Parquet file");
    let segments = segment_table(&summary, settings)?;
    let empty_levels = if scored.customers.height() > 0 {
        empty_levels(&summary, settings)?
    } else {
        Vec::new()
    };
    if let Some(path) = &options.thresholds_out {
        output::write_text(&rfm::thresholds::to_yaml(&scored.thresholds)?, path)?;
    }
    if let (Some(path), Some(rejected)) = (&settings.input.rejects_path, &scored.rejected) {
        output::write_csv(&rejected.values, path)?;
    }
    clock.lap("summaries and thresholds");
    Ok(Outcome::Done(Box::new(RunReport {
        files: scored.files.iter().map(|f| f.path.clone()).collect(),
        lines: scored.lines,
        as_of: scored.as_of.map(date_of),
        as_of_from_data: settings.analysis.as_of.is_none(),
        window_days: settings.analysis.window_days,
        customers: scored.customers.height() as u64,
        unscored: scored.unscored,
        segments,
        empty_levels,
        output: Some(target),
        rejects: settings.input.rejects_path.clone(),
        timings: clock.laps,
    })))
}

fn file_list(files: &[SourceFile]) -> String {
    files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scores and segment of the sorted customers, in the contract's column order, plus
/// `__sum_minor` and the frozen-edges marker, in the customers' row order.
fn finish(customers: LazyFrame, thresholds: &rfm::Thresholds, settings: &Settings) -> LazyFrame {
    let group_by = &settings.analysis.group_by;
    let mut columns: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    columns.extend(
        OUTPUT_COLUMNS
            .into_iter()
            .chain([SUM_MINOR, rfm::thresholds::FROZEN])
            .map(col),
    );
    let scored = rfm::score(customers, thresholds, &settings.scoring, group_by);
    let segment = segment::grid::lookup(&settings.segments, &settings.scoring, group_by)
        .unwrap_or_else(|| segment::segment_expr(&settings.segments, group_by));
    scored.with_column(segment).select(columns)
}

/// Customers and revenue per (group..., r, f, m, segment): all the run summary needs.
fn summary_plan(rows: LazyFrame, group_by: &[String]) -> LazyFrame {
    let mut by: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    by.extend([col(R), col(F), col(M), col(SEGMENT)]);
    rows.group_by(by).agg([
        len().cast(DataType::UInt64).alias(SUMMARY_CUSTOMERS),
        col(SUM_MINOR).sum().alias(SUM_MINOR),
    ])
}

/// The summary of scored rows held in memory (for `check`).
pub fn summary_of(result: &DataFrame, settings: &Settings) -> Result<DataFrame> {
    summary_plan(result.clone().lazy(), &settings.analysis.group_by)
        .collect()
        .map_err(Error::engine("summarising segments"))
}

const SUMMARY_CUSTOMERS: &str = "__customers";

/// The first value of column `name` as u64 (0 when missing).
fn cell_u64(df: &DataFrame, name: &str) -> u64 {
    df.column(name)
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}

fn max_i32(df: &DataFrame, column: &str) -> Result<Option<i32>> {
    let out = df
        .clone()
        .lazy()
        .select([col(column).max().cast(DataType::Int32)])
        .collect()
        .map_err(Error::engine("finding the latest order date"))?;
    Ok(out
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<i32>()))
}

fn count_where(df: &DataFrame, predicate: Expr) -> Result<u64> {
    let out = df
        .clone()
        .lazy()
        .select([predicate.cast(DataType::UInt64).sum().alias("n")])
        .collect()
        .map_err(Error::engine("summarising the run"))?;
    Ok(cell_u64(&out, "n"))
}

/// The run's line accounting, from the one-row totals of the scan.
fn line_counts(totals: &DataFrame) -> LineCounts {
    let get = |name: &str| cell_u64(totals, name);
    LineCounts {
        read: get(N_LINES),
        rejected: 0,
        null_customer: get(N_NULL_CUSTOMER),
        null_date: get(N_NULL_DATE),
        null_amount: get(N_NULL_AMOUNT),
        after_as_of: get(N_AFTER_AS_OF),
        outside_window: get(N_OUTSIDE_WINDOW),
        returns_excluded: get(N_RETURNS_EXCLUDED),
        purchases: get(N_PURCHASES),
        returns: get(N_RETURNS),
    }
}

/// Customers and revenue per segment, in rule order, then the default.
pub fn segment_table(summary: &DataFrame, settings: &Settings) -> Result<Vec<SegmentRow>> {
    let table = summary
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg([
            col(SUMMARY_CUSTOMERS).sum().alias("customers"),
            col(SUM_MINOR)
                .sum()
                .cast(DataType::Float64)
                .alias("revenue"),
        ])
        .collect()
        .map_err(Error::engine("summarising segments"))?;
    let names = table
        .column(SEGMENT)
        .and_then(|c| c.str().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let customers = table
        .column("customers")
        .and_then(|c| c.u64().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let revenue = table
        .column("revenue")
        .and_then(|c| c.f64().cloned())
        .map_err(Error::engine("summarising segments"))?;
    let total_customers: u64 = customers.into_no_null_iter().sum();
    let total_revenue: f64 = revenue.iter().flatten().sum();
    let mut rows: Vec<SegmentRow> = names
        .iter()
        .zip(customers.into_no_null_iter())
        .zip(revenue.iter())
        .map(|((name, c), r)| SegmentRow {
            name: name.unwrap_or_default().to_string(),
            customers: c,
            share: c as f64 / total_customers.max(1) as f64,
            revenue_share: if total_revenue != 0.0 {
                r.unwrap_or(0.0) / total_revenue
            } else {
                0.0
            },
        })
        .collect();
    let position = |name: &str| {
        settings
            .segments
            .rules
            .iter()
            .position(|r| r.name == name)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(|r| position(&r.name));
    Ok(rows)
}

/// Score levels no customer has, per metric (and in how many groups).
pub fn empty_levels(result: &DataFrame, settings: &Settings) -> Result<Vec<EmptyLevel>> {
    let group_by = &settings.analysis.group_by;
    let s = &settings.scoring;
    let mut found = Vec::new();
    for (score, bins) in [
        (R, s.recency.bins),
        (F, s.frequency.bins),
        (M, s.monetary.bins),
    ] {
        let present: Vec<Expr> = (1..=bins)
            .map(|level| {
                col(score)
                    .eq(lit(level as i32))
                    .any(true)
                    .alias(format!("l{level}"))
            })
            .collect();
        let per_group = if group_by.is_empty() {
            result.clone().lazy().select(present)
        } else {
            result
                .clone()
                .lazy()
                .group_by(group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>())
                .agg(present)
        };
        let absent: Vec<Expr> = (1..=bins)
            .map(|level| {
                col(format!("l{level}").as_str())
                    .not()
                    .cast(DataType::UInt64)
                    .sum()
                    .alias(format!("l{level}"))
            })
            .chain([len().cast(DataType::UInt64).alias("groups")])
            .collect();
        let out = per_group
            .select(absent)
            .collect()
            .map_err(Error::engine("counting empty score levels"))?;
        let get = |name: &str| cell_u64(&out, name);
        let of = get("groups");
        for level in 1..=bins {
            let groups = get(&format!("l{level}"));
            if groups > 0 {
                found.push(EmptyLevel {
                    score,
                    level,
                    groups,
                    of,
                });
            }
        }
    }
    Ok(found)
}

/// The most common value of the metric behind a score, and its share: why a level is empty.
pub fn tie_behind(result: &DataFrame, score: &str) -> Result<String> {
    let metric = match score {
        R => RECENCY_DAYS,
        F => FREQUENCY,
        _ => MONETARY,
    };
    let top = result
        .clone()
        .lazy()
        .group_by([col(metric)])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .sort_by_exprs(
            [col("n")],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .limit(1)
        .collect()
        .map_err(Error::engine("finding ties"))?;
    let value = top
        .column(metric)
        .ok()
        .and_then(|c| c.get(0).ok().map(|v| v.to_string()))
        .unwrap_or_default();
    let n = top
        .column("n")
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0);
    Ok(format!(
        "{:.0}% of customers have {metric} {value} (tied values share a score)",
        100.0 * n as f64 / result.height().max(1) as f64
    ))
}

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
    let problems = segment::when_type_problems(&settings.segments, &types);
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
                crate::config::Problem {
                    place: format!("{path} ({})", settings.segments.rules[i].name),
                    spot: at.find(&path),
                    message,
                }
            })
            .collect(),
    })
}

/// Wall time per stage, for `--verbose`.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(String, std::time::Duration)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: impl Into<String>) {
        let now = std::time::Instant::now();
        self.laps.push((stage.into(), now - self.last));
        self.last = now;
    }
}
