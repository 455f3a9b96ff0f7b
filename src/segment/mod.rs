//! Segment rules -> one `when/then` chain: the first rule whose conditions all hold names
//! the segment; no match gives the default. `when:` conditions arrive parsed
//! ([`crate::settings::when`]); here they become polars expressions.

use polars::prelude::*;

use crate::columns::*;
use crate::settings::{Rule, Segments};

pub mod grid;
pub mod holdout;

/// The parts of one rule: ranges and cells (decided by the scores alone), and `when`.
fn parts(rule: &Rule) -> (Option<Expr>, Option<Expr>) {
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
    let when = rule
        .when
        .as_ref()
        .map(|w| w.tree.to_polars().fill_null(lit(false)));
    (parts.into_iter().reduce(|a, b| a.and(b)), when)
}

/// The condition of one rule (its parts ANDed; a null `when` is false), as [`segment_expr`]
/// tests it.
pub fn condition(rule: &Rule) -> Expr {
    match parts(rule) {
        (Some(a), Some(b)) => a.and(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => unreachable!("config validation refuses rules without a condition"),
    }
}

/// The `segment` column expression for `segments`.
pub fn segment_expr(segments: &Segments) -> Expr {
    // Built from the last rule back, so the first rule is tested first.
    segments
        .rules
        .iter()
        .rev()
        .fold(lit(segments.default.as_str()), |otherwise, rule| {
            when(condition(rule))
                .then(lit(rule.name.as_str()))
                .otherwise(otherwise)
        })
        .alias(SEGMENT)
}
