//! What differs between the SQL dialects `rfmseg sql` writes: quoting, type names and
//! type tests, regular expression groups (text dates: [`super::dates`]), making a date,
//! raising an error, day differences, integer division and null-safe equality.

use crate::settings::when::Quoting;

/// Whitespace as Rust's `char::is_whitespace` knows it (what polars' strip and chrono skip),
/// as the body of a regular expression's character class: `\s` is narrower in Java and RE2.
pub const WHITESPACE: &str = r"\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// A SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Apache Spark SQL (3.5 and later; Databricks, EMR, Dataproc).
    Spark,
    /// DuckDB (1.0 and later).
    DuckDb,
}

impl Quoting for Dialect {
    fn ident(&self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn string(&self, value: &str) -> String {
        match self {
            // Spark reads backslash escapes inside string literals.
            Dialect::Spark => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
            Dialect::DuckDb => format!("'{}'", value.replace('\'', "''")),
        }
    }
}

impl Dialect {
    /// The engine's name, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Spark => "Spark",
            Dialect::DuckDb => "DuckDB",
        }
    }

    /// The dialect's name, as given to `--dialect`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
        }
    }

    /// The text type.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::DuckDb => "VARCHAR",
        }
    }

    /// `e` as text.
    pub fn as_text(self, e: &str) -> String {
        format!("CAST({e} AS {})", self.text_type())
    }

    /// True when the column `e` holds text (decided from its type, per table).
    pub fn is_text_type(self, e: &str) -> String {
        match self {
            Dialect::Spark => format!("typeof({e}) = 'string'"),
            Dialect::DuckDb => format!("typeof({e}) = 'VARCHAR'"),
        }
    }

    /// True when the column `e` holds dates or timestamps.
    pub fn is_temporal_type(self, e: &str) -> String {
        match self {
            Dialect::Spark => format!("(typeof({e}) = 'date' OR typeof({e}) LIKE 'timestamp%')"),
            Dialect::DuckDb => format!("(typeof({e}) = 'DATE' OR typeof({e}) LIKE 'TIMESTAMP%')"),
        }
    }

    /// True when the text `e` is empty or only whitespace (as `rfmseg run` trims it).
    pub fn is_blank(self, e: &str) -> String {
        let blank = format!(r"\A[{WHITESPACE}]*\z");
        match self {
            Dialect::Spark => format!("{e} RLIKE {}", self.string(&blank)),
            Dialect::DuckDb => format!("regexp_matches({e}, {})", self.string(&blank)),
        }
    }

    /// True when the text `e` matches the regular expression `regex` (anchor it with `\A` and
    /// `\z` for a whole match).
    pub fn matches(self, e: &str, regex: &str) -> String {
        match self {
            Dialect::Spark => format!("{e} RLIKE {}", self.string(regex)),
            Dialect::DuckDb => format!("regexp_matches({e}, {})", self.string(regex)),
        }
    }

    /// Stop the query with the text `message` (an expression).
    pub fn raise(self, message: &str) -> String {
        match self {
            Dialect::Spark => format!("raise_error({message})"),
            Dialect::DuckDb => format!("error({message})"),
        }
    }

    /// Whole days from `earlier` to `later` (dates), as BIGINT.
    pub fn day_diff(self, later: &str, earlier: &str) -> String {
        match self {
            Dialect::Spark => format!("CAST(datediff({later}, {earlier}) AS BIGINT)"),
            Dialect::DuckDb => format!("date_diff('day', {earlier}, {later})"),
        }
    }

    /// Integer division of non-negative integers.
    pub fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Spark => format!("({a} DIV {b})"),
            Dialect::DuckDb => format!("({a} // {b})"),
        }
    }

    /// Equality where NULL equals NULL (group keys: null is a group of its own).
    pub fn same(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Spark => format!("{a} <=> {b}"),
            Dialect::DuckDb => format!("{a} IS NOT DISTINCT FROM {b}"),
        }
    }

    /// The groups 1..=`n` of the anchored regular expression `regex` in the text `e`, as one
    /// value to read with [`Dialect::regex_group`]: a Spark array (NULL where `e` does not
    /// match; the pattern runs twice), a DuckDB struct (empty groups where it does not match;
    /// the pattern runs once).
    pub fn regex_groups(self, e: &str, regex: &str, n: usize) -> String {
        let re = self.string(regex);
        match self {
            Dialect::Spark => {
                let refs: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
                format!(
                    "CASE WHEN {e} RLIKE {re} THEN split(regexp_replace({e}, {re}, {}), ',') END",
                    self.string(&refs.join(","))
                )
            }
            Dialect::DuckDb => {
                let names: Vec<String> = (1..=n).map(|i| format!("'g{i}'")).collect();
                format!("regexp_extract({e}, {re}, [{}])", names.join(", "))
            }
        }
    }

    /// Group `i` (from 1) of a value of [`Dialect::regex_groups`].
    pub fn regex_group(self, groups: &str, i: usize) -> String {
        match self {
            Dialect::Spark => format!("{groups}[{}]", i - 1),
            Dialect::DuckDb => format!("struct_extract({groups}, 'g{i}')"),
        }
    }

    /// The date `days` days after 1970-01-01.
    pub fn epoch_day(self, days: &str) -> String {
        match self {
            // Spark's `date_add` takes an INT (`DIV` gives a BIGINT).
            Dialect::Spark => format!("date_add(DATE '1970-01-01', CAST({days} AS INT))"),
            Dialect::DuckDb => format!("(DATE '1970-01-01' + ({days}))"),
        }
    }

    /// The text `e` with Persian and Arabic-Indic digits as ASCII digits, `٫` as `.` and `٬`
    /// dropped, as `rfmseg run` reads numbers and dates (`translate` drops the characters of
    /// its second argument that the third has none for, on both engines).
    pub fn ascii_digits(self, e: &str) -> String {
        use crate::settings::calendar::{
            ARABIC_DECIMAL, ARABIC_INDIC_DIGITS, ARABIC_THOUSANDS, PERSIAN_DIGITS,
        };
        let from =
            format!("{PERSIAN_DIGITS}{ARABIC_INDIC_DIGITS}{ARABIC_DECIMAL}{ARABIC_THOUSANDS}");
        format!(
            "translate({e}, {}, {})",
            self.string(&from),
            self.string("01234567890123456789.")
        )
    }

    /// The date `days` days after the first of month `m` (1 to 12) of year `y`.
    pub fn month_day(self, y: &str, m: &str, days: &str) -> String {
        match self {
            Dialect::Spark => format!("date_add(make_date({y}, {m}, 1), {days})"),
            Dialect::DuckDb => format!("(make_date({y}, {m}, 1) + ({days}))"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_per_dialect() {
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::DuckDb.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.string("it's a\\b"), "'it\\'s a\\\\b'");
        assert_eq!(Dialect::DuckDb.string("it's a\\b"), "'it''s a\\b'");
    }
}
