//! `rfmseg sql`: the whole contract for one config as a single SQL SELECT over a table of
//! order lines, for Spark or DuckDB, so that a warehouse gives the same rows as `rfmseg run`.
//!
//! The query is a chain of CTEs, one step of the pipeline each:
//! `lines` (the mapped columns, typed from text or kept as typed; blank keys are NULL) ->
//! `date_parts` (the fields of text dates, [`dates`]) -> `parsed` -> `checked` (a value that
//! cannot be read stops the query, naming it) -> `valid` -> `params`
//! (as_of) -> `kept` (window, returns, integer minor units) -> `customers` (one row per
//! group and customer) -> `metrics` -> with `min_group_customers`, each group's level
//! (`group_sizes`, `group_levels`: window sums over the groups; `leveled`: the metrics with the
//! level and the group columns masked beyond it) -> per metric the score table (rank: from the
//! value counts; quantile and r-rfm: edges from the value counts; with levels, the counts
//! summed into every partition of every level first; fixed: literals) -> `scored` -> `cells`
//! -> the output columns, in the contract's order and types, sorted.
//!
//! No step uses a window over customers: rank scores and quantile edges come from the value
//! counts of each metric (one row per group and distinct value), then join back. Without
//! group_by those small tables are the only thing Spark moves to one partition.

mod dates;
pub mod dialect;
mod scores;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::settings::when::{float_text, Quoting};
use crate::settings::{
    Calendar, Frequency, Method, MetricScoring, Monetary, Returns, Rule, Settings, R_RFM_SHIFT,
};
use dates::TextDate;
pub use dialect::Dialect;
use scores::level_key;

/// Options of `rfmseg sql`.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// The dialect to write.
    pub dialect: Dialect,
    /// The table of order lines, possibly qualified (`db.orders`).
    pub table: String,
}

/// The query for `settings`, or why the config cannot be written as SQL.
pub fn generate(settings: &Settings, options: &SqlOptions) -> Result<String> {
    let unsupported = |what: String| Error::Usage(format!("rfmseg sql: {what}"));
    if settings.scoring.frozen.is_some() {
        return Err(unsupported(
            "scoring.thresholds_from (frozen edges) is not supported: the query derives the edges from the table; remove it to score the table on its own".into(),
        ));
    }
    if settings.holdout.is_some() {
        return Err(unsupported(
            "output.holdout is not supported: the holdout is drawn with rfmseg's own hash of the salt and the customer's keys (FNV-1a 64 with fmix64, docs/contract.md), which DuckDB and Spark do not compute the same way; remove output.holdout to write the query, and draw the holdout with rfmseg run".into(),
        ));
    }
    let table = table_name(&options.table, options.dialect).map_err(unsupported)?;
    Gen {
        s: settings,
        d: options.dialect,
    }
    .query(&table)
    .map_err(unsupported)
}

/// A table name as given (`orders`, `db.orders`), each part quoted.
fn table_name(name: &str, d: Dialect) -> std::result::Result<String, String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(format!(
            "--table {name:?} is not a table name; give NAME or SCHEMA.NAME"
        ));
    }
    Ok(parts
        .iter()
        .map(|p| d.ident(p))
        .collect::<Vec<_>>()
        .join("."))
}

struct Gen<'a> {
    s: &'a Settings,
    d: Dialect,
}

/// The three metrics: (score column, value column, prefix of its CTEs).
/// With `min_group_customers`: the level column of `leveled` and of the level value counts.
const LEVEL: &str = "__level";

const METRICS: [(&str, &str, &str); 3] = [
    (R, RECENCY_DAYS, "r"),
    (F, FREQUENCY, "f"),
    (M, MONETARY, "m"),
];

