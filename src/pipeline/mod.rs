//! What `run` and `check` share: the inputs prepared, the passes over them (one per hash
//! partition of the customers, each folded by [`rfm::Fold`]), the customers' metrics sorted
//! and their score edges found ([`score_all`]), and the plan that scores, segments and
//! orders them ([`Scored::plan`]). [`summary`] holds the queries of the run summary.
//!
//! Two queries: the line scan and per-customer aggregation (streaming, the heavy part; memory
//! grows with customers, not lines), then scoring and segmenting over the per-customer frame,
//! which ranks need whole anyway.

pub mod horizon;
mod order;
mod prepare;
pub mod progress;
pub mod state;
pub mod summary;

use std::sync::Arc;

use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::input::{self, SourceFile, Spec};
use crate::output::provenance::{Customers, HoldoutRecord, LineCounts, Provenance};
use crate::settings::{Calendar, Monetary, Settings, Thresholds};
use crate::{rfm, segment};

pub use prepare::explain;
use prepare::{explain_failure, file_list, prepare, Prepared};
pub use progress::Progress;
use summary::{count_where, line_counts, max_i32};

/// How the passes run.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Where the run reports its stage and the lines read (shown by the binary).
    pub progress: Arc<Progress>,
    /// Hash partitions of the customers, one pass over the input each (None: as many as keep
    /// a pass within a quarter of the machine's memory, estimated from the input's lines).
    pub partitions: Option<u32>,
    /// Run the queries on polars' in-memory engine instead of the streaming one (a check
    /// and debugging aid: both must write the same file; in memory holds all lines).
    pub in_memory: bool,
}

impl Options {
    /// The polars engine the queries run on.
    pub fn engine(&self) -> Engine {
        if self.in_memory {
            Engine::InMemory
        } else {
            Engine::Streaming
        }
    }
}

pub use crate::settings::calendar::{date_of, days};

/// Customers aggregated and their score edges found, before anything is scored or written.
pub struct Scored {
    /// One row per scored customer, sorted by the group_by columns (nulls last), then
    /// customer_id: the keys, the metric columns, first/last order dates and `__sum_minor`.
    pub customers: DataFrame,
    /// The edges that score them (derived, or frozen from `scoring.thresholds_from`); with
    /// `min_group_customers`, per (level, partition) used, as `--thresholds-out` writes them.
    pub thresholds: Thresholds,
    /// With `min_group_customers`: the edges each group is scored with (those of its level's
    /// partition) and what each level scored.
    pub by_level: Option<rfm::ByLevel>,
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
        finish(
            self.customers.clone().lazy(),
            self.scoring_edges(),
            settings,
        )
    }

    /// The edges the customers are joined to: per group (with levels, resolved).
    pub fn scoring_edges(&self) -> &Thresholds {
        self.by_level
            .as_ref()
            .map_or(&self.thresholds, |levels| &levels.edges)
    }

    /// With `min_group_customers`: the groups, customers and partitions of each level.
    pub fn levels(&self) -> Vec<rfm::LevelCount> {
        self.by_level
            .as_ref()
            .map(|levels| levels.counts.clone())
            .unwrap_or_default()
    }

    /// What the output's footer records about this run.
    pub fn provenance(&self, settings: &Settings) -> Provenance {
        let holdout = settings.holdout.as_ref().map(|h| HoldoutRecord {
            share: h.share(),
            salt: h.salt.clone(),
            hash: segment::holdout::HASH_NAME.to_string(),
        });
        let provenance = Provenance::new(
            crate::config::canonical_text(settings),
            &self.files,
            self.as_of.map(|d| date_of(d).to_string()),
            self.as_of
                .filter(|_| settings.input.calendar != Calendar::Gregorian)
                .map(|d| {
                    let calendar = settings.input.calendar;
                    format!("{} {}", calendar.text(date_of(d)), calendar.title())
                }),
            settings.analysis.as_of.is_none(),
            self.lines.clone(),
            Customers {
                scored: self.customers.height() as u64,
                not_scored: self.unscored,
            },
        );
        Provenance {
            holdout,
            ..provenance
        }
        .with_edges(&self.thresholds)
    }
}

