//! `run --state DIR` on the real binary: a week of nightly runs on the bundled sample equals
//! full runs, its customers snapshot (and the changes since it) stored in output order; re-runs are skipped; changed dependencies, key types and bad values are refused
//! before anything is written; a run killed while it writes the state leaves the earlier
//! state whole; `inspect DIR` and `--summary-json`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::*;

const NIGHTS: [&str; 7] = [
    "2024-06-24",
    "2024-06-25",
    "2024-06-26",
    "2024-06-27",
    "2024-06-28",
    "2024-06-29",
    "2024-06-30",
];

fn night(day: &str) -> PathBuf {
    repo(&format!("data-samples/nightly/orders-{day}.csv"))
}

fn history() -> PathBuf {
    repo("data-samples/nightly/history.csv")
}

/// `rfmseg run --quiet --config CFG --state DIR --input INPUTS... --output OUT` plus `extra`.
fn fold(
    cfg: &Path,
    dir: &Path,
    inputs: &[PathBuf],
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = rfmseg();
    cmd.arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--state")
        .arg(dir)
        .arg("--output")
        .arg(out)
        .args(extra);
    if !inputs.is_empty() {
        cmd.arg("--input").args(inputs);
    }
    cmd.output().unwrap()
}

/// A full run over `inputs`, read back.
fn full(cfg: &Path, inputs: &[PathBuf], out: &Path, extra: &[&str]) -> polars::prelude::DataFrame {
    let status = rfmseg()
        .arg("run")
        .arg("--quiet")
        .arg("--config")
        .arg(cfg)
        .arg("--output")
        .arg(out)
        .args(extra)
        .arg("--input")
        .args(inputs)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    read_parquet(out)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sample's config with `analysis` keys added, and no `input.paths` (a run without
/// `--input` scores from the state alone).
fn sample_config(s: &Scratch, name: &str, analysis: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("config/rfm.yaml"))
        .unwrap()
        .replace("  paths: [data-samples/orders.csv]", "")
        .replace("analysis:\n", &format!("analysis:\n{analysis}"));
    assert!(
        !text.contains("paths:"),
        "the sample config's input.paths are gone"
    );
    s.write(name, &text)
}

#[test]
fn a_week_of_nightly_runs_gives_the_full_run_every_night() {
    let s = Scratch::new();
    for (name, analysis) in [
        ("plain.yaml", ""),
        ("window.yaml", "  window_days: 90\n"),
        ("regions.yaml", "  group_by: [region]\n"),
    ] {
        let cfg = sample_config(&s, name, analysis);
        let dir = s.path(&format!("state-{name}"));
        let (out, reference) = (s.path("night.parquet"), s.path("full.parquet"));
        let mut so_far = vec![history()];
        let mut nights_with_changes = Vec::new();
        let first = fold(&cfg, &dir, &so_far, &out, &["--quiet"]);
        assert!(first.status.success(), "{}", stderr(&first));
        assert!(read_parquet(&out).equals_missing(&full(&cfg, &so_far, &reference, &[])));
        for day in NIGHTS {
            so_far.push(night(day));
            let ran = fold(&cfg, &dir, &[night(day)], &out, &[]);
            assert!(ran.status.success(), "{name} {day}: {}", stderr(&ran));
            let text = stderr(&ran);
            assert!(
                text.contains("folded ") && text.contains(&format!("orders-{day}.csv")),
                "{text}"
            );
            // Without a window the customers snapshot scores the night; a window needs the
            // rollup rows.
            let from = if analysis.contains("window_days") {
                "scored from the rollups"
            } else {
                "scored from the customers snapshot"
            };
            assert!(text.contains(from), "{name} {day}: {text}");
            let expected = full(&cfg, &so_far, &reference, &[]);
            assert!(
                read_parquet(&out).equals_missing(&expected),
                "{name}: night {day} differs from the full run"
            );
            if !analysis.contains("window_days") {
                let keys: &[&str] = if analysis.contains("region") {
                    &["region", "customer_id"]
                } else {
                    &["customer_id"]
                };
                let changes = assert_snapshot_in_output_order(&dir, keys, &format!("{name} {day}"));
                nights_with_changes.push(changes);
            }
        }
        if !analysis.contains("window_days") {
            // A night writes the customers it changed beside the history's snapshot.
            assert!(
                nights_with_changes.iter().all(|&c| c),
                "{name}: changes after each night {nights_with_changes:?}"
            );
        }
        // Scored again with no new input: the snapshot and its changes read back and merged.
        let ran = fold(&cfg, &dir, &[], &out, &["--quiet"]);
        assert!(ran.status.success(), "{}", stderr(&ran));
        assert!(
            read_parquet(&out).equals_missing(&full(&cfg, &so_far, &reference, &[])),
            "{name}: the state scored again differs"
        );
        // A backfill: the state scored as of an earlier day, against a full run as of it.
        let ran = fold(&cfg, &dir, &[], &out, &["--quiet", "--as-of", "2024-06-26"]);
        assert!(ran.status.success(), "{}", stderr(&ran));
        let expected = full(&cfg, &so_far, &reference, &["--as-of", "2024-06-26"]);
        assert!(
            read_parquet(&out).equals_missing(&expected),
            "{name}: backfill differs"
        );
    }
}

