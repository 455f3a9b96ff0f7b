//! `rfmseg sql`: the generated query, run on DuckDB and on Apache Spark (local mode) by
//! `tests/sql/conformance.py`, gives the rows `rfmseg run` writes for the same config and
//! input, every row and column (monetary to the cent); and what it refuses, it refuses clearly.
//! The text date formats' cases are in `sql_dates.rs`; one Spark session runs them all.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dialects::{Form, PLAIN};
use crate::util::*;

const COLUMNS: &str =
    "  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\n";

/// One conformance case: a config, an input, how the engines register it.
struct Case {
    name: &'static str,
    config: String,
    input: PathBuf,
    csv: bool,
    table: &'static str,
    decimals: u32,
    /// The CSV input's separator, as the engines are told when they load it.
    separator: char,
}

fn case(name: &'static str, config: String, input: PathBuf, decimals: u32) -> Case {
    let csv = input.extension().is_some_and(|e| e == "csv");
    Case {
        name,
        config,
        input,
        csv,
        table: "orders",
        decimals,
        separator: ',',
    }
}

/// The `%d/%m/%Y` fixture as typed Parquet: integer customer ids, timestamps at 10:30 (the
/// date_format does not apply to typed dates), float amounts, text regions with a null.
fn typed_fixture(path: &Path) {
    let csv = repo("tests/fixtures/sql/orders-dmy.csv");
    let half_past_ten = 37_800_000_000i64;
    let mut df = scan_text_csv(&csv)
        .with_columns([
            col("customer_id")
                .str()
                .strip_chars(lit(NULL))
                .cast(DataType::Int64),
            (col("order_date")
                .str()
                .to_date(StrptimeOptions {
                    format: Some("%d/%m/%Y".into()),
                    strict: true,
                    exact: true,
                    cache: false,
                })
                .cast(DataType::Datetime(TimeUnit::Microseconds, None))
                .cast(DataType::Int64)
                + lit(half_past_ten))
            .cast(DataType::Datetime(TimeUnit::Microseconds, None)),
            col("amount").cast(DataType::Float64),
        ])
        .collect()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

fn cases(s: &Scratch) -> Vec<Case> {
    let pq = || repo("data-samples/orders.parquet");
    let csv = || repo("data-samples/orders.csv");
    let dmy = repo("tests/fixtures/sql/orders-dmy.csv");
    let typed = s.path("orders-typed.parquet");
    typed_fixture(&typed);
    let bundled = |name: &str| std::fs::read_to_string(repo(name)).unwrap();
    let grouped_quantile = format!(
        "input:\n{COLUMNS}analysis:\n  as_of: 2024-03-31\n  window_days: 365\n  returns: exclude\n  frequency: lines\n  group_by: [region]\nscoring:\n  method: quantile\n  bins: 5\nsegments:\n  default: Others\n  rules:\n    - {{name: Champions, r: [4, 5], f: [4, 5], m: [4, 5]}}\n    - {{name: Big North-East, when: \"region IN ('North', 'East') AND monetary / frequency > 50\"}}\n    - {{name: Lost cells, cells: [\"111\", \"112\", \"121\"]}}\n    - {{name: Recent, r: 5}}\n"
    );
    let mixed = format!(
        "input:\n{COLUMNS}analysis:\n  frequency: days\n  monetary: average\n  monetary_decimals: 1\n  group_by: [store_id, channel]\nscoring:\n  method: rank\n  recency: {{method: fixed, thresholds: [30, 90, 180, 365]}}\n  frequency: {{method: quantile, bins: 4}}\n  monetary: {{bins: 10}}\nsegments:\n  rules:\n    - {{name: Top, r: [4, 5], f: 4, m: [8, 10]}}\n    - {{name: Cell, cells: [\"5-1-10\", \"1-1-1\"]}}\n    - {{name: Mixed, when: \"greatest(r, f) >= 4 OR abs(monetary - 20) < 5 OR (channel = 'web' AND NOT rfm_score BETWEEN 5 AND 12)\"}}\n    - {{name: Null-safe, when: \"coalesce(store_id, 'none') <> 'S01' AND recency_days IS NOT NULL AND -r < -3\"}}\n"
    );
    let rank_grouped = format!(
        "input:\n{COLUMNS}analysis:\n  as_of: 2024-06-30\n  window_days: 200\n  frequency: orders\n  group_by: [region]\nscoring:\n  method: rank\n  bins: 3\nsegments:\n  default: Rest\n  rules:\n    - {{name: Spenders, when: \"frequency >= 2 AND monetary > 100.5\"}}\n    - {{name: Recent outside the South, when: \"r = 3 AND region <> 'South'\"}}\n    - {{name: Low, r: 1, f: [1, 2]}}\n"
    );
    let dmy_text = "input:\n  date_format: \"%d/%m/%Y\"\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nanalysis:\n  window_days: 400\n  group_by: [region]\nscoring:\n  method: quantile\n  bins: 3\nsegments:\n  rules:\n    - {name: Irish, when: \"region IN ('O''Brien''s') AND f >= 2\"}\n    - {name: No region, when: \"region IS NULL\"}\n    - {name: Best, cells: [\"333\", \"332\"]}\n".to_string();
    let dmy_typed = "input:\n  date_format: \"%d/%m/%Y\"\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nanalysis:\n  as_of: 2024-06-30\nscoring:\n  method: rank\n  bins: 4\n  frequency: {method: fixed, thresholds: [2, 3, 4]}\n  monetary: {method: quantile}\nsegments:\n  rules:\n    - {name: Often, f: [3, 4]}\n    - {name: Spent, when: \"monetary >= 20 OR m = 4\"}\n".to_string();
    // 91 customers buying 1..=91 on 91 days: with 10 bins the 0.7 edge sits at position
    // 90 * 0.7 = 62.99999999999999 in floating point (numpy's and rfmseg's edge is just below
    // 64.00, so 64.00 scores 8; the exact position 63 would put the edge at 64.00 and score it 7).
    let mut lines = String::from("order_id,customer_id,order_date,amount\n");
    for k in 1..=91u32 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
            + chrono::Duration::days(i64::from(k));
        lines += &format!("O{k},C{k:03},{day},{k}.00\n");
    }
    let edges = s.write("float-edges.csv", &lines);
    let float_edges = "input:\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nscoring:\n  method: quantile\n  bins: 10\nsegments:\n  rules:\n    - {name: Eight, when: \"m = 8\"}\n    - {name: Top, cells: [\"10-10-10\", \"1-10-10\"]}\n".to_string();
    // r-rfm (R's bins: quantiles + 1, passed at >=) globally with two group columns, beside
    // quantile and rank per metric, on average monetary (fractional values and edges).
    let r_rfm_grouped = format!(
        "input:\n{COLUMNS}analysis:\n  as_of: 2024-05-31\n  monetary: average\n  frequency: lines\n  group_by: [region, channel]\nscoring:\n  method: r-rfm\n  recency: {{bins: 4}}\n  frequency: {{method: quantile}}\n  monetary: {{bins: 10}}\nsegments:\n  rules:\n    - {{name: Top, r: 4, m: [8, 10]}}\n    - {{name: Frequent, f: [4, 5], when: \"channel = 'web'\"}}\n    - {{name: Low, cells: [\"1-1-1\", \"1-1-2\"]}}\n"
    );
    let r_rfm_per_metric = format!(
        "input:\n{COLUMNS}analysis:\n  window_days: 300\n  group_by: [store_id]\nscoring:\n  method: rank\n  bins: 3\n  recency: {{method: r-rfm}}\n  frequency: {{method: r-rfm, bins: 4}}\n  monetary: {{method: quantile}}\nsegments:\n  rules:\n    - {{name: Best, r: 3, f: [3, 4]}}\n    - {{name: Spent, m: 3}}\n"
    );
    let r_rfm_float_edges = float_edges.replace("method: quantile", "method: r-rfm");
    // Two lines of 5e16 (5e18 minor units each): their sum passes 64 bits, exactly.
    let past_64_bits = s.write(
        "past-64-bits.csv",
        "order_id,customer_id,order_date,amount\nO1,A,2024-01-01,50000000000000000.00\nO2,A,2024-01-02,50000000000000000.00\nO3,B,2024-01-03,10.50\nO3,B,2024-01-03,-0.50\nO4,C,2024-01-02,1.25\n",
    );
    // min_group_customers: stores of fewer customers scored with their region's edges, or the
    // whole input's (85 on the sample: 4 stores keep their own, 3 take their region's, West's
    // one store of 83 takes the whole input's), per method; nulls in both group columns.
    let min_group = |scoring: &str, min: u32| {
        format!(
            "input:\n{COLUMNS}analysis:\n  as_of: 2024-06-30\n  group_by: [region, store_id]\nscoring:\n{scoring}  min_group_customers: {min}\nsegments:\n  rules:\n    - {{name: Top, r: [3, 4], f: [3, 4]}}\n    - {{name: Small store, when: \"store_id IN ('S03', 'S05', 'S07', 'S08') AND m >= 3\"}}\n    - {{name: Low, cells: [\"111\", \"112\"]}}\n"
        )
    };
    let min_group_rank = min_group("  method: rank\n", 85);
    let min_group_quantile = min_group("  method: quantile\n  bins: 4\n", 85);
    let min_group_r_rfm = min_group(
        "  method: r-rfm\n  frequency: {method: quantile, bins: 4}\n  monetary: {bins: 6}\n  recency: {method: fixed, thresholds: [30, 90, 180, 365]}\n",
        120,
    );
    let min_group_nulls = "input:\n  date_format: \"%d/%m/%Y\"\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nanalysis:\n  window_days: 400\n  group_by: [region, note]\nscoring:\n  method: rank\n  bins: 3\n  monetary: {method: quantile}\n  min_group_customers: 2\nsegments:\n  rules:\n    - {name: No note, when: \"note IS NULL AND r >= 2\"}\n    - {name: Best, cells: [\"333\", \"332\"]}\n".to_string();
    // Issue 18: the sample in Solar Hijri with Persian digits (amounts with `٫`), with
    // Arabic-Indic digits through a day-first format and a window, and Gregorian dates in
    // Arabic-Indic digits; the engines read them as the run does.
    use crate::calendar::{arabic_indic_digits, persian_digits, sample_rewritten, solar_hijri};
    let shamsi_csv = sample_rewritten(
        s,
        "solar-hijri.csv",
        |d| {
            let (y, m, day) = solar_hijri(d);
            persian_digits(&format!("{y}/{m:02}/{day:02}"))
        },
        persian_digits,
    );
    let shamsi_dmy_csv = sample_rewritten(
        s,
        "solar-hijri-dmy.csv",
        |d| {
            let (y, m, day) = solar_hijri(d);
            arabic_indic_digits(&format!("{day}-{m}-{y}"))
        },
        arabic_indic_digits,
    );
    let arabic_indic_csv = sample_rewritten(
        s,
        "arabic-indic.csv",
        |d| arabic_indic_digits(&d.to_string()),
        persian_digits,
    );
    let persian = |text: String| text.replacen("input:\n", "input:\n  calendar: persian\n", 1);
    let shamsi = persian(bundled("config/rfm.yaml"));
    let shamsi_dmy =
        persian(grouped_quantile.replace("  as_of: 2024-03-31\n", "  as_of: \"۱۴۰۳/۰۱/۱۲\"\n"))
            .replacen("input:\n", "input:\n  date_format: \"%d-%m-%Y\"\n", 1);
    let mut rank_table = case("rank-grouped-window-orders", rank_grouped, pq(), 2);
    rank_table.table = "order_lines";
    let mut cases = dialect_cases(s);
    cases.extend([
        case("rfm-cells-parquet", bundled("config/rfm.yaml"), pq(), 2),
        case(
            "rfm-cells-all-text-csv",
            bundled("config/rfm.yaml"),
            csv(),
            2,
        ),
        case(
            "loyalty-when-parquet",
            bundled("config/loyalty.yaml"),
            pq(),
            2,
        ),
        case("quantile-grouped-window-csv", grouped_quantile, csv(), 2),
        case("mixed-methods-2-groups-average", mixed, pq(), 1),
        rank_table,
        case("date-format-all-text-csv", dmy_text, dmy.clone(), 2),
        case("typed-ints-timestamps-parquet", dmy_typed, typed, 2),
        case("quantile-float-edges-csv", float_edges, edges.clone(), 2),
        case(
            "r-rfm-bundled-all-text-csv",
            bundled("config/r-rfm.yaml"),
            csv(),
            2,
        ),
        case("r-rfm-grouped-average-parquet", r_rfm_grouped, pq(), 2),
        case("r-rfm-per-metric-grouped-csv", r_rfm_per_metric, csv(), 2),
        case("r-rfm-float-edges-csv", r_rfm_float_edges, edges, 2),
        case(
            "sums-past-64-bits-csv",
            bundled("config/rfm.yaml"),
            past_64_bits,
            2,
        ),
        case("min-group-3-levels-rank-csv", min_group_rank, csv(), 2),
        case(
            "min-group-3-levels-quantile-pq",
            min_group_quantile,
            pq(),
            2,
        ),
        case("min-group-r-rfm-fixed-parquet", min_group_r_rfm, pq(), 2),
        case("min-group-null-groups-csv", min_group_nulls, dmy.clone(), 2),
        case(
            "min-group-hand-worked-fixture-csv",
            bundled("tests/fixtures/min-group/config.yaml"),
            repo("tests/fixtures/min-group/orders.csv"),
            2,
        ),
        case("solar-hijri-persian-digits-csv", shamsi, shamsi_csv, 2),
        case(
            "solar-hijri-date-format-window-csv",
            shamsi_dmy,
            shamsi_dmy_csv,
            2,
        ),
        case(
            "gregorian-arabic-indic-digits-csv",
            bundled("config/rfm.yaml"),
            arabic_indic_csv,
            2,
        ),
    ]);
    cases
}

