//! The segment report as JSON: the fields of [`SegmentReport`] in their declared order, floats
//! written shortest-exact (the same number always prints the same way), undefined ratios as
//! null.

use crate::review::segments::SegmentReport;

/// The JSON document, pretty-printed, ending with a newline.
pub fn render(report: &SegmentReport) -> String {
    let mut text = serde_json::to_string_pretty(report)
        .expect("the report serializes: strings, numbers, lists");
    text.push('\n');
    text
}
