//! `state.json`: what a saved state holds. The batches folded (each input file with its size,
//! SHA-256, lines and date range), the rollup files that hold their rows, the keys the lines
//! were folded under ([`Depends`]) and the key columns' types. Written whole and renamed into
//! place: the file on disk always describes rollup files that are all there.

use serde::{Deserialize, Serialize};

use super::depends::Depends;

/// The format of `state.json`.
pub const FORMAT: &str = "rfmseg-state/1";

/// The manifest of a state folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The version of rfmseg that wrote it.
    pub rfmseg_version: String,
    /// When the state was created (UTC, RFC 3339).
    pub created: String,
    /// The config keys the lines were folded under.
    pub depends: Depends,
    /// The rollup key columns and their types (polars' names), fixed by the first batch.
    pub key_types: Vec<(String, String)>,
    /// Bumped by every fold: names the next rollup file.
    pub generation: u64,
    /// The rollup files that hold every batch's rows, in the folder.
    pub files: Vec<RollupFile>,
    /// Every input folded, in order.
    pub batches: Vec<Batch>,
    /// The customers snapshot of every rollup row, when it is up to date (with
    /// `snapshot_changes`).
    #[serde(default)]
    pub snapshot: Option<RollupFile>,
    /// The snapshot of the rollup rows folded since `snapshot` was written, in output order: the
    /// customers those folds changed or added. The snapshot merged with it is up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_changes: Option<RollupFile>,
    /// Rows written as `snapshot_changes` since `snapshot` was written, over every fold.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub changes_written: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One rollup file of the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupFile {
    /// File name inside the state folder.
    pub name: String,
    /// Rollup rows in it.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// One input file folded into the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// 1, 2, ... in the order folded.
    pub id: u64,
    /// The path as given to the run that folded it.
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, lowercase hex: a file with the same content is not folded again.
    pub sha256: String,
    /// Data rows read (rows set aside by `input.rejects_path` included).
    pub lines: u64,
    /// Dropped: no customer_id.
    pub dropped_no_customer_id: u64,
    /// Dropped: no order_date.
    pub dropped_no_order_date: u64,
    /// Dropped: no amount.
    pub dropped_no_amount: u64,
    /// Set aside (`input.rejects_path`).
    pub rejected: u64,
    /// Lines with a customer, a date and an amount: the ones folded.
    pub folded_lines: u64,
    /// Of those, purchase lines (amount >= 0).
    #[serde(default)]
    pub purchase_lines: u64,
    /// Of those, return lines (amount < 0).
    #[serde(default)]
    pub return_lines: u64,
    /// Earliest date of a folded line (ISO), if any.
    pub first_date: Option<String>,
    /// Latest date of a folded line (ISO), if any.
    pub last_date: Option<String>,
    /// The sum of the absolute minor units of its lines: whether sums over the state fit in 64
    /// bits.
    pub abs_minor: f64,
    /// When it was folded (UTC, RFC 3339).
    pub folded_at: String,
    /// The smallest and largest purchase order id of its lines (with `frequency: orders`): a
    /// later batch whose orders all sort after every earlier one's cannot repeat one.
    #[serde(default)]
    pub orders: Option<(serde_json::Value, serde_json::Value)>,
    /// With text order ids, their smallest and largest in shortlex order (shorter first, then
    /// bytewise): the numbers' order for ids written as numbers without leading zeros ("999"
    /// before "1000"), the bytes' order for ids of one width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_shortlex: Option<(String, String)>,
}

impl Manifest {
    /// Every file the state lists: rollups, the snapshot and its changes.
    pub fn listed(&self) -> impl Iterator<Item = &RollupFile> {
        self.files
            .iter()
            .chain(&self.snapshot)
            .chain(&self.snapshot_changes)
    }

    /// The sum of every batch's absolute minor units.
    pub fn abs_minor(&self) -> f64 {
        self.batches.iter().map(|b| b.abs_minor).sum()
    }

    /// The latest date of a folded line, over all batches (ISO text sorts as dates).
    pub fn last_date(&self) -> Option<&str> {
        self.batches
            .iter()
            .filter_map(|b| b.last_date.as_deref())
            .max()
    }

    /// The earliest date of a folded line, over all batches.
    pub fn first_date(&self) -> Option<&str> {
        self.batches
            .iter()
            .filter_map(|b| b.first_date.as_deref())
            .min()
    }

