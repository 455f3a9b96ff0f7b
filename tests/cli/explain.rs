//! `rfmseg explain`: the hand-worked fixture (tests/fixtures/explain/README.md), and on the
//! bundled sample (data this test did not write) every explained customer checked against its
//! output row, its scores against the edges the footer stores (decoded and applied here, in
//! loops of this file), and each smallest change against a segmenter written here: it reaches
//! the segment, and one unit less of any metric it changes does not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::io::parquet::write::KeyValueMetadata;
use polars::prelude::*;
use serde_json::Value;

use crate::util::*;

pub(crate) const FIXTURE: &str = "tests/fixtures/explain/config.yaml";

/// `rfmseg run --quiet -c CONFIG [FLAGS] -o OUT`, which must succeed.
pub(crate) fn run_to(config: &Path, flags: &[&str], out: &Path) {
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(config)
        .args(flags)
        .arg("--output")
        .arg(out)
        .assert()
        .success();
}

fn explain_json(file: &Path, customer: &str, groups: &[String]) -> Value {
    let mut cmd = rfmseg();
    cmd.args(["explain", "--json", "--customer", customer, "--segments"])
        .arg(file);
    for g in groups {
        cmd.args(["--group", g]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "explain {customer}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The changes of each option of the move to `segment`, as (column, from, to).
fn moves_to(e: &Value, segment: &str) -> Vec<Vec<(String, f64, f64)>> {
    let m = e["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["segment"] == segment)
        .unwrap_or_else(|| panic!("no move to {segment}: {e}"));
    m["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["column"].as_str().unwrap().to_string(),
                        c["from"].as_f64().unwrap(),
                        c["to"].as_f64().unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

fn failed(e: &Value, rule: usize) -> Vec<String> {
    let r = &e["earlier_rules"][rule - 1];
    r["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["holds"] == false)
        .map(|c| c["condition"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_fixture_s_customers_are_explained_as_worked_out_by_hand() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    run_to(&repo(FIXTURE), &[], &out);
    let c01 = explain_json(&out, "c01", &[]);
    assert_eq!(c01["format"], "rfmseg-explain/1");
    assert_eq!(c01["segment"], "Loyal");
    assert_eq!(c01["rule"]["index"], 2);
    assert_eq!(c01["recency_days"], 10);
    assert_eq!(c01["frequency"], 3);
    assert_eq!(c01["monetary"], 300.0);
    let score = |e: &Value, k: usize| {
        let s = &e["scores"][k];
        (
            s["score"].as_u64().unwrap(),
            s["edges"].clone(),
            s["edges_passed"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        score(&c01, 0),
        (5, serde_json::json!([30.0, 90.0, 180.0, 365.0]), 0)
    );
    assert_eq!(
        score(&c01, 1),
        (3, serde_json::json!([2.0, 3.0, 5.0, 8.0]), 2)
    );
    assert_eq!(score(&c01, 2), (2, serde_json::json!([50.0, 600.0]), 1));
    assert_eq!(c01["scores"][1]["compare"], ">=");
    assert_eq!(c01["scores"][2]["method"], "rank");
    assert_eq!(failed(&c01, 1), ["f: [4, 5]", "m: [3, 3]"]);
    assert_eq!(
        moves_to(&c01, "Champions"),
        [vec![
            ("frequency".to_string(), 3.0, 5.0),
            ("monetary".to_string(), 300.0, 600.01)
        ]]
    );

    let c02 = explain_json(&out, "c02", &[]);
    assert_eq!(c02["segment"], "Big Spenders");
    let when = &c02["rule"]["conditions"][0];
    assert_eq!(when["condition"], "when: monetary >= 500");
    assert_eq!(when["value"], true);
    assert_eq!(when["values"]["monetary"], 600.0);
    assert_eq!(failed(&c02, 1), ["r: [4, 5]", "f: [4, 5]", "m: [3, 3]"]);
    assert_eq!(failed(&c02, 2), ["f: [3, 5]"]);
    assert_eq!(
        moves_to(&c02, "Champions"),
        [vec![
            ("recency_days".to_string(), 121.0, 90.0),
            ("frequency".to_string(), 1.0, 5.0),
            ("monetary".to_string(), 600.0, 600.01)
        ]]
    );
    assert_eq!(
        moves_to(&c02, "Loyal"),
        [vec![("frequency".to_string(), 1.0, 3.0)]]
    );

    let c03 = explain_json(&out, "c03", &[]);
    assert_eq!(c03["segment"], "Champions");
    assert_eq!(c03["monetary"], 1000.0);
    assert_eq!(c03["frequency"], 5, "the return line is no order");
    assert_eq!(c03["earlier_rules"], serde_json::json!([]));
    assert_eq!(c03["moves"], serde_json::json!([]));

    let c04 = explain_json(&out, "c04", &[]);
    assert_eq!(c04["segment"], "Other");
    assert_eq!(c04["rule"], Value::Null);
    assert_eq!(c04["recency_days"], 546);
    assert_eq!(c04["rfm_cell"], "121");
    assert_eq!(c04["earlier_rules"].as_array().unwrap().len(), 4);
    assert_eq!(c04["earlier_rules"][2]["conditions"][0]["value"], false);
    assert_eq!(
        moves_to(&c04, "Big Spenders"),
        [vec![("monetary".to_string(), 50.0, 500.0)]]
    );
    assert_eq!(
        moves_to(&c04, "Loyal"),
        [vec![("frequency".to_string(), 2.0, 3.0)]]
    );
    let recent = &c04["moves"][3];
    assert_eq!(recent["segment"], "Recent");
    assert_eq!(recent["reachable"], false);
    assert!(
        recent["why_not"]
            .as_str()
            .unwrap()
            .contains("every one of its cells has a score below the customer's r, f, m = 1, 2, 1"),
        "{recent}"
    );

    let c05 = explain_json(&out, "c05", &[]);
    assert_eq!(c05["segment"], "Recent");
    assert_eq!(
        moves_to(&c05, "Big Spenders"),
        [vec![("monetary".to_string(), 20.0, 500.0)]]
    );
    assert_eq!(
        moves_to(&c05, "Champions"),
        [vec![
            ("frequency".to_string(), 1.0, 5.0),
            ("monetary".to_string(), 20.0, 600.01)
        ]]
    );
}

/// The edges a footer stores, decoded here: per group key (as text, in group_by order), per
/// metric (recency, frequency, monetary), the edges (None = -inf); and the scales.
struct Edges {
    groups: BTreeMap<Vec<String>, [Vec<Option<f64>>; 3]>,
    /// (bins, compare) per metric.
    scales: [(u32, String); 3],
}

fn footer_edges(file: &Path, group_by: &[&str]) -> Edges {
    let f = footer(file).unwrap();
    let doc: Value = serde_json::from_str(&f.key_values["rfmseg.edges"]).unwrap();
    let names = ["recency", "frequency", "monetary"];
    let scales = names.map(|n| {
        let m = &doc["metrics"][n];
        (
            m["bins"].as_u64().unwrap() as u32,
            m["compare"].as_str().unwrap().to_string(),
        )
    });
    let mut groups = BTreeMap::new();
    for g in doc["groups"].as_array().unwrap() {
        let key: Vec<String> = group_by
            .iter()
            .map(|c| match &g["key"][c] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let edges = names.map(|n| {
            g[n].as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_f64())
                .collect::<Vec<_>>()
        });
        groups.insert(key, edges);
    }
    Edges { groups, scales }
}

/// The contract's rule, written again: 1 + the edges passed; recency bins - that.
fn score_of(value: f64, edges: &[Option<f64>], scale: &(u32, String), recency: bool) -> u32 {
    let passed = edges
        .iter()
        .filter(|e| match e {
            None => true,
            Some(e) if scale.1 == ">=" => value >= *e,
            Some(e) => value > *e,
        })
        .count() as u32;
    if recency {
        scale.0 - passed
    } else {
        1 + passed
    }
}

/// A customer's metrics and what the test's segmenter needs.
#[derive(Debug, Clone, Copy)]
struct Metrics {
    recency: f64,
    frequency: f64,
    monetary: f64,
}

/// The test's own segmenter: group values, scores and metrics -> segment.
type Segmenter<'a> = dyn Fn(&[String], [u32; 3], Metrics) -> String + 'a;

/// Check every `step`-th customer of `out` (scored with group_by `group_by`): explain agrees
/// with the row, the edges give the scores, and each move's options reach their segment
/// (by `segment_of`) and are minimal. Returns the customers and the options checked, and the
/// moves found unreachable.
fn check_every_customer(
    out: &Path,
    group_by: &[&str],
    step: usize,
    segment_of: &Segmenter<'_>,
) -> (usize, usize, usize) {
    let df = read_parquet(out);
    let edges = footer_edges(out, group_by);
    let ids = strings(&df, "customer_id");
    let keys: Vec<Vec<String>> = (0..df.height())
        .map(|i| {
            group_by
                .iter()
                .map(|g| strings(&df, g)[i].clone())
                .collect()
        })
        .collect();
    let (rec, freq, mon) = (
        floats(&df, "recency_days"),
        floats(&df, "frequency"),
        floats(&df, "monetary"),
    );
    let (r, f, m) = (ints(&df, "r"), ints(&df, "f"), ints(&df, "m"));
    let segments = strings(&df, "segment");
    let cells = strings(&df, "rfm_cell");
    let (mut checked, mut options, mut unreachable) = (0, 0, 0);
    for i in (0..df.height()).step_by(step) {
        let groups: Vec<String> = group_by
            .iter()
            .zip(&keys[i])
            .map(|(g, v)| format!("{g}={v}"))
            .collect();
        let e = explain_json(out, &ids[i], &groups);
        let who = format!("customer {} {:?}", ids[i], keys[i]);
        assert_eq!(e["segment"], segments[i].as_str(), "{who}");
        assert_eq!(e["rfm_cell"], cells[i].as_str(), "{who}");
        assert_eq!(e["recency_days"].as_f64(), Some(rec[i]), "{who}");
        assert_eq!(e["frequency"].as_f64(), Some(freq[i]), "{who}");
        assert_eq!(e["monetary"].as_f64(), Some(mon[i]), "{who}");
        let group = &edges.groups[&keys[i]];
        let scores = [r[i], f[i], m[i]].map(|s| s as u32);
        let values = [rec[i], freq[i], mon[i]];
        for k in 0..3 {
            assert_eq!(
                score_of(values[k], &group[k], &edges.scales[k], k == 0),
                scores[k],
                "{who}: the footer's edges do not give score {k}"
            );
            assert_eq!(
                e["scores"][k]["score"].as_u64(),
                Some(scores[k] as u64),
                "{who}"
            );
        }
        let now = Metrics {
            recency: rec[i],
            frequency: freq[i],
            monetary: mon[i],
        };
        let segment_after = |v: Metrics| {
            let s = [v.recency, v.frequency, v.monetary];
            let sc: [u32; 3] =
                std::array::from_fn(|k| score_of(s[k], &group[k], &edges.scales[k], k == 0));
            segment_of(&keys[i], sc, v)
        };
        assert_eq!(
            segment_after(now),
            segments[i],
            "{who}: the test's segmenter"
        );
        for mv in e["moves"].as_array().unwrap() {
            let target = mv["segment"].as_str().unwrap();
            unreachable += usize::from(mv["reachable"] == false);
            for option in mv["options"].as_array().unwrap() {
                options += 1;
                let mut v = now;
                for c in option["changes"].as_array().unwrap() {
                    let to = c["to"].as_f64().unwrap();
                    match c["column"].as_str().unwrap() {
                        "recency_days" => v.recency = to,
                        "frequency" => v.frequency = to,
                        _ => v.monetary = to,
                    }
                }
                assert_eq!(segment_after(v), target, "{who}: {option}");
                // One unit less of any changed metric does not reach it.
                for c in option["changes"].as_array().unwrap() {
                    let mut back = v;
                    match c["column"].as_str().unwrap() {
                        "recency_days" => back.recency += 1.0,
                        "frequency" => back.frequency -= 1.0,
                        _ => back.monetary = ((back.monetary * 100.0).round() - 1.0) / 100.0,
                    }
                    assert_ne!(
                        segment_after(back),
                        target,
                        "{who}: {option} is not the smallest ({} one unit less)",
                        c["column"]
                    );
                }
            }
        }
        checked += 1;
    }
    (checked, options, unreachable)
}

/// The cells of each rule of a cells-only config (config/rfm.yaml), in rule order.
fn cell_rules(config: &str) -> Vec<(String, Vec<String>)> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo(config)).unwrap()).unwrap();
    doc["segments"]["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["cells"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn every_explained_customer_of_the_sample_agrees_with_its_row_and_the_footer_s_edges() {
    let s = Scratch::new();
    let out = s.path("sample.parquet");
    run_to(&repo("config/rfm.yaml"), &[], &out);
    let rules = cell_rules("config/rfm.yaml");
    let segment = |_: &[String], sc: [u32; 3], _: Metrics| {
        let cell = format!("{}{}{}", sc[0], sc[1], sc[2]);
        rules
            .iter()
            .find(|(_, cells)| cells.contains(&cell))
            .map_or("Other".to_string(), |(n, _)| n.clone())
    };
    let (checked, options, unreachable) = check_every_customer(&out, &[], 20, &segment);
    assert!(
        checked >= 39 && options > 100 && unreachable > 10,
        "{checked} {options} {unreachable}"
    );

    // Per region, quantile and R's bins, a window, and `when` rules on metrics and a group.
    let config = s.write(
        "regions.yaml",
        &format!(
            "input:\n  paths: [{}]\n  columns: {{customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}}\nanalysis:\n  window_days: 540\n  group_by: [region]\nscoring:\n  method: quantile\n  bins: 4\n  frequency: {{method: r-rfm, bins: 3}}\nsegments:\n  default: Rest\n  rules:\n    - {{name: Champions, r: [4, 4], f: [3, 3], m: [3, 4]}}\n    - {{name: Big North, when: \"region = 'North' AND monetary >= 1000\"}}\n    - {{name: Loyal, cells: [\"433\", \"432\", \"333\", \"332\"]}}\n    - {{name: At Risk, when: \"r <= 2 AND frequency >= 3\"}}\n    - {{name: Regular, when: \"rfm_score >= 7 AND recency_days <= 200\"}}\n",
            repo("data-samples/orders.csv").display()
        ),
    );
    let out = s.path("regions.parquet");
    run_to(&config, &[], &out);
    let segment = |key: &[String], sc: [u32; 3], v: Metrics| {
        let [r, f, m] = sc;
        let cell = format!("{r}{f}{m}");
        if r == 4 && f == 3 && (3..=4).contains(&m) {
            "Champions"
        } else if key[0] == "North" && v.monetary >= 1000.0 {
            "Big North"
        } else if ["433", "432", "333", "332"].contains(&cell.as_str()) {
            "Loyal"
        } else if r <= 2 && v.frequency >= 3.0 {
            "At Risk"
        } else if r + f + m >= 7 && v.recency <= 200.0 {
            "Regular"
        } else {
            "Rest"
        }
        .to_string()
    };
    let (checked, options, unreachable) = check_every_customer(&out, &["region"], 15, &segment);
    assert!(
        checked >= 30 && options > 30 && unreachable > 0,
        "{checked} {options} {unreachable}"
    );
}

/// The run output `out` written again with its rows changed by `edit` and the footer's
/// key-value pairs changed by `keys`.
pub(crate) fn rewrite(
    out: &Path,
    target: &Path,
    edit: impl FnOnce(DataFrame) -> DataFrame,
    keys: impl FnOnce(&mut Vec<(String, String)>),
) {
    let mut kv: Vec<(String, String)> = footer(out)
        .unwrap()
        .key_values
        .into_iter()
        .filter(|(k, _)| k.starts_with("rfmseg."))
        .collect();
    keys(&mut kv);
    let mut df = edit(read_parquet(out));
    ParquetWriter::new(std::fs::File::create(target).unwrap())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(&mut df)
        .unwrap();
}

fn explain_fails(file: &Path, customer: &str, extra: &[&str], code: i32) -> String {
    let out = rfmseg()
        .args(["explain", "--customer", customer, "--segments"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn an_unknown_or_ambiguous_customer_and_a_file_without_edges_are_clear_errors() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    run_to(&repo(FIXTURE), &[], &out);
    let e = explain_fails(&out, "c99", &[], 1);
    assert!(e.contains("has no customer \"c99\" (5 customers)"), "{e}");
    let e = explain_fails(&out, "c01", &["--group", "store=S1"], 2);
    assert!(e.contains("no group columns"), "{e}");

    let stores = s.write(
        "stores.yaml",
        &std::fs::read_to_string(repo("config/rfm.yaml"))
            .unwrap()
            .replace("# group_by: [region]", "group_by: [store_id]")
            .replace(
                "data-samples/",
                &format!("{}/", repo("data-samples").display()),
            ),
    );
    let by_store = s.path("stores.parquet");
    run_to(&stores, &[], &by_store);
    let e = explain_fails(&by_store, "01374", &[], 2);
    assert!(
        e.contains("is in 2 groups")
            && e.contains("store_id=S02; store_id=S04")
            && e.contains("--group store_id=S02"),
        "{e}"
    );
    let e = explain_fails(&by_store, "01374", &["--group", "store_id=S09"], 1);
    assert!(
        e.contains("in store_id=S09; it is in store_id=S02; store_id=S04"),
        "{e}"
    );
    let one = explain_json(&by_store, "01374", &["store_id=S04".to_string()]);
    assert_eq!(one["group"]["store_id"], "S04");

    let plain = s.path("plain.parquet");
    write_parquet(&plain, read_parquet(&out));
    let e = explain_fails(&plain, "c01", &[], 1);
    assert!(e.contains("no rfmseg provenance"), "{e}");
    let no_edges = s.path("no-edges.parquet");
    rewrite(
        &out,
        &no_edges,
        |df| df,
        |kv| kv.retain(|(k, _)| k != "rfmseg.edges"),
    );
    let e = explain_fails(&no_edges, "c01", &[], 1);
    assert!(e.contains("has no score edges in its footer"), "{e}");
}

#[test]
fn a_file_whose_scores_do_not_follow_its_edges_is_refused() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    run_to(&repo(FIXTURE), &[], &out);
    let edited: PathBuf = s.path("edited.parquet");
    rewrite(
        &out,
        &edited,
        |df| {
            df.lazy()
                .with_column(
                    when(col("customer_id").eq(lit("c01")))
                        .then(lit(4i32))
                        .otherwise(col("r"))
                        .alias("r"),
                )
                .collect()
                .unwrap()
        },
        |_| {},
    );
    let e = explain_fails(&edited, "c01", &[], 1);
    assert!(
        e.contains("the file's scores do not follow its edges: customer c01 has r = 4, but recency_days 10"),
        "{e}"
    );
    // The other customers are untouched and still explained.
    assert_eq!(explain_json(&edited, "c02", &[])["segment"], "Big Spenders");
}

#[test]
fn frozen_edges_are_explained_from_the_footer_when_their_file_is_gone() {
    let s = Scratch::new();
    let edges = s.path("march-edges.yaml");
    let march = s.path("march.parquet");
    rfmseg()
        .args([
            "run",
            "--quiet",
            "--config",
            FIXTURE,
            "--as-of",
            "2024-03-31",
        ])
        .arg("--output")
        .arg(&march)
        .arg("--thresholds-out")
        .arg(&edges)
        .assert()
        .success();
    let march_edges: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&edges).unwrap()).unwrap();
    let text = std::fs::read_to_string(repo(FIXTURE)).unwrap().replace(
        "scoring:\n",
        &format!("scoring:\n  thresholds_from: {}\n", edges.display()),
    );
    let frozen = s.write("frozen.yaml", &text);
    let out = s.path("june.parquet");
    run_to(&frozen, &[], &out);
    std::fs::remove_file(&edges).unwrap();
    let e = explain_json(&out, "c01", &[]);
    assert_eq!(e["thresholds_from"], edges.display().to_string());
    let stored: Vec<f64> = e["scores"][2]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let from_file: Vec<f64> = march_edges["groups"][0]["monetary"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(stored, from_file, "the monetary edges are March's");
    assert_eq!(
        e["segment"],
        strings(&read_parquet(&out), "segment")[0].as_str()
    );
}

#[test]
fn a_group_scored_with_its_parent_s_edges_is_explained_with_that_level_s_edges() {
    // tests/fixtures/min-group: store N1 has its own edges (level 2), N2 its region's (level
    // 1), S1 the whole input's (level 0).
    let s = Scratch::new();
    let out = s.path("levels.parquet");
    run_to(&repo("tests/fixtures/min-group/config.yaml"), &[], &out);
    let df = read_parquet(&out);
    let f = footer(&out).unwrap();
    let doc: Value = serde_json::from_str(&f.key_values["rfmseg.edges"]).unwrap();
    assert_eq!(doc["min_group_customers"], 3);
    let group_by = ["region", "store_id"];
    let names = ["recency", "frequency", "monetary"];
    let scales = names.map(|n| {
        let m = &doc["metrics"][n];
        (
            m["bins"].as_u64().unwrap() as u32,
            m["compare"].as_str().unwrap().to_string(),
        )
    });
    let (ids, levels) = (strings(&df, "customer_id"), ints(&df, "score_level"));
    let keys: Vec<Vec<String>> = group_by.iter().map(|g| strings(&df, g)).collect();
    let scores = [ints(&df, "r"), ints(&df, "f"), ints(&df, "m")];
    let values = [
        floats(&df, "recency_days"),
        floats(&df, "frequency"),
        floats(&df, "monetary"),
    ];
    let mut seen_levels = Vec::new();
    for i in 0..df.height() {
        let level = levels[i] as usize;
        seen_levels.push(level);
        let entry = doc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| {
                g["level"].as_u64() == Some(level as u64)
                    && (0..level).all(|k| g["key"][group_by[k]] == keys[k][i].as_str())
            })
            .unwrap_or_else(|| panic!("no level {level} entry for {}", ids[i]));
        let groups: Vec<String> = (0..2)
            .map(|k| format!("{}={}", group_by[k], keys[k][i]))
            .collect();
        let e = explain_json(&out, &ids[i], &groups);
        assert_eq!(e["score_level"].as_i64(), Some(level as i64), "{}", ids[i]);
        assert_eq!(e["partition"].as_object().unwrap().len(), level, "{e}");
        for k in 0..3 {
            let edges: Vec<Option<f64>> = entry[names[k]]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64())
                .collect();
            let shown: Vec<Option<f64>> = e["scores"][k]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64())
                .collect();
            assert_eq!(shown, edges, "{} {}", ids[i], names[k]);
            assert_eq!(
                score_of(values[k][i], &edges, &scales[k], k == 0) as i64,
                scores[k][i],
                "{}: the level's edges give the row's {}",
                ids[i],
                names[k]
            );
        }
        assert_eq!(e["segment"], strings(&df, "segment")[i].as_str());
    }
    seen_levels.sort();
    seen_levels.dedup();
    assert_eq!(seen_levels, [0, 1, 2]);
}
