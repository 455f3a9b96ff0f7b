//! `rfmseg report` on the real binary: every KPI, median, share and transition of the
//! hand-checked run outputs in tests/fixtures/report (worked out in its README), grouped and
//! not, the terminal table, the HTML page (escaped, every chart, opened in a real headless
//! browser that must draw it and fetch nothing), and every refusal.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde_json::Value;

use crate::util::*;

const CONFIG: &str = "tests/fixtures/report/config.yaml";

/// Write the hand-written run output `tests/fixtures/report/{name}.csv` as Parquet with the
/// contract's column types, into the scratch folder.
pub(crate) fn run_file(s: &Scratch, name: &str) -> PathBuf {
    let csv = repo(&format!("tests/fixtures/report/{name}.csv"));
    let mut df = scan_text_csv(&csv)
        .with_columns([
            col("recency_days").cast(DataType::Int64),
            col("frequency").cast(DataType::Int64),
            col("monetary").cast(DataType::Float64),
            col("first_order_date").cast(DataType::Date),
            col("last_order_date").cast(DataType::Date),
            col("r").cast(DataType::Int32),
            col("f").cast(DataType::Int32),
            col("m").cast(DataType::Int32),
            col("rfm_score").cast(DataType::Int32),
        ])
        .collect()
        .unwrap();
    let path = s.path(&format!("{name}.parquet"));
    write(&mut df, &path);
    path
}

fn write(df: &mut DataFrame, path: &Path) {
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(df)
        .unwrap();
}

