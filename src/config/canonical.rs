//! The canonical text of a resolved config: what a run actually used, written the same way
//! every time, so that two runs with the same meaning have the same text (and hash).
//!
//! Canonical means: the resolved [`Settings`] (command-line overrides applied, defaults
//! filled in, per-metric scoring expanded, `r: 5` written as `r: [5, 5]`), written as YAML
//! with every section and key in the contract's order, one fixed layout, strings as
//! double-quoted (JSON-escaped) scalars, numbers in their shortest round-trip form, no
//! comments, `as_of` in `input.calendar` (which is written only when it is not the default
//! `gregorian`). Optional keys that are not set (`as_of`, `window_days`, `date_format`,
//! `order_id`, a rule's conditions and description, `min_group_customers`, `thresholds_from`,
//! `output.holdout`) are left out, and so is `input.csv` when it is the default
//! (comma-separated UTF-8, '.' decimal point, no thousands separator); otherwise all four of
//! its keys are written. The text is itself a valid config: loaded again, it gives the same
//! canonical text.

use std::fmt::Write;

use crate::settings::{
    Calendar, CsvDialect, Frequency, Method, MetricScoring, Monetary, Returns, Settings,
};

/// The canonical YAML text of `settings` (see the module docs).
pub fn canonical_text(settings: &Settings) -> String {
    let mut out = String::new();
    let input = &settings.input;
    out.push_str("input:\n");
    let _ = writeln!(out, "  paths: {}", list(&input.paths));
    if let Some(f) = &input.date_format {
        let _ = writeln!(out, "  date_format: {}", quote(f));
    }
    // Left out when Gregorian (the default), so configs written before the key keep their
    // canonical text and hash.
    if input.calendar != Calendar::Gregorian {
        let _ = writeln!(out, "  calendar: {}", input.calendar.name());
    }
    if input.csv != CsvDialect::default() {
        let csv = &input.csv;
        let _ = writeln!(
            out,
            "  csv: {{separator: {}, decimal_comma: {}, thousands: {}, encoding: {}}}",
            csv.separator_text(),
            csv.decimal_comma,
            csv.thousands.as_deref().map_or("null".to_string(), quote),
            csv.encoding.name()
        );
    }
    out.push_str("  columns:\n");
    let c = &input.columns;
    let _ = writeln!(out, "    customer_id: {}", quote(&c.customer_id));
    let _ = writeln!(out, "    order_date: {}", quote(&c.order_date));
    let _ = writeln!(out, "    amount: {}", quote(&c.amount));
    if let Some(o) = &c.order_id {
        let _ = writeln!(out, "    order_id: {}", quote(o));
    }
    let a = &settings.analysis;
    out.push_str("analysis:\n");
    if let Some(d) = a.as_of {
        let _ = writeln!(out, "  as_of: {}", input.calendar.text(d));
    }
    if let Some(w) = a.window_days {
        let _ = writeln!(out, "  window_days: {w}");
    }
    let returns = match a.returns {
        Returns::Net => "net",
        Returns::Exclude => "exclude",
    };
    let monetary = match a.monetary {
        Monetary::Total => "total",
        Monetary::Average => "average",
    };
    let frequency = match a.frequency {
        Frequency::Orders => "orders",
        Frequency::Lines => "lines",
        Frequency::Days => "days",
    };
    let _ = writeln!(out, "  returns: {returns}");
    let _ = writeln!(out, "  monetary: {monetary}");
    let _ = writeln!(out, "  monetary_decimals: {}", a.monetary_decimals);
    let _ = writeln!(out, "  frequency: {frequency}");
    let _ = writeln!(out, "  group_by: {}", list(&a.group_by));
    let s = &settings.scoring;
    out.push_str("scoring:\n");
    for (name, metric) in [
        ("recency", &s.recency),
        ("frequency", &s.frequency),
        ("monetary", &s.monetary),
    ] {
        let _ = writeln!(out, "  {name}: {}", metric_text(metric));
    }
    if let Some(n) = s.min_group_customers {
        let _ = writeln!(out, "  min_group_customers: {n}");
    }
    if let Some(path) = &s.thresholds_from {
        let _ = writeln!(out, "  thresholds_from: {}", quote(path));
    }
    let g = &settings.segments;
    out.push_str("segments:\n");
    let _ = writeln!(out, "  default: {}", quote(&g.default));
    if g.rules.is_empty() {
        out.push_str("  rules: []\n");
    } else {
        out.push_str("  rules:\n");
    }
    for rule in &g.rules {
        let _ = writeln!(out, "    - name: {}", quote(&rule.name));
        if let Some(d) = &rule.description {
            let _ = writeln!(out, "      description: {}", quote(d));
        }
        for (key, range) in [("r", rule.r), ("f", rule.f), ("m", rule.m)] {
            if let Some((lo, hi)) = range {
                let _ = writeln!(out, "      {key}: [{lo}, {hi}]");
            }
        }
        if let Some(cells) = &rule.cells {
            let _ = writeln!(out, "      cells: {}", list(cells));
        }
        if let Some(w) = &rule.when {
            let _ = writeln!(out, "      when: {}", quote(&w.text));
        }
    }
    if settings.output.is_some() || settings.holdout.is_some() {
        out.push_str("output:\n");
    }
    if let Some(path) = &settings.output {
        let _ = writeln!(out, "  path: {}", quote(&path.to_string_lossy()));
    }
    if let Some(h) = &settings.holdout {
        let _ = writeln!(
            out,
            "  holdout: {{share: {}, salt: {}}}",
            number(h.share()),
            quote(&h.salt)
        );
    }
    out
}

