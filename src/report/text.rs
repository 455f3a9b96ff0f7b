//! The segment report on the terminal: the run's KPIs, an aligned segment table (per group
//! too; with the customers held out when the run drew a holdout), and with a previous run the
//! retention (overall and per previous segment) and the transition matrix.

use std::fmt::Write as _;

use super::check::codes;
use super::format::{
    count, level_lines, maybe_money, money, pad, percent, segment_stat_cells, width, Align,
};
use crate::review::kpi::SegmentRow;
use crate::review::movement::Movement;
use crate::review::segments::SegmentReport;

/// The widest cell of each column (in display columns), header included.
pub(super) fn widths<'a>(
    header: &[String],
    rows: impl IntoIterator<Item = &'a Vec<String>>,
) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    widths
}

/// Columns of `widths`, left-aligned (the first `left`) or right-aligned, two spaces apart,
/// indented.
pub(super) fn table(
    header: &[String],
    rows: &[Vec<String>],
    widths: &[usize],
    left: usize,
) -> String {
    let mut s = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, &w))| pad(cell, w, if i < left { Align::Left } else { Align::Right }))
            .collect();
        let _ = writeln!(s, "  {}", cells.join("  ").trim_end());
    }
    s
}

const SEGMENT_HEADER: [&str; 9] = [
    "segment",
    "customers",
    "share",
    "revenue",
    "rev.share",
    "AOV",
    "recency",
    "frequency",
    "monetary",
];

/// The header of the segment tables; with a holdout, "holdout" after "customers".
fn segment_header(holdout: bool) -> Vec<String> {
    let mut header: Vec<String> = SEGMENT_HEADER.map(String::from).to_vec();
    if holdout {
        header.insert(2, "holdout".to_string());
    }
    header
}

fn segment_cells(rows: &[SegmentRow], decimals: u32, holdout: bool) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            let mut cells = vec![r.segment.clone()];
            cells.extend(segment_stat_cells(&r.stats, decimals));
            if holdout {
                cells.insert(2, count(r.stats.holdout.unwrap_or(0)));
            }
            cells
        })
        .collect()
}

/// The report as printed when neither --html nor --json is given.
pub fn render(report: &SegmentReport) -> String {
    let d = report.money_decimals;
    let o = &report.overall;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} customers, revenue {} from {} purchases",
        report.segments_file,
        count(o.customers),
        money(o.revenue, d),
        count(o.purchases.max(0) as u64)
    );
    let _ = writeln!(
        s,
        "  average order value {}; repeat purchase rate {} (customers with 2+ purchases)",
        maybe_money(o.avg_order_value, d),
        percent(o.repeat_purchase_rate)
    );
    let _ = writeln!(
        s,
        "  revenue concentration {}: the share of revenue from the top 20% of customers ({})",
        percent(o.revenue_concentration),
        count(o.customers.div_ceil(5))
    );
    if report.monetary_average {
        let _ = writeln!(
            s,
            "  note: this run's monetary is spend per purchase (monetary: average); revenue sums it"
        );
    }
    if !report.score_levels.is_empty() {
        let _ = writeln!(
            s,
            "  scored within (score_level: the group columns of the partition whose edges scored them):"
        );
        s.push_str(&level_lines(&report.score_levels, "    "));
    }
    if let Some(held) = o.holdout {
        let _ = writeln!(
            s,
            "  holdout: {} customers held out of campaigns (the run's holdout column)",
            count(held)
        );
    }
    // One set of column widths for the run's table and every group's.
    let holdout = o.holdout.is_some();
    let header = segment_header(holdout);
    let overall = segment_cells(&report.segments, d, holdout);
    let groups: Vec<Vec<Vec<String>>> = report
        .groups
        .iter()
        .map(|g| segment_cells(&g.segments, d, holdout))
        .collect();
    let columns = widths(&header, overall.iter().chain(groups.iter().flatten()));
    if report.segments.is_empty() {
        let _ = writeln!(s, "  no customers: the run scored no one");
    } else {
        s.push_str(&table(&header, &overall, &columns, 1));
        let _ = writeln!(
            s,
            "  AOV: average order value (revenue / purchases); recency (days), frequency, monetary: medians"
        );
    }
    for (g, cells) in report.groups.iter().zip(&groups) {
        let retention = g.retention.as_ref().map_or(String::new(), |r| {
            format!(
                ", retention {} (still scored {})",
                percent(r.retention_rate),
                percent(r.still_scored_rate)
            )
        });
        let st = &g.stats;
        let _ = writeln!(
            s,
            "{}: {} customers ({}), revenue {} ({}) from {} purchases{retention}",
            group_name(&report.group_columns, &g.group.label()),
            count(st.customers),
            percent(Some(st.share)),
            money(st.revenue, d),
            percent(st.revenue_share),
            count(st.purchases.max(0) as u64),
        );
        s.push_str(&table(&header, cells, &columns, 1));
    }
    if let Some(m) = &report.movement {
        s.push_str(&render_movement(m));
    }
    s
}

