//! Text as written -> what it holds, beyond what polars reads by itself: Persian and
//! Arabic-Indic digits and the Arabic separators read as ASCII ([`ascii_digits`], always), and
//! text dates read in the Solar Hijri calendar ([`persian_dates`], with
//! `input.calendar: persian`), each distinct string of a batch converted once.

use std::sync::Arc;

use polars::prelude::*;

use crate::settings::calendar::{self, written_fields, Calendar};

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
}
