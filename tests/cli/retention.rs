//! Retention on the real binary, against an independent count: of a March run's customers,
//! those with a purchase line in the order lines after March's as_of, per March segment, with
//! all history (still scored 100%) and with a window (customers gone); and the refusal of a
//! previous run whose as_of cannot be known. The hand-worked cases are in report.rs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

use crate::report::{run_file, segment_retention};
use crate::util::*;

/// `rfmseg run` of the sample with `config` at `as_of` into `out`.
fn run_at(config: &Path, as_of: &str, out: &Path) {
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(config)
        .args(["--as-of", as_of, "--output"])
        .arg(out)
        .assert()
        .success();
}

/// Customers with a purchase line (amount >= 0) dated after `after` and up to `until`, read
/// straight from the sample's order lines.
fn buyers(after: &str, until: &str) -> BTreeSet<String> {
    let lines = scan_text_csv(&repo("data-samples/orders.csv"))
        .collect()
        .unwrap();
    let ids = strings(&lines, "customer_id");
    let dates = strings(&lines, "order_date");
    let amounts = strings(&lines, "amount");
    (0..lines.height())
        .filter(|&i| ids[i] != "null" && !ids[i].trim().is_empty())
        .filter(|&i| amounts[i].parse::<f64>().unwrap() >= 0.0)
        .filter(|&i| dates[i].as_str() > after && dates[i].as_str() <= until)
        .map(|i| ids[i].clone())
        .collect()
}

fn report(now: &Path, before: &Path) -> Value {
    let output = rfmseg()
        .arg("report")
        .arg("-s")
        .arg(now)
        .arg("-p")
        .arg(before)
        .args(["-c", "config/rfm.yaml", "--json", "-"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The sample in March and June with `config_edit` applied to config/rfm.yaml: retention per
/// March segment must equal the independent count.
fn check_against_the_order_lines(config_edit: impl Fn(String) -> String, all_present: bool) {
    let s = Scratch::new();
    let text = config_edit(std::fs::read_to_string(repo("config/rfm.yaml")).unwrap());
    let config = s.write("rfm.yaml", &text);
    let (june, march) = (s.path("june.parquet"), s.path("march.parquet"));
    run_at(&config, "2024-06-30", &june);
    run_at(&config, "2024-03-31", &march);
    let bought = buyers("2024-03-31", "2024-06-30");
    let before = read_parquet(&march);
    let ids = strings(&before, "customer_id");
    let segments = strings(&before, "segment");
    let now: BTreeSet<String> = strings(&read_parquet(&june), "customer_id")
        .into_iter()
        .collect();
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (id, segment) in ids.iter().zip(&segments) {
        let e = per.entry(segment.clone()).or_default();
        e.0 += 1;
        e.1 += u64::from(bought.contains(id));
    }
    let retained: u64 = per.values().map(|v| v.1).sum();
    let still = ids.iter().filter(|id| now.contains(*id)).count() as u64;

    let json = report(&june, &march);
    assert_eq!(json["previous_as_of"], "2024-03-31");
    assert_eq!(json["previous_customers"], ids.len() as u64);
    assert_eq!(json["retained"], retained);
    // serde_json reads floats to within an ulp, not always exactly.
    let close = |got: Option<f64>, want: f64| (got.unwrap() - want).abs() < 1e-12;
    assert!(close(
        json["retention_rate"].as_f64(),
        retained as f64 / ids.len() as f64
    ));
    assert_eq!(json["still_scored"], still);
    assert_eq!(
        all_present,
        still == ids.len() as u64,
        "still scored {still}"
    );
    assert!(retained > 0 && retained < ids.len() as u64, "{retained}");
    let got: BTreeMap<String, (u64, u64)> = segment_retention(&json)
        .into_iter()
        .map(|(segment, customers, kept, rate)| {
            assert!(close(rate, kept as f64 / customers as f64), "{segment}");
            (segment, (customers, kept))
        })
        .collect();
    assert_eq!(got, per);
}

#[test]
fn retention_per_segment_equals_an_independent_count_of_the_lines() {
    check_against_the_order_lines(|text| text, true);
}

#[test]
fn with_a_window_retention_still_counts_purchases_and_the_gone_are_not_still_scored() {
    check_against_the_order_lines(
        |text| text.replace("analysis:\n", "analysis:\n  window_days: 120\n"),
        false,
    );
}

#[test]
fn a_previous_run_without_provenance_whose_rows_disagree_on_as_of_is_refused() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = read_parquet(&run_file(&s, "march"));
    // One row a day off: last_order_date + recency_days no longer gives one date.
    let edited = march
        .lazy()
        .with_column(
            when(col("customer_id").eq(lit("A")))
                .then(col("recency_days") + lit(1i64))
                .otherwise(col("recency_days"))
                .alias("recency_days"),
        )
        .collect()
        .unwrap();
    let path = s.path("edited.parquet");
    write_parquet(&path, edited);
    rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&june)
        .arg("-p")
        .arg(&path)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains(format!(
            "run file {}: has no as_of in its footer (no rfmseg provenance), and its rows do not agree on one: last_order_date + recency_days runs from 2024-03-31 to 2024-04-01",
            path.display()
        )));
}