/// Read and aggregate the lines, find as_of and the score edges: everything but scoring
/// each customer and writing.
pub fn score_all(settings: &Settings, options: &Options) -> Result<Scored> {
    let progress = &options.progress;
    let analysis = &settings.analysis;
    let mut clock = Clock::start();
    progress.stage("reading the inputs");
    let mut prepared = prepare(settings, Some(progress))?;
    clock.lap("resolve inputs, read schemas, plan");
    let spec = Spec {
        input: &settings.input,
        group_by: &analysis.group_by,
        monetary_decimals: analysis.monetary_decimals,
    };
    let files = &prepared.files;
    let rejected = match &settings.input.rejects_path {
        None => None,
        Some(path) => {
            progress.stage("finding the values that cannot be read");
            let found = set_aside(files, &spec, path)?;
            clock.lap("find the values that cannot be read");
            Some(found)
        }
    };
    let (mut aggregated, mut totals) = aggregate(&mut prepared, &spec, options)?;
    let mut as_of_note = "";
    if prepared.as_of_from_statistics {
        let latest = max_i32(&totals, MAX_LINE_DATE)?;
        if latest == prepared.as_of {
            as_of_note = "; as_of from the Parquet statistics";
        } else {
            // The statistics' latest date belongs to lines without a customer or an amount
            // (or the statistics are wrong): the window moves to the real latest date.
            progress.stage("the latest dated lines have no customer or amount: aggregating again");
            prepared.as_of = latest;
            prepared.window.as_of = latest;
            (aggregated, totals) = aggregate(&mut prepared, &spec, options)?;
            as_of_note =
                "; again: the statistics' latest date has no line with a customer and an amount";
        }
    }
    input::check_keys(&aggregated, &prepared.files, &spec)?;
    let Prepared {
        files, as_of, fold, ..
    } = prepared;
    let mut stage = String::from("scan and aggregate per customer (streaming");
    for why in fold.fallbacks() {
        stage.push_str("; ");
        stage.push_str(why.done());
    }
    stage.push_str(as_of_note);
    stage.push(')');
    clock.lap(stage);
    let rejected_rows = rejected.as_ref().map_or(0, |r| r.rows);
    let aggregated = Aggregated {
        customers: aggregated,
        totals,
        files,
        as_of,
        rejected,
        rejected_rows,
        in_order: false,
    };
    scored_from(aggregated, settings, &spec, progress, clock)
}

/// The customers of every pass (or of a saved state) and the line counters, before the
/// metrics are sorted and the edges found.
pub(crate) struct Aggregated {
    /// One row per (group..., customer_id) with a line in the window (see
    /// [`rfm::fold::Pass::customers`]).
    pub customers: DataFrame,
    /// One row of line counters (`__n_*`, `__max_line_date`).
    pub totals: DataFrame,
    /// The input files the lines came from.
    pub files: Vec<SourceFile>,
    /// The as_of the window used, if it was known before the aggregation.
    pub as_of: Option<i32>,
    /// The values set aside in this run (with `input.rejects_path`).
    pub rejected: Option<input::Rejected>,
    /// Rows set aside, counted into the lines read.
    pub rejected_rows: u64,
    /// The customers are known to be in output order, one row per key (a state's snapshot
    /// as its fold merged it): the sort's check is skipped.
    pub in_order: bool,
}

/// The customers of `aggregated` sorted, their metrics derived and their score edges found.
fn scored_from(
    aggregated: Aggregated,
    settings: &Settings,
    spec: &Spec,
    progress: &Progress,
    mut clock: Clock,
) -> Result<Scored> {
    let Aggregated {
        customers: aggregated,
        totals,
        files,
        as_of,
        rejected,
        rejected_rows,
        in_order,
    } = aggregated;
    progress.stage("sorting customers and finding the score edges");
    if summary::cell_u64(&totals, N_BAD_AMOUNT) > 0 {
        return Err(input::diagnose(&files, spec)?.unwrap_or_else(|| {
            Error::Data("an amount is NaN, infinite, or past 64-bit minor units".to_string())
        }));
    }
    let mut lines = line_counts(&totals);
    lines.rejected = rejected_rows;
    lines.read += rejected_rows;
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
    let customers = sorted_customers(aggregated, settings, as_of, in_order)?;
    let (thresholds, by_level) = edges(&customers, settings, as_of)?;
    clock.lap("metrics, sort and score edges");
    Ok(Scored {
        customers,
        thresholds,
        by_level,
        files,
        lines,
        as_of,
        unscored,
        rejected,
        timings: clock.laps,
    })
}

