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
//!
//! A run with `scoring.min_group_customers` records that number and one entry per partition
//! whose edges it used, with the partition's `level` (its key names the first `level` group_by
//! columns; `{}` at level 0, the whole input). A group is scored with the entry of the
//! deepest partition on its path that the file has: its own, its parent's, ..., the whole
//! input's ([`Thresholds::entries_for`]); on the data that wrote the file that is the level the
//! count rule chose, so the file reproduces the run.

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
    /// The group's values, by group_by column (empty without group_by; with levels, the
    /// first `level` group_by columns).
    pub key: BTreeMap<String, serde_yaml::Value>,
    /// With `min_group_customers`: how many group_by columns the partition has (0 = the whole
    /// input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
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
    /// `scoring.min_group_customers` of the run that wrote it: then the groups are the
    /// partitions of every level whose edges were used, each with its `level`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_group_customers: Option<u64>,
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
            match (self.min_group_customers, g.level) {
                (None, None) => {
                    if g.key.keys().cloned().collect::<Vec<_>>() != sorted(group_by) {
                        out.push(format!(
                            "groups[{i}].key does not name the group_by columns"
                        ));
                    }
                }
                (None, Some(_)) => out.push(format!(
                    "groups[{i}] has a level, but the file has no min_group_customers"
                )),
                (Some(_), None) => out.push(format!(
                    "groups[{i}] has no level; a file written with min_group_customers gives every group one"
                )),
                (Some(_), Some(level)) if level as usize > group_by.len() => out.push(format!(
                    "groups[{i}].level {level} is above the {} group_by columns",
                    group_by.len()
                )),
                (Some(_), Some(level)) => {
                    if g.key.keys().cloned().collect::<Vec<_>>()
                        != sorted(&group_by[..level as usize])
                    {
                        out.push(format!(
                            "groups[{i}].key does not name the first {level} group_by columns (level {level})"
                        ));
                    }
                }
            }
        }
        if self.min_group_customers == Some(0) {
            out.push("min_group_customers must be at least 1".into());
        }
        if self.min_group_customers.is_some() && group_by.is_empty() {
            out.push("has min_group_customers, which needs group_by columns".into());
        }
        let keys: Vec<(Option<u32>, Vec<Option<String>>)> = self
            .groups
            .iter()
            .map(|g| (g.level, g.key.values().map(key_text).collect()))
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

/// The groups' edge lists, by metric name: the fields the footer form writes `-inf` as null.
const EDGE_FIELDS: [&str; 3] = ["recency", "frequency", "monetary"];

impl Thresholds {
    /// The compact JSON form an output's footer stores (key `rfmseg.edges`): the same document
    /// as the thresholds file, on one line, with `-inf` edges (a level no value reaches)
    /// written as `null`; edges are never NaN or `+inf` ([`Thresholds::problems`]).
    pub fn to_footer_json(&self) -> String {
        // serde_json writes a non-finite float as null.
        serde_json::to_string(self).expect("thresholds serialise: strings, numbers, lists")
    }

    /// Read [`Thresholds::to_footer_json`]'s text back (null edges as `-inf`); the error
    /// says what is unreadable.
    pub fn from_footer_json(text: &str) -> std::result::Result<Thresholds, String> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        // Through a YAML value, which holds -inf where JSON cannot.
        let mut value = serde_yaml::to_value(&json).map_err(|e| e.to_string())?;
        if let Some(groups) = value.get_mut("groups").and_then(|g| g.as_sequence_mut()) {
            for group in groups {
                for field in EDGE_FIELDS {
                    if let Some(edges) = group.get_mut(field).and_then(|e| e.as_sequence_mut()) {
                        for edge in edges.iter_mut().filter(|e| e.is_null()) {
                            *edge = serde_yaml::Value::Number(f64::NEG_INFINITY.into());
                        }
                    }
                }
            }
        }
        serde_yaml::from_value(value).map_err(|e| e.to_string())
    }
}

impl Thresholds {
    /// With levels (`min_group_customers`): for each group (its values as text, in group_by
    /// order, as [`key_text`] gives them), the index in `groups` of the entry that scores it:
    /// the deepest partition on its path the file has (its own, then its parent's, ..., the
    /// whole input's); None when there is none. Without levels: the group's own entry.
    pub fn entries_for(
        &self,
        group_by: &[String],
        groups: &[Vec<Option<String>>],
    ) -> Vec<Option<usize>> {
        use std::collections::HashMap;
        let levels = self.min_group_customers.is_some();
        let mut index: HashMap<(usize, Vec<Option<String>>), usize> = HashMap::new();
        for (i, g) in self.groups.iter().enumerate() {
            let level = if levels {
                g.level.map_or(group_by.len(), |l| l as usize)
            } else {
                group_by.len()
            };
            let key = group_by[..level.min(group_by.len())]
                .iter()
                .map(|c| g.key.get(c).and_then(key_text))
                .collect();
            index.entry((level, key)).or_insert(i);
        }
        groups
            .iter()
            .map(|values| {
                let deepest = if levels { 0 } else { group_by.len() };
                (deepest..=group_by.len())
                    .rev()
                    .find_map(|level| index.get(&(level, values[..level].to_vec())).copied())
            })
            .collect()
    }

