//! The YAML config: load (serde_yaml) -> check (every problem at once, each with its line and
//! column) -> resolved [`Settings`] the pipeline runs on. Command-line overrides are applied
//! before the check, so a missing `input.paths` is fine when `--input` is given.

mod canonical;
mod keys;
pub use canonical::canonical_text;
pub(crate) use keys::suggest;
pub mod locate;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
pub use locate::Spot;

/// One config problem, placed in the file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Dotted path of the offending key, e.g. `segments.rules[2].r`, with the rule name.
    pub place: String,
    /// Where it is in the file, when known.
    pub spot: Option<Spot>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// `config.yaml:14:7: segments.rules[2].r: ...`
    pub fn render(&self, path: &Path) -> String {
        match self.spot {
            Some(s) => format!(
                "{}:{}:{}: {}: {}",
                path.display(),
                s.line,
                s.column,
                self.place,
                self.message
            ),
            None => format!("{}: {}: {}", path.display(), self.place, self.message),
        }
    }
}

/// Values given on the command line, which win over the config's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `input.paths` when not empty.
    pub inputs: Vec<String>,
    /// Replaces `output.path`.
    pub output: Option<PathBuf>,
    /// Replaces `analysis.as_of`.
    pub as_of: Option<NaiveDate>,
}

/// A checked config, ready to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the config was read from.
    pub source: PathBuf,
    /// The config text as read.
    pub text: String,
    /// What to read.
    pub input: InputSettings,
    /// The observation window and metric definitions.
    pub analysis: Analysis,
    /// How each metric is scored.
    pub scoring: Scoring,
    /// The ordered segment rules.
    pub segments: Segments,
    /// Where to write (None only for commands that write nothing).
    pub output: Option<PathBuf>,
}

/// `input:` resolved.
#[derive(Debug, Clone)]
pub struct InputSettings {
    /// Files, globs or folders.
    pub paths: Vec<String>,
    /// strftime format for dates written as text.
    pub date_format: Option<String>,
    /// Where rows with an unreadable value are set aside (CSV); None: such a row fails the
    /// run.
    pub rejects_path: Option<PathBuf>,
    /// Role -> column name in the files.
    pub columns: ColumnMap,
}

/// The file's column name for each role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// customer_id role.
    pub customer_id: String,
    /// order_date role.
    pub order_date: String,
    /// amount role.
    pub amount: String,
    /// order_id role, when mapped.
    pub order_id: Option<String>,
}

/// `analysis.returns`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Negative lines lower monetary.
    Net,
    /// Negative lines are dropped.
    Exclude,
}

/// `analysis.monetary`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monetary {
    /// Sum of kept lines.
    Total,
    /// Sum divided by frequency.
    Average,
}

/// `analysis.frequency`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Distinct order ids among purchase lines.
    Orders,
    /// Purchase lines.
    Lines,
    /// Distinct purchase dates.
    Days,
}

/// `analysis:` resolved.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Last observed day; None = the latest order date in the input.
    pub as_of: Option<NaiveDate>,
    /// Only lines with `as_of - date < window_days` count.
    pub window_days: Option<u32>,
    /// Treatment of negative lines.
    pub returns: Returns,
    /// Total or average.
    pub monetary: Monetary,
    /// Decimals of the minor unit.
    pub monetary_decimals: u32,
    /// What a purchase is.
    pub frequency: Frequency,
    /// Columns customers are scored within.
    pub group_by: Vec<String>,
}

/// A scoring method.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// `1 + floor(bins * worse / N)`.
    Rank,
    /// Linear-interpolated quantile edges, right-closed bins.
    Quantile,
    /// Ascending thresholds in the metric's unit.
    Fixed(Vec<f64>),
}

impl Method {
    /// The method's name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Rank => "rank",
            Method::Quantile => "quantile",
            Method::Fixed(_) => "fixed",
        }
    }
}

/// How one metric is scored.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricScoring {
    /// The method.
    pub method: Method,
    /// Score levels, 2..=10.
    pub bins: u32,
}

/// Scoring of the three metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    /// r
    pub recency: MetricScoring,
    /// f
    pub frequency: MetricScoring,
    /// m
    pub monetary: MetricScoring,
    /// Frozen edges from `scoring.thresholds_from`: when set, they score all three metrics.
    pub frozen: Option<std::sync::Arc<crate::rfm::Thresholds>>,
    /// `scoring.thresholds_from` as written, when the edges are frozen.
    pub thresholds_from: Option<String>,
}

impl Scoring {
    /// The levels of recency, frequency and monetary.
    pub fn bins(&self) -> [u32; 3] {
        [self.recency.bins, self.frequency.bins, self.monetary.bins]
    }

    /// True when any metric has more than 9 levels: cells are then joined with '-'.
    pub fn wide_cells(&self) -> bool {
        self.bins().iter().any(|&b| b > 9)
    }
}

/// One segment rule: its conditions are ANDed.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Segment name.
    pub name: String,
    /// What the segment means.
    pub description: Option<String>,
    /// Inclusive r range.
    pub r: Option<(u32, u32)>,
    /// Inclusive f range.
    pub f: Option<(u32, u32)>,
    /// Inclusive m range.
    pub m: Option<(u32, u32)>,
    /// Exact cells.
    pub cells: Option<Vec<String>>,
    /// Boolean SQL expression (already checked to parse and name known columns).
    pub when: Option<String>,
}

/// `segments:` resolved.
#[derive(Debug, Clone)]
pub struct Segments {
    /// Name where no rule matches.
    pub default: String,
    /// Ordered rules.
    pub rules: Vec<Rule>,
}

/// Read, check and resolve the config at `path` with command-line `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    from_text(text, path, overrides)
}

/// Check and resolve config `text`, read from `path` (named in errors), with command-line
/// `overrides`: [`load`] without the file read.
pub fn from_text(text: String, path: &Path, overrides: &Overrides) -> Result<Settings> {
    let resolved = validate::resolve(&text, overrides).map_err(|e| match e {
        validate::Failure::Syntax {
            line,
            column,
            message,
        } => Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
        validate::Failure::Problems(problems) => Error::ConfigInvalid {
            path: path.to_path_buf(),
            problems,
        },
    })?;
    Ok(Settings {
        source: path.to_path_buf(),
        text,
        ..resolved
    })
}
