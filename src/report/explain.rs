//! `rfmseg explain`'s two forms: the terminal text and the JSON document (the fields of
//! [`Explanation`], docs/explain.md).

use std::fmt::Write as _;

use super::format::money;
use crate::review::explain::{edge_text, ConditionCheck, Explanation, RuleCheck, Score};
use crate::review::what_if::{Change, Move, MoveOption};

/// Cells of a `cells:` condition shown at most; the rest are counted.
const CELLS_SHOWN: usize = 8;

/// The JSON document, pretty-printed, ending with a newline.
pub fn json(e: &Explanation) -> String {
    let mut text = serde_json::to_string_pretty(e).expect("the explanation serialises");
    text.push('\n');
    text
}

/// The terminal form.
pub fn text(e: &Explanation) -> String {
    let mut s = String::new();
    let d = e.money_decimals;
    let _ = write!(s, "customer {}", e.customer_id);
    if !e.group.is_empty() {
        let group: Vec<String> = e
            .group
            .iter()
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect();
        let _ = write!(s, " in {}", group.join(", "));
    }
    let _ = writeln!(
        s,
        " of {} (as_of {}): {}",
        e.file,
        e.as_of.as_deref().unwrap_or("unknown"),
        e.segment
    );
    if e.holdout == Some(true) {
        let _ = writeln!(s, "  held out of campaigns (holdout)");
    }
    let dates = match (&e.last_order_date, &e.first_order_date) {
        (Some(last), Some(first)) => format!(" (last purchase {last}, first {first})"),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "  recency_days {}{dates}, frequency {} ({}), monetary {}{}",
        e.recency_days,
        e.frequency,
        e.frequency_counts,
        money(e.monetary, d),
        if e.monetary_kind == "average" {
            " per purchase"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "scores, from the edges stored in the file's footer (they give the file's r, f, m):"
    );
    if let Some(level) = e.score_level.filter(|l| *l < e.group.len() as i64) {
        let partition: Vec<String> = e
            .partition
            .iter()
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect();
        let _ = writeln!(
            s,
            "  scored with the edges of {} (score_level {level}: its group has too few customers for edges of its own, scoring.min_group_customers)",
            if partition.is_empty() {
                "the whole input".to_string()
            } else {
                partition.join(", ")
            }
        );
    }
    if let Some(file) = &e.thresholds_from {
        let _ = writeln!(
            s,
            "  the edges are frozen: the run read them from {file} (scoring.thresholds_from), made by an earlier run's data"
        );
    }
    for score in &e.scores {
        score_lines(&mut s, score, d);
    }
    let _ = writeln!(s, "  rfm_cell {}, rfm_score {}", e.rfm_cell, e.rfm_score);
    match &e.rule {
        Some(rule) => {
            let _ = writeln!(s, "segment {}: rule {} matched", rule.name, rule.index);
            for c in &rule.conditions {
                let _ = writeln!(s, "  {} holds: {}", shown(c), values(c));
            }
        }
        None => {
            let _ = writeln!(s, "segment {}: no rule matched (the default)", e.segment);
        }
    }
    if !e.earlier_rules.is_empty() {
        let _ = writeln!(s, "earlier rules, and the condition that failed:");
        for rule in &e.earlier_rules {
            failed_line(&mut s, rule);
        }
    }
    if !e.moves.is_empty() {
        let _ = writeln!(
            s,
            "better-ranked segments (each change a what-if on the run's edges, the other metrics held):"
        );
        for m in &e.moves {
            move_lines(&mut s, m, e);
        }
    }
    s
}

/// A JSON value as people read it: strings without quotes.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn value_text(score: &Score, decimals: u32) -> String {
    match score.value.as_f64() {
        Some(v) if score.column == "monetary" => money(v, decimals),
        _ => plain(&score.value),
    }
}

fn score_lines(s: &mut String, score: &Score, decimals: u32) {
    let v = value_text(score, decimals);
    let n = score.edges_passed;
    let below = if score.compare == ">=" { "<" } else { "<=" };
    let above = if score.compare == ">=" { "<=" } else { "<" };
    let lower = n
        .checked_sub(1)
        .map(|i| score.edges[i])
        .filter(|e| e.is_finite());
    let upper = score.edges.get(n);
    let between = match (lower, upper) {
        (Some(lo), Some(hi)) => format!(
            "{} {above} {} {v} {below} {}",
            edge_text(lo),
            score.column,
            edge_text(*hi)
        ),
        (Some(lo), None) => format!("{} {v} {} {}", score.column, flip(above), edge_text(lo)),
        (None, Some(hi)) => format!("{} {v} {below} {}", score.column, edge_text(*hi)),
        (None, None) => format!("{} {v}", score.column),
    };
    let edges: Vec<String> = score.edges.iter().map(|e| edge_text(*e)).collect();
    let _ = writeln!(
        s,
        "  {} = {} of {}: {between}; edges {}",
        score.score_column,
        score.score,
        score.bins,
        edges.join(", ")
    );
    let _ = writeln!(s, "    {}", method_rule(score));
}

/// `<` as `>`, `<=` as `>=`.
fn flip(op: &str) -> &'static str {
    if op == "<" {
        ">"
    } else {
        ">="
    }
}

