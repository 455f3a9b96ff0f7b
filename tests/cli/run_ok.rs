//! The happy path on the real binary: hand-checked output, the bundled sample, every input
//! form, groups, dates.

use polars::prelude::*;
use predicates::prelude::*;

use crate::util::*;

const CONTRACT_COLUMNS: [&str; 12] = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "first_order_date",
    "last_order_date",
    "r",
    "f",
    "m",
    "rfm_cell",
    "rfm_score",
    "segment",
];

/// `rfmseg run --config config/rfm.yaml --input <the small fixture> FLAGS... --output OUT`.
pub(crate) fn small_run(flags: &[&str], out: &std::path::Path) -> assert_cmd::assert::Assert {
    rfmseg()
        .args([
            "run",
            "--config",
            "config/rfm.yaml",
            "--input",
            "tests/fixtures/small/orders.csv",
        ])
        .args(flags)
        .arg("--output")
        .arg(out)
        .assert()
}

#[test]
fn small_fixture_matches_the_hand_computed_table() {
    let s = Scratch::new();
    let out = s.path("segments.parquet");
    small_run(&["--as-of", "2024-06-30"], &out)
        .success()
        .stderr(predicate::str::contains("read 10 lines"))
        .stderr(predicate::str::contains("1 without customer_id"))
        .stderr(predicate::str::contains("1 after as_of"))
        .stderr(predicate::str::contains("scored 3 customers"));
    let df = read_parquet(&out);
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, CONTRACT_COLUMNS);
    assert_eq!(strings(&df, "customer_id"), ["007", "012", "023"]);
    assert_eq!(strings(&df, "recency_days"), ["0", "30", "180"]);
    assert_eq!(strings(&df, "frequency"), ["2", "1", "3"]);
    assert_eq!(strings(&df, "monetary"), ["35.5", "70.0", "20.0"]);
    assert_eq!(
        strings(&df, "first_order_date"),
        ["2024-06-01", "2024-05-31", "2024-01-01"]
    );
    assert_eq!(
        strings(&df, "last_order_date"),
        ["2024-06-30", "2024-05-31", "2024-01-02"]
    );
    assert_eq!(strings(&df, "rfm_cell"), ["422", "214", "141"]);
    assert_eq!(strings(&df, "rfm_score"), ["8", "7", "6"]);
    assert_eq!(
        strings(&df, "segment"),
        ["New Customers", "Can't Lose Them", "Lost"]
    );
    let types: Vec<DataType> = df.dtypes();
    assert_eq!(
        types,
        [
            DataType::String,
            DataType::Int64,
            DataType::Int64,
            DataType::Float64,
            DataType::Date,
            DataType::Date,
            DataType::Int32,
            DataType::Int32,
            DataType::Int32,
            DataType::String,
            DataType::Int32,
            DataType::String,
        ]
    );
}

#[test]
fn bundled_sample_runs_and_every_customer_gets_a_named_segment() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    rfmseg()
        .args(["run", "--config", "config/rfm.yaml", "--output"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("Champions"))
        .stderr(predicate::str::contains("wrote"));
    let df = read_parquet(&out);
    assert!(df.height() > 100, "sample has hundreds of customers");
    assert!(!strings(&df, "segment").contains(&"Other".to_string()));
    // ids keep their leading zeros
    assert!(strings(&df, "customer_id")
        .iter()
        .any(|id| id.starts_with('0')));
}

#[test]
fn csv_and_parquet_samples_give_the_same_output() {
    let s = Scratch::new();
    for (input, out) in [
        ("data-samples/orders.csv", "a.parquet"),
        ("data-samples/orders.parquet", "b.parquet"),
    ] {
        rfmseg()
            .args([
                "run",
                "--quiet",
                "--config",
                "config/rfm.yaml",
                "--input",
                input,
                "--output",
            ])
            .arg(s.path(out))
            .assert()
            .success()
            .stderr("");
    }
    let a = read_parquet(&s.path("a.parquet"));
    let b = read_parquet(&s.path("b.parquet"));
    assert!(a.equals_missing(&b), "CSV:\n{a}\nParquet:\n{b}");
}

