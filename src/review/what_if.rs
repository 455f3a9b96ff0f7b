//! The smallest changes that would move a customer to each better-ranked segment, for
//! `rfmseg explain`: a bounded, exact search over what-if metric values, scored with the
//! run's edges and segmented with its rules by the run's own code ([`super::explain::evaluate`]).
//!
//! What may change, the other metrics held and the edges held (a what-if, not a forecast):
//! recency only falls (a purchase on or after a day; a purchase on as_of gives 0 days),
//! frequency only rises (more orders, lines or purchase days), monetary only rises (more
//! spend; with `monetary: average`, a higher spend per purchase). The values tried, per metric:
//! the current one; the integers (recency, frequency) or amounts on the minor-unit grid
//! (monetary) next to each edge and to each number a `when` condition names. Among values with
//! the same score and the same side of every such number only the one closest to the current
//! value is kept (a condition that compares a metric with a number changes only there); then
//! every combination is scored and segmented. For each better-ranked segment the changes
//! reaching it that no other reaching change undercuts in every metric are kept, those that
//! change the fewest metrics first. Exact for ranges and cells and for `when` conditions that
//! compare metrics and scores with numbers; a `when` built otherwise (a metric times another)
//! may be reported as not reached by the values tried.

use serde::Serialize;

use super::explain::{evaluate, level, Evaluated, Values};
use crate::columns::*;
use crate::error::Result;
use crate::output::read_back::CustomerRow;
use crate::settings::cells::all_cells;
use crate::settings::thresholds::{GroupEdges, Thresholds};
use crate::settings::when::When;
use crate::settings::{Rule, Settings};

/// Options listed per segment at most (the rest are counted).
const MAX_OPTIONS: usize = 3;

/// Combinations tried at most: past it each metric keeps its values closest to the current.
const MAX_COMBINATIONS: usize = 200_000;

/// A better-ranked segment and how to reach it.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    /// The rule's place in the config, from 1.
    pub index: usize,
    /// Its segment.
    pub segment: String,
    /// True when some change reaches it.
    pub reachable: bool,
    /// The smallest changes that reach it, fewest metrics changed first.
    pub options: Vec<MoveOption>,
    /// Further smallest changes not listed.
    pub more_options: usize,
    /// When unreachable: why, in one sentence.
    pub why_not: Option<String>,
}

/// One change of the metrics and the scores it gives.
#[derive(Debug, Clone, Serialize)]
pub struct MoveOption {
    /// The metrics changed, in r, f, m order.
    pub changes: Vec<Change>,
    /// The scores after the change.
    pub r: u32,
    /// f after the change.
    pub f: u32,
    /// m after the change.
    pub m: u32,
    /// rfm_cell after the change.
    pub rfm_cell: String,
}

/// One metric changed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// recency_days, frequency or monetary.
    pub column: &'static str,
    /// Its value now.
    pub from: serde_json::Value,
    /// Its value after the change.
    pub to: serde_json::Value,
}

/// The better-ranked segments of a customer (`own`: its evaluation) and the smallest changes
/// that reach each.
pub fn search(
    row: &CustomerRow,
    now: &Values,
    own: &Evaluated,
    settings: &Settings,
    thresholds: &Thresholds,
    edges: &GroupEdges,
) -> Result<Vec<Move>> {
    let rules = &settings.segments.rules;
    let targets = own.winner().unwrap_or(rules.len());
    if targets == 0 {
        return Ok(Vec::new());
    }
    let tried = combinations(now, settings, thresholds, edges);
    let evaluated = evaluate(row, &tried, settings, thresholds)?;
    let change = |v: &Values| {
        [
            (now.recency_days - v.recency_days) as f64,
            (v.frequency - now.frequency) as f64,
            v.monetary - now.monetary,
        ]
    };
    let mut moves = Vec::new();
    for (j, rule) in rules.iter().enumerate().take(targets) {
        let reaching: Vec<usize> = (0..tried.len())
            .filter(|&c| evaluated[c].winner() == Some(j))
            .collect();
        let deltas: Vec<[f64; 3]> = reaching.iter().map(|&c| change(&tried[c])).collect();
        let mut kept: Vec<usize> = (0..reaching.len())
            .filter(|&a| {
                !(0..reaching.len()).any(|b| {
                    let (x, y) = (deltas[b], deltas[a]);
                    x.iter().zip(&y).all(|(p, q)| p <= q) && x != y
                })
            })
            .collect();
        let changed = |a: usize| deltas[a].iter().filter(|d| **d != 0.0).count();
        let fewest = kept.iter().map(|&a| changed(a)).min().unwrap_or(0);
        kept.retain(|&a| changed(a) == fewest);
        let raised = |a: usize| -> u32 {
            let s = evaluated[reaching[a]].scores;
            (0..3).map(|k| s[k].saturating_sub(own.scores[k])).sum()
        };
        kept.sort_by(|&a, &b| {
            raised(a).cmp(&raised(b)).then_with(|| {
                deltas[a]
                    .partial_cmp(&deltas[b])
                    .expect("changes are numbers")
            })
        });
        kept.dedup_by(|a, b| deltas[*a] == deltas[*b]);
        let options: Vec<MoveOption> = kept
            .iter()
            .take(MAX_OPTIONS)
            .map(|&a| option(now, &tried[reaching[a]], &evaluated[reaching[a]]))
            .collect();
        let why_not = options
            .is_empty()
            .then(|| why_not(j, rule, own, &evaluated, settings));
        moves.push(Move {
            index: j + 1,
            segment: rule.name.clone(),
            reachable: !options.is_empty(),
            more_options: kept.len().saturating_sub(MAX_OPTIONS),
            options,
            why_not,
        });
    }
    Ok(moves)
}

