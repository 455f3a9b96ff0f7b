//! Helpers: the binary, a scratch folder, reading Parquet back.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use polars::prelude::*;

/// The rfmseg binary, run from the repository root.
pub fn rfmseg() -> Command {
    let mut cmd = Command::cargo_bin("rfmseg").expect("binary built");
    cmd.current_dir(repo(""));
    cmd
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A scratch folder for one test.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Write `text` to `name` (folders created) and return its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Every file below the scratch folder, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

/// A CSV file scanned with every column as text (as rfmseg reads CSV).
pub fn scan_text_csv(path: &Path) -> LazyFrame {
    LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .finish()
        .unwrap()
}

/// Read a Parquet file back.
pub fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

/// A column as strings (nulls as "null"), for compact assertions.
pub fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap();
    (0..c.len())
        .map(|i| match c.get(i).unwrap() {
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            AnyValue::Null => "null".to_string(),
            v => v.to_string(),
        })
        .collect()
}

/// A minimal config: the sample's column mapping, rank scoring, two rules.
pub fn config(extra: &str) -> String {
    format!(
        "input:\n  columns: {{customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}}\n{extra}\nsegments:\n  rules:\n    - {{name: Top, r: [4, 5], f: [4, 5]}}\n    - {{name: Rest, when: \"rfm_score >= 3\"}}\n"
    )
}

/// `rfmseg run FLAGS... --config CONFIG --input INPUT --output OUT`, which must succeed.
pub fn run_with(
    flags: &[&str],
    config: &Path,
    input: &Path,
    out: &Path,
) -> assert_cmd::assert::Assert {
    rfmseg()
        .arg("run")
        .args(flags)
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .assert()
        .success()
}

/// `rfmseg run --quiet --config CONFIG --input INPUT --output OUT`, which must succeed; the
/// output read back.
pub fn run_quiet(config: &Path, input: &Path, out: &Path) -> DataFrame {
    run_with(&["--quiet"], config, input, out);
    read_parquet(out)
}

/// A numeric column as f64 values (no nulls expected).
pub fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

/// An integer column as i64 values (no nulls expected).
pub fn ints(df: &DataFrame, name: &str) -> Vec<i64> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

/// A Parquet footer read with the parquet crate (arrow-rs), independently of polars and of
/// rfmseg's own footer code.
pub struct TestFooter {
    pub rows: i64,
    /// (name, arrow type) of each column, from the Parquet schema alone.
    pub columns: Vec<(String, arrow_schema::DataType)>,
    pub key_values: std::collections::BTreeMap<String, String>,
}

/// Read the footer of `path`; Err when it is not a readable Parquet file.
pub fn footer(path: &Path) -> Result<TestFooter, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| e.to_string())?;
    let fm = meta.file_metadata();
    let schema = parquet::arrow::parquet_to_arrow_schema(fm.schema_descr(), None)
        .map_err(|e| e.to_string())?;
    Ok(TestFooter {
        rows: fm.num_rows(),
        columns: schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect(),
        key_values: fm
            .key_value_metadata()
            .into_iter()
            .flatten()
            .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
            .collect(),
    })
}

/// The contract's columns after the group columns, with their types as arrow-rs reads them
/// from the Parquet schema (customer_id as read from CSV: text).
pub fn contract_arrow_columns() -> Vec<(String, arrow_schema::DataType)> {
    use arrow_schema::DataType::*;
    [
        ("customer_id", Utf8),
        ("recency_days", Int64),
        ("frequency", Int64),
        ("monetary", Float64),
        ("first_order_date", Date32),
        ("last_order_date", Date32),
        ("r", Int32),
        ("f", Int32),
        ("m", Int32),
        ("rfm_cell", Utf8),
        ("rfm_score", Int32),
        ("segment", Utf8),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t))
    .collect()
}

/// The temporary files rfmseg leaves beside its targets in `dir` (`.NAME.rfmseg-tmp-*`).
pub fn temp_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".rfmseg-tmp-"))
        .collect();
    out.sort();
    out
}

/// Run with `config` text and `input`; expect exit `code`, every `needle` on stderr, a clean
/// message (one short paragraph, no panic, no internal error), and no new file in the scratch
/// folder. Returns stderr.
pub fn fails(config: &str, input: &[&str], extra: &[&str], code: i32, needles: &[&str]) -> String {
    let s = Scratch::new();
    let cfg = s.write("config.yaml", config);
    let out = s.path("out/segments.parquet");
    let mut cmd = rfmseg();
    cmd.args(["run", "--config"])
        .arg(&cfg)
        .arg("--output")
        .arg(&out);
    if !input.is_empty() {
        cmd.arg("--input").args(input);
    }
    cmd.args(extra);
    let assert = cmd.assert().code(code);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("internal"), "{stderr}");
    assert!(stderr.len() < 4096, "a message of {} bytes", stderr.len());
    assert_eq!(s.files(), ["config.yaml"], "a failed run wrote a file");
    stderr
}
