//! What `rfmseg inspect FILE` prints: the provenance a run stored in its output's footer.

use std::fmt::Write as _;
use std::path::Path;

use super::format::n;
use super::run::ignored_and_used;
use crate::output::provenance::Provenance;

/// The readable form of `provenance` printed by `rfmseg inspect FILE`.
pub fn render(provenance: &Provenance, file: &Path, file_rows: u64) -> String {
    let mut s = String::new();
    let r = &provenance.rows;
    let c = &provenance.customers;
    let _ = writeln!(
        s,
        "{}: {} rows, written by rfmseg {} at {}",
        file.display(),
        n(file_rows),
        provenance.version,
        provenance.created
    );
    let shown = |d: &str| match &provenance.as_of_calendar {
        Some(c) => format!("{d} = {c}"),
        None => d.to_string(),
    };
    let as_of = match (&provenance.as_of, provenance.as_of_from_data) {
        (Some(d), true) => format!("{} (latest order date in the input)", shown(d)),
        (Some(d), false) => format!("{} (given)", shown(d)),
        (None, _) => "none (no line had a customer, a date and an amount)".to_string(),
    };
    let _ = writeln!(s, "as_of: {as_of}");
    let total: u64 = provenance.inputs.iter().map(|i| i.bytes).sum();
    let _ = writeln!(
        s,
        "inputs: {} file{}, {} bytes",
        provenance.inputs.len(),
        if provenance.inputs.len() == 1 {
            ""
        } else {
            "s"
        },
        n(total)
    );
    let width = provenance
        .inputs
        .iter()
        .map(|i| n(i.bytes).len())
        .max()
        .unwrap_or(0);
    for i in &provenance.inputs {
        let _ = writeln!(s, "  {:>width$} bytes  {}", n(i.bytes), i.path);
    }
    let _ = writeln!(
        s,
        "rows: {} read, {} dropped ({} without customer_id, {} without order_date, {} without amount), {} rejected",
        n(r.read),
        n(r.dropped()),
        n(r.dropped_no_customer_id),
        n(r.dropped_no_order_date),
        n(r.dropped_no_amount),
        n(r.rejected)
    );
    s.push_str(&ignored_and_used(r));
    let _ = writeln!(
        s,
        "customers: {} scored, {} not scored",
        n(c.scored),
        n(c.not_scored)
    );
    if let Some(h) = &provenance.holdout {
        let _ = writeln!(
            s,
            "holdout: share {} of each segment, salt {:?}, hash {}",
            h.share, h.salt, h.hash
        );
    }
    let check = if provenance.hash_matches() {
        "matches the text below"
    } else {
        "DOES NOT MATCH the text below: the footer was edited"
    };
    let _ = writeln!(s, "config sha256: {} ({check})", provenance.config_sha256);
    s.push_str("config (canonical):\n");
    for line in provenance.config.lines() {
        let _ = writeln!(s, "  {line}");
    }
    s
}
