//! `rfmseg report --previous OLD --movers FILE` on the real binary: the hand-checked runs of
//! tests/fixtures/report (their README lists the movers), grouped and not; exactly the
//! customers whose segment differs between two runs of the bundled sample, by an independent
//! comparison; keys with nulls and of other types; written atomically; the usage errors.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::report::run_file;
use crate::util::*;

const MOVER_COLUMNS: [&str; 10] = [
    "from_segment",
    "to_segment",
    "from_r",
    "from_f",
    "from_m",
    "from_rfm_score",
    "to_r",
    "to_f",
    "to_m",
    "to_rfm_score",
];

/// `rfmseg report -s NOW -p BEFORE --movers OUT`, which must succeed and name OUT; OUT read.
fn movers(now: &Path, before: &Path, out: &Path) -> DataFrame {
    rfmseg()
        .arg("report")
        .arg("-s")
        .arg(now)
        .arg("-p")
        .arg(before)
        .arg("--movers")
        .arg(out)
        .args(["--json", "-"])
        .assert()
        .success()
        .stderr(format!("wrote {}\n", out.display()));
    read_parquet(out)
}

/// Each row as text cells ("null" for null), the given columns.
fn rows(df: &DataFrame, columns: &[&str]) -> Vec<Vec<String>> {
    let cells: Vec<Vec<String>> = columns.iter().map(|c| strings(df, c)).collect();
    (0..df.height())
        .map(|i| cells.iter().map(|c| c[i].clone()).collect())
        .collect()
}

fn expected(rows: &[&str]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.split(' ').map(str::to_string).collect())
        .collect()
}

#[test]
fn movers_of_the_hand_checked_runs() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = run_file(&s, "march");
    let out = movers(&june, &march, &s.path("out/movers.parquet"));
    let mut columns = vec!["customer_id"];
    columns.extend(MOVER_COLUMNS);
    let names: Vec<String> = out
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, columns);
    // A (Champions) and E (At Risk) stay: not movers. Segment names without spaces here are
    // written with '_' for the split below.
    let got: Vec<Vec<String>> = rows(&out, &columns)
        .into_iter()
        .map(|r| r.into_iter().map(|c| c.replace(' ', "_")).collect())
        .collect();
    assert_eq!(
        got,
        expected(&[
            "B Newbies Champions 2 1 2 5 3 2 2 7",
            "C null Newbies null null null null 2 1 1 4",
            "D Champions At_Risk 3 3 2 8 1 3 2 6",
            "F null Newbies null null null null 3 1 3 7",
            "G Newbies null 2 1 1 4 null null null null",
            "H Sleepers null 1 2 1 4 null null null null",
        ])
    );
    for c in &columns[3..] {
        assert_eq!(out.column(c).unwrap().dtype(), &DataType::Int32, "{c}");
    }
}

