//! Hostile input: what real exports contain (a BOM, CRLF, quoted commas and newlines, Latin-1
//! bytes, huge values and lines, mixed date formats, reordered, extra or repeated columns,
//! empty files, a Parquet file of another schema in a glob). Each one is read correctly (the
//! same output as the plain file `tests/fixtures/hostile/expected.csv`) or refused with a
//! short message naming the file (and the row, for a value), without a panic or an output.
//! The big inputs are generated here, not kept in git.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::util::*;

const RFM: &str = "config/rfm.yaml";

fn hostile(name: &str) -> String {
    format!("tests/fixtures/hostile/{name}")
}

/// The output of `config/rfm.yaml` on `input`.
fn output_of(s: &Scratch, input: &Path, name: &str) -> DataFrame {
    run_quiet(&repo(RFM), input, &s.path(&format!("{name}.parquet")))
}

fn expected(s: &Scratch) -> DataFrame {
    output_of(s, &repo(&hostile("expected.csv")), "expected")
}

fn rfm_config() -> String {
    std::fs::read_to_string(repo(RFM)).unwrap()
}

#[test]
fn hostile_csv_files_read_like_the_plain_one() {
    let s = Scratch::new();
    let want = expected(&s);
    assert_eq!(want.height(), 3);
    for name in [
        "bom.csv",             // UTF-8 byte order mark before the header
        "crlf.csv",            // Windows line ends
        "quoted.csv",          // quoted commas, newlines and "" inside fields, quoted numbers
        "latin1.csv",          // bytes that are not UTF-8 in a column the run does not use
        "reordered.csv",       // the mapped columns in another order
        "extra_columns.csv",   // columns the run does not use, between the mapped ones
        "duplicate_other.csv", // a column the run does not use, named twice
    ] {
        let got = output_of(&s, &repo(&hostile(name)), name);
        assert_eq!(got, want, "{name} reads differently");
    }
}

/// `expected.csv` with `edit` applied to its text, written to the scratch folder.
fn variant(s: &Scratch, name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo(&hostile("expected.csv"))).unwrap();
    s.write(name, &edit(&text))
}

#[test]
fn a_ten_megabyte_field_and_a_megabyte_id_are_read() {
    let s = Scratch::new();
    let want = expected(&s);
    // A 10 MB line: one row carries a 10 MB note.
    let big = variant(&s, "big_line.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(|l| format!("{l},")).collect();
        lines[0] = "customer_id,order_date,amount,order_id,note".into();
        lines[1].push_str(&"n".repeat(10 << 20));
        lines.join("\n") + "\n"
    });
    assert_eq!(output_of(&s, &big, "big_line"), want);
    // A customer id of a million characters is kept whole (it sorts where c3 did).
    let long = "c".repeat(1_000_000);
    let input = variant(&s, "long_id.csv", |t| t.replace("c3,", &format!("{long},")));
    let got = output_of(&s, &input, "long_id");
    assert_eq!(strings(&got, "customer_id")[2], long);
    let mut want_ids = want.clone();
    want_ids
        .with_column(Column::new(
            "customer_id".into(),
            ["c1", "c2", long.as_str()],
        ))
        .unwrap();
    assert_eq!(got, want_ids);
}

#[test]
fn a_ten_megabyte_line_without_a_header_is_refused_briefly() {
    let s = Scratch::new();
    let input = s.write("one_line.csv", &"x".repeat(10 << 20));
    let input = input.display().to_string();
    let err = fails(
        &rfm_config(),
        &[&input],
        &[],
        1,
        &[
            &input,
            "column \"customer_id\" (customer_id) is missing",
            "(10485760 characters)",
        ],
    );
    assert!(err.len() < 1000, "{err}");
}

#[test]
fn a_header_of_a_hundred_thousand_columns_is_listed_briefly() {
    let s = Scratch::new();
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let input = s.write("wide.csv", &(header.join(",") + "\n"));
    let input = input.display().to_string();
    fails(
        &rfm_config(),
        &[&input],
        &[],
        1,
        &[&input, "\"c28\", \"c29\", ... (100000 columns)"],
    );
}

#[test]
fn a_huge_unreadable_value_is_named_briefly() {
    let s = Scratch::new();
    let input = s.write(
        "huge_date.csv",
        &format!(
            "customer_id,order_date,amount,order_id\nc1,2024-01-05,1,o1\nc2,{},1,o2\n",
            "9".repeat(2_000_000)
        ),
    );
    let input = input.display().to_string();
    fails(
        &rfm_config(),
        &[&input],
        &[],
        1,
        &[
            &input,
            "row 2 (line 3)",
            "\"99999",
            "... (2000000 characters)",
        ],
    );
}

#[test]
fn mixed_date_formats_are_refused_at_the_first_row_that_does_not_fit() {
    let file = hostile("mixed_dates.csv");
    // ISO is the default: the d/m/Y date is named.
    fails(
        &rfm_config(),
        &[&file],
        &[],
        1,
        &[
            &file,
            "row 2 (line 3)",
            "\"01/02/2024\"",
            "input.date_format",
        ],
    );
    // With input.date_format, the ISO dates no longer fit: the first one is named.
    let config = rfm_config().replace("input:\n", "input:\n  date_format: \"%d/%m/%Y\"\n");
    assert_ne!(config, rfm_config());
    fails(
        &config,
        &[&file],
        &[],
        1,
        &[&file, "row 1 (line 2)", "\"2024-01-05\"", "\"%d/%m/%Y\""],
    );
}

