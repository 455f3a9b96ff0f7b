//! Numbers as people read them, shared by the terminal and HTML forms of the segment report.

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