#[test]
fn globs_folders_and_several_files_read_the_same_lines() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo("tests/fixtures/small/orders.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    s.write(
        "parts/2024/a.csv",
        &format!("{header}\n{}\n", rows[..5].join("\n")),
    );
    s.write(
        "parts/2024/b.csv",
        &format!("{header}\n{}\n", rows[5..].join("\n")),
    );
    s.write("parts/2024/_SUCCESS", "");
    let run = |inputs: &[String], out: &str| {
        rfmseg()
            .args([
                "run",
                "--quiet",
                "--config",
                "config/rfm.yaml",
                "--as-of",
                "2024-06-30",
                "--output",
            ])
            .arg(s.path(out))
            .arg("--input")
            .args(inputs)
            .assert()
            .success();
        read_parquet(&s.path(out))
    };
    let root = s.root().display().to_string();
    let whole = run(
        &[repo("tests/fixtures/small/orders.csv")
            .display()
            .to_string()],
        "whole.parquet",
    );
    let glob = run(&[format!("{root}/parts/*/*.csv")], "glob.parquet");
    let folder = run(&[format!("{root}/parts")], "folder.parquet");
    let files = run(
        &[
            format!("{root}/parts/2024/a.csv"),
            format!("{root}/parts/2024/b.csv"),
        ],
        "files.parquet",
    );
    for other in [&glob, &folder, &files] {
        assert!(whole.equals_missing(other), "{whole}\n{other}");
    }
}

#[test]
fn group_by_scores_within_each_group_and_sorts_by_group() {
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [store], as_of: 2024-06-30}\nscoring: {method: rank, bins: 2}\nsegments: {rules: [{name: Best, r: 2, f: 2}]}\n",
    );
    let out = s.path("o.parquet");
    rfmseg()
        .args([
            "run",
            "--quiet",
            "--input",
            "tests/fixtures/small/orders.csv",
            "--config",
        ])
        .arg(&cfg)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let df = read_parquet(&out);
    assert_eq!(df.get_column_names()[0].as_str(), "store");
    assert_eq!(strings(&df, "store"), ["S1", "S1", "S2"]);
    assert_eq!(strings(&df, "customer_id"), ["007", "023", "012"]);
    // S1: 007 (recency 0) beats 023 (180): r = 2 and 1; S2 alone: worse = 0 -> 1.
    assert_eq!(strings(&df, "r"), ["2", "1", "1"]);
    assert_eq!(strings(&df, "f"), ["1", "2", "1"]);
}

#[test]
fn text_dates_with_a_format_and_datetimes_keep_the_calendar_date() {
    let s = Scratch::new();
    let csv = s.write(
        "d.csv",
        "order_id,customer_id,order_date,amount\n1,a,30/06/2024 23:59,5\n2,b,01/06/2024 00:10,5\n",
    );
    let cfg = s.write(
        "c2.yaml",
        "input:\n  date_format: \"%d/%m/%Y %H:%M\"\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n",
    );
    let out = s.path("o.parquet");
    let df = run_quiet(&cfg, &csv, &out);
    assert_eq!(
        strings(&df, "last_order_date"),
        ["2024-06-30", "2024-06-01"]
    );
    assert_eq!(strings(&df, "recency_days"), ["0", "29"]);

    // ISO text with times and offsets: the date as written.
    let iso = s.write(
        "iso.csv",
        "customer_id,order_date,amount\na,2024-06-30T23:30:00+05:00,1\nb,2024-06-29 08:00:00,1\n",
    );
    let cfg = s.write("c3.yaml", "segments: {rules: [{name: A, r: [1, 5]}]}\n");
    let df = run_quiet(&cfg, &iso, &out);
    assert_eq!(
        strings(&df, "last_order_date"),
        ["2024-06-30", "2024-06-29"]
    );
}