    /// Whether every purchase order of `batches` sorts after every purchase order of the
    /// batches before them (ids compared as numbers, or as text): then no order of theirs
    /// was folded before.
    pub fn orders_after(&self, before: &[Batch], batches: &[Batch]) -> bool {
        Self::orders_after_as_recorded(before, batches) || Self::shortlex_after(before, batches)
    }

    /// Whether every purchase order id of `batches` is after every one of `before` in shortlex
    /// order: the spans in that order are disjoint, so no id is in both. Every batch with a
    /// purchase order must have recorded its shortlex span (text ids, this version or later).
    fn shortlex_after(before: &[Batch], batches: &[Batch]) -> bool {
        let spans = |list: &'_ [Batch]| -> Option<Vec<(String, String)>> {
            list.iter()
                .filter(|b| b.orders.is_some())
                .map(|b| b.orders_shortlex.clone())
                .collect()
        };
        let (Some(earlier), Some(new)) = (spans(before), spans(batches)) else {
            return false;
        };
        let key = |s: &str| (s.len(), s.as_bytes().to_vec());
        let last = earlier.iter().map(|s| key(&s.1)).max();
        let first = new.iter().map(|s| key(&s.0)).min();
        match (last, first) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        }
    }

    /// [`Manifest::orders_after`] by the spans as recorded: integers by value, text bytewise.
    fn orders_after_as_recorded(before: &[Batch], batches: &[Batch]) -> bool {
        let last = before
            .iter()
            .filter_map(|b| b.orders.as_ref().map(|o| &o.1));
        let first = batches
            .iter()
            .filter_map(|b| b.orders.as_ref().map(|o| &o.0));
        let Some(first) = first.min_by(|a, b| compare(a, b)) else {
            return true;
        };
        last.into_iter()
            .all(|l| compare(first, l) == std::cmp::Ordering::Greater)
    }

    /// The batch whose content has this SHA-256, if one was folded.
    pub fn folded(&self, sha256: &str) -> Option<&Batch> {
        self.batches.iter().find(|b| b.sha256 == sha256)
    }

    /// The sum of `field` over the batches.
    pub fn total(&self, field: impl Fn(&Batch) -> u64) -> u64 {
        self.batches.iter().map(field).sum()
    }
}

/// Order ids as the JSON values a batch records: numbers by value, text bytewise; a number
/// and a text never sort after each other (Equal: not provably after).
fn compare(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => std::cmp::Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(orders: (&str, &str), shortlex: Option<(&str, &str)>) -> Batch {
        Batch {
            id: 1,
            file: "f.csv".into(),
            size: 0,
            sha256: String::new(),
            lines: 0,
            dropped_no_customer_id: 0,
            dropped_no_order_date: 0,
            dropped_no_amount: 0,
            rejected: 0,
            folded_lines: 0,
            purchase_lines: 0,
            return_lines: 0,
            first_date: None,
            last_date: None,
            abs_minor: 0.0,
            folded_at: String::new(),
            orders: Some((orders.0.into(), orders.1.into())),
            orders_shortlex: shortlex.map(|(a, b)| (a.to_string(), b.to_string())),
        }
    }

    fn after(before: &[Batch], new: &[Batch]) -> bool {
        let manifest: Manifest = serde_json::from_str(
            r#"{"format":"","rfmseg_version":"","created":"","depends":[],"key_types":[],
                "generation":0,"files":[],"batches":[]}"#,
        )
        .unwrap();
        manifest.orders_after(before, new)
    }

    #[test]
    fn text_order_ids_written_as_numbers_are_after_the_earlier_ones_by_length_first() {
        // "999999" sorts after "3518019" bytewise, before it by length: numbers without
        // leading zeros, in their order.
        let history = batch(("1", "999999"), Some(("1", "999999")));
        let night = batch(("3518019", "3874719"), Some(("3518019", "3874719")));
        assert!(after(
            std::slice::from_ref(&history),
            std::slice::from_ref(&night)
        ));
        // Spans recorded bytewise only (a state of an earlier version) prove nothing here.
        let old = batch(("1", "999999"), None);
        assert!(!after(&[old], std::slice::from_ref(&night)));
        // Shortlex spans that meet are not after.
        let overlapping = batch(("1000", "999"), Some(("999", "2000")));
        assert!(!after(
            &[batch(("1", "1000"), Some(("1", "1000")))],
            &[overlapping]
        ));
        // Fixed-width ids keep their bytewise proof.
        let a = batch(("O001", "O050"), Some(("O001", "O050")));
        let b = batch(("O051", "O099"), Some(("O051", "O099")));
        assert!(after(&[a], &[b]));
    }
}
