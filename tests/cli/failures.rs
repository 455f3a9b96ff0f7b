//! Every failure: its exit code, a message that names the problem and its place, and no
//! output file written (an earlier output stays as it was).

use std::path::Path;

use predicates::prelude::*;

use crate::util::*;

const SMALL: &str = "tests/fixtures/small/orders.csv";

#[test]
fn yaml_syntax_error_names_line_and_column() {
    fails(
        "input:\n  paths: [a.csv\nsegments: {}\n",
        &[],
        &[],
        2,
        &["config.yaml:", "invalid YAML"],
    );
}

#[test]
fn all_config_problems_are_reported_at_once() {
    let config = ALL_PROBLEMS;
    let err = fails(
        config,
        &[],
        &[],
        2,
        &[
            "config.yaml:3:3: input.colums: unknown key `colums`; did you mean `columns`?",
            "segments.rules[5].tier: unknown key",
            "analysis.returns: \"nett\" is not one of: net, exclude",
            "analysis.frequency",
            "analysis.window_days",
            "scoring.method: \"ranked\" is not a method",
            "scoring.bins: 12 bins is out of range",
            "scoring.recency.thresholds: has 2 values; 5 bins need exactly 4 thresholds",
            "scoring.monetary.thresholds: [100.0, 50.0] is not strictly ascending",
            "segments.rules[0].r (A): range [0, 6] is outside 1..5",
            "segments.rules[1] (B): the rule has no condition",
            "segments.rules[2].name (A): segment \"A\" is named twice",
            "segments.rules[3].when (C):",
            "unknown column \"colour\"",
            "segments.rules[4].when (D):",
            "does not parse",
            "segments.rules[5].cells[0] (E): cell \"555\": m score \"5\" is outside 1..3",
            "segments.rules[5].cells[1] (E): cell \"565\": f score \"6\" is outside 1..5",
        ],
    );
    assert!(err.contains("16 problems in config"), "{err}");
    // Listed in file order.
    let lines: Vec<usize> = err
        .lines()
        .skip(1)
        .map(|l| l.split(':').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{err}");
}

#[test]
fn wrong_value_type_is_placed() {
    fails(
        "scoring: {bins: five}\n",
        &[SMALL],
        &[],
        2,
        &["config.yaml:1:17", "bins"],
    );
}

#[test]
fn missing_mapped_column_names_the_file() {
    fails(
        &config("").replace("amount: amount", "amount: total"),
        &[SMALL],
        &[],
        1,
        &[
            "orders.csv",
            "column \"total\" (amount) is missing",
            "\"order_id\"",
        ],
    );
}

#[test]
fn missing_group_by_column_names_the_file() {
    fails(
        &config("analysis: {group_by: [region]}"),
        &[SMALL],
        &[],
        1,
        &[
            "orders.csv",
            "\"region\" (group_by) is missing",
            "analysis.group_by",
        ],
    );
}

/// Regression: a group_by column listed twice made `run` and `check` panic while the `when`
/// rules were typed; it is a config problem like any other.
#[test]
fn a_group_by_column_listed_twice_is_a_config_error_not_a_panic() {
    fails(
        &config("analysis: {group_by: [region, region]}"),
        &[SMALL],
        &[],
        2,
        &["analysis.group_by", "column \"region\" is listed twice"],
    );
}

#[test]
fn input_that_matches_nothing() {
    fails(
        &config(""),
        &["nope/none.csv"],
        &[],
        1,
        &["nope/none.csv matches no file"],
    );
    fails(
        &config(""),
        &["tests/fixtures/*.nothing.csv"],
        &[],
        1,
        &["*.nothing.csv matches no CSV or Parquet file"],
    );
}

#[test]
fn unsupported_extension() {
    fails(
        &config(""),
        &["tests/fixtures/small/README.md"],
        &[],
        1,
        &["README.md: unsupported file type"],
    );
}

fn bad_input(name: &str, text: &str, cfg: &str, needles: &[&str]) {
    let s = Scratch::new();
    let input = s.write(name, text);
    let cfg_path = s.write("config.yaml", cfg);
    let out = s.path("out.parquet");
    std::fs::write(&out, b"earlier output").unwrap();
    let assert = rfmseg()
        .args(["run", "--config"])
        .arg(&cfg_path)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"earlier output",
        "earlier output changed"
    );
    assert_eq!(
        s.files(),
        ["config.yaml", name, "out.parquet"],
        "a failed run left a file"
    );
}

