//! `rfmseg sql`: the whole contract for one config as a single SQL SELECT over a table of
//! order lines, for Spark or DuckDB, so that a warehouse gives the same rows as `rfmseg run`.
//!
//! The query is a chain of CTEs, one step of the pipeline each:
//! `lines` (the mapped columns, typed from text or kept as typed; blank keys are NULL) ->
//! `date_parts` (the fields of text dates, [`dates`]) -> `parsed` -> `checked` (a value that
//! cannot be read stops the query, naming it) -> `valid` -> `params`
//! (as_of) -> `kept` (window, returns, integer minor units) -> `customers` (one row per
//! group and customer) -> `metrics` -> per metric the score table (rank: from the value
//! counts; quantile and r-rfm: edges from the value counts; fixed: literals) -> `scored` ->
//! `cells` -> the output columns, in the contract's order and types, sorted.
//!
//! No step uses a window over customers: rank scores and quantile edges come from the value
//! counts of each metric (one row per group and distinct value), then join back. Without
//! group_by those small tables are the only thing Spark moves to one partition.

mod dates;
pub mod dialect;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::settings::when::{float_text, Quoting};
use crate::settings::{
    Calendar, Frequency, Method, MetricScoring, Monetary, Returns, Rule, Settings, R_RFM_SHIFT,
};
use dates::TextDate;
pub use dialect::Dialect;

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

    /// `PARTITION BY g1, g2` or "".
    fn partition(&self) -> String {
        if self.groups().is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self.groups().iter().map(|g| self.q(g)).collect();
            format!("PARTITION BY {} ", list.join(", "))
        }
    }

    /// `a.g1 <=> b.g1 AND ...` (TRUE without group_by).
    fn same_group(&self, a: &str, b: &str) -> String {
        let parts: Vec<String> = self
            .groups()
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
                d.ascii_digits(&self.q("__amount_text")),
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
            scale = format!("CAST({} AS DOUBLE)", float_text(10f64.powi(decimals as i32))),
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

        // Scores, one metric at a time.
        let scoring = &self.s.scoring;
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
                self.q("metrics"),
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
        output.push(format!("CAST({segment} AS {text}) AS {}", self.q(SEGMENT)));
        let mut order: Vec<String> = self
            .groups()
            .iter()
            .map(|g| format!("{} ASC NULLS LAST", self.q(g)))
            .collect();
        order.push(format!("{} ASC", self.q(CUSTOMER_ID)));

        let header = format!(
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

    /// The CTEs, the join into `scored` and the score expression of one metric.
    fn score(
        &self,
        score: &str,
        value: &str,
        prefix: &str,
        ms: &MetricScoring,
    ) -> (Vec<(String, String)>, Option<String>, String) {
        let d = self.d;
        let bins = ms.bins;
        let recency = score == R;
        let v = self.q("__v");
        let n = self.q("__n");
        let counts_name = format!("{prefix}_counts");
        let counts = || {
            (
                counts_name.clone(),
                format!(
                    "SELECT {}{} AS {v}, COUNT(*) AS {n}\n  FROM {}\n  GROUP BY {}{}",
                    self.group_list(""),
                    self.q(value),
                    self.q("metrics"),
                    self.group_list(""),
                    self.q(value)
                ),
            )
        };
        let part = self.partition();
        let x_value = format!("x.{}", self.q(value));
        match &ms.method {
            Method::Rank => {
                // worse = customers with strictly lower goodness: smaller values, or for
                // recency larger ones. 1 + floor(bins * worse / N) over the value counts.
                let order = if recency { "DESC" } else { "ASC" };
                let levels = format!("{prefix}_levels");
                let alias = format!("{prefix}l");
                let worse = format!(
                    "COALESCE(SUM({n}) OVER ({part}ORDER BY {v} {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
                );
                let total = format!("SUM({n}) OVER ({})", part.trim_end());
                let sql = format!(
                    "SELECT {}{v},\n    1 + {} AS {}\n  FROM {}",
                    self.group_list(""),
                    d.int_div(&format!("{bins} * {worse}"), &total),
                    self.q("__score"),
                    self.q(&counts_name)
                );
                let join = format!(
                    "\n  LEFT JOIN {} {alias} ON {} AND {alias}.{v} = {x_value}",
                    self.q(&levels),
                    self.same_group(&alias, "x")
                );
                (
                    vec![counts(), (levels, sql)],
                    Some(join),
                    format!("{alias}.{}", self.q("__score")),
                )
            }
            Method::Quantile | Method::RRfm => {
                // Edge i: numpy 'linear' at q = i / bins: position p = (N - 1) q, then
                // (p - floor p) * (x[ceil p] - x[floor p]) + x[floor p], where x[k] (0-based,
                // ascending) is the smallest value whose cumulative count exceeds k; for
                // r-rfm that quantile plus 1, passed at >= (R's bins [lower, upper)).
                let shifted = |q: String| match ms.method {
                    Method::RRfm => format!("({q}) + CAST({} AS DOUBLE)", float_text(R_RFM_SHIFT)),
                    _ => q,
                };
                let cmp = ms.method.compare(recency);
                let cum = format!("{prefix}_cum");
                let edges = format!("{prefix}_edges");
                let alias = format!("{prefix}e");
                let mut pos = Vec::new();
                let mut picks = Vec::new();
                let mut edge_exprs = Vec::new();
                for i in 1..bins {
                    let q = f64::from(i) / f64::from(bins);
                    let p = self.q(&format!("__p{i}"));
                    let (lo, hi) = (self.q(&format!("__lo{i}")), self.q(&format!("__hi{i}")));
                    pos.push(format!(
                        "CAST({} - 1 AS DOUBLE) * CAST({} AS DOUBLE) AS {p}",
                        self.q("__total"),
                        float_text(q)
                    ));
                    picks.push(format!(
                        "MIN(CASE WHEN {c} > FLOOR({p}) THEN {v} END) AS {lo},\n    MIN(CASE WHEN {c} > CEIL({p}) THEN {v} END) AS {hi},\n    MAX({p}) AS {p}",
                        c = self.q("__cum")
                    ));
                    edge_exprs.push(format!(
                        "{} AS {}",
                        shifted(format!("({p} - FLOOR({p})) * ({hi} - {lo}) + {lo}")),
                        self.q(&format!("__e{i}"))
                    ));
                }
                let cum_sql = format!(
                    "SELECT {}CAST({v} AS DOUBLE) AS {v},\n    SUM({n}) OVER ({part}ORDER BY {v} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS {},\n    SUM({n}) OVER ({}) AS {}\n  FROM {}",
                    self.group_list(""),
                    self.q("__cum"),
                    part.trim_end(),
                    self.q("__total"),
                    self.q(&counts_name)
                );
                let group_by = if self.groups().is_empty() {
                    String::new()
                } else {
                    let g = self.group_list("");
                    format!("\n    GROUP BY {}", g.trim_end().trim_end_matches(','))
                };
                let edges_sql = format!(
                    "SELECT {}{}\n  FROM (\n    SELECT {}{}\n    FROM (SELECT *, {} FROM {}) t{group_by}\n  ) s",
                    self.group_list(""),
                    edge_exprs.join(",\n    "),
                    self.group_list(""),
                    picks.join(",\n    "),
                    pos.join(", "),
                    self.q(&cum)
                );
                let join = format!(
                    "\n  LEFT JOIN {} {alias} ON {}",
                    self.q(&edges),
                    self.same_group(&alias, "x")
                );
                let passed: Vec<String> = (1..bins)
                    .map(|i| {
                        format!(
                            "CASE WHEN CAST({x_value} AS DOUBLE) {cmp} {alias}.{} THEN 1 ELSE 0 END",
                            self.q(&format!("__e{i}"))
                        )
                    })
                    .collect();
                let k = format!("(1 + {})", passed.join(" + "));
                let expr = if recency {
                    format!("({} - {k})", bins + 1)
                } else {
                    k
                };
                (
                    vec![counts(), (cum, cum_sql), (edges, edges_sql)],
                    Some(join),
                    expr,
                )
            }
            Method::Fixed(thresholds) => {
                let cmp = ms.method.compare(recency);
                let passed: Vec<String> = thresholds
                    .iter()
                    .map(|t| {
                        format!(
                            "CASE WHEN CAST({x_value} AS DOUBLE) {cmp} CAST({} AS DOUBLE) THEN 1 ELSE 0 END",
                            float_text(*t)
                        )
                    })
                    .collect();
                let expr = if recency {
                    format!("({bins} - ({}))", passed.join(" + "))
                } else {
                    format!("(1 + {})", passed.join(" + "))
                };
                (vec![], None, expr)
            }
        }
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

    #[test]
    fn the_table_name_is_quoted_part_by_part() {
        assert!(query("config/rfm.yaml", Dialect::Spark).contains("FROM `sales`.`orders`"));
        assert!(query("config/rfm.yaml", Dialect::DuckDb).contains("FROM \"sales\".\"orders\""));
        assert!(table_name("a..b", Dialect::Spark).is_err());
    }
}
