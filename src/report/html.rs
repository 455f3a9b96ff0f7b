//! The segment report as one self-contained HTML page: inline CSS and inline SVG charts, no
//! script, no link, no font or image to fetch, so it opens from disk and e-mails as one file.
//! Every text from the data or the config (segment names, descriptions, group values, file
//! names) is escaped.

use std::fmt::Write as _;

use super::charts::{self, css, segment_color, GroupMix, Heatmap, RetentionBar, ShareBar};
use super::format::{count, level_lines, maybe_money, money, percent, segment_stat_cells};
use crate::columns::{FREQUENCY, MONETARY, RECENCY_DAYS};
use crate::error::Result;
use crate::review::distribution::{Histogram, RfGrid};
use crate::review::kpi::{GroupRow, SegmentRow};
use crate::review::movement::Movement;
use crate::review::segments::SegmentReport;

/// Groups drawn in the mix chart at most (the largest); the table lists them all.
const MAX_GROUPS_DRAWN: usize = 30;

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
  color: #222; background: #f6f7f9; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; border-bottom: 2px solid #d8dde3; padding-bottom: 4px; }
p.lead, p.note { color: #555; margin: 4px 0 12px; }
code { background: #eceff3; padding: 1px 4px; border-radius: 3px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0; }
.card { background: #fff; border: 1px solid #d8dde3; border-radius: 8px; padding: 12px 16px; flex: 1 1 160px; }
.card .value { font-size: 26px; font-weight: 600; color: #1f4e79; }
.card .label { font-size: 14px; font-weight: 600; }
.card .hint { font-size: 12px; color: #666; }
figure { background: #fff; border: 1px solid #d8dde3; border-radius: 8px; margin: 12px 0; padding: 8px; overflow-x: auto; }
figcaption { font-size: 13px; color: #555; padding: 4px 8px; }
.table { overflow-x: auto; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
details { margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
th, td { border-bottom: 1px solid #e3e6ea; padding: 6px 8px; vertical-align: top; }
th { background: #eef1f5; text-align: left; }
td.n, th.n { text-align: right; white-space: nowrap; }
td .name { font-weight: 600; }
td .desc { color: #555; font-size: 13px; margin-top: 2px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-inline-end: 6px; vertical-align: -1px; }
.legend span.item { margin-inline-end: 14px; white-space: nowrap; font-size: 13px; }
dl dt { font-weight: 600; margin-top: 8px; }
dl dd { margin: 2px 0 0 16px; color: #444; }
";

/// `text` safe in HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The page.
pub fn render(report: &SegmentReport) -> Result<String> {
    let mut body = String::new();
    header(&mut body, report);
    segments_section(&mut body, report)?;
    rf_section(&mut body, &report.rf_grid, report.money_decimals)?;
    distributions_section(&mut body, &report.distributions, report.money_decimals)?;
    if !report.groups.is_empty() {
        groups_section(&mut body, report)?;
    }
    if let Some(m) = &report.movement {
        movement_section(&mut body, m)?;
    }
    definitions(&mut body);
    Ok(page(
        &format!("Customer segments: {}", report.segments_file),
        &body,
    ))
}

/// A whole page: `title` (escaped here) and `body` (HTML) with the report's style.
pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

pub(super) fn card(s: &mut String, label: &str, value: &str, hint: &str) {
    let _ = writeln!(
        s,
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"hint\">{}</div></div>",
        escape(label),
        escape(value),
        escape(hint)
    );
}

fn header(s: &mut String, report: &SegmentReport) {
    let o = &report.overall;
    let d = report.money_decimals;
    let _ = writeln!(s, "<h1>Customer segments</h1>");
    let _ = write!(
        s,
        "<p class=\"lead\">RFM segments of the run <code>{}</code>",
        escape(&report.segments_file)
    );
    if let Some(m) = &report.movement {
        let _ = write!(
            s,
            ", compared with <code>{}</code>",
            escape(&m.previous_file)
        );
    }
    if !report.group_columns.is_empty() {
        let _ = write!(
            s,
            "; customers are scored within each {}",
            escape(&report.group_columns.join(" / "))
        );
    }
    let _ = writeln!(s, ".</p>\n<div class=\"cards\">");
    card(s, "Customers", &count(o.customers), "scored in this run");
    card(s, "Revenue", &money(o.revenue, d), "sum of monetary");
    card(
        s,
        "Average order value",
        &maybe_money(o.avg_order_value, d),
        "revenue / purchases",
    );
    card(
        s,
        "Repeat purchase rate",
        &percent(o.repeat_purchase_rate),
        "customers with 2 or more purchases",
    );
    card(
        s,
        "Revenue concentration",
        &percent(o.revenue_concentration),
        &format!(
            "share of revenue from the top 20% of customers ({})",
            count(o.customers.div_ceil(5))
        ),
    );
    if let Some(held) = o.holdout {
        card(
            s,
            "Holdout",
            &count(held),
            "customers held out of campaigns (the run's holdout column)",
        );
    }
    if let Some(m) = &report.movement {
        card(
            s,
            "Retention",
            &percent(m.retention_rate),
            &format!(
                "of the previous run's {} customers bought again after {}",
                count(m.previous_customers),
                m.previous_as_of.as_deref().unwrap_or("its as_of")
            ),
        );
        card(
            s,
            "Still scored",
            &percent(m.still_scored_rate),
            "of the previous run's customers are in this run (bought again or not)",
        );
    }
    let _ = writeln!(s, "</div>");
    if !report.score_levels.is_empty() {
        let lines: Vec<String> = level_lines(&report.score_levels, "")
            .lines()
            .map(escape)
            .collect();
        let _ = writeln!(
            s,
            "<p class=\"note\">Small groups were scored with the edges of a larger partition (<code>scoring.min_group_customers</code>; <code>score_level</code> = the group columns the scores were computed within): {}.</p>",
            lines.join("; ")
        );
    }
    if report.monetary_average {
        let _ = writeln!(
            s,
            "<p class=\"note\">In this run monetary is spend per purchase (<code>monetary: average</code>), so revenue adds up those averages rather than spend.</p>"
        );
    }
}

pub(super) fn figure(s: &mut String, svg: &str, caption: &str) {
    let _ = writeln!(
        s,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

/// The colour index of a segment: its place in the report's order.
fn color_index(order: &[String], segment: &str) -> usize {
    order.iter().position(|n| n == segment).unwrap_or(0)
}

pub(super) fn swatch(index: usize) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span>",
        css(segment_color(index))
    )
}

fn segment_table(s: &mut String, rows: &[SegmentRow], order: &[String], decimals: u32) {
    let holdout = rows.iter().any(|r| r.stats.holdout.is_some());
    let _ = writeln!(
        s,
        "<div class=\"table\"><table>\n<tr><th>Segment</th><th class=\"n\">Customers</th>{}<th class=\"n\">Share</th><th class=\"n\">Revenue</th><th class=\"n\">Revenue<br>share</th><th class=\"n\">Avg order<br>value</th><th class=\"n\">Recency<br>(median days)</th><th class=\"n\">Purchases<br>(median)</th><th class=\"n\">Monetary<br>(median)</th></tr>",
        if holdout {
            "<th class=\"n\">Held<br>out</th>"
        } else {
            ""
        }
    );
    for r in rows {
        let index = color_index(order, &r.segment);
        let description = r.description.as_deref().map_or(String::new(), |d| {
            format!("<div class=\"desc\" dir=\"auto\">{}</div>", escape(d))
        });
        let mut cells = segment_stat_cells(&r.stats, decimals).to_vec();
        if holdout {
            cells.insert(1, count(r.stats.holdout.unwrap_or(0)));
        }
        let numbers: String = cells
            .iter()
            .map(|c| format!("<td class=\"n\">{c}</td>"))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td><div class=\"name\" dir=\"auto\">{}{}</div>{description}</td>{numbers}</tr>",
            swatch(index),
            escape(&r.segment),
        );
    }
    let _ = writeln!(s, "</table></div>");
}

fn order(report: &SegmentReport) -> Vec<String> {
    report.segments.iter().map(|r| r.segment.clone()).collect()
}

fn segments_section(s: &mut String, report: &SegmentReport) -> Result<()> {
    let _ = writeln!(s, "<h2>Segments</h2>");
    if report.segments.is_empty() {
        let _ = writeln!(s, "<p class=\"note\">The run scored no customer.</p>");
        return Ok(());
    }
    let bars: Vec<ShareBar> = report
        .segments
        .iter()
        .map(|r| ShareBar {
            name: r.segment.clone(),
            customers: r.stats.share,
            revenue: r.stats.revenue_share,
        })
        .collect();
    figure(
        s,
        &charts::segment_shares(&bars)?,
        "Each segment's share of all customers (light) and of all revenue (dark): a segment whose dark bar is longer brings more than its weight.",
    );
    segment_table(s, &report.segments, &order(report), report.money_decimals);
    Ok(())
}

fn rf_section(s: &mut String, grid: &RfGrid, decimals: u32) -> Result<()> {
    let _ = writeln!(s, "<h2>Recency x frequency</h2>");
    if grid.cells.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"note\">No customers to place on the grid.</p>"
        );
        return Ok(());
    }
    let rows: Vec<i64> = (1..=grid.r_levels).rev().collect();
    let columns: Vec<i64> = (1..=grid.f_levels).collect();
    let matrix = |value: &dyn Fn(i64, i64) -> Option<f64>, text: &dyn Fn(f64) -> String| {
        let values: Vec<Vec<Option<f64>>> = rows
            .iter()
            .map(|&r| columns.iter().map(|&f| value(r, f)).collect())
            .collect();
        let top = values
            .iter()
            .flatten()
            .flatten()
            .fold(0.0, |a: f64, b| a.max(*b));
        let intensity = values
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| v.map_or(0.0, |v| if top > 0.0 { v / top } else { 0.0 }))
                    .collect()
            })
            .collect();
        let labels = values
            .iter()
            .map(|row| row.iter().map(|v| v.map_or(String::new(), text)).collect())
            .collect();
        (intensity, labels)
    };
    let frame = |title: &str, (intensity, text): (Vec<Vec<f64>>, Vec<Vec<String>>)| Heatmap {
        title: title.to_string(),
        rows: rows.iter().map(|r| format!("r = {r}")).collect(),
        columns: columns.iter().map(|f| format!("f = {f}")).collect(),
        y_desc: "recency score (higher = bought more recently)".to_string(),
        x_desc: "frequency score (higher = buys more often)".to_string(),
        intensity,
        text,
    };
    let customers = frame(
        "Customers per recency and frequency score",
        matrix(&|r, f| grid.cell(r, f).map(|c| c.customers as f64), &|v| {
            count(v as u64)
        }),
    );
    let spend = frame(
        "Average monetary per recency and frequency score",
        matrix(&|r, f| grid.cell(r, f).and_then(|c| c.avg_monetary), &|v| {
            money(v, decimals.min(2))
        }),
    );
    figure(
        s,
        &charts::heatmap(&customers)?,
        "How many customers sit in each cell: top right are recent, frequent buyers; bottom left bought rarely and long ago.",
    );
    figure(
        s,
        &charts::heatmap(&spend)?,
        "The average monetary (spend in the window) of the customers in each cell; empty cells have no customer.",
    );
    Ok(())
}

fn distributions_section(s: &mut String, histograms: &[Histogram], decimals: u32) -> Result<()> {
    let _ = writeln!(s, "<h2>Distributions</h2>");
    for h in histograms {
        let (title, x_desc, about) = match h.metric.column {
            RECENCY_DAYS => (
                "Recency: days since the last purchase",
                "days since the last purchase (as of the run's date)",
                "Customers by days since their last purchase.",
            ),
            FREQUENCY => (
                "Frequency: purchases per customer",
                "purchases in the window",
                "Customers by number of purchases.",
            ),
            MONETARY => (
                "Monetary: spend per customer",
                "monetary (currency units)",
                "Customers by monetary (net spend in the window).",
            ),
            _ => (h.metric.column, h.metric.column, ""),
        };
        let mut caption = about.to_string();
        if let Some((edge, above)) = h.clipped {
            let edge = if h.metric.whole {
                money(edge, 0)
            } else {
                money(edge, decimals)
            };
            let _ = write!(
                caption,
                " Drawn up to the 99th percentile ({edge}); {} customer{} above it {} not shown.",
                count(above),
                if above == 1 { "" } else { "s" },
                if above == 1 { "is" } else { "are" }
            );
        }
        figure(s, &charts::histogram(h, title, x_desc, decimals)?, &caption);
    }
    Ok(())
}

fn group_mix(g: &GroupRow, order: &[String]) -> GroupMix {
    GroupMix {
        name: g.group.label(),
        shares: g
            .segments
            .iter()
            .map(|r| (color_index(order, &r.segment), r.stats.share))
            .collect(),
    }
}

fn groups_section(s: &mut String, report: &SegmentReport) -> Result<()> {
    let d = report.money_decimals;
    let order = order(report);
    let _ = writeln!(
        s,
        "<h2>Groups: {}</h2>",
        escape(&report.group_columns.join(" / "))
    );
    // The largest groups (most customers), drawn in the table's order.
    let mut drawn: Vec<usize> = (0..report.groups.len()).collect();
    drawn.sort_by_key(|&i| std::cmp::Reverse(report.groups[i].stats.customers));
    drawn.truncate(MAX_GROUPS_DRAWN);
    drawn.sort_unstable();
    let mix: Vec<GroupMix> = drawn
        .iter()
        .map(|&i| group_mix(&report.groups[i], &order))
        .collect();
    let mut caption = "Each group's customers split by segment.".to_string();
    if report.groups.len() > MAX_GROUPS_DRAWN {
        let _ = write!(
            caption,
            " The {MAX_GROUPS_DRAWN} largest of {} groups are drawn; the table lists all.",
            report.groups.len()
        );
    }
    figure(s, &charts::group_mix(&mix)?, &caption);
    let legend: Vec<String> = order
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "<span class=\"item\" dir=\"auto\">{}{}</span>",
                swatch(i),
                escape(name)
            )
        })
        .collect();
    let _ = writeln!(s, "<p class=\"legend\">{}</p>", legend.join(" "));
    let retention = report.movement.is_some();
    let _ = writeln!(
        s,
        "<div class=\"table\"><table>\n<tr><th>Group</th><th class=\"n\">Customers</th><th class=\"n\">Share</th><th class=\"n\">Revenue</th><th class=\"n\">Revenue<br>share</th><th class=\"n\">Avg order<br>value</th><th class=\"n\">Repeat<br>purchase rate</th><th class=\"n\">Revenue<br>concentration</th>{}</tr>",
        if retention { "<th class=\"n\">Retention</th><th class=\"n\">Still<br>scored</th>" } else { "" }
    );
    for g in &report.groups {
        let st = &g.stats;
        let kept = g.retention.as_ref().map_or(String::new(), |r| {
            format!(
                "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                percent(r.retention_rate),
                percent(r.still_scored_rate)
            )
        });
        let _ = writeln!(
            s,
            "<tr><td dir=\"auto\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{kept}</tr>",
            escape(&g.group.label()),
            count(st.customers),
            percent(Some(st.share)),
            money(st.revenue, d),
            percent(st.revenue_share),
            maybe_money(st.avg_order_value, d),
            percent(st.repeat_purchase_rate),
            percent(st.revenue_concentration),
        );
    }
    let _ = writeln!(s, "</table></div>");
    for g in &report.groups {
        let _ = writeln!(
            s,
            "<details><summary><bdi>{}</bdi>: segments</summary>",
            escape(&g.group.label())
        );
        segment_table(s, &g.segments, &order, d);
        let _ = writeln!(s, "</details>");
    }
    Ok(())
}

fn movement_section(s: &mut String, m: &Movement) -> Result<()> {
    let _ = writeln!(s, "<h2>Movement since the previous run</h2>");
    let as_of = m.previous_as_of.as_deref().unwrap_or("its as_of");
    let _ = writeln!(
        s,
        "<p class=\"lead\">Of the {} customers of <code>{}</code>, {} bought again after {} (retention {}); {} are still scored in this run (still scored {}) and {} are gone; {} customers are new. Among the customers in both runs, the RFM score (r + f + m) rose for {}, stayed for {} and fell for {}.</p>",
        count(m.previous_customers),
        escape(&m.previous_file),
        count(m.retained),
        escape(as_of),
        percent(m.retention_rate),
        count(m.still_scored),
        percent(m.still_scored_rate),
        count(m.lost),
        count(m.gained),
        count(m.rfm_score_up),
        count(m.rfm_score_same),
        count(m.rfm_score_down),
    );
    if !m.retention.is_empty() {
        let bars: Vec<RetentionBar> = m
            .retention
            .iter()
            .map(|r| RetentionBar {
                name: r.segment.clone(),
                rate: r.retention_rate,
                label: format!(
                    "{} ({} of {})",
                    percent(r.retention_rate),
                    count(r.retained),
                    count(r.customers)
                ),
            })
            .collect();
        figure(
            s,
            &charts::retention_bars(&bars)?,
            &format!("For each segment of the previous run, the share of its customers who made a purchase after {as_of} (their last order in this run is later): which segments keep their customers."),
        );
    }
    let mut rows: Vec<Option<&String>> = m.segments.iter().map(Some).collect();
    rows.push(None);
    let counts: Vec<Vec<u64>> = rows
        .iter()
        .map(|&from| rows.iter().map(|&to| m.count(from, to)).collect())
        .collect();
    let heatmap = Heatmap {
        title: "Customers from each previous segment (rows) to each segment now (columns)"
            .to_string(),
        rows: rows
            .iter()
            .map(|r| r.map_or("(new customers)".to_string(), String::clone))
            .collect(),
        columns: rows
            .iter()
            .map(|r| r.map_or("(gone)".to_string(), String::clone))
            .collect(),
        y_desc: "segment in the previous run".to_string(),
        x_desc: "segment in this run".to_string(),
        intensity: counts
            .iter()
            .map(|row| {
                let total = row.iter().sum::<u64>().max(1) as f64;
                row.iter().map(|&c| c as f64 / total).collect()
            })
            .collect(),
        text: counts
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&c| if c == 0 { String::new() } else { count(c) })
                    .collect()
            })
            .collect(),
    };
    figure(
        s,
        &charts::heatmap(&heatmap)?,
        "Read a row to see where a previous segment's customers went; the shade is the share of the row. The last row is customers new in this run, the last column customers who are gone.",
    );
    Ok(())
}

fn definitions(s: &mut String) {
    let items = [
        ("Customers", "rows of the run: one per customer (per group with group_by)."),
        ("Revenue", "the sum of monetary (net spend in the run's window)."),
        ("Share, revenue share", "a segment's customers and revenue as a part of all (or of its group's)."),
        ("Average order value", "revenue / purchases, where purchases are the sum of frequency."),
        ("Repeat purchase rate", "the share of customers with 2 or more purchases."),
        ("Revenue concentration", "the share of revenue from the top 20% of customers by monetary (ceil(N / 5) customers)."),
        ("Medians", "the middle value; with an even count, the mean of the two middle values."),
        ("Retention", "the share of the previous run's customers (same group and customer_id) who bought again after its as_of: their last order in this run is later."),
        ("Still scored", "the share of the previous run's customers present in this run, whether they bought again or not (with all history kept, always 100%)."),
        ("Holdout", "customers of each segment held out of campaigns, drawn by rfmseg run with output.holdout; a campaign's effect is the difference between those reached and those held out."),
    ];
    let _ = writeln!(s, "<h2>How the numbers are computed</h2>\n<dl>");
    for (term, meaning) in items {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(meaning));
    }
    let _ = writeln!(s, "</dl>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }
}
