//! Issue 18: `input.calendar: persian` (text dates and as_of in the Solar Hijri calendar) and
//! Persian / Arabic-Indic digits, on the real binary. The bundled sample (lines this project
//! did not write by hand) written in Solar Hijri with Persian digits gives exactly the rows it
//! gives in ISO; the dates at the leap year's and Nowruz's boundaries read as hand-checked;
//! and every refusal names what to fix.
//!
//! The Solar Hijri text here is made by [`solar_hijri`], from a table of Nowruz dates taken
//! from Iran's official calendar, not from ICU4X, which the run uses.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::util::*;

fn g(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// 1 Farvardin (Nowruz) of the Solar Hijri years 1399 to 1406 in the Gregorian calendar, as
/// Iran's official calendar gives them (1399 and 1403 are leap years: their Esfand has 30
/// days).
const NOWRUZ: [(i32, (i32, u32, u32)); 8] = [
    (1399, (2020, 3, 20)),
    (1400, (2021, 3, 21)),
    (1401, (2022, 3, 21)),
    (1402, (2023, 3, 21)),
    (1403, (2024, 3, 20)),
    (1404, (2025, 3, 21)),
    (1405, (2026, 3, 21)),
    (1406, (2027, 3, 21)),
];

/// The Solar Hijri year, month and day of `date` (2020-03-20 to 2027-03-20): months 1 to 6
/// have 31 days, 7 to 11 have 30, Esfand the rest of the year.
pub fn solar_hijri(date: NaiveDate) -> (i32, u32, u32) {
    let (year, (y, m, d)) = NOWRUZ
        .iter()
        .rev()
        .find(|(_, (y, m, d))| g(*y, *m, *d) <= date)
        .copied()
        .expect("a date from 2020-03-20");
    assert!(year < 1406, "{date} is past the table");
    let day = (date - g(y, m, d)).num_days() as u32;
    if day < 186 {
        (year, day / 31 + 1, day % 31 + 1)
    } else {
        (year, (day - 186) / 30 + 7, (day - 186) % 30 + 1)
    }
}

/// `text` with its ASCII digits as Persian digits (U+06F0..) and its `.` as `٫`.
pub fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x06F0 + c.to_digit(10).unwrap()).unwrap(),
            '.' => '٫',
            other => other,
        })
        .collect()
}

/// `text` with its ASCII digits as Arabic-Indic digits (U+0660..) and its `.` as `٫`.
pub fn arabic_indic_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x0660 + c.to_digit(10).unwrap()).unwrap(),
            '.' => '٫',
            other => other,
        })
        .collect()
}

/// `date` in Solar Hijri, `YYYY/MM/DD`.
pub fn solar_hijri_text(date: NaiveDate) -> String {
    let (y, m, d) = solar_hijri(date);
    format!("{y:04}/{m:02}/{d:02}")
}

/// The bundled sample CSV with its dates and amounts rewritten by `date` and `amount` (ids
/// and every other column as they are).
pub fn sample_rewritten(
    s: &Scratch,
    name: &str,
    date: impl Fn(NaiveDate) -> String,
    amount: impl Fn(&str) -> String,
) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo("data-samples/orders.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let names: Vec<&str> = header.split(',').collect();
    let at = |n: &str| names.iter().position(|h| *h == n).unwrap();
    let (d, a) = (at("order_date"), at("amount"));
    let mut out = format!("{header}\n");
    for line in lines {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        fields[d] = date(fields[d].parse().unwrap());
        fields[a] = amount(&fields[a]);
        out += &fields.join(",");
        out.push('\n');
    }
    s.write(name, &out)
}

const SAMPLE_CONFIG: &str = "input:\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\n";

