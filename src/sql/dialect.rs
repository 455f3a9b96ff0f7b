//! What differs between the SQL dialects `rfmseg sql` writes: quoting, type names and
//! type tests, date parsing (strftime -> the dialect's pattern syntax), raising an error,
//! day differences, integer division and null-safe equality.

use crate::settings::when::Quoting;

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

    /// True when the text `e` is empty or only whitespace.
    pub fn is_blank(self, e: &str) -> String {
        match self {
            Dialect::Spark => format!("{e} RLIKE '^\\\\s*$'"),
            Dialect::DuckDb => format!("regexp_full_match({e}, '\\s*')"),
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

    /// The text `e` read as a date with the strftime `format` (None: ISO `YYYY-MM-DD`, leading
    /// zeros optional); NULL when it does not parse.
    pub fn parse_date(self, e: &str, format: Option<&str>) -> Result<String, String> {
        match self {
            Dialect::Spark => {
                let pattern = match format {
                    None => "yyyy-M-d".to_string(),
                    Some(f) => spark_pattern(f)?,
                };
                Ok(format!(
                    "CAST(try_to_timestamp({e}, {}) AS DATE)",
                    self.string(&pattern)
                ))
            }
            Dialect::DuckDb => {
                let format = match format {
                    None => "%Y-%m-%d".to_string(),
                    Some(f) => duckdb_format(f)?,
                };
                Ok(format!(
                    "CAST(try_strptime({e}, {}) AS DATE)",
                    self.string(&format)
                ))
            }
        }
    }
}

/// The strftime specifiers `rfmseg sql` translates, with their Spark pattern letters.
const SPECIFIERS: [(char, &str); 11] = [
    ('Y', "yyyy"),
    ('m', "M"),
    ('d', "d"),
    ('e', "d"),
    ('H', "H"),
    ('M', "m"),
    ('S', "s"),
    ('b', "MMM"),
    ('h', "MMM"),
    ('B', "MMMM"),
    ('j', "D"),
];

/// Split a strftime format into literal text and specifiers; an unsupported specifier is
/// an error that lists the supported ones.
fn tokens(format: &str) -> Result<Vec<Result<char, String>>, String> {
    let supported = || {
        let mut s: Vec<String> = SPECIFIERS.iter().map(|(c, _)| format!("%{c}")).collect();
        s.extend(["%F".into(), "%T".into(), "%%".into()]);
        s.join(" ")
    };
    let mut out: Vec<Result<char, String>> = Vec::new();
    let mut chars = format.chars();
    let mut literal = String::new();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let spec = chars.next();
        let expanded: Vec<char> = match spec {
            Some('%') => {
                literal.push('%');
                continue;
            }
            Some('F') => vec!['Y', '-', 'm', '-', 'd'],
            Some('T') => vec!['H', ':', 'M', ':', 'S'],
            Some(s) if SPECIFIERS.iter().any(|(c, _)| *c == s) => vec![s],
            other => {
                let shown = other.map(|c| format!("%{c}")).unwrap_or("%".into());
                return Err(format!(
                    "input.date_format {format:?}: {shown} has no exact equivalent in every SQL dialect; rfmseg sql translates {}",
                    supported()
                ));
            }
        };
        if !literal.is_empty() {
            out.push(Err(std::mem::take(&mut literal)));
        }
        for (i, c) in expanded.iter().enumerate() {
            // %F and %T expand to specifiers at even places and literal separators between.
            if expanded.len() > 1 && i % 2 == 1 {
                out.push(Err(c.to_string()));
            } else {
                out.push(Ok(*c));
            }
        }
    }
    if !literal.is_empty() {
        out.push(Err(literal));
    }
    Ok(out)
}

/// strftime -> Spark datetime pattern (letters of literal text quoted).
fn spark_pattern(format: &str) -> Result<String, String> {
    let mut out = String::new();
    for t in tokens(format)? {
        match t {
            Ok(c) => {
                let letters = SPECIFIERS
                    .iter()
                    .find(|(s, _)| *s == c)
                    .map(|(_, l)| *l)
                    .expect("tokens only gives known specifiers");
                out.push_str(letters);
            }
            Err(text) => {
                for ch in text.chars() {
                    if ch == '\'' {
                        out.push_str("''");
                    } else if ch.is_ascii_alphabetic() {
                        out.push('\'');
                        out.push(ch);
                        out.push('\'');
                    } else {
                        out.push(ch);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// strftime -> DuckDB strptime format (the same syntax, limited to the translated set).
fn duckdb_format(format: &str) -> Result<String, String> {
    let mut out = String::new();
    for t in tokens(format)? {
        match t {
            Ok('e') => out.push_str("%d"),
            Ok('h') => out.push_str("%b"),
            Ok(c) => {
                out.push('%');
                out.push(c);
            }
            Err(text) => out.push_str(&text.replace('%', "%%")),
        }
    }
    Ok(out)
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

    #[test]
    fn date_formats_are_translated() {
        assert_eq!(spark_pattern("%d/%m/%Y").unwrap(), "d/M/yyyy");
        assert_eq!(spark_pattern("%FT%T").unwrap(), "yyyy-M-d'T'H:m:s");
        assert_eq!(
            spark_pattern("%d %b %Y at %H").unwrap(),
            "d MMM yyyy 'a''t' H"
        );
        assert_eq!(duckdb_format("%d/%m/%Y").unwrap(), "%d/%m/%Y");
        assert_eq!(duckdb_format("%F 100%%").unwrap(), "%Y-%m-%d 100%%");
        let e = spark_pattern("%d/%m/%y").unwrap_err();
        assert!(e.contains("%y has no exact equivalent"), "{e}");
    }
}
