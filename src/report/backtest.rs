//! `rfmseg backtest`'s three forms: the terminal text with a plain verdict, the JSON document
//! (the fields of [`Backtest`], docs/explain.md), and one self-contained HTML page with a
//! chart of the repeat rate and one of the revenue per customer by segment.

use std::fmt::Write as _;

use super::charts::{self, ValueBar};
use super::format::{count, maybe_money, money, percent};
use super::html::{card, escape, figure, page, swatch};
use super::text::{table, widths};
use crate::error::Result;
use crate::review::backtest::{Backtest, Outcome};

/// The JSON document, pretty-printed, ending with a newline.
pub fn json(b: &Backtest) -> String {
    let mut text = serde_json::to_string_pretty(b).expect("the backtest serialises");
    text.push('\n');
    text
}

fn cells(o: &Outcome, decimals: u32) -> Vec<String> {
    vec![
        count(o.customers),
        count(o.bought_again),
        percent(o.repeat_rate),
        money(o.revenue, decimals),
        maybe_money(o.revenue_per_customer, decimals),
    ]
}

const HEADER: [&str; 5] = [
    "customers",
    "bought again",
    "repeat rate",
    "revenue",
    "per customer",
];

/// The verdicts on the two correlations, one sentence each.
pub fn verdicts(b: &Backtest) -> [String; 2] {
    let levels = b.rfm_score_levels;
    let say = |rho: Option<f64>, more: &str, less: &str, what: &str| {
        match rho {
        None => format!(
            "{what} by rfm_score: no rank correlation ({levels} rfm_score level{}, or the same value at every level)",
            if levels == 1 { "" } else { "s" }
        ),
        Some(r) if r >= 0.7 => format!("higher scores {more}: {r:.2}"),
        Some(r) if r >= 0.3 => format!("higher scores {more}, loosely: {r:.2}"),
        Some(r) if r > -0.3 => format!("scores barely order {what}: {r:.2}"),
        Some(r) => format!("higher scores {less}: {r:.2}"),
    }
    };
    [
        say(
            b.spearman_repeat_rate,
            "bought again more often",
            "bought again less often",
            "who bought again",
        ),
        say(
            b.spearman_revenue_per_customer,
            "spent more per customer",
            "spent less per customer",
            "the revenue per customer",
        ),
    ]
}

/// The terminal form.
pub fn text(b: &Backtest) -> String {
    let d = b.money_decimals;
    let span = &b.span;
    let o = &b.overall;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "backtest of {}: scored as of {}, then {} days ({} to {}; the input ends {})",
        span.config,
        span.as_of,
        span.horizon_days,
        span.horizon_start,
        span.horizon_end,
        span.last_order_date
    );
    let _ = writeln!(
        s,
        "  {} customers scored; {} bought again ({}); revenue in the horizon {} ({} per customer; returns {})",
        count(o.customers),
        count(o.bought_again),
        percent(o.repeat_rate),
        money(o.revenue, d),
        maybe_money(o.revenue_per_customer, d),
        b.returns
    );
    let _ = writeln!(
        s,
        "  {} customer{} not scored as of {} bought in the horizon (revenue {})",
        count(b.new_customers),
        if b.new_customers == 1 { "" } else { "s" },
        span.as_of,
        money(b.new_customers_revenue, d)
    );
    let header: Vec<String> = std::iter::once("segment")
        .chain(HEADER)
        .map(String::from)
        .collect();
    let rows: Vec<Vec<String>> = b
        .segments
        .iter()
        .map(|r| {
            let mut row = vec![r.segment.clone()];
            row.extend(cells(&r.outcome, d));
            row
        })
        .collect();
    s.push_str(&table(&header, &rows, &widths(&header, &rows), 1));
    let header: Vec<String> = std::iter::once("rfm_score")
        .chain(HEADER)
        .map(String::from)
        .collect();
    let rows: Vec<Vec<String>> = b
        .rfm_scores
        .iter()
        .rev()
        .map(|r| {
            let mut row = vec![r.rfm_score.to_string()];
            row.extend(cells(&r.outcome, d));
            row
        })
        .collect();
    s.push_str(&table(&header, &rows, &widths(&header, &rows), 0));
    let [repeat, revenue] = verdicts(b);
    let _ = writeln!(s, "{repeat}");
    let _ = writeln!(s, "{revenue}");
    let _ = writeln!(
        s,
        "  (Spearman's rho over the {} rfm_score levels, each level one observation)",
        b.rfm_score_levels
    );
    s
}

