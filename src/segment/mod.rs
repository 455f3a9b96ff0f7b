//! Segment rules -> one `when/then` chain: the first rule whose conditions all hold names
//! the segment; no match gives the default. `when:` conditions are parsed by polars' SQL
//! expression parser and may name only the score and metric columns and the group_by columns.

use polars::prelude::*;

use crate::columns::*;
use crate::config::{Rule, Segments};

pub mod grid;

/// The longest `when:` condition accepted, in characters: far above any real rule, and far
/// below what overflows the stack (a chain of thousands of `+ r` makes an expression tree
/// so deep that walking it crashed the process).
pub const MAX_WHEN_CHARS: usize = 1000;

/// Parse a `when:` condition and check the columns it names against `allowed`.
pub fn parse_when(text: &str, allowed: &[String]) -> Result<Expr, String> {
    if text.trim().is_empty() {
        return Err("is empty; write a condition such as \"r <= 2 AND frequency >= 3\"".into());
    }
    let length = text.chars().count();
    if length > MAX_WHEN_CHARS {
        return Err(format!(
            "{:?} is {length} characters long; a condition may have at most {MAX_WHEN_CHARS}: split it over several rules",
            crate::error::shorten(text)
        ));
    }
    let expr = polars::sql::sql_expr(text).map_err(|e| {
        format!(
            "{text:?} does not parse as a SQL condition ({}); write e.g. \"r <= 2 AND frequency >= 3\"",
            first_line(&e.to_string())
        )
    })?;
    let unknown: Vec<String> = expr
        .clone()
        .meta()
        .root_names()
        .into_iter()
        .map(|n| n.to_string())
        .filter(|n| !allowed.contains(n))
        .collect();
    if let Some(name) = unknown
        .iter()
        .find(|n| SQL_WORDS.contains(&n.to_ascii_uppercase().as_str()))
    {
        return Err(format!(
            "{text:?} does not parse as a SQL condition: {name} stands where a value should; write e.g. \"r <= 2 AND frequency >= 3\""
        ));
    }
    if let Some(name) = unknown.first() {
        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let hint = match crate::config::suggest(name, &names) {
            Some(s) => format!(" (did you mean {s:?}?)"),
            None => String::new(),
        };
        return Err(format!(
            "{text:?} names unknown column {name:?}{hint}; a condition may use {}",
            allowed.join(", ")
        ));
    }
    Ok(expr)
}

/// Keywords that polars' parser accepts as bare column names in a broken condition.
const SQL_WORDS: [&str; 10] = [
    "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN", "LIKE", "THEN", "ELSE",
];

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The parts of one rule: ranges and cells (decided by the scores alone), and `when`.
fn parts(rule: &Rule, allowed: &[String]) -> (Option<Expr>, Option<Expr>) {
    let mut parts = Vec::new();
    for (column, range) in [(R, rule.r), (F, rule.f), (M, rule.m)] {
        if let Some((lo, hi)) = range {
            let (lo, hi) = (lo as i32, hi as i32);
            parts.push(col(column).gt_eq(lit(lo)).and(col(column).lt_eq(lit(hi))));
        }
    }
    if let Some(cells) = &rule.cells {
        let list = Series::new("cells".into(), cells.as_slice());
        parts.push(col(RFM_CELL).is_in(lit(list).implode(false), false));
    }
    let when = rule.when.as_ref().map(|w| {
        parse_when(w, allowed)
            .expect("`when` was checked when the config was loaded")
            .fill_null(lit(false))
    });
    (parts.into_iter().reduce(|a, b| a.and(b)), when)
}

/// The condition of one rule (its parts ANDed).
fn condition(rule: &Rule, allowed: &[String]) -> Expr {
    match parts(rule, allowed) {
        (Some(a), Some(b)) => a.and(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => unreachable!("config validation refuses rules without a condition"),
    }
}

/// The columns a `when` may name.
fn allowed_columns(group_by: &[String]) -> Vec<String> {
    let mut allowed: Vec<String> = WHEN_COLUMNS.iter().map(|s| s.to_string()).collect();
    allowed.extend(group_by.iter().cloned());
    allowed
}

/// The `segment` column expression for `segments`, given the group_by columns a `when`
/// may also use.
pub fn segment_expr(segments: &Segments, group_by: &[String]) -> Expr {
    let allowed = allowed_columns(group_by);
    // Built from the last rule back, so the first rule is tested first.
    segments
        .rules
        .iter()
        .rev()
        .fold(lit(segments.default.as_str()), |otherwise, rule| {
            when(condition(rule, &allowed))
                .then(lit(rule.name.as_str()))
                .otherwise(otherwise)
        })
        .alias(SEGMENT)
}

/// Evaluate each rule's `when` on one row of the given column types; a rule whose condition
/// does not give true/false (or does not fit the types) is returned with what is wrong.
pub fn when_type_problems(
    segments: &Segments,
    group_types: &[(String, DataType)],
) -> Vec<(usize, String)> {
    let group_by: Vec<String> = group_types.iter().map(|(g, _)| g.clone()).collect();
    let allowed = allowed_columns(&group_by);
    let mut columns = vec![
        Column::new(R.into(), [1i32]),
        Column::new(F.into(), [1i32]),
        Column::new(M.into(), [1i32]),
        Column::new(RFM_SCORE.into(), [3i32]),
        Column::new(RECENCY_DAYS.into(), [0i64]),
        Column::new(FREQUENCY.into(), [1i64]),
        Column::new(MONETARY.into(), [1.0f64]),
    ];
    for (g, dtype) in group_types {
        let value = Column::new(g.as_str().into(), ["0"]);
        columns.push(
            value
                .cast(dtype)
                .unwrap_or_else(|_| Column::new(g.as_str().into(), ["0"])),
        );
    }
    let frame = DataFrame::new(1, columns).expect("one row each");
    let mut problems = Vec::new();
    for (i, rule) in segments.rules.iter().enumerate() {
        let Some(w) = &rule.when else { continue };
        let Ok(expr) = parse_when(w, &allowed) else {
            continue;
        };
        let out = frame.clone().lazy().select([expr.alias("c")]).collect();
        match out {
            Ok(df) => {
                let dtype = df
                    .column("c")
                    .map(|c| c.dtype().clone())
                    .unwrap_or(DataType::Null);
                if dtype != DataType::Boolean && dtype != DataType::Null {
                    problems.push((
                        i,
                        format!("{w:?} is not a condition: it gives {dtype} values, not true or false; compare it, e.g. \"r + f >= 8\""),
                    ));
                }
            }
            Err(e) => {
                let why = first_line(&e.to_string()).to_string();
                let text_groups: Vec<&str> = group_types
                    .iter()
                    .filter(|(_, t)| t == &DataType::String)
                    .map(|(g, _)| g.as_str())
                    .collect();
                let hint = if text_groups.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} {} text, so compare with quoted values, e.g. {} = '2'",
                        text_groups.join(", "),
                        if text_groups.len() == 1 { "is" } else { "are" },
                        text_groups[0]
                    )
                };
                problems.push((
                    i,
                    format!("{w:?} does not fit the columns' types ({why}){hint}"),
                ));
            }
        }
    }
    problems
}
