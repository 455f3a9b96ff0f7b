//! The `input:` section: paths, the column mapping, dates (`date_format`, `calendar`) and the
//! CSV dialect (`input.csv`).

use std::path::PathBuf;

use super::checker::Checker;
use super::raw::{RawConfig, RawCsv};
use super::Overrides;
use crate::columns;
use crate::settings::{yaml_quoted, Calendar, ColumnMap, CsvDialect, Encoding, InputSettings};

pub(super) fn check_input(
    raw: &RawConfig,
    overrides: &Overrides,
    ck: &mut Checker,
) -> InputSettings {
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
