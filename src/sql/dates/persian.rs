//! The Solar Hijri calendar in SQL: the day of a year, month and day by the arithmetic ICU4X
//! computes it with (and `rfmseg run` reads it through), exactly, for years 1 to 9999.
//!
//! ICU4X's `calendrical_calculations::persian` (`fixed_from_fast_persian`): Nowruz of year
//! `y` is `365 (y - 1) + floor((8 y + 21) / 33)` days after the epoch (the 33-year rule),
//! one day earlier when `y - 1` is in its table of corrections ([`CORRECTED`]: years the rule
//! makes leap and the astronomical calendar does not, whose next year is leap instead). A
//! year is as long as from its Nowruz to the next. Months 1 to 6 have 31 days, 7 to 11 have
//! 30, Esfand the rest. The tests below check every day of every year against ICU4X.

use super::Dialect;
use crate::settings::calendar::PERSIAN_YEARS;
use crate::settings::Calendar;

/// The years (inclusive) the query reads, as [`PERSIAN_YEARS`].
pub const YEARS: (i32, i32) = (*PERSIAN_YEARS.start(), *PERSIAN_YEARS.end());

/// ICU4X's `NON_LEAP_CORRECTION` (calendrical_calculations 0.2): the years the 33-year rule
/// makes leap and the modified astronomical calendar (52.5 degrees east) does not.
const CORRECTED: [i32; 78] = [
    1502, 1601, 1634, 1667, 1700, 1733, 1766, 1799, 1832, 1865, 1898, 1931, 1964, 1997, 2030, 2059,
    2063, 2096, 2129, 2158, 2162, 2191, 2195, 2224, 2228, 2257, 2261, 2290, 2294, 2323, 2327, 2356,
    2360, 2389, 2393, 2422, 2426, 2455, 2459, 2488, 2492, 2521, 2525, 2554, 2558, 2587, 2591, 2620,
    2624, 2653, 2657, 2686, 2690, 2719, 2723, 2748, 2752, 2756, 2781, 2785, 2789, 2818, 2822, 2847,
    2851, 2855, 2880, 2884, 2888, 2913, 2917, 2921, 2946, 2950, 2954, 2979, 2983, 2987,
];

/// `floor((8 y + 21) / 33)` for a year >= 1.
fn rule(d: Dialect, y: &str) -> String {
    d.int_div(&format!("(8 * ({y}) + 21)"), "33")
}

/// 1 when `y` is in [`CORRECTED`], else 0.
fn corrected(y: &str) -> String {
    let list: Vec<String> = CORRECTED.iter().map(i32::to_string).collect();
    format!("CASE WHEN {y} IN ({}) THEN 1 ELSE 0 END", list.join(", "))
}

/// Days from the first of Farvardin to the first of month `m`.
fn before_month(m: &str) -> String {
    format!("(31 * (({m}) - 1) - GREATEST(({m}) - 7, 0))")
}

/// The constant that makes [`days`] count from 1970-01-01: the day of 1/1/1 less the sum
/// of the other terms there.
fn offset() -> i64 {
    let first = Calendar::Persian
        .days_from_ymd(1, 1, 1)
        .expect("1 Farvardin 1 is a day");
    let (y, before_farvardin, day) = (1i64, 0, 1);
    i64::from(first) - (365 * y + (8 * y + 21) / 33 + before_farvardin + day)
}

/// The day (since 1970-01-01) of Solar Hijri year `y` (1 to 9999), month `m` (1 to 12), day
/// `day` (1 to 31; past the month's end it runs into the next).
pub fn days(d: Dialect, y: &str, m: &str, day: &str) -> String {
    format!(
        "(365 * ({y}) + {} - {} + {} + ({day}) + ({}))",
        rule(d, y),
        corrected(&format!("({y}) - 1")),
        before_month(m),
        offset()
    )
}

/// The days in month `m` of Solar Hijri year `y`.
pub fn month_length(d: Dialect, y: &str, m: &str) -> String {
    // Esfand has 29 days and one more in a leap year: one whose next Nowruz is 366 days on.
    let leap = format!(
        "({} - {} - {} + {})",
        rule(d, &format!("({y}) + 1")),
        rule(d, y),
        corrected(y),
        corrected(&format!("({y}) - 1"))
    );
    format!("(CASE WHEN ({m}) <= 6 THEN 31 WHEN ({m}) <= 11 THEN 30 ELSE 29 + {leap} END)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`days`] and [`month_length`] in Rust, term for term.
    fn days_of(y: i32, m: i32, d: i32) -> i64 {
        let corrected = |y: i32| i64::from(CORRECTED.contains(&y));
        365 * i64::from(y) + i64::from((8 * y + 21) / 33) - corrected(y - 1)
            + i64::from(31 * (m - 1) - (m - 7).max(0))
            + i64::from(d)
            + offset()
    }

    fn length_of(y: i32, m: i32) -> i32 {
        let corrected = |y: i32| i32::from(CORRECTED.contains(&y));
        let leap = (8 * (y + 1) + 21) / 33 - (8 * y + 21) / 33 - corrected(y) + corrected(y - 1);
        match m {
            1..=6 => 31,
            7..=11 => 30,
            _ => 29 + leap,
        }
    }

    #[test]
    fn the_arithmetic_is_icu4x_s_on_every_day_of_years_1_to_9999() {
        let p = Calendar::Persian;
        for y in YEARS.0..=YEARS.1 {
            for m in 1..=12 {
                let length = length_of(y, m);
                for d in 1..=31 {
                    let icu = p.days_from_ymd(y, m as u32, d as u32);
                    if d <= length {
                        assert_eq!(Some(days_of(y, m, d)), icu.map(i64::from), "{y}/{m}/{d}");
                    } else {
                        assert_eq!(icu, None, "{y}/{m}/{d} is past the month's end");
                    }
                }
            }
        }
    }

    #[test]
    fn the_table_is_icu4x_s_leap_years() {
        // Leap by the table where the 33-year rule says otherwise: 1503 (after 1502).
        assert_eq!(length_of(1502, 12), 29);
        assert_eq!(length_of(1503, 12), 30);
        assert_eq!(length_of(1403, 12), 30);
        assert_eq!(length_of(1404, 12), 29);
    }
}
