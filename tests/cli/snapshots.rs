//! Snapshots (insta) of what a user reads: every `--help` text, every error message the
//! command line can reach, and the terminal forms of the run summary and `report` with a
//! holdout and with a previous run, each with the command and its exit code. One snapshot
//! per case, named after it, in tests/cli/snapshots/; the case's scratch folder reads
//! `[TMP]`, the repository `[REPO]`. A changed message fails its test with a diff. To accept a wanted
//! change, rerun with `INSTA_UPDATE=always` (or `cargo insta review`) and commit the .snap
//! files; CI sets `INSTA_UPDATE=no`, so a changed or missing snapshot fails there.
//!
//! Not here, because no small fixture reaches them the same way on every machine: an
//! unreadable input or folder (root reads any file; faults.rs runs it without the capability)
//! and a full disk (faults.rs mounts a tiny tmpfs).

use std::path::Path;

use polars::prelude::*;

use crate::util::*;

const SMALL: &str = "tests/fixtures/small/orders.csv";

/// One run of the binary to snapshot.
struct Case {
    /// The snapshot's name.
    name: &'static str,
    /// The arguments, split at spaces; `[TMP]` is the case's scratch folder.
    args: String,
    /// Files written into the scratch folder first, `[TMP]` in their text replaced too.
    files: Vec<(&'static str, String)>,
    /// More to prepare in the scratch folder (Parquet files, big files).
    prepare: Option<fn(&Scratch)>,
    /// Run in the scratch folder, not the repository root.
    in_scratch: bool,
}

fn case(name: &'static str, args: &str) -> Case {
    Case {
        name,
        args: args.to_string(),
        files: Vec::new(),
        prepare: None,
        in_scratch: false,
    }
}

impl Case {
    fn file(mut self, name: &'static str, text: impl Into<String>) -> Case {
        self.files.push((name, text.into()));
        self
    }

    fn prepare(mut self, prepare: fn(&Scratch)) -> Case {
        self.prepare = Some(prepare);
        self
    }

    fn in_scratch(mut self) -> Case {
        self.in_scratch = true;
        self
    }

    /// The case with `edit` applied to its arguments.
    fn tap_args(mut self, edit: impl FnOnce(String) -> String) -> Case {
        self.args = edit(self.args);
        self
    }
}

/// `rfmseg run --config [TMP]/config.yaml --input INPUT --output [TMP]/out/segments.parquet`
/// with `config` as the config's text.
fn run_case(name: &'static str, config: impl Into<String>, input: &str) -> Case {
    case(
        name,
        &format!(
            "run --config [TMP]/config.yaml --input {input} --output [TMP]/out/segments.parquet"
        ),
    )
    .file("config.yaml", config)
}

/// How a case's run must end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ends {
    /// Exit 0 (the help texts).
    Ok,
    /// Exit 1 or 2, with a message and no panic.
    Fails,
}

/// Run `case`: the command, its exit code, stdout and stderr, with the placeholders.
fn run(case: &Case, ends: Ends) -> String {
    let s = Scratch::new();
    let tmp = s.root().display().to_string();
    for (name, text) in &case.files {
        s.write(name, &text.replace("[TMP]", &tmp));
    }
    if let Some(prepare) = case.prepare {
        prepare(&s);
    }
    let mut cmd = rfmseg();
    cmd.args(
        case.args
            .split_whitespace()
            .map(|a| a.replace("[TMP]", &tmp)),
    )
    // --help wraps to the terminal's width (at most 100): fixed here.
    .env("COLUMNS", "100")
    .env_remove("CLICOLOR_FORCE");
    if case.in_scratch {
        cmd.current_dir(s.root());
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().expect("rfmseg exited (was not killed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match ends {
        Ends::Ok => assert_eq!(code, 0, "{}: {stderr}", case.name),
        Ends::Fails => assert!(code == 1 || code == 2, "{}: exit {code}", case.name),
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{}: {stderr}",
        case.name
    );
    let mut text =
        format!("$ rfmseg {}\nexit: {code}\n", case.args).replace("$ rfmseg \n", "$ rfmseg\n");
    for (stream, body) in [("stdout", stdout), ("stderr", stderr)] {
        if !body.is_empty() {
            text += &format!("--- {stream}\n{body}");
            if !body.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    placeholders(&text, s.root())
}

/// `text` with the scratch folder as `[TMP]` and the repository root as `[REPO]`.
fn placeholders(text: &str, scratch: &Path) -> String {
    text.replace(&scratch.display().to_string(), "[TMP]")
        .replace(env!("CARGO_MANIFEST_DIR"), "[REPO]")
}

/// Snapshot every case (all of them, also after a failure); fail naming those that differ.
fn snapshot_all(cases: Vec<Case>, ends: Ends) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let failed: Vec<&str> = settings.bind(|| {
        cases
            .iter()
            .filter(|c| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    insta::assert_snapshot!(c.name, run(c, ends));
                }))
                .is_err()
            })
            .map(|c| c.name)
            .collect()
    });
    assert!(
        failed.is_empty(),
        "{} of {} cases failed (see above): {failed:?}",
        failed.len(),
        cases.len()
    );
}

/// One order line as Parquet, with text columns.
fn one_line() -> DataFrame {
    df!(
        "customer_id" => ["c1"],
        "order_date" => ["2024-01-05"],
        "amount" => [10.0],
        "order_id" => ["o1"],
    )
    .unwrap()
}

fn help_cases() -> Vec<Case> {
    let mut cases = vec![case("help", "--help"), case("help_short", "-h")];
    for (name, short, command) in [
        ("help_run", "help_run_short", "run"),
        ("help_check", "help_check_short", "check"),
        ("help_report", "help_report_short", "report"),
        ("help_sql", "help_sql_short", "sql"),
        ("help_inspect", "help_inspect_short", "inspect"),
        ("help_explain", "help_explain_short", "explain"),
        ("help_backtest", "help_backtest_short", "backtest"),
    ] {
        cases.push(case(name, &format!("{command} --help")));
        cases.push(case(short, &format!("{command} -h")));
    }
    cases
}