/// `rfmseg report ARGS --json -`, which must succeed, parsed.
fn report_json(args: &[&Path]) -> Value {
    let output = rfmseg()
        .arg("report")
        .args(args)
        .args(["--json", "-"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn flag(s: &str) -> &Path {
    Path::new(s)
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number in {v}"))
}

/// Assert `field` of `v` is `expected` (to 1e-12, relative).
fn close(v: &Value, field: &str, expected: f64) {
    let got = num(v, field);
    assert!(
        (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{field}: got {got}, expected {expected}"
    );
}

/// The numbers every row has, checked against a hand-computed row: customers, share,
/// revenue, revenue_share, purchases, avg_order_value, repeat_purchase_rate,
/// revenue_concentration, median_recency_days, median_frequency, median_monetary.
fn check_stats(v: &Value, expected: [f64; 11]) {
    let fields = [
        "customers",
        "share",
        "revenue",
        "revenue_share",
        "purchases",
        "avg_order_value",
        "repeat_purchase_rate",
        "revenue_concentration",
        "median_recency_days",
        "median_frequency",
        "median_monetary",
    ];
    for (field, e) in fields.iter().zip(expected) {
        close(v, field, e);
    }
}

/// The whole june run (grouped or not): see the fixture README.
fn check_june_overall(json: &Value) {
    check_stats(
        json,
        [
            6.0,
            1.0,
            1000.5,
            1.0,
            12.0,
            83.38,
            0.5,
            650.0 / 1000.5,
            27.5,
            1.5,
            135.25,
        ],
    );
}

/// The june segments in config order.
fn check_june_segments(segments: &Value) {
    let names: Vec<&str> = segments
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segment"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Champions", "Newbies", "At Risk"]);
    check_stats(
        &segments[0],
        [
            2.0,
            2.0 / 6.0,
            550.0,
            550.0 / 1000.5,
            6.0,
            91.67,
            1.0,
            400.0 / 550.0,
            7.5,
            3.0,
            275.0,
        ],
    );
    check_stats(
        &segments[1],
        [
            2.0,
            2.0 / 6.0,
            300.0,
            300.0 / 1000.5,
            2.0,
            150.0,
            0.0,
            250.0 / 300.0,
            27.5,
            1.0,
            150.0,
        ],
    );
    check_stats(
        &segments[2],
        [
            2.0,
            2.0 / 6.0,
            150.5,
            150.5 / 1000.5,
            4.0,
            37.63,
            0.5,
            120.5 / 150.5,
            145.0,
            2.0,
            75.25,
        ],
    );
}

fn transitions(json: &Value) -> Vec<(String, String, u64)> {
    // A customer absent from one run is from/to null ("-" here); anything else is a name.
    let name = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => panic!("a segment name or null, not {other}"),
    };
    json["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                name(&t["from"]),
                name(&t["to"]),
                t["customers"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The `retention` list: (segment, customers, retained, retention_rate).
pub(crate) fn segment_retention(json: &Value) -> Vec<(String, u64, u64, Option<f64>)> {
    json["retention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["segment"].as_str().unwrap().to_string(),
                r["customers"].as_u64().unwrap(),
                r["retained"].as_u64().unwrap(),
                r["retention_rate"].as_f64(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    rows.iter()
        .map(|(a, b, n)| (a.to_string(), b.to_string(), *n))
        .collect()
}

#[test]
fn report_json_matches_the_hand_computed_fixture() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = run_file(&s, "march");
    let json = report_json(&[
        flag("--segments"),
        &june,
        flag("--previous"),
        &march,
        flag("--config"),
        flag(CONFIG),
    ]);
    assert_eq!(json["format"], "rfmseg-report/2");
    assert_eq!(json["group_columns"], serde_json::json!([]));
    assert_eq!(json["money_decimals"], 2);
    check_june_overall(&json);
    check_june_segments(&json["segments"]);
    assert_eq!(
        json["segments"][0]["description"],
        "Recent, frequent, big spenders. Reward them; no discounts needed."
    );
    assert_eq!(
        json["segments"][1]["description"],
        "<b>New</b> & \"keen\" buyers"
    );
    assert_eq!(json["segments"][2]["description"], Value::Null);
    assert_eq!(json["groups"], serde_json::json!([]));
    // March's as_of, from its rows (the fixture has no footer): every row's last_order_date
    // + recency_days is 2024-03-31. Bought again after it: A, B, D; still scored: A, B, D, E.
    assert_eq!(json["previous_as_of"], "2024-03-31");
    assert_eq!(json["previous_customers"], 6);
    assert_eq!(json["retained"], 3);
    close(&json, "retention_rate", 3.0 / 6.0);
    assert_eq!(json["still_scored"], 4);
    close(&json, "still_scored_rate", 4.0 / 6.0);
    assert_eq!(json["lost"], 2);
    assert_eq!(json["gained"], 2);
    assert_eq!(
        segment_retention(&json),
        [
            ("Champions".to_string(), 2, 2, Some(1.0)),
            ("Newbies".to_string(), 2, 1, Some(0.5)),
            ("At Risk".to_string(), 1, 0, Some(0.0)),
            ("Sleepers".to_string(), 1, 0, Some(0.0)),
        ]
    );
    assert_eq!(json["rfm_score_up"], 1);
    assert_eq!(json["rfm_score_same"], 2);
    assert_eq!(json["rfm_score_down"], 1);
    assert_eq!(
        transitions(&json),
        owned(&[
            ("Champions", "Champions", 1),
            ("Champions", "At Risk", 1),
            ("Newbies", "Champions", 1),
            ("Newbies", "-", 1),
            ("At Risk", "At Risk", 1),
            ("Sleepers", "-", 1),
            ("-", "Newbies", 2),
        ])
    );
}

#[test]
fn report_json_of_grouped_runs_matches_the_hand_computed_fixture() {
    let s = Scratch::new();
    let june = run_file(&s, "grouped-june");
    let march = run_file(&s, "grouped-march");
    let json = report_json(&[
        flag("-s"),
        &june,
        flag("-p"),
        &march,
        flag("-c"),
        flag(CONFIG),
    ]);
    assert_eq!(json["group_columns"], serde_json::json!(["region"]));
    check_june_overall(&json);
    check_june_segments(&json["segments"]);
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let (east, west) = (&groups[0], &groups[1]);
    assert_eq!(east["group"], serde_json::json!({"region": "East"}));
    assert_eq!(west["group"], serde_json::json!({"region": "West"}));
    check_stats(
        east,
        [
            3.0,
            0.5,
            600.0,
            600.0 / 1000.5,
            7.0,
            85.71,
            2.0 / 3.0,
            400.0 / 600.0,
            10.0,
            2.0,
            150.0,
        ],
    );
    check_stats(
        west,
        [
            3.0,
            0.5,
            400.5,
            400.5 / 1000.5,
            5.0,
            80.1,
            1.0 / 3.0,
            250.0 / 400.5,
            90.0,
            1.0,
            120.5,
        ],
    );
    let segment_names = |g: &Value| -> Vec<String> {
        g["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["segment"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(segment_names(east), ["Champions", "Newbies"]);
    assert_eq!(segment_names(west), ["Newbies", "At Risk"]);
    let expected_segments = [
        (
            &east["segments"][0],
            [
                2.0,
                2.0 / 3.0,
                550.0,
                550.0 / 600.0,
                6.0,
                91.67,
                1.0,
                400.0 / 550.0,
                7.5,
                3.0,
                275.0,
            ],
        ),
        (
            &east["segments"][1],
            [
                1.0,
                1.0 / 3.0,
                50.0,
                50.0 / 600.0,
                1.0,
                50.0,
                0.0,
                1.0,
                40.0,
                1.0,
                50.0,
            ],
        ),
        (
            &west["segments"][0],
            [
                1.0,
                1.0 / 3.0,
                250.0,
                250.0 / 400.5,
                1.0,
                250.0,
                0.0,
                1.0,
                15.0,
                1.0,
                250.0,
            ],
        ),
        (
            &west["segments"][1],
            [
                2.0,
                2.0 / 3.0,
                150.5,
                150.5 / 400.5,
                4.0,
                37.63,
                0.5,
                120.5 / 150.5,
                145.0,
                2.0,
                75.25,
            ],
        ),
    ];
    for (row, expected) in expected_segments {
        check_stats(row, expected);
    }
    // Bought again after 2024-03-31: East A, East B, West A; still scored: those and West E.
    assert_eq!(east["previous_customers"], 3);
    assert_eq!(east["retained"], 2);
    close(east, "retention_rate", 2.0 / 3.0);
    assert_eq!(east["still_scored"], 2);
    close(east, "still_scored_rate", 2.0 / 3.0);
    assert_eq!(west["previous_customers"], 4);
    assert_eq!(west["retained"], 1);
    close(west, "retention_rate", 0.25);
    assert_eq!(west["still_scored"], 2);
    close(west, "still_scored_rate", 0.5);
    assert_eq!(json["previous_as_of"], "2024-03-31");
    assert_eq!(json["previous_customers"], 7);
    assert_eq!(json["retained"], 3);
    close(&json, "retention_rate", 3.0 / 7.0);
    assert_eq!(json["still_scored"], 4);
    close(&json, "still_scored_rate", 4.0 / 7.0);
    assert_eq!(json["lost"], 3);
    assert_eq!(json["gained"], 2);
    assert_eq!(
        segment_retention(&json),
        [
            ("Champions".to_string(), 2, 2, Some(1.0)),
            ("Newbies".to_string(), 2, 1, Some(0.5)),
            ("At Risk".to_string(), 2, 0, Some(0.0)),
            ("Sleepers".to_string(), 1, 0, Some(0.0)),
        ]
    );
    assert_eq!(
        [
            &json["rfm_score_up"],
            &json["rfm_score_same"],
            &json["rfm_score_down"]
        ],
        [1, 2, 1]
    );
    assert_eq!(
        transitions(&json),
        owned(&[
            ("Champions", "Champions", 1),
            ("Champions", "At Risk", 1),
            ("Newbies", "Champions", 1),
            ("Newbies", "-", 1),
            ("At Risk", "At Risk", 1),
            ("At Risk", "-", 1),
            ("Sleepers", "-", 1),
            ("-", "Newbies", 2),
        ])
    );
}

#[test]
fn without_config_segments_are_ordered_by_size_then_name_without_descriptions() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let json = report_json(&[flag("--segments"), &june]);
    let rows = json["segments"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["segment"].as_str().unwrap())
        .collect();
    // All three have 2 customers: by name.
    assert_eq!(names, ["At Risk", "Champions", "Newbies"]);
    assert!(rows.iter().all(|r| r["description"].is_null()));
    check_june_overall(&json);
    for key in ["transitions", "retention_rate", "previous_file"] {
        assert!(json.get(key).is_none(), "{key} without --previous");
    }
}

#[test]
fn terminal_report_prints_the_hand_computed_table() {
    let s = Scratch::new();
    run_file(&s, "june");
    run_file(&s, "march");
    let output = rfmseg()
        .current_dir(s.root())
        .args(["report", "-s", "june.parquet", "-p", "march.parquet", "-c"])
        .arg(repo(CONFIG))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let expected = [
        "june.parquet: 6 customers, revenue 1,000.50 from 12 purchases",
        "  average order value 83.38; repeat purchase rate 50.0% (customers with 2+ purchases)",
        "  revenue concentration 65.0%: the share of revenue from the top 20% of customers (2)",
        "  segment    customers  share  revenue  rev.share     AOV  recency  frequency  monetary",
        "  Champions          2  33.3%   550.00      55.0%   91.67      7.5          3    275.00",
        "  Newbies            2  33.3%   300.00      30.0%  150.00     27.5          1    150.00",
        "  At Risk            2  33.3%   150.50      15.0%   37.63      145          2     75.25",
        "  AOV: average order value (revenue / purchases); recency (days), frequency, monetary: medians",
        "compared with march.parquet (as_of 2024-03-31, 6 customers): retention 50.0% (3 bought again after 2024-03-31)",
        "  still scored 66.7% (4 in this run, 2 gone), 2 new",
        "  retention of each previous segment (customers who bought again after 2024-03-31):",
        "  previous segment  customers  bought again  retention",
        "  Champions                 2             2     100.0%",
        "  Newbies                   2             1      50.0%",
        "  At Risk                   1             0       0.0%",
        "  Sleepers                  1             0       0.0%",
        "  rfm_score of the customers in both runs: 1 up, 2 same, 1 down",
        "  customers from each previous segment (rows) to each segment now (columns):",
        "  previous \\ now  CH  NE  AR  SL  (gone)",
        "  Champions        1   -   1   -       -",
        "  Newbies          1   -   -   -       1",
        "  At Risk          -   -   1   -       -",
        "  Sleepers         -   -   -   -       1",
        "  (new)            -   2   -   -       -",
        "  CH Champions, NE Newbies, AR At Risk, SL Sleepers",
    ];
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn grouped_terminal_report_has_a_table_per_group() {
    let s = Scratch::new();
    run_file(&s, "grouped-june");
    let output = rfmseg()
        .current_dir(s.root())
        .args(["report", "-s", "grouped-june.parquet", "-c"])
        .arg(repo(CONFIG))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "region = East: 3 customers (50.0%), revenue 600.00 (60.0%) from 7 purchases",
        "  Champions          2  66.7%   550.00      91.7%   91.67      7.5          3    275.00",
        "  Newbies            1  33.3%    50.00       8.3%   50.00       40          1     50.00",
        "region = West: 3 customers (50.0%), revenue 400.50 (40.0%) from 5 purchases",
        "  Newbies            1  33.3%   250.00      62.4%  250.00       15          1    250.00",
        "  At Risk            2  66.7%   150.50      37.6%   37.63      145          2     75.25",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in:\n{stdout}"
        );
    }
}

/// The static half of "fetches nothing": no element or CSS that loads anything, and no URL
/// but the SVG namespace (a name, never fetched).
fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for needle in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        "@import",
        "url(",
        " src=",
        " href=",
        "srcset",
        "@font-face",
    ] {
        assert!(!lower.contains(needle), "the page contains {needle:?}");
    }
    let without_namespace = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in ["http:", "https:", "ftp:", "=\"//", "='//"] {
        assert!(
            !without_namespace.contains(needle),
            "the page contains {needle:?}"
        );
    }
}

#[test]
fn html_report_escapes_config_text_and_draws_every_chart() {
    let s = Scratch::new();
    let june = run_file(&s, "grouped-june");
    let march = run_file(&s, "grouped-march");
    let page = s.path("out/report.html");
    rfmseg()
        .arg("report")
        .args([
            flag("-s"),
            &june,
            flag("-p"),
            &march,
            flag("-c"),
            flag(CONFIG),
        ])
        .arg("--html")
        .arg(&page)
        .assert()
        .success()
        .stdout("")
        .stderr(format!("wrote {}\n", page.display()));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("&lt;b&gt;New&lt;/b&gt; &amp; &quot;keen&quot; buyers"));
    assert!(!html.contains("<b>New</b>"));
    // Segment shares, R x F customers and monetary, three histograms, the group mix, the
    // retention of each previous segment and the transitions.
    assert_eq!(html.matches("<svg").count(), 9);
    for heading in [
        "Segments",
        "Recency x frequency",
        "Distributions",
        "Groups: region",
        "Movement since the previous run",
    ] {
        assert!(html.contains(&format!("<h2>{heading}</h2>")), "{heading}");
    }
    for text in [
        "Retention",
        "42.9%",
        "Still scored",
        "57.1%",
        "Retention of each previous segment",
        "100.0% (2 of 2)",
        "25.0%",
        "Revenue concentration",
        "65.0%",
        "1,000.50",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert_self_contained(&html);
    assert_eq!(s.files().len(), 3, "{:?}", s.files());
}

/// Open `page` in headless `chromium`: a 1200 x 3000 screenshot to `png`, the browser's
/// network log to `netlog`. Host names resolve to nothing, so no request leaves the machine
/// even if the page asked for one; the log still records that it asked.
fn open_in_chromium(chromium: &Path, s: &Scratch, page: &Path, png: &Path, netlog: &Path) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1200,3000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            s.path("chromium-profile").display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A safety net against a browser that never exits, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed on {}", page.display());
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The URLs a page loaded from disk asked the network for: the network log's request jobs
/// whose network isolation key is the file:// site (the browser's own background requests
/// carry other keys).
fn page_requests(netlog: &Path) -> Vec<String> {
    let log: Value = serde_json::from_str(&std::fs::read_to_string(netlog).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the network log names its event types");
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

/// The pixels of an 8-bit RGB or RGBA PNG (what chromium writes for a screenshot) as RGB:
/// (width, height, pixels). A small decoder (chunks, zlib, scanline filters) over
/// miniz_oxide, which polars already builds: a PNG crate would change the features of
/// crates polars shares and cost a polars rebuild.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG file");
    let (mut width, mut height, mut channels) = (0u32, 0u32, 0usize);
    let mut data = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(body[0..4].try_into().unwrap());
                height = u32::from_be_bytes(body[4..8].try_into().unwrap());
                assert_eq!(body[8], 8, "expected 8 bits per sample");
                assert_eq!(body[12], 0, "interlaced screenshots are not expected");
                channels = match body[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("expected an RGB or RGBA screenshot, got colour type {other}"),
                };
            }
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&data).expect("PNG data inflates");
    let stride = width as usize * channels;
    assert_eq!(raw.len(), (stride + 1) * height as usize, "PNG data size");
    let mut previous = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    for line in raw.chunks(stride + 1) {
        let (filter, line) = (line[0], &line[1..]);
        let mut current = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels {
                current[i - channels] as i16
            } else {
                0
            };
            let b = previous[i] as i16;
            let c = if i >= channels {
                previous[i - channels] as i16
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("unknown PNG filter {other}"),
            };
            current[i] = line[i].wrapping_add(predicted as u8);
        }
        pixels.extend(current.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        previous = current;
    }
    (width, height, pixels)
}

/// Pixels of a screenshot: (width, height, distinct colours, share of pixels unlike the
/// top-left one, share of dark pixels).
fn picture_stats(png: &Path) -> (u32, u32, usize, f64, f64) {
    let (width, height, pixels) = decode_png(&std::fs::read(png).unwrap());
    let background = pixels[0];
    let colours: std::collections::HashSet<[u8; 3]> = pixels.iter().copied().collect();
    let n = pixels.len() as f64;
    let unlike = pixels.iter().filter(|p| **p != background).count() as f64 / n;
    let dark = pixels
        .iter()
        .filter(|p| p.iter().map(|&c| c as u32).sum::<u32>() < 300)
        .count() as f64
        / n;
    (width, height, colours.len(), unlike, dark)
}

#[test]
fn html_report_opens_in_a_headless_browser_draws_and_fetches_nothing() {
    let s = Scratch::new();
    // The bundled sample, scored by region, in June and in March.
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
    let page = s.path("report.html");
    rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("-p"), &march, flag("-c"), &config])
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 9);

    let Some(chromium) = external(
        "html_report_opens_in_a_headless_browser_draws_and_fetches_nothing",
        External::Chromium,
    ) else {
        return;
    };

    // The method sees requests: a page that asks for an image and a style sheet is caught.
    let control = s.write(
        "control.html",
        "<!DOCTYPE html><html><body><p>control</p><img src=\"http://example.invalid/a.png\"><link rel=\"stylesheet\" href=\"https://example.invalid/a.css\"></body></html>",
    );
    open_in_chromium(
        &chromium,
        &s,
        &control,
        &s.path("control.png"),
        &s.path("control-net.json"),
    );
    let asked = page_requests(&s.path("control-net.json"));
    assert!(
        asked.iter().any(|u| u == "http://example.invalid/a.png")
            && asked.iter().any(|u| u == "https://example.invalid/a.css"),
        "the network log does not show the control page's requests: {asked:?}"
    );

    let png = s.path("report.png");
    let netlog = s.path("report-net.json");
    open_in_chromium(&chromium, &s, &page, &png, &netlog);
    assert_eq!(page_requests(&netlog), Vec::<String>::new());
    let (width, height, colours, unlike, dark) = picture_stats(&png);
    assert_eq!((width, height), (1200, 3000));
    assert!(
        std::fs::metadata(&png).unwrap().len() > 50_000,
        "a tiny screenshot"
    );
    // Charts and text: many colours, a good part of the page drawn, dark ink present.
    assert!(colours > 500, "only {colours} colours: a blank page?");
    assert!(
        unlike > 0.15,
        "only {unlike:.3} of the page differs from the background"
    );
    assert!(
        dark > 0.01,
        "only {dark:.4} of the page is dark (text, bars)"
    );
}

