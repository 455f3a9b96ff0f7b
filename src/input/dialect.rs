//! How a CSV file writes its amounts (`input.csv.decimal_comma`, `input.csv.thousands`): the
//! one rewrite of amount text before it is parsed ([`number_text`], which `rfmseg sql` mirrors
//! with `REPLACE`), how messages describe the form, and the settings that would read a value
//! that did not read ([`amount_hint`]) or a header that came out as one column
//! ([`header_hint`]).
//!
//! The rule, with a thousands separator T and the decimal separator D (',' with a decimal
//! comma, '.' otherwise): text that holds T is an amount only when T separates groups of three
//! digits (`[+-]?[0-9]{1,3}(T[0-9]{3})+(D[0-9]+)?`, so `1.234,50` but not `12.50` or `1.2.3`),
//! and then every T is removed; with a decimal comma, text that (still) holds a '.' is not an
//! amount, and the comma becomes the '.' the parser reads. Nothing else changes, so an amount
//! reads the same in every dialect that can write it (`1234.5`, `1234,5`, `1.234,5`,
//! `1 234,5`).

use polars::prelude::*;

use crate::settings::{yaml_quoted, CsvDialect};

/// What [`number_text`] gives text that is not an amount in the dialect: text the number
/// parser refuses (the written value is what messages show).
const NOT_A_NUMBER: &str = "";