#[test]
fn zoned_datetimes_in_parquet_count_the_date_in_their_own_zone() {
    // 2024-06-30 22:30 UTC is 2024-07-01 in Tokyo; a naive datetime is its own calendar date.
    let ms = 1_719_786_600_000i64;
    for (zone, dates) in [
        (Some("Asia/Tokyo"), ["2024-07-01", "2024-06-28"]),
        (None, ["2024-06-30", "2024-06-27"]),
    ] {
        let s = Scratch::new();
        let mut df = df!(
            "customer_id" => [1i64, 2],
            "order_date" => [ms, ms - 86_400_000 * 3],
            "amount" => [10.0, 20.0],
        )
        .unwrap();
        let tz = TimeZone::opt_try_new(zone).unwrap();
        df.apply("order_date", |c| {
            c.cast(&DataType::Datetime(TimeUnit::Milliseconds, tz.clone()))
                .unwrap()
        })
        .unwrap();
        let path = s.path("z.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let cfg = s.write("c.yaml", "segments: {rules: [{name: A, r: [1, 5]}]}\n");
        let df = run_quiet(&cfg, &path, &s.path("o.parquet"));
        // integer ids stay integers
        assert_eq!(df.column("customer_id").unwrap().dtype(), &DataType::Int64);
        assert_eq!(strings(&df, "last_order_date"), dates, "{zone:?}");
        assert_eq!(strings(&df, "recency_days"), ["0", "3"], "{zone:?}");
    }
}

#[test]
fn a_new_run_replaces_the_earlier_output() {
    let s = Scratch::new();
    let out = s.path("o.parquet");
    std::fs::write(&out, b"old").unwrap();
    small_run(&["--quiet"], &out).success();
    assert_eq!(read_parquet(&out).height(), 4);
    assert_eq!(s.files(), ["o.parquet"], "no temporary file left behind");
}

#[test]
fn explain_prints_both_plans_and_writes_nothing() {
    let s = Scratch::new();
    let out = s.path("o.parquet");
    rfmseg()
        .args([
            "run",
            "--explain",
            "--config",
            "config/rfm.yaml",
            "--output",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "-- 1. scan and aggregate per customer",
        ))
        .stdout(predicate::str::contains("-- 1b. line counts"))
        .stdout(predicate::str::contains("-- 2. score with the edges"));
    assert!(!out.exists(), "--explain writes nothing");
}

#[test]
fn default_config_names_all_125_cells() {
    let settings = rfmseg::config::load(&repo("config/rfm.yaml"), &Default::default()).unwrap();
    let cells: Vec<(i32, i32, i32)> = (1..=5)
        .flat_map(|r| (1..=5).flat_map(move |f| (1..=5).map(move |m| (r, f, m))))
        .collect();
    let df = df!(
        "r" => cells.iter().map(|c| c.0).collect::<Vec<_>>(),
        "f" => cells.iter().map(|c| c.1).collect::<Vec<_>>(),
        "m" => cells.iter().map(|c| c.2).collect::<Vec<_>>(),
        "rfm_cell" => cells.iter().map(|c| format!("{}{}{}", c.0, c.1, c.2)).collect::<Vec<_>>(),
    )
    .unwrap();
    let out = df
        .lazy()
        .select([rfmseg::segment::segment_expr(&settings.segments)])
        .collect()
        .unwrap();
    let named = strings(&out, "segment");
    let unnamed: Vec<String> = cells
        .iter()
        .zip(&named)
        .filter(|(_, s)| *s == "Other")
        .map(|(c, _)| format!("{}{}{}", c.0, c.1, c.2))
        .collect();
    assert!(unnamed.is_empty(), "cells without a segment: {unnamed:?}");
    assert_eq!(settings.segments.rules.len(), 11);
}

#[test]
fn monetary_is_the_exact_quotient_of_rounded_minor_units() {
    // Regression: polars divides by a scalar through its reciprocal (99.99000000000001).
    let s = Scratch::new();
    let csv = s.write(
        "m.csv",
        "customer_id,order_date,amount\na,2024-06-01,99.99\nb,2024-06-01,0.1\nb,2024-06-01,0.2\nc,2024-06-01,0.125\nd,2024-06-01,1.005\ne,2024-06-01,2.00\ne,2024-06-01,-0.005\n",
    );
    let cfg = s.write("c.yaml", "segments: {rules: [{name: A, r: [1, 5]}]}\n");
    let out = s.path("o.parquet");
    let df = run_quiet(&cfg, &csv, &out);
    let monetary = floats(&df, "monetary");
    // 0.125 -> 12.5 cents -> 13 (half away from zero); 1.005 * 100 = 100.49999999999999 on
    // the float, as every engine computes it -> 100; -0.005 -> -0.5 -> -1.
    assert_eq!(monetary, [99.99, 0.3, 0.13, 1.0, 1.99]);
}

#[test]
fn bom_crlf_quotes_latin1_bytes_and_unpadded_dates_are_read() {
    let s = Scratch::new();
    let csv = s.path("retail.csv");
    std::fs::write(
        &csv,
        b"\xef\xbb\xbfcustomer_id,order_date,amount,desc\r\n13085,12/1/2010 8:26,10.5,caf\xe9\r\n13086,12/10/2010 18:26,3,\"a, \"\"b\"\"\r\nline\"\r\n",
    )
    .unwrap();
    let cfg = s.write(
        "c.yaml",
        "input:\n  date_format: \"%m/%d/%Y %H:%M\"\nsegments: {rules: [{name: A, r: [1, 5]}]}\n",
    );
    let out = s.path("o.parquet");
    let df = run_quiet(&cfg, &csv, &out);
    assert_eq!(strings(&df, "customer_id"), ["13085", "13086"]);
    assert_eq!(
        strings(&df, "last_order_date"),
        ["2010-12-01", "2010-12-10"]
    );
}

#[test]
fn nothing_in_the_window_writes_an_empty_file_with_the_contract_columns() {
    let s = Scratch::new();
    let out = s.path("o.parquet");
    small_run(&["--as-of", "2020-01-01"], &out)
        .success()
        .stderr(predicate::str::contains("10 lines from"))
        .stderr(predicate::str::contains("9 after as_of"))
        .stderr(predicate::str::contains(
            "warning: no customer has a purchase line in the observation window",
        ));
    let df = read_parquet(&out);
    assert_eq!(df.height(), 0);
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, CONTRACT_COLUMNS);
    assert_eq!(df.column("r").unwrap().dtype(), &DataType::Int32);
}

