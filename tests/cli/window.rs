//! A window without `as_of` takes the latest order date: from the Parquet statistics where
//! they give it, confirmed by the lines, and the same as a scan finds.

use chrono::NaiveDate;
use polars::prelude::*;
use predicates::prelude::*;

use crate::util::*;

/// Typed Parquet lines of three customers; `last` is the customer of the latest-dated line
/// (2024-07-01), None for a guest checkout.
fn lines(last: Option<&str>) -> DataFrame {
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    df!(
        "customer_id" => [Some("A"), Some("B"), Some("C"), Some("A"), last],
        "order_date" => [day(1, 5), day(3, 1), day(6, 20), day(6, 28), day(7, 1)],
        "amount" => [10.0, 20.0, 30.0, 5.0, 99.0],
        "order_id" => ["O1", "O2", "O3", "O4", "O5"],
    )
    .unwrap()
}

#[test]
fn a_window_ends_on_the_latest_date_of_a_line_with_a_customer_and_an_amount() {
    let s = Scratch::new();
    let cfg = s.write("c.yaml", &config("analysis: {window_days: 30}"));
    for (last, as_of, recomputed, days) in [
        (Some("B"), "2024-07-01", false, [3, 0, 11]),
        // The statistics' latest date is a guest's line: the window ends on 06-28.
        (None, "2024-06-28", true, [0, -1, 8]),
    ] {
        let input = s.path(&format!("lines-{}.parquet", last.unwrap_or("guest")));
        write_parquet(&input, lines(last));
        let out = s.path("out.parquet");
        let run = run_with(&["--verbose"], &cfg, &input, &out);
        let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains(&format!("as_of {as_of} (latest order date)")),
            "{stderr}"
        );
        assert_eq!(
            stderr.contains("again: the statistics' latest date has no line"),
            recomputed,
            "{stderr}"
        );
        let from_statistics = read_parquet(&out);
        // The same lines as CSV (no statistics: a scan finds as_of) and with as_of given.
        let csv = s.path("lines.csv");
        let mut df = lines(last);
        CsvWriter::new(std::fs::File::create(&csv).unwrap())
            .finish(&mut df)
            .unwrap();
        let out_csv = s.path("out-csv.parquet");
        run_quiet(&cfg, &csv, &out_csv);
        let out_given = s.path("out-given.parquet");
        run_with(&["--quiet", "--as-of", as_of], &cfg, &input, &out_given);
        let recency = |df: &DataFrame| (strings(df, "customer_id"), ints(df, "recency_days"));
        assert_eq!(
            recency(&from_statistics),
            recency(&read_parquet(&out_given))
        );
        assert_eq!(recency(&from_statistics), recency(&read_parquet(&out_csv)));
        assert!(from_statistics.equals(&read_parquet(&out_given)));
        let expected: Vec<i64> = days.into_iter().filter(|&r| r >= 0).collect();
        assert_eq!(ints(&from_statistics, "recency_days"), expected);
    }
    // The summary states the window's end either way.
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(s.path("lines-guest.parquet"))
        .arg("--output")
        .arg(s.path("again.parquet"))
        .assert()
        .success()
        .stderr(predicate::str::contains("window: the 30 days up to it"));
}
