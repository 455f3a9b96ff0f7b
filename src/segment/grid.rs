//! The rules on the whole score grid (bins_r x bins_f x bins_m cells), without data: which
//! cells fall to the default, which rules can never match, where rules overlap. A `when` that
//! names only scores (r, f, m, rfm_score) is decided on the grid; one that names metrics or
//! group columns depends on the data, so its cells are "possible", never certain.

use polars::prelude::*;

use super::parts;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::settings::cells::{all_cells, cell_text};
use crate::settings::{Scoring, Segments};

/// The winner of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Winner {
    /// This rule (index) matches first, whatever the data.
    Rule(usize),
    /// No rule can match: the default segment.
    Default,
    /// Data-dependent rules (indices, in order) may match first; otherwise `then`.
    Undecided {
        /// The data-dependent rules that come first.
        maybe: Vec<usize>,
        /// The rule that wins when none of them matches (None: the default).
        then: Option<usize>,
    },
}

/// One cell of the grid.
#[derive(Debug, Clone)]
pub struct Cell {
    /// r, f, m.
    pub scores: [u32; 3],
    /// As in `rfm_cell`.
    pub text: String,
    /// Who names it.
    pub winner: Winner,
}

/// A rule that can never name a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    /// Rule index.
    pub rule: usize,
    /// Earlier rules that take its cells, with how many of its cells each takes (empty when
    /// the rule matches no cell at all).
    pub taken_by: Vec<(usize, usize)>,
}

/// Cells that several rules claim (whatever the data), where the first of them wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The claiming rules, in rule order; the first wins.
    pub rules: Vec<usize>,
    /// The shared cells.
    pub cells: Vec<String>,
}

/// The rules on the grid.
#[derive(Debug, Clone)]
pub struct Grid {
    /// bins of r, f, m.
    pub bins: [u32; 3],
    /// Rule names, in order.
    pub names: Vec<String>,
    /// The default segment's name.
    pub default: String,
    /// Rules whose `when` depends on data.
    pub data_dependent: Vec<usize>,
    /// Every cell, r-major.
    pub cells: Vec<Cell>,
    /// Rules that never win a cell.
    pub unreachable: Vec<Unreachable>,
    /// Shared cells, earlier rule first.
    pub overlaps: Vec<Overlap>,
}

impl Grid {
    /// Cells no rule can match.
    pub fn default_cells(&self) -> Vec<&Cell> {
        self.cells
            .iter()
            .filter(|c| c.winner == Winner::Default)
            .collect()
    }

    /// Cells that fall to the default unless a data-dependent rule matches.
    pub fn maybe_default_cells(&self) -> Vec<&Cell> {
        self.cells
            .iter()
            .filter(|c| matches!(c.winner, Winner::Undecided { then: None, .. }))
            .collect()
    }

    /// The cell at r, f, m.
    pub fn at(&self, r: u32, f: u32, m: u32) -> &Cell {
        let [_, bf, bm] = self.bins;
        &self.cells[(((r - 1) * bf + (f - 1)) * bm + (m - 1)) as usize]
    }
}

