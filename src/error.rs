//! Every way a run can fail, each carrying what the user needs to fix it, and the exit code
//! it maps to (1 = data or runtime error, 2 = usage or config error).

use std::path::{Path, PathBuf};

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure of `rfmseg`, rendered as one paragraph on stderr.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigRead {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The config file is not valid YAML, or a value has the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    ConfigSyntax {
        /// The config path.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The config parsed but has one or more problems; all of them are listed.
    #[error("{} problem{} in config {}:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, path.display(), render_problems(path, problems))]
    ConfigInvalid {
        /// The config path.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },

    /// A command-line value is invalid.
    #[error("{0}")]
    Usage(String),

    /// An input path, glob or folder names no file.
    #[error("input {pattern} matches no {what}; check the path (relative paths are read from the current directory, {cwd})")]
    InputNotFound {
        /// The path or glob as given.
        pattern: String,
        /// "file", "CSV or Parquet file", ...
        what: &'static str,
        /// The current directory.
        cwd: String,
    },

    /// An input file has an extension that is neither CSV nor Parquet.
    #[error("input {path}: unsupported file type; rfmseg reads .csv and .parquet (.pq) files")]
    InputUnsupported {
        /// The file.
        path: PathBuf,
    },

    /// A mapped or group_by column is missing from an input file.
    #[error("input {path}: column {column:?} ({role}) is missing; the file has columns {available}. Fix input.columns{hint} in the config")]
    InputColumnMissing {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: String,
        /// The role it was mapped to.
        role: String,
        /// The columns the file has.
        available: String,
        /// Where to fix it.
        hint: &'static str,
    },

    /// A column has an unusable type in an input file.
    #[error("input {path}: column {column:?} ({role}) has type {dtype}, expected {expected}")]
    InputColumnType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Its role.
        role: String,
        /// Its type in the file.
        dtype: String,
        /// What the role accepts.
        expected: &'static str,
    },

    /// A value cannot be read as its role's type.
    #[error("{0}")]
    InputValue(Box<BadValue>),

    /// An input file could not be read or decoded.
    #[error("input {path}: {message}")]
    InputRead {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The inputs hold no order line at all.
    #[error("no order lines: the input ({files}) has no data rows")]
    NoOrderLines {
        /// The files read.
        files: String,
    },

    /// The data cannot give the result the config asks for.
    #[error("{0}")]
    Data(String),

    /// The output path is unusable.
    #[error("output {path}: {message}")]
    Output {
        /// The output path.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A file given to `rfmseg report` is missing, unreadable or not a run's output.
    #[error("run file {path}: {message}")]
    ScoredFile {
        /// The file as given.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The saved state (`run --state DIR`, `inspect DIR`) cannot be used as asked.
    #[error("state {}: {message}", dir.display())]
    State {
        /// The state folder.
        dir: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },

    /// The config changes a key the saved state was folded with (`run --state DIR`).
    #[error("state {}: {message}", dir.display())]
    StateDepends {
        /// The state folder.
        dir: PathBuf,
        /// The keys that changed and what to do.
        message: String,
    },

    /// A file given to `rfmseg inspect` is unreadable or holds no rfmseg provenance.
    #[error("{path}: {message}")]
    Inspect {
        /// The file as given.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A report chart could not be drawn.
    #[error("cannot draw the chart {chart:?}: {message}")]
    Chart {
        /// The chart's title.
        chart: String,
        /// The drawing library's error.
        message: String,
    },

    /// `rfmseg check --strict` found problems.
    #[error("check --strict failed: {0}")]
    CheckFailed(String),

    /// A failure inside the query engine, with what rfmseg was doing.
    #[error("{context}: {source}")]
    Engine {
        /// What was being done.
        context: String,
        /// The engine's error.
        source: polars::error::PolarsError,
    },
}

impl Error {
    /// The process exit code for this error: 2 for usage and config errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::ConfigRead { .. }
            | Error::ConfigSyntax { .. }
            | Error::ConfigInvalid { .. }
            | Error::Usage(_)
            | Error::StateDepends { .. } => 2,
            _ => 1,
        }
    }

    /// Wrap an engine error with what rfmseg was doing.
    pub fn engine(context: impl Into<String>) -> impl FnOnce(polars::error::PolarsError) -> Error {
        let context = context.into();
        move |source| Error::Engine { context, source }
    }
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {}", p.render(path)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A 1-based line and column in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

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

/// A value in an input file that cannot be read as its role's type.
#[derive(Debug, thiserror::Error)]
#[error("input {path}, {place}, column {column:?} ({role}): cannot read {value:?} as {expected}. {fix}", path = .path.display())]
pub struct BadValue {
    /// The file.
    pub path: PathBuf,
    /// "row 12 (line 13)" or "row 12".
    pub place: String,
    /// The column in the file.
    pub column: String,
    /// The role.
    pub role: String,
    /// The offending value, as written.
    pub value: String,
    /// What was expected.
    pub expected: String,
    /// What would fix it.
    pub fix: String,
}

/// `text` as shown in a message: a value or name from the data longer than 120 characters
/// (a 10 MB line read as one header name) is cut to its first 100, with its length.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    const KEEP: usize = 100;
    if text.chars().nth(MAX).is_none() {
        return text.to_string();
    }
    let head: String = text.chars().take(KEEP).collect();
    format!("{head}... ({} characters)", text.chars().count())
}

/// The allowed key closest to `key`, when it is close enough to be a typo.
pub fn suggest(key: &str, allowed: &[&str]) -> Option<String> {
    allowed
        .iter()
        .map(|a| (edit_distance(key, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min()
        .map(|(_, a)| a.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_shortened_in_messages() {
        assert_eq!(shorten("abc"), "abc");
        let exact = "x".repeat(120);
        assert_eq!(shorten(&exact), exact);
        let long = "é".repeat(121);
        assert_eq!(
            shorten(&long),
            format!("{}... (121 characters)", "é".repeat(100))
        );
    }
}
