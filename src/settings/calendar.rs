//! `input.calendar`: the calendar dates written as text are read in (and `as_of`), and the
//! one place a date is turned into the text people read ([`Calendar::shown`]); and the
//! digits every number and date written as text may use ([`ascii_digits`]).
//!
//! The Solar Hijri (Persian) calendar is ICU4X's (`icu_calendar`): the 33-year rule with its
//! table of corrections, which matches the astronomical calendar of Iran (the vernal equinox
//! at 52.5 degrees east) from 1178 to 3000 AP. Days are days in every calendar: a date read
//! in either is a day since 1970-01-01, and the output's Date columns are the same.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};
use icu_calendar::cal::Persian;
use icu_calendar::types::RataDie;
use icu_calendar::{Date, Iso};

/// `input.calendar`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Calendar {
    /// The proleptic Gregorian calendar (ISO 8601), the default.
    #[default]
    Gregorian,
    /// The Solar Hijri calendar of Iran (and Afghanistan): Farvardin 1 is Nowruz.
    Persian,
}

/// The Solar Hijri years a date may be written in: AP 1 (622 CE) to 9999.
pub const PERSIAN_YEARS: RangeInclusive<i32> = 1..=9999;

/// The Rata Die (days since 0001-01-01 proleptic Gregorian, that day being 1) of 1970-01-01.
const UNIX_EPOCH_RD: i64 = 719_163;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

impl Calendar {
    /// The names `input.calendar` takes, in the order messages list them.
    pub const NAMES: [&'static str; 2] = ["gregorian", "persian"];

    /// The calendar named `name` in a config.
    pub fn from_name(name: &str) -> Option<Calendar> {
        match name {
            "gregorian" => Some(Calendar::Gregorian),
            "persian" => Some(Calendar::Persian),
            _ => None,
        }
    }

    /// The name as written in a config.
    pub fn name(self) -> &'static str {
        match self {
            Calendar::Gregorian => "gregorian",
            Calendar::Persian => "persian",
        }
    }

    /// The calendar's name for people.
    pub fn title(self) -> &'static str {
        match self {
            Calendar::Gregorian => "Gregorian",
            Calendar::Persian => "Solar Hijri",
        }
    }

    /// The day (days since 1970-01-01) of year `y`, month `m`, day `d` in this calendar;
    /// None when there is no such day (Mehr 31, Esfand 30 of a common year, a year outside
    /// [`PERSIAN_YEARS`] for the Persian calendar).
    pub fn days_from_ymd(self, y: i32, m: u32, d: u32) -> Option<i32> {
        match self {
            Calendar::Gregorian => NaiveDate::from_ymd_opt(y, m, d).map(days),
            Calendar::Persian => {
                if !PERSIAN_YEARS.contains(&y) {
                    return None;
                }
                let date =
                    Date::try_new_persian(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?).ok()?;
                i32::try_from(date.to_rata_die().to_i64_date() - UNIX_EPOCH_RD).ok()
            }
        }
    }

    /// Year, month and day of `date` in this calendar.
    pub fn ymd(self, date: NaiveDate) -> (i32, u32, u32) {
        match self {
            Calendar::Gregorian => (date.year(), date.month(), date.day()),
            Calendar::Persian => {
                let rd = RataDie::new(i64::from(days(date)) + UNIX_EPOCH_RD);
                let p = Date::from_rata_die(rd, Iso).to_calendar(Persian);
                (
                    p.year().extended_year(),
                    u32::from(p.month().ordinal),
                    u32::from(p.day_of_month().0),
                )
            }
        }
    }

    /// `date` written in this calendar: `2024-06-30`; Solar Hijri `1403/04/10` (year, month
    /// and day with ASCII digits, as Iranian forms write them). [`Calendar::parse_day`] reads
    /// it back.
    pub fn text(self, date: NaiveDate) -> String {
        match self {
            Calendar::Gregorian => date.format("%Y-%m-%d").to_string(),
            Calendar::Persian => {
                let (y, m, d) = self.ymd(date);
                format!("{y:04}/{m:02}/{d:02}")
            }
        }
    }

    /// `date` as messages and reports show it: [`Calendar::text`], and for another calendar
    /// than the Gregorian the ISO date beside it: `1403/04/10 (2024-06-30)`.
    pub fn shown(self, date: NaiveDate) -> String {
        match self {
            Calendar::Gregorian => self.text(date),
            Calendar::Persian => format!("{} ({})", self.text(date), date.format("%Y-%m-%d")),
        }
    }

    /// A day given as `analysis.as_of` or `--as-of`: `YYYY-MM-DD` (Persian: also
    /// `YYYY/MM/DD`) read as chrono's strptime reads it, in this calendar, with ASCII, Persian
    /// or Arabic-Indic digits, surrounding whitespace ignored. None when it is not a day of
    /// this calendar.
    pub fn parse_day(self, text: &str) -> Option<NaiveDate> {
        let text = ascii_digits(text.trim());
        let (y, m, d) = match self {
            Calendar::Gregorian => written_fields(&text, "%Y-%m-%d")?,
            Calendar::Persian => {
                written_fields(&text, "%Y-%m-%d").or_else(|| written_fields(&text, "%Y/%m/%d"))?
            }
        };
        self.days_from_ymd(y, m, d).map(date_of)
    }

    /// True when `text` is written as [`Calendar::parse_day`] reads a day in some calendar
    /// (`YYYY-MM-DD` or `YYYY/MM/DD`), whether or not it is one: the command line checks
    /// this much before the config says which calendar it is.
    pub fn looks_like_day(text: &str) -> bool {
        let text = ascii_digits(text.trim());
        written_fields(&text, "%Y-%m-%d")
            .or_else(|| written_fields(&text, "%Y/%m/%d"))
            .is_some()
    }

    /// What a text date must be, for messages: `a date in input.date_format "%d/%m/%Y"`,
    /// `an ISO date (...)`, `a Solar Hijri date (input.calendar: persian) in ...`.
    pub fn expected_text_date(self, date_format: Option<&str>) -> String {
        match (self, date_format) {
            (Calendar::Gregorian, Some(f)) => format!("a date in input.date_format {f:?}"),
            (Calendar::Gregorian, None) => {
                "an ISO date (YYYY-MM-DD, optionally followed by a time)".to_string()
            }
            (Calendar::Persian, Some(f)) => {
                format!("a Solar Hijri date (input.calendar: persian) in input.date_format {f:?}")
            }
            (Calendar::Persian, None) => "a Solar Hijri date (input.calendar: persian; YYYY-MM-DD or YYYY/MM/DD, optionally followed by a time)".to_string(),
        }
    }

    /// How a day is written for [`Calendar::parse_day`], with an example, for messages.
    pub fn day_hint(self) -> &'static str {
        match self {
            Calendar::Gregorian => "YYYY-MM-DD, e.g. 2024-06-30",
            Calendar::Persian => {
                "a Solar Hijri date YYYY/MM/DD or YYYY-MM-DD (input.calendar: persian), e.g. 1403/04/10"
            }
        }
    }
}

