//! From the parsed YAML to [`Settings`]: every problem is collected, placed with
//! [`Locations`], and reported together.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_yaml::Value;

use super::checker::Checker;
use super::holdout::check_holdout;
use super::input::check_input;
use super::keys::unknown_keys;
use super::locate::Locations;
use super::raw::{RawConfig, RawMetricScoring};
use super::segments::check_segments;
use super::Overrides;
use crate::columns;
use crate::error::{suggest, Problem};
use crate::settings::{
    Analysis, Calendar, ColumnMap, Frequency, Method, MetricScoring, Monetary, Returns, Scoring,
    Settings, Thresholds,
};

/// Why a config was refused.
pub enum Failure {
    /// Not YAML at all.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Parsed, with these problems.
    Problems(Vec<Problem>),
}

/// Scores may use 2..=10 levels.
pub const BINS: std::ops::RangeInclusive<i64> = 2..=10;
/// Minor-unit decimals allowed.
pub const DECIMALS: std::ops::RangeInclusive<i64> = 0..=6;

pub fn resolve(text: &str, overrides: &Overrides) -> Result<Settings, Failure> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| syntax(&e))?;
    let at = Locations::index(text);
    let mut ck = Checker {
        at: &at,
        problems: Vec::new(),
    };
    match &doc {
        Value::Mapping(_) | Value::Null => {}
        _ => {
            ck.add(
                "(top level)",
                None,
                "the config must be a mapping with input, analysis, scoring, segments and output",
            );
            return Err(Failure::Problems(ck.problems));
        }
    }
    for u in unknown_keys(&doc) {
        let hint = match suggest(&u.key, u.allowed) {
            Some(s) => format!("did you mean `{s}`? "),
            None => String::new(),
        };
        ck.add(
            &u.path,
            None,
            format!(
                "unknown key `{}`; {hint}allowed here: {}",
                u.key,
                u.allowed.join(", ")
            ),
        );
    }
    let raw: RawConfig = if doc.is_null() {
        RawConfig::default()
    } else {
        match serde_yaml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let (line, column) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((0, 0));
                ck.problems.push(Problem {
                    place: "value".into(),
                    spot: (line > 0).then_some(crate::error::Spot { line, column }),
                    message: strip_location(&e.to_string()),
                });
                return Err(Failure::Problems(ck.problems));
            }
        }
    };
    let settings = check(raw, overrides, &mut ck);
    ck.problems
        .sort_by_key(|p| p.spot.map_or((usize::MAX, 0), |s| (s.line, s.column)));
    if ck.problems.is_empty() {
        Ok(settings)
    } else {
        Err(Failure::Problems(ck.problems))
    }
}

fn syntax(e: &serde_yaml::Error) -> Failure {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    Failure::Syntax {
        line,
        column,
        message: format!("invalid YAML: {}", strip_location(&e.to_string())),
    }
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn check(raw: RawConfig, overrides: &Overrides, ck: &mut Checker) -> Settings {
    let input = check_input(&raw, overrides, ck);
    let analysis = check_analysis(&raw, overrides, input.calendar, &input.columns, ck);
    let scoring = check_scoring(&raw, &analysis.group_by, ck);
    let segments = check_segments(&raw, &scoring, &analysis.group_by, ck);
    let holdout = check_holdout(&raw, &analysis.group_by, ck);
    let output = overrides
        .output
        .clone()
        .or_else(|| raw.output.path.as_ref().map(PathBuf::from));
    if output.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
        ck.add("output.path", None, "is empty; give a .parquet file path");
    }
    if output.is_some() && output == input.rejects_path {
        ck.add(
            "input.rejects_path",
            None,
            "names the output file; give the rows set aside a file of their own",
        );
    }
    Settings {
        source: PathBuf::new(),
        text: String::new(),
        input,
        analysis,
        scoring,
        segments,
        output,
        holdout,
    }
}