/// The rule of the score's method in one sentence.
fn method_rule(score: &Score) -> String {
    let b = score.bins;
    let recency = score.metric == "recency";
    let (worse, unit) = match score.metric {
        "recency" => ("more days since their last purchase", "days"),
        "frequency" => ("fewer purchases", "value"),
        _ => ("less spend", "amount"),
    };
    let largest = if recency {
        format!("the most days that score {} - i or more", b + 1)
    } else {
        format!("the largest {unit} that scores i or less")
    };
    let passes = if score.compare == ">=" {
        "at or above"
    } else {
        "above"
    };
    let outcome = if recency {
        format!(
            "{} = {b} - the edges the days are {passes}",
            score.score_column
        )
    } else {
        format!(
            "{} = 1 + the edges the {unit} is {passes}",
            score.score_column
        )
    };
    let how = match score.method.as_str() {
        "rank" => format!(
            "rank: 1 + floor({b} x worse / N) in the partition, worse = customers with {worse}; edge i is {largest}"
        ),
        "quantile" => format!(
            "quantile: edge i is the i/{b} quantile of {} in the partition (linear interpolation)",
            score.column
        ),
        "r-rfm" => format!(
            "r-rfm (R's rfm package): edge i is the i/{b} quantile of {} in the partition, plus 1",
            score.column
        ),
        "fixed" => "fixed: the config's thresholds".to_string(),
        other => format!("{other}: edges as stored"),
    };
    format!("{how}; {outcome}")
}

/// A condition as the config writes it, long cell lists shortened.
fn shown(c: &ConditionCheck) -> String {
    if c.kind != "cells" {
        return c.condition.clone();
    }
    let inner = c
        .condition
        .trim_start_matches("cells: [")
        .trim_end_matches(']');
    let cells: Vec<&str> = inner.split(", ").collect();
    if cells.len() <= CELLS_SHOWN {
        return c.condition.clone();
    }
    format!(
        "cells: [{}, ... {} cells]",
        cells[..CELLS_SHOWN].join(", "),
        cells.len()
    )
}

/// What the condition saw: `r is 3`, `rfm_cell is "444"`, `false (r = 3, frequency = 2)`.
fn values(c: &ConditionCheck) -> String {
    let number = |v: &serde_json::Value| match v.as_f64() {
        Some(x) if v.is_f64() => edge_text(x),
        _ => v.to_string(),
    };
    let pairs: Vec<String> = c
        .values
        .iter()
        .map(|(k, v)| format!("{k} = {}", number(v)))
        .collect();
    match c.kind {
        "when" => {
            let value = match c.value {
                Some(true) => "true",
                Some(false) => "false",
                None => "null (counted as false)",
            };
            format!("{value} with {}", pairs.join(", "))
        }
        _ => c
            .values
            .iter()
            .map(|(k, v)| format!("{k} is {}", number(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn failed_line(s: &mut String, rule: &RuleCheck) {
    let failed: Vec<String> = rule
        .conditions
        .iter()
        .filter(|c| !c.holds)
        .map(|c| format!("{} failed: {}", shown(c), values(c)))
        .collect();
    let _ = writeln!(s, "  {}. {}: {}", rule.index, rule.name, failed.join("; "));
}

fn move_lines(s: &mut String, m: &Move, e: &Explanation) {
    if !m.reachable {
        let _ = writeln!(
            s,
            "  {}: not reachable: {}",
            m.segment,
            m.why_not.as_deref().unwrap_or("no change tried reaches it")
        );
        return;
    }
    for option in &m.options {
        let _ = writeln!(s, "  {}: {}", option_text(option, e), m.segment);
    }
    if m.more_options > 0 {
        let _ = writeln!(
            s,
            "  ({} more changes as small reach {})",
            m.more_options, m.segment
        );
    }
}

/// "1 more order (frequency 3 -> 4) gives f = 4".
pub fn option_text(option: &MoveOption, e: &Explanation) -> String {
    let changes: Vec<String> = option.changes.iter().map(|c| change_text(c, e)).collect();
    let before: Vec<u32> = e.scores.iter().map(|s| s.score).collect();
    let after = [option.r, option.f, option.m];
    let raised: Vec<String> = ["r", "f", "m"]
        .iter()
        .zip(after)
        .zip(&before)
        .filter(|((_, a), b)| a != *b)
        .map(|((name, a), _)| format!("{name} = {a}"))
        .collect();
    let scores = if raised.is_empty() {
        format!("keeps rfm_cell {}", option.rfm_cell)
    } else {
        format!(
            "{} {}",
            if changes.len() == 1 { "gives" } else { "give" },
            raised.join(", ")
        )
    };
    format!("{} {scores}", changes.join(" and "))
}

fn change_text(c: &Change, e: &Explanation) -> String {
    let d = e.money_decimals;
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let (from, to) = (number(&c.from), number(&c.to));
    match c.column {
        "recency_days" => {
            let day = e.as_of.as_deref().and_then(|a| {
                let as_of = chrono::NaiveDate::parse_from_str(a, "%Y-%m-%d").ok()?;
                Some(as_of - chrono::Duration::days(to as i64))
            });
            let when = match day {
                Some(_) if to == 0.0 => {
                    format!("a purchase on as_of, {}", e.as_of.as_deref().unwrap_or(""))
                }
                Some(day) => format!("a purchase on or after {day}"),
                None => "a later purchase".to_string(),
            };
            format!("{when} (recency_days {from} -> {to})")
        }
        "frequency" => {
            let n = (to - from) as i64;
            let unit = match (e.frequency_counts, n == 1) {
                ("orders", true) => "order",
                ("orders", false) => "orders",
                ("lines", true) => "purchase line",
                ("lines", false) => "purchase lines",
                (_, true) => "purchase day",
                (_, false) => "purchase days",
            };
            format!("{n} more {unit} (frequency {from} -> {to})")
        }
        _ => {
            let what = if e.monetary_kind == "average" {
                "more per purchase"
            } else {
                "more spend"
            };
            format!(
                "{} {what} (monetary {} -> {})",
                money(to - from, d),
                money(from, d),
                money(to, d)
            )
        }
    }
}
