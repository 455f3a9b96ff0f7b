//! The config file as written: serde structs that mirror the YAML, every field optional so
//! that validation can report all missing and wrong values at once. Unknown keys are found
//! by `keys`, from these structs' own field lists.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
pub struct RawConfig {
    /// `input:`
    #[serde(default)]
    pub input: RawInput,
    /// `analysis:`
    #[serde(default)]
    pub analysis: RawAnalysis,
    /// `scoring:`
    #[serde(default)]
    pub scoring: RawScoring,
    /// `segments:`
    #[serde(default)]
    pub segments: RawSegments,
    /// `output:`
    #[serde(default)]
    pub output: RawOutput,
}

/// `input:`
#[derive(Debug, Default, Deserialize)]
pub struct RawInput {
    /// Files, globs or folders (one string or a list).
    pub paths: Option<OneOrMany>,
    /// strftime format for dates written as text.
    pub date_format: Option<String>,
    /// gregorian | persian: the calendar of dates written as text (and of `as_of`).
    pub calendar: Option<String>,
    /// CSV file for rows with a value that cannot be read; the run goes on without them.
    pub rejects_path: Option<String>,
    /// Role -> column name.
    #[serde(default)]
    pub columns: RawColumns,
    /// How CSV files are written.
    pub csv: Option<RawCsv>,
}

/// `input.csv:`
#[derive(Debug, Default, Deserialize)]
pub struct RawCsv {
    /// One character: `,` (default), `;`, `"\t"`, `|`.
    pub separator: Option<String>,
    /// Amounts written `12,50`.
    pub decimal_comma: Option<bool>,
    /// A thousands separator to drop from amounts.
    pub thousands: Option<String>,
    /// utf-8 (default), windows-1256, windows-1252, latin-1, utf-16.
    pub encoding: Option<String>,
}

/// `input.columns:`
#[derive(Debug, Default, Deserialize)]
pub struct RawColumns {
    /// Column holding the customer key.
    pub customer_id: Option<String>,
    /// Column holding the order date.
    pub order_date: Option<String>,
    /// Column holding the line amount.
    pub amount: Option<String>,
    /// Column holding the order key (optional).
    pub order_id: Option<String>,
}

/// `analysis:`
#[derive(Debug, Default, Deserialize)]
pub struct RawAnalysis {
    /// Last observed day, YYYY-MM-DD in `input.calendar`.
    pub as_of: Option<String>,
    /// Window length in days.
    pub window_days: Option<i64>,
    /// net | exclude
    pub returns: Option<String>,
    /// total | average
    pub monetary: Option<String>,
    /// Decimals of the currency's minor unit.
    pub monetary_decimals: Option<i64>,
    /// orders | lines | days
    pub frequency: Option<String>,
    /// Columns to score within.
    pub group_by: Option<OneOrMany>,
}

/// `scoring:`
#[derive(Debug, Default, Deserialize)]
pub struct RawScoring {
    /// rank | quantile | r-rfm | fixed, for every metric without its own.
    pub method: Option<String>,
    /// Score levels, for every metric without its own.
    pub bins: Option<i64>,
    /// `scoring.recency:`
    pub recency: Option<RawMetricScoring>,
    /// `scoring.frequency:`
    pub frequency: Option<RawMetricScoring>,
    /// `scoring.monetary:`
    pub monetary: Option<RawMetricScoring>,
    /// A thresholds file written by `rfmseg run --thresholds-out`: score with its edges.
    pub thresholds_from: Option<String>,
    /// With group_by: a partition with fewer customers is scored with its parent's edges.
    pub min_group_customers: Option<i64>,
}

/// `scoring.<metric>:`
#[derive(Debug, Default, Deserialize)]
pub struct RawMetricScoring {
    /// rank | quantile | r-rfm | fixed
    pub method: Option<String>,
    /// Score levels.
    pub bins: Option<i64>,
    /// Ascending thresholds for `fixed`, in the metric's unit.
    pub thresholds: Option<Vec<f64>>,
}

/// `segments:`
#[derive(Debug, Default, Deserialize)]
pub struct RawSegments {
    /// Name given where no rule matches.
    pub default: Option<String>,
    /// Ordered rules; the first match names the segment.
    pub rules: Option<Vec<RawRule>>,
}

/// One item of `segments.rules`.
#[derive(Debug, Default, Deserialize)]
pub struct RawRule {
    /// Segment name.
    pub name: Option<String>,
    /// What the segment means, for reports.
    pub description: Option<String>,
    /// Inclusive recency score range.
    pub r: Option<ScoreRange>,
    /// Inclusive frequency score range.
    pub f: Option<ScoreRange>,
    /// Inclusive monetary score range.
    pub m: Option<ScoreRange>,
    /// Exact cells, e.g. "555".
    pub cells: Option<Vec<Cell>>,
    /// A boolean SQL expression.
    pub when: Option<String>,
}

/// `r: 5` or `r: [4, 5]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ScoreRange {
    /// One score.
    One(i64),
    /// `[low, high]` (any other length is a validation problem).
    List(Vec<i64>),
}

/// A cell written as text ("555") or, unquoted, as a number (555).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// `"545"` or `"10-3-5"`.
    Text(String),
    /// `545`
    Number(u64),
}

impl Cell {
    /// The cell as text.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `output:`
#[derive(Debug, Default, Deserialize)]
pub struct RawOutput {
    /// Parquet file to write.
    pub path: Option<String>,
    /// `output.holdout:` a share of each segment held out of campaigns.
    pub holdout: Option<RawHoldout>,
}

/// `output.holdout:`
#[derive(Debug, Default, Deserialize)]
pub struct RawHoldout {
    /// The share of each segment's customers held out, 0 < share < 1, at most 6 decimals.
    pub share: Option<f64>,
    /// The salt of the hash: the same salt gives the same set.
    pub salt: Option<String>,
}
