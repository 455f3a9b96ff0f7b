//! Summaries people read: what a run read, dropped, scored and wrote, and the segment table;
//! and the segment report of `rfmseg report` (KPIs, movement between runs, terminal, JSON and
//! HTML forms).

pub mod charts;
pub mod check;
pub mod distribution;
pub mod format;
mod frame;
pub mod html;
pub mod json;
pub mod kpi;
pub mod movement;
pub mod progress;
pub mod segments;
pub mod text;

use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;

/// Where every input line went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Data rows read from all files (set-aside rows included).
    pub read: u64,
    /// Set aside (`input.rejects_path`): rows with a value that cannot be read.
    pub rejected: u64,
    /// Dropped: no customer_id (guest checkouts).
    pub null_customer: u64,
    /// Dropped: no order_date.
    pub null_date: u64,
    /// Dropped: no amount.
    pub null_amount: u64,
    /// Ignored: dated after as_of.
    pub after_as_of: u64,
    /// Ignored: before the window.
    pub outside_window: u64,
    /// Dropped by `returns: exclude`.
    pub returns_excluded: u64,
    /// Purchase lines used.
    pub purchases: u64,
    /// Return lines used.
    pub returns: u64,
}

impl LineCounts {
    /// The summary's lines on the lines ignored and used (`rfmseg inspect` prints them too).
    pub(crate) fn render_ignored_and_used(&self) -> String {
        format!(
            "  ignored: {} after as_of, {} outside the window, {} returns excluded\n  used: {} purchase lines, {} return lines\n",
            n(self.after_as_of),
            n(self.outside_window),
            n(self.returns_excluded),
            n(self.purchases),
            n(self.returns)
        )
    }
}

/// One line of the segment table.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    /// Segment name.
    pub name: String,
    /// Customers in it.
    pub customers: u64,
    /// Share of scored customers.
    pub share: f64,
    /// Share of net revenue (sum of kept lines).
    pub revenue_share: f64,
}

/// A score level no customer has (an empty bin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyLevel {
    /// r, f or m.
    pub score: &'static str,
    /// The level.
    pub level: u32,
    /// Partitions (groups) where it is empty, of `of`.
    pub groups: u64,
    /// Number of partitions.
    pub of: u64,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Input files read.
    pub files: Vec<PathBuf>,
    /// Line accounting.
    pub lines: LineCounts,
    /// The as_of used (None: no line had a customer, a date and an amount).
    pub as_of: Option<NaiveDate>,
    /// True when as_of came from the data.
    pub as_of_from_data: bool,
    /// Window length, if any.
    pub window_days: Option<u32>,
    /// Customers scored (output rows).
    pub customers: u64,
    /// Customers with lines in the window but no purchase (returns only).
    pub unscored: u64,
    /// The segment table, in rule order then the default.
    pub segments: Vec<SegmentRow>,
    /// Empty score levels.
    pub empty_levels: Vec<EmptyLevel>,
    /// Where the result was written.
    pub output: Option<PathBuf>,
    /// Where the rows set aside were written (`input.rejects_path`).
    pub rejects: Option<PathBuf>,
    /// Wall time per stage.
    pub timings: Vec<(String, std::time::Duration)>,
}

/// `v` with thousands separators: 1234567 -> "1,234,567".
pub(crate) fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl RunReport {
    /// The stage timings printed by `--verbose`.
    pub fn render_timings(&self) -> String {
        let total: f64 = self.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
        let mut s = String::from("stages:\n");
        for (stage, d) in &self.timings {
            let _ = writeln!(s, "  {:>8.3} s  {stage}", d.as_secs_f64());
        }
        let _ = writeln!(s, "  {total:>8.3} s  total");
        s
    }

    /// The summary printed on stderr after a run.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let l = &self.lines;
        let files = match self.files.as_slice() {
            [one] => one.display().to_string(),
            many => format!("{} files", many.len()),
        };
        let _ = writeln!(s, "read {} lines from {files}", n(l.read));
        let _ = writeln!(
            s,
            "  dropped: {} without customer_id, {} without order_date, {} without amount",
            n(l.null_customer),
            n(l.null_date),
            n(l.null_amount)
        );
        if let Some(rejects) = &self.rejects {
            let _ = writeln!(
                s,
                "  rows rejected: {} (see {})",
                n(l.rejected),
                rejects.display()
            );
        }
        let window = match self.window_days {
            Some(w) => format!("the {w} days up to it"),
            None => "all history".to_string(),
        };
        match self.as_of {
            Some(as_of) => {
                let _ = writeln!(
                    s,
                    "  as_of {as_of}{}; window: {window}",
                    if self.as_of_from_data {
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
        s.push_str(&l.render_ignored_and_used());
        let _ = writeln!(
            s,
            "scored {} customers; {} not scored (returns only, no purchase in the window)",
            n(self.customers),
            n(self.unscored)
        );
        for score in ["r", "f", "m"] {
            let levels: Vec<&EmptyLevel> = self
                .empty_levels
                .iter()
                .filter(|e| e.score == score)
                .collect();
            if levels.is_empty() {
                continue;
            }
            let list: Vec<String> = levels
                .iter()
                .map(|e| {
                    if e.of > 1 {
                        format!("{} (in {} of {} groups)", e.level, e.groups, e.of)
                    } else {
                        e.level.to_string()
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "  note: no customer has {} score {} (tied values share a score)",
                crate::check::metric_name(score),
                list.join(", ")
            );
        }
        let width = self
            .segments
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        // The customers column is as wide as its largest number (9 at least).
        let count_width = self
            .segments
            .iter()
            .map(|r| n(r.customers).len())
            .max()
            .unwrap_or(9)
            .max(9);
        if !self.segments.is_empty() {
            let _ = writeln!(
                s,
                "  {:<width$}  {:>count_width$}  {:>6}  {:>7}",
                "segment", "customers", "share", "revenue"
            );
        }
        for r in &self.segments {
            let _ = writeln!(
                s,
                "  {:<width$}  {:>count_width$}  {:>5.1}%  {:>6.1}%",
                r.name,
                n(r.customers),
                r.share * 100.0,
                r.revenue_share * 100.0
            );
        }
        if self.customers == 0 {
            let _ = writeln!(
                s,
                "warning: no customer has a purchase line in the observation window; the output has no rows"
            );
        }
        if let Some(out) = &self.output {
            let _ = writeln!(s, "wrote {} ({} rows)", out.display(), n(self.customers));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1000), "1,000");
        assert_eq!(n(1234567), "1,234,567");
    }
}
