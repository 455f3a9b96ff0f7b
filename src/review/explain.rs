//! Why one customer of a run output has its scores and its segment, from the file alone
//! (`rfmseg explain`): the metrics; each score with the edges it fell between, reproduced from
//! the edges the footer stores and checked against the row; each rule up to the one that named
//! the segment, with the condition that failed; and the smallest changes that would move the
//! customer to each better-ranked (earlier) segment ([`what_if`](super::what_if)).
//!
//! Scores and rules are evaluated by the run's own code on frames built from the customer's
//! row: [`rfm::score`] with the stored edges, [`segment::condition`] and
//! [`segment::segment_expr`] (so explain agrees with what a run computes), and by a plain
//! comparison with the edges in Rust ([`level`]), for the text; the two must agree with the
//! row, or the file is refused ("the file's scores do not follow its edges").

use polars::prelude::*;
use serde::Serialize;

use super::frame;
use super::what_if::{self, Move};
use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::read_back::CustomerRow;
use crate::rfm;
use crate::segment;
use crate::settings::thresholds::{key_text, GroupEdges, MetricScale, Thresholds};
use crate::settings::{Frequency, Monetary, Rule, Settings};

/// The JSON document's format tag; the number changes when a field changes meaning or goes.
pub const FORMAT: &str = "rfmseg-explain/1";

/// Everything `rfmseg explain` says about one customer (the JSON document, field by field).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// The run output, as given.
    pub file: String,
    /// The customer, as the file stores it (text, or a number for integer ids).
    pub customer_id: serde_json::Value,
    /// The customer's group values by group column (empty without group_by).
    pub group: serde_json::Map<String, serde_json::Value>,
    /// The run's as_of.
    pub as_of: Option<String>,
    /// Money is shown with this many decimals (the run's `monetary_decimals`).
    pub money_decimals: u32,
    /// What frequency counts: `orders`, `lines` or `days`.
    pub frequency_counts: &'static str,
    /// `total` (net spend) or `average` (spend per purchase).
    pub monetary_kind: &'static str,
    /// The row's metrics.
    pub recency_days: i64,
    /// Purchases, per `frequency_counts`.
    pub frequency: i64,
    /// Net spend, or spend per purchase.
    pub monetary: f64,
    /// First purchase date, YYYY-MM-DD.
    pub first_order_date: Option<String>,
    /// Last purchase date, YYYY-MM-DD.
    pub last_order_date: Option<String>,
    /// The thresholds file the run's edges were frozen from (`scoring.thresholds_from`), None
    /// when the run found them in its own data.
    pub thresholds_from: Option<String>,
    /// With `scoring.min_group_customers`: the row's `score_level`, the group_by columns the
    /// scores were computed within.
    pub score_level: Option<i64>,
    /// The partition whose edges scored the row, by its group columns (the whole group
    /// without levels; `{}` for the whole input).
    pub partition: serde_json::Map<String, serde_json::Value>,
    /// With `output.holdout`: the row's `holdout`.
    pub holdout: Option<bool>,
    /// r, f, m, each with its edges.
    pub scores: Vec<Score>,
    /// The row's rfm_cell.
    pub rfm_cell: String,
    /// The row's rfm_score.
    pub rfm_score: i64,
    /// The row's segment.
    pub segment: String,
    /// The rule that named the segment; None when no rule matched (the default segment).
    pub rule: Option<RuleCheck>,
    /// Every rule before it, each with the conditions that failed.
    pub earlier_rules: Vec<RuleCheck>,
    /// Per better-ranked segment (the rules before the matching one, all rules for the
    /// default), the smallest changes that reach it, or why none does.
    pub moves: Vec<Move>,
}

