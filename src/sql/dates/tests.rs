//! The translation of text dates against the reader of `rfmseg run` itself (polars' strptime,
//! `input::parse_date`): the expression and checks of a [`TextDate`], evaluated here in Rust
//! (the `regex` crate shares the syntax and the leftmost-first matching of Java and RE2),
//! accept the same strings and give the same dates, on hand-picked and generated strings.
//! `tests/cli/sql_dates.rs` runs the SQL itself on DuckDB and Spark.

use super::*;
use chrono::{Datelike, NaiveDate};
use polars::prelude::{col, df, DataType, IntoLazy};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// What the query computes for `text`, in Rust: the groups, checks and date of
/// [`TextDate::date`], one for one.
fn eval(t: &TextDate, re: &regex::Regex, text: &str) -> Option<NaiveDate> {
    // translate(...): the digits and separators as ASCII.
    let text = crate::settings::calendar::ascii_digits(text);
    let mut text: String = match text.chars().nth(10) {
        Some('T' | ' ') if t.iso => text.chars().take(10).collect(),
        _ => text.to_string(),
    };
    if t.iso && t.calendar == Calendar::Persian && !text.contains('-') {
        text = text.replace('/', "-");
    }
    let caps = re.captures(&text)?;
    let group = |g: usize| caps.get(g).map_or("", |m| m.as_str());
    // TRY_CAST(... AS INT): an optional sign and digits, within 32 bits.
    let value = |s: Source| -> Option<i32> {
        match s {
            Source::Number(g) => group(g).parse().ok(),
            Source::MonthName(g) => {
                let name = group(g).get(..3)?.to_ascii_uppercase();
                let i = MONTHS.iter().position(|(m, _)| *m == name)?;
                Some(i as i32 + 1)
            }
        }
    };
    let first = |f: Field| value(t.values.iter().find(|(v, _)| *v == f).unwrap().1);
    for (f, s) in &t.values {
        let (lo, hi) = f.range();
        let v = value(*s)?;
        if !(lo..=hi).contains(&v) || Some(v) != first(*f) {
            return None;
        }
    }
    for g in &t.greedy {
        let number = group(g.group);
        let full = number.len() == g.width && !(g.signed && number.starts_with(['+', '-']));
        let gap = g.gap.is_some_and(|gap| !group(gap).is_empty());
        let sign = g
            .next_year
            .is_some_and(|n| group(n).starts_with(['+', '-']));
        if !(full || gap || sign) {
            return None;
        }
    }
    if t.calendar == Calendar::Persian {
        // persian::days and persian::month_length, which are ICU4X's arithmetic (their
        // tests check every day).
        let (y, m, d) = (
            first(Field::Year)?,
            first(Field::Month)?,
            first(Field::Day)?,
        );
        return Calendar::Persian
            .days_from_ymd(y, m as u32, d as u32)
            .map(crate::settings::calendar::date_of);
    }
    let clamped = |f: Field| {
        let (lo, hi) = f.range();
        first(f).map(|v| v.clamp(lo, hi))
    };
    let date = NaiveDate::from_ymd_opt(clamped(Field::Year)?, clamped(Field::Month)? as u32, 1)?
        + chrono::Days::new(clamped(Field::Day)? as u64 - 1);
    if Some(date.month() as i32) != first(Field::Month) {
        return None;
    }
    for (f, s) in &t.values {
        if *f == Field::Ordinal && Some(date.ordinal() as i32) != value(*s) {
            return None;
        }
    }
    Some(date)
}

/// The dates `rfmseg run` reads from `texts` (None: not a date). Blank texts are missing
/// values in both, not dates: callers leave them out.
fn run_reads(format: Option<&str>, texts: &[String]) -> Vec<Option<NaiveDate>> {
    let df = df!("t" => texts).unwrap();
    let out = df
        .lazy()
        .select([crate::input::parse_date(col("t"), format, false).alias("d")])
        .collect()
        .unwrap();
    let days = out.column("d").unwrap().cast(&DataType::Int32).unwrap();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    days.i32()
        .unwrap()
        .iter()
        .map(|d| d.map(|d| epoch + chrono::TimeDelta::days(i64::from(d))))
        .collect()
}

/// Compare the translation of `format` with the run on `texts`; the differences, shown.
fn differences(format: Option<&str>, texts: &[String]) -> (Vec<String>, usize) {
    differences_in(Calendar::Gregorian, format, texts)
}

