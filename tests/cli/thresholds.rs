//! `--thresholds-out` and `scoring.thresholds_from`: the edges a run used, frozen and reused.

use polars::prelude::*;

use crate::util::*;

const SAMPLE: &str = "data-samples/orders.csv";

fn config(scoring: &str, extra: &str) -> String {
    format!(
        "input:\n  columns: {{order_id: order_id}}\nanalysis:\n  group_by: [region]\nscoring:\n{scoring}{extra}segments:\n  rules:\n    - {{name: Top, r: [2, 3], f: [2, 3]}}\n    - {{name: Mid, when: \"rfm_score >= 8\"}}\n"
    )
}

fn run(s: &Scratch, cfg: &str, out: &str, extra: &[&str]) -> DataFrame {
    let cfg = s.write(&format!("{out}.yaml"), cfg);
    rfmseg()
        .args(["run", "--quiet", "--input", SAMPLE, "--config"])
        .arg(&cfg)
        .arg("--output")
        .arg(s.path(out))
        .args(extra)
        .assert()
        .success();
    read_parquet(&s.path(out))
}

#[test]
fn frozen_edges_of_a_run_reproduce_it_exactly() {
    for scoring in [
        "  method: rank\n",
        "  method: quantile\n  bins: 4\n",
        "  method: rank\n  recency: {method: fixed, thresholds: [30, 90, 180, 365]}\n  frequency: {method: quantile, bins: 3}\n  monetary: {method: fixed, bins: 3, thresholds: [50, 200]}\n",
        "  method: r-rfm\n",
        "  method: quantile\n  recency: {method: r-rfm, bins: 4}\n  monetary: {method: r-rfm, bins: 3}\n",
    ] {
        let s = Scratch::new();
        let edges = s.path("edges.yaml");
        let first = run(&s, &config(scoring, ""), "a.parquet", &["--thresholds-out", edges.to_str().unwrap()]);
        let frozen = format!("  thresholds_from: {}\n", edges.display());
        let again = run(&s, &config(scoring, &frozen), "b.parquet", &[]);
        assert!(first.equals_missing(&again), "{scoring}\n{first}\n{again}");
    }
}

#[test]
fn r_rfm_writes_the_quantiles_plus_one_passed_at_or_above() {
    // The same data scored by quantile and by r-rfm: per group and metric, r-rfm's edges are
    // quantile's plus 1, and the file says they are passed at >= (R's bins [lower, upper)).
    let s = Scratch::new();
    let read = |method: &str| -> rfmseg::settings::Thresholds {
        let edges = s.path(&format!("{method}.yaml"));
        run(
            &s,
            &config(&format!("  method: {method}\n"), ""),
            &format!("{method}.parquet"),
            &["--thresholds-out", edges.to_str().unwrap()],
        );
        serde_yaml::from_str(&std::fs::read_to_string(&edges).unwrap()).unwrap()
    };
    let (q, r) = (read("quantile"), read("r-rfm"));
    for metric in ["recency", "frequency", "monetary"] {
        let scale = r.scale(metric).unwrap();
        assert_eq!(
            (scale.method.as_str(), scale.compare.as_str()),
            ("r-rfm", ">=")
        );
        assert_eq!(q.scale(metric).unwrap().compare, ">");
    }
    assert_eq!(q.groups.len(), 4);
    for (gq, gr) in q.groups.iter().zip(&r.groups) {
        assert_eq!(gq.key, gr.key);
        for (eq, er) in [
            (&gq.recency, &gr.recency),
            (&gq.frequency, &gr.frequency),
            (&gq.monetary, &gr.monetary),
        ] {
            let plus_one: Vec<f64> = eq.iter().map(|e| e + 1.0).collect();
            assert_eq!(&plus_one, er, "{:?}", gq.key);
        }
    }
    // Scored from the file: k = 1 + #{edge : value >= edge}, recency bins + 1 - k.
    let frozen = format!("  thresholds_from: {}\n", s.path("r-rfm.yaml").display());
    let march = run(
        &s,
        &config("  method: r-rfm\n", &frozen),
        "march.parquet",
        &["--as-of", "2024-03-31"],
    );
    let regions = strings(&march, "region");
    for (value, score) in [("recency_days", "r"), ("frequency", "f"), ("monetary", "m")] {
        for ((v, got), region) in floats(&march, value)
            .iter()
            .zip(ints(&march, score))
            .zip(&regions)
        {
            let g = r
                .groups
                .iter()
                .find(|g| g.key["region"].as_str() == Some(region.as_str()))
                .unwrap();
            let edges = match score {
                "r" => &g.recency,
                "f" => &g.frequency,
                _ => &g.monetary,
            };
            let k = 1 + edges.iter().filter(|e| v >= e).count() as i64;
            let expected = if score == "r" { 6 - k } else { k };
            assert_eq!(got, expected, "{score} of value {v} in {region}");
        }
    }
}