fn check_analysis(
    raw: &RawConfig,
    overrides: &Overrides,
    calendar: Calendar,
    columns: &ColumnMap,
    ck: &mut Checker,
) -> Analysis {
    let a = &raw.analysis;
    let (place, given) = match (&overrides.as_of, &a.as_of) {
        (Some(s), _) => ("--as-of", Some(s)),
        (None, given) => ("analysis.as_of", given.as_ref()),
    };
    let as_of = given.and_then(|s| {
        let day = calendar.parse_day(s);
        if day.is_none() {
            ck.add(
                place,
                None,
                format!("{s:?} is not a date; write it as {}", calendar.day_hint()),
            );
        }
        day
    });
    let window_days = match a.window_days {
        None => None,
        Some(w) if (1..=i64::from(u32::MAX)).contains(&w) => Some(w as u32),
        Some(w) => {
            ck.add(
                "analysis.window_days",
                None,
                format!("{w} is not a window; give a whole number of days >= 1, or remove it"),
            );
            None
        }
    };
    let returns = choice(
        ck,
        "analysis.returns",
        a.returns.as_deref(),
        &[("net", Returns::Net), ("exclude", Returns::Exclude)],
        Returns::Net,
    );
    let monetary = choice(
        ck,
        "analysis.monetary",
        a.monetary.as_deref(),
        &[("total", Monetary::Total), ("average", Monetary::Average)],
        Monetary::Total,
    );
    let default_frequency = if columns.order_id.is_some() {
        Frequency::Orders
    } else {
        Frequency::Lines
    };
    let frequency = choice(
        ck,
        "analysis.frequency",
        a.frequency.as_deref(),
        &[
            ("orders", Frequency::Orders),
            ("lines", Frequency::Lines),
            ("days", Frequency::Days),
        ],
        default_frequency,
    );
    if frequency == Frequency::Orders && columns.order_id.is_none() {
        ck.add(
            "analysis.frequency",
            None,
            "`orders` counts distinct order ids, but input.columns.order_id is not mapped; map it or use `lines` or `days`",
        );
    }
    let monetary_decimals = match a.monetary_decimals {
        None => 2,
        Some(d) if DECIMALS.contains(&d) => d as u32,
        Some(d) => {
            ck.add(
                "analysis.monetary_decimals",
                None,
                format!("{d} is out of range; give 0 to 6 (2 for cents)"),
            );
            2
        }
    };
    let group_by = a.group_by.clone().map(|g| g.into_vec()).unwrap_or_default();
    let mut seen = HashSet::new();
    let reserved = reserved_names(columns);
    for (i, g) in group_by.iter().enumerate() {
        let path = format!("analysis.group_by[{i}]");
        if g.trim().is_empty() {
            ck.add(&path, None, "is empty; give a column name");
        } else if !seen.insert(g.as_str()) {
            ck.add(&path, None, format!("column {g:?} is listed twice"));
        } else if reserved.contains(&g.as_str()) {
            ck.add(
                &path,
                None,
                format!("{g:?} is a mapped input column or an output column name; group by another column"),
            );
        }
    }
    Analysis {
        as_of,
        window_days,
        returns,
        monetary,
        monetary_decimals,
        frequency,
        group_by,
    }
}

/// Names a group_by column cannot take: mapped roles and output columns.
fn reserved_names(columns: &ColumnMap) -> Vec<&str> {
    let mut names = vec![
        columns.customer_id.as_str(),
        columns.order_date.as_str(),
        columns.amount.as_str(),
        columns::CUSTOMER_ID,
        columns::RECENCY_DAYS,
        columns::FREQUENCY,
        columns::MONETARY,
        columns::FIRST_ORDER_DATE,
        columns::LAST_ORDER_DATE,
        columns::R,
        columns::F,
        columns::M,
        columns::RFM_CELL,
        columns::RFM_SCORE,
        columns::SEGMENT,
    ];
    if let Some(o) = &columns.order_id {
        names.push(o);
    }
    names
}

fn choice<T: Copy>(
    ck: &mut Checker,
    path: &str,
    given: Option<&str>,
    options: &[(&str, T)],
    default: T,
) -> T {
    let Some(given) = given else { return default };
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == given) {
        return *v;
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    ck.add(
        path,
        None,
        format!("{given:?} is not one of: {}", names.join(", ")),
    );
    default
}