fn rules() -> String {
    let rfm = std::fs::read_to_string(repo("config/rfm.yaml")).unwrap();
    rfm[rfm.find("scoring:").unwrap()..]
        .lines()
        .filter(|l| !l.trim_start().starts_with("path:") && !l.starts_with("output:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A config on the sample's columns: `input` lines, then `analysis` lines, and the bundled
/// 11-segment rules.
fn sample_config(input: &str, analysis: &str) -> String {
    format!(
        "{SAMPLE_CONFIG}{input}analysis:\n  returns: net\n{analysis}{}\n",
        rules()
    )
}

/// Run `config` on `input` with `flags`; the output and the summary on stderr.
fn run_it(
    s: &Scratch,
    name: &str,
    config: &str,
    input: &std::path::Path,
    flags: &[&str],
) -> (DataFrame, String) {
    let cfg = s.write(&format!("{name}.yaml"), config);
    let out = s.path(&format!("{name}.parquet"));
    let assert = run_with(flags, &cfg, input, &out);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    (read_parquet(&out), stderr)
}

#[test]
fn the_table_of_this_test_is_the_official_calendar_at_its_boundaries() {
    assert_eq!(solar_hijri(g(2024, 3, 19)), (1402, 12, 29));
    assert_eq!(solar_hijri(g(2024, 3, 20)), (1403, 1, 1));
    assert_eq!(solar_hijri(g(2024, 9, 21)), (1403, 6, 31));
    assert_eq!(solar_hijri(g(2024, 9, 22)), (1403, 7, 1));
    assert_eq!(solar_hijri(g(2025, 3, 20)), (1403, 12, 30));
    assert_eq!(solar_hijri(g(2025, 3, 21)), (1404, 1, 1));
    assert_eq!(solar_hijri(g(2024, 6, 30)), (1403, 4, 10));
    assert_eq!(solar_hijri(g(2022, 7, 2)), (1401, 4, 11));
}

/// Done when: on lines this project did not write, Solar Hijri dates with Persian digits give
/// exactly the rows the same lines give in ISO; with as_of from the data, given in the config
/// and given on the command line (each in Solar Hijri), with a window.
#[test]
fn the_sample_in_solar_hijri_with_persian_digits_gives_the_iso_rows() {
    let s = Scratch::new();
    let iso = repo("data-samples/orders.csv");
    let persian = sample_rewritten(
        &s,
        "persian.csv",
        |d| persian_digits(&solar_hijri_text(d)),
        persian_digits,
    );
    let calendar = "  calendar: persian\n";
    let cases: [(&str, &str, &str, &[&str]); 3] = [
        ("from-data", "", "", &[]),
        (
            "as-of-in-config",
            "  as_of: 2024-03-31\n  window_days: 365\n",
            "  as_of: \"۱۴۰۳/۰۱/۱۲\"\n  window_days: 365\n",
            &[],
        ),
        (
            "as-of-on-the-command-line",
            "  window_days: 200\n",
            "  window_days: 200\n",
            &["--as-of", "1403-02-31"],
        ),
    ];
    for (name, iso_analysis, persian_analysis, flags) in cases {
        let iso_flags: &[&str] = if flags.is_empty() {
            &[]
        } else {
            &["--as-of", "2024-05-20"]
        };
        let (want, iso_summary) = run_it(
            &s,
            &format!("{name}-iso"),
            &sample_config("", iso_analysis),
            &iso,
            iso_flags,
        );
        let (got, summary) = run_it(
            &s,
            &format!("{name}-persian"),
            &sample_config(calendar, persian_analysis),
            &persian,
            flags,
        );
        assert!(want.height() > 200, "{name}: {} rows", want.height());
        assert!(got.equals_missing(&want), "{name}:\n{got}\n{want}");
        assert_eq!(
            got.schema(),
            want.schema(),
            "{name}: Date columns stay Date"
        );
        // The summary shows as_of in the calendar, with the ISO date beside it.
        let shown = match name {
            "from-data" => "as_of 1403/04/10 (2024-06-30) (latest order date)",
            "as-of-in-config" => "as_of 1403/01/12 (2024-03-31); window: the 365 days up to it",
            _ => "as_of 1403/02/31 (2024-05-20); window: the 200 days up to it",
        };
        assert!(summary.contains(shown), "{name}:\n{summary}");
        let rest = |summary: &str| -> Vec<String> {
            summary
                .lines()
                .filter(|l| {
                    !l.starts_with("read ")
                        && !l.starts_with("wrote ")
                        && !l.starts_with("  as_of ")
                })
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            rest(&iso_summary),
            rest(&summary),
            "{name}: the summaries differ only in the dates"
        );
    }
}

/// Arabic-Indic digits with a date format, in Solar Hijri; and Gregorian dates written in
/// Arabic-Indic digits (no key needed for digits).
#[test]
fn arabic_indic_digits_read_with_a_date_format_and_in_gregorian_dates() {
    let s = Scratch::new();
    let iso = repo("data-samples/orders.csv");
    let (want, _) = run_it(&s, "iso", &sample_config("", ""), &iso, &[]);
    let dmy = sample_rewritten(
        &s,
        "dmy.csv",
        |d| {
            let (y, m, d) = solar_hijri(d);
            arabic_indic_digits(&format!("{d}-{m}-{y}"))
        },
        arabic_indic_digits,
    );
    let (got, _) = run_it(
        &s,
        "dmy",
        &sample_config("  calendar: persian\n  date_format: \"%d-%m-%Y\"\n", ""),
        &dmy,
        &[],
    );
    assert!(got.equals_missing(&want), "{got}\n{want}");
    let gregorian = sample_rewritten(
        &s,
        "gregorian.csv",
        |d| arabic_indic_digits(&d.to_string()),
        persian_digits,
    );
    let (got, summary) = run_it(&s, "gregorian", &sample_config("", ""), &gregorian, &[]);
    assert!(got.equals_missing(&want), "{got}\n{want}");
    assert!(
        summary.contains("as_of 2024-06-30 (latest order date)"),
        "{summary}"
    );
}

/// Hand-checked: Esfand 29 1402, Nowruz 1403, Shahrivar 31 and Mehr 1 1403, Esfand 30 1403
/// (a leap day) and Nowruz 1404, each one customer's only date; thousands and decimal
/// separators in amounts; ids as written (Persian digits stay).
#[test]
fn the_leap_year_and_nowruz_boundaries_read_as_hand_checked() {
    let s = Scratch::new();
    let input = s.write(
        "boundaries.csv",
        "order_id,customer_id,order_date,amount\n\
         1,c1,1402/12/29,۱٬۲۵۰٫۵۰\n\
         2,c2,۱۴۰۳/۰۱/۰۱,٢٥\n\
         3,c3,1403-06-31,10\n\
         4,c4,1403/7/1,10\n\
         5,c5,۱۴۰۳/۱۲/۳۰ ۱۰:۳۰,10\n\
         6,۰۰۴۲,1404/01/01,-٠٫٥\n\
         7,۰۰۴۲,1404/01/01,3\n",
    );
    let (out, summary) = run_it(
        &s,
        "boundaries",
        &format!(
            "{SAMPLE_CONFIG}  calendar: persian\nsegments:\n  rules:\n    - {{name: All, when: \"r >= 1\"}}\n"
        ),
        &input,
        &[],
    );
    assert_eq!(
        strings(&out, "customer_id"),
        ["c1", "c2", "c3", "c4", "c5", "۰۰۴۲"]
    );
    assert_eq!(
        strings(&out, "first_order_date"),
        [
            "2024-03-19",
            "2024-03-20",
            "2024-09-21",
            "2024-09-22",
            "2025-03-20",
            "2025-03-21"
        ]
    );
    assert_eq!(ints(&out, "recency_days"), [367, 366, 181, 180, 1, 0]);
    assert_eq!(
        floats(&out, "monetary"),
        [1250.5, 25.0, 10.0, 10.0, 10.0, 2.5]
    );
    assert!(
        summary.contains("as_of 1404/01/01 (2025-03-21) (latest order date)"),
        "{summary}"
    );
}

/// `check --input` and `inspect` show as_of in the calendar; the output's footer keeps ISO
/// and adds `as_of_calendar`; the thresholds file keeps ISO.
#[test]
fn check_and_inspect_show_dates_in_the_calendar() {
    let s = Scratch::new();
    let input = s.write(
        "in.csv",
        "order_id,customer_id,order_date,amount\n1,a,1403/04/01,5\n2,b,1403/04/10,7\n",
    );
    let cfg = s.write(
        "c.yaml",
        &format!("{SAMPLE_CONFIG}  calendar: persian\nanalysis:\n  as_of: 1403/04/10\nsegments:\n  rules:\n    - {{name: All, when: \"r >= 1\"}}\n"),
    );
    let check = rfmseg()
        .args(["check", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains(
            "data: 2 customers scored, as_of 1403/04/10 (2024-06-30); window: all history"
        ),
        "{stdout}"
    );
    let out = s.path("out.parquet");
    let edges = s.path("edges.yaml");
    run_with(
        &["--quiet", "--thresholds-out", edges.to_str().unwrap()],
        &cfg,
        &input,
        &out,
    );
    let inspect = rfmseg().arg("inspect").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        text.contains("as_of: 2024-06-30 = 1403/04/10 Solar Hijri (given)"),
        "{text}"
    );
    assert!(text.contains("  calendar: persian\n"), "{text}");
    assert!(text.contains("  as_of: 1403/04/10\n"), "{text}");
    let json = rfmseg()
        .args(["inspect", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["as_of"], "2024-06-30");
    assert_eq!(doc["as_of_calendar"], "1403/04/10 Solar Hijri");
    let edges = std::fs::read_to_string(&edges).unwrap();
    assert!(edges.contains("as_of: 2024-06-30"), "{edges}");
    // A Gregorian run's footer has no such key.
    let plain = s.path("plain.parquet");
    run_with(
        &["--quiet"],
        &repo("config/rfm.yaml"),
        &repo("data-samples/orders.csv"),
        &plain,
    );
    let json = rfmseg()
        .args(["inspect", "--json"])
        .arg(&plain)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(doc.get("as_of_calendar").is_none(), "{doc}");
}

/// Every refusal of the calendar and the digits, with its exit code and what it names.
#[test]
fn every_calendar_refusal_names_the_setting() {
    let s = Scratch::new();
    let persian =
        format!("{SAMPLE_CONFIG}  calendar: persian\nsegments: {{rules: [{{name: A, r: 5}}]}}\n");
    let lines = |name: &str, dates: &[&str]| {
        let mut text = String::from("order_id,customer_id,order_date,amount\n");
        for (i, d) in dates.iter().enumerate() {
            text += &format!("o{i},c{i},{d},5\n");
        }
        s.write(name, &text).display().to_string()
    };
    // Days the Solar Hijri calendar does not have: the run stops naming file, row, column,
    // value and the setting.
    for (bad, row) in [
        ("1404/12/30", 2),
        ("1403/07/31", 2),
        ("1403/13/01", 2),
        ("۱۴۰۲/۱۲/۳۰", 2),
    ] {
        let input = lines(&format!("bad-{row}.csv"), &["1403/12/30", bad]);
        fails(
            &persian,
            &[&input],
            &[],
            1,
            &[
                &input,
                &format!("row {row} (line {})", row + 1),
                "column \"order_date\"",
                &format!("cannot read \"{bad}\" as a Solar Hijri date (input.calendar: persian"),
                "or remove input.calendar if the file's dates are Gregorian",
            ],
        );
    }
    // A Gregorian date is not read in the Solar Hijri calendar (Mehr has 30 days), nor a
    // Solar Hijri date in the Gregorian one.
    let input = lines("iso.csv", &["2024-07-31"]);
    fails(
        &persian,
        &[&input],
        &[],
        1,
        &["cannot read \"2024-07-31\" as a Solar Hijri date"],
    );
    let gregorian = persian.replace("  calendar: persian\n", "");
    let input = lines("shamsi.csv", &["1403/12/30"]);
    fails(
        &gregorian,
        &[&input],
        &[],
        1,
        &["cannot read \"1403/12/30\" as an ISO date"],
    );
    // Config errors (exit 2), all at once, each placed.
    fails(
        &persian.replace("persian", "jalali"),
        &[&input],
        &[],
        2,
        &["input.calendar: \"jalali\" is not one of: gregorian, persian"],
    );
    for (format, named) in [
        ("%d %b %Y", "%b"),
        ("%Y-%m-%d (%j)", "%j"),
        ("%D", "%D"),
        ("%A %Y/%m/%d", "%A"),
        ("%Y/%m/%d %I:%M %p", "%I"),
    ] {
        fails(
            &persian.replace(
                "  calendar: persian\n",
                &format!("  calendar: persian\n  date_format: {format:?}\n"),
            ),
            &[&input],
            &[],
            2,
            &[
                "input.date_format",
                &format!(
                    "{named} is not read in the Solar Hijri calendar (input.calendar: persian)"
                ),
            ],
        );
    }
    fails(
        &persian.replace(
            "  calendar: persian\n",
            "  calendar: persian\n  date_format: \"%Y/%m/%d %H\"\n",
        ),
        &[&input],
        &[],
        2,
        &["input.date_format", "give both %H and %M"],
    );
    fails(
        &format!("{persian}analysis: {{as_of: 1404/12/30}}\n"),
        &[&input],
        &[],
        2,
        &["analysis.as_of: \"1404/12/30\" is not a date; write it as a Solar Hijri date"],
    );
    fails(
        &persian,
        &[&input],
        &["--as-of", "1404-12-30"],
        2,
        &["--as-of: \"1404-12-30\" is not a date; write it as a Solar Hijri date"],
    );
    fails(
        &gregorian,
        &[&input],
        &["--as-of", "1403/12/30"],
        2,
        &["--as-of: \"1403/12/30\" is not a date; write it as YYYY-MM-DD"],
    );
    fails(
        &persian,
        &[&input],
        &["--as-of", "30/12/1403"],
        2,
        &["invalid value '30/12/1403' for '--as-of <DATE>'"],
    );
}

/// With `rejects_path`, Solar Hijri dates that are not days and unreadable amounts are set
/// aside with the reason; amounts in Persian digits are read.
#[test]
fn rejects_name_the_calendar() {
    let s = Scratch::new();
    let rejects = s.path("rejects.csv");
    let cfg = s.write(
        "c.yaml",
        &format!(
            "{SAMPLE_CONFIG}  calendar: persian\n  rejects_path: {:?}\nsegments: {{rules: [{{name: A, r: 5}}]}}\n",
            rejects.display().to_string()
        ),
    );
    let input = s.write(
        "in.csv",
        "order_id,customer_id,order_date,amount\n1,a,1403/12/30,۵\n2,b,1404/12/30,5\n3,c,1403/01/01,۵x\n",
    );
    run_with(&["--quiet"], &cfg, &input, &s.path("out.parquet"));
    let text = std::fs::read_to_string(&rejects).unwrap();
    let file = input.display();
    assert_eq!(
        text,
        format!("file,row,line,column,value,reason\n{file},2,3,order_date,1404/12/30,\"not a Solar Hijri date (input.calendar: persian; YYYY-MM-DD or YYYY/MM/DD, optionally followed by a time)\"\n{file},3,4,amount,۵x,\"not a plain number (e.g. 1234.50, -20; no currency sign or thousands separator)\"\n")
    );
    let out = read_parquet(&s.path("out.parquet"));
    assert_eq!(strings(&out, "customer_id"), ["a"]);
    assert_eq!(floats(&out, "monetary"), [5.0]);
}

/// The Solar Hijri example of docs/config.md runs as written (its input replaced by
/// `--input`): as_of 1403/12/30 is 2025-03-20, and the window keeps the 365 days up to it.
#[test]
fn the_solar_hijri_example_of_the_config_docs_runs_as_written() {
    let doc = std::fs::read_to_string(repo("docs/config.md")).unwrap();
    let start = doc
        .find("input:\n  paths: [exports/sales-1403.csv]")
        .expect("the example is in docs/config.md");
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let s = Scratch::new();
    let cfg = s.write("example.yaml", example);
    let input = s.write(
        "sales-1403.csv",
        "cust_no,sold_on,line_total\n\
         ۰۰۱,۱۴۰۳/۰۱/۱۵,۱۲۵٬۰۰۰\n\
         ۰۰۲,۱۴۰۲/۱۲/۲۹,۹۹٫۵\n\
         ۰۰۱,1403/12/30,250000\n\
         ۰۰۳,1404/01/01,10\n",
    );
    let out = s.path("out.parquet");
    let assert = run_with(&[], &cfg, &input, &out);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("as_of 1403/12/30 (2025-03-20); window: the 365 days up to it"),
        "{stderr}"
    );
    // 1404/01/01 is after as_of; 1402/12/29 (2024-03-19) is 366 days before it, outside.
    assert!(
        stderr.contains("ignored: 1 after as_of, 1 outside the window"),
        "{stderr}"
    );
    let df = read_parquet(&out);
    assert_eq!(strings(&df, "customer_id"), ["۰۰۱"]);
    assert_eq!(floats(&df, "monetary"), [375000.0]);
    assert_eq!(strings(&df, "first_order_date"), ["2024-04-03"]);
}

/// `--explain` says which day the plans' as_of is, in the calendar; the Solar Hijri
/// conversion shows in the plan as one per-batch map (`persian_date`), which a Gregorian plan
/// does not have.
#[test]
fn explain_shows_as_of_in_the_calendar_and_the_conversion() {
    let s = Scratch::new();
    let input = s.write(
        "in.csv",
        "order_id,customer_id,order_date,amount\n1,a,1403/04/01,5\n",
    );
    let explain = |config: &str| {
        let cfg = s.write("c.yaml", config);
        let out = rfmseg()
            .args(["run", "--explain", "--config"])
            .arg(&cfg)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(s.path("o.parquet"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let rules = "segments: {rules: [{name: A, r: 5}]}\n";
    let plan = explain(&format!(
        "{SAMPLE_CONFIG}  calendar: persian\nanalysis: {{as_of: 1403/04/10}}\n{rules}"
    ));
    assert!(
        plan.starts_with(
            "-- as_of 1403/04/10 (2024-06-30) = day 19904 (days since 1970-01-01 in the plans)\n"
        ),
        "{plan}"
    );
    assert!(plan.contains("persian_date()"), "{plan}");
    let plan = explain(&format!(
        "{SAMPLE_CONFIG}analysis: {{as_of: 2024-06-30}}\n{rules}"
    ));
    assert!(
        plan.starts_with("-- as_of 2024-06-30 = day 19904"),
        "{plan}"
    );
    assert!(!plan.contains("persian_date"), "{plan}");
    assert!(plan.contains("ascii_digits()"), "{plan}");
}