/// One score and the edges it fell between.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// recency, frequency or monetary.
    pub metric: &'static str,
    /// The metric column: recency_days, frequency, monetary.
    pub column: &'static str,
    /// The score column: r, f, m.
    pub score_column: &'static str,
    /// The metric's value.
    pub value: serde_json::Value,
    /// The score (the row's; the edges give the same).
    pub score: u32,
    /// Score levels.
    pub bins: u32,
    /// The method the edges came from: rank, quantile, r-rfm, fixed.
    pub method: String,
    /// How a value passes an edge: ">" or ">=".
    pub compare: String,
    /// The group's `bins - 1` edges, ascending; null for `-inf` (a level no value reaches).
    #[serde(serialize_with = "edges_as_json")]
    pub edges: Vec<f64>,
    /// How many edges the value passes (`value > edge`, or `>=`): the score is 1 + that for
    /// frequency and monetary, bins - that for recency. The value lies between edge
    /// `edges_passed` (1-based; none when 0) and the next.
    pub edges_passed: usize,
}

/// One rule checked on the customer.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCheck {
    /// The rule's place in the config, from 1.
    pub index: usize,
    /// Its segment name.
    pub name: String,
    /// True when every condition holds.
    pub holds: bool,
    /// Its conditions, in the order ranges r, f, m, cells, when.
    pub conditions: Vec<ConditionCheck>,
}

/// One condition of a rule checked on the customer.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionCheck {
    /// r, f, m (a range), cells or when.
    pub kind: &'static str,
    /// The condition as the config's canonical text writes it: `r: [4, 5]`,
    /// `cells: ["555", "554"]`, `when: r <= 2 AND frequency >= 3`.
    pub condition: String,
    /// Whether it holds (a `when` that is null does not).
    pub holds: bool,
    /// For `when`: its value, true, false or null; for the others the same as `holds`.
    pub value: Option<bool>,
    /// The customer's values of what it tests: the score (ranges), rfm_cell (cells), the
    /// columns the condition names (when).
    pub values: serde_json::Map<String, serde_json::Value>,
}

fn edges_as_json<S: serde::Serializer>(
    edges: &[f64],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(edges.len()))?;
    for e in edges {
        seq.serialize_element(&e.is_finite().then_some(*e))?;
    }
    seq.end()
}

/// The score `value` gets from `edges` (ascending) with `scale`: `k = 1 + #{i : value >
/// edge_i}` (`>=` where compare is ">="); frequency and monetary score `k`, recency `bins + 1
/// - k`. The rule every method's edges follow ([`crate::settings::thresholds`]).
pub fn level(value: f64, edges: &[f64], scale: &MetricScale, recency: bool) -> u32 {
    let passed = passed(value, edges, scale) as u32;
    if recency {
        scale.bins.saturating_sub(passed)
    } else {
        1 + passed
    }
}

/// The edges `value` passes.
pub fn passed(value: f64, edges: &[f64], scale: &MetricScale) -> usize {
    let at_least = scale.compare == ">=";
    edges
        .iter()
        .filter(|&&e| if at_least { value >= e } else { value > e })
        .count()
}

/// The stored edges that scored the row of the group with `values` (text, in group_by
/// order), looked up per row: without levels the group's own entry; with
/// `scoring.min_group_customers` the entry of the row's `score_level` whose key is the row's
/// first `level` group values (the partition whose edges scored it).
pub fn group_edges<'a>(
    t: &'a Thresholds,
    group_by: &[String],
    values: &[Option<String>],
    level: Option<usize>,
) -> Option<&'a GroupEdges> {
    if group_by.is_empty() {
        return t.groups.first();
    }
    let depth = level.unwrap_or(group_by.len()).min(group_by.len());
    t.groups.iter().find(|g| {
        g.level.map(|l| l as usize) == level
            && group_by[..depth]
                .iter()
                .zip(values)
                .all(|(c, v)| g.key.get(c).and_then(key_text) == *v)
    })
}

/// The thresholds that score the customer's group exactly as the run scored its row: one
/// entry, `entry`, keyed by the row's own group values (as the run keys the entries it
/// resolves for each group; with levels, `entry` keeps its level).
pub fn for_row(
    t: &Thresholds,
    entry: &GroupEdges,
    group_by: &[String],
    values: &[Option<String>],
) -> Thresholds {
    let key = group_by
        .iter()
        .zip(values)
        .map(|(g, v)| {
            let v = v
                .clone()
                .map_or(serde_yaml::Value::Null, serde_yaml::Value::String);
            (g.clone(), v)
        })
        .collect();
    Thresholds {
        format: t.format.clone(),
        as_of: t.as_of.clone(),
        group_by: t.group_by.clone(),
        min_group_customers: t.min_group_customers,
        metrics: t.metrics.clone(),
        groups: vec![GroupEdges {
            key,
            ..entry.clone()
        }],
    }
}

