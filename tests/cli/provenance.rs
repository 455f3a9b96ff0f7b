//! Provenance in the output's Parquet footer, read back with the parquet crate (arrow-rs),
//! and `rfmseg inspect`.

use std::path::PathBuf;

use polars::prelude::*;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

use crate::util::*;

const SMALL: &str = "tests/fixtures/small/orders.csv";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The small fixture run into `segments.parquet` of a new scratch folder (as of 2024-06-30):
/// the folder, the output path and its footer.
fn small_run() -> (Scratch, PathBuf, TestFooter) {
    let s = Scratch::new();
    let out = s.path("segments.parquet");
    crate::run_ok::small_run(&["--quiet", "--as-of", "2024-06-30"], &out).success();
    let f = footer(&out).unwrap();
    (s, out, f)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn the_footer_records_version_config_as_of_inputs_rows_and_customers() {
    let (_s, out, f) = small_run();
    assert_eq!(f.rows, 3);
    assert_eq!(f.columns, contract_arrow_columns());
    let kv = &f.key_values;
    let get = |k: &str| {
        kv.get(k)
            .unwrap_or_else(|| panic!("no {k} in {:?}", kv.keys()))
            .as_str()
    };
    assert_eq!(get("rfmseg.format"), "rfmseg-provenance/1");
    assert_eq!(get("rfmseg.version"), env!("CARGO_PKG_VERSION"));
    let created = get("rfmseg.created");
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.starts_with("20"),
        "{created}"
    );
    assert_eq!(get("rfmseg.as_of"), "2024-06-30");
    assert_eq!(get("rfmseg.as_of_from_data"), "false");
    let config = get("rfmseg.config");
    assert_eq!(get("rfmseg.config_sha256"), sha256(config));
    // The resolved config: the flags' values, defaults spelled out, cells of config/rfm.yaml.
    for needle in [
        "input:\n  paths: [\"tests/fixtures/small/orders.csv\"]\n",
        "\n  as_of: 2024-06-30\n",
        "\n  frequency: orders\n",
        "\n  recency: {method: rank, bins: 5}\n",
        "\n    - name: \"Champions\"\n",
        &format!("output:\n  path: {:?}\n", out.display().to_string()),
    ] {
        assert!(config.contains(needle), "{needle:?} not in\n{config}");
    }
    let size = std::fs::metadata(repo(SMALL)).unwrap().len();
    assert_eq!(
        json(get("rfmseg.inputs")),
        json(&format!(r#"[{{"path": "{SMALL}", "bytes": {size}}}]"#))
    );
    // tests/fixtures/small/README.md: 10 lines, C1 has no customer, D1 is after as_of.
    let rows = json(get("rfmseg.rows"));
    assert_eq!(rows["read"], 10);
    assert_eq!(rows["dropped"], 1);
    assert_eq!(rows["dropped_no_customer_id"], 1);
    assert_eq!(rows["rejected"], 0);
    assert_eq!(rows["ignored_after_as_of"], 1);
    assert_eq!(
        json(get("rfmseg.customers")),
        json(r#"{"scored": 3, "not_scored": 0}"#)
    );
}

#[test]
fn the_same_config_written_differently_has_the_same_hash() {
    let s = Scratch::new();
    let a = s.write(
        "a.yaml",
        &config("analysis: {as_of: 2024-06-30}\nscoring: {method: rank}"),
    );
    // Same meaning: defaults spelled out, another layout, a comment, the as_of as a flag.
    let b = s.write(
        "b.yaml",
        "# the same run\nsegments:\n  default: Other\n  rules:\n    - name: Top\n      r: [4, 5]\n      f: [4, 5]\n    - name: Rest\n      when: \"rfm_score >= 3\"\nscoring:\n  bins: 5\ninput:\n  columns:\n    order_id: order_id\nanalysis:\n  returns: net\n",
    );
    let out = s.path("out.parquet");
    let mut hashes = Vec::new();
    for (cfg, flags) in [(&a, vec![]), (&b, vec!["--as-of", "2024-06-30"])] {
        rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(cfg)
            .args(["--input", SMALL, "--output"])
            .arg(&out)
            .args(flags)
            .assert()
            .success();
        hashes.push(footer(&out).unwrap().key_values["rfmseg.config_sha256"].clone());
    }
    assert_eq!(hashes[0], hashes[1]);
    // And a change of meaning changes it.
    let c = s.write(
        "c.yaml",
        &config("analysis: {as_of: 2024-06-30}\nscoring: {method: quantile}"),
    );
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&c)
        .args(["--input", SMALL, "--output"])
        .arg(&out)
        .assert()
        .success();
    assert_ne!(
        footer(&out).unwrap().key_values["rfmseg.config_sha256"],
        hashes[0]
    );
}

#[test]
fn the_stored_config_reruns_the_same_run() {
    let (s, out, first) = small_run();
    let data = read_parquet(&out);
    let stored = s.write("stored.yaml", &first.key_values["rfmseg.config"]);
    std::fs::remove_file(&out).unwrap();
    // No flags: inputs, as_of and output all come from the stored config.
    rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&stored)
        .assert()
        .success();
    let again = footer(&out).unwrap();
    assert_eq!(
        again.key_values["rfmseg.config_sha256"],
        first.key_values["rfmseg.config_sha256"]
    );
    assert_eq!(
        again.key_values["rfmseg.config"],
        first.key_values["rfmseg.config"]
    );
    assert!(read_parquet(&out).equals_missing(&data));
}

#[test]
fn inspect_prints_the_provenance() {
    let (_s, out, f) = small_run();
    let hash = f.key_values["rfmseg.config_sha256"].clone();
    let size = std::fs::metadata(repo(SMALL)).unwrap().len();
    let assert = rfmseg().arg("inspect").arg(&out).assert().success();
    let text = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for needle in [
        format!("{}: 3 rows, written by rfmseg {version} at 20", out.display()),
        "as_of: 2024-06-30 (given)\n".to_string(),
        format!("inputs: 1 file, {size} bytes\n"),
        format!("  {size} bytes  {SMALL}\n"),
        "rows: 10 read, 1 dropped (1 without customer_id, 0 without order_date, 0 without amount), 0 rejected\n".to_string(),
        "  ignored: 1 after as_of, 0 outside the window, 0 returns excluded\n".to_string(),
        "customers: 3 scored, 0 not scored\n".to_string(),
        format!("config sha256: {hash} (matches the text below)\n"),
        "config (canonical):\n  input:\n    paths: [\"tests/fixtures/small/orders.csv\"]\n".to_string(),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in\n{text}");
    }
    let assert = rfmseg()
        .args(["inspect", "--json"])
        .arg(&out)
        .assert()
        .success();
    let doc = json(&String::from_utf8(assert.get_output().stdout.clone()).unwrap());
    assert_eq!(doc["file"], out.display().to_string());
    assert_eq!(doc["file_rows"], 3);
    assert_eq!(doc["format"], "rfmseg-provenance/1");
    assert_eq!(doc["version"], version);
    assert_eq!(doc["as_of"], "2024-06-30");
    assert_eq!(doc["as_of_from_data"], false);
    assert_eq!(doc["config_sha256"], hash.as_str());
    assert_eq!(doc["config_sha256_matches"], true);
    assert_eq!(doc["inputs"][0]["bytes"], size);
    assert_eq!(doc["rows"]["read"], 10);
    assert_eq!(doc["rows"]["rejected"], 0);
    assert_eq!(doc["customers"]["scored"], 3);
    assert_eq!(sha256(doc["config"].as_str().unwrap()), hash);
}

#[test]
fn inspect_refuses_a_file_without_provenance() {
    let s = Scratch::new();
    let plain = s.path("plain.parquet");
    let mut df = df!("customer_id" => ["a"], "segment" => ["x"]).unwrap();
    ParquetWriter::new(std::fs::File::create(&plain).unwrap())
        .finish(&mut df)
        .unwrap();
    rfmseg()
        .arg("inspect")
        .arg(&plain)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "rfmseg: error: {}: has no rfmseg provenance",
            plain.display()
        )));
    let text = s.write("notes.parquet", "not parquet at all");
    rfmseg()
        .arg("inspect")
        .arg(&text)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a readable Parquet file"))
        .stderr(predicate::str::contains(
            "give the Parquet file rfmseg run wrote",
        ));
    rfmseg()
        .arg("inspect")
        .arg(s.path("missing.parquet"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.parquet: cannot open"));
}