/// The bundled sample in `form`, its amounts times 100 (so that thousands are written), as
/// `name` in `s`; `=TEXT` amounts from `replace` (row index, text) are written as TEXT.
fn sample_in(s: &Scratch, name: &str, form: &Form, replace: &[(usize, &str)]) -> PathBuf {
    let text = std::fs::read_to_string(repo("data-samples/orders.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let amount = header.iter().position(|h| *h == "amount").unwrap();
    let mut rows: Vec<Vec<String>> = lines
        .map(|l| {
            let mut row: Vec<String> = l.split(',').map(str::to_string).collect();
            let cents: f64 = row[amount].parse().unwrap();
            row[amount] = format!("{:.2}", cents * 100.0);
            row
        })
        .collect();
    for (i, text) in replace {
        rows[*i][amount] = format!("={text}");
    }
    let path = s.path(name);
    std::fs::write(&path, form.bytes(&form.text(&header, &rows))).unwrap();
    path
}

/// Text amounts in CSV dialects: the table is loaded with the file's separator, the query
/// reads the decimal comma and thousands as `rfmseg run` does.
fn dialect_cases(s: &Scratch) -> Vec<Case> {
    let german = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        ..PLAIN
    };
    let swiss = Form {
        separator: '\t',
        thousands: Some("'"),
        ..PLAIN
    };
    let grouped = |form: &Form| {
        format!(
            "input:\n{}{COLUMNS}analysis:\n  group_by: [region]\n  monetary: average\nscoring:\n  method: quantile\n  bins: 4\nsegments:\n  rules:\n    - {{name: Top, r: 4, m: [3, 4]}}\n    - {{name: Spenders, when: \"monetary > 5000\"}}\n",
            form.yaml()
        )
    };
    let mut out = Vec::new();
    for (name, form, file) in [
        (
            "decimal-comma-thousands-semicolon-csv",
            german,
            "german.csv",
        ),
        ("apostrophe-thousands-tab-csv", swiss, "swiss.csv"),
    ] {
        let input = sample_in(s, file, &form, &[]);
        let mut c = case(name, grouped(&form), input, 2);
        c.separator = form.separator;
        out.push(c);
    }
    out
}

/// `rfmseg sql` for a config, which must succeed: the query text.
pub fn sql_of(config: &Path, dialect: &str, table: &str) -> String {
    let out = rfmseg()
        .args(["sql", "--dialect", dialect, "--table", table, "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rfmseg sql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sql_gives_the_rows_of_run_on_duckdb_and_spark() {
    let s = Scratch::new();
    let mut manifest = Vec::new();
    for c in cases(&s) {
        let config = s.write(&format!("{}.yaml", c.name), &c.config);
        let expected = s.path(&format!("{}.parquet", c.name));
        let out = run_quiet(&config, &c.input, &expected);
        assert!(out.height() > 0, "{}: the run scored nobody", c.name);
        let mut entry = serde_json::json!({
            "name": c.name,
            "input": c.input,
            "format": if c.csv { "csv" } else { "parquet" },
            "expected": expected,
            "decimals": c.decimals,
            "table": c.table,
            "separator": c.separator.to_string(),
        });
        for dialect in ["duckdb", "spark"] {
            let path = s.write(
                &format!("{}.{dialect}.sql", c.name),
                &sql_of(&config, dialect, c.table),
            );
            entry[dialect] = serde_json::json!(path);
        }
        manifest.push(entry);
    }
    manifest.extend(refusing_cases(&s));
    manifest.extend(refusing_dialect_cases(&s));
    manifest.extend(crate::sql_dates::date_cases(&s));
    let manifest_path = s.write(
        "manifest.json",
        &serde_json::json!({ "cases": manifest }).to_string(),
    );
    let Some(python) = external(
        "sql_gives_the_rows_of_run_on_duckdb_and_spark",
        External::SqlEngines,
    ) else {
        return;
    };
    let out = std::process::Command::new(python)
        .arg(repo("tests/sql/conformance.py"))
        .arg(&manifest_path)
        .current_dir(repo(""))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    match out.status.code() {
        Some(0) => {}
        Some(3) => panic!(
            "the SQL conformance test cannot run: {stderr}\nInstall the engines: pip install duckdb pyspark pyarrow (Java 17 for Spark); .ci/run does it"
        ),
        _ => panic!("the SQL differs from rfmseg run:\n{stdout}\n{stderr}"),
    }
    // Every case ran on both engines.
    for engine in ["duckdb", "spark "] {
        let ok = stdout
            .lines()
            .filter(|l| l.starts_with(engine) && l.contains(" ok: "))
            .count();
        assert_eq!(ok, manifest.len(), "{engine} cases passed:\n{stdout}");
    }
}

/// Inputs `rfmseg run` refuses: the queries stop too, naming the value.
fn refusing_cases(s: &Scratch) -> Vec<serde_json::Value> {
    let rfm = repo("config/rfm.yaml");
    let persian = s.write(
        "persian.yaml",
        &std::fs::read_to_string(&rfm).unwrap().replacen(
            "input:\n",
            "input:\n  calendar: persian\n",
            1,
        ),
    );
    let not_a_day = s.write(
        "not-a-solar-hijri-day.csv",
        "order_id,customer_id,order_date,amount\nA,1,۱۴۰۳/۱۲/۳۰,۵\nB,2,۱۴۰۴/۱۲/۳۰,۵\n",
    );
    let bad_digits = s.write(
        "bad-persian-amount.csv",
        "order_id,customer_id,order_date,amount\nA,1,2024-01-02,۵\nB,2,2024-01-03,۵٫۵٫۵\n",
    );
    let bad_date = s.write(
        "bad-date.csv",
        "order_id,customer_id,order_date,amount\nA,1,2024-01-02,5\nB,2,2024-02-30,5\n",
    );
    let too_large = s.write(
        "too-large.csv",
        "order_id,customer_id,order_date,amount\nA,1,2024-01-02,5\nB,2,2024-01-03,92233720368547758.08\n",
    );
    let cases = [
        (
            "bad-amount-csv",
            &rfm,
            repo("tests/fixtures/bad/amount.csv"),
            "cannot read \"$12.50\" as a finite number",
        ),
        (
            "bad-date-csv",
            &rfm,
            bad_date,
            "cannot read \"2024-02-30\" as an ISO date",
        ),
        (
            "amount-past-64-bit-minor-units-csv",
            &rfm,
            too_large,
            "is too large: its minor units",
        ),
        (
            "not-a-solar-hijri-day-csv",
            &persian,
            not_a_day,
            "cannot read \"۱۴۰۴/۱۲/۳۰\" as a Solar Hijri date (input.calendar: persian",
        ),
        (
            "bad-amount-in-persian-digits-csv",
            &rfm,
            bad_digits,
            "cannot read \"۵٫۵٫۵\" as a finite number",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, config, input, error)| {
            let out = rfmseg()
                .args(["run", "--quiet", "--config"])
                .arg(config)
                .arg("--input")
                .arg(&input)
                .arg("--output")
                .arg(s.path(&format!("{name}.parquet")))
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{name}: run must refuse the input"
            );

            let mut entry = serde_json::json!({
                "name": name, "input": input, "format": "csv", "error": error, "table": "orders",
            });
            for dialect in ["duckdb", "spark"] {
                let path = s.write(
                    &format!("{name}.{dialect}.sql"),
                    &sql_of(config, dialect, "orders"),
                );
                entry[dialect] = serde_json::json!(path);
            }
            entry
        })
        .collect()
}

/// Amounts that `rfmseg run` refuses in a dialect (a decimal point where a decimal comma is
/// due, a thousands separator between two digits): the queries stop too, naming the value.
fn refusing_dialect_cases(s: &Scratch) -> Vec<serde_json::Value> {
    let german = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        ..PLAIN
    };
    let config = s.write(
        "german-refusing.yaml",
        &format!(
            "input:\n{}{COLUMNS}segments:\n  rules:\n    - {{name: A, r: 5}}\n",
            german.yaml()
        ),
    );
    [
        ("decimal-point-in-decimal-comma-csv", "12.50"),
        ("thousands-between-two-digits-csv", "1.23,5"),
    ]
    .into_iter()
    .map(|(name, bad)| {
        let input = sample_in(s, &format!("{name}.csv"), &german, &[(40, bad)]);
        let out = rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(&config)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(s.path(&format!("{name}.parquet")))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: run must refuse the input"
        );
        let error = format!("cannot read \"{bad}\" as a finite number");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&error),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut entry = serde_json::json!({
            "name": name, "input": input, "format": "csv", "error": error, "table": "orders",
            "separator": ";",
        });
        for dialect in ["duckdb", "spark"] {
            let path = s.write(
                &format!("{name}.{dialect}.sql"),
                &sql_of(&config, dialect, "orders"),
            );
            entry[dialect] = serde_json::json!(path);
        }
        entry
    })
    .collect()
}

