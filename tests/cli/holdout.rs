//! `output.holdout` on the real binary: the hand-worked fixture in tests/fixtures/holdout
//! (segments of 5, 15, 4 and 25 customers across two regions: 0.5, 1.5, 0.4 and 2.5 at 10%),
//! the held-out set against a naive reference of the documented recipe (FNV-1a 64 of the salt
//! and the keys, fmix64, the smallest hashes per segment), the same set whatever the row
//! order, file format or thread count, a new set for a new salt, the footer, and `report`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::util::*;

const CONFIG: &str = "tests/fixtures/holdout/config.yaml";
const ORDERS: &str = "tests/fixtures/holdout/orders.csv";

/// The reference hash, written again from docs/contract.md ("Holdout").
fn reference_hash(salt: &str, keys: &[Option<String>]) -> u64 {
    fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        h
    }
    let mut h = fnv(0xcbf29ce484222325, salt.as_bytes());
    for key in keys {
        h = fnv(h, &[0x1f]);
        h = match key {
            None => fnv(h, &[0x00]),
            Some(text) => fnv(fnv(h, &[0x01]), text.as_bytes()),
        };
    }
    let mut k = h;
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    k
}

/// Run the fixture's config with `share` and `salt` over `input`; the output.
fn run_holdout(s: &Scratch, input: &Path, share: &str, salt: &str, threads: &str) -> DataFrame {
    let text = std::fs::read_to_string(repo(CONFIG))
        .unwrap()
        .replace("share: 0.1", &format!("share: {share}"))
        .replace("salt: \"2025-q1\"", &format!("salt: \"{salt}\""));
    let config = s.write(&format!("config-{share}-{salt}.yaml"), &text);
    let out = s.path(&format!("out-{share}-{salt}-{threads}.parquet"));
    rfmseg()
        .env("POLARS_MAX_THREADS", threads)
        .args(["run", "--quiet", "--config"])
        .arg(&config)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    read_parquet(&out)
}

/// Customers held out, as "region/customer_id".
fn held(df: &DataFrame) -> BTreeSet<String> {
    let regions = strings(df, "region");
    let ids = strings(df, "customer_id");
    let flags = df.column("holdout").unwrap().bool().unwrap().clone();
    (0..df.height())
        .filter(|&i| flags.get(i).unwrap())
        .map(|i| format!("{}/{}", regions[i], ids[i]))
        .collect()
}

/// Held-out customers per segment.
fn per_segment(df: &DataFrame) -> BTreeMap<String, usize> {
    let segments = strings(df, "segment");
    let flags = df.column("holdout").unwrap().bool().unwrap().clone();
    let mut out = BTreeMap::new();
    for (i, s) in segments.iter().enumerate() {
        *out.entry(s.clone()).or_insert(0) += usize::from(flags.get(i).unwrap());
    }
    out
}

