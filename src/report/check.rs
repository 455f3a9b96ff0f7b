//! What `rfmseg check` prints: the rules on the grid (default cells, unreachable rules,
//! overlaps, the R x F map) and, with data, the edges used, empty levels and segment sizes.

use super::format::{isolate, pad, Align};
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::format::level_lines;
use crate::columns::{metric, METRICS};
use crate::pipeline::summary::DataSummary;
use crate::segment::grid::{Grid, Winner};
use crate::settings::Thresholds;

/// Short codes for segment names in the map: initials, made unique.
pub fn codes(names: &[String]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for name in names {
        let words: Vec<&str> = name
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let alnum: Vec<char> = name.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut candidates: Vec<String> = Vec::new();
        if words.len() > 1 {
            candidates.push(
                words
                    .iter()
                    .filter_map(|w| w.chars().next())
                    .take(3)
                    .collect(),
            );
        }
        if let (Some(first), Some(last)) = (alnum.first(), alnum.last()) {
            candidates.push(alnum.iter().take(2).collect());
            candidates.push(format!("{first}{last}"));
            candidates.push(alnum.iter().take(3).collect());
        }
        let candidates: Vec<String> = candidates.into_iter().map(|c| c.to_uppercase()).collect();
        let base = candidates.first().cloned().unwrap_or_else(|| "S".into());
        let mut candidate = candidates
            .iter()
            .find(|c| !taken.contains(c))
            .cloned()
            .unwrap_or_else(|| base.clone());
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        taken.push(candidate);
    }
    taken
}

