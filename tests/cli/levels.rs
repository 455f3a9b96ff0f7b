//! `scoring.min_group_customers`: small partitions scored with their parent's edges. The
//! hand-worked fixture (tests/fixtures/min-group/README.md) asserted exactly, its thresholds
//! file reused, what `check` and `report` say about the levels, and the config's refusals.

use polars::prelude::*;

use crate::util::*;

const FIXTURE: &str = "tests/fixtures/min-group/config.yaml";

/// `rfmseg ARGS...` from the repository root, which must succeed: (stdout, stderr).
fn ok(args: &[&str]) -> (String, String) {
    let out = rfmseg().args(args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "rfmseg {args:?}:\n{stdout}{stderr}");
    (stdout, stderr)
}

/// The rows of a fixture run: (region, store_id, customer, r, f, m, rfm_cell, rfm_score,
/// score_level, segment).
type Scores = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    String,
);

fn scores(df: &DataFrame) -> Vec<Scores> {
    let s = |c: &str| strings(df, c);
    let i = |c: &str| ints(df, c);
    let (region, store, customer, cell, segment) = (
        s("region"),
        s("store_id"),
        s("customer_id"),
        s("rfm_cell"),
        s("segment"),
    );
    let (r, f, m, score, level) = (i("r"), i("f"), i("m"), i("rfm_score"), i("score_level"));
    (0..df.height())
        .map(|k| {
            (
                region[k].clone(),
                store[k].clone(),
                customer[k].clone(),
                r[k],
                f[k],
                m[k],
                cell[k].clone(),
                score[k],
                level[k],
                segment[k].clone(),
            )
        })
        .collect()
}

/// A thresholds file's entry: (level, key values, recency, frequency and monetary edges).
type Entry = (Option<u32>, Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>);

fn row(
    region: &str,
    store: &str,
    customer: &str,
    [r, f, m]: [i64; 3],
    level: i64,
    segment: &str,
) -> Scores {
    (
        region.into(),
        store.into(),
        customer.into(),
        r,
        f,
        m,
        format!("{r}{f}{m}"),
        r + f + m,
        level,
        segment.into(),
    )
}

#[test]
fn the_hand_worked_fixture_scores_three_levels_as_its_readme_says() {
    let s = Scratch::new();
    let (out, edges) = (s.path("out.parquet"), s.path("edges.yaml"));
    let (_, summary) = ok(&[
        "run",
        "--config",
        FIXTURE,
        "--output",
        out.to_str().unwrap(),
        "--thresholds-out",
        edges.to_str().unwrap(),
    ]);
    let df = read_parquet(&out);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    assert_eq!(at("score_level"), at("rfm_score") + 1, "{names:?}");
    assert_eq!(at("segment"), at("score_level") + 1, "{names:?}");
    assert_eq!(df.column("score_level").unwrap().dtype(), &DataType::Int32);
    assert_eq!(
        scores(&df),
        [
            row("North", "N1", "a1", [3, 3, 2], 2, "Best"),
            row("North", "N1", "a2", [2, 1, 1], 2, "Other"),
            row("North", "N1", "a3", [1, 2, 2], 2, "Other"),
            row("North", "N1", "a4", [1, 1, 1], 2, "Other"),
            row("North", "N2", "b1", [3, 1, 2], 1, "Recent"),
            row("North", "N2", "b2", [1, 2, 1], 1, "Other"),
            row("South", "S1", "c1", [2, 3, 1], 0, "Other"),
        ]
    );
    assert_eq!(ints(&df, "recency_days"), [0, 10, 20, 40, 5, 30, 15]);
    assert_eq!(ints(&df, "frequency"), [3, 1, 2, 1, 1, 2, 4]);
    assert_eq!(
        floats(&df, "monetary"),
        [300.0, 50.0, 120.0, 80.0, 200.0, 60.0, 90.0]
    );
    assert!(
        summary.contains("  scored within (min_group_customers: 3; level = the group_by columns of the partition whose edges scored them):\n    level 2 (region, store_id): 1 group, 4 customers\n    level 1 (region): 1 group, 2 customers, by the edges of 1 partition\n    level 0 (the whole input): 1 group, 1 customer\n"),
        "{summary}"
    );
    // Empty score levels are named by the partition whose customers lack them.
    assert!(
        summary.contains("recency score 1 (in 1 of 3 partitions: the whole input (level 0)), 2 (in 1 of 3 partitions: 1 of 1 at level 1, e.g. region=\"North\")"),
        "{summary}"
    );

    // The thresholds file: one entry per partition used, with its level.
    let t: rfmseg::settings::Thresholds =
        serde_yaml::from_str(&std::fs::read_to_string(&edges).unwrap()).unwrap();
    assert_eq!(t.min_group_customers, Some(3));
    let entries: Vec<Entry> = t
        .groups
        .iter()
        .map(|g| {
            let key = g
                .key
                .values()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            (
                g.level,
                key,
                g.recency.clone(),
                g.frequency.clone(),
                g.monetary.clone(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                Some(2),
                vec!["North".into(), "N1".into()],
                vec![0.0, 10.0],
                vec![1.0, 2.0],
                vec![100.0]
            ),
            (
                Some(1),
                vec!["North".into()],
                vec![5.0, 20.0],
                vec![1.0, 2.0],
                vec![100.0]
            ),
            (Some(0), vec![], vec![5.0, 15.0], vec![1.0, 2.0], vec![90.0]),
        ]
    );

    // Reused on the same data, the file writes the same rows.
    let frozen = std::fs::read_to_string(repo(FIXTURE)).unwrap().replace(
        "  min_group_customers: 3\n",
        &format!(
            "  min_group_customers: 3\n  thresholds_from: {}\n",
            edges.display()
        ),
    );
    let frozen = s.write("frozen.yaml", &frozen);
    let again = s.path("again.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        frozen.to_str().unwrap(),
        "--output",
        again.to_str().unwrap(),
    ]);
    assert!(read_parquet(&again).equals_missing(&df));
}