/// The rows with a value that cannot be read, set aside for `input.rejects_path`.
fn set_aside(files: &[SourceFile], spec: &Spec, path: &std::path::Path) -> Result<input::Rejected> {
    let same =
        |f: &SourceFile| std::fs::canonicalize(&f.path).ok() == std::fs::canonicalize(path).ok();
    if path.exists() && files.iter().any(same) {
        return Err(Error::Usage(format!(
            "input.rejects_path {} is one of the input files; give the rows set aside a file of their own",
            path.display()
        )));
    }
    input::rejected(files, spec).map_err(|e| match e {
        Error::Engine { context, source } => explain_failure(files, spec, &context, source),
        other => other,
    })
}

/// Every pass over the lines (one per hash partition of the customers), folded by the
/// strategy `prepared.fold` chose: the customers of all partitions, and the line counters.
fn aggregate(
    prepared: &mut Prepared,
    spec: &Spec,
    options: &Options,
) -> Result<(DataFrame, DataFrame)> {
    let progress = &options.progress;
    let Prepared {
        files,
        lines,
        window,
        fold,
        ..
    } = prepared;
    let passes = options
        .partitions
        .unwrap_or_else(|| default_passes(input::estimated_lines(files), fold));
    let mut parts = Vec::with_capacity(passes as usize);
    let mut totals = None;
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
        let pass = fold
            .pass(
                lines,
                *window,
                partition,
                index == 0,
                options.engine(),
                &mut |why: rfm::Fallback| progress.stage(why.doing()),
            )
            .map_err(|e| explain_failure(files, spec, "aggregating the order lines", e))?;
        if index == 0 {
            totals = pass.totals;
        }
        parts.push(pass.customers);
    }
    let mut parts = parts.into_iter();
    let (Some(totals), Some(mut aggregated)) = (totals, parts.next()) else {
        return Err(Error::Data(
            "internal: the aggregation returned no frames".into(),
        ));
    };
    for part in parts {
        aggregated
            .vstack_mut(&part)
            .map_err(Error::engine("joining the partitions"))?;
    }
    Ok((aggregated, totals))
}

/// One pass may take this share of the machine's memory (1/4): the customers of every pass
/// are held together afterwards, and scoring needs them whole.
const PASS_MEMORY_SHARE: u64 = 4;

/// Passes over `lines` input lines so that one pass stays within its share of the memory.
fn default_passes(lines: u64, fold: &rfm::Fold) -> u32 {
    let budget = total_memory() / PASS_MEMORY_SHARE;
    let per_pass = (budget / fold.bytes_per_line()).max(1 << 20);
    lines.div_ceil(per_pass).clamp(1, 1024) as u32
}