fn command_line_errors() -> Vec<Case> {
    vec![
        case("cli_no_command", ""),
        case("cli_unknown_command", "score --config config/rfm.yaml"),
        case(
            "cli_unknown_flag",
            "check --config config/rfm.yaml --strictly",
        ),
        case("cli_run_without_config", "run"),
        case("cli_report_without_segments", "report"),
        case("cli_inspect_without_file", "inspect"),
        case("cli_sql_without_dialect", "sql --config config/rfm.yaml"),
        case(
            "cli_sql_unknown_dialect",
            "sql --config config/rfm.yaml --dialect oracle",
        ),
        case(
            "cli_run_quiet_and_verbose",
            "run --config config/rfm.yaml --quiet --verbose",
        ),
        case(
            "cli_run_partitions_out_of_range",
            "run --config config/rfm.yaml --partitions 0",
        ),
        case(
            "cli_run_unknown_engine",
            "run --config config/rfm.yaml --engine gpu",
        ),
        run_case("cli_as_of_not_a_date", config(""), SMALL).tap_args(|a| a + " --as-of 2024-02-30"),
        run_case("cli_as_of_neither_calendar", config(""), SMALL)
            .tap_args(|a| a + " --as-of 30/12/1403"),
        run_case(
            "cli_persian_as_of_not_in_the_calendar",
            config("  calendar: persian"),
            SMALL,
        )
        .tap_args(|a| a + " --as-of ۱۴۰۴/۱۲/۳۰"),
    ]
}

/// A config with several problems the other config cases do not show.
const MORE_PROBLEMS: &str = r#"input:
  paths: [""]
  date_format: "%H:%M"
  columns: {customer_id: customer_id, order_date: order_date, amount: ""}
analysis:
  frequency: orders
  monetary_decimals: 9
  group_by: ["", region, segment]
scoring:
  method: rank
  frequency: {bins: 1}
  monetary: {method: fixed, thresholds: [.nan, 5, 10, 20]}
  recency: {thresholds: [30, 60, 90, 180]}
segments:
  default: ""
  rules:
    - {r: 5}
    - {name: Range, r: [1, 2, 3]}
    - {name: No cells, cells: []}
output:
  path: ""
"#;

/// A rule for each kind of `when` a condition may not use.
const WHEN_REFUSALS: &str = r#"input:
  columns: {order_id: order_id}
segments:
  rules:
    - {name: Empty, when: ""}
    - {name: Qualified, when: "t.r > 1"}
    - {name: Broken, when: "r > AND f"}
    - {name: Trailing, when: "r > 1 r"}
    - {name: Backticks, when: "`r` > 1"}
    - {name: Modulo, when: "r % 2 = 0"}
    - {name: Case, when: "CASE WHEN r > 1 THEN TRUE END"}
    - {name: Cast, when: "CAST(r AS INT) > 1"}
    - {name: Subquery, when: "r IN (SELECT 1)"}
    - {name: Null in list, when: "r IN (1, NULL)"}
    - {name: Columns in list, when: "r IN (f, m)"}
    - {name: Huge number, when: "r > 99999999999999999999"}
    - {name: Upper, when: "upper(r) = 'X'"}
    - {name: Abs of two, when: "abs(r, f) > 1"}
    - {name: Distinct, when: "abs(DISTINCT r) > 1"}
    - {name: Typo, when: "recncy_days > 30"}
"#;

fn config_errors() -> Vec<Case> {
    let all_at_once = ALL_PROBLEMS;
    let edges = "format: rfmseg-thresholds/1\ngroup_by: []\nmetrics:\n  recency: {bins: 3, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\ngroups:\n  - {key: {}, recency: [1.0], frequency: [1.0], monetary: [.nan]}\n  - {key: {}, recency: [1.0], frequency: [1.0], monetary: [1.0]}\n";
    let frozen = |from: &str| {
        format!(
            "input:\n  columns: {{order_id: order_id}}\nanalysis: {{group_by: [region]}}\nscoring: {{thresholds_from: {from}}}\nsegments: {{rules: [{{name: A, r: 2}}]}}\n"
        )
    };
    let sample = "data-samples/orders.csv";
    vec![
            case("config_file_missing", "run --config no/such.yaml"),
            case("config_is_a_folder", "run --config tests/fixtures"),
            run_case(
                "config_yaml_syntax_error",
                "input:\n  paths: [a.csv\nsegments: {}\n",
                SMALL,
            ),
            run_case("config_wrong_value_type", "scoring: {bins: five}\n", SMALL),
            run_case(
                "config_group_by_listed_twice",
                "analysis: {group_by: [region, region]}\n",
                SMALL,
            ),
            run_case("config_not_a_mapping", "- input\n- segments\n", SMALL),
            run_case(
                "config_score_range_of_another_type",
                "segments:\n  rules:\n    - {name: A, r: high}\n",
                SMALL,
            ),
            run_case("config_all_problems_at_once", all_at_once, SMALL),
            case("config_more_problems_at_once", "run --config [TMP]/config.yaml")
                .file("config.yaml", MORE_PROBLEMS),
            run_case("config_when_refusals", WHEN_REFUSALS, SMALL),
            run_case(
                "config_when_too_long",
                format!(
                    "input:\n  columns: {{order_id: order_id}}\nsegments:\n  rules:\n    - {{name: A, when: \"r{} > 1\"}}\n",
                    " + r".repeat(3000)
                ),
                SMALL,
            ),
            run_case(
                "config_when_does_not_fit_the_column_types",
                "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [store]}\nsegments:\n  rules:\n    - {name: S1, when: \"store = 1\"}\n",
                SMALL,
            ),
            run_case(
                "config_when_is_not_a_condition",
                config("").replace("rfm_score >= 3", "r + f"),
                SMALL,
            ),
            run_case(
                "config_as_of_not_a_date",
                config("analysis: {as_of: 30/06/2024}"),
                SMALL,
            ),
            run_case("config_calendar_unknown", config("  calendar: julian"), SMALL),
            run_case(
                "config_persian_date_format_with_a_month_name",
                config("  calendar: persian\n  date_format: \"%d %b %Y\""),
                SMALL,
            ),
            run_case(
                "config_persian_as_of_not_in_the_calendar",
                config("  calendar: persian\nanalysis: {as_of: 1404/12/30}"),
                SMALL,
            ),
            run_case(
                "config_rejects_path_empty",
                config("  rejects_path: \"\""),
                "x.csv",
            ),
            case("config_rejects_path_names_the_output", "run --config [TMP]/c.yaml").file(
                "c.yaml",
                config("  paths: [x.csv]\n  rejects_path: out/x.parquet\noutput:\n  path: out/x.parquet\n"),
            ),
            run_case("config_thresholds_from_unusable", frozen("[TMP]/edges.yaml"), sample)
                .file("edges.yaml", edges),
            run_case(
                "config_min_group_customers_without_group_by",
                "input:\n  columns: {order_id: order_id}\nscoring:\n  min_group_customers: 0\nsegments: {rules: [{name: A, r: 2}]}\n",
                sample,
            ),
            run_case(
                "config_min_group_customers_thresholds_without_levels",
                "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [region]}\nscoring:\n  min_group_customers: 50\n  thresholds_from: [TMP]/edges.yaml\nsegments: {rules: [{name: A, r: 2}]}\n",
                sample,
            )
            .file(
                "edges.yaml",
                "format: rfmseg-thresholds/1\ngroup_by: [region]\nmetrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\ngroups:\n  - {key: {region: North}, recency: [100.0], frequency: [1.0], monetary: [50.0]}\n  - {key: {region: North}, level: 1, recency: [100.0], frequency: [1.0], monetary: [50.0]}\n",
            ),
            run_case(
                "config_thresholds_from_missing_file",
                frozen("[TMP]/none.yaml"),
                sample,
            ),
            run_case(
                "config_thresholds_from_not_a_thresholds_file",
                frozen("config/rfm.yaml"),
                sample,
            ),
            run_case(
                "config_holdout_problems_at_once",
                config("analysis: {group_by: [holdout]}\noutput:\n  holdout: {share: 1.5, salt: \"\", colour: red}"),
                SMALL,
            ),
            run_case(
                "config_holdout_share_decimals_and_no_salt",
                config("output:\n  holdout: {share: 0.0000005}"),
                SMALL,
            ),
            run_case(
                "config_holdout_share_not_a_number",
                config("output:\n  holdout: {share: 10%, salt: q1}"),
                SMALL,
            ),
            run_case(
                "config_input_csv_problems",
                "input:\n  csv:\n    separator: \";;\"\n    decimal_comma: true\n    thousands: \",\"\n    encoding: utf-16le\n    quote: \"'\"\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: 5}]}\n",
                SMALL,
            ),
            run_case(
                "config_input_csv_separator_and_thousands",
                "input:\n  csv: {separator: \"\", thousands: \".\"}\nsegments: {rules: [{name: A, r: 5}]}\n",
                SMALL,
            ),
            run_case(
                "config_input_csv_thousands_unknown",
                "input:\n  csv: {separator: \"¦\", thousands: \"_\"}\nsegments: {rules: [{name: A, r: 5}]}\n",
                SMALL,
            ),
            case(
                "fixture_bad_config_run",
                "run --config tests/fixtures/bad/config.yaml",
            ),
            case(
                "fixture_bad_config_check",
                "check --config tests/fixtures/bad/config.yaml",
            ),
            case(
                "fixture_when_like_check",
                "check --config tests/fixtures/bad/when-like.yaml",
            ),
        ]
}