/// The message of `rfmseg sql` refusing `config` text as a config or usage error (exit 2).
fn refused(s: &Scratch, config: &str, dialect: &str) -> String {
    let (err, code) = sql_for(s, config, dialect).unwrap_err();
    assert_eq!(code, 2, "{err}");
    err
}

/// The query for `config` text, or the failure's stderr and exit code.
fn sql_for(s: &Scratch, config: &str, dialect: &str) -> Result<String, (String, i32)> {
    let path = s.write("c.yaml", config);
    let out = rfmseg()
        .args(["sql", "--dialect", dialect, "--config"])
        .arg(&path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err((
            String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "c.yaml"),
            out.status.code().unwrap_or(-1),
        ))
    }
}

#[test]
fn sql_refuses_what_it_cannot_write_exactly() {
    let s = Scratch::new();
    let rules = "segments:\n  rules:\n    - {name: A, r: 2}\n";
    let frozen = s.write(
        "edges.yaml",
        "format: rfmseg-thresholds/1\nas_of: null\ngroup_by: []\nmetrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\ngroups:\n  - {key: {}, recency: [10], frequency: [1], monetary: [5]}\n",
    );
    let err = refused(
        &s,
        &format!(
            "input:\n{COLUMNS}scoring:\n  thresholds_from: {}\n{rules}",
            frozen.display()
        ),
        "spark",
    );
    assert!(
        err.starts_with("rfmseg: error: rfmseg sql: scoring.thresholds_from"),
        "{err}"
    );
    let err = refused(
        &s,
        &format!("input:\n  date_format: \"%d/%m/%y\"\n{COLUMNS}{rules}"),
        "duckdb",
    );
    assert!(
        err.contains("%y (a two-digit year) has no exact translation to DuckDB SQL"),
        "{err}"
    );
    // A condition that smuggles SQL is a config error, placed at the rule.
    let err = refused(
        &s,
        &format!("input:\n{COLUMNS}segments:\n  rules:\n    - {{name: A, when: \"r = 1) OR (SELECT 1) = (1\"}}\n"),
        "spark",
    );
    assert!(err.contains("c.yaml:5:"), "{err}");
    assert!(err.contains("segments.rules[0].when (A)"), "{err}");
    let err = refused(
        &s,
        &format!(
            "input:\n{COLUMNS}segments:\n  rules:\n    - {{name: A, when: \"lower(r) = 'x'\"}}\n"
        ),
        "spark",
    );
    assert!(err.contains("uses the function lower"), "{err}");
}

#[test]
fn sql_quotes_names_and_strings_per_dialect() {
    let s = Scratch::new();
    let config = "input:\n  columns: {customer_id: \"cust`\\\"id\", order_date: d, amount: a}\nsegments:\n  rules:\n    - {name: \"it's \\\\ odd\", when: \"f >= 1\"}\n";
    let spark = sql_for(&s, config, "spark").unwrap();
    assert!(spark.contains("`cust``\"id`"), "{spark}");
    assert!(spark.contains("'it\\'s \\\\ odd'"), "{spark}");
    let duck = sql_for(&s, config, "duckdb").unwrap();
    assert!(duck.contains("\"cust`\"\"id\""), "{duck}");
    assert!(duck.contains("'it''s \\ odd'"), "{duck}");
}