fn group_name(columns: &[String], label: &str) -> String {
    format!("{} = {label}", columns.join(" / "))
}

fn render_movement(m: &Movement) -> String {
    let mut s = String::new();
    let as_of = m.previous_as_of.as_deref().unwrap_or("none");
    let _ = writeln!(
        s,
        "compared with {} (as_of {as_of}, {} customers): retention {} ({} bought again after {as_of})",
        m.previous_file,
        count(m.previous_customers),
        percent(m.retention_rate),
        count(m.retained),
    );
    let _ = writeln!(
        s,
        "  still scored {} ({} in this run, {} gone), {} new",
        percent(m.still_scored_rate),
        count(m.still_scored),
        count(m.lost),
        count(m.gained)
    );
    if !m.retention.is_empty() {
        let _ = writeln!(
            s,
            "  retention of each previous segment (customers who bought again after {as_of}):"
        );
        let header: Vec<String> = ["previous segment", "customers", "bought again", "retention"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Vec<String>> = m
            .retention
            .iter()
            .map(|r| {
                vec![
                    r.segment.clone(),
                    count(r.customers),
                    count(r.retained),
                    percent(r.retention_rate),
                ]
            })
            .collect();
        s.push_str(&table(&header, &rows, &widths(&header, &rows), 1));
    }
    let _ = writeln!(
        s,
        "  rfm_score of the customers in both runs: {} up, {} same, {} down",
        count(m.rfm_score_up),
        count(m.rfm_score_same),
        count(m.rfm_score_down)
    );
    let short = codes(&m.segments);
    let cell = |from: Option<&String>, to: Option<&String>| match m.count(from, to) {
        0 => "-".to_string(),
        n => count(n),
    };
    let rows_of = |name: Option<&String>| -> Vec<String> {
        std::iter::once(name.map_or("(new)".to_string(), String::clone))
            .chain(m.segments.iter().map(|to| cell(name, Some(to))))
            .chain([cell(name, None)])
            .collect()
    };
    let header: Vec<String> = std::iter::once("previous \\ now".to_string())
        .chain(short.iter().cloned())
        .chain(["(gone)".to_string()])
        .collect();
    let rows: Vec<Vec<String>> = m
        .segments
        .iter()
        .map(Some)
        .chain([None])
        .map(rows_of)
        .collect();
    let _ = writeln!(
        s,
        "  customers from each previous segment (rows) to each segment now (columns):"
    );
    s.push_str(&table(&header, &rows, &widths(&header, &rows), 1));
    let legend: Vec<String> = short
        .iter()
        .zip(&m.segments)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    s.push_str(&wrap(&legend, 96));
    s
}

/// `items` joined with ", " on lines of at most `width` characters (an item longer than that
/// gets a line of its own), indented by two spaces.
fn wrap(items: &[String], width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + item.chars().count() <= width => {
                line.push_str(", ");
                line.push_str(item);
            }
            _ => lines.push(item.clone()),
        }
    }
    lines.iter().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends_wrap_between_items() {
        let items = ["AB Alpha", "CD Gamma", "EF Epsilon"].map(String::from);
        assert_eq!(wrap(&items, 18), "  AB Alpha, CD Gamma\n  EF Epsilon\n");
        assert_eq!(wrap(&items, 5), "  AB Alpha\n  CD Gamma\n  EF Epsilon\n");
    }

    #[test]
    fn tables_align_left_then_right() {
        let header = ["name", "n"].map(String::from);
        let rows = vec![
            vec!["a".to_string(), "1,000".to_string()],
            vec!["long name".to_string(), "7".to_string()],
        ];
        assert_eq!(
            table(&header, &rows, &widths(&header, &rows), 1),
            "  name           n\n  a          1,000\n  long name      7\n"
        );
    }
}