fn run_usage_errors() -> Vec<Case> {
    let edges = "format: rfmseg-thresholds/1\ngroup_by: [region]\nmetrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\ngroups:\n  - {key: {region: North}, recency: [100.0], frequency: [1.0], monetary: [50.0]}\n";
    vec![
            case("run_no_output_path", &format!("run --config [TMP]/config.yaml --input {SMALL}"))
                .file("config.yaml", config("")),
            case(
                "run_no_input",
                "run --config [TMP]/config.yaml --output [TMP]/out/segments.parquet",
            )
            .file("config.yaml", config("")),
            run_case(
                "run_rejects_path_is_an_input",
                config("  rejects_path: [TMP]/in.csv"),
                "[TMP]/in.csv",
            )
            .file("in.csv", "customer_id,order_date,amount,order_id\nc1,2024-01-05,10,o1\n"),
            run_case("run_input_glob_invalid", config(""), "tests/fixtures/[*.csv"),
            run_case(
                "run_thresholds_from_has_no_edges_for_a_group",
                "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [region]}\nscoring: {thresholds_from: [TMP]/edges.yaml}\nsegments: {rules: [{name: A, r: 2}]}\n",
                "data-samples/orders.csv",
            )
            .file("edges.yaml", edges),
        ]
}

/// A config that maps no order id (the default columns).
const NO_ORDER_ID: &str = "segments: {rules: [{name: A, r: [1, 5]}]}\n";

