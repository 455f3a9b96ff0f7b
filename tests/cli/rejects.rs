//! `input.rejects_path`: rows with a value that cannot be read are set aside in a CSV (file,
//! row, line, column, value, reason), counted in the summary, and the run goes on as if they
//! were not in the input.

use std::path::Path;

use polars::prelude::*;

use crate::util::*;

/// Run `config` (with `rejects_path: REJECTS` in its input section) on `input`; expect
/// success and return (stderr, rejects file text, output).
fn run_with_rejects(s: &Scratch, input: &Path) -> (String, String, DataFrame) {
    let rejects = s.path("out/rejects.csv");
    let cfg = s.write(
        "with-rejects.yaml",
        &config(&format!(
            "  rejects_path: {:?}",
            rejects.display().to_string()
        )),
    );
    let out = s.path("out/segments.parquet");
    let assert = run_with(&[], &cfg, input, &out);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let text = std::fs::read_to_string(&rejects).unwrap();
    (stderr, text, read_parquet(&out))
}

/// The output of the same config without `rejects_path` on `clean`.
fn plain_run(s: &Scratch, clean: &Path) -> DataFrame {
    run_quiet(
        &s.write("plain.yaml", &config("")),
        clean,
        &s.path("clean.parquet"),
    )
}

const CLEAN: &str = "customer_id,order_date,amount,order_id
c1,2024-01-05,10.00,o1
c2,2024-02-01,30,o3
c3,2024-03-01,7.5,\"o\n6\"
c4,2024-03-02,8,o7
c1,2024-03-09,12,o9
";

#[test]
fn rejects_csv_lists_every_bad_value_and_the_run_goes_on() {
    let s = Scratch::new();
    // Bad rows between the clean ones; a quoted order id spans two lines, so rows and lines
    // differ after it. Row 6 has two bad values: two entries, one rejected row.
    let input = s.write(
        "in.csv",
        "customer_id,order_date,amount,order_id
c1,2024-01-05,10.00,o1
c1,2024-13-05,20.00,o2
c2,2024-02-01,30,o3
c2,2024-02-01,$5,o4
c3,2024-03-01,7.5,\"o\n6\"
c3,someday,xx,o5
c2,2024-02-03,NaN,o4
c4,2024-03-02,8,o7
c4,2024-03-05,-inf,o8
c1,2024-03-09,12,o9
",
    );
    let (stderr, rejects, out) = run_with_rejects(&s, &input);
    let file = input.display();
    let iso = "\"not an ISO date (YYYY-MM-DD, optionally followed by a time)\"";
    let number =
        "\"not a plain number (e.g. 1234.50, -20; no currency sign or thousands separator)\"";
    assert_eq!(
        rejects,
        format!(
            "file,row,line,column,value,reason
{file},2,3,order_date,2024-13-05,{iso}
{file},4,5,amount,$5,{number}
{file},6,8,order_date,someday,{iso}
{file},6,8,amount,xx,{number}
{file},7,9,amount,NaN,NaN or infinite
{file},9,11,amount,-inf,NaN or infinite
"
        )
    );
    assert!(stderr.contains("read 10 lines from"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "  rows rejected: 5 (see {})",
            s.path("out/rejects.csv").display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("used: 5 purchase lines"), "{stderr}");
    // The provenance in the output's footer counts them too (read with the parquet crate).
    let footer = footer(&s.path("out/segments.parquet")).unwrap();
    let rows: serde_json::Value = serde_json::from_str(&footer.key_values["rfmseg.rows"]).unwrap();
    assert_eq!(rows["read"], 10);
    assert_eq!(rows["rejected"], 5);
    // The same run on the input without those rows writes the same file.
    let clean = s.write("clean.csv", CLEAN);
    assert_eq!(out, plain_run(&s, &clean));
}

#[test]
fn rejects_from_parquet_text_and_float_columns() {
    let s = Scratch::new();
    // Text dates and amounts (an export that typed every column as string), then a file
    // with a float amount holding NaN and infinity.
    let mut text = df!(
        "customer_id" => ["c1", "c1", "c2", "c3", "c3"],
        "order_date" => ["2024-01-05", "2024-02-30", "2024-02-01", "2024-03-01", "2024-03-04"],
        "amount" => ["10", "20", "1,000.00", "7.5", "9"],
        "order_id" => ["o1", "o2", "o3", "o4", "o5"],
    )
    .unwrap();
    let mut floats = df!(
        "customer_id" => ["c4", "c4", "c5"],
        "order_date" => ["2024-03-02", "2024-03-03", "2024-03-04"],
        "amount" => [8.0, f64::NAN, f64::INFINITY],
        "order_id" => ["o6", "o7", "o8"],
    )
    .unwrap();
    let dir = s.path("in");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, df) in [("a.parquet", &mut text), ("b.parquet", &mut floats)] {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        ParquetWriter::new(f).finish(df).unwrap();
    }
    let (stderr, rejects, out) = run_with_rejects(&s, &dir);
    let (a, b) = (dir.join("a.parquet"), dir.join("b.parquet"));
    let (a, b) = (a.display(), b.display());
    assert_eq!(
        rejects,
        format!(
            "file,row,line,column,value,reason
{a},2,,order_date,2024-02-30,\"not an ISO date (YYYY-MM-DD, optionally followed by a time)\"
{a},3,,amount,\"1,000.00\",\"not a plain number (e.g. 1234.50, -20; no currency sign or thousands separator)\"
{b},2,,amount,NaN,NaN or infinite
{b},3,,amount,inf,NaN or infinite
"
        )
    );
    assert!(stderr.contains("read 8 lines from 2 files"), "{stderr}");
    assert!(stderr.contains("rows rejected: 4 (see "), "{stderr}");
    let clean = s.write(
        "clean.csv",
        "customer_id,order_date,amount,order_id
c1,2024-01-05,10,o1
c3,2024-03-01,7.5,o4
c3,2024-03-04,9,o5
c4,2024-03-02,8.0,o6
",
    );
    assert_eq!(out, plain_run(&s, &clean));
}