#[test]
fn a_missing_run_file_is_named_with_the_fix() {
    rfmseg()
        .args(["report", "--segments", "out/nope.parquet"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("rfmseg: error: run file out/nope.parquet: does not exist; give the Parquet file `rfmseg run` wrote (its --output, or output.path in its config)\n");
}

#[test]
fn order_lines_are_not_a_run_output_and_the_missing_columns_are_named() {
    let assert = rfmseg()
        .args(["report", "--segments", "data-samples/orders.parquet"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for needle in [
        "run file data-samples/orders.parquet: is not an rfmseg run output",
        "lacks the columns \"recency_days\", \"frequency\", \"monetary\", \"first_order_date\", \"last_order_date\", \"r\", \"f\", \"m\", \"rfm_cell\", \"rfm_score\", \"segment\"",
        "(it has \"order_id\", ",
        "give the Parquet file `rfmseg run` wrote",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in {stderr}");
    }
}

#[test]
fn a_csv_given_as_run_file_is_not_parquet() {
    rfmseg()
        .args(["report", "--segments", "tests/fixtures/report/june.csv"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "run file tests/fixtures/report/june.csv: cannot be read as Parquet",
        ));
}

#[test]
fn runs_with_different_group_columns_are_not_compared_and_nothing_is_written() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let march = run_file(&s, "grouped-march");
    let before = s.files();
    let assert = rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("-p"), &march])
        .arg("--html")
        .arg(s.path("report.html"))
        .arg("--json")
        .arg(s.path("report.json"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!(
            "cannot compare {} (group columns []) with {} (group columns [region])",
            june.display(),
            march.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("the same analysis.group_by"), "{stderr}");
    assert_eq!(s.files(), before, "a failed report wrote a file");
}

#[test]
fn a_report_never_overwrites_the_run_it_reads() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let before = std::fs::read(&june).unwrap();
    rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("--html"), &june])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "would overwrite a run file given to read",
        ));
    assert_eq!(std::fs::read(&june).unwrap(), before);
}