fn input_errors() -> Vec<Case> {
    let header = "order_id,customer_id,order_date,amount\n";
    vec![
            run_case("input_file_not_found", config(""), "nope/none.csv"),
            run_case(
                "input_glob_matches_nothing",
                config(""),
                "tests/fixtures/*.nothing.csv",
            ),
            run_case("input_folder_without_data_files", config(""), "[TMP]/in")
                .file("in/notes.txt", "no order lines here\n"),
            run_case(
                "input_unsupported_file_type",
                config(""),
                "tests/fixtures/small/README.md",
            ),
            run_case(
                "input_mapped_column_missing",
                config("").replace("amount: amount", "amount: total"),
                SMALL,
            ),
            run_case(
                "input_group_by_column_missing",
                config("analysis: {group_by: [region]}"),
                SMALL,
            ),
            run_case("input_semicolon_separated", config(""), "[TMP]/orders.csv")
                .file("orders.csv", "customer_id;order_date;amount\na;2024-01-01;1\n"),
            run_case("input_long_line_without_header", config(""), "[TMP]/one_line.csv").prepare(
                |s| {
                    s.write("one_line.csv", &"x".repeat(10 << 20));
                },
            ),
            run_case("input_header_of_100000_columns", config(""), "[TMP]/wide.csv").prepare(
                |s| {
                    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
                    s.write("wide.csv", &(header.join(",") + "\n"));
                },
            ),
            run_case(
                "input_mapped_column_named_twice",
                config(""),
                "tests/fixtures/hostile/duplicate_header.csv",
            ),
            run_case("input_empty_file", config(""), "tests/fixtures/hostile/empty.csv"),
            run_case(
                "input_header_only",
                config(""),
                "tests/fixtures/hostile/header_only.csv",
            ),
            run_case(
                "input_bad_iso_date",
                config(""),
                "tests/fixtures/hostile/mixed_dates.csv",
            ),
            run_case(
                "input_bad_date_for_date_format",
                "input:\n  date_format: \"%d/%m/%Y\"\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: 5}]}\n",
                "[TMP]/orders.csv",
            )
            .file(
                "orders.csv",
                format!("{header}1,a,01/06/2024,5\n2,b,2024-06-02,5\n"),
            ),
            run_case(
                "input_bad_solar_hijri_date",
                config("  calendar: persian"),
                "[TMP]/orders.csv",
            )
            .file(
                "orders.csv",
                format!("{header}1,a,۱۴۰۳/۱۲/۳۰,۵٫۵\n2,b,۱۴۰۴/۱۲/۳۰,5\n"),
            ),
            run_case(
                "input_bad_solar_hijri_date_for_date_format",
                config("  calendar: persian\n  date_format: \"%d-%m-%Y\""),
                "[TMP]/orders.csv",
            )
            .file(
                "orders.csv",
                format!("{header}1,a,30-06-1403,5\n2,b,31-07-1403,5\n"),
            ),
            case(
                "fixture_bad_amount",
                "run --config config/rfm.yaml --input tests/fixtures/bad/amount.csv --output [TMP]/o.parquet",
            ),
            run_case("input_nan_amount", config(""), "[TMP]/orders.csv").file(
                "orders.csv",
                format!("{header}1,a,2024-06-01,5\n2,b,2024-06-02,NaN\n"),
            ),
            run_case("input_infinite_amount", config(""), "[TMP]/orders.csv")
                .file("orders.csv", format!("{header}1,a,2024-06-01,-inf\n")),
            run_case("input_huge_bad_value", config(""), "[TMP]/huge_date.csv").prepare(|s| {
                s.write(
                    "huge_date.csv",
                    &format!(
                        "customer_id,order_date,amount,order_id\nc1,2024-01-05,1,o1\nc2,{},1,o2\n",
                        "9".repeat(2_000_000)
                    ),
                );
            }),
            run_case("input_row_with_too_many_fields", NO_ORDER_ID, "[TMP]/orders.csv").file(
                "orders.csv",
                "customer_id,order_date,amount\na,2024-01-10,1\nb,2024-01-10,1,5\n",
            ),
            run_case("input_quote_never_closed", NO_ORDER_ID, "[TMP]/orders.csv").file(
                "orders.csv",
                "customer_id,order_date,amount\na,2024-01-10,1\nb,\"2024-01-10,2\n",
            ),
            run_case(
                "input_bad_value_after_a_quoted_newline",
                NO_ORDER_ID,
                "[TMP]/orders.csv",
            )
            .file(
                "orders.csv",
                "customer_id,order_date,amount,note\na,2024-01-10,1,\"multi\nline\"\nb,2024-01-10,x,ok\n",
            ),
            run_case(
                "input_average_monetary_without_order_ids",
                config("analysis: {monetary: average}"),
                "[TMP]/orders.csv",
            )
            .file(
                "orders.csv",
                format!("{header},a,2024-06-01,10\nO1,b,2024-06-02,20\n"),
            ),
            run_case("input_parquet_of_another_schema", config(""), "[TMP]/in/*.parquet").prepare(
                |s| {
                    write_parquet(&s.path("in/a.parquet"), one_line());
                    write_parquet(
                        &s.path("in/b.parquet"),
                        df!("cust" => ["c9"], "when" => ["2024-03-01"], "value" => [1.0]).unwrap(),
                    );
                },
            ),
            run_case("input_parquet_bool_amount", config(""), "[TMP]/b.parquet").prepare(|s| {
                let mut df = one_line();
                df.with_column(Column::new("amount".into(), [true])).unwrap();
                write_parquet(&s.path("b.parquet"), df);
            }),
            run_case("input_parquet_integer_dates", config(""), "[TMP]/b.parquet").prepare(|s| {
                let mut df = one_line();
                df.with_column(Column::new("order_date".into(), [20240105i64]))
                    .unwrap();
                write_parquet(&s.path("b.parquet"), df);
            }),
            run_case("input_not_parquet", config(""), "[TMP]/b.parquet")
                .file("b.parquet", "PAR1 and nothing else"),
            run_case("input_parquet_bad_text_date", config(""), "[TMP]/a.parquet").prepare(|s| {
                write_parquet(
                    &s.path("a.parquet"),
                    df!(
                        "customer_id" => ["c1", "c1"],
                        "order_date" => ["2024-01-05", "2024-02-30"],
                        "amount" => ["10", "20"],
                        "order_id" => ["o1", "o2"],
                    )
                    .unwrap(),
                );
            }),
            run_case("input_parquet_nan_amount", config(""), "[TMP]/b.parquet").prepare(|s| {
                write_parquet(
                    &s.path("b.parquet"),
                    df!(
                        "customer_id" => ["c4", "c4"],
                        "order_date" => ["2024-03-02", "2024-03-03"],
                        "amount" => [8.0, f64::NAN],
                        "order_id" => ["o6", "o7"],
                    )
                    .unwrap(),
                );
            }),
            case(
                "check_input_matches_nothing",
                "check --config config/rfm.yaml --input nope/none.csv",
            ),
        ]
}

/// A config for `;`-separated files (`csv` the rest of `input.csv`'s mapping).
fn semicolon_config(csv: &str) -> String {
    format!("input:\n  csv: {{separator: \";\"{csv}}}\n  columns: {{order_id: order_id}}\nsegments: {{rules: [{{name: A, r: [1, 5]}}]}}\n")
}

const GERMAN: &str =
    "order_id;customer_id;order_date;amount\n1;a;2024-06-01;1.234,50\n2;b;2024-06-02;12,50\n";

/// Writes `orders.csv` in the scratch folder as UTF-16 LE, without (`raw`) or with its byte
/// order mark, with `tail` bytes after the text.
fn utf16(s: &Scratch, bom: bool, tail: &[u8]) {
    let text = "order_id,customer_id,order_date,amount\n1,a,2024-06-01,10\n";
    let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    bytes.extend(tail);
    std::fs::write(s.path("orders.csv"), bytes).unwrap();
}