/// [`differences`] in `calendar`.
fn differences_in(
    calendar: Calendar,
    format: Option<&str>,
    texts: &[String],
) -> (Vec<String>, usize) {
    let t = TextDate::new(format, Dialect::Spark, calendar).unwrap();
    let re = regex::Regex::new(&t.regex).unwrap();
    // polars' fast reader, tried before chrono, reads a minus and four digits at the start
    // as a negative year where chrono reads every digit after a sign (`-77071014` is
    // -7707-10-14 for the run, nothing for chrono and the query): years before 1, left out.
    let negative_year = |s: &str| s.starts_with('-') && format.unwrap_or("%Y").starts_with("%Y");
    let texts: Vec<String> = texts
        .iter()
        .filter(|s| !s.trim().is_empty() && !negative_year(s))
        .cloned()
        .collect();
    let run = match calendar {
        Calendar::Gregorian => run_reads(format, &texts),
        Calendar::Persian => texts
            .iter()
            .map(|s| crate::input::persian_day(s, format).map(crate::settings::calendar::date_of))
            .collect(),
    };
    let mut read = 0;
    let mut bad = Vec::new();
    for (text, expected) in texts.iter().zip(run) {
        let got = eval(&t, &re, text);
        read += usize::from(expected.is_some());
        if got != expected {
            bad.push(format!(
                "{format:?} {text:?}: sql {got:?}, run {expected:?}"
            ));
        }
    }
    (bad, read)
}

/// The formats of the SQL conformance matrix, and others that stress the greedy reading.
const FORMATS: [&str; 18] = [
    "%Y%m%d",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y%m%d%H%M%S",
    "%d%m%Y",
    "%Y %m %d",
    "%d %b %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%Y-%m-%d (%j)",
    "%Y0%m0%d",
    "%m%d%Y%n%T",
    "%Y-%m-%d %H:%M:%S %:z %Y",
    "%e-%h-%Y %R",
];

#[test]
fn hand_picked_strings_read_as_the_run_reads_them() {
    let cases: &[(Option<&str>, &[&str])] = &[
        (
            Some("%Y%m%d"),
            &[
                "19970101",
                "1997011",
                "199711",
                "1997111",
                "19971301",
                " 19970101",
                "1997 1 1",
                "19970101 ",
                "+19970101",
                "19970230",
                "1997-01-01",
                "\u{2003}19970101",
                "\u{180e}19970101",
            ],
        ),
        (
            Some("%Y-%m-%d"),
            &[
                "2024-01-02",
                "2024-1-2",
                "24-1-2",
                "2024- 1- 2",
                "+2024-01-02",
                "-2024-01-02",
                "+12024-01-02",
                "2023-02-29",
                "2024-02-29",
                "2024-001-02",
                "0000-01-01",
                "2024-1-2\n",
                "99999999999-01-01",
            ],
        ),
        (
            Some("%Y-%m-%dT%H:%M:%S%z"),
            &[
                "2024-01-02T23:30:00+0500",
                "2024-01-02T23:30:00+05:00",
                "2024-01-02T00:30:00-0800",
                "2024-01-02T23:30:00Z",
                "2024-01-02T23:30:00+05",
                "2024-01-02T23:30:00 +0500",
                "2024-01-02T23:30:00+0560",
                "2024-01-02T23:30:00\u{2212}0500",
                "2024-01-02T24:00:00+0000",
                "2024-01-02T23:59:60+0000",
            ],
        ),
        (
            Some("%d %B %Y"),
            &[
                "02 Jan 2024",
                "2 january 2024",
                "02 JANUARY 2024",
                "02 Janu 2024",
                "02 Sept 2024",
                "02 September 2024",
                "02 \u{17f}ep 2024",
            ],
        ),
        (
            None,
            &[
                "2024-01-02",
                "2024-1-2",
                "2024-01-02T10:00:00+05:00",
                "2024-01-02 x",
                "2024-1-2T10:00",
                " 2024-01-02",
                "2024-01-02x",
            ],
        ),
    ];
    for (format, texts) in cases {
        let texts: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
        let (bad, read) = differences(*format, &texts);
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(read >= 2 && read < texts.len(), "{format:?}: {read} read");
    }
}