fn option(now: &Values, v: &Values, e: &Evaluated) -> MoveOption {
    let mut changes = Vec::new();
    if v.recency_days != now.recency_days {
        changes.push(Change {
            column: RECENCY_DAYS,
            from: now.recency_days.into(),
            to: v.recency_days.into(),
        });
    }
    if v.frequency != now.frequency {
        changes.push(Change {
            column: FREQUENCY,
            from: now.frequency.into(),
            to: v.frequency.into(),
        });
    }
    if v.monetary != now.monetary {
        let number =
            |x: f64| serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into);
        changes.push(Change {
            column: MONETARY,
            from: number(now.monetary),
            to: number(v.monetary),
        });
    }
    MoveOption {
        changes,
        r: e.scores[0],
        f: e.scores[1],
        m: e.scores[2],
        rfm_cell: e.cell.clone(),
    }
}

/// Why no change tried reaches rule `j`.
fn why_not(
    j: usize,
    rule: &Rule,
    own: &Evaluated,
    evaluated: &[Evaluated],
    settings: &Settings,
) -> String {
    const ONLY_UP: &str = "scores only rise with more purchases";
    let [r, f, m] = own.scores;
    let lower: Vec<String> = [(R, rule.r, r), (F, rule.f, f), (M, rule.m, m)]
        .into_iter()
        .filter_map(|(name, range, score)| {
            let (_, hi) = range?;
            (hi < score).then(|| format!("{name} <= {hi}, but {name} is {score}"))
        })
        .collect();
    if !lower.is_empty() {
        return format!("it needs {}, and {ONLY_UP}", lower.join(" and "));
    }
    let in_range =
        |s: u32, range: Option<(u32, u32)>| range.is_none_or(|(lo, hi)| (lo..=hi).contains(&s));
    if let Some(cells) = &rule.cells {
        let wide = settings.scoring.wide_cells();
        let above = all_cells(&settings.scoring).into_iter().any(|c| {
            c[0] >= r
                && c[1] >= f
                && c[2] >= m
                && in_range(c[0], rule.r)
                && in_range(c[1], rule.f)
                && in_range(c[2], rule.m)
                && cells.contains(&crate::settings::cells::cell_text(c, wide))
        });
        if !above {
            return format!(
                "every one of its cells has a score below the customer's r, f, m = {r}, {f}, {m}, and {ONLY_UP}"
            );
        }
    }
    let mut first: Vec<&str> = Vec::new();
    for e in evaluated.iter().filter(|e| e.holds[j]) {
        if let Some(w) = e.winner().filter(|w| *w < j) {
            let name = settings.segments.rules[w].name.as_str();
            if !first.contains(&name) {
                first.push(name);
            }
        }
    }
    if !first.is_empty() {
        return format!(
            "every change tried that meets its conditions goes to an earlier segment first ({})",
            first.join(", ")
        );
    }
    match &rule.when {
        Some(w) => format!(
            "no change tried meets its condition `{}` (tried: the smallest change to each score level and to each side of the numbers the conditions name)",
            w.text
        ),
        None => "the scores it needs are not reached by any value (levels left empty by tied values)".to_string(),
    }
}