/// What an unset or wrong `input.csv` gives: each message names the key to set.
fn dialect_errors() -> Vec<Case> {
    let utf16_config = "input:\n  csv: {encoding: utf-16}\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n";
    vec![
        run_case("input_semicolon_separated_decimal_comma", config(""), "[TMP]/orders.csv")
            .file("orders.csv", GERMAN),
        case(
            "check_input_semicolon_separated",
            "check --config [TMP]/config.yaml --input [TMP]/orders.csv",
        )
        .file("config.yaml", config(""))
        .file("orders.csv", GERMAN),
        run_case("input_decimal_comma_unset", semicolon_config(""), "[TMP]/orders.csv")
            .file("orders.csv", GERMAN),
        case(
            "check_input_decimal_comma_unset",
            "check --config [TMP]/config.yaml --input [TMP]/orders.csv",
        )
        .file("config.yaml", semicolon_config(""))
        .file("orders.csv", GERMAN),
        run_case(
            "input_thousands_unset",
            semicolon_config(", decimal_comma: true"),
            "[TMP]/orders.csv",
        )
        .file("orders.csv", GERMAN),
        run_case(
            "input_decimal_point_with_decimal_comma",
            semicolon_config(", decimal_comma: true, thousands: \" \""),
            "[TMP]/orders.csv",
        )
        .file(
            "orders.csv",
            "order_id;customer_id;order_date;amount\n1;a;2024-06-01;1 234,50\n2;b;2024-06-02;12.50\n",
        ),
        run_case("input_utf16_without_a_byte_order_mark", utf16_config, "[TMP]/orders.csv")
            .prepare(|s| utf16(s, false, &[])),
        run_case("input_utf16_not_decodable", utf16_config, "[TMP]/orders.csv")
            .prepare(|s| utf16(s, true, &[b'2', 0, b',', 0, 0x00, 0xDC])),
        run_case("input_utf16_read_as_utf8", config(""), "[TMP]/orders.csv")
            .prepare(|s| utf16(s, true, &[])),
        run_case("input_windows_1256_read_as_utf8", config(""), "[TMP]/orders.csv").prepare(
            |s| {
                // "علي" and "محمد" in Windows-1256.
                let mut bytes = b"order_id,customer_id,order_date,amount\n1,".to_vec();
                bytes.extend([0xDA, 0xE1, 0xED]);
                bytes.extend(b",2024-06-01,10\n2,");
                bytes.extend([0xE3, 0xCD, 0xE3, 0xCF]);
                bytes.extend(b",2024-06-02,5\n");
                std::fs::write(s.path("orders.csv"), bytes).unwrap();
            },
        ),
        run_case(
            "input_header_not_utf8",
            "input:\n  columns: {customer_id: \"مشتري\"}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n",
            "[TMP]/orders.csv",
        )
        .prepare(|s| {
            // The header's "مشتري" (customer) in Windows-1256.
            let mut bytes = vec![0xE3, 0xD4, 0xCA, 0xD1, 0xED];
            bytes.extend(b",order_date,amount\n1,2024-06-01,10\n");
            std::fs::write(s.path("orders.csv"), bytes).unwrap();
        }),
        run_case(
            "input_byte_order_mark_contradicts_the_encoding",
            "input:\n  csv: {encoding: windows-1256}\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n",
            "[TMP]/orders.csv",
        )
        .file(
            "orders.csv",
            "\u{feff}order_id,customer_id,order_date,amount\n1,a,2024-06-01,10\n",
        ),
    ]
}

fn output_errors() -> Vec<Case> {
    let run = |name: &'static str, output: &str| {
        case(
            name,
            &format!("run --config [TMP]/config.yaml --input {SMALL} --output {output}"),
        )
        .file("config.yaml", config(""))
    };
    vec![
        run("output_is_a_folder", "[TMP]"),
        run("output_ends_in_a_slash", "[TMP]/new/"),
        run("output_has_no_file_name", "[TMP]/nope/.."),
        run(
            "output_parent_is_a_file",
            "[TMP]/config.yaml/segments.parquet",
        ),
        run("output_named_like_csv", "[TMP]/segments.csv"),
        run(
            "output_folder_cannot_be_made",
            "/proc/rfmseg-snapshot/segments.parquet",
        ),
        run("thresholds_out_is_a_folder", "[TMP]/o.parquet")
            .tap_args(|a| a + " --thresholds-out [TMP]"),
        run_case(
            "rejects_path_is_a_folder",
            config("  rejects_path: [TMP]"),
            SMALL,
        ),
    ]
}

fn check_strict_failures() -> Vec<Case> {
    vec![
            case(
                "check_strict_r_rfm_vignette",
                "check --config tests/fixtures/r-rfm-vignette.yaml --strict",
            ),
            case(
                "check_strict_11_segment_box_table",
                "check --config tests/fixtures/rfm-11-segment-box-table.yaml --strict",
            ),
            case("check_strict_two_level_grid", "check --config [TMP]/c.yaml --strict").file(
                "c.yaml",
                "scoring: {bins: 2}\nsegments:\n  default: Rest\n  rules:\n    - {name: A, r: 2}\n    - {name: B, r: 2, f: 2}\n    - {name: C, cells: [\"111\"]}\n    - {name: D, when: \"rfm_score >= 5\"}\n    - {name: E, when: \"monetary > 100\"}\n",
            ),
            case(
                "check_strict_empty_score_level",
                "check --config config/rfm.yaml --strict --input data-samples/orders.csv",
            ),
            case(
                "check_strict_min_group_levels",
                "check --config tests/fixtures/min-group/config.yaml --strict --input tests/fixtures/min-group/orders.csv",
            ),
            case(
                "check_strict_nobody_in_the_window",
                "check --config [TMP]/c.yaml --strict --input data-samples/orders.csv",
            )
            .file(
                "c.yaml",
                "input: {columns: {order_id: order_id}}\nanalysis: {as_of: 2020-01-01}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n",
            ),
        ]
}