/// The naive reference: per segment, the round(share * n) customers with the smallest
/// (hash, output position).
fn reference(df: &DataFrame, salt: &str, share_millionths: u64) -> BTreeSet<String> {
    let regions = strings(df, "region");
    let ids = strings(df, "customer_id");
    let segments = strings(df, "segment");
    let mut by: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for i in 0..df.height() {
        let keys = [Some(regions[i].clone()), Some(ids[i].clone())];
        by.entry(segments[i].as_str())
            .or_default()
            .push((reference_hash(salt, &keys), i));
    }
    let mut out = BTreeSet::new();
    for (_, mut members) in by {
        let n = members.len() as u64;
        let k = (2 * share_millionths * n + 1_000_000) / 2_000_000;
        members.sort();
        for &(_, i) in &members[..k as usize] {
            out.insert(format!("{}/{}", regions[i], ids[i]));
        }
    }
    out
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

#[test]
fn each_segment_holds_out_its_share_rounded_half_away_from_zero() {
    let s = Scratch::new();
    let input = repo(ORDERS);
    // 10%: 0.5 -> 1, 1.5 -> 2, 0.4 -> 0, 2.5 -> 3 (the README's table).
    let out = run_holdout(&s, &input, "0.1", "2025-q1", "2");
    let names: Vec<String> = out
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names.last().unwrap(), "holdout");
    assert_eq!(names[names.len() - 2], "segment");
    assert_eq!(out.column("holdout").unwrap().dtype(), &DataType::Boolean);
    assert_eq!(
        per_segment(&out),
        counts(&[("Ones", 1), ("Twos", 2), ("Threes", 0), ("Fours", 3)])
    );
    assert_eq!(held(&out), reference(&out, "2025-q1", 100_000));
    // The fixture README lists them.
    let listed: BTreeSet<String> = [
        "East/c03", "East/c19", "East/c29", "East/c33", "West/c12", "West/c46",
    ]
    .map(String::from)
    .into();
    assert_eq!(held(&out), listed);
    // 30%: 1.5 -> 2, 4.5 -> 5, 1.2 -> 1, 7.5 -> 8.
    let out = run_holdout(&s, &input, "0.3", "2025-q1", "2");
    assert_eq!(
        per_segment(&out),
        counts(&[("Ones", 2), ("Twos", 5), ("Threes", 1), ("Fours", 8)])
    );
    assert_eq!(held(&out), reference(&out, "2025-q1", 300_000));
}

/// The fixture's lines in another order, as CSV or as Parquet.
fn shuffled(s: &Scratch, parquet: bool) -> PathBuf {
    let text = std::fs::read_to_string(repo(ORDERS)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    // A fixed permutation: every 7th line, from each start.
    let n = lines.len();
    let order: Vec<&str> = (0..7)
        .flat_map(|start| (start..n).step_by(7))
        .map(|i| lines[n - 1 - i])
        .collect();
    assert_eq!(order.len(), n);
    let csv = s.write(
        "shuffled/orders.csv",
        &format!("{header}\n{}\n", order.join("\n")),
    );
    if !parquet {
        return csv;
    }
    let df = scan_text_csv(&csv)
        .with_column(col("amount").cast(DataType::Float64))
        .collect()
        .unwrap();
    let path = s.path("shuffled/orders.parquet");
    write_parquet(&path, df);
    path
}

#[test]
fn the_set_does_not_move_with_row_order_format_or_threads_and_a_new_salt_draws_anew() {
    let s = Scratch::new();
    let base = run_holdout(&s, &repo(ORDERS), "0.1", "2025-q1", "2");
    let expected = held(&base);
    for (input, threads) in [
        (repo(ORDERS), "1"),
        (shuffled(&s, false), "1"),
        (shuffled(&s, false), "2"),
        (shuffled(&s, true), "2"),
    ] {
        let out = run_holdout(&s, &input, "0.1", "2025-q1", threads);
        assert_eq!(
            held(&out),
            expected,
            "{} with {threads} threads",
            input.display()
        );
    }
    // Another salt: the same counts, another set, and the reference agrees.
    let other = run_holdout(&s, &repo(ORDERS), "0.1", "2025-q2", "2");
    assert_eq!(per_segment(&other), per_segment(&base));
    assert_ne!(held(&other), expected);
    assert_eq!(held(&other), reference(&other, "2025-q2", 100_000));
}

#[test]
fn a_larger_input_holds_out_each_segment_s_share_by_the_reference() {
    // The bundled sample (not written for this test): 780 customers in 11 segments.
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo("config/rfm.yaml"))
        .unwrap()
        .replace(
            "output:\n",
            "output:\n  holdout: {share: 0.15, salt: \"spring\"}\n",
        );
    let config = s.write("rfm.yaml", &text);
    let out = s.path("segments.parquet");
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let df = read_parquet(&out);
    let ids = strings(&df, "customer_id");
    let segments = strings(&df, "segment");
    let flags = df.column("holdout").unwrap().bool().unwrap().clone();
    let mut by: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for i in 0..df.height() {
        by.entry(segments[i].as_str())
            .or_default()
            .push((reference_hash("spring", &[Some(ids[i].clone())]), i));
    }
    for (segment, mut members) in by {
        let n = members.len() as u64;
        // round(0.15 * n), half away from zero, in integers.
        let k = (2 * 150_000 * n + 1_000_000) / 2_000_000;
        members.sort();
        let expected: BTreeSet<usize> = members[..k as usize].iter().map(|m| m.1).collect();
        let got: BTreeSet<usize> = members
            .iter()
            .map(|m| m.1)
            .filter(|&i| flags.get(i).unwrap())
            .collect();
        assert_eq!(got, expected, "segment {segment} of {n}");
    }
}