/// Evaluate `segments` on every cell of the grid `scoring` defines.
pub fn analyse(segments: &Segments, scoring: &Scoring) -> Result<Grid> {
    let bins = scoring.bins();
    let wide = scoring.wide_cells();
    let scores = all_cells(scoring);
    let column = |i: usize| -> Vec<i32> { scores.iter().map(|s| s[i] as i32).collect() };
    let frame = df!(
        R => column(0),
        F => column(1),
        M => column(2),
        RFM_CELL => scores.iter().map(|s| cell_text(*s, wide)).collect::<Vec<_>>(),
        RFM_SCORE => scores.iter().map(|s| (s[0] + s[1] + s[2]) as i32).collect::<Vec<_>>(),
    )
    .map_err(Error::engine("building the score grid"))?;

    let score_only = [R, F, M, RFM_SCORE];
    let mut exprs = Vec::new();
    let mut data_dependent = Vec::new();
    for (i, rule) in segments.rules.iter().enumerate() {
        let (fixed, when) = parts(rule);
        let decided = rule.when.as_ref().is_none_or(|w| {
            w.tree
                .columns()
                .iter()
                .all(|n| score_only.contains(&n.as_str()))
        });
        if !decided {
            data_dependent.push(i);
        }
        let fixed = fixed.unwrap_or(lit(true));
        let possible = if decided {
            match when.clone() {
                Some(w) => fixed.clone().and(w),
                None => fixed.clone(),
            }
        } else {
            fixed.clone()
        };
        let definite = if decided {
            possible.clone()
        } else {
            lit(false)
        };
        exprs.push(possible.alias(format!("p{i}")));
        exprs.push(definite.alias(format!("d{i}")));
    }
    let masks = if exprs.is_empty() {
        DataFrame::empty()
    } else {
        frame
            .lazy()
            .select(exprs)
            .collect()
            .map_err(Error::engine("evaluating the rules on the score grid"))?
    };
    let mask = |name: String| -> Result<Vec<bool>> {
        let c = masks
            .column(&name)
            .map_err(Error::engine("evaluating the rules on the score grid"))?;
        let b = c
            .bool()
            .map_err(Error::engine("evaluating the rules on the score grid"))?;
        // A rule whose condition is a literal comes back as one broadcast value.
        let at = |k: usize| if b.len() == 1 { b.get(0) } else { b.get(k) };
        Ok((0..scores.len()).map(|k| at(k).unwrap_or(false)).collect())
    };
    let n_rules = segments.rules.len();
    let mut possible = Vec::with_capacity(n_rules);
    let mut definite = Vec::with_capacity(n_rules);
    for i in 0..n_rules {
        possible.push(mask(format!("p{i}"))?);
        definite.push(mask(format!("d{i}"))?);
    }

    // Winners.
    let mut cells = Vec::with_capacity(scores.len());
    for (k, s) in scores.iter().enumerate() {
        let mut maybe = Vec::new();
        let mut then = None;
        for i in 0..n_rules {
            if definite[i][k] {
                then = Some(i);
                break;
            }
            if possible[i][k] {
                maybe.push(i);
            }
        }
        let winner = match (maybe.is_empty(), then) {
            (true, Some(i)) => Winner::Rule(i),
            (true, None) => Winner::Default,
            (false, then) => Winner::Undecided { maybe, then },
        };
        cells.push(Cell {
            scores: *s,
            text: cell_text(*s, wide),
            winner,
        });
    }

    // A rule is reachable where it may match and no earlier rule surely did.
    let mut unreachable = Vec::new();
    for (i, mine) in possible.iter().enumerate() {
        let reachable = (0..scores.len()).any(|k| mine[k] && !(0..i).any(|j| definite[j][k]));
        if !reachable {
            let taken_by: Vec<(usize, usize)> = (0..i)
                .map(|j| {
                    let n = (0..scores.len())
                        .filter(|&k| mine[k] && definite[j][k] && !(0..j).any(|h| definite[h][k]))
                        .count();
                    (j, n)
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            unreachable.push(Unreachable { rule: i, taken_by });
        }
    }

    // Overlaps: cells that two or more rules surely match, grouped by who claims them.
    let mut overlaps: Vec<Overlap> = Vec::new();
    for (k, cell) in cells.iter().enumerate() {
        let rules: Vec<usize> = (0..n_rules).filter(|&i| definite[i][k]).collect();
        if rules.len() < 2 {
            continue;
        }
        match overlaps.iter_mut().find(|o| o.rules == rules) {
            Some(o) => o.cells.push(cell.text.clone()),
            None => overlaps.push(Overlap {
                rules,
                cells: vec![cell.text.clone()],
            }),
        }
    }

    Ok(Grid {
        bins,
        names: segments.rules.iter().map(|r| r.name.clone()).collect(),
        default: segments.default.clone(),
        data_dependent,
        cells,
        unreachable,
        overlaps,
    })
}

/// When every rule is decided by the scores alone, the segment as a lookup: each customer's
/// (r, f, m) cell number picks its name from the grid's list, with no join and no chain of
/// conditions.
pub fn lookup(segments: &Segments, scoring: &Scoring) -> Option<Expr> {
    let grid = analyse(segments, scoring).ok()?;
    if !grid.data_dependent.is_empty() {
        return None;
    }
    let names: Vec<&str> = grid
        .cells
        .iter()
        .map(|c| match c.winner {
            Winner::Rule(i) => grid.names[i].as_str(),
            _ => grid.default.as_str(),
        })
        .collect();
    let names = Series::new(SEGMENT.into(), names);
    let segment = crate::rfm::by_cell(names, scoring);
    Some(segment.alias(SEGMENT))
}