/// The metric values of one customer (or of a what-if), as the file stores them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values {
    /// recency_days
    pub recency_days: i64,
    /// frequency
    pub frequency: i64,
    /// monetary
    pub monetary: f64,
}

impl Values {
    /// The values as f64, in r, f, m order.
    pub fn as_f64(&self) -> [f64; 3] {
        [
            self.recency_days as f64,
            self.frequency as f64,
            self.monetary,
        ]
    }
}

/// Per customer (or what-if) of [`evaluate`]: the scores and which rules hold.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// r, f, m as the run's scoring gives them.
    pub scores: [u32; 3],
    /// rfm_cell.
    pub cell: String,
    /// rfm_score.
    pub rfm_score: i64,
    /// Per rule: whether its whole condition holds.
    pub holds: Vec<bool>,
    /// Per rule: the value of its `when` (None: no `when`, or null).
    pub when: Vec<Option<bool>>,
    /// The segment the rules give.
    pub segment: String,
}

impl Evaluated {
    /// The rule that names the segment (first match), None for the default.
    pub fn winner(&self) -> Option<usize> {
        self.holds.iter().position(|h| *h)
    }
}

/// Score and segment each of `values` in the customer's group with the run's own code: the
/// customer's row (its group and id columns, with the file's types) repeated, the metrics
/// replaced, scored by [`rfm::score`] with the stored edges and segmented by the rules.
pub fn evaluate(
    row: &CustomerRow,
    values: &[Values],
    settings: &Settings,
    thresholds: &Thresholds,
) -> Result<Vec<Evaluated>> {
    let fail = Error::engine("evaluating the customer's scores and rules");
    let n = values.len();
    let mut columns: Vec<Column> = Vec::new();
    for name in row
        .group_columns
        .iter()
        .map(String::as_str)
        .chain([CUSTOMER_ID])
    {
        let c = row
            .row
            .column(name)
            .map_err(Error::engine("reading the row"))?;
        columns.push(c.new_from_index(0, n));
    }
    columns.push(Column::new(
        RECENCY_DAYS.into(),
        values.iter().map(|v| v.recency_days).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        FREQUENCY.into(),
        values.iter().map(|v| v.frequency).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        MONETARY.into(),
        values.iter().map(|v| v.monetary).collect::<Vec<_>>(),
    ));
    let frame = DataFrame::new(n, columns).map_err(Error::engine("building the what-if rows"))?;
    let rules = &settings.segments.rules;
    let mut checks: Vec<Expr> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        checks.push(segment::condition(rule).alias(format!("__rule_{i}")));
        if let Some(w) = &rule.when {
            checks.push(w.tree.to_polars().alias(format!("__when_{i}")));
        }
    }
    checks.push(segment::segment_expr(&settings.segments));
    let scored = rfm::score(
        frame.lazy(),
        thresholds,
        &settings.scoring,
        &settings.analysis.group_by,
    )
    .with_columns(checks)
    .collect()
    .map_err(fail)?;
    let ints = |name: &str| -> Result<Vec<Option<i64>>> {
        let c = scored
            .column(name)
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(Error::engine("reading the scores"))?;
        Ok(c.i64()
            .map_err(Error::engine("reading the scores"))?
            .iter()
            .collect())
    };
    let [r, f, m, total] = [R, F, M, RFM_SCORE].map(ints);
    let (r, f, m, total) = (r?, f?, m?, total?);
    let cells = frame::texts(&scored, RFM_CELL)?;
    let segments = frame::texts(&scored, SEGMENT)?;
    let mut holds = Vec::new();
    let mut whens = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        holds.push(frame::flags(&scored, &format!("__rule_{i}"))?);
        whens.push(match rule.when {
            Some(_) => {
                let c = scored
                    .column(&format!("__when_{i}"))
                    .and_then(|c| c.cast(&DataType::Boolean))
                    .map_err(Error::engine("reading a condition"))?;
                let values: Vec<Option<bool>> = c
                    .bool()
                    .map_err(Error::engine("reading a condition"))?
                    .iter()
                    .collect();
                values
            }
            None => vec![None; n],
        });
    }
    (0..n)
        .map(|i| {
            let score = |v: &[Option<i64>]| v[i].map(|s| s as u32);
            let (Some(sr), Some(sf), Some(sm)) = (score(&r), score(&f), score(&m)) else {
                return Err(Error::Data(
                    "the stored edges do not score the customer's group (no edges for it)".into(),
                ));
            };
            Ok(Evaluated {
                scores: [sr, sf, sm],
                cell: cells[i].clone().unwrap_or_default(),
                rfm_score: total[i].unwrap_or(0),
                holds: holds.iter().map(|h| h[i]).collect(),
                when: whens.iter().map(|w| w[i]).collect(),
                segment: segments[i].clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// Explain the customer of `row` (read from the run output `file`), scored with
/// `thresholds` (the edges its footer stores) under `settings` (its stored config).
pub fn explain(
    file: &str,
    row: &CustomerRow,
    as_of: Option<String>,
    settings: &Settings,
    thresholds: &Thresholds,
) -> Result<Explanation> {
    let not_following = |what: String| {
        Error::Data(format!(
            "run file {file}: the file's {what}; the footer or the rows were changed after the run, or another program wrote them"
        ))
    };
    let group_by = &settings.analysis.group_by;
    if *group_by != row.group_columns {
        return Err(not_following(format!(
            "group columns {:?} are not its config's group_by {:?}",
            row.group_columns, group_by
        )));
    }
    let df = &row.row;
    let int = |name: &str| -> Result<i64> {
        frame::ints(df, name)?
            .first()
            .copied()
            .ok_or_else(|| Error::Data(format!("run file {file}: no value of {name}")))
    };
    let text = |name: &str| -> Result<Option<String>> {
        Ok(frame::texts(df, name)?.first().cloned().flatten())
    };
    let values = Values {
        recency_days: int(RECENCY_DAYS)?,
        frequency: int(FREQUENCY)?,
        monetary: frame::floats(df, MONETARY)?
            .first()
            .copied()
            .flatten()
            .unwrap_or(f64::NAN),
    };
    let file_scores = [int(R)?, int(F)?, int(M)?];
    let file_segment = text(SEGMENT)?.unwrap_or_default();
    let score_level = df
        .column(SCORE_LEVEL)
        .is_ok()
        .then(|| frame::ints(df, SCORE_LEVEL))
        .transpose()?
        .and_then(|v| v.first().copied());
    let depth = score_level.map(|l| l.clamp(0, group_by.len() as i64) as usize);
    let edges = group_edges(thresholds, group_by, &row.group_values, depth).ok_or_else(|| {
        not_following(format!(
            "footer has no score edges for the customer's {} ({})",
            if depth.is_some() {
                "partition"
            } else {
                "group"
            },
            describe_group(
                &group_by[..depth.unwrap_or(group_by.len())],
                &row.group_values
            )
        ))
    })?;
    let thresholds = &for_row(thresholds, edges, group_by, &row.group_values);
    let mut scores = Vec::new();
    for (i, (metric, metric_edges)) in METRICS
        .iter()
        .zip([&edges.recency, &edges.frequency, &edges.monetary])
        .enumerate()
    {
        let scale = thresholds
            .scale(metric.name)
            .ok_or_else(|| not_following(format!("edges have no scale for {}", metric.name)))?;
        let recency = metric.name == "recency";
        let value = values.as_f64()[i];
        let score = level(value, metric_edges, scale, recency);
        if i64::from(score) != file_scores[i] {
            return Err(Error::Data(format!(
                "run file {file}: the file's scores do not follow its edges: customer {} has {} = {}, but {} {} with the stored {} edges {} (compare {}) gives {} = {score}",
                text(CUSTOMER_ID)?.unwrap_or_default(),
                metric.score,
                file_scores[i],
                metric.column,
                value,
                metric.name,
                edge_list(metric_edges),
                scale.compare,
                metric.score,
            )));
        }
        scores.push(Score {
            metric: metric.name,
            column: metric.column,
            score_column: metric.score,
            value: if i == 2 {
                serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into)
            } else {
                serde_json::Value::from(value as i64)
            },
            score,
            bins: scale.bins,
            method: scale.method.clone(),
            compare: scale.compare.clone(),
            edges: metric_edges.clone(),
            edges_passed: passed(value, metric_edges, scale),
        });
    }
    let own = evaluate(row, &[values], settings, thresholds)?.remove(0);
    let scores_now = [file_scores[0], file_scores[1], file_scores[2]].map(|s| s as u32);
    if own.scores != scores_now {
        return Err(Error::Data(format!(
            "run file {file}: the file's scores do not follow its edges: scored again with them, r, f, m are {:?}, the file has {:?}",
            own.scores, scores_now
        )));
    }
    if own.segment != file_segment {
        return Err(not_following(format!(
            "segment {file_segment:?} does not follow its rules: they give {:?}",
            own.segment
        )));
    }
    let rules = &settings.segments.rules;
    let winner = own.winner();
    let checked_up_to = winner.map_or(rules.len(), |w| w + 1);
    let mut checks: Vec<RuleCheck> = (0..checked_up_to)
        .map(|i| check_rule(i, &rules[i], &own, &values, df))
        .collect::<Result<_>>()?;
    let rule = winner.map(|_| checks.pop().expect("the matching rule was checked"));
    let moves = what_if::search(row, &values, &own, settings, thresholds, edges)?;
    let group = group_by
        .iter()
        .zip(frame::json_row(df, group_by, 0)?)
        .map(|(g, v)| (g.clone(), v))
        .collect();
    let analysis = &settings.analysis;
    Ok(Explanation {
        format: FORMAT,
        file: file.to_string(),
        customer_id: frame::json_row(df, &[CUSTOMER_ID.to_string()], 0)?.remove(0),
        group,
        as_of,
        money_decimals: analysis.monetary_decimals,
        frequency_counts: match analysis.frequency {
            Frequency::Orders => "orders",
            Frequency::Lines => "lines",
            Frequency::Days => "days",
        },
        monetary_kind: match analysis.monetary {
            Monetary::Total => "total",
            Monetary::Average => "average",
        },
        recency_days: values.recency_days,
        frequency: values.frequency,
        monetary: values.monetary,
        first_order_date: text(FIRST_ORDER_DATE)?,
        last_order_date: text(LAST_ORDER_DATE)?,
        thresholds_from: settings.scoring.thresholds_from.clone(),
        score_level,
        partition: group_by[..depth.unwrap_or(group_by.len())]
            .iter()
            .zip(frame::json_row(df, group_by, 0)?)
            .map(|(g, v)| (g.clone(), v))
            .collect(),
        holdout: df
            .column(HOLDOUT)
            .is_ok()
            .then(|| frame::flags(df, HOLDOUT))
            .transpose()?
            .and_then(|v| v.first().copied()),
        scores,
        rfm_cell: own.cell.clone(),
        rfm_score: own.rfm_score,
        segment: own.segment.clone(),
        rule,
        earlier_rules: std::mem::take(&mut checks),
        moves,
    })
}

/// `column=value, ...` of a group.
pub fn describe_group(group_by: &[String], values: &[Option<String>]) -> String {
    group_by
        .iter()
        .zip(values)
        .map(|(g, v)| format!("{g}={}", v.as_deref().unwrap_or("null")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Edges as a list people read: `[14, 52.5, -inf]`.
pub fn edge_list(edges: &[f64]) -> String {
    let items: Vec<String> = edges.iter().map(|e| edge_text(*e)).collect();
    format!("[{}]", items.join(", "))
}

/// One edge: its shortest exact form, `-inf` for a level no value reaches.
pub fn edge_text(e: f64) -> String {
    if e == f64::NEG_INFINITY {
        "-inf".into()
    } else if e.fract() == 0.0 && e.abs() < 1e15 {
        format!("{}", e as i64)
    } else {
        format!("{e}")
    }
}

/// The conditions of rule `i`, each checked on the customer (`own`, its evaluation).
fn check_rule(
    i: usize,
    rule: &Rule,
    own: &Evaluated,
    values: &Values,
    row: &DataFrame,
) -> Result<RuleCheck> {
    let mut conditions = Vec::new();
    for (k, (kind, range)) in [(R, rule.r), (F, rule.f), (M, rule.m)]
        .into_iter()
        .enumerate()
    {
        if let Some((lo, hi)) = range {
            let score = own.scores[k];
            let holds = (lo..=hi).contains(&score);
            conditions.push(ConditionCheck {
                kind,
                condition: format!("{kind}: [{lo}, {hi}]"),
                holds,
                value: Some(holds),
                values: [(kind.to_string(), serde_json::Value::from(score))]
                    .into_iter()
                    .collect(),
            });
        }
    }
    if let Some(cells) = &rule.cells {
        let holds = cells.contains(&own.cell);
        let list: Vec<String> = cells.iter().map(|c| format!("{c:?}")).collect();
        conditions.push(ConditionCheck {
            kind: "cells",
            condition: format!("cells: [{}]", list.join(", ")),
            holds,
            value: Some(holds),
            values: [(
                RFM_CELL.to_string(),
                serde_json::Value::from(own.cell.clone()),
            )]
            .into_iter()
            .collect(),
        });
    }
    if let Some(w) = &rule.when {
        let value = own.when[i];
        let names = w.tree.columns();
        let mut shown = serde_json::Map::new();
        for name in names {
            let v = match name.as_str() {
                R => own.scores[0].into(),
                F => own.scores[1].into(),
                M => own.scores[2].into(),
                RFM_SCORE => own.rfm_score.into(),
                RECENCY_DAYS => values.recency_days.into(),
                FREQUENCY => values.frequency.into(),
                MONETARY => serde_json::Number::from_f64(values.monetary)
                    .map_or(serde_json::Value::Null, Into::into),
                group => frame::json_row(row, &[group.to_string()], 0)?.remove(0),
            };
            shown.insert(name, v);
        }
        conditions.push(ConditionCheck {
            kind: "when",
            condition: format!("when: {}", w.text),
            holds: value == Some(true),
            value,
            values: shown,
        });
    }
    Ok(RuleCheck {
        index: i + 1,
        name: rule.name.clone(),
        holds: own.holds[i],
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(bins: u32, compare: &str) -> MetricScale {
        MetricScale {
            bins,
            method: "rank".into(),
            compare: compare.into(),
        }
    }

    #[test]
    fn a_value_scores_one_plus_the_edges_it_passes_and_recency_the_reverse() {
        let edges = [1.0, 1.0, 4.0, 6.0];
        // 1 passes no edge at ">": score 1; 2 passes both 1s: score 3 (level 2 is empty).
        assert_eq!(level(1.0, &edges, &scale(5, ">"), false), 1);
        assert_eq!(level(2.0, &edges, &scale(5, ">"), false), 3);
        assert_eq!(level(6.0, &edges, &scale(5, ">"), false), 4);
        assert_eq!(level(6.0, &edges, &scale(5, ">="), false), 5);
        assert_eq!(level(7.0, &edges, &scale(5, ">"), false), 5);
        // recency: bins - passed; 0 days passes nothing: the best score.
        let days = [30.0, 90.0, 180.0, 365.0];
        assert_eq!(level(0.0, &days, &scale(5, ">"), true), 5);
        assert_eq!(level(30.0, &days, &scale(5, ">"), true), 5);
        assert_eq!(level(31.0, &days, &scale(5, ">"), true), 4);
        assert_eq!(level(400.0, &days, &scale(5, ">"), true), 1);
        assert_eq!(level(3.0, &[f64::NEG_INFINITY], &scale(2, ">"), false), 2);
        assert_eq!(
            edge_list(&[f64::NEG_INFINITY, 2.5, 30.0]),
            "[-inf, 2.5, 30]"
        );
    }
}