#[test]
fn verbose_prints_stage_timings() {
    let s = Scratch::new();
    rfmseg()
        .args([
            "run",
            "--verbose",
            "--config",
            "config/rfm.yaml",
            "--output",
        ])
        .arg(s.path("o.parquet"))
        .assert()
        .success()
        .stderr(predicate::str::contains("stages:"))
        .stderr(predicate::str::contains(
            "scan and aggregate per customer (streaming)",
        ))
        .stderr(predicate::str::contains("total"));
    rfmseg()
        .args(["run", "--verbose", "--quiet", "--config", "config/rfm.yaml"])
        .assert()
        .code(2);
}

/// Integer ids are added into their customers' slots (in a run of passes, orders are counted
/// where their lines are, or lines folded by order id alone); an order id that two customers
/// share (order ids restarting per store, say) is noticed and the lines are folded per
/// customer and order, so each customer still counts it once.
#[test]
fn an_order_id_shared_by_two_customers_counts_once_for_each() {
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        "input:\n  columns: {order_id: order_id}\nanalysis: {as_of: 2024-06-30}\nscoring: {method: rank, bins: 2}\nsegments: {rules: [{name: Best, r: 2, f: 2}]}\n",
    );
    let write = |name: &str, orders: [i64; 5]| {
        let mut df = df!(
            "customer_id" => [1i64, 1, 2, 2, 2],
            "order_date" => [1, 2, 1, 1, 3].map(|d| chrono::NaiveDate::from_ymd_opt(2024, 6, d).unwrap()),
            "amount" => [10.0, 20.0, 5.0, 5.0, 1.5],
            "order_id" => orders,
        )
        .unwrap();
        let path = s.path(name);
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        path
    };
    let run = |input: &std::path::Path, out: &std::path::Path, passes: &str| {
        run_with(&["--verbose", "--partitions", passes], &cfg, input, out)
    };
    // Own ids: customer 1 has orders 11 and 12, customer 2 orders 21 (two lines) and 22.
    let own_ids = write("own-ids.parquet", [11, 12, 21, 21, 22]);
    let (own, own_in_passes) = (s.path("own.parquet"), s.path("own-2.parquet"));
    run(&own_ids, &own, "1").stderr(predicate::str::contains("an order id is shared").not());
    run(&own_ids, &own_in_passes, "2")
        .stderr(predicate::str::contains("an order id is shared").not());
    // ... added into the customers' slots, with no group-by over orders.
    run_with(&["--explain"], &cfg, &own_ids, &s.path("unwritten.parquet"))
        .stdout(predicate::str::contains(
            "add each line into its customer's slot",
        ))
        .stdout(predicate::str::contains(r#"BY [col("order_id")]"#).not())
        // ... with both ids carried as 32-bit offsets (the footer's statistics give their span)
        // and customer_id given back in its own type.
        .stdout(predicate::str::contains(
            r#"col("customer_id").map(), col("order_id").map()"#,
        ))
        .stdout(predicate::str::contains(
            r#"(col("customer_id").cast(Int64) + 1)"#,
        ));
    // Shared: order 7 holds a line of customer 1 and two of customer 2.
    let shared_ids = write("shared-ids.parquet", [7, 8, 7, 7, 9]);
    let (shared, shared_in_passes) = (s.path("shared.parquet"), s.path("shared-2.parquet"));
    run(&shared_ids, &shared, "1").stderr(predicate::str::contains(
        "(streaming; again by customer and order: an order id is shared)",
    ));
    // In two passes, customers 1 and 2 fall in different partitions: each pass counts its
    // customer's orders where their lines are.
    run(&shared_ids, &shared_in_passes, "2");
    for out in [&own, &own_in_passes, &shared, &shared_in_passes] {
        let df = read_parquet(out);
        assert_eq!(strings(&df, "customer_id"), ["1", "2"]);
        assert_eq!(strings(&df, "frequency"), ["2", "2"]);
        assert_eq!(floats(&df, "monetary"), [30.0, 11.5]);
        assert_eq!(
            strings(&df, "first_order_date"),
            ["2024-06-01", "2024-06-01"]
        );
        assert_eq!(
            strings(&df, "last_order_date"),
            ["2024-06-02", "2024-06-03"]
        );
    }
}

/// Lines added into their customers' slots (rfm/fold/direct.rs) and, in a run of passes,
/// orders counted where their lines are (rfm/fold/order_bitmap.rs) give the rows of the same
/// lines read from CSV (which fold orders with a group-by): lines in runs across many morsels
/// (a row group of 3 lines each), and scattered lines, which the slots take as they come.
#[test]
fn orders_counted_where_their_lines_are_match_a_csv_run() {
    let s = Scratch::new();
    let cfg = s.write("c.yaml", &config("analysis: {as_of: 2024-06-30}"));
    // Customer after customer, order after order; every fifth line a return, every seventh
    // with an order id of its own (as the bench data has), one line without an order id.
    let mut lines: Vec<(i64, i64, u32, f64)> = Vec::new();
    let mut order = 100;
    for customer in 0..9i64 {
        for _ in 0..1 + customer % 3 {
            order += 1;
            for _ in 0..1 + (order % 4) {
                let k = lines.len() as i64;
                let (id, amount) = match (k % 5, k % 7) {
                    (_, 0) => (order + 1000, -2.5),
                    (0, _) => (order, -1.0),
                    _ => (order, 10.0 + k as f64),
                };
                lines.push((customer, id, 1 + (k % 27) as u32, amount));
            }
        }
    }
    lines[3].1 = -1;
    let write = |name: &str, lines: &[(i64, i64, u32, f64)], row_group: usize| {
        let mut df = df!(
            "customer_id" => lines.iter().map(|l| l.0).collect::<Vec<_>>(),
            "order_id" => lines.iter().map(|l| (l.1 >= 0).then_some(l.1)).collect::<Vec<_>>(),
            "order_date" => lines.iter().map(|l| chrono::NaiveDate::from_ymd_opt(2024, 6, l.2).unwrap()).collect::<Vec<_>>(),
            "amount" => lines.iter().map(|l| l.3).collect::<Vec<_>>(),
        )
        .unwrap();
        let path = s.path(name);
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(Some(row_group))
            .finish(&mut df)
            .unwrap();
        let csv = s.path(&format!("{name}.csv"));
        CsvWriter::new(std::fs::File::create(&csv).unwrap())
            .finish(&mut df)
            .unwrap();
        (path, csv)
    };
    let (in_runs, in_runs_csv) = write("runs.parquet", &lines, 3);
    run_with(&["--explain"], &cfg, &in_runs, &s.path("unwritten.parquet")).stdout(
        predicate::str::contains("add each line into its customer's slot"),
    );
    let out = s.path("runs-out.parquet");
    let in_passes = s.path("runs-out-2.parquet");
    for (passes, out) in [("1", &out), ("2", &in_passes)] {
        run_with(&["--verbose", "--partitions", passes], &cfg, &in_runs, out).stderr(
            predicate::str::contains("scan and aggregate per customer (streaming)\n"),
        );
    }
    let expected = run_quiet(&cfg, &in_runs_csv, &s.path("runs-csv.parquet"));
    let rest = |df: &DataFrame| df.drop("customer_id").unwrap();
    let got = read_parquet(&out);
    assert_eq!(
        strings(&got, "customer_id"),
        strings(&expected, "customer_id")
    );
    assert!(
        rest(&got).equals_missing(&rest(&expected)),
        "{got}\n{expected}"
    );
    assert!(ints(&got, "frequency").iter().any(|&f| f > 1));
    assert!(read_parquet(&in_passes).equals_missing(&got));
    // The in-memory engine folds the file as one morsel: the same rows.
    let in_memory = s.path("runs-in-memory.parquet");
    run_with(
        &["--quiet", "--engine", "in-memory"],
        &cfg,
        &in_runs,
        &in_memory,
    );
    assert!(read_parquet(&in_memory).equals_missing(&got));
    // The same lines in another order, in one row group: an order's lines come apart.
    let mut scattered = lines.clone();
    scattered.sort_by_key(|l| (l.2 * 7919) % 31);
    let (scattered, scattered_csv) = write("scattered.parquet", &scattered, 1 << 20);
    let out = s.path("scattered-out.parquet");
    run_with(&["--verbose"], &cfg, &scattered, &out).stderr(predicate::str::contains(
        "scan and aggregate per customer (streaming)\n",
    ));
    // In two passes, the in-place count (exact, or again with a group-by over orders).
    let in_passes = s.path("scattered-out-2.parquet");
    run_with(&["--partitions", "2"], &cfg, &scattered, &in_passes);
    let from_csv = run_quiet(&cfg, &scattered_csv, &s.path("scattered-csv.parquet"));
    for out in [&out, &in_passes] {
        let got = read_parquet(out);
        assert!(
            rest(&got).equals_missing(&rest(&from_csv)),
            "{got}\n{from_csv}"
        );
        assert!(rest(&got).equals_missing(&rest(&expected)));
    }
}

#[test]
fn an_id_outside_its_parquet_statistics_is_aggregated_in_64_bits() {
    // Customers 3000000001..=3000000003 and their orders; then the footer's statistics are made
    // to say the smallest customer is 3000000002 (the offset of 3000000001 is below 0), or the
    // largest 3000000002 (3000000003 is one past the customers' slots), as a faulty writer
    // might.
    let s = Scratch::new();
    let cfg = s.write("c.yaml", &config("analysis: {as_of: 2024-06-30}"));
    let (low, mid, high) = (3_000_000_001i64, 3_000_000_002i64, 3_000_000_003i64);
    let mut df = df!(
        "customer_id" => [low, low, mid, high],
        "order_date" => [3, 9, 5, 7].map(|d| chrono::NaiveDate::from_ymd_opt(2024, 6, d).unwrap()),
        "amount" => [10.0, 20.0, 5.5, 8.0],
        "order_id" => [1i64, 2, 3, 4],
    )
    .unwrap();
    let csv = s.write(
        "lines.csv",
        &format!(
            "customer_id,order_date,amount,order_id\n{low},2024-06-03,10.0,1\n{low},2024-06-09,20.0,2\n{mid},2024-06-05,5.5,3\n{high},2024-06-07,8.0,4\n"
        ),
    );
    let from_csv = run_quiet(&cfg, &csv, &s.path("csv.parquet"));
    for (name, from, stated) in [("low", low, (mid, high)), ("high", high, (low, mid))] {
        let lying = s.path(&format!("lying-{name}.parquet"));
        ParquetWriter::new(std::fs::File::create(&lying).unwrap())
            .finish(&mut df)
            .unwrap();
        let mut bytes = std::fs::read(&lying).unwrap();
        let n = bytes.len();
        let footer_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        let (from, to) = (from.to_le_bytes(), mid.to_le_bytes());
        let mut patched = 0;
        for i in n - 8 - footer_len..n - 8 - 8 {
            if bytes[i..i + 8] == from {
                bytes[i..i + 8].copy_from_slice(&to);
                patched += 1;
            }
        }
        assert!(patched > 0, "the footer holds the {name} customer id");
        std::fs::write(&lying, bytes).unwrap();
        let files = rfmseg::input::resolve(&[lying.to_string_lossy().to_string()]).unwrap();
        assert_eq!(
            rfmseg::input::integer_span(&files, "customer_id"),
            Some(stated),
            "the statistics now leave the {name} customer out"
        );
        // The run notices, aggregates with the ids as they are, and gives the rows of the same
        // lines read from CSV (which has no statistics), in one pass or two. (In two passes
        // the in-place count takes an offset past the span as any other key: nothing to
        // notice.)
        for passes in ["1", "2"] {
            let out = s.path(&format!("out-{name}-{passes}.parquet"));
            let noticed = predicate::str::contains(
                "again with 64-bit ids: an id lies outside its file's statistics",
            );
            let run = run_with(&["--verbose", "--partitions", passes], &cfg, &lying, &out);
            if name == "low" || passes == "1" {
                run.stderr(noticed);
            } else {
                run.stderr(noticed.not());
            }
            let got = read_parquet(&out);
            assert_eq!(ints(&got, "customer_id"), [low, mid, high]);
            // CSV ids are text: compare them as text, and every other column as it is.
            assert_eq!(
                strings(&got, "customer_id"),
                strings(&from_csv, "customer_id")
            );
            let rest = |df: &DataFrame| df.drop("customer_id").unwrap();
            assert!(
                rest(&got).equals_missing(&rest(&from_csv)),
                "{got}\n{from_csv}"
            );
        }
    }
}

#[test]
fn the_summary_counts_each_segment_as_the_output_rows_do() {
    // The summary groups the scores as one number and looks the segment up again where the
    // rules are decided by the scores alone; with a `when` over monetary the segment stays a
    // key of its own. Either way, per segment, the summary's customers and revenue share are
    // those of the written rows, with and without group_by, uneven bins and empty scores.
    let configs = [
        "scoring: {recency: {bins: 3}, frequency: {bins: 4}, monetary: {bins: 7}}\n",
        "analysis: {group_by: [region]}\nscoring: {recency: {bins: 3}, frequency: {bins: 6}}\n",
    ];
    let rules = [
        "segments:\n  rules:\n    - {name: Top, r: [2, 3], f: [3, 4]}\n    - {name: Cells, cells: [\"111\", \"234\"]}\n",
        "segments:\n  rules:\n    - {name: Big, when: \"monetary > 400\"}\n    - {name: Top, r: 2}\n",
    ];
    let s = Scratch::new();
    for (i, scoring) in configs.iter().enumerate() {
        for (j, rule) in rules.iter().enumerate() {
            let cfg = s.write(
                &format!("c{i}{j}.yaml"),
                &format!(
                    "input:\n  columns: {{customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}}\n{scoring}{rule}"
                ),
            );
            let (out, json) = (
                s.path(&format!("o{i}{j}.parquet")),
                s.path(&format!("s{i}{j}.json")),
            );
            let json_flag = json.to_str().unwrap();
            run_with(
                &["--quiet", "--summary-json", json_flag],
                &cfg,
                &repo("data-samples/orders.csv"),
                &out,
            );
            let rows = read_parquet(&out);
            let expected = rows
                .clone()
                .lazy()
                .group_by([col("segment")])
                .agg([
                    len().cast(DataType::UInt64).alias("n"),
                    col("monetary").sum().alias("revenue"),
                ])
                .with_column((col("revenue") / col("revenue").sum()).alias("revenue_share"))
                .collect()
                .unwrap();
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
            let got = doc["segments"].as_array().unwrap();
            assert_eq!(got.len(), expected.height(), "c{i}{j}: {doc}");
            let names = strings(&expected, "segment");
            let counts = ints(&expected, "n");
            let revenue = floats(&expected, "revenue_share");
            for k in 0..expected.height() {
                let row = got
                    .iter()
                    .find(|r| r["name"] == names[k].as_str())
                    .unwrap_or_else(|| panic!("c{i}{j}: no {} in {doc}", names[k]));
                assert_eq!(
                    row["customers"].as_i64(),
                    Some(counts[k]),
                    "c{i}{j} {}",
                    names[k]
                );
                let share = row["revenue_share"].as_f64().unwrap();
                assert!(
                    (share - revenue[k]).abs() < 1e-9,
                    "c{i}{j} {}: {share} {}",
                    names[k],
                    revenue[k]
                );
            }
        }
    }
}
