//! What `rfmseg inspect FILE` prints: the provenance a run stored in its output's footer; and
//! for a state folder (`rfmseg inspect DIR`), what the state holds.

use std::fmt::Write as _;
use std::path::Path;

use super::format::n;
use super::run::ignored_and_used;
use crate::output::provenance::Provenance;
use crate::pipeline::state::StateView;

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

/// The readable form of a saved state, printed by `rfmseg inspect DIR`.
pub fn render_state(view: &StateView) -> String {
    let m = &view.manifest;
    let mut s = String::new();
    let rows: u64 = m.files.iter().map(|f| f.rows).sum();
    let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
    let _ = writeln!(
        s,
        "{}: rfmseg state, created {} by rfmseg {}",
        view.dir.display(),
        m.created,
        m.rfmseg_version
    );
    let span = match (m.first_date(), m.last_date()) {
        (Some(a), Some(z)) => format!("{a} to {z}"),
        _ => "none (no line with a customer, a date and an amount)".to_string(),
    };
    let _ = writeln!(s, "customers: {}", n(view.customers));
    let _ = writeln!(s, "dates: {span}");
    let _ = writeln!(
        s,
        "lines: {} read, {} folded",
        n(m.total(|b| b.lines)),
        n(m.total(|b| b.folded_lines))
    );
    let _ = writeln!(
        s,
        "rollups: {} rows in {} file{}, {} bytes",
        n(rows),
        m.files.len(),
        if m.files.len() == 1 { "" } else { "s" },
        n(bytes)
    );
    let _ = writeln!(s, "batches folded: {}", m.batches.len());
    for b in &m.batches {
        let span = match (&b.first_date, &b.last_date) {
            (Some(a), Some(z)) => format!("{a} to {z}"),
            _ => "no dated line".to_string(),
        };
        let _ = writeln!(
            s,
            "  {:>3}  {}  {} bytes  sha256 {}  {} lines  {span}  folded {}",
            b.id,
            b.file,
            n(b.size),
            &b.sha256[..b.sha256.len().min(16)],
            n(b.lines),
            b.folded_at
        );
    }
    s.push_str("depends on (a run whose config changes one is refused):\n");
    for (key, value) in &m.depends.0 {
        let _ = writeln!(s, "  {key}: {value}");
    }
    s.push_str("key columns:");
    for (key, dtype) in &m.key_types {
        let _ = write!(s, " {key} ({dtype})");
    }
    s.push('\n');
    s
}

/// `rfmseg inspect DIR --json`: the manifest's fields and the customers.
pub fn render_state_json(view: &StateView) -> String {
    let mut doc = serde_json::to_value(&view.manifest).expect("the manifest serializes");
    if let Some(object) = doc.as_object_mut() {
        object.insert("dir".into(), view.dir.display().to_string().into());
        object.insert("customers".into(), view.customers.into());
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    text.push('\n');
    text
}
