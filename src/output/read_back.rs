//! The Parquet file an `rfmseg run` wrote, read back for `rfmseg report`: the contract's
//! columns checked up front (a file that is not a run's output is refused with the columns it
//! lacks), the group columns found (the columns before `customer_id`), and the columns the
//! report needs read once into memory (one row per customer).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};

/// A run's output, read.
#[derive(Debug, Clone)]
pub struct ScoredFile {
    /// The file as given.
    pub path: PathBuf,
    /// The group_by columns of the run (the columns before `customer_id`), in order.
    pub group_columns: Vec<String>,
    /// Group columns, customer_id, recency_days, frequency (Int64), monetary (Float64),
    /// r, f, m, rfm_score (Int32), segment (String), last_order_date (Date); `score_level`
    /// (Int32) when the run had `scoring.min_group_customers`, and `holdout` (Boolean) when
    /// the run drew one.
    pub data: DataFrame,
    /// True when the file has `score_level`.
    pub score_level: bool,
    /// The as_of in the file's provenance (None: the footer has no rfmseg provenance, or the
    /// run scored no one).
    pub as_of: Option<NaiveDate>,
    /// True when the file has the `holdout` column (`output.holdout`).
    pub holdout: bool,
}

impl ScoredFile {
    /// The key of a customer: the group columns, then customer_id.
    pub fn key_columns(&self) -> Vec<String> {
        let mut keys = self.group_columns.clone();
        keys.push(CUSTOMER_ID.to_string());
        keys
    }
}

/// What a column must hold to be used by the report.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Integer,
    Number,
    Text,
    Date,
    Flag,
}

/// The columns the report reads and the type each is read as.
const READ: [(&str, Expect, DataType); 9] = [
    (RECENCY_DAYS, Expect::Integer, DataType::Int64),
    (FREQUENCY, Expect::Integer, DataType::Int64),
    (MONETARY, Expect::Number, DataType::Float64),
    (R, Expect::Integer, DataType::Int32),
    (F, Expect::Integer, DataType::Int32),
    (M, Expect::Integer, DataType::Int32),
    (RFM_SCORE, Expect::Integer, DataType::Int32),
    (SEGMENT, Expect::Text, DataType::String),
    (LAST_ORDER_DATE, Expect::Date, DataType::Date),
];

/// The optional column the report reads when a file has it.
const HOLDOUT_READ: (&str, Expect, DataType) = (HOLDOUT, Expect::Flag, DataType::Boolean);

const FIX: &str =
    "give the Parquet file `rfmseg run` wrote (its --output, or output.path in its config)";

/// Read the run output at `path`, refusing anything that is not one.
pub fn read_scored(path: &Path) -> Result<ScoredFile> {
    let fail = |message: String| Error::ScoredFile {
        path: path.to_path_buf(),
        message,
    };
    if path.is_dir() {
        return Err(fail(format!("is a folder; {FIX}")));
    }
    if !path.exists() {
        return Err(fail(format!("does not exist; {FIX}")));
    }
    let target = PlRefPath::new(path.to_string_lossy().as_ref());
    let args = ScanArgsParquet {
        glob: false,
        ..Default::default()
    };
    let unreadable = |e: PolarsError| {
        let first = e.to_string().lines().next().unwrap_or_default().to_string();
        fail(format!("cannot be read as Parquet ({first}); {FIX}"))
    };
    let mut lf = LazyFrame::scan_parquet(target, args).map_err(unreadable)?;
    let schema = lf.collect_schema().map_err(unreadable)?;
    let group_columns = check_schema(&schema).map_err(fail)?;
    let mut select: Vec<Expr> = group_columns
        .iter()
        .map(|g| col(g.as_str()))
        .chain([col(CUSTOMER_ID)])
        .collect();
    let holdout = schema.get(HOLDOUT).is_some();
    select.extend(
        READ.iter()
            .chain(holdout.then_some(&HOLDOUT_READ))
            .map(|(name, _, dt)| col(*name).cast(dt.clone())),
    );
    // After customer_id (a group column may have any name).
    let score_level = match schema
        .get(SCORE_LEVEL)
        .filter(|_| !group_columns.iter().any(|g| g == SCORE_LEVEL))
    {
        None => false,
        Some(dtype) if dtype.is_integer() => true,
        Some(dtype) => {
            return Err(fail(format!(
                "is not an rfmseg run output: \"{SCORE_LEVEL}\" is {dtype}, not an integer; {FIX}"
            )))
        }
    };
    if score_level {
        select.push(col(SCORE_LEVEL).cast(DataType::Int32));
    }
    let data = lf.select(select).collect().map_err(unreadable)?;
    // A file another tool wrote (or an old one) has no provenance: as_of stays unknown here.
    let as_of = super::footer::read(path)
        .ok()
        .and_then(|f| f.provenance().ok())
        .and_then(|p| p.as_of)
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    Ok(ScoredFile {
        path: path.to_path_buf(),
        group_columns,
        data,
        score_level,
        as_of,
        holdout,
    })
}

