//! The run summary printed on stderr after `rfmseg run`, and `--verbose`'s stage timings.

use std::fmt::Write as _;

use super::format::{level_lines, n, pad, width, Align};
use crate::columns::metric;
use crate::output::provenance::LineCounts;
use crate::pipeline::state::StateReport;
use crate::pipeline::summary::{EmptyLevel, RunSummary};

/// The summary's lines on the lines ignored and used (`rfmseg inspect` prints them too).
pub fn ignored_and_used(l: &LineCounts) -> String {
    format!(
        "  ignored: {} after as_of, {} outside the window, {} returns excluded\n  used: {} purchase lines, {} return lines\n",
        n(l.ignored_after_as_of),
        n(l.ignored_outside_window),
        n(l.ignored_returns_excluded),
        n(l.purchase_lines),
        n(l.return_lines)
    )
}

/// The stage timings printed by `--verbose`.
pub fn render_timings(summary: &RunSummary) -> String {
    let total: f64 = summary.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
    let mut s = String::from("stages:\n");
    for (stage, d) in &summary.timings {
        let _ = writeln!(s, "  {:>8.3} s  {stage}", d.as_secs_f64());
    }
    let _ = writeln!(s, "  {total:>8.3} s  total");
    s
}

/// What a fold into the saved state did (`run --state`): the inputs folded and skipped, and
/// what the state holds now.
fn state_lines(state: &StateReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "state {}:", state.dir.display());
    for b in &state.folded {
        let span = match (&b.first_date, &b.last_date) {
            (Some(a), Some(z)) if a == z => format!(", {a}"),
            (Some(a), Some(z)) => format!(", {a} to {z}"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  folded {} as batch {}: {} line{}{span}",
            b.file,
            b.id,
            n(b.lines),
            if b.lines == 1 { "" } else { "s" }
        );
    }
    for (path, b) in &state.skipped {
        let _ = writeln!(
            s,
            "  skipped {}: the same content was folded as batch {} ({}, {})",
            path.display(),
            b.id,
            b.file,
            b.folded_at
        );
    }
    if state.folded.is_empty() && state.skipped.is_empty() {
        let _ = writeln!(s, "  no input given: scored from the state as it is");
    }
    let _ = writeln!(
        s,
        "  {}",
        if state.from_snapshot {
            "scored from the customers snapshot (no window, as_of on or after the last day)"
        } else {
            "scored from the rollups"
        }
    );
    let _ = writeln!(
        s,
        "  holds {} batch{} in {} rollup rows ({} file{}, {} bytes){}",
        n(state.batches as u64),
        if state.batches == 1 { "" } else { "es" },
        n(state.rollup_rows),
        state.rollup_files,
        if state.rollup_files == 1 { "" } else { "s" },
        n(state.bytes),
        if state.merged {
            "; merged the recent rollup files"
        } else {
            ""
        }
    );
    s
}

/// The summary printed on stderr after a run.
pub fn render(summary: &RunSummary) -> String {
    let mut s = String::new();
    if let Some(state) = &summary.state {
        s.push_str(&state_lines(state));
    }
    let l = &summary.lines;
    let files = match summary.files.as_slice() {
        [one] => one.display().to_string(),
        many if summary.state.is_some() => {
            format!("the {} inputs folded into the state", many.len())
        }
        many => format!("{} files", many.len()),
    };
    let _ = writeln!(s, "read {} lines from {files}", n(l.read));
    let _ = writeln!(
        s,
        "  dropped: {} without customer_id, {} without order_date, {} without amount",
        n(l.dropped_no_customer_id),
        n(l.dropped_no_order_date),
        n(l.dropped_no_amount)
    );
    if let Some(rejects) = &summary.rejects {
        let _ = writeln!(
            s,
            "  rows rejected: {} (see {})",
            n(l.rejected),
            rejects.display()
        );
    }
    let window = match summary.window_days {
        Some(w) => format!("the {w} days up to it"),
        None => "all history".to_string(),
    };
    match summary.as_of {
        Some(as_of) => {
            let _ = writeln!(
                s,
                "  as_of {}{}; window: {window}",
                summary.calendar.shown(as_of),
                if summary.as_of_from_data {
                    " (latest order date)"
                } else {
                    ""
                }
            );
        }
        None => {
            let _ = writeln!(
                s,
                "  as_of: none (no line has a customer_id, an order_date and an amount)"
            );
        }
    }
    s.push_str(&ignored_and_used(l));
    let _ = writeln!(
        s,
        "scored {} customers; {} not scored (returns only, no purchase in the window)",
        n(summary.customers),
        n(summary.unscored)
    );
    if let Some(min) = summary.min_group_customers {
        let _ = writeln!(
            s,
            "  scored within (min_group_customers: {}; level = the group_by columns of the partition whose edges scored them):",
            n(min)
        );
        s.push_str(&level_lines(&summary.levels, "    "));
    }
    for score in ["r", "f", "m"] {
        let levels: Vec<&EmptyLevel> = summary
            .empty_levels
            .iter()
            .filter(|e| e.score == score)
            .collect();
        if levels.is_empty() {
            continue;
        }
        let list: Vec<String> = levels
            .iter()
            .map(|e| match e.place() {
                Some(place) => format!("{} ({place})", e.level),
                None => e.level.to_string(),
            })
            .collect();
        let why = if levels.iter().any(|e| !e.at.is_empty()) {
            "tied values share a score; groups scored with a larger partition's edges need not fill every level"
        } else {
            "tied values share a score"
        };
        let _ = writeln!(
            s,
            "  note: no customer has {} score {} ({why})",
            metric(score).name,
            list.join(", ")
        );
    }
    let name_width = summary
        .segments
        .iter()
        .map(|r| width(&r.name))
        .max()
        .unwrap_or(7)
        .max(7);
    // The customers column is as wide as its largest number (9 at least).
    let count_width = summary
        .segments
        .iter()
        .map(|r| n(r.customers).len())
        .max()
        .unwrap_or(9)
        .max(9);
    // With output.holdout, a last column: the customers held out of each segment.
    let holdout = summary.segments.iter().any(|r| r.holdout.is_some());
    let holdout_width = summary
        .segments
        .iter()
        .map(|r| n(r.holdout.unwrap_or(0)).len())
        .max()
        .unwrap_or(7)
        .max(7);
    if !summary.segments.is_empty() {
        let _ = write!(
            s,
            "  {:<name_width$}  {:>count_width$}  {:>6}  {:>7}",
            "segment", "customers", "share", "revenue"
        );
        if holdout {
            let _ = write!(s, "  {:>holdout_width$}", "holdout");
        }
        s.push('\n');
    }
    for r in &summary.segments {
        let _ = write!(
            s,
            "  {}  {:>count_width$}  {:>5.1}%  {:>6.1}%",
            pad(&r.name, name_width, Align::Left),
            n(r.customers),
            r.share * 100.0,
            r.revenue_share * 100.0
        );
        if holdout {
            let _ = write!(s, "  {:>holdout_width$}", n(r.holdout.unwrap_or(0)));
        }
        s.push('\n');
    }
    if summary.customers == 0 {
        let _ = writeln!(
            s,
            "warning: no customer has a purchase line in the observation window; the output has no rows"
        );
    }
    if let Some(out) = &summary.output {
        let _ = writeln!(s, "wrote {} ({} rows)", out.display(), n(summary.customers));
    }
    s
}
