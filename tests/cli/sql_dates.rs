//! Text dates in `rfmseg sql`: each translated `input.date_format`, on DuckDB and Spark, reads
//! the dates `rfmseg run` reads from the same file, and stops on the values it refuses.
//!
//! Issue 17: Spark stopped on every CDNOW date (`19970101`, `%Y%m%d`), since the query asked
//! for `yyyyMd` and Spark cannot split a compact date of variable-width fields. The cases here
//! join the SQL conformance manifest of `sql.rs` (one Spark session runs them all): per format,
//! one file of dates written padded and unpadded, with days and months above and below 12 (a
//! day-month swap changes a date or fails), times and offsets that must not move the date, and
//! whitespace the run skips; and per value the run refuses, a file of a good line and that
//! value, on which both engines must stop naming it.

use std::path::Path;

use crate::sql::sql_of;
use crate::util::*;

/// One format: the values `rfmseg run` reads (text, the date it reads), and values it refuses
/// (together they stop the query on each kind of check: no match, a range, the day in its
/// month, a short number before more digits, whitespace after the date). The unit tests of
/// `sql::dates` compare many more strings with the run's reader.
struct Format {
    name: &'static str,
    /// None: no `input.date_format` (ISO).
    format: Option<&'static str>,
    good: &'static [(&'static str, &'static str)],
    bad: &'static [&'static str],
    /// The engines' session time zone while they run it (the date as written never moves).
    time_zone: Option<&'static str>,
    /// Read in the Solar Hijri calendar (`input.calendar: persian`).
    persian: bool,
}

