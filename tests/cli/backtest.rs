//! `rfmseg backtest`: the hand-worked fixture (tests/fixtures/explain/README.md); on the
//! bundled sample every number against an independent count of the lines after T (the CSV
//! read as text and counted in loops here, joined with `run --as-of T`'s output), Spearman's
//! rho computed here; the scoring against `run --as-of T`'s rows; the horizon check; the HTML.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::explain::{run_to, FIXTURE};
use crate::util::*;

fn backtest_json(config: &Path, as_of: &str, days: u32) -> Value {
    let out = rfmseg()
        .args(["backtest", "--json", "-", "--config"])
        .arg(config)
        .args(["--as-of", as_of, "--horizon-days", &days.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(doc: &'a Value, list: &str, field: &str, value: &Value) -> &'a Value {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| &r[field] == value)
        .unwrap_or_else(|| panic!("no {field} {value} in {list}"))
}

#[test]
fn the_fixture_s_backtest_is_the_one_worked_out_by_hand() {
    let b = backtest_json(&repo(FIXTURE), "2024-06-30", 92);
    assert_eq!(b["format"], "rfmseg-backtest/1");
    assert_eq!(b["horizon_start"], "2024-07-01");
    assert_eq!(b["horizon_end"], "2024-09-30");
    assert_eq!(b["last_order_date"], "2024-10-01");
    assert_eq!(b["customers"], 5);
    assert_eq!(b["bought_again"], 2);
    assert_eq!(b["repeat_rate"], 0.4);
    assert_eq!(b["revenue"], 31.0, "1.005 is 100 cents: 51 + 80 - 100");
    assert_eq!(b["revenue_per_customer"], 6.2);
    assert_eq!(b["new_customers"], 1);
    assert_eq!(b["new_customers_revenue"], 40.0);
    let segments: Vec<(String, u64, u64, f64)> = b["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["segment"].as_str().unwrap().to_string(),
                s["customers"].as_u64().unwrap(),
                s["bought_again"].as_u64().unwrap(),
                s["revenue"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("Champions", 1, 1, 51.0),
        ("Loyal", 1, 1, 80.0),
        ("Big Spenders", 1, 0, -100.0),
        ("Recent", 1, 0, 0.0),
        ("Other", 1, 0, 0.0),
    ]
    .map(|(n, c, b, r)| (n.to_string(), c, b, r));
    assert_eq!(segments, expected);
    let levels: Vec<i64> = b["rfm_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rfm_score"].as_i64().unwrap())
        .collect();
    assert_eq!(levels, [4, 6, 7, 10, 12]);
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-12;
    assert!(
        close(&b["spearman_repeat_rate"], 7.5 / (75.0f64).sqrt()),
        "{b}"
    );
    assert!(
        close(&b["spearman_revenue_per_customer"], 7.0 / (95.0f64).sqrt()),
        "{b}"
    );

    // returns: exclude leaves c02's return out of the horizon's revenue too.
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo(FIXTURE)).unwrap();
    let exclude = s.write(
        "exclude.yaml",
        &text.replace(
            "  as_of: 2024-06-30\n",
            "  as_of: 2024-06-30\n  returns: exclude\n",
        ),
    );
    let b = backtest_json(&exclude, "2024-06-30", 92);
    assert_eq!(b["returns"], "exclude");
    assert_eq!(
        row(&b, "segments", "segment", &"Big Spenders".into())["revenue"],
        0.0
    );
    assert_eq!(b["revenue"], 131.0);
}

#[test]
fn a_horizon_past_the_last_order_date_is_an_error_that_names_the_days_missing() {
    let ok = backtest_json(&repo(FIXTURE), "2024-06-30", 93);
    assert_eq!(ok["horizon_end"], "2024-10-01");
    let out = rfmseg()
        .args(["backtest", "--config", FIXTURE, "--as-of", "2024-06-30"])
        .args(["--horizon-days", "95"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(
        e.contains("runs to 2024-10-03, 2 days past the input's last order date 2024-10-01")
            && e.contains("use --horizon-days 93 or fewer"),
        "{e}"
    );
}

#[test]
fn backtest_scores_exactly_as_run_as_of_t() {
    let s = Scratch::new();
    for (config, as_of) in [
        (repo("config/rfm.yaml"), "2024-03-31"),
        (repo(FIXTURE), "2024-06-30"),
    ] {
        let out = s.path("run.parquet");
        run_to(&config, &["--as-of", as_of], &out);
        let overrides = rfmseg::config::Overrides {
            as_of: Some(as_of.to_string()),
            ..Default::default()
        };
        let settings = rfmseg::config::load(&config, &overrides).unwrap();
        let rows = rfmseg::cmd::backtest::rows_as_of(&settings).unwrap();
        let written = read_parquet(&out);
        assert_eq!(rows.get_column_names(), written.get_column_names());
        assert!(rows.equals_missing(&written), "{rows}\n{written}");
    }
}

/// Ranks from 1 with ties at their average, by counting (not sorting).
fn ranks(v: &[f64]) -> Vec<f64> {
    v.iter()
        .map(|x| {
            let below = v.iter().filter(|y| *y < x).count() as f64;
            let equal = v.iter().filter(|y| *y == x).count() as f64;
            below + (equal + 1.0) / 2.0
        })
        .collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Per (group values..., customer): purchase lines and net cents of the CSV's lines in
/// (as_of, as_of + days], counted in loops.
fn count_horizon(
    csv: &Path,
    group_by: &[&str],
    as_of: chrono::NaiveDate,
    days: i64,
) -> HashMap<Vec<String>, (u64, i64)> {
    let lines = scan_text_csv(csv).collect().unwrap();
    let ids = strings(&lines, "customer_id");
    let dates = strings(&lines, "order_date");
    let amounts = strings(&lines, "amount");
    let groups: Vec<Vec<String>> = group_by.iter().map(|g| strings(&lines, g)).collect();
    let end = as_of + chrono::Duration::days(days);
    let mut out: HashMap<Vec<String>, (u64, i64)> = HashMap::new();
    for i in 0..lines.height() {
        if ids[i] == "null" || ids[i].is_empty() {
            continue;
        }
        let date = chrono::NaiveDate::parse_from_str(&dates[i], "%Y-%m-%d").unwrap();
        if date <= as_of || date > end {
            continue;
        }
        let amount: f64 = amounts[i].parse().unwrap();
        let mut key: Vec<String> = groups.iter().map(|g| g[i].clone()).collect();
        key.push(ids[i].clone());
        let e = out.entry(key).or_default();
        if amount >= 0.0 {
            e.0 += 1;
        }
        e.1 += (amount * 100.0).round() as i64;
    }
    out
}

#[test]
fn the_sample_s_backtest_equals_an_independent_count_of_the_lines_after_t() {
    let s = Scratch::new();
    let stores = s.write(
        "stores.yaml",
        &std::fs::read_to_string(repo("config/rfm.yaml"))
            .unwrap()
            .replace("# group_by: [region]", "group_by: [store_id]"),
    );
    for (config, group_by, as_of, days) in [
        (repo("config/rfm.yaml"), vec![], "2024-03-31", 91),
        (stores, vec!["store_id"], "2023-12-31", 180),
    ] {
        let b = backtest_json(&config, as_of, days);
        let out = s.path("run.parquet");
        run_to(&config, &["--as-of", as_of], &out);
        let run = read_parquet(&out);
        let t = chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
        let horizon = count_horizon(
            &repo("data-samples/orders.csv"),
            &group_by,
            t,
            i64::from(days),
        );
        let ids = strings(&run, "customer_id");
        let groups: Vec<Vec<String>> = group_by.iter().map(|g| strings(&run, g)).collect();
        let segments = strings(&run, "segment");
        let scores = ints(&run, "rfm_score");
        // Per segment and per rfm_score: customers, bought again, cents.
        let mut by_segment: HashMap<String, (u64, u64, i64)> = HashMap::new();
        let mut by_score: HashMap<i64, (u64, u64, i64)> = HashMap::new();
        let mut scored = std::collections::HashSet::new();
        for i in 0..run.height() {
            let mut key: Vec<String> = groups.iter().map(|g| g[i].clone()).collect();
            key.push(ids[i].clone());
            let (purchases, cents) = horizon.get(&key).copied().unwrap_or((0, 0));
            scored.insert(key);
            for e in [
                by_segment.entry(segments[i].clone()).or_default(),
                by_score.entry(scores[i]).or_default(),
            ] {
                e.0 += 1;
                e.1 += u64::from(purchases > 0);
                e.2 += cents;
            }
        }
        let check = |got: &Value, (customers, bought, cents): (u64, u64, i64), what: &str| {
            assert_eq!(got["customers"].as_u64(), Some(customers), "{what}");
            assert_eq!(got["bought_again"].as_u64(), Some(bought), "{what}");
            // JSON numbers read back within an ulp (serde_json's parser is not always exact).
            let near = |field: &str, want: f64| {
                let v = got[field].as_f64().unwrap();
                assert!(
                    (v - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{what}: {field} {v}, counted {want}"
                );
            };
            near("revenue", cents as f64 / 100.0);
            near("repeat_rate", bought as f64 / customers as f64);
            near(
                "revenue_per_customer",
                cents as f64 / 100.0 / customers as f64,
            );
        };
        assert_eq!(b["segments"].as_array().unwrap().len(), by_segment.len());
        for (name, counts) in &by_segment {
            check(
                row(&b, "segments", "segment", &name.as_str().into()),
                *counts,
                name,
            );
        }
        let mut levels: Vec<i64> = by_score.keys().copied().collect();
        levels.sort();
        assert_eq!(b["rfm_score_levels"].as_u64(), Some(levels.len() as u64));
        for level in &levels {
            check(
                row(&b, "rfm_scores", "rfm_score", &(*level).into()),
                by_score[level],
                &format!("rfm_score {level}"),
            );
        }
        let total = by_segment
            .values()
            .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
        check(&b, total, "overall");
        let new: Vec<&(u64, i64)> = horizon
            .iter()
            .filter(|(k, v)| v.0 > 0 && !scored.contains(*k))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(b["new_customers"].as_u64(), Some(new.len() as u64));
        let new_cents: i64 = new.iter().map(|v| v.1).sum();
        let got = b["new_customers_revenue"].as_f64().unwrap();
        assert!(
            (got - new_cents as f64 / 100.0).abs() < 1e-9,
            "{got} vs {new_cents}"
        );
        let x: Vec<f64> = levels.iter().map(|l| *l as f64).collect();
        let rate: Vec<f64> = levels
            .iter()
            .map(|l| by_score[l].1 as f64 / by_score[l].0 as f64)
            .collect();
        let per: Vec<f64> = levels
            .iter()
            .map(|l| by_score[l].2 as f64 / 100.0 / by_score[l].0 as f64)
            .collect();
        let rho = pearson(&ranks(&x), &ranks(&rate));
        let got = b["spearman_repeat_rate"].as_f64().unwrap();
        assert!((got - rho).abs() < 1e-12, "{got} vs {rho}");
        let rho = pearson(&ranks(&x), &ranks(&per));
        let got = b["spearman_revenue_per_customer"].as_f64().unwrap();
        assert!((got - rho).abs() < 1e-12, "{got} vs {rho}");
    }
}

#[test]
fn the_html_page_is_self_contained_with_both_charts() {
    let s = Scratch::new();
    let page = s.path("backtest.html");
    let json = s.path("backtest.json");
    let out = rfmseg()
        .args([
            "backtest",
            "--config",
            "config/rfm.yaml",
            "--as-of",
            "2024-03-31",
        ])
        .args(["--horizon-days", "91", "--html"])
        .arg(&page)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("wrote ") && stderr.contains("backtest.html"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for needle in [
        "Repeat rate in the horizon, by segment",
        "Revenue per customer in the horizon, by segment",
        "Can&#39;t Lose Them",
        "higher scores bought again more often",
    ] {
        assert!(html.contains(needle), "no {needle:?} in the page");
    }
    assert_eq!(html.matches("<svg").count(), 2);
    let without_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for banned in [
        "<script", "<link", "<img", "<iframe", "http:", "https:", "=\"//",
    ] {
        assert!(!without_namespace.contains(banned), "the page has {banned}");
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["customers"], 703);
    // The same path for both is refused before any work.
    let out = rfmseg()
        .args(["backtest", "-c", "config/rfm.yaml", "--as-of", "2024-03-31"])
        .args(["--horizon-days", "91", "--html"])
        .arg(&page)
        .arg("--json")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