#[test]
fn bad_date_names_file_row_column_and_value() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n1,a,2024-06-01,5\n2,b,2024-13-01,5\n3,c,2024-06-03,5\n",
        &config(""),
        &["orders.csv", "row 2 (line 3)", "column \"order_date\"", "\"2024-13-01\"", "input.date_format"],
    );
}

#[test]
fn bad_date_against_date_format() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n1,a,01/06/2024,5\n2,b,2024-06-02,5\n",
        "input:\n  date_format: \"%d/%m/%Y\"\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: 5}]}\n",
        &["row 2 (line 3)", "\"2024-06-02\"", "\"%d/%m/%Y\""],
    );
}

#[test]
fn non_numeric_amount_names_file_row_column_and_value() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n1,a,2024-06-01,5\n2,b,2024-06-02,5\n3,c,2024-06-03,$12.50\n",
        &config(""),
        &["orders.csv", "row 3 (line 4)", "column \"amount\"", "\"$12.50\"", "a finite number"],
    );
}

#[test]
fn an_empty_file_says_so() {
    bad_input(
        "orders.csv",
        "",
        &config(""),
        &["orders.csv: the file is empty"],
    );
}

#[test]
fn input_with_no_order_lines() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n",
        &config(""),
        &["no order lines"],
    );
}

#[test]
fn nan_and_infinite_amounts_are_input_errors() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n1,a,2024-06-01,5\n2,b,2024-06-02,NaN\n",
        &config(""),
        &[
            "orders.csv",
            "row 2 (line 3)",
            "column \"amount\"",
            "\"NaN\"",
            "a finite number",
        ],
    );
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n1,a,2024-06-01,-inf\n",
        &config(""),
        &["row 1 (line 2)", "\"-inf\""],
    );
}

#[test]
fn average_monetary_without_any_order_id_is_an_error() {
    bad_input(
        "orders.csv",
        "order_id,customer_id,order_date,amount\n,a,2024-06-01,10\nO1,b,2024-06-02,20\n",
        &config("analysis: {monetary: average}"),
        &[
            "monetary: average divides by the number of orders",
            "1 customer(s) (e.g. \"a\")",
            "frequency: lines",
        ],
    );
}

#[test]
fn a_when_that_does_not_fit_the_data_types_is_a_config_error() {
    // store is text (CSV): comparing it with a number cannot work.
    let err = fails(
        "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [store]}\nsegments:\n  rules:\n    - {name: S1, when: \"store = 1\"}\n",
        &[SMALL],
        &[],
        2,
        &["config.yaml:6:18: segments.rules[0].when (S1): \"store = 1\" does not fit the columns' types", "store is text, so compare with quoted values, e.g. store = '2'"],
    );
    assert!(!err.contains("plan"), "{err}");
    fails(
        &config("").replace("rfm_score >= 3", "r + f"),
        &[SMALL],
        &[],
        2,
        &["segments.rules[1].when (Rest): \"r + f\" is not a condition: it gives i32 values"],
    );
}

#[test]
fn invalid_as_of_is_a_usage_error() {
    fails(
        &config(""),
        &[SMALL],
        &["--as-of", "2024-02-30"],
        2,
        &["\"2024-02-30\" is not a date", "YYYY-MM-DD"],
    );
    fails(
        &config("analysis: {as_of: 30/06/2024}"),
        &[SMALL],
        &[],
        2,
        &["analysis.as_of", "YYYY-MM-DD"],
    );
}

