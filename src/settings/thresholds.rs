//! Score edges you can see and reuse. A thresholds file records, per metric and per group, the
//! `bins - 1` edges a run scored with; a config that names it (`scoring.thresholds_from`)
//! scores with those frozen edges, so two periods are scored on the same scale.
//!
//! One rule for every method: `k = 1 + #{i : value > edge_i}` (`>=` where `compare: ">="`:
//! `r-rfm`, and fixed frequency and monetary thresholds); frequency and monetary score `k`,
//! recency scores `bins + 1 - k`. For `quantile` the edges are the quantiles; for `r-rfm` the
//! quantiles plus 1; for `fixed` the thresholds; for `rank` they are derived so that they give
//! the same scores: edge `i` is the largest value whose level is at most `i` (`-.inf` when no
//! value is).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::columns::METRICS;
use crate::error::{Error, Result};

/// The file format's name and version.
pub const FORMAT: &str = "rfmseg-thresholds/1";

/// How one metric was scored, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricScale {
    /// Score levels.
    pub bins: u32,
    /// The method the edges came from (rank, quantile, r-rfm, fixed); for people: `compare`
    /// and the edges score.
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
        for name in METRICS.map(|m| m.name) {
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
pub(crate) fn key_text(v: &serde_yaml::Value) -> Option<String> {
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

impl Thresholds {
    /// The YAML text of a thresholds file, with a header that says how to read it.
    pub fn to_yaml(&self) -> Result<String> {
        let body = serde_yaml::to_string(self)
            .map_err(|e| Error::Usage(format!("cannot write thresholds: {e}")))?;
        Ok(format!(
            "# rfmseg score edges. Per metric and group: k = 1 + the number of edges the value\n# exceeds (value > edge; value >= edge where compare is \">=\"); frequency and monetary\n# score k, recency (days) scores bins + 1 - k. Use with scoring.thresholds_from.\n{body}"
        ))
    }
}