#[test]
fn frozen_edges_score_another_period_on_the_same_scale() {
    let s = Scratch::new();
    let edges = s.path("edges.yaml");
    run(
        &s,
        &config("  method: quantile\n", ""),
        "june.parquet",
        &["--thresholds-out", edges.to_str().unwrap()],
    );
    let t: rfmseg::settings::Thresholds =
        serde_yaml::from_str(&std::fs::read_to_string(&edges).unwrap()).unwrap();
    assert_eq!(t.as_of.as_deref(), Some("2024-06-30"));
    assert_eq!(t.groups.len(), 4, "one per region");
    let frozen = format!("  thresholds_from: {}\n", edges.display());
    let march = run(
        &s,
        &config("  method: quantile\n", &frozen),
        "march.parquet",
        &["--as-of", "2024-03-31"],
    );
    // Every March score follows the June edges of its region.
    let regions = strings(&march, "region");
    let columns = [("recency_days", "r"), ("frequency", "f"), ("monetary", "m")];
    for (value, score) in columns {
        let values = floats(&march, value);
        let scores = ints(&march, score);
        for ((v, got), region) in values.iter().zip(&scores).zip(&regions) {
            let g = t
                .groups
                .iter()
                .find(|g| g.key["region"].as_str() == Some(region.as_str()))
                .unwrap();
            let edges = match score {
                "r" => &g.recency,
                "f" => &g.frequency,
                _ => &g.monetary,
            };
            let k = 1 + edges.iter().filter(|e| v > e).count() as i64;
            let expected = if score == "r" { 6 - k } else { k };
            assert_eq!(*got, expected, "{score} of value {v} in {region}");
        }
    }
}