/// The what-if values to try: per metric the candidates, reduced to the closest value of each
/// score level and side of each number, then every combination; the current values first.
fn combinations(
    now: &Values,
    settings: &Settings,
    thresholds: &Thresholds,
    edges: &GroupEdges,
) -> Vec<Values> {
    let numbers: Vec<f64> = settings
        .segments
        .rules
        .iter()
        .filter_map(|r| r.when.as_ref())
        .flat_map(|w| numbers(&w.tree))
        .collect();
    let scale = 10f64.powi(settings.analysis.monetary_decimals as i32);
    let points = |metric_edges: &[f64]| -> Vec<f64> {
        metric_edges.iter().chain(&numbers).copied().collect()
    };
    let recency: Vec<f64> = integer_neighbours(&points(&edges.recency))
        .into_iter()
        .chain([0, now.recency_days])
        .filter(|d| (0..=now.recency_days).contains(d))
        .map(|d| d as f64)
        .collect();
    let frequency: Vec<f64> = integer_neighbours(&points(&edges.frequency))
        .into_iter()
        .chain([now.frequency])
        .filter(|f| *f >= now.frequency)
        .map(|f| f as f64)
        .collect();
    let monetary: Vec<f64> = money_neighbours(&points(&edges.monetary), scale)
        .into_iter()
        .chain([now.monetary])
        .filter(|m| *m >= now.monetary)
        .collect();
    let current = now.as_f64();
    let metric_edges = [&edges.recency, &edges.frequency, &edges.monetary];
    let mut lists: Vec<Vec<f64>> = [recency, frequency, monetary]
        .into_iter()
        .enumerate()
        .map(|(k, values)| {
            let metric = METRICS[k];
            let Some(s) = thresholds.scale(metric.name) else {
                return vec![current[k]];
            };
            let signature = |v: f64| -> (u32, Vec<std::cmp::Ordering>) {
                (
                    level(v, metric_edges[k], s, k == 0),
                    numbers
                        .iter()
                        .map(|c| v.partial_cmp(c).unwrap_or(std::cmp::Ordering::Equal))
                        .collect(),
                )
            };
            closest_per_signature(values, current[k], signature)
        })
        .collect();
    while lists.iter().map(Vec::len).product::<usize>() > MAX_COMBINATIONS {
        let longest = (0..3).max_by_key(|&k| lists[k].len()).expect("three lists");
        let keep = lists[longest].len() / 2;
        lists[longest].truncate(keep.max(1));
    }
    let mut out = Vec::new();
    for &d in &lists[0] {
        for &f in &lists[1] {
            for &m in &lists[2] {
                out.push(Values {
                    recency_days: d as i64,
                    frequency: f as i64,
                    monetary: m,
                });
            }
        }
    }
    out
}

/// The numbers a condition names (integer and decimal literals), each once.
fn numbers(tree: &When) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    tree.visit(&mut |w| {
        let n = match w {
            When::Int(i) => *i as f64,
            When::Float(x) => *x,
            // -3 is a minus and a 3: both sides are tried.
            When::Neg(e) => match **e {
                When::Int(i) => -(i as f64),
                When::Float(x) => -x,
                _ => return,
            },
            _ => return,
        };
        if !out.contains(&n) {
            out.push(n);
        }
    });
    out
}

/// Of `values`, the one closest to `current` per signature, sorted by the distance (the
/// current value first).
fn closest_per_signature<S: PartialEq>(
    mut values: Vec<f64>,
    current: f64,
    signature: impl Fn(f64) -> S,
) -> Vec<f64> {
    values.sort_by(|a, b| {
        (a - current)
            .abs()
            .partial_cmp(&(b - current).abs())
            .expect("candidates are numbers")
    });
    values.dedup();
    let mut seen: Vec<S> = Vec::new();
    let mut out = Vec::new();
    for v in values {
        let s = signature(v);
        if !seen.contains(&s) {
            seen.push(s);
            out.push(v);
        }
    }
    out
}

/// Integers next to each point: floor - 1 to floor + 2 (the largest below, the largest at or
/// below, the smallest above, the smallest at or above, and one more), for finite points
/// within f64's exact integers.
fn integer_neighbours(points: &[f64]) -> Vec<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let mut out = Vec::new();
    for x in points.iter().filter(|x| x.is_finite() && x.abs() < EXACT) {
        let floor = x.floor() as i64;
        out.extend(floor - 1..=floor + 2);
    }
    out
}

/// Amounts on the minor-unit grid next to each point (`k / 10^d` for k from floor(x * 10^d)
/// - 1 to floor + 2), divided as the run divides minor units.
fn money_neighbours(points: &[f64], scale: f64) -> Vec<f64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let mut out = Vec::new();
    for x in points.iter().filter(|x| x.is_finite()) {
        let floor = (x * scale).floor();
        if floor.abs() >= EXACT {
            continue;
        }
        out.extend((-1..=2).map(|k| (floor + f64::from(k)) / scale));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_cover_both_sides_of_each_point() {
        assert_eq!(integer_neighbours(&[2.5]), [1, 2, 3, 4]);
        assert_eq!(integer_neighbours(&[3.0, f64::NEG_INFINITY]), [2, 3, 4, 5]);
        let m = money_neighbours(&[99.99], 100.0);
        assert!(
            m.contains(&99.99) && m.contains(&100.0) && m.contains(&99.98),
            "{m:?}"
        );
    }

    #[test]
    fn the_numbers_of_a_condition_are_listed_once() {
        let allowed: Vec<String> = ["r", "frequency", "monetary"].map(String::from).to_vec();
        let w = crate::settings::when::parse(
            "frequency >= 3 AND monetary BETWEEN 2.5 AND 3 OR r IN (3, -1)",
            &allowed,
        )
        .unwrap();
        assert_eq!(numbers(&w), [3.0, 2.5, -1.0]);
    }

    #[test]
    fn one_value_per_signature_the_closest() {
        // Scores by tens: 3 and 7 share a signature with 5 (the current) and are dropped.
        let kept = closest_per_signature(vec![12.0, 3.0, 7.0, 5.0, 21.0, 15.0], 5.0, |v| {
            (v / 10.0).floor() as i64
        });
        assert_eq!(kept, [5.0, 12.0, 21.0]);
    }
}
