//! Text as written -> what it holds, beyond what polars reads by itself: Persian and
//! Arabic-Indic digits and the Arabic separators read as ASCII ([`ascii_digits`], always), and
//! text dates read in the Solar Hijri calendar ([`persian_dates`], with
//! `input.calendar: persian`), each distinct string of a batch converted once; and the two
//! reads every text line takes, in one pass over a batch's values: blank values as null
//! ([`blank_to_null`]) and ISO dates ([`iso_dates`]).

use std::sync::Arc;

use polars::prelude::*;

use crate::settings::calendar::{self, written_fields, Calendar};

/// `text` (a String expression) with empty and blank values (white space only, as
/// `str::trim` sees it) as null: a missing value. A batch with no such value is passed on as
/// it is, without copying a string.
pub fn blank_to_null(text: Expr) -> Expr {
    text.map_with_fmt_str(
        |c: Column| {
            let ca = c.str()?;
            if !ca.iter().flatten().any(is_blank) {
                return Ok(c);
            }
            let kept: StringChunked = ca.iter().map(|v| v.filter(|s| !is_blank(s))).collect();
            Ok(kept.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(field.clone()),
        "blank_to_null",
    )
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// `text` (a String expression) read as Gregorian dates without `input.date_format`, exactly
/// as [`super::parse_date`] reads `ascii_digits(blank_to_null(text))`, in one pass over a
/// batch: a blank value is null and `YYYY-MM-DD` (ASCII digits, a real day, alone or followed
/// by `T` or a space and a time) is read here. A batch holding any other value is read by that
/// expression instead, so what it accepts, and how it fails (`strict`), are its own.
pub fn iso_dates(text: Expr, strict: bool) -> Expr {
    text.map_with_fmt_str(
        move |c: Column| {
            let ca = c.str()?;
            let mut other = false;
            let days: Int32Chunked = ca
                .iter()
                .map(|v| {
                    let s = v?;
                    let day = iso_day(s);
                    other |= day.is_none() && !is_blank(s);
                    day
                })
                .collect();
            if other {
                let name = c.name().clone();
                let text = blank_to_null(col(name.clone()));
                let read = super::parse_date(ascii_digits(text), None, strict).alias(name.clone());
                let out = DataFrame::new(c.len(), vec![c])?
                    .lazy()
                    .select([read])
                    .collect()?;
                return Ok(out.column(&name)?.clone());
            }
            Ok(days.with_name(c.name().clone()).into_date().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Date)),
        "iso_date",
    )
}

/// The day (since 1970-01-01) of `YYYY-MM-DD` in ASCII digits, alone or followed by `T` or a
/// space; None for anything else, including a day that does not exist.
fn iso_day(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() < 10 || (b.len() > 10 && !matches!(b[10], b'T' | b' ')) {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    Calendar::Gregorian.days_from_ymd(y as i32, m, d)
}

/// `text` (a String expression) with Persian and Arabic-Indic digits as ASCII digits, `٫` as
/// `.` and `٬` dropped ([`calendar::ascii_digits`]). A batch with no such character is passed
/// on as it is.
pub fn ascii_digits(text: Expr) -> Expr {
    text.map_with_fmt_str(
        |c: Column| {
            let ca = c.str()?;
            if !ca.iter().flatten().any(calendar::has_foreign_numerals) {
                return Ok(c);
            }
            Ok(ca.apply_values(calendar::ascii_digits).into_column())
        },
        |_, field| Ok(field.clone()),
        "ascii_digits",
    )
}

/// `text` (a String expression) read as Solar Hijri dates ([`persian_day`]) into a Date
/// expression. Each batch converts each of its distinct strings once. `strict`: a string that
/// is not such a date fails the query (the caller rescans to name it); otherwise it is null.
pub fn persian_dates(text: Expr, format: Option<&str>, strict: bool) -> Expr {
    let format: Option<Arc<str>> = format.map(Arc::from);
    text.map_with_fmt_str(
        move |c: Column| {
            let ca = c.str()?;
            let mut seen: PlHashMap<&str, Option<i32>> = PlHashMap::new();
            let mut bad = None;
            let days: Int32Chunked = ca
                .iter()
                .map(|v| {
                    let s = v?;
                    let day = *seen
                        .entry(s)
                        .or_insert_with(|| persian_day(s, format.as_deref()));
                    if day.is_none() && bad.is_none() {
                        bad = Some(s);
                    }
                    day
                })
                .collect();
            if let (true, Some(s)) = (strict, bad) {
                polars_bail!(ComputeError: "cannot read {s:?} as a Solar Hijri date");
            }
            Ok(days.with_name(c.name().clone()).into_date().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Date)),
        "persian_date",
    )
}

/// The day (since 1970-01-01) the text date `text` names in the Solar Hijri calendar, read
/// as `rfmseg run` reads Gregorian dates: with `format`, as chrono's strptime reads it (each
/// field checked, time and offset dropped); without, `YYYY-MM-DD` or `YYYY/MM/DD` (the first 10
/// characters when a time follows after `T` or a space). Digits may be Persian or
/// Arabic-Indic. None when it is not a day of the calendar (Mehr 31, Esfand 30 of a common
/// year, a year outside 1..=9999).
pub fn persian_day(text: &str, format: Option<&str>) -> Option<i32> {
    let text = calendar::ascii_digits(text);
    let (y, m, d) = match format {
        Some(f) => written_fields(&text, f)?,
        None => {
            let iso = iso_prefix(&text);
            written_fields(iso, "%Y-%m-%d").or_else(|| written_fields(iso, "%Y/%m/%d"))?
        }
    };
    Calendar::Persian.days_from_ymd(y, m, d)
}

/// The part of `text` a date without `input.date_format` is read from: the first 10
/// characters when a time follows (the 11th is `T` or a space), else all of it.
fn iso_prefix(text: &str) -> &str {
    match text.char_indices().nth(10) {
        Some((at, 'T' | ' ')) => &text[..at],
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::calendar::days;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> Option<i32> {
        Some(days(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
    }

    #[test]
    fn solar_hijri_text_dates_in_every_written_form() {
        let esfand_30 = day(2025, 3, 20);
        for text in [
            "1403-12-30",
            "1403/12/30",
            "۱۴۰۳/۱۲/۳۰",
            "١٤٠٣-١٢-٣٠",
            "1403/12/30 23:59",
            "1403-12-30T08:00:00+03:30",
        ] {
            assert_eq!(persian_day(text, None), esfand_30, "{text}");
        }
        for text in [
            "1404/12/30",
            "1403/07/31",
            "1403/13/01",
            "1403-12/30",
            "30/12/1403",
        ] {
            assert_eq!(persian_day(text, None), None, "{text}");
        }
        assert_eq!(persian_day("30/12/1403", Some("%d/%m/%Y")), esfand_30);
        assert_eq!(
            persian_day("۰۱.۰۱.۱۴۰۴", Some("%d.%m.%Y")),
            day(2025, 3, 21)
        );
        assert_eq!(persian_day("1403/2/31", Some("%Y/%m/%d")), day(2024, 5, 20));
        assert_eq!(
            persian_day("1403/1/1 10:30", Some("%Y/%m/%d %H:%M")),
            day(2024, 3, 20)
        );
    }

    #[test]
    fn a_batch_reads_each_string_once_and_keeps_nulls() {
        let df = df!("t" => [Some("1403/01/01"), None, Some("۱۴۰۳/۰۱/۰۱"), Some("1403/01/01"), Some("x")]).unwrap();
        let out = df
            .clone()
            .lazy()
            .select([persian_dates(col("t"), None, false).cast(DataType::Int32)])
            .collect()
            .unwrap();
        let got: Vec<Option<i32>> = out.column("t").unwrap().i32().unwrap().iter().collect();
        let nowruz = day(2024, 3, 20);
        assert_eq!(got, [nowruz, None, nowruz, nowruz, None]);
        let strict = df
            .lazy()
            .select([persian_dates(col("t"), None, true)])
            .collect();
        assert!(strict.is_err());
    }

    #[test]
    fn digits_are_read_as_ascii_and_ascii_batches_pass_through() {
        let df = df!("a" => [Some("۱۲۵٬۰۰۰"), Some("-٢٫٥"), None, Some("12.5")]).unwrap();
        let out = df
            .lazy()
            .select([ascii_digits(col("a"))])
            .collect()
            .unwrap();
        let got: Vec<Option<&str>> = out.column("a").unwrap().str().unwrap().iter().collect();
        assert_eq!(got, [Some("125000"), Some("-2.5"), None, Some("12.5")]);
    }

    /// The expressions the one-pass reads replace, as they were written.
    fn blank_reference(text: Expr) -> Expr {
        when(text.clone().str().strip_chars(lit(NULL)).eq(lit("")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(text)
    }

    fn column_of(df: DataFrame, name: &str) -> Vec<Option<String>> {
        let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
        c.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    /// A column's values as text.
    type Texts = Vec<Option<String>>;

    /// Both reads of `values` in one batch: (one-pass, the expression it replaces), each as
    /// text, or the error's absence/presence.
    fn both(values: &[Option<String>], strict: bool) -> (Option<Texts>, Option<Texts>) {
        let df = df!("t" => values).unwrap();
        let run = |e: Expr| {
            df.clone()
                .lazy()
                .select([e.alias("t")])
                .collect()
                .ok()
                .map(|d| column_of(d, "t"))
        };
        (
            run(iso_dates(col("t"), strict)),
            run(super::super::parse_date(
                ascii_digits(blank_reference(col("t"))),
                None,
                strict,
            )),
        )
    }

    fn written_date() -> impl Strategy<Value = String> {
        let digit =
            prop::sample::select(vec!['0', '1', '2', '3', '9', '۱', '-', ' ', 'T', '/', 'x']);
        prop_oneof![
            // Well-formed days, and ones past the month's end, in every year width.
            (0u32..=9999, 0u32..=13, 0u32..=32)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            (
                0u32..=9999,
                1u32..=12,
                1u32..=31,
                prop::sample::select(vec!["T10:00", " 23:59:59", "Z", "+03:30", "x", " ", ""])
            )
                .prop_map(|(y, m, d, rest)| format!("{y:04}-{m:02}-{d:02}{rest}")),
            (1u32..=99999, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| format!("{y}-{m}-{d}")),
            prop::collection::vec(digit, 0..14).prop_map(|c| c.into_iter().collect()),
            prop::sample::select(vec![
                " 2024-06-30",
                "2024-06-30 ",
                "\u{a0}",
                "  ",
                "",
                "۱۴۰۳-۰۱-۰۱",
                "2024-02-29",
                "2023-02-29",
                "0000-01-01",
                "9999-12-31"
            ])
            .prop_map(String::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn iso_dates_read_what_parse_date_reads(values in prop::collection::vec(prop::option::of(written_date()), 1..6), strict: bool) {
            let (fast, reference) = both(&values, strict);
            prop_assert_eq!(fast, reference, "{:?}", values);
        }

        #[test]
        fn blank_values_are_null_as_strip_chars_says(values in prop::collection::vec(prop::option::of(prop::sample::select(vec!["", " ", "\t", "\u{a0}", "\u{3000}", "a", " a ", "0", "\u{200b}"]).prop_map(String::from)), 1..6)) {
            let df = df!("t" => &values).unwrap();
            let run = |e: Expr| column_of(df.clone().lazy().select([e.alias("t")]).collect().unwrap(), "t");
            prop_assert_eq!(run(blank_to_null(col("t"))), run(blank_reference(col("t"))));
        }
    }

    #[test]
    fn iso_batches_are_read_in_one_pass_and_others_by_the_expression() {
        let day = |s: &str| iso_day(s);
        assert_eq!(
            day("2024-06-30"),
            Some(days(NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()))
        );
        assert_eq!(day("2024-06-30T08:00:00+03:30"), day("2024-06-30"));
        assert_eq!(day("2024-06-30 23:59"), day("2024-06-30"));
        for other in [
            "2024-02-30",
            "2024-6-30",
            "2024-06-30Z",
            "۱۴۰۳-۰۱-۰۱",
            " 2024-06-30",
            "2024/06/30",
        ] {
            assert_eq!(day(other), None, "{other}");
        }
        // A batch with a value the one pass does not read is read by the expression: the
        // same days, and a strict read of a bad value fails.
        let (fast, reference) = both(
            &[
                Some("2024-06-30".into()),
                Some("2024-6-1".into()),
                None,
                Some(" ".into()),
            ],
            false,
        );
        assert_eq!(fast, reference);
        assert!(
            fast.unwrap()[1].is_some(),
            "2024-6-1 is read as parse_date reads it"
        );
        let (fast, _) = both(
            &[Some("2024-06-30".into()), Some("30/06/2024".into())],
            true,
        );
        assert!(
            fast.is_none(),
            "a strict read of a value that is not a date fails"
        );
    }
}