fn report_errors() -> Vec<Case> {
    fn june(s: &Scratch) {
        crate::report::run_file(s, "june");
    }
    vec![
        case(
            "report_run_file_missing",
            "report --segments out/nope.parquet",
        ),
        case(
            "report_run_file_is_a_folder",
            "report --segments tests/fixtures",
        ),
        case(
            "report_order_lines_are_not_a_run_output",
            "report --segments data-samples/orders.parquet",
        ),
        case(
            "report_csv_is_not_parquet",
            "report --segments tests/fixtures/report/june.csv",
        ),
        case(
            "report_run_file_of_other_types",
            "report -s [TMP]/typed.parquet",
        )
        .prepare(|s| {
            let june = crate::report::run_file(s, "june");
            let mut df = read_parquet(&june);
            df.apply("frequency", |c| c.cast(&DataType::String).unwrap())
                .unwrap();
            df.apply("rfm_score", |c| c.cast(&DataType::Float64).unwrap())
                .unwrap();
            write_parquet(&s.path("typed.parquet"), df);
        }),
        case(
            "report_different_group_columns",
            "report -s june.parquet -p grouped-march.parquet --html report.html --json report.json",
        )
        .prepare(|s| {
            crate::report::run_file(s, "june");
            crate::report::run_file(s, "grouped-march");
        })
        .in_scratch(),
        case(
            "report_would_overwrite_its_run_file",
            "report -s june.parquet --html june.parquet",
        )
        .prepare(june)
        .in_scratch(),
        case(
            "report_customer_twice",
            "report -s june.parquet -p doubled.parquet",
        )
        .prepare(|s| {
            let june = crate::report::run_file(s, "june");
            let mut twice = read_parquet(&june);
            let first = twice.head(Some(1));
            twice.vstack_mut(&first).unwrap();
            write_parquet(&s.path("doubled.parquet"), twice);
        })
        .in_scratch(),
        case(
            "report_html_and_json_name_one_file",
            "report -s june.parquet --html report.out --json report.out",
        )
        .prepare(june)
        .in_scratch(),
        case(
            "report_html_and_json_both_to_stdout",
            "report -s june.parquet --html - --json -",
        )
        .prepare(june)
        .in_scratch(),
        case(
            "report_movers_without_previous",
            "report -s june.parquet --movers movers.parquet",
        )
        .prepare(june)
        .in_scratch(),
        case("report_html_to_a_folder", "report -s june.parquet --html .")
            .prepare(june)
            .in_scratch(),
        case(
            "report_invalid_config",
            "report -s june.parquet -c bad.yaml",
        )
        .file(
            "bad.yaml",
            "segments:\n  rules:\n    - {name: X, r: [4, 9]}\n",
        )
        .prepare(june)
        .in_scratch(),
    ]
}

fn sql_errors() -> Vec<Case> {
    const COLUMNS: &str = "  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\n";
    const RULES: &str = "segments:\n  rules:\n    - {name: A, r: 2}\n";
    let sql = |name: &'static str, dialect: &str, config: String| {
        case(
            name,
            &format!("sql --dialect {dialect} --config [TMP]/c.yaml"),
        )
        .file("c.yaml", config)
    };
    vec![
            sql(
                "sql_thresholds_from",
                "spark",
                format!("input:\n{COLUMNS}scoring:\n  thresholds_from: [TMP]/edges.yaml\n{RULES}"),
            )
            .file(
                "edges.yaml",
                "format: rfmseg-thresholds/1\nas_of: null\ngroup_by: []\nmetrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\ngroups:\n  - {key: {}, recency: [10], frequency: [1], monetary: [5]}\n",
            ),
            sql(
                "sql_two_digit_year",
                "duckdb",
                format!("input:\n  date_format: \"%d/%m/%y\"\n{COLUMNS}{RULES}"),
            ),
            sql(
                "sql_weekday_name",
                "spark",
                format!("input:\n  date_format: \"%a %d/%m/%Y\"\n{COLUMNS}{RULES}"),
            ),
            sql(
                "sql_hour_without_minute",
                "duckdb",
                format!("input:\n  date_format: \"%Y%m%d %H\"\n{COLUMNS}{RULES}"),
            ),
            sql(
                "sql_when_smuggles_sql",
                "spark",
                format!("input:\n{COLUMNS}segments:\n  rules:\n    - {{name: A, when: \"r = 1) OR (SELECT 1) = (1\"}}\n"),
            ),
            sql(
                "sql_when_function_lower",
                "spark",
                format!("input:\n{COLUMNS}segments:\n  rules:\n    - {{name: A, when: \"lower(r) = 'x'\"}}\n"),
            ),
            sql("sql_table_name_empty_part", "duckdb", format!("input:\n{COLUMNS}{RULES}"))
                .tap_args(|a| a + " --table sales..orders"),
            sql(
                "sql_holdout",
                "duckdb",
                format!("input:\n{COLUMNS}{RULES}output:\n  holdout: {{share: 0.1, salt: q1}}\n"),
            ),
            sql(
                "sql_frequency_orders_without_order_id",
                "duckdb",
                format!("analysis: {{frequency: orders}}\n{RULES}"),
            ),
        ]
}

fn inspect_errors() -> Vec<Case> {
    /// A run's output, its footer bytes patched: `from` replaced by `to` (the same length).
    fn patched(s: &Scratch, from: &str, to: &str) {
        let out = s.path("run.parquet");
        crate::run_ok::small_run(&["--quiet"], &out).success();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(from.len(), to.len());
        let at = bytes
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .unwrap_or_else(|| panic!("{from:?} is not in the footer"));
        let mut bytes = bytes;
        bytes[at..at + to.len()].copy_from_slice(to.as_bytes());
        std::fs::write(s.path("patched.parquet"), bytes).unwrap();
    }
    vec![
        case("inspect_no_provenance", "inspect [TMP]/plain.parquet").prepare(|s| {
            write_parquet(
                &s.path("plain.parquet"),
                df!("customer_id" => ["a"], "segment" => ["x"]).unwrap(),
            );
        }),
        case("inspect_not_parquet", "inspect [TMP]/notes.parquet")
            .file("notes.parquet", "not parquet at all"),
        case("inspect_missing_file", "inspect [TMP]/missing.parquet"),
        case("inspect_folder", "inspect [TMP]"),
        case(
            "inspect_other_provenance_format",
            "inspect [TMP]/patched.parquet",
        )
        .prepare(|s| patched(s, "rfmseg-provenance/1", "rfmseg-provenance/9")),
        case(
            "inspect_provenance_key_missing",
            "inspect [TMP]/patched.parquet",
        )
        .prepare(|s| patched(s, "rfmseg.created", "rfmseg.kreated")),
        case(
            "inspect_provenance_key_unreadable",
            "inspect [TMP]/patched.parquet",
        )
        .prepare(|s| patched(s, "\"scored\":", "\"scored\"!")),
    ]
}