/// Run the sample with a config that scores from `edges` (YAML text): it must fail with exit
/// 2, every needle on stderr, and no output.
fn refused(edges: &str, analysis: &str, needles: &[&str]) {
    let s = Scratch::new();
    let edges = s.write("edges.yaml", edges);
    let cfg = s.write(
        "c.yaml",
        &format!(
            "input:\n  columns: {{order_id: order_id}}\nanalysis: {analysis}\nscoring: {{thresholds_from: {}}}\nsegments: {{rules: [{{name: A, r: 2}}]}}\n",
            edges.display()
        ),
    );
    let assert = rfmseg()
        .args(["run", "--input", SAMPLE, "--config"])
        .arg(&cfg)
        .arg("--output")
        .arg(s.path("o.parquet"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!s.path("o.parquet").exists());
}

const TWO_BINS: &str = "metrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\n";

#[test]
fn a_group_without_edges_is_an_error() {
    refused(
        &format!("format: rfmseg-thresholds/1\ngroup_by: [region]\n{TWO_BINS}groups:\n  - {{key: {{region: North}}, recency: [100.0], frequency: [1.0], monetary: [50.0]}}\n"),
        "{group_by: [region]}",
        &["has no edges for 3 group(s)", "e.g. region=\"East\""],
    );
}

#[test]
fn an_unusable_thresholds_file_is_a_config_problem() {
    refused(
        &format!("format: rfmseg-thresholds/1\ngroup_by: []\n{}groups:\n  - {{key: {{}}, recency: [1.0], frequency: [1.0], monetary: [.nan]}}\n  - {{key: {{}}, recency: [1.0], frequency: [1.0], monetary: [1.0]}}\n", TWO_BINS.replace("recency: {bins: 2", "recency: {bins: 3")),
        "{group_by: [region]}",
        &[
            "scoring.thresholds_from",
            "was written for group_by [], but this config groups by [\"region\"]",
            "groups[0].recency has 1 edges; 3 bins need 2",
            "groups[0].monetary has an edge that is not a number",
            "groups[1] repeats the key of an earlier group",
        ],
    );
}

#[test]
fn groups_of_any_column_type_are_scored_and_their_edges_reproduce_the_run() {
    // Date, datetime, float and boolean group columns, one value each: scoring within that
    // one group must equal scoring without group_by, and the edges written for the group must
    // match the data again when frozen (a datetime group once matched no edges and every score
    // came out null).
    let s = Scratch::new();
    let base = s.write("base.yaml", &crate::util::config(""));
    let lines = read_parquet(&repo("data-samples/orders.parquet"));
    let n = lines.height();
    let mut with_groups = lines
        .lazy()
        .with_columns([
            lit(19_723i32).cast(DataType::Date).alias("day_group"),
            lit(1_704_112_200_000_000i64)
                .cast(DataType::Datetime(TimeUnit::Microseconds, None))
                .alias("time_group"),
            lit(0.5f64).alias("float_group"),
            lit(true).alias("bool_group"),
        ])
        .collect()
        .unwrap();
    assert_eq!(with_groups.height(), n);
    let input = s.path("lines.parquet");
    ParquetWriter::new(std::fs::File::create(&input).unwrap())
        .finish(&mut with_groups)
        .unwrap();
    let plain = run_quiet(&base, &input, &s.path("plain.parquet"));
    let scores =
        |df: &DataFrame| -> Vec<Vec<i64>> { ["r", "f", "m"].map(|c| ints(df, c)).to_vec() };
    for group in ["day_group", "time_group", "float_group", "bool_group"] {
        let (got, edges) = grouped_with_edges(&s, group, &input);
        assert_eq!(scores(&got), scores(&plain), "{group}");
        let frozen = frozen_config(&s, group, &format!("{group}-frozen"), &edges);
        let again = run_quiet(&frozen, &input, &s.path(&format!("{group}-again.parquet")));
        assert!(got.equals_missing(&again), "{group}: frozen edges differ");
    }
}

#[test]
fn integer_groups_match_the_keys_written_as_their_text_and_no_other() {
    // Integer store numbers: frozen edges reproduce the run, a key written as the quoted text
    // of the number ('7') matches store 7 as well, and a key that is other text for it ('07',
    // ' 7') matches no store, so that store has no edges and the run is refused, as when the
    // stores were compared as text.
    let s = Scratch::new();
    let lines = read_parquet(&repo("data-samples/orders.parquet"))
        .lazy()
        .with_column(
            col("store_id")
                .str()
                .slice(lit(1), lit(NULL))
                .cast(DataType::Int32)
                .alias("store_no"),
        )
        .collect()
        .unwrap();
    let input = s.path("lines.parquet");
    write_parquet(&input, lines);
    let (scored, edges) = grouped_with_edges(&s, "store_no", &input);
    let written = std::fs::read_to_string(&edges).unwrap();
    assert!(written.contains("store_no: 7"), "{written}");
    let frozen = |name: &str, text: &str| {
        let edges = s.write(&format!("{name}.edges.yaml"), text);
        frozen_config(&s, "store_no", name, &edges)
    };
    for (name, key) in [("same", "store_no: 7"), ("quoted", "store_no: '7'")] {
        let cfg = frozen(name, &written.replace("store_no: 7", key));
        let again = run_quiet(&cfg, &input, &s.path(&format!("{name}.parquet")));
        assert!(
            scored.equals_missing(&again),
            "{key}: the frozen edges differ"
        );
    }
    for key in ["store_no: '07'", "store_no: ' 7'"] {
        let cfg = frozen("other", &written.replace("store_no: 7", key));
        let assert = rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(s.path("other.parquet"))
            .assert()
            .code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains("has no edges for 1 group(s)") && stderr.contains("store_no=7"),
            "{key}: {stderr}"
        );
    }
}

/// `input` scored grouped by `group`, with `--thresholds-out`: the output and its edges file.
fn grouped_with_edges(
    s: &Scratch,
    group: &str,
    input: &std::path::Path,
) -> (DataFrame, std::path::PathBuf) {
    let grouped = s.write(
        &format!("{group}.yaml"),
        &crate::util::config(&format!("analysis: {{group_by: [{group}]}}")),
    );
    let out = s.path(&format!("{group}.parquet"));
    let edges = s.path(&format!("{group}-edges.yaml"));
    let edges_out = edges.to_str().unwrap();
    run_with(
        &["--quiet", "--thresholds-out", edges_out],
        &grouped,
        input,
        &out,
    );
    (read_parquet(&out), edges)
}

/// A config (`name`.yaml) that scores grouped by `group` with the edges of `edges`.
fn frozen_config(
    s: &Scratch,
    group: &str,
    name: &str,
    edges: &std::path::Path,
) -> std::path::PathBuf {
    s.write(
        &format!("{name}.yaml"),
        &crate::util::config(&format!(
            "analysis: {{group_by: [{group}]}}\nscoring: {{thresholds_from: {}}}",
            edges.display()
        )),
    )
}