    /// The YAML text of a thresholds file, with a header that says how to read it.
    pub fn to_yaml(&self) -> Result<String> {
        let body = serde_yaml::to_string(self)
            .map_err(|e| Error::Usage(format!("cannot write thresholds: {e}")))?;
        Ok(format!(
            "# rfmseg score edges. Per metric and group: k = 1 + the number of edges the value\n# exceeds (value > edge; value >= edge where compare is \">=\"); frequency and monetary\n# score k, recency (days) scores bins + 1 - k. Use with scoring.thresholds_from.\n{body}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Thresholds {
        let head = "format: rfmseg-thresholds/1\nas_of: null\ngroup_by: [region, store]\nmetrics:\n  recency: {bins: 2, method: rank, compare: '>'}\n  frequency: {bins: 2, method: rank, compare: '>'}\n  monetary: {bins: 2, method: rank, compare: '>'}\n";
        serde_yaml::from_str(&format!("{head}{text}")).unwrap()
    }

    const EDGES: &str = "recency: [1.0], frequency: [1.0], monetary: [1.0]";

    #[test]
    fn a_file_with_levels_keys_each_entry_by_its_level_s_columns() {
        let by = ["region".to_string(), "store".to_string()];
        let good = file(&format!(
            "min_group_customers: 5\ngroups:\n  - {{key: {{region: N, store: s1}}, level: 2, {EDGES}}}\n  - {{key: {{region: N}}, level: 1, {EDGES}}}\n  - {{key: {{}}, level: 0, {EDGES}}}\n"
        ));
        assert!(good.problems(&by).is_empty(), "{:?}", good.problems(&by));
        // The deepest entry on each group's path: its own, its region's, the whole input's.
        let groups: Vec<Vec<Option<String>>> = [["N", "s1"], ["N", "s9"], ["S", "s2"]]
            .iter()
            .map(|g| g.iter().map(|v| Some(v.to_string())).collect())
            .collect();
        assert_eq!(good.entries_for(&by, &groups), [Some(0), Some(1), Some(2)]);
        let bad = file(&format!(
            "min_group_customers: 0\ngroups:\n  - {{key: {{region: N, store: s1}}, level: 1, {EDGES}}}\n  - {{key: {{region: N}}, {EDGES}}}\n  - {{key: {{}}, level: 3, {EDGES}}}\n  - {{key: {{store: s1}}, level: 1, {EDGES}}}\n"
        ));
        assert_eq!(
            bad.problems(&by),
            [
                "groups[0].key does not name the first 1 group_by columns (level 1)",
                "groups[1] has no level; a file written with min_group_customers gives every group one",
                "groups[2].level 3 is above the 2 group_by columns",
                "groups[3].key does not name the first 1 group_by columns (level 1)",
                "min_group_customers must be at least 1",
            ]
        );
        let unlevelled = file(&format!(
            "groups:\n  - {{key: {{region: N, store: s1}}, level: 2, {EDGES}}}\n"
        ));
        assert_eq!(
            unlevelled.problems(&by),
            ["groups[0] has a level, but the file has no min_group_customers"]
        );
    }

    #[test]
    fn the_footer_form_round_trips_minus_infinity_and_group_keys() {
        let scale = |method: &str, compare: &str| MetricScale {
            bins: 3,
            method: method.into(),
            compare: compare.into(),
        };
        let key = |v: serde_yaml::Value| BTreeMap::from([("store".to_string(), v)]);
        let t = Thresholds {
            format: FORMAT.into(),
            as_of: Some("2024-06-30".into()),
            group_by: vec!["store".into()],
            min_group_customers: Some(3),
            metrics: BTreeMap::from([
                ("recency".into(), scale("rank", ">")),
                ("frequency".into(), scale("r-rfm", ">=")),
                ("monetary".into(), scale("quantile", ">")),
            ]),
            groups: vec![
                GroupEdges {
                    key: key("S01".into()),
                    level: Some(1),
                    recency: vec![f64::NEG_INFINITY, 30.0],
                    frequency: vec![1.0, 2.5],
                    monetary: vec![0.1 + 0.2, 1e300],
                },
                GroupEdges {
                    key: key(serde_yaml::Value::Null),
                    level: Some(1),
                    recency: vec![7.0, 8.0],
                    frequency: vec![f64::NEG_INFINITY, f64::NEG_INFINITY],
                    monetary: vec![-5.25, 99.99],
                },
                GroupEdges {
                    key: BTreeMap::new(),
                    level: Some(0),
                    recency: vec![1.0, 2.0],
                    frequency: vec![3.0, 4.0],
                    monetary: vec![5.0, 6.0],
                },
            ],
        };
        let text = t.to_footer_json();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains("\"recency\":[null,30.0]"), "{text}");
        assert_eq!(Thresholds::from_footer_json(&text).unwrap(), t);
        assert!(Thresholds::from_footer_json("{")
            .unwrap_err()
            .contains("not JSON"));
        assert!(Thresholds::from_footer_json("{\"format\": 1}").is_err());
    }
}