#[test]
fn order_numbers_that_grow_a_digit_still_let_a_night_write_only_its_changes() {
    // Order ids written as plain numbers (read as text from CSV): the night's "1000" and up
    // sort before the history's "999" bytewise, after it by length. The night merges its
    // customers into the changes (the snapshot is not made again from the rollups) and equals
    // the full run.
    let s = Scratch::new();
    let cfg = sample_config(&s, "c.yaml", "");
    let header = "order_id,customer_id,order_date,amount\n";
    let history: String = (1..=999)
        .map(|o| {
            format!(
                "{o},c{:03},2024-05-{:02},{}.50\n",
                o % 97,
                1 + o % 28,
                o % 40
            )
        })
        .collect();
    let night: String = (1000..1100)
        .map(|o| format!("{o},c{:03},2024-06-01,{}.25\n", o % 20, o % 30))
        .collect();
    let history = s.write("history.csv", &format!("{header}{history}"));
    let night = s.write("night.csv", &format!("{header}{night}"));
    let dir = s.path("state");
    let (out, reference) = (s.path("night.parquet"), s.path("full.parquet"));
    let first = fold(
        &cfg,
        &dir,
        std::slice::from_ref(&history),
        &out,
        &["--quiet"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let ran = fold(&cfg, &dir, std::slice::from_ref(&night), &out, &["--quiet"]);
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert!(read_parquet(&out).equals_missing(&full(&cfg, &[history, night], &reference, &[])));
    assert!(
        assert_snapshot_in_output_order(&dir, &["customer_id"], "numbered orders"),
        "the night made the snapshot again instead of writing its changes"
    );
}

#[test]
fn the_snapshot_is_written_whole_again_once_its_changes_add_up_to_it() {
    // Nights alone, without the history: each changes a large share of the customers, so the
    // changes written soon add up to the snapshot's rows and it is written whole again. Every
    // night still equals the full run.
    let s = Scratch::new();
    for (name, analysis) in [
        ("plain.yaml", ""),
        ("regions.yaml", "  group_by: [region]\n"),
    ] {
        let cfg = sample_config(&s, name, analysis);
        let dir = s.path(&format!("state-{name}"));
        let (out, reference) = (s.path("night.parquet"), s.path("full.parquet"));
        let mut so_far = Vec::new();
        let mut nights_with_changes = Vec::new();
        for day in NIGHTS {
            so_far.push(night(day));
            let ran = fold(&cfg, &dir, &[night(day)], &out, &["--quiet"]);
            assert!(ran.status.success(), "{name} {day}: {}", stderr(&ran));
            assert!(
                read_parquet(&out).equals_missing(&full(&cfg, &so_far, &reference, &[])),
                "{name}: night {day} differs from the full run"
            );
            let keys: &[&str] = if analysis.is_empty() {
                &["customer_id"]
            } else {
                &["region", "customer_id"]
            };
            nights_with_changes.push(assert_snapshot_in_output_order(
                &dir,
                keys,
                &format!("{name} {day}"),
            ));
        }
        // The first night writes the snapshot; later ones their changes, until those add up
        // to the snapshot, which is then written whole, without changes.
        assert!(!nights_with_changes[0], "{name}: {nights_with_changes:?}");
        let rewritten = nights_with_changes.windows(2).any(|w| w[0] && !w[1]);
        assert!(
            nights_with_changes.contains(&true) && rewritten,
            "{name}: changes after each night {nights_with_changes:?}"
        );
    }
}

/// The state's customers snapshot, and the snapshot of the customers changed since it when
/// there is one, are stored sorted by `keys` (nulls last), as the output is: a night merges
/// them by a walk over both, and scoring sorts nothing. True when there is a changes file.
fn assert_snapshot_in_output_order(dir: &Path, keys: &[&str], what: &str) -> bool {
    use polars::prelude::*;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("customers-") && name.ends_with(".parquet")
        })
        .collect();
    files.sort();
    let changes = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-changes.parquet"))
        .count();
    assert_eq!(
        files.len() - changes,
        1,
        "{what}: one snapshot in {files:?}"
    );
    assert!(
        changes <= 1,
        "{what}: one changes file at most in {files:?}"
    );
    for file in &files {
        let stored = read_parquet(file);
        let sorted = stored
            .sort(
                keys.to_vec(),
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .unwrap();
        assert!(stored.height() > 0, "{what}: {file:?} is empty");
        assert!(
            stored.equals_missing(&sorted),
            "{what}: {file:?} is not in output order"
        );
    }
    changes == 1
}

#[test]
fn an_input_folded_before_is_skipped_wherever_it_lies_now() {
    let s = Scratch::new();
    let cfg = sample_config(&s, "c.yaml", "");
    let dir = s.path("state");
    let out = s.path("out.parquet");
    assert!(fold(
        &cfg,
        &dir,
        &[history(), night(NIGHTS[0])],
        &out,
        &["--quiet"]
    )
    .status
    .success());
    let manifest = std::fs::read(dir.join("state.json")).unwrap();
    let before = read_parquet(&out);
    // The same night again, copied under another name, beside a new one.
    let copy = s.path("elsewhere/renamed.csv");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(night(NIGHTS[0]), &copy).unwrap();
    let json = s.path("summary.json");
    let again = fold(
        &cfg,
        &dir,
        std::slice::from_ref(&copy),
        &out,
        &["--summary-json", json.to_str().unwrap()],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let text = stderr(&again);
    assert!(
        text.contains("skipped") && text.contains("renamed.csv") && text.contains("batch 2"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(dir.join("state.json")).unwrap(),
        manifest,
        "nothing was folded"
    );
    assert!(read_parquet(&out).equals_missing(&before));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["state"]["folded"].as_array().unwrap().len(), 0);
    let skipped = &summary["state"]["skipped"][0];
    assert_eq!(skipped["same_as_batch"], 2);
    assert!(skipped["file"].as_str().unwrap().ends_with("renamed.csv"));
    assert_eq!(summary["state"]["batches"], 2);
}

#[test]
fn a_config_that_changes_what_the_state_depends_on_is_refused() {
    let s = Scratch::new();
    let cfg = sample_config(&s, "c.yaml", "");
    let dir = s.path("state");
    let out = s.path("out.parquet");
    assert!(fold(&cfg, &dir, &[history()], &out, &["--quiet"])
        .status
        .success());
    let manifest = std::fs::read(dir.join("state.json")).unwrap();
    let base = std::fs::read_to_string(&cfg).unwrap();
    for (what, changed, key) in [
        (
            "mapping",
            base.replace("amount: amount", "amount: quantity"),
            "input.columns.amount",
        ),
        (
            "frequency",
            base.replace("frequency: orders", "frequency: lines"),
            "analysis.frequency",
        ),
        (
            "returns",
            base.replace("returns: net", "returns: exclude"),
            "analysis.returns",
        ),
        (
            "group_by",
            base.replace("analysis:\n", "analysis:\n  group_by: [region]\n"),
            "analysis.group_by",
        ),
        (
            "decimals",
            base.replace("monetary_decimals: 2", "monetary_decimals: 0"),
            "analysis.monetary_decimals",
        ),
    ] {
        assert_ne!(
            changed, base,
            "{what}: the replacement must change the config"
        );
        let other = s.write(&format!("{what}.yaml"), &changed);
        let ran = fold(&other, &dir, &[night(NIGHTS[0])], &out, &[]);
        assert_eq!(ran.status.code(), Some(2), "{what}");
        let text = stderr(&ran);
        assert!(
            text.contains(key) && text.contains("start a new state"),
            "{what}: {text}"
        );
        assert_eq!(
            std::fs::read(dir.join("state.json")).unwrap(),
            manifest,
            "{what}"
        );
    }
    // Scoring keys may change: another method and window score from the same state.
    let scoring = s.write(
        "scoring.yaml",
        &base
            .replace("method: rank", "method: quantile")
            .replace("analysis:\n", "analysis:\n  window_days: 60\n"),
    );
    let ran = fold(&scoring, &dir, &[night(NIGHTS[0])], &out, &["--quiet"]);
    assert!(ran.status.success(), "{}", stderr(&ran));
    let expected = full(
        &scoring,
        &[history(), night(NIGHTS[0])],
        &s.path("f.parquet"),
        &[],
    );
    assert!(read_parquet(&out).equals_missing(&expected));
}

#[test]
fn a_batch_with_a_bad_value_or_other_key_types_is_refused_before_anything_is_written() {
    let s = Scratch::new();
    let cfg = s.write("c.yaml", &config("analysis:\n  frequency: orders\n"));
    let dir = s.path("state");
    let out = s.path("out.parquet");
    let day1 = s.write(
        "d1.csv",
        "customer_id,order_date,amount,order_id\n001,2024-06-01,10,a\n002,2024-06-02,5,b\n",
    );
    assert!(
        fold(&cfg, &dir, std::slice::from_ref(&day1), &out, &["--quiet"])
            .status
            .success()
    );
    let manifest = std::fs::read(dir.join("state.json")).unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let files = listing();
    // A value that cannot be read: file, row, column and value named.
    let bad = s.write(
        "d2.csv",
        "customer_id,order_date,amount,order_id\n003,2024-06-03,12,c\n004,2024-06-03,ten,d\n",
    );
    let good = s.write(
        "d3.csv",
        "customer_id,order_date,amount,order_id\n005,2024-06-04,1,e\n",
    );
    let ran = fold(&cfg, &dir, &[good.clone(), bad.clone()], &out, &[]);
    assert_eq!(ran.status.code(), Some(1));
    let text = stderr(&ran);
    assert!(
        text.contains("d2.csv") && text.contains("\"ten\"") && text.contains("row 2"),
        "{text}"
    );
    assert_eq!(std::fs::read(dir.join("state.json")).unwrap(), manifest);
    // The good file of the refused run left no rollup behind.
    assert_eq!(listing(), files);
    // Integer customer ids in Parquet after text ids from CSV.
    let ints = s.path("d4.parquet");
    write_parquet(
        &ints,
        polars::prelude::df!(
            "customer_id" => [7i64],
            "order_date" => [chrono::NaiveDate::from_ymd_opt(2024, 6, 5).unwrap()],
            "amount" => [3.0],
            "order_id" => ["f"],
        )
        .unwrap(),
    );
    let ran = fold(&cfg, &dir, &[ints], &out, &[]);
    assert_eq!(ran.status.code(), Some(1));
    let text = stderr(&ran);
    assert!(
        text.contains("d4.parquet")
            && text.contains("customer_id")
            && text.contains("i64")
            && text.contains("str")
            && text.contains("d1.csv"),
        "{text}"
    );
    assert_eq!(std::fs::read(dir.join("state.json")).unwrap(), manifest);
    assert_eq!(listing(), files);
    // The next good night folds.
    let ran = fold(&cfg, &dir, std::slice::from_ref(&good), &out, &["--quiet"]);
    assert!(ran.status.success(), "{}", stderr(&ran));
    let expected = full(&cfg, &[day1, good], &s.path("f.parquet"), &[]);
    assert!(read_parquet(&out).equals_missing(&expected));
}

#[test]
fn with_a_rejects_file_a_night_folds_without_its_unreadable_rows_as_a_full_run_does() {
    let s = Scratch::new();
    let rejects = s.path("rejects.csv");
    let text = config("analysis:\n  frequency: orders\n").replace(
        "input:\n",
        &format!("input:\n  rejects_path: {}\n", rejects.display()),
    );
    let cfg = s.write("c.yaml", &text);
    let (dir, out) = (s.path("state"), s.path("out.parquet"));
    let day1 = s.write(
        "d1.csv",
        "customer_id,order_date,amount,order_id\n001,2024-06-01,10,a\n002,2024-06-02,5,b\n",
    );
    let day2 = s.write(
        "d2.csv",
        "customer_id,order_date,amount,order_id\n001,2024-06-03,12,c\n003,2024-06-31,4,d\n002,2024-06-03,ten,e\n",
    );
    for day in [&day1, &day2] {
        let ran = fold(&cfg, &dir, std::slice::from_ref(day), &out, &["--quiet"]);
        assert!(ran.status.success(), "{}", stderr(&ran));
    }
    // The night's rejects: the date that does not exist and the amount that is not one.
    let night = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        night.contains("d2.csv,2,3,order_date,2024-06-31")
            && night.contains("d2.csv,3,4,amount,ten"),
        "{night}"
    );
    // A full run over both days with the same rejects file: the same rows, the same rejects.
    let expected = full(&cfg, &[day1, day2], &s.path("f.parquet"), &[]);
    assert!(read_parquet(&out).equals_missing(&expected));
    assert_eq!(
        expected.height(),
        2,
        "customer 003's only line was set aside"
    );
    let whole = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(whole, night);
}

#[test]
fn inspect_shows_the_batches_customers_span_and_dependencies() {
    let s = Scratch::new();
    let cfg = sample_config(&s, "c.yaml", "");
    let dir = s.path("state");
    let out = s.path("out.parquet");
    let json = s.path("summary.json");
    let flags = ["--quiet", "--summary-json", json.to_str().unwrap()];
    assert!(
        fold(&cfg, &dir, &[history(), night(NIGHTS[0])], &out, &flags)
            .status
            .success()
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // Every customer with a line: scored (the output's rows), or with returns only.
    let scored = summary["customers"]["scored"].as_u64().unwrap();
    assert_eq!(scored, read_parquet(&out).height() as u64);
    let customers = scored + summary["customers"]["not_scored"].as_u64().unwrap();
    let shown = rfmseg().arg("inspect").arg(&dir).output().unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    for needle in [
        "rfmseg state".to_string(),
        format!("customers: {}", thousands(customers)),
        "dates: 2022-07-02 to 2024-06-24".to_string(),
        "history.csv".to_string(),
        "orders-2024-06-24.csv".to_string(),
        "analysis.frequency: orders".to_string(),
        "input.columns.customer_id: \"customer_id\"".to_string(),
        "batches folded: 2".to_string(),
    ] {
        assert!(text.contains(&needle), "{needle:?} in\n{text}");
    }
    let json = rfmseg()
        .arg("inspect")
        .arg("--json")
        .arg(&dir)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["format"], "rfmseg-state/1");
    assert_eq!(doc["customers"], customers);
    let batches = doc["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1]["first_date"], "2024-06-24");
    assert_eq!(
        batches[1]["size"],
        std::fs::metadata(night(NIGHTS[0])).unwrap().len()
    );
    assert_eq!(batches[1]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn the_summary_json_holds_the_run_summary_or_the_error() {
    let s = Scratch::new();
    let cfg = sample_config(&s, "c.yaml", "");
    let out = s.path("out.parquet");
    let json = s.path("logs/summary.json");
    let ran = rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&cfg)
        .args(["--input", "data-samples/orders.csv"])
        .arg("--output")
        .arg(&out)
        .arg("--summary-json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["format"], "rfmseg-run-summary/1");
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["state"], serde_json::Value::Null);
    let rows = read_parquet(&out).height() as u64;
    assert_eq!(doc["customers"]["scored"], rows);
    let segments = doc["segments"].as_array().unwrap();
    let total: u64 = segments
        .iter()
        .map(|r| r["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, rows);
    let share: f64 = segments.iter().map(|r| r["share"].as_f64().unwrap()).sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    let lines = &doc["lines"];
    // Every data row of the sample (its lines after the header).
    let rows_in_sample = std::fs::read_to_string(repo("data-samples/orders.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(lines["read"].as_u64().unwrap(), rows_in_sample);
    assert_eq!(
        lines["read"].as_u64().unwrap(),
        lines["dropped"]["total"].as_u64().unwrap()
            + lines["ignored"]["total"].as_u64().unwrap()
            + lines["used"]["total"].as_u64().unwrap()
    );
    assert!(doc["timings"].as_array().unwrap().len() >= 3);
    // A failed run writes the error and its exit code.
    let ran = rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(s.write("empty.csv", "customer_id,order_date,amount,order_id\n"))
        .arg("--output")
        .arg(&out)
        .arg("--summary-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["exit_code"], 1);
    assert!(
        doc["error"].as_str().unwrap().contains("no order lines"),
        "{doc}"
    );
}

/// Lines of `customers` customers over 40 days, as CSV, for a fold that takes a while.
fn big_csv(s: &Scratch, name: &str, lines: usize, first_day: u32) -> PathBuf {
    let mut text = String::from("customer_id,order_date,amount,order_id\n");
    let mut x: u64 = 0x9e37_79b9 + u64::from(first_day);
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let day = first_day + (x % 40) as u32;
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
            + chrono::Days::new(u64::from(day));
        text.push_str(&format!(
            "C{:07},{date},{}.{:02},{first_day}-{}\n",
            x % 200_000,
            x % 300,
            x % 100,
            i / 3
        ));
    }
    s.write(name, &text)
}

#[test]
fn a_run_killed_while_it_folds_leaves_the_earlier_state_and_the_next_run_succeeds() {
    let s = Scratch::new();
    let cfg = s.write("c.yaml", &config(""));
    let dir = s.path("state");
    let out = s.path("out.parquet");
    let first = big_csv(&s, "first.csv", 200_000, 0);
    let second = big_csv(&s, "second.csv", 400_000, 30);
    assert!(
        fold(&cfg, &dir, std::slice::from_ref(&first), &out, &["--quiet"])
            .status
            .success()
    );
    // How long the second fold takes.
    let spare = s.path("spare");
    copy_dir(&dir, &spare);
    let started = Instant::now();
    assert!(fold(
        &cfg,
        &spare,
        std::slice::from_ref(&second),
        &out,
        &["--quiet"]
    )
    .status
    .success());
    let total = started.elapsed();
    let expected = full(
        &cfg,
        &[first.clone(), second.clone()],
        &s.path("f.parquet"),
        &[],
    );
    // (earlier state kept, new state whole, kills that left a partial write behind)
    let mut seen = (0, 0, 0);
    let mut rng = 0x5eed_u64;
    let listing = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for k in 0..16 {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (rng >> 11) as f64 / (1u64 << 53) as f64;
        let before = listing(&dir);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rfmseg"))
            .current_dir(repo(""))
            .args(["run", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--state")
            .arg(&dir)
            .arg("--input")
            .arg(&second)
            .arg("--output")
            .arg(&out)
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        if k % 2 == 0 {
            // Anywhere in the second half of the run.
            let at = total.mul_f64(0.5 + 0.5 * unit);
            while t0.elapsed() < at && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(2));
            }
        } else {
            // Once the state's write has begun (a new file in the folder), 0 to 20 ms later.
            while listing(&dir) == before && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(20).mul_f64(unit));
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // The manifest is the earlier one or the new one, whole, and every file it lists is
        // there with its recorded size.
        let now = std::fs::read(dir.join("state.json")).unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(&now).unwrap_or_else(|e| panic!("kill {k}: {e}"));
        let files: Vec<String> = doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .chain(doc["snapshot"].as_object().map(|_| &doc["snapshot"]))
            .map(|f| {
                let name = f["name"].as_str().unwrap();
                let size = std::fs::metadata(dir.join(name)).unwrap().len();
                assert_eq!(size, f["bytes"].as_u64().unwrap(), "kill {k}");
                name.to_string()
            })
            .collect();
        let left = listing(&dir)
            .into_iter()
            .any(|n| n != "lock" && n != "state.json" && !files.contains(&n));
        if left {
            seen.2 += 1;
        }
        let batches = doc["batches"].as_array().unwrap().len();
        if batches == 1 {
            seen.0 += 1;
        } else {
            assert_eq!(batches, 2, "kill {k}");
            seen.1 += 1;
            // Folded already: back to the earlier state for the next kill.
            std::fs::remove_dir_all(&dir).unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            assert!(
                fold(&cfg, &dir, std::slice::from_ref(&first), &out, &["--quiet"])
                    .status
                    .success()
            );
        }
    }
    eprintln!(
        "state kill test: fold {total:?}; 16 kills: {} left the earlier state, {} the new one; {} left a partial write",
        seen.0, seen.1, seen.2
    );
    assert!(
        seen.2 > 0,
        "no kill interrupted the state's write: the test showed nothing"
    );
    // The next run removes what the killed ones left, folds and scores as a full run.
    let ran = fold(&cfg, &dir, &[second], &out, &["--quiet"]);
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert!(read_parquet(&out).equals_missing(&expected));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).unwrap()).unwrap();
    let mut listed: Vec<String> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .chain(doc["snapshot"].as_object().map(|_| &doc["snapshot"]))
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    listed.extend(["lock".to_string(), "state.json".to_string()]);
    listed.sort();
    assert_eq!(names, listed, "only the listed files are left");
}

/// 1234567 as "1,234,567", as the terminal output writes counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn frozen_thresholds_and_many_folds_merge_rollups_and_still_equal_a_full_run() {
    let s = Scratch::new();
    let edges = s.path("edges.yaml");
    let cfg = sample_config(&s, "c.yaml", "  window_days: 120\n");
    let out = s.path("out.parquet");
    // Edges from the history's run, frozen.
    let ran = rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(history())
        .arg("--output")
        .arg(&out)
        .arg("--thresholds-out")
        .arg(&edges)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    let frozen = s.write(
        "frozen.yaml",
        &std::fs::read_to_string(&cfg).unwrap().replace(
            "scoring:\n",
            &format!("scoring:\n  thresholds_from: {}\n", edges.display()),
        ),
    );
    // Every night on its own, then the history last (a late load): 8 folds, more than the
    // state keeps as files, so it merges them.
    let dir = s.path("state");
    let mut so_far = Vec::new();
    let json = s.path("summary.json");
    let mut merged = false;
    for input in NIGHTS.iter().map(|d| night(d)).chain([history()]) {
        so_far.push(input.clone());
        let ran = fold(
            &frozen,
            &dir,
            &[input],
            &out,
            &["--quiet", "--summary-json", json.to_str().unwrap()],
        );
        assert!(ran.status.success(), "{}", stderr(&ran));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        merged |= doc["state"]["merged"].as_bool().unwrap();
        assert!(doc["state"]["rollup_files"].as_u64().unwrap() <= 8);
    }
    // Late returns, each its own file, until the state has more files than it keeps.
    for k in 1..=3 {
        let extra = s.write(
            &format!("late-return-{k}.csv"),
            &format!("order_id,order_line,customer_id,order_date,store_id,region,channel,sku,quantity,amount\nO0003226,{},00007,2024-06-30,S02,North,pos,SKU10282,1,-{k}.99\n", 8 + k),
        );
        so_far.push(extra.clone());
        let ran = fold(
            &frozen,
            &dir,
            &[extra],
            &out,
            &["--quiet", "--summary-json", json.to_str().unwrap()],
        );
        assert!(ran.status.success(), "{}", stderr(&ran));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        merged |= doc["state"]["merged"].as_bool().unwrap();
        assert!(doc["state"]["rollup_files"].as_u64().unwrap() <= 8);
    }
    assert!(merged, "more than 8 rollup files were merged");
    let expected = full(&frozen, &so_far, &s.path("f.parquet"), &[]);
    assert!(read_parquet(&out).equals_missing(&expected));
}