/// The terminal forms that hold a holdout or retention: the run summary and `report`.
fn terminal_forms() -> Vec<Case> {
    fn runs(s: &Scratch) {
        for name in ["june", "march", "grouped-june", "grouped-march"] {
            crate::report::run_file(s, name);
        }
    }
    fn holdout_run(s: &Scratch) {
        rfmseg()
            .args([
                "run",
                "--quiet",
                "--config",
                "tests/fixtures/holdout/config.yaml",
            ])
            .arg("--output")
            .arg(s.path("holdout.parquet"))
            .assert()
            .success();
    }
    const CONFIG: &str = "tests/fixtures/report/config.yaml";
    vec![
        case(
            "terminal_run_summary_with_holdout",
            "run --config tests/fixtures/holdout/config.yaml --output [TMP]/out.parquet",
        ),
        case(
            "terminal_report_with_previous",
            &format!("report -s [TMP]/june.parquet -p [TMP]/march.parquet -c {CONFIG}"),
        )
        .prepare(runs),
        case(
            "terminal_report_grouped_with_previous",
            &format!(
                "report -s [TMP]/grouped-june.parquet -p [TMP]/grouped-march.parquet -c {CONFIG}"
            ),
        )
        .prepare(runs),
        case(
            "terminal_report_with_holdout",
            "report -s [TMP]/holdout.parquet -c tests/fixtures/holdout/config.yaml",
        )
        .prepare(holdout_run),
        case(
            "terminal_report_writes_movers",
            "report -s [TMP]/june.parquet -p [TMP]/march.parquet --movers [TMP]/out/movers.parquet --json [TMP]/out/report.json",
        )
        .prepare(runs),
    ]
}

/// The explain fixture's run, as [TMP]/run.parquet.
fn fixture_run(s: &Scratch) {
    crate::explain::run_to(&repo(crate::explain::FIXTURE), &[], &s.path("run.parquet"));
}

/// The sample scored per store, as [TMP]/stores.parquet.
fn store_run(s: &Scratch) {
    let config = s.write(
        "stores.yaml",
        &std::fs::read_to_string(repo("config/rfm.yaml"))
            .unwrap()
            .replace("# group_by: [region]", "group_by: [store_id]"),
    );
    crate::explain::run_to(&config, &[], &s.path("stores.parquet"));
}

/// The terminal forms of explain and backtest.
fn explain_and_backtest_forms() -> Vec<Case> {
    let explain = |name, customer: &str| {
        case(
            name,
            &format!("explain --segments [TMP]/run.parquet --customer {customer}"),
        )
        .prepare(fixture_run)
    };
    vec![
        explain("explain_fixture_loyal", "c01"),
        explain("explain_fixture_when_rule", "c02"),
        explain("explain_fixture_first_rule", "c03"),
        explain("explain_fixture_default_segment", "c04"),
        explain("explain_fixture_cells_rule", "c05"),
        case(
            "explain_sample_per_store",
            "explain --segments [TMP]/stores.parquet --customer 01374 --group store_id=S04",
        )
        .prepare(store_run),
        case(
            "explain_parent_level_edges",
            "explain --segments [TMP]/levels.parquet --customer b1 --group region=North --group store_id=N2",
        )
        .prepare(|s| {
            crate::explain::run_to(
                &repo("tests/fixtures/min-group/config.yaml"),
                &[],
                &s.path("levels.parquet"),
            )
        }),
        case(
            "explain_held_out_customer",
            "explain --segments [TMP]/holdout.parquet --customer c03",
        )
        .prepare(|s| {
            crate::explain::run_to(
                &repo("tests/fixtures/holdout/config.yaml"),
                &[],
                &s.path("holdout.parquet"),
            )
        }),
        case(
            "backtest_fixture",
            "backtest --config tests/fixtures/explain/config.yaml --as-of 2024-06-30 --horizon-days 92",
        ),
        case(
            "backtest_sample",
            "backtest --config config/rfm.yaml --as-of 2024-03-31 --horizon-days 91",
        ),
    ]
}

fn explain_and_backtest_errors() -> Vec<Case> {
    let explain = |name, args: &str| {
        case(
            name,
            &format!("explain --segments [TMP]/run.parquet {args}"),
        )
        .prepare(fixture_run)
    };
    vec![
        explain("explain_unknown_customer", "--customer c99"),
        explain("explain_group_without_group_by", "--customer c01 --group store=S1"),
        explain("explain_group_not_column_value", "--customer c01 --group S1"),
        explain("explain_without_customer", "--json"),
        case(
            "explain_customer_in_several_groups",
            "explain --segments [TMP]/stores.parquet --customer 01374",
        )
        .prepare(store_run),
        case(
            "explain_customer_not_in_the_group",
            "explain --segments [TMP]/stores.parquet --customer 01374 --group store_id=S09",
        )
        .prepare(store_run),
        case(
            "explain_unknown_group_column",
            "explain --segments [TMP]/stores.parquet --customer 01374 --group region=North",
        )
        .prepare(store_run),
        case("explain_no_provenance", "explain --segments [TMP]/plain.parquet --customer c01")
            .prepare(|s| {
                fixture_run(s);
                write_parquet(&s.path("plain.parquet"), read_parquet(&s.path("run.parquet")));
            }),
        case("explain_no_edges", "explain --segments [TMP]/old.parquet --customer c01").prepare(
            |s| {
                fixture_run(s);
                crate::explain::rewrite(
                    &s.path("run.parquet"),
                    &s.path("old.parquet"),
                    |df| df,
                    |kv| kv.retain(|(k, _)| k != "rfmseg.edges"),
                );
            },
        ),
        case(
            "explain_scores_do_not_follow_edges",
            "explain --segments [TMP]/edited.parquet --customer c03",
        )
        .prepare(|s| {
            fixture_run(s);
            crate::explain::rewrite(
                &s.path("run.parquet"),
                &s.path("edited.parquet"),
                |df| {
                    df.lazy()
                        .with_column(col("m").alias("f"))
                        .collect()
                        .unwrap()
                },
                |_| {},
            );
        }),
        case("explain_missing_file", "explain --segments [TMP]/missing.parquet --customer c01"),
        case("explain_not_parquet", "explain --segments [TMP]/notes.parquet --customer c01")
            .file("notes.parquet", "not parquet at all"),
        case(
            "backtest_horizon_past_the_last_order",
            "backtest --config tests/fixtures/explain/config.yaml --as-of 2024-06-30 --horizon-days 100",
        ),
        case(
            "backtest_as_of_after_the_last_order",
            "backtest --config tests/fixtures/explain/config.yaml --as-of 2024-12-31 --horizon-days 30",
        ),
        case(
            "backtest_horizon_zero",
            "backtest --config config/rfm.yaml --as-of 2024-03-31 --horizon-days 0",
        ),
        case("backtest_without_as_of", "backtest --config config/rfm.yaml --horizon-days 30"),
        case(
            "backtest_both_to_stdout",
            "backtest --config config/rfm.yaml --as-of 2024-03-31 --horizon-days 30 --json - --html -",
        ),
    ]
}