/// The year, month and day `text` holds as strftime `format` reads it (chrono's strptime:
/// each field checked on its own, not the date they make); None when it does not match or
/// lacks one of them.
pub fn written_fields(text: &str, format: &str) -> Option<(i32, u32, u32)> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(
        &mut parsed,
        text,
        chrono::format::StrftimeItems::new(format),
    )
    .ok()?;
    Some((parsed.year()?, parsed.month()?, parsed.day()?))
}

/// Days since 1970-01-01.
pub fn days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

/// The date `days` days after 1970-01-01.
pub fn date_of(days: i32) -> NaiveDate {
    EPOCH + chrono::Duration::days(i64::from(days))
}

/// The characters read as ASCII in numbers and dates written as text: the Persian digits
/// U+06F0-U+06F9, the Arabic-Indic digits U+0660-U+0669, the Arabic decimal separator U+066B
/// (read as `.`) and the Arabic thousands separator U+066C (dropped).
pub const PERSIAN_DIGITS: &str = "۰۱۲۳۴۵۶۷۸۹";
/// The Arabic-Indic digits U+0660-U+0669.
pub const ARABIC_INDIC_DIGITS: &str = "٠١٢٣٤٥٦٧٨٩";
/// U+066B ARABIC DECIMAL SEPARATOR, read as `.`.
pub const ARABIC_DECIMAL: char = '٫';
/// U+066C ARABIC THOUSANDS SEPARATOR, dropped.
pub const ARABIC_THOUSANDS: char = '٬';

