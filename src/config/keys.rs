//! Unknown keys, all of them at once. serde's `deny_unknown_fields` stops at the first; here
//! each mapping of the YAML tree is checked against the field list serde derived for the
//! struct that reads it, so the allowed keys live in one place (`raw`).

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_yaml::Value;

use super::raw::{
    RawAnalysis, RawColumns, RawConfig, RawCsv, RawHoldout, RawInput, RawMetricScoring, RawOutput,
    RawRule, RawScoring, RawSegments,
};

/// The field names serde derived for `T`.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut probe = Probe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or(&[])
}

struct Probe(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut Probe {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// An unknown key: its dotted path, the key, and the keys allowed there.
pub struct UnknownKey {
    /// e.g. `segments.rules[2].colour`
    pub path: String,
    /// The key as written.
    pub key: String,
    /// The keys allowed in that mapping.
    pub allowed: &'static [&'static str],
}

/// Every unknown key in the document.
pub fn unknown_keys(doc: &Value) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    check(doc, "", fields_of::<RawConfig>(), &mut found);
    let section = |name: &str| doc.get(name);
    if let Some(v) = section("input") {
        check(v, "input", fields_of::<RawInput>(), &mut found);
        if let Some(c) = v.get("columns") {
            check(c, "input.columns", fields_of::<RawColumns>(), &mut found);
        }
        if let Some(c) = v.get("csv") {
            check(c, "input.csv", fields_of::<RawCsv>(), &mut found);
        }
    }
    if let Some(v) = section("analysis") {
        check(v, "analysis", fields_of::<RawAnalysis>(), &mut found);
    }
    if let Some(v) = section("scoring") {
        check(v, "scoring", fields_of::<RawScoring>(), &mut found);
        for metric in ["recency", "frequency", "monetary"] {
            if let Some(m) = v.get(metric) {
                let path = format!("scoring.{metric}");
                check(m, &path, fields_of::<RawMetricScoring>(), &mut found);
            }
        }
    }
    if let Some(v) = section("segments") {
        check(v, "segments", fields_of::<RawSegments>(), &mut found);
        if let Some(Value::Sequence(rules)) = v.get("rules") {
            for (i, rule) in rules.iter().enumerate() {
                let path = format!("segments.rules[{i}]");
                check(rule, &path, fields_of::<RawRule>(), &mut found);
            }
        }
    }
    if let Some(v) = section("output") {
        check(v, "output", fields_of::<RawOutput>(), &mut found);
        if let Some(h) = v.get("holdout") {
            check(h, "output.holdout", fields_of::<RawHoldout>(), &mut found);
        }
    }
    found
}

fn check(v: &Value, path: &str, allowed: &'static [&'static str], found: &mut Vec<UnknownKey>) {
    let Value::Mapping(map) = v else { return };
    for key in map.keys() {
        let key = match key {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        if !allowed.contains(&key.as_str()) {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            found.push(UnknownKey { path, key, allowed });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::suggest;

    #[test]
    fn field_lists_come_from_serde() {
        assert_eq!(
            fields_of::<RawConfig>(),
            &["input", "analysis", "scoring", "segments", "output"]
        );
        assert!(fields_of::<RawRule>().contains(&"when"));
    }

    #[test]
    fn lists_every_unknown_key() {
        let doc: Value = serde_yaml::from_str(
            "input: {pathz: [a]}\nsegments:\n  rules:\n    - {name: A, r: 5, colour: red}\nextra: 1\n",
        )
        .unwrap();
        let paths: Vec<String> = unknown_keys(&doc).into_iter().map(|u| u.path).collect();
        assert_eq!(paths, ["extra", "input.pathz", "segments.rules[0].colour"]);
    }

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(
            suggest("pathz", &["paths", "columns"]),
            Some("paths".into())
        );
        assert_eq!(
            suggest("windowdays", &["window_days"]),
            Some("window_days".into())
        );
        assert_eq!(suggest("zzz", &["paths", "columns"]), None);
    }
}
