//! Provenance: what made an output file, stored in its Parquet footer as key-value metadata
//! (keys `rfmseg.*`) and read back by `rfmseg inspect`. This module owns the fields, their
//! footer encoding, and the readable and JSON forms; the footer itself is written and read
//! in [`crate::output`].

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::SourceFile;
use crate::settings::Thresholds;

/// The value of `rfmseg.format`; the number changes when a key changes meaning or goes away.
pub const FORMAT: &str = "rfmseg-provenance/1";

/// Every footer key rfmseg writes starts with this.
pub const PREFIX: &str = "rfmseg.";

/// What made an output file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Always [`FORMAT`].
    pub format: String,
    /// The rfmseg version that wrote the file.
    pub version: String,
    /// When the run wrote it: UTC, RFC 3339, whole seconds.
    pub created: String,
    /// The as_of the run used, YYYY-MM-DD (None: no line had a customer, a date and an
    /// amount, so nothing was scored).
    pub as_of: Option<String>,
    /// True when as_of was the latest order date in the input, false when it was given.
    pub as_of_from_data: bool,
    /// The as_of in `input.calendar` when that is not Gregorian: `1403/04/10 Solar Hijri`
    /// (None with the Gregorian calendar, and in files written before the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of_calendar: Option<String>,
    /// SHA-256 (lowercase hex) of `config`'s UTF-8 bytes.
    pub config_sha256: String,
    /// The canonical text of the resolved config (see [`crate::config::canonical_text`]).
    pub config: String,
    /// The input files read, in reading order.
    pub inputs: Vec<InputFile>,
    /// Where every input row went.
    pub rows: LineCounts,
    /// Customers scored (the file's rows) and not scored.
    pub customers: Customers,
    /// With `output.holdout`: how the `holdout` column was drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<HoldoutRecord>,
    /// The score edges the run used, per metric and group, in their footer form
    /// ([`Thresholds::to_footer_json`], key `rfmseg.edges`): what `rfmseg explain` reads. Not
    /// in `inspect`'s forms; None in files written before it was stored.
    #[serde(skip)]
    pub edges: Option<String>,
}

/// How a run drew its `holdout` column (`rfmseg.holdout`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutRecord {
    /// The share of each segment held out (0.1).
    pub share: f64,
    /// The salt.
    pub salt: String,
    /// The hash of the salt and the keys (docs/contract.md, "Holdout").
    pub hash: String,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path as the run found it.
    pub path: String,
    /// Its size in bytes when the run started.
    pub bytes: u64,
}

/// Where every input line went: the run summary prints it and the footer stores it (as
/// `rfmseg.rows`, with `dropped`, the sum of the three dropped counts, beside the fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "RowsRecord", from = "RowsRecord")]
pub struct LineCounts {
    /// Data rows read from all files (set-aside rows included).
    pub read: u64,
    /// Dropped: no customer_id (guest checkouts).
    pub dropped_no_customer_id: u64,
    /// Dropped: no order_date.
    pub dropped_no_order_date: u64,
    /// Dropped: no amount.
    pub dropped_no_amount: u64,
    /// Rows set aside (`input.rejects_path`) because a value cannot be read as its role's
    /// type; without a rejects file such a value stops the run, so a written file says 0.
    pub rejected: u64,
    /// Ignored: dated after as_of.
    pub ignored_after_as_of: u64,
    /// Ignored: before the window.
    pub ignored_outside_window: u64,
    /// Ignored: return lines with `returns: exclude`.
    pub ignored_returns_excluded: u64,
    /// Purchase lines used.
    pub purchase_lines: u64,
    /// Return lines used.
    pub return_lines: u64,
}

impl LineCounts {
    /// Rows dropped because customer_id, order_date or amount is null.
    pub fn dropped(&self) -> u64 {
        self.dropped_no_customer_id + self.dropped_no_order_date + self.dropped_no_amount
    }
}

/// [`LineCounts`] as the footer records it.
#[derive(Serialize, Deserialize)]
struct RowsRecord {
    read: u64,
    dropped: u64,
    dropped_no_customer_id: u64,
    dropped_no_order_date: u64,
    dropped_no_amount: u64,
    rejected: u64,
    ignored_after_as_of: u64,
    ignored_outside_window: u64,
    ignored_returns_excluded: u64,
    purchase_lines: u64,
    return_lines: u64,
}

impl From<LineCounts> for RowsRecord {
    fn from(l: LineCounts) -> RowsRecord {
        RowsRecord {
            read: l.read,
            dropped: l.dropped(),
            dropped_no_customer_id: l.dropped_no_customer_id,
            dropped_no_order_date: l.dropped_no_order_date,
            dropped_no_amount: l.dropped_no_amount,
            rejected: l.rejected,
            ignored_after_as_of: l.ignored_after_as_of,
            ignored_outside_window: l.ignored_outside_window,
            ignored_returns_excluded: l.ignored_returns_excluded,
            purchase_lines: l.purchase_lines,
            return_lines: l.return_lines,
        }
    }
}

