//! From the parsed YAML to [`Settings`]: every problem is collected, placed with
//! [`Locations`], and reported together.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_yaml::Value;

use super::checker::Checker;
use super::holdout::check_holdout;
use super::keys::unknown_keys;
use super::locate::Locations;
use super::raw::{RawConfig, RawCsv, RawMetricScoring};
use super::segments::check_segments;
use super::Overrides;
use crate::columns;
use crate::error::{suggest, Problem};
use crate::settings::{
    yaml_quoted, Analysis, Calendar, ColumnMap, CsvDialect, Encoding, Frequency, InputSettings,
    Method, MetricScoring, Monetary, Returns, Scoring, Settings, Thresholds,
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

fn check_input(raw: &RawConfig, overrides: &Overrides, ck: &mut Checker) -> InputSettings {
    let paths = if overrides.inputs.is_empty() {
        raw.input
            .paths
            .clone()
            .map(|p| p.into_vec())
            .unwrap_or_default()
    } else {
        overrides.inputs.clone()
    };
    if paths.iter().any(|p| p.trim().is_empty()) {
        ck.add("input.paths", None, "an input path is empty");
    }
    let calendar = match raw.input.calendar.as_deref() {
        None => Calendar::Gregorian,
        Some(name) => Calendar::from_name(name).unwrap_or_else(|| {
            ck.add(
                "input.calendar",
                None,
                format!(
                    "{name:?} is not one of: {} (the calendar of dates written as text)",
                    Calendar::NAMES.join(", ")
                ),
            );
            Calendar::Gregorian
        }),
    };
    let date_format = raw.input.date_format.clone();
    if let Some(fmt) = &date_format {
        let problem = check_date_format(fmt).or_else(|| match calendar {
            Calendar::Persian => check_persian_format(fmt),
            Calendar::Gregorian => None,
        });
        if let Some(message) = problem {
            ck.add("input.date_format", None, message);
        }
    }
    let rejects_path = raw.input.rejects_path.as_ref().map(PathBuf::from);
    if rejects_path
        .as_ref()
        .is_some_and(|p| p.as_os_str().to_string_lossy().trim().is_empty())
    {
        ck.add(
            "input.rejects_path",
            None,
            "is empty; give a .csv file path for the rows set aside, or remove the key",
        );
    }
    let c = &raw.input.columns;
    let mut name = |role: &str, given: &Option<String>| -> String {
        match given {
            Some(s) if s.trim().is_empty() => {
                ck.add(
                    &format!("input.columns.{role}"),
                    None,
                    "is empty; give the column's name in the file",
                );
                role.to_string()
            }
            Some(s) => s.clone(),
            None => role.to_string(),
        }
    };
    let columns = ColumnMap {
        customer_id: name(columns::CUSTOMER_ID, &c.customer_id),
        order_date: name(columns::ORDER_DATE, &c.order_date),
        amount: name(columns::AMOUNT, &c.amount),
        order_id: c
            .order_id
            .as_ref()
            .map(|_| name(columns::ORDER_ID, &c.order_id)),
    };
    let csv = raw
        .input
        .csv
        .as_ref()
        .map(|c| check_csv(c, ck))
        .unwrap_or_default();
    InputSettings {
        paths,
        date_format,
        calendar,
        rejects_path,
        columns,
        csv,
    }
}

/// `input.csv:` checked; every problem is added, and a bad value leaves the default.
fn check_csv(raw: &RawCsv, ck: &mut Checker) -> CsvDialect {
    let mut csv = CsvDialect::default();
    if let Some(given) = &raw.separator {
        // `\t` written without double quotes (where YAML reads no escapes) is a tab too.
        let text = if given == "\\t" { "\t" } else { given.as_str() };
        let usable = |b: u8| b == b'\t' || ((b.is_ascii_punctuation() || b == b' ') && b != b'"');
        match text.as_bytes() {
            [] => ck.add(
                "input.csv.separator",
                None,
                "is empty; give one character, e.g. \";\" or \"\\t\" (a tab)",
            ),
            [b] if usable(*b) => csv.separator = *b,
            [b'"'] => ck.add(
                "input.csv.separator",
                None,
                "'\"' quotes fields and cannot separate them; give another character, e.g. \";\"",
            ),
            _ if text.chars().count() > 1 => ck.add(
                "input.csv.separator",
                None,
                format!(
                    "{text:?} is {} characters; the separator is one character, e.g. \";\", \"|\" or \"\\t\" (a tab)",
                    text.chars().count()
                ),
            ),
            _ => ck.add(
                "input.csv.separator",
                None,
                format!(
                    "{text:?} cannot separate fields; give one ASCII punctuation character, a space or \"\\t\" (a tab), e.g. \";\""
                ),
            ),
        }
    }
    csv.decimal_comma = raw.decimal_comma.unwrap_or(false);
    if let Some(t) = &raw.thousands {
        if CsvDialect::THOUSANDS.contains(&t.as_str()) {
            if t.starts_with(csv.decimal()) {
                let (now, other) = if csv.decimal_comma {
                    ("true", "false")
                } else {
                    ("false", "true")
                };
                ck.add(
                    "input.csv.thousands",
                    None,
                    format!(
                        "{t:?} is also the decimal separator (input.csv.decimal_comma is {now}), so an amount such as 1{t}234 could be read two ways; set input.csv.decimal_comma: {other}, or another thousands separator"
                    ),
                );
            } else {
                csv.thousands = Some(t.clone());
            }
        } else {
            let listed: Vec<String> = CsvDialect::THOUSANDS
                .iter()
                .map(|t| yaml_quoted(t))
                .collect();
            ck.add(
                "input.csv.thousands",
                None,
                format!(
                    "{} is not a thousands separator; give one of {} (U+00A0 and U+202F are no-break spaces), or remove the key",
                    yaml_quoted(t),
                    listed.join(", ")
                ),
            );
        }
    }
    if let Some(name) = &raw.encoding {
        match Encoding::from_name(name) {
            Some(e) => csv.encoding = e,
            None => {
                let names: Vec<&str> = Encoding::NAMES.iter().map(|(n, _, _)| *n).collect();
                let hint = if name.to_ascii_lowercase().starts_with("utf-16") {
                    " (utf-16 reads both byte orders: the file's byte order mark tells them apart)"
                } else {
                    ""
                };
                ck.add(
                    "input.csv.encoding",
                    None,
                    format!("{name:?} is not one of: {}{hint}", names.join(", ")),
                );
            }
        }
    }
    csv
}

/// A date format must parse as strftime and name a year, a month and a day.
fn check_date_format(fmt: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error)) {
        return Some(format!(
            "{fmt:?} is not a valid strftime format (e.g. \"%Y-%m-%d\", \"%d/%m/%Y %H:%M\")"
        ));
    }
    let has = |codes: &[&str]| codes.iter().any(|c| fmt.contains(c));
    let complete = has(&["%F", "%D", "%x"])
        || (has(&["%Y", "%y", "%G"]) && has(&["%m", "%b", "%B", "%h"]) && has(&["%d", "%e"]));
    (!complete).then(|| {
        format!("{fmt:?} does not name a year, month and day (e.g. \"%Y-%m-%d\", \"%d/%m/%Y\")")
    })
}