fn metric_text(m: &MetricScoring) -> String {
    match &m.method {
        Method::Fixed(t) => format!(
            "{{method: fixed, bins: {}, thresholds: [{}]}}",
            m.bins,
            t.iter().map(|v| number(*v)).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{{method: {}, bins: {}}}", other.name(), m.bins),
    }
}

/// A double-quoted scalar: JSON string escapes are valid YAML double-quoted escapes.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The shortest text that reads back as the same f64 (`30.0`, `0.1`, `1e-7`).
fn number(v: f64) -> String {
    serde_json::to_string(&v).expect("config thresholds are finite")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{validate, Overrides};

    fn canonical(text: &str) -> String {
        let Ok(s) = validate::resolve(text, &Overrides::default()) else {
            panic!("config does not load:\n{text}");
        };
        canonical_text(&s)
    }

    #[test]
    fn defaults_are_written_out_and_layout_does_not_matter() {
        let a = canonical(
            "input: {paths: a.csv}\nsegments: {rules: [{name: Top, r: 5}]}\noutput: {path: o.parquet}\n",
        );
        let b = canonical(
            "# a comment\noutput:\n  path: o.parquet\nsegments:\n  rules:\n    - name: Top\n      r: [5, 5]\ninput:\n  paths: [a.csv]\nscoring: {method: rank, bins: 5}\n",
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "input:\n  paths: [\"a.csv\"]\n  columns:\n    customer_id: \"customer_id\"\n    order_date: \"order_date\"\n    amount: \"amount\"\nanalysis:\n  returns: net\n  monetary: total\n  monetary_decimals: 2\n  frequency: lines\n  group_by: []\nscoring:\n  recency: {method: rank, bins: 5}\n  frequency: {method: rank, bins: 5}\n  monetary: {method: rank, bins: 5}\nsegments:\n  default: \"Other\"\n  rules:\n    - name: \"Top\"\n      r: [5, 5]\noutput:\n  path: \"o.parquet\"\n"
        );
    }

    #[test]
    fn r_rfm_is_a_method_globally_and_per_metric() {
        let text = "input: {paths: a.csv}\nscoring:\n  method: r-rfm\n  bins: 4\n  frequency: {method: quantile}\n  monetary: {method: r-rfm, bins: 3}\nsegments: {rules: [{name: Top, r: 4}]}\n";
        let once = canonical(text);
        assert_eq!(canonical(&once), once);
        assert!(
            once.contains("scoring:\n  recency: {method: r-rfm, bins: 4}\n  frequency: {method: quantile, bins: 4}\n  monetary: {method: r-rfm, bins: 3}\n"),
            "{once}"
        );
        let Err(validate::Failure::Problems(problems)) = validate::resolve(
            "input: {paths: a.csv}\nscoring:\n  method: rrfm\n  frequency: {method: r-rfm, thresholds: [1, 2, 3, 4]}\nsegments: {rules: [{name: Top, r: 4}]}\n",
            &Overrides::default(),
        ) else {
            panic!("a bad method and thresholds without fixed are config errors");
        };
        let e: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.place, p.message))
            .collect();
        let e = e.join("\n");
        assert!(
            e.contains("\"rrfm\" is not a method; use rank, quantile, r-rfm or fixed"),
            "{e}"
        );
        assert!(
            e.contains("thresholds apply only to method fixed, but frequency is scored by r-rfm"),
            "{e}"
        );
    }

    #[test]
    fn csv_dialects_are_written_when_not_the_default() {
        let text = "input:\n  paths: a.csv\n  csv: {separator: \"\\t\", decimal_comma: true, thousands: \"\\u00a0\", encoding: CP1256}\n";
        let once = canonical(text);
        assert_eq!(canonical(&once), once);
        assert!(
            once.contains("  csv: {separator: \"\\t\", decimal_comma: true, thousands: \"\u{a0}\", encoding: windows-1256}\n"),
            "{once}"
        );
        let plain =
            canonical("input:\n  paths: a.csv\n  csv: {separator: \",\", encoding: utf-8}\n");
        assert!(!plain.contains("csv:"), "{plain}");
        let semicolon = canonical("input:\n  paths: a.csv\n  csv: {separator: ;}\n");
        assert!(
            semicolon.contains("  csv: {separator: \";\", decimal_comma: false, thousands: null, encoding: utf-8}\n"),
            "{semicolon}"
        );
    }

    #[test]
    fn bad_csv_dialects_are_config_errors_naming_the_key() {
        let problems = |csv: &str| -> String {
            let text = format!("input:\n  paths: a.csv\n  csv: {csv}\n");
            let Err(validate::Failure::Problems(problems)) =
                validate::resolve(&text, &Overrides::default())
            else {
                panic!("{csv} is accepted");
            };
            problems
                .iter()
                .map(|p| format!("{}: {}", p.place, p.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let e = problems("{separator: \";;\"}");
        assert!(
            e.starts_with("input.csv.separator: \";;\" is 2 characters"),
            "{e}"
        );
        let e = problems("{separator: \"\"}");
        assert!(e.starts_with("input.csv.separator: is empty"), "{e}");
        let e = problems("{separator: \"\\\"\"}");
        assert!(e.contains("quotes fields"), "{e}");
        let e = problems("{separator: \"§\"}");
        assert!(e.contains("cannot separate fields"), "{e}");
        let e = problems("{thousands: \".\"}");
        assert!(
            e.contains("input.csv.thousands: \".\" is also the decimal separator (input.csv.decimal_comma is false)"),
            "{e}"
        );
        let e = problems("{decimal_comma: true, thousands: \",\"}");
        assert!(e.contains("set input.csv.decimal_comma: false"), "{e}");
        let e = problems("{thousands: \"_\"}");
        assert!(e.contains("\"_\" is not a thousands separator"), "{e}");
        let e = problems("{encoding: utf-16le, seperator: \";\"}");
        assert!(e.contains("input.csv.encoding: \"utf-16le\" is not one of: utf-8, windows-1256, windows-1252, latin-1, utf-16 (utf-16 reads both"), "{e}");
        assert!(
            e.contains("input.csv.seperator: unknown key `seperator`; did you mean `separator`?"),
            "{e}"
        );
    }

    #[test]
    fn the_canonical_text_is_a_config_that_gives_itself_back() {
        let text = "input:\n  paths: [a.csv, 'b: \"x\".parquet']\n  date_format: '%d/%m/%Y'\n  columns: {customer_id: cust, order_id: oid}\nanalysis:\n  as_of: 2024-06-30\n  window_days: 365\n  returns: exclude\n  monetary: average\n  monetary_decimals: 3\n  group_by: [region]\nscoring:\n  method: quantile\n  bins: 4\n  recency: {method: fixed, thresholds: [30, 90.5, 1e3]}\nsegments:\n  default: Rest\n  rules:\n    - {name: \"Can't Lose\", description: \"big \\u00e9t\\u00e9\", cells: [\"444\", 443], f: [2, 4]}\n    - {name: B, when: \"r <= 2 AND region = 'N\\\\'\"}\n";
        let once = canonical(text);
        assert_eq!(canonical(&once), once);
        assert!(
            once.contains(
                "  recency: {method: fixed, bins: 4, thresholds: [30.0, 90.5, 1000.0]}\n"
            ),
            "{once}"
        );
        assert!(
            once.contains("  as_of: 2024-06-30\n  window_days: 365\n"),
            "{once}"
        );
        assert!(once.contains("description: \"big été\""), "{once}");
    }

    #[test]
    fn a_holdout_is_written_after_the_path_and_reads_back() {
        let once = canonical(
            "input: {paths: a.csv}\nsegments: {rules: [{name: Top, r: 5}]}\noutput:\n  holdout: {salt: 2025-q1, share: 0.10}\n  path: o.parquet\n",
        );
        assert!(
            once.ends_with(
                "output:\n  path: \"o.parquet\"\n  holdout: {share: 0.1, salt: \"2025-q1\"}\n"
            ),
            "{once}"
        );
        assert_eq!(canonical(&once), once);
    }

    #[test]
    fn a_persian_config_keeps_its_calendar_and_as_of_in_it() {
        let text = "input:\n  paths: [a.csv]\n  calendar: persian\n  date_format: '%Y/%m/%d'\nanalysis:\n  as_of: \"۱۴۰۳-۱۲-۳۰\"\nsegments: {rules: [{name: Top, r: 5}]}\n";
        let once = canonical(text);
        assert_eq!(canonical(&once), once);
        assert!(
            once.contains("  date_format: \"%Y/%m/%d\"\n  calendar: persian\n"),
            "{once}"
        );
        assert!(once.contains("  as_of: 1403/12/30\n"), "{once}");
        let Ok(s) = validate::resolve(&once, &Overrides::default()) else {
            panic!("canonical text does not load:\n{once}");
        };
        assert_eq!(
            s.analysis.as_of,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 20),
            "Esfand 30 1403"
        );
    }
}
