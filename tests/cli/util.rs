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

/// Set to `1`, a test whose outside program is missing fails instead of being skipped
/// (`.ci/run` sets it, so CI never skips one).
pub const REQUIRE_EXTERNAL: &str = "RFMSEG_REQUIRE_EXTERNAL";

/// An outside program a test needs.
#[derive(Debug, Clone, Copy)]
pub enum External {
    /// Headless chromium on PATH (Debian's `chromium`), to open the HTML report.
    Chromium,
    /// `python3` on PATH that imports duckdb, pyspark and pyarrow, and Java 17 or newer on
    /// PATH for Spark, to run the SQL of `rfmseg sql`.
    SqlEngines,
}

impl External {
    /// How to install it.
    fn enable(self) -> &'static str {
        match self {
            External::Chromium => "install it with `apt-get install chromium`",
            External::SqlEngines => {
                "install them with `pip install duckdb pyspark pyarrow` and Java 17 (`apt-get install openjdk-17-jre-headless`)"
            }
        }
    }

    /// The program to run, or what is missing.
    fn find(self) -> Result<PathBuf, String> {
        match self {
            External::Chromium => {
                on_path("chromium").ok_or_else(|| "chromium is not on PATH".into())
            }
            External::SqlEngines => {
                let mut missing = Vec::new();
                let python = on_path("python3");
                match &python {
                    None => missing.push("python3 is not on PATH".to_string()),
                    Some(python) => {
                        let import = std::process::Command::new(python)
                            .args(["-c", "import duckdb, pyspark, pyarrow"])
                            .output();
                        match import {
                            Ok(out) if out.status.success() => {}
                            Ok(out) => {
                                let err = String::from_utf8_lossy(&out.stderr);
                                let why = err.lines().last().unwrap_or("it failed").trim();
                                missing.push(format!(
                                    "python3 cannot import duckdb, pyspark and pyarrow ({why})"
                                ));
                            }
                            Err(e) => missing.push(format!("python3 does not run ({e})")),
                        }
                    }
                }
                match on_path("java") {
                    None => missing.push("java (17 or newer, for Spark) is not on PATH".into()),
                    Some(java) => {
                        match java_major(&java) {
                            Some(v) if v >= 17 => {}
                            Some(v) => missing
                                .push(format!("java is version {v}; Spark needs 17 or newer")),
                            None => missing
                                .push("`java -version` does not say which version it is".into()),
                        }
                    }
                }
                match python {
                    Some(python) if missing.is_empty() => Ok(python),
                    _ => Err(missing.join("; ")),
                }
            }
        }
    }
}

/// The program `name` in a folder of PATH, as the shell would find it.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The major version `java -version` reports (`"17.0.15"` is 17, `"1.8.0_402"` is 8).
fn java_major(java: &Path) -> Option<u32> {
    let out = std::process::Command::new(java)
        .arg("-version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.split('"').nth(1)?;
    let mut parts = version.split(['.', '_', '-', '+']);
    match parts.next()?.parse().ok()? {
        1 => parts.next()?.parse().ok(),
        major => Some(major),
    }
}

/// The outside program `what` that `test` needs. When it is missing, prints one line saying
/// the test was skipped, what is missing and how to enable it, and returns None (the test
/// then returns); with `RFMSEG_REQUIRE_EXTERNAL=1` it fails the test with that line instead.
pub fn external(test: &str, what: External) -> Option<PathBuf> {
    let missing = match what.find() {
        Ok(program) => return Some(program),
        Err(missing) => missing,
    };
    let line = format!(
        "{test}: {missing}; to run it, {}. With {REQUIRE_EXTERNAL}=1 (as .ci/run sets) this is a failure instead",
        what.enable()
    );
    if std::env::var(REQUIRE_EXTERNAL).is_ok_and(|v| v == "1") {
        panic!("not skipped ({REQUIRE_EXTERNAL}=1): {line}");
    }
    skipped(&line);
    None
}

/// Say on the terminal that a test was skipped and why: `SKIPPED {why}`. Written to stderr
/// directly, not through the test harness's capture, so a plain `cargo test` shows it.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
}

/// A config with one of every kind of problem: all must be reported at once.
pub const ALL_PROBLEMS: &str = r#"input:
  paths: [x.csv]
  colums: {}
analysis:
  returns: nett
  frequency: orders
  window_days: 0
scoring:
  method: ranked
  bins: 12
  recency: {method: fixed, thresholds: [30, 90]}
  monetary: {method: fixed, bins: 3, thresholds: [100, 50]}
segments:
  rules:
    - {name: A, r: [0, 6]}
    - {name: B}
    - {name: A, f: 5}
    - {name: C, when: "r <= 2 AND colour = 'red'"}
    - {name: D, when: "r <= (2"}
    - {name: E, cells: ["555", "565"], tier: gold}
"#;

/// Write `df` as a Parquet file at `path`, creating its folder.
pub fn write_parquet(path: &Path, mut df: DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}