/// With `input.calendar: persian` a date format may name only numbers the Solar Hijri
/// calendar has (%Y, %m, %d and the time of day, which is read and dropped): month and
/// weekday names, day of the year and week numbers are Gregorian.
fn check_persian_format(fmt: &str) -> Option<String> {
    use chrono::format::{Fixed, Item, Numeric, StrftimeItems};
    let mut named = (false, false, false);
    let (mut hour, mut minute, mut second) = (false, false, false);
    for (item, at) in StrftimeItems::new(fmt).zip(specifiers(fmt)) {
        let ok = match &item {
            Item::Literal(_) | Item::OwnedLiteral(_) | Item::Space(_) | Item::OwnedSpace(_) => true,
            Item::Numeric(n, _) => match n {
                Numeric::Year => {
                    named.0 = true;
                    true
                }
                Numeric::Month => {
                    named.1 = true;
                    true
                }
                Numeric::Day => {
                    named.2 = true;
                    true
                }
                Numeric::Hour => {
                    hour = true;
                    true
                }
                Numeric::Minute => {
                    minute = true;
                    true
                }
                Numeric::Second => {
                    second = true;
                    true
                }
                _ => false,
            },
            Item::Fixed(
                Fixed::TimezoneOffset
                | Fixed::TimezoneOffsetColon
                | Fixed::TimezoneOffsetDoubleColon
                | Fixed::TimezoneOffsetTripleColon,
            ) => true,
            _ => false,
        };
        if !ok {
            let spec = at.unwrap_or_default();
            return Some(format!(
                "{fmt:?}: {spec} is not read in the Solar Hijri calendar (input.calendar: persian): month and weekday names, two-digit years, days of the year and weeks are Gregorian; write the dates with %Y, %m and %d (and %H:%M:%S, %z), or set input.calendar: gregorian"
            ));
        }
    }
    if !(named.0 && named.1 && named.2) {
        return Some(format!(
            "{fmt:?} does not name a year (%Y), a month (%m) and a day (%d), which Solar Hijri dates (input.calendar: persian) are read from"
        ));
    }
    if hour != minute || (second && !hour) {
        return Some(format!(
            "{fmt:?}: give both %H and %M, or neither, and %S only with them"
        ));
    }
    None
}

/// For each item chrono's `StrftimeItems` makes of `fmt`, the specifier it came from
/// (`%b`; None for literal text), so that a message can name what it refuses. A specifier
/// that expands to several items (`%F`, `%T`) names each of them.
fn specifiers(fmt: &str) -> impl Iterator<Item = Option<String>> + '_ {
    use chrono::format::StrftimeItems;
    let mut out = Vec::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        // The items of the first piece of `rest`: one specifier or one run of other text.
        let end = if let Some(after) = rest.strip_prefix('%') {
            let flags = after.len() - after.trim_start_matches([':', '#', '-', '_', '0']).len();
            1 + flags + after[flags..].chars().next().map_or(0, char::len_utf8)
        } else {
            rest.find('%').unwrap_or(rest.len())
        };
        let (piece, tail) = rest.split_at(end.min(rest.len()));
        let spec = piece.starts_with('%').then(|| piece.to_string());
        for _ in StrftimeItems::new(piece) {
            out.push(spec.clone());
        }
        rest = tail;
    }
    out.into_iter()
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
