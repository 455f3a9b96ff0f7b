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
    /// `output.holdout`: customers held out of campaigns (None: no `holdout` column).
    pub holdout: Option<Holdout>,
}

/// `output.holdout` resolved: a share of each segment's customers, chosen by a hash of the
/// salt and the customer's keys (docs/contract.md, "Holdout").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holdout {
    /// The share in millionths (0.1 is 100000): the config's share, at most 6 decimals, so
    /// a segment's count `round(share * customers)` is exact integer arithmetic.
    pub share_millionths: u32,
    /// The salt: a new salt draws a new set.
    pub salt: String,
}

impl Holdout {
    /// One share in millionths.
    pub const MILLION: u64 = 1_000_000;

    /// The share as a number (for display: 0.1).
    pub fn share(&self) -> f64 {
        f64::from(self.share_millionths) / Self::MILLION as f64
    }

    /// Customers held out of a segment of `customers`: `share * customers` rounded to the
    /// nearest whole customer, half away from zero, in exact integers.
    pub fn count(&self, customers: u64) -> u64 {
        let twice = 2 * u128::from(self.share_millionths) * u128::from(customers);
        let million = u128::from(Self::MILLION);
        ((twice + million) / (2 * million)) as u64
    }
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
    /// How CSV files are written (`input.csv`); Parquet files ignore it.
    pub csv: CsvDialect,
}

/// `input.csv:` resolved: how CSV files are written. The default is comma-separated UTF-8
/// with a '.' decimal point and no thousands separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field separator, one byte (`,` by default; `;`, a tab, `|`, ...).
    pub separator: u8,
    /// Amounts are written with a decimal comma (`12,50`).
    pub decimal_comma: bool,
    /// A thousands separator removed from amounts before they are read (`.` in `1.234,50`).
    pub thousands: Option<String>,
    /// The files' encoding.
    pub encoding: Encoding,
}

impl Default for CsvDialect {
    fn default() -> Self {
        CsvDialect::PLAIN
    }
}

impl CsvDialect {
    /// The default: comma-separated UTF-8, a '.' decimal point, no thousands separator (also
    /// how text amounts of Parquet files are read).
    pub const PLAIN: CsvDialect = CsvDialect {
        separator: b',',
        decimal_comma: false,
        thousands: None,
        encoding: Encoding::Utf8,
    };

    /// The thousands separators `input.csv.thousands` may name: a point, a comma, a space, an
    /// apostrophe (Swiss), a no-break space and a narrow no-break space (French).
    pub const THOUSANDS: [&'static str; 6] = [".", ",", " ", "'", "\u{a0}", "\u{202f}"];

    /// The decimal separator amounts are written with.
    pub fn decimal(&self) -> char {
        if self.decimal_comma {
            ','
        } else {
            '.'
        }
    }

    /// True when amounts are read as written, with a '.' decimal point and no thousands
    /// separator: text amounts need no rewriting before they are parsed.
    pub fn plain_numbers(&self) -> bool {
        !self.decimal_comma && self.thousands.is_none()
    }

    /// The separator as a config value: `","`, `";"`, `"\t"`.
    pub fn separator_text(&self) -> String {
        separator_text(self.separator)
    }
}

/// A separator byte as a config value: `","`, `";"`, `"\t"`.
pub fn separator_text(separator: u8) -> String {
    yaml_quoted(&char::from(separator).to_string())
}

/// `text` as a YAML double-quoted scalar that shows every character: quotes and backslashes
/// escaped, a tab as `\t`, other control characters and invisible spaces (U+00A0, U+202F)
/// as `\uXXXX`.
pub fn yaml_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{a0}' || c == '\u{202f}' => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `input.csv.encoding`: how the bytes of a CSV file are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark (the default): read as it is.
    Utf8,
    /// Windows-1256 (Arabic and Persian Windows).
    Windows1256,
    /// Windows-1252 (Western European Windows).
    Windows1252,
    /// ISO-8859-1 exactly: every byte is the code point of its value (U+0000 to U+00FF).
    Latin1,
    /// UTF-16 with a byte order mark (little or big endian), as Excel's "Unicode text".
    Utf16,
}

impl Encoding {
    /// The names a config may give, in the order messages list them, each with its aliases.
    pub const NAMES: [(&'static str, &'static [&'static str], Encoding); 5] = [
        ("utf-8", &["utf8"], Encoding::Utf8),
        ("windows-1256", &["cp1256"], Encoding::Windows1256),
        ("windows-1252", &["cp1252"], Encoding::Windows1252),
        ("latin-1", &["latin1", "iso-8859-1"], Encoding::Latin1),
        ("utf-16", &["utf16"], Encoding::Utf16),
    ];

    /// The encoding named `name` (case does not matter) or one of its aliases.
    pub fn from_name(name: &str) -> Option<Encoding> {
        let name = name.trim().to_ascii_lowercase();
        Self::NAMES
            .iter()
            .find(|(n, aliases, _)| *n == name || aliases.contains(&name.as_str()))
            .map(|(_, _, e)| *e)
    }

    /// The encoding's name as a config writes it.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, _, e)| *e == self)
            .map(|(n, _, _)| *n)
            .expect("every encoding is named")
    }
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
    /// `scoring.min_group_customers` (only with group_by): a partition with fewer scored
    /// customers is scored with the edges of its parent partition (the group_by columns
    /// without the last), upward until one has as many or the whole input is reached.
    pub min_group_customers: Option<u64>,
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