#[test]
fn rejects_file_has_its_header_when_no_row_is_rejected() {
    let s = Scratch::new();
    let clean = s.write("clean.csv", CLEAN);
    let (stderr, rejects, out) = run_with_rejects(&s, &clean);
    assert_eq!(rejects, "file,row,line,column,value,reason\n");
    assert!(stderr.contains("  rows rejected: 0 (see "), "{stderr}");
    assert!(stderr.contains("read 5 lines from"), "{stderr}");
    assert_eq!(out, plain_run(&s, &clean));
}

#[test]
fn without_rejects_path_a_bad_row_still_fails_the_run() {
    let s = Scratch::new();
    let input = s.write("in.csv", &format!("{CLEAN}c9,2024-02-30,1,o10\n"));
    fails(
        &config(""),
        &[&input.display().to_string()],
        &[],
        1,
        &["row 6 (line 8), column \"order_date\" (order_date): cannot read \"2024-02-30\""],
    );
}

#[test]
fn a_failed_run_writes_no_rejects_file() {
    let s = Scratch::new();
    let input = s.write("in.csv", "customer_id,order_date,amount\nc1,bad,1\n");
    let rejects = s.path("out/rejects.csv");
    // order_id is mapped but missing: exit 1 before anything is written.
    fails(
        &config(&format!(
            "  rejects_path: {:?}",
            rejects.display().to_string()
        )),
        &[&input.display().to_string()],
        &[],
        1,
        &["column \"order_id\" (order_id) is missing"],
    );
    assert!(!s.path("out").exists());
}

#[test]
fn rejects_path_is_checked_with_the_config() {
    fails(
        &config("  rejects_path: \"\""),
        &["x.csv"],
        &[],
        2,
        &["input.rejects_path: is empty; give a .csv file path"],
    );
    // The same file for both (--output would override output.path, so none is passed).
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        &config(
            "  paths: [x.csv]\n  rejects_path: out/x.parquet\noutput:\n  path: out/x.parquet\n",
        ),
    );
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "input.rejects_path: names the output file",
        ));
}

#[test]
fn readme_rejects_example_shows_the_file_written() {
    let s = Scratch::new();
    rfmseg()
        .args([
            "run",
            "--quiet",
            "--config",
            "tests/fixtures/bad/rejects.yaml",
            "--output",
        ])
        .arg(s.path("out.parquet"))
        .assert()
        .success();
    // The config writes out/rejects.csv, relative to the repository root (the README
    // example writes the same file, with the same text).
    let written = std::fs::read_to_string(repo("out/rejects.csv")).unwrap();
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let block = readme
        .split("```csv\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    assert_eq!(written, block);
}

#[test]
fn rejects_path_naming_an_input_file_is_refused() {
    let s = Scratch::new();
    let input = s.write("in.csv", CLEAN);
    let path = input.display().to_string();
    let cfg = s.write("c.yaml", &config(&format!("  rejects_path: {path:?}")));
    rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(s.path("out.parquet"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "input.rejects_path {path} is one of the input files"
        )));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), CLEAN);
    assert_eq!(s.files(), ["c.yaml", "in.csv"]);
}