/// Text that looks like `items`, from one date and time: each item written padded,
/// unpadded, badly or not at all.
fn looks_like(items: &[Item]) -> BoxedStrategy<String> {
    type Bits = (u8, String, String, String, String);
    let items = items.to_vec();
    let bits = (
        0u8..10,
        "[0-9]{1,5}",
        "[ \t\u{2003}]{0,2}[+-]?[0-9]{0,5}",
        "[-/.:T0-9 ]{0,2}",
        "[a-zA-Z]{0,4}",
    );
    let tail = prop_oneof![6 => Just(String::new()), 1 => "[ x0-9]"];
    (
        (1900i32..2100, 1u32..=366, 0u32..24, 0u32..60, 0u32..=60),
        prop::collection::vec(bits, items.len()),
        tail,
    )
        .prop_map(move |((year, ordinal, hour, minute, second), bits, tail)| {
            let date = NaiveDate::from_yo_opt(year, ordinal)
                .unwrap_or(NaiveDate::from_yo_opt(year, 365).unwrap());
            let mut text = String::new();
            for (item, (c, digits, weird, lit, letters)) in items.iter().zip::<Vec<Bits>>(bits) {
                text += &match item {
                    Item::Number(f) => {
                        let v = match f {
                            Field::Year => date.year() as u32,
                            Field::Month => date.month(),
                            Field::Day => date.day(),
                            Field::Ordinal => date.ordinal(),
                            Field::Hour => hour,
                            Field::Minute => minute,
                            Field::Second => second,
                        };
                        match c {
                            0..=3 => format!("{v:0w$}", w = f.width()),
                            4..=6 => v.to_string(),
                            7 => digits,
                            8 => weird,
                            _ => (v + 1).to_string(),
                        }
                    }
                    Item::Space => {
                        [" ", " ", " ", " ", " ", "", "", "\t", "  ", "\u{a0}"][c as usize].into()
                    }
                    Item::Literal(l) if c < 9 => l.clone(),
                    Item::Literal(_) => lit,
                    Item::MonthName { .. } => {
                        let (short, rest) = MONTHS[date.month0() as usize];
                        match c {
                            0..=2 => short[..1].to_string() + &short[1..].to_lowercase(),
                            3..=4 => short.to_string() + &rest.to_lowercase(),
                            5 => short.to_string() + rest,
                            6 => (short.to_string() + rest).to_lowercase(),
                            7 => short.to_string() + &rest[..rest.len().min(1)],
                            _ => letters,
                        }
                    }
                    Item::Offset => [
                        "+0000",
                        "+05:30",
                        "-0800",
                        "+14:00",
                        " +0100",
                        "Z",
                        "+05",
                        "+0560",
                        "\u{2212}0300",
                        "+01 00",
                    ][c as usize]
                        .into(),
                };
            }
            text + &tail
        })
        .boxed()
}

#[test]
fn generated_strings_read_as_the_run_reads_them() {
    let mut runner = TestRunner::new(Config::default());
    let mut formats: Vec<Option<&str>> = FORMATS.iter().map(|f| Some(*f)).collect();
    formats.push(None);
    for format in formats {
        let items = items(format.unwrap_or("%Y-%m-%d")).unwrap();
        let strategy = looks_like(&items);
        let texts: Vec<String> = (0..2000)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect();
        let (bad, read) = differences(format, &texts);
        assert!(bad.is_empty(), "{}", bad[..bad.len().min(20)].join("\n"));
        // Both outcomes are common, so each check is exercised both ways.
        assert!(read > 100 && read < 1800, "{format:?}: {read} of 2000 read");
    }
}

/// Solar Hijri text dates (`input.calendar: persian`): the query reads what the run reads,
/// in every format the config admits with that calendar, with Persian and Arabic-Indic digits
/// and, without a format, `/` as well as `-`.
#[test]
fn solar_hijri_strings_read_as_the_run_reads_them() {
    let hand_picked: &[(Option<&str>, &[&str])] = &[
        (
            None,
            &[
                "1403-12-30",
                "1403/12/30",
                "1404/12/30",
                "1404-12-29",
                "1403/07/31",
                "1403/06/31",
                "1403/13/01",
                "1403-12/30",
                "1403/12-30",
                "-1403/01/01",
                "+1403/01/01",
                "0000/01/01",
                "10000/01/01",
                "۱۴۰۳/۱۲/۳۰",
                "١٤٠٣-١٢-٣٠ 10:00",
                "1403/12/30T08:00:00+03:30",
                "1403/1/1",
                " 1403/01/01",
            ],
        ),
        (
            Some("%d/%m/%Y"),
            &[
                "30/12/1403",
                "30/12/1404",
                "31/07/1403",
                "31/06/1403",
                "۳۰/۱۲/۱۴۰۳",
            ],
        ),
        (
            Some("%Y%m%d"),
            &["14031230", "14041230", "1403123", "۱۴۰۳۰۱۰۱"],
        ),
    ];
    for (format, texts) in hand_picked {
        let texts: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
        let (bad, read) = differences_in(Calendar::Persian, *format, &texts);
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(read >= 2 && read < texts.len(), "{format:?}: {read} read");
    }
    let mut runner = TestRunner::new(Config::default());
    let mut formats: Vec<Option<&str>> = FORMATS
        .iter()
        .filter(|f| !["%b", "%B", "%h", "%j"].iter().any(|g| f.contains(g)))
        .map(|f| Some(*f))
        .collect();
    formats.push(None);
    let persian = |s: &str, arabic: bool| -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if arabic => char::from_u32(0x0660 + d).unwrap(),
                Some(d) => char::from_u32(0x06F0 + d).unwrap(),
                None => c,
            })
            .collect()
    };
    for format in formats {
        let items = items(format.unwrap_or("%Y-%m-%d")).unwrap();
        let strategy = looks_like(&items);
        let texts: Vec<String> = (0..2000)
            .map(|i| {
                let text = strategy.new_tree(&mut runner).unwrap().current();
                let text = if format.is_none() && i % 2 == 0 {
                    text.replace('-', "/")
                } else {
                    text
                };
                match i % 5 {
                    0 => persian(&text, false),
                    1 => persian(&text, true),
                    _ => text,
                }
            })
            .collect();
        let (bad, read) = differences_in(Calendar::Persian, format, &texts);
        assert!(bad.is_empty(), "{}", bad[..bad.len().min(20)].join("\n"));
        assert!(read > 100 && read < 1900, "{format:?}: {read} of 2000 read");
    }
}

