//! The score tables of the query: rank scores and quantile (and r-rfm) edges from each
//! metric's value counts per group, fixed thresholds as literals, and with
//! `min_group_customers` each group's level (`group_sizes`, `group_levels`, `leveled`).

use super::*;

/// With `min_group_customers`: the `i`-th group column (1-based) masked beyond the level.
pub(super) fn level_key(i: usize) -> String {
    format!("__k{i}")
}

impl Gen<'_> {
    /// With `min_group_customers: n`: `group_sizes` (customers per group), `group_levels`
    /// (each group's level: the deepest prefix of the group columns whose partition has at
    /// least n customers, by window sums over the groups; else 0) and `leveled` (the metrics
    /// with `__level` and the group columns masked beyond it, `__k1..__kk`).
    pub(super) fn level_ctes(&self, n: u64) -> Vec<(String, String)> {
        let groups = self.groups();
        let k = groups.len();
        let size = self.q("__n");
        let list = |prefix: &str, upto: usize| -> String {
            groups[..upto]
                .iter()
                .map(|g| format!("{prefix}{}", self.q(g)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sizes = format!(
            "SELECT {}, COUNT(*) AS {size}\n  FROM {}\n  GROUP BY {}",
            list("", k),
            self.q("metrics"),
            list("", k)
        );
        let mut level = String::from("CASE");
        for l in (1..=k).rev() {
            let count = if l == k {
                size.clone()
            } else {
                format!("SUM({size}) OVER (PARTITION BY {})", list("", l))
            };
            level.push_str(&format!(" WHEN {count} >= {n} THEN {l}"));
        }
        level.push_str(" ELSE 0 END");
        let levels = format!(
            "SELECT {},\n    {level} AS {}\n  FROM {}",
            list("", k),
            self.q(LEVEL),
            self.q("group_sizes")
        );
        let mut leveled = vec!["m.*".to_string(), format!("l.{}", self.q(LEVEL))];
        for (i, g) in groups.iter().enumerate() {
            leveled.push(format!(
                "CASE WHEN l.{} >= {} THEN m.{} END AS {}",
                self.q(LEVEL),
                i + 1,
                self.q(g),
                self.q(&level_key(i + 1))
            ));
        }
        let leveled = format!(
            "SELECT {}\n  FROM {} m\n  JOIN {} l ON {}",
            leveled.join(",\n    "),
            self.q("metrics"),
            self.q("group_levels"),
            self.same_on(groups, "m", "l")
        );
        let numbers: Vec<String> = (0..=k)
            .map(|l| format!("SELECT {l} AS {}", self.q(LEVEL)))
            .collect();
        vec![
            ("group_sizes".into(), sizes),
            ("group_levels".into(), levels),
            ("leveled".into(), leveled),
            ("level_numbers".into(), numbers.join(" UNION ALL ")),
        ]
    }

    /// The CTEs, the join into `scored` and the score expression of one metric.
    pub(super) fn score(
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
        let group_counts = format!("{prefix}_counts");
        let counts_sql = format!(
            "SELECT {}{} AS {v}, COUNT(*) AS {n}\n  FROM {}\n  GROUP BY {}{}",
            self.group_list(""),
            self.q(value),
            self.q("metrics"),
            self.group_list(""),
            self.q(value)
        );
        // With levels, the value counts of every partition of every level: each group's
        // counts added into its partition at each level (the group columns beyond the level
        // masked), so a parent's counts hold all its groups'.
        let (counts_name, level_counts) = match self.s.scoring.min_group_customers {
            None => (group_counts.clone(), None),
            Some(_) => {
                let name = format!("{prefix}_level_counts");
                let mut masked = vec![format!("l.{}", self.q(LEVEL))];
                for (i, g) in self.groups().iter().enumerate() {
                    masked.push(format!(
                        "CASE WHEN l.{} >= {} THEN c.{} END AS {}",
                        self.q(LEVEL),
                        i + 1,
                        self.q(g),
                        self.q(&level_key(i + 1))
                    ));
                }
                let keys = self.key_list("");
                let sql = format!(
                    "SELECT {keys}{v}, SUM({n}) AS {n}\n  FROM (\n    SELECT {},\n      c.{v}, c.{n}\n    FROM {} c CROSS JOIN {} l\n  ) t\n  GROUP BY {keys}{v}",
                    masked.join(",\n      "),
                    self.q(&group_counts),
                    self.q("level_numbers"),
                );
                (name.clone(), Some((name, sql)))
            }
        };
        let counts = || {
            let mut out = vec![(group_counts.clone(), counts_sql.clone())];
            out.extend(level_counts.clone());
            out
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
                    self.key_list(""),
                    d.int_div(&format!("{bins} * {worse}"), &total),
                    self.q("__score"),
                    self.q(&counts_name)
                );
                let join = format!(
                    "\n  LEFT JOIN {} {alias} ON {} AND {alias}.{v} = {x_value}",
                    self.q(&levels),
                    self.same_key(&alias, "x")
                );
                let mut ctes = counts();
                ctes.push((levels, sql));
                (ctes, Some(join), format!("{alias}.{}", self.q("__score")))
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
                    self.key_list(""),
                    self.q("__cum"),
                    part.trim_end(),
                    self.q("__total"),
                    self.q(&counts_name)
                );
                let group_by = if self.score_keys().is_empty() {
                    String::new()
                } else {
                    let g = self.key_list("");
                    format!("\n    GROUP BY {}", g.trim_end().trim_end_matches(','))
                };
                let edges_sql = format!(
                    "SELECT {}{}\n  FROM (\n    SELECT {}{}\n    FROM (SELECT *, {} FROM {}) t{group_by}\n  ) s",
                    self.key_list(""),
                    edge_exprs.join(",\n    "),
                    self.key_list(""),
                    picks.join(",\n    "),
                    pos.join(", "),
                    self.q(&cum)
                );
                let join = format!(
                    "\n  LEFT JOIN {} {alias} ON {}",
                    self.q(&edges),
                    self.same_key(&alias, "x")
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
                let mut ctes = counts();
                ctes.extend([(cum, cum_sql), (edges, edges_sql)]);
                (ctes, Some(join), expr)
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