#[test]
fn a_run_file_with_a_customer_twice_is_refused_when_comparing() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let mut twice = read_parquet(&june);
    let first = twice.head(Some(1));
    twice.vstack_mut(&first).unwrap();
    let doubled = s.path("doubled.parquet");
    write(&mut twice, &doubled);
    rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("-p"), &doubled])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "run file {}: has 2 rows for customer_id = \"A\"",
            doubled.display()
        )));
}

#[test]
fn customers_match_across_id_types_and_null_groups() {
    let s = Scratch::new();
    // Now: store null / id "1" and store "S1" / id "2", ids as text. Before: the same two
    // keys with ids as integers, plus store "S1" / 3. Kept 2 of 3; nobody new.
    let current = s.path("now.parquet");
    let previous = s.path("before.parquet");
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
    write(
        &mut frame(
            &[None, Some("S1")],
            Column::new("x".into(), ["1", "2"]),
            &["Low", "Low"],
        ),
        &current,
    );
    write(
        &mut frame(
            &[None, Some("S1"), Some("S1")],
            Column::new("x".into(), [1i64, 2, 3]),
            &["Low", "High", "High"],
        ),
        &previous,
    );
    let json = report_json(&[flag("-s"), &current, flag("-p"), &previous]);
    assert_eq!(json["previous_customers"], 3);
    assert_eq!(json["still_scored"], 2);
    // Nobody bought after the previous as_of (1970-01-01 + 1 day).
    assert_eq!(json["previous_as_of"], "1970-01-02");
    assert_eq!(json["retained"], 0);
    assert_eq!(json["gained"], 0);
    assert_eq!(
        transitions(&json),
        owned(&[("Low", "Low", 1), ("High", "Low", 1), ("High", "-", 1)])
    );
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups[0]["group"], serde_json::json!({"store": "S1"}));
    assert_eq!(groups[1]["group"], serde_json::json!({"store": null}));
    close(&groups[0], "still_scored_rate", 0.5);
    close(&groups[1], "still_scored_rate", 1.0);
    close(&groups[0], "retention_rate", 0.0);
}