fn check_scoring(raw: &RawConfig, group_by: &[String], ck: &mut Checker) -> Scoring {
    let s = &raw.scoring;
    let not_a_method = |other: &str| {
        let names = Method::NAMES;
        let (last, first) = names.split_last().expect("methods");
        format!(
            "{other:?} is not a method; use {} or {last}",
            first.join(", ")
        )
    };
    let global_method = match s.method.as_deref() {
        None => "rank",
        Some(m) if Method::NAMES.contains(&m) => m,
        Some(other) => {
            ck.add("scoring.method", None, not_a_method(other));
            "rank"
        }
    };
    let global_bins = match s.bins {
        None => 5,
        Some(b) if BINS.contains(&b) => b,
        Some(b) => {
            ck.add(
                "scoring.bins",
                None,
                format!("{b} bins is out of range; give 2 to 10"),
            );
            5
        }
    };
    let mut metric = |name: &str, block: &Option<RawMetricScoring>| -> MetricScoring {
        let empty = RawMetricScoring::default();
        let block = block.as_ref().unwrap_or(&empty);
        let base = format!("scoring.{name}");
        let bins = match block.bins {
            None => global_bins,
            Some(b) if BINS.contains(&b) => b,
            Some(b) => {
                ck.add(
                    &format!("{base}.bins"),
                    None,
                    format!("{b} bins is out of range; give 2 to 10"),
                );
                global_bins
            }
        } as u32;
        let method_name = match block.method.as_deref() {
            None => global_method,
            Some(m) if Method::NAMES.contains(&m) => m,
            Some(other) => {
                ck.add(&format!("{base}.method"), None, not_a_method(other));
                global_method
            }
        };
        let unit = if name == "recency" {
            "days"
        } else if name == "frequency" {
            "purchases"
        } else {
            "currency units"
        };
        let method = match (method_name, &block.thresholds) {
            ("fixed", None) => {
                ck.add(
                    &base,
                    None,
                    format!(
                        "method fixed needs {} ascending thresholds in {unit} under {base}.thresholds",
                        bins - 1
                    ),
                );
                Method::Rank
            }
            ("fixed", Some(t)) => {
                if t.len() != (bins - 1) as usize {
                    ck.add(
                        &format!("{base}.thresholds"),
                        None,
                        format!(
                            "has {} values; {bins} bins need exactly {} thresholds",
                            t.len(),
                            bins - 1
                        ),
                    );
                } else if t.iter().any(|v| !v.is_finite()) {
                    ck.add(
                        &format!("{base}.thresholds"),
                        None,
                        "must be finite numbers",
                    );
                } else if t.windows(2).any(|w| w[0] >= w[1]) {
                    ck.add(
                        &format!("{base}.thresholds"),
                        None,
                        format!("{t:?} is not strictly ascending; list them from low to high"),
                    );
                }
                Method::Fixed(t.clone())
            }
            (m, Some(_)) => {
                ck.add(
                    &format!("{base}.thresholds"),
                    None,
                    format!("thresholds apply only to method fixed, but {name} is scored by {m}; set {base}.method: fixed or remove them"),
                );
                Method::without_thresholds(m).unwrap_or(Method::Rank)
            }
            (m, None) => Method::without_thresholds(m).unwrap_or(Method::Rank),
        };
        MetricScoring { method, bins }
    };
    let mut scoring = Scoring {
        recency: metric("recency", &s.recency),
        frequency: metric("frequency", &s.frequency),
        monetary: metric("monetary", &s.monetary),
        frozen: None,
        thresholds_from: None,
        min_group_customers: check_min_group_customers(s.min_group_customers, group_by, ck),
    };
    if let Some(path) = &s.thresholds_from {
        let place = "scoring.thresholds_from";
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {path}: {e}"))
            .and_then(|text| {
                serde_yaml::from_str::<Thresholds>(&text)
                    .map_err(|e| format!("{path} is not a thresholds file written by `rfmseg run --thresholds-out`: {e}"))
            });
        match loaded {
            Err(why) => ck.add(place, None, why),
            Ok(t) => {
                let mut problems = t.problems(group_by);
                match (t.min_group_customers, s.min_group_customers) {
                    (None, Some(n)) => problems.push(format!(
                        "was written without min_group_customers (edges per group, no levels), but this config sets scoring.min_group_customers: {n}; write the file from a run with it, or remove min_group_customers"
                    )),
                    (Some(m), None) => problems.push(format!(
                        "was written with min_group_customers: {m} (edges per level and partition); set scoring.min_group_customers: {m} to score with them"
                    )),
                    (Some(m), Some(n)) if i64::try_from(m).ok() != Some(n) => problems.push(format!(
                        "was written with min_group_customers: {m}, but this config sets {n}; they must be equal"
                    )),
                    _ => {}
                }
                if problems.is_empty() {
                    // The file's scale wins: rules are checked against its bins.
                    for (name, ms) in [
                        ("recency", &mut scoring.recency),
                        ("frequency", &mut scoring.frequency),
                        ("monetary", &mut scoring.monetary),
                    ] {
                        if let Some(scale) = t.scale(name) {
                            ms.bins = scale.bins;
                        }
                    }
                    scoring.frozen = Some(std::sync::Arc::new(t));
                    scoring.thresholds_from = Some(path.clone());
                } else {
                    for p in problems {
                        ck.add(place, None, format!("{path}: {p}"));
                    }
                }
            }
        }
    }
    scoring
}

/// `scoring.min_group_customers`: a whole number >= 1, with group_by, and `score_level` (the
/// column it adds) not a group column.
fn check_min_group_customers(
    given: Option<i64>,
    group_by: &[String],
    ck: &mut Checker,
) -> Option<u64> {
    let place = "scoring.min_group_customers";
    let n = given?;
    let mut ok = true;
    if n < 1 {
        ck.add(
            place,
            None,
            format!("{n} is not a customer count; give a whole number >= 1 (a partition with fewer customers is scored with its parent's edges), or remove it"),
        );
        ok = false;
    }
    if group_by.is_empty() {
        ck.add(
            place,
            None,
            "applies to the partitions of analysis.group_by, but the config has no group_by; set analysis.group_by (e.g. [region, store_id]) or remove it",
        );
        ok = false;
    }
    for (i, g) in group_by.iter().enumerate() {
        if g == columns::SCORE_LEVEL {
            ck.add(
                &format!("analysis.group_by[{i}]"),
                None,
                format!("{g:?} is the output column scoring.min_group_customers adds; group by another column"),
            );
            ok = false;
        }
    }
    ok.then_some(n as u64)
}