/// The HTML page.
pub fn html(b: &Backtest) -> Result<String> {
    let d = b.money_decimals;
    let span = &b.span;
    let o = &b.overall;
    let mut s = String::new();
    let _ = writeln!(s, "<h1>Backtest: do the segments predict?</h1>");
    let _ = writeln!(
        s,
        "<p class=\"lead\">Customers scored with <code>{}</code> as of {}, then what they bought in the {} days after it ({} to {}; the input ends {}).</p>",
        escape(&span.config),
        escape(&span.as_of),
        span.horizon_days,
        escape(&span.horizon_start),
        escape(&span.horizon_end),
        escape(&span.last_order_date)
    );
    let _ = writeln!(s, "<div class=\"cards\">");
    card(
        &mut s,
        "Customers",
        &count(o.customers),
        "scored as of the backtest date",
    );
    card(
        &mut s,
        "Bought again",
        &percent(o.repeat_rate),
        &format!(
            "{} customers with a purchase in the horizon",
            count(o.bought_again)
        ),
    );
    card(
        &mut s,
        "Revenue per customer",
        &maybe_money(o.revenue_per_customer, d),
        &format!("in the horizon; revenue {}", money(o.revenue, d)),
    );
    let [repeat, revenue] = verdicts(b);
    card(
        &mut s,
        "Score and repeat rate",
        &b.spearman_repeat_rate
            .map_or("-".into(), |r| format!("{r:.2}")),
        &repeat,
    );
    card(
        &mut s,
        "Score and revenue",
        &b.spearman_revenue_per_customer
            .map_or("-".into(), |r| format!("{r:.2}")),
        &revenue,
    );
    let _ = writeln!(s, "</div>");
    let _ = writeln!(s, "<h2>By segment</h2>");
    if b.segments.is_empty() {
        let _ = writeln!(s, "<p class=\"note\">No customer was scored.</p>");
    } else {
        let bars = |value: &dyn Fn(&Outcome) -> Option<f64>,
                    label: &dyn Fn(Option<f64>) -> String| {
            b.segments
                .iter()
                .enumerate()
                .map(|(i, r)| ValueBar {
                    name: r.segment.clone(),
                    value: value(&r.outcome).unwrap_or(0.0),
                    label: label(value(&r.outcome)),
                    color: i,
                })
                .collect::<Vec<_>>()
        };
        let rates = bars(&|o| o.repeat_rate.map(|r| r * 100.0), &|v| {
            v.map_or("-".into(), |v| format!("{v:.1}%"))
        });
        figure(
            &mut s,
            &charts::segment_values(
                "Repeat rate in the horizon, by segment",
                "percent of the segment's customers with a purchase in the horizon",
                &rates,
                &|x| format!("{x:.0}%"),
            )?,
            "Each segment's share of customers who bought again in the horizon: a segmentation that predicts puts its best segments on top.",
        );
        let per = bars(&|o| o.revenue_per_customer, &|v| maybe_money(v, d));
        figure(
            &mut s,
            &charts::segment_values(
                "Revenue per customer in the horizon, by segment",
                "net revenue in the horizon / customers of the segment",
                &per,
                &|x| money(x, 0),
            )?,
            "Each segment's net revenue in the horizon per customer scored in it.",
        );
        let rows: Vec<(String, &Outcome)> = b
            .segments
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("{}{}", swatch(i), escape(&r.segment)), &r.outcome))
            .collect();
        outcome_table(&mut s, "Segment", &rows, d);
    }
    let _ = writeln!(s, "<h2>By rfm_score</h2>");
    let rows: Vec<(String, &Outcome)> = b
        .rfm_scores
        .iter()
        .rev()
        .map(|r| (r.rfm_score.to_string(), &r.outcome))
        .collect();
    outcome_table(&mut s, "rfm_score", &rows, d);
    let _ = writeln!(
        s,
        "<p class=\"note\">{} customers not scored as of {} bought in the horizon (revenue {}).</p>",
        count(b.new_customers),
        escape(&span.as_of),
        escape(&money(b.new_customers_revenue, d))
    );
    definitions(&mut s, b);
    Ok(page(&format!("Backtest: {}", span.config), &s))
}

/// A table of outcomes; each row's first cell is HTML already.
fn outcome_table(s: &mut String, first: &str, rows: &[(String, &Outcome)], d: u32) {
    let _ = writeln!(
        s,
        "<div class=\"table\"><table>\n<tr><th>{}</th><th class=\"n\">Customers</th><th class=\"n\">Bought again</th><th class=\"n\">Repeat rate</th><th class=\"n\">Revenue</th><th class=\"n\">Per customer</th></tr>",
        escape(first)
    );
    for (name, o) in rows {
        let numbers: String = cells(o, d)
            .iter()
            .map(|c| format!("<td class=\"n\">{}</td>", escape(c)))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td><div class=\"name\" dir=\"auto\">{name}</div></td>{numbers}</tr>"
        );
    }
    let _ = writeln!(s, "</table></div>");
}

fn definitions(s: &mut String, b: &Backtest) {
    let returns = if b.returns == "exclude" {
        "return lines are left out (returns: exclude)"
    } else {
        "return lines lower it (returns: net)"
    };
    let items = [
        ("Customers", "scored as of the backtest date exactly as rfmseg run --as-of scores them (per group and customer with group_by).".to_string()),
        ("Bought again", "customers with at least one purchase line (amount >= 0) dated in the horizon, matched by the group columns and customer_id.".to_string()),
        ("Repeat rate", "bought again / customers.".to_string()),
        ("Revenue", format!("the net amount of the customers' lines in the horizon, summed in minor units as the run sums them; {returns}.")),
        ("Per customer", "revenue / customers (every customer of the row, buyers or not).".to_string()),
        ("Rank correlation", "Spearman's rho between rfm_score and the repeat rate (or revenue per customer) over the rfm_score levels, each level one observation, tied values given their average rank.".to_string()),
    ];
    let _ = writeln!(s, "<h2>How the numbers are computed</h2>\n<dl>");
    for (term, meaning) in items {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(&meaning));
    }
    let _ = writeln!(s, "</dl>");
}