impl From<RowsRecord> for LineCounts {
    fn from(r: RowsRecord) -> LineCounts {
        LineCounts {
            read: r.read,
            dropped_no_customer_id: r.dropped_no_customer_id,
            dropped_no_order_date: r.dropped_no_order_date,
            dropped_no_amount: r.dropped_no_amount,
            rejected: r.rejected,
            ignored_after_as_of: r.ignored_after_as_of,
            ignored_outside_window: r.ignored_outside_window,
            ignored_returns_excluded: r.ignored_returns_excluded,
            purchase_lines: r.purchase_lines,
            return_lines: r.return_lines,
        }
    }
}

/// Customer accounting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customers {
    /// Customers scored: the file's rows.
    pub scored: u64,
    /// Customers with lines in the window but no purchase.
    pub not_scored: u64,
}

/// SHA-256 of `text`, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The current time as UTC RFC 3339, whole seconds: `2024-07-01T06:00:00Z`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Provenance {
    /// The provenance of a run that read `files` with the canonical `config`; `as_of` is
    /// `YYYY-MM-DD`, `as_of_calendar` the same day in a calendar other than the Gregorian.
    pub fn new(
        config: String,
        files: &[SourceFile],
        as_of: Option<String>,
        as_of_calendar: Option<String>,
        as_of_from_data: bool,
        rows: LineCounts,
        customers: Customers,
    ) -> Provenance {
        Provenance {
            format: FORMAT.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: now_utc(),
            as_of,
            as_of_from_data,
            as_of_calendar,
            config_sha256: sha256_hex(&config),
            config,
            inputs: files
                .iter()
                .map(|f| InputFile {
                    path: f.path.display().to_string(),
                    bytes: f.size,
                })
                .collect(),
            rows,
            customers,
            holdout: None,
            edges: None,
        }
    }

    /// This provenance with the score edges `thresholds` stored beside it.
    pub fn with_edges(mut self, thresholds: &Thresholds) -> Provenance {
        self.edges = Some(thresholds.to_footer_json());
        self
    }

    /// The score edges stored in the footer: None when the file has none (written before
    /// rfmseg stored them); an error when they cannot be read.
    pub fn thresholds(&self) -> std::result::Result<Option<Thresholds>, String> {
        self.edges
            .as_deref()
            .map(|text| {
                Thresholds::from_footer_json(text)
                    .map_err(|e| format!("footer key {PREFIX}edges is not readable: {e}"))
            })
            .transpose()
    }

    /// The footer's key-value pairs, in this order: `rfmseg.format`, `.version`,
    /// `.created`, `.as_of` (left out when there is none), `.as_of_from_data`,
    /// `.as_of_calendar` (left out when there is none), `.config_sha256`, `.config`, `.inputs`
    /// (JSON), `.rows` (JSON), `.customers` (JSON), `.holdout` (JSON, with `output.holdout` only),
    /// `.edges` (JSON, when stored).
    pub fn to_key_values(&self) -> Vec<(String, String)> {
        let mut kv = vec![
            ("format", self.format.clone()),
            ("version", self.version.clone()),
            ("created", self.created.clone()),
        ];
        if let Some(a) = &self.as_of {
            kv.push(("as_of", a.clone()));
        }
        kv.push(("as_of_from_data", self.as_of_from_data.to_string()));
        if let Some(a) = &self.as_of_calendar {
            kv.push(("as_of_calendar", a.clone()));
        }
        kv.extend([
            ("config_sha256", self.config_sha256.clone()),
            ("config", self.config.clone()),
            ("inputs", json(&self.inputs)),
            ("rows", json(&self.rows)),
            ("customers", json(&self.customers)),
        ]);
        if let Some(h) = &self.holdout {
            kv.push(("holdout", json(h)));
        }
        if let Some(edges) = &self.edges {
            kv.push(("edges", edges.clone()));
        }
        kv.into_iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), v))
            .collect()
    }

    /// Read the `rfmseg.*` pairs of a footer back; other keys are ignored. The error says
    /// which key is missing or unreadable.
    pub fn from_key_values<'a>(
        pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> std::result::Result<Provenance, String> {
        let map: std::collections::HashMap<&str, &str> = pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(PREFIX)?, v.unwrap_or(""))))
            .collect();
        if map.is_empty() {
            return Err("has no rfmseg provenance (no rfmseg.* key in its Parquet footer); it was not written by rfmseg run, or written by a version before provenance".into());
        }
        let get = |k: &str| {
            map.get(k)
                .copied()
                .ok_or_else(|| format!("provenance key {PREFIX}{k} is missing"))
        };
        let format = get("format")?;
        if format != FORMAT {
            return Err(format!(
                "provenance format is {format:?}; this rfmseg reads {FORMAT:?}"
            ));
        }
        fn parse<T: serde::de::DeserializeOwned>(
            key: &str,
            text: &str,
        ) -> std::result::Result<T, String> {
            serde_json::from_str(text)
                .map_err(|e| format!("provenance key {PREFIX}{key} is not readable: {e}"))
        }
        Ok(Provenance {
            format: format.to_string(),
            version: get("version")?.to_string(),
            created: get("created")?.to_string(),
            as_of: map.get("as_of").map(|s| s.to_string()),
            as_of_from_data: parse("as_of_from_data", get("as_of_from_data")?)?,
            as_of_calendar: map.get("as_of_calendar").map(|s| s.to_string()),
            config_sha256: get("config_sha256")?.to_string(),
            config: get("config")?.to_string(),
            inputs: parse("inputs", get("inputs")?)?,
            rows: parse("rows", get("rows")?)?,
            customers: parse("customers", get("customers")?)?,
            holdout: map
                .get("holdout")
                .map(|text| parse("holdout", text))
                .transpose()?,
            edges: map.get("edges").map(|s| s.to_string()),
        })
    }

    /// True when `config_sha256` is the hash of `config` (false: the footer was edited).
    pub fn hash_matches(&self) -> bool {
        sha256_hex(&self.config) == self.config_sha256
    }

    /// The JSON form printed by `rfmseg inspect FILE --json`: `file` and `file_rows` (from
    /// the footer), then the provenance fields, and `config_sha256_matches`.
    pub fn to_json(&self, file: &Path, file_rows: u64) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            file: String,
            file_rows: u64,
            #[serde(flatten)]
            provenance: &'a Provenance,
            config_sha256_matches: bool,
        }
        let doc = Doc {
            file: file.display().to_string(),
            file_rows,
            provenance: self,
            config_sha256_matches: self.hash_matches(),
        };
        let mut text = serde_json::to_string_pretty(&doc).expect("provenance serialises");
        text.push('\n');
        text
    }
}

