//! Small aggregated frames (a row per segment, group or cell) read into Rust values.

use polars::prelude::*;

use crate::error::{Error, Result};

/// `col(name)` for each name.
pub fn cols(names: &[String]) -> Vec<Expr> {
    names.iter().map(|n| col(n.as_str())).collect()
}

fn column(df: &DataFrame, name: &str, dtype: DataType) -> Result<Series> {
    df.column(name)
        .and_then(|c| c.cast(&dtype))
        .map(|c| c.as_materialized_series().clone())
        .map_err(Error::engine(format!("reading the report's column {name}")))
}

/// A count column (nulls as 0).
pub fn counts(df: &DataFrame, name: &str) -> Result<Vec<u64>> {
    let s = column(df, name, DataType::UInt64)?;
    let values = s.u64().map_err(Error::engine("reading counts"))?;
    Ok(values.iter().map(|v| v.unwrap_or(0)).collect())
}

/// A signed whole-number column (nulls as 0).
pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let s = column(df, name, DataType::Int64)?;
    let values = s.i64().map_err(Error::engine("reading numbers"))?;
    Ok(values.iter().map(|v| v.unwrap_or(0)).collect())
}

/// A number column; null (and NaN) as None.
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let s = column(df, name, DataType::Float64)?;
    let values = s.f64().map_err(Error::engine("reading numbers"))?;
    Ok(values.iter().map(|v| v.filter(|x| !x.is_nan())).collect())
}

/// A text column; null as None.
pub fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = column(df, name, DataType::String)?;
    let values = s.str().map_err(Error::engine("reading names"))?;
    Ok(values.iter().map(|v| v.map(str::to_string)).collect())
}

/// A boolean column; null as false.
pub fn flags(df: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let s = column(df, name, DataType::Boolean)?;
    let values = s.bool().map_err(Error::engine("reading flags"))?;
    Ok(values.iter().map(|v| v.unwrap_or(false)).collect())
}

/// Row `row` of the columns `names`, as JSON values (text as strings, numbers as numbers,
/// dates as "YYYY-MM-DD", null as null).
pub fn json_row(df: &DataFrame, names: &[String], row: usize) -> Result<Vec<serde_json::Value>> {
    names
        .iter()
        .map(|name| {
            let value = df
                .column(name)
                .and_then(|c| c.get(row))
                .map_err(Error::engine(format!("reading group column {name}")))?;
            Ok(json_value(&value))
        })
        .collect()
}

fn json_value(value: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Float32(_) | AnyValue::Float64(_) => value
            .extract::<f64>()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        v if v.is_signed_integer() => v.extract::<i64>().map_or(Value::Null, Value::from),
        v if v.is_unsigned_integer() => v.extract::<u64>().map_or(Value::Null, Value::from),
        other => Value::String(other.to_string().trim_matches('"').to_string()),
    }
}