#[test]
fn compact_dates_split_at_fixed_widths() {
    // Issue 17: Spark's `yyyyMd` could not split 19970101. The pattern reads 4, 2, 2 digits
    // and a short run only where a non-digit ends it.
    let t = TextDate::new(Some("%Y%m%d"), Dialect::Spark, Calendar::Gregorian).unwrap();
    assert_eq!(
        t.regex,
        format!(
            r"\A[{WS}]*([+\x{{2D}}][0-9]+|[0-9]{{1,4}})([{WS}]*)([0-9]{{1,2}})([{WS}]*)([0-9]{{1,2}})\z"
        )
    );
    assert_eq!(t.greedy.len(), 2);
    let d = TextDate::new(Some("%d/%m/%Y"), Dialect::DuckDb, Calendar::Gregorian).unwrap();
    assert_eq!(
        d.regex,
        format!(
            r"\A[{WS}]*([0-9]{{1,2}})\x{{2F}}[{WS}]*([0-9]{{1,2}})\x{{2F}}[{WS}]*([+\x{{2D}}][0-9]+|[0-9]{{1,4}})\z"
        )
    );
    assert!(d.greedy.is_empty());
    let sql = d.date(Dialect::DuckDb, "p");
    assert!(
        sql.contains("TRY_CAST(struct_extract(p, 'g2') AS INT) BETWEEN 1 AND 12"),
        "{sql}"
    );
    assert!(t
        .date(Dialect::Spark, "p")
        .contains("(length(p[0]) = 4 AND substr(p[0], 1, 1) NOT IN ('+', '-')) OR p[1] <> ''"));
}

#[test]
fn formats_without_an_exact_translation_are_refused_by_name() {
    let refused =
        |f: &str| TextDate::new(Some(f), Dialect::Spark, Calendar::Gregorian).unwrap_err();
    let e = refused("%d/%m/%y");
    assert!(e.starts_with("input.date_format \"%d/%m/%y\": %y (a two-digit year) has no exact translation to Spark SQL"), "{e}");
    assert!(e.contains("Write the dates as ISO"), "{e}");
    let e = refused("%a %d/%m/%Y");
    assert!(e.contains(": %a (a weekday name) has no exact"), "{e}");
    let e = refused("%D");
    assert!(
        e.starts_with("input.date_format \"%D\" (read as \"%m/%d/%y\"): %y"),
        "{e}"
    );
    let e = refused("%Y-%m-%d %H:%M:%S%.3f");
    assert!(e.contains("%.3f (fractional seconds)"), "{e}");
    for f in ["%Y-%m-%d %H", "%Y-%m-%d %R:%S"] {
        assert!(
            refused(f).contains("rfmseg run refuses this format too"),
            "{f}"
        );
    }
    let e = refused("%d %Bx%Y");
    assert!(e.contains("%B followed by letters"), "{e}");
    // Read as the run reads them: flags, %:z, %F and %T, %% as text.
    for f in [
        "%-d/%-m/%Y",
        "%F %T%:z",
        "%Y%%%m%%%d",
        "%d %B, %Y",
        "%d %b%Y",
    ] {
        assert!(
            TextDate::new(Some(f), Dialect::DuckDb, Calendar::Gregorian).is_ok(),
            "{f}"
        );
    }
}