/// The regular expression of an amount whose whole part is grouped by `thousands`, with the
/// `decimal` separator: `\A[+-]?[0-9]{1,3}(?:T[0-9]{3})+(?:D[0-9]+)?\z`, T and D escaped. The
/// same text in Rust's, Java's (Spark) and RE2's (DuckDB) syntax.
pub fn grouped_pattern(thousands: &str, decimal: char) -> String {
    let escape = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if r"\.+*?()|[]{}^$#&-~".contains(c) {
                    format!("\\{c}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    format!(
        r"\A[+-]?[0-9]{{1,3}}(?:{}[0-9]{{3}})+(?:{}[0-9]+)?\z",
        escape(thousands),
        escape(&decimal.to_string())
    )
}

/// Amount text as written -> amount text with a '.' decimal point and no thousands
/// separator, ready for the number parser (see the module docs). The identity (no work) for
/// the default dialect.
pub fn number_text(text: Expr, dialect: &CsvDialect) -> Expr {
    let mut text = text;
    if let Some(thousands) = &dialect.thousands {
        let pattern = grouped_pattern(thousands, dialect.decimal());
        let misplaced = text
            .clone()
            .str()
            .contains_literal(lit(thousands.as_str()))
            .and(text.clone().str().contains(lit(pattern), true).not());
        text = when(misplaced)
            .then(lit(NOT_A_NUMBER))
            .otherwise(
                text.str()
                    .replace_all(lit(thousands.as_str()), lit(""), true),
            );
    }
    if dialect.decimal_comma {
        text = when(text.clone().str().contains_literal(lit(".")))
            .then(lit(NOT_A_NUMBER))
            .otherwise(text.str().replace_all(lit(","), lit("."), true));
    }
    text
}

/// Whether `text` matches [`grouped_pattern`].
fn grouped(text: &str, thousands: &str, decimal: char) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match body.split_once(decimal) {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let mut groups = whole.split(thousands);
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    digits(first, 1..=3)
        && !rest.is_empty()
        && rest.iter().all(|g| digits(g, 3..=3))
        && fraction.is_none_or(|f| digits(f, 1..=usize::MAX))
}

/// [`number_text`] on one value, for messages.
pub fn number_text_of(text: &str, dialect: &CsvDialect) -> String {
    let mut text = text.to_string();
    if let Some(thousands) = &dialect.thousands {
        text = if text.contains(thousands.as_str()) && !grouped(&text, thousands, dialect.decimal())
        {
            NOT_A_NUMBER.to_string()
        } else {
            text.replace(thousands.as_str(), "")
        };
    }
    if dialect.decimal_comma {
        text = if text.contains('.') {
            NOT_A_NUMBER.to_string()
        } else {
            text.replace(',', ".")
        };
    }
    text
}

/// An example amount in the dialect: `1234.50`, `1234,50`, `1.234,50`.
fn example(dialect: &CsvDialect) -> String {
    let decimal = dialect.decimal();
    match &dialect.thousands {
        Some(t) => format!("1{t}234{decimal}50"),
        None => format!("1234{decimal}50"),
    }
}

/// The thousands separator as messages name it.
fn thousands_name(t: &str) -> String {
    match t {
        "\u{a0}" => "a no-break space (U+00A0)".to_string(),
        "\u{202f}" => "a narrow no-break space (U+202F)".to_string(),
        " " => "a space".to_string(),
        t => yaml_quoted(t),
    }
}

/// The form an amount takes in the dialect, after "not": for the rejects file's reason.
pub fn amount_reason(dialect: &CsvDialect) -> String {
    let e = example(dialect);
    match (dialect.decimal_comma, &dialect.thousands) {
        (false, None) => {
            format!("not a plain number (e.g. {e}, -20; no currency sign or thousands separator)")
        }
        (true, None) => format!(
            "not a number with a decimal comma (e.g. {e}, -20; no currency sign or thousands separator)"
        ),
        (comma, Some(t)) => format!(
            "not a number with a decimal {} and {} between thousands (e.g. {e}, -20; no currency sign)",
            if comma { "comma" } else { "point" },
            thousands_name(t)
        ),
    }
}

/// What amounts look like in the dialect, as a sentence for a bad-value message.
pub fn amount_form(dialect: &CsvDialect) -> String {
    let e = example(dialect);
    let nan = "NaN and infinity are not amounts.";
    match (dialect.decimal_comma, &dialect.thousands) {
        (false, None) => format!(
            "Amounts are plain numbers with a '.' decimal point and no currency sign or thousands separator (e.g. {e}, -20); {nan}"
        ),
        (true, None) => format!(
            "Amounts are numbers with a decimal comma (input.csv.decimal_comma) and no currency sign, '.' or thousands separator (e.g. {e}, -20); {nan}"
        ),
        (comma, Some(t)) => format!(
            "Amounts are numbers with a decimal {} (input.csv.decimal_comma: {comma}) and {} between thousands (input.csv.thousands), and no currency sign (e.g. {e}, -20); {nan}",
            if comma { "comma" } else { "'.' point" },
            thousands_name(t)
        ),
    }
}

/// Whether `text` is a number written in `dialect` as people write one: digits, at most one
/// decimal separator with digits after it, and a thousands separator only between groups of
/// three digits.
fn written_in(text: &str, dialect: &CsvDialect) -> bool {
    let body = text.trim();
    match &dialect.thousands {
        Some(t) if body.contains(t.as_str()) => grouped(body, t, dialect.decimal()),
        _ => {
            let body = body.strip_prefix(['-', '+']).unwrap_or(body);
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            match body.split_once(dialect.decimal()) {
                Some((whole, fraction)) => digits(whole) && digits(fraction),
                None => digits(body),
            }
        }
    }
}

/// The settings, nearest to `dialect`, under which the amount `value` (that did not read)
/// reads as a finite number: a sentence naming them and the number, or None when no
/// decimal or thousands setting reads it (a currency sign, a word).
pub fn amount_hint(value: &str, dialect: &CsvDialect) -> Option<String> {
    let mut candidates: Vec<(usize, CsvDialect)> = Vec::new();
    for comma in [dialect.decimal_comma, !dialect.decimal_comma] {
        for thousands in
            std::iter::once(None).chain(CsvDialect::THOUSANDS.iter().map(|t| Some(t.to_string())))
        {
            let d = CsvDialect {
                decimal_comma: comma,
                thousands,
                ..dialect.clone()
            };
            if d.thousands
                .as_deref()
                .is_some_and(|t| t.starts_with(d.decimal()))
            {
                continue;
            }
            let changes = usize::from(comma != dialect.decimal_comma)
                + usize::from(d.thousands != dialect.thousands);
            if changes > 0 {
                candidates.push((changes, d));
            }
        }
    }
    candidates.sort_by_key(|(changes, _)| *changes);
    let (_, d) = candidates.into_iter().find(|(_, d)| {
        written_in(value, d)
            && number_text_of(value, d)
                .trim()
                .parse::<f64>()
                .is_ok_and(f64::is_finite)
    })?;
    let number: f64 = number_text_of(value, &d).trim().parse().ok()?;
    let mut set = Vec::new();
    if d.decimal_comma != dialect.decimal_comma {
        set.push(format!("input.csv.decimal_comma: {}", d.decimal_comma));
    }
    let mut change = match (&d.thousands, d.thousands != dialect.thousands) {
        (Some(t), true) => {
            set.push(format!("input.csv.thousands: {}", yaml_quoted(t)));
            Vec::new()
        }
        (None, true) => vec!["remove input.csv.thousands".to_string()],
        (_, false) => Vec::new(),
    };
    if !set.is_empty() {
        change.insert(0, format!("set {}", set.join(" and ")));
    }
    Some(format!(
        "To read it as {number}, {} in the config.",
        change.join(" and ")
    ))
}

/// Why a header came out as the one column `name`, when the file seems separated by another
/// character than `dialect`'s: the setting that reads it.
pub fn header_hint(name: &str, dialect: &CsvDialect) -> Option<String> {
    let separator = [b',', b';', b'\t', b'|']
        .into_iter()
        .filter(|&b| b != dialect.separator)
        .find(|&b| name.contains(char::from(b)))?;
    Some(format!(
        "one column: the file seems separated by {:?}; set input.csv.separator: {}",
        char::from(separator),
        crate::settings::separator_text(separator)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect(decimal_comma: bool, thousands: Option<&str>) -> CsvDialect {
        CsvDialect {
            decimal_comma,
            thousands: thousands.map(str::to_string),
            ..CsvDialect::PLAIN
        }
    }

    /// `values` through [`number_text`] and the float cast, as `rfmseg run` reads them.
    fn read(values: &[&str], d: &CsvDialect) -> Vec<Option<f64>> {
        let df = df!("t" => values).unwrap();
        let out = df
            .lazy()
            .select([number_text(col("t"), d).cast(DataType::Float64).alias("t")])
            .collect()
            .unwrap();
        out.column("t").unwrap().f64().unwrap().iter().collect()
    }

    #[test]
    fn the_same_amounts_read_the_same_in_every_dialect() {
        let plain = ["1234.5", "-3.5", "0.125", "12", "-0"];
        let want = read(&plain, &CsvDialect::PLAIN);
        assert_eq!(
            want,
            [
                Some(1234.5),
                Some(-3.5),
                Some(0.125),
                Some(12.0),
                Some(-0.0)
            ]
        );
        for (d, values) in [
            (dialect(true, None), ["1234,5", "-3,5", "0,125", "12", "-0"]),
            (
                dialect(true, Some(".")),
                ["1.234,5", "-3,5", "0,125", "12", "-0"],
            ),
            (
                dialect(true, Some(" ")),
                ["1 234,5", "-3,5", "0,125", "12", "-0"],
            ),
            (
                dialect(true, Some("\u{a0}")),
                ["1\u{a0}234,5", "-3,5", "0,125", "12", "-0"],
            ),
            (
                dialect(true, Some("\u{202f}")),
                ["1\u{202f}234,5", "-3,5", "0,125", "12", "-0"],
            ),
            (
                dialect(false, Some(",")),
                ["1,234.5", "-3.5", "0.125", "12", "-0"],
            ),
            (
                dialect(false, Some("'")),
                ["1'234.5", "-3.5", "0.125", "12", "-0"],
            ),
        ] {
            assert_eq!(read(&values, &d), want, "{d:?}");
            for v in values {
                assert_eq!(
                    number_text_of(v, &d).parse::<f64>().ok(),
                    read(&[v], &d)[0],
                    "{v:?} in {d:?}"
                );
            }
        }
    }

    #[test]
    fn a_point_is_not_an_amount_with_a_decimal_comma_and_thousands_go_everywhere() {
        let comma = dialect(true, None);
        assert_eq!(
            read(&["12.50", "1.234,5", "1,2,3", ""], &comma),
            [None, None, None, None]
        );
        assert_eq!(number_text_of("12.50", &comma), NOT_A_NUMBER);
        // A thousands separator only between groups of three digits.
        let dots = dialect(true, Some("."));
        assert_eq!(
            read(
                &[
                    "1.2.3,5",
                    ".",
                    "12.50",
                    "1.234.567,89",
                    "-1.000",
                    "1.000,",
                    "1234.567"
                ],
                &dots
            ),
            [
                None,
                None,
                None,
                Some(1234567.89),
                Some(-1000.0),
                None,
                None
            ]
        );
        let spaces = dialect(false, Some(" "));
        assert_eq!(
            read(
                &[" 1 234.5", "1 234.5", "12 34", "1  234", "+1 234 567"],
                &spaces
            ),
            [None, Some(1234.5), None, None, Some(1234567.0)]
        );
        // The default rewrites nothing: a comma is not a number.
        assert_eq!(
            read(&["12,50", "1,234.5"], &CsvDialect::PLAIN),
            [None, None]
        );
    }

    #[test]
    fn the_grouping_rule_in_rust_is_the_regular_expression() {
        let texts = [
            "1.234",
            "1.234,5",
            "-1.234,56",
            "+12.345.678",
            "1234.567",
            "1.23",
            "1.2345",
            ".234",
            "1.234,",
            "1.234,5,6",
            "1,234",
            "٢.٣٤٥",
            "a.bcd",
            "1.234x",
            "0.000",
        ];
        for (t, decimal) in [
            (".", ','),
            (",", '.'),
            (" ", ','),
            ("'", '.'),
            ("\u{a0}", ','),
        ] {
            let texts: Vec<String> = texts.iter().map(|x| x.replace('.', t)).collect();
            let df = df!("t" => &texts).unwrap();
            let pattern = grouped_pattern(t, decimal);
            let out = df
                .lazy()
                .select([col("t").str().contains(lit(pattern.as_str()), true)])
                .collect()
                .unwrap();
            let matched: Vec<bool> = out
                .column("t")
                .unwrap()
                .bool()
                .unwrap()
                .iter()
                .map(|b| b.unwrap())
                .collect();
            let by_hand: Vec<bool> = texts.iter().map(|x| grouped(x, t, decimal)).collect();
            assert_eq!(matched, by_hand, "{t:?} {pattern}");
        }
        assert_eq!(
            grouped_pattern(".", ','),
            r"\A[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?\z"
        );
    }

    #[test]
    fn a_strict_cast_refuses_what_the_dialect_refuses() {
        let df = df!("t" => ["12.50"]).unwrap();
        let got = df
            .lazy()
            .select([number_text(col("t"), &dialect(true, None)).strict_cast(DataType::Float64)])
            .collect();
        assert!(got.is_err(), "{got:?}");
    }

    #[test]
    fn hints_name_the_nearest_settings_that_read_the_value() {
        let plain = CsvDialect::PLAIN;
        let hint = |v: &str, d: &CsvDialect| amount_hint(v, d);
        assert_eq!(
            hint("12,50", &plain).as_deref(),
            Some("To read it as 12.5, set input.csv.decimal_comma: true in the config.")
        );
        assert_eq!(
            hint("-1.234,50", &plain).as_deref(),
            Some("To read it as -1234.5, set input.csv.decimal_comma: true and input.csv.thousands: \".\" in the config.")
        );
        assert_eq!(
            hint("1,234.50", &plain).as_deref(),
            Some("To read it as 1234.5, set input.csv.thousands: \",\" in the config.")
        );
        assert_eq!(
            hint("1 234,50", &plain).as_deref(),
            Some("To read it as 1234.5, set input.csv.decimal_comma: true and input.csv.thousands: \" \" in the config.")
        );
        let comma = dialect(true, None);
        assert_eq!(
            hint("1.234,50", &comma).as_deref(),
            Some("To read it as 1234.5, set input.csv.thousands: \".\" in the config.")
        );
        assert_eq!(
            hint("12.50", &comma).as_deref(),
            Some("To read it as 12.5, set input.csv.decimal_comma: false in the config.")
        );
        assert_eq!(
            hint("12,50", &dialect(false, Some(","))).as_deref(),
            Some("To read it as 12.5, set input.csv.decimal_comma: true and remove input.csv.thousands in the config.")
        );
        assert_eq!(
            hint("12.50", &dialect(true, Some(" "))).as_deref(),
            Some("To read it as 12.5, set input.csv.decimal_comma: false in the config.")
        );
        for no_hint in ["$12.50", "NaN", "inf", "12,5,0", "1.23,4", "abc", ""] {
            assert_eq!(hint(no_hint, &plain), None, "{no_hint}");
        }
    }

    #[test]
    fn a_header_of_one_column_names_the_separator_that_splits_it() {
        let plain = CsvDialect::PLAIN;
        assert_eq!(
            header_hint("customer_id;order_date;amount", &plain).as_deref(),
            Some("one column: the file seems separated by ';'; set input.csv.separator: \";\"")
        );
        assert_eq!(
            header_hint("a\tb", &plain).as_deref(),
            Some("one column: the file seems separated by '\\t'; set input.csv.separator: \"\\t\"")
        );
        let semicolon = CsvDialect {
            separator: b';',
            ..CsvDialect::PLAIN
        };
        assert_eq!(
            header_hint("a,b", &semicolon).as_deref(),
            Some("one column: the file seems separated by ','; set input.csv.separator: \",\"")
        );
        assert_eq!(header_hint("customer", &plain), None);
    }
}