#[test]
fn an_empty_run_reports_zeros_in_every_form() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let mut empty = read_parquet(&june).head(Some(0));
    let path = s.path("empty.parquet");
    write(&mut empty, &path);
    let json = report_json(&[flag("-s"), &path]);
    assert_eq!(json["customers"], 0);
    assert_eq!(json["revenue"], 0.0);
    for key in ["avg_order_value", "repeat_purchase_rate", "median_monetary"] {
        assert!(json[key].is_null(), "{key}");
    }
    assert_eq!(json["segments"], serde_json::json!([]));
    rfmseg()
        .arg("report")
        .args([flag("-s"), &path])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "no customers: the run scored no one",
        ));
    let page = s.path("empty.html");
    rfmseg()
        .arg("report")
        .args([flag("-s"), &path, flag("--html"), &page])
        .assert()
        .success();
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .contains("The run scored no customer."));
}

#[test]
fn outputs_that_collide_are_usage_errors() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let same = s.path("report.out");
    for (args, needle) in [
        (
            vec![flag("--html"), &same, flag("--json"), &same],
            "--html and --json both name",
        ),
        (
            vec![flag("--html"), flag("-"), flag("--json"), flag("-")],
            "would both write to stdout",
        ),
    ] {
        rfmseg()
            .arg("report")
            .args([flag("-s"), &june])
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(needle));
    }
    assert_eq!(s.files(), ["june.parquet"]);
}

#[test]
fn a_config_is_checked_and_monetary_average_is_noted() {
    let s = Scratch::new();
    let june = run_file(&s, "june");
    let bad = s.write(
        "bad.yaml",
        "segments:\n  rules:\n    - {name: X, r: [4, 9]}\n",
    );
    rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("-c"), &bad])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("range [4, 9] is outside 1..5"));
    let average = s.write(
        "average.yaml",
        "analysis: {monetary: average}\nsegments:\n  rules:\n    - {name: Champions, r: 3}\n",
    );
    rfmseg()
        .arg("report")
        .args([flag("-s"), &june, flag("-c"), &average])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "note: this run's monetary is spend per purchase (monetary: average); revenue sums it",
        ));
}