#[test]
fn the_footer_records_the_holdout_and_inspect_shows_it() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    rfmseg()
        .args(["run", "--quiet", "--config", CONFIG, "--output"])
        .arg(&out)
        .assert()
        .success();
    let f = footer(&out).unwrap();
    assert_eq!(
        f.key_values["rfmseg.holdout"],
        r#"{"share":0.1,"salt":"2025-q1","hash":"fnv1a64-fmix64/1"}"#
    );
    assert!(f.key_values["rfmseg.config"].ends_with("  holdout: {share: 0.1, salt: \"2025-q1\"}\n"));
    let (name, dtype) = f.columns.last().unwrap();
    assert_eq!(
        (name.as_str(), dtype),
        ("holdout", &arrow_schema::DataType::Boolean)
    );
    rfmseg()
        .arg("inspect")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "holdout: share 0.1 of each segment, salt \"2025-q1\", hash fnv1a64-fmix64/1\n",
        ));
    // Without output.holdout: no column, no footer key.
    let plain = s.path("plain.parquet");
    let text = std::fs::read_to_string(repo(CONFIG))
        .unwrap()
        .replace("  holdout: {share: 0.1, salt: \"2025-q1\"}\n", "");
    let config = s.write("plain.yaml", &text);
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(&plain)
        .assert()
        .success();
    let f = footer(&plain).unwrap();
    assert!(!f.key_values.contains_key("rfmseg.holdout"));
    assert_eq!(f.columns.last().unwrap().0, "segment");
}

#[test]
fn report_shows_the_holdout_per_segment() {
    let s = Scratch::new();
    let out = s.path("out.parquet");
    rfmseg()
        .args(["run", "--quiet", "--config", CONFIG, "--output"])
        .arg(&out)
        .assert()
        .success();
    let output = rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&out)
        .args(["-c", CONFIG, "--json", "-"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["holdout"], 6);
    let per: Vec<(String, u64)> = json["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["segment"].as_str().unwrap().to_string(),
                r["holdout"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per,
        [
            ("Ones".to_string(), 1),
            ("Twos".to_string(), 2),
            ("Threes".to_string(), 0),
            ("Fours".to_string(), 3)
        ]
    );
    // Per group too: East holds c03, c19, c29, c33; West c12, c46.
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups[0]["holdout"], 4);
    assert_eq!(groups[1]["holdout"], 2);
    // A run without the column has no holdout field.
    let june = crate::report::run_file(&s, "june");
    let output = rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&june)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json.get("holdout").is_none());
    assert!(json["segments"][0].get("holdout").is_none());
    let page = s.path("report.html");
    rfmseg()
        .arg("report")
        .arg("-s")
        .arg(&out)
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<th class=\"n\">Held<br>out</th>"),
        "no holdout column"
    );
}

#[test]
fn rfmseg_sql_refuses_a_holdout_naming_the_key() {
    rfmseg()
        .args(["sql", "--config", CONFIG, "--dialect", "duckdb"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "rfmseg sql: output.holdout is not supported",
        ));
}