fn ranges(levels: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < levels.len() {
        let start = levels[i];
        let mut end = start;
        while i + 1 < levels.len() && levels[i + 1] == end + 1 {
            i += 1;
            end = levels[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// The grid part of the check report.
pub fn render_grid(grid: &Grid) -> String {
    let mut s = String::new();
    let [br, bf, bm] = grid.bins;
    let total = grid.cells.len();
    let _ = writeln!(
        s,
        "{} rules on the {br} x {bf} x {bm} score grid ({total} cells)",
        grid.names.len()
    );
    let defaults = grid.default_cells();
    if defaults.is_empty() {
        let _ = writeln!(s, "  default ({}): no cell falls to it", grid.default);
    } else {
        let list: Vec<&str> = defaults.iter().map(|c| c.text.as_str()).collect();
        let _ = writeln!(
            s,
            "  default ({}): {} of {total} cells match no rule: {}",
            grid.default,
            defaults.len(),
            list.join(" ")
        );
    }
    let maybe = grid.maybe_default_cells();
    if !maybe.is_empty() {
        let list: Vec<&str> = maybe.iter().map(|c| c.text.as_str()).collect();
        let _ = writeln!(
            s,
            "  default ({}) unless a data-dependent rule matches: {} cells: {}",
            grid.default,
            maybe.len(),
            list.join(" ")
        );
    }
    if grid.unreachable.is_empty() {
        let _ = writeln!(s, "  unreachable rules: none");
    }
    for u in &grid.unreachable {
        let name = &grid.names[u.rule];
        if u.taken_by.is_empty() {
            let _ = writeln!(s, "  unreachable: {name} matches no cell of the grid");
        } else {
            let by: Vec<String> = u
                .taken_by
                .iter()
                .map(|(j, n)| format!("{} ({n} cells)", grid.names[*j]))
                .collect();
            let _ = writeln!(
                s,
                "  unreachable: {name} never matches: earlier rules take all its cells: {}",
                by.join(", ")
            );
        }
    }
    if grid.overlaps.is_empty() {
        let _ = writeln!(s, "  overlaps: none");
    }
    for o in &grid.overlaps {
        let shown: Vec<&str> = o.cells.iter().take(12).map(String::as_str).collect();
        let more = if o.cells.len() > 12 { " ..." } else { "" };
        let names: Vec<&str> = o.rules.iter().map(|i| grid.names[*i].as_str()).collect();
        let (who, verb) = match names.as_slice() {
            [a, b] => (format!("{a} and {b}"), "both claim"),
            [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "all claim"),
            [] => continue,
        };
        let n = o.cells.len();
        let _ = writeln!(
            s,
            "  overlap: {who} {verb} {n} cell{} ({}{more}); {} wins (it comes first)",
            if n == 1 { "" } else { "s" },
            shown.join(" "),
            names[0]
        );
    }
    for &i in &grid.data_dependent {
        let _ = writeln!(
            s,
            "  data-dependent: {}'s `when` uses metric or group columns; it is decided per customer (marked ? below)",
            grid.names[i]
        );
    }

    // The R x F map.
    let codes = codes(&grid.names);
    let code = |w: &Winner| -> String {
        match w {
            Winner::Rule(i) => codes[*i].clone(),
            Winner::Default => "-".into(),
            Winner::Undecided { maybe, .. } => format!("?{}", codes[maybe[0]]),
        }
    };
    let mut labels = Vec::new();
    let mut splits = Vec::new();
    for r in (1..=br).rev() {
        for f in 1..=bf {
            let mut by_code: BTreeMap<String, Vec<u32>> = BTreeMap::new();
            let mut order = Vec::new();
            for m in 1..=bm {
                let c = code(&grid.at(r, f, m).winner);
                if !by_code.contains_key(&c) {
                    order.push(c.clone());
                }
                by_code.entry(c).or_default().push(m);
            }
            let label = if order.len() == 1 {
                order[0].clone()
            } else {
                let detail: Vec<String> = order
                    .iter()
                    .map(|c| format!("m {} {c}", ranges(&by_code[c])))
                    .collect();
                splits.push(format!("r={r} f={f}: {}", detail.join(", ")));
                // The segment of most m levels (the first on a tie), marked as split.
                let most = order
                    .iter()
                    .max_by_key(|c| {
                        (
                            by_code[*c].len(),
                            std::cmp::Reverse(order.iter().position(|o| o == *c)),
                        )
                    })
                    .expect("not empty");
                format!("{most}*")
            };
            labels.push(((r, f), label));
        }
    }
    let width = labels
        .iter()
        .map(|(_, l)| super::format::width(l))
        .max()
        .unwrap_or(2)
        .max(4)
        + 1;
    let _ = writeln!(
        s,
        "R x F map (the segment of each cell; * = m splits the cell, the segment of most m levels shown):"
    );
    let mut header = format!("  {:>5}", "");
    for f in 1..=bf {
        header += &format!(" {:>width$}", format!("f={f}"));
    }
    let _ = writeln!(s, "{header}");
    for r in (1..=br).rev() {
        let mut line = format!("  {:>5}", format!("r={r}"));
        for f in 1..=bf {
            let label = &labels
                .iter()
                .find(|((rr, ff), _)| *rr == r && *ff == f)
                .expect("every cell labelled")
                .1;
            line += &format!(" {}", pad(label, width, Align::Right));
        }
        let _ = writeln!(s, "{line}");
    }
    for split in &splits {
        let _ = writeln!(s, "    {split}");
    }
    let mut counts = vec![0usize; grid.names.len()];
    for c in &grid.cells {
        if let Winner::Rule(i) = c.winner {
            counts[i] += 1;
        }
    }
    let legend: Vec<String> = grid
        .names
        .iter()
        .zip(&codes)
        .zip(&counts)
        .map(|((n, c), k)| format!("{} {} ({k})", isolate(c), isolate(n)))
        .collect();
    let _ = writeln!(
        s,
        "  legend (cells won): {}, - {} ({})",
        legend.join(", "),
        isolate(&grid.default),
        grid.default_cells().len()
    );
    s
}

fn number(v: f64) -> String {
    if v == f64::NEG_INFINITY {
        "-inf".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn render_edges(t: &Thresholds, noun: &str) -> String {
    let mut s = String::new();
    let key = |i: usize| -> String {
        t.groups[i]
            .key
            .values()
            .map(|v| match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Null => "null".into(),
                other => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    for metric in METRICS.map(|m| m.name) {
        let Some(scale) = t.scale(metric) else {
            continue;
        };
        let edges = |g: usize| -> &Vec<f64> {
            match metric {
                "recency" => &t.groups[g].recency,
                "frequency" => &t.groups[g].frequency,
                _ => &t.groups[g].monetary,
            }
        };
        let unit = if metric == "recency" { ", days" } else { "" };
        // A value equal to an edge passes it: r-rfm, fixed frequency and monetary.
        let reach = if scale.compare == ">=" {
            ", value >= edge"
        } else {
            ""
        };
        if t.groups.len() == 1 {
            let list: Vec<String> = edges(0).iter().map(|v| number(*v)).collect();
            s += &format!(
                "    {metric} ({}{unit}{reach}): {}\n",
                scale.method,
                list.join(", ")
            );
            continue;
        }
        s += &format!(
            "    {metric} ({}{unit}{reach}), min / median / max over {} {noun}:\n",
            scale.method,
            t.groups.len()
        );
        for i in 0..scale.bins as usize - 1 {
            let mut values: Vec<(f64, usize)> =
                (0..t.groups.len()).map(|g| (edges(g)[i], g)).collect();
            values.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (lo, hi) = (values[0], values[values.len() - 1]);
            let median = values[values.len() / 2].0;
            s += &format!(
                "      edge {}: {} ({}) / {} / {} ({})\n",
                i + 1,
                number(lo.0),
                key(lo.1),
                number(median),
                number(hi.0),
                key(hi.1)
            );
        }
    }
    s
}

/// [`render_edges`] per level (deepest first), for the edges of a run with
/// `min_group_customers`: each level's partitions whose edges were used.
fn render_edges_by_level(t: &Thresholds) -> String {
    let mut s = String::new();
    let mut levels: Vec<u32> = t.groups.iter().filter_map(|g| g.level).collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    for level in levels {
        let within = if level == 0 {
            "the whole input".to_string()
        } else {
            t.group_by[..level as usize].join(", ")
        };
        let part = Thresholds {
            groups: t
                .groups
                .iter()
                .filter(|g| g.level == Some(level))
                .cloned()
                .collect(),
            ..t.clone()
        };
        s += &format!("    level {level} ({within}):\n");
        for line in render_edges(&part, "partitions").lines() {
            s += &format!("  {line}\n");
        }
    }
    s
}

/// The report `check` prints on stdout: the rules on the grid, the data side (with
/// `--input`) and the `findings` that `--strict` fails on.
pub fn render(
    source: &str,
    grid: &Grid,
    data: Option<&DataSummary>,
    findings: &[String],
) -> String {
    let mut s = format!("{source}: ");
    s += &render_grid(grid);
    if let Some(data) = data {
        let as_of = match &data.as_of {
            Some((day, from_data)) => format!(
                ", as_of {day}{}; window: {}",
                if *from_data {
                    " (latest order date)"
                } else {
                    ""
                },
                match data.window_days {
                    Some(w) => format!("the {w} days up to it"),
                    None => "all history".to_string(),
                }
            ),
            None => String::new(),
        };
        s += &format!("data: {} customers scored{as_of}\n", data.customers);
        if data.customers == 0 {
            s += "  no customer has a purchase line in the observation window (check as_of and window_days)\n";
        }
        if let Some(min) = data.min_group_customers {
            s += &format!(
                "  scored within (min_group_customers: {min}; level = the group_by columns of the partition whose edges scored them):\n"
            );
            s += &level_lines(&data.levels, "    ");
        }
        if let Some(edges) = &data.edges {
            s += "  edges used (score level = 1 + edges the value exceeds; recency reversed):\n";
            if edges.min_group_customers.is_some() {
                s += &render_edges_by_level(edges);
            } else {
                s += &render_edges(edges, "groups");
            }
        }
        if data.empty_levels.is_empty() {
            s += "  empty score levels: none\n";
        }
        for (e, why) in &data.empty_levels {
            let groups = e.place().map_or(String::new(), |p| format!(" {p}"));
            s += &format!(
                "  {} score {} is empty{groups}: {why}\n",
                metric(e.score).name,
                e.level
            );
        }
        s += "  segment sizes a run would give:\n";
        for r in &data.segments {
            s += &format!(
                "    {:<24} {:>9} {:>6.1}%  revenue {:>5.1}%\n",
                r.name,
                r.customers,
                r.share * 100.0,
                r.revenue_share * 100.0
            );
        }
    }
    if findings.is_empty() {
        s += "ok: nothing to fix\n";
    } else {
        s += &format!("to look at: {}\n", findings.join("; "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_initials_made_unique() {
        let names: Vec<String> = [
            "Champions",
            "Can't Lose Them",
            "Loyal",
            "Lost",
            "At Risk",
            "About To Sleep",
            "Champ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(codes(&names), ["CH", "CLT", "LO", "LT", "AR", "ATS", "CP"]);
    }

    #[test]
    fn level_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5]), "1-3,5");
        assert_eq!(ranges(&[4]), "4");
    }
}
