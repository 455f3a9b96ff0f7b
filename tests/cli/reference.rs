//! A naive reference of the contract, in plain loops over plain structs, written from
//! CONTRACT.md independently of the library: the property test compares the two.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct Line {
    pub group: String,
    /// The second group column (with `Params::by_store`); None is a blank (null) value.
    pub store: Option<String>,
    pub customer: Option<String>,
    pub date: Option<NaiveDate>,
    pub amount: Option<f64>,
    pub order: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Meth {
    Rank,
    Quantile,
    /// R's rfm package 0.3 (`bins()`, `bins_lower()`, `bins_upper()`, then its loop).
    RRfm,
    Fixed(Vec<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Freq {
    Orders,
    Lines,
    Days,
}

#[derive(Debug, Clone)]
pub enum Cond {
    /// metric index (0 r, 1 f, 2 m), low, high
    Range(usize, u32, u32),
    Cells(Vec<String>),
    /// `r <= a AND frequency >= b`
    RecentAndFrequent(i32, i64),
    /// `monetary > x OR rfm_score >= y`
    RichOrHighScore(f64, i32),
}

impl Cond {
    pub fn yaml(&self) -> String {
        match self {
            Cond::Range(i, lo, hi) => format!("{}: [{lo}, {hi}]", ["r", "f", "m"][*i]),
            Cond::Cells(c) => format!(
                "cells: [{}]",
                c.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cond::RecentAndFrequent(a, b) => format!("when: \"r <= {a} AND frequency >= {b}\""),
            Cond::RichOrHighScore(x, y) => {
                format!("when: \"monetary > {x:?} OR rfm_score >= {y}\"")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Params {
    pub exclude_returns: bool,
    pub average: bool,
    pub decimals: u32,
    pub frequency: Freq,
    pub as_of: Option<NaiveDate>,
    pub window: Option<u32>,
    pub grouped: bool,
    /// With `grouped`: group by [grp, store] instead of [grp].
    pub by_store: bool,
    /// `scoring.min_group_customers` (only with `grouped`).
    pub min_group: Option<u64>,
    pub scoring: [(Meth, u32); 3],
    /// (name, conditions ANDed); at least one condition each.
    pub rules: Vec<(String, Vec<Cond>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The group_by values (empty without group_by; None = null).
    pub groups: Vec<Option<String>>,
    pub customer: String,
    pub recency: i64,
    pub frequency: i64,
    pub monetary: f64,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub scores: [i32; 3],
    pub cell: String,
    pub score: i32,
    pub segment: String,
    /// `score_level`, with `min_group`.
    pub level: Option<i32>,
}

struct Acc {
    sum_minor: i64,
    purchases: usize,
    orders: HashSet<String>,
    days: HashSet<NaiveDate>,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

pub fn reference(lines: &[Line], p: &Params) -> Vec<Row> {
    // Rows missing id, date or amount are dropped.
    let valid: Vec<&Line> = lines
        .iter()
        .filter(|l| l.customer.is_some() && l.date.is_some() && l.amount.is_some())
        .collect();
    let Some(as_of) = p
        .as_of
        .or_else(|| valid.iter().filter_map(|l| l.date).max())
    else {
        return vec![];
    };
    let scale = 10f64.powi(p.decimals as i32);
    // Keyed by the group values as (0, value) or (1, "") for null: nulls sort last, as the
    // output does.
    let mut accs: BTreeMap<(Vec<(u8, String)>, String), Acc> = BTreeMap::new();
    for l in valid {
        let date = l.date.unwrap();
        let amount = l.amount.unwrap();
        if date > as_of {
            continue;
        }
        if let Some(w) = p.window {
            if (as_of - date).num_days() >= i64::from(w) {
                continue;
            }
        }
        let is_return = amount < 0.0;
        if is_return && p.exclude_returns {
            continue;
        }
        let key = |v: &Option<String>| match v {
            Some(v) => (0u8, v.clone()),
            None => (1u8, String::new()),
        };
        let group: Vec<(u8, String)> = match (p.grouped, p.by_store) {
            (false, _) => vec![],
            (true, false) => vec![key(&Some(l.group.clone()))],
            (true, true) => vec![key(&Some(l.group.clone())), key(&l.store)],
        };
        let acc = accs
            .entry((group, l.customer.clone().unwrap()))
            .or_insert(Acc {
                sum_minor: 0,
                purchases: 0,
                orders: HashSet::new(),
                days: HashSet::new(),
                first: None,
                last: None,
            });
        // round(amount * 10^d) half away from zero, on the float as engines do (f64::round).
        acc.sum_minor += (amount * scale).round() as i64;
        if !is_return {
            acc.purchases += 1;
            acc.orders.insert(l.order.clone());
            acc.days.insert(date);
            acc.first = Some(acc.first.map_or(date, |d| d.min(date)));
            acc.last = Some(acc.last.map_or(date, |d| d.max(date)));
        }
    }
    let mut rows: Vec<Row> = accs
        .into_iter()
        .filter(|(_, a)| a.purchases > 0)
        .map(|((group, customer), a)| {
            let frequency = match p.frequency {
                Freq::Orders => a.orders.len(),
                Freq::Lines => a.purchases,
                Freq::Days => a.days.len(),
            } as i64;
            let monetary = if p.average {
                (a.sum_minor as f64 / frequency as f64) / scale
            } else {
                a.sum_minor as f64 / scale
            };
            Row {
                groups: group
                    .into_iter()
                    .map(|(null, v)| (null == 0).then_some(v))
                    .collect(),
                customer,
                recency: (as_of - a.last.unwrap()).num_days(),
                frequency,
                monetary,
                first: a.first.unwrap(),
                last: a.last.unwrap(),
                scores: [0; 3],
                cell: String::new(),
                score: 0,
                segment: String::new(),
                level: None,
            }
        })
        .collect();
    // Score within each partition. With min_group_customers N, a partition of fewer than N
    // customers is scored within its parent (the group values without the last), upward
    // until the partition has N or is the whole input: `pool` holds that partition's rows.
    let partitions: Vec<Vec<Option<String>>> = {
        let mut g: Vec<Vec<Option<String>>> = rows.iter().map(|r| r.groups.clone()).collect();
        g.dedup();
        g
    };
    for part in partitions {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].groups == part)
            .collect();
        let within = |level: usize| -> Vec<usize> {
            (0..rows.len())
                .filter(|&i| rows[i].groups[..level] == part[..level])
                .collect()
        };
        let mut level = part.len();
        if let Some(min) = p.min_group {
            while level > 0 && (within(level).len() as u64) < min {
                level -= 1;
            }
        }
        let pool = within(level);
        for &i in &idx {
            rows[i].level = p.min_group.map(|_| level as i32);
        }
        for metric in 0..3 {
            let (meth, bins) = &p.scoring[metric];
            let value = |i: usize| -> f64 {
                match metric {
                    0 => rows[i].recency as f64,
                    1 => rows[i].frequency as f64,
                    _ => rows[i].monetary,
                }
            };
            let goodness = |i: usize| if metric == 0 { -value(i) } else { value(i) };
            let n = pool.len();
            let mut sorted: Vec<f64> = pool.iter().map(|&i| value(i)).collect();
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
            // numpy 'linear' / PERCENTILE_CONT at e / bins, in floating point as they do.
            let quantile = |e: usize| -> f64 {
                let h = (n - 1) as f64 * (e as f64 / *bins as f64);
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo as f64)
            };
            // R: q = quantile(values, probs)[-c(1, bins + 1)] + 1; lower = c(min, q), upper =
            // c(q, max + 1); for i in 1..bins, values in [lower_i, upper_i) get i (recency:
            // bins + 1 - i); a later i overwrites an earlier one.
            let r_levels: Vec<i32> = if *meth == Meth::RRfm {
                let q: Vec<f64> = (1..*bins as usize).map(|e| quantile(e) + 1.0).collect();
                let mut lower = vec![sorted[0]];
                lower.extend(&q);
                let mut upper = q.clone();
                upper.push(sorted[n - 1] + 1.0);
                idx.iter()
                    .map(|&i| {
                        let v = value(i);
                        let mut level = 0;
                        for b in 0..*bins as usize {
                            if v >= lower[b] && v < upper[b] {
                                level = b as i32 + 1;
                            }
                        }
                        assert!(level > 0, "R leaves {v} without a score (NA)");
                        level
                    })
                    .collect()
            } else {
                vec![]
            };
            let scores: Vec<i32> = idx
                .iter()
                .enumerate()
                .map(|(pos, &i)| match meth {
                    Meth::Rank => {
                        let worse = pool.iter().filter(|&&j| goodness(j) < goodness(i)).count();
                        1 + (*bins as usize * worse / n) as i32
                    }
                    Meth::Quantile => {
                        let mut k = 1;
                        for e in 1..*bins as usize {
                            if value(i) > quantile(e) {
                                k += 1;
                            }
                        }
                        if metric == 0 {
                            *bins as i32 + 1 - k
                        } else {
                            k
                        }
                    }
                    Meth::RRfm => {
                        if metric == 0 {
                            *bins as i32 + 1 - r_levels[pos]
                        } else {
                            r_levels[pos]
                        }
                    }
                    Meth::Fixed(t) => {
                        if metric == 0 {
                            *bins as i32 - t.iter().filter(|&&t| value(i) > t).count() as i32
                        } else {
                            1 + t.iter().filter(|&&t| value(i) >= t).count() as i32
                        }
                    }
                })
                .collect();
            for (&i, s) in idx.iter().zip(scores) {
                rows[i].scores[metric] = s;
            }
        }
    }
    let wide = p.scoring.iter().any(|(_, b)| *b > 9);
    for row in &mut rows {
        let [r, f, m] = row.scores;
        row.cell = if wide {
            format!("{r}-{f}-{m}")
        } else {
            format!("{r}{f}{m}")
        };
        row.score = r + f + m;
        row.segment = p
            .rules
            .iter()
            .find(|(_, conds)| conds.iter().all(|c| holds(c, row)))
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| "Other".to_string());
    }
    rows
}

fn holds(c: &Cond, row: &Row) -> bool {
    match c {
        Cond::Range(i, lo, hi) => (*lo as i32..=*hi as i32).contains(&row.scores[*i]),
        Cond::Cells(cells) => cells.contains(&row.cell),
        Cond::RecentAndFrequent(a, b) => row.scores[0] <= *a && row.frequency >= *b,
        Cond::RichOrHighScore(x, y) => row.monetary > *x || row.score >= *y,
    }
}
