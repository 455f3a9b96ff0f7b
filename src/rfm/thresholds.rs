//! Frozen score edges applied as polars expressions: customers matched to their group's
//! edges from a thresholds file ([`crate::settings::Thresholds`]) and scored with them.

use polars::prelude::*;

use crate::columns::*;
use crate::settings::thresholds::{key_text, GroupEdges, Thresholds};

fn edge_column(metric: &str, i: usize) -> String {
    format!("__edge_{metric}_{i}")
}

/// The marker column of customers whose group has frozen edges.
pub const FROZEN: &str = "__frozen";

/// Score `customers` with frozen edges: add r, f, m (Int32) and the [`FROZEN`] marker (null
/// for customers of a group the file does not have).
pub fn score_frozen(customers: LazyFrame, t: &Thresholds, group_by: &[String]) -> LazyFrame {
    let score = |metric: &str, value: &str, edges: &[Expr]| -> Expr {
        let scale = t.scale(metric).expect("checked when the config was loaded");
        let v = col(value).cast(DataType::Float64);
        let passed = edges
            .iter()
            .map(|e| {
                if scale.compare == ">=" {
                    v.clone().gt_eq(e.clone())
                } else {
                    v.clone().gt(e.clone())
                }
                .cast(DataType::Int32)
            })
            .fold(lit(1i32), |a, b| a + b);
        if metric == "recency" {
            lit(scale.bins as i32 + 1) - passed
        } else {
            passed
        }
    };
    if group_by.is_empty() && t.groups.is_empty() {
        // No customers: nothing to score.
        return customers.with_columns([
            lit(NULL).cast(DataType::Int32).alias(R),
            lit(NULL).cast(DataType::Int32).alias(F),
            lit(NULL).cast(DataType::Int32).alias(M),
            lit(true).alias(FROZEN),
        ]);
    }
    let (with, [r, f, m]) = with_edges(customers, t, group_by);
    with.with_columns([
        score("recency", RECENCY_DAYS, &r).alias(R),
        score("frequency", FREQUENCY, &f).alias(F),
        score("monetary", MONETARY, &m).alias(M),
    ])
}

/// `rows` with the edges of their group: the [`FROZEN`] marker column (null where the file
/// has no edges for the row's group), with levels ([`Thresholds::min_group_customers`], edges
/// resolved per group) the [`SCORE_LEVEL`] column, and, per metric, the edges as expressions (literals
/// without group_by; columns joined on the group values as text with it).
pub fn with_edges(
    rows: LazyFrame,
    t: &Thresholds,
    group_by: &[String],
) -> (LazyFrame, [Vec<Expr>; 3]) {
    if group_by.is_empty() {
        let lits = |edges: &[f64]| edges.iter().map(|e| lit(*e)).collect::<Vec<_>>();
        let g = t.groups.first();
        let edges =
            |pick: fn(&GroupEdges) -> &Vec<f64>| g.map(|g| lits(pick(g))).unwrap_or_default();
        return (
            rows.with_column(lit(true).alias(FROZEN)),
            [
                edges(|g| &g.recency),
                edges(|g| &g.frequency),
                edges(|g| &g.monetary),
            ],
        );
    }
    // A frame of edges per group, joined on the group columns as text.
    let mut columns: Vec<Column> = Vec::new();
    for g in group_by {
        let values: Vec<Option<String>> = t
            .groups
            .iter()
            .map(|e| e.key.get(g).and_then(key_text))
            .collect();
        columns.push(Column::new(format!("__key_{g}").into(), values));
    }
    for metric in METRICS.map(|m| m.name) {
        let n = t.scale(metric).map_or(0, |s| s.bins as usize - 1);
        for i in 0..n {
            let values: Vec<f64> = t
                .groups
                .iter()
                .map(|g| match metric {
                    "recency" => g.recency[i],
                    "frequency" => g.frequency[i],
                    _ => g.monetary[i],
                })
                .collect();
            columns.push(Column::new(edge_column(metric, i).into(), values));
        }
    }
    if t.min_group_customers.is_some() {
        // Edges per group resolved from levels ([`super::levels::resolve`]): each group's level.
        let levels: Vec<i32> = t
            .groups
            .iter()
            .map(|g| g.level.map_or(group_by.len() as i32, |l| l as i32))
            .collect();
        columns.push(Column::new(SCORE_LEVEL.into(), levels));
    }
    columns.push(Column::new(FROZEN.into(), vec![true; t.groups.len()]));
    let mut edges = DataFrame::new(t.groups.len(), columns)
        .expect("columns of one length")
        .lazy();
    // A row matches a group whose key is the row's group value as text. Integer group
    // columns are joined as integers: each key is parsed once in the small table, and a key
    // that does not come back as the same text (" 7", "07", "x") is no integer's text, so it
    // matches no row and is dropped; the rows' values are not turned into text. Other types
    // are joined as text.
    let mut rows = rows;
    let schema = rows.collect_schema().ok();
    let native = |g: &str| {
        schema
            .as_ref()
            .and_then(|s| s.get(g))
            .filter(|d| d.is_integer())
            .cloned()
    };
    let mut left: Vec<Expr> = Vec::with_capacity(group_by.len());
    let mut right: Vec<Expr> = Vec::with_capacity(group_by.len());
    for g in group_by {
        let key = format!("__key_{g}");
        match native(g) {
            Some(dtype) => {
                let text = || col(key.as_str());
                let parsed = || text().cast(dtype.clone());
                let comes_back = text()
                    .is_null()
                    .or(parsed().cast(DataType::String).eq(text()));
                edges = edges.filter(comes_back.fill_null(lit(false)));
                let native_key = format!("__native_key_{g}");
                edges = edges
                    .with_column(parsed().alias(native_key.as_str()))
                    .drop(cols([key.as_str()]));
                left.push(col(g.as_str()));
                right.push(col(native_key.as_str()));
            }
            None => {
                left.push(col(g.as_str()).cast(DataType::String));
                right.push(col(key.as_str()));
            }
        }
    }
    let edge_cols = |metric: &str| -> Vec<Expr> {
        let n = t.scale(metric).map_or(0, |s| s.bins as usize - 1);
        (0..n)
            .map(|i| col(edge_column(metric, i).as_str()))
            .collect()
    };
    let joined = rows.join(
        edges,
        left,
        right,
        JoinArgs {
            nulls_equal: true,
            maintain_order: MaintainOrderJoin::Left,
            build_side: Some(JoinBuildSide::ForceRight),
            ..JoinArgs::new(JoinType::Left)
        },
    );
    (
        joined,
        [
            edge_cols("recency"),
            edge_cols("frequency"),
            edge_cols("monetary"),
        ],
    )
}

/// A group value as YAML: strings and integers as themselves, other values as text.
pub(crate) fn any_to_yaml(v: &AnyValue) -> serde_yaml::Value {
    use serde_yaml::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Boolean(b) => Value::Bool(*b),
        other => match other.extract::<i64>() {
            Some(i) if other.is_integer() => Value::Number(i.into()),
            _ => Value::String(other.to_string()),
        },
    }
}