const FORMATS: &[Format] = &[
    Format {
        name: "compact-yyyymmdd",
        format: Some("%Y%m%d"),
        good: &[
            ("19970101", "1997-01-01"),
            ("19971231", "1997-12-31"),
            ("19970612", "1997-06-12"),
            ("19971206", "1997-12-06"),
            // Greedy as chrono: 4 digits, 2 digits, what is left.
            ("1998029", "1998-02-09"),
            (" 19980315", "1998-03-15"),
        ],
        bad: &["199701", "19971301", "19970230", "19970101 "],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "compact-with-time",
        format: Some("%Y%m%d%H%M%S"),
        good: &[
            ("19970101235959", "1997-01-01"),
            ("19971213000000", "1997-12-13"),
        ],
        bad: &["19970101240000"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "compact-ddmmyyyy",
        format: Some("%d%m%Y"),
        good: &[("02011997", "1997-01-02"), ("13121997", "1997-12-13")],
        bad: &["32011997"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "iso-dashes",
        format: Some("%Y-%m-%d"),
        good: &[
            ("2024-01-02", "2024-01-02"),
            ("2024-1-2", "2024-01-02"),
            ("2024-12-13", "2024-12-13"),
            ("2024-02-29", "2024-02-29"),
            ("2024- 6-\u{2003}7", "2024-06-07"),
        ],
        bad: &["2023-02-29", "2024/01/02"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "day-first-slashes",
        format: Some("%d/%m/%Y"),
        good: &[
            ("02/01/2024", "2024-01-02"),
            ("2/1/2024", "2024-01-02"),
            ("13/12/2024", "2024-12-13"),
            ("31/1/2024", "2024-01-31"),
        ],
        bad: &["1/13/2024", "002/1/2024"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "month-first-slashes",
        format: Some("%m/%d/%Y"),
        good: &[
            ("01/02/2024", "2024-01-02"),
            ("1/2/2024", "2024-01-02"),
            ("12/13/2024", "2024-12-13"),
        ],
        bad: &["13/12/2024"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "day-first-dots",
        format: Some("%d.%m.%Y"),
        good: &[
            ("02.01.2024", "2024-01-02"),
            ("2.1.2024", "2024-01-02"),
            ("13.12.2024", "2024-12-13"),
        ],
        bad: &["2.13.2024"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "date-and-time",
        format: Some("%Y-%m-%d %H:%M:%S"),
        good: &[
            ("2024-01-02 23:59:59", "2024-01-02"),
            ("2024-12-13 00:00:00", "2024-12-13"),
            ("2024-1-2 3:04:05", "2024-01-02"),
            ("2024-06-30 23:59:60", "2024-06-30"),
            ("2024-06-29\t12:00:00", "2024-06-29"),
        ],
        bad: &["2024-01-02 24:00:00", "2024-01-02T10:00:00"],
        time_zone: Some("Asia/Kolkata"),
        persian: false,
    },
    Format {
        name: "time-and-offset",
        format: Some("%Y-%m-%dT%H:%M:%S%z"),
        good: &[
            // In UTC these are 2024-01-03 and 2024-12-12: the date as written counts.
            ("2024-01-02T23:30:00-0800", "2024-01-02"),
            ("2024-12-13T00:30:00+05:30", "2024-12-13"),
            ("2024-06-30T12:00:00+0000", "2024-06-30"),
            ("2024-6-3T1:02:03 +1400", "2024-06-03"),
        ],
        bad: &["2024-01-02T23:30:00Z", "2024-01-02T23:30:00+0560"],
        time_zone: Some("America/Los_Angeles"),
        persian: false,
    },
    Format {
        name: "month-names",
        format: Some("%d %b %Y"),
        good: &[
            ("02 Jan 2024", "2024-01-02"),
            ("13 dec 2024", "2024-12-13"),
            ("1 SEP 2024", "2024-09-01"),
        ],
        bad: &["02 Sept 2024"],
        time_zone: None,
        persian: false,
    },
    Format {
        name: "iso-without-format",
        format: None,
        good: &[
            ("2024-01-02", "2024-01-02"),
            ("2024-1-2", "2024-01-02"),
            ("2024-12-13T23:30:00-08:00", "2024-12-13"),
            ("2024-06-30 23:00", "2024-06-30"),
        ],
        bad: &["2024-1-2T10:00", "20240102"],
        time_zone: Some("Asia/Tokyo"),
        persian: false,
    },
    // Issue 18: Solar Hijri dates (input.calendar: persian), with Persian and Arabic-Indic
    // digits: the leap year 1403's Esfand 30 and Nowruz, 31-day and 30-day months.
    Format {
        name: "solar-hijri-without-format",
        format: None,
        good: &[
            ("1403/12/30", "2025-03-20"),
            ("1404-01-01", "2025-03-21"),
            ("۱۴۰۲/۱۲/۲۹", "2024-03-19"),
            ("١٤٠٣/١/١", "2024-03-20"),
            ("1403/06/31 23:59", "2024-09-21"),
            ("1403-07-01T10:00:00+03:30", "2024-09-22"),
        ],
        bad: &[
            "1404/12/30",
            "1403/07/31",
            "1403/13/01",
            "1403-12/30",
            "2024-07-31",
        ],
        time_zone: Some("Asia/Tehran"),
        persian: true,
    },
    Format {
        name: "solar-hijri-day-first",
        format: Some("%d/%m/%Y"),
        good: &[
            ("30/12/1403", "2025-03-20"),
            ("۱/۱/۱۴۰۴", "2025-03-21"),
            ("31/2/1403", "2024-05-20"),
            ("29/12/1404", "2026-03-20"),
        ],
        bad: &["30/12/1404", "31/11/1403", "1403/12/30"],
        time_zone: None,
        persian: true,
    },
    Format {
        name: "solar-hijri-compact",
        format: Some("%Y%m%d"),
        good: &[("14031230", "2025-03-20"), ("۱۴۰۴۰۱۰۱", "2025-03-21")],
        bad: &["14041230", "1403131"],
        time_zone: None,
        persian: true,
    },
];

/// A CSV of order lines, every field quoted (whitespace in a date is part of it): one
/// customer per date, so each date is its customer's first_order_date.
fn orders_csv(s: &Scratch, name: &str, dates: &[&str]) -> std::path::PathBuf {
    let mut text = String::from("order_id,customer_id,order_date,amount\n");
    for (i, date) in dates.iter().enumerate() {
        text += &format!("\"O{i}\",\"C{i:02}\",\"{date}\",\"{}.25\"\n", 10 + i);
    }
    s.write(name, &text)
}

fn config(format: Option<&str>, persian: bool) -> String {
    let mut date_format = format
        .map(|f| format!("  date_format: {}\n", serde_json::to_string(f).unwrap()))
        .unwrap_or_default();
    if persian {
        date_format += "  calendar: persian\n";
    }
    format!(
        "input:\n{date_format}  columns: {{customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}}\nscoring:\n  method: rank\n  bins: 3\nsegments:\n  rules:\n    - {{name: Recent, r: 3}}\n    - {{name: Big, m: 3}}\n"
    )
}

/// The message both engines stop with on `value`.
fn refusal(format: Option<&str>, persian: bool, value: &str) -> String {
    match (persian, format) {
        (false, Some(f)) => format!("cannot read \"{value}\" as a date in input.date_format {f:?}"),
        (false, None) => format!("cannot read \"{value}\" as an ISO date"),
        (true, Some(f)) => format!(
            "cannot read \"{value}\" as a Solar Hijri date (input.calendar: persian) in input.date_format {f:?}"
        ),
        (true, None) => format!(
            "cannot read \"{value}\" as a Solar Hijri date (input.calendar: persian; YYYY-MM-DD or YYYY/MM/DD"
        ),
    }
}

/// The query files of `config` for both engines, set in `entry`.
fn queries(s: &Scratch, name: &str, config: &Path, entry: &mut serde_json::Value) {
    for dialect in ["duckdb", "spark"] {
        let path = s.write(
            &format!("{name}.{dialect}.sql"),
            &sql_of(config, dialect, "orders"),
        );
        entry[dialect] = serde_json::json!(path);
    }
}

/// The date cases of the conformance manifest. Checks on the way that `rfmseg run` reads each
/// good value as the table says and refuses each bad one, naming it.
pub fn date_cases(s: &Scratch) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for f in FORMATS {
        let config = s.write(
            &format!("dates-{}.yaml", f.name),
            &config(f.format, f.persian),
        );
        let texts: Vec<&str> = f.good.iter().map(|(t, _)| *t).collect();
        let input = orders_csv(s, &format!("dates-{}.csv", f.name), &texts);
        let expected = s.path(&format!("dates-{}.parquet", f.name));
        let df = run_quiet(&config, &input, &expected);
        let read = strings(&df, "first_order_date");
        let want: Vec<&str> = f.good.iter().map(|(_, d)| *d).collect();
        assert_eq!(read, want, "{}: the dates rfmseg run reads", f.name);
        let mut entry = serde_json::json!({
            "name": format!("dates-{}", f.name),
            "input": input,
            "format": "csv",
            "expected": expected,
            "decimals": 2,
            "table": "orders",
            "time_zone": f.time_zone,
        });
        queries(s, &format!("dates-{}", f.name), &config, &mut entry);
        out.push(entry);
        for (i, bad) in f.bad.iter().enumerate() {
            let name = format!("dates-{}-bad-{i}", f.name);
            let input = orders_csv(s, &format!("{name}.csv"), &[texts[0], bad]);
            let run = rfmseg()
                .args(["run", "--quiet", "--config"])
                .arg(&config)
                .arg("--input")
                .arg(&input)
                .arg("--output")
                .arg(s.path(&format!("{name}.parquet")))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert_eq!(
                run.status.code(),
                Some(1),
                "{name}: run must refuse {bad:?}"
            );
            let error = refusal(f.format, f.persian, bad);
            assert!(stderr.contains(&error), "{name}: {stderr}");
            let mut entry = serde_json::json!({
                "name": name, "input": input, "format": "csv", "error": error, "table": "orders",
                "time_zone": f.time_zone,
            });
            queries(s, &name, &config, &mut entry);
            out.push(entry);
        }
    }
    out
}

#[test]
fn sql_refuses_date_formats_it_cannot_read_exactly() {
    let s = Scratch::new();
    let refused = |format: &str, dialect: &str| {
        let config = s.write("c.yaml", &config(Some(format), false));
        let out = rfmseg()
            .args(["sql", "--dialect", dialect, "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = refused("%a %d/%m/%Y", "spark");
    assert!(
        e.contains("input.date_format \"%a %d/%m/%Y\": %a (a weekday name) has no exact translation to Spark SQL"),
        "{e}"
    );
    assert!(e.contains("Write the dates as ISO"), "{e}");
    let e = refused("%d/%m/%y", "duckdb");
    assert!(
        e.contains("%y (a two-digit year) has no exact translation to DuckDB SQL"),
        "{e}"
    );
    let e = refused("%Y-%m-%d %H", "spark");
    assert!(e.contains("rfmseg run refuses this format too"), "{e}");
}