#[test]
fn movers_of_grouped_runs_are_keyed_and_sorted_by_group_then_customer() {
    let s = Scratch::new();
    let june = run_file(&s, "grouped-june");
    let march = run_file(&s, "grouped-march");
    let out = movers(&june, &march, &s.path("movers.parquet"));
    let got = rows(
        &out,
        &["region", "customer_id", "from_segment", "to_segment"],
    );
    // West A (Champions -> At Risk) is not East A (Champions -> Champions, staying).
    assert_eq!(
        got,
        [
            ["East", "B", "Newbies", "Champions"],
            ["East", "C", "null", "Newbies"],
            ["East", "H", "Sleepers", "null"],
            ["West", "A", "Champions", "At Risk"],
            ["West", "F", "null", "Newbies"],
            ["West", "G", "Newbies", "null"],
            ["West", "K", "At Risk", "null"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
}

/// A run output's rows by key (group values and customer_id joined by '/'), each as the
/// segment and the r, f, m, rfm_score cells.
fn by_key(df: &DataFrame, groups: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut keys: Vec<&str> = groups.to_vec();
    keys.push("customer_id");
    let key_cells = rows(df, &keys);
    let values = rows(df, &["segment", "r", "f", "m", "rfm_score"]);
    key_cells
        .into_iter()
        .map(|k| k.join("/"))
        .zip(values)
        .collect()
}

#[test]
fn movers_are_exactly_the_customers_whose_segment_differs() {
    // Two runs of the bundled sample by region (data not written for this test).
    let s = Scratch::new();
    let config = std::fs::read_to_string(repo("config/rfm.yaml"))
        .unwrap()
        .replace("# group_by: [region]", "group_by: [region]");
    let config = s.write("rfm-region.yaml", &config);
    let june = s.path("june.parquet");
    let march = s.path("march.parquet");
    for (out, as_of) in [(&june, "2024-06-30"), (&march, "2024-03-31")] {
        rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(&config)
            .args(["--as-of", as_of, "--output"])
            .arg(out)
            .assert()
            .success();
    }
    let now = by_key(&read_parquet(&june), &["region"]);
    let before = by_key(&read_parquet(&march), &["region"]);
    let null = || vec!["null".to_string(); 5];
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut keys: Vec<&String> = now.keys().chain(before.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (b, n) = (before.get(key), now.get(key));
        if b.map(|r| &r[0]) == n.map(|r| &r[0]) {
            continue;
        }
        let (b, n) = (
            b.cloned().unwrap_or_else(null),
            n.cloned().unwrap_or_else(null),
        );
        let mut row = vec![key.clone(), b[0].clone(), n[0].clone()];
        row.extend(b[1..].iter().cloned());
        row.extend(n[1..].iter().cloned());
        expected.push(row);
    }
    let out = movers(&june, &march, &s.path("movers.parquet"));
    let got: Vec<Vec<String>> = rows(&out, &{
        let mut c = vec!["region", "customer_id"];
        c.extend(MOVER_COLUMNS);
        c
    })
    .into_iter()
    .map(|mut r| {
        let id = r.remove(1);
        r[0] = format!("{}/{id}", r[0]);
        r
    })
    .collect();
    // The sample's regions sort as text and its ids are text, so key order is text order.
    assert!(expected.len() > 50, "only {} movers", expected.len());
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}

#[test]
fn null_groups_sort_last_and_ids_of_other_types_match_as_text() {
    let s = Scratch::new();
    let frame = |stores: &[Option<&str>], ids: Column, segments: &[&str]| {
        let n = stores.len();
        DataFrame::new(
            n,
            vec![
                Column::new("store".into(), stores),
                ids.with_name("customer_id".into()),
                Column::new("recency_days".into(), vec![1i64; n]),
                Column::new("frequency".into(), vec![1i64; n]),
                Column::new("monetary".into(), vec![10.0; n]),
                Column::new("first_order_date".into(), vec![0i32; n])
                    .cast(&DataType::Date)
                    .unwrap(),
                Column::new("last_order_date".into(), vec![0i32; n])
                    .cast(&DataType::Date)
                    .unwrap(),
                Column::new("r".into(), vec![1i32; n]),
                Column::new("f".into(), vec![1i32; n]),
                Column::new("m".into(), vec![1i32; n]),
                Column::new("rfm_cell".into(), vec!["111"; n]),
                Column::new("rfm_score".into(), vec![3i32; n]),
                Column::new("segment".into(), segments),
            ],
        )
        .unwrap()
    };
    let now = s.path("now.parquet");
    let before = s.path("before.parquet");
    write_parquet(
        &now,
        frame(
            &[None, Some("S1"), Some("S1")],
            Column::new("x".into(), ["1", "2", "4"]),
            &["Low", "Low", "High"],
        ),
    );
    write_parquet(
        &before,
        frame(
            &[None, Some("S1"), Some("S1"), Some("S1")],
            Column::new("x".into(), [1i64, 2, 3, 4]),
            &["High", "High", "High", "High"],
        ),
    );
    let out = movers(&now, &before, &s.path("movers.parquet"));
    assert_eq!(
        rows(
            &out,
            &["store", "customer_id", "from_segment", "to_segment"]
        ),
        [
            ["S1", "2", "High", "Low"],
            ["S1", "3", "High", "null"],
            ["null", "1", "High", "Low"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    // Matched as text: the ids are text in the movers file.
    assert_eq!(
        out.column("customer_id").unwrap().dtype(),
        &DataType::String
    );
}

#[test]
fn a_failed_report_writes_no_movers_and_keeps_an_earlier_file() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = run_file(&s, "march");
    let grouped = run_file(&s, "grouped-march");
    let target = s.path("movers.parquet");
    movers(&june, &march, &target);
    let before = std::fs::read(&target).unwrap();
    let files = s.files();
    rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&june)
        .arg("-p")
        .arg(&grouped)
        .arg("--movers")
        .arg(&target)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("cannot compare"));
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert_eq!(s.files(), files, "a failed report left a file");
    assert!(temp_files(s.root()).is_empty());
    // A new file is not created either.
    let fresh = s.path("new/movers.parquet");
    rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&june)
        .arg("-p")
        .arg(&grouped)
        .arg("--movers")
        .arg(&fresh)
        .assert()
        .code(1);
    assert!(!fresh.exists());
}

#[test]
fn movers_need_a_previous_run_and_a_parquet_file_of_their_own() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = run_file(&s, "march");
    let (m, x, csv) = (s.path("m.parquet"), s.path("x.out"), s.path("m.csv"));
    let cases: [(Vec<&Path>, i32, &str); 5] = [
        (
            vec![Path::new("--movers"), &m],
            2,
            "--movers needs --previous OLDER.parquet",
        ),
        (
            vec![
                Path::new("-p"),
                &march,
                Path::new("--movers"),
                Path::new("-"),
            ],
            2,
            "--movers writes a Parquet file, not stdout",
        ),
        (
            vec![Path::new("-p"), &march, Path::new("--movers"), &march],
            2,
            "would overwrite a run file given to read",
        ),
        (
            vec![
                Path::new("-p"),
                &march,
                Path::new("--movers"),
                &x,
                Path::new("--json"),
                &x,
            ],
            2,
            "--movers and --json both name",
        ),
        (
            vec![Path::new("-p"), &march, Path::new("--movers"), &csv],
            1,
            "ends in .csv, but rfmseg writes Parquet",
        ),
    ];
    for (args, code, needle) in cases {
        rfmseg()
            .arg("report")
            .arg("-s")
            .arg(&june)
            .args(args)
            .assert()
            .code(code)
            .stdout("")
            .stderr(predicates::str::contains(needle));
    }
    assert_eq!(s.files(), ["june.parquet", "march.parquet"]);
}