/// `text` with Persian and Arabic-Indic digits as ASCII digits, `٫` as `.` and `٬` left out;
/// borrowed as is when it has none (ASCII text is never copied).
pub fn ascii_digits(text: &str) -> Cow<'_, str> {
    if !has_foreign_numerals(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            ARABIC_DECIMAL => out.push('.'),
            ARABIC_THOUSANDS => {}
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// True when [`ascii_digits`] changes `text`.
pub fn has_foreign_numerals(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(is_foreign_numeral)
}

/// A character [`ascii_digits`] changes.
fn is_foreign_numeral(c: char) -> bool {
    matches!(c, '\u{06F0}'..='\u{06F9}' | '\u{0660}'..='\u{0669}' | ARABIC_DECIMAL | ARABIC_THOUSANDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn persian(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        Calendar::Persian.days_from_ymd(y, m, d).map(date_of)
    }

    /// Hand-checked against Iran's official calendar (the Calendar Center of the
    /// University of Tehran's Institute of Geophysics): Nowruz and Esfand around the leap
    /// year 1403.
    #[test]
    fn solar_hijri_year_and_leap_year_boundaries() {
        // 1 Farvardin 1403 = 2024-03-20; 1402 is a common year (Esfand 29 is its last day).
        assert_eq!(persian(1403, 1, 1), Some(g(2024, 3, 20)));
        assert_eq!(persian(1402, 12, 29), Some(g(2024, 3, 19)));
        assert_eq!(persian(1402, 12, 30), None);
        // 1403 is a leap year: Esfand 30 1403 = 2025-03-20, then 1 Farvardin 1404.
        assert_eq!(persian(1403, 12, 29), Some(g(2025, 3, 19)));
        assert_eq!(persian(1403, 12, 30), Some(g(2025, 3, 20)));
        assert_eq!(persian(1404, 1, 1), Some(g(2025, 3, 21)));
        assert_eq!(persian(1404, 12, 30), None);
        assert_eq!(persian(1404, 12, 29), Some(g(2026, 3, 20)));
        assert_eq!(persian(1405, 1, 1), Some(g(2026, 3, 21)));
        // 1399 was a leap year (Esfand 30 1399 = 2021-03-20).
        assert_eq!(persian(1399, 12, 30), Some(g(2021, 3, 20)));
        assert_eq!(persian(1400, 1, 1), Some(g(2021, 3, 21)));
        // Months 1-6 have 31 days, 7-11 have 30.
        assert_eq!(persian(1403, 6, 31), Some(g(2024, 9, 21)));
        assert_eq!(persian(1403, 7, 1), Some(g(2024, 9, 22)));
        assert_eq!(persian(1403, 7, 31), None);
        assert_eq!(persian(1403, 11, 31), None);
        assert_eq!(persian(1403, 13, 1), None);
        assert_eq!(persian(1403, 0, 1), None);
        assert_eq!(persian(1403, 1, 0), None);
        // 1403/04/10 = 2024-06-30; the Unix epoch is 11 Dey 1348.
        assert_eq!(persian(1403, 4, 10), Some(g(2024, 6, 30)));
        assert_eq!(persian(1348, 10, 11), Some(g(1970, 1, 1)));
        assert_eq!(persian(0, 1, 1), None);
        assert_eq!(persian(10000, 1, 1), None);
    }

    #[test]
    fn every_day_round_trips_through_the_persian_calendar() {
        let p = Calendar::Persian;
        for n in days(g(1900, 1, 1))..days(g(2100, 1, 1)) {
            let (y, m, d) = p.ymd(date_of(n));
            assert_eq!(p.days_from_ymd(y, m, d), Some(n), "{y}/{m}/{d}");
        }
        assert_eq!(p.ymd(g(2025, 3, 20)), (1403, 12, 30));
        assert_eq!(p.ymd(g(2025, 3, 21)), (1404, 1, 1));
    }

    #[test]
    fn dates_are_shown_and_read_back_in_the_calendar() {
        let day = g(2024, 6, 30);
        assert_eq!(Calendar::Gregorian.shown(day), "2024-06-30");
        assert_eq!(Calendar::Persian.text(day), "1403/04/10");
        assert_eq!(Calendar::Persian.shown(day), "1403/04/10 (2024-06-30)");
        for text in [
            "1403/04/10",
            "1403-04-10",
            " ۱۴۰۳/۰۴/۱۰ ",
            "١٤٠٣-٠٤-١٠",
            "1403/4/10",
        ] {
            assert_eq!(Calendar::Persian.parse_day(text), Some(day), "{text}");
        }
        assert_eq!(Calendar::Gregorian.parse_day("۲۰۲۴-۰۶-۳۰"), Some(day));
        for bad in [
            "1403/04-10",
            "1404/12/30",
            "1403/07/31",
            "1403/04/10x",
            "1403",
            "",
        ] {
            assert_eq!(Calendar::Persian.parse_day(bad), None, "{bad}");
        }
        assert_eq!(Calendar::Gregorian.parse_day("2024/06/30"), None);
        assert_eq!(
            Calendar::Gregorian.parse_day("1403-12-30"),
            Some(g(1403, 12, 30))
        );
    }

    #[test]
    fn foreign_digits_and_separators_become_ascii() {
        assert_eq!(ascii_digits("۱۲۵٬۰۰۰٫۵۰"), "125000.50");
        assert_eq!(ascii_digits("-٢٥٫٥"), "-25.5");
        assert_eq!(ascii_digits("۱۴۰۳/۰۱/۱۵"), "1403/01/15");
        assert!(matches!(ascii_digits("12.5"), Cow::Borrowed(_)));
        assert!(matches!(ascii_digits("café"), Cow::Borrowed(_)));
    }
}
