//! `run --summary-json FILE`: the run summary as one JSON document for ETL logs and
//! alerting (fields in docs/state.md, "The run summary as JSON"). A failed run writes the
//! error and its exit code instead, so a job that reads the file always finds one.

use std::time::Duration;

use serde_json::{json, Value};

use crate::error::Error;
use crate::pipeline::state::StateReport;
use crate::pipeline::summary::RunSummary;
use crate::settings::Settings;

/// The format name of the document.
pub const FORMAT: &str = "rfmseg-run-summary/1";

/// The document of a finished run.
pub fn render(summary: &RunSummary, settings: &Settings) -> String {
    let l = &summary.lines;
    let seconds: f64 = summary.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
    let doc = json!({
        "format": FORMAT,
        "status": "ok",
        "exit_code": 0,
        "config": settings.source.display().to_string(),
        "output": summary.output.as_ref().map(|p| p.display().to_string()),
        "as_of": summary.as_of.map(|d| d.to_string()),
        "as_of_from_data": summary.as_of_from_data,
        "window_days": summary.window_days,
        "lines": {
            "read": l.read,
            "dropped": {
                "no_customer_id": l.dropped_no_customer_id,
                "no_order_date": l.dropped_no_order_date,
                "no_amount": l.dropped_no_amount,
                "total": l.dropped(),
            },
            "rejected": l.rejected,
            "ignored": {
                "after_as_of": l.ignored_after_as_of,
                "outside_window": l.ignored_outside_window,
                "returns_excluded": l.ignored_returns_excluded,
                "total": l.ignored_after_as_of + l.ignored_outside_window + l.ignored_returns_excluded,
            },
            "used": {
                "purchase_lines": l.purchase_lines,
                "return_lines": l.return_lines,
                "total": l.purchase_lines + l.return_lines,
            },
        },
        "customers": {
            "scored": summary.customers,
            "not_scored": summary.unscored,
        },
        "segments": summary.segments.iter().map(|r| json!({
            "name": r.name,
            "customers": r.customers,
            "share": finite(r.share),
            "revenue_share": finite(r.revenue_share),
            "holdout": r.holdout,
        })).collect::<Vec<Value>>(),
        "state": summary.state.as_ref().map(state),
        "timings": summary.timings.iter().map(|(stage, d)| json!({
            "stage": stage,
            "seconds": d.as_secs_f64(),
        })).collect::<Vec<Value>>(),
        "seconds": seconds,
    });
    pretty(&doc)
}

/// The document of a failed run: the error as printed, and the exit code.
pub fn failure(error: &Error, settings: &Settings, elapsed: Duration) -> String {
    pretty(&json!({
        "format": FORMAT,
        "status": "failed",
        "exit_code": error.exit_code(),
        "error": error.to_string(),
        "config": settings.source.display().to_string(),
        "seconds": elapsed.as_secs_f64(),
    }))
}

fn state(report: &StateReport) -> Value {
    json!({
        "dir": report.dir.display().to_string(),
        "folded": report.folded.iter().map(|b| json!({
            "batch": b.id,
            "file": b.file,
            "size": b.size,
            "sha256": b.sha256,
            "lines": b.lines,
            "folded_lines": b.folded_lines,
            "first_date": b.first_date,
            "last_date": b.last_date,
        })).collect::<Vec<Value>>(),
        "skipped": report.skipped.iter().map(|(path, b)| json!({
            "file": path.display().to_string(),
            "sha256": b.sha256,
            "same_as_batch": b.id,
            "folded_at": b.folded_at,
        })).collect::<Vec<Value>>(),
        "batches": report.batches,
        "rollup_files": report.rollup_files,
        "rollup_rows": report.rollup_rows,
        "bytes": report.bytes,
        "merged": report.merged,
        "scored_from": if report.from_snapshot { "snapshot" } else { "rollups" },
    })
}

/// A share is undefined (null) when nothing is scored.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn pretty(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    text
}
