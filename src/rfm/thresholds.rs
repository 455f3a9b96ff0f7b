//! Score edges you can see and reuse. A thresholds file records, per metric and per group, the
//! `bins - 1` edges a run scored with; a config that names it (`scoring.thresholds_from`)
//! scores with those frozen edges, so two periods are scored on the same scale.
//!
//! One rule for every method: `k = 1 + #{i : value > edge_i}` (`>=` where `compare: ">="`,
//! fixed frequency and monetary thresholds); frequency and monetary score `k`, recency scores
//! `bins + 1 - k`. For `quantile` the edges are the quantiles; for `fixed` the thresholds;
//! for `rank` they are derived so that they give the same scores: edge `i` is the largest
//! value whose level is at most `i` (`-.inf` when no value is).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::columns::*;
use crate::config::{Method, MetricScoring, Scoring};
use crate::error::{Error, Result};

/// The file format's name and version.
pub const FORMAT: &str = "rfmseg-thresholds/1";

/// How one metric was scored, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricScale {
    /// Score levels.
    pub bins: u32,
    /// The method the edges came from (rank, quantile, fixed).
    pub method: String,
    /// ">" or ">=": how a value passes an edge.
    pub compare: String,
}

/// The edges of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEdges {
    /// The group's values, by group_by column (empty without group_by).
    pub key: BTreeMap<String, serde_yaml::Value>,
    /// Recency edges, in days.
    pub recency: Vec<f64>,
    /// Frequency edges.
    pub frequency: Vec<f64>,
    /// Monetary edges, in currency units.
    pub monetary: Vec<f64>,
}

/// A thresholds file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Always [`FORMAT`].
    pub format: String,
    /// The as_of of the run that wrote it (for people; not used to score).
    pub as_of: Option<String>,
    /// The group_by columns.
    pub group_by: Vec<String>,
    /// recency, frequency, monetary.
    pub metrics: BTreeMap<String, MetricScale>,
    /// Edges per group.
    pub groups: Vec<GroupEdges>,
}

const METRICS: [(&str, &str, &str); 3] = [
    ("recency", RECENCY_DAYS, R),
    ("frequency", FREQUENCY, F),
    ("monetary", MONETARY, M),
];

impl Thresholds {
    /// The scale recorded for `metric`.
    pub fn scale(&self, metric: &str) -> Option<&MetricScale> {
        self.metrics.get(metric)
    }

    /// Problems that make the file unusable with `group_by`, one message each.
    pub fn problems(&self, group_by: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        if self.format != FORMAT {
            out.push(format!("format is {:?}; expected {FORMAT:?}", self.format));
        }
        if self.group_by != group_by {
            out.push(format!(
                "was written for group_by {:?}, but this config groups by {:?}",
                self.group_by, group_by
            ));
        }
        for (name, _, _) in METRICS {
            match self.metrics.get(name) {
                None => out.push(format!("has no scale for {name}")),
                Some(s) => {
                    if !(2..=10).contains(&s.bins) {
                        out.push(format!("{name}: bins {} is outside 2..10", s.bins));
                    }
                    if s.compare != ">" && s.compare != ">=" {
                        out.push(format!("{name}: compare must be \">\" or \">=\""));
                    }
                }
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            for (name, edges) in [
                ("recency", &g.recency),
                ("frequency", &g.frequency),
                ("monetary", &g.monetary),
            ] {
                let bins = self.metrics.get(name).map_or(0, |s| s.bins);
                if edges.len() + 1 != bins as usize {
                    out.push(format!(
                        "groups[{i}].{name} has {} edges; {bins} bins need {}",
                        edges.len(),
                        bins.saturating_sub(1)
                    ));
                }
                if edges.iter().any(|e| e.is_nan() || *e == f64::INFINITY) {
                    out.push(format!(
                        "groups[{i}].{name} has an edge that is not a number or +inf"
                    ));
                } else if edges.windows(2).any(|w| w[0] > w[1]) {
                    out.push(format!("groups[{i}].{name} edges are not ascending"));
                }
            }
            if g.key.keys().cloned().collect::<Vec<_>>() != sorted(group_by) {
                out.push(format!(
                    "groups[{i}].key does not name the group_by columns"
                ));
            }
        }
        let keys: Vec<Vec<Option<String>>> = self
            .groups
            .iter()
            .map(|g| g.key.values().map(key_text).collect())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].contains(k) {
                out.push(format!("groups[{i}] repeats the key of an earlier group"));
            }
        }
        if self.groups.is_empty() {
            out.push("has no groups".into());
        }
        out
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// The text form of a group value, used to match groups: strings as written, numbers in
/// their decimal form, null as null.
fn key_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::Null => None,
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        other => Some(
            serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        ),
    }
}

fn edge_column(metric: &str, i: usize) -> String {
    format!("__edge_{metric}_{i}")
}

/// The marker column of customers whose group has frozen edges.
pub const FROZEN: &str = "__frozen";

