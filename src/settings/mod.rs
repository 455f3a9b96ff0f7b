//! The resolved, validated settings every layer reads: what to read, the observation window
//! and metric definitions, how each metric is scored, and the segment rules with their `when`
//! conditions already parsed into a tree ([`when`]). [`crate::config`] makes them from YAML;
//! nothing here reads a file.

pub mod calendar;
pub mod cells;
pub mod thresholds;
pub mod when;

use std::path::PathBuf;

use chrono::NaiveDate;

pub use calendar::Calendar;
pub use thresholds::Thresholds;
pub use when::Condition;

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
    /// The calendar dates written as text (and `as_of`) are read in.
    pub calendar: Calendar,
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
    /// Linear-interpolated quantile edges, right-closed bins: `k = 1 + #{i : value > q_i}`.
    Quantile,
    /// R's rfm package (0.3): the quantiles of `quantile` plus [`R_RFM_SHIFT`], bins closed on
    /// the left: `k = 1 + #{i : value >= q_i + 1}`.
    RRfm,
    /// Ascending thresholds in the metric's unit.
    Fixed(Vec<f64>),
}

/// What R's rfm package adds to each quantile to make its bins' edges (`bins()` in its
/// `utils.R`: `quantile(...) + 1`), for every metric, monetary included.
pub const R_RFM_SHIFT: f64 = 1.0;

impl Method {
    /// The names a config may give `method`, in the order messages list them.
    pub const NAMES: [&'static str; 4] = ["rank", "quantile", "r-rfm", "fixed"];

    /// The method's name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Rank => "rank",
            Method::Quantile => "quantile",
            Method::RRfm => "r-rfm",
            Method::Fixed(_) => "fixed",
        }
    }

    /// The method named `name` when it needs nothing more than bins (every method but
    /// `fixed`, which needs its thresholds).
    pub fn without_thresholds(name: &str) -> Option<Method> {
        match name {
            "rank" => Some(Method::Rank),
            "quantile" => Some(Method::Quantile),
            "r-rfm" => Some(Method::RRfm),
            _ => None,
        }
    }

    /// How a value passes one of this method's edges, on the metric's own value (days for
    /// recency): `">="` for `r-rfm` (R's bins `[lower, upper)`) and for `fixed` frequency and
    /// monetary thresholds, `">"` otherwise. The level is `1 +` the edges passed.
    pub fn compare(&self, recency: bool) -> &'static str {
        match self {
            Method::RRfm => ">=",
            Method::Fixed(_) if !recency => ">=",
            _ => ">",
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
    pub frozen: Option<std::sync::Arc<Thresholds>>,
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
    /// The `when:` condition, parsed (and checked to name known columns) when the config
    /// was loaded.
    pub when: Option<Condition>,
}

/// `segments:` resolved.
#[derive(Debug, Clone)]
pub struct Segments {
    /// Name where no rule matches.
    pub default: String,
    /// Ordered rules.
    pub rules: Vec<Rule>,
}