/// Compact JSON of a structured footer value.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("provenance values serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Provenance {
        Provenance {
            format: FORMAT.into(),
            version: "0.1.0".into(),
            created: "2024-07-01T06:00:00Z".into(),
            as_of: Some("2024-06-30".into()),
            as_of_from_data: true,
            as_of_calendar: Some("1403/04/10 Solar Hijri".into()),
            config_sha256: sha256_hex("a: 1\n"),
            config: "a: 1\n".into(),
            inputs: vec![InputFile {
                path: "orders.csv".into(),
                bytes: 1234,
            }],
            rows: LineCounts {
                read: 10,
                dropped_no_customer_id: 2,
                dropped_no_order_date: 1,
                rejected: 3,
                ..Default::default()
            },
            customers: Customers {
                scored: 3,
                not_scored: 1,
            },
            holdout: None,
            edges: None,
        }
    }

    #[test]
    fn sha256_of_known_text() {
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn key_values_round_trip_and_other_keys_are_ignored() {
        let p = sample();
        let kv = p.to_key_values();
        assert_eq!(kv[0], ("rfmseg.format".into(), FORMAT.into()));
        assert_eq!(p.rows.dropped(), 3);
        let rows = &kv.iter().find(|(k, _)| k == "rfmseg.rows").unwrap().1;
        let rows: serde_json::Value = serde_json::from_str(rows).unwrap();
        assert_eq!(rows["dropped"], 3);
        let mut pairs: Vec<(&str, Option<&str>)> = kv
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .collect();
        pairs.push(("ARROW:schema", Some("xyz")));
        assert_eq!(Provenance::from_key_values(pairs).unwrap(), p);
        assert!(p.hash_matches());
        assert_eq!(p.thresholds(), Ok(None));
        let with = Provenance {
            edges: Some("{not json".into()),
            ..p
        };
        let kv = with.to_key_values();
        assert_eq!(kv.last().unwrap().0, "rfmseg.edges");
        let back =
            Provenance::from_key_values(kv.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))));
        assert_eq!(back.as_ref(), Ok(&with));
        let e = back.unwrap().thresholds().unwrap_err();
        assert!(e.contains("rfmseg.edges is not readable"), "{e}");
        assert!(!kv.iter().any(|(k, _)| k == "rfmseg.holdout"));
    }

    #[test]
    fn a_holdout_is_recorded_and_read_back() {
        let p = Provenance {
            holdout: Some(HoldoutRecord {
                share: 0.1,
                salt: "2025-q1".into(),
                hash: "h/1".into(),
            }),
            ..sample()
        };
        let kv = p.to_key_values();
        let (_, text) = kv.iter().find(|(k, _)| k == "rfmseg.holdout").unwrap();
        assert_eq!(text, r#"{"share":0.1,"salt":"2025-q1","hash":"h/1"}"#);
        let pairs = kv.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())));
        assert_eq!(Provenance::from_key_values(pairs).unwrap(), p);
    }

    #[test]
    fn missing_provenance_and_missing_keys_are_named() {
        let none = Provenance::from_key_values([("ARROW:schema", Some("x"))]).unwrap_err();
        assert!(none.contains("no rfmseg provenance"), "{none}");
        let kv = sample().to_key_values();
        let pairs = kv
            .iter()
            .filter(|(k, _)| k != "rfmseg.rows")
            .map(|(k, v)| (k.as_str(), Some(v.as_str())));
        let e = Provenance::from_key_values(pairs).unwrap_err();
        assert!(e.contains("rfmseg.rows is missing"), "{e}");
    }
}