/// Score `customers` with frozen edges: add r, f, m (Int32) and the [`FROZEN`] marker (null
/// for customers of a group the file does not have).
pub fn score_frozen(customers: LazyFrame, t: &Thresholds, group_by: &[String]) -> LazyFrame {
    let score = |metric: &str, value: &str, edges: Vec<Expr>| -> Expr {
        let scale = t.scale(metric).expect("checked when the config was loaded");
        let v = col(value).cast(DataType::Float64);
        let passed = edges
            .into_iter()
            .map(|e| {
                if scale.compare == ">=" {
                    v.clone().gt_eq(e)
                } else {
                    v.clone().gt(e)
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
    if group_by.is_empty() {
        let g = &t.groups[0];
        let lits = |edges: &[f64]| edges.iter().map(|e| lit(*e)).collect::<Vec<_>>();
        return customers.with_columns([
            score("recency", RECENCY_DAYS, lits(&g.recency)).alias(R),
            score("frequency", FREQUENCY, lits(&g.frequency)).alias(F),
            score("monetary", MONETARY, lits(&g.monetary)).alias(M),
            lit(true).alias(FROZEN),
        ]);
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
    for (metric, _, _) in METRICS {
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
    columns.push(Column::new(FROZEN.into(), vec![true; t.groups.len()]));
    let edges = DataFrame::new(t.groups.len(), columns)
        .expect("columns of one length")
        .lazy();
    let left: Vec<Expr> = group_by
        .iter()
        .map(|g| col(g.as_str()).cast(DataType::String))
        .collect();
    let right: Vec<Expr> = group_by
        .iter()
        .map(|g| col(format!("__key_{g}").as_str()))
        .collect();
    let edge_cols = |metric: &str| -> Vec<Expr> {
        let n = t.scale(metric).map_or(0, |s| s.bins as usize - 1);
        (0..n)
            .map(|i| col(edge_column(metric, i).as_str()))
            .collect()
    };
    customers
        .join(
            edges,
            left,
            right,
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .with_columns([
            score("recency", RECENCY_DAYS, edge_cols("recency")).alias(R),
            score("frequency", FREQUENCY, edge_cols("frequency")).alias(F),
            score("monetary", MONETARY, edge_cols("monetary")).alias(M),
        ])
}

/// The edges a scored result used (see the module docs), per group.
pub fn edges_of(
    result: &DataFrame,
    scoring: &Scoring,
    group_by: &[String],
    as_of: Option<String>,
) -> Result<Thresholds> {
    let mut aggs = Vec::new();
    let mut metrics = BTreeMap::new();
    for ((name, value, score), ms) in
        METRICS
            .iter()
            .zip([&scoring.recency, &scoring.frequency, &scoring.monetary])
    {
        let MetricScoring { method, bins } = ms;
        let bins_i = *bins as i32;
        let v = col(*value).cast(DataType::Float64);
        // The level k of each customer: the score, reversed for recency.
        let k = if *name == "recency" {
            lit(bins_i + 1) - col(*score)
        } else {
            col(*score)
        };
        let compare = match method {
            Method::Fixed(_) if *name != "recency" => ">=",
            _ => ">",
        };
        metrics.insert(
            name.to_string(),
            MetricScale {
                bins: *bins,
                method: method.name().to_string(),
                compare: compare.to_string(),
            },
        );
        for i in 1..*bins {
            let e = match method {
                Method::Quantile => v
                    .clone()
                    .quantile(lit(i as f64 / *bins as f64), QuantileMethod::Linear),
                Method::Fixed(t) => lit(t[i as usize - 1]),
                Method::Rank => v
                    .clone()
                    .filter(k.clone().lt_eq(lit(i as i32)))
                    .max()
                    .fill_null(lit(f64::NEG_INFINITY)),
            };
            aggs.push(e.alias(edge_column(name, i as usize - 1)));
        }
    }
    let table = if group_by.is_empty() {
        result.clone().lazy().select(aggs)
    } else {
        result
            .clone()
            .lazy()
            .group_by(group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>())
            .agg(aggs)
            .sort_by_exprs(
                group_by.iter().map(|g| col(g.as_str())).collect::<Vec<_>>(),
                SortMultipleOptions::default().with_nulls_last(true),
            )
    }
    .collect()
    .map_err(Error::engine("computing the score edges"))?;
    let mut groups = Vec::with_capacity(table.height());
    for row in 0..table.height() {
        let mut key = BTreeMap::new();
        for g in group_by {
            let v = table
                .column(g)
                .and_then(|c| c.get(row))
                .map_err(Error::engine("reading group keys"))?;
            key.insert(g.clone(), any_to_yaml(&v));
        }
        let edges = |metric: &str, bins: u32| -> Result<Vec<f64>> {
            (0..bins as usize - 1)
                .map(|i| {
                    table
                        .column(&edge_column(metric, i))
                        .and_then(|c| c.get(row))
                        .map(|v| v.extract::<f64>().unwrap_or(f64::NEG_INFINITY))
                        .map_err(Error::engine("reading the score edges"))
                })
                .collect()
        };
        groups.push(GroupEdges {
            key,
            recency: edges("recency", scoring.recency.bins)?,
            frequency: edges("frequency", scoring.frequency.bins)?,
            monetary: edges("monetary", scoring.monetary.bins)?,
        });
    }
    Ok(Thresholds {
        format: FORMAT.to_string(),
        as_of,
        group_by: group_by.to_vec(),
        metrics,
        groups,
    })
}

fn any_to_yaml(v: &AnyValue) -> serde_yaml::Value {
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

/// The YAML text of a thresholds file, with a header that says how to read it.
pub fn to_yaml(t: &Thresholds) -> Result<String> {
    let body = serde_yaml::to_string(t)
        .map_err(|e| Error::Usage(format!("cannot write thresholds: {e}")))?;
    Ok(format!(
        "# rfmseg score edges. Per metric and group: k = 1 + the number of edges the value\n# exceeds (value > edge; value >= edge where compare is \">=\"); frequency and monetary\n# score k, recency (days) scores bins + 1 - k. Use with scoring.thresholds_from.\n{body}"
    ))
}