/// Every table of cases.
/// `run --state`'s refusals.
fn state_errors() -> Vec<Case> {
    const LINES: &str =
        "customer_id,order_date,amount,order_id\n001,2024-06-01,10,a\n002,2024-06-02,5,b\n";
    const CONFIG: &str = "input:\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nanalysis:\n  frequency: orders\nsegments:\n  rules:\n    - {name: Top, r: [4, 5]}\n";
    /// A state in `[TMP]/state` with `d1.csv` folded under `c.yaml`.
    fn folded(s: &Scratch) {
        let out = crate::util::rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(s.path("c.yaml"))
            .arg("--state")
            .arg(s.path("state"))
            .arg("--input")
            .arg(s.path("d1.csv"))
            .arg("--output")
            .arg(s.path("out.parquet"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let run = "run --config [TMP]/c.yaml --state [TMP]/state --output [TMP]/out.parquet";
    vec![
        case("state_is_a_file", run)
            .file("c.yaml", CONFIG)
            .file("state", "not a folder"),
        case("state_folder_of_other_files", &format!("{run} --input [TMP]/d1.csv"))
            .file("c.yaml", CONFIG)
            .file("d1.csv", LINES)
            .file("state/notes.txt", "mine"),
        case("state_new_without_input", run).file("c.yaml", CONFIG),
        case(
            "state_depends_changed",
            "run --config [TMP]/lines.yaml --state [TMP]/state --output [TMP]/out.parquet --input [TMP]/d1.csv",
        )
        .file("c.yaml", CONFIG)
        .file("d1.csv", LINES)
        .file(
            "lines.yaml",
            CONFIG
                .replace("frequency: orders", "frequency: lines\n  returns: exclude"),
        )
        .prepare(folded),
        case("state_key_type_changed", &format!("{run} --input [TMP]/d2.parquet"))
            .file("c.yaml", CONFIG)
            .file("d1.csv", LINES)
            .prepare(|s| {
                folded(s);
                write_parquet(
                    &s.path("d2.parquet"),
                    df!(
                        "customer_id" => [7i64],
                        "order_date" => [chrono::NaiveDate::from_ymd_opt(2024, 6, 5).unwrap()],
                        "amount" => [3.0],
                        "order_id" => ["f"],
                    )
                    .unwrap(),
                );
            }),
        case("state_with_explain", &format!("{run} --explain --input [TMP]/d1.csv"))
            .file("c.yaml", CONFIG)
            .file("d1.csv", LINES),
        case("inspect_state_damaged", "inspect [TMP]/state")
            .file("c.yaml", CONFIG)
            .file("d1.csv", LINES)
            .prepare(|s| {
                folded(s);
                std::fs::write(s.path("state/state.json"), "{ not json").unwrap();
            }),
    ]
}

fn tables() -> Vec<Vec<Case>> {
    vec![
        state_errors(),
        help_cases(),
        command_line_errors(),
        config_errors(),
        run_usage_errors(),
        input_errors(),
        dialect_errors(),
        output_errors(),
        check_strict_failures(),
        report_errors(),
        sql_errors(),
        inspect_errors(),
        terminal_forms(),
        explain_and_backtest_forms(),
        explain_and_backtest_errors(),
    ]
}

#[test]
fn help_texts_snapshots() {
    snapshot_all(help_cases(), Ends::Ok);
}

#[test]
fn command_line_errors_snapshots() {
    snapshot_all(command_line_errors(), Ends::Fails);
}

#[test]
fn config_errors_snapshots() {
    snapshot_all(config_errors(), Ends::Fails);
}

#[test]
fn run_usage_errors_snapshots() {
    snapshot_all(run_usage_errors(), Ends::Fails);
}

#[test]
fn input_errors_snapshots() {
    snapshot_all(input_errors(), Ends::Fails);
}

#[test]
fn dialect_errors_snapshots() {
    snapshot_all(dialect_errors(), Ends::Fails);
}

#[test]
fn output_errors_snapshots() {
    snapshot_all(output_errors(), Ends::Fails);
}

#[test]
fn check_strict_failures_snapshots() {
    snapshot_all(check_strict_failures(), Ends::Fails);
}

#[test]
fn report_errors_snapshots() {
    snapshot_all(report_errors(), Ends::Fails);
}

#[test]
fn sql_errors_snapshots() {
    snapshot_all(sql_errors(), Ends::Fails);
}

#[test]
fn state_errors_snapshots() {
    snapshot_all(state_errors(), Ends::Fails);
}

#[test]
fn inspect_errors_snapshots() {
    snapshot_all(inspect_errors(), Ends::Fails);
}

#[test]
fn terminal_forms_snapshots() {
    snapshot_all(terminal_forms(), Ends::Ok);
}

#[test]
fn explain_and_backtest_forms_snapshots() {
    snapshot_all(explain_and_backtest_forms(), Ends::Ok);
}

#[test]
fn explain_and_backtest_errors_snapshots() {
    snapshot_all(explain_and_backtest_errors(), Ends::Fails);
}

#[test]
fn every_snapshot_file_has_a_case_and_names_are_unique() {
    let mut cases: Vec<&str> = tables()
        .iter()
        .flat_map(|cases| cases.iter().map(|c| c.name))
        .collect();
    let count = cases.len();
    cases.sort_unstable();
    cases.dedup();
    assert_eq!(cases.len(), count, "two cases share a name");
    let mut files: Vec<String> = std::fs::read_dir(repo("tests/cli/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".snap").map(str::to_string))
        .collect();
    files.sort();
    let stale: Vec<&String> = files
        .iter()
        .filter(|f| !cases.contains(&f.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots of no case (a case renamed or removed? delete them): {stale:?}"
    );
}