#[test]
fn a_mapped_column_named_twice_is_refused() {
    let file = hostile("duplicate_header.csv");
    fails(
        &rfm_config(),
        &[&file],
        &[],
        1,
        &[&file, "names column \"amount\" (amount) more than once"],
    );
}

#[test]
fn empty_and_header_only_files_are_refused() {
    for (name, needle) in [
        ("empty.csv", ": the file is empty"),
        ("header_only.csv", "has no data rows"),
    ] {
        let file = hostile(name);
        fails(&rfm_config(), &[&file], &[], 1, &[&file, needle]);
    }
}

/// Writes one test input file.
type WriteFile = fn(&Path);

fn lines_frame() -> DataFrame {
    df!(
        "customer_id" => ["c1", "c2", "c1", "c3"],
        "order_date" => ["2024-01-05", "2024-02-01", "2024-03-09", "2024-03-01"],
        "amount" => [10.0, 30.0, 12.0, 7.5],
        "order_id" => ["o1", "o2", "o3", "o4"],
    )
    .unwrap()
}

#[test]
fn a_parquet_file_of_another_schema_in_a_glob_is_named() {
    let s = Scratch::new();
    let all = lines_frame();
    let cases: [(&str, WriteFile, &str); 3] = [
        (
            "renamed",
            (|p: &Path| {
                write_parquet(
                    p,
                    df!("cust" => ["c9"], "when" => ["2024-03-01"], "value" => [1.0]).unwrap(),
                )
            }),
            "column \"customer_id\" (customer_id) is missing; the file has columns \"cust\", \"when\", \"value\"",
        ),
        (
            "bool_amount",
            (|p: &Path| {
                let mut df = lines_frame().head(Some(1));
                df.with_column(Column::new("amount".into(), [true])).unwrap();
                write_parquet(p, df)
            }),
            "column \"amount\" (amount) has type bool",
        ),
        (
            "not_parquet",
            (|p: &Path| std::fs::write(p, b"PAR1 and nothing else").unwrap()),
            "b.parquet: parquet",
        ),
    ];
    for (case, write_b, needle) in cases {
        let dir = s.path(case);
        write_parquet(&dir.join("a.parquet"), all.slice(0, 2));
        write_b(&dir.join("b.parquet"));
        write_parquet(&dir.join("c.parquet"), all.slice(2, 2));
        let glob = dir.join("*.parquet").display().to_string();
        let b = dir.join("b.parquet").display().to_string();
        fails(&rfm_config(), &[&glob], &[], 1, &[&b, needle]);
    }
    // Integer ids in one file, text in the others: all are read as text.
    let dir = s.path("mixed_types");
    write_parquet(&dir.join("a.parquet"), all.slice(0, 3));
    write_parquet(
        &dir.join("b.parquet"),
        df!("customer_id" => [3i64], "order_date" => ["2024-03-01"], "amount" => [7.5], "order_id" => [4i64], "extra" => [1u8]).unwrap(),
    );
    let got = output_of(&s, &dir, "mixed_types");
    assert_eq!(strings(&got, "customer_id"), ["3", "c1", "c2"]);
}

#[test]
fn a_csv_of_another_schema_in_a_folder_is_named() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo(&hostile("expected.csv"))).unwrap();
    s.write("in/a.csv", &text);
    let b = s.write("in/b.csv", "id;date;value\nc9;2024-03-01;1\n");
    s.write("in/c.csv", &text);
    let folder = s.path("in").display().to_string();
    fails(
        &rfm_config(),
        &[&folder],
        &[],
        1,
        &[&b.display().to_string(), "the file seems separated by ';'"],
    );
}

/// A config with one `when` rule.
fn when_config(when: &str) -> String {
    format!(
        "input:\n  columns: {{order_id: order_id}}\nsegments:\n  rules:\n    - {{name: A, when: \"{when}\"}}\n"
    )
}

#[test]
fn a_when_of_thousands_of_terms_is_refused_not_a_stack_overflow() {
    // Found by hand while fuzzing: 3,000 `+ r` made an expression tree so deep that the
    // process overflowed its stack (exit 134).
    let when = format!("r{} > 1", " + r".repeat(3000));
    fails(
        &when_config(&when),
        &["tests/fixtures/small/orders.csv"],
        &[],
        2,
        &[
            "segments.rules[0].when (A)",
            "... (12005 characters)\" is 12005 characters long; a condition may have at most 1000",
        ],
    );
}

#[test]
fn a_when_at_the_length_limit_runs() {
    let s = Scratch::new();
    let when = format!("r{} > 1", " + r".repeat(248));
    assert!(when.len() <= 1000 && when.len() > 990);
    let cfg = s.write("config.yaml", &when_config(&when));
    let out = run_quiet(
        &cfg,
        &repo("tests/fixtures/small/orders.csv"),
        &s.path("out.parquet"),
    );
    assert_eq!(strings(&out, "segment"), ["A"; 4]);
}