#[test]
fn without_min_group_customers_each_store_scores_alone_and_no_column_is_added() {
    let s = Scratch::new();
    let config = std::fs::read_to_string(repo(FIXTURE))
        .unwrap()
        .replace("  min_group_customers: 3\n", "");
    let config = s.write("alone.yaml", &config);
    let out = s.path("alone.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let df = read_parquet(&out);
    assert!(df.column("score_level").is_err());
    // The README's "alone" numbers: b1's r within N2 is 2, c1's r and f within S1 are 1.
    assert_eq!(ints(&df, "r"), [3, 2, 1, 1, 2, 1, 1]);
    assert_eq!(ints(&df, "f")[6], 1);
    // min_group_customers: 1 keeps every store's own edges: the same scores, level 2 each.
    let own = std::fs::read_to_string(repo(FIXTURE))
        .unwrap()
        .replace("min_group_customers: 3", "min_group_customers: 1");
    let own = s.write("own.yaml", &own);
    let out = s.path("own.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        own.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let levelled = read_parquet(&out);
    assert_eq!(ints(&levelled, "score_level"), [2; 7]);
    assert!(levelled.drop("score_level").unwrap().equals_missing(&df));
}

#[test]
fn check_and_report_say_how_many_were_scored_at_each_level() {
    let (check, _) = ok(&[
        "check",
        "--config",
        FIXTURE,
        "--input",
        "tests/fixtures/min-group/orders.csv",
    ]);
    assert!(
        check.contains("data: 7 customers scored, as_of 2024-06-30; window: all history\n  scored within (min_group_customers: 3; level = the group_by columns of the partition whose edges scored them):\n    level 2 (region, store_id): 1 group, 4 customers\n    level 1 (region): 1 group, 2 customers, by the edges of 1 partition\n    level 0 (the whole input): 1 group, 1 customer\n"),
        "{check}"
    );
    assert!(
        check.contains("    level 1 (region):\n      recency (rank, days): 5, 20\n"),
        "{check}"
    );
    assert!(
        check.contains("    level 0 (the whole input):\n      recency (rank, days): 5, 15\n      frequency (rank): 1, 2\n      monetary (quantile): 90\n"),
        "{check}"
    );
    assert!(
        check.contains("recency score 1 is empty in 1 of 3 partitions: the whole input (level 0)"),
        "{check}"
    );

    let s = Scratch::new();
    let out = s.path("out.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        FIXTURE,
        "--output",
        out.to_str().unwrap(),
    ]);
    let (report, _) = ok(&["report", "--segments", out.to_str().unwrap()]);
    assert!(
        report.contains("  scored within (score_level: the group columns of the partition whose edges scored them):\n    level 2 (region, store_id): 1 group, 4 customers\n    level 1 (region): 1 group, 2 customers, by the edges of 1 partition\n    level 0 (the whole input): 1 group, 1 customer\n"),
        "{report}"
    );
    let (json, _) = ok(&["report", "--segments", out.to_str().unwrap(), "--json", "-"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["score_levels"],
        serde_json::json!([
            {"level": 2, "columns": ["region", "store_id"], "groups": 1, "customers": 4, "partitions": 1},
            {"level": 1, "columns": ["region"], "groups": 1, "customers": 2, "partitions": 1},
            {"level": 0, "columns": [], "groups": 1, "customers": 1, "partitions": 1},
        ])
    );
    let html = s.path("report.html");
    ok(&[
        "report",
        "--segments",
        out.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("level 1 (region): 1 group, 2 customers, by the edges of 1 partition"),
        "{html}"
    );
    // A run without levels reports none.
    let alone = std::fs::read_to_string(repo(FIXTURE))
        .unwrap()
        .replace("  min_group_customers: 3\n", "");
    let alone = s.write("alone.yaml", &alone);
    let out = s.path("alone.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        alone.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let (json, _) = ok(&["report", "--segments", out.to_str().unwrap(), "--json", "-"]);
    assert!(!json.contains("score_levels"), "{json}");
    let (text, _) = ok(&["report", "--segments", out.to_str().unwrap()]);
    assert!(!text.contains("scored within"), "{text}");
}

#[test]
fn min_group_customers_needs_group_by_a_count_and_a_file_with_the_same_levels() {
    let base = "input:\n  columns: {order_id: order_id}\n";
    let rules = "segments:\n  rules:\n    - {name: A, r: 2}\n";
    // Without group_by, and not a count: both reported, placed at the key.
    fails(
        &format!("{base}scoring:\n  min_group_customers: 0\n{rules}"),
        &["data-samples/orders.csv"],
        &[],
        2,
        &[
            "2 problems in config",
            "config.yaml:4:3: scoring.min_group_customers: 0 is not a customer count",
            "config.yaml:4:3: scoring.min_group_customers: applies to the partitions of analysis.group_by, but the config has no group_by",
        ],
    );
    fails(
        &format!("{base}analysis:\n  group_by: [region, score_level]\nscoring:\n  min_group_customers: 10\n{rules}"),
        &["data-samples/orders.csv"],
        &[],
        2,
        &["analysis.group_by[1]: \"score_level\" is the output column scoring.min_group_customers adds"],
    );
    fails(
        &format!(
            "{base}analysis:\n  group_by: [region]\nscoring:\n  min_group_customers: many\n{rules}"
        ),
        &["data-samples/orders.csv"],
        &[],
        2,
        &["min_group_customers"],
    );
    // A thresholds file must carry the config's levels.
    let s = Scratch::new();
    let (plain, levelled) = (s.path("plain.yaml"), s.path("levelled.yaml"));
    let grouped = |extra: &str| {
        format!("{base}analysis:\n  group_by: [region, store_id]\nscoring:\n{extra}{rules}")
    };
    for (path, extra) in [(&plain, ""), (&levelled, "  min_group_customers: 90\n")] {
        let cfg = s.write("w.yaml", &grouped(extra));
        ok(&[
            "run",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--input",
            "data-samples/orders.csv",
            "--output",
            s.path("w.parquet").to_str().unwrap(),
            "--thresholds-out",
            path.to_str().unwrap(),
        ]);
    }
    let from = |path: &std::path::Path| format!("  thresholds_from: {}\n", path.display());
    fails(
        &grouped(&format!("  min_group_customers: 90\n{}", from(&plain))),
        &["data-samples/orders.csv"],
        &[],
        2,
        &["was written without min_group_customers (edges per group, no levels), but this config sets scoring.min_group_customers: 90"],
    );
    fails(
        &grouped(&from(&levelled)),
        &["data-samples/orders.csv"],
        &[],
        2,
        &["was written with min_group_customers: 90 (edges per level and partition); set scoring.min_group_customers: 90"],
    );
    fails(
        &grouped(&format!("  min_group_customers: 80\n{}", from(&levelled))),
        &["data-samples/orders.csv"],
        &[],
        2,
        &["was written with min_group_customers: 90, but this config sets 80; they must be equal"],
    );
    // With the same levels it reproduces the run.
    let ok_cfg = s.write(
        "ok.yaml",
        &grouped(&format!("  min_group_customers: 90\n{}", from(&levelled))),
    );
    ok(&[
        "run",
        "--quiet",
        "--config",
        ok_cfg.to_str().unwrap(),
        "--input",
        "data-samples/orders.csv",
        "--output",
        s.path("again.parquet").to_str().unwrap(),
    ]);
    assert!(
        read_parquet(&s.path("again.parquet")).equals_missing(&read_parquet(&s.path("w.parquet")))
    );
}

#[test]
fn frozen_levels_score_a_new_store_with_the_deepest_partition_the_file_has() {
    // The fixture's edges, frozen, on the fixture plus a new store N3 in North: the file has
    // no N3 but has North, so N3 is scored with North's edges (level 1). A file written with
    // min_group_customers: 1 holds the stores' own edges only: N3 finds none and the run
    // stops, naming it.
    let s = Scratch::new();
    let csv = std::fs::read_to_string(repo("tests/fixtures/min-group/orders.csv")).unwrap()
        + "O15,d1,2024-06-01,North,N3,10.00\n";
    let later = s.write("later.csv", &csv);
    let fixture = std::fs::read_to_string(repo(FIXTURE)).unwrap();
    for (min, expected) in [("3", Ok(1)), ("1", Err(()))] {
        let written = fixture.replace(
            "min_group_customers: 3",
            &format!("min_group_customers: {min}"),
        );
        let written = s.write("written.yaml", &written);
        let edges = s.path(&format!("edges-{min}.yaml"));
        ok(&[
            "run",
            "--quiet",
            "--config",
            written.to_str().unwrap(),
            "--output",
            s.path("first.parquet").to_str().unwrap(),
            "--thresholds-out",
            edges.to_str().unwrap(),
        ]);
        let frozen = std::fs::read_to_string(&written).unwrap().replace(
            "bins: 3\n",
            &format!("bins: 3\n  thresholds_from: {}\n", edges.display()),
        );
        match expected {
            Ok(level) => {
                let cfg = s.write("frozen.yaml", &frozen);
                let out = s.path("later.parquet");
                ok(&[
                    "run",
                    "--quiet",
                    "--config",
                    cfg.to_str().unwrap(),
                    "--input",
                    later.to_str().unwrap(),
                    "--output",
                    out.to_str().unwrap(),
                ]);
                let df = read_parquet(&out);
                let customers = strings(&df, "customer_id");
                let d1 = customers.iter().position(|c| c == "d1").unwrap();
                assert_eq!(ints(&df, "score_level")[d1], level);
                // The stores the file has keep their levels.
                assert_eq!(ints(&df, "score_level"), [2, 2, 2, 2, 1, 1, 1, 0]);
            }
            Err(()) => {
                fails(
                    &frozen,
                    &[later.to_str().unwrap()],
                    &[],
                    2,
                    &["scoring.thresholds_from has no edges for 1 group(s) in the data (1 customers) at any level (its own, a parent partition's or the whole input's), e.g. region=\"North\", store_id=\"N3\""],
                );
            }
        }
    }
}

#[test]
fn the_canonical_config_records_min_group_customers() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        FIXTURE,
        "--output",
        out.to_str().unwrap(),
    ]);
    let footer = footer(&out).unwrap();
    let config = &footer.key_values["rfmseg.config"];
    assert!(
        config.contains(
            "  monetary: {method: quantile, bins: 2}\n  min_group_customers: 3\nsegments:"
        ),
        "{config}"
    );
    // The canonical text is a config: it reruns the run.
    let again = s.write("canonical.yaml", config);
    let out2 = s.path("again.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        again.to_str().unwrap(),
        "--output",
        out2.to_str().unwrap(),
    ]);
    assert!(read_parquet(&out2).equals_missing(&read_parquet(&out)));
}

#[test]
fn a_group_column_named_score_level_without_min_group_customers_is_a_group_column() {
    // The name is taken only with the key: without it the run writes (and checks) and the
    // report reads the file as before.
    let s = Scratch::new();
    let input = s.write(
        "in.csv",
        "order_id,customer_id,order_date,amount,score_level\nO1,c1,2024-06-01,10,A\nO2,c2,2024-06-02,20,A\nO3,c3,2024-06-03,30,B\n",
    );
    let cfg = s.write(
        "c.yaml",
        "input:\n  columns: {order_id: order_id}\nanalysis: {group_by: [score_level]}\nsegments: {rules: [{name: A, r: 2}]}\n",
    );
    let out = s.path("out.parquet");
    ok(&[
        "run",
        "--quiet",
        "--config",
        cfg.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(strings(&read_parquet(&out), "score_level"), ["A", "A", "B"]);
    let (json, _) = ok(&["report", "--segments", out.to_str().unwrap(), "--json", "-"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["group_columns"], serde_json::json!(["score_level"]));
    assert!(json.get("score_levels").is_none(), "{json}");
}