#[test]
fn output_path_that_is_a_folder() {
    let s = Scratch::new();
    let cfg = s.write("config.yaml", &config(""));
    std::fs::create_dir(s.path("out")).unwrap();
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--input", SMALL, "--output"])
        .arg(s.path("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is a folder"));
    assert_eq!(s.files(), ["config.yaml"]);
    // A path ending in '/' names a folder even before it exists.
    let folder = format!("{}/new/", s.root().display());
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--input", SMALL, "--output", &folder])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is a folder"));
    assert_eq!(s.files(), ["config.yaml"]);
}

#[test]
fn missing_config_file() {
    rfmseg()
        .args(["run", "--config", "no/such.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read config file no/such.yaml",
        ));
}

#[test]
fn no_output_path_anywhere() {
    let s = Scratch::new();
    let cfg = s.write("config.yaml", &config(""));
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--input", SMALL])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no output path"));
    assert!(!Path::new(&repo("out.parquet")).exists());
}

#[test]
fn no_input_anywhere() {
    fails(
        &config(""),
        &[],
        &[],
        2,
        &["no input: list files, globs or folders under input.paths"],
    );
}

#[test]
fn only_empty_lines_with_a_window_is_an_empty_output_not_a_panic() {
    // Regression: polars' streaming `len()` panicked here (UInt128) before the fix.
    use polars::prelude::*;
    let s = Scratch::new();
    let mut df = df!(
        "customer_id" => [None::<&str>],
        "order_date" => [None::<i32>],
        "amount" => [None::<f64>],
    )
    .unwrap();
    df.apply("order_date", |c| c.cast(&DataType::Date).unwrap())
        .unwrap();
    let input = s.path("lines.parquet");
    ParquetWriter::new(std::fs::File::create(&input).unwrap())
        .finish(&mut df)
        .unwrap();
    let cfg = s.write(
        "c.yaml",
        "analysis: {window_days: 2}\nsegments: {rules: [{name: A, r: 5}]}\n",
    );
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(s.path("o.parquet"))
        .assert()
        .success()
        .stderr(predicate::str::contains("as_of: none (no line has a customer_id, an order_date and an amount)"))
        .stderr(predicate::str::contains("warning: no customer has a purchase line in the observation window; the output has no rows"));
    assert_eq!(read_parquet(&s.path("o.parquet")).height(), 0);
}

#[test]
fn a_semicolon_separated_file_is_named_as_such() {
    bad_input(
        "orders.csv",
        "customer_id;order_date;amount\na;2024-01-01;1\n",
        &config(""),
        &[
            "column \"customer_id\" (customer_id) is missing",
            "seems separated by ';'",
        ],
    );
}

#[test]
fn an_output_named_like_another_format_is_refused() {
    let s = Scratch::new();
    let cfg = s.write("config.yaml", &config(""));
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--input", SMALL, "--output"])
        .arg(s.path("segments.csv"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "ends in .csv, but rfmseg writes Parquet",
        ));
    assert_eq!(s.files(), ["config.yaml"]);
}

#[test]
fn broken_csv_records_are_named_by_row_and_line() {
    bad_input(
        "orders.csv",
        "customer_id,order_date,amount\na,2024-01-10,1\nb,2024-01-10,1,5\n",
        "segments: {rules: [{name: A, r: [1, 5]}]}\n",
        &["orders.csv: row 2 (line 3) has 4 fields but the header has 3"],
    );
    bad_input(
        "orders.csv",
        "customer_id,order_date,amount\na,2024-01-10,1\nb,\"2024-01-10,2\n",
        "segments: {rules: [{name: A, r: [1, 5]}]}\n",
        &["orders.csv: row 2 (line 3) opens a quoted field that is never closed"],
    );
}

#[test]
fn the_line_of_a_bad_value_counts_quoted_newlines() {
    bad_input(
        "orders.csv",
        "customer_id,order_date,amount,note\na,2024-01-10,1,\"multi\nline\"\nb,2024-01-10,x,ok\n",
        "segments: {rules: [{name: A, r: [1, 5]}]}\n",
        &["row 2 (line 4), column \"amount\"", "\"x\""],
    );
}
