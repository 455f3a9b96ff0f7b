//! `segments:` checked: names unique and not empty, ranges within the bins, cells parsed,
//! `when` conditions parsed once into their tree and typed against the group columns, and
//! no rule without a condition.

use std::collections::HashSet;

use super::checker::Checker;
use super::raw::{RawConfig, RawRule, ScoreRange};
use crate::settings::cells::parse_cell;
use crate::settings::when::{self, Condition};
use crate::settings::{Rule, Scoring, Segments};

pub(super) fn check_segments(
    raw: &RawConfig,
    scoring: &Scoring,
    group_by: &[String],
    ck: &mut Checker,
) -> Segments {
    let default = raw
        .segments
        .default
        .clone()
        .unwrap_or_else(|| "Other".to_string());
    if default.trim().is_empty() {
        ck.add(
            "segments.default",
            None,
            "is empty; give a segment name such as Other",
        );
    }
    let allowed = when::allowed_columns(group_by);
    let mut names = HashSet::new();
    let mut rules = Vec::new();
    for (i, rule) in raw.segments.rules.iter().flatten().enumerate() {
        let path = format!("segments.rules[{i}]");
        if let Some(r) = check_rule(rule, &path, scoring, &allowed, ck) {
            if !names.insert(r.name.clone()) {
                ck.add(
                    &format!("{path}.name"),
                    Some(&r.name),
                    format!("segment {:?} is named twice; rule names must be unique (merge the rules with `cells` or `when ... OR ...`)", r.name),
                );
            }
            rules.push(r);
        }
    }
    let segments = Segments { default, rules };
    // Group column types are known only from the data: a condition must fit some typing of
    // them here (text, integer or decimal); `run` checks it again with the real types.
    let typings: Vec<Vec<(String, polars::prelude::DataType)>> = {
        use polars::prelude::DataType;
        let kinds = [DataType::String, DataType::Int64, DataType::Float64];
        let mut all: Vec<Vec<(String, DataType)>> = vec![vec![]];
        for (n, g) in group_by.iter().enumerate() {
            let kinds: &[DataType] = if n < 3 { &kinds } else { &kinds[..1] };
            all = all
                .into_iter()
                .flat_map(|prefix| {
                    kinds.iter().map(move |k| {
                        let mut v = prefix.clone();
                        v.push((g.clone(), k.clone()));
                        v
                    })
                })
                .collect();
        }
        all
    };
    let mut failing: Option<Vec<(usize, String)>> = None;
    for typing in &typings {
        let problems = when::type_problems(&segments.rules, typing);
        failing = Some(match failing {
            None => problems,
            // A rule fails only if it fails under every typing.
            Some(prev) => prev
                .into_iter()
                .filter(|(i, _)| problems.iter().any(|(j, _)| j == i))
                .collect(),
        });
    }
    for (i, why) in failing.unwrap_or_default() {
        let name = segments.rules[i].name.clone();
        ck.add(&format!("segments.rules[{i}].when"), Some(&name), why);
    }
    segments
}

fn check_rule(
    rule: &RawRule,
    path: &str,
    scoring: &Scoring,
    allowed: &[String],
    ck: &mut Checker,
) -> Option<Rule> {
    let name = match rule.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            ck.add(path, None, "the rule has no name; add `name: ...`");
            String::new()
        }
    };
    let label = (!name.is_empty()).then_some(name.as_str());
    let mut range = |key: &str, given: &Option<ScoreRange>, bins: u32| -> Option<(u32, u32)> {
        let given = given.as_ref()?;
        let p = format!("{path}.{key}");
        let (lo, hi) = match given {
            ScoreRange::One(v) => (*v, *v),
            ScoreRange::List(v) if v.len() == 2 => (v[0], v[1]),
            ScoreRange::List(v) => {
                ck.add(
                    &p,
                    label,
                    format!("{v:?} is not a range; write `{key}: [low, high]` or `{key}: 5`"),
                );
                return None;
            }
        };
        let b = i64::from(bins);
        if lo < 1 || hi > b || lo > hi {
            let why = if lo > hi {
                "low is above high".to_string()
            } else {
                format!("{key} scores run from 1 to {bins}")
            };
            ck.add(
                &p,
                label,
                format!("range [{lo}, {hi}] is outside 1..{bins} ({why})"),
            );
            return None;
        }
        Some((lo as u32, hi as u32))
    };
    let r = range("r", &rule.r, scoring.recency.bins);
    let f = range("f", &rule.f, scoring.frequency.bins);
    let m = range("m", &rule.m, scoring.monetary.bins);
    let cells = rule.cells.as_ref().map(|cells| {
        let mut out = Vec::new();
        for (j, c) in cells.iter().enumerate() {
            let text = c.text();
            match parse_cell(&text, scoring) {
                Ok(canonical) => out.push(canonical),
                Err(why) => ck.add(&format!("{path}.cells[{j}]"), label, why),
            }
        }
        out
    });
    if cells.as_ref().is_some_and(|c| c.is_empty())
        && rule.cells.as_ref().is_some_and(|c| c.is_empty())
    {
        ck.add(
            &format!("{path}.cells"),
            label,
            "is an empty list; list cells such as \"555\" or remove the key",
        );
    }
    let when = rule
        .when
        .as_ref()
        .and_then(|w| match Condition::parse(w, allowed) {
            Ok(condition) => Some(condition),
            Err(why) => {
                ck.add(&format!("{path}.when"), label, why);
                None
            }
        });
    if rule.r.is_none()
        && rule.f.is_none()
        && rule.m.is_none()
        && rule.cells.is_none()
        && rule.when.is_none()
    {
        ck.add(
            path,
            label,
            "the rule has no condition; give r/f/m ranges, `cells` or `when` (a catch-all is `segments.default`)",
        );
    }
    Some(Rule {
        name,
        description: rule.description.clone(),
        r,
        f,
        m,
        cells,
        when,
    })
}