/// The memory this process may use, in bytes: the machine's (Linux: `MemTotal`), or the
/// container's limit where a cgroup sets a lower one; 8 GiB where neither can be read.
fn total_memory() -> u64 {
    const FALLBACK: u64 = 8 << 30;
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = read("/proc/meminfo").and_then(|t| mem_total(&t));
    let limit = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .into_iter()
    .filter_map(|p| read(p).and_then(|t| cgroup_limit(&t)))
    .min();
    match (machine, limit) {
        (Some(m), Some(l)) => m.min(l),
        (m, l) => m.or(l).unwrap_or(FALLBACK),
    }
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A cgroup memory limit file's bytes; None for "max" (no limit) or unreadable text.
fn cgroup_limit(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// The scored customers' metrics, sorted by the group_by columns (nulls last), then
/// customer_id (`in_order`: they already are).
fn sorted_customers(
    aggregated: DataFrame,
    settings: &Settings,
    as_of: Option<i32>,
    in_order: bool,
) -> Result<DataFrame> {
    let analysis = &settings.analysis;
    // Sorted before the metrics are derived: the sort gathers the fewest columns.
    let sorted = if in_order {
        aggregated
    } else {
        order::sort(aggregated, &analysis.group_by)
            .map_err(Error::engine("sorting the customers"))?
    };
    let customers = rfm::customers(sorted.lazy(), analysis, as_of.unwrap_or(0))
        .collect()
        .map_err(Error::engine("sorting the customers"))?;
    if analysis.monetary == Monetary::Average {
        check_average_defined(&customers)?;
    }
    Ok(customers)
}

/// The edges that score `customers`: derived per group, or frozen from
/// `scoring.thresholds_from`; every group must find its own. With `min_group_customers`, the
/// edges per (level, partition) and, resolved from them, each group's.
fn edges(
    customers: &DataFrame,
    settings: &Settings,
    as_of: Option<i32>,
) -> Result<(Thresholds, Option<rfm::ByLevel>)> {
    let as_of_text = as_of.map(|d| date_of(d).to_string());
    let thresholds = match &settings.scoring.frozen {
        Some(frozen) => Thresholds {
            as_of: as_of_text,
            ..(**frozen).clone()
        },
        None => rfm::edges(
            customers,
            &settings.scoring,
            &settings.analysis.group_by,
            as_of_text,
        )?,
    };
    let by_level = match settings.scoring.min_group_customers {
        Some(_) => Some(rfm::levels::resolve(
            customers,
            &thresholds,
            &settings.analysis.group_by,
        )?),
        None => None,
    };
    // Scores are matched to their group's edges by the group values: every group must find
    // its edges (frozen ones may lack a group; derived ones never should).
    let scoring = by_level.as_ref().map_or(&thresholds, |l| &l.edges);
    check_groups_have_edges(customers, scoring, settings)?;
    Ok((thresholds, by_level))
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
    thresholds: &Thresholds,
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
    let levels = match settings.scoring.min_group_customers {
        Some(_) => " at any level (its own, a parent partition's or the whole input's)",
        None => "",
    };
    Err(match settings.scoring.frozen {
        Some(_) => Error::Usage(format!(
            "scoring.thresholds_from has no edges for {n} group(s) in the data ({customers} customers){levels}, e.g. {examples}; write the thresholds from a run that has these groups"
        )),
        None => Error::Data(format!(
            "internal: {n} group(s) ({customers} customers, e.g. {examples}) did not match their own score edges; please report it with the group_by column types"
        )),
    })
}

/// Scores and segment of the sorted customers, in the contract's column order (with
/// `output.holdout`, `holdout` last), plus `__sum_minor` and the frozen-edges marker, in the
/// customers' row order.
fn finish(customers: LazyFrame, thresholds: &Thresholds, settings: &Settings) -> LazyFrame {
    let group_by = &settings.analysis.group_by;
    let mut columns: Vec<Expr> = group_by.iter().map(|g| col(g.as_str())).collect();
    columns.extend(output_columns(settings).into_iter().map(col));
    let scored = rfm::score(customers, thresholds, &settings.scoring, group_by);
    let segment = segment::grid::lookup(&settings.segments, &settings.scoring)
        .unwrap_or_else(|| segment::segment_expr(&settings.segments));
    let mut segmented = scored.with_column(segment);
    if let Some(holdout) = &settings.holdout {
        let mut keys = group_by.clone();
        keys.push(CUSTOMER_ID.to_string());
        segmented = segment::holdout::flag(segmented, &keys, holdout);
        columns.push(col(HOLDOUT));
    }
    columns.extend([SUM_MINOR, rfm::thresholds::FROZEN].map(col));
    segmented.select(columns)
}

/// The output columns after the group_by columns, in order: the contract's, with
/// `score_level` after `rfm_score` when `scoring.min_group_customers` is set.
pub fn output_columns(settings: &Settings) -> Vec<&'static str> {
    let mut columns = OUTPUT_COLUMNS.to_vec();
    if settings.scoring.min_group_customers.is_some() {
        let at = columns
            .iter()
            .position(|c| *c == RFM_SCORE)
            .expect("rfm_score is an output column");
        columns.insert(at + 1, SCORE_LEVEL);
    }
    columns
}

/// Wall time per stage, for `--verbose`.
pub struct Clock {
    last: std::time::Instant,
    /// Each stage's name and wall time, in order.
    pub laps: Vec<(String, std::time::Duration)>,
}

impl Clock {
    /// A clock started now.
    pub fn start() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Record the time since the last lap as `stage`.
    pub fn lap(&mut self, stage: impl Into<String>) {
        let now = std::time::Instant::now();
        self.laps.push((stage.into(), now - self.last));
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_the_machine_s_or_a_lower_container_limit() {
        let meminfo = "MemTotal:       24588440 kB\nMemFree:        1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(24588440 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(cgroup_limit("max\n"), None);
        assert_eq!(cgroup_limit("4294967296\n"), Some(4 << 30));
    }
}