impl Gen<'_> {
    fn q(&self, name: &str) -> String {
        self.d.ident(name)
    }

    fn lit(&self, text: &str) -> String {
        self.d.string(text)
    }

    fn groups(&self) -> &[String] {
        &self.s.analysis.group_by
    }

    /// `g1, g2, ` (quoted, with a trailing separator) or "".
    fn group_list(&self, prefix: &str) -> String {
        self.groups()
            .iter()
            .map(|g| format!("{prefix}{}, ", self.q(g)))
            .collect()
    }

    /// The columns that name the partition whose edges score a row: the group_by columns;
    /// with `min_group_customers`, the level and the group columns masked beyond it
    /// (`__level, __k1, ..., __kk`, the `leveled` CTE's).
    fn score_keys(&self) -> Vec<String> {
        match self.s.scoring.min_group_customers {
            None => self.groups().to_vec(),
            Some(_) => std::iter::once(LEVEL.to_string())
                .chain((1..=self.groups().len()).map(level_key))
                .collect(),
        }
    }

    /// `k1, k2, ` of [`Self::score_keys`] (quoted, with a trailing separator) or "".
    fn key_list(&self, prefix: &str) -> String {
        self.score_keys()
            .iter()
            .map(|g| format!("{prefix}{}, ", self.q(g)))
            .collect()
    }

    /// `PARTITION BY k1, k2 ` over [`Self::score_keys`], or "".
    fn partition(&self) -> String {
        let keys = self.score_keys();
        if keys.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = keys.iter().map(|g| self.q(g)).collect();
            format!("PARTITION BY {} ", list.join(", "))
        }
    }

    /// `a.k1 <=> b.k1 AND ...` over [`Self::score_keys`] (TRUE without group_by).
    fn same_key(&self, a: &str, b: &str) -> String {
        self.same_on(&self.score_keys(), a, b)
    }

    /// `a.c <=> b.c AND ...` over `columns` (TRUE without any).
    fn same_on(&self, columns: &[String], a: &str, b: &str) -> String {
        let parts: Vec<String> = columns
            .iter()
            .map(|g| {
                self.d
                    .same(&format!("{a}.{}", self.q(g)), &format!("{b}.{}", self.q(g)))
            })
            .collect();
        if parts.is_empty() {
            "TRUE".into()
        } else {
            parts.join(" AND ")
        }
    }

    /// A key column: blank text is NULL (a guest checkout, a missing group), any other
    /// value is kept as written, in its own type.
    fn key(&self, column: &str) -> String {
        let c = self.q(column);
        self.unless_blank(&c, &c)
    }

    /// `value`, or NULL where the column `c` as text is blank.
    fn unless_blank(&self, c: &str, value: &str) -> String {
        format!(
            "CASE WHEN {} THEN NULL ELSE {value} END",
            self.d.is_blank(&self.d.as_text(c))
        )
    }

    fn query(&self, table: &str) -> std::result::Result<String, String> {
        let d = self.d;
        let a = &self.s.analysis;
        let cols = &self.s.input.columns;
        let text = d.text_type();
        let mut ctes: Vec<(String, String)> = Vec::new();

        // lines: the roles' columns. A text column is parsed; a typed one is cast.
        let date = self.q(&cols.order_date);
        let amount = self.q(&cols.amount);
        let date_text = self.unless_blank(&date, &d.as_text(&date));
        let calendar = self.s.input.calendar;
        let text_date = TextDate::new(self.s.input.date_format.as_deref(), d, calendar)?;
        let mut lines = Vec::new();
        for g in self.groups() {
            lines.push(format!("{} AS {}", self.key(g), self.q(g)));
        }
        lines.push(format!(
            "{} AS {}",
            self.key(&cols.customer_id),
            self.q(CUSTOMER_ID)
        ));
        if let Some(o) = &cols.order_id {
            lines.push(format!("{} AS {}", self.key(o), self.q(ORDER_ID)));
        }
        lines.push(format!(
            "CASE WHEN {} THEN CAST({date} AS DATE) END AS {}",
            d.is_temporal_type(&date),
            self.q("__date_typed")
        ));
        lines.push(format!(
            "CASE WHEN {} THEN {date_text} END AS {}",
            d.is_text_type(&date),
            self.q("__date_text")
        ));
        lines.push(format!(
            "CASE WHEN {} THEN {} END AS {}",
            d.is_text_type(&amount),
            self.unless_blank(&amount, &d.as_text(&amount)),
            self.q("__amount_text")
        ));
        lines.push(format!(
            "CASE WHEN {} THEN NULL ELSE CAST({amount} AS DOUBLE) END AS {}",
            d.is_text_type(&amount),
            self.q("__amount_typed")
        ));
        ctes.push((
            "lines".into(),
            format!("SELECT\n    {}\n  FROM {table}", lines.join(",\n    ")),
        ));

        // date_parts: the fields of text dates; parsed: text dates and amounts read.
        ctes.push((
            "date_parts".into(),
            format!(
                "SELECT *,\n    {} AS {}\n  FROM {}",
                text_date.parts(d, &d.ascii_digits(&self.q("__date_text"))),
                self.q("__date_parts"),
                self.q("lines")
            ),
        ));
        ctes.push((
            "parsed".into(),
            format!(
                "SELECT *,\n    COALESCE({}, {}) AS {},\n    COALESCE({}, TRY_CAST({} AS DOUBLE)) AS {}\n  FROM {}",
                self.q("__date_typed"),
                text_date.date(d, &self.q("__date_parts")),
                self.q("__date"),
                self.q("__amount_typed"),
                self.number_text(&d.ascii_digits(&self.q("__amount_text"))),
                self.q("__amount"),
                self.q("date_parts")
            ),
        ));

        // checked: a value that cannot be read stops the query.
        let date_fix = calendar.expected_text_date(self.s.input.date_format.as_deref());
        let bad = |column: &str, raw: &str, expected: &str| {
            d.raise(&format!(
                "{} || {} || {}",
                self.lit(&format!("rfmseg: input column {column:?}: cannot read \"")),
                self.q(raw),
                self.lit(&format!("\" as {expected}"))
            ))
        };
        let decimals = self.s.analysis.monetary_decimals;
        let mut checked: Vec<String> = self.groups().iter().map(|g| self.q(g)).collect();
        checked.push(self.q(CUSTOMER_ID));
        if cols.order_id.is_some() {
            checked.push(self.q(ORDER_ID));
        }
        checked.push(format!(
            "CASE WHEN {dt} IS NOT NULL AND {dd} IS NULL THEN {} ELSE {dd} END AS {}",
            bad(&cols.order_date, "__date_text", &date_fix),
            self.q(ORDER_DATE),
            dt = self.q("__date_text"),
            dd = self.q("__date"),
        ));
        let scale_sql = format!(
            "CAST({} AS DOUBLE)",
            float_text(10f64.powi(decimals as i32))
        );
        checked.push(format!(
            "CASE WHEN ({at} IS NOT NULL AND {av} IS NULL) THEN {} WHEN ({av} - {av}) <> 0 THEN {} WHEN ABS({av}) * {scale} >= {limit} THEN {} ELSE {av} END AS {}",
            bad(&cols.amount, "__amount_text", "a finite number"),
            d.raise(&format!(
                "{} || {} || {}",
                self.lit(&format!("rfmseg: input column {:?}: the amount ", cols.amount)),
                d.as_text(&self.q("__amount")),
                self.lit(" is not a finite number")
            )),
            d.raise(&format!(
                "{} || {} || {}",
                self.lit(&format!("rfmseg: input column {:?}: the amount ", cols.amount)),
                d.as_text(&self.q("__amount")),
                self.lit(&format!(
                    " is too large: its minor units (amount x 10^{decimals}) do not fit in 64 bits; lower analysis.monetary_decimals"
                ))
            )),
            self.q(AMOUNT),
            scale = scale_sql,
            limit = "CAST(9223372036854775808.0 AS DOUBLE)",
            at = self.q("__amount_text"),
            av = self.q("__amount"),
        ));
        ctes.push((
            "checked".into(),
            format!(
                "SELECT\n    {}\n  FROM {}",
                checked.join(",\n    "),
                self.q("parsed")
            ),
        ));

        ctes.push((
            "valid".into(),
            format!(
                "SELECT * FROM {} WHERE {} IS NOT NULL AND {} IS NOT NULL AND {} IS NOT NULL",
                self.q("checked"),
                self.q(CUSTOMER_ID),
                self.q(ORDER_DATE),
                self.q(AMOUNT)
            ),
        ));

        // params: as_of.
        let as_of = self.q("__as_of");
        ctes.push((
            "params".into(),
            match a.as_of {
                Some(day) => format!(
                    "SELECT DATE '{}'{} AS {as_of}",
                    day.format("%Y-%m-%d"),
                    match calendar {
                        Calendar::Gregorian => String::new(),
                        other => format!(
                            " /* {} in input.calendar {} */",
                            other.text(day),
                            other.name()
                        ),
                    }
                ),
                None => format!(
                    "SELECT MAX({}) AS {as_of} FROM {}",
                    self.q(ORDER_DATE),
                    self.q("valid")
                ),
            },
        ));

        // kept: the window, returns, minor units.
        let scale = 10f64.powi(a.monetary_decimals as i32);
        let scale_sql = format!("CAST({} AS DOUBLE)", float_text(scale));
        let mut conditions = vec![format!("v.{} <= p.{as_of}", self.q(ORDER_DATE))];
        if let Some(w) = a.window_days {
            conditions.push(format!(
                "{} < {w}",
                d.day_diff(&format!("p.{as_of}"), &format!("v.{}", self.q(ORDER_DATE)))
            ));
        }
        if a.returns == Returns::Exclude {
            conditions.push(format!("v.{} >= 0", self.q(AMOUNT)));
        }
        let mut kept = vec![format!(
            "{}v.{}",
            self.group_list("v."),
            self.q(CUSTOMER_ID)
        )];
        kept.push(format!("v.{}", self.q(ORDER_DATE)));
        if cols.order_id.is_some() {
            kept.push(format!("v.{}", self.q(ORDER_ID)));
        }
        kept.push(format!(
            "CAST(ROUND(v.{} * {scale_sql}, 0) AS BIGINT) AS {}",
            self.q(AMOUNT),
            self.q(MINOR)
        ));
        kept.push(format!(
            "v.{} >= 0 AS {}",
            self.q(AMOUNT),
            self.q("__purchase")
        ));
        ctes.push((
            "kept".into(),
            format!(
                "SELECT\n    {}\n  FROM {} v CROSS JOIN {} p\n  WHERE {}",
                kept.join(",\n    "),
                self.q("valid"),
                self.q("params"),
                conditions.join(" AND ")
            ),
        ));

        // customers: one row per group and customer.
        let purchase = |e: &str| format!("CASE WHEN {} THEN {e} END", self.q("__purchase"));
        let frequency = match a.frequency {
            Frequency::Orders => {
                if cols.order_id.is_none() {
                    return Err("analysis.frequency: orders needs input.columns.order_id".into());
                }
                format!("COUNT(DISTINCT {})", purchase(&self.q(ORDER_ID)))
            }
            Frequency::Lines => format!("COUNT({})", purchase("1")),
            Frequency::Days => format!("COUNT(DISTINCT {})", purchase(&self.q(ORDER_DATE))),
        };
        let keys = format!("{}{}", self.group_list(""), self.q(CUSTOMER_ID));
        ctes.push((
            "customers".into(),
            format!(
                "SELECT {keys},\n    SUM(CAST({} AS DECIMAL(38, 0))) AS {},\n    MIN({}) AS {},\n    MAX({}) AS {},\n    {frequency} AS {}\n  FROM {}\n  GROUP BY {keys}",
                self.q(MINOR),
                self.q(SUM_MINOR),
                purchase(&self.q(ORDER_DATE)),
                self.q(FIRST_ORDER_DATE),
                purchase(&self.q(ORDER_DATE)),
                self.q(LAST_ORDER_DATE),
                self.q(FREQUENCY),
                self.q("kept")
            ),
        ));

        // metrics: the contract's metric columns of scored customers.
        let sum = format!("CAST(c.{} AS DOUBLE)", self.q(SUM_MINOR));
        let monetary = match a.monetary {
            Monetary::Total => format!("{sum} / {scale_sql}"),
            Monetary::Average => format!(
                "CASE WHEN c.{f} = 0 THEN {} ELSE ({sum} / CAST(c.{f} AS DOUBLE)) / {scale_sql} END",
                d.raise(&format!(
                    "{} || {} || {}",
                    self.lit("rfmseg: monetary: average divides by the number of orders, but customer "),
                    d.as_text(&format!("c.{}", self.q(CUSTOMER_ID))),
                    self.lit(" has purchases and no order_id on any of them; give those lines an order id, or use frequency: lines or days")
                )),
                f = self.q(FREQUENCY)
            ),
        };
        ctes.push((
            "metrics".into(),
            format!(
                "SELECT {}c.{},\n    {} AS {},\n    CAST(c.{} AS BIGINT) AS {},\n    {monetary} AS {},\n    c.{} AS {},\n    c.{} AS {}\n  FROM {} c CROSS JOIN {} p\n  WHERE c.{} IS NOT NULL",
                self.group_list("c."),
                self.q(CUSTOMER_ID),
                d.day_diff(&format!("p.{as_of}"), &format!("c.{}", self.q(LAST_ORDER_DATE))),
                self.q(RECENCY_DAYS),
                self.q(FREQUENCY),
                self.q(FREQUENCY),
                self.q(MONETARY),
                self.q(FIRST_ORDER_DATE),
                self.q(FIRST_ORDER_DATE),
                self.q(LAST_ORDER_DATE),
                self.q(LAST_ORDER_DATE),
                self.q("customers"),
                self.q("params"),
                self.q(LAST_ORDER_DATE),
            ),
        ));

        // With min_group_customers: each group's level.
        let scoring = &self.s.scoring;
        let scored_from = match scoring.min_group_customers {
            Some(n) => {
                ctes.extend(self.level_ctes(n));
                "leveled"
            }
            None => "metrics",
        };

        // Scores, one metric at a time.
        let mut joins = Vec::new();
        let mut scores = Vec::new();
        for ((score, value, prefix), ms) in
            METRICS
                .iter()
                .zip([&scoring.recency, &scoring.frequency, &scoring.monetary])
        {
            let (new_ctes, join, expr) = self.score(score, value, prefix, ms);
            ctes.extend(new_ctes);
            joins.extend(join);
            scores.push(format!("CAST({expr} AS INT) AS {}", self.q(score)));
        }
        ctes.push((
            "scored".into(),
            format!(
                "SELECT x.*,\n    {}\n  FROM {} x{}",
                scores.join(",\n    "),
                self.q(scored_from),
                joins.concat()
            ),
        ));
        let sep = if scoring.wide_cells() { "-" } else { "" };
        let digit = |c: &str| d.as_text(&self.q(c));
        ctes.push((
            "cells".into(),
            format!(
                "SELECT *,\n    {} || {s} || {} || {s} || {} AS {},\n    CAST({} + {} + {} AS INT) AS {}\n  FROM {}",
                digit(R),
                digit(F),
                digit(M),
                self.q(RFM_CELL),
                self.q(R),
                self.q(F),
                self.q(M),
                self.q(RFM_SCORE),
                self.q("scored"),
                s = self.lit(sep)
            ),
        ));

        // The output.
        let mut segment = String::from("CASE");
        for rule in &self.s.segments.rules {
            segment.push_str(&format!(
                "\n      WHEN {} THEN {}",
                self.condition(rule),
                self.lit(&rule.name)
            ));
        }
        segment.push_str(&format!(
            "\n      ELSE {}\n    END",
            self.lit(&self.s.segments.default)
        ));
        let mut output: Vec<String> = self.groups().iter().map(|g| self.q(g)).collect();
        output.extend(
            OUTPUT_COLUMNS[..OUTPUT_COLUMNS.len() - 1]
                .iter()
                .map(|c| self.q(c)),
        );
        if scoring.min_group_customers.is_some() {
            output.push(format!(
                "CAST({} AS INT) AS {}",
                self.q(LEVEL),
                self.q(SCORE_LEVEL)
            ));
        }
        output.push(format!("CAST({segment} AS {text}) AS {}", self.q(SEGMENT)));
        let mut order: Vec<String> = self
            .groups()
            .iter()
            .map(|g| format!("{} ASC NULLS LAST", self.q(g)))
            .collect();
        order.push(format!("{} ASC", self.q(CUSTOMER_ID)));

        let mut header = format!(
            "-- rfmseg {} sql --dialect {}: config {}\n-- One SELECT over {table}, which holds the order lines with the config's column names\n-- (typed, or all text as read from CSV). Output: the contract's columns, sorted.\n",
            env!("CARGO_PKG_VERSION"),
            d.name(),
            // A comment ends at a line break: a file name must not end it.
            self.s
                .source
                .display()
                .to_string()
                .replace(|c: char| c.is_control(), "?")
        );
        header.push_str(&self.csv_comment());
        let body: Vec<String> = ctes
            .iter()
            .map(|(name, sql)| format!("{} AS (\n  {sql}\n)", self.q(name)))
            .collect();
        Ok(format!(
            "{header}WITH\n{}\nSELECT\n    {}\n  FROM {}\n  ORDER BY {}\n",
            body.join(",\n"),
            output.join(",\n    "),
            self.q("cells"),
            order.join(", ")
        ))
    }

    /// Text amount `text` as `input.csv` writes them -> text with a '.' decimal point and no
    /// thousands separator, exactly as `rfmseg run` rewrites it ([`crate::input::number_text`]):
    /// text holding the thousands separator anywhere but between groups of three digits is
    /// no amount (NULL, which stops the query naming the value), else every one is removed;
    /// with a decimal comma, text that still holds a '.' is no amount and the comma becomes
    /// '.'.
    fn number_text(&self, text: &str) -> String {
        let csv = &self.s.input.csv;
        let mut text = text.to_string();
        if let Some(thousands) = &csv.thousands {
            let grouped = crate::input::grouped_pattern(thousands, csv.decimal());
            text = format!(
                "CASE WHEN {text} LIKE {} AND NOT {} THEN NULL ELSE REPLACE({text}, {}, '') END",
                self.lit(&format!("%{thousands}%")),
                self.d.matches(&text, &grouped),
                self.lit(thousands)
            );
        }
        if csv.decimal_comma {
            text =
                format!("CASE WHEN {text} LIKE '%.%' THEN NULL ELSE REPLACE({text}, ',', '.') END");
        }
        text
    }

    /// The header's lines on `input.csv`, when it is not the default: how text amounts are
    /// read, and that reading the files is the loader's job.
    fn csv_comment(&self) -> String {
        let csv = &self.s.input.csv;
        let mut out = String::new();
        let mut forms = Vec::new();
        if csv.decimal_comma {
            forms.push("a decimal comma".to_string());
        }
        if let Some(t) = &csv.thousands {
            forms.push(format!(
                "{} between thousands",
                crate::settings::yaml_quoted(t)
            ));
        }
        if !forms.is_empty() {
            out += &format!(
                "-- Text amounts are written with {} (input.csv), rewritten with REPLACE before they are read.\n",
                forms.join(" and ")
            );
        }
        let mut file = Vec::new();
        if csv.separator != b',' {
            file.push(format!("separator {}", csv.separator_text()));
        }
        if csv.encoding != crate::settings::Encoding::Utf8 {
            file.push(format!("encoding {}", csv.encoding.name()));
        }
        if !file.is_empty() {
            out += &format!(
                "-- Reading the CSV files (input.csv: {}) is the job of the loader that fills the table.\n",
                file.join(", ")
            );
        }
        // A comment ends at a line break: none may come from the config.
        out.lines()
            .map(|l| format!("{}\n", l.replace(|c: char| c.is_control(), "?")))
            .collect()
    }

    /// A rule's conditions ANDed; a `when` that is NULL does not match.
    fn condition(&self, rule: &Rule) -> String {
        let mut parts = Vec::new();
        for (column, range) in [(R, rule.r), (F, rule.f), (M, rule.m)] {
            if let Some((lo, hi)) = range {
                parts.push(format!("{} BETWEEN {lo} AND {hi}", self.q(column)));
            }
        }
        if let Some(cells) = &rule.cells {
            let list: Vec<String> = cells.iter().map(|c| self.lit(c)).collect();
            parts.push(format!("{} IN ({})", self.q(RFM_CELL), list.join(", ")));
        }
        if let Some(w) = &rule.when {
            parts.push(format!("COALESCE({}, FALSE)", w.tree.to_sql(&self.d)));
        }
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, Overrides};

    fn query(config: &str, dialect: Dialect) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(config);
        let settings = load(&path, &Overrides::default()).unwrap();
        let options = SqlOptions {
            dialect,
            table: "sales.orders".into(),
        };
        generate(&settings, &options).unwrap()
    }

    /// The CTEs of a query: (name, body).
    fn ctes(sql: &str) -> Vec<(String, String)> {
        sql.split(" AS (\n")
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| {
                let name = w[0].rsplit(['\n', ' ']).next().unwrap().to_string();
                (name, w[1].split("\n)").next().unwrap().to_string())
            })
            .collect()
    }

    #[test]
    fn no_window_runs_over_customers_without_group_by() {
        // Spark moves the rows of a window without PARTITION BY to one partition: only the
        // value counts (one row per distinct value) may be windowed.
        for config in ["config/rfm.yaml", "config/loyalty.yaml"] {
            let sql = query(config, Dialect::Spark);
            let windowed: Vec<(String, String)> = ctes(&sql)
                .into_iter()
                .filter(|(_, body)| body.contains(" OVER ("))
                .collect();
            assert_eq!(windowed.len(), 3, "{sql}");
            for (name, body) in windowed {
                assert!(name.ends_with("_levels`"), "{name}");
                assert!(body.trim_end().ends_with("_counts`"), "{name}: {body}");
            }
        }
    }

    #[test]
    fn levels_come_from_window_sums_over_groups_and_no_window_runs_over_customers() {
        // min_group_customers: the levels from the per-group counts, the scores from the
        // value counts summed per (level, partition); every window reads one of those.
        let sql = query("tests/fixtures/min-group/config.yaml", Dialect::Spark);
        let windowed: Vec<(String, String)> = ctes(&sql)
            .into_iter()
            .filter(|(_, body)| body.contains(" OVER ("))
            .collect();
        let names: Vec<&str> = windowed.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["`group_levels`", "`r_levels`", "`f_levels`", "`m_cum`"],
            "{sql}"
        );
        for (name, body) in &windowed {
            let source = body.trim_end().rsplit(' ').next().unwrap();
            assert!(
                source == "`group_sizes`" || source.ends_with("_level_counts`"),
                "{name} reads {source}"
            );
        }
        assert!(
            sql.contains("CASE WHEN `__n` >= 3 THEN 2 WHEN SUM(`__n`) OVER (PARTITION BY `region`) >= 3 THEN 1 ELSE 0 END AS `__level`"),
            "{sql}"
        );
        assert!(
            sql.contains("CAST(`__level` AS INT) AS `score_level`,\n    CAST(CASE"),
            "{sql}"
        );
        // Without the key, none of it.
        let plain = query("config/rfm.yaml", Dialect::Spark);
        assert!(!plain.contains("__level") && !plain.contains("score_level"));
    }

    #[test]
    fn r_rfm_edges_are_the_quantiles_plus_one_passed_at_or_above() {
        // The conformance test runs the query on the engines; this pins the one difference
        // from quantile where they are not installed.
        let sql = query("config/r-rfm.yaml", Dialect::DuckDb);
        let edge = "((\"__p1\" - FLOOR(\"__p1\")) * (\"__hi1\" - \"__lo1\") + \"__lo1\") + CAST(1.0 AS DOUBLE) AS \"__e1\"";
        assert_eq!(sql.matches(edge).count(), 3, "{sql}");
        for (value, alias) in [
            ("recency_days", "re"),
            ("frequency", "fe"),
            ("monetary", "me"),
        ] {
            let passed = format!("CAST(x.\"{value}\" AS DOUBLE) >= {alias}.\"__e4\"");
            assert!(sql.contains(&passed), "{passed}:\n{sql}");
        }
        assert!(
            sql.contains("CAST((6 - (1 + CASE WHEN CAST(x.\"recency_days\" AS DOUBLE) >= "),
            "{sql}"
        );
    }

    fn query_of(text: &str, dialect: Dialect) -> String {
        let path = std::path::Path::new("c.yaml");
        let settings =
            crate::config::from_text(text.to_string(), path, &Overrides::default()).unwrap();
        let options = SqlOptions {
            dialect,
            table: "orders".into(),
        };
        generate(&settings, &options).unwrap()
    }

    #[test]
    fn text_amounts_are_rewritten_as_input_csv_writes_them() {
        let rules = "segments:\n  rules:\n    - {name: A, r: 2}\n";
        let plain = query_of(rules, Dialect::DuckDb);
        // Digits first (Persian and Arabic-Indic to ASCII), then input.csv's rewrite.
        let digits = Dialect::DuckDb.ascii_digits(r#""__amount_text""#);
        assert!(
            plain.contains(&format!("TRY_CAST({digits} AS DOUBLE)")),
            "{plain}"
        );
        assert!(!plain.contains("REPLACE("), "{plain}");
        assert!(!plain.contains("input.csv"), "{plain}");
        let swiss = format!("input:\n  csv: {{separator: \"\\t\", thousands: \"'\"}}\n{rules}");
        let spark = query_of(&swiss, Dialect::Spark);
        let t = Dialect::Spark.ascii_digits("`__amount_text`");
        let grouped = r"'\\A[+-]?[0-9]{1,3}(?:\'[0-9]{3})+(?:\\.[0-9]+)?\\z'";
        let want = format!(
            r"TRY_CAST(CASE WHEN {t} LIKE '%\'%' AND NOT {t} RLIKE {grouped} THEN NULL ELSE REPLACE({t}, '\'', '') END AS DOUBLE)"
        );
        assert!(spark.contains(&want), "{want}\n{spark}");
        let duck = query_of(&swiss, Dialect::DuckDb);
        let t = Dialect::DuckDb.ascii_digits(r#""__amount_text""#);
        let grouped = r"'\A[+-]?[0-9]{1,3}(?:''[0-9]{3})+(?:\.[0-9]+)?\z'";
        let want = format!(
            r"TRY_CAST(CASE WHEN {t} LIKE '%''%' AND NOT regexp_matches({t}, {grouped}) THEN NULL ELSE REPLACE({t}, '''', '') END AS DOUBLE)"
        );
        assert!(duck.contains(&want), "{want}\n{duck}");
        assert!(
            duck.contains("-- Text amounts are written with \"'\" between thousands (input.csv), rewritten with REPLACE before they are read.\n-- Reading the CSV files (input.csv: separator \"\\t\") is the job of the loader that fills the table.\n"),
            "{duck}"
        );
        let german = format!(
            "input:\n  csv: {{separator: \";\", decimal_comma: true, thousands: \".\", encoding: windows-1256}}\n{rules}"
        );
        let duck = query_of(&german, Dialect::DuckDb);
        let grouped = r"'\A[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?\z'";
        let a = Dialect::DuckDb.ascii_digits(r#""__amount_text""#);
        let t = format!(
            r#"CASE WHEN {a} LIKE '%.%' AND NOT regexp_matches({a}, {grouped}) THEN NULL ELSE REPLACE({a}, '.', '') END"#
        );
        let want = format!(
            "TRY_CAST(CASE WHEN {t} LIKE '%.%' THEN NULL ELSE REPLACE({t}, ',', '.') END AS DOUBLE)"
        );
        assert!(duck.contains(&want), "{want}\n{duck}");
        assert!(
            duck.contains("-- Reading the CSV files (input.csv: separator \";\", encoding windows-1256) is the job of the loader"),
            "{duck}"
        );
    }

    #[test]
    fn the_table_name_is_quoted_part_by_part() {
        assert!(query("config/rfm.yaml", Dialect::Spark).contains("FROM `sales`.`orders`"));
        assert!(query("config/rfm.yaml", Dialect::DuckDb).contains("FROM \"sales\".\"orders\""));
        assert!(table_name("a..b", Dialect::Spark).is_err());
    }
}