/// One customer's row of a run output, for `rfmseg explain`.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    /// The group_by columns of the run, in order.
    pub group_columns: Vec<String>,
    /// The customer's group values as text (as polars casts them), in group column order.
    pub group_values: Vec<Option<String>>,
    /// The row: every column of the file, with the file's types.
    pub row: DataFrame,
}

/// The row of customer `customer` (compared as text: "00042" is not "42") in the run output
/// at `path`, in the group that `groups` (column, value as text) selects. An unknown
/// customer, a group filter that leaves no row, or a customer in several groups with no
/// filter to choose one, is an error that names what the file holds.
pub fn read_customer(
    path: &Path,
    customer: &str,
    groups: &[(String, String)],
) -> Result<CustomerRow> {
    let fail = |message: String| Error::ScoredFile {
        path: path.to_path_buf(),
        message,
    };
    if path.is_dir() {
        return Err(fail(format!("is a folder; {FIX}")));
    }
    if !path.exists() {
        return Err(fail(format!("does not exist; {FIX}")));
    }
    let target = PlRefPath::new(path.to_string_lossy().as_ref());
    let args = ScanArgsParquet {
        glob: false,
        ..Default::default()
    };
    let unreadable = |e: PolarsError| {
        let first = e.to_string().lines().next().unwrap_or_default().to_string();
        fail(format!("cannot be read as Parquet ({first}); {FIX}"))
    };
    let mut lf = LazyFrame::scan_parquet(target, args).map_err(unreadable)?;
    let schema = lf.collect_schema().map_err(unreadable)?;
    let group_columns = check_schema(&schema).map_err(fail)?;
    for (column, _) in groups {
        if !group_columns.contains(column) {
            let names: Vec<&str> = group_columns.iter().map(String::as_str).collect();
            return Err(Error::Usage(if names.is_empty() {
                format!(
                    "--group {column}=...: {} has no group columns (its run had no group_by); leave --group out",
                    path.display()
                )
            } else {
                format!(
                    "--group {column}=...: {} has the group columns {}; write --group COLUMN=VALUE with one of them",
                    path.display(),
                    quoted(&names)
                )
            }));
        }
    }
    const TEXT: &str = "__group_text_";
    let as_text = |c: &str| col(c).cast(DataType::String);
    let rows = lf
        .clone()
        .filter(as_text(CUSTOMER_ID).eq(lit(customer)))
        .with_columns(
            group_columns
                .iter()
                .map(|g| as_text(g).alias(format!("{TEXT}{g}")))
                .collect::<Vec<_>>(),
        )
        .collect()
        .map_err(unreadable)?;
    let group_text = |df: &DataFrame, row: usize| -> Vec<Option<String>> {
        group_columns
            .iter()
            .map(|g| {
                df.column(&format!("{TEXT}{g}"))
                    .ok()
                    .and_then(|c| c.str().ok().and_then(|s| s.get(row).map(str::to_string)))
            })
            .collect()
    };
    let describe = |values: &[Option<String>]| -> String {
        group_columns
            .iter()
            .zip(values)
            .map(|(g, v)| format!("{g}={}", v.as_deref().unwrap_or("null")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<Vec<Option<String>>> = (0..rows.height()).map(|r| group_text(&rows, r)).collect();
    if all.is_empty() {
        let customers = lf
            .select([len()])
            .collect()
            .ok()
            .and_then(|df| df.column("len").ok()?.get(0).ok()?.extract::<u64>())
            .unwrap_or(0);
        return Err(fail(format!(
            "has no customer {customer:?} ({customers} customers); customer ids are compared as text, as the run wrote them (\"00042\" is not \"42\")"
        )));
    }
    let chosen: Vec<usize> = (0..all.len())
        .filter(|&r| {
            groups.iter().all(|(column, value)| {
                let i = group_columns
                    .iter()
                    .position(|g| g == column)
                    .expect("checked above");
                all[r][i].as_deref() == Some(value.as_str())
            })
        })
        .collect();
    let listed = all
        .iter()
        .map(|v| describe(v))
        .collect::<Vec<_>>()
        .join("; ");
    let asked = groups
        .iter()
        .map(|(c, v)| format!("{c}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    match chosen.as_slice() {
        [] => Err(fail(format!(
            "has no customer {customer:?} in {asked}; it is in {listed}"
        ))),
        [one] => {
            let index = IdxCa::from_vec(PlSmallStr::EMPTY, vec![*one as IdxSize]);
            let names: Vec<PlSmallStr> = schema.iter_names().cloned().collect();
            let row = rows
                .select(names)
                .and_then(|df| df.take(&index))
                .map_err(unreadable)?;
            Ok(CustomerRow {
                group_values: all[*one].clone(),
                group_columns,
                row,
            })
        }
        many => {
            let example = describe(&all[many[0]]).replace(", ", " --group ");
            Err(Error::Usage(format!(
                "customer {customer:?} is in {} groups of {} ({}); choose one with --group, e.g. --group {example}",
                many.len(),
                path.display(),
                many.iter().map(|&r| describe(&all[r])).collect::<Vec<_>>().join("; ")
            )))
        }
    }
}

/// The group columns of a run output's schema, or what is wrong with it.
fn check_schema(schema: &Schema) -> std::result::Result<Vec<String>, String> {
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let missing: Vec<&str> = OUTPUT_COLUMNS
        .iter()
        .copied()
        .filter(|c| !names.contains(c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "is not an rfmseg run output: it lacks the column{} {} (it has {}); a run writes the group_by columns, then {}; {FIX}",
            if missing.len() == 1 { "" } else { "s" },
            quoted(&missing),
            quoted(&names),
            OUTPUT_COLUMNS.join(", "),
        ));
    }
    let wrong: Vec<String> = READ
        .iter()
        .chain([&HOLDOUT_READ])
        .filter_map(|(name, expect, _)| {
            let dtype = schema.get(name)?;
            let ok = match expect {
                Expect::Integer => dtype.is_integer(),
                Expect::Number => dtype.is_primitive_numeric(),
                Expect::Text => matches!(
                    dtype,
                    DataType::String | DataType::Categorical(..) | DataType::Enum(..)
                ),
                Expect::Date => matches!(dtype, DataType::Date),
                Expect::Flag => matches!(dtype, DataType::Boolean),
            };
            let wanted = match expect {
                Expect::Integer => "an integer",
                Expect::Number => "a number",
                Expect::Text => "text",
                Expect::Date => "a date",
                Expect::Flag => "true/false",
            };
            (!ok).then(|| format!("{name:?} is {dtype}, not {wanted}"))
        })
        .collect();
    if !wrong.is_empty() {
        return Err(format!(
            "is not an rfmseg run output: {}; {FIX}",
            wrong.join(", ")
        ));
    }
    let customer = names
        .iter()
        .position(|n| *n == CUSTOMER_ID)
        .expect("customer_id is present: checked above");
    Ok(names[..customer].iter().map(|n| n.to_string()).collect())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rollup files of a saved state (`run --state`), as one LazyFrame of their rows.
pub fn scan_rollups(paths: &[PathBuf]) -> Result<LazyFrame> {
    let frames = paths
        .iter()
        .map(|path| {
            let target = PlRefPath::new(path.to_string_lossy().as_ref());
            let args = ScanArgsParquet {
                glob: false,
                ..Default::default()
            };
            LazyFrame::scan_parquet(target, args).map_err(|e| Error::Output {
                path: path.clone(),
                message: format!("cannot read the state's rollup file: {e}"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    concat(frames, UnionArgs::default()).map_err(Error::engine("reading the state's rollups"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(columns: &[(String, DataType)]) -> Schema {
        columns
            .iter()
            .map(|(n, dt)| Field::new(n.as_str().into(), dt.clone()))
            .collect()
    }

    fn contract(groups: &[&str]) -> Vec<(String, DataType)> {
        let mut cols: Vec<(String, DataType)> = groups
            .iter()
            .map(|g| (g.to_string(), DataType::String))
            .collect();
        for c in OUTPUT_COLUMNS {
            let dt = match c {
                RECENCY_DAYS | FREQUENCY => DataType::Int64,
                MONETARY => DataType::Float64,
                FIRST_ORDER_DATE | LAST_ORDER_DATE => DataType::Date,
                R | F | M | RFM_SCORE => DataType::Int32,
                _ => DataType::String,
            };
            cols.push((c.to_string(), dt));
        }
        cols
    }

    #[test]
    fn group_columns_are_the_columns_before_customer_id() {
        assert_eq!(
            check_schema(&schema(&contract(&["region", "store"]))).unwrap(),
            ["region", "store"]
        );
        assert!(check_schema(&schema(&contract(&[]))).unwrap().is_empty());
    }

    #[test]
    fn missing_columns_are_named() {
        let mut cols = contract(&[]);
        cols.retain(|(n, _)| n != SEGMENT && n != R);
        let err = check_schema(&schema(&cols)).unwrap_err();
        assert!(
            err.contains("lacks the columns \"r\", \"segment\""),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let mut cols = contract(&[]);
        for (n, dt) in cols.iter_mut() {
            if n == FREQUENCY {
                *dt = DataType::String;
            }
        }
        let err = check_schema(&schema(&cols)).unwrap_err();
        assert!(
            err.contains("\"frequency\" is str, not an integer"),
            "{err}"
        );
    }
}
