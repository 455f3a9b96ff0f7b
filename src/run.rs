//! `rfmseg run`: input -> aggregate -> score -> segment -> output, and the run summary.
//!
//! Two queries: the line scan and per-customer aggregation (streaming, the heavy part; memory
//! grows with customers, not lines), then scoring and segmenting over the per-customer frame,
//! which ranks need whole anyway.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::columns::*;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::input::{self, SourceFile, Spec};
use crate::report::{EmptyLevel, LineCounts, RunReport, SegmentRow};
use crate::{output, rfm, segment};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print the optimised plans instead of running.
    pub explain: bool,
    /// Also write the score edges used to this YAML file.
    pub thresholds_out: Option<std::path::PathBuf>,
}

/// What `run` produced.
#[derive(Debug)]
pub enum Outcome {
    /// The optimised plans (with `explain`).
    Explained(String),
    /// The run's summary.
    Done(RunReport),
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

/// The lines read and aggregated, ready to score.
struct Prepared {
    files: Vec<SourceFile>,
    aggregated: LazyFrame,
    as_of: Option<i32>,
}

/// Customers scored and segmented, before anything is written.
pub struct Scored {
    /// The output rows in contract order, plus `__sum_minor`.
    pub result: DataFrame,
    /// Input files read.
    pub files: Vec<SourceFile>,
    /// Line accounting.
    pub lines: LineCounts,
    /// The as_of used (days since 1970-01-01); None when no line has a customer, a date and
    /// an amount.
    pub as_of: Option<i32>,
    /// Customers with lines in the window but no purchase.
    pub unscored: u64,
    /// Wall time per stage.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Resolve the inputs, the default as_of when a window needs it, and the aggregation query.
fn prepare(settings: &Settings) -> Result<Prepared> {
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
    let mut lines = input::scan(&files, &spec)?;
    let schema = lines
        .collect_schema()
        .map_err(Error::engine("reading the input schema"))?;
    check_when_types(settings, &schema)?;
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
    let aggregated = rfm::aggregate(lines, analysis, window);
    Ok(Prepared {
        files,
        aggregated,
        as_of,
    })
}

/// The optimised plans of the two queries.
pub fn explain(settings: &Settings) -> Result<String> {
    let p = prepare(settings)?;
    let plan = p
        .aggregated
        .explain(true)
        .map_err(Error::engine("explaining the aggregation"))?;
    let scored = finish(
        rfm::customers(p.aggregated, &settings.analysis, p.as_of.unwrap_or(0)),
        settings,
    );
    let plan2 = scored
        .explain(true)
        .map_err(Error::engine("explaining the scoring"))?;
    Ok(format!(
        "-- 1. scan and aggregate per customer (streaming engine)\n{plan}\n\n-- 2. score and segment{}\n{plan2}\n",
        if p.as_of.is_none() {
            " (as_of: the latest order date, found in step 1)"
        } else {
            ""
        }
    ))
}

/// Read, aggregate, score and segment: everything but writing.
pub fn score_all(settings: &Settings) -> Result<Scored> {
    let analysis = &settings.analysis;
    let mut clock = Clock::start();
    let Prepared {
        files,
        aggregated,
        as_of,
    } = prepare(settings)?;
    clock.lap("resolve inputs, read schemas, plan");
    let spec = Spec {
        input: &settings.input,
        group_by: &analysis.group_by,
    };
    let aggregated = aggregated
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| explain_failure(&files, &spec, "aggregating the order lines", e))?;
    clock.lap("scan and aggregate per customer (streaming)");
    if count_where(&aggregated, col(N_BAD_AMOUNT).gt(lit(0)))? > 0 {
        return Err(input::diagnose(&files, &spec)?
            .unwrap_or_else(|| Error::Data("an amount is NaN or infinite".to_string())));
    }
    let lines = line_counts(&aggregated)?;
    if lines.read == 0 {
        return Err(Error::NoOrderLines {
            files: file_list(&files),
        });
    }
    // None: no line has a customer, a date and an amount; nothing is scored.
    let as_of = match as_of {
        Some(d) => Some(d),
        None => max_i32(&aggregated, MAX_LINE_DATE)?,
    };
    let unscored = count_where(
        &aggregated,
        col(CUSTOMER_ID)
            .is_not_null()
            .and(col(N_PURCHASES).eq(lit(0)))
            .and((col(N_RETURNS) + col(N_RETURNS_EXCLUDED)).gt(lit(0))),
    )?;
    let mut result = finish(
        rfm::customers(aggregated.lazy(), analysis, as_of.unwrap_or(0)),
        settings,
    )
    .collect()
    .map_err(Error::engine("scoring and segmenting customers"))?;
    if settings.scoring.frozen.is_some() {
        let marker = result
            .drop_in_place(rfm::thresholds::FROZEN)
            .map_err(Error::engine("scoring with frozen thresholds"))?;
        if marker.null_count() > 0 {
            let mask = marker.is_null();
            let missing = result
                .filter(&mask)
                .map_err(Error::engine("scoring with frozen thresholds"))?;
            let groups = missing
                .select(analysis.group_by.iter().map(|g| g.as_str()))
                .and_then(|g| g.unique_stable(None, UniqueKeepStrategy::First, None))
                .map_err(Error::engine("scoring with frozen thresholds"))?;
            let examples: Vec<String> = (0..groups.height().min(3))
                .map(|row| {
                    analysis
                        .group_by
                        .iter()
                        .map(|g| {
                            let v = groups
                                .column(g)
                                .and_then(|c| c.get(row))
                                .map(|v| v.to_string());
                            format!("{g}={}", v.unwrap_or_default())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            return Err(Error::Usage(format!(
                "scoring.thresholds_from has no edges for {} group(s) in the data ({} customers), e.g. {}; write the thresholds from a run that has these groups",
                groups.height(),
                missing.height(),
                examples.join("; ")
            )));
        }
    }
    if analysis.monetary == crate::config::Monetary::Average {
        let undefined = result
            .clone()
            .lazy()
            .filter(col(FREQUENCY).eq(lit(0)))
            .select([col(CUSTOMER_ID)])
            .collect()
            .map_err(Error::engine("checking average monetary"))?;
        if undefined.height() > 0 {
            let first = undefined
                .column(CUSTOMER_ID)
                .and_then(|c| c.get(0))
                .map(|v| v.to_string())
                .unwrap_or_default();
            return Err(Error::Data(format!(
                "monetary: average divides by the number of orders, but {} customer(s) (e.g. {first}) have purchases and no order_id on any of them; give those lines an order id, or use frequency: lines or days",
                undefined.height()
            )));
        }
    }
    clock.lap("score and segment");
    Ok(Scored {
        result,
        files,
        lines,
        as_of,
        unscored,
        timings: clock.laps,
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
    if options.explain {
        return explain(settings).map(Outcome::Explained);
    }
    let Scored {
        mut result,
        files,
        lines,
        as_of,
        unscored,
        timings,
    } = score_all(settings)?;
    let mut clock = Clock::start();
    clock.laps = timings;
    let segments = segment_table(&result, settings)?;
    let empty_levels = if result.height() > 0 {
        empty_levels(&result, settings)?
    } else {
        Vec::new()
    };
    if let Some(path) = &options.thresholds_out {
        let thresholds = match &settings.scoring.frozen {
            Some(frozen) => rfm::Thresholds {
                as_of: as_of.map(|d| date_of(d).to_string()),
                ..(**frozen).clone()
            },
            None => rfm::thresholds::edges_of(
                &result,
                &settings.scoring,
                &settings.analysis.group_by,
                as_of.map(|d| date_of(d).to_string()),
            )?,
        };
        output::write_text(&rfm::thresholds::to_yaml(&thresholds)?, path)?;
    }
    clock.lap("summaries and thresholds");
    let _ = result.drop_in_place(SUM_MINOR);
    output::write_parquet(&mut result, &target)?;
    clock.lap("write, verify and rename the Parquet file");
    Ok(Outcome::Done(RunReport {
        files: files.iter().map(|f| f.path.clone()).collect(),
        lines,
        as_of: as_of.map(date_of),
        as_of_from_data: settings.analysis.as_of.is_none(),
        window_days: settings.analysis.window_days,
        customers: result.height() as u64,
        unscored,
        segments,
        empty_levels,
        output: Some(target),
        timings: clock.laps,
    }))
}

fn file_list(files: &[SourceFile]) -> String {
    files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scores, segment, contract column order and sort, plus `__sum_minor` for the summary.
fn finish(customers: LazyFrame, settings: &Settings) -> LazyFrame {
    let group_by = &settings.analysis.group_by;
    let mut order: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    order.push(col(CUSTOMER_ID));
    let mut columns = order.clone();
    columns.extend(
        [
            RECENCY_DAYS,
            FREQUENCY,
            MONETARY,
            FIRST_ORDER_DATE,
            LAST_ORDER_DATE,
            R,
            F,
            M,
            RFM_CELL,
            RFM_SCORE,
            SEGMENT,
            SUM_MINOR,
        ]
        .map(col),
    );
    if settings.scoring.frozen.is_some() {
        columns.push(col(rfm::thresholds::FROZEN));
    }
    let scored = rfm::score(customers, &settings.scoring, group_by);
    match segment::grid::lookup_table(&settings.segments, &settings.scoring, group_by) {
        // Rules decided by the scores alone: one join on the (r, f, m) grid.
        Some(table) => scored.join(
            table,
            [col(R), col(F), col(M)],
            [col(R), col(F), col(M)],
            JoinArgs::new(JoinType::Left),
        ),
        None => scored.with_column(segment::segment_expr(&settings.segments, group_by)),
    }
    .select(columns)
    .sort_by_exprs(
        order,
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(false),
    )
}

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

/// Sum the per-customer line counters into the run's line accounting.
fn line_counts(aggregated: &DataFrame) -> Result<LineCounts> {
    let no_id = || col(CUSTOMER_ID).is_null();
    let known = |c: &str| col(c).filter(no_id().not()).sum().cast(DataType::UInt64);
    let out = aggregated
        .clone()
        .lazy()
        .select([
            col(N_LINES).sum().cast(DataType::UInt64).alias("read"),
            col(N_LINES)
                .filter(no_id())
                .sum()
                .cast(DataType::UInt64)
                .alias("null_customer"),
            known(N_NULL_DATE).alias("null_date"),
            known(N_NULL_AMOUNT).alias("null_amount"),
            known(N_AFTER_AS_OF).alias("after_as_of"),
            known(N_OUTSIDE_WINDOW).alias("outside_window"),
            known(N_RETURNS_EXCLUDED).alias("returns_excluded"),
            known(N_PURCHASES).alias("purchases"),
            known(N_RETURNS).alias("returns"),
        ])
        .collect()
        .map_err(Error::engine("counting the order lines"))?;
    let get = |name: &str| cell_u64(&out, name);
    Ok(LineCounts {
        read: get("read"),
        null_customer: get("null_customer"),
        null_date: get("null_date"),
        null_amount: get("null_amount"),
        after_as_of: get("after_as_of"),
        outside_window: get("outside_window"),
        returns_excluded: get("returns_excluded"),
        purchases: get("purchases"),
        returns: get("returns"),
    })
}

/// Customers and revenue per segment, in rule order, then the default.
pub fn segment_table(result: &DataFrame, settings: &Settings) -> Result<Vec<SegmentRow>> {
    let table = result
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg([
            len().cast(DataType::UInt64).alias("customers"),
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
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }
}
