//! Numbers as people read them, shared by the terminal and HTML forms of the segment report,
//! and text cells of terminal tables sized by their display width.

use unicode_width::UnicodeWidthStr;

/// The columns `text` takes on a terminal: combining marks, joiners (the Persian ZWNJ) and
/// direction marks take none, East Asian wide characters two.
pub fn width(text: &str) -> usize {
    text.width()
}

/// Whether `text` holds a right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko and
/// their presentation forms).
fn right_to_left(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32,
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x1E800..=0x1EFFF)
    })
}

/// `text` for a terminal line that goes on after it: wrapped in a first-strong isolate
/// (U+2068 ... U+2069) when it holds right-to-left letters, so that a terminal applying the
/// Unicode bidirectional algorithm shows the name right to left within its own cell and keeps
/// the numbers after it in their columns (without the isolate, numbers after an Arabic letter
/// join its run). Other text is returned as it is.
pub fn isolate(text: &str) -> String {
    if right_to_left(text) {
        format!("\u{2068}{text}\u{2069}")
    } else {
        text.to_string()
    }
}

/// Which side of its column a cell keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// `text` ([`isolate`]d) padded with spaces to `columns` display columns.
pub fn pad(text: &str, columns: usize, align: Align) -> String {
    let fill = " ".repeat(columns.saturating_sub(width(text)));
    match align {
        Align::Left => format!("{}{fill}", isolate(text)),
        Align::Right => format!("{fill}{}", isolate(text)),
    }
}

/// A count with thousands separators: 1234567 -> "1,234,567".
pub fn count(v: u64) -> String {
    n(v)
}

/// An amount with `decimals` decimals and thousands separators: 12345.6 -> "12,345.60".
pub fn money(v: f64, decimals: u32) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let text = format!("{:.*}", decimals as usize, v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = whole
        .parse::<u64>()
        .map(n)
        .unwrap_or_else(|_| whole.to_string());
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// An optional amount; "-" when undefined.
pub fn maybe_money(v: Option<f64>, decimals: u32) -> String {
    v.map_or_else(|| "-".to_string(), |v| money(v, decimals))
}

/// A share as a percentage with one decimal: 0.1234 -> "12.3%"; "-" when undefined.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A median of whole numbers (days, purchases): "12" or "12.5"; "-" when undefined.
pub fn median(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(v) if v.fract() == 0.0 => money(v, 0),
        Some(v) => money(v, 1),
    }
}

/// A segment's numbers as the terminal and HTML tables show them, in column order: customers,
/// share, revenue, revenue share, AOV, median recency, frequency and monetary.
pub fn segment_stat_cells(s: &crate::review::kpi::Stats, decimals: u32) -> [String; 8] {
    [
        count(s.customers),
        percent(Some(s.share)),
        money(s.revenue, decimals),
        percent(s.revenue_share),
        maybe_money(s.avg_order_value, decimals),
        median(s.median_recency_days),
        median(s.median_frequency),
        maybe_money(s.median_monetary, decimals),
    ]
}

/// The lines on scoring levels (`min_group_customers`, `score_level`), deepest first, each
/// indented by `indent`: `level 2 (region, store_id): 5 groups, 581 customers`, then
/// `level 1 (region): 2 groups, 152 customers, by the edges of 2 partitions`, then
/// `level 0 (the whole input): 1 group, 83 customers`.
pub fn level_lines(levels: &[crate::rfm::LevelCount], indent: &str) -> String {
    let deepest = levels.iter().map(|l| l.level).max().unwrap_or(0);
    let mut s = String::new();
    for l in levels {
        let within = if l.level == 0 {
            "the whole input".to_string()
        } else {
            l.columns.join(", ")
        };
        let plural = |n: u64, one: &str, many: &str| {
            format!("{} {}", count(n), if n == 1 { one } else { many })
        };
        let groups = if l.groups == 0 {
            "no group".to_string()
        } else {
            format!(
                "{}, {}",
                plural(l.groups, "group", "groups"),
                plural(l.customers, "customer", "customers")
            )
        };
        let by = if l.level < deepest && l.level > 0 && l.groups > 0 {
            format!(
                ", by the edges of {}",
                plural(l.partitions, "partition", "partitions")
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{indent}level {} ({within}): {groups}{by}\n",
            l.level
        ));
    }
    s
}

/// `v` with thousands separators: 1234567 -> "1,234,567".
pub fn n(v: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_padded_by_display_width_and_right_to_left_text_is_isolated() {
        // A zero-width non-joiner and a combining accent take no column; a wide CJK
        // character two.
        assert_eq!(width("می\u{200c}خرند"), 6);
        assert_eq!(width("Cafe\u{301}"), 4);
        assert_eq!(width("店"), 2);
        assert_eq!(pad("Cafe\u{301}", 6, Align::Left), "Cafe\u{301}  ");
        assert_eq!(pad("店", 3, Align::Right), " 店");
        assert_eq!(pad("ab", 1, Align::Left), "ab");
        assert_eq!(
            pad("قهرمانان", 10, Align::Left),
            "\u{2068}قهرمانان\u{2069}  "
        );
        assert_eq!(isolate("שלום"), "\u{2068}שלום\u{2069}");
        assert_eq!(isolate("Loyal 2"), "Loyal 2");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1000), "1,000");
        assert_eq!(n(1234567), "1,234,567");
    }

    #[test]
    fn money_groups_thousands_and_keeps_the_sign() {
        assert_eq!(money(1234567.891, 2), "1,234,567.89");
        assert_eq!(money(-1234.5, 2), "-1,234.50");
        assert_eq!(money(-0.001, 2), "0.00");
        assert_eq!(money(999.0, 0), "999");
        assert_eq!(money(0.5, 3), "0.500");
    }

    #[test]
    fn percents_and_medians() {
        assert_eq!(percent(Some(0.1234)), "12.3%");
        assert_eq!(percent(None), "-");
        assert_eq!(median(Some(12.0)), "12");
        assert_eq!(median(Some(2.5)), "2.5");
        assert_eq!(median(Some(1234.0)), "1,234");
    }
}
